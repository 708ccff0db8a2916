"""Warm-kernel notebook execution: reuse, isolation between runs, restarts, the worker pool.

Every notebook here is built in the test with nbformat and is a few lines long; the kernel's
process id, printed by a cell, tells whether two runs shared a kernel.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis.executor import (
    Task,
    TaskResult,
    WarmKernel,
    cell_seconds,
    one_line_error,
    run_many,
    run_task,
    source_fingerprint,
)

PRINT_PID = "import os\nprint('pid', os.getpid())"
#: First draws after seeding with 1: Python's Mersenne Twister and numpy's legacy RandomState.
RANDOM_AFTER_SEED_1 = "0.13436424411240122"
NUMPY_RAND_AFTER_SEED_1 = "0.417022004702574"


def _notebook(folder: Path, name: str, *sources: str, parameters: str | None = None) -> Path:
    """Write a tiny notebook; ``parameters`` becomes a cell tagged ``parameters``."""
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.extend(new_code_cell(source) for source in sources)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _printed(nb: nbformat.NotebookNode) -> list[str]:
    """Lines the notebook's cells printed, in order."""
    text = "".join(
        output.get("text", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    return text.splitlines()


def _value(nb: nbformat.NotebookNode, key: str) -> str:
    """What the notebook printed after ``key`` on a line ``key value``."""
    values = [line.split(" ", 1)[1] for line in _printed(nb) if line.startswith(key + " ")]
    assert len(values) == 1, _printed(nb)
    return values[0]


def _pid_of(executed: str | Path) -> str:
    return _value(nbformat.read(executed, as_version=4), "pid")


@pytest.fixture()
def source_dir(tmp_path: Path) -> Path:
    """A fake source tree, so that edits to the real ``src/analysis`` restart no kernel here."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "module.py").write_text("x = 1\n")
    return folder


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> WarmKernel:
    folder = tmp_path_factory.mktemp("warm-src")
    with WarmKernel(source_dir=folder) as kernel:
        yield kernel


# --------------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------------


def test_when_cell_error_then_one_line_with_name_message_and_cell():
    from papermill.exceptions import PapermillExecutionError

    exc = PapermillExecutionError(
        cell_index=3,
        exec_count=2,
        source="raise ValueError",
        ename="ValueError",
        evalue="no rows\nfor agency A01",
        traceback=["\x1b[0;31mTraceback\x1b[0m", "line 1"],
    )
    assert one_line_error(exc) == "ValueError: no rows for agency A01 (In [2])"


def test_when_exception_says_it_all_then_its_message_alone():
    class WriteError(Exception):
        message_only = True

    exc = WriteError("reports/A01/baseline.en.html: could not write (No space left on device)")
    assert one_line_error(exc) == str(exc)


def test_when_other_exception_then_its_first_line_only():
    exc = TimeoutError("A cell timed out after 2 seconds.\nHere is a preview: ...")
    assert one_line_error(exc) == "TimeoutError: A cell timed out after 2 seconds."


def test_when_cells_have_papermill_durations_then_cell_seconds_is_their_sum():
    nb = new_notebook()
    nb.cells = [new_code_cell("a"), new_code_cell("b"), new_code_cell("c")]
    nb.cells[0].metadata["papermill"] = {"duration": 0.25}
    nb.cells[1].metadata["papermill"] = {"duration": 1.5}
    nb.cells[2].metadata["papermill"] = {"duration": None}  # not executed after a failure
    assert cell_seconds(nb) == pytest.approx(1.75)


def test_when_a_source_file_is_touched_then_fingerprint_changes(source_dir: Path):
    before = source_fingerprint(source_dir)
    assert source_fingerprint(source_dir) == before
    module = source_dir / "module.py"
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert source_fingerprint(source_dir) != before
    assert source_fingerprint(source_dir / "missing") == ""


# --------------------------------------------------------------------------------------------
# One warm kernel: reuse and isolation
# --------------------------------------------------------------------------------------------


def test_when_run_twice_then_same_kernel_and_no_variable_leaks(warm: WarmKernel, tmp_path: Path):
    first = _notebook(tmp_path, "first", PRINT_PID, "leftover = 42")
    second = _notebook(tmp_path, "second", PRINT_PID, "print('leftover', 'leftover' in dir())")
    nb1 = warm.run(first, tmp_path / "out1.ipynb")
    nb2 = warm.run(second, tmp_path / "out2.ipynb")
    assert _value(nb1, "pid") == _value(nb2, "pid")
    assert _value(nb2, "leftover") == "False"


def test_when_run_twice_then_execution_counts_restart_at_one(warm: WarmKernel, tmp_path: Path):
    notebook = _notebook(tmp_path, "counts", "1", "2", "3")
    warm.run(notebook, tmp_path / "out1.ipynb")
    nb = warm.run(notebook, tmp_path / "out2.ipynb")
    assert [cell.execution_count for cell in nb.cells] == [1, 2, 3]


def test_when_run_changes_rcparams_and_theme_then_next_run_sees_defaults(
    warm: WarmKernel, tmp_path: Path
):
    changes = _notebook(
        tmp_path,
        "changes",
        "import matplotlib, seaborn\n"
        "seaborn.set_theme(style='darkgrid')\n"
        "matplotlib.rcParams['lines.linewidth'] = 7\n"
        "print('facecolor', matplotlib.rcParams['axes.facecolor'])",
    )
    probe = _notebook(
        tmp_path,
        "probe",
        "import matplotlib\n"
        "print('linewidth', matplotlib.rcParams['lines.linewidth'])\n"
        "print('facecolor', matplotlib.rcParams['axes.facecolor'])",
    )
    nb1 = warm.run(changes, tmp_path / "out1.ipynb")
    nb2 = warm.run(probe, tmp_path / "out2.ipynb")
    # seaborn's darkgrid background, then matplotlib's documented defaults (matplotlibrc)
    assert _value(nb1, "facecolor").lower() == "#eaeaf2"
    assert _value(nb2, "linewidth") == "1.5"
    assert _value(nb2, "facecolor") == "white"


def test_when_run_seeds_random_then_next_run_does_not_continue_that_stream(
    warm: WarmKernel, tmp_path: Path
):
    seeds = _notebook(
        tmp_path, "seeds", "import random, numpy\nrandom.seed(1)\nnumpy.random.seed(1)"
    )
    probe = _notebook(
        tmp_path,
        "probe",
        "import random, numpy\nprint('random', repr(random.random()))\n"
        "print('numpy', repr(numpy.random.rand()))",
    )
    warm.run(seeds, tmp_path / "out1.ipynb")
    nb = warm.run(probe, tmp_path / "out2.ipynb")
    # Both generators are deterministic across platforms: the streams that seed 1 starts
    # (Python: 0.13436424411240122, 0.8474337369372327, ...; numpy: 0.417022004702574, ...).
    python_stream = random.Random(1)
    python_draws = {repr(python_stream.random()) for _ in range(1000)}
    numpy_draws = {repr(float(x)) for x in np.random.RandomState(1).rand(1000)}
    assert RANDOM_AFTER_SEED_1 in python_draws
    assert NUMPY_RAND_AFTER_SEED_1 in numpy_draws
    assert _value(nb, "random") not in python_draws
    assert _value(nb, "numpy") not in numpy_draws


def test_when_run_changes_warnings_path_env_and_pandas_options_then_next_run_sees_originals(
    warm: WarmKernel, tmp_path: Path
):
    changes = _notebook(
        tmp_path,
        "changes",
        "import os, sys, warnings, pandas\n"
        "warnings.simplefilter('error')\n"
        "sys.path.append('/nowhere')\n"
        "os.environ['EXECUTOR_PROBE'] = '1'\n"
        "pandas.set_option('display.precision', 2)",
    )
    probe = _notebook(
        tmp_path,
        "probe",
        "import os, sys, warnings, pandas\n"
        "warnings.warn('only a warning')\n"
        "print('path', '/nowhere' in sys.path)\n"
        "print('env', 'EXECUTOR_PROBE' in os.environ)\n"
        "print('precision', pandas.get_option('display.precision'))",
    )
    warm.run(changes, tmp_path / "out1.ipynb")
    nb = warm.run(probe, tmp_path / "out2.ipynb")  # would raise if warnings were still errors
    assert (_value(nb, "path"), _value(nb, "env")) == ("False", "False")
    assert _value(nb, "precision") == "6"  # pandas' documented default


def test_when_cwd_given_then_notebook_runs_there(warm: WarmKernel, tmp_path: Path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    notebook = _notebook(tmp_path, "cwd", "import os\nprint('cwd', os.getcwd())")
    assert _value(warm.run(notebook, tmp_path / "o1.ipynb", cwd=here), "cwd") == str(here)
    assert _value(warm.run(notebook, tmp_path / "o2.ipynb", cwd=there), "cwd") == str(there)
    assert _value(warm.run(notebook, tmp_path / "o3.ipynb"), "cwd") == str(tmp_path)


def test_when_parameters_given_then_injected_after_parameters_cell(
    warm: WarmKernel, tmp_path: Path
):
    notebook = _notebook(
        tmp_path, "params", "print('agency', agency_id, n)", parameters="agency_id = ''\nn = 1"
    )
    nb = warm.run(notebook, tmp_path / "out.ipynb", {"agency_id": "A01", "n": 5})
    assert _value(nb, "agency") == "A01 5"
    tags = [cell.metadata.get("tags", []) for cell in nb.cells]
    assert tags[:2] == [["parameters"], ["injected-parameters"]]
    assert nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[1].source == nb.cells[1].source


# --------------------------------------------------------------------------------------------
# Restarts
# --------------------------------------------------------------------------------------------


def test_when_notebook_fails_then_one_line_error_and_next_run_gets_new_kernel(
    source_dir: Path, tmp_path: Path
):
    good = _notebook(tmp_path, "good", PRINT_PID)
    bad = _notebook(tmp_path, "bad", PRINT_PID, "x = 1", "1 / 0", "print('not reached')")
    with WarmKernel(source_dir=source_dir) as kernel:
        results = [
            run_task(kernel, Task(name, notebook, tmp_path / f"{name}.out.ipynb"))
            for name, notebook in [("good", good), ("bad", bad), ("again", good)]
        ]
        assert kernel.starts == 2
    assert [r.ok for r in results] == [True, False, True]
    # Python's message for 1 / 0, in the third code cell (prompts restart at 1 every run)
    assert results[1].error == "ZeroDivisionError: division by zero (In [3])"
    assert results[1].executed == str(tmp_path / "bad.out.ipynb")  # kept for debugging
    assert _pid_of(results[0].executed) == _pid_of(results[1].executed)
    assert _pid_of(results[2].executed) != _pid_of(results[1].executed)


def test_when_kernel_dies_then_failure_and_next_run_gets_new_kernel(
    source_dir: Path, tmp_path: Path
):
    dies = _notebook(tmp_path, "dies", "import os\nos._exit(3)")
    good = _notebook(tmp_path, "good", PRINT_PID)
    with WarmKernel(source_dir=source_dir) as kernel:
        died = run_task(kernel, Task("dies", dies, tmp_path / "dies.out.ipynb"))
        after = run_task(kernel, Task("good", good, tmp_path / "good.out.ipynb"))
        assert kernel.starts == 2
    assert not died.ok
    assert died.error.startswith("DeadKernelError")
    assert "\n" not in died.error
    assert after.ok


def test_when_cell_runs_past_timeout_then_failure_and_kernel_replaced(
    source_dir: Path, tmp_path: Path
):
    slow = _notebook(tmp_path, "slow", "import time\ntime.sleep(30)")
    good = _notebook(tmp_path, "good", PRINT_PID)
    with WarmKernel(source_dir=source_dir, timeout=1) as kernel:
        timed_out = run_task(kernel, Task("slow", slow, tmp_path / "slow.out.ipynb"))
        after = run_task(kernel, Task("good", good, tmp_path / "good.out.ipynb"))
        assert kernel.starts == 2
    assert not timed_out.ok
    assert timed_out.error.startswith("CellTimeoutError")
    assert timed_out.seconds < 15
    assert after.ok


def test_when_source_tree_changes_then_kernel_restarts(source_dir: Path, tmp_path: Path):
    notebook = _notebook(tmp_path, "pid", PRINT_PID)
    with WarmKernel(source_dir=source_dir) as kernel:
        pid1 = _value(kernel.run(notebook, tmp_path / "o1.ipynb"), "pid")
        pid2 = _value(kernel.run(notebook, tmp_path / "o2.ipynb"), "pid")
        module = source_dir / "module.py"
        stat = module.stat()
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        pid3 = _value(kernel.run(notebook, tmp_path / "o3.ipynb"), "pid")
    assert pid1 == pid2
    assert pid3 != pid2


def test_when_fresh_then_every_run_has_its_own_kernel(source_dir: Path, tmp_path: Path):
    notebook = _notebook(tmp_path, "pid", PRINT_PID)
    with WarmKernel(source_dir=source_dir, fresh=True) as kernel:
        pid1 = _value(kernel.run(notebook, tmp_path / "o1.ipynb"), "pid")
        assert not kernel.running  # shut down after the run
        pid2 = _value(kernel.run(notebook, tmp_path / "o2.ipynb"), "pid")
    assert pid1 != pid2


# --------------------------------------------------------------------------------------------
# Many notebooks
# --------------------------------------------------------------------------------------------


def test_when_run_many_on_two_workers_with_one_failing_then_five_ok_one_failed(
    source_dir: Path, tmp_path: Path
):
    good = _notebook(tmp_path, "good", "import time\ntime.sleep(0.1)", PRINT_PID)
    bad = _notebook(tmp_path, "bad", "raise KeyError('A99')")
    tasks = [
        Task(f"t{i}", bad if i == 3 else good, tmp_path / "out" / f"t{i}.ipynb") for i in range(6)
    ]
    done: list[tuple[str, int]] = []
    results = run_many(
        tasks,
        jobs=2,
        fresh=False,
        on_done=lambda r: done.append((r.id, os.getpid())),
        source_dir=source_dir,
    )
    assert [r.id for r in results] == [t.id for t in tasks]
    assert [r.ok for r in results] == [True, True, True, False, True, True]
    assert results[3].error == "KeyError: 'A99' (In [1])"
    assert sorted(i for i, _ in done) == [t.id for t in tasks]
    assert {pid for _, pid in done} == {os.getpid()}  # on_done runs in this process
    for r in results:
        assert isinstance(r, TaskResult)
        assert Path(r.executed).exists()
        assert 0 < r.cell_seconds <= r.seconds
    ok_pids = {_pid_of(r.executed) for r in results if r.ok}
    assert 2 <= len(ok_pids) <= 3  # a kernel per worker, plus the one replaced after the failure


def test_when_worker_process_dies_then_its_task_fails_and_others_finish(
    source_dir: Path, tmp_path: Path
):
    good = _notebook(tmp_path, "good", PRINT_PID)
    # The kernel's parent is the worker process: kill it, then leave.
    kills = _notebook(
        tmp_path, "kills", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos._exit(0)"
    )
    tasks = [
        Task(name, notebook, tmp_path / "out" / f"{name}.ipynb")
        for name, notebook in [("a", good), ("kills", kills), ("b", good), ("c", good)]
    ]
    done: list[str] = []
    results = run_many(tasks, jobs=2, on_done=lambda r: done.append(r.id), source_dir=source_dir)
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[1].error.startswith("WorkerDied")
    assert sorted(done) == ["a", "b", "c", "kills"]


def test_when_one_job_then_run_in_process_with_warm_kernel(source_dir: Path, tmp_path: Path):
    notebook = _notebook(tmp_path, "pid", PRINT_PID)
    tasks = [Task(f"t{i}", notebook, tmp_path / f"t{i}.ipynb") for i in range(2)]
    done: list[str] = []
    results = run_many(tasks, jobs=1, on_done=lambda r: done.append(r.id), source_dir=source_dir)
    assert [r.ok for r in results] == [True, True]
    assert done == ["t0", "t1"]
    assert _pid_of(results[0].executed) == _pid_of(results[1].executed)


# --------------------------------------------------------------------------------------------
# Stopping: interrupted runs, stopped pools, a dead parent (issue 11)
# --------------------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet waited for, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids, seconds: float) -> float:
    """Seconds until none of ``pids`` runs; fails after ``seconds``."""
    start = time.monotonic()
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() - start < seconds, [p for p in pids if _alive(p)]
        time.sleep(0.05)
    return time.monotonic() - start


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@linux_only
def test_when_run_is_interrupted_then_kernel_is_killed_and_next_run_gets_a_new_one(
    source_dir: Path, tmp_path: Path
):
    sleeps = _notebook(tmp_path, "sleeps", PRINT_PID, "import time\ntime.sleep(60)")
    good = _notebook(tmp_path, "good", PRINT_PID)
    with WarmKernel(source_dir=source_dir) as kernel:
        kernel.prewarm([])
        pid = kernel._km.provisioner.pid
        connection_file = Path(kernel._km.connection_file)
        # Ctrl-C a second into the sleeping cell, as a terminal delivers it to this process.
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            kernel.run(sleeps, tmp_path / "sleeps.out.ipynb")
        timer.join()
        assert time.monotonic() - start < 10
        _wait_gone([pid], 2)
        assert not connection_file.exists()
        assert not kernel.running
        # The interrupted run's event loop is not in the way of the next run.
        after = run_task(kernel, Task("good", good, tmp_path / "good.out.ipynb"))
    assert after.ok, after.error
    assert _pid_of(after.executed) != str(pid)


@linux_only
def test_when_kernel_is_discarded_then_its_process_and_files_are_gone(source_dir: Path):
    kernel = WarmKernel(source_dir=source_dir)
    kernel.prewarm([])
    pid = kernel._km.provisioner.pid
    connection_file = Path(kernel._km.connection_file)
    socket_dir = Path(kernel._socket_dir)
    assert connection_file.exists() and socket_dir.exists()
    kernel.discard()
    _wait_gone([pid], 2)
    assert not connection_file.exists()
    assert not socket_dir.exists()
    assert not kernel.running
    kernel.close()  # and then nothing to do


#: A runner of its own: a pool of two workers, each running a notebook that sleeps, with a
#: scratch folder; it prints its workers' and their kernels' ids once both notebooks run.
_RUNNER = """
import os, pathlib, sys, threading, time
from analysis.executor import Task, WorkerPool
notebook, marks, scratch, in_thread = sys.argv[1:5]
tasks = [Task(name, notebook, pathlib.Path(scratch) / f"{name}.ipynb",
              {"mark": str(pathlib.Path(marks) / name)}) for name in ("a", "b")]
def run():
    WorkerPool(2, scratch=[scratch]).run(tasks)
threading.Thread(target=lambda: (time.sleep(120), os._exit(1)), daemon=True).start()
if in_thread == "1":
    # Started from another thread, the workers do without Linux's parent-death signal
    # (sent when the starting *thread* ends): only their polling sees the runner die.
    threading.Thread(target=run, daemon=True).start()
    time.sleep(120)
else:
    run()
"""


def _pool_processes(runner_pid: int) -> list[int]:
    """The runner's children (workers) and theirs (kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == runner_pid:
                found.append(int(entry.name))
    kernels = [k for w in found for k in _pool_processes(w)] if found else []
    return found + kernels


@linux_only
@pytest.mark.parametrize("in_thread", [False, True], ids=["death-signal", "polling"])
def test_when_the_runner_is_killed_then_workers_kernels_and_scratch_go(
    source_dir: Path, tmp_path: Path, in_thread: bool
):
    notebook = _notebook(
        tmp_path,
        "sleeps",
        "import pathlib, time\npathlib.Path(mark).touch()\ntime.sleep(60)",
        parameters="mark = ''",
    )
    marks, scratch = tmp_path / "marks", tmp_path / "scratch"
    marks.mkdir()
    scratch.mkdir()
    processes: list[int] = []
    runner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _RUNNER,
            str(notebook),
            str(marks),
            str(scratch),
            str(int(in_thread)),
        ],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(marks.iterdir())) < 2:
            assert runner.poll() is None, runner.stderr.read().decode()
            assert time.monotonic() < deadline, "the notebooks did not start"
            time.sleep(0.1)
        processes = _pool_processes(runner.pid)  # the resource tracker, two workers, two kernels
        assert len(processes) >= 4, processes
        runner.kill()
        runner.wait()
        seconds = _wait_gone(processes, 5)
    finally:
        runner.kill()
        for pid in processes:
            if _alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    assert seconds < 5
    assert not scratch.exists()
    stderr = runner.stderr.read().decode()
    assert "Traceback" not in stderr, stderr
