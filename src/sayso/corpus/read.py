"""Reading articles: single files for `sayso analyze`, and whole corpora
(folders, globs, HTML pages, JSON lines, WARC archives, PolNeAR folders) for
`sayso run`.

A corpus reader yields, in input order, a `Document` for every record it can
read and a `BadRecord` (input, record, reason) for every one it cannot, so a
run can store the failure and go on. Nothing here parses HTML by hand:
trafilatura takes the main text and metadata of a page, warcio reads WARC.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sayso.errors import InputError, SaysoError, need
from sayso.record import META_FIELDS, empty_meta, text_id
from sayso.settings import MAX_CHARS, Settings


@dataclass(frozen=True)
class TextInput:
    text: str
    id: str
    name: str  # how to refer to the input in messages
    meta: dict[str, Any] | None = None  # what an HTML page says of itself (title, date, site…)


def read_text_file(path: str) -> TextInput:
    """Read one article from a text file, or '-' for standard input."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        name = path
        if not p.exists():
            raise InputError(f"{path}: no such file")
        if p.is_dir():
            raise InputError(f"{path}: is a directory, not a text file")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    id_ = Path(path).stem if path != "-" else "stdin"
    if format_of(path) == "html" or looks_like_html(data):
        page = html_document(data, id_=id_, input=name, record=name, settings=Settings())
        if isinstance(page, BadRecord):
            raise InputError(f"{name}: {page.reason}")
        return TextInput(page.text, id_, name, page.meta)
    return TextInput(decode_text(data, name), id_, name)


_HTML_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


def looks_like_html(data: bytes) -> bool:
    """A whole HTML page (a doctype or an <html> element first), not a text that mentions a tag."""
    return bool(_HTML_START.match(data[:4096]))


def decode_text(data: bytes, name: str, max_chars: int = MAX_CHARS) -> str:
    """UTF-8 text of an article, refusing what is not one."""
    try:
        return decode(data, max_chars)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None


def decode(data: bytes, max_chars: int = MAX_CHARS) -> str:
    """UTF-8 text of an article; ValueError says why the bytes are not one."""
    if not data.strip():
        raise ValueError("empty file")
    if b"\x00" in data[:8192]:
        raise ValueError("binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > max_chars:
        raise ValueError(f"too long ({len(text)} characters, limit {max_chars})")
    if not text.strip():
        raise ValueError("empty file")
    return text


# --- corpora ---------------------------------------------------------------------------

_SUFFIXES = {
    ".txt": "txt", ".md": "txt", ".html": "html", ".htm": "html",
    ".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".ndjson": "jsonl", ".ndjson.gz": "jsonl",
    ".warc": "warc", ".warc.gz": "warc",
}
_DATE_IN_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_HTML_WORDS = 10  # fewer words of main text than this: not an article page


@dataclass(frozen=True)
class Document:
    """A record read from an input, ready to analyse."""

    text: str
    id: str
    meta: dict[str, Any]
    input: str  # the file it came from
    record: str  # where in that file: its relative path, line number, WARC offset…


@dataclass(frozen=True)
class BadRecord:
    """A record that cannot be analysed, and why."""

    input: str
    record: str
    reason: str




def format_of(path: str | Path) -> str | None:
    """The reader for a file name, from its extension."""
    name = str(path).lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    return None


def is_polnear_folder(path: Path) -> bool:
    return ((path / "text").is_dir() and (path / "attributions").is_dir()) or any(
        (path / "data" / split / "text").is_dir() for split in ("train", "dev", "test"))


def read_corpus(inputs: Sequence[str], settings: Settings = Settings()) -> Iterator[Document | BadRecord]:
    """Every record of every input (file, folder, glob pattern), in order."""
    for spec in inputs:
        for path, record_name, fmt in expand_input(spec, settings):
            if fmt is None:
                yield BadRecord(str(path), record_name, "no such file, folder or matching files")
                continue
            yield from read_file(path, record_name, fmt, settings)


def expand_input(spec: str, settings: Settings) -> Iterator[tuple[Path, str, str | None]]:
    """(file, its name within the input, reader) for one command-line input.
    The name is the file's path relative to the folder or to the fixed part of
    the glob pattern (a file given by itself: its name)."""
    if glob.has_magic(spec):
        base = Path(_fixed_prefix(spec))
        matches = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
        if not matches:
            yield Path(spec), spec, None
        for match in matches:
            path = Path(match)
            fmt = settings.input_format or format_of(path)
            if fmt is not None:
                yield path, _relative(path, base), fmt
        return
    path = Path(spec)
    if path.is_dir():
        if settings.input_format == "polnear" or (settings.input_format is None and is_polnear_folder(path)):
            yield path, path.name, "polnear"
            return
        files = sorted(p for p in path.rglob("*") if p.is_file())
        for p in files:
            fmt = settings.input_format or format_of(p)
            if fmt is not None and fmt != "polnear":
                yield p, _relative(p, path), fmt
        return
    if path.is_file():
        # A file named on the command line is known by its name, as `sayso analyze` knows it.
        yield path, path.name, settings.input_format or format_of(path) or "txt"
        return
    yield path, spec, None


def _fixed_prefix(pattern: str) -> str:
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def read_file(path: Path, name: str, fmt: str, settings: Settings) -> Iterator[Document | BadRecord]:
    """The records of one file (or PolNeAR folder) with the given reader."""
    if fmt == "polnear":
        yield from read_polnear(path, settings)
        return
    if fmt == "jsonl":
        yield from read_jsonl(path, settings)
        return
    if fmt == "warc":
        yield from read_warc(path, settings)
        return
    data = _read_bytes(path, name, settings)
    id_ = _without_suffix(name)
    if isinstance(data, BadRecord):
        yield data
    elif fmt == "html":
        yield html_document(data, id_=id_, input=str(path), record=name, settings=settings)
    else:
        yield text_document(data, id_=id_, input=str(path), record=name, settings=settings)


def _without_suffix(name: str) -> str:
    """The id of a text or HTML file: its name without the extension, as
    `sayso analyze` names a file's record ("a.txt" -> "a", "2024/b.md" -> "2024/b")."""
    suffix = Path(name).suffix
    return name[: -len(suffix)] if suffix and len(suffix) < len(name) else name


def _read_bytes(path: Path, name: str, settings: Settings) -> bytes | BadRecord:
    try:
        # Checked before reading: a huge file must not be loaded only to be refused.
        size = path.stat().st_size
        if size > 4 * settings.max_chars + 1024:
            return BadRecord(str(path), name, f"too long ({size} bytes, limit {settings.max_chars} characters)")
        return path.read_bytes()
    except OSError as exc:
        return BadRecord(str(path), name, f"cannot read ({exc.strerror or exc})")


def text_document(data: bytes, *, id_: str, input: str, record: str, settings: Settings,
                  meta: dict[str, Any] | None = None) -> Document | BadRecord:
    """A plain-text article."""
    try:
        text = decode(data, settings.max_chars)
    except ValueError as exc:
        return BadRecord(input, record, str(exc))
    full_meta = empty_meta()
    full_meta.update(meta or {})
    return Document(text, id_, full_meta, input, record)


def html_document(data: bytes, *, id_: str, input: str, record: str, settings: Settings,
                  url: str | None = None) -> Document | BadRecord:
    """The main text and metadata of an HTML page, taken by trafilatura."""
    trafilatura = need("trafilatura", "HTML input")

    if not data.strip():
        return BadRecord(input, record, "empty page")
    if b"\x00" in data[:8192]:
        return BadRecord(input, record, "binary content, not an HTML page")
    try:
        page = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False,
                                           include_tables=False)
    except Exception as exc:  # the extractor's failure on one page must not end the run
        return BadRecord(input, record, f"HTML could not be read ({type(exc).__name__}: {exc})")
    text = getattr(page, "text", None) if page is not None else None
    words = len(text.split()) if text else 0
    if words < MIN_HTML_WORDS:
        # What trafilatura salvages from a broken page is a menu or a stray line, not an article.
        return BadRecord(input, record, f"no article text found in the HTML ({words} words)")
    if len(text) > settings.max_chars:
        return BadRecord(input, record, f"too long ({len(text)} characters, limit {settings.max_chars})")
    meta = empty_meta()
    meta.update({"title": page.title, "url": url or page.url, "published": page.date,  # type: ignore[union-attr]
                 "outlet": page.sitename or page.hostname, "author": page.author})  # type: ignore[union-attr]
    return Document(text, id_, meta, input, record)


def _open_maybe_gzip(path: Path) -> BinaryIO:
    if str(path).lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_jsonl(path: Path, settings: Settings) -> Iterator[Document | BadRecord]:
    """One article per JSON line: text and id from the configured fields;
    title/url/published/outlet/author/language (or fields mapped to them, and a
    nested "meta" object) into meta. Blank lines are not records."""
    input = str(path)
    n = 0
    try:
        with _open_maybe_gzip(path) as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                yield _json_document(raw, input, n, settings)
    except (OSError, EOFError, zlib.error) as exc:
        # A truncated or corrupt gzip stream: nothing after this point can be read.
        yield BadRecord(input, f"line {n + 1}", f"cannot read further ({exc})")


def _json_document(raw: bytes, input: str, n: int, settings: Settings) -> Document | BadRecord:
    record = f"line {n}"
    if len(raw) > 4 * settings.max_chars + 1024:
        return BadRecord(input, record, f"too long ({len(raw)} bytes, limit {settings.max_chars} characters)")
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return BadRecord(input, record, f"not valid UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        return BadRecord(input, record, f"malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(obj, dict):
        return BadRecord(input, record, f"a JSON {type(obj).__name__}, not an object")
    text = obj.get(settings.text_field)
    if not isinstance(text, str):
        what = "missing" if text is None else f"a {type(text).__name__}, not a string"
        return BadRecord(input, record, f"field {settings.text_field!r} is {what}")
    if "\x00" in text:
        return BadRecord(input, record, "binary content (NUL characters)")
    if not text.strip():
        return BadRecord(input, record, "empty text")
    if len(text) > settings.max_chars:
        return BadRecord(input, record, f"too long ({len(text)} characters, limit {settings.max_chars})")
    raw_id = obj.get(settings.id_field)
    id_ = str(raw_id) if raw_id not in (None, "") else text_id(text)
    meta = empty_meta()
    if isinstance(obj.get("meta"), dict):
        meta.update(obj["meta"])
    for name in META_FIELDS:
        source_field = settings.meta_map.get(name, name)
        if obj.get(source_field) is not None:
            meta[name] = obj[source_field]
    if meta["published"] is None and "published" not in settings.meta_map and obj.get("date") is not None:
        meta["published"] = obj["date"]
    for name, source_field in settings.meta_fields:
        if name not in META_FIELDS and obj.get(source_field) is not None:
            meta[name] = obj[source_field]
    for name in META_FIELDS:  # the record keeps these as text: a number by its digits, an object never
        value = meta[name]
        if isinstance(value, bool | int | float):
            meta[name] = json.dumps(value)
        elif value is not None and not isinstance(value, str):
            return BadRecord(input, record, f"meta field {name!r} is a JSON {type(value).__name__}, not text")
    return Document(text, id_, meta, input, record)


def read_warc(path: Path, settings: Settings) -> Iterator[Document | BadRecord]:
    """Every HTML response of a WARC archive, each page through the HTML
    reader; the record's target URI is the url, its WARC-Record-ID the id."""
    ArchiveIterator = need("warcio.archiveiterator", "WARC input").ArchiveIterator

    input = str(path)
    last = "start of file"
    try:
        with open(path, "rb") as fh:  # warcio reads gzip members itself (and reports their offsets)
            records = ArchiveIterator(fh)
            for rec in records:
                if rec.rec_type != "response" or rec.http_headers is None:
                    continue
                content_type = (rec.http_headers.get_header("Content-Type") or "").lower()
                if "html" not in content_type:
                    continue
                try:
                    body = rec.content_stream().read()
                    error = None
                except Exception as exc:  # a damaged body (bad chunking, bad gzip) is this record's problem
                    body, error = b"", f"unreadable WARC record body ({type(exc).__name__}: {exc})"
                # Known only once the record has been read.
                last = f"offset {records.get_record_offset()}"
                if error:
                    yield BadRecord(input, last, error)
                    continue
                uri = rec.rec_headers.get_header("WARC-Target-URI")
                record_id = (rec.rec_headers.get_header("WARC-Record-ID") or "").strip("<>") or f"{input}@{last}"
                if getattr(rec.raw_stream, "limit", 0) > 0:
                    yield BadRecord(input, last, "truncated WARC record (fewer bytes than its Content-Length)")
                    continue
                yield html_document(body, id_=record_id, input=input, record=last, settings=settings, url=uri)
    except SaysoError:  # not the archive's fault (a module missing): the run cannot go on
        raise
    except Exception as exc:  # warcio raises several types on a damaged archive; none can be read past
        yield BadRecord(input, f"after {last}", f"truncated or corrupt WARC archive ({type(exc).__name__}: {exc})")


def read_polnear(folder: Path, settings: Settings) -> Iterator[Document | BadRecord]:
    """The article texts of a PolNeAR-layout folder (its attributions are not
    read: they are the gold answers). Outlet and date come from the file
    names, `<outlet>_<yyyy-mm-dd>_<slug>.txt`."""
    if (folder / "text").is_dir():
        text_dirs = [folder / "text"]
    else:
        text_dirs = [folder / "data" / split / "text" for split in ("train", "dev", "test")
                     if (folder / "data" / split / "text").is_dir()]
    if not text_dirs:
        yield BadRecord(str(folder), folder.name, "not a PolNeAR-layout folder (no text/ or data/<split>/text/)")
    for text_dir in text_dirs:
        for path in sorted(text_dir.glob("*.txt")):
            data = _read_bytes(path, path.stem, settings)
            if isinstance(data, BadRecord):
                yield data
                continue
            parts = path.stem.split("_")
            meta: dict[str, Any] = {"outlet": parts[0] if len(parts) > 1 else None}
            if len(parts) > 2 and _DATE_IN_NAME.match(parts[1]):
                meta["published"] = parts[1]
            yield text_document(data, id_=path.stem, input=str(path), record=path.stem, settings=settings, meta=meta)


def count_records(inputs: Sequence[str], settings: Settings = Settings()) -> int | None:
    """How many records the inputs hold, when that is cheap to know (files,
    uncompressed JSON lines); None when it is not (compressed or WARC input)."""
    total = 0
    for spec in inputs:
        for path, _, fmt in expand_input(spec, settings):
            if fmt in ("txt", "html", None):
                total += 1
            elif fmt == "polnear":
                total += sum(1 for _ in read_polnear_names(path))
            elif fmt == "jsonl" and not str(path).lower().endswith(".gz"):
                try:
                    with open(path, "rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                except OSError:
                    total += 1
            else:
                return None
    return total


def read_polnear_names(folder: Path) -> Iterator[Path]:
    if (folder / "text").is_dir():
        yield from (folder / "text").glob("*.txt")
        return
    for split in ("train", "dev", "test"):
        yield from (folder / "data" / split / "text").glob("*.txt")
