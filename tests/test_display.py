"""The notebook view (`Article._repr_html_`): the web app's marks, from the same
templates, as one self-contained and escaped piece of HTML."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import sayso
from sayso import display
from sayso.record import Article, Attribution, Boilerplate, Hedge, Source, Span
from sayso.schema import STANCES

EVIL = ('The minister said the plan <script>window.pwned = 1</script> had "failed". '
        '"><img src=x onerror="window.pwned = 2"> Officials reportedly confirmed it.\n'
        "Read more: <b>other</b> news")


class Page(HTMLParser):
    """Every tag and attribute, the nesting of the marks and the text inside the article text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open_marks = 0
        self.depth_in_text: int | None = None
        self.depth = 0
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self.depth += 1
        if tag == "mark":
            self.open_marks += 1
        if tag == "style":
            self._in_style = True
        if tag == "div" and "article-text" in (a.get("class") or "").split():
            self.depth_in_text = self.depth

    def handle_endtag(self, tag):
        if tag == "mark":
            assert self.open_marks > 0, "unbalanced </mark>"
            self.open_marks -= 1
        if tag == "style":
            self._in_style = False
        if self.depth_in_text == self.depth and tag == "div":
            self.depth_in_text = None
        self.depth -= 1

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        elif self.depth_in_text is not None:
            self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert page.open_marks == 0
    return page


@pytest.fixture(scope="module")
def evil_article() -> Article:
    return sayso.analyze(EVIL, id="evil<1>", meta={"title": "<script>alert('title')</script>",
                                                   "outlet": '"><img src=y onerror=alert(3)>'})


def test_the_notebook_shows_the_marked_example(example_article):
    html = example_article._repr_html_()
    page = parse(html)
    assert "".join(page.text) == example_article.text  # all of the text, and only it
    marks = [a for tag, a in page.tags if tag == "mark" and "sample" not in (a.get("class") or "")]
    layers = {c for a in marks for c in a["class"].split() if c.startswith("m-")}
    assert {"m-source", "m-cue", "m-content", "m-hedge", "m-boilerplate"} <= layers
    assert layers <= {f"m-{x}" for x in display.LAYERS}
    cues = [a for a in marks if "m-cue" in a["class"].split() and "cont" not in a["class"].split()]
    assert len(cues) == sum(len(a.cue) for a in example_article.attributions)
    assert {a["data-stance"] for a in cues} == {a.stance for a in example_article.attributions}
    # every highlight explains itself without a script: a title, and no tab stops to nowhere
    assert all(a.get("title") for a in marks)
    assert not any("tabindex" in a or "data-tip" in a for _, a in page.tags)
    petraeus = next(src.id for src in example_article.sources if src.name == "David Petraeus")
    assert "David Petraeus" in html and f">{petraeus}<" in html  # the sources' key


def test_the_legend_names_every_role_and_stance(example_article):
    page = parse(example_article._repr_html_())
    samples = [a for tag, a in page.tags if tag == "mark" and "sample" in (a.get("class") or "")]
    assert {a["data-label"] for a in samples if "data-label" in a} == {label for _, label, _ in display.LEGEND}
    assert [a["data-stance"] for a in samples if "data-stance" in a] == list(STANCES)
    for stance in STANCES:  # each stance has a colour of its own
        assert f"mark.m-cue[data-stance={stance}]" in page.style


def test_self_contained_scoped_and_without_script(example_article):
    page = parse(example_article._repr_html_())
    tags = {tag for tag, _ in page.tags}
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert [tag for tag, _ in page.tags].count("style") == 1
    assert not any(name in a for _, a in page.tags for name in ("src", "href", "onclick", "onload"))
    # styles only for the view itself: no rule reaches the rest of the notebook
    style = re.sub(r"/\*.*?\*/", "", page.style, flags=re.S)
    rules = [r.split("{")[0] for r in style.split("}") if "{" in r]
    selectors = [s.strip() for r in rules for s in r.split(",") if s.strip()]
    assert selectors and all(s.startswith(".sayso-nb") for s in selectors), selectors
    assert "@import" not in page.style and "url(" not in page.style


def test_article_text_and_meta_never_become_markup(evil_article):
    html = evil_article._repr_html_()
    page = parse(html)
    assert [tag for tag, _ in page.tags if tag not in ("div", "style", "p", "strong", "span", "mark", "ul", "li",
                                                        "label")] == []
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "".join(page.text) == EVIL
    assert "evil&lt;1&gt;" in html


def test_an_error_record_says_why():
    html = Article(id="bad", text="", error="empty <text>")._repr_html_()
    assert "not analysed: empty &lt;text&gt;" in html
    assert 'class="article-text"' not in html
    parse(html)


def test_a_record_built_by_hand():
    text = "Jane said it. Reportedly so.\nShare this"
    article = Article(id="t", text=text,
                      attributions=[Attribution("a1", "indirect", [Span.of(text, 5, 9)], [Span.of(text, 0, 4)],
                                                [Span.of(text, 10, 12)], speaker="s1", stance="emotive")],
                      sources=[Source("s1", "Jane", "person", None, [Span.of(text, 0, 4)])],
                      hedges=[Hedge(14, 24, "Reportedly")], boilerplate=[Boilerplate(29, 39, "Share this", "share")])
    page = parse(article._repr_html_())
    assert "".join(page.text) == text
    (cue,) = [a for tag, a in page.tags if tag == "mark" and a.get("data-role") == "cue"]
    assert cue["data-stance"] == "emotive"
    assert cue["title"] == "a1 · cue: Jane (person) · stance emotive · indirect quote"


def test_the_web_app_and_the_notebook_mark_alike(example_article):
    web, static = str(display.marked_html(example_article)), str(display.marked_html(example_article, static=True))
    strip = Page(), Page()
    strip[0].feed(f'<div class="article-text">{web}</div>')
    strip[1].feed(f'<div class="article-text">{static}</div>')
    assert strip[0].text == strip[1].text
    web_marks = [(a["class"], a.get("data-a"), a.get("data-tip")) for t, a in strip[0].tags if t == "mark"]
    static_marks = [(a["class"], a.get("data-a"), a.get("title")) for t, a in strip[1].tags if t == "mark"]
    assert web_marks == static_marks


def test_the_web_app_loads_the_shared_templates():
    from sayso.web import render
    from sayso.web.app import WEB_DIR, _templates

    env = _templates().env
    for name in ("_legend.html", "_marked.html"):
        assert not (WEB_DIR / "templates" / name).exists()  # one copy, sayso's
        assert Path(env.get_template(name).filename).parent == display.TEMPLATE_DIR
    assert render.marked_html is display.marked_html and render.LEGEND is display.LEGEND


def test_display_needs_no_record_at_run_time():
    """record.py imports display inside _repr_html_; display must not import it back."""
    tree = ast.parse(Path(display.__file__).read_text(encoding="utf-8"))
    imported = []
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:`
            continue
        if isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
        elif isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
    assert [m for m in imported if m.startswith("sayso")] == ["sayso.schema"]
