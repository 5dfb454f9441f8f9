"""Memory per submission: each kernel in its own cgroup, where the machine allows it.

An address-space limit (``RLIMIT_AS``) bounds each *process*: a submission that forks four
children holds four times the limit. A cgroup bounds the memory of all the processes of one
kernel together. :func:`memory_control` finds, once, whether the grader may create cgroups
below its own (cgroup v2 with the ``memory`` controller delegated, or the v1 ``memory``
hierarchy) and checks that a process can join one; :class:`KernelCgroup` is the cgroup of one
kernel: created with the limit by the grader, joined by the kernel before any student code
runs, emptied and removed when the kernel ends. Without a usable cgroup the kernel falls back to
per-process limits and a bound on its number of processes (see
:func:`optcourse.grading.kernel.memory_enforcement`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Environment variable: ``rlimit`` never uses a cgroup (``auto``, the default, uses one when
#: the machine allows it).
MEMORY_ENV = "OPTCOURSE_GRADING_MEMORY"


@dataclass(frozen=True)
class Hierarchy:
    """Where the kernels' cgroups are created: below ``folder`` (the grader's own cgroup) in a
    cgroup hierarchy of ``version`` 1 or 2."""

    version: int
    folder: Path


def _unescape(field: str) -> str:
    """A path field of ``/proc/self/mountinfo`` (spaces and the like are octal escapes)."""
    return field.encode().decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def _cgroup_mounts() -> list[tuple[str, str, str, str]]:
    """(root, mount point, file system type, super options) of every cgroup mount."""
    mounts = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        mounts.append((_unescape(fields[3]), _unescape(fields[4]), tail[0], tail[2]))
    return mounts


def _own_cgroups() -> dict[str, str]:
    """The grader's cgroup per hierarchy: key ``""`` for v2, ``"memory"`` for the v1 memory
    hierarchy (from ``/proc/self/cgroup``)."""
    own = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            own[""] = parts[2]
        elif "memory" in parts[1].split(","):
            own["memory"] = parts[2]
    return own


def _folder(cgroup: str, root: str, mount_point: str) -> Path | None:
    """The folder of ``cgroup`` under a mount of the hierarchy whose root is ``root``."""
    cg, base = Path(cgroup), Path(root)
    if not cg.is_relative_to(base):
        return None
    folder = Path(mount_point) / cg.relative_to(base)
    return folder if folder.is_dir() else None


def _v2_ready(folder: Path) -> bool:
    """Whether children of ``folder`` can get the memory controller (enabling it if needed:
    this fails while the folder holds processes, unless it is the root)."""
    try:
        if "memory" not in (folder / "cgroup.controllers").read_text().split():
            return False
        if "memory" not in (folder / "cgroup.subtree_control").read_text().split():
            (folder / "cgroup.subtree_control").write_text("+memory")
        with contextlib.suppress(OSError):  # a process-count limit too, when available
            if "pids" not in (folder / "cgroup.subtree_control").read_text().split():
                (folder / "cgroup.subtree_control").write_text("+pids")
    except OSError:
        return False
    return True


def own_hierarchy() -> Hierarchy | None:
    """The grader's own cgroup, when kernels' cgroups with a memory limit can go below it."""
    own = _own_cgroups()
    mounts = _cgroup_mounts()
    for root, point, kind, _ in mounts:
        if kind == "cgroup2" and "" in own:
            folder = _folder(own[""], root, point)
            if folder is not None and os.access(folder, os.W_OK) and _v2_ready(folder):
                return Hierarchy(2, folder)
    for root, point, kind, options in mounts:
        if kind == "cgroup" and "memory" in options.split(",") and "memory" in own:
            folder = _folder(own["memory"], root, point)
            if (
                folder is not None
                and os.access(folder, os.W_OK)
                and (folder / "memory.limit_in_bytes").exists()
            ):
                return Hierarchy(1, folder)
    return None


class KernelCgroup:
    """The cgroup of one kernel: ``memory`` bytes for all its processes together (no swap), and
    at most ``nproc`` tasks where the ``pids`` controller is available (cgroup v2)."""

    def __init__(self, hierarchy: Hierarchy, memory: int, nproc: int) -> None:
        self.hierarchy = hierarchy
        self.folder = hierarchy.folder / f"optcourse-kernel-{secrets.token_hex(8)}"
        self.folder.mkdir(mode=0o755)
        try:
            if hierarchy.version == 2:
                self._write("memory.max", memory)
                self._write("memory.swap.max", 0, optional=True)
                self._write("pids.max", nproc, optional=True)
            else:
                self._write("memory.limit_in_bytes", memory)
                self._write("memory.memsw.limit_in_bytes", memory, optional=True)
        except BaseException:
            self.remove()
            raise

    def _write(self, name: str, value: int, optional: bool = False) -> None:
        path = self.folder / name
        if optional and not path.exists():
            return
        try:
            path.write_text(str(value))
        except OSError:
            if not optional:
                raise

    @property
    def procs(self) -> Path:
        """The file a process writes ``0`` into to join the cgroup."""
        return self.folder / "cgroup.procs"

    def _read(self, name: str) -> str:
        try:
            return (self.folder / name).read_text()
        except OSError:
            return ""

    def oom_kills(self) -> int:
        """How many of the kernel's processes the kernel's memory limit killed."""
        name = "memory.events" if self.hierarchy.version == 2 else "memory.oom_control"
        for line in self._read(name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def peak(self) -> int | None:
        """The most memory the kernel's processes held together, in bytes (None if unknown)."""
        name = "memory.peak" if self.hierarchy.version == 2 else "memory.max_usage_in_bytes"
        text = self._read(name).strip()
        return int(text) if text.isdigit() else None

    def pids(self) -> list[int]:
        """The processes in the cgroup now."""
        return [int(p) for p in self._read("cgroup.procs").split() if p.isdigit()]

    def remove(self) -> None:
        """Kill every process still in the cgroup and remove it; never raises."""
        for _ in range(100):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        for _ in range(50):
            try:
                self.folder.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # busy while the last processes exit
                time.sleep(0.1)


_JOIN = "import sys; open(sys.argv[1], 'w').write('0'); print(open('/proc/self/cgroup').read())"


@functools.cache
def memory_control() -> Hierarchy | None:
    """The hierarchy where kernels get a memory cgroup, probed once (None: no cgroup here, or
    ``OPTCOURSE_GRADING_MEMORY=rlimit``). A test cgroup is created, joined by a short-lived
    process and removed."""
    forced = os.environ.get(MEMORY_ENV, "auto")
    if forced not in ("auto", "rlimit"):
        raise ValueError(f"{MEMORY_ENV} must be 'auto' or 'rlimit', got {forced!r}")
    hierarchy = own_hierarchy() if forced == "auto" else None
    if hierarchy is None:
        return None
    try:
        cgroup = KernelCgroup(hierarchy, 256 * 1024**2, 16)
    except OSError:
        return None
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _JOIN, str(cgroup.procs)],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        joined = done.returncode == 0 and cgroup.folder.name in done.stdout
    except (OSError, subprocess.SubprocessError):
        joined = False
    finally:
        cgroup.remove()
    return hierarchy if joined else None
