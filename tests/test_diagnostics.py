"""Diagnostics: quadratic step-size theory checked against real runs, run and curve reading."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from optcourse.diagnostics import (
    CURVE_READINGS,
    RUN_CLASSES,
    classify_run,
    condition_number,
    contraction_rate,
    eigenvalues,
    goe_positive_definite_probability,
    max_stable_lr,
    moving_average,
    optimal_lr,
    read_loss_curves,
    steps_to_tolerance,
    update_factor,
)
from optcourse.minimize import minimize
from optcourse.objectives import Parabola, Quadratic
from optcourse.optimizers import SGD

H = np.array([[10.0, 3.0], [3.0, 2.0]])  # eigenvalues 1 and 11


# --- quadratic theory ----------------------------------------------------------------------------


def test_update_factor_is_vectorized():
    assert update_factor(0.1, 2.0) == pytest.approx(0.8)
    np.testing.assert_allclose(update_factor([0.01, 0.5, 1.0, 1.1], 2.0), [0.98, 0.0, -1.0, -1.2])
    assert update_factor(np.ones((3, 1)), np.array([1.0, 2.0])).shape == (3, 2)


def test_update_factor_is_what_gradient_descent_does_on_x_squared():
    for eta in (0.01, 0.4, 0.9, 1.1):
        res = minimize(Parabola(), [5.0], SGD(lr=eta), max_iter=10, divergence=False)
        x = res.history.x[:, 0]
        np.testing.assert_allclose(x[1:] / x[:-1], update_factor(eta, 2.0))


def test_eigenvalues_accepts_matrices_lists_and_numbers():
    np.testing.assert_allclose(eigenvalues(H), [1.0, 11.0])
    np.testing.assert_allclose(eigenvalues([3.0, 1.0]), [1.0, 3.0])
    np.testing.assert_allclose(eigenvalues(2.0), [2.0])
    with pytest.raises(ValueError, match="symmetric"):
        eigenvalues([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="shape"):
        eigenvalues(np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        eigenvalues([1.0, math.nan])


def test_step_size_formulas():
    assert max_stable_lr(H) == pytest.approx(2 / 11)
    assert optimal_lr(H) == pytest.approx(2 / 12)
    assert condition_number(H) == pytest.approx(11.0)
    assert max_stable_lr(2.0) == 1.0  # x^2: eta < 1
    assert optimal_lr(2.0) == 0.5  # x^2: one step to 0
    assert condition_number([0.0, 1.0]) == math.inf
    assert condition_number([-4.0, 2.0]) == 2.0
    for bad, message in (([-1.0, 2.0], "smallest eigenvalue is -1 < 0"), ([0.0, 0.0], "flat")):
        with pytest.raises(ValueError, match=message):
            max_stable_lr(bad)
        with pytest.raises(ValueError, match=message):
            optimal_lr(bad)


def test_optimal_lr_minimizes_the_contraction_rate():
    kappa = condition_number(H)
    best = optimal_lr(H)
    assert contraction_rate(best, H) == pytest.approx((kappa - 1) / (kappa + 1))
    grid = np.linspace(0.001, 0.25, 500)
    rates = contraction_rate(grid, H)
    assert rates.shape == grid.shape
    assert np.min(rates) >= contraction_rate(best, H) - 1e-12
    assert grid[np.argmin(rates)] == pytest.approx(best, abs=1e-3)
    assert contraction_rate(max_stable_lr(H), H) == pytest.approx(1.0)


def test_max_stable_lr_is_the_measured_cliff():
    q = Quadratic(H)
    edge = max_stable_lr(q.H)
    below = minimize(q, [1.0, 1.0], SGD(lr=0.98 * edge), max_iter=2000)
    above = minimize(q, [1.0, 1.0], SGD(lr=1.02 * edge), max_iter=2000)
    assert below.fun < 1e-6 * below.history.loss[0]
    assert above.status == "diverged"


def test_contraction_rate_predicts_the_measured_rate():
    q = Quadratic(H)
    eta = 0.1
    res = minimize(q, [1.0, -2.0], SGD(lr=eta), max_iter=200)
    err = np.linalg.norm(res.history.x, axis=1)  # minimizer is 0
    measured = (err[-1] / err[100]) ** (1 / 100)
    assert measured == pytest.approx(contraction_rate(eta, H), rel=1e-3)


def test_steps_to_tolerance_is_the_worst_case_count():
    eigs = [1.0, 10.0]
    for eta in (0.05, optimal_lr(eigs), 0.19):
        n = steps_to_tolerance(eta, eigs, 1e-6)
        rho = contraction_rate(eta, eigs)
        assert rho**n <= 1e-6 * (1 + 1e-9) < rho ** (n - 1)
        # from every start the error is below tol * the first error after n steps
        starts = np.random.default_rng(0).standard_normal((50, 2))
        res = [
            minimize(Quadratic.diagonal(eigs), x0, SGD(lr=eta), max_iter=int(n)) for x0 in starts
        ]
        ratios = [np.linalg.norm(r.x) / np.linalg.norm(r.history.x[0]) for r in res]
        assert max(ratios) <= 1e-6 * (1 + 1e-9)
    # a start on both eigenvectors at eta*: the error shrinks by exactly rho each step
    eta = optimal_lr(eigs)
    n = int(steps_to_tolerance(eta, eigs, 1e-6))
    err = np.linalg.norm(
        minimize(Quadratic.diagonal(eigs), [1.0, 1.0], SGD(lr=eta), max_iter=n).history.x, axis=1
    )
    assert err[-1] <= 1e-6 * err[0] * (1 + 1e-9) and err[-2] > 1e-6 * err[0]
    assert steps_to_tolerance(0.5, 2.0, 1e-3) == 1.0  # x^2 at eta = 0.5: exact in one step
    assert steps_to_tolerance(0.25, [1.0, 2.0], 1e-3) == 25.0
    assert steps_to_tolerance(1.0, 2.0, 1e-3) == math.inf  # bouncing forever
    assert steps_to_tolerance(0.1, 2.0, 1.5) == 0.0
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="tol"):
            steps_to_tolerance(0.1, 2.0, bad)
    with pytest.raises(ValueError, match="eta"):
        steps_to_tolerance(-0.1, 2.0, 1e-3)


# --- classify_run --------------------------------------------------------------------------------


def gd_on_x_squared(eta, steps=50):
    return minimize(Parabola(), [5.0], SGD(lr=eta), max_iter=steps)


@pytest.mark.parametrize(
    ("eta", "with_path", "losses_only"),
    [
        (0.01, "slow", "slow"),
        (0.1, "converging", "converging"),
        (0.4, "converging", "converging"),
        (0.5, "converging", "converging"),
        (0.9, "oscillating", "converging"),  # the loss alone decays monotonically
        (1.0, "oscillating", "stalled"),  # the loss alone is constant
        (1.1, "diverging", "diverging"),
    ],
)
def test_classify_the_regimes_of_x_squared(eta, with_path, losses_only):
    res = gd_on_x_squared(eta)
    assert classify_run(res) == with_path
    assert classify_run(res.history.loss) == losses_only
    assert classify_run(res.history.loss, path=res.history.x) == with_path


def test_slow_becomes_converging_when_given_enough_steps():
    assert classify_run(gd_on_x_squared(0.01, steps=100)) == "slow"
    assert classify_run(gd_on_x_squared(0.01, steps=1000)) == "converging"


def test_classify_raw_curves():
    t = np.arange(40)
    assert classify_run(np.full(40, 3.0)) == "stalled"
    assert classify_run(3.0 + 0.5**t) == "converging"  # unknown floor f* = 3
    assert classify_run(3.0 + 0.99**t) == "slow"
    assert classify_run(1.0 + 0.5 * (-1.0) ** t * 0.9**t + 0.9**t) == "oscillating"
    assert classify_run([1.0, 2.0, np.nan]) == "diverging"
    assert classify_run(1.05**t) == "diverging"
    assert set(RUN_CLASSES) == {"converging", "slow", "oscillating", "diverging", "stalled"}
    with pytest.raises(ValueError, match="at least 3"):
        classify_run([1.0, 0.5])
    with pytest.raises(ValueError, match="one row per loss"):
        classify_run([3.0, 2.0, 1.0], path=[[0.0], [1.0]])


def test_classify_noisy_curves_by_their_trend():
    rng = np.random.default_rng(0)
    t = np.arange(300)
    noise = 0.01 * rng.standard_normal(300)
    assert classify_run(1.0 + 5.0 * 0.9**t + noise) == "converging"  # at its noisy floor
    assert classify_run(1.0 + 5.0 * 0.995**t + noise) == "slow"  # still clearly going down
    assert classify_run(1.0 + 5.0 * noise) == "stalled"  # noise around a constant


# --- moving_average and read_loss_curves ---------------------------------------------------------


def test_moving_average():
    np.testing.assert_allclose(moving_average([1.0, 2.0, 3.0, 4.0], 2), [1.5, 2.5, 3.5])
    x = np.random.default_rng(1).standard_normal(50)
    np.testing.assert_allclose(moving_average(x, 7), np.convolve(x, np.ones(7) / 7, "valid"))
    np.testing.assert_allclose(moving_average(x, 1), x)
    for bad in (0, 51):
        with pytest.raises(ValueError, match="window"):
            moving_average(x, bad)
    with pytest.raises(TypeError, match="window"):
        moving_average(x, 2.5)
    with pytest.raises(ValueError, match="1-D"):
        moving_average(np.ones((3, 3)), 2)


def test_moving_average_reveals_the_trend_of_a_noisy_curve():
    rng = np.random.default_rng(2)
    t = np.arange(400)
    noisy = 1.0 - t / 400 + 0.05 * rng.standard_normal(400)
    raw_ups = np.mean(np.diff(noisy) > 0)
    smooth_ups = np.mean(np.diff(moving_average(noisy, 50)) > 0)
    assert raw_ups > 0.4 and smooth_ups < 0.1


T = np.arange(60)


def test_read_healthy_curves():
    assert read_loss_curves(np.exp(-T / 10), 0.1 + np.exp(-T / 10)) == "healthy"


def test_read_overfitting_curves():
    train = np.exp(-T / 10)
    val = 0.3 + np.exp(-T / 10) + 0.01 * np.maximum(T - 20, 0)
    assert read_loss_curves(train, val) == "overfitting"


def test_read_underfitting_curves():
    train = 2.0 - 0.2 * (1 - np.exp(-T / 10))
    assert read_loss_curves(train, train + 0.1) == "underfitting"
    # With an absolute target, a curve that halved can still be too high.
    train2 = 0.5 + np.exp(-T / 5)
    assert read_loss_curves(train2, train2 + 0.05) == "healthy"
    assert read_loss_curves(train2, train2 + 0.05, target=0.3) == "underfitting"


def test_read_unstable_curves():
    train = np.exp(-T / 10) + 0.05
    spiky = train.copy()
    spiky[30] = 5 * spiky[29]
    assert read_loss_curves(spiky, train + 0.1) == "unstable"
    assert read_loss_curves(train, np.where(T == 40, np.inf, train)) == "unstable"
    assert set(CURVE_READINGS) == {"underfitting", "overfitting", "unstable", "healthy"}


def test_read_loss_curves_validates_input():
    with pytest.raises(ValueError, match="equal length"):
        read_loss_curves([1.0, 0.5, 0.2], [1.0, 0.5])
    with pytest.raises(ValueError, match="min_drop"):
        read_loss_curves([1.0, 0.5, 0.2], [1.0, 0.5, 0.2], min_drop=2.0)


# --- review: numerically honest smoothing, and no warnings on inf/NaN ----------------------------


def test_moving_average_keeps_small_values_after_a_huge_start():
    # A loss curve that decays over many orders of magnitude: the smoothed tail must stay on the
    # curve (a running-sum implementation cancels catastrophically and returns 0 here).
    curve = 1e12 * 0.5 ** np.arange(100)
    expected = np.array([curve[i : i + 3].mean() for i in range(98)])
    np.testing.assert_allclose(moving_average(curve, 3), expected, rtol=1e-12)


def test_moving_average_confines_inf_and_nan_to_their_windows():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = moving_average([np.nan, 1.0, 2.0, 3.0], 2)
        np.testing.assert_array_equal(out[1:], [1.5, 2.5])
        assert math.isnan(out[0])
        np.testing.assert_array_equal(moving_average([np.inf, 1.0, 2.0], 1), [np.inf, 1.0, 2.0])
        both = moving_average([np.inf, -np.inf, 1.0, 3.0], 2)
        assert math.isnan(both[0]) and both[1] == -np.inf and both[2] == 2.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: classify_run([1e308, 1e308, 1.7e308, 1.7e308]),
        lambda: classify_run([3.0, 2.0, 1.0, 0.5], path=[[0.0], [1.7e308], [-1.7e308], [1e308]]),
        lambda: classify_run([np.inf, np.nan, 1.0]),
        lambda: read_loss_curves([1e308, 1.7e308, 1.7e308, 1e308], [1.0, 2.0, 3.0, 4.0]),
        lambda: read_loss_curves([1.0, np.nan, 0.5], [1.0, 0.5, np.inf]),
        lambda: update_factor(np.inf, 0.0),
        lambda: update_factor([np.nan, 1.0], 2.0),
        lambda: contraction_rate([np.inf, np.nan], [0.0, 1.0]),
        lambda: moving_average([1e308, 1e308, 1.0], 2),
    ],
)
def test_diagnostics_print_no_numpy_warnings_on_inf_nan_or_overflow(call, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call()
    assert capsys.readouterr() == ("", "")


def test_validation_rising_with_training_is_not_overfitting():
    # Both curves bottom out and climb back together: the model is not fitting the training set
    # better at the validation set's expense, so this is not overfitting.
    curve = 1.0 + ((T - 30) / 30.0) ** 2
    assert read_loss_curves(curve, curve + 0.1) == "underfitting"
    # The same validation curve with a training loss that keeps falling is overfitting.
    assert read_loss_curves(np.exp(-T / 10), curve + 0.1) == "overfitting"


# The probability that an n x n GOE matrix is positive definite, from the same de Bruijn formula
# evaluated independently with mpmath at 40 digits (adaptive quadrature, exact Gamma function).
GOE_REFERENCE = {
    3: 0.02492092096072348261,
    5: 0.0001401146854633997050,
    10: 2.265653158108417017e-14,
}


def test_goe_probability_matches_closed_forms_and_a_high_precision_reference() -> None:
    assert goe_positive_definite_probability(1) == pytest.approx(0.5, rel=1e-12)
    assert goe_positive_definite_probability(2) == pytest.approx((2 - math.sqrt(2)) / 4, rel=1e-12)
    for n, ref in GOE_REFERENCE.items():
        assert goe_positive_definite_probability(n) == pytest.approx(ref, rel=1e-6)


def test_goe_probability_matches_a_monte_carlo_estimate() -> None:
    rng = np.random.default_rng(5)
    trials = 200_000
    for n in (2, 3, 4):
        G = rng.standard_normal((trials, n, n))
        positive = np.mean(np.linalg.eigvalsh(G + np.swapaxes(G, 1, 2))[:, 0] > 0)
        p = goe_positive_definite_probability(n)
        assert abs(positive - p) < 5 * math.sqrt(p * (1 - p) / trials)


def test_goe_probability_decays_faster_than_independent_signs() -> None:
    probs = [goe_positive_definite_probability(n) for n in range(1, 11)]
    assert all(b < a for a, b in zip(probs, probs[1:], strict=False))
    assert all(p <= 2.0**-n for n, p in enumerate(probs, start=1))
    assert probs[-1] < 1e-13


@pytest.mark.parametrize("n", [0, 11, 2.5, True, "3"])
def test_goe_probability_refuses_bad_sizes(n: object) -> None:
    with pytest.raises(ValueError, match="n must be an integer between 1 and 10"):
        goe_positive_definite_probability(n)  # type: ignore[arg-type]
