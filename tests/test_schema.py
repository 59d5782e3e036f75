"""The JSON Schema of `sayso.article/1` (sayso/record.schema.json): it agrees with
sayso.schema's vocabularies, sayso's records conform to it, and it refuses what
docs/record.md does not allow."""

from __future__ import annotations

import copy
import json
import sys

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sayso
from sayso import schema
from sayso.cli import main
from sayso.record import Article, Attribution, Boilerplate, Hedge, Source, Span

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def rules_article(example_text) -> Article:
    return sayso.analyze(example_text, id="audio-recording-report", model="rules")


def test_the_schema_file_is_a_valid_draft_2020_12_schema():
    document = schema.json_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["title"] == schema.SCHEMA == "sayso.article/1"
    assert document["properties"]["schema"] == {"const": schema.SCHEMA}


def test_the_vocabularies_are_the_schema_files():
    defs = schema.json_schema()["$defs"]
    assert tuple(defs["attribution"]["properties"]["kind"]["enum"]) == schema.KINDS
    assert tuple(defs["attribution"]["properties"]["stance"]["enum"]) == schema.STANCES
    assert tuple(defs["source"]["properties"]["type"]["enum"]) == schema.SOURCE_TYPES
    assert tuple(defs["meta"]["required"]) == schema.META_FIELDS
    assert tuple(defs["meta"]["properties"]) == schema.META_FIELDS
    profile = defs["profile"]["anyOf"][1]["properties"]
    assert tuple(profile["by_kind"]["required"]) == schema.KINDS
    assert tuple(profile["by_stance"]["required"]) == schema.STANCES
    assert tuple(profile["by_source_type"]["required"]) == (*schema.SOURCE_TYPES, "none")


def test_record_module_re_exports_them():
    from sayso import record

    for name in ("SCHEMA", "KINDS", "STANCES", "SOURCE_TYPES", "META_FIELDS"):
        assert getattr(record, name) is getattr(schema, name)


def test_json_schema_is_a_fresh_copy():
    document = schema.json_schema()
    document["properties"].clear()
    assert schema.json_schema()["properties"]


def test_the_hook_of_conftest_wraps_to_dict():
    assert hasattr(Article.to_dict, "__wrapped__")


def test_the_example_validates(example_article, rules_article):
    for article in (example_article, rules_article):
        record = article.to_dict()
        assert record["attributions"] and record["profile"]
        assert schema.validate(record) == []
        assert schema.validate(json.loads(json.dumps(record))) == []


def test_error_records_validate():
    items = [("", "empty", None), (123, "number", None), ("a\x00b", "nul", {"outlet": "Wire"}), object()]
    articles = list(sayso.analyze_many(items, model="rules"))
    assert [a.ok for a in articles] == [False] * 4
    for article in articles:
        record = article.to_dict()
        assert "error" in record
        assert schema.validate(record) == [], record


def test_an_error_record_finds_nothing(example_article):
    record = {**copy.deepcopy(example_article.to_dict()), "error": "analysis failed: boom"}
    problems = schema.validate(record)
    for field in ("attributions", "sources", "hedges", "boilerplate", "profile"):
        assert any(p.startswith(f"record.{field}:") for p in problems), (field, problems)


def test_json_and_jsonl_output_validate(capsys, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("“We will win,” she said. Officials reportedly denied it.", encoding="utf-8")
    assert main(["analyze", str(EXAMPLE), "--format", "json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert schema.validate(one) == []
    assert main(["analyze", str(EXAMPLE), str(other), "--format", "json"]) == 0
    several = json.loads(capsys.readouterr().out)
    assert len(several) == 2 and all(schema.validate(r) == [] for r in several)
    assert main(["analyze", str(EXAMPLE), str(other), "--format", "jsonl", "--model", "rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert schema.validate(json.loads(line)) == []


def test_extra_meta_is_kept_and_valid(example_article):
    record = copy.deepcopy(example_article.to_dict())
    record["meta"]["section"] = {"name": "world", "rank": 3}
    assert schema.validate(record) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r["attributions"][0].update(stance="angry"), "record.attributions[0].stance"),
        (lambda r: r["attributions"][0].update(kind="quoted"), "record.attributions[0].kind"),
        (lambda r: r["attributions"][0].update(score=1.5), "record.attributions[0].score"),
        (lambda r: r["attributions"][0]["cue"][0].update(start=-1), "record.attributions[0].cue[0].start"),
        (lambda r: r["attributions"][0]["cue"][0].update(end=3.5), "record.attributions[0].cue[0].end"),
        (lambda r: r["attributions"][0]["content"][0].pop("text"), "record.attributions[0].content[0]"),
        (lambda r: r["sources"][0].update(type="celebrity"), "record.sources[0].type"),
        (lambda r: r["sources"][0].update(description=3), "record.sources[0].description"),
        (lambda r: r["hedges"][0].update(note="x"), "record.hedges[0]"),
        (lambda r: r["boilerplate"][0].pop("reason"), "record.boilerplate[0]"),
        (lambda r: r["meta"].pop("outlet"), "record.meta"),
        (lambda r: r["meta"].update(published=20240115), "record.meta.published"),
        (lambda r: r.update(schema="sayso.article/2"), "record.schema"),
        (lambda r: r.update(extra=True), "record"),
        (lambda r: r.pop("hedges"), "record"),
        (lambda r: r["profile"]["by_stance"].pop("emotive"), "record.profile.by_stance"),
        (lambda r: r["profile"].update(named_share=2), "record.profile.named_share"),
        (lambda r: r["profile"].update(most_cited={"name": "x"}), "record.profile.most_cited"),
        (lambda r: r.update(error=None), "record.error"),
    ],
)
def test_the_schema_refuses(example_article, change, where):
    record = copy.deepcopy(example_article.to_dict())
    change(record)
    problems = schema.validate(record)
    assert problems and any(p.startswith(where + ":") for p in problems), problems
    assert all(len(p) < 300 for p in problems)  # no whole article quoted back


def test_no_source_means_a_null_speaker(example_article):
    record = copy.deepcopy(example_article.to_dict())
    sourced = next(a for a in record["attributions"] if a["source"])
    sourced["source"] = []
    assert any("speaker" in p for p in schema.validate(record))


def test_validate_says_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # import jsonschema now fails
    schema._validator.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match="needs the Python module 'jsonschema'"):
            schema.validate({})
    finally:
        monkeypatch.undo()
        schema._validator.cache_clear()
    assert schema.validate({})  # back again: an empty object is no record


@pytest.mark.invalid_records
def test_a_test_may_make_invalid_records_on_purpose():
    article = Article(id="x", text="He said.", attributions=[
        Attribution("a1", "direct", cue=[Span(3, 7, "said")], source=[], content=[], stance="angry")])
    assert any("stance" in p for p in schema.validate(article.to_dict()))


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)


@st.composite
def articles(draw) -> Article:
    text = draw(TEXT)

    def span() -> Span:
        start = draw(st.integers(0, len(text)))
        return Span.of(text, start, draw(st.integers(start, len(text))))

    sources = [Source(f"s{i + 1}", draw(st.text(max_size=10)), draw(st.sampled_from(schema.SOURCE_TYPES)),
                      draw(st.none() | st.text(max_size=10)), [span()])
               for i in range(draw(st.integers(0, 2)))]
    attributions = []
    for i in range(draw(st.integers(0, 3))):
        source = [span()] if sources and draw(st.booleans()) else []
        attributions.append(Attribution(
            f"a{i + 1}", draw(st.sampled_from(schema.KINDS)), [span()], source, [span()],
            speaker=draw(st.sampled_from(sources)).id if source else None,
            stance=draw(st.sampled_from(schema.STANCES)), score=draw(st.floats(0, 1))))
    meta = {name: draw(st.none() | st.text(max_size=8)) for name in schema.META_FIELDS}
    return Article(id=draw(st.text(max_size=12)), text=text, meta=meta, attributions=attributions, sources=sources,
                   hedges=[Hedge(s.start, s.end, s.text) for s in [span()]],
                   boilerplate=[Boilerplate(s.start, s.end, s.text, "read-more") for s in [span()]])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles())
def test_any_record_the_types_make_validates_and_round_trips(article):
    record = article.to_dict()
    assert schema.validate(record) == []
    assert Article.from_dict(json.loads(json.dumps(record))).to_dict() == record
