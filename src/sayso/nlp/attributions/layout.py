"""Attributions marked by page layout rather than by a verb: a quotation signed with a
dash ("“…” ― Sonya Herridge", "… — Paul Ryan (@SpeakerRyan) July 5, 2016") and the speaker
labels of transcripts and headlines ("WALLACE: Let's start…", "Pence: Flowers Won't Be
at Debate"). They are the article's own framing, so they win over verb readings inside.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from sayso.nlp.attributions.candidates import Candidate, line_bounds, tokens_in, trim
from sayso.nlp.lexicon import cue_verbs, verb_lemma
from sayso.nlp.quotes import Quote, QuoteIndex
from sayso.nlp.ranges import Ranges

SIGNATURE_RULES = frozenset({"signature", "speaker-label"})
_GAP = r"[^\S\n]"  # a space within a line; web text often has no-break spaces ("” ―\xa0Name")
_NAME_WORD = r"[A-Z][\w.'’-]*"
_NAME = rf"{_NAME_WORD}(?:{_GAP}+(?:{_NAME_WORD}|de|la|del|van|von|da|dos|y)){{0,6}}"
DASHES = ("―", "—", "–", "--", "-")  # what signs a quotation; the learned model's cue features read them too
_SIGNATURE = re.compile(rf"{_GAP}*({'|'.join(DASHES)}){_GAP}*({_NAME}){_GAP}*(\(@\w+\))?")
# where a signature may start: any dash, a hyphen only standing alone (not "well-known")
_DASH = re.compile("|".join(r"(?<![\w-])-(?![\w-])" if d == "-" else d for d in DASHES))
# a speaker's label: a name, perhaps how they speak ("RIVERA (voice-over):", "(through translator)"), a colon
_HOW = rf"(?:{_GAP}*\([A-Za-z][\w .'’-]{{0,24}}\))?"
# (and a description: "PETER VANCE, ANCHOR:", "Jane Roe, health minister:"); the words follow on
# the line, or in a transcript on the lines below the label
_LABEL = re.compile(rf"{_GAP}*[\"“']?{_GAP}*([A-Z][\w.'’ \xa0-]{{0,40}}?)(,{_GAP}*[A-Za-z][\w.'’ \xa0-]{{0,50}}?)?"
                    rf"{_HOW}{_GAP}*:(?:{_GAP}+(?=\S)|{_GAP}*$)")
_CAPS_LABEL = re.compile(r"[A-Z][A-Z.'’ -]*[A-Z.]")
# a label alone on its line, the quotation below it: "Jane Roe, 54, a farmer:" then "“…”"
_LABEL_LINE = re.compile(rf"{_GAP}*({_NAME})((?:,{_GAP}*[^,:\n]{{1,40}}){{0,3}}){_GAP}*:{_GAP}*$")
# all-capital labels that are page furniture, not speakers
FURNITURE_LABELS = frozenset({
    "BREAKING", "BREAKING NEWS", "BYLINE", "CLARIFICATION", "CORRECTION", "CORRECTIONS", "EDITOR'S NOTE",
    "EDITOR’S NOTE", "EMAIL", "EXCLUSIVE", "FACT CHECK", "NOTE", "PHOTOS", "PHOTO", "PREVIOUSLY",
    "READ MORE", "RELATED", "SOURCE", "SOURCES", "UPDATE", "UPDATED", "VIDEO", "WATCH", "LOOK", "LISTEN",
    "ABSTRACT", "SUMMARY", "ANALYSIS", "OPINION", "TRANSCRIPT", "Q", "A",
})

# what a headline's label names when it is not a person or an organisation ("Poll: …", "Report: …")
HEADLINE_SOURCES = frozenset({"poll", "polls", "report", "survey", "study", "analysis", "historians", "experts",
                              "economists", "officials", "sources", "ap", "reuters"})


def signature_candidates(doc: Doc, text: str, quotes: QuoteIndex) -> list[Candidate]:
    return _dash_signatures(doc, text, quotes) + _speaker_labels(doc, text, quotes) + _labels_above_quotations(
        doc, text, quotes)


def _dash_signatures(doc: Doc, text: str, quotes: QuoteIndex) -> list[Candidate]:
    """A dash and a name closing a line, after a quotation (or a tweet's text with its handle)."""
    found: list[Candidate] = []
    for m in _DASH.finditer(text):
        line_start, line_end = line_bounds(text, m.start())
        sig = _SIGNATURE.match(text, m.start(), line_end)
        if sig is None:
            continue
        rest = text[sig.end():line_end].strip()
        if rest and not (rest[0] in ",.(" or rest[:3].isdigit() or rest.split()[0] in _MONTHS):
            continue  # the name runs on into a sentence: a dash inside prose
        before = text[line_start:m.start()].strip()
        content: list[tuple[int, int]] = []
        quote = _quote_ending_at(text, quotes, line_start if not before else m.start())
        if quote is not None:
            content = [(q.start, q.end) for q in quotes.group(quote.group)]
        elif before and sig.group(3) and len(before.split()) >= 3:
            content = [trim(text, line_start, m.start(), quotes)]  # a tweet: its text, then "— Name (@handle)"
        if not content:
            continue
        cue = (sig.start(1), sig.end(1))
        source = (sig.start(2), sig.end(2))
        last_word = sig.group(2).split()[-1]
        if last_word.endswith(".") and len(last_word) > 2 and last_word not in ("Jr.", "Sr."):
            source = (source[0], source[1] - 1)  # "― Steve Quinlan." ends a sentence, not an initial
        found.append(Candidate(tokens_in(doc, *cue), tokens_in(doc, *source), content, 0.9, "signature",
                               cue_chars=[cue], source_chars=[source]))
    return found


_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December", "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."}


def _quote_ending_at(text: str, quotes: QuoteIndex, at: int) -> Quote | None:
    """The double quotation that ends right before `at` (spaces and a newline between at most)."""
    for q in reversed(quotes.overlapping(max(0, at - 5000), at)):
        if q.end <= at:
            gap = text[q.end:at]
            if not q.single and not gap.strip() and gap.count("\n") <= 2:
                return q
            return None
    return None


def _speaker_labels(doc: Doc, text: str, quotes: QuoteIndex) -> list[Candidate]:
    """Paragraphs opened by a speaker's label and a colon: transcripts ("WALLACE: …", with
    two speakers at least or a label naming a person of the article) and headlines
    ("Pence: …", a name the entity recogniser calls a person)."""
    labels: list[tuple[re.Match[str], bool]] = []
    at = 0
    for line in text.split("\n"):
        line_end = at + len(line)
        m = _LABEL.match(text, at, line_end)
        if m and len(m.group(1).split()) <= 4 and (line_end - m.end() >= 10 or m.end() == line_end):
            label = m.group(1)
            caps = bool(_CAPS_LABEL.fullmatch(label)) and label not in FURNITURE_LABELS
            if m.end() < line_end or caps:  # only a transcript's label stands alone on its line
                labels.append((m, caps))
        at = line_end + 1
    persons = {w.lower() for e in doc.ents if e.label_ == "PERSON" for w in e.text.split()}
    speakers = {m.group(1) for m, caps in labels if caps}
    found: list[Candidate] = []
    for m, caps in labels:
        label = m.group(1)
        start, end = m.span(1)
        if m.group(2):
            described = doc.char_span(m.start(2) + 1, m.end(2), alignment_mode="expand")
            if described is None or any(t.pos_ in ("VERB", "AUX") for t in described):
                continue  # "However, he said:" is a sentence, not a label
        if caps:
            if len(speakers) < 2 and not all(w.lower() in persons for w in label.split()):
                continue
        else:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None or label.upper() in FURNITURE_LABELS:
                continue
            of_persons = all(w.lower() in persons for w in label.split())
            named = all(t.pos_ == "PROPN" or t.is_punct for t in span) and (
                of_persons or any(t.ent_type_ == "PERSON" for t in span))
            # a headline may give the floor to an organisation or a poll ("Poll: …"), and its first
            # word is often mistagged ("Sanders: …" as a noun)
            headline = not text[:start].strip()
            if any(t.pos_ in ("VERB", "AUX") for t in span):
                continue  # a sentence's own colon ("He told The Times: “…”"), not a label
            if not named and not (headline and (of_persons or any(t.ent_type_ in ("ORG", "NORP") for t in span)
                                                or label.split()[-1].lower() in HEADLINE_SOURCES)):
                continue
        colon = text.index(":", m.end(2) if m.group(2) else end)
        line_end = line_bounds(text, colon)[1]
        if m.end() == line_end:
            content = _lines_below(text, line_end, quotes)
        else:
            content = [trim(text, m.end(), line_end, quotes)]
        if m.group(2):
            end = m.end(2)
        if caps and text[m.start():m.end()].lstrip()[:1] in "\"“":
            # a transcript quoted paragraph by paragraph: the turn goes on until the next label
            content += _turn_continues(text, line_end, quotes)
        content = [r for r in content if r[1] > r[0]]
        if not content:
            continue
        found.append(Candidate(tokens_in(doc, colon, colon + 1), tokens_in(doc, start, end), content, 0.9,
                               "speaker-label", cue_chars=[(colon, colon + 1)], source_chars=[(start, end)]))
    return found


def _labels_above_quotations(doc: Doc, text: str, quotes: QuoteIndex) -> list[Candidate]:
    """A speaker's name (with a description) and a colon on a line of its own, and on the next
    line a quotation: the vox-pop layout ("Jane Roe, 54, farmer:" / "“We have never…”"). The
    name must be one the entity recogniser calls a person, or all capitals."""
    found: list[Candidate] = []
    at = 0
    for line in text.split("\n"):
        line_end = at + len(line)
        m = _LABEL_LINE.match(text, at, line_end)
        at = line_end + 1
        if m is None or m.group(1).upper() in FURNITURE_LABELS or len(m.group(1).split()) > 5:
            continue
        nxt = len(text) - len(text[at:].lstrip())  # the next line with text
        quote = quotes.first_from(nxt)
        if quote is None or quote.start != nxt or quote.single:
            continue
        name_start, name_end = m.span(1)
        span = doc.char_span(name_start, name_end, alignment_mode="expand")
        if span is None or not (_CAPS_LABEL.fullmatch(m.group(1)) or any(t.ent_type_ == "PERSON" for t in span)):
            continue
        colon = text.index(":", m.end(2))
        cue = (colon, colon + 1)
        if len(span) > 1 and verb_lemma(span[0].lemma_, span[0].lower_) in cue_verbs():
            # "Stated Stone:", "Said Mr. Trump:": the verb is the cue, the rest the speaker
            cue, name_start = (span[0].idx, span[0].idx + len(span[0])), span[1].idx
        found.append(Candidate(tokens_in(doc, *cue), tokens_in(doc, name_start, name_end),
                               [(q.start, q.end) for q in quotes.group(quote.group)], 0.9, "speaker-label",
                               cue_chars=[cue], source_chars=[(name_start, name_end)]))
    return found


def _lines_below(text: str, at: int, quotes: QuoteIndex) -> list[tuple[int, int]]:
    """A turn under a label that stands alone on its line: the lines of its paragraph (up to a
    blank line or the next label)."""
    end = at
    while end + 1 < len(text) and text[end + 1] != "\n":
        nxt = line_bounds(text, end + 1)[1]
        if _LABEL.match(text, end + 1, nxt):
            break
        end = nxt
    return [trim(text, at + 1, end, quotes)] if end > at else []


def _turn_continues(text: str, at: int, quotes: QuoteIndex) -> list[tuple[int, int]]:
    """The paragraphs after a transcript turn that go on with it: quoted, not labelled,
    not a stage direction ("(CROSSTALK.)")."""
    out = []
    while at < len(text):
        start = at + 1
        end = line_bounds(text, start)[1] if start < len(text) else start
        raw = text[start:end]
        line = raw.strip()
        at = end
        if not line:
            continue
        body = raw.lstrip("\"“ \t")
        if line[0] not in "\"“" or _LABEL.match(line) or body.startswith("("):
            break
        out.append(trim(text, end - len(body), end, quotes))
    return out


def drop_inside_signatures(candidates: list[Candidate], doc: Doc) -> list[Candidate]:
    """A verb reading inside a signed quotation or a speaker's turn belongs to that speaker."""
    framed = [r for c in candidates if c.rule in SIGNATURE_RULES for r in c.content]
    if not framed:
        return candidates
    inside = Ranges(framed)
    return [c for c in candidates if c.rule in SIGNATURE_RULES or not inside.holds(doc[c.cue[0]].idx)]
