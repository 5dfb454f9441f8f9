"""The grader on the real master: scores, files, resuming, the CLI and the Gradescope bundle."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from optcourse.assignment.assign import make_student_notebook
from optcourse.assignment.master import load_assignment
from optcourse.cli import main
from optcourse.grading.batch import Progress
from optcourse.grading.grade import grade_submission
from optcourse.grading.gradescope import build_bundle
from optcourse.grading.kernel import KernelLimits

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
pytestmark = pytest.mark.skipif(not MASTERS, reason="no master notebook in solutions/")
LIMITS = KernelLimits(cell_timeout=20, total_timeout=60)


@pytest.fixture(scope="module")
def master() -> Path:
    return MASTERS[0]


@pytest.fixture(scope="module")
def assignment(master):
    return load_assignment(master)


@pytest.fixture(scope="module")
def stub_notebook(master, tmp_path_factory) -> Path:
    nb = make_student_notebook(nbformat.read(master, as_version=4))
    path = tmp_path_factory.mktemp("student") / "stub.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("path", MASTERS, ids=[m.stem for m in MASTERS])
def test_reference_solutions_earn_every_autograded_point(path):
    assignment = load_assignment(path)
    result = grade_submission(path, assignment, limits=LIMITS)
    assert result.status == "graded"
    assert not [n for n in result.notes if n.startswith(("Cell", "While"))]
    assert result.score == result.max_score > 0
    manual = {q.id for q in assignment.questions if q.graded == "manual"}
    assert {t.question for t in result.tests if t.status == "manual"} == manual
    assert all(t.score == 0 for t in result.tests if t.status == "manual")


@pytest.mark.parametrize("path", MASTERS, ids=[m.stem for m in MASTERS])
def test_student_stubs_earn_nothing(path, tmp_path):
    stub = tmp_path / path.name
    nbformat.write(make_student_notebook(nbformat.read(path, as_version=4)), stub)
    assignment = load_assignment(path)
    result = grade_submission(stub, assignment, limits=LIMITS)
    assert (result.status, result.score) == ("graded", 0.0)
    auto = [t for t in result.tests if t.status != "manual" and t.max_score > 0]
    assert auto and all(t.status == "failed" and t.output for t in auto)


def test_patching_optcourse_in_the_kernel_earns_nothing(master, assignment, tmp_path):
    """The solutions with one answer made wrong, then optcourse's checks and numpy patched."""
    rng = np.random.default_rng(0)
    probes = {t.name: t.make_probes(rng).expressions for t in assignment.tests}
    target = next(
        p[0]
        for t in assignment.tests
        if t.points > 0 and len(p := probes[t.name]) == 1 and p[0].isidentifier()
    )
    lost = sum(t.points for t in assignment.tests if target in probes[t.name])
    nb = nbformat.read(master, as_version=4)
    cheat = (
        "import numpy as np\nimport optcourse.exercise as ex\n"
        "ex.TestSpec.judge = lambda self, probes, values: ex.Verdict(self.points, True, '')\n"
        "np.allclose = lambda *a, **k: True\n"
        f"{target} = 'a wrong answer'\n"
    )
    nb.cells.append(nbformat.v4.new_code_cell(cheat))
    path = tmp_path / "cheat.ipynb"
    nbformat.write(nb, path)
    result = grade_submission(path, assignment, limits=LIMITS)
    assert lost > 0
    assert result.score == result.max_score - lost


def test_grade_command_writes_results_feedback_and_csv(master, stub_notebook, tmp_path, capsys):
    subs = tmp_path / "collected"
    for student, source in (("alice", master), ("bob", stub_notebook)):
        (subs / student).mkdir(parents=True)
        (subs / student / master.name).write_bytes(source.read_bytes())
    (subs / "carol").mkdir()
    (subs / "carol" / master.name).write_text("{ not a notebook")
    out = tmp_path / "out"
    argv = ["grade", str(subs), "--assignment", str(master), "--out", str(out), "--timeout", "20"]
    assert main(argv) == 0
    names = [f"{s}__{master.stem}" for s in ("alice", "bob", "carol")]
    data = json.loads((out / names[0] / "results.json").read_text())
    assert set(data) >= {"score", "execution_time", "tests"}
    for test in data["tests"]:
        if "Graded by a person" in test["output"]:  # no "0 / 3" before a person grades it
            assert set(test) == {"name", "output", "visibility"}
            continue
        assert set(test) >= {"name", "score", "max_score", "output", "visibility", "status"}
        assert test["status"] in ("passed", "failed")
    assert data["score"] == sum(t.get("score", 0) for t in data["tests"]) > 0
    feedback = (out / names[2] / "feedback.md").read_text()
    assert "not a Jupyter notebook" in feedback
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert [r["submission"] for r in rows] == names
    assert [r["status"] for r in rows] == ["graded", "graded", "unreadable"]
    assert float(rows[0]["auto_score"]) == float(rows[0]["auto_max"]) == data["score"]
    assert float(rows[1]["auto_score"]) == 0.0
    manual = [q.id for q in load_assignment(master).questions if q.graded == "manual"]
    assert all(r[q] == "" for r in rows for q in manual)

    # Resuming: nothing changed, nothing is regraded; a changed file is.
    stamps = {n: (out / n / "grading.json").stat().st_mtime_ns for n in names}
    assert main(argv) == 0
    assert {n: (out / n / "grading.json").stat().st_mtime_ns for n in names} == stamps
    (subs / "carol" / master.name).write_bytes(master.read_bytes())
    assert main(argv) == 0
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert rows[2]["status"] == "graded" and rows[2]["auto_score"] == rows[0]["auto_score"]
    assert (out / names[0] / "grading.json").stat().st_mtime_ns == stamps[names[0]]
    printed = capsys.readouterr().out
    assert "3 student(s) in this run: 2 graded" in printed  # the first run
    assert "1 not gradable" in printed
    assert "0 graded, 0 of them stopped at a time limit" in printed  # nothing changed
    assert "3 student(s) in this run: 1 graded" in printed  # carol's new file
    assert "2 unchanged since the last run (kept)" in printed
    assert "\nmemory limit: 2048 MB per " in printed  # says how memory is limited
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grade", "x.ipynb", "--assignment", "missing.ipynb", "--out", "o"], "no such master"),
        (["grade", "nothing_here", "--assignment", "MASTER", "--out", "o"], "no such submission"),
        (["grade", "MASTER", "--assignment", "MASTER", "--out", "o", "--jobs", "0"], "--jobs"),
        (
            ["grade", "MASTER", "--assignment", "MASTER", "--out", "o", "--timeout", "0"],
            "--timeout must be greater than 0",
        ),
        (
            ["grade", "MASTER", "--assignment", "MASTER", "--out", "o", "--memory", "-5"],
            "--memory must be greater than 0",
        ),
        (["grade", "MASTER", "--assignment", "MASTER", "--out", "a_file"], "is a file"),
        (
            ["grade", "MASTER", "--assignment", "STUDENT", "--out", "o"],
            "give the master notebook from solutions/",
        ),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv, message, master, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    student = ROOT / "exercises" / master.name
    argv = [str(student) if a == "STUDENT" else a for a in argv]
    argv = [str(master) if a == "MASTER" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_progress_bar_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(2, stream)
        bar.step("alice")
        bar.step("bob")
    assert "2/2" in tty.getvalue() and tty.getvalue().endswith("\n")
    assert pipe.getvalue() == ""


def test_gradescope_bundle_runs_on_an_autograder_tree(master, stub_notebook, tmp_path):
    bundle = tmp_path / "autograder.zip"
    assert main(["autograder", str(master), "--out", str(bundle)]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder", "master.ipynb"} <= set(names)
        assert "optcourse_pkg/optcourse/grading/kernel.py" in names
        mode = zf.getinfo("run_autograder").external_attr >> 16
        assert mode & stat.S_IXUSR
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "OPTCOURSE_PYTHON": sys.executable}
    results = root / "results" / "results.json"
    scores = []
    for submission in (master, stub_notebook):
        (root / "submission" / "work.ipynb").write_bytes(submission.read_bytes())
        done = subprocess.run(
            ["bash", str(root / "source" / "run_autograder")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        scores.append(json.loads(results.read_text())["score"])
    total = sum(t.points for t in load_assignment(master).tests)
    assert scores == [total, 0.0]
    assert stat.S_IMODE((root / "source").stat().st_mode) == 0o700


def test_bundle_needs_a_zip_name(master, tmp_path):
    with pytest.raises(ValueError, match="zip"):
        build_bundle(master, tmp_path / "bundle.tar")


def test_gradescope_run_does_not_follow_a_linked_submission(master, tmp_path):
    """A student's upload that is a symbolic link to the master would otherwise be graded (as
    root) as the reference solution: full marks."""
    from optcourse.grading.gradescope import run

    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "source" / "master.ipynb").write_bytes(master.read_bytes())
    (root / "submission" / f"{master.stem}.ipynb").symlink_to(root / "source" / "master.ipynb")
    data = run(root)
    assert data["score"] == 0.0
    assert "symbolic link" in data["output"]
    assert data["output"].startswith(f"File: {master.stem}.ipynb (its name is")
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0.0


def _autograder_root(tmp_path: Path, master: Path, uploads: dict[str, Path]) -> Path:
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "source" / "master.ipynb").write_bytes(master.read_bytes())
    for name, source in uploads.items():
        (root / "submission" / name).write_bytes(source.read_bytes())
    return root


@pytest.mark.parametrize(
    ("uploads", "graded", "why"),
    [
        ({"MASTER": "right", "a_copy.ipynb": "stub"}, "MASTER", "its name is MASTER"),
        ({"work.ipynb": "right"}, "work.ipynb", "the only notebook uploaded"),
        ({"a.ipynb": "stub", "b.ipynb": "right"}, None, "2 notebooks were uploaded (a.ipynb, b"),
        ({}, None, "No notebook (.ipynb file) was found"),
    ],
    ids=["name-matches", "only-one", "several-no-match", "none"],
)
def test_gradescope_grades_the_notebook_named_as_the_assignment(
    uploads, graded, why, master, stub_notebook, tmp_path
):
    """Before, with no file named as the assignment the first notebook by name was graded
    (a stub uploaded next to the real work scored 0) and the output never said which."""
    from optcourse.grading.gradescope import run

    sources = {"right": master, "stub": stub_notebook}
    expected = f"{master.stem}.ipynb"
    files = {(expected if k == "MASTER" else k): sources[v] for k, v in uploads.items()}
    data = run(_autograder_root(tmp_path, master, files))
    why = why.replace("MASTER", expected)
    first = data["output"].splitlines()[0]
    assert why in first
    if graded is None:
        assert (data["score"], data["tests"]) == (0.0, [])
        assert "Graded file" not in data["output"]
    else:
        assert first.startswith(f"Graded file: {graded.replace('MASTER', expected)} (")
        assert data["score"] == sum(t.points for t in load_assignment(master).tests) > 0


def test_gradescope_does_not_show_manual_questions_as_zero(master, tmp_path):
    """Before, a question graded by a person was a test reading "0.0 / 3.0" to the student,
    and the tests' max_score added up to more than the autograder's total."""
    from optcourse.grading.gradescope import run

    assignment = load_assignment(master)
    manual = [q for q in assignment.questions if q.graded == "manual"]
    assert manual, "the first master has a question graded by a person"
    data = run(_autograder_root(tmp_path, master, {f"{master.stem}.ipynb": master}))
    total = sum(t.points for t in assignment.tests)
    assert data["score"] == total == sum(t.get("max_score", 0) for t in data["tests"])
    by_person = [t for t in data["tests"] if "Graded by a person" in t.get("output", "")]
    assert len(by_person) == len(manual)
    for t in by_person:
        assert "score" not in t and "max_score" not in t and "status" not in t
        assert t["visibility"] == "visible"
    assert all("score" in t and "max_score" in t for t in data["tests"] if t not in by_person)
    assert "are not part of this score" in data["output"]
