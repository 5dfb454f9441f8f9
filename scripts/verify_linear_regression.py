#!/usr/bin/env python3
"""Fit linear regression by GD, SGD and mini-batch SGD; check each against the normal equations.

The closed form θ* solves the normal equations XᵀXθ = Xᵀy. Each run of ``optcourse.minimize`` is
then checked against θ* at the accuracy *that method can reach*, and on *how it stopped*:

========================  ===========================  =========================================
run                       expected status              tolerance on ‖θ − θ*‖ / ‖θ*‖
========================  ===========================  =========================================
full-batch GD             converged (GradNorm)         1e-10: GradNorm(tol) with tol = 1e-10 ·
                                                       λmin · ‖θ*‖ certifies it, since
                                                       ‖θ − θ*‖ ≤ ‖∇L(θ)‖ / λmin
SGD (B = 1), constant η   max_iter (the same GradNorm  from the excess-loss floor η·tr(Σ)/(4B)
mini-batch, constant η    rule never fires)            (Σ: covariance of the per-sample gradients
                                                       at θ*), times (m − B)/(m − 1) for batches
                                                       drawn without replacement
SGD, η/(1 + kt)           max_iter                     from the O(1/T) excess loss of a decaying
                                                       step, λmax·a²·tr(Σ)/(2(2aλmin − 1)T) with
                                                       a = η/k = 2/λmin, plus what is left of the
                                                       start, λmax‖θ*‖²(1 + kT)^−4 / 2
SGD on noiseless data     converged (GradNorm)         1e-10, as for GD: there is no floor
========================  ===========================  =========================================

A stochastic iterate fluctuates around its floor, so its tolerance allows ``--margin`` (default 3)
times the predicted excess loss e, turned into a distance by ‖θ − θ*‖ ≤ √(2e/λmin); the mean
excess loss over the last epoch must also stay below ``margin`` times the prediction. The floors are
the small-step approximations for batches drawn independently; the reshuffled epochs that
``minimize(batch_size=...)`` draws sit at or below them (far below when an epoch has few steps).
That a constant step *has* a floor shows in its status: the GradNorm rule that certifies GD's
1e-10 never fires, and the run ends at ``max_iter``. When a prediction is below what that rule
certifies (``--noise 0``: no floor), the run is expected to reach 1e-10 and stop ``converged``.

Every random draw comes from ``--seed``. The script prints one row per check and exits with status
0 when all pass, 1 when any fails (2 for bad arguments). ``--tighten F`` divides every tolerance by
F, so the failure path can be exercised.

Example::

    python scripts/verify_linear_regression.py --seed 0
    python scripts/verify_linear_regression.py --json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optcourse import minimize
from optcourse.objectives import LeastSquares
from optcourse.optimizers import SGD
from optcourse.schedules import InverseTimeLR
from optcourse.stopping import GradNorm

Array = NDArray[np.float64]


@dataclass
class Row:
    """One check: a run (or the closed form) against θ*, and whether it passed."""

    run: str
    batch_size: int | None
    lr: str
    status: str
    expected_status: str
    nit: int
    rel_error: float
    tolerance: float
    excess_loss: float
    passed: bool
    note: str

    def __post_init__(self) -> None:
        self.passed = bool(self.passed)  # NumPy's bool_ is not JSON


@dataclass(frozen=True)
class Problem:
    """The data, θ* from the normal equations, and the constants the tolerances need."""

    X: Array
    y: Array
    theta_star: Array
    lam_min: float
    lam_max: float
    trace_sigma: float


def make_data(seed: int, samples: int, features: int, noise: float) -> tuple[Array, Array]:
    """Return ``(X, y)``: standard normal features, θ uniform on [−2, 2], Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, features))
    theta_true = rng.uniform(-2.0, 2.0, features)
    return X, X @ theta_true + noise * rng.standard_normal(samples)


def normal_equations(X: Array, y: Array) -> Problem:
    """Solve XᵀXθ = Xᵀy and collect λmin, λmax of H = XᵀX/m and tr(Σ) at θ*."""
    m = X.shape[0]
    theta_star = np.linalg.solve(X.T @ X, X.T @ y)
    lam = np.linalg.eigvalsh(X.T @ X / m)
    per_sample = X * (X @ theta_star - y)[:, None]  # gradient of each sample's loss at θ*
    trace_sigma = float(np.sum(per_sample**2) / m)  # the mean per-sample gradient is 0 at θ*
    return Problem(X, y, theta_star, float(lam[0]), float(lam[-1]), trace_sigma)


def _rel(theta: NDArray[Any], p: Problem) -> float:
    return float(np.linalg.norm(theta - p.theta_star) / np.linalg.norm(p.theta_star))


def _dist_tol(excess: float, p: Problem, margin: float) -> float:
    """The relative distance a point with excess loss ``margin·excess`` can be from θ*."""
    return math.sqrt(2.0 * margin * excess / p.lam_min) / float(np.linalg.norm(p.theta_star))


def check_closed_form(p: Problem, tighten: float) -> Row:
    """The normal equations against ``np.linalg.lstsq`` (tolerance: 1e4 · eps · cond(X)²)."""
    lstsq = np.linalg.lstsq(p.X, p.y, rcond=None)[0]
    err = _rel(lstsq, p)
    tol = float(1e4 * np.finfo(float).eps * (p.lam_max / p.lam_min)) / tighten
    return Row("normal equations vs lstsq", None, "-", "-", "-", 0, err, tol, 0.0, err <= tol, "")


def run_full_batch(p: Problem, max_iter: int, tighten: float, noiseless: bool = False) -> Row:
    """GD with η = 1/λmax (or SGD, B = 1, on noiseless data) stopped by a certifying GradNorm."""
    y = p.X @ p.theta_star if noiseless else p.y
    f = LeastSquares(p.X, y)
    tol = 1e-10 / tighten
    stop = GradNorm(tol * p.lam_min * float(np.linalg.norm(p.theta_star)))
    if noiseless:  # the largest stable step for single samples: 1/max ‖xᵢ‖²
        lr = 1.0 / float(np.max(np.sum(p.X**2, axis=1)))
        res = minimize(
            f,
            np.zeros(p.X.shape[1]),
            SGD(lr=lr),
            stop=stop,
            max_iter=max_iter,
            batch_size=1,
            seed=0,
            record=False,
        )
        name, batch = "SGD on noiseless data", 1
    else:
        lr = 1.0 / p.lam_max
        res = minimize(
            f, np.zeros(p.X.shape[1]), SGD(lr=lr), stop=stop, max_iter=max_iter, record=False
        )
        name, batch = "full-batch GD", None
    err = _rel(res.x, p)
    ok = bool(res.status == "converged" and err <= tol)
    excess = float(res.fun - float(f.value(p.theta_star)))
    return Row(
        name,
        batch,
        f"{lr:.4g}",
        res.status,
        "converged",
        res.nit,
        err,
        tol,
        excess,
        ok,
        res.message,
    )


def run_stochastic(
    p: Problem,
    batch_size: int,
    lr: float,
    steps: int,
    seed: int,
    margin: float,
    tighten: float,
    decay: bool = False,
) -> Row:
    """Constant-step (or η/(1 + kt)) SGD from θ = 0, checked against its predicted excess loss.

    If that prediction is below what GD's 1e-10 certifies (noiseless data), the run must reach
    1e-10 and stop ``converged``; otherwise it must end at ``max_iter`` within its floor.
    """
    m, d = p.X.shape
    f = LeastSquares(p.X, p.y)
    norm_star = float(np.linalg.norm(p.theta_star))
    stop = GradNorm(1e-10 * p.lam_min * norm_star)
    kwargs: dict[str, Any] = {}
    if decay:  # a = η/k = 2/λmin: the start is forgotten like (1 + kT)^−(aλmin) = (1 + kT)^−2
        k = lr * p.lam_min / 2.0
        kwargs["schedule"] = InverseTimeLR(lr, k=k)
        a = lr / k
        noise = p.lam_max * a**2 * p.trace_sigma / (2.0 * (2.0 * a * p.lam_min - 1.0) * steps)
        floor = noise + p.lam_max / 2.0 * norm_star**2 * (1.0 + k * steps) ** (-2.0 * a * p.lam_min)
        name, lr_text = "SGD, decaying step", f"{lr:.3g}/(1+{k:.2g}t)"
    else:
        floor = lr * p.trace_sigma / (4.0 * batch_size) * (m - batch_size) / (m - 1)
        name, lr_text = ("SGD" if batch_size == 1 else "mini-batch SGD"), f"{lr:.4g}"
    res = minimize(
        f,
        np.zeros(d),
        SGD(lr=lr),
        stop=stop,
        max_iter=steps,
        batch_size=batch_size,
        seed=seed,
        record=False,
        **kwargs,
    )
    late = float(
        np.mean(res.history.loss[-math.ceil(m / batch_size) :]) - float(f.value(p.theta_star))
    )
    err, tol = _rel(res.x, p), _dist_tol(floor, p, margin)
    expected = "converged" if tol < 1e-10 else "max_iter"
    tol = max(tol, 1e-10) / tighten
    ok = res.status == expected and err <= tol
    if expected == "max_iter":
        ok = ok and late <= margin * floor / tighten
    note = f"predicted excess loss {floor:.3g}, mean over the last epoch {late:.3g}"
    return Row(name, batch_size, lr_text, res.status, expected, res.nit, err, tol, late, ok, note)


def run_all(args: argparse.Namespace) -> list[Row]:
    """Every check of the script, in the order of the table."""
    X, y = make_data(args.seed, args.samples, args.features, args.noise)
    p = normal_equations(X, y)
    m = X.shape[0]
    lr1, lrb = args.lr / p.lam_max, min(5.0 * args.lr, 0.5) / p.lam_max
    steps = args.epochs * m
    rows = [
        check_closed_form(p, args.tighten),
        run_full_batch(p, args.max_iter, args.tighten),
        run_stochastic(p, 1, lr1, steps, args.seed, args.margin, args.tighten),
        run_stochastic(
            p, args.batch_size, lrb, steps // args.batch_size, args.seed, args.margin, args.tighten
        ),
        run_stochastic(p, 1, lr1, steps, args.seed, args.margin, args.tighten, decay=True),
    ]
    rows.append(run_full_batch(p, args.max_iter, args.tighten, noiseless=True))
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; see ``--help``."""
    ap = argparse.ArgumentParser(
        description="Fit linear regression with full-batch GD, SGD and mini-batch SGD and check "
        "each against the normal-equation solution at the tolerance that method can reach, and "
        "on how each run stopped. Exit status 0: all checks pass; 1: a check failed.",
    )
    ap.add_argument("--seed", type=int, default=0, help="seed of the data and the batch draws")
    ap.add_argument("--samples", type=int, default=500, help="number of samples m")
    ap.add_argument("--features", type=int, default=5, help="number of features d")
    ap.add_argument("--noise", type=float, default=0.5, help="noise standard deviation")
    ap.add_argument(
        "--lr",
        type=float,
        default=0.02,
        help="SGD's constant step as a fraction of 1/λmax (mini-batch: 5 times it)",
    )
    ap.add_argument("--batch-size", type=int, default=32, help="mini-batch size B")
    ap.add_argument("--epochs", type=int, default=40, help="passes over the data per SGD run")
    ap.add_argument("--max-iter", type=int, default=100_000, help="step budget of the GD runs")
    ap.add_argument(
        "--margin",
        type=float,
        default=3.0,
        help="a stochastic iterate may sit this many times its predicted floor",
    )
    ap.add_argument(
        "--tighten",
        type=float,
        default=1.0,
        help="divide every tolerance by this factor (> 1 makes checks fail)",
    )
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    for name in ("samples", "features", "batch_size", "epochs", "max_iter"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1; got {getattr(args, name)}")
    if not (args.noise >= 0 and math.isfinite(args.noise)):
        ap.error(f"--noise must be finite and >= 0; got {args.noise}")
    for name in ("lr", "margin", "tighten"):
        if not (getattr(args, name) > 0 and math.isfinite(getattr(args, name))):
            ap.error(f"--{name} must be finite and > 0; got {getattr(args, name)}")
    if args.batch_size > args.samples:
        ap.error(f"--batch-size must be <= --samples ({args.samples}); got {args.batch_size}")
    return args


def print_table(rows: list[Row]) -> None:
    """One line per check: run, B, η, status (expected), steps, error, tolerance, verdict."""
    head = f"{'check':<26} {'B':>4} {'lr':>18} {'status':>10} {'expected':>10} {'steps':>7} "
    print(head + f"{'rel. error':>10} {'tolerance':>10}  result")
    for r in rows:
        b = "-" if r.batch_size is None else str(r.batch_size)
        print(
            f"{r.run:<26} {b:>4} {r.lr:>18} {r.status:>10} {r.expected_status:>10} "
            f"{r.nit:>7} {r.rel_error:>10.2e} {r.tolerance:>10.2e}  "
            f"{'ok' if r.passed else 'FAILED'}"
        )
        if r.note:
            print(f"{'':<27}{r.note}")


def main(argv: list[str] | None = None) -> int:
    """Run every check, print the table (or JSON) and return the exit status."""
    args = parse_args(argv)
    rows = run_all(args)
    failed = [r.run for r in rows if not r.passed]
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=1))
    else:
        print_table(rows)
        print(
            f"\n{len(rows) - len(failed)} of {len(rows)} checks passed"
            + (f"; FAILED: {', '.join(failed)}" if failed else "")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
