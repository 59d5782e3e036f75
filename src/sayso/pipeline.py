"""sayso end to end: clean → parse → find attributions → resolve sources →
stance and hedges → profile, giving one `Article` per input.

`analyze_batch` is the per-document work as a pure function of its inputs;
`analyze_many` streams items through it, in this process or in worker
processes that each load the model once.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.pool import AsyncResult
from typing import Any

from spacy.language import Language

from sayso.errors import InputError
from sayso.nlp.attributions.taggers import load_finder
from sayso.nlp.clean import detect_language
from sayso.nlp.components import add_components
from sayso.nlp.parse import load_base
from sayso.record import Article, empty_meta, keep_text, text_id
from sayso.settings import MAX_CHARS, Settings

Item = str | tuple[Any, ...] | dict[str, Any]


@functools.lru_cache(maxsize=4)
def analysis_pipeline(model: str | None = None, parser: str | None = None, min_score: float = 0.0) -> Language:
    """The parser with sayso's components added, loaded once per process and settings."""
    return add_components(load_base(parser), model=model, min_score=min_score)


class Analyzer:
    """Holds the loaded pipeline (the spaCy parser plus sayso's components); one per process."""

    def __init__(self, settings: Settings = Settings()):
        self.settings = settings
        load_finder(settings.model)  # first: a bad model directory fails before the parser loads
        self.nlp: Language = analysis_pipeline(settings.model, settings.parser, settings.min_score)

    def analyze_batch(self, items: Iterable[Item]) -> list[Article]:
        """Analyse a batch: bad items come back as error records, in place."""
        prepared: list[tuple[str, str, dict[str, Any]] | Article] = [_prepare(it) for it in items]
        results: list[Article] = [p if isinstance(p, Article) else None for p in prepared]  # type: ignore[misc]
        good = ((self._tokenized(p[0]), i) for i, p in enumerate(prepared) if not isinstance(p, Article))
        docs = self.nlp.pipe(good, as_tuples=True, batch_size=self.settings.batch_size)
        while True:
            try:
                doc, i = next(docs)
            except StopIteration:
                break
            except Exception:  # a bug must not lose the records: the rest of the batch one by one
                return self._one_by_one(prepared, results)
            text, id_, meta = prepared[i]  # type: ignore[misc]
            results[i] = as_sent(Article.from_doc(doc, id_, meta), text)
        return results

    def _tokenized(self, text: str) -> Any:
        """The tokenized `Doc` of a text as the parser reads it, which keeps that string
        (the components and the record ask for the text; rebuilding it costs)."""
        parsed = parseable(text)
        return keep_text(self.nlp.make_doc(parsed), parsed)

    def _one_by_one(self, prepared: list[Any], results: list[Article]) -> list[Article]:
        """After an error broke the batch: each text not done yet on its own, so only the bad one fails."""
        for i, p in enumerate(prepared):
            if results[i] is not None:
                continue
            text, id_, meta = p
            try:
                results[i] = as_sent(Article.from_doc(self.nlp(self._tokenized(text)), id_, meta), text)
            except Exception as err:
                results[i] = Article(id=id_, text=text, meta=meta, error=f"analysis failed: {err}")
        return results


def parseable(text: str) -> str:
    """The text the parser reads: a leading byte order mark (kept in the record, so that offsets index
    the text as sent) read as a space, since glued to the first word it spoils that word's analysis.
    Same length, so every offset holds."""
    return " " + text[1:] if text.startswith("\ufeff") else text


def as_sent(article: Article, text: str) -> Article:
    """The record of a text parsed as `parseable(text)`, with the text as sent and spans cut from it."""
    if article.text == text:
        return article

    def recut(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("start"), int) and isinstance(value.get("end"), int) and "text" in value:
                value["text"] = text[value["start"]:value["end"]]
            for v in value.values():
                recut(v)
        elif isinstance(value, list):
            for v in value:
                recut(v)

    record = article.to_dict()
    record["text"] = text
    recut({k: v for k, v in record.items() if k != "text"})
    return Article.from_dict(record)


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


def analyze_many(items: Iterable[Item], settings: Settings | None = None, **fields: Any) -> Iterator[Article]:
    """Analyse a stream of texts, (text, id, meta) tuples or {"text", "id",
    "meta"} dicts, in order. A bad item yields an Article with `error` set and
    the stream goes on. `settings` (or its fields by name: `model="rules"`)
    say how; with `jobs` above 1 (0: one per core), worker processes each load
    the model once and take batches of `batch_size` items."""
    settings = (settings or Settings()).replace(**fields)
    n_process = settings.workers
    batch_size = settings.batch_size
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
            settings: Settings | None = None, **fields: Any) -> Article:
    """Analyse one article. Raises InputError on an input that cannot be analysed.
    `settings` (or its fields by name) as for `analyze_many`; always in this process."""
    settings = (settings or Settings()).replace(jobs=1, **fields)
    article = next(analyze_many([(text, id, meta)], settings))
    if article.error:
        raise InputError(article.error)
    return article
