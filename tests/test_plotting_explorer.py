"""Tests of the static explorer (optcourse.explorer) and the live one (optcourse.widgets)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from optcourse import (  # noqa: E402
    explorer,
    sweep,  # noqa: E402
    widgets,
)
from optcourse.diagnostics import (  # noqa: E402
    REGIMES,
    RUN_CLASSES,
    classify_iterates,
    classify_run,
)
from optcourse.explorer import (  # noqa: E402
    DEFAULT_ETAS,
    DEFAULT_X0S,
    explorer_html,
    gd_trajectories,
)
from optcourse.explorer_plane import (  # noqa: E402
    DEFAULT_FRACTIONS,
    DEFAULT_KAPPAS,
    DEFAULT_STARTS,
    Choice,
    Frame,
    plane_explorer_html,
    quadratic_explorer_html,
    quadratic_runs,
    read_explorer_data,
)
from optcourse.objectives import DoubleWell, Parabola, Quadratic, Rosenbrock  # noqa: E402
from optcourse.optimizers import SGD  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" class="oc-data">(.*?)</script>', html, re.S)
    assert m, "the explorer must embed its data as JSON"
    return json.loads(m.group(1))


def test_trajectories_match_the_closed_form() -> None:
    etas = np.array([0.01, 0.3, 0.5, 0.8, 1.0, 1.1])
    x0s = np.array([-5.0, 0.0, 2.5])
    traj = gd_trajectories(Parabola(), etas, x0s, 12)
    assert traj.shape == (6, 3, 13)
    expected = (1 - 2 * etas)[:, None, None] ** np.arange(13) * x0s[None, :, None]
    np.testing.assert_allclose(traj, expected, rtol=1e-12, atol=1e-300)


def test_trajectories_overflow_quietly() -> None:
    with np.errstate(all="raise"):
        traj = gd_trajectories(Parabola(), [3.0], [5.0], 2000)
    assert not np.isfinite(traj[0, 0, -1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"objective": Rosenbrock()}, "one-dimensional"),
        ({"steps": 0}, "steps"),
        ({"etas": [-0.1]}, "non-negative"),
        ({"x0s": []}, "at least one"),
    ],
)
def test_trajectories_validate(kwargs: dict, match: str) -> None:
    args = {"objective": Parabola(), "etas": [0.1], "x0s": [1.0], "steps": 3} | kwargs
    with pytest.raises(ValueError, match=match):
        gd_trajectories(**args)


@pytest.mark.parametrize(
    ("eta", "regime"),
    [
        (0.01, "slow: barely moved"),
        (0.3, "converging monotonically"),
        (0.5, "landed exactly on the minimum"),
        (0.8, "oscillating, converging"),
        (1.0, "bouncing forever"),
        (1.1, "diverging"),
        (3.0, "diverging"),
    ],
)
def test_classify_iterates_names_the_four_regimes(eta: float, regime: str) -> None:
    xs = gd_trajectories(Parabola(), [eta], [5.0], 20 if eta < 3 else 1000)[0, 0]
    assert classify_iterates(xs, 0.0) == regime


def test_classify_iterates_at_the_minimum() -> None:
    assert classify_iterates([0.0, 0.0], 0.0) == "already at the minimum"


def test_explorer_classify_run_is_the_deprecated_name_of_classify_iterates() -> None:
    with pytest.warns(DeprecationWarning, match="classify_iterates"):
        old = explorer.classify_run
    assert old is classify_iterates
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = explorer.no_such_name


def test_the_explorer_shows_the_diagnostics_vocabulary() -> None:
    data = _payload(explorer_html(etas=[0.01, 0.5, 1.0, 1.1], x0s=[0.0, 5.0]))
    assert data["regimes"] == list(REGIMES)
    named = [[data["regimes"][k] for k in row] for row in data["regime"]]
    assert named == [
        ["already at the minimum", "slow: barely moved"],
        ["already at the minimum", "landed exactly on the minimum"],
        ["already at the minimum", "bouncing forever"],
        ["already at the minimum", "diverging"],
    ]


def test_explorer_html_is_self_contained_and_complete() -> None:
    html = explorer_html(eta=0.8, x0=5.0)
    assert "<svg" in html and html.count('type="range"') == 2
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "src=" not in html  # nothing loaded from anywhere
    data = _payload(html)
    assert data["etas"] == list(DEFAULT_ETAS) and data["x0s"] == list(DEFAULT_X0S)
    paths = data["paths"]
    assert len(paths) == len(DEFAULT_ETAS) and len(paths[0]) == len(DEFAULT_X0S)
    assert len(paths[0][0]) == 21
    i = DEFAULT_ETAS.index(0.8)
    j = DEFAULT_X0S.index(5.0)
    expected = (1 - 2 * 0.8) ** np.arange(21) * 5.0
    np.testing.assert_allclose(paths[i][j], expected, rtol=1e-4, atol=1e-12)
    assert f'class="oc-eta" min="0" max="{len(DEFAULT_ETAS) - 1}" step="1" value="{i}"' in html
    assert data["regimes"][data["regime"][i][j]] == "oscillating, converging"
    k = DEFAULT_ETAS.index(1.0)
    assert data["regimes"][data["regime"][k][j]] == "bouncing forever"
    assert data["loss"][k][j] == pytest.approx(25.0)


def test_explorer_html_ids_differ_between_settings_and_json_is_script_safe() -> None:
    a, b = explorer_html(), explorer_html(etas=[0.1, 0.2], x0s=[1.0], steps=5)
    ida = re.search(r'id="(oc-explorer-[0-9a-f]+)"', a)
    idb = re.search(r'id="(oc-explorer-[0-9a-f]+)"', b)
    assert ida and idb and ida.group(1) != idb.group(1)
    assert f'document.getElementById("{idb.group(1)}")' in b
    assert "</" not in _payload_raw(b)


def test_two_identical_explorers_on_one_page_get_distinct_ids() -> None:
    # The same grid and start twice on one page: each script must find its own <div>.
    a, b = explorer_html(eta=0.5), explorer_html(eta=0.5)
    ida = re.search(r'id="(oc-explorer-[0-9a-f]+)"', a)
    idb = re.search(r'id="(oc-explorer-[0-9a-f]+)"', b)
    assert ida and idb and ida.group(1) != idb.group(1)
    assert f'document.getElementById("{idb.group(1)}")' in b and f"{idb.group(1)}-clipL" in b


def _payload_raw(html: str) -> str:
    m = re.search(r'class="oc-data">(.*?)</script>', html, re.S)
    assert m
    return m.group(1)


def test_explorer_html_on_a_non_convex_objective_without_known_minimizer() -> None:
    f = DoubleWell(tilt=0.3)
    html = explorer_html(f, etas=[0.01, 0.05], x0s=[-1.5, 1.5], steps=10, xlim=(-2, 2))
    data = _payload(html)
    assert data["xlim"] == [-2.0, 2.0] and len(data["paths"]) == 2
    with pytest.raises(ValueError, match="increasing"):
        explorer_html(f, xlim=(2, -2))


def test_live_explorer_builds_widgets_and_redraws() -> None:
    pytest.importorskip("ipywidgets")
    box = widgets.lr_explorer(eta=0.8, x0=5.0)
    sliders, verdict, out = box.children
    eta_slider, x0_slider = sliders.children
    assert eta_slider.value == 0.8 and x0_slider.value == 5.0
    assert "oscillating, converging" in verdict.value
    eta_slider.value = 1.1
    assert "diverging" in verdict.value
    x0_slider.value = 0.0
    assert "already at the minimum" in verdict.value


def test_draw_explorer_frame_returns_two_panels() -> None:
    fig, text = widgets.draw_explorer_frame(Parabola(), 1.0, 5.0, steps=6)
    assert len(fig.axes) == 2 and "bouncing forever" in text
    with pytest.raises(ValueError, match="eta"):
        widgets.draw_explorer_frame(Parabola(), -0.1, 5.0)


def test_live_explorer_degrades_without_ipywidgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    result = widgets.lr_explorer()
    assert isinstance(result, widgets.WidgetsUnavailable)
    assert "pip install" in repr(result) and "explorer_html" in repr(result)
    assert "<p" in result._repr_html_()


def test_live_explorer_validates() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        widgets.lr_explorer(Rosenbrock())
    with pytest.raises(ValueError, match="eta_max"):
        widgets.lr_explorer(eta_max=0)


# The plane explorer (optcourse.explorer_plane): chapter 4's 2-D quadratic, static and live.


def _frame(data: dict, *indices: int) -> dict:
    """The frame of the given slider indices: row-major over the choices, as the script reads it."""
    k = 0
    for choice, i in zip(data["choices"], indices, strict=True):
        k = k * len(choice["texts"]) + i
    return data["frames"][k]


def test_plane_explorer_data_agree_with_sweep_and_classify_run() -> None:
    html = quadratic_explorer_html(kappa=10.0, fraction=0.9)
    data = read_explorer_data(html)
    assert [c["key"] for c in data["choices"]] == ["kappa", "start", "eta"]
    assert data["regimes"] == list(RUN_CLASSES)
    sizes = (len(DEFAULT_KAPPAS), len(DEFAULT_STARTS), len(DEFAULT_FRACTIONS))
    assert len(data["frames"]) == int(np.prod(sizes)) and len(data["scenes"]) == len(DEFAULT_KAPPAS)
    for k, kappa in enumerate(DEFAULT_KAPPAS):
        q = Quadratic.diagonal([1.0, kappa])
        runs = sweep(q, np.array(DEFAULT_FRACTIONS) * 2 / kappa, np.array(DEFAULT_STARTS), 30)
        for s in range(len(DEFAULT_STARTS)):
            for e, fraction in enumerate(DEFAULT_FRACTIONS):
                frame = _frame(data, k, s, e)
                assert frame["s"] == k
                np.testing.assert_allclose(frame["p"], runs.path[e, s], atol=0.0051)
                assert frame["l"] == pytest.approx(runs.loss[e, s, -1], rel=1e-3, abs=1e-12)
                named = data["regimes"][frame["r"]]
                assert named == classify_run(runs.loss[e, s], path=runs.path[e, s])
                if fraction > 1:
                    assert named == "diverging"
                if fraction <= 0.5:
                    assert named == "converging"
    # the zig-zag of kappa = 10 near the limit is named, the initial sliders say so
    assert data["regimes"][_frame(data, 2, 0, DEFAULT_FRACTIONS.index(0.9))["r"]] == "oscillating"
    assert 'class="oc-choice oc-choice-kappa" min="0" max="4" step="1" value="2"' in html
    assert f'max="{len(DEFAULT_FRACTIONS) - 1}" step="1" value="8"' in html


def test_plane_explorer_is_deterministic_and_small() -> None:
    code = "from optcourse.explorer_plane import quadratic_explorer_html as h; print(h(), end='')"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]  # byte-identical across processes (and so across builds)
    assert len(runs[0]) < 120_000  # the whole grid, contours and script in under 120 kB
    a, b = quadratic_explorer_html(), quadratic_explorer_html()
    ida = re.search(r'id="(oc-plane-[0-9a-f]+)"', a)
    idb = re.search(r'id="(oc-plane-[0-9a-f]+)"', b)
    assert ida and idb and ida.group(1) != idb.group(1)  # two on one page: distinct ids
    assert a.replace(ida.group(1), "X") == b.replace(idb.group(1), "X")
    assert f'document.getElementById("{idb.group(1)}")' in b


def test_plane_explorer_is_self_contained_and_labelled() -> None:
    html = quadratic_explorer_html()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "src=" not in html
    assert html.count('type="range"') == 3
    for label in ("condition number κ", "start θ₀", "learning rate η"):
        assert f"<label>{label} = " in html and f'aria-label="{label}"' in html
    assert 'aria-valuetext="0.5 × 2/λmax"' in html and 'aria-valuetext="(-4.5, 1.5)"' in html
    assert "</" not in _payload_raw(html)


def test_a_further_choice_needs_no_new_script() -> None:
    # Chapters 7 and 8: the optimizer (or beta) is one more Choice; the script stays the same.
    opts = {"gradient descent": SGD, "momentum 0.9": functools.partial(SGD, momentum=0.9)}
    html = quadratic_explorer_html(kappas=[10.0], fractions=[0.5, 1.1], optimizers=opts)
    data = read_explorer_data(html)
    assert [c["key"] for c in data["choices"]] == ["optimizer", "kappa", "start", "eta"]
    assert len(data["frames"]) == 2 * 1 * len(DEFAULT_STARTS) * 2
    plain, heavy = _frame(data, 0, 0, 0, 0), _frame(data, 1, 0, 0, 0)
    assert plain["p"] != heavy["p"]  # the momentum run is a different run ...
    q = Quadratic.diagonal([1.0, 10.0])
    expected = sweep(q, [0.1], DEFAULT_STARTS[0], 30, optimizer=opts["momentum 0.9"]).path[0, 0]
    np.testing.assert_allclose(heavy["p"], expected, atol=0.0051)  # ... and the right one
    script = re.findall(r"<script>(.*?)</script>", html, re.S)[0]
    plain_script = re.findall(r"<script>(.*?)</script>", quadratic_explorer_html(), re.S)[0]
    uid = re.compile(r"oc-plane-[0-9a-f]+")
    assert uid.sub("X", script) == uid.sub("X", plain_script)


def test_plane_explorer_validates() -> None:
    with pytest.raises(ValueError, match="identifier"):
        Choice("not a key", "x", ("1",))
    with pytest.raises(ValueError, match="at least one"):
        Choice("k", "x", ())
    with pytest.raises(ValueError, match="out of range"):
        Choice("k", "x", ("1",), initial=1)
    _, runs = quadratic_runs(10.0, [0.5], [(1.0, 1.0)], 5)
    frame, q = runs[0][0], Quadratic.diagonal([1.0, 10.0])
    box = ((-1.0, 1.0), (-1.0, 1.0))
    choice = Choice("k", "x", ("a", "b"))
    with pytest.raises(ValueError, match="one frame per combination"):
        plane_explorer_html([choice], [frame], [q.value], box)
    with pytest.raises(ValueError, match="RUN_CLASSES|one of"):
        plane_explorer_html([choice], [frame, Frame(frame.path, 0.0, "fine", 0)], [q.value], box)
    with pytest.raises(ValueError, match="scene"):
        plane_explorer_html([choice], [frame, Frame(frame.path, 0.0, "slow", 3)], [q.value], box)
    with pytest.raises(ValueError, match="box"):
        plane_explorer_html([choice], [frame, frame], [q.value], ((1.0, -1.0), (-1.0, 1.0)))
    with pytest.raises(ValueError, match="kappa"):
        quadratic_runs(0.5, [0.5], [(1.0, 1.0)], 5)
    with pytest.raises(ValueError, match="no explorer data"):
        read_explorer_data("<p>nothing here</p>")


def test_quadratic_runs_turned_valley() -> None:
    q, runs = quadratic_runs(10.0, [0.5, 1.1], [(-4.5, 1.5)], 30, angle=np.pi / 6)
    assert np.allclose(np.linalg.eigvalsh(q.H), [1.0, 10.0])
    assert abs(q.H[0, 1]) > 0.1  # turned: not diagonal
    assert [runs[0][0].regime, runs[1][0].regime] == ["converging", "diverging"]


def test_live_quadratic_explorer_builds_widgets_and_redraws() -> None:
    pytest.importorskip("ipywidgets")
    box = widgets.quadratic_explorer(kappa=10.0, fraction=0.9)
    sliders, verdict, out = box.children
    eta, kappa, start = sliders.children
    assert eta.value == 0.9 and kappa.value == 10.0 and start.value == DEFAULT_STARTS[0]
    assert verdict.value.endswith(": oscillating")
    eta.value = 1.1
    assert verdict.value.endswith(": diverging")
    eta.value = 0.3
    assert verdict.value.endswith(": converging")
    kappa.value = 100.0
    start.value = DEFAULT_STARTS[1]
    assert verdict.value.endswith(": converging")


def test_draw_quadratic_frame_and_live_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    fig, text = widgets.draw_quadratic_frame(10.0, 1.02, (-4.5, 1.5), steps=30)
    assert len(fig.axes) >= 1 and text.endswith(": diverging")
    with pytest.raises(ValueError, match="fraction"):
        widgets.draw_quadratic_frame(10.0, -0.1)
    with pytest.raises(ValueError, match="kappa"):
        widgets.quadratic_explorer(kappa=0.5)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    result = widgets.quadratic_explorer()
    assert isinstance(result, widgets.WidgetsUnavailable)
