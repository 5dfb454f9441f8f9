"""The optimizer race of chapter 8 (optcourse.race): the embedded grid and the live version."""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from optcourse import sweep, widgets  # noqa: E402
from optcourse.diagnostics import RUN_CLASSES, classify_run  # noqa: E402
from optcourse.explorer_plane import Choice, Frame, plane_explorer_html, read_explorer_data  # noqa: E402
from optcourse.objectives import Quadratic  # noqa: E402
from optcourse.race import (  # noqa: E402
    RACE_N_RATES,
    RACE_OPTIMIZERS,
    RACE_RATES,
    RACE_STEPS,
    RACE_STRIDE,
    first_arrival,
    race_html,
    race_runs,
    race_tracks,
    run_status,
    stored_frame,
)

HTML = race_html()
DATA = read_explorer_data(HTML)


def test_race_grid_layout() -> None:
    tracks = race_tracks()
    assert [c["key"] for c in DATA["choices"]] == ["objective", "optimizer", "lr"]
    assert DATA["choices"][0]["texts"] == list(tracks)
    assert DATA["choices"][1]["texts"] == list(RACE_OPTIMIZERS)
    assert len(DATA["frames"]) == len(tracks) * len(RACE_OPTIMIZERS) * RACE_N_RATES
    assert set(RACE_RATES) == {(t, o) for t in tracks for o in RACE_OPTIMIZERS}
    for rates in RACE_RATES.values():  # one slider length, rates increasing
        assert len(rates) == RACE_N_RATES and list(rates) == sorted(set(rates))
    # one scene (contours, box, crosses) and one loss range per objective
    assert len(DATA["scenes"]) == len(DATA["boxes"]) == len(DATA["marks"]) == len(DATA["curves"])
    assert len(DATA["marks"][3]) == 4  # Himmelblau's four minimizers
    for lo, hi in DATA["curves"]:
        assert lo < hi <= lo + 16
    assert RACE_STEPS % RACE_STRIDE == 0


@pytest.mark.parametrize("objective", list(race_tracks()))
def test_race_frames_are_the_library_runs(objective: str) -> None:
    track = race_tracks()[objective]
    kept = np.arange(0, RACE_STEPS + 1, RACE_STRIDE)
    for opt, factory in RACE_OPTIMIZERS.items():
        rates = RACE_RATES[objective, opt]
        runs = sweep(track.objective, rates, np.array([track.start]), RACE_STEPS, optimizer=factory)
        for i, lr in enumerate(rates):
            frame = stored_frame(DATA, objective, opt, i)
            loss, path = runs.loss[i, 0], runs.path[i, 0]
            assert frame["s"] == list(race_tracks()).index(objective)
            assert frame["t"] == {"lr": f"{lr:g}"} and frame["k"] == RACE_STEPS
            stored = np.array(frame["p"], dtype=float)
            finite = np.isfinite(path[kept])
            assert np.array_equal(finite, ~np.isnan(stored))
            np.testing.assert_allclose(stored[finite], path[kept][finite], rtol=5.1e-4)
            assert DATA["regimes"][frame["r"]] == classify_run(loss, path=path)
            status = run_status(loss, path, float(track.objective.minimum or 0.0))
            assert frame["n"].startswith(f"Status: {status}")
            if status == "converged":
                assert f"at step {first_arrival(loss, 0.0)})" in frame["n"]


def test_every_pair_has_a_run_that_moves_and_momentum_has_a_cliff() -> None:
    # the rates are chosen around each pair's useful range: the fastest rate of GD, heavy ball
    # and Nesterov is past their edge of stability, and each pair's best run made real progress
    for (objective, opt), rates in RACE_RATES.items():
        statuses = [stored_frame(DATA, objective, opt, i)["n"] for i in range(len(rates))]
        if opt in ("GD", "heavy ball", "Nesterov"):
            assert statuses[-1] == "Status: diverged.", (objective, opt)
        else:
            assert not any("diverged" in s for s in statuses), (objective, opt)
        best = min(stored_frame(DATA, objective, opt, i)["l"] or np.inf for i in range(len(rates)))
        start = race_tracks()[objective].objective.value(np.array(race_tracks()[objective].start))
        assert best < 0.1 * start, (objective, opt)


def test_run_status_and_first_arrival() -> None:
    assert first_arrival([4.0, 1.0, 1e-5, 1e-6], 0.0) == 3  # 1e-6 <= 1e-6 * 4
    assert first_arrival([4.0, 1.0, 0.5], 0.0) is None
    path = np.zeros((20, 2))
    assert run_status(np.geomspace(1.0, 1e-8, 20), path, 0.0) == "converged"
    assert run_status(np.linspace(1.0, 0.5, 20), path, 0.0) == "still running"
    assert run_status(np.r_[np.ones(10), np.full(10, np.inf)], path, 0.0) == "diverged"


def test_race_is_light_deterministic_and_needs_no_new_script() -> None:
    code = "from optcourse.race import race_html; print(race_html(), end='')"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len(runs[0]) < 250_000  # 100 runs, their loss curves, 4 contour sets and the script
    uid = re.compile(r"oc-plane-[0-9a-f]+")
    script = re.findall(r"<script>(.*?)</script>", HTML, re.S)[0]
    from optcourse.explorer_plane import quadratic_explorer_html

    plain = re.findall(r"<script>(.*?)</script>", quadratic_explorer_html(), re.S)[0]
    assert uid.sub("X", script) == uid.sub("X", plain)  # the plane explorer's script, unchanged
    assert 'class="oc-loss-svg"' in HTML and 'class="oc-loss-svg"' not in quadratic_explorer_html()
    assert 'aria-label="learning rate"' in HTML and "http://" not in HTML.replace(
        "http://www.w3.org/2000/svg", ""
    )


def test_race_validates() -> None:
    with pytest.raises(ValueError, match="unknown objective"):
        race_html(objective="Ackley")
    with pytest.raises(ValueError, match="unknown optimizer"):
        race_runs("Beale", "Adagrad")
    with pytest.raises(ValueError, match="rate_index"):
        race_html(rate_index=RACE_N_RATES)
    q = Quadratic.diagonal([1.0, 2.0])
    path = np.zeros((3, 2))
    with_curve = Frame(path, 0.0, RUN_CLASSES[0], 0, curve=np.ones(3))
    without = Frame(path, 0.0, RUN_CLASSES[0], 0)
    box = ((-1.0, 1.0), (-1.0, 1.0))
    two = [Choice("k", "k", ("a", "b"))]
    with pytest.raises(ValueError, match="loss curve"):
        plane_explorer_html(two, [with_curve, without], [q.value], box)
    with pytest.raises(ValueError, match="scene_boxes"):
        plane_explorer_html(two, [without, without], [q.value], box, scene_boxes=[box, box])
    bad_text = Frame(path, 0.0, RUN_CLASSES[0], 0, texts={"nope": "x"})
    with pytest.raises(ValueError, match="texts"):
        plane_explorer_html(two, [bad_text, without], [q.value], box)
    with pytest.raises(ValueError, match="stride"):
        plane_explorer_html(two, [without, without], [q.value], box, stride=0)


def test_live_optimizer_race_builds_widgets_and_redraws() -> None:
    pytest.importorskip("ipywidgets")
    box = widgets.optimizer_race(objective="Himmelblau", optimizer="GD", lr=0.01)
    controls, verdict, _ = box.children
    objective, optimizer, rate = controls.children
    assert (objective.value, optimizer.value, rate.value) == ("Himmelblau", "GD", 0.01)
    assert verdict.value.startswith("after 240 steps") and ": converged," in verdict.value
    rate.value = 0.05  # past GD's edge on Himmelblau: the grid's fastest rate diverges too
    assert ": diverged, diverging" in verdict.value
    rate.value = 0.0123  # any rate can be typed, not just the grid's
    assert ": converged," in verdict.value
    optimizer.value = "Adam"
    objective.value = "Rosenbrock"
    assert ": still running," in verdict.value


def test_draw_race_frame_and_live_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    fig, text = widgets.draw_race_frame("Beale", "RMSprop", 0.1, steps=50)
    assert len(fig.axes) >= 2 and text.startswith("after 50 steps")
    with pytest.raises(ValueError, match="lr"):
        widgets.draw_race_frame("Beale", "RMSprop", -0.1)
    with pytest.raises(ValueError, match="lr"):
        widgets.optimizer_race(lr=float("nan"))
    with pytest.raises(ValueError, match="unknown optimizer"):
        widgets.optimizer_race(optimizer="SGD")
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert isinstance(widgets.optimizer_race(), widgets.WidgetsUnavailable)
