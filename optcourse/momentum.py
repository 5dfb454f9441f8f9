"""Momentum on a quadratic: the iteration matrix, its rate, tuned parameters and stability limits.

On f(θ) = ½ θᵀHθ every eigenvector of H evolves on its own, as for gradient descent
(:mod:`optcourse.diagnostics`), but a momentum method carries two numbers per eigenvector: the
coordinate ``x`` and the momentum buffer ``b``. In torch's form (:class:`~optcourse.optimizers.SGD`
with ``momentum=β``), with gradient ``g = λx`` along an eigenvector of eigenvalue ``λ``::

    heavy ball:  b ← βb + g,  x ← x − ηb
    Nesterov:    b ← βb + g,  x ← x − η(g + βb)

so one step multiplies the state ``(x, b)`` by a 2×2 matrix (:func:`iteration_matrix`), started
from ``(x₀, 0)``. The error contracts per step, in the long run, by the largest spectral radius of
these matrices over the eigenvalues (:func:`momentum_rate`). Its characteristic polynomial is
``z² − (1 + β − ηλ) z + β`` for heavy ball and ``z² − (1 + β)(1 − ηλ) z + β(1 − ηλ)`` for
Nesterov, which gives the stability limits (:func:`momentum_max_stable_lr`)

* heavy ball converges iff ``0 < ηλmax < 2(1 + β)``,
* Nesterov converges iff ``0 < ηλmax < 2(1 + β)/(1 + 2β)``,

for ``0 ≤ β < 1``, and Polyak's tuning (:func:`polyak_parameters`)
``η = 4/(√λmax + √λmin)²``, ``β = ((√κ − 1)/(√κ + 1))²``, where the rate of heavy ball is
``(√κ − 1)/(√κ + 1)`` (B. T. Polyak, "Some methods of speeding up the convergence of iteration
methods", USSR Comput. Math. Math. Phys. 4(5), 1-17 (1964)).
:func:`nesterov_parameters` is the constant-step tuning ``η = 1/λmax``,
``β = (√κ − 1)/(√κ + 1)`` of Y. Nesterov, *Lectures on Convex Optimization*, 2nd ed. (2018).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import check_unit_interval
from optcourse.diagnostics import eigenvalues

__all__ = [
    "iteration_matrix",
    "momentum_rate",
    "momentum_max_stable_lr",
    "polyak_parameters",
    "nesterov_parameters",
]


def _positive_definite(H_or_eigs: ArrayLike) -> NDArray[np.float64]:
    eigs = eigenvalues(H_or_eigs)
    if eigs[0] <= 0:
        raise ValueError(
            f"the smallest eigenvalue is {eigs[0]:.3g}: momentum theory here needs a positive "
            "definite quadratic (every eigenvalue > 0)"
        )
    return eigs


def iteration_matrix(eta: ArrayLike, beta: float, lam: ArrayLike, *, nesterov: bool = False) -> Any:
    """Return the matrix that maps the state ``(x_t, b_t)`` to ``(x_{t+1}, b_{t+1})``.

    ``x`` is the coordinate along an eigenvector of eigenvalue ``lam`` and ``b`` the momentum
    buffer of :class:`~optcourse.optimizers.SGD` (``momentum=beta``, ``dampening=0``); the run
    starts from ``(x₀, 0)``. ``eta`` and ``lam`` broadcast; the result has shape ``(..., 2, 2)``.

    Heavy ball: ``[[1 − ηλ, −ηβ], [λ, β]]``; Nesterov: ``[[1 − ηλ(1 + β), −ηβ²], [λ, β]]``.

    Raises
    ------
    ValueError
        If ``beta`` is not in ``[0, 1)``.
    """
    beta = check_unit_interval("beta", beta)
    eta_lam = np.multiply(eta, lam)
    eta_b, lam_b = np.broadcast_arrays(np.asarray(eta, dtype=float), np.asarray(lam, dtype=float))
    out = np.empty((*eta_lam.shape, 2, 2))
    if nesterov:
        out[..., 0, 0] = 1.0 - eta_lam * (1.0 + beta)
        out[..., 0, 1] = -eta_b * beta**2
    else:
        out[..., 0, 0] = 1.0 - eta_lam
        out[..., 0, 1] = -eta_b * beta
    out[..., 1, 0] = lam_b
    out[..., 1, 1] = beta
    return out


def momentum_rate(
    eta: ArrayLike, beta: float, H_or_eigs: ArrayLike, *, nesterov: bool = False
) -> Any:
    """Return the per-step contraction of heavy ball (or Nesterov) on the quadratic.

    That is the largest spectral radius of :func:`iteration_matrix` over the eigenvalues:
    below 1 the run converges at that linear rate (up to a factor polynomial in ``t`` where two
    roots coincide), 1 or more and it does not. Vectorized in ``eta``. With ``beta = 0`` both
    methods are gradient descent and this is :func:`optcourse.diagnostics.contraction_rate`.

    Raises
    ------
    ValueError
        If ``beta`` is not in ``[0, 1)`` or the eigenvalues are not valid.
    """
    eigs = eigenvalues(H_or_eigs)
    e = np.asarray(eta, dtype=float)
    mats = iteration_matrix(e[..., None], beta, eigs, nesterov=nesterov)
    with np.errstate(all="ignore"):
        radius = np.abs(np.linalg.eigvals(mats)).max(axis=(-1, -2))
    return float(radius) if np.ndim(radius) == 0 else radius


def momentum_max_stable_lr(beta: float, H_or_eigs: ArrayLike, *, nesterov: bool = False) -> float:
    """Return the largest stable step: ``2(1 + β)/λmax`` (Nesterov: ``2(1 + β)/((1 + 2β)λmax)``).

    Below it the run converges from every start (``0 ≤ β < 1``); at and above it, it does not.
    With ``beta = 0`` both are ``2/λmax``, gradient descent's limit.

    Raises
    ------
    ValueError
        If ``beta`` is not in ``[0, 1)`` or the quadratic is not positive definite.
    """
    beta = check_unit_interval("beta", beta)
    top = float(_positive_definite(H_or_eigs)[-1])
    limit = 2.0 * (1.0 + beta) / top
    return limit / (1.0 + 2.0 * beta) if nesterov else limit


def polyak_parameters(H_or_eigs: ArrayLike) -> tuple[float, float]:
    """Return Polyak's tuned heavy ball ``(η, β) = (4/(√L + √μ)², ((√κ − 1)/(√κ + 1))²)``.

    ``L = λmax``, ``μ = λmin``, ``κ = L/μ``; the rate is then ``(√κ − 1)/(√κ + 1)``, the best
    any choice of ``(η, β)`` gives heavy ball on the quadratic.

    Raises
    ------
    ValueError
        If the quadratic is not positive definite.
    """
    eigs = _positive_definite(H_or_eigs)
    mu, big = float(eigs[0]), float(eigs[-1])
    root = math.sqrt(big / mu)
    return 4.0 / (math.sqrt(big) + math.sqrt(mu)) ** 2, ((root - 1.0) / (root + 1.0)) ** 2


def nesterov_parameters(H_or_eigs: ArrayLike) -> tuple[float, float]:
    """Return Nesterov's constant-step tuning ``(η, β) = (1/L, (√κ − 1)/(√κ + 1))``.

    The tuning of Nesterov's method for ``μ``-strongly convex, ``L``-smooth functions, whose
    guaranteed rate is ``1 − 1/√κ`` for the loss gap; on a quadratic it is not the best tuning.

    Raises
    ------
    ValueError
        If the quadratic is not positive definite.
    """
    eigs = _positive_definite(H_or_eigs)
    root = math.sqrt(float(eigs[-1]) / float(eigs[0]))
    return 1.0 / float(eigs[-1]), (root - 1.0) / (root + 1.0)
