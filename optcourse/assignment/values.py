"""Answers as plain data, and how one is compared with the expected one.

What crosses from a notebook kernel to the grader is plain data (:func:`to_plain`, from
:mod:`optcourse.plain`, the one value boundary shared with the grader's kernel): ``None``, bools,
numbers, strings, lists and dicts. :func:`compare` checks a value against the expected one
(form first, then the numbers within tolerances) and says in words what is wrong, without giving
the answer away; :func:`probe_problem` words a value that could not be produced at all
(:class:`ProbeError`). :mod:`optcourse.assignment.specs` builds the tests on these.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from optcourse.plain import NotPlainError, Unanswered, to_plain

__all__ = [
    "PlainValue",
    "ProbeError",
    "Verdict",
    "Code",
    "NotPlainError",
    "Unanswered",
    "to_plain",
    "compare",
    "probe_problem",
]

PlainValue = Union[None, bool, int, float, str, list, dict]  # noqa: UP007 (a runtime alias)
"""Plain data: what crosses from a notebook kernel to the grader (as JSON)."""


@dataclass(frozen=True)
class ProbeError:
    """A probe that produced no plain value: ``kind`` is the exception name, or ``"Unanswered"``."""

    kind: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of one test: ``score`` in ``[0, points]``, ``passed``, a feedback ``message``."""

    score: float
    passed: bool
    message: str


class Code:
    """Source text used as an argument in ``check_call`` cases, e.g. ``Code("lambda x: 2 * x")``.

    It is pasted verbatim into the call evaluated in the notebook, and evaluated in the grader (with
    ``np`` and ``math`` available) when a reference function needs the actual object.
    """

    def __init__(self, source: str) -> None:
        if not isinstance(source, str) or not source.strip():
            raise ValueError(f"Code needs non-empty source text, got {source!r}")
        self.source = source

    def __repr__(self) -> str:
        return self.source

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Code) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def evaluate(self) -> Any:
        """Return the object this source text denotes (trusted instructor code)."""
        return eval(self.source, {"np": np, "math": math})  # noqa: S307


# ----------------------------------------------------------------------------------------------
# Comparison (runs in the grader, or in the notebook for feedback).


def describe_value(value: PlainValue) -> str:
    """Say what kind of value this is, without revealing much: 'a number', 'a list of 3', ..."""
    if value is None:
        return "None (a function without `return` gives None: return the result, not print it)"
    if isinstance(value, bool):
        return f"{value} (a bool)"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a dict"
    return type(value).__name__


def is_number(value: PlainValue) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _all_numbers(value: PlainValue) -> bool:
    if isinstance(value, list):
        return all(_all_numbers(v) for v in value)
    return is_number(value)


def _as_float_array(value: PlainValue) -> np.ndarray | None:
    """A float array for a number or a (rectangular) nested list of numbers, else None."""
    if not _all_numbers(value):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):  # ragged nested lists
        return None
    return arr


def _close(got: np.ndarray, want: np.ndarray, atol: float, rtol: float, diverged: float | None):
    """Elementwise: equal NaNs, equal infinities, within tolerance; with ``diverged``, any two
    values that are non-finite or larger than it in size count as equal ("both diverged")."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(got) & np.isfinite(want)
        ok = finite & (np.abs(got - want) <= atol + rtol * np.abs(want))
        ok |= np.isnan(got) & np.isnan(want)
        ok |= np.isinf(got) & np.isinf(want) & (np.sign(got) == np.sign(want))
        if diverged is not None:
            big_got = ~np.isfinite(got) | (np.abs(got) > diverged)
            big_want = ~np.isfinite(want) | (np.abs(want) > diverged)
            ok = np.where(big_want | big_got, big_want & big_got, ok)
    return ok


def compare(
    got: PlainValue,
    want: PlainValue,
    *,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    diverged: float | None = None,
    reveal: bool = False,
) -> str | None:
    """Return ``None`` when ``got`` matches ``want``, else a message saying what is wrong.

    Numbers and (nested) lists of numbers are compared with ``|got − want| ≤ atol + rtol·|want|``
    (NaN matches NaN, inf matches inf). Strings compare after stripping; bools and None exactly.
    The message shows the expected value only when ``reveal`` is true (public examples).
    """
    shown = f" (expected {want!r})" if reveal else ""
    if isinstance(want, bool) or want is None:
        if got is want or (isinstance(got, bool) and got == want):
            return None
        if not isinstance(got, bool) and want is not None:
            return f"expected True or False, got {describe_value(got)}"
        return f"not the right answer{shown}"
    if isinstance(want, str):
        if not isinstance(got, str):
            return f"expected a string, got {describe_value(got)}"
        if got.strip() == want.strip():
            return None
        return f"not the right answer{shown}"
    want_arr = _as_float_array(want)
    if want_arr is None:  # lists of strings, dicts: exact comparison
        if got == want:
            return None
        return f"got {describe_value(got)} that does not match{shown}"
    got_arr = _as_float_array(got)
    if got_arr is None:
        kind = "a number" if want_arr.ndim == 0 else f"a list of {want_arr.size} numbers"
        return f"expected {kind}, got {describe_value(got)}"
    if want_arr.ndim == 0 and got_arr.ndim != 0:
        out = " (take the number out of the list)" if got_arr.size == 1 else ""
        return f"expected a number, got {describe_value(got)}{out}"
    if got_arr.shape != want_arr.shape:
        return _shape_problem(got_arr.shape, want_arr.shape, reveal)
    ok = _close(got_arr, want_arr, atol, rtol, diverged)
    if bool(np.all(ok)):
        return None
    near = _near(got_arr, want_arr, atol, rtol)
    tolerance = f"(atol={atol:g}, rtol={rtol:g})"
    if want_arr.ndim == 0:
        if bool(near):
            precision = "keep full precision (no rounding; float64, not float32)"
            return f"close, but not within the tolerance {tolerance}: {precision}{shown}"
        return f"wrong value{shown}"
    bad = ~ok
    n_bad = int(np.count_nonzero(bad))
    if bool(np.all(near[bad])):
        close = "close, but not within the tolerance"
        return f"{n_bad} of {ok.size} entries are {close} {tolerance}{shown}"
    return f"{n_bad} of {ok.size} entries are wrong{shown}"


#: A miss within this share of the expected size is "close" (a rounded answer), not "wrong".
NEAR = 0.01


def _near(got: np.ndarray, want: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """Elementwise: a finite miss within 1% of the expected size (or 10 tolerances). Two whole
    numbers are never "close": a count off by one is wrong, not imprecise."""
    with np.errstate(all="ignore"):
        gap = np.abs(got - want)
        room = np.maximum(NEAR * np.abs(want), 10 * (atol + rtol * np.abs(want)))
        counts = (got == np.round(got)) & (want == np.round(want))
        return np.isfinite(gap) & (gap <= room) & ~counts


def _shape_problem(got: tuple[int, ...], want: tuple[int, ...], reveal: bool) -> str:
    """Words for a value of the wrong length or shape; the expected one only when ``reveal``."""
    if len(got) == len(want) == 1:
        if reveal:
            return f"expected {want[0]} entries, got {got[0]}"
        return f"it has {got[0]} entries, which is not the expected length"
    if reveal:
        return f"expected shape {want}, got shape {got}"
    return f"shape {got} is not the expected shape"


def short_text(value: PlainValue) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def probe_problem(value: ProbeError, expression: str) -> str:
    """A message for a probe that failed to produce a value."""
    if value.kind == "Unanswered":
        return f"`{expression}`: {value.message}"
    if "ellipsis" in value.message:
        return (
            f"`{clip_text(expression)}` uses a value that is still `...`: "
            "replace it with your answer"
        )
    if value.kind == "NameError":
        return (
            f"`{expression}` is not defined: run the cell that defines it, and keep the name "
            f"the exercise asks for ({value.message})"
        )
    if value.kind == "Timeout":
        return f"`{clip_text(expression)}` did not finish: {value.message} (an endless loop?)"
    if value.kind == "NotImplementedError":
        return f"`{expression}` is not implemented yet (it raises NotImplementedError)"
    if value.kind == NotPlainError.__name__:  # refused by to_plain, in the notebook or the kernel
        return f"`{expression}`: {value.message}"
    return f"evaluating `{clip_text(expression)}` raised {value.kind}: {clip_text(value.message)}"


def clip_text(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."
