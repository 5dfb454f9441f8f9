"""The package's import graph has no cycle, function-level imports included.

Every module under ``optcourse/`` is parsed with :mod:`ast` (nothing is imported) and every
``import``/``from ... import`` statement, wherever it stands (module level, inside a function,
under ``if TYPE_CHECKING``), becomes an edge to the ``optcourse`` module it names. A cycle held
together by imports inside functions is still a cycle: the modules cannot be understood, tested
or changed one without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "optcourse"


def _module_names(package: Path) -> dict[str, Path]:
    """Dotted module name (``optcourse.assignment.check``) of every ``.py`` file of ``package``."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement may load (before resolving them to modules)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: ``from . import x`` / ``from ..a import b``
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        stem = ".".join([*base, node.module] if node.module else base)
    else:
        stem = node.module or ""
    return [f"{stem}.{alias.name}" for alias in node.names]


def import_graph(package: Path) -> dict[str, set[str]]:
    """``{module: the package modules it imports}`` for every module of ``package``."""
    names = _module_names(package)
    graph: dict[str, set[str]] = {name: set() for name in names}
    for module, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, module, is_package):
                # ``import a.b.c`` loads a.b.c; ``from a.b import c`` loads a.b.c if it is a
                # module, else only a.b: the longest prefix that is a module of the package.
                parts = target.split(".")
                while parts and ".".join(parts) not in names:
                    parts.pop()
                if parts and ".".join(parts) != module:
                    graph[module].add(".".join(parts))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert "optcourse.assignment.notebook" in graph and graph["optcourse.exercise"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_exercise_facade_is_imported_by_no_module_of_the_package() -> None:
    graph = import_graph(PACKAGE)
    users = sorted(m for m, targets in graph.items() if "optcourse.exercise" in targets)
    assert users == []
    assert not any(t.startswith("optcourse.grading") for t in graph["optcourse.exercise"])
    for module, targets in graph.items():
        if module.startswith("optcourse.assignment"):
            assert not any(t.startswith("optcourse.grading") for t in targets), module


def _write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for name, source in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return package


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        (  # held together by an import inside a function, as exercise/assignment were
            {
                "__init__.py": "",
                "a.py": "from pkg import b\n",
                "b.py": "def f():\n    from pkg.a import x\n    return x\n",
            },
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
        (  # relative imports, a subpackage, and ``from package import module``
            {
                "__init__.py": "",
                "sub/__init__.py": "from .c import y\n",
                "sub/c.py": "import pkg.d as d\n",
                "d.py": "if True:\n    from . import sub\n",
            },
            ["pkg.d", "pkg.sub", "pkg.sub.c", "pkg.d"],
        ),
    ],
)
def test_the_cycle_finder_finds_cycles(tmp_path: Path, files: dict[str, str], cycle: list[str]):
    assert find_cycle(import_graph(_write_package(tmp_path, files))) == cycle


def test_the_cycle_finder_accepts_a_layered_package(tmp_path: Path) -> None:
    package = _write_package(
        tmp_path,
        {
            "__init__.py": "from pkg.top import run\n",
            "top.py": "from pkg import low\nimport numpy\n",
            "low.py": "def f():\n    import json\n    return json\n",
        },
    )
    graph = import_graph(package)
    assert graph == {"pkg": {"pkg.top"}, "pkg.top": {"pkg.low"}, "pkg.low": set()}
    assert find_cycle(graph) is None


#: The modules of ``optcourse.assignment`` in the order its docstring gives: each may import only
#: those before it (at module level or inside a function).
ASSIGNMENT_LAYERS = [
    "values",
    "without",
    "specs",
    "checks",
    "notebook",
    "student",
    "master",
    "assign",
    "protocol",
    "check",
    "session",
    "cli",
]


def test_the_assignment_modules_import_only_the_layers_before_them() -> None:
    graph = import_graph(PACKAGE)
    names = [f"optcourse.assignment.{m}" for m in ASSIGNMENT_LAYERS]
    inside = {m for m in graph if m.startswith("optcourse.assignment.")}
    assert inside == set(names)  # a new module gets its place in the list (and the docstring)
    for index, module in enumerate(names):
        later = set(names[index:])
        assert not graph[module] & later, (module, sorted(graph[module] & later))
