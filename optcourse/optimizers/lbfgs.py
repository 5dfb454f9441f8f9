"""L-BFGS: quasi-Newton directions from the last few gradient differences, torch's version.

A port to NumPy (float64) of ``torch.optim.LBFGS`` and its helpers ``_strong_wolfe`` and
``_cubic_interpolate`` (PyTorch, BSD-3-Clause licence, (c) Facebook, Inc. and its affiliates and
the PyTorch contributors; torch's code is itself ported from Schmidt's minFunc and torch7's optim).
The arithmetic follows torch's operation for operation, so a run through
:func:`optcourse.minimize` reproduces torch's trajectory in float64 (``tests/test_lbfgs.py``
checks it against reference trajectories to rtol 1e-8). Only the last bits can differ: torch's
``add_(alpha=...)`` is a fused multiply-add and its ``dot`` sums in its own order. Most runs keep
those differences near 1e-15; a few (a fixed step on Rosenbrock with a short memory, 3 pairs on a
kappa = 1e4 quadratic) amplify them until the two trajectories part, as two torch builds would.

One call of :meth:`LBFGS.step` is **one inner iteration** of torch's ``step(closure)``:

1. the direction ``d`` (``-g`` at the first iteration, afterwards the two-loop recursion
   :func:`two_loop_recursion` over the stored pairs ``s = x_new - x``, ``y = g_new - g``);
2. the step length: the trial ``t = min(1, 1/||g||_1) * lr`` at the first iteration and ``t = lr``
   afterwards, kept as it is (``line_search_fn=None``) or refined by a line search satisfying
   the strong Wolfe conditions (``"strong_wolfe"``: :func:`strong_wolfe`, cubic interpolation);
3. ``x <- x + t d``, then the pair ``(s, y)`` is stored if ``y.s > 1e-10`` (the curvature
   condition), with ``H_diag = y.s / y.y`` as the scale of the initial inverse Hessian.

L-BFGS evaluates the objective at several points per iteration, so ``step`` needs a function
``value_and_grad(x) -> (loss, grad)`` (``minimize`` passes one: ``needs_value_and_grad``).
torch's stopping tests end the run through ``minimize`` with a status and a message naming the
rule (:meth:`LBFGS.stop_verdict`): ``max|g| <= tolerance_grad`` (``"converged"``); a step with
``max|t d| <= tolerance_change``, a loss change ``< tolerance_change`` or a directional derivative
``g.d > -tolerance_change`` (``"stalled"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_finite_number, check_int, check_rate
from ..status import Status
from ..stopping import Stop
from .base import Optimizer

__all__ = ["LBFGS", "cubic_interpolate", "strong_wolfe", "two_loop_recursion"]

Array = NDArray[np.float64]
#: ``value_and_grad(x) -> (loss, gradient)`` at a flat point ``x``.
ValueAndGrad = Callable[[Array], tuple[float, Array]]
#: ``phi(t) -> (loss, gradient)`` at ``x + t d``: the objective along the search direction.
LineFunction = Callable[[float], tuple[float, Array]]


def two_loop_recursion(
    grad: Array, s_hist: Sequence[Array], y_hist: Sequence[Array], h_diag: float
) -> Array:
    """Return the L-BFGS direction ``d = -H grad`` (torch's order of operations).

    ``H`` is the inverse-Hessian approximation built from the initial ``h_diag * I`` by one BFGS
    update per stored pair ``(s_i, y_i)``, oldest first, without forming any matrix:

    * backward loop (newest pair first): ``a_i = rho_i s_i.q``, ``q <- q - a_i y_i``, from
      ``q = -grad``, with ``rho_i = 1 / (y_i.s_i)``;
    * scale: ``r = h_diag * q``;
    * forward loop (oldest first): ``b_i = rho_i y_i.r``, ``r <- r + (a_i - b_i) s_i``.

    Costs ``4 m n`` multiply-adds for ``m`` pairs in ``n`` dimensions; with no pairs it returns
    ``-h_diag * grad``.
    """
    rho = [1.0 / float(y.dot(s)) for s, y in zip(s_hist, y_hist, strict=True)]
    alpha = [0.0] * len(rho)
    q = -grad
    for i in range(len(rho) - 1, -1, -1):
        alpha[i] = float(s_hist[i].dot(q)) * rho[i]
        q = q - alpha[i] * y_hist[i]
    r = q * h_diag
    for i in range(len(rho)):
        beta = float(y_hist[i].dot(r)) * rho[i]
        r = r + (alpha[i] - beta) * s_hist[i]
    return r


def cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """Minimizer of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes ``g1``, ``g2``.

    Clipped to ``bounds`` (default: the interval between ``x1`` and ``x2``); the midpoint of the
    bounds when the cubic has no minimizer (torch's ``_cubic_interpolate``).
    """
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(np.float64(d2_square))
    with np.errstate(divide="ignore", invalid="ignore"):  # torch's tensors give inf/nan here too
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return float(min(max(min_pos, lo), hi))


def strong_wolfe(
    phi: LineFunction,
    t: float,
    d: Array,
    f: float,
    g: Array,
    gtd: float,
    *,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Array, float, int]:
    """Line search for the strong Wolfe conditions along ``d`` (torch's ``_strong_wolfe``).

    Looks for ``t`` with ``f(x + t d) <= f + c1 t g.d`` (sufficient decrease) and
    ``|g(x + t d).d| <= -c2 g.d`` (curvature): a bracketing phase that extrapolates with
    :func:`cubic_interpolate`, then a zoom phase that shrinks the bracket by cubic interpolation
    (:func:`_zoom`). ``phi(t)`` returns the loss and the gradient at ``x + t d``; ``f``, ``g`` and
    ``gtd = g.d`` are those at ``t = 0``. ``phi`` is called at most ``max_ls + 1`` times.

    Returns
    -------
    (loss, gradient, t, calls)
        The accepted step ``t``, the loss and gradient at ``x + t d``, and the calls of ``phi``.
    """
    f_new, g_new = phi(t)
    gtd_new = float(g_new.dot(d))
    prev = _Point(0.0, f, g, gtd)
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        new = _Point(t, f_new, g_new, gtd_new)
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= prev.f):
            bracket = [prev, new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if gtd_new >= 0:
            bracket = [prev, new]
            break
        bounds = (t + 0.01 * (t - prev.t), t * 10)
        t = cubic_interpolate(prev.t, prev.f, prev.gtd, t, f_new, gtd_new, bounds=bounds)
        prev = new
        f_new, g_new = phi(t)
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:  # torch keeps the slopes of the last bracket here; the zoom never runs
        bracket = [_Point(0.0, f, g, math.nan), _Point(t, f_new, g_new, math.nan)]
    zoom = _Zoom(phi, d, f, gtd, c1, c2, tolerance_change, max_ls)
    best, ls_iter = zoom.run(bracket, done, ls_iter)
    return best.f, best.g, best.t, ls_iter + 1


class _Point:
    """A trial step of the line search: ``t``, the loss, gradient and slope ``g.d`` there."""

    __slots__ = ("f", "g", "gtd", "t")

    def __init__(self, t: float, f: float, g: Array, gtd: float) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


class _Zoom:
    """The zoom phase of :func:`strong_wolfe`: shrink a bracket until a point is Wolfe."""

    def __init__(
        self,
        phi: LineFunction,
        d: Array,
        f: float,
        gtd: float,
        c1: float,
        c2: float,
        tolerance_change: float,
        max_ls: int,
    ) -> None:
        self.phi, self._d, self.f, self.gtd = phi, d, f, gtd
        self.d_norm = float(np.abs(d).max())
        self.c1, self.c2, self.tolerance_change, self.max_ls = c1, c2, tolerance_change, max_ls

    def run(self, bracket: list[_Point], done: bool, ls_iter: int) -> tuple[_Point, int]:
        """Return the low end of the final bracket and the updated count of line-search steps."""
        insuf_progress = False
        low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
        while not done and ls_iter < self.max_ls:
            lo_t, hi_t = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
            if abs(bracket[1].t - bracket[0].t) * self.d_norm < self.tolerance_change:
                break
            b0, b1 = bracket
            t = cubic_interpolate(b0.t, b0.f, b0.gtd, b1.t, b1.f, b1.gtd)
            eps = 0.1 * (hi_t - lo_t)
            if min(hi_t - t, t - lo_t) < eps:  # interpolation close to the boundary
                if insuf_progress or t >= hi_t or t <= lo_t:
                    t = hi_t - eps if abs(t - hi_t) < abs(t - lo_t) else lo_t + eps
                    insuf_progress = False
                else:
                    insuf_progress = True
            else:
                insuf_progress = False
            f_new, g_new = self.phi(t)
            ls_iter += 1
            new = _Point(t, f_new, g_new, float(g_new.dot(self._d)))
            if f_new > (self.f + self.c1 * t * self.gtd) or f_new >= bracket[low].f:
                bracket[high] = new  # Armijo fails, or not lower than the lowest point
                low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            else:
                if abs(new.gtd) <= -self.c2 * self.gtd:
                    done = True  # the strong Wolfe conditions hold
                elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                    bracket[high] = bracket[low]  # the old low becomes the new high
                bracket[low] = new
        return bracket[low], ls_iter


class LBFGS(Optimizer):
    """Limited-memory BFGS with torch.optim.LBFGS's keywords, defaults and arithmetic.

    Parameters
    ----------
    lr : float
        Step length ``>= 0`` (finite): the trial step of the line search, or the fixed step
        without one (the first iteration uses ``min(1, 1/||g||_1) * lr``). Default 1.
    max_eval : int
        The most evaluations of the objective one line search may make (``>= 1``; default 25,
        torch's default evaluation budget per ``step``). torch counts it per ``step(closure)``
        call of ``max_iter`` inner iterations; here one step *is* one inner iteration.
    tolerance_grad : float
        Stop (``"converged"``) once ``max|g| <= tolerance_grad`` (finite, ``>= 0``).
    tolerance_change : float
        Stop (``"stalled"``) once a step ``max|t d|``, a change of the loss, or the directional
        derivative ``-g.d`` falls below it (finite, ``>= 0``).
    history_size : int
        Number ``>= 1`` of pairs ``(s, y)`` kept; the oldest is dropped first.
    line_search_fn : {None, "strong_wolfe"}
        ``None``: fixed steps of length ``t``; ``"strong_wolfe"``: :func:`strong_wolfe` (with
        c1 = 1e-4, c2 = 0.9 and, as in torch, its bracket tolerance left at 1e-9 whatever
        ``tolerance_change`` is).

    ``step(params, grad, value_and_grad=fg)`` needs ``fg(x) -> (loss, grad)`` for the points it
    tries (``minimize`` passes it, ``needs_value_and_grad``); parameters of any shape are
    flattened, as torch does. State (torch's names): ``n_iter``, ``func_evals``, ``d``, ``t``,
    ``old_dirs`` (the ``y`` vectors), ``old_stps`` (the ``s`` vectors), ``ro`` (``1/y.s``),
    ``H_diag``, ``prev_flat_grad``, ``prev_loss``; also ``loss`` and ``flat_grad`` at the point
    returned, and ``stop``, the :class:`~optcourse.stopping.Stop` of a tolerance that fired.

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    needs_value_and_grad: ClassVar[bool] = True
    _hyper_names = (
        "lr",
        "max_eval",
        "tolerance_grad",
        "tolerance_change",
        "history_size",
        "line_search_fn",
    )
    LINE_SEARCHES: ClassVar[tuple[str | None, ...]] = (None, "strong_wolfe")

    lr: float

    def __init__(
        self,
        lr: float = 1.0,
        max_eval: int = 25,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if np.ndim(lr) != 0:
            raise ValueError(f"LBFGS needs one learning rate (a float), got shape {np.shape(lr)}")
        super().__init__(check_rate("lr", float(lr)))
        self.max_eval = check_int("max_eval", max_eval)
        self.tolerance_grad = check_finite_number("tolerance_grad", tolerance_grad, allow_zero=True)
        self.tolerance_change = check_finite_number(
            "tolerance_change", tolerance_change, allow_zero=True
        )
        self.history_size = check_int("history_size", history_size)
        if line_search_fn not in self.LINE_SEARCHES:
            raise ValueError(
                "line_search_fn must be None or 'strong_wolfe' (as in torch); "
                f"got {line_search_fn!r}"
            )
        self.line_search_fn = line_search_fn

    def step(
        self,
        params: ArrayLike,
        grad: ArrayLike,
        *,
        lr: ArrayLike | None = None,
        hessian: ArrayLike | None = None,
        value_and_grad: Callable[[Any], tuple[Any, Any]] | None = None,
    ) -> NDArray[Any]:
        """Take one L-BFGS iteration from ``params``; return the new parameters.

        Parameters
        ----------
        params, grad : array_like
            The current point and the gradient there (``grad`` is checked for its shape; the
            optimizer uses the gradient it evaluated itself, which is the same).
        lr : float, optional
            This iteration's ``lr`` (the trial step length).
        hessian : ignored
        value_and_grad : callable
            ``value_and_grad(x) -> (loss, grad)`` for ``x`` of the shape of ``params``.

        Raises
        ------
        ValueError
            If ``value_and_grad`` is missing, shapes disagree, ``lr`` is not one finite number
            ``>= 0``, or ``params`` is not the point the previous step returned (call
            ``reset()`` to start from elsewhere).
        """
        if value_and_grad is None:
            raise ValueError(
                "LBFGS.step needs value_and_grad: call opt.step(x, g, value_and_grad=fg) with "
                "fg(x) -> (loss, grad), or drive it with optcourse.minimize"
            )
        p, g = np.array(params, dtype=float), np.asarray(grad)
        if p.shape != g.shape:
            raise ValueError(
                f"grad must have the shape of params: params {p.shape}, grad {g.shape}"
            )
        if lr is not None and np.ndim(lr) != 0:
            raise ValueError(f"LBFGS needs one learning rate (a float), got shape {np.shape(lr)}")
        eta = self.lr if lr is None else check_rate("lr", float(lr))  # type: ignore[arg-type]
        shape = p.shape

        def fg(x: Array) -> tuple[float, Array]:
            loss, gx = value_and_grad(x.reshape(shape))
            self.state["func_evals"] += 1
            return float(loss), np.asarray(gx, dtype=float).reshape(-1)

        x = self._start(p.reshape(-1), fg)
        return self._iteration(x, eta, fg).reshape(shape)

    def _start(self, x: Array, fg: Callable[[Array], tuple[float, Array]]) -> Array:
        """At the first step, evaluate the start; later, check that we continue from our point."""
        state = self.state
        if "n_iter" not in state:
            state.update(n_iter=0, func_evals=0, old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
            state["loss"], state["flat_grad"] = fg(x)
            state["x"] = x.copy()
            state["stop"] = self._gradient_test(state["flat_grad"]) or self._plan()
        elif not np.array_equal(x, state["x"]):
            raise ValueError(
                "LBFGS continues from the point its last step returned; call reset() to start "
                "from another point"
            )
        return x

    def _iteration(self, x: Array, lr: float, fg: Callable[[Array], tuple[float, Array]]) -> Array:
        """torch's inner iteration: step length along the planned direction, move, tests."""
        state = self.state
        if state["stop"] is not None:
            return x  # a tolerance fired before any step (at the start): torch would not move
        loss, flat_grad = state["loss"], state["flat_grad"]
        d: Array = state.pop("next_d")
        state["n_iter"] += 1
        first = state["n_iter"] == 1  # the first step is scaled down by the gradient's l1 norm
        t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if first else lr
        state["prev_flat_grad"], state["prev_loss"] = flat_grad, loss
        if self.line_search_fn == "strong_wolfe":
            gtd = float(flat_grad.dot(d))
            loss, flat_grad, t, _ = strong_wolfe(
                lambda s: fg(x + s * d), t, d, loss, flat_grad, gtd, max_ls=self.max_eval - 1
            )
        x_new = x + t * d
        if self.line_search_fn is None:
            loss, flat_grad = fg(x_new)
        state.update(d=d, t=t, loss=loss, flat_grad=flat_grad, x=x_new.copy())
        state["stop"] = self._tests(loss, flat_grad, d, t)
        if state["stop"] is None:
            self._update_memory(flat_grad - state["prev_flat_grad"], d * t)
            state["stop"] = self._plan()
        return x_new

    def _plan(self) -> Stop | None:
        """Compute the next direction (torch does it at the start of the next iteration).

        Returns the ``tolerance_change`` verdict when the directional derivative ``g.d`` is not
        below ``-tolerance_change`` (torch then ends without a step), else ``None``.
        """
        state = self.state
        g = state["flat_grad"]
        if state["n_iter"] == 0:
            d = -g
        else:
            d = two_loop_recursion(g, state["old_stps"], state["old_dirs"], state["H_diag"])
        state["next_d"] = d
        gtd = float(g.dot(d))
        if gtd > -self.tolerance_change:
            return Stop(
                Status.STALLED,
                f"LBFGS tolerance_change: directional derivative g.d = {gtd:.3g} > "
                f"-tolerance_change = {-self.tolerance_change:.3g} {self._when()}",
            )
        return None

    def _update_memory(self, y: Array, s: Array) -> None:
        """Store the pair ``(s, y)`` if ``y.s > 1e-10``; then ``H_diag = y.s / y.y``."""
        state = self.state
        ys = float(y.dot(s))
        if ys > 1e-10:
            if len(state["old_dirs"]) == self.history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / float(y.dot(y))

    def _gradient_test(self, flat_grad: Array) -> Stop | None:
        """torch's optimality test ``max|g| <= tolerance_grad``."""
        g_max = float(np.abs(flat_grad).max())
        if g_max <= self.tolerance_grad:
            return Stop(
                Status.CONVERGED,
                f"LBFGS tolerance_grad: max|g| = {g_max:.3g} <= tolerance_grad = "
                f"{self.tolerance_grad:.3g} {self._when()}",
            )
        return None

    def _when(self) -> str:
        """Where a test fired, for the message: after ``n_iter`` iterations, or at the start."""
        n = self.state["n_iter"]
        if n == 0:  # minimize then records one null step: torch returns without moving
            return "at the starting point, before any L-BFGS iteration (no step taken)"
        return f"after {n} iterations"

    def _tests(self, loss: float, flat_grad: Array, d: Array, t: float) -> Stop | None:
        """torch's tests after a step, in torch's order: gradient, step size, loss change."""
        stop = self._gradient_test(flat_grad)
        if stop is not None:
            return stop
        n, tol = self.state["n_iter"], self.tolerance_change
        step = float(np.abs(d * t).max())
        if step <= tol:
            return Stop(
                Status.STALLED,
                f"LBFGS tolerance_change: step max|t d| = {step:.3g} <= tolerance_change = "
                f"{tol:.3g} at iteration {n}",
            )
        change = abs(loss - self.state["prev_loss"])
        if change < tol:
            return Stop(
                Status.STALLED,
                f"LBFGS tolerance_change: loss change {change:.3g} < tolerance_change = "
                f"{tol:.3g} at iteration {n}",
            )
        return None

    def stop_verdict(self) -> Stop | None:
        """The :class:`~optcourse.stopping.Stop` of the tolerance that ended the run, or None."""
        stop: Stop | None = self.state.get("stop")
        return stop
