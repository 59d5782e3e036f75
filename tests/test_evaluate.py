"""The evaluator's arithmetic on a tiny gold set computed by hand."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import spacy

from sayso.record import Article, Attribution, Span
from sayso.training.evaluate import (
    bootstrap_intervals,
    cue_hits,
    error_summary,
    evaluate,
    percentile_ranks,
    write_errors,
)

TEXT = "Tom said he was tired. Ann thinks it will rain."
#       0   4    9  12  16   21 23  27     34 37   42  46


def span(start: int, end: int) -> list[Span]:
    return [Span.of(TEXT, start, end)]


def attribution(source, cue, content) -> Attribution:
    return Attribution(id="", kind="indirect", source=source, cue=cue, content=content)


GOLD = Article(id="doc", text=TEXT, attributions=[
    attribution(span(0, 3), span(4, 8), span(9, 21)),      # Tom | said | he was tired
    attribution(span(23, 26), span(27, 33), span(34, 46)),  # Ann | thinks | it will rain
])
PREDICTED = Article(id="doc", text=TEXT, attributions=[
    attribution(span(0, 3), span(4, 8), span(9, 22)),      # content takes the full stop too
    attribution([], span(27, 33), span(34, 46)),           # source missed
    attribution(span(34, 36), span(37, 41), span(46, 47)),  # a spurious one
])


@pytest.fixture(scope="module")
def scores():
    return evaluate([(PREDICTED, GOLD)], spacy.blank("en").tokenizer).to_dict()


def test_counts(scores):
    assert (scores["articles"], scores["predicted"], scores["gold"]) == (1, 3, 2)


def test_exact(scores):
    # cue: p1, p2 equal a gold cue; p3 does not. Both gold cues are found.
    assert scores["cue"]["exact"] == {"precision": round(2 / 3, 4), "recall": 1.0, "f1": 0.8}
    # source: only p1 (overlapping cue, same sources); g2 has no match
    assert scores["source"]["exact"] == {"precision": round(1 / 3, 4), "recall": 0.5, "f1": 0.4}
    # content: only p2; g1 has no match
    assert scores["content"]["exact"] == {"precision": round(1 / 3, 4), "recall": 0.5, "f1": 0.4}
    assert scores["all"]["exact"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_overlap(scores):
    # cue tokens: predicted 3, gold 2, shared 2
    assert scores["cue"]["overlap"] == {"precision": round(2 / 3, 4), "recall": 1.0, "f1": 0.8}
    # source tokens: predicted 2 (Tom, it), gold 2 (Tom, Ann), shared 1
    assert scores["source"]["overlap"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    # content tokens: predicted 4 + 3 + 1 = 8, gold 3 + 3 = 6, shared 3 + 3 = 6
    assert scores["content"]["overlap"] == {"precision": 0.75, "recall": 1.0, "f1": round(2 * 0.75 / 1.75, 4)}
    # all together: shared 9, predicted 13, gold 10
    p, r = 9 / 13, 9 / 10
    assert scores["all"]["overlap"] == {"precision": round(p, 4), "recall": round(r, 4),
                                        "f1": round(2 * p * r / (p + r), 4)}


def test_error_file():
    errors: list = []
    evaluate([(PREDICTED, GOLD)], spacy.blank("en").tokenizer, errors)
    out = io.StringIO()
    write_errors(errors, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    content = [(r["error"], r["attribution"]["content"]) for r in rows if r["span_type"] == "content"]
    assert content == [
        ("false-positive", ["he was tired."]),
        ("false-positive", ["."]),
        ("false-negative", ["he was tired"]),
    ]
    cue = [(r["error"], r["attribution"]["cue"]) for r in rows if r["span_type"] == "cue"]
    assert cue == [("false-positive", ["will"])]
    assert all(r["article"] == "doc" and r["context"] for r in rows)


def test_exact_match_is_on_whole_tokens():
    # a gold span that cuts a token is widened to the token, as Citron's token spans are
    gold = Article(id="d", text=TEXT, attributions=[attribution(span(0, 3), span(4, 7), span(9, 21))])
    pred = Article(id="d", text=TEXT, attributions=[attribution(span(0, 3), span(4, 8), span(9, 21))])
    scores = evaluate([(pred, gold)], spacy.blank("en").tokenizer).to_dict()
    assert scores["all"]["exact"]["f1"] == 1.0


def test_error_classes_and_summary():
    errors: list = []
    evaluate([(PREDICTED, GOLD)], spacy.blank("en").tokenizer, errors)
    got = sorted((r["span_type"], r["error"], r["class"]) for r in errors)
    assert got == sorted([
        # p3's cue "will" overlaps no gold cue: spurious for every span type
        ("cue", "false-positive", "spurious"),
        ("source", "false-positive", "spurious"),
        ("content", "false-positive", "spurious"),
        ("all", "false-positive", "spurious"),
        # p1 takes the full stop into its content
        ("content", "false-positive", "span boundary"),
        ("content", "false-negative", "span boundary"),
        ("all", "false-positive", "span boundary"),
        ("all", "false-negative", "span boundary"),
        # p2 misses Ann as the source
        ("source", "false-positive", "missing span"),
        ("source", "false-negative", "missing span"),
        ("all", "false-positive", "missing span"),
        ("all", "false-negative", "missing span"),
    ])
    assert error_summary(errors)["content false-negative"] == {"span boundary": 1}
    assert error_summary(errors)["cue false-positive"] == {"spurious": 1}


def test_cue_hits():
    tokenizer = spacy.blank("en").tokenizer
    assert cue_hits(PREDICTED.attributions, GOLD.attributions, TEXT, tokenizer) == [True, True, False]


def test_per_article_counts_add_up_to_the_total():
    per_article: list = []
    pairs = [(PREDICTED, GOLD), (GOLD, GOLD)]
    total = evaluate(pairs, spacy.blank("en").tokenizer, per_article=per_article).to_dict()
    assert [a.articles for a in per_article] == [1, 1]
    assert [a.exact["cue"].tp for a in per_article] == [2, 2]
    assert total["cue"]["exact"]["precision"] == round(4 / 5, 4)  # 2 of 3 predicted, then 2 of 2
    assert total == evaluate(pairs, spacy.blank("en").tokenizer).to_dict()


def test_bootstrap_intervals():
    tokenizer = spacy.blank("en").tokenizer
    one: list = []
    evaluate([(PREDICTED, GOLD)], tokenizer, per_article=one)
    # one article: every resampling is that article, so the interval is its figure
    cue_f1 = 2 * (2 / 3 * 1.0) / (2 / 3 + 1.0)
    assert bootstrap_intervals(one, rounds=20)["cue"]["exact"] == [round(cue_f1, 4)] * 2
    two: list = []
    evaluate([(PREDICTED, GOLD), (GOLD, GOLD)], tokenizer, per_article=two)
    got = bootstrap_intervals(two, rounds=200, seed=1)
    # resamplings range from the worse article twice to the perfect one twice
    assert got["cue"]["exact"] == [round(cue_f1, 4), 1.0]
    assert got["content"]["overlap"][0] < got["content"]["overlap"][1] == 1.0
    assert got == bootstrap_intervals(two, rounds=200, seed=1)
    with pytest.raises(ValueError):
        bootstrap_intervals([], rounds=10)


@pytest.mark.parametrize(("rounds", "level", "ranks"), [
    (1000, 0.95, (24, 975)),  # 24.975 and 974.025 rounded outwards
    (1001, 0.95, (25, 975)),  # exact ranks stay as they are
    (200, 0.95, (4, 195)),
    (20, 0.95, (0, 19)),
    (1, 0.95, (0, 0)),
])
def test_percentile_ranks_are_symmetric_and_outward(rounds, level, ranks):
    assert percentile_ranks(rounds, level) == ranks


AGREEMENT_TEXT = "The minister said the plan had failed. Officials warned of long delays."


def _ann(*attributions: tuple[str, str, str]) -> str:
    """Brat lines for (source, cue, content) strings of AGREEMENT_TEXT."""
    lines, t = [], 0
    for n, parts in enumerate(attributions, start=1):
        ids = []
        for label, words in zip(("Source", "Cue", "Content"), parts, strict=True):
            t += 1
            start = AGREEMENT_TEXT.index(words)
            lines.append(f"T{t}\t{label} {start} {start + len(words)}\t{words}")
            ids.append(f"{label}:T{t}")
        lines.append(f"E{n}\tAttribution:T{t - 1} " + " ".join(ids))
    return "\n".join(lines) + "\n"


def test_agreement_scores_further_annotators_against_the_first(tmp_path, capsys):
    from sayso.cli import main
    from sayso.training.polnear import read_annotators

    dev = tmp_path / "data" / "dev"
    (dev / "text").mkdir(parents=True)
    (dev / "attributions").mkdir()
    said = ("The minister", "said", "the plan had failed")
    warned = ("Officials", "warned", "of long delays")
    for name in ("two", "one"):
        (dev / "text" / f"{name}.txt").write_text(AGREEMENT_TEXT, encoding="utf-8")
    (dev / "attributions" / "two_aaaa.ann").write_text(_ann(said), encoding="utf-8")
    (dev / "attributions" / "two_bbbb.ann").write_text(_ann(said, warned), encoding="utf-8")
    (dev / "attributions" / "one_aaaa.ann").write_text(_ann(said), encoding="utf-8")  # one annotator: left out
    groups = list(read_annotators(tmp_path, "dev"))
    assert [(gold.id, len(gold.attributions), [len(o.attributions) for o in others])
            for gold, others in groups] == [("two", 1, [2])]
    assert main(["eval", "polnear", str(tmp_path), "--agreement", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    people = result["annotators"]
    assert (result["articles"], people["readings"]) == (1, 1)
    assert people["cue"]["exact"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667}
    assert result["sayso"]["articles"] == 1 and "cue" in result["sayso"]
    assert main(["eval", "polnear", str(tmp_path / "data" / "dev" / "text"), "--agreement"]) != 0
    assert "no PolNeAR" in capsys.readouterr().err


def test_eval_sources_uses_the_model_it_is_given(capsys, tmp_path):
    """`sayso eval sources` used to accept --model and --parser and ignore both."""
    from sayso.cli import main

    gold = str(Path(__file__).parent / "data" / "sources_handmade.jsonl")
    assert main(["eval", "sources", gold, "--format", "json"]) == 0
    shipped = json.loads(capsys.readouterr().out)
    assert main(["eval", "sources", gold, "--format", "json", "--model", "rules"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert shipped["end_to_end"] != rules["end_to_end"]  # the rules find other attributions
    assert main(["eval", "sources", gold, "--model", str(tmp_path / "nothing")]) == 2
    assert "not a model directory" in capsys.readouterr().err
    assert main(["eval", "sources", gold, "--parser", "no_such_pipeline"]) != 0
    assert "Traceback" not in capsys.readouterr().err


def test_content_token_and_lenient(scores):
    # content tokens: predicted {he was tired .} {it will rain} {.}, gold {he was tired} {it will rain}
    assert scores["content"]["token"] == {"precision": 0.75, "recall": 1.0, "f1": round(2 * 0.75 / 1.75, 4)}
    # lenient: two of three predicted contents overlap a gold one; both gold contents are overlapped
    assert scores["content"]["lenient"] == {"precision": round(2 / 3, 4), "recall": 1.0, "f1": 0.8}


def test_direct_quotations():
    text = '"We won," she said. He said they lost. "It was close," he added.'
    q1, q2 = (0, 9), (39, 54)
    sub = [Span.of(text, 20, 22)]

    def attr(kind, cue, content):
        return Attribution(id="", kind=kind, source=sub, cue=[Span.of(text, *cue)], content=[Span.of(text, *content)])

    gold = Article(id="d", text=text, attributions=[
        attr("direct", (14, 18), q1), attr("indirect", (23, 27), (28, 37)),
        attr("direct", (58, 63), q2)])
    # the first quotation right, the second cut short, the indirect one right but not a quotation
    predicted = Article(id="d", text=text, attributions=[attr("direct", (14, 18), q1),
                                                         attr("indirect", (23, 27), (28, 37)),
                                                         attr("direct", (58, 63), (40, 50))])
    direct = evaluate([(predicted, gold)], spacy.blank("en").tokenizer).to_dict()["content"]["direct"]
    assert direct == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
