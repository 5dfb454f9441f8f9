"""The verification script ``scripts/verify_linear_regression.py``, run as a user runs it.

It fits linear regression with full-batch GD, SGD, mini-batch SGD and a decaying step and checks
each against the normal equations at the accuracy that method can reach, and on how it stopped.
Here: its exit status, its rows (independently re-checked against a closed form computed here),
its determinism, and that a failing check really exits non-zero.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "verify_linear_regression.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def _rows(*args: str) -> list[dict[str, Any]]:
    done = _run("--json", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


@pytest.fixture(scope="module")
def default_rows() -> list[dict[str, Any]]:
    return _rows("--seed", "0")


def test_help_describes_the_checks_and_exit_status() -> None:
    done = _run("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "normal-equation" in text and "Exit status 0" in text
    for option in ("--seed", "--batch-size", "--noise", "--tighten", "--json"):
        assert option in done.stdout


def test_every_method_is_within_its_own_tolerance_and_stops_as_expected(
    default_rows: list[dict[str, Any]],
) -> None:
    by_run = {r["run"]: r for r in default_rows}
    assert set(by_run) == {
        "normal equations vs lstsq",
        "full-batch GD",
        "SGD",
        "mini-batch SGD",
        "SGD, decaying step",
        "SGD on noiseless data",
    }
    assert all(r["passed"] and r["rel_error"] <= r["tolerance"] for r in default_rows)
    gd = by_run["full-batch GD"]
    assert gd["status"] == "converged" and gd["rel_error"] <= 1e-10
    for name in ("SGD", "mini-batch SGD", "SGD, decaying step"):
        # a constant or decaying step never certifies 1e-10 on noisy data: its budget runs out
        assert by_run[name]["status"] == "max_iter"
        assert by_run[name]["rel_error"] > 1e-6
    assert by_run["SGD on noiseless data"]["status"] == "converged"
    assert by_run["SGD on noiseless data"]["rel_error"] <= 1e-10
    # the floor falls with η/B, and the decaying step gets below both constant-step runs
    sgd, mini, decay = by_run["SGD"], by_run["mini-batch SGD"], by_run["SGD, decaying step"]
    assert mini["excess_loss"] < sgd["excess_loss"]
    assert decay["rel_error"] < min(sgd["rel_error"], mini["rel_error"]) / 10


def test_the_closed_form_the_script_uses_matches_one_computed_here() -> None:
    """Rebuild the seeded data as documented and solve the normal equations independently."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import verify_linear_regression as script
    finally:
        sys.path.remove(str(SCRIPT.parent))
    rng = np.random.default_rng(7)
    X = rng.standard_normal((300, 4))
    theta = rng.uniform(-2.0, 2.0, 4)
    y = X @ theta + 0.3 * rng.standard_normal(300)
    X2, y2 = script.make_data(7, 300, 4, 0.3)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    p = script.normal_equations(X2, y2)
    q, r = np.linalg.qr(X)
    np.testing.assert_allclose(p.theta_star, np.linalg.solve(r, q.T @ y), rtol=1e-12)


def test_noiseless_data_has_no_floor() -> None:
    rows = {r["run"]: r for r in _rows("--noise", "0", "--seed", "2")}
    for name in ("SGD", "mini-batch SGD"):
        assert rows[name]["expected_status"] == "converged"
        assert rows[name]["status"] == "converged"
        assert rows[name]["rel_error"] <= 1e-10


def test_same_seed_same_numbers_other_seed_other_numbers(
    default_rows: list[dict[str, Any]],
) -> None:
    again = _rows("--seed", "0")
    assert again == default_rows
    other = _rows("--seed", "1")
    assert [r["rel_error"] for r in other] != [r["rel_error"] for r in default_rows]


def test_a_failing_check_exits_non_zero_and_names_it() -> None:
    done = _run("--tighten", "1000")
    assert done.returncode == 1
    assert "FAILED" in done.stdout
    assert "SGD" in done.stdout.split("FAILED:")[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "--batch-size must be >= 1"),
        (["--batch-size", "600"], "--batch-size must be <= --samples"),
        (["--noise", "-1"], "--noise must be finite and >= 0"),
        (["--lr", "nan"], "--lr must be finite and > 0"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: list[str], message: str) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert message in done.stderr
