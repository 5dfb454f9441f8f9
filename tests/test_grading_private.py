"""Output is private: a kernel cannot read the checkout the package is installed from.

With ``pip install -e .`` the package runs from a clone holding ``solutions/`` (the masters) and
``.git``; the kernel finds it through ``optcourse.__file__``. Where there is a mount namespace the
checkout is hidden but the package stays importable; where there is none (a fresh user id only)
grading from such an install is refused with a message naming the checkout."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import optcourse
from optcourse.grading import isolation
from optcourse.grading.grade import HIDDEN, hidden_paths
from optcourse.grading.kernel import Kernel, KernelLimits, isolation_mode

LIMITS = KernelLimits(cell_timeout=5, total_timeout=30, memory=1024**3)
REPO = isolation.package_repository()
MASTERS = sorted((REPO / "solutions").glob("*.ipynb")) if REPO is not None else []


def test_an_editable_install_is_recognised():
    root = Path(optcourse.__file__).resolve().parent.parent
    editable = (root / "pyproject.toml").exists() and "site-packages" not in root.parts
    assert (root == REPO) if editable else REPO is None
    hide = isolation.repository_paths()
    if REPO is not None:
        assert REPO / "solutions" in hide and REPO / "optcourse" not in hide
        assert not any(
            r == p or r.is_relative_to(p) for p in hide for r in isolation.runtime_paths()
        )


@pytest.mark.skipif(not MASTERS, reason="the package is not installed editable from a checkout")
@pytest.mark.skipif(
    isolation_mode() not in ("root-ns", "user-ns"), reason="hiding needs a mount namespace"
)
def test_the_kernel_imports_the_package_but_cannot_read_the_checkout(tmp_path):
    master = tmp_path / "master" / "00_fake.ipynb"
    master.parent.mkdir()
    master.write_text("{}")
    with Kernel(limits=LIMITS, hide=hidden_paths(master)) as kernel:
        version = kernel.probe("__import__('optcourse').__version__")
        assert version.ok and version.value == optcourse.__version__
        reply = kernel.probe(f"open({str(MASTERS[0])!r}).read()")
        assert not reply.ok and reply.exc in ("FileNotFoundError", "PermissionError"), reply
        listed = kernel.probe(f"__import__('glob').glob({str(REPO)!r} + '/*/*.ipynb')")
        assert listed.ok and listed.value == []
        git = kernel.probe(f"__import__('os').listdir({str(REPO / '.git')!r})")
        assert not (git.ok and git.value), git
        main = isolation._main_checkout(REPO)  # a git worktree: its main checkout too
        if main is not None:
            listed = kernel.probe(f"__import__('glob').glob({str(main)!r} + '/*/*.ipynb')")
            assert listed.ok and listed.value == []


def test_a_worktree_hides_its_main_checkout(tmp_path, monkeypatch):
    main = tmp_path / "main"
    (main / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (main / "solutions").mkdir()
    wt = tmp_path / "wt"
    (wt / "optcourse").mkdir(parents=True)
    (wt / "solutions").mkdir()
    (wt / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'wt'}\n")
    monkeypatch.setattr(isolation, "package_repository", lambda: wt)
    hide = isolation.repository_paths()
    assert main in hide and wt / "solutions" in hide and wt / ".git" in hide
    assert wt / "optcourse" not in hide
    # a worktree inside its main checkout: the main checkout's entries but the worktree
    inner = main / "wt"
    (inner / "optcourse").mkdir(parents=True)
    (inner / ".git").write_text("gitdir: ../.git/worktrees/wt\n")
    monkeypatch.setattr(isolation, "package_repository", lambda: inner)
    hide = isolation.repository_paths()
    assert main / "solutions" in hide and main / ".git" in hide
    assert main not in hide and inner not in hide and inner / "optcourse" not in hide


@pytest.fixture
def open_checkout():
    """A checkout in a folder every user may enter (as a clone in a home folder often is)."""
    checkout = Path(tempfile.mkdtemp(prefix="optcourse-clone-"))
    os.chmod(checkout, 0o755)
    (checkout / "solutions").mkdir()
    (checkout / "solutions" / "01_x.ipynb").write_text("{}")
    yield checkout
    shutil.rmtree(checkout)


def test_without_a_mount_namespace_an_editable_install_is_refused(open_checkout, monkeypatch):
    checkout = open_checkout
    monkeypatch.setattr(isolation, "package_repository", lambda: checkout)
    monkeypatch.setattr(isolation, "exposures", lambda: [])
    problem = isolation.isolation_problem("root")
    assert problem is not None
    assert "installed editable" in problem and str(checkout) in problem
    assert "solutions" in problem
    for mode in ("root-ns", "user-ns"):  # the namespaces hide it instead
        assert isolation.isolation_problem(mode) is None
    os.chmod(checkout / "solutions", 0o700)  # closed to other users: nothing to refuse
    assert isolation.isolation_problem("root") is None
    monkeypatch.setattr(isolation, "package_repository", lambda: None)  # a normal install
    os.chmod(checkout / "solutions", 0o755)
    assert isolation.isolation_problem("root") is None


def test_feedback_names_no_classmate_and_no_instructor_path(tmp_path):
    """Where the kernel's mount list shows the mount points hiding the other students' folders,
    the output folder and the master (a mount namespace without a private root), raising or
    printing them must not carry those paths into the student's own outputs."""
    import importlib.util
    import json
    import sys

    from optcourse.grading.batch import Submission, grade_all

    if "fake_assignment" in sys.modules:
        fake = sys.modules["fake_assignment"]
    else:
        where = Path(__file__).parent / "hostile" / "fake_assignment.py"
        spec = importlib.util.spec_from_file_location("fake_assignment", where)
        assert spec is not None and spec.loader is not None
        fake = importlib.util.module_from_spec(spec)
        sys.modules["fake_assignment"] = fake
        spec.loader.exec_module(fake)
    secret_dir = tmp_path / "instructor-master-dir"
    secret_dir.mkdir()
    assignment = fake.FakeAssignment(secret_dir)
    leak = [
        f"raise RuntimeError(open('/proc/self/mountinfo').read().splitlines()[{k}])"
        for k in range(60)
    ]
    leak.append("print(open('/proc/self/mountinfo').read())")
    # a path the kernel cannot learn (with a private root the mount list has none): the
    # scrubbing of outputs is checked with a cell that names it
    leak.append(f"raise RuntimeError({str(secret_dir / 'master.ipynb')!r})")
    cells = [*fake.GOOD_CELLS[:2], *leak, fake.GOOD_CELLS[2]]
    subs = []
    for student in ("student-alice-x1", "student-bob-x2", "student-carol-x3"):
        folder = tmp_path / "class" / student
        folder.mkdir(parents=True)
        (folder / "hw.ipynb").write_text(json.dumps(fake.notebook(cells)))
        subs.append(Submission(student, folder / "hw.ipynb", student=student))
    out = tmp_path / "instructor-grades-dir"
    results = grade_all(subs, assignment, out, limits=LIMITS)
    assert [r.score for r in results] == [4.0, 4.0, 4.0]
    secrets = ["instructor-master-dir", "instructor-grades-dir", str(tmp_path)]
    if REPO is not None:
        secrets.append(str(REPO / "solutions"))
    for r in results:
        others = [s.name for s in subs if s.name != r.name]
        texts = {p.name: p.read_text() for p in (out / r.name).iterdir() if p.is_file()}
        assert texts["printed.txt"]  # the trick ran and printed something
        for name, text in texts.items():
            # grading.json (the instructor's resume record) keeps the student's own path
            shown = name != "grading.json"
            for secret in [*others, *(secrets if shown else [])]:
                assert secret not in text, (r.name, name, secret)
        assert HIDDEN in texts["feedback.md"]  # what was there is marked, not silently dropped


#: A cell reading every place in /proc that lists mounts, for every process the kernel can see:
#: ``mount_texts`` maps each file to its text ("" when it cannot be read).
READ_MOUNT_LISTS = """
import glob, os
places = ["/proc/mounts", "/proc/self/mounts", "/proc/self/mountinfo", "/proc/self/mountstats",
          "/proc/thread-self/mountinfo", "/proc/1/mountinfo", "/proc/1/mounts"]
for pid in [p for p in os.listdir("/proc") if p.isdigit()][:400]:
    places += [f"/proc/{pid}/{n}" for n in ("mounts", "mountinfo", "mountstats")]
    places += glob.glob(f"/proc/{pid}/task/*/mountinfo")
mount_texts = {}
for place in places:
    try:
        with open(place, errors="replace") as f:
            mount_texts[place] = f.read()
    except OSError:
        mount_texts[place] = ""
"""


def test_proc_lists_no_hidden_path(tmp_path):
    """Whatever the kernel reads in /proc about mounts (not only what reaches the feedback,
    which is scrubbed) names neither the master's folder, nor a classmate's, nor the output
    folder, nor the checkout's masters."""
    master = tmp_path / "instructor-master-dir"
    classmate = tmp_path / "class" / "student-bob-x2"
    out = tmp_path / "instructor-grades-dir"
    for folder in (master, classmate, out):
        folder.mkdir(parents=True)
    (master / "master.ipynb").write_text("{}")
    hide = hidden_paths(master / "master.ipynb", [classmate, out])
    with Kernel(limits=LIMITS, hide=hide) as kernel:
        assert kernel.execute(READ_MOUNT_LISTS).ok
        texts = kernel.probe("mount_texts").value
        private_root = kernel.private_root
    assert texts["/proc/self/mountinfo"] and texts["/proc/1/mountinfo"] is not None
    secrets = ["instructor-master-dir", "student-bob-x2", "instructor-grades-dir", str(tmp_path)]
    if REPO is not None:
        secrets.append(str(REPO / "solutions"))
    for place, text in texts.items():
        for secret in secrets:
            assert secret not in text, (place, secret, private_root)
    if isolation_mode() in ("root-ns", "user-ns"):
        assert private_root  # the kernel's root is its own: the machine's mounts are not listed
