"""Feedback a student can act on, and each question graded on its own (issue 14).

A miss far off says "wrong value", a near miss "close, but not within the tolerance"; a wrong
length does not give the length away; a one-element list is not a number; a detected slip shows
its hint (and only then); ``unchanged=True`` catches a call that modifies its input; a time limit
names the requirement it tests; SymPy numbers are numbers; a question that ``uses`` an earlier
one is graded with the master's answer to it (slow part: real kernels).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from optcourse.assignment.checks import Recorder
from optcourse.assignment.master import load_assignment
from optcourse.assignment.session import evaluate_probe
from optcourse.assignment.specs import Code, ProbeError, TestSpec
from optcourse.assignment.values import compare
from optcourse.grading.grade import grade_submission
from optcourse.grading.kernel import KernelLimits

# ----------------------------------------------------------------------------- the wording


@pytest.mark.parametrize(
    ("got", "want", "words"),
    [
        (3.6, 2.4, "wrong value"),
        (2.41, 2.4, "close, but not within the tolerance"),
        (-2.4, 2.4, "wrong value"),
        (2302, 2301, "wrong value"),  # a count off by one is wrong, not imprecise
        ([1.0, 2.5], [1.0, 2.0], "1 of 2 entries are wrong"),
        ([1.0, 2.001], [1.0, 2.0], "1 of 2 entries are close, but not within the tolerance"),
    ],
)
def test_a_far_miss_is_wrong_and_a_near_miss_is_close(got, want, words):
    message = compare(got, want, atol=1e-9, rtol=1e-9)
    assert message is not None and message.startswith(words), message
    assert "2.4" not in message.replace(str(got), "")  # the expected value is not shown


def test_a_float32_answer_is_told_to_keep_full_precision():
    from optcourse.plain import to_plain

    got = to_plain(np.float32(0.1) * np.float32(3))
    message = compare(got, 0.3, atol=1e-12, rtol=1e-12)
    assert message is not None and "float64, not float32" in message


def test_a_wrong_length_says_so_without_the_expected_length():
    hidden = compare([1.0, 2.0, 3.0], [1.0, 2.0], atol=1e-9, rtol=1e-9)
    assert hidden == "it has 3 entries, which is not the expected length"
    public = compare([1.0, 2.0, 3.0], [1.0, 2.0], atol=1e-9, rtol=1e-9, reveal=True)
    assert public is not None and "expected 2 entries, got 3" in public


def test_a_one_element_list_is_not_a_number():
    message = compare([2.4], 2.4)
    assert message is not None and "take the number out of the list" in message
    assert compare(np.float64(2.4).tolist(), 2.4) is None
    recorder = Recorder()
    spec = recorder.check_number("q1", "x1")
    verdict = spec.judge(spec.make_probes(np.random.default_rng(0)), [[2.4]])
    assert not verdict.passed and "list of 1" in verdict.message


def test_sympy_numbers_are_numbers():
    sympy = pytest.importorskip("sympy")
    recorder = Recorder()
    spec = recorder.check_value("q1", "x", expected=1 / 3, atol=1e-12, points=1)
    probes = spec.make_probes(np.random.default_rng(0))
    value = evaluate_probe("x", {"x": sympy.Rational(1, 3)})
    assert spec.judge(probes, [value]).passed
    symbolic = evaluate_probe("x", {"x": sympy.Symbol("t") + 1})
    assert isinstance(symbolic, ProbeError) and "expression in t" in symbolic.message


# ----------------------------------------------------------------------------- slips


def _judge_call(spec: TestSpec, namespace: dict) -> str:
    probes = spec.make_probes(np.random.default_rng(0))
    values = [evaluate_probe(e, {"np": np, **namespace}) for e in probes.expressions]
    verdict = spec.judge(probes, values)
    return "" if verdict.passed else verdict.message


def test_a_detected_slip_shows_its_hint_and_only_then():
    recorder = Recorder()
    spec = recorder.check_value(
        "q1", "x1", expected=2.4, atol=1e-9, slips=[(3.6, "the step goes against the gradient")]
    )
    probes = spec.make_probes(np.random.default_rng(0))
    assert "Hint: the step goes against the gradient" in spec.judge(probes, [3.6]).message
    assert "Hint" not in spec.judge(probes, [1.7]).message
    assert spec.judge(probes, [2.4]).passed


def test_a_tempting_wrong_choice_gets_its_hint():
    recorder = Recorder()
    spec = recorder.check_choice(
        "q4", "answer_q4", answer="B", slips={"D": "adding the gradient keeps the sign"}
    )
    probes = spec.make_probes(np.random.default_rng(0))
    assert "Hint: adding the gradient keeps the sign" in spec.judge(probes, ["(d)"]).message
    assert "Hint" not in spec.judge(probes, ["A"]).message
    with pytest.raises(ValueError, match="not one of the choices"):
        recorder.check_choice("q4", "a", answer="B", slips={"E": "no such option"})


def test_a_function_slip_is_recognised_on_the_cases_it_explains():
    recorder = Recorder()
    spec = recorder.check_call(
        "q3",
        "step",
        cases=lambda rng: [(round(float(x), 3), 0.1) for x in rng.uniform(1, 5, size=4)],
        reference=lambda x, eta: x - eta * 2 * x,
        slips=[(lambda x, eta: x + eta * 2 * x, "subtract the gradient, do not add it")],
        points=2,
        hidden=True,
    )
    added = _judge_call(spec, {"step": lambda x, eta: x + eta * 2 * x})
    assert "Hint: subtract the gradient" in added
    halved = _judge_call(spec, {"step": lambda x, eta: x - eta * x})
    assert halved and "Hint" not in halved
    assert _judge_call(spec, {"step": lambda x, eta: x - eta * 2 * x}) == ""


def test_a_slip_that_modifies_its_input_does_not_change_the_case():
    def sloppy_reference(x):
        x *= 2  # a slip written carelessly: it must not alter the drawn case
        return x

    recorder = Recorder()
    spec = recorder.check_call(
        "q1",
        "double",
        cases=[(np.array([1.0, 2.0]),)],
        expected=[[2.0, 4.0]],
        slips=[(sloppy_reference, "never shown: this slip is the right answer")],
    )
    assert _judge_call(spec, {"double": lambda x: 2 * x}) == ""
    assert spec.cases[0][0].tolist() == [1.0, 2.0]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ stated requirements


def test_unchanged_catches_a_call_that_modifies_its_input():
    recorder = Recorder()
    spec = recorder.check_call(
        "q7",
        "descend",
        cases=[(Code("lambda x: 2 * x"), np.array([1.0, -2.0]), 0.1, 3)],
        expected=[[0.512, -1.024]],
        unchanged=True,
        requirement="not in place",
    )

    def in_place(grad, x, eta, steps):
        for _ in range(steps):
            x -= eta * grad(x)
        return x

    def copying(grad, x, eta, steps):
        for _ in range(steps):
            x = x - eta * grad(x)
        return x

    message = _judge_call(spec, {"descend": in_place})
    assert "changed its argument number 2 in place" in message
    assert _judge_call(spec, {"descend": copying}) == ""


def test_a_timeout_names_the_requirement_it_tests():
    recorder = Recorder()
    spec = recorder.check_call(
        "q3",
        "x_after",
        cases=[(1.0, 0.25, 10**9)],
        expected=[0.0],
        time_limit=1.0,
        requirement="without a loop",
    )
    probes = spec.make_probes(np.random.default_rng(0))
    assert probes.time_limit == 1.0
    verdict = spec.judge(probes, [ProbeError("Timeout", "it ran longer than 1 s")])
    assert "the question asks for it without a loop" in verdict.message
    with pytest.raises(ValueError, match="time_limit"):
        recorder.check_call("q3", "f", cases=[(1,)], expected=[1], time_limit=0)


def test_slips_must_be_pairs_with_a_hint():
    recorder = Recorder()
    with pytest.raises(ValueError, match="hint"):
        recorder.check_value("q1", "x", expected=1.0, slips=[(2.0, "")])
    with pytest.raises(ValueError, match="wrong function"):
        recorder.check_call("q1", "f", cases=[(1,)], expected=[1], slips=[(2.0, "a hint")])


# --------------------------------------------------- each question graded on its own (kernels)


def _master(folder: Path) -> Path:
    """A three-question master: q2 uses q1, q3 uses q2 (and so q1)."""
    cells = [
        (
            "markdown",
            "### Q1 (A, 1 point)\n\nWrite `double(x)` returning a number.",
            {"question": "q1", "points": 1, "level": "A"},
        ),
        (
            "code",
            "def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION",
            {"solution": "q1"},
        ),
        (
            "code",
            "check_call('q1', 'double', cases=lambda rng: [(float(rng.uniform(1, 9)),)],"
            " reference=lambda x: 2 * x, points=1, hidden=True)",
            {"tests": "q1", "visibility": "hidden"},
        ),
        (
            "markdown",
            "### Q2 (A, 1 point)\n\nWrite `quadruple(x)` with `double`.",
            {"question": "q2", "points": 1, "level": "A", "uses": ["q1"]},
        ),
        (
            "code",
            "def quadruple(x):\n    # BEGIN SOLUTION\n    return double(double(x))\n"
            "    # END SOLUTION",
            {"solution": "q2"},
        ),
        (
            "code",
            "check_call('q2', 'quadruple', cases=lambda rng: [(float(rng.uniform(1, 9)),)],"
            " reference=lambda x: 4 * x, points=1, hidden=True)",
            {"tests": "q2", "visibility": "hidden"},
        ),
        (
            "markdown",
            "### Q3 (A, 1 point)\n\nWrite `octuple(x)` with `quadruple`.",
            {"question": "q3", "points": 1, "level": "A", "uses": ["q2"]},
        ),
        (
            "code",
            "def octuple(x):\n    # BEGIN SOLUTION\n    return 2 * quadruple(x)\n"
            "    # END SOLUTION",
            {"solution": "q3"},
        ),
        (
            "code",
            "check_call('q3', 'octuple', cases=lambda rng: [(float(rng.uniform(1, 9)),)],"
            " reference=lambda x: 8 * x, points=1, hidden=True)",
            {"tests": "q3", "visibility": "hidden"},
        ),
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["optcourse"] = {"assignment": "00_uses", "version": "1", "title": "uses"}
    for kind, source, meta in cells:
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(source, metadata={"optcourse": meta}))
    nb.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            "from optcourse.exercise import check_call",
            metadata={"optcourse": {"master_only": True}},
        ),
    )
    path = folder / "master" / "00_uses.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path


def _scores(result) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in result.tests:
        out[t.question] = out.get(t.question, 0.0) + t.score
    return out


def test_a_slip_in_a_used_answer_is_charged_once(tmp_path):
    master = _master(tmp_path)
    assignment = load_assignment(master)
    assert [q.uses for q in assignment.questions] == [(), ("q1",), ("q2",)]
    nb = nbformat.read(master, as_version=4)
    nb.cells[2].source = "def double(x):\n    return 3 * x"  # the slip, in q1 only
    nb.cells[5].source = "def quadruple(x):\n    return double(double(x))"
    nb.cells[8].source = "def octuple(x):\n    return 2 * quadruple(x)"
    submission = tmp_path / "student.ipynb"
    nbformat.write(nb, submission)
    limits = KernelLimits(cell_timeout=20, total_timeout=60)
    result = grade_submission(submission, assignment, limits=limits, seed=3)
    assert _scores(result) == {"q1": 0.0, "q2": 1.0, "q3": 1.0}, result.tests
    # without the declaration the slip costs all three questions
    raw = nbformat.read(master, as_version=4)
    for cell in raw.cells:
        cell.metadata.get("optcourse", {}).pop("uses", None)
    nbformat.write(raw, master)
    charged = grade_submission(submission, load_assignment(master), limits=limits, seed=3)
    assert _scores(charged) == {"q1": 0.0, "q2": 0.0, "q3": 0.0}


def test_uses_must_name_an_earlier_question(tmp_path):
    master = _master(tmp_path)
    nb = nbformat.read(master, as_version=4)
    nb.cells[4].metadata["optcourse"]["uses"] = ["q3"]
    nbformat.write(nb, master)
    with pytest.raises(ValueError, match="uses 'q3', which is not a question declared before"):
        load_assignment(master)


def test_a_probe_time_limit_stops_a_loop_but_not_a_closed_form():
    from optcourse.grading.kernel import Kernel

    loop = (
        "def x_after(x0, eta, t):\n    for _ in range(t):\n"
        "        x0 = (1 - 2 * eta) * x0\n    return x0"
    )
    with Kernel(limits=KernelLimits(cell_timeout=20, total_timeout=60)) as kernel:
        assert kernel.execute(loop).ok
        start = time.monotonic()
        reply = kernel.probe("x_after(1.0, 5e-11, 10**9)", 1.0)
        assert not reply.ok and reply.kind == "timeout" and "longer than 1 s" in reply.error
        assert time.monotonic() - start < 10
        assert kernel.execute("def x_after(x0, eta, t):\n    return (1 - 2 * eta) ** t * x0").ok
        value = kernel.probe("x_after(1.0, 5e-11, 10**9)", 1.0).value
        assert value == pytest.approx(np.exp(-0.1), rel=1e-6)


# ------------------------------------------ "without the library": probes with the library blocked

_OPTIMIZERS = "without the library's optimizers"
_LIBRARY_LOOP = (
    "import numpy as np\n"
    "from optcourse.optimizers import SGD as S\n"
    "def descend(grad, x0, lr, steps):\n"
    "    opt = S(lr=lr, momentum=0.5)\n"
    "    x = np.array(x0, dtype=float)\n"
    "    for _ in range(steps):\n"
    "        x = opt.step(x, grad(x))\n"
    "    return x"
)
_BY_HAND = (
    "import numpy as np\n"
    "def descend(grad, x0, lr, steps):\n"
    "    x, b = np.array(x0, dtype=float), None\n"
    "    for _ in range(steps):\n"
    "        g = grad(x)\n"
    "        b = g if b is None else 0.5 * b + g\n"
    "        x = x - lr * b\n"
    "    return x"
)


def _heavy_ball(grad, x0, lr, steps):
    from optcourse.optimizers import SGD

    opt, x = SGD(lr=lr, momentum=0.5), np.array(x0, dtype=float)
    for _ in range(steps):
        x = opt.step(x, grad(x))
    return x


def _without_spec(**options) -> TestSpec:
    return Recorder().check_call(
        "q4",
        "descend",
        cases=[(Code("lambda x: 3 * x - 1"), np.array([1.0, -2.0]), 0.1, 5)],
        reference=lambda grad, x0, lr, steps: (
            _heavy_ball(grad.evaluate(), x0, lr, steps)
            if isinstance(grad, Code)
            else _heavy_ball(grad, x0, lr, steps)
        ),
        requirement=_OPTIMIZERS,
        **options,
    )


def _kernel_verdict(kernel, spec: TestSpec, timeout: float | None = None):
    from optcourse.grading.grade import _to_value

    probes = spec.make_probes(np.random.default_rng(0))
    values = [_to_value(kernel.probe(e, timeout)) for e in probes.expressions]
    return spec.judge(probes, values)


_RESTORED = "S(lr=0.1).step(np.array([1.0]), np.array([2.0])).tolist()"


def test_without_fails_a_library_call_in_a_kernel_and_restores_the_library():
    from optcourse.grading.kernel import Kernel

    spec = _without_spec(without=("optimizers",))
    with Kernel(limits=KernelLimits(cell_timeout=20, total_timeout=60)) as kernel:
        assert kernel.execute(_LIBRARY_LOOP).ok
        assert _kernel_verdict(kernel, _without_spec()).passed  # the library answer is right
        verdict = _kernel_verdict(kernel, spec)
        assert not verdict.passed and verdict.score == 0.0
        assert "used the library's `SGD.step`" in verdict.message  # the alias S was caught
        assert f"the question asks for it {_OPTIMIZERS}" in verdict.message
        assert kernel.probe(_RESTORED).value == pytest.approx([0.8])  # restored afterwards
        assert kernel.execute(_BY_HAND).ok
        assert _kernel_verdict(kernel, spec).passed, "the answer written out passes"


def test_without_catches_minimize_a_caught_error_and_schedules():
    from optcourse.grading.kernel import Kernel

    minimize_answer = (
        "from optcourse import minimize as run\n"
        "from optcourse.objectives import Quadratic\n"
        "def f(n):\n"
        "    return run(Quadratic(np.eye(2)), np.ones(2), S(lr=0.1), max_iter=n).x"
    )
    hiding = (
        "def g(n):\n"
        "    try:\n"
        "        return S(lr=0.1).step(np.ones(2), np.ones(2))\n"
        "    except Exception:\n"
        "        return np.zeros(2)"
    )
    schedule = "from optcourse.schedules import WarmupCosine as W\nh = lambda t: W(1.0, 2, 10)(t)"
    recorder = Recorder()
    with Kernel(limits=KernelLimits(cell_timeout=20, total_timeout=60)) as kernel:
        for source in (_LIBRARY_LOOP, minimize_answer, hiding, schedule):
            assert kernel.execute(source).ok, source
        for name, part, words in (
            ("f", "optimizers", "the question asks for it without the library's optimizers"),
            ("g", "optimizers", "the question asks for it without the library's optimizers"),
            ("h", "schedules", "the question asks for it without the library's schedules"),
        ):
            requirement = words.removeprefix("the question asks for it ")
            spec = recorder.check_call(
                "q1", name, cases=[(3,)], expected=[0.0], without=part, requirement=requirement
            )
            verdict = _kernel_verdict(kernel, spec)
            assert not verdict.passed and words in verdict.message, (name, verdict.message)
        assert kernel.probe("h(3)").value == pytest.approx((1 + np.cos(np.pi / 8)) / 2)  # restored
        assert kernel.probe(_RESTORED).value == pytest.approx([0.8])


def test_without_restores_the_library_after_a_timeout():
    from optcourse.grading.kernel import Kernel

    spin = "def spin(n):\n    while True:\n        n += 1"
    spec = Recorder().check_call(
        "q1", "spin", cases=[(1,)], expected=[0], without=("optimizers",), requirement=_OPTIMIZERS
    )
    with Kernel(limits=KernelLimits(cell_timeout=20, total_timeout=60)) as kernel:
        assert kernel.execute(_LIBRARY_LOOP).ok and kernel.execute(spin).ok
        verdict = _kernel_verdict(kernel, spec, timeout=1.0)
        assert not verdict.passed and "did not finish" in verdict.message
        assert kernel.alive
        assert kernel.probe(_RESTORED).value == pytest.approx([0.8])


def test_without_needs_a_known_part_and_a_requirement():
    recorder = Recorder()
    with pytest.raises(ValueError, match="requirement"):
        recorder.check_call("q1", "f", cases=[(1,)], expected=[1], without=("optimizers",))
    with pytest.raises(ValueError, match="'optimizers', 'schedules'"):
        recorder.check_call(
            "q1", "f", cases=[(1,)], expected=[1], without=("numpy",), requirement="without"
        )


def test_without_blocks_the_library_classes_but_not_a_students_own_step():
    from optcourse.assignment.without import LibraryUsed, call_without
    from optcourse.optimizers import SGD
    from optcourse.optimizers.base import Optimizer

    class Written(Optimizer):  # the student's own step: allowed
        def step(self, params, grad, lr=None):
            return params - self.lr * grad

    class Inherited(SGD):  # the library's step under another name: blocked
        pass

    one = np.ones(1)
    assert call_without(("optimizers",), _OPTIMIZERS, lambda: Written(0.5).step(one, one)) == 0.5
    with pytest.raises(LibraryUsed, match="`Inherited.step`: the question asks for it without"):
        call_without(("optimizers",), _OPTIMIZERS, lambda: Inherited(0.5).step(one, one))
    assert Inherited(0.5).step(one, one) == 0.5  # restored
    saved = SGD.step  # a reference taken before the check still reaches the blocked _update
    with pytest.raises(LibraryUsed, match="`SGD._update`"):
        call_without(("optimizers",), _OPTIMIZERS, lambda: saved(SGD(0.5), one, one))


def test_without_blocks_in_the_notebook_too():
    """``optcourse check`` and the test cells evaluate the same probe in the notebook."""
    spec = _without_spec(without=("optimizers",))
    message = _judge_call(spec, {"descend": _heavy_ball})
    assert f"used the library's `SGD.step`: the question asks for it {_OPTIMIZERS}" in message
    assert _judge_call(_without_spec(), {"descend": _heavy_ball}) == ""  # the library is back
