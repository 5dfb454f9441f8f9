"""An assignment as the grader sees it: :func:`load_assignment` reads and validates a master."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcourse.assignment.notebook import (
    AssignmentError,
    NoHiddenTestError,
    Question,
    Role,
    assignment_metadata,
    cell_role,
    check_structure,
    normal_source,
    parse_questions,
    read_notebook,
    record_tests,
    role_keys,
)
from optcourse.assignment.specs import TestSpec
from optcourse.assignment.student import make_student_notebook

__all__ = ["SKIPPED_KINDS", "Assignment", "Fixture", "load_assignment", "assignment_metadata"]


@dataclass(frozen=True)
class Assignment:
    """A validated master notebook: its questions, its tests and the cells a student notebook has.

    Parsed once (:func:`load_assignment`) and then shared, read-only, by everything that grades
    against it. ``tests`` holds every public and hidden
    :class:`~optcourse.assignment.specs.TestSpec` in notebook order; ``fingerprint`` is the sha256
    of the master's content (sources and roles, not outputs); ``cell_roles`` the role of every
    master cell (None for ordinary cells); ``student_keys`` the ordered role keys a student
    notebook must contain; ``test_sources`` the sources (:func:`normal_source`) of the master's
    test and master-only code cells, which the grader does not run when a submission has them;
    ``solution_sources`` the master's answer code per question (what a question that ``uses``
    it is graded with); ``fixtures`` the recorded answers (:class:`Fixture`).
    """

    path: Path
    name: str
    version: str
    title: str
    questions: list[Question]
    tests: list[TestSpec]
    fingerprint: str
    cell_roles: list[Role | None]
    student_keys: list[str] = field(default_factory=list)
    test_sources: frozenset[str] = frozenset()
    solution_sources: dict[str, str] = field(default_factory=dict)
    fixtures: list[Fixture] = field(default_factory=list)

    @property
    def total_points(self) -> float:
        """Points of all questions, auto-graded and graded by a person."""
        return sum(q.points for q in self.questions)

    def question(self, qid: str) -> Question:
        """The question with id ``qid``."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"{self.name} has no question {qid!r}")

    def tests_for(self, qid: str, visibility: str | None = None) -> list[TestSpec]:
        """The tests of one question (optionally only public or hidden ones)."""
        return [
            t
            for t in self.tests
            if t.question == qid and (visibility is None or t.visibility == visibility)
        ]

    def check_submission(self, notebook: Any, where: str = "submission") -> None:
        """Raise :class:`AssignmentError` unless ``notebook`` is a complete copy of this
        assignment's student notebook: same assignment, every exercise cell, in order.

        ``notebook`` is a path, a notebook node, or the plain dict of a submission whose cells
        are dicts (as the grader reads it); nothing else than ``AssignmentError`` is raised.
        """
        nb = read_notebook(notebook) if isinstance(notebook, (str, Path)) else notebook
        if isinstance(notebook, (str, Path)):
            where = str(notebook)
        metadata = nb.get("metadata") if isinstance(nb, dict) else None
        meta = metadata.get("optcourse") if isinstance(metadata, dict) else None
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
            raise AssignmentError(f"{where}: not a notebook (no list of cells)")
        if not isinstance(meta, dict) or "assignment" not in meta:
            raise AssignmentError(
                f"{where}: not an optcourse exercise notebook (no assignment in its metadata)"
            )
        if meta["assignment"] != self.name:
            raise AssignmentError(
                f"{where}: is for assignment {meta['assignment']!r}, not {self.name!r}"
            )
        check_structure(nb, self.student_keys, where=where)


@dataclass(frozen=True)
class Fixture:
    """A recorded answer to one question (a raw ``fixture`` cell of the master): its ``source``
    replaces the question's answer code; ``expect`` is ``"loses"`` (a plausible mistake that must
    lose points) or ``"keeps"`` (a valid other form that must keep them); ``slip`` names it."""

    question: str
    expect: str
    slip: str
    source: str
    hinted: bool = False


def _solutions_and_fixtures(
    nb: Any, roles: list[Role | None], questions: list[Question], where: str
) -> tuple[dict[str, str], list[Fixture]]:
    """The master's answer code per question and its fixtures, validated."""
    code: dict[str, list[str]] = {}
    fixtures = []
    for index, (cell, role) in enumerate(zip(nb.cells, roles, strict=True)):
        if role is None or role.question is None:
            continue
        if role.kind == "solution" and cell.cell_type == "code":
            code.setdefault(role.question, []).append(cell.source)
        if role.kind == "fixture":
            if cell.cell_type != "raw":
                raise AssignmentError(
                    f"{where}: cell {index} ({role.label}) must be a raw cell (it must not run)"
                )
            meta = cell.metadata["optcourse"]
            slip = str(meta.get("slip", "")).strip()
            if not slip:
                raise AssignmentError(f"{where}: cell {index} ({role.label}) needs a slip name")
            hinted = meta.get("hinted") is True
            fixtures.append(Fixture(role.question, str(role.visibility), slip, cell.source, hinted))
    for q in questions:
        for used in q.uses:
            if used not in code:
                raise AssignmentError(f"{where}: {q.id} uses {used}, which has no answer code")
    for f in fixtures:
        if f.question not in code:
            raise AssignmentError(f"{where}: a fixture of {f.question}, which has no answer code")
    return {q: "\n\n".join(parts) for q, parts in code.items()}, fixtures


def _fingerprint(nb: Any) -> str:
    content = {
        "metadata": nb.metadata.get("optcourse"),
        "cells": [
            [c.cell_type, c.source, c.get("metadata", {}).get("optcourse")] for c in nb.cells
        ],
    }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def _check_cell_ids(path: str | Path) -> None:
    """Masters need unique cell ids as written in the file: student notebooks reuse them."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    seen: set[str] = set()
    for index, cell in enumerate(raw.get("cells", [])):
        cid = cell.get("id") if isinstance(cell, dict) else None
        if not isinstance(cid, str) or not cid:
            raise AssignmentError(
                f"{path}: cell {index} has no id; save the master with nbformat 4.5 or later"
                " (Jupyter does) so that the student notebook's cell ids are stable"
            )
        if cid in seen:
            raise AssignmentError(f"{path}: cell id {cid!r} is used twice (cell {index})")
        seen.add(cid)


def load_assignment(path: str | Path) -> Assignment:
    """Read and validate the master notebook at ``path``; raise :class:`AssignmentError` if invalid.

    Runs the test cells in recording mode (instructor code, trusted) to collect the
    :class:`~optcourse.assignment.specs.TestSpec` of every public and hidden test.
    """
    where = str(path)
    nb = read_notebook(path)
    _check_cell_ids(path)
    meta = assignment_metadata(nb, where)
    questions = parse_questions(nb, where=where)
    if not questions:
        raise AssignmentError(f"{where}: declares no question (cell metadata optcourse.question)")
    tests = record_tests(nb, where=where)
    roles = [cell_role(c) for c in nb.cells]
    _check_questions(questions, tests, roles, where)
    student = make_student_notebook(nb, where=where)
    solutions, fixtures = _solutions_and_fixtures(nb, roles, questions, where)
    assignment = Assignment(
        path=Path(path),
        name=meta["assignment"],
        version=meta["version"],
        title=meta["title"],
        questions=questions,
        tests=tests,
        fingerprint=_fingerprint(nb),
        cell_roles=roles,
        student_keys=role_keys(student),
        test_sources=frozenset(
            normal_source(cell.source)
            for cell, role in zip(nb.cells, roles, strict=True)
            if cell.cell_type == "code" and role is not None and role.kind in SKIPPED_KINDS
        ),
        solution_sources=solutions,
        fixtures=fixtures,
    )
    check_structure(student, assignment.student_keys, where=where)
    return assignment


#: The kinds of cells a grader does not run when a submission contains them unchanged.
SKIPPED_KINDS = ("tests", "master_only")


def _check_questions(
    questions: list[Question], tests: list[TestSpec], roles: list[Role | None], where: str
) -> None:
    """Every question has a solution cell; an auto-graded one a hidden test and tests worth its
    points, a manual one a rubric and no test."""
    for q in questions:
        mine = [t for t in tests if t.question == q.id]
        kinds = {r.kind for r in roles if r is not None and r.question == q.id}
        if "solution" not in kinds:
            raise AssignmentError(f"{where}: question {q.id} has no solution cell")
        if q.graded == "manual":
            if mine:
                raise AssignmentError(f"{where}: {q.id} is graded by a person but has tests")
            if not q.rubric:
                raise AssignmentError(f"{where}: {q.id} is graded by a person but has no rubric")
            continue
        if not any(t.visibility == "hidden" for t in mine):
            raise NoHiddenTestError(f"{where}: auto-graded question {q.id} has no hidden test")
        total = sum(t.points for t in mine)
        if abs(total - q.points) > 1e-9:
            raise AssignmentError(
                f"{where}: question {q.id} is worth {q.points:g} points"
                f" but its tests give {total:g}"
            )
