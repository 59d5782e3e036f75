"""Cue stance and author hedges: the lexicon and the example article."""

from __future__ import annotations

import pytest

from sayso.nlp.lexicon import cue_lexicon, hedge_lexicon
from sayso.nlp.stance import find_hedges, stance_of_cue


def stances_of(article, cue_text):
    return [a.stance for a in article.attributions if a.cue and a.cue[0].text == cue_text]


@pytest.mark.parametrize(("cue", "stance"), [
    ("claimed", "doubting"), ("confirmed", "assertive"), ("raged", "emotive"), ("condemned", "emotive"),
])
def test_example_stances(example_article, cue, stance):
    found = stances_of(example_article, cue)
    assert found and all(s == stance for s in found)


def test_both_claimed_are_doubting(example_article):
    assert stances_of(example_article, "claimed") == ["doubting", "doubting"]


def test_example_hedges(example_article):
    assert {h.text for h in example_article.hedges} >= {"purporting", "allegations"}


@pytest.mark.parametrize(("cue", "stance"), [
    ("said", "neutral"), ("According to", "neutral"), ("referred to as", "neutral"),
    ("allegations", "doubting"), ("suggest", "speculative"), ("insisted", "doubting"), ("revealed", "assertive"),
    ("may have said", "neutral"),
])
def test_stance_of_cue(cue, stance):
    assert stance_of_cue(cue) == stance


def test_lexicons_have_reasons():
    for entry in cue_lexicon().values():
        assert entry.stance in ("neutral", "assertive", "doubting", "speculative", "emotive")
        assert entry.reason
    assert "purporting" in hedge_lexicon()


def test_hedges_outside_quotes_and_content_only():
    text = 'The video purportedly shows the attack. "It was allegedly staged," she said.'
    quoted = [(text.index('"'), text.rindex('"') + 1)]
    hedges = find_hedges(text, [], quoted=quoted)
    assert [h.text for h in hedges] == ["purportedly"]


def test_claims_as_verb_is_no_hedge(example_article):
    # "He claimed …" is a cue, reported speech; the noun "allegations" is the author's
    assert "claimed" not in {h.text for h in example_article.hedges}
