"""Each question graded on its own: the master's answers stand in for the questions it uses.

A question whose answer calls an earlier one (set 2's ``final_distances`` calls the student's
``gradient_descent``) declares it in its metadata, ``"uses": ["q7"]``. Its hidden tests then run
with the master's answer code to q7 in place of the student's, so a slip in q7 costs points in
q7 only. :func:`run_tests` runs every test of an assignment in this way:

1. the tests of questions that use nothing, in notebook order, on the student's own code;
2. then, per question that uses others (directly, or through a used question's own ``uses``):
   save the student's objects of those names, run the master's answer code of the used
   questions in the kernel, run the question's tests, and put the student's objects back.

The master's answer code of a used question therefore runs in the student's kernel, after that
question has been graded. A student's code could read it there; do not declare ``uses`` of a
question whose answer must stay secret for later submissions (Gradescope's resubmissions).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

from optcourse.assignment.master import Assignment
from optcourse.assignment.specs import TestSpec
from optcourse.grading.kernel import Reply
from optcourse.grading.results import TestResult

__all__ = ["defined_names", "run_tests"]

Ask = Callable[[str, "float | None"], Reply]
RunTest = Callable[[TestSpec, np.random.Generator, Ask], TestResult]

_SAVED = "__optcourse_saved"


def defined_names(source: str) -> list[str]:
    """The names a cell's code binds at its top level (functions, classes, assignments)."""
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return list(dict.fromkeys(names))


def _swap_in(names: list[str], source: str) -> str:
    """Kernel code: keep the student's objects of ``names``, then run the master's ``source``."""
    return f"{_SAVED} = {{n: globals()[n] for n in {names!r} if n in globals()}}\n{source}\n"


def _swap_back(names: list[str]) -> str:
    """Kernel code: put the student's objects back (and remove names they did not define)."""
    return (
        f"for __n in {names!r}:\n    globals().pop(__n, None)\n"
        f"globals().update({_SAVED})\ndel {_SAVED}, __n\n"
    )


def _closure(uses: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Uses, made transitive and in notebook order: a question using q8, which uses q7, runs
    with the master's q7 too (the master's q8 calls q7's function)."""
    order = list(uses)
    out: dict[str, tuple[str, ...]] = {}
    for qid in order:
        seen: set[str] = set()
        todo = list(uses[qid])
        while todo:
            used = todo.pop()
            if used not in seen:
                seen.add(used)
                todo.extend(uses.get(used, ()))
        out[qid] = tuple(q for q in order if q in seen)
    return out


def run_tests(
    assignment: Assignment,
    seed: int,
    ask: Ask,
    execute: Callable[[str], Reply],
    run_test: RunTest,
) -> list[TestResult]:
    """Run every test of ``assignment`` (results in the assignment's test order).

    ``ask`` evaluates a probe in the kernel, ``execute`` runs code there, ``run_test`` draws,
    asks and judges one test; test ``k`` draws from ``default_rng([seed, k])``.
    """
    uses = _closure({q.id: q.uses for q in assignment.questions})
    results: dict[int, TestResult] = {}
    later: dict[str, list[int]] = {}
    for index, spec in enumerate(assignment.tests):
        if uses.get(spec.question):
            later.setdefault(spec.question, []).append(index)
            continue
        results[index] = run_test(spec, np.random.default_rng([seed, index]), ask)
    for qid, indices in later.items():
        source = "\n\n".join(assignment.solution_sources[u] for u in uses[qid])
        names = defined_names(source)
        execute(_swap_in(names, source))
        try:
            for index in indices:
                spec = assignment.tests[index]
                results[index] = run_test(spec, np.random.default_rng([seed, index]), ask)
        finally:
            execute(_swap_back(names))
    return [results[k] for k in sorted(results)]
