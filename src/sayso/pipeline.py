"""sayso end to end: clean → parse → find attributions → resolve sources →
stance and hedges → profile, giving one `Article` per input.

`analyze_batch` is the per-document work as a pure function of its inputs;
`analyze_many` streams items through it, in this process or in worker
processes that each load the model once.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.pool import AsyncResult
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from sayso.clean import detect_language, find_boilerplate
from sayso.model import load_finder
from sayso.parse import cached_base
from sayso.profile import build_profile
from sayso.quotes import find_quotes
from sayso.record import Article, empty_meta, text_id
from sayso.sources import resolve_sources
from sayso.stance import find_hedges, set_stances

MAX_CHARS = 1_000_000  # spaCy's own limit for one text

Item = str | tuple[Any, ...] | dict[str, Any]


@dataclass(frozen=True)
class Settings:
    """What an analysis run is configured with (picklable, for workers)."""

    model: str | None = None  # the attribution model: a model directory, "rules", or None for the shipped one
    min_score: float = 0.0
    batch_size: int = 16
    spacy_model: str | None = None  # the spaCy base pipeline; None picks the installed one


class Analyzer:
    """Holds the loaded pipeline; one per process."""

    def __init__(self, settings: Settings = Settings()):
        self.settings = settings
        self.finder = load_finder(settings.model)  # first: a bad model directory fails before the parse loads
        self.nlp: Language = cached_base(settings.spacy_model)

    def analyze_batch(self, items: Iterable[Item]) -> list[Article]:
        """Analyse a batch: bad items come back as error records, in place."""
        prepared: list[tuple[str, str, dict[str, Any]] | Article] = [_prepare(it) for it in items]
        good = [(p[0], i) for i, p in enumerate(prepared) if not isinstance(p, Article)]
        results: list[Article] = [p if isinstance(p, Article) else None for p in prepared]  # type: ignore[misc]
        docs = self.nlp.pipe(good, as_tuples=True, batch_size=self.settings.batch_size)
        for doc, i in docs:
            text, id_, meta = prepared[i]  # type: ignore[misc]
            try:
                results[i] = self.build_article(doc, id_, meta)
            except Exception as exc:  # a bug must not lose the record
                results[i] = Article(id=id_, text=text, meta=meta, error=f"analysis failed: {exc}")
        return results

    def build_article(self, doc: Doc, id_: str, meta: dict[str, Any]) -> Article:
        text = doc.text
        boilerplate = find_boilerplate(text)
        attributions = [a for a in self.finder(doc, boilerplate) if a.score >= self.settings.min_score]
        attributions.sort(key=lambda a: a.first_offset)
        for n, a in enumerate(attributions, start=1):
            a.id = f"a{n}"
        sources = resolve_sources(doc, attributions)
        set_stances(attributions)
        quoted = [(q.start, q.end) for q in find_quotes(text)]
        hedges = find_hedges(text, attributions, boilerplate, quoted, doc)
        sentences = [(s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
        profile = build_profile(attributions, sources, sentences, boilerplate)
        return Article(id=id_, text=text, meta=meta, boilerplate=boilerplate,
                       attributions=attributions, sources=sources, hedges=hedges, profile=profile)


def _prepare(item: Item) -> tuple[str, str, dict[str, Any]] | Article:
    """Normalise an input item to (text, id, meta), or an error record."""
    text: Any
    id_: Any = None
    meta_in: Any = None
    if isinstance(item, str):
        text = item
    elif isinstance(item, dict):
        text, id_, meta_in = item.get("text"), item.get("id"), item.get("meta")
    elif isinstance(item, tuple) and 1 <= len(item) <= 3:
        text, id_, meta_in = (*item, None, None)[:3]
    else:
        return Article(id="?", text="", error=f"not a text or (text, id, meta) item: {type(item).__name__}")
    meta = empty_meta()
    if isinstance(meta_in, dict):
        meta.update(meta_in)
    if not isinstance(text, str):
        return Article(id=str(id_ or "?"), text="", meta=meta,
                       error=f"text is {type(text).__name__}, not str")
    id_ = str(id_) if id_ is not None else text_id(text)
    if not text.strip():
        return Article(id=id_, text=text, meta=meta, error="empty text")
    if len(text) > MAX_CHARS:
        return Article(id=id_, text="", meta=meta,
                       error=f"text too long ({len(text)} characters, limit {MAX_CHARS})")
    if "\x00" in text:
        return Article(id=id_, text="", meta=meta, error="binary content (NUL characters)")
    if not meta.get("language"):
        meta["language"] = detect_language(text)
    return text, id_, meta


_worker: Analyzer | None = None


def _init_worker(settings: Settings) -> None:
    global _worker
    _worker = Analyzer(settings)


def _work(batch: list[Item]) -> list[dict[str, Any]]:
    assert _worker is not None
    return [a.to_dict() for a in _worker.analyze_batch(batch)]


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def analyze_many(
    items: Iterable[Item],
    *,
    n_process: int = 1,
    batch_size: int = 16,
    model: str | None = None,
    min_score: float = 0.0,
    spacy_model: str | None = None,
) -> Iterator[Article]:
    """Analyse a stream of texts, (text, id, meta) tuples or {"text", "id",
    "meta"} dicts, in order. A bad item yields an Article with `error` set and
    the stream goes on. With `n_process > 1`, worker processes each load the
    model once and take batches of `batch_size` items."""
    settings = Settings(model=model, min_score=min_score, batch_size=batch_size, spacy_model=spacy_model)
    if n_process <= 1:
        analyzer = Analyzer(settings)
        for batch in _batches(items, batch_size):
            yield from analyzer.analyze_batch(batch)
        return
    ctx = multiprocessing.get_context("spawn")
    # Pool.imap would read the whole input ahead; keep at most two batches per
    # worker in flight so memory stays flat however long the stream is.
    in_flight: deque[AsyncResult[list[dict[str, Any]]]] = deque()
    with ctx.Pool(n_process, initializer=_init_watched_worker, initargs=(settings, os.getpid())) as pool:
        for batch in _batches(items, batch_size):
            in_flight.append(pool.apply_async(_work, (batch,)))
            if len(in_flight) >= 2 * n_process:
                for record in in_flight.popleft().get():
                    yield Article.from_dict(record)
        while in_flight:
            for record in in_flight.popleft().get():
                yield Article.from_dict(record)


def _init_watched_worker(settings: Settings, parent: int) -> None:
    """Load the model, and end the worker if its parent dies (a killed run
    must not leave workers waiting forever on the pool's queue)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    _init_worker(settings)


def analyze(text: str, *, id: str | None = None, meta: dict[str, Any] | None = None,
            model: str | None = None, min_score: float = 0.0, spacy_model: str | None = None) -> Article:
    """Analyse one article. Raises ValueError on an input that cannot be analysed.
    `model` is the attribution model (a directory, "rules", or None for the shipped one)."""
    article = next(analyze_many([(text, id, meta)], model=model, min_score=min_score, spacy_model=spacy_model))
    if article.error:
        raise ValueError(article.error)
    return article
