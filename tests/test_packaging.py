"""The package as published: one version, license metadata, project URLs from ``_config.yml``,
and a one-line message (exit 2) when the ``grading`` extra is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import yaml

import optcourse
from optcourse import cli

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
REPO_URL: str = CONFIG["repository"]["url"].rstrip("/")
OWNER, NAME = REPO_URL.removeprefix("https://github.com/").split("/")
SITE_URL = f"https://{OWNER}.github.io/{NAME}/"

tomllib = pytest.importorskip("tomllib")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def run_cli(*args: str, block: str | None = None) -> subprocess.CompletedProcess[str]:
    """``optcourse *args`` in a fresh interpreter; ``block`` makes that module unimportable."""
    prelude = f"import sys; sys.modules[{block!r}] = None; " if block else "import sys; "
    code = prelude + f"from optcourse.cli import main; sys.exit(main({list(args)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )


def test_version_has_one_source_and_the_command_prints_it() -> None:
    assert "version" not in PYPROJECT["project"]
    assert "version" in PYPROJECT["project"]["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "optcourse.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", optcourse.__version__)
    done = run_cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"optcourse {optcourse.__version__}"


def test_license_is_an_spdx_expression_with_the_file() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert "MIT License" in (REPO / "LICENSE").read_text(encoding="utf-8")


def test_project_urls_are_derived_from_the_book_config() -> None:
    urls = PYPROJECT["project"]["urls"]
    assert urls == {"Homepage": SITE_URL, "Source": REPO_URL, "Issues": f"{REPO_URL}/issues"}


def test_every_mention_of_the_repository_or_site_matches_the_config() -> None:
    """No second, diverging copy of the URL in any tracked text file."""
    files = subprocess.run(
        ["git", "ls-files"], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split()
    pattern = re.compile(rf"https?://(?:github\.com/{OWNER}\b|{OWNER}\.github\.io)[^\s\"'`)>\]]*")
    found = 0
    for name in files:
        path = REPO / name
        if path.suffix in {".png", ".zip", ".ico"} or not path.is_file():
            continue
        for url in pattern.findall(path.read_text(encoding="utf-8", errors="replace")):
            found += 1
            url = url.rstrip(".,;:\\")
            assert url.startswith((REPO_URL, SITE_URL.rstrip("/"))), f"{name}: {url}"
    assert found >= 5  # pyproject, README, the instructors' page, the CLI, binder


def test_the_cli_names_the_configured_repository() -> None:
    assert cli.source_url() in (REPO_URL, REPO_URL + "/")


@pytest.mark.parametrize(
    "args",
    [
        ("assign", "solutions/01_learning_is_optimization.ipynb", "--out", "never-written"),
        ("check", "exercises/01_learning_is_optimization.ipynb"),
        ("grade", "subs", "--assignment", "solutions/x.ipynb", "--out", "never-written"),
        ("autograder", "solutions/01_learning_is_optimization.ipynb", "--out", "never.zip"),
        ("report", "never-written"),
        ("manual", "export", "never-written"),
    ],
)
@pytest.mark.parametrize("module", ["nbformat", "nbclient"])
def test_without_the_grading_extra_a_command_says_what_to_install(
    args: tuple[str, ...], module: str
) -> None:
    done = run_cli(*args, block=module)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"optcourse {args[0]}: needs the [grading] extra")
    assert module in lines[0] and f"optcourse[grading] @ git+{REPO_URL}" in lines[0]
    assert not (REPO / "never-written").exists() and not (REPO / "never.zip").exists()


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A wheel and an sdist made by ``python -m build`` from the working tree, and its log."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist, done.stdout + done.stderr


def test_the_wheel_carries_license_urls_and_the_version(dists: tuple[Path, Path, str]) -> None:
    wheel, _, log = dists
    assert "deprecated" not in log.lower()
    version = optcourse.__version__
    assert wheel.name.startswith(f"optcourse-{version}-py3-none-any")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = Parser().parsestr(zf.read(f"optcourse-{version}.dist-info/METADATA").decode())
        assert "MIT License" in zf.read(f"optcourse-{version}.dist-info/licenses/LICENSE").decode()
    assert meta["Version"] == version
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert f"Source, {REPO_URL}" in meta.get_all("Project-URL")
    assert "optcourse/explorer.js" in names and "optcourse/py.typed" in names
    assert "optcourse/explorer_plane.js" in names  # the plane explorer reads it at run time
    assert not [n for n in names if n.startswith(("tests/", "solutions/"))]


def test_the_sdist_carries_the_license_and_builds_the_same_version(
    dists: tuple[Path, Path, str],
) -> None:
    _, sdist, _ = dists
    top = f"optcourse-{optcourse.__version__}"
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
        member = tf.extractfile(f"{top}/PKG-INFO")
        assert member is not None
        meta = Parser().parsestr(member.read().decode())
    assert f"{top}/LICENSE" in names and f"{top}/pyproject.toml" in names
    assert meta["Version"] == optcourse.__version__ and meta["License-Expression"] == "MIT"


def test_binder_installs_the_package_with_the_widgets_and_data_extras() -> None:
    post_build = REPO / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert 'pip install --no-cache-dir ".[widgets,data]"' in post_build.read_text(encoding="utf-8")
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any(dep.startswith("ipywidgets") for dep in extras["widgets"])
    assert any(dep.startswith("scikit-learn") for dep in extras["data"])
    # scikit-learn is for the book and the tests, never a runtime dependency
    assert not any(dep.startswith("scikit-learn") for dep in PYPROJECT["project"]["dependencies"])
    assert any(dep.startswith("scikit-learn") for dep in extras["book"] + extras["test"])
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def test_scipy_is_an_extra_for_the_book_and_the_tests_only() -> None:
    """SciPy's L-BFGS-B is chapter 12's comparison; optcourse itself never imports scipy."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra in ("book", "test", "dev", "data"):
        assert "scipy>=1.10" in extras[extra], extra
    assert not any(dep.startswith("scipy") for dep in PYPROJECT["project"]["dependencies"])
    sources = (REPO / "optcourse").rglob("*.py")
    assert not any("import scipy" in f.read_text(encoding="utf-8") for f in sources)


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("browser", "sudo apt-get install chromium chromium-driver nodejs npm"),
        ("npm", "sudo apt-get install nodejs npm"),
    ],
)
def test_system_deps_says_what_to_install_when_it_cannot(
    tmp_path: Path, what: str, expected: str
) -> None:
    """Not root and nothing installed: a message naming the packages (and the skip variable)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    (bin_dir / "cat").symlink_to(shutil.which("cat") or "/bin/cat")
    done = subprocess.run(
        ["/bin/bash", str(REPO / ".ci" / "system-deps"), what],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
        timeout=60,
    )
    assert done.returncode == 1
    assert expected in done.stderr
    assert ("OPTCOURSE_SKIP_BROWSER=1 make test" in done.stderr) == (what == "browser")
