"""`sayso spark` on a loopback Spark cluster: one worker against two (one core
each), and against `sayso run -j 2`, on the same texts.

The PolNeAR train+dev texts (about 900 articles; CORPUS is the PolNeAR folder,
holding data/{train,dev}/text/*.txt) are copied to a temporary folder, an
environment is packed (`sayso spark pack`), then, one after the other, each in
its own process:

    sayso run   TEXTS --db run.duckdb -j 2
    sayso spark TEXTS --out … --master spark://127.0.0.1:PORT --env sayso-env.tar.gz
                on a standalone cluster of 1, then 2 workers (1 core, 1 GB each)
    sayso import … --db spark.duckdb            (the 2-worker output, compared with run.duckdb)

Each run is made twice, on all texts and on the first --small of them,
so that its fixed costs (the session, the executors fetching and unpacking the
environment, Python workers loading the model, the jobs' own overhead) can be
taken out: the marginal rate is (N - n) / (T_N - T_n). It prints seconds and
documents/s of each (with `--rounds N`, the median of N runs of each cluster in
alternating order), the speed-up of two workers over one (start-up excluded,
and marginal), their ratio to `sayso run -j 2`, and compares the 2-worker
store with `sayso run`'s record for record and row for row.

    python benchmarks/spark.py CORPUS [--limit N] [--small N] [--partitions N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SAYSO = [sys.executable, "-m", "sayso"]
IGNORED = ("seq", "processed_at")  # storage order and clock time


def copy_corpus(polnear: Path, target: Path, limit: int | None) -> int:
    files = [(split, p) for split in ("train", "dev")
             for p in sorted((polnear / "data" / split / "text").glob("*.txt"))][:limit]
    if not files:
        sys.exit(f"benchmarks/spark.py: no PolNeAR texts under {polnear}/data/{{train,dev}}/text")
    for split, path in files:
        (target / split).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / split / path.name)
    return len(files)


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"benchmarks/spark.py: {' '.join(command[2:])} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stderr


def table_rows(db: Path, table: str) -> dict[tuple[str, ...], dict[str, Any]]:
    import duckdb

    from sayso.corpus.store import COLUMNS

    keys = ("id",) if table == "documents" else ("doc_id", "id")
    columns = [c for c in COLUMNS[table] if c not in IGNORED]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    con.close()
    out = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        out[tuple(record[k] for k in keys)] = record
    return out


def compare(run_db: Path, spark_db: Path) -> list[str]:
    """Differences between the two stores: records, then rows per table."""
    from sayso.corpus.store import iter_articles, open_store

    lines = []
    records = []
    for db in (run_db, spark_db):
        con = open_store(db, read_only=True)
        records.append({a.id: a.to_dict() for a in iter_articles(con)})
        con.close()
    run_records, spark_records = records
    only_run, only_spark = sorted(set(run_records) - set(spark_records)), sorted(set(spark_records) - set(run_records))
    differing = [i for i in run_records if i in spark_records and run_records[i] != spark_records[i]]
    lines.append(f"records: {len(run_records)} from sayso run, {len(spark_records)} from sayso spark; "
                 f"{len(only_run)} only in run, {len(only_spark)} only in spark, {len(differing)} differ")
    for table in ("documents", "attributions", "sources"):
        a, b = table_rows(run_db, table), table_rows(spark_db, table)
        unequal = sum(1 for k in a if k in b and a[k] != b[k])
        lines.append(f"{table}: {len(a)} rows vs {len(b)}; {len(set(a) ^ set(b))} keys in one only, "
                     f"{unequal} rows differ (columns compared: all but {', '.join(IGNORED)})")
    return lines


def spark_run(texts: Path, out: Path, master: str, env_archive: Path, partitions: int | None,
              work: Path) -> tuple[float, float]:
    """One `sayso spark` run on the cluster: (wall seconds, of which start-up: the process and its
    imports, the session, and the executors ready, their environment unpacked and the model loaded)."""
    driver_tmp = work / "driver-tmp"
    driver_tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_")}
    env |= {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": str(driver_tmp), "TMPDIR": str(driver_tmp)}
    command = [*SAYSO, "spark", str(texts), "--out", str(out), "--master", master, "--env", str(env_archive),
               "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
               "--conf", "spark.executor.memory=768m"]
    if partitions:
        command += ["--partitions", str(partitions)]
    seconds, err = timed(command, env)
    match = re.search(r"([\d.]+) s including ([\d.]+) s Spark start-up", err)
    if not match:
        return seconds, float("nan")
    # Start-up is all but the run's own time (from the executors ready to the output committed
    # and the session stopped): the process's start and imports before it, Python's exit after.
    return seconds, seconds - (float(match.group(1)) - float(match.group(2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("polnear", type=Path, metavar="CORPUS", help="the PolNeAR folder (data/{train,dev}/text)")
    parser.add_argument("--limit", type=int, help="only the first N texts")
    parser.add_argument("--small", type=int, default=60, help="texts of the runs that measure fixed costs (60)")
    parser.add_argument("--partitions", type=int, help="sayso spark --partitions (default: its own, 4 per core)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of each cluster, in alternating order; figures are medians (1)")
    args = parser.parse_args()

    from sayso.corpus.pack import loopback_cluster, pack_environment

    with tempfile.TemporaryDirectory(prefix="sayso-spark-bench-") as tmp:
        work = Path(tmp)
        corpus, small = work / "corpus", work / "small"
        n = copy_corpus(args.polnear, corpus, args.limit)
        n_small = copy_corpus(args.polnear, small, min(args.small, n - 1))
        words = sum(len(p.read_text(encoding="utf-8").split()) for p in corpus.rglob("*.txt"))
        print(f"{n} PolNeAR train+dev texts, {words:,} words (fixed costs from the first {n_small}); "
              f"{os.cpu_count()} cores", flush=True)

        packed = pack_environment(work / "sayso-env.tar.gz")
        print(f"sayso spark pack: {packed.seconds:.1f} s, {os.path.getsize(packed.path) / 1e6:.0f} MB", flush=True)

        run_db = work / "run.duckdb"
        run_seconds, _ = timed([*SAYSO, "run", str(corpus), "--db", str(run_db), "-j", "2", "-q"])
        run_small, _ = timed([*SAYSO, "run", str(small), "--db", str(work / "run-small.duckdb"), "-j", "2", "-q"])
        print(f"sayso run -j 2: {run_seconds:.1f} s; {n_small} texts: {run_small:.1f} s", flush=True)

        # Rounds alternate the order (1, 2, then 2, 1, ...), so that a machine whose speed drifts
        # over minutes slows both alike; each figure is the median over rounds.
        rounds: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for round_ in range(args.rounds):
            for workers in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                out, small_out = work / f"out-{workers}", work / f"small-{workers}"
                for folder in (out, small_out):
                    shutil.rmtree(folder, ignore_errors=True)
                with loopback_cluster(workers, cores=1, memory="1g", folder=work / f"cluster-{workers}") as cluster:
                    wall, startup = spark_run(corpus, out, cluster.master, work / "sayso-env.tar.gz",
                                              args.partitions, work)
                    small_wall, _ = spark_run(small, small_out, cluster.master, work / "sayso-env.tar.gz",
                                              args.partitions, work)
                rounds[workers].append({"wall": wall, "startup": startup, "small_wall": small_wall})
                print(f"round {round_ + 1}, sayso spark, {workers} worker(s): {wall:.1f} s ({startup:.1f} s "
                      f"start-up); {n_small} texts: {small_wall:.1f} s", flush=True)
            one_round, two_round = rounds[1][-1], rounds[2][-1]
            speed_up = (one_round["wall"] - one_round["startup"]) / (two_round["wall"] - two_round["startup"])
            print(f"round {round_ + 1}: speed-up {speed_up:.2f} start-up excluded", flush=True)
        results = {w: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for w, runs in rounds.items()}

        spark_db = work / "spark.duckdb"
        import_seconds, _ = timed([*SAYSO, "import", str(work / "out-2"), "--db", str(spark_db)])

        def warm(r: dict[str, float]) -> float:
            return r["wall"] - r["startup"]

        def marginal(r: dict[str, float]) -> float:  # seconds for the n - n_small texts beyond the small run
            return r["wall"] - r["small_wall"]

        one, two = results[1], results[2]
        print()
        print(f"{'':50} {'seconds':>8} {'docs/s':>7}")
        run_marginal = run_seconds - run_small
        print(f"{'sayso run -j 2 (wall)':50} {run_seconds:8.1f} {n / run_seconds:7.2f}")
        print(f"{f'  marginal: {n - n_small} texts beyond the first {n_small}':50} {run_marginal:8.1f} "
              f"{(n - n_small) / run_marginal:7.2f}")
        for workers, r in results.items():
            label = f"sayso spark, {workers} worker{'s' if workers > 1 else ''} x 1 core"
            print(f"{label + ' (wall)':50} {r['wall']:8.1f} {n / r['wall']:7.2f}")
            print(f"{'  start-up excluded (process, session, executors ready)':50} {warm(r):8.1f} {n / warm(r):7.2f}")
            print(f"{f'  marginal: {n - n_small} texts beyond the first {n_small}':50} {marginal(r):8.1f} "
                  f"{(n - n_small) / marginal(r):7.2f}")
            print(f"{f'  fixed costs (from the {n_small}-text run)':50} "
                  f"{r['small_wall'] - n_small * marginal(r) / (n - n_small):8.1f}")
        print(f"{'sayso import (Parquet -> DuckDB store)':50} {import_seconds:8.1f}")
        print(f"speed-up, 2 workers over 1: {warm(one) / warm(two):.2f} start-up excluded, "
              f"{marginal(one) / marginal(two):.2f} marginal, {one['wall'] / two['wall']:.2f} wall (target >= 1.7)")
        print(f"ratio, 2 workers to sayso run -j 2 (speed): {run_seconds / warm(two):.2f} start-up excluded, "
              f"{run_marginal / marginal(two):.2f} marginal, {run_seconds / two['wall']:.2f} wall")
        for line in compare(run_db, spark_db):
            print(line)


if __name__ == "__main__":
    main()
