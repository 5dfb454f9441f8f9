"""The one value boundary, optcourse.plain: its rules, and the same verdict in notebook and grader.

The notebook's feedback (``optcourse.exercise.evaluate_probe``, used by the test cells and
``optcourse check``) and the grader (a probe in an isolated kernel, turned into a value by
``optcourse.grading.grade``) are fed the same expressions and must produce the same plain value,
or the same refusal with the same message.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optcourse import plain
from optcourse.assignment.values import ProbeError, probe_problem
from optcourse.exercise import evaluate_probe
from optcourse.grading import probe as kernel_probe
from optcourse.grading.grade import _to_value
from optcourse.grading.kernel import Kernel, KernelLimits
from optcourse.plain import MAX_ITEMS, NotPlainError, Unanswered, to_plain

# ------------------------------------------------------------------------- the rules themselves


def test_plain_data_and_numpy_become_python_values():
    value = (np.float64(1.5), np.int64(3), np.bool_(True), np.array([[1, 2], [3, 4]]), {"a": None})
    assert to_plain(value) == [1.5, 3, True, [[1, 2], [3, 4]], {"a": None}]
    assert type(to_plain(np.float32(2.5))) is float and type(to_plain(np.uint8(7))) is int
    assert to_plain(np.longdouble(1.5)) == 1.5 and type(to_plain(np.longdouble(1.5))) is float
    assert to_plain(np.array([1.5], dtype=np.longdouble)) == [1.5]
    assert math.isnan(to_plain(float("nan"))) and to_plain(-math.inf) == -math.inf


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({1: 2.0}, "a dict key has type int; expected str"),
        (1 + 2j, "it is a complex number"),
        (np.array([1j]), "it is an array of dtype complex128"),
        (np.array(["a"]), "it is an array of dtype <U1"),
        (np.array([None]), "it is an array of dtype object"),
        (np.datetime64("2020-01-01"), "it is a numpy scalar of dtype datetime64"),
        ({1, 2}, "it has type set"),
        (lambda x: x, "it has type function"),
        (2**4096, "it is an integer of more than 4096 bits"),
        ("x" * (plain.MAX_STR + 1), "it is a string longer than"),
        (np.zeros(MAX_ITEMS), "it has more than 1000000 elements"),
        ([0] * MAX_ITEMS, "it has more than 1000000 elements"),
    ],
)
def test_what_is_refused_and_why(value, words):
    with pytest.raises(NotPlainError) as info:
        to_plain(value)
    assert str(info.value).startswith(words)
    assert isinstance(info.value, TypeError)


def test_limits_are_inclusive():
    assert len(to_plain(np.zeros(MAX_ITEMS - 1))) == MAX_ITEMS - 1  # the array itself counts one
    assert to_plain(2**4096 - 1) == 2**4096 - 1
    deep: Any = 0
    for _ in range(plain.MAX_DEPTH):
        deep = [deep]
    to_plain(deep)
    with pytest.raises(NotPlainError, match="nested more than 32 levels"):
        to_plain([deep])


def test_the_placeholder_is_unanswered_wherever_it_is():
    with pytest.raises(Unanswered, match=r"^it is still `\.\.\.`"):
        to_plain(...)
    with pytest.raises(Unanswered, match=r"^it still contains `\.\.\.`"):
        to_plain({"x": [1.0, ...]})


def test_subclasses_are_read_for_what_they_store():
    class Liar(float):
        def __float__(self) -> float:
            return 42.0

    class FakeList(list):
        def __iter__(self):
            return iter([42])

    class FakeArray(np.ndarray):
        def tolist(self):
            return 42

    assert to_plain(Liar(2.5)) == 2.5 and to_plain(FakeList([1])) == [1]
    assert to_plain(np.array([1.0]).view(FakeArray)) == [1.0]


def test_the_boundary_module_uses_only_the_standard_library():
    tree = ast.parse(Path(plain.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "sys", "typing"}


def test_the_kernel_program_carries_the_boundary_source():
    program = kernel_probe.kernel_program()
    assert repr(Path(plain.__file__).read_text(encoding="utf-8")) in program
    assert kernel_probe.to_plain is plain.to_plain  # the grader's process: the same function
    compile(program, "<kernel>", "exec")


# ------------------------------------------------- the same inputs through notebook and grader

SETUP = """
from decimal import Decimal
from fractions import Fraction

import numpy as np

class FakeList(list):
    def __iter__(self):
        return iter([42])

class Arr(np.ndarray):
    def tolist(self):
        return 42

def deep(n):
    out = 0
    for _ in range(n):
        out = [out]
    return out

big = np.zeros(200_000)
"""

EXPRESSIONS = [
    "{1: 2.0}",
    "{'1': 2.0}",
    "big",
    "np.zeros(1_000_001)",
    "...",
    "[1.0, ...]",
    "np.float32(0.1)",
    "np.int64(-3)",
    "np.bool_(False)",
    "np.arange(6.0).reshape(2, 3)",
    "(1, 2.5, None, True, 'text')",
    "{'a': {'b': np.arange(3)}}",
    "[float('nan'), float('inf'), -0.0]",
    "np.longdouble(0.25)",
    "1 + 2j",
    "np.array([1j])",
    "np.array(['a', 'b'])",
    "{1, 2}",
    "lambda x: x",
    "object()",
    "2**5000",
    "'x' * 100_001",
    "deep(40)",
    "FakeList([1, 2])",
    "np.array([3.0]).view(Arr)",
    "undefined_name",
    "1 / 0",
    "... + 1",
    # numeric types a student may use where a number is asked
    "np.float16(0.5)",
    "np.array([0.1, 2.0], dtype=np.float32)",
    "np.longdouble(1) / 3",
    "[np.longdouble(2.5), np.float32(1.5)]",
    "np.array([[1, 2]], dtype=np.longdouble)",
    "np.clongdouble(1)",
    "Fraction(1, 3)",
    "[Fraction(1, 2), Decimal('0.25')]",
    "{'x': Decimal('-1.5')}",
    "Decimal('NaN')",
    "Decimal('sNaN')",
    "Fraction(10**400, 3)",
    "Fraction(2**5000, 3)",
    "np.array([Fraction(1, 2)])",
]
NUMERIC = EXPRESSIONS[EXPRESSIONS.index("np.float16(0.5)") :]


@pytest.fixture(scope="module")
def kernel():
    with Kernel(limits=KernelLimits(cell_timeout=10, total_timeout=120)) as k:
        reply = k.execute(SETUP)
        assert reply.ok, reply.error
        yield k


def _same(value: Any) -> str:
    """Plain data as text that keeps types (1 vs 1.0 vs True), NaN and -0.0 apart."""
    if isinstance(value, ProbeError):
        return f"ProbeError({value.kind!r}, {value.message!r})"
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_notebook_and_grader_agree(kernel, expression):
    namespace: dict[str, Any] = {}
    exec(SETUP, namespace)  # noqa: S102 - the same cell the kernel ran
    in_notebook = evaluate_probe(expression, namespace)
    in_grader = _to_value(kernel.probe(expression))
    assert _same(in_grader) == _same(in_notebook)
    if isinstance(in_notebook, ProbeError):
        assert probe_problem(in_grader, expression) == probe_problem(in_notebook, expression)


def test_numeric_types_are_converted_or_refused_by_type(kernel):
    namespace: dict[str, Any] = {}
    exec(SETUP, namespace)  # noqa: S102 - the same cell the kernel ran
    for expression in NUMERIC:
        value = _to_value(kernel.probe(expression))
        if isinstance(value, ProbeError):
            assert "nested" not in value.message and value.kind == "NotPlainError", expression
            assert any(word in value.message for word in ("Fraction", "Decimal", "dtype"))
    assert _to_value(kernel.probe("Fraction(1, 3)")) == 1 / 3
    assert _to_value(kernel.probe("[Fraction(1, 2), Decimal('0.25')]")) == [0.5, 0.25]
    assert _to_value(kernel.probe("np.longdouble(1) / 3")) == float(np.longdouble(1) / 3)


def test_exact_numbers_are_read_for_what_they_store():
    from decimal import Decimal
    from fractions import Fraction

    class Half(Fraction):
        @property
        def numerator(self) -> int:
            return 99

    class Tenth(Decimal):
        def __float__(self) -> float:
            return 42.0

    assert to_plain(Half(1, 2)) == 0.5 and to_plain(Tenth("0.1")) == 0.1
    assert type(to_plain(Fraction(3))) is float
    with pytest.raises(NotPlainError, match="^it is a Fraction too large for a float"):
        to_plain(Fraction(10**400))
    with pytest.raises(NotPlainError, match="^it is a Decimal that is not a number"):
        to_plain(Decimal("sNaN"))


def test_both_paths_word_refusals_for_the_student(kernel):
    value = _to_value(kernel.probe("{1: 2.0}"))
    assert isinstance(value, ProbeError) and value.kind == "NotPlainError"
    assert probe_problem(value, "d") == "`d`: a dict key has type int; expected str"
    unanswered = _to_value(kernel.probe("..."))
    assert probe_problem(unanswered, "a") == (
        "`a`: it is still `...`: replace the `...` with your answer"
    )
