"""Stochastic gradients: mini-batch sampling, the variance of a mini-batch gradient, many SGD runs.

A data objective is a mean over samples, L(θ) = (1/m) Σᵢ ℓᵢ(θ), and a mini-batch gradient is the
mean of ∇ℓᵢ over ``B`` sampled rows. Sampled uniformly it is an unbiased estimate of ∇L(θ), and
its variance (the expected squared distance to ∇L, summed over coordinates) is

* ``σ²/B`` when the ``B`` indices are drawn independently, with replacement;
* ``(σ²/B)·(m − B)/(m − 1)`` when they are ``B`` distinct rows (without replacement; the factor is
  the finite-population correction of survey sampling, W. G. Cochran, *Sampling Techniques*, 3rd
  ed., Wiley (1977), chapter 2),

where ``σ² = (1/m) Σᵢ ‖∇ℓᵢ(θ) − ∇L(θ)‖²`` is the spread of the per-sample gradients
(:func:`gradient_variance`; :func:`minibatch_variance` evaluates the formulas).
:func:`minibatch_gradients` draws many mini-batch gradients at one point to measure both, and
:func:`sgd_runs` runs plain SGD many times at once (one row per run, each with its own batches and
learning rate), for the statistics of chapter 6 that one :func:`optcourse.minimize` run cannot give.
All draws come from ``np.random.default_rng(seed)``: same seed, same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import check_int, check_sampling

__all__ = [
    "SGDRuns",
    "gradient_variance",
    "minibatch_gradients",
    "minibatch_variance",
    "per_sample_gradients",
    "sgd_runs",
]

FloatArray = NDArray[np.float64]


def _n_samples(objective: Any) -> int:
    n = getattr(objective, "n_samples", None)
    if n is None or not callable(getattr(objective, "grad_batches", None)):
        raise TypeError(
            "need a data objective with n_samples and grad_batches (e.g. LeastSquares); "
            f"got {objective!r}"
        )
    return int(n)


def minibatch_variance(
    sigma2: ArrayLike, n_samples: int, batch_size: ArrayLike, *, replacement: bool = False
) -> Any:
    """Return the variance of a mini-batch gradient of ``batch_size`` rows out of ``n_samples``.

    ``σ²/B`` with ``replacement=True``, else ``(σ²/B)·(m − B)/(m − 1)`` (zero at ``B = m``: the
    batch is then the whole data set). ``sigma2`` and ``batch_size`` broadcast.

    Raises
    ------
    ValueError
        If ``sigma2 < 0``, ``n_samples < 1`` or a batch size is outside ``[1, n_samples]``
        (any size ``>= 1`` with replacement).
    """
    m = check_int("n_samples", n_samples, minimum=1)
    s2 = np.asarray(sigma2, dtype=float)
    size = np.asarray(batch_size, dtype=float)
    if np.any(s2 < 0) or not np.all(np.isfinite(s2)):
        raise ValueError(f"sigma2 must be finite and >= 0; got {sigma2!r}")
    too_big = not replacement and np.any(size > m)
    if np.any(size < 1) or too_big or np.any(size != np.round(size)):
        top = "any integer >= 1" if replacement else f"integers in [1, n_samples={m}]"
        raise ValueError(f"batch_size must be {top}; got {batch_size!r}")
    if replacement:
        return s2 / size
    correction = (m - size) / (m - 1) if m > 1 else np.zeros_like(size)
    return s2 / size * correction


def per_sample_gradients(objective: Any, x: ArrayLike) -> FloatArray:
    """Return the ``m`` per-sample gradients ∇ℓᵢ(x) of a data objective, shape ``(m, dim)``."""
    m = _n_samples(objective)
    theta = np.asarray(x, dtype=float)
    grads: FloatArray = objective.grad_batches(
        np.broadcast_to(theta, (m, theta.shape[-1])), np.arange(m)[:, None]
    )
    return grads


def gradient_variance(objective: Any, x: ArrayLike) -> float:
    """Return ``σ² = (1/m) Σᵢ ‖∇ℓᵢ(x) − ∇L(x)‖²``, the spread of the per-sample gradients."""
    g = per_sample_gradients(objective, x)
    return float(np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=1)))


def minibatch_gradients(
    objective: Any,
    x: ArrayLike,
    batch_size: int,
    draws: int,
    *,
    replacement: bool = False,
    seed: int | np.random.Generator | None = None,
) -> FloatArray:
    """Return ``draws`` independent mini-batch gradients at ``x``, shape ``(draws, dim)``.

    Each batch is ``batch_size`` distinct rows chosen uniformly (``replacement=False``) or
    ``batch_size`` indices drawn uniformly with replacement; the batches are independent.

    Raises
    ------
    ValueError
        If ``draws < 1`` or ``batch_size`` is not in ``[1, n_samples]`` (``>= 1`` with replacement).
    TypeError
        If ``objective`` is not a data objective with ``grad_batches``.
    """
    m = _n_samples(objective)
    draws = check_int("draws", draws, minimum=1)
    size = check_int("batch_size", batch_size, minimum=1)
    if not replacement and size > m:
        raise ValueError(
            f"batch_size must be in [1, n_samples={m}] without replacement; got {size}"
        )
    rng = np.random.default_rng(seed)
    if replacement:
        idx = rng.integers(0, m, size=(draws, size))
    else:  # the positions of the `size` smallest of m uniform keys: a uniform subset
        idx = np.argpartition(rng.random((draws, m)), size - 1, axis=1)[:, :size]
    theta = np.broadcast_to(np.asarray(x, dtype=float), (draws, np.shape(x)[-1]))
    grads: FloatArray = objective.grad_batches(theta, idx)
    return grads


def _run_batches(
    m: int, batch_size: int, runs: int, sampling: str, rng: np.random.Generator
) -> Iterator[NDArray[np.intp]]:
    """Yield index arrays ``(runs, b)`` forever: one batch per run and step.

    ``"epochs"``: each run walks through its own fresh permutation of ``range(m)`` every epoch
    (the last batch of an epoch smaller if ``batch_size`` does not divide ``m``, the same size for
    every run); ``"replacement"``: independent uniform indices.
    """
    if sampling == "replacement":
        while True:
            yield rng.integers(0, m, size=(runs, batch_size))
    order = np.tile(np.arange(m), (runs, 1))
    while True:
        perm = rng.permuted(order, axis=1)
        for i in range(0, m, batch_size):
            yield perm[:, i : i + batch_size]


@dataclass(frozen=True)
class SGDRuns:
    """Many SGD runs: the full loss of every run at the recorded steps, and where they ended.

    ``steps`` has shape ``(k,)`` (0, ``record_every``, ... and the last step), ``loss`` shape
    ``(k, runs)``, ``x`` (the final points) ``(runs, dim)`` and ``lr`` ``(runs,)``.
    """

    steps: NDArray[np.int64]
    loss: FloatArray
    x: FloatArray
    lr: FloatArray

    def late_mean(self, minimum: float, start: int) -> FloatArray:
        """Mean excess loss ``L − minimum`` over the recorded steps ``>= start``, per run."""
        late = self.steps >= start
        if not late.any():
            raise ValueError(f"no recorded step >= start={start}; the last is {self.steps[-1]}")
        result: FloatArray = np.mean(self.loss[late] - minimum, axis=0)
        return result


def sgd_runs(
    objective: Any,
    x0: ArrayLike,
    lr: ArrayLike,
    *,
    batch_size: int,
    steps: int,
    runs: int = 1,
    seed: int | np.random.Generator | None = None,
    sampling: str = "epochs",
    schedule: Callable[[int], Any] | None = None,
    record_every: int = 1,
) -> SGDRuns:
    """Run plain SGD ``θ ← θ − η_t g_t`` ``runs`` times at once; return an :class:`SGDRuns`.

    Every run starts at ``x0`` (shape ``(dim,)``, or ``(runs, dim)``) and draws its own batches
    (``sampling`` as in :func:`optcourse.minimize`) from one ``np.random.default_rng(seed)``.
    ``lr`` is one rate or one per run (shape ``(runs,)``); with ``schedule``, step ``t`` uses
    ``schedule(t)`` instead (a number, or one per run). The full loss of every run is recorded
    every ``record_every`` steps and at the last step.

    Raises
    ------
    ValueError
        For bad ``batch_size``, ``steps``, ``runs``, ``record_every``, ``sampling``, a learning
        rate of the wrong shape, or an ``x0`` that does not fit ``(dim,)`` or ``(runs, dim)``.
    TypeError
        If ``objective`` is not a data objective with ``grad_batches``.
    """
    m = _n_samples(objective)
    size, steps = check_int("batch_size", batch_size), check_int("steps", steps, minimum=0)
    runs, every = check_int("runs", runs), check_int("record_every", record_every)
    if size > m:
        raise ValueError(f"batch_size must be in [1, n_samples={m}]; got {size}")
    batches = _run_batches(m, size, runs, check_sampling(sampling), np.random.default_rng(seed))
    start = np.asarray(x0, dtype=float)
    if start.shape not in ((objective.dim,), (runs, objective.dim)):
        raise ValueError(
            f"x0 must have shape ({objective.dim},) or (runs, {objective.dim}); got {start.shape}"
        )
    x = np.array(np.broadcast_to(start, (runs, objective.dim)))
    rate = _per_run(lr, runs)
    recorded, losses = [0], [objective.value(x)]
    for t in range(steps):
        step_rate = rate if schedule is None else _per_run(schedule(t), runs)
        x = x - step_rate[:, None] * objective.grad_batches(x, next(batches))
        if (t + 1) % every == 0 or t + 1 == steps:
            recorded.append(t + 1)
            losses.append(objective.value(x))
    return SGDRuns(np.array(recorded), np.array(losses, dtype=float), x, rate)


def _per_run(lr: ArrayLike, runs: int) -> FloatArray:
    """A learning rate (one number, or one per run) as an array of shape ``(runs,)``."""
    a = np.asarray(lr, dtype=float)
    if a.size not in (1, runs) or a.ndim > 1 or not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(
            f"lr must be one finite number >= 0 or one per run (shape ({runs},)); got {lr!r}"
        )
    return np.array(np.broadcast_to(a.reshape(-1), (runs,)))
