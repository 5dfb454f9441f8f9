"""Online convex optimization on a box: projection, projected runs with α/√t steps, and regret.

In online optimization a loss ``f_t`` arrives at every step ``t = 1, 2, ...``; the learner picks
``x_t`` before seeing it and pays ``f_t(x_t)``. Its **regret** after ``T`` steps is what it paid
minus what the best fixed point in hindsight would have paid::

    R_T = Σ_{t ≤ T} f_t(x_t) − min_{x in the box} Σ_{t ≤ T} f_t(x).

A method "converges" in this setting when the average regret ``R_T / T`` goes to 0.

The losses here are linear, ``f_t(x) = g_t · x`` (the gradient ``g_t`` does not depend on ``x``),
which is all the counterexample of Reddi, Kale and Kumar ("On the Convergence of Adam and
Beyond", ICLR 2018) needs: on ``[−1, 1]``, ``f_t(x) = C x`` when ``t ≡ 1 (mod 3)`` and ``−x``
otherwise (:func:`reddi_gradients`). For ``C > 2`` the sum over a period is ``(C − 2) x``, so
the best fixed point is ``x = −1``.

* :func:`project_box` is the Euclidean projection onto a box ``[low, high]`` (coordinate-wise).
* :func:`projected_run` runs any optimizer of :mod:`optcourse.optimizers` on such a sequence
  with the step ``lr/√t`` and a projection after every step (Reddi et al.'s setting).
* :func:`linear_regret` is ``R_T`` for every ``T`` of a run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import check_int, check_positive, check_rate
from optcourse.optimizers.base import Optimizer

__all__ = ["project_box", "reddi_gradients", "projected_run", "linear_regret"]


def _check_box(low: float, high: float) -> tuple[float, float]:
    lo, hi = float(low), float(high)
    if math.isnan(lo) or math.isnan(hi) or not lo <= hi:
        raise ValueError(f"the box needs low <= high (no NaN); got low={low!r}, high={high!r}")
    return lo, hi


def project_box(x: ArrayLike, low: float = -1.0, high: float = 1.0) -> NDArray[np.float64]:
    """Return the Euclidean projection of ``x`` onto the box ``[low, high]`` in every coordinate.

    For a box the projection is coordinate-wise clipping; ``low = -inf`` or ``high = inf``
    leaves that side open. Returns a new float array of the shape of ``x``.

    Raises
    ------
    ValueError
        If ``low > high`` or either is NaN, or ``x`` holds a NaN.
    """
    lo, hi = _check_box(low, high)
    arr = np.asarray(x, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError("x holds a NaN: there is no projection of NaN onto a box")
    return np.clip(arr, lo, hi)


def reddi_gradients(C: ArrayLike, steps: int) -> NDArray[np.float64]:
    """Return the gradients ``g_1, ..., g_T`` of Reddi et al.'s sequence, shape ``(T, *C.shape)``.

    ``g_t = C`` when ``t ≡ 1 (mod 3)`` and ``−1`` otherwise (``f_t(x) = g_t x``), with ``t``
    counted from 1, so the sequence starts ``C, −1, −1, C, ...``. ``C`` may be an array: one
    independent sequence per entry (run them at once as the coordinates of one parameter array).

    Raises
    ------
    ValueError
        If an entry of ``C`` is not finite and ``> 0``, or ``steps`` is not an integer ``>= 1``.
    """
    T = check_int("steps", steps)
    c = np.asarray(C, dtype=np.float64)
    if not np.all((c > 0) & np.isfinite(c)):
        raise ValueError(f"every C must be finite and > 0; got {C!r}")
    t = np.arange(1, T + 1).reshape((T,) + (1,) * c.ndim)
    out: NDArray[np.float64] = np.where(t % 3 == 1, c, -1.0)
    return out


def projected_run(
    optimizer: Optimizer,
    grads: ArrayLike,
    x0: ArrayLike,
    lr: float,
    *,
    low: float = -1.0,
    high: float = 1.0,
) -> NDArray[np.float64]:
    """Run ``optimizer`` on linear losses with steps ``lr/√t`` and a projection after each step.

    Step ``t = 1, ..., T`` is ``x_{t+1} = project_box(optimizer.step(x_t, g_t, lr=lr/√t))``,
    as in Reddi et al.'s online setting. The optimizer keeps its state across steps (pass a fresh
    one, or call ``reset()``); its own ``lr`` is not used.

    Parameters
    ----------
    optimizer : Optimizer
        Any optimizer of :mod:`optcourse.optimizers`.
    grads : array_like, shape (T, ...)
        The gradient of ``f_t(x) = g_t · x`` at every step (see :func:`reddi_gradients`).
    x0 : array_like, shape (...)
        The starting point, of the shape of one gradient, inside the box.
    lr : float
        The base rate α ``> 0``; step ``t`` uses ``α/√t``.
    low, high : float
        The box.

    Returns
    -------
    ndarray, shape (T + 1, ...)
        The iterates ``x_1 = x0, ..., x_{T+1}``.

    Raises
    ------
    ValueError
        If ``x0`` is not the shape of one gradient or lies outside the box, or ``lr`` is not > 0.
    """
    lo, hi = _check_box(low, high)
    base = check_positive("lr", check_rate("lr", lr))
    g = np.asarray(grads, dtype=np.float64)
    x = np.asarray(x0, dtype=np.float64)
    if g.ndim < 1 or g.shape[1:] != x.shape:
        raise ValueError(f"grads must have shape (T, *x0.shape); got {g.shape} and x0 {x.shape}")
    if np.any(x < lo) or np.any(x > hi):
        raise ValueError(f"x0 must lie in the box [{lo}, {hi}]; got {x0!r}")
    path = np.empty((g.shape[0] + 1, *x.shape))
    path[0] = x
    for t in range(1, g.shape[0] + 1):
        x = np.clip(optimizer.step(x, g[t - 1], lr=base / math.sqrt(t)), lo, hi)
        path[t] = x
    return path


def linear_regret(
    grads: ArrayLike, path: ArrayLike, *, low: float = -1.0, high: float = 1.0
) -> NDArray[np.float64]:
    """Return the regret ``R_T`` of a run on linear losses ``f_t(x) = g_t · x``, for every ``T``.

    ``R_T = Σ_{t ≤ T} g_t · x_t − min_{x in [low, high]^n} Σ_{t ≤ T} g_t · x``; the minimum of a
    linear function over a box sits at a corner, coordinate by coordinate. ``path`` holds
    ``x_1, x_2, ...`` (at least ``T`` rows; the last row of :func:`projected_run`, the point after
    the last loss, is ignored). Coordinates are summed: for independent sequences run as
    coordinates, pass each coordinate's slice (``grads[:, i]``, ``path[:, i]``).

    Returns
    -------
    ndarray, shape (T,)
        ``R_1, ..., R_T``.

    Raises
    ------
    ValueError
        If the shapes do not match, or the box is empty or unbounded.
    """
    lo, hi = _check_box(low, high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("the regret needs a bounded box (finite low and high)")
    g = np.asarray(grads, dtype=np.float64)
    xs = np.asarray(path, dtype=np.float64)
    if g.ndim < 1 or xs.shape[0] < g.shape[0] or xs.shape[1:] != g.shape[1:]:
        raise ValueError(f"path must have shape (>= T, ...) for grads {g.shape}; got {xs.shape}")
    T = g.shape[0]
    paid = (g * xs[:T]).reshape(T, -1).sum(axis=1)
    total = np.cumsum(g.reshape(T, -1), axis=0)
    best = np.minimum(total * lo, total * hi).sum(axis=1)
    regret: NDArray[Any] = np.cumsum(paid) - best
    return regret
