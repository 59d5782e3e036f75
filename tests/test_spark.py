"""sayso on Spark: analyze_frame, `sayso spark` and `sayso import`.

One local[2] SparkSession for the module; skips when pyspark or Java is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sayso import analyze_many
from sayso.cli import main
from sayso.corpus.spark import SparkError, analyze_frame, find_java_home, spark_session
from sayso.corpus.store import COLUMNS, article_from_rows, article_rows, iter_articles, open_store
from sayso.record import text_id

pytestmark = pytest.mark.spark

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

SHORT = [
    'Police said two men were arrested on Tuesday. "We are investigating," a spokesman told reporters.',
    "The minister confirmed that a corridor would open, according to officials in the capital.",
]


@pytest.fixture(scope="module")
def spark():
    try:
        find_java_home()
    except SparkError as exc:
        pytest.skip(str(exc))
    session = spark_session("local[2]")
    yield session
    session.stop()


def test_analyze_frame_gives_the_records_of_analyze_many(spark, example_text):
    items = [(example_text, "example", {"outlet": "Example", "published": "2024-03-02"}),
             (SHORT[0], "short-1", {}), (SHORT[1], None, {}), ("   ", "blank", {})]
    df = spark.createDataFrame([(t, i, m.get("outlet"), m.get("published")) for t, i, m in items],
                               "text string, id string, outlet string, published string")
    rows = {r["id"]: r.asDict(recursive=True) for r in analyze_frame(df.repartition(2)).collect()}
    expected = list(analyze_many(items))
    assert len(rows) == len(items)
    for article in expected:
        row = rows[article.id]
        if article.error:
            assert row["error"] == article.error and row["text"] is None
            continue
        assert row["error"] is None
        got = article_from_rows(row, row["attributions"], row["sources"])
        assert got.to_dict() == article.to_dict()
        # the row columns are the store's own, value for value
        want = article_rows(article, processed_at=row["processed_at"])
        assert {k: row[k] for k in COLUMNS["documents"]} == want["documents"][0]
        assert row["attributions"] == want["attributions"]
        assert row["sources"] == want["sources"]
    assert rows["example"]["n_attributions"] > 5
    assert rows[text_id(SHORT[1])]["error"] is None  # no id: the hash of the text, as analyze_many


def test_analyze_frame_names_a_missing_column(spark):
    df = spark.createDataFrame([("a text",)], "body string")
    with pytest.raises(SparkError, match="no column 'text'"):
        analyze_frame(df)


def _parquet(out: Path, table: str) -> list[dict]:
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{out / table}/**/*.parquet', "
                         "hive_partitioning = true, hive_types_autocast = false)")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _store_rows(db: Path, table: str) -> list[tuple]:
    """A store table's rows, sorted, without what differs between two runs of the same input."""
    columns = [c for c in COLUMNS[table] if c not in ("seq", "processed_at", "at")]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    con.close()
    return sorted(rows, key=repr)


PAGE = ("<html><head><title>Harbour closes</title></head><body><article><h1>Harbour closes</h1>"
        "<p>The harbour will close for repairs next week, the port authority said on Monday. "
        "Fishermen said they had not been warned and called the decision a disgrace.</p>"
        "</article></body></html>")


def test_spark_run_equals_sayso_run_then_import_and_query(spark, tmp_path, example_text, capsys):
    corpus = tmp_path / "in"
    (corpus / "pages").mkdir(parents=True)
    lines = [json.dumps({"id": "ex", "text": example_text, "outlet": "Example", "published": "2024-03-02"}),
             '{"id": "broken", "text": "no closing quote',
             json.dumps({"id": "s1", "text": SHORT[0], "title": "Arrests"}),
             json.dumps({"id": "empty", "text": " "})]
    (corpus / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (corpus / "pages" / "minister.txt").write_text(SHORT[1], encoding="utf-8")
    (corpus / "pages" / "harbour.html").write_text(PAGE, encoding="utf-8")
    (corpus / "pages" / "bad.txt").write_bytes(b"\xff\xfe not utf-8")
    (corpus / "pages" / "notes.csv").write_text("not an article", encoding="utf-8")
    out = tmp_path / "out"

    assert main(["spark", str(corpus), "--out", str(out), "--partitions", "3"]) == 0
    assert "7 records read, 4 analysed, 0 skipped" in capsys.readouterr().err  # 4 lines, 3 files

    documents = {d["id"]: d for d in _parquet(out, "documents")}
    assert set(documents) == {"ex", "s1", "pages/minister", "pages/harbour"}
    assert documents["ex"]["month"] == "2024-03" and documents["s1"]["month"] == "unknown"
    assert documents["pages/harbour"]["title"] == "Harbour closes"
    errors = {(Path(e["input"]).name, e["record"]) for e in _parquet(out, "errors")}
    assert errors == {("news.jsonl", "line 2"), ("news.jsonl", "line 4"), ("bad.txt", "pages/bad.txt")}
    assert documents["ex"]["n_attributions"] == len([a for a in _parquet(out, "attributions")
                                                     if a["doc_id"] == "ex"]) > 5

    # the same input through `sayso run`, and the Spark output imported: row for row the same store
    run_db, spark_db = tmp_path / "run.duckdb", tmp_path / "spark.duckdb"
    assert main(["run", str(corpus), "--db", str(run_db), "-j", "1", "-q"]) == 0
    assert main(["import", str(out), "--db", str(spark_db)]) == 0
    for table in ("documents", "attributions", "sources", "errors"):
        assert _store_rows(spark_db, table) == _store_rows(run_db, table), table
    con = open_store(spark_db, read_only=True)
    assert [a.id for a in iter_articles(con)] == sorted(documents, key=lambda i: (documents[i]["input"], i))
    con.close()
    answers = []
    for db in (spark_db, run_db):
        capsys.readouterr()
        assert main(["query", "--db", str(db), "source", "Petraeus", "--format", "json"]) == 0
        answers.append(json.loads(capsys.readouterr().out))
    assert answers[0] == answers[1] and len(answers[0]) >= 3

    # a re-run skips what is written; importing again adds nothing
    n_attributions = len(_parquet(out, "attributions"))
    assert main(["spark", str(corpus), "--out", str(out), "--partitions", "2"]) == 0
    assert "0 analysed, 4 skipped" in capsys.readouterr().err
    assert len(_parquet(out, "documents")) == 4 and len(_parquet(out, "attributions")) == n_attributions
    assert main(["import", str(out), "--db", str(spark_db)]) == 0
    assert "added 0 documents, 0 attributions, 0 sources" in capsys.readouterr().err


def test_spark_command_refuses_a_missing_input(spark, tmp_path, capsys):
    assert main(["spark", str(tmp_path / "nothing.jsonl"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("no such file or folder") and "\n" not in err


def test_import_refuses_a_folder_without_output(tmp_path, capsys):
    assert main(["import", str(tmp_path), "--db", str(tmp_path / "c.duckdb")]) == 2
    assert "no Parquet output of `sayso spark`" in capsys.readouterr().err


def test_without_java_one_line_error(tmp_path):
    env = {"PATH": "/nonexistent", "JAVA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "sayso", "spark", str(tmp_path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"sayso: JAVA_HOME={tmp_path} is not a Java 17+ installation (Spark needs one)"]


def test_without_pyspark_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what `import pyspark` meets when it is not installed
    assert main(["spark", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "pip install 'sayso[spark]'" in capsys.readouterr().err
