"""Per-step cost of the optimizers against torch.optim, and a vectorized learning-rate sweep.

1. One ``opt.step`` on a 2-parameter problem for every optimizer, best of several repeats, next to
   torch.optim's ``opt.step()`` on the same work (a 2-element float64 tensor with ``.grad`` set)
   measured in the same process when torch is importable. Goal: ours <= 1/4 of torch's time.
2. Gradient descent with 1,000 learning rates x 1,000 steps on a 2-D quadratic in one vectorized
   pass (params (1000, 2), lr (1000, 1)). Goal: < 0.2 s. The same-process reference is the same
   arithmetic written as a bare NumPy loop, so the ratio is the price of the optimizer API.

Run: ``python bench/bench_optimizers.py`` (or ``python bench/run.py`` for every benchmark).
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

from optcourse.optimizers import SGD, Adagrad, Adam, AdamW, NAdam, Newton, Optimizer, RMSprop

REPEAT = 7
GOAL_STEP_RATIO = 0.25
GOAL_SWEEP_SECONDS = 0.2

# (label, our optimizer, torch class name, torch keyword arguments)
CASES: list[tuple[str, Callable[[], Optimizer], str, dict[str, Any]]] = [
    ("SGD", lambda: SGD(lr=0.01), "SGD", dict(lr=0.01)),
    ("SGD momentum", lambda: SGD(lr=0.01, momentum=0.9), "SGD", dict(lr=0.01, momentum=0.9)),
    (
        "SGD nesterov",
        lambda: SGD(lr=0.01, momentum=0.9, nesterov=True),
        "SGD",
        dict(lr=0.01, momentum=0.9, nesterov=True),
    ),
    ("Adagrad", lambda: Adagrad(lr=0.01), "Adagrad", dict(lr=0.01)),
    ("RMSprop", lambda: RMSprop(lr=0.01), "RMSprop", dict(lr=0.01)),
    (
        "RMSprop centered",
        lambda: RMSprop(lr=0.01, momentum=0.9, centered=True),
        "RMSprop",
        dict(lr=0.01, momentum=0.9, centered=True),
    ),
    ("Adam", lambda: Adam(lr=0.01), "Adam", dict(lr=0.01)),
    ("Adam amsgrad", lambda: Adam(lr=0.01, amsgrad=True), "Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", lambda: AdamW(lr=0.01), "AdamW", dict(lr=0.01)),
    ("NAdam", lambda: NAdam(lr=0.01), "NAdam", dict(lr=0.01)),
]


def _time_per_call(fn: Callable[[], object], number: int) -> float:
    """Seconds per call of ``fn``, averaged over ``number`` calls."""
    return timeit.timeit(fn, number=number) / number


def our_stepper(make: Callable[[], Optimizer]) -> Callable[[], object]:
    """A zero-argument ``opt.step(x, g)`` on 2 parameters (state already initialized)."""
    opt = make()
    x = np.array([3.0, 2.0])
    g = np.array([3.0, 20.0])
    opt.step(x, g)
    return lambda: opt.step(x, g)


def newton_stepper() -> Callable[[], object]:
    """A zero-argument Newton step on 2 parameters with a 2x2 Hessian."""
    opt = Newton()
    x = np.array([3.0, 2.0])
    g = np.array([3.0, 20.0])
    h = np.array([[1.0, 0.0], [0.0, 10.0]])
    return lambda: opt.step(x, g, hessian=h)


def torch_stepper(torch: Any, name: str, kwargs: dict[str, Any]) -> Callable[[], object]:
    """torch.optim ``opt.step`` on a 2-element float64 tensor with .grad set (default options)."""
    p = torch.tensor([3.0, 2.0], dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor([3.0, 20.0], dtype=torch.float64)
    opt = getattr(torch.optim, name)([p], **kwargs)
    opt.step()
    return opt.step


def best_interleaved(
    ours: Callable[[], object], theirs: Callable[[], object] | None
) -> tuple[float, float]:
    """Best-of-REPEAT seconds per call of each; the two alternate so both see the same load."""
    best_ours = best_theirs = float("inf")
    for _ in range(REPEAT):
        best_ours = min(best_ours, _time_per_call(ours, 5_000))
        if theirs is not None:
            best_theirs = min(best_theirs, _time_per_call(theirs, 1_000))
    return best_ours, best_theirs


def sweep_time(n_lr: int = 1000, n_steps: int = 1000) -> tuple[float, float, float]:
    """(optimizer sweep seconds, bare-NumPy loop seconds, max |difference| of the results)."""
    h = np.array([[1.0, 0.3], [0.3, 10.0]])
    lr = np.linspace(1e-3, 0.25, n_lr)[:, None]
    x0 = np.tile([3.0, 2.0], (n_lr, 1))

    def with_optimizer() -> np.ndarray:
        opt = SGD(lr=lr)
        x = x0
        for _ in range(n_steps):
            x = opt.step(x, x @ h)
        return x

    def bare_numpy() -> np.ndarray:
        x = x0
        for _ in range(n_steps):
            x = x - lr * (x @ h)
        return x

    best = {"opt": float("inf"), "numpy": float("inf")}
    results = {}
    for _ in range(5):  # interleaved, so both see the same machine load
        for name, fn in (("opt", with_optimizer), ("numpy", bare_numpy)):
            t0 = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    with np.errstate(invalid="ignore"):
        diff = float(np.nanmax(np.abs(results["opt"] - results["numpy"])))
    return best["opt"], best["numpy"], diff


def main() -> None:
    """Print the per-step table and the sweep timing."""
    try:
        import torch
    except ImportError:
        torch = None  # type: ignore[assignment]
    print(f"Optimizer step on 2 parameters (best of {REPEAT} interleaved repeats)")
    if torch is not None:
        torch_version = torch.__version__
        print(f"torch {torch_version}, {torch.get_num_threads()} threads, same process")
    header = f"{'optimizer':<18}{'ours (us)':>11}{'torch (us)':>12}{'ratio':>8}  goal <= 0.25"
    print(header)
    print("-" * len(header))
    for label, make, name, kwargs in CASES:
        theirs_fn = None if torch is None else torch_stepper(torch, name, kwargs)
        ours, theirs = best_interleaved(our_stepper(make), theirs_fn)
        if torch is None:
            print(f"{label:<18}{ours * 1e6:>11.2f}{'-':>12}{'-':>8}")
            continue
        ratio = ours / theirs
        verdict = "ok" if ratio <= GOAL_STEP_RATIO else "MISSED"
        print(f"{label:<18}{ours * 1e6:>11.2f}{theirs * 1e6:>12.2f}{ratio:>8.3f}  {verdict}")
    newton, _ = best_interleaved(newton_stepper(), None)
    print(f"{'Newton':<18}{newton * 1e6:>11.2f}{'-':>12}{'-':>8}")
    print()
    t_opt, t_np, diff = sweep_time()
    verdict = "ok" if t_opt < GOAL_SWEEP_SECONDS else "MISSED"
    print("GD sweep: 1,000 learning rates x 1,000 steps on a 2-D quadratic, one vectorized run")
    print(
        f"  SGD(lr=array (1000, 1)).step : {t_opt:.4f} s   goal < {GOAL_SWEEP_SECONDS} s  {verdict}"
    )
    print(f"  bare NumPy loop, same work   : {t_np:.4f} s   ratio ours/bare {t_opt / t_np:.2f}")
    print(f"  max |difference| of results  : {diff:.1e}")


if __name__ == "__main__":
    main()
