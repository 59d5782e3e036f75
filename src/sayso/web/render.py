"""The article as HTML: every highlight built server-side from the record's spans.

The article text is only ever written through `markupsafe.escape`; the marks
around it are built here from offsets, so an article containing `<script>` or
`"><img onerror=…>` shows those characters as text and runs nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from sayso.record import KINDS, SOURCE_TYPES, STANCES, Article, Attribution

# Inner layers nest inside outer ones when two marks start at the same offset.
LAYERS = ("boilerplate", "content", "source", "mention", "cue", "hedge")
ROLE_NAMES = {"cue": "cue", "source": "source", "content": "content", "mention": "mention of a source",
              "hedge": "hedge", "boilerplate": "page furniture"}


@dataclass
class Mark:
    start: int
    end: int
    layer: str
    attrs: dict[str, str] = field(default_factory=dict)
    focusable: bool = False

    def open_tag(self, first: bool) -> str:
        classes = f"m m-{self.layer}" + ("" if first else " cont")
        parts = [f'<mark class="{classes}"']
        for name, value in self.attrs.items():
            parts.append(f' {name}="{escape(value)}"')
        if self.focusable and first:
            parts.append(' tabindex="0"')
        return "".join(parts) + ">"


def _speaker_name(article: Article, a: Attribution) -> tuple[str, str]:
    speaker = article.source_by_id(a.speaker)
    if speaker is not None:
        return speaker.name, speaker.type
    if a.source:
        return " … ".join(s.text for s in a.source), "other"
    return "(no stated source)", "none"


def attribution_tip(article: Article, a: Attribution, role: str) -> str:
    """One line telling who says it, how and how it is framed (plain text)."""
    name, type_ = _speaker_name(article, a)
    return f"{a.id} · {role}: {name} ({type_}) · stance {a.stance} · {a.kind} quote"


def marks_of(article: Article) -> list[Mark]:
    marks: list[Mark] = []
    for b in article.boilerplate:
        marks.append(Mark(b.start, b.end, "boilerplate", {"data-tip": f"page furniture ({b.reason}): "
                                                                       "not read for attributions"}))
    source_spans: set[tuple[int, int]] = set()
    for a in article.attributions:
        for role in ("content", "source", "cue"):
            for s in getattr(a, role):
                if s.start >= s.end:
                    continue
                attrs = {"data-a": a.id, "data-role": role, "data-tip": attribution_tip(article, a, role),
                         "data-stance": a.stance, "data-kind": a.kind}
                if a.speaker:
                    attrs["data-s"] = a.speaker
                marks.append(Mark(s.start, s.end, role, attrs, focusable=True))
                if role == "source":
                    source_spans.add((s.start, s.end))
    for src in article.sources:
        for m in src.mentions:
            if (m.start, m.end) in source_spans or m.start >= m.end:
                continue
            tip = f"{src.id} · mention of {src.name} ({src.type})"
            marks.append(Mark(m.start, m.end, "mention", {"data-s": src.id, "data-tip": tip}, focusable=True))
    for h in article.hedges:
        if h.start < h.end:
            marks.append(Mark(h.start, h.end, "hedge", {"data-tip": f"{h.kind}: the author withholds commitment"},
                              focusable=True))
    n = len(article.text)
    return [m for m in marks if 0 <= m.start < m.end <= n]


def marked_html(article: Article) -> Markup:
    """The article text with nested <mark> elements, well-formed even where
    marks cross: a mark cut by an inner one closing is reopened as a `cont`
    piece carrying the same data (and no tab stop)."""
    text = article.text
    marks = sorted(marks_of(article), key=lambda m: (m.start, -m.end, LAYERS.index(m.layer)))
    bounds = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[str] = []
    stack: list[Mark] = []
    i = 0
    for k, pos in enumerate(bounds):
        if stack and any(m.end == pos for m in stack):
            reopen: list[Mark] = []
            while any(m.end == pos for m in stack):
                top = stack.pop()
                out.append("</mark>")
                if top.end != pos:
                    reopen.append(top)
            for m in reversed(reopen):
                out.append(m.open_tag(first=False))
                stack.append(m)
        while i < len(marks) and marks[i].start == pos:
            out.append(marks[i].open_tag(first=True))
            stack.append(marks[i])
            i += 1
        if k + 1 < len(bounds):
            out.append(str(escape(text[pos:bounds[k + 1]])))
    out.extend("</mark>" for _ in stack)
    return Markup("".join(out))


@dataclass
class SourceRow:
    id: str
    name: str
    type: str
    description: str | None
    attributions: int
    mentions: int
    stances: list[str]
    attribution_ids: list[str]
    references: list[str]  # how the article refers to it, in order of first use: "Mr Petraeus ×2"


def source_rows(article: Article) -> list[SourceRow]:
    rows = []
    for s in article.sources:
        own = [a for a in article.attributions if a.speaker == s.id]
        stances = Counter(a.stance for a in own)
        said = Counter(m.text for m in sorted(s.mentions))
        rows.append(SourceRow(s.id, s.name, s.type, s.description, len(own), len(s.mentions),
                              [f"{k} {v}" if v > 1 else k for k, v in sorted(stances.items())],
                              [a.id for a in own],
                              [f"{text} ×{n}" if n > 1 else text for text, n in said.items()]))
    rows.sort(key=lambda r: (-r.attributions, -r.mentions, r.name.lower()))
    return rows


def attribution_rows(article: Article) -> list[dict[str, Any]]:
    rows = []
    for a in article.attributions:
        name, type_ = _speaker_name(article, a)
        rows.append({"id": a.id, "speaker": a.speaker or "", "source": name, "type": type_,
                     "source_text": " … ".join(s.text for s in a.source),
                     "cue": " … ".join(s.text for s in a.cue), "content": " … ".join(s.text for s in a.content),
                     "kind": a.kind, "stance": a.stance, "score": a.score})
    return rows


def profile_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    """The sourcing profile as (measure, value) pairs, as in the terminal report."""
    if not profile:
        return []
    rows = [("attributions", str(profile.get("attributions", 0)))]
    rows.append(("by kind", ", ".join(f"{k} {v}" for k, v in profile.get("by_kind", {}).items() if v) or "—"))
    rows.append(("by stance", ", ".join(f"{k} {v}" for k, v in profile.get("by_stance", {}).items() if v) or "—"))
    rows.append(("by source type",
                 ", ".join(f"{k} {v}" for k, v in profile.get("by_source_type", {}).items() if v) or "—"))
    rows.append(("distinct sources", str(profile.get("sources", 0))))
    rows.append(("named / unnamed sources",
                 f"{profile.get('named_share', 0):.0%} / {profile.get('unnamed_share', 0):.0%}"))
    rows.append(("sentences with no attribution", f"{profile.get('unattributed_sentence_share', 0):.0%}"))
    most = profile.get("most_cited")
    if most:
        rows.append(("most cited", f"{most['name']} ({most['attributions']})"))
    return rows


def stance_bar(by_stance: dict[str, int]) -> list[tuple[str, int, float]]:
    """(stance, count, percent) for a stacked bar of cue stances."""
    total = sum(by_stance.get(s, 0) for s in STANCES)
    if not total:
        return []
    return [(s, by_stance.get(s, 0), 100.0 * by_stance.get(s, 0) / total) for s in STANCES if by_stance.get(s, 0)]


LEGEND = [
    ("source", "source", "who says it (boxed)"),
    ("cue", "cue", "the reporting verb (bold, double underline)"),
    ("content", "content", "what is said (dotted underline)"),
    ("mention", "mention", "another mention of a source (dashed box)"),
    ("hedge", "hedge", "the author's hedge (wavy underline)"),
    ("boilerplate", "page furniture", "not article text (grey, struck)"),
]

__all__ = ["KINDS", "LEGEND", "ROLE_NAMES", "SOURCE_TYPES", "STANCES", "attribution_rows", "marked_html",
           "profile_rows", "source_rows", "stance_bar"]
