"""Corpus runs: `sayso run` at -j 1 and -j 2 against raw spaCy in two
processes, on the same texts in the same session, and the memory of a run as
its input grows.

    python benchmarks/corpus.py [POLNEAR] [--limit N] [--flat-base N] [--no-flat]

The texts are PolNeAR train+dev (about 900 articles) beside the repository,
written once to a JSON-lines file in a temporary folder. Each measurement is a
fresh process timed from start to end (Python start, model loads, reading,
analysis, writing the store), so the figures are what a user waits for:

- raw spaCy: a multiprocessing pool of 2 processes, each loading the same base
  pipeline once, parsing every text with `nlp.pipe` (nothing else);
- `sayso run FEED --db NEW.duckdb -j 1` and `-j 2`;
- memory flatness: `sayso run -j 2` on the first --flat-base articles and on
  those repeated 10 times (distinct ids, so every copy is analysed).

Peak memory is each process's high-water mark (VmHWM in /proc), sampled every
0.1 s over the process tree: "worker" is the largest analysing process (the
main process itself at -j 1), "main" the reading and writing process at -j 2.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
POLNEAR = REPO.parent / "shared" / "corpora" / "polnear"  # the default; a clone of PolNeAR can be given

_nlp: Any = None


def _load_spacy() -> None:
    global _nlp
    from sayso.nlp.parse import load_base

    _nlp = load_base()


def _parse(texts: list[str]) -> int:
    return sum(len(doc) for doc in _nlp.pipe(texts, batch_size=16))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw_spacy(texts: list[str], processes: int = 2, batch: int = 16) -> dict[str, float]:
    """Seconds (and CPU seconds) for `processes` spaCy processes, one model load each, to parse the texts."""
    started, cpu = time.perf_counter(), _children_cpu()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes, initializer=_load_spacy) as pool:
        batches = [texts[i:i + batch] for i in range(0, len(texts), batch)]
        for _ in pool.imap_unordered(_parse, batches):
            pass
        pool.close()
        pool.join()  # so the workers' CPU time is counted
    return {"seconds": time.perf_counter() - started, "cpu": _children_cpu() - cpu}


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _memory_kb(pid: int) -> tuple[int, int, str] | None:
    """(peak, current) resident memory of a process, and its command line."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = {line.split(":")[0]: line.split()[1] for line in status.splitlines() if line.startswith("Vm")}
    if "VmHWM" not in fields or "VmRSS" not in fields:
        return None
    return int(fields["VmHWM"]), int(fields["VmRSS"]), cmdline


def sayso_run(feed: Path, db: Path, jobs: int) -> dict[str, Any]:
    """Run `sayso run` in a fresh process; seconds and peak memory (MB) of its processes."""
    command = [sys.executable, "-m", "sayso", "run", str(feed), "--db", str(db), "-j", str(jobs), "--quiet"]
    started, cpu = time.perf_counter(), _children_cpu()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, tuple[int, str]] = {}
    samples: list[tuple[float, int, int]] = []  # (time, pid, current resident KB)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in _tree(process.pid):
                seen = _memory_kb(pid)
                if seen and seen[0] >= peaks.get(pid, (0, ""))[0]:
                    peaks[pid] = (seen[0], seen[2])
                if seen:
                    samples.append((time.perf_counter() - started, pid, seen[1]))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"benchmarks/corpus.py: sayso run failed ({process.returncode}): {err.strip()}")
    main_kb = peaks.get(process.pid, (0, ""))[0]
    workers = [kb for pid, (kb, cmd) in peaks.items() if pid != process.pid and "resource_tracker" not in cmd]
    worker_pids = {pid for pid, (_, cmd) in peaks.items() if pid != process.pid and "resource_tracker" not in cmd}
    worker_pids = worker_pids or {process.pid}

    def largest_rss(lo: float, hi: float) -> float:
        """The largest resident memory of a worker between these fractions of the run, in MB."""
        return max((kb for t, pid, kb in samples if pid in worker_pids and lo * seconds <= t < hi * seconds),
                   default=0) / 1024

    return {"seconds": seconds, "cpu": _children_cpu() - cpu, "summary": out.strip().splitlines()[0],
            "main_mb": main_kb / 1024, "worker_mb": (max(workers) if workers else main_kb) / 1024,
            "workers": len(workers), "rss_second_quarter_mb": largest_rss(0.25, 0.5),
            "rss_last_quarter_mb": largest_rss(0.75, 1.0)}


def write_feed(path: Path, texts: list[tuple[str, str]], copies: int = 1) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for copy in range(copies):
            for id_, text in texts:
                fh.write(json.dumps({"id": f"{id_}#{copy}" if copies > 1 else id_, "text": text}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=POLNEAR, help="the PolNeAR folder")
    parser.add_argument("--limit", type=int, help="only the first N articles (default: all of train+dev)")
    parser.add_argument("--flat-base", type=int, default=100, help="articles in the memory-flatness base input")
    parser.add_argument("--no-flat", action="store_true", help="skip the memory-flatness runs")
    args = parser.parse_args()
    texts = [args.corpus / "data" / split / "text" for split in ("train", "dev")]
    paths = sorted(p for folder in texts for p in folder.glob("*.txt"))[:args.limit]
    if not paths:
        sys.exit(f"benchmarks/corpus.py: no PolNeAR texts under {args.corpus}/data")
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in paths]
    words = sum(len(t.split()) for _, t in texts)
    print(f"{len(texts)} articles, {words:,} words (PolNeAR train+dev); 2 cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feed = folder / "feed.jsonl"
        write_feed(feed, texts)
        raw = raw_spacy([t for _, t in texts])
        one = sayso_run(feed, folder / "j1.duckdb", 1)
        two = sayso_run(feed, folder / "j2.duckdb", 2)
        rows = [("raw spaCy, 2 processes", raw, None), ("sayso run -j 1", one, one), ("sayso run -j 2", two, two)]
        print(f"{'':24} {'docs/s':>7} {'words/s':>8} {'seconds':>8} {'CPU s':>7} {'peak MB/worker':>15} "
              f"{'peak MB main':>13}")
        for name, timing, run in rows:
            seconds = timing["seconds"]
            worker = f"{run['worker_mb']:.0f}" if run else "–"
            main_mb = f"{run['main_mb']:.0f}" if run and run["workers"] else "–"
            print(f"{name:24} {len(texts) / seconds:7.2f} {words / seconds:8,.0f} {seconds:8.1f} {timing['cpu']:7.1f} "
                  f"{worker:>15} {main_mb:>13}")
        print(f"speed-up -j 2 over -j 1: {one['seconds'] / two['seconds']:.2f} (target ≥ 1.7); "
              f"CPU seconds -j 2 / -j 1: {two['cpu'] / one['cpu']:.2f} (1.0 = the parallel run does no extra work)")
        print(f"sayso run -j 2 / raw spaCy 2 processes: {raw['seconds'] / two['seconds']:.2f} (target ≥ 0.6); "
              f"by CPU seconds (unaffected by other jobs): {raw['cpu'] / two['cpu']:.2f}")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average after the runs (1, 5, 15 min; other jobs share the 2 cores): {load}")
        print(f"run summaries: -j 1: {one['summary']} | -j 2: {two['summary']}")
        per_day = len(texts) / two["seconds"] * 86400
        print(f"at -j 2: {per_day:,.0f} articles a day; a year of an outlet publishing 100 articles a day "
              f"(36,500) takes {36500 / (len(texts) / two['seconds']) / 3600:.1f} hours")
        if args.no_flat:
            return
        base = texts[:args.flat_base]
        small, large = folder / "small.jsonl", folder / "large.jsonl"
        write_feed(small, base)
        write_feed(large, base, copies=10)
        one_x = sayso_run(small, folder / "small.duckdb", 2)
        ten_x = sayso_run(large, folder / "large.duckdb", 2)
        print(f"memory flatness, sayso run -j 2: {len(base)} articles → worker {one_x['worker_mb']:.0f} MB, "
              f"main {one_x['main_mb']:.0f} MB; {10 * len(base)} articles (10×) → worker "
              f"{ten_x['worker_mb']:.0f} MB, main {ten_x['main_mb']:.0f} MB; ratio 10×/1× worker "
              f"{ten_x['worker_mb'] / one_x['worker_mb']:.2f}, main {ten_x['main_mb'] / one_x['main_mb']:.2f}")
        print(f"  within the 10× run, largest worker resident memory in its second quarter "
              f"{ten_x['rss_second_quarter_mb']:.0f} MB, in its last quarter {ten_x['rss_last_quarter_mb']:.0f} MB")
        print(f"  ({one_x['summary']} | {ten_x['summary']})")


if __name__ == "__main__":
    main()
