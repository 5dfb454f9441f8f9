"""Benchmark of ``optcourse grade``: one submission, and a class of 100 with ``--jobs 2``.

The goals (issue 5, on the 2-core development machine): one submission graded in under 2 s wall with
full isolation, 100 submissions with ``--jobs 2`` in under 150 s. For comparison, otter-grader's
``otter run`` was measured at 6.8-9.1 s per notebook and nbgrader at 1.3 s (no isolation).
Each figure is printed with its ratio to the time to start a bare ``python -c pass`` subprocess,
measured in the same process, so the numbers can be compared across machines.

Run: ``python bench/bench_grading.py`` (or ``make bench``). The class is made of copies of the first
master notebook (full marks) and of its student notebook (stubs), half each.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python_start() -> float:
    """Median wall time of ``python -c pass`` in a subprocess (the reference)."""
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _grade_cli(subs: list[Path], master: Path, out: Path, jobs: int) -> float:
    cmd = [sys.executable, "-m", "optcourse", "grade", *map(str, subs)]
    cmd += ["--assignment", str(master), "--out", str(out), "--jobs", str(jobs)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


def main(n_class: int = 100) -> dict[str, float]:
    """Print and return the timings (seconds) and ratios to the reference."""
    import nbformat

    from optcourse.assignment.assign import make_student_notebook
    from optcourse.assignment.master import load_assignment
    from optcourse.grading.grade import grade_submission
    from optcourse.grading.kernel import isolation_mode

    masters = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if not masters:
        print("bench_grading: no master notebook in solutions/, nothing to measure")
        return {}
    master = masters[0]
    ref = _python_start()
    work = Path(tempfile.mkdtemp(prefix="optcourse-bench-"))
    try:
        stub = work / "stub.ipynb"
        nbformat.write(make_student_notebook(nbformat.read(master, as_version=4)), stub)
        assignment = load_assignment(master)
        singles = []
        for _ in range(5):
            t0 = time.perf_counter()
            grade_submission(master, assignment)
            singles.append(time.perf_counter() - t0)
        one_inproc = statistics.median(singles)
        one_dir = work / "one"
        one_dir.mkdir()
        shutil.copy(master, one_dir / "alice.ipynb")
        one_cli = _grade_cli([one_dir / "alice.ipynb"], master, work / "out1", jobs=1)
        klass = work / "class"
        for i in range(n_class):
            (klass / f"s{i:03d}").mkdir(parents=True)
            shutil.copy(master if i % 2 == 0 else stub, klass / f"s{i:03d}" / master.name)
        many = _grade_cli([klass], master, work / "out100", jobs=2)
        resumed = _grade_cli([klass], master, work / "out100", jobs=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = {
        "python_start": ref,
        "one_submission_in_process": one_inproc,
        "one_submission_cli": one_cli,
        f"class_of_{n_class}_jobs2": many,
        f"class_of_{n_class}_resumed": resumed,
    }
    print(f"bench_grading ({master.name}, isolation {isolation_mode()})")
    print(f"  reference: python -c pass subprocess   {ref * 1000:8.1f} ms")
    print(
        f"  one submission (grader already loaded) {one_inproc:8.3f} s"
        f"  = {one_inproc / ref:6.1f} x reference   (goal < 2 s)"
    )
    print(
        f"  one submission, whole CLI              {one_cli:8.3f} s  = {one_cli / ref:6.1f} x ref"
    )
    print(
        f"  {n_class} submissions, --jobs 2            {many:8.2f} s"
        f"  = {many / ref:6.1f} x reference   (goal < 150 s)"
    )
    print(
        f"  {n_class} submissions, rerun (all skipped) {resumed:8.2f} s"
        f"  = {resumed / ref:6.1f} x reference"
    )
    return figures


if __name__ == "__main__":
    main()
