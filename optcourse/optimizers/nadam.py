"""NAdam: Adam with Nesterov-style momentum (Dozat 2016), as in torch.optim.NAdam.

With step counter ``t`` starting at 1 and ``psi = momentum_decay``::

    mu_t      = beta1 * (1 - 0.5 * 0.96 ** (t * psi))       momentum schedule
    mu_next   = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    prod_t    = mu_1 * ... * mu_t                            (state "mu_product")
    m <- m + (1 - beta1) * (g - m);   v <- beta2 * v + (1 - beta2) * g * g
    d = sqrt(v / (1 - beta2**t)) + eps
    p <- p - lr * (1 - mu_t) / (1 - prod_t) * g / d - lr * mu_next / (1 - prod_t * mu_next) * m / d

The first term uses the fresh gradient, the second the averaged one "one step ahead": the
Nesterov look-ahead expressed inside Adam. ``momentum_decay = 0`` gives ``mu_t = beta1 / 2``;
``momentum_decay = inf`` gives ``mu_t = beta1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import LearningRate, check_betas, check_nonnegative, check_positive
from .base import Optimizer


class NAdam(Optimizer):
    """NAdam, as in torch.optim.NAdam.

    Parameters
    ----------
    lr : float or array
        Learning rate ``>= 0``.
    betas : (float, float)
        Decay rates of the moment averages, each in ``[0, 1)``.
    eps : float
        ``> 0``, added to the denominator.
    weight_decay : float
        ``>= 0``; L2 penalty in the gradient, or decoupled (see below).
    momentum_decay : float
        ``>= 0`` (``inf`` allowed); how fast ``mu_t`` rises from ``beta1 / 2`` to ``beta1``.
        The schedule follows the optimizer's own step counter, not the ``lr=`` override.
    decoupled_weight_decay : bool
        Shrink the parameters directly, as AdamW does.
    maximize : bool
        Climb the objective instead of descending it.

    Update rule, with ``t`` the step number starting at 1 (weight decay and maximize as in Adam)::

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))     (and mu_{t+1} likewise)
        m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - mu_1 ... mu_t) * g / d
               - lr * mu_{t+1} / (1 - mu_1 ... mu_{t+1}) * m / d

    State: ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``.

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    _hyper_names = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
        "maximize",
    )

    def __init__(
        self,
        lr: ArrayLike = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.betas = check_betas(betas)
        self.eps = check_positive("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum_decay = check_nonnegative("momentum_decay", momentum_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)
        self.maximize = bool(maximize)

    def _update(self, p: NDArray[Any], g: NDArray[Any], lr: LearningRate) -> NDArray[Any]:
        state = self.state
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros(g.shape)
            state["exp_avg_sq"] = np.zeros(g.shape)
        step = state["step"] = state["step"] + 1
        if self.maximize:
            g = -g
        if self.weight_decay != 0.0:
            if self.decoupled_weight_decay:
                p = p * (1.0 - lr * self.weight_decay)
            else:
                g = g + self.weight_decay * p
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * self.momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * self.momentum_decay))
        mu_product = state["mu_product"] = state["mu_product"] * mu
        m = state["exp_avg"]
        m = state["exp_avg"] = m + (1.0 - beta1) * (g - m)
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
        denom = np.sqrt(v / (1.0 - beta2**step)) + self.eps
        c_grad = lr * (1.0 - mu) / (1.0 - mu_product)
        c_avg = lr * mu_next / (1.0 - mu_product * mu_next)
        # two separate updates, in the order torch applies them
        p = p - (c_grad * g) / denom
        stepped: NDArray[Any] = p - (c_avg * m) / denom
        return stepped
