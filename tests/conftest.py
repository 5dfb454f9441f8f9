"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_site() -> Path:
    """``_build/html``: the built book. Without one, ``make book`` builds it first, so a bare
    ``pytest`` works before the book is built. ``OPTCOURSE_BUILD_DIR`` names another build,
    which is never built here."""
    given = os.environ.get("OPTCOURSE_BUILD_DIR")
    site = Path(given or REPO / "_build").resolve() / "html"
    if (site / "index.html").is_file():
        return site
    if given:
        pytest.fail(f"OPTCOURSE_BUILD_DIR={given} has no built book ({site}/index.html)")
    done = subprocess.run(
        ["make", "book"], cwd=REPO, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode or not (site / "index.html").is_file():
        pytest.fail(f"`make book` failed (exit {done.returncode}):\n{done.stdout[-4000:]}")
    return site
