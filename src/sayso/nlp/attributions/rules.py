"""Finding attributions in a parsed article: who (source) says (cue) what (content).

The rules read spaCy's dependency parse, the cue lexicon (sayso/nlp/data/cues.tsv)
and the article's quotation marks. They cover direct quotes (before or after
the cue, inverted, split around the cue, over several sentences and
paragraphs), mixed and scare quotes, indirect speech with and without "that",
wh-clauses, "according to", nominal cues ("allegations", "a statement"),
belief and intention verbs, and attributions with no stated source.

`find_attributions` is the one entry point; what page layout marks (signatures,
speaker labels) is read in `layout`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Doc, Token
from spacy.tokens import Span as DocSpan

from sayso.nlp.attributions.candidates import Candidate, trim
from sayso.nlp.attributions.layout import SIGNATURE_RULES, drop_inside_signatures, signature_candidates
from sayso.nlp.lexicon import cue_nouns, cue_verbs, speech_verbs, verb_lemma
from sayso.nlp.quotes import Quote, QuoteIndex, kind_of, quotes_of
from sayso.nlp.ranges import Ranges
from sayso.record import Attribution, Boilerplate, Span, text_of

SUBJECTS = {"nsubj", "nsubjpass", "csubj"}
CLAUSES = {"ccomp", "xcomp", "csubj"}
# Verbs whose direct object is what was said ("confirmed the plan", "highlighted X").
OBJECT_CONTENT_VERBS = {
    "confirm", "deny", "highlight", "describe", "detail", "announce", "reveal", "admit",
    "acknowledge", "reject", "dismiss", "dispute", "question", "predict", "propose", "suggest",
    "recommend", "demand", "promise", "pledge", "vow", "claim", "allege", "cite", "mention",
    "stress", "emphasize", "emphasise", "note", "criticize", "criticise", "condemn", "denounce",
    "praise", "welcome", "support", "endorse", "oppose", "want", "fear", "expect", "explain",
    "outline", "echo", "repeat", "reiterate", "urge", "back", "blame", "decry", "lament",
    "say", "write", "tweet", "post", "read", "report", "estimate", "know", "believe",
}
# Verbs whose object is the addressee, not the content ("told reporters").
ADDRESSEE_VERBS = {"tell", "ask", "inform", "assure", "remind", "urge", "warn", "brief", "thank"}
THOUGHT_XCOMP_VERBS = {"want", "plan", "hope", "expect", "intend", "wish", "promise", "pledge",
                       "vow", "refuse", "decline", "seek", "threaten", "offer", "decide", "agree",
                       "prefer", "like", "appear", "seem", "claim", "purport", "urge", "fear"}
# Verbs of the lexicon that are too often not attributions when they stand alone.
NEEDS_CLAUSE = {"see", "know", "find", "show", "put", "read", "call", "point", "continue", "add",
                "release", "publish", "post", "list", "document", "establish", "determine",
                "learn", "understand", "view", "like", "favor", "favour", "back", "support",
                "oppose", "offer", "order", "decide", "plan", "vote", "consider", "project",
                "calculate", "excuse", "charge", "speak", "talk", "discuss", "address", "answer",
                "respond", "reply", "attack", "hit", "celebrate", "cheer", "thank", "welcome",
                "refuse", "decline", "seek", "request", "intend", "wish", "prefer", "agree",
                "reject", "dismiss", "challenge", "question", "deny", "dispute", "hail", "laud"}
WH_WORDS = {"how", "what", "why", "whether", "where", "when", "who", "which", "if"}
PERSONAL_PRONOUNS = {"i", "we", "you", "me", "us"}
VERB_TAGS = {"VB", "VBD", "VBG", "VBN", "VBP", "VBZ"}


def _verb_lemma(tok: Token) -> str:
    """The verb lemma of a token, also when the tagger took it for a noun or
    adjective ("The audio details how…", "The former general highlighted…")."""
    return verb_lemma(tok.lemma_, tok.lower_)


def _looks_like_verb(tok: Token, sent: DocSpan) -> bool:
    """A cue word the tagger mislabelled, standing between a subject and a clause."""
    if tok.pos_ == "VERB" or tok.tag_ in VERB_TAGS:
        return True
    if tok.i == sent.start or tok.i + 1 >= sent.end:
        return False
    prev, nxt = tok.doc[tok.i - 1], tok.doc[tok.i + 1]
    low = tok.lower_
    if not (low.endswith("s") or low.endswith("ed")):
        return False
    if prev.pos_ in ("DET", "ADP", "AUX") or not prev.is_alpha:
        return False
    return nxt.lower_ in WH_WORDS or nxt.lower_ == "that" or nxt.is_quote or nxt.pos_ in (
        "DET", "PRON", "PROPN")


def _misparsed(tok: Token, sent: DocSpan) -> bool:
    """The parser missed that this cue word is the sentence's verb: it hung it
    on a noun, or made it a noun, in a sentence whose root is no verb."""
    if tok.pos_ not in ("VERB", "AUX") and tok.tag_ not in VERB_TAGS:
        return sent.root.pos_ not in ("VERB", "AUX") or tok.dep_ == "ROOT"
    return tok.dep_ in ("amod", "compound") and sent.root.pos_ not in ("VERB", "AUX")


def _subtree_ids(tok: Token, stop: Iterable[int] = ()) -> list[int]:
    stop_set = set(stop)
    out: list[int] = []
    todo = [tok]
    while todo:
        t = todo.pop()
        if t.i in stop_set:
            continue
        out.append(t.i)
        todo.extend(t.children)
    return sorted(out)


# prepositions whose participle shares the subject of the verb they hang on
PARTICIPLE_PREPOSITIONS = frozenset({"before", "after", "while", "by", "without", "since", "when"})


def _subject(verb: Token, depth: int = 0) -> tuple[Token | None, bool]:
    """The subject of a verb, following conjunctions and control verbs up;
    and whether the clause is a passive with a dummy subject ("It is alleged")."""
    for child in verb.children:
        if child.dep_ in SUBJECTS:
            if child.tag_ in ("WP", "WDT") and verb.dep_ == "relcl":
                return verb.head, False  # "officials who said…": the officials
            if child.lower_ == "it" and child.dep_ == "nsubjpass":
                return None, True
            if child.dep_ == "nsubjpass":
                for c in verb.children:
                    if c.dep_ == "agent":
                        objs = [o for o in c.children if o.dep_ == "pobj"]
                        if objs:
                            return objs[0], False
                if child.lower_ in ("it", "this", "that"):
                    return None, True
                return child, False
            if child.dep_ == "expl":
                return None, True
            return child, False
        if child.dep_ == "expl":
            return None, True
    if depth < 3 and verb.dep_ in ("conj", "xcomp", "advcl") and verb.head is not verb:
        return _subject(verb.head, depth + 1)
    if depth < 3 and verb.dep_ == "pcomp" and verb.tag_ == "VBG" and verb.head.lower_ in PARTICIPLE_PREPOSITIONS:
        return _subject(verb.head.head, depth + 1)  # "he admitted, before adding: …": he
    if verb.dep_ in ("acl", "relcl") and verb.head is not verb:
        return verb.head, False
    return None, False


def _inverted_speaker(verb: Token, sent: DocSpan, quotes: QuoteIndex) -> Token | None:
    """The speaker after the cue that the parser took for its object: in "“…,” added the
    agency." the quotation comes first and the noun phrase closes the clause."""
    doc = verb.doc
    if not _after_quotation(doc[sent.start:verb.i], quotes):
        return None
    for child in verb.children:
        if child.dep_ in ("dobj", "attr", "npadvmod") and child.i > verb.i and child.pos_ in ("NOUN", "PROPN"):
            rest = [t for t in doc[child.right_edge.i + 1:sent.end] if not t.is_space]
            if all(t.is_punct for t in rest) or (rest and rest[0].text in (",", ";", "—", "–")):
                return child
    return None


def _speaker_after_quotation(verb: Token, sent: DocSpan, quotes: QuoteIndex) -> list[int]:
    """The words between a quotation and its cue when the parser found no subject in them:
    "“…,” the 54-year-old said." (the parser hung "the" and "old" on the verb)."""
    words = _linear_subject(verb, sent)
    if not words or not any(verb.doc[i].pos_ in ("NOUN", "PROPN", "ADJ") for i in words):
        return []
    if not _after_quotation(verb.doc[sent.start:words[0]], quotes):
        return []
    return words


def _after_quotation(before: DocSpan, quotes: QuoteIndex) -> bool:
    """Whether these words end with a quotation (or with it and a comma)."""
    return any(quotes.containing(t.idx, t.idx + 1) for t in [t for t in before if not t.is_space][-2:])


def _noun_phrase_ids(head: Token) -> list[int]:
    """A source's tokens: the subject's subtree, without relative clauses
    that come after a comma (kept short, as annotators mark sources)."""
    ids = _subtree_ids(head)
    return [i for i in ids if not head.doc[i].is_space]


def _linear_subject(tok: Token, sent: DocSpan) -> list[int]:
    """For a misparsed cue: the noun phrase right before it."""
    ids: list[int] = []
    i = tok.i - 1
    while i >= sent.start:
        t = tok.doc[i]
        hyphen = t.text in ("-", "‑") and not t.whitespace_ and i > sent.start and not tok.doc[i - 1].whitespace_
        if t.pos_ in ("DET", "ADJ", "NOUN", "PROPN", "NUM", "PRON") or t.tag_ == "POS" or hyphen or (
            t.pos_ == "VERB" and t.tag_ == "VBN" and i > sent.start
        ):
            ids.append(i)
            i -= 1
            continue
        break
    return sorted(ids)




def _to_ranges(doc: Doc, ids: Sequence[int]) -> list[tuple[int, int]]:
    """Token ids to character ranges, joining neighbours."""
    text = text_of(doc)
    ranges: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        t = doc[i]
        if t.is_space:
            continue
        start, end = t.idx, t.idx + len(t.text)
        if ranges and (ranges[-1][1] == start or not text[ranges[-1][1]:start].strip()):
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def _widen_to_quotes(ranges: list[tuple[int, int]], quotes: QuoteIndex) -> list[tuple[int, int]]:
    """Content that cuts a quotation is widened to hold all of it."""
    out = []
    for start, end in ranges:
        for q in quotes.overlapping(start, end):
            start, end = min(start, q.start), max(end, q.end)
        out.append((start, end))
    return out


def _merge(ranges: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and (start <= out[-1][1] or not text[out[-1][1]:start].strip(" \t")):
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


class RuleFinder:
    """The rule-based attribution finder."""

    def __call__(self, doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> list[Attribution]:
        return find_attributions(doc, boilerplate)


def find_attributions(doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> list[Attribution]:
    """All attributions of a parsed article, in text order, as records."""
    return [a for _, a in rule_attributions(doc, boilerplate)]


def rule_attributions(doc: Doc, boilerplate: Sequence[Boilerplate] = ()) -> list[tuple[str, Attribution]]:
    """The attributions with the name of the rule that found each (`SIGNATURE_RULES`
    name those marked by layout, which the learned model defers to)."""
    text = text_of(doc)
    quotes = quotes_of(doc)
    blocked = Ranges((b.start, b.end) for b in boilerplate)
    in_boilerplate = blocked.overlaps

    candidates: list[Candidate] = []
    used_quotes: set[int] = set()
    for sent in doc.sents:
        if in_boilerplate(sent.start_char, sent.end_char):
            continue
        candidates.extend(_sentence_candidates(sent, quotes, used_quotes))
    candidates += [c for c in signature_candidates(doc, text, quotes)
                   if not in_boilerplate(c.content[0][0], c.content[-1][1])]
    candidates = _drop_nested(_split_coordinated(drop_inside_signatures(candidates, doc), doc, quotes), doc, quotes)
    candidates.sort(key=lambda c: c.cue[0])
    _continue_quotes(candidates, quotes, text)
    return [(c.rule, _to_record(doc, c, quotes)) for c in candidates]


def _sentence_candidates(sent, quotes: QuoteIndex, used_quotes: set[int]) -> list[Candidate]:
    doc = sent.doc
    found: list[Candidate] = []
    taken: set[int] = set()
    verbs = cue_verbs()
    nouns = cue_nouns()
    for tok in sent:
        if tok.i in taken:
            continue
        low = tok.lower_
        # "according to X, …" / "…, according to X."
        if low == "according" and tok.i + 1 < sent.end and doc[tok.i + 1].lower_ == "to":
            cand = _according_to(tok, sent, quotes)
            if cand:
                found.append(cand)
                taken.update(cand.cue)
            continue
        lemma = _verb_lemma(tok)
        if lemma in verbs and _looks_like_verb(tok, sent) and (
            tok.dep_ not in ("amod", "compound") or _misparsed(tok, sent)
        ):
            cand = _verb_cue(tok, lemma, sent, quotes)
            if cand:
                found.append(cand)
                taken.update(cand.cue)
            continue
        if tok.pos_ == "NOUN" and tok.lemma_.lower() in nouns:
            cand = _noun_cue(tok, sent, quotes)
            if cand:
                found.append(cand)
                taken.update(cand.cue)
    return found


def _according_to(tok: Token, sent, quotes: QuoteIndex) -> Candidate | None:
    doc = tok.doc
    to = doc[tok.i + 1]
    objs = [c for c in to.children if c.dep_ == "pobj"]
    if objs:
        source = _noun_phrase_ids(objs[0])
        k = max(source) + 1 if source else 0
        if source and k < sent.end and doc[k].tag_ == "POS":
            # the owner of what is cited, the parse reading its "’s" as "is" ("the trial’s registration")
            k += 1
            while k < sent.end and doc[k].pos_ in ("ADJ", "NOUN", "PROPN", "NUM"):
                k += 1
            if doc[k - 1].pos_ in ("NOUN", "PROPN"):
                owned = [i for i in _noun_phrase_ids(doc[k - 1]) if i < sent.end]  # ", filed in 2021,"
                source = sorted({*source, *range(max(source) + 1, k), *owned})
        # a name after a description, which the parser took for the clause's subject, up to the
        # comma that ends the phrase: "According to the news agency Reuters, the company …"
        i = max(source) + 1 if source else to.i + 1
        names = []
        while i < sent.end and doc[i].pos_ == "PROPN":
            names.append(i)
            i += 1
        if names and i < sent.end and doc[i].text == "," and tok.i == sent.start:
            source = sorted({*source, *names})
        elif source and i + 1 < sent.end and doc[i].text == "," and tok.i == sent.start:
            # a name in commas after the description: "According to her business partner, Sam Oduya, …"
            k = i + 1
            while k < sent.end and doc[k].pos_ == "PROPN":
                k += 1
            # ... when a clause follows, and not a list of names ("…, Smith, Jones and Brown were …")
            if k > i + 1 and k + 1 < sent.end and doc[k].text == "," and doc[k + 1].pos_ != "PROPN" and any(
                    t.tag_ in ("VBZ", "VBD", "VBP", "MD") for t in doc[k + 1:sent.end]):
                source = sorted({*source, *range(i, k)})
    else:
        source = []
        i = to.i + 1
        # a noun phrase, an owner's possessive within it ("the trial’s original registration")
        while i < sent.end and (doc[i].pos_ in ("DET", "ADJ", "NOUN", "PROPN", "NUM", "PRON") or (
                doc[i].tag_ == "POS" and source)):
            source.append(i)
            i += 1
    if not source:
        return None
    phrase = {tok.i, to.i, *source}
    # the comma after (or before) the phrase belongs to neither side
    content_ids = [t.i for t in sent if t.i not in phrase and not t.is_space]
    if not content_ids:
        return None
    ranges = [trim(text_of(doc), s, e, quotes) for s, e in _to_ranges(doc, content_ids)]
    ranges = _merge([r for r in ranges if r[1] > r[0]], text_of(doc))
    if not ranges:
        return None
    return Candidate([tok.i, to.i], source, ranges, 0.85, "according-to")


def _adjacent_quote_before(start_char: int, sent, quotes: QuoteIndex) -> Quote | None:
    text = text_of(sent.doc)
    best = None
    for q in quotes.overlapping(max(0, sent.start_char - 2000), start_char):
        if q.end <= start_char:
            best = q
    if best and not text[best.end:start_char].strip(" \t,—–-:"):
        return best
    return None


def _adjacent_quote_after(end_char: int, sent, quotes: QuoteIndex) -> Quote | None:
    text = text_of(sent.doc)
    q = quotes.first_from(end_char)
    if q is not None and not text[end_char:q.start].strip(" \t,—–-:\n"):
        return q
    return None


def _verb_cue(tok: Token, lemma: str, sent, quotes: QuoteIndex) -> Candidate | None:
    doc = tok.doc
    text = text_of(doc)
    cue = [tok.i]
    # Particles and fixed prepositions belong to the cue: "point out", "referred to … as".
    for child in tok.children:
        if child.dep_ == "prt":
            cue.append(child.i)
    subject, dummy = _subject(tok)
    if subject is not None and quotes.containing(subject.idx, subject.idx + len(subject)) and (
        subject.lower_ in PERSONAL_PRONOUNS
    ):
        return None  # the cue is itself inside someone's quotation
    misparsed = _misparsed(tok, sent)
    source: list[int] = []
    if misparsed:
        source = _linear_subject(tok, sent)
        subject = None
    elif subject is not None:
        source = _noun_phrase_ids(subject)
    else:
        inverted = _inverted_speaker(tok, sent, quotes)
        if inverted is not None:
            subject, source = inverted, _noun_phrase_ids(inverted)
        else:
            source = _speaker_after_quotation(tok, sent, quotes)

    content_ids: list[int] = []
    content_ranges: list[tuple[int, int]] = []
    rule = "verb"
    clause = [c for c in tok.children if c.dep_ in ("ccomp",)]
    xcomp = [c for c in tok.children if c.dep_ == "xcomp"]
    objects = [c for c in tok.children if c.dep_ in ("dobj", "attr", "oprd")]
    preps = [c for c in tok.children if c.dep_ in ("prep",)]
    # "referred to X as Y" / "described X as Y"
    as_prep = [p for p in preps if p.lower_ == "as" and p.i > tok.i]
    if lemma in ("refer", "describe", "call", "label", "brand", "dub", "characterize",
                 "characterise", "term") and as_prep:
        to = [p for p in preps if p.lower_ == "to" and p.i == tok.i + 1]
        cue = [tok.i] + [p.i for p in to] + [as_prep[0].i]
        # what was said is the label ("as “jackals”"); the referent is the author's
        content_ids = [i for i in _subtree_ids(as_prep[0]) if i != as_prep[0].i]
        q = None
        for i in content_ids:
            q = quotes.containing(doc[i].idx, doc[i].idx + len(doc[i]))
            if q:
                break
        if q is not None:
            content_ids = [i for i in content_ids if doc[i].idx < q.end]
        rule = "verb-as"
    elif clause:
        content_ids = _subtree_ids(clause[0])
    elif xcomp and lemma in THOUGHT_XCOMP_VERBS:
        content_ids = _subtree_ids(xcomp[0])
    elif objects and lemma in OBJECT_CONTENT_VERBS and not (
        lemma in ADDRESSEE_VERBS and objects[0].pos_ in ("PRON", "PROPN")
    ):
        content_ids = _subtree_ids(objects[0])
        rule = "verb-object"
    # tell/ask: the content is the clause after the addressee
    if not content_ids and lemma in ADDRESSEE_VERBS:
        for c in tok.children:
            if c.dep_ in ("ccomp", "xcomp", "advcl") and c.i > tok.i:
                content_ids = _subtree_ids(c)
                break
    if not content_ids and lemma in ("rage", "rail", "fume", "lash", "hit", "complain", "joke",
                                     "boast", "warn", "speak", "talk", "write"):
        words = ("about",) if lemma in ("speak", "talk", "write") else ("at", "about", "against", "of", "over")
        about = [p for p in preps if p.lower_ in words]
        if about:
            content_ids = sorted(i for p in preps if p.i > tok.i for i in _subtree_ids(p))
            rule = "verb-prep"
    # a wh-clause the parser hung on a noun ("details how the soldiers…")
    if not content_ids:
        for c in tok.children:
            if c.dep_ in ("relcl", "advcl", "acl") and c.i > tok.i and any(
                d.lower_ in WH_WORDS | {"that"} and d.i < c.i for d in c.children
            ):
                content_ids = _subtree_ids(c)
                break
    if content_ids:
        stop = set(cue) | set(source)
        content_ids = [i for i in content_ids if i not in stop]
        content_ranges = _to_ranges(doc, content_ids)
        content_ranges = _widen_to_quotes(content_ranges, quotes)

    # Direct quotes next to the cue: “…,” he said / he said: “…” / “…,” he said, “…”
    # a subject shared with the verb the cue hangs on ("he admitted, before adding: “…”") is not next to it
    near = [] if subject is not None and subject.head.i != tok.i and subject.i < tok.i and not misparsed else source
    first = min([tok.i, *near])
    last = max([tok.i, *near, *cue])
    before = _adjacent_quote_before(doc[first].idx, sent, quotes)
    after = _adjacent_quote_after(doc[last].idx + len(doc[last]), sent, quotes)
    if before is not None and (not content_ranges or _inside_quote(content_ranges, before)):
        content_ranges = [(before.start, before.end)]
        rule = "quote-before"
        if after is not None and text[doc[last].idx + len(doc[last]):after.start].strip() in (",", ""):
            content_ranges.append((after.start, after.end))
            rule = "quote-split"
    elif not content_ranges and after is not None:
        content_ranges = [(after.start, after.end)]
        rule = "quote-after"
    elif not content_ranges and misparsed and tok.i + 1 < sent.end:
        # misparsed cue: the rest of the sentence is what was said
        content_ranges = _to_ranges(doc, [t.i for t in sent if t.i > last])
        rule = "linear"
    if not content_ranges:
        return None
    if lemma in NEEDS_CLAUSE and rule in ("verb-object", "linear") and not any(
        quotes.overlapping(s, e) for s, e in content_ranges
    ):
        return None
    if not source and not dummy and rule == "verb-object":
        return None
    ranges = []
    for s, e in content_ranges:
        s, e = trim(text, s, e, quotes)
        if e > s:
            ranges.append((s, e))
    if not ranges:
        return None
    score = {"quote-before": 0.95, "quote-after": 0.9, "quote-split": 0.95, "verb": 0.85,
             "verb-as": 0.8, "verb-object": 0.7, "verb-prep": 0.65, "linear": 0.6}[rule]
    if not source:
        score -= 0.1
    return Candidate(sorted(cue), source, _merge(ranges, text), score, rule)


def _inside_quote(ranges: list[tuple[int, int]], q: Quote) -> bool:
    return all(q.start <= s and e <= q.end for s, e in ranges)


def _noun_cue(tok: Token, sent, quotes: QuoteIndex) -> Candidate | None:
    """"allegations (that) …", "his claim that …", "a statement from the Kremlin: …"."""
    doc = tok.doc
    that_follows = tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "that"
    clause = [c for c in tok.children if c.dep_ in ("acl", "ccomp", "relcl") and c.i > tok.i and (
        any(d.lower_ == "that" and d.dep_ == "mark" for d in c.children) or c.dep_ == "ccomp"
        # "allegations that the mayor lied": the parser may read "that" as a relative pronoun
        or (that_follows and any(d.dep_ in ("nsubj", "nsubjpass") and d.lower_ != "that" for d in c.children)))]
    content_ids: list[int] = []
    if clause:
        content_ids = _subtree_ids(clause[0])
    elif tok.dep_ == "compound" and tok.head.i == tok.i + 1 and tok.lemma_.lower() in (
        "allegation", "claim", "accusation", "suggestion", "fear", "warning", "report"
    ):
        # the parser glued the cue to the next clause's subject: "allegations commanders abandoned…"
        head = tok.head
        content_ids = [i for i in range(head.i, sent.end) if not doc[i].is_space]
        while content_ids and doc[content_ids[-1]].is_punct and not doc[content_ids[-1]].is_quote:
            content_ids.pop()
        if not any(doc[i].pos_ in ("VERB", "AUX") for i in content_ids):
            return None
    if not content_ids:
        return None
    source: list[int] = []
    for c in tok.children:
        if c.dep_ == "poss":
            source = _noun_phrase_ids(c)
        elif c.dep_ == "prep" and c.lower_ in ("by", "from") and c.i < (clause[0].i if clause else 10**9):
            objs = [o for o in c.children if o.dep_ == "pobj"]
            if objs:
                source = _noun_phrase_ids(objs[0])
    content_ids = [i for i in content_ids if i not in source]
    ranges = _widen_to_quotes(_to_ranges(doc, content_ids), quotes)
    ranges = [r for r in (trim(text_of(doc), s, e, quotes) for s, e in ranges) if r[1] > r[0]]
    if not ranges:
        return None
    return Candidate([tok.i], source, _merge(ranges, text_of(doc)), 0.6, "noun")


# what joins two reports in one sentence ("…, while supporters insist …", "… and Republicans claim …")
COORDINATORS = frozenset({"and", "but", "while", "whereas", "yet"})


def coordinated_start(doc: Doc, quotes: QuoteIndex, first: int, cue: int) -> int | None:
    """Where a second speaker's report, joined by a conjunction to the words before it,
    begins: the conjunction (or the comma before it) in front of the report's `first`
    token (of its source and cue); None if it is not so joined, if the conjunction is
    quoted, or if the cue (its first token `cue`) reports a belief or a wish ("…, and he
    feels he can win": PolNeAR keeps that in the first content)."""
    if verb_lemma(doc[cue].lemma_, doc[cue].lower_) not in speech_verbs():
        return None
    k = first - 1
    while k >= 0 and doc[k].is_space:
        k -= 1
    if k < 0 or doc[k].lower_ not in COORDINATORS or doc[k].dep_ not in ("cc", "mark") or quotes.containing(
            doc[k].idx, doc[k].idx + 1) is not None:
        return None
    comma = k - 1
    return doc[comma].idx if comma >= 0 and doc[comma].text == "," else doc[k].idx


def content_before(doc: Doc, quotes: QuoteIndex, ranges: Sequence[tuple[int, int]],
                   start: int) -> list[tuple[int, int]] | None:
    """A content's character ranges ended before `start` (a coordinated report), trimmed;
    None when no clause would be left (a lone "that")."""
    text = text_of(doc)
    kept = [r for r in (trim(text, s, min(e, start), quotes) for s, e in ranges if s < start) if r[1] > r[0]]
    clause = any(t.pos_ in ("VERB", "AUX") for s, e in kept for t in doc.char_span(s, e, alignment_mode="expand")
                 or ())
    return kept if clause else None


def _split_coordinated(candidates: list[Candidate], doc: Doc, quotes: QuoteIndex) -> list[Candidate]:
    """A report joined by a conjunction to the content of the one before ("Critics argue
    the law goes too far, while supporters insist it is overdue") is not part of that
    content: the first content ends before the conjunction, and both stand. PolNeAR splits
    them so (285 of 288 such pairs in train and dev)."""
    for inner in candidates:
        start = coordinated_start(doc, quotes, min(*inner.source, *inner.cue), min(inner.cue)) if inner.source \
            else None
        if start is None:
            continue
        at = doc[inner.cue[0]].idx
        for outer in candidates:
            if outer is inner or not any(s <= at < e for s, e in outer.content):
                continue
            kept = content_before(doc, quotes, outer.content, start)
            if kept:
                outer.content = kept
    return candidates


# the rule name of a speaker's report that reaches the article through another source
# ("“We are ready,” Petrov said, according to Reuters": Petrov's words, as Reuters has them)
THROUGH_RULE = "reported-through"


def _drop_nested(candidates: list[Candidate], doc: Doc, quotes: QuoteIndex) -> list[Candidate]:
    """An attribution whose cue lies in another's content is part of what that
    one reports (PolNeAR-style univocal reading): keep the outer one. Except a
    quotation's speech verb that a later "according to" hangs on: both stand, with
    the quoted words as the content of each (as PolNeAR bounds the outer one: 6 of 7
    "“…,” X said, according to" in train and dev leave "X said" out of it). Other
    verbs stay inside ("Clinton plans to visit Ohio, according to an aide": PolNeAR
    has the one attribution, the plan its content)."""
    contents = Ranges((r for c in candidates for r in c.content),
                      (n for n, c in enumerate(candidates) for _ in c.content))
    according = {c.cue[0]: c for c in candidates if c.rule == "according-to"}
    kept = []
    for n, c in enumerate(candidates):
        if contents.holds(doc[c.cue[0]].idx, other_than=n):
            at = doc[c.cue[0]].idx
            host = next((o for m, o in enumerate(candidates) if m != n and any(
                a <= at < b for a, b in o.content)), None) if _joined_verb(c, doc) else None  # rare: a scan
            if host is not None and _coordinated_verb(c, host, doc, quotes):
                kept.append(c)  # "said the report was sound | and insisted …": two reports
                continue
            outer = _reporting(c, according, doc)
            quoted = all(quotes.containing(a, b) is not None for a, b in c.content)
            if outer is None or not c.source or not c.content or not quoted:
                continue
            outer.content = list(c.content)
            c.rule = THROUGH_RULE
        kept.append(c)
    return kept


# the rule name of a speech verb coordinated with the one before, sharing its subject
# ("The spokesman said the report was late and insisted the decision was final")
COORDINATED_RULE = "coordinated-verb"


def _joined_verb(inner: Candidate, doc: Doc) -> bool:
    """A speech verb in a conjunction, with no subject of its own."""
    verb = doc[inner.cue[0]]
    return verb.dep_ == "conj" and verb.lemma_.lower() in speech_verbs() and not any(
        c.dep_ in ("nsubj", "nsubjpass") for c in verb.children)


def _coordinated_verb(inner: Candidate, host: Candidate, doc: Doc, quotes: QuoteIndex) -> bool:
    """Whether `inner`'s speech verb, inside `host`'s content, is joined by "and" or "but" to
    the verb before and shares its subject; if so, `host`'s content ends before the
    conjunction, `inner` takes `host`'s source, and both stand (PolNeAR reads them as two)."""
    verb = doc[inner.cue[0]]
    if not _joined_verb(inner, doc) or not host.source:
        return False
    k = verb.i - 1
    while k >= 0 and (doc[k].is_space or doc[k].pos_ == "ADV"):
        k -= 1
    if k < 0 or doc[k].lower_ not in ("and", "but") or quotes.containing(doc[k].idx, doc[k].idx + 1) is not None:
        return False
    start = doc[k - 1].idx if k > 0 and doc[k - 1].text == "," else doc[k].idx
    kept = content_before(doc, quotes, host.content, start)
    if not kept or not inner.content or inner.content[0][0] < doc[k].idx:
        return False
    host.content = kept
    inner.source = list(host.source)
    inner.source_chars = host.source_chars
    inner.rule = COORDINATED_RULE
    return True


def _reporting(inner: Candidate, according: dict[int, Candidate], doc: Doc) -> Candidate | None:
    """The "according to X" attribution (`according`: by its first cue token) that hangs on
    the inner one's speech verb, after it."""
    verb = doc[inner.cue[0]]
    if verb.lemma_.lower() not in speech_verbs():
        return None
    return next((according[c.i] for c in verb.children if c.i > verb.i and c.i in according), None)


def _continue_quotes(candidates: list[Candidate], quotes: QuoteIndex, text: str) -> None:
    """A quotation that goes on over the following paragraphs belongs to the
    attribution of its first paragraph (a speaker's turn or a signature has its own bounds)."""
    for c in candidates:
        if c.rule in SIGNATURE_RULES:
            continue
        groups = set()
        for s, e in c.content:
            for q in quotes.overlapping(s, e):
                if not q.closed:
                    groups.add(q.group)
        for g in groups:
            for q in quotes.group(g):
                if not any(s <= q.start < e for s, e in c.content):
                    c.content.append((q.start, q.end))
        c.content = _merge(c.content, text)


def _to_record(doc: Doc, c: Candidate, quotes: QuoteIndex) -> Attribution:
    text = text_of(doc)
    cue = [Span.of(text, s, e) for s, e in (c.cue_chars or _to_ranges(doc, c.cue))]
    source_ranges = []
    for s, e in (c.source_chars if c.source_chars is not None else _to_ranges(doc, c.source)):
        s, e = trim(text, *_in_paragraph_of(text, s, e, cue[0].start if cue else s), quotes)
        if e > s:
            source_ranges.append((s, e))
    source = [Span.of(text, s, e) for s, e in source_ranges]
    content = [Span.of(text, s, e) for s, e in c.content]
    return Attribution(id="", kind=kind_of(content, quotes), cue=cue, source=source,
                       content=content, score=c.score)


def _in_paragraph_of(text: str, start: int, end: int, at: int) -> tuple[int, int]:
    """The part of [start, end) in the paragraph holding `at`: a source never runs over a
    line break, though spaCy sometimes parses a headline and the next paragraph as one
    sentence ("… personality stuff\n\nBernie Sanders spoke")."""
    anchor = min(max(at, start), end - 1)  # the source's character nearest the cue
    after = text.find("\n", anchor, end)
    return max(start, text.rfind("\n", start, anchor) + 1), end if after < 0 else after
