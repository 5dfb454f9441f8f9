"""The minimize driver: closed-form checks, divergence handling, history, determinism, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optcourse.minimize import _batches, _independent_batches, minimize
from optcourse.objectives import (
    FunctionObjective,
    LeastSquares,
    Parabola,
    Quadratic,
    Rosenbrock,
    make_linear_regression,
)
from optcourse.optimizers import SGD, Adam, Newton
from optcourse.result import STATUS_CODES, SUCCESS_STATUSES, OptimizeResult
from optcourse.schedules import ExponentialLR, InverseTimeLR
from optcourse.stopping import Divergence, GradNorm, MaxIter, RelativeImprovement, TimeBudget


def normal_equations(X, y):
    """The least-squares solution from the normal equations XᵀX θ = Xᵀy."""
    return np.linalg.solve(X.T @ X, X.T @ y)


@pytest.fixture
def regression():
    X, y = make_linear_regression(n_samples=64, n_features=3, noise=0.3, seed=1)
    return LeastSquares(X, y), normal_equations(X, y)


# --- closed-form checks --------------------------------------------------------------------------


def test_gradient_descent_reaches_the_normal_equation_solution(regression):
    obj, theta = regression
    res = minimize(obj, np.zeros(3), SGD(lr=0.5), stop=GradNorm(1e-10), max_iter=10_000)
    assert res.status == "converged" and res.success
    np.testing.assert_allclose(res.x, theta, atol=1e-8)
    assert res.fun == pytest.approx(0.5 * np.mean((obj.X @ theta - obj.y) ** 2), rel=1e-12)


def test_minibatch_sgd_interpolates_noiseless_data_exactly():
    X, y = make_linear_regression(n_samples=50, n_features=3, noise=0.0, seed=2)
    obj = LeastSquares(X, y)
    res = minimize(
        obj, np.zeros(3), SGD(lr=0.1), batch_size=8, seed=0, stop=GradNorm(1e-9), max_iter=20_000
    )
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, normal_equations(X, y), atol=1e-7)


def test_minibatch_sgd_with_decaying_steps_approaches_the_solution(regression):
    obj, theta = regression
    x0 = np.zeros(3)
    res = minimize(
        obj, x0, SGD(lr=0.2), schedule=InverseTimeLR(0.2, k=0.01), batch_size=8, seed=3,
        max_iter=5000,
    )  # fmt: skip
    assert res.status == "max_iter"
    err0 = np.linalg.norm(x0 - theta)
    assert np.linalg.norm(res.x - theta) < 0.02 * err0
    # Mini-batch noise: the recorded full loss is not monotone, unlike full-batch GD.
    assert np.any(np.diff(res.history.loss) > 0)


def test_minibatch_runs_are_deterministic_given_the_seed(regression):
    obj, _ = regression

    def run(seed):
        return minimize(obj, np.zeros(3), Adam(lr=0.05), batch_size=10, seed=seed, max_iter=200)

    a, b, c = run(7), run(7), run(8)
    np.testing.assert_array_equal(a.history.x, b.history.x)
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    assert not np.array_equal(a.history.x, c.history.x)


def test_batches_cover_every_sample_once_per_epoch():
    gen = _batches(10, 4, np.random.default_rng(0))
    epoch = [next(gen) for _ in range(3)]
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert sorted(np.concatenate(epoch).tolist()) == list(range(10))
    second = np.concatenate([next(gen) for _ in range(3)])
    assert sorted(second.tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(epoch), second)  # reshuffled


def test_independent_batches_draw_with_replacement():
    gen = _independent_batches(5, 4, np.random.default_rng(0))
    draws = np.array([next(gen) for _ in range(2000)])
    assert draws.shape == (2000, 4) and draws.min() == 0 and draws.max() == 4
    # with replacement: a batch of 4 out of 5 rows often repeats one (1 - 5*4*3*2/5**4 = 0.808)
    repeats = np.mean([len(set(b)) < 4 for b in draws])
    assert abs(repeats - (1 - 120 / 625)) < 0.03
    np.testing.assert_allclose(np.bincount(draws.ravel(), minlength=5) / draws.size, 0.2, atol=0.01)


def test_sampling_replacement_is_seeded_and_differs_from_epochs(regression):
    obj, theta_star = regression

    def run(sampling, seed=4):
        return minimize(
            obj, np.zeros(3), SGD(lr=0.05), batch_size=8, seed=seed, sampling=sampling, max_iter=300
        )

    a, b, c = run("replacement"), run("replacement"), run("epochs")
    np.testing.assert_array_equal(a.history.x, b.history.x)  # same seed, same run
    assert not np.array_equal(a.history.x, c.history.x)  # another way of drawing batches
    assert a.status == "max_iter" and np.linalg.norm(a.x - theta_star) < 0.2  # near θ*


@pytest.mark.parametrize("sampling", ["Epochs", "with_replacement", None, 1])
def test_bad_sampling_names_the_choices(regression, sampling):
    obj, _ = regression
    with pytest.raises(ValueError, match="sampling must be 'epochs'.*'replacement'"):
        minimize(obj, np.zeros(3), SGD(lr=0.1), batch_size=4, sampling=sampling)


def test_newton_solves_a_quadratic_in_one_step():
    q = Quadratic([[4.0, 1.0], [1.0, 3.0]], [1.0, 2.0], c=0.5)
    res = minimize(q, [10.0, -7.0], Newton(), stop=GradNorm(1e-10))
    assert res.nit == 1 and res.status == "converged"
    np.testing.assert_allclose(res.x, np.linalg.solve(q.H, q.b), atol=1e-12)


def test_newton_needs_a_hessian():
    with pytest.raises(ValueError, match="Hessian"):
        minimize((lambda x: float(x @ x), lambda x: 2 * x), [1.0], Newton())
    res = minimize(
        (lambda x: float(x @ x), lambda x: 2 * x, lambda x: 2 * np.eye(1)),
        [3.0],
        Newton(),
        stop=GradNorm(1e-12),
    )
    assert res.nit == 1 and res.x.tolist() == [0.0]


# --- divergence ----------------------------------------------------------------------------------


def _quiet(capsys, fn):
    """Run fn with every warning turned into an error; fail if anything is printed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    return out


def test_gd_on_x_squared_with_lr_1_1_diverges_cleanly(capsys):
    res = _quiet(capsys, lambda: minimize(Parabola(), [5.0], SGD(lr=1.1), max_iter=1000))
    assert res.status == "diverged" and not res.success and res.status_code == -1
    assert res.nit < 1000
    assert np.isfinite(res.x).all() and math.isfinite(res.fun)
    assert "Divergence" in res.message and "last finite point" in res.message
    # |x| grows by the factor |1 - 2 * 1.1| = 1.2 per step.
    np.testing.assert_allclose(np.abs(res.history.x[1:, 0] / res.history.x[:-1, 0]), 1.2)


def test_overflow_to_inf_is_detected_without_warnings(capsys):
    # Growth check off: the run goes until the loss overflows to inf (|x| grows 5x per step).
    res = _quiet(
        capsys,
        lambda: minimize(
            Parabola(), [5.0], SGD(lr=3.0), max_iter=1000, divergence=Divergence(max_growth=None)
        ),
    )
    assert res.status == "diverged" and "loss is inf" in res.message
    assert math.isinf(res.history.loss[-1]) and len(res.history.loss) == res.nit + 1
    # The reported point is the last finite iterate, one before the overflow.
    np.testing.assert_array_equal(res.x, res.history.x[res.nit - 1])
    assert math.isfinite(res.fun) and f"iteration {res.nit - 1}" in res.message


def test_nan_from_the_objective_is_diverged(capsys):
    obj = FunctionObjective(lambda x: float(np.sqrt(x[0])), lambda x: 0.5 / np.sqrt(x))
    res = _quiet(capsys, lambda: minimize(obj, [1.0], SGD(lr=10.0), max_iter=5))
    assert res.status == "diverged" and "nan" in res.message
    assert res.x.tolist() == [1.0] and res.nit == 1


def test_divergence_detected_at_the_start_reports_the_start(capsys):
    # The loss at x0 is finite but the gradient is not: the run stops before any step, and the
    # reported point is x0 itself (iteration 0), not a fictitious "iteration -1".
    pair = (lambda x: float(x @ x), lambda x: np.full_like(x, np.inf))
    res = _quiet(capsys, lambda: minimize(pair, [1.0, 2.0], SGD(lr=0.1)))
    assert res.status == "diverged" and res.nit == 0 and len(res.history.loss) == 1
    assert "gradient norm is inf at iteration 0" in res.message
    assert res.message.endswith("; x is the starting point (iteration 0)")
    assert res.x.tolist() == [1.0, 2.0] and res.fun == 5.0 and res.history.lr.shape == (0,)


def test_divergence_off_runs_to_max_iter_quietly(capsys):
    res = _quiet(
        capsys, lambda: minimize(Parabola(), [5.0], SGD(lr=3.0), max_iter=600, divergence=False)
    )
    assert res.status == "max_iter" and not np.isfinite(res.history.loss[-1])


def test_x_best_is_the_lowest_loss_seen():
    res = minimize(Parabola(), [5.0], SGD(lr=1.1), max_iter=30)
    assert res.nit_best == 0 and res.x_best.tolist() == [5.0] and res.fun_best == 25.0
    res = minimize(Rosenbrock(), [-1.2, 1.0], Adam(lr=0.05), max_iter=300)
    k = int(np.argmin(res.history.loss))
    assert res.nit_best == k and res.fun_best == res.history.loss[k]
    np.testing.assert_array_equal(res.x_best, res.history.x[k])


# --- history, schedules, callbacks ---------------------------------------------------------------


def test_history_shapes_and_contents():
    q = Quadratic(np.diag([1.0, 4.0]), [1.0, 0.0])
    res = minimize(q, [2.0, 2.0], SGD(lr=0.1, momentum=0.5), max_iter=25)
    h = res.history
    assert res.nit == 25 and len(h) == 26
    assert h.x.shape == (26, 2) and h.loss.shape == h.grad_norm.shape == (26,)
    assert h.lr.shape == (25,) and np.all(h.lr == 0.1) and h.val_loss is None
    np.testing.assert_array_equal(h.x[0], [2.0, 2.0])
    np.testing.assert_allclose(h.loss, q.value(h.x))
    np.testing.assert_allclose(h.grad_norm, np.linalg.norm(q.grad(h.x), axis=1))
    np.testing.assert_array_equal(h.x[-1], res.x)
    assert res.fun == h.loss[-1] and res.grad_norm == h.grad_norm[-1]


@settings(max_examples=40, deadline=None)
@given(
    eta=st.floats(0.0, 0.99),
    x0=st.floats(-100.0, 100.0),
    steps=st.integers(0, 60),
)
def test_gd_on_x_squared_follows_the_update_factor(eta, x0, steps):
    res = minimize(Parabola(), [x0], SGD(lr=eta), max_iter=steps)
    assert res.status == "max_iter" and res.nit == steps
    assert len(res.history.loss) == res.history.x.shape[0] == steps + 1
    expected = x0 * (1.0 - 2.0 * eta) ** np.arange(steps + 1)
    np.testing.assert_allclose(res.history.x[:, 0], expected, rtol=1e-9, atol=1e-300)
    assert "max_iter=" in res.message


def test_result_arrays_do_not_alias_the_history():
    res = minimize(Quadratic(np.diag([1.0, 4.0])), [2.0, 2.0], SGD(lr=0.1), max_iter=5)
    path = res.history.x.copy()
    res.x[:] = 99.0
    res.x_best[:] = -99.0
    np.testing.assert_array_equal(res.history.x, path)
    res.history.x[:] = 0.0
    assert res.x.tolist() == [99.0, 99.0] and res.x_best.tolist() == [-99.0, -99.0]


def test_history_grows_past_its_initial_buffer():
    res = minimize(Parabola(), [5.0], SGD(lr=1e-4), max_iter=3000)
    assert res.history.x.shape == (3001, 1) and res.history.lr.shape == (3000,)
    np.testing.assert_allclose(res.history.x[:, 0], 5.0 * (1 - 2e-4) ** np.arange(3001))


def test_record_false_keeps_the_scalars_only():
    res = minimize(Parabola(), [5.0], SGD(lr=0.1), max_iter=10, record=False)
    assert res.history.x is None and len(res.history.loss) == 11
    assert "x, " not in repr(res.history)


def test_val_objective_is_recorded():
    val = Parabola(b=-1.0)
    res = minimize(Parabola(), [5.0], SGD(lr=0.1), val_objective=val, max_iter=10)
    np.testing.assert_allclose(res.history.val_loss, val.value(res.history.x))


def test_schedule_drives_the_learning_rate():
    sched = ExponentialLR(0.4, gamma=0.9)
    res = minimize(Parabola(), [5.0], SGD(lr=123.0), schedule=sched, max_iter=15)
    np.testing.assert_allclose(res.history.lr, sched(np.arange(15)))
    x = 5.0
    for t in range(15):
        x = x - sched(t) * 2 * x
    assert res.x[0] == pytest.approx(x, rel=1e-12)


def test_callback_sees_every_iterate_and_can_stop_the_run():
    seen = []

    def callback(s):
        seen.append((s.nit, s.fun))
        return s.nit == 5

    res = minimize(Parabola(), [5.0], SGD(lr=0.1), callback=callback)
    assert res.status == "callback" and res.nit == 5 and not res.success
    assert [n for n, _ in seen] == list(range(6))
    assert [f for _, f in seen] == res.history.loss.tolist()
    assert "callback" in res.message


def test_optimizer_is_reset_at_the_start_and_otherwise_unchanged():
    opt = Adam(lr=0.1)
    a = minimize(Rosenbrock(), [-1.0, 1.0], opt, max_iter=50)
    assert opt.state["step"] == 50
    b = minimize(Rosenbrock(), [-1.0, 1.0], opt, max_iter=50)
    np.testing.assert_array_equal(a.history.x, b.history.x)
    assert opt.lr == 0.1 and repr(opt) == repr(Adam(lr=0.1))


def test_stopping_rules_are_reset_at_the_start_of_every_run():
    # The same rule objects serve two runs: the second must not inherit the first's memory
    # (RelativeImprovement's previous loss and poor-step count, Divergence's initial loss).
    rules = [RelativeImprovement(tol=1e-3, patience=3), Divergence(max_growth=10.0)]
    a = minimize(Parabola(), [5.0], SGD(lr=2e-4), stop=rules, divergence=False, max_iter=10_000)
    b = minimize(Parabola(), [5.0], SGD(lr=2e-4), stop=rules, divergence=False, max_iter=10_000)
    assert a.status == b.status == "stalled" and a.nit == b.nit == 3 and a.message == b.message
    # Divergence's limit comes from this run's start (loss 1), not the previous run's (25).
    c = minimize(Parabola(), [1.0], SGD(lr=1.05), stop=rules[1], divergence=False, max_iter=10_000)
    assert c.status == "diverged" and c.history.loss[-1] > 11.0 >= c.history.loss[-2]


def test_pair_of_callables_and_scalar_like_values():
    res = minimize((lambda x: x**2, lambda x: 2 * x), [5.0], SGD(lr=0.25), stop=GradNorm(1e-12))
    assert res.status == "converged" and abs(res.x[0]) < 1e-12
    res0 = minimize((lambda x: x**2, lambda x: 2 * x), 5.0, SGD(lr=0.25), max_iter=3)
    assert res0.history.x.shape == (4,) and res0.x == pytest.approx(5.0 / 8)


def test_max_iter_zero_evaluates_the_start_only():
    res = minimize(Parabola(), [3.0], SGD(lr=0.1), max_iter=0)
    assert res.nit == 0 and res.status == "max_iter" and res.fun == 9.0


def test_time_budget_and_max_iter_are_not_success():
    for status in ("max_iter", "time_budget", "stalled", "callback", "diverged"):
        assert status not in SUCCESS_STATUSES
    assert len(set(STATUS_CODES.values())) == len(STATUS_CODES)
    res = minimize(Parabola(), [5.0], SGD(lr=0.1), stop=TimeBudget(1e-9), max_iter=10)
    assert res.status == "time_budget" and res.status_code == STATUS_CODES["time_budget"]


def test_result_is_readable():
    res = minimize(Parabola(), [5.0], SGD(lr=0.1), stop=MaxIter(3))
    text = str(res)
    for key in ("status: 'max_iter'", "success: False", "nit: 3", "message:", "History(4 points"):
        assert key in text
    assert isinstance(res, OptimizeResult)
    with pytest.raises(ValueError, match="status"):
        OptimizeResult(res.x, 0.0, 0.0, 0, "done", "", res.x, 0.0, 0, res.history)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"objective": object()}, TypeError, "value"),
        ({"objective": (lambda x: x,)}, TypeError, "tuple"),
        ({"optimizer": "sgd"}, TypeError, "step"),
        ({"x0": [np.nan]}, ValueError, "x0"),
        ({"max_iter": -1}, ValueError, "max_iter"),
        ({"max_iter": 2.5}, ValueError, "max_iter"),
        ({"schedule": 0.1}, TypeError, "schedule"),
        ({"callback": "stop"}, TypeError, "callback"),
        ({"stop": "GradNorm"}, TypeError, "stop"),
        ({"divergence": "yes"}, TypeError, "divergence"),
        ({"batch_size": 4}, ValueError, "n_samples"),
        ({"x0": [1.0, 2.0]}, ValueError, "shape"),
        ({"val_objective": 3.0}, TypeError, "val_objective"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, error, match):
    args = {"objective": Parabola(), "x0": [1.0], "optimizer": SGD(lr=0.1)}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        minimize(args.pop("objective"), args.pop("x0"), args.pop("optimizer"), **args)


def test_bad_batch_sizes_and_values(regression):
    obj, _ = regression
    for bs in (0, 65, 2.0):
        with pytest.raises(ValueError, match="batch_size"):
            minimize(obj, np.zeros(3), SGD(lr=0.1), batch_size=bs)
    with pytest.raises(ValueError, match="single number"):
        minimize((lambda x: x, lambda x: np.ones_like(x)), [1.0, 2.0], SGD(lr=0.1))
    with pytest.raises(ValueError, match="shape"):
        minimize((lambda x: float(x @ x), lambda x: 2 * x[:1]), [1.0, 2.0], SGD(lr=0.1))
    with pytest.raises(ValueError, match="finite"):
        minimize((lambda x: float("inf"), lambda x: x), [1.0], SGD(lr=0.1))
