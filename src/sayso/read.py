"""Reading articles from files, with a clear reason when one cannot be read."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from sayso.pipeline import MAX_CHARS


class InputError(Exception):
    """An input that cannot be analysed; the message names the input and the problem."""


@dataclass(frozen=True)
class TextInput:
    text: str
    id: str
    name: str  # how to refer to the input in messages


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
    return TextInput(decode_text(data, name), Path(path).stem if path != "-" else "stdin", name)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text of an article, refusing what is not one."""
    if not data.strip():
        raise InputError(f"{name}: empty file")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_CHARS:
        raise InputError(f"{name}: too long ({len(text)} characters, limit {MAX_CHARS})")
    if not text.strip():
        raise InputError(f"{name}: empty file")
    return text
