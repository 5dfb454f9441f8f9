"""The kernel, its plain-data conversion and the grader's file writing, piece by piece."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from optcourse.grading import results
from optcourse.grading.grade import hidden_paths
from optcourse.grading.isolation import repository_paths
from optcourse.grading.kernel import Kernel, KernelLimits, isolation_mode
from optcourse.grading.probe import NotPlainError, encode, to_plain

FAST = KernelLimits(cell_timeout=5, total_timeout=20)


def test_to_plain_keeps_numbers_and_reduces_subclasses():
    class Liar(float):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = float.__hash__

        def __float__(self) -> float:
            return 1e9

    assert to_plain(Liar(2.5)) == 2.5 and type(to_plain(Liar(2.5))) is float
    assert to_plain((1, np.float32(0.5), np.int64(3), True)) == [1, 0.5, 3, True]
    assert to_plain(np.arange(4.0).reshape(2, 2)) == [[0.0, 1.0], [2.0, 3.0]]
    assert to_plain({"a": [None, "x"]}) == {"a": [None, "x"]}
    assert math.isnan(to_plain(float("nan")))


def test_to_plain_reads_what_containers_really_store():
    """Subclasses of list, dict and ndarray with forged iteration or conversion methods."""

    class FakeList(list):
        def __iter__(self):
            return iter([42])

    class FakeDict(dict):
        def items(self):
            return [("x", 42)]

        def __iter__(self):
            return iter(["x"])

        def __getitem__(self, key):
            return 42

    class FakeArray(np.ndarray):
        def tolist(self):
            return 42

        def __array__(self, dtype=None, copy=None):
            return np.array(42)

    assert to_plain(FakeList([41, 40])) == [41, 40]
    assert to_plain(FakeDict(x=41)) == {"x": 41}
    assert to_plain(np.array([41.0, 40.0]).view(FakeArray)) == [41.0, 40.0]
    assert to_plain((FakeList([1]), FakeDict(y=2))) == [[1], {"y": 2}]


def test_to_plain_refuses_huge_integers_and_deep_nesting():
    """A million-digit int would make the grader's ``json.loads`` refuse the reply (and the
    grader wait for it until the time limit); deep nesting would exhaust its recursion."""
    assert to_plain(2**4096 - 1) == 2**4096 - 1
    with pytest.raises(NotPlainError, match="4096 bits"):
        to_plain(2**4096)
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(NotPlainError, match="nested"):
        to_plain(deep)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (1 + 2j, "complex"),
        (np.array([1j]), "dtype complex"),
        ({1: 2}, "dict key"),
        (object(), "type object"),
        ([0] * 2_000_000, "elements"),
        ("x" * 200_000, "longer"),
    ],
)
def test_to_plain_refuses_what_is_not_plain_data(value, words):
    with pytest.raises(NotPlainError, match=words):
        to_plain(value)


def test_encode_is_json_the_grader_can_read():
    value = {"id": 3, "ok": True, "value": [1, -2.5e-300, math.inf, -math.inf, 'é\n"', None]}
    back = json.loads(encode(value))
    assert back["value"][:4] == [1, -2.5e-300, math.inf, -math.inf]
    assert back["value"][4:] == ['é\n"', None]
    with pytest.raises(NotPlainError):
        encode({"value": object()})


def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="cell_timeout"):
        KernelLimits(cell_timeout=0)
    with pytest.raises(ValueError, match="memory"):
        KernelLimits(memory=-1)


def test_prints_are_captured_apart_from_the_replies():
    with Kernel(limits=FAST) as kernel:
        reply = kernel.execute('print(\'hello\')\nprint(\'{"id": 1, "ok": true, "value": 42}\')')
        assert reply.ok and reply.value is None
        assert kernel.probe("1 + 1").value == 2
        assert kernel.probe("...").exc == "Unanswered"
        assert kernel.probe("undefined_name").exc == "NameError"
    # read after closing: the prints are drained by a thread, joined when the kernel closes
    assert "hello" in kernel.output


def test_total_time_limit_stops_the_notebook():
    limits = KernelLimits(cell_timeout=5, total_timeout=1.5)
    with Kernel(limits=limits) as kernel:
        assert kernel.execute("import time\ntime.sleep(1.0)").ok
        late = kernel.execute("time.sleep(1.0)")
        assert late.kind == "timeout" and "whole notebook" in late.error
        assert not kernel.alive
        assert kernel.probe("1").kind == "dead"


@pytest.mark.skipif(isolation_mode() not in ("root-ns", "user-ns"), reason="needs namespaces")
def test_namespaces_hide_files_processes_and_network(tmp_path):
    secret = tmp_path / "hidden"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    os.chmod(tmp_path, 0o755)
    os.chmod(secret, 0o755)
    with Kernel(limits=FAST, hide=[secret]) as kernel:
        listing = kernel.probe(f"__import__('os').listdir({str(secret)!r})")
        # absent from the kernel's private root, or covered by an empty mount, or closed
        assert listing.value == [] or listing.exc in ("FileNotFoundError", "PermissionError")
        pids = kernel.probe("[p for p in __import__('os').listdir('/proc') if p.isdigit()]")
        assert pids.ok and len(pids.value) <= 2
        net = "__import__('socket').create_connection(('192.0.2.1', 80), timeout=1)"
        assert kernel.probe(net).exc in ("OSError", "TimeoutError")


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    results.atomic_write(target, "old")

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        results.atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_hidden_paths_cover_the_master_folder_and_git(tmp_path):
    repo = tmp_path / "course"
    (repo / ".git").mkdir(parents=True)
    (repo / "solutions").mkdir()
    master = repo / "solutions" / "01.ipynb"
    master.write_text("{}")
    out = tmp_path / "out"
    hide = hidden_paths(master, [out])
    # plus, for an editable install, the package's own checkout (tests/test_grading_private.py)
    assert set(hide) - set(repository_paths()) == {repo / "solutions", repo / ".git", out}
    assert all(isinstance(p, Path) for p in hide)


def test_the_watchdog_kills_a_kernel_past_its_total_time():
    """The total time is enforced from outside the kernel: even when the grader sends nothing
    (its thread busy elsewhere), the kernel is killed once the total time and the grace are up."""
    from optcourse.grading import kernel as kernel_module

    limits = KernelLimits(cell_timeout=5, total_timeout=1)
    with Kernel(limits=limits) as k:
        proc = k._proc
        assert proc is not None and proc.poll() is None
        deadline = time.monotonic() + 1 + kernel_module.WATCHDOG_GRACE + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is not None
        assert "longer than 1 s" in (k.death or "")
        assert k.execute("x = 1").kind == "dead"


def test_a_delegated_cgroup_v2_is_found_and_configured(tmp_path, monkeypatch):
    """cgroup v2 cannot be tried on every machine: a folder standing for the grader's own
    cgroup (memory controller available, not yet enabled for its children) checks how the
    hierarchy is found, the controllers enabled, the limits written and the counters read."""
    from optcourse.grading import cgroups

    mount = tmp_path / "cgroup2"
    own = mount / "user.slice" / "grader"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text("cpu io memory pids\n")
    (own / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(cgroups, "_own_cgroups", lambda: {"": "/user.slice/grader"})
    monkeypatch.setattr(
        cgroups, "_cgroup_mounts", lambda: [("/", str(mount), "cgroup2", "rw,nsdelegate")]
    )
    hierarchy = cgroups.own_hierarchy()
    assert hierarchy == cgroups.Hierarchy(2, own)
    assert (own / "cgroup.subtree_control").read_text() == "+pids"  # +memory, then +pids

    kernel_cgroup = cgroups.KernelCgroup(hierarchy, 256 * 1024**2, 16)
    assert kernel_cgroup.folder.parent == own
    assert (kernel_cgroup.folder / "memory.max").read_text() == str(256 * 1024**2)
    assert not (kernel_cgroup.folder / "memory.swap.max").exists()  # optional: only if offered
    (kernel_cgroup.folder / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n")
    (kernel_cgroup.folder / "memory.peak").write_text("123456\n")
    assert kernel_cgroup.oom_kills() == 1 and kernel_cgroup.peak() == 123456
    assert kernel_cgroup.procs == kernel_cgroup.folder / "cgroup.procs"


def test_no_cgroup_without_a_memory_controller(tmp_path, monkeypatch):
    from optcourse.grading import cgroups

    own = tmp_path / "grader"
    own.mkdir()
    (own / "cgroup.controllers").write_text("cpu io pids\n")  # e.g. this project's CI (hugetlb)
    (own / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(cgroups, "_own_cgroups", lambda: {"": "/grader"})
    monkeypatch.setattr(cgroups, "_cgroup_mounts", lambda: [("/", str(tmp_path), "cgroup2", "")])
    assert cgroups.own_hierarchy() is None
    monkeypatch.setenv(cgroups.MEMORY_ENV, "rlimit")
    cgroups.memory_control.cache_clear()
    try:
        assert cgroups.memory_control() is None
    finally:
        cgroups.memory_control.cache_clear()


def test_mountinfo_fields_are_unescaped():
    from optcourse.grading.cgroups import _unescape

    assert _unescape(r"/sys/fs/cgroup/with\040space") == "/sys/fs/cgroup/with space"
    assert _unescape("/caf\u00e9") == "/caf\u00e9"


def test_a_timed_out_probe_is_interrupted_even_when_the_grader_ignores_sigint():
    # A grader started as a background job (or under nohup) ignores SIGINT, and a child inherits
    # that; the kernel must still turn the interrupt into KeyboardInterrupt and stay alive.
    import signal

    from optcourse.grading.kernel import Kernel, KernelLimits

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with Kernel(limits=KernelLimits(cell_timeout=20, total_timeout=60)) as kernel:
            assert kernel.execute("def spin():\n    while True:\n        pass").ok
            reply = kernel.probe("spin()", 1.0)
            assert not reply.ok and reply.kind == "timeout"
            assert kernel.alive
            assert kernel.probe("1 + 1", 5.0).value == 2
    finally:
        signal.signal(signal.SIGINT, previous)
