"""Tests of optcourse.plotting on the Agg backend: artists, labels, return types, no plt.show()."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from optcourse import plotting  # noqa: E402
from optcourse.objectives import Parabola, Rosenbrock  # noqa: E402
from optcourse.plotting.style import as_path, evaluate  # noqa: E402


@pytest.fixture(autouse=True)
def _no_show(monkeypatch: pytest.MonkeyPatch):
    """Fail any test whose code calls plt.show(), and close every figure afterwards."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("plotting functions must never call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden)
    monkeypatch.setattr(Figure, "show", forbidden)
    yield
    plt.close("all")


def _gd(eta: float, x0: float = 5.0, steps: int = 20) -> np.ndarray:
    return (1 - 2 * eta) ** np.arange(steps + 1) * x0


def test_palette_is_okabe_ito_and_distinct() -> None:
    assert len(set(plotting.PALETTE)) == 8
    assert set(plotting.PALETTE) == set(plotting.OKABE_ITO.values())
    assert plotting.color(0) == plotting.color(8) == plotting.OKABE_ITO["blue"]


def test_ball_steps_draws_curve_path_and_labels() -> None:
    f = Parabola()
    xs = _gd(0.8)
    fig = plotting.plot_ball_steps(f, xs, label="η = 0.8")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "parameter $x$" and ax.get_ylabel() == "loss $f(x)$"
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), np.asarray(curve.get_xdata()) ** 2)
    markers = [ln for ln in ax.get_lines() if ln.get_label() == "η = 0.8"]
    assert len(markers) == 1
    np.testing.assert_allclose(markers[0].get_xdata(), xs)
    np.testing.assert_allclose(markers[0].get_ydata(), xs**2)
    legend_texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "η = 0.8" in legend_texts and "f(x)" in legend_texts
    assert ax.get_xlim() == pytest.approx(f.domain[0])


def test_ball_steps_uses_given_axes_and_accepts_column_paths() -> None:
    fig, ax = plt.subplots()
    out = plotting.plot_ball_steps(Parabola(), _gd(0.1)[:, None], ax=ax, xlim=(-2, 6))
    assert out is fig and ax.get_xlim() == (-2, 6)


def test_ball_steps_accepts_plain_callable() -> None:
    fig = plotting.plot_ball_steps(lambda p: p[..., 0] ** 4, [1.0, 0.5], xlim=(-1.5, 1.5))
    line = fig.axes[0].get_lines()[1]
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.0625])


@pytest.mark.parametrize(
    ("xs", "xlim", "match"),
    [
        (np.ones((3, 2)), None, "shape"),
        (np.ones(3), (1.0, -1.0), "increasing"),
        (np.ones(0), None, "at least one"),
    ],
)
def test_ball_steps_rejects_bad_input(xs: np.ndarray, xlim, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        plotting.plot_ball_steps(Parabola(), xs, xlim=xlim)


def test_iterates_one_line_per_run_with_legend_and_colours() -> None:
    runs = {"η = 0.1": _gd(0.1), "η = 1.1": _gd(1.1)}
    fig = plotting.plot_iterates(runs, ylim=(-10, 10))
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in runs]
    assert [ln.get_label() for ln in lines] == list(runs)
    assert to_hex(lines[0].get_color()) == plotting.color(0).lower()
    assert to_hex(lines[1].get_color()) == plotting.color(1).lower()
    np.testing.assert_allclose(lines[1].get_ydata(), runs["η = 1.1"])
    assert ax.get_ylim() == (-10, 10)
    assert ax.get_xlabel() == "step $t$" and ax.get_ylabel() == "iterate $x_t$"
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_iterates({})


def test_regime_panel_has_two_rows_per_run() -> None:
    runs = {f"η = {e}": _gd(e) for e in (0.01, 0.4, 0.8, 1.1)}
    fig = plotting.plot_regimes(Parabola(), runs, ylim_iterates=(-12, 12))
    assert isinstance(fig, Figure) and len(fig.axes) == 8
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles == list(runs)
    for ax in fig.axes[4:]:
        assert ax.get_xlabel() == "step $t$" and ax.get_ylim() == (-12, 12)
    # each column keeps its own colour in both rows
    top = [ln for ln in fig.axes[2].get_lines() if ln.get_marker() == "o"][0]
    bottom = fig.axes[6].get_lines()[0]
    assert to_hex(top.get_color()) == to_hex(bottom.get_color()) == plotting.color(2).lower()


def test_loss_curves_log_scale_and_legend() -> None:
    losses = {"η = 0.1": _gd(0.1) ** 2, "η = 0.4": _gd(0.4) ** 2}
    fig = plotting.plot_loss_curves(losses)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(losses)
    assert ax.get_ylabel() == "loss $L(\\theta_t)$"
    styles = [ln.get_linestyle() for ln in ax.get_lines()]
    assert len(set(styles)) == 2  # runs differ by dash pattern, not by colour alone
    fig2 = plotting.plot_loss_curves(losses, log=False, minimum=1.0)
    assert fig2.axes[0].get_yscale() == "linear" and "gap" in fig2.axes[0].get_ylabel()
    np.testing.assert_allclose(fig2.axes[0].get_lines()[0].get_ydata(), losses["η = 0.1"] - 1)
    with pytest.raises(ValueError, match="one-dimensional"):
        plotting.plot_loss_curves({"bad": np.ones((2, 2))})


def test_lr_sweep_marks_diverged_runs_and_the_cliff() -> None:
    etas = np.linspace(0.0, 1.2, 25)
    with np.errstate(over="ignore"):
        final = 25.0 * np.abs(1 - 2 * etas) ** 400.0
    fig = plotting.plot_lr_sweep(etas, final, cliff=1.0, cap=1e6)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "learning rate $\\eta$"
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "η = 1" in labels
    diverged = [ln for ln in ax.get_lines() if ln.get_label().startswith("diverged")][0]
    assert set(np.asarray(diverged.get_xdata())) == set(etas[(final > 1e6) | ~np.isfinite(final)])
    assert all(x > 1.0 for x in diverged.get_xdata())
    main = ax.get_lines()[0]
    assert np.isnan(np.asarray(main.get_ydata())[etas > 1.0]).all()
    assert np.nanmin(main.get_ydata()) == 1e-30  # the exact zero at η = 0.5 sits on the floor
    assert main.get_label() == "final loss (values below 1e-30 drawn at 1e-30)"  # legend says so


def test_lr_sweep_without_divergence_has_no_marker_and_validates() -> None:
    fig = plotting.plot_lr_sweep([0.1, 0.2], [1.0, 0.5])
    assert not any(ln.get_label().startswith("diverged") for ln in fig.axes[0].get_lines())
    assert fig.axes[0].get_lines()[0].get_label() == "final loss"  # nothing below the floor
    with pytest.raises(ValueError, match="equal length"):
        plotting.plot_lr_sweep([0.1, 0.2], [1.0])
    with pytest.raises(ValueError, match="floor"):
        plotting.plot_lr_sweep([0.1], [1.0], cap=1e-40)


def test_contour_with_several_paths_and_legend() -> None:
    f = Rosenbrock()
    paths = {
        "GD": np.array([[-1.5, 2.0], [-1.0, 1.5], [0.0, 0.5]]),
        "Adam": np.array([[-1.5, 2.0], [-0.5, 1.0]]),
    }
    fig = plotting.plot_contour(f, paths, resolution=60)
    ax = fig.axes[0]
    assert ax.collections, "contour lines missing"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["GD", "Adam"] and "minimizer" in labels
    gd = [ln for ln in ax.get_lines() if ln.get_label() == "GD"][0]
    np.testing.assert_allclose(gd.get_xdata(), paths["GD"][:, 0])
    assert ax.get_xlabel() == "$\\theta_1$" and ax.get_ylabel() == "$\\theta_2$"
    assert ax.get_xlim() == pytest.approx(f.domain[0])


def test_contour_callable_needs_domain_and_validates() -> None:
    def bowl(p: np.ndarray) -> np.ndarray:
        return (p**2).sum(axis=-1)

    with pytest.raises(ValueError, match="domain"):
        plotting.plot_contour(bowl)
    fig = plotting.plot_contour(bowl, domain=((-1, 1), (-2, 2)), resolution=20, log_levels=False)
    assert fig.axes[0].get_ylim() == (-2, 2) and fig.axes[0].get_legend() is None
    with pytest.raises(ValueError, match="levels"):
        plotting.plot_contour(bowl, domain=((-1, 1), (-1, 1)), levels=1)
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_contour(bowl, {"bad": np.ones((3, 3))}, domain=((-1, 1), (-1, 1)))


def test_animation_frames_follow_the_iterates() -> None:
    xs = _gd(0.8, steps=6)
    anim = plotting.animate_ball(Parabola(), xs, interval=50)
    assert isinstance(anim, FuncAnimation)
    ax = anim._fig.axes[0]  # noqa: SLF001 - the animation's figure
    anim._func(3)  # noqa: SLF001 - draw frame 3 directly
    ball = ax.get_lines()[2]
    assert ball.get_xdata()[0] == pytest.approx(xs[3])
    assert "t = 3" in ax.texts[0].get_text()
    html = anim.to_jshtml()
    assert html.count("data:image/png;base64") == len(xs)
    with pytest.raises(ValueError, match="interval"):
        plotting.animate_ball(Parabola(), xs, interval=0)


def test_helpers() -> None:
    assert as_path([1.0, 2.0], 1).shape == (2, 1)
    np.testing.assert_allclose(evaluate(Parabola(), [[2.0], [3.0]]), [4.0, 9.0])
    with pytest.raises(ValueError, match="shape"):
        as_path(np.ones((2, 3)), 2)


def test_functions_never_call_show_in_source() -> None:
    import inspect

    for module in (
        plotting.oned,
        plotting.curves,
        plotting.contour,
        plotting.animation,
        plotting.style,
    ):
        assert "plt.show" not in inspect.getsource(module)


def test_subplots_uses_the_constrained_layout() -> None:
    from optcourse import plotting

    fig, axes = plotting.subplots(1, 2, figsize=(4.0, 2.0), sharey=True)
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    assert len(axes) == 2 and tuple(fig.get_size_inches()) == (4.0, 2.0)
    plt.close(fig)
