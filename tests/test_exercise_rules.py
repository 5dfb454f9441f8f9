"""Every master follows the rules for writing a question (``solutions/README.md``, rules 1–8).

The static rules read the master (its questions, recorded tests and fixture cells); the last
test grades the master with each recorded answer (fixture) in place, in real kernels: a wrong
answer loses points on its question and only there, a valid other form keeps them all.
"""

from __future__ import annotations

import ast
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest

from optcourse.assignment.master import Assignment, Fixture, load_assignment
from optcourse.assignment.notebook import Question, cell_role
from optcourse.assignment.specs import CallSpec, ChoiceSpec, TestSpec, ValueSpec
from optcourse.grading.grade import grade_submission
from optcourse.grading.kernel import KernelLimits
from optcourse.grading.uses import defined_names

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LIMITS = KernelLimits(cell_timeout=20, total_timeout=120)

#: Words that state the form of an answer (rule 1).
FORM_WORDS = (
    "number",
    "float",
    "integer",
    "list",
    "array",
    "string",
    "letter",
    "true",
    "bool",
    "dict",
    "return",
)
#: Requirement phrases in a question (rule 2) and what a hidden check's ``requirement`` says.
REQUIREMENTS = {
    "without a loop": "without a loop",
    "in place": "not in place",
    "tolerance": "tolerance",
    "without the library": "without the library",
}
ROUND_DECIMALS = 2  # rule 4: a public number has more decimals than this
RESTATING = "restating the prompt earns nothing"


@pytest.fixture(scope="module", params=MASTERS, ids=[m.stem for m in MASTERS])
def master(request: pytest.FixtureRequest) -> Assignment:
    return load_assignment(request.param)


def _auto(assignment: Assignment) -> list[Question]:
    return [q for q in assignment.questions if q.graded == "auto"]


def _function_questions(assignment: Assignment) -> list[Question]:
    """Questions with a hidden ``check_call``: the student writes a function."""
    return [
        q
        for q in _auto(assignment)
        if any(isinstance(t, CallSpec) for t in assignment.tests_for(q.id, "hidden"))
    ]


def _public_names(source: str) -> list[str]:
    return [n for n in defined_names(source) if not n.startswith("_")]


# ------------------------------------------------------------------ rule 1: say what to return


def test_every_answer_is_named_with_its_form(master: Assignment) -> None:
    for q in _auto(master):
        names = _public_names(master.solution_sources.get(q.id, ""))
        assert names, f"{q.id}: its answer cell defines no name"
        for name in names:
            assert f"`{name}" in q.text, f"{q.id}: the text does not name `{name}` in backticks"
        for spec in master.tests_for(q.id):
            if isinstance(spec, CallSpec):
                assert re.search(rf"`{spec.function}\([^`]*\)`", q.text), (
                    f"{q.id}: the text does not show the signature `{spec.function}(...)`"
                )
        assert any(w in q.text.lower() for w in FORM_WORDS), (
            f"{q.id}: the text does not say what form the answer takes ({', '.join(FORM_WORDS)})"
        )


def test_choice_questions_ask_for_the_option_letter(master: Assignment) -> None:
    for q in _auto(master):
        lettered = [
            t
            for t in master.tests_for(q.id)
            if isinstance(t, ChoiceSpec) and all(len(c.strip()) == 1 for c in t.choices)
        ]
        if lettered:
            words = " ".join(q.text.lower().split())
            assert "option letter" in words, f"{q.id}: say 'the option letter'"


# ------------------------------------------------------------- rule 2: state only what is tested


def test_stated_requirements_are_tested(master: Assignment) -> None:
    for q in _auto(master):
        hidden = [t for t in master.tests_for(q.id, "hidden") if isinstance(t, CallSpec)]
        text = " ".join(re.sub(r"`[^`]*`", " ", q.text).lower().split())  # not in code spans
        said = [r for p, r in REQUIREMENTS.items() if p in text]
        for requirement in said:
            assert any(requirement in (t.requirement or "") for t in hidden), (
                f"{q.id}: the text states a requirement ({requirement!r}) no hidden test checks"
            )
        for t in hidden:
            if t.unchanged:
                assert "in place" in (t.requirement or ""), f"{t.name}: unchanged= needs it said"
            if t.time_limit is not None:
                assert t.requirement, f"{t.name}: a time_limit must name the requirement it tests"
            if t.without:
                assert "without the library" in (t.requirement or ""), (
                    f"{t.name}: without= needs the requirement said (without the library's ...)"
                )
            if t.requirement:
                phrase = next((p for p, r in REQUIREMENTS.items() if r in t.requirement), None)
                assert phrase is None or phrase in text, (
                    f"{t.name} tests {t.requirement!r}, which the question does not state"
                )


# ----------------------------------------------------- rule 3: grade each question on its own


def _loaded_names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def test_questions_declare_the_answers_they_use(master: Assignment) -> None:
    owner = {
        name: qid
        for qid, source in master.solution_sources.items()
        for name in _public_names(source)
    }
    for q in master.questions:
        source = master.solution_sources.get(q.id)
        if source is None:
            continue
        mine = set(defined_names(source))
        used = {owner[n] for n in _loaded_names(source) - mine if n in owner}
        assert used <= set(q.uses), (
            f"{q.id} calls the answers of {sorted(used - set(q.uses))}: declare"
            f' "uses": {sorted(used)} in its question metadata'
        )


# --------------------------------------------------------- rule 4: public examples are not round


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    return []


def _public_expected(spec: TestSpec) -> list[Any]:
    if isinstance(spec, CallSpec) and spec.expected is not None:
        return list(spec.expected)
    if isinstance(spec, ValueSpec):
        return [spec.expected]
    return []


def test_public_examples_are_not_round(master: Assignment) -> None:
    for spec in master.tests:
        if spec.visibility != "public":
            continue
        for want in _public_expected(spec):
            numbers = [x for x in _numbers(want) if x == x and abs(x) != float("inf")]
            if numbers and not all(x == int(x) for x in numbers):  # counts cannot be rounded
                assert any(round(x, ROUND_DECIMALS) != x for x in numbers), (
                    f"{spec.name}: the public example's answer {want!r} is round; pick inputs"
                    " whose answer has more decimals, so a rounded answer fails it"
                )


# -------------------------------------------------------- rules 5 and 6: fixtures and slips


def test_function_questions_record_wrong_and_valid_answers(master: Assignment) -> None:
    for q in _function_questions(master):
        mine = [f for f in master.fixtures if f.question == q.id]
        loses = [f for f in mine if f.expect == "loses"]
        assert len(loses) >= 2, f"{q.id}: record at least two wrong answers (fixtures)"
        assert any(f.expect == "keeps" for f in mine), f"{q.id}: record one valid other form"
        assert any(f.hinted for f in loses), f"{q.id}: one wrong answer must get its hint"
        slips = [s for t in master.tests_for(q.id, "hidden") for s in getattr(t, "slips", ())]
        assert slips, f"{q.id}: give the typical slips a hint (slips= on a hidden check)"


def test_multiple_choice_questions_hint_their_tempting_options(master: Assignment) -> None:
    for q in _auto(master):
        hidden = [t for t in master.tests_for(q.id, "hidden") if isinstance(t, ChoiceSpec)]
        lettered = [t for t in hidden if all(len(c.strip()) == 1 for c in t.choices)]
        for t in lettered:
            assert t.slips, f"{t.name}: give a tempting wrong option a hint (slips=)"
            assert t.answer not in dict(t.slips), f"{t.name}: a hint on the right answer"


def test_hints_never_give_the_answer(master: Assignment) -> None:
    for spec in master.tests:
        for _wrong, hint in getattr(spec, "slips", ()):
            if isinstance(spec, ValueSpec):
                shown = [str(x) for x in _numbers(spec.expected)]
                assert not any(s in hint for s in shown), f"{spec.name}: the hint shows the answer"
            assert len(hint) <= 200, f"{spec.name}: keep a hint to one sentence"


# ------------------------------------------------------------ rules 7 and 8: depth, rubrics


def test_each_set_has_a_derivation_and_a_proof(master: Assignment) -> None:
    derivations = [q for q in master.questions if q.kind == "derivation"]
    proofs = [q for q in master.questions if q.kind == "proof"]
    assert derivations, "no question has kind 'derivation'"
    assert proofs, "no question has kind 'proof'"
    for q in derivations:
        assert q.level == "C" and q.graded == "auto", f"{q.id}: a derivation is level C, auto"
        drawn = [
            t
            for t in master.tests_for(q.id, "hidden")
            if isinstance(t, CallSpec) and callable(t.cases)
        ]
        assert drawn, f"{q.id}: a derivation returns a function graded on drawn hidden inputs"
    for q in proofs:
        assert q.graded == "manual", f"{q.id}: a proof is graded by a person"


def _rubric_rows(rubric: str) -> tuple[list[str], list[list[str]]]:
    """The header and the body rows of the first markdown table in a rubric."""
    lines = [line.strip() for line in rubric.splitlines() if line.strip().startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    if len(cells) < 2:
        return [], []
    body = [row for row in cells[1:] if not all(set(c) <= set("-: ") for c in row)]
    return cells[0], body


def test_rubrics_anchor_every_point(master: Assignment) -> None:
    for q in master.questions:
        if q.graded != "manual":
            continue
        assert q.rubric
        header, rows = _rubric_rows(q.rubric)
        assert [h.replace("1/2", "½") for h in header[1:]] == ["0", "½", "1"], (
            f"{q.id}: the rubric needs a table with columns criterion | 0 | ½ | 1"
        )
        assert len(rows) == q.points, f"{q.id}: {len(rows)} rubric rows for {q.points:g} points"
        for row in rows:
            assert len(row) == 4 and all(row), f"{q.id}: rubric row {row!r} lacks an anchor"
        assert RESTATING in q.rubric.lower(), f"{q.id}: the rubric must say {RESTATING!r}"


# ------------------------------------------------- the fixtures, graded with the real grader


def _with_fixture(assignment: Assignment, fixture: Fixture, folder: Path, k: int) -> Path:
    """The master notebook with ``fixture`` in place of its question's answer code."""
    nb = nbformat.read(assignment.path, as_version=4)
    first = True
    for cell in nb.cells:
        role = cell_role(cell)
        mine = role is not None and role.kind == "solution" and role.question == fixture.question
        if mine and cell.cell_type == "code":
            cell.source = fixture.source if first else ""
            first = False
    path = folder / f"{k:02d}_{assignment.path.name}"
    nbformat.write(nb, path)
    return path


def _per_question(result: Any) -> dict[str, tuple[float, float, str]]:
    totals: dict[str, tuple[float, float, str]] = {}
    for t in result.tests:
        if t.status == "manual":
            continue
        score, top, text = totals.get(t.question, (0.0, 0.0, ""))
        totals[t.question] = (score + t.score, top + t.max_score, text + "\n" + t.output)
    return totals


def test_recorded_answers_grade_as_recorded(master: Assignment, tmp_path: Path) -> None:
    fixtures = master.fixtures
    if not fixtures:
        pytest.skip("this master records no answers")
    paths = [_with_fixture(master, f, tmp_path, k) for k, f in enumerate(fixtures)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(lambda p: grade_submission(p, master, limits=LIMITS, seed=1), paths)
        )
    problems = []
    for fixture, result in zip(fixtures, results, strict=True):
        label = f"{fixture.question} [{fixture.expect}: {fixture.slip}]"
        scores = _per_question(result)
        score, top, text = scores[fixture.question]
        if fixture.expect == "loses" and score >= top:
            problems.append(f"{label} kept all {top:g} points")
        if fixture.expect == "keeps" and score < top:
            problems.append(f"{label} lost points: {score:g}/{top:g}{text[:300]}")
        if fixture.hinted and "Hint:" not in text:
            problems.append(f"{label}: its feedback shows no hint{text[:300]}")
        for qid, (other, other_top, other_text) in scores.items():
            if qid != fixture.question and other < other_top:
                problems.append(
                    f"{label} also cost {qid} points ({other:g}/{other_top:g}):"
                    f" one slip is charged twice{other_text[:300]}"
                )
    assert not problems, "\n".join(problems)
