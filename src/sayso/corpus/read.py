"""Reading articles: single files for `sayso analyze`, and whole corpora
(folders, globs, HTML pages, JSON lines, WARC archives, PolNeAR folders) for
`sayso run`.

A corpus reader yields, in input order, a `Document` for every record it can
read and a `BadRecord` (input, record, reason) for every one it cannot, so a
run can store the failure and go on. Nothing here parses HTML by hand:
trafilatura takes the main text and metadata of a page, warcio reads WARC.
"""

from __future__ import annotations

import fnmatch
import glob
import gzip
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
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
            refuse_address(path, path)
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
    return TextInput(refuse_address(decode_text(data, name), name), id_, name)


_ADDRESS = re.compile(r"\s*(?:https?://|www\.)\S+\s*", re.I)


def refuse_address(text: str, name: str) -> str:
    """`text` unless it is nothing but a web address: sayso reads no pages from the network, and
    analysing the address as an article would only give a puzzling result."""
    if len(text) < 4096 and _ADDRESS.fullmatch(text):
        raise InputError(f"{name}: {text.strip()[:100]!r} is a web address, and sayso reads no pages from the "
                         "network: save the page and give its .html file, or paste the article's text")
    return text


# the tags of a page's text (blocks, links), not the ones a text about scripts or images may quote
_MARKUP = re.compile(r"</?(?:p|div|br|h[1-6]|article|section|li|ul|ol|blockquote|span|a|figure|figcaption|"
                     r"header|footer|main|nav|table|tr|td)\b[^<>]*>", re.I)


def looks_like_markup(text: str) -> bool:
    """Pasted text that is HTML: a whole page, or markup from its first character (a fragment copied
    from a page's source), or text with several HTML tags in its first few thousand characters."""
    head = text[:4096]
    if looks_like_html(head.encode("utf-8", "surrogatepass")):
        return True
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<") and _MARKUP.match(stripped):
        return True
    return len(_MARKUP.findall(head)) >= 3


_HTML_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


def looks_like_html(data: bytes) -> bool:
    """A whole HTML page (a doctype, an <html>, <head> or <body> element near the start), not a text
    that mentions a tag."""
    head = data[:512].lower()
    return bool(_HTML_START.match(data[:4096])) or b"<body" in head or b"<head" in head


def decode_text(data: bytes, name: str, max_chars: int = MAX_CHARS) -> str:
    """UTF-8 text of an article, refusing what is not one."""
    try:
        return decode(data, max_chars)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None


def decode(data: bytes, max_chars: int = MAX_CHARS) -> str:
    """UTF-8 text of an article, exactly as the bytes say (a byte order mark and CRLF line ends kept:
    the record's offsets index the text as sent); ValueError says why the bytes are not one."""
    if not data.strip():
        raise ValueError("empty file")
    if b"\x00" in data[:8192]:
        raise ValueError("binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None
    if len(text) > max_chars:
        raise ValueError(f"too long ({len(text)} characters, limit {max_chars})")
    if not text.lstrip("\ufeff").strip():
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
    # os.path.isdir, not Path.is_dir: a folder that cannot be read is not PolNeAR (and is not an exception)
    return (os.path.isdir(path / "text") and os.path.isdir(path / "attributions")) or any(
        os.path.isdir(path / "data" / split / "text") for split in ("train", "dev", "test"))


def read_corpus(inputs: Sequence[str], settings: Settings = Settings()) -> Iterator[Document | BadRecord]:
    """Every record of every input (file, folder, glob pattern), in order."""
    for spec in inputs:
        for item in expand_input(spec, settings):
            if isinstance(item, BadRecord):
                yield item
                continue
            path, record_name, fmt = item
            yield from read_file(path, record_name, fmt, settings)


def check_inputs(inputs: Sequence[str]) -> None:
    """Refuse, before a run starts, an input named by itself that no reader
    can take: a FIFO, socket or device (reading a FIFO would block the run)."""
    for spec in inputs:
        if glob.has_magic(spec):
            continue
        try:
            mode = os.stat(spec).st_mode
        except OSError:
            continue  # missing or unreachable: the reader says so in the errors table
        if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
            raise InputError(f"{spec}: not a regular file ({_file_kind(mode)}); give files, folders or glob patterns")


def expand_input(spec: str, settings: Settings) -> Iterator[tuple[Path, str, str] | BadRecord]:
    """(file, its name within the input, reader) for one command-line input,
    or a BadRecord for what cannot be listed or read (an unreadable folder, a
    FIFO). The name is the file's path relative to the folder or to the fixed
    part of the glob pattern (a file given by itself: its name).

    Folder walks and wildcards (`*`, `**`) never follow a symbolic link to a
    folder, so a link back into the tree (or out of it) is not walked; a
    symbolic link to a file is read, once: not when the file it points to is
    read from the same input anyway."""
    if glob.has_magic(spec):
        base = Path(_fixed_prefix(spec))
        entries = _match(spec)
        if not entries:
            yield BadRecord(spec, spec, "no such file, folder or matching files")
            return
        yield from _listed(entries, base, settings, spec, key=lambda e: str(e.path))  # as sorted(glob.glob(…))
        return
    path = Path(spec)
    if os.path.isdir(path):
        if settings.input_format == "polnear" or (settings.input_format is None and is_polnear_folder(path)):
            yield path, path.name, "polnear"
            return
        yield from _listed(_walk(path), path, settings, spec, key=lambda e: e.path)  # as sorted(path.rglob(…))
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISREG(mode):
        # A file named on the command line is known by its name, as `sayso analyze` knows it.
        yield path, path.name, settings.input_format or format_of(path) or "txt"
        return
    if mode is not None:
        yield BadRecord(spec, path.name, f"not a regular file ({_file_kind(mode)})")
        return
    yield BadRecord(spec, spec, "no such file, folder or matching files")


@dataclass(frozen=True)
class _Entry:
    """What a folder walk or a glob found: a regular file (`link`: by a
    symbolic link), a file of another kind (FIFO, socket, device), or a folder
    that could not be listed."""

    path: Path
    kind: str  # "file", "special" or "unreadable"
    detail: str = ""
    key: tuple[int, int] | None = None  # (device, inode) of a file
    link: bool = False


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _entry(path: Path, dirent: os.DirEntry[str] | None = None) -> _Entry | None:
    """The entry for a non-folder path (None: a folder, a symbolic link to one,
    a broken link or a file gone since it was listed)."""
    try:
        link = dirent.is_symlink() if dirent is not None else os.path.islink(path)
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return None
    if stat.S_ISREG(st.st_mode):
        return _Entry(path, "file", key=(st.st_dev, st.st_ino), link=link)
    return _Entry(path, "special", _file_kind(st.st_mode))


def _list_folder(folder: Path, found: list[_Entry]) -> list[os.DirEntry[str]] | None:
    """The entries of a folder, or None (and an "unreadable" entry) when it cannot be listed."""
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError as exc:
        found.append(_Entry(folder, "unreadable", f"cannot read the folder ({_why(exc)})"))
        return None


def _is_real_dir(dirent: os.DirEntry[str]) -> bool:
    try:
        return dirent.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _walk(top: Path, hidden: bool = True) -> list[_Entry]:
    """Everything under the folder `top`, not following symbolic links to folders."""
    found: list[_Entry] = []
    folders = [top]
    while folders:  # a stack, not recursion: a deep tree must not hit the recursion limit
        folder = folders.pop()
        children = _list_folder(folder, found)
        for child in children or ():
            if not hidden and child.name.startswith("."):
                continue
            path = folder / child.name
            if _is_real_dir(child):
                folders.append(path)
            elif (entry := _entry(path, child)) is not None:
                found.append(entry)
    return found


def _match(pattern: str) -> list[_Entry]:
    """What a glob pattern matches, as `glob.glob(pattern, recursive=True)`
    would (wildcards skip hidden names, `**` is any number of folders), except
    that wildcards never follow a symbolic link to a folder."""
    parts = Path(pattern).parts
    fixed = 0
    while fixed < len(parts) and not glob.has_magic(parts[fixed]):
        fixed += 1
    found: list[_Entry] = []

    def match(folder: Path, rest: tuple[str, ...]) -> None:
        part, more = rest[0], rest[1:]
        if part == "**":
            if not more:  # "d/**": every file below
                found.extend(_walk(folder, hidden=False))
                return
            match(folder, more)  # no folder at all
            for child in _list_folder(folder, found) or ():
                if not child.name.startswith(".") and _is_real_dir(child):
                    match(folder / child.name, rest)
            return
        if not glob.has_magic(part):  # a name written out: followed, as the user named it
            path = folder / part
            if more:
                if os.path.isdir(path):
                    match(path, more)
            elif os.path.lexists(path) and (entry := _entry(path)) is not None:
                found.append(entry)
            return
        for child in _list_folder(folder, found) or ():
            if child.name.startswith(".") and not part.startswith("."):
                continue
            if not fnmatch.fnmatch(child.name, part):
                continue
            path = folder / child.name
            if more:
                if _is_real_dir(child):
                    match(path, more)
            elif not _is_real_dir(child) and (entry := _entry(path, child)) is not None:
                found.append(entry)

    base = Path(*parts[:fixed]) if fixed else Path(".")
    if fixed == len(parts):
        return [e for e in [_entry(base)] if e is not None]
    if os.path.isdir(base):
        match(base, parts[fixed:])
    return found


def _listed(entries: list[_Entry], base: Path, settings: Settings, spec: str,
            key: Callable[[_Entry], Any]) -> Iterator[tuple[Path, str, str] | BadRecord]:
    """The files to read among what a walk or glob found, in path order: each
    file once (a link to a file read anyway is not read again), a FIFO or an
    unreadable folder as a BadRecord."""
    unique = {e.path: e for e in entries}
    ordered = sorted(unique.values(), key=key)
    seen = {e.key for e in ordered if e.kind == "file" and not e.link}
    for entry in ordered:
        name = _relative(entry.path, base)
        if entry.kind == "unreadable":
            yield BadRecord(str(entry.path), spec if entry.path == base else name, entry.detail)
            continue
        fmt = settings.input_format or format_of(entry.path)
        if fmt is None or fmt == "polnear":
            continue
        if entry.kind == "special":
            yield BadRecord(str(entry.path), name, f"not a regular file ({entry.detail})")
            continue
        if entry.link:
            if entry.key in seen:
                continue
            seen.add(entry.key)
        yield entry.path, name, fmt


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


class NotRegularFile(OSError):
    """A FIFO, socket or device where a file was expected."""


def open_regular(path: Path) -> BinaryIO:
    """A regular file opened for reading; NotRegularFile for anything else.
    The file is opened without blocking, so a FIFO is refused, not waited on."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"not a regular file ({_file_kind(mode)})")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _cannot_read(exc: OSError) -> str:
    return str(exc) if isinstance(exc, NotRegularFile) else f"cannot read ({_why(exc)})"


def _read_bytes(path: Path, name: str, settings: Settings) -> bytes | BadRecord:
    try:
        with open_regular(path) as fh:
            # Checked before reading: a huge file must not be loaded only to be refused.
            size = os.fstat(fh.fileno()).st_size
            if size > 4 * settings.max_chars + 1024:
                return BadRecord(str(path), name, f"too long ({size} bytes, limit {settings.max_chars} characters)")
            return fh.read()
    except OSError as exc:
        return BadRecord(str(path), name, _cannot_read(exc))


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


def html_document(data: bytes | str, *, id_: str, input: str, record: str, settings: Settings,
                  url: str | None = None) -> Document | BadRecord:
    """The main text and metadata of an HTML page (its bytes, or pasted markup), taken by trafilatura."""
    trafilatura = need("trafilatura", "HTML input")

    if not data.strip():
        return BadRecord(input, record, "empty page")
    if ("\x00" if isinstance(data, str) else b"\x00") in data[:8192]:
        return BadRecord(input, record, "binary content, not an HTML page")
    try:
        # no extensive date search: it takes a "Copyright 2024" footer for the publication date
        page = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False,
                                           include_tables=False, date_extraction_params=HTML_DATES)
    except Exception as exc:  # the extractor's failure on one page must not end the run
        return BadRecord(input, record, f"HTML could not be read ({type(exc).__name__}: {exc})")
    text = getattr(page, "text", None) if page is not None else None
    words = len(text.split()) if text else 0
    if words < MIN_HTML_WORDS:
        # What trafilatura salvages from a broken page is a menu or a stray line, not an article.
        return BadRecord(input, record, f"no article text found in the HTML ({words} words)")
    furniture = page_furniture(text)
    if furniture:
        return BadRecord(input, record, f"no article text: only {furniture}")
    if len(text) > settings.max_chars:
        return BadRecord(input, record, f"too long ({len(text)} characters, limit {settings.max_chars})")
    meta = empty_meta()
    meta.update({"title": page.title, "url": url or page.url, "published": page.date,  # type: ignore[union-attr]
                 "outlet": page.sitename or page.hostname, "author": page.author})  # type: ignore[union-attr]
    return Document(text, id_, meta, input, record)


HTML_DATES = {"original_date": True, "extensive_search": False}

# Sentences of a consent, cookie, paywall or sign-up box, which trafilatura can take
# for the main text of a page that has nothing else. Each is matched against one
# sentence (or button label) at a time, so an article sentence that merely
# mentions cookies or subscriptions does not match.
_COOKIE_SENTENCES = re.compile(
    r"^(?:.{0,60}\b(?:we|this (?:web)?site|our (?:web)?site|our partners|this page)\b.{0,40}"
    r"\b(?:use|uses|using|set|sets|store)\b.{0,40}\bcookies\b"
    r"|.{0,80}\b(?:by (?:continuing|using|browsing|clicking|staying)|if you continue)\b.{0,120}"
    r"\byou(?:'re| are)? (?:agree|accept|consent)"
    r"|.{0,80}\b(?:(?:our|the) use of cookies|cookie (?:policy|settings|preferences|notice|consent))\b"
    r"|we (?:value|care about|respect) your privacy\b"
    r"|(?:manage|customi[sz]e|change) (?:your )?(?:cookie |privacy |consent )?"
    r"(?:preferences|settings|options|choices)\b)[^.!?]{0,160}[.!?]?$", re.I)
_SUBSCRIBE_SENTENCES = re.compile(
    r"^(?:.{0,40}\b(?:subscribe|become a (?:member|subscriber)) (?:now|today|to (?:continue|read|keep|get|access))"
    r"|already (?:a subscriber|a member|have an account)\b"
    r"|.{0,40}\b(?:sign|log) in (?:to (?:continue|read|keep)|or (?:subscribe|register))"
    r"|this (?:article|story|content) is (?:only )?(?:for|available to|reserved for) (?:subscribers|members)"
    r"|you have (?:reached|used) (?:your|all of your) (?:free |monthly )?(?:article|story) limit"
    r"|(?:to )?continue reading,? (?:subscribe|sign|log|register|create)"
    r"|create a free account"
    r"|please (?:enable javascript|disable your ad ?blocker|turn off your ad ?blocker))[^.!?]{0,160}[.!?]?$", re.I)
_BUTTONS = re.compile(  # one or more button labels
    r"^(?:(?:accept|accept all|accept cookies|allow all|allow cookies|reject|reject all|decline|i agree|agree|"
    r"i accept|ok|okay|got it|close|dismiss|no,? thanks|yes,? i agree|manage (?:cookies|preferences|options)|"
    r"cookie settings|settings|more (?:info|information|options)|learn more|privacy policy|"
    r"subscribe|sign in|log in|register|continue)[.!]?(?:\s+|$))+$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def page_furniture(text: str) -> str | None:
    """What a page's main text is when it is nothing but furniture: "a
    cookie banner" (consent, cookies, privacy choices), "a subscription box"
    (paywall, sign-in), "page furniture" (newsletter, sharing, credits: the
    lines `find_boilerplate` marks); None when any sentence of it is prose."""
    from sayso.nlp.clean import find_boilerplate

    marked = {(b.start, b.end) for b in find_boilerplate(text)}
    kinds: set[str] = set()
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.strip()
        start = pos + (len(line) - len(line.lstrip()))
        pos += len(line)
        if not body:
            continue
        line_marked = (start, start + len(body)) in marked
        for sentence in _SENTENCE_END.split(body):
            sentence = sentence.strip()
            if _COOKIE_SENTENCES.match(sentence):
                kinds.add("a cookie banner")
            elif _SUBSCRIBE_SENTENCES.match(sentence):
                kinds.add("a subscription box")
            elif line_marked:
                kinds.add("page furniture")
            elif not _BUTTONS.match(sentence):
                return None
    for kind in ("a cookie banner", "a subscription box", "page furniture"):
        if kind in kinds:
            return kind
    return None


def read_jsonl(path: Path, settings: Settings) -> Iterator[Document | BadRecord]:
    """One article per JSON line: text and id from the configured fields;
    title/url/published/outlet/author/language (or fields mapped to them, and a
    nested "meta" object) into meta. Blank lines are not records."""
    input = str(path)
    n = 0
    try:
        file = open_regular(path)
    except OSError as exc:
        yield BadRecord(input, "line 1", _cannot_read(exc))
        return
    try:
        with file, (gzip.GzipFile(fileobj=file, mode="rb") if input.lower().endswith(".gz") else file) as fh:
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
    reader; the record's target URI is the url, its WARC-Record-ID the id.
    A file that does not start as a WARC archive is one BadRecord, and
    warcio's own warnings are not printed."""
    ArchiveIterator = need("warcio.archiveiterator", "WARC input").ArchiveIterator

    class QuietArchiveIterator(ArchiveIterator):  # type: ignore[misc, valid-type]
        INC_RECORD = ""  # warcio writes this multi-line warning to stderr itself; the record is read all the same
        GZIP_ERR_MSG = ("one gzip stream, not one gzip member per record (`warcio recompress` "
                        "rewrites the {0} as it should be)")

    input = str(path)
    last = "start of file"
    try:
        fh = open_regular(path)
    except OSError as exc:
        yield BadRecord(input, last, _cannot_read(exc))
        return
    try:
        with fh:  # warcio reads gzip members itself (and reports their offsets)
            not_warc = _not_warc(fh)
            if not_warc:
                yield BadRecord(input, last, not_warc)
                return
            records = QuietArchiveIterator(fh)
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
        why = " ".join(str(exc).split())
        yield BadRecord(input, f"after {last}", f"truncated or corrupt WARC archive ({type(exc).__name__}: {why})")


def _not_warc(fh: BinaryIO) -> str | None:
    """Why the file is not a WARC archive, from its first bytes (None: it
    starts as one: "WARC/", or a gzip member that does). Leaves `fh` at its start."""
    head = fh.read(65536)
    fh.seek(0)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error as exc:
            return f"not a WARC archive (a damaged gzip stream: {exc})"
    head = head.lstrip()
    if head.startswith(b"WARC/"):
        return None
    if not head:
        return "not a WARC archive (empty file)"
    first = head.split(b"\n", 1)[0][:40].decode("utf-8", "replace").strip()
    return f"not a WARC archive (it starts with {first!r})"


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
        for item in expand_input(spec, settings):
            if isinstance(item, BadRecord):
                total += 1
                continue
            path, _, fmt = item
            if fmt in ("txt", "html"):
                total += 1
            elif fmt == "polnear":
                total += sum(1 for _ in read_polnear_names(path))
            elif fmt == "jsonl" and not str(path).lower().endswith(".gz"):
                try:
                    with open_regular(path) as fh:
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
