"""The taggers' features: per-token arrays of one parsed article, computed once
(`DocFeatures`), because Python feature extraction is the main cost next to the
parse. The rule-based finder runs first and its output is a feature of both
taggers: the CRFs learn when to trust it."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

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
MAX_NAMES = 50_000  # values remembered per template; past it the table starts again (a long run meets many)


class Names(dict):  # type: ignore[type-arg]
    """One template's feature strings by value (a string, or a tuple of strings
    joined by "|"), each made once: `prefix + value`, or None when the tagger
    does not know that string. CRFsuite skips attributes it does not know, so
    leaving them out changes no score; it saves making the string and
    CRFsuite's lookup of it (a quarter of the cue tagger's strings)."""

    __slots__ = ("key", "known", "prefix")

    def __init__(self, prefix: str, known: frozenset[str] | None, key: Callable[[str], str] | None = None):
        super().__init__()
        self.prefix, self.known, self.key = prefix, known, key

    def __missing__(self, value: str | tuple[str, ...]) -> str | None:
        if isinstance(value, tuple):
            text = "|".join(value)
        else:
            text = self.key(value) if self.key else value
        name: str | None = self.prefix + text
        if self.known is not None and name not in self.known:
            name = None
        if len(self) >= MAX_NAMES:
            self.clear()
        self[value] = name
        return name


class FeatureNames:
    """The feature strings one tagger reads: `known` holds those its model has
    weights for (None, when training: every string)."""

    def __init__(self, known: frozenset[str] | None = None):
        self.known = known
        self._tables: dict[str, Names] = {}
        keep = self.keep
        self.in_quote = tuple(map(keep, _IN_QUOTE))
        self.sent_quoted = tuple(map(keep, _SENT_QUOTED))
        self.prev_in_quote = tuple(map(keep, _PREV_IN_QUOTE))
        self.prev_upper = tuple(map(keep, _PREV_UPPER))
        self.para_pos = list(map(keep, _PARA_POS))
        self.prev_para_pos = list(map(keep, _PREV_PARA_POS))
        self.sent_distance = list(map(keep, _SENT_DISTANCE))
        self.same_quote = tuple(map(keep, _SAME_QUOTE))
        self.side_distance = {side: list(map(keep, d)) for side, d in _SIDE_DISTANCE.items()}
        self.quote_mark_near = [(off, keep(name)) for off, name in _QUOTE_MARK_NEAR]
        self.neighbours = [(off, (self.table(names[0]), self.table(names[1]), keep(names[2]),
                                  *(self.table(x) for x in names[3:])))
                           for off, names in _NEIGHBOURS]

    def keep(self, name: str) -> str | None:
        return name if self.known is None or name in self.known else None

    def table(self, prefix: str, key: Callable[[str], str] | None = None) -> Names:
        table = self._tables.get(prefix)
        if table is None:
            table = self._tables[prefix] = Names(prefix, self.known, key)
        return table


ALL_NAMES = FeatureNames()  # every feature string: for training, and for a model without its names


def _suffix(word: str) -> str:
    return word[-3:]


class DocFeatures:
    """Per-token arrays of one parsed article, computed once."""

    def __init__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = (),
                 rules: Sequence[Attribution] | None = None, rule_names: Sequence[str] = (),
                 names: tuple[FeatureNames, FeatureNames] = (ALL_NAMES, ALL_NAMES)):
        self.doc = doc
        self.cue_names, self.role_names = names  # the strings each tagger knows
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
        One call per sentence with the arrays and the templates' tables bound to
        locals: this runs for every word of every text, so interpreter overhead
        per feature is most of its cost. Strings the tagger does not know are
        left out (`Names`)."""
        lower, lemma, pos, tag, dep, head = self.lower, self.lemma, self.pos, self.tag, self.dep, self.head
        lex, inq, rule_role, ent, sent = self.lex, self.inq, self.rule_role, self.ent, self.sent
        para_pos, sent_quoted, title, qmark = self.para_pos, self.sent_quoted, self.title, self.qmark
        children, space, upper = self.children, self.space, self.upper
        n = self.n
        names = self.cue_names
        table, keep = names.table, names.keep
        (w_, l_, p_, t_, d_, hl_, hp_, ld_, lp_, hld_, lex_, hlex_, rr_, e_, hd_, hdl_, gl_, c_, lcd_, cw_, lcw_,
         se_, lse_, lsl_, lc_, pe_, bi_, bip_) = map(table, (
             "w=", "l=", "p=", "t=", "d=", "hl=", "hp=", "ld=", "lp=", "hld=", "lex=", "hlex=", "rr=", "e=",
             "hd=", "hdl=", "gl=", "c=", "lcd=", "cw=", "lcw=", "se=", "lse=", "lsl=", "lc=", "pe=", "bi=", "bi+="))
        suf_ = table("suf=", _suffix)
        bias, upper_, title_, qmark_ = keep("b"), keep("upper"), keep("title"), keep("qmark")
        in_quote, quoted_sent, at_para = names.in_quote, names.sent_quoted, names.para_pos
        prev_upper, prev_in_quote, prev_at_para = names.prev_upper, names.prev_in_quote, names.prev_para_pos
        marks_near, neighbours = names.quote_mark_near, names.neighbours
        out = []
        for i in tokens:
            h = head[i]
            word, lem, lh, di, pi = lower[i], lemma[i], lemma[h], dep[i], pos[i]
            feats = [
                bias, w_[word], l_[lem], p_[pi], t_[tag[i]], d_[di],
                hl_[lh], hp_[pos[h]], ld_[lem, di], lp_[lem, pi], hld_[lh, di],
                lex_[lex[i]], hlex_[lex[h]], in_quote[inq[i] >= 0],
                rr_[rule_role[i]], e_[ent[i]], quoted_sent[sent_quoted[sent[i]]],
                # "WALLACE: …", "Poll: …": a speaker's name and a colon open transcripts and headlines
                at_para[min(para_pos[i], 26)],
            ]
            if upper[i]:
                feats.append(upper_)
            if title[i]:
                feats.append(title_)
            if qmark[i]:
                feats.append(qmark_)
            dh = dep[h]
            feats += [hd_[dh], hdl_[lh, dh, pi], gl_[lemma[head[h]]], suf_[word]]
            clause = ""
            for c in children[i]:
                d = dep[c]
                if d in CHILD_DEPS:
                    feats.append(c_[d])
                    # the word with its dependents: "warn|mark", "point|prep|to", "fear|nsubj|PERSON"
                    feats.append(lcd_[lem, d])
                    if d == "mark" or d == "prep" or d == "prt":
                        feats.append(cw_[lower[c]])
                        feats.append(lcw_[lem, lower[c]])
                    elif d == "nsubj" or d == "nsubjpass":
                        # who the subject is: a person, an organisation, a pronoun
                        who = ent[c] or pos[c]
                        feats.append(se_[who])
                        feats.append(lse_[lem, who])
                        feats.append(lsl_[lem, lemma[c]])
                    elif d == "ccomp" or d == "xcomp":
                        clause = d
            feats.append(lc_[lem, clause])
            # quotation marks close by: cues sit next to quotations
            for off, name in marks_near:
                j = i + off
                if 0 <= j < n and qmark[j]:
                    feats.append(name)
            if (word == ":" or word in DASHES) and i > 0:
                # a label or a signature before a colon or a dash: "WALLACE:", "— Paul Ryan"
                p = i - 1
                feats += [prev_upper[upper[p]], pe_[ent[p]], prev_in_quote[inq[p] >= 0],
                          prev_at_para[min(para_pos[p], 26)]]
            k = sent[i]
            for off, near in neighbours:
                j = i + off
                if 0 <= j < n and not space[j] and sent[j] == k:
                    feats.append(near[0][lemma[j]])
                    feats.append(near[1][pos[j]])
                    if len(near) > 3:
                        feats.append(near[3][rule_role[j]])
                        feats.append(near[4][lex[j]])
                else:
                    feats.append(near[2])
            if i > 0:
                feats.append(bi_[lemma[i - 1], lem])
            if i + 1 < n:
                feats.append(bip_[lem, lemma[i + 1]])
            out.append(list(filter(None, feats)))
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
            known = self.role_names.known
            if known is not None:  # what the tagger does not know changes no score (`Names`)
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
        # the strings that depend only on the side, the distance or the attachment, made once per cue;
        # None for those the tagger does not know (`Names`)
        names = self.role_names
        keep = names.keep
        atp_, atw_, r_, ro_ = map(names.table, ("atp=", "atw=", "r=", "ro="))
        is_cue, top_, sent_distance, same_quote = keep("iscue"), keep("top"), names.sent_distance, names.same_quote
        by_side = {side: (keep("s=" + side), names.side_distance[side], keep("cl=" + cue_lemma + "|" + side),
                          (keep("qs=False" + side), keep("qs=True" + side))) for side in "LR"}
        by_attachment: dict[str, tuple[str | None, ...]] = {}
        for i in window:
            feats = list(base(i))
            if i in cue_set:
                if is_cue:
                    feats.append(is_cue)
                seq.append(feats)
                continue
            side = "L" if i < ch else "R"
            side_name, distances, cue_side, quoted = by_side[side]
            at, top = attachment(i)
            at_names = by_attachment.get(at)
            if at_names is None:
                at_names = by_attachment[at] = (keep("at=" + at), keep("ats=" + at + "|L"), keep("ats=" + at + "|R"),
                                                keep("cla=" + cue_lemma + "|" + at))
            ds = sent[i] - cue_sent
            qi = inq[i]
            feats += [
                side_name, distances[min(abs(i - ch), 26) if i < first_cue or i > last_cue else 0], at_names[0],
                at_names[1] if side == "L" else at_names[2], atp_[at, pos[i]],
                sent_distance[max(-2, min(2, ds)) + 2], cue_side, at_names[3], quoted[qi >= 0],
                same_quote[cq >= 0 and qi == cq],
            ]
            if top == i:
                feats.append(top_)  # the dependent itself: where a span tends to start
            if dep[top] in VIA_DEPS:
                feats.append(atw_[at, lower[top]])  # "c:prep|on": at a rally, on Twitter
            role = rule_role[i]
            if rule >= 0 and rule_attr[i] == rule:
                feats.append(r_[role])
            elif role:
                feats.append(ro_[role])
            seq.append(list(filter(None, feats)))
        return seq


def doc_features(doc: Doc, boilerplate: Sequence[Boilerplate], use_rules: bool,
                 names: tuple[FeatureNames, FeatureNames] = (ALL_NAMES, ALL_NAMES)) -> DocFeatures:
    """A document's features, with the rules' attributions among them if the model uses them;
    `names`: the strings the cue and the role tagger know."""
    if not use_rules:
        return DocFeatures(doc, boilerplate, names=names)
    found = rule_attributions(doc, boilerplate)
    return DocFeatures(doc, boilerplate, [a for _, a in found], [rule for rule, _ in found], names)
