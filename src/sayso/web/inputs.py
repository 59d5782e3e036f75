"""Turning what a user sends (pasted text, an uploaded .txt or .html file) into
an article text and its metadata, or a clear reason why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sayso.corpus.read import BadRecord, decode_text, html_document, looks_like_html, looks_like_markup, refuse_address
from sayso.errors import InputError
from sayso.schema import META_FIELDS
from sayso.settings import Settings

TEXT_SUFFIXES = (".txt", ".text", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class Submitted:
    """An article as sent: its text, how to name it in messages, its id and metadata if given."""

    text: str
    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


def from_text(text: str, name: str = "pasted text") -> Submitted:
    """Pasted text, kept exactly as sent (CRLF line ends and all: the record's offsets index it); pasted
    HTML goes through the HTML reader, and a lone web address is refused with a hint."""
    if len(text.strip()) == 0:
        raise InputError(f"{name}: empty text: paste an article or choose a file")
    if "\x00" in text:
        raise InputError(f"{name}: binary content (NUL characters), not text")
    if looks_like_markup(text):
        return from_html(text, name)
    return Submitted(refuse_address(text, name), name)


def from_json(payload: Any) -> Submitted:
    """A JSON body: {"text": str, "id": str or integer, "meta": {...}}, every string sendable as UTF-8
    (JSON can carry a lone surrogate, "\\ud800", which no text may hold) and the six meta fields text."""
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        raise InputError('JSON body must be an object with a "text" string')
    _check_string("text", payload["text"])
    sub = from_text(payload["text"], "JSON text")
    raw_id = payload.get("id")
    if raw_id is not None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
            raise InputError(f'"id" must be a string (or an integer), not {_json_type(raw_id)}')
        sub.id = _check_string("id", str(raw_id))
    meta = payload.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise InputError('"meta" must be an object')
    for name, value in (meta or {}).items():
        if name not in META_FIELDS or value is None:
            continue
        if not isinstance(value, str):
            raise InputError(f'"meta.{name}" must be a string or null, not {_json_type(value)}')
        sub.meta[name] = _check_string(f"meta.{name}", value)
    return sub


def _check_string(where: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f'"{where}" holds a lone surrogate (\\u{ord(value[exc.start]):04x} at character '
                         f"{exc.start}), which is not text") from None
    return value


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", float: "a number", int: "a number", bool: "true/false"}
    return names.get(type(value), type(value).__name__)


def file_id(filename: str) -> str | None:
    """The id of an uploaded file's article, as `sayso analyze` gives a file's: its name without the suffix."""
    return PurePosixPath(filename.replace("\\", "/")).stem or None


def from_upload(data: bytes, filename: str | None, content_type: str | None = None) -> Submitted:
    """An uploaded file: .txt as UTF-8 text, .html through main-text extraction."""
    name = filename or "request body"
    lower = name.lower()
    text = decode_text(data, name)
    is_html = lower.endswith(HTML_SUFFIXES) or (content_type or "").startswith(("text/html", "application/xhtml"))
    if not is_html and not lower.endswith(TEXT_SUFFIXES):
        # a raw body (no file name) is pasted text: markup in it is HTML as in the form's text box
        is_html = looks_like_html(data) or (filename is None and looks_like_markup(text))
    sub = from_html(data, name) if is_html else Submitted(refuse_address(text, name), name)
    sub.id = file_id(filename) if filename else None
    return sub


def from_html(html: bytes | str, name: str) -> Submitted:
    """The main text of an HTML page or pasted markup, with its title, date and site: the HTML reader of
    `sayso analyze` and `sayso run` (trafilatura)."""
    page = html_document(html, id_="", input=name, record=name, settings=Settings())
    if isinstance(page, BadRecord):
        raise InputError(f"{name}: {page.reason}")
    return Submitted(page.text, name, {k: v for k, v in page.meta.items() if v})
