"""The quadratic objective ½xᵀHx − bᵀx + c: the model problem of curvature and conditioning."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse.objectives.base import FloatArray, Objective

__all__ = ["Quadratic"]


class Quadratic(Objective):
    """The quadratic f(x) = ½ xᵀHx − bᵀx + c with a symmetric matrix H.

    gradient ∇f(x) = Hx − b, Hessian ∇²f(x) = H (constant). When H is positive definite the
    unique minimizer is x* = H⁻¹b with minimum c − ½ bᵀH⁻¹b; otherwise ``minimizers`` and
    ``minimum`` are ``None`` (no minimizer, or not a unique one).

    Gradient descent with step η on this function contracts the error along the eigenvector of
    eigenvalue λ by the factor 1 − ηλ, so it converges iff η < 2/λ_max, and the condition number
    κ = λ_max/λ_min sets the speed (J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
    Springer, 2006, §3.3).

    Parameters
    ----------
    H : array_like, shape (n, n)
        Symmetric matrix (the Hessian).
    b : array_like, shape (n,), optional
        Linear term; zero by default.
    c : float
        Constant offset.

    Raises
    ------
    ValueError
        If ``H`` is not a finite, symmetric ``(n, n)`` matrix, ``b`` is not of shape ``(n,)``, or
        ``b``/``c`` are not finite.
    """

    def __init__(self, H: npt.ArrayLike, b: npt.ArrayLike | None = None, c: float = 0.0) -> None:
        H_arr = np.array(H, dtype=float)
        if H_arr.ndim != 2 or H_arr.shape[0] != H_arr.shape[1] or H_arr.shape[0] == 0:
            raise ValueError(f"H must be a square (n, n) matrix; got shape {H_arr.shape}")
        if not np.all(np.isfinite(H_arr)):
            raise ValueError("H must contain only finite numbers")
        scale = max(1.0, float(np.max(np.abs(H_arr))))
        if not np.allclose(H_arr, H_arr.T, rtol=0.0, atol=1e-12 * scale):
            raise ValueError("H must be symmetric (H == H.T)")
        H_arr = 0.5 * (H_arr + H_arr.T)
        n = H_arr.shape[0]
        b_arr = np.zeros(n) if b is None else np.array(b, dtype=float)
        if b_arr.shape != (n,):
            raise ValueError(f"b must have shape ({n},) to match H; got shape {b_arr.shape}")
        if not np.all(np.isfinite(b_arr)) or not np.isfinite(c):
            raise ValueError("b and c must be finite")
        self.H: FloatArray = H_arr
        self.b: FloatArray = b_arr
        self.c = float(c)
        self.dim = n
        self._eigs: FloatArray = np.linalg.eigvalsh(H_arr)
        center = np.zeros(n)
        if self._eigs[0] > 0:
            xstar = np.linalg.solve(H_arr, b_arr)
            self.minimizers = xstar[None, :]
            self.minimum = float(self.c - 0.5 * b_arr @ xstar)
            center = xstar
        self.domain = tuple((float(m - 3.0), float(m + 3.0)) for m in center)

    @classmethod
    def diagonal(
        cls, eigs: npt.ArrayLike, b: npt.ArrayLike | None = None, c: float = 0.0
    ) -> Quadratic:
        """Return the quadratic with ``H = diag(eigs)``: ``Quadratic.diagonal([1, 10])``."""
        e = np.asarray(eigs, dtype=float)
        if e.ndim != 1 or e.size == 0:
            raise ValueError(f"eigs must be a non-empty 1-D sequence; got shape {e.shape}")
        return cls(np.diag(e), b, c)

    @classmethod
    def rotated(
        cls,
        eigs: npt.ArrayLike,
        angle: float,
        b: npt.ArrayLike | None = None,
        c: float = 0.0,
    ) -> Quadratic:
        """Return the 2-D quadratic with eigenvalues ``eigs`` whose eigenvectors are turned by
        ``angle`` (radians): ``H = R diag(eigs) Rᵀ`` with R the rotation by ``angle``.

        The eigenvector of ``eigs[0]`` is ``(cos angle, sin angle)``, that of ``eigs[1]``
        ``(−sin angle, cos angle)``; ``angle = 0`` gives :meth:`diagonal`. A valley whose axes are
        not the coordinate axes: gradient descent behaves the same in the eigenvector coordinates.

        Raises
        ------
        ValueError
            If ``eigs`` does not hold exactly two finite numbers or ``angle`` is not finite.
        """
        e = np.asarray(eigs, dtype=float)
        if e.shape != (2,) or not np.all(np.isfinite(e)):
            raise ValueError(f"eigs must be two finite numbers; got {np.asarray(eigs)!r}")
        if not np.isfinite(angle):
            raise ValueError(f"angle must be a finite number of radians; got {angle}")
        cos, sin = np.cos(angle), np.sin(angle)
        R = np.array([[cos, -sin], [sin, cos]])
        return cls(R @ np.diag(e) @ R.T, b, c)

    @property
    def eigenvalues(self) -> FloatArray:
        """Eigenvalues of H in ascending order."""
        eigs: FloatArray = self._eigs.copy()
        return eigs

    @property
    def lambda_min(self) -> float:
        """Smallest eigenvalue of H."""
        return float(self._eigs[0])

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue of H."""
        return float(self._eigs[-1])

    @property
    def condition_number(self) -> float:
        """κ = λ_max / λ_min (``inf`` unless H is positive definite)."""
        if self._eigs[0] <= 0:
            return float("inf")
        return float(self._eigs[-1] / self._eigs[0])

    def value(self, x: npt.ArrayLike) -> Any:
        """Return ½ xᵀHx − bᵀx + c, shape ``(...)``."""
        p = self._points(x)
        return 0.5 * np.einsum("...i,ij,...j->...", p, self.H, p) - p @ self.b + self.c

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return Hx − b, shape ``(..., n)``."""
        p = self._points(x)
        return p @ self.H - self.b

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return H repeated over the batch axes, shape ``(..., n, n)``."""
        p = self._points(x)
        H: FloatArray = np.broadcast_to(self.H, p.shape[:-1] + self.H.shape).copy()
        return H

    def __repr__(self) -> str:
        if self.dim > 4:
            return f"Quadratic(dim={self.dim}, condition_number={self.condition_number:.4g})"
        return f"Quadratic(H={self.H.tolist()}, b={self.b.tolist()}, c={self.c})"
