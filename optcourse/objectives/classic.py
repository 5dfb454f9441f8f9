"""Classical test functions of optimization (mostly two-dimensional, Rastrigin in any dimension).

Each class documents its formula and where it comes from. Known minimizers are stored to machine
precision: literature values are refined with a few Newton steps (``base.newton_polish``).
A survey of these and many more test functions: M. Jamil and X.-S. Yang, "A literature survey of
benchmark functions for global optimisation problems", Int. J. Math. Modelling and Numerical
Optimisation 4(2), 150-194 (2013).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse.objectives.base import FloatArray, Objective, newton_polish, stack_hessian

__all__ = [
    "Rosenbrock",
    "Beale",
    "Himmelblau",
    "Booth",
    "Rastrigin",
    "Saddle",
    "MonkeySaddle",
    "SixHumpCamel",
]


class _TwoD(Objective):
    """Shared plumbing of the two-dimensional functions."""

    dim = 2

    def _xy(self, x: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        p = self._points(x)
        return p[..., 0], p[..., 1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Rosenbrock(_TwoD):
    """Rosenbrock's banana function f(x, y) = (a − x)² + b (y − x²)².

    The global minimizer (a, a²) with minimum 0 lies at the bottom of a long, curved, flat valley,
    which makes plain gradient descent crawl. Source: H. H. Rosenbrock, "An automatic method for
    finding the greatest or least value of a function", The Computer Journal 3(3), 175-184 (1960).
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        if not np.isfinite(a) or not np.isfinite(b) or b <= 0:
            raise ValueError(f"Rosenbrock needs finite a and b > 0; got a={a}, b={b}")
        self.a, self.b = float(a), float(b)
        self.minimizers = np.array([[self.a, self.a**2]])
        self.minimum = 0.0
        a2 = self.a**2
        self.domain = ((min(-2.0, a - 1), max(2.0, a + 1)), (min(-1.0, a2 - 2), max(3.0, a2 + 2)))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return (a − x)² + b (y − x²)², shape ``(...)``."""
        u, v = self._xy(x)
        return (self.a - u) ** 2 + self.b * (v - u**2) ** 2

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return (−2(a − x) − 4b x (y − x²), 2b (y − x²)), shape ``(..., 2)``."""
        u, v = self._xy(x)
        r = v - u**2
        return np.stack([-2.0 * (self.a - u) - 4.0 * self.b * u * r, 2.0 * self.b * r], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return [[2 − 4b y + 12b x², −4b x], [−4b x, 2b]], shape ``(..., 2, 2)``."""
        u, v = self._xy(x)
        off = -4.0 * self.b * u
        diag = 2.0 - 4.0 * self.b * v + 12.0 * self.b * u**2
        return stack_hessian(u.shape, [[diag, off], [off, 2.0 * self.b]])

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a}, b={self.b})"


_BEALE_C = (1.5, 2.25, 2.625)


class Beale(_TwoD):
    """Beale's function f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)².

    Global minimizer (3, 0.5) with minimum 0; steep walls near the corners of the box
    [−4.5, 4.5]². Source: E. M. L. Beale, "On an iterative method for finding a local minimum of a
    function of more than one variable", Tech. Rep. 25, Statistical Techniques Research Group,
    Princeton University (1958).
    """

    def __init__(self) -> None:
        self.minimizers = np.array([[3.0, 0.5]])
        self.minimum = 0.0
        self.domain = ((-4.5, 4.5), (-4.5, 4.5))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return the sum of the three squared terms, shape ``(...)``."""
        u, v = self._xy(x)
        return sum((c - u + u * v**i) ** 2 for i, c in enumerate(_BEALE_C, start=1))

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return Σ 2 rᵢ ∇rᵢ with rᵢ = cᵢ − x + x yⁱ, shape ``(..., 2)``."""
        u, v = self._xy(x)
        gx = np.zeros_like(u)
        gy = np.zeros_like(u)
        for i, c in enumerate(_BEALE_C, start=1):
            r = c - u + u * v**i
            gx = gx + 2.0 * r * (v**i - 1.0)
            gy = gy + 2.0 * r * i * u * v ** (i - 1)
        return np.stack([gx, gy], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return Σ 2 (∇rᵢ ∇rᵢᵀ + rᵢ ∇²rᵢ), shape ``(..., 2, 2)``."""
        u, v = self._xy(x)
        hxx = np.zeros_like(u)
        hxy = np.zeros_like(u)
        hyy = np.zeros_like(u)
        for i, c in enumerate(_BEALE_C, start=1):
            r = c - u + u * v**i
            rx = v**i - 1.0
            ry = i * u * v ** (i - 1)
            rxy = i * v ** (i - 1)
            ryy = i * (i - 1) * u * v ** max(i - 2, 0)
            hxx = hxx + 2.0 * rx * rx
            hxy = hxy + 2.0 * (rx * ry + r * rxy)
            hyy = hyy + 2.0 * (ry * ry + r * ryy)
        return stack_hessian(u.shape, [[hxx, hxy], [hxy, hyy]])


class Himmelblau(_TwoD):
    """Himmelblau's function f(x, y) = (x² + y − 11)² + (x + y² − 7)².

    Four global minimizers, all with minimum 0: (3, 2), (−2.805118…, 3.131312…),
    (−3.779310…, −3.283186…) and (3.584428…, −1.848127…), so where gradient descent ends depends on
    where it starts. Source: D. M. Himmelblau, *Applied Nonlinear Programming*, McGraw-Hill (1972).
    """

    def __init__(self) -> None:
        approx = [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848127]]
        self.minimizers = newton_polish(self, approx)
        self.minimizers[0] = [3.0, 2.0]  # exact
        self.minimum = 0.0
        self.domain = ((-5.0, 5.0), (-5.0, 5.0))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return (x² + y − 11)² + (x + y² − 7)², shape ``(...)``."""
        u, v = self._xy(x)
        return (u**2 + v - 11.0) ** 2 + (u + v**2 - 7.0) ** 2

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return (4x p + 2q, 2p + 4y q) with p = x² + y − 11, q = x + y² − 7."""
        u, v = self._xy(x)
        p = u**2 + v - 11.0
        q = u + v**2 - 7.0
        return np.stack([4.0 * u * p + 2.0 * q, 2.0 * p + 4.0 * v * q], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return [[4p + 8x² + 2, 4x + 4y], [4x + 4y, 4q + 8y² + 2]], shape ``(..., 2, 2)``."""
        u, v = self._xy(x)
        p = u**2 + v - 11.0
        q = u + v**2 - 7.0
        off = 4.0 * (u + v)
        return stack_hessian(u.shape, [[4 * p + 8 * u**2 + 2, off], [off, 4 * q + 8 * v**2 + 2]])


class Booth(_TwoD):
    """Booth's function f(x, y) = (x + 2y − 7)² + (2x + y − 5)².

    A convex quadratic in disguise: Hessian [[10, 8], [8, 10]] (eigenvalues 2 and 18), minimizer
    (1, 3), minimum 0. Listed in the survey of Jamil & Yang (2013) cited in the module docstring.
    """

    def __init__(self) -> None:
        self.minimizers = np.array([[1.0, 3.0]])
        self.minimum = 0.0
        self.domain = ((-10.0, 10.0), (-10.0, 10.0))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return (x + 2y − 7)² + (2x + y − 5)², shape ``(...)``."""
        u, v = self._xy(x)
        return (u + 2 * v - 7.0) ** 2 + (2 * u + v - 5.0) ** 2

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return (10x + 8y − 34, 8x + 10y − 38), shape ``(..., 2)``."""
        u, v = self._xy(x)
        return np.stack([10 * u + 8 * v - 34.0, 8 * u + 10 * v - 38.0], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return [[10, 8], [8, 10]] for every point, shape ``(..., 2, 2)``."""
        u, _ = self._xy(x)
        return stack_hessian(u.shape, [[10.0, 8.0], [8.0, 10.0]])


class Rastrigin(Objective):
    """Rastrigin's function f(x) = A n + Σᵢ (xᵢ² − A cos(2π xᵢ)) in n dimensions.

    A bowl covered with a regular grid of local minima (near every integer point); the global
    minimizer is the origin with minimum 0. Sources: L. A. Rastrigin, *Systems of Extremal Control*,
    Nauka, Moscow (1974) for n = 2; the n-dimensional form is from H. Mühlenbein, M. Schomisch and
    J. Born, "The parallel genetic algorithm as function optimizer", Parallel Computing 17,
    619-632 (1991).
    """

    def __init__(self, dim: int = 2, A: float = 10.0) -> None:
        if int(dim) != dim or dim < 1:
            raise ValueError(f"dim must be a positive integer; got dim={dim}")
        if not np.isfinite(A) or A < 0:
            raise ValueError(f"A must be a finite number >= 0; got A={A}")
        self.dim = int(dim)
        self.A = float(A)
        self.minimizers = np.zeros((1, self.dim))
        self.minimum = 0.0
        self.domain = ((-5.12, 5.12),) * self.dim

    def value(self, x: npt.ArrayLike) -> Any:
        """Return A n + Σ (xᵢ² − A cos(2π xᵢ)), shape ``(...)``."""
        p = self._points(x)
        return self.A * self.dim + np.sum(p**2 - self.A * np.cos(2 * np.pi * p), axis=-1)

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return 2xᵢ + 2πA sin(2π xᵢ), shape ``(..., n)``."""
        p = self._points(x)
        return 2.0 * p + 2.0 * np.pi * self.A * np.sin(2 * np.pi * p)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return diag(2 + 4π²A cos(2π xᵢ)), shape ``(..., n, n)``."""
        p = self._points(x)
        d = 2.0 + 4.0 * np.pi**2 * self.A * np.cos(2 * np.pi * p)
        return d[..., :, None] * np.eye(self.dim)

    def __repr__(self) -> str:
        return f"Rastrigin(dim={self.dim}, A={self.A})"


class Saddle(_TwoD):
    """The saddle f(x, y) = x² − y² (a hyperbolic paraboloid).

    The origin is a critical point but not a minimum: the Hessian diag(2, −2) has one negative
    eigenvalue. f is unbounded below, so ``minimizers`` and ``minimum`` are ``None``;
    ``saddle_points`` is [[0, 0]]. Gradient descent started on the x-axis (the stable manifold)
    converges to the saddle; any tiny y-component grows and escapes.
    """

    def __init__(self) -> None:
        self.saddle_points = np.zeros((1, 2))
        self.domain = ((-2.0, 2.0), (-2.0, 2.0))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return x² − y², shape ``(...)``."""
        u, v = self._xy(x)
        return u**2 - v**2

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return (2x, −2y), shape ``(..., 2)``."""
        u, v = self._xy(x)
        return np.stack([2.0 * u, -2.0 * v], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return diag(2, −2) for every point, shape ``(..., 2, 2)``."""
        u, _ = self._xy(x)
        return stack_hessian(u.shape, [[2.0, 0.0], [0.0, -2.0]])


class MonkeySaddle(_TwoD):
    """The monkey saddle f(x, y) = x³ − 3xy² (= Re (x + iy)³).

    At the origin the gradient and the whole Hessian vanish: the second-derivative test says
    nothing, and the surface has three downhill valleys (room for two legs and a tail). Unbounded
    below: ``minimizers`` and ``minimum`` are ``None``; ``saddle_points`` is [[0, 0]]. A classical
    example of differential geometry, e.g. D. Hilbert and S. Cohn-Vossen, *Geometry and the
    Imagination*, Chelsea (1952).
    """

    def __init__(self) -> None:
        self.saddle_points = np.zeros((1, 2))
        self.domain = ((-1.5, 1.5), (-1.5, 1.5))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return x³ − 3xy², shape ``(...)``."""
        u, v = self._xy(x)
        return u**3 - 3.0 * u * v**2

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return (3x² − 3y², −6xy), shape ``(..., 2)``."""
        u, v = self._xy(x)
        return np.stack([3.0 * u**2 - 3.0 * v**2, -6.0 * u * v], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return [[6x, −6y], [−6y, −6x]], shape ``(..., 2, 2)``."""
        u, v = self._xy(x)
        return stack_hessian(u.shape, [[6.0 * u, -6.0 * v], [-6.0 * v, -6.0 * u]])


class SixHumpCamel(_TwoD):
    """The six-hump camel function f(x, y) = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y².

    Six local minima, two of them global at ±(0.0898…, −0.7126…) with minimum −1.0316284…
    (the stored values are polished to machine precision). Source: L. C. W. Dixon and G. P. Szegő,
    "The global optimization problem: an introduction", in *Towards Global Optimisation 2*,
    North-Holland, 1-15 (1978).
    """

    def __init__(self) -> None:
        self.minimizers = newton_polish(self, [[0.0898, -0.7126], [-0.0898, 0.7126]])
        self.minimum = float(self.value(self.minimizers).min())
        self.domain = ((-3.0, 3.0), (-2.0, 2.0))

    def value(self, x: npt.ArrayLike) -> Any:
        """Return 4x² − 2.1x⁴ + x⁶/3 + xy − 4y² + 4y⁴, shape ``(...)``."""
        u, v = self._xy(x)
        return (4.0 - 2.1 * u**2 + u**4 / 3.0) * u**2 + u * v + (-4.0 + 4.0 * v**2) * v**2

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """Return (8x − 8.4x³ + 2x⁵ + y, x − 8y + 16y³), shape ``(..., 2)``."""
        u, v = self._xy(x)
        return np.stack([8.0 * u - 8.4 * u**3 + 2.0 * u**5 + v, u - 8.0 * v + 16.0 * v**3], axis=-1)

    def hessian(self, x: npt.ArrayLike) -> FloatArray:
        """Return [[8 − 25.2x² + 10x⁴, 1], [1, −8 + 48y²]], shape ``(..., 2, 2)``."""
        u, v = self._xy(x)
        hxx = 8.0 - 25.2 * u**2 + 10.0 * u**4
        return stack_hessian(u.shape, [[hxx, 1.0], [1.0, -8.0 + 48.0 * v**2]])
