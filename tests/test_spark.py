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
from sayso.record import text_id
from sayso.spark import SparkError, analyze_frame, find_java_home, spark_session
from sayso.store import COLUMNS, article_from_rows, article_rows, iter_articles, open_store

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


def test_spark_command_import_and_rerun(spark, tmp_path, example_text, capsys):
    corpus = tmp_path / "in"
    (corpus / "pages").mkdir(parents=True)
    lines = [json.dumps({"id": "ex", "text": example_text, "outlet": "Example", "published": "2024-03-02"}),
             '{"id": "broken", "text": "no closing quote',
             json.dumps({"id": "s1", "text": SHORT[0], "title": "Arrests"}),
             json.dumps({"id": "empty", "text": " "})]
    (corpus / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (corpus / "pages" / "minister.txt").write_text(SHORT[1], encoding="utf-8")
    (corpus / "pages" / "bad.txt").write_bytes(b"\xff\xfe not utf-8")
    out = tmp_path / "out"

    assert main(["spark", str(corpus), "--out", str(out), "--partitions", "3"]) == 0
    assert "6 records read, 3 analysed, 0 skipped" in capsys.readouterr().err  # four lines and two files

    documents = {d["id"]: d for d in _parquet(out, "documents")}
    assert set(documents) == {"ex", "s1", "pages/minister.txt"}
    assert documents["ex"]["month"] == "2024-03" and documents["s1"]["month"] == "unknown"
    errors = {(Path(e["input"]).name, e["record"]): e["reason"] for e in _parquet(out, "errors")}
    assert set(errors) == {("news.jsonl", "2"), ("news.jsonl", "4"), ("bad.txt", "pages/bad.txt")}
    assert "not valid JSON" in errors[("news.jsonl", "2")] and errors[("news.jsonl", "4")] == "empty text"
    assert "UTF-8" in errors[("bad.txt", "pages/bad.txt")]

    # row for row what the store holds for the same texts analysed in this process
    reference = {a.id: a for a in analyze_many(
        [(example_text, "ex", {"outlet": "Example", "published": "2024-03-02"}),
         (SHORT[0], "s1", {"title": "Arrests"}), (SHORT[1], "pages/minister.txt", {})])}
    attributions = _parquet(out, "attributions")
    sources = _parquet(out, "sources")
    for id_, article in reference.items():
        want = article_rows(article, processed_at=documents[id_]["processed_at"])
        doc = {k: documents[id_][k] for k in COLUMNS["documents"] if k not in ("seq", "input", "record")}
        assert doc == {k: v for k, v in want["documents"][0].items() if k not in ("seq", "input", "record")}
        assert sorted((r for r in attributions if r["doc_id"] == id_), key=lambda r: r["position"]) == [
            {**r, "month": documents[id_]["month"]} for r in want["attributions"]]
        assert sorted((r for r in sources if r["doc_id"] == id_), key=lambda r: r["position"]) == [
            {**r, "month": documents[id_]["month"]} for r in want["sources"]]

    # import into a store: the records come back exactly, errors with them
    db = tmp_path / "corpus.duckdb"
    assert main(["import", str(out), "--db", str(db)]) == 0
    con = open_store(db, read_only=True)
    stored = {a.id: a for a in iter_articles(con)}
    assert {k: a.to_dict() for k, a in stored.items()} == {k: a.to_dict() for k, a in reference.items()}
    assert con.execute("SELECT count(*) FROM errors").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM attributions").fetchone()[0] == len(attributions)
    con.close()

    # a re-run skips what is written; importing again adds nothing
    capsys.readouterr()
    assert main(["spark", str(corpus), "--out", str(out), "--partitions", "2"]) == 0
    assert "0 analysed, 3 skipped" in capsys.readouterr().err
    assert len(_parquet(out, "documents")) == 3 and len(_parquet(out, "attributions")) == len(attributions)
    assert main(["import", str(out), "--db", str(db)]) == 0
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
