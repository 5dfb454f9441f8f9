"""What one optimizer step costs, as counts of numbers stored and floating-point operations.

Chapter 12 compares second-order and first-order methods for a model with ``n`` parameters. Every
function here returns an exact count (a Python ``int``, so ``n = 10**9`` does not overflow), never
a timing: a count is the same on every machine, a timing is not.

- Memory kept between steps (beyond the parameters and the gradient): Newton stores the ``n × n``
  Hessian, ``n²`` numbers; L-BFGS stores ``m`` curvature pairs ``(s, y)``, ``2·m·n`` numbers; Adam
  two moment buffers, ``2n``; SGD with momentum one buffer, ``n``; plain SGD nothing.
- Work per step for the linear algebra, in flops (each addition and each multiplication counts
  as one, as in Golub and Van Loan, *Matrix Computations*, 4th ed., 2013, §4.2): a Cholesky
  factorization of the Hessian costs about ``n³/3`` flops, that is ``n³/6`` multiply-add pairs
  (:func:`cholesky_flops`, the leading term); the L-BFGS two-loop recursion ``4·m·n``
  multiplications and as many additions, ``8·m·n`` flops (:func:`lbfgs_two_loop_flops`; Nocedal
  and Wright, *Numerical Optimization*, 2nd ed., 2006, §7.2, count the ``4·m·n``
  multiplications).

>>> from optcourse.costs import state_numbers
>>> state_numbers("adam", 10**9)
2000000000
"""

from __future__ import annotations

from dataclasses import dataclass

from optcourse._validation import check_int

__all__ = [
    "BYTES_PER_NUMBER",
    "METHODS",
    "CostRow",
    "checkpoint_bytes",
    "cholesky_flops",
    "cost_table",
    "lbfgs_two_loop_flops",
    "state_bytes",
    "state_numbers",
]

#: Bytes of one number in each storage format.
BYTES_PER_NUMBER = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2}

#: The methods the functions know, in the order of :func:`cost_table`.
METHODS = ("newton", "lbfgs", "adam", "sgd_momentum", "sgd")


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    return method


def _check_dtype(dtype: str) -> int:
    if dtype not in BYTES_PER_NUMBER:
        raise ValueError(f"dtype must be one of {tuple(BYTES_PER_NUMBER)}; got {dtype!r}")
    return BYTES_PER_NUMBER[dtype]


def state_numbers(method: str, n: int, history_size: int = 10) -> int:
    """Return how many numbers ``method`` keeps between steps for ``n`` parameters.

    ``"newton"``: the Hessian, ``n**2``; ``"lbfgs"``: ``history_size`` pairs of ``n``-vectors,
    ``2 * history_size * n``; ``"adam"``: ``exp_avg`` and ``exp_avg_sq``, ``2 * n``;
    ``"sgd_momentum"``: ``momentum_buffer``, ``n``; ``"sgd"``: 0. The parameters and the gradient,
    which every method holds, are not counted.

    Raises
    ------
    ValueError
        If ``method`` is unknown or ``n``/``history_size`` is not an integer ``>= 1``.
    """
    _check_method(method)
    n = check_int("n", n)
    m = check_int("history_size", history_size)
    per_method = {"newton": n * n, "lbfgs": 2 * m * n, "adam": 2 * n, "sgd_momentum": n, "sgd": 0}
    return per_method[method]


def state_bytes(method: str, n: int, dtype: str = "float32", history_size: int = 10) -> int:
    """Return the bytes of :func:`state_numbers` stored in ``dtype`` (``"float32"``: 4 bytes each).

    Raises
    ------
    ValueError
        As :func:`state_numbers`, or if ``dtype`` is not one of :data:`BYTES_PER_NUMBER`.
    """
    size = _check_dtype(dtype)
    return size * state_numbers(method, n, history_size)


def cholesky_flops(n: int) -> int:
    """Return ``n**3 // 3``, the leading term of the flop count of a Cholesky factorization.

    Solving ``H d = g`` with a dense symmetric positive-definite ``H`` costs this plus ``2 * n**2``
    for the two triangular solves. Each addition and each multiplication counts as one flop, so
    ``n**3 / 3`` flops are about ``n**3 / 6`` multiply-add pairs.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1``.
    """
    n = check_int("n", n)
    return n**3 // 3


def lbfgs_two_loop_flops(n: int, history_size: int = 10) -> int:
    """Return ``8 * history_size * n``, the flops of the L-BFGS two-loop recursion.

    Each of the ``m`` pairs costs two dot products and two scaled vector updates: ``4n``
    multiplications and ``4n`` additions, counted like :func:`cholesky_flops`.

    Raises
    ------
    ValueError
        If ``n`` or ``history_size`` is not an integer ``>= 1``.
    """
    n = check_int("n", n)
    m = check_int("history_size", history_size)
    return 8 * m * n


def checkpoint_bytes(
    n: int, method: str = "adam", dtype: str = "float32", history_size: int = 10
) -> int:
    """Return the bytes of a checkpoint: the ``n`` parameters plus the optimizer's state.

    A checkpoint that can resume training exactly must hold both; with Adam in float32 that is
    ``4 * (n + 2 * n) = 12 * n`` bytes. Step counters and scalars are ignored.

    Raises
    ------
    ValueError
        As :func:`state_bytes`.
    """
    n = check_int("n", n)
    return _check_dtype(dtype) * n + state_bytes(method, n, dtype, history_size)


@dataclass(frozen=True)
class CostRow:
    """A row of :func:`cost_table`: a method's state in numbers and bytes, and its solve flops."""

    method: str
    numbers: int
    bytes: int
    solve_flops: int


def cost_table(n: int, dtype: str = "float32", history_size: int = 10) -> list[CostRow]:
    """Return one :class:`CostRow` per method of :data:`METHODS` for a model of ``n`` parameters.

    ``solve_flops`` is the linear algebra a step adds to the gradient, in flops:
    :func:`cholesky_flops` for Newton, :func:`lbfgs_two_loop_flops` for L-BFGS, 0 for the
    first-order methods (their element-wise updates cost a few ``n``).

    Raises
    ------
    ValueError
        As :func:`state_bytes`.
    """
    flops = {"newton": cholesky_flops(n), "lbfgs": lbfgs_two_loop_flops(n, history_size)}
    return [
        CostRow(
            method,
            state_numbers(method, n, history_size),
            state_bytes(method, n, dtype, history_size),
            flops.get(method, 0),
        )
        for method in METHODS
    ]
