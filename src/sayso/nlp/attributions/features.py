"""The taggers' features: per-token arrays of one parsed article, computed once
(`DocFeatures`), because Python feature extraction is the main cost next to the
parse. The rule-based finder runs first and its output is a feature of both
taggers: the CRFs learn when to trust it."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from spacy.attrs import DEP, ENT_TYPE, HEAD, IDX, IS_SPACE, IS_TITLE, LEMMA, LENGTH, LOWER, POS, TAG
from spacy.tokens import Doc

from sayso.nlp.attributions.layout import DASHES, SIGNATURE_RULES
from sayso.nlp.attributions.rules import rule_attributions
from sayso.nlp.lexicon import cue_nouns, cue_verbs
from sayso.nlp.quotes import quotes_of, text_of
from sayso.record import Attribution, Boilerplate, Span

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
        verbs, nouns = cue_verbs(), cue_nouns()
        self.lex = [("v" if lem in verbs else "n" if lem in nouns else "")
                    for lem in self.lemma]
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
