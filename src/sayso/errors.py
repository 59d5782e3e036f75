"""sayso's one error type.

Every problem sayso can name (a bad input, a missing model, an unreadable store,
a bad argument) is a `SaysoError`: its message is one line for the user, and it
carries the exit status the CLI ends with and the HTTP status the web app
answers with. The CLI and the web app each catch it in one place; anything else
is a bug.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class SaysoError(Exception):
    """A problem the user can act on: one line, an exit status, an HTTP status."""

    exit_status = 2
    http_status = 400

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()) if "\n" in str(message) else str(message))


class UsageError(SaysoError):
    """Arguments that do not make sense together, or out of range."""


class InputError(SaysoError, ValueError):
    """An input text, file or request body that cannot be read (a ValueError too)."""


class ModelError(SaysoError):
    """The attribution model or the spaCy parser cannot be loaded."""

    http_status = 500


class CorpusError(SaysoError):
    """An annotated corpus (PolNeAR) or a gold file that cannot be read."""


class StoreError(SaysoError):
    """A corpus store that cannot be opened, read or written."""

    http_status = 503


class QueryError(SaysoError):
    """A question the store cannot answer as asked (including refused SQL)."""


class ExportError(SaysoError):
    """An export that cannot be written."""


class SparkError(SaysoError):
    """A Spark run that cannot start or failed."""

    http_status = 500


class MissingModule(SaysoError):
    """A Python module sayso needs for this input is not installed (or broken)."""

    exit_status = 1
    http_status = 500


def need(module: str, purpose: str) -> ModuleType:
    """Import `module` for `purpose`, or say which module is really missing: an
    import of trafilatura can fail on lxml_html_clean, two packages down."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = exc.name or module
        raise MissingModule(f"{purpose} needs the Python module {missing!r}, which cannot be imported ({exc}); "
                            f"reinstall sayso with its dependencies (pip install sayso)") from None
