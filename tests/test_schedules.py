"""Tests of optcourse.schedules: torch reference values, validation, bounds, array input."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optcourse.schedules import (
    Constant,
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeLR,
    LinearLR,
    OneCycleLR,
    Schedule,
    StepLR,
    WarmupCosine,
)
from tests.reference import load_torch_reference

REFERENCE = load_torch_reference()
BASE_LR = 0.1  # the reference schedulers all start from lr = 0.1

SCHEDULER_TABLE: dict[str, Callable[[], Schedule]] = {
    "StepLR(step_size=10, gamma=0.5)": lambda: StepLR(BASE_LR, step_size=10, gamma=0.5),
    "ExponentialLR(gamma=0.9)": lambda: ExponentialLR(BASE_LR, gamma=0.9),
    "CosineAnnealingLR(T_max=50, eta_min=0.001)": lambda: CosineAnnealingLR(
        BASE_LR, T_max=50, eta_min=0.001
    ),
}


def test_table_covers_every_reference_scheduler() -> None:
    assert set(SCHEDULER_TABLE) == set(REFERENCE["schedulers"])


@pytest.mark.parametrize("key", sorted(REFERENCE["schedulers"]))
def test_matches_torch_reference_lrs(key: str) -> None:
    expected = REFERENCE["schedulers"][key]["lr"]
    sched = SCHEDULER_TABLE[key]()
    t = np.arange(len(expected))
    np.testing.assert_allclose(sched(t), expected, rtol=1e-10, atol=1e-13)
    # scalar calls agree with the vectorized call
    np.testing.assert_allclose([sched(int(k)) for k in t], expected, rtol=1e-10, atol=1e-13)


# ----------------------------------------------------------------------------- closed forms


def test_documented_formulas() -> None:
    assert InverseTimeLR(0.5, k=0.1)(10) == pytest.approx(0.25)
    assert Constant(0.3)(1000) == 0.3
    assert StepLR(1.0, step_size=3, gamma=0.5)(7) == 0.25
    assert LinearLR(0.3)(0) == pytest.approx(0.1) and LinearLR(0.3)(99) == pytest.approx(0.3)
    w = WarmupCosine(1.0, warmup_steps=10, total_steps=110, eta_min=0.1)
    assert (w(0), w(5), w(10)) == (0.0, 0.5, 1.0)
    assert w(60) == pytest.approx(0.55) and w(110) == pytest.approx(0.1) and w(500) == 0.1
    one = OneCycleLR(1.0, total_steps=100)
    assert one(0) == pytest.approx(1 / 25) and one(29) == pytest.approx(1.0)
    assert one(99) == pytest.approx(1 / 25 / 1e4)


def test_array_input_returns_array_of_same_shape() -> None:
    t = np.arange(12).reshape(3, 4)
    for sched in [
        Constant(0.1),
        StepLR(0.1, 5),
        ExponentialLR(0.1, 0.9),
        InverseTimeLR(0.1, 0.5),
        CosineAnnealingLR(0.1, 10),
        LinearLR(0.1),
        OneCycleLR(0.1, 20, three_phase=True),
        WarmupCosine(0.1, 3, 10),
    ]:
        out = sched(t)
        assert isinstance(out, np.ndarray) and out.shape == (3, 4), sched
        assert isinstance(sched(3), float), sched
        assert out[0, 3] == sched(3)


def test_one_cycle_raises_past_total_steps_like_torch() -> None:
    sched = OneCycleLR(0.1, total_steps=10)
    assert math.isfinite(sched(10))  # torch allows exactly total_steps
    with pytest.raises(ValueError, match="total_steps"):
        sched(11)
    with pytest.raises(ValueError, match="total_steps"):
        sched(np.arange(20))


def test_reprs_are_readable() -> None:
    assert repr(StepLR(0.1, 10, 0.5)) == "StepLR(lr=0.1, step_size=10, gamma=0.5)"
    assert repr(WarmupCosine(0.1, 5, 50)) == (
        "WarmupCosine(lr=0.1, warmup_steps=5, total_steps=50, eta_min=0.0)"
    )
    assert repr(OneCycleLR(1.0, 100)).startswith("OneCycleLR(max_lr=1.0, total_steps=100,")


# ----------------------------------------------------------------------------- validation

BAD_SCHEDULES: list[tuple[Callable[[], object], str]] = [
    (lambda: Constant(-0.1), "lr"),
    (lambda: StepLR(0.1, step_size=0), "step_size"),
    (lambda: StepLR(0.1, step_size=2.5), "step_size"),  # type: ignore[arg-type]
    (lambda: StepLR(0.1, step_size=3, gamma=0.0), "gamma"),
    (lambda: ExponentialLR(float("nan"), 0.9), "lr"),
    (lambda: ExponentialLR(0.1, -0.9), "gamma"),
    (lambda: InverseTimeLR(0.1, k=-1.0), "k"),
    (lambda: CosineAnnealingLR(0.1, T_max=0), "T_max"),
    (lambda: CosineAnnealingLR(0.1, T_max=10, eta_min=-1.0), "eta_min"),
    (lambda: LinearLR(0.1, start_factor=0.0), "start_factor"),
    (lambda: LinearLR(0.1, end_factor=1.5), "end_factor"),
    (lambda: LinearLR(0.1, total_iters=0), "total_iters"),
    (lambda: OneCycleLR(0.1, total_steps=0), "total_steps"),
    (lambda: OneCycleLR(0.1, 100, pct_start=1.5), "pct_start"),
    (lambda: OneCycleLR(0.1, 3, pct_start=0.3), "pct_start"),
    (lambda: OneCycleLR(0.1, 100, anneal_strategy="exp"), "anneal_strategy"),
    (lambda: OneCycleLR(0.1, 100, div_factor=0.0), "div_factor"),
    (lambda: WarmupCosine(0.1, warmup_steps=-1, total_steps=10), "warmup_steps"),
    (lambda: WarmupCosine(0.1, warmup_steps=10, total_steps=10), "total_steps"),
    (lambda: WarmupCosine(0.1, 2, 10, eta_min=0.2), "eta_min"),
    (lambda: Constant(0.1)(-1), "t"),
    (lambda: Constant(0.1)(1.5), "t"),
    (lambda: StepLR(0.1, 2)(np.array([0, -3])), "t"),
]


@pytest.mark.parametrize(("make", "name"), BAD_SCHEDULES)
def test_bad_arguments_raise_naming_the_parameter(make: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        make()


# ----------------------------------------------------------------------------- properties

lrs = st.floats(1e-4, 10.0)


@settings(max_examples=50, deadline=None)
@given(lr=lrs, frac=st.floats(0.0, 1.0), T_max=st.integers(1, 200))
def test_cosine_stays_between_eta_min_and_lr(lr: float, frac: float, T_max: int) -> None:
    eta_min = frac * lr
    values = CosineAnnealingLR(lr, T_max, eta_min)(np.arange(3 * T_max + 1))
    assert np.all(values >= eta_min - 1e-15 * lr) and np.all(values <= lr * (1 + 1e-15))
    assert values[0] == pytest.approx(lr) and values[T_max] == pytest.approx(eta_min, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    lr=lrs,
    frac=st.floats(0.0, 1.0),
    warmup=st.integers(0, 50),
    extra=st.integers(1, 200),
)
def test_warmup_cosine_bounds_and_shape(lr: float, frac: float, warmup: int, extra: int) -> None:
    eta_min = frac * lr
    total = warmup + extra
    values = WarmupCosine(lr, warmup, total, eta_min)(np.arange(total + 20))
    assert np.all(values >= 0.0) and np.all(values <= lr * (1 + 1e-15))
    assert np.all(np.diff(values[: warmup + 1]) >= 0)  # rises during warmup
    assert np.all(np.diff(values[warmup:]) <= 1e-15 * lr)  # then never rises again
    assert np.all(values[warmup:] >= eta_min - 1e-15 * lr)


@settings(max_examples=50, deadline=None)
@given(
    max_lr=lrs,
    total=st.integers(25, 500),
    pct=st.floats(0.1, 0.45),
    strategy=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
)
def test_one_cycle_stays_between_min_and_max(
    max_lr: float, total: int, pct: float, strategy: str, three_phase: bool
) -> None:
    sched = OneCycleLR(
        max_lr, total, pct_start=pct, anneal_strategy=strategy, three_phase=three_phase
    )
    values = sched(np.arange(total))
    low = max_lr / 25 / 1e4
    assert np.all(values >= low * (1 - 1e-9)) and np.all(values <= max_lr * (1 + 1e-12))
    assert values[0] == pytest.approx(max_lr / 25)
    assert values[-1] == pytest.approx(low)


@settings(max_examples=50, deadline=None)
@given(
    lr=lrs,
    gamma=st.floats(0.01, 1.0),
    step_size=st.integers(1, 20),
    k=st.floats(0.0, 10.0),
)
def test_decays_are_monotone_and_bounded(lr: float, gamma: float, step_size: int, k: float) -> None:
    t = np.arange(300)
    for sched in [StepLR(lr, step_size, gamma), ExponentialLR(lr, gamma), InverseTimeLR(lr, k)]:
        values = sched(t)
        assert values[0] == lr
        assert np.all(values > 0.0) or gamma < 0.1  # tiny gammas may underflow to 0
        assert np.all(values <= lr) and np.all(np.diff(values) <= 0)


@settings(max_examples=50, deadline=None)
@given(
    lr=lrs,
    start=st.floats(0.01, 1.0),
    end=st.floats(0.0, 1.0),
    total=st.integers(1, 100),
)
def test_linear_stays_between_start_and_end(
    lr: float, start: float, end: float, total: int
) -> None:
    values = LinearLR(lr, start, end, total)(np.arange(total + 10))
    lo, hi = sorted((lr * start, lr * end))
    tol = 1e-12 * lr  # (end - start) is rounded relative to 1, so the error is relative to lr
    assert np.all(values >= lo - tol) and np.all(values <= hi + tol)
    assert values[-1] == pytest.approx(lr * end, abs=tol)


# ----------------------------------------------------------------------------- lr sweeps


ALL_WITH_LR: list[Callable[[Any], Schedule]] = [
    lambda lr: Constant(lr),
    lambda lr: StepLR(lr, 5, 0.5),
    lambda lr: ExponentialLR(lr, 0.9),
    lambda lr: InverseTimeLR(lr, 0.5),
    lambda lr: CosineAnnealingLR(lr, 10, eta_min=0.001),
    lambda lr: LinearLR(lr, 0.25, 1.0, 8),
    lambda lr: OneCycleLR(lr, 30, three_phase=True),
    lambda lr: OneCycleLR(lr, 30, anneal_strategy="linear"),
    lambda lr: WarmupCosine(lr, 3, 20, eta_min=0.001),
]


@pytest.mark.parametrize("make", ALL_WITH_LR)
def test_array_lr_schedules_a_whole_sweep(make: Callable[[Any], Schedule]) -> None:
    # lr of shape (k, 1) drives params of shape (k, n): sched(t) has the shape of lr, and an
    # array of steps puts the step axes first (row t is the sweep's rates at step t).
    lrs = np.array([0.01, 0.1, 0.5])[:, None]
    sweep = make(lrs)
    t = np.arange(25)
    out = sweep(t)
    assert isinstance(sweep(4), np.ndarray) and sweep(4).shape == (3, 1)
    assert out.shape == (25, 3, 1)
    for i, lr in enumerate(lrs[:, 0]):
        single = make(float(lr))
        np.testing.assert_allclose(out[:, i, 0], single(t), rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(sweep(7)[i, 0], single(7), rtol=1e-13, atol=1e-300)
    assert "array(shape=(3, 1))" in repr(sweep)


def test_array_lr_schedule_drives_a_vectorized_optimizer() -> None:
    from optcourse.optimizers import SGD

    lrs = np.array([0.05, 0.2])[:, None]
    sched = StepLR(lrs, step_size=3, gamma=0.5)
    opt = SGD(lr=lrs, momentum=0.5)
    xs = np.tile([1.0, -2.0], (2, 1))
    for t in range(10):
        xs = opt.step(xs, 2 * xs, lr=sched(t))
    for i in range(2):
        single, o = StepLR(float(lrs[i, 0]), 3, 0.5), SGD(lr=float(lrs[i, 0]), momentum=0.5)
        x = np.array([1.0, -2.0])
        for t in range(10):
            x = o.step(x, 2 * x, lr=single(t))
        np.testing.assert_allclose(xs[i], x, rtol=1e-13)


def test_array_lr_is_validated_entry_by_entry() -> None:
    with pytest.raises(ValueError, match=r"\blr\b"):
        StepLR(np.array([0.1, -0.1]), 3)
    with pytest.raises(ValueError, match=r"\bmax_lr\b"):
        OneCycleLR(np.array([0.1, np.inf]), 30)
    with pytest.raises(ValueError, match=r"\beta_min\b"):
        WarmupCosine(np.array([0.1, 0.001]), 2, 10, eta_min=0.01)
