"""Floating-point formats of training: their limits, and a bfloat16 emulation for NumPy.

A binary floating-point format with ``p`` fraction bits and ``e`` exponent bits has

- machine epsilon ``eps = 2**-p`` (the gap from 1 to the next number),
- largest finite value ``(2 - 2**-p) * 2**emax`` with ``emax = 2**(e - 1) - 1``,
- smallest normal ``2**(1 - emax)`` and smallest subnormal ``2**(1 - emax - p)``.

:data:`FORMATS` holds these for float16 (p = 10, e = 5), bfloat16 (p = 7, e = 8), float32
(p = 23, e = 8) and float64 (p = 52, e = 11); they equal ``np.finfo`` where NumPy has the type.
NumPy has no bfloat16, so :func:`to_bfloat16` emulates it: it rounds to the nearest bfloat16
value (ties to even) and stores the result in float32, the way a bfloat16 tensor holds it.

>>> from optcourse.precision import FORMATS, to_bfloat16
>>> FORMATS["float16"].max, FORMATS["bfloat16"].eps
(65504.0, 0.0078125)
>>> float(to_bfloat16(1.0 + 2**-8))  # a tie between 1 and 1 + 2**-7: to the even one
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FORMATS", "FloatFormat", "round_to", "to_bfloat16", "update_is_lost"]


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: its bit counts and the limits they give.

    ``fraction_bits`` (p) and ``exponent_bits`` (e) determine everything else; see the module
    docstring for the formulas.
    """

    name: str
    fraction_bits: int
    exponent_bits: int

    @property
    def bits(self) -> int:
        """Total bits: sign, exponent and fraction."""
        return 1 + self.exponent_bits + self.fraction_bits

    @property
    def emax(self) -> int:
        """The largest exponent of a finite number, ``2**(e - 1) - 1``."""
        return int(2 ** (self.exponent_bits - 1) - 1)

    @property
    def eps(self) -> float:
        """Machine epsilon ``2**-p``: the gap between 1 and the next representable number."""
        return float(2.0**-self.fraction_bits)

    @property
    def max(self) -> float:
        """The largest finite value ``(2 - 2**-p) * 2**emax``; anything larger rounds to inf."""
        return float((2.0 - 2.0**-self.fraction_bits) * 2.0**self.emax)

    @property
    def smallest_normal(self) -> float:
        """The smallest positive normal number ``2**(1 - emax)``."""
        return float(2.0 ** (1 - self.emax))

    @property
    def smallest_subnormal(self) -> float:
        """The smallest positive number ``2**(1 - emax - p)``; half of it rounds to 0."""
        return float(2.0 ** (1 - self.emax - self.fraction_bits))


#: The four formats of mixed-precision training, by name.
FORMATS = {
    "float16": FloatFormat("float16", 10, 5),
    "bfloat16": FloatFormat("bfloat16", 7, 8),
    "float32": FloatFormat("float32", 23, 8),
    "float64": FloatFormat("float64", 52, 11),
}


def to_bfloat16(x: ArrayLike) -> NDArray[np.float32]:
    """Round ``x`` to bfloat16 (nearest, ties to even) and return it stored in float32.

    ``x`` is first converted to float32 (as a float32 training step would hold it); then the low
    16 bits of each float32 are rounded away: add ``0x7FFF`` plus the lowest kept bit, and clear
    the low 16 bits. Values beyond :data:`FORMATS` ``["bfloat16"].max`` by half a unit or more round
    to ±inf; NaN stays NaN. The result's low 16 bits are zero, so it is exactly a bfloat16 value.
    """
    with np.errstate(over="ignore"):  # beyond float32's range: inf, as documented
        x32 = np.asarray(x, dtype=np.float32)
    bits = x32.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32)
    out = np.where(np.isnan(x32), np.float32(np.nan), out).astype(np.float32)
    return out


def round_to(x: ArrayLike, fmt: str) -> NDArray[Any]:
    """Return ``x`` rounded to the format ``fmt`` (a key of :data:`FORMATS`).

    float16, float32 and float64 use NumPy's types; bfloat16 uses :func:`to_bfloat16` (stored in
    float32). Values beyond the format's largest finite value by half a unit or more become ±inf,
    without a warning.

    Raises
    ------
    ValueError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {tuple(FORMATS)}; got {fmt!r}")
    if fmt == "bfloat16":
        return to_bfloat16(x)
    with np.errstate(over="ignore"):  # beyond the format's range: inf, as IEEE rounding says
        return np.asarray(x).astype(fmt)


def update_is_lost(w: ArrayLike, step: ArrayLike, fmt: str) -> NDArray[np.bool_]:
    """Return, elementwise, whether ``w + step`` rounds back to ``w`` in the format ``fmt``.

    ``w`` and ``step`` are first rounded to ``fmt``; the sum is formed in float64 (exact for these
    formats' values unless they are far apart) and rounded to ``fmt``, as a parameter stored in
    ``fmt`` is updated. Roughly, the update is lost when ``|step| < eps * |w| / 2``.

    Raises
    ------
    ValueError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    w_f = round_to(w, fmt)
    s_f = round_to(step, fmt)
    total = round_to(w_f.astype(np.float64) + s_f.astype(np.float64), fmt)
    return np.asarray(total == w_f)
