"""What a test of an exercise is, and how an answer is judged: :class:`TestSpec` and its kinds.

A spec knows which Python expressions to evaluate in a student's notebook
(:meth:`TestSpec.make_probes`, with inputs drawn from a random generator for hidden tests) and
how to judge the plain values that come back (:meth:`TestSpec.judge`). The functions of
:mod:`optcourse.exercise` create specs; the grader and ``optcourse check`` use them.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

__all__ = [
    "PlainValue",
    "ProbeError",
    "Verdict",
    "Code",
    "Unanswered",
    "to_plain",
    "compare",
    "probe_problem",
    "TestSpec",
    "ValueSpec",
    "NumberSpec",
    "ChoiceSpec",
    "CallSpec",
    "Case",
]

PlainValue = Union[None, bool, int, float, str, list, dict]  # noqa: UP007 (a runtime alias)
"""Plain data: what crosses from a notebook kernel to the grader (as JSON)."""

_MAX_ELEMENTS = 100_000


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


class Unanswered(Exception):
    """The value is still the ``...`` placeholder."""


# ----------------------------------------------------------------------------------------------
# Kernel side: turning a student's value into plain data.


def to_plain(value: Any, _depth: int = 0) -> PlainValue:
    """Convert ``value`` to plain data (numbers, strings, lists, dicts); ``TypeError`` if it is not.

    numpy scalars become Python numbers, arrays and tuples become (nested) lists. ``...`` (the
    placeholder of an unanswered question) raises an "unanswered" error.
    """
    if _depth > 20:
        raise TypeError("the value is nested too deeply to be an answer")
    if value is Ellipsis:
        raise Unanswered("it is still `...`: replace the `...` with your answer")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError("it is a complex number; a real number is expected")
    if isinstance(value, np.ndarray):
        if value.size > _MAX_ELEMENTS:
            raise TypeError(f"it is an array of {value.size} numbers, too large to be an answer")
        return to_plain(value.tolist(), _depth + 1)
    if isinstance(value, (list, tuple)):
        if len(value) > _MAX_ELEMENTS:
            raise TypeError(f"it is a sequence of {len(value)} items, too long to be an answer")
        return [to_plain(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v, _depth + 1) for k, v in value.items()}
    kind = "function" if callable(value) else type(value).__name__
    raise TypeError(f"it is a {kind}, not a number, string or list")


# ----------------------------------------------------------------------------------------------
# Comparison (runs in the grader, or in the notebook for feedback).


def _describe(value: PlainValue) -> str:
    """Say what kind of value this is, without revealing much: 'a number', 'a list of 3', ..."""
    if value is None:
        return "None"
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


def _is_number(value: PlainValue) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _all_numbers(value: PlainValue) -> bool:
    if isinstance(value, list):
        return all(_all_numbers(v) for v in value)
    return _is_number(value)


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
            return f"expected True or False, got {_describe(got)}"
        return f"not the right answer{shown}"
    if isinstance(want, str):
        if not isinstance(got, str):
            return f"expected a string, got {_describe(got)}"
        if got.strip() == want.strip():
            return None
        return f"not the right answer{shown}"
    want_arr = _as_float_array(want)
    if want_arr is None:  # lists of strings, dicts: exact comparison
        if got == want:
            return None
        return f"got {_describe(got)} that does not match{shown}"
    got_arr = _as_float_array(got)
    if got_arr is None:
        kind = "a number" if want_arr.ndim == 0 else f"a list of {want_arr.size} numbers"
        return f"expected {kind}, got {_describe(got)}"
    if want_arr.ndim == 0 and got_arr.size == 1:
        got_arr = got_arr.reshape(())
    if got_arr.shape != want_arr.shape:
        if want_arr.ndim == 0:
            return f"expected a number, got {_describe(got)}"
        if reveal:
            return f"expected shape {want_arr.shape}, got shape {got_arr.shape}"
        return f"shape {got_arr.shape} is not the expected shape"
    ok = _close(got_arr, want_arr, atol, rtol, diverged)
    if bool(np.all(ok)):
        return None
    if want_arr.ndim == 0:
        return f"not within tolerance (atol={atol:g}, rtol={rtol:g}){shown}"
    bad = int(np.size(ok) - np.count_nonzero(ok))
    return f"{bad} of {ok.size} entries are not within tolerance (atol={atol:g}){shown}"


def _short(value: PlainValue) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def probe_problem(value: ProbeError, expression: str) -> str:
    """A message for a probe that failed to produce a value."""
    if value.kind == "Unanswered":
        return f"`{expression}`: {value.message}"
    if "ellipsis" in value.message:
        return (
            f"`{_clip(expression)}` uses a value that is still `...`: replace it with your answer"
        )
    if value.kind == "NameError":
        return f"`{expression}` is not defined: run the cell that defines it ({value.message})"
    if value.kind == "Timeout":
        return f"`{_clip(expression)}` did not finish: {value.message} (an endless loop?)"
    if value.kind == "NotImplementedError":
        return f"`{expression}` is not implemented yet (it raises NotImplementedError)"
    if value.kind == "TypeError" and value.message.startswith("it is"):
        return f"`{expression}`: {value.message}"
    return f"evaluating `{_clip(expression)}` raised {value.kind}: {_clip(value.message)}"


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# ----------------------------------------------------------------------------------------------
# Test specifications.


class TestSpec:
    """One test of one question: what to evaluate in the notebook and how to judge it.

    Attributes: ``name`` (unique in the assignment, e.g. ``"q7.hidden.1"``, set when the master
    is loaded), ``question``, ``points``, ``visibility`` (``"public"`` or ``"hidden"``) and
    ``describe`` (words for the feedback). Use :meth:`make_probes` then :meth:`judge`, once
    each per run.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        question: str,
        *,
        points: float,
        hidden: bool,
        describe: str,
        hint: str | None,
    ) -> None:
        if not isinstance(question, str) or not question:
            raise ValueError(f"question must be a question id such as 'q1', got {question!r}")
        if not (isinstance(points, (int, float)) and points >= 0 and math.isfinite(points)):
            raise ValueError(f"points must be a finite number >= 0, got {points!r}")
        self.question = question
        self.points = float(points)
        self.visibility = "hidden" if hidden else "public"
        self.describe = describe
        self.hint = hint
        self.name = f"{question}.{self.visibility}"

    def make_probes(self, rng: np.random.Generator) -> list[str]:
        """Return the Python expressions to evaluate in the notebook's kernel."""
        raise NotImplementedError

    def _judge(self, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        """Return (fraction of the points earned, message when not everything passed)."""
        raise NotImplementedError

    def judge(self, values: Sequence[PlainValue | ProbeError]) -> Verdict:
        """Judge the values the probes produced (same order as :meth:`make_probes`)."""
        values = list(values)
        expected = self._n_probes()
        if len(values) != expected:
            raise ValueError(f"{self.name}: expected {expected} probe values, got {len(values)}")
        fraction, message = self._judge(values)
        passed = fraction >= 1.0
        if not passed and self.hint:
            message = f"{message}. Hint: {self.hint}"
        return Verdict(
            score=self.points * fraction, passed=passed, message=message if not passed else ""
        )

    def _n_probes(self) -> int:
        raise NotImplementedError

    def _seed(self) -> int:
        """A stable seed for notebook runs of hidden tests (the grader seeds its own rng)."""
        return zlib.crc32(f"{self.name}|{self.describe}".encode())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {self.describe}>"


class _ExpressionSpec(TestSpec):
    """A test that evaluates one expression and checks its value."""

    def __init__(self, question: str, expression: str, **kw: Any) -> None:
        if not isinstance(expression, str) or not expression.strip():
            raise ValueError(f"expression must be Python source text, got {expression!r}")
        compile(expression, "<probe>", "eval")
        super().__init__(question, **kw)
        self.expression = expression

    def make_probes(self, rng: np.random.Generator) -> list[str]:
        return [self.expression]

    def _n_probes(self) -> int:
        return 1

    def _judge(self, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        value = values[0]
        if isinstance(value, ProbeError):
            return 0.0, probe_problem(value, self.expression)
        problem = self._check(value)
        return (0.0, problem) if problem else (1.0, "")

    def _check(self, value: PlainValue) -> str | None:
        raise NotImplementedError


class ValueSpec(_ExpressionSpec):
    """``check_value``: the expression must equal ``expected`` within the tolerances."""

    def __init__(
        self, question: str, expression: str, expected: Any, atol: float, rtol: float, **kw: Any
    ):
        super().__init__(question, expression, **kw)
        self.expected = to_plain(expected)
        self.atol, self.rtol = float(atol), float(rtol)

    def _check(self, value: PlainValue) -> str | None:
        problem = compare(value, self.expected, atol=self.atol, rtol=self.rtol)
        return f"`{self.expression}` = {_short(value)}: {problem}" if problem else None


class NumberSpec(_ExpressionSpec):
    """``check_number``: the expression must be a finite real number (optionally in a range)."""

    def __init__(
        self,
        question: str,
        expression: str,
        low: float | None,
        high: float | None,
        integer: bool,
        **kw: Any,
    ) -> None:
        super().__init__(question, expression, **kw)
        self.low, self.high, self.integer = low, high, integer

    def _check(self, value: PlainValue) -> str | None:
        if isinstance(value, list) and len(value) == 1 and _is_number(value[0]):
            value = value[0]
        if not _is_number(value):
            return f"`{self.expression}` should be a number, but it is {_describe(value)}"
        assert isinstance(value, (int, float))
        if not math.isfinite(value):
            return f"`{self.expression}` should be a finite number, but it is {value}"
        if self.integer and value != round(value):
            return f"`{self.expression}` should be a whole number, but it is {value}"
        too_low = self.low is not None and value < self.low
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            if self.high is None:
                bounds = f"at least {self.low}"
            elif self.low is None:
                bounds = f"at most {self.high}"
            else:
                bounds = f"between {self.low} and {self.high}"
            return f"`{self.expression}` should be {bounds}, but it is {value}"
        return None


class ChoiceSpec(_ExpressionSpec):
    """``check_choice``: a multiple-choice answer, one of ``choices`` (case and spaces ignored;
    a letter may be written ``"(b)"``)."""

    def __init__(
        self, question: str, expression: str, answer: str | None, choices: list[str], **kw: Any
    ) -> None:
        super().__init__(question, expression, **kw)
        if not choices or not all(isinstance(c, str) and c.strip() for c in choices):
            raise ValueError(f"choices must be non-empty strings, got {choices!r}")
        self.choices = list(choices)
        if answer is not None and self._normal(answer) not in self._normals():
            raise ValueError(f"answer {answer!r} is not one of the choices {choices!r}")
        self.answer = None if answer is None else self._normal(answer)

    @staticmethod
    def _normal(text: str) -> str:
        return text.strip().strip("()").strip().casefold()

    def _normals(self) -> list[str]:
        return [self._normal(c) for c in self.choices]

    def _check(self, value: PlainValue) -> str | None:
        listed = ", ".join(repr(c) for c in self.choices)
        if not isinstance(value, str):
            return f"`{self.expression}` should be one of {listed}, but it is {_describe(value)}"
        if self._normal(value) not in self._normals():
            return f"`{self.expression}` should be one of {listed}, but it is {_short(value)}"
        if self.answer is not None and self._normal(value) != self.answer:
            return f"`{self.expression}`: {_short(value)} is not the right choice"
        return None


Case = Sequence[Any]


class CallSpec(TestSpec):
    """``check_call``: call a function of the notebook on some cases and compare the results."""

    def __init__(
        self,
        question: str,
        function: str,
        cases: Sequence[Case] | Callable[[np.random.Generator], Sequence[Case]],
        expected: Sequence[Any] | None,
        reference: Callable[..., Any] | None,
        atol: float,
        rtol: float,
        diverged: float | None,
        **kw: Any,
    ) -> None:
        if not isinstance(function, str) or not function.isidentifier():
            raise ValueError(f"function must be the name of a function, got {function!r}")
        super().__init__(question, **kw)
        if (expected is None) == (reference is None):
            raise ValueError("give exactly one of expected= (a list, one per case) or reference=")
        if expected is not None and callable(cases):
            raise ValueError(
                "expected= needs a fixed list of cases; use reference= with random cases"
            )
        if not callable(cases):
            cases = [tuple(c) for c in cases]
            if not cases:
                raise ValueError("cases must not be empty")
            if expected is not None and len(expected) != len(cases):
                raise ValueError(f"expected has {len(expected)} entries for {len(cases)} cases")
        self.function = function
        self.cases = cases
        self.expected = None if expected is None else [to_plain(e) for e in expected]
        self.reference = reference
        self.atol, self.rtol, self.diverged = float(atol), float(rtol), diverged
        self._drawn: list[tuple[Any, ...]] | None = None

    def _draw(self, rng: np.random.Generator) -> list[tuple[Any, ...]]:
        if callable(self.cases):
            drawn = [tuple(c) for c in self.cases(rng)]
            if not drawn:
                raise ValueError(f"{self.name}: the case generator returned no cases")
            return drawn
        return [tuple(c) for c in self.cases]

    def make_probes(self, rng: np.random.Generator) -> list[str]:
        self._drawn = self._draw(rng)
        return [self._call_source(case) for case in self._drawn]

    def _call_source(self, case: tuple[Any, ...]) -> str:
        return f"{self.function}({', '.join(_source(a) for a in case)})"

    def _n_probes(self) -> int:
        if self._drawn is None:
            raise RuntimeError(f"{self.name}: call make_probes(rng) before judge(values)")
        return len(self._drawn)

    def _want(self, k: int, case: tuple[Any, ...]) -> PlainValue:
        if self.expected is not None:
            return self.expected[k]
        assert self.reference is not None
        args = [a.evaluate() if isinstance(a, Code) else a for a in case]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return to_plain(self.reference(*args))

    def _judge(self, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        assert self._drawn is not None
        reveal = self.visibility == "public"
        problems = []
        for k, (case, value) in enumerate(zip(self._drawn, values, strict=True)):
            call = self._call_source(case)
            if isinstance(value, ProbeError):
                problem: str | None = probe_problem(value, call)
            else:
                problem = compare(
                    value,
                    self._want(k, case),
                    atol=self.atol,
                    rtol=self.rtol,
                    diverged=self.diverged,
                    reveal=reveal,
                )
                if problem is not None:
                    problem = f"`{_clip(call, 80)}` gave {_short(value)}: {problem}"
            if problem is not None:
                problems.append(problem)
        passed = len(values) - len(problems)
        if not problems:
            return 1.0, ""
        if len(values) == 1:
            return 0.0, problems[0]
        where = "" if reveal else " (cases the notebook never used)"
        return passed / len(values), f"{passed} of {len(values)} cases passed{where}; {problems[0]}"


def _source(arg: Any) -> str:
    """Source text for one argument of a call probe."""
    if isinstance(arg, Code):
        return arg.source
    if isinstance(arg, np.ndarray):
        return f"np.array({to_plain(arg)!r})"
    plain = to_plain(arg)
    if isinstance(plain, float) and not math.isfinite(plain):
        return f"float({str(plain)!r})"
    return repr(plain)
