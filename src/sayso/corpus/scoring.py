"""Scoring corpus linking: entities and quotation trails against a gold set.

Entities: every gold mention (a named source of a PolNeAR article, by its
first mention's offsets) carries a hand-checked entity label; the prediction
is the `entity_id` of the store's source with that mention. Scores: pairwise
precision/recall/F1 over mention pairs in different articles, and B³; also
without the two most-mentioned gold entities. The baseline links by exact
resolved name.

Trails: every quotation of the store (direct, or the quoted parts of mixed
attributions) is an item; gold trails (hand-checked) group some of them, the
others are alone. Pairwise P/R/F1 over quotation pairs in different articles;
the baseline is one trail per identical wording.

Synthetic trails: quotations of the store copied into new articles with
controlled edits (truncation, re-spacing, word substitutions, re-attribution
to another entity or to "officials"), scored the same way, with the altered
and drift flags against the edits made.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from sayso.corpus.trails import MIN_WORDS, Quote, cluster, is_altered, quotation_text, trail_row, word_diff, words_of
from sayso.errors import CorpusError
from sayso.jsonlines import read_objects

Item = tuple[str, Hashable, Hashable]  # (document, gold cluster, predicted cluster)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, float]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _cross_pairs(docs: Counter[str]) -> int:
    """Pairs of a cluster's items that are in different documents."""
    n = sum(docs.values())
    return (n * (n - 1) - sum(k * (k - 1) for k in docs.values())) // 2


def pairwise(items: Sequence[Item]) -> Scores:
    """Pairwise P/R/F1 over item pairs in different documents, counted per
    cluster (never by enumerating pairs)."""
    gold: dict[Hashable, Counter[str]] = {}
    pred: dict[Hashable, Counter[str]] = {}
    both: dict[tuple[Hashable, Hashable], Counter[str]] = {}
    for doc, g, p in items:
        gold.setdefault(g, Counter())[doc] += 1
        pred.setdefault(p, Counter())[doc] += 1
        both.setdefault((g, p), Counter())[doc] += 1
    tp = sum(_cross_pairs(c) for c in both.values())
    gold_pairs = sum(_cross_pairs(c) for c in gold.values())
    pred_pairs = sum(_cross_pairs(c) for c in pred.values())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / gold_pairs if gold_pairs else 1.0
    return Scores(p, r, _f1(p, r))


def b_cubed(items: Sequence[Item]) -> Scores:
    """B³ precision/recall/F1 (per item, averaged)."""
    gold = Counter(g for _, g, _ in items)
    pred = Counter(p for _, _, p in items)
    both = Counter((g, p) for _, g, p in items)
    if not items:
        return Scores(1.0, 1.0, 1.0)
    p = sum(both[(g, q)] / pred[q] for _, g, q in items) / len(items)
    r = sum(both[(g, q)] / gold[g] for _, g, q in items) / len(items)
    return Scores(p, r, _f1(p, r))


def _linked(con: duckdb.DuckDBPyConnection) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "entities" not in tables:
        raise CorpusError("the store is not linked: run `sayso link --db FILE` first")


def entity_items(con: duckdb.DuckDBPyConnection, gold: Sequence[dict[str, Any]]) -> tuple[list[Item], list[Item]]:
    """(sayso, baseline) items of the gold mentions: each gold mention matched
    to the store source one of whose mentions overlaps it."""
    _linked(con)
    by_doc: dict[str, list[tuple[str, str | None, int | None, list[dict[str, Any]]]]] = {}
    docs = sorted({g["doc_id"] for g in gold})
    for doc_id, sid, name, entity, mentions in con.execute(
            "SELECT doc_id, id, name, entity_id, mentions FROM sources WHERE doc_id IN (SELECT unnest($1::VARCHAR[]))",
            [docs]).fetchall():
        by_doc.setdefault(doc_id, []).append((sid, name, entity, json.loads(mentions)))
    ours: list[Item] = []
    base: list[Item] = []
    for n, g in enumerate(gold):
        match = None
        for sid, name, entity, mentions in by_doc.get(g["doc_id"], []):
            if any(m["start"] < g["end"] and g["start"] < m["end"] for m in mentions):
                match = (sid, name, entity)
                break
        alone = ("unmatched", n)
        ours.append((g["doc_id"], g["entity"], ("e", match[2]) if match and match[2] is not None else alone))
        base.append((g["doc_id"], g["entity"], ("name", match[1]) if match else alone))
    return ours, base


def trail_items(con: duckdb.DuckDBPyConnection, gold: Sequence[dict[str, Any]]) -> tuple[list[Item], list[Item]]:
    """(sayso, baseline) items of every quotation in the store; gold trails by
    content-span overlap, others alone."""
    _linked(con)
    gold_by_doc: dict[str, list[dict[str, Any]]] = {}
    for g in gold:
        gold_by_doc.setdefault(g["doc_id"], []).append(g)
    ours: list[Item] = []
    base: list[Item] = []
    for doc_id, aid, kind, content, start, end, trail in con.execute(
            "SELECT doc_id, id, kind, content_text, content_start, content_end, trail_id FROM attributions "
            "WHERE kind IN ('direct', 'mixed') ORDER BY doc_id, position").fetchall():
        text = quotation_text(kind, content)
        if text is None:
            continue
        label: Hashable = ("alone", doc_id, aid)
        for g in gold_by_doc.get(doc_id, []):
            if start is not None and g["start"] < end and start < g["end"]:
                label = ("trail", g["trail"])
                break
        ours.append((doc_id, label, ("t", trail) if trail is not None else ("alone", doc_id, aid)))
        base.append((doc_id, label, ("same", " ".join(words_of(text)))))
    return ours, base


def _without_top(items: list[Item], k: int = 2) -> list[Item]:
    top = {g for g, _ in Counter(g for _, g, _ in items).most_common(k)}
    return [i for i in items if i[1] not in top]


def synthetic_quotes(bases: Sequence[Quote], copies: int = 4, seed: int = 7,
                     entities: Sequence[int] = ()) -> tuple[list[Quote], dict[tuple[str, str], dict[str, Any]]]:
    """Copies of each base quotation in `copies` new articles, each copy with
    one controlled edit: none, truncation, re-spacing, word substitutions,
    re-attribution to another entity, or to "officials". Returns the quotes
    and, per quote, its gold trail and edit."""
    rng = random.Random(seed)
    edits = ("same", "truncate", "respace", "substitute", "reattribute", "officials")
    out: list[Quote] = []
    truth: dict[tuple[str, str], dict[str, Any]] = {}
    fillers = ("really", "very", "truly", "clearly", "certainly")
    for b, base in enumerate(bases):
        words = base.text.split()
        for c in range(copies):
            edit = "same" if c == 0 else rng.choice(edits)
            text, entity, source, stype = base.text, base.entity, base.source, base.source_type
            if edit == "truncate" and len(words) >= 2 * MIN_WORDS:
                cut = rng.randint(1, len(words) // 3)
                text = " ".join(words[cut:] if rng.random() < 0.5 else words[:-cut])
            elif edit == "respace":
                text = "  ".join(words).replace(",", " ,")
            elif edit == "substitute" and len(words) >= MIN_WORDS + 2:
                changed = list(words)
                at = rng.randint(2, len(words) - 3)
                changed[at] = rng.choice(fillers)
                text = " ".join(changed)
            elif edit == "reattribute" and entities:
                entity = rng.choice([e for e in entities if e != base.entity] or list(entities))
                source = f"entity {entity}"
            elif edit == "officials":
                entity, source, stype = None, "officials", "group"
            else:
                edit = "same" if edit in ("truncate", "substitute", "reattribute") else edit
            doc = f"synthetic-{b}-{c}"
            quote = Quote(doc, "a1", text, (b * copies + c, 0), f"2016-01-{1 + c:02d}", f"outlet{c}", entity,
                          source, stype)
            out.append(quote)
            truth[quote.key] = {"trail": b, "edit": edit}
    return out, truth


def score_synthetic(quotes: Sequence[Quote], truth: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Trail pairwise scores and the altered and drift flags' accuracy on a synthetic set."""
    assigned = cluster(quotes)
    items = [(q.doc_id, truth[q.key]["trail"], assigned.get(q.key, ("alone", q.key))) for q in quotes]
    by_trail: dict[int, list[Quote]] = {}
    for q in quotes:
        if q.key in assigned:
            by_trail.setdefault(assigned[q.key], []).append(q)
    flags = {"altered": Counter(), "drift": Counter()}
    for members in by_trail.values():
        row = trail_row(0, members, {})
        edits = {truth[q.key]["edit"] for q in members}
        expected = {"altered": "substitute" in edits, "drift": bool(edits & {"reattribute", "officials"})}
        for flag in flags:
            flags[flag][(expected[flag], bool(row[flag]))] += 1
    flag_scores = {}
    for flag, counts in flags.items():
        tp, fp, fn = counts[(True, True)], counts[(False, True)], counts[(True, False)]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        flag_scores[flag] = Scores(p, r, _f1(p, r)).to_dict()
    return {"quotations": len(quotes), "trails": pairwise(items).to_dict(), "flags": flag_scores}


def _base_quotes(con: duckdb.DuckDBPyConnection, limit: int) -> list[Quote]:
    from sayso.corpus.trails import stored_quotes

    seen: set[tuple[str, ...]] = set()
    bases = []
    for q in stored_quotes(con):
        key = tuple(words_of(q.text))
        if len(key) >= MIN_WORDS + 4 and key not in seen and q.trail is None:
            seen.add(key)
            bases.append(q)
        if len(bases) >= limit:
            break
    return bases


def evaluate_corpus(db: str | Path, entities_gold: str | Path, trails_gold: str | Path,
                    synthetic: int = 300) -> dict[str, Any]:
    """Every score of `sayso eval corpus`, sayso's and the baseline's."""
    from sayso.corpus.store import open_store

    con = open_store(db, read_only=True)
    try:
        ours, base = entity_items(con, read_objects(entities_gold, "gold file"))
        t_ours, t_base = trail_items(con, read_objects(trails_gold, "gold file"))
        entity_ids = [r[0] for r in con.execute(
            "SELECT id FROM entities WHERE type = 'person' ORDER BY n_sources DESC LIMIT 50").fetchall()]
        bases = _base_quotes(con, synthetic)
    finally:
        con.close()
    quotes, truth = synthetic_quotes(bases, entities=entity_ids)
    report = {
        "entities": {
            "mentions": len(ours), "documents": len({i[0] for i in ours}), "gold_entities": len({i[1] for i in ours}),
            "pairwise": pairwise(ours).to_dict(), "b_cubed": b_cubed(ours).to_dict(),
            "pairwise_without_top2": pairwise(_without_top(ours)).to_dict(),
            "b_cubed_without_top2": b_cubed(_without_top(ours)).to_dict(),
            "baseline": {"pairwise": pairwise(base).to_dict(), "b_cubed": b_cubed(base).to_dict(),
                         "pairwise_without_top2": pairwise(_without_top(base)).to_dict()},
        },
        "trails": {
            "quotations": len(t_ours), "in_gold_trails": sum(1 for i in t_ours if i[1][0] == "trail"),
            "pairwise": pairwise(t_ours).to_dict(), "baseline": {"pairwise": pairwise(t_base).to_dict()},
        },
        "synthetic": score_synthetic(quotes, truth),
    }
    return report


__all__ = ["Scores", "b_cubed", "evaluate_corpus", "is_altered", "pairwise", "synthetic_quotes", "word_diff"]
