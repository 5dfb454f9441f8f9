"""optcourse: the library of the course *Optimization and Gradient Descent for Machine Learning*.

The pieces, one module per concept:

- ``optcourse.objectives``: functions to minimize (quadratics, Rosenbrock, data objectives, ...)
- ``optcourse.optimizers``: torch.optim-compatible optimizers and ``Newton``
- ``optcourse.schedules``: learning-rate schedules, callables ``sched(t)``
- ``optcourse.stopping``: stopping rules and divergence detection
- ``optcourse.minimize``: the driver, returning an ``OptimizeResult`` that says why it stopped
- ``optcourse.diagnostics``: step-size theory, run classification, loss-curve reading
- ``optcourse.plotting`` and ``optcourse.widgets``: figures, explorers (import explicitly)
"""

from optcourse.minimize import minimize
from optcourse.result import History, OptimizeResult

__version__ = "0.1.0"

__all__ = ["History", "OptimizeResult", "minimize", "__version__"]
