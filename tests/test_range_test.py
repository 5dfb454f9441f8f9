"""Tests of the learning-rate range test (optcourse.range_test, chapter 9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optcourse import RangeTest, lr_range_test, minimize
from optcourse.diagnostics import max_stable_lr
from optcourse.objectives import LeastSquares, Quadratic
from optcourse.objectives.data import make_linear_regression
from optcourse.optimizers import SGD, Adam


@pytest.mark.parametrize("eigs", [[1.0, 10.0], [1.0, 100.0], [0.3, 2.0, 7.0]])
@pytest.mark.parametrize("smoothing", [0.0, 0.98])
def test_on_a_quadratic_the_blowup_is_past_the_limit_and_the_pick_is_stable(
    eigs: list[float], smoothing: float
) -> None:
    q = Quadratic.diagonal(eigs)
    limit = max_stable_lr(q.H)
    x0 = np.ones(len(eigs))
    test = lr_range_test(q, x0, SGD(lr=0.1), 1e-7, 10.0, 100, smoothing=smoothing)
    assert test.blowup_lr is not None
    # no run with a stable rate can blow up: every rate before the blow-up ... and the blow-up
    # itself lies past the limit (the unstable direction had to grow back first)
    assert test.blowup_lr > limit
    assert test.lrs[-1] == test.blowup_lr and len(test.lrs) < 100
    assert test.suggestion < limit and "min/10" in test.method
    assert test.suggestion == pytest.approx(test.min_lr / 10)
    run = minimize(q, x0, SGD(lr=test.suggestion), max_iter=3000)
    assert run.fun < 1e-12 * q.value(x0)  # the pick runs stably, to the minimum
    steep = lr_range_test(q, x0, SGD(lr=0.1), 1e-7, 10.0, 100, suggest="steepest")
    assert steep.suggestion < limit and steep.method.startswith("steepest")


def test_rates_losses_and_smoothing_follow_the_documented_conventions() -> None:
    q = Quadratic.diagonal([1.0, 4.0])
    x0 = np.array([1.0, -2.0])
    beta = 0.9
    test = lr_range_test(q, x0, SGD(lr=1.0), 1e-3, 5.0, 40, smoothing=beta)
    rates = 1e-3 * (5.0 / 1e-3) ** (np.arange(40) / 39)
    np.testing.assert_allclose(test.lrs, rates[: len(test.lrs)], rtol=1e-12)
    x, losses = x0.copy(), []
    for lr in test.lrs:  # one plain gradient step per rate, the loss after it
        x = x - lr * q.grad(x)
        losses.append(q.value(x))
    np.testing.assert_allclose(test.losses, losses, rtol=1e-12)
    avg, smooth = 0.0, []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        smooth.append(avg / (1 - beta ** (i + 1)))
    np.testing.assert_allclose(test.smoothed, smooth, rtol=1e-12)
    # the stop: the first step whose smoothed loss exceeds 4 times the lowest one so far
    above = [s > 4 * min(smooth[: i + 1]) for i, s in enumerate(smooth)]
    assert above.index(True) == len(test.lrs) - 1


def test_without_a_blowup_it_says_so() -> None:
    q = Quadratic.diagonal([1.0, 2.0])
    test = lr_range_test(q, [1.0, 1.0], SGD(lr=0.1), 1e-4, 0.5, 50)
    assert test.blowup_lr is None and len(test.lrs) == 50
    assert "never blew up" in test.method and isinstance(test, RangeTest)


def test_a_nonfinite_loss_stops_the_test() -> None:
    q = Quadratic.diagonal([1.0, 1e3])
    test = lr_range_test(
        q, [1.0, 1.0], SGD(lr=0.1), 1e-4, 1e6, 60, smoothing=0.999, stop_factor=1e300
    )
    assert test.blowup_lr is not None and not math.isfinite(test.losses[-1])
    assert math.isnan(test.smoothed[-1]) and np.isfinite(test.smoothed[:-1]).all()


def test_mini_batches_are_seeded_and_work_with_another_optimizer() -> None:
    X, y = make_linear_regression(200, 5, noise=0.5, seed=3)
    ls = LeastSquares(X, y)
    args = (ls, np.zeros(5), SGD(lr=0.1), 1e-5, 10.0, 80)
    a = lr_range_test(*args, batch_size=16, seed=7)
    b = lr_range_test(*args, batch_size=16, seed=7)
    c = lr_range_test(*args, batch_size=16, seed=8)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.losses[:20], c.losses[:20])
    adam = lr_range_test(ls, np.zeros(5), Adam(lr=0.1), 1e-5, 100.0, 80, batch_size=16, seed=7)
    assert adam.blowup_lr is not None and adam.suggestion < adam.blowup_lr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(lr_min=0.0), "lr_min"),
        (dict(lr_min=-1.0), "lr_min"),
        (dict(lr_max=math.inf), "lr_max"),
        (dict(lr_min=1.0, lr_max=0.5), "lr_max must be > lr_min"),
        (dict(steps=1), "steps"),
        (dict(steps=10.0), "steps"),
        (dict(smoothing=1.0), "smoothing"),
        (dict(smoothing=-0.1), "smoothing"),
        (dict(stop_factor=1.0), "stop_factor"),
        (dict(stop_factor=math.nan), "stop_factor"),
        (dict(suggest="valley"), "suggest"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_input_is_refused_with_its_name(kwargs: dict[str, object], message: str) -> None:
    X, y = make_linear_regression(50, 2, seed=0)
    with pytest.raises(ValueError, match=message):
        lr_range_test(LeastSquares(X, y), np.zeros(2), SGD(lr=0.1), **kwargs)  # type: ignore[arg-type]


def test_a_first_step_that_overflows_is_reported() -> None:
    q = Quadratic.diagonal([1.0, 1e150])  # loss 5e129 at the start, inf after one step of 1e10
    with pytest.raises(ValueError, match="start lower"):
        lr_range_test(q, [1.0, 1e-10], SGD(lr=0.1), 1e10, 1e12, 10)
