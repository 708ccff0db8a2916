"""Notebooks run interactively show DataFrames and a figure; the built page stays the same."""

from __future__ import annotations

import matplotlib
import nbformat
import pandas as pd
import pytest

from analysis import config, explore
from analysis.baseline import BaselineReport
from analysis.build import build
from analysis.impact import ImpactReport
from analysis.intervention import InterventionReport
from analysis.regional import RegionalReport
from analysis.report import export_html


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (lambda d: BaselineReport(d, "AG01", "en"), {"levels", "importance", "responses"}),
        (lambda d: InterventionReport(d, "AG01", "en"), {"log", "timeline"}),
        (lambda d: ImpactReport(d, "AG01", "en"), {"changes", "levels"}),
        (lambda d: RegionalReport(d, "en"), {"league", "changes"}),
    ],
)
def test_when_a_report_is_explored_then_its_tables_are_dataframes_and_it_has_a_figure(
    small_data, make, names
):
    matplotlib.use("Agg")
    report = make(small_data)
    tables = explore.tables(report)
    assert names <= set(tables)
    assert all(isinstance(t, pd.DataFrame) and not t.empty for t in tables.values())
    fig = explore.figure(report)
    assert isinstance(fig, matplotlib.figure.Figure)


def test_when_mode_is_unknown_then_show_says_which_modes_exist(small_data):
    with pytest.raises(ValueError, match="explore, report"):
        explore.show(BaselineReport(small_data, "AG01", "en"), "draft")


@pytest.fixture(scope="module")
def built(small_study, tmp_path_factory):
    root = tmp_path_factory.mktemp("explore")
    reports = root / "reports"
    status = build(
        small_study, reports, jobs=1, agencies=["AG01"], phases=["baseline"], langs=["en"]
    )
    assert status == 0
    return root, reports / "AG01" / "baseline.en.html"


def test_when_a_notebook_runs_with_default_mode_then_it_shows_dataframes_and_a_png(
    small_study, built
):
    import papermill

    root, page = built
    out = root / "explored.ipynb"
    papermill.execute_notebook(
        str(config.NOTEBOOKS_DIR / "01_baseline.ipynb"),
        str(out),
        parameters={"agency_id": "AG01", "lang": "en", "study_dir": str(small_study)},
        cwd=str(config.PROJECT_ROOT),
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    frames = [
        o
        for o in outputs
        if 'class="dataframe' in o.get("data", {}).get("text/html", "")
        and "text/plain" in o.get("data", {})
    ]
    assert len(frames) >= 3  # levels, importance, ipa, segment gaps, responses
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the explore figure

    # The built page is the stakeholder page: exploring adds nothing to it.
    exported = root / "explored.html"
    export_html(nb, exported, "en")
    assert exported.read_bytes() == page.read_bytes()
