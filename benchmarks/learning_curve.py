"""How the learned model's dev figures grow with the amount of PolNeAR train it sees.

Trains the model as `sayso train polnear` does, with the shipped model's
regularisation, on every 8th, 4th, 2nd and every train article, and prints
for each its dev exact F1 (cue, source, content, all) and its cue F1 on
articles it was trained on (in-sample: how far the model fits what it saw;
the same articles for every row, every k-th for the largest k, which every
training subset holds).
Then fits dev cue F1 against log2(articles) and says how many annotated
articles that line would need to reach a cue F1 of --target.

    python benchmarks/learning_curve.py [POLNEAR_DIR] [--strides 8,4,2,1] [--cache DIR]

POLNEAR_DIR defaults to ../shared/corpora/polnear beside the repository.
About 18 minutes on the 2-core machine (parsing once, then four trainings;
12 with the parse kept from an earlier run by --cache).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from sayso.nlp.attributions.taggers import AttributionModel
from sayso.nlp.parse import load_base
from sayso.training.train import Example, TrainSettings, featurize, parse_split, score_on, train_polnear

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "corpora" / "polnear"
SPANS = ("cue", "source", "content", "all")


def shipped_grid() -> tuple[dict[str, float], ...]:
    meta = AttributionModel.load().meta
    cue, role = meta["cue_params"], meta["role_params"]
    return (cue,) if cue == role else (cue, role)


def in_sample_articles(root: Path, every: int, cache: str, articles: int) -> list[Example]:
    """The first N of every k-th train article, parsed (into the cache the trainings read) and
    featurised once: every model whose stride divides k was trained on them."""
    sample = parse_split(load_base(), root, "train", None, cache, _StageLog())[::every][:articles]
    featurize(sample, True)
    return sample


class _StageLog:
    def stage(self, name: str, total: int) -> None:
        print(f"  {name}", file=sys.stderr, flush=True)

    def advance(self, n: int = 1) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("polnear", nargs="?", default=str(DEFAULT))
    ap.add_argument("--strides", default="8,4,2,1", help="train on every k-th article, for each k")
    ap.add_argument("--cache", help="a folder for the parsed corpus (default: a temporary one)")
    ap.add_argument("--in-sample", type=int, default=100, metavar="N",
                    help="score the cue tagger in-sample on N trained-on articles")
    ap.add_argument("--target", type=float, default=0.75, help="the dev cue F1 to extrapolate to")
    args = ap.parse_args()
    root = Path(args.polnear)
    if not (root / "data" / "train").is_dir():
        sys.exit(f"benchmarks/learning_curve.py: no PolNeAR train split under {root}")
    strides = [int(k) for k in args.strides.split(",")]
    widest = max(strides)
    if min(strides) < 1 or any(widest % k for k in strides):
        sys.exit("benchmarks/learning_curve.py: --strides must be positive and divide the largest one")
    grid = shipped_grid()
    with tempfile.TemporaryDirectory(prefix="sayso-curve-") as tmp:
        cache = args.cache or str(Path(tmp) / "parsed")
        sample = in_sample_articles(root, widest, cache, args.in_sample)
        rows = []
        for every in strides:
            print(f"training on every {every}. train article", file=sys.stderr, flush=True)
            started = time.perf_counter()
            out = Path(tmp) / f"every{every}"
            settings = TrainSettings(seed=0, every=every, grid=grid, cache=cache)
            result = train_polnear(root, out, settings, _StageLog())
            dev = result.meta["dev"]
            rows.append({
                "every": every,
                "articles": result.meta["train_articles"],
                **{s: dev[s]["exact"]["f1"] for s in SPANS},
                "in_sample_cue": score_on(AttributionModel.load(out), sample)["cue"]["exact"]["f1"],
                "seconds": round(time.perf_counter() - started),
            })
    print(f"PolNeAR dev exact F1 by train size (regularisation of the shipped model: {grid})")
    print("| train articles | cue | source | content | all | cue in-sample | seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['articles']} | {r['cue']:.3f} | {r['source']:.3f} | {r['content']:.3f} | {r['all']:.3f} "
              f"| {r['in_sample_cue']:.3f} | {r['seconds']} |")
    if len(rows) >= 2:
        # least squares of dev cue F1 on log2(articles)
        xs = [math.log2(r["articles"]) for r in rows]
        ys = [r["cue"] for r in rows]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
        print(f"dev cue F1 gains {slope:+.4f} per doubling of train")
        if slope > 0:
            need = 2 ** (mx + (args.target - my) / slope)
            print(f"the line reaches cue F1 {args.target} at about {need:,.0f} train articles "
                  f"({need / max(r['articles'] for r in rows):.1f}x PolNeAR train)")


if __name__ == "__main__":
    main()
