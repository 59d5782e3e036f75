"""An attribution before it becomes a record, as the rules and the layout readers
find it: token ids for cue and source, character ranges for the content."""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc

from sayso.nlp.quotes import QuoteIndex

TRIM_CHARS = " \t\r\n,.;:—–-"


@dataclass
class Candidate:
    """An attribution before it becomes a record: token and character ranges."""

    cue: list[int]
    source: list[int]
    content: list[tuple[int, int]]
    score: float
    rule: str
    quote_groups: set[int] = field(default_factory=set)
    # exact character ranges where a cue or source is part of a token ("”―" before a signature)
    cue_chars: list[tuple[int, int]] | None = None
    source_chars: list[tuple[int, int]] | None = None


def trim(text: str, start: int, end: int, quotes: QuoteIndex) -> tuple[int, int]:
    """Strip spaces and outer punctuation, but never cut a quotation mark pair."""
    while start < end and text[start] in TRIM_CHARS:
        start += 1
    while end > start and text[end - 1] in TRIM_CHARS:
        if quotes.containing(end - 1, end) is not None and text[end - 1] not in " \t\r\n":
            break
        end -= 1
    return start, end


def tokens_in(doc: Doc, start: int, end: int) -> list[int]:
    return [t.i for t in doc.char_span(start, end, alignment_mode="expand") or () if not t.is_space]


def line_bounds(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end
