"""Run every benchmark: each ``bench/bench_*.py`` module's ``main()``, in name order.

Run: ``python bench/run.py`` (``make bench``). A benchmark that fails is reported and the others
still run; the exit status is non-zero if any failed. Timings are printed, never asserted.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_module(path: Path) -> bool:
    """Import ``path`` and call its ``main()``; return True if it ran without an exception."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        print(f"cannot load {path}")
        return False
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        main = getattr(module, "main", None)
        if main is None:
            print(f"{path.name} has no main()")
            return False
        main()
    except Exception:
        traceback.print_exc()
        return False
    return True


def main() -> int:
    """Run all benchmarks; return the number that failed."""
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        print(f"==================== {path.name} ====================", flush=True)
        if not run_module(path):
            failed.append(path.name)
        print(flush=True)
    if failed:
        print("FAILED: " + ", ".join(failed))
    return len(failed)


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
