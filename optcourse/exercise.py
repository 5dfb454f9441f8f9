"""Checks for the exercise notebooks: the calls you see in their test cells.

A test cell of an exercise notebook reads like a sentence::

    check_value("q1", "x_star", expected=2.0, atol=1e-9, describe="the critical point of x² − 4x")
    check_call("q7", "gradient_descent", cases=[(Code("lambda x: 2 * x"), 1.0, 0.1, 3)],
               expected=[0.512], describe="three steps on x²")

Each call works in one of two modes:

* **in a notebook** (your feedback): it evaluates the expression in your notebook, compares it with
  the expected answer and prints one line, ``q1 [public] passed`` or ``q1 [public] failed: <why>``.
  A failed public check never stops your notebook.
* **recording** (the grader): inside :func:`recording` nothing is evaluated; every call returns and
  records a :class:`TestSpec`, which the grader asks for the expressions to evaluate in your kernel
  (:meth:`TestSpec.make_probes`) and then for a verdict on the values it got back
  (:meth:`TestSpec.judge`).

Hidden tests (only in the instructor's master notebook) draw their inputs from a random generator,
so hard-coding the examples you see earns nothing. ``check_all()`` re-runs the public checks of your
notebook and prints a summary; the hidden tests decide the grade.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from optcourse.assignment.specs import (
    CallSpec,
    Case,
    ChoiceSpec,
    Code,
    NumberSpec,
    PlainValue,
    ProbeError,
    TestSpec,
    Unanswered,
    ValueSpec,
    Verdict,
    compare,
    to_plain,
)

__all__ = [
    "Code",
    "ProbeError",
    "Verdict",
    "TestSpec",
    "check_value",
    "check_number",
    "check_choice",
    "check_call",
    "check_all",
    "assert_all_passed",
    "recording",
    "to_plain",
    "compare",
    "evaluate_probe",
    "run_test_cell",
]


def evaluate_probe(expression: str, namespace: dict[str, Any]) -> PlainValue | ProbeError:
    """Evaluate ``expression`` in ``namespace`` and return its plain value or a :class:`ProbeError`.

    numpy floating-point warnings (overflow in a diverging run the exercise asks for) are silenced:
    they never cost points.
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            value = eval(expression, namespace)  # noqa: S307
            return to_plain(value)
    except Unanswered as exc:
        return ProbeError("Unanswered", str(exc))
    except Exception as exc:  # the student's code may raise anything
        return ProbeError(type(exc).__name__, str(exc))


# ----------------------------------------------------------------------------------------------
# Modes: recording (grader) or running in the notebook (feedback).

_recorder: list[TestSpec] | None = None
_results: dict[str, tuple[TestSpec, Verdict]] = {}


@contextlib.contextmanager
def recording() -> Iterator[list[TestSpec]]:
    """Inside this block the check functions only record their :class:`TestSpec` (grader mode)."""
    global _recorder
    previous, _recorder = _recorder, []
    try:
        yield _recorder
    finally:
        _recorder = previous


def _user_namespace() -> dict[str, Any]:
    """The namespace of the running notebook (IPython's user namespace, else ``__main__``)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns  # type: ignore[no-any-return,unused-ignore]
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        pass
    return vars(sys.modules["__main__"])


def _run_here(
    spec: TestSpec, namespace: dict[str, Any] | None = None, quiet: bool = False
) -> Verdict:
    """Evaluate ``spec`` against ``namespace`` (default: the notebook's) and report one line."""
    ns = _user_namespace() if namespace is None else namespace
    rng = np.random.default_rng(spec._seed())
    probes = spec.make_probes(rng)
    verdict = spec.judge([evaluate_probe(p, ns) for p in probes])
    _results[f"{spec.name}|{spec.describe}|{probes!r}"] = (spec, verdict)
    if not quiet:
        print(_line(spec, verdict))
    return verdict


def _line(spec: TestSpec, verdict: Verdict) -> str:
    status = "passed" if verdict.passed else f"failed: {verdict.message}"
    return f"{spec.question} [{spec.visibility}] {status}"


def _dispatch(spec: TestSpec) -> TestSpec:
    if _recorder is not None:
        _recorder.append(spec)
        return spec
    verdict = _run_here(spec)
    if not verdict.passed and spec.visibility == "hidden":
        raise AssertionError(f"hidden test failed: {_line(spec, verdict)}")
    return spec


def check_value(
    question: str,
    expression: str,
    *,
    expected: Any,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    points: float = 0.0,
    describe: str = "",
    hint: str | None = None,
    hidden: bool = False,
) -> TestSpec:
    """Check that ``expression`` (source text, e.g. ``"x_star"``) equals ``expected``.

    Numbers and arrays are compared with ``|got − expected| ≤ atol + rtol·|expected|``; strings
    after stripping spaces. The message never shows ``expected``.
    """
    spec = ValueSpec(
        question,
        expression,
        expected,
        atol,
        rtol,
        points=points,
        hidden=hidden,
        describe=describe or f"the value of `{expression}`",
        hint=hint,
    )
    return _dispatch(spec)


def check_number(
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

    This is the usual public check of a numeric answer: it tells you the answer has the right form
    without giving the answer away.
    """
    spec = NumberSpec(
        question,
        expression,
        low,
        high,
        integer,
        points=points,
        hidden=hidden,
        describe=describe or f"`{expression}` is a number",
        hint=hint,
    )
    return _dispatch(spec)


def check_choice(
    question: str,
    expression: str,
    *,
    answer: str | None = None,
    choices: str | Sequence[str] = "ABCD",
    points: float = 0.0,
    describe: str = "",
    hint: str | None = None,
    hidden: bool = False,
) -> TestSpec:
    """Check a multiple-choice answer: one of ``choices`` (case-insensitive); ``answer`` if given.

    Without ``answer`` only the form is checked (the public check).
    """
    spec = ChoiceSpec(
        question,
        expression,
        answer,
        list(choices),
        points=points,
        hidden=hidden,
        describe=describe or f"`{expression}` is one of the choices",
        hint=hint,
    )
    return _dispatch(spec)


def check_call(
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
    hidden: bool = False,
) -> TestSpec:
    """Call the notebook's ``function`` on each case and compare with ``expected`` or ``reference``.

    ``cases`` is a list of argument tuples, or (hidden tests) a function ``cases(rng)`` drawing
    them.
    Arguments are numbers, strings, lists, numpy arrays or :class:`Code` (source text such as a
    lambda). With ``diverged=1e6`` any two results beyond 1e6 in size (or inf/NaN) count as equal:
    both runs diverged.
    """
    spec = CallSpec(
        question,
        function,
        cases,
        expected,
        reference,
        atol,
        rtol,
        diverged,
        points=points,
        hidden=hidden,
        describe=describe or f"`{function}` on some inputs",
        hint=hint,
    )
    return _dispatch(spec)


REPORT_MARKER = "OPTCOURSE-CHECK:"


def _api_namespace() -> dict[str, Any]:
    """What a test cell sees when it is recorded: numpy, math and this module's check API."""
    ns: dict[str, Any] = {"np": np, "math": math}
    ns.update({name: globals()[name] for name in __all__})
    return ns


def run_test_cell(source: str) -> None:
    """Run the public checks of one test cell against this notebook; print one JSON line.

    Used by ``optcourse check`` after the notebook's own cells: the line is ``OPTCOURSE-CHECK:``
    and a JSON list of ``{"question", "passed", "message"}`` (or ``{"error": ...}`` when the cell
    no longer runs), so the checking process only ever reads JSON from the kernel.
    """
    try:
        with recording() as specs:
            exec(compile(source, "<test cell>", "exec"), _api_namespace())  # noqa: S102
    except Exception as exc:
        print(REPORT_MARKER + json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return
    results = []
    for spec in specs:
        if spec.visibility == "public":
            verdict = _run_here(spec, quiet=True)
            results.append(
                {"question": spec.question, "passed": verdict.passed, "message": verdict.message}
            )
    print(REPORT_MARKER + json.dumps(results))


def assert_all_passed() -> None:
    """Raise ``AssertionError`` if any check run in this notebook failed (master notebooks)."""
    if _recorder is not None:
        return
    failed = [_line(s, v) for s, v in _results.values() if not v.passed]
    if failed:
        raise AssertionError("some checks failed:\n" + "\n".join(failed))
    print(f"all {len(_results)} checks passed")


def _find_notebook() -> Path | None:
    """The path of the running notebook when the front end tells us (Jupyter Server, VS Code)."""
    candidates = [os.environ.get("JPY_SESSION_NAME", "")]
    candidates.append(str(_user_namespace().get("__vsc_ipynb_file__", "")))
    for c in candidates:
        if c and c.endswith(".ipynb") and Path(c).is_file():
            return Path(c)
    return None


def check_all(notebook: str | os.PathLike[str] | None = None) -> bool:
    """Run every public check of this notebook against the running kernel; print a summary.

    ``notebook`` is the path of the ``.ipynb`` file; by default the notebook open in Jupyter
    (when it can be found), else the checks already run in this kernel, run again. Returns True
    when all passed. Passing the public checks does not guarantee full marks: hidden tests
    decide the grade.
    """
    from optcourse.assignment.check import format_report, results_by_question
    from optcourse.assignment.notebook import public_specs, read_notebook

    path = Path(notebook) if notebook is not None else _find_notebook()
    if path is not None:
        nb = read_notebook(path)
        specs, questions = public_specs(nb)
        pairs = [(s, _run_here(s, quiet=True)) for s in specs]
    else:
        specs = [s for s, _ in _results.values() if s.visibility == "public"]
        if not specs:
            print(
                "No public check has run in this notebook yet: run its test cells, or give the"
                " notebook's file name, check_all('NN_topic.ipynb')."
            )
            return False
        pairs = [(s, _run_here(s, quiet=True)) for s in specs]  # again, with today's answers
        questions = []
    rows = results_by_question([(s.question, v) for s, v in pairs], questions)
    print(format_report(rows))
    return all(v.passed for _, v in pairs)
