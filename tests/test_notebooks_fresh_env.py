"""The setup cell in a fresh Python without optcourse, as on Colab or a student's laptop.

A new virtual environment gets only what Colab already has (numpy, matplotlib, ipykernel,
ipywidgets), from PyPI through pip's cache. Its kernel runs a chapter notebook and an exercise
notebook top to bottom (nbclient): the setup cell must install optcourse, with the notebook's
extras, from the checkout named by ``OPTCOURSE_SOURCE`` (a copy of this checkout without its build
products, so pip's in-tree build writes nothing here) as a regular, non-editable install into that
environment, and the rest of the notebook must then run without error. Each test starts without
optcourse in the environment, so the order does not matter.

This takes about a minute (most of it creating the environment), so by default only chapter 2
(the widgets extra) and exercise set 2 (the grading extra) run here; ``OPTCOURSE_FRESH_ENV_ALL=1``
runs every notebook of ``ALL`` (a few minutes). The others have the same cell but for the extras
(``test_notebooks_setup.py``) and run in the ordinary kernel in ``make test``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
COLAB_PACKAGES = ["numpy", "matplotlib", "ipykernel", "ipywidgets"]
KERNEL = "optcourse-fresh-env"
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "_build",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".cache",
    ".ipynb_checkpoints",
)


def _copy_checkout(dest: Path) -> None:
    """Copy the checkout's files (tracked or new, not ignored by git) to ``dest``."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):  # not a git checkout: skip build products
        shutil.copytree(REPO, dest, ignore=IGNORE)
        return
    for name in filter(None, listed.split(b"\0")):
        src = REPO / os.fsdecode(name)
        if src.is_file():  # (a tracked file deleted in the work tree is skipped)
            (dest / src.relative_to(REPO)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / src.relative_to(REPO))
    assert (dest / "pyproject.toml").is_file()


class FreshEnv:
    """A virtual environment without optcourse, a kernel spec for it, and the checkout copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.python = self.venv / "bin" / "python"
        self.source = root / "optcourse-checkout"
        self.jupyter_path = root / "jupyter"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # not from the repository: `python -c` imports from the cwd
            [str(self.python), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=900,
            cwd=self.root,
        )

    def create(self) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=300)
        pip = self.run("-m", "pip", "install", "--quiet", *COLAB_PACKAGES, check=False)
        if pip.returncode != 0:
            pytest.fail(
                f"could not install {', '.join(COLAB_PACKAGES)} into a fresh virtual environment"
                f" (PyPI or pip's cache is needed):\n{pip.stderr[-2000:]}"
            )
        _copy_checkout(self.source)
        spec = self.jupyter_path / "kernels" / KERNEL
        spec.mkdir(parents=True)
        kernel = {
            "argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "fresh environment without optcourse",
            "language": "python",
            "env": {"OPTCOURSE_SOURCE": str(self.source)},
        }
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")

    def installed(self) -> Path | None:
        """Where optcourse imports from in the environment (None: it does not import)."""
        probe = "import optcourse, sys; sys.stdout.write(optcourse.__file__)"
        done = self.run("-c", probe, check=False)
        return Path(done.stdout) if done.returncode == 0 else None

    def uninstall(self) -> None:
        self.run("-m", "pip", "uninstall", "--quiet", "--yes", "optcourse", check=False)
        assert self.installed() is None


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> FreshEnv:
    env = FreshEnv(tmp_path_factory.mktemp("fresh-env"))
    env.create()
    assert env.installed() is None, "the new environment already has optcourse"
    return env


@pytest.fixture
def kernel_env(fresh: FreshEnv, monkeypatch: pytest.MonkeyPatch) -> FreshEnv:
    """Make the fresh kernel findable, and keep this process's paths out of it."""
    monkeypatch.setenv("JUPYTER_PATH", str(fresh.jupyter_path))
    monkeypatch.setenv("PATH", f"{fresh.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    return fresh


def _execute(env: FreshEnv, relative: str) -> nbformat.NotebookNode:
    path = env.source / relative
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,  # the setup cell builds and installs the package
        kernel_name=KERNEL,
        allow_errors=False,  # except cells tagged raises-exception (the answer stubs)
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def _setup_output(nb: nbformat.NotebookNode) -> str:
    cell = next(c for c in nb.cells if c.cell_type == "code")
    assert cell.metadata.get("tags") == ["remove-cell"]
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


ALL = [
    ("notebooks/01_learning_is_optimization.ipynb", "", "numpy"),
    ("notebooks/02_gradient_descent_x2.ipynb", "[widgets]", "ipywidgets"),
    ("notebooks/03_convexity.ipynb", "", "numpy"),
    ("exercises/01_learning_is_optimization.ipynb", "[grading]", "nbformat"),
    ("exercises/02_gradient_descent_x2.ipynb", "[grading]", "nbformat"),
    ("exercises/03_convexity.ipynb", "[grading]", "nbformat"),
    ("notebooks/04_curvature_conditioning.ipynb", "", "numpy"),
    ("notebooks/05_saddles_landscapes.ipynb", "", "numpy"),
    ("notebooks/06_stochastic_gradient_descent.ipynb", "[data]", "sklearn"),
    ("notebooks/07_momentum.ipynb", "", "numpy"),
    ("notebooks/08_adaptive_methods.ipynb", "", "numpy"),
    ("notebooks/09_schedules.ipynb", "[data]", "sklearn"),
    ("notebooks/10_stopping_rules.ipynb", "", "numpy"),
    ("notebooks/11_training_diagnostics.ipynb", "[data]", "sklearn"),
    ("notebooks/12_second_order_methods.ipynb", "[data]", "scipy"),
]
CHOSEN = ALL if os.environ.get("OPTCOURSE_FRESH_ENV_ALL") == "1" else [ALL[1], ALL[4]]


@pytest.mark.parametrize(("notebook", "extras", "module"), CHOSEN)
def test_setup_cell_installs_optcourse_then_the_notebook_runs(
    kernel_env: FreshEnv, notebook: str, extras: str, module: str
) -> None:
    kernel_env.uninstall()
    nb = _execute(kernel_env, notebook)
    line = _setup_output(nb)
    uri = kernel_env.source.resolve().as_uri()
    assert line == f"Installing optcourse{extras} from {uri} (optcourse was not found)\n"
    where = kernel_env.installed()
    assert where is not None, "optcourse was not installed into the fresh environment"
    assert where.is_relative_to(kernel_env.venv)  # a real install, not the checkout (editable)
    assert kernel_env.run("-c", f"import {module}", check=False).returncode == 0
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert {e.ename for e in errors} <= {"NotImplementedError"}  # only answer stubs may raise
    if notebook.startswith("exercises/"):
        text = "".join(
            o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if "text" in o
        )
        assert "[public] failed" in text and "[public] passed" not in text


def test_setup_cell_does_nothing_where_optcourse_imports(kernel_env: FreshEnv) -> None:
    if kernel_env.installed() is None:
        kernel_env.run("-m", "pip", "install", "--quiet", str(kernel_env.source))
    nb = nbformat.read(kernel_env.source / "notebooks/01_learning_is_optimization.ipynb", 4)
    nb.cells = [next(c for c in nb.cells if c.cell_type == "code")]  # the setup cell alone
    client = NotebookClient(nb, timeout=120, kernel_name=KERNEL)
    client.execute()
    assert nb.cells[0].outputs == []
