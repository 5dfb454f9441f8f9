"""Per-iteration cost of ``optcourse.minimize`` against a hand-written torch training loop.

The work per iteration is the same on both sides: one optimizer step on a 2-D quadratic
f(x) = ½ xᵀHx − bᵀx plus the loss and gradient at the new point. ``minimize`` also records the
history and checks divergence; torch runs ``zero_grad(); loss = f(x); loss.backward(); step()``.
The goal is ``minimize`` at no more than 1/5 of the torch loop's time (ratio <= 0.2).

Run: ``python bench/bench_minimize.py`` (or through ``bench/run.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from optcourse.minimize import minimize
from optcourse.objectives import Quadratic
from optcourse.optimizers import SGD, Adam

H = np.array([[3.0, 1.0], [1.0, 2.0]])
B = np.array([1.0, -1.0])
X0 = np.array([2.0, 2.0])
N_ITER = 20_000
N_ITER_TORCH = 5_000  # torch is ~10x slower per iteration; fewer iterations keep the bench short
REPEAT = 3


def _best_per_iter(run: Callable[[], object], n_iter: int) -> float:
    """Best-of-REPEAT wall time of ``run()`` divided by ``n_iter``, in microseconds."""
    best = float("inf")
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best / n_iter * 1e6


def bench_optcourse(name: str) -> float:
    """Microseconds per iteration of ``minimize`` with SGD or Adam on the 2-D quadratic."""
    q = Quadratic(H, B)
    opt = SGD(lr=0.01) if name == "SGD" else Adam(lr=0.01)
    return _best_per_iter(lambda: minimize(q, X0, opt, max_iter=N_ITER), N_ITER)


def bench_torch(name: str) -> float | None:
    """Microseconds per iteration of torch's zero_grad + loss + backward + step, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    Ht = torch.tensor(H)
    bt = torch.tensor(B)

    def run() -> None:
        x = torch.tensor(X0, requires_grad=True)
        cls = torch.optim.SGD if name == "SGD" else torch.optim.Adam
        opt = cls([x], lr=0.01)
        for _ in range(N_ITER_TORCH):
            opt.zero_grad()
            loss = 0.5 * x @ (Ht @ x) - bt @ x
            loss.backward()
            opt.step()

    return _best_per_iter(run, N_ITER_TORCH)


def main() -> None:
    """Print µs/iteration for optcourse and torch, and their ratio, for SGD and Adam."""
    print(
        f"minimize() on a 2-D quadratic: {N_ITER} iterations (torch loop: {N_ITER_TORCH}), "
        f"best of {REPEAT}; goal ratio <= 0.2"
    )
    print(f"{'optimizer':<10}{'optcourse µs/it':>16}{'torch µs/it':>13}{'ratio':>8}")
    for name in ("SGD", "Adam"):
        ours = bench_optcourse(name)
        ref = bench_torch(name)
        if ref is None:
            print(f"{name:<10}{ours:>16.2f}{'n/a':>13}{'n/a':>8}  (torch not installed)")
        else:
            print(f"{name:<10}{ours:>16.2f}{ref:>13.2f}{ours / ref:>8.3f}")


if __name__ == "__main__":
    main()
