"""The package's shape: only the face and the entry points know the engine; every module imports alone."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ecomrec"
# the package face, the entry points (CLI, bench) and the UI may build an Engine; nothing else may
MAY_IMPORT_ENGINE = {"__init__", "engine", "cli", "bench", "ui.loaders"}


def _modules() -> list[str]:
    return sorted(".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py")
                  if p.name != "__main__.py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_no_module_but_the_face_and_entry_points_imports_the_engine():
    offenders = [m for m in _modules() if m not in MAY_IMPORT_ENGINE
                 and "ecomrec.engine" in _imports(PACKAGE.joinpath(*m.split(".")).with_suffix(".py"))]
    assert offenders == []


def test_every_module_imports_first_and_alone():
    # a fresh set of ecomrec modules for each import: an import cycle shows as an ImportError here
    script = (
        "import importlib, sys\n"
        f"for name in {[f'ecomrec.{m}'.removesuffix('.__init__') for m in _modules()]!r}:\n"
        "    for loaded in [k for k in sys.modules if k == 'ecomrec' or k.startswith('ecomrec.')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


ROOT = PACKAGE.parent
# what a page may import of ecomrec: the package face, the UI helpers, the schema and config constants, the
# role table (its Train-page report is data), the importer (the Import page makes data sets before an
# engine exists) and the latest bench's report wording (it reads a results file); everything else sits
# behind the engine's services
PAGE_MAY_IMPORT = ("ecomrec", "ecomrec.ui", "ecomrec.schema", "ecomrec.config", "ecomrec.roles",
                   "ecomrec.data.importer", "ecomrec.data.mapping", "ecomrec.honest")


def _runtime_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, inside functions too, except under ``if TYPE_CHECKING:`` (hints only)."""
    tree = ast.parse(path.read_text())
    hints = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
             and getattr(node.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:  # "from ecomrec.data import importer": a module
            found.update(f"{node.module}.{a.name}" if _is_module(f"{node.module}.{a.name}") else node.module
                         for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_pages_import_nothing_behind_the_engines_services():
    scripts = [ROOT / "app.py", *sorted((ROOT / "app_pages").rglob("*.py"))]
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _runtime_imports(p) if m.startswith("ecomrec")
                                                   and not any(m == a or m.startswith(a + ".") and a != "ecomrec"
                                                               for a in PAGE_MAY_IMPORT))
                 for p in scripts}
    assert {p: m for p, m in offenders.items() if m} == {}


def test_the_engine_is_a_small_facade():
    from ecomrec import Engine

    public = [m for m in dir(Engine) if not m.startswith("_")]
    instance_attrs = ("catalog", "embeddings", "models", "searches", "recs", "labels", "relevance", "config")
    assert len(set(public) | set(instance_attrs)) <= 20, public


def _module_of(path: Path) -> str:
    """``ecomrec/a/b.py`` -> ``ecomrec.a.b``; a package's ``__init__.py`` is the package itself."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Ids of the nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): hints, never run."""
    def flag(test: ast.expr) -> bool:
        return getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"
    return {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and flag(node.test)
            for stmt in node.body for n in ast.walk(stmt)}


def _imports_of(name: str, path: Path, modules: set[str]) -> dict[str, int]:
    """The ``modules`` that module ``name`` (the file ``path``) imports -> the line it first does."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: dict[str, int] = {}
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: up from the importing module's package
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        for target in targets:
            if target in modules and target != name:
                edges.setdefault(target, node.lineno)
    return edges


def _import_graph() -> dict[str, dict[str, str]]:
    """module -> {imported ecomrec module: the first ``file:line`` importing it}, over every ``ecomrec/**/*.py``.

    Imports inside functions count (an import circle hidden in a function is still a circle); imports under
    ``if TYPE_CHECKING:`` do not (type hints, never executed). ``import a.b`` points at ``a.b``;
    ``from a import b`` at ``a.b`` when that is a module, else at ``a`` (a name defined in ``a``, for a
    package its ``__init__``); relative imports resolve against the importing module's package.
    """
    paths = {_module_of(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {target: f"{path.relative_to(PACKAGE.parent)}:{line}"
                   for target, line in _imports_of(name, path, set(paths)).items()}
            for name, path in paths.items()}


def _circles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
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
    return sorted(found)


def test_the_circle_finder_counts_function_level_and_relative_imports_and_skips_type_hints(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n"
        "    from pkg.c import C\n"
        "def f():\n"
        "    from pkg.c import thing\n"
        "    from pkg import name_in_init\n")
    modules = {"pkg", "pkg.a", "pkg.b", "pkg.c"}
    assert _imports_of("pkg.a", tmp_path / "pkg" / "a.py", modules) == {"pkg.b": 2, "pkg.c": 6, "pkg": 7}
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:9"}, "c": {"a": "c.py:20"}, "d": {"a": "d.py:1"}}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _circles({"a": {"b": "a.py:1"}, "b": {}}) == []
    real = _import_graph()
    assert "ecomrec.evaluation.splits" in real["ecomrec.recommend.cart_tuning"]  # from-import of a module
    assert "ecomrec.schema" in real["ecomrec.evaluation.splits"]  # `from ecomrec import schema as S`


def test_no_import_circle_among_ecomrec_modules():
    """No two ``ecomrec`` modules import each other, directly or round a longer loop, counting imports inside
    functions; imports under ``if TYPE_CHECKING:`` are left out (hints, never run)."""
    graph = _import_graph()
    lines = {tuple(c): [f"{a} -> {b} ({graph[a][b]})" for a in c for b in c if b in graph[a]]
             for c in _circles(graph)}
    assert lines == {}
