"""Calling a learner's function safely, watching what it calls, and moving its results between processes.

This module imports only the standard library and NumPy. The grader's sandbox imports it
before any submitted code runs and keeps its own references to what it needs (see
:data:`_TOOLS`), so a notebook that patches ``json.dumps`` or ``np.array_equal`` cannot
change how its functions are called or how their results are written down. Results travel
as JSON (never pickle, which could run code in the grader): arrays travel as their dtype,
shape and raw bytes.

A :class:`Guard` watches one call for *delegation*: a call into code the question forbids
(the package's own implementation of what the learner is asked to write). It is a profile
hook, so it sees the forbidden code however it was reached: imported under another name,
bound with ``globals().update``, wrapped, or re-imported with ``importlib.reload``. It also
notices an attempt to switch the hook off.
"""

import base64
import copy
import os
import sys
import threading
import traceback
from dataclasses import dataclass

import numpy as np

# What this module calls, captured when it is imported (before a submission's code runs).
_TOOLS = {
    "deepcopy": copy.deepcopy, "b64encode": base64.b64encode, "b64decode": base64.b64decode,
    "contiguous": np.ascontiguousarray, "ndarray": np.ndarray, "generic": np.generic,
    "array_equal": np.array_equal, "setprofile": sys.setprofile, "getprofile": sys.getprofile,
    "extract_tb": traceback.extract_tb,
}

#: Built-in functions a graded call may not use: they would switch the guard off or run code elsewhere.
TAMPERING = {sys.setprofile: "sys.setprofile", threading.setprofile: "threading.setprofile",
             os.fork: "os.fork", os.posix_spawn: "os.posix_spawn"}
if hasattr(os, "forkpty"):
    TAMPERING[os.forkpty] = "os.forkpty"


@dataclass
class Outcome:
    """What happened when the learner's function was called on one case."""

    returned: object = None
    error: str = ""                  # "ExceptionName: message (line N: code)" when it raised
    not_implemented: bool = False
    mutated: tuple = ()              # positions (int) and keywords (str) of the arguments it modified
    delegated: tuple = ()            # what the call used that the question forbids, e.g. "cnnbook.conv.conv2d"
    arguments: tuple = ((), {})      # the (args, kwargs) the function was given, as they were after the call


class Guard:
    """A profile hook that records calls into forbidden code during one graded call.

    ``forbidden`` maps a source file to ``{(first line, function name): label}``; a function is
    recognised by where its code was written, so a reloaded or re-bound copy is recognised too.
    Use as a context manager; :attr:`calls` lists the labels seen, in order, without repeats.
    """

    def __init__(self, forbidden: dict):
        self.forbidden = forbidden
        self.calls: list[str] = []
        self._previous = None
        self._watching = False
        self._installed = self._hook             # one bound method, so that "is it still ours?" can be asked

    def _hook(self, frame, event, arg):
        if not self._watching:
            return
        if event == "call":
            functions = self.forbidden.get(frame.f_code.co_filename)
            if functions:
                label = functions.get((frame.f_code.co_firstlineno, frame.f_code.co_name))
                if label and label not in self.calls:
                    self.calls.append(label)
        elif event == "c_call":
            label = TAMPERING.get(arg) if _hashable(arg) else None
            if label and label not in self.calls:
                self.calls.append(label)

    def __enter__(self):
        self._previous = _TOOLS["getprofile"]()
        _TOOLS["setprofile"](self._installed)
        self._watching = True
        return self

    def __exit__(self, *exc):
        self._watching = False
        if _TOOLS["getprofile"]() is not self._installed and "a replaced profile hook" not in self.calls:
            self.calls.append("a replaced profile hook")
        _TOOLS["setprofile"](self._previous)
        return False


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def call_safely(function, args: tuple, kwargs: dict, forbidden: dict | None = None) -> Outcome:
    """Call ``function`` on private copies of the arguments and record what happened.

    With ``forbidden`` (see :class:`Guard`), calls into forbidden code are recorded in
    :attr:`Outcome.delegated`.
    """
    deepcopy = _TOOLS["deepcopy"]
    args, kwargs = deepcopy(args), deepcopy(kwargs)
    before = deepcopy((args, kwargs))
    guard = Guard(forbidden or {})
    try:
        with guard:
            returned = function(*args, **kwargs)
    except NotImplementedError:
        return Outcome(not_implemented=True, delegated=tuple(guard.calls), arguments=(args, kwargs))
    except Exception as error:  # noqa: BLE001 (the learner's errors are reported, not raised)
        return Outcome(error=describe_error(error), delegated=tuple(guard.calls), arguments=(args, kwargs))
    return Outcome(returned=returned, mutated=mutated_arguments(before, (args, kwargs)),
                   delegated=tuple(guard.calls), arguments=(args, kwargs))


def describe_error(error: BaseException) -> str:
    """``"ExceptionName: message (line N: code)"`` for an exception a learner's function raised."""
    frames = _TOOLS["extract_tb"](error.__traceback__)
    where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""
    return f"{type(error).__name__}: {error}{where}"


def mutated_arguments(before, after) -> tuple:
    """Positions (ints) and keywords (strs) of the arguments that differ between two ``(args, kwargs)`` pairs."""
    keys = list(range(len(before[0]))) + list(before[1])
    old = list(before[0]) + list(before[1].values())
    new = list(after[0]) + list(after[1].values())
    return tuple(key for key, a, b in zip(keys, old, new) if not _same(a, b))


def _same(a, b) -> bool:
    if isinstance(a, _TOOLS["ndarray"]):
        return (isinstance(b, _TOOLS["ndarray"]) and a.shape == b.shape and a.dtype == b.dtype
                and bool(_TOOLS["array_equal"](a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 (an object that cannot compare itself counts as changed)
        return False


# --- JSON transport --------------------------------------------------------------------------

def encode(value):
    """A JSON-ready description of a result: arrays, numbers, strings and tuples/lists of them.

    Only exact ``np.ndarray`` and NumPy scalar types are described by their data; a subclass (which could
    report another dtype than the data it holds) is :class:`Unsupported`, as is anything else.
    """
    if type(value) is _TOOLS["ndarray"] and value.dtype.kind in "biuf":
        data = _TOOLS["b64encode"](_TOOLS["contiguous"](value).tobytes()).decode()
        return {"ndarray": {"dtype": value.dtype.str, "shape": list(value.shape), "data": data}}
    if type(value) in (tuple, list):
        return {type(value).__name__: [encode(item) for item in value]}
    if isinstance(value, _TOOLS["generic"]) and type(value).__module__ == "numpy" and value.dtype.kind in "biuf":
        return {"numpy_scalar": {"dtype": value.dtype.str, "value": value.item()}}
    if value is None or type(value) in (bool, int, float, str):
        return {"plain": value}
    return {"unsupported": type(value).__name__}


class TransportError(ValueError):
    """A description that :func:`encode` cannot have written: the result is malformed."""


def decode(description):
    """The value :func:`encode` described; unknown types come back as :class:`Unsupported`.

    Raises :class:`TransportError` for anything malformed (wrong keys, data that does not fit its shape).
    """
    if not isinstance(description, dict) or len(description) != 1:
        raise TransportError(f"expected a one-key description, got {type(description).__name__}")
    (kind, body), = description.items()
    try:
        if kind == "ndarray":
            dtype = np.dtype(body["dtype"])
            if dtype.kind not in "biuf":
                return Unsupported(f"array of {dtype}")
            shape = tuple(int(n) for n in body["shape"])
            return np.frombuffer(base64.b64decode(body["data"], validate=True), dtype=dtype).reshape(shape).copy()
        if kind in ("tuple", "list"):
            items = [decode(item) for item in body]
            return tuple(items) if kind == "tuple" else items
        if kind == "numpy_scalar":
            dtype = np.dtype(body["dtype"])
            if dtype.kind not in "biuf":
                raise TransportError(f"a numpy scalar of {dtype}")
            return dtype.type(body["value"])
        if kind == "plain":
            if body is not None and type(body) not in (bool, int, float, str):
                raise TransportError(f"a plain {type(body).__name__}")
            return body
        if kind == "unsupported":
            return Unsupported(str(body))
    except TransportError:
        raise
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise TransportError(f"malformed {kind}: {error}") from None
    raise TransportError(f"unknown kind {kind!r}")


@dataclass(frozen=True)
class Unsupported:
    """A result of a type that cannot be compared (e.g. a set or a custom object)."""

    type_name: str
