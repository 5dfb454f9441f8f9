"""The grader runs a notebook with Jupyter's semantics (slow: runs kernels and a Jupyter kernel).

A correct notebook written the way students write in Jupyter (``display``, ``from IPython.display
import ...``, magics, a shell line, Black's line continuations starting with ``%`` or ``!=``) gets
the same result from ``optcourse check``, ``optcourse grade`` and the Gradescope entry point.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from optcourse.assignment.assign import make_student_notebook
from optcourse.assignment.master import load_assignment
from optcourse.cli import main
from optcourse.grading import gradescope
from optcourse.grading.kernel import Kernel, KernelLimits

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "02_gradient_descent_x2.ipynb"
pytestmark = pytest.mark.skipif(not MASTER.exists(), reason="master 02 is missing")
LIMITS = KernelLimits(cell_timeout=20, total_timeout=90)

# The master's answers, rewritten with what a Jupyter user writes (same values).
JUPYTER_ANSWERS = {
    "q1-solution": 'display(Markdown("One step from 3: $x_1 = 2.4$"))\nx1 = 2.4\n',
    "q5-solution": "%time eta_used = 1.2\n",
    "q6-solution": "steps_needed = (\n    2301\n    % 10_000\n)\n",
    "q7-solution": (
        "def gradient_descent(grad, x0, eta, steps):\n"
        "    x = x0\n"
        "    for _ in range(steps):\n"
        "        x = x - eta * grad(x)\n"
        "    assert (\n"
        "        steps\n"
        "        != -1\n"
        "    )\n"
        "    return x\n"
    ),
    "q8-solution": "%%time\neta_low = 0.0\neta_high = 1.0\neta_fastest = 0.5\n",
}
EXTRA_CELL = (
    "%matplotlib inline\n"
    "!pip install --quiet some-package\n"
    "from IPython.display import Markdown, display\n"
    "display(Markdown('**Started.**'))"
)


def _jupyter_notebook(folder: Path) -> Path:
    """The master's reference answers in the student notebook, written Jupyter-style."""
    master = nbformat.read(MASTER, as_version=4)
    answers = {c.get("id"): c.source for c in master.cells}
    nb = make_student_notebook(master)
    for cell in nb.cells:
        role = cell.metadata.get("optcourse", {})
        if "solution" in role and cell.cell_type == "code":
            cell.source = JUPYTER_ANSWERS.get(cell.get("id"), answers[cell.get("id")])
            cell.source = cell.source.replace("print(diverging(", "display(diverging(")
    assert sum("display(diverging(" in c.source for c in nb.cells) == 1
    setup = next(i for i, c in enumerate(nb.cells) if c.get("id") == "setup")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(EXTRA_CELL))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MASTER.name
    nbformat.write(nb, path)
    return path


def test_check_grade_and_gradescope_agree_on_a_jupyter_notebook(tmp_path, capsys):
    pytest.importorskip("nbclient")
    from optcourse.assignment.check import check_notebook

    path = _jupyter_notebook(tmp_path / "alice")
    assignment = load_assignment(MASTER)
    total = sum(t.points for t in assignment.tests)

    report = check_notebook(path, timeout=60)
    assert report.notes == [], report.text()
    assert report.n_checked >= 8 and report.all_passed, report.text()

    out = tmp_path / "graded"
    argv = ["grade", "--assignment", str(MASTER), "--out", str(out), "--timeout", "20"]
    code = main([*argv, str(path)])
    assert code == 0, capsys.readouterr()
    graded = json.loads(next(out.rglob("results.json")).read_text())
    assert graded["score"] == total, graded

    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "source" / "master.ipynb").write_bytes(MASTER.read_bytes())
    (root / "submission").mkdir()
    (root / "submission" / path.name).write_bytes(path.read_bytes())
    on_gradescope = gradescope.run(root)
    assert on_gradescope["score"] == graded["score"] == total, on_gradescope
    # the shell line is skipped, and the student is told so
    feedback = "".join(p.read_text() for p in out.rglob("feedback.md"))
    assert "skipped by the grader: !pip install --quiet some-package" in feedback
    assert "skipped by the grader: !pip install" in on_gradescope["output"]


def test_kernel_runs_cells_as_jupyter_does(tmp_path):
    with Kernel(limits=LIMITS) as kernel:
        assert kernel.execute("display(1, 'two')").ok
        assert kernel.execute("from IPython.display import HTML, display\ndisplay(HTML('<b>'))").ok
        reply = kernel.execute("%load_ext autoreload\n!ls /\nx = 3\nfiles = !ls\n%timeit y = 4")
        assert reply.ok, reply.error
        assert reply.notes == [
            "skipped by the grader: %load_ext autoreload",
            "skipped by the grader: !ls /",
            "skipped by the grader: !ls",
        ]
        assert kernel.probe("[x, files, y]").value == [3, [], 4]
        # indented first line, a help request and a cell magic: as IPython transforms them
        assert kernel.execute("    z = (\n        5\n        % 3\n    )").ok
        assert kernel.execute("len?").ok
        reply = kernel.execute("%%bash\necho hi > /tmp/nothing")
        assert reply.ok and reply.notes == ["skipped by the grader: %%bash"]
        assert kernel.probe("z").value == 2
        # a magic and Black's continuations in one cell: IPython leaves the brackets alone
        reply = kernel.execute("%matplotlib inline\nv = (\n    7\n    % 4\n    != 0\n)")
        assert reply.ok and reply.notes == ["skipped by the grader: %matplotlib inline"]
        assert kernel.probe("v").value is True
        # valid Python is never rewritten; a real syntax error stays one
        assert kernel.execute("w = (1\n    !=\n    2)").ok
        assert kernel.probe("w").value is True
        bad = kernel.execute("def f(:\n    pass")
        assert not bad.ok and bad.exc == "SyntaxError"
        assert kernel.alive


def test_top_level_await_and_the_last_value_as_in_jupyter():
    """A cell may ``await`` at its top level (IPython runs it in an event loop), and the value of
    its last bare expression is shown (here printed) unless the cell ends with ``;``."""
    with Kernel(limits=LIMITS) as kernel:
        cell = "import asyncio\n\nasync def half(x):\n    return x / 2\n\nh = await half(5)\nh * 10"
        reply = kernel.execute(cell)
        assert reply.ok, reply.error
        assert kernel.probe("h").value == 2.5
        assert kernel.execute("'quiet' + 'ly';").ok
        assert kernel.execute("await asyncio.sleep(0)\nNone").ok
        assert kernel.execute("x = 1\nx + 41").ok
    assert kernel.output.split() == ["25.0", "42"]


def test_gradescope_bundle_installs_ipython(tmp_path):
    bundle = gradescope.build_bundle(MASTER, tmp_path / "autograder.zip")
    with zipfile.ZipFile(bundle) as zf:
        pyproject = zf.read("optcourse_pkg/pyproject.toml").decode()
    deps = next(line for line in pyproject.splitlines() if line.startswith("dependencies"))
    assert '"ipython>=' in deps


def test_notes_on_skipped_lines_are_bounded(tmp_path):
    from optcourse.grading.grade import grade_submission

    nb = nbformat.read(MASTER, as_version=4)
    for cell in range(2):
        lines = "\n".join(f"!echo {cell} {i}" for i in range(15))
        nb.cells.insert(2, nbformat.v4.new_code_cell(lines))
    path = tmp_path / MASTER.name
    nbformat.write(nb, path)
    result = grade_submission(path, load_assignment(MASTER), limits=LIMITS)
    skipped = [n for n in result.notes if "skipped by the grader" in n]
    assert len(skipped) == 20 and skipped[0] == "Cell 3: skipped by the grader: !echo 1 0"
    assert "Further magics and shell lines were skipped without a note." in result.notes
    assert result.score == result.max_score


def test_without_ipython_magic_and_shell_lines_become_pass(monkeypatch):
    from optcourse.grading import probe

    monkeypatch.setitem(sys.modules, "IPython.core.inputtransformer2", None)  # import fails
    code = "%matplotlib inline\nif True:\n    !pip install x\nv = (\n    7\n    % 4\n)"
    source = probe._jupyter_source(code)
    assert source.splitlines()[0].startswith("pass  # skipped by the grader: %matplotlib")
    assert source.splitlines()[2].startswith("    pass  # skipped by the grader: !pip")
    namespace: dict = {}
    exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102
    assert namespace["v"] == 3
    assert probe._jupyter_source("w = (1\n    != 2)") == "w = (1\n    != 2)"  # valid: untouched
    # brackets inside strings and comments do not count; a triple-quoted line is kept
    code = 's = "(" + \'[\'  # (\n%time\nt = """\n!not a command\n"""\nu = {\n    1\n    != 2: 0}'
    namespace = {}
    exec(compile(probe._jupyter_source(code), "<cell>", "exec"), namespace)  # noqa: S102
    assert namespace["t"] == "\n!not a command\n" and namespace["u"] == {True: 0}
