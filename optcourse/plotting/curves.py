"""Loss curves and the learning-rate sweep.

Both use a logarithmic loss axis: gradient descent on a well-behaved problem shrinks the loss by a
roughly constant factor per step, which a log axis shows as a straight line.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from optcourse.plotting.style import CURVE_COLOR, MARKERS, OKABE_ITO, color, figure_of, new_axes

__all__ = ["plot_loss_curves", "plot_lr_sweep"]

#: Dash patterns paired with the palette, so that loss curves differ by more than colour.
_LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")


def plot_loss_curves(
    losses: Mapping[str, npt.ArrayLike],
    *,
    ax: Axes | None = None,
    log: bool = True,
    minimum: float = 0.0,
    title: str | None = None,
) -> Figure:
    """Plot loss against step for one or more runs, on a log scale by default.

    Parameters
    ----------
    losses : mapping of label -> array_like of shape (T,)
        Each run's loss per step (for example ``result.history.loss``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    log : bool
        Use a logarithmic loss axis (the default). Non-positive values cannot be shown on it.
    minimum : float
        Subtracted from every loss, so the curve shows the gap ``L(θ_t) − minimum``.
    title : str, optional
        Axes title.
    """
    if not losses:
        raise ValueError("losses must contain at least one run")
    ax = new_axes(ax)
    for i, (label, values) in enumerate(losses.items()):
        y = np.asarray(values, dtype=float) - minimum
        if y.ndim != 1:
            raise ValueError(f"losses[{label!r}] must be one-dimensional; got shape {y.shape}")
        ax.plot(
            np.arange(len(y)),
            y,
            color=color(i),
            linestyle=_LINESTYLES[i % len(_LINESTYLES)],
            label=label,
            linewidth=1.6,
        )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("loss gap $L(\\theta_t) - L^*$" if minimum else "loss $L(\\theta_t)$")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return figure_of(ax)


def plot_lr_sweep(
    lrs: npt.ArrayLike,
    final_losses: npt.ArrayLike,
    *,
    ax: Axes | None = None,
    cliff: float | None = None,
    cap: float = 1e6,
    floor: float = 1e-30,
    title: str | None = None,
) -> Figure:
    """Plot the final loss of a run against its learning rate η, marking the runs that blew up.

    Parameters
    ----------
    lrs : array_like, shape (k,)
        The learning rates tried (positive).
    final_losses : array_like, shape (k,)
        The loss each run ended with; ``inf`` or ``nan`` for runs that overflowed.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    cliff : float, optional
        Draw a dashed vertical line at this learning rate (for x², the stability edge η = 1).
    cap : float
        Losses above ``cap`` (and non-finite ones) are drawn as triangles at ``cap``, labelled
        "diverged", so that the axis is not stretched by numbers like 1e300.
    floor : float
        Losses below ``floor`` (exact zeros too) are drawn at ``floor``, the bottom of the axis.
    title : str, optional
        Axes title.
    """
    eta = np.asarray(lrs, dtype=float)
    loss = np.asarray(final_losses, dtype=float)
    if eta.ndim != 1 or eta.shape != loss.shape:
        raise ValueError(
            f"lrs and final_losses must be 1-D of equal length; got {eta.shape} and {loss.shape}"
        )
    if not 0 < floor < cap:
        raise ValueError(f"need 0 < floor < cap; got floor={floor}, cap={cap}")
    ax = new_axes(ax)
    blown = ~np.isfinite(loss) | (loss > cap)
    shown = np.where(blown, np.nan, np.maximum(loss, floor))
    at_floor = ~blown & (loss < floor)
    label = (
        f"final loss (values below {floor:g} drawn at {floor:g})"
        if at_floor.any()
        else "final loss"
    )
    ax.plot(eta, shown, marker=MARKERS[0], markersize=3, color=color(0), label=label)
    if blown.any():
        ax.plot(
            eta[blown],
            np.full(int(blown.sum()), cap),
            linestyle="none",
            marker="^",
            color=OKABE_ITO["vermillion"],
            label=f"diverged (loss > {cap:g} or overflow)",
        )
    if cliff is not None:
        ax.axvline(cliff, color=CURVE_COLOR, linestyle="--", linewidth=1.2, label=f"η = {cliff:g}")
    ax.set_yscale("log")
    ax.set_ylim(floor / 3, cap * 30)
    ax.set_xlabel("learning rate $\\eta$")
    ax.set_ylabel("final loss")
    if title:
        ax.set_title(title)
    # below the axes: a legend inside would sit on the curve, the cliff line or the diverged runs
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return figure_of(ax)
