"""Grading a class: parallel jobs, resuming, interrupting, odd file names and copied cells.

These tests come from an adversarial review of the grader: each one pins a hole that was found
(and fixed) with the exact score or file the instructor must get.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from optcourse.assignment.master import load_assignment
from optcourse.grading.batch import Submission, collect, grade_all
from optcourse.grading.grade import code_cells, run_test
from optcourse.grading.kernel import KernelLimits, Reply, isolation_mode
from optcourse.grading.results import SubmissionResult, grades_csv

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).parent / "hostile"
_spec = importlib.util.spec_from_file_location("fake_assignment", HERE / "fake_assignment.py")
assert _spec is not None and _spec.loader is not None
fake = sys.modules.get("fake_assignment") or importlib.util.module_from_spec(_spec)
if "fake_assignment" not in sys.modules:
    sys.modules["fake_assignment"] = fake
    _spec.loader.exec_module(fake)

LIMITS = KernelLimits(cell_timeout=5, total_timeout=40, memory=1024**3)
MASTER = ROOT / "solutions" / "01_learning_is_optimization.ipynb"


@pytest.fixture(scope="module")
def assignment():
    with fake.FakeAssignment.in_temp_folder() as made:
        yield made


def _write(path: Path, cells: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fake.notebook(cells)))
    return path


def test_a_spec_shared_by_parallel_jobs_judges_each_submission_on_its_own_cases():
    """With ``--jobs 2`` another thread draws new cases between one submission's probes and its
    judgement: once the drawn cases were stored on the spec and a correct answer failed; now they
    travel in the ``Probes`` value and the spec cannot change (a frozen dataclass)."""
    spec = next(t for t in load_assignment(MASTER).tests if t.name == "q3.hidden.1")

    def grad_L(t1, t2):
        return [2 * t1 + 3 * t2, 3 * t1 + 4 * t2]

    def ask(expr: str, timeout: float | None = None) -> Reply:
        spec.make_probes(np.random.default_rng(999))  # "another submission" draws meanwhile
        return Reply(True, value=eval(expr, {"grad_L": grad_L, "np": np}))

    result = run_test(spec, np.random.default_rng(1), ask)
    assert (result.status, result.score, result.max_score) == ("passed", 2.0, 2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.cases = ()  # type: ignore[misc]


def test_two_jobs_grade_a_class_of_correct_notebooks_fully(tmp_path, assignment):
    subs = [
        Submission(f"s{i}", _write(tmp_path / f"s{i}.ipynb", [*fake.GOOD_CELLS, f"# {i}"]))
        for i in range(6)
    ]
    results = grade_all(subs, assignment, tmp_path / "out", jobs=2, limits=LIMITS)
    assert [r.score for r in results] == [4.0] * 6


def test_a_new_seed_regrades_and_the_same_seed_resumes(tmp_path, assignment):
    subs = [Submission("alice", _write(tmp_path / "alice.ipynb", fake.GOOD_CELLS))]
    out = tmp_path / "out"

    def reused_flags(seed):
        flags: list[bool] = []
        grade_all(
            subs, assignment, out, limits=LIMITS, seed=seed, on_result=lambda r, f: flags.append(f)
        )
        return flags

    assert reused_flags(None) == [False]
    assert reused_flags(None) == [True]
    assert reused_flags(7) == [False]  # the instructors' guide promises this
    assert reused_flags(7) == [True]


def test_reserved_and_hidden_names_do_not_clash_with_the_class_files(tmp_path, assignment):
    folder = tmp_path / "class"
    _write(folder / "grades.csv.ipynb", fake.GOOD_CELLS)
    _write(folder / ".ipynb", fake.GOOD_CELLS)
    subs = collect([folder])
    assert sorted(s.name for s in subs) == ["_.ipynb", "_grades.csv"]
    out = tmp_path / "out"
    results = grade_all(subs, assignment, out, limits=LIMITS)
    assert [r.score for r in results] == [4.0, 4.0]
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert sorted(r["submission"] for r in rows) == ["_.ipynb", "_grades.csv"]


def test_a_symbolic_link_in_a_folder_is_not_followed(tmp_path, assignment):
    """A link to the master (or to another student's notebook) would be graded as the student's
    own work, read by the grader with its privileges."""
    folder = tmp_path / "class"
    _write(folder / "alice" / "hw.ipynb", fake.GOOD_CELLS)
    (folder / "mallory").mkdir()
    (folder / "mallory" / "hw.ipynb").symlink_to(folder / "alice" / "hw.ipynb")
    out = tmp_path / "out"
    results = grade_all(collect([folder]), assignment, out, limits=LIMITS)
    assert [(r.name, r.status, r.score) for r in results] == [
        ("alice__hw", "graded", 4.0),
        ("mallory__hw", "unreadable", 0.0),
    ]
    assert "symbolic link" in (out / "mallory__hw" / "feedback.md").read_text()


def test_a_link_or_pipe_named_on_the_command_line_is_refused(tmp_path, assignment):
    """A link to the master named on the command line scored full marks (the grader followed it),
    and a named pipe there blocked open() for ever: both are refused like inside folders."""
    _write(tmp_path / "alice.ipynb", fake.GOOD_CELLS)
    (tmp_path / "mallory.ipynb").symlink_to(tmp_path / "alice.ipynb")
    os.mkfifo(tmp_path / "eve.ipynb")
    named = [tmp_path / n for n in ("alice.ipynb", "mallory.ipynb", "eve.ipynb")]
    results = grade_all(collect(named), assignment, tmp_path / "out", limits=LIMITS)
    assert [(r.name, r.status, r.score) for r in results] == [
        ("alice", "graded", 4.0),
        ("mallory", "unreadable", 0.0),
        ("eve", "unreadable", 0.0),
    ]
    assert "symbolic link" in results[1].notes[0]
    assert "not a regular file" in results[2].notes[0]


def test_a_named_pipe_in_a_folder_does_not_block_the_class(tmp_path, assignment):
    """An unpacked archive can hold a FIFO named like a notebook: opening it would wait forever."""
    folder = tmp_path / "class"
    _write(folder / "alice.ipynb", fake.GOOD_CELLS)
    os.mkfifo(folder / "mallory.ipynb")
    results = grade_all(collect([folder]), assignment, tmp_path / "out", limits=LIMITS)
    assert [(r.name, r.status, r.score) for r in results] == [
        ("alice", "graded", 4.0),
        ("mallory", "unreadable", 0.0),
    ]
    assert "not a regular file" in results[1].notes[0]


def test_a_huge_file_is_refused_and_resuming_does_not_read_it_whole(tmp_path, assignment):
    """The resume check hashed the whole file (a 10 GB upload filled the grader's memory) and,
    hashing more than grading reads, never recognised it as already graded."""
    huge = tmp_path / "class" / "huge.ipynb"
    huge.parent.mkdir()
    with huge.open("wb") as fh:
        fh.truncate(60 * 1024**2)  # sparse: costs no disk
    out = tmp_path / "out"
    flags: list[bool] = []
    for _ in range(2):
        [r] = grade_all(
            collect([huge.parent]), assignment, out, on_result=lambda r, f: flags.append(f)
        )
        assert (r.status, r.score) == ("unreadable", 0.0)
    assert flags == [False, True]
    assert "larger than 50 MB" in (out / "huge" / "feedback.md").read_text()


def test_own_code_in_a_cell_carrying_test_metadata_still_runs():
    """A student who copies or splits a public test cell (Jupyter copies its metadata) and writes
    an answer there must not lose it; a genuine test cell is still skipped."""
    sources = load_assignment(MASTER).test_sources
    nb = json.loads(MASTER.read_text())
    tests_meta = {"optcourse": {"tests": "q9", "visibility": "public"}}
    genuine = next(
        c for c in nb["cells"] if c["metadata"].get("optcourse", {}).get("tests") == "q9"
    )
    cells = [
        {"cell_type": "code", "metadata": tests_meta, "source": "def f():\n    return 1"},
        {"cell_type": "code", "metadata": tests_meta, "source": genuine["source"]},
        {"cell_type": "code", "metadata": {"optcourse": {"master_only": True}}, "source": "x = 2"},
    ]
    assert code_cells({"cells": cells}, sources) == [(1, "def f():\n    return 1"), (3, "x = 2")]
    assert code_cells({"cells": cells}) == []  # without the master: every tagged cell skipped


def test_class_csv_cannot_carry_spreadsheet_formulas():
    rows = [
        SubmissionResult("=HYPERLINK(1)", "=HYPERLINK(1).ipynb", "", "graded"),
        SubmissionResult("bob", "c/bob.ipynb", "", "graded"),
    ]
    rows[0].note = "@SUM(1)"
    table = list(csv.DictReader(io.StringIO(grades_csv(rows, []))))
    assert table[0]["submission"] == table[0]["student"] == "'=HYPERLINK(1)"
    assert table[0]["file"] == "'=HYPERLINK(1).ipynb" and table[0]["note"] == "'@SUM(1)"
    assert table[1]["submission"] == "bob" and table[1]["file"] == "c/bob.ipynb"


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


def test_one_row_per_student_missing_and_several_notebooks(tmp_path, assignment):
    """An empty folder, or one without a notebook, is a student who handed nothing in (before:
    no row at all); a folder with two notebooks gave two rows for one student (before: the LMS
    import saw the student twice)."""
    folder = tmp_path / "class"
    _write(folder / "alice" / "hw.ipynb", fake.GOOD_CELLS)
    (folder / "bob").mkdir()
    (folder / "carol").mkdir()
    (folder / "carol" / "notes.txt").write_text("I did it on paper")
    _write(folder / "dave" / "00_fake.ipynb", fake.GOOD_CELLS)  # named as the assignment
    _write(folder / "dave" / "draft.ipynb", ["answer = 1"])  # newer, but not the assignment's
    old = _write(folder / "erin" / "a_old.ipynb", ["answer = 1"])
    _write(folder / "erin" / "b_new.ipynb", fake.GOOD_CELLS)
    os.utime(old, (1_000_000, 1_000_000))
    _write(folder / "frank.ipynb", fake.GOOD_CELLS)
    _write(folder / ".ipynb_checkpoints" / "alice-checkpoint.ipynb", ["answer = 1"])
    out = tmp_path / "out"
    subs = collect([folder], assignment.name)
    grade_all(subs, assignment, out, limits=LIMITS)
    rows = _rows(out)
    assert sorted(rows) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    got = {s: (r["status"], r["auto_score"], r["auto_max"]) for s, r in rows.items()}
    assert got == {
        "alice": ("graded", "4", "4"),
        "bob": ("missing", "0", "4"),
        "carol": ("missing", "0", "4"),
        "dave": ("graded", "4", "4"),
        "erin": ("graded", "4", "4"),
        "frank": ("graded", "4", "4"),
    }
    assert rows["dave"]["file"].endswith("dave/00_fake.ipynb")
    assert "graded 00_fake.ipynb (its name matches the assignment)" in rows["dave"]["note"]
    assert "not graded: draft.ipynb" in rows["dave"]["note"]
    assert "graded b_new.ipynb (the newest)" in rows["erin"]["note"]
    assert rows["alice"]["note"] == "" and rows["bob"]["note"].startswith("no notebook")
    assert rows["alice"]["submission"] == "alice__hw"  # the output folders keep their names
    assert not (out / "bob").exists()
    assert "graded b_new.ipynb" in (out / "erin__b_new" / "feedback.md").read_text()


def test_several_notebooks_with_the_same_time_take_the_first_by_name(tmp_path):
    folder = tmp_path / "class"
    for name in ("z.ipynb", "m.ipynb", "a.ipynb"):
        os.utime(_write(folder / "alice" / name, ["x = 1"]), (2_000_000, 2_000_000))
    [sub] = collect([folder], "00_fake")
    assert sub.path.name == "a.ipynb" and "same modification time" in sub.note


def test_the_run_summary_counts_what_this_run_did(tmp_path, assignment):
    from optcourse.grading.batch import run_summary

    folder = tmp_path / "class"
    _write(folder / "alice.ipynb", fake.GOOD_CELLS)
    _write(folder / "bob.ipynb", ["while True:\n    pass", *fake.GOOD_CELLS])
    (folder / "carol").mkdir()
    (folder / "dave.ipynb").write_text("{ not json")
    out = tmp_path / "out"
    limits = KernelLimits(cell_timeout=1, total_timeout=40, memory=1024**3)
    reused: list[str] = []

    def run() -> str:
        reused.clear()
        results = grade_all(
            collect([folder], assignment.name),
            assignment,
            out,
            limits=limits,
            on_result=lambda r, kept: reused.extend([r.name] if kept else []),
        )
        return run_summary(results, reused)

    first = run()
    assert first.startswith("4 student(s) in this run: 2 graded, 1 of them stopped at a time")
    assert "1 not gradable" in first and "1 missing" in first and "0 grader errors" in first
    assert first.endswith("0 unchanged since the last run (kept)")
    assert _rows(out)["bob"]["timed_out"] == "yes" and _rows(out)["alice"]["timed_out"] == ""
    _write(folder / "alice.ipynb", [*fake.GOOD_CELLS, "# changed"])
    second = run()
    assert second.startswith("4 student(s) in this run: 1 graded, 0 of them stopped")
    assert second.endswith("2 unchanged since the last run (kept)")  # bob and the corrupt dave
    assert _rows(out)["bob"]["timed_out"] == "yes"  # kept from the first run


def test_an_interrupted_class_keeps_what_was_saved_and_resumes(tmp_path, assignment):
    subs = [
        Submission(f"s{i}", _write(tmp_path / f"s{i}.ipynb", [*fake.GOOD_CELLS, f"# {i}"]))
        for i in range(4)
    ]
    out = tmp_path / "out"

    def interrupt(result, reused):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_all(subs, assignment, out, jobs=1, limits=LIMITS, on_result=interrupt)
    saved = sorted(p.parent.name for p in out.glob("*/grading.json"))
    # the first one is saved, the one running at the interrupt may be too, the rest were dropped
    assert saved in (["s0"], ["s0", "s1"])
    reused: list[bool] = []
    results = grade_all(
        subs, assignment, out, jobs=1, limits=LIMITS, on_result=lambda r, f: reused.append(f)
    )
    assert sum(reused) == len(saved) and len(reused) == 4
    assert [r.score for r in results] == [4.0] * 4
    assert len(list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))) == 4


def test_the_command_reports_an_interrupt_without_a_traceback(tmp_path, capsys, monkeypatch):
    pytest.importorskip("nbformat")
    import optcourse.grading.batch as batch
    from optcourse.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "grade_all", interrupted)
    nb = _write(tmp_path / "alice.ipynb", fake.GOOD_CELLS)
    argv = ["grade", str(nb), "--assignment", str(MASTER), "--out", str(tmp_path / "o")]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "run the same command again" in err
    assert "Traceback" not in err


@pytest.mark.skipif(os.geteuid() != 0, reason="only a kernel under its own user id is cleaned up")
def test_files_a_kernel_leaves_in_shared_temporary_folders_are_removed(tmp_path):
    """A submission could fill /tmp (or /dev/shm, which is memory) for the rest of the batch."""
    from optcourse.grading.kernel import Kernel

    target = tmp_path / "linked"  # a link to it is removed, never followed
    target.mkdir()
    (target / "keep.txt").write_text("the grader's own file")
    litter = (
        "import os\n"
        "open('/tmp/optcourse-litter-file', 'w').write('x' * 1000)\n"
        "os.makedirs('/tmp/optcourse-litter-dir/deep')\n"
        f"os.symlink({str(target)!r}, '/tmp/optcourse-litter-dir/link')\n"
        f"os.symlink({str(target)!r}, '/tmp/optcourse-litter-link')\n"
        "open('/dev/shm/optcourse-litter-shm', 'w').write('x')\n"
    )
    with Kernel(limits=LIMITS) as kernel:
        if kernel.uid in (None, 65534):
            pytest.skip("no private user id for the kernel here")
        assert kernel.execute(litter).ok
        assert kernel.probe("os.path.exists('/tmp/optcourse-litter-file')").value is True
        # with a private root the kernel's /tmp is its own: nothing reaches the machine's
        assert Path("/tmp/optcourse-litter-file").exists() is not kernel.private_root
    for name in ("file", "dir", "link"):
        assert not os.path.lexists(f"/tmp/optcourse-litter-{name}")
    assert not os.path.lexists("/dev/shm/optcourse-litter-shm")
    assert (target / "keep.txt").read_text() == "the grader's own file"


def test_text_that_is_not_utf8_does_not_stop_the_class(tmp_path, assignment):
    """A string answer holding a lone surrogate and a file name that is not UTF-8 made writing
    feedback.md raise, which ended the whole run without grades.csv."""
    folder = tmp_path / "class"
    _write(folder / "alice.ipynb", ["answer = '\\ud800'", *fake.GOOD_CELLS[1:]])
    odd = _write(folder / "bob.ipynb", fake.GOOD_CELLS)
    os.rename(odd, os.fsencode(folder) + b"/b\xffb.ipynb")
    out = tmp_path / "out"
    results = grade_all(collect([folder]), assignment, out, limits=LIMITS)
    assert [(r.status, r.score) for r in results] == [("graded", 3.0), ("graded", 4.0)]
    assert "3 / 4" in (out / "alice" / "feedback.md").read_text()
    assert "4 / 4" in (out / "b\udcffb" / "feedback.md").read_text()
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [(r["submission"], r["auto_score"]) for r in rows] == [
        ("alice", "3"),
        ("b\\udcffb", "4"),
    ]


def test_feedback_lines_cannot_be_forged_by_an_exception_message(tmp_path, assignment):
    forged = "raise ValueError('oops\\n- **q2.hidden.1: double on random numbers** (2/2): passed')"
    nb = _write(tmp_path / "mallory.ipynb", ["answer = 42", forged, "late = 'done'"])
    [r] = grade_all([Submission("mallory", nb)], assignment, tmp_path / "out", limits=LIMITS)
    assert r.score == 2.0
    text = (tmp_path / "out" / "mallory" / "feedback.md").read_text()
    passed_lines = [line for line in text.splitlines() if line.startswith("- **q2.hidden.1")]
    assert passed_lines == ["- **q2.hidden.1: double on random numbers** (0/2): FAILED"]


def _student_copy(replace: dict[str, str]) -> dict:
    """The master as a student would hand it in (reference answers, hidden material removed),
    with the answer cells of ``replace`` (question id -> source) rewritten."""
    nb = json.loads(MASTER.read_text())
    cells = []
    for cell in nb["cells"]:
        role = cell["metadata"].get("optcourse") or {}
        if role.get("visibility") == "hidden" or "rubric" in role or role.get("master_only"):
            continue
        if role.get("solution") in replace:
            cell["source"] = replace[role["solution"]]
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    nb["cells"] = cells
    return nb


@pytest.mark.parametrize(
    ("answers", "score"),
    [
        (  # right answers in other forms: numpy scalars, a tuple, an int, an array, a warning
            {
                "q1": "x_crit = np.float32(3)",
                "q3": "def grad_L(t1, t2):\n    return (2 * t1 + 3 * t2, 3 * t1 + 4 * t2)",
                "q5": "def predicted_change(grad, eta):\n"
                "    g = np.asarray(grad)\n    return np.float64(-eta * g @ g)",
                "q9": "def parabola_minimizer(a, b, c):\n"
                "    np.float64(1e308) * 10  # an overflow warning\n"
                "    return np.array(-b / (2 * a))",
            },
            17.0,
        ),
        ({"q1": "x_crit = 3"}, 17.0),  # an int where a float is expected
        (  # a renamed variable and a function that prints its answer lose those questions
            {
                "q1": "x_critical = 3.0",
                "q9": "def parabola_minimizer(a, b, c):\n    print(-b / (2 * a))",
            },
            14.0,
        ),
    ],
    ids=["other-forms", "int", "renamed-and-printed"],
)
def test_honest_forms_and_mistakes_on_the_real_master(answers, score, tmp_path):
    pytest.importorskip("nbformat")
    from optcourse.grading.grade import grade_submission

    nb = tmp_path / "hw.ipynb"
    nb.write_text(json.dumps(_student_copy(answers)))
    result = grade_submission(nb, load_assignment(MASTER), limits=LIMITS)
    assert (result.status, result.score, result.max_score) == ("graded", score, 17.0)
    text = "\n".join(t.output for t in result.tests)
    if "q1" in answers and "critical" in answers["q1"]:
        assert "keep the name the exercise asks for" in text
        assert "return the result, not print it" in text


def test_the_master_is_parsed_once_and_not_read_again_while_grading(tmp_path):
    """The grader works on the loaded Assignment: after loading, the master file may change (here
    it is emptied) and a batch is still graded as before; its test cells are still recognised
    and skipped in the submissions (they would print "[public] passed" if they ran)."""
    folder = tmp_path / "master"
    folder.mkdir()
    os.chmod(folder, 0o755 if isolation_mode() in ("root-ns", "user-ns") else 0o700)
    master = folder / MASTER.name
    shutil.copy(MASTER, master)
    assignment = load_assignment(master)
    master.write_text("{}")
    subs = []
    for name in ("alice", "bob"):
        path = tmp_path / "subs" / f"{name}.ipynb"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(_student_copy({})))
        subs.append(Submission(name, path))
    results = grade_all(subs, assignment, tmp_path / "out", jobs=2, limits=LIMITS)
    assert [(r.status, r.score, r.max_score) for r in results] == [("graded", 17.0, 17.0)] * 2
    assert all("[public]" not in r.printed for r in results), results[0].printed


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid-only isolation mode needs root")
def test_uid_only_mode_refuses_a_master_other_users_can_read(tmp_path, capsys, monkeypatch):
    """Without mount namespaces (often the case on a grading server) a student process could
    read a world-readable master: its reference answers and hidden tests. Refused, not warned."""
    pytest.importorskip("nbformat")
    from optcourse.cli import main
    from optcourse.grading import isolation, kernel

    monkeypatch.setenv(isolation.ISOLATION_ENV, "root")
    isolation.isolation_mode.cache_clear()
    # this machine's Python may live in a private folder (then the mode is refused for that)
    monkeypatch.setattr(kernel, "isolation_problem", lambda mode=None: None)
    base = Path(tempfile.mkdtemp(prefix="optcourse-uid-mode-"))  # pytest's tmp_path is private
    try:
        public, private = base / "public", base / "private"
        for folder, mode in ((public, 0o755), (private, 0o700)):
            folder.mkdir()
            (folder / MASTER.name).write_bytes(MASTER.read_bytes())
            os.chmod(folder / MASTER.name, 0o644)
            os.chmod(folder, mode)
        os.chmod(base, 0o755)
        nb = _write(base / "class" / "alice.ipynb", fake.GOOD_CELLS)
        argv = ["grade", str(nb), "--out", str(tmp_path / "out"), "--assignment"]
        assert main([*argv, str(public / MASTER.name)]) == 2
        err = capsys.readouterr().err
        assert "could read the master" in err and "chmod 700" in err
        assert not (tmp_path / "out").exists()
        assert isolation.readable_by_others(public / MASTER.name)
        assert not isolation.readable_by_others(private / MASTER.name)
        os.chmod(nb, 0o644)
        assert isolation.readable_by_others(nb)  # what the warning about submissions checks
        os.chmod(nb, 0o600)
        assert not isolation.readable_by_others(nb)
    finally:
        shutil.rmtree(base)
        monkeypatch.delenv(isolation.ISOLATION_ENV)
        isolation.isolation_mode.cache_clear()


def test_a_submission_cannot_write_over_the_class_results(tmp_path, assignment):
    if isolation_mode() == "none":
        pytest.skip("without root or namespaces the kernel can write where the grader can")
    out = tmp_path / "out"
    folder = tmp_path / "class"
    _write(folder / "a_alice.ipynb", ["answer = 41", *fake.GOOD_CELLS[1:]])
    forge = (
        "import json, os\n"
        f"out = {str(out)!r}\n"
        "done = []\n"
        "for path in [out + '/a_alice/results.json', out + '/grades.csv', out + '/b_mallory/x']:\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "        with open(path, 'w') as fh:\n"
        "            fh.write(json.dumps({'score': 1000, 'tests': []}))\n"
        "        done.append(path)\n"
        "    except OSError:\n"
        "        pass\n"
        "answer = 42 if done else 41\n"
    )
    _write(folder / "b_mallory.ipynb", [*fake.GOOD_CELLS, forge])
    results = grade_all(collect([folder]), assignment, out, jobs=1, limits=LIMITS)
    # with a private root (the namespace modes) the kernel writes into its own empty /tmp,
    # which it can do (so it answers 42); the real output folder is out of its reach either way
    mallory = 4.0 if isolation_mode() in ("root-ns", "user-ns") else 3.0
    assert [(r.name, r.score) for r in results] == [("a_alice", 3.0), ("b_mallory", mallory)]
    assert json.loads((out / "a_alice" / "results.json").read_text())["score"] == 3.0
    assert not (out / "b_mallory" / "x").exists()
    assert "1000" not in (out / "grades.csv").read_text()


def test_a_very_long_file_name_does_not_lose_the_class(tmp_path, assignment):
    """A 249-character notebook name made an output folder name over 255 bytes: ``save`` raised
    outside the per-submission ``try`` and the batch ended without ``grades.csv`` (every rerun).
    Names are now bounded, and stay unique."""
    folder = tmp_path / "class"
    long_a, long_b = "a" * 243 + "_first", "a" * 243 + "_other"  # same first 243 characters
    _write(folder / "alice" / f"{'x' * 249}.ipynb", fake.GOOD_CELLS)  # 255 characters
    _write(folder / "bob" / f"{long_a}.ipynb", fake.GOOD_CELLS)
    _write(folder / "bob2" / f"{long_b}.ipynb", fake.GOOD_CELLS)
    _write(folder / "carol.ipynb", fake.GOOD_CELLS)
    out = tmp_path / "out"
    subs = collect([folder], assignment.name)
    names = [s.name for s in subs]
    assert len(set(names)) == len(names)
    assert all(len(os.fsencode(n)) <= 255 for n in names)
    grade_all(subs, assignment, out, limits=LIMITS)
    rows = _rows(out)
    students = ("alice", "bob", "bob2", "carol")
    got = {s: (r["status"], r["auto_score"]) for s, r in rows.items()}
    assert got == dict.fromkeys(students, ("graded", "4"))
    for row in rows.values():
        assert (out / row["submission"] / "feedback.md").exists()
    # the rerun resumes instead of failing again
    again = grade_all(collect([folder], assignment.name), assignment, out, limits=LIMITS)
    assert [r.status for r in again] == ["graded"] * 4


def test_an_error_while_saving_one_submission_is_its_row(tmp_path, assignment, monkeypatch):
    """A disk full (or any error) while writing one submission's files is that submission's
    error, named in its row; the rest of the class is graded and saved."""
    import errno

    import optcourse.grading.batch as batch

    folder = tmp_path / "class"
    for student in ("alice", "bob", "carol"):
        _write(folder / student / "hw.ipynb", fake.GOOD_CELLS)
    real = batch.save

    def save(out, result, *args, **kwargs):
        if result.student == "bob":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(out, result, *args, **kwargs)

    monkeypatch.setattr(batch, "save", save)
    out = tmp_path / "out"
    results = grade_all(collect([folder], assignment.name), assignment, out, jobs=2, limits=LIMITS)
    rows = _rows(out)
    assert {s: r["status"] for s, r in rows.items()} == {
        "alice": "graded",
        "bob": "error",
        "carol": "graded",
    }
    assert "No space left on device" in rows["bob"]["note"]
    assert "rerun" in rows["bob"]["note"]
    assert any("could not be saved" in n for n in results[1].notes)
    assert (out / "alice__hw" / "results.json").exists()
    assert not (out / "bob__hw").exists()


def test_a_tree_nested_3000_deep_is_removed_and_the_grade_kept(tmp_path, assignment):
    """The clean-up recursed once per level: a folder 3,000 deep in /tmp raised RecursionError,
    a correct notebook got status ``error`` and 0, and the tree stayed behind."""
    source = (HERE / "h_deep_tree.py").read_text()
    nb = _write(tmp_path / "deep.ipynb", [*fake.GOOD_CELLS[:2], source, fake.GOOD_CELLS[2]])
    before = set(Path("/tmp").glob("optcourse-deep-*"))
    [res] = grade_all([Submission("deep", nb)], assignment, tmp_path / "out", limits=LIMITS)
    assert (res.status, res.score) == ("graded", 4.0), res.notes
    assert set(Path("/tmp").glob("optcourse-deep-*")) == before  # removed (kernel's own user id)
    assert not list(Path(tempfile.gettempdir()).glob("optcourse-kernel-*/optcourse-deep-*"))


def test_remove_tree_removes_deep_trees_without_following_links(tmp_path):
    from optcourse.grading.isolation import remove_tree

    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "file.txt").write_text("the grader's own file")
    top = tmp_path / "top"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    try:
        for i in range(3000):  # deeper than any path may be long: made by file descriptor
            os.mkdir("d", dir_fd=fd)
            if i % 100 == 0:
                os.symlink(keep, "link", dir_fd=fd)
                os.close(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
            new = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
    finally:
        os.close(fd)
    remove_tree(top)
    assert not top.exists()
    assert (keep / "file.txt").read_text() == "the grader's own file"
    remove_tree(tmp_path / "absent")  # nothing there: no error
