"""Training the attribution model (sayso.nlp.attributions.taggers) on PolNeAR.

`train_polnear` parses PolNeAR train and dev with the base spaCy pipeline,
turns the gold attributions into the two taggers' sequences, trains the cue
and role CRFs on train for each setting of a small grid, scores each on dev
with the evaluator's (Citron's) definitions, and writes the best as a model
directory. CRFsuite's L-BFGS is deterministic, and the only randomness (the
order of the training sequences) comes from the seed, so a fixed seed gives
the same model.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pycrfsuite
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from sayso.nlp.attributions.taggers import (
    CUE_FILE,
    FORMAT,
    META_FILE,
    ROLE_FILE,
    AttributionModel,
    Calibration,
    DocFeatures,
    doc_features,
    merge_rules,
)
from sayso.nlp.clean import find_boilerplate
from sayso.nlp.parse import base_model_name, load_base
from sayso.record import Article, Attribution
from sayso.training.evaluate import cue_hits, evaluate
from sayso.training.polnear import read_split

# The grid searched on dev: CRF regularisation (L1 c1, L2 c2) per tagger.
DEFAULT_GRID: tuple[dict[str, float], ...] = ({"c1": 1.0, "c2": 0.01}, {"c1": 3.0, "c2": 0.01})
TARGETS = ("cue", "source", "content", "all")


class Progress(Protocol):
    """Where training reports what it is doing (the CLI draws a progress bar)."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class TrainSettings:
    seed: int = 0
    iterations: int = 100  # L-BFGS iterations per tagger (250 measured no better on dev)
    grid: Sequence[dict[str, float]] = DEFAULT_GRID
    limit: int | None = None  # train on the first N articles only (tests)
    every: int = 1  # train on every k-th train article only (learning curves: benchmarks/learning_curve.py)
    dev_limit: int | None = None
    use_rules: bool = True
    cache: str | None = None  # a folder for the parsed corpus (speeds up experiments)
    parser: str | None = None  # the spaCy pipeline that parses; None: the installed one
    # how the rules' attributions join the model's (sayso.model.merge_rules). On dev, "evidence" scores
    # cue F1 0.008 above "any" and 0.004 below "none" (only those marked by layout); it keeps the seed
    # example's attributions, which "none" loses
    merge_rules: str = "evidence"
    content_floor: float = 0.1  # see AttributionModel.content_floor (1: drop cues without content)


@dataclass
class Example:
    """One parsed article with its gold attributions and features."""

    doc: Doc
    gold: Article
    features: DocFeatures | None = None


@dataclass
class TrainResult:
    path: Path
    meta: dict[str, Any]
    seconds: float
    candidates: list[dict[str, Any]] = field(default_factory=list)


def parse_split(nlp: Language, root: str | Path, split: str, limit: int | None, cache: str | None,
                progress: Progress) -> list[Example]:
    """Gold articles of a split with their parses (cached as a DocBin if asked)."""
    gold = list(read_split(root, split, limit=limit))
    cached = Path(cache) / f"{split}-{limit or 'all'}.spacy" if cache else None
    progress.stage(f"parsing {split}", len(gold))
    docs: list[Doc]
    if cached is not None and cached.exists():
        docs = list(DocBin().from_disk(cached).get_docs(nlp.vocab))
        progress.advance(len(gold))
    else:
        docs = []
        for doc in nlp.pipe((g.text for g in gold), batch_size=16):
            docs.append(doc)
            progress.advance()
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            db = DocBin(store_user_data=False)
            for doc in docs:
                db.add(doc)
            db.to_disk(cached)
    if len(docs) != len(gold) or any(d.text != g.text for d, g in zip(docs, gold, strict=False)):
        raise RuntimeError(f"the parse cache for {split} does not match the corpus")
    return [Example(d, g) for d, g in zip(docs, gold, strict=True)]


def featurize(examples: Iterable[Example], use_rules: bool) -> None:
    for ex in examples:
        ex.features = doc_features(ex.doc, find_boilerplate(ex.gold.text), use_rules)


def _token_sets(f: DocFeatures, a: Attribution) -> tuple[list[int], set[int], set[int]]:
    return sorted(f.words_of(a.cue)), f.words_of(a.source), f.words_of(a.content)


def cue_sequences(f: DocFeatures, gold: Sequence[Attribution]) -> list[tuple[list[list[str]], list[str]]]:
    """The cue tagger's training sequences: one per sentence, B/I/O."""
    label: dict[int, str] = {}
    for a in gold:
        cue, _, _ = _token_sets(f, a)
        for n, i in enumerate(cue):
            label[i] = "B" if n == 0 else "I"
    sentences = f.cue_sentences()
    features = iter(f.cue_sequence([i for toks in sentences for i in toks]))  # made for the whole article at once
    return [([next(features) for _ in toks], [label.get(i, "O") for i in toks]) for toks in sentences]


def role_sequences(f: DocFeatures, gold: Sequence[Attribution]) -> list[tuple[list[list[str]], list[str]]]:
    """The role tagger's training sequences: one per gold cue, over its window."""
    out = []
    for a in gold:
        cue, source, content = _token_sets(f, a)
        if not cue:
            continue
        window = f.window(cue)
        tags: list[str] = []
        prev = "O"
        for i in window:
            role = "S" if i in source else "C" if i in content else ""
            if not role:
                tags.append("O")
                prev = "O"
                continue
            tags.append(("I-" if prev == role else "B-") + role)
            prev = role
        out.append((f.role_sequence(cue, window), tags))
    return out


class _Trainer(pycrfsuite.Trainer):
    """A CRFsuite trainer that reports each L-BFGS iteration."""

    def __init__(self, on_iteration: Callable[[], None]):
        super().__init__(verbose=False)
        self._tick = on_iteration

    def on_iteration(self, log: Any, info: Any) -> None:
        self._tick()


def train_crf(sequences: Sequence[tuple[list[list[str]], list[str]]], path: Path, params: dict[str, Any],
              iterations: int, seed: int, progress: Progress, name: str) -> None:
    order = list(range(len(sequences)))
    random.Random(seed).shuffle(order)
    done = 0

    def tick() -> None:
        nonlocal done
        if done < iterations:
            done += 1
            progress.advance()

    trainer = _Trainer(tick)
    for n in order:
        xseq, yseq = sequences[n]
        trainer.append(xseq, yseq)
    trainer.set_params({"c1": params["c1"], "c2": params["c2"], "max_iterations": iterations,
                        "feature.possible_transitions": True})
    progress.stage(name, iterations)
    trainer.train(str(path))
    progress.advance(iterations - done)


def _assemble(cue: Path, role: Path, base: str, settings: TrainSettings) -> AttributionModel:
    """A model from two tagger files, without calibration (raw scores)."""
    folder = cue.parent / f"{cue.name}-{role.name}"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(cue, folder / CUE_FILE)
    shutil.copyfile(role, folder / ROLE_FILE)
    meta = {"format": FORMAT, "base_model": base, "features": {"rules": settings.use_rules},
            "merge_rules": settings.merge_rules, "content_floor": settings.content_floor}
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    return AttributionModel.load(folder)


def isotonic(points: Sequence[tuple[float, bool]]) -> list[list[float]]:
    """Pool-adjacent-violators: the monotone step function of raw score to the
    rate of hits, as [[upper raw bound, value], ...]. Each step's rate is
    smoothed towards 1/2 by one pseudo-count each way (no step says 0 or 1), and
    pooling compares smoothed rates, so the steps rise strictly."""

    def rate(block: list[float]) -> float:
        return (block[0] + 1) / (block[1] + 2)

    blocks: list[list[float]] = []  # [hits, count, highest raw score]
    for x, y in sorted(points):
        if blocks and blocks[-1][2] == x:  # equal scores cannot be told apart: one step
            blocks[-1][0] += y
            blocks[-1][1] += 1
        else:
            blocks.append([float(y), 1.0, x])
        while len(blocks) > 1 and rate(blocks[-2]) >= rate(blocks[-1]):
            hits, count, top = blocks.pop()
            blocks[-1][0] += hits
            blocks[-1][1] += count
            blocks[-1][2] = top
    return [[round(top, 6), round(rate([hits, count]), 4)] for hits, count, top in blocks]


@functools.cache
def _tokenizer() -> Any:
    """The evaluator's tokenizer, made once."""
    return spacy.blank("en").tokenizer


def _scored_hits(model: AttributionModel, examples: Sequence[Example]) -> list[tuple[str, float, bool]]:
    """(origin, raw score, cue is a gold cue) of every attribution the model finds."""
    tokenizer = _tokenizer()
    out: list[tuple[str, float, bool]] = []
    for ex in examples:
        assert ex.features is not None
        own = model.predict(ex.features)
        merged = merge_rules(own, ex.features, model.merge)
        hits = cue_hits(merged, ex.gold.attributions, ex.gold.text, tokenizer)
        out += [("model" if n < len(own) else "rules", a.score, hit)
                for n, (a, hit) in enumerate(zip(merged, hits, strict=True))]
    return out


RELIABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)


def calibrate(model: AttributionModel, dev: Sequence[Example]) -> tuple[Calibration, list[dict[str, Any]]]:
    """The calibration fitted on all of dev, and its reliability table measured
    out of sample: fitted on half the dev articles, read on the other half,
    both ways round."""

    def fit(rows: Sequence[tuple[str, float, bool]]) -> Calibration:
        return Calibration({origin: isotonic([(x, y) for o, x, y in rows if o == origin])
                            for origin in ("model", "rules") if any(o == origin for o, _, _ in rows)})

    halves = [_scored_hits(model, dev[k::2]) for k in (0, 1)]
    table = [{"from": lo, "to": min(hi, 1.0), "attributions": 0, "mean_score": 0.0, "cue_correct": 0.0}
             for lo, hi in itertools.pairwise(RELIABILITY_BINS)]
    for k in (0, 1):
        calibration = fit(halves[1 - k])
        for origin, raw, hit in halves[k]:
            score = calibration(raw, origin)
            row = next(r for r, (lo, hi) in zip(table, itertools.pairwise(RELIABILITY_BINS), strict=True)
                       if lo <= score < hi)
            row["attributions"] += 1
            row["mean_score"] += score
            row["cue_correct"] += hit
    for row in table:
        if row["attributions"]:
            row["mean_score"] = round(row["mean_score"] / row["attributions"], 3)
            row["cue_correct"] = round(row["cue_correct"] / row["attributions"], 3)
    return fit(halves[0] + halves[1]), table


def score_on(model: AttributionModel, examples: Sequence[Example]) -> dict[str, Any]:
    """Dev figures of a model, with the evaluator's definitions."""
    pairs = []
    for ex in examples:
        assert ex.features is not None
        found = model.find_with(ex.features)
        pairs.append((Article(id=ex.gold.id, text=ex.gold.text, attributions=found), ex.gold))
    return evaluate(pairs, _tokenizer()).to_dict()


def summary(scores: dict[str, Any]) -> float:
    """One number to select on: the mean of the exact F1s and content overlap F1."""
    values = [scores[k]["exact"]["f1"] for k in TARGETS] + [scores["content"]["overlap"]["f1"]]
    return sum(values) / len(values)


def train_polnear(root: str | Path, out_dir: str | Path, settings: TrainSettings = TrainSettings(),
                  progress: Progress | None = None) -> TrainResult:
    """Train on PolNeAR train, select on dev, write the model directory."""
    if settings.every < 1:
        raise ValueError("every must be at least 1")
    progress = progress or NoProgress()
    started = time.perf_counter()
    out = Path(out_dir)
    base = settings.parser or base_model_name()
    nlp = load_base(base)
    # the parse is cached whole; a stride keeps the subset spread over all outlets and dates
    train = parse_split(nlp, root, "train", settings.limit, settings.cache, progress)[:: settings.every]
    dev = parse_split(nlp, root, "dev", settings.dev_limit, settings.cache, progress)
    progress.stage("features", len(train) + len(dev))
    cue_data: list[tuple[list[list[str]], list[str]]] = []
    role_data: list[tuple[list[list[str]], list[str]]] = []
    for ex in train:
        featurize([ex], settings.use_rules)
        assert ex.features is not None
        cue_data.extend(cue_sequences(ex.features, ex.gold.attributions))
        role_data.extend(role_sequences(ex.features, ex.gold.attributions))
        ex.features = None  # keep memory down: the train features are in the sequences now
        progress.advance()
    featurize(dev, settings.use_rules)
    progress.advance(len(dev))
    candidates: list[dict[str, Any]] = []
    grid = list(settings.grid)
    with tempfile.TemporaryDirectory(prefix="sayso-train-") as tmp:
        # the two taggers are trained apart, once per grid point, and every pair is scored on dev
        folder = Path(tmp)
        for n, params in enumerate(grid):
            train_crf(cue_data, folder / f"cue{n}", params, settings.iterations, settings.seed, progress,
                      f"cue tagger {n + 1}/{len(grid)}")
        del cue_data
        for n, params in enumerate(grid):
            train_crf(role_data, folder / f"role{n}", params, settings.iterations, settings.seed, progress,
                      f"role tagger {n + 1}/{len(grid)}")
        del role_data
        pairs = [(c, r) for c in range(len(grid)) for r in range(len(grid))]
        progress.stage("selecting on dev", len(pairs))
        best: tuple[float, AttributionModel, dict[str, Any]] | None = None
        for c, r in pairs:
            model = _assemble(folder / f"cue{c}", folder / f"role{r}", base, settings)
            scores = score_on(model, dev)
            value = summary(scores)
            candidates.append({"cue_params": dict(grid[c]), "role_params": dict(grid[r]), "dev": scores,
                               "summary": round(value, 4)})
            if best is None or value > best[0]:
                best = (value, model, candidates[-1])
            progress.advance()
        assert best is not None
        _, model, chosen = best  # the meta describes the very model written
        progress.stage("calibrating scores", 1)
        calibration, reliability = calibrate(model, dev)
        progress.advance()
        seconds = time.perf_counter() - started
        meta = {
            "format": FORMAT,
            "base_model": base,
            "spacy": spacy.__version__,
            "corpus": "PolNeAR v1.0.0 (train; selected on dev)",
            "features": {"rules": settings.use_rules},
            "merge_rules": model.merge,
            "content_floor": model.content_floor,
            "seed": settings.seed,
            "iterations": settings.iterations,
            "cue_params": chosen["cue_params"],
            "role_params": chosen["role_params"],
            "train_articles": len(train),
            "dev_articles": len(dev),
            "dev": chosen["dev"],
            "grid": [{k: c[k] for k in ("cue_params", "role_params", "summary")} for c in candidates],
            "calibration": calibration.steps,
            "reliability": reliability,
            "train_seconds": round(seconds, 1),
        }
        out.mkdir(parents=True, exist_ok=True)
        (out / CUE_FILE).write_bytes(model.buffers[0])
        (out / ROLE_FILE).write_bytes(model.buffers[1])
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return TrainResult(out, meta, seconds, candidates)
