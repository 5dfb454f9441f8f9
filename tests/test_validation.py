"""The one validation module: every argument check of the core lives in optcourse._validation."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from optcourse import _validation as v
from optcourse.minimize import minimize
from optcourse.objectives import Parabola
from optcourse.optimizers import SGD, Adam
from optcourse.schedules import CosineAnnealingLR, StepLR, WarmupCosine
from optcourse.stopping import EarlyStopping, GradNorm, MaxIter

PACKAGE = Path(v.__file__).resolve().parent
CORE = ["minimize.py", "result.py", "status.py", "schedules.py", "stopping.py", "_validation.py"]
CORE_DIRS = ["objectives", "optimizers"]


@pytest.mark.parametrize("good", [0, 3, np.int64(7), np.int32(1)])
def test_check_int_accepts_python_and_numpy_integers(good):
    out = v.check_int("n", good, minimum=0)
    assert type(out) is int and out == int(good)


@pytest.mark.parametrize("bad", [True, False, 2.0, "3", None, -1, np.float64(2.0)])
def test_check_int_rejects_non_integers_and_small_values(bad):
    with pytest.raises(ValueError, match=r"^n must be an integer >= 0, got "):
        v.check_int("n", bad, minimum=0)


# The exact messages users see, one per family of callers (they must not change).
MESSAGES = [
    (lambda: StepLR(0.1, step_size=0), "step_size must be an integer >= 1, got 0"),
    (
        lambda: WarmupCosine(0.1, warmup_steps=-1, total_steps=5),
        "warmup_steps must be an integer >= 0, got -1",
    ),
    (lambda: MaxIter(2.5), "n must be an integer >= 1; got 2.5"),
    (lambda: EarlyStopping(patience=True), "patience must be an integer >= 1; got True"),
    (
        lambda: minimize(Parabola(), [1.0], SGD(lr=0.1), max_iter=-1),
        "max_iter must be an integer >= 0; got -1",
    ),
    (lambda: GradNorm(0.0), "tol must be finite and > 0; got 0.0"),
    (lambda: EarlyStopping(min_delta=-1.0), "min_delta must be finite and >= 0; got -1.0"),
    (lambda: Adam(eps=0.0), "eps must be > 0 and finite, got 0.0"),
    (lambda: Adam(betas=(0.9, 1.0)), "betas[1] must be in [0, 1), got 1.0"),
    (lambda: SGD(lr=-1.0), "lr must be finite and >= 0, got -1.0"),
    (lambda: SGD(lr=0.1, momentum=-0.5), "momentum must be >= 0, got -0.5"),
    (
        lambda: CosineAnnealingLR(0.1, T_max=5, eta_min=np.inf),
        "eta_min must be finite and >= 0, got inf",
    ),
    (
        lambda: StepLR([0.1, -0.1], step_size=2),
        f"every entry of lr must be finite and >= 0 (got min {np.float64(-0.1)!r})",
    ),
]


@pytest.mark.parametrize(("make", "message"), MESSAGES)
def test_error_messages_are_unchanged(make, message):
    with pytest.raises(ValueError) as info:  # noqa: PT011 (the whole message is asserted below)
        make()
    assert str(info.value) == message


def test_stopping_thresholds_must_be_numbers():
    with pytest.raises(TypeError, match=r"^tol must be a number; got 'small'$"):
        GradNorm("small")


def _core_files() -> list[Path]:
    files = [PACKAGE / name for name in CORE]
    for folder in CORE_DIRS:
        files.extend(sorted((PACKAGE / folder).glob("*.py")))
    return files


def test_core_modules_import_no_private_names_from_each_other():
    offenders = []
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            internal = node.level > 0 or (node.module or "").startswith("optcourse")
            for alias in node.names:
                if internal and alias.name.startswith("_") and not alias.name.startswith("__"):
                    offenders.append(f"{path.name}: {node.module}.{alias.name}")
    assert offenders == []


def test_the_integer_check_is_written_once_in_the_core():
    pattern = "isinstance(value, bool) or not isinstance(value, (int, np.integer))"
    holders = [p.name for p in _core_files() if pattern in p.read_text(encoding="utf-8")]
    assert holders == ["_validation.py"]
