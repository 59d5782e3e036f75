"""The web app through HTTP (FastAPI's TestClient): pages, the JSON API, and its answers to bad input."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from sayso.cli import main
from sayso.record import Article, text_id
from sayso.web.app import NO_CORPUS, create_app

from .conftest import EXAMPLE

SMALL_LIMIT = 64 * 1024
# Two classic injections: if either ran, the page would be open to any article's author.
XSS_TEXT = ('The minister said the plan <script>window.pwned = 1</script> had "failed". '
            '"><img src=x onerror="window.pwned = 2"> Officials confirmed the talks had ended, '
            "a spokesman said.")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(max_body=SMALL_LIMIT)) as c:
        yield c


def spans_of(record: dict) -> list[tuple[str, str, str]]:
    return [(" ".join(s["text"] for s in a["source"]), " ".join(s["text"] for s in a["cue"]),
             " ".join(s["text"] for s in a["content"])) for a in record["attributions"]]


# --- the analyse page --------------------------------------------------------------------


def test_analyse_page_has_the_form_and_only_local_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'name="text"' in page.text and 'type="file"' in page.text and 'action="/analyze"' in page.text
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert linked and all(url.startswith(("/", "#")) for url in linked), linked
    for url in (u for u in linked if u.startswith("/static/")):
        assert client.get(url).status_code == 200, url


def test_analyse_page_marks_the_example(client, example_article):
    sent = EXAMPLE.read_bytes()
    page = client.post("/analyze", files={"file": ("audio-recording-report.txt", sent, "text/plain")})
    assert page.status_code == 200
    body = page.text
    # every attribution's cue, source and content is marked, tagged with its attribution id
    for a in example_article.attributions:
        for role in ("cue", "source", "content"):
            for span in getattr(a, role):
                first_words = html.escape(span.text, quote=False).split(" ")[0]
                assert re.search(rf'<mark class="m m-{role}"[^>]*data-a="{a.id}"[^>]*>', body), (a.id, role)
                assert first_words in body
    assert body.count('class="m m-hedge"') == len(example_article.hedges)
    assert 'class="m m-boilerplate"' in body
    # the side panel: sources with counts, references and the profile
    panel = body[body.index('id="sources"'):]
    assert "David Petraeus" in panel and "Retired US army general" in panel
    assert "5 attributions" in panel and "5 mentions" in panel
    for ref in ("Retired US army general David Petraeus", "He", "The former general", "Mr Petraeus ×2"):
        assert f"“{ref}”" in panel
    assert 'id="profile"' in body and "most cited" in body


def test_analyse_page_reports_bad_input_on_the_page(client):
    page = client.post("/analyze", data={"text": "   "})
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "nothing to analyse" in page.text


# --- POST /api/analyze -------------------------------------------------------------------


def test_api_analyze_json_is_the_article_record(client, example_text, example_article):
    answer = client.post("/api/analyze", json={"text": example_text, "id": "audio-recording-report",
                                                "meta": {"outlet": "Example Times", "unknown": "dropped"}})
    assert answer.status_code == 200
    record = answer.json()
    assert record["schema"] == "sayso.article/1" and record["id"] == "audio-recording-report"
    assert record["meta"]["outlet"] == "Example Times" and "unknown" not in record["meta"]
    assert Article.from_dict(record).check() == []
    expected = example_article.to_dict()
    for key in ("text", "boilerplate", "attributions", "sources", "hedges", "profile"):
        assert record[key] == expected[key], key


def test_api_analyze_takes_a_form_a_file_or_a_raw_body(client):
    text = "“We will not give up,” the mayor said on Tuesday. Police confirmed that two roads were closed."
    as_json = client.post("/api/analyze", json={"text": text}).json()
    as_form = client.post("/api/analyze", data={"text": text}).json()
    as_file = client.post("/api/analyze", files={"file": ("a.txt", text.encode(), "text/plain")}).json()
    as_body = client.post("/api/analyze", content=text.encode(), headers={"content-type": "text/plain"}).json()
    assert spans_of(as_json) == spans_of(as_form) == spans_of(as_file) == spans_of(as_body)
    assert ("the mayor", "said", "“We will not give up,”") in spans_of(as_json)
    assert as_json["id"] == as_form["id"] == as_body["id"] == text_id(text)  # no id given: the hash of the text
    assert as_file["id"] == "a"  # a file's id is its name, as with `sayso analyze a.txt`


def test_api_analyze_reads_the_main_text_of_an_html_upload(client):
    page = ("<!doctype html><html><head><title>Roads closed after storm</title>"
            '<meta property="og:site_name" content="The Valley Courier"></head><body>'
            "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Roads closed after storm</h1>"
            "<p>Police confirmed on Tuesday that two roads into the valley had been closed after the storm.</p>"
            "<p>“We will not give up,” the mayor said, adding that crews would work through the night "
            "to clear the fallen trees from both roads.</p></article>"
            "<script>window.pwned = 1</script><footer>Copyright</footer></body></html>")
    answer = client.post("/api/analyze", files={"file": ("storm.html", page.encode(), "text/html")})
    assert answer.status_code == 200
    record = answer.json()
    assert record["meta"]["title"] == "Roads closed after storm"
    assert "Police confirmed" in record["text"] and "pwned" not in record["text"] and "Home" not in record["text"]
    assert any(cue == "confirmed" for _, cue, _ in spans_of(record))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"json": {"text": "  \n "}}, "empty text"),
    ({"json": {"body": "no text field"}}, '"text" string'),
    ({"json": {"text": "A said B.", "meta": ["not", "an", "object"]}}, '"meta" must be an object'),
    ({"content": b'{"text": "unterminated', "headers": {"content-type": "application/json"}}, "malformed JSON"),
    ({"data": {"text": ""}}, "nothing to analyse"),
    ({"files": {"file": ("empty.txt", b"", "text/plain")}}, "empty.txt: empty file"),
    ({"files": {"file": ("bin.txt", b"\x00\x01\x02binary\x00", "text/plain")}}, "binary"),
    ({"files": {"file": ("latin.txt", "Le ministre a déclaré".encode("latin-1"), "text/plain")}}, "not valid UTF-8"),
    ({"files": {"file": ("page.html", b"<html><head><title>t</title></head><body><script>x()</script></body>"
                                      b"</html>", "text/html")}},
     "no article text"),
    ({"content": b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\ntrunc",
      "headers": {"content-type": "multipart/form-data; boundary=xyz"}}, None),
    ({"content": b"garbage", "headers": {"content-type": "multipart/form-data"}}, None),
    ({"content": b"\xff\xfe not utf-8", "headers": {"content-type": "text/plain"}}, "not valid UTF-8"),
])
def test_api_analyze_bad_input_is_400_with_a_message(client, kwargs, message):
    answer = client.post("/api/analyze", **kwargs)
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail
    if message:
        assert message in detail


def test_api_analyze_unsupported_type_is_415(client):
    answer = client.post("/api/analyze", content=b"\x89PNG", headers={"content-type": "image/png"})
    assert answer.status_code == 415 and "unsupported content type" in answer.json()["detail"]


def test_bodies_over_the_limit_get_413_with_a_clear_message(client):
    big = b"word " * (SMALL_LIMIT // 5 + 100)
    declared = client.post("/api/analyze", content=big, headers={"content-type": "text/plain"})
    assert declared.status_code == 413
    assert declared.json()["detail"].startswith("request body too large: the limit is 64 KB")

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"word " * 500

    streamed = client.post("/api/analyze", content=chunks(), headers={"content-type": "text/plain"})
    assert streamed.status_code == 413 and "64 KB" in streamed.json()["detail"]
    upload = client.post("/analyze", files={"file": ("big.txt", big, "text/plain")})
    assert upload.status_code == 413 and "text/html" in upload.headers["content-type"]
    assert "request body too large" in upload.text


# --- safety: article text is text ----------------------------------------------------------


def test_article_text_is_escaped_everywhere(client):
    page = client.post("/analyze", data={"text": XSS_TEXT})
    assert page.status_code == 200
    body = page.text
    assert "<script>window" not in body and "<img" not in body and "onerror=\"window" not in body
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=" in body
    record = client.post("/api/analyze", json={"text": XSS_TEXT}).json()
    assert record["text"] == XSS_TEXT  # the record keeps the text as sent; only the page escapes it


# --- the API's documents and the corpus endpoints without a corpus -------------------------------


def test_openapi_lists_the_endpoints_and_docs_are_served_locally(client):
    spec = client.get("/api/openapi.json").json()
    assert {"/api/analyze", "/api/sources", "/api/sources/{name}/attributions", "/api/articles/{id}",
            "/api/search"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text) + re.findall(r"url: '([^']+)'", docs.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", ["/api/sources", "/api/sources/Anyone/attributions", "/api/articles/x",
                                  "/api/search?q=x"])
def test_corpus_endpoints_without_a_corpus_are_404(client, path):
    answer = client.get(path)
    assert answer.status_code == 404 and answer.json()["detail"] == NO_CORPUS


def test_corpus_pages_without_a_corpus_say_how_to_open_one(client):
    page = client.get("/search?q=x")
    assert page.status_code == 404 and "sayso serve --db" in page.text


def test_serve_refuses_a_missing_store_in_one_line(capsys, tmp_path):
    code = main(["serve", "--db", str(tmp_path / "missing.duckdb")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "missing.duckdb" in err
    code = main(["serve", "--port", "70000"])
    err = capsys.readouterr().err
    assert code == 2 and "not a port number" in err


# --- the corpus: a small store written by the store's own writer ----------------------------

CORPUS = [
    ("Mayor Jane Doe said the bridge would reopen in March. Engineers confirmed that the repairs were on schedule.",
     "bridge-1", {"title": "Bridge to reopen", "outlet": "Valley Courier", "published": "2024-01-10"}),
    ("“We have fixed it,” Jane Doe said on Monday. Critics claimed the works had cost too much.",
     "bridge-2", {"title": "Bridge fixed", "outlet": "Valley Courier", "published": "2024-03-02"}),
    ("Jane Doe argued that the budget was sound. Residents said the new toll was <script>window.pwned = 3</script>.",
     "budget-1", {"title": "Budget <script>window.pwned = 4</script>", "outlet": "Hill Times",
                  "published": "2024-02-20"}),
]
NEWEST_FIRST = ["bridge-2", "budget-1", "bridge-1"]


def build_store(path) -> list[Article]:
    """Analyse the CORPUS texts and store them as `sayso run` would."""
    import sayso
    from sayso.corpus.store import open_store, write_articles

    articles = list(sayso.analyze_many(CORPUS))
    con = open_store(path)
    try:
        write_articles(con, articles)
    finally:
        con.close()
    return articles


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    return path, {a.id: a for a in build_store(path)}


@pytest.fixture(scope="module")
def corpus_client(stored):
    with TestClient(create_app(str(stored[0]), page_size=2)) as c:
        yield c


def by_jane(articles: dict[str, Article]) -> list[tuple[str, dict]]:
    """(article id, attribution record) of every attribution resolved to Jane Doe, newest article first."""
    return [(i, a.to_dict()) for i in NEWEST_FIRST for a in articles[i].attributions
            if (s := articles[i].source_by_id(a.speaker)) is not None and s.name == "Jane Doe"]


def test_api_sources_counts_a_source_across_articles(corpus_client, stored):
    _, articles = stored
    answer = corpus_client.get("/api/sources").json()
    jane = answer["sources"][0]
    expected = by_jane(articles)
    assert jane["name"] == "Jane Doe" and jane["type"] == "person"
    assert jane["articles"] == 3 and jane["attributions"] == len(expected)
    assert sum(jane["by_stance"].values()) == len(expected)
    assert answer["total"] == len({s.name for a in articles.values() for s in a.sources})
    only = corpus_client.get("/api/sources", params={"q": "jane"}).json()
    assert [s["name"] for s in only["sources"]] == ["Jane Doe"]


def test_api_source_attributions_newest_first_and_paginated(corpus_client, stored):
    _, articles = stored
    expected = by_jane(articles)
    first = corpus_client.get("/api/sources/Jane Doe/attributions", params={"limit": 2}).json()
    rest = corpus_client.get("/api/sources/Jane Doe/attributions", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == rest["total"] == len(expected) == 3
    got = [(r["article"]["id"], r["attribution"]) for r in first["attributions"] + rest["attributions"]]
    assert got == expected
    assert first["attributions"][0]["article"]["title"] == "Bridge fixed"
    assert first["attributions"][0]["article"]["outlet"] == "Valley Courier"
    missing = corpus_client.get("/api/sources/Nobody At All/attributions")
    assert missing.status_code == 404 and "Nobody At All" in missing.json()["detail"]


def test_api_article_is_the_stored_record(corpus_client, stored):
    _, articles = stored
    for id_, article in articles.items():
        assert corpus_client.get(f"/api/articles/{id_}").json() == article.to_dict()
    assert corpus_client.get("/api/articles/no-such-id").status_code == 404
    listed = corpus_client.get("/api/articles").json()
    assert [a["id"] for a in listed["articles"]] == NEWEST_FIRST
    assert listed["articles"][0]["profile"] == articles["bridge-2"].profile


def test_api_search_by_source_and_by_content(corpus_client):
    by_source = corpus_client.get("/api/search", params={"q": "JANE", "by": "source"}).json()
    assert by_source["total"] == 3 and {r["source"]["name"] for r in by_source["attributions"]} == {"Jane Doe"}
    by_content = corpus_client.get("/api/search", params={"q": "repairs", "by": "content"}).json()
    assert [r["article"]["id"] for r in by_content["attributions"]] == ["bridge-1"]
    assert "repairs" in by_content["attributions"][0]["attribution"]["content"][0]["text"]
    assert corpus_client.get("/api/search", params={"q": "Engineers", "by": "content"}).json()["total"] == 0
    assert corpus_client.get("/api/search", params={"q": "  "}).status_code == 400
    assert corpus_client.get("/api/search", params={"q": "x", "by": "title"}).status_code == 422
    assert corpus_client.get("/api/search").status_code == 422


def test_search_and_source_pages(corpus_client):
    page = corpus_client.get("/search", params={"q": "jane"}).text
    assert "3 attributions matching" in page and 'href="/sources/Jane%20Doe"' in page
    source = corpus_client.get("/sources/Jane Doe")
    assert source.status_code == 200
    titles = re.findall(r'<a href="/articles/[^"]+">([^<]+)</a>', source.text)
    assert titles == ["Bridge fixed", "Budget &lt;script&gt;window.pwned = 4&lt;/script&gt;"]  # page 1 of 2
    assert "page 1 of 2" in source.text and 'href="/sources/Jane%20Doe?page=2"' in source.text
    second = corpus_client.get("/sources/Jane Doe", params={"page": 2}).text
    assert re.findall(r'<a href="/articles/[^"]+">([^<]+)</a>', second) == ["Bridge to reopen"]
    assert corpus_client.get("/sources/Nobody").status_code == 404


def test_articles_outlet_and_article_pages(corpus_client):
    listing = corpus_client.get("/articles").text
    assert "<script>window" not in listing and "Budget &lt;script&gt;" in listing
    assert listing.count('class="mini-bar"') == 2 and "page 1 of 2" in listing
    outlet = corpus_client.get("/outlets/Valley Courier").text
    svg = outlet[outlet.index("<svg"):outlet.index("</svg>")]
    assert "<title>2024-01: " in svg and "<title>2024-03: " in svg and "2024-02" not in svg
    assert corpus_client.get("/outlets/Nowhere").status_code == 404
    article = corpus_client.get("/articles/budget-1").text
    assert "<script>window" not in article
    assert "&lt;script&gt;window.pwned" in article and "= 3&lt;/script&gt;" in article  # a mark may end between
    assert 'class="m m-source"' in article


def test_the_store_is_opened_read_only(stored, tmp_path):
    import duckdb

    from sayso.errors import StoreError as CorpusError
    from sayso.web.corpus import Corpus

    corpus = Corpus(str(stored[0]))
    try:
        with pytest.raises(duckdb.Error):
            corpus._con.execute("DELETE FROM documents")
        assert corpus.article("bridge-1") is not None
    finally:
        corpus.close()
    not_a_store = tmp_path / "notes.duckdb"
    not_a_store.write_text("just some notes\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"notes\.duckdb"):
        create_app(str(not_a_store))


def test_unknown_paths_get_a_page_or_json_by_where_they_are(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"] and "Not found" in page.text
    assert client.get("/api/no-such-endpoint").json() == {"detail": "Not Found"}
    assert client.get("/analyze").status_code == 405
