"""The student notebooks in ``exercises/``, run as a student first opens them.

Each notebook runs top to bottom in a fresh kernel (nbclient). Nothing may raise except the
answer stubs tagged ``raises-exception`` (``raise NotImplementedError``), and every public check
must report "failed": a check that an unanswered notebook passes gives the answer away or checks
nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from optcourse.assignment.checks import record_cell
from optcourse.assignment.notebook import cell_role

REPO = Path(__file__).resolve().parents[1]
STUDENT = sorted((REPO / "exercises").glob("*.ipynb"))
LINE = re.compile(r"^(q\w+) \[(public|hidden)\] (passed|failed)", re.M)


def _public_checks_in(source: str) -> list[str]:
    """The questions of the checks a test cell makes, in order (recorded, nothing evaluated)."""
    return [s.question for s in record_cell(source)]


def _stream_text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module", params=STUDENT, ids=lambda p: p.name)
def executed(request: pytest.FixtureRequest) -> nbformat.NotebookNode:
    nb = nbformat.read(request.param, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=False,  # an error stops the run, except in cells tagged raises-exception
        resources={"metadata": {"path": str(request.param.parent)}},
    )
    client.execute()
    return nb


def test_there_are_student_notebooks() -> None:
    assert [p.name for p in STUDENT] == [
        p.name for p in sorted((REPO / "solutions").glob("*.ipynb"))
    ]


def test_only_answer_stubs_raise(executed: nbformat.NotebookNode) -> None:
    stubs = 0
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            # a stub function only raises when called; a top-level stub raises at once
            role = cell_role(cell)
            assert role is not None and role.kind == "solution", f"cell {index}: tagged, no stub"
            assert "NotImplementedError" in cell.source
            assert {e.ename for e in errors} <= {"NotImplementedError"}, f"cell {index}: {errors}"
            stubs += 1
        else:
            assert not errors, f"cell {index} raised {errors[0].ename}: {errors[0].evalue}"
    assert stubs >= 1  # every exercise set has code to write


def test_every_public_check_reports_failed(executed: nbformat.NotebookNode) -> None:
    n_cells = 0
    for index, cell in enumerate(executed.cells):
        role = cell_role(cell)
        if role is None or role.kind != "tests":
            continue
        assert role.visibility == "public", f"cell {index}: a hidden test in a student notebook"
        expected = _public_checks_in(cell.source)
        reported = LINE.findall(_stream_text(cell))
        assert [q for q, _, _ in reported] == expected, f"cell {index}: {reported} != {expected}"
        assert all(vis == "public" for _, vis, _ in reported)
        passed = [q for q, _, verdict in reported if verdict != "failed"]
        assert not passed, f"cell {index}: checks of {passed} pass on the unanswered notebook"
        n_cells += 1
    assert n_cells >= 5


def test_check_all_summarises_no_passed_question(executed: nbformat.NotebookNode) -> None:
    last = [c for c in executed.cells if c.cell_type == "code"][-1]
    assert last.source.strip() == "check_all()"
    summary = re.search(r"Public checks passed for (\d+) of (\d+) questions", _stream_text(last))
    assert summary is not None, _stream_text(last)
    assert summary.group(1) == "0" and int(summary.group(2)) >= 5
