"""optcourse: the library of the course *Optimization and Gradient Descent for Machine Learning*.

The pieces, one module per concept:

- ``optcourse.objectives``: functions to minimize (quadratics, Rosenbrock, data objectives, ...)
- ``optcourse.optimizers``: torch.optim-compatible optimizers and ``Newton``
- ``optcourse.schedules``: learning-rate schedules, callables ``sched(t)``
- ``optcourse.stopping``: stopping rules and divergence detection
- ``optcourse.minimize``: the driver, returning an ``OptimizeResult`` that says why it stopped
- ``optcourse.sweep``: many gradient-descent runs at once, one per learning rate and start
- ``optcourse.range_test``: the learning-rate range test (``lr_find``), ``lr_range_test``
- ``optcourse.diagnostics``: step-size theory, run classification, loss-curve reading
- ``optcourse.costs``: memory and flop counts of an optimizer step (Newton, L-BFGS, Adam, SGD)
- ``optcourse.precision``: float16/bfloat16/float32/float64 limits and a bfloat16 emulation
- ``optcourse.plotting`` and ``optcourse.widgets``: figures, explorers (import explicitly)

The package itself exports what a reader calls most, and this is the import style of the README and
the chapters: ``from optcourse import minimize, sweep, lr_range_test``; everything else is imported
from its submodule (``from optcourse.objectives import Parabola``,
``from optcourse.optimizers import SGD``).
"""

from optcourse.minimize import minimize
from optcourse.range_test import RangeTest, lr_range_test
from optcourse.result import History, OptimizeResult
from optcourse.status import Status
from optcourse.sweep import Sweep, sweep

__version__ = "0.1.0"

__all__ = [
    "History",
    "OptimizeResult",
    "RangeTest",
    "Status",
    "Sweep",
    "lr_range_test",
    "minimize",
    "sweep",
    "__version__",
]
