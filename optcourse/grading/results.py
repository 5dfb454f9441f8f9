"""What grading produces: Gradescope's ``results.json``, a readable feedback file, ``grades.csv``.

Gradescope's autograder format (``tests`` with ``name``, ``score``, ``max_score``, ``status``,
``output``, ``visibility``; top-level ``score`` and ``execution_time``) is used for every
submission, also outside Gradescope, so one reader serves both. Every file is written atomically:
to a temporary file in the same folder, then renamed over the target, so an interrupted run never
leaves half a file."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Gradescope visibility of public tests and of hidden tests.
PUBLIC_VISIBILITY = "visible"
HIDDEN_VISIBILITY = "after_published"

#: Caps on the text a submission can put into the outputs (characters). A notebook of 20,000
#: cells each raising a long error must not write megabytes per file: one test's message, one
#: note, all notes together, what the student's code printed, and a whole written file
#: (``feedback.md``, ``results.json``, ``printed.txt``, ``grading.json``) are each cut to these.
MAX_TEST_OUTPUT = 2_000
MAX_NOTE = 1_000
MAX_NOTES_TOTAL = 20_000
MAX_PRINTED = 50_000
MAX_FILE_TEXT = 100_000
#: Cap on one free-text answer kept for the person who grades it (characters).
MAX_ANSWER = 20_000
#: The statuses of a question graded by a person (not scored yet, scored).
BY_PERSON = ("manual", "scored")
#: What marks text that was cut.
TRUNCATED = "... (truncated)"


@dataclass
class TestResult:
    """The outcome of one test, or of one question graded by a person: ``status == "manual"``
    until a person's score is imported (``optcourse manual import``), then ``"scored"`` with that
    ``score`` and the grader's comment as ``output``."""

    __test__ = False  # not a pytest test class

    name: str
    question: str
    score: float
    max_score: float
    status: str  # "passed", "failed", "manual" (not scored yet) or "scored" (by a person)
    output: str
    visibility: str


@dataclass
class SubmissionResult:
    """Everything graded about one submission.

    ``status`` is ``"graded"`` when the notebook ran (whatever its score), ``"unreadable"`` for a
    corrupt or non-notebook file, ``"wrong_assignment"`` for a notebook of another assignment and
    ``"error"`` when the grader itself failed (not saved for resuming: the next run retries),
    and ``"missing"`` for a student whose folder holds no notebook (nothing was run);
    ``notes`` are the problems worth telling the student (cells that raised, a killed kernel).
    ``student`` is the student's folder (or file stem) and ``note`` says which notebook was
    graded when the folder held several; ``timed_out`` is set when a cell or an answer was
    stopped at a time limit. ``answers`` holds the free-text answer of each question graded by a
    person (question id to text, ``""`` for no answer), read at grading time.
    """

    name: str
    path: str
    sha256: str
    status: str
    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    printed: str = ""
    execution_time: float = 0.0
    student: str = ""
    note: str = ""
    timed_out: bool = False
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Points earned by the autograded tests."""
        return sum(t.score for t in self.tests if t.status not in BY_PERSON)

    @property
    def max_score(self) -> float:
        """Points the autograded tests can give."""
        return sum(t.max_score for t in self.tests if t.status not in BY_PERSON)

    @property
    def manual_score(self) -> float:
        """Points given by a person so far (imported with ``optcourse manual import``)."""
        return sum(t.score for t in self.tests if t.status == "scored")

    @property
    def manual_max(self) -> float:
        """Points the questions graded by a person can give (scored or not)."""
        return sum(t.max_score for t in self.tests if t.status in BY_PERSON)

    @property
    def unscored(self) -> int:
        """How many questions graded by a person have no score yet (0 unless ``graded``: a
        missing or unreadable submission has no answer to score)."""
        if self.status != "graded":
            return 0
        return sum(t.status == "manual" for t in self.tests)

    @property
    def total(self) -> float:
        """Autograded points plus the points given by a person so far."""
        return self.score + self.manual_score

    def question_scores(self) -> dict[str, float | None]:
        """Points per question (None for a question graded by a person, not scored yet)."""
        out: dict[str, float | None] = {}
        for t in self.tests:
            if t.status == "manual":
                out[t.question] = None
            else:
                out[t.question] = (out.get(t.question) or 0.0) + t.score
        return out


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with :data:`TRUNCATED` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(TRUNCATED) - 1, 0)] + " " + TRUNCATED


def clip_notes(notes: list[str]) -> list[str]:
    """The notes, each cut to :data:`MAX_NOTE` and together to about :data:`MAX_NOTES_TOTAL`
    characters; a last note says how many more were left out. Notes within the caps (and
    notes already cut) come back unchanged."""
    if all(len(n) <= MAX_NOTE for n in notes) and sum(map(len, notes)) <= MAX_NOTES_TOTAL + 100:
        return list(notes)
    out: list[str] = []
    used = 0
    for i, note in enumerate(notes):
        note = clip(str(note), MAX_NOTE)
        if used + len(note) > MAX_NOTES_TOTAL:
            out.append(f"{TRUNCATED}: {len(notes) - i} more notes left out")
            break
        out.append(note)
        used += len(note)
    return out


def bound(result: SubmissionResult) -> SubmissionResult:
    """Cut every text of ``result`` that came from the submission to its cap, in place (so the
    result, the resume record and every file written from it stay small); returns ``result``."""
    result.notes = clip_notes(result.notes)
    result.printed = clip(result.printed, MAX_PRINTED)
    result.note = clip(result.note, MAX_NOTE)
    result.answers = {q: clip(a, MAX_ANSWER) for q, a in result.answers.items()}
    for t in result.tests:
        t.output = clip(t.output, MAX_TEST_OUTPUT)
        t.name = clip(t.name, MAX_NOTE)
    return result


def _round(x: float) -> float:
    return round(float(x), 4)


def results_json(result: SubmissionResult) -> dict[str, Any]:
    """The submission's result as a Gradescope ``results.json`` object (texts cut to their caps)."""
    bound(result)
    tests = []
    for t in result.tests:
        entry: dict[str, Any] = {"name": t.name}
        if t.status == "manual":
            # No score and no max_score: Gradescope shows the name and the note instead of
            # "0.0 / N", and the tests' max_score add up to what the score is out of.
            entry["output"] = (
                f"Graded by a person ({t.max_score:g} points, not part of this score)."
            )
        elif t.status == "scored":
            # Gradescope derives passed/failed from score and max_score; extra_data tells the
            # class report that a person gave these points.
            entry["score"] = _round(t.score)
            entry["max_score"] = _round(t.max_score)
            entry["output"] = _scored_text(t)
            entry["extra_data"] = {"graded_by": "person"}
        else:
            entry["score"] = _round(t.score)
            entry["max_score"] = _round(t.max_score)
            entry["status"] = t.status
            entry["output"] = t.output
        entry["visibility"] = t.visibility
        tests.append(entry)
    output = "\n".join(result.notes)
    return {
        "score": _round(result.total),
        "execution_time": _round(result.execution_time),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _scored_text(t: TestResult) -> str:
    """The line a student reads about a question scored by a person (the comment on one line)."""
    text = f"Graded by a person: {t.score:g} / {t.max_score:g}."
    return f"{text} Comment: {_one_line(t.output)}" if t.output.strip() else text


def feedback_text(result: SubmissionResult, title: str = "") -> str:
    """A Markdown feedback page for the student: one line per test, the notes, the total; at most
    :data:`MAX_FILE_TEXT` characters."""
    bound(result)
    lines = [f"# Feedback: {title or result.name}", ""]
    lines.append(f"Submission: `{Path(result.path).name}`  ")
    lines.append(f"Autograded score: **{result.score:g} / {result.max_score:g}**")
    if result.manual_max:
        waiting = f" ({result.unscored} not scored yet)" if result.unscored else ""
        lines[-1] += "  "
        lines.append(
            f"Graded by a person: **{result.manual_score:g} / {result.manual_max:g}**{waiting}  "
        )
        lines.append(f"Total: **{result.total:g} / {result.max_score + result.manual_max:g}**")
    lines.append("")
    if result.notes:
        lines.append("## Problems while running your notebook")
        lines.append("")
        lines.extend(f"- {_one_line(note)}" for note in result.notes)
        lines.append("")
    lines.append("## Questions")
    lines.append("")
    for t in result.tests:
        mark = _MARKS[t.status]
        score = "" if t.status == "manual" else f" ({t.score:g}/{t.max_score:g})"
        lines.append(f"- **{t.name}**{score}: {mark}")
        if t.output and t.status == "failed":
            lines.append(f"  {_one_line(t.output)}")
        elif t.output.strip() and t.status == "scored":
            lines.append(f"  Comment: {_one_line(t.output)}")
    lines.append("")
    lines.append(
        "Hidden tests use inputs your notebook never saw; their feedback says what was tested, "
        "never the expected answer."
    )
    return clip("\n".join(lines), MAX_FILE_TEXT) + "\n"


#: How each test status reads in the feedback.
_MARKS = {
    "passed": "passed",
    "failed": "FAILED",
    "manual": "graded by a person",
    "scored": "graded by a person",
}


def _one_line(text: str) -> str:
    """Text from a submission (an exception's message) on one line, so that it cannot add
    forged lines (a fake score, a fake "passed") to the feedback page."""
    return " ".join(text.split())


#: The columns of ``grades.csv`` before and after the one column per question.
CSV_HEAD = ("student", "submission", "status")
CSV_TAIL = (
    "auto_score",
    "auto_max",
    "manual_score",
    "manual_max",
    "manual_unscored",
    "total",
    "total_max",
    "file",
    "timed_out",
    "note",
)


def grades_csv(rows: list[SubmissionResult], questions: list[str]) -> str:
    """The class's grades: one row per student, one column per question, then the totals.

    ``student`` is the student's folder (or the file stem of a notebook given on its own),
    ``submission`` the name of the output folder, ``file`` the notebook graded, ``timed_out``
    ``yes`` when a time limit stopped a cell or an answer, ``note`` which notebook was graded
    when there were several (or why none was). A question graded by a person has an empty cell
    until its score is imported (``optcourse manual import``); ``manual_score`` sums the imported
    points, ``manual_unscored`` counts the questions still waiting for a person, and ``total``
    is ``auto_score + manual_score`` (out of ``total_max``). Every text cell is protected
    against spreadsheet formulas.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_HEAD, *questions, *CSV_TAIL])
    for r in sorted(rows, key=lambda r: (r.student or r.name, r.name)):
        writer.writerow(csv_row(r, questions))
    return buffer.getvalue()


def csv_row(r: SubmissionResult, questions: list[str]) -> list[str]:
    """One student's row of ``grades.csv`` (the columns of :func:`grades_csv`)."""
    per_q = r.question_scores()
    cells = []
    for q in questions:
        value = per_q.get(q, 0.0)
        cells.append("" if value is None else f"{value:g}")
    return [
        _text(r.student or r.name),
        _text(r.name),
        r.status,
        *cells,
        f"{r.score:g}",
        f"{r.max_score:g}",
        f"{r.manual_score:g}",
        f"{r.manual_max:g}",
        str(r.unscored),
        f"{r.total:g}",
        f"{r.max_score + r.manual_max:g}",
        _text(r.path),
        "yes" if r.timed_out else "",
        _text(r.note),
    ]


def text_cell(value: str) -> str:
    """A text cell for a CSV file written for spreadsheets (see :func:`_text`)."""
    return _text(value)


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run: a leading ``=``, ``+``, ``-`` or ``@`` (a file
    named ``=HYPERLINK(...).ipynb``) would make it a formula, so such text gets a ``'`` first."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # backslashreplace: text from a submission may hold lone surrogates (a string answer
        # "\ud800", a file name that is not UTF-8), which must not stop the batch.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Any) -> None:
    """Atomically write ``data`` as indented JSON."""
    atomic_write(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def to_record(result: SubmissionResult) -> dict[str, Any]:
    """A JSON-ready record of the result (what resuming reads back), texts cut to their caps."""
    bound(result)
    return {
        "name": result.name,
        "path": result.path,
        "sha256": result.sha256,
        "status": result.status,
        "notes": result.notes,
        "execution_time": result.execution_time,
        "tests": [t.__dict__ for t in result.tests],
        "student": result.student,
        "note": result.note,
        "timed_out": result.timed_out,
        "answers": result.answers,
    }


def from_record(data: dict[str, Any]) -> SubmissionResult:
    """Rebuild a :class:`SubmissionResult` from :func:`to_record`'s output."""
    return SubmissionResult(
        name=data["name"],
        path=data["path"],
        sha256=data["sha256"],
        status=data["status"],
        notes=list(data.get("notes", [])),
        execution_time=float(data.get("execution_time", 0.0)),
        tests=[TestResult(**t) for t in data["tests"]],
        student=str(data.get("student", "")),
        note=str(data.get("note", "")),
        timed_out=bool(data.get("timed_out", False)),
        answers={str(k): str(v) for k, v in dict(data.get("answers", {})).items()},
    )
