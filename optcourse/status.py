"""Why a run ended: the one list of statuses, each with its integer code and its ``success`` flag.

Every stopping rule reports one of these statuses, and :class:`~optcourse.result.OptimizeResult`
turns it into ``status`` (the name), ``status_code`` and ``success``. This module is the only
place they are defined:

====  ===============  =======  =====================================================
code  status           success  meaning
====  ===============  =======  =====================================================
0     converged        True     a convergence rule fired (e.g. gradient norm < tol)
1     early_stopped    True     validation loss stopped improving (EarlyStopping)
2     max_iter         False    the iteration budget ran out
3     stalled          False    the loss stopped improving (RelativeImprovement)
4     time_budget      False    the wall-clock budget ran out
5     callback         False    your callback returned True
-1    diverged         False    NaN/inf or runaway loss; ``x`` is the last finite point
====  ===============  =======  =====================================================

A :class:`Status` *is* its name as a string, so ``Status.CONVERGED == "converged"`` is true and
``result.status`` (a plain string) can be compared with either::

    >>> Status("max_iter").code, Status("max_iter").success
    (2, False)
    >>> str(Status.DIVERGED)
    'diverged'
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Status"]


class Status(str, Enum):
    """Why a run ended; a string enum whose members carry ``code`` and ``success``.

    ``Status(name)`` looks a status up by its name (``Status("converged") is Status.CONVERGED``).

    Attributes
    ----------
    value : str
        The name used in ``OptimizeResult.status`` and ``Stop.status``, e.g. ``"converged"``.
    code : int
        The integer ``OptimizeResult.status_code`` (negative for a failed run).
    success : bool
        Whether the run counts as a success: only ``converged`` and ``early_stopped`` do.
    """

    CONVERGED = "converged"
    EARLY_STOPPED = "early_stopped"
    MAX_ITER = "max_iter"
    STALLED = "stalled"
    TIME_BUDGET = "time_budget"
    CALLBACK = "callback"
    DIVERGED = "diverged"

    @property
    def code(self) -> int:
        """The integer status code (``OptimizeResult.status_code``)."""
        return _CODE_AND_SUCCESS[self][0]

    @property
    def success(self) -> bool:
        """True for the statuses that count as success (``OptimizeResult.success``)."""
        return _CODE_AND_SUCCESS[self][1]

    def __str__(self) -> str:
        """The status name, so that ``print`` and f-strings show ``converged``."""
        return self.value

    def __format__(self, format_spec: str) -> str:
        return format(self.value, format_spec)


#: ``(code, success)`` of every status: the table in the module docstring.
_CODE_AND_SUCCESS: dict[Status, tuple[int, bool]] = {
    Status.CONVERGED: (0, True),
    Status.EARLY_STOPPED: (1, True),
    Status.MAX_ITER: (2, False),
    Status.STALLED: (3, False),
    Status.TIME_BUDGET: (4, False),
    Status.CALLBACK: (5, False),
    Status.DIVERGED: (-1, False),
}
