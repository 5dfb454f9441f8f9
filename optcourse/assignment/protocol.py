"""The one line a notebook kernel prints for ``optcourse check``, written and read here.

``optcourse check`` (:mod:`optcourse.assignment.check`) runs a student's notebook, then each
public test cell again through :func:`optcourse.assignment.session.run_test_cell` in the same
kernel. That prints one line, :data:`REPORT_MARKER` followed by JSON: a list of
``{"question", "passed", "message"}``, or ``{"error": ...}`` when the test cell no longer runs.
The checking process only ever reads this JSON from the kernel (:func:`read_report`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["REPORT_MARKER", "CellReport", "report_line", "error_line", "read_report"]

REPORT_MARKER = "OPTCOURSE-CHECK:"


@dataclass(frozen=True)
class CellReport:
    """What one test cell reported: ``verdicts`` as (passed, message) pairs, or ``error``."""

    verdicts: tuple[tuple[bool, str], ...] = ()
    error: str | None = None


def report_line(verdicts: list[tuple[str, bool, str]]) -> str:
    """The line for the (question, passed, message) verdicts of one test cell."""
    data = [{"question": q, "passed": passed, "message": msg} for q, passed, msg in verdicts]
    return REPORT_MARKER + json.dumps(data)


def error_line(exc: BaseException) -> str:
    """The line for a test cell that raised ``exc`` instead of declaring its checks."""
    return REPORT_MARKER + json.dumps({"error": f"{type(exc).__name__}: {exc}"})


def read_report(text: str) -> CellReport | None:
    """The report in a cell's printed ``text`` (its last marker line), or None if there is none
    or it is not the JSON :func:`report_line` and :func:`error_line` write."""
    for line in reversed(text.splitlines()):
        if not line.startswith(REPORT_MARKER):
            continue
        try:
            data = json.loads(line[len(REPORT_MARKER) :])
        except ValueError:
            return None
        if isinstance(data, dict) and "error" in data:
            return CellReport(error=str(data["error"]))
        if isinstance(data, list) and all(isinstance(d, dict) for d in data):
            return CellReport(
                verdicts=tuple((d.get("passed") is True, str(d.get("message", ""))) for d in data)
            )
        return None
    return None
