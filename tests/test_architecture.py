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
