"""`sayso spark --master local[2]` against `sayso run -j 2` on the same texts, in one run.

The PolNeAR train+dev texts (about 900 articles) are copied to a temporary
folder (train/…, dev/…; deleted afterwards) and analysed by both commands,
one after the other, each in its own process:

    sayso run   CORPUS --db run.duckdb -j 2
    sayso spark CORPUS --out parquet/ --master local[2]
    sayso import parquet/ --db spark.duckdb

It prints documents/s of each (Spark's with and without its JVM start-up,
which `sayso spark` reports), their ratio, and compares the two stores
record for record and row for row (every column but `seq` and `processed_at`).

    python benchmarks/spark.py [--limit N] [--partitions N] [--polnear DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
POLNEAR = REPO.parent / "shared" / "corpora" / "polnear"
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


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=POLNEAR)
    parser.add_argument("--limit", type=int, help="only the first N texts")
    parser.add_argument("--partitions", type=int, help="sayso spark --partitions (default: its own)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sayso-spark-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        n = copy_corpus(args.polnear, corpus, args.limit)
        words = sum(len(p.read_text(encoding="utf-8").split()) for p in corpus.rglob("*.txt"))
        print(f"{n} PolNeAR train+dev texts, {words:,} words; 2 cores")

        run_db = work / "run.duckdb"
        run_seconds, _ = timed([*SAYSO, "run", str(corpus), "--db", str(run_db), "-j", "2", "-q"])

        spark_command = [*SAYSO, "spark", str(corpus), "--out", str(work / "parquet"), "--master", "local[2]"]
        if args.partitions:
            spark_command += ["--partitions", str(args.partitions)]
        spark_seconds, spark_err = timed(spark_command)
        match = re.search(r"including ([\d.]+) s Spark start-up", spark_err)
        startup = float(match.group(1)) if match else float("nan")
        spark_db = work / "spark.duckdb"
        import_seconds, _ = timed([*SAYSO, "import", str(work / "parquet"), "--db", str(spark_db)])

        run_rate = n / run_seconds
        spark_rate = n / spark_seconds
        spark_rate_warm = n / (spark_seconds - startup)
        print(f"{'':44} {'seconds':>8} {'docs/s':>7}")
        print(f"{'sayso run -j 2':44} {run_seconds:8.1f} {run_rate:7.2f}")
        print(f"{'sayso spark --master local[2] (wall)':44} {spark_seconds:8.1f} {spark_rate:7.2f}")
        print(f"{'  of which Spark start-up (JVM, session)':44} {startup:8.1f}")
        print(f"{'sayso spark, start-up excluded':44} {spark_seconds - startup:8.1f} {spark_rate_warm:7.2f}")
        print(f"{'sayso import (Parquet -> DuckDB store)':44} {import_seconds:8.1f}")
        print(f"ratio spark/run, start-up excluded: {spark_rate_warm / run_rate:.2f}  "
              f"(wall: {spark_rate / run_rate:.2f}; target >= 0.85)")
        for line in compare(run_db, spark_db):
            print(line)


if __name__ == "__main__":
    main()
