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

Features are plain strings; everything per token is computed once per
document (`DocFeatures`), because Python feature extraction is the main cost
next to the parse. The model directory holds `cue.crfsuite`,
`role.crfsuite` and `meta.json` (format, base spaCy pipeline, training
settings, dev figures). The shipped one lives in sayso/nlp/attributions/model/.
"""

from __future__ import annotations

import bisect
import functools
import json
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pycrfsuite
from spacy.tokens import Doc

from sayso.errors import ModelError
from sayso.nlp.attributions.features import DocFeatures, doc_features
from sayso.nlp.attributions.merge import MERGE_MODES, merge_rules
from sayso.nlp.attributions.repair import bound, senses
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


def model_attributes(data: bytes) -> frozenset[str] | None:
    """The attribute strings a CRFsuite model file has weights for (its CQDB
    dictionary: a header with the dictionary's offset, then for each id the
    offset of its record: id, size, the string and a NUL); None when the file
    is not laid out so, and every string is then passed to the tagger."""
    try:
        (start,) = struct.unpack_from("<I", data, 36)
        magic, _size, _flag, _order, count, backward = struct.unpack_from("<4sIIIII", data, start)
        if magic != b"CQDB":
            return None
        out = []
        for k in range(count):
            (at,) = struct.unpack_from("<I", data, start + backward + 4 * k)
            if at:
                _id, length = struct.unpack_from("<II", data, start + at)
                out.append(data[start + at + 8:start + at + 7 + length].decode("utf-8"))
        return frozenset(out)
    except (struct.error, UnicodeDecodeError):
        return None


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

    def __init__(self, cue_tagger: pycrfsuite.Tagger, role_tagger: pycrfsuite.Tagger,
                 meta: dict[str, Any], path: str = ""):
        self.cue_tagger = cue_tagger
        self.role_tagger = role_tagger
        self.meta = meta
        self.path = path
        self.use_rules = bool(meta.get("features", {}).get("rules", True))
        self.buffers: tuple[bytes, ...] = ()  # the cue and role taggers' files, as read
        self.role_known: frozenset[str] | None = None  # the role tagger's strings (`load` reads them)
        self.merge = str(meta.get("merge_rules", "any")) if self.use_rules else "none"
        if self.merge not in MERGE_MODES:
            raise ModelError(f"{path or 'model'}: unknown merge_rules {self.merge!r} (one of {', '.join(MERGE_MODES)})")
        self.calibration = Calibration(meta.get("calibration"))
        # the marginal above which a token is read as content of a cue left without any (1: never)
        self.content_floor = float(meta.get("content_floor", 1.0))
        self.content_labels = tuple(t for t in ("B-C", "I-C") if t in role_tagger.labels())

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
        cue_tagger, role_tagger = pycrfsuite.Tagger(), pycrfsuite.Tagger()
        try:
            cue_tagger.open_inmemory(cue_bytes)
            role_tagger.open_inmemory(role_bytes)
        except Exception as exc:
            raise ModelError(f"{where}: broken CRF model ({exc})") from None
        model = cls(cue_tagger, role_tagger, meta, str(path or ""))
        model.buffers = (cue_bytes, role_bytes)  # CRFsuite reads these in place: they must outlive the taggers
        model.role_known = model_attributes(role_bytes)
        return model

    def features(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> DocFeatures:
        return doc_features(doc, boilerplate, self.use_rules, self.role_known)

    def find_cues(self, f: DocFeatures) -> list[FoundCue]:
        tagger = self.cue_tagger
        found: list[FoundCue] = []
        for k in range(len(f.sents)):
            toks = [i for i in f.sentence_tokens(k) if not f.blocked[i]]
            if not toks:
                continue
            tags = tagger.tag(f.cue_sequence(toks))
            if all(t == "O" for t in tags):
                continue
            current: list[int] = []
            probs: list[float] = []
            for pos, (i, t) in enumerate(zip(toks, tags, strict=True)):
                if t == "B" or (t == "I" and not current):
                    if current:
                        found.append(FoundCue(current, sum(probs) / len(probs)))
                    current, probs = [i], [tagger.marginal(t, pos)]
                elif t == "I":
                    current.append(i)
                    probs.append(tagger.marginal(t, pos))
                elif current:
                    found.append(FoundCue(current, sum(probs) / len(probs)))
                    current, probs = [], []
            if current:
                found.append(FoundCue(current, sum(probs) / len(probs)))
        return found

    def roles(self, f: DocFeatures, cue: Sequence[int]) -> tuple[list[Span], list[Span]]:
        """The source and content spans of one cue."""
        window = f.window(cue)
        tagger = self.role_tagger
        tags = tagger.tag(f.role_sequence(cue, window))
        sources = _runs(window, tags, "S")
        if len(sources) > 1:
            # a source is one stretch of text (PolNeAR: 99.9% of sources): keep the surest run
            at = {i: n for n, i in enumerate(window)}
            sources = [max(sources, key=lambda run: sum(tagger.marginal(tags[at[i]], at[i]) for i in run) / len(run))]
        content = _runs(window, tags, "C")
        if not content and self.content_floor < 1.0:
            content = self._likeliest_content(window, tags)
        return _spans(f, sources), _spans(f, content)

    def _likeliest_content(self, window: Sequence[int], tags: Sequence[str]) -> list[list[int]]:
        """When the best tag sequence gives a cue no content, the stretch of window
        tokens most likely to be content (marginal above the floor), if any. Most
        cues the tagger finds do report something: on dev this keeps more right
        cues than wrong ones (floor 0.1: cue F1 +0.003)."""
        tagger, labels = self.role_tagger, self.content_labels
        best: list[int] = []
        best_mass = 0.0
        run: list[int] = []
        mass = 0.0
        for pos, i in enumerate([*window, -1]):
            p = sum(tagger.marginal(t, pos) for t in labels) if i >= 0 and tags[pos] == "O" else 0.0
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

    def predict(self, f: DocFeatures) -> list[Attribution]:
        """The taggers' own attributions, with their raw (uncalibrated) scores."""
        out: list[Attribution] = []
        framed = f.framed_tokens()
        for cue in self.find_cues(f):
            if framed.intersection(cue.tokens):
                continue  # inside a signed quotation or a speaker's turn, or its cue: the layout's reading stands
            source, content = self.roles(f, cue.tokens)
            if not content:
                continue  # a cue with nothing said is no attribution
            out.append(Attribution(id="", kind=kind_of(content, f.quotes), cue=_spans(f, [cue.tokens]),
                                   source=source, content=content, score=cue.score))
        return out

    def find_with(self, f: DocFeatures) -> list[Attribution]:
        own = self.predict(f)
        for a in own:
            a.score = round(self.calibration(a.score, "model"), 4)
        merged = merge_rules(own, f, self.merge)
        for a in merged[len(own):]:
            a.score = round(self.calibration(a.score, "rules"), 4)
        merged = senses(bound(merged, f), f)
        merged.sort(key=lambda a: a.first_offset)  # text order, as the rule finder gives them
        return merged

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
