"""Checking arguments, in one place: every ``check_*`` returns the clean value or raises.

Optimizers, schedules, stopping rules and :func:`optcourse.minimize` validate what they are given
when they are built, with these functions, so that a bad value fails at once with a message that
names the argument, the allowed range and the value received::

    >>> check_positive("eps", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: eps must be > 0 and finite, got 0.0

The messages are part of the library's behaviour (tests match them). Two punctuation styles exist
for historical reasons: the optimizers and schedules write ``..., got X`` and the stopping rules and
``minimize`` write ``...; got X``; :func:`check_int` takes ``sep`` to keep both unchanged.

This module is internal (the leading underscore): import the checks from here when you add an
optimizer, a schedule or a rule, rather than writing a new one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "SAMPLINGS",
    "LearningRate",
    "check_betas",
    "check_finite_number",
    "check_int",
    "check_lr",
    "check_nonnegative",
    "check_positive",
    "check_rate",
    "check_sampling",
    "check_unit_interval",
    "format_value",
]

#: A float or an array of floats that broadcasts against the parameters.
LearningRate = float | NDArray[np.float64]


def check_int(name: str, value: Any, *, minimum: int = 1, sep: str = ", ") -> int:
    """Return ``value`` as an ``int``; raise ``ValueError`` unless it is an integer ``>= minimum``.

    Python and NumPy integers are accepted; ``bool``, floats (even ``3.0``) and strings are not.
    ``sep`` is the punctuation before ``got`` in the message (see the module docstring).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}{sep}got {value!r}")
    return int(value)


#: How mini-batches are drawn: reshuffled epochs, or independent draws with replacement.
SAMPLINGS = ("epochs", "replacement")


def check_sampling(sampling: Any) -> str:
    """Return ``sampling``; raise ``ValueError`` unless it is one of :data:`SAMPLINGS`."""
    if not isinstance(sampling, str) or sampling not in SAMPLINGS:
        raise ValueError(
            "sampling must be 'epochs' (reshuffled epochs) or 'replacement' (independent "
            f"draws with replacement); got {sampling!r}"
        )
    return sampling


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float; raise ``ValueError`` unless ``value >= 0`` (inf allowed)."""
    value = float(value)
    if not value >= 0.0:  # also rejects NaN
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it is finite and ``> 0``."""
    value = float(value)
    if not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be > 0 and finite, got {value!r}")
    return value


def check_finite_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it is finite and ``>= 0``."""
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return v


def check_norm_type(norm_type: float) -> float:
    """Return the order ``p`` of a norm as a float; raise ``ValueError`` unless ``p > 0`` or inf."""
    p = float(norm_type)
    if not (p == math.inf or (math.isfinite(p) and p > 0)):
        raise ValueError(f"norm_type must be a positive number or inf; got {norm_type!r}")
    return p


def check_finite_number(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float; it must be finite and ``> 0`` (``>= 0`` with ``allow_zero``).

    Raises ``TypeError`` if ``value`` is not a number at all, ``ValueError`` if it is out of range
    (the stopping rules' thresholds and budgets use this check).
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {value!r}") from None
    ok = (v >= 0.0 if allow_zero else v > 0.0) and math.isfinite(v)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {value!r}")
    return v


def check_unit_interval(name: str, value: float, *, closed: bool = False) -> float:
    """Return ``value`` as a float; raise unless it is in ``[0, 1)`` (``[0, 1]`` if ``closed``)."""
    value = float(value)
    ok = 0.0 <= value <= 1.0 if closed else 0.0 <= value < 1.0
    if not ok:
        interval = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    """Validate Adam-style ``betas = (beta1, beta2)``: two numbers, each in ``[0, 1)``."""
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return check_unit_interval("betas[0]", beta1), check_unit_interval("betas[1]", beta2)


def check_rate(name: str, value: float) -> float:
    """Return one learning rate as a float; raise ``ValueError`` unless finite and ``>= 0``."""
    value = float(value)
    if not 0.0 <= value < math.inf:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return value


def check_lr(lr: ArrayLike, name: str = "lr") -> LearningRate:
    """Return a valid learning rate: a float, or a float64 array, every entry finite and >= 0.

    An array of rates (shape ``(k, 1)`` for ``k`` runs, say) is how one optimizer or schedule
    runs a whole sweep of learning rates at once.
    """
    if isinstance(lr, (float, int)) and not isinstance(lr, bool):
        return check_rate(name, lr)
    arr = np.asarray(lr, dtype=np.float64)
    if arr.ndim == 0:
        return check_rate(name, float(arr))
    if not np.all((arr >= 0.0) & (arr < math.inf)):
        raise ValueError(f"every entry of {name} must be finite and >= 0 (got min {arr.min()!r})")
    return arr


def format_value(value: Any) -> str:
    """How a checked hyperparameter appears in a ``repr``: arrays by their shape, the rest as is."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape})"
    return repr(value)
