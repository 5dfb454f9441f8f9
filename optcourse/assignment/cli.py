"""The ``optcourse assign`` and ``optcourse check`` subcommands.

Exit codes: 0 success (check: every public check passed), 1 some public check failed or an
exercise is out of date (``assign --verify``), 2 bad input (missing or corrupt notebook, ...).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optcourse.assignment.notebook import AssignmentError

__all__ = ["register", "run_assign", "run_check", "main"]


def _error(command: str, exc: Exception) -> int:
    print(f"optcourse {command}: error: {exc}", file=sys.stderr)
    return 2


def run_assign(args: argparse.Namespace) -> int:
    """Generate student notebooks; with ``--verify`` only report whether they are up to date."""
    from optcourse.assignment.assign import assign, make_student_notebook, master_paths, render
    from optcourse.assignment.master import load_assignment
    from optcourse.assignment.notebook import read_notebook

    try:
        paths = [Path(p) for p in args.masters]
        if args.all or not paths:  # no argument: every master in --solutions
            paths.append(Path(args.solutions))
        stale = 0
        for master in master_paths(paths):
            if args.verify:
                load_assignment(master)
                text = render(make_student_notebook(read_notebook(master), where=str(master)))
                target = Path(args.out) / master.name
                fresh = target.is_file() and target.read_text(encoding="utf-8") == text
                stale += not fresh
                print(f"{target}: {'up to date' if fresh else 'OUT OF DATE, run optcourse assign'}")
            else:
                print(f"{master} -> {assign(master, args.out)}")
        return 1 if stale else 0
    except AssignmentError as exc:
        return _error("assign", exc)
    except OSError as exc:
        return _error("assign", exc)


def run_check(args: argparse.Namespace) -> int:
    """Run a notebook's public checks in a fresh kernel and print the report."""
    from optcourse.assignment.check import check_notebook

    try:
        report = check_notebook(args.notebook, timeout=args.timeout)
    except AssignmentError as exc:
        return _error("check", exc)
    except Exception as exc:  # kernel could not start, ...: a message, not a traceback
        return _error(
            "check", RuntimeError(f"could not run {args.notebook}: {type(exc).__name__}: {exc}")
        )
    print(report.text())
    return 0 if report.all_passed else 1


def register(subparsers: Any) -> None:
    """Add the ``assign`` and ``check`` subcommands to the ``optcourse`` parser."""
    p = subparsers.add_parser(
        "assign",
        help="generate student notebooks from master notebooks",
        description="Generate exercises/NN.ipynb from solutions/NN.ipynb: solutions become stubs,"
        " hidden tests and rubrics are removed.",
    )
    p.add_argument(
        "masters", nargs="*", help="master notebooks or folders of them (default: --all)"
    )
    p.add_argument("--all", action="store_true", help="every master notebook in --solutions")
    p.add_argument(
        "--solutions", default="solutions", help="folder of masters (default: solutions)"
    )
    p.add_argument("--out", default="exercises", help="output folder (default: exercises)")
    p.add_argument(
        "--verify", action="store_true", help="write nothing; exit 1 if an exercise is out of date"
    )
    p.set_defaults(func=run_assign)

    c = subparsers.add_parser(
        "check",
        help="run a notebook's public checks in a fresh kernel",
        description="Execute the notebook and print, per question, whether its public checks pass."
        " Hidden tests decide the grade.",
    )
    c.add_argument("notebook", help="the exercise notebook (.ipynb)")
    c.add_argument("--timeout", type=float, default=120.0, help="seconds per cell (default 120)")
    c.set_defaults(func=run_check)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``assign``/``check`` without the full ``optcourse`` command (``python -m``)."""
    parser = argparse.ArgumentParser(prog="optcourse")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
