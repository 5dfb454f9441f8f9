"""Where the tests find the built book, building it first when there is none.

``make book`` builds ``_build/html`` before ``make test`` runs pytest. A bare ``pytest`` (or
``python -m pytest``) before any build would otherwise find no pages: :func:`built_site` then runs
``make book`` once, while the test modules that read the site are collected. ``OPTCOURSE_BUILD_DIR``
names another build folder to check; that one is never built here.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def built_site() -> Path:
    """The folder of the built HTML site (``<build dir>/html``), building it if it is missing."""
    given = os.environ.get("OPTCOURSE_BUILD_DIR")
    site = Path(given or REPO / "_build").resolve() / "html"
    if (site / "index.html").is_file():
        return site
    if given:
        pytest.fail(f"OPTCOURSE_BUILD_DIR={given} has no built book ({site}/index.html is missing)")
    done = subprocess.run(
        ["make", "book"], cwd=REPO, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode or not (site / "index.html").is_file():
        log = (done.stdout + done.stderr)[-4000:]
        pytest.fail(f"no built book, and `make book` failed (exit {done.returncode}):\n{log}")
    return site
