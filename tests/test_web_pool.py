"""`sayso serve` with its pool of analysis workers, as a real server on loopback: a full queue answers 503
at once, an analysis past the time limit 504 with its worker replaced, reads never wait behind an
analysis, and no worker outlives the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import EXAMPLE
from .test_web_api import build_store

pytestmark = pytest.mark.slow

SHORT = "The minister said on Monday that the plan would go ahead, officials said."
LONG_CHARS = 300_000  # an analysis of this takes well over TIMEOUT seconds
TIMEOUT = 3


def children(pid: int) -> set[int]:
    """The live (not zombie) child processes of `pid`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) "
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:g} s")
        time.sleep(0.1)


class Serve:
    """`sayso serve` in a subprocess on a free loopback port, stopped (SIGTERM) on exit."""

    def __init__(self, *args: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "sayso", "serve", "--port", str(self.port), *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def status(self) -> dict:
        return httpx.get(f"{self.url}/api/status", timeout=5).json()

    def ready(self, workers: int) -> bool:
        try:
            return self.status()["ready"] == workers
        except httpx.TransportError:
            assert self.proc.poll() is None, f"the server ended: {self.proc.stderr.read()}"
            return False

    def workers(self) -> set[int]:
        """The worker processes (children other than multiprocessing's resource tracker)."""
        return {p for p in children(self.proc.pid)
                if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")}

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "corpus.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="module")
def server(store) -> Iterator[Serve]:
    """One worker, no queue, a short time limit."""
    with Serve("--db", str(store), "--workers", "1", "--queue", "0", "--timeout", str(TIMEOUT)) as s:
        wait_for(lambda: s.ready(1), 300, "the worker loaded the model")
        yield s


def long_text() -> str:
    article = EXAMPLE.read_text(encoding="utf-8")
    return (article + "\n\n") * (LONG_CHARS // len(article) + 1)


def test_an_analysis_in_a_worker_gives_the_record(server):
    answer = httpx.post(f"{server.url}/api/analyze", json={"text": SHORT, "id": "a1"}, timeout=60)
    assert answer.status_code == 200
    record = answer.json()
    assert record["id"] == "a1" and record["text"] == SHORT and record["attributions"]
    page = httpx.post(f"{server.url}/analyze", data={"text": SHORT}, timeout=60)
    assert page.status_code == 200 and "the minister" in page.text.lower()


def test_full_queue_503_at_once_reads_go_on_and_a_slow_analysis_504_with_its_worker_replaced(server):
    (before,) = server.workers()
    answers: dict[str, httpx.Response] = {}

    def long_analysis() -> None:
        answers["long"] = httpx.post(f"{server.url}/api/analyze", content=long_text().encode(),
                                     headers={"content-type": "text/plain"}, timeout=120)

    thread = threading.Thread(target=long_analysis)
    thread.start()
    wait_for(lambda: server.status()["analyses"] == 1, 30, "the long analysis was admitted")

    # the only worker busy and no queue: refused at once, with Retry-After, as one line of JSON
    busy = httpx.post(f"{server.url}/api/analyze", json={"text": SHORT}, timeout=60)
    assert busy.status_code == 503
    assert int(busy.headers["retry-after"]) >= 1
    assert "\n" not in busy.text and "busy" in busy.json()["detail"]
    # the form gets a readable page saying the same
    form = httpx.post(f"{server.url}/analyze", data={"text": SHORT}, timeout=60)
    assert form.status_code == 503 and "retry-after" in form.headers
    assert form.headers["content-type"].startswith("text/html") and "busy" in form.text
    # corpus pages and API reads do not wait for the analysis
    for path in ("/api/sources", "/articles", "/search?q=said", "/"):
        assert httpx.get(f"{server.url}{path}", timeout=60).status_code == 200, path
    assert "long" not in answers, "the reads were answered before the analysis ended"

    thread.join(120)
    slow = answers["long"]
    assert slow.status_code == 504
    assert f"{TIMEOUT} s" in slow.json()["detail"] and "--timeout" in slow.json()["detail"]
    assert not alive(before), "the stuck worker was killed"
    wait_for(lambda: server.ready(1), 300, "a new worker loaded the model")
    (after,) = server.workers()
    assert after != before
    again = httpx.post(f"{server.url}/api/analyze", json={"text": SHORT}, timeout=60)
    assert again.status_code == 200 and again.json()["text"] == SHORT


def test_a_worker_killed_under_an_analysis_gives_503_and_is_replaced(server):
    wait_for(lambda: server.ready(1), 300, "the worker is ready")
    (before,) = server.workers()
    answers: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: answers.update(long=httpx.post(
        f"{server.url}/api/analyze", json={"text": long_text()}, timeout=120)))
    thread.start()
    wait_for(lambda: server.status()["analyses"] == 1, 30, "the long analysis was admitted")
    time.sleep(0.5)  # the text is in the worker
    os.kill(before, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    thread.join(60)
    lost = answers["long"]
    assert lost.status_code == 503 and "retry-after" in lost.headers
    assert "worker process ended" in lost.json()["detail"]
    wait_for(lambda: server.ready(1), 300, "a new worker loaded the model")
    assert server.workers() != {before}
    assert httpx.post(f"{server.url}/api/analyze", json={"text": SHORT}, timeout=60).status_code == 200


def test_the_server_ends_its_workers_when_stopped_one_per_core_by_default():
    from sayso.settings import cores

    with Serve() as s:
        wait_for(lambda: s.ready(cores()), 300, "the workers loaded the model")
        assert s.status()["workers"] == cores() and len(s.workers()) == cores()
        started = children(s.proc.pid)  # the workers and multiprocessing's resource tracker
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(30) in (0, -signal.SIGTERM)  # uvicorn ends by the signal it caught, after shutdown
    wait_for(lambda: not any(alive(p) for p in started), 10, "no process of the server outlives it")


def test_stopping_the_server_does_not_wait_for_a_long_analysis():
    with Serve("--workers", "1") as s:
        wait_for(lambda: s.ready(1), 300, "the worker loaded the model")
        started = children(s.proc.pid)
        thread = threading.Thread(target=lambda: httpx.post(
            f"{s.url}/api/analyze", json={"text": long_text() * 3}, timeout=300), daemon=True)
        thread.start()
        wait_for(lambda: s.status()["analyses"] == 1, 30, "the long analysis was admitted")
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(60)  # the analysis alone would take minutes
    wait_for(lambda: not any(alive(p) for p in started), 10, "no process of the server outlives it")


def test_workers_end_when_the_server_is_killed_outright():
    with Serve("--workers", "1") as s:
        wait_for(lambda: s.ready(1), 300, "the worker loaded the model")
        workers = s.workers()
        s.proc.kill()  # no shutdown at all: each worker notices its parent is gone
        s.proc.wait(10)
        wait_for(lambda: not any(alive(p) for p in workers), 15, "the workers ended after the server")


def test_serve_refuses_bad_pool_options():
    from sayso.cli import main

    for args in (["--workers", "0"], ["--queue", "-1"], ["--timeout", "0"]):
        assert main(["serve", *args]) != 0

