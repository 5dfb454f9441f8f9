"""optcourse.stochastic: the mini-batch variance formulas, their measurement, many SGD runs."""

from __future__ import annotations

import numpy as np
import pytest

from optcourse import minimize
from optcourse.objectives import LeastSquares, Quadratic, make_linear_regression
from optcourse.optimizers import SGD
from optcourse.schedules import InverseTimeLR
from optcourse.stochastic import (
    gradient_variance,
    minibatch_gradients,
    minibatch_variance,
    per_sample_gradients,
    sgd_runs,
)


@pytest.fixture(scope="module")
def lsq() -> LeastSquares:
    return LeastSquares(*make_linear_regression(60, 3, noise=0.4, seed=21))


def test_minibatch_variance_formulas() -> None:
    assert minibatch_variance(2.0, 1000, 100, replacement=True) == pytest.approx(0.02)
    assert minibatch_variance(2.0, 1000, 100) == pytest.approx(0.02 * 900 / 999)
    assert minibatch_variance(3.0, 10, 1) == pytest.approx(3.0)  # one sample: sigma^2 either way
    assert minibatch_variance(3.0, 10, 10) == 0.0  # the whole data set: no noise
    np.testing.assert_allclose(minibatch_variance(1.0, 5, [1, 5]), [1.0, 0.0])
    assert minibatch_variance(1.0, 5, 50, replacement=True) == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((-1.0, 10, 2), {}, "sigma2"),
        ((1.0, 10, 0), {}, "batch_size"),
        ((1.0, 10, 11), {}, r"\[1, n_samples=10\]"),
        ((1.0, 10, 2.5), {"replacement": True}, "batch_size"),
        ((1.0, 0, 1), {}, "n_samples"),
    ],
)
def test_minibatch_variance_bad_input(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        minibatch_variance(*args, **kwargs)


def test_per_sample_gradients_average_to_the_gradient(lsq: LeastSquares) -> None:
    theta = np.array([0.3, -1.0, 2.0])
    g = per_sample_gradients(lsq, theta)
    assert g.shape == (60, 3)
    np.testing.assert_allclose(g.mean(axis=0), lsq.grad(theta), rtol=1e-12)
    i = 17
    np.testing.assert_allclose(g[i], lsq.X[i] * (lsq.X[i] @ theta - lsq.y[i]), rtol=1e-12)
    naive = np.mean(np.sum((g - lsq.grad(theta)) ** 2, axis=1))
    assert gradient_variance(lsq, theta) == pytest.approx(naive, rel=1e-12)


@pytest.mark.parametrize("replacement", [False, True])
def test_minibatch_gradients_match_the_formula(lsq: LeastSquares, replacement: bool) -> None:
    theta = np.zeros(3)
    sigma2 = gradient_variance(lsq, theta)
    for size in (1, 7, 30):
        g = minibatch_gradients(lsq, theta, size, 20_000, replacement=replacement, seed=size)
        sq = np.sum((g - lsq.grad(theta)) ** 2, axis=1)
        want = minibatch_variance(sigma2, 60, size, replacement=replacement)
        assert abs(sq.mean() - want) < 5 * sq.std() / np.sqrt(len(sq))  # the formula ...
        se = g.std(axis=0) / np.sqrt(len(g))
        assert np.all(np.abs(g.mean(axis=0) - lsq.grad(theta)) < 5 * se)  # ... and unbiased
    # without replacement, a batch of all 60 rows is the full gradient
    full = minibatch_gradients(lsq, theta, 60, 5, seed=0)
    np.testing.assert_allclose(full, np.broadcast_to(lsq.grad(theta), (5, 3)), rtol=1e-12)


def test_minibatch_gradients_are_seeded_and_check_their_input(lsq: LeastSquares) -> None:
    a = minibatch_gradients(lsq, np.ones(3), 4, 10, seed=3)
    np.testing.assert_array_equal(a, minibatch_gradients(lsq, np.ones(3), 4, 10, seed=3))
    assert not np.array_equal(a, minibatch_gradients(lsq, np.ones(3), 4, 10, seed=4))
    with pytest.raises(ValueError, match="without replacement"):
        minibatch_gradients(lsq, np.ones(3), 61, 10)
    assert minibatch_gradients(lsq, np.ones(3), 61, 2, replacement=True).shape == (2, 3)
    with pytest.raises(ValueError, match="draws"):
        minibatch_gradients(lsq, np.ones(3), 4, 0)
    with pytest.raises(TypeError, match="data objective"):
        minibatch_gradients(Quadratic.diagonal([1.0, 2.0]), np.ones(2), 1, 1)


def test_sgd_runs_is_plain_sgd_run_by_run(lsq: LeastSquares) -> None:
    """One run of sgd_runs with reshuffled epochs equals the hand-written loop with its batches."""
    runs = sgd_runs(lsq, np.zeros(3), [0.05, 0.1], batch_size=7, steps=25, runs=2, seed=9)
    rng = np.random.default_rng(9)
    order = np.tile(np.arange(60), (2, 1))
    x, lr = np.zeros((2, 3)), np.array([0.05, 0.1])
    losses = [lsq.value(x)]
    perm = rng.permuted(order, axis=1)
    for t in range(25):
        i = (t % 9) * 7  # 9 batches per epoch: 8 of 7 rows and one of 4
        if t and t % 9 == 0:
            perm = rng.permuted(order, axis=1)
        batch = perm[:, i : i + 7]
        x = x - lr[:, None] * np.array([lsq.grad(x[r], batch=batch[r]) for r in range(2)])
        losses.append(lsq.value(x))
    np.testing.assert_allclose(runs.x, x, rtol=1e-12)
    np.testing.assert_allclose(runs.loss, np.array(losses), rtol=1e-12)
    np.testing.assert_array_equal(runs.steps, np.arange(26))


def test_sgd_runs_records_schedules_and_floors(lsq: LeastSquares) -> None:
    kw = dict(batch_size=1, steps=3000, runs=50, seed=2, sampling="replacement", record_every=10)
    runs = sgd_runs(lsq, lsq.solution, 0.02, **kw)
    assert runs.steps[0] == 0 and runs.steps[-1] == 3000 and np.all(np.diff(runs.steps) == 10)
    assert runs.loss.shape == (301, 50) and runs.x.shape == (50, 3)
    assert np.all(runs.loss[0] == lsq.minimum)  # started at the minimizer ...
    floor = runs.late_mean(lsq.minimum, 1000).mean()
    predicted = 0.02 * gradient_variance(lsq, lsq.solution) / 4
    assert abs(floor / predicted - 1) < 0.15  # ... and pushed up to the floor eta sigma*^2 / 4
    decayed = sgd_runs(lsq, lsq.solution, 0.02, schedule=InverseTimeLR(0.02, k=0.05), **kw)
    assert decayed.late_mean(lsq.minimum, 1000).mean() < floor / 5  # a decaying step goes lower
    with pytest.raises(ValueError, match="start"):
        runs.late_mean(lsq.minimum, 4000)


def test_sgd_runs_full_batch_is_gradient_descent(lsq: LeastSquares) -> None:
    runs = sgd_runs(lsq, np.zeros(3), 0.1, batch_size=60, steps=40, runs=3, seed=0)
    gd = minimize(lsq, np.zeros(3), SGD(lr=0.1), max_iter=40)
    np.testing.assert_allclose(runs.x, np.broadcast_to(gd.x, (3, 3)), rtol=1e-10)
    np.testing.assert_allclose(runs.loss[:, 0], gd.history.loss, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 61}, "n_samples=60"),
        ({"steps": -1}, "steps"),
        ({"runs": 0}, "runs"),
        ({"record_every": 0}, "record_every"),
        ({"sampling": "shuffle"}, "sampling must be"),
        ({"lr": [0.1, 0.2, 0.3]}, "one per run"),
        ({"lr": -0.1}, "lr must be"),
        ({"x0": np.zeros(4)}, "x0 must have shape"),
    ],
)
def test_sgd_runs_bad_input(lsq: LeastSquares, kwargs: dict, match: str) -> None:
    args = dict(x0=np.zeros(3), lr=0.1, batch_size=4, steps=5, runs=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sgd_runs(lsq, **args)
