"""Output is bounded: a submission cannot make the grader write megabytes per file.

A notebook of thousands of cells, each raising a long error, used to put every message into
``results.json``, ``feedback.md`` and the resume record ``grading.json`` (10 MB each for 20,000
cells). Every text is now cut to a cap (``optcourse.grading.results.MAX_*``) and says
"... (truncated)"; a normal submission's outputs are unchanged."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from optcourse.grading.batch import Submission, grade_all
from optcourse.grading.kernel import KernelLimits
from optcourse.grading.results import (
    MAX_FILE_TEXT,
    MAX_NOTES_TOTAL,
    MAX_TEST_OUTPUT,
    TRUNCATED,
    SubmissionResult,
    TestResult,
    bound,
    feedback_text,
    results_json,
    to_record,
)

HERE = Path(__file__).parent / "hostile"
if "fake_assignment" in sys.modules:
    fake = sys.modules["fake_assignment"]
else:
    _spec = importlib.util.spec_from_file_location("fake_assignment", HERE / "fake_assignment.py")
    assert _spec is not None and _spec.loader is not None
    fake = importlib.util.module_from_spec(_spec)
    sys.modules["fake_assignment"] = fake
    _spec.loader.exec_module(fake)

LIMITS = KernelLimits(cell_timeout=2.5, total_timeout=120, memory=1024**3)
#: One erroring cell: a 490-character message, as in the issue.
ERROR_CELL = "raise ValueError('" + "x" * 490 + "')"
N_CELLS = 20_000  # as in the issue: 10 MB per file before the caps


@pytest.fixture(scope="module")
def master():
    with fake.FakeAssignment.in_temp_folder() as assignment:
        yield assignment


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


def test_many_erroring_cells_write_bounded_files(tmp_path, master):
    cells = [fake.GOOD_CELLS[0], *[ERROR_CELL] * N_CELLS, *fake.GOOD_CELLS[1:]]
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "flood.ipynb").write_text(json.dumps(fake.notebook(cells)))
    (folder / "good.ipynb").write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    subs = [Submission(p.stem, p) for p in sorted(folder.glob("*.ipynb"))]
    out = tmp_path / "out"
    flood, good = grade_all(subs, master, out, jobs=1, limits=LIMITS)
    assert flood.score == 4.0  # the errors cost nothing: every answer is right
    files = _files(out / "flood")
    assert {"results.json", "feedback.md", "grading.json"} <= set(files)
    for name in ("results.json", "feedback.md", "grading.json"):
        assert len(files[name]) < MAX_FILE_TEXT, name
        assert TRUNCATED in files[name], name
    for name, text in files.items():
        assert len(text) < MAX_FILE_TEXT, name
    # the first errors are still reported in full
    assert "Cell 2: ValueError: " + "x" * 490 in files["feedback.md"]
    assert good.score == 4.0
    assert all(TRUNCATED not in text for text in _files(out / "good").values())


def _normal_result() -> SubmissionResult:
    tests = [
        TestResult("q1: answer", "q1", 1.0, 1.0, "passed", "", "visible"),
        TestResult("q2: double", "q2", 0.0, 2.0, "failed", "double(3.0) gave 7", "visible"),
    ]
    notes = [f"Cell {i}: NameError: name 'y' is not defined" for i in range(30)]
    return SubmissionResult("alice", "alice.ipynb", "ab" * 32, "graded", tests, notes, "hi\n")


def test_a_normal_result_is_not_changed():
    result = _normal_result()
    before = copy.deepcopy(result)
    assert bound(result) == before
    for text in (json.dumps(results_json(result)), feedback_text(result)):
        assert TRUNCATED not in text
    assert result == before


def test_every_text_of_a_result_is_capped():
    result = _normal_result()
    result.notes = ["ValueError: " + "x" * 490] * 20_000 + ["Cell 9: " + "y" * 50_000]
    result.tests[1].output = "z" * 1_000_000
    result.printed = "p" * 1_000_000
    out = json.dumps(results_json(result))
    assert len(out) < MAX_FILE_TEXT and TRUNCATED in out
    assert len(feedback_text(result)) < MAX_FILE_TEXT
    assert len(json.dumps(to_record(result))) < MAX_FILE_TEXT
    assert len(result.tests[1].output) <= MAX_TEST_OUTPUT
    assert result.tests[1].output.endswith(TRUNCATED)
    assert sum(map(len, result.notes)) <= MAX_NOTES_TOTAL + 100
    assert result.notes[-1].startswith(TRUNCATED) and "more notes left out" in result.notes[-1]
    assert len(result.printed) < MAX_FILE_TEXT and result.printed.endswith(TRUNCATED)
    again = copy.deepcopy(result)
    assert bound(result) == again  # cutting twice changes nothing
