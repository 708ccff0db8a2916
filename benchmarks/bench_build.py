"""Benchmark of the report build (issue 6): naive command lines against the runner.

On a temporary copy of the demo study, builds the same reports (agencies AG01-AG04 by
default, every available phase, both languages) three ways and prints wall times:

(a) naive: for each report, the ``papermill`` command line then ``jupyter nbconvert --to
    html --no-input``, one after the other (a new kernel and two new processes per report;
    nbconvert's stock template, not the report template: this is the baseline to beat);
(b) ``python -m analysis build --jobs 1`` (one warm kernel);
(c) ``python -m analysis build`` (default ``--jobs``: one warm kernel per core);

then the no-op rebuild of (c) and the rebuild after one agency's data changed (one
comment of one answer), with the reports it rebuilt. Compute efficiency is
``sum(cell execution time) / (wall time x workers)``, the cell times read from the executed
notebooks (papermill's per-cell ``duration``). A profile closes: where a warm run's time
goes (notebook cells by section, per-report overhead of kernel reset, papermill and export,
the runner's fixed cost) and the slowest cells.

Run with ``make bench`` or ``.venv/bin/python benchmarks/bench_build.py [--agencies ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat

from analysis import config
from analysis.build import NOTEBOOKS, available_phases, manifest_path, plan_jobs
from analysis.executor import cell_seconds

VENV_BIN = Path(sys.executable).parent


def _run(cmd: list[str], **kwargs) -> float:
    """Wall seconds of a command; its output is discarded unless it fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}")
    return seconds


def naive_build(study: Path, out: Path, jobs: list) -> tuple[float, float]:
    """(a): papermill then nbconvert command lines per report; wall and cell seconds."""
    cells = 0.0
    start = time.perf_counter()
    for job in jobs:
        executed = out / "executed" / (job.html.removesuffix(".html") + ".ipynb")
        executed.parent.mkdir(parents=True, exist_ok=True)
        params = [x for k, v in job.params.items() for x in ("-p", k, v)]
        _run(
            [
                str(VENV_BIN / "papermill"),
                str(config.NOTEBOOKS_DIR / job.notebook),
                str(executed),
                *params,
                "-k",
                "python3",
                "--cwd",
                str(config.NOTEBOOKS_DIR),
                "--no-progress-bar",
            ]
        )
        html_dir = (out / "html" / job.html).parent
        _run(
            [
                str(VENV_BIN / "jupyter"),
                "nbconvert",
                "--to",
                "html",
                "--no-input",
                str(executed),
                "--output-dir",
                str(html_dir),
                "--output",
                Path(job.html).stem,
            ]
        )
        cells += cell_seconds(nbformat.read(executed, as_version=4))
    return time.perf_counter() - start, cells


def runner_cmd(study: Path, reports: Path, agencies: list[str], *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analysis",
        "build",
        "--data",
        str(study),
        "--reports",
        str(reports),
        "--agency",
        *agencies,
        *extra,
    ]


def manifest_reports(reports: Path) -> dict:
    return json.loads(manifest_path(reports).read_text(encoding="utf-8"))["reports"]


def stamps(reports: Path) -> dict[str, int]:
    return {
        p.relative_to(reports).as_posix(): p.stat().st_mtime_ns
        for p in reports.rglob("*.html")
        if p.name != "index.html"
    }


def change_one_answer(study: Path, agency_id: str) -> str:
    """Give one answer of ``agency_id`` in the baseline file a comment; return its id."""
    path = study / "surveys" / "baseline.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{agency_id}-") and line.rstrip("\r\n").endswith(","):
            lines[i] = line.rstrip("\r\n") + "الانتظار كان طويلاً\n"
            path.write_text("".join(lines), encoding="utf-8")
            return line.split(",", 1)[0]
    raise SystemExit(f"no answer of {agency_id} without a comment in {path}")


def section_profile(executed_dir: Path) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Cell seconds summed by phase and cell position, and the slowest single cells."""
    by_cell: dict[str, float] = defaultdict(float)
    slowest = []
    for path in sorted(executed_dir.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        phase = path.stem.split(".")[0]
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        for cell in code_cells:
            duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
            if duration is None:
                continue
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:48]
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags or "parameters" in tags:
                first = "(parameters)"
            by_cell[f"{phase:<12} {first}"] += float(duration)
            slowest.append((float(duration), f"{path.relative_to(executed_dir)}: {first}"))
    return dict(by_cell), sorted(slowest, reverse=True)[:5]


def export_seconds(executed_dir: Path) -> tuple[float, float]:
    """Exporter set-up and mean export time per report, measured in this process."""
    from analysis.report import export_html, html_exporter

    start = time.perf_counter()
    html_exporter()
    setup = time.perf_counter() - start
    paths = sorted(executed_dir.rglob("*.ipynb"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            export_html(path, Path(tmp) / "r.html", path.stem.split(".")[1])
    return setup, (time.perf_counter() - start) / max(len(paths), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=config.DEFAULT_STUDY_DIR)
    parser.add_argument("--agencies", nargs="+", default=["AG01", "AG02", "AG03", "AG04"])
    parser.add_argument(
        "--skip-naive", action="store_true", help="skip (a), the slowest part (minutes)"
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    phases = available_phases()
    root = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        study = root / "raw"
        shutil.copytree(args.study, study)
        _run([sys.executable, "-m", "analysis", "prepare", "--data", str(study)])
        from analysis.study import load_study_yml

        langs = list(load_study_yml(study)[0].languages)
        jobs = plan_jobs(study, root / "x", args.agencies, phases, langs)
        print(
            f"benchmark: {len(jobs)} reports ({len(args.agencies)} agencies, phases "
            f"{', '.join(phases)}, languages {', '.join(langs)}) on {cores} cores"
        )
        print(f"notebooks: {', '.join(NOTEBOOKS[p] for p in phases)}; temp folder {root}")

        rows = []
        if not args.skip_naive:
            print("(a) naive papermill + nbconvert command lines, serial ...", flush=True)
            wall_a, cells_a = naive_build(study, root / "naive", jobs)
            rows.append(("(a) naive CLI, serial", wall_a, 1, cells_a))
        print("(b) runner --jobs 1 ...", flush=True)
        executed = root / "executed-b"
        reports_b = root / "reports-b"
        wall_b = _run(
            runner_cmd(study, reports_b, args.agencies, "--jobs", "1", "--keep-executed")
            + [str(executed)]
        )
        cells_b = sum(e["cell_seconds"] for e in manifest_reports(reports_b).values())
        rows.append(("(b) runner --jobs 1", wall_b, 1, cells_b))
        print(f"(c) runner --jobs {cores} (default) ...", flush=True)
        reports_c = root / "reports-c"
        wall_c = _run(runner_cmd(study, reports_c, args.agencies))
        cells_c = sum(e["cell_seconds"] for e in manifest_reports(reports_c).values())
        rows.append((f"(c) runner --jobs {cores}", wall_c, cores, cells_c))

        print()
        print(f"{'build':<24}{'wall s':>8}{'s/report':>10}{'cells s':>9}{'effic.':>8}")
        for name, wall, workers, cells in rows:
            print(
                f"{name:<24}{wall:>8.2f}{wall / len(jobs):>10.2f}{cells:>9.2f}"
                f"{cells / (wall * workers):>8.3f}"
            )
        # Unrounded comparisons against the targets, so that 0.746 is not read as 0.75.
        efficiency_c = cells_c / (wall_c * cores)
        print(
            f"efficiency of (c) {efficiency_c:.3f}: target >= 0.75 "
            f"{'met' if efficiency_c >= 0.75 else 'NOT met'}"
        )
        if not args.skip_naive:
            speedup = wall_a / wall_c
            print(
                f"speed-up a/b {wall_a / wall_b:.2f}x, a/c {speedup:.2f}x: target a/c >= 8x "
                f"{'met' if speedup >= 8 else 'NOT met'}"
            )
        differ = [
            name
            for name in sorted(stamps(reports_b))
            if (reports_b / name).read_bytes() != (reports_c / name).read_bytes()
        ]
        print(
            f"(b) and (c) reports byte-identical: {not differ}"
            + (f" ({len(differ)} differ, e.g. {differ[0]})" if differ else "")
        )

        before = stamps(reports_c)
        wall_noop = _run(runner_cmd(study, reports_c, args.agencies))
        rebuilt = [n for n, t in stamps(reports_c).items() if before.get(n) != t]
        print(f"no-op rebuild: {wall_noop:.2f} s (target <= 2 s), rebuilt {len(rebuilt)}")
        if rebuilt:
            print("  (not a no-op: src/analysis, the notebooks or git changed during the run)")
        before = stamps(reports_c)
        changed = args.agencies[min(1, len(args.agencies) - 1)]
        answer = change_one_answer(study, changed)
        wall_one = _run(runner_cmd(study, reports_c, args.agencies))
        rebuilt = sorted(n for n, t in stamps(reports_c).items() if before.get(n) != t)
        print(
            f"one-agency change ({answer}: a comment added): rebuilt {len(rebuilt)} of "
            f"{len(before)} in {wall_one:.1f} s: {', '.join(rebuilt)}"
        )
        from analysis import build as build_module

        if build_module.FOOTER_SHOWS_RAW_FILE_HASHES:
            print(
                "  (the report footer prints the sha256 of every raw file, so every report "
                "displays this change; see analysis.build)"
            )

        print()
        print("profile of the warm run (b):")
        entries = manifest_reports(reports_b)
        task_seconds = sum(e["seconds"] for e in entries.values())
        setup, per_export = export_seconds(executed)
        print(f"  notebook cells            {cells_b:7.1f} s")
        print(
            f"  per-report overhead       {task_seconds - cells_b:7.1f} s (kernel start and "
            f"reset, papermill, export: {per_export:.2f} s a report after {setup:.1f} s set-up)"
        )
        print(
            f"  runner fixed cost         {wall_b - task_seconds:7.1f} s (start-up, "
            "prepare check, data keys, results.csv, portal, worker start)"
        )
        by_cell, slowest = section_profile(executed)
        print("  cell seconds by notebook cell (summed over reports):")
        for name, seconds in sorted(by_cell.items(), key=lambda kv: -kv[1])[:12]:
            print(f"    {seconds:7.1f} s  {name}")
        print("  slowest single cells:")
        for seconds, name in slowest:
            print(f"    {seconds:7.2f} s  {name}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
