"""Momentum theory on quadratics (optcourse.momentum), every formula checked against real runs."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from optcourse.diagnostics import contraction_rate
from optcourse.momentum import (
    iteration_matrix,
    momentum_max_stable_lr,
    momentum_rate,
    nesterov_parameters,
    polyak_parameters,
)
from optcourse.objectives import Quadratic
from optcourse.optimizers import SGD
from optcourse.sweep import sweep

H = np.array([[10.0, 3.0], [3.0, 2.0]])  # eigenvalues 1 and 11


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize(
    ("eta", "beta", "lam"), [(0.1, 0.9, 3.0), (0.02, 0.5, 40.0), (0.3, 0.0, 2.0)]
)
def test_iteration_matrix_reproduces_sgd(eta, beta, lam, nesterov):
    """The state (x, b) of torch-form SGD on ½λx² is M^t (x0, 0), step for step."""
    momentum = {"momentum": beta, "nesterov": nesterov} if beta else {}
    opt = SGD(lr=eta, **momentum)
    M = iteration_matrix(eta, beta, lam, nesterov=nesterov)
    x, state = np.array([1.7]), np.array([1.7, 0.0])
    for _ in range(25):
        x = opt.step(x, lam * x)
        state = M @ state
        assert x[0] == pytest.approx(state[0], rel=1e-12, abs=1e-14)
        if beta:
            assert opt.state["momentum_buffer"][0] == pytest.approx(state[1], rel=1e-12, abs=1e-14)


def test_iteration_matrix_broadcasts_and_has_the_characteristic_polynomials():
    eta, lam, beta = np.array([[0.01], [0.1]]), np.array([1.0, 5.0, 9.0]), 0.7
    hb = iteration_matrix(eta, beta, lam)
    nag = iteration_matrix(eta, beta, lam, nesterov=True)
    assert hb.shape == nag.shape == (2, 3, 2, 2)
    h = 1 - eta * lam
    np.testing.assert_allclose(np.trace(hb, axis1=-2, axis2=-1), 1 + beta - eta * lam)
    np.testing.assert_allclose(np.linalg.det(hb), beta)
    np.testing.assert_allclose(np.trace(nag, axis1=-2, axis2=-1), (1 + beta) * h)
    np.testing.assert_allclose(np.linalg.det(nag), beta * h)


def test_rate_with_beta_zero_is_gradient_descents():
    etas = np.linspace(0.0, 0.25, 11)
    for nesterov in (False, True):
        np.testing.assert_allclose(
            momentum_rate(etas, 0.0, H, nesterov=nesterov), contraction_rate(etas, H), atol=1e-12
        )


def test_rate_is_the_measured_contraction():
    """Far from a double root the error norm shrinks by exactly the spectral radius per step."""
    q = Quadratic(H)
    for nesterov in (False, True):
        eta, beta = 0.05, 0.6
        opt = functools.partial(SGD, momentum=beta, nesterov=nesterov)
        path = sweep(q, [eta], [1.0, -2.0], steps=400, optimizer=opt).path[0, 0]
        err = np.linalg.norm(path, axis=1)
        measured = (err[400] / err[200]) ** (1 / 200)
        rate = momentum_rate(eta, beta, H, nesterov=nesterov)
        assert measured == pytest.approx(rate, abs=2e-3)


def test_polyak_tuning_gives_sqrt_kappa_rate_and_is_the_best_on_a_grid():
    eigs = [1.0, 100.0]
    eta, beta = polyak_parameters(eigs)
    assert eta == pytest.approx(4 / 121) and beta == pytest.approx((9 / 11) ** 2)
    assert momentum_rate(eta, beta, eigs) == pytest.approx(9 / 11, rel=1e-9)
    etas = np.linspace(0.001, 0.0379, 300)
    best = min(float(momentum_rate(etas, b, eigs).min()) for b in np.linspace(0, 0.99, 200))
    assert best >= 9 / 11 - 1e-9  # no grid point beats Polyak's tuning


def test_nesterov_tuning_and_its_rate_on_the_quadratic():
    eigs = [2.0, 200.0]
    eta, beta = nesterov_parameters(eigs)
    assert eta == pytest.approx(1 / 200) and beta == pytest.approx(9 / 11)
    assert momentum_rate(eta, beta, eigs, nesterov=True) == pytest.approx(0.9, rel=1e-9)
    assert momentum_rate(*polyak_parameters(eigs), eigs) < 0.9


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_max_stable_lr_is_where_the_rate_reaches_one(beta, nesterov):
    limit = momentum_max_stable_lr(beta, H, nesterov=nesterov)
    factor = 1 + 2 * beta if nesterov else 1.0
    assert limit == pytest.approx(2 * (1 + beta) / (11 * factor))
    assert momentum_rate(limit * (1 - 1e-6), beta, H, nesterov=nesterov) < 1
    assert momentum_rate(limit * (1 + 1e-6), beta, H, nesterov=nesterov) > 1
    assert momentum_rate(limit, beta, H, nesterov=nesterov) == pytest.approx(1.0, abs=1e-9)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="beta must be in"):
        iteration_matrix(0.1, 1.0, 2.0)
    with pytest.raises(ValueError, match="beta must be in"):
        momentum_max_stable_lr(-0.1, H)
    with pytest.raises(ValueError, match="positive definite"):
        polyak_parameters([-1.0, 4.0])
    with pytest.raises(ValueError, match="positive definite"):
        nesterov_parameters([0.0, 4.0])
    with pytest.raises(ValueError, match="symmetric"):
        momentum_rate(0.1, 0.5, [[1.0, 2.0], [0.0, 1.0]])
    assert math.isfinite(momentum_rate(0.1, 0.5, [1.0, 4.0]))
