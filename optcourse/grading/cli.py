"""The ``optcourse grade``, ``autograder``, ``report`` and ``manual`` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``grade``, ``autograder``, ``report`` and ``manual`` to the ``optcourse`` command."""
    grade = subparsers.add_parser(
        "grade",
        help="grade student notebooks in isolated kernels",
        description=(
            "Grade SUBMISSION notebooks (files, or folders searched for .ipynb files) against a "
            "master notebook. Writes DIR/<name>/results.json (Gradescope format), "
            "DIR/<name>/feedback.md and DIR/grades.csv. Rerunning skips unchanged submissions."
        ),
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", type=Path)
    grade.add_argument("--assignment", required=True, type=Path, help="the master notebook")
    grade.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    grade.add_argument(
        "--timeout", type=float, default=30.0, help="seconds allowed per cell and per answer"
    )
    grade.add_argument(
        "--total-timeout", type=float, default=300.0, help="seconds allowed per submission"
    )
    grade.add_argument("--memory", type=int, default=2048, help="memory limit of each kernel in MB")
    grade.add_argument(
        "--seed", type=int, default=None, help="extra seed for the hidden tests' random inputs"
    )
    grade.set_defaults(func=run_grade)

    bundle = subparsers.add_parser(
        "autograder",
        help="build a Gradescope autograder bundle",
        description="Build a Gradescope autograder zip for the master notebook MASTER.",
    )
    bundle.add_argument("master", type=Path, metavar="MASTER")
    bundle.add_argument("--out", type=Path, default=Path("autograder.zip"), help="the zip to write")
    bundle.set_defaults(func=run_autograder)

    report = subparsers.add_parser(
        "report",
        help="write an HTML class report of a graded class",
        description=(
            "Write one self-contained HTML page about the class graded into GRADES_DIR (the --out "
            "folder of optcourse grade): score distribution, per-question mean and pass rate, "
            "the most common failures, and the submissions that errored or timed out."
        ),
    )
    report.add_argument("grades", type=Path, metavar="GRADES_DIR")
    report.add_argument(
        "--out", type=Path, default=None, help="the page to write (default GRADES_DIR/report.html)"
    )
    report.set_defaults(func=run_report)
    _register_manual(subparsers)


def _register_manual(subparsers: argparse._SubParsersAction) -> None:
    """Add ``manual export`` and ``manual import``."""
    manual = subparsers.add_parser(
        "manual",
        help="export the free-text answers for a person to grade; import the scores",
        description=(
            "The questions graded by a person: 'export' writes their answers to one page and a "
            "scores CSV to fill in; 'import' reads the filled-in CSV back into the class's "
            "grades.csv, results.json and feedback.md."
        ),
    )
    actions = manual.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    export = actions.add_parser(
        "export",
        help="write the answers page and the scores template",
        description=(
            "Write one self-contained HTML page with every student's answer to each question "
            "graded by a person (GRADES_DIR/manual.html), and the scores template "
            "GRADES_DIR/manual_scores.csv (columns student, question, points, max_points, "
            "comment). An existing manual_scores.csv is never overwritten."
        ),
    )
    export.add_argument("grades", type=Path, metavar="GRADES_DIR")
    export.add_argument(
        "--master", type=Path, default=None, help="the master notebook: shows questions and rubrics"
    )
    export.add_argument(
        "--out", type=Path, default=None, help="the page to write (default GRADES_DIR/manual.html)"
    )
    export.set_defaults(func=run_manual_export)
    imp = actions.add_parser(
        "import",
        help="read the scores CSV into grades.csv and the feedback",
        description=(
            "Check every row of SCORES_CSV (nothing is written when one is bad), then put the "
            "scores and comments into each student's results.json and feedback.md and into "
            "GRADES_DIR/grades.csv, whose total includes them. The file replaces every score "
            "imported before; rows with empty points stay not scored. Later runs of "
            "optcourse grade on GRADES_DIR keep the scores of unchanged answers."
        ),
    )
    imp.add_argument("scores", type=Path, metavar="SCORES_CSV")
    imp.add_argument("grades", type=Path, metavar="GRADES_DIR")
    imp.set_defaults(func=run_manual_import)


def _error(message: str) -> int:
    print(f"optcourse: error: {message}", file=sys.stderr)
    return 2


def run_grade(args: argparse.Namespace) -> int:
    """Grade the submissions; 0 when every submission was graded, 2 on a usage error."""
    from optcourse.grading.batch import Progress, UsageError, collect, grade_all, run_summary
    from optcourse.grading.isolation import readable_by_others
    from optcourse.grading.kernel import (
        KernelLimits,
        isolation_mode,
        isolation_problem,
        memory_enforcement,
    )
    from optcourse.grading.manual import load_scores

    if args.jobs < 1:
        return _error(f"--jobs must be at least 1, got {args.jobs}")
    for option, value in (
        ("--timeout", args.timeout),
        ("--total-timeout", args.total_timeout),
        ("--memory", args.memory),
    ):
        if not value > 0:
            return _error(f"{option} must be greater than 0, got {value:g}")
    if args.out.exists() and not args.out.is_dir():
        return _error(f"--out must be a folder, but {args.out} is a file")
    try:
        limits = KernelLimits(
            cell_timeout=args.timeout,
            total_timeout=args.total_timeout,
            memory=args.memory * 1024**2,
        )
    except ValueError as exc:
        return _error(str(exc))
    try:
        assignment = _load(args.assignment)
        submissions = collect(args.submissions, assignment.name)
        scores = load_scores(args.out)
    except (UsageError, ValueError, OSError) as exc:
        return _error(str(exc))
    mode = isolation_mode()
    problem = isolation_problem(mode)
    if problem is not None:
        return _error(problem)
    if mode == "root":  # a fresh user id, but no mount namespace to hide files
        if readable_by_others(assignment.path):
            return _error(
                f"the student processes could read the master {assignment.path} here (no mount "
                "namespaces): make its folder private first, e.g. chmod 700"
            )
        exposed = [s.path for s in submissions if readable_by_others(s.path)]
        if exposed:
            print(
                f"optcourse: warning: {len(exposed)} submission(s), e.g. {exposed[0]}, can be "
                "read by the other students' processes; make their folder private (chmod 700)",
                file=sys.stderr,
            )
    if mode == "none":
        print(
            "optcourse: warning: not root and no user namespaces: kernels only get resource "
            "limits (see the instructors' guide)",
            file=sys.stderr,
        )
    progress = Progress(len(submissions))
    reused: list[str] = []
    try:
        results = grade_all(
            submissions,
            assignment,
            args.out,
            jobs=args.jobs,
            limits=limits,
            seed=args.seed,
            progress=progress,
            on_result=lambda res, kept: reused.extend([res.name] if kept else []),
        )
    except KeyboardInterrupt:
        if progress.enabled:
            progress.stream.write("\n")
        print(
            "optcourse: interrupted: every submission graded so far is saved (no grades.csv "
            "yet); run the same command again to grade the rest",
            file=sys.stderr,
        )
        return 130
    failed = [r.name for r in results if r.status == "error"]
    print(f"{assignment.name}: {run_summary(results, reused)}")
    print(f"class grades in {args.out / 'grades.csv'}, one row per student")
    print(memory_enforcement(limits))
    _warn_dropped(results, scores)
    if failed:
        print(
            f"optcourse: error: the grader failed on {len(failed)} submission(s) "
            f"({', '.join(failed[:5])}); see their feedback.md and rerun to retry",
            file=sys.stderr,
        )
        return 1
    return 0


def _load(path: Path) -> Any:
    from optcourse.assignment.master import load_assignment
    from optcourse.assignment.notebook import NoHiddenTestError

    if not path.exists():
        raise ValueError(f"--assignment: no such master notebook: {path}")
    try:
        return load_assignment(path)
    except NoHiddenTestError as exc:  # e.g. a student notebook given by mistake
        raise ValueError(f"{exc} (give the master notebook from solutions/)") from None


def run_autograder(args: argparse.Namespace) -> int:
    """Build the Gradescope bundle; 0 on success, 2 on a usage error."""
    from optcourse.grading.gradescope import build_bundle

    try:
        assignment = _load(args.master)
        build_bundle(args.master, args.out, assignment=assignment)
    except (ValueError, OSError) as exc:
        return _error(str(exc))
    print(f"wrote {args.out}: upload it as the autograder of {assignment.name} on Gradescope")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """Write the class report; 0 on success, 2 when GRADES_DIR is not a graded class."""
    from optcourse.grading.report import write_report

    if not args.grades.is_dir():
        return _error(f"GRADES_DIR must be the --out folder of optcourse grade: {args.grades}")
    try:
        target = write_report(args.grades, args.out)
    except (ValueError, OSError) as exc:
        return _error(str(exc))
    print(f"wrote {target}")
    return 0


def _warn_dropped(results: Any, scores: Any) -> None:
    """Name the scores a person gave that no longer apply (the answer changed)."""
    from optcourse.grading.manual import dropped

    lost = dropped(results, scores)
    if lost:
        shown = ", ".join(lost[:10]) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
        print(
            f"optcourse: warning: {len(lost)} imported manual score(s) no longer apply, the answer "
            f"changed or the student was not in this run ({shown}): run optcourse manual export "
            "and import again",
            file=sys.stderr,
        )


def run_manual_export(args: argparse.Namespace) -> int:
    """Write the answers page and the scores template; 0 on success, 2 on a usage error."""
    from optcourse.grading.manual import ManualError, export

    try:
        assignment = _load_master(args.master) if args.master is not None else None
        done = export(args.grades, assignment, args.out)
    except (ManualError, ValueError, OSError) as exc:
        return _error(str(exc))
    if done.warning:
        print(f"optcourse: warning: {done.warning}", file=sys.stderr)
    print(f"wrote {done.page}: the answers to grade, one question at a time")
    if done.wrote_template:
        print(f"wrote {done.template}: fill in the points, then run optcourse manual import")
    else:
        print(f"kept {done.template}: it exists (it may hold a grader's scores); not overwritten")
    return 0


def _load_master(path: Path) -> Any:
    try:
        return _load(path)
    except ValueError as exc:
        raise ValueError(str(exc).replace("--assignment", "--master")) from None


def run_manual_import(args: argparse.Namespace) -> int:
    """Import a scores CSV; 0 on success, 2 when the file or the folder is not usable."""
    from optcourse.grading.manual import ManualError, import_scores

    try:
        done = import_scores(args.scores, args.grades)
    except (ManualError, OSError) as exc:
        return _error(str(exc))
    print(
        f"imported {done.scored} score(s) for {done.students} student(s); "
        f"{done.unscored} answer(s) not scored yet"
    )
    print(f"updated {args.grades / 'grades.csv'} and each student's results.json and feedback.md")
    return 0
