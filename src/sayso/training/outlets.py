"""Leave-one-outlet-out: how the model does on an outlet it was not trained on.

PolNeAR's train split holds seven outlets with 120 articles each. For each
outlet, the two taggers are trained on the other six (with the shipped
model's settings, or those given) and scored on the seventh, next to the rules
on the same articles. The mean over outlets is the project's measure of how a
choice generalises to news from elsewhere; dev's 84 articles come from the
same seven outlets as train.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sayso.nlp.attributions.rules import RuleFinder
from sayso.nlp.attributions.taggers import META_FILE
from sayso.nlp.clean import find_boilerplate
from sayso.nlp.parse import base_model_name, load_base
from sayso.record import Article
from sayso.training.evaluate import evaluate
from sayso.training.train import (
    Example,
    NoProgress,
    Progress,
    TrainSettings,
    _assemble,
    _tokenizer,
    cue_sequences,
    featurize,
    parse_split,
    role_sequences,
    train_crf,
)

# the figures a row shows: the four exact F1s, their mean, and the content measures
MEASURES = ("cue", "source", "content", "all", "mean", "token", "overlap", "direct")


def outlet_of(article_id: str) -> str:
    """PolNeAR names articles OUTLET_DATE_SLUG."""
    return article_id.split("_", 1)[0]


def figures(scores: dict[str, Any]) -> dict[str, float]:
    """One row of the table from the evaluator's dict."""
    row = {k: scores[k]["exact"]["f1"] for k in ("cue", "source", "content", "all")}
    row["mean"] = round(sum(row.values()) / 4, 4)
    row["token"] = scores["content"]["token"]["f1"]
    row["overlap"] = scores["content"]["overlap"]["f1"]
    row["direct"] = scores["content"]["direct"]["f1"]
    return row


@dataclass
class OutletResult:
    outlets: list[str]
    model: dict[str, dict[str, float]] = field(default_factory=dict)  # outlet -> figures
    rules: dict[str, dict[str, float]] = field(default_factory=dict)

    def mean(self, side: str) -> dict[str, float]:
        rows = list(getattr(self, side).values())
        return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in MEASURES} if rows else {}

    def wins(self) -> dict[str, bool]:
        """Per outlet: does the model beat the rules on content token F1 and on the mean exact F1?"""
        return {o: self.model[o]["token"] > self.rules[o]["token"] and self.model[o]["mean"] > self.rules[o]["mean"]
                for o in self.outlets}

    def to_dict(self) -> dict[str, Any]:
        return {"outlets": self.outlets, "model": self.model, "rules": self.rules,
                "mean": {"model": self.mean("model"), "rules": self.mean("rules")}, "wins": self.wins()}


def shipped_params() -> tuple[dict[str, float], dict[str, float]]:
    meta = json.loads(resources.files("sayso.nlp.attributions").joinpath("model", META_FILE).read_text("utf-8"))
    return dict(meta["cue_params"]), dict(meta["role_params"])


def by_outlet(root: str | Path, settings: TrainSettings = TrainSettings(), outlets: Sequence[str] = (),
              params: tuple[dict[str, float], dict[str, float]] | None = None,
              progress: Progress | None = None, keep: str | Path | None = None) -> OutletResult:
    """Train on six outlets of PolNeAR train, score the seventh, for each outlet (or those named).

    `keep`: a folder for the seven taggers' pairs; pairs already there are reused, so that a
    change after the taggers (the merge, the rules, the repairs) is measured without training again."""
    progress = progress or NoProgress()
    cue_params, role_params = params or shipped_params()
    base = settings.parser or base_model_name()
    nlp = load_base(base)
    train = parse_split(nlp, root, "train", settings.limit, settings.cache, progress)
    groups: dict[str, list[Example]] = {}
    for ex in train:
        groups.setdefault(outlet_of(ex.gold.id), []).append(ex)
    names = list(outlets) or sorted(groups)
    unknown = [o for o in names if o not in groups]
    if unknown:
        raise ValueError(f"no outlet {', '.join(unknown)} in PolNeAR train (outlets: {', '.join(sorted(groups))})")
    # sequences per article, computed once; the features are dropped to keep memory down
    progress.stage("features", len(train))
    cue_of: dict[str, list[Any]] = {}
    role_of: dict[str, list[Any]] = {}
    for ex in train:
        featurize([ex], settings.use_rules)
        assert ex.features is not None
        cue_of[ex.gold.id] = cue_sequences(ex.features, ex.gold.attributions)
        role_of[ex.gold.id] = role_sequences(ex.features, ex.gold.attributions)
        ex.features = None
        progress.advance()
    result = OutletResult(names)
    tokenizer = _tokenizer()
    rules = RuleFinder()
    with tempfile.TemporaryDirectory(prefix="sayso-outlets-") as tmp:
        for n, outlet in enumerate(names):
            folder = Path(keep or tmp) / outlet
            folder.mkdir(parents=True, exist_ok=True)
            label = f"{outlet} ({n + 1}/{len(names)})"
            if not ((folder / "cue").is_file() and (folder / "role").is_file()):
                _train_without(folder, outlet, groups, cue_of, role_of, (cue_params, role_params), settings,
                               progress, label)
            model = _assemble(folder / "cue", folder / "role", base, settings)
            held = groups[outlet]
            progress.stage(f"scoring {label}", len(held))
            featurize(held, settings.use_rules)
            found, ruled = [], []
            for ex in held:
                assert ex.features is not None
                gold = ex.gold
                found.append((Article(id=gold.id, text=gold.text, attributions=model.find_with(ex.features)), gold))
                boiler = find_boilerplate(gold.text)
                ruled.append((Article(id=gold.id, text=gold.text, attributions=rules(ex.doc, boiler)), gold))
                ex.features = None
                progress.advance()
            result.model[outlet] = figures(evaluate(found, tokenizer).to_dict())
            result.rules[outlet] = figures(evaluate(ruled, tokenizer).to_dict())
    return result


def _train_without(folder: Path, outlet: str, groups: dict[str, list[Example]], cue_of: dict[str, list[Any]],
                   role_of: dict[str, list[Any]], params: tuple[dict[str, float], dict[str, float]],
                   settings: TrainSettings, progress: Progress, label: str) -> None:
    others = [ex.gold.id for o, exs in groups.items() if o != outlet for ex in exs]
    for name, data, p in (("cue", cue_of, params[0]), ("role", role_of, params[1])):
        sequences = [s for i in others for s in data[i]]
        # written under a temporary name first: a killed run leaves no half-written tagger to reuse
        part = folder / f"{name}.part"
        train_crf(sequences, part, p, settings.iterations, settings.seed, progress, f"{name} tagger without {label}")
        part.replace(folder / name)
