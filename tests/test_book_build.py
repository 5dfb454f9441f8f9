"""Checks on the built book in ``_build/html`` (``make book`` builds it before pytest runs).

Every page of ``_toc.yml`` exists; each chapter page shows all the figures its executed notebook
produced, with no error output or traceback; the launch, repository and download buttons are there;
chapter 2 carries its explorer and its exercises. Set ``OPTCOURSE_BUILD_DIR`` to check a build
elsewhere (the ``_toc.yml`` next to that ``_build`` folder is used).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.book import built_site

REPO = Path(__file__).resolve().parents[1]
SITE = built_site()
BUILD = SITE.parent
ROOT = BUILD.parent


def _toc_files() -> list[str]:
    """Every ``root:`` and ``file:`` entry of _toc.yml, in order (no YAML library needed)."""
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)\s*$", text, flags=re.M)


TOC = _toc_files()
CHAPTERS = [f for f in TOC if f.startswith("notebooks/")]


class _Page(HTMLParser):
    """Collects img tags, links and the class attribute of every element of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.classes: list[str] = []
        self.output_imgs = 0
        self._depth_in_output: list[int] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "")
        self.classes.append(cls)
        if tag not in ("img", "br", "meta", "link", "input", "hr"):
            self._depth += 1
            if "cell_output" in cls.split():
                self._depth_in_output.append(self._depth)
        if tag == "img":
            self.imgs.append(a)
            if self._depth_in_output:
                self.output_imgs += 1
        if tag == "a":
            self.links.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("img", "br", "meta", "link", "input", "hr"):
            return
        if self._depth_in_output and self._depth_in_output[-1] == self._depth:
            self._depth_in_output.pop()
        self._depth -= 1


def _parse(rel_html: str) -> tuple[str, _Page]:
    path = SITE / rel_html
    assert path.is_file(), f"page {rel_html} is missing from the build"
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def _executed_notebook(chapter: str) -> Any:
    """The executed notebook of a chapter, as the build rendered it.

    The build keeps a copy in ``_build/jupyter_execute``; but when a chapter is served from the
    execution cache (for example after an edit of its prose only), myst-nb 1.x writes that copy
    without outputs, so the outputs are then taken from the cache record the build used.
    """
    executed = BUILD / "jupyter_execute" / f"{chapter}.ipynb"
    assert executed.is_file(), f"{executed} is missing: was {chapter} executed by the build?"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    if any(cell.get("outputs") for cell in nb["cells"] if cell["cell_type"] == "code"):
        return nb
    import nbformat
    from jupyter_cache import get_cache

    source = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
    _, merged = get_cache(BUILD / ".jupyter_cache").merge_match_into_notebook(source)
    return merged


FIGURE_TYPES = ("image/svg+xml", "image/png")


def _removed(cell: Any) -> bool:
    """Whether the book shows none of this cell's output (tag remove-output or remove-cell)."""
    return bool({"remove-output", "remove-cell"} & set(cell["metadata"].get("tags", [])))


def _executed_figures(chapter: str) -> list[str]:
    """The MIME type of every figure the executed notebook (kept by the build) shows."""
    nb = _executed_notebook(chapter)
    return [
        next(kind for kind in FIGURE_TYPES if kind in out.get("data", {}))
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and not _removed(cell)
        for out in cell.get("outputs", [])
        if any(kind in out.get("data", {}) for kind in FIGURE_TYPES)
    ]


def test_toc_lists_intro_the_chapters_and_instructors() -> None:
    assert TOC[0] == "book/intro" and TOC[-1] == "book/instructors"
    assert CHAPTERS[:6] == [
        "notebooks/01_learning_is_optimization",
        "notebooks/02_gradient_descent_x2",
        "notebooks/03_convexity",
        "notebooks/04_curvature_conditioning",
        "notebooks/05_saddles_landscapes",
        "notebooks/06_stochastic_gradient_descent",
    ]
    assert "notebooks/07_momentum" in CHAPTERS[5:]
    assert (
        CHAPTERS.index("notebooks/08_adaptive_methods")
        == CHAPTERS.index("notebooks/07_momentum") + 1
    )
    assert "notebooks/09_schedules" in CHAPTERS[5:]
    assert (
        CHAPTERS.index("notebooks/09_schedules")
        == CHAPTERS.index("notebooks/08_adaptive_methods") + 1
    )
    assert "notebooks/10_stopping_rules" in CHAPTERS[8:]
    assert (
        CHAPTERS.index("notebooks/10_stopping_rules")
        == CHAPTERS.index("notebooks/09_schedules") + 1
    )
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    geometry = text.index("caption: Geometry")
    stochastic = text.index("caption: Stochastic optimization")
    assert text.index("caption: Foundations") < geometry < text.index("04_curvature_conditioning")
    assert text.index("04_curvature_conditioning") < text.index("05_saddles_landscapes")
    better = text.index("caption: Better steps")
    assert text.index("05_saddles_landscapes") < stochastic
    assert stochastic < text.index("06_stochastic_gradient_descent") < better
    assert better < text.index("07_momentum")
    assert (
        text.index("07_momentum") < text.index("08_adaptive_methods") < text.index("09_schedules")
    )
    assert better < text.index("09_schedules") < text.index("caption: For instructors")
    engineering = text.index("caption: Optimization as an engineering subsystem")
    assert text.index("09_schedules") < engineering < text.index("10_stopping_rules")
    assert text.index("10_stopping_rules") < text.index("11_training_diagnostics")
    assert "notebooks/11_training_diagnostics" in CHAPTERS[9:]
    assert text.index("11_training_diagnostics") < text.index("12_second_order_methods")
    # the diagnostic checklist (chapter 11's page to keep) is a part of its own, unnumbered
    practitioners = text.index("caption: For practitioners")
    assert text.index("12_second_order_methods") < practitioners
    assert practitioners < text.index("book/diagnostic_checklist")
    assert text.index("book/diagnostic_checklist") < text.index("caption: For instructors")
    assert CHAPTERS.index("notebooks/12_second_order_methods") > CHAPTERS.index(
        "notebooks/11_training_diagnostics"
    )
    assert all((ROOT / f"{f}.ipynb").is_file() or (ROOT / f"{f}.md").is_file() for f in TOC)
    assert not (SITE / "solutions").exists() and not (SITE / "exercises").exists()


@pytest.mark.parametrize("page", TOC)
def test_every_page_exists_without_errors(page: str) -> None:
    html, parsed = _parse(f"{page}.html")
    flat = " ".join(parsed.classes)
    for bad in ("traceback", "stderr", "system-message", "problematic"):
        assert not re.search(rf"\b{bad}\b", flat), f"{page}: an element of class {bad!r}"
    assert "Traceback (most recent call last)" not in html, f"{page} shows a traceback"
    assert not re.search(r"\bError\b:", re.sub(r"<[^>]+>", "", html)), f"{page} shows an Error:"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_all_its_figures(chapter: str) -> None:
    _, page = _parse(f"{chapter}.html")
    expected = len(_executed_figures(chapter))
    assert expected >= 1, f"{chapter} must have at least one figure"
    assert page.output_imgs == expected, f"{chapter}: {page.output_imgs} of {expected} figures"
    for img in page.imgs:
        src = img.get("src", "")
        if src.startswith("data:"):
            assert len(src) > 100
            continue
        target = (SITE / chapter).parent / src
        assert target.is_file() and target.stat().st_size > 0, f"{chapter}: broken image {src}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_launch_repository_and_download_buttons(chapter: str) -> None:
    html, page = _parse(f"{chapter}.html")
    hrefs = [a.get("href", "") for a in page.links]
    nb = f"{chapter}.ipynb"
    assert any("mybinder.org" in h and h.endswith(nb) for h in hrefs), "Binder launch button"
    assert any("colab.research.google.com" in h and h.endswith(nb) for h in hrefs), "Colab button"
    assert "btn-source-repository-button" in html, "repository button"
    downloads = [h for h in hrefs if h.endswith(".ipynb") and "_sources" in h]
    assert downloads, ".ipynb download button"
    assert ((SITE / chapter).parent / downloads[0]).is_file(), "the .ipynb download is missing"
    assert "mjx" in html or "mathjax" in html.lower(), "MathJax is not loaded"


def test_chapter2_has_explorer_math_exercises_and_references() -> None:
    chapter = "notebooks/02_gradient_descent_x2"
    if chapter not in CHAPTERS:
        pytest.fail(f"{chapter} is not in _toc.yml")
    html, page = _parse(f"{chapter}.html")
    assert html.count('class="optcourse-explorer"') == 1
    assert 'class="oc-data"' in html and "oc-eta" in html
    assert html.count('class="math notranslate nohighlight"') >= 10, "display and inline math"
    exercises = [c for c in page.classes if "exercise" in c.split()]
    solutions = [c for c in page.classes if "solution" in c.split()]
    assert len(exercises) >= 4 and len(solutions) == len(exercises)
    assert all("dropdown" in c.split() for c in solutions), "solutions must be hidden in dropdowns"
    assert re.search(r"Cauchy.{0,200}1847", html, flags=re.S), "the bibliography entry"
    assert "??" not in re.sub(r"<[^>]+>", "", html), "an unresolved reference"


# --- the site as a product: self-contained, lean, sharp, findable -------------------------------

#: Every page of the built site (not the theme's own HTML snippets under _static).
PAGES = sorted(
    p.relative_to(SITE).as_posix()
    for p in SITE.rglob("*.html")
    if p.relative_to(SITE).parts[0] not in ("_static", "_sources", "_images")
)
#: Tag and attribute pairs by which a page loads something (a plain <a href> link loads nothing).
_LOADS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "track": ("src",),
}


class _Loads(HTMLParser):
    """Collects every URL a page loads through a tag attribute or a CSS url() / @import."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value and name in _LOADS.get(tag, ()):
                for url in value.split(",") if name == "srcset" else [value]:
                    self.urls.append((f"<{tag} {name}>", url.strip().split(" ")[0]))
            if name == "style" and value:
                self.handle_data(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data: str) -> None:
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", data):
            self.urls.append(("css", url[0] or url[1]))


def _loads(rel_html: str) -> list[tuple[str, str]]:
    parser = _Loads()
    parser.feed((SITE / rel_html).read_text(encoding="utf-8"))
    return parser.urls


def test_the_site_has_pages_to_check() -> None:
    assert len(PAGES) >= len(TOC) + 2, PAGES  # the toc's pages, the root page, search, genindex
    assert "index.html" in PAGES and "search.html" in PAGES


@pytest.mark.parametrize("page", PAGES or ["(no built site)"])
def test_page_loads_nothing_from_another_host(page: str) -> None:
    """No script, style sheet, image or font comes from a CDN: the site works offline."""
    remote = [(how, url) for how, url in _loads(page) if re.match(r"(?i)(https?:)?//", url)]
    assert not remote, f"{page} loads from other hosts: {remote}"
    for how, url in _loads(page):
        if url.startswith(("data:", "#")):
            continue
        target = ((SITE / page).parent / url.split("?", 1)[0].split("#", 1)[0]).resolve()
        assert target.is_file(), f"{page}: {how} {url} does not exist in the built site"


def test_mathjax_and_widget_scripts_are_served_by_the_site() -> None:
    vendor = SITE / "_static" / "vendor"
    for rel in (
        "mathjax/tex-mml-chtml.js",
        "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "mathjax/input/tex/extensions/boldsymbol.js",  # loaded on demand by \boldsymbol
        "require.js",
        "html-manager/embed-amd.js",
    ):
        assert (vendor / rel).is_file(), f"_static/vendor/{rel} is missing"
    # the widget manager's icon fonts sit beside it (a page with a widget asked for six of them),
    # and widgets-setup.js tells require.js to look for them there
    assert len(list((vendor / "html-manager").glob("*.woff*"))) >= 6
    assert (SITE / "_static" / "widgets-setup.js").is_file()
    html = (SITE / "notebooks/01_learning_is_optimization.html").read_text(encoding="utf-8")
    assert re.search(r'src="\.\./_static/vendor/mathjax/tex-mml-chtml\.js(\?v=[0-9a-f]+)?"', html)


@pytest.mark.parametrize("page", PAGES or ["(no built site)"])
def test_pages_that_show_no_widget_carry_no_widget_state(page: str) -> None:
    html = (SITE / page).read_text(encoding="utf-8")
    if "application/vnd.jupyter.widget-view+json" in html:  # a page that shows a widget (none yet)
        assert "application/vnd.jupyter.widget-state+json" in html
        assert "_static/vendor/html-manager/embed-amd.js" in html, f"{page}: widget manager"
        return
    assert "application/vnd.jupyter.widget-state+json" not in html, f"{page}: widget state"
    assert "embed-amd.js" not in html and "require.js" not in html, f"{page}: widget scripts"


def test_chapter2_live_explorer_is_executed_but_leaves_nothing_in_the_page() -> None:
    """The live ipywidgets cell runs in the build (its output is removed), yet the page is lean."""
    chapter = "notebooks/02_gradient_descent_x2"
    nb = _executed_notebook(chapter)
    removed_views = [
        out
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and _removed(cell)
        for out in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    assert removed_views, "chapter 2's hidden live explorer cell no longer makes a widget"
    html = (SITE / f"{chapter}.html").read_text(encoding="utf-8")
    assert "widget-state" not in html and "jupyter-widgets" not in html
    # the page before this fix was 320 KB, 72 KB of it widget state nobody could see
    assert len(html.encode()) < 280_000, f"chapter 2 weighs {len(html.encode())} bytes"
    # the static explorer is still there, its sliders announce values (aria-valuetext)
    assert 'aria-valuetext="η = 0.1"' in html and 'aria-valuetext="x₀ = 5"' in html


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_figures_are_reproducible_svg(chapter: str) -> None:
    """Figures are vector (sharp on any screen) and carry no date or random id."""
    kinds = _executed_figures(chapter)
    assert kinds and set(kinds) == {"image/svg+xml"}, f"{chapter}: {kinds}"
    _, page = _parse(f"{chapter}.html")
    svgs = [
        img["src"] for img in page.imgs if re.search(r"_images/[^/]+\.svg$", img.get("src", ""))
    ]
    assert len(svgs) == len(kinds)
    for src in svgs:
        text = ((SITE / chapter).parent / src).read_text(encoding="utf-8")
        assert "<dc:date>" not in text, f"{src} records its creation date"


_FIGURE_CELL = """
import numpy as np
import matplotlib.pyplot as plt
from optcourse.objectives import Himmelblau
from optcourse.plotting import plot_contour

fig = plot_contour(Himmelblau(), {"path": np.array([[0.0, 0.0], [1.0, 1.5], [3.0, 2.0]])})
fig.axes[0].imshow(np.arange(16.0).reshape(4, 4), extent=(-1, 1, -1, 1));
"""


def test_figures_are_byte_identical_from_one_kernel_to_the_next() -> None:
    """Two fresh Jupyter kernels, as the build uses, render the same figure to the same bytes."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    figures = []
    for _ in range(2):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_FIGURE_CELL)])
        nbclient.NotebookClient(
            nb, timeout=120, resources={"metadata": {"path": str(REPO)}}
        ).execute()
        data = [out["data"] for out in nb.cells[0].outputs if "data" in out]
        assert len(data) == 1 and set(FIGURE_TYPES) & set(data[0]), [d.keys() for d in data]
        figures.append(data[0].get("image/svg+xml"))
    svg = figures[0]
    assert svg is not None, "the inline figure is not SVG"
    assert "clip-path" in svg and "<image" in svg  # element ids are hashed from svg.hashsalt
    assert figures[0] == figures[1], "two kernels rendered the same figure to different SVG"


@pytest.mark.parametrize("page", PAGES or ["(no built site)"])
def test_page_has_description_favicon_language_and_title(page: str) -> None:
    html = (SITE / page).read_text(encoding="utf-8")
    assert re.search(r'<meta name="description" content="[^"]{50,}"', html), f"{page}"
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', html), f"{page}: favicon"
    assert re.search(r'<html[^>]* lang="en"', html), f"{page}: no language"
    assert re.search(r"<title>[^<]+</title>", html), f"{page}: no title"
    assert (SITE / "_static" / "favicon.svg").is_file()


def test_root_page_sends_readers_to_the_first_page() -> None:
    html = (SITE / "index.html").read_text(encoding="utf-8")
    first = f"{TOC[0]}.html"
    assert f'http-equiv="Refresh" content="0; url={first}"' in html
    assert f'<a href="{first}">' in html and (SITE / first).is_file()


def test_chapter_6_shows_the_verification_script_passing_and_failing() -> None:
    """The chapter runs scripts/verify_linear_regression.py; the page must show its verdicts
    (a downloaded notebook without the script skips the cell, the book must not)."""
    html, _ = _parse("notebooks/06_stochastic_gradient_descent.html")
    text = re.sub(r"<[^>]+>", "", html)
    verdicts = re.findall(r"(\d+) of (\d+) checks passed", text)
    assert len(verdicts) == 2, verdicts
    (passed, total), (tight_passed, tight_total) = verdicts
    assert passed == total != "0"  # the ordinary run: every check passes
    assert int(tight_passed) < int(tight_total) and "FAILED" in text  # --tighten 1000 fails
    assert "full-batch GD" in text and "converged" in text and "max_iter" in text
