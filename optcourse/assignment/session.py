"""Checks run in the student's own notebook: feedback lines, ``check_all`` and ``optcourse check``.

A :class:`NotebookSession` is the notebook mode of the check functions: its
:meth:`~NotebookSession.handle` evaluates each spec against the running notebook's namespace and
prints one line,
``q1 [public] passed`` or ``q1 [public] failed: <why>`` (a failed hidden check, in a master
notebook, raises). It remembers the verdicts for :meth:`~NotebookSession.check_all` and
:meth:`~NotebookSession.assert_all_passed`. :mod:`optcourse.exercise` is a facade over one
session; :func:`run_test_cell` is what ``optcourse check`` runs in the kernel.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from optcourse.assignment.check import format_report, results_by_question
from optcourse.assignment.checks import CheckAPI, record_cell
from optcourse.assignment.notebook import public_specs, read_notebook
from optcourse.assignment.protocol import error_line, report_line
from optcourse.assignment.specs import (
    PlainValue,
    ProbeError,
    TestSpec,
    Unanswered,
    Verdict,
    to_plain,
)

__all__ = ["NotebookSession", "evaluate_probe", "user_namespace", "run_test_cell"]


def evaluate_probe(expression: str, namespace: dict[str, Any]) -> PlainValue | ProbeError:
    """Evaluate ``expression`` in ``namespace`` and return its plain value or a :class:`ProbeError`.

    numpy floating-point warnings (overflow in a diverging run the exercise asks for) are silenced:
    they never cost points.
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            value = eval(expression, namespace)  # noqa: S307
            return to_plain(value)
    except Unanswered as exc:
        return ProbeError("Unanswered", str(exc))
    except Exception as exc:  # the student's code may raise anything
        return ProbeError(type(exc).__name__, str(exc))


def user_namespace() -> dict[str, Any]:
    """The namespace of the running notebook (IPython's user namespace, else ``__main__``)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns  # type: ignore[no-any-return,unused-ignore]
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        pass
    return vars(sys.modules["__main__"])


def line(spec: TestSpec, verdict: Verdict) -> str:
    """The feedback line of one check: ``q1 [public] passed`` or ``... failed: <why>``."""
    status = "passed" if verdict.passed else f"failed: {verdict.message}"
    return f"{spec.question} [{spec.visibility}] {status}"


class NotebookSession:
    """Notebook mode: checks evaluated against ``namespace()`` (default: the running notebook's).

    ``results`` holds the latest verdict of every check run in this session.
    """

    def __init__(self, namespace: Callable[[], dict[str, Any]] = user_namespace) -> None:
        self.namespace = namespace
        self.results: dict[str, tuple[TestSpec, Verdict]] = {}

    def run(self, spec: TestSpec, quiet: bool = False) -> Verdict:
        """Evaluate ``spec`` against the notebook and remember (and unless ``quiet``, print) the
        verdict."""
        ns = self.namespace()
        probes = spec.make_probes(np.random.default_rng(spec.seed()))
        verdict = spec.judge(probes, [evaluate_probe(p, ns) for p in probes.expressions])
        self.results[f"{spec.name}|{spec.describe}|{probes.expressions!r}"] = (spec, verdict)
        if not quiet:
            print(line(spec, verdict))
        return verdict

    def handle(self, spec: TestSpec) -> None:
        """What a check call does in a notebook: run it; a failed hidden check raises."""
        verdict = self.run(spec)
        if not verdict.passed and spec.visibility == "hidden":
            raise AssertionError(f"hidden test failed: {line(spec, verdict)}")

    def checks(self) -> CheckAPI:
        """The check functions in this session's mode."""
        return CheckAPI(self.handle)

    def assert_all_passed(self) -> None:
        """Raise ``AssertionError`` if any check run in this session failed."""
        failed = [line(s, v) for s, v in self.results.values() if not v.passed]
        if failed:
            raise AssertionError("some checks failed:\n" + "\n".join(failed))
        print(f"all {len(self.results)} checks passed")

    def find_notebook(self) -> Path | None:
        """The path of the running notebook when the front end tells (Jupyter Server, VS Code)."""
        candidates = [os.environ.get("JPY_SESSION_NAME", "")]
        candidates.append(str(self.namespace().get("__vsc_ipynb_file__", "")))
        for c in candidates:
            if c and c.endswith(".ipynb") and Path(c).is_file():
                return Path(c)
        return None

    def check_all(self, notebook: str | os.PathLike[str] | None = None) -> bool:
        """Run every public check of ``notebook`` (default: the open one if found, else the
        checks already run here, again); print the per-question summary; True if all passed."""
        path = Path(notebook) if notebook is not None else self.find_notebook()
        if path is not None:
            specs, questions = public_specs(read_notebook(path))
        else:
            specs = [s for s, _ in self.results.values() if s.visibility == "public"]
            questions = []
            if not specs:
                print(
                    "No public check has run in this notebook yet: run its test cells, or give"
                    " the notebook's file name, check_all('NN_topic.ipynb')."
                )
                return False
        pairs = [(s, self.run(s, quiet=True)) for s in specs]  # with today's answers
        rows = results_by_question([(s.question, v) for s, v in pairs], questions)
        print(format_report(rows))
        return all(v.passed for _, v in pairs)

    def run_test_cell(self, source: str) -> None:
        """Run the public checks of one test cell against the notebook; print the report line of
        :mod:`optcourse.assignment.protocol` (and nothing else)."""
        try:
            specs = record_cell(source)
        except Exception as exc:  # a changed test cell: reported, as the protocol says
            print(error_line(exc))
            return
        verdicts = []
        for spec in specs:
            if spec.visibility == "public":
                verdict = self.run(spec, quiet=True)
                verdicts.append((spec.question, verdict.passed, verdict.message))
        print(report_line(verdicts))


def run_test_cell(source: str, session: NotebookSession | None = None) -> None:
    """Run one test cell's public checks in ``session`` (default: a new one on the running
    notebook) and print the ``optcourse check`` report line."""
    (session or NotebookSession()).run_test_cell(source)
