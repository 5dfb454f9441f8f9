"""Cross-check against live torch.optim (float64, foreach=False); skipped when torch is absent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from optcourse import schedules
from optcourse.optimizers import SGD, Adagrad, Adam, AdamW, NAdam, Optimizer, RMSprop

torch = pytest.importorskip("torch")

SHAPE = (3, 4)


@pytest.fixture(autouse=True)
def torch_float64() -> Any:
    """Run torch in float64 throughout: its scalar state (e.g. NAdam's mu_product) follows the
    default dtype, which is float32 unless changed."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


N_STEPS = 60


def grad_of(x: Any, lib: Any) -> Any:
    """Gradient of a smooth, strongly convex, non-quadratic loss (curvature in [0.4, 1.6]).

    Written once for numpy and torch. Convexity keeps the runs contracting, so float64
    rounding differences are not amplified chaotically."""
    return x + 0.3 * lib.sin(2.0 * x) - 0.2


# (our optimizer, torch class name, torch keyword arguments)
CONFIGS: list[tuple[Callable[[], Optimizer], str, dict[str, Any]]] = [
    (
        lambda: SGD(0.05, 0.9, 0.1, 0.01),
        "SGD",
        dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    ),
    (
        lambda: SGD(0.05, momentum=0.8, weight_decay=0.1, nesterov=True, maximize=True),
        "SGD",
        dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True, maximize=True),
    ),
    (
        lambda: Adagrad(0.3, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5),
        "Adagrad",
        dict(lr=0.3, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5),
    ),
    (lambda: Adagrad(0.1, maximize=True), "Adagrad", dict(lr=0.1, maximize=True)),
    (
        lambda: RMSprop(0.01, alpha=0.95, weight_decay=0.05, momentum=0.9, centered=True),
        "RMSprop",
        dict(lr=0.01, alpha=0.95, weight_decay=0.05, momentum=0.9, centered=True),
    ),
    (
        lambda: RMSprop(0.02, centered=True, maximize=True),
        "RMSprop",
        dict(lr=0.02, centered=True, maximize=True),
    ),
    (
        lambda: Adam(0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, maximize=True),
        "Adam",
        dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, maximize=True),
    ),
    (
        lambda: Adam(0.05, weight_decay=0.1, amsgrad=True, decoupled_weight_decay=True),
        "Adam",
        dict(lr=0.05, weight_decay=0.1, amsgrad=True, decoupled_weight_decay=True),
    ),
    (
        lambda: AdamW(0.05, weight_decay=0.2, amsgrad=True),
        "AdamW",
        dict(lr=0.05, weight_decay=0.2, amsgrad=True),
    ),
    (
        lambda: NAdam(0.05, weight_decay=0.1, decoupled_weight_decay=True),
        "NAdam",
        dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    ),
    (
        lambda: NAdam(
            0.05, betas=(0.85, 0.99), weight_decay=0.05, momentum_decay=0.05, maximize=True
        ),
        "NAdam",
        dict(lr=0.05, betas=(0.85, 0.99), weight_decay=0.05, momentum_decay=0.05, maximize=True),
    ),
]


def torch_run(
    name: str, kwargs: dict[str, Any], x0: np.ndarray, lrs: list[float] | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Iterates of torch.optim.<name> from x0 (and its final state); lrs sets the lr per step."""
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([p], foreach=False, **kwargs)
    path = [x0]
    for k in range(N_STEPS):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[k]
        p.grad = grad_of(p.detach(), torch)
        opt.step()
        path.append(p.detach().numpy().copy())
    state = {key: (v.item() if v.numel() == 1 else v.numpy()) for key, v in opt.state[p].items()}
    return np.array(path), state


def our_run(opt: Optimizer, x0: np.ndarray, lrs: list[float] | None = None) -> np.ndarray:
    x = x0
    path = [x0]
    for k in range(N_STEPS):
        x = opt.step(x, grad_of(x, np), lr=None if lrs is None else lrs[k])
        path.append(x)
    return np.array(path)


@pytest.mark.parametrize(("make", "name", "kwargs"), CONFIGS, ids=lambda c: repr(c))
def test_matches_live_torch_on_array_params(
    make: Callable[[], Optimizer], name: str, kwargs: dict[str, Any]
) -> None:
    x0 = np.random.default_rng(1).normal(size=SHAPE)
    ours = make()
    ref_path, ref_state = torch_run(name, kwargs, x0)
    np.testing.assert_allclose(our_run(ours, x0), ref_path, rtol=1e-10, atol=1e-13)
    assert set(ours.state) <= set(ref_state)
    for key, value in ours.state.items():
        np.testing.assert_allclose(value, ref_state[key], rtol=1e-10, atol=1e-13, err_msg=key)


SCHEDULED = [
    (
        lambda: SGD(0.1, momentum=0.9, nesterov=True),
        "SGD",
        dict(lr=0.1, momentum=0.9, nesterov=True),
        schedules.CosineAnnealingLR(0.1, T_max=40, eta_min=0.001),
        ("CosineAnnealingLR", dict(T_max=40, eta_min=0.001)),
    ),
    (
        lambda: Adagrad(0.3, lr_decay=0.1),
        "Adagrad",
        dict(lr=0.3, lr_decay=0.1),
        schedules.StepLR(0.3, step_size=7, gamma=0.5),
        ("StepLR", dict(step_size=7, gamma=0.5)),
    ),
    (
        lambda: NAdam(0.05),
        "NAdam",
        dict(lr=0.05),
        schedules.ExponentialLR(0.05, gamma=0.95),
        ("ExponentialLR", dict(gamma=0.95)),
    ),
    (
        lambda: Adam(0.05),
        "Adam",
        dict(lr=0.05),
        schedules.OneCycleLR(0.05, total_steps=N_STEPS),
        ("OneCycleLR", dict(max_lr=0.05, total_steps=N_STEPS, cycle_momentum=False)),
    ),
    (
        lambda: RMSprop(0.01, momentum=0.5),
        "RMSprop",
        dict(lr=0.01, momentum=0.5),
        schedules.LinearLR(0.01, start_factor=0.1, total_iters=20),
        ("LinearLR", dict(start_factor=0.1, total_iters=20)),
    ),
]


@pytest.mark.parametrize(
    ("make", "name", "kwargs", "sched", "torch_sched"), SCHEDULED, ids=lambda c: repr(c)
)
def test_schedule_driving_lr_matches_torch_scheduler(
    make: Callable[[], Optimizer],
    name: str,
    kwargs: dict[str, Any],
    sched: schedules.Schedule,
    torch_sched: tuple[str, dict[str, Any]],
) -> None:
    x0 = np.random.default_rng(2).normal(size=SHAPE)
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([p], foreach=False, **kwargs)
    sched_name, sched_kwargs = torch_sched
    scheduler = getattr(torch.optim.lr_scheduler, sched_name)(opt, **sched_kwargs)
    ref = [x0]
    for _ in range(N_STEPS):
        p.grad = grad_of(p.detach(), torch)
        opt.step()
        scheduler.step()
        ref.append(p.detach().numpy().copy())
    ours = make()
    x = x0
    path = [x0]
    for t in range(N_STEPS):
        x = ours.step(x, grad_of(x, np), lr=sched(t))
        path.append(x)
    np.testing.assert_allclose(np.array(path), np.array(ref), rtol=1e-10, atol=1e-13)
