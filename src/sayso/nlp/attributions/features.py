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


# the cue features' strings that take few values, made once
_IN_QUOTE = ("q=False", "q=True")
_SENT_QUOTED = ("sq=False", "sq=True")
_PREV_IN_QUOTE = ("pq=False", "pq=True")
_PREV_UPPER = ("pu=False", "pu=True")
_PARA_POS = ["pp=" + _dist_bucket(d) for d in range(27)]  # 26 and beyond: one bucket
_PREV_PARA_POS = ["ppp=" + _dist_bucket(d) for d in range(27)]
_SENT_DISTANCE = [f"ds={d}" for d in range(-2, 3)]
_SAME_QUOTE = ("sq=False", "sq=True")
_SIDE_DISTANCE = {side: ["sd=" + side + _dist_bucket(d) for d in range(27)] for side in "LR"}
_QUOTE_MARK_NEAR = [(off, "qm" + str(off)) for off in (-3, -2, -1, 1, 2, 3)]
# neighbour offset -> prefixes of its lemma, POS, "no neighbour" (and for ±1: rule role, lexicon)
_NEIGHBOURS = [(off, (f"{off}l=", f"{off}p=", f"{off}edge") + ((f"{off}rr=", f"{off}lex=") if off in (-1, 1) else ()))
               for off in (-2, -1, 1, 2)]


class DocFeatures:
    """Per-token arrays of one parsed article, computed once."""

    def __init__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = (),
                 rules: Sequence[Attribution] | None = None, rule_names: Sequence[str] = (),
                 role_known: frozenset[str] | None = None):
        self.doc = doc
        # the strings the role tagger has weights for (None: all, as in training). CRFsuite skips any
        # other, so leaving those of a token's own features out (made once, read in every window of
        # the token) changes no score and saves the lookups; testing strings made anew for each
        # token of each window would cost more than it saves
        self.role_known = role_known
        self.text = text = text_of(doc)
        n = len(doc)
        self.n = n
        # one pass over spaCy's arrays: making Token objects is the costliest part of feature extraction
        array = doc.to_array(ATTRS)
        cols = array.T.tolist()
        heads = array[:, 5].astype("int64").tolist()  # HEAD is a signed offset stored unsigned
        strings = doc.vocab.strings

        def names(column: list[int], lower: bool = False) -> list[str]:
            # each distinct string looked up once, then a C-level map over the column
            table = {h: (strings[h].lower() if lower else strings[h]) for h in set(column)}
            return list(map(table.__getitem__, column))

        self.lower = names(cols[0])
        self.lemma = names(cols[1], lower=True)
        self.pos = names(cols[2])
        self.tag = names(cols[3])
        self.dep = names(cols[4])
        self.head = [i + off for i, off in enumerate(heads)]
        self.space = [bool(x) for x in cols[6]]
        self.idx = cols[7]
        self.end = [i + n_ for i, n_ in zip(cols[7], cols[8], strict=True)]
        self.title = [bool(x) for x in cols[9]]
        text_ = self.text
        # more than one character, all in capitals ("WALLACE", "CNN")
        self.upper = [e - s > 1 and text_[s:e].isupper() for s, e in zip(self.idx, self.end, strict=True)]
        self.ent = names(cols[10])
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
        return self.cue_sequence([i])[0]

    def cue_sequence(self, tokens: Sequence[int]) -> list[list[str]]:
        """The cue tagger's features of each of these tokens (a sentence's words).
        One call per sentence with the arrays bound to locals: this runs for every
        word of every text, so interpreter overhead per feature is most of its cost."""
        lower, lemma, pos, tag, dep, head = self.lower, self.lemma, self.pos, self.tag, self.dep, self.head
        lex, inq, rule_role, ent, sent = self.lex, self.inq, self.rule_role, self.ent, self.sent
        para_pos, sent_quoted, title, qmark = self.para_pos, self.sent_quoted, self.title, self.qmark
        children, space, upper = self.children, self.space, self.upper
        n = self.n
        out = []
        for i in tokens:
            h = head[i]
            lem, lh, di, pi = lemma[i], lemma[h], dep[i], pos[i]
            feats = [
                "b", "w=" + lower[i], "l=" + lem, "p=" + pi, "t=" + tag[i], "d=" + di,
                "hl=" + lh, "hp=" + pos[h], "ld=" + lem + "|" + di,
                "lp=" + lem + "|" + pi, "hld=" + lh + "|" + di,
                "lex=" + lex[i], "hlex=" + lex[h], _IN_QUOTE[inq[i] >= 0],
                "rr=" + rule_role[i], "e=" + ent[i], _SENT_QUOTED[sent_quoted[sent[i]]],
                # "WALLACE: …", "Poll: …": a speaker's name and a colon open transcripts and headlines
                _PARA_POS[min(para_pos[i], 26)],
            ]
            if upper[i]:
                feats.append("upper")
            if title[i]:
                feats.append("title")
            if qmark[i]:
                feats.append("qmark")
            dh = dep[h]
            feats += ["hd=" + dh, "hdl=" + lh + "|" + dh + "|" + pi, "gl=" + lemma[head[h]], "suf=" + lower[i][-3:]]
            clause = ""
            for c in children[i]:
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
                        who = ent[c] or pos[c]
                        feats.append("se=" + who)
                        feats.append("lse=" + lem + "|" + who)
                        feats.append("lsl=" + lem + "|" + lemma[c])
                    elif d == "ccomp" or d == "xcomp":
                        clause = d
            feats.append("lc=" + lem + "|" + clause)
            # quotation marks close by: cues sit next to quotations
            for off, name in _QUOTE_MARK_NEAR:
                j = i + off
                if 0 <= j < n and qmark[j]:
                    feats.append(name)
            word = lower[i]  # as written, for these marks
            if (word == ":" or word in DASHES) and i > 0:
                # a label or a signature before a colon or a dash: "WALLACE:", "— Paul Ryan"
                p = i - 1
                feats += [_PREV_UPPER[upper[p]], "pe=" + ent[p], _PREV_IN_QUOTE[inq[p] >= 0],
                          _PREV_PARA_POS[min(para_pos[p], 26)]]
            k = sent[i]
            for off, names in _NEIGHBOURS:
                j = i + off
                if 0 <= j < n and not space[j] and sent[j] == k:
                    feats.append(names[0] + lemma[j])
                    feats.append(names[1] + pos[j])
                    if len(names) > 3:
                        feats.append(names[3] + rule_role[j])
                        feats.append(names[4] + lex[j])
                else:
                    feats.append(names[2])
            if i > 0:
                feats.append("bi=" + lemma[i - 1] + "|" + lem)
            if i + 1 < n:
                feats.append("bi+=" + lem + "|" + lemma[i + 1])
            out.append(feats)
        return out

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
            known = self.role_known
            if known is not None:
                cached = self._base[i] = [x for x in cached if x in known]
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
        base, sent, inq, pos, dep, lower = self.base, self.sent, self.inq, self.pos, self.dep, self.lower
        rule_attr, rule_role = self.rule_attr, self.rule_role
        first_cue, last_cue = cue[0], cue[-1]
        # the strings that depend only on the side, the distance or the attachment, made once per cue
        by_side = {side: ("s=" + side, _SIDE_DISTANCE[side], "cl=" + cue_lemma + "|" + side,
                          ("qs=False" + side, "qs=True" + side)) for side in "LR"}
        by_attachment: dict[str, tuple[str, str, str, str, str]] = {}
        for i in window:
            feats = list(base(i))  # a copy: the cached list is the token's in every window
            if i in cue_set:
                feats.append("iscue")
                seq.append(feats)
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
            feats += [
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


def doc_features(doc: Doc, boilerplate: Sequence[Boilerplate], use_rules: bool,
                 role_known: frozenset[str] | None = None) -> DocFeatures:
    """A document's features, with the rules' attributions among them if the model uses them;
    `role_known`: the strings the role tagger knows (None: all)."""
    if not use_rules:
        return DocFeatures(doc, boilerplate, role_known=role_known)
    found = rule_attributions(doc, boilerplate)
    return DocFeatures(doc, boilerplate, [a for _, a in found], [rule for rule, _ in found], role_known)
