"""Newton's method: scale the gradient by the inverse Hessian.

One step solves ``(H + damping * I) d = g`` and moves ``p <- p - lr * d``. On a quadratic with
positive-definite ``H`` a full step (``lr = 1``, ``damping = 0``) lands exactly on the minimizer;
``damping > 0`` (Levenberg-Marquardt style) keeps the step sane when ``H`` is nearly singular or
indefinite, at the price of behaving more like gradient descent with step ``1 / damping``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_lr, check_nonnegative
from .base import Optimizer


class Newton(Optimizer):
    """Damped Newton step for the second-order chapter.

    Parameters
    ----------
    lr : float or array
        Step length ``>= 0`` along the Newton direction (1 is the pure Newton step).
    damping : float
        ``>= 0``, added to the Hessian's diagonal before solving.

    Update rule: solve ``(H + damping * I) d = g``, then ``p <- p - lr * d``.

    ``step(params, grad, hessian=H)`` needs ``H`` of shape ``(..., n, n)`` for ``params`` of shape
    ``(..., n)``; leading (batch) axes are solved independently. State: ``step``.

    Raises
    ------
    ValueError
        If a hyperparameter is outside its range (the message names it and the range).
    """

    needs_hessian: ClassVar[bool] = True
    _hyper_names = ("lr", "damping")

    def __init__(self, lr: ArrayLike = 1.0, damping: float = 0.0) -> None:
        super().__init__(lr)
        self.damping = check_nonnegative("damping", damping)

    def step(
        self,
        params: ArrayLike,
        grad: ArrayLike,
        *,
        lr: ArrayLike | None = None,
        hessian: ArrayLike | None = None,
    ) -> NDArray[Any]:
        """Return ``params - lr * solve(hessian + damping * I, grad)``; inputs are not modified.

        Raises
        ------
        ValueError
            If ``hessian`` is missing or not of shape ``(..., n, n)``, ``grad`` does not have the
            shape of ``params``, or ``lr`` is negative or not finite.
        numpy.linalg.LinAlgError
            If ``hessian + damping * I`` is singular (try ``damping > 0``).
        """
        if hessian is None:
            raise ValueError(
                "Newton.step needs the Hessian: call opt.step(params, grad, hessian=H) "
                "with H of shape (..., n, n)"
            )
        p = np.asarray(params)
        g = np.asarray(grad)
        h = np.asarray(hessian)
        if p.shape != g.shape:
            raise ValueError(
                f"grad must have the shape of params: params {p.shape}, grad {g.shape}"
            )
        if p.ndim == 0:
            raise ValueError("Newton needs params of shape (..., n) with at least one axis")
        n = p.shape[-1]
        if h.ndim < 2 or h.shape[-2:] != (n, n):
            raise ValueError(
                f"hessian must have shape (..., {n}, {n}) for params of shape {p.shape}, "
                f"got {h.shape}"
            )
        if self.damping != 0.0:
            h = h + self.damping * np.eye(n)
        try:
            d = np.linalg.solve(h, g[..., None])[..., 0]
        except np.linalg.LinAlgError as err:
            raise np.linalg.LinAlgError(
                f"the Hessian (+ damping * I) is singular ({err}); try damping > 0"
            ) from err
        self.state["step"] = self.state.get("step", 0) + 1
        eta = self.lr if lr is None else check_lr(lr)
        return p - eta * d
