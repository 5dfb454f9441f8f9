"""HistoryRecorder: the arrays of History, filled one iterate at a time, grown by doubling."""

from __future__ import annotations

import numpy as np
import pytest

from optcourse.minimize import minimize
from optcourse.objectives import Quadratic
from optcourse.optimizers import SGD
from optcourse.result import HistoryRecorder
from optcourse.schedules import ExponentialLR


@pytest.mark.parametrize("steps", [0, 1, 1023, 1024, 1025, 3000])
def test_recorded_rows_match_what_was_appended(steps):
    rec = HistoryRecorder(np.zeros(2), 0.0, 0.5, 0.0, lr_shape=(), max_rows=steps + 1)
    for k in range(1, steps + 1):
        rec.append(np.full(2, k), float(k), k + 0.5, 0.1 * k, -float(k))
    h = rec.history()
    k = np.arange(steps + 1)
    assert h.x is not None and h.val_loss is not None
    np.testing.assert_array_equal(h.x, np.repeat(k[:, None], 2, axis=1).astype(float))
    np.testing.assert_array_equal(h.loss, k)
    np.testing.assert_array_equal(h.grad_norm, k + 0.5)
    np.testing.assert_array_equal(h.val_loss, -k)
    np.testing.assert_allclose(h.lr, 0.1 * k[1:])
    assert len(rec.loss) <= steps + 1  # never more rows than the run can fill


def test_without_x_or_validation_only_losses_are_kept():
    rec = HistoryRecorder(np.zeros(3), 1.0, 2.0, None, lr_shape=(4, 1), max_rows=10, keep_x=False)
    rec.append(np.ones(3), 0.5, 1.0, np.full((4, 1), 0.2), None)
    h = rec.history()
    assert h.x is None and h.val_loss is None
    assert h.lr.shape == (1, 4, 1) and h.loss.tolist() == [1.0, 0.5]


def test_a_long_run_records_every_iterate():
    q = Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    res = minimize(q, [1.0, 1.0], SGD(lr=0.01), schedule=ExponentialLR(0.01, 0.999), max_iter=2500)
    h = res.history
    assert res.nit == 2500 and len(h) == 2501 and h.lr.shape == (2500,)
    np.testing.assert_allclose(h.lr, 0.01 * 0.999 ** np.arange(2500))
    np.testing.assert_allclose(h.loss, [q.value(x) for x in h.x])
