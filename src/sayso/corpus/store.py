"""The corpus store: analysed articles in one embedded DuckDB file.

`sayso run` (and `sayso import`) writes it, `sayso query`, `sayso export` and `sayso serve --db`
read it. Its rows hold the fields of the article record (`sayso.article/1`),
so `read_article` rebuilds exactly the record `Article.to_dict()` gave.

Tables (span lists are JSON arrays of {"start", "end", "text"}; offsets index
`documents.text`):

documents — one row per analysed article
    seq            BIGINT   storage order (input order within a run)
    id             VARCHAR  the record id (primary key)
    content_hash   VARCHAR  `record.text_id(text)`, a hash of the text
    title, url, published, outlet, author, language   VARCHAR  meta fields as text
    meta           JSON     the whole meta object, as in the record (extra fields too)
    text           VARCHAR  the analysed text
    boilerplate    JSON     the record's boilerplate list
    hedges         JSON     the record's hedges list
    profile        JSON     the record's profile object
    n_attributions INTEGER
    n_sources      INTEGER
    input          VARCHAR  where it was read from (file, archive), if known
    record         VARCHAR  which record of the input (line number, WARC offset…), if known
    schema         VARCHAR  "sayso.article/1"
    processed_at   TIMESTAMP when it was analysed (UTC)
    sayso_version  VARCHAR

attributions — one row per attribution
    doc_id, id     VARCHAR  the document and the attribution id ("a1"…)
    position       INTEGER  its place in the record's list (0-based)
    kind, stance   VARCHAR
    speaker        VARCHAR  the source id ("s1"), NULL when no source is stated
    source_name, source_type  VARCHAR  that source's resolved name and type
    score          DOUBLE   as in the record (4 decimals)
    cue_text, source_text, content_text   VARCHAR  the role's spans joined by " … "
    cue_start, cue_end, source_start, source_end, content_start, content_end
                   INTEGER  first start and last end of the role's spans (NULL if none)
    cue, source, content  JSON  the role's exact spans
    trail_id       BIGINT   its quotation trail (trails.id), set by linking; NULL if none

sources — one row per resolved source
    doc_id, id     VARCHAR
    position       INTEGER
    name, type, description  VARCHAR
    n_attributions INTEGER  attributions whose speaker it is
    n_mentions     INTEGER
    mentions       JSON     the exact mention spans
    entity_id      BIGINT   its corpus entity (entities.id), set by linking; NULL if not a named person
                            or organisation

errors — one row per input record that could not be analysed
    input          VARCHAR  the file or archive
    record         VARCHAR  record id, line number or offset within it
    reason         VARCHAR  why, in one line
    at             TIMESTAMP

entities — one row per corpus entity (sayso.corpus.entities)
    id             BIGINT   stable: a later linking never renumbers it
    name, type, key  VARCHAR  its fullest common name, person/organization, its blocking key
    aliases        JSON     {name as the articles write it: sources}
    first_seen, last_seen  VARCHAR  the first and last published dates of its articles
    n_sources, n_documents, n_attributions  INTEGER
    kb_id, description  VARCHAR  from a knowledge base (`--entities FILE`), if anchored to one
    profile        JSON     what linking knows of it (first name, gender, titles, co-mentions)

trails — one row per quotation trail (sayso.corpus.trails)
    id             BIGINT   stable
    wording        VARCHAR  the earliest wording
    first_doc_id, first_attribution_id, first_published, first_outlet  VARCHAR  its first appearance
    n_appearances, n_documents, n_outlets, n_variants  INTEGER
    altered, drift BOOLEAN  words changed inside the shared part; credited to different sources
    entities       JSON     [{entity, name, type, appearances}] it is credited to
    variants       JSON     [{wording, appearances, diff, altered, truncated}], diff against the earliest

info — key/value facts about the store (store_version; trails_linked_seq, the documents traced).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from sayso.errors import StoreError
from sayso.record import SCHEMA, Article, Span, text_id

STORE_VERSION = "1"
JOIN = " … "  # between the spans of one role in the *_text columns

# Column name -> DuckDB type, in table order. The only description of the schema.
COLUMNS: dict[str, dict[str, str]] = {
    "documents": {
        "seq": "BIGINT", "id": "VARCHAR", "content_hash": "VARCHAR",
        "title": "VARCHAR", "url": "VARCHAR", "published": "VARCHAR", "outlet": "VARCHAR",
        "author": "VARCHAR", "language": "VARCHAR", "meta": "JSON", "text": "VARCHAR",
        "boilerplate": "JSON", "hedges": "JSON", "profile": "JSON",
        "n_attributions": "INTEGER", "n_sources": "INTEGER", "input": "VARCHAR", "record": "VARCHAR",
        "schema": "VARCHAR", "processed_at": "TIMESTAMP", "sayso_version": "VARCHAR",
    },
    "attributions": {
        "doc_id": "VARCHAR", "id": "VARCHAR", "position": "INTEGER", "kind": "VARCHAR", "stance": "VARCHAR",
        "speaker": "VARCHAR", "source_name": "VARCHAR", "source_type": "VARCHAR", "score": "DOUBLE",
        "cue_text": "VARCHAR", "source_text": "VARCHAR", "content_text": "VARCHAR",
        "cue_start": "INTEGER", "cue_end": "INTEGER", "source_start": "INTEGER", "source_end": "INTEGER",
        "content_start": "INTEGER", "content_end": "INTEGER",
        "cue": "JSON", "source": "JSON", "content": "JSON", "trail_id": "BIGINT", "continuation": "JSON",
    },
    "sources": {
        "doc_id": "VARCHAR", "id": "VARCHAR", "position": "INTEGER", "name": "VARCHAR", "type": "VARCHAR",
        "description": "VARCHAR", "n_attributions": "INTEGER", "n_mentions": "INTEGER", "mentions": "JSON",
        "entity_id": "BIGINT",
    },
    "errors": {"input": "VARCHAR", "record": "VARCHAR", "reason": "VARCHAR", "at": "TIMESTAMP"},
    # Written by linking (sayso.corpus.entities, sayso.corpus.trails) after a run, not by `article_rows`.
    "entities": {
        "id": "BIGINT", "name": "VARCHAR", "type": "VARCHAR", "key": "VARCHAR", "aliases": "JSON",
        "first_seen": "VARCHAR", "last_seen": "VARCHAR", "n_sources": "INTEGER", "n_documents": "INTEGER",
        "n_attributions": "INTEGER", "kb_id": "VARCHAR", "description": "VARCHAR", "profile": "JSON",
    },
    "trails": {
        "id": "BIGINT", "wording": "VARCHAR", "first_doc_id": "VARCHAR", "first_attribution_id": "VARCHAR",
        "first_published": "VARCHAR", "first_outlet": "VARCHAR", "n_appearances": "INTEGER",
        "n_documents": "INTEGER", "n_outlets": "INTEGER", "n_variants": "INTEGER", "altered": "BOOLEAN",
        "drift": "BOOLEAN", "entities": "JSON", "variants": "JSON",
    },
}
TABLES = tuple(COLUMNS)
LINK_TABLES = ("entities", "trails")  # absent from stores written before linking existed
# Columns added to a table after its first version: added to an older store when it is opened for writing.
ADDED_COLUMNS = {"attributions": ("trail_id", "continuation"), "sources": ("entity_id",)}
META_COLUMNS = ("title", "url", "published", "outlet", "author", "language")

_KEYS = {
    "documents": "PRIMARY KEY (id)",
    "attributions": "PRIMARY KEY (doc_id, id)",
    "sources": "PRIMARY KEY (doc_id, id)",
    "entities": "PRIMARY KEY (id)",
    "trails": "PRIMARY KEY (id)",
}




@dataclass(frozen=True)
class Provenance:
    """Where a document came from, kept beside it in the store."""

    input: str | None = None
    record: str | None = None


@dataclass(frozen=True)
class ErrorRow:
    """An input record that could not be analysed."""

    input: str
    record: str
    reason: str


def _create_sql() -> list[str]:
    statements = []
    for table, columns in COLUMNS.items():
        body = [f'"{name}" {kind}' for name, kind in columns.items()]
        if table in _KEYS:
            body.append(_KEYS[table])
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(body)})")
    for table, added in ADDED_COLUMNS.items():
        statements += [f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{name}" {COLUMNS[table][name]}'
                       for name in added]
    statements.append("CREATE TABLE IF NOT EXISTS info (key VARCHAR PRIMARY KEY, value VARCHAR)")
    return statements


def open_store(
    path: str | os.PathLike[str], read_only: bool = False, other_files: bool = False,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and, for writing, create) a store. Read-only connections also
    refuse access to other files (so a query cannot write anywhere) unless
    `other_files` is set, as `sayso export` does to write Parquet or CSV.
    `memory_limit` is DuckDB's ("1GB"), as `sayso query` sets it."""
    path = os.fspath(path)
    if read_only and not os.path.isfile(path):
        raise StoreError(f"{path}: no such corpus store (write one with `sayso run`)")
    if os.path.isdir(path):
        raise StoreError(f"{path}: is a directory, not a corpus store")
    try:
        config: dict[str, Any] = {} if memory_limit is None else {"memory_limit": memory_limit}
        if read_only:
            if not other_files:
                config["enable_external_access"] = False
            con = duckdb.connect(path, read_only=True, config=config)
        else:
            con = duckdb.connect(path, config=config)
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot open as a corpus store ({first_line(exc)})") from None
    try:
        if read_only:
            _check_store(con, path)
        else:
            existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if existing and "info" not in existing:
                raise StoreError(f"{path}: a DuckDB file but not a sayso corpus store")
            for statement in _create_sql():
                con.execute(statement)
            con.execute("INSERT OR IGNORE INTO info VALUES ('store_version', ?)", [STORE_VERSION])
    except duckdb.Error as exc:  # a full disk, as a rule
        _close_quietly(con)
        raise StoreError(f"{path}: cannot set up the corpus store ({store_failure(exc)})") from None
    except Exception:
        _close_quietly(con)
        raise
    return con


def _close_quietly(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        con.close()


def store_failure(exc: BaseException) -> str:
    """The cause of a DuckDB failure, in one line: a failed commit's or an
    invalidated database's original error (such as "No space left on device"),
    not the wrapping around it."""
    text = str(exc)
    original = re.search(r"Original error:\s*(.+)", text, re.S)
    if original:
        text = original.group(1)
    text = " ".join(text.split()).strip().strip('"')
    wrapped = re.compile(r"^(?:TransactionContext Error|FATAL Error|IO Error|Failed to commit|Failed):\s*")
    while wrapped.match(text):
        text = wrapped.sub("", text, count=1)
    return text or type(exc).__name__


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if DuckDB has not done so itself (a
    failed commit ends the transaction; a fatal error ends the connection)."""
    with contextlib.suppress(duckdb.Error):
        con.rollback()


def _check_store(con: duckdb.DuckDBPyConnection, path: str) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    missing = [t for t in (*TABLES, "info") if t not in tables and t not in LINK_TABLES]
    if missing:
        raise StoreError(f"{path}: not a sayso corpus store (no table {missing[0]})")


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _spans_json(spans: Sequence[Span]) -> str:
    return json.dumps([s.to_dict() for s in spans], ensure_ascii=False)


def _meta_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def article_rows(
    article: Article,
    provenance: Provenance | None = None,
    processed_at: datetime | None = None,
    version: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The rows of one analysed article, per table ("documents",
    "attributions", "sources"); a pure function of its arguments.
    `seq` is left None: the writer numbers documents as it stores them."""
    if article.error is not None:
        raise ValueError(f"{article.id}: an error record has no rows ({article.error})")
    if version is None:
        from sayso import __version__ as version
    provenance = provenance or Provenance()
    record = article.to_dict()
    by_speaker: dict[str, int] = {}
    for a in article.attributions:
        if a.speaker:
            by_speaker[a.speaker] = by_speaker.get(a.speaker, 0) + 1
    document = {
        "seq": None,
        "id": article.id,
        "content_hash": text_id(article.text),
        **{name: _meta_text(article.meta.get(name)) for name in META_COLUMNS},
        "meta": json.dumps(record["meta"], ensure_ascii=False),
        "text": article.text,
        "boilerplate": json.dumps(record["boilerplate"], ensure_ascii=False),
        "hedges": json.dumps(record["hedges"], ensure_ascii=False),
        "profile": json.dumps(record["profile"], ensure_ascii=False),
        "n_attributions": len(article.attributions),
        "n_sources": len(article.sources),
        "input": provenance.input,
        "record": provenance.record,
        "schema": article.schema,
        "processed_at": processed_at or datetime.now(UTC).replace(tzinfo=None),
        "sayso_version": version,
    }
    attributions = []
    for position, (a, a_dict) in enumerate(zip(article.attributions, record["attributions"], strict=True)):
        speaker = article.source_by_id(a.speaker)
        row: dict[str, Any] = {
            "doc_id": article.id, "id": a.id, "position": position, "kind": a.kind, "stance": a.stance,
            "speaker": a.speaker,
            "source_name": speaker.name if speaker else None,
            "source_type": speaker.type if speaker else None,
            "score": a_dict["score"],
        }
        for role in ("cue", "source", "content"):
            spans: list[Span] = getattr(a, role)
            row[f"{role}_text"] = JOIN.join(s.text for s in spans) if spans else None
        for role in ("cue", "source", "content"):
            spans = getattr(a, role)
            row[f"{role}_start"] = spans[0].start if spans else None
            row[f"{role}_end"] = spans[-1].end if spans else None
        for role in ("cue", "source", "content"):
            row[role] = _spans_json(getattr(a, role))
        row["trail_id"] = None  # set by linking (sayso.corpus.trails)
        row["continuation"] = _spans_json(a.continuation)
        attributions.append(row)
    sources = [
        {
            "doc_id": article.id, "id": s.id, "position": position, "name": s.name, "type": s.type,
            "description": s.description, "n_attributions": by_speaker.get(s.id, 0),
            "n_mentions": len(s.mentions), "mentions": _spans_json(s.mentions), "entity_id": None,
        }
        for position, s in enumerate(article.sources)
    ]
    return {"documents": [document], "attributions": attributions, "sources": sources}


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def attribution_record(row: dict[str, Any]) -> dict[str, Any]:
    """One stored attribution row back as the record's attribution object."""
    return {"id": row["id"], "kind": row["kind"], "cue": _loads(row["cue"]), "source": _loads(row["source"]),
            "content": _loads(row["content"]), "continuation": _loads(row.get("continuation")) or [],
            "speaker": row["speaker"], "stance": row["stance"], "score": row["score"]}


def article_from_rows(
    document: dict[str, Any], attributions: Iterable[dict[str, Any]], sources: Iterable[dict[str, Any]]
) -> Article:
    """The article record back from its rows (the inverse of `article_rows`)."""
    record = {
        "schema": document.get("schema") or SCHEMA,
        "id": document["id"],
        "text": document["text"],
        "meta": _loads(document["meta"]),
        "boilerplate": _loads(document["boilerplate"]),
        "attributions": [attribution_record(a) for a in sorted(attributions, key=lambda r: r["position"])],
        "sources": [
            {"id": s["id"], "name": s["name"], "type": s["type"], "description": s["description"],
             "mentions": _loads(s["mentions"]),
             **({"entity": s["entity_id"]} if s.get("entity_id") is not None else {})}
            for s in sorted(sources, key=lambda r: r["position"])
        ],
        "hedges": _loads(document["hedges"]),
        "profile": _loads(document["profile"]),
    }
    article = Article.from_dict(record)
    article.meta = record["meta"]  # keep the stored meta exactly, key order included
    return article


def set_links(con: duckdb.DuckDBPyConnection, table: str, column: str, links: Sequence[tuple[str, str, int]]) -> None:
    """Set `column` of the rows of `table` named by (doc_id, id) to the ids given, in one
    statement (the entity of sources, the trail of attributions)."""
    if not links:
        return
    con.execute(f"""
        UPDATE {table} SET {column} = m.link FROM (
            SELECT unnest($1::VARCHAR[]) AS doc_id, unnest($2::VARCHAR[]) AS id, unnest($3::BIGINT[]) AS link) m
        WHERE {table}.doc_id = m.doc_id AND {table}.id = m.id
    """, [[k[0] for k in links], [k[1] for k in links], [k[2] for k in links]])


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows column-wise: one statement per table, not one per row."""
    if not rows:
        return
    columns = COLUMNS[table]
    selects = ", ".join(f"unnest(${n + 1}::{kind}[]) AS \"{name}\""
                        for n, (name, kind) in enumerate(columns.items()))
    con.execute(f"INSERT INTO {table} SELECT {selects}", [[row[name] for row in rows] for name in columns])


def stored_ids(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> set[str]:
    """Which of these document ids are already in the store."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return set()
    rows = con.execute("SELECT id FROM documents WHERE id IN (SELECT unnest($1::VARCHAR[]))", [wanted]).fetchall()
    return {r[0] for r in rows}


def stored_documents(con: duckdb.DuckDBPyConnection,
                     ids: Iterable[str]) -> dict[str, tuple[str, str | None, str | None]]:
    """id -> (content hash, input, record) of these documents that are already in the store."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = con.execute("SELECT id, content_hash, input, record FROM documents "
                       "WHERE id IN (SELECT unnest($1::VARCHAR[]))", [wanted]).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def stored_hashes(con: duckdb.DuckDBPyConnection, hashes: Iterable[str]) -> set[str]:
    """Which of these content hashes are already in the store."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return set()
    rows = con.execute("SELECT DISTINCT content_hash FROM documents "
                       "WHERE content_hash IN (SELECT unnest($1::VARCHAR[]))", [wanted]).fetchall()
    return {r[0] for r in rows}


def write_articles(
    con: duckdb.DuckDBPyConnection,
    articles: Iterable[Article | tuple[Article, Provenance | None]],
    errors: Iterable[ErrorRow] = (),
) -> list[str]:
    """Store analysed articles (and error rows) in one transaction.

    An article whose id is already stored is left as it is (so re-running
    never stores a document twice); a stored or failing record's earlier error
    row is replaced. Returns the ids written. When DuckDB cannot write (a full
    disk), nothing of the batch is stored and a StoreError says why."""
    pairs = [(a, None) if isinstance(a, Article) else a for a in articles]
    error_rows = list(errors)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        con.begin()
        existing = stored_ids(con, [a.id for a, _ in pairs])
        tables: dict[str, list[dict[str, Any]]] = {"documents": [], "attributions": [], "sources": []}
        seq = con.execute("SELECT coalesce(max(seq), 0) FROM documents").fetchone()[0]  # type: ignore[index]
        written: list[str] = []
        for article, provenance in pairs:
            if article.id in existing:
                continue
            existing.add(article.id)
            rows = article_rows(article, provenance, processed_at=now)
            seq += 1
            rows["documents"][0]["seq"] = seq
            for table, table_rows in rows.items():
                tables[table].extend(table_rows)
            written.append(article.id)
        for table, table_rows in tables.items():
            insert_rows(con, table, table_rows)
        settled = [(d["input"], d["record"]) for d in tables["documents"] if d["input"] is not None]
        settled += [(e.input, e.record) for e in error_rows]
        if settled:
            con.execute("DELETE FROM errors USING (SELECT unnest($1::VARCHAR[]) AS i, unnest($2::VARCHAR[]) AS r) s "
                        "WHERE errors.input = s.i AND errors.record = s.r",
                        [[s[0] for s in settled], [s[1] for s in settled]])
        insert_rows(con, "errors", [{"input": e.input, "record": e.record, "reason": e.reason, "at": now}
                                for e in error_rows])
        con.commit()
    except duckdb.Error as exc:
        # Rolling back must not hide why the batch failed (a full disk): the rollback's own failure is ignored.
        rollback(con)
        raise StoreError(f"cannot write to the corpus store ({store_failure(exc)})") from exc
    except Exception:
        rollback(con)
        raise
    return written


def write_errors(con: duckdb.DuckDBPyConnection, errors: Iterable[ErrorRow]) -> None:
    """Store error rows alone (one transaction)."""
    write_articles(con, [], errors)


def load_parquet(con: duckdb.DuckDBPyConnection, patterns: dict[str, str]) -> dict[str, int]:
    """Load tables' rows from Parquet files (`patterns`: table -> file glob,
    as `sayso spark` writes them) in one transaction. Documents already stored
    are left as they are, as `write_articles` does; attribution and source rows
    count only with their document, and each is loaded once. Returns the rows
    added per table."""
    source = "read_parquet(?, hive_partitioning = false, union_by_name = true)"
    con.begin()
    try:
        before = counts(con)
        documents = patterns.get("documents")
        if documents:
            columns = [c for c in COLUMNS["documents"] if c != "seq"]
            listed = ", ".join(f'"{c}"' for c in columns)
            # New documents only, each once, numbered after the stored ones in input order.
            con.execute(
                f"CREATE TEMP TABLE new_documents AS SELECT * FROM {source}"
                " WHERE id NOT IN (SELECT id FROM documents) QUALIFY row_number() OVER (PARTITION BY id) = 1",
                [documents])
            con.execute(
                f"INSERT INTO documents (seq, {listed}) SELECT "
                "(SELECT coalesce(max(seq), 0) FROM documents) + row_number() OVER "
                "(ORDER BY input, try_cast(record AS BIGINT), record, id), "
                f"{listed} FROM new_documents")
            for table in ("attributions", "sources"):
                pattern = patterns.get(table)
                if not pattern:
                    continue
                listed_rows = ", ".join(f'"{c}"' for c in COLUMNS[table])
                con.execute(
                    f"INSERT INTO {table} SELECT {listed_rows} FROM {source} "
                    "WHERE doc_id IN (SELECT id FROM new_documents) "
                    "QUALIFY row_number() OVER (PARTITION BY doc_id, id) = 1", [pattern])
            # A record stored now is no longer an error.
            con.execute("DELETE FROM errors USING new_documents n WHERE errors.input = n.input "
                        "AND errors.record = n.record")
            con.execute("DROP TABLE new_documents")
        errors = patterns.get("errors")
        if errors:
            # The latest reason per record, unless the record has since been stored.
            con.execute(
                f"CREATE TEMP TABLE new_errors AS SELECT input, record, reason, \"at\" FROM {source}"
                " e WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.input = e.input AND d.record = e.record) "
                "QUALIFY row_number() OVER (PARTITION BY input, record ORDER BY \"at\" DESC) = 1", [errors])
            con.execute("DELETE FROM errors USING new_errors n WHERE errors.input IS NOT DISTINCT FROM n.input "
                        "AND errors.record IS NOT DISTINCT FROM n.record")
            con.execute("INSERT INTO errors SELECT * FROM new_errors")
            con.execute("DROP TABLE new_errors")
        after = counts(con)
        con.commit()
    except Exception:
        con.rollback()
        raise
    return {t: after[t] - before[t] for t in TABLES}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_article(con: duckdb.DuckDBPyConnection, id: str) -> Article:
    """The stored article with this id, exactly as analysed. KeyError if absent."""
    documents = _rows(con, "SELECT * FROM documents WHERE id = ?", [id])
    if not documents:
        raise KeyError(id)
    attributions = _rows(con, "SELECT * FROM attributions WHERE doc_id = ?", [id])
    sources = _rows(con, "SELECT * FROM sources WHERE doc_id = ?", [id])
    return article_from_rows(documents[0], attributions, sources)


def iter_articles(con: duckdb.DuckDBPyConnection, chunk: int = 200) -> Iterator[Article]:
    """Every stored article in storage order, reading `chunk` documents at a time."""
    last = -1
    while True:
        documents = _rows(con, "SELECT * FROM documents WHERE seq > ? ORDER BY seq LIMIT ?", [last, chunk])
        if not documents:
            return
        ids = [d["id"] for d in documents]
        by_doc: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {i: ([], []) for i in ids}
        for row in _rows(con, "SELECT * FROM attributions WHERE doc_id IN (SELECT unnest($1::VARCHAR[]))", [ids]):
            by_doc[row["doc_id"]][0].append(row)
        for row in _rows(con, "SELECT * FROM sources WHERE doc_id IN (SELECT unnest($1::VARCHAR[]))", [ids]):
            by_doc[row["doc_id"]][1].append(row)
        for d in documents:
            yield article_from_rows(d, *by_doc[d["id"]])
        last = documents[-1]["seq"]


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table."""
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


# How each table's rows come out of `Store`: in storage order, an article's rows in record order.
_ORDERED = {
    "documents": "SELECT * FROM documents ORDER BY seq",
    **{table: f"SELECT t.* FROM {table} t LEFT JOIN documents d ON d.id = t.doc_id "
              "ORDER BY d.seq, t.doc_id, t.position" for table in ("attributions", "sources")},
    "errors": 'SELECT * FROM errors ORDER BY "at", input, record',
    "entities": "SELECT * FROM entities ORDER BY id",
    "trails": "SELECT * FROM trails ORDER BY id",
}


class Store:
    """A corpus store opened from Python, read-only: its tables as pandas
    DataFrames or Arrow tables, SQL over it as DuckDB relations, its articles
    as records.

        with Store("corpus.duckdb") as store:
            store.df("attributions").groupby("stance").size()
            store.sql("SELECT source_name, count(*) n FROM attributions GROUP BY 1 ORDER BY n DESC").df()
            for article in store.articles(): ...

    Rows come in storage order (an article's attributions and sources in the
    record's order); JSON columns (spans, meta, profile) come as JSON text. The
    connection refuses writes and any other file, as `sayso query` does.
    """

    tables: tuple[str, ...] = TABLES

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        self._con: duckdb.DuckDBPyConnection | None = open_store(self.path, read_only=True)

    def __repr__(self) -> str:
        return f"Store({self.path!r}{'' if self._con is not None else ', closed'})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (again is fine); relations from `sql` end with it."""
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The read-only DuckDB connection."""
        if self._con is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._con

    def _table(self, table: str) -> duckdb.DuckDBPyRelation:
        if table not in TABLES:
            raise StoreError(f"{table!r}: no such table in a corpus store (the tables are {', '.join(TABLES)})")
        return self.connection.sql(_ORDERED[table])

    def df(self, table: str) -> Any:
        """The table as a pandas DataFrame (pandas must be installed)."""
        from sayso.errors import need

        need("pandas", "Store.df")
        return self._table(table).df()

    def arrow(self, table: str) -> Any:
        """The table as a pyarrow Table (pyarrow must be installed)."""
        from sayso.errors import need

        need("pyarrow", "Store.arrow")
        relation = self._table(table)
        to_table = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table  # DuckDB < 1.4
        return to_table()

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        """A DuckDB relation of `query` over the store's tables (`.df()`,
        `.to_arrow_table()`, `.fetchall()` read it); a query that fails, or
        would write, is a QueryError."""
        from sayso.errors import QueryError

        try:
            return self.connection.sql(query)
        except duckdb.Error as exc:
            raise QueryError(f"{first_line(exc)}") from None

    def articles(self) -> Iterator[Article]:
        """Every stored article as its record, in storage order."""
        return iter_articles(self.connection)
