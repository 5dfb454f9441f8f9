"""The torch reference trajectories the tests compare against (``tests/data/torch_reference.json``).

The file is written by ``tests/data/make_torch_reference.py`` (which needs torch); the tests only
read it, so torch is never needed to run them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "torch_reference.json"


def load_torch_reference() -> dict[str, Any]:
    """Return the parsed reference file."""
    data: dict[str, Any] = json.loads(REFERENCE_FILE.read_text())
    return data
