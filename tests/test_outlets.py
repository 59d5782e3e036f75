"""Leave-one-outlet-out on a slice of PolNeAR train: two outlets, two articles each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sayso.training.outlets import MEASURES, OutletResult, by_outlet, outlet_of
from sayso.training.polnear import annotation_files, split_dir
from sayso.training.train import TrainSettings


def test_outlet_of() -> None:
    assert outlet_of("huff-post_2016-09-12_the-story") == "huff-post"


def test_wins_need_both_measures() -> None:
    rows = {m: 0.5 for m in MEASURES}
    result = OutletResult(["a", "b"], model={"a": {**rows, "token": 0.6, "mean": 0.6}, "b": {**rows, "token": 0.6}},
                          rules={"a": rows, "b": rows})
    assert result.wins() == {"a": True, "b": False}  # b ties on the mean exact F1
    assert result.to_dict()["mean"]["model"]["token"] == 0.6


@pytest.fixture(scope="module")
def slice_dir(polnear_dir: Path, tmp_path_factory) -> Path:
    """A PolNeAR-shaped folder (in a temporary directory) with two articles of two outlets."""
    source = split_dir(polnear_dir, "train")
    out = tmp_path_factory.mktemp("polnear") / "data" / "train"
    (out / "text").mkdir(parents=True)
    (out / "attributions").mkdir()
    names = sorted(annotation_files(source).items())
    for outlet in ("nyt", "politico"):
        for name, ann in [item for item in names if outlet_of(item[0]) == outlet][:2]:
            shutil.copy(source / "text" / f"{name}.txt", out / "text")
            shutil.copy(ann, out / "attributions")
    return out.parent.parent


@pytest.mark.slow
def test_by_outlet_scores_each_held_out_outlet(slice_dir: Path, tmp_path: Path) -> None:
    settings = TrainSettings(iterations=5)
    result = by_outlet(slice_dir, settings, keep=tmp_path / "taggers")
    assert result.outlets == ["nyt", "politico"]
    for side in (result.model, result.rules):
        for outlet in result.outlets:
            assert set(side[outlet]) == set(MEASURES)
            assert all(0.0 <= v <= 1.0 for v in side[outlet].values())
    # the kept taggers are found again and reused: the same figures without training
    assert (tmp_path / "taggers" / "nyt" / "cue").is_file()
    again = by_outlet(slice_dir, settings, outlets=["nyt"], keep=tmp_path / "taggers")
    assert again.model["nyt"] == result.model["nyt"] and again.rules["nyt"] == result.rules["nyt"]
    with pytest.raises(ValueError, match="no outlet"):
        by_outlet(slice_dir, settings, outlets=["bbc"])
