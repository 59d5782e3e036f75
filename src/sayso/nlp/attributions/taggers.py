"""The learned attribution finder: two CRF taggers over spaCy's parse.

PolNeAR is univocal (every token has at most one role in at most one
attribution), so attributions are read as tag sequences in two stages:

1. the cue tagger labels each sentence's tokens B/I/O for cue words;
2. for every cue found, the role tagger labels the tokens of the cue's
   paragraph (at most two sentences either side) as source or content of
   *that* cue, with features relative to it: side, distance, and where the
   token hangs in the dependency tree relative to the cue.

The rule-based finder (sayso.nlp.attributions.rules) runs first and its output is a
feature of both taggers: the CRFs learn when to trust it.

Features are made template by template over the article (`DocFeatures`) and the
CRFs, trained by CRFsuite, are decoded in numpy (sayso.nlp.attributions.crf),
because feature extraction and CRFsuite's per-string calls were the main cost
next to the parse. The model directory holds `cue.crfsuite`,
`role.crfsuite` and `meta.json` (format, base spaCy pipeline, training
settings, dev figures). The shipped one lives in sayso/nlp/attributions/model/.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from spacy.tokens import Doc

from sayso.errors import ModelError
from sayso.nlp.attributions.crf import CRF
from sayso.nlp.attributions.features import DocFeatures, doc_features
from sayso.nlp.attributions.merge import MERGE_MODES, merge_rules
from sayso.nlp.attributions.repair import bound, saying_something, senses, separate_continuations
from sayso.nlp.attributions.rules import RuleFinder
from sayso.nlp.quotes import kind_of
from sayso.record import Attribution, Boilerplate, Span
from sayso.settings import RULES

FORMAT = "sayso.attribution-model/1"
CUE_FILE = "cue.crfsuite"
ROLE_FILE = "role.crfsuite"
META_FILE = "meta.json"


# --- decoding -----------------------------------------------------------------------------

def _runs(tokens: Sequence[int], tags: Sequence[str], role: str) -> list[list[int]]:
    """Token runs of one role in a tagged window (B starts a run, I extends it;
    runs separated only by whitespace tokens are one run)."""
    runs: list[list[int]] = []
    prev = -2
    for pos, (i, t) in enumerate(zip(tokens, tags, strict=True)):
        if t[2:] != role:
            continue
        if runs and prev == pos - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
        prev = pos
    return runs


def _spans(f: DocFeatures, runs: list[list[int]]) -> list[Span]:
    return [Span.of(f.text, f.idx[r[0]], f.end[r[-1]]) for r in runs]


class Calibration:
    """Maps a raw confidence to the observed rate of correct attributions: an
    isotonic (monotone step) function fitted on dev, one per origin ("model"
    for the taggers' own attributions, "rules" for those the rules add)."""

    def __init__(self, steps: dict[str, list[list[float]]] | None = None):
        # origin -> [[upper bound of raw score, calibrated value], ...] in rising order
        self.steps = steps or {}
        self._bounds = {k: [b for b, _ in v] for k, v in self.steps.items()}

    def __call__(self, raw: float, origin: str) -> float:
        steps = self.steps.get(origin)
        if not steps:
            return raw
        k = min(bisect.bisect_left(self._bounds[origin], raw), len(steps) - 1)
        return steps[k][1]


@dataclass
class FoundCue:
    tokens: list[int]
    score: float


class AttributionModel:
    """A loaded model directory; call it like the rule finder: `(doc, boilerplate)`."""

    def __init__(self, cue: CRF, role: CRF, meta: dict[str, Any], path: str = ""):
        self.cue = cue
        self.role = role
        self.meta = meta
        self.path = path
        self.use_rules = bool(meta.get("features", {}).get("rules", True))
        self.buffers: tuple[bytes, ...] = ()  # the cue and role taggers' files, as read
        self.merge = str(meta.get("merge_rules", "any")) if self.use_rules else "none"
        if self.merge not in MERGE_MODES:
            raise ModelError(f"{path or 'model'}: unknown merge_rules {self.merge!r} (one of {', '.join(MERGE_MODES)})")
        self.calibration = Calibration(meta.get("calibration"))
        # the marginal above which a token is read as content of a cue left without any (1: never)
        self.content_floor = float(meta.get("content_floor", 1.0))
        self.content_labels = [k for k, t in enumerate(role.labels) if t in ("B-C", "I-C")]

    @property
    def base_model(self) -> str | None:
        return self.meta.get("base_model")

    @classmethod
    def load(cls, path: str | Path | None = None) -> AttributionModel:
        """From a model directory; None loads the one shipped in the package."""
        if path is None:
            root: Any = resources.files("sayso.nlp.attributions").joinpath("model")
            where = "the shipped model (sayso/models/attribution)"
        else:
            root = Path(path)
            where = str(path)
            if not root.is_dir():
                raise ModelError(f"{path}: not a model directory")
        try:
            meta = json.loads(root.joinpath(META_FILE).read_text(encoding="utf-8"))
            cue_bytes = root.joinpath(CUE_FILE).read_bytes()
            role_bytes = root.joinpath(ROLE_FILE).read_bytes()
        except (OSError, ValueError) as exc:
            raise ModelError(f"{where}: cannot read the model ({exc})") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"{where}: not a {FORMAT} model (format is {meta.get('format')!r})")
        try:
            cue, role = CRF.from_bytes(cue_bytes), CRF.from_bytes(role_bytes)
        except ValueError as exc:
            raise ModelError(f"{where}: broken CRF model ({exc})") from None
        model = cls(cue, role, meta, str(path or ""))
        model.buffers = (cue_bytes, role_bytes)  # kept to save the model with a pipeline
        return model

    def features(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> DocFeatures:
        return doc_features(doc, boilerplate, self.use_rules)

    def find_cues(self, f: DocFeatures) -> list[FoundCue]:
        return self.find_cues_of([f])[0]

    def find_cues_of(self, articles: Sequence[DocFeatures]) -> list[list[FoundCue]]:
        """The cues of each article, each with the mean marginal of its tokens' tags. The
        sentences of all the articles are decoded together (numpy works a position at a time)."""
        sentences: list[tuple[int, list[int], np.ndarray]] = []  # article, its tokens, state scores
        for n, f in enumerate(articles):
            rows = f.cue_sentences()
            if rows:
                scores = self.cue.template_scores(f.cue_templates(), f.n)
                sentences += [(n, toks, scores[toks]) for toks in rows]
        tagged = [(n, toks, st, tags) for (n, toks, st), tags in
                  zip(sentences, self.cue.viterbi([st for _, _, st in sentences]), strict=True)
                  if any(t != "O" for t in tags)]
        labels = {t: k for k, t in enumerate(self.cue.labels)}
        found: list[list[FoundCue]] = [[] for _ in articles]
        for (n, toks, _, tags), probs in zip(tagged, self.cue.marginals([st for _, _, st, _ in tagged]), strict=True):
            out = found[n]
            current: list[int] = []
            sure: list[float] = []
            for pos, (i, t) in enumerate(zip(toks, tags, strict=True)):
                if t == "B" or (t == "I" and not current):
                    if current:
                        out.append(FoundCue(current, sum(sure) / len(sure)))
                    current, sure = [i], [float(probs[pos, labels[t]])]
                elif t == "I":
                    current.append(i)
                    sure.append(float(probs[pos, labels[t]]))
                elif current:
                    out.append(FoundCue(current, sum(sure) / len(sure)))
                    current, sure = [], []
            if current:
                out.append(FoundCue(current, sum(sure) / len(sure)))
        return found

    def roles(self, cues: Sequence[tuple[DocFeatures, Sequence[int]]]) -> list[tuple[list[Span], list[Span]]]:
        """The source and content spans of each cue (in its article), all windows decoded together."""
        role = self.role
        base: dict[int, np.ndarray] = {}  # what does not depend on the cue, once per token of an article
        windows, states = [], []
        for f, cue in cues:
            if id(f) not in base:
                base[id(f)] = role.template_scores(f.base_templates(), f.n)
            window = f.window(cue)
            windows.append(window)
            states.append(base[id(f)][window] + role.scores(f.relative_sequence(cue, window)))
        tags = role.viterbi(states)  # (an empty window gets no tags)
        sources = [_runs(w, t, "S") for w, t in zip(windows, tags, strict=True)]
        contents = [_runs(w, t, "C") for w, t in zip(windows, tags, strict=True)]
        # the marginals, only for the windows that need them: more than one source run,
        # or no content where the floor may give some
        floor = self.content_floor < 1.0
        need = [k for k in range(len(cues)) if len(sources[k]) > 1 or (floor and not contents[k])]
        label = {t: n for n, t in enumerate(role.labels)}
        for k, probs in zip(need, role.marginals([states[k] for k in need]), strict=True):
            if len(sources[k]) > 1:
                # a source is one stretch of text (PolNeAR: 99.9% of sources): keep the surest run
                at = {i: n for n, i in enumerate(windows[k])}
                sources[k] = [max(sources[k], key=lambda run: sum(
                    float(probs[at[i], label[tags[k][at[i]]]]) for i in run) / len(run))]
            if floor and not contents[k]:
                contents[k] = self._likeliest_content(windows[k], tags[k], probs)
        return [(_spans(f, s), _spans(f, c)) for (f, _), s, c in zip(cues, sources, contents, strict=True)]

    def _likeliest_content(self, window: Sequence[int], tags: Sequence[str], probs: np.ndarray) -> list[list[int]]:
        """When the best tag sequence gives a cue no content, the stretch of window
        tokens most likely to be content (marginal above the floor), if any. Most
        cues the tagger finds do report something: on dev this keeps more right
        cues than wrong ones (floor 0.1: cue F1 +0.003)."""
        content = probs[:, self.content_labels].sum(axis=1).tolist() if self.content_labels else [0.0] * len(window)
        best: list[int] = []
        best_mass = 0.0
        run: list[int] = []
        mass = 0.0
        for pos, i in enumerate([*window, -1]):
            p = content[pos] if i >= 0 and tags[pos] == "O" else 0.0
            if p >= self.content_floor:
                run.append(i)
                mass += p
                continue
            if mass > best_mass:
                best, best_mass = run, mass
            run, mass = [], 0.0
        return [best] if best else []

    def find(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> list[Attribution]:
        return self.find_with(self.features(doc, boilerplate))

    def find_many(self, articles: Sequence[tuple[Doc, Sequence[Boilerplate]]]) -> list[list[Attribution]]:
        """`find` for several articles at once: their CRF decoding is shared."""
        return self.find_with_many([self.features(doc, boilerplate) for doc, boilerplate in articles])

    def predict(self, f: DocFeatures) -> list[Attribution]:
        return self.predict_many([f])[0]

    def predict_many(self, articles: Sequence[DocFeatures]) -> list[list[Attribution]]:
        """The taggers' own attributions of each article, with their raw (uncalibrated) scores."""
        cues: list[tuple[DocFeatures, FoundCue]] = []
        for f, found in zip(articles, self.find_cues_of(articles), strict=True):
            framed = f.framed_tokens()
            # inside a signed quotation or a speaker's turn, or its cue: the layout's reading stands
            cues += [(f, cue) for cue in found if not framed.intersection(cue.tokens)]
        out: dict[int, list[Attribution]] = {id(f): [] for f in articles}
        for (f, cue), (source, content) in zip(cues, self.roles([(f, c.tokens) for f, c in cues]), strict=True):
            if not content:
                continue  # a cue with nothing said is no attribution
            out[id(f)].append(Attribution(id="", kind=kind_of(content, f.quotes), cue=_spans(f, [cue.tokens]),
                                          source=source, content=content, score=cue.score))
        return [out[id(f)] for f in articles]

    def find_with(self, f: DocFeatures) -> list[Attribution]:
        return self.find_with_many([f])[0]

    def find_with_many(self, articles: Sequence[DocFeatures]) -> list[list[Attribution]]:
        out = []
        for f, own in zip(articles, self.predict_many(articles), strict=True):
            for a in own:
                a.score = round(self.calibration(a.score, "model"), 4)
            merged = merge_rules(own, f, self.merge)
            for a in merged[len(own):]:
                a.score = round(self.calibration(a.score, "rules"), 4)
            merged = separate_continuations(saying_something(senses(bound(merged, f), f)), f)
            merged.sort(key=lambda a: a.first_offset)  # text order, as the rule finder gives them
            out.append(merged)
        return out

    def __call__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> list[Attribution]:
        return self.find(doc, boilerplate)


@functools.lru_cache(maxsize=4)
def load_model(path: str | None = None) -> AttributionModel:
    """A model directory, loaded once per process (None: the shipped model)."""
    return AttributionModel.load(path)


Finder = Callable[[Doc, Sequence[Boilerplate]], list[Attribution]]


def shipped_model_present() -> bool:
    return resources.files("sayso.nlp.attributions").joinpath("model", META_FILE).is_file()


def load_finder(model: str | None = None) -> Finder:
    """The attribution finder of a run: a model directory, "rules", or None for
    the shipped model (the rules when no model ships with the package)."""
    if model == RULES or (model is None and not shipped_model_present()):
        return RuleFinder()
    return load_model(model)
