"""The learned attribution model: the shipped model, its scores, merging the rules, bad model directories."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

import sayso
from sayso.nlp.attributions import crf as crf_module
from sayso.nlp.attributions.crf import CRF
from sayso.nlp.attributions.rules import RuleFinder
from sayso.nlp.attributions.taggers import (
    FORMAT,
    META_FILE,
    AttributionModel,
    Calibration,
    DocFeatures,
    ModelError,
    doc_features,
    load_finder,
    merge_rules,
)
from sayso.nlp.clean import find_boilerplate
from sayso.nlp.parse import cached_base
from sayso.pipeline import analysis_pipeline
from sayso.record import Attribution, Span


def texts(spans: list[Span]) -> list[str]:
    return [s.text for s in spans]


@pytest.fixture(scope="module")
def shipped() -> AttributionModel:
    finder = load_finder(None)
    assert isinstance(finder, AttributionModel)
    return finder


def test_shipped_model_is_the_default(shipped):
    assert shipped.meta["format"] == FORMAT
    assert shipped.meta["dev"]["cue"]["exact"]["f1"] > 0.6  # what training measured, kept with the model
    assert isinstance(load_finder("rules"), RuleFinder)


@pytest.mark.parametrize(("text", "source", "cue", "content", "kind"), [
    ("“We will win,” the senator said.", ["the senator"], ["said"], ["“We will win,”"], "direct"),
    ("The minister said that the plan had failed, officials confirmed.", ["The minister"], ["said"],
     ["that the plan had failed"], "indirect"),
    ("According to the police, the suspect fled on foot.", ["the police"], ["According to"],
     ["the suspect fled on foot"], "indirect"),
])
def test_finds_handmade_attributions(text, source, cue, content, kind):
    article = sayso.analyze(text)
    found = [(texts(a.source), texts(a.cue), texts(a.content), a.kind) for a in article.attributions]
    assert (source, cue, content, kind) in found


def test_scores_are_probabilities_and_min_score_filters(example_text):
    everything = sayso.analyze(example_text).attributions
    scores = [a.score for a in everything]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(set(scores)) > 2  # a real spread, not one constant
    cut = sorted(scores)[len(scores) // 2]
    kept = sayso.analyze(example_text, min_score=cut).attributions
    assert 0 < len(kept) < len(everything)
    assert all(a.score >= cut for a in kept)
    assert {a.cue[0].start for a in kept} <= {a.cue[0].start for a in everything}


def test_calibration_is_a_monotone_step_function():
    calibration = Calibration({"model": [[0.5, 0.2], [0.9, 0.6], [1.0, 0.9]]})
    assert [calibration(x, "model") for x in (0.1, 0.5, 0.7, 0.95, 1.0)] == [0.2, 0.2, 0.6, 0.9, 0.9]
    assert calibration(0.42, "rules") == 0.42  # no steps for an origin: the raw score


def _doc_features(text: str) -> DocFeatures:
    return doc_features(cached_base()(text), find_boilerplate(text), True)


def test_role_window_stays_in_the_paragraph_and_out_of_boilerplate():
    text = "Ann said it rained.\nBob said it snowed.\nRead more: Bob said more"
    f = _doc_features(text)
    bob = next(i for i in range(f.n) if f.lower[i] == "said" and f.idx[i] > text.index("Bob"))
    window = [f.lower[i] for i in f.window([bob])]
    assert window == ["bob", "said", "it", "snowed", "."]


def test_merge_adds_rule_attributions_the_model_has_no_reading_of():
    text = "The soldiers raged at their commanders. The general said the war was lost."
    f = _doc_features(text)
    assert {a.cue[0].text for a in f.rules} >= {"raged", "said"}
    said = next(a for a in f.rules if a.cue[0].text == "said")
    model_only = [Attribution(id="", kind="indirect", cue=said.cue, source=said.source,
                              content=[Span.of(text, text.index("the war"), len(text))], score=0.9)]
    merged = merge_rules(model_only, f, "any")
    assert [a.cue[0].text for a in merged] == ["said", "raged"]
    assert merged[0] is model_only[0]  # the model's own reading of "said" stays
    assert merge_rules(model_only, f, "none") == model_only
    assert merge_rules(model_only, f, "evidence") == model_only  # "at their commanders": no quotation


def _said_only(f: DocFeatures, text: str) -> list[Attribution]:
    said = next(a for a in f.rules if a.cue[0].text == "said")
    return [Attribution(id="", kind="indirect", cue=said.cue, source=said.source,
                        content=[Span.of(text, text.index("the war"), len(text) - 1)], score=0.9)]


def test_merge_on_evidence_adds_a_rule_reading_with_a_quotation_in_its_content():
    text = "The soldiers raged that their commanders were “jackals”. The general said the war was lost."
    f = _doc_features(text)
    merged = merge_rules(_said_only(f, text), f, "evidence")
    assert [(a.cue[0].text, a.kind) for a in merged] == [("said", "indirect"), ("raged", "mixed")]


def test_merge_on_evidence_adds_a_rule_reading_of_a_misparsed_cue():
    text = "The soldiers raged at their commanders. The general said the war was lost."
    f = _doc_features(text)
    f.rule_names = ["linear" if a.cue[0].text == "raged" else name
                    for a, name in zip(f.rules, f.rule_names, strict=True)]
    merged = merge_rules(_said_only(f, text), f, "evidence")
    assert [a.cue[0].text for a in merged] == ["said", "raged"]


@pytest.mark.parametrize(("text", "verb", "rest", "kind", "merged_cue"), [
    # around a quotation the rules' cue in two pieces replaces the model's (its tags cannot express it)
    ("One soldier referred to his commanders as “jackals”.", "referred", "his", "direct", ["referred to", "as"]),
    # PolNeAR counts "described" alone as the cue of "described the plan as a disaster"
    ("The senator described the plan as a disaster.", "described", "the plan", "indirect", ["described"]),
])
def test_merge_takes_a_rule_cue_in_two_pieces_only_around_a_quotation(text, verb, rest, kind, merged_cue):
    f = _doc_features(text)
    rule = next(a for a in f.rules if len(a.cue) == 2)
    assert rule.kind == kind
    cue = Span.of(text, text.index(verb), text.index(" " + rest))
    model_only = [Attribution(id="", kind="indirect", cue=[cue], source=rule.source,
                              content=[Span.of(text, text.index(rest), len(text) - 1)], score=0.7)]
    merged = merge_rules(model_only, f, "any")
    assert len(merged) == 1 and texts(merged[0].cue) == merged_cue
    assert merged[0].score == 0.7  # the score stays the model's


@pytest.mark.parametrize(("text", "model_cue", "merged_cue"), [
    # the model's cue runs on into the noun phrase the rules read as content: the rules' reading wins
    ("The minister confirmed a plan for an exit corridor had failed.", "confirmed a plan for", "confirmed"),
    # a preposition after the verb is PolNeAR's convention ("spoke about"): the model's reading stays
    ("The senator spoke about the budget on Monday.", "spoke about", "spoke about"),
])
def test_merge_repairs_a_cue_that_runs_into_the_content(text, model_cue, merged_cue):
    f = _doc_features(text)
    start = text.index(model_cue)
    cue = Span.of(text, start, start + len(model_cue))
    model_only = [Attribution(id="", kind="indirect", cue=[cue], source=[Span.of(text, 0, text.index(" ", 4))],
                              content=[Span.of(text, cue.end + 1, len(text) - 1)], score=0.4)]
    merged = merge_rules(model_only, f, "any")
    assert [texts(a.cue) for a in merged] == [[merged_cue]]


@pytest.mark.parametrize("setup", ["missing", "not a dir", "no meta", "wrong format", "broken crf", "unknown merge"])
def test_bad_model_directory_is_one_line(tmp_path, setup):
    path = tmp_path / "model"
    if setup == "not a dir":
        path.write_text("x")
    elif setup != "missing":
        path.mkdir()
        if setup == "wrong format":
            (path / META_FILE).write_text(json.dumps({"format": "something/else"}))
        if setup == "broken crf":
            (path / META_FILE).write_text(json.dumps({"format": FORMAT}))
            (path / "cue.crfsuite").write_bytes(b"not a model")
            (path / "role.crfsuite").write_bytes(b"not a model")
        if setup == "unknown merge":
            shipped = resources.files("sayso.nlp.attributions").joinpath("model")
            for name in ("cue.crfsuite", "role.crfsuite"):
                (path / name).write_bytes(shipped.joinpath(name).read_bytes())
            meta = json.loads(shipped.joinpath(META_FILE).read_text(encoding="utf-8"))
            (path / META_FILE).write_text(json.dumps({**meta, "merge_rules": "sometimes"}))
    with pytest.raises(ModelError) as info:
        load_finder(str(path))
    message = str(info.value)
    assert str(path) in message and "\n" not in message


_ROLE_LABELS = ["O", "B-S", "I-S", "B-C", "I-C"]


def test_a_cue_left_without_content_takes_the_likeliest_stretch():
    role = CRF(_ROLE_LABELS, [], np.zeros((1, 5)), np.zeros((5, 5)))
    model = AttributionModel(role, role, {"format": FORMAT, "content_floor": 0.1})
    window = [10, 11, 12, 13, 14]
    content = np.array([0.05, 0.3, 0.4, 0.02, 0.2])
    probs = np.zeros((5, 5))
    probs[:, 3] = probs[:, 4] = content / 2  # the marginals of B-C and I-C at each window position
    assert model._likeliest_content(window, ["O"] * 5, probs) == [[11, 12]]  # the heavier of two stretches
    model.content_floor = 0.5
    assert model._likeliest_content(window, ["O"] * 5, probs) == []  # nothing likely enough: no content


def _trained(tmp_path, sequences) -> bytes:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in sequences:
        trainer.append(xseq, yseq)
    trainer.set_params({"feature.possible_transitions": True, "max_iterations": 50})
    trainer.train(str(tmp_path / "m.crfsuite"))
    return (tmp_path / "m.crfsuite").read_bytes()


def test_a_crfsuite_file_is_read_and_decoded_as_crfsuite_does(tmp_path, monkeypatch):
    """Best paths and marginals as CRFsuite's own tagger gives them, for sequences of
    several lengths decoded together; strings the model never saw count nothing."""
    import pycrfsuite

    data = _trained(tmp_path, [
        ([["w=said", "p=VERB"], ["w=the", "é=ü"], ["w=minister"]], ["B", "O", "O"]),
        ([["w=told", "p=VERB"], ["w=us"]], ["B", "O"]),
        ([["w=he"], ["w=told", "p=VERB"], ["w=that", "p=SCONJ"], ["w=it", "p=PRON"]], ["O", "B", "I", "O"]),
    ])
    crf = CRF.from_bytes(data)
    assert set(crf.attributes) == {"w=said", "p=VERB", "w=the", "é=ü", "w=minister", "w=told", "w=us", "w=he",
                                   "w=that", "p=SCONJ", "w=it", "p=PRON"}
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tmp_path / "m.crfsuite"))
    sequences = [[["w=he"], ["w=said", "p=VERB", "p=VERB"], ["w=never-seen"]], [["w=told"]],
                 [["w=the", "é=ü"], ["w=minister"], ["w=told", "p=VERB"], ["w=that"], ["w=it", "p=PRON"]], [[]]]
    states = [crf.scores(x) for x in sequences]
    for x, tags, probs in zip(sequences, crf.viterbi(states), crf.marginals(states), strict=True):
        assert tags == tagger.tag(x)
        for pos in range(len(x)):
            for k, label in enumerate(crf.labels):
                assert probs[pos, k] == pytest.approx(tagger.marginal(label, pos), abs=1e-12)
    # in groups of like length, however few positions a group may hold; empty sequences too
    monkeypatch.setattr(crf_module, "_CELLS", 3)
    mixed = [states[2], crf.scores([]), states[0], states[2][:1], states[1], crf.scores([])]
    assert crf.viterbi(mixed) == [tagger.tag(x) for x in (sequences[2], [], sequences[0], sequences[2][:1],
                                                           sequences[1], [])]
    grouped = crf.marginals(mixed)
    assert [len(p) for p in grouped] == [5, 0, 3, 1, 1, 0]
    assert np.allclose(grouped[0], crf.marginals([states[2]])[0], atol=1e-12)
    with pytest.raises(ValueError):
        CRF.from_bytes(b"not a model")
    with pytest.raises(ValueError):
        CRF.from_bytes(data[:200])


def test_the_article_wide_features_give_the_scores_of_their_strings(shipped):
    """The taggers read features as templates over the article (codes, strings looked up
    once): the scores must be those of every token's own strings, which training reads."""
    text = ("“We were lucky,” she said. The ministry, which employs 4,000 people, told reporters that the "
            "figures — all of them — were wrong.\n\nWALLACE: Are you sure?\nJOHN DOE: I am. "
            "According to Smith the property | was sold, asked officials how - she said – it went.")
    doc = cached_base()(text)
    f = doc_features(doc, find_boilerplate(text), True)
    tokens = list(range(len(doc)))
    strings = f.cue_sequence(tokens)
    made = {x.split("=")[0] for s in strings for x in s}
    assert {"lsl", "pu", "c", "-2edge", "bi+"} <= made
    assert np.allclose(shipped.cue.template_scores(f.cue_templates(), f.n), shipped.cue.scores(strings), atol=1e-12)
    base = [f.base(i) for i in tokens]
    assert np.allclose(shipped.role.template_scores(f.base_templates(), f.n), shipped.role.scores(base), atol=1e-12)
    assert f.cue_sequence([7, 5]) == [strings[7], strings[5]]


def test_articles_decoded_together_give_what_each_gives_alone(shipped):
    texts_ = ["“We were lucky,” she said. “An hour later it would have been worse.”",
              "The ministry told reporters that the figures were wrong, a spokesman said.",
              "Nothing here is said by anyone.", "", "WALLACE: Are you sure?\nJOHN DOE: I am."]
    docs = [(cached_base()(t), find_boilerplate(t)) for t in texts_]
    alone = [shipped.find(doc, bp) for doc, bp in docs]
    assert alone[0] and alone[1]
    assert shipped.find_many(docs) == alone
    nlp = analysis_pipeline()
    assert [[a.to_dict() for a in d._.attributions] for d in nlp.pipe(texts_, batch_size=3)] == \
        [[a.to_dict() for a in nlp(t)._.attributions] for t in texts_]
