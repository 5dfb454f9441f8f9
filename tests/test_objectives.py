"""Tests of optcourse.objectives: derivatives against finite differences, optima, shapes, errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optcourse.objectives as obj
from optcourse.objectives import (
    Beale,
    Booth,
    DoubleWell,
    FunctionObjective,
    Himmelblau,
    LeastSquares,
    LogisticRegression,
    MonkeySaddle,
    Objective,
    Parabola,
    Quadratic,
    Rastrigin,
    Rosenbrock,
    Saddle,
    SixHumpCamel,
    TanhNetwork,
    make_classification,
    make_linear_regression,
)


def _quartic() -> FunctionObjective:
    """A non-quadratic user objective f(x) = Σ x_i⁴ + x_0 x_1 with all three callables."""

    def value(x: np.ndarray) -> np.ndarray:
        return np.sum(x**4, axis=-1) + x[..., 0] * x[..., 1]

    def grad(x: np.ndarray) -> np.ndarray:
        return 4 * x**3 + x[..., ::-1]

    def hessian(x: np.ndarray) -> np.ndarray:
        return 12 * x[..., :, None] ** 2 * np.eye(2) + np.array([[0.0, 1.0], [1.0, 0.0]])

    return FunctionObjective(value, grad, hessian, dim=2, name="quartic")


def _random_spd(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n))
    return a @ a.T + 0.5 * np.eye(n)


FACTORIES: dict[str, Callable[[], Objective]] = {
    "quadratic_spd": lambda: Quadratic(_random_spd(3, 1), b=[1.0, -2.0, 0.5], c=3.0),
    "quadratic_indefinite": lambda: Quadratic([[1.0, 2.0], [2.0, -3.0]], b=[1.0, 1.0]),
    "parabola": lambda: Parabola(2.0, -3.0, 1.0),
    "double_well": lambda: DoubleWell(),
    "rosenbrock": lambda: Rosenbrock(),
    "rosenbrock_a2": lambda: Rosenbrock(a=2.0, b=5.0),
    "beale": lambda: Beale(),
    "himmelblau": lambda: Himmelblau(),
    "booth": lambda: Booth(),
    "rastrigin3": lambda: Rastrigin(dim=3),
    "saddle": lambda: Saddle(),
    "monkey_saddle": lambda: MonkeySaddle(),
    "six_hump_camel": lambda: SixHumpCamel(),
    "function_objective": _quartic,
    "least_squares": lambda: LeastSquares(*make_linear_regression(40, 3, noise=0.3, seed=2)),
    "logistic": lambda: LogisticRegression(*make_classification(60, 3, seed=3), l2=0.1),
    "tanh_network": lambda: TanhNetwork(np.linspace(-2, 2, 20), np.sin(np.linspace(-2, 2, 20)), 3),
    "tanh_network_2d": lambda: TanhNetwork(*make_linear_regression(15, 2, seed=4), hidden=2),
}
OBJECTIVES = {name: make() for name, make in FACTORIES.items()}
NAMES = list(OBJECTIVES)


def fd_grad(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float) -> np.ndarray:
    """Central differences of a scalar field, stacked on the last axis (batch axes preserved)."""
    cols = []
    for i in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[i] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def fd_hessian(g: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float) -> np.ndarray:
    """Central differences of the gradient: entry [..., i, j] is ∂g_i/∂x_j."""
    cols = []
    for j in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[j] = h
        cols.append((g(x + e) - g(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def random_points(f: Objective, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Uniform points in the inner 80 % of the objective's plotting box."""
    lo = np.array([d[0] for d in f.domain])
    hi = np.array([d[1] for d in f.domain])
    mid, half = (lo + hi) / 2, 0.4 * (hi - lo)
    u = np.random.default_rng(seed).uniform(-1, 1, shape + (f.dim,))
    return mid + half * u


def check_derivatives(f: Objective, x: np.ndarray) -> None:
    h = 1e-5
    scale = 1.0 + np.max(np.abs(f.value(x)))
    g = f.grad(x)
    np.testing.assert_allclose(g, fd_grad(f.value, x, h), rtol=1e-6, atol=1e-7 * scale)
    H = f.hessian(x)
    gscale = 1.0 + np.max(np.abs(g))
    np.testing.assert_allclose(H, fd_hessian(f.grad, x, h), rtol=1e-6, atol=1e-7 * gscale)
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), rtol=1e-12, atol=1e-12 * gscale)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_with_batch_axes(name: str) -> None:
    f = OBJECTIVES[name]
    n = f.dim
    for shape in [(), (5,), (4, 3), (2, 3, 2)]:
        x = random_points(f, shape, seed=0)
        assert np.shape(f.value(x)) == shape
        assert f.grad(x).shape == shape + (n,)
        assert f.hessian(x).shape == shape + (n, n)


@pytest.mark.parametrize("name", NAMES)
def test_batch_equals_pointwise(name: str) -> None:
    f = OBJECTIVES[name]
    x = random_points(f, (3, 2), seed=1)
    v, g, H = f.value(x), f.grad(x), f.hessian(x)
    for i in range(3):
        for j in range(2):
            assert f.value(x[i, j]) == pytest.approx(v[i, j], rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(f.grad(x[i, j]), g[i, j], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(f.hessian(x[i, j]), H[i, j], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_finite_differences_on_a_batch(name: str) -> None:
    f = OBJECTIVES[name]
    check_derivatives(f, random_points(f, (4, 5), seed=2))


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32 - 1))
def test_derivatives_match_finite_differences_random(name: str, seed: int) -> None:
    f = OBJECTIVES[name]
    check_derivatives(f, random_points(f, (3,), seed=seed))


@pytest.mark.parametrize("name", [n for n in NAMES if OBJECTIVES[n].minimizers is not None])
def test_minimizers_are_stationary_and_attain_minimum(name: str) -> None:
    f = OBJECTIVES[name]
    xs = f.minimizers
    assert xs is not None and f.minimum is not None
    assert xs.ndim == 2 and xs.shape[1] == f.dim
    gscale = 1.0 + np.max(np.abs(f.hessian(xs)))
    np.testing.assert_allclose(f.grad(xs), 0.0, atol=1e-12 * gscale)
    np.testing.assert_allclose(f.value(xs), f.minimum, rtol=1e-12, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(f.hessian(xs)) > -1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if OBJECTIVES[n].dim == 2])
def test_stated_minimum_is_below_a_dense_grid(name: str) -> None:
    f = OBJECTIVES[name]
    (x0, x1), (y0, y1) = f.domain
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 301), np.linspace(y0, y1, 301)), axis=-1)
    vals = f.value(grid)
    assert vals.shape == (301, 301)
    if f.minimum is None:
        return
    assert vals.min() >= f.minimum - 1e-12


def test_himmelblau_four_minima() -> None:
    f = Himmelblau()
    xs = f.minimizers
    assert xs is not None and xs.shape == (4, 2)
    literature = [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848127]]
    np.testing.assert_allclose(xs, literature, atol=1e-6)
    assert np.all(f.value(xs) < 1e-25)
    assert np.all(np.abs(f.grad(xs)) < 1e-12)
    assert np.all(np.linalg.eigvalsh(f.hessian(xs)) > 0)
    # distinct points
    d = np.linalg.norm(xs[:, None] - xs[None], axis=-1)
    assert np.all(d[~np.eye(4, dtype=bool)] > 1.0)


def test_six_hump_camel_minima() -> None:
    f = SixHumpCamel()
    xs = f.minimizers
    assert xs is not None and xs.shape == (2, 2)
    np.testing.assert_allclose(np.abs(xs), [[0.0898, 0.7126]] * 2, atol=1e-4)
    np.testing.assert_allclose(xs[0], -xs[1], atol=1e-15)
    assert f.minimum == pytest.approx(-1.031628453489877, abs=1e-12)
    assert np.all(np.abs(f.grad(xs)) < 1e-13)


def test_rosenbrock_minimizer_moves_with_a() -> None:
    f = Rosenbrock(a=-1.5, b=3.0)
    assert f.minimizers is not None
    np.testing.assert_array_equal(f.minimizers, [[-1.5, 2.25]])
    assert repr(f) == "Rosenbrock(a=-1.5, b=3.0)"
    assert repr(Rosenbrock()) == "Rosenbrock(a=1.0, b=100.0)"


def test_rastrigin_n_dimensional() -> None:
    f = Rastrigin(dim=5, A=10)
    assert f.dim == 5 and len(f.domain) == 5
    assert f.value(np.zeros(5)) == 0.0
    # integer points are near-local minima: f ≈ Σ x_i² there, with a nonzero gradient of 2x
    x = np.array([1.0, -2.0, 0.0, 3.0, 1.0])
    assert f.value(x) == pytest.approx(np.sum(x**2), abs=1e-9)
    np.testing.assert_allclose(f.grad(x), 2 * x, atol=1e-9)
    assert repr(f) == "Rastrigin(dim=5, A=10.0)"


def test_saddles() -> None:
    s = Saddle()
    assert s.minimizers is None and s.minimum is None
    assert s.saddle_points is not None
    np.testing.assert_array_equal(s.saddle_points, [[0.0, 0.0]])
    np.testing.assert_array_equal(s.grad(s.saddle_points), [[0.0, 0.0]])
    np.testing.assert_array_equal(np.linalg.eigvalsh(s.hessian([0.0, 0.0])), [-2.0, 2.0])
    m = MonkeySaddle()
    assert m.minimizers is None and m.minimum is None
    assert m.saddle_points is not None
    np.testing.assert_array_equal(m.grad(m.saddle_points), [[0.0, 0.0]])
    np.testing.assert_array_equal(m.hessian([0.0, 0.0]), np.zeros((2, 2)))
    # three downhill directions: f < 0 along the rays at angles π/3, π, 5π/3
    angles = np.array([np.pi / 3, np.pi, 5 * np.pi / 3])
    rays = 0.5 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    assert np.all(m.value(rays) < 0)


def test_double_well() -> None:
    f = DoubleWell()
    assert f.dim == 1 and f.domain == ((-2.0, 2.0),)
    lm = f.local_minimizers
    assert lm.shape == (2, 1) and lm[0, 0] < f.local_maximizer[0, 0] < lm[1, 0]
    assert np.all(np.abs(f.grad(lm)) < 1e-14)
    assert np.all(f.hessian(lm) > 0) and np.all(f.hessian(f.local_maximizer) < 0)
    depth = f.value(lm)
    assert abs(depth[0] - depth[1]) > 0.5  # two wells of clearly different depth
    assert f.minimizers is not None
    np.testing.assert_array_equal(f.minimizers, lm[[np.argmin(depth)]])
    assert f.minimum == pytest.approx(depth.min(), abs=0)
    # exact tilt-free case: two global minima at ±1
    g = DoubleWell(tilt=0.0)
    assert g.minimizers is not None
    np.testing.assert_allclose(g.minimizers, [[-1.0], [1.0]], atol=1e-15)


def test_parabola() -> None:
    f = Parabola()
    xs = np.linspace(-5, 5, 11)[:, None]
    np.testing.assert_array_equal(f.grad(xs), 2 * xs)
    np.testing.assert_array_equal(f.value(xs), xs[:, 0] ** 2)
    assert f.grad(3.0).tolist() == [6.0]  # a bare number is one 1-D point
    g = Parabola(a=2.0, b=-3.0, c=1.0)
    assert g.minimizers is not None
    assert g.minimizers[0, 0] == pytest.approx(0.75)
    assert g.minimum == pytest.approx(1.0 - 9.0 / 8.0)
    assert Parabola(a=-1.0).minimizers is None and Parabola(a=-1.0).minimum is None
    assert repr(f) == "Parabola(a=1.0, b=0.0, c=0.0)"


def test_quadratic_spectrum_and_minimizer() -> None:
    H = _random_spd(4, 7)
    b = np.array([1.0, 0.0, -1.0, 2.0])
    q = Quadratic(H, b, c=0.5)
    eig = np.linalg.eigvalsh(H)
    np.testing.assert_allclose(q.eigenvalues, np.sort(eig))
    assert np.all(np.diff(q.eigenvalues) >= 0)
    assert q.lambda_min == pytest.approx(eig.min()) and q.lambda_max == pytest.approx(eig.max())
    assert q.condition_number == pytest.approx(eig.max() / eig.min())
    assert q.minimizers is not None
    np.testing.assert_allclose(H @ q.minimizers[0], b, atol=1e-12)
    assert q.minimum == pytest.approx(0.5 - 0.5 * b @ np.linalg.solve(H, b))
    d = Quadratic.diagonal([1.0, 10.0])
    assert d.condition_number == pytest.approx(10.0)
    np.testing.assert_array_equal(d.H, np.diag([1.0, 10.0]))
    assert repr(d) == "Quadratic(H=[[1.0, 0.0], [0.0, 10.0]], b=[0.0, 0.0], c=0.0)"
    ind = Quadratic([[1.0, 0.0], [0.0, -1.0]])
    assert ind.minimizers is None and ind.minimum is None
    assert ind.condition_number == float("inf")
    semi = Quadratic.diagonal([0.0, 1.0])
    assert semi.minimizers is None


def test_rotated_quadratic_turns_the_eigenvectors() -> None:
    angle = 0.4
    q = Quadratic.rotated([1.0, 10.0], angle)
    np.testing.assert_allclose(q.eigenvalues, [1.0, 10.0], rtol=1e-12)
    flat = np.array([np.cos(angle), np.sin(angle)])
    steep = np.array([-np.sin(angle), np.cos(angle)])
    np.testing.assert_allclose(q.H @ flat, flat, atol=1e-12)  # eigenvector of 1
    np.testing.assert_allclose(q.H @ steep, 10.0 * steep, atol=1e-12)  # eigenvector of 10
    np.testing.assert_allclose(Quadratic.rotated([2.0, 5.0], 0.0).H, np.diag([2.0, 5.0]))
    np.testing.assert_allclose(q.value(3.0 * steep), 0.5 * 10.0 * 9.0, rtol=1e-12)
    shifted = Quadratic.rotated([1.0, 10.0], angle, b=[1.0, 2.0])
    assert shifted.minimizers is not None
    np.testing.assert_allclose(shifted.grad(shifted.minimizers[0]), 0.0, atol=1e-12)


def test_function_objective() -> None:
    f = FunctionObjective(lambda x: np.sum(x**2, axis=-1), lambda x: 2 * x, dim=2, name="bowl")
    assert f.value([1.0, 2.0]) == 5.0
    np.testing.assert_array_equal(f.grad([[1.0, 2.0], [0.0, -1.0]]), [[2.0, 4.0], [0.0, -2.0]])
    assert f.domain == ((-5.0, 5.0), (-5.0, 5.0))
    assert repr(f) == "FunctionObjective(name='bowl', dim=2)"
    with pytest.raises(NotImplementedError, match="hessian"):
        f.hessian([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        f.grad([1.0, 2.0, 3.0])
    free = FunctionObjective(lambda x: float(x @ x), lambda x: 2 * x)  # dim unknown: any length
    assert free.dim is None
    assert free.value([1.0, 1.0, 1.0]) == 3.0
    with pytest.raises(TypeError):
        FunctionObjective("not callable", lambda x: x)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_last_axis_raises(name: str) -> None:
    f = OBJECTIVES[name]
    bad = np.zeros((3, f.dim + 1))
    for method in (f.value, f.grad, f.hessian):
        with pytest.raises(ValueError, match=f"dim={f.dim}"):
            method(bad)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Quadratic([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
        (lambda: Quadratic(np.ones((2, 3))), "square"),
        (lambda: Quadratic(np.eye(2), b=[1.0, 2.0, 3.0]), "b must have shape"),
        (lambda: Quadratic([[np.nan, 0.0], [0.0, 1.0]]), "finite"),
        (lambda: Quadratic.diagonal([]), "eigs"),
        (lambda: Quadratic.rotated([1.0, 2.0, 3.0], 0.1), "two finite"),
        (lambda: Quadratic.rotated([1.0, 2.0], np.nan), "angle"),
        (lambda: DoubleWell(tilt=2.0), "tilt"),
        (lambda: Rosenbrock(b=-1.0), "b > 0"),
        (lambda: Rastrigin(dim=0), "dim"),
        (lambda: Rastrigin(A=-1.0), "A must"),
        (lambda: Parabola(a=np.inf), "finite"),
        (lambda: FunctionObjective(np.sum, np.sign, dim=0), "dim"),
    ],
)
def test_bad_parameters_raise(make: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_public_api_is_documented() -> None:
    for name in obj.__all__:
        item = getattr(obj, name)
        assert item.__doc__ and len(item.__doc__.strip()) > 40, name
    for name in FACTORIES:
        f = OBJECTIVES[name]
        assert isinstance(f, Objective)
        assert len(f.domain) == f.dim and all(lo < hi for lo, hi in f.domain)
        assert f(np.zeros(f.dim)) == f.value(np.zeros(f.dim))
        if f.minimizers is not None:  # the plotting box shows the minimizers
            lo, hi = np.array(f.domain).T
            assert np.all((f.minimizers >= lo) & (f.minimizers <= hi)), name


@pytest.mark.parametrize(
    "name", ["rosenbrock", "beale", "himmelblau", "six_hump_camel", "logistic"]
)
def test_gradients_match_torch_autograd(name: str) -> None:
    torch = pytest.importorskip("torch")
    f = OBJECTIVES[name]
    x = random_points(f, (), seed=5)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    if name == "logistic":
        assert isinstance(f, LogisticRegression)
        z = torch.tensor(f.X) @ t
        y = torch.tensor(f.y)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y) + 0.05 * (t @ t)
    else:
        u, v = t[0], t[1]
        exprs = {
            "rosenbrock": (1 - u) ** 2 + 100 * (v - u**2) ** 2,
            "beale": (1.5 - u + u * v) ** 2
            + (2.25 - u + u * v**2) ** 2
            + (2.625 - u + u * v**3) ** 2,
            "himmelblau": (u**2 + v - 11) ** 2 + (u + v**2 - 7) ** 2,
            "six_hump_camel": (4 - 2.1 * u**2 + u**4 / 3) * u**2 + u * v + (-4 + 4 * v**2) * v**2,
        }
        loss = exprs[name]
    (g,) = torch.autograd.grad(loss, t, create_graph=True)
    assert float(loss.detach()) == pytest.approx(float(f.value(x)), rel=1e-12)
    np.testing.assert_allclose(f.grad(x), g.detach().numpy(), rtol=1e-10, atol=1e-12)
    H = torch.stack([torch.autograd.grad(g[i], t, retain_graph=True)[0] for i in range(f.dim)])
    np.testing.assert_allclose(f.hessian(x), H.numpy(), rtol=1e-10, atol=1e-12)


def test_tanh_network_matches_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    f = OBJECTIVES["tanh_network_2d"]
    assert isinstance(f, TanhNetwork)
    x = random_points(f, (), seed=6)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    X, y = torch.tensor(f.X), torch.tensor(f.y)

    def loss_of(theta):  # the same network written with torch: W1 row by row, b1, w2, b2
        W1, b1, w2, b2 = theta[:4].reshape(2, 2), theta[4:6], theta[6:8], theta[8]
        return torch.mean((torch.tanh(X @ W1.T + b1) @ w2 + b2 - y) ** 2)

    loss = loss_of(t)
    (g,) = torch.autograd.grad(loss, t)
    assert float(loss.detach()) == pytest.approx(float(f.value(x)), rel=1e-12)
    np.testing.assert_allclose(f.grad(x), g.numpy(), rtol=1e-10, atol=1e-12)
    H = torch.autograd.functional.hessian(loss_of, t.detach())
    np.testing.assert_allclose(f.hessian(x), H.numpy(), rtol=1e-10, atol=1e-12)


def test_tanh_network_layout_prediction_and_batches() -> None:
    x_in = np.linspace(-2, 2, 12)
    f = TanhNetwork(x_in, np.cos(x_in), hidden=4)
    assert f.dim == 3 * 4 + 1 and repr(f) == "TanhNetwork(n_samples=12, n_inputs=1, hidden=4)"
    theta = np.random.default_rng(0).standard_normal(f.dim)
    W1, b1, w2, b2 = f.unpack(theta)
    assert W1.shape == (4, 1) and b1.shape == w2.shape == (4,) and b2.shape == ()
    by_hand = np.tanh(np.outer(x_in, theta[:4]) + theta[4:8]) @ theta[8:12] + theta[12]
    np.testing.assert_allclose(f.predict(theta), by_hand, rtol=1e-13)
    np.testing.assert_allclose(f.predict(theta, x_in[:3]), by_hand[:3], rtol=1e-13)
    assert f.value(theta) == pytest.approx(np.mean((by_hand - np.cos(x_in)) ** 2), rel=1e-13)
    rows = np.array([1, 5, 7])
    sub = TanhNetwork(x_in[rows], np.cos(x_in[rows]), hidden=4)
    assert f.value(theta, batch=rows) == pytest.approx(sub.value(theta), rel=1e-13)
    np.testing.assert_allclose(f.grad(theta, batch=rows), sub.grad(theta), rtol=1e-12)
    with pytest.raises(ValueError, match="hidden must be an integer >= 1"):
        TanhNetwork(x_in, np.cos(x_in), hidden=0)
    with pytest.raises(ValueError, match="one target per row"):
        TanhNetwork(x_in, np.cos(x_in[:-1]))
    with pytest.raises(ValueError, match=r"X must have shape \(m,\) or \(m, 1\)"):
        f.predict(theta, np.zeros((3, 2)))


def test_tanh_network_hessian_matches_second_differences_of_the_value() -> None:
    """Independent of the gradient: second differences of the loss itself (the Gauss-Newton part
    alone, without the curvature of the hidden units, is far off here)."""
    f = OBJECTIVES["tanh_network"]
    x = random_points(f, (), seed=7)
    h = 1e-4
    second = fd_hessian(lambda p: fd_grad(f.value, p, h), x, h)
    np.testing.assert_allclose(f.hessian(x), second, rtol=1e-5, atol=1e-6)
    assert isinstance(f, TanhNetwork)
    J, _ = f._jacobian(x, f.X)
    gauss_newton = 2.0 / f.n_samples * J.T @ J
    assert np.abs(gauss_newton - second).max() > 1e-2
