"""The human-readable report of an article, drawn with rich.

`render` draws the default report: one block per attribution (source, then cue
with kind, stance and score, then content) and one per source. It reads at 80
columns and never cuts a cue or a source name: a cue is never wrapped, a name
moves whole to the next line and only wraps when it is longer than a line.
`render(..., layout="table")` draws the compact seven-column table instead, for
wide terminals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sayso.display import role_spans
from sayso.record import Article, Attribution, Source, Span

STYLES = {
    "source": "bold cyan",
    "cue": "bold magenta",
    "content": "yellow",
    "hedge": "underline red",
    "boilerplate": "dim strike",
}
LAYOUTS = ("text", "table")
NO_SOURCE = "(no stated source)"


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _joined(spans: Iterable[Span]) -> str:
    """The pieces of a role, whitespace made single, joined by " … "."""
    return " … ".join(" ".join(s.text.split()) for s in spans)


# --- the block layout ------------------------------------------------------------------

@dataclass(frozen=True)
class Atom:
    """A piece of a line. `sep` goes before it on the same line and `lead` when
    it starts a continuation line. An unbreakable atom is never wrapped (it
    runs past the edge if it must); a breakable one moves whole to the next
    line when it fits there, and is wrapped at its spaces only when longer than
    a line."""

    text: str
    style: str = ""
    sep: str = " "
    lead: str = ""
    breakable: bool = True


def flow(atoms: Iterable[Atom], width: int, first: Text | None = None, indent: int = 0) -> list[Text]:
    """Lay atoms onto lines of `width` cells; the first line starts with `first`,
    the others with `indent` spaces."""
    lines: list[Text] = []
    line = first.copy() if first is not None else Text()
    at_start = True  # nothing but the line's prefix yet

    def before(atom: Atom) -> str:
        if not at_start:
            return atom.sep
        return atom.lead if lines else ""

    def fits(atom: Atom) -> bool:
        return line.cell_len + cell_len(before(atom)) + cell_len(atom.text) <= width

    def newline() -> None:
        nonlocal line, at_start
        lines.append(line)
        line, at_start = Text(" " * indent), True

    def place(atom: Atom) -> None:
        nonlocal at_start
        line.append(before(atom))
        line.append(atom.text, style=atom.style)
        at_start = False

    def put(atom: Atom) -> None:
        if fits(atom):
            place(atom)
        elif atom.breakable and indent + cell_len(atom.lead) + cell_len(atom.text) > width:
            for i, word in enumerate(atom.text.split()):  # longer than a line: word by word
                put(Atom(word, atom.style, atom.sep if i == 0 else " ", atom.lead if i == 0 else "", False))
        else:
            if not at_start:
                newline()
            place(atom)  # an unbreakable atom longer than a line runs past the edge, uncut

    for atom in atoms:
        put(atom)
    lines.append(line)
    for text in lines:
        text.no_wrap, text.overflow = True, "ignore"
        text.rstrip()
    return lines


class Block:
    """A labelled block: rows of atoms, each row starting a new line, all under
    the indent of the label's column."""

    def __init__(self, label: str, indent: int, rows: list[list[Atom]]):
        self.label, self.indent, self.rows = label, indent, rows

    def lines(self, width: int) -> list[Text]:
        out: list[Text] = []
        for i, row in enumerate(self.rows):
            first = Text(" " * self.indent)
            if i == 0:
                first = Text(self.label, style="dim")
                first.append(" " * max(self.indent - len(self.label), 1))
            out.extend(flow(row, width, first=first, indent=self.indent))
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)


def source_atoms(article: Article, a: Attribution) -> list[Atom]:
    source = _joined(a.source)
    atoms = [Atom(source, STYLES["source"]) if source else Atom(NO_SOURCE, "dim")]
    speaker = article.source_by_id(a.speaker)
    if speaker is not None and speaker.name.casefold() != source.casefold():
        atoms.append(Atom(speaker.name, STYLES["source"], sep=" → ", lead="→ "))
    return atoms


def attribution_block(article: Article, a: Attribution, indent: int) -> Block:
    cue = Atom(_joined(a.cue), STYLES["cue"], breakable=False)
    about = [Atom(part, sep=" · ") for part in (a.kind, a.stance, f"{a.score:.2f}")]
    content = _joined([*a.content, *a.continuation])
    rows = [source_atoms(article, a), [cue, *about]]
    if content:
        rows.append([Atom(content, STYLES["content"])])
    return Block(a.id, indent, rows)


def _mentions(source: Source) -> list[Atom]:
    """The distinct mentions of a source, in order, a repeated one counted."""
    counts: dict[str, int] = {}
    for m in source.mentions:
        text = " ".join(m.text.split())
        counts[text] = counts.get(text, 0) + 1
    return [Atom(text if n == 1 else f"{text} ×{n}", sep=" | " if i else " ", lead="| " if i else "")
            for i, (text, n) in enumerate(counts.items())]


def source_block(article: Article, s: Source, indent: int) -> Block:
    own = [a for a in article.attributions if a.speaker == s.id]
    stances = ", ".join(sorted({a.stance for a in own}))
    said = f"{len(own)} attribution{'' if len(own) == 1 else 's'}" + (f" ({stances})" if stances else "")
    about = [Atom(s.type, "bold", breakable=False)]
    if s.description:
        about.append(Atom(s.description, sep=" · "))
    about.append(Atom(said, sep=" · "))
    rows = [[Atom(s.name, STYLES["source"])], about]
    mentions = _mentions(s)
    if mentions:
        rows.append([Atom("mentions:", "dim", breakable=False), *mentions])
    return Block(s.id, indent, rows)


def _indent(ids: Iterable[str]) -> int:
    return max((len(i) for i in ids), default=0) + 2


def attribution_blocks(article: Article) -> Iterator[Block]:
    indent = max(_indent(a.id for a in article.attributions), 4)
    for a in article.attributions:
        yield attribution_block(article, a, indent)


def source_blocks(article: Article) -> Iterator[Block]:
    indent = max(_indent(s.id for s in article.sources), 4)
    for s in article.sources:
        yield source_block(article, s, indent)


# --- the table layout ------------------------------------------------------------------

def attributions_table(article: Article) -> Table:
    table = Table(title="Attributions: who says so", show_lines=False, expand=True)
    table.add_column("#", style="dim", no_wrap=True)
    table.add_column("source", style=STYLES["source"], ratio=2, min_width=14)
    table.add_column("cue", style=STYLES["cue"], ratio=1, min_width=12)
    table.add_column("content", style=STYLES["content"], ratio=5)
    table.add_column("kind", no_wrap=True)
    table.add_column("stance", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    for a in article.attributions:
        source = " … ".join(s.text for s in a.source) or NO_SOURCE
        speaker = article.source_by_id(a.speaker)
        if speaker is not None and speaker.name != source:
            source = f"{source} → {speaker.name}"
        table.add_row(
            a.id,
            _shorten(source, 50),
            " … ".join(s.text for s in a.cue),
            _shorten(" … ".join(s.text for s in a.content)),
            a.kind,
            a.stance,
            f"{a.score:.2f}",
        )
    return table


def sources_table(article: Article) -> Table:
    table = Table(title="Sources", expand=True)
    table.add_column("id", style="dim", no_wrap=True)
    table.add_column("name", style=STYLES["source"])
    table.add_column("type")
    table.add_column("description")
    table.add_column("attributions", justify="right")
    table.add_column("stances")
    table.add_column("mentions")
    for s in article.sources:
        own = [a for a in article.attributions if a.speaker == s.id]
        stances = sorted({a.stance for a in own})
        table.add_row(s.id, s.name, s.type, s.description or "", str(len(own)), ", ".join(stances),
                      _shorten(" | ".join(m.text for m in s.mentions), 60))
    return table


# --- both layouts ----------------------------------------------------------------------

def profile_table(article: Article) -> Table:
    p = article.profile
    table = Table(title="Sourcing profile", show_header=False)
    table.add_column("measure")
    table.add_column("value")
    if not p:
        return table
    table.add_row("attributions", str(p.get("attributions", 0)))
    table.add_row("by kind", ", ".join(f"{k} {v}" for k, v in p.get("by_kind", {}).items()))
    table.add_row("by stance", ", ".join(f"{k} {v}" for k, v in p.get("by_stance", {}).items() if v))
    table.add_row("by source type", ", ".join(f"{k} {v}" for k, v in p.get("by_source_type", {}).items() if v))
    table.add_row("distinct sources", str(p.get("sources", 0)))
    table.add_row("named / unnamed sources", f"{p.get('named_share', 0):.0%} / {p.get('unnamed_share', 0):.0%}")
    table.add_row("sentences with no attribution", f"{p.get('unattributed_sentence_share', 0):.0%}")
    most = p.get("most_cited")
    if most:
        table.add_row("most cited", f"{most['name']} ({most['attributions']})")
    return table


def marked_text(article: Article) -> Text:
    """The article with its spans styled; hedges underlined, furniture struck."""
    text = Text(article.text)
    for b in article.boilerplate:
        text.stylize(STYLES["boilerplate"], b.start, b.end)
    for a in article.attributions:
        for role, s in role_spans(a):
            text.stylize(STYLES[role], s.start, s.end)
    for h in article.hedges:
        text.stylize(STYLES["hedge"], h.start, h.end)
    return text


def legend() -> Text:
    out = Text("legend: ")
    for name in ("source", "cue", "content", "hedge", "boilerplate"):
        out.append(f"[{name}]", style=STYLES[name])
        out.append(" ")
    return out


def _heading(title: str, count: int) -> Text:
    return Text.assemble((title, "bold"), (f" ({count})", "dim"))


def render(article: Article, console: Console, name: str | None = None, layout: str = "text") -> None:
    """Draw the report of one article: `layout` "text" (blocks) or "table"."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: not one of {', '.join(LAYOUTS)}")
    title = name or article.meta.get("title") or article.id
    if article.error:
        console.print(f"[red]{title}: {article.error}[/red]")
        return
    console.rule(f"[bold]{title}")
    if layout == "table":
        console.print(attributions_table(article))
        console.print(sources_table(article))
    else:
        console.print(_heading("Attributions: who says so", len(article.attributions)))
        for block in attribution_blocks(article):
            console.print()
            console.print(block, crop=False)
        console.print()
        console.print(_heading("Sources", len(article.sources)))
        for block in source_blocks(article):
            console.print()
            console.print(block, crop=False)
        console.print()
    console.print(profile_table(article))
    console.print(Panel(Group(legend(), marked_text(article)), title="The article, marked"))
