"""``optcourse report``: the HTML class report of a small graded class (built as in
``test_grading_class.py``: the fake assignment, real isolated kernels)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optcourse.cli import main
from optcourse.grading.batch import collect, grade_all
from optcourse.grading.kernel import KernelLimits

sys.path.insert(0, str(Path(__file__).parent))
from test_grading_class import fake  # noqa: E402  (the fake assignment, loaded once)

LIMITS = KernelLimits(cell_timeout=1, total_timeout=40, memory=1024**3)
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """A class of six: full marks, a wrong answer, a time-out, a hostile error message, a
    corrupt file and a student who handed nothing in."""
    base = tmp_path_factory.mktemp("report")
    cls = base / "class"
    cells = {
        "alice": fake.GOOD_CELLS,
        "bob": ["answer = 41", *fake.GOOD_CELLS[1:]],
        "carol": ["while True:\n    pass", *fake.GOOD_CELLS],
        "mallory": [
            "answer = 42",
            f"def double(x):\n    raise ValueError({XSS!r})",
            "late = 'done'",
        ],
    }
    for student, sources in cells.items():
        (cls / student).mkdir(parents=True)
        (cls / student / "00_fake.ipynb").write_text(json.dumps(fake.notebook(sources)))
    (cls / "dave").mkdir()
    (cls / "dave" / "00_fake.ipynb").write_text("{ not a notebook")
    (cls / "erin").mkdir()
    out = base / "grades"
    with fake.FakeAssignment.in_temp_folder() as assignment:
        grade_all(collect([cls], assignment.name), assignment, out, limits=LIMITS)
    return out


def _cells(page: str, question: str) -> list[str]:
    row = re.search(rf"<tr><td>{question}</td>(.*?)</tr>", page)
    assert row, question
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_the_report_shows_distribution_questions_failures_and_problems(graded, capsys):
    assert main(["report", str(graded)]) == 0
    assert f"wrote {graded / 'report.html'}" in capsys.readouterr().out
    page = (graded / "report.html").read_text()
    assert page.count("<svg") == 2  # the score distribution and the per-question chart
    assert "graded submissions: mean 3.25, median 3.5, lowest 2, highest 4." in page
    # graded: alice 4, bob 3 (q1 wrong), carol 4 (after a time-out), mallory 2 (q2 raised)
    assert _cells(page, "q1")[:3] == ["0.75", "1", "75%"]
    assert _cells(page, "q2")[:3] == ["1.50", "2", "75%"]
    assert _cells(page, "q3")[:3] == ["1.00", "1", "100%"]
    assert "graded by a person" in _cells(page, "q4")[0]
    assert "wrong value <b>(1)</b>" in _cells(page, "q1")[3]
    # the failure message from the student's code is shown, escaped, never as markup
    assert "ValueError: &lt;img src=x onerror=alert(1)&gt;" in _cells(page, "q2")[3]
    assert XSS not in page
    problems = page.split("Submissions that errored, timed out")[1]
    assert "<td>carol</td><td>graded</td><td>yes</td>" in problems
    assert "<td>dave</td><td>unreadable</td>" in problems and "not a Jupyter notebook" in problems
    assert "<td>alice</td>" not in problems and "<td>bob</td>" not in problems
    assert page.split("Students with no notebook")[1].startswith("</h2>\n<p>erin</p>")


def test_the_report_is_self_contained_and_reproducible(graded, tmp_path):
    first = tmp_path / "a.html"
    assert main(["report", str(graded), "--out", str(first)]) == 0
    page = first.read_text()
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"(href|src)=\"https?:", page)
    # another process (another hash seed, a fresh matplotlib) writes the same bytes
    second = tmp_path / "b.html"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    cmd = [sys.executable, "-m", "optcourse", "report", str(graded), "--out", str(second)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert first.read_bytes() == second.read_bytes()


def test_a_folder_that_is_not_a_graded_class_is_a_usage_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "--out folder of optcourse grade" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds no grades.csv" in err and "Traceback" not in err
    (tmp_path / "grades.csv").write_text("name,score\nalice,3\n")
    assert main(["report", str(tmp_path)]) == 2
    assert "not a grades.csv written by optcourse grade" in capsys.readouterr().err
