"""What a test of an exercise is, and how an answer is judged: :class:`TestSpec` and its kinds.

A spec is an immutable value. It says which Python expressions to evaluate in a student's
notebook (:meth:`TestSpec.make_probes`, with inputs drawn from a random generator for hidden
tests) and judges the plain values that come back (:meth:`TestSpec.judge`). What one run drew is
returned as data, a :class:`Probes`, and handed back to ``judge``: nothing is stored on the spec,
so one spec can serve submissions graded in parallel. The check functions of
:mod:`optcourse.assignment.checks` create specs; the grader and ``optcourse check`` use them.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    "Probes",
    "TestSpec",
    "ValueSpec",
    "NumberSpec",
    "ChoiceSpec",
    "CallSpec",
    "Case",
]

VISIBILITIES = ("public", "hidden")

# ----------------------------------------------------------------------------------------------
# Test specifications.


@dataclass(frozen=True)
class Probes:
    """What one run of a test evaluates: ``expressions`` (Python source, in order) and, for
    ``check_call``, the argument tuples drawn for them (``cases``). ``spec`` is the name of the
    spec that made them; :meth:`TestSpec.judge` refuses probes of another spec."""

    spec: str
    expressions: tuple[str, ...]
    cases: tuple[tuple[Any, ...], ...] = field(default=(), compare=False)


def _set(spec: TestSpec, **values: Any) -> None:
    """Store normalised field values while a frozen spec is being built (``__post_init__``)."""
    for name, value in values.items():
        object.__setattr__(spec, name, value)


@dataclass(frozen=True, kw_only=True, eq=False)
class TestSpec:
    """One test of one question: what to evaluate in the notebook and how to judge it.

    ``name`` is unique in the assignment (e.g. ``"q7.hidden.1"``, given when the master is
    loaded, see :meth:`named`); ``question``, ``points``, ``visibility`` (``"public"`` or
    ``"hidden"``) and ``describe`` (words for the feedback). Use :meth:`make_probes`, then
    :meth:`judge` with those probes and the values they produced.
    """

    __test__ = False  # not a pytest test class

    question: str
    points: float = 0.0
    visibility: str = "public"
    describe: str = ""
    hint: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        question, points = self.question, self.points
        if not isinstance(question, str) or not question:
            raise ValueError(f"question must be a question id such as 'q1', got {question!r}")
        if not (isinstance(points, (int, float)) and points >= 0 and math.isfinite(points)):
            raise ValueError(f"points must be a finite number >= 0, got {points!r}")
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be public or hidden, got {self.visibility!r}")
        _set(self, points=float(points), name=self.name or f"{question}.{self.visibility}")

    def named(self, name: str) -> TestSpec:
        """The same test under another ``name``."""
        return dataclasses.replace(self, name=name)

    def make_probes(self, rng: np.random.Generator) -> Probes:
        """The Python expressions to evaluate in the notebook's kernel (inputs drawn from
        ``rng``)."""
        raise NotImplementedError

    def _judge(self, probes: Probes, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        """Return (fraction of the points earned, message when not everything passed)."""
        raise NotImplementedError

    def judge(self, probes: Probes, values: Sequence[PlainValue | ProbeError]) -> Verdict:
        """Judge the ``values`` that ``probes`` (from :meth:`make_probes`) produced, in order."""
        if not isinstance(probes, Probes) or probes.spec != self.name:
            raise ValueError(f"{self.name}: judge needs the probes this spec made, got {probes!r}")
        values = list(values)
        expected = len(probes.expressions)
        if len(values) != expected:
            raise ValueError(f"{self.name}: expected {expected} probe values, got {len(values)}")
        fraction, message = self._judge(probes, values)
        passed = fraction >= 1.0
        if not passed and self.hint:
            message = f"{message}. Hint: {self.hint}"
        return Verdict(
            score=self.points * fraction, passed=passed, message=message if not passed else ""
        )

    def seed(self) -> int:
        """A stable seed for notebook runs of hidden tests (the grader seeds its own rng)."""
        return zlib.crc32(f"{self.name}|{self.describe}".encode())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {self.describe}>"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class _ExpressionSpec(TestSpec):
    """A test that evaluates one expression and checks its value."""

    expression: str

    def __post_init__(self) -> None:
        expression = self.expression
        if not isinstance(expression, str) or not expression.strip():
            raise ValueError(f"expression must be Python source text, got {expression!r}")
        compile(expression, "<probe>", "eval")
        super().__post_init__()

    def make_probes(self, rng: np.random.Generator) -> Probes:
        return Probes(self.name, (self.expression,))

    def _judge(self, probes: Probes, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        value = values[0]
        if isinstance(value, ProbeError):
            return 0.0, probe_problem(value, self.expression)
        problem = self._check(value)
        return (0.0, problem) if problem else (1.0, "")

    def _check(self, value: PlainValue) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ValueSpec(_ExpressionSpec):
    """``check_value``: the expression must equal ``expected`` within the tolerances."""

    expected: Any
    atol: float = 1e-8
    rtol: float = 1e-6

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, expected=to_plain(self.expected), atol=float(self.atol), rtol=float(self.rtol))

    def _check(self, value: PlainValue) -> str | None:
        problem = compare(value, self.expected, atol=self.atol, rtol=self.rtol)
        return f"`{self.expression}` = {short_text(value)}: {problem}" if problem else None


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class NumberSpec(_ExpressionSpec):
    """``check_number``: the expression must be a finite real number (optionally in a range)."""

    low: float | None = None
    high: float | None = None
    integer: bool = False

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


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ChoiceSpec(_ExpressionSpec):
    """``check_choice``: a multiple-choice answer, one of ``choices`` (case and spaces ignored;
    a letter may be written ``"(b)"``)."""

    answer: str | None = None
    choices: tuple[str, ...] = ("A", "B", "C", "D")

    def __post_init__(self) -> None:
        super().__post_init__()
        choices = self.choices
        if not choices or not all(isinstance(c, str) and c.strip() for c in choices):
            raise ValueError(f"choices must be non-empty strings, got {choices!r}")
        _set(self, choices=tuple(choices))
        answer = self.answer
        if answer is not None and self._normal(answer) not in self._normals():
            raise ValueError(f"answer {answer!r} is not one of the choices {list(choices)!r}")
        _set(self, answer=None if answer is None else self._normal(answer))

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
CaseSource = Sequence[Case] | Callable[[np.random.Generator], Sequence[Case]]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class CallSpec(TestSpec):
    """``check_call``: call a function of the notebook on some cases and compare the results.

    ``cases`` is a tuple of argument tuples, or a function drawing them from a random generator;
    ``expected`` one plain value per case, or ``reference`` a function computing it. The score
    is the fraction of cases passed, or with ``partial=False`` all or nothing (for yes/no
    answers, where guessing passes half the cases).
    """

    function: str
    cases: CaseSource
    expected: Sequence[Any] | None = None
    reference: Callable[..., Any] | None = None
    atol: float = 1e-8
    rtol: float = 1e-6
    diverged: float | None = None
    partial: bool = True

    def __post_init__(self) -> None:
        function, cases, expected = self.function, self.cases, self.expected
        if not isinstance(function, str) or not function.isidentifier():
            raise ValueError(f"function must be the name of a function, got {function!r}")
        super().__post_init__()
        if (expected is None) == (self.reference is None):
            raise ValueError("give exactly one of expected= (a list, one per case) or reference=")
        if expected is not None and callable(cases):
            raise ValueError(
                "expected= needs a fixed list of cases; use reference= with random cases"
            )
        if not callable(cases):
            cases = tuple(tuple(c) for c in cases)
            if not cases:
                raise ValueError("cases must not be empty")
            if expected is not None and len(expected) != len(cases):
                raise ValueError(f"expected has {len(expected)} entries for {len(cases)} cases")
        _set(
            self,
            cases=cases,
            expected=None if expected is None else tuple(to_plain(e) for e in expected),
            atol=float(self.atol),
            rtol=float(self.rtol),
        )

    def _draw(self, rng: np.random.Generator) -> tuple[tuple[Any, ...], ...]:
        if callable(self.cases):
            drawn = tuple(tuple(c) for c in self.cases(rng))
            if not drawn:
                raise ValueError(f"{self.name}: the case generator returned no cases")
            return drawn
        return tuple(tuple(c) for c in self.cases)

    def make_probes(self, rng: np.random.Generator) -> Probes:
        drawn = self._draw(rng)
        return Probes(self.name, tuple(self._call_source(case) for case in drawn), drawn)

    def _call_source(self, case: tuple[Any, ...]) -> str:
        return f"{self.function}({', '.join(_source(a) for a in case)})"

    def _want(self, k: int, case: tuple[Any, ...]) -> PlainValue:
        if self.expected is not None:
            return self.expected[k]
        assert self.reference is not None
        args = [a.evaluate() if isinstance(a, Code) else a for a in case]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return to_plain(self.reference(*args))

    def _judge(self, probes: Probes, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        if len(probes.cases) != len(values):
            raise ValueError(f"{self.name}: these probes carry no drawn cases")
        reveal = self.visibility == "public"
        problems = []
        for k, (case, value) in enumerate(zip(probes.cases, values, strict=True)):
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
        if not self.partial:
            where = "" if reveal else " (cases the notebook never used)"
            return (
                0.0,
                f"{passed} of {len(values)} cases passed{where}, all are needed; {problems[0]}",
            )
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
