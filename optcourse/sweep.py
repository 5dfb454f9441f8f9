"""Learning-rate sweeps: many gradient-descent runs at once, one per learning rate and start.

The optimizers accept an array learning rate that broadcasts against the parameters, so a whole
grid of runs is one batched computation: the parameters get shape ``(E, S, n)`` (E learning rates,
S starting points, n coordinates) and the learning rate shape ``(E, 1, 1)``. :func:`sweep` does
this once for the chapters and the static explorer (:mod:`optcourse.explorer`).

>>> from optcourse.objectives import Parabola
>>> s = sweep(Parabola(), [0.1, 0.5], 5.0, steps=2)
>>> s.path[:, 0, :, 0].tolist()  # x_t = (1 - 2 eta)^t x_0 on f = x^2
[[5.0, 4.0, 3.2], [5.0, 0.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optcourse._validation import check_int
from optcourse.objectives.base import Objective
from optcourse.optimizers import SGD
from optcourse.optimizers.base import Optimizer

__all__ = ["Sweep", "sweep"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sweep:
    """The runs of a learning-rate sweep.

    Attributes
    ----------
    etas : ndarray, shape (E,)
        The learning rates.
    x0s : ndarray, shape (S, n)
        The starting points.
    path : ndarray, shape (E, S, steps + 1, n)
        ``path[i, j, t]`` is the iterate x_t of the run with ``etas[i]`` started at ``x0s[j]``.
        A run that overflows holds ``inf`` or ``nan`` from then on.
    loss : ndarray, shape (E, S, steps + 1)
        The objective at every iterate (``inf``/``nan`` where the run overflowed).
    """

    etas: FloatArray
    x0s: FloatArray
    path: FloatArray
    loss: FloatArray

    @property
    def final_loss(self) -> FloatArray:
        """The loss after the last step, shape ``(E, S)``."""
        return self.loss[..., -1]

    def cliff(self, start: int = 0) -> tuple[float, float]:
        """Locate the divergence cliff of the runs from ``x0s[start]`` on the grid of ``etas``.

        A run *ends higher* when its final loss is above its starting loss or not finite. On a
        grid sorted by increasing ``etas`` the runs must split into one block that ends no higher
        followed by one block that ends higher; the cliff lies between the last η of the first
        block and the first η of the second, and this pair is returned. Its width is the grid's
        resolution there: a grid of step ``h`` locates the cliff to within ``h/2`` of the
        midpoint. On a quadratic with enough steps the cliff is ``2/λmax``
        (:func:`optcourse.diagnostics.max_stable_lr`).

        Raises
        ------
        ValueError
            If ``start`` is not an index of ``x0s``, ``etas`` is not strictly increasing, every
            run lands on the same side, or the grid has more than one cliff (a run that ends
            lower after one that ends higher).
        """
        if isinstance(start, bool) or not 0 <= start < self.x0s.shape[0]:
            raise ValueError(f"start must index x0s (0..{self.x0s.shape[0] - 1}); got {start!r}")
        if self.etas.size < 2 or not np.all(np.diff(self.etas) > 0):
            raise ValueError("cliff() needs at least two etas in strictly increasing order")
        first, last = self.loss[:, start, 0], self.final_loss[:, start]
        with np.errstate(invalid="ignore"):
            higher = ~np.isfinite(last) | (last > first)
        if higher.all() or not higher.any():
            side = "higher" if higher.all() else "no higher"
            raise ValueError(f"no cliff on this grid: every run ends {side} than it started")
        k = int(np.argmax(higher))
        if not higher[k:].all():
            raise ValueError(
                "more than one cliff on this grid: a run ends lower than it started at "
                f"eta={self.etas[k:][~higher[k:]][0]:g}, after one that ended higher at "
                f"eta={self.etas[k]:g}"
            )
        return float(self.etas[k - 1]), float(self.etas[k])


def _starts(objective: Objective, x0s: npt.ArrayLike) -> FloatArray:
    """Starting points as shape ``(S, n)``: one point ``(n,)`` (or a number when n = 1), or rows."""
    n = objective.dim
    start = np.asarray(x0s, dtype=float)
    if start.ndim == 0 or (start.ndim == 1 and n == 1):
        start = start.reshape(-1, 1)
    elif start.ndim == 1:
        start = start.reshape(1, -1)
    if start.ndim != 2 or start.shape[1] != n:
        raise ValueError(
            f"x0s must be one start of shape ({n},) or starts of shape (S, {n}) for an objective "
            f"with dim={n}; got shape {np.shape(x0s)}"
        )
    if start.shape[0] == 0:
        raise ValueError("etas and x0s must each contain at least one value")
    if not np.isfinite(start).all():
        raise ValueError("x0s must be finite")
    return start


def sweep(
    objective: Objective,
    etas: npt.ArrayLike,
    x0s: npt.ArrayLike,
    steps: int,
    *,
    optimizer: Callable[..., Optimizer] = SGD,
) -> Sweep:
    """Run gradient descent for every pair (learning rate, start) of a grid, all at once.

    Parameters
    ----------
    objective : Objective
        The function to minimize; its ``grad`` must accept batch axes (every library objective
        does).
    etas : array_like, shape (E,)
        Learning rates (finite, non-negative).
    x0s : array_like
        Starting points: one point of shape ``(n,)``, several of shape ``(S, n)``; for a 1-D
        objective also a number or a 1-D array of S starting values.
    steps : int
        Number of steps (at least 1).
    optimizer : callable, optional
        Called as ``optimizer(lr=lr)`` with ``lr`` of shape ``(E, 1, 1)`` to build the optimizer;
        default :class:`~optcourse.optimizers.SGD` (plain gradient descent). Pass e.g.
        ``functools.partial(SGD, momentum=0.9)`` for other hyperparameters.

    Returns
    -------
    Sweep
        Paths ``(E, S, steps + 1, n)`` and losses ``(E, S, steps + 1)``. Overflow gives ``inf`` or
        ``nan`` in the runs concerned, without a warning.

    Raises
    ------
    ValueError
        If ``etas`` is empty, negative or not finite, ``x0s`` has the wrong shape or is empty, or
        ``steps < 1``.
    """
    steps = check_int("steps", steps, minimum=1)
    eta = np.asarray(etas, dtype=float).reshape(-1)
    start = _starts(objective, x0s)
    if eta.size == 0:
        raise ValueError("etas and x0s must each contain at least one value")
    if (eta < 0).any() or not np.isfinite(eta).all():
        raise ValueError("etas must be finite and non-negative")
    opt = optimizer(lr=eta[:, None, None])
    x = np.broadcast_to(start, (eta.size, *start.shape)).astype(float)
    path = np.empty((eta.size, start.shape[0], steps + 1, start.shape[1]))
    path[:, :, 0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            x = np.asarray(opt.step(x, objective.grad(x)), dtype=float)
            path[:, :, t] = x
        loss = np.asarray(objective.value(path), dtype=float)
    return Sweep(etas=eta, x0s=start, path=path, loss=loss)
