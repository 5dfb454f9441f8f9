"""One-dimensional pictures: the ball's steps on a curve, iterates against time, the regime panel.

These are the figures of chapter 2. Each takes the objective (or any callable on points of shape
``(..., 1)``) and the iterates it should draw, so it can be reused with any run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from optcourse.plotting.style import (
    CURVE_COLOR,
    OKABE_ITO,
    as_path,
    color,
    evaluate,
    figure_of,
    new_axes,
)

__all__ = ["plot_ball_steps", "plot_iterates", "plot_regimes"]


def _default_xlim(f: Callable[..., Any], xs: npt.NDArray[np.float64]) -> tuple[float, float]:
    domain = getattr(f, "domain", None)
    if domain is not None:
        lo, hi = domain[0]
        return float(lo), float(hi)
    finite = xs[np.isfinite(xs)]
    span = float(np.max(np.abs(finite))) if finite.size else 1.0
    return -1.1 * span, 1.1 * span


def plot_ball_steps(
    f: Callable[..., Any],
    xs: npt.ArrayLike,
    *,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    label: str | None = None,
    color_index: int = 0,
    title: str | None = None,
) -> Figure:
    """Draw the curve y = f(x) and the ball's gradient-descent steps on it.

    Parameters
    ----------
    f : objective or callable
        The 1-D function; called on points of shape ``(..., 1)``.
    xs : array_like, shape (T,) or (T, 1)
        The iterates x_0, x_1, ... (for example ``result.history.x``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    xlim : (float, float), optional
        The x-range of the curve; defaults to ``f.domain`` or the span of the iterates.
    label : str, optional
        Legend label of the path.
    color_index : int
        Which palette colour the path takes.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes. Iterates outside ``xlim`` are clipped from view.
    """
    path = as_path(xs, 1)[:, 0]
    ax = new_axes(ax)
    lo, hi = xlim if xlim is not None else _default_xlim(f, path)
    if not lo < hi:
        raise ValueError(f"xlim must be increasing; got {(lo, hi)}")
    grid = np.linspace(lo, hi, 400)
    curve = evaluate(f, grid[:, None])
    ax.plot(grid, curve, color=CURVE_COLOR, linewidth=1.5, label="f(x)")
    ys = evaluate(f, path[:, None])
    c = color(color_index)
    ax.plot(path, ys, "-", color=c, linewidth=1.0, alpha=0.7)
    ax.plot(path, ys, "o", color=c, markersize=5, label=label or "iterates $x_t$")
    if len(path) > 0 and np.isfinite(path[0]):
        ax.plot(path[:1], ys[:1], "*", color=OKABE_ITO["black"], markersize=12, label="start $x_0$")
    ymax = float(np.nanmax(curve[np.isfinite(curve)])) if np.isfinite(curve).any() else 1.0
    ymin = float(np.nanmin(curve[np.isfinite(curve)])) if np.isfinite(curve).any() else 0.0
    pad = 0.05 * (ymax - ymin if ymax > ymin else 1.0)
    ax.set_xlim(lo, hi)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_xlabel("parameter $x$")
    ax.set_ylabel("loss $f(x)$")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper center", fontsize="small")
    return figure_of(ax)


def plot_iterates(
    runs: Mapping[str, npt.ArrayLike],
    *,
    ax: Axes | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    color_index: int = 0,
    legend: bool = True,
) -> Figure:
    """Plot each run's iterate x_t against the step number t (one line per run, with a legend).

    Parameters
    ----------
    runs : mapping of label -> array_like of shape (T,) or (T, 1)
        The 1-D iterates of each run.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    ylim : (float, float), optional
        Vertical range; iterates outside it are clipped from view (useful for diverging runs).
    title : str, optional
        Axes title.
    color_index : int
        Palette colour of the first run (the next runs take the following colours).
    legend : bool
        Whether to draw a legend.
    """
    if not runs:
        raise ValueError("runs must contain at least one trajectory")
    ax = new_axes(ax)
    for i, (label, xs) in enumerate(runs.items()):
        path = as_path(xs, 1)[:, 0]
        ax.plot(
            np.arange(len(path)),
            path,
            marker="o",
            markersize=3,
            color=color(color_index + i),
            label=label,
        )
    ax.axhline(0.0, color=CURVE_COLOR, linewidth=0.8, linestyle=":")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("iterate $x_t$")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize="small")
    return figure_of(ax)


def plot_regimes(
    f: Callable[..., Any],
    runs: Mapping[str, npt.ArrayLike],
    *,
    xlim: tuple[float, float] | None = None,
    ylim_iterates: tuple[float, float] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """The regime panel: one column per run, the ball's steps on top and x_t against t below.

    Chapter 2 passes its four regimes of gradient descent on x² (slow, converging, oscillating,
    diverging), keyed by a label such as ``"η = 0.01: slow"``.

    Parameters
    ----------
    f : objective or callable
        The 1-D function of the runs.
    runs : mapping of label -> array_like of shape (T,) or (T, 1)
        The iterates of each run, in the order the columns should appear.
    xlim : (float, float), optional
        The x-range of the curve panels (defaults to ``f.domain``).
    ylim_iterates : (float, float), optional
        Vertical range of the lower panels (diverging runs are clipped from view).
    fig : Figure, optional
        An empty figure to draw into; a new one is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with ``2 * len(runs)`` axes.
    """
    if not runs:
        raise ValueError("runs must contain at least one trajectory")
    n = len(runs)
    if fig is None:
        # about 2.2 inches per column: at the width of a book page the labels stay readable
        fig = plt.figure(figsize=(2.2 * n, 4.6), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False)
    for i, (label, xs) in enumerate(runs.items()):
        plot_ball_steps(f, xs, ax=axes[0, i], xlim=xlim, color_index=i, title=label)
        plot_iterates({label: xs}, ax=axes[1, i], ylim=ylim_iterates, color_index=i, legend=False)
        if i > 0:
            axes[0, i].set_ylabel("")
            axes[1, i].set_ylabel("")
            first = axes[0, i].get_legend()
            if first is not None:
                first.remove()
    return fig
