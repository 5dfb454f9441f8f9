"""What a test of an exercise is, and how an answer is judged: :class:`TestSpec` and its kinds.

A spec is an immutable value. It says which Python expressions to evaluate in a student's
notebook (:meth:`TestSpec.make_probes`, with inputs drawn from a random generator for hidden
tests) and judges the plain values that come back (:meth:`TestSpec.judge`). What one run drew is
returned as data, a :class:`Probes`, and handed back to ``judge``: nothing is stored on the spec,
so one spec can serve submissions graded in parallel. The check functions of
:mod:`optcourse.assignment.checks` create specs; the grader and ``optcourse check`` use them.
"""

from __future__ import annotations

import copy
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
from optcourse.assignment.without import BLOCKABLE, LibraryUsed
from optcourse.assignment.without import probe_source as without_probe

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
    time_limit: float | None = None


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
        if not passed and self.hint and "Hint:" not in message:
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
    slips: tuple[tuple[Any, str], ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        slips = tuple((to_plain(wrong), hint) for wrong, hint in _slip_pairs(self.slips))
        _set(
            self,
            expected=to_plain(self.expected),
            atol=float(self.atol),
            rtol=float(self.rtol),
            slips=slips,
        )

    def _check(self, value: PlainValue) -> str | None:
        problem = compare(value, self.expected, atol=self.atol, rtol=self.rtol)
        if problem is None:
            return None
        message = f"`{self.expression}` = {short_text(value)}: {problem}"
        for wrong, hint in self.slips:
            if compare(value, wrong, atol=self.atol, rtol=self.rtol) is None:
                return f"{message}. Hint: {hint}"
        return message


def _slip_pairs(slips: Any) -> list[tuple[Any, str]]:
    """``slips`` validated: (wrong answer, hint) pairs; the hint is shown when the wrong answer
    is the one given."""
    pairs = list(slips.items()) if isinstance(slips, dict) else list(slips)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], str)):
            raise ValueError(f"slips must be (wrong answer, hint text) pairs, got {pair!r}")
        if not pair[1].strip():
            raise ValueError("a slip needs a hint text")
    return pairs


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class NumberSpec(_ExpressionSpec):
    """``check_number``: the expression must be a finite real number (optionally in a range)."""

    low: float | None = None
    high: float | None = None
    integer: bool = False

    def _check(self, value: PlainValue) -> str | None:
        if isinstance(value, list) and len(value) == 1 and is_number(value[0]):
            return (
                f"`{self.expression}` should be a number, but it is a list of 1"
                " (take the number out of the list)"
            )
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
    slips: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        choices = self.choices
        if not choices or not all(isinstance(c, str) and c.strip() for c in choices):
            raise ValueError(f"choices must be non-empty strings, got {choices!r}")
        _set(self, choices=tuple(choices))
        slips = _slip_pairs(self.slips)
        for wrong, _ in slips:
            if not isinstance(wrong, str) or self._normal(wrong) not in self._normals():
                raise ValueError(f"slip {wrong!r} is not one of the choices {list(choices)!r}")
        _set(self, slips=tuple((self._normal(w), h) for w, h in slips))
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
            hint = dict(self.slips).get(self._normal(value))
            message = f"`{self.expression}`: {short_text(value)} is not the right choice"
            return f"{message}. Hint: {hint}" if hint else message
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
    slips: tuple[tuple[Callable[..., Any], str], ...] = ()
    unchanged: bool = False
    time_limit: float | None = None
    requirement: str | None = None
    without: tuple[str, ...] = ()

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
        slips = _slip_pairs(self.slips)
        if not all(callable(wrong) for wrong, _ in slips):
            raise ValueError("the slips of check_call are (wrong function, hint text) pairs")
        limit = self.time_limit
        if limit is not None and not (isinstance(limit, (int, float)) and 0 < limit < math.inf):
            raise ValueError(f"time_limit must be a number of seconds > 0, got {limit!r}")
        _set(
            self,
            cases=cases,
            expected=None if expected is None else tuple(to_plain(e) for e in expected),
            atol=float(self.atol),
            rtol=float(self.rtol),
            slips=tuple(slips),
            time_limit=None if limit is None else float(limit),
            without=_without(self.without, self.requirement),
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
        expressions = tuple(self._probe_source(case) for case in drawn)
        return Probes(self.name, expressions, drawn, self.time_limit)

    def _call_source(self, case: tuple[Any, ...]) -> str:
        return f"{self.function}({', '.join(_source(a) for a in case)})"

    def _probe_source(self, case: tuple[Any, ...]) -> str:
        """The call; with ``unchanged``, ``[result, [the array and list arguments after it]]``;
        with ``without``, evaluated with those parts of the library blocked."""
        if not self.unchanged:
            source = self._call_source(case)
        else:
            watched = _watched(case)
            args = ", ".join(_source(a) for a in case)
            kept = ", ".join(f"_a[{i}]" for i in watched)
            source = f"(lambda *_a: [{self.function}(*_a), [{kept}]])({args})"
        if self.without:
            source = without_probe(source, self.without, self.requirement or "")
        return source

    def _args_changed(self, case: tuple[Any, ...], value: PlainValue) -> str | None:
        """For ``unchanged``: split ``value`` into (result, arguments after); a message when an
        argument was modified, else None and the result in ``self``-free form."""
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
            return "the call did not return normally"
        after = value[1]
        for i, now in zip(_watched(case), after, strict=False):
            if compare(now, to_plain(case[i]), atol=0.0, rtol=0.0) is not None:
                return (
                    f"it changed its argument number {i + 1} in place"
                    " (the question asks not to modify the inputs: work on a copy)"
                )
        return None

    def _want(self, k: int, case: tuple[Any, ...]) -> PlainValue:
        if self.expected is not None:
            return self.expected[k]
        assert self.reference is not None
        args = _arguments(case)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return to_plain(self.reference(*args))

    def _judge(self, probes: Probes, values: list[PlainValue | ProbeError]) -> tuple[float, str]:
        if len(probes.cases) != len(values):
            raise ValueError(f"{self.name}: these probes carry no drawn cases")
        reveal = self.visibility == "public"
        problems = []
        for k, (case, value) in enumerate(zip(probes.cases, values, strict=True)):
            problem = self._case_problem(k, case, value, reveal)
            if problem is not None:
                problems.append(problem)
        hint = next((p for p in problems if "Hint:" in p), None)
        if hint is not None:  # a detected slip: show the case whose message carries its hint
            problems.remove(hint)
            problems.insert(0, hint)
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

    def _case_problem(
        self, k: int, case: tuple[Any, ...], value: PlainValue | ProbeError, reveal: bool
    ) -> str | None:
        """What is wrong with one case's value (None when it passed), with a slip's hint."""
        call = self._call_source(case)
        if isinstance(value, ProbeError):
            problem = probe_problem(value, call)
            if value.kind == "Timeout" and self.requirement:
                problem += f"; the question asks for it {self.requirement}"
            if value.kind == LibraryUsed.__name__ and self.without:
                problem = f"`{clip_text(call, 80)}`: {clip_text(value.message, 200)}"
            return problem
        if self.unchanged:
            changed = self._args_changed(case, value)
            if changed is not None:
                return f"`{clip_text(call, 80)}`: {changed}"
            value = value[0]  # type: ignore[index]
        want = self._want(k, case)
        mismatch = compare(
            value, want, atol=self.atol, rtol=self.rtol, diverged=self.diverged, reveal=reveal
        )
        if mismatch is None:
            return None
        message = f"`{clip_text(call, 80)}` gave {short_text(value)}: {mismatch}"
        hint = self._slip_hint(case, value)
        return f"{message}. Hint: {hint}" if hint else message

    def _slip_hint(self, case: tuple[Any, ...], value: PlainValue) -> str | None:
        """The hint of the first slip whose wrong answer is ``value``, if any."""
        args = _arguments(case)
        for wrong, hint in self.slips:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore", RuntimeWarning)
                    slip = to_plain(wrong(*copy.deepcopy(args)))
            except Exception:  # noqa: BLE001 - a slip that does not apply to this case
                continue
            if compare(value, slip, atol=self.atol, rtol=self.rtol, diverged=self.diverged) is None:
                return hint
        return None


def _without(without: Any, requirement: str | None) -> tuple[str, ...]:
    """``without`` validated: names of :data:`~optcourse.assignment.without.BLOCKABLE`, and a
    ``requirement`` to name in the failure message."""
    names = (without,) if isinstance(without, str) else tuple(without)
    for name in names:
        if name not in BLOCKABLE:
            raise ValueError(f"without= takes names from {sorted(BLOCKABLE)!r}, got {name!r}")
    if names and not (isinstance(requirement, str) and requirement.strip()):
        raise ValueError(
            "without= needs requirement=, the words of the question it checks"
            ' (e.g. "without the library\'s optimizers")'
        )
    return names


def _arguments(case: tuple[Any, ...]) -> list[Any]:
    """A case's arguments as objects for a reference function: :class:`Code` evaluated, the
    rest copied (a reference that modifies its inputs must not change the drawn case)."""
    return [a.evaluate() if isinstance(a, Code) else copy.deepcopy(a) for a in case]


def _watched(case: tuple[Any, ...]) -> list[int]:
    """Positions of the arguments a call could modify in place (arrays and lists)."""
    return [i for i, a in enumerate(case) if isinstance(a, (np.ndarray, list))]


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
