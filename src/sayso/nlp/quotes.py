"""Finding the quoted stretches of an article by its quotation marks.

Works on the raw text, so offsets are exact. Handles straight and curly
double quotes, curly and straight single quotes used as quotation marks (not
apostrophes), and the news convention where a quote runs over several
paragraphs: a paragraph that opens a quote without closing it, followed by a
paragraph that reopens it, is one quotation.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc

from sayso.record import Span, text_of

DOUBLE_OPEN = "“„«"
DOUBLE_CLOSE = "”»"
SINGLE_OPEN = "‘"
SINGLE_CLOSE = "’"
STRAIGHT_DOUBLE = '"'
STRAIGHT_SINGLE = "'"
CLOSING_MARKS = DOUBLE_CLOSE + SINGLE_CLOSE + STRAIGHT_DOUBLE + STRAIGHT_SINGLE


@dataclass(frozen=True)
class Quote:
    """A quoted stretch, marks included. `group` ties the paragraphs of one
    multi-paragraph quotation together; `closed` is False for a paragraph that
    ends before its quote does."""

    start: int
    end: int
    group: int
    closed: bool = True
    single: bool = False


def _paragraphs(text: str) -> list[tuple[int, int]]:
    bounds = []
    start = 0
    while (i := text.find("\n", start)) >= 0:
        if i > start:
            bounds.append((start, i))
        start = i + 1
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds


# every character the scan below reacts to: the rest of a paragraph it can skip
_MARKS = re.compile("[" + re.escape(DOUBLE_OPEN + DOUBLE_CLOSE + SINGLE_OPEN + SINGLE_CLOSE
                                    + STRAIGHT_DOUBLE + STRAIGHT_SINGLE) + "]")


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def find_quotes(text: str) -> list[Quote]:
    """All quotations of `text`, in order, without nesting (outermost only)."""
    quotes: list[Quote] = []
    group = 0
    carried = False  # the previous paragraph left a quotation open
    for p_start, p_end in _paragraphs(text):
        para = text[p_start:p_end]
        lead = len(para) - len(para.lstrip())
        found, still_open = _quotes_in_paragraph(para, p_start)
        for i, (start, end, closed, single) in enumerate(found):
            reopens = i == 0 and carried and start == p_start + lead and not single
            if not reopens:
                group += 1
            quotes.append(Quote(start, end, group, closed, single))
        carried = still_open
    return quotes


def _quotes_in_paragraph(para: str, offset: int) -> tuple[list[tuple[int, int, bool, bool]], bool]:
    """Quotes inside one paragraph as (start, end, closed, single); and whether
    the paragraph ends inside a double quotation."""
    found: list[tuple[int, int, bool, bool]] = []
    n = len(para)
    open_at: int | None = None
    open_kind = ""
    for mark in _MARKS.finditer(para):
        i = mark.start()
        ch = para[i]
        prev = para[i - 1] if i else " "
        nxt = para[i + 1] if i + 1 < n else " "
        if open_at is None:
            if ch in DOUBLE_OPEN or (ch in DOUBLE_CLOSE and not _is_word(prev) and _is_word(nxt)):
                # a closing mark before a word, after a space, opens a quotation (a common slip)
                open_at, open_kind = i, "curly"
            elif ch == STRAIGHT_DOUBLE:
                open_at, open_kind = i, "straight"
            elif ch == SINGLE_OPEN and not _is_word(prev):
                open_at, open_kind = i, "single"
            elif ch == STRAIGHT_SINGLE and not _is_word(prev) and _is_word(nxt):
                open_at, open_kind = i, "straight-single"
        else:
            closes = False
            if open_kind == "curly":
                closes = ch in DOUBLE_CLOSE or ch == STRAIGHT_DOUBLE
            elif open_kind == "straight":
                closes = ch == STRAIGHT_DOUBLE or ch in DOUBLE_CLOSE
            elif open_kind == "single":
                closes = ch == SINGLE_CLOSE and not _is_word(nxt)
            elif open_kind == "straight-single":
                closes = ch == STRAIGHT_SINGLE and not _is_word(nxt)
            if open_kind in ("single", "straight-single") and (ch in DOUBLE_OPEN or ch == STRAIGHT_DOUBLE):
                # a double mark inside an unclosed single: the single was an apostrophe
                open_at, open_kind = i, "curly" if ch in DOUBLE_OPEN else "straight"
            elif closes:
                found.append((offset + open_at, offset + i + 1, True, open_kind.endswith("single")))
                open_at = None
    still_open = False
    # an unclosed single mark was an apostrophe or a slip: ignore it
    if open_at is not None and open_kind in ("curly", "straight"):
        end = len(para.rstrip())
        found.append((offset + open_at, offset + end, False, False))
        still_open = True
    return found, still_open


class QuoteIndex:
    """Fast questions about which characters are quoted."""

    def __init__(self, quotes: list[Quote]):
        self.quotes = quotes
        self._starts = [q.start for q in quotes]
        self._groups: dict[int, list[Quote]] = {}
        for q in quotes:
            self._groups.setdefault(q.group, []).append(q)

    def containing(self, start: int, end: int) -> Quote | None:
        """The quotation that holds [start, end), if any."""
        i = bisect.bisect_right(self._starts, start) - 1
        if i >= 0:
            q = self.quotes[i]
            if q.start <= start and end <= q.end:
                return q
        return None

    def overlapping(self, start: int, end: int) -> list[Quote]:
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        for q in self.quotes[i:]:
            if q.start >= end:
                break
            if q.end > start:
                out.append(q)
        return out

    def quoted_chars(self, start: int, end: int) -> int:
        total = 0
        for q in self.overlapping(start, end):
            total += min(end, q.end) - max(start, q.start)
        return total

    def group(self, group: int) -> list[Quote]:
        return list(self._groups.get(group, ()))

    def first_from(self, at: int) -> Quote | None:
        """The first quotation that starts at `at` or after."""
        i = bisect.bisect_left(self._starts, at)
        return self.quotes[i] if i < len(self.quotes) else None


def kind_of(content: Sequence[Span], quotes: QuoteIndex) -> str:
    """direct: all of the content is quoted; mixed: part; indirect: none."""
    quoted = total = 0
    for span in content:
        text, start = span.text, span.start
        total += sum(map(str.isalnum, text))
        # quotations do not overlap, so each quoted character is counted once
        for q in quotes.overlapping(span.start, span.end):
            quoted += sum(map(str.isalnum, text[max(q.start, start) - start:min(q.end, span.end) - start]))
    if total and quoted == total:
        return "direct"
    if quoted:
        return "mixed"
    return "indirect"


def quotes_of(doc: Doc) -> QuoteIndex:
    """The quotations of a parsed text, found once per `Doc` (the rules, the
    taggers' features and the hedges all ask)."""
    index = doc.user_data.get(_QUOTES_KEY)
    if index is None:
        index = doc.user_data[_QUOTES_KEY] = QuoteIndex(find_quotes(text_of(doc)))
    return index


_QUOTES_KEY = "sayso_quotes"
