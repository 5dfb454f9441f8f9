"""A multilayer perceptron in NumPy as a data objective: forward pass, backpropagation, inits.

The network of chapter 11 (training diagnostics). Layer ``l`` maps ``h_{l-1}`` to
``h_l = act(W_l h_{l-1} + b_l)`` (the last layer has no activation: it outputs the predictions or
the logits), the loss is a mean over the rows of the data, and the gradient is written out by
backpropagation. :meth:`MLP.layer_norms` returns what backpropagation carries through the layers,
‖∂L/∂h_l‖, and the weight-gradient norms ‖∂L/∂W_l‖: the measurements of vanishing and exploding
gradients. :meth:`MLP.init_params` draws a starting point with one of four initialization schemes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from optcourse._validation import check_int
from optcourse.objectives.base import FloatArray
from optcourse.objectives.data import DataObjective

__all__ = ["MLP", "LayerNorms", "ACTIVATIONS", "LOSSES", "INIT_SCHEMES"]

#: The hidden-layer activations :class:`MLP` knows.
ACTIVATIONS = ("tanh", "relu")
#: The losses :class:`MLP` knows.
LOSSES = ("mse", "cross_entropy")
#: The initialization schemes of :meth:`MLP.init_params`.
INIT_SCHEMES = ("naive", "xavier", "he", "torch")


class LayerNorms(NamedTuple):
    """Per-layer norms at one parameter vector (index ``l − 1`` is layer ``l = 1..L``).

    ``backward[l-1]`` = ‖∂L/∂h_l‖ (Frobenius norm over the rows of the batch and the units; ``h_L``
    is the output), ``weight_grad[l-1]`` = ‖∂L/∂W_l‖ and ``forward[l-1]`` = the standard deviation
    of the entries of ``h_l``.
    """

    backward: FloatArray
    weight_grad: FloatArray
    forward: FloatArray


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return str(value)


class MLP(DataObjective):
    """Mean loss of a fully connected network with layer sizes ``sizes = (d, n_1, ..., n_out)``.

    Hidden layers apply ``activation`` ("tanh" or "relu") to ``W_l h_{l-1} + b_l``; the last
    layer is linear. ``loss="mse"``: ``L = mean over rows of Σ_k (out_k − target_k)²`` (no ½), with
    ``target = y`` when ``n_out == 1`` and the one-hot code of the class labels ``y`` otherwise.
    ``loss="cross_entropy"``: ``L = mean over rows of −log softmax(out)_{y}``, ``y`` holding class
    labels ``0..n_out−1`` (``n_out >= 2``).

    The parameter vector is ``θ = [W_1 (row by row, shape (n_1, d)), b_1, W_2, b_2, ...]``, the
    layout of torch's ``nn.Linear`` weights; :meth:`unpack` splits it. ``θ`` may carry batch axes
    ``(..., dim)`` in ``value`` and ``grad``; ``batch=idx`` selects mini-batch rows as for the other
    data objectives, so ``minimize(..., batch_size=...)`` and every optimizer work with it.
    ``hessian`` is a central difference of the backpropagated gradient (for small networks only).

    Raises
    ------
    ValueError
        For fewer than two sizes, a size below 1, ``sizes[0]`` different from the number of columns
        of ``X``, an unknown activation or loss, or labels ``y`` that are not integers in
        ``[0, n_out − 1]`` (classification).
    """

    def __init__(
        self,
        X: npt.ArrayLike,
        y: npt.ArrayLike,
        sizes: tuple[int, ...] | list[int],
        activation: str = "tanh",
        loss: str = "mse",
    ) -> None:
        super().__init__(X, y)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output sizes; got {sizes}")
        self.sizes = tuple(check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
        if self.sizes[0] != self.X.shape[1]:
            raise ValueError(
                f"sizes[0] must equal the number of columns of X ({self.X.shape[1]}); "
                f"got {self.sizes[0]}"
            )
        self.activation = _choice("activation", activation, ACTIVATIONS)
        self.loss = _choice("loss", loss, LOSSES)
        n_out = self.sizes[-1]
        if self.loss == "cross_entropy" and n_out < 2:
            raise ValueError("cross_entropy needs at least 2 outputs (one logit per class)")
        if self.loss == "cross_entropy" or n_out > 1:
            labels = self.y.astype(int)
            if np.any(labels != self.y) or labels.min() < 0 or labels.max() >= n_out:
                raise ValueError(f"y must hold integer class labels in [0, {n_out - 1}]")
        self.shapes = [(o, i) for i, o in zip(self.sizes[:-1], self.sizes[1:], strict=True)]
        self.dim = sum(o * (i + 1) for o, i in self.shapes)
        self.n_layers = len(self.shapes)
        self.domain = ((-3.0, 3.0),) * self.dim

    def unpack(self, theta: npt.ArrayLike) -> list[tuple[FloatArray, FloatArray]]:
        """Split ``θ`` (``(..., dim)``) into ``[(W_1, b_1), ...]``, ``W_l`` of shape ``(..., n_l,
        n_{l-1})`` and ``b_l`` ``(..., n_l)``."""
        t = self._points(theta)
        out, k = [], 0
        for o, i in self.shapes:
            W = t[..., k : k + o * i].reshape(t.shape[:-1] + (o, i))
            out.append((W, t[..., k + o * i : k + o * (i + 1)]))
            k += o * (i + 1)
        return out

    def init_params(
        self, seed: int | np.random.Generator | None, scheme: str = "xavier", std: float = 1.0
    ) -> FloatArray:
        """Draw a starting parameter vector ``(dim,)`` from ``np.random.default_rng(seed)``.

        Weights of layer ``l`` (``fan_in = n_{l-1}``, ``fan_out = n_l``):

        - ``"naive"``: N(0, std²) (std 1 by default); biases 0. ``std`` is for this scheme only.
        - ``"xavier"`` (Glorot and Bengio 2010): N(0, 2/(fan_in + fan_out)); biases 0.
        - ``"he"`` (He et al. 2015): N(0, 2/fan_in); biases 0.
        - ``"torch"``: torch.nn.Linear's default, weights *and* biases U(−1/√fan_in, 1/√fan_in),
          variance 1/(3 fan_in): neither Xavier's nor He's.

        Raises
        ------
        ValueError
            For an unknown scheme, a ``std`` that is not a positive finite number, or a ``std``
            other than 1 given with a scheme other than ``"naive"`` (it would be ignored).
        """
        scheme = _choice("scheme", scheme, INIT_SCHEMES)
        if not (np.isfinite(std) and std > 0):
            raise ValueError(f"std must be a positive finite number; got {std}")
        if scheme != "naive" and std != 1.0:
            raise ValueError(
                f"std applies to the 'naive' scheme only; got std={std} with {scheme!r}"
            )
        rng = np.random.default_rng(seed)
        parts = []
        for fan_out, fan_in in self.shapes:
            if scheme == "torch":
                bound = 1.0 / np.sqrt(fan_in)
                parts.append(rng.uniform(-bound, bound, fan_out * fan_in))
                parts.append(rng.uniform(-bound, bound, fan_out))
                continue
            s = {
                "naive": std,
                "xavier": np.sqrt(2.0 / (fan_in + fan_out)),
                "he": np.sqrt(2.0 / fan_in),
            }[scheme]
            parts.append(rng.normal(0.0, s, fan_out * fan_in))
            parts.append(np.zeros(fan_out))
        return np.concatenate(parts)

    def _act(self, z: FloatArray) -> FloatArray:
        return np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)

    def _act_slope(self, z: FloatArray, h: FloatArray) -> FloatArray:
        return 1.0 - h**2 if self.activation == "tanh" else (z > 0).astype(float)

    def _forward(self, theta: npt.ArrayLike, X: FloatArray) -> tuple[list[Any], list[Any]]:
        """Return the pre-activations ``z_1..z_L`` and the layer outputs ``h_0 = X, ..., h_L``."""
        layers = self.unpack(theta)
        zs: list[Any] = []
        hs: list[Any] = [X]
        for l, (W, b) in enumerate(layers):
            z = hs[-1] @ np.swapaxes(W, -1, -2) + b[..., None, :]
            zs.append(z)
            hs.append(z if l == self.n_layers - 1 else self._act(z))
        return zs, hs

    def predict(self, theta: npt.ArrayLike, X: npt.ArrayLike | None = None) -> FloatArray:
        """Return the outputs (predictions or logits) ``(..., m, n_out)`` at the inputs ``X``."""
        inputs = self.X if X is None else np.asarray(X, dtype=float)
        if inputs.ndim != 2 or inputs.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (m, {self.sizes[0]}); got {inputs.shape}")
        out: FloatArray = self._forward(theta, inputs)[1][-1]
        return out

    def _loss_and_slope(self, out: FloatArray, yb: FloatArray) -> tuple[Any, FloatArray]:
        """Return the mean loss ``(...)`` and ∂L/∂out ``(..., m, n_out)``."""
        m, n_out = len(yb), self.sizes[-1]
        if self.loss == "cross_entropy":
            shifted = out - out.max(axis=-1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            onehot = np.eye(n_out)[yb.astype(int)]
            loss = -np.mean(np.sum(onehot * logp, axis=-1), axis=-1)
            return loss, (np.exp(logp) - onehot) / m
        target = yb[:, None] if n_out == 1 else np.eye(n_out)[yb.astype(int)]
        r = out - target
        return np.mean(np.sum(r**2, axis=-1), axis=-1), 2.0 * r / m

    def value(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> Any:
        """Return the mean loss over the batch rows, shape ``(...)``."""
        Xb, yb = self._rows(batch)
        return self._loss_and_slope(self._forward(x, Xb)[1][-1], yb)[0]

    def _backward(
        self, x: npt.ArrayLike, batch: npt.ArrayLike | None
    ) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        """Backpropagation: return ∂L/∂h_l (l = 1..L), ∂L/∂W_l, ∂L/∂b_l and the outputs h_l."""
        Xb, yb = self._rows(batch)
        layers = self.unpack(x)
        zs, hs = self._forward(x, Xb)
        d_h = self._loss_and_slope(hs[-1], yb)[1]
        d_hs, d_Ws, d_bs = [], [], []
        for l in range(self.n_layers - 1, -1, -1):
            d_hs.append(d_h)
            d_z = d_h if l == self.n_layers - 1 else d_h * self._act_slope(zs[l], hs[l + 1])
            d_Ws.append(np.swapaxes(d_z, -1, -2) @ hs[l])
            d_bs.append(d_z.sum(axis=-2))
            d_h = d_z @ layers[l][0]
        return d_hs[::-1], d_Ws[::-1], d_bs[::-1], hs[1:]

    def grad(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return the gradient by backpropagation, shape ``(..., dim)``."""
        _, d_Ws, d_bs, _ = self._backward(x, batch)
        parts = []
        for dW, db in zip(d_Ws, d_bs, strict=True):
            parts += [dW.reshape(dW.shape[:-2] + (-1,)), db]
        return np.concatenate(parts, axis=-1)

    def layer_norms(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> LayerNorms:
        """Return the per-layer norms at one parameter vector ``x`` (shape ``(dim,)``).

        ``backward`` = ‖∂L/∂h_l‖ (the backpropagated signal), ``weight_grad`` = ‖∂L/∂W_l‖ and
        ``forward`` = std of ``h_l``, each an array of length ``L`` (layer 1 first). A signal that
        shrinks (grows) geometrically from the output back to layer 1 is a vanishing (exploding)
        gradient.

        Raises
        ------
        ValueError
            If ``x`` is not one point of shape ``(dim,)``.
        """
        theta = self._points(x)
        if theta.ndim != 1:
            raise ValueError(
                f"layer_norms takes one point of shape ({self.dim},); got {theta.shape}"
            )
        d_hs, d_Ws, _, hs = self._backward(theta, batch)
        return LayerNorms(
            backward=np.array([np.linalg.norm(d) for d in d_hs]),
            weight_grad=np.array([np.linalg.norm(d) for d in d_Ws]),
            forward=np.array([float(np.std(h)) for h in hs]),
        )

    def hessian(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return a central-difference Hessian of the gradient (step 1e-5), ``(..., dim, dim)``,
        symmetrized. It costs ``2·dim`` gradients: for small networks only."""
        theta = self._points(x)
        eps = 1e-5
        cols = []
        for j in range(self.dim):
            e = np.zeros(self.dim)
            e[j] = eps
            cols.append((self.grad(theta + e, batch) - self.grad(theta - e, batch)) / (2 * eps))
        H = np.stack(cols, axis=-1)
        sym: FloatArray = 0.5 * (H + np.swapaxes(H, -1, -2))
        return sym

    def __repr__(self) -> str:
        return (
            f"MLP(n_samples={self.n_samples}, sizes={self.sizes}, "
            f"activation={self.activation!r}, loss={self.loss!r})"
        )
