"""An isolated kernel for one student submission: a fresh, limited, unprivileged Python process.

:class:`Kernel` starts ``python -I`` running :mod:`optcourse.grading.probe` (together with the
value boundary :mod:`optcourse.plain`: see :func:`~optcourse.grading.probe.kernel_program`) in a
temporary folder that holds only a copy of the submission, sends it cells to execute and probe
expressions to evaluate, and reads back plain data over a private pipe. The grader never
unpickles anything: replies are parsed with ``json.loads`` and their size is capped.

What protects the grader (see :func:`isolation_mode`):

* **root** (CI, Gradescope): the kernel becomes a fresh unprivileged user id, so it cannot signal
  the grader or other kernels, nor read files that are not world-readable. When the machine allows
  it the kernel also gets its own mount, PID, network and IPC namespaces (``unshare``): it has no
  network, sees no process outside itself, and its root is a private file system holding only the
  system folders, the Python installation, the package and its own folder (see
  :func:`optcourse.grading.probe._private_root`), so the assignment master, the output folder, the
  other submissions and the repository are absent, even from ``/proc/self/mountinfo``. Where the
  private root cannot be built they are hidden under empty mounts instead.
* **not root**: with unprivileged user namespaces, the same namespaces (the kernel runs as your
  user, so it could still write where you can write); without them only the resource limits apply,
  and the System V IPC objects and POSIX queues the kernel created are removed after it.

Always: a new session/process group (killed as a whole), per-cell and total time limits, address
space, CPU time, file size and process-count limits, and a cap on captured output. Where the grader
may create cgroups, a memory cgroup limits all the kernel's processes together (see
:mod:`optcourse.grading.cgroups` and :func:`memory_enforcement`). Every read and
write between grader and kernel has a deadline (the command pipe is non-blocking: a kernel that
stops reading its commands cannot block the grader), and a watchdog thread of the grader kills the
kernel when its total time is up, whatever the grader's own thread is doing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcourse.grading import probe as _probe
from optcourse.grading.cgroups import KernelCgroup, memory_control
from optcourse.grading.isolation import (
    ISOLATION_ENV,
    NOBODY,
    NS_ARGS,
    USERNS_ARGS,
    exposures,
    fresh_uid,
    ipc_namespace,
    isolation_mode,
    isolation_problem,
    remove_files_of,
    remove_ipc,
    remove_tree,
    runtime_paths,
    sysv_ipc_objects,
)

__all__ = [
    "ISOLATION_ENV",
    "Kernel",
    "KernelLimits",
    "Reply",
    "isolation_mode",
    "isolation_problem",
    "memory_enforcement",
    "runtime_paths",
]


#: Seconds after a kernel's total time before the watchdog kills it (the grader's own deadlines
#: normally stop it first, with a better message).
WATCHDOG_GRACE = 5.0


@dataclass(frozen=True)
class KernelLimits:
    """Resource limits of one kernel; every time is in seconds, every size in bytes."""

    cell_timeout: float = 30.0
    total_timeout: float = 300.0
    memory: int = 2 * 1024**3
    output: int = 64 * 1024
    reply: int = 16 * 1024**2
    file_size: int = 64 * 1024**2
    nproc: int = 16
    startup_timeout: float = 20.0

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "total_timeout", "startup_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)!r}")
        for name in ("memory", "output", "reply", "file_size", "nproc"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")


def _kernel_paths() -> list[str]:
    """What the kernel's private root brings from the machine besides the system folders: the
    Python installation (``python -I`` imports only from its prefixes) and the installed
    ``optcourse`` package (which an editable install keeps outside them)."""
    import optcourse

    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths = {Path(p).resolve() for p in prefixes}
    paths.add(Path(optcourse.__file__).resolve().parent)
    return sorted(str(p) for p in paths)


def memory_enforcement(
    limits: KernelLimits | None = None, mode: str | None = None, cgroup: bool | None = None
) -> str:
    """One sentence saying how the memory of a submission is limited on this machine.

    With a cgroup (:func:`~optcourse.grading.cgroups.memory_control`) the limit holds for all
    the processes of a submission together; without one, each process gets the limit and the
    number of processes is bounded (the kernel's private user id as root, its user namespace
    otherwise; with neither, by what the grader's user already runs plus ``nproc``).
    ``cgroup`` forces the answer for a kernel that did or did not get one.
    """
    limits = limits or KernelLimits()
    mode = mode or isolation_mode()
    size = f"{limits.memory / 1024**2:g} MB"
    if cgroup is None:
        cgroup = memory_control() is not None
    if cgroup:
        hierarchy = memory_control()
        version = f" v{hierarchy.version}" if hierarchy is not None else ""
        return f"memory limit: {size} per submission, all its processes together (cgroup{version})"
    if mode == "none":
        return (
            f"memory limit: {size} per process, at most {limits.nproc} processes more than the "
            "grader's user already runs (no cgroup, no user namespace here)"
        )
    if mode in ("root", "root-ns") and fresh_uid() == NOBODY:  # user ids are scarce here
        return (
            f"memory limit: {size} per process, at most {limits.nproc} processes for all the "
            "kernels running at once (they share the user nobody; no cgroup)"
        )
    total = f"{limits.memory * limits.nproc / 1024**3:.3g} GB"
    return (
        f"memory limit: {size} per process, at most {limits.nproc} processes per submission, "
        f"so at most {total} (no cgroup)"
    )


@dataclass
class Reply:
    """The kernel's answer to one request.

    ``ok`` is True when the cell ran or the probe produced a value (``value``, plain data).
    Otherwise ``kind`` says why: ``"error"`` (the code raised; ``error`` has the exception),
    ``"timeout"``, ``"dead"`` (the kernel is gone), ``"too_large"`` or ``"malformed"``.
    ``notes`` (cells only) names the magics and shell lines the kernel skipped.
    """

    ok: bool
    value: Any = None
    error: str = ""
    kind: str = ""
    exc: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Output:
    """Captures the kernel's own stdout/stderr (first ``cap`` bytes) in a background thread."""

    cap: int
    data: bytearray = field(default_factory=bytearray)
    total: int = 0

    def drain(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]
        os.close(fd)


def _notes(raw: Any) -> list[str]:
    """The kernel's notes on a cell (skipped magics and shell lines): at most 20 short strings."""
    if not isinstance(raw, list):
        return []
    return [str(note)[:200] for note in raw[:20] if isinstance(note, str)]


class Kernel:
    """One isolated student process; use as a context manager.

    ``hide`` lists paths covered by empty mounts (modes with namespaces); ``mode`` overrides
    :func:`isolation_mode`; ``python`` is the interpreter to run (default: the grader's own);
    ``cgroup`` False keeps the kernel out of a memory cgroup even where one is available (see
    :attr:`memory_note` for what is enforced; ``memory_peak`` is the cgroup's peak after close).

    >>> with Kernel(Path("alice.ipynb")) as k:        # doctest: +SKIP
    ...     k.execute("x = 2 + 2")
    ...     k.probe("x").value
    4
    """

    def __init__(
        self,
        submission: Path | None = None,
        *,
        limits: KernelLimits | None = None,
        hide: tuple[Path, ...] | list[Path] = (),
        mode: str | None = None,
        python: str | None = None,
        cgroup: bool | None = None,
    ) -> None:
        self.limits = limits or KernelLimits()
        self.mode = mode or isolation_mode()
        self.python = python
        self.use_cgroup = memory_control() is not None if cgroup is None else cgroup
        self.memory_peak: int | None = None
        self._cgroup: KernelCgroup | None = None
        self.in_cgroup = False
        self.private_root = False  # the kernel's root holds only what it needs (see probe)
        self._ipc_before: set[tuple[str, int]] | None = None
        self.submission = submission
        self.hide = [Path(p).resolve() for p in hide]
        self.death: str | None = None
        self.uid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._deadline = 0.0
        self._next_id = 1
        self._buf = b""
        self._output = _Output(self.limits.output)
        self._workdir: Path | None = None
        self._watchdog: threading.Timer | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def __enter__(self) -> Kernel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        """True while the kernel process is running and answering."""
        return self._proc is not None and self.death is None

    @property
    def output(self) -> str:
        """What the student's code printed (first bytes only), for feedback; never parsed."""
        text = self._output.data.decode("utf-8", "replace")
        if self._output.total > len(self._output.data):
            text += f"\n[... {self._output.total - len(self._output.data)} more bytes cut]"
        return text

    @property
    def memory_note(self) -> str:
        """What limits this kernel's memory (see :func:`memory_enforcement`)."""
        return memory_enforcement(self.limits, self.mode, self.in_cgroup)

    def start(self, deadline: float | None = None) -> Reply:
        """Start the process and wait until it is configured and unprivileged.

        ``deadline`` (a ``time.monotonic()`` value) ends the total time allowed earlier than
        ``limits.total_timeout`` from now, e.g. for a kernel restarted halfway through a notebook.
        """
        problem = isolation_problem(self.mode) if self.python is None else None
        if problem is not None:
            raise RuntimeError(problem)
        self._deadline = time.monotonic() + self.limits.total_timeout
        if deadline is not None:
            self._deadline = min(self._deadline, deadline)
        workdir = self._make_workdir()
        if self.mode == "none" or (self.mode == "root" and not ipc_namespace()):
            self._ipc_before = sysv_ipc_objects()  # no IPC namespace: remember what exists
        config = self._config(workdir, self.uid)
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self._proc = self._spawn(workdir, cmd_r, out_w, rep_w)
        except BaseException:
            for fd in (cmd_w, rep_r, out_r):
                os.close(fd)
            self._release()
            raise
        finally:
            for fd in (cmd_r, rep_w, out_w):
                os.close(fd)
        os.set_blocking(cmd_w, False)
        self._cmd = cmd_w
        self._rep = rep_r
        # The total time is enforced from outside the kernel, whatever the grader is doing.
        wait = self._deadline - time.monotonic() + WATCHDOG_GRACE
        self._watchdog = threading.Timer(max(wait, 0.0), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._drain = threading.Thread(target=self._output.drain, args=(out_r,), daemon=True)
        self._drain.start()
        self._nonce = secrets.token_hex(16)
        config.update(nonce=self._nonce, reply_fd=rep_w)
        answer = self._roundtrip(config, 0, self.limits.startup_timeout)
        if answer.ok and isinstance(answer.value, dict):
            self.private_root = answer.value.get("private_root") is True
        if not answer.ok:
            self._kill()
            self._drain.join(timeout=1.0)
            said = self.output.strip()[-300:]
            self.death = f"the kernel could not start ({answer.error})" + (
                f": {said}" if said else ""
            )
        return answer

    def _make_workdir(self) -> Path:
        """The kernel's folder, holding a copy of the submission; as root, owned by a fresh
        user id (``self.uid``) and closed to everyone else."""
        workdir = Path(tempfile.mkdtemp(prefix="optcourse-kernel-"))
        self._workdir = workdir
        if self.submission is not None:
            shutil.copyfile(self.submission, workdir / "submission.ipynb")
        if self.mode in ("root", "root-ns"):
            self.uid = fresh_uid()
            for path in [workdir, *workdir.iterdir()]:
                os.chown(path, self.uid, self.uid)
            os.chmod(workdir, 0o700)
        return workdir

    def _config(self, workdir: Path, uid: int | None) -> dict[str, Any]:
        """The kernel's configuration (without nonce and reply descriptor): user id, limits,
        paths to hide or expose, and the memory cgroup to join (created here)."""
        limits: dict[str, int] = {
            "as": self.limits.memory,
            "cpu": int(self.limits.total_timeout) + 5,
            "fsize": self.limits.file_size,
            "core": 0,
        }
        if uid is not None or self.mode == "user-ns":
            # a private user id, or a user namespace: the count is the kernel's own
            limits["nproc"] = self.limits.nproc
        else:
            limits["nproc_more"] = self.limits.nproc
        config: dict[str, Any] = {"workdir": str(workdir), "uid": uid, "gid": uid}
        config.update(limits=limits, hide=[], expose=[], cgroup=None)
        if self.mode in ("root-ns", "user-ns"):
            config["hide"] = [str(p) for p in self.hide if not workdir.is_relative_to(p)]
            config["private"] = ["/dev/shm"]
            # /tmp, /var/tmp and /dev/shm are then in memory: each as large as one file may be
            config["tmp_size"] = self.limits.file_size
        if self.mode in ("root-ns", "user-ns") and self.python is None:
            config["binds"] = _kernel_paths()
        if self.mode == "root-ns" and self.python is None:
            config["expose"] = exposures()
        hierarchy = memory_control() if self.use_cgroup else None
        if hierarchy is not None:
            with contextlib.suppress(OSError):  # e.g. too many cgroups: per-process limits
                self._cgroup = KernelCgroup(hierarchy, self.limits.memory, self.limits.nproc)
                config["cgroup"] = str(self._cgroup.procs)
                self.in_cgroup = True
        return config

    def _spawn(self, workdir: Path, stdin: int, out: int, reply: int) -> subprocess.Popen[bytes]:
        """Start the kernel's process (through ``unshare`` in the namespace modes)."""
        argv = [self.python or sys.executable, "-I", "-c", _probe.kernel_program()]
        if self.mode == "root-ns":
            argv = ["unshare", *NS_ARGS, "--", *argv]
        elif self.mode == "user-ns":
            argv = ["unshare", *USERNS_ARGS, "--", *argv]
        elif self._ipc_before is None and self.mode == "root":
            argv = ["unshare", "--ipc", "--", *argv]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "MPLCONFIGDIR": str(workdir / ".matplotlib"),
            "MPLBACKEND": "Agg",
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        return subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=out,
            stderr=out,
            pass_fds=(reply,),
            cwd=str(workdir),
            env=env,
            start_new_session=True,
        )

    def close(self) -> None:
        """Stop the process (and everything it started) and delete its folder.

        The clean-up never raises (whatever the kernel left, e.g. a folder nested thousands
        deep, is removed without recursion), so it can never change a grade.
        """
        try:
            self._stop()
        finally:
            self._release()

    def _release(self) -> None:
        """Remove what the (dead) kernel leaves: its folder, its files in the shared temporary
        folders, its cgroup (killing what is still in it) and, without an IPC namespace, the
        System V IPC objects and POSIX message queues it created."""
        if self._cgroup is not None:
            self.memory_peak = self._cgroup.peak()
            self._cgroup.remove()
            self._cgroup = None
        if self._workdir is not None:
            remove_tree(self._workdir)
            self._workdir = None
        if self.uid is not None and self.uid != NOBODY:
            remove_files_of(self.uid)
        if self._ipc_before is not None:
            owner = self.uid if self.uid is not None else os.geteuid()
            remove_ipc(owner, self._ipc_before)
            self._ipc_before = None

    def _stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._proc is not None:
            if self.death is None:
                with contextlib.suppress(OSError):
                    self._send(b'{"op": "quit"}\n', time.monotonic() + 1.0)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=1.0)
            self._kill()
            self._drain.join(timeout=2.0)
            for fd in (self._cmd, self._rep):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._proc = None

    def _expire(self) -> None:
        """The watchdog: the total time is up (plus a grace period): kill the kernel."""
        if self._proc is None or self._proc.poll() is not None:
            return
        if self.death is None:
            self.death = (
                f"the kernel was stopped: the whole notebook ran longer than "
                f"{self.limits.total_timeout:g} s"
            )
        with contextlib.suppress(OSError):
            os.killpg(self._proc.pid, signal.SIGKILL)

    def _send(self, data: bytes, deadline: float) -> bool:
        """Write ``data`` on the (non-blocking) command pipe; False when the kernel has not
        taken it all by ``deadline`` (it stopped reading). ``OSError`` when the pipe is closed."""
        view = memoryview(data)
        while view:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return False
            _, ready, _ = select.select([], [self._cmd], [], min(wait, 0.25))
            if not ready:
                if self._proc is not None and self._proc.poll() is not None:
                    raise BrokenPipeError("the kernel has ended")
                continue
            try:
                view = view[os.write(self._cmd, view) :]
            except BlockingIOError:
                continue
        return True

    def _kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self.mode == "root" and self.uid is not None and self.uid != NOBODY:
            # Without a PID namespace a process that left the group could survive: kill every
            # process of the kernel's private user id.
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    [self.python or sys.executable, "-I", "-c", "import os; os.kill(-1, 9)"],
                    user=self.uid,
                    group=self.uid,
                    extra_groups=[],
                    check=False,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=10,
                )
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)

    # -- requests ------------------------------------------------------------------------------
    def execute(self, code: str, name: str = "<cell>") -> Reply:
        """Run one cell of student code; the reply says whether it raised or timed out."""
        return self._request({"op": "exec", "code": code, "name": name})

    def probe(self, expr: str, timeout: float | None = None) -> Reply:
        """Evaluate one expression in the student's namespace; ``value`` is plain data.

        ``timeout`` (seconds) shortens the cell time limit for this one probe."""
        return self._request({"op": "probe", "expr": expr}, timeout)

    def _request(self, message: dict[str, Any], timeout: float | None = None) -> Reply:
        if self._proc is None:
            raise RuntimeError("the kernel is not started")
        if self.death is not None:
            return Reply(False, error=self.death, kind="dead")
        rid = self._next_id
        self._next_id += 1
        limit = self.limits.cell_timeout
        if timeout is not None:
            limit = min(timeout, limit)
        return self._roundtrip({**message, "id": rid}, rid, limit)

    def _roundtrip(self, message: dict[str, Any], rid: int, timeout: float) -> Reply:
        remaining = self._deadline - time.monotonic()
        total_hit = remaining <= timeout
        deadline = time.monotonic() + max(min(timeout, remaining), 0.0)
        try:
            sent = self._send(json.dumps(message).encode() + b"\n", deadline)
        except OSError:
            return self._died()
        if not sent:
            if self.death is None:
                self.death = (
                    "the kernel was stopped: it stopped reading the grader's commands "
                    f"(nothing taken for {max(min(timeout, remaining), 0.0):g} s)"
                )
            self._kill()
            return Reply(False, error=self.death, kind="timeout")
        answer = self._await(rid, deadline)
        if answer is not None:
            return answer
        if self.death is not None:
            return Reply(False, error=self.death, kind="dead")
        # Out of time: interrupt (the code gets KeyboardInterrupt), then kill if that is ignored.
        with contextlib.suppress(OSError):
            os.killpg(self._proc.pid, signal.SIGINT)  # type: ignore[union-attr]
        answer = self._await(rid, time.monotonic() + 2.0)
        what = (
            f"the whole notebook ran longer than {self.limits.total_timeout:g} s"
            if total_hit
            else f"it ran longer than {timeout:g} s"
        )
        if answer is None or total_hit:
            if self.death is None:
                self.death = f"the kernel was stopped: {what}"
                self._kill()
            return Reply(False, error=self.death, kind="timeout")
        if not answer.ok:
            answer.kind, answer.error = "timeout", what
        return answer

    def _await(self, rid: int, deadline: float) -> Reply | None:
        """The reply to request ``rid``; lines without the nonce or for another id are skipped
        (the student's code can write to the pipe, but only to its own harm)."""
        while True:
            line = self._read_line(deadline)
            if line is None:
                return None
            answer = self._parse(line, rid)
            if answer is not None:
                return answer

    def _parse(self, line: bytes, rid: int) -> Reply | None:
        prefix = self._nonce.encode() + b" "
        if not line.startswith(prefix):
            return None
        try:
            data = json.loads(line[len(prefix) :])
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("id") != rid or "ok" not in data:
            return None
        notes = _notes(data.get("notes"))
        if data["ok"] is True:
            return Reply(True, value=data.get("value"), notes=notes)
        error = data.get("error")
        kind = "timeout" if data.get("kind") == "timeout" else "error"
        exc = str(data.get("exc", ""))[:100]
        return Reply(False, error=str(error)[:1000], kind=kind, exc=exc, notes=notes)

    def _read_line(self, deadline: float) -> bytes | None:
        """The next reply line, or None at the deadline (``death`` is set if the kernel ended)."""
        while b"\n" not in self._buf:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            ready, _, _ = select.select([self._rep], [], [], min(wait, 0.25))
            if not ready:
                # A process that forked may keep the pipe open after the kernel died: look.
                if self._proc is not None and self._proc.poll() is not None:
                    self._died()
                    return None
                continue
            chunk = os.read(self._rep, 1 << 20)
            if not chunk:
                self._died()
                return None
            self._buf += chunk
            if len(self._buf) > self.limits.reply:
                self.death = (
                    f"the kernel was stopped: a value larger than {self.limits.reply} bytes"
                )
                self._kill()
                return None
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _died(self) -> Reply:
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                self._kill()
                code = proc.returncode
        if code is not None and code < 0:
            try:
                signame = signal.Signals(-code).name
            except ValueError:
                signame = f"signal {-code}"
            how = f"the kernel crashed ({signame})"
            if -code == signal.SIGXCPU:
                how = "the kernel was stopped: it used up its CPU time"
        elif self.mode in ("root-ns", "user-ns") and code is not None and code > 128:
            how = f"the kernel crashed (signal {code - 128})"
        else:
            how = f"the kernel exited (exit code {code}), e.g. through os._exit or a crash"
        if self._cgroup is not None and self._cgroup.oom_kills():
            how = (
                f"the kernel was stopped: the submission used more than its "
                f"{self.limits.memory / 1024**2:g} MB of memory (all its processes together)"
            )
        if self.death is None:
            self.death = how
        self._kill()
        return Reply(False, error=self.death, kind="dead")
