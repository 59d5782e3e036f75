"""The JSON contract: `sayso.article/1` exactly as the spec writes it."""

from __future__ import annotations

import json

import pytest

from sayso.record import SCHEMA, Article, Attribution, Span

TOP_KEYS = ["schema", "id", "text", "meta", "boilerplate", "attributions", "sources", "hedges", "profile"]
META_KEYS = {"title", "url", "published", "outlet", "author", "language"}
ATTRIBUTION_KEYS = ["id", "kind", "cue", "source", "content", "continuation", "speaker", "stance", "score"]


def test_top_level_shape(example_article):
    record = example_article.to_dict()
    assert list(record) == TOP_KEYS
    assert record["schema"] == SCHEMA == "sayso.article/1"
    assert set(record["meta"]) == META_KEYS
    assert record["meta"]["language"] == "en"
    json.dumps(record)  # plain JSON types only


def test_every_span_indexes_the_text(example_article):
    record = example_article.to_dict()
    text = record["text"]
    spans = [b for b in record["boilerplate"]] + record["hedges"]
    for a in record["attributions"]:
        assert list(a) == ATTRIBUTION_KEYS
        assert a["kind"] in ("direct", "mixed", "indirect")
        assert a["stance"] in ("neutral", "assertive", "doubting", "speculative", "emotive")
        assert 0.0 <= a["score"] <= 1.0
        for role in ("cue", "source", "content", "continuation"):
            spans.extend(a[role])
            starts = [s["start"] for s in a[role]]
            assert starts == sorted(starts)
    for s in record["sources"]:
        spans.extend(s["mentions"])
    for span in spans:
        assert text[span["start"]:span["end"]] == span["text"]


def test_empty_source_means_null_speaker(example_article):
    record = example_article.to_dict()
    unsourced = [a for a in record["attributions"] if not a["source"]]
    assert unsourced
    assert all(a["speaker"] is None for a in unsourced)
    sourced = [a for a in record["attributions"] if a["source"]]
    ids = {s["id"] for s in record["sources"]}
    assert all(a["speaker"] in ids for a in sourced)


def test_round_trip(example_article):
    record = example_article.to_dict()
    again = Article.from_dict(json.loads(json.dumps(record)))
    assert again.to_dict() == record


def test_offsets_are_code_points_not_bytes():
    import sayso

    text = "Le ministre a dit: “C’est fini.” — 🙂 “We are done,” said Ms Müller."
    article = sayso.analyze(text)
    for a in article.attributions:
        for s in (*a.cue, *a.source, *a.content):
            assert text[s.start:s.end] == s.text


def test_from_dict_refuses_other_schemas():
    with pytest.raises(ValueError):
        Article.from_dict({"schema": "other/1", "id": "x", "text": ""})


def test_check_reports_broken_spans():
    article = Article(id="x", text="He said it.", attributions=[
        Attribution(id="a1", kind="direct", cue=[Span(3, 7, "said")], source=[Span(0, 2, "Hx")],
                    content=[], speaker="s9")])
    problems = article.check()
    assert any("source" in p for p in problems)
    assert any("speaker" in p for p in problems)


def test_error_record_keeps_the_item():
    article = Article(id="bad", text="", error="empty text")
    assert article.to_dict()["error"] == "empty text"
    assert not article.ok
