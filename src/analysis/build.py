"""The report runner behind ``python -m analysis build`` and ``make reports``.

A build prepares the study when its raw files changed, plans one job per notebook, agency,
phase and language, decides which reports are stale, runs the stale notebooks on warm
Jupyter kernels (:mod:`analysis.executor`, ``--jobs`` worker processes, a new kernel per
notebook with ``--fresh-kernels``), exports each executed notebook to self-contained HTML
in the worker with one in-process nbconvert exporter, and writes ``results.csv`` and the
``index.html`` portal when their content changes. A failing notebook does not stop the
others: its executed notebook is kept under ``<reports>/_failed/``, the summary lists it
and the build exits 1. Every file is written through a temporary file and a rename, so an
interrupted build leaves the previous file or none, never half of one.

Incremental builds
------------------
``<reports>/.build/manifest.json`` maps each report to the key of the inputs it was built
from (:func:`report_key`), a SHA-256 over

- the notebook's bytes and the job's parameters;
- the code: every file of ``src/analysis`` (modules and the nbconvert template), the lock
  file, the installed versions of the key packages, and the git version that the footer
  prints (:func:`analysis.report.code_version`);
- the data the report displays (:func:`data_keys`): the agency's own slice of the prepared
  tables (its ``agencies`` row, analysed and excluded answers, ledger rows and activity
  log) plus what the report shows of the other agencies, computed as the report computes
  it (:func:`displayed_context`): every agency's baseline outcome level for the baseline
  report's league and rank, every agency's outcome change (with the Benjamini-Hochberg
  p-values and the comparison agencies' changes) for the impact report, the other agencies'
  activity logs for the intervention report's programme median, and the agency list
  (names in the league charts). A change to one agency that leaves what the others show
  unchanged (a comment, a background answer) therefore changes only that agency's keys; a
  change that moves its own displayed estimate in everyone's league rebuilds the phase.
  The regional report depends on all the prepared tables;
- the footer: an agency's report prints the SHA-256 of ``study.yml`` and of its own
  prepared data (``views.footer``), both covered above; the regional report prints the
  SHA-256 of every raw input file. :data:`FOOTER_SHOWS_RAW_FILE_HASHES` says whether
  agency reports print the raw files' hashes too (then every raw change would show in,
  and rebuild, every report).

A report is also stale when it is missing or was modified since it was written, when its
last run failed (a failed report has no manifest entry), or with ``--force``. The data keys
are cached in the manifest against the raw inputs' fingerprint, so a no-op rebuild hashes
the raw files and the code, compares, and exits without computing any statistic or
importing papermill (about 1 s on the demo study).

Interrupts and failing writes
-----------------------------
Ctrl-C and SIGTERM stop the build within a few seconds: the workers are told to stop
(each kills its kernel first), the temporary folder is removed, and one line says how far
the build got (``build interrupted: 3 reports done, 10 not built``); the exit status is 130
for SIGINT and 143 for SIGTERM, and the reports already done stay recorded, so the next
build goes on from there. Should the runner itself be killed (kill -9), the workers see it
within a fraction of a second (a parent-death signal, and a thread that polls the parent)
and do the same clean-up themselves. Before anything runs, the build checks that it can
create files in the reports folder (exit 2 if not); an output that cannot be written
afterwards (a full disk, a folder made read-only) becomes one line naming the file and the
reason, the build does what it can of the rest and exits 1, and no partial file is left.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from analysis import config

if TYPE_CHECKING:
    import pandas as pd
    from nbformat import NotebookNode

    from analysis.dataset import StudyData
    from analysis.executor import Task, TaskResult

PHASES = ("baseline", "intervention", "impact", "regional")
NOTEBOOKS = {
    "baseline": "01_baseline.ipynb",
    "intervention": "02_intervention.ipynb",
    "impact": "03_impact.ipynb",
    "regional": "04_regional.ipynb",
}
#: What the report notebooks import: each worker's kernel imports it while the runner still
#: plans the build (most of a notebook's start-up is imports; DESIGN.md section 9).
WARM_IMPORTS = (
    "IPython.display",
    "matplotlib.pyplot",
    "analysis.baseline",
    "analysis.intervention",
    "analysis.impact",
    "analysis.regional",
)
#: Phases by decreasing run time of their notebook (demo study), for the first build's order.
USUAL_COST_ORDER = ("regional", "impact", "baseline", "intervention")

BUILD_DIR = ".build"
MANIFEST_FILE = "manifest.json"
#: Bumped when the manifest's layout or the meaning of a key changes: every report rebuilds.
MANIFEST_VERSION = 1
FAILED_DIR = "_failed"

#: Whether agency reports' footers print the SHA-256 of every raw input file (they print
#: their own data's hash instead: ``views.footer``; see the module docstring).
FOOTER_SHOWS_RAW_FILE_HASHES = False


@dataclass(frozen=True)
class Job:
    """One notebook run: which notebook, with which parameters, rendered where."""

    phase: str
    lang: str
    agency_id: str | None
    notebook: str
    html: str  # output path relative to the reports folder
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        who = self.agency_id or "regional"
        return f"{who}/{self.phase}.{self.lang}"


@dataclass
class JobResult:
    job: Job
    ok: bool
    seconds: float
    error: str = ""
    executed: str = ""  # where the executed notebook of a failed run was kept
    cell_seconds: float = 0.0


def available_phases() -> list[str]:
    """Phases whose notebook exists in ``notebooks/``."""
    return [p for p in PHASES if (config.NOTEBOOKS_DIR / NOTEBOOKS[p]).exists()]


class UnsafeReportPath(ValueError):
    """An agency id that would put a report outside the reports folder."""


def report_path(phase: str, lang: str, agency_id: str | None) -> str:
    """Report file name relative to the reports folder (DESIGN.md section 6).

    Raises
    ------
    UnsafeReportPath
        When the name would not stay inside the reports folder. ``validate`` refuses such
        agency ids already (:func:`analysis.study.agency_id_problem`); this is the second
        lock, on the place where an id becomes a path.
    """
    name = f"{phase}.{lang}.html" if agency_id is None else f"{agency_id}/{phase}.{lang}.html"
    parts = PurePosixPath(name).parts
    if (
        "\\" in name
        or "\x00" in name
        or PurePosixPath(name).is_absolute()
        or any(part in ("..", ".", "") for part in parts)
        or len(parts) != (1 if agency_id is None else 2)
    ):
        raise UnsafeReportPath(f"agency id {agency_id!r} would write outside the reports folder")
    return name


def inside_reports(reports_dir: Path, relative: str) -> Path:
    """``reports_dir / relative``, checked to stay inside ``reports_dir`` once links are followed.

    A folder ``reports/AG01`` that is a link to elsewhere would carry the report out.
    """
    path = reports_dir / relative
    if not path.resolve().is_relative_to(reports_dir.resolve()):
        raise UnsafeReportPath(f"{relative}: leads outside the reports folder {reports_dir}")
    return path


def plan_jobs(
    study_dir: Path,
    reports_dir: Path,
    agency_ids: list[str],
    phases: list[str],
    langs: list[str],
) -> list[Job]:
    """Every (phase, agency, language) job of the build, regional ones last."""
    jobs = []
    for phase in phases:
        agencies: list[str | None] = [None] if phase == "regional" else list(agency_ids)
        for agency_id in agencies:
            for lang in langs:
                params = {
                    "agency_id": agency_id or "",
                    "lang": lang,
                    "study_dir": str(Path(study_dir).resolve()),
                    "mode": "report",  # the notebooks' Explore section is the researcher's
                }
                jobs.append(
                    Job(
                        phase=phase,
                        lang=lang,
                        agency_id=agency_id,
                        notebook=NOTEBOOKS[phase],
                        html=report_path(phase, lang, agency_id),
                        params=params,
                    )
                )
    return jobs


# --- keys -----------------------------------------------------------------------------------


def _sha256(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode()
        digest.update(len(data).to_bytes(8, "big") + data)  # length-prefixed: no ambiguity
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes; ``""`` for a missing file."""
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def tree_digest(root: Path) -> str:
    """SHA-256 over the relative paths and bytes of every file under ``root``.

    ``__pycache__`` and hidden entries are skipped. Content, not modification times: a
    checkout or a ``touch`` does not make reports stale, an edit does.
    """
    root = Path(root)
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(f for f in filenames if not f.startswith(".")):
            path = Path(dirpath, name)
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def code_key() -> dict[str, Any]:
    """What every report depends on besides its notebook and data: code and environment."""
    from analysis.report import code_version, package_versions

    return {
        "source": tree_digest(Path(__file__).resolve().parent),
        "lock": file_digest(config.LOCK_FILE),
        "packages": package_versions(),
        "code_version": code_version(),
    }


def displayed_context(data: StudyData, phase: str) -> pd.DataFrame | None:
    """What a report of ``phase`` shows of the other agencies, computed as the report does.

    The baseline report: every agency's outcome level (league, rank, target); the impact
    report: every agency's outcome change (league, Benjamini-Hochberg across agencies, the
    comparison agencies' change for the DiD); the intervention report: the other agencies'
    activity logs (programme median dose), hashed separately.
    """
    if phase == "baseline":
        from analysis.baseline import league_levels

        return league_levels(data)
    if phase == "impact":
        from analysis.impact import outcome_change_rows

        return outcome_change_rows(data)
    return None


def data_keys(
    data: StudyData,
    jobs: Iterable[Job],
    raw_fingerprint: Mapping[str, str],
) -> dict[str, str]:
    """Key of the data each report displays, by report path (see the module docstring).

    Parameters
    ----------
    data : StudyData
    jobs : iterable of Job
    raw_fingerprint : mapping
        SHA-256 of each raw input file, as the report footer prints them.
    """
    from analysis.dataset import agency_rows, frame_digest

    jobs = list(jobs)
    contexts = {
        phase: displayed_context(data, phase)
        for phase in dict.fromkeys(j.phase for j in jobs if j.agency_id is not None)
    }

    slices = {a: data.agency_digest(a) for a in data.agencies["agency_id"].astype(str)}
    agencies = frame_digest(data.agencies)
    # Every footer prints study.yml's hash (and the codebook shapes every number).
    footer = (
        dict(raw_fingerprint)
        if FOOTER_SHOWS_RAW_FILE_HASHES
        else {"study.yml": raw_fingerprint.get("study.yml", "")}
    )
    everything = [
        frame_digest(t)
        for t in (data.agencies, data.responses, data.excluded, data.ledger, data.interventions)
    ]
    keys = {}
    for job in jobs:
        if job.agency_id is None:
            keys[job.html] = _sha256(job.phase, everything, footer)
            continue
        context: list[str] = [agencies]
        shown = contexts.get(job.phase)
        if shown is not None:
            context.append(frame_digest(shown))
        if job.phase == "intervention":
            context.append(frame_digest(agency_rows(data.interventions, job.agency_id, own=False)))
        keys[job.html] = _sha256(job.phase, slices[job.agency_id], context, footer)
    return keys


def report_key(job: Job, code: Mapping[str, Any], notebook_digest: str, data_key: str) -> str:
    """The key of one report: code, notebook, parameters and data (module docstring)."""
    return _sha256(MANIFEST_VERSION, code, notebook_digest, job.params, data_key)


# --- manifest and atomic writes -------------------------------------------------------------


class WriteError(Exception):
    """An output that could not be written, as one line naming it and the reason.

    E.g. ``reports/AG01/baseline.en.html: could not write (No space left on device)``.
    """

    #: :func:`analysis.executor.one_line_error` shows the message without the class name.
    message_only = True


def shown_path(path: Path | str) -> str:
    """A path as the user would name it: relative to the working folder when inside it."""
    path = Path(path)
    with contextlib.suppress(ValueError, OSError):
        return path.relative_to(Path.cwd()).as_posix()
    return str(path)


def could_not_write(path: Path | str, exc: OSError) -> WriteError:
    """The :class:`WriteError` of an ``OSError`` met while writing ``path``."""
    return WriteError(f"{shown_path(path)}: could not write ({exc.strerror or exc})")


def _write_all(fd: int, payload: bytes) -> None:
    """Write every byte to ``fd`` (the one low-level write of the runner's outputs)."""
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write a file through a temporary file in the same folder and a rename.

    An interrupted or failing write leaves the previous file (or none), never half a file;
    the temporary file is removed. An ``OSError`` (a full disk, a read-only folder) is
    raised as a :class:`WriteError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise could_not_write(path, exc) from None
    try:
        try:
            _write_all(fd, payload)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise could_not_write(path, exc) from None
        raise


def copy_file_atomic(source: Path | str, target: Path) -> None:
    """Copy a file as :func:`write_bytes_atomic` writes one: all of it or nothing."""
    try:
        payload = Path(source).read_bytes()
    except OSError as exc:
        raise WriteError(f"{shown_path(source)}: could not read ({exc.strerror or exc})") from None
    write_bytes_atomic(target, payload)


def write_json_atomic(path: Path, payload: object) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    write_bytes_atomic(Path(path), (text + "\n").encode("utf-8"))


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds exactly it; True if written."""
    path = Path(path)
    payload = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == payload:
        return False
    write_bytes_atomic(path, payload)
    return True


def manifest_path(reports_dir: Path) -> Path:
    return Path(reports_dir) / BUILD_DIR / MANIFEST_FILE


def read_manifest(reports_dir: Path) -> dict[str, Any]:
    """The manifest of the last build; an empty one when missing, unreadable or outdated."""
    empty: dict[str, Any] = {"version": MANIFEST_VERSION, "data": {}, "reports": {}}
    try:
        manifest = json.loads(manifest_path(reports_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
        return empty
    manifest.setdefault("data", {})
    manifest.setdefault("reports", {})
    return manifest


def _output_stamp(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def is_up_to_date(entry: Mapping[str, Any] | None, key: str, html: Path) -> bool:
    """Whether a report built with ``key`` is on disk as the build left it."""
    if not entry or entry.get("key") != key or not html.is_file():
        return False
    return _output_stamp(html) == {k: entry.get(k) for k in ("size", "mtime_ns")}


# --- running --------------------------------------------------------------------------------


def export_report(reports_dir: str, task: Task, nb: NotebookNode) -> None:
    """The workers' after-run hook: render the executed notebook to its report file.

    A report that cannot be written fails its task with one line naming the file
    (:class:`WriteError`); ``export_html`` writes atomically, so nothing partial is left.
    """
    from analysis.report import export_html

    path = inside_reports(Path(reports_dir), task.id)
    try:
        export_html(nb, path, task.parameters["lang"])
    except OSError as exc:
        raise could_not_write(path, exc) from None


#: Seconds one report of each phase usually takes on a warm kernel (demo study, 2 cores):
#: the progress ETA starts from these, not from the first report (which may include a
#: kernel start), and moves towards the times measured as reports finish.
EXPECTED_SECONDS = {"regional": 6.0, "impact": 1.6, "baseline": 1.6, "intervention": 0.9}
#: Seconds of expected work the prior is worth against the measured times.
PRIOR_SECONDS = 10.0


def format_eta(seconds: float) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class BuildProgress:
    """Progress of the reports of a build on ``stream`` (stderr).

    On a terminal (``live``): a tqdm bar redrawn in place. Otherwise (a log, a pipe, CI):
    one line per finished report, ``[ 3/182] AG01/baseline.ar 1.7 s, ETA 2:05``, and no
    carriage returns. The ETA is the expected seconds of the reports not finished
    (the last build's time of each report, else :data:`EXPECTED_SECONDS` of its phase),
    scaled by how fast the finished ones went against their expectation (with
    :data:`PRIOR_SECONDS` of weight on the expectation, so one slow first report does not
    dominate), over the workers.
    """

    def __init__(
        self,
        jobs: list[Job],
        n_workers: int,
        stream: Any = None,
        *,
        live: bool | None = None,
        expected: Mapping[str, float] | None = None,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        if live is None:
            isatty = getattr(self.stream, "isatty", None)
            live = bool(isatty and isatty())
        self.live = live
        self.n_workers = max(1, n_workers)
        self.total = len(jobs)
        self.done = 0
        known = expected or {}
        self._expected = {
            job.html: float(known.get(job.html) or EXPECTED_SECONDS.get(job.phase, 2.0))
            for job in jobs
        }
        self._remaining = sum(self._expected.values())
        self._expected_done = 0.0
        self._measured_done = 0.0
        self._bar = None
        if live:
            from tqdm import tqdm

            self._bar = tqdm(
                total=self.total,
                unit="report",
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
            )
            self._bar.set_postfix_str(f"ETA {format_eta(self.eta())}", refresh=True)

    def eta(self) -> float:
        """Seconds until the last report is done, as estimated now."""
        speed = (PRIOR_SECONDS + self._measured_done) / (PRIOR_SECONDS + self._expected_done)
        return self._remaining * speed / min(self.n_workers, max(1, self.total - self.done))

    def finished(self, result: JobResult) -> None:
        expected = self._expected.get(result.job.html, 0.0)
        self._remaining = max(0.0, self._remaining - expected)
        self._expected_done += expected
        self._measured_done += max(0.0, result.seconds)
        self.done += 1
        status = "" if result.ok else "FAILED "
        eta = format_eta(self.eta())
        if self._bar is not None:
            self._bar.set_postfix_str(f"ETA {eta} {status}{result.job.label}", refresh=False)
            self._bar.update(1)
        else:
            width = len(str(self.total))
            self.stream.write(
                f"[{self.done:>{width}}/{self.total}] {status}{result.job.label} "
                f"{result.seconds:.1f} s, ETA {eta}\n"
            )
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run_jobs(
    jobs: list[Job],
    reports_dir: Path,
    n_workers: int,
    *,
    fresh: bool = False,
    executed_dir: Path,
    on_result: Any = None,
    pool: Any = None,
    write_errors: list[str] | None = None,
    expected: Mapping[str, float] | None = None,
) -> list[JobResult]:
    """Run jobs on ``n_workers`` warm kernels with progress and ETA on stderr.

    Executed notebooks go to ``executed_dir``; a failed run's copy is kept under
    ``<reports>/_failed/`` (copied atomically; when it cannot be written, the one-line
    :class:`WriteError` goes to ``write_errors``). ``on_result(result)`` is called as each
    job finishes. ``pool`` (:func:`start_pool`, started before the jobs were planned) runs
    them instead of new workers. ``expected`` (report path -> seconds of its last build)
    feeds the ETA (:class:`BuildProgress`).
    """
    from analysis.executor import Task, run_many

    if not jobs:
        return []
    by_id = {job.html: job for job in jobs}
    tasks = [
        Task(
            id=job.html,
            notebook=(config.NOTEBOOKS_DIR / job.notebook).resolve(),
            output=Path(executed_dir) / (job.html.removesuffix(".html") + ".ipynb"),
            parameters=job.params,
            cwd=config.NOTEBOOKS_DIR.resolve(),
        )
        for job in jobs
    ]
    results: list[JobResult] = []
    bar = BuildProgress(jobs, min(n_workers, len(jobs)), sys.stderr, expected=expected)

    def done(task_result: TaskResult) -> None:
        job = by_id[task_result.id]
        kept = ""
        failed_copy = Path(reports_dir) / FAILED_DIR / (job.html.removesuffix(".html") + ".ipynb")
        if not task_result.ok and task_result.executed:
            try:
                copy_file_atomic(task_result.executed, failed_copy)
                kept = str(failed_copy)
            except WriteError as exc:
                if write_errors is not None:
                    write_errors.append(str(exc))
        elif task_result.ok:
            with contextlib.suppress(OSError):  # an old copy that stays is only misleading
                failed_copy.unlink(missing_ok=True)
        result = JobResult(
            job,
            task_result.ok,
            task_result.seconds,
            task_result.error,
            kept,
            task_result.cell_seconds,
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
        bar.finished(result)

    try:
        if pool is not None:
            pool.run(tasks, done)
        else:
            run_many(
                tasks,
                jobs=min(n_workers, len(tasks)),
                fresh=fresh,
                on_done=done,
                after=partial(export_report, str(Path(reports_dir).resolve())),
            )
    finally:
        bar.close()
    order = {job.html: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.job.html])


def summary_lines(results: list[JobResult], up_to_date: int = 0) -> list[str]:
    built = sum(r.ok for r in results)
    failed = [r for r in results if not r.ok]
    lines = [f"built {built}, up to date {up_to_date}, failed {len(failed)}"]
    for r in failed:
        where = f" (executed notebook: {r.executed})" if r.executed else ""
        lines.append(f"  FAILED {r.job.label}: {r.error}{where}")
    return lines


def failures_record(results: list[JobResult]) -> list[dict]:
    return [
        {"report": r.job.html, "error": r.error, "executed": r.executed}
        | {"job": asdict(r.job) | {"params": {}}}
        for r in results
        if not r.ok
    ]


def start_pool(reports_dir: Path, n_workers: int, fresh: bool, scratch: Path | None = None) -> Any:
    """Worker processes that start their kernels and imports now (:class:`WorkerPool`).

    ``scratch`` (the build's temporary folder) is removed by the workers should the runner
    die without removing it.
    """
    from analysis.executor import WorkerPool

    return WorkerPool(
        n_workers,
        fresh=fresh,
        after=partial(export_report, str(Path(reports_dir).resolve())),
        warm_imports=WARM_IMPORTS,
        scratch=() if scratch is None else (scratch,),
    )


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _write_results(
    reports_dir: Path, results: Mapping[str, pd.DataFrame], fingerprint: str, manifest: dict
) -> None:
    """Merge the phases' rows into ``results.csv``; the file is rewritten only if it changes."""
    from analysis.results import RESULTS_FILE, merge_results, read_results, to_csv_text

    path = Path(reports_dir) / RESULTS_FILE
    write_if_changed(path, to_csv_text(merge_results(read_results(path), results)))
    done = manifest.get("results", {})
    phases = set(results)
    if done.get("fingerprint") == fingerprint:  # rows of other phases are still current
        phases |= set(done.get("phases", []))
    manifest["results"] = {"fingerprint": fingerprint, "phases": sorted(phases)}


def _write_portal(
    data: StudyData, reports_dir: Path, failures: list[dict], inputs: str, manifest: dict
) -> None:
    """Write ``index.html`` unless its inputs (data, code, reports on disk, failures) and the
    file itself are as the last build left them: the portal computes a league table."""
    path = Path(reports_dir) / "index.html"
    on_disk = sorted(
        p.relative_to(reports_dir).as_posix()
        for p in Path(reports_dir).rglob("*.html")
        if p != path and not {BUILD_DIR, FAILED_DIR} & set(p.relative_to(reports_dir).parts)
    )
    key = _sha256(inputs, on_disk, failures)
    entry = manifest.get("portal", {})
    if (
        entry.get("key") == key
        and path.is_file()
        and _output_stamp(path) == {k: entry.get(k) for k in ("size", "mtime_ns")}
    ):
        return
    from analysis.portal import portal_html

    write_if_changed(path, portal_html(data, reports_dir, failures))
    manifest["portal"] = {"key": key, **_output_stamp(path)}


class BuildInterrupted(KeyboardInterrupt):
    """SIGTERM in the runner, raised like Ctrl-C's ``KeyboardInterrupt`` so that every
    clean-up runs on the way out and nothing that catches ``Exception`` swallows it."""


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """While building, SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`BuildInterrupted`.

    Only the first of them does: a second Ctrl-C while the workers are being stopped must
    not break the clean-up off half-way (and print a traceback). A signal that was ignored
    when the build started (a background job) stays ignored. Signal handlers belong to the
    main thread: elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupted = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        if interrupted:
            return
        interrupted = True
        raise BuildInterrupted if signum == signal.SIGTERM else KeyboardInterrupt

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler not set from Python, which Python cannot put back.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@dataclass
class _Progress:
    """How far a build got, for the line an interrupted build ends with."""

    stale: int | None = None  # reports to build, once planned
    built: int = 0

    def interrupted_line(self) -> str:
        done = f"{self.built} report{'' if self.built == 1 else 's'} done"
        if self.stale is None:
            return f"build interrupted before any report ran: {done}"
        return f"build interrupted: {done}, {self.stale - self.built} not built"


class _Background:
    """A function run on a daemon thread: an interrupted build does not wait for it."""

    def __init__(self, function: Any, *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(function, args), name="results", daemon=True
        )
        self._thread.start()

    def _run(self, function: Any, args: tuple) -> None:
        try:
            self._value = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def check_writable(reports_dir: Path) -> str | None:
    """``None`` when files can be created in the reports folder (made if missing); else why not.

    It creates and removes an empty file: the only test that sees read-only mounts, ACLs
    and the like as the build will.
    """
    reports_dir = Path(reports_dir)
    if reports_dir.exists() and not reports_dir.is_dir():
        return "not a folder"
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=reports_dir, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def build(
    study_dir: Path,
    reports_dir: Path,
    *,
    jobs: int | None = None,
    agencies: list[str] | None = None,
    phases: list[str] | None = None,
    langs: list[str] | None = None,
    fresh_kernels: bool = False,
    force: bool = False,
    keep_executed: Path | None = None,
    pdf: bool = False,
) -> int:
    """``python -m analysis build``: 0 when every report built, 1 if any failed, 2 on bad input.

    Interrupted by Ctrl-C it returns 130, by SIGTERM 143, after one line on stderr saying
    how far it got (module docstring).

    Parameters
    ----------
    jobs : int, optional
        Worker processes, each with a warm kernel (default: the number of cores).
    agencies, phases, langs : list of str, optional
        Build only these (default: all).
    fresh_kernels : bool
        A new kernel for every notebook (the reference mode; slower, same bytes).
    force : bool
        Rebuild every planned report, stale or not.
    keep_executed : Path, optional
        Keep every executed notebook there (default: only failed ones, under ``_failed/``).
    pdf : bool
        Also print each planned report to ``<phase>.<lang>.pdf`` beside its HTML
        (:mod:`analysis.pdf`), incrementally; without Chromium, exit 2 in one line before
        anything runs.
    """
    progress = _Progress()
    with _signals_as_interrupts():
        try:
            # Left in reverse order: worker pools (stopped at once on an error or an
            # interrupt) before the temporary folder they write executed notebooks into.
            with contextlib.ExitStack() as resources:
                try:
                    scratch = Path(
                        resources.enter_context(
                            tempfile.TemporaryDirectory(
                                prefix="analysis-build-", ignore_cleanup_errors=True
                            )
                        )
                    )
                except OSError as exc:
                    return _error(f"could not create a temporary folder ({exc.strerror or exc})")
                return _build(
                    resources,
                    scratch,
                    progress,
                    study_dir,
                    reports_dir,
                    jobs=jobs,
                    agencies=agencies,
                    phases=phases,
                    langs=langs,
                    fresh_kernels=fresh_kernels,
                    force=force,
                    keep_executed=keep_executed,
                    pdf=pdf,
                )
        except KeyboardInterrupt as exc:
            print(progress.interrupted_line(), file=sys.stderr)
            return 128 + (signal.SIGTERM if isinstance(exc, BuildInterrupted) else signal.SIGINT)


def _build(
    _pools: contextlib.ExitStack,
    scratch: Path,
    progress: _Progress,
    study_dir: Path,
    reports_dir: Path,
    *,
    jobs: int | None = None,
    agencies: list[str] | None = None,
    phases: list[str] | None = None,
    langs: list[str] | None = None,
    fresh_kernels: bool = False,
    force: bool = False,
    keep_executed: Path | None = None,
    pdf: bool = False,
) -> int:
    from analysis.dataset import StudyDataError, ensure_prepared, load_study_data
    from analysis.prepare import INPUTS_STAMP

    study_dir, reports_dir = Path(study_dir), Path(reports_dir)
    if not (study_dir / "study.yml").exists():
        return _error(f"{study_dir}: no study.yml here (give the study folder with --data)")
    problem = check_writable(reports_dir)
    if problem is not None:
        return _error(f"cannot write to the reports folder {reports_dir} ({problem})")
    chromium = None
    if pdf:
        from analysis.pdf import find_chromium, missing_renderer_message

        chromium = find_chromium()
        if chromium is None:
            return _error(missing_renderer_message())
    start_workers = partial(start_pool, reports_dir, fresh=fresh_kernels, scratch=scratch)
    pool = None
    if force or not read_manifest(reports_dir)["reports"]:
        # Every report will run (a first build, or --force): the workers start their kernels
        # and imports now, while this process loads the data and plans, instead of after.
        pool = _pools.enter_context(start_workers(max(1, jobs or os.cpu_count() or 1)))
    try:
        processed = ensure_prepared(study_dir)
        data = load_study_data(study_dir)
    except StudyDataError as exc:
        from analysis.validate import run_validate

        run_validate(study_dir)  # lists every problem, one line each
        return _error(str(exc))

    known_phases = available_phases()
    if not known_phases:  # e.g. a pip-installed package: the notebooks are in the repository
        return _error(
            f"no report notebooks in {config.NOTEBOOKS_DIR}: build runs from a checkout of the "
            "repository (its notebooks/ folder); a pip-installed package has validate, prepare, "
            "simulate and the nbconvert exporter"
        )
    # A broken message catalog would fail every report of its language, one by one.
    from analysis import catalogs

    catalog_problems = catalogs.problems()
    if catalog_problems:
        for line in catalog_problems:
            print(f"error: {line}", file=sys.stderr)
        return _error(f"{len(catalog_problems)} problem(s) in the message catalogs: make catalogs")
    phases = list(dict.fromkeys(phases or known_phases))
    unknown = [p for p in phases if p not in known_phases]
    if unknown:
        return _error(f"unknown or not yet available phase(s) {unknown}; available: {known_phases}")
    all_ids = data.agencies["agency_id"].tolist()
    agency_ids = list(dict.fromkeys(agencies or all_ids))
    unknown = [a for a in agency_ids if a not in all_ids]
    if unknown:
        return _error(f"unknown agency id(s) {unknown}; agencies.csv lists {len(all_ids)} agencies")
    study_langs = list(data.study.languages)
    langs = list(dict.fromkeys(langs or study_langs))
    unknown = [lang for lang in langs if lang not in study_langs]
    if unknown:
        return _error(f"unknown language(s) {unknown}; study.yml lists {study_langs}")

    from analysis.prepare import summary_lines as ledger_lines

    print(f"study {study_dir}: {len(all_ids)} agencies")
    for line in ledger_lines(data.ledger):
        print(f"  {line}")
    start = time.perf_counter()
    try:
        planned = plan_jobs(study_dir, reports_dir, agency_ids, phases, langs)
        for job in planned:
            inside_reports(reports_dir, job.html)
    except UnsafeReportPath as exc:
        return _error(str(exc))

    # What is stale: compare each report's input key with the manifest's.
    manifest = read_manifest(reports_dir)
    code = code_key()
    raw_fingerprint = json.loads((processed / INPUTS_STAMP).read_text(encoding="utf-8"))
    fingerprint = _sha256(raw_fingerprint, code["source"], FOOTER_SHOWS_RAW_FILE_HASHES)
    cached = manifest["data"]
    keys = dict(cached.get("keys", {})) if cached.get("fingerprint") == fingerprint else {}
    results_done = manifest.get("results", {})
    results_stale = (
        results_done.get("fingerprint") != fingerprint
        or not set(phases).issubset(results_done.get("phases", []))
        or not (reports_dir / "results.csv").exists()
    )
    max_workers = max(1, min(jobs or os.cpu_count() or 1, len(planned) or 1))
    if results_stale or any(job.html not in keys for job in planned):
        # The data or the code changed: reports will very likely be stale. The workers
        # start their kernels and imports while the keys' statistics are computed here.
        if planned and pool is None:
            pool = _pools.enter_context(start_workers(max_workers))
        keys.update(data_keys(data, planned, raw_fingerprint))
    manifest["data"] = {"fingerprint": fingerprint, "keys": keys}
    notebook_digests = {p: file_digest(config.NOTEBOOKS_DIR / NOTEBOOKS[p]) for p in phases}
    report_keys = {
        job.html: report_key(job, code, notebook_digests[job.phase], keys[job.html])
        for job in planned
    }
    stale = [
        job
        for job in planned
        if force
        or not is_up_to_date(
            manifest["reports"].get(job.html), report_keys[job.html], reports_dir / job.html
        )
    ]
    # Longest first, so that no long report starts last: the times of the last build, else
    # the phase's mean time then, else the phases' usual order of cost.
    previous = {h: e.get("seconds", 0.0) for h, e in manifest["reports"].items()}
    by_phase: dict[str, list[float]] = {}
    for job in planned:
        if job.html in previous:
            by_phase.setdefault(job.phase, []).append(previous[job.html])

    def expected_seconds(job: Job) -> tuple[float, int]:
        if job.html in previous:
            return previous[job.html], 0
        known = by_phase.get(job.phase)
        if known:
            return sum(known) / len(known), 0
        return 0.0, -USUAL_COST_ORDER.index(job.phase)

    stale.sort(key=expected_seconds, reverse=True)
    up_to_date = len(planned) - len(stale)
    progress.stale = len(stale)

    n_workers = max(1, min(max_workers, len(stale) or 1))
    if stale and pool is None:
        pool = _pools.enter_context(start_workers(n_workers))
    elif not stale and pool is not None:
        pool.close()
        pool = None
    results: list[JobResult] = []
    # Outputs that could not be written (a full disk, a read-only folder): one line each,
    # after the progress bar; the build goes on with the rest and exits 1.
    write_errors: list[str] = []
    rows_future = None
    if results_stale:
        # Every estimate of results.csv is computed here while the workers run notebooks
        # (this process only waits for them meanwhile). On a daemon thread: an interrupted
        # build leaves at once instead of waiting for the computation to end.
        from analysis.results import phase_results

        rows_future = _Background(phase_results, data, phases)

    def save_manifest() -> None:
        try:
            write_json_atomic(manifest_path(reports_dir), manifest)
        except WriteError as exc:
            write_errors.append(str(exc))

    if stale:
        mode = "a new kernel per report" if fresh_kernels else "warm kernels"
        print(
            f"building {len(stale)} of {len(planned)} reports on {n_workers} worker(s) "
            f"({mode}) into {reports_dir}"
        )

        def record(result: JobResult) -> None:
            # Recorded as each report finishes, so an interrupted build keeps its progress.
            if result.ok:
                html = reports_dir / result.job.html
                manifest["reports"][result.job.html] = {
                    "key": report_keys[result.job.html],
                    "seconds": round(result.seconds, 3),
                    "cell_seconds": round(result.cell_seconds, 3),
                    **_output_stamp(html),
                }
            else:
                manifest["reports"].pop(result.job.html, None)
            progress.built += result.ok
            save_manifest()

        executed_dir = scratch if keep_executed is None else Path(keep_executed).resolve()
        results = run_jobs(
            stale,
            reports_dir,
            n_workers,
            fresh=fresh_kernels,
            executed_dir=executed_dir,
            on_result=record,
            pool=pool,
            write_errors=write_errors,
            expected=previous,
        )
    wall = time.perf_counter() - start
    # The workers, told that no task is left, are shutting their kernels down meanwhile;
    # they are waited for (pool.close) once results.csv and the portal are written.
    if rows_future is not None:
        try:
            _write_results(reports_dir, rows_future.result(), fingerprint, manifest)
        except WriteError as exc:
            write_errors.append(str(exc))
    failures = failures_record(results)
    for failure in failures:
        if failure["executed"]:
            failure["executed"] = str(Path(failure["executed"]).relative_to(reports_dir))
    try:
        _write_portal(data, reports_dir, failures, _sha256(fingerprint, code), manifest)
    except WriteError as exc:
        write_errors.append(str(exc))
    save_manifest()
    if pool is not None:
        pool.close()
    if chromium is not None:
        from analysis.pdf import update_pdfs

        printed, current, pdf_errors = update_pdfs(
            reports_dir, [job.html for job in planned], manifest, chromium, max_workers, force
        )
        write_errors.extend(pdf_errors)
        save_manifest()
        print(f"PDF: {printed} printed, {current} up to date")
    for line in dict.fromkeys(write_errors):  # the manifest's, once however often it failed
        print(f"error: {line}", file=sys.stderr)
    for line in summary_lines(results, up_to_date):
        print(line)
    if results:
        cells = sum(r.cell_seconds for r in results)
        efficiency = cells / (wall * n_workers) if wall > 0 else 0.0
        print(
            f"notebook cells {cells:.1f} s over {wall:.1f} s wall on {n_workers} worker(s): "
            f"compute efficiency {efficiency:.2f}"
        )
    portal = reports_dir / "index.html"
    where = f": {portal}" if portal.is_file() else ""
    print(f"done in {time.perf_counter() - start:.1f} s{where}")
    return 1 if failures or write_errors else 0
