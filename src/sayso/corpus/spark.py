"""Cluster runs on Apache Spark: the records of `sayso run`, on PySpark.

`analyze_frame` turns a DataFrame of articles into one row per article with
the store's `documents` columns, its `attributions` and `sources` rows as
arrays of structs, and `error` (set, with everything else empty, when the
article could not be analysed). The per-document work is
`pipeline.Analyzer.analyze_batch`, the pure function `sayso run` uses; each
Python worker loads the model once (module-level cache) and rows go through
it in spaCy batches inside `mapInArrow`. The rows themselves come from
`store.article_rows`, so the Parquet output has exactly the store's columns.

`run_spark` is `sayso spark`: read inputs, skip documents already written,
analyse, and append the Parquet datasets documents/attributions/sources/errors
under the output folder. `import_parquet` is `sayso import`: load them into a
DuckDB corpus store.

pyspark is an optional dependency (`pip install sayso[spark]`); it is imported
only inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sayso.corpus.run import RunSummary
from sayso.corpus.store import COLUMNS, TABLES
from sayso.errors import SparkError
from sayso.record import META_FIELDS
from sayso.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark import Broadcast
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

PARTITION_COLUMN = "month"  # documents, attributions and sources are partitioned by the article's month
UNKNOWN_MONTH = "unknown"
MIN_JAVA = 17
LOCAL_MASTER = re.compile(r"^local(\[[^\]]*\])?$")
LOCAL_RETRIES = 4  # attempts per task in local mode (Spark's own default there is 1: no retry at all)

# Quiet: errors only, and not even those of the loggers that report a failed
# task or job with its JVM stack trace (Executor, TaskSetManager, the writers):
# a job that fails raises, and `run_spark` gives its cause in one line
# (`root_cause`); a task that fails and is retried needs no trace at all.
# The root stays at warn, as does PythonGatewayServer: PySpark's JVM counts as
# a shell, and a shell whose level differs from the root's says so on every start.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n%ex
logger.shell.name = org.apache.spark.api.python.PythonGatewayServer
logger.shell.level = warn
""" + "".join(f"logger.q{i}.name = {name}\nlogger.q{i}.level = {level}\n" for i, (name, level) in enumerate((
    ("org.apache", "error"), ("org.sparkproject", "error"), ("io.netty", "error"),
    ("org.apache.spark.executor.Executor", "off"),
    ("org.apache.spark.scheduler.TaskSetManager", "off"),
    ("org.apache.spark.scheduler.TaskSchedulerImpl", "off"),
    ("org.apache.spark.storage.BlockManager", "off"),
    ("org.apache.spark.sql.execution.datasources.FileFormatWriter", "off"),
    ("org.apache.spark.internal.io.SparkHadoopWriter", "off"),
    ("org.apache.spark.api.python", "off"),
    ("org.apache.spark.sql.execution.python", "off"),
    ("org.apache.hadoop.util.NativeCodeLoader", "off"),
    ("org.apache.spark.util.Utils", "off"),
    ("org.apache.parquet", "off"),
)))




# --- the session ---------------------------------------------------------------------------


def _java_version(java: str) -> int | None:
    """The major version of a java executable, None when it does not run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def find_java_home() -> str:
    """JAVA_HOME for Spark: the one set, else the java on PATH, else the
    oldest JDK of version 17 or later under /usr/lib/jvm (several may be
    installed, and Spark 4 wants 17 or 21). Raises SparkError when none fits."""
    if os.environ.get("JAVA_HOME"):
        home = os.environ["JAVA_HOME"]
        version = _java_version(os.path.join(home, "bin", "java"))
        if version is None or version < MIN_JAVA:
            raise SparkError(f"JAVA_HOME={home} is not a Java {MIN_JAVA}+ installation (Spark needs one)")
        return home
    candidates: list[str] = []
    on_path = shutil.which("java")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent.parent))
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        candidates += sorted(str(p) for p in jvm.iterdir() if (p / "bin" / "java").is_file() and not p.is_symlink())
    found = [(v, home) for home in dict.fromkeys(candidates)
             if (v := _java_version(os.path.join(home, "bin", "java"))) is not None and v >= MIN_JAVA]
    if not found:
        raise SparkError(f"Spark needs Java {MIN_JAVA} or later and none was found "
                         "(install one, e.g. apt-get install default-jre-headless, or set JAVA_HOME)")
    return min(found)[1]


def _require_pyspark() -> None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise SparkError(f"Spark runs need pyspark and pyarrow ({exc.name} is missing): "
                         "pip install 'sayso[spark]'") from None


def local_master(master: str) -> str:
    """A local master with task retries: `local[N]` becomes `local[N,4]`.
    Spark gives a task one attempt in local mode, so a Python worker that dies
    (killed, out of memory) fails the whole job; `local[N,F]` is kept as given."""
    match = LOCAL_MASTER.match(master)
    if not match:
        return master
    inside = (match.group(1) or "[1]")[1:-1]
    return master if "," in inside else f"local[{inside},{LOCAL_RETRIES}]"


ENV_DIR = "environment"  # where executors unpack the --env archive (in their working directory)


def env_settings(env: str) -> dict[str, str]:
    """The settings that ship a packed environment (`sayso spark pack`) to the
    executors and run their Python workers from it."""
    if "://" not in env and not os.path.isfile(env):
        raise SparkError(f"--env {env}: no such file (make one with `sayso spark pack -o {env}`)")
    if not env.endswith((".tar.gz", ".tgz")):
        raise SparkError(f"--env {env}: not a .tar.gz or .tgz archive (of `sayso spark pack`)")
    where = os.path.abspath(env) if "://" not in env else env
    python = f"./{ENV_DIR}/bin/python"
    return {"spark.archives": f"{where}#{ENV_DIR}", "spark.pyspark.python": python,
            "spark.executorEnv.PYSPARK_PYTHON": python}


def spark_session(master: str | None = "local[2]", *, ui: bool = False, app_name: str = "sayso",
                  config: dict[str, str] | None = None, env: str | None = None) -> SparkSession:
    """A SparkSession that is quiet (errors only, see _LOG4J2) and private (UI
    off unless `ui`; in local mode the driver listens on 127.0.0.1 only, the
    Python workers run this interpreter and a failed task is retried, see
    `local_master`). `env` is an archive of `sayso spark pack` the executors
    run Python from (a cluster master); `config` is passed on as given, last.
    `master` None leaves the master to spark-submit. Raises SparkError when
    pyspark or Java is missing or the session does not start."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    local = master is not None and bool(LOCAL_MASTER.match(master))
    if env is not None and local:
        raise SparkError("--env is for a cluster master (spark://, yarn, k8s://): "
                         "in local mode the Python workers run this interpreter")
    builder = SparkSession.builder.appName(app_name)
    settings = {
        "spark.ui.enabled": "true" if ui else "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        # Many small article files per read task (Spark's default counts 4 MB per file opened):
        # the records are shuffled into the analysis tasks anyway.
        "spark.sql.files.openCostInBytes": "256k",
    }
    # Only a JVM we start ourselves (not spark-submit's, not a notebook's) needs
    # Java found and its logging set before it starts.
    own_jvm = SparkSession.getActiveSession() is None and "PYSPARK_GATEWAY_PORT" not in os.environ
    if own_jvm:
        os.environ["JAVA_HOME"] = find_java_home()
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{_log4j_file()}"
    if master is not None:
        builder = builder.master(local_master(master))
    if local:
        # Nothing listens on an outside interface, and the workers use this
        # interpreter (the system python has no spaCy).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        settings |= {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                     "spark.pyspark.python": sys.executable}
    if env is not None:
        settings |= env_settings(env)
    settings |= config or {}
    if not local and "spark.pyspark.python" in settings:
        # PySpark sends its workers the PYSPARK_PYTHON of the driver process at
        # the start of the context (the setting alone is read by spark-submit only).
        os.environ["PYSPARK_PYTHON"] = settings["spark.pyspark.python"]
        settings.setdefault("spark.pyspark.driver.python", sys.executable)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say why in one line
        raise SparkError(f"cannot start Spark ({root_cause(exc)})") from None
    return session


def _log4j_file() -> Path:
    """The log4j2 configuration file (_LOG4J2) for a JVM we start, written once."""
    log4j = Path(tempfile.gettempdir()) / f"sayso-spark-log4j2-{os.getuid()}.properties"
    if not log4j.exists() or log4j.read_text(encoding="utf-8") != _LOG4J2:
        partial = log4j.with_name(f"{log4j.name}.{os.getpid()}")
        partial.write_text(_LOG4J2, encoding="utf-8")
        partial.replace(log4j)
    return log4j


# --- why a job failed ------------------------------------------------------------------------

_TRACEBACK = "Traceback (most recent call last):"
_SQLSTATE = re.compile(r"\s*SQLSTATE: \w+\.?\s*$")
_ERROR_CLASS = re.compile(r"^\[[A-Z0-9_.]+\]\s*")


def _python_exception(text: str) -> str | None:
    """The exception line of the last Python traceback in a message (what a
    Python worker raised), as `Type: message`; None without a traceback."""
    at = text.rfind(_TRACEBACK)
    if at < 0:
        return None
    seen_frames = False
    for line in text[at + len(_TRACEBACK):].splitlines():
        if not line.strip() or line[0].isspace():  # frames, their code lines and ^^^ markers
            seen_frames = seen_frames or bool(line.strip())
            continue
        if not seen_frames:
            continue
        name, sep, message = line.partition(": ")
        message = _SQLSTATE.sub("", message).strip()
        short = name.rsplit(".", 1)[-1]
        return f"{short}: {message}" if sep and message else short
    return None


def _clean(message: str) -> str:
    lines = [line for line in str(message).strip().splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    return _SQLSTATE.sub("", _ERROR_CLASS.sub("", first)).strip()


def _java_chain(exc: BaseException) -> list[Any]:
    """The JVM throwables behind a Py4J or PySpark exception, outermost first."""
    # Py4JJavaError.java_exception; a converted PySpark exception keeps the JVM one as _origin
    # (attributes of a JVM object are looked up in the JVM: only a Python exception is asked)
    throwable = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if isinstance(throwable, BaseException):
        throwable = getattr(throwable, "java_exception", None)
    chain: list[Any] = []
    try:
        while throwable is not None and len(chain) < 50:
            chain.append(throwable)
            throwable = throwable.getCause()
    except Exception:  # the gateway is gone (the JVM died): what was found so far
        pass
    return chain


_LOST_TASK = re.compile(r"most recent failure: Lost task [^\n]*?\): (?:[\w$]+\.)*([\w$]+): ([^\n]*)")


def root_cause(exc: BaseException) -> str:
    """Why a Spark job failed, in one line: what a Python worker raised (the
    last line of its traceback) if one raised, else the deepest JVM cause that
    has a message (`ExceptionClass: message`), else the first line of the
    exception itself. Never a stack trace."""
    deepest_first: list[tuple[str, str]] = []  # (simple class name, message)
    for throwable in reversed(_java_chain(exc)):
        try:
            deepest_first.append((str(throwable.getClass().getSimpleName()), str(throwable.getMessage() or "")))
        except Exception:
            continue
    own = str(getattr(exc, "_desc", None) or getattr(exc, "errmsg", None) or exc)
    for text in [*(t for _, t in deepest_first), own]:
        found = _python_exception(text)
        if found:
            return f"a Python worker raised {found}"
    for name, text in [*deepest_first, ("", own)]:
        lost = _LOST_TASK.search(text)
        if lost:
            message = _clean(lost.group(2))
            return message if lost.group(1) == "SparkException" else f"{lost.group(1)}: {message}"
        message = _clean(text)
        if message and not message.startswith("An error occurred while calling"):
            return message if name in ("", "SparkException") else f"{name}: {message}"
    return _clean(own) or type(exc).__name__


# --- schemas ---------------------------------------------------------------------------------


def _spark_type(duckdb_type: str) -> DataType:
    from pyspark.sql import types as T

    return {"VARCHAR": T.StringType(), "JSON": T.StringType(), "BIGINT": T.LongType(),
            "INTEGER": T.IntegerType(), "DOUBLE": T.DoubleType(), "TIMESTAMP": T.TimestampNTZType(),
            "BOOLEAN": T.BooleanType()}[duckdb_type]


def _arrow_type(duckdb_type: str) -> pa.DataType:
    import pyarrow as pa

    return {"VARCHAR": pa.string(), "JSON": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
            "DOUBLE": pa.float64(), "TIMESTAMP": pa.timestamp("us"), "BOOLEAN": pa.bool_()}[duckdb_type]


def table_schema(table: str) -> StructType:
    """The Spark schema of one of the store's tables (store.COLUMNS)."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, _spark_type(kind)) for name, kind in COLUMNS[table].items()])


def result_schema() -> StructType:
    """What `analyze_frame` returns: the documents columns, the article's
    attributions and sources rows as arrays, and `error`."""
    from pyspark.sql import types as T

    return T.StructType([
        *table_schema("documents").fields,
        T.StructField("attributions", T.ArrayType(table_schema("attributions"))),
        T.StructField("sources", T.ArrayType(table_schema("sources"))),
        T.StructField("error", T.StringType()),
    ])


def _result_arrow_schema() -> pa.Schema:
    import pyarrow as pa

    def struct(table: str) -> pa.DataType:
        return pa.struct([pa.field(n, _arrow_type(k)) for n, k in COLUMNS[table].items()])

    return pa.schema([
        *(pa.field(n, _arrow_type(k)) for n, k in COLUMNS["documents"].items()),
        pa.field("attributions", pa.list_(struct("attributions"))),
        pa.field("sources", pa.list_(struct("sources"))),
        pa.field("error", pa.string()),
    ])


# --- the per-partition work ------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    """Which input columns hold what (shipped to the workers with the function)."""

    text: str
    id: str | None
    meta: tuple[str, ...]
    meta_json: str | None
    input: str | None
    record: str | None
    error: str | None


_analyzers: dict[Any, Any] = {}  # Settings -> Analyzer: one model load per Python worker


def _worker_analyzer(settings: Any) -> Any:
    from sayso.pipeline import Analyzer

    if settings not in _analyzers:
        _analyzers[settings] = Analyzer(settings)
    return _analyzers[settings]


def _analyze_arrow(batches: Iterable[pa.RecordBatch], settings: Any, columns: _Columns,
                   version: str) -> Iterator[pa.RecordBatch]:
    """Analyse Arrow batches of input rows, `settings.batch_size` rows at a
    time, into batches of `analyze_frame` rows (same order, one per row)."""
    import pyarrow as pa

    from sayso.corpus.store import Provenance, article_rows
    from sayso.record import Article

    schema = _result_arrow_schema()
    document_columns = list(COLUMNS["documents"])
    analyzer = None
    for batch in batches:
        rows = batch.to_pylist()
        for start in range(0, len(rows), settings.batch_size):
            chunk = rows[start:start + settings.batch_size]
            items: list[Any] = []
            for row in chunk:
                meta: dict[str, Any] = {}
                if columns.meta_json and row.get(columns.meta_json):
                    try:
                        loaded = json.loads(row[columns.meta_json])
                        meta = loaded if isinstance(loaded, dict) else {}
                    except ValueError:
                        meta = {}
                for name in columns.meta:
                    if row.get(name) is not None:
                        meta[name] = row[name]
                id_ = row.get(columns.id) if columns.id else None
                items.append((row.get(columns.text), None if id_ is None else str(id_), meta))
            # Rows the reader already refused are not analysed (nor is the model loaded for them).
            refused = [row.get(columns.error) if columns.error else None for row in chunk]
            todo = [item for item, why in zip(items, refused, strict=True) if why is None]
            if todo and analyzer is None:
                analyzer = _worker_analyzer(settings)
            analysed = iter(analyzer.analyze_batch(todo) if todo else [])
            now = datetime.now(UTC).replace(tzinfo=None)
            out: list[dict[str, Any]] = []
            for row, item, why in zip(chunk, items, refused, strict=True):
                article = Article(id=item[1] or "?", text="", error=why) if why is not None else next(analysed)
                provenance = Provenance(row.get(columns.input) if columns.input else None,
                                        row.get(columns.record) if columns.record else None)
                if article.error is None:
                    tables = article_rows(article, provenance, processed_at=now, version=version)
                    result = tables["documents"][0]
                    result["attributions"] = tables["attributions"]
                    result["sources"] = tables["sources"]
                    result["error"] = None
                else:
                    result = dict.fromkeys(document_columns)
                    result |= {"id": article.id, "input": provenance.input,
                               "record": provenance.record if provenance.record is not None else article.id,
                               "processed_at": now, "sayso_version": version, "schema": article.schema,
                               "attributions": [], "sources": [], "error": article.error}
                out.append(result)
            yield pa.RecordBatch.from_pylist(out, schema=schema)


def analyze_frame(df: DataFrame, text_col: str = "text", id_col: str | None = "id", *,
                  meta_cols: Sequence[str] | None = None, meta_json_col: str | None = None,
                  input_col: str | None = None, record_col: str | None = None, error_col: str | None = None,
                  settings: Settings = Settings()) -> DataFrame:
    """Analyse the articles of a DataFrame: one output row per input row
    (see `result_schema`), in the input's partitions.

    `text_col` holds the text; `id_col` the id (None or a null value: a hash
    of the text, as `sayso run` does). Meta fields come from `meta_cols`
    (default: the columns of `df` named like record meta fields: title, url,
    published, outlet, author, language), over a JSON object in
    `meta_json_col` if given. `input_col`/`record_col` say where a row was read
    from; `error_col`, when set and not null, marks a row that could not be
    read (it becomes an error row unanalysed)."""
    from pyspark.sql import functions as F

    from sayso import __version__

    names = set(df.columns)
    wanted = [text_col, id_col, meta_json_col, input_col, record_col, error_col]
    missing = [c for c in wanted if c is not None and c not in names]
    if missing:
        raise SparkError(f"no column {missing[0]!r} in the DataFrame (columns: {', '.join(df.columns)})")
    if meta_cols is None:
        meta_cols = [c for c in META_FIELDS if c in names and c not in wanted]
    else:
        absent = [c for c in meta_cols if c not in names]
        if absent:
            raise SparkError(f"no meta column {absent[0]!r} in the DataFrame")
    # Only what the workers need travels to Python, as strings where it is meta.
    selected = [F.col(text_col).cast("string").alias(text_col)]
    selected += [F.col(c).cast("string").alias(c) for c in meta_cols]
    selected += [F.col(c) for c in (id_col, meta_json_col, input_col, record_col, error_col)
                 if c is not None and c not in meta_cols and c != text_col]
    columns = _Columns(text_col, id_col, tuple(meta_cols), meta_json_col, input_col, record_col, error_col)
    version = __version__

    def work(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _analyze_arrow(batches, settings, columns, version)

    return df.select(*selected).mapInArrow(work, result_schema())



# --- reading inputs --------------------------------------------------------------------------

# The columns of the frame of read records that `analyze_frame` takes in a run.
READ_SCHEMA = "input string, record string, id string, text string, meta_json string, read_error string"
READ_COLUMNS = ("input", "record", "id", "text", "meta_json", "read_error")


def _local_path(uri: str) -> str:
    """A file: URI as Spark's binaryFile source writes it, back to a path."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def _name_below(uri: str, root: str) -> str:
    """The file's path below the folder given as input, or its name when the
    input was the file itself: how `read.expand_input` names it (its record,
    and the id of a text or HTML file)."""
    path = _local_path(uri)
    root_path = _local_path(os.path.abspath(root) if "://" not in root else root).rstrip("/")
    marker = root_path + "/"
    return path[len(marker):] if path.startswith(marker) else os.path.basename(path)


def _input_name(uri: str, root: str, name: str) -> str:
    """The `input` column as `sayso run` fills it: the path as reached from the command line."""
    if "://" in root:
        return uri
    return str(Path(root) / name) if os.path.isdir(root) else str(Path(root))


def read_file_records(uri: str, data: bytes, root: str, settings: Settings) -> Iterator[tuple[Any, ...]]:
    """The records of one input file's bytes, as READ_SCHEMA tuples, read by
    `read.read_file` exactly as `sayso run` reads the file: the bytes are put
    in a private temporary file of the same name (the readers take paths),
    read, and the file removed. Bad records carry `read_error`."""
    from sayso.corpus.read import BadRecord, format_of, read_file

    name = _name_below(uri, root)
    input_name = _input_name(uri, root, name)
    fmt = settings.input_format or format_of(name) or "txt"
    with tempfile.TemporaryDirectory(prefix="sayso-spark-") as tmp:
        local = Path(tmp) / os.path.basename(name)
        local.write_bytes(data)
        for record in read_file(local, name, fmt, settings):
            if isinstance(record, BadRecord):
                yield (input_name, record.record, None, None, None, record.reason)
            else:
                yield (input_name, record.record, record.id, record.text,
                       json.dumps(record.meta, ensure_ascii=False), None)


def _is_parquet(path: str) -> bool:
    if path.lower().endswith(".parquet"):
        return True
    local = Path(_local_path(path))
    if not local.is_dir():
        return False
    files = [p for p in local.rglob("*") if p.is_file() and not p.name.startswith(("_", "."))]
    return bool(files) and all(p.name.endswith(".parquet") for p in files)


def read_inputs(spark: SparkSession, inputs: Sequence[str], settings: Settings = Settings()) -> DataFrame:
    """A frame of READ_SCHEMA rows: the records of files and folders (read as
    `sayso run` reads them; in folders, only files of a known kind) and of
    Parquet datasets with a text column. Paths may be URIs Spark can read."""
    from pyspark.sql import functions as F

    from sayso.corpus.read import format_of

    frames = []
    files: list[str] = []
    for given in inputs:
        if "://" not in given and not os.path.exists(given):
            raise SparkError(f"{given}: no such file or folder")
        if "://" not in given and os.path.isdir(given) and settings.input_format is None \
                and (Path(given) / "text").is_dir() and (Path(given) / "attributions").is_dir():
            raise SparkError(f"{given}: a PolNeAR folder; give its text/ folders to `sayso spark`")
        if _is_parquet(given):
            frames.append(_read_parquet(spark, given, settings))
        else:
            files.append(given)
    if files:
        binary = None
        for given in files:
            found = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(given)
                     .select("path", "content").withColumn("root", F.lit(given)))
            binary = found if binary is None else binary.unionByName(found)
        assert binary is not None
        explicit = {os.path.abspath(f) for f in files if "://" not in f} | {f for f in files if "://" in f}

        def read_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            # mapInArrow, like the analysis: the same (reused) Python workers do both.
            import pyarrow as pa

            schema = pa.schema([(n, pa.string()) for n in READ_COLUMNS])
            for batch in batches:
                for row in batch.to_pylist():
                    given_itself = _local_path(row["path"]) in explicit or row["path"] in explicit
                    if not given_itself and settings.input_format is None and format_of(row["path"]) is None:
                        continue  # not an article file, inside a folder (as `sayso run` passes it over)
                    records = read_file_records(row["path"], row["content"], row["root"], settings)
                    while chunk := list(islice(records, 1000)):
                        yield pa.RecordBatch.from_pylist([dict(zip(READ_COLUMNS, r, strict=True)) for r in chunk],
                                                         schema)

        frames.append(binary.mapInArrow(read_batches, READ_SCHEMA))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _read_parquet(spark: SparkSession, path: str, settings: Settings) -> DataFrame:
    """Records of a Parquet dataset: the text and id columns named as for
    jsonl, meta from the columns named like meta fields."""
    from pyspark.sql import functions as F

    df = spark.read.parquet(path)
    if settings.text_field not in df.columns:
        raise SparkError(f"{path}: no text column {settings.text_field!r} (columns: {', '.join(df.columns)}); "
                         "name it with --text-field")
    meta = [c for c in META_FIELDS if c in df.columns and c not in (settings.text_field, settings.id_field)]
    meta_json = F.to_json(F.struct(*[F.col(c).cast("string").alias(c) for c in meta])) if meta else F.lit(None)
    # Without an id, the hash of the text, as `record.text_id` makes it.
    text_hash = F.concat(F.lit("sha1:"), F.substring(F.sha1(F.col(settings.text_field).cast("string")), 1, 16))
    id_col = F.coalesce(F.col(settings.id_field).cast("string"), text_hash) if settings.id_field in df.columns \
        else text_hash
    return df.select(
        F.lit(path).alias("input"),
        id_col.alias("record"),
        id_col.alias("id"),
        F.col(settings.text_field).cast("string").alias("text"),
        meta_json.cast("string").alias("meta_json"),
        F.when(F.col(settings.text_field).isNull(), F.lit("no text")).cast("string").alias("read_error"),
    )


# --- sayso spark: writing exactly once ----------------------------------------------------------
#
# A run writes its four datasets into a staging folder of its own,
# OUT/_staging/BATCH/{attributions,sources,errors,documents}, then commits:
# it creates OUT/_staging/BATCH/_COMMITTING (one atomic file creation: from here
# on the batch is complete), moves every staged Parquet file to the same place
# under OUT/TABLE/ (documents last), and deletes the staging folder. A file's
# name carries Spark's unique job id, so no move overwrites anything. Every run
# starts by finishing what an earlier one left: a staged batch with the marker
# is committed (the moves are idempotent: what is already moved is not there
# any more), one without it is deleted (it never counted: its documents are
# not in OUT/documents, so this run analyses them again). Documents whose id is
# in OUT/documents are not analysed, and an error already in OUT/errors (same
# input and record) is not written again, so no dataset ever holds a row twice,
# whatever was killed when. Files are handled by Hadoop's FileSystem API, so
# the same holds on HDFS or object stores Spark writes to.

STAGING = "_staging"
COMMITTING = "_COMMITTING"
RUNNING = "_RUNNING"  # OUT/_staging/_RUNNING: the host and process id of the run writing there
WRITE_ORDER = ("attributions", "sources", "errors", "documents")  # documents last: a document is done
ERROR_KEY = ("input", "record")
KEY_COLUMN = "_key"  # the shuffle key of a run's records (see run_spark)


class OutputFolder:
    """The output folder of `sayso spark`, through Hadoop's FileSystem API (a
    local path or any URI Spark writes to)."""

    def __init__(self, spark: SparkSession, root: str):
        jvm = spark._jvm  # type: ignore[attr-defined]
        assert jvm is not None
        self._path_class = jvm.org.apache.hadoop.fs.Path
        self._scanner = lambda stream: jvm.java.util.Scanner(stream, "UTF-8").useDelimiter("\\A")
        uri = root if "://" in root or root.startswith("dbfs:") else Path(root).resolve().as_uri()
        base = self._path_class(uri.rstrip("/"))
        self.fs = base.getFileSystem(spark._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
        self.root = self.fs.makeQualified(base)

    def path(self, relative: str = "") -> Any:
        return self.root if not relative else self._path_class(self.root, relative)

    def uri(self, relative: str = "") -> str:
        return str(self.path(relative).toString())

    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(self.path(relative)))

    def is_file(self, relative: str = "") -> bool:
        return bool(self.fs.exists(self.path(relative))) and bool(self.fs.getFileStatus(self.path(relative)).isFile())

    def folders(self, relative: str) -> list[str]:
        if not self.exists(relative):
            return []
        return sorted(str(st.getPath().getName()) for st in self.fs.listStatus(self.path(relative)) if st.isDirectory())

    def data_files(self, relative: str) -> list[str]:
        """The Parquet files below a folder, as paths relative to it (hidden
        names, Spark's _SUCCESS and _temporary, and checksums left out)."""
        if not self.exists(relative):
            return []
        base = self.path(relative).toUri().getPath().rstrip("/") + "/"
        found = []
        files = self.fs.listFiles(self.path(relative), True)
        while files.hasNext():
            path = str(files.next().getPath().toUri().getPath())
            below = path[len(base):] if path.startswith(base) else path
            if below.endswith(".parquet") and not any(part.startswith(("_", ".")) for part in below.split("/")):
                found.append(below)
        return sorted(found)

    def has_data(self, relative: str) -> bool:
        return bool(self.data_files(relative))

    def move(self, source: str, target: str) -> None:
        src, dst = self.path(source), self.path(target)
        self.fs.mkdirs(dst.getParent())
        if not self.fs.rename(src, dst):
            if self.fs.exists(dst) and not self.fs.exists(src):
                return  # moved already
            raise SparkError(f"cannot move {self.uri(source)} to {self.uri(target)}")

    def delete(self, relative: str) -> None:
        self.fs.delete(self.path(relative), True)

    def create_new(self, relative: str, text: str = "") -> bool:
        """Create a file unless it exists (atomically where the file system can); True if created."""
        path = self.path(relative)
        self.fs.mkdirs(path.getParent())
        if not text:
            return bool(self.fs.createNewFile(path))
        try:
            stream = self.fs.create(path, False)  # no overwrite: fails if the file exists
        except Exception:
            if self.fs.exists(path):
                return False
            raise
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        return True

    def read_text(self, relative: str) -> str:
        stream = self.fs.open(self.path(relative))
        try:
            jvm_scanner = self._scanner(stream)
            return str(jvm_scanner.next()) if jvm_scanner.hasNext() else ""
        finally:
            stream.close()


def _owner() -> str:
    import socket

    return f"{socket.gethostname()} {os.getpid()}"


def _lock(folder: OutputFolder) -> None:
    """Claim the output folder for this run: one run at a time writes there
    (a run would delete another's uncommitted batch as left by a killed run).
    A claim of a process that no longer runs on this host is taken over."""
    lock = f"{STAGING}/{RUNNING}"
    for _ in range(2):
        if folder.create_new(lock, _owner()):
            return
        try:
            holder = folder.read_text(lock).split()
        except Exception:
            holder = []
        import socket

        if len(holder) == 2 and holder[0] == socket.gethostname() and holder[1].isdigit() \
                and not _alive(int(holder[1])):
            folder.delete(lock)  # left by a killed run
            continue
        who = " ".join(holder) or "another run"
        raise SparkError(f"{folder.uri()} is being written by another `sayso spark` (host and process: {who}); "
                         f"if that run is gone, delete {folder.uri(lock)}")
    raise SparkError(f"cannot claim {folder.uri()} (delete {folder.uri(lock)})")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _commit(folder: OutputFolder, batch: str) -> None:
    """Move a complete staged batch into the datasets (idempotent), then delete its staging folder."""
    staged = f"{STAGING}/{batch}"
    for table in WRITE_ORDER:
        for name in folder.data_files(f"{staged}/{table}"):
            folder.move(f"{staged}/{table}/{name}", f"{table}/{name}")
    folder.delete(staged)


def recover(folder: OutputFolder) -> list[str]:
    """Finish what killed runs left under OUT/_staging: commit the batches
    that were complete, delete those that were not. Returns the batches committed."""
    committed = []
    for batch in folder.folders(STAGING):
        if folder.exists(f"{STAGING}/{batch}/{COMMITTING}"):
            _commit(folder, batch)
            committed.append(batch)
        else:
            folder.delete(f"{STAGING}/{batch}")
    return committed


def _month(published: Any) -> Any:
    from pyspark.sql import functions as F

    prefix = F.regexp_extract(published, r"^(\d{4}-\d{2})", 1)
    return F.when(prefix != "", prefix).otherwise(F.lit(UNKNOWN_MONTH))


def _id_key(id_col: Any) -> Any:
    """The shuffle key (KEY_COLUMN) of a record read with this id, and of a document done."""
    from pyspark.sql import functions as F

    return F.concat(F.lit("id\0"), id_col)


_WARM_TEXT = "The minister said the plan was ready."


def warm_up(spark: SparkSession, settings: Settings = Settings()) -> None:
    """The last step of start-up: each executor fetches and unpacks its environment
    and each of its Python workers loads the model, by analysing one sentence per
    task slot (twice as many tasks as slots, so that every executor gets some).
    Python workers are reused across jobs, so the run's tasks find the model
    loaded: none of them pays for it, and they take about as long as each other."""
    slots = max(1, spark.sparkContext.defaultParallelism)
    frame = spark.createDataFrame([(_WARM_TEXT,)] * (2 * slots), "text string").repartition(2 * slots)
    analyze_frame(frame, "text", None, meta_cols=[], settings=settings).count()


def run_spark(inputs: Sequence[str], out: str, *, master: str | None = "local[2]", partitions: int | None = None,
              settings: Settings = Settings(), ui: bool = False, env: str | None = None,
              config: dict[str, str] | None = None, spark: SparkSession | None = None, link: bool = False,
              entities: Sequence[Any] = ()) -> RunSummary:
    """`sayso spark`: analyse the inputs and add them to the Parquet datasets
    documents, attributions, sources (partitioned by the article's month) and
    errors under `out`, each row exactly once: documents whose id is already
    in `out/documents` are skipped, so re-running finishes an interrupted run,
    and a run's rows become visible together when it commits (see above).
    `env` and `config` go to `spark_session` (a packed environment for the
    executors, Spark settings). With `link`, the whole output is then linked
    (`link_outputs`, anchored to the knowledge base `entities`)."""
    _require_pyspark()
    from py4j.protocol import Py4JError
    from pyspark import StorageLevel
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    summary = RunSummary()
    started = time.perf_counter()
    out_dir = out.rstrip("/") or out
    if "://" not in out_dir and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise SparkError(f"{out}: exists and is not a folder")
    # Stop the session at the end only if this run started it (never a notebook's or a caller's).
    own_session = spark is None and SparkSession.getActiveSession() is None
    if spark is None:
        spark = spark_session(master, ui=ui, env=env, config=config)
    cached: list[DataFrame] = []
    folder: OutputFolder | None = None
    locked = False
    try:
        warm_up(spark, settings)
        summary.startup_seconds = time.perf_counter() - started
        folder = OutputFolder(spark, out_dir)
        _lock(folder)
        locked = True
        recover(folder)
        batch = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{os.urandom(4).hex()}"
        staged = f"{STAGING}/{batch}"

        # One shuffle, by a key that is the id of a record read, spreads the records over the
        # analysis tasks and brings the copies of an id together: dropping them (an id given twice
        # is analysed once, as the store keeps it once) and the documents already done then need
        # no shuffle of their own. A record that could not be read keys by where it came from.
        n = partitions or 4 * spark.sparkContext.defaultParallelism
        key = F.when(F.col("read_error").isNull(), _id_key(F.col("id"))).otherwise(
            F.concat_ws("\0", F.lit("error"), F.col("input"), F.col("record"), F.col("read_error")))
        records = (read_inputs(spark, inputs, settings).withColumn(KEY_COLUMN, key).repartition(n, KEY_COLUMN)
                   .persist(StorageLevel.DISK_ONLY))
        cached.append(records)
        read = records.count()
        todo = records.dropDuplicates([KEY_COLUMN])
        if folder.has_data("documents"):
            done = spark.read.parquet(folder.uri("documents")).select(_id_key(F.col("id")).alias(KEY_COLUMN))
            todo = todo.join(done, KEY_COLUMN, "left_anti")
        results = analyze_frame(todo, "text", "id", meta_cols=[], meta_json_col="meta_json", input_col="input",
                                record_col="record", error_col="read_error", settings=settings)
        results = results.withColumn(PARTITION_COLUMN, _month(F.col("published"))).persist(StorageLevel.DISK_ONLY)
        cached.append(results)
        counts = {r["failed"]: r["count"] for r in
                  results.groupBy(F.col("error").isNotNull().alias("failed")).count().collect()}
        summary.analysed = counts.get(False, 0)
        summary.failed = counts.get(True, 0)
        summary.skipped = read - summary.analysed - summary.failed

        # One write task per core, not per analysis task: each costs as much to start as it
        # takes to write an analysis task's rows, and fewer files are quicker to read.
        ok = results.where(F.col("error").isNull()).coalesce(spark.sparkContext.defaultParallelism)
        errors = results.where(F.col("error").isNotNull()).select(
            "input", "record", F.col("error").alias("reason"), F.col("processed_at").alias("at"))
        errors = errors.dropDuplicates(list(ERROR_KEY))
        new_errors = summary.failed
        if new_errors and folder.has_data("errors"):  # a record's error is kept once, from the run that met it first
            seen = spark.read.parquet(folder.uri("errors")).select(*ERROR_KEY)
            errors = errors.join(seen, [errors[k].eqNullSafe(seen[k]) for k in ERROR_KEY], "left_anti")
            new_errors = errors.count()
        frames = {"documents": ok.select(*COLUMNS["documents"], PARTITION_COLUMN), "errors": errors}
        for table in ("attributions", "sources"):
            frames[table] = ok.select(F.explode(table).alias("row"), PARTITION_COLUMN).select("row.*",
                                                                                            PARTITION_COLUMN)
        writes = []
        for table in WRITE_ORDER:
            if (table == "errors" and new_errors == 0) or (table != "errors" and summary.analysed == 0):
                continue
            writer = frames[table].write.mode("overwrite")
            if table != "errors":
                writer = writer.partitionBy(PARTITION_COLUMN)
            writes.append(partial(writer.parquet, folder.uri(f"{staged}/{table}")))
        # The staged datasets are written side by side, as jobs of their own (they only read the
        # cached results): nothing counts before the commit, so their order does not matter here.
        with ThreadPoolExecutor(max_workers=max(1, len(writes))) as pool:
            for future in [pool.submit(write) for write in writes]:
                future.result()
        if folder.exists(staged):
            if not folder.create_new(f"{staged}/{COMMITTING}"):
                raise SparkError(f"cannot commit {folder.uri(staged)}")
            _commit(folder, batch)
        if link and folder.has_data("documents"):
            link_outputs(spark, out_dir, entities)
    except (PySparkException, Py4JError) as exc:  # a failed job: one line, not a JVM stack trace
        raise SparkError(f"the Spark run failed: {root_cause(exc)}") from None
    finally:
        for frame in cached:
            with contextlib.suppress(Exception):  # a session that is gone has nothing cached
                frame.unpersist()
        if locked and folder is not None:
            with contextlib.suppress(Exception):
                folder.delete(f"{STAGING}/{RUNNING}")
                if not folder.folders(STAGING) and not folder.fs.listStatus(folder.path(STAGING)):
                    folder.delete(STAGING)
        if own_session:
            spark.stop()
    summary.seconds = time.perf_counter() - started
    return summary


# --- sayso import ----------------------------------------------------------------------------


def _has_parquet(path: Path) -> bool:
    return path.is_dir() and any(p for p in path.rglob("*.parquet") if not p.name.startswith((".", "_")))


def _parquet_glob(directory: Path, table: str) -> str | None:
    return str(directory / table / "**" / "*.parquet") if _has_parquet(directory / table) else None


def import_parquet(db: str | os.PathLike[str], directory: str | os.PathLike[str]) -> dict[str, int]:
    """`sayso import`: load the Parquet output of `sayso spark` into a
    DuckDB corpus store (created if absent), by `store.load_parquet`, and
    link it (the links of `sayso spark --link`, or `run.link_corpus`).
    Returns the rows added per table (entities and trails: linking's)."""
    from sayso.corpus.store import counts, load_parquet, open_store

    folder = Path(directory)
    if not folder.is_dir():
        raise SparkError(f"{directory}: no such folder")
    if not _has_parquet(folder / "documents") and not _has_parquet(folder / "errors"):
        raise SparkError(f"{directory}: no Parquet output of `sayso spark` (no documents/ or errors/ datasets)")
    con = open_store(db)
    try:
        before = counts(con)
        load_parquet(con, {t: pattern for t in TABLES if (pattern := _parquet_glob(folder, t))
                           if t not in LINK_DATASETS})
        # The links `sayso spark --link` made go into a store that has none yet; a store already
        # linked (or an output without them) is linked here, incrementally, as `sayso run` ends.
        already = con.execute("SELECT count(*) FROM entities").fetchone()[0]  # type: ignore[index]
        if not already and all(_has_parquet(folder / name) for name in LINK_DATASETS):
            load_links(con, {name: str(folder / name / "**" / "*.parquet") for name in LINK_DATASETS})
        else:
            from sayso.corpus.run import link_corpus

            link_corpus(con)
        after = counts(con)
        return {t: after[t] - before[t] for t in TABLES}
    finally:
        con.close()


# --- corpus entities and quotation trails on Spark ---------------------------------------------
#
# `link_outputs` links the whole Parquet output of `sayso spark` with the functions `sayso run`
# uses, so that the same input gives the same entities and trails, ids included (documents are
# ordered as `sayso import` numbers them). What grows with the corpus runs on the executors as
# DataFrame operations; the driver holds two small graphs: the ties between blocking keys and the
# accepted quotation pairs. Each call links the output afresh (the same output gives the same ids).
#
# Entities. Executors: each article's mentions and their context (`entities.mention_context`),
# each mention's blocking key (`entities.block_of`; the acronyms the corpus uses are a join), and
# what ties its block to others. Linking one block reads and changes another only through first
# names (a bare "Hillary" or "Ryan" may join the entity of a full name of another surname, depending
# on how many sources every person of that first name has so far: see `entities.first_name_keys`)
# and knowledge-base entries (an entry's entity gets the entry's first name). Blocks tied that way,
# directly or not, must be linked together, in store order, to decide as one Linker does; so a group
# is a connected component of the (block, first name or entry) ties, a first name counting only if
# someone is called by it alone. The ties are few and distinct: the driver finds the components by
# union-find and sends back one group per block. This is the price of being exact: a first name
# used alone puts all blocks of people of that first name in one task. Executors then run `Linker`
# (`applyInPandas`) over buckets of whole groups: groups share no state, so a Linker over several
# decides for each as over all mentions. Entities are renumbered by `Linker.made_at`, the order one
# Linker over all mentions makes them in.
#
# Trails. Executors: each quotation's wording, each distinct wording's MinHash signature and band
# values (`trails.signatures`, `trails.band_key`); the candidate pairs of `trails.candidate_pairs`
# (wordings with the same value in a band, each paired with the first and the previous one in store
# order, never all pairs) as a window over (band, value); the check of each pair
# (`trails.same_quotation`). The driver gets the accepted pairs only, for a union-find, and sends
# back each clustered wording's cluster; executors make each cluster a trail or not
# (`trails.trail_members`) and its row (`trails.trail_row`). Trails are numbered in the order of
# their first quotation, as `trails.cluster` numbers them, and entities the same way: by a
# distributed sort (`_numbered`).

LINK_DATASETS = ("entities", "trails", "source_entities", "attribution_trails")
_ORDER_COLUMNS = ("input", "record_number", "record", "id")
_PAIR = ("a_seq", "a_position", "b_seq", "b_position")  # two wordings, each by its first quotation


def _ordered_documents(spark: SparkSession, folder: OutputFolder) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    docs = spark.read.parquet(folder.uri("documents")).select("id", "input", "record", "published", "outlet", "text")
    docs = docs.withColumn("record_number", F.expr("try_cast(record AS BIGINT)"))
    order = Window.orderBy(*(F.col(c).asc_nulls_last() for c in _ORDER_COLUMNS))  # as DuckDB sorts
    return docs.withColumn("seq", F.row_number().over(order))


def _numbered(frame: DataFrame, keys: Sequence[str], order: Sequence[str], name: str) -> DataFrame:
    """The `keys` of each row of `frame` with `name` = 1, 2, … in the order of
    the `order` columns (a total order): a distributed sort and zipWithIndex,
    not a window that moves every row to one task. Persisted (the caller unpersists)."""
    from pyspark.sql import types as T

    fields = {f.name: f for f in frame.schema.fields}
    schema = T.StructType([fields[k] for k in keys] + [T.StructField(name, T.LongType(), False)])
    ordered = frame.select(*order, *(k for k in keys if k not in order)).orderBy(*order)
    at = [ordered.columns.index(k) for k in keys]
    rows = ordered.rdd.zipWithIndex().map(lambda row_n: (*(row_n[0][i] for i in at), row_n[1] + 1))
    return frame.sparkSession.createDataFrame(rows, schema).persist()


def _components(edges: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    """Node -> the least node of its connected component (union-find)."""
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            ra, rb = min(ra, rb), max(ra, rb)
            parent[rb] = ra  # the least node stays the root
    return {x: find(x) for x in parent}


def _nan(value: Any) -> Any:
    """A pandas cell as Python: None for a null (NaN in a numeric column)."""
    import pandas as pd

    return None if value is None or (not isinstance(value, list | tuple) and pd.isna(value)) else value


def _mention_contexts(pdf: Any) -> Any:
    """One document's linkable sources with their context (`entities.mention_context`), as JSON,
    with what blocking needs: the acronym a capitalised name makes known, the one a name could
    block by (`entities.registered_acronym`, `entities.acronym`)."""
    import dataclasses

    import pandas as pd

    from sayso.corpus.entities import acronym, mention_context, mentions_of_rows, registered_acronym

    columns = ["doc_id", "id", "name", "type", "description", "n_attributions", "mentions", "seq", "position",
               "published"]
    rows = [tuple(_nan(v) for v in r) for r in pdf[columns].itertuples(index=False)]
    out = []
    for doc_mentions in mentions_of_rows(sorted(rows, key=lambda r: r[8])).values():
        mention_context(doc_mentions, str(pdf["text"].iloc[0]))
        out += doc_mentions
    return pd.DataFrame({"mention": [json.dumps(dataclasses.asdict(m), ensure_ascii=False) for m in out],
                         "type": [m.type for m in out], "name": [m.name for m in out],
                         "registers": [registered_acronym(m.type, m.name) for m in out],
                         "short": [acronym(m.name) for m in out]})


def _mention_of(text: str) -> Any:
    from sayso.corpus.entities import Mention

    fields = json.loads(text)
    fields["order"], fields["mention_texts"] = tuple(fields["order"]), tuple(fields["mention_texts"])
    fields["co_keys"] = tuple(fields["co_keys"])
    return Mention(**fields)


def _node(kind: str, value: Any) -> Any:
    """A node of the graph of blocking ties, as a string column: b:TYPE|KEY, f|FIRST, kb|ID."""
    from pyspark.sql import functions as F

    return F.concat(F.lit(f"{kind}|"), value)


def _block_node(block: tuple[str, str]) -> str:
    return f"b:{block[0]}|{block[1]}"


def _mention_keys(kb: Any) -> Any:
    """mapInPandas: each mention that names someone, with its block (as a node), the acronym its
    block is (when it is one), the first name it files or looks up, its knowledge-base entry."""

    def keys(batches: Iterable[Any]) -> Iterator[Any]:
        import pandas as pd

        from sayso.corpus.entities import Linker, block_of, first_name_keys

        linker = Linker(kb=kb.value)  # only to look up the knowledge base as linking does
        columns = ["mention", "block", "acronym", "files", "asks", "kb"]
        for pdf in batches:
            rows = []
            for mention, type_, name, short, known in pdf[["mention", "type", "name", "short", "known"]].itertuples(
                    index=False):
                block = block_of(type_, name, (short,) if known else ())
                if block is None:
                    continue
                files, asks = first_name_keys(name) if block[0] == "person" else (None, None)
                entry = linker.kb_entry_of(block[0], name)
                rows.append((mention, _block_node(block), short if known and block == ("organization", short)
                             else None, files, asks, entry.id if entry else None))
            yield pd.DataFrame(rows, columns=columns)

    return keys


def _link_buckets(kb: Any) -> Any:
    """applyInPandas: one Linker over a bucket of whole groups of mentions. Rows: each entity it made
    (`local` id, `Linker.made_at`, its `entities` row without id as JSON), then each mention's
    entity (`local`, doc_id, id; made_at -1)."""

    def link(pdf: Any) -> Any:
        import pandas as pd

        from sayso.corpus.entities import Linker, entity_row

        bucket = int(pdf["bucket"].iloc[0])
        linker = Linker(kb=kb.value)
        # The acronyms the whole corpus knows that these blocks are (see `_mention_keys`).
        linker.acronyms.update(a for a in pdf["acronym"] if isinstance(a, str))
        assigned = linker.link([_mention_of(m) for m in pdf["mention"]])
        rows = []
        for e in linker.entities.values():
            phase, (block_seq, block_position) = linker.made_at[e.id]
            row = entity_row(e)
            del row["id"]
            rows.append((bucket, e.id, phase, block_seq, block_position, None, None,
                         json.dumps(row, ensure_ascii=False)))
        rows += [(bucket, local, -1, -1, -1, doc_id, id_, None) for (doc_id, id_), local in assigned.items()]
        return pd.DataFrame(rows, columns=["bucket", "local", "phase", "block_seq", "block_position", "doc_id",
                                           "id", "entity"])

    return link


_LINKED_SCHEMA = ("bucket int, local long, phase int, block_seq long, block_position long, doc_id string, "
                  "id string, entity string")


def mention_groups(spark: SparkSession, sources: DataFrame, docs: DataFrame, kb: Broadcast[list[Any]]) -> DataFrame:
    """The mentions of these source rows (the `sources` dataset) of these
    documents (with `seq`) that name someone, each with its context (`mention`,
    as JSON), its `block` and its `group`: the blocks whose linking ties them
    (see the comment above), named by one of them. `acronym` is the block's
    key when that is an acronym the corpus uses. `kb`: the knowledge base.
    Persisted: the caller unpersists it."""
    from pyspark.sql import functions as F

    from sayso.corpus.entities import LINKED_TYPES, block_of, first_name_keys

    sources = sources.where(F.col("type").isin(*LINKED_TYPES))
    joined = sources.join(docs.select(F.col("id").alias("doc_id"), "seq", "published", "text"), "doc_id")
    contexts = joined.groupBy("doc_id").applyInPandas(
        _mention_contexts, "mention string, type string, name string, registers string, short string")
    known = contexts.where(F.col("registers").isNotNull()).select(F.col("registers").alias("short")).distinct() \
        .withColumn("known", F.lit(True))
    contexts = contexts.join(known, "short", "left").withColumn("known", F.coalesce("known", F.lit(False)))
    keyed = contexts.mapInPandas(_mention_keys(kb), "mention string, block string, acronym string, "
                                                    "files string, asks string, kb string").persist()

    # The ties between blocks (see above): a first name ties the blocks that file it to those that
    # look it up, and only then (a first name nobody looks up alone ties nothing).
    asked = keyed.where(F.col("asks").isNotNull()).select(F.col("asks").alias("first")).distinct()
    kb_ties = []
    for entry in kb.value:
        block = block_of(entry.type, entry.name)  # as Linker() blocks its entries: no acronyms known yet
        if block is not None:
            first = first_name_keys(entry.name)[0] if entry.type == "person" else None
            kb_ties.append((f"kb|{entry.id}", _block_node(block), None))
            if first:
                kb_ties.append((f"kb|{entry.id}", f"f|{first}", first))
    none = F.lit(None).cast("string")
    ties = keyed.select(F.col("block").alias("a"), _node("f", F.col("asks")).alias("b"), none.alias("first")) \
        .unionByName(keyed.select(F.col("block").alias("a"), _node("f", F.col("files")).alias("b"),
                                  F.col("files").alias("first"))) \
        .unionByName(keyed.select(F.col("block").alias("a"), _node("kb", F.col("kb")).alias("b"),
                                  none.alias("first"))) \
        .unionByName(spark.createDataFrame(kb_ties, "a string, b string, first string")) \
        .where(F.col("b").isNotNull())
    ties = ties.where(F.col("first").isNull()).select("a", "b") \
        .unionByName(ties.join(asked, "first", "left_semi").select("a", "b")).distinct()
    group_of = _components((r["a"], r["b"]) for r in ties.collect())
    groups = spark.createDataFrame([(n, g) for n, g in group_of.items() if n.startswith("b:")],
                                   "block string, group string")
    grouped = keyed.join(groups, "block", "left").withColumn("group", F.coalesce("group", "block")).persist()
    grouped.count()  # made from `keyed` once, which can go
    keyed.unpersist()
    return grouped


def link_entities(spark: SparkSession, sources: DataFrame, docs: DataFrame, kb: Sequence[Any] = (),
                  buckets: int | None = None) -> tuple[DataFrame, DataFrame, list[Any]]:
    """The corpus entities of these source rows (the `sources` dataset) of
    these documents (with `seq`), as one `entities.Linker` over all of them in
    store order makes them, ids included: (entities, source_entities, what to
    unpersist). Each of `buckets` tasks links whole groups (`mention_groups`)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    kb_value = spark.sparkContext.broadcast(list(kb))
    grouped = mention_groups(spark, sources, docs, kb_value)
    kept: list[Any] = [kb_value, grouped]
    n = buckets or int(spark.conf.get("spark.sql.shuffle.partitions") or 200)  # a task each
    grouped = grouped.select(F.pmod(F.xxhash64("group"), F.lit(n)).cast("int").alias("bucket"), "mention", "acronym")
    linked = grouped.groupBy("bucket").applyInPandas(_link_buckets(kb_value), _LINKED_SCHEMA).persist()
    kept.append(linked)

    made = linked.where(F.col("phase") >= 0)
    ids = _numbered(made, ["bucket", "local"], ["phase", "block_seq", "block_position", "bucket", "local"],
                    "entity_id")
    kept.append(ids)
    fields = T.StructType([f for f in table_schema("entities").fields if f.name != "id"])
    entities = made.join(ids, ["bucket", "local"]).select(F.col("entity_id").alias("id"),
                                                          F.from_json("entity", fields).alias("e")) \
        .select("id", *(F.col(f"e.{f.name}").alias(f.name) for f in fields.fields))
    source_entities = linked.where(F.col("phase") < 0).join(ids, ["bucket", "local"]).select(
        "doc_id", "id", "entity_id")
    return entities, source_entities, kept


def _quotations(batches: Iterable[Any]) -> Iterator[Any]:
    """mapInPandas: the attributions that quote words (`trails.quotation_text`), with those words
    and their wording as compared (`trails.words_of`, joined by spaces)."""
    from sayso.corpus.trails import quotation_text, words_of

    for pdf in batches:
        texts = [quotation_text(k, _nan(c)) for k, c in zip(pdf["kind"], pdf["content_text"], strict=True)]
        quoted = [t for t in texts if t is not None]
        yield pdf.loc[[t is not None for t in texts], ["doc_id", "id", "position", "speaker", "source",
                                                       "source_type"]].assign(
            text=quoted, wording=[" ".join(words_of(t)) for t in quoted])


def _band_rows(batches: Iterable[Any]) -> Iterator[Any]:
    """mapInPandas: for each wording long enough to trace, one row per LSH band with its value
    there (`trails.signatures`, `trails.band_key`), signed 64-bit."""
    import numpy as np
    import pandas as pd

    from sayso.corpus.trails import BANDS, MIN_WORDS, band_key, signatures

    for pdf in batches:
        long = pdf[[len(w.split(" ")) >= MIN_WORDS for w in pdf["wording"]]] if len(pdf) else pdf
        if not len(long):
            continue
        sigs = signatures([w.split(" ") for w in long["wording"]])
        for band in range(BANDS):
            yield pd.DataFrame({"seq": long["seq"].to_numpy(), "position": long["position"].to_numpy(),
                                "band": np.full(len(long), band, dtype=np.int32),
                                "value": band_key(sigs, band).view(np.int64)})


def _accepted_pairs(batches: Iterable[Any]) -> Iterator[Any]:
    """mapInPandas: the candidate pairs of wordings that are one quotation (`trails.same_quotation`)."""
    from sayso.corpus.trails import same_quotation

    for pdf in batches:
        keep = [same_quotation(a.split(" "), b.split(" ")) for a, b in zip(pdf["a"], pdf["b"], strict=True)]
        yield pdf.loc[keep, list(_PAIR)]


def candidate_pairs(items: DataFrame) -> DataFrame:
    """The candidate pairs of `trails.candidate_pairs` as a DataFrame: `items`
    has one row per distinct wording (`wording`, and `seq`, `position` of its
    first quotation, which order and name it); wordings that have the same
    value in an LSH band are candidates, each paired with the first and the
    previous wording of that band value in store order (not all pairs: 40
    variants of a quotation cost 78 pairs, not 780). Rows: a_seq, a_position,
    b_seq, b_position, a before b, each pair once."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    bands = items.select("wording", "seq", "position").mapInPandas(
        _band_rows, "seq long, position long, band int, value long")
    run = Window.partitionBy("band", "value").orderBy("seq", "position")
    item = F.struct("seq", "position")
    heads = bands.select(item.alias("b"), F.first(item).over(run).alias("first"), F.lag(item).over(run).alias("prev")) \
        .where(F.col("prev").isNotNull())
    pairs = heads.select(F.col("first").alias("a"), "b").unionByName(heads.select(F.col("prev").alias("a"), "b"))
    return pairs.select(F.col("a.seq").alias("a_seq"), F.col("a.position").alias("a_position"),
                        F.col("b.seq").alias("b_seq"), F.col("b.position").alias("b_position")).distinct()


def _trail_rows(pdf: Any) -> Any:
    """applyInPandas: the clusters of a bucket made trails (`trails.trail_members`, `trails.trail_row`).
    Rows: each trail (its first quotation's seq and position, its `trails` row without id as JSON),
    then each of its quotations (doc_id, id)."""
    import pandas as pd

    from sayso.corpus.trails import Quote, trail_members, trail_row

    rows: list[tuple[Any, ...]] = []
    for _, part in pdf.groupby(["c_seq", "c_position"], sort=False):
        quotes, names = [], {}
        for r in part.itertuples(index=False):
            entity = None if _nan(r.entity) is None else int(r.entity)
            if entity is not None and _nan(r.entity_name) is not None:
                names[entity] = r.entity_name
            quotes.append(Quote(r.doc_id, r.id, r.text, (int(r.seq), int(r.position)), _nan(r.published),
                                _nan(r.outlet), entity, _nan(r.source), _nan(r.source_type)))
        quotes.sort(key=lambda q: q.order)
        members = trail_members(quotes)
        if members is None:
            continue
        row = trail_row(0, members, names)
        del row["id"]
        first = members[0].order
        rows.append((*first, json.dumps(row, ensure_ascii=False), None, None))
        rows += [(*first, None, q.doc_id, q.attribution_id) for q in members]
    return pd.DataFrame(rows, columns=["first_seq", "first_position", "trail", "doc_id", "id"])


def trace_quotations(spark: SparkSession, attributions: DataFrame, docs: DataFrame, entities: DataFrame,
                     source_entities: DataFrame, buckets: int | None = None) -> tuple[DataFrame, DataFrame,
                                                                                     list[Any]]:
    """The quotation trails of these attribution rows (the `attributions`
    dataset) of these documents (with `seq`), credited to the entities of
    `link_entities`, as `trails.trace` makes them on one machine: (trails,
    attribution_trails, frames to unpersist). See the comment above."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from sayso.corpus.trails import QUOTED_KINDS

    kept: list[Any] = []
    credited = source_entities.select("doc_id", F.col("id").alias("speaker"), F.col("entity_id").alias("entity"))
    quoted = attributions.where(F.col("kind").isin(*QUOTED_KINDS)).select(
        "doc_id", "id", "kind", "content_text", "position", "speaker",
        F.coalesce("source_name", "source_text").alias("source"), "source_type") \
        .mapInPandas(_quotations, "doc_id string, id string, position int, speaker string, source string, "
                                  "source_type string, text string, wording string") \
        .join(docs.select(F.col("id").alias("doc_id"), "seq", "published", "outlet"), "doc_id") \
        .join(credited, ["doc_id", "speaker"], "left") \
        .join(entities.select(F.col("id").alias("entity"), F.col("name").alias("entity_name")), "entity", "left") \
        .persist()
    kept.append(quoted)
    first = F.min(F.struct("seq", "position")).alias("first")  # a wording is named by its first quotation
    items = quoted.groupBy("wording").agg(first).select(
        "wording", *(F.col(f"first.{c}").cast("long").alias(c) for c in ("seq", "position"))).persist()
    kept.append(items)

    pairs = candidate_pairs(items)
    for side in ("a", "b"):
        pairs = pairs.join(items.select(F.col("seq").alias(f"{side}_seq"), F.col("position").alias(f"{side}_position"),
                                        F.col("wording").alias(side)), [f"{side}_seq", f"{side}_position"])
    accepted = pairs.select(*_PAIR, "a", "b").mapInPandas(_accepted_pairs, ", ".join(f"{c} long" for c in _PAIR))
    cluster_of = _components(((r[0], r[1]), (r[2], r[3])) for r in accepted.collect())
    clustered = spark.createDataFrame([(*item, *root) for item, root in cluster_of.items()],
                                      "seq long, position long, c_seq long, c_position long")

    n = buckets or int(spark.conf.get("spark.sql.shuffle.partitions") or 200)  # a task each
    of_item = items.join(clustered, ["seq", "position"], "left") \
        .select("wording", F.coalesce("c_seq", "seq").alias("c_seq"), F.coalesce("c_position", "position")
                .alias("c_position"))
    in_clusters = quoted.join(of_item, "wording")
    # Only clusters of two quotations or more can be trails: the others need not go to Python.
    sized = in_clusters.groupBy("c_seq", "c_position").count().where(F.col("count") >= 2).drop("count")
    made = in_clusters.join(sized, ["c_seq", "c_position"], "left_semi") \
        .withColumn("bucket", F.pmod(F.xxhash64("c_seq", "c_position"), F.lit(n))) \
        .groupBy("bucket").applyInPandas(_trail_rows, "first_seq long, first_position long, trail string, "
                                                      "doc_id string, id string").persist()
    kept.append(made)
    heads = made.where(F.col("trail").isNotNull())
    ids = _numbered(heads, ["first_seq", "first_position"], ["first_seq", "first_position"], "trail_id")
    kept.append(ids)
    fields = T.StructType([f for f in table_schema("trails").fields if f.name != "id"])
    trails = heads.join(ids, ["first_seq", "first_position"]).select(
        F.col("trail_id").alias("id"), F.from_json("trail", fields).alias("t")) \
        .select("id", *(F.col(f"t.{f.name}").alias(f.name) for f in fields.fields))
    attribution_trails = made.where(F.col("trail").isNull()).join(ids, ["first_seq", "first_position"]) \
        .select("doc_id", "id", "trail_id")
    return trails, attribution_trails, kept


@contextlib.contextmanager
def shuffle_partitions(spark: SparkSession, n: int | None = None) -> Iterator[int]:
    """Shuffles into `n` partitions while inside, then the session's setting
    again. By default 4 per core, unless the session was started with its own
    spark.sql.shuffle.partitions. Linking persists frames, and Spark does not
    coalesce the partitions of a persisted plan: at Spark's default of 200,
    every Python step after a shuffle would be 200 tasks, whatever the data."""
    key = "spark.sql.shuffle.partitions"
    before = spark.conf.get(key) or "200"
    if n is None and spark.sparkContext.getConf().contains(key):
        yield int(before)
        return
    n = n or 4 * spark.sparkContext.defaultParallelism
    spark.conf.set(key, str(n))
    try:
        yield n
    finally:
        spark.conf.set(key, before)


def link_outputs(spark: SparkSession, out: str, kb: Sequence[Any] = ()) -> dict[str, int]:
    """Link the sources of the Parquet output of `sayso spark` to corpus
    entities and trace its quotations into trails; writes the datasets
    entities, trails, source_entities (doc_id, id, entity_id) and
    attribution_trails (doc_id, id, trail_id) under `out` (replacing them),
    which `sayso import` loads with the rest. Returns the rows of each."""
    folder = OutputFolder(spark, out.rstrip("/") or out)
    if not folder.has_data("documents"):
        raise SparkError(f"{out}: no documents dataset of `sayso spark` to link")
    with shuffle_partitions(spark):
        return _link_outputs(spark, folder, kb)


def _link_outputs(spark: SparkSession, folder: OutputFolder, kb: Sequence[Any]) -> dict[str, int]:
    docs = _ordered_documents(spark, folder).persist()
    kept: list[Any] = [docs]  # persisted frames and the broadcast knowledge base
    try:
        entities, source_entities, more = link_entities(spark, spark.read.parquet(folder.uri("sources")), docs, kb)
        kept += more
        entities.write.mode("overwrite").parquet(folder.uri("entities"))
        source_entities.write.mode("overwrite").parquet(folder.uri("source_entities"))
        # The trails credit the entities as written (read back: no second linking).
        entities = spark.read.parquet(folder.uri("entities"))
        source_entities = spark.read.parquet(folder.uri("source_entities"))
        trails, attribution_trails, more = trace_quotations(
            spark, spark.read.parquet(folder.uri("attributions")), docs, entities, source_entities)
        kept += more
        trails.write.mode("overwrite").parquet(folder.uri("trails"))
        attribution_trails.write.mode("overwrite").parquet(folder.uri("attribution_trails"))
        return {name: spark.read.parquet(folder.uri(name)).count() for name in LINK_DATASETS}
    finally:
        for frame in kept:
            with contextlib.suppress(Exception):
                frame.unpersist()


def load_links(con: Any, patterns: dict[str, str]) -> None:
    """Load the datasets of `link_outputs` into a store (one transaction):
    its entities and trails tables replace the store's, and sources and
    attributions get their entity and trail ids."""
    from sayso.corpus.store import COLUMNS as STORE_COLUMNS
    from sayso.corpus.trails import LINKED_SEQ

    source = "read_parquet(?, hive_partitioning = false)"
    con.begin()
    try:
        for table in ("entities", "trails"):
            listed = ", ".join(f'"{c}"' for c in STORE_COLUMNS[table])
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT {listed} FROM {source}", [patterns[table]])
        con.execute(f"UPDATE sources SET entity_id = l.entity_id FROM {source} l "
                    "WHERE sources.doc_id = l.doc_id AND sources.id = l.id", [patterns["source_entities"]])
        con.execute(f"UPDATE attributions SET trail_id = l.trail_id FROM {source} l "
                    "WHERE attributions.doc_id = l.doc_id AND attributions.id = l.id", [patterns["attribution_trails"]])
        con.execute("INSERT OR REPLACE INTO info SELECT ?, CAST(coalesce(max(seq), 0) AS VARCHAR) FROM documents",
                    [LINKED_SEQ])
        con.commit()
    except Exception:
        con.rollback()
        raise
