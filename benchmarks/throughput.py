"""Throughput of sayso end to end against raw spaCy parsing with the same model.

Both run in one process on the same texts, interleaved round by round (so a
busy machine slows both alike), after the model is loaded and warmed up.
Peak memory of each is measured in a fresh child process.

    python benchmarks/throughput.py [FOLDER_OF_TXT] [--rounds 3] [--limit N]

FOLDER defaults to the PolNeAR dev texts beside the repository.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "corpora" / "polnear" / "data" / "dev" / "text"


def load_texts(folder: Path, limit: int | None) -> list[str]:
    paths = sorted(folder.glob("*.txt"))[:limit]
    if not paths:
        sys.exit(f"benchmarks/throughput.py: no .txt files in {folder}")
    return [p.read_text(encoding="utf-8") for p in paths]


def run_raw(nlp, texts: list[str], batch_size: int) -> float:
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return time.perf_counter() - start


def run_sayso(texts: list[str], batch_size: int, model: str | None) -> float:
    import sayso

    start = time.perf_counter()
    for _ in sayso.analyze_many(texts, batch_size=batch_size, **({"model": model} if model else {})):
        pass
    return time.perf_counter() - start


def peak_memory(which: str, folder: Path, limit: int | None, batch_size: int, model: str | None) -> float:
    """Peak RSS (MB) of a child process that does only `which`."""
    # The child gets its settings as JSON on argv, so no code is built from strings.
    code = (
        "import json, sys, resource\n"
        "cfg = json.loads(sys.argv[1])\n"
        "sys.path[:0] = [cfg['src'], cfg['bench']]\n"
        "from pathlib import Path\n"
        "from throughput import load_texts, run_raw, run_sayso\n"
        "texts = load_texts(Path(cfg['folder']), cfg['limit'])\n"
        "if cfg['which'] == 'raw':\n"
        "    from sayso.parse import cached_base\n"
        "    run_raw(cached_base(), texts, cfg['batch_size'])\n"
        "else:\n"
        "    run_sayso(texts, cfg['batch_size'], cfg['model'])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    cfg = {"src": str(REPO / "src"), "bench": str(REPO / "benchmarks"), "folder": str(folder), "limit": limit,
           "which": which, "batch_size": batch_size, "model": model}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(cfg)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="sayso vs raw spaCy throughput")
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--model", help="attribution model passed to sayso (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "src"))
    from sayso.parse import cached_base

    folder = Path(args.folder)
    texts = load_texts(folder, args.limit)
    words = sum(len(t.split()) for t in texts)
    nlp = cached_base()  # the same pipeline object sayso uses
    run_raw(nlp, texts[:4], args.batch_size)  # warm up both
    run_sayso(texts[:4], args.batch_size, args.model)

    raw_times, sayso_times = [], []
    for _ in range(args.rounds):
        raw_times.append(run_raw(nlp, texts, args.batch_size))
        sayso_times.append(run_sayso(texts, args.batch_size, args.model))
    raw_s, sayso_s = statistics.median(raw_times), statistics.median(sayso_times)
    raw_mem = peak_memory("raw", folder, args.limit, args.batch_size, args.model)
    sayso_mem = peak_memory("sayso", folder, args.limit, args.batch_size, args.model)
    figures = {
        "texts": len(texts),
        "words": words,
        "rounds": args.rounds,
        "raw_spacy": {"articles_per_s": len(texts) / raw_s, "words_per_s": words / raw_s,
                      "peak_rss_mb": raw_mem},
        "sayso": {"articles_per_s": len(texts) / sayso_s, "words_per_s": words / sayso_s,
                  "peak_rss_mb": sayso_mem},
        "ratio": raw_s / sayso_s,
        "this_process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{len(texts)} texts, {words} words, median of {args.rounds} interleaved rounds")
    print(f"{'':12}{'articles/s':>12}{'words/s':>12}{'peak RSS MB':>14}")
    for name in ("raw_spacy", "sayso"):
        f = figures[name]
        print(f"{name:12}{f['articles_per_s']:12.2f}{f['words_per_s']:12.0f}{f['peak_rss_mb']:14.0f}")
    print(f"ratio sayso/raw spaCy throughput: {figures['ratio']:.3f}")


if __name__ == "__main__":
    main()
