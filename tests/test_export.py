"""`sayso export`: JSON lines are exactly what `sayso analyze --format jsonl`
prints; Parquet and CSV hold the store's tables."""

from __future__ import annotations

import csv
import json

import duckdb

from sayso.cli import main
from sayso.corpus.store import COLUMNS, TABLES


def test_export_jsonl_is_exactly_the_analyze_output(tmp_path, example_text, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "audio.txt").write_text(example_text, encoding="utf-8")
    (corpus / "bridge.txt").write_text("\"We had no choice,\" the mayor told reporters. Critics claimed the vote "
                                       "was rushed.", encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    assert main(["run", str(corpus), "--db", str(db), "-j", "1", "--quiet"]) == 0
    capsys.readouterr()
    exported = tmp_path / "out.jsonl"
    assert main(["export", "--db", str(db), "--format", "jsonl", "-o", str(exported)]) == 0
    analyzed = tmp_path / "analyze.jsonl"
    assert main(["analyze", str(corpus / "audio.txt"), str(corpus / "bridge.txt"), "--format", "jsonl",
                 "-o", str(analyzed)]) == 0
    # A record read from the store is the analysed one plus its sources' corpus entities.
    records = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert all(isinstance(s.pop("entity"), int) for r in records for s in r["sources"] if s["type"] == "person")
    for r in records:
        for s in r["sources"]:
            s.pop("entity", None)
    assert [json.dumps(r, ensure_ascii=False) for r in records] == analyzed.read_text(encoding="utf-8").splitlines()
    assert exported.read_text(encoding="utf-8").count("\n") == 2

    assert main(["export", "--db", str(db), "--format", "parquet", "-o", str(tmp_path / "parquet")]) == 0
    assert main(["export", "--db", str(db), "--format", "csv", "-o", str(tmp_path / "csv")]) == 0
    con = duckdb.connect()
    for table in TABLES:
        rows = con.execute(f"SELECT * FROM read_parquet('{tmp_path / 'parquet' / (table + '.parquet')}')")
        assert [d[0] for d in rows.description] == list(COLUMNS[table])
        n = len(rows.fetchall())
        with open(tmp_path / "csv" / f"{table}.csv", newline="", encoding="utf-8") as fh:
            table_rows = list(csv.reader(fh))
        assert table_rows[0] == list(COLUMNS[table]) and len(table_rows) == n + 1
    errors = con.execute(f"SELECT record, reason FROM '{tmp_path / 'parquet' / 'errors.parquet'}'").fetchall()
    assert errors == [("empty.txt", "empty file")]
    one = tmp_path / "attributions.csv"
    assert main(["export", "--db", str(db), "--format", "csv", "--table", "attributions", "-o", str(one)]) == 0
    assert one.read_text(encoding="utf-8").startswith("doc_id,id,position,")


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "--db", str(tmp_path / "none.duckdb"), "--format", "jsonl", "-o", "-"]) == 2
    assert capsys.readouterr().err.strip().endswith("no such corpus store (write one with `sayso run`)")
    db = tmp_path / "c.duckdb"
    from sayso.corpus.store import open_store

    open_store(db).close()
    assert main(["export", "--db", str(db), "--format", "jsonl", "--table", "sources", "-o", "-"]) == 2
    assert main(["export", "--db", str(db), "--format", "parquet", "--table", "sources",
                 "-o", str(tmp_path / "no" / "such" / "dir" / "x.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "cannot write" in err
