"""The check functions of a test cell, and what is done with the tests they declare.

A test cell calls ``check_value``, ``check_number``, ``check_choice`` and ``check_call``. Each
call builds a :class:`~optcourse.assignment.specs.TestSpec` and hands it to the ``handle``
function of the :class:`CheckAPI` the cell runs with; that value is the mode:

* :class:`Recorder` (the grader, ``optcourse assign``, ``optcourse check``) only collects the
  specs, nothing is evaluated: :func:`record_cell` runs a cell's source this way;
* the notebook's own session (:class:`optcourse.assignment.session.NotebookSession`) evaluates
  each spec against the running notebook and prints one line.

:mod:`optcourse.exercise` is the students' facade over a notebook-mode ``CheckAPI``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from optcourse.assignment.specs import (
    CallSpec,
    Case,
    ChoiceSpec,
    Code,
    NumberSpec,
    ProbeError,
    TestSpec,
    ValueSpec,
    Verdict,
    compare,
    to_plain,
)

__all__ = ["CHECK_NAMES", "CheckAPI", "Recorder", "SpecHandler", "record_cell"]

SpecHandler = Callable[[TestSpec], None]
"""What a :class:`CheckAPI` does with each spec a check call declares."""

#: The check functions a test cell calls.
CHECK_NAMES = ("check_value", "check_number", "check_choice", "check_call")


def _visibility(hidden: bool) -> str:
    return "hidden" if hidden else "public"


class CheckAPI:
    """The check functions, each building a :class:`TestSpec` and passing it to ``handle``."""

    def __init__(self, handle: SpecHandler) -> None:
        self._handle = handle

    def _declare(self, spec: TestSpec) -> TestSpec:
        self._handle(spec)
        return spec

    def check_value(
        self,
        question: str,
        expression: str,
        *,
        expected: Any,
        atol: float = 1e-8,
        rtol: float = 1e-6,
        points: float = 0.0,
        describe: str = "",
        hint: str | None = None,
        slips: Sequence[tuple[Any, str]] | dict[Any, str] = (),
        hidden: bool = False,
    ) -> TestSpec:
        """Check that ``expression`` (source text, e.g. ``"x_star"``) equals ``expected``.

        Numbers and arrays are compared with ``|got − expected| ≤ atol + rtol·|expected|``;
        strings after stripping spaces. The message never shows ``expected``. ``slips`` are
        ``(wrong answer, hint)`` pairs for typical mistakes: when the answer is one of those
        wrong answers the message adds its hint (``hint`` is added to every failure).
        """
        return self._declare(
            ValueSpec(
                question=question,
                expression=expression,
                expected=expected,
                atol=atol,
                rtol=rtol,
                points=points,
                visibility=_visibility(hidden),
                describe=describe or f"the value of `{expression}`",
                hint=hint,
                slips=tuple(slips.items()) if isinstance(slips, dict) else tuple(slips),
            )
        )

    def check_number(
        self,
        question: str,
        expression: str,
        *,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
        points: float = 0.0,
        describe: str = "",
        hint: str | None = None,
        hidden: bool = False,
    ) -> TestSpec:
        """Check that ``expression`` is a finite real number (in ``[low, high]`` when given).

        This is the usual public check of a numeric answer: it tells you the answer has the
        right form without giving the answer away.
        """
        return self._declare(
            NumberSpec(
                question=question,
                expression=expression,
                low=low,
                high=high,
                integer=integer,
                points=points,
                visibility=_visibility(hidden),
                describe=describe or f"`{expression}` is a number",
                hint=hint,
            )
        )

    def check_choice(
        self,
        question: str,
        expression: str,
        *,
        answer: str | None = None,
        choices: str | Sequence[str] = "ABCD",
        points: float = 0.0,
        describe: str = "",
        hint: str | None = None,
        slips: dict[str, str] | Sequence[tuple[str, str]] = (),
        hidden: bool = False,
    ) -> TestSpec:
        """Check a multiple-choice answer: one of ``choices`` (case-insensitive); ``answer`` if
        given. Without ``answer`` only the form is checked (the public check). ``slips`` maps a
        tempting wrong choice to a hint shown when it is the one given."""
        return self._declare(
            ChoiceSpec(
                question=question,
                expression=expression,
                answer=answer,
                choices=tuple(choices),
                points=points,
                visibility=_visibility(hidden),
                describe=describe or f"`{expression}` is one of the choices",
                hint=hint,
                slips=tuple(slips.items()) if isinstance(slips, dict) else tuple(slips),
            )
        )

    def check_call(
        self,
        question: str,
        function: str,
        *,
        cases: Sequence[Case] | Callable[[np.random.Generator], Sequence[Case]],
        expected: Sequence[Any] | None = None,
        reference: Callable[..., Any] | None = None,
        atol: float = 1e-8,
        rtol: float = 1e-6,
        diverged: float | None = None,
        points: float = 0.0,
        describe: str = "",
        hint: str | None = None,
        slips: Sequence[tuple[Callable[..., Any], str]] = (),
        hidden: bool = False,
        partial: bool = True,
        unchanged: bool = False,
        time_limit: float | None = None,
        requirement: str | None = None,
        without: Sequence[str] = (),
    ) -> TestSpec:
        """Call the notebook's ``function`` on each case and compare with ``expected`` or
        ``reference``.

        ``cases`` is a list of argument tuples, or (hidden tests) a function ``cases(rng)``
        drawing them. Arguments are numbers, strings, lists, numpy arrays or :class:`Code`
        (source text such as a lambda). With ``diverged=1e6`` any two results beyond 1e6 in size
        (or inf/NaN) count as equal: both runs diverged. The points are shared among the cases
        passed; with ``partial=False`` they need every case (use it for yes/no answers).

        ``slips`` are ``(wrong_function, hint)`` pairs: a typical mistake written as a function
        with the reference's arguments; a case whose result is that mistake's gets the hint.
        ``unchanged=True`` also fails a case whose array or list arguments the call modified;
        ``time_limit`` (seconds, grader only) fails a call that takes longer, e.g. a loop where
        a closed form was asked. ``requirement`` names what the question states and this test
        checks ("without a loop", "without modifying x0"), for the feedback and the rules test.
        ``without=("optimizers", "schedules")`` (needs ``requirement``) makes the call with the
        library's optimizer steps (so ``minimize`` too) and/or schedules blocked: using them
        fails the case with "the question asks for it <requirement>" (for questions that ask
        for an algorithm from scratch; see :mod:`optcourse.assignment.without`).
        """
        return self._declare(
            CallSpec(
                question=question,
                function=function,
                cases=cases,
                expected=expected,
                reference=reference,
                atol=atol,
                rtol=rtol,
                diverged=diverged,
                partial=partial,
                points=points,
                visibility=_visibility(hidden),
                describe=describe or f"`{function}` on some inputs",
                hint=hint,
                slips=tuple(slips),
                unchanged=unchanged,
                time_limit=time_limit,
                requirement=requirement,
                without=tuple(without) if not isinstance(without, str) else (without,),
            )
        )

    def namespace(self) -> dict[str, Any]:
        """What a test cell sees: ``np``, ``math``, :class:`Code`, the check functions and the
        plain-value helpers."""
        ns: dict[str, Any] = {"np": np, "math": math, "Code": Code}
        ns.update({name: getattr(self, name) for name in CHECK_NAMES})
        ns.update(ProbeError=ProbeError, Verdict=Verdict, compare=compare, to_plain=to_plain)
        return ns


class Recorder(CheckAPI):
    """Recording mode: every check call only appends its spec to :attr:`specs`."""

    def __init__(self) -> None:
        self.specs: list[TestSpec] = []
        super().__init__(self.specs.append)


def record_cell(source: str, filename: str = "<test cell>") -> list[TestSpec]:
    """Run a test cell's ``source`` in recording mode; return the specs it declares, in order.

    Exceptions of the cell (a syntax error, a bad declaration) propagate to the caller.
    """
    recorder = Recorder()
    exec(compile(source, filename, "exec"), recorder.namespace())  # noqa: S102
    return recorder.specs
