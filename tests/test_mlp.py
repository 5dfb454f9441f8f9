"""The MLP objective: backpropagation against finite differences, inits, norms, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optcourse import minimize
from optcourse.objectives import MLP
from optcourse.optimizers import SGD, Adam


def _data(seed: int, m: int = 12, d: int = 3, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, d))
    y = rng.integers(0, classes, size=m).astype(float)
    return X, y


def _central_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = eps
        g[j] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    activation=st.sampled_from(["tanh", "relu"]),
    loss=st.sampled_from(["mse", "cross_entropy"]),
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=3),
)
def test_backprop_matches_central_differences(seed, activation, loss, hidden) -> None:
    X, y = _data(seed)
    net = MLP(X, y, [3, *hidden, 3], activation=activation, loss=loss)
    # nonzero biases too: with zero biases a dead ReLU unit puts the next pre-activation exactly
    # on the kink (z = 0), where the one-sided derivatives differ
    theta = net.init_params(seed, "naive", std=0.7)
    theta = theta + np.random.default_rng(seed + 1).normal(0.0, 0.3, net.dim)
    g = net.grad(theta)
    fd = _central_difference(net.value, theta)
    # ReLU kinks: a difference step across a kink would spoil an entry; with random data and
    # parameters no pre-activation lies within 1e-6 of 0 (probability ~1e-5 per example).
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)


def test_scalar_regression_mse_and_batches() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = np.sin(X[:, 0]) + X[:, 1]
    net = MLP(X, y, (2, 6, 1), activation="tanh", loss="mse")
    theta = net.init_params(1, "xavier")
    pred = net.predict(theta)[:, 0]
    assert net.value(theta) == pytest.approx(np.mean((pred - y) ** 2), rel=1e-12)
    idx = np.array([0, 3, 5])
    np.testing.assert_allclose(
        net.grad(theta, batch=idx), MLP(X[idx], y[idx], (2, 6, 1)).grad(theta)
    )
    # batch axes of θ: a stack of points gives a stack of values and gradients
    stack = np.stack([theta, 2 * theta])
    np.testing.assert_allclose(net.value(stack), [net.value(theta), net.value(2 * theta)])
    np.testing.assert_allclose(net.grad(stack)[1], net.grad(2 * theta))
    H = net.hessian(theta)
    assert H.shape == (net.dim, net.dim)
    np.testing.assert_allclose(H @ np.ones(net.dim), net.hessian(theta) @ np.ones(net.dim))


def test_cross_entropy_value_is_mean_negative_log_softmax() -> None:
    X, y = _data(3)
    net = MLP(X, y, (3, 4, 3), loss="cross_entropy")
    theta = net.init_params(2, "he")
    z = net.predict(theta)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert net.value(theta) == pytest.approx(-np.mean(np.log(p[np.arange(12), y.astype(int)])))


def test_parameter_layout_is_torch_linear_order() -> None:
    X, y = _data(0)
    net = MLP(X, y, (3, 4, 3))
    assert net.dim == 4 * 3 + 4 + 3 * 4 + 3
    theta = np.arange(net.dim, dtype=float)
    (W1, b1), (W2, b2) = net.unpack(theta)
    assert W1.shape == (4, 3) and W1[1, 0] == 3.0 and b1[0] == 12.0 and W2[0, 0] == 16.0


@pytest.mark.parametrize(
    ("scheme", "var"),
    [
        ("naive", lambda fi, fo: 1.0),
        ("xavier", lambda fi, fo: 2.0 / (fi + fo)),
        ("he", lambda fi, fo: 2.0 / fi),
        ("torch", lambda fi, fo: 1.0 / (3.0 * fi)),
    ],
)
def test_init_variances(scheme, var) -> None:
    X = np.zeros((2, 200))
    net = MLP(X, np.zeros(2), (200, 300, 100, 1))
    theta = net.init_params(7, scheme)
    for (W, b), (fo, fi) in zip(net.unpack(theta), net.shapes, strict=True):
        n = W.size
        expected = var(fi, fo)
        # the sample variance has relative standard deviation about sqrt(2/n) (normal) or less
        assert np.var(W) == pytest.approx(expected, rel=5 * np.sqrt(2.0 / n))
        assert abs(np.mean(W)) < 5 * np.sqrt(expected / n)
        if scheme == "torch":
            assert np.max(np.abs(b)) <= 1 / np.sqrt(fi) and np.all(b != 0)
            assert np.max(np.abs(W)) <= 1 / np.sqrt(fi)
        else:
            assert np.all(b == 0)


def test_init_is_seeded_and_naive_std() -> None:
    X, y = _data(0)
    net = MLP(X, y, (3, 50, 3))
    np.testing.assert_array_equal(net.init_params(4), net.init_params(4))
    assert not np.array_equal(net.init_params(4), net.init_params(5))
    W = net.unpack(net.init_params(0, "naive", std=0.1))[0][0]
    assert np.std(W) == pytest.approx(0.1, rel=0.2)


def test_layer_norms_are_the_backpropagated_quantities() -> None:
    X, y = _data(1)
    net = MLP(X, y, (3, 5, 4, 3), activation="relu", loss="cross_entropy")
    theta = net.init_params(0, "he")
    norms = net.layer_norms(theta)
    assert norms.backward.shape == norms.weight_grad.shape == norms.forward.shape == (3,)
    # weight-gradient norms are the norms of the W-blocks of grad
    g = net.grad(theta)
    for l, (gW, _) in enumerate(net.unpack(g)):
        assert norms.weight_grad[l] == pytest.approx(np.linalg.norm(gW))
    # ∂L/∂h_1 by finite differences: perturb the first hidden bias through a linear layer
    # ∂L/∂out = (softmax − onehot)/m, whose norm the last entry reports
    z = net.predict(theta)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(12), y.astype(int)] -= 1
    assert norms.backward[-1] == pytest.approx(np.linalg.norm(p / 12))
    with pytest.raises(ValueError, match="one point"):
        net.layer_norms(np.stack([theta, theta]))


def test_minimize_trains_it_full_batch_and_minibatch() -> None:
    X, y = _data(5, m=40)
    net = MLP(X, y, (3, 16, 3), activation="tanh", loss="cross_entropy")
    x0 = net.init_params(0, "xavier")
    res = minimize(net, x0, Adam(lr=0.05), max_iter=200)
    assert res.fun < 0.5 * net.value(x0)
    res2 = minimize(net, x0, SGD(lr=0.5), max_iter=100, batch_size=8, seed=0)
    assert res2.fun < net.value(x0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": (3,)}, "at least the input"),
        ({"sizes": (4, 3)}, "sizes\\[0\\]"),
        ({"sizes": (3, 0, 3)}, "sizes\\[1\\]"),
        ({"sizes": (3, 3), "activation": "sigmoid"}, "activation"),
        ({"sizes": (3, 3), "loss": "hinge"}, "loss"),
        ({"sizes": (3, 1), "loss": "cross_entropy"}, "at least 2"),
        ({"sizes": (3, 2), "loss": "cross_entropy"}, "class labels"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    X, y = _data(0)
    with pytest.raises(ValueError, match=match):
        MLP(X, y, **kwargs)


def test_bad_init_arguments() -> None:
    X, y = _data(0)
    net = MLP(X, y, (3, 3))
    with pytest.raises(ValueError, match="scheme"):
        net.init_params(0, "lecun")
    with pytest.raises(ValueError, match="std"):
        net.init_params(0, "naive", std=-1.0)
    with pytest.raises(ValueError, match="naive"):
        net.init_params(0, "he", std=0.5)  # std would be ignored
    with pytest.raises(ValueError, match="shape"):
        net.value(np.zeros(5))
