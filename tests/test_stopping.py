"""Stopping rules: each fires with the right status and a message naming the rule and numbers."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

from optcourse.minimize import minimize
from optcourse.objectives import FunctionObjective, Parabola, Quadratic
from optcourse.optimizers import SGD
from optcourse.stopping import (
    STATUSES,
    AnyOf,
    Divergence,
    EarlyStopping,
    GradNorm,
    MaxIter,
    RelativeImprovement,
    State,
    Stop,
    StoppingRule,
    TimeBudget,
    any_of,
    as_rule,
)


def state(nit=0, x=(0.0,), fun=1.0, grad_norm=1.0, elapsed=0.0, val_loss=None):
    return State(nit, np.asarray(x, dtype=float), fun, grad_norm, elapsed, val_loss)


# --- each rule on its own -----------------------------------------------------------------------


def test_max_iter_fires_at_n():
    rule = MaxIter(10)
    assert rule.check(state(nit=9)) is None
    stop = rule.check(state(nit=10))
    assert stop.status == "max_iter"
    assert "MaxIter" in stop.message and "10" in stop.message


def test_max_iter_inside_minimize_caps_the_run():
    res = minimize(Parabola(), [5.0], SGD(lr=0.01), stop=MaxIter(7), max_iter=100)
    assert res.status == "max_iter" and res.nit == 7 and not res.success
    assert "MaxIter" in res.message


def test_grad_norm_converges_and_message_has_the_numbers():
    q = Quadratic([[3.0, 1.0], [1.0, 2.0]], [1.0, -1.0])
    res = minimize(q, [2.0, 2.0], SGD(lr=0.2), stop=GradNorm(1e-6))
    assert res.status == "converged" and res.success and res.status_code == 0
    gn = res.history.grad_norm
    # It fires at the first iterate below tol, not later.
    assert gn[-1] < 1e-6 and np.all(gn[:-1] >= 1e-6)
    m = re.fullmatch(
        r"GradNorm: gradient norm (\S+) < tol 1e-06 after (\d+) iterations", res.message
    )
    assert m is not None, res.message
    assert float(m.group(1)) == pytest.approx(gn[-1], rel=1e-2)
    assert int(m.group(2)) == res.nit


def test_grad_norm_can_fire_at_the_start():
    res = minimize(Parabola(), [0.0], SGD(lr=0.1), stop=GradNorm(1e-8))
    assert res.status == "converged" and res.nit == 0
    assert len(res.history.loss) == 1 and res.history.lr.shape == (0,)


def test_relative_improvement_counts_consecutive_poor_steps():
    rule = RelativeImprovement(tol=1e-3, patience=2)
    losses = [10.0, 5.0, 4.999, 4.0, 3.9999, 3.99985]
    verdicts = [rule.check(state(nit=i, fun=f)) for i, f in enumerate(losses)]
    # step 2 is poor (count 1), step 3 resets the count, steps 4 and 5 are poor: fires at 5.
    assert verdicts[:5] == [None] * 5
    assert verdicts[5].status == "stalled"
    assert "RelativeImprovement" in verdicts[5].message
    assert "2 consecutive" in verdicts[5].message and "after 5 iterations" in verdicts[5].message


def test_relative_improvement_on_slow_gradient_descent():
    # GD on x^2 with lr=0.01 improves the loss by exactly 1 - 0.98^2 = 3.96 % per step.
    res = minimize(Parabola(), [5.0], SGD(lr=0.01), stop=RelativeImprovement(0.05, patience=3))
    assert res.status == "stalled" and res.nit == 3 and not res.success
    res = minimize(
        Parabola(), [5.0], SGD(lr=0.01), stop=RelativeImprovement(0.03, patience=3), max_iter=50
    )
    assert res.status == "max_iter"


def test_relative_improvement_counts_a_rising_loss_as_no_improvement():
    rule = RelativeImprovement(tol=1e-6, patience=1)
    assert rule.check(state(fun=1.0)) is None
    assert rule.check(state(nit=1, fun=2.0)).status == "stalled"
    rule.reset()
    assert rule.check(state(fun=2.0)) is None  # reset forgot the previous loss


def test_early_stopping_tracks_the_best_validation_point():
    rule = EarlyStopping(patience=3)
    vals = [5.0, 4.0, 3.0, 3.5, 3.6]
    for i, v in enumerate(vals):
        assert rule.check(state(nit=i, x=[float(i)], val_loss=v)) is None
    stop = rule.check(state(nit=5, x=[5.0], val_loss=3.7))
    assert stop.status == "early_stopped"
    assert stop.restore_nit == 2 and stop.restore_x.tolist() == [2.0]
    assert "best 3 at iteration 2" in stop.message and "restored" in stop.message


def test_early_stopping_min_delta_ignores_tiny_improvements():
    rule = EarlyStopping(patience=2, min_delta=0.1, restore_best=False)
    assert rule.check(state(val_loss=1.0)) is None
    assert rule.check(state(nit=1, val_loss=0.95)) is None  # improvement < min_delta
    stop = rule.check(state(nit=2, val_loss=0.91))
    assert stop is not None and stop.restore_x is None and "restored" not in stop.message


def test_early_stopping_needs_a_validation_loss():
    with pytest.raises(ValueError, match="val_objective"):
        EarlyStopping().check(state())
    with pytest.raises(ValueError, match="val_objective"):
        minimize(Parabola(), [1.0], SGD(lr=0.1), stop=[GradNorm(1e-9), EarlyStopping()])


def test_early_stopping_in_minimize_restores_the_best_point():
    # Train on x^2 from 5 with lr 0.1 (x_t = 5 * 0.8^t); validate on (x - 2)^2, best near x = 2.
    def val(x):
        return float((x[0] - 2.0) ** 2)

    res = minimize(
        Parabola(), [5.0], SGD(lr=0.1), val_objective=val, stop=EarlyStopping(patience=3)
    )
    v = res.history.val_loss
    best = int(np.argmin(v))
    assert res.status == "early_stopped" and res.success and res.status_code == 1
    assert best == 4 and res.nit == best + 3
    np.testing.assert_array_equal(res.x, res.history.x[best])
    assert res.fun == pytest.approx(res.history.loss[best])
    assert f"iteration {best}" in res.message
    # Without restore_best the last point is reported.
    res2 = minimize(
        Parabola(),
        [5.0],
        SGD(lr=0.1),
        val_objective=val,
        stop=EarlyStopping(patience=3, restore_best=False),
    )
    np.testing.assert_array_equal(res2.x, res2.history.x[-1])


def test_time_budget_fires_on_elapsed_time():
    rule = TimeBudget(0.5)
    assert rule.check(state(elapsed=0.49)) is None
    stop = rule.check(state(nit=3, elapsed=0.5))
    assert stop.status == "time_budget" and "0.5" in stop.message

    def slow_grad(x):
        time.sleep(0.005)
        return 2 * x

    f = FunctionObjective(lambda x: float(x @ x), slow_grad)
    res = minimize(f, [1.0], SGD(lr=1e-6), stop=TimeBudget(0.05), max_iter=10_000)
    assert res.status == "time_budget" and not res.success
    assert 1 <= res.nit < 100


# --- divergence ----------------------------------------------------------------------------------


def test_divergence_flags_non_finite_numbers():
    rule = Divergence()
    assert rule.check(state(fun=1.0)) is None
    assert "loss is nan" in rule.check(state(nit=4, fun=math.nan)).message
    assert "loss is inf" in rule.check(state(nit=4, fun=math.inf)).message
    assert "gradient norm is inf" in rule.check(state(nit=4, grad_norm=math.inf)).message
    stop = rule.check(state(nit=4, x=[1.0, math.nan]))
    assert stop.status == "diverged" and "x has non-finite" in stop.message
    assert "iteration 4" in stop.message
    # Huge but finite x is not flagged by itself.
    assert rule.check(state(nit=5, x=[1e200, -1e200])) is None


def test_divergence_growth_is_relative_to_the_first_loss():
    rule = Divergence(max_growth=10.0)
    assert rule.check(state(fun=2.0)) is None
    assert rule.check(state(nit=1, fun=22.0)) is None  # limit 2 + 10 * 2 = 22
    stop = rule.check(state(nit=2, fun=22.5))
    assert stop.status == "diverged" and "grew past 22" in stop.message
    rule.reset()
    assert rule.check(state(fun=100.0)) is None  # a fresh start with a new initial loss


def test_divergence_bound_and_growth_off():
    rule = Divergence(max_growth=None, bound=50.0)
    assert rule.check(state(fun=1.0)) is None
    assert rule.check(state(nit=1, fun=1e12)).message.startswith("Divergence: loss 1e+12 > bound")


# --- combining rules -----------------------------------------------------------------------------


def test_any_of_first_rule_in_order_wins_and_all_rules_see_every_state():
    es = EarlyStopping(patience=1)
    combo = any_of(MaxIter(2), es)
    assert isinstance(combo, AnyOf)
    assert combo.check(state(nit=0, val_loss=1.0)) is None
    assert combo.check(state(nit=1, val_loss=0.5)) is None
    stop = combo.check(state(nit=2, val_loss=0.9))
    assert stop.status == "max_iter"  # both fire; MaxIter is listed first
    assert es.best_val == 0.5  # EarlyStopping still saw the state
    combo.reset()
    assert es.best_val == math.inf


def test_a_list_of_rules_is_the_same_as_any_of():
    q = Quadratic(np.diag([1.0, 10.0]))
    a = minimize(q, [1.0, 1.0], SGD(lr=0.05), stop=[GradNorm(1e-3), MaxIter(20)])
    b = minimize(q, [1.0, 1.0], SGD(lr=0.05), stop=any_of(GradNorm(1e-3), MaxIter(20)))
    assert a.status == b.status == "max_iter" and a.nit == b.nit == 20
    c = minimize(q, [1.0, 1.0], SGD(lr=0.05), stop=[GradNorm(1e-3), MaxIter(2000)])
    assert c.status == "converged" and c.nit < 2000


def test_custom_rule_objects_work():
    class LossBelow:
        def reset(self):
            pass

        def check(self, s):
            return Stop("converged", f"loss {s.fun:.2g} below 1") if s.fun < 1 else None

    assert isinstance(LossBelow(), StoppingRule)
    res = minimize(Parabola(), [5.0], SGD(lr=0.1), stop=LossBelow())
    assert res.status == "converged" and res.fun < 1 <= res.history.loss[-2]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: MaxIter(0),
        lambda: MaxIter(2.5),
        lambda: GradNorm(0.0),
        lambda: GradNorm(-1.0),
        lambda: GradNorm(math.nan),
        lambda: RelativeImprovement(1e-3, patience=0),
        lambda: EarlyStopping(patience=0),
        lambda: EarlyStopping(min_delta=-1.0),
        lambda: TimeBudget(math.inf),
        lambda: Divergence(max_growth=-1.0),
        lambda: Divergence(bound=math.nan),
        lambda: Stop("finished", "bad status"),
    ],
)
def test_bad_parameters_raise_value_error(make):
    with pytest.raises(ValueError):  # noqa: PT011 (one test per rule checks its message)
        make()


def test_bad_rules_raise_type_error():
    with pytest.raises(TypeError, match="stop must be"):
        as_rule("GradNorm")
    with pytest.raises(TypeError, match="reset"):
        any_of(GradNorm(1e-3), object())
    with pytest.raises(TypeError, match="number"):
        GradNorm("small")


def test_statuses_and_reprs():
    assert set(STATUSES) == {
        "converged",
        "max_iter",
        "diverged",
        "stalled",
        "early_stopped",
        "time_budget",
        "callback",
    }
    assert repr(GradNorm(1e-6)) == "GradNorm(tol=1e-06)"
    assert repr(any_of(MaxIter(3))) == "any_of(MaxIter(n=3))"
