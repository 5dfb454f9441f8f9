"""The machinery every optimizer shares: learning-rate handling, validation, state and repr.

An optimizer here is a small object with one job: given the current parameters and the gradient,
return the *next* parameters. It mirrors ``torch.optim`` (same keyword names, defaults and update
rules) but works on NumPy arrays and never changes its inputs in place::

    opt = SGD(lr=0.1, momentum=0.9)
    for t in range(100):
        x = opt.step(x, objective.grad(x))   # x is a new array each step

Anything the method remembers between steps (momentum buffers, running averages, the step count)
lives in the dictionary ``opt.state`` under torch's names; ``opt.reset()`` forgets it.

The learning rate may be a float or an array that broadcasts against the parameters: with
parameters of shape ``(1000, 2)`` and ``lr`` of shape ``(1000, 1)`` one optimizer runs 1,000
independent runs, one per learning rate, in a single vectorized pass.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optcourse._validation import (
    LearningRate,
    check_betas,
    check_lr,
    check_nonnegative,
    check_positive,
    check_unit_interval,
    format_value,
)

# The checks live in optcourse._validation; they stay importable from here for existing code.
__all__ = [
    "LearningRate",
    "Optimizer",
    "check_betas",
    "check_lr",
    "check_nonnegative",
    "check_positive",
    "check_unit_interval",
]


class Optimizer:
    """Base class: subclasses set ``_hyper_names`` and implement ``_update``.

    Hyperparameters are read-only attributes after construction (build a new optimizer, or pass
    ``lr=`` to :meth:`step`, to change them), so they are validated exactly once.
    """

    #: True only for methods that need the Hessian in :meth:`step` (``Newton``).
    needs_hessian: ClassVar[bool] = False
    #: Constructor arguments shown in ``repr`` and protected from reassignment.
    _hyper_names: ClassVar[tuple[str, ...]] = ("lr",)

    lr: LearningRate
    state: dict[str, Any]

    def __init__(self, lr: ArrayLike) -> None:
        self.lr = check_lr(lr)
        self.state = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._hyper_names and name in self.__dict__:
            raise AttributeError(
                f"{name} is fixed when the optimizer is built; create a new "
                f"{type(self).__name__} (or pass lr= to step() for a one-step learning rate)"
            )
        object.__setattr__(self, name, value)

    def reset(self) -> None:
        """Forget all state (step count, buffers): the next step behaves like the first."""
        self.state.clear()

    def step(
        self,
        params: ArrayLike,
        grad: ArrayLike,
        *,
        lr: ArrayLike | None = None,
        hessian: ArrayLike | None = None,
    ) -> NDArray[Any]:
        """Return the parameters after one step; ``params`` and ``grad`` are left untouched.

        Parameters
        ----------
        params, grad : array_like
            Current parameters and the gradient of the loss at them (same shape, any shape).
        lr : float or array, optional
            Learning rate for this step only (a schedule drives the optimizer this way);
            defaults to the constructor's ``lr``. Arrays broadcast against ``params``.
        hessian : array_like, optional
            Ignored by first-order methods; required by ``Newton``.

        Returns
        -------
        ndarray
            The new parameters, a new array of the shape of ``params`` (of the broadcast shape
            of ``params`` and ``lr`` when ``lr`` is an array). The optimizer's ``state`` is
            updated.

        Raises
        ------
        ValueError
            If ``grad`` does not have the shape of ``params``, or ``lr`` has a negative or
            non-finite entry.
        """
        p = np.asarray(params)
        g = np.asarray(grad)
        if p.shape != g.shape:
            raise ValueError(
                f"grad must have the shape of params: params {p.shape}, grad {g.shape}"
            )
        return self._update(p, g, self.lr if lr is None else check_lr(lr))

    def _update(self, p: NDArray[Any], g: NDArray[Any], lr: LearningRate) -> NDArray[Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={format_value(getattr(self, n))}" for n in self._hyper_names)
        return f"{type(self).__name__}({args})"
