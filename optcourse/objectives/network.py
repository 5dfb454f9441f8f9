"""A small neural network as an objective: one hidden tanh layer fitted by mean squared error.

The smallest model whose loss is not convex, in plain NumPy: the chapters use it to show that the
recipe of gradient descent is the same for a network as for a linear model (chapter 1) and that the
loss of a network is not convex (chapter 3). Its gradient is written out by backpropagation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse._validation import check_int
from optcourse.objectives.base import FloatArray
from optcourse.objectives.data import DataObjective

__all__ = ["TanhNetwork"]


class TanhNetwork(DataObjective):
    """Mean squared error of a network with one hidden layer of ``hidden`` tanh units.

    For inputs ``X`` (shape ``(m,)`` for scalar inputs, or ``(m, d)``) and targets ``y`` (``(m,)``)
    the network predicts ``pred(x) = Σ_h w2_h · tanh(W1_h · x + b1_h) + b2`` and the loss is

        L(θ) = mean over i of (pred(xᵢ) − yᵢ)²     (no ½, unlike :class:`LeastSquares`).

    The parameter vector is ``θ = [W1 (hidden·d, row by row), b1 (hidden), w2 (hidden), b2]``, so
    ``dim = hidden·(d + 2) + 1`` (``3·hidden + 1`` for scalar inputs); :meth:`unpack` splits it.
    ``θ`` may carry batch axes, ``(..., dim)``, and ``batch=idx`` selects mini-batch rows as for
    the other data objectives. ``grad`` is backpropagation and ``hessian`` the exact second
    derivative (Gauss–Newton part plus the curvature of each hidden unit). Minimizers are unknown
    (``minimizers`` is ``None``).

    Raises
    ------
    ValueError
        If ``X``/``y`` are not finite arrays of matching length (as for :class:`LeastSquares`) or
        ``hidden`` is not an integer ``>= 1``.
    """

    def __init__(self, X: npt.ArrayLike, y: npt.ArrayLike, hidden: int = 8) -> None:
        X_arr = np.asarray(X, dtype=float)
        super().__init__(X_arr[:, None] if X_arr.ndim == 1 else X_arr, y)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.n_inputs = int(self.X.shape[1])
        self.dim = self.hidden * (self.n_inputs + 2) + 1
        self.domain = ((-3.0, 3.0),) * self.dim

    def unpack(self, theta: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Split ``θ`` (``(..., dim)``) into ``W1 (..., hidden, d)``, ``b1``, ``w2 (..., hidden)``
        and ``b2 (...)``."""
        t = self._points(theta)
        H, d = self.hidden, self.n_inputs
        W1 = t[..., : H * d].reshape(t.shape[:-1] + (H, d))
        return W1, t[..., H * d : H * (d + 1)], t[..., H * (d + 1) : H * (d + 2)], t[..., -1]

    def _forward(self, theta: npt.ArrayLike, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return the hidden activations ``(..., m, hidden)`` and the predictions ``(..., m)``."""
        W1, b1, w2, b2 = self.unpack(theta)
        hidden = np.tanh(np.einsum("md,...hd->...mh", X, W1) + b1[..., None, :])
        pred = np.einsum("...mh,...h->...m", hidden, w2) + b2[..., None]
        return hidden, pred

    def predict(self, theta: npt.ArrayLike, X: npt.ArrayLike | None = None) -> FloatArray:
        """Return the network's outputs at the inputs ``X`` (default: the training inputs)."""
        if X is None:
            inputs = self.X
        else:
            inputs = np.asarray(X, dtype=float)
            inputs = inputs[:, None] if inputs.ndim == 1 else inputs
            if inputs.ndim != 2 or inputs.shape[1] != self.n_inputs:
                raise ValueError(
                    f"X must have shape (m,) or (m, {self.n_inputs}); got {np.shape(X)}"
                )
        return self._forward(theta, inputs)[1]

    def value(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> Any:
        """Return mean((pred − y)²) over the batch rows, shape ``(...)``."""
        Xb, yb = self._rows(batch)
        loss: FloatArray = np.mean((self._forward(x, Xb)[1] - yb) ** 2, axis=-1)
        return loss

    def grad(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return the gradient by backpropagation, shape ``(..., dim)``."""
        Xb, yb = self._rows(batch)
        _, _, w2, _ = self.unpack(x)
        hidden, pred = self._forward(x, Xb)
        r = 2.0 * (pred - yb) / len(yb)  # dL/d(prediction), (..., m)
        d_pre = r[..., None] * w2[..., None, :] * (1.0 - hidden**2)  # back through tanh
        d_W1 = np.einsum("...mh,md->...hd", d_pre, Xb)
        parts = [
            d_W1.reshape(d_W1.shape[:-2] + (-1,)),
            d_pre.sum(axis=-2),
            np.einsum("...mh,...m->...h", hidden, r),
            r.sum(axis=-1, keepdims=True),
        ]
        return np.concatenate(parts, axis=-1)

    def _jacobian(self, x: npt.ArrayLike, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return the derivatives of the predictions, ``(..., m, dim)``, and the activations."""
        _, _, w2, _ = self.unpack(x)
        hidden, pred = self._forward(x, X)
        slope = w2[..., None, :] * (1.0 - hidden**2)  # d pred / d(pre-activation), (..., m, H)
        d_W1 = slope[..., None] * X[:, None, :]  # (..., m, H, d)
        parts = [
            d_W1.reshape(d_W1.shape[:-2] + (-1,)),
            slope,
            hidden,
            np.ones(pred.shape + (1,)),
        ]
        return np.concatenate(parts, axis=-1), hidden

    def hessian(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return the Hessian, shape ``(..., dim, dim)``: ``(2/m) JᵀJ + Σᵢ rᵢ ∇²predᵢ``.

        ``J`` holds the derivatives of the predictions and ``rᵢ = 2(predᵢ − yᵢ)/m``; the second
        derivatives of a prediction only couple the weights of one hidden unit with each other.
        """
        theta = self._points(x)
        Xb, yb = self._rows(batch)
        J, hidden = self._jacobian(theta, Xb)
        _, _, w2, _ = self.unpack(theta)
        pred = self._forward(theta, Xb)[1]
        r = 2.0 * (pred - yb) / len(yb)
        out: FloatArray = (2.0 / len(yb)) * np.einsum("...mi,...mj->...ij", J, J)
        H, d = self.hidden, self.n_inputs
        x_ext = np.concatenate([Xb, np.ones((len(yb), 1))], axis=1)  # [x, 1]: weights and bias
        d1 = 1.0 - hidden**2  # tanh' at the pre-activations, (..., m, H)
        curv = np.einsum("...m,...mh->...mh", r, -2.0 * hidden * d1) * w2[..., None, :]
        block = np.einsum("...mh,mk,ml->...hkl", curv, x_ext, x_ext)  # (..., H, d+1, d+1)
        cross = np.einsum("...m,...mh,mk->...hk", r, d1, x_ext)  # with w2_h, (..., H, d+1)
        for h in range(H):
            inc = np.array([*(h * d + k for k in range(d)), H * d + h])  # W1_h and b1_h
            out[..., inc[:, None], inc[None, :]] += block[..., h, :, :]
            out[..., inc, H * (d + 1) + h] += cross[..., h, :]
            out[..., H * (d + 1) + h, inc] += cross[..., h, :]
        return out

    def __repr__(self) -> str:
        return (
            f"TanhNetwork(n_samples={self.n_samples}, n_inputs={self.n_inputs}, "
            f"hidden={self.hidden})"
        )
