"""Writing a corpus store back out.

JSON lines give exactly the `sayso.article/1` records, one per line, as
`sayso analyze --format jsonl` prints them. Parquet and CSV give the store's
tables with their columns (see `sayso.corpus.store`), one file per table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

import duckdb

from sayso.corpus.store import LINK_TABLES, TABLES, first_line, iter_articles
from sayso.errors import ExportError

FORMATS = ("jsonl", "parquet", "csv")
_ORDER = {"documents": "seq", "attributions": "doc_id, position", "sources": "doc_id, position",
          "errors": "input, record", "entities": "id", "trails": "id"}




def export_jsonl(con: duckdb.DuckDBPyConnection, out: TextIO) -> int:
    """Every stored article as a `sayso.article/1` JSON line, in storage order."""
    n = 0
    for article in iter_articles(con):
        out.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
        n += 1
    return n


def export_table(con: duckdb.DuckDBPyConnection, table: str, path: str | Path, fmt: str) -> int:
    """One table to a Parquet or CSV file; returns its number of rows."""
    if table not in TABLES:
        raise ExportError(f"no table {table!r}: use one of {', '.join(TABLES)}")
    if fmt not in ("parquet", "csv"):
        raise ExportError(f"cannot write a table as {fmt!r}: use parquet or csv")
    target = os.fspath(path).replace("'", "''")
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    try:
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY {_ORDER[table]}) TO '{target}' ({options})")
    except duckdb.Error as exc:
        raise ExportError(f"{path}: cannot write ({first_line(exc)})") from None
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


def export_tables(con: duckdb.DuckDBPyConnection, folder: str | Path, fmt: str) -> dict[str, Path]:
    """Every table to `folder/<table>.<fmt>`."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot create the folder ({exc.strerror or exc})") from None
    written = {}
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table in (t for t in TABLES if t in present or t not in LINK_TABLES):  # a store from before linking
        path = folder / f"{table}.{fmt}"
        export_table(con, table, path, fmt)
        written[table] = path
    return written
