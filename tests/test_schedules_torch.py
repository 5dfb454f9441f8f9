"""Every schedule against live torch.optim.lr_scheduler; skipped when torch is absent."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

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

torch = pytest.importorskip("torch")

LR = 0.1


def hf_warmup_cosine(warmup: int, total: int) -> Any:
    """Hugging Face's get_cosine_schedule_with_warmup multiplier (num_cycles = 0.5)."""

    def factor(t: int) -> float:
        if t < warmup:
            return t / max(1, warmup)
        progress = (t - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))

    return factor


# (our schedule, torch scheduler name, its keyword arguments, number of steps to compare)
CASES: list[tuple[Schedule, str, dict[str, Any], int]] = [
    (StepLR(LR, step_size=7, gamma=0.3), "StepLR", dict(step_size=7, gamma=0.3), 200),
    (StepLR(LR, step_size=1), "StepLR", dict(step_size=1), 100),
    (ExponentialLR(LR, gamma=0.97), "ExponentialLR", dict(gamma=0.97), 500),
    (ExponentialLR(LR, gamma=1.05), "ExponentialLR", dict(gamma=1.05), 200),
    (CosineAnnealingLR(LR, T_max=50), "CosineAnnealingLR", dict(T_max=50), 180),
    (
        CosineAnnealingLR(LR, T_max=7, eta_min=0.01),
        "CosineAnnealingLR",
        dict(T_max=7, eta_min=0.01),
        60,
    ),
    (
        CosineAnnealingLR(LR, T_max=1000, eta_min=1e-4),
        "CosineAnnealingLR",
        dict(T_max=1000, eta_min=1e-4),
        1500,
    ),
    (LinearLR(LR), "LinearLR", {}, 30),
    (
        LinearLR(LR, start_factor=1.0, end_factor=0.05, total_iters=40),
        "LinearLR",
        dict(start_factor=1.0, end_factor=0.05, total_iters=40),
        60,
    ),
    (
        LinearLR(LR, start_factor=0.01, end_factor=0.0, total_iters=25),
        "LinearLR",
        dict(start_factor=0.01, end_factor=0.0, total_iters=25),
        40,
    ),
    (OneCycleLR(LR, 100), "OneCycleLR", dict(max_lr=LR, total_steps=100), 101),
    (
        OneCycleLR(
            LR, 57, pct_start=0.25, anneal_strategy="linear", div_factor=10, final_div_factor=100
        ),
        "OneCycleLR",
        dict(
            max_lr=LR,
            total_steps=57,
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        58,
    ),
    (
        OneCycleLR(LR, 80, pct_start=0.4, three_phase=True),
        "OneCycleLR",
        dict(max_lr=LR, total_steps=80, pct_start=0.4, three_phase=True),
        81,
    ),
    (InverseTimeLR(LR, k=0.3), "LambdaLR", dict(lr_lambda=lambda t: 1.0 / (1.0 + 0.3 * t)), 100),
    (Constant(LR), "LambdaLR", dict(lr_lambda=lambda t: 1.0), 20),
    (
        WarmupCosine(LR, warmup_steps=10, total_steps=60),
        "LambdaLR",
        dict(lr_lambda=hf_warmup_cosine(10, 60)),
        61,  # HF's cosine rises again after total_steps; ours stays at eta_min
    ),
    (
        WarmupCosine(LR, warmup_steps=0, total_steps=30),
        "LambdaLR",
        dict(lr_lambda=hf_warmup_cosine(0, 30)),
        31,
    ),
]


def torch_lrs(name: str, kwargs: dict[str, Any], n: int) -> list[float]:
    """The lr torch uses at optimizer steps 0 .. n-1 (scheduler.step() after every step)."""
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=LR)
    kwargs = dict(kwargs)
    if name == "OneCycleLR":
        kwargs["cycle_momentum"] = False
    scheduler = getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)
    lrs = []
    for k in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = torch.ones(2, dtype=torch.float64)
        opt.step()
        if k < n - 1:
            scheduler.step()
    return lrs


@pytest.mark.parametrize(("sched", "name", "kwargs", "n"), CASES, ids=lambda c: repr(c))
def test_schedule_matches_torch(sched: Schedule, name: str, kwargs: dict[str, Any], n: int) -> None:
    expected = torch_lrs(name, kwargs, n)
    np.testing.assert_allclose(sched(np.arange(n)), expected, rtol=1e-10, atol=1e-13)


def test_one_cycle_fails_past_the_end_in_both() -> None:
    total = 20
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=LR)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=total)
    for _ in range(total):
        opt.step()
        scheduler.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step"):
        scheduler.step()
    with pytest.raises(ValueError, match="total_steps"):
        OneCycleLR(LR, total)(total + 1)
