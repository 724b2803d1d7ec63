"""Hidden cases: variations of a question's visible cases that only the grader runs.

A learner sees every case ``check()`` runs, so an answer could recognise those inputs and return
stored outputs. The grader adds ``question.hidden_cases`` more, made from the visible ones: float
arrays are drawn afresh with the same shape, dtype and spread, integers move by a few steps and
float parameters by up to half their size. A variation is kept only when the reference accepts it
(so it is a legal input) and it differs from every visible case. They come from a seed the grader
records, so a grading run can be repeated exactly.
"""

from __future__ import annotations

import copy
import zlib

import numpy as np

from .framework import Case, Question

ATTEMPTS = 40


def hidden_cases(question: Question, seed: int) -> list[Case]:
    """``question.hidden_cases`` legal variations of its visible cases (fewer if not enough can be found)."""
    if question.hidden_cases <= 0:
        return []
    visible = question.cases()
    rng = np.random.default_rng([seed, zlib.crc32(question.name.encode())])
    found: list[Case] = []
    for number in range(question.hidden_cases):
        base = visible[number % len(visible)]
        for attempt in range(ATTEMPTS):
            change_ints = attempt < ATTEMPTS // 2          # later attempts keep the integers (shapes, strides)
            args, kwargs = _vary((base.args, base.kwargs), rng, change_ints)
            if _legal(question, args, kwargs) and not any(_same((args, kwargs), (c.args, c.kwargs))
                                                          for c in [*visible, *found]):
                found.append(Case(f"hidden case {len(found) + 1} (a variation of: {base.name})", args, kwargs))
                break
    return found


def _vary(value, rng: np.random.Generator, change_ints: bool):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        spread = float(np.std(value)) if value.size > 1 and np.all(np.isfinite(value)) else 1.0
        return (rng.standard_normal(value.shape) * (spread or 1.0)).astype(value.dtype)
    if isinstance(value, bool) or isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if isinstance(value, (int, np.integer)):
        return type(value)(max(0 if value == 0 else 1, int(value) + int(rng.integers(-2, 3)))) if change_ints else value
    if isinstance(value, (float, np.floating)):
        return type(value)(value * rng.uniform(0.5, 1.5))
    if isinstance(value, tuple):
        return tuple(_vary(item, rng, change_ints) for item in value)
    if isinstance(value, list):
        return [_vary(item, rng, change_ints) for item in value]
    if isinstance(value, dict):
        return {key: _vary(item, rng, change_ints) for key, item in value.items()}
    return copy.deepcopy(value)


def _legal(question: Question, args, kwargs) -> bool:
    try:
        with np.errstate(all="ignore"):
            question.reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception:  # noqa: BLE001 (the reference refuses it: not a legal input)
        return False
    return True


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False
