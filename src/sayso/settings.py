"""One `Settings` for every entry point: the CLI builds it from its arguments,
and the Python API, worker processes, Spark executors and the web app all take
it as it is. It is frozen (and so hashable and picklable): a worker keyed by its
settings loads the model once.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from sayso.errors import UsageError

MAX_CHARS = 1_000_000  # spaCy's own limit for one text
FORMATS = ("txt", "html", "jsonl", "warc", "polnear")  # what corpus inputs can be read as
RULES = "rules"  # the `model` that selects the rule-based finder instead of a learned model


@dataclass(frozen=True)
class Settings:
    """How to read and analyse articles.

    `model` is the attribution model: None for the one shipped with sayso (the
    rules when none ships), "rules", or a model directory. `parser` is the spaCy
    pipeline that parses the text: None picks the installed English one."""

    # analysing
    model: str | None = None
    parser: str | None = None
    min_score: float = 0.0
    batch_size: int = 16  # texts per spaCy batch, per worker batch and per store transaction
    jobs: int = 1  # worker processes; 0: one per core
    # reading a corpus
    input_format: str | None = None  # one of FORMATS; None: by file extension
    id_field: str = "id"  # JSON lines: the field holding the id
    text_field: str = "text"  # JSON lines: the field holding the text
    meta_fields: tuple[tuple[str, str], ...] = ()  # JSON lines: (meta name, field name) pairs
    max_chars: int = MAX_CHARS
    skip_same_text: bool = False  # a run also skips a text stored under another id

    def __post_init__(self) -> None:
        if isinstance(self.meta_fields, dict):  # a mapping is accepted and kept as pairs
            object.__setattr__(self, "meta_fields", tuple(self.meta_fields.items()))
        self.check()

    def check(self) -> None:
        """Refuse values no run can use, with the flag's name in the message."""
        if self.batch_size < 1:
            raise UsageError("--batch-size must be at least 1")
        if self.jobs < 0:
            raise UsageError("-j must be 0 (one per core) or more")
        if not 0 < self.max_chars <= MAX_CHARS:
            raise UsageError(f"--max-chars must be between 1 and {MAX_CHARS}")
        if not 0.0 <= self.min_score <= 1.0:
            raise UsageError("--min-score must be between 0 and 1")
        if self.input_format is not None and self.input_format not in FORMATS:
            raise UsageError(f"--input-format {self.input_format!r}: use one of {', '.join(FORMATS)}")

    @property
    def meta_map(self) -> dict[str, str]:
        """meta name -> JSON field name."""
        return dict(self.meta_fields)

    @property
    def workers(self) -> int:
        """The number of worker processes `jobs` asks for (0: one per core)."""
        return self.jobs or cores()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_args(cls, args: argparse.Namespace, **defaults: Any) -> Settings:
        """The settings a command's arguments give: every field the command has a flag for."""
        values = dict(defaults)
        for f in dataclasses.fields(cls):
            if getattr(args, f.name, None) is not None:
                values[f.name] = getattr(args, f.name)
        if isinstance(values.get("meta_fields"), list):
            values["meta_fields"] = tuple(_meta_pair(p) for p in values["meta_fields"])
        return cls(**values)


def _meta_pair(spec: str) -> tuple[str, str]:
    name, sep, field = spec.partition("=")
    if not sep or not name or not field:
        raise UsageError(f"--meta-field {spec!r}: write it as META=FIELD, e.g. outlet=source")
    return name, field


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
