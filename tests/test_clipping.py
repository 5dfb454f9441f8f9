"""Gradient clipping: equal to torch's (stored reference, live check); the Clipped wrapper."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from optcourse import minimize
from optcourse.clipping import clip_grad_norm, clip_grad_value, total_norm
from optcourse.objectives import FunctionObjective
from optcourse.optimizers import SGD, Adam, Clipped, Newton
from optcourse.stopping import GradNorm

REFERENCE = Path(__file__).parent / "data" / "torch_clipping_reference.json"
CASES = json.loads(REFERENCE.read_text())["cases"]


def _norm_type(entry: dict) -> float:
    return math.inf if entry["norm_type"] == "inf" else float(entry["norm_type"])


@pytest.mark.parametrize("entry", CASES, ids=[c["name"] for c in CASES])
def test_equals_torch_reference(entry: dict) -> None:
    grads = [np.array(g) for g in entry["grads"]]
    if entry["kind"] == "norm":
        clipped, norm = clip_grad_norm(grads, entry["threshold"], norm_type=_norm_type(entry))
        assert norm == pytest.approx(entry["total_norm"], rel=1e-10)
    else:
        clipped = clip_grad_value(grads, entry["threshold"])
    for ours, theirs in zip(clipped, entry["clipped"], strict=True):
        np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-10, atol=0)


def test_reference_holds_the_edge_cases() -> None:
    by_name = {c["name"]: c for c in CASES}
    # at exactly max_norm torch still scales by c/(c + 1e-6): 1e-6/5 relative
    at = by_name["norm2_at_max_norm"]
    assert at["clipped"][0][0] == pytest.approx(3.0 * 5.0 / (5.0 + 1e-6), rel=1e-14)
    assert at["clipped"][0][0] < 3.0
    # below max_norm the coefficient is clamped to 1: nothing changes
    small = by_name["norm2_not_clipped"]
    for g, c in zip(small["grads"], small["clipped"], strict=True):
        np.testing.assert_array_equal(g, c)


finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(
    g=arrays(np.float64, st.integers(1, 8), elements=finite),
    c=st.floats(0.01, 100.0),
    p=st.sampled_from([2.0, math.inf]),
)
def test_clipped_norm_is_at_most_max_norm_and_direction_kept(g, c, p) -> None:
    out, norm = clip_grad_norm(g, c, norm_type=p)
    assert norm == pytest.approx(total_norm(g, p))
    assert total_norm(out, p) <= c * (1 + 1e-12)
    if norm + 1e-6 <= c:  # coefficient clamped to 1: unchanged
        np.testing.assert_array_equal(out, g)
    else:  # same direction
        np.testing.assert_allclose(out * (norm + 1e-6) / c, g, rtol=1e-9, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(g=arrays(np.float64, st.integers(1, 8), elements=finite), c=st.floats(0.0, 10.0))
def test_clip_by_value_bounds_every_entry(g, c) -> None:
    out = clip_grad_value(g, c)
    assert np.all(np.abs(out) <= c)
    keep = np.abs(g) <= c
    np.testing.assert_array_equal(out[keep], g[keep])


def test_total_norm_over_several_arrays_is_that_of_the_concatenation() -> None:
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 2)), rng.normal(size=5)]
    flat = np.concatenate([g.ravel() for g in grads])
    assert total_norm(grads) == pytest.approx(np.linalg.norm(flat))
    assert total_norm(grads, math.inf) == np.max(np.abs(flat))
    out, _ = clip_grad_norm(grads, 0.5)
    assert isinstance(out, list) and out[0].shape == (3, 2)


def test_zero_and_nonfinite_gradients_as_torch() -> None:
    zero, norm = clip_grad_norm(np.zeros(3), 1.0)
    assert norm == 0.0 and np.array_equal(zero, np.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning either
        nan_out, nan_norm = clip_grad_norm(np.array([np.nan, 1.0]), 1.0)
        inf_out, inf_norm = clip_grad_norm(np.array([np.inf, 1.0]), 1.0)
    assert math.isnan(nan_norm) and np.all(np.isnan(nan_out))
    assert inf_norm == math.inf and np.isnan(inf_out[0]) and inf_out[1] == 0.0


def test_bad_clipping_arguments() -> None:
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm(np.ones(3), 1.0, norm_type=0.0)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value(np.ones(3), math.nan)
    with pytest.raises(ValueError, match="at least one"):
        clip_grad_norm([], 1.0)
    with pytest.raises(ValueError, match="total norm"):
        clip_grad_norm(np.array([np.inf, 1.0]), 1.0, error_if_nonfinite=True)


def test_clipped_wrapper_steps_and_state() -> None:
    g = np.array([3.0, 4.0])
    opt = Clipped(SGD(lr=0.1), max_norm=1.0)
    x = opt.step(np.zeros(2), g)
    expected, _ = clip_grad_norm(g, 1.0)
    np.testing.assert_allclose(x, -0.1 * expected)
    assert opt.state["total_norm"] == 5.0 and opt.state["n_clipped"] == 1
    assert opt.state["clip_coef"] == pytest.approx(1.0 / (5.0 + 1e-6))
    opt.step(x, 0.01 * g)
    assert opt.state["clip_coef"] == 1.0 and opt.state["n_clipped"] == 1
    opt.reset()
    assert opt.state == {}
    byval = Clipped(Adam(lr=0.1), clip_value=0.5)
    byval.step(np.zeros(2), g)
    assert byval.state["step"] == 1 and byval.state["n_clipped"] == 1
    np.testing.assert_allclose(byval.state["exp_avg"], [0.05, 0.05], rtol=1e-15)
    assert byval.lr == 0.1 and "clip_value=0.5" in repr(byval)


def test_clipped_rows_are_runs() -> None:
    opt = Clipped(SGD(lr=1.0), max_norm=1.0)
    g = np.array([[3.0, 4.0], [0.3, 0.4]])
    x = opt.step(np.zeros((2, 2)), g)
    np.testing.assert_allclose(x[0], -g[0] / (5.0 + 1e-6))
    np.testing.assert_allclose(x[1], -g[1])


def test_minimize_drives_a_clipped_optimizer() -> None:
    # f(x) = x⁴/4 + x²/2 from x = 10 with lr 0.1: the first plain step lands at −90 and the run
    # diverges; clipped at norm 1 every step moves at most 0.1 until the gradient is small.
    f = FunctionObjective(lambda x: np.sum(x**4 / 4 + x**2 / 2, axis=-1), lambda x: x**3 + x, dim=1)
    plain = minimize(f, [10.0], SGD(lr=0.1), max_iter=500)
    opt = Clipped(SGD(lr=0.1), max_norm=1.0)
    res = minimize(f, [10.0], opt, max_iter=500, stop=GradNorm(1e-8))
    assert plain.status == "diverged"
    assert res.status == "converged" and abs(res.x[0]) < 1e-8
    assert opt.state["n_clipped"] >= 90  # 10 → ~1 in steps of 0.1 before the gradient is small


def test_bad_wrapper_arguments() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Clipped(SGD(lr=0.1))
    with pytest.raises(ValueError, match="exactly one"):
        Clipped(SGD(lr=0.1), max_norm=1.0, clip_value=1.0)
    with pytest.raises(TypeError, match="optimizer"):
        Clipped("sgd", max_norm=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Hessian"):
        Clipped(Newton(), max_norm=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        Clipped(SGD(lr=0.1), max_norm=1.0).step(np.zeros(2), np.zeros(3))


def test_live_torch_cross_check() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for trial in range(20):
        grads = [rng.normal(scale=3.0, size=s) for s in [(4, 3), (3,), (2,)]]
        c = float(rng.uniform(0.1, 10.0))
        p = [2.0, math.inf][trial % 2]
        params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for t, g in zip(params, grads, strict=True):
            t.grad = torch.tensor(g)
        norm_t = float(torch.nn.utils.clip_grad_norm_(params, c, norm_type=p))
        out, norm = clip_grad_norm(grads, c, norm_type=p)
        assert norm == pytest.approx(norm_t, rel=1e-12)
        for t, o in zip(params, out, strict=True):
            np.testing.assert_allclose(o, t.grad.numpy(), rtol=1e-12)
        for t, g in zip(params, grads, strict=True):
            t.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_value_(params, c / 3)
        for t, o in zip(params, clip_grad_value(grads, c / 3), strict=True):
            np.testing.assert_array_equal(o, t.grad.numpy())
