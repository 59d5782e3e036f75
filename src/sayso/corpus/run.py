"""A corpus run: read every input, analyse what is not stored yet, store it.

Documents stream through: the reader yields records one at a time,
`analyze_many` keeps a bounded number of batches in its workers, and each
batch of results is written in one transaction. A run killed at any point
leaves whole batches only, and the next run skips every id already stored,
so re-running finishes the job with no document lost and none stored twice.
Records that cannot be read or analysed go to the `errors` table.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import duckdb

from sayso.corpus.entities import KbEntry, LinkSummary, link_store
from sayso.corpus.read import BadRecord, Document, check_inputs, count_records, read_corpus
from sayso.corpus.store import (
    ErrorRow,
    Provenance,
    open_store,
    rollback,
    store_failure,
    stored_documents,
    stored_hashes,
    write_articles,
)
from sayso.corpus.trails import TrailSummary, trail_store
from sayso.errors import StoreError
from sayso.pipeline import analyze_many
from sayso.record import Article, text_id
from sayso.settings import Settings

CHECK_CHUNK = 64  # records looked up in the store at a time


@dataclass
class RunSummary:
    """What a run (`sayso run` or `sayso spark`) did."""

    analysed: int = 0  # analysed and stored
    skipped: int = 0  # already stored (or repeated in the input)
    failed: int = 0  # unreadable or unanalysable: see the errors table
    seconds: float = 0.0
    startup_seconds: float = 0.0  # Spark: the session, and the executors ready to analyse (in `seconds`)
    entities: LinkSummary | None = None  # linking at the end of the run
    trails: TrailSummary | None = None

    @property
    def read(self) -> int:
        """Every record read from the inputs."""
        return self.analysed + self.skipped + self.failed




class Progress(Protocol):
    """Told the expected number of records (None if unknown), then the counts after every stored batch."""

    def start(self, total: int | None) -> None: ...

    def update(self, summary: RunSummary) -> None: ...

    def stop(self) -> None: ...


class RichProgress:
    """A progress bar on standard error: documents, documents/s, elapsed time, ETA, failures."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(TextColumn("analysing"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]} docs/s"), TimeElapsedColumn(), TextColumn("ETA"),
                       TimeRemainingColumn(), TextColumn("{task.fields[failed]} failed"),
                       console=Console(stderr=True))
        self.task = self.bar.add_task("analysing", total=None, rate="–", failed=0, start=False)

    def start(self, total: int | None) -> None:
        self.bar.update(self.task, total=total)
        self.bar.start_task(self.task)
        self.bar.start()

    def update(self, summary: RunSummary) -> None:
        self.bar.update(self.task, completed=summary.read, failed=summary.failed)
        speed = self.bar.tasks[0].speed
        self.bar.update(self.task, rate=f"{speed:.1f}" if speed else "–")

    def stop(self) -> None:
        self.bar.stop()


def progress_bar() -> Progress:
    return RichProgress()




def run_corpus(
    inputs: Sequence[str],
    db: str | Path,
    settings: Settings = Settings(jobs=0),
    progress: Progress | None = None,
    entities: Sequence[KbEntry] = (),
) -> RunSummary:
    """Analyse the inputs into the store at `db`, then link its sources to
    corpus entities (anchored to the knowledge base `entities`, if given) and
    trace its quotations (see `link_corpus`); `progress` hears how far it
    is. On KeyboardInterrupt the batches stored so far stay stored; so they do
    when the store cannot be written (a full disk): a StoreError says why, in
    one line, and the same run again finishes the job."""
    check_inputs(inputs)
    summary = RunSummary()
    started = time.perf_counter()
    con = open_store(db)
    ok = False
    try:
        if progress:
            progress.start(count_records(inputs, settings))
        _run(con, read_corpus(inputs, settings), settings, summary, progress)
        if progress:
            progress.stop()
            progress = None
        summary.entities, summary.trails = link_corpus(con, entities)
        ok = True
    except StoreError as exc:
        raise StoreError(f"{db}: {exc}; {_resume(summary)}") from exc
    except duckdb.Error as exc:  # looking up what is stored failed
        raise StoreError(f"{db}: cannot read the corpus store ({store_failure(exc)}); {_resume(summary)}") from exc
    finally:
        if progress:
            progress.stop()
        summary.seconds = time.perf_counter() - started
        try:
            con.close()  # writes the log into the database file
        except duckdb.Error as exc:
            if ok:  # else the first failure is the one to report
                raise StoreError(f"{db}: cannot close the corpus store ({store_failure(exc)}); "
                                 f"{_resume(summary)}") from exc
    return summary


def link_corpus(con: duckdb.DuckDBPyConnection,
                entities: Sequence[KbEntry] = ()) -> tuple[LinkSummary, TrailSummary]:
    """Link the sources not linked yet to corpus entities, then trace the new
    quotations into trails; each step is one transaction, and a store that
    has nothing new is left as it is."""
    try:
        return link_store(con, entities), trail_store(con)
    except duckdb.Error as exc:
        rollback(con)
        raise StoreError(f"cannot link the corpus store ({store_failure(exc)})") from exc


def _resume(summary: RunSummary) -> str:
    return (f"what was stored before is kept ({summary.analysed} documents in this run): once that is fixed, "
            "run the same command again to finish")


def _run(con: duckdb.DuckDBPyConnection, records: Iterator[Document | BadRecord], settings: Settings,
         summary: RunSummary, progress: Progress | None) -> None:
    pending_errors: list[ErrorRow] = []
    # What has been sent to analysis but not stored yet, in order, and by id:
    # (content hash, input, record), so that a record repeated within the run
    # is skipped before it is analysed (or, with another text, is an error).
    # A stored batch moves its entries to `just_stored` until the next lookup
    # in the store, which sees them there.
    sent: deque[Document] = deque()
    sent_ids: dict[str, tuple[str, str | None, str | None]] = {}
    sent_hashes: set[str] = set()
    just_stored: dict[str, tuple[str, str | None, str | None]] = {}
    just_stored_hashes: set[str] = set()

    def to_analyse() -> Iterator[tuple[str, str, dict[str, Any]]]:
        while chunk := list(islice(records, CHECK_CHUNK)):
            documents = [r for r in chunk if isinstance(r, Document)]
            just_stored.clear()
            just_stored_hashes.clear()
            stored = stored_documents(con, [d.id for d in documents])
            digests = [text_id(d.text) for d in documents]
            same_text = stored_hashes(con, digests) if settings.skip_same_text else set()
            digest_of = iter(digests)
            for r in chunk:
                if isinstance(r, BadRecord):
                    pending_errors.append(ErrorRow(r.input, r.record, r.reason))
                    summary.failed += 1
                    continue
                digest = next(digest_of)
                first = stored.get(r.id) or sent_ids.get(r.id) or just_stored.get(r.id)
                if first is not None:
                    if first[0] == digest:  # the same document again (or stored by an earlier run): a skip
                        summary.skipped += 1
                    else:  # another document under the same id: never dropped without a word
                        pending_errors.append(ErrorRow(r.input, r.record, _same_id(r.id, first)))
                        summary.failed += 1
                    continue
                if settings.skip_same_text and (digest in same_text or digest in sent_hashes
                                                or digest in just_stored_hashes):
                    summary.skipped += 1
                    continue
                sent.append(r)
                sent_ids[r.id] = (digest, r.input, r.record)
                if settings.skip_same_text:
                    sent_hashes.add(digest)
                yield r.text, r.id, r.meta

    batch: list[tuple[Article, Provenance]] = []

    def flush() -> None:
        if not batch and not pending_errors:
            return
        written = write_articles(con, batch, pending_errors)
        summary.analysed += len(written)
        summary.skipped += len(batch) - len(written)
        for article, _ in batch:
            entry = sent_ids.pop(article.id, None)
            if entry is not None:
                just_stored[article.id] = entry
                if settings.skip_same_text:
                    sent_hashes.discard(entry[0])
                    just_stored_hashes.add(entry[0])
        batch.clear()
        pending_errors.clear()
        if progress:
            progress.update(summary)

    results = analyze_many(to_analyse(), settings)
    for article in results:
        document = sent.popleft()
        if article.error:
            entry = sent_ids.pop(document.id, None)
            if entry is not None:
                sent_hashes.discard(entry[0])
            pending_errors.append(ErrorRow(document.input, document.record, article.error))
            summary.failed += 1
        else:
            batch.append((article, Provenance(document.input, document.record)))
        if len(batch) + len(pending_errors) >= settings.batch_size:
            flush()
    flush()


def _same_id(id_: str, first: tuple[str, str | None, str | None]) -> str:
    _, input, record = first
    where = ", ".join(str(part) for part in (input, record) if part is not None and part != "")
    return f"id {id_!r} is already stored with a different text" + (f" (from {where})" if where else "")
