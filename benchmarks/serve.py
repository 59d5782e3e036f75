"""The web server under load: `sayso serve --workers 1` against `--workers 2`, side by side.

Both servers run at once on loopback (each idle while the other is measured) and
are driven in alternating rounds, so a busy machine slows both alike. In each
round CLIENTS threads each POST `--requests` 700-word articles to /api/analyze,
one after the other (closed loop), bounded by `--max-seconds`; throughput is
the answers per second of the round, latencies are per request, and `cores`
the CPU time the server and its workers used per second of the round (how much
of the machine they got). Then, on the
2-worker server, one 800k-character analysis is started and, while it runs,
a few clients send short requests for `--big-seconds`: 700-word analyses and
page reads (the analyse page, the API status); their p95 is printed. The
servers are stopped at the end, the long analysis with them.

    python benchmarks/serve.py [FOLDER_OF_TXT] [--clients 20] [--requests 10] [--rounds 2]
                               [--big-chars 800000] [--big-seconds 30] [--max-seconds 240]

FOLDER (the articles are made of its texts) defaults to the PolNeAR dev texts
beside the repository, else the bundled example.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "corpora" / "polnear" / "data" / "dev" / "text"
EXAMPLE = REPO / "examples" / "audio-recording-report.txt"
ARTICLE_WORDS = 700


def source_texts(folder: Path) -> list[str]:
    paths = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    texts = [p.read_text(encoding="utf-8") for p in paths[:400]]
    return [t for t in texts if t.strip()] or [EXAMPLE.read_text(encoding="utf-8")]


def articles(texts: list[str], count: int, words: int = ARTICLE_WORDS) -> list[str]:
    """`count` different articles of about `words` words each: paragraphs of the texts in turn,
    each article starting one text further on."""
    paragraphs = [p.strip() for t in texts for p in t.split("\n") if p.strip()]
    out = []
    for i in range(count):
        chosen: list[str] = []
        n = 0
        j = (i * 7) % len(paragraphs)
        while n < words:
            p = paragraphs[j % len(paragraphs)]
            chosen.append(p)
            n += len(p.split())
            j += 1
        out.append("\n\n".join(chosen))
    return out


def long_text(texts: list[str], chars: int) -> str:
    parts: list[str] = []
    n = 0
    while n < chars:
        for t in texts:
            parts.append(t.strip())
            n += len(t) + 2
            if n >= chars:
                break
    return "\n\n".join(parts)[:chars]


def autogroup() -> str:
    """Linux's autogroup gives each session one share of the CPU however many processes it runs: on a
    busy machine that caps the servers started here (one session) whatever their --workers."""
    try:
        on = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return ""
    return "; autogroup on (this session shares one session's part of the CPU)" if on else ""


class Server:
    """`sayso serve --workers N` on a free loopback port."""

    def __init__(self, workers: int):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sayso", "serve", "--port", str(port), "--workers", str(workers),
             "--queue", "64", "--timeout", "3600"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"benchmarks/serve.py: the server ended: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/status", timeout=5).json()["ready"] == self.workers:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        sys.exit(f"benchmarks/serve.py: {self.workers} workers not ready in {seconds:.0f} s")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its live workers (from /proc; 0 where there is none)."""
        total = 0.0
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split() if stat else []
            if fields and (int(entry.name) == self.proc.pid or int(fields[1]) == self.proc.pid):
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the server and its workers used meanwhile
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, latency: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.latencies.append(latency)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def drive(url: str, texts: list[str], clients: int, per_client: int, max_seconds: float,
          path: str = "/api/analyze", pause: float = 0.0) -> Tally:
    """`clients` threads, each sending its share of `texts` one after the other (GETs of `path`
    when `texts` is empty, `pause` seconds apart), until done or `max_seconds` passed."""
    tally = Tally()
    deadline = time.monotonic() + max_seconds

    def client(k: int) -> None:
        with httpx.Client(timeout=max_seconds + 60) as http:
            for i in range(per_client):
                if time.monotonic() > deadline:
                    return
                began = time.perf_counter()
                try:
                    if texts:
                        text = texts[(k * per_client + i) % len(texts)]
                        answer = http.post(url + path, content=text.encode(),
                                           headers={"content-type": "text/plain"})
                    else:
                        answer = http.get(url + path)
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0
                tally.add(status, time.perf_counter() - began)
                time.sleep(pause)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tally.seconds = time.perf_counter() - began
    return tally


HEADER = f"{'':<14}{'ok':>6}{'other':>12}{'s':>8}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'cores':>7}"


def line(label: str, t: Tally) -> str:
    other = {k: v for k, v in t.statuses.items() if k != 200}
    return (f"{label:<14}{t.ok:>6}{other or '-'!s:>12}{t.seconds:>8.1f}{t.ok / t.seconds:>8.2f}"
            f"{percentile(t.latencies, 50):>8.2f}{percentile(t.latencies, 95):>8.2f}"
            f"{percentile(t.latencies, 99):>8.2f}{t.cpu / t.seconds:>7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10, help="requests per client per round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=240, help="longest a round may take")
    ap.add_argument("--big-chars", type=int, default=800_000)
    ap.add_argument("--big-seconds", type=float, default=30, help="how long short requests run beside the big one")
    args = ap.parse_args()

    texts = source_texts(args.folder)
    batch = articles(texts, args.clients * args.requests)
    words = statistics.mean(len(a.split()) for a in batch)
    print(f"{len(batch)} articles of {words:.0f} words on average; {args.clients} clients; "
          f"{os.cpu_count()} cores; load average before {os.getloadavg()[0]:.2f}{autogroup()}", flush=True)

    servers = {w: Server(w) for w in (1, 2)}
    try:
        for s in servers.values():
            s.wait_ready()
        for s in servers.values():  # warm-up: every worker has analysed once
            drive(s.url, batch[:4], s.workers, 2, 120)
        totals: dict[int, Tally] = {w: Tally() for w in servers}
        print("\n" + HEADER)
        for r in range(args.rounds):
            for w, s in servers.items():
                cpu = s.cpu_seconds()
                t = drive(s.url, batch, args.clients, args.requests, args.max_seconds)
                t.cpu = s.cpu_seconds() - cpu
                totals[w].cpu += t.cpu
                print(line(f"round {r + 1} w={w}", t), flush=True)
                totals[w].latencies += t.latencies
                totals[w].seconds += t.seconds
                for k, v in t.statuses.items():
                    totals[w].statuses[k] = totals[w].statuses.get(k, 0) + v
        print()
        for w, t in totals.items():
            print(line(f"--workers {w}", t))
        ratio = (totals[2].ok / totals[2].seconds) / (totals[1].ok / totals[1].seconds)
        print(f"throughput --workers 2 / --workers 1: {ratio:.2f}")

        # one very long analysis on the 2-worker server, short requests beside it
        s = servers[2]
        big = long_text(texts, args.big_chars)
        big_answer: dict[str, float | int] = {}

        def big_analysis() -> None:
            began = time.perf_counter()
            try:
                status = httpx.post(f"{s.url}/api/analyze", content=big.encode(),
                                    headers={"content-type": "text/plain"}, timeout=3600).status_code
            except httpx.HTTPError:
                status = 0  # the server stopped under it
            big_answer.update(status=status, seconds=time.perf_counter() - began)

        threading.Thread(target=big_analysis, daemon=True).start()
        while httpx.get(f"{s.url}/api/status", timeout=10).json()["analyses"] < 1:
            time.sleep(0.05)
        time.sleep(1.0)  # the text is in the worker
        results: dict[str, Tally] = {}

        def beside(name: str, texts_: list[str], clients: int, path: str) -> None:
            # readers look at a page a while; analyses follow one another at once
            results[name] = drive(s.url, texts_, clients, 10_000, args.big_seconds, path=path,
                                  pause=0.0 if texts_ else 0.2)

        jobs = [threading.Thread(target=beside, args=("analyses", batch, 2, "/api/analyze")),
                threading.Thread(target=beside, args=("page reads", [], 2, "/")),
                threading.Thread(target=beside, args=("API reads", [], 2, "/api/status"))]
        cpu = s.cpu_seconds()
        for j in jobs:
            j.start()
        for j in jobs:
            j.join()
        window_cpu = s.cpu_seconds() - cpu  # the server's in the window (the long analysis included): every row
        for t in results.values():
            t.cpu = window_cpu
        still = (f"ended ({big_answer['status']}) after {big_answer['seconds']:.0f} s" if big_answer
                 else "still running")
        print(f"\nwhile one {len(big):,}-character analysis runs on --workers 2 ({still}), "
              f"for {args.big_seconds:.0f} s:")
        print(HEADER)
        for name, t in results.items():
            print(line(name, t))
        print(f"\nload average after {os.getloadavg()[0]:.2f}")
    finally:
        for s in servers.values():
            s.stop()


if __name__ == "__main__":
    main()
