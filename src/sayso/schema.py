"""The `sayso.article/1` contract as data: its name, its closed vocabularies and
its JSON Schema (sayso/record.schema.json, shipped in the package).

This module imports nothing from sayso, so every layer can use it. The JSON
Schema describes exactly what `Article.to_dict()` gives (docs/record.md);
`validate` checks a record against it with jsonschema, a test dependency that
is imported only when `validate` is called.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

SCHEMA = "sayso.article/1"

KINDS = ("direct", "mixed", "indirect")
STANCES = ("neutral", "assertive", "doubting", "speculative", "emotive")
SOURCE_TYPES = ("person", "organization", "group", "document", "role", "unnamed", "anonymous", "other")
META_FIELDS = ("title", "url", "published", "outlet", "author", "language")

SCHEMA_FILE = "record.schema.json"


@functools.cache
def _schema_text() -> str:
    return files("sayso").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def json_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of a `sayso.article/1` record; a fresh
    copy on each call, so a caller may change it freely."""
    return json.loads(_schema_text())


@functools.cache
def _validator() -> Any:
    try:
        import jsonschema
    except ImportError:
        raise ModuleNotFoundError(
            "sayso.schema.validate needs the Python module 'jsonschema', which is not installed: "
            "pip install 'jsonschema>=4.18' (it comes with sayso's dev extra, pip install 'sayso[dev]')",
            name="jsonschema") from None
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _where(path: Any) -> str:
    out = "record"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) <= 80:
        return text
    if isinstance(value, list | dict | str):
        return f"<a {type(value).__name__} of {len(value)}>"
    return text[:77] + "..."


def _problems(error: Any) -> list[str]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        # A value that fits no branch: the problems with the branch it comes closest to.
        branches: dict[Any, list[Any]] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        # on a tie the later branch: the schema lists the trivial one (null, empty) first
        closest = max(reversed(branches.values()), key=lambda es: max(len(e.absolute_path) for e in es))
        return [p for e in closest for p in _problems(e)]
    message = error.message.replace(repr(error.instance), _short(error.instance))
    return [f"{_where(error.absolute_path)}: {message}"]


def validate(record: dict[str, Any]) -> list[str]:
    """What is wrong with `record` as a `sayso.article/1` record, one line per
    problem (`record.attributions[0].stance: 'angry' is not one of …`); empty
    when it conforms. Only the JSON Schema is checked: that every span's text is
    `text[start:end]` and that speakers name sources is `Article.check()`'s part.
    Raises ModuleNotFoundError when jsonschema is not installed."""
    errors = sorted(_validator().iter_errors(record), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [p for e in errors for p in _problems(e)]


__all__ = ["KINDS", "META_FIELDS", "SCHEMA", "SOURCE_TYPES", "STANCES", "json_schema", "validate"]
