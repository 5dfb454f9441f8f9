"""The assignment format and ``optcourse assign``: masters, generated exercises, bad input."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
import pytest

from optcourse.assignment import AssignmentError, NoHiddenTestError, load_assignment
from optcourse.assignment.assign import make_student_notebook, render, student_source
from optcourse.assignment.cli import main as cli_main
from optcourse.assignment.notebook import cell_role, read_notebook

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))
IDS = [p.stem for p in MASTERS]


@pytest.fixture(scope="module")
def assignments():
    return {p.stem: load_assignment(p) for p in MASTERS}


def test_there_are_masters_for_chapters_1_to_3():
    assert {p.stem[:2] for p in MASTERS} >= {"01", "02", "03"}


@pytest.mark.parametrize("master", MASTERS, ids=IDS)
def test_master_has_levels_a_to_d_and_enough_autograded_questions(master, assignments):
    a = assignments[master.stem]
    assert a.name == master.stem and a.version
    auto = [q for q in a.questions if q.graded == "auto"]
    manual = [q for q in a.questions if q.graded == "manual"]
    assert len(auto) >= 8
    assert {q.level for q in a.questions} == {"A", "B", "C", "D"}
    assert all(q.level == "D" and q.rubric for q in manual) and manual
    for q in auto:
        hidden = a.tests_for(q.id, "hidden")
        assert hidden and a.tests_for(q.id, "public")
        assert sum(t.points for t in a.tests_for(q.id)) == pytest.approx(q.points)
    names = [t.name for t in a.tests]
    assert len(names) == len(set(names))


def test_fingerprint_is_stable_and_follows_content(tmp_path, assignments):
    master = MASTERS[0]
    assert load_assignment(master).fingerprint == assignments[master.stem].fingerprint
    nb = read_notebook(master)
    nb.cells[0].source += "\nOne more sentence."
    changed = tmp_path / master.name
    changed.write_text(nbformat.writes(nb), encoding="utf-8")
    assert load_assignment(changed).fingerprint != assignments[master.stem].fingerprint


# ---------------------------------------------------------------------------- assign


def test_exercises_are_exactly_what_assign_produces():
    exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
    assert [p.name for p in exercises] == [p.name for p in MASTERS]
    for master in MASTERS:
        expected = render(make_student_notebook(read_notebook(master), where=str(master)))
        actual = (ROOT / "exercises" / master.name).read_text(encoding="utf-8")
        assert actual == expected, f"exercises/{master.name} is stale: run `optcourse assign --all`"


def test_assign_is_deterministic_and_verify_detects_staleness(tmp_path, capsys):
    out = tmp_path / "ex"
    assert (
        cli_main(["assign", "--all", "--solutions", str(ROOT / "solutions"), "--out", str(out)])
        == 0
    )
    first = {p.name: p.read_bytes() for p in out.glob("*.ipynb")}
    assert cli_main(["assign", "--solutions", str(ROOT / "solutions"), "--out", str(out)]) == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.ipynb")} == first
    assert cli_main(["assign", "--verify", str(ROOT / "solutions"), "--out", str(out)]) == 0
    victim = out / MASTERS[0].name
    victim.write_text(victim.read_text(encoding="utf-8").replace("Q1", "Q one"), encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["assign", "--verify", str(ROOT / "solutions"), "--out", str(out)]) == 1
    assert "OUT OF DATE" in capsys.readouterr().out


def _solution_lines(master_nb) -> list[str]:
    """Every line of the master's reference answers that must not reach students."""
    lines = []
    for cell in master_nb.cells:
        role = cell_role(cell)
        if role is None or role.kind != "solution":
            continue
        if cell.cell_type == "markdown":
            lines += [ln.strip() for ln in cell.source.splitlines() if len(ln.strip()) > 20]
            continue
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside or line.rstrip().endswith("# SOLUTION"):
                text = re.sub(r"#\s*SOLUTION\s*$", "", line).strip()
                if text:
                    lines.append(text)
    return lines


@pytest.mark.parametrize("master", MASTERS, ids=IDS)
def test_student_notebook_leaks_no_solution_hidden_test_or_rubric(master):
    master_nb = read_notebook(master)
    student = (ROOT / "exercises" / master.name).read_text(encoding="utf-8")
    student_sources = "\n".join(
        c.source for c in read_notebook(ROOT / "exercises" / master.name).cells
    )
    solution_lines = _solution_lines(master_nb)
    assert len(solution_lines) >= 10
    for line in solution_lines:
        assert line not in student_sources, f"solution line leaked: {line!r}"
    student_lines = {line.strip() for line in student_sources.splitlines()}
    for cell in master_nb.cells:
        role = cell_role(cell)
        if role is None:
            continue
        if role.kind in ("rubric", "master_only") or role.visibility == "hidden":
            assert cell.source.strip() not in student_sources
            for line in cell.source.splitlines():
                if len(line.strip()) > 25:
                    assert line.strip() not in student_lines, f"{role.label} leaked: {line!r}"
    for marker in (
        "BEGIN SOLUTION",
        "END SOLUTION",
        "hidden=True",
        "Rubric",
        '"hidden"',
        "master_only",
    ):
        assert marker not in student


@pytest.mark.parametrize("master", MASTERS, ids=IDS)
def test_student_notebook_shape(master):
    master_nb = read_notebook(master)
    student = read_notebook(ROOT / "exercises" / master.name)
    master_ids = [c.id for c in master_nb.cells]
    ids = [c.id for c in student.cells]
    assert ids == [i for i in master_ids if i in ids]  # the master's ids, in the master's order
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            raises = "raise NotImplementedError" in cell.source
            assert raises == ("raises-exception" in cell.metadata.get("tags", []))
    stubs = sum(
        "your answer here" in c.source.lower() for c in student.cells if cell_role(c) is not None
    )
    solutions = sum(
        1 for c in master_nb.cells if (cell_role(c) or None) and cell_role(c).kind == "solution"
    )
    assert stubs == solutions
    assert student.metadata["optcourse"]["assignment"] == master.stem


def test_student_source_stubs():
    source = (
        "def f(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n"
        "answer = 'B'  # SOLUTION"
    )
    new, raises = student_source(source)
    assert new == (
        'def f(x):\n    raise NotImplementedError("your answer here")\n'
        "answer = ...  # your answer here"
    )
    assert raises
    top = (
        "# BEGIN SOLUTION\ndef _helper():\n    return 1\n"
        "x, y = 1, 2\nx += _helper()\n# END SOLUTION"
    )
    assert student_source(top) == (
        "x = ...  # your answer here\ny = ...  # your answer here",
        False,
    )
    assert student_source("# BEGIN SOLUTION\nprint(1)\n# END SOLUTION") == (
        "...  # your code here",
        False,
    )
    assert student_source("# BEGIN SOLUTION\ndef f():\n    pass\n# END SOLUTION")[1]
    for bad, words in [
        ("# BEGIN SOLUTION\nx = (\n# END SOLUTION", "does not parse"),
        ("x = 1", "no '# BEGIN SOLUTION'"),
        ("# BEGIN SOLUTION\nx = 1", "without # END"),
        ("# END SOLUTION", "without BEGIN"),
        ("print(1)  # SOLUTION", "not 'name = value'"),
    ]:
        with pytest.raises(AssignmentError, match=re.escape(words)):
            student_source(bad)


# ---------------------------------------------------------------------------- bad input


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def bad_files(tmp_path):
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hello")])
    return {
        "missing": (tmp_path / "nope.ipynb", "no such file"),
        "corrupt": (_write(tmp_path / "corrupt.ipynb", '{"cells": [ '), "not valid JSON"),
        "not a notebook": (_write(tmp_path / "list.ipynb", "[1, 2]"), "not a Jupyter notebook"),
        "folder": (tmp_path, "folder"),
        "unknown assignment": (
            _write(tmp_path / "plain.ipynb", nbformat.writes(plain)),
            "not an assignment notebook",
        ),
    }


@pytest.mark.parametrize("case", ["missing", "corrupt", "not a notebook", "unknown assignment"])
def test_load_assignment_bad_input(case, bad_files):
    path, words = bad_files[case]
    with pytest.raises(AssignmentError, match=words):
        load_assignment(path)


@pytest.mark.parametrize("command", ["assign", "check"])
@pytest.mark.parametrize("case", ["missing", "corrupt", "not a notebook", "unknown assignment"])
def test_cli_bad_input_gives_message_and_exit_code_2(command, case, bad_files, capsys):
    path, words = bad_files[case]
    assert cli_main([command, str(path), "--out" if command == "assign" else "--timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"optcourse {command}: error:") and words in err
    assert "Traceback" not in err


def test_assign_of_a_folder_without_notebooks(tmp_path, capsys):
    assert cli_main(["assign", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "contains no notebook" in capsys.readouterr().err


def test_master_cell_ids_must_be_present_and_unique(tmp_path):
    raw = json.loads(MASTERS[0].read_text(encoding="utf-8"))
    raw["cells"][3]["id"] = raw["cells"][2]["id"]
    path = _write(tmp_path / "dup.ipynb", json.dumps(raw))
    with pytest.raises(AssignmentError, match="used twice"):
        load_assignment(path)
    for cell in raw["cells"]:
        del cell["id"]
    raw["nbformat_minor"] = 4
    path = _write(tmp_path / "noid.ipynb", json.dumps(raw))
    with pytest.raises(AssignmentError, match="cell 0 has no id"):
        load_assignment(path)


def _master_variant(tmp_path: Path, edit) -> Path:
    nb = read_notebook(MASTERS[0])
    edit(nb)
    path = tmp_path / MASTERS[0].name
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def _cell(nb, cid):
    return next(c for c in nb.cells if c.id == cid)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda nb: nb.cells.remove(_cell(nb, "q1-hidden")), "q1 has no hidden test"),
        (lambda nb: _cell(nb, "q1-question").metadata["optcourse"].update(points=5), "worth 5"),
        (lambda nb: _cell(nb, "q1-question").metadata["optcourse"].update(level="E"), "level"),
        (lambda nb: nb.cells.remove(_cell(nb, "q10-rubric")), "no rubric"),
        (lambda nb: nb.cells.remove(_cell(nb, "q1-solution")), "q1 has no solution"),
        (lambda nb: setattr(_cell(nb, "q1-hidden"), "source", "1 / 0"), "does not run"),
        (lambda nb: setattr(_cell(nb, "q1-hidden"), "source", "x = 1"), "declares no check"),
        (
            lambda nb: setattr(_cell(nb, "q1-hidden"), "source", 'check_number("q1", "x_crit")'),
            "must be a hidden check",
        ),
        (lambda nb: setattr(_cell(nb, "q1-solution"), "source", "x_crit = 3.0"), "no '# BEGIN"),
        (
            lambda nb: nb.cells.insert(0, nb.cells.pop(nb.cells.index(_cell(nb, "q2-public")))),
            "before question q2",
        ),
        (lambda nb: nb.metadata["optcourse"].pop("version"), "optcourse.version"),
    ],
)
def test_invalid_master_is_rejected_with_a_clear_message(tmp_path, edit, words):
    path = _master_variant(tmp_path, lambda nb: edit(nb))
    with pytest.raises(AssignmentError, match=re.escape(words)):
        load_assignment(path)


# ---------------------------------------------------------------------------- submissions


def _student_variant(edit):
    nb = read_notebook(ROOT / "exercises" / MASTERS[0].name)
    edit(nb)
    return nb


def _swap(nb, a, b):
    i, j = nb.cells.index(_cell(nb, a)), nb.cells.index(_cell(nb, b))
    nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda nb: nb.cells.remove(_cell(nb, "q3-public")), "the public tests of q3"),
        (lambda nb: _cell(nb, "q4-solution").metadata.pop("optcourse"), "answer cell of q4"),
        (lambda nb: _swap(nb, "q2-solution", "q5-solution"), "out of order"),
        (lambda nb: nb.cells.append(copy.deepcopy(_cell(nb, "q1-public"))), "duplicated"),
        (lambda nb: nb.metadata["optcourse"].update(assignment="99_other"), "not '01_"),
        (lambda nb: nb.metadata.pop("optcourse"), "not an optcourse exercise"),
    ],
)
def test_damaged_submission_is_rejected(edit, words, assignments):
    a = assignments[MASTERS[0].stem]
    nb = _student_variant(edit)
    with pytest.raises(AssignmentError, match=re.escape(words)):
        a.check_submission(nb)


def test_a_student_notebook_given_as_master_raises_a_typed_error(tmp_path):
    path = _master_variant(tmp_path, lambda nb: nb.cells.remove(_cell(nb, "q1-hidden")))
    with pytest.raises(NoHiddenTestError, match="q1 has no hidden test"):
        load_assignment(path)
    with pytest.raises(NoHiddenTestError):
        load_assignment(ROOT / "exercises" / MASTERS[0].name)


def _raw(edit):
    """The student notebook as the plain dict the grader reads, edited."""
    nb = json.loads((ROOT / "exercises" / MASTERS[0].name).read_text(encoding="utf-8"))
    edit(nb)
    return nb


def _role_cell(nb, kind):
    return next(c for c in nb["cells"] if kind in c["metadata"].get("optcourse", {}))


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda nb: None, None),
        (lambda nb: _role_cell(nb, "solution").update(metadata=["not", "a", "dict"]), "missing"),
        (lambda nb: _role_cell(nb, "solution")["metadata"].update(optcourse=7), "missing"),
        (lambda nb: nb.update(metadata=[]), "not an optcourse exercise"),
        (lambda nb: nb["metadata"].update(optcourse="x"), "not an optcourse exercise"),
        (lambda nb: nb.update(cells={"a": 1}), "no list of cells"),
        (lambda nb: nb["cells"].append("text"), "no list of cells"),
        (
            lambda nb: _role_cell(nb, "tests")["metadata"]["optcourse"].update(visibility=["x"]),
            "visibility must be public or hidden",
        ),
    ],
)
def test_a_damaged_plain_dict_submission_raises_only_assignment_errors(edit, words, assignments):
    """The grader compares the raw JSON of a submission: malformed metadata is reported as an
    AssignmentError (a note on the grade), never as another exception."""
    a = assignments[MASTERS[0].stem]
    nb = _raw(edit)
    if words is None:
        a.check_submission(nb)
    else:
        with pytest.raises(AssignmentError, match=re.escape(words)):
            a.check_submission(nb)


def test_complete_submission_with_extra_cells_is_accepted(assignments):
    a = assignments[MASTERS[0].stem]
    nb = _student_variant(lambda nb: nb.cells.insert(3, nbformat.v4.new_code_cell("scratch = 1")))
    a.check_submission(nb)
    a.check_submission(ROOT / "exercises" / MASTERS[0].name)


def test_check_cli_rejects_deleted_cells(tmp_path, capsys):
    nb = _student_variant(lambda nb: nb.cells.remove(_cell(nb, "q3-public")))
    path = tmp_path / "damaged.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert cli_main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "missing: the public tests of q3" in err and "Traceback" not in err
