"""Tests of the data objectives (LeastSquares, LogisticRegression) and the data generators."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optcourse.objectives import (
    LeastSquares,
    LogisticRegression,
    make_classification,
    make_linear_regression,
)


@pytest.fixture(scope="module")
def lsq() -> LeastSquares:
    return LeastSquares(*make_linear_regression(80, 4, noise=0.5, seed=11))


@pytest.fixture(scope="module")
def logreg() -> LogisticRegression:
    return LogisticRegression(*make_classification(90, 3, seed=12), l2=0.05)


def test_least_squares_formulas(lsq: LeastSquares) -> None:
    X, y, m = lsq.X, lsq.y, lsq.n_samples
    theta = np.array([0.3, -1.0, 2.0, 0.5])
    r = X @ theta - y
    assert lsq.value(theta) == pytest.approx(0.5 * np.mean(r**2), rel=1e-14)
    assert lsq.value(theta) == pytest.approx(np.sum(r**2) / (2 * m), rel=1e-14)
    np.testing.assert_allclose(lsq.grad(theta), X.T @ r / m, rtol=1e-13)
    np.testing.assert_allclose(lsq.hessian(theta), X.T @ X / m, rtol=1e-13)
    assert repr(lsq) == "LeastSquares(n_samples=80, n_features=4)"


def test_least_squares_solution_is_normal_equation_solution(lsq: LeastSquares) -> None:
    X, y = lsq.X, lsq.y
    normal = np.linalg.solve(X.T @ X, X.T @ y)
    np.testing.assert_allclose(lsq.solution, normal, rtol=1e-10, atol=1e-12)
    assert lsq.minimizers is not None
    np.testing.assert_array_equal(lsq.minimizers, lsq.solution[None])
    assert np.linalg.norm(lsq.grad(lsq.solution)) < 1e-13
    assert lsq.minimum == pytest.approx(lsq.value(normal), rel=1e-12)
    # any other point is worse
    others = lsq.solution + np.random.default_rng(0).normal(size=(50, 4))
    assert np.all(lsq.value(others) > lsq.minimum)


def test_noise_free_regression_recovers_true_weights() -> None:
    X, y, w = make_linear_regression(30, 3, noise=0.0, seed=5, return_coef=True)
    np.testing.assert_allclose(X @ w, y)
    np.testing.assert_allclose(LeastSquares(X, y).solution, w, rtol=1e-10)


@pytest.mark.parametrize("which", ["lsq", "logreg"])
def test_minibatch_over_all_rows_is_full_batch(
    which: str, lsq: LeastSquares, logreg: LogisticRegression
) -> None:
    f = lsq if which == "lsq" else logreg
    theta = np.random.default_rng(1).normal(size=(3, f.dim))
    everything = np.arange(f.n_samples)
    np.testing.assert_allclose(f.grad(theta, batch=everything), f.grad(theta), rtol=1e-13)
    np.testing.assert_allclose(f.value(theta, batch=everything), f.value(theta), rtol=1e-13)
    shuffled = np.random.default_rng(2).permutation(f.n_samples)
    np.testing.assert_allclose(f.grad(theta, batch=shuffled), f.grad(theta), rtol=1e-12)
    mask = np.ones(f.n_samples, dtype=bool)
    np.testing.assert_allclose(f.grad(theta, batch=mask), f.grad(theta), rtol=1e-13)


@settings(max_examples=20, deadline=None)
@given(
    which=st.sampled_from(["lsq", "logreg"]),
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 30),
)
def test_minibatch_is_mean_of_per_sample_terms(which: str, seed: int, size: int) -> None:
    f = (
        LeastSquares(*make_linear_regression(40, 3, seed=4))
        if which == "lsq"
        else LogisticRegression(*make_classification(40, 3, seed=4), l2=0.2)
    )
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=3)
    batch = rng.choice(f.n_samples, size=size, replace=True)
    per_grad = np.array([f.grad(theta, batch=[i]) for i in batch])
    per_val = np.array([f.value(theta, batch=[i]) for i in batch])
    np.testing.assert_allclose(f.grad(theta, batch=batch), per_grad.mean(axis=0), atol=1e-13)
    assert f.value(theta, batch=batch) == pytest.approx(per_val.mean(), rel=1e-12)
    # the full gradient is the mean of all per-sample gradients
    all_grads = np.array([f.grad(theta, batch=[i]) for i in range(f.n_samples)])
    np.testing.assert_allclose(f.grad(theta), all_grads.mean(axis=0), atol=1e-13)


def test_minibatch_hessian_and_batch_axes(logreg: LogisticRegression) -> None:
    theta = np.random.default_rng(3).normal(size=(2, 4, 3))
    batch = np.array([0, 5, 7, 7])
    assert logreg.value(theta, batch=batch).shape == (2, 4)
    assert logreg.grad(theta, batch=batch).shape == (2, 4, 3)
    H = logreg.hessian(theta, batch=batch)
    assert H.shape == (2, 4, 3, 3)
    Xb = logreg.X[batch]
    s = 1 / (1 + np.exp(-theta[1, 2] @ Xb.T))
    expected = (Xb.T * (s * (1 - s))) @ Xb / 4 + 0.05 * np.eye(3)
    np.testing.assert_allclose(H[1, 2], expected, rtol=1e-12)


def test_logistic_matches_naive_cross_entropy(logreg: LogisticRegression) -> None:
    theta = np.array([0.5, -0.3, 1.2])
    p = 1 / (1 + np.exp(-logreg.X @ theta))
    y = logreg.y
    ce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.025 * theta @ theta
    assert logreg.value(theta) == pytest.approx(ce, rel=1e-12)
    np.testing.assert_allclose(logreg.predict_proba(theta), p, rtol=1e-12)
    expected_grad = logreg.X.T @ (p - y) / logreg.n_samples + 0.05 * theta
    np.testing.assert_allclose(logreg.grad(theta), expected_grad, rtol=1e-12)
    assert repr(logreg) == "LogisticRegression(n_samples=90, n_features=3, l2=0.05)"


def test_logistic_is_stable_for_huge_scores() -> None:
    X = np.array([[1.0], [-1.0], [1.0]])
    f = LogisticRegression(X, [1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        v = f.value([1e4])
        g = f.grad([1e4])
        H = f.hessian([1e4])
    # sample 2 has score −1e4 with label 1, sample 3 score 1e4 with label 0: loss 1e4 each
    assert v == pytest.approx(2e4 / 3, rel=1e-12)
    np.testing.assert_allclose(g, [2.0 / 3.0], rtol=1e-12)  # (0 + 1 + 1) / 3
    assert np.all(np.isfinite(H))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 20.0))
def test_logistic_hessian_is_psd(seed: int, scale: float) -> None:
    X, y = make_classification(50, 4, seed=seed % 1000)
    theta = scale * np.random.default_rng(seed).normal(size=(6, 4))
    eig = np.linalg.eigvalsh(LogisticRegression(X, y).hessian(theta))
    assert np.all(eig >= -1e-12)
    eig_l2 = np.linalg.eigvalsh(LogisticRegression(X, y, l2=0.3).hessian(theta))
    assert np.all(eig_l2 >= 0.3 - 1e-12)


def test_logistic_solve(logreg: LogisticRegression) -> None:
    theta = logreg.solve()
    assert np.linalg.norm(logreg.grad(theta)) < 1e-12
    others = theta + 0.1 * np.random.default_rng(0).normal(size=(30, 3))
    assert np.all(logreg.value(others) > logreg.value(theta))
    X, y = make_classification(40, 2, seed=1, separation=12.0)  # separable classes
    with pytest.raises(RuntimeError, match="l2 > 0"):
        LogisticRegression(X, y).solve()
    assert np.linalg.norm(LogisticRegression(X, y, l2=0.01).solve()) < 10


def test_generators_are_deterministic() -> None:
    a = make_linear_regression(20, 3, noise=0.1, seed=7)
    b = make_linear_regression(20, 3, noise=0.1, seed=7)
    c = make_linear_regression(20, 3, noise=0.1, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])
    assert a[0].shape == (20, 3) and a[1].shape == (20,)
    X1, y1 = make_classification(30, 2, seed=3, separation=4.0)
    X2, y2 = make_classification(30, 2, seed=3, separation=4.0)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert set(np.unique(y1)) <= {0.0, 1.0} and X1.shape == (30, 2)


def test_classification_separation_controls_overlap() -> None:
    def train_accuracy(sep: float) -> float:
        X, y = make_classification(400, 2, seed=0, separation=sep)
        f = LogisticRegression(X, y, l2=1e-3)
        return float(np.mean((f.predict_proba(f.solve()) > 0.5) == y))

    assert train_accuracy(0.0) < 0.65
    assert train_accuracy(2.0) > 0.75
    assert train_accuracy(8.0) > 0.99


def test_logistic_solve_converges_when_the_loss_is_flat_at_the_minimum() -> None:
    """Overlapping classes make the loss nearly flat at θ*: the last Newton steps (~1e-10) lower
    it by less than its own rounding, so a line search alone cannot accept them. Before the fix,
    about one in twenty of these seeds raised "did not converge" (which ones depended on the
    numpy version)."""
    for seed in range(40):
        for sep in (0.0, 0.5, 2.0):
            f = LogisticRegression(*make_classification(400, 2, seed=seed, separation=sep), l2=1e-3)
            theta = f.solve()
            assert np.linalg.norm(f.grad(theta)) < 1e-12, (seed, sep)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: LeastSquares(np.ones(5), np.ones(5)), "X must be a 2-D"),
        (lambda: LeastSquares(np.ones((5, 2)), np.ones(4)), r"y must have shape \(5,\)"),
        (lambda: LeastSquares([[1.0, np.nan]], [1.0]), "finite"),
        (lambda: LogisticRegression(np.ones((3, 2)), [0, 1, 2]), "labels 0 and 1"),
        (lambda: LogisticRegression(np.ones((3, 2)), [0, 1, -1]), "labels 0 and 1"),
        (lambda: LogisticRegression(np.ones((3, 2)), [0, 1, 1], l2=-1.0), "l2"),
        (lambda: make_linear_regression(0, 2), "n_samples"),
        (lambda: make_linear_regression(5, 2, noise=-1.0), "noise"),
        (lambda: make_classification(5, 0), "n_features"),
        (lambda: make_classification(5, 2, separation=-1.0), "separation"),
    ],
)
def test_bad_data_raises(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    ("batch", "match"),
    [
        ([], "at least one row"),
        ([0, 80], r"\[0, 79\]"),
        ([-1], r"\[0, 79\]"),
        ([0.5, 1.0], "integer"),
        (np.ones(3, dtype=bool), "boolean batch mask"),
        (np.zeros(80, dtype=bool), "no rows"),
    ],
)
def test_bad_batch_raises(lsq: LeastSquares, batch: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lsq.grad(np.zeros(4), batch=batch)  # type: ignore[arg-type]


@pytest.mark.parametrize("which", ["lsq", "logreg", "network"])
def test_grad_batches_is_one_grad_per_run(
    which: str, lsq: LeastSquares, logreg: LogisticRegression
) -> None:
    from optcourse.objectives import TanhNetwork

    net = TanhNetwork(*make_linear_regression(40, 2, seed=3), hidden=3)
    obj = {"lsq": lsq, "logreg": logreg, "network": net}[which]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, obj.dim))
    batches = rng.integers(0, obj.n_samples, size=(6, 4))
    got = obj.grad_batches(x, batches)
    want = np.array([obj.grad(x[r], batch=batches[r]) for r in range(6)])
    assert got.shape == (6, obj.dim)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("x", "batches", "match"),
    [
        (np.zeros((2, 4)), np.zeros((3, 1), dtype=int), "batches must have shape"),
        (np.zeros((2, 4)), np.zeros((2, 0), dtype=int), "batches must have shape"),
        (np.zeros((2, 3)), np.zeros((2, 1), dtype=int), "x must have shape"),
        (np.zeros(4), np.zeros((1, 1), dtype=int), "x must have shape"),
        (np.zeros((2, 4)), np.zeros((2, 1)), "integer"),
        (np.zeros((2, 4)), np.full((2, 1), 80), "indices"),
    ],
)
def test_grad_batches_bad_input(lsq: LeastSquares, x: object, batches: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lsq.grad_batches(x, batches)
