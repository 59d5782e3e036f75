"""An article's marked text as HTML: the web app's article view and the notebook view.

The marks (sources, cues, contents, mentions of sources, hedges, page
furniture) are built here from the record's offsets, and the article text is
only ever written through `markupsafe.escape`, so an article containing
`<script>` or `"><img onerror=…>` shows those characters as text and runs
nothing. The templates that lay the marks out (sayso/templates/: the legend,
the marked text, the notebook view) are shared by the web app, which loads
them from `TEMPLATE_DIR`, and by `Article._repr_html_`, which calls
`notebook_html`.

Layer 1: this module needs only sayso.schema, Jinja and the standard library;
it reads an article through its attributes and never imports sayso.record (so
that record.py can import it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from sayso.schema import STANCES

if TYPE_CHECKING:
    from sayso.record import Article, Attribution, Span

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

# Inner layers nest inside outer ones when two marks start at the same offset.
LAYERS = ("boilerplate", "content", "source", "mention", "cue", "hedge")
ROLE_NAMES = {"cue": "cue", "source": "source", "content": "content", "mention": "mention of a source",
              "hedge": "hedge", "boilerplate": "page furniture"}

# (layer, label, what the mark looks like and means)
LEGEND = [
    ("source", "source", "who says it (boxed)"),
    ("cue", "cue", "the reporting verb (bold, double underline)"),
    ("content", "content", "what is said (dotted underline)"),
    ("mention", "mention", "another mention of a source (dashed box)"),
    ("hedge", "hedge", "the author's hedge (wavy underline)"),
    ("boilerplate", "page furniture", "not article text (grey, struck)"),
]

# How the notebook view tells the cues' stances apart (docs/record.md, "Stance of a cue").
STANCE_HELP = {
    "neutral": "said, told, added",
    "assertive": "confirmed, revealed, showed",
    "doubting": "claimed, alleged, insisted",
    "speculative": "suggested, believed, hinted",
    "emotive": "raged, condemned, slammed",
}
# (stance, examples): the legend's row of cue stances, in the web app and the notebook
STANCE_LEGEND = [(s, STANCE_HELP[s]) for s in STANCES]


@dataclass
class Mark:
    start: int
    end: int
    layer: str
    attrs: dict[str, str] = field(default_factory=dict)
    focusable: bool = False

    def open_tag(self, first: bool, static: bool = False) -> str:
        """The opening tag of the mark (`first`) or of a piece of it reopened
        after a crossing mark closed (class `cont`, no tab stop). `static`
        pages have no script: the tip is the `title` (not `data-tip`), and no mark
        is a tab stop."""
        classes = f"m m-{self.layer}" + ("" if first else " cont")
        parts = [f'<mark class="{classes}"']
        for name, value in self.attrs.items():
            parts.append(f' {"title" if static and name == "data-tip" else name}="{escape(value)}"')
        if self.focusable and first and not static:
            parts.append(' tabindex="0"')
        return "".join(parts) + ">"


def speaker_name(article: Article, a: Attribution) -> tuple[str, str]:
    """The name and type of whoever says `a`: its resolved source, else its
    source's words, else "(no stated source)" of type "none"."""
    speaker = article.source_by_id(a.speaker)
    if speaker is not None:
        return speaker.name, speaker.type
    if a.source:
        return " … ".join(s.text for s in a.source), "other"
    return "(no stated source)", "none"


def attribution_tip(article: Article, a: Attribution, role: str) -> str:
    """One line telling who says it, how and how it is framed (plain text)."""
    name, type_ = speaker_name(article, a)
    return f"{a.id} · {role}: {name} ({type_}) · stance {a.stance} · {a.kind} quote"


def role_spans(a: Attribution) -> list[tuple[str, Span]]:
    """An attribution's spans by role, what is said first; a quotation's continuation
    is marked as what is said, which it is."""
    return [(role, s) for role, spans in (("content", [*a.content, *a.continuation]), ("source", a.source),
                                           ("cue", a.cue)) for s in spans]


def said(a: Attribution) -> str:
    """What the source says, as one line: the content and any continuation."""
    return " … ".join(s.text for s in (*a.content, *a.continuation))


def marks_of(article: Article) -> list[Mark]:
    marks: list[Mark] = []
    for b in article.boilerplate:
        marks.append(Mark(b.start, b.end, "boilerplate", {"data-tip": f"page furniture ({b.reason}): "
                                                                       "not read for attributions"}))
    source_spans: set[tuple[int, int]] = set()
    for a in article.attributions:
        for role, s in role_spans(a):
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


def marked_html(article: Article, static: bool = False) -> Markup:
    """The article text with nested <mark> elements, well-formed even where
    marks cross: a mark cut by an inner one closing is reopened as a `cont`
    piece carrying the same data (and no tab stop). `static`: for a page with
    no script (the notebook), tips as `title`s and no tab stops."""
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
                out.append(m.open_tag(first=False, static=static))
                stack.append(m)
        while i < len(marks) and marks[i].start == pos:
            out.append(marks[i].open_tag(first=True, static=static))
            stack.append(marks[i])
            i += 1
        if k + 1 < len(bounds):
            out.append(str(escape(text[pos:bounds[k + 1]])))
    out.extend("</mark>" for _ in stack)
    return Markup("".join(out))


@functools.cache
def environment() -> Environment:
    """The Jinja environment of sayso/templates (autoescaping everything)."""
    return Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def notebook_html(article: Article) -> str:
    """The article's marked text as one self-contained piece of HTML, for
    Jupyter (`Article._repr_html_`): its styles inline and scoped to it, no
    script, every tip a `title`; the legend and the marked text are the web
    app's own templates."""
    return environment().get_template("notebook.html").render(
        article=article, marked=marked_html(article, static=True), legend=LEGEND,
        stance_legend=STANCE_LEGEND, notebook=True)


__all__ = ["LAYERS", "LEGEND", "ROLE_NAMES", "STANCE_HELP", "STANCE_LEGEND", "TEMPLATE_DIR", "Mark", "attribution_tip",
           "environment", "marked_html", "marks_of", "notebook_html", "speaker_name"]
