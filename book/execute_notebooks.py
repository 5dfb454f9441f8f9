"""Execute the book's chapters in parallel into the build's execution cache, before Sphinx runs.

`make book` calls this first. Jupyter Book 1 (myst-nb's ``execute_notebooks: cache`` mode) runs
the chapters one after another while it reads them; with nine chapters that serial execution is
most of a clean build. This script executes every chapter that the cache does not hold yet, in
parallel worker processes, exactly as myst-nb would (jupyter-cache's ``single_nb_execution`` in
the notebook's own folder, the timeout from ``_config.yml``), and stores each result in
``_build/.jupyter_cache`` the way myst-nb does. The build then finds every chapter cached.

A chapter that fails here is not stored: the build executes it again and reports the error in its
usual way (``-W`` fails the build), so nothing is hidden. Writes to the cache's database happen
in this process only, one after another.

Usage: ``python book/execute_notebooks.py [--jobs N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"


def chapters() -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [entry["file"] for part in toc.get("parts", []) for entry in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def _timeout() -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return int(config.get("execute", {}).get("timeout", 30))


def _execute(path: str, timeout: int) -> tuple[str, Any, float, str | None]:
    """Run one notebook in its folder; return (path, executed notebook, seconds, error)."""
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb, cwd=str(Path(path).parent), allow_errors=False, timeout=timeout, meta_override=True
    )
    error = None if result.err is None else f"{type(result.err).__name__}: {result.err}"
    return path, nb, result.time, error


def main(argv: list[str] | None = None) -> int:
    """Execute the uncached chapters with ``--jobs`` workers; always exit 0 (the build decides)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    ap.add_argument("--jobs", type=int, default=default_jobs, help="worker processes")
    args = ap.parse_args(argv)
    cache = get_cache(str(CACHE))
    todo = []
    for path in chapters():
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo or args.jobs < 2:
        return 0  # nothing to do, or no gain: the build executes serially as usual
    print(f"executing {len(todo)} chapter(s) with {args.jobs} workers", flush=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        timeout = _timeout()
        jobs = [pool.submit(_execute, str(p), timeout) for p in reversed(todo)]  # later: longer
        for job in jobs:
            path, nb, seconds, error = job.result()
            name = Path(path).relative_to(ROOT)
            if error is not None:
                print(f"  {name}: failed ({error.splitlines()[0]}); the build will report it")
                continue
            record = cache.add_nb_to_project(path)
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, record.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            print(f"  {name}: {seconds:.1f} s", flush=True)
    print(f"executed in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
