"""The layers of sayso, read from the source with `ast`: no module imports a
higher layer, no modules import each other in a cycle, and corpus and training
stay apart.

Every import counts (at the top of a module, inside a function, anywhere),
except those under `if TYPE_CHECKING:`, which never run. `from sayso.x import
y` counts as an import of the module sayso.x.y when there is one, else of
sayso.x. The root package (`sayso`, which gathers the public API) and
`sayso.__main__` are above every layer, and anything may import the root
package itself (`from sayso import __version__`).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
ROOT = "sayso"
ABOVE_ALL = {ROOT, "sayso.__main__"}

# lowest first; a module's layer is that of the longest name here that it is, or is inside
LAYERS: dict[str, int] = {
    "sayso.schema": 0, "sayso.errors": 0,
    "sayso.record": 1, "sayso.settings": 1, "sayso.display": 1, "sayso.jsonlines": 1,
    "sayso.nlp": 2,
    "sayso.pipeline": 3,
    "sayso.corpus": 4, "sayso.training": 4,
    "sayso.web": 5,
    "sayso.cli": 6,
}
APART = ("sayso.corpus", "sayso.training")


@dataclass(frozen=True)
class Import:
    importer: str  # the module with the import statement
    imported: str  # the sayso module it imports
    path: Path
    line: int
    statement: str

    def __str__(self) -> str:
        where = self.path.relative_to(SRC.parent) if self.path.is_absolute() else self.path
        return f"{where}:{self.line}: {self.statement}  ({self.importer} -> {self.imported})"


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: all but those under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def imports_of(source: str, importer: str, modules: set[str], is_package: bool = False,
               path: Path = Path("?")) -> list[Import]:
    """The sayso modules `source` (the text of module `importer`) imports."""
    found: list[Import] = []
    for node in statements(ast.parse(source)):
        text = ast.unparse(node)
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:  # relative: from the package the module is in
                package = importer.split(".") if is_package else importer.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix
                       for alias in node.names]
        for target in dict.fromkeys(targets):
            if target == ROOT or target.startswith(ROOT + "."):
                found.append(Import(importer, target, path, node.lineno, text))
    return found


def all_imports() -> tuple[set[str], list[Import]]:
    files = sorted((SRC / ROOT).rglob("*.py"))
    modules = {module_name(f) for f in files}
    found: list[Import] = []
    for f in files:
        found += imports_of(f.read_text(encoding="utf-8"), module_name(f), modules, f.name == "__init__.py", f)
    return modules, found


def layer(module: str) -> int | None:
    names = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    return LAYERS[max(names, key=len)] if names else None


def group(module: str) -> str | None:
    return next((g for g in APART if module == g or module.startswith(g + ".")), None)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a, b, ..., a) through each strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                members.append(w)
                if w == v:
                    break
            if len(members) > 1 or v in edges.get(v, ()):
                groups.append(sorted(members))

    for v in sorted(edges):
        if v not in index:
            connect(v)

    found = []
    for members in groups:  # a shortest way back to the first member, by breadth-first search
        inside, start = set(members), members[0]
        came_from: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in came_from:
            following = []
            for v in frontier:
                for w in sorted(edges.get(v, ()) & inside):
                    if w not in came_from:
                        came_from[w] = v
                        following.append(w)
            frontier = following
        path = [start]
        while len(path) == 1 or path[-1] != start:
            path.append(came_from[path[-1]])
        found.append(path[::-1])
    return found


def _report(title: str, lines: list[str]) -> str:
    return title + ":\n  " + "\n  ".join(lines)


# --- the checker itself ------------------------------------------------------------------

def test_the_checker_reads_every_kind_of_import():
    modules = {"sayso", "sayso.nlp", "sayso.nlp.parse", "sayso.nlp.quotes", "sayso.record", "sayso.web.app"}
    source = '''
from typing import TYPE_CHECKING
import json
import sayso.record
from sayso.nlp import parse, not_a_module
from sayso import __version__
from . import quotes
from .. import record
if TYPE_CHECKING:
    from sayso.web.app import create_app
else:
    from sayso.nlp.parse import load
def later():
    from sayso.web import app
'''
    found = imports_of(source, "sayso.nlp.clean", modules)
    assert sorted((i.line, i.imported) for i in found) == [
        (4, "sayso.record"), (5, "sayso.nlp"), (5, "sayso.nlp.parse"), (6, "sayso"), (7, "sayso.nlp.quotes"),
        (8, "sayso.record"), (12, "sayso.nlp.parse"), (14, "sayso.web.app")]
    assert layer("sayso.nlp.attributions.rules") == 2 and layer("sayso.cli.report") == 6
    assert layer("sayso.schema") == 0 and layer("sayso") is None


def test_the_cycle_finder():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"a"}}) == [["a", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# --- sayso -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sayso_imports() -> tuple[set[str], list[Import]]:
    return all_imports()


def test_every_module_has_a_layer(sayso_imports):
    modules, _ = sayso_imports
    assert len(modules) > 20
    assert [m for m in sorted(modules - ABOVE_ALL) if layer(m) is None] == [], \
        "modules with no layer: add them to LAYERS"


def test_no_lower_layer_imports_a_higher_one(sayso_imports):
    _, found = sayso_imports
    bad = [str(i) for i in found
           if i.importer not in ABOVE_ALL and i.imported != ROOT
           and (layer(i.imported) is None or layer(i.imported) > layer(i.importer))]
    assert bad == [], _report("imports of a higher layer (or of a module with no layer)", bad)


def test_no_import_cycle(sayso_imports):
    _, found = sayso_imports
    edges: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], Import] = {}
    for i in found:
        if i.imported != ROOT and i.imported != i.importer:
            edges.setdefault(i.importer, set()).add(i.imported)
            lines.setdefault((i.importer, i.imported), i)
    found_cycles = cycles(edges)
    report = [" -> ".join(c) + "".join(f"\n    {lines[a, b]}" for a, b in itertools.pairwise(c))
              for c in found_cycles]
    assert found_cycles == [], _report("import cycles", report)


def test_corpus_and_training_do_not_import_each_other(sayso_imports):
    _, found = sayso_imports
    bad = [str(i) for i in found
           if group(i.importer) and group(i.imported) and group(i.importer) != group(i.imported)]
    assert bad == [], _report("sayso.corpus and sayso.training import each other", bad)
