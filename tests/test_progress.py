"""The build's progress: a live bar on a terminal, one line per report in a log, a sane ETA."""

from __future__ import annotations

import io

import pytest

from analysis.build import EXPECTED_SECONDS, BuildProgress, Job, JobResult, format_eta


def _jobs(n: int, phase: str = "baseline") -> list[Job]:
    return [
        Job(phase, "en", f"AG{i:02d}", "01_baseline.ipynb", f"AG{i:02d}/{phase}.en.html")
        for i in range(n)
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_when_eta_is_formatted_then_it_reads_as_minutes_or_hours():
    assert format_eta(0) == "0:00"
    assert format_eta(125.4) == "2:05"
    assert format_eta(3 * 3600 + 61) == "3:01:01"
    assert format_eta(-3) == "0:00"


def test_when_stderr_is_not_a_terminal_then_each_report_is_one_line_without_returns():
    jobs = _jobs(4)
    stream = io.StringIO()
    progress = BuildProgress(jobs, 2, stream)
    assert not progress.live
    for job in jobs:
        progress.finished(JobResult(job, job.agency_id != "AG02", 1.5))
    progress.close()

    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[0] == "[1/4] AG00/baseline.en 1.5 s, ETA 0:02"
    assert lines[2].startswith("[3/4] FAILED AG02/baseline.en")
    assert lines[-1].endswith("ETA 0:00")


def test_when_stderr_is_a_terminal_then_a_live_bar_is_redrawn():
    jobs = _jobs(3)
    stream = _Terminal()
    progress = BuildProgress(jobs, 1, stream)
    assert progress.live
    for job in jobs:
        progress.finished(JobResult(job, True, 1.0))
    progress.close()

    text = stream.getvalue()
    assert "\r" in text
    assert "3/3" in text and "ETA 0:00" in text


def test_when_the_first_report_includes_a_kernel_start_then_the_eta_stays_sane():
    # 182 reports on 2 workers, the first taking 9 s (a kernel start) instead of about 1.6.
    jobs = _jobs(182)
    progress = BuildProgress(jobs, 2, io.StringIO())
    before = progress.eta()
    assert before == pytest.approx(182 * EXPECTED_SECONDS["baseline"] / 2)

    progress.finished(JobResult(jobs[0], True, 9.0))

    # A rate from the first report alone would say 181 * 9 / 2 = 815 s; this says under 2x
    # the expected remaining work.
    assert 181 * 1.6 / 2 <= progress.eta() < 2 * 181 * 1.6 / 2


def test_when_the_last_build_timed_a_report_then_its_time_is_expected():
    jobs = _jobs(2)
    progress = BuildProgress(jobs, 1, io.StringIO(), expected={jobs[0].html: 10.0})
    assert progress.eta() == pytest.approx(10.0 + EXPECTED_SECONDS["baseline"])


def test_when_reports_go_as_expected_then_the_eta_counts_down_linearly():
    jobs = _jobs(10)
    progress = BuildProgress(jobs, 1, io.StringIO())
    etas = []
    for job in jobs:
        progress.finished(JobResult(job, True, EXPECTED_SECONDS["baseline"]))
        etas.append(progress.eta())
    expected = [(9 - i) * EXPECTED_SECONDS["baseline"] for i in range(10)]
    assert etas == pytest.approx(expected)
