"""LBFGS: equal to torch.optim.LBFGS (stored reference trajectories), its pieces, its errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optcourse import minimize
from optcourse.objectives import Quadratic, Rosenbrock
from optcourse.optimizers import LBFGS
from optcourse.optimizers.lbfgs import cubic_interpolate, strong_wolfe, two_loop_recursion
from optcourse.stopping import GradNorm

REFERENCE = json.loads((Path(__file__).parent / "data" / "torch_lbfgs_reference.json").read_text())
CASES: dict[str, Any] = REFERENCE["cases"]
RTOL = 1e-8
#: Absolute tolerance for entries near 0. The quadratic's minimizer is 0 and its runs end with
#: coordinates of 1e-9 and losses of 1e-15: there a relative error compares the last-bit noise of
#: arithmetic on numbers of order |x0| ~ 1 (torch fuses multiply-adds, NumPy does not) with a tiny
#: number. 1e-10 is rtol 1e-8 applied to 1% of the scale of the start; the measured differences
#: at such entries are below 1e-18 (x) and 1e-16 (loss).
ATOL = 1e-10
#: Chaotic cases (see make_torch_lbfgs_reference.py) are compared exactly on this many iterates.
CHAOTIC_PREFIX = 20


def _objective(problem: str) -> Any:
    if problem == "rosenbrock":
        return Rosenbrock()
    return Quadratic(np.diag(REFERENCE["quadratic_eigenvalues"]))


def _run(case: dict[str, Any], **kwargs: Any) -> Any:
    opt = LBFGS(max_eval=kwargs.pop("max_eval", REFERENCE["max_eval"]), **case["kwargs"])
    return minimize(
        _objective(case["problem"]), case["x0"], opt, max_iter=REFERENCE["max_iter"], **kwargs
    )


def test_reference_records_versions() -> None:
    assert REFERENCE["versions"]["torch"].startswith("2.13.0")
    assert len([c for c in CASES.values() if c["exact"]]) >= 6


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["exact"]])
def test_trajectory_equals_torch(name: str) -> None:
    case = CASES[name]
    res = _run(case)
    x_ref, loss_ref = np.array(case["x"]), np.array(case["loss"])
    assert res.history.x.shape == x_ref.shape, "not the same number of iterations as torch"
    np.testing.assert_allclose(res.history.x, x_ref, rtol=RTOL, atol=ATOL)
    # The loss is a function of x: it agrees to rtol 1e-8 plus what the difference in x implies
    # to first order (|grad f| |dx|; Rosenbrock's curved valley turns x's 6e-9 into 1e-7 in f).
    dx = np.linalg.norm(res.history.x - x_ref, axis=1)
    implied = 2 * res.history.grad_norm * dx
    assert np.all(np.abs(res.history.loss - loss_ref) <= RTOL * np.abs(loss_ref) + ATOL + implied)
    # torch's func_evals counts the closure calls: one at x0, then those of each iteration
    assert res.nfev == res.njev == case["func_evals"]
    # torch counts the iteration it leaves at the directional-derivative test; we stop before it
    skipped = "directional derivative" in res.message
    assert res.nit + skipped == case["n_iter"] < REFERENCE["max_iter"]
    assert res.status in ("converged", "stalled") and "LBFGS tolerance_" in res.message


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["exact"]])
def test_default_max_eval_does_not_bind_on_the_reference(name: str) -> None:
    """torch ran with an unbounded budget; no line search needed 25, so the default agrees."""
    case = CASES[name]
    assert max(case["evals_per_iteration"]) < 25
    res = _run(case, max_eval=25)
    np.testing.assert_allclose(res.history.x, np.array(case["x"]), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c["exact"]])
def test_chaotic_cases_agree_at_first_and_both_reach_the_minimizer(name: str) -> None:
    case = CASES[name]
    res = _run(case)
    x_ref = np.array(case["x"])
    k = CHAOTIC_PREFIX + 1
    np.testing.assert_allclose(res.history.x[:k], x_ref[:k], rtol=RTOL, atol=ATOL)
    minimizer = np.ones(2) if case["problem"] == "rosenbrock" else np.zeros(5)
    assert np.abs(x_ref[-1] - minimizer).max() < 1e-3
    assert np.abs(res.x - minimizer).max() < 1e-3
    assert res.status == "stalled"


def test_state_after_steps_is_inspectable() -> None:
    obj = Rosenbrock()
    opt = LBFGS(history_size=3, line_search_fn="strong_wolfe")
    res = minimize(obj, [-1.2, 1.0], opt, max_iter=10)
    st = opt.state
    assert res.nit == st["n_iter"] == 10
    assert len(st["old_dirs"]) == len(st["old_stps"]) == len(st["ro"]) == 3
    s, y = st["old_stps"][-1], st["old_dirs"][-1]
    np.testing.assert_allclose(s, res.history.x[-1] - res.history.x[-2], rtol=1e-12)
    np.testing.assert_allclose(y, obj.grad(res.history.x[-1]) - obj.grad(res.history.x[-2]))
    assert st["H_diag"] == pytest.approx(float(y @ s) / float(y @ y))
    assert st["ro"][-1] == pytest.approx(1.0 / float(y @ s))
    assert res.nfev == st["func_evals"]  # minimize reuses the optimizer's evaluations
    assert res.nfev > res.nit  # the line search tried more than one point somewhere


def test_first_step_length_is_min_one_over_l1_norm() -> None:
    obj = Quadratic(np.diag([1.0, 4.0]))
    x0 = np.array([3.0, -2.0])
    g = obj.grad(x0)
    opt = LBFGS(lr=0.5)
    res = minimize(obj, x0, opt, max_iter=1)
    t = min(1.0, 1.0 / np.abs(g).sum()) * 0.5
    np.testing.assert_allclose(res.x, x0 - t * g, rtol=1e-15)
    assert opt.state["t"] == t and res.nfev == 2


def test_two_loop_recursion_is_the_bfgs_inverse_hessian() -> None:
    rng = np.random.default_rng(3)
    n, m = 6, 4
    a = rng.standard_normal((n, n))
    hess = a @ a.T + n * np.eye(n)
    s_hist = [rng.standard_normal(n) for _ in range(m)]
    y_hist = [hess @ s for s in s_hist]
    h0 = 0.7
    big_h = h0 * np.eye(n)
    for s, y in zip(s_hist, y_hist, strict=True):  # dense BFGS inverse update, oldest first
        rho = 1.0 / (y @ s)
        v = np.eye(n) - rho * np.outer(s, y)
        big_h = v @ big_h @ v.T + rho * np.outer(s, s)
    g = rng.standard_normal(n)
    np.testing.assert_allclose(two_loop_recursion(g, s_hist, y_hist, h0), -big_h @ g, rtol=1e-10)
    np.testing.assert_allclose(two_loop_recursion(g, [], [], h0), -h0 * g)


def test_cubic_interpolate_finds_the_minimizer_of_a_cubic() -> None:
    def f(t: float) -> float:
        return (t - 0.3) ** 2 * (t + 2.0)

    def df(t: float) -> float:
        return 2 * (t - 0.3) * (t + 2.0) + (t - 0.3) ** 2

    assert cubic_interpolate(0.0, f(0.0), df(0.0), 1.0, f(1.0), df(1.0)) == pytest.approx(0.3)
    # no real minimizer: the middle of the bounds; a minimizer outside: clipped to the bounds
    assert cubic_interpolate(0.0, 0.0, 1.0, 1.0, 0.5, 1.0, bounds=(0.0, 4.0)) == 2.0
    assert cubic_interpolate(0.0, f(0.0), df(0.0), 1.0, f(1.0), df(1.0), (0.5, 0.9)) == 0.5


def test_strong_wolfe_conditions_hold_at_the_accepted_step() -> None:
    obj = Rosenbrock()
    x = np.array([-1.2, 1.0])
    f, g = float(obj.value(x)), obj.grad(x)
    d = -g
    gtd = float(g @ d)
    f_new, g_new, t, calls = strong_wolfe(
        lambda s: (obj.value(x + s * d), obj.grad(x + s * d)), 1.0, d, f, g, gtd
    )
    assert f_new <= f + 1e-4 * t * gtd
    assert abs(float(g_new @ d)) <= -0.9 * gtd
    assert calls >= 2 and f_new == obj.value(x + t * d)


def test_tolerance_grad_stops_as_converged_with_its_numbers() -> None:
    obj = Quadratic(np.diag([1.0, 3.0]))
    res = minimize(obj, [1.0, 1.0], LBFGS(tolerance_grad=1e-5, tolerance_change=0.0), max_iter=50)
    assert res.status == "converged" and res.success
    assert "tolerance_grad" in res.message and "1e-05" in res.message
    assert np.abs(obj.grad(res.x)).max() <= 1e-5


def test_tolerance_change_stops_as_stalled_and_user_rules_still_apply() -> None:
    obj = Rosenbrock()
    res = minimize(obj, [-1.2, 1.0], LBFGS(tolerance_change=1e-3), max_iter=100)
    assert res.status == "stalled" and not res.success
    assert "tolerance_change" in res.message and "0.001" in res.message
    res = minimize(obj, [-1.2, 1.0], LBFGS(line_search_fn="strong_wolfe"), stop=GradNorm(1e-3))
    assert res.status == "converged" and res.message.startswith("GradNorm")


def test_other_optimizers_count_evaluations_too() -> None:
    from optcourse.optimizers import SGD

    res = minimize(Quadratic(np.diag([1.0, 2.0])), [1.0, 1.0], SGD(lr=0.1), max_iter=7)
    assert res.nfev == res.njev == 8


def test_params_of_any_shape_are_flattened() -> None:
    h = np.diag([1.0, 2.0, 3.0, 4.0])
    fg_calls: list[tuple[int, ...]] = []

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        fg_calls.append(x.shape)
        v = x.reshape(-1)
        return 0.5 * float(v @ h @ v), (h @ v).reshape(x.shape)

    opt = LBFGS(line_search_fn="strong_wolfe")
    x = np.array([[1.0, -1.0], [0.5, 2.0]])
    for _ in range(3):
        x = opt.step(x, fg(x)[1], value_and_grad=fg)
    assert x.shape == (2, 2) and set(fg_calls) == {(2, 2)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": -1.0}, "lr must be finite and >= 0"),
        ({"lr": [0.1, 0.2]}, "one learning rate"),
        ({"history_size": 0}, "history_size must be an integer >= 1"),
        ({"history_size": 2.5}, "history_size must be an integer"),
        ({"max_eval": 0}, "max_eval must be an integer >= 1"),
        ({"tolerance_grad": -1e-7}, "tolerance_grad must be finite and >= 0"),
        ({"tolerance_change": float("nan")}, "tolerance_change must be finite"),
        ({"line_search_fn": "armijo"}, "line_search_fn must be None or 'strong_wolfe'"),
    ],
)
def test_bad_hyperparameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LBFGS(**kwargs)


def test_bad_use_of_step() -> None:
    opt = LBFGS()

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        return float(x @ x), 2 * x

    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="needs value_and_grad"):
        opt.step(x, 2 * x)
    with pytest.raises(ValueError, match="grad must have the shape of params"):
        opt.step(x, np.ones(3), value_and_grad=fg)
    with pytest.raises(ValueError, match="one learning rate"):
        opt.step(x, 2 * x, lr=np.ones(2), value_and_grad=fg)
    x1 = opt.step(x, 2 * x, value_and_grad=fg)
    with pytest.raises(ValueError, match="continues from the point its last step returned"):
        opt.step(x, 2 * x, value_and_grad=fg)
    opt.step(x1, 2 * x1, value_and_grad=fg)
    opt.reset()
    opt.step(x, 2 * x, value_and_grad=fg)  # after reset() any point is a start
    with pytest.raises(AttributeError, match="fixed when the optimizer is built"):
        opt.history_size = 5  # type: ignore[misc]


def test_minimize_rejects_lbfgs_with_batches() -> None:
    from optcourse.objectives import LeastSquares

    rng = np.random.default_rng(0)
    obj = LeastSquares(rng.standard_normal((20, 3)), rng.standard_normal(20))
    with pytest.raises(ValueError, match="do not combine it with batch_size"):
        minimize(obj, np.zeros(3), LBFGS(), batch_size=4)


def test_repr_and_defaults_match_torch() -> None:
    opt = LBFGS()
    assert (opt.lr, opt.history_size, opt.tolerance_grad, opt.tolerance_change) == (
        1.0,
        100,
        1e-7,
        1e-9,
    )
    assert opt.line_search_fn is None and opt.needs_value_and_grad
    assert repr(opt).startswith("LBFGS(lr=1.0, max_eval=25,")


def test_start_at_the_minimizer_takes_no_step() -> None:
    """torch returns at once when max|g| <= tolerance_grad at x0; minimize records one null step."""
    obj = Quadratic(np.diag([1.0, 2.0]))
    res = minimize(obj, [0.0, 0.0], LBFGS(), max_iter=10)
    assert res.status == "converged" and res.nit == 1 and res.nfev == 1
    np.testing.assert_array_equal(res.history.x, np.zeros((2, 2)))
    assert "at the starting point" in res.message and "no step taken" in res.message


def test_schedule_sets_each_iterations_trial_step() -> None:
    obj = Quadratic(np.diag([1.0, 10.0]))
    fixed = minimize(obj, [1.0, 1.0], LBFGS(lr=0.5), max_iter=5)
    scheduled = minimize(obj, [1.0, 1.0], LBFGS(lr=3.0), schedule=lambda t: 0.5, max_iter=5)
    np.testing.assert_array_equal(fixed.history.x, scheduled.history.x)
    np.testing.assert_array_equal(scheduled.history.lr, np.full(5, 0.5))
