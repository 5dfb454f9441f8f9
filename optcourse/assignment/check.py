"""``optcourse check``: run a notebook in a fresh kernel and report its public checks per question.

The report never shows an answer, and it reminds the student that hidden tests decide the grade.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcourse.assignment.notebook import (
    AssignmentError,
    Question,
    assignment_metadata,
    cell_role,
    check_structure,
    parse_questions,
    read_notebook,
)
from optcourse.assignment.protocol import read_report
from optcourse.assignment.specs import Verdict

__all__ = [
    "QuestionResult",
    "CheckReport",
    "check_notebook",
    "results_by_question",
    "format_report",
]

REMINDER = (
    "They check the form of each answer and a few examples; whether the answers are right is"
    " decided by the hidden tests, with inputs you have not seen."
)


@dataclass
class QuestionResult:
    """Public-check outcome of one question: ``status`` is passed, failed, manual or unchecked."""

    question: str
    level: str
    title: str
    status: str
    messages: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    """What ``optcourse check`` found: per-question results and notes on cells that raised."""

    path: Path
    assignment: str
    version: str
    rows: list[QuestionResult]
    notes: list[str] = field(default_factory=list)
    notebook: Any = None  # the executed notebook (with its outputs), for inspection

    @property
    def n_passed(self) -> int:
        return sum(r.status == "passed" for r in self.rows)

    @property
    def n_checked(self) -> int:
        return sum(r.status in ("passed", "failed") for r in self.rows)

    @property
    def all_passed(self) -> bool:
        """True when every question with a public check passed it."""
        return self.n_passed == self.n_checked

    def text(self) -> str:
        head = f"Checking {self.path} (assignment {self.assignment}, version {self.version})"
        return "\n".join([head, *self.notes, format_report(self.rows)])


def results_by_question(
    pairs: list[tuple[str, Verdict]], questions: list[Question]
) -> list[QuestionResult]:
    """Group (question id, verdict) pairs by question, in question order (questions without
    checks included)."""
    rows: dict[str, QuestionResult] = {}
    for q in questions:
        status = "manual" if q.graded == "manual" else "unchecked"
        rows[q.id] = QuestionResult(q.id, q.level, q.title, status)
    for qid, verdict in pairs:
        row = rows.setdefault(qid, QuestionResult(qid, "", "", "unchecked"))
        if verdict.passed:
            if row.status == "unchecked":
                row.status = "passed"
        else:
            row.status = "failed"
            row.messages.append(verdict.message)
    return list(rows.values())


def format_report(rows: list[QuestionResult]) -> str:
    """The per-question lines, the count of passed questions and the hidden-tests reminder."""
    lines = []
    width = max((len(r.question) for r in rows), default=2)
    for r in rows:
        title = r.title if len(r.title) <= 48 else r.title[:45] + "..."
        head = f"  {r.question:<{width}}  {r.level or ' '}  {title:<48}  "
        if r.status == "passed":
            lines.append(head + "passed")
        elif r.status == "failed":
            lines.append(head + "FAILED")
            lines.extend(f"      - {m}" for m in r.messages)
        elif r.status == "manual":
            lines.append(head + "graded by a person (no automatic check)")
        else:
            lines.append(head + "no public check")
    checked = [r for r in rows if r.status in ("passed", "failed")]
    passed = sum(r.status == "passed" for r in checked)
    lines.append(f"Public checks passed for {passed} of {len(checked)} questions.")
    lines.append(REMINDER)
    return "\n".join(lines)


def _execute(nb: Any, cwd: Path, timeout: float, kernel_name: str, first_probe: int) -> list[str]:
    """Execute ``nb`` in place cell by cell (errors allowed); return notes on problems."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notes: list[str] = []
    quiet = logging.getLogger("optcourse.check.nbclient")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False  # the notes below say it in the student's words
    client = NotebookClient(
        nb,
        log=quiet,
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd)}},
    )
    errors: list[str] = []
    # The kernel's own log (e.g. its transport warning) is not for students: silence it.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                notes.append(f"Cell {index} was stopped after {timeout:g} s (an endless loop?)")
            except DeadKernelError:
                notes.append(f"The kernel died while running cell {index}; later cells did not run")
                break
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error" or index >= first_probe:
                    continue
                if out.get("ename") == "KeyboardInterrupt":  # interrupted on timeout
                    notes.append(f"Cell {index} was stopped after {timeout:g} s (an endless loop?)")
                else:
                    errors.append(
                        f"cell {index}: {out.get('ename')}: {out.get('evalue', '')}"[:120]
                    )
    if errors:
        notes.append(f"{len(errors)} cell(s) raised an error; the first: {errors[0]}")
    return notes


def _cell_verdicts(cell: Any, question: str, timeout: float) -> list[tuple[str, Verdict]]:
    """The verdicts a ``run_test_cell`` cell printed (JSON only), or one failure saying why not."""
    outputs = cell.get("outputs", [])

    def failed(message: str) -> list[tuple[str, Verdict]]:
        return [(question, Verdict(0.0, False, message))]

    if any(o.get("ename") == "KeyboardInterrupt" for o in outputs):
        return failed(f"the checks did not finish within {timeout:g} s (an endless loop?)")
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    report = read_report(text)
    if report is None:
        return failed("the checks did not report (did the kernel stop?)")
    if report.error is not None:
        return failed(f"the test cell was changed and no longer runs ({report.error})")
    return [(question, Verdict(0.0, passed, message)) for passed, message in report.verdicts]


def check_notebook(
    path: str | Path, *, timeout: float = 120.0, kernel_name: str = "python3"
) -> CheckReport:
    """Run the notebook at ``path`` in a fresh kernel and judge its public checks per question.

    The notebook's cells run first, then each public test cell again through
    :func:`optcourse.assignment.session.run_test_cell`, in the same kernel; this process only
    reads the JSON verdicts printed there (:mod:`optcourse.assignment.protocol`; nothing from the
    notebook is executed here). Raises
    :class:`AssignmentError` for a missing, corrupt or incomplete notebook.
    """
    import nbformat

    path = Path(path)
    nb = read_notebook(path)
    meta = assignment_metadata(nb, str(path))
    expected = nb.metadata["optcourse"].get("cells")
    if isinstance(expected, list):
        check_structure(nb, [str(k) for k in expected], where=str(path))
    questions = parse_questions(nb, where=str(path))
    if not questions:
        raise AssignmentError(f"{path}: has no questions (their cell metadata was removed?)")
    test_cells = []
    for cell in nb.cells:
        role = cell_role(cell)
        if role is not None and role.kind == "tests" and role.visibility == "public":
            test_cells.append((str(role.question), cell.source))
    n_cells = len(nb.cells)
    for _, source in test_cells:
        code = (
            "from optcourse.assignment.session import run_test_cell as _optcourse_run_test_cell\n"
            f"_optcourse_run_test_cell({source!r})"
        )
        nb.cells.append(nbformat.v4.new_code_cell(code))
    notes = _execute(nb, path.parent.resolve(), timeout, kernel_name, first_probe=n_cells)
    pairs: list[tuple[str, Verdict]] = []
    for (question, _), cell in zip(test_cells, nb.cells[n_cells:], strict=True):
        pairs.extend(_cell_verdicts(cell, question, timeout))
    del nb.cells[n_cells:]
    rows = results_by_question(pairs, questions)
    return CheckReport(path, meta["assignment"], meta["version"], rows, notes, notebook=nb)
