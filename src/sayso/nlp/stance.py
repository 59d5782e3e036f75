"""How the article frames each source (the cue's stance), and the hedges in
the author's own voice. Both come from curated lexicons shipped as data
(sayso/data/cues.tsv, sayso/data/hedges.tsv)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from spacy.tokens import Doc

from sayso.nlp.lexicon import cue_lexicon, hedge_lexicon
from sayso.nlp.ranges import Ranges
from sayso.record import Attribution, Boilerplate, Hedge

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _lemma_guesses(word: str) -> list[str]:
    """Cheap lemmatisation of a cue word, enough to look it up in the lexicon."""
    w = word.lower().replace("’", "'")
    out = [w]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""),
                         ("ed", "e"), ("es", ""), ("s", ""), ("d", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            stem = w[: -len(suffix)] + repl
            out.append(stem)
            if len(stem) > 2 and stem[-1] == stem[-2] and repl == "":
                out.append(stem[:-1])  # "slammed" -> "slam"
    irregular = {"said": "say", "says": "say", "told": "tell", "wrote": "write",
                 "written": "write", "thought": "think", "knew": "know", "known": "know",
                 "saw": "see", "seen": "see", "felt": "feel", "spoke": "speak",
                 "spoken": "speak", "found": "find", "put": "put", "read": "read",
                 "swore": "swear", "sworn": "swear", "meant": "mean", "began": "begin",
                 "hit": "hit", "taught": "teach", "sought": "seek", "foresaw": "foresee"}
    if w in irregular:
        out.insert(0, irregular[w])
    return out


@lru_cache(maxsize=4096)
def stance_of_cue(cue_text: str) -> str:
    """The stance of a cue given as its words ("claimed", "referred to as",
    "According to", "allegations"): multi-word phrases first, then each word
    from the last (the head of a verb group) to the first."""
    table = cue_lexicon()
    phrase = " ".join(cue_text.lower().split())
    for pos in ("phrase", "verb", "noun"):
        entry = table.get((phrase, pos))
        if entry:
            return entry.stance
    words = _WORD.findall(cue_text)
    for word in reversed(words):
        for guess in _lemma_guesses(word):
            for pos in ("verb", "noun"):
                entry = table.get((guess, pos))
                if entry:
                    return entry.stance
    return "neutral"


def set_stances(attributions: Sequence[Attribution]) -> None:
    for a in attributions:
        a.stance = stance_of_cue(" ".join(s.text for s in a.cue))


@lru_cache(maxsize=1)
def _hedge_pattern() -> re.Pattern[str]:
    phrases = sorted(hedge_lexicon(), key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"(?<![\w'’-])(?:{body})(?![\w'’-])", re.I)


def find_hedges(
    text: str,
    attributions: Sequence[Attribution],
    boilerplate: Sequence[Boilerplate] = (),
    quoted: Sequence[tuple[int, int]] = (),
    doc: Doc | None = None,
) -> list[Hedge]:
    """Hedge words in the author's own voice: outside quotations, outside
    attributed content, outside page furniture. A hedge that is itself an
    attribution's cue ("allegations …") is still the author's word choice and
    is kept, but a word used as the verb of a clause ("Reuters reported that",
    "he claims") reports someone else and is no hedge."""
    others: list[tuple[int, int]] = [(b.start, b.end) for b in boilerplate]
    others.extend(quoted)
    for a in attributions:
        others.extend((s.start, s.end) for s in a.content)
    elsewhere = Ranges(others)
    kinds = hedge_lexicon()
    hedges = []
    for m in _hedge_pattern().finditer(text):
        start, end = m.span()
        if elsewhere.overlaps(start, end):
            continue
        phrase = " ".join(m.group(0).lower().split())
        if doc is not None and " " not in phrase:
            tok = doc.char_span(start, end)
            if tok is not None and len(tok) == 1 and tok[0].pos_ in ("VERB", "AUX") and (
                tok[0].dep_ not in ("amod", "acl", "advmod")
            ):
                continue
        hedges.append(Hedge(start, end, m.group(0), kinds.get(phrase, "hedge")))
    return hedges
