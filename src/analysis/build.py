"""The report runner behind ``python -m analysis build`` and ``make reports``.

A build: prepares the study when its raw files changed, plans one job per notebook,
agency, phase and language, executes each notebook with papermill, exports it to
self-contained HTML in-process, writes ``results.csv`` and the ``index.html`` portal.
A failing notebook does not stop the others: its executed notebook is kept under
``<reports>/_failed/`` and the build exits 1 after listing it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analysis import config

PHASES = ("baseline", "intervention", "impact", "regional")
NOTEBOOKS = {
    "baseline": "01_baseline.ipynb",
    "intervention": "02_intervention.ipynb",
    "impact": "03_impact.ipynb",
    "regional": "04_regional.ipynb",
}


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


def available_phases() -> list[str]:
    """Phases whose notebook exists in ``notebooks/``."""
    return [p for p in PHASES if (config.NOTEBOOKS_DIR / NOTEBOOKS[p]).exists()]


def report_path(phase: str, lang: str, agency_id: str | None) -> str:
    """Report file name relative to the reports folder (DESIGN.md section 6)."""
    if agency_id is None:
        return f"{phase}.{lang}.html"
    return f"{agency_id}/{phase}.{lang}.html"


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


def run_job(job: Job, reports_dir: Path) -> JobResult:
    """Execute one notebook with papermill and export it to HTML; never raises."""
    import papermill

    from analysis.report import export_html

    start = time.perf_counter()
    reports_dir = Path(reports_dir)
    with tempfile.TemporaryDirectory(prefix="build-") as tmp:
        executed = Path(tmp) / "executed.ipynb"
        try:
            nb = papermill.execute_notebook(
                str(config.NOTEBOOKS_DIR / job.notebook),
                str(executed),
                parameters=job.params,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(config.NOTEBOOKS_DIR),
            )
            export_html(nb, reports_dir / job.html, job.lang)
        except Exception as exc:  # noqa: BLE001 - a failed report must not stop the build
            kept = ""
            if executed.exists():
                failed = reports_dir / "_failed" / (job.html.removesuffix(".html") + ".ipynb")
                failed.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(executed, failed)
                kept = str(failed)
            message = str(exc).strip().splitlines()
            return JobResult(
                job, False, time.perf_counter() - start, (message or ["error"])[-1][:300], kept
            )
    return JobResult(job, True, time.perf_counter() - start)


def _format_eta(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def run_jobs(jobs: list[Job], reports_dir: Path, n_workers: int) -> list[JobResult]:
    """Run jobs on ``n_workers`` processes with a progress line and ETA on stderr."""
    from tqdm import tqdm

    results: list[JobResult] = []
    if not jobs:
        return results
    bar = tqdm(total=len(jobs), unit="report", file=sys.stderr, dynamic_ncols=True, leave=True)
    try:
        if n_workers <= 1:
            for job in jobs:
                bar.set_postfix_str(job.label)
                results.append(run_job(job, reports_dir))
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=n_workers) as pool:
                futures = {pool.submit(run_job, job, reports_dir): job for job in jobs}
                for future in as_completed(futures):
                    result = future.result()
                    results.append(result)
                    bar.set_postfix_str(result.job.label)
                    bar.update(1)
    finally:
        bar.close()
    return results


def summary_lines(results: list[JobResult], up_to_date: int = 0) -> list[str]:
    built = sum(r.ok for r in results)
    failed = [r for r in results if not r.ok]
    lines = [f"built {built}, up to date {up_to_date}, failed {len(failed)}"]
    for r in failed:
        where = f" (executed notebook: {r.executed})" if r.executed else ""
        lines.append(f"  FAILED {r.job.label}: {r.error}{where}")
    return lines


def write_json_atomic(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    os.replace(tmp, path)


def failures_record(results: list[JobResult]) -> list[dict]:
    return [
        {"report": r.job.html, "error": r.error, "executed": r.executed}
        | {"job": asdict(r.job) | {"params": {}}}
        for r in results
        if not r.ok
    ]


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def build(
    study_dir: Path,
    reports_dir: Path,
    *,
    jobs: int | None = None,
    agencies: list[str] | None = None,
    phases: list[str] | None = None,
    langs: list[str] | None = None,
) -> int:
    """``python -m analysis build``: 0 when every report built, 1 if any failed, 2 on bad input."""
    from analysis.dataset import StudyDataError, ensure_prepared, load_study_data
    from analysis.portal import write_portal
    from analysis.results import phase_results, write_results

    study_dir, reports_dir = Path(study_dir), Path(reports_dir)
    if not (study_dir / "study.yml").exists():
        return _error(f"{study_dir}: no study.yml here (give the study folder with --data)")
    try:
        ensure_prepared(study_dir)
        data = load_study_data(study_dir)
    except StudyDataError as exc:
        from analysis.validate import run_validate

        run_validate(study_dir)  # lists every problem, one line each
        return _error(str(exc))

    known_phases = available_phases()
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
    planned = plan_jobs(study_dir, reports_dir, agency_ids, phases, langs)
    n_workers = max(1, jobs or os.cpu_count() or 1)
    print(f"building {len(planned)} reports on {n_workers} worker(s) into {reports_dir}")
    start = time.perf_counter()
    results = run_jobs(planned, reports_dir, min(n_workers, len(planned) or 1))

    write_results(reports_dir, phase_results(data, phases))
    failures = failures_record(results)
    for failure in failures:
        if failure["executed"]:
            failure["executed"] = str(Path(failure["executed"]).relative_to(reports_dir))
    write_portal(data, reports_dir, failures)
    for line in summary_lines(results):
        print(line)
    print(f"done in {time.perf_counter() - start:.1f} s: {reports_dir / 'index.html'}")
    return 1 if failures else 0
