"""Grade submissions against an assignment: one isolated kernel each, judged in this process.

For one submission (:func:`grade_submission`): read the notebook (a corrupt file or a notebook of
another assignment is reported, not run), start a fresh :class:`~optcourse.grading.kernel.Kernel`,
run the student's code cells in order (the public test cells are skipped: grading does not need
them), then for every test of the assignment draw its probes from a seeded random generator,
evaluate them in the kernel, and judge the plain values here with ``TestSpec.judge``. The kernel
never sees a hidden test or the master notebook; it sees the master's answer code of a question
only when a later question ``uses`` it (:mod:`optcourse.grading.uses`), after grading that one.

A whole class is graded by :mod:`optcourse.grading.batch`.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from optcourse.assignment.master import SKIPPED_KINDS, Assignment
from optcourse.assignment.notebook import AssignmentError, cell_role, normal_source
from optcourse.assignment.specs import Probes, TestSpec
from optcourse.assignment.values import ProbeError
from optcourse.grading.isolation import repository_paths
from optcourse.grading.kernel import Kernel, KernelLimits, Reply, runtime_paths
from optcourse.grading.results import (
    HIDDEN_VISIBILITY,
    PUBLIC_VISIBILITY,
    SubmissionResult,
    TestResult,
    bound,
)
from optcourse.grading.uses import run_tests

#: Largest submission file read (bytes).
MAX_NOTEBOOK_BYTES = 50 * 1024**2
#: What replaces a hidden path (another student's folder, the master, the output folder) in
#: text a kernel produced: it can read them as mount points in ``/proc/self/mountinfo``.
HIDDEN = "<hidden path>"


def _to_value(reply: Reply) -> Any:
    """A kernel reply as what ``TestSpec.judge`` expects: plain data or a ``ProbeError``."""
    if reply.ok:
        return reply.value
    if reply.kind == "error":
        return ProbeError(reply.exc or "Error", reply.error)
    if reply.kind == "timeout":
        return ProbeError("Timeout", reply.error)
    return ProbeError("KernelStopped", reply.error)


def file_sha256(path: Path) -> str:
    """sha256 of the first ``MAX_NOTEBOOK_BYTES + 1`` bytes of a file (what grading reads), read
    in chunks so that a huge file never fills the grader's memory."""
    digest = hashlib.sha256()
    left = MAX_NOTEBOOK_BYTES + 1
    with Path(path).open("rb") as fh:
        while left > 0:
            chunk = fh.read(min(left, 1 << 20))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def read_submission(path: Path) -> tuple[dict[str, Any] | None, str, str]:
    """Return (notebook dict or None, sha256 of the file, problem message or "")."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        return None, "", f"cannot read the file: {exc.strerror}"
    sha = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, sha, f"the file is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB"
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, sha, "this is not a Jupyter notebook (the file is not valid notebook JSON)"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, sha, "this is not a Jupyter notebook (it has no list of cells)"
    for i, cell in enumerate(nb["cells"]):
        source = cell.get("source") if isinstance(cell, dict) else None
        if not isinstance(source, (str, list)) or (
            isinstance(source, list) and not all(isinstance(s, str) for s in source)
        ):
            return None, sha, f"the notebook is damaged: cell {i + 1} has no readable source"
    return nb, sha, ""


def code_cells(
    nb: dict[str, Any], test_sources: frozenset[str] | None = None
) -> list[tuple[int, str]]:
    """(1-based cell number, source) of the code cells to run.

    Test cells (and a master's own ``master_only`` cells) are left out: grading asks for values
    itself and does not need the notebook's checks. With ``test_sources`` (the assignment's
    :attr:`~optcourse.assignment.master.Assignment.test_sources`) a cell is left out only if it
    really is one of the master's test cells: a student's own code in a cell that carries test
    metadata (a copied or split test cell) still runs.
    """
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        source = source if isinstance(source, str) else "".join(source)
        master_test = test_sources is None or normal_source(source) in test_sources
        if _has_skipped_role(cell) and master_test:
            continue
        out.append((i + 1, source))
    return out


def _has_skipped_role(cell: dict[str, Any]) -> bool:
    """Whether a submission's cell is marked as a test or master-only cell (its role read as
    :func:`~optcourse.assignment.notebook.cell_role` reads the master's)."""
    try:
        role = cell_role(cell)
    except AssignmentError:  # test metadata with an unknown visibility: still a test cell
        return True
    return role is not None and role.kind in SKIPPED_KINDS


def _seed(assignment: Assignment, sha: str, seed: int | None) -> int:
    text = f"{assignment.fingerprint}:{sha}:{seed}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


def _manual_results(assignment: Assignment) -> list[TestResult]:
    return [
        TestResult(
            name=f"{q.id}: {q.title}",
            question=q.id,
            score=0.0,
            max_score=float(q.points),
            status="manual",
            output="graded by a person",
            visibility=PUBLIC_VISIBILITY,
        )
        for q in assignment.questions
        if q.graded == "manual"
    ]


def zero_results(assignment: Assignment, why: str) -> list[TestResult]:
    tests = [
        TestResult(
            name=_test_name(spec),
            question=spec.question,
            score=0.0,
            max_score=float(spec.points),
            status="failed",
            output=why,
            visibility=_visibility(spec),
        )
        for spec in assignment.tests
    ]
    return _merge(assignment, tests)


def _visibility(spec: Any) -> str:
    return HIDDEN_VISIBILITY if spec.visibility == "hidden" else PUBLIC_VISIBILITY


def _test_name(spec: Any) -> str:
    return f"{spec.name}: {spec.describe}"


def _merge(assignment: Assignment, tests: list[TestResult]) -> list[TestResult]:
    """Tests and manual questions in question order."""
    order = {q.id: i for i, q in enumerate(assignment.questions)}
    both = tests + _manual_results(assignment)
    return sorted(both, key=lambda t: order.get(t.question, len(order)))


def _judge(spec: TestSpec, probes: Probes, values: list[Any]) -> TestResult:
    points = float(spec.points)
    try:
        verdict = spec.judge(probes, values)
        score = float(verdict.score)
        passed = bool(verdict.passed)
        message = str(verdict.message)
    except Exception as exc:  # a value the reference check could not handle
        score, passed = 0.0, False
        message = f"the answer could not be checked ({type(exc).__name__})"
    if not math.isfinite(score):
        score = 0.0
    score = min(max(score, 0.0), points)
    if spec.visibility == "hidden":
        output = f"Hidden test: {spec.describe}." + ("" if passed else f" Failed: {message}")
    else:
        output = "" if passed else message
    return TestResult(
        name=_test_name(spec),
        question=spec.question,
        score=score,
        max_score=points,
        status="passed" if passed else "failed",
        output=output,
        visibility=_visibility(spec),
    )


def run_test(
    spec: TestSpec, rng: np.random.Generator, ask: Callable[[str, float | None], Reply]
) -> TestResult:
    """Draw ``spec``'s probes from ``rng``, ask each one with ``ask`` and judge the replies.

    Specs are immutable and the drawn cases travel in the :class:`Probes` value, so the
    submissions graded in parallel (``--jobs``) share the assignment's specs safely.
    """
    probes = spec.make_probes(rng)
    values = [_to_value(ask(expr, probes.time_limit)) for expr in probes.expressions]
    return _judge(spec, probes, values)


def hidden_paths(assignment_path: Path, extra: Sequence[Path] = ()) -> list[Path]:
    """What a kernel must not see: the master (its folder when that holds no runtime code), the
    repository's ``.git``, the ``extra`` paths (output folder, collected submissions) and, when
    the package is installed editable from a checkout, that checkout but the package itself
    (:func:`~optcourse.grading.isolation.repository_paths`: its ``solutions/`` are masters)."""
    master = assignment_path.resolve()
    runtime = runtime_paths()
    folder = master.parent
    hide = [master] if any(p == folder or p.is_relative_to(folder) for p in runtime) else [folder]
    for parent in [master.parent, *master.parents]:
        if (parent / ".git").exists():
            hide.append(parent / ".git")
            break
    for p in extra:
        p = Path(p).resolve()
        if not any(r == p or r.is_relative_to(p) for r in runtime):
            hide.append(p)
    hide.extend(repository_paths())
    return list(dict.fromkeys(hide))


def grade_submission(
    path: Path,
    assignment: Assignment,
    *,
    name: str | None = None,
    limits: KernelLimits | None = None,
    seed: int | None = None,
    hide: Sequence[Path] = (),
    refuse: str = "",
) -> SubmissionResult:
    """Grade one notebook file against ``assignment`` (from ``load_assignment``).

    ``refuse`` non-empty: the file is not read, the submission gets zero with that reason.
    """
    start = time.monotonic()
    path = Path(path)
    result = SubmissionResult(
        name=name or path.stem, path=str(path), sha256="", status="graded", tests=[]
    )
    if refuse:
        nb, problem = None, refuse
    else:
        nb, result.sha256, problem = read_submission(path)
    if nb is None:
        result.status = "unreadable"
        result.notes.append(f"Not graded: {problem}.")
        result.tests = zero_results(assignment, f"not graded: {problem}")
        result.execution_time = time.monotonic() - start
        return result
    meta = nb.get("metadata")
    meta = meta.get("optcourse") if isinstance(meta, dict) else None
    other = meta.get("assignment") if isinstance(meta, dict) else None
    if other is not None and other != assignment.name:
        why = f"this notebook is for assignment {str(other)[:80]!r}, not {assignment.name!r}"
        result.status = "wrong_assignment"
        result.notes.append(f"Not graded: {why}.")
        result.tests = zero_results(assignment, f"not graded: {why}")
        result.execution_time = time.monotonic() - start
        return result
    structure = _structure_problem(assignment, nb)
    if structure:
        result.notes.append(f"{structure} (graded anyway)")
    if other is None:
        result.notes.append(
            "The notebook has no assignment metadata (was it copied into a new notebook?); "
            "it was graded anyway."
        )
    tests: list[TestResult] = []
    session = _Session(path, limits or KernelLimits(), list(hide), result.notes)
    try:
        for number, source in code_cells(nb, assignment.test_sources):
            session.run_cell(number, source)
        rng_seed = _seed(assignment, result.sha256, seed)
        tests = run_tests(assignment, rng_seed, session.probe, session.run_reference, run_test)
    finally:
        result.printed = session.close()
        result.timed_out = session.timed_out
    result.tests = _merge(assignment, tests)
    result.execution_time = time.monotonic() - start
    return bound(scrub(result, hide))


def scrub(result: SubmissionResult, hide: Sequence[Path]) -> SubmissionResult:
    """Replace every hidden path (as given and resolved) by :data:`HIDDEN` in the texts the
    kernel produced (notes, test messages, printed output), in place; returns ``result``."""
    paths = {str(p) for p in hide} | {str(Path(p).resolve()) for p in hide}
    paths = {p for p in paths if p not in ("", "/")}
    if not paths:
        return result
    ordered = sorted(paths, key=len, reverse=True)  # a path before its own parents

    def clean(text: str) -> str:
        if "/" not in text:  # every hidden path is absolute
            return text
        for path in ordered:
            if path in text:
                text = text.replace(path, HIDDEN)
        return text

    result.notes = [clean(n) for n in result.notes]
    result.printed = clean(result.printed)
    for t in result.tests:
        t.output = clean(t.output)
    return result


def _structure_problem(assignment: Assignment, nb: dict[str, Any]) -> str:
    """The assignment's complaint about missing or reordered exercise cells, or ""."""
    try:
        assignment.check_submission(nb, where="your notebook")
    except AssignmentError as exc:
        return str(exc)
    return ""


class _Session:
    """The kernel of one submission, restarted (at most ``MAX_RESTARTS`` times) when it dies.

    After a crash, a kill or a timeout that ignored the interrupt, a fresh kernel replays the cells
    that had run, skips the one that killed the kernel, and the notebook goes on: work that does
    not depend on the fatal cell still earns its points. ``notes`` collects what happened.
    """

    MAX_RESTARTS = 2
    MAX_SKIP_NOTES = 20  # notes on skipped magics and shell lines, per submission

    def __init__(self, path: Path, limits: KernelLimits, hide: list[Path], notes: list[str]):
        self.path, self.limits, self.hide, self.notes = path, limits, hide, notes
        self.deadline = time.monotonic() + limits.total_timeout
        self.ran: list[tuple[int, str]] = []
        self.restarts = 0
        self.skipped = 0
        self.printed: list[str] = []
        self.timed_out = False  # a cell or an answer was stopped at a time limit
        self.kernel = self._new_kernel()

    def _new_kernel(self) -> Kernel:
        kernel = Kernel(self.path, limits=self.limits, hide=self.hide)
        kernel.start(deadline=self.deadline)
        if kernel.death is not None:
            self.notes.append(kernel.death)
        return kernel

    def _restart(self, where: str) -> None:
        self.notes.append(f"{where}: {self.kernel.death}")
        if self.restarts >= self.MAX_RESTARTS or time.monotonic() >= self.deadline:
            return
        self.restarts += 1
        self.printed.append(self.kernel.output)
        self.kernel.close()
        self.kernel = self._new_kernel()
        for number, source in self.ran:
            self.kernel.execute(source, name=f"<cell {number}>")
            if not self.kernel.alive:
                return
        self.notes.append(f"{where}: the kernel was restarted, skipping that cell")

    def run_cell(self, number: int, source: str) -> None:
        if not self.kernel.alive:
            return
        reply = self.kernel.execute(source, name=f"<cell {number}>")
        self.timed_out |= reply.kind == "timeout"
        if not self.kernel.alive:
            self._restart(f"Cell {number}")
            return
        for note in reply.notes:
            self.skipped += 1
            if self.skipped <= self.MAX_SKIP_NOTES:
                self.notes.append(f"Cell {number}: {note}")
            elif self.skipped == self.MAX_SKIP_NOTES + 1:
                self.notes.append("Further magics and shell lines were skipped without a note.")
        if reply.ok:
            self.ran.append((number, source))
        elif reply.kind == "error":
            self.ran.append((number, source))
            self.notes.append(f"Cell {number}: {reply.exc}: {reply.error}")
        else:
            self.notes.append(f"Cell {number}: {reply.error}")

    def run_reference(self, source: str) -> Reply:
        """Run the master's code in the kernel (:mod:`optcourse.grading.uses`); not replayed
        after a restart and not a cell of the notebook."""
        if not self.kernel.alive:
            return Reply(False, error=self.kernel.death or "the kernel stopped", kind="dead")
        return self.kernel.execute(source, name="<the master's answer to an earlier question>")

    def probe(self, expr: str, timeout: float | None = None) -> Reply:
        reply = self.kernel.probe(expr, timeout)
        self.timed_out |= reply.kind == "timeout"
        if not reply.ok and reply.kind in ("dead", "timeout") and not self.kernel.alive:
            self._restart("While checking an answer")
        return reply

    def close(self) -> str:
        self.printed.append(self.kernel.output)
        self.kernel.close()
        return "\n".join(p for p in self.printed if p)
