"""Pasted HTML goes through the HTML reader, and a pasted web address gets a one-line hint that sayso
reads no pages from the network: in the form, the JSON API, a raw body and the CLI."""

from __future__ import annotations

import io
import sys

import pytest
from fastapi.testclient import TestClient

from sayso.cli import main
from sayso.corpus.read import looks_like_markup
from sayso.web.app import create_app

from .conftest import REPO

FRAGMENT = ('<div class="story"><p>Two officials, who spoke on condition of anonymity, said the talks had '
            'collapsed on Friday.</p>\n<p>“We are not giving up,” the foreign minister told reporters in '
            'Geneva.</p></div>')
PAGE = (REPO / "examples" / "audio-recording-report.html").read_text(encoding="utf-8")
ADDRESSES = ["https://www.example.com/news/2024/05/minister-resigns", "  http://example.org/a?b=c\n",
             "www.example.co.uk/story"]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def assert_no_markup(record: dict) -> None:
    assert "<" not in record["text"] and ">" not in record["text"]
    for a in record["attributions"]:
        for role in ("cue", "source", "content"):
            for span in a[role]:
                assert "</" not in span["text"] and "<p" not in span["text"]


def test_what_looks_like_markup():
    assert looks_like_markup(FRAGMENT) and looks_like_markup(PAGE)
    assert looks_like_markup("Headline\n<p>One.</p>\n<p>Two.</p>")
    assert not looks_like_markup("Use the <b> tag, the web designer said; 3 < 4 > 2.")
    assert not looks_like_markup("“We will win,” she said. <Reuters>")


@pytest.mark.parametrize("how", ["form", "json", "raw"])
def test_pasted_html_is_read_as_html(how, client):
    for html in (FRAGMENT, PAGE):
        if how == "form":
            answer = client.post("/api/analyze", data={"text": html})
        elif how == "json":
            answer = client.post("/api/analyze", json={"text": html})
        else:
            answer = client.post("/api/analyze", content=html.encode(), headers={"content-type": "text/plain"})
        assert answer.status_code == 200, answer.text
        record = answer.json()
        assert_no_markup(record)
        if html is FRAGMENT:
            assert any(s["text"].startswith("Two officials") for a in record["attributions"] for s in a["source"])
        else:
            assert record["meta"]["title"] and "Petraeus" in record["text"]


def test_the_form_page_shows_pasted_html_as_text(client):
    page = client.post("/analyze", data={"text": FRAGMENT})
    assert page.status_code == 200
    assert "anonymity.&lt;/p&gt;" not in page.text and "Two officials" in page.text


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_pasted_address_gets_a_hint(address, client):
    for answer in (client.post("/api/analyze", json={"text": address}),
                   client.post("/api/analyze", data={"text": address}),
                   client.post("/api/analyze", content=address.encode(), headers={"content-type": "text/plain"})):
        assert answer.status_code == 400
        assert "\n" not in answer.text and "reads no pages from the network" in answer.json()["detail"]
    page = client.post("/analyze", data={"text": address})
    assert page.status_code == 400 and "reads no pages from the network" in page.text


def test_a_text_with_an_address_in_it_is_analysed(client):
    text = "The minister said the report, published at https://example.org/report, was wrong."
    assert client.post("/api/analyze", json={"text": text}).status_code == 200


def test_cli_given_an_address_as_path_or_text(capsys, monkeypatch):
    assert main(["analyze", ADDRESSES[0]]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "reads no pages from the network" in err and "Traceback" not in err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ADDRESSES[1].encode())))
    assert main(["analyze", "-"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "<stdin>" in err and "reads no pages from the network" in err
