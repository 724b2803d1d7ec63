"""Calling a learner's function safely, and moving its results between processes.

This module imports only the standard library and NumPy, and nothing from cnnbook:
the grader sends its *source* into a submitted notebook's kernel and runs it there,
so a notebook that redefines ``check`` or patches cnnbook cannot change how its
functions are called. Results come back as JSON (never pickle, which could run
code in the grader): arrays travel as their dtype, shape and raw bytes.
"""

import base64
import copy
import json
import pickle
import traceback
from dataclasses import dataclass

import numpy as np


@dataclass
class Outcome:
    """What happened when the learner's function was called on one case."""

    returned: object = None
    error: str = ""                  # "ExceptionName: message (line N: code)" when it raised
    not_implemented: bool = False
    mutated: tuple = ()              # positions (int) and keywords (str) of the arguments it modified


def call_safely(function, args: tuple, kwargs: dict) -> Outcome:
    """Call ``function`` on private copies of the arguments and record what happened."""
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    before = copy.deepcopy((args, kwargs))
    try:
        returned = function(*args, **kwargs)
    except NotImplementedError:
        return Outcome(not_implemented=True)
    except Exception as error:  # noqa: BLE001 (the learner's errors are reported, not raised)
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f" (line {frame.lineno}: {frame.line})" if frame.line else ""
        return Outcome(error=f"{type(error).__name__}: {error}{where}")
    return Outcome(returned=returned, mutated=_mutated(before, (args, kwargs)))


def _mutated(before, after) -> tuple:
    keys = list(range(len(before[0]))) + list(before[1])
    old = list(before[0]) + list(before[1].values())
    new = list(after[0]) + list(after[1].values())
    return tuple(key for key, a, b in zip(keys, old, new) if not _same(a, b))


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


# --- JSON transport --------------------------------------------------------------------------

def encode(value):
    """A JSON-ready description of a result: arrays, numbers, strings and tuples/lists of them."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()
        return {"ndarray": {"dtype": value.dtype.str, "shape": list(value.shape), "data": data}}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [encode(item) for item in value]}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"numpy_scalar": {"dtype": value.dtype.str, "value": value.item()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"plain": value}
    return {"unsupported": type(value).__name__}


def decode(description):
    """The value :func:`encode` described; unknown types come back as :class:`Unsupported`."""
    (kind, body), = description.items()
    if kind == "ndarray":
        dtype = np.dtype(body["dtype"])
        if dtype.kind not in "biuf":
            return Unsupported(f"array of {dtype}")
        return np.frombuffer(base64.b64decode(body["data"]), dtype=dtype).reshape(body["shape"]).copy()
    if kind in ("tuple", "list"):
        items = [decode(item) for item in body]
        return tuple(items) if kind == "tuple" else items
    if kind == "numpy_scalar":
        return np.dtype(body["dtype"]).type(body["value"])
    if kind == "plain":
        return body
    return Unsupported(str(body))


@dataclass(frozen=True)
class Unsupported:
    """A result of a type that cannot be compared (e.g. a set or a custom object)."""

    type_name: str


def run_cases_from_file(function, cases_path: str, results_path: str) -> None:
    """Kernel side of grading: call ``function`` on each pickled ``(args, kwargs)``; write JSON."""
    with open(cases_path, "rb") as file:
        cases = pickle.load(file)
    if function is None or not callable(function):
        results = {"missing": True}
    else:
        outcomes = [call_safely(function, args, kwargs) for args, kwargs in cases]
        results = {"outcomes": [
            {"returned": encode(o.returned), "error": o.error, "not_implemented": o.not_implemented,
             "mutated": list(o.mutated)} for o in outcomes
        ]}
    with open(results_path, "w", encoding="utf-8") as file:
        json.dump(results, file)


def read_results(results_path: str) -> list[Outcome] | None:
    """Grader side: the outcomes written by :func:`run_cases_from_file` (``None``: no such function)."""
    with open(results_path, encoding="utf-8") as file:
        results = json.load(file)
    if results.get("missing"):
        return None
    return [Outcome(decode(o["returned"]), o["error"], o["not_implemented"], tuple(o["mutated"]))
            for o in results["outcomes"]]
