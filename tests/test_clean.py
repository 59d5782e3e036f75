"""Boilerplate lines and language detection."""

from __future__ import annotations

import pytest

import sayso
from sayso.nlp.clean import detect_language, find_boilerplate


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Read more: Putin’s ‘lover’ re-emerges after nuclear bunker reports", "read-more"),
        ("READ MORE: Ukraine latest", "read-more"),
        ("Sign up to our daily newsletter", "newsletter"),
        ("Subscribe to our politics briefing", "newsletter"),
        ("Click here to find out more", "click-here"),
        ("Share this article", "share"),
        ("Follow us on Twitter", "follow"),
        ("Photo: Reuters", "photo-credit"),
        ("(Photo by John Smith/Getty Images)", "photo-credit"),
        ("Getty Images", "photo-credit"),
        ("Jane Doe/AFP via Getty Images", "photo-credit"),
        ("(AP Photo)", "photo-credit"),
        ("A rescue worker in Kherson. Photograph: Ivan Petrov/Reuters", "photo-credit"),
        ("Advertisement", "advertisement"),
        ("© 2024 Example News", "copyright"),
    ],
)
def test_boilerplate_lines(line, reason):
    text = f"The minister spoke on Monday.\n{line}\nThe talks go on."
    found = find_boilerplate(text)
    assert [(b.text, b.reason) for b in found] == [(line, reason)]
    assert text[found[0].start:found[0].end] == line


def test_prose_is_not_boilerplate():
    text = ("Read the room, the senator told colleagues, before the vote.\n"
            "Shares in the company fell 5% after the report.\n"
            # a sentence that ends with a news agency is the article's, not a credit
            "\u201cWe are ready,\u201d Ivan Petrov said, according to Reuters.\n"
            "The ministry declined to comment, she told AFP.")
    assert find_boilerplate(text) == []


def test_boilerplate_yields_no_attribution():
    text = 'Read more: "We will win," said the minister\nThe talks went on.'
    article = sayso.analyze(text)
    assert article.attributions == []
    assert article.boilerplate[0].reason == "read-more"


def test_language():
    assert detect_language("The minister said the talks had failed and would resume next week.") == "en"
    assert detect_language("Le ministre a déclaré que les négociations avaient échoué hier soir.") == "fr"
