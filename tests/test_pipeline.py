"""The Python API: analyze, analyze_many (batches, workers, bad items) and the spaCy component."""

from __future__ import annotations

import pytest
import spacy

import sayso
from sayso.nlp.parse import base_model_name

GOOD = "“We will win,” the senator said."


def test_analyze_gives_ids_and_meta():
    a = sayso.analyze(GOOD, id="x1", meta={"outlet": "Example", "title": "Vote"})
    assert a.id == "x1" and a.meta["outlet"] == "Example" and a.meta["language"] == "en"
    b = sayso.analyze(GOOD)
    assert b.id.startswith("sha1:") and b.id == sayso.analyze(GOOD).id


def test_analyze_refuses_bad_input():
    with pytest.raises(ValueError, match="empty text"):
        sayso.analyze("   ")


def test_analyze_many_keeps_every_item_in_order():
    items = [GOOD, ("", "empty", None), (GOOD, "t2", {"outlet": "O"}), {"text": GOOD, "id": "d3"},
             (None, "none", None), 42, ("x" * 1_000_001, "huge", None), ("a\x00b said", "nul", None)]
    out = list(sayso.analyze_many(items, batch_size=3))
    assert len(out) == len(items)
    assert [a.error is None for a in out] == [True, False, True, True, False, False, False, False]
    assert out[1].id == "empty" and out[1].error == "empty text"
    assert out[2].id == "t2" and out[2].meta["outlet"] == "O"
    assert out[3].id == "d3"
    assert "not str" in out[4].error and "not a text" in out[5].error
    assert "too long" in out[6].error and "binary" in out[7].error


@pytest.mark.slow
def test_worker_processes_give_the_same_records():
    items = [(GOOD, f"d{i}", None) for i in range(5)] + [("", "bad", None)]
    one = [a.to_dict() for a in sayso.analyze_many(items, jobs=1, batch_size=2)]
    two = [a.to_dict() for a in sayso.analyze_many(items, jobs=2, batch_size=2)]
    assert one == two
    assert one[-1]["error"] == "empty text"


def test_spacy_component():
    nlp = spacy.load(base_model_name())
    nlp.add_pipe("sayso_attributions")
    doc = nlp("“We will win,” the senator said.\nRead more: other news")
    assert [a.cue[0].text for a in doc._.attributions] == ["said"]
    assert doc._.attributions[0].id == "a1"
    assert doc._.boilerplate[0].reason == "read-more"


def test_spacy_component_uses_the_model_analyze_uses():
    text = "The senator claimed the vote had been rigged. Officials said the count was fair."
    for model in (None, "rules"):
        nlp = spacy.load(base_model_name())
        nlp.add_pipe("sayso_attributions", config={"model": model})
        from_component = [(a.cue[0].text, [s.text for s in a.content]) for a in nlp(text)._.attributions]
        from_analyze = [(a.cue[0].text, [s.text for s in a.content])
                        for a in sayso.analyze(text, model=model).attributions]
        assert from_component == from_analyze
        assert from_component  # both find the two reports


def test_a_failing_text_is_an_error_record_and_the_batch_goes_on(monkeypatch):
    from sayso.nlp.components import ProfileBuilder
    from sayso.pipeline import Analyzer

    real = ProfileBuilder.__call__

    def breaks_on_boom(self, doc):
        if "BOOM" in doc.text:
            raise RuntimeError("boom")
        return real(self, doc)

    monkeypatch.setattr(ProfileBuilder, "__call__", breaks_on_boom)
    texts = ["The minister said the plan had failed.", "Officials said BOOM.", "Police said two men fled."]
    out = Analyzer().analyze_batch(texts)
    assert [a.error for a in out] == [None, "analysis failed: boom", None]
    assert [len(a.attributions) for a in out] == [1, 0, 1]
