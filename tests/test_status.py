"""One vocabulary of statuses: optcourse.status.Status is the source of names, codes, flags."""

from __future__ import annotations

import numpy as np
import pytest

from optcourse.minimize import minimize
from optcourse.objectives import Parabola
from optcourse.optimizers import SGD
from optcourse.result import STATUS_CODES, SUCCESS_STATUSES, History, OptimizeResult
from optcourse.status import Status
from optcourse.stopping import STATUSES, Stop

# The codes notebooks and users rely on: they must never change.
PUBLISHED = {
    "converged": (0, True),
    "early_stopped": (1, True),
    "max_iter": (2, False),
    "stalled": (3, False),
    "time_budget": (4, False),
    "callback": (5, False),
    "diverged": (-1, False),
}


def _result(status: str | Status) -> OptimizeResult:
    x = np.zeros(1)
    history = History(x=None, loss=np.zeros(1), grad_norm=np.zeros(1), lr=np.zeros(0))
    return OptimizeResult(x, 0.0, 0.0, 0, status, "m", x, 0.0, 0, history)


def test_every_status_keeps_its_published_code_and_success():
    assert {s.value: (s.code, s.success) for s in Status} == PUBLISHED


def test_stopping_and_result_tables_are_derived_from_status():
    assert set(STATUSES) == set(PUBLISHED)
    assert {name: code for name, (code, _) in PUBLISHED.items()} == STATUS_CODES
    assert {name for name, (_, ok) in PUBLISHED.items() if ok} == SUCCESS_STATUSES


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_result_fields_follow_status(name):
    for given in (name, Status(name)):
        res = _result(given)
        assert type(res.status) is str and res.status == name
        assert (res.status_code, res.success) == PUBLISHED[name]


def test_status_is_its_name_as_a_string():
    assert Status("diverged") is Status.DIVERGED
    assert Status.CONVERGED == "converged" and Status.CONVERGED == "converged"
    assert str(Status.MAX_ITER) == "max_iter" and f"{Status.MAX_ITER:>9}" == " max_iter"
    with pytest.raises(ValueError, match="not a valid Status"):
        Status("done")


def test_stop_stores_the_plain_name_and_rejects_unknown_statuses():
    stop = Stop(Status.STALLED, "m")
    assert type(stop.status) is str and stop.status == "stalled"
    with pytest.raises(ValueError, match="status must be one of"):
        Stop("done", "m")
    with pytest.raises(ValueError, match="status must be one of"):
        _result("done")


def test_minimize_reports_plain_string_statuses():
    res = minimize(Parabola(), [3.0], SGD(lr=0.1), max_iter=2)
    assert type(res.status) is str and res.status == Status.MAX_ITER and res.status_code == 2
    assert "status: 'max_iter'" in repr(res)
