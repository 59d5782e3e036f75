"""Turning what a user sends (pasted text, an uploaded .txt or .html file) into
an article text and its metadata, or a clear reason why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sayso.corpus.read import decode_text
from sayso.errors import InputError, need

TEXT_SUFFIXES = (".txt", ".text", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class Submitted:
    """An article as sent: its text, how to name it in messages, its id and metadata if given."""

    text: str
    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in head or "<head" in head


def from_text(text: str, name: str = "pasted text") -> Submitted:
    if len(text.strip()) == 0:
        raise InputError(f"{name}: empty text: paste an article or choose a file")
    if "\x00" in text:
        raise InputError(f"{name}: binary content (NUL characters), not text")
    return Submitted(text.replace("\r\n", "\n"), name)


def file_id(filename: str) -> str | None:
    """The id of an uploaded file's article, as `sayso analyze` gives a file's: its name without the suffix."""
    return PurePosixPath(filename.replace("\\", "/")).stem or None


def from_upload(data: bytes, filename: str | None, content_type: str | None = None) -> Submitted:
    """An uploaded file: .txt as UTF-8 text, .html through main-text extraction."""
    name = filename or "request body"
    lower = name.lower()
    text = decode_text(data, name)
    is_html = lower.endswith(HTML_SUFFIXES) or (content_type or "").startswith(("text/html", "application/xhtml"))
    if not is_html and not lower.endswith(TEXT_SUFFIXES) and looks_like_html(text):
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
