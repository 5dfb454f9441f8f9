"""Tests of the learning-rate sweep (optcourse.sweep) and the run vocabulary it feeds."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from optcourse import Sweep, minimize, sweep
from optcourse.diagnostics import REGIMES, RUN_CLASSES, classify_iterates, classify_run
from optcourse.objectives import Parabola, Quadratic, Rosenbrock
from optcourse.optimizers import SGD


def test_sweep_follows_the_closed_form_on_x_squared() -> None:
    etas = np.array([0.0, 0.01, 0.3, 0.5, 0.8, 1.0, 1.1])
    x0s = np.array([-5.0, 0.0, 2.5])
    s = sweep(Parabola(), etas, x0s, steps=15)
    assert s.path.shape == (7, 3, 16, 1) and s.loss.shape == (7, 3, 16)
    expected = (1 - 2 * etas)[:, None, None] ** np.arange(16) * x0s[None, :, None]
    np.testing.assert_allclose(s.path[..., 0], expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(s.loss, expected**2, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(s.final_loss, s.loss[:, :, -1])
    np.testing.assert_array_equal(s.etas, etas)
    np.testing.assert_array_equal(s.x0s, x0s[:, None])


def test_sweep_equals_one_minimize_run_per_grid_point() -> None:
    f = Rosenbrock()
    etas = [1e-4, 5e-4, 1e-3]
    starts = np.array([[-1.5, 2.0], [0.0, 0.0]])
    s = sweep(f, etas, starts, steps=30)
    for i, eta in enumerate(etas):
        for j, x0 in enumerate(starts):
            res = minimize(f, x0, SGD(lr=eta), max_iter=30)
            np.testing.assert_allclose(s.path[i, j], res.history.x, rtol=1e-13)
            np.testing.assert_allclose(s.loss[i, j], res.history.loss, rtol=1e-13)


def test_sweep_takes_another_optimizer() -> None:
    f = Quadratic([[3.0, 0.0], [0.0, 1.0]])
    momentum = sweep(f, [0.1], [1.0, 1.0], steps=25, optimizer=functools.partial(SGD, momentum=0.9))
    plain = sweep(f, [0.1], [1.0, 1.0], steps=25)
    res = minimize(f, [1.0, 1.0], SGD(lr=0.1, momentum=0.9), max_iter=25)
    np.testing.assert_allclose(momentum.path[0, 0], res.history.x, rtol=1e-13)
    assert not np.allclose(momentum.path, plain.path)


def test_sweep_accepts_the_start_shapes() -> None:
    one_d = Parabola()
    assert sweep(one_d, [0.1], 5.0, steps=1).x0s.shape == (1, 1)
    assert sweep(one_d, [0.1], [[1.0], [2.0]], steps=1).x0s.shape == (2, 1)
    assert sweep(Rosenbrock(), [0.1], [1.0, 2.0], steps=1).x0s.shape == (1, 2)


def test_sweep_overflows_quietly() -> None:
    with np.errstate(all="raise"):
        s = sweep(Parabola(), [3.0], [5.0], steps=2000)
    assert not np.isfinite(s.path[0, 0, -1]).any()
    assert not np.isfinite(s.final_loss[0, 0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": 0}, "steps must be an integer >= 1"),
        ({"steps": 2.0}, "steps must be an integer >= 1"),
        ({"etas": [-0.1]}, "non-negative"),
        ({"etas": [np.nan]}, "finite"),
        ({"etas": []}, "at least one"),
        ({"x0s": []}, "at least one"),
        ({"x0s": [[1.0, 2.0]]}, r"shape \(S, 1\)"),
        ({"x0s": [np.inf]}, "x0s must be finite"),
    ],
)
def test_sweep_rejects_bad_input(kwargs: dict, match: str) -> None:
    args = {"objective": Parabola(), "etas": [0.1], "x0s": [1.0], "steps": 3} | kwargs
    with pytest.raises(ValueError, match=match):
        sweep(**args)


def test_sweep_rejects_starts_of_the_wrong_dimension() -> None:
    with pytest.raises(ValueError, match=r"dim=2"):
        sweep(Rosenbrock(), [0.1], [1.0, 2.0, 3.0], steps=1)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_cliff_brackets_two_over_lambda_max(kappa: float) -> None:
    edge = 2.0 / kappa
    s = sweep(
        Quadratic.diagonal([1.0, kappa]), edge * np.geomspace(0.98, 1.02, 400), [1.0, 1.0], 2000
    )
    low, high = s.cliff()
    assert low <= edge < high and (high - low) / edge < 2e-4
    start_loss = 0.5 * (1.0 + kappa)
    assert (
        s.final_loss[s.etas <= low, 0].max() <= start_loss < s.final_loss[s.etas >= high, 0].min()
    )


def test_cliff_rejects_grids_without_exactly_one_cliff() -> None:
    f = Parabola()
    with pytest.raises(ValueError, match="every run ends no higher"):
        sweep(f, [0.1, 0.2], 5.0, steps=5).cliff()
    with pytest.raises(ValueError, match="every run ends higher"):
        sweep(f, [1.1, 1.2], 5.0, steps=5).cliff()
    with pytest.raises(ValueError, match="increasing"):
        sweep(f, [0.5, 0.1, 1.1], 5.0, steps=5).cliff()
    with pytest.raises(ValueError, match="start must index"):
        sweep(f, [0.5, 1.1], 5.0, steps=5).cliff(start=1)
    # losses that fall, rise, fall and rise again along the grid: two cliffs, no answer
    loss = np.array([[4.0, 1.0], [4.0, 9.0], [4.0, 2.0], [4.0, np.inf]])[:, None, :]
    two = Sweep(np.array([0.1, 0.2, 0.3, 0.4]), np.zeros((1, 1)), np.zeros((4, 1, 2, 1)), loss)
    with pytest.raises(ValueError, match="more than one cliff.*eta=0.3.*eta=0.2"):
        two.cliff()
    s = sweep(f, [0.5, 1.1, 1.2], [5.0, 0.0], steps=5)
    assert s.cliff(0) == (0.5, 1.1)
    with pytest.raises(ValueError, match="every run ends no higher"):
        s.cliff(1)  # from the minimum nothing ever moves


# --- one vocabulary -------------------------------------------------------------------------------


def test_every_regime_refines_one_run_class() -> None:
    assert set(REGIMES.values()) <= set(RUN_CLASSES)
    assert set(REGIMES.values()) == set(RUN_CLASSES)  # every class has at least one regime
    with pytest.raises(TypeError):
        REGIMES["new"] = "slow"  # type: ignore[index]


@pytest.mark.parametrize("eta", [0.01, 0.05, 0.1, 0.3, 0.4, 0.5, 0.6, 0.8, 0.9, 1.0, 1.1, 1.5])
@pytest.mark.parametrize("x0", [5.0, -2.0, 0.0])
def test_the_two_classifiers_agree_on_the_chapter_runs(eta: float, x0: float) -> None:
    """On 20 GD steps on x² (chapter 2 and its explorer) the regime lies inside the run's class."""
    res = minimize(Parabola(), [x0], SGD(lr=eta), max_iter=20, divergence=False)
    regime = classify_iterates(res.history.x[:, 0], 0.0)
    assert REGIMES[regime] == classify_run(res)


def test_classify_iterates_rejects_empty_runs() -> None:
    with pytest.raises(ValueError, match="at least one iterate"):
        classify_iterates([], 0.0)
    with pytest.raises(ValueError, match="finite minimizer"):
        classify_iterates([1.0, 0.5], np.nan)
