"""The check API of exercise notebooks (optcourse.exercise): plain values, comparison, specs.

The notebook mode is the facade's session; the recording mode is a :class:`Recorder` passed
around as a value (``optcourse.assignment.checks``)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import warnings

import numpy as np
import pytest

from optcourse import exercise
from optcourse.assignment.checks import Recorder
from optcourse.assignment.specs import Probes
from optcourse.exercise import (
    Code,
    ProbeError,
    Verdict,
    check_number,
    check_value,
    compare,
    evaluate_probe,
    to_plain,
)


@pytest.fixture
def user_ns(monkeypatch):
    """Run checks in "notebook mode" against this dict instead of the IPython namespace."""
    ns: dict = {"np": np}
    monkeypatch.setattr(exercise.session, "namespace", lambda: ns)
    monkeypatch.setattr(exercise.session, "results", {})
    return ns


def _printed(fn, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args, **kwargs)
    return out.getvalue()


# ---------------------------------------------------------------------------- plain values


def test_to_plain_converts_numpy_and_containers():
    value = (np.float64(1.5), np.int64(3), np.bool_(True), np.array([[1, 2], [3, 4]]), {"a": None})
    assert to_plain(value) == [1.5, 3, True, [[1, 2], [3, 4]], {"a": None}]
    assert type(to_plain(np.float32(2.0))) is float
    assert math.isnan(to_plain(np.nan))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (lambda x: x, "function"),
        (1 + 2j, "complex"),
        (np.zeros(1_000_001), "too many"),  # the limit of optcourse.plain, as in the grader
        (object(), "object"),
    ],
)
def test_to_plain_rejects_non_data_with_a_reason(value, words):
    with pytest.raises(TypeError, match=words):
        to_plain(value)


def test_evaluate_probe_reports_placeholder_name_and_student_errors():
    ns = {"a": ..., "b": 2, "f": lambda: 1 / 0}
    assert evaluate_probe("b * 2", ns) == 4
    assert evaluate_probe("a", ns).kind == "Unanswered"
    assert evaluate_probe("missing", ns).kind == "NameError"
    assert evaluate_probe("f()", ns).kind == "ZeroDivisionError"
    assert evaluate_probe("f", ns).kind == "NotPlainError"  # a TypeError, as in the grader


def test_evaluate_probe_silences_overflow_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = evaluate_probe("np.float64(1e308) * np.float64(10.0)", {"np": np})
    assert value == math.inf


def test_run_test_cell_prints_one_json_line_of_public_verdicts(user_ns):
    user_ns.update(x=1.0, y=...)
    source = (
        'check_number("q1", "x")\ncheck_number("q1", "y")\n'
        'check_value("q1", "x", expected=2, hidden=True)'
    )
    line = _printed(exercise.run_test_cell, source).strip()
    assert line.startswith(exercise.REPORT_MARKER)
    verdicts = json.loads(line[len(exercise.REPORT_MARKER) :])
    assert [v["passed"] for v in verdicts] == [True, False]  # hidden checks are not run
    assert "replace the `...`" in verdicts[1]["message"]
    broken = _printed(exercise.run_test_cell, "check_number(").strip()
    assert "SyntaxError" in json.loads(broken[len(exercise.REPORT_MARKER) :])["error"]


# ---------------------------------------------------------------------------- comparison


def test_compare_numbers_with_tolerance():
    assert compare(1.0 + 1e-10, 1.0) is None
    assert "take the number out" in compare([1.0], 1.0)  # a one-element list is not a number
    assert compare(float("nan"), float("nan")) is None
    assert compare(math.inf, math.inf) is None
    assert compare(-math.inf, math.inf) is not None
    problem = compare(1.1, 1.0, atol=1e-3, rtol=0)
    assert problem is not None and "1.0" not in problem.replace("1.1", "")


@pytest.mark.parametrize(
    ("got", "want", "words"),
    [
        ([1, 2, 3], 1.0, "expected a number, got a list of 3"),
        ("1.0", 1.0, "expected a number, got a string"),
        (None, [1.0, 2.0], "expected a list of 2 numbers, got None"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], "it has 3 entries, which is not the expected length"),
        ([[1.0, 2.0]], [1.0, 2.0], "shape (1, 2) is not the expected shape"),
        (True, 1.0, "expected a number"),
        (1, "minimum", "expected a string"),
        ("yes", True, "expected True or False"),
    ],
)
def test_compare_says_what_is_wrong_with_the_form(got, want, words):
    assert words in compare(got, want)


def test_compare_diverged_runs_match_each_other_only():
    assert compare([math.nan, 1e9, 0.1], [math.inf, math.inf, 0.1], diverged=1e6) is None
    assert compare([0.5], [math.inf], diverged=1e6) is not None
    assert compare([math.inf], [0.5], diverged=1e6) is not None


def test_compare_reveals_expected_only_when_asked():
    assert "3.0" not in compare(2.0, 3.0)
    assert "expected 3.0" in compare(2.0, 3.0, reveal=True)
    assert "(2,)" not in compare([1.0], [1.0, 2.0])
    assert "expected 2 entries, got 1" in compare([1.0], [1.0, 2.0], reveal=True)


# ---------------------------------------------------------------------------- specs


def test_recording_mode_evaluates_nothing(user_ns):
    recorder = Recorder()
    out = _printed(
        recorder.check_value, "q1", "undefined_name", expected=1.0, points=2, hidden=True
    )
    recorder.check_choice("q2", "answer", choices="ABC")
    specs = recorder.specs
    assert out == "" and exercise.session.results == {}
    assert [s.question for s in specs] == ["q1", "q2"]
    assert specs[0].visibility == "hidden" and specs[0].points == 2.0
    assert specs[1].make_probes(np.random.default_rng(0)).expressions == ("answer",)


def test_specs_are_immutable_values():
    spec = Recorder().check_value("q1", "x", expected=np.float64(1.5), points=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.points = 5.0  # type: ignore[misc]
    renamed = spec.named("q1.public.2")
    assert (renamed.name, spec.name, renamed.expected) == ("q1.public.2", "q1.public", 1.5)
    assert type(renamed.expected) is float


def test_public_check_in_notebook_prints_and_never_raises(user_ns):
    user_ns["x_star"] = 2.0
    assert _printed(check_value, "q1", "x_star", expected=2.0).strip() == "q1 [public] passed"
    user_ns["x_star"] = ...
    line = _printed(check_value, "q1", "x_star", expected=2.0)
    assert line.startswith("q1 [public] failed:") and "replace the `...`" in line
    assert "2.0" not in line


def test_hidden_check_in_notebook_raises_on_failure(user_ns):
    user_ns["x_star"] = 3.0
    with pytest.raises(AssertionError, match="hidden test failed"):
        _printed(check_value, "q1", "x_star", expected=2.0, hidden=True)


def test_assert_all_passed_sees_public_failures(user_ns):
    user_ns["v"] = "oops"
    _printed(check_number, "q1", "v")
    with pytest.raises(AssertionError, match="q1"):
        exercise.assert_all_passed()


def test_number_and_choice_forms():
    def judge(spec, value):
        return spec.judge(spec.make_probes(np.random.default_rng(0)), [value])

    recorder = Recorder()
    number = recorder.check_number("q1", "n", low=0, integer=True)
    choice = recorder.check_choice("q2", "c", answer="b", choices="abcd", points=1, hidden=True)
    assert judge(number, 3).passed and not judge(number, [3.0]).passed
    assert "whole number" in judge(number, 2.5).message
    assert "should be at least 0, but it is -1" in judge(number, -1).message
    assert "finite" in judge(number, math.inf).message
    assert judge(choice, " (B) ") == Verdict(1.0, True, "")
    wrong = judge(choice, "C")
    assert wrong.score == 0 and "not the right choice" in wrong.message
    assert "should be one of 'a', 'b'" in judge(choice, "E").message


def test_call_spec_draws_cases_from_rng_and_gives_partial_credit():
    spec = Recorder().check_call(
        "q3",
        "f",
        cases=lambda rng: (
            [(round(float(rng.uniform(1, 2)), 3), Code("lambda t: 2 * t"))] * 2
            + [(5.0, Code("abs"))]
        ),
        reference=lambda a, g: g(a),
        points=3,
        hidden=True,
    )
    probes = spec.make_probes(np.random.default_rng(1))
    again = spec.make_probes(np.random.default_rng(1))
    other = spec.make_probes(np.random.default_rng(2))
    assert probes == again and probes != other
    assert probes.expressions[0].startswith("f(") and "lambda t: 2 * t" in probes.expressions[0]
    assert len(probes.cases) == 3 and probes.cases[2] == (5.0, Code("abs"))
    spec.make_probes(np.random.default_rng(2))  # drawing again changes nothing for `probes`
    ns = {"f": lambda a, g: g(a)}
    values = [evaluate_probe(p, ns) for p in probes.expressions]
    assert spec.judge(probes, values).score == 3.0
    verdict = spec.judge(probes, [values[0], values[1], ProbeError("ValueError", "bad")])
    assert not verdict.passed and verdict.score == pytest.approx(2.0)
    assert "2 of 3 cases passed (cases the notebook never used)" in verdict.message


def test_call_spec_protects_its_protocol():
    recorder = Recorder()
    spec = recorder.check_call("q3", "f", cases=lambda rng: [(1,)], reference=abs, hidden=True)
    other = recorder.check_value("q4", "x", expected=1)
    with pytest.raises(ValueError, match="the probes this spec made"):
        spec.judge(other.make_probes(np.random.default_rng(0)), [1])
    with pytest.raises(ValueError, match="the probes this spec made"):
        spec.judge(["f(1)"], [1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="carry no drawn cases"):
        spec.judge(Probes(spec.name, ("f(1)",)), [1])
    probes = spec.make_probes(np.random.default_rng(0))
    assert spec.judge(probes, [1]).passed
    with pytest.raises(ValueError, match="expected 1 probe values, got 2"):
        spec.judge(probes, [1, 1])


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda r: r.check_choice("q1", "a", answer="E", choices="ABCD"), "not one of the"),
        (lambda r: r.check_call("q1", "f", cases=[(1,)]), "exactly one of"),
        (lambda r: r.check_call("q1", "f", cases=[(1,)], expected=[1, 2]), "2 entries for 1"),
        (lambda r: r.check_call("q1", "f(", cases=[(1,)], expected=[1]), "name of a function"),
        (lambda r: r.check_value("q1", "x", expected=1, points=-1), "points"),
        (lambda r: r.check_value("", "x", expected=1), "question"),
        (lambda r: Code("  "), "non-empty"),
    ],
)
def test_bad_check_declarations_raise_clear_errors(call, words):
    with pytest.raises(ValueError, match=words):
        call(Recorder())


def test_array_and_special_arguments_become_source_text():
    spec = Recorder().check_call(
        "q1", "f", cases=[(np.array([1.0, 2.0]), math.inf, "s", None)], expected=[0]
    )
    (probe,) = spec.make_probes(np.random.default_rng(0)).expressions
    assert probe == "f(np.array([1.0, 2.0]), float('inf'), 's', None)"
    assert eval(probe.replace("f(", "(lambda *a: a)("), {"np": np})[1] == math.inf


def test_check_all_runs_the_public_checks_of_a_notebook_file(user_ns, tmp_path):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "exercises" / "02_gradient_descent_x2.ipynb"
    user_ns.update(x1=2.4, factor_a=0.3, factor_b="0.6")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert exercise.check_all(path) is False
    text = out.getvalue()
    assert "q1" in text and "passed" in text
    assert "`factor_b` should be a number, but it is a string" in text
    assert "hidden tests" in text and "Public checks passed for 1 of" in text
    user_ns.clear()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert exercise.check_all() is False  # no path: the checks already run (here: the above)
    assert "Public checks passed for 0 of" in out.getvalue()
