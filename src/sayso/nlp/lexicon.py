"""The curated word lists that ship as data in the package (sayso/data/*.tsv)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class CueEntry:
    cue: str
    pos: str
    stance: str
    reason: str


def _rows(name: str) -> list[list[str]]:
    text = resources.files("sayso.nlp").joinpath("data", name).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return rows[1:]  # the first row names the columns


@functools.lru_cache(maxsize=1)
def cue_lexicon() -> dict[tuple[str, str], CueEntry]:
    """(cue, pos) -> entry; the first line for a key wins."""
    table: dict[tuple[str, str], CueEntry] = {}
    for cue, pos, stance, reason in _rows("cues.tsv"):
        table.setdefault((cue, pos), CueEntry(cue, pos, stance, reason))
    return table


@functools.lru_cache(maxsize=1)
def cue_verbs() -> frozenset[str]:
    return frozenset(c for (c, pos) in cue_lexicon() if pos == "verb" and " " not in c)


@functools.lru_cache(maxsize=1)
def cue_nouns() -> frozenset[str]:
    return frozenset(c for (c, pos) in cue_lexicon() if pos == "noun" and " " not in c)


@functools.lru_cache(maxsize=1)
def hedge_lexicon() -> dict[str, str]:
    """hedge phrase (lower case) -> kind."""
    return {phrase: kind for phrase, kind, _reason in _rows("hedges.tsv")}


@functools.lru_cache(maxsize=1)
def given_name_genders() -> dict[str, str]:
    """given name (lower case) -> "male" or "female"."""
    return {name: gender for name, gender in _rows("given_names.tsv")}
