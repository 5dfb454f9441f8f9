"""How a student's kernel is isolated on this machine: probing the modes and what they need.

:func:`isolation_mode` says which protections this machine allows (root or not, with or without
``unshare`` namespaces); :func:`isolation_problem` says why a mode cannot work here (a Python
installation other users cannot read, a readable checkout of an editable install);
:func:`runtime_paths` lists the folders the kernel's Python must be able to read;
:func:`repository_paths` what a kernel must not see of the checkout an editable install runs from
(its ``solutions/`` are masters); :func:`fresh_uid` picks a private user id for a kernel and
:func:`remove_files_of` deletes what that user left in the shared temporary folders;
:func:`sysv_ipc_objects` and :func:`remove_ipc` remove the IPC objects a kernel without its own
IPC namespace created.
:mod:`optcourse.grading.kernel` starts kernels with these settings.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

#: Environment variable forcing an isolation mode (``root-ns``, ``root``, ``user-ns``, ``none``).
ISOLATION_ENV = "OPTCOURSE_GRADING_ISOLATION"


def _unshare_works(args: list[str]) -> bool:
    exe = shutil.which("unshare")
    if exe is None:
        return False
    try:
        done = subprocess.run(
            [exe, *args, "--", sys.executable, "-I", "-c", "pass"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


#: ``unshare`` options giving a kernel its own mount, PID, network and IPC namespaces (System V
#: IPC objects and POSIX message queues it creates vanish with it).
NS_ARGS = ["--mount", "--pid", "--net", "--ipc", "--fork", "--kill-child", "--mount-proc"]
#: The same plus a user namespace, for graders that are not root.
USERNS_ARGS = ["--user", "--map-root-user", *NS_ARGS]


@functools.cache
def ipc_namespace() -> bool:
    """Whether a kernel without the other namespaces (mode ``root``) can still get an IPC
    namespace of its own (``unshare --ipc``, root only), probed once."""
    return os.geteuid() == 0 and _unshare_works(["--ipc"])


@functools.cache
def isolation_mode() -> str:
    """How kernels are isolated on this machine, probed once.

    ``"root-ns"``: root, fresh uid plus mount/PID namespaces; ``"root"``: root, fresh uid only;
    ``"user-ns"``: not root, user/mount/PID namespaces; ``"none"``: not root, limits only.
    The environment variable ``OPTCOURSE_GRADING_ISOLATION`` may force a weaker mode.
    """
    forced = os.environ.get(ISOLATION_ENV)
    modes = ("root-ns", "root", "user-ns", "none")
    if forced:
        if forced not in modes:
            raise ValueError(f"{ISOLATION_ENV} must be one of {modes}, got {forced!r}")
        return forced
    if os.geteuid() == 0:
        return "root-ns" if _unshare_works(NS_ARGS) else "root"
    return "user-ns" if _unshare_works(USERNS_ARGS) else "none"


def _blocker(path: Path) -> Path | None:
    """The highest ancestor of ``path`` that other users cannot enter, or None."""
    for parent in reversed(path.parents):
        try:
            if not os.stat(parent).st_mode & 0o001:
                return parent
        except OSError:
            return None
    return None


def readable_by_others(path: Path) -> bool:
    """True when a user other than its owner (a kernel under a fresh user id, without a mount
    namespace to hide it) could read the file ``path``."""
    path = Path(path).resolve()
    try:
        return _blocker(path) is None and bool(os.stat(path).st_mode & 0o004)
    except OSError:
        return False


def runtime_paths() -> list[Path]:
    """Folders the kernel's Python needs to read: the interpreter and every import location."""
    paths = {Path(sys.base_prefix), Path(sys.prefix)}
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            paths.add(Path(entry))
    return sorted(p.resolve() for p in paths)


def package_repository() -> Path | None:
    """The source checkout the installed ``optcourse`` package runs from (an editable install,
    ``pip install -e``), or None for a normal install. Such a checkout may hold the master
    answers (``solutions/``) and their history (``.git``)."""
    import optcourse

    root = Path(optcourse.__file__).resolve().parent.parent
    if any(part in ("site-packages", "dist-packages") for part in root.parts):
        return None
    if (root / ".git").exists() or (root / "pyproject.toml").exists():
        return root
    return None


def repository_paths() -> list[Path]:
    """What a kernel must not see of :func:`package_repository`: every entry of the checkout
    except the package itself (which stays importable) and the folders the kernel's Python
    needs (a virtual environment inside the checkout). Links are left out (never followed).
    A ``git worktree`` checkout also brings its main checkout (with its ``.git``), which holds
    the same ``solutions/``."""
    root = package_repository()
    if root is None:
        return []
    runtime = runtime_paths()
    hide = _entries(root, runtime, keep=root / "optcourse")
    main = _main_checkout(root)
    if main is not None and main != root:
        if any(r == main or r.is_relative_to(main) for r in runtime) or root.is_relative_to(main):
            hide += _entries(main, runtime, keep=root)
        else:
            hide.append(main)
    return list(dict.fromkeys(hide))


def _entries(folder: Path, runtime: list[Path], keep: Path) -> list[Path]:
    """The entries of ``folder`` (files and folders, no links) that neither are ``keep`` nor
    hold it or a runtime path."""
    hide = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
            continue
        if any(r == entry or r.is_relative_to(entry) for r in [*runtime, keep]):
            continue
        hide.append(entry)
    return hide


def _main_checkout(root: Path) -> Path | None:
    """The main checkout of a ``git worktree`` (``.git`` is a file ``gitdir: MAIN/.git/worktrees/
    NAME``), or None."""
    try:
        line = (root / ".git").read_text().strip()
    except (OSError, UnicodeDecodeError):  # a folder (a normal clone) or unreadable
        return None
    if not line.startswith("gitdir:"):
        return None
    gitdir = Path(line.removeprefix("gitdir:").strip())
    gitdir = (root / gitdir).resolve() if not gitdir.is_absolute() else gitdir.resolve()
    for parent in gitdir.parents:
        if parent.name == ".git" and parent.is_dir():
            return parent.parent
    return None


def repository_problem() -> str | None:
    """Why a kernel without a mount namespace (but under a fresh user id) could read the
    checkout the package is installed from, or None when it could not."""
    readable = [p for p in repository_paths() if _open_to_others(p)]
    if not readable:
        return None
    root = package_repository()
    return (
        f"optcourse is installed editable from the checkout {root}, whose {readable[0].name} "
        "the students' processes could read here (no mount namespace to hide it): grade from a "
        "normal install (pip install .), or close the checkout's other entries to other users "
        f"(chmod -R go-rwx on everything in {root} but optcourse/ and the Python installation)"
    )


def _open_to_others(path: Path) -> bool:
    """Whether another user could read the file, or list or enter the folder, ``path``."""
    try:
        bits = 0o005 if path.is_dir() else 0o004
        return _blocker(path.resolve()) is None and bool(os.stat(path).st_mode & bits)
    except OSError:
        return False


def exposures() -> list[list[str]]:
    """(blocker, path) pairs: runtime paths hidden behind a folder closed to other users."""
    pairs = []
    for path in runtime_paths():
        block = _blocker(path)
        if block is not None:
            pairs.append([str(block), str(path)])
    # keep only outermost paths (a path inside another exposed path comes along with it)
    return [p for p in pairs if not any(q != p and Path(p[1]).is_relative_to(q[1]) for q in pairs)]


def isolation_problem(mode: str | None = None) -> str | None:
    """Why kernels cannot run in this isolation mode here, or None when they can.

    Without a mount namespace, a kernel running under a fresh user id must be able to read the
    Python installation and every import location itself, and must not be able to read the
    checkout of an editable install (:func:`repository_problem`).
    """
    if (mode or isolation_mode()) != "root":
        return None
    blocked = exposures()
    if not blocked:
        return repository_problem()
    blocker, path = blocked[0]
    return (
        f"the kernel runs as an unprivileged user but {path} is inside {blocker}, which other "
        "users cannot enter: install Python and the packages in a world-readable place, "
        "or allow mount namespaces (unshare)"
    )


#: The shared user id used when fresh ids are scarce (its files are not the kernel's alone).
NOBODY = 65534


def fresh_uid() -> int:
    """An unused user id for one kernel (falls back to ``nobody`` when ids are scarce)."""
    try:
        first_line = Path("/proc/self/uid_map").read_text().split("\n")[0].split()
        full_range = int(first_line[2]) >= 2**31
    except (OSError, IndexError, ValueError):
        full_range = False
    if not full_range:
        return NOBODY
    return 1_500_000_000 + secrets.randbelow(500_000_000)


#: Folders every user may write in, where a kernel could leave files behind (``/dev/shm`` holds
#: POSIX shared memory, ``/dev/mqueue`` POSIX message queues where it is mounted).
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")


def remove_files_of(uid: int, folders: tuple[str, ...] = SHARED_TMP) -> None:
    """Delete what the (dead) kernel with private user id ``uid`` left in the shared temporary
    folders, so that a submission cannot litter the machine for the rest of the batch.

    Only entries directly in ``folders`` and owned by ``uid`` are removed; links are never
    followed (see :func:`remove_tree`).
    """
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Delete the folder ``path`` and everything in it, however deep, without recursion.

    ``shutil.rmtree`` recurses once per level (a folder nested 3,000 deep raised
    ``RecursionError``) and needs paths that a deep tree makes too long. Here at most two
    folders are open at a time, by file descriptor: each pass empties the top folder's
    sub-folders, moving their own sub-folders up into the top folder, so a deep tree becomes a
    flat one. Links are removed, never followed. Never raises: what cannot be removed stays.
    """
    try:
        top = os.open(path, _DIR_FLAGS)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)  # a link or a file, never followed
        return
    try:
        for _ in range(10_000_000):  # a bound, not a limit any real tree reaches
            with os.scandir(top) as it:
                entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
            changed = [_clear(top, name, is_dir) for name, is_dir in entries]
            if not any(changed):
                break
    finally:
        os.close(top)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def _clear(top: int, name: str, is_dir: bool) -> bool:
    """Remove the entry ``name`` of the open folder ``top``; a folder's own sub-folders move up
    into ``top`` under fresh names (removed by the next pass). True when anything changed."""
    if not is_dir:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=top)
            return True
        return False
    changed = False
    try:
        sub = os.open(name, _DIR_FLAGS, dir_fd=top)
    except OSError:
        return False
    try:
        with os.scandir(sub) as it:
            inner = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
        for child, child_is_dir in inner:
            with contextlib.suppress(OSError):
                if child_is_dir:
                    fresh = f".optcourse-rm-{secrets.token_hex(8)}"
                    os.rename(child, fresh, src_dir_fd=sub, dst_dir_fd=top)
                else:
                    os.unlink(child, dir_fd=sub)
                changed = True
    except OSError:
        pass
    finally:
        os.close(sub)
    with contextlib.suppress(OSError):
        os.rmdir(name, dir_fd=top)
        changed = True
    return changed


#: The System V IPC tables: kind -> (file in ``/proc/sysvipc``, id column, libc call removing one).
_SYSV = {
    "shm": ("shm", "shmid", "shmctl"),
    "msg": ("msg", "msqid", "msgctl"),
    "sem": ("sem", "semid", "semctl"),
}
#: Folders of POSIX IPC objects (files), snapshotted for kernels without a private user id.
_POSIX_IPC = ("/dev/shm", "/dev/mqueue")


def _sysv_table(kind: str) -> list[tuple[int, int, int]]:
    """(id, owner uid, creator uid) of every System V IPC object of ``kind`` (shm, msg, sem)."""
    name, id_column, _ = _SYSV[kind]
    try:
        lines = Path("/proc/sysvipc", name).read_text().splitlines()
    except OSError:
        return []
    if not lines:
        return []
    header = lines[0].split()
    try:
        at = [header.index(column) for column in (id_column, "uid", "cuid")]
    except ValueError:
        return []
    rows = []
    for line in lines[1:]:
        fields = line.split()
        with contextlib.suppress(IndexError, ValueError):
            rows.append((int(fields[at[0]]), int(fields[at[1]]), int(fields[at[2]])))
    return rows


def sysv_ipc_objects() -> set[tuple[str, int]]:
    """Every System V IPC object (kind, id) and POSIX IPC file (``"posix:" + path``, 0) now."""
    found = {(kind, ident) for kind in _SYSV for ident, _, _ in _sysv_table(kind)}
    for folder in _POSIX_IPC:
        with contextlib.suppress(OSError):
            found |= {(f"posix:{entry.path}", 0) for entry in os.scandir(folder)}
    return found


def remove_ipc(owner: int, before: set[tuple[str, int]]) -> list[tuple[str, int]]:
    """Remove the System V IPC objects (shared memory, message queues, semaphores) and POSIX
    shared memory and message queues that user ``owner`` created since ``before``
    (:func:`sysv_ipc_objects`, taken when the kernel started); the removed ones are returned.
    Never raises. Used where the kernel has no IPC namespace of its own."""
    import ctypes
    import ctypes.util

    removed: list[tuple[str, int]] = []
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return removed
    ipc_rmid = 0
    for kind, (_, _, call) in _SYSV.items():
        for ident, uid, cuid in _sysv_table(kind):
            if (kind, ident) in before or owner not in (uid, cuid):
                continue
            args = (ident, 0, ipc_rmid, None) if kind == "sem" else (ident, ipc_rmid, None)
            if getattr(libc, call)(*args) == 0:
                removed.append((kind, ident))
    for folder in _POSIX_IPC:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                key = (f"posix:{entry.path}", 0)
                with contextlib.suppress(OSError):
                    if key not in before and entry.stat(follow_symlinks=False).st_uid == owner:
                        if entry.is_dir(follow_symlinks=False):
                            remove_tree(entry.path)
                        else:
                            os.unlink(entry.path)
                        removed.append(key)
    return removed
