"""The reader's view without a browser: which sources link to the corpus, the stance of each cue on
the page and in the stylesheet, and the labelled cells the phone layout turns into cards."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from sayso.record import STANCES
from sayso.web.app import WEB_DIR, create_app
from sayso.web.corpus import Corpus
from sayso.web.render import source_rows

from .test_web_api import build_store

# Jane Doe is in the store (tests/test_web_api.CORPUS), Bob Smith is not
TWO_SOURCES = "Jane Doe said the bridge would reopen. “It is a scandal,” Bob Smith claimed on Friday."


class SourceCards(HTMLParser):
    """name -> the href of its "in the corpus" link (None: no link), from the panel's source cards."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cards: dict[str, str | None] = {}
        self._in_name = False
        self._current: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "span" and "src-name" in classes:
            self._in_name = True
        elif tag == "a" and "src-link" in classes and self._current is not None:
            self.cards[self._current] = a["href"]

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_name = False

    def handle_data(self, data):
        if self._in_name:
            self._current = data
            self.cards[data] = None


def cards(page: str) -> dict[str, str | None]:
    parser = SourceCards()
    parser.feed(page)
    return parser.cards


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("view") / "corpus.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="module")
def corpus_client(store_path):
    with TestClient(create_app(str(store_path))) as c:
        yield c


def test_the_store_says_which_source_names_it_holds(store_path):
    corpus = Corpus(str(store_path))
    try:
        assert corpus.stored_sources(["Jane Doe", "Bob Smith", "Jane Doe", "jane doe"]) == {"Jane Doe"}
        assert corpus.stored_sources([]) == set()
    finally:
        corpus.close()


def test_an_analysed_article_links_only_the_sources_the_store_holds(corpus_client):
    page = corpus_client.post("/analyze", data={"text": TWO_SOURCES})
    assert page.status_code == 200
    shown = cards(page.text)
    assert shown == {"Jane Doe": "/sources/Jane%20Doe", "Bob Smith": None}
    assert page.text.count("in the corpus →") == 1
    assert corpus_client.get(shown["Jane Doe"]).status_code == 200
    assert corpus_client.get("/sources/Bob%20Smith").status_code == 404  # the link it would have offered


def test_a_stored_article_links_every_source_and_every_link_opens(corpus_client):
    for id_ in ("bridge-1", "bridge-2", "budget-1"):
        shown = cards(corpus_client.get(f"/articles/{id_}").text)
        assert shown and all(shown.values()), (id_, shown)
        for href in shown.values():
            assert corpus_client.get(href).status_code == 200, href


def test_without_a_store_no_source_links_to_the_corpus():
    with TestClient(create_app()) as client:
        shown = cards(client.post("/analyze", data={"text": TWO_SOURCES}).text)
    assert shown == {"Jane Doe": None, "Bob Smith": None}


def test_source_rows_mark_the_names_in_the_corpus(example_article):
    names = {s.name for s in example_article.sources}
    some = {"David Petraeus", "no such source"}
    rows = source_rows(example_article, some)
    assert {r.name for r in rows if r.in_corpus} == some & names == {"David Petraeus"}
    assert not any(r.in_corpus for r in source_rows(example_article))


def test_each_cue_carries_its_stance_and_the_legend_names_all_five(corpus_client):
    page = corpus_client.post("/analyze", data={"text": TWO_SOURCES}).text
    stances = dict(re.findall(r'<mark class="m m-cue"[^>]*data-stance="(\w+)"[^>]*>(\w+)', page))
    assert stances == {"neutral": "said", "doubting": "claimed"}
    legend = page[page.index('class="legend"'):page.index('id="article-text"')]
    assert re.findall(r'<mark class="m m-cue sample" data-stance="(\w+)"', legend) == list(STANCES)
    # the search results colour their cues the same way
    found = corpus_client.get("/search", params={"q": "critics"}).text
    assert re.search(r'<mark class="m m-cue" data-stance="doubting">claimed</mark>', found)


def test_the_stylesheet_colours_and_signs_every_stance():
    css = (WEB_DIR / "static" / "sayso.css").read_text(encoding="utf-8")
    colours, signs = {}, {}
    for stance in STANCES:
        rule = re.search(rf"mark\.m-cue\[data-stance={stance}\] \{{([^}}]*)\}}", css)
        assert rule, stance
        colours[stance] = re.search(r"--cue: (#[0-9A-Fa-f]{6})", rule.group(1)).group(1).lower()
        sign = re.search(r'--sign: "([^"]+)"', rule.group(1))
        signs[stance] = sign.group(1) if sign else None
    assert len(set(colours.values())) == len(STANCES)
    # not by colour alone: each stance but neutral has a sign of its own
    assert signs["neutral"] is None and len({signs[s] for s in STANCES if s != "neutral"}) == len(STANCES) - 1


def test_the_attribution_rows_label_every_cell_for_the_phone_cards(corpus_client):
    page = corpus_client.post("/analyze", data={"text": TWO_SOURCES}).text
    start = page.index('id="attributions-table"')
    table = page[start:page.index("</table>", start)]
    rows = re.findall(r"<tr data-a=.*?</tr>", table, flags=re.S)
    assert len(rows) == 2
    for row in rows:
        assert re.findall(r'data-label="(\w+)"', row) == ["source", "cue", "content", "kind", "stance"]
    # the parts the phone bar links to exist, and the sources panel comes before the attributions
    for target in re.findall(r'<nav class="jump".*?</nav>', page, flags=re.S)[0].split('href="#')[1:]:
        assert f'id="{target.split(chr(34))[0]}"' in page
    assert page.index('id="article-text"') < page.index('id="sources-panel"') < page.index('id="attributions"')
