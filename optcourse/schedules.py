"""Learning-rate schedules: callables ``sched(t)`` giving the learning rate of step ``t``.

``sched(t)`` is the learning rate for the step taken after ``t`` steps (``t = 0, 1, 2, ...``), so a
training loop reads::

    for t in range(n_steps):
        x = opt.step(x, objective.grad(x), lr=sched(t))

``t`` may also be an array of step numbers; the result is then an array of the same shape, which
is handy for plotting a whole schedule at once: ``plt.plot(sched(np.arange(100)))``.

The torch-named schedules (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LinearLR``,
``OneCycleLR``) give the same values as ``torch.optim.lr_scheduler`` (with ``scheduler.step()``
called once after every optimizer step), computed from closed forms instead of torch's
step-by-step recursions; the two agree to float64 rounding (checked in the tests). Only the
learning rate is scheduled: ``OneCycleLR`` does not cycle the momentum.

**Sweeps.** The base rate (``lr``, or ``max_lr`` for ``OneCycleLR``) may be an array, e.g. of
shape ``(k, 1)`` for ``k`` runs with parameters of shape ``(k, n)``: then ``sched(t)`` has the
shape of that array, ``opt.step(xs, grads, lr=sched(t))`` schedules all ``k`` runs at once, and an
array of steps ``t`` gives shape ``t.shape + lr.shape`` (row ``t`` holds every run's rate).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    check_int,
    check_lr,
    check_nonnegative,
    check_positive,
    check_rate,
    check_unit_interval,
    format_value,
)

__all__ = [
    "Constant",
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseTimeLR",
    "LinearLR",
    "OneCycleLR",
    "Schedule",
    "StepLR",
    "WarmupCosine",
]


#: A float64 step number or an array of them (and the matching learning rates).
Steps = np.float64 | NDArray[np.float64]


class Schedule:
    """Base class: subclasses list their arguments in ``_names`` and implement ``_lr``."""

    _names: ClassVar[tuple[str, ...]] = ()
    #: The attribute holding the base rate (a float, or an array for a sweep).
    _rate_name: ClassVar[str] = "lr"

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: ArrayLike) -> float | NDArray[np.float64]: ...

    def __call__(self, t: ArrayLike) -> float | NDArray[np.float64]:
        """Learning rate for the step taken after ``t`` steps; ``t`` an int or an array of ints.

        Returns a float for an integer ``t`` and an array of ``t``'s shape for an array of steps.
        When the base rate is an array (a sweep), an integer ``t`` gives an array of the base
        rate's shape, and an array ``t`` one of shape ``t.shape + base_rate.shape``.

        Raises
        ------
        ValueError
            If ``t`` is negative or not a whole number (or, for ``OneCycleLR``, past
            ``total_steps``).
        """
        rate = getattr(self, self._rate_name)
        if isinstance(t, (int, np.integer)) and not isinstance(t, bool):  # fast path: one step
            if t < 0:
                raise ValueError(f"t must be >= 0, got {t!r}")
            one = self._lr(np.float64(t))
            return float(one) if isinstance(rate, float) else np.asarray(one)
        rate_shape = np.shape(rate)
        steps = np.asarray(t)
        whole = steps.dtype.kind in "iu" or (
            steps.dtype.kind == "f" and bool(np.all(steps == np.floor(steps)))
        )
        if not whole:
            raise ValueError(f"t must be a whole number of steps, got {t!r}")
        if np.any(steps < 0):
            raise ValueError(f"t must be >= 0, got {t!r}")
        # a sweep: give t trailing unit axes so that it broadcasts into t.shape + rate_shape
        out = self._lr(steps.astype(np.float64).reshape(steps.shape + (1,) * len(rate_shape)))
        return float(out) if steps.ndim == 0 and not rate_shape else np.asarray(out)

    def _lr(self, t: Steps) -> Steps:
        """The schedule's formula, for a float64 scalar or array of step numbers."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={format_value(getattr(self, n))}" for n in self._names)
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """The same learning rate ``lr`` at every step.

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr",)

    def __init__(self, lr: ArrayLike) -> None:
        self.lr = check_lr(lr)

    def _lr(self, t: Steps) -> Steps:
        return self.lr * np.ones_like(t)


class StepLR(Schedule):
    """Step decay: ``lr * gamma ** (t // step_size)`` (torch.optim.lr_scheduler.StepLR).

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).
    step_size : int
        Number of steps ``>= 1`` between two decays.
    gamma : float
        Decay factor ``> 0`` (``< 1`` to decay).

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr", "step_size", "gamma")

    def __init__(self, lr: ArrayLike, step_size: int, gamma: float = 0.1) -> None:
        self.lr = check_lr(lr)
        self.step_size = check_int("step_size", step_size)
        self.gamma = check_positive("gamma", gamma)

    def _lr(self, t: Steps) -> Steps:
        return self.lr * self.gamma ** np.floor_divide(t, self.step_size)


class ExponentialLR(Schedule):
    """Exponential decay ``lr * gamma ** t`` (torch.optim.lr_scheduler.ExponentialLR).

    ``gamma > 1`` makes the rate grow, as in a learning-rate range test.

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).
    gamma : float
        Factor ``> 0`` applied at every step.

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr", "gamma")

    def __init__(self, lr: ArrayLike, gamma: float) -> None:
        self.lr = check_lr(lr)
        self.gamma = check_positive("gamma", gamma)

    def _lr(self, t: Steps) -> Steps:
        return self.lr * self.gamma**t


class InverseTimeLR(Schedule):
    """Inverse-time decay ``lr / (1 + k * t)``: the classic ``O(1/t)`` step size of SGD theory.

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).
    k : float
        Decay rate, finite and ``>= 0`` (``k = 0`` is a constant rate).

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr", "k")

    def __init__(self, lr: ArrayLike, k: float) -> None:
        self.lr = check_lr(lr)
        self.k = check_nonnegative("k", k)
        if math.isinf(self.k):
            raise ValueError("k must be finite and >= 0, got inf")

    def _lr(self, t: Steps) -> Steps:
        return self.lr / (1.0 + self.k * t)


class CosineAnnealingLR(Schedule):
    """Cosine annealing (torch.optim.lr_scheduler.CosineAnnealingLR, without restarts).

    ``eta_min + (lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``: from ``lr`` at ``t = 0`` down to
    ``eta_min`` at ``t = T_max``. Like torch, past ``T_max`` the cosine continues, so the rate
    climbs back towards ``lr`` (period ``2 * T_max``); it never leaves ``[eta_min, lr]``.

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).
    T_max : int
        Number of steps ``>= 1`` of the descent from ``lr`` to ``eta_min``.
    eta_min : float
        Smallest rate, finite and ``>= 0``.

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr", "T_max", "eta_min")

    def __init__(self, lr: ArrayLike, T_max: int, eta_min: float = 0.0) -> None:
        self.lr = check_lr(lr)
        self.T_max = check_int("T_max", T_max)
        self.eta_min = check_rate("eta_min", eta_min)

    def _lr(self, t: Steps) -> Steps:
        return self.eta_min + (self.lr - self.eta_min) * (1.0 + np.cos(np.pi * t / self.T_max)) / 2


class LinearLR(Schedule):
    """Linear ramp of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    ``lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``
    (torch.optim.lr_scheduler.LinearLR); constant at ``lr * end_factor`` afterwards. With the
    defaults it is a short linear warmup from ``lr / 3`` to ``lr``.

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).
    start_factor : float
        Factor at ``t = 0``, in ``(0, 1]``.
    end_factor : float
        Factor from ``t = total_iters`` on, in ``[0, 1]``.
    total_iters : int
        Length ``>= 1`` of the ramp in steps.

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr", "start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        lr: ArrayLike,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.lr = check_lr(lr)
        self.start_factor = float(start_factor)
        if not 0.0 < self.start_factor <= 1.0:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        self.end_factor = check_unit_interval("end_factor", end_factor, closed=True)
        self.total_iters = check_int("total_iters", total_iters)

    def _lr(self, t: Steps) -> Steps:
        frac = np.minimum(t, self.total_iters) / self.total_iters
        return self.lr * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class OneCycleLR(Schedule):
    """The one-cycle policy (Smith and Topin 2019), as torch.optim.lr_scheduler.OneCycleLR.

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then anneals to ``max_lr / (div_factor * final_div_factor)`` by step
    ``total_steps - 1``. ``anneal_strategy`` is ``'cos'`` or ``'linear'``; ``three_phase=True``
    comes back down to the initial rate symmetrically before the final anneal.

    Like torch, asking for ``t > total_steps`` raises ``ValueError`` (``t == total_steps``, one step
    past the end, is allowed and extrapolates the last phase exactly as torch does).

    Parameters
    ----------
    max_lr : float or array
        Peak learning rate, finite and ``>= 0`` (an array schedules a sweep).
    total_steps : int
        Length ``>= 1`` of the cycle in steps.
    pct_start : float
        Fraction in ``[0, 1]`` of the cycle spent rising (each phase must last more than a step).
    anneal_strategy : str
        ``'cos'`` or ``'linear'``.
    div_factor, final_div_factor : float
        ``> 0``: the cycle starts at ``max_lr / div_factor`` and ends at
        ``max_lr / (div_factor * final_div_factor)``.
    three_phase : bool
        Come back down to the initial rate before the final anneal.

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _rate_name = "max_lr"
    _names = (
        "max_lr",
        "total_steps",
        "pct_start",
        "anneal_strategy",
        "div_factor",
        "final_div_factor",
        "three_phase",
    )

    def __init__(
        self,
        max_lr: ArrayLike,
        total_steps: int,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        self.max_lr = check_lr(max_lr, "max_lr")
        self.total_steps = check_int("total_steps", total_steps)
        self.pct_start = check_unit_interval("pct_start", pct_start, closed=True)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.div_factor = check_positive("div_factor", div_factor)
        self.final_div_factor = check_positive("final_div_factor", final_div_factor)
        self.three_phase = bool(three_phase)
        # The phases are laid out for a peak rate of 1 and scaled by max_lr in _lr (every rate of
        # the cycle is proportional to max_lr), so that max_lr may be an array (a sweep).
        peak = 1.0
        initial = peak / self.div_factor
        low = initial / self.final_div_factor
        up_end = self.pct_start * self.total_steps - 1
        # (end_step, start_lr, end_lr) of each phase, exactly as torch lays them out
        if self.three_phase:
            phases = [
                (up_end, initial, peak),
                (2 * self.pct_start * self.total_steps - 2, peak, initial),
                (self.total_steps - 1.0, initial, low),
            ]
        else:
            phases = [(up_end, initial, peak), (self.total_steps - 1.0, peak, low)]
        starts = [0.0] + [end for end, _, _ in phases[:-1]]
        if not all(end > start for (end, _, _), start in zip(phases, starts, strict=True)):
            raise ValueError(
                "pct_start must give every phase a positive length (pct_start * total_steps > 1 "
                "with room left for the decay); "
                f"got pct_start={pct_start!r}, total_steps={total_steps!r}"
            )
        # rows: start_step, end_step, start_lr, end_lr; one column per phase
        self._phases = np.array(
            [(start, end, a, b) for (end, a, b), start in zip(phases, starts, strict=True)]
        ).T

    def _lr(self, t: Steps) -> Steps:
        if np.any(t > self.total_steps):
            raise ValueError(
                f"OneCycleLR is defined for t <= total_steps = {self.total_steps}, "
                f"got t = {np.max(t):g}"
            )
        start, end, lr_a, lr_b = self._phases
        # phase of each step: the first whose end_step >= t (the last phase takes the rest)
        i = np.searchsorted(end[:-1], t)
        pct = (t - start[i]) / (end[i] - start[i])
        if self.anneal_strategy == "cos":
            unit = lr_b[i] + (lr_a[i] - lr_b[i]) / 2.0 * (np.cos(np.pi * pct) + 1)
        else:
            unit = (lr_b[i] - lr_a[i]) * pct + lr_a[i]
        rate: Steps = self.max_lr * unit
        return rate


class WarmupCosine(Schedule):
    """Linear warmup from 0 to ``lr`` over ``warmup_steps``, then cosine decay to ``eta_min``.

    For ``t < warmup_steps`` the rate is ``lr * t / warmup_steps``; from ``t = warmup_steps`` to
    ``total_steps`` it is ``eta_min + (lr - eta_min) * (1 + cos(pi * p)) / 2`` with
    ``p = (t - warmup_steps) / (total_steps - warmup_steps)``; after ``total_steps`` it stays at
    ``eta_min``. (The common transformer recipe; with ``eta_min = 0`` and up to ``total_steps`` it
    has the same values as ``get_cosine_schedule_with_warmup`` of Hugging Face transformers,
    whose cosine would rise again afterwards.)

    Parameters
    ----------
    lr : float or array
        Base learning rate, finite and ``>= 0`` (an array schedules a sweep, see the module doc).
    warmup_steps : int
        Length ``>= 0`` of the warmup in steps.
    total_steps : int
        Step ``> warmup_steps`` at which the cosine reaches ``eta_min``.
    eta_min : float
        Final rate, finite, ``>= 0`` and ``<= lr``.

    Raises
    ------
    ValueError
        If an argument is outside its range; the message names it and the allowed range.
    """

    _names = ("lr", "warmup_steps", "total_steps", "eta_min")

    def __init__(
        self, lr: ArrayLike, warmup_steps: int, total_steps: int, eta_min: float = 0.0
    ) -> None:
        self.lr = check_lr(lr)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
        self.total_steps = check_int("total_steps", total_steps)
        if self.total_steps <= self.warmup_steps:
            raise ValueError(
                f"total_steps must be > warmup_steps, got total_steps={total_steps!r}, "
                f"warmup_steps={warmup_steps!r}"
            )
        self.eta_min = check_rate("eta_min", eta_min)
        if np.any(self.eta_min > self.lr):
            raise ValueError(f"eta_min must be <= lr (every entry of lr), got {eta_min!r}")

    def _lr(self, t: Steps) -> Steps:
        w = self.warmup_steps
        progress = np.clip((t - w) / (self.total_steps - w), 0.0, 1.0)
        decay = self.eta_min + (self.lr - self.eta_min) * (1.0 + np.cos(np.pi * progress)) / 2
        warm = self.lr * t / max(w, 1)
        result: NDArray[Any] = np.where(t < w, warm, decay)
        return result
