"""Tests of optcourse.costs: memory and flop counts per optimizer step."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optcourse.costs import (
    METHODS,
    checkpoint_bytes,
    cholesky_flops,
    cost_table,
    lbfgs_two_loop_flops,
    state_bytes,
    state_numbers,
)

N = 10**9


def test_counts_for_a_billion_parameters() -> None:
    assert state_numbers("newton", N) == 10**18
    assert state_bytes("newton", N) == 4 * 10**18  # 4 exabytes in float32
    assert state_numbers("lbfgs", N, history_size=10) == 2 * 10**10
    assert state_numbers("adam", N) == 2 * 10**9
    assert state_numbers("sgd_momentum", N) == 10**9
    assert state_numbers("sgd", N) == 0
    assert cholesky_flops(N) == 10**27 // 3
    assert lbfgs_two_loop_flops(N, 10) == 8 * 10**10
    assert checkpoint_bytes(N) == 12 * 10**9
    assert checkpoint_bytes(N, "sgd_momentum", "float64") == 16 * 10**9


@given(st.integers(1, 10**6), st.integers(1, 50))
def test_the_order_of_the_methods_by_memory(n: int, m: int) -> None:
    rows = cost_table(n, history_size=m)
    assert [r.method for r in rows] == list(METHODS)
    numbers = {r.method: r.numbers for r in rows}
    assert numbers["adam"] == 2 * numbers["sgd_momentum"] == 2 * n
    assert numbers["lbfgs"] == m * numbers["adam"]
    if n > 2 * m:  # the Hessian outgrows the history once n > 2m
        assert numbers["newton"] > numbers["lbfgs"]
    assert all(r.bytes == 4 * r.numbers for r in rows)


def test_small_cholesky_count_is_the_leading_term() -> None:
    assert cholesky_flops(3) == 9 and cholesky_flops(1) == 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: state_numbers("bfgs", 10), "method must be one of"),
        (lambda: state_numbers("adam", 0), "n must be an integer >= 1"),
        (lambda: state_numbers("adam", 2.5), "n must be an integer"),
        (lambda: state_numbers("lbfgs", 10, history_size=0), "history_size"),
        (lambda: state_bytes("adam", 10, dtype="int8"), "dtype must be one of"),
        (lambda: cholesky_flops(-1), "n must be"),
    ],
)
def test_bad_input_is_named(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        call()
