"""The package's public face: what ``import optcourse`` exports, and the chapters' import style."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import optcourse

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(
    p for folder in ("notebooks", "solutions", "exercises") for p in (ROOT / folder).glob("*.ipynb")
)
#: Names the package exports; chapters and the README import these from ``optcourse`` itself.
TOP_LEVEL = {
    "minimize",
    "sweep",
    "lr_range_test",
    "OptimizeResult",
    "History",
    "Status",
    "Sweep",
    "RangeTest",
}


def test_the_package_exports_the_driver_the_sweep_and_the_result_types() -> None:
    assert set(optcourse.__all__) == TOP_LEVEL | {"__version__"}
    for name in TOP_LEVEL:
        item = getattr(optcourse, name)
        assert item.__doc__ and len(item.__doc__.strip()) > 40, name
        assert item.__module__.startswith("optcourse."), name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chapters_import_the_top_level_names_as_the_readme_does(path: Path) -> None:
    code = "\n".join(
        "".join(cell["source"])
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "code"
    )
    private = re.findall(
        r"from optcourse\.(minimize|sweep|range_test|result|status) import[^\n]*", code
    )
    assert not private, f"import these from optcourse itself: {private}"
    assert "import optcourse.minimize" not in code


def test_the_readme_uses_the_same_import_style() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "from optcourse import minimize" in readme
    assert "from optcourse.minimize import" not in readme
