"""Offsets into the text as sent, on every entry point: the CLI (a file, standard input) and the web app
(JSON, the form, an upload, a raw body). CRLF line ends, a byte order mark, control characters and
astral characters (emoji) are kept in the record's text, and every span indexes that text exactly; the
line ends do not change what is found."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sayso.cli import main
from sayso.web.app import create_app

from .conftest import EXAMPLE

ARTICLE = ("“We will not back down,” the minister said on Monday.\n\n"
           "Officials said the plan would cost $2bn, according to a report seen by reporters.\n\n"
           "Critics claimed the scheme was “a disaster”, the newspaper reported.\n")
VARIANTS = {
    "crlf": ARTICLE.replace("\n", "\r\n"),
    "bom": "\ufeff" + ARTICLE,
    "control": ARTICLE.replace("Monday.", "Monday.\x0c\x07").replace("Officials", "\x1b\x0bOfficials"),
    "astral": ARTICLE.replace("Monday.", "Monday 🎉.").replace("reporters", "𝕏 reporters 👩‍👩‍👧"),
    "all": "\ufeff" + ARTICLE.replace("Monday.", "Monday 🎉.\x0c").replace("\n", "\r\n"),
}


def spans(value: Any) -> Iterator[dict[str, Any]]:
    """Every span of a record: each object with a start, an end and a text, however deep."""
    if isinstance(value, dict):
        if isinstance(value.get("start"), int) and isinstance(value.get("end"), int) and "text" in value:
            yield value
        for v in value.values():
            yield from spans(v)
    elif isinstance(value, list):
        for v in value:
            yield from spans(v)


def assert_offsets_index(record: dict[str, Any], sent: str) -> None:
    assert record["text"] == sent
    found = list(spans(record["attributions"])) + list(spans(record.get("sources", [])))
    assert len(record["attributions"]) >= 2 and found
    for span in spans(record):
        assert sent[span["start"]:span["end"]] == span["text"], span


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


@pytest.mark.parametrize("variant", VARIANTS)
def test_cli_file(variant, tmp_path, capsys):
    path = tmp_path / "story.txt"
    path.write_bytes(VARIANTS[variant].encode("utf-8"))
    assert main(["analyze", str(path), "--format", "json"]) == 0
    assert_offsets_index(json.loads(capsys.readouterr().out), VARIANTS[variant])


@pytest.mark.parametrize("variant", VARIANTS)
def test_cli_stdin(variant, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(VARIANTS[variant].encode("utf-8"))))
    assert main(["analyze", "-", "--format", "json"]) == 0
    assert_offsets_index(json.loads(capsys.readouterr().out), VARIANTS[variant])


@pytest.mark.parametrize("variant", VARIANTS)
def test_json_api(variant, client):
    answer = client.post("/api/analyze", json={"text": VARIANTS[variant]})
    assert answer.status_code == 200
    assert_offsets_index(answer.json(), VARIANTS[variant])


@pytest.mark.parametrize("variant", VARIANTS)
def test_raw_text_body(variant, client):
    answer = client.post("/api/analyze", content=VARIANTS[variant].encode("utf-8"),
                         headers={"content-type": "text/plain; charset=utf-8"})
    assert answer.status_code == 200
    assert_offsets_index(answer.json(), VARIANTS[variant])


@pytest.mark.parametrize("variant", VARIANTS)
def test_form_text_and_upload(variant, client):
    sent = VARIANTS[variant]
    form = client.post("/api/analyze", data={"text": sent})
    assert form.status_code == 200
    assert_offsets_index(form.json(), sent)
    upload = client.post("/api/analyze", files={"file": ("story.txt", sent.encode("utf-8"), "text/plain")})
    assert upload.status_code == 200
    assert_offsets_index(upload.json(), sent)
    assert upload.json()["id"] == "story"


def test_the_form_page_marks_the_text_as_sent(client):
    """The page's marked text is the text with its CRLF line ends, not a normalised copy."""
    page = client.post("/analyze", data={"text": VARIANTS["all"]})
    assert page.status_code == 200 and "the minister" in page.text and "🎉" in page.text


def _found(record: dict[str, Any]) -> list[tuple[str, ...]]:
    """What was found, offsets aside: each attribution's kind and the texts of its parts, line ends as LF."""
    def text(role: list[dict[str, Any]]) -> str:
        return " | ".join(span["text"].replace("\r\n", "\n") for span in role)

    return [(a["kind"], a["stance"], text(a["cue"]), text(a["source"]), text(a["content"]))
            for a in record["attributions"]]


@pytest.mark.parametrize("variant", ["crlf", "bom", "all"])
def test_line_ends_and_a_bom_find_the_same_attributions(variant, client):
    lf = EXAMPLE.read_text(encoding="utf-8").replace("\r\n", "\n")
    sent = {"crlf": lf.replace("\n", "\r\n"), "bom": "\ufeff" + lf, "all": "\ufeff" + lf.replace("\n", "\r\n")}[variant]
    by_lf = client.post("/api/analyze", json={"text": lf}).json()
    by_sent = client.post("/api/analyze", json={"text": sent}).json()
    assert_offsets_index(by_sent, sent)
    assert len(by_lf["attributions"]) >= 14
    assert _found(by_sent) == _found(by_lf)
    assert [s["name"] for s in by_sent["sources"]] == [s["name"] for s in by_lf["sources"]]
