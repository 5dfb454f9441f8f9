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
from typing import Any

import numpy as np

from optcourse.assignment.values import (
    Code,
    PlainValue,
    ProbeError,
    Unanswered,
    Verdict,
    clip_text,
    compare,
    describe_value,
    is_number,
    probe_problem,
    short_text,
    to_plain,
)

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
        return f"`{self.expression}` = {short_text(value)}: {problem}" if problem else None


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
        if isinstance(value, list) and len(value) == 1 and is_number(value[0]):
            value = value[0]
        if not is_number(value):
            return f"`{self.expression}` should be a number, but it is {describe_value(value)}"
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
            return (
                f"`{self.expression}` should be one of {listed}, but it is {describe_value(value)}"
            )
        if self._normal(value) not in self._normals():
            return f"`{self.expression}` should be one of {listed}, but it is {short_text(value)}"
        if self.answer is not None and self._normal(value) != self.answer:
            return f"`{self.expression}`: {short_text(value)} is not the right choice"
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
                    problem = f"`{clip_text(call, 80)}` gave {short_text(value)}: {problem}"
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
