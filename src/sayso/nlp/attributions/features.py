"""The taggers' features: per-token arrays of one parsed article, computed once
(`DocFeatures`), because Python feature extraction is the main cost next to the
parse. The rule-based finder runs first and its output is a feature of both
taggers: the CRFs learn when to trust it."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from spacy.attrs import DEP, ENT_TYPE, HEAD, IDX, IS_SPACE, IS_TITLE, LEMMA, LENGTH, LOWER, POS, TAG
from spacy.tokens import Doc

from sayso.nlp.attributions.layout import DASHES, SIGNATURE_RULES
from sayso.nlp.attributions.rules import rule_attributions
from sayso.nlp.lexicon import cue_nouns, cue_verbs
from sayso.nlp.quotes import quotes_of
from sayso.record import Attribution, Boilerplate, Span, text_of

WINDOW_SENTS = 4  # the role tagger reads the cue's sentence and this many either side (in its paragraph)
MAX_WINDOW = 250  # tokens either side of the cue, at most
VIA_DEPS = frozenset({"prep", "agent", "mark", "advmod", "npadvmod", "dative"})
CHILD_DEPS = frozenset({"ccomp", "xcomp", "nsubj", "nsubjpass", "dobj", "agent", "mark", "advcl", "prep",
                        "attr", "acl", "relcl", "prt", "neg", "aux", "poss"})


ATTRS = [LOWER, LEMMA, POS, TAG, DEP, HEAD, IS_SPACE, IDX, LENGTH, IS_TITLE, ENT_TYPE]


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


Part = tuple[np.ndarray, Sequence[str]]  # a code per row, and the strings the codes stand for


class Template(NamedTuple):
    """One feature template over an article: a prefix and parts. Each part gives every row a
    code into its strings; the row's feature is the prefix and those strings joined by "|":
    "ld=" with parts (lemma, dep) gives "ld=say|ROOT". A row is a token, or for templates a
    token can have several of (its dependents), a row with `owners` naming its token.
    `present` marks the rows that have the feature (None: all)."""

    prefix: str
    parts: tuple[Part, ...] = ()
    present: np.ndarray | None = None
    owners: np.ndarray | None = None


_TRUE_FALSE = ("False", "True")
_BUCKETS = [_dist_bucket(d) for d in range(27)]  # 26 and beyond: one bucket
_RULE_ROLES = ("", "c", "s", "q")
_RULE_ROLE_CODE = {r: k for k, r in enumerate(_RULE_ROLES)}
_CLAUSES = ("", "ccomp", "xcomp")
# the role features' strings that take few values, made once
_SENT_DISTANCE = [f"ds={d}" for d in range(-2, 3)]
_SAME_QUOTE = ("sq=False", "sq=True")
_SIDE_DISTANCE = {side: ["sd=" + side + _dist_bucket(d) for d in range(27)] for side in "LR"}


def template_strings(templates: Sequence[Template], tokens: Sequence[int]) -> list[list[str]]:
    """Each token's feature strings (for training and for tests; tagging reads the codes), in
    the templates' order; templates that share their `owners` give theirs row by row (a
    dependent's "c=", "lcd=", … before the next dependent's)."""
    at = {i: k for k, i in enumerate(tokens)}
    out: list[list[str]] = [[] for _ in tokens]
    wanted = np.asarray(tokens, dtype=np.intp)
    groups: list[list[Template]] = []
    for t in templates:
        if groups and t.owners is not None and groups[-1][0].owners is t.owners:
            groups[-1].append(t)
        else:
            groups.append([t])
    for group in groups:
        owners = group[0].owners
        if owners is None:
            rows: Iterable[tuple[int, int]] = ((i, i) for i in tokens)
        else:
            mine = np.nonzero(np.isin(owners, wanted))[0]
            rows = zip(mine.tolist(), owners[mine].tolist(), strict=True)
        for r, i in rows:
            for t in group:
                if t.present is None or t.present[r]:
                    out[at[i]].append(t.prefix + "|".join(strings[codes[r]] for codes, strings in t.parts))
    return out


def _shifted(codes: np.ndarray, off: int) -> np.ndarray:
    """codes[i + off] at each i (0 past either end: such rows are never present)."""
    return codes[np.clip(np.arange(len(codes)) + off, 0, max(len(codes) - 1, 0))]


def _bools(values: np.ndarray) -> Part:
    return values.astype(np.intp), _TRUE_FALSE


class DocFeatures:
    """Per-token arrays of one parsed article, computed once."""

    def __init__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = (),
                 rules: Sequence[Attribution] | None = None, rule_names: Sequence[str] = ()):
        self.doc = doc
        self.text = text = text_of(doc)
        n = len(doc)
        self.n = n
        # one pass over spaCy's arrays: making Token objects is the costliest part of feature extraction
        array = doc.to_array(ATTRS)
        cols = array.T.tolist()
        heads = array[:, 5].astype("int64").tolist()  # HEAD is a signed offset stored unsigned
        # each attribute as codes into the article's distinct strings (`Part`), and as a string per token
        store = doc.vocab.strings
        parts: dict[str, Part] = {}
        for name, k, lower in (("lower", 0, False), ("lemma", 1, True), ("pos", 2, False), ("tag", 3, False),
                               ("dep", 4, False), ("ent", 10, False)):
            values, codes = np.unique(array[:, k], return_inverse=True)
            strings = [store[h] for h in values.tolist()]
            parts[name] = codes.reshape(n).astype(np.intp), [x.lower() for x in strings] if lower else strings
        verbs, nouns = cue_verbs(), cue_nouns()
        parts["lex"] = parts["lemma"][0], ["v" if x in verbs else "n" if x in nouns else "" for x in parts["lemma"][1]]

        def column(name: str) -> list[str]:
            codes, strings = parts[name]
            return list(map(strings.__getitem__, codes.tolist()))

        self.lower = column("lower")
        self.lemma = column("lemma")
        self.pos = column("pos")
        self.tag = column("tag")
        self.dep = column("dep")
        self.lex = column("lex")
        self.head = [i + off for i, off in enumerate(heads)]
        self.space = [bool(x) for x in cols[6]]
        self.idx = cols[7]
        self.end = [i + n_ for i, n_ in zip(cols[7], cols[8], strict=True)]
        self.title = [bool(x) for x in cols[9]]
        text_ = self.text
        # more than one character, all in capitals ("WALLACE", "CNN")
        self.upper = [e - s > 1 and text_[s:e].isupper() for s, e in zip(self.idx, self.end, strict=True)]
        self.ent = column("ent")
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
        self.quotes = quotes_of(doc)
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
        self.blocked = [False] * n
        for b in boilerplate:
            for i in self.tokens_of(b.start, b.end):
                self.blocked[i] = True
        # the rules' attributions as token roles: "c" cue, "s" source, "q" content
        self.rules = list(rules or ())
        # the rule that found each (sayso.nlp.attributions.rules); "" when not known. Those marked by
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
        self._parts_of = parts
        self._vocab: dict[str, Part] | None = None
        self._cue: list[Template] | None = None
        self._base: list[Template] | None = None

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
                for i in self.words_of([*a.cue, *(a.content if name != "speaker-label" else ())])}

    def word(self, i: int) -> str:
        """Token i as written in the text (not lower-cased)."""
        return self.text[self.idx[i]:self.end[i]]

    def sentence_tokens(self, k: int) -> list[int]:
        s, e = self.sents[k]
        return [i for i in range(s, e) if not self.space[i]]

    def cue_sentences(self) -> list[list[int]]:
        """The sentences the cue tagger reads: each one's words outside page furniture (none empty)."""
        blocked = self.blocked
        words = ([i for i in self.sentence_tokens(k) if not blocked[i]] for k in range(len(self.sents)))
        return [toks for toks in words if toks]

    # --- the cue tagger's features --------------------------------------------------
    #
    # Features are made template by template over the whole article with numpy (`Template`):
    # the taggers turn each distinct string of a template into a weight row once per article
    # (sayso.nlp.attributions.crf); training joins the strings of every token.

    def cue_sequence(self, tokens: Sequence[int]) -> list[list[str]]:
        """The cue tagger's feature strings of each of these tokens (for training)."""
        return template_strings(self.cue_templates(), tokens)

    def _parts(self) -> dict[str, Part]:
        """The article's attributes as parts: a code per token and the strings coded."""
        if self._vocab is not None:
            return self._vocab
        n = self.n
        out = dict(self._parts_of)
        out["rule_role"] = (np.fromiter(map(_RULE_ROLE_CODE.__getitem__, self.rule_role), dtype=np.intp, count=n),
                            _RULE_ROLES)
        inq = np.asarray(self.inq, dtype=np.intp)
        out["quoted"] = _bools(inq >= 0)
        out["para_pos"] = np.minimum(np.asarray(self.para_pos, dtype=np.intp), 26), _BUCKETS
        self._vocab = out
        return out

    def cue_templates(self) -> list[Template]:
        """The cue tagger's features of every token."""
        if self._cue is not None:
            return self._cue
        n = self.n
        v = self._parts()
        lower, lemma, pos, tag, dep, ent = v["lower"], v["lemma"], v["pos"], v["tag"], v["dep"], v["ent"]
        lex, rule_role, quoted, para_pos = v["lex"], v["rule_role"], v["quoted"], v["para_pos"]
        head = np.asarray(self.head, dtype=np.intp)
        every = np.arange(n)

        def at(part: Part, rows: np.ndarray) -> Part:
            return part[0][rows], part[1]

        upper = np.asarray(self.upper, dtype=bool)
        qmark = np.asarray(self.qmark, dtype=bool)
        sent = np.asarray(self.sent, dtype=np.intp)
        out = [
            Template("b"), Template("w=", (lower,)), Template("l=", (lemma,)), Template("p=", (pos,)),
            Template("t=", (tag,)), Template("d=", (dep,)), Template("hl=", (at(lemma, head),)),
            Template("hp=", (at(pos, head),)), Template("ld=", (lemma, dep)), Template("lp=", (lemma, pos)),
            Template("hld=", (at(lemma, head), dep)), Template("lex=", (lex,)), Template("hlex=", (at(lex, head),)),
            Template("q=", (quoted,)), Template("rr=", (rule_role,)), Template("e=", (ent,)),
            Template("sq=", (_bools(np.asarray(self.sent_quoted, dtype=bool)[sent]),)),
            # "WALLACE: …", "Poll: …": a speaker's name and a colon open transcripts and headlines
            Template("pp=", (para_pos,)),
            Template("upper", present=upper), Template("title", present=np.asarray(self.title, dtype=bool)),
            Template("qmark", present=qmark), Template("hd=", (at(dep, head),)),
            Template("hdl=", (at(lemma, head), at(dep, head), pos)), Template("gl=", (at(lemma, head[head]),)),
            Template("suf=", ((lower[0], [x[-3:] for x in lower[1]]),)),
        ]
        # the word with its dependents: "warn|mark", "point|prep|to", "fear|nsubj|PERSON"
        deps = dep[1]
        child = np.nonzero((head != every) & np.asarray([d in CHILD_DEPS for d in deps])[dep[0]])[0]
        owner = head[child]
        kind = [deps[k] for k in dep[0][child].tolist()]
        out += [Template("c=", (at(dep, child),), owners=owner),
                Template("lcd=", (at(lemma, owner), at(dep, child)), owners=owner)]
        word = np.asarray([d in ("mark", "prep", "prt") for d in kind], dtype=bool)
        out += [Template("cw=", (at(lower, child),), word, owner),
                Template("lcw=", (at(lemma, owner), at(lower, child)), word, owner)]
        # who the subject is: a person, an organisation, a pronoun
        subject = np.asarray([d in ("nsubj", "nsubjpass") for d in kind], dtype=bool)
        named = np.asarray([bool(e) for e in ent[1]], dtype=bool)[ent[0]]
        who = np.where(named, ent[0], len(ent[1]) + pos[0]), [*ent[1], *pos[1]]
        out += [Template("se=", (at(who, child),), subject, owner),
                Template("lse=", (at(lemma, owner), at(who, child)), subject, owner),
                Template("lsl=", (at(lemma, owner), at(lemma, child)), subject, owner)]
        clause = np.zeros(n, dtype=np.intp)
        for h, d in zip(owner.tolist(), kind, strict=True):
            if d == "ccomp" or d == "xcomp":
                clause[h] = _CLAUSES.index(d)  # the last such dependent
        out.append(Template("lc=", (lemma, (clause, _CLAUSES))))
        # quotation marks close by: cues sit next to quotations
        for off in (-3, -2, -1, 1, 2, 3):
            near = (every + off >= 0) & (every + off < n)
            out.append(Template("qm" + str(off), present=near & _shifted(qmark, off)))
        # a label or a signature before a colon or a dash: "WALLACE:", "— Paul Ryan"
        label = np.asarray([x == ":" or x in DASHES for x in lower[1]], dtype=bool)[lower[0]] & (every > 0)
        before = np.maximum(every - 1, 0)
        out += [Template("pu=", (_bools(upper[before]),), label), Template("pe=", (at(ent, before),), label),
                Template("pq=", (at(quoted, before),), label), Template("ppp=", (at(para_pos, before),), label)]
        space = np.asarray(self.space, dtype=bool)
        for off in (-2, -1, 1, 2):
            # a neighbour in the same sentence, or none ("edge")
            j = np.clip(every + off, 0, max(n - 1, 0))
            near = (every + off >= 0) & (every + off < n) & ~space[j] & (sent[j] == sent)
            out += [Template(f"{off}l=", (at(lemma, j),), near), Template(f"{off}p=", (at(pos, j),), near)]
            if off in (-1, 1):
                out += [Template(f"{off}rr=", (at(rule_role, j),), near), Template(f"{off}lex=", (at(lex, j),), near)]
            out.append(Template(f"{off}edge", present=~near))
        out += [Template("bi=", (at(lemma, np.maximum(every - 1, 0)), lemma), every > 0),
                Template("bi+=", (lemma, at(lemma, np.minimum(every + 1, max(n - 1, 0)))), every < n - 1)]
        self._cue = out
        return out

    # --- the role tagger's features -------------------------------------------------

    def base(self, i: int) -> list[str]:
        """The role tagger's features of token i that do not depend on the cue (for training)."""
        return template_strings(self.base_templates(), [i])[0]

    def base_templates(self) -> list[Template]:
        """The role tagger's features of every token that do not depend on the cue."""
        if self._base is not None:
            return self._base
        n = self.n
        v = self._parts()
        lower, pos, dep, ent = v["lower"], v["pos"], v["dep"], v["ent"]
        head = np.asarray(self.head, dtype=np.intp)
        every = np.arange(n)
        before, after = np.maximum(every - 1, 0), np.minimum(every + 1, max(n - 1, 0))
        has_before, has_after = every > 0, every < n - 1
        self._base = [
            Template("b"), Template("w=", (lower,)), Template("l=", (v["lemma"],)), Template("p=", (pos,)),
            Template("t=", (v["tag"],)), Template("d=", (dep,)), Template("hp=", ((pos[0][head], pos[1]),)),
            Template("dd=", (dep, (dep[0][head], dep[1]))), Template("q=", (v["quoted"],)),
            Template("lex=", (v["lex"],)), Template("qmark", present=np.asarray(self.qmark, dtype=bool)),
            Template("title", present=np.asarray(self.title, dtype=bool)),
            Template("e=", (ent,), np.asarray([bool(e) for e in ent[1]], dtype=bool)[ent[0]]),
            Template("first", present=np.asarray(self.first, dtype=bool)),
            Template("last", present=np.asarray(self.last, dtype=bool)),
            Template("-1w=", ((lower[0][before], lower[1]),), has_before),
            Template("-1p=", ((pos[0][before], pos[1]),), has_before),
            Template("+1w=", ((lower[0][after], lower[1]),), has_after),
            Template("+1p=", ((pos[0][after], pos[1]),), has_after),
        ]
        return self._base

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
        """The role tagger's feature strings of each window token (for training)."""
        return [base + rel for base, rel in zip(template_strings(self.base_templates(), window),
                                                self.relative_sequence(cue, window), strict=True)]

    def relative_sequence(self, cue: Sequence[int], window: Sequence[int]) -> list[list[str]]:
        """The role tagger's features of each window token that depend on the cue."""
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
        sent, inq, pos, dep, lower = self.sent, self.inq, self.pos, self.dep, self.lower
        rule_attr, rule_role = self.rule_attr, self.rule_role
        first_cue, last_cue = cue[0], cue[-1]
        # the strings that depend only on the side, the distance or the attachment, made once per cue
        by_side = {side: ("s=" + side, _SIDE_DISTANCE[side], "cl=" + cue_lemma + "|" + side,
                          ("qs=False" + side, "qs=True" + side)) for side in "LR"}
        by_attachment: dict[str, tuple[str, str, str, str, str]] = {}
        for i in window:
            if i in cue_set:
                seq.append(["iscue"])
                continue
            side = "L" if i < ch else "R"
            side_name, distances, cue_side, quoted = by_side[side]
            at, top = attachment(i)
            names = by_attachment.get(at)
            if names is None:
                names = by_attachment[at] = ("at=" + at, "ats=" + at + "|L", "ats=" + at + "|R", "atp=" + at + "|",
                                             "cla=" + cue_lemma + "|" + at)
            ds = sent[i] - cue_sent
            qi = inq[i]
            feats = [
                side_name, distances[min(abs(i - ch), 26) if i < first_cue or i > last_cue else 0], names[0],
                names[1] if side == "L" else names[2], names[3] + pos[i], _SENT_DISTANCE[max(-2, min(2, ds)) + 2],
                cue_side, names[4], quoted[qi >= 0], _SAME_QUOTE[cq >= 0 and qi == cq],
            ]
            if top == i:
                feats.append("top")  # the dependent itself: where a span tends to start
            if dep[top] in VIA_DEPS:
                feats.append("atw=" + at + "|" + lower[top])  # "c:prep|on": at a rally, on Twitter
            role = rule_role[i]
            if rule >= 0 and rule_attr[i] == rule:
                feats.append("r=" + role)
            elif role:
                feats.append("ro=" + role)
            seq.append(feats)
        return seq


def doc_features(doc: Doc, boilerplate: Sequence[Boilerplate], use_rules: bool) -> DocFeatures:
    """A document's features, with the rules' attributions among them if the model uses them."""
    if not use_rules:
        return DocFeatures(doc, boilerplate)
    found = rule_attributions(doc, boilerplate)
    return DocFeatures(doc, boilerplate, [a for _, a in found], [rule for rule, _ in found])
