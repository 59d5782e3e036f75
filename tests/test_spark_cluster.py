"""`sayso spark` on a real Spark cluster: a standalone master and two workers
(one core each) on 127.0.0.1, started from PySpark's own jars; the executors
run Python from an environment of `sayso spark pack` (packed once per session);
one worker is killed, with its executor and Python workers, while it analyses.
The records are those of `sayso run` on the same input, and no dataset holds a
row twice. Every process started here is stopped (process groups, fixtures'
teardown), also when a test fails; skips without Java.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sayso.cli import main

pytestmark = [pytest.mark.spark, pytest.mark.slow]

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")
pytest.importorskip("venv_pack")

from sayso.corpus.pack import Cluster, descendants, loopback_cluster  # noqa: E402 - after the skips
from sayso.corpus.spark import SparkError, find_java_home  # noqa: E402

from .test_spark import _parquet, _store_rows  # noqa: E402 - one copy of the dataset readers

N_TEXTS = 32
MODEL_LOADED_MB = 250  # a Python worker holding the spaCy pipeline (about 170 MB before it loads)
KEYS = {"documents": ("id",), "attributions": ("doc_id", "id"), "sources": ("doc_id", "id"),
        "errors": ("input", "record")}


@pytest.fixture(scope="session")
def java() -> str:
    try:
        return find_java_home()
    except SparkError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def packed_env(java, tmp_path_factory) -> Path:
    """`sayso spark pack`, once, compressed lightly (quicker to write and to unpack on each executor)."""
    path = tmp_path_factory.mktemp("pack") / "sayso-env.tar.gz"
    assert main(["spark", "pack", "-o", str(path), "--compress-level", "1"]) == 0
    return path


@pytest.fixture
def cluster(java, tmp_path):
    with loopback_cluster(2, cores=1, memory="1g", folder=tmp_path / "cluster") as running:
        yield running


def _corpus(root: Path, example_text: str) -> Path:
    corpus = root / "in"
    corpus.mkdir()
    paragraphs = [p for p in example_text.split("\n\n") if p.strip()]
    for i in range(N_TEXTS):  # texts that differ: a rotation of the example's paragraphs
        k = i % len(paragraphs)
        (corpus / f"a{i:02}.txt").write_text(f"Report {i}.\n\n" + "\n\n".join(paragraphs[k:] + paragraphs[:k]),
                                             encoding="utf-8")
    lines = [json.dumps({"id": "j1", "text": example_text, "published": "2024-05-06"}), '{"id": "broken", "te',
             json.dumps({"id": "blank", "text": "  "})]
    (corpus / "more.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def _pythons(pid: int) -> list[tuple[str, int]]:
    """The Python processes below a process: how each was started, and its resident memory in MB."""
    found = []
    for child in descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0].decode()
            resident = int(Path(f"/proc/{child}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
        if os.path.basename(command).startswith("python"):
            found.append((command, resident // 2**20))
    return found


def test_a_cluster_run_with_a_killed_worker_gives_the_records_of_sayso_run(
        cluster: Cluster, packed_env, tmp_path, example_text):
    corpus = _corpus(tmp_path, example_text)
    out = tmp_path / "out"
    driver_tmp = tmp_path / "driver-tmp"
    driver_tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_")}  # the executors' Python: --env
    env |= {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": str(driver_tmp), "TMPDIR": str(driver_tmp),
            "JAVA_TOOL_OPTIONS": f"-Djava.io.tmpdir={driver_tmp}"}
    command = [sys.executable, "-m", "sayso", "spark", str(corpus), "--out", str(out), "--master", cluster.master,
               "--env", str(packed_env), "--partitions", "8",
               "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
               "--conf", "spark.executor.memory=512m"]
    log = tmp_path / "driver.log"
    with log.open("wb") as stderr_file:
        driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr_file, env=env,
                                  start_new_session=True)
    try:
        # Kill the second worker (its executor and Python workers too) as soon as one of its Python
        # workers has loaded the model (its memory grows by some 150 MB), while it analyses.
        deadline = time.monotonic() + 150
        while True:
            pythons = _pythons(cluster.workers[1].pid)
            if any(mb > MODEL_LOADED_MB for _, mb in pythons):
                break
            assert driver.poll() is None, f"the run ended before a worker was killed: {log.read_text()}"
            assert time.monotonic() < deadline, "the second worker's Python never loaded the model"
            time.sleep(0.05)
        assert all(c.endswith("environment/bin/python") for c, _ in pythons), pythons  # the packed Python
        cluster.kill_worker(1)
        driver.wait(timeout=240)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait(timeout=30)
    stderr = log.read_text()
    assert driver.returncode == 0, stderr
    assert f"{N_TEXTS + 3} records read, {N_TEXTS + 1} analysed, 0 skipped" in stderr
    assert cluster.alive_workers() == 1

    for table, key in KEYS.items():  # no row twice in any dataset
        keys = [tuple(r[k] for k in key) for r in _parquet(out, table)]
        assert len(keys) == len(set(keys)), f"{table}: {len(keys) - len(set(keys))} rows twice"
    assert not (out / "_staging").exists()

    run_db, spark_db = tmp_path / "run.duckdb", tmp_path / "spark.duckdb"
    assert main(["run", str(corpus), "--db", str(run_db), "-j", "1", "-q"]) == 0
    assert main(["import", str(out), "--db", str(spark_db)]) == 0
    for table in KEYS:
        assert _store_rows(spark_db, table) == _store_rows(run_db, table), table
    assert len(_store_rows(spark_db, "documents")) == N_TEXTS + 1
    assert len(_store_rows(spark_db, "errors")) == 2

