"""The ``minimize`` driver: run any optimizer on any objective under explicit stopping rules.

One loop serves the whole course::

    from optcourse import minimize
    from optcourse.optimizers import SGD
    from optcourse.stopping import GradNorm

    res = minimize(objective, x0=[-1.5, 2.0], optimizer=SGD(lr=1e-3), stop=GradNorm(1e-6))
    print(res)                 # status, message, x, fun, nit, ...
    res.history.loss           # the loss curve, one entry per iterate (nit + 1 of them)

Each iteration takes one optimizer step and then evaluates the loss and the gradient at the new
point, records them, and asks the stopping rules (then your callback) whether to stop. Divergence
detection is on by default: a run that produces NaN/inf or a runaway loss ends with status
``"diverged"`` and reports its last finite point, and NumPy's overflow warnings are silenced inside
the loop because the result already says what happened.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse.result import History, OptimizeResult
from optcourse.stopping import (
    AnyOf,
    Divergence,
    EarlyStopping,
    State,
    Stop,
    StoppingRule,
    as_rule,
)

__all__ = ["minimize"]

Func = Callable[..., Any]


def _unpack_objective(objective: Any) -> tuple[Func, Func, Func | None, int | None]:
    """Return ``(value, grad, hessian or None, n_samples or None)`` for an objective or a tuple."""
    if isinstance(objective, (tuple, list)):
        if len(objective) not in (2, 3) or not all(callable(f) for f in objective):
            raise TypeError(
                "objective given as a tuple must be (value, grad) or (value, grad, hessian), "
                f"all callables; got {objective!r}"
            )
        hess = objective[2] if len(objective) == 3 else None
        return objective[0], objective[1], hess, None
    value, grad = getattr(objective, "value", None), getattr(objective, "grad", None)
    if not (callable(value) and callable(grad)):
        raise TypeError(
            "objective must have value(x) and grad(x) methods (e.g. optcourse.objectives."
            f"Quadratic) or be a pair of callables (value, grad); got {objective!r}"
        )
    hess = getattr(objective, "hessian", None)
    n_samples = getattr(objective, "n_samples", None)
    return value, grad, hess if callable(hess) else None, n_samples


def _scalar_converter(v: Any, what: str) -> Callable[[Any], float]:
    """Return a fast function turning values like ``v`` into floats (checked once, on ``v``)."""
    a = np.asarray(v)
    if a.size != 1 or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{what} must return a single number; got {type(v).__name__} {a.shape}")
    if a.ndim == 0:
        return float
    return lambda val: float(np.asarray(val).item())


def _batches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[NDArray[np.intp]]:
    """Yield index batches forever: each epoch is a fresh shuffle of ``range(n)``.

    The last batch of an epoch may be smaller (like ``torch``'s ``DataLoader`` with
    ``drop_last=False``).
    """
    while True:
        perm = rng.permutation(n)
        for i in range(0, n, batch_size):
            yield perm[i : i + batch_size]


def _grow(arr: NDArray[Any] | None, size: int) -> NDArray[Any] | None:
    """Return ``arr`` enlarged to ``size`` rows (the new rows are uninitialised)."""
    if arr is None:
        return None
    out = np.empty((size,) + arr.shape[1:], dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    return int(value)


def minimize(
    objective: Any,
    x0: ArrayLike,
    optimizer: Any,
    *,
    schedule: Callable[[int], Any] | None = None,
    stop: StoppingRule | Iterable[StoppingRule] | None = None,
    callback: Callable[[State], Any] | None = None,
    max_iter: int = 1000,
    batch_size: int | None = None,
    seed: int | np.random.Generator | None = None,
    val_objective: Any = None,
    divergence: bool | StoppingRule = True,
    record: bool = True,
) -> OptimizeResult:
    """Minimize ``objective`` from ``x0`` with ``optimizer``; return an :class:`OptimizeResult`.

    Parameters
    ----------
    objective : objective or (value, grad) or (value, grad, hessian)
        Anything with ``value(x)`` and ``grad(x)`` methods (every ``optcourse.objectives`` class),
        or a tuple of plain callables.
    x0 : array_like
        Starting point (copied; any shape the objective accepts, usually ``(n,)``).
    optimizer : optimizer
        An ``optcourse.optimizers`` object. It is **reset** (``optimizer.reset()``) at the start, so
        every call starts from fresh state; apart from its ``state`` it is not modified. Newton
        (``needs_hessian``) receives ``hessian=`` each step.
    schedule : callable, optional
        ``schedule(t)`` is the learning rate of the step taken after ``t`` steps; passed to the
        optimizer as ``lr=``. Without it the optimizer's own ``lr`` is used.
    stop : rule or list of rules, optional
        Stopping rules from :mod:`optcourse.stopping`; the run ends when the first one fires.
    callback : callable, optional
        ``callback(state)`` is called at every iterate, including the start (``state.nit == 0``),
        after the stopping rules. Returning ``True`` (anything truthy) ends the run with status
        ``"callback"``; returning ``None`` or ``False`` continues. The ``state`` object is new at
        every iterate, so a callback may keep it.
    max_iter : int
        Hard cap on the number of steps (status ``"max_iter"`` when it is reached).
    batch_size : int, optional
        Mini-batch size for data objectives (those with ``n_samples`` and ``grad(x, batch=idx)``).
        Each step uses the gradient on one batch; batches run through shuffled epochs drawn from
        ``np.random.default_rng(seed)``. The recorded loss and gradient norm are always those of
        the full objective (one full evaluation per step), so curves and rules mean the same thing
        for every method.
    seed : int or Generator, optional
        Seed of the batch shuffling (only used with ``batch_size``); same seed, same run.
    val_objective : objective or callable, optional
        A validation loss (an object with ``value`` or a plain callable), recorded in
        ``history.val_loss`` and given to rules as ``state.val_loss`` (needed by EarlyStopping).
    divergence : bool or rule
        ``True`` (default) adds ``Divergence()``; ``False`` turns detection off; or pass your own
        ``Divergence(max_growth=..., bound=...)``.
    record : bool
        Keep a copy of every iterate in ``history.x`` (``False`` saves memory: ``history.x`` is
        ``None``; losses, gradient norms and learning rates are always kept).

    Returns
    -------
    OptimizeResult
        See :mod:`optcourse.result` for the statuses. After ``"diverged"``, ``x`` is the last
        iterate whose loss, gradient and coordinates were all finite.

    Raises
    ------
    TypeError
        If the objective, optimizer, schedule, callback or rules do not have the right interface.
    ValueError
        For a bad ``max_iter``/``batch_size``, a non-finite ``x0`` or starting loss, a gradient of
        the wrong shape, Newton without a Hessian, or EarlyStopping without ``val_objective``.
    """
    value, grad, hessian, n_samples = _unpack_objective(objective)
    step = getattr(optimizer, "step", None)
    if not callable(step) or not callable(getattr(optimizer, "reset", None)):
        raise TypeError(f"optimizer must have step() and reset() methods; got {optimizer!r}")
    needs_hessian = bool(getattr(optimizer, "needs_hessian", False))
    if needs_hessian and hessian is None:
        raise ValueError(
            f"{type(optimizer).__name__} needs the Hessian but the objective has no hessian(x)"
        )
    max_iter = _check_int("max_iter", max_iter, 0)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a callable sched(t); got {schedule!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a callable callback(state); got {callback!r}")

    batches: Iterator[NDArray[np.intp]] | None = None
    if batch_size is not None:
        if n_samples is None:
            raise ValueError(
                "batch_size needs a data objective with n_samples and grad(x, batch=idx) "
                "(e.g. LeastSquares)"
            )
        batch_size = _check_int("batch_size", batch_size, 1)
        if batch_size > n_samples:
            raise ValueError(f"batch_size must be in [1, n_samples={n_samples}]; got {batch_size}")
        if needs_hessian:
            raise ValueError("Newton uses the full Hessian: do not combine it with batch_size")
        batches = _batches(int(n_samples), batch_size, np.random.default_rng(seed))

    val_value: Func | None = None
    if val_objective is not None:
        val_value = getattr(val_objective, "value", val_objective)
        if not callable(val_value):
            raise TypeError(
                f"val_objective must have value(x) or be callable; got {val_objective!r}"
            )

    rules: list[StoppingRule] = []
    if divergence is True:
        rules.append(Divergence())
    elif isinstance(divergence, StoppingRule):
        rules.append(divergence)
    elif divergence is not False and divergence is not None:
        raise TypeError(f"divergence must be True, False or a rule; got {divergence!r}")
    rules.extend(as_rule(stop).rules)
    if val_value is None and _has_early_stopping(rules):
        raise ValueError("EarlyStopping needs a validation loss: pass val_objective= to minimize()")
    rule = AnyOf(*rules)

    x = np.array(x0, dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("x0 must be finite")
    optimizer.reset()
    rule.reset()
    base_lr = getattr(optimizer, "lr", math.nan)
    lr0 = schedule(0) if schedule is not None else base_lr

    t0 = time.perf_counter()
    with np.errstate(all="ignore"):
        f_raw = value(x)
        to_float = _scalar_converter(f_raw, "objective value")
        f = to_float(f_raw)
        g = np.asarray(grad(x), dtype=float)
        if g.shape != x.shape:
            raise ValueError(f"grad(x) must have the shape of x {x.shape}; got {g.shape}")
        if not math.isfinite(f):
            raise ValueError(f"the loss at x0 is {f}; start from a point where it is finite")
        gn = math.sqrt(np.vdot(g, g))
        v: float | None = None
        val_float: Callable[[Any], float] = float
        if val_value is not None:
            v_raw = val_value(x)
            val_float = _scalar_converter(v_raw, "val_objective")
            v = val_float(v_raw)

        cap = min(max_iter, 1023) + 1
        X = np.empty((cap,) + x.shape) if record else None
        L = np.empty(cap)
        GN = np.empty(cap)
        LR = np.empty((cap,) + np.shape(lr0))
        V = np.empty(cap) if val_value is not None else None
        if X is not None:
            X[0] = x
        L[0], GN[0] = f, gn
        if V is not None:
            V[0] = v

        x_best, f_best, nit_best = x, f, 0
        x_prev, f_prev, gn_prev = x, f, gn
        state = State(0, x, f, gn, time.perf_counter() - t0, v, None)
        verdict = _verdict(rule, callback, state)
        k = 0
        lr_k: Any = base_lr
        while verdict is None and k < max_iter:
            g_step = g if batches is None else grad(x, batch=next(batches))
            if schedule is not None:
                lr_k = schedule(k)
                if needs_hessian:
                    x_new = step(x, g_step, lr=lr_k, hessian=hessian(x))  # type: ignore[misc]
                else:
                    x_new = step(x, g_step, lr=lr_k)
            elif needs_hessian:
                x_new = step(x, g_step, hessian=hessian(x))  # type: ignore[misc]
            else:
                x_new = step(x, g_step)
            k += 1
            x_prev, f_prev, gn_prev = x, f, gn
            x = x_new
            f = to_float(value(x))
            g = grad(x)
            gn = math.sqrt(np.vdot(g, g))
            if k == len(L):
                size = 2 * len(L) if 2 * len(L) <= max_iter + 1 else max_iter + 1
                X, V = _grow(X, size), _grow(V, size)
                L, GN, LR = _grow(L, size), _grow(GN, size), _grow(LR, size)  # type: ignore[assignment]
            if X is not None:
                X[k] = x
            L[k] = f
            GN[k] = gn
            LR[k - 1] = lr_k
            if V is not None:
                v = val_float(val_value(x))  # type: ignore[misc]
                V[k] = v
            if f < f_best:
                x_best, f_best, nit_best = x, f, k
            state = State(k, x, f, gn, time.perf_counter() - t0, v, lr_k)
            verdict = _verdict(rule, callback, state)

        n = k + 1
        history = History(
            x=None if X is None else X[:n].copy(),
            loss=L[:n].copy(),
            grad_norm=GN[:n].copy(),
            lr=LR[:k].copy(),
            val_loss=None if V is None else V[:n].copy(),
        )

        if verdict is None:
            verdict = Stop(
                "max_iter",
                f"reached max_iter={max_iter} iterations; no stopping rule fired "
                f"(final gradient norm {gn:.3g})",
            )
        message = verdict.message
        x_out, f_out, gn_out = x, f, gn
        if verdict.status == "diverged":
            if k == 0:  # x0 and its loss are finite (checked above); there is nothing earlier
                message += "; x is the starting point (iteration 0)"
            elif math.isfinite(f) and math.isfinite(gn) and np.isfinite(x).all():
                message += f"; x is the last finite point (iteration {k})"
            else:
                x_out, f_out, gn_out = x_prev, f_prev, gn_prev
                message += f"; x is the last finite point (iteration {k - 1})"
        elif verdict.restore_x is not None:
            x_out = verdict.restore_x
            f_out = to_float(value(x_out))
            g_out = grad(x_out)
            gn_out = math.sqrt(np.vdot(g_out, g_out))

    return OptimizeResult(
        x=np.array(x_out, dtype=float),
        fun=f_out,
        grad_norm=gn_out,
        nit=k,
        status=verdict.status,
        message=message,
        x_best=np.array(x_best, dtype=float),
        fun_best=f_best,
        nit_best=nit_best,
        history=history,
    )


def _verdict(rule: AnyOf, callback: Callable[[State], Any] | None, state: State) -> Stop | None:
    """Ask the rules, then the callback, whether to stop at ``state``."""
    verdict = rule.check(state)
    if verdict is None and callback is not None and callback(state):
        verdict = Stop("callback", f"the callback returned True at iteration {state.nit}")
    return verdict


def _has_early_stopping(rules: Iterable[StoppingRule]) -> bool:
    for r in rules:
        if isinstance(r, EarlyStopping):
            return True
        if isinstance(r, AnyOf) and _has_early_stopping(r.rules):
            return True
    return False
