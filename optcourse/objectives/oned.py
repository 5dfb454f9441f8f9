"""One-dimensional objectives: the parabola of chapter 2 and a tilted double well.

Points have shape ``(..., 1)``; a bare number is also accepted (treated as shape ``(1,)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse.objectives.base import FloatArray, Objective

__all__ = ["Parabola", "DoubleWell"]


class Parabola(Objective):
    """The parabola f(x) = a x² + b x + c in one variable.

    f'(x) = 2a x + b and f''(x) = 2a. For a > 0 the minimizer is x* = −b / (2a) with minimum
    c − b² / (4a); for a ≤ 0 there is no minimum and ``minimizers``/``minimum`` are ``None``.
    ``Parabola()`` is f(x) = x², whose gradient-descent update is x ← (1 − 2η) x.
    """

    def __init__(self, a: float = 1.0, b: float = 0.0, c: float = 0.0) -> None:
        if not all(np.isfinite([a, b, c])):
            raise ValueError(f"a, b and c must be finite; got a={a}, b={b}, c={c}")
        self.a, self.b, self.c = float(a), float(b), float(c)
        self.dim = 1
        center = 0.0
        if self.a > 0:
            center = -self.b / (2.0 * self.a)
            self.minimizers = np.array([[center]])
            self.minimum = self.c - self.b**2 / (4.0 * self.a)
        self.domain = ((center - 6.0, center + 6.0),)

    def value(self, x: npt.ArrayLike) -> Any:
        """Return a x² + b x + c, shape ``(...)``."""
        t = self._points(x)[..., 0]
        return self.a * t**2 + self.b * t + self.c

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return 2a x + b, shape ``(..., 1)``."""
        p = self._points(x)
        return 2.0 * self.a * p + self.b

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return 2a, shape ``(..., 1, 1)``."""
        p = self._points(x)
        return np.full(p.shape + (1,), 2.0 * self.a)

    def __repr__(self) -> str:
        return f"Parabola(a={self.a}, b={self.b}, c={self.c})"


# Beyond this tilt the cubic f'(x) = 4x³ − 4x + tilt has a single real root: only one well is left.
_MAX_TILT = 8.0 / (3.0 * np.sqrt(3.0))


class DoubleWell(Objective):
    """A tilted double well f(x) = x⁴ − 2x² + tilt·x, non-convex in one variable.

    f'(x) = 4x³ − 4x + tilt and f''(x) = 12x² − 4. Without tilt the two wells at x = ±1 are equally
    deep; a positive tilt lifts the right well, so gradient descent can end in the shallower local
    minimum depending on where it starts. This quartic is the classical double-well (Landau)
    potential of physics, here used as the smallest non-convex example.

    Attributes
    ----------
    local_minimizers : ndarray, shape (2, 1)
        Both local minimizers in ascending order (roots of f' polished to machine precision).
    local_maximizer : ndarray, shape (1, 1)
        The hump between the wells.
    minimizers : ndarray, shape (1, 1) (or (2, 1) when tilt == 0)
        The global minimizer(s).

    Parameters
    ----------
    tilt : float
        Linear term; |tilt| < 8/(3√3) ≈ 1.54 so that both wells exist. Default 0.3.
    """

    def __init__(self, tilt: float = 0.3) -> None:
        if not np.isfinite(tilt) or abs(tilt) >= _MAX_TILT:
            raise ValueError(
                f"tilt must satisfy |tilt| < 8/(3*sqrt(3)) = {_MAX_TILT:.4f} so that both wells "
                f"exist; got tilt={tilt}"
            )
        self.tilt = float(tilt)
        self.dim = 1
        roots = np.sort(np.roots([4.0, 0.0, -4.0, self.tilt]).real)
        for _ in range(5):  # Newton on f' to clean up the last bits
            roots = roots - (4 * roots**3 - 4 * roots + self.tilt) / (12 * roots**2 - 4)
        self.local_minimizers: FloatArray = roots[[0, 2], None]
        self.local_maximizer: FloatArray = roots[[1], None]
        vals = self.value(self.local_minimizers)
        self.minimizers = self.local_minimizers[vals == vals.min()]
        self.minimum = float(vals.min())
        self.domain = ((-2.0, 2.0),)

    def value(self, x: npt.ArrayLike) -> Any:
        """Return x⁴ − 2x² + tilt·x, shape ``(...)``."""
        t = self._points(x)[..., 0]
        return t**4 - 2.0 * t**2 + self.tilt * t

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return 4x³ − 4x + tilt, shape ``(..., 1)``."""
        p = self._points(x)
        return 4.0 * p**3 - 4.0 * p + self.tilt

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return 12x² − 4, shape ``(..., 1, 1)``."""
        p = self._points(x)
        return (12.0 * p**2 - 4.0)[..., None]

    def __repr__(self) -> str:
        return f"DoubleWell(tilt={self.tilt})"
