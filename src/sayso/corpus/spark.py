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
from dataclasses import dataclass
from datetime import UTC, datetime
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

        records = read_inputs(spark, inputs, settings).persist(StorageLevel.DISK_ONLY)
        cached.append(records)
        read = records.count()
        good = records.where(F.col("read_error").isNull())
        bad = records.where(F.col("read_error").isNotNull())
        # An id given twice is analysed once, as the store keeps it once.
        good = good.dropDuplicates(["id"])
        if folder.has_data("documents"):
            done = spark.read.parquet(folder.uri("documents")).select("id")
            good = good.join(done, "id", "left_anti")
        todo = good.unionByName(bad)
        n = partitions or 4 * spark.sparkContext.defaultParallelism
        todo = todo.repartition(n)
        results = analyze_frame(todo, "text", "id", meta_cols=[], meta_json_col="meta_json", input_col="input",
                                record_col="record", error_col="read_error", settings=settings)
        results = results.withColumn(PARTITION_COLUMN, _month(F.col("published"))).persist(StorageLevel.DISK_ONLY)
        cached.append(results)
        counts = {r["failed"]: r["count"] for r in
                  results.groupBy(F.col("error").isNotNull().alias("failed")).count().collect()}
        summary.analysed = counts.get(False, 0)
        summary.failed = counts.get(True, 0)
        summary.skipped = read - summary.analysed - summary.failed

        ok = results.where(F.col("error").isNull())
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
        for table in WRITE_ORDER:
            if (table == "errors" and new_errors == 0) or (table != "errors" and summary.analysed == 0):
                continue
            writer = frames[table].write.mode("overwrite")
            if table != "errors":
                writer = writer.partitionBy(PARTITION_COLUMN)
            writer.parquet(folder.uri(f"{staged}/{table}"))
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
# uses, so that the same input gives the same entities and trails: the executors do the work
# that grows with the corpus's text (each article's mention context, each wording's MinHash
# signature), the driver the clustering of the compact rows that come back (mentions without
# texts; signatures, 512 bytes per distinct wording). Documents are ordered as `sayso import`
# numbers them. Each call links the output afresh (the same output gives the same ids).

LINK_DATASETS = ("entities", "trails", "source_entities", "attribution_trails")
_ORDER_COLUMNS = ("input", "record_number", "record", "id")


def _ordered_documents(spark: SparkSession, folder: OutputFolder) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    docs = spark.read.parquet(folder.uri("documents")).select("id", "input", "record", "published", "outlet", "text")
    docs = docs.withColumn("record_number", F.expr("try_cast(record AS BIGINT)"))
    order = Window.orderBy(*(F.col(c).asc_nulls_last() for c in _ORDER_COLUMNS))  # as DuckDB sorts
    return docs.withColumn("seq", F.row_number().over(order))


def _mention_contexts(pdf: Any) -> Any:
    """One document's linkable sources with their context (`entities.mention_context`), as JSON rows."""
    import dataclasses

    import pandas as pd

    from sayso.corpus.entities import mention_context, mentions_of_rows

    columns = ["doc_id", "id", "name", "type", "description", "n_attributions", "mentions", "seq", "position",
               "published"]
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in pdf[columns].itertuples(index=False)]
    out = []
    for doc_mentions in mentions_of_rows(sorted(rows, key=lambda r: r[8])).values():
        mention_context(doc_mentions, str(pdf["text"].iloc[0]))
        out += [json.dumps(dataclasses.asdict(m), ensure_ascii=False) for m in doc_mentions]
    return pd.DataFrame({"mention": out})


def _signature_rows(batches: Iterable[Any]) -> Iterator[Any]:
    import pandas as pd

    from sayso.corpus.trails import signatures

    for pdf in batches:
        words = [w.split(" ") for w in pdf["wording"]]
        sigs = signatures(words) if words else []
        yield pd.DataFrame({"wording": pdf["wording"], "signature": [s.tolist() for s in sigs]})


def link_outputs(spark: SparkSession, out: str, kb: Sequence[Any] = ()) -> dict[str, int]:
    """Link the sources of the Parquet output of `sayso spark` to corpus
    entities and trace its quotations into trails; writes the datasets
    entities, trails, source_entities (doc_id, id, entity_id) and
    attribution_trails (doc_id, id, trail_id) under `out` (replacing them),
    which `sayso import` loads with the rest. Returns the rows of each."""
    import numpy as np
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from sayso.corpus.entities import LINKED_TYPES, Linker, Mention, entity_row
    from sayso.corpus.trails import MIN_WORDS, quotes_of_rows, trace, words_of

    folder = OutputFolder(spark, out.rstrip("/") or out)
    if not folder.has_data("documents"):
        raise SparkError(f"{out}: no documents dataset of `sayso spark` to link")
    docs = _ordered_documents(spark, folder).persist()
    try:
        sources = spark.read.parquet(folder.uri("sources")).where(F.col("type").isin(*LINKED_TYPES))
        joined = sources.join(docs.select(F.col("id").alias("doc_id"), "seq", "published", "text"), "doc_id")
        contexts = joined.groupBy("doc_id").applyInPandas(_mention_contexts, "mention string")
        mentions = []
        for row in contexts.collect():
            fields = json.loads(row["mention"])
            fields["order"], fields["mention_texts"] = tuple(fields["order"]), tuple(fields["mention_texts"])
            fields["co_keys"] = tuple(fields["co_keys"])
            mentions.append(Mention(**fields))
        linker = Linker(kb=kb)
        assigned = linker.link(mentions)
        entity_rows = [entity_row(e) for e in sorted(linker.entities.values(), key=lambda e: e.id)]

        attributions = spark.read.parquet(folder.uri("attributions")).where(F.col("kind").isin("direct", "mixed"))
        quote_rows = attributions.join(docs.select(F.col("id").alias("doc_id"), "seq", "published", "outlet"),
                                       "doc_id").select(
            "doc_id", "id", "kind", "content_text", "seq", "position", "published", "outlet", "speaker",
            F.coalesce("source_name", "source_text").alias("source"), "source_type").collect()
        rows = [(r["doc_id"], r["id"], r["kind"], r["content_text"], r["seq"], r["position"], r["published"],
                 r["outlet"], assigned.get((r["doc_id"], r["speaker"])), r["source"], r["source_type"], None)
                for r in sorted(quote_rows, key=lambda r: (r["seq"], r["position"]))]
        quotes = quotes_of_rows(rows)
        wordings = sorted({" ".join(w) for q in quotes if len(w := words_of(q.text)) >= MIN_WORDS})
        frame = spark.createDataFrame([(w,) for w in wordings], "wording string")
        signed = frame.mapInPandas(_signature_rows, "wording string, signature array<long>").collect()
        by_wording = {r["wording"]: r["signature"] for r in signed}

        def sign(word_lists: list[list[str]]) -> Any:
            return np.array([by_wording[" ".join(w)] for w in word_lists], dtype=np.uint32)

        names = {r["id"]: r["name"] for r in entity_rows}
        trail_of, trail_rows = trace(quotes, names, 1, sign)
        written = {"entities": entity_rows, "trails": trail_rows,
                   "source_entities": [{"doc_id": k[0], "id": k[1], "entity_id": v} for k, v in assigned.items()],
                   "attribution_trails": [{"doc_id": k[0], "id": k[1], "trail_id": v} for k, v in trail_of.items()]}
        schemas = {"entities": table_schema("entities"), "trails": table_schema("trails"),
                   "source_entities": T.StructType([T.StructField("doc_id", T.StringType()),
                                                    T.StructField("id", T.StringType()),
                                                    T.StructField("entity_id", T.LongType())]),
                   "attribution_trails": T.StructType([T.StructField("doc_id", T.StringType()),
                                                       T.StructField("id", T.StringType()),
                                                       T.StructField("trail_id", T.LongType())])}
        for name, table_rows in written.items():
            columns = [f.name for f in schemas[name].fields]
            spark.createDataFrame([tuple(r[c] for c in columns) for r in table_rows], schemas[name]) \
                .write.mode("overwrite").parquet(folder.uri(name))
    finally:
        docs.unpersist()
    return {name: len(table_rows) for name, table_rows in written.items()}


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
