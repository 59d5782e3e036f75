"""The reader of gold attributions marked inline (`training.marked`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sayso.errors import CorpusError
from sayso.training.marked import parse_marked, read_marked

SPLIT = ("⟦content:1|“We were lucky,”⟧ ⟦source:1 person=Mary Okafor|she⟧ ⟦cue:1|said⟧, "
         "⟦content:1|“because the wall held.”⟧ ⟦more:1|“An hour later it would have been worse.”⟧\n\n"
         "⟦source:2 organization=the ministry|The ministry⟧ ⟦cue:2|said⟧ ⟦content:2|that ⟦source:3 group|rescuers⟧ "
         "had ⟦cue:3|reported⟧ ⟦content:3|that 300 people died⟧⟧.")
PLAIN = ("“We were lucky,” she said, “because the wall held.” “An hour later it would have been worse.”\n\n"
         "The ministry said that rescuers had reported that 300 people died.")


def test_marks_removed_leave_the_text_and_spans_index_it() -> None:
    article = parse_marked(SPLIT, "t1")
    assert article.text == PLAIN
    gold = article.gold()
    assert [[s.text for s in a.content] for a in gold.attributions] == [
        ["“We were lucky,”", "“because the wall held.”"],
        ["that rescuers had reported that 300 people died"],
        ["that 300 people died"],
    ]
    for a in gold.attributions:
        for s in a.cue + a.source + a.content:
            assert PLAIN[s.start:s.end] == s.text
    assert [a.kind for a in gold.attributions] == ["direct", "indirect", "indirect"]


def test_continuations_join_only_when_asked() -> None:
    article = parse_marked(SPLIT, "t1")
    first = article.gold(join_continuations=True).attributions[0]
    assert [s.text for s in first.content][-1] == "“An hour later it would have been worse.”"
    assert len(article.gold().attributions[0].content) == 2


def test_speakers_carry_type_and_name() -> None:
    mentions = parse_marked(SPLIT, "t1").speaker_text().mentions
    assert [(PLAIN[m.start:m.end], m.speaker, m.type) for m in mentions] == [
        ("she", "Mary Okafor", "person"), ("The ministry", "the ministry", "organization"),
        ("rescuers", "rescuers", "group")]


@pytest.mark.parametrize("marked, message", [
    ("⟦cue:1|said", "never closed"),
    ("said⟧", "without its opening"),
    ("⟦quote:1|said⟧", "does not read"),
    ("⟦content:1|that it rained⟧", "has no cue"),
    ("⟦cue:1 person|said⟧", "only a source takes a type"),
    ("⟦source:1 wizard|Merlin⟧ ⟦cue:1|said⟧", "only a source takes a type"),
    ("⟦source:1|Ann ⟧ ⟦cue:1|said⟧", "starts or ends with a space"),
])
def test_bad_marks_are_one_line_errors(marked: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_marked(marked, "bad")


def test_file_of_articles(tmp_path) -> None:
    path = tmp_path / "set.txt"
    path.write_text("### id=x1 style=wire\n" + SPLIT + "\n\n### id=x2\n⟦source:1|He⟧ ⟦cue:1|said⟧ "
                    "⟦content:1|it rained⟧.\n", encoding="utf-8")
    articles = read_marked(path)
    assert [(a.id, a.style) for a in articles] == [("x1", "wire"), ("x2", "")]
    assert articles[1].text == "He said it rained."
    path.write_text("### id=x1\nA.\n### id=x1\nB.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="occurs twice"):
        read_marked(path)
    path.write_text("stray\n### id=x1\nA.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="before the first"):
        read_marked(path)


# --- the accuracy gate on the marked news set (tests/data/marked-news.txt) ------------------------

MARKED_NEWS = Path(__file__).parent / "data" / "marked-news.txt"
# the lowest figures that pass for the shipped model, a little under those measured when set
# (52 articles: content exact 0.815, token 0.941, direct 0.970, speakers 0.867); and its margins over the
# rules (then +0.014 content token, +0.056 direct, +0.048 speakers). The token margin was 0.02 until a
# paragraph break started a sentence (2026-12-03): the rules' token F1 rose by 0.02, the model's by 0.01,
# the rules catching up where the model already read headlines and paragraphs apart
MARKED_FLOORS = {"content exact": 0.75, "content token": 0.90, "direct": 0.93, "speakers": 0.82}
MARGINS = {"content token": 0.01, "direct": 0.03, "speakers": 0.03}


def _marked_figures(model: str | None) -> dict[str, float]:
    import spacy

    from sayso.pipeline import analyze_many
    from sayso.settings import Settings
    from sayso.training.marked import score_marked

    marked = read_marked(MARKED_NEWS)
    predicted = list(analyze_many([(m.text, m.id, None) for m in marked], Settings(model=model)))
    scores = score_marked(marked, predicted, spacy.blank("en").tokenizer)
    exact = [scores[k]["exact"]["f1"] for k in ("cue", "source", "content", "all")]
    return {"content exact": scores["content"]["exact"]["f1"], "content token": scores["content"]["token"]["f1"],
            "direct": scores["content"]["direct"]["f1"], "mean exact": sum(exact) / 4,
            "speakers": scores["speakers"]["resolution_accuracy"]}


@pytest.fixture(scope="module")
def marked_figures() -> dict[str, dict[str, float]]:
    return {"model": _marked_figures(None), "rules": _marked_figures("rules")}


def test_the_marked_set_reads() -> None:
    articles = read_marked(MARKED_NEWS)
    assert len(articles) >= 52 and sum(len(a.spans) for a in articles) >= 780
    assert len({a.style for a in articles}) == len(articles)  # one style per article


def test_the_model_holds_on_news_of_other_outlets(marked_figures) -> None:
    model = marked_figures["model"]
    shown = ", ".join(f"{k} {v:.3f}" for k, v in model.items())
    below = [k for k, floor in MARKED_FLOORS.items() if model[k] < floor]
    assert not below, f"marked news set: below the floor for {', '.join(below)}: {shown}"


def test_the_model_beats_the_rules_on_news_of_other_outlets(marked_figures) -> None:
    model, rules = marked_figures["model"], marked_figures["rules"]
    short = [k for k, margin in MARGINS.items() if model[k] < rules[k] + margin]
    assert not short, (short, model, rules)
    assert model["mean exact"] > rules["mean exact"], (model, rules)
