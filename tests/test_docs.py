"""The documentation's commands are valid (after sqlite-utils' tests/test_docs.py).

Every `sayso …` line inside a fenced code block of README.md and docs/*.md is
parsed by the real argument parser, so a renamed or removed flag fails here
with the line that shows it. No model is loaded: only `build_parser()` and
`--help` run.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sayso.cli import build_parser, main

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = sorted([README, *(REPO / "docs").glob("*.md")])
MAX_README_LINES = 250
MAKE_LINES = [
    "make demo   # set up (.venv) and analyse the bundled example article",
    "make test   # set up (.venv) and run the whole test suite (what CI runs)",
]
# shell operators: everything from the first one on is not sayso's business
OPERATORS = {"|", "||", ">", ">>", "<", "&&", "&", ";", "2>", "2>&1"}
# fences holding another language or program output (```text) are not searched for commands
NOT_SHELL = {"text", "output", "python", "sql", "json", "jsonl", "toml", "yaml", "html"}


def fenced_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines inside ``` fences of shell (or no stated language),
    backslash-continued lines joined."""
    found: list[tuple[int, str]] = []
    inside = False
    shell = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            inside = not inside
            shell = inside and line.lstrip().strip("`").strip().lower() not in NOT_SHELL
            pending = None
            continue
        if not shell:
            continue
        if pending is not None:
            number, line = pending[0], pending[1] + " " + line.strip()
            pending = None
        if line.rstrip().endswith("\\"):
            pending = (number, line.rstrip()[:-1].rstrip())
            continue
        found.append((number, line))
    return found


def argv_of(line: str) -> list[str]:
    """The argv of one documented command line: prompt, comment and anything
    after a pipe or redirection left out."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens = list(lexer)
    argv: list[str] = []
    for i, token in enumerate(tokens):
        if token.startswith("#"):  # a trailing comment (an unquoted word starting with #)
            break
        if token in OPERATORS or (token.isdigit() and i + 1 < len(tokens) and tokens[i + 1].startswith(">")):
            break
        argv.append(token)
    if argv[:1] == ["$"]:
        argv = argv[1:]
    return argv


def documented_commands() -> list[tuple[str, list[str]]]:
    commands = []
    for path in DOCS:
        for number, line in fenced_lines(path):
            text = line.strip()
            if not (text.startswith("sayso ") or text.startswith("$ sayso ")):
                continue
            commands.append((f"{path.relative_to(REPO)}:{number}: {text}", argv_of(text)))
    return commands


COMMANDS = documented_commands()
SUBCOMMANDS = sorted({argv[1] for _, argv in COMMANDS if len(argv) > 1 and not argv[1].startswith("-")})


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 20, "fewer documented commands than expected: is the fence parsing broken?"
    assert {"analyze", "run", "query", "export", "serve", "spark", "import", "eval", "train"} <= set(SUBCOMMANDS)


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[w.split(": ", 1)[0] for w, _ in COMMANDS])
def test_documented_command_parses(where: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert argv[0] == "sayso", where
    parser = build_parser()
    try:
        parser.parse_args(argv[1:])
    except SystemExit as exc:
        err = capsys.readouterr().err.strip().splitlines()
        if exc.code not in (0, None):  # --help exits 0; anything else is a wrong command
            pytest.fail(f"{where}\n  argparse: {err[-1] if err else exc.code}")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_of_documented_subcommand(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main([command, "--help"])
    except SystemExit as exc:
        status = exc.code
    assert status in (0, None)
    assert f"sayso {command}" in capsys.readouterr().out


def test_readme_is_a_short_manual() -> None:
    text = README.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines (at most {MAX_README_LINES})"
    assert lines[0].startswith("# ")
    fence = next(i for i, line in enumerate(lines) if line.startswith("```"))
    assert [line for line in lines[1:fence] if line.strip()] == [], "the make commands come first"
    assert lines[fence + 1 : fence + 3] == MAKE_LINES
    assert "make test-fast" in text


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(REPO)) for p in DOCS])
def test_no_path_outside_the_repository(path: Path) -> None:
    assert "../shared" not in path.read_text(encoding="utf-8"), f"{path.name} mentions ../shared"


def test_argv_of() -> None:
    assert argv_of("sayso analyze a.txt --format json | jq .   # a comment") == ["sayso", "analyze", "a.txt",
                                                                                 "--format", "json"]
    assert argv_of("$ sayso run 'crawl/**/*.html' --db c.duckdb 2> log") == ["sayso", "run", "crawl/**/*.html",
                                                                             "--db", "c.duckdb"]
    assert argv_of('sayso query --db c.duckdb --sql "SELECT a | b" > out.csv') == ["sayso", "query", "--db",
                                                                                   "c.duckdb", "--sql", "SELECT a | b"]
