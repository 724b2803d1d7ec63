"""cnnbook.nn: learning-rate schedules, the scheduled training loop, and choosing on a validation set."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnbook.nn import (
    SCHEDULES,
    Study,
    Trial,
    best_of_k_accuracy,
    constant_lr,
    cosine_lr,
    fit_with_schedule,
    run_study,
)
from cnnbook.nn.optim import Adam
from cnnbook.nn.training import evaluate
from toy_problems import blobs, mlp




# --- schedules ----------------------------------------------------------------------------------------

def test_cosine_starts_at_lr_halves_midway_and_stays_positive():
    assert cosine_lr(0, 10, 2e-3) == 2e-3
    assert cosine_lr(5, 10, 2e-3) == pytest.approx(1e-3)
    rates = [cosine_lr(e, 10, 1.0) for e in range(10)]
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] == pytest.approx((1 - math.cos(math.pi / 10)) / 2)


def test_cosine_mean_rate_is_half_plus_a_small_excess():
    """sum_{e<E} cos(pi e / E) = 1 (the terms e and E - e cancel), so the mean rate is lr (1/2 + 1/(2E))."""
    for epochs in (1, 2, 6, 30):
        mean = np.mean([cosine_lr(e, epochs, 1.0) for e in range(epochs)])
        assert mean == pytest.approx(0.5 + 0.5 / epochs)


def test_constant_and_the_table():
    assert constant_lr(7, 10, 3e-3) == 3e-3
    assert SCHEDULES == {"constant": constant_lr, "cosine": cosine_lr}


# --- fit_with_schedule ----------------------------------------------------------------------------------

def test_fit_with_schedule_sets_each_epochs_rate_and_restores_lr(rng):
    x, y = blobs(rng, n=48)
    net = mlp(0)
    optimizer = Adam(net.parameters(), lr=0.02)
    run = fit_with_schedule(net, optimizer, x, y, 4, 16, np.random.default_rng(0), schedule="cosine",
                            x_val=x[:12], y_val=y[:12], x_eval=x, y_eval=y)
    assert run.learning_rates == [cosine_lr(e, 4, 0.02) for e in range(4)] and optimizer.lr == 0.02
    assert len(run.history) == 4 and len(run.history.val_loss) == 4
    assert len(run.end_train_loss) == len(run.end_train_accuracy) == 4
    # the end-of-epoch measurement uses the final weights: it equals a fresh evaluation after training
    assert run.end_train_loss[-1] == pytest.approx(evaluate(net, x, y)[0])
    assert run.end_train_accuracy[-1] == evaluate(net, x, y)[1]
    assert run.seconds == pytest.approx(sum(run.history.seconds))


def test_a_custom_schedule_and_no_extra_measurement(rng):
    x, y = blobs(rng, n=48)
    net = mlp(0)
    optimizer = Adam(net.parameters(), lr=0.5)
    run = fit_with_schedule(net, optimizer, x, y, 3, 16, np.random.default_rng(0),
                            schedule=lambda e, E, lr: lr / (e + 1))
    assert run.learning_rates == [0.5, 0.25, 0.5 / 3]
    assert run.end_train_loss == [] and run.history.val_loss == []


def test_the_learning_rate_is_restored_after_an_error(rng):
    x, y = blobs(rng, n=48)
    net = mlp(0)
    optimizer = Adam(net.parameters(), lr=0.01)

    def failing(epoch, epochs, lr):
        if epoch == 1:
            raise RuntimeError("boom")
        return 5 * lr

    with pytest.raises(RuntimeError, match="boom"):
        fit_with_schedule(net, optimizer, x, y, 3, 16, np.random.default_rng(0), schedule=failing)
    assert optimizer.lr == 0.01


def test_fit_with_schedule_refuses_bad_arguments(rng):
    x, y = blobs(rng, n=48)
    net = mlp(0)
    optimizer = Adam(net.parameters())
    with pytest.raises(ValueError, match=r"schedule must be one of \['constant', 'cosine'\]"):
        fit_with_schedule(net, optimizer, x, y, 2, 16, rng, schedule="linear")
    with pytest.raises(TypeError, match="schedule must be a name or a function"):
        fit_with_schedule(net, optimizer, x, y, 2, 16, rng, schedule=3)
    with pytest.raises(ValueError, match="both x_eval and y_eval"):
        fit_with_schedule(net, optimizer, x, y, 2, 16, rng, x_eval=x)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit_with_schedule(net, optimizer, x, y, 0, 16, rng)


# --- run_study and Study ------------------------------------------------------------------------------

def test_run_study_trains_every_recipe_and_seed_and_measures_only_the_validation_data(rng):
    x, y = blobs(rng, n=48)
    x_val, y_val = x[:24], y[:24]
    calls = []

    def train(lr, seed):
        calls.append((lr, seed))
        net = mlp(seed)
        run = fit_with_schedule(net, Adam(net.parameters(), lr=lr), x, y, 3, 16, np.random.default_rng(seed))
        return net, run

    study = run_study(train, {"tiny steps": 1e-6, "good steps": 0.05}, [0, 1], x_val, y_val)
    assert calls == [(1e-6, 0), (1e-6, 1), (0.05, 0), (0.05, 1)]
    assert study.recipes == ["tiny steps", "good steps"] and len(study.trials) == 4
    trial = study.trial("good steps", 1)
    assert (trial.val_loss, trial.val_accuracy) == evaluate(trial.model, x_val, y_val)
    assert study.mean("good steps") == pytest.approx(np.mean([t.val_loss for t in study.of("good steps")]))
    assert study.best() == "good steps" == study.best("val_accuracy")
    lines = study.table()
    assert len(lines) == 2 and lines[1].startswith("good steps") and "mean validation loss" in lines[1]


def test_study_best_uses_the_lowest_loss_or_the_highest_accuracy():
    study = Study([Trial("a", 0, 0.10, 0.97), Trial("a", 1, 0.12, 0.99), Trial("b", 0, 0.08, 0.97),
                   Trial("b", 1, 0.09, 0.975)])
    assert study.best("val_loss") == "b"           # mean loss 0.085 < 0.11
    assert study.best("val_accuracy") == "a"       # mean accuracy 0.98 > 0.9725: the two criteria can disagree
    with pytest.raises(KeyError, match="no recipe 'c'"):
        study.of("c")
    with pytest.raises(KeyError, match="has no seed 5"):
        study.trial("a", 5)
    with pytest.raises(ValueError, match="metric must be"):
        study.mean("a", "test_accuracy")


def test_run_study_needs_recipes_and_seeds(rng):
    with pytest.raises(ValueError, match="at least one recipe and one seed"):
        run_study(lambda r, s: None, {}, [0], None, None)


# --- best_of_k_accuracy ---------------------------------------------------------------------------------

def test_best_of_one_is_the_accuracy_itself():
    assert best_of_k_accuracy(360, 0.99, 1) == pytest.approx(0.99, abs=1e-12)


def test_best_of_k_agrees_with_a_simulation_and_grows_with_k():
    rng = np.random.default_rng(0)
    mistakes = rng.binomial(360, 0.01, size=(200_000, 9))
    simulated = 1 - mistakes.min(axis=1).mean() / 360
    exact = best_of_k_accuracy(360, 0.99, 9)
    assert exact == pytest.approx(simulated, abs=2e-4)
    values = [best_of_k_accuracy(360, 0.99, k) for k in (1, 2, 5, 9, 20)]
    assert all(a < b for a, b in zip(values, values[1:]))


def test_best_of_k_by_hand_for_a_tiny_case():
    """n = 1, accuracy 0.5, k = 2: the best is right unless both are wrong, 1 - 0.25 = 0.75."""
    assert best_of_k_accuracy(1, 0.5, 2) == pytest.approx(0.75)


@pytest.mark.parametrize("args, message", [
    ((0, 0.9, 2), "n must be a positive int"),
    ((10, 1.5, 2), r"accuracy must lie in \[0, 1\]"),
    ((10, 0.9, 0), "k must be a positive int"),
    ((10, 0.9, True), "k must be a positive int"),
])
def test_best_of_k_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        best_of_k_accuracy(*args)


def test_best_of_k_at_the_extremes():
    assert best_of_k_accuracy(10, 1.0, 3) == 1.0          # never wrong: nothing to gain by choosing
    assert best_of_k_accuracy(10, 0.0, 3) == 0.0          # always wrong: nothing either
