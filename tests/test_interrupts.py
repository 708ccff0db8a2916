"""Interrupted builds: Ctrl-C, SIGTERM and kill -9 of ``python -m analysis build`` (issue 11).

Each test starts a real runner on two baseline reports of the small study, with a copy of the
notebooks whose first cell after the parameters marks that the notebook is running and then
sleeps for a minute, so that the signal always finds both workers and their kernels busy
(or, for the start-up test, still starting). Every process of the build carries a tag in
its environment, so the tests find the workers and kernels even after they have lost their
parent, and ``TMPDIR`` points to a folder of the test's own, so that what the build leaves
in it is seen.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from analysis import build as build_module
from analysis import config

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the build's processes in /proc"
)

#: What the requirement allows between the signal and the last worker or kernel gone.
STOP_SECONDS = 5.0
#: Generous: two workers warm up and start their notebooks on a shared 2-core machine.
START_SECONDS = 180.0
AGENCIES = ("AG01", "AG02")

_SLEEP_CELL = (
    "import pathlib, time\n"
    "pathlib.Path({marks!r}, agency_id).touch()  # the notebook is running\n"
    "time.sleep(60)"
)


class Build:
    """A ``python -m analysis build`` subprocess and what it leaves behind."""

    def __init__(self, tmp_path: Path, study: Path, notebooks: Path) -> None:
        self.tag = uuid.uuid4().hex
        self.marks = tmp_path / "marks"
        self.tmpdir = tmp_path / "tmp"
        self.reports = tmp_path / "reports"
        for folder in (self.marks, self.tmpdir):
            folder.mkdir()
        self.notebooks = notebooks
        self.stdout_path = tmp_path / "stdout.txt"
        self.stderr_path = tmp_path / "stderr.txt"
        argv = ["analysis", "build", "--data", str(study), "--reports", str(self.reports)]
        argv += ["--jobs", "2", "--phase", "baseline", "--lang", "en", "--agency", *AGENCIES]
        # The real entry point (analysis/__main__.py), with the notebooks folder swapped for
        # the slow copy: the workers get each notebook's path from the runner.
        code = (
            "import pathlib, runpy, sys\n"
            "from analysis import config\n"
            f"config.NOTEBOOKS_DIR = pathlib.Path({str(notebooks)!r})\n"
            f"sys.argv = {argv!r}\n"
            "runpy.run_module('analysis', run_name='__main__', alter_sys=True)\n"
        )
        env = dict(os.environ, ANALYSIS_TEST_TAG=self.tag, TMPDIR=str(self.tmpdir))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # Files, not pipes: a child that outlives the runner must not block the test.
            # A session of its own, so that Ctrl-C can be sent to the whole process group,
            # as a terminal does.
            self.process = subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=config.PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def children(self) -> dict[int, str]:
        """Live processes of this build other than the runner: pid -> command line."""
        found = {}
        needle = f"ANALYSIS_TEST_TAG={self.tag}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.process.pid:
                continue
            try:
                if needle not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:  # gone meanwhile, or not ours to read
                continue
            if status != "Z":  # a zombie has ended; only its parent's wait is missing
                found[int(entry.name)] = command[:120]
        return found

    def wait_until(self, condition, what: str, timeout: float = START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"the build ended ({self.process.returncode}) before {what}:\n" + self.stderr()
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s:\n" + self.stderr())
            time.sleep(0.1)

    def wait_until_notebooks_run(self) -> None:
        self.wait_until(
            lambda: len(list(self.marks.iterdir())) == len(AGENCIES), "notebooks running"
        )

    def signal(self, signum: int, group: bool = False) -> float:
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        return time.monotonic()

    def seconds_until_children_gone(self, since: float, limit: float = 30.0) -> float:
        while self.children() and time.monotonic() - since < limit:
            time.sleep(0.05)
        return time.monotonic() - since

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Leave nothing running, whatever the test found."""
        with _suppress():
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in self.children():
            with _suppress():
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def _suppress():
    import contextlib

    return contextlib.suppress(OSError)


@pytest.fixture()
def start_build(small_study, tmp_path):
    """Start builds (one per test) on a copy of the small study; stop whatever is left after."""
    started: list[Build] = []
    study = tmp_path / "study" / "raw"
    shutil.copytree(small_study, study)

    def start() -> Build:
        notebooks = tmp_path / "notebooks"
        shutil.copytree(config.NOTEBOOKS_DIR, notebooks)
        path = notebooks / build_module.NOTEBOOKS["baseline"]
        nb = nbformat.read(path, as_version=4)
        cell = _SLEEP_CELL.format(marks=str(tmp_path / "marks"))
        nb.cells.insert(2, nbformat.v4.new_code_cell(cell))  # right after the parameters
        nbformat.write(nb, path)
        started.append(Build(tmp_path, study, notebooks))
        return started[-1]

    yield start
    for build in started:
        build.stop()


def _assert_nothing_left(build: Build, seconds: float) -> None:
    """No worker or kernel, no temporary folder or file, no half-written notebook."""
    assert seconds < STOP_SECONDS, f"still running after {seconds:.1f} s: {build.children()}"
    assert sorted(p.name for p in build.tmpdir.iterdir()) == []
    assert list(build.reports.rglob("*.tmp")) == []
    for kept in build.reports.glob("_failed/**/*.ipynb"):
        nbformat.read(kept, as_version=4)  # whole, never truncated


def _last_line(stderr: str) -> str:
    # The progress bar redraws itself with carriage returns; what follows it is on its own line.
    lines = [line.rsplit("\r", 1)[-1].strip() for line in stderr.splitlines()]
    return [line for line in lines if line][-1]


def test_when_runner_is_killed_then_workers_and_kernels_stop_and_temp_folders_go(start_build):
    build = start_build()
    build.wait_until_notebooks_run()
    assert len(build.children()) >= 4  # two workers, two kernels
    since = build.signal(signal.SIGKILL)
    assert build.process.wait(timeout=10) == -signal.SIGKILL
    seconds = build.seconds_until_children_gone(since)
    _assert_nothing_left(build, seconds)
    stderr = build.stderr()
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


def test_when_ctrl_c_then_one_line_exit_130_and_nothing_left(start_build):
    build = start_build()
    build.wait_until_notebooks_run()
    since = build.signal(signal.SIGINT, group=True)  # as a terminal sends Ctrl-C
    assert build.process.wait(timeout=30) == 130
    seconds = build.seconds_until_children_gone(since)
    _assert_nothing_left(build, seconds)
    stderr = build.stderr()
    assert "Traceback" not in stderr, stderr
    assert "KeyboardInterrupt" not in stderr, stderr
    assert _last_line(stderr) == "build interrupted: 0 reports done, 2 not built"


def test_when_sigterm_then_one_line_exit_143_and_nothing_left(start_build):
    build = start_build()
    build.wait_until_notebooks_run()
    since = build.signal(signal.SIGTERM)
    assert build.process.wait(timeout=30) == 143
    seconds = build.seconds_until_children_gone(since)
    _assert_nothing_left(build, seconds)
    stderr = build.stderr()
    assert "Traceback" not in stderr, stderr
    assert _last_line(stderr) == "build interrupted: 0 reports done, 2 not built"


def test_when_ctrl_c_while_workers_start_then_no_traceback_and_nothing_left(start_build):
    build = start_build()
    # As soon as the worker processes exist: they are still importing and starting kernels.
    build.wait_until(
        lambda: sum("spawn_main" in c for c in build.children().values()) >= 2, "workers"
    )
    since = build.signal(signal.SIGINT, group=True)
    assert build.process.wait(timeout=30) == 130
    seconds = build.seconds_until_children_gone(since)
    _assert_nothing_left(build, seconds)
    stderr = build.stderr()
    assert "Traceback" not in stderr, stderr
    assert _last_line(stderr).startswith("build interrupted")
