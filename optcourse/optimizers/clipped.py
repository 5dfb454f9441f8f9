"""``Clipped(inner, max_norm=...)``: any optimizer, fed a clipped gradient (optax-style wrapper).

::

    opt = Clipped(SGD(lr=0.5), max_norm=1.0)      # g ← g · min(1, 1/(‖g‖ + 1e-6)), then SGD
    opt = Clipped(Adam(lr=1e-3), clip_value=0.1)  # every entry of g clipped to [−0.1, 0.1]
    minimize(objective, x0, opt, ...)              # minimize needs nothing else

The clipping is :func:`optcourse.clipping.clip_grad_norm` / ``clip_grad_value`` (torch's). For
parameters of shape ``(runs, n)`` each row is one run and is clipped on its own. ``opt.state``
holds the inner optimizer's state plus ``total_norm`` (the norm of the last raw gradient),
``clip_coef`` (the factor applied, 1 when nothing was clipped) and ``n_clipped`` (how many steps
were clipped so far).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import check_finite_nonnegative, check_norm_type
from optcourse.clipping import clip_coefficient
from optcourse.optimizers.base import Optimizer

__all__ = ["Clipped"]


class Clipped:
    """Wrap ``inner`` so that each step first clips the gradient by norm or by value.

    Parameters
    ----------
    inner : optimizer
        Any ``optcourse.optimizers`` object (not ``Newton``).
    max_norm : float, optional
        Clip by norm: ``g ← g · min(1, max_norm/(‖g‖ + 1e-6))`` (torch's ``clip_grad_norm_``).
    clip_value : float, optional
        Clip by value: every entry to ``[−clip_value, clip_value]``. Give exactly one of the two.
    norm_type : float
        The norm of ``max_norm`` (2 by default, or ``math.inf``).

    Raises
    ------
    TypeError
        If ``inner`` is not an optimizer with ``step`` and ``reset``.
    ValueError
        If not exactly one of ``max_norm``/``clip_value`` is given, one is negative or not finite,
        ``norm_type`` is not positive, or ``inner`` needs the Hessian.
    """

    needs_hessian = False

    def __init__(
        self,
        inner: Optimizer,
        *,
        max_norm: float | None = None,
        clip_value: float | None = None,
        norm_type: float = 2.0,
    ) -> None:
        if not (callable(getattr(inner, "step", None)) and callable(getattr(inner, "reset", None))):
            raise TypeError(f"inner must be an optimizer with step() and reset(); got {inner!r}")
        if getattr(inner, "needs_hessian", False):
            raise ValueError("Clipped wraps first-order optimizers; Newton needs the Hessian")
        if (max_norm is None) == (clip_value is None):
            raise ValueError("give exactly one of max_norm= (clip by norm) or clip_value=")
        self.inner = inner
        self.max_norm = None if max_norm is None else check_finite_nonnegative("max_norm", max_norm)
        self.clip_value = (
            None if clip_value is None else check_finite_nonnegative("clip_value", clip_value)
        )
        self.norm_type = check_norm_type(norm_type)
        self._own: dict[str, Any] = {}

    @property
    def lr(self) -> Any:
        """The inner optimizer's learning rate."""
        return self.inner.lr

    @property
    def state(self) -> dict[str, Any]:
        """The inner optimizer's state plus ``total_norm``, ``clip_coef`` and ``n_clipped``."""
        return {**self.inner.state, **self._own}

    def reset(self) -> None:
        """Forget the inner optimizer's state and the clipping record."""
        self.inner.reset()
        self._own = {}

    def clip(self, grad: ArrayLike) -> NDArray[Any]:
        """Return the clipped gradient (each row of the last axis on its own) and record it."""
        g = np.asarray(grad, dtype=float)
        with np.errstate(all="ignore"):
            if self.norm_type == math.inf:
                norm = np.max(np.abs(g), axis=-1, keepdims=True)
            else:
                norm = np.sum(np.abs(g) ** self.norm_type, axis=-1, keepdims=True) ** (
                    1.0 / self.norm_type
                )
        if self.max_norm is not None:
            coef = clip_coefficient(norm, self.max_norm)
            with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in torch
                out: NDArray[Any] = g * coef
            clipped = bool(np.any(coef < 1.0))
        else:
            assert self.clip_value is not None
            out = np.clip(g, -self.clip_value, self.clip_value)
            coef = np.ones_like(norm)
            clipped = bool(np.any(np.abs(g) > self.clip_value))
        self._own = {
            "total_norm": norm[..., 0] if norm.ndim > 1 else float(norm[0]),
            "clip_coef": coef[..., 0] if coef.ndim > 1 else float(coef[0]),
            "n_clipped": self._own.get("n_clipped", 0) + int(clipped),
        }
        return out

    def step(
        self,
        params: ArrayLike,
        grad: ArrayLike,
        *,
        lr: ArrayLike | None = None,
        hessian: ArrayLike | None = None,
    ) -> NDArray[Any]:
        """Clip ``grad`` and return ``inner.step(params, clipped, lr=lr)``."""
        p = np.asarray(params)
        if p.shape != np.shape(grad):
            raise ValueError(
                f"grad must have the shape of params: params {p.shape}, grad {np.shape(grad)}"
            )
        return self.inner.step(p, self.clip(grad), lr=lr)

    def __repr__(self) -> str:
        how = (
            f"max_norm={self.max_norm}"
            if self.max_norm is not None
            else (f"clip_value={self.clip_value}")
        )
        return f"Clipped({self.inner!r}, {how})"
