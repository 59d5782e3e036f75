"""How sayso's cost grows with the length of one text, against raw spaCy's.

PolNeAR articles are joined (a blank line between them) into one long text,
and its first 50k, 100k, 200k, 400k and 800k characters are parsed by raw
spaCy (`nlp(text)`, the same pipeline object sayso parses with) and analysed
by sayso end to end (`sayso.analyze`, the shipped model), side by side, size
by size and round by round in one process, so a busy machine slows both
alike. The ratio is raw spaCy's time over sayso's at each size: it stays flat
when sayso's own steps are linear in the text's length, as spaCy's parse is.
Peak memory (RSS) at each size comes from one fresh child process for each,
which does the sizes in rising order.

    python benchmarks/long_text.py [CORPUS_DIR] [--rounds 3] [--sizes 50000,100000,...] [--no-memory]

CORPUS_DIR is a PolNeAR folder (its data/*/text/*.txt files are read) or any
folder of .txt files; it defaults to the PolNeAR clone beside the repository.
Sizes stay within spaCy's `max_length` and sayso's `MAX_CHARS` (1,000,000).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from throughput import peak_rss_kb

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "corpora" / "polnear"
SIZES = (50_000, 100_000, 200_000, 400_000, 800_000)
RUNS = ("raw_spacy", "sayso")
TARGET = 0.1  # the ratio at the largest size within this of the ratio at the smallest


def long_text(folder: Path, size: int) -> str:
    """The first `size` characters of the folder's texts joined by blank lines (sorted paths)."""
    paths = sorted(folder.glob("data/*/text/*.txt")) or sorted(folder.rglob("*.txt"))
    if not paths:
        sys.exit(f"benchmarks/long_text.py: no .txt files in {folder}")
    parts: list[str] = []
    length = 0
    for path in paths:
        if length >= size:
            break
        part = path.read_text(encoding="utf-8").strip()
        parts.append(part)
        length += len(part) + 2
    text = "\n\n".join(parts)[:size]
    if len(text) < size:
        sys.exit(f"benchmarks/long_text.py: the texts of {folder} hold only {len(text)} characters")
    return text


def run(which: str, nlp, text: str) -> float:
    import sayso

    start = time.perf_counter()
    if which == "raw_spacy":
        nlp(text)
    else:
        sayso.analyze(text)
    return time.perf_counter() - start


def peak_memory(which: str, folder: Path, sizes: list[int]) -> list[float]:
    """Peak RSS (MB) of a child process that does only `which`, after each size (rising)."""
    # the child gets its settings as JSON on argv, so no code is built from strings
    code = (
        "import json, sys, resource\n"
        "cfg = json.loads(sys.argv[1])\n"
        "sys.path[:0] = [cfg['src'], cfg['bench']]\n"
        "from pathlib import Path\n"
        "from long_text import long_text, run\n"
        "from throughput import peak_rss_kb\n"
        "from sayso.nlp.parse import cached_base\n"
        "nlp = cached_base() if cfg['which'] == 'raw_spacy' else None  # sayso loads its own\n"
        "for size in cfg['sizes']:\n"
        "    run(cfg['which'], nlp, long_text(Path(cfg['folder']), size))\n"
        "    print(peak_rss_kb(), flush=True)\n"
    )
    cfg = {"src": str(REPO / "src"), "bench": str(REPO / "benchmarks"), "folder": str(folder),
           "which": which, "sizes": sorted(sizes)}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(cfg)], capture_output=True, text=True, check=True)
    return [int(line) / 1024 for line in out.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description="sayso against raw spaCy on one text of growing length")
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="text lengths in characters, comma-separated (default %(default)s)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "src"))
    from sayso.nlp.parse import cached_base
    from sayso.settings import MAX_CHARS

    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        sys.exit(f"benchmarks/long_text.py: --sizes {args.sizes!r}: give whole numbers, comma-separated")
    if not sizes or sizes[0] < 1000 or sizes[-1] > MAX_CHARS:
        sys.exit(f"benchmarks/long_text.py: sizes must be between 1000 and {MAX_CHARS} characters")
    folder = Path(args.corpus)
    texts = {size: long_text(folder, size) for size in sizes}
    nlp = cached_base()  # the pipeline sayso parses with (its own copy of it)
    for which in RUNS:  # warm up: load the models
        run(which, nlp, texts[sizes[0]][:5000])

    times: dict[tuple[str, int], list[float]] = {(w, s): [] for w in RUNS for s in sizes}
    for _ in range(args.rounds):
        for size in sizes:
            for which in RUNS:
                times[which, size].append(run(which, nlp, texts[size]))
    memory = {} if args.no_memory else {which: peak_memory(which, folder, sizes) for which in RUNS}
    rows = []
    for n, size in enumerate(sizes):
        raw_s, sayso_s = (statistics.median(times[w, size]) for w in RUNS)
        rows.append({"chars": size, "words": len(texts[size].split()), "raw_spacy_s": raw_s, "sayso_s": sayso_s,
                     "ratio": raw_s / sayso_s,
                     **{f"{w}_peak_rss_mb": memory[w][n] for w in memory}})
    drift = rows[-1]["ratio"] - rows[0]["ratio"]
    if args.json:
        print(json.dumps({"rounds": args.rounds, "sizes": rows, "ratio_drift": drift}, indent=2))
        return
    print(f"median of {args.rounds} interleaved rounds; ratio = raw spaCy time / sayso time")
    head = f"{'chars':>9}{'words':>9}{'raw spaCy s':>13}{'sayso s':>10}{'ratio':>8}"
    if memory:
        head += f"{'raw RSS MB':>12}{'sayso RSS MB':>14}"
    print(head)
    for r in rows:
        line = f"{r['chars']:>9}{r['words']:>9}{r['raw_spacy_s']:>13.2f}{r['sayso_s']:>10.2f}{r['ratio']:>8.3f}"
        if memory:
            line += f"{r['raw_spacy_peak_rss_mb']:>12.0f}{r['sayso_peak_rss_mb']:>14.0f}"
        print(line)
    verdict = "within" if abs(drift) <= TARGET else "NOT within"
    print(f"ratio at {sizes[-1]} minus ratio at {sizes[0]}: {drift:+.3f} ({verdict} {TARGET})")
    print(f"this process's peak RSS: {peak_rss_kb() / 1024:.0f} MB")


if __name__ == "__main__":
    main()
