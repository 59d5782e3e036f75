"""Quotation marks: pairs, apostrophes, and quotes over paragraphs."""

from __future__ import annotations

from sayso.nlp.quotes import QuoteIndex, find_quotes, kind_of
from sayso.record import Span


def texts(text: str) -> list[str]:
    return [text[q.start:q.end] for q in find_quotes(text)]


def test_curly_and_straight_pairs():
    assert texts('He said “yes” and "no".') == ["“yes”", '"no"']


def test_apostrophes_are_not_quotes():
    assert texts("Putin’s army doesn’t know it's over.") == []


def test_single_quotes_as_quotation_marks():
    assert texts("Putin’s ‘lover’ re-emerges") == ["‘lover’"]


def test_unclosed_quote_runs_to_paragraph_end_and_continues():
    text = "She said: “First part.\n“Second part.”\nAfter."
    quotes = find_quotes(text)
    assert [text[q.start:q.end] for q in quotes] == ["“First part.", "“Second part.”"]
    assert quotes[0].group == quotes[1].group
    assert not quotes[0].closed and quotes[1].closed


def test_new_paragraph_without_quote_ends_the_quotation():
    text = "She said: “First part.\nThe author speaks.\n“Another.”"
    quotes = find_quotes(text)
    assert quotes[0].group != quotes[1].group


def test_kind_of():
    text = "He said “all of this” and some of that."
    index = QuoteIndex(find_quotes(text))
    assert kind_of([Span.of(text, 8, 21)], index) == "direct"
    assert kind_of([Span.of(text, 8, 38)], index) == "mixed"
    assert kind_of([Span.of(text, 26, 38)], index) == "indirect"
