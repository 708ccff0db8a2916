"""`jupyter nbconvert --to satisfaction_report` gives the page `build` writes (analysis.nbexport)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis.build import build
from analysis.nbexport import SatisfactionReportExporter, notebook_parameters

#: A build and a `jupyter nbconvert` subprocess (about 80 s): in make test-slow, so that
#: make test stays under 8 minutes on two cores.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(small_study, tmp_path_factory):
    """AG01's Arabic baseline report built by the runner, with its executed notebook kept."""
    root = tmp_path_factory.mktemp("nbexport")
    reports, kept = root / "reports", root / "executed"
    status = build(
        small_study,
        reports,
        jobs=1,
        agencies=["AG01"],
        phases=["baseline"],
        langs=["ar"],
        keep_executed=kept,
    )
    assert status == 0
    (notebook,) = sorted(kept.rglob("*.ipynb"))
    return notebook, reports / "AG01" / "baseline.ar.html"


def test_when_nbconvert_runs_the_exporter_then_the_page_is_the_builds_byte_for_byte(
    executed, tmp_path
):
    notebook, page = executed
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "satisfaction_report",
            str(notebook),
            "--output-dir",
            str(tmp_path),
            "--output",
            "converted",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    converted = (tmp_path / "converted.html").read_bytes()
    assert converted == page.read_bytes()
    assert b'<html lang="ar" dir="rtl">' in converted


def test_when_a_notebook_was_run_in_jupyterlab_then_lang_comes_from_its_parameters_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'lang = "en"\nagency_id = "AG01"', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell('lang = "ar"', metadata={"tags": ["injected-parameters"]}),
    ]
    assert notebook_parameters(nb) == {"lang": "ar", "agency_id": "AG01"}


def test_when_the_notebook_was_never_executed_then_the_exporter_says_so():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('lang = "ar"', metadata={"tags": ["parameters"]})]
    with pytest.raises(ValueError, match="no outputs: execute it first"):
        SatisfactionReportExporter().from_notebook_node(nb)


def test_when_the_package_is_installed_then_nbconvert_finds_the_exporter():
    from nbconvert.exporters import get_export_names

    assert "satisfaction_report" in get_export_names()
    assert Path(sys.executable).exists()
