"""Quotation trails and corpus entities at scale: 10k, 100k and 1M synthetic quotation rows.

    python benchmarks/trails.py [POLNEAR_DIR] [--sizes 10000,100000,1000000]

The rows are made from PolNeAR's train and dev quotations (the annotated
direct and mixed contents) with controlled edits (`sayso.corpus.scoring.
synthetic_quotes`: copies with truncation, re-spacing, a word substituted,
re-attribution), each quotation row with a source named after a PolNeAR
source, in one of its variants ("Donald Trump", "Mr. Trump", "Trump's",
"President Trump"). Each size runs in a fresh process, which clusters the
trails (with their rows: first appearance, variants and diffs, flags) and
links the sources to entities, and reports its time and peak resident memory.
The growth exponent is the least-squares slope of log(time) over log(rows).

POLNEAR_DIR defaults to ../shared/corpora/polnear beside the repository. The
machine is shared: times are noisy; compare sizes within one run.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "corpora" / "polnear"
VARIANTS = ("{full}", "Mr. {last}", "{last}", "{last}'s", "President {last}", "{first} {last}'s", "Sen. {full}")


def polnear_material(root: str) -> tuple[list[str], list[str]]:
    """PolNeAR's quotation texts (direct and mixed contents) and its named sources (two or more capitalised words)."""
    from sayso.corpus.trails import MIN_WORDS, quotation_text, words_of
    from sayso.training.polnear import read_split

    quotes: dict[tuple[str, ...], str] = {}
    names: set[str] = set()
    for split in ("train", "dev"):
        for article in read_split(root, split):
            for a in article.attributions:
                content = " … ".join(s.text for s in a.content)
                text = quotation_text(a.kind, content) if a.kind in ("direct", "mixed") else None
                if text and len(words_of(text)) >= MIN_WORDS + 4:
                    quotes.setdefault(tuple(words_of(text)), text)
                source = " ".join(s.text for s in a.source).split()
                if 2 <= len(source) <= 3 and all(w[:1].isupper() for w in source):
                    names.add(" ".join(source))
    return sorted(quotes.values()), sorted(names)


def run_size(root: str, n: int) -> dict[str, float]:
    """In this process: make n rows, trace the trails and link the entities."""
    from sayso.corpus.entities import Linker, Mention
    from sayso.corpus.scoring import synthetic_quotes
    from sayso.corpus.trails import Quote, cluster, trail_row

    texts, names = polnear_material(root)
    bases = [Quote(f"base-{i}", "a1", t, (i, 0)) for i, t in enumerate(texts)]
    quotes, _ = synthetic_quotes(bases, copies=math.ceil(n / len(bases)), entities=list(range(1, 50)))
    quotes = quotes[:n]
    rng = random.Random(3)
    mentions = []
    for k, q in enumerate(quotes):
        first, *_, last = rng.choice(names).split()
        name = rng.choice(VARIANTS).format(full=f"{first} {last}", first=first, last=last)
        mentions.append(Mention(q.doc_id, "s1", name, "person", q.order, q.published, n_attributions=1))
        if k % 7 == 0:  # some organisations too
            mentions.append(Mention(q.doc_id, "s2", rng.choice(("the FBI", "FBI", "Federal Bureau of Investigation",
                                                               "The Associated Press", "AP")), "organization",
                                    (q.order[0], 1)))
    started = time.perf_counter()
    assigned = cluster(quotes)
    by_trail: dict[int, list[Quote]] = {}
    for q in quotes:
        if q.key in assigned:
            by_trail.setdefault(assigned[q.key], []).append(q)
    rows = [trail_row(t, members, {}) for t, members in by_trail.items()]
    trails_seconds = time.perf_counter() - started
    del rows
    started = time.perf_counter()
    linker = Linker()
    linked = linker.link(mentions)
    entities_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": n, "trails": len(by_trail), "trail_seconds": trails_seconds, "mentions": len(mentions),
            "entities": len(linker.entities), "linked": len(linked), "entity_seconds": entities_seconds,
            "peak_mb": peak_mb}


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT), help="the PolNeAR folder")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="quotation rows per run, comma-separated")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: one size, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.corpus, args.one)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    print(f"{'rows':>9} {'trails':>7} {'trail s':>8} {'mentions':>9} {'entities':>8} {'entity s':>8} {'peak MB':>8}")
    for n in sizes:
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, args.corpus, "--one", str(n)], capture_output=True,
                             text=True, check=False)
        if out.returncode != 0:
            print(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"size {n} failed")
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["process_seconds"] = time.perf_counter() - started
        results.append(r)
        print(f"{r['rows']:>9} {r['trails']:>7} {r['trail_seconds']:>8.1f} {r['mentions']:>9} {r['entities']:>8} "
              f"{r['entity_seconds']:>8.1f} {r['peak_mb']:>8.0f}   (process {r['process_seconds']:.0f} s)")
    if len(results) > 1:
        xs = [r["rows"] for r in results]
        print(f"growth exponent (time ~ rows^k): trails k = {slope(xs, [r['trail_seconds'] for r in results]):.2f}, "
              f"entities k = {slope(xs, [r['entity_seconds'] for r in results]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
