"""The terminal report of `sayso analyze`: blocks that never cut a cue or a source name, and the table."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sayso.cli import main
from sayso.cli.report import NO_SOURCE, Atom, flow, render
from sayso.record import Article, Attribution, Source, Span

from .conftest import EXAMPLE


def report(article: Article, width: int, layout: str = "text") -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    render(article, console, name="example", layout=layout)
    return console.export_text()


def blocks_part(text: str) -> list[str]:
    """The lines of the attribution and source blocks (before the profile table)."""
    return text.split("Sourcing profile")[0].splitlines()


def one_line(piece: str) -> str:
    return " ".join(piece.split())


def cue_of(a: Attribution) -> str:
    return " … ".join(one_line(s.text) for s in a.cue)


def source_of(a: Attribution) -> str:
    return " … ".join(one_line(s.text) for s in a.source)


def content_of(a: Attribution) -> str:
    return " … ".join(one_line(s.text) for s in a.content)


@pytest.mark.parametrize("width", [80, 120])
def test_every_cue_and_source_name_is_whole_on_one_line(example_article, width):
    lines = blocks_part(report(example_article, width))
    assert example_article.attributions and example_article.sources
    for a in example_article.attributions:
        assert any(cue_of(a) in line for line in lines), (a.id, cue_of(a))
        if a.source:
            assert any(source_of(a) in line for line in lines), (a.id, source_of(a))
    for s in example_article.sources:
        assert any(s.name in line for line in lines), (s.id, s.name)
    assert all(len(line) <= width for line in lines)


@pytest.mark.parametrize("width", [80, 120])
def test_content_wraps_but_is_never_cut(example_article, width):
    text = report(example_article, width)
    flat = one_line("\n".join(blocks_part(text)))
    for a in example_article.attributions:
        assert content_of(a) in flat, a.id
    # no "…" but the one that joins the pieces of a role
    assert flat.count("…") == flat.count(" … ")


def test_block_reads_source_cue_content_kind_stance(example_article):
    lines = blocks_part(report(example_article, 80))
    a = next(a for a in example_article.attributions if cue_of(a) == "referred to … as")
    at = next(i for i, line in enumerate(lines) if line.startswith(a.id + " "))
    assert source_of(a) in lines[at]
    assert lines[at + 1].split() == ["referred", "to", "…", "as", "·", a.kind, "·", a.stance, "·", f"{a.score:.2f}"]
    assert content_of(a) in lines[at + 2]
    nameless = [a for a in example_article.attributions if not a.source]
    for a in nameless:
        line = next(line for line in lines if line.startswith(a.id + " "))
        assert NO_SOURCE in line
    resolved = next(a for a in example_article.attributions if source_of(a) == "He")
    line = next(line for line in lines if line.startswith(resolved.id + " "))
    assert line.split(None, 1)[1] == f"He → {example_article.source_by_id(resolved.speaker).name}"


def test_sources_section_keeps_type_description_and_mentions(example_article):
    lines = blocks_part(report(example_article, 80))
    start = lines.index(next(line for line in lines if line.startswith("Sources")))
    section = one_line("\n".join(lines[start:]))
    for s in example_article.sources:
        assert f"{s.id} {s.name} {s.type}" in section
        if s.description:
            assert s.description in section
        for m in s.mentions:
            assert one_line(m.text) in section


def test_a_long_cue_and_a_long_name_are_not_cut():
    text = "The Ministry of Foreign Affairs and International Cooperation of the Republic said, in a statement " \
           "issued late on Tuesday and repeated on Wednesday, that talks had failed."
    name = "The Ministry of Foreign Affairs and International Cooperation of the Republic"
    cue = "said, in a statement issued late on Tuesday and repeated on Wednesday,"
    start = text.index(cue)
    content = "that talks had failed"
    article = Article(
        id="t", text=text,
        attributions=[Attribution("a1", "indirect", [Span.of(text, start, start + len(cue))],
                                  [Span.of(text, 0, len(name))],
                                  [Span.of(text, text.index(content), text.index(content) + len(content))],
                                  speaker="s1", score=0.5)],
        sources=[Source("s1", name, "organization", mentions=[Span.of(text, 0, len(name))])])
    lines = blocks_part(report(article, 60))
    assert any(cue in line for line in lines)  # runs past the edge rather than being wrapped
    assert name in one_line("\n".join(lines))  # longer than a line: wrapped at its spaces, whole
    assert "…" not in "\n".join(lines)


def test_flow_moves_a_name_whole_and_never_wraps_a_cue():
    atoms = [Atom("one two"), Atom("three four", sep=" → ", lead="→ ")]
    assert [t.plain for t in flow(atoms, 14, indent=2)] == ["one two", "  → three four"]
    assert [t.plain for t in flow(atoms, 12, indent=2)] == ["one two", "  → three", "  four"]
    assert [t.plain for t in flow([Atom("a b c d e f g h", breakable=True)], 6)] == ["a b c", "d e f", "g h"]
    assert [t.plain for t in flow([Atom("x"), Atom("a b c d e f g h", breakable=False)], 6)] == [
        "x", "a b c d e f g h"]


def test_cli_text_report_at_80_columns(capsys, monkeypatch, example_article):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["analyze", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = blocks_part(out)
    for a in example_article.attributions:
        assert any(cue_of(a) in line for line in lines), a.id
    for s in example_article.sources:
        assert any(s.name in line for line in lines), s.id
    assert "┃" not in "\n".join(lines)  # blocks, not a table
    for heading in ("Attributions: who says so", "Sources", "Sourcing profile", "The article, marked"):
        assert heading in out


def test_cli_table_format(capsys, monkeypatch, example_article):
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["analyze", str(EXAMPLE), "--format", "table"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    header = next(line for line in out.splitlines() if "┃" in line)
    assert header.split("┃")[1:-1] and [c.strip() for c in header.split("┃")[1:-1]] == [
        "#", "source", "cue", "content", "kind", "stance", "score"]
    for a in example_article.attributions:
        assert f"│ {a.id} " in out
    assert "Sourcing profile" in out


def test_unknown_layout():
    with pytest.raises(ValueError, match="layout"):
        render(Article(id="x", text="x"), Console(file=io.StringIO()), layout="wide")
