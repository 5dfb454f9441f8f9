"""Grade submissions against an assignment: one isolated kernel each, judged in this process.

For one submission (:func:`grade_submission`): read the notebook (a corrupt file or a notebook of
another assignment is reported, not run), start a fresh :class:`~optcourse.grading.kernel.Kernel`,
run the student's code cells in order (the public test cells are skipped: grading does not need
them), then for every test of the assignment draw its probes from a seeded random generator,
evaluate them in the kernel, and judge the plain values here with ``TestSpec.judge``. The kernel
never sees a hidden test, a reference answer or the master notebook.

For a class (:func:`grade_all`): the same, ``jobs`` submissions at a time, skipping submissions
already graded whose file and assignment are unchanged, writing each result atomically as soon as it
is done, and finally ``grades.csv``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optcourse.grading.kernel import Kernel, KernelLimits, Reply, runtime_paths
from optcourse.grading.results import (
    HIDDEN_VISIBILITY,
    PUBLIC_VISIBILITY,
    SubmissionResult,
    TestResult,
    atomic_write,
    feedback_text,
    from_record,
    grades_csv,
    results_json,
    to_record,
    write_json,
)

#: Bump when grading changes in a way that should regrade resumed runs.
GRADER_VERSION = "1"
#: Largest submission file read (bytes).
MAX_NOTEBOOK_BYTES = 50 * 1024**2


class UsageError(ValueError):
    """Bad command-line input (missing file, clashing names, ...): reported without a traceback."""


@dataclass(frozen=True)
class Submission:
    """One notebook to grade: its ``name`` in the output folder and its ``path``."""

    name: str
    path: Path


def _probe_error(kind: str, message: str) -> Any:
    from optcourse.exercise import ProbeError

    return ProbeError(kind, message)


def _to_value(reply: Reply) -> Any:
    """A kernel reply as what ``TestSpec.judge`` expects: plain data or a ``ProbeError``."""
    if reply.ok:
        return reply.value
    if reply.kind == "error":
        return _probe_error(reply.exc or "Error", reply.error)
    if reply.kind == "timeout":
        return _probe_error("Timeout", reply.error)
    return _probe_error("KernelStopped", reply.error)


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


def code_cells(nb: dict[str, Any]) -> list[tuple[int, str]]:
    """(1-based cell number, source) of the code cells to run.

    Test cells (and a master's own ``master_only`` cells) are left out: grading asks for values
    itself and does not need the notebook's checks.
    """
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        role = meta.get("optcourse") if isinstance(meta, dict) else None
        if isinstance(role, dict) and ("tests" in role or role.get("master_only") is True):
            continue
        source = cell["source"]
        out.append((i + 1, source if isinstance(source, str) else "".join(source)))
    return out


def _seed(assignment: Any, sha: str, seed: int | None) -> int:
    text = f"{assignment.fingerprint}:{sha}:{seed}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


def _manual_results(assignment: Any) -> list[TestResult]:
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


def _zero_results(assignment: Any, why: str) -> list[TestResult]:
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


def _merge(assignment: Any, tests: list[TestResult]) -> list[TestResult]:
    """Tests and manual questions in question order."""
    order = {q.id: i for i, q in enumerate(assignment.questions)}
    both = tests + _manual_results(assignment)
    return sorted(both, key=lambda t: order.get(t.question, len(order)))


def _judge(spec: Any, values: list[Any]) -> TestResult:
    points = float(spec.points)
    try:
        verdict = spec.judge(values)
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


def hidden_paths(assignment_path: Path, extra: Sequence[Path] = ()) -> list[Path]:
    """What a kernel must not see: the master (its folder when that holds no runtime code), the
    repository's ``.git`` and the ``extra`` paths (output folder, collected submissions)."""
    master = assignment_path.resolve()
    runtime = runtime_paths()
    folder = master.parent
    if any(p == folder or p.is_relative_to(folder) for p in runtime):
        hide = [master]
    else:
        hide = [folder]
    for parent in [master.parent, *master.parents]:
        if (parent / ".git").exists():
            hide.append(parent / ".git")
            break
    for p in extra:
        p = Path(p).resolve()
        if not any(r == p or r.is_relative_to(p) for r in runtime):
            hide.append(p)
    return hide


def grade_submission(
    path: Path,
    assignment: Any,
    *,
    name: str | None = None,
    limits: KernelLimits | None = None,
    seed: int | None = None,
    hide: Sequence[Path] = (),
) -> SubmissionResult:
    """Grade one notebook file against ``assignment`` (from ``load_assignment``)."""
    start = time.monotonic()
    path = Path(path)
    result = SubmissionResult(
        name=name or path.stem, path=str(path), sha256="", status="graded", tests=[]
    )
    nb, result.sha256, problem = read_submission(path)
    if nb is None:
        result.status = "unreadable"
        result.notes.append(f"Not graded: {problem}.")
        result.tests = _zero_results(assignment, f"not graded: {problem}")
        result.execution_time = time.monotonic() - start
        return result
    meta = nb.get("metadata")
    meta = meta.get("optcourse") if isinstance(meta, dict) else None
    other = meta.get("assignment") if isinstance(meta, dict) else None
    if other is not None and other != assignment.name:
        why = f"this notebook is for assignment {str(other)[:80]!r}, not {assignment.name!r}"
        result.status = "wrong_assignment"
        result.notes.append(f"Not graded: {why}.")
        result.tests = _zero_results(assignment, f"not graded: {why}")
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
        for number, source in code_cells(nb):
            session.run_cell(number, source)
        rng_seed = _seed(assignment, result.sha256, seed)
        for index, spec in enumerate(assignment.tests):
            rng = np.random.default_rng([rng_seed, index])
            probes = spec.make_probes(rng)
            values = [_to_value(session.probe(expr)) for expr in probes]
            tests.append(_judge(spec, values))
    finally:
        result.printed = session.close()
    result.tests = _merge(assignment, tests)
    result.execution_time = time.monotonic() - start
    return result


def _structure_problem(assignment: Any, nb: dict[str, Any]) -> str:
    """The assignment's complaint about missing or reordered exercise cells, or ""."""
    check = getattr(assignment, "check_submission", None)
    if check is None:
        return ""
    try:
        import nbformat

        check(nbformat.from_dict(nb), where="your notebook")
    except ValueError as exc:  # AssignmentError
        return str(exc)
    except Exception:  # a notebook too damaged to compare: running it will tell
        return ""
    return ""


class _Session:
    """The kernel of one submission, restarted (at most ``MAX_RESTARTS`` times) when it dies.

    After a crash, a kill or a timeout that ignored the interrupt, a fresh kernel replays the cells
    that had run, skips the one that killed the kernel, and the notebook goes on: work that does
    not depend on the fatal cell still earns its points. ``notes`` collects what happened.
    """

    MAX_RESTARTS = 2

    def __init__(self, path: Path, limits: KernelLimits, hide: list[Path], notes: list[str]):
        self.path, self.limits, self.hide, self.notes = path, limits, hide, notes
        self.deadline = time.monotonic() + limits.total_timeout
        self.ran: list[tuple[int, str]] = []
        self.restarts = 0
        self.printed: list[str] = []
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
        if not self.kernel.alive:
            self._restart(f"Cell {number}")
            return
        if reply.ok:
            self.ran.append((number, source))
        elif reply.kind == "error":
            self.ran.append((number, source))
            self.notes.append(f"Cell {number}: {reply.exc}: {reply.error}")
        else:
            self.notes.append(f"Cell {number}: {reply.error}")

    def probe(self, expr: str) -> Reply:
        reply = self.kernel.probe(expr)
        if not reply.ok and reply.kind in ("dead", "timeout") and not self.kernel.alive:
            self._restart("While checking an answer")
        return reply

    def close(self) -> str:
        self.printed.append(self.kernel.output)
        self.kernel.close()
        return "\n".join(p for p in self.printed if p)


# -- a whole class ----------------------------------------------------------------------------


def collect(paths: Sequence[Path]) -> list[Submission]:
    """The submissions named on the command line: notebook files, or folders searched for them.

    A file is named by its stem; a notebook inside a folder by its path relative to that folder,
    with ``/`` replaced by ``__`` (``alice/hw1.ipynb`` becomes ``alice__hw1``).
    """
    found: list[Submission] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in nb.parts:
                    continue
                rel = nb.relative_to(p).with_suffix("")
                found.append(Submission("__".join(rel.parts), nb))
        elif p.exists():
            found.append(Submission(p.stem, p))
        else:
            raise UsageError(f"no such submission file or folder: {p}")
    if not found:
        raise UsageError("no submission found (give .ipynb files or folders holding them)")
    names: dict[str, Path] = {}
    for s in found:
        if s.name in names:
            raise UsageError(
                f"two submissions would share the name {s.name!r}: {names[s.name]} and {s.path};"
                " put each student's notebook in its own folder and pass the parent folder"
            )
        names[s.name] = s.path
    return found


def _stamp(assignment: Any, sha: str) -> dict[str, str]:
    return {"sha256": sha, "fingerprint": assignment.fingerprint, "grader": GRADER_VERSION}


def _previous(out: Path, sub: Submission, assignment: Any) -> SubmissionResult | None:
    """The saved result of ``sub`` if its file and the assignment are unchanged since."""
    record_path = out / sub.name / "grading.json"
    try:
        record = json.loads(record_path.read_text())
        sha = hashlib.sha256(sub.path.read_bytes()).hexdigest()
        if record.get("stamp") != _stamp(assignment, sha):
            return None
        if not (out / sub.name / "results.json").exists():
            return None
        return from_record(record["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(out: Path, result: SubmissionResult, assignment: Any) -> None:
    """Write results.json, feedback.md and the resume record of one submission (atomically)."""
    folder = out / result.name
    write_json(folder / "results.json", results_json(result))
    atomic_write(folder / "feedback.md", feedback_text(result, assignment.title))
    if result.printed:
        atomic_write(folder / "printed.txt", result.printed)
    if result.status == "error":  # not a grade: the next run tries again
        (folder / "grading.json").unlink(missing_ok=True)
        return
    record = {"stamp": _stamp(assignment, result.sha256), "result": to_record(result)}
    write_json(folder / "grading.json", record)


class Progress:
    """A one-line progress bar on a terminal (silent otherwise)."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        elapsed = time.monotonic() - self.start
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {elapsed:5.1f}s {label[:30]:<30}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def grade_all(
    submissions: Sequence[Submission],
    assignment: Any,
    out: Path,
    *,
    jobs: int = 1,
    limits: KernelLimits | None = None,
    seed: int | None = None,
    extra_hidden: Sequence[Path] = (),
    progress: Progress | None = None,
    on_result: Callable[[SubmissionResult, bool], None] | None = None,
) -> list[SubmissionResult]:
    """Grade every submission into ``out`` (resumable) and write ``out/grades.csv``.

    ``on_result(result, reused)`` is called as each submission finishes (``reused`` when an
    earlier run's result was kept). Returns the results in submission order.
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hide = hidden_paths(
        Path(assignment.path), [out, *extra_hidden, *{s.path.parent for s in submissions}]
    )
    results: dict[str, SubmissionResult] = {}
    todo: list[Submission] = []
    for sub in submissions:
        old = _previous(out, sub, assignment)
        if old is not None:
            results[sub.name] = old
            if progress:
                progress.step(sub.name + " (unchanged)")
            if on_result:
                on_result(old, True)
        else:
            todo.append(sub)

    def work(sub: Submission) -> SubmissionResult:
        try:
            res = grade_submission(
                sub.path, assignment, name=sub.name, limits=limits, seed=seed, hide=hide
            )
        except Exception as exc:  # a fault of the grader or the machine, not of the student
            why = f"the grader failed ({type(exc).__name__}: {exc}); rerun to retry"
            res = SubmissionResult(sub.name, str(sub.path), "", "error", notes=[why])
            res.tests = _zero_results(assignment, why)
        save(out, res, assignment)
        return res

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(work, sub): sub for sub in todo}
        for fut in as_completed(futures):
            res = fut.result()
            results[res.name] = res
            if progress:
                progress.step(res.name)
            if on_result:
                on_result(res, False)
    questions = [q.id for q in assignment.questions]
    ordered = [results[s.name] for s in submissions]
    atomic_write(out / "grades.csv", grades_csv(ordered, questions))
    return ordered
