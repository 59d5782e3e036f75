"""The web app's HTML building blocks: the marked article text and the outlet chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from sayso.record import Article, Attribution, Boilerplate, Hedge, Source, Span
from sayso.web.chart import profile_chart
from sayso.web.corpus import Period
from sayso.web.render import marked_html, source_rows

TEXT = 'He said "the <b>plan</b> & the budget" failed. Officials reportedly denied it. Read more: <script>x</script>'


class Marks(HTMLParser):
    """Checks the nesting of <mark> tags and collects the text under each (attribution, role)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[dict[str, str | None]] = []
        self.text: list[str] = []
        self.under: dict[tuple[str | None, str | None], str] = {}
        self.other_tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag != "mark":
            self.other_tags.append(tag)
            return
        self.stack.append(dict(attrs))

    def handle_endtag(self, tag):
        assert tag == "mark" and self.stack, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for attrs in self.stack:
            if attrs.get("data-a"):
                key = (attrs.get("data-a"), attrs.get("data-role"))
                self.under[key] = self.under.get(key, "") + data


def span(start: int, end: int) -> Span:
    return Span.of(TEXT, start, end)


def crossing_article() -> Article:
    said = TEXT.index("said")
    quote = TEXT.index('"the')
    failed = TEXT.index("failed")
    officials = TEXT.index("Officials")
    a1 = Attribution("a1", "mixed", cue=[span(said, said + 4)], source=[span(0, 2)],
                     content=[span(quote, failed + 6)], speaker="s1", stance="neutral")
    # a2's content starts inside a1's content and ends after it: the marks cross
    a2 = Attribution("a2", "indirect", cue=[span(TEXT.index("denied"), TEXT.index("denied") + 6)],
                     source=[span(officials, officials + 9)], content=[span(TEXT.index("budget"), TEXT.index(" it."))],
                     speaker="s2", stance="doubting")
    hedge_at = TEXT.index("reportedly")
    more = TEXT.index("Read more")
    return Article(id="t", text=TEXT, attributions=[a1, a2],
                   sources=[Source("s1", "Jane Doe", "person", None, [span(0, 2)]),
                            Source("s2", "Officials", "group", None, [span(officials, officials + 9)])],
                   hedges=[Hedge(hedge_at, hedge_at + 10, "reportedly")],
                   boilerplate=[Boilerplate(more, len(TEXT), TEXT[more:], "read-more")])


def test_marks_nest_even_where_they_cross_and_keep_the_text():
    article = crossing_article()
    assert article.check() == []
    parser = Marks()
    parser.feed(str(marked_html(article)))
    parser.close()
    assert parser.stack == [] and parser.other_tags == []  # balanced, and no tag from the text
    assert "".join(parser.text) == TEXT
    for a in article.attributions:
        for role in ("cue", "source", "content"):
            assert parser.under[(a.id, role)] == "".join(s.text for s in getattr(a, role)), (a.id, role)


def test_each_highlight_is_one_tab_stop_and_carries_its_attribution():
    html = str(marked_html(crossing_article()))
    assert html.count('tabindex="0"') == 7  # 3 + 3 roles, 1 hedge; continuation pieces are not tab stops
    assert 'data-tip="a2 · content: Officials (group) · stance doubting · indirect quote"' in html
    assert "&lt;b&gt;plan&lt;/b&gt; &amp; the" in html and "&lt;script&gt;" in html


def test_source_rows_list_references_in_order_of_use():
    text = "Jane Doe said it. She added more. Ms Doe said it again, she said."

    def at(word: str, nth: int = 0) -> Span:
        start = -1
        for _ in range(nth + 1):
            start = text.index(word, start + 1)
        return Span.of(text, start, start + len(word))

    article = Article(id="t", text=text, sources=[Source("s1", "Jane Doe", "person", "a teacher",
                                                         [at("Jane Doe"), at("She"), at("Ms Doe"), at("she")])])
    (row,) = source_rows(article)
    assert row.references == ["Jane Doe", "She", "Ms Doe", "she"] and row.mentions == 4 and row.attributions == 0


def test_profile_chart_is_valid_svg_with_escaped_labels():
    periods = [Period("2024-01", 2, 4, {"neutral": 3, "doubting": 1}, 0.5, 0.25, 1),
               Period("<undated>", 1, 0, {}, 0.0, 0.0, 0)]
    svg = str(profile_chart(periods))
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert [b.find(f"{ns}title").text for b in bars] == ["2024-01: neutral 3 of 4 (75%)",
                                                          "2024-01: doubting 1 of 4 (25%)"]
    heights = [float(b.get("height")) for b in bars]
    assert abs(heights[0] - 3 * heights[1]) < 0.2
    assert "&lt;undated&gt;" in svg and "<undated>" not in svg
