"""The setup cell every chapter and exercise notebook starts with (its first code cell).

Where ``optcourse`` imports, the cell does nothing; where it does not (Colab, Binder before the
install, a downloaded notebook) it pip-installs the package, with the extras the notebook needs,
from the repository named in ``_config.yml`` (``repository.url``), and says so in one line.
``OPTCOURSE_SOURCE`` overrides where it installs from (a git URL or a local checkout path).

The cell's text is generated here (:func:`setup_source`), so it is the same in every notebook but
for the extras. To change it, edit :data:`TEMPLATE` and run
``python tests/test_notebooks_setup.py``: it rewrites the setup cell of every notebook in
``notebooks/`` and ``solutions/`` (then run ``optcourse assign --all`` for ``exercises/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p.relative_to(REPO).as_posix()
    for folder in ("notebooks", "solutions", "exercises")
    for p in (REPO / folder).glob("*.ipynb")
)
SETUP_TAG = "remove-cell"  # hidden in the book
SETUP_ID = "optcourse-setup"

TEMPLATE = """\
# Setup (hidden in the book): pip install optcourse where it is missing (Colab, Binder, a download).
# OPTCOURSE_SOURCE, if set, is installed instead: a pip URL or a local checkout's path.
try:
    import optcourse  # noqa: F401
except ImportError:
    import importlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    source = os.environ.get("OPTCOURSE_SOURCE", "git+{url}")
    if Path(source).is_dir():
        source = Path(source).resolve().as_uri()
    print(f"Installing {package} from {{source}} (optcourse was not found)")
    pip = [sys.executable, "-m", "pip", "install", "-q", f"{package} @ {{source}}"]
    subprocess.run(pip, check=True)
    importlib.invalidate_caches()"""


def repository_url() -> str:
    """``repository.url`` of ``_config.yml``: the one place the repository's address lives."""
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"]
    assert isinstance(url, str) and url.startswith("https://"), url
    return url


def extras_needed(nb: nbformat.NotebookNode) -> list[str]:
    """The optcourse extras a notebook needs: ``widgets`` where it imports ``optcourse.widgets``
    (the live explorer), ``data`` where it imports ``sklearn`` (scikit-learn's bundled data sets)
    or ``scipy`` (chapter 12's comparison with SciPy's L-BFGS-B),
    ``grading`` where it uses ``optcourse.exercise`` (``check_all`` reads the notebook file with
    nbformat)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    extras = []
    if "optcourse.widgets" in code:
        extras.append("widgets")
    # scikit-learn's data sets and SciPy (chapter 12's L-BFGS-B) both come with the data extra
    if any(
        f"{verb} {module}" in code for verb in ("from", "import") for module in ("sklearn", "scipy")
    ):
        extras.append("data")
    if "optcourse.exercise" in code:
        extras.append("grading")
    return extras


def setup_source(extras: list[str], url: str) -> str:
    """The text of the setup cell for a notebook needing ``extras``."""
    package = "optcourse" + (f"[{','.join(extras)}]" if extras else "")
    return TEMPLATE.format(url=url, package=package)


def _first_code_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_first_code_cell_is_the_setup_cell(path: str) -> None:
    nb = nbformat.read(REPO / path, as_version=4)
    cell = _first_code_cell(nb)
    assert cell.source == setup_source(extras_needed(nb), repository_url()), (
        f"{path}: the first code cell is not the setup cell"
        " (run python tests/test_notebooks_setup.py, then optcourse assign --all)"
    )
    assert SETUP_TAG in cell.metadata.get("tags", []), f"{path}: the setup cell is not hidden"
    assert f'git+{repository_url()}"' in cell.source  # the URL of _config.yml, verbatim


def test_every_notebook_is_covered() -> None:
    assert {p.split("/")[0] for p in NOTEBOOKS} == {"notebooks", "solutions", "exercises"}
    assert len(NOTEBOOKS) >= 9


def test_chapter_6_installs_the_data_extra() -> None:
    nb = nbformat.read(REPO / "notebooks/06_stochastic_gradient_descent.ipynb", as_version=4)
    assert 'f"optcourse[data] @ {source}"' in _first_code_cell(nb).source


def test_chapter_2_installs_the_widgets_extra() -> None:
    nb = nbformat.read(REPO / "notebooks/02_gradient_descent_x2.ipynb", as_version=4)
    assert 'f"optcourse[widgets] @ {source}"' in _first_code_cell(nb).source


def test_chapter_9_installs_the_data_extra() -> None:
    nb = nbformat.read(REPO / "notebooks/09_schedules.ipynb", as_version=4)
    assert 'f"optcourse[data] @ {source}"' in _first_code_cell(nb).source


def test_chapter_11_installs_the_data_extra() -> None:
    nb = nbformat.read(REPO / "notebooks/11_training_diagnostics.ipynb", as_version=4)
    assert 'f"optcourse[data] @ {source}"' in _first_code_cell(nb).source


def rewrite(path: Path, url: str) -> bool:
    """Put the setup cell first among the code cells of ``path`` (replace it if there); return
    whether the file changed."""
    nb = nbformat.read(path, as_version=4)
    first = _first_code_cell(nb)
    index = nb.cells.index(first)
    if first.get("id") == SETUP_ID:
        del nb.cells[index]
    cell = nbformat.v4.new_code_cell(source="", id=SETUP_ID, metadata={"tags": [SETUP_TAG]})
    nb.cells.insert(index, cell)
    cell.source = setup_source(extras_needed(nb), url)
    old = path.read_text(encoding="utf-8")
    new = nbformat.writes(nb, version=4) + "\n"
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


if __name__ == "__main__":
    url = repository_url()
    for rel in NOTEBOOKS:
        if not rel.startswith("exercises/") and rewrite(REPO / rel, url):
            print(f"updated {rel}")
    sys.exit(0)
