"""Shared fixtures: the bundled example article and the PolNeAR corpus beside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "audio-recording-report.txt"
POLNEAR = (REPO.parent / "shared" / "corpora" / "polnear").resolve()


@pytest.fixture(scope="session")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example_article(example_text):
    import sayso

    return sayso.analyze(example_text, id="audio-recording-report")


@pytest.fixture(scope="session")
def polnear_dir() -> Path:
    if not (POLNEAR / "data" / "dev" / "text").is_dir():
        pytest.skip(f"PolNeAR corpus not found at {POLNEAR}")
    return POLNEAR
