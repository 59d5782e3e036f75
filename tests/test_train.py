"""Training the attribution model on a tiny slice of PolNeAR: a loadable, reproducible model directory."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sayso.nlp.attributions.taggers import CUE_FILE, META_FILE, ROLE_FILE, AttributionModel
from sayso.training.train import TrainSettings, isotonic, train_polnear

TINY = TrainSettings(seed=3, iterations=8, limit=3, dev_limit=2, grid=({"c1": 0.05, "c2": 0.01},))


@pytest.fixture(scope="module")
def two_runs(polnear_dir, tmp_path_factory):
    """The same tiny training twice, with the same seed."""
    root = tmp_path_factory.mktemp("models")
    return [train_polnear(polnear_dir, root / name, TINY) for name in ("first", "second")]


@pytest.mark.slow
def test_training_writes_a_loadable_model(two_runs):
    result = two_runs[0]
    assert {p.name for p in result.path.iterdir()} == {CUE_FILE, ROLE_FILE, META_FILE}
    model = AttributionModel.load(result.path)
    meta = model.meta
    assert (meta["train_articles"], meta["dev_articles"], meta["seed"]) == (3, 2, 3)
    assert 0.0 <= meta["dev"]["cue"]["exact"]["f1"] <= 1.0
    # the reliability table counts every dev attribution once
    assert sum(row["attributions"] for row in meta["reliability"]) == meta["dev"]["predicted"]
    found = model.find(_parse("“Taxes will fall,” the senator said on Monday."))
    assert all(0.0 <= a.score <= 1.0 for a in found)


@pytest.mark.slow
def test_same_seed_same_model(two_runs):
    first, second = (r.path for r in two_runs)
    for name in (CUE_FILE, ROLE_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    meta = [json.loads((p / META_FILE).read_text()) for p in (first, second)]
    for m in meta:
        m.pop("train_seconds")
    assert meta[0] == meta[1]


@pytest.mark.slow
def test_every_kth_train_article(polnear_dir, tmp_path):
    # learning curves (benchmarks/learning_curve.py) train on a stride of the train split
    result = train_polnear(polnear_dir, tmp_path / "half", replace(TINY, limit=4, every=2))
    assert result.meta["train_articles"] == 2
    with pytest.raises(ValueError, match="every"):
        train_polnear(polnear_dir, tmp_path / "none", replace(TINY, every=0))


def test_isotonic_pools_violators_by_hand():
    # rates (hits + 1) / (count + 2): 0.1 -> 1/3; 0.2 and 0.3 pool (one hit in two) -> 2/4; 0.4 -> 2/3
    points = [(0.1, False), (0.2, True), (0.3, False), (0.4, True)]
    assert isotonic(points) == [[0.1, 0.3333], [0.3, 0.5], [0.4, 0.6667]]
    # equal raw scores cannot be told apart: one step
    assert isotonic([(0.5, True), (0.5, False), (0.5, True)]) == [[0.5, 0.6]]


def _parse(text: str):
    from sayso.nlp.parse import cached_base

    return cached_base()(text)
