"""Data objectives (least squares, logistic regression) and small seeded data generators.

Here the point ``x`` is the parameter vector θ of a model and the objective is the mean loss over
the rows of a data matrix ``X`` (shape ``(m, d)``, one sample per row) with targets ``y`` (shape
``(m,)``). ``value(theta, batch=idx)`` and ``grad(theta, batch=idx)`` average over the selected rows
only: that is the mini-batch gradient of stochastic gradient descent. ``theta`` may carry batch
axes, shape ``(..., d)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from optcourse.objectives.base import FloatArray, Objective

__all__ = [
    "DataObjective",
    "LeastSquares",
    "LogisticRegression",
    "make_linear_regression",
    "make_classification",
]


class DataObjective(Objective):
    """The base of objectives that average a loss over the rows of data ``(X, y)``.

    It checks ``X`` (shape ``(m, d)``) and ``y`` (shape ``(m,)``), stores them, sets ``dim = d``
    (a subclass may change it, as :class:`~optcourse.objectives.TanhNetwork` does) and selects
    mini-batch rows (``_rows(batch)``). ``n_samples`` is what ``minimize(batch_size=...)`` needs.
    """

    def __init__(self, X: npt.ArrayLike, y: npt.ArrayLike) -> None:
        X_arr = np.array(X, dtype=float)
        y_arr = np.array(y, dtype=float)
        if X_arr.ndim != 2 or X_arr.shape[0] == 0 or X_arr.shape[1] == 0:
            raise ValueError(
                f"X must be a 2-D array of shape (m, d) with m, d >= 1; got {X_arr.shape}"
            )
        if y_arr.shape != (X_arr.shape[0],):
            raise ValueError(
                f"y must have shape ({X_arr.shape[0]},), one target per row of X; got {y_arr.shape}"
            )
        if not (np.all(np.isfinite(X_arr)) and np.all(np.isfinite(y_arr))):
            raise ValueError("X and y must contain only finite numbers (no NaN or inf)")
        self.X: FloatArray = X_arr
        self.y: FloatArray = y_arr
        self.dim = X_arr.shape[1]

    @property
    def n_samples(self) -> int:
        """Number of samples m (rows of X)."""
        return int(self.X.shape[0])

    def _rows(self, batch: npt.ArrayLike | None) -> tuple[FloatArray, FloatArray]:
        """Return the rows ``(X[batch], y[batch])`` (all rows when ``batch`` is None)."""
        if batch is None:
            return self.X, self.y
        m = self.n_samples
        idx = np.asarray(batch)
        if idx.size == 0:
            raise ValueError("batch must select at least one row; got an empty index array")
        if idx.dtype == bool:
            if idx.shape != (m,):
                raise ValueError(f"a boolean batch mask must have shape ({m},); got {idx.shape}")
            idx = np.flatnonzero(idx)
            if idx.size == 0:
                raise ValueError("batch mask selects no rows")
        elif not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(
                f"batch must be an array of integer row indices; got dtype {idx.dtype}"
            )
        idx = idx.reshape(-1)
        if idx.min() < 0 or idx.max() >= m:
            raise ValueError(
                f"batch indices must lie in [0, {m - 1}]; got {idx.min()}..{idx.max()}"
            )
        return self.X[idx], self.y[idx]

    def _run_rows(
        self, x: npt.ArrayLike, batches: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Check the arguments of :meth:`grad_batches`; return ``(θ, X[batches], y[batches])``."""
        theta = np.asarray(x, dtype=float)
        idx = np.asarray(batches)
        if theta.ndim != 2 or theta.shape[1] != self.dim:
            raise ValueError(f"x must have shape (runs, {self.dim}); got {theta.shape}")
        if idx.ndim != 2 or idx.shape[0] != theta.shape[0] or idx.shape[1] == 0:
            raise ValueError(
                f"batches must have shape (runs={theta.shape[0]}, b) with b >= 1, one row of "
                f"indices per point; got {idx.shape}"
            )
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"batches must hold integer row indices; got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(
                f"batch indices must lie in [0, {self.n_samples - 1}]; got {idx.min()}..{idx.max()}"
            )
        return theta, self.X[idx], self.y[idx]

    def grad_batches(self, x: npt.ArrayLike, batches: npt.ArrayLike) -> FloatArray:
        """Return row ``r`` = the gradient at ``x[r]`` averaged over the rows ``batches[r]``.

        ``x`` has shape ``(runs, dim)`` and ``batches`` integer shape ``(runs, b)``: many runs, each
        at its own point with its own mini-batch, in one call (``grad(x, batch=idx)`` uses one
        batch for every point). This generic version loops over the runs; data objectives with a
        closed-form gradient override it with a vectorized one.

        Raises
        ------
        ValueError
            If the shapes do not match or an index is outside ``[0, n_samples - 1]``.
        """
        theta, _, _ = self._run_rows(x, batches)
        idx = np.asarray(batches)
        grad = cast(Callable[..., FloatArray], self.grad)  # data objectives take batch=
        rows = [grad(theta[r], batch=idx[r]) for r in range(theta.shape[0])]
        g: FloatArray = np.array(rows, dtype=float).reshape(theta.shape)
        return g


class LeastSquares(DataObjective):
    """Linear least squares L(θ) = ½ · mean over i of (xᵢᵀθ − yᵢ)² = (1/2m) ‖Xθ − y‖².

    Convention: the ½ cancels the 2 of the derivative and the mean (not the sum) keeps the scale
    independent of m, so ∇L(θ) = Xᵀ(Xθ − y)/m and ∇²L = XᵀX/m. Add a column of ones to ``X`` for an
    intercept. The minimizers solve the normal equations XᵀXθ = Xᵀy; ``solution`` is computed with
    ``np.linalg.lstsq`` (the minimum-norm solution if X has dependent columns). See T. Hastie,
    R. Tibshirani and J. Friedman, *The Elements of Statistical Learning*, 2nd ed., Springer (2009),
    §3.2.

    Raises
    ------
    ValueError
        If ``X`` is not a finite ``(m, d)`` array with ``m, d >= 1`` or ``y`` is not a finite
        ``(m,)`` array; ``value``/``grad``/``hessian`` raise it for a ``batch`` that is empty or
        has indices outside ``[0, m - 1]``.
    """

    def __init__(self, X: npt.ArrayLike, y: npt.ArrayLike) -> None:
        super().__init__(X, y)
        coef = np.linalg.lstsq(self.X, self.y, rcond=None)[0]
        self.solution: FloatArray = np.asarray(coef, dtype=np.float64)
        self.minimizers = self.solution[None, :]
        self.minimum = float(self.value(self.solution))
        self.domain = tuple((float(s - 3.0), float(s + 3.0)) for s in self.solution)

    def value(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> Any:
        """Return ½ · mean((Xθ − y)²) over the batch rows, shape ``(...)``."""
        theta = self._points(x)
        Xb, yb = self._rows(batch)
        r = theta @ Xb.T - yb
        loss: FloatArray = 0.5 * np.mean(r**2, axis=-1)
        return loss

    def grad(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return Xᵀ(Xθ − y)/m over the batch rows, shape ``(..., d)``."""
        theta = self._points(x)
        Xb, yb = self._rows(batch)
        r = theta @ Xb.T - yb
        g: FloatArray = r @ Xb / Xb.shape[0]
        return g

    def grad_batches(self, x: npt.ArrayLike, batches: npt.ArrayLike) -> FloatArray:
        """Row ``r``: the mini-batch gradient at ``x[r]`` on rows ``batches[r]`` (vectorized).

        See :meth:`DataObjective.grad_batches`; shapes ``(runs, d)`` and ``(runs, b)``.
        """
        theta, Xb, yb = self._run_rows(x, batches)
        r = np.einsum("rbd,rd->rb", Xb, theta) - yb
        g: FloatArray = np.einsum("rb,rbd->rd", r, Xb) / Xb.shape[1]
        return g

    def hessian(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return XᵀX/m (the same at every θ), shape ``(..., d, d)``."""
        theta = self._points(x)
        Xb, _ = self._rows(batch)
        H = Xb.T @ Xb / Xb.shape[0]
        batched: FloatArray = np.broadcast_to(H, theta.shape[:-1] + H.shape).copy()
        return batched

    def __repr__(self) -> str:
        return f"LeastSquares(n_samples={self.n_samples}, n_features={self.dim})"


def _sigmoid(z: FloatArray) -> FloatArray:
    """σ(z) = 1/(1 + e^(−z)), computed without overflow as exp(−log(1 + e^(−z)))."""
    return np.exp(-np.logaddexp(0.0, -z))


#: Newton steps shorter than this (relative to 1 + ‖θ‖) skip the line search (see ``solve``).
_WHOLE_STEP = 1e-6


class LogisticRegression(DataObjective):
    """Logistic regression: mean cross-entropy plus an optional L2 penalty.

    With labels yᵢ ∈ {0, 1}, scores zᵢ = xᵢᵀθ and σ(z) = 1/(1 + e^(−z)),

        L(θ) = mean over i of [log(1 + e^(zᵢ)) − yᵢ zᵢ] + (l2/2) ‖θ‖²,

    which equals the mean of −yᵢ log σ(zᵢ) − (1 − yᵢ) log(1 − σ(zᵢ)). The term log(1 + e^z) is
    computed as ``np.logaddexp(0, z)`` so large scores do not overflow. ∇L = Xᵀ(σ(Xθ) − y)/m + l2·θ
    and ∇²L = Xᵀ diag(σ(1 − σ)) X/m + l2·I, which is positive semi-definite: the loss is convex.
    No intercept is added: include a column of ones in ``X`` for one. See C. M. Bishop, *Pattern
    Recognition and Machine Learning*, Springer (2006), §4.3.2.

    ``minimizers`` is ``None`` (no closed form); ``solve()`` finds the minimizer by Newton's method.

    Raises
    ------
    ValueError
        If ``X``/``y`` are invalid (as for :class:`LeastSquares`), ``y`` has labels other than 0
        and 1, or ``l2`` is not finite and ``>= 0``.
    """

    def __init__(self, X: npt.ArrayLike, y: npt.ArrayLike, l2: float = 0.0) -> None:
        super().__init__(X, y)
        labels = np.unique(self.y)
        if not np.all(np.isin(labels, (0.0, 1.0))):
            raise ValueError(f"y must contain only the labels 0 and 1; got values {labels[:5]}")
        if not np.isfinite(l2) or l2 < 0:
            raise ValueError(f"l2 must be a finite number >= 0; got l2={l2}")
        self.l2 = float(l2)
        self.domain = ((-5.0, 5.0),) * self.dim

    def value(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> Any:
        """Return the mean cross-entropy over the batch rows plus (l2/2)‖θ‖², shape ``(...)``."""
        theta = self._points(x)
        Xb, yb = self._rows(batch)
        z = theta @ Xb.T
        loss = np.mean(np.logaddexp(0.0, z) - yb * z, axis=-1)
        total: FloatArray = loss + 0.5 * self.l2 * np.sum(theta**2, axis=-1)
        return total

    def grad(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return Xᵀ(σ(Xθ) − y)/m + l2·θ over the batch rows, shape ``(..., d)``."""
        theta = self._points(x)
        Xb, yb = self._rows(batch)
        g: FloatArray = (_sigmoid(theta @ Xb.T) - yb) @ Xb / Xb.shape[0] + self.l2 * theta
        return g

    def grad_batches(self, x: npt.ArrayLike, batches: npt.ArrayLike) -> FloatArray:
        """Row ``r``: the mini-batch gradient at ``x[r]`` on rows ``batches[r]`` (vectorized).

        See :meth:`DataObjective.grad_batches`; shapes ``(runs, d)`` and ``(runs, b)``.
        """
        theta, Xb, yb = self._run_rows(x, batches)
        s = _sigmoid(np.einsum("rbd,rd->rb", Xb, theta))
        g: FloatArray = np.einsum("rb,rbd->rd", s - yb, Xb) / Xb.shape[1] + self.l2 * theta
        return g

    def hessian(self, x: npt.ArrayLike, batch: npt.ArrayLike | None = None) -> FloatArray:
        """Return Xᵀ diag(σ(1 − σ)) X/m + l2·I over the batch rows, shape ``(..., d, d)``."""
        theta = self._points(x)
        Xb, _ = self._rows(batch)
        s = _sigmoid(theta @ Xb.T)
        H = np.einsum("...k,ki,kj->...ij", s * (1.0 - s), Xb, Xb) / Xb.shape[0]
        H_reg: FloatArray = H + self.l2 * np.eye(self.dim)
        return H_reg

    def predict_proba(self, x: npt.ArrayLike, X: npt.ArrayLike | None = None) -> FloatArray:
        """Return σ(Xθ), the probability of label 1 per row of ``X`` (default: training X)."""
        theta = self._points(x)
        rows = self.X if X is None else np.asarray(X, dtype=float)
        return _sigmoid(theta @ rows.T)

    def solve(self, tol: float = 1e-10, max_iter: int = 100) -> FloatArray:
        """Return the minimizer θ* found by Newton's method with a backtracking line search.

        Stops when the Newton step is shorter than ``tol · (1 + ‖θ‖)``. Raises ``RuntimeError``
        otherwise; that happens when ``l2 == 0`` and the classes are linearly separable: the loss
        then has no minimizer, ‖θ‖ grows without bound and the Newton steps do not shrink.

        Near the minimizer a step δ lowers the loss by about ``δᵀHδ/2``, which drops below the
        float64 rounding of the loss itself once ‖δ‖ is around 1e-8: the line search can then no
        longer tell better from worse. Such short steps are taken whole (Newton's method converges
        quadratically there), so ``tol`` may be far below 1e-8.
        """
        theta = np.zeros(self.dim)
        for _ in range(max_iter):
            g = self.grad(theta)
            step = np.linalg.lstsq(self.hessian(theta), g, rcond=None)[0]
            if np.linalg.norm(step) <= tol * (1.0 + np.linalg.norm(theta)):
                return theta - step
            f0, t = self.value(theta), 1.0
            short = np.linalg.norm(step) <= _WHOLE_STEP * (1.0 + np.linalg.norm(theta))
            while not short and self.value(theta - t * step) > f0 - 0.25 * t * (g @ step):
                t /= 2.0
                if t < 1e-12:
                    break
            theta = theta - t * step
        raise RuntimeError(
            f"Newton's method did not converge in {max_iter} iterations; if l2=0 and the classes "
            "are linearly separable the loss has no minimizer: use l2 > 0"
        )

    def __repr__(self) -> str:
        return (
            f"LogisticRegression(n_samples={self.n_samples}, n_features={self.dim}, l2={self.l2})"
        )


def _check_sizes(n_samples: int, n_features: int) -> None:
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples}")
    if int(n_features) != n_features or n_features < 1:
        raise ValueError(f"n_features must be a positive integer; got {n_features}")


def make_linear_regression(
    n_samples: int = 100,
    n_features: int = 2,
    noise: float = 0.5,
    seed: int | None = 0,
    *,
    return_coef: bool = False,
) -> Any:
    """Return ``(X, y)`` with y = X w + noise · ε, drawn from ``np.random.default_rng(seed)``.

    X and the true weights w have standard normal entries, ε is standard normal noise. With
    ``return_coef=True`` the result is ``(X, y, w)``. The same seed gives the same data.
    """
    _check_sizes(n_samples, n_features)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0; got noise={noise}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((int(n_samples), int(n_features)))
    w = rng.standard_normal(int(n_features))
    y = X @ w + noise * rng.standard_normal(int(n_samples))
    return (X, y, w) if return_coef else (X, y)


def make_classification(
    n_samples: int = 200, n_features: int = 2, seed: int | None = 0, separation: float = 2.0
) -> tuple[FloatArray, FloatArray]:
    """Return ``(X, y)``: two Gaussian clouds with labels y ∈ {0, 1} (as floats).

    Labels are drawn uniformly; each row is standard normal noise shifted by ±separation/2 along a
    random unit direction (+ for label 1). Small ``separation`` gives overlapping classes, large
    ``separation`` nearly separable ones. Deterministic given ``seed``.
    """
    _check_sizes(n_samples, n_features)
    if not np.isfinite(separation) or separation < 0:
        raise ValueError(f"separation must be a finite number >= 0; got separation={separation}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, int(n_samples)).astype(float)
    direction = rng.standard_normal(int(n_features))
    direction /= np.linalg.norm(direction)
    shift = (2.0 * y - 1.0) * (0.5 * separation)
    X = rng.standard_normal((int(n_samples), int(n_features))) + shift[:, None] * direction
    return X, y
