"""The master-notebook format: reading notebooks, cell roles, questions and their tests.

A master notebook (``solutions/NN_topic.ipynb``) has ``metadata["optcourse"] = {"assignment": ...,
"version": ..., "title": ...}`` and marks its cells with ``cell.metadata["optcourse"]``:

* ``{"question": "q3", "points": 2, "level": "A", "graded": "auto"}``: the question (markdown);
* ``{"solution": "q3"}``: the reference answer (code between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION``, or lines ending in ``# SOLUTION``; a markdown cell is a model answer);
* ``{"tests": "q3", "visibility": "public"}`` or ``"hidden"``: calls of the check functions
  (:mod:`optcourse.assignment.checks`, which students import from :mod:`optcourse.exercise`);
* ``{"rubric": "q9"}``: how a person grades a free-text question;
* ``{"fixture": "q7", "expect": "loses", "slip": "..."}`` (a raw cell): a recorded answer, wrong
  (``"loses"``: it must lose points) or valid in another form (``"keeps"``), whose source replaces
  the question's solution code when the master's own tests grade it (never run in the master);
* ``{"master_only": true}``: any other cell the student must not see.

A question may also say ``"uses": ["q7"]`` (its answer calls q7's: its hidden tests run with the
master's answer to q7, so one slip is not charged twice) and ``"kind": "derivation"`` or
``"proof"``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optcourse.assignment.checks import record_cell
from optcourse.assignment.specs import TestSpec

__all__ = [
    "AssignmentError",
    "NoHiddenTestError",
    "Role",
    "Question",
    "read_notebook",
    "assignment_metadata",
    "cell_role",
    "role_keys",
    "parse_questions",
    "record_tests",
    "public_specs",
    "check_structure",
    "normal_source",
]

LEVELS = ("A", "B", "C", "D")
#: What a recorded answer (a fixture cell) must do: lose points, or keep them all.
FIXTURE_EXPECT = ("loses", "keeps")
#: The kinds of question a set must contain at least one of (``"kind"`` in the question's
#: metadata): a derivation whose result the student returns as a function, and a short proof.
QUESTION_KINDS = ("derivation", "proof")


class AssignmentError(ValueError):
    """A notebook that is missing, unreadable or not in the assignment format (clear message)."""


class NoHiddenTestError(AssignmentError):
    """An auto-graded question without a hidden test: the notebook is not a master (often a
    student notebook given where the master was meant)."""


@dataclass(frozen=True)
class Role:
    """The role of one cell: ``kind`` is question, solution, tests, rubric, fixture or
    master_only (``visibility`` is a test's public/hidden, or a fixture's loses/keeps)."""

    kind: str
    question: str | None = None
    visibility: str | None = None

    @property
    def label(self) -> str:
        """Words for messages: 'the tests of q3 (public)'."""
        if self.kind == "question":
            return f"the question {self.question}"
        if self.kind == "solution":
            return f"the answer cell of {self.question}"
        if self.kind == "tests":
            return f"the {self.visibility} tests of {self.question}"
        if self.kind == "rubric":
            return f"the rubric of {self.question}"
        if self.kind == "fixture":
            return f"a recorded answer to {self.question} ({self.visibility} points)"
        return "a master-only cell"

    @property
    def key(self) -> str:
        parts = [self.kind, self.question or "", self.visibility or ""]
        return ":".join(p for p in parts if p)


@dataclass(frozen=True)
class Question:
    """One question: ``id``, ``points``, ``level`` (A–D), ``graded`` (auto or manual), ``title``,
    ``text`` (the markdown) and, for manual questions in a master, the ``rubric`` text."""

    id: str
    points: float
    level: str
    graded: str
    title: str
    text: str
    rubric: str | None = None
    uses: tuple[str, ...] = ()
    kind: str | None = None

    @property
    def describe(self) -> str:
        return self.title


def read_notebook(path: str | Path) -> Any:
    """Read and validate a notebook file; raise :class:`AssignmentError` with a clear message."""
    import nbformat

    p = Path(path)
    if not p.exists():
        raise AssignmentError(f"{p}: no such file")
    if p.is_dir():
        raise AssignmentError(f"{p}: is a folder, not a notebook (.ipynb) file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AssignmentError(f"{p}: cannot be read as text ({exc})") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise AssignmentError(f"{p}: is not valid JSON, the file is corrupt ({exc})") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise AssignmentError(f"{p}: is JSON but not a Jupyter notebook (no 'cells'/'nbformat')")
    if raw.get("nbformat") != 4:
        raise AssignmentError(f"{p}: notebook format {raw.get('nbformat')!r}; version 4 is needed")
    try:
        with warnings.catch_warnings():  # nbformat repairs duplicate cell ids, with a warning
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several kinds for invalid notebooks
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AssignmentError(f"{p}: is not a valid notebook ({first})") from None
    return nb


def assignment_metadata(nb: Any, where: str) -> dict[str, str]:
    """The ``optcourse`` notebook metadata (assignment, version, title), validated."""
    meta = nb.metadata.get("optcourse")
    if not isinstance(meta, dict):
        raise AssignmentError(
            f"{where}: no 'optcourse' notebook metadata: not an assignment notebook"
        )
    for key in ("assignment", "version"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise AssignmentError(f"{where}: notebook metadata optcourse.{key} must be a string")
    return {
        "assignment": meta["assignment"],
        "version": meta["version"],
        "title": str(meta.get("title", meta["assignment"])),
    }


def cell_role(cell: Any) -> Role | None:
    """The :class:`Role` of a cell from its metadata, or None for an ordinary cell.

    ``cell`` is a notebook node or the plain dict of a submission: a cell whose metadata is not
    a mapping has no role. Raises only :class:`AssignmentError` (a bad visibility)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("optcourse") if isinstance(metadata, dict) else None
    if not isinstance(meta, dict):
        return None
    if meta.get("master_only") is True:
        return Role("master_only")
    for kind in ("question", "solution", "rubric"):
        if kind in meta:
            return Role(kind, str(meta[kind]))
    if "fixture" in meta:
        expect = meta.get("expect")
        if expect not in FIXTURE_EXPECT:
            raise AssignmentError(f"fixture of {meta['fixture']}: expect must be loses or keeps")
        return Role("fixture", str(meta["fixture"]), expect)
    if "tests" in meta:
        vis = meta.get("visibility", "public")
        if vis not in ("public", "hidden"):
            raise AssignmentError(f"tests of {meta['tests']}: visibility must be public or hidden")
        return Role("tests", str(meta["tests"]), vis)
    return None


def role_keys(nb: Any) -> list[str]:
    """The ordered role keys of a notebook's cells (a node or a plain dict), numbered when
    repeated ('solution:q1:2')."""
    seen: Counter[str] = Counter()
    keys = []
    for cell in nb["cells"]:
        role = cell_role(cell)
        if role is None:
            continue
        seen[role.key] += 1
        n = seen[role.key]
        keys.append(role.key if n == 1 else f"{role.key}:{n}")
    return keys


def normal_source(source: str | list[str]) -> str:
    """A cell's source text without the whitespace that editing may change (line ends, outer
    blank lines), to recognise a master's cell in a student's notebook."""
    text = source if isinstance(source, str) else "".join(source)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _title(text: str) -> str:
    """The first line of a question, without markdown and the 'Q3 (A, 2 points):' prefix."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip().strip("*").strip()
        if line:
            return re.sub(r"^Q\d+\s*(\([^)]*\))?\s*:\s*", "", line) or line
    return ""


def parse_questions(nb: Any, *, where: str = "notebook") -> list[Question]:
    """The questions of a notebook in order, validated; rubrics attached from rubric cells."""
    questions: dict[str, Question] = {}
    rubrics: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        role = cell_role(cell)
        if role is None:
            continue
        qid = role.question
        if role.kind == "question":
            assert qid is not None
            meta = cell.metadata["optcourse"]
            if qid in questions:
                raise AssignmentError(f"{where}: question {qid} is declared twice")
            if cell.cell_type != "markdown":
                raise AssignmentError(f"{where}: question {qid} must be a markdown cell")
            points = meta.get("points")
            if not isinstance(points, (int, float)) or points < 0 or not math.isfinite(points):
                raise AssignmentError(f"{where}: question {qid} needs points >= 0, got {points!r}")
            level = meta.get("level")
            if level not in LEVELS:
                raise AssignmentError(f"{where}: question {qid} level must be A-D, got {level!r}")
            graded = meta.get("graded", "auto")
            if graded not in ("auto", "manual"):
                raise AssignmentError(f"{where}: question {qid}: graded must be auto or manual")
            questions[qid] = Question(
                qid,
                float(points),
                level,
                graded,
                _title(cell.source),
                cell.source,
                uses=_uses(meta, qid, questions, where),
                kind=_kind(meta, qid, where),
            )
        elif role.kind in ("solution", "tests", "rubric", "fixture"):
            if qid not in questions:
                raise AssignmentError(
                    f"{where}: cell {index} ({role.label}) comes before question {qid} is declared"
                )
            if role.kind == "rubric":
                rubrics[qid] = (rubrics.get(qid, "") + "\n\n" + cell.source).strip()
    return [dataclasses.replace(q, rubric=rubrics.get(q.id)) for q in questions.values()]


def _uses(meta: dict[str, Any], qid: str, earlier: dict[str, Question], where: str) -> tuple:
    """The validated ``uses`` of a question: ids of questions declared before it."""
    uses = meta.get("uses", [])
    if not isinstance(uses, list) or not all(isinstance(u, str) for u in uses):
        raise AssignmentError(f"{where}: question {qid}: uses must be a list of question ids")
    for used in uses:
        if used not in earlier:
            raise AssignmentError(
                f"{where}: question {qid} uses {used!r}, which is not a question declared before it"
            )
    return tuple(uses)


def _kind(meta: dict[str, Any], qid: str, where: str) -> str | None:
    kind = meta.get("kind")
    if kind is not None and kind not in QUESTION_KINDS:
        raise AssignmentError(
            f"{where}: question {qid}: kind must be one of"
            f" {', '.join(QUESTION_KINDS)}, got {kind!r}"
        )
    return kind


def record_tests(
    nb: Any, *, visibility: tuple[str, ...] = ("public", "hidden"), where: str = "notebook"
) -> list[TestSpec]:
    """Execute the test cells of ``nb`` in recording mode; return their named TestSpecs."""
    specs: list[TestSpec] = []
    counters: Counter[str] = Counter()
    for index, cell in enumerate(nb.cells):
        role = cell_role(cell)
        if role is None or role.kind != "tests" or role.visibility not in visibility:
            continue
        if cell.cell_type != "code":
            raise AssignmentError(f"{where}: cell {index} ({role.label}) must be a code cell")
        try:
            recorded = record_cell(cell.source, f"<{role.label}>")
        except Exception as exc:  # instructor code: any error is a broken test cell
            raise AssignmentError(
                f"{where}: cell {index} ({role.label}) does not run: {type(exc).__name__}: {exc}"
            ) from None
        if not recorded:
            raise AssignmentError(f"{where}: cell {index} ({role.label}) declares no check")
        for spec in recorded:
            if spec.question != role.question or spec.visibility != role.visibility:
                raise AssignmentError(
                    f"{where}: cell {index} ({role.label}) declares a {spec.visibility} check of"
                    f" {spec.question}; it must be a {role.visibility} check of {role.question}"
                    + (" (pass hidden=True)" if role.visibility == "hidden" else "")
                )
            stem = f"{spec.question}.{spec.visibility}"
            counters[stem] += 1
            specs.append(spec.named(f"{stem}.{counters[stem]}"))
    return specs


def public_specs(nb: Any, where: str = "notebook") -> tuple[list[TestSpec], list[Question]]:
    """The public checks and the questions of a master or student notebook."""
    questions = parse_questions(nb, where=where)
    return record_tests(nb, visibility=("public",), where=where), questions


def check_structure(nb: Any, expected_keys: list[str], *, where: str = "notebook") -> None:
    """Raise :class:`AssignmentError` if a role cell of ``expected_keys`` is missing, repeated or
    out of order in ``nb`` (students may add cells of their own anywhere)."""
    actual = role_keys(nb)
    labels = {k: _label_of_key(k) for k in set(expected_keys) | set(actual)}
    missing = [k for k in expected_keys if k not in actual]
    if missing:
        names = ", ".join(labels[k] for k in missing[:3]) + (" ..." if len(missing) > 3 else "")
        raise AssignmentError(
            f"{where}: {len(missing)} cell(s) of the exercise are missing: {names}. They were"
            " deleted or their metadata was removed;"
            " copy them back from a fresh copy of the exercise."
        )
    unknown = [k for k in actual if k not in expected_keys]
    if unknown:
        raise AssignmentError(
            f"{where}: cell(s) that are not part of this exercise: {labels[unknown[0]]}"
            " (a cell was duplicated, or the notebook belongs to another assignment)"
        )
    if actual != expected_keys:
        for want, got in zip(expected_keys, actual, strict=True):
            if want != got:
                raise AssignmentError(
                    f"{where}: the cells of the exercise are out of order: expected {labels[want]}"
                    f" where {labels[got]} is. Move the cells back into their original order."
                )


def _label_of_key(key: str) -> str:
    parts = key.split(":")
    kind = parts[0]
    q = parts[1] if len(parts) > 1 else None
    vis = parts[2] if kind == "tests" and len(parts) > 2 else None
    label = Role(kind, q, vis).label
    if parts[-1].isdigit():
        label += f" (copy {parts[-1]})"
    return label
