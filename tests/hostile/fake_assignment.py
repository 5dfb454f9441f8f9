"""A small stand-in assignment for the grader's tests (same interface as ``load_assignment``).

Questions: q1 (1 point) ``answer`` must be the integer 42; q2 (2 points, hidden) ``double(v)`` on
random inputs must be ``2 * v``; q3 (1 point) ``late`` must be the string "done" (defined by the
last cell, so it shows whether the cells after a hostile one still ran); q4 (2 points) is graded by
a person. The good submission earns 4 of the 4 autograded points.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optcourse.assignment.specs import Probes
from optcourse.exercise import ProbeError, Verdict

GOOD_CELLS = ["answer = 42", "def double(x):\n    return 2 * x", "late = 'done'"]
SECRET = "SECRET-REFERENCE-ANSWER-42"


@dataclass
class FakeQuestion:
    id: str
    points: float
    graded: str
    title: str
    level: str = "A"
    rubric: str | None = None
    uses: tuple[str, ...] = ()


class FakeSpec:
    """A test: ``probes(rng)`` gives (expressions, inputs), ``check(inputs, values)`` whether
    all passed (the same protocol as ``TestSpec``: the drawn inputs travel in ``Probes``)."""

    def __init__(self, name, question, points, visibility, describe, probes, check):  # type: ignore[no-untyped-def]
        self.name, self.question, self.points = name, question, float(points)
        self.visibility, self.describe = visibility, describe
        self._probes, self._check = probes, check

    def make_probes(self, rng: Any) -> Probes:
        expressions, inputs = self._probes(rng)
        return Probes(self.name, tuple(expressions), tuple((x,) for x in inputs))

    def judge(self, probes: Probes, values: list[Any]) -> Verdict:
        for v in values:
            if isinstance(v, ProbeError):
                return Verdict(0.0, False, f"{v.kind}: {v.message}")
        ok = self._check([c[0] for c in probes.cases], values)
        return Verdict(self.points if ok else 0.0, ok, "" if ok else "wrong value")


def _double_probes(rng: Any) -> tuple[list[str], list[float]]:
    inputs = [float(x) for x in rng.uniform(-5, 5, size=3)]
    return [f"double({x!r})" for x in inputs], inputs


def _double_check(inputs: list[float], values: list[Any]) -> bool:
    return all(
        type(v) is float and math.isclose(v, 2 * x, rel_tol=1e-12)
        for v, x in zip(values, inputs, strict=True)
    )


class FakeAssignment:
    """The fake assignment; its master file (holding ``SECRET``) is written to ``folder``."""

    def __init__(self, folder: Path, name: str = "00_fake") -> None:
        self.name, self.version, self.title = name, "1", "A fake assignment"
        self.path = Path(folder) / "master.ipynb"
        self.path.write_text(json.dumps({"cells": [], "metadata": {"secret": SECRET}}))
        self.fingerprint = hashlib.sha256(self.path.read_bytes()).hexdigest()
        self.test_sources: frozenset[str] = frozenset()  # the master has no test cell to skip
        self.solution_sources: dict[str, str] = {}  # no question uses another
        self.questions = [
            FakeQuestion("q1", 1, "auto", "the answer"),
            FakeQuestion("q2", 2, "auto", "double"),
            FakeQuestion("q3", 1, "auto", "the last cell"),
            FakeQuestion("q4", 2, "manual", "an essay", "D", "rubric"),
        ]
        self.tests = [
            FakeSpec(
                "q1.public.1",
                "q1",
                1,
                "public",
                "answer is 42",
                lambda rng: (["answer"], [None]),
                lambda inputs, v: type(v[0]) is int and v[0] == 42,
            ),
            FakeSpec(
                "q2.hidden.1",
                "q2",
                2,
                "hidden",
                "double on random numbers",
                _double_probes,
                _double_check,
            ),
            FakeSpec(
                "q3.public.1",
                "q3",
                1,
                "public",
                "late is 'done'",
                lambda rng: (["late"], [None]),
                lambda inputs, v: v[0] == "done",
            ),
        ]

    @classmethod
    @contextlib.contextmanager
    def in_temp_folder(cls) -> Iterator[FakeAssignment]:
        """The fake in a fresh temporary folder, removed afterwards. With namespaces the folder is
        hidden even though every user may read it; without them the instructors' guide asks for a
        folder closed to other users, so it is made so."""
        from optcourse.grading.kernel import isolation_mode

        folder = Path(tempfile.mkdtemp(prefix="optcourse-master-"))
        os.chmod(folder, 0o755 if isolation_mode() in ("root-ns", "user-ns") else 0o700)
        made = cls(folder)
        os.chmod(made.path, 0o644)
        try:
            yield made
        finally:
            made.path.unlink(missing_ok=True)
            folder.rmdir()

    def check_submission(self, notebook: Any, where: str = "submission") -> None:
        """Any notebook has the fake's structure: it has no exercise cell to check."""


def notebook(cells: list[str], assignment: str = "00_fake") -> dict[str, Any]:
    """A notebook (as a dict) whose code cells are ``cells``."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"optcourse": {"assignment": assignment, "version": "1"}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": c,
                "outputs": [],
                "execution_count": None,
                "id": f"c{i}",
            }
            for i, c in enumerate(cells)
        ],
    }


def hostile_cells(source: str) -> list[str]:
    """The cells of a hostile file: a line ``# %%`` starts another cell (jupytext's percent
    format); ``# %% size=N`` pads that cell with a trailing comment to ``N`` characters."""
    cells = [""]
    sizes = [0]
    for line in source.splitlines(keepends=True):
        if line.startswith("# %%"):
            size = line.split("size=")[1] if "size=" in line else "0"
            cells.append("")
            sizes.append(int(size))
            continue
        cells[-1] += line
    return [
        c + "#" * max(n - len(c) - 1, 0) + ("\n" if n else "")
        for c, n in zip(cells, sizes, strict=True)
    ]


def hostile_cases() -> list[tuple[str, str, float]]:
    """(name, hostile cell source, exact expected score) for every file in this folder."""
    cases = []
    for path in sorted(Path(__file__).parent.glob("h_*.py")):
        text = path.read_text()
        first = text.splitlines()[0]
        assert first.startswith("# expect: "), path
        cases.append((path.stem, text, float(first.removeprefix("# expect: "))))
    return cases
