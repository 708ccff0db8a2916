"""Scale benchmark (issue 15, first part): validate and prepare a 1,000-agency study.

Simulates a study of ``--agencies`` agencies (1,000 by default) with about ``--responses``
answers per agency and wave (500: about 1,000,000 responses in all, a CSV baseline and an
XLSX follow-up as the demo has), then times ``python -m analysis validate`` and
``python -m analysis prepare`` on it, each in a subprocess, with its wall and CPU time and
its own peak resident memory (``ru_maxrss`` through :func:`os.wait4`, so that simulating
the data does not count). The targets of issue 15 on the 2-core machine: validate plus
prepare within 60 s and 4 GB.

What this does not measure yet (issue 15, still open): the results store, the cost of one
report at 30 and at 1,000 agencies, and build throughput on a local against a TCP Dask
cluster; those need the compute-once runner.

Run with ``make bench-scale`` or
``.venv/bin/python benchmarks/bench_scale.py [--agencies N] [--responses N] [--study DIR]``.
``--study DIR`` keeps the simulated study (about 140 MB; simulating it takes about four
minutes) and reuses it when it holds one of the same size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_validate import run_measured

#: Targets of issue 15 on the 2-core machine, for validate and prepare together.
TARGET_SECONDS = 60.0
TARGET_BYTES = 4 * 1024**3
#: The per-file read limit (ANALYSIS_MAX_FILE_MB) for this benchmark: the 1,000-agency
#: follow-up XLSX unpacks to about 550 MiB, over the 256 MiB default.
MAX_FILE_MB = "2048"


def simulate(study: Path, agencies: int, responses: int) -> float:
    """Simulate the study into ``study`` unless it already holds this size; seconds taken."""
    marker = study / ".bench_scale"
    wanted = f"{agencies} {responses}"
    if marker.exists() and marker.read_text() == wanted:
        return 0.0
    if study.exists():
        shutil.rmtree(study)
    start = time.perf_counter()
    command = [sys.executable, "-m", "analysis", "simulate", "--out", str(study)]
    command += ["--agencies", str(agencies), "--responses", str(responses)]
    subprocess.run(command, check=True, capture_output=True)
    marker.write_text(wanted)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agencies", type=int, default=1000, help="agencies (1000)")
    parser.add_argument("--responses", type=int, default=500, help="per agency and wave (500)")
    parser.add_argument("--study", type=Path, help="keep the simulated study in this folder")
    args = parser.parse_args(argv)
    env = {**os.environ, "ANALYSIS_MAX_FILE_MB": MAX_FILE_MB}

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        study = args.study or Path(scratch) / "raw"
        seconds = simulate(study, args.agencies, args.responses)
        size = sum(p.stat().st_size for p in (study / "surveys").iterdir())
        made = f"simulated in {seconds:.0f} s" if seconds else "reused"
        print(f"study: {study} ({args.agencies:,} agencies, {size / 1024**2:.0f} MB; {made})")
        total_seconds, peak = 0.0, 0
        ok = True
        for command in ("validate", "prepare"):
            load = os.getloadavg()[0]
            wall, cpu, rss, code, last = run_measured(
                [sys.executable, "-m", "analysis", command, "--data", str(study)], env=env
            )
            total_seconds, peak = total_seconds + wall, max(peak, rss)
            ok = ok and code == 0
            print(
                f"{command}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss / 1024**2:,.0f} MiB"
                f" (load average {load:.1f} before), exit {code}: {last[:120]}"
            )
        ok_time, ok_memory = total_seconds <= TARGET_SECONDS, peak <= TARGET_BYTES
        print(
            f"validate + prepare: {total_seconds:.1f} s (target <= {TARGET_SECONDS:.0f} s: "
            f"{'met' if ok_time else 'NOT met'}), peak {peak / 1024**3:.2f} GiB "
            f"(target <= {TARGET_BYTES / 1024**3:.0f} GiB: {'met' if ok_memory else 'NOT met'})"
        )
    return 0 if ok and ok_time and ok_memory else 1


if __name__ == "__main__":
    raise SystemExit(main())
