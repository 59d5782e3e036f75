"""Scoring predicted attributions against gold ones, with the definitions BBC
R&D's Citron uses, so that figures compare with its published ones.

Spans are compared as token spans (a shared tokenizer maps both sides'
character offsets to tokens, widening to whole tokens).

- exact, cue: a predicted attribution counts when its cue equals a gold cue.
- exact, source / content: when a gold attribution has an overlapping cue and
  the same list of source (content) spans; two empty lists are the same.
- exact, all: cue, sources and contents all equal.
- overlap (per role and all together): tokens shared by predicted and gold
  spans, summed over every predicted-gold pair, over the tokens predicted
  (precision) and the tokens in gold (recall).
- content token F1: the tokens inside any predicted content against the tokens
  inside any gold content of the article, each token counted once.
- content lenient F1: a content counts when it shares a token with a content
  of the other side (boundaries forgiven).
- direct quotations, content exact F1: over the predicted attributions of kind
  "direct" and the gold ones whose content is a quotation (it starts and ends
  with a quotation mark, or marks enclose it): how well a quotation's bounds
  are read.

Intervals: the articles are resampled with replacement (a percentile
bootstrap), so a figure comes with how much it would move on another draw of
articles like these.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from sayso.nlp.quotes import DOUBLE_CLOSE, DOUBLE_OPEN, STRAIGHT_DOUBLE
from sayso.record import Article, Attribution, Span

ROLES = ("cue", "source", "content")
TokenSpans = tuple[tuple[int, int], ...]


def precision_recall_f1(hits: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of `hits` among `predicted` and `gold` (0.0 where undefined)."""
    p = hits / predicted if predicted else 0.0
    r = hits / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def prf(self) -> tuple[float, float, float]:
        return precision_recall_f1(self.tp, self.tp + self.fp, self.tp + self.fn)

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class Matched:
    """Items matched on each side, for measures where one item may match several."""

    predicted_hits: int = 0
    predicted: int = 0
    gold_hits: int = 0
    gold: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.predicted_hits / self.predicted if self.predicted else 0.0
        r = self.gold_hits / self.gold if self.gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def add(self, other: Matched) -> None:
        self.predicted_hits += other.predicted_hits
        self.predicted += other.predicted
        self.gold_hits += other.gold_hits
        self.gold += other.gold


@dataclass
class Overlap:
    shared: int = 0
    predicted: int = 0
    gold: int = 0

    def prf(self) -> tuple[float, float, float]:
        return precision_recall_f1(self.shared, self.predicted, self.gold)

    def add(self, other: Overlap) -> None:
        self.shared += other.shared
        self.predicted += other.predicted
        self.gold += other.gold


@dataclass
class Scores:
    exact: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in (*ROLES, "all")})
    overlap: dict[str, Overlap] = field(default_factory=lambda: {k: Overlap() for k in ROLES})
    token: Counts = field(default_factory=Counts)  # content tokens, each counted once
    lenient: Matched = field(default_factory=Matched)  # contents that overlap one of the other side
    direct: Matched = field(default_factory=Matched)  # exact contents of direct quotations
    articles: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: Scores) -> None:
        self.token.add(other.token)
        self.lenient.add(other.lenient)
        self.direct.add(other.direct)
        self.articles += other.articles
        self.predicted += other.predicted
        self.gold += other.gold
        for name, counts in other.exact.items():
            self.exact[name].add(counts)
        for name, overlap in other.overlap.items():
            self.overlap[name].add(overlap)

    def overlap_of(self, name: str) -> Overlap:
        """A role's token overlap; "all" is the three roles' sum, kept nowhere so it cannot drift."""
        if name != "all":
            return self.overlap[name]
        total = Overlap()
        for role in ROLES:
            total.add(self.overlap[role])
        return total

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"articles": self.articles, "predicted": self.predicted, "gold": self.gold}
        for name in (*ROLES, "all"):
            ep, er, ef = self.exact[name].prf()
            op, orr, of = self.overlap_of(name).prf()
            out[name] = {
                "exact": {"precision": round(ep, 4), "recall": round(er, 4), "f1": round(ef, 4)},
                "overlap": {"precision": round(op, 4), "recall": round(orr, 4), "f1": round(of, 4)},
            }
        for name in ("token", "lenient", "direct"):
            p, r, f = getattr(self, name).prf()
            out["content"][name] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
        return out


class Tokens:
    """Maps character offsets of one text to token indices."""

    def __init__(self, text: str, tokenizer: Any):
        doc = tokenizer(text)
        self.starts: list[int] = []
        self.ends: list[int] = []
        for t in doc:
            if t.is_space:
                continue
            self.starts.append(t.idx)
            self.ends.append(t.idx + len(t.text))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Token range [a, b) of the tokens that overlap [start, end)."""
        a = bisect.bisect_right(self.ends, start)
        b = bisect.bisect_left(self.starts, end)
        return a, max(a, b)

    def role(self, spans: Sequence[Span]) -> TokenSpans:
        out = [self.span(s.start, s.end) for s in spans]
        return tuple(sorted(x for x in out if x[1] > x[0]))


def _tokens_of(spans: TokenSpans) -> set[int]:
    return {i for a, b in spans for i in range(a, b)}


def _overlaps(a: TokenSpans, b: TokenSpans) -> bool:
    return bool(_tokens_of(a) & _tokens_of(b))


@dataclass
class _Tokenized:
    attribution: Attribution
    roles: dict[str, TokenSpans]


def _tokenize(attributions: Sequence[Attribution], tokens: Tokens) -> list[_Tokenized]:
    return [_Tokenized(a, {r: tokens.role(getattr(a, r)) for r in ROLES}) for a in attributions]


def _matches(kind: str, p: _Tokenized, g: _Tokenized) -> bool:
    if kind == "cue":
        return p.roles["cue"] == g.roles["cue"]
    if kind == "all":
        return all(p.roles[r] == g.roles[r] for r in ROLES)
    return _overlaps(p.roles["cue"], g.roles["cue"]) and p.roles[kind] == g.roles[kind]


def score_article(predicted: Sequence[Attribution], gold: Sequence[Attribution], text: str,
                  tokenizer: Any, scores: Scores, errors: list[dict[str, Any]] | None = None,
                  article_id: str = "") -> None:
    """Add one article's counts to `scores` (and its mistakes to `errors`)."""
    tokens = Tokens(text, tokenizer)
    pred = _tokenize(predicted, tokens)
    gold_t = _tokenize(gold, tokens)
    scores.articles += 1
    scores.predicted += len(pred)
    scores.gold += len(gold_t)
    for kind in (*ROLES, "all"):
        counts = scores.exact[kind]
        for p in pred:
            if any(_matches(kind, p, g) for g in gold_t):
                counts.tp += 1
            else:
                counts.fp += 1
                if errors is not None:
                    errors.append(_error(kind, "false-positive", p, gold_t, text, article_id))
        for g in gold_t:
            if not any(_matches(kind, p, g) for p in pred):
                counts.fn += 1
                if errors is not None:
                    errors.append(_error(kind, "false-negative", g, pred, text, article_id))
    for role in ROLES:
        ov = scores.overlap[role]
        for p in pred:
            pt = _tokens_of(p.roles[role])
            ov.predicted += len(pt)
            for g in gold_t:
                ov.shared += len(pt & _tokens_of(g.roles[role]))
        for g in gold_t:
            ov.gold += len(_tokens_of(g.roles[role]))
    _score_contents(pred, gold_t, text, scores)


QUOTE_MARKS = STRAIGHT_DOUBLE + DOUBLE_OPEN + DOUBLE_CLOSE + "‟"


def is_quotation(spans: Sequence[Span], text: str) -> bool:
    """Whether a content is a quotation: marks at both ends, inside or just outside its spans."""
    if not spans:
        return False
    start, end = spans[0].start, spans[-1].end
    inner = text[start:end].strip()
    before, after = text[max(0, start - 1):start], text[end:end + 1]
    opens = inner[:1] in QUOTE_MARKS or before in QUOTE_MARKS
    closes = inner[-1:] in QUOTE_MARKS or after in QUOTE_MARKS or inner[-2:-1] in QUOTE_MARKS
    return opens and closes


def _score_contents(pred: list[_Tokenized], gold: list[_Tokenized], text: str, scores: Scores) -> None:
    """The content measures that forgive boundaries (token, lenient) and the one on quotations (direct)."""
    pred_sets = [_tokens_of(p.roles["content"]) for p in pred]
    gold_sets = [_tokens_of(g.roles["content"]) for g in gold]
    pred_all = set().union(*pred_sets) if pred_sets else set()
    gold_all = set().union(*gold_sets) if gold_sets else set()
    scores.token.tp += len(pred_all & gold_all)
    scores.token.fp += len(pred_all - gold_all)
    scores.token.fn += len(gold_all - pred_all)
    lenient, direct = scores.lenient, scores.direct
    for tokens in pred_sets:
        if tokens:
            lenient.predicted += 1
            lenient.predicted_hits += bool(tokens & gold_all)
    for tokens in gold_sets:
        if tokens:
            lenient.gold += 1
            lenient.gold_hits += bool(tokens & pred_all)
    for p in pred:
        if p.attribution.kind == "direct":
            direct.predicted += 1
            direct.predicted_hits += any(_matches("content", p, g) for g in gold)
    for g in gold:
        if is_quotation(g.attribution.content, text):
            direct.gold += 1
            direct.gold_hits += any(_matches("content", p, g) for p in pred)


def _error(kind: str, error: str, item: _Tokenized, others: list[_Tokenized], text: str,
           article_id: str) -> dict[str, Any]:
    a = item.attribution
    start = max(0, a.first_offset - 80)
    end = min(len(text), max(s.end for s in (*a.cue, *a.source, *a.content)) + 80)
    nearest = [o for o in others if _overlaps(o.roles["cue"], item.roles["cue"])
               or _overlaps(o.roles["content"], item.roles["content"])]
    return {
        "span_type": kind,
        "error": error,
        "class": error_class(kind, error, item, [o for o in others if _overlaps(o.roles["cue"], item.roles["cue"])]),
        "article": article_id,
        "attribution": _describe(a),
        "nearest_other_side": [_describe(n.attribution) for n in nearest[:2]],
        "context": text[start:end],
    }


def error_class(kind: str, error: str, item: _Tokenized, same_cue: list[_Tokenized]) -> str:
    """What kind of mistake an error is, for reading errors in bulk:
    "missed" / "spurious" (nothing on the other side shares a cue token),
    "cue boundary" (a cue overlaps but differs), and for sources and contents
    "span boundary" (the spans overlap but differ), "missing span" / "extra
    span" (one side has none), "wrong span" (disjoint spans)."""
    if not same_cue:
        return "missed" if error == "false-negative" else "spurious"
    if kind in ("cue", "all") and all(o.roles["cue"] != item.roles["cue"] for o in same_cue):
        return "cue boundary"
    roles = ("source", "content") if kind in ("cue", "all") else (kind,)
    other = same_cue[0]
    for role in roles:
        mine, theirs = _tokens_of(item.roles[role]), _tokens_of(other.roles[role])
        if item.roles[role] == other.roles[role]:
            continue
        if not theirs or not mine:
            gold_has = mine if error == "false-negative" else theirs
            return "missing span" if gold_has else "extra span"
        return "span boundary" if mine & theirs else "wrong span"
    return "cue boundary"


def _describe(a: Attribution) -> dict[str, Any]:
    return {role: [s.text for s in getattr(a, role)] for role in ROLES} | {"kind": a.kind}


def with_continuations(attributions: Sequence[Attribution]) -> list[Attribution]:
    """The attributions as PolNeAR reads them: a quotation's continuation is part of its content."""
    return [dataclasses.replace(a, content=sorted(a.content + a.continuation), continuation=[])
            if a.continuation else a for a in attributions]


def evaluate(pairs: Iterable[tuple[Article, Article]], tokenizer: Any,
             errors: list[dict[str, Any]] | None = None, per_article: list[Scores] | None = None,
             join_continuations: bool = True) -> Scores:
    """Score (predicted, gold) article pairs (each article's own counts go to `per_article` if given).
    `join_continuations`: score a predicted quotation's continuation as content, PolNeAR's
    convention; without it, only the content proper (a quotation ends at its closing mark)."""
    scores = Scores()
    for predicted, gold in pairs:
        own = Scores()
        found = with_continuations(predicted.attributions) if join_continuations else predicted.attributions
        score_article(found, gold.attributions, gold.text, tokenizer, own, errors, gold.id)
        scores.add(own)
        if per_article is not None:
            per_article.append(own)
    return scores


def percentile_ranks(rounds: int, level: float) -> tuple[int, int]:
    """The ranks of an interval's ends among `rounds` sorted draws: rounded outwards,
    so the interval is symmetric (low + high = rounds - 1) and never narrower than `level`."""
    # the epsilon keeps an exact rank exact: (1 - 0.9) / 2 * 1000 is 49.999… in floating point
    low = math.floor((1 - level) / 2 * (rounds - 1) + 1e-9)
    return low, rounds - 1 - low


def bootstrap_intervals(per_article: Sequence[Scores], rounds: int = 1000, seed: int = 0,
                        level: float = 0.95) -> dict[str, dict[str, list[float]]]:
    """Percentile intervals of each exact F1 and of content overlap F1 over articles drawn with replacement."""
    if not per_article or rounds < 1:
        raise ValueError("bootstrap needs at least one article and one round")
    rng = random.Random(seed)
    names = (*ROLES, "all")
    draws: dict[tuple[str, str], list[float]] = {(name, "exact"): [] for name in names}
    draws["content", "overlap"] = []
    n = len(per_article)
    for _ in range(rounds):
        total = Scores()
        for _ in range(n):
            total.add(per_article[rng.randrange(n)])
        for name in names:
            draws[name, "exact"].append(total.exact[name].prf()[2])
        draws["content", "overlap"].append(total.overlap["content"].prf()[2])
    low, high = percentile_ranks(rounds, level)
    out: dict[str, dict[str, list[float]]] = {}
    for (span, measure), values in draws.items():
        values.sort()
        out.setdefault(span, {})[measure] = [round(values[low], 4), round(values[high], 4)]
    return out


def cue_hits(predicted: Sequence[Attribution], gold: Sequence[Attribution], text: str,
             tokenizer: Any) -> list[bool]:
    """For each predicted attribution, whether its cue is exactly a gold cue:
    the event an attribution's calibrated score estimates the probability of."""
    tokens = Tokens(text, tokenizer)
    gold_cues = {tokens.role(g.cue) for g in gold}
    return [tokens.role(p.cue) in gold_cues for p in predicted]


def error_summary(errors: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Error counts as {"<span type> <false-positive|false-negative>": {class: n}}."""
    out: dict[str, dict[str, int]] = {}
    for e in errors:
        row = out.setdefault(f"{e['span_type']} {e['error']}", {})
        row[e["class"]] = row.get(e["class"], 0) + 1
    return dict(sorted(out.items(), key=lambda kv: ((*ROLES, "all").index(kv[0].split()[0]), kv[0])))


def write_errors(errors: list[dict[str, Any]], out: TextIO) -> None:
    """One JSON object a line: span type, false positive or negative, context."""
    for e in errors:
        out.write(json.dumps(e, ensure_ascii=False) + "\n")
