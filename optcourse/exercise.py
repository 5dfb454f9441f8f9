"""Checks for the exercise notebooks: the calls you see in their test cells.

A test cell of an exercise notebook reads like a sentence::

    check_value("q1", "x_star", expected=2.0, atol=1e-9, describe="the critical point of x² − 4x")
    check_call("q7", "gradient_descent", cases=[(Code("lambda x: 2 * x"), 1.0, 0.1, 3)],
               expected=[0.512], describe="three steps on x²")

In your notebook each call evaluates the expression, compares it with the expected answer and
prints one line, ``q1 [public] passed`` or ``q1 [public] failed: <why>``. A failed public check
never stops your notebook. ``check_all()`` re-runs the public checks of your notebook and prints a
summary.

The grader runs the same test cells in another mode, where nothing is evaluated and every call
only records a :class:`TestSpec` (see :mod:`optcourse.assignment.checks`). Hidden tests (only in
the instructor's master notebook) draw their inputs from a random generator, so hard-coding the
examples you see earns nothing: the hidden tests decide the grade.

This module is a facade: the check functions are those of :mod:`optcourse.assignment.checks`,
run in the notebook mode of :mod:`optcourse.assignment.session`. Nothing in the package imports it.
"""

from __future__ import annotations

import os

from optcourse.assignment.checks import CheckAPI
from optcourse.assignment.protocol import REPORT_MARKER
from optcourse.assignment.session import NotebookSession, evaluate_probe
from optcourse.assignment.specs import Code, ProbeError, TestSpec, Verdict, compare, to_plain

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
    "to_plain",
    "compare",
    "evaluate_probe",
    "run_test_cell",
    "REPORT_MARKER",
]

#: This notebook's session: its namespace and the verdicts of the checks run so far.
session = NotebookSession()
_checks: CheckAPI = session.checks()

check_value = _checks.check_value
check_number = _checks.check_number
check_choice = _checks.check_choice
check_call = _checks.check_call


def check_all(notebook: str | os.PathLike[str] | None = None) -> bool:
    """Run every public check of this notebook against the running kernel; print a summary.

    ``notebook`` is the path of the ``.ipynb`` file; by default the notebook open in Jupyter
    (when it can be found), else the checks already run in this kernel, run again. Returns True
    when all passed. Passing the public checks does not guarantee full marks: hidden tests
    decide the grade.
    """
    return session.check_all(notebook)


def assert_all_passed() -> None:
    """Raise ``AssertionError`` if any check run in this notebook failed (master notebooks)."""
    session.assert_all_passed()


def run_test_cell(source: str) -> None:
    """Run the public checks of one test cell against this notebook; print one JSON line
    (the ``optcourse check`` protocol, :mod:`optcourse.assignment.protocol`)."""
    session.run_test_cell(source)
