"""The corpus pages' queries, over the store of `sayso run`, opened read-only.

Sources are gathered across articles by their resolved name. "Newest first"
orders by the article's published date (its first ten characters read as a
date; undated articles last), then by storage order, latest first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from sayso.corpus.query import DATE_SQL as DATE
from sayso.corpus.store import attribution_record, open_store, read_article
from sayso.nlp.profile import NAMED_TYPES, UNNAMED_TYPES
from sayso.record import STANCES, Article, Attribution

NEWEST_FIRST = f"{DATE} DESC NULLS LAST, d.seq DESC"
UNDATED = "undated"




@dataclass
class ArticleRef:
    """Which article something was found in, as a list shows it."""

    id: str
    title: str | None
    published: str | None
    outlet: str | None
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "published": self.published, "outlet": self.outlet,
                "url": self.url}


@dataclass
class Found:
    """One stored attribution with its article and its resolved source."""

    article: ArticleRef
    attribution: Attribution
    source_name: str | None
    source_type: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article.to_dict(), "source": {"name": self.source_name, "type": self.source_type},
                "attribution": self.attribution.to_dict()}


@dataclass
class SourceSummary:
    """A source across the corpus: all the articles' sources of that name."""

    name: str
    type: str
    description: str | None
    articles: int
    attributions: int
    mentions: int
    by_stance: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "description": self.description, "articles": self.articles,
                "attributions": self.attributions, "mentions": self.mentions, "by_stance": self.by_stance}


@dataclass
class ArticleRow:
    """An article in a list, with its sourcing profile."""

    article: ArticleRef
    attributions: int
    sources: int
    profile: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.article.to_dict(), "attributions": self.attributions, "sources": self.sources,
                "profile": self.profile}


@dataclass
class OutletRow:
    name: str
    articles: int
    attributions: int
    first: str | None
    last: str | None


@dataclass
class Period:
    """An outlet's sourcing in one month (or its undated articles)."""

    period: str
    articles: int
    attributions: int
    by_stance: dict[str, int]
    named_share: float  # of the period's sources, as in the article profile
    unnamed_share: float
    unsourced: int  # attributions with no stated source


class Corpus:
    """A store opened read-only; each query runs on its own cursor, so threads may share it."""

    def __init__(self, path: str):
        self._con = open_store(path, read_only=True)
        self.path = path
        self._lock = threading.Lock()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:  # creating a cursor touches the shared connection
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self._cursor() as cur:
            result = cur.execute(sql, params or [])
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def close(self) -> None:
        self._con.close()

    # --- articles ---------------------------------------------------------------------------

    def article(self, id: str) -> Article | None:
        with self._cursor() as cur:
            try:
                return read_article(cur, id)
            except KeyError:
                return None

    def articles(self, limit: int, offset: int = 0, outlet: str | None = None) -> tuple[list[ArticleRow], int]:
        where, params = ("WHERE d.outlet = ?", [outlet]) if outlet is not None else ("", [])
        rows = self._rows(f"SELECT d.id, d.title, d.published, d.outlet, d.url, d.n_attributions, d.n_sources, "
                          f"d.profile, count(*) OVER () AS total FROM documents d {where} "
                          f"ORDER BY {NEWEST_FIRST} LIMIT ? OFFSET ?", [*params, limit, offset])
        total = rows[0]["total"] if rows else self._count(f"SELECT count(*) FROM documents d {where}", params)
        return [ArticleRow(_ref(r), r["n_attributions"], r["n_sources"], json.loads(r["profile"] or "{}"))
                for r in rows], total

    def _count(self, sql: str, params: list[Any]) -> int:
        with self._cursor() as cur:
            return int(cur.execute(sql, params).fetchone()[0])  # type: ignore[index]

    # --- attributions -------------------------------------------------------------------------

    def search(self, q: str, by: str = "any", limit: int = 20, offset: int = 0) -> tuple[list[Found], int]:
        """Attributions whose source (resolved name or words) or content contains `q`, any case."""
        in_source = "(contains(lower(a.source_name), $q) OR contains(lower(a.source_text), $q))"
        in_content = "contains(lower(a.content_text), $q)"
        condition = {"source": in_source, "content": in_content}.get(by, f"({in_source} OR {in_content})")
        return self._found(condition, {"q": q.strip().lower()}, limit, offset)

    def source_attributions(self, name: str, limit: int = 20, offset: int = 0) -> tuple[list[Found], int]:
        return self._found("a.source_name = $name", {"name": name}, limit, offset)

    def _found(self, condition: str, params: dict[str, Any], limit: int, offset: int) -> tuple[list[Found], int]:
        sql = (f"SELECT a.*, d.title, d.published, d.outlet, d.url, count(*) OVER () AS total "
               f"FROM attributions a JOIN documents d ON d.id = a.doc_id WHERE {condition} "
               f"ORDER BY {NEWEST_FIRST}, a.position LIMIT $limit OFFSET $offset")
        with self._cursor() as cur:
            result = cur.execute(sql, {**params, "limit": limit, "offset": offset})
            names = [d[0] for d in result.description]
            rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
            if not rows:
                total = cur.execute(f"SELECT count(*) FROM attributions a WHERE {condition}", params).fetchone()
                return [], int(total[0])  # type: ignore[index]
        found = [Found(_ref(r, id_key="doc_id"), _attribution(r), r["source_name"], r["source_type"]) for r in rows]
        return found, int(rows[0]["total"])

    # --- sources ------------------------------------------------------------------------------

    _SOURCE_SUMMARY = ("SELECT name, mode(type) AS type, any_value(description) FILTER (WHERE description IS NOT NULL) "
                       "AS description, count(DISTINCT doc_id) AS articles, sum(n_attributions) AS attributions, "
                       "sum(n_mentions) AS mentions, count(*) OVER () AS total FROM sources")

    def sources(self, q: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[SourceSummary], int]:
        """Sources by name, most attributions first; `q` keeps the names containing it."""
        where, params = ("WHERE contains(lower(name), ?)", [q.strip().lower()]) if q and q.strip() else ("", [])
        rows = self._rows(f"{self._SOURCE_SUMMARY} {where} GROUP BY name "
                          "ORDER BY attributions DESC, articles DESC, name LIMIT ? OFFSET ?", [*params, limit, offset])
        total = rows[0]["total"] if rows else 0
        summaries = [_summary(r) for r in rows]
        self._add_stances(summaries)
        return summaries, int(total)

    def source(self, name: str) -> SourceSummary | None:
        rows = self._rows(f"{self._SOURCE_SUMMARY} WHERE name = ? GROUP BY name", [name])
        if not rows:
            return None
        summary = _summary(rows[0])
        self._add_stances([summary])
        return summary

    def stored_sources(self, names: Iterable[str]) -> set[str]:
        """Which of these source names the store holds (each has a source page)."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return set()
        rows = self._rows("SELECT DISTINCT name FROM sources WHERE name IN (SELECT unnest(?::VARCHAR[]))", [wanted])
        return {r["name"] for r in rows}

    def _add_stances(self, summaries: list[SourceSummary]) -> None:
        if not summaries:
            return
        rows = self._rows("SELECT source_name, stance, count(*) AS n FROM attributions "
                          "WHERE source_name IN (SELECT unnest(?::VARCHAR[])) GROUP BY source_name, stance",
                          [[s.name for s in summaries]])
        for s in summaries:
            found = {r["stance"]: int(r["n"]) for r in rows if r["source_name"] == s.name}
            s.by_stance = {stance: found.get(stance, 0) for stance in STANCES}

    # --- outlets ------------------------------------------------------------------------------

    def outlets(self) -> list[OutletRow]:
        rows = self._rows(f"SELECT d.outlet AS name, count(*) AS articles, sum(d.n_attributions) AS attributions, "
                          f"min({DATE}) AS first, max({DATE}) AS last FROM documents d "
                          "WHERE d.outlet IS NOT NULL GROUP BY d.outlet ORDER BY articles DESC, name")
        return [OutletRow(r["name"], int(r["articles"]), int(r["attributions"] or 0), _date(r["first"]),
                          _date(r["last"])) for r in rows]

    def outlet_profile(self, name: str) -> list[Period]:
        """The outlet's sourcing month by month, oldest first, undated articles last."""
        period = f"coalesce(strftime({DATE}, '%Y-%m'), '{UNDATED}')"
        docs = self._rows(f"SELECT {period} AS period, count(*) AS articles, sum(d.n_attributions) AS attributions "
                          "FROM documents d WHERE d.outlet = ? GROUP BY period", [name])
        if not docs:
            return []
        stances = self._rows(f"SELECT {period} AS period, a.stance, count(*) AS n, "
                             "count(*) FILTER (WHERE a.speaker IS NULL) AS unsourced FROM attributions a "
                             "JOIN documents d ON d.id = a.doc_id WHERE d.outlet = ? GROUP BY period, a.stance",
                             [name])
        types = self._rows(f"SELECT {period} AS period, s.type, count(*) AS n FROM sources s "
                           "JOIN documents d ON d.id = s.doc_id WHERE d.outlet = ? GROUP BY period, s.type", [name])
        periods = []
        for doc in docs:
            key = doc["period"]
            by_stance = {s: 0 for s in STANCES}
            unsourced = 0
            for r in (r for r in stances if r["period"] == key):
                by_stance[r["stance"]] = by_stance.get(r["stance"], 0) + int(r["n"])
                unsourced += int(r["unsourced"])
            by_type = {r["type"]: int(r["n"]) for r in types if r["period"] == key}
            n_sources = sum(by_type.values())
            named = sum(n for t, n in by_type.items() if t in NAMED_TYPES)
            unnamed = sum(n for t, n in by_type.items() if t in UNNAMED_TYPES)
            periods.append(Period(key, int(doc["articles"]), int(doc["attributions"] or 0), by_stance,
                                  named / n_sources if n_sources else 0.0,
                                  unnamed / n_sources if n_sources else 0.0, unsourced))
        periods.sort(key=lambda p: (p.period == UNDATED, p.period))
        return periods


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(row: dict[str, Any], id_key: str = "id") -> ArticleRef:
    return ArticleRef(row[id_key], row["title"], row["published"], row["outlet"], row["url"])


def _attribution(row: dict[str, Any]) -> Attribution:
    return Attribution.from_dict(attribution_record(row))


def _summary(row: dict[str, Any]) -> SourceSummary:
    return SourceSummary(row["name"], row["type"], row["description"], int(row["articles"]),
                         int(row["attributions"] or 0), int(row["mentions"] or 0))


# --- corpus entities and quotation trails: queries, pages and API routes ------------------------

@dataclass
class EntityView:
    """A corpus entity with its attributions by month and by outlet, and the latest of them."""

    id: int
    name: str
    type: str
    aliases: dict[str, int]
    first_seen: str | None
    last_seen: str | None
    sources: int
    documents: int
    attributions: int
    kb_id: str | None
    by_month: list[tuple[str, int]] = field(default_factory=list)
    by_outlet: list[tuple[str, int]] = field(default_factory=list)
    latest: list[Found] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "aliases": self.aliases,
                "first_seen": self.first_seen, "last_seen": self.last_seen, "sources": self.sources,
                "documents": self.documents, "attributions": self.attributions, "kb_id": self.kb_id,
                "by_month": [{"month": m, "attributions": n} for m, n in self.by_month],
                "by_outlet": [{"outlet": o, "attributions": n} for o, n in self.by_outlet],
                "latest": [f.to_dict() for f in self.latest]}


@dataclass
class Appearance:
    """One appearance of a trail's quotation, with its changes against the earliest wording."""

    article: ArticleRef
    attribution: str
    quotation: str
    credited_to: str | None
    entity: int | None
    diff: list[dict[str, str]]
    altered: bool

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article.to_dict(), "attribution": self.attribution, "quotation": self.quotation,
                "credited_to": self.credited_to, "entity": self.entity, "diff": self.diff, "altered": self.altered}


@dataclass
class TrailView:
    id: int
    wording: str
    altered: bool
    drift: bool
    documents: int
    outlets: int
    credits: list[dict[str, Any]]
    appearances: list[Appearance]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "wording": self.wording, "altered": self.altered, "drift": self.drift,
                "documents": self.documents, "outlets": self.outlets, "credited_to": self.credits,
                "appearances": [a.to_dict() for a in self.appearances]}


NOT_LINKED = "this corpus has no entities or trails (link it with `sayso link --db FILE`)"


def _linked(corpus: Corpus) -> bool:
    tables = {r["table_name"] for r in corpus._rows("SELECT table_name FROM information_schema.tables")}
    return {"entities", "trails"} <= tables


def entity_view(corpus: Corpus, id: int, latest: int = 20) -> EntityView | None:
    rows = corpus._rows("SELECT * FROM entities WHERE id = ?", [id])
    if not rows:
        return None
    e = rows[0]
    joined = ("FROM attributions a JOIN documents d ON d.id = a.doc_id "
              "JOIN sources s ON s.doc_id = a.doc_id AND s.id = a.speaker WHERE s.entity_id = ?")
    months = corpus._rows(f"SELECT coalesce(strftime({DATE}, '%Y-%m'), '{UNDATED}') AS m, count(*) AS n {joined} "
                          "GROUP BY m ORDER BY m = 'undated', m", [id])
    outlets = corpus._rows(f"SELECT coalesce(d.outlet, '(unknown)') AS o, count(*) AS n {joined} "
                           "GROUP BY o ORDER BY n DESC, o", [id])
    found = corpus._rows(f"SELECT a.*, d.title, d.published, d.outlet, d.url {joined} "
                         f"ORDER BY {NEWEST_FIRST}, a.position LIMIT ?", [id, latest])
    return EntityView(
        e["id"], e["name"], e["type"], json.loads(e["aliases"] or "{}"), e["first_seen"], e["last_seen"],
        int(e["n_sources"]), int(e["n_documents"]), int(e["n_attributions"]), e["kb_id"],
        [(r["m"], int(r["n"])) for r in months], [(r["o"], int(r["n"])) for r in outlets],
        [Found(_ref(r, id_key="doc_id"), _attribution(r), r["source_name"], r["source_type"]) for r in found])


def trail_view(corpus: Corpus, id: int) -> TrailView | None:
    from sayso.corpus.trails import is_altered, quotation_text, word_diff

    rows = corpus._rows("SELECT * FROM trails WHERE id = ?", [id])
    if not rows:
        return None
    t = rows[0]
    found = corpus._rows(f"""
        SELECT a.doc_id, a.id AS attribution, a.kind, a.content_text, d.title, d.published, d.outlet, d.url,
               coalesce(e.name, a.source_name, a.source_text) AS credited, e.id AS entity
        FROM attributions a JOIN documents d ON d.id = a.doc_id
        LEFT JOIN sources s ON s.doc_id = a.doc_id AND s.id = a.speaker LEFT JOIN entities e ON e.id = s.entity_id
        WHERE a.trail_id = ? ORDER BY {DATE} NULLS LAST, d.seq, a.position""", [id])
    appearances = []
    for r in found:
        quoted = quotation_text(r["kind"], r["content_text"]) or r["content_text"]
        diff = word_diff(t["wording"], quoted)
        appearances.append(Appearance(_ref(r, id_key="doc_id"), r["attribution"], quoted, r["credited"],
                                      r["entity"], diff, is_altered(diff)))
    return TrailView(t["id"], t["wording"], bool(t["altered"]), bool(t["drift"]), int(t["n_documents"]),
                     int(t["n_outlets"]), json.loads(t["entities"] or "[]"), appearances)


def timeline_svg(by_month: list[tuple[str, int]]) -> Any:
    """Attributions per month as a small SVG bar chart (labels escaped; the page lists the same numbers)."""
    from markupsafe import Markup, escape

    width, height, left, bottom, top = 640, 180, 36, 40, 12
    n = max(1, len(by_month))
    peak = max((v for _, v in by_month), default=1) or 1
    slot = (width - left - 8) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             'aria-labelledby="timeline-title" class="timeline" font-family="system-ui, sans-serif" font-size="10">',
             '<title id="timeline-title">Attributions per month</title>']
    plot = height - top - bottom
    for k, (month, value) in enumerate(by_month):
        h = plot * value / peak
        x = left + k * slot + slot * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="#0072B2"><title>{escape(month)}: {value}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'transform="rotate(45 {x + slot * 0.35:.1f} {height - bottom + 14})">{escape(month)}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text></svg>')
    return Markup("".join(parts))


def add_link_routes(app: Any, need_corpus: Any, page: Any) -> None:
    """The entity and trail pages and their API routes, on the app of `create_app`."""

    def linked_corpus() -> Corpus:
        corpus = need_corpus()
        if not _linked(corpus):
            raise HTTPException(404, NOT_LINKED)
        return corpus

    def entity_or_404(id: int) -> EntityView:
        found = entity_view(linked_corpus(), id)
        if found is None:
            raise HTTPException(404, f"no entity {id} in the corpus")
        return found

    def trail_or_404(id: int) -> TrailView:
        found = trail_view(linked_corpus(), id)
        if found is None:
            raise HTTPException(404, f"no trail {id} in the corpus")
        return found

    @app.get("/entities/{id}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, id: int) -> HTMLResponse:
        entity = entity_or_404(id)
        return page(request, "entity.html", entity=entity, timeline=timeline_svg(entity.by_month))

    @app.get("/trails/{id}", response_class=HTMLResponse, include_in_schema=False)
    def trail_page(request: Request, id: int) -> HTMLResponse:
        return page(request, "trail.html", trail=trail_or_404(id))

    @app.get("/api/entities/{id}", tags=["corpus"],
             summary="A corpus entity: its names, its attributions by month and outlet, the latest of them")
    def entity_api(id: int) -> dict[str, Any]:
        return entity_or_404(id).to_dict()

    @app.get("/api/trails/{id}", tags=["corpus"],
             summary="A quotation trail: its appearances first to last, each with its word changes")
    def trail_api(id: int) -> dict[str, Any]:
        return trail_or_404(id).to_dict()
