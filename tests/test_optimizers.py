"""Tests of optcourse.optimizers: torch reference trajectories, API contract, properties."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optcourse.optimizers import SGD, Adagrad, Adam, AdamW, NAdam, Newton, Optimizer, RMSprop
from tests.reference import load_torch_reference

REFERENCE = load_torch_reference()

# Each reference key mapped explicitly to our constructor (and the sign of the objective).
QUADRATIC_TABLE: dict[str, tuple[Callable[[], Optimizer], float]] = {
    "SGD lr=0.05": (lambda: SGD(lr=0.05), 1.0),
    "SGD lr=0.05 momentum=0.9": (lambda: SGD(lr=0.05, momentum=0.9), 1.0),
    "SGD lr=0.05 momentum=0.9 dampening=0.5": (
        lambda: SGD(lr=0.05, momentum=0.9, dampening=0.5),
        1.0,
    ),
    "SGD lr=0.05 momentum=0.9 nesterov=True": (
        lambda: SGD(lr=0.05, momentum=0.9, nesterov=True),
        1.0,
    ),
    "SGD lr=0.05 weight_decay=0.1": (lambda: SGD(lr=0.05, weight_decay=0.1), 1.0),
    "SGD lr=0.05 momentum=0.9 maximize=True on -f": (
        lambda: SGD(lr=0.05, momentum=0.9, maximize=True),
        -1.0,
    ),
    "Adagrad lr=0.1": (lambda: Adagrad(lr=0.1), 1.0),
    "Adagrad lr=0.5 eps=1e-3": (lambda: Adagrad(lr=0.5, eps=1e-3), 1.0),
    "RMSprop lr=0.01": (lambda: RMSprop(lr=0.01), 1.0),
    "RMSprop lr=0.01 alpha=0.9 eps=1e-3": (lambda: RMSprop(lr=0.01, alpha=0.9, eps=1e-3), 1.0),
    "RMSprop lr=0.01 centered=True": (lambda: RMSprop(lr=0.01, centered=True), 1.0),
    "RMSprop lr=0.01 momentum=0.9": (lambda: RMSprop(lr=0.01, momentum=0.9), 1.0),
    "Adam lr=0.1": (lambda: Adam(lr=0.1), 1.0),
    "Adam lr=0.1 amsgrad=True": (lambda: Adam(lr=0.1, amsgrad=True), 1.0),
    "Adam lr=0.1 weight_decay=0.1 (coupled L2)": (lambda: Adam(lr=0.1, weight_decay=0.1), 1.0),
    "AdamW lr=0.1 (default weight_decay=0.01)": (lambda: AdamW(lr=0.1), 1.0),
    "AdamW lr=0.1 weight_decay=0.1": (lambda: AdamW(lr=0.1, weight_decay=0.1), 1.0),
    "NAdam lr=0.1": (lambda: NAdam(lr=0.1), 1.0),
    "NAdam lr=0.1 momentum_decay=0 (mu_t = beta1/2 const)": (
        lambda: NAdam(lr=0.1, momentum_decay=0.0),
        1.0,
    ),
    "NAdam lr=0.1 momentum_decay=inf (mu_t = beta1 const)": (
        lambda: NAdam(lr=0.1, momentum_decay=float("inf")),
        1.0,
    ),
}

CURVATURE = np.array([1.0, 10.0])  # f(x, y) = 0.5 * (x**2 + 10 * y**2)


def test_table_covers_every_reference_config() -> None:
    assert set(QUADRATIC_TABLE) == set(REFERENCE["quadratic"])


@pytest.mark.parametrize("key", sorted(REFERENCE["quadratic"]))
def test_matches_torch_reference_trajectory(key: str) -> None:
    make, sign = QUADRATIC_TABLE[key]
    opt = make()
    x = np.array([3.0, 2.0])
    path = [x]
    for _ in range(50):
        x = opt.step(x, sign * CURVATURE * x)
        path.append(x)
    np.testing.assert_allclose(np.array(path), REFERENCE["quadratic"][key], rtol=1e-10, atol=1e-13)


# ----------------------------------------------------------------------------- validation

BAD_HYPERPARAMETERS: list[tuple[Callable[[], object], str]] = [
    (lambda: SGD(lr=-0.1), "lr"),
    (lambda: SGD(lr=float("nan")), "lr"),
    (lambda: SGD(lr=float("inf")), "lr"),
    (lambda: SGD(lr=np.array([[0.1], [-0.2]])), "lr"),
    (lambda: SGD(momentum=-0.5), "momentum"),
    (lambda: SGD(weight_decay=-1.0), "weight_decay"),
    (lambda: SGD(lr=0.1, nesterov=True), "nesterov"),
    (lambda: SGD(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda: Adagrad(lr_decay=-1.0), "lr_decay"),
    (lambda: Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda: Adagrad(eps=0.0), "eps"),
    (lambda: RMSprop(alpha=1.5), "alpha"),
    (lambda: RMSprop(eps=-1e-8), "eps"),
    (lambda: RMSprop(momentum=-0.9), "momentum"),
    (lambda: Adam(betas=(1.0, 0.999)), "betas[0]"),
    (lambda: Adam(betas=(0.9, -0.1)), "betas[1]"),
    (lambda: Adam(betas=(0.9,)), "betas"),  # type: ignore[arg-type]
    (lambda: Adam(eps=0.0), "eps"),
    (lambda: Adam(weight_decay=-0.1), "weight_decay"),
    (lambda: AdamW(lr=-1e-3), "lr"),
    (lambda: NAdam(momentum_decay=-1.0), "momentum_decay"),
    (lambda: NAdam(betas=(0.9, 1.0)), "betas[1]"),
    (lambda: Newton(damping=-1.0), "damping"),
    (lambda: Newton(lr=-1.0), "lr"),
]


@pytest.mark.parametrize(("make", "name"), BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_raise_naming_the_parameter(
    make: Callable[[], object], name: str
) -> None:
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_error_message_states_allowed_range() -> None:
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0, 1\), got 1.5"):
        Adam(betas=(1.5, 0.9))
    with pytest.raises(ValueError, match="momentum must be >= 0"):
        SGD(momentum=-1)


def test_grad_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="grad"):
        Adam().step(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="grad"):
        SGD().step(np.zeros((2, 2)), np.zeros(4))


def test_bad_lr_override_raises() -> None:
    with pytest.raises(ValueError, match="lr"):
        SGD(lr=0.1).step(np.ones(2), np.ones(2), lr=-0.5)
    with pytest.raises(ValueError, match="lr"):
        Adam().step(np.ones(2), np.ones(2), lr=np.array([0.1, np.nan]))


def test_hyperparameters_are_read_only() -> None:
    opt = SGD(lr=0.1, momentum=0.9)
    with pytest.raises(AttributeError, match="momentum"):
        opt.momentum = -1.0  # type: ignore[misc]
    with pytest.raises(AttributeError, match="lr"):
        opt.lr = 5.0
    assert opt.momentum == 0.9 and opt.lr == 0.1


# ----------------------------------------------------------------------------- API


def test_defaults_are_torch_defaults() -> None:
    assert (SGD().lr, SGD().momentum, SGD().dampening, SGD().nesterov) == (1e-3, 0, 0, False)
    assert (Adagrad().lr, Adagrad().eps, Adagrad().lr_decay) == (1e-2, 1e-10, 0)
    assert (RMSprop().lr, RMSprop().alpha, RMSprop().eps, RMSprop().centered) == (
        1e-2,
        0.99,
        1e-8,
        False,
    )
    assert (Adam().lr, Adam().betas, Adam().eps, Adam().weight_decay) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
    )
    assert (AdamW().weight_decay, AdamW().decoupled_weight_decay) == (1e-2, True)
    assert (NAdam().lr, NAdam().momentum_decay, NAdam().decoupled_weight_decay) == (
        2e-3,
        4e-3,
        False,
    )
    assert (Newton().lr, Newton().damping) == (1.0, 0.0)


@pytest.mark.parametrize(
    ("opt", "keys"),
    [
        (SGD(lr=0.1), set()),
        (SGD(lr=0.1, momentum=0.5), {"momentum_buffer"}),
        (Adagrad(), {"step", "sum"}),
        (RMSprop(), {"step", "square_avg"}),
        (
            RMSprop(momentum=0.9, centered=True),
            {"step", "square_avg", "grad_avg", "momentum_buffer"},
        ),
        (Adam(), {"step", "exp_avg", "exp_avg_sq"}),
        (AdamW(amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
        (NAdam(), {"step", "mu_product", "exp_avg", "exp_avg_sq"}),
    ],
    ids=repr,
)
def test_state_uses_torch_names_and_reset_clears_it(opt: Optimizer, keys: set[str]) -> None:
    x, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    first = opt.step(x, g)
    opt.step(first, g)
    assert set(opt.state) == keys
    if "step" in keys:
        assert opt.state["step"] == 2
    opt.reset()
    assert opt.state == {}
    np.testing.assert_array_equal(opt.step(x, g), first)  # behaves like a fresh optimizer


def test_repr_is_readable() -> None:
    assert repr(SGD(lr=0.1, momentum=0.9)) == (
        "SGD(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)"
    )
    assert repr(AdamW(lr=0.01)).startswith("AdamW(lr=0.01, betas=(0.9, 0.999)")
    assert "lr=array(shape=(5, 1))" in repr(Adam(lr=np.full((5, 1), 0.1)))
    assert repr(Newton(damping=0.5)) == "Newton(lr=1.0, damping=0.5)"


def test_needs_hessian_only_for_newton() -> None:
    first_order = [SGD(), Adagrad(), RMSprop(), Adam(), AdamW(), NAdam()]
    assert not any(opt.needs_hessian for opt in first_order)
    assert Newton().needs_hessian


def test_lr_override_applies_to_one_step_only() -> None:
    x, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    opt = SGD(lr=0.1)
    np.testing.assert_allclose(opt.step(x, g, lr=0.5), x - 0.5 * g)
    np.testing.assert_allclose(opt.step(x, g), x - 0.1 * g)
    assert opt.lr == 0.1


def test_adagrad_lr_decay_follows_its_own_counter_with_override() -> None:
    opt = Adagrad(lr=1.0, lr_decay=0.5)
    x, g = np.array([2.0]), np.array([1.0])
    x1 = opt.step(x, g, lr=0.2)  # step 1: clr = 0.2, sum = 1
    np.testing.assert_allclose(x1, x - 0.2 * 1.0 / (1.0 + 1e-10))
    x2 = opt.step(x1, g, lr=0.2)  # step 2: clr = 0.2 / 1.5, sum = 2
    np.testing.assert_allclose(x2, x1 - 0.2 / 1.5 * 1.0 / (np.sqrt(2.0) + 1e-10))


def test_array_shaped_params_and_broadcast_state() -> None:
    opt = Adam(lr=np.array([[0.1], [0.01], [0.001]]))
    x = np.ones((3, 2))
    new = opt.step(x, np.full((3, 2), 2.0))
    assert new.shape == (3, 2)
    assert opt.state["exp_avg"].shape == (3, 2)
    # the first Adam step moves every coordinate by about lr
    np.testing.assert_allclose(x - new, np.repeat([[0.1], [0.01], [0.001]], 2, axis=1), rtol=1e-6)


def test_array_lr_broadcasts_single_start_into_a_sweep() -> None:
    lr = np.array([[0.0], [0.1], [0.2]])
    opt = SGD(lr=lr, momentum=0.5)
    x = opt.step(np.array([1.0, -1.0]), np.array([1.0, -1.0]))  # one start, three runs
    assert x.shape == (3, 2)
    x = opt.step(x, x)
    assert opt.state["momentum_buffer"].shape == (3, 2)
    np.testing.assert_array_equal(x[0], [1.0, -1.0])  # lr = 0 never moves
    for i in (1, 2):
        single = SGD(lr=float(lr[i, 0]), momentum=0.5)
        y = single.step(np.array([1.0, -1.0]), np.array([1.0, -1.0]))
        np.testing.assert_allclose(x[i], single.step(y, y), rtol=1e-15)


def test_state_never_aliases_the_callers_grad() -> None:
    opt = SGD(lr=0.1, momentum=0.9)
    g = np.array([1.0, 2.0])
    opt.step(np.zeros(2), g)
    g[:] = 100.0  # caller reuses its gradient buffer
    np.testing.assert_array_equal(opt.state["momentum_buffer"], [1.0, 2.0])


# ----------------------------------------------------------------------------- Newton


def test_newton_solves_a_quadratic_in_one_step() -> None:
    h = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x0 = np.array([5.0, 7.0])
    x1 = Newton().step(x0, h @ x0 - b, hessian=h)
    np.testing.assert_allclose(x1, np.linalg.solve(h, b), rtol=1e-12)


def test_newton_batched_damped_and_array_lr() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 3, 3))
    h = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    g = rng.normal(size=(4, 3))
    x = rng.normal(size=(4, 3))
    lr = np.array([[1.0], [0.5], [0.1], [0.0]])
    got = Newton(lr=lr, damping=0.3).step(x, g, hessian=h)
    for i in range(4):
        d = np.linalg.solve(h[i] + 0.3 * np.eye(3), g[i])
        np.testing.assert_allclose(got[i], x[i] - lr[i, 0] * d, rtol=1e-12)


def test_newton_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="hessian"):
        Newton().step(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="hessian must have shape"):
        Newton().step(np.zeros(2), np.ones(2), hessian=np.eye(3))
    with pytest.raises(np.linalg.LinAlgError, match="damping"):
        Newton().step(np.zeros(2), np.ones(2), hessian=np.zeros((2, 2)))
    # damping rescues the singular case
    np.testing.assert_allclose(
        Newton(damping=2.0).step(np.zeros(2), np.ones(2), hessian=np.zeros((2, 2))), [-0.5, -0.5]
    )


def test_first_order_methods_ignore_a_hessian() -> None:
    x, g = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    np.testing.assert_array_equal(SGD(lr=0.1).step(x, g, hessian=np.eye(2)), x - 0.1 * g)


# ----------------------------------------------------------------------------- properties

FACTORIES: list[Callable[[Any], Optimizer]] = [
    lambda lr: SGD(lr=lr),
    lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda lr: SGD(lr=lr, momentum=0.5, dampening=0.3, maximize=True),
    lambda lr: Adagrad(lr=lr, lr_decay=0.1, weight_decay=0.01),
    lambda lr: RMSprop(lr=lr, momentum=0.9, centered=True, weight_decay=0.1),
    lambda lr: Adam(lr=lr, amsgrad=True, weight_decay=0.1),
    lambda lr: AdamW(lr=lr),
    lambda lr: NAdam(lr=lr, decoupled_weight_decay=True, weight_decay=0.1),
]

finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    factory=st.sampled_from(FACTORIES),
    data=st.data(),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
)
def test_no_optimizer_mutates_its_inputs(
    factory: Callable[[Any], Optimizer], data: st.DataObject, shape: tuple[int, ...]
) -> None:
    params = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    grad = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    p_copy, g_copy = params.copy(), grad.copy()
    opt = factory(0.01)
    new = params
    for _ in range(3):
        new = opt.step(new, grad)
        assert not np.shares_memory(new, params) and not np.shares_memory(new, grad)
    np.testing.assert_array_equal(params, p_copy)
    np.testing.assert_array_equal(grad, g_copy)
    assert np.shape(new) == shape
    for value in opt.state.values():
        assert not isinstance(value, np.ndarray) or not np.shares_memory(value, grad)


@settings(max_examples=30, deadline=None)
@given(
    factory=st.sampled_from(FACTORIES),
    lrs=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_vectorized_lr_sweep_equals_separate_runs(
    factory: Callable[[Any], Optimizer], lrs: list[float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    h = np.diag(rng.uniform(0.5, 5.0, size=2))
    x0 = rng.normal(size=2)
    sweep = factory(np.array(lrs)[:, None])
    xs = np.tile(x0, (len(lrs), 1))
    for _ in range(20):
        xs = sweep.step(xs, xs @ h)
    for i, lr in enumerate(lrs):
        single = factory(lr)
        x = x0
        for _ in range(20):
            x = single.step(x, h @ x)
        np.testing.assert_allclose(xs[i], x, rtol=1e-12, atol=1e-300)


def random_spd(seed: int, n: int) -> tuple[np.ndarray, float]:
    """H = Q diag(lambda) Q^T with eigenvalues in [0.1, 10]; returns (H, lambda_max)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lam = np.exp(rng.uniform(np.log(0.1), np.log(10.0), size=n))
    lam[0] = 10.0  # pin lambda_max so that both the spread and the cliff are exercised
    return (q * lam) @ q.T, float(lam.max())


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 6),
    below_ratio=st.floats(0.5, 0.99),
    above_ratio=st.floats(1.01, 1.5),
)
def test_gd_converges_below_and_diverges_above_two_over_lambda_max(
    seed: int, n: int, below_ratio: float, above_ratio: float
) -> None:
    # eta = ratio * 2 / lambda_max: any ratio < 1 converges, any ratio > 1 diverges.
    h, lam_max = random_spd(seed, n)
    x0 = np.linalg.eigh(h)[1].sum(axis=1)  # has a component along every eigenvector
    below, above = SGD(lr=below_ratio * 2 / lam_max), SGD(lr=above_ratio * 2 / lam_max)
    x, y = x0, x0
    for _ in range(2000):  # slowest factor max(|1 - 2 r|, 1 - 0.02 r) <= 0.99: 0.99**2000 ~ 2e-9
        x = below.step(x, h @ x)
    for _ in range(1500):  # |1 - eta lambda_max| = 2 r - 1 >= 1.02: 1.02**1500 ~ 8e12
        y = above.step(y, h @ y)
        if np.linalg.norm(y) > 1e6 * np.linalg.norm(x0):
            break
    assert np.linalg.norm(x) < 1e-6 * np.linalg.norm(x0)
    assert np.linalg.norm(y) > 1e6 * np.linalg.norm(x0)
