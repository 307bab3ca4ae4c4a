"""The layering the design holds to, read from the code itself.

- The math (metrics, DSA, dimensionality, encoding, reduction) imports neither the store nor
  xarray, directly or through another repgeom module.
- repgeom's modules import each other without cycles.

Both are read from the ``import`` statements of ``src/repgeom``: what a module's import runs for
the first (and it is checked again at run time in a fresh interpreter), and every import, lazy
ones inside functions too, for the second.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "repgeom"
#: Modules (and packages: every module below them) that hold math only.
MATH = (
    "repgeom.metrics",
    "repgeom.dsa",
    "repgeom.dimensionality",
    "repgeom.encoding",
    "repgeom.reduce",
)
#: What the math must not reach.
IO = ("repgeom.store", "xarray")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of a ``from ... import`` statement's module."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(tree: ast.Module, *, lazy: bool) -> list[ast.stmt]:
    """Import statements executed when the module is imported (not those inside functions or
    under ``if TYPE_CHECKING:``), or with ``lazy`` every import statement in the file."""
    if lazy:
        return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    out: list[ast.stmt] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            out.append(stmt)
        elif isinstance(stmt, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(stmt.test):
                stack += stmt.body + stmt.orelse
        elif isinstance(stmt, ast.Try):
            stack += stmt.body + stmt.orelse + stmt.finalbody
            for handler in stmt.handlers:
                stack += handler.body
        elif isinstance(stmt, ast.With):
            stack += stmt.body
    return out


def import_graph(*, lazy: bool) -> dict[str, set[str]]:
    """Module → the modules it imports (repgeom's own, plus third-party top-level names).

    Without ``lazy``: what importing the module runs. Importing ``a.b.c`` runs the packages
    ``a`` and ``a.b`` first, and a submodule's import runs its own package first.
    With ``lazy``: the design's dependencies. Every import statement counts, also inside
    functions, but only the module named (a package is not a dependency of its submodules).
    """
    modules = {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), str(path)), lazy=lazy):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, is_package, node)
                # `from pkg import sub` imports the submodule pkg.sub when there is one
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [base, *(t for t in subs if t in modules)]
            for target in targets:
                parts = target.split(".")
                if parts[0] != PACKAGE:
                    edges.add(parts[0])
                elif lazy:
                    edges |= {target} & modules.keys()
                else:
                    edges |= {
                        ".".join(parts[:k]) for k in range(1, len(parts) + 1)
                    } & modules.keys()
        # a module's own packages (its ancestors) are already being imported: no edge back
        edges = {e for e in edges if e != name and not name.startswith(f"{e}.")}
        if not lazy and "." in name:
            edges.add(name.rsplit(".", 1)[0])  # ... except that its package's import came first
        graph[name] = edges
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module reachable from ``start``, each with the module that first reached it."""
    via: dict[str, str] = {}
    stack = [start]
    while stack:
        here = stack.pop()
        for nxt in graph.get(here, ()):
            if nxt not in via and nxt != start:
                via[nxt] = here
                stack.append(nxt)
    return via


def _path(via: dict[str, str], start: str, end: str) -> list[str]:
    chain = [end]
    while chain[-1] != start:
        chain.append(via[chain[-1]])
    return chain[::-1]


def _is_math(module: str) -> bool:
    return any(module == m or module.startswith(f"{m}.") for m in MATH)


GRAPH = import_graph(lazy=False)


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _is_math(m)))
def test_math_imports_no_store_or_xarray(module):
    via = _reach(GRAPH, module)
    for banned in IO:
        if banned in via:
            chain = " → ".join(_path(via, module, banned))
            pytest.fail(f"{module} reaches {banned}: {chain}")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert _cycles(import_graph(lazy=True)) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_sees_known_edges():
    """The reader itself: it must see edges that certainly exist, or the tests above prove
    nothing."""
    assert "repgeom.store" in GRAPH["repgeom.labelled"] or "xarray" in GRAPH["repgeom.labelled"]
    assert "xarray" in GRAPH["repgeom.store"]
    assert "repgeom.errors" in GRAPH["repgeom.blocks"]
    assert "repgeom.metrics" in GRAPH["repgeom.metrics.cka"]  # its package runs first
    assert "repgeom.metrics._validation" in GRAPH["repgeom.metrics.cka"]
    assert "repgeom.store" in import_graph(lazy=True)["repgeom.cli"]  # imported in functions


def test_math_runs_without_xarray_at_run_time():
    code = (
        "import sys\n"
        f"import {', '.join(MATH)}\n"
        "import numpy as np\n"
        "from repgeom.metrics import compare\n"
        "X = np.random.default_rng(0).standard_normal((12, 3))\n"
        "compare(X, X, method='linear_shape'); compare(X, X, method='rsa')\n"
        "bad = sorted(m for m in ('xarray', 'repgeom.store') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
