"""Gradescope: build the autograder bundle, and the entry point that runs inside it.

``optcourse autograder solutions/NN_topic.ipynb --out autograder.zip`` writes a zip with

* ``setup.sh``: installs Python, the ``optcourse`` package (shipped in the zip) and its grading
  dependencies into ``/autograder/venv``, then closes ``/autograder/source`` to other users;
* ``run_autograder``: grades ``/autograder/submission/*.ipynb`` with :func:`run` and writes
  ``/autograder/results/results.json``;
* ``master.ipynb`` (the master, with hidden tests) and ``optcourse_pkg/`` (the library).

Gradescope unpacks the zip into ``/autograder/source`` and copies ``run_autograder`` to
``/autograder/run_autograder``.

Gradescope runs ``run_autograder`` as root; the student's kernel runs as a fresh unprivileged user
id (see :mod:`optcourse.grading.kernel`), so it can read neither ``/autograder/source`` nor write
``/autograder/results``. Set ``AUTOGRADER_ROOT`` to run the same script on a local folder shaped
like ``/autograder`` (that is how the tests check the bundle)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image setup for the optcourse autograder (runs once, as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip util-linux >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet /autograder/source/optcourse_pkg
chmod 755 /autograder
chmod -R a+rX /autograder/venv
chmod 700 /autograder/source
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade /autograder/submission and write /autograder/results/results.json (Gradescope calls this).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${OPTCOURSE_PYTHON:-$ROOT/venv/bin/python}"
chmod 700 "$ROOT/source"
mkdir -p "$ROOT/results"
chmod 755 "$ROOT/results"
exec "$PYTHON" -m optcourse.grading.gradescope --root "$ROOT"
"""

PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "optcourse"
version = "{version}"
requires-python = ">=3.10"
dependencies = ["numpy>=1.24", "matplotlib>=3.7", "nbformat>=5.9", "ipython>=8.0"]

[tool.setuptools.packages.find]
include = ["optcourse*"]

[tool.setuptools.package-data]
optcourse = ["py.typed", "**/*.js", "**/*.html", "**/*.sh", "**/*.txt"]
"""


def _package_files() -> list[tuple[Path, str]]:
    """(file, name in the zip) for every source file of the installed ``optcourse`` package."""
    import optcourse

    root = Path(optcourse.__file__).resolve().parent
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            rel = path.relative_to(root.parent).as_posix()
            files.append((path, f"optcourse_pkg/{rel}"))
    return files


def _add(zf: zipfile.ZipFile, name: str, data: str | bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_bundle(master: Path, out: Path, *, assignment: Any = None) -> Path:
    """Write the Gradescope autograder zip for ``master`` to ``out`` and return ``out``."""
    import optcourse

    master = Path(master)
    if assignment is None:
        from optcourse.assignment.master import load_assignment

        assignment = load_assignment(master)
    out = Path(out)
    if out.suffix != ".zip":
        raise ValueError(f"--out must name a .zip file, got {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    version = getattr(optcourse, "__version__", "0.1.0")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH, 0o755)
        _add(zf, "run_autograder", RUN_AUTOGRADER, 0o755)
        _add(zf, "master.ipynb", master.read_bytes())
        _add(zf, "optcourse_pkg/pyproject.toml", PYPROJECT.format(version=version))
        for path, name in _package_files():
            _add(zf, name, path.read_bytes())
        info = {"assignment": assignment.name, "version": assignment.version}
        _add(zf, "assignment.json", json.dumps(info) + "\n")
    os.replace(tmp, out)
    return out


def find_notebook(folder: Path, assignment_name: str) -> tuple[Path | None, str]:
    """The uploaded notebook to grade, and a sentence for the student saying which and why.

    The one named as the assignment (``01_topic.ipynb``); with no such file, the only notebook;
    with several and none named as the assignment, none (the sentence lists them): grading the
    wrong one would give a wrong grade with no one noticing.
    """
    from optcourse.grading.batch import notebooks_in

    notebooks = notebooks_in(folder)
    names = [nb.relative_to(folder).as_posix() for nb in notebooks]
    expected = f"{assignment_name}.ipynb"
    matching = [nb for nb in notebooks if nb.stem == assignment_name]
    if len(matching) == 1:
        chosen, why = matching[0], f"its name is {expected}"
    elif len(notebooks) == 1:
        chosen, why = notebooks[0], "the only notebook uploaded"
    elif not notebooks:
        return None, f"No notebook (.ipynb file) was found in your submission: upload {expected}."
    else:
        listed = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
        return None, (
            f"Not graded: {len(notebooks)} notebooks were uploaded ({listed}) and "
            f"{'more than one' if matching else 'none'} of them is named {expected}: upload again "
            f"with only {expected}."
        )
    return chosen, f"Graded file: {chosen.relative_to(folder).as_posix()} ({why})."


def _manual_note(assignment: Any) -> str:
    manual = [q for q in assignment.questions if q.graded == "manual"]
    if not manual:
        return ""
    points = sum(float(q.points) for q in manual)
    return (
        f"Questions graded by a person ({', '.join(q.id for q in manual)}, {points:g} points) "
        "are not part of this score: they are added when your instructor grades them."
    )


def run(root: Path) -> dict[str, Any]:
    """Grade the submission of an ``/autograder``-shaped folder; write and return results.json."""
    from optcourse.assignment.master import load_assignment
    from optcourse.grading.batch import refusal_reason
    from optcourse.grading.grade import grade_submission, hidden_paths
    from optcourse.grading.results import results_json, write_json

    root = Path(root)
    results_file = root / "results" / "results.json"
    assignment = load_assignment(root / "source" / "master.ipynb")
    notebook, which = find_notebook(root / "submission", assignment.name)
    if notebook is None:
        data: dict[str, Any] = {"score": 0.0, "output": which, "tests": []}
    else:
        hide = hidden_paths(root / "source" / "master.ipynb", [root / "results"])
        try:
            # A link (e.g. to source/master.ipynb) would be read by the grader as root.
            refuse = refusal_reason(notebook)
            if refuse:  # named, but not graded: the next line of the output says why
                which = which.replace("Graded file:", "File:", 1)
            result = grade_submission(notebook, assignment, hide=hide, refuse=refuse)
            data = results_json(result)
        except Exception as exc:  # the grader's fault: tell the student and the instructor
            data = {
                "score": 0.0,
                "output": f"The autograder failed ({type(exc).__name__}: {exc}); "
                "please tell your instructor.",
                "tests": [],
            }
        lines = [which, _manual_note(assignment), data.get("output", "")]
        data["output"] = "\n".join(line for line in lines if line)
    write_json(results_file, data)
    return data


def main(argv: list[str] | None = None) -> int:
    """``python -m optcourse.grading.gradescope --root /autograder``."""
    parser = argparse.ArgumentParser(prog="optcourse.grading.gradescope")
    parser.add_argument(
        "--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    )
    args = parser.parse_args(argv)
    if not (args.root / "source" / "master.ipynb").exists():
        print(f"no master notebook at {args.root / 'source' / 'master.ipynb'}", file=sys.stderr)
        return 2
    run(args.root)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
