"""``optcourse manual export`` and ``optcourse manual import``: the questions graded by a person.

A small class is graded as in ``test_grading_class.py`` (the fake assignment, real isolated
kernels; its q4, 2 points, is graded by a person), then its answers are exported, a TA's scores
imported, and ``grades.csv``, ``results.json`` and ``feedback.md`` read back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optcourse.cli import main
from optcourse.grading.batch import collect, grade_all
from optcourse.grading.kernel import KernelLimits
from optcourse.grading.manual import (
    ADDED_CELL,
    IMPORTED,
    answers_in,
    dropped,
    export,
    load_scores,
)
from optcourse.grading.results import MAX_ANSWER, TRUNCATED, SubmissionResult, to_record

sys.path.insert(0, str(Path(__file__).parent))
from test_grading_class import fake  # noqa: E402  (the fake assignment, loaded once)

ROOT = Path(__file__).resolve().parents[1]
LIMITS = KernelLimits(cell_timeout=5, total_timeout=40, memory=1024**3)
HOSTILE = "<script>alert(1)</script></pre><img src=x onerror=alert(2)>"
ALICE = "Training loss stands in for the loss on new data.\n\nIt can fall while *that* rises."
EVIL = "=evil<b>"  # a folder name a spreadsheet would run and a browser would render


def _notebook(path: Path, cells: list[str], answer: str | list[str] | None) -> None:
    """A submission of the fake assignment: ``cells`` as code, ``answer`` in q4's answer cell."""
    nb = fake.notebook(cells)
    if answer is not None:
        meta = {"optcourse": {"solution": "q4"}}
        nb["cells"].append({"cell_type": "markdown", "metadata": meta, "source": answer, "id": "a"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def assignment():
    with fake.FakeAssignment.in_temp_folder() as made:
        yield made


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory, assignment) -> Path:
    """A class of six: a good answer, a wrong q1 with a hostile answer, the untouched answer
    stub, a student named like a formula, a corrupt file and an empty folder."""
    base = tmp_path_factory.mktemp("manual")
    cls = base / "class"
    _notebook(cls / "alice" / "00_fake.ipynb", fake.GOOD_CELLS, ALICE)
    _notebook(cls / "bob" / "00_fake.ipynb", ["answer = 41", *fake.GOOD_CELLS[1:]], HOSTILE)
    _notebook(cls / "carol" / "00_fake.ipynb", fake.GOOD_CELLS, "*Your answer here.*")
    _notebook(cls / EVIL / "00_fake.ipynb", fake.GOOD_CELLS, ["Two ", "lines\n", "of it."])
    (cls / "dave").mkdir()
    (cls / "dave" / "00_fake.ipynb").write_text("{ not a notebook")
    (cls / "erin").mkdir()
    grade_all(collect([cls], assignment.name), assignment, base / "grades", limits=LIMITS)
    return base


@pytest.fixture
def graded(graded_once, tmp_path) -> Path:
    """A fresh copy of the graded class (its submissions beside it) for one test to change."""
    shutil.copytree(graded_once, tmp_path / "copy")
    return tmp_path / "copy" / "grades"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _fill(template: Path, points: dict[str, tuple[str, str]], target: Path) -> Path:
    """The template with ``points[student] = (points, comment)`` filled in, written to target."""
    rows = _rows(template)
    for row in rows:
        row["points"], row["comment"] = points.get(row["student"], ("", ""))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


def _files(grades: Path) -> dict[str, bytes]:
    """Every file of a grades folder (name relative to it) with its bytes."""
    return {
        p.relative_to(grades).as_posix(): p.read_bytes()
        for p in sorted(grades.rglob("*"))
        if p.is_file()
    }


def test_the_export_shows_each_answer_once_with_the_question_and_rubric(graded, assignment):
    done = export(graded, assignment)
    page = done.page.read_text()
    assert done.page == graded / "manual.html" and done.wrote_template
    assert "q4: an essay (2 points)" in page
    assert '<aside class="rubric"><h3>Rubric</h3><pre>rubric</pre></aside>' in page
    blocks = {b.split("</h3>")[0]: b for b in page.split("<article")[1:]}
    assert (
        "Training loss stands in for the loss on new data.\n\nIt can fall while *that*"
        in (blocks[' id="q4-alice"><h3>alice'])
    )
    assert "No answer." in blocks[' id="q4-carol"><h3>carol']
    assert "<pre>Two lines\nof it.</pre>" in blocks[' id="q4-=evil&lt;b&gt;"><h3>=evil&lt;b&gt;']
    assert "the notebook could not be read" in blocks[' id="q4-dave"><h3>dave']
    assert "no notebook handed in" in blocks[' id="q4-erin"><h3>erin']
    assert len(blocks) == 6
    template = _rows(done.template)
    assert [(r["student"], r["question"], r["points"], r["max_points"]) for r in template] == [
        ("'=evil<b>", "q4", "", "2"),
        ("alice", "q4", "", "2"),
        ("bob", "q4", "", "2"),
        ("carol", "q4", "", "2"),
    ]


def test_a_hostile_answer_is_shown_as_text_never_as_markup(graded, assignment):
    page = export(graded, assignment).page.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/pre&gt;&lt;img src=x" in page
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "<link" not in page and "src=" not in page.replace("img src=x", "")


def test_the_export_is_byte_identical_across_runs(graded, tmp_path):
    assert main(["manual", "export", str(graded)]) == 0
    first = (graded / "manual.html").read_bytes(), (graded / "manual_scores.csv").read_bytes()
    (graded / "manual_scores.csv").unlink()
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    cmd = [sys.executable, "-m", "optcourse", "manual", "export", str(graded)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (graded / "manual.html").read_bytes() == first[0]
    assert (graded / "manual_scores.csv").read_bytes() == first[1]


def test_a_filled_in_template_is_never_overwritten(graded, capsys):
    (graded / "manual_scores.csv").write_text("student,question,points,comment\nalice,q4,2,\n")
    assert main(["manual", "export", str(graded)]) == 0
    assert "kept" in capsys.readouterr().out
    assert (
        graded / "manual_scores.csv"
    ).read_text() == "student,question,points,comment\nalice,q4,2,\n"


def test_the_round_trip_puts_the_scores_into_grades_results_and_feedback(graded, capsys):
    assert main(["manual", "export", str(graded)]) == 0
    scores = _fill(
        graded / "manual_scores.csv",
        {
            "alice": ("2", "Clear and complete."),
            "bob": ("0.5", "Only the first point."),
            "'=evil<b>": ("1", "=SUM(1)"),
        },
        graded.parent / "filled.csv",
    )
    assert main(["manual", "import", str(scores), str(graded)]) == 0
    assert (
        "imported 3 score(s) for 3 student(s); 1 answer(s) not scored yet"
        in capsys.readouterr().out
    )
    rows = {r["student"]: r for r in _rows(graded / "grades.csv")}
    got = {
        s: (r["q4"], r["auto_score"], r["manual_score"], r["manual_unscored"], r["total"])
        for s, r in rows.items()
    }
    assert got == {
        "alice": ("2", "4", "2", "0", "6"),
        "bob": ("0.5", "3", "0.5", "0", "3.5"),
        "carol": ("", "4", "0", "1", "4"),
        "'=evil<b>": ("1", "4", "1", "0", "5"),
        "dave": ("", "0", "0", "0", "0"),
        "erin": ("", "0", "0", "0", "0"),
    }
    assert {r["total_max"] for r in rows.values()} == {"6"}
    data = json.loads((graded / "alice__00_fake" / "results.json").read_text())
    [q4] = [t for t in data["tests"] if t["name"].startswith("q4")]
    assert (q4["score"], q4["max_score"], data["score"]) == (2, 2, 6)
    assert q4["output"] == "Graded by a person: 2 / 2. Comment: Clear and complete."
    feedback = (graded / "bob__00_fake" / "feedback.md").read_text()
    assert "Graded by a person: **0.5 / 2**" in feedback and "Total: **3.5 / 6**" in feedback
    assert "- **q4: an essay** (0.5/2): graded by a person\n  Comment: Only the first point." in (
        feedback
    )
    assert "(1 not scored yet)" in (graded / "carol__00_fake" / "feedback.md").read_text()
    # the class report still reads the folder: q4 stays out of the autograded statistics
    assert main(["report", str(graded)]) == 0
    report = (graded / "report.html").read_text()
    assert "<tr><td>q4</td><td colspan=4>graded by a person</td></tr>" in report
    # and the export shows what was imported, for a second look
    page = export(graded).page.read_text()
    assert "Imported score 0.5 / 2: Only the first point." in page


def _import(graded: Path, lines: list[str], capsys) -> tuple[int, str]:
    path = graded.parent / "scores.csv"
    path.write_text("student,question,points,max_points,comment\n" + "".join(lines))
    code = main(["manual", "import", str(path), str(graded)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("zoe,q4,1,2,\n", "no student 'zoe' in"),
        ("alice,q9,1,2,\n", "no question 'q9' graded by a person (these are: q4)"),
        ("alice,q1,1,1,\n", "question q1 is autograded, not graded by a person"),
        ("alice,q4,one,2,\n", "points 'one' is not a number"),
        ("alice,q4,nan,2,\n", "points 'nan' is not a number"),
        ("alice,q4,-1,2,\n", "points -1 is negative"),
        ("alice,q4,2.5,2,\n", "points 2.5 is above the question's maximum of 2"),
        ("alice,q4,1,3,\n", "max_points says 3 but q4 is worth 2 points"),
        ("dave,q4,1,2,\n", "dave has no graded submission (status unreadable)"),
        ("erin,q4,0,2,\n", "erin has no graded submission (status missing)"),
        (",q4,1,2,\n", "the student cell is empty"),
    ],
)
def test_a_bad_row_is_named_with_its_line_and_nothing_is_written(graded, capsys, line, problem):
    before = _files(graded)
    code, err = _import(graded, ["bob,q4,1,2,fine\n", line, "carol,q4,,2,\n"], capsys)
    assert code == 2
    assert f"scores.csv:3: {problem}" in err and "nothing was imported" in err
    assert "Traceback" not in err
    assert _files(graded) == before


def test_every_bad_row_is_listed_and_a_duplicate_names_both_lines(graded, capsys):
    before = _files(graded)
    code, err = _import(graded, ["bob,q4,1,2,\n", "bob,q4,2,2,\n", "alice,q4,x,2,\n"], capsys)
    assert code == 2
    assert "scores.csv:3: bob q4 appears twice (also on line 2)" in err
    assert "scores.csv:4: points 'x' is not a number" in err
    assert _files(graded) == before


def test_a_file_that_is_not_a_scores_csv_is_a_clear_error(graded, capsys):
    path = graded.parent / "wrong.csv"
    path.write_text("name;score\nalice;2\n")
    assert main(["manual", "import", str(path), str(graded)]) == 2
    err = capsys.readouterr().err
    assert "wrong.csv:1: the header lacks the column(s) student, question, points, comment" in err
    assert main(["manual", "import", str(graded.parent / "none.csv"), str(graded)]) == 2
    assert "no such scores file" in capsys.readouterr().err
    assert main(["manual", "export", str(graded.parent)]) == 2
    assert "holds no grades.csv" in capsys.readouterr().err


def test_importing_again_changes_nothing_and_a_corrected_file_replaces_all(graded, capsys):
    first = graded.parent / "first.csv"
    first.write_text("student,question,points,comment\nalice,q4,2,good\nbob,q4,1,half\n")
    assert main(["manual", "import", str(first), str(graded)]) == 0
    once = _files(graded)
    assert main(["manual", "import", str(first), str(graded)]) == 0
    assert _files(graded) == once
    corrected = graded.parent / "corrected.csv"
    corrected.write_text("student,question,points,comment\nalice,q4,1.5,missed a point\n")
    assert main(["manual", "import", str(corrected), str(graded)]) == 0
    rows = {r["student"]: r for r in _rows(graded / "grades.csv")}
    assert (rows["alice"]["q4"], rows["alice"]["total"]) == ("1.5", "5.5")
    assert (rows["bob"]["q4"], rows["bob"]["total"], rows["bob"]["manual_unscored"]) == (
        "",
        "3",
        "1",
    )
    assert "half" not in (graded / "bob__00_fake" / "feedback.md").read_text()
    capsys.readouterr()


def test_grading_again_keeps_the_scores_of_unchanged_answers(graded, assignment):
    """Resuming keeps every score; a regraded notebook keeps its score when its answer is the
    same, and loses it (named by ``dropped``) when the student changed the answer."""
    scores = graded.parent / "s.csv"
    scores.write_text("student,question,points,comment\nalice,q4,2,\nbob,q4,1,\ncarol,q4,,\n")
    assert main(["manual", "import", str(scores), str(graded)]) == 0
    cls = graded.parent / "class"
    results = grade_all(collect([cls], assignment.name), assignment, graded, limits=LIMITS)
    assert dropped(results, load_scores(graded)) == []
    rows = {r["student"]: r for r in _rows(graded / "grades.csv")}
    assert (rows["alice"]["total"], rows["bob"]["total"]) == ("6", "4")
    # bob fixes q1 (same answer to q4), alice rewrites her answer: both are graded again
    _notebook(cls / "bob" / "00_fake.ipynb", fake.GOOD_CELLS, HOSTILE)
    _notebook(cls / "alice" / "00_fake.ipynb", fake.GOOD_CELLS, "A new answer.")
    results = grade_all(collect([cls], assignment.name), assignment, graded, limits=LIMITS)
    assert dropped(results, load_scores(graded)) == ["alice q4"]
    rows = {r["student"]: r for r in _rows(graded / "grades.csv")}
    assert (rows["bob"]["auto_score"], rows["bob"]["q4"], rows["bob"]["total"]) == ("4", "1", "5")
    assert (rows["alice"]["q4"], rows["alice"]["manual_unscored"]) == ("", "1")
    assert "Graded by a person: **1 / 2**" in (graded / "bob__00_fake" / "feedback.md").read_text()
    assert (graded / IMPORTED).exists()


def test_the_real_master_round_trip_through_the_command_line(tmp_path, capsys):
    """Set 1: the master's model answer and a stub whose answer cell holds markup; the page
    shows the master's question text and rubric, the import gives the TA's points."""
    master = ROOT / "solutions" / "01_learning_is_optimization.ipynb"
    student = ROOT / "exercises" / master.name
    cls = tmp_path / "class"
    (cls / "alice").mkdir(parents=True)
    shutil.copy(master, cls / "alice" / master.name)
    nb = json.loads(student.read_text())
    for i, c in enumerate(nb["cells"]):
        if c["metadata"].get("optcourse", {}).get("solution") == "q12":
            c["source"] = HOSTILE
            at = i + 1
    added = {"cell_type": "markdown", "metadata": {}, "source": "And a cell I added.", "id": "b0b"}
    nb["cells"].insert(at, added)  # "insert cell below" in Jupyter: a new id, no metadata
    (cls / "bob").mkdir()
    (cls / "bob" / master.name).write_text(json.dumps(nb))
    out = tmp_path / "grades"
    grade = ["grade", str(cls), "--assignment", str(master), "--out", str(out), "--timeout", "20"]
    assert main(grade) == 0
    assert main(["manual", "export", str(out), "--master", str(master)]) == 0
    page = (out / "manual.html").read_text()
    assert "is the minimum what we want?" in page and "Restating the prompt earns nothing" in page
    assert "*Model answer.* The training loss is a stand-in" in page
    assert "&lt;script&gt;" in page and "<script" not in page
    bob = page.split('<article id="q12-bob">')[1].split("</article>")[0]
    assert (
        f"&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;\n\n{ADDED_CELL}\nAnd a cell I added."
        in bob
    )
    assert "Check your work" in "".join(nb["cells"][at + 1]["source"])  # the master's next cell
    assert "Check your work" not in bob
    filled = _fill(
        out / "manual_scores.csv", {"alice": ("3", ""), "bob": ("0", "")}, tmp_path / "f.csv"
    )
    assert main(["manual", "import", str(filled), str(out)]) == 0
    rows = {r["student"]: r for r in _rows(out / "grades.csv")}
    assert rows["alice"]["q12"] == "3" and rows["bob"]["q12"] == "0"
    # both questions graded by a person (q10, the proof, and q12) got the filled-in points
    assert float(rows["alice"]["total"]) == float(rows["alice"]["auto_score"]) + 3 + 3
    assert rows["alice"]["total_max"] == rows["alice"]["total"]
    capsys.readouterr()
    # another master's rubric is shown with a warning
    other = ROOT / "solutions" / "02_gradient_descent_x2.ipynb"
    page = tmp_path / "other.html"
    assert main(["manual", "export", str(out), "--master", str(other), "--out", str(page)]) == 0
    assert "is not the one the class was graded with" in capsys.readouterr().err
    # bob rewrites his answer and is graded again: his score no longer applies, and grade says so
    for c in nb["cells"]:
        if c["metadata"].get("optcourse", {}).get("solution") == "q12":
            c["source"] = "A second try."
    (cls / "bob" / master.name).write_text(json.dumps(nb))
    assert main(grade) == 0
    err = capsys.readouterr().err
    assert "1 imported manual score(s) no longer apply" in err and "(bob q12)" in err
    rows = {r["student"]: r for r in _rows(out / "grades.csv")}
    assert (rows["alice"]["q12"], rows["bob"]["q12"], rows["bob"]["manual_unscored"]) == (
        "3",
        "",
        "1",
    )


def test_a_huge_answer_is_cut_before_it_is_kept():
    """An answer cell of megabytes would otherwise be copied into grading.json and the page."""
    result = SubmissionResult("s", "s.ipynb", "", "graded", answers={"q4": "x" * 10**6})
    kept = to_record(result)["answers"]["q4"]
    assert len(kept) <= MAX_ANSWER and kept.endswith(TRUNCATED)


def test_only_cells_the_student_added_below_an_answer_cell_join_the_answer():
    def md(source, cid, meta=None):
        return {"cell_type": "markdown", "metadata": meta or {}, "source": source, "id": cid}

    answer = {"optcourse": {"solution": "q4"}}
    cells = [
        md("*Your answer here.*", "a", answer),
        md("My answer, in a new cell.", "new1"),
        md("## The master's next section", "m1"),
        md("A note the student added elsewhere.", "new2"),
    ]
    nb = {"cells": cells}
    assert answers_in(nb, ["q4"], frozenset({"a", "m1"})) == {
        "q4": f"{ADDED_CELL}\nMy answer, in a new cell."
    }
    assert answers_in(nb, ["q4"]) == {"q4": ""}  # without the master's ids: the answer cell only
