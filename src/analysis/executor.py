"""Fast notebook execution for the report runner: warm kernels and a worker pool.

One papermill run from the command line costs about 6 s on the 2-core machine, most of it
kernel start, imports and process start-up, not the notebook's own cells (DESIGN.md
section 9). This module keeps one Jupyter kernel per worker process alive across notebooks:

- :class:`WarmKernel` owns one kernel and runs notebooks on it with
  ``papermill.execute_notebook(..., km=...)``; papermill hands ``km`` to nbclient, which then
  leaves the kernel running, and one connected kernel client serves every run (a small
  papermill engine hands it to nbclient). Before every run it puts the kernel back in the
  state of a new one (user namespace, execution counter, figures, rcParams and so the
  seaborn theme, random state, warnings filters, pandas and numpy options, ``sys.path``,
  ``os.environ``, working folder) with one silent request, so nothing is added to the
  notebook. The kernel is replaced when the previous run failed, when the ``src/analysis``
  source tree changed since it started (modules already imported would be stale) and when
  it died. ``WarmKernel(fresh=True)`` starts a new kernel for every run: the reference mode
  behind ``--fresh-kernels``.
- :func:`run_many` runs :class:`Task` s on ``jobs`` worker processes, each with its own
  :class:`WarmKernel`, handing tasks out as workers free up. A failing notebook, a timeout,
  a dead kernel or even a dead worker process becomes that task's :class:`TaskResult`; the
  other tasks go on.

papermill is imported only when a notebook is run, so the runner can decide what is up to
date without it. This module itself imports nbformat, whose jsonschema would import the slow
rfc3987-syntax checker if nothing stopped it (see below): 1.35 s per process otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync

if TYPE_CHECKING:
    from nbformat import NotebookNode

# nbformat validates notebooks with jsonschema, which imports the format checker of every
# package it finds installed. rfc3987-syntax (pulled in by jupyter-events, for JupyterLab)
# compiles some 35 Earley grammars when it is imported: 1.35 s of CPU in the runner and in
# each worker, for the "iri" format that no notebook schema uses (jsonschema issue #1428).
# Marked as absent, jsonschema skips that one checker; every other check is unchanged.
# nbformat itself is imported where it is used: a worker starts its kernel before it.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

#: The package's source tree; a change under it restarts warm kernels.
SOURCE_DIR = Path(__file__).resolve().parent

#: Name of the private module in the kernel's ``sys.modules`` that keeps the state of the
#: kernel right after it started (outside the user namespace, so a reset keeps it).
_KERNEL_STATE = "_analysis_executor_state"

#: Executed silently before every run. Written as one function so that the names it needs
#: disappear with the namespace reset it ends with. The first call (on a new kernel) only
#: records the kernel's state; later calls restore it. Random generators are re-seeded from
#: the operating system, as in a new kernel: a notebook that wants reproducible numbers sets
#: its own seed, and a warm run must not look more reproducible than a fresh one.
_PREPARE_KERNEL = """
def _analysis_executor_prepare(cwd):
    import os, random, sys, types, warnings
    # %reset -f (which also runs gc.collect), and execution counts restart at 1 as in a
    # new kernel, so that the executed notebook does not depend on what ran before.
    get_ipython().reset(new_session=True)
    state = sys.modules.get({state!r})
    if state is None:
        import numpy
        state = types.ModuleType({state!r})
        state.filters = list(warnings.filters)
        state.path = list(sys.path)
        state.environ = dict(os.environ)
        state.printoptions = numpy.get_printoptions()
        state.errstate = numpy.geterr()
        sys.modules[{state!r}] = state
    warnings.filters[:] = state.filters
    warnings._filters_mutated()
    sys.path[:] = state.path
    os.environ.clear()
    os.environ.update(state.environ)
    os.chdir(cwd)
    random.seed()
    numpy = sys.modules["numpy"]
    numpy.random.seed()
    numpy.set_printoptions(**state.printoptions)
    numpy.seterr(**state.errstate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        if "matplotlib" in sys.modules:
            # The rc file's values, as a new kernel reads them; the seaborn theme and
            # palette live in rcParams too, so this also undoes sns.set_theme().
            sys.modules["matplotlib"].rc_file_defaults()
        if "pandas" in sys.modules:
            sys.modules["pandas"].reset_option("all")
    # What survived the reset's collection is the kernel's long-lived state: imported
    # modules and their caches. Frozen, the garbage collector stops walking it, so the next
    # reset's collection and the full collections while a notebook runs only walk what that
    # notebook made (about 5% less cell time). Nothing about the objects changes.
    import gc
    gc.freeze()

_analysis_executor_prepare({cwd!r})
"""

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR_MAX_CHARS = 300


def source_fingerprint(source_dir: Path | str) -> str:
    """Cheap fingerprint of a source tree: relative paths, mtimes and sizes of its files.

    ``__pycache__`` and hidden folders are skipped. A missing folder has the fingerprint
    ``""``. Reading no file content keeps it at a few milliseconds for ``src/analysis``.
    """
    root = Path(source_dir)
    if not root.is_dir():
        return ""
    digest = hashlib.sha1()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            try:
                stat = path.stat()
            except OSError:  # removed while walking: the next call sees the change
                continue
            relative = path.relative_to(root).as_posix()
            digest.update(f"{relative}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


def one_line_error(exc: BaseException) -> str:
    """The failure of a run as one line: exception name and message, never a traceback.

    For an error raised by a notebook cell (papermill's ``PapermillExecutionError``) this is
    the cell's own exception and its prompt number in the executed notebook, e.g.
    ``"ValueError: no rows for agency A01 (In [4])"``. An exception whose class sets
    ``message_only = True`` says it all in its message, which is shown alone (e.g.
    ``"reports/A01/baseline.en.html: could not write (No space left on device)"``).
    """
    ename = getattr(exc, "ename", None)
    if getattr(exc, "message_only", False):
        message, suffix = str(exc), ""
    elif ename is not None:  # PapermillExecutionError carries the failing cell's exception
        message = f"{ename}: {getattr(exc, 'evalue', '')}"
        # The prompt number, as papermill's marker at the top of the executed notebook says
        # it ("An Exception was encountered at 'In [4]'"); cell indices shift with markers.
        exec_count = getattr(exc, "exec_count", None)
        suffix = f" (In [{exec_count}])" if exec_count is not None else ""
    else:  # nbclient's errors (timeout, dead kernel) say what happened on their first line
        lines = [line for line in str(exc).splitlines() if line.strip()]
        message = f"{type(exc).__name__}: {lines[0] if lines else ''}"
        suffix = ""
    message = " ".join(_ANSI_ESCAPE.sub("", message).split()).rstrip(":")
    if len(message) > _ERROR_MAX_CHARS:
        message = message[: _ERROR_MAX_CHARS - 3] + "..."
    return message + suffix


def cell_seconds(nb: NotebookNode) -> float:
    """Sum of the executed cells' run times, from papermill's ``papermill.duration`` metadata."""
    total = 0.0
    for cell in nb.cells:
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if duration is not None:
            total += float(duration)
    return total


class _TrackingKernelManager(AsyncKernelManager):
    """Remembers the kernel clients it hands out, so that their channels can be closed.

    nbclient leaves the client it makes open when it does not own the kernel manager;
    without this every run would leak a client's sockets.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._clients: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        kc = super().client(**kwargs)
        self._clients.append(kc)
        return kc

    def stop_clients(self) -> None:
        while self._clients:
            kc = self._clients.pop()
            with contextlib.suppress(Exception):
                kc.stop_channels()


#: A Unix socket path holds at most 107 bytes; the kernel's sockets are named
#: ``<dir>/analysis-kernel-XXXXXXXX/kernel-N``, so the base folder must be short.
_MAX_SOCKET_BASE = 64


def _socket_base() -> str | None:
    """Where the kernel's socket folder goes: the temp folder, or /tmp when that is too long.

    A deep ``TMPDIR`` (a CI job's, a test's) would make the socket path too long for the
    system ("File name too long") and no kernel could start.
    """
    base = tempfile.gettempdir()
    if len(base.encode()) <= _MAX_SOCKET_BASE:
        return None
    return "/tmp" if os.access("/tmp", os.W_OK) else None


def _kill_process(pid: int) -> None:
    """Kill a kernel and anything it started, at once.

    jupyter_client starts every kernel in a session of its own, so its process group has
    the kernel's id: a subprocess a notebook started goes with it.
    """
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:  # not a group leader (another launcher), or gone already
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _kernel_pid(km: Any) -> int | None:
    return getattr(getattr(km, "provisioner", None), "pid", None)


class WarmKernel:
    """One Jupyter kernel, started on first use and reused across notebook runs.

    Parameters
    ----------
    cwd : path, optional
        Working folder of the notebooks when :meth:`run` is given none; default: the folder
        of each notebook, as Jupyter does.
    fresh : bool
        Start a new kernel for every run and shut it down after (``--fresh-kernels``).
    source_dir : path
        Source tree whose change (:func:`source_fingerprint`) restarts the kernel.
    kernel_name : str
        Jupyter kernel spec.
    timeout : float, optional
        Seconds one cell may run; a cell that runs longer fails the run (and the kernel is
        replaced). Default: no limit.
    startup_timeout : float
        Seconds to wait for a new kernel to answer.

    Examples
    --------
    >>> with WarmKernel() as kernel:  # doctest: +SKIP
    ...     nb = kernel.run("notebooks/01_baseline.ipynb", "out.ipynb", {"agency_id": "A01"})
    """

    def __init__(
        self,
        cwd: Path | str | None = None,
        *,
        fresh: bool = False,
        source_dir: Path | str = SOURCE_DIR,
        kernel_name: str = "python3",
        timeout: float | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.cwd = Path(cwd).resolve() if cwd is not None else None
        self.fresh = fresh
        self.source_dir = Path(source_dir)
        self.kernel_name = kernel_name
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        #: How many kernels this object has started (a measure of how warm the runs were).
        self.starts = 0
        self._km: _TrackingKernelManager | None = None
        # The manager of a kernel being started, before it is ``_km``: kill_now finds it.
        self._starting: _TrackingKernelManager | None = None
        self._kc: Any = None
        self._socket_dir: str | None = None
        self._fingerprint = ""
        self._finalizer: weakref.finalize | None = None

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether a kernel is started (it may have died since)."""
        return self._km is not None

    def run(
        self,
        notebook_path: Path | str,
        output_path: Path | str,
        parameters: Mapping[str, Any] | None = None,
        cwd: Path | str | None = None,
    ) -> NotebookNode:
        """Execute a notebook with papermill on the warm kernel and write the executed copy.

        Raises what papermill raises (``PapermillExecutionError`` for a failing cell, nbclient's
        ``DeadKernelError`` or ``CellTimeoutError``, ...); after any failure the kernel is shut
        down and the next run starts a new one.
        """
        import papermill  # slow import (DESIGN.md section 9): only when a notebook runs

        notebook_path = Path(notebook_path).resolve()
        output_path = Path(output_path).resolve()
        output_path.parent.mkdir(parents=True, exist_ok=True)
        run_cwd = Path(cwd).resolve() if cwd is not None else self.cwd or notebook_path.parent
        self._ensure_kernel(run_cwd)
        assert self._km is not None
        try:
            self._prepare(run_cwd)
            nb = papermill.execute_notebook(
                str(notebook_path),
                str(output_path),
                parameters=dict(parameters or {}),
                kernel_name=self.kernel_name,
                progress_bar=False,
                start_timeout=self.startup_timeout,
                execution_timeout=self.timeout,
                km=self._km,
                # papermill otherwise rewrites the whole executed notebook (charts included)
                # before and after every cell. It still writes it once at the end, and when
                # a cell fails (with the error marked); only a kernel that dies mid-run
                # leaves no executed copy.
                request_save_on_cell_execute=False,
                # The kernel's one client, connected and ready (see _client).
                engine_name=_register_engine(),
                kc=self._client(),
            )
        except Exception:
            self.close()
            raise
        except BaseException:
            # Interrupted (the worker is being stopped, Ctrl-C): the event loop may be
            # half-way through a request, so the kernel is killed without entering it again.
            self.discard()
            raise
        if self.fresh:
            self.close()
        return nb

    def prewarm(self, modules: Sequence[str]) -> None:
        """Start the kernel now and import ``modules`` in it, before any notebook runs.

        Imports are most of a notebook's start-up (DESIGN.md section 9); a worker that warms
        its kernel while the runner is still planning saves them from its first report. The
        modules stay imported (a reset between runs keeps ``sys.modules``, as it does after
        any notebook); nothing is added to the user namespace.
        """
        self._ensure_kernel(self.cwd or Path.cwd())
        assert self._km is not None
        code = f"[__import__(name) for name in {list(modules)!r}]"
        reply = self._run_silently(code)
        if reply.get("content", {}).get("status") != "ok":
            self.close()  # the first notebook starts a clean kernel and reports the error

    def close(self) -> None:
        """Shut the kernel down (immediately: it holds nothing worth a graceful stop)."""
        km, self._km = self._km, None
        self._kc = None  # stopped with the manager's other clients below
        finalizer, self._finalizer = self._finalizer, None
        if km is None:
            self._remove_socket_dir()
            return
        km.stop_clients()
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already dead or half started: make sure it is gone
            if finalizer is not None:
                finalizer()
        if finalizer is not None:
            finalizer.detach()
        self._remove_socket_dir()

    def kill_now(self) -> None:
        """Kill the kernel's processes and nothing else: safe in a signal handler.

        The cell being waited for then ends at once (the kernel died), whatever the notebook
        was doing; :meth:`discard` or :meth:`close` cleans up after.
        """
        for km in (self._km, self._starting):
            pid = _kernel_pid(km)
            if pid is not None:
                _kill_process(pid)

    def discard(self) -> None:
        """Stop the kernel without its event loop: for a worker that is being stopped.

        The kernel is killed and its connection file, IPC sockets and socket folder removed,
        all synchronously: the event loop of an interrupted run may be half-way through a
        request and must not be entered again.
        """
        self.kill_now()
        km, self._km = self._km, None
        self._kc = None
        finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer.detach()
        for manager in (km, self._starting):
            if manager is not None:
                with contextlib.suppress(Exception):
                    manager.cleanup_connection_file()
                    manager.cleanup_ipc_files()
        self._starting = None
        self._remove_socket_dir()

    # ----------------------------------------------------------------------------------------

    def _ensure_kernel(self, cwd: Path) -> None:
        if self._km is not None and not self._usable():
            self.close()
        if self._km is None:
            self._start(cwd)

    def _usable(self) -> bool:
        assert self._km is not None
        try:
            alive = run_sync(self._km.is_alive)()
        except Exception:  # noqa: BLE001 - a manager that cannot tell is not usable
            return False
        return alive and source_fingerprint(self.source_dir) == self._fingerprint

    def _start(self, cwd: Path) -> None:
        # Fingerprint first: an edit made while the kernel starts is seen at the next run.
        self._fingerprint = source_fingerprint(self.source_dir)
        # IPC sockets in a private folder instead of TCP on localhost: no port races between
        # parallel kernels, nothing reachable from the network, and no "Kernel is running
        # over TCP without encryption" warning from ipykernel on every start.
        self._socket_dir = tempfile.mkdtemp(prefix="analysis-kernel-", dir=_socket_base())
        km = _TrackingKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=os.path.join(self._socket_dir, "kernel"),
        )
        env = dict(os.environ)
        # Set iteration order of strings then does not change from one kernel to the next.
        env.setdefault("PYTHONHASHSEED", "0")
        # debugpy's "frozen modules" warning on every kernel start is noise, not a problem.
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        self._starting = km
        try:
            run_sync(km.start_kernel)(
                cwd=str(cwd),
                env=env,
                # As nbclient does for the kernels it starts: no history file shared (and
                # locked) between parallel kernels.
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
                # What a cell prints reaches the notebook through the kernel's channels; the
                # kernel process's own output is start-up chatter. Its stderr stays on the
                # terminal so that a crash (a segfault's message, an import error of the
                # kernel itself) is still seen.
                stdout=subprocess.DEVNULL,
            )
        except BaseException:
            self.kill_now()  # first: a stop signal may have broken the start off half-way
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            self._starting = None
            self._remove_socket_dir()
            raise
        self._km, self._starting = km, None
        self.starts += 1
        pid = _kernel_pid(km)
        if pid is not None:
            self._finalizer = weakref.finalize(self, _kill_process, pid)

    def _remove_socket_dir(self) -> None:
        socket_dir, self._socket_dir = self._socket_dir, None
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)

    def _prepare(self, cwd: Path) -> None:
        """Put the kernel in the state of a new one, with ``cwd`` as working folder."""
        assert self._km is not None
        code = _PREPARE_KERNEL.format(state=_KERNEL_STATE, cwd=str(cwd))
        reply = self._run_silently(code)
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(
                "could not reset the kernel: "
                f"{content.get('ename', 'error')}: {content.get('evalue', '')}"
            )

    def _client(self) -> Any:
        """The kernel's one client, kept from run to run.

        nbclient would otherwise connect a new client for every notebook and wait for it to
        be ready (about 0.2 s: the iopub subscription has to settle). Every message carries
        the id of the request it answers, and nbclient and :meth:`_execute_silently` read
        only the answers to their own requests, so one client serves every run.
        """
        assert self._km is not None
        if self._kc is None:
            self._kc = run_sync(self._connect)(self._km)
        return self._kc

    async def _connect(self, km: _TrackingKernelManager) -> Any:
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=self.startup_timeout)
        kc.allow_stdin = False
        return kc

    def _run_silently(self, code: str) -> dict:
        assert self._km is not None
        return run_sync(self._execute_silently)(self._km, self._client(), code)

    async def _execute_silently(self, km: _TrackingKernelManager, kc: Any, code: str) -> dict:
        """Run ``code`` with ``silent=True`` and return the kernel's reply."""
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            try:
                reply = await kc.get_shell_msg(timeout=1)
            except queue.Empty:
                if not await km.is_alive():
                    raise RuntimeError("the kernel died while it was being reset") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply
        raise TimeoutError(f"the kernel did not answer within {self.startup_timeout} s")


_ENGINE = "analysis-warm"


def _register_engine() -> str:
    """A papermill engine that runs nbclient on a kernel client given to it (``kc=``).

    papermill's own engine builds nbclient's client from keyword arguments, and nbclient
    sets its kernel client to None on construction; this engine is the same code with the
    client set after construction. Registered on first use (papermill is a slow import).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    if _ENGINE in papermill_engines._engines:
        return _ENGINE

    class _Client(PapermillNotebookClient):
        def __init__(self, nb_man: Any, kc: Any, **kwargs: Any) -> None:
            super().__init__(nb_man, **kwargs)
            self.kc = kc

    class _Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: float = 60,
            execution_timeout: float | None = None,
            kc: Any = None,
            **kwargs: Any,
        ) -> Any:
            for unused in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = _Client(
                nb_man,
                kc,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            return client.execute()

    papermill_engines.register(_ENGINE, _Engine)
    return _ENGINE


# --------------------------------------------------------------------------------------------
# Tasks and the worker pool
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One notebook to run: where it is, where its executed copy goes, with what parameters."""

    id: str
    notebook: Path | str
    output: Path | str
    parameters: dict[str, Any] = field(default_factory=dict)
    cwd: Path | str | None = None


@dataclass(frozen=True)
class TaskResult:
    """What became of a :class:`Task`.

    ``seconds`` is the wall time of the task including any kernel start; ``cell_seconds`` the
    sum of its executed cells' run times; ``error`` one line (:func:`one_line_error`);
    ``executed`` the executed notebook's path when one was written (also after a failure, for
    debugging), else ``""``.
    """

    id: str
    ok: bool
    seconds: float
    error: str = ""
    cell_seconds: float = 0.0
    executed: str = ""


#: Called in the worker after a successful run with the task and its executed notebook, e.g.
#: the HTML export. Must be a module-level function (it is pickled to worker processes).
AfterRun = Callable[[Task, "NotebookNode"], None]


def run_task(kernel: WarmKernel, task: Task, after: AfterRun | None = None) -> TaskResult:
    """Run one task on ``kernel``; never raises (except ``KeyboardInterrupt``/``SystemExit``)."""
    start = time.perf_counter()
    output = Path(task.output)
    nb = None
    error = ""
    try:
        nb = kernel.run(task.notebook, output, task.parameters, task.cwd)
        if after is not None:
            after(task, nb)
    except Exception as exc:  # noqa: BLE001 - a failed notebook must not stop the others
        error = one_line_error(exc)
    if nb is None and output.exists():  # a failed run: read the partial notebook's timings
        with contextlib.suppress(Exception):
            import nbformat

            nb = nbformat.read(output, as_version=4)
    return TaskResult(
        id=task.id,
        ok=not error,
        seconds=time.perf_counter() - start,
        error=error,
        cell_seconds=cell_seconds(nb) if nb is not None else 0.0,
        executed=str(output) if output.exists() else "",
    )


@contextlib.contextmanager
def _quiet_papermill_log() -> Iterator[None]:
    """Silence papermill's logger (nbclient logs through it): failures come back as results.

    Without this, lines such as "Kernel died while waiting for execute reply." land in the
    middle of the runner's progress bar.
    """
    logger = logging.getLogger("papermill")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


#: How often a worker checks that the runner is still its parent (a backstop where the
#: kernel cannot send the worker a signal when the runner dies: not Linux, or a runner
#: thread that has ended).
PARENT_POLL_SECONDS = 0.25
#: How long a worker told to stop (or orphaned) may take to clean up before it just leaves.
LEAVE_GRACE_SECONDS = 3.0
#: What a worker is sent when its runner dies. Not SIGTERM, by which a live runner stops its
#: workers: only a worker whose runner is gone removes the runner's temporary folders. (A
#: runner killed with threads running is still the worker's parent for a few milliseconds
#: after the signal, so the parent's id cannot tell.)
PARENT_GONE = signal.SIGUSR1
_PR_SET_PDEATHSIG = 1


def _signal_on_parent_death(signum: int) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies (kill -9 included)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):  # no libc or no prctl: the polling thread remains
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _watch_parent(parent_pid: int, leave_now: Callable[[], None]) -> None:
    """A thread that stops this worker when its parent (the runner) is gone.

    It sends the worker :data:`PARENT_GONE`, as Linux does, so that the worker leaves the
    same way either way; if the main thread has not got out after
    :data:`LEAVE_GRACE_SECONDS`, ``leave_now`` ends the process without it.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), PARENT_GONE)
        time.sleep(LEAVE_GRACE_SECONDS)
        leave_now()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_main(
    conn: Connection,
    kernel_options: dict[str, Any],
    after: AfterRun | None,
    parent_pid: int | None = None,
    scratch: Sequence[str] = (),
    death_signal: bool = True,
) -> None:
    """Worker process: run the tasks the parent sends on one warm kernel until told to stop.

    The worker stops within a second or so, quietly, when the runner tells it to (SIGTERM)
    and when the runner dies, however it dies (Linux's parent-death signal, and a thread
    that polls the parent's id): the kernel is killed first, then the run being waited for
    is unwound (an atomic write removes its temporary file) and the kernel's files are
    removed; when the runner is gone, so are its ``scratch`` folders. Ctrl-C is for the
    runner to handle (a terminal sends it to the whole process group): the worker ignores it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    options = dict(kernel_options)
    warm_imports = options.pop("warm_imports", ())
    kernel = WarmKernel(**options)
    leaving = threading.Event()
    parent_gone = threading.Event()

    def remove_scratch() -> None:
        if parent_gone.is_set():  # a runner that is alive removes its own folders
            for folder in scratch:
                shutil.rmtree(folder, ignore_errors=True)

    def stop(signum: int, frame: object) -> None:
        kernel.kill_now()  # at once: the cell being waited for ends with it
        if signum == PARENT_GONE:
            parent_gone.set()
        if not leaving.is_set():  # once: a second signal must not break the clean-up off
            leaving.set()
            raise SystemExit(128 + signum)

    def leave_now() -> None:
        parent_gone.set()
        kernel.discard()
        remove_scratch()
        os._exit(128 + PARENT_GONE)

    signal.signal(signal.SIGTERM, stop)
    if parent_pid is not None:
        signal.signal(PARENT_GONE, stop)
        if death_signal:
            _signal_on_parent_death(PARENT_GONE)
        _watch_parent(parent_pid, leave_now)
        if os.getppid() != parent_pid:  # it died before the parent-death signal was set
            os.kill(os.getpid(), PARENT_GONE)
    try:
        if warm_imports and not kernel.fresh:
            kernel.prewarm(warm_imports)
        with _quiet_papermill_log():
            while (task := conn.recv()) is not None:
                conn.send(run_task(kernel, task, after))
    except (EOFError, OSError):  # the parent closed its end: it is gone (or going)
        parent_gone.set()
        leaving.set()
    finally:
        stopped = leaving.is_set()
        leaving.set()  # from here on a stop signal only kills the kernel
        if stopped:
            kernel.discard()
        else:
            kernel.close()
        remove_scratch()
        # The runner waits for its workers to end: skip the interpreter's final walk over
        # every live object (as ``python -m analysis`` does).
        import gc

        gc.freeze()
        if stopped:
            # Nothing of the interrupted run is worth the interpreter's shutdown (pending
            # tasks of its event loop would only complain on stderr).
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(128 + signal.SIGTERM)


class _Worker:
    """The parent's handle on one worker process and the task it is running."""

    def __init__(
        self,
        context: Any,
        kernel_options: dict[str, Any],
        after: AfterRun | None,
        scratch: Sequence[str] = (),
    ):
        self.conn, child_conn = context.Pipe()
        in_main_thread = threading.current_thread() is threading.main_thread()
        self.process = context.Process(
            target=_worker_main,
            args=(child_conn, kernel_options, after),
            kwargs={
                "parent_pid": os.getpid(),
                "scratch": tuple(scratch),
                # Linux sends the parent-death signal when the *thread* that started the
                # child ends: only ask for it when that thread is the main one.
                "death_signal": in_main_thread,
            },
            daemon=True,
        )
        # A new process inherits an ignored SIGINT, and Python then installs no
        # KeyboardInterrupt handler: a Ctrl-C while the worker is still importing cannot
        # print a traceback. (Signal handlers can only be changed in the main thread.)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
        try:
            self.process.start()
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        child_conn.close()
        self.index: int | None = None
        self.task: Task | None = None
        self.started = 0.0

    def give(self, index: int, task: Task) -> bool:
        self.index, self.task, self.started = index, task, time.perf_counter()
        try:
            self.conn.send(task)
        except OSError:  # died while idle: reported as this task's failure
            return False
        return True

    def take_result(self) -> TaskResult | None:
        """The finished task's result; ``None`` when the process died instead."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def death_result(self) -> TaskResult:
        assert self.task is not None
        self.process.join(timeout=5)
        code = self.process.exitcode
        output = Path(self.task.output)
        return TaskResult(
            id=self.task.id,
            ok=False,
            seconds=time.perf_counter() - self.started,
            error=f"WorkerDied: the worker process running this notebook died (exit code {code})",
            executed=str(output) if output.exists() else "",
        )

    def retire(self) -> None:
        """Tell the worker to shut its kernel down and exit."""
        with contextlib.suppress(OSError):
            self.conn.send(None)

    def stop(self, timeout: float) -> None:
        self.retire()
        self.process.join(timeout=timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.conn.close()


def _terminate(workers: Sequence[_Worker], timeout: float) -> None:
    """Stop workers now, whatever they run: SIGTERM, then SIGKILL after ``timeout`` seconds.

    On SIGTERM a worker kills its kernel at once and then cleans up (:func:`_worker_main`);
    one that has not ended by the deadline is killed, and its kernel, if it still had one,
    ends within a second as it sees its parent gone (ipykernel's parent poller).
    """
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.process.terminate()
    deadline = time.monotonic() + timeout
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1)
        with contextlib.suppress(Exception):
            worker.conn.close()


def run_many(
    tasks: list[Task],
    jobs: int = 1,
    fresh: bool = False,
    on_done: Callable[[TaskResult], None] | None = None,
    *,
    after: AfterRun | None = None,
    timeout: float | None = None,
    source_dir: Path | str = SOURCE_DIR,
) -> list[TaskResult]:
    """Run notebooks on ``jobs`` worker processes, each with its own :class:`WarmKernel`.

    Tasks are handed out one at a time as workers free up, so a slow notebook does not hold
    back a queue behind it. ``on_done(result)`` is called in this process as each task
    finishes (for a progress bar). A failing notebook, timeout or dead kernel fails only its
    task; a worker process that dies fails the task it was running and is replaced. With
    ``jobs=1`` everything runs in this process, which keeps tracebacks of the runner simple.

    Parameters
    ----------
    tasks : list of Task
    jobs : int
        Worker processes (at most one per task).
    fresh : bool
        A new kernel for every notebook (the reference mode, ``--fresh-kernels``).
    on_done : callable, optional
        Called with each :class:`TaskResult` as it arrives.
    after : callable, optional
        Called in the worker with ``(task, executed_notebook)`` after a successful run;
        an exception there fails the task. Must be a module-level function.
    timeout : float, optional
        Seconds one cell may run.
    source_dir : path
        Source tree whose change restarts warm kernels.

    Returns
    -------
    list of TaskResult
        In the order of ``tasks``.
    """
    kernel_options = {"fresh": fresh, "timeout": timeout, "source_dir": str(source_dir)}
    results: list[TaskResult | None] = [None] * len(tasks)

    def finish(index: int, result: TaskResult) -> None:
        results[index] = result
        if on_done is not None:
            on_done(result)

    if jobs <= 1 or len(tasks) <= 1:
        with WarmKernel(**kernel_options) as kernel, _quiet_papermill_log():
            for index, task in enumerate(tasks):
                finish(index, run_task(kernel, task, after))
        return [r for r in results if r is not None]

    with WorkerPool(min(jobs, len(tasks)), after=after, **kernel_options) as pool:
        return pool.run(tasks, on_done)


class WorkerPool:
    """Worker processes started ahead of their tasks, each with its own :class:`WarmKernel`.

    The workers start (and, given ``warm_imports``, start their kernels and import those
    modules) as soon as the pool is made, so a runner can make the pool first and plan its
    tasks while they warm up. :meth:`run` then hands tasks out as workers free up, exactly
    as :func:`run_many` does; a pool runs one batch of tasks.

    Parameters
    ----------
    jobs : int
        Worker processes.
    fresh, timeout, source_dir
        As for :class:`WarmKernel` (``fresh`` kernels are not warmed: each run starts anew).
    after : callable, optional
        As for :func:`run_many`.
    warm_imports : sequence of str
        Modules each worker's kernel imports before its first notebook.
    scratch : sequence of path
        Folders of the caller's that the workers remove if the caller dies without doing so
        (kill -9): where the executed notebooks go.

    A pool left with an exception (Ctrl-C included) stops its workers at once
    (:meth:`terminate`); one left normally lets them finish (:meth:`close`).
    """

    def __init__(
        self,
        jobs: int,
        *,
        fresh: bool = False,
        after: AfterRun | None = None,
        timeout: float | None = None,
        source_dir: Path | str = SOURCE_DIR,
        warm_imports: Sequence[str] = (),
        scratch: Sequence[Path | str] = (),
    ) -> None:
        # spawn, not fork: a forked copy of a process with threads or an event loop can hang.
        self._context = multiprocessing.get_context("spawn")
        self._options = {
            "fresh": fresh,
            "timeout": timeout,
            "source_dir": str(source_dir),
            "warm_imports": tuple(warm_imports),
        }
        self._after = after
        self._scratch = tuple(str(folder) for folder in scratch)
        self._used = False
        self._workers: list[_Worker] = []
        try:
            for _ in range(max(1, jobs)):
                self._workers.append(self._new_worker())
        except BaseException:  # Ctrl-C between two starts: no worker is left behind
            self.terminate()
            raise

    def _new_worker(self) -> _Worker:
        return _Worker(self._context, self._options, self._after, self._scratch)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.terminate()

    def run(
        self, tasks: list[Task], on_done: Callable[[TaskResult], None] | None = None
    ) -> list[TaskResult]:
        """Run ``tasks`` on the pool's workers; results in the order of ``tasks``."""
        self._used = True
        results: list[TaskResult | None] = [None] * len(tasks)
        pending = deque(enumerate(tasks))
        workers = self._workers
        busy: list[_Worker] = []

        def finish(index: int, result: TaskResult) -> None:
            results[index] = result
            if on_done is not None:
                on_done(result)

        def dispatch(worker: _Worker) -> None:
            """Give ``worker`` the next task, or stop it when none is left."""
            while pending:
                index, task = pending.popleft()
                if worker.give(index, task):
                    busy.append(worker)
                    return
                finish(index, worker.death_result())
                workers.remove(worker)
                worker.stop(timeout=0)
                worker = self._new_worker()
                workers.append(worker)
            worker.retire()

        for worker in list(workers):
            dispatch(worker)
        while busy:
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                busy.remove(worker)
                assert worker.index is not None
                result = worker.take_result() if worker.conn.poll() else None
                if result is None:
                    finish(worker.index, worker.death_result())
                    workers.remove(worker)
                    worker.stop(timeout=0)
                    worker = self._new_worker()
                    workers.append(worker)
                else:
                    finish(worker.index, result)
                dispatch(worker)
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Stop every worker (each shuts its kernel down); waits for those already told to.

        A pool that never ran a task (the runner stopped on an error first) stops its
        workers at once instead of letting them finish warming up.
        """
        workers = self._workers
        for worker in list(workers):
            worker.stop(timeout=30 if self._used else 0)
            workers.remove(worker)  # an interrupted close leaves the rest to terminate()

    def terminate(self, timeout: float = LEAVE_GRACE_SECONDS) -> None:
        """Stop every worker now, in the middle of its notebook (an interrupted build)."""
        workers, self._workers = self._workers, []
        _terminate(workers, timeout)
