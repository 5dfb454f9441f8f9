"""Stopping rules: explicit objects that decide when an optimization run ends, and why.

A run never "knows" it has found the minimum. It stops because a rule we chose fired: a budget ran
out, the gradient became small, the loss stopped improving, the validation loss started rising, or
the numbers blew up. Each rule here is a small object with two methods:

* ``reset()`` forgets what the rule has seen (``minimize`` calls it at the start of every run);
* ``check(state)`` looks at the current :class:`State` and returns a :class:`Stop` (with a status
  and a message naming the rule and its numbers) or ``None`` to carry on.

Rules combine: ``any_of(GradNorm(1e-6), TimeBudget(2.0))`` (or simply a list passed to ``minimize``)
stops as soon as one of them fires. Divergence detection (:class:`Divergence`) is one more rule,
switched on by default in :func:`optcourse.minimize`.

The statuses (``"converged"``, ``"max_iter"``, ``"diverged"``, ``"stalled"``, ``"early_stopped"``,
``"time_budget"`` and ``"callback"``, the last one set by ``minimize`` when your callback returns
``True``) are the members of :class:`optcourse.status.Status`, which also gives each one its code
and whether it counts as success.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from optcourse._validation import check_finite_number, check_int
from optcourse.status import Status

__all__ = [
    "STATUSES",
    "Status",
    "State",
    "Stop",
    "StoppingRule",
    "Rule",
    "MaxIter",
    "GradNorm",
    "RelativeImprovement",
    "EarlyStopping",
    "TimeBudget",
    "Divergence",
    "AnyOf",
    "any_of",
    "as_rule",
]

#: Every status a run can end with (the names of :class:`~optcourse.status.Status`).
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)


@dataclass(slots=True)
class State:
    """What a stopping rule (or a callback) sees after ``nit`` steps.

    Attributes
    ----------
    nit : int
        Number of optimizer steps taken so far (0 at the starting point).
    x : ndarray
        The current parameters (do not modify them in place).
    fun : float
        The loss at ``x``.
    grad_norm : float
        Euclidean norm of the (full) gradient at ``x``.
    elapsed : float
        Seconds since the run started.
    val_loss : float or None
        Validation loss at ``x`` when ``minimize`` was given a ``val_objective``.
    lr : float or ndarray or None
        Learning rate of the step that led to ``x`` (``None`` at ``nit == 0``).
    """

    nit: int
    x: Any
    fun: float
    grad_norm: float
    elapsed: float
    val_loss: float | None = None
    lr: Any = None


@dataclass(frozen=True)
class Stop:
    """The verdict of a rule that fired.

    Attributes
    ----------
    status : str or Status
        One of :data:`STATUSES` (a :class:`~optcourse.status.Status` is stored as its name).
    message : str
        A sentence naming the rule and its numbers.
    restore_x : ndarray or None
        A point the run should report instead of the last one (set by
        ``EarlyStopping(restore_best=True)``).
    restore_nit : int or None
        The iteration at which ``restore_x`` was reached.
    """

    status: str
    message: str
    restore_x: Any = None
    restore_nit: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")
        object.__setattr__(self, "status", Status(self.status).value)


@runtime_checkable
class StoppingRule(Protocol):
    """Anything with ``reset()`` and ``check(state) -> Stop | None`` is a stopping rule."""

    def reset(self) -> None: ...

    def check(self, state: State) -> Stop | None: ...


class Rule:
    """Convenience base class: a rule without memory only needs to implement ``check``."""

    def reset(self) -> None:
        """Forget everything seen so far (stateless rules have nothing to forget)."""

    def check(self, state: State) -> Stop | None:  # pragma: no cover - abstract
        """Return a :class:`Stop` to end the run, or ``None`` to continue."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self) -> dict[str, Any]:
        return {}


class MaxIter(Rule):
    """Stop after ``n`` steps (status ``"max_iter"``): a budget, it says nothing about quality.

    Parameters
    ----------
    n : int
        The budget, an integer ``>= 1``; fires when ``state.nit >= n``.

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1.
    """

    def __init__(self, n: int) -> None:
        self.n = check_int("n", n, sep="; ")

    def _params(self) -> dict[str, Any]:
        return {"n": self.n}

    def check(self, state: State) -> Stop | None:
        """Fire once ``state.nit >= n``."""
        if state.nit >= self.n:
            return Stop(Status.MAX_ITER, f"MaxIter: reached the budget of {self.n} iterations")
        return None


class GradNorm(Rule):
    """Stop when the gradient norm drops below ``tol`` (status ``"converged"``).

    A small gradient means a *critical point*: a minimum, but possibly a saddle or a plateau.

    Parameters
    ----------
    tol : float
        Threshold ``> 0`` (finite) on ``state.grad_norm``; fires when ``grad_norm < tol``.

    Raises
    ------
    ValueError
        If ``tol`` is not finite and > 0.
    """

    def __init__(self, tol: float) -> None:
        self.tol = check_finite_number("tol", tol)

    def _params(self) -> dict[str, Any]:
        return {"tol": self.tol}

    def check(self, state: State) -> Stop | None:
        """Fire once ``state.grad_norm < tol``."""
        if state.grad_norm < self.tol:
            return Stop(
                Status.CONVERGED,
                f"GradNorm: gradient norm {state.grad_norm:.3g} < tol {self.tol:.3g} "
                f"after {state.nit} iterations",
            )
        return None


class RelativeImprovement(Rule):
    """Stop when the loss has stopped improving (status ``"stalled"``).

    The relative improvement of a step is ``(f_prev - f) / max(|f_prev|, tiny)``. The rule fires
    when it stays below ``tol`` for ``patience`` consecutive steps. A loss that *rises* also counts
    as "no improvement".

    Parameters
    ----------
    tol : float
        Threshold ``> 0`` (finite) on the relative improvement of one step.
    patience : int
        Number ``>= 1`` of consecutive poor steps that end the run.

    Raises
    ------
    ValueError
        If ``tol`` is not finite and > 0 or ``patience`` is not an integer >= 1.
    """

    def __init__(self, tol: float = 1e-8, patience: int = 1) -> None:
        self.tol = check_finite_number("tol", tol)
        self.patience = check_int("patience", patience, sep="; ")
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {"tol": self.tol, "patience": self.patience}

    def reset(self) -> None:
        """Forget the previous loss and the count of poor steps."""
        self._prev: float | None = None
        self._bad = 0

    def check(self, state: State) -> Stop | None:
        """Count poor steps using ``state.fun``; fire when the count reaches ``patience``."""
        prev, self._prev = self._prev, state.fun
        if prev is None:
            return None
        rel = (prev - state.fun) / max(abs(prev), 1e-300)
        self._bad = self._bad + 1 if rel < self.tol else 0
        if self._bad >= self.patience:
            return Stop(
                Status.STALLED,
                f"RelativeImprovement: relative loss improvement {rel:.3g} < tol {self.tol:.3g} "
                f"for {self._bad} consecutive iterations, after {state.nit} iterations",
            )
        return None


class EarlyStopping(Rule):
    """Stop when the validation loss has not improved for ``patience`` steps (``"early_stopped"``).

    An improvement means ``val_loss < best - min_delta``. With ``restore_best=True`` the run reports
    the point with the best validation loss (not the last one). Needs ``minimize(...,
    val_objective=...)`` so that ``state.val_loss`` is filled in.

    Parameters
    ----------
    patience : int
        Number ``>= 1`` of steps without improvement that end the run.
    min_delta : float
        Smallest decrease ``>= 0`` (finite) of the validation loss that counts as improvement.
    restore_best : bool
        Report the best validation point instead of the last one.

    Raises
    ------
    ValueError
        If ``patience`` is not an integer >= 1 or ``min_delta`` is not finite and >= 0; also
        raised by ``check`` when ``state.val_loss`` is ``None``.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True):
        self.patience = check_int("patience", patience, sep="; ")
        self.min_delta = check_finite_number("min_delta", min_delta, allow_zero=True)
        self.restore_best = bool(restore_best)
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {
            "patience": self.patience,
            "min_delta": self.min_delta,
            "restore_best": self.restore_best,
        }

    def reset(self) -> None:
        """Forget the best validation loss seen so far."""
        self.best_val = math.inf
        self.best_x: Any = None
        self.best_nit = -1
        self._wait = 0

    def check(self, state: State) -> Stop | None:
        """Track the best validation loss; fire after ``patience`` steps without improvement."""
        if state.val_loss is None:
            raise ValueError(
                "EarlyStopping needs a validation loss: pass val_objective= to minimize()"
            )
        if state.val_loss < self.best_val - self.min_delta:
            self.best_val, self.best_x, self.best_nit = state.val_loss, state.x, state.nit
            self._wait = 0
            return None
        self._wait += 1
        if self._wait < self.patience:
            return None
        msg = (
            f"EarlyStopping: validation loss did not improve by more than min_delta "
            f"{self.min_delta:.3g} for {self.patience} iterations (best {self.best_val:.6g} at "
            f"iteration {self.best_nit}), after {state.nit} iterations"
        )
        if self.restore_best:
            return Stop(
                Status.EARLY_STOPPED,
                msg + f"; restored the best point from iteration {self.best_nit}",
                restore_x=self.best_x,
                restore_nit=self.best_nit,
            )
        return Stop(Status.EARLY_STOPPED, msg)


class TimeBudget(Rule):
    """Stop once ``seconds`` of wall-clock time have passed (status ``"time_budget"``).

    Parameters
    ----------
    seconds : float
        The budget ``> 0`` (finite); fires when ``state.elapsed >= seconds``.

    Raises
    ------
    ValueError
        If ``seconds`` is not finite and > 0.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = check_finite_number("seconds", seconds)

    def _params(self) -> dict[str, Any]:
        return {"seconds": self.seconds}

    def check(self, state: State) -> Stop | None:
        """Fire once ``state.elapsed >= seconds``."""
        if state.elapsed >= self.seconds:
            return Stop(
                Status.TIME_BUDGET,
                f"TimeBudget: {state.elapsed:.3g} s elapsed >= budget {self.seconds:.3g} s, "
                f"after {state.nit} iterations",
            )
        return None


class Divergence(Rule):
    """Detect a run that blows up (status ``"diverged"``).

    Fires when the loss, the gradient norm or any coordinate of ``x`` is not finite (NaN or inf),
    when the loss exceeds ``f0 + max_growth * max(|f0|, 1)`` where ``f0`` is the loss at the start
    (the first state checked after ``reset``), or when the loss exceeds the absolute ``bound``.
    Pass ``max_growth=None`` to check only for non-finite numbers (and ``bound``).

    Parameters
    ----------
    max_growth : float or None
        Allowed growth ``> 0`` (finite) of the loss, relative to ``max(|f0|, 1)``; ``None`` to
        switch the growth check off.
    bound : float or None
        An absolute ceiling on the loss, or ``None``.

    Raises
    ------
    ValueError
        If ``max_growth`` is not finite and > 0 (or None), or ``bound`` is NaN.
    """

    def __init__(self, max_growth: float | None = 1e8, bound: float | None = None) -> None:
        self.max_growth = (
            None if max_growth is None else check_finite_number("max_growth", max_growth)
        )
        self.bound = None if bound is None else float(bound)
        if self.bound is not None and math.isnan(self.bound):
            raise ValueError("bound must be a number or None; got nan")
        self.reset()

    def _params(self) -> dict[str, Any]:
        return {"max_growth": self.max_growth, "bound": self.bound}

    def reset(self) -> None:
        """Forget the initial loss."""
        self.fun0: float | None = None
        self._limit = math.inf

    def check(self, state: State) -> Stop | None:
        """Fire on non-finite numbers or on a loss above the growth limit or the bound."""
        f = state.fun
        if self.fun0 is None and math.isfinite(f):
            self.fun0 = f
            if self.max_growth is not None:
                self._limit = f + self.max_growth * max(abs(f), 1.0)
        # Fast path first: x . x is finite whenever x is (unless |x| > 1e154, checked exactly).
        x_ok = math.isfinite(np.vdot(state.x, state.x)) or bool(np.isfinite(state.x).all())
        finite = math.isfinite(f) and math.isfinite(state.grad_norm) and x_ok
        if finite and f <= self._limit and (self.bound is None or f <= self.bound):
            return None
        where = f"at iteration {state.nit}"
        if not math.isfinite(f):
            return Stop(Status.DIVERGED, f"Divergence: loss is {f} {where}")
        if not math.isfinite(state.grad_norm):
            return Stop(Status.DIVERGED, f"Divergence: gradient norm is {state.grad_norm} {where}")
        if not x_ok:
            return Stop(Status.DIVERGED, f"Divergence: x has non-finite entries {where}")
        if f > self._limit:
            return Stop(
                Status.DIVERGED,
                f"Divergence: loss {f:.3g} grew past {self._limit:.3g} (initial loss "
                f"{self.fun0:.3g} + max_growth {self.max_growth:.3g} x max(|initial|, 1)) {where}",
            )
        return Stop(Status.DIVERGED, f"Divergence: loss {f:.3g} > bound {self.bound:.3g} {where}")


class AnyOf(Rule):
    """Stop as soon as any of several rules fires; the first one (in order) gives the verdict."""

    def __init__(self, *rules: StoppingRule) -> None:
        for r in rules:
            if not isinstance(r, StoppingRule):
                raise TypeError(f"every stopping rule needs reset() and check(state); got {r!r}")
        self.rules: tuple[StoppingRule, ...] = rules

    def __repr__(self) -> str:
        return f"any_of({', '.join(repr(r) for r in self.rules)})"

    def reset(self) -> None:
        """Reset every rule."""
        for r in self.rules:
            r.reset()

    def check(self, state: State) -> Stop | None:
        """Check every rule in order (each one sees every state) and return the first verdict."""
        verdict = None
        for r in self.rules:
            v = r.check(state)
            if verdict is None:
                verdict = v
        return verdict


def any_of(*rules: StoppingRule) -> AnyOf:
    """Combine rules: the run stops when the first of them fires."""
    return AnyOf(*rules)


def as_rule(stop: StoppingRule | Iterable[StoppingRule] | None) -> AnyOf:
    """Turn ``None``, one rule, or a list/tuple of rules into a single :class:`AnyOf`."""
    if stop is None:
        return AnyOf()
    if isinstance(stop, StoppingRule):
        return stop if isinstance(stop, AnyOf) else AnyOf(stop)
    if isinstance(stop, (list, tuple)):
        return AnyOf(*stop)
    raise TypeError(
        "stop must be a stopping rule (e.g. GradNorm(1e-6)), a list of rules, or None; "
        f"got {stop!r}"
    )
