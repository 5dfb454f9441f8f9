"""What the chapters look like as pages: titles, citations and figures.

The source checks run always. The figure checks read the built book in ``_build/html`` (built
first when missing, see ``tests/book.py``). Set ``OPTCOURSE_BUILD_DIR`` to check a build elsewhere.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tests.book import built_site

REPO = Path(__file__).resolve().parents[1]
SITE = built_site()
CHAPTERS = sorted((REPO / "notebooks").glob("*.ipynb"))
MASTERS = sorted((REPO / "solutions").glob("*.ipynb"))
PAGES = sorted((REPO / "book").glob("*.md"))


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _h1(text: str) -> list[str]:
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # not inside code blocks
    return re.findall(r"^# (.+)$", text, flags=re.M)


@pytest.mark.parametrize("path", CHAPTERS + MASTERS + PAGES, ids=lambda p: p.name)
def test_title_is_plain_text(path: Path) -> None:
    titles = _h1(_markdown(path))
    assert len(titles) == 1, f"{path.name}: {len(titles)} top-level headings"
    assert not re.search(r"[$\\]", titles[0]), f"{path.name}: TeX in the title {titles[0]!r}"


@pytest.mark.parametrize("path", CHAPTERS + PAGES, ids=lambda p: p.name)
def test_section_headings_have_no_tex(path: Path) -> None:
    """Section titles go into the search index and the page outline as plain text."""
    text = re.sub(r"^```.*?^```", "", _markdown(path), flags=re.M | re.S)
    headings = re.findall(r"^#{1,6} (.+)$", text, flags=re.M)
    assert headings
    assert not [h for h in headings if re.search(r"[$\\]", h)], f"{path.name}: {headings}"


@pytest.mark.parametrize("path", CHAPTERS + PAGES, ids=lambda p: p.name)
def test_citations_use_the_bibtex_roles(path: Path) -> None:
    text = _markdown(path)
    assert "{cite}`" not in text, f"{path.name}: use {{cite:p}} or {{cite:t}}, not {{cite}}"
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    hand = re.findall(r"[A-Z][a-z]+(?: et al\.| and [A-Z][a-z]+)?,? \(?(?:1[5-9]|20)\d\d\)?", prose)
    assert not hand, f"{path.name}: hand-written citations {hand}"


def test_chapter_2_graded_exercises_come_before_the_references() -> None:
    text = _markdown(REPO / "notebooks/02_gradient_descent_x2.ipynb")
    assert text.index("**Graded exercises.**") < text.index("## References")


class _Figures(HTMLParser):
    """The <img> tags inside the page's <article>, each with whether it sits in a <figure> that
    has a <figcaption>."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.imgs: list[dict[str, str]] = []
        self.figures: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "img":
            if "article" in self.stack:
                self.imgs.append(a)
                if self.figures and "figure" in self.stack:
                    self.figures[-1]["imgs"] += 1  # type: ignore[operator]
            return
        if tag in ("br", "meta", "link", "input", "hr", "source", "wbr"):
            return
        self.stack.append(tag)
        if tag == "figure":
            self.figures.append({"imgs": 0, "caption": ""})
        if tag == "figcaption" and self.figures:
            self.figures[-1]["caption"] = " "

    def handle_data(self, data: str) -> None:
        if "figcaption" in self.stack and self.figures:
            self.figures[-1]["caption"] = str(self.figures[-1]["caption"]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def _page(chapter: Path) -> _Figures:
    html = SITE / "notebooks" / (chapter.stem + ".html")
    assert html.is_file(), f"{chapter.name} has no page in the built book"
    parser = _Figures()
    parser.feed(html.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_alt_text_and_a_caption(chapter: Path) -> None:
    page = _page(chapter)
    assert page.imgs, f"{chapter.stem}: no figure"
    for img in page.imgs:
        alt, src = img.get("alt", "").strip(), img.get("src", "")
        assert len(alt.split()) >= 5, f"{chapter.stem}: {src} has no real alt text ({alt!r})"
        assert not re.search(r"[/\\]|\.(png|svg|jpe?g)\b", alt), f"{chapter.stem}: alt {alt!r}"
        assert alt != src
    assert sum(f["imgs"] for f in page.figures) == len(page.imgs)  # type: ignore[misc]
    for figure in page.figures:
        caption = str(figure["caption"]).strip()
        assert figure["imgs"] == 1 and len(caption.split()) >= 6, f"{chapter.stem}: {figure}"
