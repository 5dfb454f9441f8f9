"""Online optimization on a box (optcourse.online): projection, Reddi et al.'s sequence, regret."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optcourse.online import linear_regret, project_box, projected_run, reddi_gradients
from optcourse.optimizers import SGD, Adam


def test_project_box_clips_each_coordinate_and_leaves_its_input():
    x = np.array([-3.0, -0.25, 0.5, 7.0])
    np.testing.assert_array_equal(project_box(x), [-1.0, -0.25, 0.5, 1.0])
    np.testing.assert_array_equal(project_box(x, 0.0, 2.0), [0.0, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(project_box(x, -math.inf, 0.0), [-3.0, -0.25, 0.0, 0.0])
    np.testing.assert_array_equal(x, [-3.0, -0.25, 0.5, 7.0])
    # a projection: the nearest point of the box, and a point of the box is its own projection
    p = project_box(x, -1.0, 1.0)
    for y in np.linspace(-1.0, 1.0, 41):
        assert np.all(np.abs(x - p) <= np.abs(x - y) + 1e-15)
    np.testing.assert_array_equal(project_box(p), p)


@pytest.mark.parametrize(
    ("low", "high", "x", "match"),
    [
        (1.0, -1.0, 0.0, "low <= high"),
        (math.nan, 1.0, 0.0, "low <= high"),
        (-1.0, 1.0, [0.0, math.nan], "NaN"),
    ],
)
def test_project_box_rejects_bad_input(low, high, x, match):
    with pytest.raises(ValueError, match=match):
        project_box(x, low, high)


def test_reddi_gradients_follow_the_period_three_pattern():
    g = reddi_gradients(3.0, 7)
    np.testing.assert_array_equal(g, [3.0, -1.0, -1.0, 3.0, -1.0, -1.0, 3.0])
    several = reddi_gradients([2.5, 10.0], 4)
    assert several.shape == (4, 2)
    np.testing.assert_array_equal(several[:, 1], [10.0, -1.0, -1.0, 10.0])
    np.testing.assert_array_equal(several[:, 0], reddi_gradients(2.5, 4))
    for bad, match in (((-1.0, 3), "C must be"), ((math.inf, 3), "C must be"), ((3.0, 0), "steps")):
        with pytest.raises(ValueError, match=match):
            reddi_gradients(*bad)


def test_projected_run_is_the_loop_it_documents():
    g = reddi_gradients(3.0, 60)
    path = projected_run(SGD(lr=123.0), g, 0.2, 0.7)
    assert path.shape == (61,)
    x = 0.2
    for t in range(1, 61):  # SGD: x <- clip(x - 0.7/sqrt(t) * g_t)
        x = min(1.0, max(-1.0, x - 0.7 / math.sqrt(t) * g[t - 1]))
        assert path[t] == pytest.approx(x, abs=1e-15)
    assert np.all(np.abs(path) <= 1.0)


def test_projected_run_checks_its_arguments():
    g = reddi_gradients(3.0, 5)
    with pytest.raises(ValueError, match="shape"):
        projected_run(Adam(), g, [0.0, 0.0], 0.1)
    with pytest.raises(ValueError, match="in the box"):
        projected_run(Adam(), g, 1.5, 0.1)
    with pytest.raises(ValueError, match="lr"):
        projected_run(Adam(), g, 0.0, 0.0)


def test_linear_regret_against_a_direct_sum():
    rng = np.random.default_rng(7)
    g = rng.normal(size=(50, 3))
    path = rng.uniform(-1, 1, size=(51, 3))
    regret = linear_regret(g, path)
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * 3)).reshape(3, -1).T  # the 8 corners
    for T in (1, 17, 50):
        paid = np.sum(g[:T] * path[:T])
        best = min(np.sum(g[:T] @ corner) for corner in corners)
        assert regret[T - 1] == pytest.approx(paid - best, rel=1e-12)
    with pytest.raises(ValueError, match="bounded"):
        linear_regret(g, path, high=math.inf)
    with pytest.raises(ValueError, match="path must have shape"):
        linear_regret(g, path[:10])


def test_adam_fails_and_amsgrad_succeeds_on_reddis_sequence():
    """Reddi, Kale and Kumar (2018), Theorem 1's setting with C = 3: beta1 = 0, beta2 = 1/10."""
    C, T = 3.0, 6000
    g = reddi_gradients(C, T)
    betas = (0.0, 1 / (1 + C**2))
    adam = projected_run(Adam(betas=betas), g, 0.0, 0.5)
    ams = projected_run(Adam(betas=betas, amsgrad=True), g, 0.0, 0.5)
    assert adam[-3:].min() > 0.99 and ams[-3:].max() < -0.99
    assert linear_regret(g, adam)[-1] / T == pytest.approx(2 * (C - 2) / 3, abs=0.01)
    assert linear_regret(g, ams)[-1] / T < 0.02
