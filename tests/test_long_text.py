"""The indexes that keep sayso's own steps O(n log n) on long texts give the
answers of the scans they replace (checked against those scans, brute force)."""

from __future__ import annotations

import random

import pytest

from sayso.nlp.parse import cached_base
from sayso.nlp.quotes import QuoteIndex, find_quotes
from sayso.nlp.ranges import Ranges
from sayso.nlp.sources import PRONOUNS, _ArticlePeople, _compatible, _entity_at, _ents_in


def test_ranges_answer_as_a_scan_would():
    rng = random.Random(20)
    for _ in range(500):
        spans = [(s, s + rng.randrange(0, 15)) for s in (rng.randrange(80) for _ in range(rng.randrange(8)))]
        owners = [rng.randrange(3) for _ in spans]
        anyone, owned = Ranges(spans), Ranges(spans, owners)
        for _ in range(20):
            start = rng.randrange(-3, 100)
            end = start + rng.randrange(0, 8)
            other = rng.choice([None, 0, 1, 2])
            assert anyone.overlaps(start, end) == any(s < end and start < e for s, e in spans)
            assert owned.holds(start, other) == any(
                s <= start < e and owner != other for (s, e), owner in zip(spans, owners, strict=True))


def test_quote_index_lookups():
    text = '“One,” he said. "Two" and ‘three’.\n“Four\n“Five.”'
    quotes = find_quotes(text)
    index = QuoteIndex(quotes)
    for at in range(len(text) + 1):
        assert index.first_from(at) == next((q for q in quotes if q.start >= at), None)
    for group in {q.group for q in quotes} | {99}:
        assert index.group(group) == [q for q in quotes if q.group == group]


@pytest.fixture(scope="module")
def example_doc(example_text):
    return cached_base()(example_text)


def test_entities_read_from_tokens_are_spacys(example_doc):
    doc = example_doc
    ents = list(doc.ents)
    for i in range(len(doc)):
        mine = _entity_at(doc, i)
        theirs = next((e for e in ents if e.start <= i < e.end), None)
        assert (mine and (mine.start, mine.end, mine.label_)) == (theirs and (theirs.start, theirs.end, theirs.label_))
        for length in (1, 3, 8):
            span = doc[i:i + length]
            assert [(e.start, e.end, e.label_) for e in _ents_in(span)] == [
                (e.start, e.end, e.label_) for e in span.ents]


def _nearest_before(people: _ArticlePeople, offset: int) -> list:
    """The scan the index replaces: named people mentioned before `offset`, nearest first."""
    seen: list = []
    for start, person in reversed(people.mentions):
        if start < offset and all(person is not p for p in seen):
            seen.append(person)
    return seen


def test_nearest_people_by_index_are_those_of_the_scan(example_doc):
    people = _ArticlePeople(example_doc)
    assert people.mentions
    offsets = sorted({start for start, _ in people.mentions} | {start + 1 for start, _ in people.mentions}
                     | {0, len(example_doc.text)})
    roles = {role for _, person in people.mentions for role in person.roles}
    for offset in offsets:
        scan = _nearest_before(people, offset)
        for pronoun in sorted(PRONOUNS):
            compatible = [p for p in scan if _compatible(
                pronoun, "person" if p.label == "PERSON" else "organization", False, p.gender)]
            # the nearest compatible person, and the nearest of each gender: all a pronoun can choose from
            want = [compatible[0]] if compatible else []
            for gender in ("male", "female"):
                first = next((p for p in compatible if p.gender == gender), None)
                if first is not None and first not in want:
                    want.append(first)
            want.sort(key=scan.index)  # nearest first
            got = people.nearest_compatible(pronoun, offset)
            assert [p for _, p in got] == want
            for at, person in got:
                assert at == max(q for q in person.positions if q < offset)
        for role in roles:
            assert list(people.nearest_with(("role", role), offset)) == [
                p for p in scan if role in p.roles and p.label == "PERSON"]
        orgs = [p for p in scan if p.label == "ORG"]
        assert people.nearest(offset, [("label", "ORG")]) == (orgs[0] if orgs else None)
        for org in orgs:
            for word in org.name.lower().split():
                assert people.nearest(offset, [("org-word", word)]) == next(
                    p for p in orgs if word in p.name.lower().split())
