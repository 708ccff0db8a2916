"""The command line: one line and a log for unexpected failures, quiet signals (analysis.cli)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from analysis import cli


def test_when_a_command_fails_unexpectedly_then_one_line_and_a_log_next_to_its_outputs(
    tmp_path, monkeypatch, capsys
):
    import analysis.validate

    def broken(study_dir):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(analysis.validate, "run_validate", broken)
    study = tmp_path / "study" / "raw"
    study.mkdir(parents=True)
    assert cli.main(["validate", "--data", str(study)]) == 1
    err = capsys.readouterr().err.splitlines()
    log = tmp_path / "study" / "processed" / cli.ERROR_LOG
    assert err == [f"error: ZeroDivisionError: division by zero second line (details in {log})"]
    assert "Traceback" in log.read_text(encoding="utf-8")
    assert not list(log.parent.glob("*.tmp"))


def test_when_the_output_folder_cannot_be_written_then_the_log_goes_to_the_temp_folder(
    tmp_path, monkeypatch
):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    log = cli.write_error_log(blocked / "sub", RuntimeError("x"))
    assert log == tmp_path / cli.ERROR_LOG


def test_when_a_command_gets_sigterm_then_it_says_so_in_one_line_and_exits_143(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "analysis", "simulate", "--out", str(tmp_path / "s")]
        + ["--agencies", "300", "--responses", "800"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143
    assert err.strip().splitlines() == ["simulate terminated"]


def test_when_a_build_filter_is_repeated_then_every_value_counts():
    """From the new-user test: "--phase impact --phase regional" built only regional."""
    from analysis.cli import _parser

    args = _parser().parse_args(
        ["build", "--phase", "impact", "--phase", "regional", "--agency", "A1", "--agency", "A2"]
        + ["--lang", "ar", "--lang", "en"]
    )
    assert args.phase == ["impact", "regional"]
    assert args.agency == ["A1", "A2"]
    assert args.lang == ["ar", "en"]
    assert _parser().parse_args(["build"]).phase is None
