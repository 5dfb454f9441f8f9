"""The ``minimize`` driver: run any optimizer on any objective under explicit stopping rules.

One loop serves the whole course::

    from optcourse import minimize
    from optcourse.optimizers import SGD
    from optcourse.stopping import GradNorm

    res = minimize(objective, x0=[-1.5, 2.0], optimizer=SGD(lr=1e-3), stop=GradNorm(1e-6))
    print(res)                 # status, message, x, fun, nit, ...
    res.history.loss           # the loss curve, one entry per iterate (nit + 1 of them)

Each iteration takes one optimizer step and then evaluates the loss and the gradient at the new
point, records them, and asks the stopping rules (then your callback) whether to stop. Divergence
detection is on by default: a run that produces NaN/inf or a runaway loss ends with status
``"diverged"`` and reports its last finite point, and NumPy's overflow warnings are silenced inside
the loop because the result already says what happened.

Reading the code: :func:`minimize` is four phases, each a short function below.

1. ``_prepare`` checks every argument and chooses, once, the ``step(k, x, g)`` callable the loop
   will call (plain, with a schedule, Newton with the Hessian, or L-BFGS with ``value_and_grad``;
   mini-batch gradients are wrapped around it by ``_on_batches``), and combines the stopping
   rules. Every evaluation goes through ``_Counts`` (``nfev``, ``njev``).
2. ``_evaluate_start`` evaluates the loss and gradient at ``x0`` and checks what they return.
3. ``_iterate`` is the loop: step, evaluate, record (a :class:`~optcourse.result.HistoryRecorder`),
   ask the rules and the callback.
4. ``_finish`` turns where the loop stopped into the :class:`~optcourse.result.OptimizeResult`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import check_int, check_sampling
from optcourse.result import History, HistoryRecorder, OptimizeResult
from optcourse.status import Status
from optcourse.stopping import (
    AnyOf,
    Divergence,
    EarlyStopping,
    State,
    Stop,
    StoppingRule,
    as_rule,
)

__all__ = ["minimize"]

Func = Callable[..., Any]
Array = NDArray[np.float64]
#: ``step(k, x, g) -> (new x, lr used)``: take step number ``k`` from ``x`` with gradient ``g``.
StepFn = Callable[[int, Array, Array], tuple[Array, Any]]


def minimize(
    objective: Any,
    x0: ArrayLike,
    optimizer: Any,
    *,
    schedule: Callable[[int], Any] | None = None,
    stop: StoppingRule | Iterable[StoppingRule] | None = None,
    callback: Callable[[State], Any] | None = None,
    max_iter: int = 1000,
    batch_size: int | None = None,
    seed: int | np.random.Generator | None = None,
    sampling: str = "epochs",
    val_objective: Any = None,
    divergence: bool | StoppingRule = True,
    record: bool = True,
) -> OptimizeResult:
    """Minimize ``objective`` from ``x0`` with ``optimizer``; return an :class:`OptimizeResult`.

    Parameters
    ----------
    objective : objective or (value, grad) or (value, grad, hessian)
        Anything with ``value(x)`` and ``grad(x)`` methods (every ``optcourse.objectives`` class),
        or a tuple of plain callables.
    x0 : array_like
        Starting point (copied; any shape the objective accepts, usually ``(n,)``).
    optimizer : optimizer
        An ``optcourse.optimizers`` object. It is **reset** (``optimizer.reset()``) at the start, so
        every call starts from fresh state; apart from its ``state`` it is not modified. Newton
        (``needs_hessian``) receives ``hessian=`` each step. L-BFGS (``needs_value_and_grad``)
        receives ``value_and_grad=``, a function it calls at the points its line search tries
        (one iteration = one direction and its line search), and its own stopping tests
        (``tolerance_grad``, ``tolerance_change``) end the run like a stopping rule.
    schedule : callable, optional
        ``schedule(t)`` is the learning rate of the step taken after ``t`` steps; passed to the
        optimizer as ``lr=``. Without it the optimizer's own ``lr`` is used.
    stop : rule or list of rules, optional
        Stopping rules from :mod:`optcourse.stopping`; the run ends when the first one fires.
    callback : callable, optional
        ``callback(state)`` is called at every iterate, including the start (``state.nit == 0``),
        after the stopping rules. Returning ``True`` (anything truthy) ends the run with status
        ``"callback"``; returning ``None`` or ``False`` continues. The ``state`` object is new at
        every iterate, so a callback may keep it.
    max_iter : int
        Hard cap on the number of steps (status ``"max_iter"`` when it is reached).
    batch_size : int, optional
        Mini-batch size for data objectives (those with ``n_samples`` and ``grad(x, batch=idx)``).
        Each step uses the gradient on one batch, drawn from ``np.random.default_rng(seed)`` as
        ``sampling`` says. The recorded loss and gradient norm are always those of
        the full objective (one full evaluation per step), so curves and rules mean the same thing
        for every method.
    seed : int or Generator, optional
        Seed of the batch shuffling (only used with ``batch_size``); same seed, same run.
    sampling : {"epochs", "replacement"}
        How batches are drawn (only used with ``batch_size``). ``"epochs"`` (default): reshuffled
        epochs, each a fresh permutation of the rows cut into batches, the last one smaller if
        ``batch_size`` does not divide ``n_samples`` (torch's ``DataLoader(shuffle=True)``).
        ``"replacement"``: every index of every batch drawn independently and uniformly, with
        replacement (torch's ``RandomSampler(replacement=True)``), so batches are independent.
    val_objective : objective or callable, optional
        A validation loss (an object with ``value`` or a plain callable), recorded in
        ``history.val_loss`` and given to rules as ``state.val_loss`` (needed by EarlyStopping).
    divergence : bool or rule
        ``True`` (default) adds ``Divergence()``; ``False`` turns detection off; or pass your own
        ``Divergence(max_growth=..., bound=...)``.
    record : bool
        Keep a copy of every iterate in ``history.x`` (``False`` saves memory: ``history.x`` is
        ``None``; losses, gradient norms and learning rates are always kept).

    Returns
    -------
    OptimizeResult
        ``nfev``/``njev`` count the evaluations of the objective's value and gradient (the
        optimizer's line search included; a point is evaluated once even when both the optimizer
        and the loop need it). See :class:`optcourse.status.Status` for the statuses. After
        ``"diverged"``, ``x`` is the last iterate whose loss, gradient and coordinates were all
        finite.

    Raises
    ------
    TypeError
        If the objective, optimizer, schedule, callback or rules do not have the right interface.
    ValueError
        For a bad ``max_iter``/``batch_size``/``sampling``, a non-finite ``x0`` or starting loss,
        a gradient of the wrong shape, Newton without a Hessian, L-BFGS with ``batch_size``, or
        EarlyStopping without ``val_objective``.
    """
    setup = _prepare(
        objective,
        optimizer,
        schedule=schedule,
        stop=stop,
        callback=callback,
        max_iter=max_iter,
        batch_size=batch_size,
        seed=seed,
        sampling=sampling,
        val_objective=val_objective,
        divergence=divergence,
    )
    x = np.array(x0, dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("x0 must be finite")
    optimizer.reset()
    setup.rule.reset()
    lr0 = schedule(0) if schedule is not None else getattr(optimizer, "lr", math.nan)

    t0 = time.perf_counter()
    with np.errstate(all="ignore"):  # the Divergence rule reports overflow; NumPy need not warn
        start = _evaluate_start(setup, x)
        recorder = HistoryRecorder(
            x,
            start.fun,
            start.grad_norm,
            start.val_loss,
            lr_shape=np.shape(lr0),
            max_rows=setup.max_iter + 1,
            keep_x=record,
        )
        end = _iterate(setup, start, recorder, t0)
        return _finish(setup, start, end, recorder.history())


# --- preparation: check the arguments and build what the loop needs ------------------------------


@dataclass(frozen=True)
class _Setup:
    """Everything the loop needs, checked and assembled before the first step."""

    value: Func
    grad: Func
    step: StepFn
    rule: AnyOf
    callback: Callable[[State], Any] | None
    max_iter: int
    val_value: Func | None
    counts: _Counts


def _prepare(
    objective: Any,
    optimizer: Any,
    *,
    schedule: Callable[[int], Any] | None,
    stop: StoppingRule | Iterable[StoppingRule] | None,
    callback: Callable[[State], Any] | None,
    max_iter: int,
    batch_size: int | None,
    seed: int | np.random.Generator | None,
    sampling: str,
    val_objective: Any,
    divergence: bool | StoppingRule,
) -> _Setup:
    """Check ``minimize``'s arguments (raising its documented errors) and return a ``_Setup``."""
    value, grad, hessian, n_samples = _unpack_objective(objective)
    counts = _Counts(value, grad)
    value, grad = counts.value, counts.grad
    if not (
        callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "reset", None))
    ):
        raise TypeError(f"optimizer must have step() and reset() methods; got {optimizer!r}")
    needs_hessian = bool(getattr(optimizer, "needs_hessian", False))
    if needs_hessian and hessian is None:
        raise ValueError(
            f"{type(optimizer).__name__} needs the Hessian but the objective has no hessian(x)"
        )
    max_iter = check_int("max_iter", max_iter, minimum=0, sep="; ")
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a callable sched(t); got {schedule!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a callable callback(state); got {callback!r}")
    needs_value_and_grad = bool(getattr(optimizer, "needs_value_and_grad", False))
    if needs_value_and_grad:
        step = _value_and_grad_step(optimizer, counts, schedule)
    else:
        step = _make_step(optimizer, hessian if needs_hessian else None, schedule)
    sampling = check_sampling(sampling)
    if batch_size is not None:
        if needs_value_and_grad:
            raise ValueError(
                f"{type(optimizer).__name__} evaluates the full objective in its line search: "
                "do not combine it with batch_size"
            )
        batches = _batch_source(n_samples, batch_size, seed, needs_hessian, sampling)
        step = _on_batches(step, grad, batches)
    val_value = _validation_value(val_objective)
    rule = _stopping_rule(stop, divergence, has_validation=val_value is not None)
    if needs_value_and_grad and callable(getattr(optimizer, "stop_verdict", None)):
        rule = AnyOf(rule, _OptimizerRule(optimizer))
    return _Setup(value, grad, step, rule, callback, max_iter, val_value, counts)


class _Counts:
    """Counts the evaluations of the objective (``nfev``, ``njev``) and remembers recent ones.

    With ``remember=True`` (set for optimizers that evaluate the objective themselves, like
    L-BFGS), each evaluation at a plain ``x`` is kept until :meth:`forget`, so that the loop's own
    evaluation of the point the optimizer returns reuses the optimizer's instead of repeating it.
    """

    def __init__(self, value: Func, grad: Func) -> None:
        self._value, self._grad = value, grad
        self.nfev = self.njev = 0
        self.remember = False
        self._memo: list[list[Any]] = []  # [x, value or None, grad or None]

    def _record(self, x: Any) -> list[Any]:
        for rec in self._memo:
            if np.array_equal(rec[0], x):
                return rec
        rec = [np.array(x, copy=True), None, None]
        self._memo.append(rec)
        return rec

    def value(self, x: Any, **kwargs: Any) -> Any:
        """``value(x)``, counted (and remembered)."""
        if not self.remember or kwargs:
            self.nfev += 1
            return self._value(x, **kwargs)
        rec = self._record(x)
        if rec[1] is None:
            self.nfev += 1
            rec[1] = self._value(x)
        return rec[1]

    def grad(self, x: Any, **kwargs: Any) -> Any:
        """``grad(x)``, counted (and remembered)."""
        if not self.remember or kwargs:
            self.njev += 1
            return self._grad(x, **kwargs)
        rec = self._record(x)
        if rec[2] is None:
            self.njev += 1
            rec[2] = self._grad(x)
        return rec[2]

    def value_and_grad(self, x: Any) -> tuple[Any, Any]:
        """``(value(x), grad(x))``, the function L-BFGS's ``step`` needs."""
        return self.value(x), self.grad(x)

    def forget(self, keep: Any) -> None:
        """Forget every remembered evaluation except the one at ``keep``."""
        self._memo = [rec for rec in self._memo if np.array_equal(rec[0], keep)]


class _OptimizerRule:
    """The stopping tests of an optimizer that has its own (L-BFGS's tolerances) as a rule."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer

    def reset(self) -> None:
        """Nothing to forget: ``minimize`` resets the optimizer itself."""

    def check(self, state: State) -> Stop | None:
        """The optimizer's verdict (``optimizer.stop_verdict()``) after its last step."""
        verdict: Stop | None = self.optimizer.stop_verdict()
        return verdict


def _value_and_grad_step(
    optimizer: Any, counts: _Counts, schedule: Callable[[int], Any] | None
) -> StepFn:
    """The ``step(k, x, g)`` of an optimizer that evaluates the objective itself (``LBFGS``)."""
    counts.remember = True
    opt_step = optimizer.step
    base_lr = getattr(optimizer, "lr", math.nan)
    fg = counts.value_and_grad

    def value_and_grad_step(k: int, x: Array, g: Array) -> tuple[Array, Any]:
        counts.forget(keep=x)
        lr = base_lr if schedule is None else schedule(k)
        return opt_step(x, g, lr=None if schedule is None else lr, value_and_grad=fg), lr

    return value_and_grad_step


def _make_step(
    optimizer: Any, hessian: Func | None, schedule: Callable[[int], Any] | None
) -> StepFn:
    """Return the ``step(k, x, g)`` callable the loop calls, chosen once before the loop.

    Three cases: the plain ``optimizer.step(x, g)`` (reporting the optimizer's own ``lr``); a
    schedule, which passes ``lr=schedule(k)``; and Newton, which also gets ``hessian=hessian(x)``.
    """
    opt_step = optimizer.step
    base_lr = getattr(optimizer, "lr", math.nan)
    if hessian is None:
        if schedule is None:
            return lambda k, x, g: (opt_step(x, g), base_lr)

        def scheduled_step(k: int, x: Array, g: Array) -> tuple[Array, Any]:
            lr = schedule(k)
            return opt_step(x, g, lr=lr), lr

        return scheduled_step

    def newton_step(k: int, x: Array, g: Array) -> tuple[Array, Any]:
        if schedule is None:
            return opt_step(x, g, hessian=hessian(x)), base_lr
        lr = schedule(k)
        return opt_step(x, g, lr=lr, hessian=hessian(x)), lr

    return newton_step


def _batch_source(
    n_samples: int | None,
    batch_size: Any,
    seed: int | np.random.Generator | None,
    needs_hessian: bool,
    sampling: str = "epochs",
) -> Iterator[NDArray[np.intp]]:
    """Check ``batch_size`` against the objective and return the endless stream of batches."""
    if n_samples is None:
        raise ValueError(
            "batch_size needs a data objective with n_samples and grad(x, batch=idx) "
            "(e.g. LeastSquares)"
        )
    batch_size = check_int("batch_size", batch_size, minimum=1, sep="; ")
    if batch_size > n_samples:
        raise ValueError(f"batch_size must be in [1, n_samples={n_samples}]; got {batch_size}")
    if needs_hessian:
        raise ValueError("Newton uses the full Hessian: do not combine it with batch_size")
    rng = np.random.default_rng(seed)
    if sampling == "replacement":
        return _independent_batches(int(n_samples), batch_size, rng)
    return _batches(int(n_samples), batch_size, rng)


def _on_batches(step: StepFn, grad: Func, batches: Iterator[NDArray[np.intp]]) -> StepFn:
    """Wrap ``step`` so that each step uses the gradient on the next mini-batch instead."""

    def batch_step(k: int, x: Array, g: Array) -> tuple[Array, Any]:
        return step(k, x, grad(x, batch=next(batches)))

    return batch_step


def _validation_value(val_objective: Any) -> Func | None:
    """The validation loss function: ``val_objective.value``, or ``val_objective`` itself."""
    if val_objective is None:
        return None
    val_value: Func = getattr(val_objective, "value", val_objective)
    if not callable(val_value):
        raise TypeError(f"val_objective must have value(x) or be callable; got {val_objective!r}")
    return val_value


def _stopping_rule(
    stop: StoppingRule | Iterable[StoppingRule] | None,
    divergence: bool | StoppingRule,
    *,
    has_validation: bool,
) -> AnyOf:
    """Combine the divergence check (first) with the user's rules into one ``AnyOf``."""
    rules: list[StoppingRule] = []
    if divergence is True:
        rules.append(Divergence())
    elif isinstance(divergence, StoppingRule):
        rules.append(divergence)
    elif divergence is not False and divergence is not None:
        raise TypeError(f"divergence must be True, False or a rule; got {divergence!r}")
    rules.extend(as_rule(stop).rules)
    if not has_validation and _has_early_stopping(rules):
        raise ValueError("EarlyStopping needs a validation loss: pass val_objective= to minimize()")
    return AnyOf(*rules)


def _unpack_objective(objective: Any) -> tuple[Func, Func, Func | None, int | None]:
    """Return ``(value, grad, hessian or None, n_samples or None)`` for an objective or a tuple."""
    if isinstance(objective, (tuple, list)):
        if len(objective) not in (2, 3) or not all(callable(f) for f in objective):
            raise TypeError(
                "objective given as a tuple must be (value, grad) or (value, grad, hessian), "
                f"all callables; got {objective!r}"
            )
        hess = objective[2] if len(objective) == 3 else None
        return objective[0], objective[1], hess, None
    value, grad = getattr(objective, "value", None), getattr(objective, "grad", None)
    if not (callable(value) and callable(grad)):
        raise TypeError(
            "objective must have value(x) and grad(x) methods (e.g. optcourse.objectives."
            f"Quadratic) or be a pair of callables (value, grad); got {objective!r}"
        )
    hess = getattr(objective, "hessian", None)
    n_samples = getattr(objective, "n_samples", None)
    return value, grad, hess if callable(hess) else None, n_samples


def _scalar_converter(v: Any, what: str) -> Callable[[Any], float]:
    """Return a fast function turning values like ``v`` into floats (checked once, on ``v``)."""
    a = np.asarray(v)
    if a.size != 1 or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{what} must return a single number; got {type(v).__name__} {a.shape}")
    if a.ndim == 0:
        return float
    return lambda val: float(np.asarray(val).item())


def _batches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[NDArray[np.intp]]:
    """Yield index batches forever: each epoch is a fresh shuffle of ``range(n)``.

    The last batch of an epoch may be smaller (like ``torch``'s ``DataLoader`` with
    ``drop_last=False``).
    """
    while True:
        perm = rng.permutation(n)
        for i in range(0, n, batch_size):
            yield perm[i : i + batch_size]


def _independent_batches(
    n: int, batch_size: int, rng: np.random.Generator
) -> Iterator[NDArray[np.intp]]:
    """Yield index batches forever, each index drawn uniformly from ``range(n)``, independently.

    Sampling with replacement: a batch may hold a row twice, and batches are independent.
    """
    while True:
        yield rng.integers(0, n, size=batch_size)


# --- the run: evaluate the start, iterate, finish ------------------------------------------------


@dataclass(frozen=True)
class _Start:
    """The starting point evaluated, and the converters checked on its values."""

    x: Array
    fun: float
    grad: Array
    grad_norm: float
    val_loss: float | None
    to_float: Callable[[Any], float]
    val_float: Callable[[Any], float]


def _evaluate_start(setup: _Setup, x: Array) -> _Start:
    """Evaluate the loss, gradient (and validation loss) at ``x0``, checking what they return."""
    f_raw = setup.value(x)
    to_float = _scalar_converter(f_raw, "objective value")
    f = to_float(f_raw)
    g = np.asarray(setup.grad(x), dtype=float)
    if g.shape != x.shape:
        raise ValueError(f"grad(x) must have the shape of x {x.shape}; got {g.shape}")
    if not math.isfinite(f):
        raise ValueError(f"the loss at x0 is {f}; start from a point where it is finite")
    v: float | None = None
    val_float: Callable[[Any], float] = float
    if setup.val_value is not None:
        v_raw = setup.val_value(x)
        val_float = _scalar_converter(v_raw, "val_objective")
        v = val_float(v_raw)
    return _Start(x, f, g, math.sqrt(np.vdot(g, g)), v, to_float, val_float)


@dataclass(frozen=True)
class _End:
    """Where the loop stopped: the last iterate, the one before it, the best one, and why."""

    nit: int
    x: Array
    fun: float
    grad_norm: float
    previous: tuple[Array, float, float]  # (x, fun, grad_norm) one step earlier
    best: tuple[Array, float, int]  # (x, fun, nit) with the lowest loss seen
    verdict: Stop | None  # None: max_iter was reached without any rule firing


def _iterate(setup: _Setup, start: _Start, recorder: HistoryRecorder, t0: float) -> _End:
    """Step, evaluate, record and ask the rules, until a rule stops the run or max_iter is hit."""
    value, grad, step, rule, callback = (
        setup.value,
        setup.grad,
        setup.step,
        setup.rule,
        setup.callback,
    )
    to_float, val_value, val_float = start.to_float, setup.val_value, start.val_float
    x, f, g, gn, v = start.x, start.fun, start.grad, start.grad_norm, start.val_loss
    x_prev, f_prev, gn_prev = x, f, gn
    x_best, f_best, nit_best = x, f, 0
    verdict = _verdict(rule, callback, State(0, x, f, gn, time.perf_counter() - t0, v, None))
    k = 0
    while verdict is None and k < setup.max_iter:
        x_new, lr = step(k, x, g)
        k += 1
        x_prev, f_prev, gn_prev = x, f, gn
        x = x_new
        f = to_float(value(x))
        g = grad(x)
        gn = math.sqrt(np.vdot(g, g))
        if val_value is not None:
            v = val_float(val_value(x))
        recorder.append(x, f, gn, lr, v)
        if f < f_best:
            x_best, f_best, nit_best = x, f, k
        state = State(k, x, f, gn, time.perf_counter() - t0, v, lr)
        verdict = _verdict(rule, callback, state)
    return _End(k, x, f, gn, (x_prev, f_prev, gn_prev), (x_best, f_best, nit_best), verdict)


def _finish(setup: _Setup, start: _Start, end: _End, history: History) -> OptimizeResult:
    """Turn where the loop stopped into the ``OptimizeResult`` (status, message, reported x)."""
    verdict = end.verdict
    if verdict is None:
        verdict = Stop(
            Status.MAX_ITER,
            f"reached max_iter={setup.max_iter} iterations; no stopping rule fired "
            f"(final gradient norm {end.grad_norm:.3g})",
        )
    message = verdict.message
    x_out, f_out, gn_out = end.x, end.fun, end.grad_norm
    if verdict.status == Status.DIVERGED:
        k = end.nit
        if k == 0:  # x0 and its loss are finite (checked at the start); there is nothing earlier
            message += "; x is the starting point (iteration 0)"
        elif math.isfinite(end.fun) and math.isfinite(end.grad_norm) and np.isfinite(end.x).all():
            message += f"; x is the last finite point (iteration {k})"
        else:
            x_out, f_out, gn_out = end.previous
            message += f"; x is the last finite point (iteration {k - 1})"
    elif verdict.restore_x is not None:
        x_out = verdict.restore_x
        f_out = start.to_float(setup.value(x_out))
        g_out = setup.grad(x_out)
        gn_out = math.sqrt(np.vdot(g_out, g_out))
    x_best, fun_best, nit_best = end.best
    return OptimizeResult(
        x=np.array(x_out, dtype=float),
        fun=f_out,
        grad_norm=gn_out,
        nit=end.nit,
        status=verdict.status,
        message=message,
        x_best=np.array(x_best, dtype=float),
        fun_best=fun_best,
        nit_best=nit_best,
        history=history,
        nfev=setup.counts.nfev,
        njev=setup.counts.njev,
    )


def _verdict(rule: AnyOf, callback: Callable[[State], Any] | None, state: State) -> Stop | None:
    """Ask the rules, then the callback, whether to stop at ``state``."""
    verdict = rule.check(state)
    if verdict is None and callback is not None and callback(state):
        verdict = Stop(Status.CALLBACK, f"the callback returned True at iteration {state.nit}")
    return verdict


def _has_early_stopping(rules: Iterable[StoppingRule]) -> bool:
    for r in rules:
        if isinstance(r, EarlyStopping):
            return True
        if isinstance(r, AnyOf) and _has_early_stopping(r.rules):
            return True
    return False
