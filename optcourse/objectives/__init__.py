"""Objectives: classical test functions and data losses with ``value``, ``grad`` and ``hessian``.

Every objective takes points ``x`` of shape ``(..., n)`` (leading batch axes allowed) and returns
``value`` of shape ``(...)``, ``grad`` ``(..., n)`` and ``hessian`` ``(..., n, n)``; it knows its
``dim``, ``minimizers`` (``(k, n)`` or ``None``), ``minimum`` and a plotting ``domain``.

>>> from optcourse.objectives import Rosenbrock
>>> f = Rosenbrock()
>>> float(f.value([1.0, 1.0])), f.grad([0.0, 0.0]).tolist()
(0.0, [-2.0, 0.0])
"""

from optcourse.objectives.base import Objective
from optcourse.objectives.classic import (
    Beale,
    Booth,
    Himmelblau,
    MonkeySaddle,
    Rastrigin,
    Rosenbrock,
    Saddle,
    SixHumpCamel,
)
from optcourse.objectives.data import (
    LeastSquares,
    LogisticRegression,
    make_classification,
    make_linear_regression,
)
from optcourse.objectives.function import FunctionObjective
from optcourse.objectives.mlp import MLP
from optcourse.objectives.network import TanhNetwork
from optcourse.objectives.oned import DoubleWell, Parabola
from optcourse.objectives.quadratic import Quadratic

__all__ = [
    "Objective",
    "Quadratic",
    "Parabola",
    "DoubleWell",
    "Rosenbrock",
    "Beale",
    "Himmelblau",
    "Booth",
    "Rastrigin",
    "Saddle",
    "MonkeySaddle",
    "SixHumpCamel",
    "FunctionObjective",
    "LeastSquares",
    "LogisticRegression",
    "TanhNetwork",
    "MLP",
    "make_linear_regression",
    "make_classification",
]
