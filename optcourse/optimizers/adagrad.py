"""AdaGrad: per-coordinate step sizes from the running sum of squared gradients.

The update (torch.optim.Adagrad), with step counter ``t`` starting at 1::

    g <- -g                          if maximize
    g <- g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s <- s + g * g                   (s starts at initial_accumulator_value)
    p <- p - clr * g / (sqrt(s) + eps)

Coordinates with large past gradients take small steps; because ``s`` only grows, the effective
step size keeps shrinking (fine for sparse features, often too fast for deep nets).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import LearningRate, check_nonnegative, check_positive
from .base import Optimizer


class Adagrad(Optimizer):
    """AdaGrad (Duchi, Hazan and Singer 2011), as in torch.optim.Adagrad.

    Parameters
    ----------
    lr : float or array
        Base learning rate ``>= 0``.
    lr_decay : float
        ``>= 0``; the step ``t`` uses ``lr / (1 + (t - 1) * lr_decay)`` (own step counter).
    weight_decay : float
        L2 penalty ``>= 0`` added to the gradient.
    initial_accumulator_value : float
        Starting value ``>= 0`` of the sum of squared gradients.
    eps : float
        ``> 0``, added to the denominator for numerical safety.
    maximize : bool
        Climb the objective instead of descending it.

    Update rule, with ``t`` the step number starting at 1::

        g <- -g                                      if maximize
        g <- g + weight_decay * p
        s <- s + g * g                               (s starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State: ``step``, ``sum``.

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    _hyper_names = (
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "maximize",
    )

    def __init__(
        self,
        lr: ArrayLike = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.lr_decay = check_nonnegative("lr_decay", lr_decay)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.initial_accumulator_value = check_nonnegative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.eps = check_positive("eps", eps)
        self.maximize = bool(maximize)

    def _update(self, p: NDArray[Any], g: NDArray[Any], lr: LearningRate) -> NDArray[Any]:
        state = self.state
        if not state:
            state["step"] = 0
            state["sum"] = np.full(g.shape, self.initial_accumulator_value)
        step = state["step"] = state["step"] + 1
        if self.maximize:
            g = -g
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p
        clr = lr / (1.0 + (step - 1) * self.lr_decay) if self.lr_decay != 0.0 else lr
        s = state["sum"] = state["sum"] + g * g
        stepped: NDArray[Any] = p - (clr * g) / (np.sqrt(s) + self.eps)
        return stepped
