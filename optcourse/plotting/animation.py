"""An animation helper: the ball moving step by step.

In a notebook, show the result with ``IPython.display.HTML(anim.to_jshtml())``; this needs no
external program (saving an MP4 would need ffmpeg).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes

from optcourse.plotting.style import CURVE_COLOR, as_path, color, evaluate, figure_of, new_axes

__all__ = ["animate_ball"]


def animate_ball(
    f: Callable[..., Any],
    xs: npt.ArrayLike,
    *,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    interval: int = 400,
) -> FuncAnimation:
    """Animate the iterates ``xs`` as a ball stepping along the curve of a 1-D function.

    Frame ``t`` shows the ball at x_t and the trail of the steps taken so far.

    Parameters
    ----------
    f : objective or callable
        The 1-D function; called on points of shape ``(..., 1)``.
    xs : array_like, shape (T,) or (T, 1)
        The iterates.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    xlim : (float, float), optional
        The x-range; defaults to ``f.domain`` or the span of the iterates.
    interval : int
        Milliseconds between frames (positive).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        One frame per iterate; ``anim.to_jshtml()`` gives a self-contained HTML player.
    """
    if interval <= 0:
        raise ValueError(f"interval must be a positive number of milliseconds; got {interval}")
    path = as_path(xs, 1)[:, 0]
    ax = new_axes(ax)
    if xlim is None:
        domain = getattr(f, "domain", None)
        finite = path[np.isfinite(path)]
        span = float(np.max(np.abs(finite))) if finite.size else 1.0
        xlim = (float(domain[0][0]), float(domain[0][1])) if domain else (-1.1 * span, 1.1 * span)
    grid = np.linspace(xlim[0], xlim[1], 400)
    curve = evaluate(f, grid[:, None])
    ys = evaluate(f, path[:, None])
    ax.plot(grid, curve, color=CURVE_COLOR, linewidth=1.5)
    (trail,) = ax.plot([], [], "-o", color=color(0), markersize=3, alpha=0.6)
    (ball,) = ax.plot([], [], "o", color=color(1), markersize=12)
    text = ax.text(0.02, 0.95, "", transform=ax.transAxes, va="top")
    ax.set_xlim(*xlim)
    ax.set_xlabel("parameter $x$")
    ax.set_ylabel("loss $f(x)$")

    def update(t: int) -> tuple[Any, ...]:
        trail.set_data(path[: t + 1], ys[: t + 1])
        ball.set_data(path[t : t + 1], ys[t : t + 1])
        text.set_text(f"t = {t}, x = {path[t]:.4g}")
        return trail, ball, text

    return FuncAnimation(figure_of(ax), update, frames=len(path), interval=interval, blit=False)
