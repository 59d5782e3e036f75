"""The human-readable report of an article, drawn with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sayso.record import Article

STYLES = {
    "source": "bold cyan",
    "cue": "bold magenta",
    "content": "yellow",
    "hedge": "underline red",
    "boilerplate": "dim strike",
}


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


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
        source = " … ".join(s.text for s in a.source) or "(no stated source)"
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
        for role in ("content", "source", "cue"):
            for s in getattr(a, role):
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


def render(article: Article, console: Console, name: str | None = None) -> None:
    title = name or article.meta.get("title") or article.id
    if article.error:
        console.print(f"[red]{title}: {article.error}[/red]")
        return
    console.rule(f"[bold]{title}")
    console.print(attributions_table(article))
    console.print(sources_table(article))
    console.print(profile_table(article))
    console.print(Panel(Group(legend(), marked_text(article)), title="The article, marked"))
