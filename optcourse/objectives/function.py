"""Wrap your own callables as an objective, so ``minimize`` accepts a ``(value, grad)`` pair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse.objectives.base import Box, FloatArray, Objective

__all__ = ["FunctionObjective"]


class FunctionObjective(Objective):
    """An objective built from your functions ``value(x)``, ``grad(x)`` and maybe ``hessian(x)``.

    The callables receive the float array ``x`` as given (shape ``(n,)`` for one point); they only
    need to handle batch axes ``(..., n)`` if you call the objective with them.

    Example: ``FunctionObjective(lambda x: x[0] ** 2, lambda x: 2 * x, dim=1, name="x^2")``.

    Parameters
    ----------
    value, grad : callable
        f(x) and its gradient ∇f(x) (same shape as ``x``).
    hessian : callable, optional
        ∇²f(x) of shape ``(..., n, n)``; without it ``hessian`` raises ``NotImplementedError``.
    dim : int, optional
        Number of coordinates. When given, points with a different last axis raise ``ValueError``;
        when ``None``, any length is accepted and ``dim`` stays ``None``.
    name : str, optional
        Shown by ``repr``; defaults to the name of ``value``.
    minimizers, minimum, domain : optional
        Known optima and plotting box, if you know them (``domain`` defaults to [−5, 5]^dim).
    """

    def __init__(
        self,
        value: Callable[[FloatArray], Any],
        grad: Callable[[FloatArray], Any],
        hessian: Callable[[FloatArray], Any] | None = None,
        dim: int | None = None,
        name: str | None = None,
        *,
        minimizers: npt.ArrayLike | None = None,
        minimum: float | None = None,
        domain: Box | None = None,
    ) -> None:
        if not callable(value) or not callable(grad):
            raise TypeError("value and grad must be callables taking an array x")
        if hessian is not None and not callable(hessian):
            raise TypeError("hessian must be a callable taking an array x, or None")
        if dim is not None and (int(dim) != dim or dim < 1):
            raise ValueError(f"dim must be a positive integer or None; got dim={dim}")
        self._value, self._grad, self._hessian = value, grad, hessian
        # dim and domain are None when the dimension is not known in advance.
        self.dim = None if dim is None else int(dim)  # type: ignore[assignment]
        self.name = name if name is not None else getattr(value, "__name__", "f")
        if minimizers is not None:
            mins = np.atleast_2d(np.asarray(minimizers, dtype=float))
            if dim is not None and mins.shape[-1] != dim:
                raise ValueError(f"minimizers must have shape (k, {dim}); got {mins.shape}")
            self.minimizers = mins
        self.minimum = None if minimum is None else float(minimum)
        if domain is None and dim is not None:
            domain = ((-5.0, 5.0),) * int(dim)
        self.domain = domain  # type: ignore[assignment]

    def _points(self, x: npt.ArrayLike) -> FloatArray:
        if self.dim is None:
            arr = np.asarray(x, dtype=float)
            if arr.ndim == 0:
                raise ValueError("x must be an array of shape (..., n); got a bare number")
            return arr
        return super()._points(x)

    def value(self, x: npt.ArrayLike) -> Any:
        """Return ``value(x)`` as a float (array)."""
        return np.asarray(self._value(self._points(x)), dtype=float)[()]

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return ``grad(x)`` as a float array."""
        return np.asarray(self._grad(self._points(x)), dtype=float)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return ``hessian(x)``; raises ``NotImplementedError`` if no hessian was given."""
        if self._hessian is None:
            raise NotImplementedError(
                f"{self!r} has no Hessian: pass hessian=... to FunctionObjective to use "
                "second-order methods such as Newton"
            )
        return np.asarray(self._hessian(self._points(x)), dtype=float)

    def __repr__(self) -> str:
        return f"FunctionObjective(name={self.name!r}, dim={self.dim})"
