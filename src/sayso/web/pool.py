"""The web server's analyses: a pool of worker processes, each loading the model once.

The server process only reads requests and renders answers; every analysis runs
in a worker, so corpus pages and API reads never wait behind one, and the work
spreads over the cores. Admission is bounded: at most `workers + queue` analyses
are in the server at once (running or waiting for a worker); past that a request
is refused at once (503, `Retry-After`) rather than left to time out. Each
analysis has a time limit: past it the worker is killed (a thread could not be
stopped) and a fresh one started, and the request gets 504.

Workers are spawned (never forked: a fork of a server with threads and an open
DuckDB store is unsafe), and each watches its parent, so a server killed
outright leaves no worker behind; `close()` ends them with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from sayso.errors import SaysoError
from sayso.record import Article
from sayso.settings import Settings

DEFAULT_QUEUE = 32  # analyses that may wait for a worker, beyond the ones running
DEFAULT_TIMEOUT = 300.0  # seconds one analysis may take
START_TIMEOUT = 600.0  # seconds a worker may take to load the model (a cold disk, a shared machine)

Want = Literal["json", "record"]


class Busy(SaysoError):
    """Every worker busy and the queue full: come back later."""

    http_status = 503

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class TooSlow(SaysoError):
    """An analysis that passed the time limit (its worker was replaced)."""

    http_status = 504


class WorkerLost(SaysoError):
    """A worker that ended in the middle of an analysis (killed, out of memory)."""

    http_status = 503

    def __init__(self, message: str):
        super().__init__(message)
        self.headers = {"Retry-After": "5"}


@dataclass
class Job:
    text: str
    id: str | None
    meta: dict[str, Any]
    want: Want  # "json": the record as JSON bytes, ready to send; "record": the record as a dict


@dataclass
class Outcome:
    """What a worker sends back: the record (JSON bytes or a dict), or why the text could not be analysed."""

    record: bytes | dict[str, Any] | None
    error: str | None


def worker_main(conn: Connection, settings: Settings, parent: int) -> None:
    """A worker process: load the model once, then analyse one job at a time until told to stop."""

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True).start()
    # Ctrl-C in a terminal reaches the whole process group: the server shuts down and ends the workers,
    # which must not die on it first (and be replaced, mid-shutdown)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from sayso.pipeline import Analyzer

    analyzer = Analyzer(settings)
    conn.send("ready")
    while True:
        try:
            job: Job | None = conn.recv()
        except (EOFError, OSError):  # the server closed its end
            return
        if job is None:
            return
        (article,) = analyzer.analyze_batch([(job.text, job.id, job.meta)])
        conn.send(outcome_of(article, job.want))


def outcome_of(article: Article, want: Want) -> Outcome:
    if article.error:
        return Outcome(None, article.error)
    if want == "json":  # serialised in the worker, so the server process does not spend its time on it
        return Outcome(json.dumps(article.to_dict(), ensure_ascii=False, allow_nan=False,
                                  separators=(",", ":")).encode("utf-8"), None)
    return Outcome(article.to_dict(), None)


@dataclass
class _Turn:
    """An analysis's place in the line for a worker."""

    ready: threading.Event = field(default_factory=threading.Event)
    worker: _Worker | None = None


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection):
        self.process = process
        self.conn = conn
        self.loaded = False  # the model is loaded: the worker can take jobs

    def end(self, grace: float = 0.0) -> None:
        """Stop the process: asked to (when idle, with `grace` seconds), else killed; always reaped."""
        if grace:
            with contextlib.suppress(OSError):  # already gone
                self.conn.send(None)
            self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class AnalysisPool:
    """`workers` processes analysing one article each at a time, `queue` more waiting at most,
    each analysis limited to `timeout` seconds."""

    def __init__(self, settings: Settings, workers: int, queue_size: int = DEFAULT_QUEUE,
                 timeout: float = DEFAULT_TIMEOUT):
        if workers < 1:
            raise ValueError("an analysis pool needs at least one worker")
        self.settings = settings.replace(jobs=1)
        self.workers = workers
        self.capacity = workers + queue_size
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []  # loaded and free
        self._waiting: deque[_Turn] = deque()  # analyses waiting for a worker, first come first served
        self._all: set[_Worker] = set()  # started, loading or ready
        self._lock = threading.Lock()
        self._admitted = 0
        self._durations: deque[float] = deque(maxlen=50)
        self._closed = False
        self._started = False
        self._start_error: str | None = None
        # one thread per admitted analysis: it waits for a worker, then for the worker's answer
        self._threads = ThreadPoolExecutor(max_workers=self.capacity, thread_name_prefix="sayso-analysis")

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (each loads the model in the background)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self.workers):
            self._spawn()

    def status(self) -> dict[str, int]:
        with self._lock:
            return {"workers": self.workers, "ready": sum(1 for w in self._all if w.loaded),
                    "analyses": self._admitted, "capacity": self.capacity}

    def close(self) -> None:
        """End every worker (idle ones asked, busy ones killed) and wait for them; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            idle = set(self._idle)
            self._idle.clear()
            waiting = list(self._waiting)
            self._waiting.clear()
        for turn in waiting:  # no worker will come
            turn.ready.set()
        for w in workers:
            w.end(grace=2.0 if w in idle else 0.0)
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _spawn(self) -> None:
        """Start one worker; a thread waits for it to load the model, then offers it to the queue."""
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=worker_main, args=(child_end, self.settings, os.getpid()),
                                    name="sayso-worker", daemon=True)
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        with self._lock:
            if self._closed:
                worker.end()
                return
            self._all.add(worker)
        threading.Thread(target=self._await_loaded, args=(worker,), daemon=True,
                         name="sayso-worker-start").start()

    def _await_loaded(self, worker: _Worker) -> None:
        try:
            loaded = worker.conn.poll(START_TIMEOUT) and worker.conn.recv() == "ready"
        except (EOFError, OSError):
            loaded = False
        with self._lock:
            closed = self._closed
            if loaded and not closed:
                worker.loaded = True
            else:
                self._all.discard(worker)
                if not closed:
                    self._start_error = (f"an analysis worker could not load the model "
                                         f"(exit code {worker.process.exitcode})")
        if loaded and not closed:
            self._release(worker)
        else:
            worker.end()

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
            closed = self._closed
        worker.end()
        if not closed:
            self._spawn()

    # --- analyses -----------------------------------------------------------------------

    def retry_after(self) -> int:
        """Seconds until a place in the queue is likely free: the queue's length at the recent pace."""
        with self._lock:
            pace = sum(self._durations) / len(self._durations) if self._durations else 1.0
        return max(1, min(600, math.ceil(pace * self.capacity / self.workers)))

    async def analyze(self, job: Job) -> Outcome:
        """The job's outcome, from the first free worker. Busy at once when the queue is full."""
        self.start()  # in case no lifespan started the pool
        with self._lock:
            if self._closed:
                raise WorkerLost("the server is shutting down")
            full = self._admitted >= self.capacity
            if not full:
                self._admitted += 1
        if full:
            raise Busy(f"the server is busy: {self.capacity} analyses running or waiting; try again in a few "
                       "seconds", self.retry_after())
        try:
            running = asyncio.get_running_loop().run_in_executor(self._threads, self._admitted_run, job)
        except RuntimeError:  # the threads were shut down by close()
            self._done()
            raise WorkerLost("the server is shutting down") from None
        return await running

    def _done(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _admitted_run(self, job: Job) -> Outcome:
        """The analysis counts as admitted until its thread is done with it, even when the request that
        asked for it has gone (its worker is busy all the same)."""
        try:
            return self._run(job)
        finally:
            self._done()

    def _run(self, job: Job) -> Outcome:
        """In a thread: wait for an idle worker, hand it the job, wait at most `timeout` for the answer."""
        worker = self._acquire()
        began = time.monotonic()
        try:
            worker.conn.send(job)
            answered = worker.conn.poll(self.timeout)
            outcome: Outcome | None = worker.conn.recv() if answered else None
        except (EOFError, OSError):  # the worker died under the job, or close() ended it
            self._replace(worker)
            if self._closed:
                raise WorkerLost("the server is shutting down") from None
            code = worker.process.exitcode
            raise WorkerLost(f"the analysis stopped: its worker process ended (exit code {code}"
                             f"{', out of memory?' if code == -9 else ''}); try again") from None
        if outcome is None:
            print(f"sayso: an analysis passed the {self.timeout:g} s limit ({len(job.text)} characters); "
                  "its worker was replaced", file=sys.stderr)
            self._replace(worker)
            raise TooSlow(f"the analysis took longer than the server's limit of {self.timeout:g} s; "
                          "send a shorter text, or start the server with a larger --timeout")
        with self._lock:
            self._durations.append(time.monotonic() - began)
        self._release(worker)
        return outcome

    def _acquire(self) -> _Worker:
        """A free worker: at once if one is free and nobody waits, else when the turn comes (in order:
        a thread pool's waiters are woken in no fair order, which left some requests waiting far longer)."""
        with self._lock:
            if self._idle and not self._waiting:
                return self._idle.pop()
            turn = _Turn()
            self._waiting.append(turn)
        while not turn.ready.wait(0.5):
            with self._lock:
                lost = self._start_error if self._start_error and not self._all else None
                if lost:
                    self._waiting.remove(turn)
            if lost:
                raise WorkerLost(lost)
        if turn.worker is None:
            raise WorkerLost("the server is shutting down")
        return turn.worker

    def _release(self, worker: _Worker) -> None:
        """Give a free worker to the analysis waiting longest, or keep it for the next."""
        with self._lock:
            if self._closed:
                return
            if self._waiting:
                turn = self._waiting.popleft()
                turn.worker = worker
                turn.ready.set()
            else:
                self._idle.append(worker)


class InProcess:
    """The analyses in the server's own process, one at a time (`create_app()` without workers: tests,
    embedding). No time limit: a thread cannot be stopped."""

    def __init__(self, settings: Settings):
        self.settings = settings.replace(jobs=1)
        self._lock = threading.Lock()
        self._analyzer: Any = None

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def status(self) -> dict[str, int]:
        return {"workers": 0, "ready": int(self._analyzer is not None), "analyses": 0, "capacity": 0}

    async def analyze(self, job: Job) -> Outcome:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self._run, job)

    def _run(self, job: Job) -> Outcome:
        from sayso.pipeline import Analyzer

        with self._lock:
            if self._analyzer is None:
                self._analyzer = Analyzer(self.settings)
            (article,) = self._analyzer.analyze_batch([(job.text, job.id, job.meta)])
        return outcome_of(article, job.want)
