"""Optimizers with torch.optim's keywords, defaults and update rules, for NumPy arrays.

Every optimizer has ``new_params = opt.step(params, grad, lr=None)``; see
:mod:`optcourse.optimizers.base` for the shared contract.

========  =====================================  ==========================
class     method                                 state keys
========  =====================================  ==========================
SGD       GD, heavy-ball or Nesterov momentum    momentum_buffer
Adagrad   sum of squared gradients               step, sum
RMSprop   average of squared gradients           step, square_avg, ...
Adam      moments with bias correction           step, exp_avg, exp_avg_sq
AdamW     Adam with decoupled weight decay       as Adam
NAdam     Adam with Nesterov momentum            as Adam, mu_product
Newton    (H + damping I)^-1 g, needs hessian=   step
LBFGS     quasi-Newton, two-loop recursion and   n_iter, func_evals, d, t,
          line search; needs value_and_grad=     old_dirs, old_stps, ro, H_diag
========  =====================================  ==========================
"""

from .adagrad import Adagrad
from .adam import Adam, AdamW
from .base import Optimizer
from .lbfgs import LBFGS
from .nadam import NAdam
from .newton import Newton
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "LBFGS", "NAdam", "Newton", "Optimizer", "RMSprop"]
