"""Tests of optcourse.precision: format constants and the bfloat16 emulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optcourse.precision import FORMATS, round_to, to_bfloat16, update_is_lost


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_constants_equal_numpy_finfo(name: str) -> None:
    fmt, info = FORMATS[name], np.finfo(name)
    assert fmt.eps == float(info.eps)
    assert fmt.max == float(info.max)
    assert fmt.smallest_normal == float(info.smallest_normal)
    assert fmt.smallest_subnormal == float(info.smallest_subnormal)
    assert fmt.bits == info.bits


def test_bfloat16_constants() -> None:
    bf = FORMATS["bfloat16"]
    assert bf.bits == 16 and bf.eps == 2.0**-7
    assert bf.max == 3.3895313892515355e38  # (2 - 2**-7) * 2**127
    assert bf.smallest_normal == float(np.finfo(np.float32).smallest_normal)  # same exponent
    assert bf.smallest_subnormal == 2.0**-133


def test_bfloat16_rounding_cases() -> None:
    one = 1.0
    assert to_bfloat16(one + 2**-8) == 1.0  # tie, to the even neighbour 1
    assert to_bfloat16(one + 3 * 2**-8) == one + 2**-6  # tie, to the even neighbour
    assert to_bfloat16(one + 2**-8 + 2**-20) == one + 2**-7  # above the tie: up
    assert to_bfloat16(FORMATS["bfloat16"].max) == FORMATS["bfloat16"].max
    assert np.isinf(to_bfloat16(np.finfo(np.float32).max))  # past max + half a unit
    assert np.isnan(to_bfloat16(np.nan))
    assert np.isneginf(to_bfloat16(-np.inf))
    assert to_bfloat16(2.0**-133) == 2.0**-133 and to_bfloat16(2.0**-135) == 0.0
    assert to_bfloat16([1.0, -2.5]).dtype == np.float32


finite32 = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(finite32)
def test_bfloat16_is_the_nearest_representable_value(x: float) -> None:
    r = to_bfloat16(x)
    bits = int(np.float32(x).view(np.uint32))
    down = np.uint32(bits & 0xFFFF0000).view(np.float32)
    up = np.uint32((bits & 0xFFFF0000) + 0x10000).view(np.float32)
    assert int(np.asarray(r).view(np.uint32)) & 0xFFFF == 0  # exactly a bfloat16 value
    assert r in (down, up) or (np.isinf(r) and np.isinf(up))
    err = abs(float(r) - x)
    assert err <= min(abs(float(down) - x), abs(float(up) - x)) or np.isinf(r)
    assert to_bfloat16(r) == r  # idempotent


def test_update_lost_below_half_eps() -> None:
    for name in ("float16", "bfloat16", "float32"):
        eps = FORMATS[name].eps
        assert update_is_lost(1.0, 0.49 * eps, name)
        assert not update_is_lost(1.0, 0.51 * eps, name)
    assert not update_is_lost(1.0, 1e-4, "float32") and update_is_lost(1.0, 1e-4, "float16")


def test_round_to_names_the_bad_format() -> None:
    with pytest.raises(ValueError, match="fmt must be one of"):
        round_to(1.0, "float8")
    assert round_to(70000.0, "float16") == np.inf
