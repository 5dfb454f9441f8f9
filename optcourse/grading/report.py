"""``optcourse report GRADES_DIR``: one self-contained HTML page about a graded class.

It reads what ``optcourse grade`` wrote (``grades.csv`` and each submission's
``results.json``) and writes ``report.html``: the score distribution, each question's mean and
pass rate, the most common failure messages per question, and the submissions that errored,
timed out or could not be graded. Figures are matplotlib SVG embedded in the page (no server, no
script, no network), made with a fixed ``svg.hashsalt`` and no date, so the same grades give the
same bytes. Every text that comes from a submission (an exception's message, a file name) is
HTML-escaped.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcourse.grading.results import CSV_HEAD, CSV_TAIL

#: Failure messages shown per question, and the characters kept of each.
TOP_MESSAGES = 3
MESSAGE_CHARS = 300

#: Columns of grades.csv that are not questions (older files lack some of them).
_NOT_QUESTIONS = frozenset(CSV_HEAD) | frozenset(CSV_TAIL)


@dataclass
class QuestionStats:
    """One question over the graded submissions."""

    id: str
    max_points: float = 0.0
    points: list[float] = field(default_factory=list)
    passed: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def mean(self) -> float:
        return sum(self.points) / len(self.points) if self.points else math.nan

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.points) if self.points else math.nan


@dataclass
class ClassData:
    """What the report shows, read from a grades folder."""

    name: str
    rows: list[dict[str, str]]
    questions: list[QuestionStats]
    problems: list[tuple[dict[str, str], str]]  # (row, first line of the submission's notes)


def read_class(folder: Path) -> ClassData:
    """Read ``folder/grades.csv`` and the submissions' ``results.json``; a clear error if the
    folder is not the output of ``optcourse grade``."""
    folder = Path(folder)
    table = folder / "grades.csv"
    if not table.is_file():
        raise ValueError(f"{folder} holds no grades.csv: give the --out folder of optcourse grade")
    reader = csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))
    fields = reader.fieldnames or []
    if "status" not in fields or "auto_score" not in fields:
        raise ValueError(f"{table} is not a grades.csv written by optcourse grade")
    rows = list(reader)
    stats = {q: QuestionStats(q) for q in fields if q not in _NOT_QUESTIONS}
    problems = []
    for row in rows:
        results = _results(folder, row)
        if row["status"] == "graded":
            _add_tests(stats, results.get("tests", []))
        if row["status"] not in ("graded", "missing") or row.get("timed_out") == "yes":
            output = str(results.get("output", "")).strip()
            problems.append((row, output.splitlines()[0] if output else ""))
    return ClassData(folder.resolve().name, rows, list(stats.values()), problems)


def _results(folder: Path, row: dict[str, str]) -> dict[str, Any]:
    """The row's ``results.json`` as a dict ({} for a missing student or an unreadable file)."""
    name = _unprotect(row.get("submission", ""))
    if not name:
        return {}
    try:
        data = json.loads((folder / name / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _unprotect(text: str) -> str:
    """A grades.csv text cell as it was before the ``'`` that stops spreadsheet formulas."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _question_of(test: dict[str, Any]) -> str:
    """``q3`` from a test named ``q3.hidden.1: ...`` (or a manual question ``q3: ...``)."""
    return str(test.get("name", "")).split(":")[0].split(".")[0]


def _add_tests(stats: dict[str, QuestionStats], tests: list[Any]) -> None:
    """Add one graded submission's tests to the per-question statistics."""
    earned: dict[str, float] = {}
    most: dict[str, float] = {}
    failed: set[str] = set()
    for t in tests:
        if not isinstance(t, dict) or "max_score" not in t:  # graded by a person, no score yet
            continue
        if isinstance(t.get("extra_data"), dict) and t["extra_data"].get("graded_by") == "person":
            continue  # scored by a person (optcourse manual import): not an autograded test
        q = _question_of(t)
        if q not in stats:
            continue
        earned[q] = earned.get(q, 0.0) + float(t.get("score", 0.0))
        most[q] = most.get(q, 0.0) + float(t["max_score"])
        if t.get("status") == "failed":
            failed.add(q)
            message = " ".join(str(t.get("output", "")).split()) or "(no message)"
            stats[q].failures[message[:MESSAGE_CHARS]] += 1
    for q, points in earned.items():
        stats[q].points.append(points)
        stats[q].passed += q not in failed
        stats[q].max_points = max(stats[q].max_points, most[q])


def _svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (reproducible: fixed salt, no date)."""
    import matplotlib

    from optcourse.plotting.style import SVG_METADATA, SVG_RC

    buffer = io.StringIO()
    rc: Any = SVG_RC  # typed with literal keys in matplotlib; SVG_RC holds valid ones
    with matplotlib.rc_context(rc):
        fig.savefig(buffer, format="svg", metadata=SVG_METADATA)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _histogram(data: ClassData) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from optcourse.plotting.style import OKABE_ITO

    graded = [r for r in data.rows if r["status"] == "graded"]
    scores = [float(r["auto_score"]) for r in graded]
    top = max([float(r["auto_max"] or 0) for r in data.rows] + [1.0])
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.add_subplot()
    if top <= 40 and all(x == int(x) for x in scores):  # whole points: one bar per score
        bins: Any = [k - 0.5 for k in range(int(top) + 2)]
    else:
        bins = 20
    ax.hist(scores, bins=bins, range=(0, top), color=OKABE_ITO["blue"], edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of submissions
    ax.set_xlabel(f"autograded score (out of {top:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"Score distribution ({len(scores)} graded submissions)")
    return _svg(fig)


def _question_chart(data: ClassData) -> str:
    from matplotlib.figure import Figure

    from optcourse.plotting.style import OKABE_ITO

    qs = [q for q in data.questions if q.points]
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.add_subplot()
    xs = range(len(qs))
    means = [q.mean / q.max_points if q.max_points else 0.0 for q in qs]
    ax.bar(
        [x - 0.2 for x in xs], means, 0.4, label="mean (share of points)", color=OKABE_ITO["blue"]
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [q.pass_rate for q in qs],
        0.4,
        label="pass rate",
        color=OKABE_ITO["orange"],
        hatch="//",
    )
    ax.set_xticks(list(xs), [q.id for q in qs])
    ax.set_ylim(0, 1.25)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_ylabel("share of graded submissions")
    ax.legend(loc="upper center", ncols=2, frameon=False)
    ax.set_title("Per question")
    return _svg(fig)


def _question_table(data: ClassData) -> str:
    head = (
        "<tr><th>question</th><th>mean</th><th>out of</th><th>pass rate</th>"
        "<th>most common failures (submissions)</th></tr>"
    )
    body = []
    for q in data.questions:
        if not q.points:
            body.append(f"<tr><td>{_e(q.id)}</td><td colspan=4>graded by a person</td></tr>")
            continue
        top = q.failures.most_common(TOP_MESSAGES)
        items = "".join(f"<li>{_e(m)} <b>({n})</b></li>" for m, n in top) or "none"
        body.append(
            f"<tr><td>{_e(q.id)}</td><td>{q.mean:.2f}</td><td>{q.max_points:g}</td>"
            f"<td>{q.pass_rate:.0%}</td><td><ul>{items}</ul></td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _problem_table(data: ClassData) -> str:
    if not data.problems:
        return "<p>None: every submission ran within its time limits.</p>"
    head = "<tr><th>student</th><th>status</th><th>timed out</th><th>what happened</th></tr>"
    body = [
        f"<tr><td>{_e(_unprotect(row.get('student', row.get('submission', ''))))}</td>"
        f"<td>{_e(row['status'])}</td><td>{_e(row.get('timed_out', ''))}</td>"
        f"<td>{_e(first[:MESSAGE_CHARS])}</td></tr>"
        for row, first in data.problems
    ]
    return f"<table>{head}{''.join(body)}</table>"


def _status_counts(data: ClassData) -> str:
    counts = Counter(r["status"] for r in data.rows)
    items = "".join(f"<li>{_e(k)}: {n}</li>" for k, n in sorted(counts.items()))
    return f"<ul>{items}</ul>"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _score_caption(data: ClassData) -> str:
    scores = sorted(float(r["auto_score"]) for r in data.rows if r["status"] == "graded")
    if not scores:
        return "No submission was graded."
    mid = len(scores) // 2
    median = scores[mid] if len(scores) % 2 else (scores[mid - 1] + scores[mid]) / 2
    return (
        f"Autograded scores of the {len(scores)} graded submissions: "
        f"mean {sum(scores) / len(scores):.2f}, median {median:g}, "
        f"lowest {scores[0]:g}, highest {scores[-1]:g}."
    )


def _question_caption(data: ClassData) -> str:
    parts = [
        f"{q.id}: mean {q.mean:.2f} of {q.max_points:g}, pass rate {q.pass_rate:.0%}"
        for q in data.questions
        if q.points
    ]
    return "Per question, the mean share of points and the pass rate. " + "; ".join(parts) + "."


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


STYLE = """body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.3rem;
vertical-align:top;text-align:left}ul{margin:0;padding-left:1.2rem}svg{max-width:100%;height:auto}"""


def render(data: ClassData) -> str:
    """The report page: self-contained HTML (inline CSS and SVG, no script, no link)."""
    missing = [_unprotect(r.get("student", "")) for r in data.rows if r["status"] == "missing"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Class report: {_e(data.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Class report: {_e(data.name)}</h1>",
        f"<p>{len(data.rows)} students.</p>",
        _status_counts(data),
        "<h2>Score distribution</h2>",
        _figure(_histogram(data), _score_caption(data)),
        "<h2>Questions</h2>",
        _figure(_question_chart(data), _question_caption(data))
        if any(q.points for q in data.questions)
        else "",
        "<p>Pass rate: the share of graded submissions that passed every test of the question."
        " Questions graded by a person are not included.</p>",
        _question_table(data),
        "<h2>Submissions that errored, timed out or could not be graded</h2>",
        _problem_table(data),
        "<h2>Students with no notebook</h2>",
        f"<p>{_e(', '.join(missing)) or 'None.'}</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Write the class report of the grades ``folder`` to ``out`` (default
    ``folder/report.html``) and return its path."""
    from optcourse.grading.results import atomic_write

    data = read_class(folder)
    target = Path(out) if out is not None else Path(folder) / "report.html"
    atomic_write(target, render(data))
    return target
