"""The accuracy gate: the shipped model on the PolNeAR dev split, scored as
`sayso eval polnear` scores it, must stay a little above these floors (the
figures when the gate was set: exact F1 cue 0.730, source 0.729, content 0.575,
all 0.515; content token-overlap F1 0.875). Skips without the corpus."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

FLOORS = {  # (role, "exact" or "overlap"): the lowest F1 that passes
    ("cue", "exact"): 0.72,
    ("source", "exact"): 0.72,
    ("content", "exact"): 0.56,
    ("all", "exact"): 0.50,
    ("content", "overlap"): 0.86,
}


@pytest.fixture(scope="module")
def dev_scores(polnear_dir) -> dict:
    import spacy

    from sayso.pipeline import analyze_many
    from sayso.settings import Settings
    from sayso.training.evaluate import evaluate
    from sayso.training.polnear import read_split

    gold = list(read_split(polnear_dir, "dev"))
    predicted = list(analyze_many([(g.text, g.id, None) for g in gold], Settings()))
    assert [p.id for p in predicted] == [g.id for g in gold] and all(p.ok for p in predicted)
    return evaluate(zip(predicted, gold, strict=True), spacy.blank("en").tokenizer).to_dict()


def test_dev_split_f1_above_the_floors(dev_scores):
    figures = {(role, kind): dev_scores[role][kind]["f1"] for role, kind in FLOORS}
    shown = ", ".join(f"{role} {kind} {figures[role, kind]:.3f} (floor {floor})"
                      for (role, kind), floor in FLOORS.items())
    below = [f"{role} {kind}" for (role, kind), floor in FLOORS.items() if figures[role, kind] < floor]
    assert not below, f"PolNeAR dev ({dev_scores['articles']} articles), F1 below the floor for " \
                      f"{', '.join(below)}: {shown}"
    assert dev_scores["articles"] > 0 and dev_scores["gold"] > 0, shown
