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
from sayso.corpus.store import COLUMNS, TABLES, first_line
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

# Quiet by default: only warnings and errors from Spark's own loggers, and
# not even those from the few that warn about harmless things on every start.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n%ex
logger.hadoop.name = org.apache.hadoop.util.NativeCodeLoader
logger.hadoop.level = error
logger.netutil.name = org.apache.spark.util.Utils
logger.netutil.level = error
logger.parquet.name = org.apache.parquet
logger.parquet.level = error
"""




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


def spark_session(master: str | None = "local[2]", *, ui: bool = False, app_name: str = "sayso",
                  config: dict[str, str] | None = None) -> SparkSession:
    """A SparkSession that is quiet (log level WARN) and private (UI off
    unless `ui`; in local mode the driver listens on 127.0.0.1 only, and the
    Python workers run this interpreter). `master` None leaves the master to
    spark-submit. Raises SparkError when pyspark or Java is missing."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    local = master is not None and bool(LOCAL_MASTER.match(master))
    builder = SparkSession.builder.appName(app_name)
    settings = {
        "spark.ui.enabled": "true" if ui else "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
    }
    # Only a JVM we start ourselves (not spark-submit's, not a notebook's) needs
    # Java found and its logging set before it starts.
    if SparkSession.getActiveSession() is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        os.environ["JAVA_HOME"] = find_java_home()
        log4j = Path(tempfile.gettempdir()) / "sayso-spark-log4j2.properties"
        if not log4j.exists() or log4j.read_text(encoding="utf-8") != _LOG4J2:
            log4j.write_text(_LOG4J2, encoding="utf-8")
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j}"
    if master is not None:
        builder = builder.master(master)
    if local:
        # Nothing listens on an outside interface, and the workers use this
        # interpreter (the system python has no spaCy).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        settings |= {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                     "spark.pyspark.python": sys.executable}
    settings |= config or {}
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say why in one line
        raise SparkError(f"cannot start Spark ({first_line(exc)})") from None
    session.sparkContext.setLogLevel("WARN")
    return session




# --- schemas ---------------------------------------------------------------------------------


def _spark_type(duckdb_type: str) -> DataType:
    from pyspark.sql import types as T

    return {"VARCHAR": T.StringType(), "JSON": T.StringType(), "BIGINT": T.LongType(),
            "INTEGER": T.IntegerType(), "DOUBLE": T.DoubleType(), "TIMESTAMP": T.TimestampNTZType()}[duckdb_type]


def _arrow_type(duckdb_type: str) -> pa.DataType:
    import pyarrow as pa

    return {"VARCHAR": pa.string(), "JSON": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
            "DOUBLE": pa.float64(), "TIMESTAMP": pa.timestamp("us")}[duckdb_type]


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


# --- sayso spark -----------------------------------------------------------------------------




def _has_parquet(path: Path) -> bool:
    return path.is_dir() and any(path.rglob("*.parquet"))


def _month(published: Any) -> Any:
    from pyspark.sql import functions as F

    prefix = F.regexp_extract(published, r"^(\d{4}-\d{2})", 1)
    return F.when(prefix != "", prefix).otherwise(F.lit(UNKNOWN_MONTH))


def run_spark(inputs: Sequence[str], out: str, *, master: str | None = "local[2]", partitions: int | None = None,
              settings: Settings = Settings(), ui: bool = False,
              spark: SparkSession | None = None) -> RunSummary:
    """`sayso spark`: analyse the inputs and append the Parquet datasets
    documents, attributions, sources (partitioned by the article's month) and
    errors under `out`. Documents whose id is already in `out/documents` are
    skipped, so re-running finishes an interrupted run; `documents` is written
    last, so a document counts as done only once its rows are all written."""
    _require_pyspark()
    from py4j.protocol import Py4JError
    from pyspark import StorageLevel
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    summary = RunSummary()
    started = time.perf_counter()
    # Stop the session at the end only if this run started it (never a notebook's or a caller's).
    own_session = spark is None and SparkSession.getActiveSession() is None
    if spark is None:
        spark = spark_session(master, ui=ui)
    summary.startup_seconds = time.perf_counter() - started
    out_dir = out.rstrip("/")
    if "://" not in out_dir and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise SparkError(f"{out}: exists and is not a folder")
    cached: list[DataFrame] = []
    try:
        records = read_inputs(spark, inputs, settings).persist(StorageLevel.DISK_ONLY)
        cached.append(records)
        read = records.count()
        good = records.where(F.col("read_error").isNull())
        bad = records.where(F.col("read_error").isNotNull())
        # An id given twice is analysed once, as the store keeps it once.
        good = good.dropDuplicates(["id"])
        if _has_parquet(Path(_local_path(f"{out_dir}/documents"))) or "://" in out_dir:
            try:
                done = spark.read.parquet(f"{out_dir}/documents").select("id")
                good = good.join(done, "id", "left_anti")
            except Exception as exc:  # no documents yet at a remote output
                if "PATH_NOT_FOUND" not in str(exc) and "does not exist" not in str(exc):
                    raise
        todo = good.unionByName(bad)
        n = partitions or 4 * spark.sparkContext.defaultParallelism
        todo = todo.repartition(n)
        results = analyze_frame(todo, "text", "id", meta_cols=[], meta_json_col="meta_json", input_col="input",
                                record_col="record", error_col="read_error", settings=settings)
        results = results.withColumn(PARTITION_COLUMN, _month(F.col("published"))).persist(StorageLevel.DISK_ONLY)
        cached.append(results)
        ok = results.where(F.col("error").isNull())
        for table in ("attributions", "sources"):
            rows = ok.select(F.explode(table).alias("row"), PARTITION_COLUMN).select("row.*", PARTITION_COLUMN)
            rows.write.mode("append").partitionBy(PARTITION_COLUMN).parquet(f"{out_dir}/{table}")
        errors = results.where(F.col("error").isNotNull()).select(
            "input", "record", F.col("error").alias("reason"), F.col("processed_at").alias("at"))
        errors.write.mode("append").parquet(f"{out_dir}/errors")
        documents = ok.select(*COLUMNS["documents"], PARTITION_COLUMN)
        documents.write.mode("append").partitionBy(PARTITION_COLUMN).parquet(f"{out_dir}/documents")
        counts = {r["failed"]: r["count"] for r in
                  results.groupBy(F.col("error").isNotNull().alias("failed")).count().collect()}
        summary.analysed = counts.get(False, 0)
        summary.failed = counts.get(True, 0)
        summary.skipped = read - summary.analysed - summary.failed
    except (PySparkException, Py4JError) as exc:  # a failed job: one line, not a JVM stack trace
        raise SparkError(f"the Spark run failed: {first_line(exc)}") from None
    finally:
        for frame in cached:
            frame.unpersist()
        if own_session:
            spark.stop()
    summary.seconds = time.perf_counter() - started
    return summary


# --- sayso import ----------------------------------------------------------------------------


def _parquet_glob(directory: Path, table: str) -> str | None:
    return str(directory / table / "**" / "*.parquet") if _has_parquet(directory / table) else None


def import_parquet(db: str | os.PathLike[str], directory: str | os.PathLike[str]) -> dict[str, int]:
    """`sayso import`: load the Parquet output of `sayso spark` into a
    DuckDB corpus store (created if absent), by `store.load_parquet`.
    Returns the rows added per table."""
    from sayso.corpus.store import load_parquet, open_store

    folder = Path(directory)
    if not folder.is_dir():
        raise SparkError(f"{directory}: no such folder")
    if not _has_parquet(folder / "documents") and not _has_parquet(folder / "errors"):
        raise SparkError(f"{directory}: no Parquet output of `sayso spark` (no documents/ or errors/ datasets)")
    con = open_store(db)
    try:
        return load_parquet(con, {t: pattern for t in TABLES if (pattern := _parquet_glob(folder, t))})
    finally:
        con.close()
