"""The student notebook of a master: :func:`make_student_notebook` and :func:`student_source`.

Solutions become stubs; hidden tests, rubrics, fixtures and master-only cells are dropped; public
tests stay. The result is deterministic (no outputs, no execution counts, the master's cell ids), so
``exercises/`` can be checked to be exactly what ``solutions/`` produces
(:mod:`optcourse.assignment.assign` writes it).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from optcourse.assignment.notebook import (
    AssignmentError,
    assignment_metadata,
    cell_role,
    role_keys,
)

__all__ = ["STUB_LINE", "make_student_notebook", "student_source"]

STUB_LINE = 'raise NotImplementedError("your answer here")'
STUB_VALUE = "...  # your answer here"
STUB_MARKDOWN = "*Your answer here.*"
_BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
_LINE = re.compile(r"^(\s*)([A-Za-z_][\w\s,\[\]\.]*?)\s*=(?!=).*#\s*SOLUTION\s*$")
_KEEP_TAGS = ("raises-exception", "nbval-skip", "nbval-ignore-output", "hide-input", "remove-cell")


def _region_stub(indent: str, region: list[str], where: str) -> list[str]:
    """The stub lines replacing one solution region (see :func:`student_source`)."""
    if indent:
        return [indent + STUB_LINE]
    try:
        tree = ast.parse("\n".join(region))
    except SyntaxError as exc:
        raise AssignmentError(f"{where}: the solution region does not parse ({exc.msg})") from None
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.name.startswith("_"):
                return [STUB_LINE]  # a whole public definition: the student writes it
            continue
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, (ast.AnnAssign, ast.AugAssign))
            else []
        )
        for target in targets:
            for leaf in ast.walk(target):
                if (
                    isinstance(leaf, ast.Name)
                    and not leaf.id.startswith("_")
                    and leaf.id not in names
                ):
                    names.append(leaf.id)
    if not names:
        return ["...  # your code here"]
    return [f"{name} = {STUB_VALUE}" for name in names]


def student_source(source: str, where: str = "solution cell") -> tuple[str, bool]:
    """Replace the solution parts of a code cell; return (new source, whether it now raises).

    ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` inside a function becomes
    ``raise NotImplementedError(...)`` at the marker's indentation; at the top level it becomes
    ``name = ...  # your answer here`` for each public name the region assigns (``...`` when none).
    A line ``name = value  # SOLUTION`` becomes ``name = ...  # your answer here``.
    """
    out: list[str] = []
    raises = replaced = False
    inside: str | None = None
    region: list[str] = []
    for number, line in enumerate(source.splitlines(), start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if inside is not None:
            if begin:
                raise AssignmentError(f"{where}: nested # BEGIN SOLUTION at line {number}")
            if end:
                stub = _region_stub(inside, region, where)
                out.extend(stub)
                raises = raises or stub[-1].strip() == STUB_LINE
                inside, replaced, region = None, True, []
            else:
                region.append(line)
            continue
        if begin:
            inside = begin.group(1)
            continue
        if end:
            raise AssignmentError(f"{where}: # END SOLUTION without BEGIN at line {number}")
        if re.search(r"#\s*SOLUTION\s*$", line):
            single = _LINE.match(line)
            if not single:
                raise AssignmentError(
                    f"{where}: line {number} ends in '# SOLUTION' but is not 'name = value'"
                )
            out.append(f"{single.group(1)}{single.group(2)} = {STUB_VALUE}")
            replaced = True
            continue
        out.append(line)
    if inside is not None:
        raise AssignmentError(f"{where}: # BEGIN SOLUTION without # END SOLUTION")
    if not replaced:
        raise AssignmentError(
            f"{where}: no '# BEGIN SOLUTION' ... '# END SOLUTION' region and no '# SOLUTION' line"
        )
    return "\n".join(out), raises


def _new_cell(cell: Any, index: int, source: str, tags: list[str]) -> dict[str, Any]:
    import nbformat

    metadata: dict[str, Any] = {}
    if "optcourse" in cell.get("metadata", {}):
        metadata["optcourse"] = dict(cell.metadata["optcourse"])
    if tags:
        metadata["tags"] = sorted(set(tags))
    cell_id = cell.get("id") or f"cell-{index}"
    if cell.cell_type == "code":
        new = nbformat.v4.new_code_cell(source=source, metadata=metadata, id=cell_id)
    elif cell.cell_type == "markdown":
        new = nbformat.v4.new_markdown_cell(source=source, metadata=metadata, id=cell_id)
    else:
        new = nbformat.v4.new_raw_cell(source=source, metadata=metadata, id=cell_id)
    return new


def make_student_notebook(master: Any, where: str = "master") -> Any:
    """Return the student notebook (a new node) generated from the master notebook node."""
    import nbformat

    meta = assignment_metadata(master, where)
    cells = []
    for index, cell in enumerate(master.cells):
        role = cell_role(cell)
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t in _KEEP_TAGS]
        source = cell.source
        if role is not None and role.kind in ("rubric", "master_only", "fixture"):
            continue
        if role is not None and role.kind == "tests" and role.visibility == "hidden":
            continue
        if role is not None and role.kind == "solution":
            if cell.cell_type == "code":
                source, raises = student_source(source, f"{where}: cell {index} ({role.label})")
                if raises:
                    tags.append("raises-exception")
            else:
                source = STUB_MARKDOWN
        cells.append(_new_cell(cell, index, source, tags))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.nbformat_minor = 5
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "optcourse": {**meta, "cells": []},
    }
    nb.metadata["optcourse"]["cells"] = role_keys(nb)
    return nb
