"""The questions graded by a person: ``optcourse manual export`` and ``optcourse manual import``.

``optcourse grade`` keeps each student's free-text answers (the markdown answer cells of the
questions marked ``"graded": "manual"``) in the submission's resume record ``grading.json``,
read from the very file it graded. From a graded folder:

* :func:`export` writes one page, ``manual.html``: per question its text and rubric, then every
  student's answer (HTML-escaped, shown as preformatted text), and a CSV template for the scores,
  ``manual_scores.csv`` (never over an existing one: it may hold a grader's work);
* :func:`import_scores` checks every row of a filled-in scores CSV (nothing is written when one is
  bad), keeps the scores in ``manual_imported.json`` and rewrites each student's ``results.json``
  and ``feedback.md`` and the class's ``grades.csv``, whose ``total`` then includes them.

Importing replaces every score imported before (the CSV is the whole truth, so importing the same
file twice changes nothing). A score belongs to the answer it was given for (its sha256): a later
``optcourse grade`` in the same folder applies the saved scores again, except where the student's
answer changed, which it names.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcourse.assignment.student import STUB_MARKDOWN
from optcourse.grading.grade import read_submission
from optcourse.grading.results import (
    BY_PERSON,
    CSV_HEAD,
    CSV_TAIL,
    MAX_TEST_OUTPUT,
    SubmissionResult,
    atomic_write,
    csv_row,
    feedback_text,
    from_record,
    results_json,
    text_cell,
    write_json,
)

#: The class-wide files of this module in a grades folder.
ANSWERS_PAGE = "manual.html"
SCORES_TEMPLATE = "manual_scores.csv"
IMPORTED = "manual_imported.json"
FILES = frozenset({ANSWERS_PAGE, SCORES_TEMPLATE, IMPORTED})
#: The columns of the scores CSV (``max_points`` is for the grader's eyes, checked if filled).
SCORES_COLUMNS = ("student", "question", "points", "max_points", "comment")
REQUIRED_COLUMNS = ("student", "question", "points", "comment")
#: Longest comment a grader may give on one answer (characters).
MAX_COMMENT = MAX_TEST_OUTPUT
#: Problems listed in one import error (the rest are counted).
MAX_LISTED = 20


class ManualError(ValueError):
    """A grades folder or scores file that cannot be used (a clear message, no traceback)."""


@dataclass(frozen=True)
class Score:
    """A person's score of one answer: ``points``, ``comment`` and the sha256 of the answer."""

    points: float
    comment: str
    answer: str


#: student -> question id -> score
Scores = dict[str, dict[str, Score]]


# --- the answers, at grading time ------------------------------------------------------------


#: What introduces, in an exported answer, the text of markdown cells the student added below
#: the answer cell (Jupyter's "insert cell below") instead of writing in it.
ADDED_CELL = "[from a cell the student added below the answer cell]"


def _markdown(cell: Any) -> tuple[str | None, str]:
    """(the question id of an answer cell, or None; its text) of a markdown cell read as plain
    JSON; ``(None, "")`` for any other cell."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
        return None, ""
    meta = cell.get("metadata")
    meta = meta.get("optcourse") if isinstance(meta, dict) else None
    q = meta.get("solution") if isinstance(meta, dict) else None
    source = cell.get("source", "")
    text = (source if isinstance(source, str) else "".join(source)).strip()
    return (q if isinstance(q, str) else None), text


def _added_by_student(cell: Any, master_ids: frozenset[str]) -> bool:
    """Whether ``cell`` is a markdown cell the student made: no role, and an id that no cell of
    the master has (student notebooks keep the master's ids; Jupyter gives new cells new ids)."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
        return False
    meta = cell.get("metadata")
    if isinstance(meta, dict) and "optcourse" in meta:
        return False
    cid = cell.get("id")
    return isinstance(cid, str) and bool(cid) and cid not in master_ids


def answers_in(
    nb: dict[str, Any], questions: Sequence[str], master_ids: frozenset[str] | None = None
) -> dict[str, str]:
    """The free-text answer to each of ``questions`` in a notebook read as plain JSON: its
    markdown cells marked ``{"optcourse": {"solution": q}}`` (the untouched stub left out) and,
    given the ``master_ids`` of the master's cells, the markdown cells the student added right
    below them (each introduced by :data:`ADDED_CELL`); ``""`` when there is none."""
    found: dict[str, list[str]] = {q: [] for q in questions}
    current = None  # the question whose answer cell came last, while added cells follow it
    for cell in nb.get("cells", []):
        q, text = _markdown(cell)
        if q in found:
            current = q
            if text and text != STUB_MARKDOWN:
                found[q].append(text)
        elif current and master_ids is not None and _added_by_student(cell, master_ids):
            if text:
                found[current].append(f"{ADDED_CELL}\n{text}")
        else:
            current = None
    return {q: "\n\n".join(parts) for q, parts in found.items()}


def master_cell_ids(path: Path) -> frozenset[str] | None:
    """The cell ids of the master notebook ``path`` (None when it cannot be read)."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        return frozenset(c["id"] for c in cells if isinstance(c.get("id"), str))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def recorded_answers(
    path: Path,
    sha256: str,
    questions: Sequence[str],
    master_ids: frozenset[str] | None = None,
) -> dict[str, str]:
    """The answers (:func:`answers_in`) of the submission file ``path`` if it is still the file
    graded (``sha256``); ``{}`` when there is no such question or the file changed meanwhile."""
    if not questions:
        return {}
    nb, sha, _ = read_submission(Path(path))
    if nb is None or sha != sha256:
        return {}
    return answers_in(nb, questions, master_ids)


def answer_key(answers: dict[str, str], question: str) -> str:
    """The sha256 a score is tied to: of the recorded answer (or of its absence)."""
    return hashlib.sha256(json.dumps(answers.get(question)).encode()).hexdigest()


# --- the saved scores ------------------------------------------------------------------------


def load_scores(folder: Path) -> Scores:
    """The scores imported into the grades ``folder`` ({} when none were)."""
    path = Path(folder) / IMPORTED
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            str(student): {
                str(q): Score(float(s["points"]), str(s["comment"]), str(s["answer"]))
                for q, s in given.items()
            }
            for student, given in data["scores"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManualError(
            f"{path} is damaged ({type(exc).__name__}); import the scores CSV again"
        ) from None


def save_scores(folder: Path, scores: Scores) -> None:
    """Keep ``scores`` in the grades ``folder`` (sorted: the same scores give the same bytes)."""
    data = {
        student: {q: s.__dict__ for q, s in sorted(given.items())}
        for student, given in sorted(scores.items())
    }
    write_json(Path(folder) / IMPORTED, {"scores": data})


def apply_scores(result: SubmissionResult, scores: Scores) -> None:
    """Set the questions graded by a person of ``result`` from ``scores`` (in place): scored
    where a score was given for the answer the result holds, not scored yet otherwise."""
    given = scores.get(result.student or result.name, {})
    for t in result.tests:
        if t.status not in BY_PERSON:
            continue
        t.status, t.score, t.output = "manual", 0.0, "graded by a person"
        score = given.get(t.question)
        if score is None or result.status != "graded":
            continue
        if score.answer == answer_key(result.answers, t.question):
            t.status, t.score, t.output = "scored", min(score.points, t.max_score), score.comment


def dropped(results: Sequence[SubmissionResult], scores: Scores) -> list[str]:
    """The saved scores (``"alice q4"``) not applied to ``results``: the student's answer changed
    since it was scored, or the student is not among ``results``."""
    by_student = {r.student or r.name: r for r in results}
    lost: list[str] = []
    for student, given in sorted(scores.items()):
        result = by_student.get(student)
        scored = {t.question for t in result.tests if t.status == "scored"} if result else set()
        lost.extend(f"{student} {q}" for q in sorted(given) if q not in scored)
    return lost


# --- reading a grades folder -----------------------------------------------------------------


@dataclass
class GradedClass:
    """A grades folder: ``grades.csv`` (``header``, ``rows``), the resume record of every
    submission that has one (``results`` by student, with the assignment's ``titles`` and the
    ``fingerprints`` of the masters they were graded against) and the questions graded by a
    person (``manual``: id to max points, ``names``: id to test name, in question order)."""

    folder: Path
    header: list[str]
    rows: list[dict[str, str]]
    results: dict[str, SubmissionResult] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    fingerprints: set[str] = field(default_factory=set)
    manual: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def questions(self) -> list[str]:
        """The question columns of ``grades.csv``."""
        return [c for c in self.header if c not in CSV_HEAD and c not in CSV_TAIL]

    def status(self, student: str) -> str:
        """The student's status in ``grades.csv`` ("" for no such student)."""
        return next((r["status"] for r in self.rows if cell(r["student"]) == student), "")


def cell(text: str) -> str:
    """A ``grades.csv`` text cell without the ``'`` that stops spreadsheet formulas."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def read_class(folder: Path) -> GradedClass:
    """Read the grades ``folder`` written by ``optcourse grade`` (with the scores imported so
    far applied); a clear error otherwise."""
    folder = Path(folder)
    table = folder / "grades.csv"
    if not folder.is_dir() or not table.is_file():
        raise ManualError(f"{folder} holds no grades.csv: give the --out folder of optcourse grade")
    reader = csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))
    header = list(reader.fieldnames or [])
    if not set(CSV_HEAD) <= set(header):
        raise ManualError(f"{table} is not a grades.csv written by optcourse grade")
    if not set(CSV_TAIL) <= set(header):
        raise ManualError(
            f"{table} was written by an older optcourse (no manual_score column): "
            "run optcourse grade again on the same folder first"
        )
    data = GradedClass(folder, header, list(reader))
    for row in data.rows:
        _read_record(data, row)
    scores = load_scores(folder)
    for result in data.results.values():
        apply_scores(result, scores)
    return data


def _read_record(data: GradedClass, row: dict[str, str]) -> None:
    """Add the resume record of ``row``'s submission (if it has one) to ``data``."""
    name = cell(row.get("submission", ""))
    path = data.folder / name / "grading.json"
    if row["status"] in ("missing", "error") or not name:
        return
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        result = from_record(record["result"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManualError(
            f"cannot read {path} ({type(exc).__name__}): run optcourse grade again"
        ) from None
    student = cell(row["student"])
    result.student = student
    data.results[student] = result
    data.titles[student] = str(record.get("title", ""))
    data.fingerprints.add(str(record.get("stamp", {}).get("fingerprint", "")))
    for t in result.tests:
        if t.status in BY_PERSON:
            data.manual.setdefault(t.question, t.max_score)
            data.names.setdefault(t.question, t.name)


# --- export: the page and the scores template ------------------------------------------------


@dataclass(frozen=True)
class QuestionText:
    """What the page shows above a question's answers (from the master, when given)."""

    text: str = ""
    rubric: str = ""


def master_texts(data: GradedClass, assignment: Any) -> tuple[dict[str, QuestionText], str]:
    """The text and rubric of each question graded by a person, from ``assignment`` (the master
    loaded with ``load_assignment``), and a warning ("" if none) when the master is not the one
    the class was graded with."""
    texts = {}
    for q in data.manual:
        found = [x for x in assignment.questions if x.id == q and x.graded == "manual"]
        if not found:
            raise ManualError(
                f"the master {assignment.path} has no question {q} graded by a person: "
                "is it the master of this class?"
            )
        texts[q] = QuestionText(str(getattr(found[0], "text", "")), found[0].rubric or "")
    warning = ""
    if data.fingerprints and assignment.fingerprint not in data.fingerprints:
        warning = (
            f"the master {Path(assignment.path).name} is not the one the class was graded with "
            "(edited since?): its question texts and rubrics may differ"
        )
    return texts, warning


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


STYLE = """body{font-family:sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;margin:.3rem 0}
.question{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1.5rem}
.rubric{position:sticky;top:0;align-self:start;background:#f4f4f0;padding:.5rem 1rem}
article{border-top:1px solid #bbb;padding:.4rem 0}.none{color:#666;font-style:italic}
.scored{color:#225}"""


def _answer_block(data: GradedClass, row: dict[str, str], q: str) -> str:
    """One student's block under question ``q``: the answer, or why there is none."""
    student = cell(row["student"])
    result = data.results.get(student)
    status = row["status"]
    if status != "graded" or result is None:
        why = {
            "missing": "no notebook handed in",
            "unreadable": "the notebook could not be read",
            "wrong_assignment": "a notebook of another assignment",
            "error": "the grader failed on it: rerun optcourse grade",
        }.get(status, f"not graded ({status})")
        body = f'<p class="none">Not gradable: {_e(why)}.</p>'
    elif q not in result.answers:
        body = '<p class="none">Answer not recorded: rerun optcourse grade on this folder.</p>'
    elif not result.answers[q]:
        body = '<p class="none">No answer.</p>'
    else:
        body = f"<pre>{_e(result.answers[q])}</pre>"
    scored = [t for t in (result.tests if result else []) if t.question == q]
    if scored and scored[0].status == "scored":
        t = scored[0]
        comment = f": {_e(t.output)}" if t.output else ""
        body += f'<p class="scored">Imported score {t.score:g} / {t.max_score:g}{comment}</p>'
    return f'<article id="{_e(q)}-{_e(student)}"><h3>{_e(student)}</h3>{body}</article>'


def _question_section(
    data: GradedClass, q: str, text: QuestionText | None, rows: list[dict[str, str]]
) -> str:
    """The section of question ``q``: its text, its rubric beside the answers."""
    title = f"{data.names.get(q, q)} ({data.manual[q]:g} points)"
    if text is None:
        question = rubric = '<p class="none">Give --master to show it here.</p>'
    else:
        question = f"<pre>{_e(text.text)}</pre>"
        rubric = f"<pre>{_e(text.rubric)}</pre>" if text.rubric else '<p class="none">None.</p>'
    blocks = "".join(_answer_block(data, row, q) for row in rows)
    return (
        f'<section id="{_e(q)}"><h2>{_e(title)}</h2><h3>Question</h3>{question}'
        f'<div class="question"><div>{blocks}</div>'
        f'<aside class="rubric"><h3>Rubric</h3>{rubric}</aside></div></section>'
    )


def render_page(data: GradedClass, texts: dict[str, QuestionText] | None = None) -> str:
    """The answers page: self-contained HTML (inline CSS, no script, no link), every student
    text escaped; the same grades folder gives the same bytes."""
    rows = sorted(data.rows, key=lambda r: (cell(r["student"]), cell(r.get("submission", ""))))
    name = data.folder.resolve().name
    links = (f'<li><a href="#{_e(q)}">{_e(data.names.get(q, q))}</a></li>' for q in data.manual)
    toc = "".join(links)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Answers to grade: {_e(name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Answers to grade: {_e(name)}</h1>",
        f"<p>{len(rows)} students. Enter the points in {SCORES_TEMPLATE} (one row per student "
        "and question; an empty points cell stays not scored), then run "
        f"<code>optcourse manual import {SCORES_TEMPLATE} GRADES_DIR</code>.</p>",
        f"<ul>{toc}</ul>",
        *(_question_section(data, q, _text_of(texts, q), rows) for q in data.manual),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _text_of(texts: dict[str, QuestionText] | None, q: str) -> QuestionText | None:
    return texts.get(q) if texts is not None else None


def scores_template(data: GradedClass) -> str:
    """The scores CSV for the grader: one row per question and graded student, points empty
    (or the score imported earlier), in the page's order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORES_COLUMNS)
    students = sorted(data.results)
    for q, most in data.manual.items():
        for student in students:
            result = data.results[student]
            if result.status != "graded":
                continue
            test = next((t for t in result.tests if t.question == q), None)
            points = f"{test.score:g}" if test is not None and test.status == "scored" else ""
            comment = test.output if test is not None and test.status == "scored" else ""
            writer.writerow([text_cell(student), q, points, f"{most:g}", text_cell(comment)])
    return buffer.getvalue()


@dataclass(frozen=True)
class Exported:
    """What :func:`export` wrote: the ``page``, the ``template`` (``wrote_template`` False when
    it existed and was kept) and a ``warning`` about the master ("" if none)."""

    page: Path
    template: Path
    wrote_template: bool
    warning: str


def export(folder: Path, assignment: Any = None, out: Path | None = None) -> Exported:
    """Write the answers page of the grades ``folder`` (to ``out``, default
    ``folder/manual.html``) and, unless it exists, the scores template ``folder/manual_scores.csv``.

    ``assignment`` (the master, loaded) adds each question's text and rubric."""
    data = read_class(folder)
    if not data.manual:
        raise ManualError(f"{folder}: no question of this assignment is graded by a person")
    texts, warning = master_texts(data, assignment) if assignment is not None else (None, "")
    page = Path(out) if out is not None else Path(folder) / ANSWERS_PAGE
    atomic_write(page, render_page(data, texts))
    template = Path(folder) / SCORES_TEMPLATE
    wrote = not template.exists()
    if wrote:
        atomic_write(template, scores_template(data))
    return Exported(page, template, wrote, warning)


# --- import: checking the scores CSV, then writing -------------------------------------------


def _points(text: str, most: float) -> tuple[float | None, str]:
    """The points of a cell (None when empty) and the problem with them ("" if none)."""
    text = text.strip()
    if not text:
        return None, ""
    try:
        value = float(text)
    except ValueError:
        return None, f"points {text!r} is not a number (write e.g. 1.5)"
    if not math.isfinite(value):
        return None, f"points {text!r} is not a number (write e.g. 1.5)"
    if value < 0:
        return None, f"points {value:g} is negative"
    if value > most:
        return None, f"points {value:g} is above the question's maximum of {most:g}"
    return value, ""


def _row_problem(data: GradedClass, row: dict[str, str]) -> str:
    """What is wrong with one row's student, question and max_points ("" if nothing)."""
    student, q = cell(row["student"].strip()), row["question"].strip()
    if not student:
        return "the student cell is empty"
    if not data.status(student):
        return f"no student {student!r} in {data.folder / 'grades.csv'}"
    if q not in data.manual:
        if q in data.questions:
            return f"question {q} is autograded, not graded by a person"
        known = ", ".join(data.manual)
        return f"no question {q!r} graded by a person (these are: {known})"
    most = (row.get("max_points") or "").strip()
    if most and _points(most, math.inf)[0] != data.manual[q]:
        return (
            f"max_points says {most} but {q} is worth {data.manual[q]:g} points "
            "(a scores file of another assignment?)"
        )
    if len(row.get("comment") or "") > MAX_COMMENT:
        return f"the comment is longer than {MAX_COMMENT} characters"
    return ""


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of every row of the scores CSV; a clear error for a file that is not
    one (no such file, not UTF-8, missing columns)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a spreadsheet may add a BOM
    except FileNotFoundError:
        raise ManualError(f"{path}: no such scores file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManualError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ManualError(
            f"{path}:1: the header lacks the column(s) {', '.join(missing)}; a scores file has "
            f"the comma-separated columns {', '.join(SCORES_COLUMNS)}"
        )
    rows = []
    start = 2
    for row in reader:
        rows.append((start, {k: v or "" for k, v in row.items() if isinstance(k, str)}))
        start = reader.line_num + 1
    return rows


def read_scores(path: Path, data: GradedClass) -> Scores:
    """The scores of the CSV ``path``, every row checked against the class ``data``; one
    :class:`ManualError` lists every bad row as ``FILE:LINE: problem``."""
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    scores: Scores = {}
    for line, row in _read_rows(path):
        if not any(v.strip() for v in row.values()):
            continue  # a blank line
        problem = _row_problem(data, row)
        student, q = cell(row["student"].strip()), row["question"].strip()
        if not problem and (student, q) in seen:
            problem = f"{student} {q} appears twice (also on line {seen[student, q]})"
        points = None
        if not problem:
            seen[student, q] = line
            points, problem = _points(row["points"], data.manual[q])
        if not problem and points is not None and data.status(student) != "graded":
            problem = (
                f"{student} has no graded submission (status {data.status(student)}): "
                "leave the points empty"
            )
        if problem:
            problems.append(f"{path}:{line}: {problem}")
        elif points is not None:
            answer = answer_key(data.results[student].answers, q)
            comment = cell(row["comment"].strip())
            scores.setdefault(student, {})[q] = Score(points, comment, answer)
    if problems:
        shown = problems[:MAX_LISTED]
        more = len(problems) - len(shown)
        tail = [f"... and {more} more"] if more else []
        raise ManualError(
            "nothing was imported, the scores file has problems:\n" + "\n".join(shown + tail)
        )
    return scores


def write_class(data: GradedClass, scores: Scores) -> None:
    """Apply ``scores`` to every graded submission of ``data`` and rewrite its
    ``results.json`` and ``feedback.md``, then ``grades.csv`` (other rows kept as they were)."""
    for student, result in sorted(data.results.items()):
        apply_scores(result, scores)
        folder = data.folder / result.name
        write_json(folder / "results.json", results_json(result))
        title = data.titles.get(student, "")
        atomic_write(folder / "feedback.md", feedback_text(result, title))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(data.header)
    for row in data.rows:
        known = data.results.get(cell(row["student"]))
        if known is not None:
            writer.writerow(csv_row(known, data.questions))
        else:
            writer.writerow([row.get(c, "") for c in data.header])
    atomic_write(data.folder / "grades.csv", buffer.getvalue())


@dataclass(frozen=True)
class Imported:
    """What :func:`import_scores` did: ``scored`` answers, ``unscored`` still waiting."""

    scored: int
    unscored: int
    students: int


def import_scores(path: Path, folder: Path) -> Imported:
    """Import the scores CSV ``path`` into the grades ``folder``, replacing every score imported
    before; nothing is written when a row is bad."""
    data = read_class(folder)
    if not data.manual:
        raise ManualError(f"{folder}: no question of this assignment is graded by a person")
    scores = read_scores(path, data)
    save_scores(data.folder, scores)
    write_class(data, scores)
    results = data.results.values()
    return Imported(
        scored=sum(len(g) for g in scores.values()),
        unscored=sum(r.unscored for r in results),
        students=len(scores),
    )
