"""The static explorer in the plane: sliders over a grid of choices, a path drawn on contour lines.

Chapter 2's explorer (:func:`optcourse.explorer.explorer_html`) draws 1-D runs; this one draws 2-D
runs on the contour lines of their objective. The mechanism is the same and fully data-driven:

1. Python fixes a few **choices** (:class:`Choice`: a name and a short list of values, e.g. the
   learning rate, the condition number κ, the start) and computes one :class:`Frame` for every
   combination of their values: the path, the final loss, the regime named by
   :func:`optcourse.diagnostics.classify_run` and the index of the **scene** (the contour lines)
   it is drawn on.
2. :func:`plane_explorer_html` embeds choices, frames and scenes as JSON in an HTML + SVG snippet
   with one labelled range slider per choice.
3. The inline script (``explorer_plane.js``) only reads the sliders, picks the frame
   ``frames[i₁·n₂·n₃… + …]`` (row-major over the choices) and draws it. It knows nothing about
   learning rates or quadratics: a later chapter adds a choice (momentum β, the optimizer) by adding
   a :class:`Choice` and computing its frames, without new JavaScript.

:func:`quadratic_explorer_html` is chapter 4's instance: gradient descent on ½θᵀHθ with
H = diag(1, κ) (optionally turned by an angle), η given as a fraction of the stability limit
2/λmax. The live ipywidgets version is :func:`optcourse.widgets.quadratic_explorer`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse._validation import check_int
from optcourse.diagnostics import RUN_CLASSES, classify_run, max_stable_lr
from optcourse.explorer import _element_id, _embed, _fixed, _round
from optcourse.objectives import Quadratic
from optcourse.optimizers import SGD
from optcourse.optimizers.base import Optimizer
from optcourse.sweep import sweep

__all__ = [
    "Choice",
    "Frame",
    "DEFAULT_FRACTIONS",
    "DEFAULT_KAPPAS",
    "DEFAULT_STARTS",
    "plane_explorer_html",
    "quadratic_runs",
    "quadratic_explorer_html",
    "read_explorer_data",
]

#: η as a fraction of the stability limit 2/λmax: slow, fast, at and just past the limit.
DEFAULT_FRACTIONS: tuple[float, ...] = (
    0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.02, 1.1,
)  # fmt: skip
#: The condition numbers κ = λmax/λmin of the default grid.
DEFAULT_KAPPAS: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0)
#: The starting points of the default grid (none on an axis, so both directions are excited).
DEFAULT_STARTS: tuple[tuple[float, float], ...] = ((-4.5, 1.5), (4.0, -2.0), (-1.5, 2.0))
_WIDTH, _HEIGHT, _PAD = 520, 280, 36
_LOSS_HEIGHT = 150


@dataclass(frozen=True)
class Choice:
    """One slider of the explorer: a name, its values and how each value is shown.

    Attributes
    ----------
    key : str
        A short identifier (used in the slider's class, ``oc-choice-<key>``, and in tests).
    label : str
        What the slider is called on the page and for screen readers (e.g. "learning rate").
    texts : tuple of str
        The values as shown beside the slider and announced by screen readers, in slider order.
    initial : int
        Index of the value the slider starts at.
    """

    key: str
    label: str
    texts: tuple[str, ...]
    initial: int = 0

    def __post_init__(self) -> None:
        if not self.key.isidentifier():
            raise ValueError(f"a choice key must be an identifier; got {self.key!r}")
        if not self.texts:
            raise ValueError(f"choice {self.key!r} needs at least one value")
        if not 0 <= self.initial < len(self.texts):
            raise ValueError(f"choice {self.key!r}: initial index {self.initial} out of range")


@dataclass(frozen=True)
class Frame:
    """One precomputed run: its path ``(T + 1, 2)``, final loss, regime and scene index.

    Optional, for richer explorers (the optimizer race of chapter 8): ``curve``, the loss curve
    ``L_0 … L_T`` (drawn on a log scale under the picture); ``texts``, choice key -> the text shown
    for that slider in this frame (e.g. the actual learning rate when the rates differ per
    optimizer); ``note``, a sentence appended to the readout (e.g. the status of the run).
    """

    path: npt.NDArray[np.float64]
    loss: float
    regime: str
    scene: int
    curve: npt.NDArray[np.float64] | None = None
    texts: Mapping[str, str] | None = None
    note: str = ""


def _contours(f: Callable[..., Any], box: Sequence[Sequence[float]], levels: int) -> list[Any]:
    """Contour polylines of ``f`` over ``box`` at log-spaced levels, rounded to 2 decimals."""
    import contourpy

    (x0, x1), (y0, y1) = box
    X, Y = np.meshgrid(np.linspace(x0, x1, 61), np.linspace(y0, y1, 41))
    Z = np.asarray(f(np.stack([X, Y], axis=-1)), dtype=float)
    lo, hi = float(np.min(Z)), float(np.max(Z))
    values = lo + np.geomspace(1e-3, 0.6, levels) * (hi - lo)
    gen = contourpy.contour_generator(X, Y, Z, line_type="Separate")
    lines = [line for v in values for line in gen.lines(float(v))]
    return [_fixed(np.asarray(line)[::2], 2) for line in lines if len(line) > 2]


def plane_explorer_html(
    choices: Sequence[Choice],
    frames: Sequence[Frame],
    scenes: Sequence[Callable[..., Any]],
    box: Sequence[Sequence[float]],
    *,
    levels: int = 7,
    minimizer: Sequence[float] | None = (0.0, 0.0),
    title: str = "gradient descent path on the contour lines",
    scene_boxes: Sequence[Sequence[Sequence[float]]] | None = None,
    scene_marks: Sequence[npt.ArrayLike] | None = None,
    stride: int = 1,
    digits: int | None = None,
) -> str:
    """Return a self-contained HTML explorer of 2-D runs drawn on contour lines.

    Parameters
    ----------
    choices : sequence of Choice
        The sliders, in order; ``frames`` holds one frame per combination, row-major.
    frames : sequence of Frame
        ``prod(len(c.texts))`` runs; frame ``k`` belongs to the slider indices whose row-major
        number is ``k``. ``frame.regime`` must be one of :data:`~optcourse.diagnostics.RUN_CLASSES`.
        If the frames carry loss curves (all or none), a log-scale loss panel is drawn too.
    scenes : sequence of callables
        The objectives whose contour lines are drawn; ``frame.scene`` indexes them.
    box : ((xmin, xmax), (ymin, ymax))
        The part of the plane drawn (for every scene without ``scene_boxes``).
    levels : int
        Contour lines per scene.
    minimizer : (float, float) or None
        A point marked with a cross (for every scene without ``scene_marks``).
    title : str
        The accessible name of the picture.
    scene_boxes : sequence of boxes, optional
        One box per scene, when the scenes are different objectives.
    scene_marks : sequence of arrays ``(k, 2)``, optional
        The points marked with a cross, per scene (e.g. the minimizers of each objective).
    stride : int
        Keep every ``stride``-th point of each path and loss curve (and the last): a lighter page.
    digits : int, optional
        Significant digits of the stored paths; default: 2 decimals.

    Returns
    -------
    str
        HTML with an SVG picture, one range slider per choice and a short inline script; all data
        are embedded, so the page needs no kernel and no network.
    """
    _check_plane(choices, frames, scenes, box, scene_boxes, scene_marks)
    boxes = [box] * len(scenes) if scene_boxes is None else list(scene_boxes)
    if scene_marks is None:
        marks = [[] if minimizer is None else [list(minimizer)]] * len(scenes)
    else:
        marks = [np.asarray(m, dtype=float).reshape(-1, 2).tolist() for m in scene_marks]
    stride = check_int("stride", stride, minimum=1)
    (x0, x1), (y0, y1) = box
    data: dict[str, Any] = {
        "choices": [{"key": c.key, "label": c.label, "texts": list(c.texts)} for c in choices],
        "regimes": list(RUN_CLASSES),
        "frames": [_frame_data(f, stride, digits) for f in frames],
        "scenes": [_contours(s, b, levels) for s, b in zip(scenes, boxes, strict=True)],
        "box": [[float(x0), float(x1)], [float(y0), float(y1)]],
        "min": None if minimizer is None else [float(v) for v in minimizer],
        "size": [_WIDTH, _HEIGHT, _PAD],
    }
    if scene_boxes is not None or scene_marks is not None:
        data["boxes"] = [[[float(v) for v in b[0]], [float(v) for v in b[1]]] for b in boxes]
        data["marks"] = marks
    if frames[0].curve is not None:
        data["curves"] = _curve_ranges(frames, len(scenes))
    return _render(choices, data, title)


def _check_plane(
    choices: Sequence[Choice],
    frames: Sequence[Frame],
    scenes: Sequence[Callable[..., Any]],
    box: Sequence[Sequence[float]],
    scene_boxes: Sequence[Sequence[Sequence[float]]] | None,
    scene_marks: Sequence[npt.ArrayLike] | None,
) -> None:
    """Raise ValueError naming the first inconsistency among the explorer's inputs."""
    expected = int(np.prod([len(c.texts) for c in choices]))
    if not choices or len(frames) != expected:
        raise ValueError(
            f"need one frame per combination of choices ({expected}); got {len(frames)}"
        )
    if any(f.regime not in RUN_CLASSES for f in frames):
        raise ValueError(f"every frame's regime must be one of {RUN_CLASSES}")
    if any(not 0 <= f.scene < len(scenes) for f in frames):
        raise ValueError("a frame names a scene that does not exist")
    if len({f.curve is None for f in frames}) > 1:
        raise ValueError("either every frame has a loss curve or none has")
    for b in [box, *(scene_boxes or [])]:
        (x0, x1), (y0, y1) = b
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"box must be ((xmin, xmax), (ymin, ymax)) with min < max; got {b}")
    for name, per_scene in (("scene_boxes", scene_boxes), ("scene_marks", scene_marks)):
        if per_scene is not None and len(per_scene) != len(scenes):
            raise ValueError(
                f"{name} needs one entry per scene ({len(scenes)}); got {len(per_scene)}"
            )
    keys = {c.key for c in choices}
    if any(f.texts and not set(f.texts) <= keys for f in frames):
        raise ValueError(f"a frame's texts name a choice that does not exist (choices: {keys})")


def _sampled(a: npt.NDArray[np.float64], stride: int) -> npt.NDArray[np.float64]:
    """Every ``stride``-th entry of ``a`` along its first axis, and always the last one."""
    idx = list(range(0, len(a), stride))
    if idx[-1] != len(a) - 1:
        idx.append(len(a) - 1)
    return a[idx]


def _frame_data(f: Frame, stride: int, digits: int | None) -> dict[str, Any]:
    """One frame as the script reads it (short keys; optional fields only when present)."""
    path = _sampled(np.asarray(f.path, dtype=float), stride)
    out: dict[str, Any] = {
        "p": _fixed(path, 2) if digits is None else _round(path, digits),
        "l": _round(np.array([f.loss]), 4)[0],
        "r": RUN_CLASSES.index(f.regime),
        "s": f.scene,
    }
    if stride > 1:
        out["k"] = len(f.path) - 1  # the number of steps, which the sampled path no longer shows
    if f.curve is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log10(np.maximum(_sampled(np.asarray(f.curve, dtype=float), stride), 1e-300))
        out["c"] = _fixed(logs, 2)
    if f.texts:
        out["t"] = dict(f.texts)
    if f.note:
        out["n"] = f.note
    return out


def _curve_ranges(frames: Sequence[Frame], n_scenes: int) -> list[list[float]]:
    """Per scene, the log10 range [lo, hi] of the loss panel.

    The top is two decades above the largest starting loss (a diverging curve leaves through it),
    the bottom the smallest positive loss, but at most 16 decades below the top.
    """
    out = []
    for s in range(n_scenes):
        curves = [np.asarray(f.curve, dtype=float) for f in frames if f.scene == s]
        vals = np.concatenate(curves) if curves else np.ones(1)
        vals = vals[np.isfinite(vals) & (vals > 0)]
        starts = np.array([c[0] for c in curves if np.isfinite(c[0]) and c[0] > 0] or [1.0])
        hi = float(np.ceil(np.log10(starts.max()))) + 2.0
        lo = float(np.floor(np.log10(vals.min()))) if vals.size else hi - 4.0
        out.append([max(lo, hi - 16.0), hi])
    return out


def _render(choices: Sequence[Choice], data: dict[str, Any], title: str) -> str:
    """Fill the HTML template with the embedded data, the sliders and the script."""
    payload = _embed(data)
    uid = _element_id("oc-plane-", payload, *(c.initial for c in choices))
    sliders = "\n".join(_slider_html(c) for c in choices)
    script = Path(__file__).with_name("explorer_plane.js").read_text(encoding="utf-8")
    loss = _LOSS_PANEL.format(w=_WIDTH, h=_LOSS_HEIGHT) if "curves" in data else ""
    return _TEMPLATE.format(
        uid=uid,
        sliders=sliders,
        title=title,
        payload=payload,
        w=_WIDTH,
        h=_HEIGHT,
        p=_PAD,
        cw=_WIDTH - _PAD - 10,
        ch=_HEIGHT - _PAD - 10,
        loss=loss,
        script=script.replace("__UID__", uid),
    )


def read_explorer_data(html: str) -> dict[str, Any]:
    """The data embedded in an explorer's HTML, as the page's script reads them (for checks).

    Raises
    ------
    ValueError
        If ``html`` holds no explorer data.
    """
    m = re.search(r'<script type="application/json" class="oc-data">(.*?)</script>', html, re.S)
    if m is None:
        raise ValueError('no explorer data (<script class="oc-data">) in this HTML')
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def _slider_html(c: Choice) -> str:
    """A labelled range slider over the indices of ``c.texts`` (screen readers hear the value)."""
    return (
        f'<label>{c.label} = <output class="oc-value">{c.texts[c.initial]}</output><br>\n'
        f'<input type="range" class="oc-choice oc-choice-{c.key}" min="0" '
        f'max="{len(c.texts) - 1}" step="1" value="{c.initial}"\n aria-label="{c.label}" '
        f'aria-valuetext="{c.texts[c.initial]}" style="width:180px"></label>'
    )


def quadratic_runs(
    kappa: float,
    fractions: Sequence[float],
    starts: Sequence[Sequence[float]],
    steps: int,
    *,
    angle: float = 0.0,
    optimizer: Callable[..., Optimizer] = SGD,
) -> tuple[Quadratic, list[list[Frame]]]:
    """Run ``optimizer`` on ½θᵀHθ, H = diag(1, κ) turned by ``angle``, for a grid of η and starts.

    ``fractions`` are learning rates as fractions of 2/λmax = 2/κ. Returns the quadratic and the
    frames ``out[i][j]`` for ``fractions[i]`` and ``starts[j]`` (scene index 0), each named by
    :func:`~optcourse.diagnostics.classify_run` from its loss curve and path.
    """
    if not (np.isfinite(kappa) and kappa >= 1.0):
        raise ValueError(f"kappa must be a finite number >= 1; got {kappa}")
    q = Quadratic.rotated([1.0, float(kappa)], angle) if angle else Quadratic.diagonal([1, kappa])
    etas = np.asarray(fractions, dtype=float) * max_stable_lr(q.H)
    runs = sweep(q, etas, np.asarray(starts, dtype=float), steps, optimizer=optimizer)
    frames = [
        [
            Frame(
                path=runs.path[i, j],
                loss=float(runs.loss[i, j, -1]),
                regime=classify_run(runs.loss[i, j], path=runs.path[i, j]),
                scene=0,
            )
            for j in range(len(starts))
        ]
        for i in range(len(etas))
    ]
    return q, frames


def _texts(values: Sequence[float], fmt: str) -> tuple[str, ...]:
    return tuple(fmt.format(v) for v in values)


def quadratic_explorer_html(
    *,
    kappas: Sequence[float] = DEFAULT_KAPPAS,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    starts: Sequence[Sequence[float]] = DEFAULT_STARTS,
    steps: int = 30,
    angle: float = 0.0,
    optimizers: Mapping[str, Callable[..., Optimizer]] | None = None,
    kappa: float = 10.0,
    fraction: float = 0.5,
    box: Sequence[Sequence[float]] = ((-5.0, 5.0), (-2.6, 2.6)),
) -> str:
    """Chapter 4's explorer: gradient descent on ½θᵀHθ, H = diag(1, κ), in a kernel-free page.

    Sliders choose η (as a fraction of 2/λmax), κ and the start; with more than one entry in
    ``optimizers`` (name -> factory called as ``factory(lr=...)``, e.g.
    ``functools.partial(SGD, momentum=0.9)``) a further slider chooses the optimizer. The regime
    under the picture is :func:`~optcourse.diagnostics.classify_run`'s name for the run.
    ``kappa`` and ``fraction`` are the initial slider positions (nearest grid values).
    """
    opts = dict(optimizers) if optimizers else {"gradient descent": SGD}
    frames, scenes = [], []
    grid: dict[tuple[int, int], list[list[Frame]]] = {}
    for (o, factory), (k, kap) in itertools.product(enumerate(opts.values()), enumerate(kappas)):
        q, runs = quadratic_runs(kap, fractions, starts, steps, angle=angle, optimizer=factory)
        if o == 0:
            scenes.append(q.value)
        grid[o, k] = runs
    for o, k, s, i in itertools.product(
        range(len(opts)), range(len(kappas)), range(len(starts)), range(len(fractions))
    ):
        f = grid[o, k][i][s]
        frames.append(Frame(f.path, f.loss, f.regime, scene=k))
    choices = [
        Choice("kappa", "condition number κ", _texts(kappas, "{:g}"), _nearest(kappas, kappa)),
        Choice("start", "start θ₀", tuple(f"({a:g}, {b:g})" for a, b in starts)),
        Choice(
            "eta", "learning rate η", _texts(fractions, "{:g} × 2/λmax"),
            _nearest(fractions, fraction),
        ),
    ]  # fmt: skip
    if len(opts) > 1:
        choices.insert(0, Choice("optimizer", "optimizer", tuple(opts)))
    return plane_explorer_html(choices, frames, scenes, box)


def _nearest(values: Sequence[float], value: float) -> int:
    return int(np.argmin(np.abs(np.asarray(values, dtype=float) - value)))


_TEMPLATE = """<div class="optcourse-explorer optcourse-plane-explorer" id="{uid}"
 style="font-family:sans-serif;max-width:720px">
<div style="display:flex;flex-wrap:wrap;gap:1.2em;align-items:center;margin-bottom:0.4em">
{sliders}
</div>
<svg class="oc-svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img"
 aria-label="{title}" style="background:#fff;max-width:100%;height:auto">
<defs><clipPath id="{uid}-clip"><rect x="{p}" y="10" width="{cw}" height="{ch}"/></clipPath></defs>
<g class="oc-axes" stroke="#555" fill="none"></g>
<g clip-path="url(#{uid}-clip)"><g class="oc-contours" fill="none" stroke="#999"
 stroke-width="0.8"></g><path class="oc-min" stroke="#000" stroke-width="1.5" fill="none"/>
<polyline class="oc-path" fill="none" stroke="#D55E00" stroke-width="1.5"/>
<g class="oc-dots"></g></g>
<g class="oc-labels" font-size="12" fill="#222"></g>
</svg>
{loss}<p class="oc-readout" style="margin:0.3em 0" aria-live="polite"></p>
<script type="application/json" class="oc-data">{payload}</script>
<script>{script}</script>
</div>
"""

_LOSS_PANEL = """<svg class="oc-loss-svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img"
 aria-label="loss against step, log scale" style="background:#fff;max-width:100%;height:auto">
<g class="oc-loss-axes" stroke="#555" fill="none"></g>
<polyline class="oc-loss" fill="none" stroke="#0072B2" stroke-width="1.5"/>
<g class="oc-loss-labels" font-size="12" fill="#222"></g>
</svg>
"""
