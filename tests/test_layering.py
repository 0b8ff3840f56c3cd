"""The layering, read from the imports of every module (ast, so lazy imports count too).

    core ← packs ← engines ← store ← audit ← analysis ← api ← report ← export ← cli

(the brief's core ← packs ← engines/store ← audit/analysis/api ← report/export ← cli, with the
order inside each group made explicit: the store implements the engines' interface, analysis
asks audit, the API joins both). A module may import only its own package or one to its
left; click is imported only under ``graphflow/cli/``; and the graph of packages has no cycle.
``errors``, ``outfile`` and ``tuning`` are shared utilities below everything; the package root
(``graphflow/__init__.py``, which re-exports the API lazily) and ``__main__`` sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "graphflow"
ORDER = ("core", "packs", "engines", "store", "audit", "analysis", "api", "report", "export",
         "cli")
RANK = {"errors": -1, "outfile": -1, "tuning": -1, **{name: i for i, name in enumerate(ORDER)},
        "__main__": len(ORDER), "__init__": len(ORDER)}
GUI = ("click", "rich_click")

# Imports that break the layering today, each with the issue that removes it. An entry here
# is a known defect, not a permission: delete it when its import is gone.
KNOWN = {
    # issue 11 (helper api): the API returns the CLI's JSON via report.routes/report.explain.
    ("api.py", "report"),
}


def _package(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in a module, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = ["graphflow", *path.relative_to(ROOT).with_suffix("").parts]
    if here[-1] == "__init__":
        here.pop()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[: len(here) - node.level + (path.stem == "__init__")])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if mod == "graphflow":  # from graphflow import api: the submodule, if it is one
                out.extend((node.lineno, f"graphflow.{a.name}") for a in node.names
                           if a.name in RANK)
            else:
                out.append((node.lineno, mod))
    return out


def _edges() -> list[tuple[str, int, str, str]]:
    """(module path, line, its package, the imported graphflow package)."""
    edges = []
    for path in _modules():
        pkg = _package(path)
        for line, mod in _imports(path):
            parts = mod.split(".")
            if parts[0] == "graphflow" and len(parts) > 1:
                edges.append((str(path.relative_to(ROOT)), line, pkg, parts[1]))
    return edges


def test_every_package_has_a_place_in_the_layering():
    assert {_package(p) for p in _modules()} <= set(RANK)


def test_no_import_runs_back_up():
    bad = []
    for where, line, pkg, dep in _edges():
        if pkg == "__init__" or dep == pkg or dep not in RANK:
            continue
        if RANK[dep] > RANK[pkg] and (where, dep) not in KNOWN:
            bad.append(f"graphflow/{where}:{line}: {pkg} imports {dep}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_click_only_in_the_cli():
    bad = [f"graphflow/{p.relative_to(ROOT)}:{line}: imports {mod}"
           for p in _modules() if _package(p) != "cli"
           for line, mod in _imports(p) if mod.split(".")[0] in GUI]
    assert not bad, "\n".join(bad)


def test_no_package_cycle():
    graph: dict[str, set[str]] = {}
    for _, _, pkg, dep in _edges():
        if pkg != dep and pkg != "__init__" and dep in RANK:
            graph.setdefault(pkg, set()).add(dep)
    cycles = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


@pytest.mark.parametrize("source, expected", [
    ("from graphflow.store.engine import X\n", "store"),
    ("import click\n", "click"),
    ("def f():\n    from graphflow import api\n", "api"),
])
def test_the_reader_sees_lazy_and_plain_imports(tmp_path, source, expected, monkeypatch):
    """The import reader itself (else every test above could pass on a blind reader)."""
    pkg = tmp_path / "graphflow" / "core"
    pkg.mkdir(parents=True)
    mod = pkg / "m.py"
    mod.write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path / "graphflow")
    found = {m.split(".")[1] if m.startswith("graphflow.") else m for _, m in _imports(mod)}
    assert expected in found
