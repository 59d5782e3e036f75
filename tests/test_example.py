"""The bundled example article: every attribution a careful reader finds."""

from __future__ import annotations

import pytest

# (cue, source, kind) a careful reader finds in the example, in text order.
EXPECTED = [
    ("allegations", "", "mixed"),
    ("confirm", "Russian fighters in the audio clip", "mixed"),
    ("referred to … as", "One soldier", "direct"),
    ("suggest", "Statements in the recording", "mixed"),
    ("described", "Russian troops", "mixed"),
    ("raged", "The soldiers", "mixed"),
    ("details", "The audio", "mixed"),
    ("condemned", "the soldiers", "mixed"),
    ("argued", "Retired US army general David Petraeus", "mixed"),
    ("claimed", "He", "mixed"),
    ("highlighted", "The former general", "indirect"),
    ("claimed", "Mr Petraeus", "mixed"),
    ("According to", "Mr Petraeus", "mixed"),
    ("confirmed", "the deputy prime minister", "mixed"),
]


def _cue(a) -> str:
    return " … ".join(s.text for s in a.cue)


def _source(a) -> str:
    return " … ".join(s.text for s in a.source)


def test_record_is_sound(example_article):
    assert example_article.check() == []


@pytest.mark.parametrize(("cue", "source", "kind"), EXPECTED)
def test_each_expected_attribution(example_article, cue, source, kind):
    matches = [a for a in example_article.attributions if _cue(a) == cue and _source(a) == source]
    assert matches, f"no attribution with cue {cue!r} and source {source!r}"
    assert matches[0].kind == kind


def test_attributions_in_text_order(example_article):
    found = [(_cue(a), _source(a)) for a in example_article.attributions]
    expected = [(c, s) for c, s, _ in EXPECTED]
    # every expected attribution, in order (extra ones may be interleaved)
    it = iter(found)
    assert all(pair in it for pair in expected)


def test_contents(example_article):
    by_cue = {(_cue(a), _source(a)): a for a in example_article.attributions}
    content = {k: " … ".join(s.text for s in a.content) for k, a in by_cue.items()}
    assert content[("referred to … as", "One soldier")] == "“jackals”"
    assert content[("argued", "Retired US army general David Petraeus")] == (
        "the admissions of the Russian soldiers was “not surprising”")
    assert content[("claimed", "Mr Petraeus")] == (
        "The Russian President “doesn’t want to acknowledge these extraordinary losses,”")
    assert content[("According to", "Mr Petraeus")].startswith("the Russian President has made no attempt")
    assert content[("confirmed", "the deputy prime minister")] == "a plan for an exit corridor had “failed”"
    assert content[("allegations", "")] == "commanders “abandoned” their army conscripts"


def test_unsourced_allegation_has_no_speaker(example_article):
    a = next(a for a in example_article.attributions if _cue(a) == "allegations")
    assert a.source == [] and a.speaker is None


def test_read_more_line_is_boilerplate(example_article):
    assert [b.reason for b in example_article.boilerplate] == ["read-more"]
    line = example_article.boilerplate[0]
    assert line.text.startswith("Read more: Putin’s ‘lover’")
    # no attribution takes anything from it
    for a in example_article.attributions:
        for s in (*a.cue, *a.source, *a.content):
            assert s.end <= line.start or s.start >= line.end


def test_kinds_cover_all_three(example_article):
    assert {a.kind for a in example_article.attributions} == {"direct", "mixed", "indirect"}
