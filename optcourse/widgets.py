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
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from optcourse.diagnostics import classify_iterates, classify_run
from optcourse.explorer import gd_trajectories
from optcourse.explorer_plane import DEFAULT_KAPPAS, DEFAULT_STARTS, quadratic_runs
from optcourse.objectives import Objective, Parabola
from optcourse.plotting import plot_ball_steps, plot_contour, plot_iterates, subplots
from optcourse.race import RACE_OPTIMIZERS, RACE_STEPS, race_runs, race_tracks, run_status

__all__ = [
    "WidgetsUnavailable",
    "lr_explorer",
    "draw_explorer_frame",
    "quadratic_explorer",
    "draw_quadratic_frame",
    "optimizer_race",
    "draw_race_frame",
]


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


def _live_view(
    widgets: Any, display: Any, controls: list[Any], draw: Callable[..., tuple[Any, str]]
) -> Any:
    """Controls above a verdict and a figure; ``draw(*values)`` reruns whenever a control moves.

    ``draw`` receives the controls' values in order and returns ``(figure, verdict text)``.
    """
    verdict, out = widgets.Label(), widgets.Output()

    def redraw(_: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig, text = draw(*(control.value for control in controls))
            verdict.value = text
            display(fig)
            plt.close(fig)

    for control in controls:
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(controls), verdict, out])


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
    return _live_view(
        widgets,
        display,
        [eta_slider, x0_slider],
        lambda eta, x0: draw_explorer_frame(f, eta, x0, steps),
    )


def draw_quadratic_frame(
    kappa: float,
    fraction: float,
    start: tuple[float, float] = DEFAULT_STARTS[0],
    steps: int = 30,
    angle: float = 0.0,
) -> tuple[Any, str]:
    """Draw gradient descent on ½θᵀHθ, H = diag(1, κ) turned by ``angle``, with η = fraction·2/λmax.

    Returns the matplotlib Figure (the path on the contour lines) and a one-line description
    ending in :func:`~optcourse.diagnostics.classify_run`'s name for the run: the same computation
    as the static explorer (:func:`optcourse.explorer_plane.quadratic_runs`).
    """
    if not fraction >= 0:
        raise ValueError(f"fraction must be non-negative; got {fraction}")
    q, frames = quadratic_runs(kappa, [fraction], [start], steps, angle=angle)
    run = frames[0][0]
    fig = plot_contour(
        q,
        {f"η = {fraction:g} × 2/λmax": run.path},
        domain=((-5.0, 5.0), (-2.6, 2.6)),
        levels=12,
        title=f"κ = {kappa:g}, θ₀ = ({start[0]:g}, {start[1]:g})",
    )
    return fig, f"after {steps} steps the loss is {run.loss:.4g}: {run.regime}"


def quadratic_explorer(
    *,
    kappa: float = 10.0,
    fraction: float = 0.5,
    start: tuple[float, float] = DEFAULT_STARTS[0],
    steps: int = 30,
    angle: float = 0.0,
) -> Any:
    """Return an ipywidgets control to explore gradient descent on a 2-D quadratic (chapter 4).

    Sliders choose η as a fraction of 2/λmax (0 to 1.2), κ (from ``DEFAULT_KAPPAS`` and ``kappa``)
    and the start; every change reruns gradient descent in the kernel and redraws the path on the
    contour lines with the regime under it. Without ipywidgets a :class:`WidgetsUnavailable`
    message is returned (``optcourse.explorer_plane.quadratic_explorer_html()`` is the static
    version, which needs no kernel).
    """
    if not (kappa >= 1.0 and 0.0 <= fraction <= 1.2):
        raise ValueError(f"need kappa >= 1 and 0 <= fraction <= 1.2; got {kappa}, {fraction}")
    try:
        widgets = importlib.import_module("ipywidgets")
        display = importlib.import_module("IPython.display").display
    except ImportError as err:
        return WidgetsUnavailable(str(err))
    starts = list(dict.fromkeys([tuple(start), *DEFAULT_STARTS]))
    eta = widgets.FloatSlider(value=fraction, min=0.0, max=1.2, step=0.01, description="η·λmax/2")
    kap = widgets.SelectionSlider(
        options=sorted({*DEFAULT_KAPPAS, float(kappa)}), value=float(kappa), description="κ"
    )
    where = widgets.Dropdown(
        options=[(f"({a:g}, {b:g})", (a, b)) for a, b in starts], value=starts[0], description="θ₀"
    )
    return _live_view(
        widgets,
        display,
        [eta, kap, where],
        lambda frac, k, start: draw_quadratic_frame(k, frac, start, steps, angle),
    )


def draw_race_frame(
    objective: str = "Rosenbrock", optimizer: str = "Adam", lr: float = 0.1, steps: int = RACE_STEPS
) -> tuple[Any, str]:
    """Draw one run of the optimizer race: the path on the contour lines and the loss curve.

    The run is :func:`optcourse.race.race_runs` with the one learning rate ``lr`` (any positive
    number), the computation of the static race. Returns the Figure and a one-line description
    ending in the run's status (:func:`optcourse.race.run_status`) and
    :func:`~optcourse.diagnostics.classify_run`'s name for it.
    """
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number; got {lr}")
    runs = race_runs(objective, optimizer, [lr], steps)
    track = race_tracks()[objective]
    loss, path = runs.loss[0, 0], runs.path[0, 0]
    fig, (ax_path, ax_loss) = subplots(1, 2, figsize=(10, 4))
    plot_contour(
        track.objective, {f"{optimizer}, lr = {lr:g}": path}, domain=track.box, ax=ax_path,
        levels=15, minimizers=track.objective.minimizers, title=objective,
    )  # fmt: skip
    ax_loss.semilogy(np.arange(len(loss)), np.where(np.isfinite(loss), loss, np.nan))
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss")
    status = run_status(loss, path, float(track.objective.minimum or 0.0))
    regime = classify_run(loss, path=path)
    return fig, f"after {steps} steps the loss is {loss[-1]:.4g}: {status}, {regime}"


def optimizer_race(
    *, objective: str = "Rosenbrock", optimizer: str = "Adam", lr: float = 0.1
) -> Any:
    """Return an ipywidgets control for the optimizer race of chapter 8, run live in the kernel.

    Two menus choose the objective and the optimizer, and any learning rate can be typed; every
    change reruns the optimizer and redraws the path and the loss curve, with the run's status
    under them. Without ipywidgets a :class:`WidgetsUnavailable` message is returned
    (``optcourse.race.race_html()`` is the static version, on a grid of rates).
    """
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number; got {lr}")
    race_runs(objective, optimizer, [lr], 1)  # an unknown objective or optimizer fails here
    try:
        widgets = importlib.import_module("ipywidgets")
        display = importlib.import_module("IPython.display").display
    except ImportError as err:
        return WidgetsUnavailable(str(err))
    track = widgets.Dropdown(options=list(race_tracks()), value=objective, description="objective")
    opt = widgets.Dropdown(options=list(RACE_OPTIMIZERS), value=optimizer, description="optimizer")
    rate = widgets.BoundedFloatText(value=lr, min=1e-8, max=100.0, description="lr")
    return _live_view(widgets, display, [track, opt, rate], draw_race_frame)
