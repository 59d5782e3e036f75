"""Structure over tags: the bounds of a content that the taggers' tags can get
wrong but the text's structure settles.

The role tagger labels tokens one cue at a time, so nothing stops a content
from running over its own cue, over another attribution's cue, or from a
quotation on into the next quotation or into the narrative after it. On
PolNeAR the learned tags rarely do this; on other outlets' news they do
(the hand-labelled set of the accuracy issue). These repairs hold on any text:

- a content does not hold its own cue;
- nor its own source when it runs on over it (“…,” she said, “…”);
- a quotation that another cue in its own sentence introduces is that cue's
  content, not the content of a cue in an earlier sentence; a quotation in a
  later paragraph than the cue is not a continuation of the cue's quotation
  (within a paragraph it often is: PolNeAR joins "“A,” she said. “B.”", and
  so does `bound` when "“B.”" has no cue of its own and follows at once);
- narrative after a quotation, in a later sentence than the cue, is not part
  of what the quotation's speaker said;
- a content that runs on from its own words into a quotation opening a later
  sentence, which another attribution has, ends before it;
- a report joined by a conjunction to a content ("…, while supporters insist
  …") is not part of it: the content ends before the conjunction; nor is a
  whole report before the cue across a semicolon ("Critics say …; supporters
  say …"), nor, when the cue's sentence reads source, cue, content, the
  narrative of an earlier sentence;
- a phrase naming the topic, fronted before a quotation ("Of the vote, “…,”
  she said"), is not part of the quoted words; nor is the comma that ends the
  cue's clause ("The department notes, “…”"), nor the "it" of an extraposed
  clause ("It is understood that …");
- a source never holds another attribution's cue: it is the noun phrase that
  closes it;
- a question put in a fronted "Asked whether …," or "When asked about …," has
  no stated source, and the subject of "he was asked whether …" is not its
  source: who was asked is not the asker.

And `senses` drops the verbs read as cues in a sense that reports nothing:
questioning or interviewing a person, naming a thing, handing over a thing
(offer, give, receive, provide something that is not a statement), being
denied something.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence

from sayso.nlp.attributions.candidates import trim
from sayso.nlp.attributions.features import DocFeatures
from sayso.nlp.attributions.layout import SIGNATURE_RULES
from sayso.nlp.attributions.rules import content_before, coordinated_start
from sayso.nlp.lexicon import cue_nouns
from sayso.nlp.quotes import CLOSING_MARKS, Quote, kind_of
from sayso.record import Attribution, Span


def _runs(f: DocFeatures, tokens: Sequence[int]) -> list[list[int]]:
    """Sorted tokens as runs of neighbours (whitespace tokens between do not break a run)."""
    runs: list[list[int]] = []
    for i in sorted(tokens):
        if runs and all(f.space[j] for j in range(runs[-1][-1] + 1, i)):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _spans(f: DocFeatures, tokens: Sequence[int]) -> list[Span]:
    return [Span.of(f.text, f.idx[r[0]], f.end[r[-1]]) for r in _runs(f, tokens)]


def _inside(f: DocFeatures, spans: Sequence[Span]) -> set[int]:
    """Tokens wholly inside the spans (a cue "―" glued to a closing mark does not take the mark)."""
    return {i for s in spans for i in f.words_of([s]) if s.start <= f.idx[i] and f.end[i] <= s.end}


def _quoted(f: DocFeatures, span: Span) -> bool:
    return kind_of([span], f.quotes) == "direct"


def bound(found: list[Attribution], f: DocFeatures) -> list[Attribution]:
    """The attributions with their contents bounded by structure; an attribution
    a repair would leave without content keeps the content it had."""
    cues = [f.words_of(a.cue) for a in found]
    # which attribution's cue sits in the sentence of each quotation it has as content
    claims: dict[tuple[int, int], set[int]] = {}
    for n, a in enumerate(found):
        cue_sents = {f.sent[i] for i in cues[n]}
        for s in a.content:
            q = f.quotes.containing(s.start, s.end)
            if q is not None and any(f.sent[i] in cue_sents for i in f.words_of([s])):
                claims.setdefault((q.start, q.end), set()).add(n)
    # the attributions that have each quotation in their content, whatever their cue's sentence
    holders: dict[tuple[int, int], set[int]] = {}
    for n, a in enumerate(found):
        for q in f.quotes.overlapping(a.content[0].start, a.content[-1].end) if a.content else ():
            if any(s.start <= q.start and q.end <= s.end for s in a.content):
                holders.setdefault((q.start, q.end), set()).add(n)
    found = _with_continued_quotations(_without_others_continuations(found, f, cues), f, cues)
    joined = [_coordinated_start(a, f) for a in found]
    reports = [cues[n] | f.words_of(a.source) for n, a in enumerate(found)]
    cue_owner = {i: n for n, c in enumerate(cues) for i in c}
    # a speaker's turn or a signed quotation: its bounds are the layout's, whatever cue sits inside
    laid_out = {frozenset(f.words_of(r.cue)) for r, name in zip(f.rules, f.rule_names, strict=True)
                if name in SIGNATURE_RULES}
    out = []
    for n, a in enumerate(found):
        if frozenset(cues[n]) in laid_out:
            out.append(a)
            continue
        content = _before_coordinated(n, _bounded(n, a, f, cues, claims, holders), f, cues, joined)
        content = _without_reports_before(n, content, f, cues, reports, cue_owner)
        content = _without_narrative_before(n, a, content, f, cues)
        content = _without_adjunct_after_cue(content, f, cues[n])
        content = _before_cue_conjunct(_from_that_clause(content, f, cues[n]), f, cues[n])
        content = _without_cue_adjuncts(content, f, cues[n])
        if content and content != a.content:
            a = dataclasses.replace(a, content=content, kind=kind_of(content, f.quotes))
        source = [] if _asked_not_asking(a, f) else _speaker_phrase(_source_without_cues(
            a, f, {i for m, c in enumerate(cues) if m != n for i in c}), f, cues[n])
        if source != a.source:
            a = dataclasses.replace(a, source=source)
        out.append(a)
    return out


NOUN_PHRASE_POS = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM", "PRON"})


def _asked_not_asking(a: Attribution, f: DocFeatures) -> bool:
    """Whether the source is who was asked: "Asked whether he would resign, the minister
    replied …" (a participle opening its sentence, or after an opening "When") or "He was
    asked whether …" (the passive's subject). The asker is unnamed or the by-agent;
    PolNeAR leaves such sources empty (13 of 16 "was asked", the rest the by-agent)."""
    asked = [i for i in sorted(f.words_of(a.cue)) if f.lemma[i] == "ask" and f.tag[i] == "VBN"]
    if not asked:
        return False
    i = asked[0]
    if f.first[i] or (i > 0 and f.lower[i - 1] == "when" and f.first[i - 1]):
        return True
    source = f.words_of(a.source)
    return any(f.dep[c] == "nsubjpass" and c in source for c in f.children[i])


def _source_without_cues(a: Attribution, f: DocFeatures, other_cues: set[int]) -> list[Span]:
    """A source that swallows another attribution's cue ("An audio recording purporting to have
    captured Russian soldiers | berating …") is the noun phrase that closes it: "Russian soldiers"."""
    tokens = sorted(f.words_of(a.source))
    if not other_cues.intersection(tokens):
        return a.source
    tail: list[int] = []
    for i in reversed(tokens):
        if i in other_cues or (f.pos[i] not in NOUN_PHRASE_POS and f.tag[i] != "POS"):
            break
        tail.insert(0, i)
    while tail and f.tag[tail[0]] == "POS":
        tail.pop(0)
    if not any(f.pos[i] in ("NOUN", "PROPN", "PRON") for i in tail):
        return a.source
    return _spans(f, tail)


def _speaker_phrase(source: list[Span], f: DocFeatures, cue: set[int]) -> list[Span]:
    """A source without the time or dateline that opens its paragraph ("8:30 a.m. — One
    resident said …"); a source that opens with the relative pronoun of a clause about the
    speaker ("Preston, 22, | who had not started a game since October, | said …") is the
    speaker's whole noun phrase, the clause's antecedent included; but the "who" of the
    clause's own cue ("…, who asked not to be named") is that cue's source."""
    if source:
        line = f.text.rfind("\n", 0, source[0].start) + 1
        dateline = _DATELINE.match(f.text, line)
        if dateline and source[0].start < dateline.end() < source[-1].end:  # "DUBLIN, Oct 8 - | Quorvia said"
            source = [Span.of(f.text, max(s.start, dateline.end()), s.end) for s in source if s.end > dateline.end()]
    words = sorted(f.words_of(source))
    dash = next((k for k, i in enumerate(words) if f.lower[i] in ("—", "–", "--", "-")), None)
    if dash and words[dash + 1:] and all(f.ent[i] in ("TIME", "DATE", "GPE") or f.pos[i] == "PUNCT"
                                         for i in words[:dash]):
        return _speaker_phrase(_spans(f, words[dash + 1:]), f, cue)
    fronted = _fronted_adverbial(words, f, cue)
    if fronted:  # "Outside court, | Detective Inspector Paul Latimer … said"
        return _spans(f, words[fronted:])
    if not words:
        return source
    if f.lower[words[0]] not in ("who", "which", "whose"):
        return _with_antecedent(source, words, f, cue)
    clause = _relative_clause(words[0], f, steps=4)  # from the pronoun up to the relative clause's verb
    if clause is None:
        return source
    antecedent = f.head[clause]
    if clause in cue or antecedent >= words[0]:
        return source
    start = f.doc[antecedent].left_edge.i
    if cue & set(range(start, words[0])):
        return source
    return [Span.of(f.text, f.idx[start], source[-1].end), *source[1:]] if len(source) > 1 else [
        Span.of(f.text, f.idx[start], source[0].end)]


def _relative_clause(i: int, f: DocFeatures, steps: int = 5) -> int | None:
    """The relative clause's verb at or above word i, if any within `steps` steps up."""
    for _ in range(steps + 1):
        if f.dep[i] == "relcl":
            return i
        if f.head[i] == i:
            return None
        i = f.head[i]
    return None


def _with_antecedent(source: list[Span], words: list[int], f: DocFeatures, cue: set[int]) -> list[Span]:
    """A source found inside a relative clause about the speech verb's subject ("Marwick, whom
    | the board named chief executive | , said") is that subject's whole noun phrase."""
    clause = _relative_clause(words[0], f)
    if clause is None or any(_relative_clause(i, f) != clause for i in words if f.pos[i] != "PUNCT"):
        return source
    antecedent = f.head[clause]
    if antecedent >= words[0] or f.dep[antecedent] not in ("nsubj", "nsubjpass") or f.head[antecedent] not in cue:
        return source
    phrase = f.doc[antecedent]
    start, end = phrase.left_edge.i, phrase.right_edge.i
    if cue & set(range(start, end + 1)):
        return source
    return [Span.of(f.text, f.idx[start], f.end[end])]


# words that open a phrase fronted before the speaker, whatever the tagger makes of them
FRONTING_WORDS = frozenset({"outside", "speaking", "inside", "later", "earlier", "afterwards", "separately",
                            "elsewhere", "meanwhile", "asked", "writing", "interviewed"})


def _fronted_adverbial(words: list[int], f: DocFeatures, cue: set[int]) -> int:
    """How many words of a source are a phrase fronted before the speaker, up to its comma
    ("Outside court,", "Speaking after the hearing,"): 0 when there is none, or when the
    phrase belongs to the speech verb's subject."""
    comma = next((k for k, i in enumerate(words) if f.lower[i] == ","), None)
    if not comma or comma > 5 or comma + 1 >= len(words) or not (
            f.pos[words[0]] in ("ADP", "ADV", "SCONJ") or f.lower[words[0]] in FRONTING_WORDS or (
                f.pos[words[0]] == "NUM" and f.pos[words[comma - 1]] in ("ADV", "ADP"))):  # "Two doors down,"
        return 0
    if any(f.pos[i] == "PROPN" for i in words[:comma]):
        return 0  # "Even Rendell, a stalwart Clinton supporter,": the phrase holds the speaker
    after = words[comma + 1:]
    subject = [i for i in after if f.dep[i] in ("nsubj", "nsubjpass") and f.head[i] in cue]
    # the parse may read the fronted phrase as the subject ("Outside court" nsubj, the name its conj)
    named = any(f.ent[i] == "PERSON" for i in after)
    if not (subject and f.doc[subject[0]].left_edge.i > words[comma]) and not named:
        return 0
    return comma + 1


def _bounded(n: int, a: Attribution, f: DocFeatures, cues: list[set[int]],
             claims: dict[tuple[int, int], set[int]], holders: dict[tuple[int, int], set[int]]) -> list[Span]:
    spans = _within_structure(n, a, f, cues, claims)
    spans = _before_others_quotations(n, [_without_fronted_phrase(s, f) for s in spans], f, cues, holders)
    return _without_expletive(_without_leading_punctuation(_without_dateline(spans, f), f), f)


# a wire story's dateline: "ROTTERDAM, March 4 (Reuters) - ", "March 4 (Reuters) — ", "GDANSK (AP) – "
_DATELINE = re.compile(r"(?:[A-Z][A-Z.' ]+,?\s*)?(?:[A-Z][a-z]{2,8}\.? \d{1,2},?\s*)?(?:\([A-Z][\w ]*\)\s*)?[-—–]+\s+")


def _without_dateline(spans: list[Span], f: DocFeatures) -> list[Span]:
    """A content without the dateline that opens its paragraph ("ROTTERDAM, March 4 (Reuters) -
    Dockworkers extended …, a union official said")."""
    if not spans:
        return spans
    first = spans[0]
    match = _DATELINE.match(first.text)
    if match is None or match.end() >= len(first.text) or not re.search(r"\d|\)|[A-Z]{3}", match.group()):
        return spans
    return [Span.of(f.text, first.start + match.end(), first.end), *spans[1:]]


def _without_expletive(spans: list[Span], f: DocFeatures) -> list[Span]:
    """"It is understood that …": the "it" of an extraposed clause stands for the clause, and is
    not part of what was said (PolNeAR keeps a lone "it" only where it refers: "it appeared to …")."""
    if len(spans) < 2 or spans[0].text.lower() != "it":
        return spans
    nxt = sorted(f.words_of(spans[1:2]))
    return spans[1:] if nxt and f.lower[nxt[0]] == "that" else spans


def _without_leading_punctuation(spans: list[Span], f: DocFeatures) -> list[Span]:
    """A content does not open with the comma or colon that ends its cue's clause ("The
    department notes, “…”"): no PolNeAR content does."""
    if not spans:
        return spans
    words = sorted(f.words_of(spans[:1]))
    k = 0
    while k < len(words) and f.tag[words[k]] in (",", ":") and f.lower[words[k]] in (",", ";", ":"):
        k += 1
    if k == 0:
        return spans
    if k == len(words):
        return spans[1:] or spans
    return [Span.of(f.text, f.idx[words[k]], spans[0].end), *spans[1:]]


def _coordinated_start(a: Attribution, f: DocFeatures) -> int | None:
    """Where a report joined by a conjunction to what comes before begins (`rules.coordinated_start`),
    or where a cue sharing the subject of the verb before begins ("said the study was sound | and
    insisted …", "… but cautioned against …"): the conjunction."""
    words, cue = f.words_of([*a.source, *a.cue]), f.words_of(a.cue)
    if not cue:
        return None
    if a.source and words:
        start = coordinated_start(f.doc, f.quotes, min(words), min(cue))
        if start is not None:
            return start
    k = min(cue) - 1
    while k >= 0 and (f.space[k] or f.pos[k] == "ADV"):  # "and also warned"
        k -= 1
    if k < 0 or f.lower[k] not in ("and", "but") or f.dep[min(cue)] != "conj" or f.quotes.containing(
            f.idx[k], f.end[k]) is not None or any(f.dep[c] in ("nsubj", "nsubjpass") for c in f.children[min(cue)]):
        return None
    return f.idx[k - 1] if k > 0 and f.lower[k - 1] == "," else f.idx[k]


def _before_coordinated(n: int, spans: list[Span], f: DocFeatures, cues: list[set[int]],
                        joined: list[int | None]) -> list[Span]:
    """A content holding another attribution's cue, joined to it by a conjunction ("Critics
    argue the law goes too far, while supporters insist it is overdue"), ends before the
    conjunction, as PolNeAR reads such pairs (and the rules find them)."""
    tokens = f.words_of(spans)
    for m, start in enumerate(joined):
        if m == n or start is None or not cues[m] & tokens:
            continue
        kept = content_before(f.doc, f.quotes, [(s.start, s.end) for s in spans], start)
        if kept:
            spans = [Span.of(f.text, a, b) for a, b in kept]
            tokens = f.words_of(spans)
    return spans


def _without_reports_before(n: int, spans: list[Span], f: DocFeatures, cues: list[set[int]],
                            reports: list[set[int]], cue_owner: dict[int, int]) -> list[Span]:
    """A piece of content before its cue, across a semicolon, that is another report whole,
    its source and cue ("Critics say the scheme is unfair; supporters say it is overdue"), is
    that report's, not part of what the later cue's source said."""
    if len(spans) < 2 or not cues[n]:
        return spans
    cue = min(cues[n])
    kept = []
    for s in spans:
        words = f.words_of([s])
        before = words and max(words) < cue and not _quoted(f, s)
        semicolon = before and any(f.lower[i] == ";" for i in range(max(words), cue))
        inside = {cue_owner[i] for i in words if i in cue_owner} - {n} if semicolon else set()
        whole = any(reports[m] - cues[m] and reports[m] <= words for m in inside)
        if not whole:
            kept.append(s)
    return kept or spans


def _from_quotation(s: Span, f: DocFeatures, cue: int) -> Span:
    """A content that runs from a whole sentence of narrative on into the quotation its
    cue follows ("Katarzyna Nowak runs the clinic. “We are full,” she said") starts at the
    quotation."""
    q = f.quotes.first_from(s.start)
    if q is None or not s.start < q.start < s.end or q.end > s.end:
        return s
    before = f.text[s.start:q.start].rstrip()
    words = f.words_of([s])
    if not before or before[-1] not in ".!?" or not words or f.sent[min(words)] >= f.sent[cue] or (
            f.quotes.overlapping(s.start, q.start)):
        return s
    return Span.of(f.text, q.start, s.end)


def _without_narrative_before(n: int, a: Attribution, spans: list[Span], f: DocFeatures,
                              cues: list[set[int]]) -> list[Span]:
    """"John Brown and his wife run the farm. She said the drought …": when the cue's
    sentence reads source, cue, content in that order, unquoted narrative in an earlier
    sentence is not part of what was said; nor a sentence of narrative before the
    quotation a cue follows."""
    if spans and cues[n]:
        spans = [_from_quotation(spans[0], f, min(cues[n])), *spans[1:]]
    if len(spans) < 2 or not cues[n] or not a.source:
        return spans
    cue = min(cues[n])
    sent = f.sent[cue]
    source = f.words_of(a.source)
    if not source or max(source) > cue or any(f.sent[i] != sent for i in source):
        return spans
    words = [f.words_of([s]) for s in spans]
    if not any(w and min(w) > cue and f.sent[min(w)] == sent for w in words):
        return spans
    kept = [s for s, w in zip(spans, words, strict=True)
            if not (w and f.sent[max(w)] < sent and not _quoted(f, s))]
    return kept or spans


WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
# when and where the words were said, not what: "said on Monday it would close", "said
# yesterday that …", "said in a statement that …"
WHEN_WORDS = frozenset({"yesterday", "today", "tonight"}) | WEEKDAYS
PERIOD_WORDS = frozenset({"week", "weekend", "month", "year", "night", "morning", "evening", "afternoon"})
OCCASION_NOUNS = frozenset({"statement", "interview", "speech", "letter", "post", "tweet", "briefing", "email",
                            "filing", "memo", "address", "podcast", "broadcast", "op-ed", "essay", "column"})
POSSESSIVE_DETERMINERS = frozenset({"a", "an", "the", "his", "her", "their", "its", "our", "my", "this"})


def _adjunct_length(f: DocFeatures, i: int) -> int:
    """How many tokens from `i` form a phrase of when or where something was said, or 0."""
    w = f.lower
    n = f.n

    def at(k: int) -> str:
        return w[k] if k < n else ""

    if at(i + 1) in ("'s", "’s"):
        return 0  # "condemned Friday's test": the day names what was condemned
    if at(i) in WHEN_WORDS:
        return 2 if at(i) in WEEKDAYS and at(i + 1) in ("morning", "evening", "night", "afternoon") else 1
    if at(i) in ("last", "this") and at(i + 1) in PERIOD_WORDS | WEEKDAYS:
        return 2
    if at(i) == "on" and at(i + 1) in WEEKDAYS:
        return 3 if at(i + 2) in ("morning", "evening", "night", "afternoon") else 2
    if at(i) == "in" and at(i + 1) in POSSESSIVE_DETERMINERS:
        for k in range(i + 2, min(i + 5, n)):
            if w[k] in OCCASION_NOUNS:
                return k - i + 1
            if f.pos[k] not in ("ADJ", "NOUN", "PROPN", "PART") and w[k] != "-":
                break
    return 0


def _without_adjunct_after_cue(spans: list[Span], f: DocFeatures, cue: set[int]) -> list[Span]:
    """A content that opens, right after its cue, with when or where the words were said
    ("said on Monday it would close the site", "said in a statement that …") starts after
    that phrase: the clause is what was said (PolNeAR puts such a phrase in the cue or
    nowhere, never in the content)."""
    if not spans or not cue:
        return spans
    words = sorted(f.words_of(spans[:1]))
    if not words or words[0] <= max(cue) or any(not f.space[k] for k in range(max(cue) + 1, words[0])):
        return spans
    length = _adjunct_length(f, words[0])
    rest = [k for k in words if k >= words[0] + length]
    # the clause must follow at once ("said on Monday, after …" is a longer phrase than this one knows)
    if not length or not rest or (f.pos[rest[0]] in ("VERB", "AUX", "ADP", "PUNCT") and f.lower[rest[0]] != "that"):
        return spans
    first = Span.of(f.text, f.idx[rest[0]], spans[0].end)
    return [first, *spans[1:]]


def _from_that_clause(spans: list[Span], f: DocFeatures, cue: set[int]) -> list[Span]:
    """A content that opens with the cue's addressee or an adjunct before the "that" of the
    clause the cue governs ("told customers in an email seen by reporters | that …", "claimed on
    its leak site on Tuesday | that …") starts at the "that": the clause is what was said."""
    if not spans or not cue:
        return spans
    words = sorted(f.words_of(spans))
    if not words or words[0] <= max(cue) or f.lower[words[0]] == "that":
        return spans
    that = next((k for k in words[:16] if f.lower[k] == "that" and f.dep[k] == "mark"), None)
    if that is None:
        return spans
    verb = f.head[that]
    governor = f.head[verb]  # the cue, or a participle of the adjunct the parse hung the clause on ("seen")
    if not (governor in cue or (f.dep[governor] == "acl" and words[0] <= governor < that)) or f.dep[verb] not in (
            "ccomp", "advcl") or f.doc[verb].left_edge.i < that:
        return spans
    # every word before the "that" hangs on the cue itself, not inside the clause
    if any(f.quotes.containing(f.idx[k], f.end[k]) is not None for k in words if k < that):
        return spans
    at = f.idx[that]
    return [Span.of(f.text, max(s.start, at), s.end) for s in spans if s.end > at]


def _quotation_after(spans: list[Span], f: DocFeatures) -> Quote | None:
    """The next quotation after the last word of `spans`, in the same paragraph, with nothing
    but a full stop between (where a quotation that goes on with them would be)."""
    end = f.end[max(f.words_of(spans))]
    q = f.quotes.first_from(end)
    if q is None or q.start == end or f.text[end:q.start].strip(" .!?\t\r") or "\n" in f.text[end:q.start]:
        return None
    return q


def _continued_at(a: Attribution, f: DocFeatures) -> int | None:
    """Where a quotation that goes on with an attribution's quotation would start, if anywhere."""
    if not a.content or not _quoted(f, a.content[-1]):
        return None
    q = _quotation_after([*a.cue, *a.source, *a.content], f)
    return q.start if q is not None else None


def _without_others_continuations(found: list[Attribution], f: DocFeatures,
                                  cues: list[set[int]]) -> list[Attribution]:
    """A quotation that goes on with one attribution's quotation (`_with_continued_quotations`)
    is not the content of the next attribution, whose cue comes after the sentence it closes
    ("“…,” he said. “She still owes me.” | She insisted that she had paid up"): that one keeps
    its own content."""
    # where each attribution's quotations go on: the next quotation, or one it already holds after its cue
    goes_on: dict[int, set[int]] = {}
    for n, a in enumerate(found):
        at = _continued_at(a, f)
        if at is not None:
            goes_on.setdefault(at, set()).add(n)
        for s in a.content[1:]:
            if cues[n] and f.idx[max(cues[n])] < s.start and _quoted(f, s):
                goes_on.setdefault(s.start, set()).add(n)
    if not goes_on:
        return found
    out = []
    for n, a in enumerate(found):
        cue = min(cues[n], default=-1)
        kept = [s for s in a.content if not (
            goes_on.get(s.start, {n}) - {n} and _quoted(f, s) and (w := f.words_of([s])) and 0 <= max(w) < cue
            and s.text.rstrip(CLOSING_MARKS)[-1:] in ".!?")]
        out.append(a if len(kept) == len(a.content) or not kept else dataclasses.replace(
            a, content=kept, kind=kind_of(kept, f.quotes)))
    return out


def _without_cue_adjuncts(spans: list[Span], f: DocFeatures, cue: set[int]) -> list[Span]:
    """Beside a quotation, words after the cue that only say how or where it was said (“…,” she
    says, | stirring her tea, | “…”; “…,” he told reporters | outside the annex. | “…”) are no
    part of what was said: every word there hangs on the cue by a phrase, not a clause."""
    if len(spans) < 2 or not cue or not any(_quoted(f, s) for s in spans):
        return spans

    def adjunct(start: int, end: int) -> bool:
        words = [i for i in f.tokens_of(start, end) if f.pos[i] != "PUNCT" and not f.space[i]]
        if not words or min(words) < max(cue):
            return False
        for i in words:
            k, clause = i, False
            for _ in range(12):
                if k in cue or f.head[k] == k:
                    break
                clause = clause or f.dep[k] in ("ccomp", "xcomp", "parataxis", "conj")
                k = f.head[k]
            if k not in cue or clause:
                return False
        return True

    out = []
    for s in spans:
        q = f.quotes.first_from(s.start)
        opens = q.start if q is not None and q.start < s.end else s.end  # where quoted words begin
        if opens > s.start and adjunct(s.start, opens):
            if opens < s.end:
                out.append(Span.of(f.text, opens, s.end))
            continue
        out.append(s)
    return out or spans


def _before_cue_conjunct(spans: list[Span], f: DocFeatures, cue: set[int]) -> list[Span]:
    """A content ends before a second predicate of the cue's subject ("told staff that their
    numbers “may have been exposed” | and offered them two years of monitoring"): the parse
    joins that verb to the cue, not to what was said."""
    if not spans or not cue:
        return spans
    words = sorted(f.words_of(spans))
    for k in words:
        if k > max(cue) and k > words[0] and f.dep[k] == "conj" and f.head[k] in cue and f.pos[k] == "VERB":
            cc = k - 1
            while cc > words[0] and (f.space[cc] or f.pos[cc] == "ADV"):
                cc -= 1
            if f.lower[cc] not in ("and", "but") or f.quotes.containing(f.idx[cc], f.end[cc]) is not None:
                return spans
            end = f.idx[cc - 1] if f.lower[cc - 1] == "," else f.idx[cc]
            kept = [Span.of(f.text, s.start, min(s.end, end)) for s in spans if s.start < end]
            kept = [Span.of(f.text, s.start, s.start + len(s.text.rstrip(" ,"))) for s in kept]
            return [s for s in kept if s.end > s.start] or spans
    return spans


def _with_continued_quotations(found: list[Attribution], f: DocFeatures,
                               cues: list[set[int]]) -> list[Attribution]:
    """A quotation that opens the next sentence, right after a quotation's attribution,
    in the same paragraph, with no cue of its own and in no other content, goes on
    with what the speaker said ("“We were told it would hold,” said Jane Roe. “It didn't.”"),
    as PolNeAR joins them. The taggers see this in most articles; this makes it hold
    in every one."""
    taken = set().union(*(f.words_of(a.content) for a in found)) if found else set()
    all_cues = set().union(*cues) if cues else set()
    out = []
    for a in found:
        if not a.content or not _quoted(f, a.content[-1]):
            out.append(a)
            continue
        content = list(a.content)
        while True:
            q = _quotation_after([*a.cue, *a.source, *content], f)
            if q is None:
                break
            inside = set(f.tokens_of(q.start, q.end))
            if not inside or not (inside.isdisjoint(taken) and inside.isdisjoint(all_cues)) or not f.first[min(inside)]:
                break
            content.append(Span.of(f.text, q.start, q.end))
            taken |= inside
        out.append(a if len(content) == len(a.content) else dataclasses.replace(a, content=content))
    return out


def saying_something(found: list[Attribution]) -> list[Attribution]:
    """Contents without the pieces that hold no word (a lone quotation mark the tags gave
    the content: 'Her husband agreed. "It was …'); an attribution left with no word said
    is none."""
    out = []
    for a in found:
        content = [s for s in a.content if any(ch.isalnum() for ch in s.text)]
        if content:
            out.append(a if len(content) == len(a.content) else dataclasses.replace(a, content=content))
    return out


def separate_continuations(found: list[Attribution], f: DocFeatures) -> list[Attribution]:
    """A direct quotation's content ends at its closing mark: quotations of later
    sentences than the cue's, with no cue of their own, which the taggers (trained on
    PolNeAR, which joins them) or `_with_continued_quotations` gave the content, move to
    the attribution's `continuation` ("“We were lucky,” she said. “It held.”": content
    "“We were lucky,”", continuation "“It held.”"). A quotation split by its cue in the
    cue's own sentence stays one content."""
    out = []
    for a in found:
        cue_words = f.words_of(a.cue)
        if not cue_words or not a.content:
            out.append(a)
            continue
        last_cue_sent = max(f.sent[i] for i in cue_words)
        content: list[Span] = []
        goes_on: list[Span] = []
        groups: set[int] = set()  # quotations running on over paragraphs are one quotation
        for span in a.content:
            pieces = _quotation_pieces(span, f)
            kept = 0
            for piece in pieces:
                words = f.words_of([piece])
                later = bool(words) and min(f.sent[i] for i in words) > last_cue_sent
                q = f.quotes.containing(piece.start, piece.end)
                if goes_on or ((content or kept) and later and q is not None and q.group not in groups):
                    goes_on.append(piece)
                    continue
                kept += 1
                groups.update(q.group for q in f.quotes.overlapping(piece.start, piece.end))
            if kept:  # the pieces kept are the span's first ones: one span again
                content.append(Span.of(f.text, span.start, pieces[kept - 1].end))
        if goes_on and all(_quoted(f, s) for s in goes_on):
            a = dataclasses.replace(a, content=content, continuation=goes_on, kind=kind_of(content, f.quotes))
        out.append(a)
    return out


def _quotation_pieces(s: Span, f: DocFeatures) -> list[Span]:
    """A span cut before each quotation of it that follows another quotation with only
    space between (one span over "“A.” “B.”" is two quotations)."""
    quotes = [q for q in f.quotes.overlapping(s.start, s.end) if s.start <= q.start and q.end <= s.end]
    cuts = [b.start for a, b in itertools.pairwise(quotes) if a.end < b.start and not f.text[a.end:b.start].strip()]
    if not cuts:
        return [s]
    edges = [s.start, *cuts, s.end]
    return [Span.of(f.text, a, b if b == s.end else _before_space(f.text, b)) for a, b in itertools.pairwise(edges)]


def _before_space(text: str, at: int) -> int:
    """Where the text before `at` ends, the spaces before `at` left out (no copy of the text)."""
    while at > 0 and text[at - 1].isspace():
        at -= 1
    return at


# what opens a phrase that names a quotation's topic ("Of the vote, “…”", "As for the budget, “…”")
TOPIC_WORDS = frozenset({"of", "about", "regarding", "concerning", "as"})


def _before_others_quotations(n: int, spans: list[Span], f: DocFeatures, cues: list[set[int]],
                              holders: dict[tuple[int, int], set[int]]) -> list[Span]:
    """A content that runs from its own words on into a quotation of a later sentence which
    another attribution has as its content ends before that quotation ("…, who asked not to
    be named. “People were running everywhere.”": the witness's quotation, not the asking)."""
    cue_sents = {f.sent[i] for i in cues[n]}
    if not cue_sents:
        return spans
    out: list[Span] = []
    for s in spans:
        for q in f.quotes.overlapping(s.start, s.end):
            first = min(f.tokens_of(q.start, q.end))
            # a quotation that opens a later sentence than the cue's and the span's own start
            opens = f.first[first] and f.sent[first] > max(cue_sents) and f.sent[first] > f.sent[
                min(f.tokens_of(s.start, s.end))]
            if s.start < q.start and q.end <= s.end and opens and holders.get((q.start, q.end), set()) - {n}:
                start, end = trim(f.text, s.start, q.start, f.quotes)
                s = Span.of(f.text, start, end) if end > start else s
                break
        out.append(s)
    return out


def _without_fronted_phrase(s: Span, f: DocFeatures) -> Span:
    """A quotation's content without a phrase fronted before its opening mark that names
    its topic ("Of the vote, “It was a farce,” the senator said"): the words quoted are
    what was said, the topic is the writer's. Other fronted phrases stay, as PolNeAR
    reads them ("In past campaigns, “we felt …”" is the speaker's claim too: 6 of 6 in
    train+dev)."""
    q = f.quotes.first_from(s.start)
    if q is None or not s.start < q.start < s.end or q.end > s.end:
        return s
    words = sorted(i for i in f.words_of([Span.of(f.text, s.start, q.start)]) if f.end[i] <= q.start)
    if not words or f.lower[words[0]] not in TOPIC_WORDS or f.lower[words[-1]] != "," or any(
            f.pos[i] in ("VERB", "AUX") for i in words):
        return s
    return Span.of(f.text, q.start, s.end)


def _within_structure(n: int, a: Attribution, f: DocFeatures, cues: list[set[int]],
                      claims: dict[tuple[int, int], set[int]]) -> list[Span]:
    # another attribution's cue may sit inside a content (PolNeAR nests them: "…, which advocates say …")
    tokens = f.words_of(a.content)
    banned = _inside(f, a.cue)
    source = _inside(f, a.source)
    if source and any(i < min(source) for i in tokens) and any(i > max(source) for i in tokens):
        # a content running over its source ("“…,” she said. “…”") is two pieces; where the
        # source only overlaps a content's edge, PolNeAR's content is the longer reading (2 of 2 on dev)
        banned |= source
    if not tokens & banned and len(a.content) < 2:
        return a.content
    spans = _spans(f, sorted(tokens - banned))
    cue_sents = {f.sent[i] for i in cues[n]}
    kept: list[Span] = []
    last_quote_end = -1
    for s in spans:
        q = f.quotes.containing(s.start, s.end)
        sents = {f.sent[i] for i in f.words_of([s])}
        if q is not None:
            others = claims.get((q.start, q.end), set()) - {n}
            if others and not sents & cue_sents:
                continue  # another cue introduces this quotation in its own sentence
            if kept and min(sents) > max(cue_sents) and f.para[min(f.words_of([s]))] != f.para[min(cues[n])]:
                continue  # a quotation in a later paragraph, after the cue's own quotation
            kept.append(s)
            last_quote_end = max(last_quote_end, q.end)
            continue
        if 0 <= last_quote_end <= s.start and not sents & cue_sents and not _quoted(f, s):
            continue  # narrative after the quotation, in a later sentence
        kept.append(s)
    return kept


# verbs whose object, a person, is questioned, not reported on ("Police questioned the student")
QUESTIONING = frozenset({"question", "interview", "interrogate", "quiz"})
# verbs that hand over, order or approve a thing; a cue only when that thing is a statement ("offered an
# explanation") or a clause; and verbs of seeing, a cue only before a clause ("saw that …")
HANDING = frozenset({"offer", "give", "receive", "provide", "grant", "deny", "send", "get", "win", "award",
                     "order", "share", "approve"})
PERCEIVING = frozenset({"see", "watch", "observe", "notice"})
PERSON_WORDS = frozenset({"PRON", "PROPN"})


def senses(found: list[Attribution], f: DocFeatures) -> list[Attribution]:
    """The attributions whose cue verb is used in a sense that reports something."""
    return [a for a in found if not _no_report(a, f)]


def _no_report(a: Attribution, f: DocFeatures) -> bool:
    cue = sorted(f.words_of(a.cue))
    # "were denied", "later questioned": the verb, without its auxiliaries and adverbs
    verbs = [i for i in cue if f.pos[i] not in ("AUX", "ADV", "PART")]
    if len(verbs) != 1 or f.pos[verbs[0]] != "VERB":
        return False
    v = verbs[0]
    lemma = f.lemma[v]
    deps = {f.dep[c] for c in f.children[v]}
    if lemma == "name":
        return "oprd" in deps  # "named their robot “Rover”" (a quoted name is no quotation)
    content = f.words_of(a.content)
    objects = [c for c in f.children[v] if f.dep[c] in ("dobj", "dative")]
    if lemma in QUESTIONING and kind_of(a.content, f.quotes) != "direct":
        # a person questioned, whatever clause describes them ("questioned a driver who had ignored …")
        return any(f.pos[o] in PERSON_WORDS or f.ent[o] == "PERSON" or _human(f, o) for o in objects)
    if kind_of(a.content, f.quotes) != "indirect":
        return False  # quoted words: something is reported
    # a clause said or seen, not a verb inside a phrase ("ordered the recall … after tests found …")
    clausal = any(f.pos[i] in ("VERB", "AUX") and (f.head[i] not in content or f.head[i] == i) and f.dep[i] not in (
        "advcl", "relcl", "acl", "amod", "pcomp") for i in content)
    if lemma in PERCEIVING:
        return not clausal  # "saw that the plan would fail" reports; "a copy was seen by reporters" does not
    if lemma in HANDING and not clausal:
        heads = [o for o in objects if f.pos[o] == "NOUN"] or [i for i in content if f.pos[i] == "NOUN"][-1:]
        return not any(f.lemma[h] in cue_nouns() for h in heads)
    return False


HUMAN_NOUNS = frozenset({"student", "suspect", "witness", "man", "woman", "driver", "teenager", "boy", "girl",
                         "officer", "employee", "worker", "passenger", "resident", "victim", "detainee",
                         "prisoner", "candidate", "applicant", "official", "minister", "person", "people",
                         "participant", "patient", "volunteer", "respondent", "survivor", "child", "pupil",
                         "staff", "executive", "player", "member", "pilot", "crew", "director", "manager"})


def _human(f: DocFeatures, i: int) -> bool:
    return f.lemma[i] in HUMAN_NOUNS
