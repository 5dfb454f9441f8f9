"""The common interface of all objectives: ``value``, ``grad`` and ``hessian`` on batches of points.

An objective is a function f: R^n -> R together with its gradient and Hessian. Every method takes
``x`` of shape ``(..., n)``: the last axis holds the coordinates of one point and any leading axes
are batch axes (a contour grid of shape ``(200, 200, 2)``, or 1000 parallel runs ``(1000, 2)``).
``value`` returns shape ``(...)``, ``grad`` ``(..., n)`` and ``hessian`` ``(..., n, n)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Box = tuple[tuple[float, float], ...]

__all__ = ["Objective", "FloatArray", "Box"]


class Objective(ABC):
    """Base class of all objectives.

    Attributes
    ----------
    dim : int
        Number of coordinates ``n`` of a point.
    minimizers : ndarray of shape (k, n) or None
        Known global minimizers, or ``None`` when unknown (or when there is no minimum).
    minimum : float or None
        The global minimum value, or ``None`` when unknown (or unbounded below).
    domain : tuple of (lo, hi) pairs
        The default plotting box, one pair per dimension.
    saddle_points : ndarray of shape (k, n) or None
        Known saddle points, where they are part of the lesson (``Saddle``, ``MonkeySaddle``).

    Calling the objective, ``f(x)``, is the same as ``f.value(x)``.

    Raises
    ------
    ValueError
        ``value``, ``grad`` and ``hessian`` raise it when the last axis of ``x`` does not have
        length ``dim``; constructors raise it for arguments outside their range.
    """

    dim: int
    minimizers: FloatArray | None = None
    minimum: float | None = None
    domain: Box
    saddle_points: FloatArray | None = None

    @abstractmethod
    def value(self, x: npt.ArrayLike) -> Any:
        """Return f(x), shape ``(...)`` for ``x`` of shape ``(..., n)``."""

    @abstractmethod
    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return the gradient of f at x, shape ``(..., n)``."""

    @abstractmethod
    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return the Hessian matrix of f at x, shape ``(..., n, n)``."""

    def __call__(self, x: npt.ArrayLike) -> Any:
        """Return ``self.value(x)``."""
        return self.value(x)

    def _points(self, x: npt.ArrayLike) -> FloatArray:
        """Convert ``x`` to a float array of shape ``(..., dim)`` or raise ``ValueError``.

        For one-dimensional objectives a bare number is accepted and treated as shape ``(1,)``.
        """
        arr = np.asarray(x, dtype=float)
        if arr.ndim == 0 and self.dim == 1:
            arr = arr.reshape(1)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"{type(self).__name__} expects points x of shape (..., {self.dim}) "
                f"(last axis of length dim={self.dim}); got x with shape {arr.shape}"
            )
        return arr


def stack_hessian(shape: tuple[int, ...], rows: list[list[Any]]) -> FloatArray:
    """Assemble a Hessian of shape ``shape + (n, n)`` from entries given as ``rows[i][j]``.

    Each entry may be a number or an array broadcasting against ``shape``.
    """
    n = len(rows)
    out = np.empty(shape + (n, n))
    for i in range(n):
        for j in range(n):
            out[..., i, j] = rows[i][j]
    return out


def newton_polish(objective: Objective, points: npt.ArrayLike, steps: int = 8) -> FloatArray:
    """Refine approximate critical points with a few plain Newton steps (to machine precision).

    Used to store known minimizers with all their digits instead of a rounded literature value.
    """
    x = np.array(points, dtype=float)
    for _ in range(steps):
        x = x - np.linalg.solve(objective.hessian(x), objective.grad(x)[..., None])[..., 0]
    return x
