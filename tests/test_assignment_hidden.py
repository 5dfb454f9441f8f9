"""Hidden tests judged as the grader judges them (TestSpec.make_probes, then judge).

The "student" is the master's own code run in a plain namespace, optionally with one answer
replaced by a wrong-but-plausible one: off by a sign, off by a factor of 2, the public case
hard-coded. The reference must earn every point for many seeds; each wrong answer must lose points
on its question's hidden tests for every seed, even when it passes the public checks.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from optcourse.assignment import load_assignment
from optcourse.assignment.notebook import cell_role, read_notebook
from optcourse.exercise import evaluate_probe

ROOT = Path(__file__).resolve().parents[1]
MASTERS = {p.stem: p for p in sorted((ROOT / "solutions").glob("*.ipynb"))}
SEEDS = range(5)


@pytest.fixture(scope="module")
def assignments():
    return {name: load_assignment(path) for name, path in MASTERS.items()}


@pytest.fixture(scope="module")
def reference_namespaces():
    """The namespace a student notebook with the reference answers would have after running."""
    spaces = {}
    for name, path in MASTERS.items():
        ns: dict = {}
        for cell in read_notebook(path).cells:
            role = cell_role(cell)
            if cell.cell_type != "code" or cell.get("id") == "check-all":
                continue
            if role is not None and role.kind in ("tests", "master_only"):
                continue
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                exec(compile(cell.source, f"<{name}>", "exec"), ns)
        spaces[name] = ns
    return spaces


def _grade(assignment, ns, question, seed, visibility="hidden"):
    """(score, points, messages) of one question's tests, judged as the grader does."""
    score = points = 0.0
    messages = []
    rng = np.random.default_rng(seed)
    for spec in assignment.tests_for(question, visibility):
        probes = spec.make_probes(rng)
        verdict = spec.judge(probes, [evaluate_probe(p, ns) for p in probes.expressions])
        score += verdict.score
        points += spec.points
        messages.append(verdict.message)
    return score, points, messages


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_reference_answers_earn_full_marks_for_every_seed(name, assignments, reference_namespaces):
    a = assignments[name]
    ns = reference_namespaces[name]
    for seed in range(10):
        for q in a.questions:
            if q.graded != "auto":
                continue
            for visibility in ("public", "hidden"):
                score, points, messages = _grade(a, ns, q.id, seed, visibility)
                assert score == pytest.approx(points), (q.id, seed, messages)


def test_hidden_inputs_change_with_the_seed(assignments):
    spec = assignments["02_gradient_descent_x2"].tests_for("q7", "hidden")[0]
    first = spec.make_probes(np.random.default_rng(1))
    assert spec.make_probes(np.random.default_rng(2)) != first
    assert spec.make_probes(np.random.default_rng(1)) == first


def test_a_diverging_run_with_warnings_as_errors_costs_nothing(assignments, reference_namespaces):
    a = assignments["02_gradient_descent_x2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score, points, messages = _grade(a, reference_namespaces["02_gradient_descent_x2"], "q9", 3)
    assert score == points, messages


# (assignment, question, wrong answer as notebook code, passes the public checks?)
WRONG = [
    # chapter 1
    ("01_learning_is_optimization", "q1", "x_crit = -3.0", True),  # sign
    ("01_learning_is_optimization", "q1", "x_crit = 6.0", True),  # factor 2
    ("01_learning_is_optimization", "q2", "kind_h_zero = 'minimum'", True),
    ("01_learning_is_optimization", "q3", "def grad_L(t1, t2): return [-0.875, -1.125]", True),
    (
        "01_learning_is_optimization",
        "q3",
        "def grad_L(t1, t2): return [t1 + 3*t2, 3*t1 + 2*t2]",
        False,
    ),
    ("01_learning_is_optimization", "q4", "answer_q4 = 'A'", True),
    (
        "01_learning_is_optimization",
        "q5",
        "def predicted_change(g, eta): return eta * float(np.dot(g, g))",
        False,
    ),
    ("01_learning_is_optimization", "q5", "def predicted_change(g, eta): return -0.2295", True),
    ("01_learning_is_optimization", "q6", "answer_q6 = 'D'", True),
    ("01_learning_is_optimization", "q7", "answer_q7 = 'A'", True),
    (
        "01_learning_is_optimization",
        "q8",
        "def ls_grad(w, X, y): return 2 * X.T @ (X @ w - y) / len(y)",  # the MSE's, no ½
        False,
    ),
    (
        "01_learning_is_optimization",
        "q8",
        "def ls_grad(w, X, y): return np.array([-1.85 / 3, -1.25 / 3])",
        True,
    ),
    (
        "01_learning_is_optimization",
        "q9",
        "def parabola_minimizer(a, b, c): return b / (2 * a)",
        False,
    ),
    ("01_learning_is_optimization", "q9", "def parabola_minimizer(a, b, c): return -b / a", False),
    ("01_learning_is_optimization", "q9", "def parabola_minimizer(a, b, c): return 0.90625", True),
    ("01_learning_is_optimization", "q11", "def exact_eta(a, b, c, x0): return 1 / a", False),
    ("01_learning_is_optimization", "q11", "def exact_eta(a, b, c, x0): return 0.3125", True),
    # chapter 2
    ("02_gradient_descent_x2", "q1", "x1 = 3.6", True),  # added the gradient
    ("02_gradient_descent_x2", "q2", "factor_b = 0.6", True),
    ("02_gradient_descent_x2", "q3", "def x_after(x0, eta, t): return (1 - eta) ** t * x0", False),
    (
        "02_gradient_descent_x2",
        "q3",
        "def x_after(x0, eta, t):\n"
        "    return {(1.5, 0.15, 3): 0.5145, (-2.5, 0.65, 3): 0.0675}.get((x0, eta, t), 0.0)",
        True,
    ),
    ("02_gradient_descent_x2", "q5", "eta_used = 0.6", True),
    ("02_gradient_descent_x2", "q6", "steps_needed = 2300", True),
    (
        "02_gradient_descent_x2",
        "q7",
        "def gradient_descent(grad, x0, eta, steps):\n"
        "    x = x0\n"
        "    for _ in range(steps):\n"
        "        x = x + eta * grad(x)\n"
        "    return x",
        False,
    ),
    (
        "02_gradient_descent_x2",
        "q7",
        "def gradient_descent(grad, x0, eta, steps):\n"
        "    x = x0\n"
        "    for _ in range(steps + 1):\n"
        "        x = x - eta * grad(x)\n"
        "    return x",
        False,
    ),
    (
        "02_gradient_descent_x2",
        "q7",
        "def gradient_descent(grad, x0, eta, steps):\n"
        "    if isinstance(x0, np.ndarray):\n"
        "        return np.array([0.343, -0.686])\n"
        "    return 0.5145 if x0 == 1.5 else 2.552",
        True,
    ),
    ("02_gradient_descent_x2", "q8", "eta_high = 2.0", True),
    ("02_gradient_descent_x2", "q8", "eta_fastest = 0.25", True),
    (
        "02_gradient_descent_x2",
        "q9",
        "def final_distances(etas, x0, steps): return [0.5145, 0.0405, 3.2955]\n"
        "def diverging(etas, x0, steps): return [1.075, -0.035, 1.315]",
        True,
    ),
    # chapter 3
    (
        "03_convexity",
        "q1",
        "def chord_gap(f, x, y, lam):\n"
        "    return f(lam * x + (1 - lam) * y) - lam * f(x) - (1 - lam) * f(y)",
        False,
    ),
    (
        "03_convexity",
        "q1",
        "def chord_gap(f, x, y, lam): return 2.8749 if lam == 0.3 else 1.0666539592195945",
        True,
    ),
    ("03_convexity", "q2", "kind_at_0 = 'minimum'", True),
    ("03_convexity", "q3", "answer_q3 = 'D'", True),
    ("03_convexity", "q4", "answer_q4 = 'C'", True),
    ("03_convexity", "q5", "ends_at = -1.0", True),
    ("03_convexity", "q6", "def is_psd(H): return bool(np.all(np.diag(H) >= 0))", False),
    (
        "03_convexity",
        "q6",
        "def is_psd(H): return bool(np.linalg.eigvalsh(np.asarray(H)).max() >= 0)",
        False,
    ),
    (
        "03_convexity",
        "q7",
        "_good = logistic_hessian\ndef logistic_hessian(w, X): return _good(w, X) * len(X)",
        False,
    ),
    (
        "03_convexity",
        "q7",
        "def logistic_hessian(w, X):\n"
        "    return [[0.20693829942385247, 0.09311340742136502],"
        " [0.09311340742136502, 0.358775401735389]]",
        True,
    ),
    (
        "03_convexity",
        "q8",
        "def gd_endpoints(starts, eta, steps): return [-1.0574537707, 0.9304029266]",
        True,
    ),
    ("03_convexity", "q9", "answer_q9 = 'D'", True),
]


@pytest.mark.parametrize(("name", "question", "wrong", "public_ok"), WRONG)
def test_wrong_but_plausible_answers_fail_the_hidden_tests(
    name, question, wrong, public_ok, assignments, reference_namespaces
):
    a = assignments[name]
    ns = dict(reference_namespaces[name])
    exec(wrong, ns)
    public_score, public_points, _ = _grade(a, ns, question, 0, "public")
    public_passed = all(
        spec.judge(probes, [evaluate_probe(p, ns) for p in probes.expressions]).passed
        for spec in a.tests_for(question, "public")
        for probes in [spec.make_probes(np.random.default_rng(0))]
    )
    assert public_passed == public_ok
    for seed in SEEDS:
        score, points, messages = _grade(a, ns, question, seed)
        assert points > 0 and score < points, (seed, messages)
        assert any(messages)


def test_hidden_feedback_never_shows_the_expected_value(assignments, reference_namespaces):
    a = assignments["02_gradient_descent_x2"]
    ns = dict(reference_namespaces["02_gradient_descent_x2"], eta_used=0.6, x1=3.6)
    for question, answer in [("q5", "1.2"), ("q1", "2.4")]:
        _, _, messages = _grade(a, ns, question, 0)
        assert messages and all(answer not in m for m in messages), messages


def test_hidden_descriptions_do_not_give_the_answer_away(assignments):
    from optcourse.assignment.specs import ChoiceSpec, ValueSpec

    for a in assignments.values():
        for spec in a.tests:
            if spec.visibility != "hidden":
                continue
            if isinstance(spec, ValueSpec) and isinstance(spec.expected, (int, float)):
                found = re.findall(r"[−-]?\d+(?:\.\d+)?", spec.describe)
                signed = [float(n.replace("−", "-")) for n in found]  # a Unicode minus too
                numbers = signed + [abs(x) for x in signed]  # "x-1" must still show the 1
                assert spec.expected not in numbers, (spec.name, spec.describe)
            if isinstance(spec, ChoiceSpec) and spec.answer and len(spec.answer) > 1:
                assert spec.answer not in spec.describe.casefold(), (spec.name, spec.describe)
