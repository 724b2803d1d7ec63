"""Which of the package's functions an answer may not call: the delegation policy of each question.

An exercise asks the learner to write a function the package already has. Calling the package's
version from the answer would pass every case without the learner's work, so while a graded call
runs, the grader watches for it (:class:`cnnbook.course.checks.calling.Guard`). The rule, the same for
every question:

* the question's reference may not be called, nor, when the reference is a one-line wrapper such as
  ``lambda x, k: correlate2d(x, k, mode="valid")``, the package function it wraps;
* nor the twin of any of those: ``conv2d`` for ``conv2d_reference`` and the other way round;
* nor the extra functions a question names in :attr:`Question.forbidden`, e.g. the package's
  ``build_lenet`` for the question that asks the learner to build it.

Everything else may be used: NumPy, and any other package function (``cb.pad2d`` in a backward
pass, ``cb.conv2d`` in a question about something else). :func:`describe_policy` prints the list
for each question; the README points to it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
from pathlib import Path

PACKAGE = "cnnbook"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]   # the cnnbook folder

#: A forbidden function, named by where its code was written: (file relative to the package's folder,
#: first line, function name, label shown to the learner).
CodeRef = tuple[str, int, str, str]


def forbidden_functions(question) -> list:
    """The package's functions ``question``'s answer may not call (see the module text), in a stable order."""
    found = []
    for function in (_unwrap(question.reference), *(_resolve(name) for name in question.forbidden)):
        if _in_package(function):
            found.append(function)
            if function.__name__ == "<lambda>":
                found += [f for f in _named_globals(function) if _in_package(f)]
    found += [twin for f in list(found) if (twin := _twin(f)) is not None]
    return list({_label(f): f for f in found}.values())


def code_refs(question) -> list[CodeRef]:
    """:func:`forbidden_functions` as :data:`CodeRef` s, which a process with another copy of the package can match."""
    refs = []
    for function in forbidden_functions(question):
        code = function.__code__
        path = Path(code.co_filename).resolve()
        if path.is_relative_to(PACKAGE_ROOT):
            relative = path.relative_to(PACKAGE_ROOT).as_posix()
            refs.append((relative, code.co_firstlineno, code.co_name, _label(function)))
    return refs


def forbidden_table(refs: list[CodeRef], package_root: Path = PACKAGE_ROOT) -> dict:
    """The :class:`~cnnbook.course.checks.calling.Guard` table of ``refs`` for a package installed at ``package_root``."""
    table: dict = {}
    for relative, line, name, label in refs:
        table.setdefault(str(Path(package_root, relative)), {})[(line, name)] = label
    return table


def describe_policy(questions) -> str:
    """One line per question: what its answer may not call."""
    lines = []
    for question in questions:
        names = ", ".join(label for *_, label in code_refs(question)) or "nothing of the package"
        lines.append(f"{question.name} (chapter {question.chapter}): may not call {names}")
    return "\n".join(lines)


def _unwrap(function):
    while isinstance(function, functools.partial):
        function = function.func
    return inspect.unwrap(function) if callable(function) else function


def _in_package(function) -> bool:
    return (isinstance(function, types.FunctionType)
            and (function.__module__ == PACKAGE or function.__module__.startswith(PACKAGE + ".")))


def _named_globals(function) -> list:
    """The functions ``function``'s code refers to by global name."""
    names = function.__code__.co_names
    return [_unwrap(value) for name in sorted(names) if callable(value := function.__globals__.get(name))]


def _twin(function):
    """``conv2d`` for ``conv2d_reference`` and ``conv2d_reference`` for ``conv2d``, from the package's top level."""
    package = importlib.import_module(PACKAGE)
    name = function.__name__
    twin_name = name.removesuffix("_reference") if name.endswith("_reference") else f"{name}_reference"
    twin = getattr(package, twin_name, None)
    return _unwrap(twin) if twin is not None and _in_package(_unwrap(twin)) else None


def _resolve(dotted: str):
    """The function a dotted name names: ``cnnbook.conv.conv2d``, or a method such as ``cnnbook.nn.optim.Adam.step``."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            value = getattr(value, name)
        return _unwrap(value)
    raise ValueError(f"no such function: {dotted}")


def _label(function) -> str:
    if function.__module__.startswith(f"{PACKAGE}.course.checks"):
        return f"the checker's own answer ({function.__module__}.{function.__qualname__})"
    return f"{function.__module__}.{function.__qualname__}"
