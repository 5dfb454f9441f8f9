"""The ``optcourse`` command line: ``optcourse assign|check|grade|autograder|report|manual``.

Each subcommand lives in the module of its concept; this file only wires them together.
The assignment and grading tools need the ``grading`` extra (nbformat, nbclient, ipykernel).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata

#: The modules of the ``grading`` extra, which every subcommand needs.
GRADING_MODULES = ("nbformat", "nbclient", "jupyter_client", "ipykernel")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="optcourse",
        description="Tools for the optcourse exercises: release, check and grade notebooks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    from optcourse.assignment import cli as assignment_cli
    from optcourse.grading import cli as grading_cli

    assignment_cli.register(sub)
    grading_cli.register(sub)
    return parser


def _version() -> str:
    from optcourse import __version__

    return __version__


def source_url() -> str:
    """The repository the package was installed from (its ``Source`` project URL)."""
    try:
        for entry in metadata.metadata("optcourse").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip() == "Source":
                return url.strip()
    except metadata.PackageNotFoundError:
        pass
    return "https://github.com/optcourse/optcourse"


def missing_extra(command: str) -> str | None:
    """One line naming the extra to install when a grading module is absent, else None."""
    missing = [m for m in GRADING_MODULES if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return (
        f"optcourse {command}: needs the [grading] extra ({', '.join(missing)} not installed): "
        f'pip install "optcourse[grading] @ git+{source_url()}"'
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = missing_extra(args.command)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
