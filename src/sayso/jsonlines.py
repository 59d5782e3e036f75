"""JSON lines of objects, read whole: the gold files and knowledge bases the commands take.
A bad line is the user's mistake, told in one line with its number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sayso.errors import CorpusError


def read_text(path: str | Path, what: str = "file") -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: the {what} is not UTF-8 text") from None


def parse_objects(text: str, path: str | Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines text (blank lines skipped)."""
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{n}: not a JSON object ({exc.msg})") from None
        if not isinstance(row, dict):
            raise CorpusError(f"{path}:{n}: not a JSON object")
        rows.append(row)
    return rows


def read_objects(path: str | Path, what: str = "file") -> list[dict[str, Any]]:
    return parse_objects(read_text(path, what), path)
