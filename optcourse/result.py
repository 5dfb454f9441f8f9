"""What an optimization run returns: :class:`OptimizeResult` and its recorded :class:`History`.

Modelled on ``scipy.optimize.OptimizeResult``: the final point ``x`` and loss ``fun``, the number of
steps ``nit``, a ``success`` flag, a ``status`` saying *why* the run ended, a human-readable
``message``, the best point seen, and the whole recorded trajectory in ``history``.

The statuses, their codes (``status_code``) and whether they count as ``success`` are defined once,
in :class:`optcourse.status.Status` (see the table there): ``converged`` (0) and ``early_stopped``
(1) are successes; ``max_iter`` (2), ``stalled`` (3), ``time_budget`` (4), ``callback`` (5) and
``diverged`` (-1) are not.

``success`` is deliberately narrow: running out of budget is not failure, but it is not evidence of
a solution either. Stopping rules bound cost; they do not certify optimality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optcourse.status import Status

__all__ = ["STATUS_CODES", "SUCCESS_STATUSES", "History", "OptimizeResult", "Status"]

#: The integer code of every status (from :class:`~optcourse.status.Status`).
STATUS_CODES: dict[str, int] = {status.value: status.code for status in Status}

#: Statuses for which ``OptimizeResult.success`` is True.
SUCCESS_STATUSES: frozenset[str] = frozenset(status.value for status in Status if status.success)


@dataclass(repr=False)
class History:
    """The recorded trajectory of a run (NumPy arrays, row ``k`` is after ``k`` steps).

    Attributes
    ----------
    x : ndarray of shape (nit + 1, *x0.shape), or None
        Copies of every iterate, starting with ``x0`` (``None`` if ``minimize(record=False)``).
    loss : ndarray of shape (nit + 1,)
        The (full) loss at every iterate.
    grad_norm : ndarray of shape (nit + 1,)
        Norm of the (full) gradient at every iterate.
    lr : ndarray of shape (nit,) (or (nit, *lr.shape) for array learning rates)
        The learning rate used by each step.
    val_loss : ndarray of shape (nit + 1,), or None
        The validation loss at every iterate, if a validation objective was given.
    """

    x: NDArray[Any] | None
    loss: NDArray[np.float64]
    grad_norm: NDArray[np.float64]
    lr: NDArray[np.float64]
    val_loss: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        """Number of recorded points (``nit + 1``)."""
        return len(self.loss)

    def __repr__(self) -> str:
        fields = ["loss", "grad_norm", "lr"]
        if self.x is not None:
            fields.insert(0, "x")
        if self.val_loss is not None:
            fields.append("val_loss")
        return f"History({len(self)} points: {', '.join(fields)})"


class HistoryRecorder:
    """Fills the arrays of a :class:`History` one iterate at a time (used by ``minimize``).

    The arrays start with room for :attr:`INITIAL_ROWS` iterates (or fewer, if the run cannot be
    longer) and double in size whenever they are full, so recording stays cheap whether a run
    takes ten steps or a million. :meth:`history` returns trimmed copies.

    Parameters
    ----------
    x0 : ndarray
        The starting point (row 0 of ``history.x``).
    fun0, grad_norm0 : float
        Loss and gradient norm at ``x0``.
    val_loss0 : float or None
        Validation loss at ``x0``; ``None`` when the run has no validation objective.
    lr_shape : tuple of int
        Shape of one learning rate: ``()`` for a float, the array's shape for a sweep.
    max_rows : int
        The most iterates the run can produce (``max_iter + 1``).
    keep_x : bool
        Record the iterates themselves (``False`` leaves ``history.x`` as ``None``).
    """

    #: Rows allocated at the start; enough for most runs in the course without any regrowth.
    INITIAL_ROWS = 1024

    def __init__(
        self,
        x0: NDArray[np.float64],
        fun0: float,
        grad_norm0: float,
        val_loss0: float | None,
        *,
        lr_shape: tuple[int, ...],
        max_rows: int,
        keep_x: bool = True,
    ) -> None:
        self.max_rows = max_rows
        rows = min(max_rows, self.INITIAL_ROWS)
        self.x = np.empty((rows, *x0.shape)) if keep_x else None
        self.loss = np.empty(rows)
        self.grad_norm = np.empty(rows)
        self.lr = np.empty((rows, *lr_shape))
        self.val_loss = np.empty(rows) if val_loss0 is not None else None
        self.n = 0
        self.append(x0, fun0, grad_norm0, math.nan, val_loss0)  # row 0 of lr stays unused

    def append(
        self, x: NDArray[np.float64], fun: float, grad_norm: float, lr: Any, val_loss: float | None
    ) -> None:
        """Record the next iterate, reached by a step with learning rate ``lr``."""
        n = self.n
        if n == len(self.loss):
            self._grow()
        if self.x is not None:
            self.x[n] = x
        self.loss[n] = fun
        self.grad_norm[n] = grad_norm
        self.lr[n] = lr
        if self.val_loss is not None:
            self.val_loss[n] = val_loss
        self.n = n + 1

    def history(self) -> History:
        """The recorded trajectory as a :class:`History` of right-sized copies."""
        n = self.n
        return History(
            x=None if self.x is None else self.x[:n].copy(),
            loss=self.loss[:n].copy(),
            grad_norm=self.grad_norm[:n].copy(),
            lr=self.lr[1:n].copy(),
            val_loss=None if self.val_loss is None else self.val_loss[:n].copy(),
        )

    def _grow(self) -> None:
        """Double the number of rows of every array (never beyond ``max_rows``)."""
        rows = min(2 * len(self.loss), self.max_rows)
        self.loss = _enlarged(self.loss, rows)
        self.grad_norm = _enlarged(self.grad_norm, rows)
        self.lr = _enlarged(self.lr, rows)
        if self.x is not None:
            self.x = _enlarged(self.x, rows)
        if self.val_loss is not None:
            self.val_loss = _enlarged(self.val_loss, rows)


def _enlarged(arr: NDArray[np.float64], rows: int) -> NDArray[np.float64]:
    """Return a copy of ``arr`` with ``rows`` rows; the new rows are uninitialised."""
    out = np.empty((rows, *arr.shape[1:]), dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=10, edgeitems=3):
            return np.array2string(value, prefix=" " * 13)
    return repr(value) if isinstance(value, (str, History)) else str(value)


@dataclass(repr=False)
class OptimizeResult:
    """The outcome of :func:`optcourse.minimize`.

    Attributes
    ----------
    x : ndarray
        The reported point: the last iterate, the best validation point when EarlyStopping restored
        it, or the last finite iterate of a diverged run.
    fun : float
        Loss at ``x``.
    grad_norm : float
        Gradient norm at ``x``.
    nit : int
        Number of optimizer steps taken.
    success : bool
        True only for status ``"converged"`` or ``"early_stopped"``.
    status : str
        Why the run ended: the name of a :class:`~optcourse.status.Status`.
    status_code : int
        Integer code of ``status`` (``Status(status).code``).
    message : str
        The stopping rule's explanation, with its numbers.
    x_best, fun_best, nit_best :
        The iterate with the lowest (training) loss seen, its loss and its iteration.
    history : History
        The recorded trajectory.
    nfev, njev : int or None
        How many times the objective's value and its gradient were evaluated (as in SciPy's
        result): every evaluation ``minimize`` made, including the optimizer's own (the
        line search of ``LBFGS``) and mini-batch gradients; ``None`` if not counted.
    """

    x: NDArray[Any]
    fun: float
    grad_norm: float
    nit: int
    status: str
    message: str
    x_best: NDArray[Any]
    fun_best: float
    nit_best: int
    history: History
    nfev: int | None = None
    njev: int | None = None
    success: bool = field(init=False)
    status_code: int = field(init=False)

    def __post_init__(self) -> None:
        if self.status not in STATUS_CODES:
            raise ValueError(f"status must be one of {list(STATUS_CODES)}; got {self.status!r}")
        status = Status(self.status)
        self.status = status.value  # always the plain name, even if a Status was passed
        self.success = status.success
        self.status_code = status.code

    def __repr__(self) -> str:
        keys = [
            "status",
            "success",
            "status_code",
            "message",
            "x",
            "fun",
            "grad_norm",
            "nit",
            "x_best",
            "fun_best",
            "nit_best",
            "nfev",
            "njev",
            "history",
        ]
        lines = [f"{k:>11}: {_fmt(getattr(self, k))}" for k in keys]
        return "\n".join(lines)

    __str__ = __repr__
