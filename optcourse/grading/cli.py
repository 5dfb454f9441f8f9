"""The ``optcourse grade`` and ``optcourse autograder`` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``grade`` and ``autograder`` to the ``optcourse`` command."""
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


def _error(message: str) -> int:
    print(f"optcourse: error: {message}", file=sys.stderr)
    return 2


def run_grade(args: argparse.Namespace) -> int:
    """Grade the submissions; 0 when every submission was graded, 2 on a usage error."""
    from optcourse.grading.grade import Progress, UsageError, collect, grade_all
    from optcourse.grading.kernel import KernelLimits, isolation_mode, isolation_problem

    if args.jobs < 1:
        return _error(f"--jobs must be at least 1, got {args.jobs}")
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
        submissions = collect(args.submissions)
    except (UsageError, ValueError, OSError) as exc:
        return _error(str(exc))
    mode = isolation_mode()
    problem = isolation_problem(mode)
    if problem is not None:
        return _error(problem)
    if mode == "none":
        print(
            "optcourse: warning: not root and no user namespaces: kernels only get resource "
            "limits (see the instructors' guide)",
            file=sys.stderr,
        )
    progress = Progress(len(submissions))
    results = grade_all(
        submissions,
        assignment,
        args.out,
        jobs=args.jobs,
        limits=limits,
        seed=args.seed,
        progress=progress,
    )
    failed = [r.name for r in results if r.status == "error"]
    problems = sum(r.status in ("unreadable", "wrong_assignment") for r in results)
    print(
        f"graded {len(results) - len(failed)} submission(s) of {assignment.name} into {args.out} "
        f"({problems} not runnable); class grades in {args.out / 'grades.csv'}"
    )
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

    if not path.exists():
        raise ValueError(f"--assignment: no such master notebook: {path}")
    return load_assignment(path)


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
