"""Adam and AdamW: momentum plus per-coordinate scaling, with bias correction.

The update (torch.optim.Adam / AdamW), with step counter ``t`` starting at 1::

    g <- -g                                    if maximize
    p <- p * (1 - lr * weight_decay)           AdamW (decoupled weight decay)
    g <- g + weight_decay * p                  Adam (L2 penalty inside the gradient)
    m <- m + (1 - beta1) * (g - m)             exp_avg:    average of gradients
    v <- beta2 * v + (1 - beta2) * g * g       exp_avg_sq: average of squared gradients
    v_max <- max(v_max, v)                     amsgrad only; then v_max replaces v below
    p <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

The two ``1 - beta**t`` factors undo the bias of averages that start at zero. AdamW applies the
weight decay directly to the parameters rather than through the gradient, so it is not rescaled
by the adaptive denominator (Loshchilov and Hutter 2019). AMSGrad keeps the largest ``v`` seen,
which repairs Adam's non-convergence on the counterexample of Reddi, Kale and Kumar (2018).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import LearningRate, check_betas, check_nonnegative, check_positive
from .base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015), as in torch.optim.Adam.

    Parameters
    ----------
    lr : float or array
        Learning rate ``>= 0``.
    betas : (float, float)
        Decay rates of the first and second moment averages, each in ``[0, 1)``.
    eps : float
        ``> 0``, added to the denominator.
    weight_decay : float
        ``>= 0``; an L2 penalty in the gradient (or decoupled, see below).
    amsgrad : bool
        Use the running maximum of the second moment (AMSGrad).
    maximize : bool
        Climb the objective instead of descending it.
    decoupled_weight_decay : bool
        Shrink the parameters directly (``True`` makes this AdamW).

    Update rule, with ``t`` the step number starting at 1::

        g <- -g                                      if maximize
        p <- p * (1 - lr * weight_decay)             if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * p                    otherwise (L2 penalty in the gradient)
        m <- beta1 * m + (1 - beta1) * g             first moment (exp_avg)
        v <- beta2 * v + (1 - beta2) * g * g         second moment (exp_avg_sq)
        v_max <- max(v_max, v), used in place of v   if amsgrad
        p <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    The ``1 - beta**t`` factors correct the bias of averages that start at zero.

    State: ``step``, ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    _hyper_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "decoupled_weight_decay",
    )

    def __init__(
        self,
        lr: ArrayLike = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(lr)
        self.betas = check_betas(betas)
        self.eps = check_positive("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        self.maximize = bool(maximize)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def _update(self, p: NDArray[Any], g: NDArray[Any], lr: LearningRate) -> NDArray[Any]:
        state = self.state
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros(g.shape)
            state["exp_avg_sq"] = np.zeros(g.shape)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros(g.shape)
        step = state["step"] = state["step"] + 1
        if self.maximize:
            g = -g
        if self.weight_decay != 0.0:
            if self.decoupled_weight_decay:
                p = p * (1.0 - lr * self.weight_decay)
            else:
                g = g + self.weight_decay * p
        m = state["exp_avg"]
        m = state["exp_avg"] = m + (1.0 - beta1) * (g - m)
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        step_size = lr / (1.0 - beta1**step)
        denom = np.sqrt(v) / (1.0 - beta2**step) ** 0.5 + self.eps
        stepped: NDArray[Any] = p - (step_size * m) / denom
        return stepped


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019), as torch.optim.AdamW.

    Same parameters as :class:`Adam` except that ``weight_decay`` defaults to ``1e-2`` and always
    shrinks the parameters directly: ``p <- p * (1 - lr * weight_decay)`` before the Adam step
    (see ``help(Adam)`` for the full update rule). The decay is not divided by the adaptive
    denominator, unlike Adam's L2 penalty.

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    _hyper_names = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")

    def __init__(
        self,
        lr: ArrayLike = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
