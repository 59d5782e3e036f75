"""The article record, `sayso.article/1`, as Python types.

These are the only record types in sayso: the CLI prints them, the store keeps
their fields, the web API serves them. `Article.to_dict()` gives exactly the
JSON of docs/record.md (and its JSON Schema, sayso/record.schema.json, see
`sayso.schema.validate`); `Article.from_dict()` reads it back. In a notebook an
`Article` shows itself as its marked text (`sayso.display`).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

# The contract's name and vocabularies live in sayso.schema (with its JSON Schema); here too, as ever.
from sayso.schema import KINDS, META_FIELDS, SCHEMA, SOURCE_TYPES, STANCES


@dataclass(frozen=True, order=True)
class Span:
    """A stretch of the article text; `end` is exclusive."""

    start: int
    end: int
    text: str

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Span:
        return cls(start, end, text[start:end])

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Span:
        return cls(int(d["start"]), int(d["end"]), str(d["text"]))


@dataclass(frozen=True)
class Boilerplate:
    """Page furniture kept in the text but never read for attributions."""

    start: int
    end: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Boilerplate:
        return cls(int(d["start"]), int(d["end"]), str(d["text"]), str(d["reason"]))


@dataclass(frozen=True)
class Hedge:
    """A word in the author's own voice that withholds commitment."""

    start: int
    end: int
    text: str
    kind: str = "hedge"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "kind": self.kind}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hedge:
        return cls(int(d["start"]), int(d["end"]), str(d["text"]), str(d.get("kind", "hedge")))


def _spans(items: list[dict[str, Any]]) -> list[Span]:
    return [Span.from_dict(s) for s in items]


@dataclass
class Attribution:
    """Who (source) says (cue) what (content)."""

    id: str
    kind: str
    cue: list[Span]
    source: list[Span]
    content: list[Span]
    speaker: str | None = None
    stance: str = "neutral"
    score: float = 1.0
    # quotations with no cue of their own that go on with this one in the next sentences
    # ("“We were lucky,” she said. “It could have been worse.”"): what the source said
    # further, kept out of `content`, which ends at its quotation's closing mark
    continuation: list[Span] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "cue": [s.to_dict() for s in self.cue],
            "source": [s.to_dict() for s in self.source],
            "content": [s.to_dict() for s in self.content],
            "continuation": [s.to_dict() for s in self.continuation],
            "speaker": self.speaker,
            "stance": self.stance,
            "score": round(float(self.score), 4),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Attribution:
        return cls(
            id=str(d["id"]),
            kind=str(d["kind"]),
            cue=_spans(d.get("cue", [])),
            source=_spans(d.get("source", [])),
            content=_spans(d.get("content", [])),
            continuation=_spans(d.get("continuation") or []),
            speaker=d.get("speaker"),
            stance=str(d.get("stance", "neutral")),
            score=float(d.get("score", 1.0)),
        )

    @property
    def first_offset(self) -> int:
        return min(s.start for s in (*self.cue, *self.source, *self.content))


@dataclass
class Source:
    """One distinct source of the article after resolving its references."""

    id: str
    name: str
    type: str
    description: str | None = None
    mentions: list[Span] = field(default_factory=list)
    entity: int | None = None  # the corpus-wide entity, in a record read from a linked store

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "mentions": [m.to_dict() for m in self.mentions],
        }
        if self.entity is not None:
            out["entity"] = self.entity
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Source:
        return cls(
            id=str(d["id"]),
            name=str(d["name"]),
            type=str(d["type"]),
            description=d.get("description"),
            mentions=_spans(d.get("mentions", [])),
            entity=int(d["entity"]) if d.get("entity") is not None else None,
        )


def text_id(text: str) -> str:
    """The stable id of a text given without one: a hash of its content."""
    return "sha1:" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_TEXT_KEY = "sayso_text"


def text_of(doc: Any) -> str:
    """A parsed text's string. `Doc.text` rebuilds it from the tokens on every call
    (a few ms per article), so one copy is kept: the one the pipeline parsed, or
    the first rebuilt."""
    cached = doc.user_data.get(_TEXT_KEY)
    if cached is None:
        cached = doc.user_data[_TEXT_KEY] = doc.text
    return cached


def keep_text(doc: Any, text: str) -> Any:
    """`doc`, knowing it was made from `text` (spaCy's tokenizer keeps every
    character, so `doc.text == text`)."""
    doc.user_data[_TEXT_KEY] = text
    return doc


def empty_meta() -> dict[str, Any]:
    return {name: None for name in META_FIELDS}


@dataclass
class Article:
    """One analysed article: the `sayso.article/1` record.

    `error` is set (and everything else is empty) when the input could not be
    analysed, so that a stream of results never loses an item.
    """

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=empty_meta)
    boilerplate: list[Boilerplate] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    hedges: list[Hedge] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    schema: str = SCHEMA

    @property
    def ok(self) -> bool:
        return self.error is None

    def source_by_id(self, source_id: str | None) -> Source | None:
        for source in self.sources:
            if source.id == source_id:
                return source
        return None

    def _repr_html_(self) -> str:
        """The marked text, for Jupyter: the web app's marks, self-contained HTML."""
        from sayso.display import notebook_html

        return notebook_html(self)

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "schema": self.schema,
            "id": self.id,
            "text": self.text,
            "meta": dict(self.meta),
            "boilerplate": [b.to_dict() for b in self.boilerplate],
            "attributions": [a.to_dict() for a in self.attributions],
            "sources": [s.to_dict() for s in self.sources],
            "hedges": [h.to_dict() for h in self.hedges],
            "profile": self.profile,
        }
        if self.error is not None:
            record["error"] = self.error
        return record

    @classmethod
    def from_doc(cls, doc: Any, id: str | None = None, meta: dict[str, Any] | None = None) -> Article:
        """The record of a `Doc` that sayso's spaCy components have read (what a
        component did not set stays empty). Without an id, a hash of the text."""
        ext = doc._
        text = text_of(doc)
        full = empty_meta()
        full.update(meta or {})
        return cls(id=text_id(text) if id is None else id, text=text, meta=full,
                   boilerplate=list(ext.boilerplate or []), attributions=list(ext.attributions or []),
                   sources=list(ext.sources or []), hedges=list(ext.hedges or []), profile=dict(ext.profile or {}))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} record (schema is {d.get('schema')!r})")
        meta = empty_meta()
        meta.update(d.get("meta") or {})
        return cls(
            id=str(d["id"]),
            text=str(d["text"]),
            meta=meta,
            boilerplate=[Boilerplate.from_dict(b) for b in d.get("boilerplate", [])],
            attributions=[Attribution.from_dict(a) for a in d.get("attributions", [])],
            sources=[Source.from_dict(s) for s in d.get("sources", [])],
            hedges=[Hedge.from_dict(h) for h in d.get("hedges", [])],
            profile=dict(d.get("profile") or {}),
            error=d.get("error"),
        )

    def check(self) -> list[str]:
        """Problems with the record's own invariants (empty when it is sound)."""
        problems: list[str] = []

        def span_ok(where: str, start: int, end: int, text: str) -> None:
            if not (0 <= start <= end <= len(self.text)) or self.text[start:end] != text:
                problems.append(f"{where}: text[{start}:{end}] != {text!r}")

        for b in self.boilerplate:
            span_ok("boilerplate", b.start, b.end, b.text)
        for h in self.hedges:
            span_ok("hedge", h.start, h.end, h.text)
        source_ids = {s.id for s in self.sources}
        for a in self.attributions:
            if a.kind not in KINDS:
                problems.append(f"{a.id}: kind {a.kind!r}")
            if a.stance not in STANCES:
                problems.append(f"{a.id}: stance {a.stance!r}")
            for role in ("cue", "source", "content", "continuation"):
                spans = getattr(a, role)
                for s in spans:
                    span_ok(f"{a.id}.{role}", s.start, s.end, s.text)
                for left, right in itertools.pairwise(spans):
                    if left.end > right.start:
                        problems.append(f"{a.id}.{role}: spans unsorted or overlapping")
            if a.continuation and a.content and a.continuation[0].start < a.content[-1].end:
                problems.append(f"{a.id}.continuation: not after the content")
            if not a.source and a.speaker is not None:
                problems.append(f"{a.id}: speaker without a source span")
            if a.speaker is not None and a.speaker not in source_ids:
                problems.append(f"{a.id}: speaker {a.speaker!r} is not a source")
        for s in self.sources:
            if s.type not in SOURCE_TYPES:
                problems.append(f"{s.id}: type {s.type!r}")
            for m in s.mentions:
                span_ok(f"{s.id}.mention", m.start, m.end, m.text)
        return problems


__all__ = ["KINDS", "META_FIELDS", "SCHEMA", "SOURCE_TYPES", "STANCES", "Article", "Attribution", "Boilerplate",
           "Hedge", "Source", "Span", "empty_meta", "text_id"]
