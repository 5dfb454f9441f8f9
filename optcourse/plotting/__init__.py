"""Figures for the course, in one consistent colour-blind-safe style.

Every function draws into an optional ``ax`` (a new figure is made when it is omitted), returns the
:class:`~matplotlib.figure.Figure` (the animation helper returns the animation) and never calls
``plt.show()``: the notebook shows the figure. The functions are pure: they take the function and
the iterates they draw as arguments, so they work with any run of :func:`optcourse.minimize`.

- :func:`plot_ball_steps`: a 1-D curve with the ball's gradient-descent steps.
- :func:`plot_iterates`: x_t against the step t for one or more 1-D runs.
- :func:`plot_regimes`: the regime panel (one column per learning rate).
- :func:`plot_loss_curves`: loss against step on a log scale.
- :func:`plot_lr_sweep`: final loss against learning rate, with the divergence cliff.
- :func:`plot_contour`: contour lines of a 2-D objective with several optimizer paths.
- :func:`animate_ball`: the ball moving step by step.
- :func:`subplots`, :func:`color`, :data:`CURVE_COLOR`: for a figure drawn by hand in a chapter, the
  same constrained layout and colours.
"""

from optcourse.plotting.animation import animate_ball
from optcourse.plotting.contour import plot_contour
from optcourse.plotting.curves import plot_loss_curves, plot_lr_sweep
from optcourse.plotting.oned import plot_ball_steps, plot_iterates, plot_regimes
from optcourse.plotting.style import CURVE_COLOR, MARKERS, OKABE_ITO, PALETTE, color, subplots

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "MARKERS",
    "color",
    "CURVE_COLOR",
    "subplots",
    "plot_ball_steps",
    "plot_iterates",
    "plot_regimes",
    "plot_loss_curves",
    "plot_lr_sweep",
    "plot_contour",
    "animate_ball",
]
