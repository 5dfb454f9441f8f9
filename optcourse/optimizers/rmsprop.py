"""RMSprop: per-coordinate step sizes from an exponential average of squared gradients.

The update (torch.optim.RMSprop)::

    g <- -g                               if maximize
    g <- g + weight_decay * p
    v <- alpha * v + (1 - alpha) * g * g              (square_avg, starts at 0)
    centered:  m <- m + (1 - alpha) * (g - m)         (grad_avg)
               d = sqrt(v - m * m) + eps
    otherwise  d = sqrt(v) + eps
    momentum > 0:  b <- momentum * b + g / d;  p <- p - lr * b
    otherwise      p <- p - lr * g / d

Unlike AdaGrad the average forgets old gradients, so the step size does not decay to zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import LearningRate, check_nonnegative, check_positive, check_unit_interval
from .base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012), as in torch.optim.RMSprop.

    Parameters
    ----------
    lr : float or array
        Learning rate ``>= 0``.
    alpha : float
        Smoothing constant of the squared-gradient average, in ``[0, 1]``.
    eps : float
        ``> 0``, added to the denominator.
    weight_decay : float
        L2 penalty ``>= 0`` added to the gradient.
    momentum : float
        Momentum factor ``>= 0`` applied to the normalized step.
    centered : bool
        Normalize by an estimate of the gradient's variance instead of its raw second moment.
    maximize : bool
        Climb the objective instead of descending it.

    Update rule::

        g <- -g                                          if maximize
        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g * g
        d = sqrt(v - m * m) + eps  with  m <- m + (1 - alpha) * (g - m)   if centered
        d = sqrt(v) + eps                                                otherwise
        b <- momentum * b + g / d;  p <- p - lr * b      if momentum > 0
        p <- p - lr * g / d                              otherwise

    State: ``step``, ``square_avg``, plus ``grad_avg`` (centered) and ``momentum_buffer``
    (momentum > 0).

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    _hyper_names = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")

    def __init__(
        self,
        lr: ArrayLike = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.alpha = check_unit_interval("alpha", alpha, closed=True)
        self.eps = check_positive("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum = check_nonnegative("momentum", momentum)
        self.centered = bool(centered)
        self.maximize = bool(maximize)

    def _update(self, p: NDArray[Any], g: NDArray[Any], lr: LearningRate) -> NDArray[Any]:
        state = self.state
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros(g.shape)
            if self.momentum > 0.0:
                state["momentum_buffer"] = np.zeros(g.shape)
            if self.centered:
                state["grad_avg"] = np.zeros(g.shape)
        state["step"] += 1
        if self.maximize:
            g = -g
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p
        alpha = self.alpha
        v = state["square_avg"] = alpha * state["square_avg"] + (1.0 - alpha) * g * g
        if self.centered:
            m = state["grad_avg"]
            m = state["grad_avg"] = m + (1.0 - alpha) * (g - m)
            d = np.sqrt(v - m * m) + self.eps
        else:
            d = np.sqrt(v) + self.eps
        if self.momentum > 0.0:
            buf = state["momentum_buffer"] = self.momentum * state["momentum_buffer"] + g / d
            stepped: NDArray[Any] = p - lr * buf
            return stepped
        stepped = p - (lr * g) / d
        return stepped
