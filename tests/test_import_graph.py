"""The layout stays layered: no import circles, and a pure algebra layer.

Reads every module of ``esper_rekall`` (not its migrations) with ``ast``:
imports inside functions count (they run at call time), imports under
``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import esper_rekall

PACKAGE = Path(esper_rekall.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _type_checking_only(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for sub in node.body for n in ast.walk(sub))
    return skip


def imports_of(name: str) -> Iterator[str]:
    """Every module name ``name`` imports (absolute), at import or call time."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
            # ``from . import hooks`` imports the submodule, not the package's other names.
            yield from submodules if len(submodules) == len(node.names) else [module, *submodules]


def _graph() -> dict[str, set[str]]:
    return {name: {m for m in imports_of(name) if m in MODULES and m != name} for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_there_is_no_import_circle() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_pure_layer_imports_no_django_nor_the_app_even_at_call_time() -> None:
    outside = ("django", "esper_rekall.db", "esper_rekall.viewer", "esper_rekall.models", "esper_rekall.runtime",
               "esper_rekall.storage", "esper_rekall.managers", "esper_rekall.result_")
    offending = {
        name: sorted(m for m in imports_of(name) if m.startswith(outside))
        for name in MODULES
        if name.startswith("esper_rekall.intervals")
    }
    assert {k: v for k, v in offending.items() if v} == {}


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("esper_rekall.queries", "esper_rekall.corpus"),  # queries read the schedule, not the generator
        ("esper_rekall.notebook", "esper_rekall.views"),  # the notebook server shares esper_rekall.media
        ("esper_rekall.db.relation", "esper_rekall.db.query"),  # the query plans on the layers below it
        ("esper_rekall.db.steps", "esper_rekall.db.query"),
        ("esper_rekall.db.fetch", "esper_rekall.db.query"),
        ("esper_rekall.db.source", "esper_rekall.db.query"),
    ],
)
def test_a_module_does_not_import_a_layer_it_must_not_depend_on(importer: str, forbidden: str) -> None:
    importers = [name for name in MODULES if name == importer or name.startswith(importer + ".")]
    assert importers
    assert {name: sorted(m for m in imports_of(name) if m == forbidden or m.startswith(forbidden + "."))
            for name in importers} == {name: [] for name in importers}
