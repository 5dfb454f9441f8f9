"""Grade a class: many submissions, ``jobs`` at a time, resumable, into one output folder.

:func:`collect` finds the submissions (notebook files, or folders searched for them) and names
them; :func:`grade_all` grades each with :func:`~optcourse.grading.grade.grade_submission`,
skipping submissions already graded whose file, assignment and seed are unchanged, writes each
result atomically as soon as it is done, and finally ``grades.csv``. An interrupted run (Ctrl-C)
keeps every result already written; running the same command again grades the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optcourse.assignment.master import Assignment
from optcourse.grading.grade import file_sha256, grade_submission, hidden_paths, zero_results
from optcourse.grading.kernel import KernelLimits
from optcourse.grading.manual import FILES as MANUAL_FILES
from optcourse.grading.manual import (
    Scores,
    apply_scores,
    load_scores,
    master_cell_ids,
    recorded_answers,
)
from optcourse.grading.results import (
    SubmissionResult,
    atomic_write,
    feedback_text,
    from_record,
    grades_csv,
    results_json,
    to_record,
    write_json,
)

#: Bump when grading changes in a way that should regrade resumed runs (3: the records keep the
#: free-text answers for ``optcourse manual export``).
GRADER_VERSION = "3"


class UsageError(ValueError):
    """Bad command-line input (missing file, clashing names, ...): reported without a traceback."""


@dataclass(frozen=True)
class Submission:
    """One student's work to grade: its ``name`` in the output folder and its ``path``.

    ``refuse`` is a reason not to read the file at all (e.g. a symbolic link found in a folder).
    ``student`` is the student's folder name (or the file stem of a notebook given on its own),
    ``note`` says which notebook was graded when the folder held several, and ``missing`` marks
    a student whose folder holds no notebook (``path`` is then the folder; nothing is run).
    """

    name: str
    path: Path
    refuse: str = ""
    student: str = ""
    note: str = ""
    missing: bool = False


def notebooks_in(folder: Path) -> list[Path]:
    """The notebooks under ``folder`` (Jupyter's ``.ipynb_checkpoints`` left out), by path."""
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def choose_notebook(notebooks: Sequence[Path], assignment_name: str = "") -> tuple[Path, str]:
    """The notebook to grade among a student's ``notebooks`` (sorted by path), and why.

    The rule: the one whose file name is the assignment's (``01_topic.ipynb``); else, among all
    of them (or among several such), the one modified last; on equal times the first by path.
    """
    matching = [nb for nb in notebooks if assignment_name and nb.stem == assignment_name]
    if len(matching) == 1:
        return matching[0], "its name matches the assignment"
    pool = matching or list(notebooks)
    times = [_mtime(nb) for nb in pool]
    newest = max(times)
    chosen = pool[times.index(newest)]  # index() finds the first by path among equal times
    if times.count(newest) > 1:
        return chosen, "the first by name of the newest (same modification time)"
    return chosen, "the newest"


def _mtime(path: Path) -> int:
    try:
        return path.lstat().st_mtime_ns
    except OSError:
        return 0


def _student_folder(folder: Path, assignment_name: str) -> Submission:
    """The submission of the student whose folder is ``folder`` (one notebook, or missing)."""
    student = folder.name
    if folder.is_symlink():
        reason = "the student's folder is a symbolic link, not a folder of notebooks"
        return Submission(_safe_name(student), folder, reason, student)
    notebooks = notebooks_in(folder)
    if not notebooks:
        return Submission(_safe_name(student), folder, "", student, missing=True)
    chosen, why = choose_notebook(notebooks, assignment_name)
    note = ""
    if len(notebooks) > 1:
        others = [nb.relative_to(folder).as_posix() for nb in notebooks if nb != chosen]
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        note = (
            f"{len(notebooks)} notebooks handed in: graded {chosen.relative_to(folder).as_posix()}"
            f" ({why}); not graded: {shown}"
        )
    rel = chosen.relative_to(folder.parent).with_suffix("")
    name = _safe_name("__".join(rel.parts))
    return Submission(name, chosen, refusal_reason(chosen), student, note)


def _class_folder(folder: Path, assignment_name: str) -> list[Submission]:
    """One submission per student of a class folder: each sub-folder is a student (empty: the
    student is missing), and each notebook file directly inside is a student's own file."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") and entry.is_dir():
            continue  # .ipynb_checkpoints, .git, ...: nobody's work
        if entry.is_dir():
            found.append(_student_folder(entry, assignment_name))
        elif entry.suffix == ".ipynb" or entry.name == ".ipynb":
            student = entry.stem
            found.append(Submission(_safe_name(student), entry, refusal_reason(entry), student))
    return found


def collect(paths: Sequence[Path], assignment_name: str = "") -> list[Submission]:
    """One submission per student named on the command line.

    A notebook file is a student (named by its stem); a symbolic link, a pipe or a device named
    here is refused with its reason, as inside folders (:func:`refusal_reason`). A folder is a
    class: each sub-folder is a student, who gets the notebook :func:`choose_notebook` picks
    among those in it (or a ``missing`` row when it holds none), and each notebook directly in
    it is a student. The output folder of ``alice/hw.ipynb`` is ``alice__hw`` (its path with
    ``/`` as ``__``).
    """
    found: list[Submission] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not p.is_symlink():
            found.extend(_class_folder(p, assignment_name))
        elif p.exists() or p.is_symlink():
            found.append(Submission(_safe_name(p.stem), p, refusal_reason(p), p.stem))
        else:
            raise UsageError(f"no such submission file or folder: {p}")
    if not found:
        raise UsageError("no submission found (give .ipynb files or folders holding them)")
    _check_unique(found)
    return found


def _check_unique(found: Sequence[Submission]) -> None:
    names: dict[str, Path] = {}
    students: dict[str, Path] = {}
    for s in found:
        if s.name in names:
            raise UsageError(
                f"two submissions would share the name {s.name!r}: {names[s.name]} and {s.path};"
                " put each student's notebook in its own folder and pass the parent folder"
            )
        if s.student in students:
            raise UsageError(
                f"two entries for the student {s.student!r}: {students[s.student]} and {s.path};"
                " keep one folder (or one file) per student"
            )
        names[s.name] = s.path
        students[s.student] = s.path


def refusal_reason(path: Path) -> str:
    """Why a file found in a folder is not read, or "".

    A symbolic link could make the grader (often root) read any file, e.g. the master; a named
    pipe or a device (which an unpacked archive can contain) could block the grader forever.
    """
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot read the file: {exc.strerror}"
    if stat.S_ISLNK(mode):
        return "the file is a symbolic link, not a notebook"
    if not stat.S_ISREG(mode):
        return "the file is not a regular file (a pipe or a device?), not a notebook"
    return ""


#: Names of the class-wide files in the output folder, which no submission folder may take.
RESERVED_NAMES = frozenset({"grades.csv", "report.html", *MANUAL_FILES})


#: Longest output folder name in bytes (file systems allow 255; the atomic writes' temporary
#: files and a margin need the rest).
MAX_NAME_BYTES = 120


def _safe_name(name: str) -> str:
    """``name`` as a folder of the output, never a class-wide file (``grades.csv``, ...).

    A name longer than :data:`MAX_NAME_BYTES` (a student's 249-character file name) is cut and
    ends with a short hash of the whole name, so that it stays unique.
    """
    while name in RESERVED_NAMES or name.startswith("."):
        name = "_" + name
    raw = os.fsencode(name)
    if len(raw) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:12]
    keep = len(name)
    while len(os.fsencode(name[:keep])) > MAX_NAME_BYTES - 14:
        keep -= 1
    return f"{name[:keep]}--{digest}"


def _stamp(assignment: Assignment, sha: str, seed: int | None = None) -> dict[str, Any]:
    return {
        "sha256": sha,
        "fingerprint": assignment.fingerprint,
        "grader": GRADER_VERSION,
        "seed": seed,
    }


def _previous(
    out: Path, sub: Submission, assignment: Assignment, seed: int | None = None
) -> SubmissionResult | None:
    """The saved result of ``sub`` if its file, the assignment and the seed are unchanged."""
    if sub.refuse:  # cheap to redo, and the file is not to be read
        return None
    record_path = out / sub.name / "grading.json"
    try:
        record = json.loads(record_path.read_text())
        sha = file_sha256(sub.path)
        if record.get("stamp") != _stamp(assignment, sha, seed):
            return None
        if not (out / sub.name / "results.json").exists():
            return None
        return from_record(record["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(
    out: Path, result: SubmissionResult, assignment: Assignment, seed: int | None = None
) -> None:
    """Write results.json, feedback.md and the resume record of one submission (atomically)."""
    folder = out / result.name
    write_json(folder / "results.json", results_json(result))
    atomic_write(folder / "feedback.md", feedback_text(result, assignment.title))
    if result.printed:
        atomic_write(folder / "printed.txt", result.printed)
    if result.status == "error":  # not a grade: the next run tries again
        (folder / "grading.json").unlink(missing_ok=True)
        return
    record = {
        "stamp": _stamp(assignment, result.sha256, seed),
        "result": to_record(result),
        "title": assignment.title,
    }
    write_json(folder / "grading.json", record)


@dataclass(frozen=True)
class _ByPerson:
    """What recording the answers graded by a person needs: the ``questions``, the master's
    cell ``ids`` (to tell cells a student added) and the ``scores`` imported so far."""

    questions: list[str]
    ids: frozenset[str] | None
    scores: Scores


def _by_person(res: SubmissionResult, sub: Submission, manual: _ByPerson) -> None:
    """Record the free-text answers of a graded submission (read again from its file, kept only
    if it is still the file graded) and apply the scores a person gave to unchanged answers."""
    if res.status == "graded" and manual.questions and not refusal_reason(sub.path):
        res.answers = recorded_answers(sub.path, res.sha256, manual.questions, manual.ids)
    apply_scores(res, manual.scores)


def _unsaved(res: SubmissionResult, exc: Exception) -> None:
    """Mark ``res`` as a grader error because its files could not be written (``exc``); its
    row in ``grades.csv`` says so, and the next run grades it again."""
    what = f"{type(exc).__name__}: {exc}"[:300]
    why = f"its results could not be saved ({what}); rerun to retry"
    res.status = "error"
    res.notes.insert(0, f"The grader failed: {why}.")
    res.note = f"{res.note}; {why}" if res.note else why


def missing_result(sub: Submission, assignment: Assignment) -> SubmissionResult:
    """The row of a student whose folder holds no notebook: status ``missing``, zero points."""
    why = "no notebook (.ipynb file) was handed in"
    res = SubmissionResult(sub.name, str(sub.path), "", "missing", notes=[f"Not graded: {why}."])
    res.tests = zero_results(assignment, f"not graded: {why}")
    res.student = sub.student or sub.name
    res.note = why
    return res


def run_summary(results: Sequence[SubmissionResult], reused: Sequence[str] = ()) -> str:
    """What happened in this run, one count per outcome (``reused``: names kept from the
    previous run because nothing changed)."""
    kept = set(reused)
    new = [r for r in results if r.name not in kept]
    graded = [r for r in new if r.status == "graded"]
    counts = [
        f"{len(graded)} graded",
        f"{sum(r.timed_out for r in graded)} of them stopped at a time limit",
        f"{sum(r.status in ('unreadable', 'wrong_assignment') for r in new)} not gradable"
        " (unreadable or another assignment)",
        f"{sum(r.status == 'missing' for r in new)} missing",
        f"{sum(r.status == 'error' for r in new)} grader errors",
        f"{len(results) - len(new)} unchanged since the last run (kept)",
    ]
    return f"{len(results)} student(s) in this run: " + ", ".join(counts)


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
    assignment: Assignment,
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
    earlier run's result was kept). The scores a person gave earlier (``optcourse manual
    import``) are applied to every answer that is unchanged. Returns the results in submission
    order.
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hide = hidden_paths(
        Path(assignment.path), [out, *extra_hidden, *{s.path.parent for s in submissions}]
    )
    scores = load_scores(out)
    manual = _ByPerson(
        [q.id for q in assignment.questions if q.graded == "manual"],
        master_cell_ids(Path(assignment.path)),
        scores,
    )
    results: dict[str, SubmissionResult] = {}
    todo: list[Submission] = []
    for sub in submissions:
        if sub.missing:
            results[sub.name] = missing_result(sub, assignment)
            if progress:
                progress.step(sub.name + " (missing)")
            if on_result:
                on_result(results[sub.name], False)
            continue
        old = _previous(out, sub, assignment, seed)
        if old is not None:
            old.student, old.note = sub.student or sub.name, sub.note
            apply_scores(old, scores)
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
                sub.path,
                assignment,
                name=sub.name,
                limits=limits,
                seed=seed,
                hide=hide,
                refuse=sub.refuse,
            )
        except Exception as exc:  # a fault of the grader or the machine, not of the student
            why = f"the grader failed ({type(exc).__name__}: {exc}); rerun to retry"
            res = SubmissionResult(sub.name, str(sub.path), "", "error", notes=[why])
            res.tests = zero_results(assignment, why)
        res.student, res.note = sub.student or sub.name, sub.note
        if sub.note:
            res.notes.insert(0, sub.note + ".")
        _by_person(res, sub, manual)
        try:
            save(out, res, assignment, seed)
        except Exception as exc:  # name too long, disk full, ...: this submission's error only
            _unsaved(res, exc)
        return res

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(work, sub): sub for sub in todo}
        for fut in as_completed(futures):
            res = fut.result()
            results[res.name] = res
            if progress:
                progress.step(res.name)
            if on_result:
                on_result(res, False)
    except BaseException:
        # Ctrl-C: drop the submissions not started yet; the ones running finish and are saved
        # (every file is written atomically), so rerunning the command resumes from there.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    questions = [q.id for q in assignment.questions]
    ordered = [results[s.name] for s in submissions]
    atomic_write(out / "grades.csv", grades_csv(ordered, questions))
    return ordered
