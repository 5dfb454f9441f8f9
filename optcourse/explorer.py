"""The static learning-rate explorer: drag η and the start x₀ in a web page with no Python behind.

The online book has no kernel, so the explorer precomputes gradient-descent trajectories for a grid
of learning rates and starting points, embeds them as JSON in a small HTML + SVG widget, and lets a
few lines of inline JavaScript pick the trajectory that matches the sliders. Nothing is loaded from
a CDN. In a notebook, show it with ``IPython.display.HTML(explorer_html())``; in a live notebook the
ipywidgets version in :mod:`optcourse.widgets` recomputes the run for any value instead.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse.diagnostics import REGIMES, classify_iterates
from optcourse.objectives import Objective, Parabola
from optcourse.sweep import sweep

__all__ = ["DEFAULT_ETAS", "DEFAULT_X0S", "gd_trajectories", "explorer_html"]

#: The learning rates of the default grid: 0.01, then 0.02 to 1.2 in steps of 0.02.
DEFAULT_ETAS: tuple[float, ...] = (0.01,) + tuple(round(0.02 * k, 2) for k in range(1, 61))
#: The starting points of the default grid: the integers from -5 to 5.
DEFAULT_X0S: tuple[float, ...] = tuple(float(k) for k in range(-5, 6))

_WIDTH, _HEIGHT, _PAD = 340, 260, 40
#: Numbers the explorers made in this process: two explorers of the same grid on one page must not
#: share an element id (a hash alone would collide). A counter keeps a rebuilt page identical.
_SERIAL = itertools.count()
#: The regime names shown under the picture: the vocabulary of :mod:`optcourse.diagnostics`.
_REGIMES = tuple(REGIMES)


def gd_trajectories(
    objective: Objective, etas: npt.ArrayLike, x0s: npt.ArrayLike, steps: int
) -> npt.NDArray[np.float64]:
    """Run plain gradient descent for every pair (η, x₀) of a grid at once (see :func:`sweep`).

    Parameters
    ----------
    objective : Objective
        A 1-D objective (``dim == 1``).
    etas : array_like, shape (E,)
        Learning rates (non-negative).
    x0s : array_like, shape (S,)
        Starting points.
    steps : int
        Number of steps (at least 1).

    Returns
    -------
    ndarray, shape (E, S, steps + 1)
        ``out[i, j, t]`` is x_t for learning rate ``etas[i]`` started at ``x0s[j]``. Runs that
        overflow hold ``inf`` or ``nan`` from then on (no warning is raised).
    """
    if getattr(objective, "dim", None) != 1:
        raise ValueError("objective must be one-dimensional (dim == 1)")
    return sweep(objective, etas, x0s, steps).path[..., 0]


def __getattr__(name: str) -> Any:
    """The old name ``explorer.classify_run``: :func:`~optcourse.diagnostics.classify_iterates`."""
    if name == "classify_run":
        warnings.warn(
            "optcourse.explorer.classify_run is deprecated: use "
            "optcourse.diagnostics.classify_iterates (same labels, optcourse.diagnostics.REGIMES)",
            DeprecationWarning,
            stacklevel=2,
        )
        return classify_iterates
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _round(a: npt.NDArray[np.float64], digits: int = 5) -> list[Any]:
    """Nested lists of floats with ``digits`` significant digits; non-finite values become None."""
    flat = [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in a.reshape(-1)]
    arr = np.array(flat, dtype=object).reshape(a.shape)
    return list(arr.tolist())


def _fixed(a: npt.ArrayLike, decimals: int) -> list[Any]:
    """Nested lists of floats rounded to ``decimals`` places; non-finite values become None."""
    arr = np.asarray(a, dtype=float)
    flat = [round(float(v), decimals) + 0.0 if np.isfinite(v) else None for v in arr.reshape(-1)]
    return list(np.array(flat, dtype=object).reshape(arr.shape).tolist())


def _embed(data: Any) -> str:
    """``data`` as compact JSON that is safe inside an HTML ``<script>`` element."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def _element_id(prefix: str, payload: str, *extra: object) -> str:
    """A page-unique element id: a hash of the data, the initial state and a per-process serial.

    Two explorers of the same data on one page get different ids, and a rebuilt page the same.
    """
    key = "|".join([payload, *(str(e) for e in extra), str(next(_SERIAL))])
    return prefix + hashlib.sha1(key.encode()).hexdigest()[:10]


def explorer_html(
    objective: Objective | None = None,
    *,
    etas: Sequence[float] = DEFAULT_ETAS,
    x0s: Sequence[float] = DEFAULT_X0S,
    steps: int = 20,
    eta: float = 0.1,
    x0: float = 5.0,
    xlim: tuple[float, float] | None = None,
) -> str:
    """Return a self-contained HTML explorer of gradient descent on a 1-D objective.

    Parameters
    ----------
    objective : Objective, optional
        A 1-D objective; defaults to ``Parabola()``, f(x) = x².
    etas, x0s : sequence of float
        The grid of learning rates and starting points the sliders step through.
    steps : int
        Gradient-descent steps per trajectory.
    eta, x0 : float
        Initial slider positions (the nearest grid values are used).
    xlim : (float, float), optional
        The x-range drawn; defaults to ``objective.domain``.

    Returns
    -------
    str
        HTML with an SVG picture, two range sliders and a short inline script; the trajectories
        are embedded as JSON, so the page needs no kernel and no network.
    """
    f = objective if objective is not None else Parabola()
    traj = gd_trajectories(f, etas, x0s, steps)
    lo, hi = xlim if xlim is not None else f.domain[0]
    if not lo < hi:
        raise ValueError(f"xlim must be increasing; got {(lo, hi)}")
    grid = np.linspace(lo, hi, 241)
    curve = np.asarray(f.value(grid[:, None]), dtype=float)
    minimizer = float(f.minimizers[0, 0]) if f.minimizers is not None else None
    with np.errstate(over="ignore", invalid="ignore"):
        final_loss = np.asarray(f.value(traj[:, :, -1:]), dtype=float)
    regimes = (
        [[_REGIMES.index(classify_iterates(run, minimizer)) for run in row] for row in traj]
        if minimizer is not None
        else None
    )
    finite = traj[np.isfinite(traj)]
    reach = max(abs(lo), abs(hi))
    data = {
        "etas": [float(e) for e in np.asarray(etas, dtype=float)],
        "x0s": [float(s) for s in np.asarray(x0s, dtype=float)],
        "paths": _round(traj),
        "loss": _round(final_loss),
        "regime": regimes,
        "regimes": list(_REGIMES),
        "curve": _round(np.stack([grid, curve], axis=-1)),
        "xlim": [float(lo), float(hi)],
        "ylim": [float(np.min(curve)), float(np.max(curve))],
        "ilim": [-reach, reach] if finite.size else [-1.0, 1.0],
        "size": [_WIDTH, _HEIGHT, _PAD],
    }
    payload = _embed(data)
    i_eta = int(np.argmin(np.abs(np.asarray(etas, dtype=float) - eta)))
    i_x0 = int(np.argmin(np.abs(np.asarray(x0s, dtype=float) - x0)))
    uid = _element_id("oc-explorer-", payload, i_eta, i_x0)
    return _TEMPLATE.format(
        uid=uid,
        payload=payload,
        n_eta=len(etas) - 1,
        n_x0=len(x0s) - 1,
        i_eta=i_eta,
        i_x0=i_x0,
        eta_text=_js_number(float(etas[i_eta])),
        x0_text=_js_number(float(x0s[i_x0])),
        w=_WIDTH,
        h=_HEIGHT,
        script=_script().replace("__UID__", uid),
    )


def _js_number(value: float) -> str:
    """Format a number as JavaScript's ``String(value)`` does for the grid values (5.0 -> "5")."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _script() -> str:
    """The explorer's JavaScript, shipped beside this module as ``explorer.js``."""
    return Path(__file__).with_name("explorer.js").read_text(encoding="utf-8")


_TEMPLATE = (
    """<div class="optcourse-explorer" id="{uid}" style="font-family:sans-serif;max-width:720px">
<div style="display:flex;flex-wrap:wrap;gap:1.5em;align-items:center;margin-bottom:0.4em">
<label>learning rate η = <output class="oc-eta-value"></output><br>
<input type="range" class="oc-eta" min="0" max="{n_eta}" step="1" value="{i_eta}"
 aria-label="learning rate" aria-valuetext="η = {eta_text}" style="width:260px"></label>
<label>start x₀ = <output class="oc-x0-value"></output><br>
<input type="range" class="oc-x0" min="0" max="{n_x0}" step="1" value="{i_x0}"
 aria-label="starting point" aria-valuetext="x₀ = {x0_text}" style="width:200px"></label>
</div>
<svg class="oc-svg" width="{w2}" height="{h}" viewBox="0 0 {w2} {h}" role="img"
 aria-label="gradient descent path" style="background:#fff;max-width:100%;height:auto">
<defs><clipPath id="{uid}-clipL"><rect x="40" y="10" width="{wl}" height="{hl}"/></clipPath>
<clipPath id="{uid}-clipR"><rect x="{xr}" y="10" width="{wl}" height="{hl}"/></clipPath></defs>
<g class="oc-axes" stroke="#555" fill="none"></g>
<g clip-path="url(#{uid}-clipL)"><polyline class="oc-curve" fill="none" stroke="#555"
 stroke-width="1.5"/><polyline class="oc-steps" fill="none" stroke="#0072B2" stroke-width="1.2"/>
<g class="oc-balls"></g></g>
<g clip-path="url(#{uid}-clipR)"><line class="oc-zero" stroke="#999" stroke-dasharray="3,3"/>
<polyline class="oc-iterates" fill="none" stroke="#D55E00" stroke-width="1.5"/></g>
<g class="oc-labels" font-size="12" fill="#222"></g>
</svg>
<p class="oc-readout" style="margin:0.3em 0" aria-live="polite"></p>
<script type="application/json" class="oc-data">{payload}</script>
<script>{script}</script>
</div>
""".replace("{w2}", str(2 * _WIDTH))
    .replace("{wl}", str(_WIDTH - _PAD - 10))
    .replace("{hl}", str(_HEIGHT - _PAD - 10))
    .replace("{xr}", str(_WIDTH + _PAD))
)
