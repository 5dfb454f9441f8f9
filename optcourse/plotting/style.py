"""The course's figure style: one colour-blind-safe palette and a few shared helpers.

Every figure in the book uses the Okabe–Ito palette, eight colours chosen so that they stay
distinguishable for the common forms of colour blindness (Okabe and Ito, 2008). Lines also differ in
marker or dash where colour alone would carry meaning.

Importing :mod:`optcourse.plotting` inside a Jupyter kernel also switches the notebook's inline
figures to SVG (:func:`use_sharp_inline_figures`): vector figures stay sharp on high-density
screens, and with a fixed ``svg.hashsalt`` and no creation date in the file, the same figure gives
the same bytes in every build of the book.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "MARKERS",
    "color",
    "CURVE_COLOR",
    "subplots",
    "new_axes",
    "figure_of",
    "evaluate",
    "as_path",
    "SVG_RC",
    "SVG_METADATA",
    "use_sharp_inline_figures",
]

#: The eight Okabe–Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: The order in which series take colours (yellow last: it is faint on white).
PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: Markers paired with the palette, so series differ by shape as well as colour.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

#: Colour of the objective's own curve or contour lines.
CURVE_COLOR = "#555555"


def color(i: int) -> str:
    """Return the ``i``-th colour of the course palette (cycling after eight)."""
    return PALETTE[i % len(PALETTE)]


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` with the course's constrained layout: the figure of a hand-made plot.

    Constrained layout makes room for titles, labels and legends at every draw, so a chapter never
    calls ``tight_layout``. Keyword arguments (``figsize``, ``sharex``, ...) go to
    ``plt.subplots``; pass colours from :func:`color` and :data:`CURVE_COLOR`.
    """
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, **kwargs)
    return fig, axes


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    """Return ``ax`` unchanged, or a fresh Axes on a new figure of size ``figsize`` (inches)."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def figure_of(ax: Axes) -> Figure:
    """Return the top-level Figure that holds ``ax``."""
    fig: Any = ax.figure
    while fig is not None and not isinstance(fig, Figure):  # a SubFigure: climb to the root
        fig = getattr(fig, "figure", None)
    if fig is None:  # pragma: no cover - an Axes always lives on a figure
        raise ValueError("ax is not attached to a figure")
    return fig


def evaluate(f: Callable[..., Any], points: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Evaluate an objective (or any callable on points of shape ``(..., n)``) as a float array.

    Objectives of :mod:`optcourse.objectives` are called through their ``value`` method; a plain
    callable must accept the same ``(..., n)`` batch of points and return shape ``(...)``.
    """
    value = getattr(f, "value", f)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(value(np.asarray(points, dtype=float)), dtype=float)


def as_path(x: npt.ArrayLike, dim: int) -> npt.NDArray[np.float64]:
    """Return the iterates ``x`` as an array of shape ``(T, dim)``.

    A 1-D trajectory may be given as shape ``(T,)`` or ``(T, 1)``; a 2-D one as ``(T, 2)``
    (``result.history.x`` has this form).
    """
    path = np.asarray(x, dtype=float)
    if dim == 1 and path.ndim == 1:
        path = path[:, None]
    if path.ndim != 2 or path.shape[1] != dim:
        raise ValueError(
            f"path must have shape (T, {dim}) (or (T,) in 1-D); got shape {path.shape}"
        )
    if len(path) == 0:
        raise ValueError("path must contain at least one point")
    return path


#: rcParams that make a figure's SVG reproducible: element ids come from this salt, not at random.
SVG_RC: dict[str, str] = {"svg.hashsalt": "optcourse", "svg.fonttype": "path"}
#: SVG metadata for ``savefig``: no creation date, so two runs give byte-identical files.
SVG_METADATA: dict[str, str | None] = {"Date": None}


def use_sharp_inline_figures() -> bool:
    """Show a Jupyter kernel's inline figures as reproducible SVG; return whether it applied.

    Sets :data:`SVG_RC` in ``matplotlib.rcParams`` in any case. The inline format changes only
    inside an IPython kernel that uses matplotlib's inline backend (the book's build, JupyterLab,
    Colab); elsewhere (a script, a terminal IPython, another backend) nothing else changes.
    """
    import matplotlib as mpl

    rc: Any = mpl.rcParams  # typed with literal keys; SVG_RC holds valid ones
    rc.update(SVG_RC)
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or "inline" not in str(mpl.get_backend()).lower():
        return False
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - the inline backend ships matplotlib_inline
        return False
    set_matplotlib_formats("svg", metadata=SVG_METADATA)
    return True


use_sharp_inline_figures()
