"""The project as a package: `pip install .` works on its own, the Makefile checks Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import config

UV = Path(sys.executable).with_name("uv")

#: An install into an empty venv (about 30 s): in make test-slow, so that make test stays
#: under 8 minutes on two cores.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory) -> Path:
    """An empty venv with the project installed from its pyproject.toml (not editable).

    uv installs with the lock as constraints: the versions are the tested ones (and come
    from uv's cache), but every package must be reached through pyproject.toml's declared
    dependencies, since a constraint installs nothing by itself.
    """
    if not UV.exists():
        pytest.skip(f"uv is not installed in this venv ({UV}): run `make venv`")
    venv = tmp_path_factory.mktemp("pkg") / "venv"
    subprocess.run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    build_copy = tmp_path_factory.mktemp("src") / "project"
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    shutil.copytree(
        config.PROJECT_ROOT,
        build_copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "reports", "data", "node_modules"),
    )
    subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            "-c",
            str(config.LOCK_FILE),
            str(build_copy),
        ],
        check=True,
        env={**os.environ, "UV_COMPILE_BYTECODE": "0"},
        timeout=600,
    )
    return venv


def test_when_installed_with_pip_then_the_commands_work_from_any_folder(installed_venv, tmp_path):
    python = installed_venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(python), "-m", "analysis", "simulate", "--out", "study", "--agencies", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [str(python), "-m", "analysis", "validate", "--data", "study"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    # The package's own files, not the checkout's: the source tree is not on the path.
    where = subprocess.run(
        [str(python), "-c", "import analysis; print(analysis.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert str(installed_venv) in where


def test_when_make_is_given_another_python_then_it_stops_with_one_clear_line():
    # -B forces the venv recipe; the version check runs before anything is removed.
    result = subprocess.run(
        ["make", "-B", "PYTHON=/nonexistent/python3.12", ".venv/.installed"],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "this project needs Python 3.11" in result.stderr
    assert (config.PROJECT_ROOT / ".venv" / "bin" / "python").exists()
