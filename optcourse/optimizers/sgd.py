"""Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

The update (torch.optim.SGD, same order of operations), with gradient ``g`` at parameters ``p``::

    g <- -g                         if maximize
    g <- g + weight_decay * p       (L2 penalty folded into the gradient)
    b <- g                          first step
    b <- momentum * b + (1 - dampening) * g     later steps
    g <- g + momentum * b  if nesterov,  else  g <- b
    p <- p - lr * g

With ``momentum=0`` this is plain gradient descent ``p <- p - lr * g``.
"""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike, NDArray

from .._validation import LearningRate, check_nonnegative
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent, optionally with heavy-ball or Nesterov momentum (torch.optim.SGD).

    Parameters
    ----------
    lr : float or array
        Learning rate (step size) ``>= 0``; an array broadcasts against the parameters.
    momentum : float
        Momentum factor ``>= 0`` (0.9 is the usual choice; 0 disables momentum).
    dampening : float
        Scales the new gradient in the momentum buffer by ``1 - dampening``.
    weight_decay : float
        L2 penalty coefficient ``>= 0`` added to the gradient as ``weight_decay * p``.
    nesterov : bool
        Use Nesterov's look-ahead form (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool
        Climb the objective instead of descending it.

    Update rule (torch's order), gradient ``g`` at parameters ``p``::

        g <- -g                                     if maximize
        g <- g + weight_decay * p
        b <- g (first step),  b <- momentum * b + (1 - dampening) * g (later)   if momentum > 0
        g <- g + momentum * b  if nesterov,  else  g <- b                      if momentum > 0
        p <- p - lr * g

    State: ``momentum_buffer`` (only when ``momentum > 0``).

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range), or if
        ``nesterov=True`` without ``momentum > 0`` and ``dampening == 0``.
    """

    _hyper_names = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def __init__(
        self,
        lr: ArrayLike = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.momentum = check_nonnegative("momentum", momentum)
        self.dampening = float(dampening)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        self.maximize = bool(maximize)
        if self.nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={self.momentum!r}, dampening={self.dampening!r}"
            )

    def _update(self, p: NDArray[Any], g: NDArray[Any], lr: LearningRate) -> NDArray[Any]:
        if self.maximize:
            g = -g
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p
        if self.momentum != 0.0:
            buf = self.state.get("momentum_buffer")
            if buf is None:
                buf = g.astype(float, copy=True)  # never keep a reference to the caller's grad
            elif self.dampening == 0.0:
                buf = self.momentum * buf + g
            else:
                buf = self.momentum * buf + (1.0 - self.dampening) * g
            self.state["momentum_buffer"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return p - lr * g
