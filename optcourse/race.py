"""The optimizer race of chapter 8: five optimizers on four objectives, in a kernel-free page.

The race is an instance of the plane explorer (:mod:`optcourse.explorer_plane`), with no script of
its own: three :class:`~optcourse.explorer_plane.Choice`\\ s (objective, optimizer, learning rate)
over a grid of runs computed here with :func:`optcourse.sweep` (the library's optimizers, a fixed
start per objective, :data:`RACE_STEPS` steps). The learning-rate slider has
:data:`RACE_N_RATES` positions, but each (objective, optimizer) pair has its own rates
(:data:`RACE_RATES`), chosen around that pair's useful range: from slow to the edge of stability
(for gradient descent and the momentum methods the last rate is past it). Each frame shows the path
on the contour lines, the loss curve on a log scale and the status of the run (:func:`run_status`)
beside :func:`~optcourse.diagnostics.classify_run`'s name for it.

:func:`optcourse.widgets.optimizer_race` is the live version, where any learning rate can be typed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from optcourse.diagnostics import classify_run
from optcourse.explorer_plane import Choice, Frame, plane_explorer_html
from optcourse.objectives import Beale, Himmelblau, Objective, Quadratic, Rosenbrock
from optcourse.optimizers import SGD, Adam, RMSprop
from optcourse.optimizers.base import Optimizer
from optcourse.sweep import Sweep, sweep

__all__ = [
    "RaceTrack",
    "RACE_OPTIMIZERS",
    "RACE_RATES",
    "RACE_STEPS",
    "RACE_N_RATES",
    "RACE_STRIDE",
    "RACE_TOL",
    "race_tracks",
    "race_runs",
    "run_status",
    "first_arrival",
    "race_html",
    "stored_frame",
]

#: Steps of every run of the race.
RACE_STEPS = 240
#: Paths and loss curves are stored every ``RACE_STRIDE`` steps (and the last step).
RACE_STRIDE = 4
#: A run has converged when its loss gap f − f* is at most ``RACE_TOL`` times the starting gap.
RACE_TOL = 1e-6
#: Learning rates per slider (the same count for every pair, so the slider has one length).
RACE_N_RATES = 5


@dataclass(frozen=True)
class RaceTrack:
    """One objective of the race: the function, its fixed start and the box drawn."""

    objective: Objective
    start: tuple[float, float]
    box: tuple[tuple[float, float], tuple[float, float]]


def race_tracks() -> dict[str, RaceTrack]:
    """The four objectives of the race, by name, each with its start and box."""
    return {
        "ill-conditioned quadratic": RaceTrack(
            Quadratic.diagonal([1.0, 25.0]), (-4.5, 1.5), ((-5.0, 5.0), (-2.6, 2.6))
        ),
        "Rosenbrock": RaceTrack(Rosenbrock(), (-1.5, 2.0), ((-2.0, 2.0), (-1.0, 3.0))),
        "Beale": RaceTrack(Beale(), (1.0, 1.5), ((-1.0, 4.5), (-1.5, 2.5))),
        "Himmelblau": RaceTrack(Himmelblau(), (0.0, -1.0), ((-5.0, 5.0), (-5.0, 5.0))),
    }


#: The optimizers of the race, by name: factories called as ``factory(lr=...)``.
RACE_OPTIMIZERS: Mapping[str, Callable[..., Optimizer]] = {
    "GD": SGD,
    "heavy ball": functools.partial(SGD, momentum=0.9),
    "Nesterov": functools.partial(SGD, momentum=0.9, nesterov=True),
    "RMSprop": RMSprop,
    "Adam": Adam,
}

_ADAPTIVE = {"RMSprop": (0.003, 0.01, 0.03, 0.1, 0.3), "Adam": (0.01, 0.03, 0.1, 0.3, 1.0)}
#: The learning rates of each (objective, optimizer) pair, slow to fast.
RACE_RATES: Mapping[tuple[str, str], tuple[float, ...]] = {
    ("ill-conditioned quadratic", "GD"): (0.005, 0.01, 0.03, 0.07, 0.085),
    ("ill-conditioned quadratic", "heavy ball"): (0.001, 0.003, 0.01, 0.05, 0.16),
    ("ill-conditioned quadratic", "Nesterov"): (0.001, 0.003, 0.01, 0.03, 0.06),
    ("Rosenbrock", "GD"): (1e-4, 3e-4, 0.001, 0.002, 0.003),
    ("Rosenbrock", "heavy ball"): (1e-4, 3e-4, 0.001, 0.0019, 0.003),
    ("Rosenbrock", "Nesterov"): (1e-4, 3e-4, 6e-4, 0.001, 0.002),
    ("Beale", "GD"): (0.001, 0.003, 0.01, 0.03, 0.06),
    ("Beale", "heavy ball"): (1e-4, 3e-4, 0.001, 0.003, 0.01),
    ("Beale", "Nesterov"): (1e-4, 3e-4, 0.001, 0.003, 0.01),
    ("Himmelblau", "GD"): (0.001, 0.003, 0.01, 0.02, 0.05),
    ("Himmelblau", "heavy ball"): (3e-4, 0.001, 0.003, 0.01, 0.03),
    ("Himmelblau", "Nesterov"): (3e-4, 0.001, 0.003, 0.01, 0.03),
    **{(t, o): r for t in ("ill-conditioned quadratic", "Rosenbrock", "Beale", "Himmelblau")
       for o, r in _ADAPTIVE.items()},
}  # fmt: skip


def _pair(objective: str, optimizer: str) -> tuple[RaceTrack, Callable[..., Optimizer]]:
    """The track and optimizer factory named, or a ValueError listing the names."""
    tracks = race_tracks()
    if objective not in tracks:
        raise ValueError(f"unknown objective {objective!r}; choose one of {list(tracks)}")
    if optimizer not in RACE_OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {list(RACE_OPTIMIZERS)}")
    return tracks[objective], RACE_OPTIMIZERS[optimizer]


def race_runs(
    objective: str, optimizer: str, rates: Sequence[float] | None = None, steps: int = RACE_STEPS
) -> Sweep:
    """Run ``optimizer`` on ``objective`` from the track's start, one run per learning rate.

    ``rates`` defaults to the pair's :data:`RACE_RATES`. Returns the :class:`~optcourse.sweep.Sweep`
    (paths ``(E, 1, steps + 1, 2)``, losses ``(E, 1, steps + 1)``), the runs the page embeds.
    """
    track, factory = _pair(objective, optimizer)
    lrs = RACE_RATES[objective, optimizer] if rates is None else rates
    return sweep(track.objective, lrs, np.array([track.start]), steps, optimizer=factory)


def first_arrival(loss: npt.ArrayLike, minimum: float, tol: float = RACE_TOL) -> int | None:
    """The first step at which the loss gap f − f* is at most ``tol`` times the starting gap."""
    gap = np.asarray(loss, dtype=float) - minimum
    hits = np.flatnonzero(np.isfinite(gap) & (gap <= tol * gap[0]))
    return int(hits[0]) if hits.size else None


def run_status(loss: npt.ArrayLike, path: npt.ArrayLike, minimum: float) -> str:
    """The status of a race run: "diverged", "converged" or "still running".

    "diverged" when :func:`~optcourse.diagnostics.classify_run` names the run "diverging" (a loss
    overflowed or grew); "converged" when the final loss gap f − f* is at most :data:`RACE_TOL`
    times the starting gap; otherwise "still running" (the steps ran out first).
    """
    losses = np.asarray(loss, dtype=float)
    if classify_run(losses, path=path) == "diverging":
        return "diverged"
    gap = losses - minimum
    return "converged" if gap[-1] <= RACE_TOL * gap[0] else "still running"


def _note(status: str, arrival: int | None) -> str:
    """The sentence under the picture: the status, and when the run got there."""
    if status == "converged" and arrival is not None:
        return f"Status: converged (loss gap below {RACE_TOL:g} × the start's at step {arrival})."
    return f"Status: {status}."


def _frames(objective: str, scene: int) -> list[Frame]:
    """The frames of one objective, optimizer-major then rate, with their texts and notes."""
    track = race_tracks()[objective]
    minimum = float(track.objective.minimum or 0.0)
    frames = []
    for name in RACE_OPTIMIZERS:
        runs = race_runs(objective, name)
        for i, lr in enumerate(RACE_RATES[objective, name]):
            loss, path = runs.loss[i, 0], runs.path[i, 0]
            status = run_status(loss, path, minimum)
            frames.append(
                Frame(
                    path=path,
                    loss=float(loss[-1]),
                    regime=classify_run(loss, path=path),
                    scene=scene,
                    curve=loss,
                    texts={"lr": f"{lr:g}"},
                    note=_note(status, first_arrival(loss, minimum)),
                )
            )
    return frames


def race_html(
    *, objective: str = "Rosenbrock", optimizer: str = "Adam", rate_index: int = 2
) -> str:
    """The optimizer race as a kernel-free HTML explorer (chapter 8).

    Sliders choose the objective, the optimizer and the learning rate (one of the pair's
    :data:`RACE_RATES`); ``objective``, ``optimizer`` and ``rate_index`` are the initial positions.
    Paths and loss curves are stored every :data:`RACE_STRIDE` steps, to 4 significant digits.
    """
    _pair(objective, optimizer)
    if not 0 <= rate_index < RACE_N_RATES:
        raise ValueError(f"rate_index must be in 0..{RACE_N_RATES - 1}; got {rate_index}")
    tracks = race_tracks()
    names, opts = list(tracks), list(RACE_OPTIMIZERS)
    frames = [f for s, name in enumerate(names) for f in _frames(name, s)]
    choices = [
        Choice("objective", "objective", tuple(names), names.index(objective)),
        Choice("optimizer", "optimizer", tuple(opts), opts.index(optimizer)),
        Choice("lr", "learning rate", _rate_texts(), rate_index),
    ]
    marks = [np.asarray(t.objective.minimizers, dtype=float) for t in tracks.values()]
    return plane_explorer_html(
        choices,
        frames,
        [t.objective.value for t in tracks.values()],
        tracks[names[0]].box,
        levels=9,
        title="optimizer path on the contour lines",
        scene_boxes=[t.box for t in tracks.values()],
        scene_marks=marks,
        stride=RACE_STRIDE,
        digits=4,
    )


def _rate_texts() -> tuple[str, ...]:
    """Slider texts before a frame names its rate (the page shows the frame's own rate)."""
    return tuple(f"rate {i + 1} of {RACE_N_RATES}" for i in range(RACE_N_RATES))


def stored_frame(data: Mapping[str, Any], objective: str, optimizer: str, i: int) -> Any:
    """The embedded frame of (objective, optimizer, i-th rate), row-major as the script reads it."""
    names, opts = list(race_tracks()), list(RACE_OPTIMIZERS)
    k = (names.index(objective) * len(opts) + opts.index(optimizer)) * RACE_N_RATES + i
    return data["frames"][k]
