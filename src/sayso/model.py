"""The learned attribution finder: two CRF taggers over spaCy's parse.

PolNeAR is univocal (every token has at most one role in at most one
attribution), so attributions are read as tag sequences in two stages:

1. the cue tagger labels each sentence's tokens B/I/O for cue words;
2. for every cue found, the role tagger labels the tokens of the cue's
   paragraph (at most two sentences either side) as source or content of
   *that* cue, with features relative to it: side, distance, and where the
   token hangs in the dependency tree relative to the cue.

The rule-based finder (sayso.attributions) runs first and its output is a
feature of both taggers: the CRFs learn when to trust it.

Features are plain strings; everything per token is computed once per
document (`DocFeatures`), because Python feature extraction is the main cost
next to the parse. The model directory holds `cue.crfsuite`,
`role.crfsuite` and `meta.json` (format, base spaCy pipeline, training
settings, dev figures). The shipped one lives in sayso/models/attribution.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pycrfsuite
from spacy.attrs import DEP, ENT_TYPE, HEAD, IDX, IS_SPACE, IS_TITLE, LEMMA, LENGTH, LOWER, POS, TAG
from spacy.tokens import Doc

from sayso.attributions import DASHES, SIGNATURE_RULES, RuleFinder, _text, rule_attributions
from sayso.lexicon import cue_nouns, cue_verbs
from sayso.quotes import QuoteIndex, find_quotes, kind_of
from sayso.record import Attribution, Boilerplate, Span

FORMAT = "sayso.attribution-model/1"
CUE_FILE = "cue.crfsuite"
ROLE_FILE = "role.crfsuite"
META_FILE = "meta.json"
WINDOW_SENTS = 4  # the role tagger reads the cue's sentence and this many either side (in its paragraph)
MAX_WINDOW = 250  # tokens either side of the cue, at most
VIA_DEPS = frozenset({"prep", "agent", "mark", "advmod", "npadvmod", "dative"})
CHILD_DEPS = frozenset({"ccomp", "xcomp", "nsubj", "nsubjpass", "dobj", "agent", "mark", "advcl", "prep",
                        "attr", "acl", "relcl", "prt", "neg", "aux", "poss"})


ATTRS = [LOWER, LEMMA, POS, TAG, DEP, HEAD, IS_SPACE, IDX, LENGTH, IS_TITLE, ENT_TYPE]


class ModelError(Exception):
    """A model directory that cannot be used: one line for the user."""


def _dist_bucket(d: int) -> str:
    if d <= 3:
        return str(d)
    if d <= 6:
        return "4-6"
    if d <= 12:
        return "7-12"
    if d <= 25:
        return "13-25"
    return "26+"


class DocFeatures:
    """Per-token arrays of one parsed article, computed once."""

    def __init__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = (),
                 rules: Sequence[Attribution] | None = None, rule_names: Sequence[str] = ()):
        self.doc = doc
        self.text = text = _text(doc)
        n = len(doc)
        self.n = n
        # one pass over spaCy's arrays: making Token objects is the costliest part of feature extraction
        array = doc.to_array(ATTRS)
        cols = array.T.tolist()
        heads = array[:, 5].astype("int64").tolist()  # HEAD is a signed offset stored unsigned
        strings = doc.vocab.strings
        names: dict[int, str] = {}

        def name(h: int) -> str:
            got = names.get(h)
            if got is None:
                got = names[h] = strings[h]
            return got

        lower_of: dict[int, str] = {}
        self.lower = [name(h) for h in cols[0]]
        self.lemma = [lower_of.get(h) or lower_of.setdefault(h, name(h).lower()) for h in cols[1]]
        self.pos = [name(h) for h in cols[2]]
        self.tag = [name(h) for h in cols[3]]
        self.dep = [name(h) for h in cols[4]]
        self.head = [i + off for i, off in enumerate(heads)]
        self.space = [bool(x) for x in cols[6]]
        self.idx = cols[7]
        self.end = [i + n_ for i, n_ in zip(cols[7], cols[8], strict=True)]
        self.title = [bool(x) for x in cols[9]]
        self.ent = [name(h) for h in cols[10]]
        self.children: list[list[int]] = [[] for _ in range(n)]
        for i, h in enumerate(self.head):
            if h != i:
                self.children[h].append(i)
        # sentences and paragraphs (a space token holding a newline ends a paragraph)
        self.sent = [0] * n
        self.sents: list[tuple[int, int]] = []
        self.first = [False] * n  # first / last non-space token of a sentence
        self.last = [False] * n
        space = self.space
        for k, s in enumerate(doc.sents):
            start, end = s.start, s.end
            self.sents.append((start, end))
            self.sent[start:end] = [k] * (end - start)
            words = [i for i in range(start, end) if not space[i]]
            if words:
                self.first[words[0]] = self.last[words[-1]] = True
        self.para = [0] * n
        self.para_pos = [0] * n  # how many words of its paragraph come before a token
        p = at = 0
        for i in range(n):
            if space[i] and "\n" in text[self.idx[i]:self.end[i]]:
                p += 1
                at = 0
            self.para[i] = p
            self.para_pos[i] = at
            if not space[i]:
                at += 1
        # quotes: which quotation (index) each token is in, -1 outside
        self.quotes = QuoteIndex(find_quotes(text))
        self.inq = [-1] * n
        self.qmark = [False] * n
        qs = self.quotes.quotes
        k = 0
        for i in range(n):
            start = self.idx[i]
            while k < len(qs) and qs[k].end <= start:
                k += 1
            if k < len(qs) and qs[k].start <= start < qs[k].end:
                self.inq[i] = k
                if start == qs[k].start or self.end[i] == qs[k].end:
                    self.qmark[i] = True
        self.sent_quoted = [False] * len(self.sents)  # a sentence with quoted words in it
        for i in range(n):
            if self.inq[i] >= 0:
                self.sent_quoted[self.sent[i]] = True
        verbs, nouns = cue_verbs(), cue_nouns()
        self.lex = [("v" if lem in verbs else "n" if lem in nouns else "")
                    for lem in self.lemma]
        self.blocked = [False] * n
        for b in boilerplate:
            for i in self.tokens_of(b.start, b.end):
                self.blocked[i] = True
        # the rules' attributions as token roles: "c" cue, "s" source, "q" content
        self.rules = list(rules or ())
        # the rule that found each (sayso.attributions); "" when not known. Those marked by
        # layout (SIGNATURE_RULES) stand as the rules read them: the model's tags rarely see them
        self.rule_names = list(rule_names) or [""] * len(self.rules)
        self.rule_role = [""] * n
        self.rule_attr = [-1] * n
        for r, a in enumerate(self.rules):
            for role, spans in (("q", a.content), ("s", a.source), ("c", a.cue)):
                for sp in spans:
                    for i in self.tokens_of(sp.start, sp.end):
                        self.rule_role[i] = role
                        self.rule_attr[i] = r
        self._base: list[list[str] | None] = [None] * n

    def tokens_of(self, start: int, end: int) -> range:
        """Token indices overlapping [start, end)."""
        a = bisect.bisect_right(self.end, start)
        b = bisect.bisect_left(self.idx, end)
        return range(a, max(a, b))

    def words_of(self, spans: Sequence[Span]) -> set[int]:
        """The non-space tokens of some spans."""
        return {i for s in spans for i in self.tokens_of(s.start, s.end) if not self.space[i]}

    def framed_tokens(self) -> set[int]:
        """Cue and content tokens of the rules' attributions marked by layout."""
        return {i for a, name in zip(self.rules, self.rule_names, strict=True) if name in SIGNATURE_RULES
                for i in self.words_of([*a.cue, *a.content])}

    def word(self, i: int) -> str:
        """Token i as written in the text (not lower-cased)."""
        return self.text[self.idx[i]:self.end[i]]

    def sentence_tokens(self, k: int) -> list[int]:
        s, e = self.sents[k]
        return [i for i in range(s, e) if not self.space[i]]

    # --- the cue tagger's features --------------------------------------------------

    def cue_features(self, i: int) -> list[str]:
        lower, lemma, pos, tag, dep = self.lower, self.lemma, self.pos, self.tag, self.dep
        h = self.head[i]
        feats = [
            "b", "w=" + lower[i], "l=" + lemma[i], "p=" + pos[i], "t=" + tag[i], "d=" + dep[i],
            "hl=" + lemma[h], "hp=" + pos[h], "ld=" + lemma[i] + "|" + dep[i],
            "lp=" + lemma[i] + "|" + pos[i], "hld=" + lemma[h] + "|" + dep[i],
            "lex=" + self.lex[i], "hlex=" + self.lex[h], "q=" + str(self.inq[i] >= 0),
            "rr=" + self.rule_role[i], "e=" + self.ent[i], "sq=" + str(self.sent_quoted[self.sent[i]]),
            # "WALLACE: …", "Poll: …": a speaker's name and a colon open transcripts and headlines
            "pp=" + _dist_bucket(self.para_pos[i]),
        ]
        word = self.word(i)
        if len(word) > 1 and word.isupper():
            feats.append("upper")
        if self.title[i]:
            feats.append("title")
        if self.qmark[i]:
            feats.append("qmark")
        lem = lemma[i]
        feats += ["hd=" + dep[h], "hdl=" + lemma[h] + "|" + dep[h] + "|" + pos[i],
                  "gl=" + lemma[self.head[h]], "suf=" + lower[i][-3:]]
        clause = ""
        for c in self.children[i]:
            d = dep[c]
            if d in CHILD_DEPS:
                feats.append("c=" + d)
                # the word with its dependents: "warn|mark", "point|prep|to", "fear|nsubj|PERSON"
                feats.append("lcd=" + lem + "|" + d)
                if d == "mark" or d == "prep" or d == "prt":
                    feats.append("cw=" + lower[c])
                    feats.append("lcw=" + lem + "|" + lower[c])
                elif d == "nsubj" or d == "nsubjpass":
                    # who the subject is: a person, an organisation, a pronoun
                    who = self.ent[c] or pos[c]
                    feats.append("se=" + who)
                    feats.append("lse=" + lem + "|" + who)
                    feats.append("lsl=" + lem + "|" + lemma[c])
                elif d == "ccomp" or d == "xcomp":
                    clause = d
        feats.append("lc=" + lem + "|" + clause)
        n = self.n
        # quotation marks close by: cues sit next to quotations
        for off in (-3, -2, -1, 1, 2, 3):
            j = i + off
            if 0 <= j < n and self.qmark[j]:
                feats.append("qm" + str(off))
        if (word == ":" or word in DASHES) and i > 0:
            # a label or a signature before a colon or a dash: "WALLACE:", "— Paul Ryan"
            p = i - 1
            pword = self.word(p)
            feats += ["pu=" + str(len(pword) > 1 and pword.isupper()), "pe=" + self.ent[p],
                      "pq=" + str(self.inq[p] >= 0), "ppp=" + _dist_bucket(self.para_pos[p])]
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n and not self.space[j] and self.sent[j] == self.sent[i]:
                o = str(off)
                feats.append(o + "l=" + lemma[j])
                feats.append(o + "p=" + pos[j])
                if off in (-1, 1):
                    feats.append(o + "rr=" + self.rule_role[j])
                    feats.append(o + "lex=" + self.lex[j])
            else:
                feats.append(str(off) + "edge")
        if i > 0:
            feats.append("bi=" + lemma[i - 1] + "|" + lemma[i])
        if i + 1 < n:
            feats.append("bi+=" + lemma[i] + "|" + lemma[i + 1])
        return feats

    # --- the role tagger's features -------------------------------------------------

    def base(self, i: int) -> list[str]:
        cached = self._base[i]
        if cached is None:
            h = self.head[i]
            cached = self._base[i] = [
                "b", "w=" + self.lower[i], "l=" + self.lemma[i], "p=" + self.pos[i],
                "t=" + self.tag[i], "d=" + self.dep[i], "hp=" + self.pos[h],
                "dd=" + self.dep[i] + "|" + self.dep[h], "q=" + str(self.inq[i] >= 0),
                "lex=" + self.lex[i],
            ]
            if self.qmark[i]:
                cached.append("qmark")
            if self.title[i]:
                cached.append("title")
            if self.ent[i]:
                cached.append("e=" + self.ent[i])
            if self.first[i]:
                cached.append("first")
            if self.last[i]:
                cached.append("last")
            if i > 0:
                cached += ["-1w=" + self.lower[i - 1], "-1p=" + self.pos[i - 1]]
            if i + 1 < self.n:
                cached += ["+1w=" + self.lower[i + 1], "+1p=" + self.pos[i + 1]]
        return cached

    def window(self, cue: Sequence[int]) -> list[int]:
        """The tokens the role tagger reads for this cue."""
        k = self.sent[cue[0]]
        para = self.para[cue[0]]
        lo_sent = max(0, k - WINDOW_SENTS)
        hi_sent = min(len(self.sents) - 1, self.sent[cue[-1]] + WINDOW_SENTS)
        lo = max(self.sents[lo_sent][0], cue[0] - MAX_WINDOW)
        hi = min(self.sents[hi_sent][1], cue[-1] + MAX_WINDOW + 1)
        return [i for i in range(lo, hi) if self.para[i] == para and not self.space[i]
                and not self.blocked[i]]

    def role_sequence(self, cue: Sequence[int], window: Sequence[int]) -> list[list[str]]:
        """Features of each window token relative to the cue."""
        cue_set = set(cue)
        head = self.head
        # the cue's head: the cue token whose head lies outside the cue
        ch = cue[0]
        for c in cue:
            if head[c] not in cue_set or head[c] == c:
                ch = c
                break
        ancestors: dict[int, int] = {}  # ancestor token -> its height above the cue
        a, up = ch, 0
        while head[a] != a and up < 30:
            a = head[a]
            up += 1
            ancestors[a] = up
        cue_lemma = " ".join(self.lemma[c] for c in cue)
        cue_sent = self.sent[ch]
        cq = self.inq[ch]
        rule = -1
        for c in cue:
            if self.rule_role[c] == "c":
                rule = self.rule_attr[c]
                break
        attach: dict[int, tuple[str, int]] = {}

        def attachment(i: int) -> tuple[str, int]:
            # where token i hangs relative to the cue: under which dependent of the
            # cue ("ccomp", "nsubj"), under which dependent of an ancestor ("a:nsubj"),
            # an ancestor itself ("anc"), or elsewhere ("out"); and that dependent
            if i in attach:
                return attach[i]
            path = [i]
            x, label, steps = i, "out", 0
            while steps < 40:
                if x in cue_set:
                    label = "cue"
                    break
                if x in ancestors:
                    label = "anc"
                    break
                hx = head[x]
                if hx == x:
                    break
                if hx in cue_set:
                    label = "c:" + self.dep[x]
                    break
                if hx in ancestors:
                    label = ("a1:" if ancestors[hx] == 1 else "a:") + self.dep[x]
                    break
                x = hx
                path.append(x)
                steps += 1
            for y in path:
                attach[y] = (label, x)
            return label, x

        seq: list[list[str]] = []
        for i in window:
            feats = list(self.base(i))
            if i in cue_set:
                feats.append("iscue")
                seq.append(feats)
                continue
            side = "L" if i < ch else "R"
            d = _dist_bucket(abs(i - ch) if i < cue[0] or i > cue[-1] else 0)
            at, top = attachment(i)
            ds = self.sent[i] - cue_sent
            same_q = cq >= 0 and self.inq[i] == cq
            feats += [
                "s=" + side, "sd=" + side + d, "at=" + at, "ats=" + at + "|" + side,
                "atp=" + at + "|" + self.pos[i], "ds=" + str(max(-2, min(2, ds))),
                "cl=" + cue_lemma + "|" + side, "cla=" + cue_lemma + "|" + at,
                "qs=" + str(self.inq[i] >= 0) + side, "sq=" + str(same_q),
            ]
            if top == i:
                feats.append("top")  # the dependent itself: where a span tends to start
            if self.dep[top] in VIA_DEPS:
                feats.append("atw=" + at + "|" + self.lower[top])  # "c:prep|on": at a rally, on Twitter
            if rule >= 0 and self.rule_attr[i] == rule:
                feats.append("r=" + self.rule_role[i])
            elif self.rule_role[i]:
                feats.append("ro=" + self.rule_role[i])
            seq.append(feats)
        return seq


def doc_features(doc: Doc, boilerplate: Sequence[Boilerplate], use_rules: bool) -> DocFeatures:
    """A document's features, with the rules' attributions among them if the model uses them."""
    if not use_rules:
        return DocFeatures(doc, boilerplate)
    found = rule_attributions(doc, boilerplate)
    return DocFeatures(doc, boilerplate, [a for _, a in found], [rule for rule, _ in found])


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

    def __init__(self, cue_tagger: pycrfsuite.Tagger, role_tagger: pycrfsuite.Tagger,
                 meta: dict[str, Any], path: str = ""):
        self.cue_tagger = cue_tagger
        self.role_tagger = role_tagger
        self.meta = meta
        self.path = path
        self.use_rules = bool(meta.get("features", {}).get("rules", True))
        self._buffers: tuple[bytes, ...] = ()
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
            root: Any = resources.files("sayso.models").joinpath("attribution")
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
        model._buffers = (cue_bytes, role_bytes)  # CRFsuite reads these in place: they must outlive the taggers
        return model

    def features(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> DocFeatures:
        return doc_features(doc, boilerplate, self.use_rules)

    def find_cues(self, f: DocFeatures) -> list[FoundCue]:
        tagger = self.cue_tagger
        found: list[FoundCue] = []
        for k in range(len(f.sents)):
            toks = [i for i in f.sentence_tokens(k) if not f.blocked[i]]
            if not toks:
                continue
            tags = tagger.tag([f.cue_features(i) for i in toks])
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
        merged.sort(key=lambda a: a.first_offset)  # text order, as the rule finder gives them
        return merged

    def __call__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> list[Attribution]:
        return self.find(doc, boilerplate)


# the rules whose attributions the "evidence" merge adds: the cue was misparsed (the model's
# features come from the parse, so it cannot see it)
MISPARSE_RULES = frozenset({"linear"})
MERGE_MODES = ("cue", "any", "evidence", "none")


def merge_rules(found: list[Attribution], f: DocFeatures, mode: str = "cue") -> list[Attribution]:
    """The model's attributions, with the rules' ones added where the model has
    no reading of their cue. Modes:

    - "cue": the rule's cue does not overlap a model cue;
    - "any": none of the rule's cue tokens has a role in a model attribution;
    - "evidence": as "any", and the rule holds evidence the model's features
      lack: a quotation inside reported speech (kind "mixed") or a cue spaCy
      misparsed. On PolNeAR dev only 17 of the 100 attributions "any" adds are
      right; this mode keeps the few with such evidence;
    - "none": only the layout's attributions below.

    In every mode but "none", a rule cue in two pieces around a quotation
    ("referred to … as “jackals”") replaces the model's overlapping one (the
    model's tags cannot express a cue in two pieces), and so does a rule cue
    where the model's runs on into the content. The attributions marked by
    layout (signatures, speaker labels) join in every mode: `predict` left
    their tokens alone."""
    if not f.rules:
        return found
    tokens = f.words_of
    model_cues = [tokens(a.cue) for a in found]
    used = set().union(*(tokens(a.cue) | tokens(a.source) | tokens(a.content) for a in found)) if found else set()
    out = list(found)
    for r, name in zip(f.rules, f.rule_names, strict=True):
        if name in SIGNATURE_RULES:
            out.append(dataclasses.replace(r))
            continue
        if mode == "none":
            continue
        rc = tokens(r.cue)
        clash = [n for n, mc in enumerate(model_cues) if mc & rc]
        if clash:
            # the rules' reading replaces the model's when the model cannot express it (a cue in two
            # pieces), or when the model's cue runs on into a noun phrase the rules read as content
            # ("confirmed a plan for" | "a plan for an exit corridor had failed")
            swallowed = model_cues[clash[0]] - rc
            runs_on = rc < model_cues[clash[0]] and bool(swallowed & tokens(r.content)) and any(
                f.pos[i] in ("DET", "NOUN", "PROPN", "PRON", "NUM", "ADJ") for i in swallowed)
            mine = out[clash[0]]
            # a cue in two pieces only around a quotation: when "as" introduces the quoted words,
            # they are what is attributed; otherwise PolNeAR counts the verb alone as the cue
            # ("described" | "Clinton as a disgrace"; 7 of 8 such cues on dev)
            in_two = len(r.cue) > 1 and r.kind == "direct"
            if (in_two or runs_on) and len(clash) == 1 and mine is found[clash[0]]:
                out[clash[0]] = dataclasses.replace(r, score=mine.score)
            continue
        if mode in ("any", "evidence") and rc & used:
            continue
        if mode == "evidence" and r.kind != "mixed" and name not in MISPARSE_RULES:
            continue
        out.append(dataclasses.replace(r))  # a copy: the rules' own list stays as it was
    return out


@functools.lru_cache(maxsize=4)
def load_model(path: str | None = None) -> AttributionModel:
    """A model directory, loaded once per process (None: the shipped model)."""
    return AttributionModel.load(path)


RULES = "rules"  # the name that selects the rule-based finder instead of a model
Finder = Callable[[Doc, Sequence[Boilerplate]], list[Attribution]]


def shipped_model_present() -> bool:
    return resources.files("sayso.models").joinpath("attribution", META_FILE).is_file()


def load_finder(model: str | None = None) -> Finder:
    """The attribution finder of a run: a model directory, "rules", or None for
    the shipped model (the rules when no model ships with the package)."""
    if model == RULES or (model is None and not shipped_model_present()):
        return RuleFinder()
    return load_model(model)
