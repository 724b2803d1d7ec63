"""The package's layers (CONTRIBUTING.md, "The package's map"): no module imports from a layer above its own.

Every module's imports are read with ``ast`` (imports inside functions too) and each imported cnnbook
module is placed in its layer:

* functional: the top level ``cnnbook/*.py`` (third-party: numpy and numba with its llvmlite, and for
  the products ``scipy``'s BLAS and ``threadpoolctl`` to hold it to one thread; nothing else);
* ``cnnbook.nn``: may import the functional level;
* ``cnnbook.teaching``: the functional level and ``cnnbook.nn``;
* ``cnnbook.bench``: the functional level and ``cnnbook.nn``;
* ``cnnbook.course``: everything.

``import cnnbook`` (the package itself, ``cb.*``) counts as the functional level: it is the
functional API's front door. Exempt as importers: ``cnnbook/__init__.py`` (it re-exports a few names
of every layer as ``cb.*``), ``cnnbook/__main__.py`` (the ``cnnbook`` command) and the former names
kept for exercise notebooks already handed out (``cnnbook/checks.py``, ``layers.py``, ``demos.py``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from paths import REPO_ROOT

PACKAGE = REPO_ROOT / "cnnbook"
SUBPACKAGES = ("nn", "teaching", "bench", "course")
ALLOWED = {
    "functional": {"functional"},
    "nn": {"functional", "nn"},
    "teaching": {"functional", "nn", "teaching"},
    "bench": {"functional", "nn", "bench"},
    "course": {"functional", "nn", "teaching", "bench", "course"},
}
#: Former module names and the layer of what they are now (see cnnbook/checks.py).
FORMER_NAMES = {"checks": "course", "layers": "nn", "demos": "teaching"}
EXEMPT = {"cnnbook", "cnnbook.__main__"} | {f"cnnbook.{name}" for name in FORMER_NAMES}
FUNCTIONAL_THIRD_PARTY = {"numpy", "numba", "llvmlite", "scipy", "threadpoolctl"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in SUBPACKAGES:
        return parts[1]
    if len(parts) > 1 and parts[1] in FORMER_NAMES:
        return FORMER_NAMES[parts[1]]
    return "functional"


def is_module(dotted: str) -> bool:
    path = REPO_ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import in ``source``, relative ones resolved; cnnbook's and others'."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.append((node.lineno, submodule if target.startswith("cnnbook") and is_module(submodule) else target))
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    layer = layer_of(module)
    found = []
    for line, imported in imports_of(source, module, is_package):
        top = imported.split(".")[0]
        if top == "cnnbook":
            if layer_of(imported) not in ALLOWED[layer]:
                found.append(f"{module}:{line} ({layer}) imports {imported} ({layer_of(imported)})")
        elif layer == "functional" and top not in sys.stdlib_module_names | FUNCTIONAL_THIRD_PARTY | {"__future__"}:
            found.append(f"{module}:{line} (functional) imports {imported}, not one of {sorted(FUNCTIONAL_THIRD_PARTY)}")
    return found


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)
LAYERED = [path for path in MODULES if module_name(path) not in EXEMPT]


def test_every_layer_has_modules():
    assert {layer_of(module_name(path)) for path in LAYERED} == set(ALLOWED)
    assert len(LAYERED) > 80 and {module_name(path) for path in MODULES} >= EXEMPT


@pytest.mark.parametrize("path", LAYERED, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_imports_from_a_higher_layer(path):
    assert violations(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py") == []


def test_the_check_finds_what_it_should():
    assert violations("from .nn.layers import Linear", "cnnbook.conv") == [
        "cnnbook.conv:1 (functional) imports cnnbook.nn.layers (nn)"]
    assert violations("def f():\n    from ..teaching.demos import lenet", "cnnbook.nn.resnet") == [
        "cnnbook.nn.resnet:2 (nn) imports cnnbook.teaching.demos.lenet (teaching)"]
    assert violations("from ..course import checks", "cnnbook.bench.conv") == [
        "cnnbook.bench.conv:1 (bench) imports cnnbook.course.checks (course)"]
    assert violations("import cnnbook.checks", "cnnbook.teaching.widgets") == [
        "cnnbook.teaching.widgets:1 (teaching) imports cnnbook.checks (course)"]
    assert violations("import matplotlib.pyplot", "cnnbook.pool") == [
        "cnnbook.pool:1 (functional) imports matplotlib.pyplot, not one of ['llvmlite', 'numba', 'numpy', 'scipy', 'threadpoolctl']"]
    assert violations("from . import conv, _runtime\nimport numpy, numba, os", "cnnbook.warm") == []
    assert violations("from ...conv import conv2d\nfrom ...nn.layers import Linear", "cnnbook.teaching.demos.x") == []
    assert violations("from .. import _runtime\nfrom ...teaching.demos import lenet", "cnnbook.course.grading.pool") == []
