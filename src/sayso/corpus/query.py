"""The questions users ask of a corpus store, as plain library calls.

Each function takes a DuckDB connection to a store (`store.open_store`,
read-only is enough) and returns a `Result`: column names and rows, which
`sayso query` prints as a table, CSV or JSON and the web app renders.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
from rapidfuzz import fuzz, process, utils

from sayso.corpus.store import first_line
from sayso.errors import QueryError
from sayso.nlp.profile import UNNAMED_TYPES

NAMED_SOURCE_TYPES = ("person", "organization")  # what "most-cited sources" counts unless told otherwise
GROUPINGS = (None, "outlet", "month")
UNKNOWN = "(unknown)"
# The date of a document: the start of `published` (ISO dates and timestamps); NULL if not a date.
DATE_SQL = "try_cast(left(d.published, 10) AS DATE)"
MONTH_SQL = f"coalesce(strftime({DATE_SQL}, '%Y-%m'), '{UNKNOWN}')"
OUTLET_SQL = f"coalesce(d.outlet, '{UNKNOWN}')"
SQL_TIMEOUT = 10.0  # seconds `sayso query --sql` may run
MEMORY_LIMIT = "1GB"  # DuckDB's memory_limit for `sayso query`
STOP_WAIT = 5.0  # seconds to wait for an interrupted query to end
T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _result(cursor: duckdb.DuckDBPyConnection) -> Result:
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return Result(columns, [tuple(r) for r in cursor.fetchall()])


def most_cited_sources(
    con: duckdb.DuckDBPyConnection,
    by: str | None = None,
    limit: int = 10,
    types: tuple[str, ...] | None = NAMED_SOURCE_TYPES,
    outlet: str | None = None,
) -> Result:
    """Sources by the number of attributions to them (and of documents citing
    them), over the whole store or the top `limit` per outlet or per month.
    `types` keeps sources of those types (None: every type)."""
    if by not in GROUPINGS:
        raise QueryError(f"cannot group by {by!r}: use outlet or month")
    if limit < 1:
        raise QueryError("the limit must be at least 1")
    group = {"outlet": OUTLET_SQL, "month": MONTH_SQL}.get(by or "")
    where = ["a.source_name IS NOT NULL"]
    if types is not None:
        where.append("list_contains($types, a.source_type)")
    if outlet is not None:
        where.append(f"{OUTLET_SQL} = $outlet")
    named: dict[str, Any] = {"types": list(types)} if types is not None else {}
    if outlet is not None:
        named["outlet"] = outlet
    keys = f"{group} AS {by}, " if group else ""
    sql = f"""
        SELECT * FROM (
            SELECT {keys}a.source_name AS source, any_value(a.source_type) AS type,
                   count(*) AS attributions, count(DISTINCT a.doc_id) AS documents
            FROM attributions a JOIN documents d ON d.id = a.doc_id
            WHERE {' AND '.join(where)}
            GROUP BY {"1, 2" if group else "1"}
        )
    """
    if group:
        sql += f"QUALIFY row_number() OVER (PARTITION BY {by} ORDER BY attributions DESC, source) <= {limit}\n"
        sql += f"ORDER BY {by}, attributions DESC, source"
    else:
        sql += f"ORDER BY attributions DESC, source LIMIT {limit}"
    return _result(con.execute(sql, named))


HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "prof"})


def name_match(query: str, name: str) -> float:
    """How well a name matches what was asked for (0-100): every word of the
    query must be close to some word of the name, so "Petraeus" and the
    misspelt "Petreaus" both find "David Petraeus", while "David Cameron"
    does not. Honorifics in the query ("Mr Petraeus") are not required."""
    words = [w for w in utils.default_process(query).split() if w not in HONORIFICS] or query.lower().split()
    name_words = utils.default_process(name).split()
    if not words or not name_words:
        return 0.0
    return min(max(fuzz.ratio(w, n) for n in name_words) for w in words)


def matching_sources(con: duckdb.DuckDBPyConnection, name: str, min_match: float = 85.0) -> list[tuple[str, float]]:
    """Stored source names that match `name` (see `name_match`), best first."""
    if not name.strip():
        raise QueryError("give a source name to look for")
    names = [r[0] for r in con.execute(
        "SELECT DISTINCT source_name FROM attributions WHERE source_name IS NOT NULL").fetchall()]
    found = process.extract(name, names, scorer=lambda q, n, **_: name_match(q, n), processor=None,
                            score_cutoff=min_match, limit=None)
    return sorted(((match, float(score)) for match, score, _ in found), key=lambda m: (-m[1], m[0]))


def attributions_by_source(con: duckdb.DuckDBPyConnection, name: str, min_match: float = 85.0) -> Result:
    """Every attribution whose resolved source name matches `name` (see
    `matching_sources`), in storage order."""
    matches = matching_sources(con, name, min_match)
    scores = {m: s for m, s in matches}
    cursor = con.execute("""
        SELECT a.doc_id, d.outlet, d.published, a.id AS attribution, a.source_name AS source,
               a.source_type AS type, a.cue_text AS cue, a.stance, a.kind, a.content_text AS content
        FROM attributions a JOIN documents d ON d.id = a.doc_id
        WHERE list_contains($names, a.source_name)
        ORDER BY d.seq, a.position
    """, {"names": list(scores)})
    result = _result(cursor)
    return Result([*result.columns, "match"], [(*row, round(scores[row[4]], 1)) for row in result.rows])


def search_content(con: duckdb.DuckDBPyConnection, phrase: str) -> Result:
    """Every attribution whose content contains `phrase` (case-insensitive)."""
    if not phrase.strip():
        raise QueryError("give a phrase to look for")
    return _result(con.execute("""
        SELECT a.doc_id, d.outlet, d.published, a.id AS attribution,
               coalesce(a.source_name, a.source_text) AS source, a.cue_text AS cue, a.stance, a.kind,
               a.content_text AS content
        FROM attributions a JOIN documents d ON d.id = a.doc_id
        WHERE contains(lower(a.content_text), lower($phrase))
        ORDER BY d.seq, a.position
    """, {"phrase": phrase}))


def outlet_profile(con: duckdb.DuckDBPyConnection, outlet: str | None = None) -> Result:
    """The sourcing profile of an outlet (or of every outlet): documents,
    attributions per document, the share of its sources that are unnamed
    (unnamed, anonymous or known by role only), of its attributions whose cue
    doubts (claimed, alleged…), and of its sentences that carry no attribution."""
    unnamed = list(UNNAMED_TYPES)
    sql = f"""
        WITH docs AS (
            SELECT {OUTLET_SQL} AS outlet, d.id,
                   CAST(json_extract(d.profile, '$.sentences') AS INTEGER) AS sentences,
                   round(CAST(json_extract(d.profile, '$.unattributed_sentence_share') AS DOUBLE)
                         * CAST(json_extract(d.profile, '$.sentences') AS INTEGER)) AS unattributed
            FROM documents d
        ),
        src AS (SELECT doc_id, count(*) AS n, count(*) FILTER (WHERE list_contains($unnamed, type)) AS unnamed
                FROM sources GROUP BY doc_id),
        att AS (SELECT doc_id, count(*) AS n, count(*) FILTER (WHERE stance = 'doubting') AS doubting
                FROM attributions GROUP BY doc_id)
        SELECT docs.outlet, count(*) AS documents,
               coalesce(sum(att.n), 0) AS attributions,
               round(coalesce(sum(att.n), 0) / count(*), 2) AS attributions_per_document,
               coalesce(sum(src.n), 0) AS sources,
               round(coalesce(sum(src.unnamed) / nullif(sum(src.n), 0), 0), 4) AS unnamed_source_share,
               round(coalesce(sum(att.doubting) / nullif(sum(att.n), 0), 0), 4) AS doubting_cue_share,
               round(coalesce(sum(docs.unattributed) / nullif(sum(docs.sentences), 0), 0), 4)
                   AS unattributed_sentence_share
        FROM docs LEFT JOIN src ON src.doc_id = docs.id LEFT JOIN att ON att.doc_id = docs.id
        {"WHERE docs.outlet = $outlet" if outlet is not None else ""}
        GROUP BY docs.outlet ORDER BY documents DESC, docs.outlet
    """
    params: dict[str, Any] = {"unnamed": unnamed}
    if outlet is not None:
        params["outlet"] = outlet
    result = _result(con.execute(sql, params))
    if outlet is not None and not result.rows:
        known = [r[0] for r in con.execute(f"SELECT DISTINCT {OUTLET_SQL} FROM documents d ORDER BY 1 LIMIT 20")
                 .fetchall()]
        raise QueryError(f"no documents from the outlet {outlet!r} (outlets: {', '.join(known) or 'none'})")
    return result


def interruptible(con: duckdb.DuckDBPyConnection, work: Callable[[], T], timeout: float | None = None) -> T:
    """The value of `work` (queries on `con`), run in a thread so that it can
    be stopped: after `timeout` seconds (None or 0: no limit) with a
    QueryError, and on Ctrl-C (KeyboardInterrupt), both through
    `con.interrupt()`. DuckDB does not see a signal while it computes, and a
    query running in the main thread would hold Ctrl-C back until it ends."""
    outcome: dict[str, Any] = {}
    # An Event, not Thread.join: a join that Ctrl-C interrupts takes the thread for ended (bpo-45274).
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            done.set()

    deadline = time.monotonic() + timeout if timeout else None
    threading.Thread(target=target, name="sayso-query", daemon=True).start()
    try:
        while not done.wait(0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))):
            if deadline is not None and time.monotonic() >= deadline:
                con.interrupt()
                done.wait(STOP_WAIT)
                if "value" not in outcome:
                    raise QueryError(f"the query ran past its {timeout:g} s limit and was stopped "
                                     "(--timeout SECONDS allows more)")
    except KeyboardInterrupt:
        con.interrupt()
        done.wait(STOP_WAIT)
        raise
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, duckdb.OutOfMemoryException):
            raise _out_of_memory(error) from None
        raise error
    return outcome["value"]  # type: ignore[no-any-return]


def _out_of_memory(exc: duckdb.Error) -> QueryError:
    return QueryError(f"the query needed more memory than its limit and was stopped ({first_line(exc)}; "
                      "--memory-limit allows more)")


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, timeout: float | None = None) -> Result:
    """One read-only SQL statement. Anything but a SELECT is refused before it
    runs, so the store is never changed. It is stopped after `timeout`
    seconds (None: no limit), and on Ctrl-C (see `interruptible`)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"SQL error: {first_line(exc)}") from None
    if not statements:
        raise QueryError("no SQL statement given")
    if len(statements) > 1:
        raise QueryError("give one SQL statement at a time")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryError(f"--sql is read-only: {kind.name} statements are refused and the store was not changed")

    def select() -> Result:
        try:
            return _result(con.execute(sql))
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(exc) from None
        except duckdb.Error as exc:
            raise QueryError(f"SQL error: {first_line(exc)}") from None

    return interruptible(con, select, timeout)




# --- corpus entities and quotation trails --------------------------------------

def _need_linked(con: duckdb.DuckDBPyConnection) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "entities" not in tables or "trails" not in tables:
        raise QueryError("this store has no entities or trails yet (link it with `sayso link --db FILE`)")


def find_entity(con: duckdb.DuckDBPyConnection, name: str, min_match: float = 85.0) -> tuple[int, str] | None:
    """The entity a name means: one that has the name among its aliases (the
    most-cited such), else the best loose match of its name or an alias."""
    if not name.strip():
        raise QueryError("give an entity name to look for")
    _need_linked(con)
    wanted = utils.default_process(name)
    best: tuple[float, int, int, str] | None = None
    for id_, entity_name, aliases, n in con.execute(
            "SELECT id, name, aliases, n_sources FROM entities ORDER BY id").fetchall():
        names = [entity_name, *json.loads(aliases or "{}")]
        exact = any(utils.default_process(a) == wanted for a in names)
        score = 101.0 if exact else max(name_match(name, a) for a in names)
        if score >= min_match and (best is None or (score, n, -id_) > best[:3]):
            best = (score, n, -id_, entity_name)
    return (-best[2], best[3]) if best else None


def entity_attributions(con: duckdb.DuckDBPyConnection, name: str, by: str | None = None,
                        min_match: float = 85.0) -> Result:
    """Every attribution of the entity `name` means (see `find_entity`) across
    the store, in storage order, or counted per outlet or per month (`by`)."""
    if by not in GROUPINGS:
        raise QueryError(f"cannot group by {by!r}: use outlet or month")
    found = find_entity(con, name, min_match)
    if found is None:
        raise QueryError(f"no entity matches {name!r}")
    entity = {"entity": found[0]}
    if by:
        group = {"outlet": OUTLET_SQL, "month": MONTH_SQL}[by]
        return _result(con.execute(f"""
            SELECT {group} AS {by}, e.id AS entity, e.name AS entity_name, count(*) AS attributions,
                   count(DISTINCT a.doc_id) AS documents, list(DISTINCT s.name ORDER BY s.name) AS names
            FROM attributions a JOIN documents d ON d.id = a.doc_id
            JOIN sources s ON s.doc_id = a.doc_id AND s.id = a.speaker JOIN entities e ON e.id = s.entity_id
            WHERE e.id = $entity GROUP BY 1, 2, 3 ORDER BY 1
        """, entity))
    return _result(con.execute(f"""
        SELECT e.id AS entity, e.name AS entity_name, a.doc_id, {OUTLET_SQL} AS outlet, {MONTH_SQL} AS month,
               d.published, a.id AS attribution, s.name AS source, a.cue_text AS cue, a.kind, a.stance,
               a.content_text AS content, a.trail_id AS trail
        FROM attributions a JOIN documents d ON d.id = a.doc_id
        JOIN sources s ON s.doc_id = a.doc_id AND s.id = a.speaker JOIN entities e ON e.id = s.entity_id
        WHERE e.id = $entity ORDER BY d.seq, a.position
    """, entity))


def changes(diff: list[dict[str, str]]) -> str:
    """The words a variant changed inside the shared part, "from → to; …"
    (empty if none; truncation is not a change)."""
    from sayso.corpus.trails import inner_changes

    return "; ".join(f"{d['from'] or '∅'} → {d['to'] or '∅'}" for d in inner_changes(diff))


def trail_appearances(con: duckdb.DuckDBPyConnection, phrase: str) -> Result:
    """The appearances, first first, of every trail one of whose quotations
    contains `phrase` (case-insensitive), with each one's changes against
    the earliest wording."""
    from sayso.corpus.trails import quotation_text, word_diff

    if not phrase.strip():
        raise QueryError("give a phrase to look for")
    _need_linked(con)
    rows = con.execute(f"""
        WITH hit AS (SELECT DISTINCT trail_id FROM attributions
                     WHERE trail_id IS NOT NULL AND contains(lower(content_text), lower($phrase)))
        SELECT t.id, t.wording, d.published, {OUTLET_SQL}, a.doc_id, a.id, a.kind, a.content_text,
               coalesce(e.name, a.source_name, a.source_text), e.id
        FROM hit JOIN trails t ON t.id = hit.trail_id JOIN attributions a ON a.trail_id = t.id
        JOIN documents d ON d.id = a.doc_id
        LEFT JOIN sources s ON s.doc_id = a.doc_id AND s.id = a.speaker LEFT JOIN entities e ON e.id = s.entity_id
        ORDER BY t.id, try_cast(left(d.published, 10) AS DATE) NULLS LAST, d.seq, a.position
    """, {"phrase": phrase}).fetchall()
    out = []
    for trail, wording, published, outlet, doc_id, aid, kind, content, credited, entity in rows:
        quoted = quotation_text(kind, content) or content
        out.append((trail, published, outlet, doc_id, aid, credited, entity, quoted,
                    changes(word_diff(wording, quoted))))
    return Result(["trail", "published", "outlet", "doc_id", "attribution", "credited_to", "entity", "quotation",
                   "changes"], out)


def changed_trails(con: duckdb.DuckDBPyConnection, altered: bool = False, drift: bool = False,
                   limit: int = 20) -> Result:
    """The most-spread trails whose wording was altered (`altered`) or whose
    words were credited to different sources (`drift`); both: either."""
    if not (altered or drift):
        raise QueryError("ask for --altered or --drift trails (or both)")
    if limit < 1:
        raise QueryError("the limit must be at least 1")
    _need_linked(con)
    flags = " OR ".join(f for f, on in (("altered", altered), ("drift", drift)) if on)
    rows = con.execute(f"""
        SELECT id, n_documents, n_outlets, first_published, first_outlet, altered, drift, wording, variants, entities
        FROM trails WHERE {flags} ORDER BY n_documents DESC, n_outlets DESC, id LIMIT {int(limit)}
    """).fetchall()
    out = []
    for id_, docs, outlets, published, outlet, is_altered, is_drift, wording, variants, entities in rows:
        variant_changes = dict.fromkeys(changes(v["diff"]) for v in json.loads(variants) if v.get("altered"))
        credited = "; ".join(f"{c['name']} ({c['appearances']})" for c in json.loads(entities))
        out.append((id_, docs, outlets, published, outlet, is_altered, is_drift, wording,
                    " | ".join(variant_changes), credited))
    return Result(["trail", "documents", "outlets", "first_published", "first_outlet", "altered", "drift",
                   "wording", "changes", "credited_to"], out)
