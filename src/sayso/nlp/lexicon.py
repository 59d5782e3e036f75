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
def speech_verbs() -> frozenset[str]:
    """Cue verbs of a speech act: those the lexicon frames as neutral or doubting (say, insist,
    accuse), the warnings and the estimates, not a belief, a wish or a finding (think, want, show)."""
    return frozenset(c for (c, pos), e in cue_lexicon().items() if pos == "verb" and " " not in c and (
        e.stance in ("neutral", "doubting") or c in ("warn", "caution", "urge", "estimate", "predict", "forecast")))


# past forms the suffix rules below cannot undo, for a verb the tagger took for a name ("Said Smith:")
IRREGULAR_PAST = {"said": "say", "told": "tell", "wrote": "write", "spoke": "speak", "thought": "think"}


@functools.lru_cache(maxsize=1 << 16)
def verb_lemma(lemma_: str, low: str) -> str:  # asked for every token: once per word is enough
    """The cue verb a word is a form of (spaCy's lemma, else undoing a suffix), else its lemma."""
    lemma = lemma_.lower()
    if lemma in cue_verbs():
        return lemma
    if low in IRREGULAR_PAST:
        return IRREGULAR_PAST[low]
    for suffix, repl in (("ied", "y"), ("ies", "y"), ("ed", ""), ("ed", "e"), ("es", ""),
                         ("s", ""), ("d", "")):
        if low.endswith(suffix) and low[: -len(suffix)] + repl in cue_verbs():
            return low[: -len(suffix)] + repl
    return lemma


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
