"""The kernel side of grading: run a student's cells and answer probes with plain data.

This file is the program that runs *inside* the student's kernel process. The grader starts it
with ``python -I -c PROGRAM``, where :func:`kernel_program` builds ``PROGRAM`` from the source text
of :mod:`optcourse.plain` (the value boundary) and of this file, so the kernel never needs to
import ``optcourse``. It only uses the standard library at start-up.

Protocol (one JSON object per line):

* the grader writes commands on the kernel's standard input, which this program moves to a private
  file descriptor before any student code runs (so ``input()`` cannot steal commands). The first
  line is the configuration (nonce, working folder, limits, paths to hide, user id to become); then
  ``{"op": "exec", "id": n, "code": ...}``, ``{"op": "probe", "id": n, "expr": ...}``, ``{"op":
  "quit"}``.
* replies go to a private pipe (its descriptor number is in the configuration) as ``NONCE {"id": n,
  "ok": ..., ...}``; the student's own prints go to file descriptors 1 and 2, which the grader
  captures separately and never parses.

Cells run with Jupyter's semantics: valid Python as it is; any other cell through IPython's own
input transformation (``%magic``, ``!shell``, ``%%cell_magic``, ``obj?``), where ``get_ipython()``
is :class:`_Shell`: ``%time``/``%timeit``/``%%capture`` run their code once, every other magic
and shell command is skipped and named in the exec reply's ``"notes"``. ``display`` is defined as
in a notebook without a front end (it prints); a cell may ``await`` at its top level, and the value
of its last bare expression is printed unless the cell ends with ``;`` (:func:`_run_cell`).
Without IPython in the kernel's Python, magic and shell lines become ``pass``.

Nothing here decides pass or fail: a probe's value is converted to plain data (numbers, strings,
lists, dicts) with :func:`optcourse.plain.to_plain`, the same function the notebook's feedback
uses, and the grader, in its own process, judges it. The student's code can of course rewrite
anything in this process; the worst it can achieve is lying about its own values, which the
grader's hidden, randomly drawn inputs make worthless."""

from __future__ import annotations

import ast
import contextlib
import math
import os
import sys
import types
from typing import Any

# Inside the kernel, kernel_program() has loaded optcourse/plain.py under this name; everywhere
# else (the grader's process, the tests) it is imported as usual.
PLAIN_MODULE = "optcourse_plain"
_plain: types.ModuleType
if PLAIN_MODULE in sys.modules:
    _plain = sys.modules[PLAIN_MODULE]
else:
    from optcourse import plain as _plain

NotPlainError = _plain.NotPlainError
Unanswered = _plain.Unanswered
to_plain = _plain.to_plain

# Bound now, so that student code patching the builtins cannot change how replies are encoded.
_type, _str, _float, _int, _bool = type, str, float, int, bool
_list, _dict, _len = list, dict, len
_exec, _eval, _compile, _INF = exec, eval, compile, math.inf
_isinstance, _repr = isinstance, repr
try:  # the C function cannot be patched from Python
    from _json import encode_basestring_ascii as _quote
except ImportError:  # pragma: no cover
    from json.encoder import py_encode_basestring_ascii as _quote

# The grader stops a probe that runs too long with SIGINT (KeyboardInterrupt in the student's code).
# A kernel started from a shell that ignores SIGINT (a background job, nohup, some CI runners)
# inherits SIG_IGN, and Python then installs no handler: so the kernel installs it itself.
_BOOTSTRAP = """\
import signal, sys, types
signal.signal(signal.SIGINT, signal.default_int_handler)
def _load(name, source):
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, "<" + name + ">", "exec"), module.__dict__)
    return module
_load({plain_name!r}, {plain!r})
_load("optcourse_probe", {probe!r}).main()
"""


def kernel_program() -> str:
    """The Python source the grader runs in the kernel (``python -I -c ...``).

    It loads the source of :mod:`optcourse.plain` as the module ``optcourse_plain``, then this
    file's source (which takes ``to_plain`` from there), and runs :func:`main`. Only the text of
    the two files crosses; nothing is imported from ``optcourse`` inside the kernel.
    """
    from pathlib import Path  # the grader's side only: the kernel does not load pathlib for this

    return _BOOTSTRAP.format(
        plain_name=PLAIN_MODULE,
        plain=Path(_plain.__file__ or "").read_text(encoding="utf-8"),
        probe=Path(__file__).read_text(encoding="utf-8"),
    )


def _type_name(obj: Any) -> str:
    return _str(_type(obj).__name__)


def encode(value: Any) -> str:
    """JSON text of plain data made by :func:`to_plain`, without the ``json`` module.

    The student's code may patch ``json`` and the builtins in this process; this encoder only uses
    references bound when the module was loaded (NaN and infinities become ``NaN``/``Infinity``,
    which the grader's ``json.loads`` accepts).
    """
    kind = _type(value)
    if value is None:
        return "null"
    if kind is _bool:
        return "true" if value else "false"
    if kind is _int:
        return _int.__repr__(value)
    if kind is _float:
        if value != value:
            return "NaN"
        if value in (_INF, -_INF):
            return "Infinity" if value > 0 else "-Infinity"
        return _float.__repr__(value)
    if kind is _str:
        return _quote(value)
    if kind is _list:
        return "[" + ", ".join([encode(v) for v in value]) + "]"
    if kind is _dict:
        return "{" + ", ".join([_quote(k) + ": " + encode(v) for k, v in value.items()]) + "}"
    raise NotPlainError(f"cannot encode a value of type {_type_name(value)}")


def _describe_exception(exc: BaseException) -> str:
    """The exception's message, truncated (its type travels separately as ``exc``)."""
    try:
        text = str(exc)
    except BaseException:  # a hostile __str__
        text = ""
    return text if len(text) <= 500 else text[:497] + "..."


def _strip_magics(code: str) -> str:
    """Replace IPython magics (``%...``) and shell escapes (``!...``) by ``pass``.

    Only the fallback of :func:`_jupyter_source` when IPython is not installed in the kernel's
    Python: such lines are skipped (indentation kept so the cell still parses). A line inside
    brackets or a string (Black starts continuations with ``%`` or ``!=``) is kept.
    """
    lines = []
    depth, quote = 0, ""
    for line in code.splitlines():
        stripped = line.lstrip()
        if depth == 0 and not quote and stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            lines.append(indent + "pass  # skipped by the grader: " + stripped[:40])
            continue
        lines.append(line)
        depth, quote = _scan(line, depth, quote)
    return "\n".join(lines)


def _scan(line: str, depth: int, quote: str) -> tuple[int, str]:
    """Bracket depth and open triple quote after ``line`` (strings and comments skipped)."""
    i = 0
    while i < _len(line):
        if quote:
            end = line.find(quote, i)
            if end < 0:
                return depth, quote
            i, quote = end + _len(quote), ""
            continue
        char = line[i]
        if char == "#":
            break
        if char in "'\"":
            triple = line[i : i + 3]
            if triple in ("'''", '"""'):
                quote, i = triple, i + 3
                continue
            end = i + 1
            while end < _len(line) and line[end] != char:
                end += 2 if line[end] == "\\" else 1
            i = end + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    return depth, quote


def _jupyter_source(code: str) -> str:
    """The Python that Jupyter would run for the cell ``code``.

    Valid Python is run as it is (IPython does not change it either). Otherwise IPython's own
    input transformation (``TransformerManager().transform_cell``) turns magics, shell escapes
    and help requests into calls of ``get_ipython()``, which the kernel answers with
    :class:`_Shell` (a no-op and a note). Without IPython, magic and shell lines become ``pass``.
    """
    try:
        _compile(code, "<cell>", "exec", _TOP_LEVEL_AWAIT)
        return code
    except (SyntaxError, ValueError):
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return _strip_magics(code)
    return _str(TransformerManager().transform_cell(code))


_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # ``await`` in a cell, as IPython allows
_AST_ONLY = ast.PyCF_ONLY_AST
_AstExpr, _AstExpression = ast.Expr, ast.Expression
_CO_COROUTINE = 0x0080  # inspect.CO_COROUTINE: the compiled cell awaits something


def _run_cell(source: str, name: str, namespace: dict[str, Any]) -> None:
    """Run one cell as IPython does: top-level ``await`` allowed, and the value of a last bare
    expression shown (printed, as :func:`_display` does) unless the cell ends with ``;``.

    Only functions bound at start-up are used, so a cell that patches the builtins (or ``ast``)
    does not change how the next cells run."""
    tree = _compile(source, name, "exec", _AST_ONLY | _TOP_LEVEL_AWAIT)
    last = None
    tail: Any = tree.body[-1] if tree.body else None
    if _isinstance(tail, _AstExpr) and not source.rstrip().endswith(";"):
        tree.body.pop()
        last = _AstExpression(tail.value)
    _finish(_compile(tree, name, "exec", _TOP_LEVEL_AWAIT), namespace)
    if last is None:
        return
    value = _finish(_compile(last, name, "eval", _TOP_LEVEL_AWAIT), namespace)
    if value is not None:
        with contextlib.suppress(Exception):  # showing the value is a courtesy: never an error
            _display(_repr(value))


def _finish(code: Any, namespace: dict[str, Any]) -> Any:
    """Evaluate compiled cell code; a cell that awaits runs in a fresh event loop."""
    value = _eval(code, namespace)
    if code.co_flags & _CO_COROUTINE:
        import asyncio

        loop = asyncio.new_event_loop()
        try:
            value = loop.run_until_complete(value)
        finally:
            loop.close()
    return value


def _display(*objs: Any, **kwargs: Any) -> None:
    """``display(...)`` as in a notebook without a front end: print each object."""
    print(*objs)


class _Shell:
    """What ``get_ipython()`` returns in the grader: magics and shell commands are skipped.

    ``%time``/``%timeit`` (line and cell) and ``%%capture`` still run their code once, as they do
    in the notebook; every other magic and every ``!command`` does nothing and leaves a note.
    """

    RUN = ("time", "timeit", "capture", "prun")

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.notes: list[str] = []
        self.user_ns = namespace

    def _note(self, what: str) -> None:
        if _len(self.notes) < 20:
            self.notes.append(what[:120] + ("..." if _len(what) > 120 else ""))

    def _run(self, code: str) -> None:
        _exec(_compile(_jupyter_source(code), "<magic>", "exec"), self.namespace)

    def run_line_magic(self, name: str, line: str, *args: Any, **kwargs: Any) -> None:
        if name in self.RUN and line.strip() and not line.lstrip().startswith("-"):
            return self._run(line)
        self._note(f"skipped by the grader: %{name} {line}".rstrip())
        return None

    def run_cell_magic(self, name: str, line: str, cell: str, *args: Any, **kwargs: Any) -> None:
        if name in self.RUN:
            return self._run(cell)
        self._note(f"skipped by the grader: %%{name} {line}".rstrip())
        return None

    def system(self, command: str, *args: Any, **kwargs: Any) -> None:
        self._note(f"skipped by the grader: !{command}")

    def getoutput(self, command: str, *args: Any, **kwargs: Any) -> list[str]:
        self._note(f"skipped by the grader: !{command}")
        return []

    def __getattr__(self, name: str) -> Any:
        def skipped(*args: Any, **kwargs: Any) -> None:
            self._note(f"skipped by the grader: get_ipython().{name}(...)")

        return skipped


def _libc_mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    rc = libc.mount(
        source.encode(),
        os.fsencode(target),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot mount on {target}: {os.strerror(err)}")


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC = 1, 2, 4, 4096, 8192, 16384


def _expose(pairs: list[list[str]], stage: str) -> None:
    """Make each ``path`` reachable although its ancestor ``blocker`` is closed to other users.

    Each path is bind-mounted aside, ``blocker`` is covered by an empty tmpfs (hiding everything
    else in it, e.g. root's home) and the path is moved back into place. Needs a mount namespace.
    """
    staged = []
    for index, (blocker, path) in enumerate(pairs):
        aside = os.path.join(stage, f"expose{index}")
        os.makedirs(aside)
        _libc_mount(path, aside, None, MS_BIND | MS_REC)
        staged.append((blocker, path, aside))
    for blocker in sorted({b for b, _, _ in staged}):
        _libc_mount("optcourse-cover", blocker, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    for _, path, aside in staged:
        os.makedirs(path, exist_ok=True)
        _libc_mount(aside, path, None, MS_MOVE)
        os.rmdir(aside)


#: What a kernel's private root holds besides the Python it needs: system folders (bound from
#: the machine's root), a fresh ``/proc``, and empty temporary folders.
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev", "sys")
#: ``pivot_root`` has no libc wrapper: its system call number per machine.
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


def _graft(source: str, target: str, hide: list[str]) -> None:
    """Bind ``source`` at ``target`` in the private root, leaving out every path in ``hide``:
    a folder holding a hidden path is rebuilt entry by entry (links copied, files and
    folders bound), so that a hidden path is absent, not covered by a mount."""
    if any(source == h or source.startswith(h.rstrip("/") + "/") for h in hide):
        return
    inside = [h for h in hide if h.startswith(source.rstrip("/") + "/")]
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
    elif os.path.isdir(source) and inside:
        os.makedirs(target, mode=0o755, exist_ok=True)
        for entry in os.listdir(source):
            _graft(os.path.join(source, entry), os.path.join(target, entry), inside)
    elif os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
        _libc_mount(source, target, None, MS_BIND | MS_REC)
    elif os.path.isfile(source):
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _libc_mount(source, target, None, MS_BIND | MS_REC)


def _build_root(stage: str, binds: list[str], hide: list[str], workdir: str, size: int) -> None:
    """Fill the empty tmpfs ``stage`` with what the kernel may see: the system folders, the
    folders in ``binds`` (the Python installation, the package), fresh ``/proc``, empty
    ``/tmp`` and ``/var/tmp`` (tmpfs of ``size`` bytes), and the kernel's own ``workdir``."""
    hide = [*hide, workdir]  # bound on its own, last (the stage is inside it)
    for name in SYSTEM_DIRS:
        source = "/" + name
        if os.path.lexists(source):
            _graft(source, os.path.join(stage, name), hide)
    for folder in ("proc", "tmp", "var/tmp"):  # before the binds: a Python may live in /tmp
        os.makedirs(os.path.join(stage, folder), mode=0o755, exist_ok=True)
    _libc_mount("proc", os.path.join(stage, "proc"), "proc", MS_NOSUID | MS_NODEV)
    for folder in ("tmp", "var/tmp"):
        path = os.path.join(stage, folder)
        _libc_mount("optcourse-tmp", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}")
    done: list[str] = []
    for path in sorted(binds):
        if any(path == d or path.startswith(d.rstrip("/") + "/") for d in done):
            continue
        if not any(path == f"/{name}" or path.startswith(f"/{name}/") for name in SYSTEM_DIRS):
            _graft(path, stage + path, hide)
            done.append(path)
    cgroups = os.path.join(stage, "sys/fs/cgroup")
    if os.path.isdir(cgroups):  # joined already: the kernel has nothing to do with cgroups
        flags = MS_RDONLY | MS_NOSUID | MS_NODEV
        _libc_mount("optcourse-hidden", cgroups, "tmpfs", flags, "size=4k")
    os.makedirs(stage + workdir, mode=0o700, exist_ok=True)
    _libc_mount(workdir, stage + workdir, None, MS_BIND)  # not MS_REC: the stage is inside


def _private_root(binds: list[str], hide: list[str], workdir: str, size: int) -> None:
    """Make the kernel's root a fresh tmpfs holding only what it needs (:func:`_build_root`),
    then ``pivot_root`` into it and detach the machine's root: ``/proc/self/mountinfo`` and
    the like list only those mounts, never a hidden path. Needs a mount and a PID namespace.
    OSError before the pivot leaves the old root in place (the caller falls back)."""
    import ctypes
    import ctypes.util
    import platform

    number = PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    stage = os.path.join(workdir, ".optcourse-root")
    os.mkdir(stage, 0o755)
    _libc_mount("optcourse-root", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    try:
        _build_root(stage, binds, hide, workdir, size)
    except OSError:
        libc.umount2(os.fsencode(stage), 2)  # MNT_DETACH: nothing of the stage stays
        raise
    os.chdir(stage)
    if libc.syscall(number, b".", b".") != 0:
        err = ctypes.get_errno()
        os.chdir("/")
        raise OSError(err, f"pivot_root: {os.strerror(err)}")
    if libc.umount2(b".", 2) != 0:  # MNT_DETACH: the machine's root leaves this namespace
        raise SystemError("cannot detach the old root after pivot_root")
    os.chdir("/")
    with contextlib.suppress(OSError):
        os.rmdir(stage)  # the stage's name inside the kernel's own folder (no longer mounted)


def _mount_tmpfs(paths: list[str]) -> None:
    """Hide each folder under an empty tmpfs and each file under ``/dev/null`` (mount namespace)."""
    for path in paths:
        if os.path.isdir(path):
            flags = MS_RDONLY | MS_NOSUID | MS_NODEV
            _libc_mount("optcourse-hidden", path, "tmpfs", flags, "size=4k,mode=000")
        elif os.path.exists(path):
            _libc_mount(os.devnull, path, None, MS_BIND)


def _join_cgroup(procs: str) -> None:
    """Move this process (before any student code runs) into the memory cgroup whose
    ``cgroup.procs`` file is ``procs``, then into a cgroup namespace of its own, from which
    the kernel cannot move itself out of the cgroup nor write its limits (where allowed)."""
    import ctypes
    import ctypes.util

    with open(procs, "w") as joined:
        joined.write("0")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.unshare(0x02000000)  # CLONE_NEWCGROUP; the private user id already prevents both


def _mount_private(paths: list[str], size: int) -> None:
    """A fresh, empty tmpfs of ``size`` bytes on each shared folder in ``paths`` (``/dev/shm``):
    what the kernel writes there stays in its mount namespace and vanishes with it."""
    for path in paths:
        if os.path.isdir(path):
            data = f"mode=1777,size={size}"
            _libc_mount("optcourse-private", path, "tmpfs", MS_NOSUID | MS_NODEV, data)


def _tasks_of(uid: int) -> int:
    """How many tasks (threads) the user ``uid`` runs now: what ``RLIMIT_NPROC`` counts."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if _int(fields["Uid"].split()[0]) == uid:
                count += _int(fields["Threads"])
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return count


def _apply_limits(limits: dict[str, int]) -> None:
    import resource

    more = limits.pop("nproc_more", None)
    if more is not None:  # no private user id nor user namespace: bound what is added
        limits["nproc"] = _tasks_of(os.getuid()) + more

    names = {
        "as": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "fsize": resource.RLIMIT_FSIZE,
        "nproc": resource.RLIMIT_NPROC,
        "core": resource.RLIMIT_CORE,
        "nofile": resource.RLIMIT_NOFILE,
    }
    for key, value in limits.items():
        resource.setrlimit(names[key], (value, value))


def _setup(config: dict[str, Any]) -> bool:  # pragma: no cover - runs in the kernel
    """Configure the kernel before any student code runs: join its memory cgroup, build its
    file system (a private root, or hidden paths under empty mounts), become its user id, set
    its limits and enter its folder. True when it has a private root."""
    if config.get("cgroup"):
        _join_cgroup(config["cgroup"])
    private_root = False
    size = int(config.get("tmp_size") or config["limits"]["as"])  # each private tmpfs
    if config.get("binds"):
        try:
            _private_root(config["binds"], config["hide"], config["workdir"], size)
            private_root = True
        except OSError:  # not here: hide what must be hidden under empty mounts
            os.chdir("/")
    if config.get("private"):
        _mount_private(config["private"], size)
    if config.get("expose") and not private_root:
        _expose(config["expose"], config["workdir"])
    if config.get("hide") and not private_root:
        _mount_tmpfs(config["hide"])
    uid, gid = config.get("uid"), config.get("gid")
    if uid is not None and gid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    _apply_limits({k: int(v) for k, v in config.get("limits", {}).items()})
    os.chdir(config["workdir"])
    sys.path[:0] = [config["workdir"]]
    return private_root


def main() -> None:  # pragma: no cover - runs in the child process, tested end to end
    """Run the kernel loop: configure, then execute cells and answer probes until ``quit``."""
    import json
    import warnings

    loads = json.JSONDecoder().decode
    cmd = os.fdopen(os.dup(0), "r", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    config = loads(cmd.readline())
    reply_fd = int(config["reply_fd"])
    nonce = config["nonce"]
    prefix = nonce.encode() + b" "
    os.set_inheritable(reply_fd, False)

    def reply(message: dict[str, Any]) -> None:
        try:
            data = encode(message)
        except BaseException:
            data = encode({"id": message.get("id"), "ok": False, "error": "unencodable value"})
        payload = prefix + data.encode() + b"\n"
        view = memoryview(payload)
        while view:
            view = view[os.write(reply_fd, view) :]

    try:
        private_root = _setup(config)
    except BaseException as exc:
        reply({"id": 0, "ok": False, "error": "kernel setup failed: " + _describe_exception(exc)})
        return
    reply({"id": 0, "ok": True, "value": {"uid": os.getuid(), "private_root": private_root}})

    import builtins

    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    shell = _Shell(namespace)
    namespace.update(display=_display, get_ipython=lambda: shell)
    while True:
        line = cmd.readline()
        if not line:
            return
        request = loads(line)
        op, rid = request.get("op"), request.get("id")
        if op == "quit":
            return
        try:
            if op == "exec":
                shell.notes = []
                _run_cell(_jupyter_source(request["code"]), request["name"], namespace)
                answer: dict[str, Any] = {"id": rid, "ok": True}
            elif op == "probe":
                # Probes may use ``np`` and ``math`` (the test API's convention) even if the
                # student's notebook imported them under other names.
                for alias, module in (("np", "numpy"), ("math", "math")):
                    if alias not in namespace and module in sys.modules:
                        namespace[alias] = sys.modules[module]
                warnings.resetwarnings()
                warnings.simplefilter("ignore")
                value = _eval(_compile(request["expr"], "<probe>", "eval"), namespace)
                # ``...`` raises Unanswered here, reported as exc "Unanswered" like any exception
                answer = {"id": rid, "ok": True, "value": to_plain(value)}
            else:
                answer = {"id": rid, "ok": False, "error": f"unknown op {op!r}"}
        except KeyboardInterrupt:
            answer = {"id": rid, "ok": False, "error": "interrupted", "kind": "timeout"}
        except SystemExit:
            answer = {"id": rid, "ok": False, "error": "the code called sys.exit()"}
        except BaseException as exc:
            answer = {"id": rid, "ok": False, "error": _describe_exception(exc)}
            answer["exc"] = type(exc).__name__
        if op == "exec" and shell.notes:
            answer["notes"] = shell.notes
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        reply(answer)


if __name__ == "__main__":
    main()
