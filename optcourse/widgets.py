"""The live learning-rate explorer for notebooks, built with ipywidgets.

``lr_explorer()`` shows two sliders, the learning rate η and the starting point x₀, and redraws the
ball's gradient-descent steps and the iterates x_t whenever a slider moves; each redraw reruns
gradient descent in the kernel. ipywidgets is optional (``pip install "optcourse[widgets]"``):
without it ``lr_explorer()`` returns a short message saying so, and
``IPython.display.HTML(optcourse.explorer.explorer_html())`` gives the static explorer instead,
which needs no kernel at all.
"""

from __future__ import annotations

import importlib
from typing import Any

import matplotlib.pyplot as plt

from optcourse.diagnostics import classify_iterates
from optcourse.explorer import gd_trajectories
from optcourse.objectives import Objective, Parabola
from optcourse.plotting import plot_ball_steps, plot_iterates

__all__ = ["WidgetsUnavailable", "lr_explorer", "draw_explorer_frame"]


class WidgetsUnavailable:
    """What :func:`lr_explorer` returns when ipywidgets cannot be imported: a readable message."""

    def __init__(self, reason: str) -> None:
        self.message = (
            "The live explorer needs ipywidgets, which is not installed here "
            f"({reason}). Install it with  pip install 'optcourse[widgets]'  and restart the "
            "kernel, or use the static explorer: "
            "IPython.display.HTML(optcourse.explorer.explorer_html())."
        )

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        return f'<p class="optcourse-widgets-missing"><strong>Note:</strong> {self.message}</p>'


def draw_explorer_frame(
    objective: Objective, eta: float, x0: float, steps: int = 20
) -> tuple[Any, str]:
    """Draw one frame of the explorer: gradient descent from ``x0`` with learning rate ``eta``.

    Returns the matplotlib Figure (two panels: the ball's steps on the curve, and x_t against t)
    and a one-line description of the run's behaviour.
    """
    if eta < 0:
        raise ValueError(f"eta must be non-negative; got {eta}")
    xs = gd_trajectories(objective, [eta], [x0], steps)[0, 0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    plot_ball_steps(objective, xs, ax=left, title=f"η = {eta:g}, x₀ = {x0:g}")
    lo, hi = objective.domain[0]
    reach = float(max(abs(lo), abs(hi)))
    plot_iterates({f"η = {eta:g}": xs}, ax=right, ylim=(-reach, reach), color_index=1)
    minimizers = getattr(objective, "minimizers", None)
    if minimizers is None:
        return fig, f"after {steps} steps x = {xs[-1]:.4g}"
    verdict = classify_iterates(xs, float(minimizers[0, 0]))
    return fig, f"after {steps} steps x = {xs[-1]:.4g}: {verdict}"


def lr_explorer(
    objective: Objective | None = None,
    *,
    eta: float = 0.1,
    x0: float = 5.0,
    steps: int = 20,
    eta_max: float = 1.2,
) -> Any:
    """Return an ipywidgets control to explore gradient descent on a 1-D objective.

    Parameters
    ----------
    objective : Objective, optional
        A 1-D objective; defaults to ``Parabola()``, f(x) = x².
    eta, x0 : float
        Initial slider values.
    steps : int
        Gradient-descent steps per run.
    eta_max : float
        Right end of the learning-rate slider (positive).

    Returns
    -------
    ipywidgets.VBox or WidgetsUnavailable
        The control (display it as the last expression of a cell), or a message object when
        ipywidgets is not installed.
    """
    if eta_max <= 0:
        raise ValueError(f"eta_max must be positive; got {eta_max}")
    f = objective if objective is not None else Parabola()
    if getattr(f, "dim", None) != 1:
        raise ValueError("objective must be one-dimensional (dim == 1)")
    try:
        widgets = importlib.import_module("ipywidgets")
        display = importlib.import_module("IPython.display").display
    except ImportError as err:
        return WidgetsUnavailable(str(err))
    lo, hi = f.domain[0]
    eta_slider = widgets.FloatSlider(
        value=eta, min=0.0, max=eta_max, step=0.01, description="η", continuous_update=True
    )
    x0_slider = widgets.FloatSlider(
        value=x0, min=float(lo), max=float(hi), step=0.1, description="x₀"
    )
    verdict = widgets.Label()
    out = widgets.Output()

    def redraw(_: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig, text = draw_explorer_frame(f, eta_slider.value, x0_slider.value, steps)
            verdict.value = text
            display(fig)
            plt.close(fig)

    eta_slider.observe(redraw, names="value")
    x0_slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([eta_slider, x0_slider]), verdict, out])
