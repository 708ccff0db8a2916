"""The report runner: incremental, deterministic, failure-isolated, atomic (issue 6), and
what it does when it cannot write (issue 11).

Builds are kept small (two or three English reports of the 4-agency ``small_study``) so
the file runs in about two minutes on the shared 2-core machine. Interrupted builds are
in ``test_interrupts.py``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from analysis import build as build_module
from analysis import config
from analysis.build import (
    WriteError,
    build,
    check_writable,
    copy_file_atomic,
    manifest_path,
    write_bytes_atomic,
    write_json_atomic,
)

AGENCIES = ["AG01", "AG02"]


def _hashes(reports: Path) -> dict[str, str]:
    """sha256 of every report and of results.csv, by path relative to the reports folder."""
    files = sorted(reports.rglob("*.html")) + [reports / "results.csv"]
    return {
        f.relative_to(reports).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in files
        if ".build" not in f.parts and "_failed" not in f.parts
    }


def _report_stamps(reports: Path) -> dict[str, int]:
    return {
        f.relative_to(reports).as_posix(): f.stat().st_mtime_ns
        for f in reports.rglob("*.html")
        if f.name != "index.html"
    }


def _copy_study(study: Path, tmp_path: Path) -> Path:
    target = tmp_path / "study" / "raw"
    shutil.copytree(study, target)
    return target


def _change_one_comment(study: Path, agency_id: str) -> None:
    """Give one of the agency's baseline answers a comment (the last column) it did not have."""
    path = study / "surveys" / "baseline.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{agency_id}-") and line.rstrip("\r\n").endswith(","):
            lines[i] = line.rstrip("\r\n") + "الانتظار كان طويلاً\n"
            break
    else:  # pragma: no cover - the simulated study always has answers without comments
        raise AssertionError(f"no answer without comment for {agency_id}")
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def built(small_study, tmp_path_factory):
    """Baseline reports (English) of two agencies, built once by the warm runner."""
    root = tmp_path_factory.mktemp("build")
    study = _copy_study(small_study, root)
    reports = root / "reports"
    status = build(study, reports, jobs=1, agencies=AGENCIES, phases=["baseline"], langs=["en"])
    return study, reports, status, _hashes(reports)


def _build(study: Path, reports: Path, **kwargs) -> int:
    options = {"jobs": 1, "agencies": AGENCIES, "phases": ["baseline"], "langs": ["en"]}
    return build(study, reports, **(options | kwargs))


def _fail_for(agency_id: str, tmp_path: Path, monkeypatch) -> None:
    """Build from a copy of the notebooks whose baseline one fails for ``agency_id``."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, notebooks)
    path = notebooks / build_module.NOTEBOOKS["baseline"]
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(
        3,
        nbformat.v4.new_code_cell(
            f'if agency_id == "{agency_id}":\n    raise ValueError("broken for {agency_id}")'
        ),
    )
    nbformat.write(nb, path)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)


def _disk_full_half_way(fd: int, payload: bytes) -> None:
    """The low-level write on a disk that fills up half-way through the file."""
    os.write(fd, payload[: len(payload) // 2])
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _partial_files(reports: Path) -> list[str]:
    """Temporary, empty or unreadable outputs: what a failed write must never leave."""
    bad = [
        p
        for p in reports.rglob("*")
        if p.is_file() and (p.suffix == ".tmp" or not p.stat().st_size)
    ]
    for kept in reports.glob("_failed/**/*.ipynb"):
        try:
            nbformat.read(kept, as_version=4)
        except Exception:  # noqa: BLE001 - any reading error means a truncated copy
            bad.append(kept)
    return sorted(p.relative_to(reports).as_posix() for p in bad)


@pytest.fixture()
def tmpfs(tmp_path):
    """Mount small tmpfs folders (``mount(name, options)``); skipped where that is not allowed.

    A real full or read-only file system, also for the workers' own writes (the HTML
    export), which a monkeypatch in this process does not reach.
    """
    mounted: list[Path] = []

    def mount(name: str, options: str) -> Path:
        target = tmp_path / name
        target.mkdir()
        if shutil.which("mount") is None:
            pytest.skip("no mount command")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


def _fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        size = 1 << 16
        while size:
            try:
                os.write(fd, b"x" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                size //= 2
    finally:
        os.close(fd)


# --- atomic writes ---------------------------------------------------------------------------


def test_when_write_is_interrupted_then_previous_file_stays_and_no_temporary_is_left(
    tmp_path, monkeypatch
):
    target = tmp_path / "results.csv"
    target.write_bytes(b"old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(target, b"new content, half written")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_when_json_written_then_whole_file_readable_and_world_readable(tmp_path):
    target = tmp_path / ".build" / "manifest.json"
    write_json_atomic(target, {"b": 1, "a": "ع"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "ع", "b": 1}
    assert target.stat().st_mode & 0o777 == 0o644


# --- incremental -----------------------------------------------------------------------------


def test_when_built_then_every_report_and_manifest_written(built):
    _, reports, status, hashes = built
    assert status == 0
    assert set(hashes) == {
        "AG01/baseline.en.html",
        "AG02/baseline.en.html",
        "index.html",
        "results.csv",
    }
    manifest = json.loads(manifest_path(reports).read_text(encoding="utf-8"))
    assert set(manifest["reports"]) == {"AG01/baseline.en.html", "AG02/baseline.en.html"}
    assert all(entry["cell_seconds"] > 0 for entry in manifest["reports"].values())


def test_when_nothing_changed_then_no_report_built_and_papermill_not_imported(built):
    study, reports, _, hashes = built
    stamps = _report_stamps(reports)
    code = (
        "import sys\n"
        "from analysis.cli import main\n"
        f"status = main(['build', '--data', {str(study)!r}, '--reports', {str(reports)!r},"
        " '--agency', 'AG01', 'AG02', '--phase', 'baseline', '--lang', 'en'])\n"
        "print('IMPORTED', sorted(m for m in ('papermill', 'nbclient', 'nbconvert',"
        " 'jupyter_client') if m in sys.modules))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "built 0, up to date 2, failed 0" in done.stdout
    assert "IMPORTED []" in done.stdout
    assert _report_stamps(reports) == stamps  # not even rewritten
    assert _hashes(reports) == hashes


def test_when_forced_then_every_report_rebuilt_byte_identical(built, capsys):
    study, reports, _, hashes = built
    stamps = _report_stamps(reports)
    assert _build(study, reports, force=True) == 0
    assert "built 2, up to date 0, failed 0" in capsys.readouterr().out
    after = _report_stamps(reports)
    assert all(after[name] != stamps[name] for name in stamps)
    assert _hashes(reports) == hashes


def test_when_fresh_kernels_then_same_bytes_as_warm_kernels(built):
    study, reports, _, hashes = built
    assert _build(study, reports, force=True, fresh_kernels=True) == 0
    assert _hashes(reports) == hashes


def test_when_a_report_is_deleted_then_only_it_is_rebuilt(built, capsys):
    study, reports, _, hashes = built
    (reports / "AG02" / "baseline.en.html").unlink()
    assert _build(study, reports) == 0
    assert "built 1, up to date 1, failed 0" in capsys.readouterr().out
    assert _hashes(reports) == hashes


def test_when_one_agency_comment_changes_then_only_its_data_keys_change(
    small_study, small_data, tmp_path, monkeypatch
):
    from analysis.build import data_keys, plan_jobs
    from analysis.dataset import load_study_data
    from analysis.prepare import inputs_fingerprint

    study = _copy_study(small_study, tmp_path)
    ids = small_data.agencies["agency_id"].tolist()
    jobs = plan_jobs(study, tmp_path, ids, ["baseline", "impact"], ["en"])

    def keys(footer: bool) -> dict[str, str]:
        monkeypatch.setattr(build_module, "FOOTER_SHOWS_RAW_FILE_HASHES", footer)
        data = load_study_data(study)
        fingerprint = inputs_fingerprint(study, data.study)
        return data_keys(data, jobs, fingerprint)

    before = {footer: keys(footer) for footer in (False, True)}
    _change_one_comment(study, "AG02")
    after = {footer: keys(footer) for footer in (False, True)}
    changed = sorted(h for h in before[False] if before[False][h] != after[False][h])
    assert changed == ["AG02/baseline.en.html", "AG02/impact.en.html"]
    # Had agency footers printed every raw file's sha256, every report would show the change.
    assert all(before[True][h] != after[True][h] for h in before[True])


def test_when_one_agency_data_changes_then_its_reports_and_regional_rebuilt_only(
    small_study, tmp_path, capsys
):
    study = _copy_study(small_study, tmp_path)
    reports = tmp_path / "reports"
    phases = ["baseline"] + (["regional"] if "regional" in build_module.available_phases() else [])
    assert _build(study, reports, phases=phases) == 0
    stamps = _report_stamps(reports)
    _change_one_comment(study, "AG02")
    capsys.readouterr()
    assert _build(study, reports, phases=phases) == 0
    rebuilt = sorted(n for n, t in _report_stamps(reports).items() if t != stamps[n])
    expected = ["AG02/baseline.en.html"] + (["regional.en.html"] if len(phases) > 1 else [])
    assert rebuilt == expected
    assert f"built {len(expected)}, up to date 1, failed 0" in capsys.readouterr().out
    # Honest keys: the report left alone is exactly what a forced rebuild now gives.
    kept = (reports / "AG01" / "baseline.en.html").read_bytes()
    assert _build(study, reports, phases=phases, force=True) == 0
    assert (reports / "AG01" / "baseline.en.html").read_bytes() == kept


# --- failures --------------------------------------------------------------------------------


def test_when_a_notebook_fails_then_others_build_executed_kept_and_exit_1(
    small_study, tmp_path, monkeypatch, capsys
):
    _fail_for("AG02", tmp_path, monkeypatch)
    reports = tmp_path / "reports"

    assert _build(small_study, reports) == 1

    out = capsys.readouterr().out
    assert "built 1, up to date 0, failed 1" in out
    assert "FAILED AG02/baseline.en: ValueError: broken for AG02" in out
    assert (reports / "AG01" / "baseline.en.html").exists()
    assert not (reports / "AG02" / "baseline.en.html").exists()
    kept = nbformat.read(reports / "_failed" / "AG02" / "baseline.en.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    manifest = json.loads(manifest_path(reports).read_text(encoding="utf-8"))
    assert list(manifest["reports"]) == ["AG01/baseline.en.html"]  # a failure stays stale
    assert "broken for AG02" in (reports / "index.html").read_text(encoding="utf-8")
    assert not list(reports.rglob("*.tmp"))


def test_when_unknown_agency_then_exit_2(small_study, tmp_path):
    assert build(small_study, tmp_path / "r", agencies=["NOPE"], jobs=1) == 2


@pytest.mark.parametrize("flag", ["--force", "--fresh-kernels"])
def test_when_build_flags_given_then_cli_accepts_them(flag):
    from analysis.cli import _parser

    args = _parser().parse_args(["build", flag, "--jobs", "3"])
    assert args.jobs == 3
    assert args.force is (flag == "--force")
    assert args.fresh_kernels is (flag == "--fresh-kernels")
    assert os.cpu_count()  # the default of --jobs


# --- outputs that cannot be written (issue 11) -------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_when_a_write_fails_half_way_then_one_line_error_and_previous_file_stays(
    tmp_path, monkeypatch, code
):
    target = tmp_path / "results.csv"
    target.write_bytes(b"old")

    def failing(fd: int, payload: bytes) -> None:
        os.write(fd, payload[: len(payload) // 2])
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(build_module, "_write_all", failing)
    with pytest.raises(WriteError) as raised:
        write_bytes_atomic(target, b"new content, half written")
    assert str(raised.value) == f"{target}: could not write ({os.strerror(code)})"
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_when_path_is_inside_the_working_folder_then_error_names_it_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(build_module, "_write_all", _disk_full_half_way)
    with pytest.raises(WriteError) as raised:
        write_bytes_atomic(tmp_path / "reports" / "AG01" / "baseline.en.html", b"<html>")
    assert str(raised.value) == (
        "reports/AG01/baseline.en.html: could not write (No space left on device)"
    )


def test_when_copy_to_failed_runs_out_of_space_then_no_truncated_copy(tmp_path, monkeypatch):
    executed = tmp_path / "executed.ipynb"
    executed.write_bytes(b'{"cells": []}' * 1000)
    target = tmp_path / "reports" / "_failed" / "AG01" / "baseline.en.ipynb"
    monkeypatch.setattr(build_module, "_write_all", _disk_full_half_way)
    with pytest.raises(WriteError, match="baseline.en.ipynb: could not write"):
        copy_file_atomic(executed, target)
    assert list(target.parent.iterdir()) == []
    monkeypatch.undo()
    copy_file_atomic(executed, target)
    assert target.read_bytes() == executed.read_bytes()


def test_when_reports_folder_is_missing_then_it_is_created(tmp_path):
    reports = tmp_path / "a" / "b" / "reports"
    assert check_writable(reports) is None
    assert reports.is_dir()
    assert list(reports.iterdir()) == []  # the probe file is gone


def _no_workers(*args, **kwargs):
    raise AssertionError("a worker pool was started")


def test_when_reports_folder_cannot_be_made_then_one_line_exit_2_and_nothing_runs(
    small_study, tmp_path, monkeypatch, capsys
):
    (tmp_path / "file").write_text("not a folder")
    reports = tmp_path / "file" / "reports"
    monkeypatch.setattr(build_module, "start_pool", _no_workers)
    assert _build(small_study, reports) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"error: cannot write to the reports folder {reports} (Not a directory)"
    ]
    assert captured.out == ""


def test_when_reports_folder_is_read_only_then_one_line_exit_2_and_nothing_runs(
    small_study, tmp_path, monkeypatch, capsys, tmpfs
):
    if os.geteuid() == 0:  # root writes through permissions: a read-only mount it is
        reports = tmpfs("reports", "ro,size=64k")
    else:
        reports = tmp_path / "reports"
        reports.mkdir()
        reports.chmod(0o555)
    monkeypatch.setattr(build_module, "start_pool", _no_workers)
    assert _build(small_study, reports) == 2
    error = capsys.readouterr().err
    assert error.splitlines() == [
        f"error: cannot write to the reports folder {reports} "
        f"({os.strerror(errno.EROFS if os.geteuid() == 0 else errno.EACCES)})"
    ]


def test_when_outputs_cannot_be_written_after_the_notebooks_ran_then_one_line_each_and_exit_1(
    small_study, tmp_path, monkeypatch, capsys
):
    # The runner's own writes fail (the workers' HTML export is another process): the
    # manifest, the failed notebook's copy, results.csv and the portal.
    _fail_for("AG02", tmp_path, monkeypatch)
    study = _copy_study(small_study, tmp_path)
    reports = tmp_path / "reports"
    monkeypatch.setattr(build_module, "_write_all", _disk_full_half_way)

    assert _build(study, reports) == 1

    captured = capsys.readouterr()
    full = "could not write (No space left on device)"
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert sorted(errors) == sorted(  # each once, however often it failed (the manifest)
        f"error: {path}: {full}"
        for path in (
            reports / "_failed" / "AG02" / "baseline.en.ipynb",
            manifest_path(reports),
            reports / "results.csv",
            reports / "index.html",
        )
    )
    assert "built 1, up to date 0, failed 1" in captured.out
    assert "FAILED AG02/baseline.en: ValueError: broken for AG02" in captured.out
    assert (reports / "AG01" / "baseline.en.html").stat().st_size > 0  # what it could do
    assert _partial_files(reports) == []
    assert not (reports / "_failed" / "AG02" / "baseline.en.ipynb").exists()


def test_when_disk_is_full_then_every_output_fails_in_one_line_and_nothing_partial_is_left(
    small_study, tmp_path, monkeypatch, tmpfs
):
    _fail_for("AG02", tmp_path, monkeypatch)
    study = _copy_study(small_study, tmp_path)
    reports = tmpfs("reports", "size=256k")
    _fill(reports)
    # The real command: the one-line errors and no traceback are what a user sees.
    code = (
        "import pathlib, sys\n"
        "from analysis import config\n"
        f"config.NOTEBOOKS_DIR = pathlib.Path({str(config.NOTEBOOKS_DIR)!r})\n"
        "from analysis.cli import main\n"
        f"sys.exit(main(['build', '--data', {str(study)!r}, '--reports', {str(reports)!r},"
        " '--jobs', '1', '--agency', 'AG01', 'AG02', '--phase', 'baseline', '--lang', 'en']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    full = "could not write (No space left on device)"
    assert (
        f"FAILED AG01/baseline.en: {reports / 'AG01' / 'baseline.en.html'}: {full}" in done.stdout
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert f"error: {reports / '_failed' / 'AG02' / 'baseline.en.ipynb'}: {full}" in errors
    assert f"error: {reports / 'results.csv'}: {full}" in errors
    assert f"error: {reports / 'index.html'}: {full}" in errors
    assert [p for p in _partial_files(reports) if p != "filler"] == []


# --- interrupts (the real thing is in test_interrupts.py) -----------------------------------


@pytest.mark.parametrize(
    ("signum", "raised"),
    [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, build_module.BuildInterrupted)],
)
def test_when_signalled_twice_then_only_the_first_interrupts_and_handlers_come_back(
    signum, raised, request
):
    # Run as a background job (`cmd &`), a process starts with SIGINT ignored, and the
    # build rightly leaves an ignored signal ignored: test as a foreground process would.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        request.addfinalizer(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    cleaned_up = False
    with pytest.raises(raised), build_module._signals_as_interrupts():
        handler = signal.getsignal(signal.SIGINT)
        try:
            os.kill(os.getpid(), signum)
            time.sleep(5)  # not reached: the handler raises first
        finally:
            # Ctrl-C pressed again while the build cleans up: ignored, even when something
            # put the build's handler back meanwhile (as starting a worker does).
            signal.signal(signal.SIGINT, handler)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            cleaned_up = True
    assert cleaned_up
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize("agency_id", ["../../pwned", "a/b", "a\\b", "..", ".", "", "/etc"])
def test_when_an_agency_id_would_leave_the_reports_folder_then_report_path_refuses(agency_id):
    with pytest.raises(build_module.UnsafeReportPath):
        build_module.report_path("baseline", "en", agency_id)


def test_when_an_agency_folder_is_a_link_outside_then_the_report_is_not_written(tmp_path):
    reports, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    reports.mkdir()
    elsewhere.mkdir()
    (reports / "AG01").symlink_to(elsewhere)
    assert build_module.report_path("baseline", "en", "AG01") == "AG01/baseline.en.html"
    with pytest.raises(build_module.UnsafeReportPath, match="leads outside"):
        build_module.inside_reports(reports, "AG01/baseline.en.html")
    assert build_module.inside_reports(reports, "regional.en.html") == reports / "regional.en.html"


def test_when_a_catalog_is_broken_then_build_stops_before_any_report(
    small_study, tmp_path, monkeypatch, capsys
):
    """From the new-user test: a broken catalog failed each report with a bare KeyError."""
    from analysis import catalogs
    from analysis.build import build

    line = "locale/fr/LC_MESSAGES/reports.po: above_target: placeholders [] differ from ['target']"
    monkeypatch.setattr(catalogs, "problems", lambda *a, **k: [line])
    status = build(
        small_study, tmp_path / "reports", jobs=1, phases=["baseline"], agencies=["AG01"]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert f"error: {line}" in err and "1 problem(s) in the message catalogs" in err
    assert not list((tmp_path / "reports").rglob("*.html"))


def test_when_no_notebooks_are_installed_then_build_says_where_they_live(
    small_study, tmp_path, monkeypatch, capsys
):
    from analysis import config
    from analysis.build import build

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", tmp_path / "no-notebooks")
    assert build(small_study, tmp_path / "reports", jobs=1) == 2
    assert "build runs from a checkout of the repository" in capsys.readouterr().err
