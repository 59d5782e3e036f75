"""Quotation trails: the same quoted words printed by several articles.

Direct quotations, and the quoted parts of mixed attributions, are clustered
across the store so that a quotation reprinted by forty outlets is one trail,
even when truncated, re-spaced, cut at other boundaries or slightly reworded:

1. each quotation becomes its words (lower case, punctuation and spacing
   dropped); identical wordings are one item from then on;
2. MinHash signatures over word 3-shingles (datasketch) and LSH banding
   (`BANDS` bands of `ROWS` rows, sorted in numpy, never all pairs) give the
   candidate pairs: rows sharing a band, each with the first and the previous
   row of its group (on Spark, the same pairs from a window over band values:
   `spark.candidate_pairs`);
3. each candidate pair is aligned word by word (rapidfuzz): a pair joins when
   the runs of two or more words they share cover `MIN_COVER` of the shorter
   quotation, and `MIN_WORDS` - 1 words or more;
4. joined pairs make trails (union-find); a trail is a cluster that spans two
   articles or more.

Per trail: its first appearance (by published date, else store order), every
appearance, its variants with a word-level diff against the earliest wording,
and two flags: `altered` (words changed inside the shared part, beyond
truncation and spacing) and `drift` (the same words credited to different
entities, or to a named source in one article and to "officials" or another
unnamed source in another).

Incremental and stable: trails already stored keep their ids and members; a
later run adds the new articles' quotations to them (never merging two stored
trails) or starts new trails, and a run that adds nothing changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
from rapidfuzz.distance import Indel

NUM_PERM = 128
BANDS, ROWS = 64, 2  # LSH: two quotations are candidates when they share the 2 minimums of any band
SHINGLE = 3  # words per shingle
# Shorter quotations are not traced: scare quotes and catchphrases ("rigged",
# "extremely careless") recur because people use them, not because outlets copy.
MIN_WORDS = 6
MIN_COVER = 0.7  # share of the shorter quotation's words found, in order and in runs, in the other
MIN_RUN = 2  # a shared run shorter than this is chance ("I'm going to be … president")
QUOTED_KINDS = ("direct", "mixed")
UNNAMED_CREDIT = ("group", "role", "unnamed", "anonymous")  # "officials", "a spokesman", "sources"
_QUOTED = re.compile(r"[“\"]([^“”\"]+)[”\"]")
_WORD = re.compile(r"[\w’'-]+")


def quotation_text(kind: str, content: str | None) -> str | None:
    """The quoted words of an attribution: a direct quotation's content, the
    parts in quotation marks of a mixed one (joined by " … ")."""
    if not content or kind not in QUOTED_KINDS:
        return None
    parts = [p.strip() for p in _QUOTED.findall(content) if p.strip()]
    if kind == "mixed":
        return " … ".join(parts) if parts else None
    return content.strip().strip("“”\"").strip() or None


def words_of(text: str) -> list[str]:
    """The words of a quotation as compared: lower case, no punctuation."""
    return [w.strip("'’-").replace("’", "'") for w in _WORD.findall(text.lower()) if w.strip("'’-")]


def display_words(text: str) -> list[str]:
    """The words of a quotation as printed (case kept), aligned with `words_of`."""
    return [w.strip("'’-") for w in _WORD.findall(text) if w.strip("'’-")]


@dataclass
class Quote:
    """One quotation to trace."""

    doc_id: str
    attribution_id: str
    text: str
    order: tuple[int, int]  # (document seq, attribution position)
    published: str | None = None
    outlet: str | None = None
    entity: int | None = None  # the entity of its source, if linked
    source: str | None = None  # the source's name, or the source text
    source_type: str | None = None
    trail: int | None = None  # the stored trail, if any
    new: bool = True  # not yet seen by an earlier linking

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc_id, self.attribution_id)


def signatures(word_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """MinHash signatures (n × NUM_PERM, uint32) of the word 3-shingles."""
    from datasketch import MinHash  # here: Spark executors that only analyse articles need not have it

    shingles = ([" ".join(words[i:i + SHINGLE]).encode("utf-8") for i in range(max(1, len(words) - SHINGLE + 1))]
                for words in word_lists)
    out = np.empty((len(word_lists), NUM_PERM), dtype=np.uint32)
    for n, minhash in enumerate(MinHash.generator(shingles, num_perm=NUM_PERM)):
        out[n] = minhash.hashvalues
    return out


def band_key(sigs: np.ndarray, band: int) -> np.ndarray:
    """Each row's value in one LSH band (uint64): the band's ROWS minimums
    hashed together. Rows with equal values share the band."""
    block = sigs[:, band * ROWS:(band + 1) * ROWS].astype(np.uint64)
    keys = block[:, 0] * np.uint64(0x9E3779B97F4A7C15)
    for r in range(1, ROWS):
        keys = (keys ^ block[:, r]) * np.uint64(0xBF58476D1CE4E5B9)
    return keys


def candidate_pairs(sigs: np.ndarray, bands_at_once: int = 8) -> np.ndarray:
    """Pairs (i < j, as an array of shape (k, 2), sorted) of rows sharing a
    band. Each band's rows are hashed to one 64-bit value and sorted; within a
    run of equal values every row is paired with the run's first row and with
    the row before it (2 pairs per row, not all pairs: a group of 40 copies
    of one quotation costs 78 comparisons, not 780). All in numpy."""
    n = sigs.shape[0]
    found: list[np.ndarray] = []
    chunk: list[np.ndarray] = []
    for band in range(BANDS):
        keys = band_key(sigs, band)
        order = np.argsort(keys, kind="stable")  # equal keys keep row order
        ordered = keys[order]
        same = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1  # positions continuing a run
        if same.size:
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            run_start = starts[np.searchsorted(starts, same, side="right") - 1]
            firsts = np.stack([order[run_start], order[same]], axis=1)
            prevs = np.stack([order[same - 1], order[same]], axis=1)
            chunk += [firsts, prevs]
        if len(chunk) >= 2 * bands_at_once or band == BANDS - 1:
            if chunk:
                found.append(_unique_pairs(np.concatenate(chunk), n))
            chunk = []
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return _unique_pairs(np.concatenate(found), n)


def _unique_pairs(pairs: np.ndarray, n: int) -> np.ndarray:
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    codes = np.unique(low.astype(np.int64) * n + high.astype(np.int64))
    return np.stack([codes // n, codes % n], axis=1)


def shared_words(a: Sequence[str], b: Sequence[str]) -> int:
    """Words of `a` found in `b` in order, in runs of MIN_RUN words or more."""
    return sum(op.src_end - op.src_start for op in Indel.opcodes(a, b)
               if op.tag == "equal" and op.src_end - op.src_start >= MIN_RUN)


def same_quotation(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two quotations (their words) are one: the runs they share cover
    MIN_COVER of the shorter one, and MIN_WORDS - 1 words or more."""
    shorter = min(len(a), len(b))
    if shorter < MIN_WORDS:
        return False
    common = shared_words(a, b)
    return common >= MIN_WORDS - 1 and common >= MIN_COVER * shorter


def word_diff(earliest: str, variant: str) -> list[dict[str, str]]:
    """The word-level diff of a variant against the earliest wording: runs of
    {"op": equal|replace|delete|insert, "from": words, "to": words}, aligned
    on the longest common word sequence (a delete next to an insert is one
    replace)."""
    a, b = display_words(earliest), display_words(variant)
    ops = Indel.opcodes([w.lower().replace("’", "'") for w in a], [w.lower().replace("’", "'") for w in b])
    out: list[dict[str, str]] = []
    for op in ops:
        step = {"op": op.tag, "from": " ".join(a[op.src_start:op.src_end]),
                "to": " ".join(b[op.dest_start:op.dest_end])}
        if out and op.tag in ("insert", "delete") and out[-1]["op"] in ("insert", "delete") \
                and out[-1]["op"] != op.tag:
            last = out.pop()
            step = {"op": "replace", "from": last["from"] or step["from"], "to": last["to"] or step["to"]}
        out.append(step)
    return out


def inner_changes(diff: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The changes inside the shared part: between the first and the last run
    of MIN_RUN or more equal words. Words missing or added at either end are
    truncation or other quote boundaries, not alteration."""
    anchors = [n for n, d in enumerate(diff) if d["op"] == "equal" and len(d["from"].split()) >= MIN_RUN]
    if not anchors:
        return []
    return [d for d in diff[anchors[0]:anchors[-1] + 1] if d["op"] != "equal"]


def is_altered(diff: Sequence[dict[str, str]]) -> bool:
    """Words changed inside the shared part (see `inner_changes`)."""
    return bool(inner_changes(diff))


class _Clusters:
    """Union-find whose stored trails are anchored: two stored trails never merge."""

    def __init__(self, n: int):
        self.parent = list(range(n))
        self.anchor: dict[int, int] = {}  # root -> stored trail id

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a == b or (a in self.anchor and b in self.anchor):
            return
        if b in self.anchor or (a not in self.anchor and b < a):
            a, b = b, a
        self.parent[b] = a


def trail_members(quotes: Sequence[Quote]) -> list[Quote] | None:
    """The quotations of a new cluster (no stored trail in it) as a trail, in
    store order (new trails are numbered in the order of their first); None
    when the cluster is no trail: its wording is too short to trace, or all
    its quotations are in one article."""
    if len(words_of(quotes[0].text)) < MIN_WORDS or len({q.doc_id for q in quotes}) < 2:
        return None
    return sorted(quotes, key=lambda q: q.order)


def cluster(quotes: Sequence[Quote], next_id: int = 1) -> dict[tuple[str, str], int]:
    """(doc id, attribution id) -> trail id for every quotation in a trail.
    Stored trails (`Quote.trail`) keep their ids; new trails are numbered from
    `next_id` in the order of their earliest quotation."""
    wordings: dict[tuple[str, ...], int] = {}
    item_of: list[int] = []
    for q in quotes:
        item_of.append(wordings.setdefault(tuple(words_of(q.text)), len(wordings)))
    items = [list(w) for w in wordings]
    # Each distinct wording is one item; its quotations are one cluster from the start.
    clusters = _Clusters(len(items))
    members: list[list[int]] = [[] for _ in items]
    for n, item in enumerate(item_of):
        members[item].append(n)
    for n, q in enumerate(quotes):
        if q.trail is not None:
            root = clusters.find(item_of[n])
            if root not in clusters.anchor:
                clusters.anchor[root] = q.trail
    stored_by_trail: dict[int, int] = {}
    for n, q in enumerate(quotes):  # the items of one stored trail are one cluster
        if q.trail is not None:
            first = stored_by_trail.setdefault(q.trail, item_of[n])
            a, b = clusters.find(first), clusters.find(item_of[n])
            if a != b:
                clusters.parent[b] = a
    new_item = [any(quotes[m].new for m in members[i]) for i in range(len(items))]
    long_items = [i for i, w in enumerate(items) if len(w) >= MIN_WORDS]
    if any(new_item[i] for i in long_items) and len(long_items) > 1:
        sigs = signatures([items[i] for i in long_items])
        for x, y in candidate_pairs(sigs).tolist():
            i, j = long_items[x], long_items[y]
            if (new_item[i] or new_item[j]) and clusters.find(i) != clusters.find(j) \
                    and same_quotation(items[i], items[j]):
                clusters.union(i, j)
    groups: dict[int, list[int]] = {}
    for n in range(len(quotes)):
        groups.setdefault(clusters.find(item_of[n]), []).append(n)
    out: dict[tuple[str, str], int] = {}
    fresh = []
    for root, ns in groups.items():
        if root in clusters.anchor:
            for n in ns:
                out[quotes[n].key] = clusters.anchor[root]
        elif (members := trail_members([quotes[n] for n in ns])) is not None:
            fresh.append(members)
    for members in sorted(fresh, key=lambda qs: qs[0].order):
        for q in members:
            out[q.key] = next_id
        next_id += 1
    return out


def _first_key(q: Quote) -> tuple[Any, ...]:
    day = (q.published or "")[:10]
    dated = bool(re.match(r"\d{4}-\d{2}-\d{2}$", day))
    return (not dated, day if dated else "", q.order)


def trail_row(trail_id: int, quotes: Sequence[Quote], entity_names: dict[int, str]) -> dict[str, Any]:
    """The `trails` row of one trail's quotations."""
    ordered = sorted(quotes, key=_first_key)
    first = ordered[0]
    variants: dict[tuple[str, ...], dict[str, Any]] = {}
    for q in ordered:
        variant = variants.setdefault(tuple(words_of(q.text)), {"wording": q.text, "appearances": 0})
        variant["appearances"] += 1
    altered = False
    for variant in variants.values():
        variant["diff"] = word_diff(first.text, variant["wording"])
        variant["altered"] = is_altered(variant["diff"])
        variant["truncated"] = any(d["op"] != "equal" for d in variant["diff"]) and not variant["altered"]
        altered = altered or variant["altered"]
    credits: dict[tuple[Any, ...], dict[str, Any]] = {}
    for q in ordered:
        if q.entity is not None:
            key: tuple[Any, ...] = ("entity", q.entity)
            credit = {"entity": q.entity, "name": entity_names.get(q.entity, q.source), "type": q.source_type}
        elif q.source:
            key = ("source", (q.source or "").lower(), q.source_type)
            credit = {"entity": None, "name": q.source, "type": q.source_type}
        else:
            continue
        credits.setdefault(key, {**credit, "appearances": 0})["appearances"] += 1
    named = {k for k in credits if k[0] == "entity"}
    unnamed = {k for k in credits if k[0] == "source" and k[2] in UNNAMED_CREDIT}
    drift = len(named) >= 2 or bool(named and unnamed)
    return {
        "id": trail_id, "wording": first.text, "first_doc_id": first.doc_id,
        "first_attribution_id": first.attribution_id, "first_published": first.published,
        "first_outlet": first.outlet, "n_appearances": len(ordered),
        "n_documents": len({q.doc_id for q in ordered}), "n_outlets": len({q.outlet for q in ordered if q.outlet}),
        "n_variants": len(variants), "altered": altered, "drift": drift,
        "entities": json.dumps(list(credits.values()), ensure_ascii=False),
        "variants": json.dumps(list(variants.values()), ensure_ascii=False),
    }


def trace(quotes: Sequence[Quote], entity_names: dict[int, str],
          next_id: int = 1) -> tuple[dict[tuple[str, str], int], list[dict[str, Any]]]:
    """The trails of these quotations (see `cluster`) and the `trails` rows
    of those that are new or have new members, by id."""
    assigned = cluster(quotes, next_id)
    by_trail: dict[int, list[Quote]] = {}
    for q in quotes:
        if q.key in assigned:
            by_trail.setdefault(assigned[q.key], []).append(q)
    changed = [t for t, qs in by_trail.items() if any(q.new or q.trail is None for q in qs)]
    return assigned, [trail_row(t, by_trail[t], entity_names) for t in sorted(changed)]


# --- the store ---------------------------------------------------------------

LINKED_SEQ = "trails_linked_seq"  # info key: documents up to this seq have had their quotations traced


def stored_quotes(con: duckdb.DuckDBPyConnection) -> list[Quote]:
    """Every quotation of the store (direct, and the quoted parts of mixed
    attributions), with its source's entity, in store order."""
    done = con.execute("SELECT value FROM info WHERE key = ?", [LINKED_SEQ]).fetchone()
    linked_seq = int(done[0]) if done else 0
    rows = con.execute("""
        SELECT a.doc_id, a.id, a.kind, a.content_text, d.seq, a.position, d.published, d.outlet,
               s.entity_id, coalesce(a.source_name, a.source_text), a.source_type, a.trail_id
        FROM attributions a JOIN documents d ON d.id = a.doc_id
        LEFT JOIN sources s ON s.doc_id = a.doc_id AND s.id = a.speaker
        WHERE a.kind IN ('direct', 'mixed')
        ORDER BY d.seq, a.position
    """).fetchall()
    return quotes_of_rows(rows, linked_seq)


def quotes_of_rows(rows: Sequence[Sequence[Any]], linked_seq: int = 0) -> list[Quote]:
    """Quotations from attribution rows (doc id, id, kind, content text, seq,
    position, published, outlet, entity, source, source type, trail)."""
    quotes = []
    for doc_id, aid, kind, content, seq, position, published, outlet, entity, source, stype, trail in rows:
        text = quotation_text(kind, content)
        if text is not None:
            quotes.append(Quote(doc_id, aid, text, (seq, position), published, outlet, entity, source, stype,
                                trail, seq > linked_seq))
    return quotes


@dataclass
class TrailSummary:
    quotations: int = 0  # traced
    in_trails: int = 0  # of them in a trail
    trails: int = 0
    new_trails: int = 0


def trail_store(con: duckdb.DuckDBPyConnection) -> TrailSummary:
    """Trace the quotations of the documents added since the last call (one
    transaction): `attributions.trail_id` and the `trails` table."""
    from sayso.corpus.store import insert_rows, set_links

    quotes = stored_quotes(con)
    summary = TrailSummary(quotations=len(quotes))
    max_seq = con.execute("SELECT coalesce(max(seq), 0) FROM documents").fetchone()[0]  # type: ignore[index]
    if any(q.new for q in quotes):
        next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM trails").fetchone()[0]  # type: ignore[index]
        names = dict(con.execute("SELECT id, name FROM entities").fetchall())
        assigned, rows = trace(quotes, names, next_id)
        changed = [r["id"] for r in rows]
        updates = [(q.doc_id, q.attribution_id, assigned[q.key]) for q in quotes
                   if q.key in assigned and q.trail != assigned[q.key]]
        con.begin()
        try:
            con.execute("DELETE FROM trails WHERE id IN (SELECT unnest($1::BIGINT[]))", [changed])
            insert_rows(con, "trails", rows)
            set_links(con, "attributions", "trail_id", updates)
            con.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", [LINKED_SEQ, str(max_seq)])
            con.commit()
        except Exception:
            con.rollback()
            raise
        summary.new_trails = len(set(assigned.values()) - {q.trail for q in quotes if q.trail is not None})
    elif quotes:
        con.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", [LINKED_SEQ, str(max_seq)])
    summary.in_trails = con.execute("SELECT count(*) FROM attributions WHERE trail_id IS NOT NULL").fetchone()[0]  # type: ignore[index]
    summary.trails = con.execute("SELECT count(*) FROM trails").fetchone()[0]  # type: ignore[index]
    return summary
