"""The learning-rate range test: raise the rate every step and watch the loss (chapter 9).

L. N. Smith's test (*Cyclical Learning Rates for Training Neural Networks*, WACV 2017), popular as
fastai's ``lr_find``: one short run whose learning rate grows geometrically from ``lr_min`` to
``lr_max``, one step per rate, recording the loss. The loss first barely moves (rates too small),
then falls, then blows up (rates too large); a rate is picked from the curve.

>>> import numpy as np
>>> from optcourse.objectives import Quadratic
>>> from optcourse.optimizers import SGD
>>> test = lr_range_test(Quadratic.diagonal([1.0, 10.0]), [1.0, 1.0], SGD(lr=0.1), 1e-4, 10.0, 200)
>>> bool(test.blowup_lr > 2 / 10)  # the stability limit is 2/lambda_max = 0.2
True
>>> bool(test.suggestion < 2 / 10)
True

Conventions (those of fastai, stated here because the results depend on them):

- step ``k`` (``k = 0, ..., steps - 1``) uses the rate
  ``lrs[k] = lr_min * (lr_max / lr_min) ** (k / (steps - 1))``, and ``losses[k]`` is the
  loss *after* that step (the full objective, as :func:`optcourse.minimize` records it, also
  with ``batch_size``);
- ``smoothed`` is the bias-corrected exponential average of the losses with factor ``smoothing``
  (0 = no smoothing, fastai uses 0.98);
- the test stops at the first step whose smoothed loss exceeds ``stop_factor`` times the lowest
  smoothed loss so far, or whose loss is not finite; that step's rate is ``blowup_lr``;
- ``suggest="min/10"`` picks the rate of the lowest smoothed loss divided by ten (fastai's
  ``minimum``); ``"steepest"`` picks the rate where the smoothed loss falls fastest against
  ``log(lr)``, before its minimum (fastai's ``steep``).

The blow-up comes *later* than the rate where training becomes unstable: on a quadratic the
unstable direction must first grow back from where the earlier, smaller rates had shrunk it. So
the blow-up rate is an upper bound, not the limit, and a picked rate should be checked by running
it (chapter 9 measures the lag).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse._validation import check_int, check_positive, check_unit_interval
from optcourse.minimize import minimize
from optcourse.status import Status
from optcourse.stopping import State

__all__ = ["SUGGESTIONS", "RangeTest", "lr_range_test"]

FloatArray = npt.NDArray[np.float64]

#: The ways :func:`lr_range_test` can pick a rate from the curve.
SUGGESTIONS = ("min/10", "steepest")


@dataclass(frozen=True)
class RangeTest:
    """The result of :func:`lr_range_test`.

    Attributes
    ----------
    lrs : ndarray, shape (k,)
        The rates used, one per step (``k <= steps``: the test stops at the blow-up).
    losses : ndarray, shape (k,)
        The loss after each step (``inf`` or ``nan`` where the run overflowed).
    smoothed : ndarray, shape (k,)
        The bias-corrected exponential average of ``losses`` (what the stop and the pick read).
    blowup_lr : float or None
        The rate of the step at which the test stopped (smoothed loss above ``stop_factor`` times
        its lowest value, or a non-finite loss); ``None`` if it never blew up up to ``lr_max``.
    suggestion : float
        The suggested rate.
    method : str
        How ``suggestion`` was chosen, in words, with the numbers it came from.
    """

    lrs: FloatArray
    losses: FloatArray
    smoothed: FloatArray
    blowup_lr: float | None
    suggestion: float
    method: str

    @property
    def min_lr(self) -> float:
        """The rate at which the smoothed loss was lowest."""
        return float(self.lrs[int(np.nanargmin(self.smoothed))])


def _check_range(lr_min: Any, lr_max: Any, steps: Any) -> tuple[float, float, int]:
    lo = check_positive("lr_min", lr_min)
    hi = check_positive("lr_max", lr_max)
    if not hi > lo:
        raise ValueError(f"lr_max must be > lr_min, got lr_min={lr_min!r}, lr_max={lr_max!r}")
    return lo, hi, check_int("steps", steps, minimum=2)


def _check_rules(smoothing: Any, stop_factor: Any, suggest: Any) -> tuple[float, float]:
    beta = check_unit_interval("smoothing", smoothing)
    factor = check_positive("stop_factor", stop_factor)
    if not factor > 1.0:
        raise ValueError(f"stop_factor must be > 1, got {stop_factor!r}")
    if suggest not in SUGGESTIONS:
        raise ValueError(f"suggest must be one of {SUGGESTIONS}, got {suggest!r}")
    return beta, factor


def _watch(beta: float, factor: float) -> tuple[Callable[[State], bool], list[float]]:
    """A ``minimize`` callback keeping the smoothed losses and stopping at the blow-up."""
    smoothed: list[float] = []
    average = [0.0, math.inf]  # the running average, the lowest smoothed loss so far

    def callback(state: State) -> bool:
        if state.nit == 0:  # the starting point: no rate has been used yet
            return False
        loss = state.fun
        if not math.isfinite(loss):
            smoothed.append(math.nan)
            return True
        average[0] = beta * average[0] + (1.0 - beta) * loss
        value = average[0] / (1.0 - beta ** (len(smoothed) + 1))
        smoothed.append(value)
        average[1] = min(average[1], value)
        return value > factor * average[1]

    return callback, smoothed


def _suggest(lrs: FloatArray, smoothed: FloatArray, suggest: str) -> tuple[float, str]:
    """The suggested rate and the sentence saying how it was chosen."""
    best = int(np.nanargmin(smoothed))
    if suggest == "min/10":
        return float(lrs[best] / 10), (
            f"min/10: the rate of the lowest smoothed loss ({lrs[best]:.3g}) divided by 10"
        )
    if best < 2:
        return float(lrs[best]), (
            "steepest: the loss was lowest at the start, so the rate of its minimum "
            f"({lrs[best]:.3g})"
        )
    slope = np.gradient(smoothed[: best + 1], np.log(lrs[: best + 1]))
    k = int(np.argmin(slope))
    return float(lrs[k]), (
        f"steepest: the rate where the smoothed loss falls fastest against log(lr) "
        f"(slope {slope[k]:.3g}), before its minimum at {lrs[best]:.3g}"
    )


def lr_range_test(
    objective: Any,
    x0: npt.ArrayLike,
    optimizer: Any,
    lr_min: float = 1e-7,
    lr_max: float = 10.0,
    steps: int = 100,
    *,
    batch_size: int | None = None,
    seed: int | np.random.Generator | None = None,
    smoothing: float = 0.98,
    stop_factor: float = 4.0,
    suggest: str = "min/10",
) -> RangeTest:
    """Run the learning-rate range test: one step per rate, rates growing from lr_min to lr_max.

    Parameters
    ----------
    objective, x0, optimizer
        As for :func:`optcourse.minimize` (the optimizer is reset first; its own ``lr`` is unused).
    lr_min, lr_max : float
        The first and the last rate, ``0 < lr_min < lr_max``, finite.
    steps : int
        Number of rates (and steps), ``>= 2``, spaced geometrically.
    batch_size, seed
        Mini-batches in shuffled epochs, as for :func:`optcourse.minimize`.
    smoothing : float
        Factor in ``[0, 1)`` of the exponential average of the losses (0: none).
    stop_factor : float
        ``> 1``: stop when the smoothed loss exceeds this multiple of its lowest value.
    suggest : str
        ``"min/10"`` or ``"steepest"`` (see the module docstring).

    Returns
    -------
    RangeTest
        The rates, losses and smoothed losses up to the blow-up, the blow-up rate and the pick.

    Raises
    ------
    ValueError
        If a number is out of its range or ``suggest`` is unknown (the message names it), or for
        the errors of :func:`optcourse.minimize` (a bad ``batch_size``, a non-finite start).
    """
    lo, hi, n = _check_range(lr_min, lr_max, steps)
    beta, factor = _check_rules(smoothing, stop_factor, suggest)
    rates = np.geomspace(lo, hi, n)
    callback, smoothed = _watch(beta, factor)
    result = minimize(
        objective,
        x0,
        optimizer,
        schedule=lambda k: float(rates[k]),
        callback=callback,
        max_iter=n,
        batch_size=batch_size,
        seed=seed,
        divergence=False,
        record=False,
    )
    k = result.nit
    lrs, losses = rates[:k].copy(), np.asarray(result.history.loss[1:], dtype=np.float64)
    smooth = np.asarray(smoothed, dtype=np.float64)
    if np.all(np.isnan(smooth)):
        raise ValueError(
            f"the loss was not finite after the first step (lr_min={lo:g}): start lower"
        )
    blowup = float(lrs[-1]) if result.status == Status.CALLBACK else None
    pick, method = _suggest(lrs, smooth, suggest)
    if blowup is None:
        method += f"; the loss never blew up up to lr_max={hi:g}: try a larger lr_max"
    return RangeTest(lrs, losses, smooth, blowup, pick, method)
