"""Hostile submissions: each gets exactly the score it earned, and the batch goes on.

The hostile cells live in ``tests/hostile/h_*.py`` (first line ``# expect: SCORE``). Each is
inserted between the good submission's second and last cell of the fake assignment (q1 and q2 are
answered before it, q3 after it), so the expected score also says whether the cells after it still
ran."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

from optcourse.grading.batch import Submission, grade_all
from optcourse.grading.grade import grade_submission, hidden_paths
from optcourse.grading.kernel import Kernel, KernelLimits, isolation_mode

HERE = Path(__file__).parent / "hostile"
_spec = importlib.util.spec_from_file_location("fake_assignment", HERE / "fake_assignment.py")
assert _spec is not None and _spec.loader is not None
fake = importlib.util.module_from_spec(_spec)
sys.modules["fake_assignment"] = fake
_spec.loader.exec_module(fake)

LIMITS = KernelLimits(cell_timeout=2.5, total_timeout=40, memory=1024**3)
CASES = fake.hostile_cases()


@pytest.fixture(scope="module")
def world_readable_master():
    """The fake master in a folder every user could read: only the isolation can hide it."""
    with fake.FakeAssignment.in_temp_folder() as assignment:
        yield assignment


def test_kernel_is_unprivileged_when_grader_is_root():
    if os.geteuid() != 0 or os.environ.get("OPTCOURSE_GRADING_ISOLATION"):
        pytest.skip("the uid drop only happens when grading as root")
    assert isolation_mode() in ("root", "root-ns")
    with Kernel(limits=LIMITS) as kernel:
        reply = kernel.probe("__import__('os').getuid()")
    assert reply.ok and reply.value not in (0, None)


def test_the_good_submission_earns_everything(tmp_path, world_readable_master):
    nb = tmp_path / "good.ipynb"
    nb.write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    result = grade_submission(nb, world_readable_master, limits=LIMITS)
    assert (result.status, result.score, result.max_score) == ("graded", 4.0, 4.0)
    manual = [t for t in result.tests if t.status == "manual"]
    assert [(t.question, t.score, t.max_score) for t in manual] == [("q4", 0.0, 2.0)]


def test_wrong_answers_earn_only_what_is_right(tmp_path, world_readable_master):
    cells = ["answer = 41", "def double(x):\n    return 2.0 * x + 1e-3", "late = 'done'"]
    nb = tmp_path / "wrong.ipynb"
    nb.write_text(json.dumps(fake.notebook(cells)))
    result = grade_submission(nb, world_readable_master, limits=LIMITS)
    assert result.score == 1.0
    hidden = next(t for t in result.tests if t.question == "q2")
    assert hidden.status == "failed" and "double on random numbers" in hidden.output


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_cell(case, tmp_path, world_readable_master):
    name, source, expected = case
    if name in ("h_read_solutions", "h_read_package_repo") and isolation_mode() == "none":
        pytest.skip("without root or namespaces the kernel can read what the grader can read")
    if name == "h_kill_parent" and os.geteuid() == 0:
        assert isolation_mode() in ("root", "root-ns")
    source = source.replace("__MASTER__", str(world_readable_master.path))
    cells = [*fake.GOOD_CELLS[:2], *fake.hostile_cells(source), fake.GOOD_CELLS[2]]
    nb = tmp_path / f"{name}.ipynb"
    nb.write_text(json.dumps(fake.notebook(cells)))
    hide = hidden_paths(world_readable_master.path, [tmp_path])
    result = grade_submission(nb, world_readable_master, limits=LIMITS, hide=hide)
    assert result.status == "graded"
    assert result.score == expected, (result.notes, [(t.name, t.output) for t in result.tests])
    if expected < 4:  # every lost point is explained per question
        for t in result.tests:
            if t.status == "failed":
                assert t.output
    assert len(result.printed) <= LIMITS.output + 100
    assert not (tmp_path / "results.json").exists()


def test_hostile_notes_say_what_happened(tmp_path, world_readable_master):
    messages = {
        "h_infinite_loop": "longer than 2.5 s",
        "h_os_exit": "exited",
        "h_segfault": "SIGSEGV",
        "h_memory_bomb": "MemoryError",
        "h_loop_ignoring_interrupt": "stopped",
    }
    for name, source, _ in CASES:
        if name not in messages:
            continue
        cells = [*fake.GOOD_CELLS[:2], *fake.hostile_cells(source), fake.GOOD_CELLS[2]]
        nb = tmp_path / f"{name}.ipynb"
        nb.write_text(json.dumps(fake.notebook(cells)))
        result = grade_submission(nb, world_readable_master, limits=LIMITS)
        assert any(messages[name] in note for note in result.notes), (name, result.notes)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"this is not json", "not a Jupyter notebook"),
        (b'{"hello": 1}', "no list of cells"),
        (bytes(range(256)) * 10, "not a Jupyter notebook"),
        (b'{"cells": [{"cell_type": "code", "source": 3}]}', "damaged"),
    ],
)
def test_corrupt_files_get_zero_with_a_reason(content, why, tmp_path, world_readable_master):
    nb = tmp_path / "broken.ipynb"
    nb.write_bytes(content)
    result = grade_submission(nb, world_readable_master, limits=LIMITS)
    assert (result.status, result.score) == ("unreadable", 0.0)
    assert any(why in note for note in result.notes)
    assert all(t.output.startswith("not graded") for t in result.tests if t.status != "manual")


def test_notebook_of_another_assignment_is_not_run(tmp_path, world_readable_master):
    nb = tmp_path / "other.ipynb"
    nb.write_text(json.dumps(fake.notebook(fake.GOOD_CELLS, assignment="99_other")))
    result = grade_submission(nb, world_readable_master, limits=LIMITS)
    assert (result.status, result.score) == ("wrong_assignment", 0.0)
    assert "99_other" in result.notes[0]


def test_one_hostile_submission_leaves_the_batch_alone(tmp_path, world_readable_master):
    folder = tmp_path / "class"
    folder.mkdir()
    crash = "import ctypes\nctypes.string_at(0)"
    (folder / "a_good.ipynb").write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    crashing = ["answer = 41", crash, *fake.GOOD_CELLS[1:]]
    (folder / "b_crash.ipynb").write_text(json.dumps(fake.notebook(crashing)))
    (folder / "c_corrupt.ipynb").write_bytes(b"\x00garbage")
    (folder / "d_good.ipynb").write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    subs = [Submission(p.stem, p) for p in sorted(folder.glob("*.ipynb"))]
    out = tmp_path / "out"
    results = grade_all(subs, world_readable_master, out, jobs=2, limits=LIMITS)
    assert [(r.name, r.score) for r in results] == [
        ("a_good", 4.0),
        ("b_crash", 3.0),
        ("c_corrupt", 0.0),
        ("d_good", 4.0),
    ]
    assert any("SIGSEGV" in note for note in results[1].notes)
    for r in results:
        assert json.loads((out / r.name / "results.json").read_text())["score"] == r.score


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop only happens when grading as root")
@pytest.mark.parametrize("mode", ["root", "root-ns"])
def test_root_modes_with_a_world_readable_python(mode, tmp_path):
    """The uid-only mode (e.g. Gradescope without namespaces), with the system Python."""
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("no system Python")
    secret = tmp_path / "closed"
    secret.mkdir(mode=0o700)
    (secret / "master.ipynb").write_text(fake.SECRET)
    with Kernel(limits=LIMITS, mode=mode, python=python) as kernel:
        uid = kernel.probe("__import__('os').getuid()").value
        assert isinstance(uid, int) and uid != 0
        read = kernel.execute(f"open({str(secret / 'master.ipynb')!r}).read()")
        assert read.exc == "PermissionError"
        kill = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
        assert kernel.execute(kill).exc in ("PermissionError", "ProcessLookupError", "")
        escape = (
            "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
            "    os._exit(0)"
        )
        assert kernel.execute(escape).ok
        stray = kernel.probe("__import__('os').getpid()").value
        assert kernel.execute("import ctypes\nctypes.string_at(0)").kind == "dead"
        assert "SIGSEGV" in (kernel.death or "")
    # the process that left the group was killed with the rest of the kernel's user id
    deadline = time.monotonic() + 5
    while _live_pids(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stray not in _live_pids(uid) and not _live_pids(uid)


def _live_pids(uid: int) -> set[int]:
    """Processes of ``uid`` that are not zombies (a zombie is dead, waiting to be reaped)."""
    pids = set()
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and os.stat(f"/proc/{p}").st_uid == uid:
                state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    pids.add(int(p))
        except (OSError, IndexError):
            pass
    return pids


def test_a_grader_failure_is_reported_and_retried(tmp_path, world_readable_master, monkeypatch):
    import optcourse.grading.batch as batch

    nb = tmp_path / "alice.ipynb"
    nb.write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    real = batch.grade_submission

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch, "grade_submission", broken)
    out = tmp_path / "out"
    [failed] = grade_all([Submission("alice", nb)], world_readable_master, out, limits=LIMITS)
    assert failed.status == "error" and "disk on fire" in failed.notes[0]
    assert not (out / "alice" / "grading.json").exists()
    monkeypatch.setattr(batch, "grade_submission", real)
    [again] = grade_all([Submission("alice", nb)], world_readable_master, out, limits=LIMITS)
    assert (again.status, again.score) == ("graded", 4.0)


_STALL_BATCH = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import fake_assignment as fake
from optcourse.grading.batch import Submission, grade_all
from optcourse.grading.kernel import KernelLimits
folder, out = Path(sys.argv[2]), Path(sys.argv[3])
subs = [Submission(p.stem, p) for p in sorted(folder.glob("*.ipynb"))]
limits = KernelLimits(cell_timeout=2.5, total_timeout=float(sys.argv[4]), memory=1024**3)
results = grade_all(subs, fake.FakeAssignment(folder), out, jobs=2, limits=limits)
print(json.dumps([[r.name, r.status, r.score, r.timed_out, r.notes] for r in results]))
"""


def test_a_kernel_that_stops_reading_commands_does_not_stall_the_batch(tmp_path):
    """The swap of h_stall_commands made the grader's write of the next (large) cell block for
    ever, ignoring every time limit; the batch now finishes with that submission timed out."""
    import signal
    import subprocess

    folder = tmp_path / "class"
    folder.mkdir()
    [(_, source, _)] = [c for c in CASES if c[0] == "h_stall_commands"]
    stall = [*fake.GOOD_CELLS[:2], *fake.hostile_cells(source), fake.GOOD_CELLS[2]]
    (folder / "a_good.ipynb").write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    (folder / "b_stall.ipynb").write_text(json.dumps(fake.notebook(stall)))
    (folder / "c_good.ipynb").write_text(json.dumps(fake.notebook(fake.GOOD_CELLS)))
    total = 30
    argv = [sys.executable, "-c", _STALL_BATCH, str(HERE), str(folder), str(tmp_path / "out")]
    proc = subprocess.Popen(
        [*argv, str(total)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, _ = proc.communicate(timeout=total + 60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"the batch was still running {total + 60} s later (total timeout {total} s)")
    assert proc.returncode == 0
    rows = {
        name: (status, score, timed_out, notes)
        for name, status, score, timed_out, notes in json.loads(stdout.splitlines()[-1])
    }
    assert rows["a_good"][:2] == rows["c_good"][:2] == ("graded", 4.0)
    status, score, timed_out, notes = rows["b_stall"]
    assert (status, score, timed_out) == ("graded", 0.0, True)
    assert any("stopped reading the grader's commands" in note for note in notes), notes
    assert (tmp_path / "out" / "grades.csv").exists()


# -- memory per submission, IPC objects ---------------------------------------------------------

#: Forks 4 children that each fill 100 MB and report it on a pipe, then hold it for 3 s;
#: ``held`` is how many filled their 100 MB (some perhaps killed later), ``codes`` their wait
#: statuses (0: held it to the end, 9: killed).
FORK_AND_FILL = """
import os, time
r, w = os.pipe()
kids = []
for _ in range(4):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.close(r)
        block = b"x" * (100 * 1024 * 1024)
        os.write(w, b"1")
        time.sleep(3)
        os._exit(0)
    kids.append(pid)
os.close(w)
time.sleep(2)
os.set_blocking(r, False)
try:
    held = len(os.read(r, 100))
except BlockingIOError:
    held = 0
codes = [os.waitpid(p, 0)[1] for p in kids]
"""
MB256 = KernelLimits(cell_timeout=20, total_timeout=60, memory=256 * 1024**2)


def test_memory_is_limited_per_submission_in_a_cgroup():
    """Four forked children of 100 MB each cannot all live under a 256 MB cgroup limit (without
    it, one submission held 400 MB plus itself)."""
    from optcourse.grading.cgroups import memory_control

    if memory_control() is None:
        pytest.skip("no writable cgroup with a memory controller on this machine")
    with Kernel(limits=MB256) as kernel:
        assert kernel.in_cgroup
        reply = kernel.execute(FORK_AND_FILL)
        state = kernel.probe("(len(kids), held, codes)") if kernel.alive else None
        death = kernel.death
    assert kernel.memory_note.startswith("memory limit: 256 MB per submission")
    assert kernel.memory_peak is not None and kernel.memory_peak <= MB256.memory
    if state is None:  # the limit took the kernel itself, and the grader says why
        assert not reply.ok and "256 MB of memory" in str(death), death
        return
    started, _, codes = state.value
    # the survivors held their 100 MB at the same time: 3 x 100 MB + the kernel > 256 MB
    assert started == 4 and codes.count(0) <= 2, state.value
    assert codes.count(9) >= 2, codes  # the others were killed by the limit (SIGKILL)


def test_a_kernel_stopped_by_the_cgroup_limit_says_so():
    """When the limit kills the notebook's own process (the largest here: the out-of-memory
    killer's choice), the grader's note names the memory of the whole submission."""
    from optcourse.grading.cgroups import memory_control

    if memory_control() is None:
        pytest.skip("no writable cgroup with a memory controller on this machine")
    cell = (
        "import os, time\n"
        "for _ in range(2):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(1.0)\n"
        "        block = b'x' * (100 * 1024 * 1024)\n"
        "        time.sleep(3)\n"
        "        os._exit(0)\n"
        "mine = b'x' * (150 * 1024 * 1024)\n"
        "time.sleep(5)\n"
    )
    with Kernel(limits=MB256) as kernel:
        reply = kernel.execute(cell)
    assert not reply.ok and reply.kind == "dead", reply
    assert "more than its 256 MB of memory (all its processes together)" in reply.error


def test_without_a_cgroup_the_processes_are_bounded():
    """Without a cgroup each process gets the memory limit, and the number of processes is
    bounded: with at most 3 processes a submission cannot fork 4 children of 100 MB."""
    if isolation_mode() in ("user-ns", "none") and os.geteuid() == 0:
        pytest.skip("the kernel runs as root here (forced mode), whom RLIMIT_NPROC spares")
    limits = KernelLimits(cell_timeout=20, total_timeout=60, memory=256 * 1024**2, nproc=3)
    with Kernel(limits=limits, cgroup=False) as kernel:
        assert not kernel.in_cgroup
        assert kernel.execute(FORK_AND_FILL).ok
        started, held, codes = kernel.probe("(len(kids), held, codes)").value
    assert "256 MB per process, at most 3 processes" in kernel.memory_note
    if kernel.mode != "none":  # the count is the kernel's own: itself and 2 children
        assert started == held == 2, (started, held)
    assert started < 4 and codes.count(0) == started  # the children it has are not killed


def test_grading_says_how_memory_is_limited(tmp_path, world_readable_master):
    from optcourse.grading.kernel import memory_enforcement

    with Kernel(limits=MB256) as kernel:
        note = kernel.memory_note
    assert note == memory_enforcement(MB256)
    assert note.startswith("memory limit: 256 MB per ")


def _ipc_cell(tag: int, queue: bool = True) -> str:
    """A cell creating System V shared memory, a message queue and a semaphore set (keys
    ``tag``, ``tag + 1``, ``tag + 2``), POSIX shared memory and (``queue``) a POSIX message
    queue."""
    make_queue = "os.O_CREAT | os.O_RDWR" if queue else "os.O_RDWR"
    return f"""
import ctypes, ctypes.util, os, _posixshmem
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
rt = ctypes.CDLL(ctypes.util.find_library("rt") or ctypes.util.find_library("c"), use_errno=True)
ids = [libc.shmget({tag}, 4096, 0o1600), libc.msgget({tag + 1}, 0o1600),
       libc.semget({tag + 2}, 1, 0o1600)]
ids.append(_posixshmem.shm_open("/optcourse-test-{tag}", os.O_CREAT | os.O_RDWR, 0o600))
if {queue}:
    ids.append(rt.mq_open(b"/optcourse-test-{tag}", {make_queue}, 0o600, None))
"""


def _sysv_keys() -> set[int]:
    keys = set()
    for name in ("shm", "msg", "sem"):
        lines = Path("/proc/sysvipc", name).read_text().splitlines()
        keys |= {int(line.split()[0]) for line in lines[1:]}
    return keys


def _ipc_modes() -> list[tuple[str, str | None]]:
    """The isolation modes this machine can run, with the interpreter each needs."""
    modes: list[tuple[str, str | None]] = [(isolation_mode(), None)]
    if os.geteuid() == 0 and os.path.exists("/usr/bin/python3"):
        modes.append(("root", "/usr/bin/python3"))  # a fresh uid, no mount namespace
    modes.append(("none", None))  # no namespace at all: removed after the kernel ends
    return list(dict.fromkeys(modes))


def _queues_go(mode: str) -> bool:
    """Whether a POSIX message queue a kernel makes in ``mode`` goes away: with an IPC namespace
    of its own, or where the grader sees the queues (``/dev/mqueue``) to remove them. Where
    neither holds the test makes none (it would stay on the machine)."""
    from optcourse.grading.isolation import ipc_namespace

    private = mode in ("root-ns", "user-ns") or (mode == "root" and ipc_namespace())
    return private or Path("/dev/mqueue").is_dir()


@pytest.mark.parametrize(("mode", "python"), _ipc_modes(), ids=lambda v: str(v))
def test_ipc_objects_do_not_outlive_the_kernel(mode, python):
    if not Path("/proc/sysvipc/shm").exists():
        pytest.skip("no /proc/sysvipc on this machine")
    tag = 0x0C0000 + os.getpid() % 0xFFFF
    queue = _queues_go(mode)
    with Kernel(limits=LIMITS, mode=mode, python=python) as kernel:
        assert kernel.execute(_ipc_cell(tag, queue)).ok
        ids = kernel.probe("ids").value
    assert len(ids) == 4 + queue and all(i >= 0 for i in ids), ids  # everything was created
    assert not {tag, tag + 1, tag + 2} & _sysv_keys()
    assert not Path(f"/dev/shm/optcourse-test-{tag}").exists()
    if not queue:
        return  # see test_posix_message_queues_do_not_outlive_a_kernel_without_namespaces
    probe = f"rt.mq_open(b'/optcourse-test-{tag}', os.O_RDWR, 0, None), ctypes.get_errno()"
    with Kernel(limits=LIMITS, mode=mode, python=python) as second:
        assert second.execute(_ipc_cell(tag + 10, queue=False)).ok
        found, errno = second.probe(probe).value
    assert (found, errno) == (-1, 2)  # ENOENT: the first kernel's queue is gone


def test_posix_message_queues_do_not_outlive_a_kernel_without_namespaces():
    if not Path("/dev/mqueue").is_dir():
        pytest.skip(
            "/dev/mqueue is not mounted here: without an IPC namespace the grader cannot see "
            "(nor remove) a kernel's POSIX message queues"
        )
    tag = 0x0D0000 + os.getpid() % 0xFFFF
    with Kernel(limits=LIMITS, mode="none") as kernel:
        assert kernel.execute(_ipc_cell(tag)).ok
    assert not Path(f"/dev/mqueue/optcourse-test-{tag}").exists()
