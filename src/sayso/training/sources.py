"""Scoring source resolution and source typing against hand-annotated speakers.

Gold data is a list of source mentions per text, each with a canonical
`speaker` (one string per real-world source within the text) and a source
`type`. Two gold files are read:

- handmade paragraphs (`{"id", "text", "mentions": [{start, end, text, speaker, type}]}`);
- PolNeAR articles (`{"file", "start", "end", "speaker", "type"}` per line; the
  text comes from the corpus, which is never copied).

Two figures are computed, because they answer different questions:

- *resolver*: the gold source spans are given to `resolve_sources` as
  attributions, so the figure measures resolution and typing alone;
- *end to end*: the full pipeline runs and a gold mention counts only if an
  attribution's source span overlaps it.

A mention is resolved correctly when its predicted source stands for its gold
speaker (the speaker most of that source's mentions have) and, for named
people and organisations, the source's name is the gold canonical name. B³ F1
over the mentions is reported beside it for the resolver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from sayso.errors import CorpusError
from sayso.jsonlines import read_objects
from sayso.nlp.sources import resolve_sources
from sayso.record import Article, Attribution, Source, Span

NAMED = ("person", "organization")




@dataclass(frozen=True)
class GoldMention:
    start: int
    end: int
    speaker: str
    type: str


@dataclass
class GoldText:
    id: str
    text: str
    mentions: list[GoldMention]


@dataclass
class SourceScores:
    """Counts behind the resolution and typing figures."""

    mentions: int = 0
    resolved: int = 0
    typed: int = 0
    found: int = 0  # end to end: gold mentions an attribution's source overlaps
    resolved_e2e: int = 0
    b3_precision: float = 0.0  # summed over mentions
    b3_recall: float = 0.0
    typed_e2e: int = 0
    by_type: Counter = field(default_factory=Counter)  # gold type -> mentions
    resolved_by_type: Counter = field(default_factory=Counter)
    confusions: Counter = field(default_factory=Counter)  # (gold type, predicted type) -> mentions

    def to_dict(self) -> dict[str, Any]:
        def share(n: int, d: int) -> float:
            return round(n / d, 3) if d else 0.0

        return {
            "mentions": self.mentions,
            "resolver": {"resolution_accuracy": share(self.resolved, self.mentions),
                         "type_accuracy": share(self.typed, self.mentions),
                         "b3_f1": _f1(self.b3_precision / self.mentions, self.b3_recall / self.mentions)
                         if self.mentions else 0.0},
            "end_to_end": {"found": share(self.found, self.mentions),
                           "resolution_accuracy": share(self.resolved_e2e, self.mentions),
                           "type_accuracy": share(self.typed_e2e, self.mentions)},
            "resolution_by_type": {t: {"mentions": n, "accuracy": share(self.resolved_by_type[t], n)}
                                   for t, n in sorted(self.by_type.items())},
            "type_confusions": {f"{g}->{p}": n for (g, p), n in self.confusions.most_common() if g != p},
        }


def _f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0


def read_handmade(path: str | Path) -> list[GoldText]:
    """Handmade paragraphs with their gold mentions, offsets checked."""
    texts = []
    for n, obj in enumerate(read_objects(path), start=1):
        try:
            text = obj["text"]
            mentions = [GoldMention(int(m["start"]), int(m["end"]), str(m["speaker"]), str(m["type"]))
                        for m in obj["mentions"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"{path}: line {n}: not a handmade paragraph ({exc})") from None
        for m, raw in zip(mentions, obj["mentions"], strict=True):
            if "text" in raw and text[m.start:m.end] != raw["text"]:
                raise CorpusError(f"{path}: line {n}: offsets {m.start}-{m.end} do not give {raw['text']!r}")
        texts.append(GoldText(str(obj.get("id", n)), text, mentions))
    return texts


def read_polnear_speakers(path: str | Path, corpus: str | Path, split: str = "dev") -> list[GoldText]:
    """Speaker annotations keyed by PolNeAR file name, joined with the corpus text."""
    from sayso.training.polnear import read_split

    by_file: dict[str, list[GoldMention]] = {}
    for n, obj in enumerate(read_objects(path), start=1):
        try:
            name = str(obj["file"]).removesuffix(".txt")
            by_file.setdefault(name, []).append(
                GoldMention(int(obj["start"]), int(obj["end"]), str(obj["speaker"]), str(obj["type"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"{path}: line {n}: not a speaker annotation ({exc})") from None
    texts = []
    for article in read_split(corpus, split):
        mentions = by_file.pop(article.id.removesuffix(".txt"), None)
        if mentions is not None:
            texts.append(GoldText(article.id, article.text, _merge_fragments(mentions)))
    if by_file:
        raise CorpusError(f"{path}: no {split} article named {sorted(by_file)[0]!r} in {corpus}")
    return texts


def _merge_fragments(mentions: list[GoldMention]) -> list[GoldMention]:
    """Fragments of one discontinuous source span (adjacent, same speaker) as one mention."""
    out: list[GoldMention] = []
    for m in sorted(mentions, key=lambda m: m.start):
        prev = out[-1] if out else None
        if prev and prev.speaker == m.speaker and 0 <= m.start - prev.end <= 2:
            out[-1] = GoldMention(prev.start, m.end, m.speaker, m.type)
        else:
            out.append(m)
    return out


def _same_name(predicted: str, gold: str) -> bool:
    def norm(s: str) -> str:
        s = s.casefold().strip()
        return s.removeprefix("the ").replace("’", "'")

    return norm(predicted) == norm(gold)


def _score(gold: Sequence[GoldMention], predicted: Sequence[Source | None]) -> tuple[list[bool], list[bool]]:
    """Per gold mention: resolved correctly, typed correctly (None = not found).

    Each predicted source stands for the gold speaker most of its mentions
    have (the first such speaker on a tie); a mention is resolved correctly
    when its source stands for its own speaker and, for named people and
    organisations, carries the speaker's canonical name."""
    votes: dict[str, Counter] = {}
    for g, p in zip(gold, predicted, strict=True):
        if p is not None:
            votes.setdefault(p.id, Counter())[g.speaker] += 1
    stands_for = {sid: c.most_common(1)[0][0] for sid, c in votes.items()}
    resolved, typed = [], []
    for g, p in zip(gold, predicted, strict=True):
        if p is None:
            resolved.append(False)
            typed.append(False)
            continue
        ok = stands_for[p.id] == g.speaker and (g.type not in NAMED or _same_name(p.name, g.speaker))
        resolved.append(ok)
        typed.append(p.type == g.type)
    return resolved, typed


def _b_cubed(gold: Sequence[GoldMention], predicted: Sequence[Source | None]) -> tuple[float, float]:
    """B³ precision and recall summed over the mentions (unfound mentions are singletons)."""
    keys = [p.id if p is not None else f"missing{i}" for i, p in enumerate(predicted)]
    precision = recall = 0.0
    for i, g in enumerate(gold):
        same_pred = {j for j, k in enumerate(keys) if k == keys[i]}
        same_gold = {j for j, h in enumerate(gold) if h.speaker == g.speaker}
        both = len(same_pred & same_gold)
        precision += both / len(same_pred)
        recall += both / len(same_gold)
    return precision, recall


def score_sources(texts: Sequence[GoldText], nlp: Language, articles: Sequence[Article] | None = None) -> SourceScores:
    """Score the resolver on gold source spans and, given the pipeline's
    articles for the same texts, end to end."""
    scores = SourceScores()
    docs = nlp.pipe(g.text for g in texts)
    for n, (gold, doc) in enumerate(zip(texts, docs, strict=True)):
        mentions = sorted(gold.mentions, key=lambda m: m.start)
        attributions = [Attribution(id=f"g{i}", kind="indirect", cue=[],
                                    source=[Span.of(gold.text, m.start, m.end)], content=[])
                        for i, m in enumerate(mentions)]
        sources = {s.id: s for s in resolve_sources(doc, attributions)}
        predicted = [sources.get(a.speaker) if a.speaker else None for a in attributions]
        resolved, typed = _score(mentions, predicted)
        b3_p, b3_r = _b_cubed(mentions, predicted)
        scores.b3_precision += b3_p
        scores.b3_recall += b3_r
        scores.mentions += len(mentions)
        scores.resolved += sum(resolved)
        scores.typed += sum(typed)
        for m, ok, p in zip(mentions, resolved, predicted, strict=True):
            scores.by_type[m.type] += 1
            scores.resolved_by_type[m.type] += ok
            scores.confusions[(m.type, p.type if p else "none")] += 1
        if articles is not None:
            _add_end_to_end(scores, mentions, articles[n])
    return scores


def score_end_to_end(texts: Sequence[GoldText], articles: Sequence[Article]) -> dict[str, Any]:
    """Only the end-to-end figures of `score_sources` (no second parse of the texts), with the
    typing of the mentions found beside that of all mentions."""
    scores = SourceScores()
    for gold, article in zip(texts, articles, strict=True):
        mentions = sorted(gold.mentions, key=lambda m: m.start)
        scores.mentions += len(mentions)
        _add_end_to_end(scores, mentions, article)
    out = {"mentions": scores.mentions, **scores.to_dict()["end_to_end"]}
    out["type_accuracy_found"] = round(scores.typed_e2e / scores.found, 3) if scores.found else 0.0
    return out


def _add_end_to_end(scores: SourceScores, mentions: Sequence[GoldMention], article: Article) -> None:
    e2e = _end_to_end(mentions, article)
    scores.found += sum(p is not None for p in e2e)
    resolved, typed = _score(mentions, e2e)
    scores.resolved_e2e += sum(resolved)
    scores.typed_e2e += sum(typed)


def _end_to_end(mentions: Sequence[GoldMention], article: Article) -> list[Source | None]:
    """The source of the attribution whose source span overlaps each gold mention most."""
    sources = {s.id: s for s in article.sources}
    out: list[Source | None] = []
    for m in mentions:
        best, best_overlap = None, 0
        for a in article.attributions:
            overlap = sum(max(0, min(m.end, s.end) - max(m.start, s.start)) for s in a.source)
            if overlap > best_overlap and a.speaker in sources:
                best, best_overlap = sources[a.speaker], overlap
        out.append(best)
    return out
