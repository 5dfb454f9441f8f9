"""The ``optcourse`` command line: ``optcourse assign|check|grade|autograder``.

Each subcommand lives in the module of its concept; this file only wires them together.
The assignment and grading tools need the ``grading`` extra (nbformat, nbclient, ipykernel).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="optcourse",
        description="Tools for the optcourse exercises: release, check and grade notebooks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    from optcourse.assignment import cli as assignment_cli
    from optcourse.grading import cli as grading_cli

    assignment_cli.register(sub)
    grading_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
