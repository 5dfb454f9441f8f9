"""The shared torch reference trajectories (``shared/reference/torch_reference.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def reference_path() -> Path:
    """The shared torch reference file: beside the clone, or at its fixed location."""
    for path in (
        Path(__file__).resolve().parents[2] / "shared/reference/torch_reference.json",
        Path("/work/shared/reference/torch_reference.json"),
    ):
        if path.is_file():
            return path
    raise FileNotFoundError("shared/reference/torch_reference.json not found beside the repo")


def load_torch_reference() -> dict[str, Any]:
    """Return the parsed reference file."""
    data: dict[str, Any] = json.loads(reference_path().read_text())
    return data
