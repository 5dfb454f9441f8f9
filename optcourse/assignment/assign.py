"""``optcourse assign``: write the student notebook of each master notebook.

:func:`assign` validates a master (:func:`~optcourse.assignment.master.load_assignment`) and
writes its student notebook (:func:`~optcourse.assignment.student.make_student_notebook`) as
deterministic text (:func:`render`: sorted JSON, same bytes for the same notebook).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optcourse.assignment.master import load_assignment
from optcourse.assignment.notebook import AssignmentError, read_notebook
from optcourse.assignment.student import STUB_LINE, make_student_notebook, student_source

__all__ = [
    "STUB_LINE",
    "make_student_notebook",
    "render",
    "student_source",
    "assign",
    "master_paths",
]


def render(nb: Any) -> str:
    """The notebook as the exact text written to disk (same bytes for the same notebook)."""
    import nbformat

    nbformat.validate(nb)
    return str(nbformat.writes(nb, version=4))


def master_paths(paths: list[Path]) -> list[Path]:
    """Expand folders to the master notebooks they contain (sorted); keep files as given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.glob("*.ipynb") if not q.name.startswith("."))
            if not found:
                raise AssignmentError(f"{p}: contains no notebook (.ipynb)")
            out.extend(found)
        else:
            out.append(p)
    return out


def assign(master_path: str | Path, out_dir: str | Path = "exercises") -> Path:
    """Validate the master at ``master_path`` and write its student notebook into ``out_dir``.

    The student notebook gets the master's file name. Returns the written path.
    """
    master_path = Path(master_path)
    load_assignment(master_path)  # validates format, tests and stubs
    nb = make_student_notebook(read_notebook(master_path), where=str(master_path))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AssignmentError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    target = out / master_path.name
    text = render(nb)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target
