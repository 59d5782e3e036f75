"""Throughput of sayso end to end against raw spaCy parsing with the same model.

Raw spaCy `nlp.pipe`, sayso with the rule finder (`model="rules"`) and sayso
with the learned attribution model (the shipped one, or --model DIR) run in
one process on the same texts, after everything is loaded and warmed up,
interleaved batch by batch: each batch of texts goes through all three in
turn, each first in turn, so that the machine's speed, which drifts by several
per cent within a minute on a shared machine, is the same for all three. A
round is one pass over the texts; the ratio printed is the median of the
rounds' ratios, with their range. sayso's own steps (everything after the
parse) are also timed alone, component by component, on the parsed texts: a
figure the machine's drift hardly moves. Peak memory of each run is measured
in a fresh child process.

    python benchmarks/throughput.py [FOLDER_OF_TXT] [--rounds 3] [--limit N] [--model DIR] [--profile N]

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
RUNS = ("raw_spacy", "sayso_rules", "sayso_model")


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
    """sayso end to end with an attribution model ("rules", a directory, or None: the shipped one)."""
    import sayso

    start = time.perf_counter()
    for _ in sayso.analyze_many(texts, batch_size=batch_size, model=model):
        pass
    return time.perf_counter() - start


def run(which: str, nlp, texts: list[str], batch_size: int, model: str | None) -> float:
    if which == "raw_spacy":
        return run_raw(nlp, texts, batch_size)
    return run_sayso(texts, batch_size, "rules" if which == "sayso_rules" else model)


def interleaved(nlp, texts: list[str], batch_size: int, model: str | None, rounds: int) -> dict[str, list[float]]:
    """Each run's seconds per round, the runs taking each batch in turn (each first in turn)."""
    batches = [texts[k:k + batch_size] for k in range(0, len(texts), batch_size)]
    times: dict[str, list[float]] = {which: [0.0] * rounds for which in RUNS}
    turn = 0
    for r in range(rounds):
        for batch in batches:
            for which in RUNS[turn % 3:] + RUNS[:turn % 3]:
                times[which][r] += run(which, nlp, batch, batch_size, model)
            turn += 1
    return times


def own_steps(texts: list[str], batch_size: int, model: str | None, rounds: int) -> dict[str, float]:
    """Seconds of each of sayso's steps after the parse (its components, then the record) on
    the texts parsed once: the fastest of `rounds` passes, on fresh copies of the parsed docs."""
    from spacy.tokens import Doc

    from sayso.nlp.components import COMPONENTS
    from sayso.pipeline import Analyzer, _prepare, as_sent
    from sayso.record import Article, keep_text
    from sayso.settings import Settings

    analyzer = Analyzer(Settings(model=model, batch_size=batch_size))
    nlp = analyzer.nlp
    ours = [name for name in nlp.pipe_names if name in COMPONENTS]  # sayso_paragraphs is part of the parse
    prepared = [_prepare(t) for t in texts]
    with nlp.select_pipes(disable=ours):
        parsed = [doc.to_bytes() for doc in nlp.pipe((analyzer._tokenized(p[0]) for p in prepared),
                                                      batch_size=batch_size)]
    best: dict[str, float] = {}
    for _ in range(rounds):
        docs = [keep_text(Doc(nlp.vocab).from_bytes(b), p[0]) for b, p in zip(parsed, prepared, strict=True)]
        for name in ours:
            component = nlp.get_pipe(name)
            start = time.perf_counter()
            docs = list(component.pipe(docs, batch_size=batch_size)) if hasattr(component, "pipe") \
                else [component(doc) for doc in docs]
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
        start = time.perf_counter()
        for doc, (text, id_, meta) in zip(docs, prepared, strict=True):
            as_sent(Article.from_doc(doc, id_, meta), text)
        best["record"] = min(best.get("record", float("inf")), time.perf_counter() - start)
    return best


def peak_rss_kb() -> int:
    """This process's peak resident memory in kB. From /proc (VmHWM) where there is one:
    Linux keeps `ru_maxrss` across exec, so a child started from a big process would
    report its parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory(which: str, folder: Path, limit: int | None, batch_size: int, model: str | None) -> float:
    """Peak RSS (MB) of a child process that does only `which`."""
    # The child gets its settings as JSON on argv, so no code is built from strings.
    code = (
        "import json, sys, resource\n"
        "cfg = json.loads(sys.argv[1])\n"
        "sys.path[:0] = [cfg['src'], cfg['bench']]\n"
        "from pathlib import Path\n"
        "from throughput import load_texts, peak_rss_kb, run\n"
        "from sayso.nlp.parse import cached_base\n"
        "texts = load_texts(Path(cfg['folder']), cfg['limit'])\n"
        "nlp = cached_base() if cfg['which'] == 'raw_spacy' else None  # sayso loads its own\n"
        "run(cfg['which'], nlp, texts, cfg['batch_size'], cfg['model'])\n"
        "print(peak_rss_kb())\n"
    )
    cfg = {"src": str(REPO / "src"), "bench": str(REPO / "benchmarks"), "folder": str(folder), "limit": limit,
           "which": which, "batch_size": batch_size, "model": model}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(cfg)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="sayso (rules and learned model) vs raw spaCy throughput")
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--model", help="attribution model directory (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="afterwards, profile one learned-model run and print its N costliest functions")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "src"))
    from sayso.nlp.parse import cached_base

    folder = Path(args.folder)
    texts = load_texts(folder, args.limit)
    words = sum(len(t.split()) for t in texts)
    nlp = cached_base()  # the pipeline sayso parses with (its own copy of it)
    for which in RUNS:  # warm up (loads the models)
        run(which, nlp, texts[:4], args.batch_size, args.model)

    times = interleaved(nlp, texts, args.batch_size, args.model, args.rounds)
    figures: dict = {"texts": len(texts), "words": words, "rounds": args.rounds}
    raw = times["raw_spacy"]
    for which in RUNS:
        seconds = statistics.median(times[which])
        ratios = [r / s for r, s in zip(raw, times[which], strict=True)]
        figures[which] = {"articles_per_s": len(texts) / seconds, "words_per_s": words / seconds,
                          "peak_rss_mb": peak_memory(which, folder, args.limit, args.batch_size, args.model),
                          "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}
    steps = own_steps(texts, args.batch_size, args.model, args.rounds)
    own = sum(steps.values())
    figures["own_steps_s"] = {**steps, "total": own, "parse_s": statistics.median(raw),
                              "ratio_if_parse_as_raw": statistics.median(raw) / (statistics.median(raw) + own)}
    figures["this_process_peak_rss_mb"] = peak_rss_kb() / 1024
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{len(texts)} texts, {words} words, median of {args.rounds} rounds interleaved batch by batch")
    print(f"{'':14}{'articles/s':>12}{'words/s':>12}{'peak RSS MB':>14}{'ratio':>8}{'range':>14}")
    for which in RUNS:
        f = figures[which]
        print(f"{which:14}{f['articles_per_s']:12.2f}{f['words_per_s']:12.0f}{f['peak_rss_mb']:14.0f}"
              f"{f['ratio']:8.3f}{f['ratio_min']:8.3f}-{f['ratio_max']:.3f}")
    o = figures["own_steps_s"]
    print(f"sayso's own steps alone (learned model, fastest of {args.rounds}): "
          + ", ".join(f"{k.removeprefix('sayso_')} {v:.2f} s" for k, v in steps.items())
          + f"; total {own:.2f} s against {o['parse_s']:.2f} s of raw parsing: ratio {o['ratio_if_parse_as_raw']:.3f}"
          " if sayso's parse ran as fast as raw spaCy's")
    print(f"ratio to raw spaCy throughput: rules {figures['sayso_rules']['ratio']:.3f} (floor 0.8), "
          f"learned model {figures['sayso_model']['ratio']:.3f} (floor 0.65)")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(run, "sayso_model", nlp, texts, args.batch_size, args.model)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
