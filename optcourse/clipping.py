"""Gradient clipping by norm and by value, as torch.nn.utils does it, on NumPy arrays.

``clip_grad_norm(grads, max_norm)`` rescales all gradients together, g ← g · min(1, c/(‖g‖ + 1e-6)),
where ‖g‖ is the total norm over all parameters (the norm of the vector of per-parameter norms):
torch's ``clip_grad_norm_``, including its ``1e-6`` in the denominator, so a gradient whose norm
is exactly ``max_norm`` is still scaled, by ``c/(c + 1e-6)``. ``clip_grad_value(grads, c)`` clips
every entry to ``[−c, c]`` (torch's ``clip_grad_value_``). Both return new arrays (torch changes
``.grad`` in place). :class:`optcourse.optimizers.Clipped` applies them inside ``minimize``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import check_finite_nonnegative, check_norm_type

__all__ = ["clip_grad_norm", "clip_grad_value", "total_norm", "clip_coefficient"]

#: torch's clip_grad_norm_ divides by total_norm + this.
EPS = 1e-6

Grads = ArrayLike | Sequence[ArrayLike]


def _as_list(grads: Grads) -> tuple[list[NDArray[np.float64]], bool]:
    """Return the gradients as a list of float arrays and whether one array was given."""
    if isinstance(grads, np.ndarray) or np.isscalar(grads):
        return [np.asarray(grads, dtype=float)], True
    arrays = [np.asarray(g, dtype=float) for g in grads]  # type: ignore[union-attr]
    if not arrays:
        raise ValueError("grads must hold at least one gradient array")
    return arrays, False


def total_norm(grads: Grads, norm_type: float = 2.0) -> float:
    """Return the total ``norm_type``-norm over all gradients, as ``clip_grad_norm_`` computes it.

    ``inf``: the largest absolute entry; otherwise the p-norm of the per-array p-norms (the same
    as the p-norm of all entries concatenated).

    Raises
    ------
    ValueError
        If ``norm_type`` is not positive (or inf), or ``grads`` is empty.
    """
    p = check_norm_type(norm_type)
    arrays, _ = _as_list(grads)
    if p == math.inf:
        return float(max(np.max(np.abs(a)) if a.size else 0.0 for a in arrays))
    norms = np.array([np.sum(np.abs(a) ** p) ** (1.0 / p) for a in arrays])
    return float(np.sum(norms**p) ** (1.0 / p))


def clip_coefficient(norm: ArrayLike, max_norm: float) -> Any:
    """Return torch's factor ``min(1, max_norm/(norm + 1e-6))`` (vectorized in ``norm``)."""
    with np.errstate(all="ignore"):
        return np.minimum(1.0, max_norm / (np.asarray(norm, dtype=float) + EPS))


def clip_grad_norm(
    grads: Grads, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> tuple[Any, float]:
    """Rescale the gradients so that their total norm is at most ``max_norm`` (torch's way).

    Returns ``(clipped, total_norm)``: ``clipped`` is a new array (one array given) or a list of
    new arrays, each ``g · min(1, max_norm/(total_norm + 1e-6))``; ``total_norm`` is the norm
    *before* clipping, what torch's ``clip_grad_norm_`` returns. A zero gradient is returned
    unchanged. A NaN or inf total norm (with ``error_if_nonfinite=False``) makes the coefficient NaN
    or 0, so the clipped entries come back NaN (or 0 where finite, for an inf norm), as in torch:
    check the returned norm, or pass ``error_if_nonfinite=True``.

    Raises
    ------
    ValueError
        If ``max_norm`` is negative or not finite, ``norm_type`` is not positive (or inf), or
        ``error_if_nonfinite`` is true and the total norm is NaN or inf (as torch raises).
    """
    c = check_finite_nonnegative("max_norm", max_norm)
    arrays, single = _as_list(grads)
    with np.errstate(all="ignore"):
        norm = total_norm(arrays, norm_type)
    if error_if_nonfinite and not math.isfinite(norm):
        raise ValueError(f"the total norm of order {norm_type} of the gradients is {norm}")
    coef = float(clip_coefficient(norm, c))
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in torch
        clipped = [a * coef for a in arrays]
    return (clipped[0] if single else clipped), norm


def clip_grad_value(grads: Grads, clip_value: float) -> Any:
    """Clip every gradient entry to ``[−clip_value, clip_value]`` (torch's ``clip_grad_value_``).

    Returns a new array (one array given) or a list of new arrays. Unlike norm clipping this
    changes the direction of the gradient.

    Raises
    ------
    ValueError
        If ``clip_value`` is negative or not finite.
    """
    c = check_finite_nonnegative("clip_value", clip_value)
    arrays, single = _as_list(grads)
    clipped = [np.clip(a, -c, c) for a in arrays]
    return clipped[0] if single else clipped
