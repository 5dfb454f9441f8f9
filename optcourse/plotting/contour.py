"""Contour plots of 2-D objectives with optimizer paths on top."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from optcourse.plotting.style import (
    MARKERS,
    OKABE_ITO,
    as_path,
    color,
    evaluate,
    figure_of,
    new_axes,
)

__all__ = ["plot_contour"]


def plot_contour(
    f: Callable[..., Any],
    paths: Mapping[str, npt.ArrayLike] | None = None,
    *,
    domain: Sequence[Sequence[float]] | None = None,
    ax: Axes | None = None,
    levels: int = 25,
    log_levels: bool = True,
    resolution: int = 200,
    minimizers: npt.ArrayLike | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the contour lines of a 2-D objective and the paths of one or more optimizers.

    Parameters
    ----------
    f : objective or callable
        The function, evaluated on a grid of points of shape ``(resolution, resolution, 2)``.
    paths : mapping of label -> array_like of shape (T, 2), optional
        Each optimizer's iterates (for example ``result.history.x``); drawn with a legend.
    domain : ((xmin, xmax), (ymin, ymax)), optional
        The plotting box; defaults to ``f.domain``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    levels : int
        Number of contour levels (at least 2).
    log_levels : bool
        Space the levels logarithmically above the grid minimum, which resolves narrow valleys.
    resolution : int
        Grid points per axis (at least 10).
    minimizers : array_like of shape (k, 2), optional
        Points to mark as minima; defaults to ``f.minimizers`` when the objective knows them.
    title : str, optional
        Axes title.
    """
    if levels < 2:
        raise ValueError(f"levels must be at least 2; got {levels}")
    if resolution < 10:
        raise ValueError(f"resolution must be at least 10; got {resolution}")
    box = domain if domain is not None else getattr(f, "domain", None)
    if box is None or len(box) != 2:
        raise ValueError("domain must be ((xmin, xmax), (ymin, ymax)); f has no 2-D domain")
    (x0, x1), (y0, y1) = box
    ax = new_axes(ax, figsize=(6.0, 5.0))
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    Z = evaluate(f, np.stack([X, Y], axis=-1))
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("f is not finite anywhere on the domain")
    lo, hi = float(finite.min()), float(finite.max())
    if log_levels and hi > lo:
        lv = lo + np.geomspace(1e-5 * (hi - lo), hi - lo, levels)
    else:
        lv = np.linspace(lo, hi, levels)
    ax.contour(X, Y, Z, levels=np.unique(lv), cmap="cividis", linewidths=0.8)
    for i, (label, xs) in enumerate((paths or {}).items()):
        p = as_path(xs, 2)
        c = color(i)
        ax.plot(
            p[:, 0],
            p[:, 1],
            "-",
            color=c,
            linewidth=1.4,
            marker=MARKERS[i % len(MARKERS)],
            markersize=3,
            markevery=max(1, len(p) // 40),  # long runs: about 40 markers, not one per step
            label=label,
        )
        ax.plot(p[:1, 0], p[:1, 1], marker="*", markersize=11, color=c, linestyle="none")
    mins = minimizers if minimizers is not None else getattr(f, "minimizers", None)
    if mins is not None:
        m = np.asarray(mins, dtype=float).reshape(-1, 2)
        ax.plot(
            m[:, 0],
            m[:, 1],
            "x",
            color=OKABE_ITO["black"],
            markersize=9,
            mew=2,
            linestyle="none",
            label="minimizer" if len(m) == 1 else "minimizers",
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$\\theta_1$")
    ax.set_ylabel("$\\theta_2$")
    if title:
        ax.set_title(title)
    if paths or mins is not None:
        ax.legend(fontsize="small", loc="best")
    return figure_of(ax)
