"""Diagnostics: the quadratic theory of step sizes, and reading runs and loss curves.

**Quadratic theory.** On f(x) = ½ xᵀHx (or any smooth function near a minimum, where it looks like
one) gradient descent with step η multiplies the error along the eigenvector of eigenvalue λ by the
*update factor* 1 − ηλ. Everything follows from that one number:

* ``|1 − ηλ| < 1`` for every eigenvalue ⇔ convergence ⇔ ``η < 2/λmax`` (:func:`max_stable_lr`);
* the slowest direction contracts by ``max |1 − ηλ|`` per step (:func:`contraction_rate`);
* the best fixed step balances the extreme eigenvalues, ``η* = 2/(λmax + λmin)``
  (:func:`optimal_lr`), where the rate is ``(κ − 1)/(κ + 1)`` with ``κ = λmax/λmin``
  (:func:`condition_number`); the error norm then falls below a fraction ``tol`` of its start
  within :func:`steps_to_tolerance` steps. See J. Nocedal and S. J. Wright, *Numerical
  Optimization*, 2nd ed., Springer (2006), §3.3.

For f(x) = x² the Hessian is 2, so the factor is 1 − 2η: the four regimes of chapter 2.

**Random Hessians.** :func:`goe_positive_definite_probability` is the exact probability that a
random symmetric matrix of the Gaussian orthogonal ensemble has only positive eigenvalues (the
random-matrix caricature of "a critical point is a minimum", chapter 5).

**Reading runs.** One vocabulary names what a run did. :func:`classify_run` reads any run (a
result or a loss curve) and answers with one of the five :data:`RUN_CLASSES`. When the iterates of
a 1-D run and the minimizer are known, as in chapter 2 and its explorer, :func:`classify_iterates`
says more: one of the seven :data:`REGIMES`, each a finer name inside one run class
(``REGIMES[label]`` is that class; "bouncing forever" is an "oscillating" run).
:func:`read_loss_curves` reads a pair of training/validation curves. Their criteria are simple,
documented thresholds (keyword arguments you may change), meant to be inspected, not trusted
blindly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "update_factor",
    "eigenvalues",
    "max_stable_lr",
    "optimal_lr",
    "contraction_rate",
    "condition_number",
    "steps_to_tolerance",
    "goe_positive_definite_probability",
    "classify_run",
    "RUN_CLASSES",
    "classify_iterates",
    "REGIMES",
    "moving_average",
    "read_loss_curves",
    "CURVE_READINGS",
]

#: Diagnostics read curves that may hold inf, NaN or huge values (a diverged run): they answer with
#: a label or a NaN/inf entry, never with a NumPy overflow/invalid-value warning.
_quiet = np.errstate(all="ignore")

#: The labels :func:`classify_run` can return.
RUN_CLASSES = ("converging", "slow", "oscillating", "diverging", "stalled")
#: The labels :func:`classify_iterates` can return, in the order of growing learning rate on x²,
#: each mapped to the run class (one of :data:`RUN_CLASSES`) it refines. A run that starts at the
#: minimum makes no progress, which the loss curve alone reads as "stalled".
REGIMES: Mapping[str, str] = MappingProxyType(
    {
        "already at the minimum": "stalled",
        "slow: barely moved": "slow",
        "converging monotonically": "converging",
        "landed exactly on the minimum": "converging",
        "oscillating, converging": "oscillating",
        "bouncing forever": "oscillating",
        "diverging": "diverging",
    }
)
#: The labels :func:`read_loss_curves` can return.
CURVE_READINGS = ("underfitting", "overfitting", "unstable", "healthy")


@_quiet
def update_factor(eta: ArrayLike, lam: ArrayLike) -> Any:
    """Return ``1 − η·λ``, the factor by which one GD step scales the error along eigenvalue λ.

    Vectorized: ``eta`` and ``lam`` broadcast (``update_factor(0.1, 2.0) == 0.8`` for x²).
    """
    return 1.0 - np.multiply(eta, lam)


def eigenvalues(H_or_eigs: ArrayLike) -> NDArray[np.float64]:
    """Return the eigenvalues (ascending) of a symmetric matrix, or pass a list of them through.

    A number or a 1-D array is taken to be the eigenvalues already; a square 2-D array is a
    (symmetric) Hessian.

    Raises
    ------
    ValueError
        If the matrix is not square and symmetric, or there is no eigenvalue or one is not finite.
    """
    a = np.asarray(H_or_eigs, dtype=float)
    if a.ndim <= 1:
        eigs = np.sort(a.reshape(-1))
    elif a.ndim == 2 and a.shape[0] == a.shape[1]:
        if not np.allclose(a, a.T):
            raise ValueError("H must be symmetric (a Hessian); got a non-symmetric matrix")
        eigs = np.linalg.eigvalsh(a)
    else:
        raise ValueError(f"expected eigenvalues (1-D) or a square matrix; got shape {a.shape}")
    if eigs.size == 0 or not np.isfinite(eigs).all():
        raise ValueError("need at least one eigenvalue, all finite")
    return eigs


def _convex_eigs(H_or_eigs: ArrayLike) -> NDArray[np.float64]:
    eigs = eigenvalues(H_or_eigs)
    if eigs[0] < 0:
        raise ValueError(
            f"the smallest eigenvalue is {eigs[0]:.3g} < 0: the quadratic has no minimum and "
            "gradient descent moves away along that direction for every step size"
        )
    if eigs[-1] <= 0:
        raise ValueError("the largest eigenvalue must be > 0 (a flat quadratic has no step limit)")
    return eigs


def max_stable_lr(H_or_eigs: ArrayLike) -> float:
    """Return ``2/λmax``: gradient descent on the quadratic converges iff ``η`` is below this.

    Raises
    ------
    ValueError
        If an eigenvalue is negative (no minimum) or the largest is not ``> 0`` (see
        :func:`eigenvalues` for the accepted input).
    """
    return float(2.0 / _convex_eigs(H_or_eigs)[-1])


def optimal_lr(H_or_eigs: ArrayLike) -> float:
    """Return ``2/(λmax + λmin)``, the fixed step with the smallest contraction rate.

    Raises
    ------
    ValueError
        If an eigenvalue is negative (no minimum) or the largest is not ``> 0`` (see
        :func:`eigenvalues` for the accepted input).
    """
    eigs = _convex_eigs(H_or_eigs)
    return float(2.0 / (eigs[-1] + eigs[0]))


@_quiet
def contraction_rate(eta: ArrayLike, H_or_eigs: ArrayLike) -> Any:
    """Return ``max over λ of |1 − ηλ|``, the worst per-step error factor (vectorized in ``eta``).

    Below 1 the run converges (at that linear rate); 1 or more and it does not.
    """
    eigs = eigenvalues(H_or_eigs)
    rate = np.max(np.abs(1.0 - np.multiply.outer(np.asarray(eta, dtype=float), eigs)), axis=-1)
    return float(rate) if np.ndim(rate) == 0 else rate


def condition_number(H_or_eigs: ArrayLike) -> float:
    """Return ``κ = |λ|max / |λ|min`` (``inf`` when an eigenvalue is 0).

    For a positive definite Hessian this is ``λmax/λmin``: 1 is a perfectly round bowl, large
    values a narrow valley where gradient descent zig-zags.
    """
    a = np.abs(eigenvalues(H_or_eigs))
    lo, hi = float(a.min()), float(a.max())
    return float("inf") if lo == 0.0 else hi / lo


def steps_to_tolerance(eta: float, H_or_eigs: ArrayLike, tol: float) -> float:
    """Return the steps after which ``ρ(η)ᵗ ≤ tol``, with ``ρ`` the :func:`contraction_rate`.

    On the quadratic every GD step shrinks the error norm ``‖θ_t − θ*‖`` by at least the factor
    ``ρ(η) = max |1 − ηλ|``, so after ``⌈ln tol / ln ρ⌉`` steps the error is at most ``tol``
    times the first one, from *any* start: a worst-case count, reached exactly when the start
    has weight on an eigenvector whose factor has magnitude ``ρ`` (and only approached
    otherwise). Returns ``0.0`` when ``tol >= 1``, ``1.0`` when ``ρ = 0`` (one step is exact),
    and ``inf`` when ``ρ >= 1`` (the error never shrinks).

    >>> steps_to_tolerance(0.25, [1.0, 2.0], 1e-3)  # rho = max(0.75, 0.5)
    25.0

    Raises
    ------
    ValueError
        If ``tol`` is not a positive finite number or ``eta`` is negative or not finite.
    """
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number; got {tol}")
    if not (math.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be a finite number >= 0; got {eta}")
    if tol >= 1.0:
        return 0.0
    rho = float(contraction_rate(eta, H_or_eigs))
    if rho >= 1.0:
        return math.inf
    if rho == 0.0:
        return 1.0
    return float(math.ceil(math.log(tol) / math.log(rho) - 1e-9))


@functools.cache
def _gauss_legendre(points: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nodes and weights of the Gauss-Legendre rule on [−1, 1], computed once per size."""
    nodes, weights = np.polynomial.legendre.leggauss(points)
    return nodes, weights


def _angular_moment(j: int, k: int, lo: float, hi: float) -> float:
    """∫ cos^j φ sin^k φ dφ over [lo, hi] by 80-point Gauss-Legendre (an analytic integrand)."""
    nodes, weights = _gauss_legendre(80)
    phi = 0.5 * (hi - lo) * nodes + 0.5 * (hi + lo)
    return float(0.5 * (hi - lo) * np.sum(weights * np.cos(phi) ** j * np.sin(phi) ** k))


def _half_gaussian_moment(m: int) -> float:
    """∫_0^∞ r^m e^{−r²/2} dr = 2^{(m−1)/2} Γ((m + 1)/2)."""
    return float(2.0 ** ((m - 1) / 2) * math.gamma((m + 1) / 2))


def _de_bruijn_matrix(n: int, half_line: bool) -> NDArray[np.float64]:
    """The antisymmetric matrix whose Pfaffian is the GOE eigenvalue integral over the domain.

    Entry (j, k) is ∫∫ sign(y − x) x^j y^k e^{−(x² + y²)/2} dx dy over (0, ∞)² or ℝ², computed in
    polar coordinates; for odd n a last row and column hold ∫ x^j e^{−x²/2} dx.
    """
    quarter = math.pi / 4
    size = n + n % 2
    A = np.zeros((size, size))
    for j in range(n):
        for k in range(n):
            if half_line:  # sin φ > cos φ on (π/4, π/2), below it on (0, π/4)
                ang = _angular_moment(j, k, quarter, 2 * quarter) - _angular_moment(
                    j, k, 0.0, quarter
                )
            else:  # sin φ > cos φ on (π/4, 5π/4)
                ang = _angular_moment(j, k, quarter, 5 * quarter) - _angular_moment(
                    j, k, 5 * quarter, 9 * quarter
                )
            A[j, k] = _half_gaussian_moment(j + k + 1) * ang
    if n % 2:
        for j in range(n):
            full = 2 * _half_gaussian_moment(j) if j % 2 == 0 else 0.0
            A[j, n] = _half_gaussian_moment(j) if half_line else full
            A[n, j] = -A[j, n]
    return A


def goe_positive_definite_probability(n: int) -> float:
    """Return the probability that an n×n GOE matrix is positive definite.

    A GOE matrix is symmetric with independent Gaussian entries on and above the diagonal (the
    diagonal with twice the variance of the rest), e.g. ``(G + G.T) / 2`` for a matrix ``G`` of
    independent standard normals. Its eigenvalues have the joint density ∝ ∏_{i<j} |λ_i − λ_j|
    ∏_i e^{−λ_i²/4} (any Gaussian scale gives the same probability). Integrating that density over
    the ordered eigenvalues is a Pfaffian (N. G. de Bruijn, "On some multiple integrals involving
    determinants", J. Indian Math. Soc. 19, 133-151 (1955)), so the probability that all of them are
    positive is ``sqrt(det A₊ / det A)`` for the two antisymmetric matrices of moments over (0, ∞)
    and over ℝ. Exact values: 1/2 for n = 1 and (2 − √2)/4 for n = 2; for large n the probability
    decays like 3^(−n²/4) (D. S. Dean and S. N. Majumdar, "Large deviations of extreme eigenvalues
    of random matrices", Phys. Rev. Lett. 97, 160201 (2006)), far faster than the 2^(−n) of
    independent signs.

    The moments are computed in float64 by quadrature; against a 40-digit computation the result
    agrees to a relative 1e-6 up to n = 10; larger n (where the monomial moments lose accuracy)
    are refused.

    Parameters
    ----------
    n : int
        The size of the matrix, 1 ≤ n ≤ 10.

    Raises
    ------
    ValueError
        If ``n`` is not an integer between 1 and 12.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 10:
        raise ValueError(f"n must be an integer between 1 and 10; got {n!r}")
    n = int(n)
    ratio = np.linalg.det(_de_bruijn_matrix(n, True)) / np.linalg.det(_de_bruijn_matrix(n, False))
    return float(math.sqrt(ratio))


@_quiet
def moving_average(x: ArrayLike, window: int) -> NDArray[np.float64]:
    """Return the trailing moving average: entry ``i`` is the mean of ``x[i : i + window]``.

    The result has ``len(x) − window + 1`` entries (only full windows); plot it against
    ``np.arange(window − 1, len(x))`` to align each average with the last step it covers.
    Each window is averaged on its own, so a NaN or inf only affects the windows that contain it.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or ``window`` is not in ``[1, len(x)]``.
    TypeError
        If ``window`` is not an integer.
    """
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"x must be 1-D; got shape {a.shape}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        raise TypeError(f"window must be an integer; got {window!r}")
    if not 1 <= window <= len(a):
        raise ValueError(f"window must be in [1, len(x)={len(a)}]; got {window}")
    # Each window is summed on its own: a running sum (cumsum) would let a huge early loss swamp
    # the small late ones (catastrophic cancellation) and spread one NaN/inf to every later window.
    windows = np.lib.stride_tricks.sliding_window_view(a, window)
    result: NDArray[np.float64] = windows.mean(axis=-1)
    return result


def _reversal_fraction(steps: NDArray[np.float64]) -> float:
    """Fraction of consecutive non-zero steps that point in opposite directions (dot < 0)."""
    steps = steps.reshape(len(steps), -1)
    nonzero = np.any(steps != 0.0, axis=1)
    pairs = nonzero[:-1] & nonzero[1:]
    if pairs.sum() < 2:
        return 0.0
    dots = np.einsum("ij,ij->i", steps[:-1], steps[1:])[pairs]
    return float(np.mean(dots < 0.0))


@_quiet
def classify_run(
    run: Any,
    *,
    path: ArrayLike | None = None,
    grow_tol: float = 1.0,
    flat_tol: float = 1e-3,
    alternation: float = 0.8,
    slow_rate: float = 0.9,
    done_ratio: float = 1e-6,
) -> str:
    """Name the regime of a run: "diverging", "oscillating", "stalled", "slow" or "converging".

    ``run`` is an :class:`~optcourse.result.OptimizeResult` (its loss curve, path and status are
    used) or a 1-D array of losses ``L_0 … L_T`` (then pass ``path=`` to detect oscillation in
    parameter space). The rules are tried in this order; ``scale = max(|L_0|, 1e-12)`` and
    ``L_end`` is the mean of the last 10 % of the losses (at least one):

    1. **diverging**: a loss is NaN/inf, the result's status is "diverged", or the loss grew:
       ``L_end − L_0 > grow_tol · scale`` (default: more than doubled).
    2. **oscillating**: with a path, at least ``alternation`` (80 %) of consecutive non-zero
       steps reverse direction (``Δx_t · Δx_{t+1} < 0``); without one, at least that fraction of
       consecutive loss changes alternate up/down. On f = x² this is 0.5 < η < 1 (decaying bounce)
       *and* η = 1 (bouncing between ±x0 forever: we call both "oscillating"; with losses only,
       η = 1 gives a constant loss and is "stalled").
    3. **stalled**: no net progress: ``L_end`` is not below both ``L_0`` and ``L_start`` (the mean
       of the first 10 %) by more than ``flat_tol · scale`` and by more than three standard
       errors of the noise (the scatter of the last quarter around a fitted line).
    4. **converging** or **slow**: the loss decreased. Let ``d1`` be the mean decrease per step over
       the first quarter of the steps and ``d2`` the decrease per step of a straight line fitted
       to the last quarter. If the decrease has died out (``d2`` is not more than three standard
       errors above 0, as for a noisy curve at its floor, or ``d2 ≤ done_ratio · d1``) the run has
       arrived: "converging". Otherwise the decrease shrinks by about ``ρ = (d2/d1)^(1/gap)`` per
       step, ``gap`` being the distance between the two windows (for f − f* ∝ ρᵗ the decreases
       shrink by ρ too, so f* need not be known): "slow" if ``ρ ≥ slow_rate`` (under 10 % of the
       remaining gap closed per step), else "converging".

    Examples on f = x² from x0 = 5 with 50 GD steps: η = 0.01 → "slow" (ρ = 0.96), η = 0.1 and
    η = 0.4 → "converging", η = 0.9 and 1.0 → "oscillating", η = 1.1 → "diverging".
    A converged run and one stuck on a plateau both look flat at the end; the loss curve alone
    cannot tell them apart (look at ``history.grad_norm`` and the Hessian). For a 1-D run whose
    minimizer is known, :func:`classify_iterates` gives the finer name (one of :data:`REGIMES`).

    Returns
    -------
    str
        One of :data:`RUN_CLASSES`.

    Raises
    ------
    ValueError
        If the loss curve is not 1-D with at least 3 values, or ``path`` has a different length.
    """
    if hasattr(run, "history"):
        losses = np.asarray(run.history.loss, dtype=float)
        if path is None:
            path = run.history.x
        if getattr(run, "status", None) == "diverged":
            return "diverging"
    else:
        losses = np.asarray(run, dtype=float)
    if losses.ndim != 1 or len(losses) < 3:
        raise ValueError(f"need a 1-D loss curve with at least 3 values; got shape {losses.shape}")
    if not np.isfinite(losses).all():
        return "diverging"
    T = len(losses) - 1
    w = max(1, round(0.1 * len(losses)))
    L0 = float(losses[0])
    scale = max(abs(L0), 1e-12)
    L_start, L_end = float(np.mean(losses[:w])), float(np.mean(losses[-w:]))
    if L_end - L0 > grow_tol * scale:
        return "diverging"

    if path is not None:
        p = np.asarray(path, dtype=float)
        if len(p) != len(losses):
            raise ValueError(f"path must have one row per loss ({len(losses)}); got {len(p)}")
        if not np.isfinite(p).all():
            return "diverging"
        reversals = _reversal_fraction(np.diff(p, axis=0))
    else:
        d = np.diff(losses)
        d = np.where(np.abs(d) <= 1e-12 * scale, 0.0, d)
        reversals = _reversal_fraction(d)
    if reversals >= alternation:
        return "oscillating"

    q = max(2, T // 4)
    d2, significant, noise = _tail_slope(losses[-(q + 1) :])
    if L_end > min(L0, L_start) - max(flat_tol * scale, 3.0 * noise * math.sqrt(2.0 / w)):
        return "stalled"
    d1 = float(losses[0] - losses[q]) / q
    if d1 <= 0.0:
        return "slow"  # the loss went down overall, but the first quarter made no progress
    if not significant or d2 <= done_ratio * d1:
        return "converging"
    gap = max(T - q, 1)
    rho = (d2 / d1) ** (1.0 / gap)
    return "slow" if rho >= slow_rate else "converging"


def classify_iterates(xs: ArrayLike, minimizer: float, slow_fraction: float = 0.5) -> str:
    """Name the regime of a 1-D run from its iterates and the minimizer: one of :data:`REGIMES`.

    The distance ``d_t = |x_t − minimizer|`` decides: growing (or overflowing) is "diverging";
    unchanged with sign flips is "bouncing forever"; shrinking with sign flips is "oscillating,
    converging"; shrinking on one side is "converging monotonically", or "slow: barely moved" when
    the final distance is still above ``slow_fraction`` of the first (or did not change at all);
    a final distance of exactly zero is "landed exactly on the minimum", a first one of zero
    "already at the minimum". ``REGIMES[label]`` is the coarser :data:`RUN_CLASSES` label.

    On f = x² from x0 = 5 with 20 GD steps: η = 0.01 → "slow: barely moved", η = 0.3 →
    "converging monotonically", η = 0.5 → "landed exactly on the minimum", η = 0.8 →
    "oscillating, converging", η = 1 → "bouncing forever", η = 1.1 → "diverging".

    Raises
    ------
    ValueError
        If there are no iterates or ``minimizer`` is not finite.
    """
    x = np.asarray(xs, dtype=float).reshape(-1)
    if x.size == 0 or not math.isfinite(minimizer):
        raise ValueError("need at least one iterate and a finite minimizer")
    d = x - minimizer
    if not np.isfinite(d).all():
        return "diverging"
    first, last = abs(d[0]), abs(d[-1])
    if first == 0.0:
        return "already at the minimum"
    if last > first * (1 + 1e-9):
        return "diverging"
    if last == 0.0:
        return "landed exactly on the minimum"
    flips = bool((np.sign(d[:-1]) * np.sign(d[1:]) < 0).any())
    if last >= first * (1 - 1e-9):
        return "bouncing forever" if flips else "slow: barely moved"
    if flips:
        return "oscillating, converging"
    return "slow: barely moved" if last > slow_fraction * first else "converging monotonically"


def _tail_slope(tail: NDArray[np.float64]) -> tuple[float, bool, float]:
    """Fit a least-squares line through ``tail``: ``(decrease per step, significant?, noise)``.

    The decrease counts as significant when the fitted slope is negative by more than three
    standard errors, so a noisy curve that has reached its floor reads as "no more progress";
    ``noise`` is the standard deviation of the residuals around the line.
    """
    t = np.arange(len(tail), dtype=float)
    t -= t.mean()
    slope = float(t @ (tail - tail.mean()) / (t @ t))
    resid = tail - tail.mean() - slope * t
    dof = max(len(tail) - 2, 1)
    noise = math.sqrt(float(resid @ resid) / dof)
    se = noise / math.sqrt(float(t @ t))
    return -slope, -slope > 3.0 * se, noise


def _spikes(curve: NDArray[np.float64], window: int, factor: float) -> int:
    """Count points more than ``factor`` times above the median of the ``window`` before them."""
    count = 0
    for t in range(window, len(curve)):
        ref = float(np.median(curve[t - window : t]))
        if curve[t] - ref > factor * abs(ref):
            count += 1
    return count


@_quiet
def read_loss_curves(
    train: ArrayLike,
    val: ArrayLike,
    *,
    target: float | None = None,
    min_drop: float = 0.5,
    rise_tol: float = 0.1,
    spike_factor: float = 1.0,
    spike_window: int = 5,
) -> str:
    """Read training and validation loss curves: "unstable", "overfitting", "underfitting" or
    "healthy".

    Both curves are sampled at the same steps (e.g. once per epoch). Checked in this order:

    1. **unstable**: a NaN/inf value, or a *spike* in either curve: a point that exceeds the median
       of the ``spike_window`` points before it by more than ``spike_factor`` times that median
       (default: the loss more than doubles against its recent level).
    2. **overfitting**: the validation loss bottomed out before the end and rose again by more than
       ``rise_tol · max(|min val|, val[0] − min val)`` (10 % by default), while the training loss
       kept falling after that point.
    3. **underfitting**: the training loss is still high: above ``target`` if you give one (e.g. a
       baseline's loss or the noise level), otherwise it has not even dropped by a fraction
       ``min_drop`` (half) from its first value; and the same holds for the validation loss.
    4. **healthy** otherwise: both fall and stay together.

    These are rules of thumb for reading a plot, not statistical tests.

    Returns
    -------
    str
        One of :data:`CURVE_READINGS`.

    Raises
    ------
    ValueError
        If the curves are not 1-D of equal length ``>= 3``, or ``min_drop`` is not in ``[0, 1]``.
    """
    tr = np.asarray(train, dtype=float)
    va = np.asarray(val, dtype=float)
    if tr.ndim != 1 or va.shape != tr.shape or len(tr) < 3:
        raise ValueError(
            f"train and val must be 1-D curves of equal length >= 3; got {tr.shape}, {va.shape}"
        )
    if not (0.0 <= min_drop <= 1.0):
        raise ValueError(f"min_drop must be in [0, 1]; got {min_drop}")
    if not (np.isfinite(tr).all() and np.isfinite(va).all()):
        return "unstable"
    w = min(spike_window, len(tr) - 1)
    if _spikes(tr, w, spike_factor) or _spikes(va, w, spike_factor):
        return "unstable"

    k = int(np.argmin(va))
    tail = max(1, round(0.1 * len(va)))
    v_end = float(np.mean(va[-tail:]))
    v_min = float(va[k])
    rise = rise_tol * max(abs(v_min), float(va[0]) - v_min)
    if k < len(va) - 1 and v_end - v_min > rise and float(np.mean(tr[-tail:])) < tr[k]:
        return "overfitting"

    def high(curve: NDArray[np.float64]) -> bool:
        end = float(np.mean(curve[-tail:]))
        return end > target if target is not None else end > (1.0 - min_drop) * curve[0]

    if high(tr) and high(va):
        return "underfitting"
    return "healthy"
