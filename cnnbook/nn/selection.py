"""Choosing a training recipe on a validation set, and why the test set must not choose.

:func:`run_study` trains every recipe with every seed and measures each trained model on the
validation data (and only there); :meth:`Study.best` picks the recipe with the lowest mean
validation loss. Test data never enters: the study does not receive it.

:func:`best_of_k_accuracy` quantifies the danger of choosing on the set you report: if ``k``
models are each truly right with probability ``accuracy`` and their mistakes on ``n`` examples
are independent, the best of their ``k`` measured accuracies is, on average, higher than
``accuracy``. Reporting it is reporting a maximum of noisy numbers, not an estimate of any one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .training import evaluate


@dataclass
class Trial:
    """One trained model of a study: its ``recipe`` name and ``seed``, its validation ``val_loss`` and
    ``val_accuracy``, and whatever the training function returned (``model`` and ``run``)."""

    recipe: str
    seed: int
    val_loss: float
    val_accuracy: float
    model: Any = None
    run: Any = None


@dataclass
class Study:
    """The trials of :func:`run_study`, in the order they ran (recipe by recipe, seed by seed)."""

    trials: list = field(default_factory=list)

    @property
    def recipes(self) -> list[str]:
        """The recipe names, in order."""
        return list(dict.fromkeys(t.recipe for t in self.trials))

    def of(self, recipe: str) -> list[Trial]:
        """The trials of one recipe, in seed order."""
        found = [t for t in self.trials if t.recipe == recipe]
        if not found:
            raise KeyError(f"Study: no recipe {recipe!r}; the recipes are {self.recipes}")
        return found

    def trial(self, recipe: str, seed: int) -> Trial:
        """The trial of ``recipe`` trained with ``seed``."""
        for t in self.of(recipe):
            if t.seed == seed:
                return t
        raise KeyError(f"Study: recipe {recipe!r} has no seed {seed}")

    def mean(self, recipe: str, metric: str = "val_loss") -> float:
        """The mean of ``metric`` (``"val_loss"`` or ``"val_accuracy"``) over the recipe's seeds."""
        if metric not in ("val_loss", "val_accuracy"):
            raise ValueError(f"Study.mean: metric must be 'val_loss' or 'val_accuracy'; got {metric!r}")
        return float(np.mean([getattr(t, metric) for t in self.of(recipe)]))

    def best(self, metric: str = "val_loss") -> str:
        """The recipe with the best mean ``metric``: the lowest loss, or the highest accuracy."""
        sign = 1.0 if metric == "val_loss" else -1.0
        return min(self.recipes, key=lambda r: sign * self.mean(r, metric))

    def table(self) -> list[str]:
        """One line per recipe: every seed's validation accuracy, then the means."""
        lines = []
        for r in self.recipes:
            trials = self.of(r)
            accuracies = ", ".join(f"{t.val_accuracy:.1%}" for t in trials)
            lines.append(f"{r:<28} validation accuracy {accuracies} (mean {self.mean(r, 'val_accuracy'):.2%}); "
                         f"mean validation loss {self.mean(r):.4f}")
        return lines


def run_study(train: Callable[[Any, int], tuple], recipes: dict, seeds, x_val, y_val) -> Study:
    """Train every recipe with every seed; measure each model on the validation data ``x_val``, ``y_val``.

    ``recipes`` maps a name to whatever ``train`` needs; ``train(recipe, seed)`` returns
    ``(model, run)``, a trained model and any record of its training. ``x_val`` ``(N, ...)`` and
    ``y_val`` ``(N,)`` are the only data the study measures on.
    """
    seeds = list(seeds)
    if not recipes or not seeds:
        raise ValueError(f"run_study: need at least one recipe and one seed; got {len(recipes)} and {len(seeds)}")
    study = Study()
    for name, recipe in recipes.items():
        for seed in seeds:
            model, run = train(recipe, seed)
            loss, accuracy = evaluate(model, x_val, y_val)
            study.trials.append(Trial(name, seed, loss, accuracy, model, run))
    return study


def best_of_k_accuracy(n: int, accuracy: float, k: int) -> float:
    """The expected best of ``k`` measured accuracies, each of a model truly right with probability ``accuracy``.

    Each model's number of mistakes on the ``n`` examples is Binomial(``n``, ``1 - accuracy``),
    independently of the others. The best measured accuracy is ``1 - min(mistakes) / n``, and
    ``E[min] = sum_{j >= 1} P(min >= j) = sum_{j >= 1} P(X >= j) ** k`` for one model's ``X``.
    Exact (no simulation). With ``k = 1`` it returns ``accuracy``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"best_of_k_accuracy: n must be a positive int; got {n!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"best_of_k_accuracy: k must be a positive int; got {k!r}")
    if not 0 <= accuracy <= 1:
        raise ValueError(f"best_of_k_accuracy: accuracy must lie in [0, 1]; got {accuracy!r}")
    at_least = _binomial_at_least(int(n), 1.0 - float(accuracy))[1:]       # P(X >= j) for j = 1 .. n
    expected_min = float(np.sum(at_least ** k))
    return 1.0 - expected_min / n


def _binomial_at_least(n: int, p: float) -> np.ndarray:
    """``P(X >= j)`` for ``j = 0 .. n`` and ``X ~ Binomial(n, p)``: the probabilities summed from the top."""
    if p <= 0.0 or p >= 1.0:                                   # X is 0 always, or n always
        return np.ones(n + 1) if p >= 1.0 else np.r_[1.0, np.zeros(n)]
    j = np.arange(n + 1)
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in j])
    pmf = np.exp(log_choose + j * math.log(p) + (n - j) * math.log1p(-p))
    return np.minimum(np.cumsum(pmf[::-1])[::-1], 1.0)
