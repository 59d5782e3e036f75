"""Turning what a user sends (pasted text, an uploaded .txt or .html file) into
an article text and its metadata, or a clear reason why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sayso.corpus.read import decode_text, looks_like_html
from sayso.errors import InputError, need
from sayso.schema import META_FIELDS

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
    if len(text.strip()) == 0:
        raise InputError(f"{name}: empty text: paste an article or choose a file")
    if "\x00" in text:
        raise InputError(f"{name}: binary content (NUL characters), not text")
    return Submitted(text.replace("\r\n", "\n"), name)


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
    if not is_html and not lower.endswith(TEXT_SUFFIXES) and looks_like_html(data):
        is_html = True
    sub = from_html(text, name) if is_html else Submitted(text.replace("\r\n", "\n"), name)
    sub.id = file_id(filename) if filename else None
    return sub


def from_html(html: str, name: str) -> Submitted:
    """The main text of an HTML page (trafilatura), with its title, date and site."""
    trafilatura = need("trafilatura", "HTML input")
    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                          include_tables=False)
    except Exception as exc:  # a malformed page is the user's input, not our crash
        raise InputError(f"{name}: could not read the HTML ({type(exc).__name__})") from None
    if doc is None:
        raise InputError(f"{name}: no article text found in the HTML page")
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (d.get("text") or "").strip()
    if not text:
        raise InputError(f"{name}: no article text found in the HTML page")
    meta = {"title": d.get("title"), "published": d.get("date"), "outlet": d.get("sitename") or d.get("hostname"),
            "author": d.get("author"), "url": d.get("url")}
    return Submitted(text, name, {k: v for k, v in meta.items() if v})
