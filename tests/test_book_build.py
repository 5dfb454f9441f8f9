"""Checks on the built book in ``_build/html`` (``make book`` builds it before pytest runs).

Every page of ``_toc.yml`` exists; each chapter page shows all the figures its executed notebook
produced, with no error output or traceback; the launch, repository and download buttons are there;
chapter 2 carries its explorer and its exercises. Set ``OPTCOURSE_BUILD_DIR`` to check a build
elsewhere (the ``_toc.yml`` next to that ``_build`` folder is used).
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("OPTCOURSE_BUILD_DIR", REPO / "_build")).resolve()
SITE = BUILD / "html"
ROOT = BUILD.parent


def _toc_files() -> list[str]:
    """Every ``root:`` and ``file:`` entry of _toc.yml, in order (no YAML library needed)."""
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)\s*$", text, flags=re.M)


TOC = _toc_files()
CHAPTERS = [f for f in TOC if f.startswith("notebooks/")]


@pytest.fixture(scope="module", autouse=True)
def _built() -> None:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no built book: run `make book` first (it builds _build/html)")


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


def _executed_pngs(chapter: str) -> int:
    """How many PNG figures the executed notebook (kept by the build) contains."""
    nb = _executed_notebook(chapter)
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and "remove-output" not in cell["metadata"].get("tags", [])
        for out in cell.get("outputs", [])
    )


def test_toc_lists_intro_three_chapters_and_instructors() -> None:
    assert TOC[0] == "book/intro" and TOC[-1] == "book/instructors"
    assert CHAPTERS[:3] == [
        "notebooks/01_learning_is_optimization",
        "notebooks/02_gradient_descent_x2",
        "notebooks/03_convexity",
    ]
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
    expected = _executed_pngs(chapter)
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
