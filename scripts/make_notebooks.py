"""Write the thin report notebooks in notebooks/ from the cell lists below.

The notebooks are committed; this script is how they were made and how to remake them
after a change here (``python scripts/make_notebooks.py``). Stakeholder-facing text comes
from ``analysis.i18n``; markdown cells here are researcher notes, tagged ``remove-cell``
so that they stay out of the HTML reports.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def note(text: str):
    return new_markdown_cell(text, metadata={"tags": ["remove-cell"]})


def parameters(agency: bool = True):
    lines = []
    if agency:
        lines.append('agency_id = "AG01"  # an agency_id of agencies.csv')
    lines += [
        'lang = "en"  # "ar" or "en"',
        'study_dir = "data/raw"  # study folder: from the project root, or absolute',
        'mode = "explore"  # "explore": end with tidy tables and a figure; the build: "report"',
    ]
    return new_code_cell("\n".join(lines), metadata={"tags": ["parameters"]})


def code(source: str):
    return new_code_cell(source.strip())


def explore():
    """The researcher's section: tidy DataFrames and a figure, skipped by the build."""
    return [
        note(
            "## Explore\n\n"
            'Run interactively (`mode = "explore"`), the cell below shows the report\'s tidy '
            "tables as DataFrames (sort, filter, re-plot them) and a quick figure, from "
            "`analysis.explore`. The whole study is in `data`: `data.responses` (one row per "
            "analysed respondent), `data.ledger`, `data.interventions`. `python -m analysis "
            'build` sets `mode = "report"`, which skips this section.'
        ),
        new_code_cell(
            "from analysis import explore\n\nexplore.show(report, mode)",
            metadata={"tags": ["remove-cell"]},
        ),
    ]


def baseline():
    return [
        note(
            "# Baseline diagnosis of one agency\n\n"
            "Parameterised by papermill (`python -m analysis build --phase baseline`). Open it "
            "in JupyterLab and run all cells to explore one agency; change the parameters "
            "below. Every number comes from `analysis.baseline` (tested); this notebook only "
            "lays the report out. Cells tagged `remove-cell` (like this one) stay out of the "
            "HTML."
        ),
        parameters(),
        code(
            """
from IPython.display import display

from analysis import plots
from analysis.baseline import BaselineReport
from analysis.dataset import load_study_data

plots.use_report_style(lang)
data = load_study_data(study_dir)
report = BaselineReport(data, agency_id, lang)
report.header()
"""
        ),
        code("report.key_findings()"),
        code("display(*report.where_stand())"),
        code("display(*report.fall_short())"),
        code("display(*report.what_matters())"),
        code("display(*report.who_less())"),
        code("display(*report.reliability())"),
        code("display(*report.what_say())"),
        code("display(*report.methods())"),
        code('report.footer({"agency_id": agency_id, "lang": lang, "study_dir": study_dir})'),
        *explore(),
    ]


def intervention():
    return [
        note(
            "# Intervention report of one agency\n\n"
            "Parameterised by papermill (`python -m analysis build --phase intervention`). "
            "It describes the dose of the programme from the activity log "
            "(`interventions.csv`): the timeline between the two survey waves, staff trained "
            "against front-line staff (coverage), hours, activity mix and weeks without "
            "activity, against the other programme agencies. A comparison agency gets a short "
            "report (header, one sentence, footer): the section calls below then display "
            "nothing. Every number comes from `analysis.intervention` and "
            "`analysis.interventions` (tested); this notebook only lays the report out. Cells "
            "tagged `remove-cell` (like this one) stay out of the HTML."
        ),
        parameters(),
        code(
            """
from IPython.display import display

from analysis import plots
from analysis.dataset import load_study_data
from analysis.intervention import InterventionReport

plots.use_report_style(lang)
data = load_study_data(study_dir)
report = InterventionReport(data, agency_id, lang)
report.header()
"""
        ),
        code("report.key_findings()"),
        code("display(*report.when_active())"),
        code("display(*report.reach())"),
        code("display(*report.what_done())"),
        code("display(*report.methods())"),
        code('report.footer({"agency_id": agency_id, "lang": lang, "study_dir": study_dir})'),
        *explore(),
    ]


def impact():
    return [
        note(
            "# Impact of the programme on one agency\n\n"
            "Parameterised by papermill (`python -m analysis build --phase impact`). Compares "
            "the follow-up with the baseline survey as two independent samples; every number "
            "comes from `analysis.impact` and the tested statistics under it."
        ),
        parameters(),
        code(
            """
from IPython.display import display

from analysis import plots
from analysis.dataset import load_study_data
from analysis.impact import ImpactReport

plots.use_report_style(lang)
data = load_study_data(study_dir)
report = ImpactReport(data, agency_id, lang)
report.header()
"""
        ),
        code("report.key_findings()"),
        code("display(*report.did_change())"),
        code("display(*report.where_change())"),
        code("display(*report.composition())"),
        code("display(*report.against_comparison())"),
        code("display(*report.methods())"),
        code('report.footer({"agency_id": agency_id, "lang": lang, "study_dir": study_dir})'),
        *explore(),
    ]


def regional():
    return [
        note(
            "# Regional forum report\n\n"
            "Parameterised by papermill (`python -m analysis build --phase regional`); no agency "
            "parameter. The league table of every agency (follow-up rank with its 95% interval, "
            "target flag, change with Benjamini-Hochberg across agencies), the programme effect "
            "(DerSimonian-Laird random-effects pooling of Hedges' g, forest plot), the "
            "difference-in-differences against the comparison agencies (wild cluster "
            "bootstrap), the dose-response on training coverage, the agency x dimension heatmap "
            "and the best improvers' activity profile. Every number comes from "
            "`analysis.regional` (computed once per study; `regional_results` writes the same "
            "numbers to results.csv); this notebook only lays the report out."
        ),
        parameters(agency=False),
        code(
            """
from IPython.display import display

from analysis import plots
from analysis.dataset import load_study_data
from analysis.regional import RegionalReport

plots.use_report_style(lang)
data = load_study_data(study_dir)
report = RegionalReport(data, lang)
report.header()
"""
        ),
        code("report.key_findings()"),
        code("display(*report.league_section())"),
        code("display(*report.programme_effect_section())"),
        code("display(*report.did_section())"),
        code("display(*report.dose_section())"),
        code("display(*report.heatmap_section())"),
        code("display(*report.best_practices())"),
        code("display(*report.methods())"),
        code('report.footer({"lang": lang, "study_dir": study_dir})'),
        *explore(),
    ]


NOTEBOOKS = {
    "01_baseline.ipynb": baseline,
    "02_intervention.ipynb": intervention,
    "03_impact.ipynb": impact,
    "04_regional.ipynb": regional,
}


def write(name: str, cells: list) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:02d}"  # stable ids: no churn in git
    path = ROOT / "notebooks" / name
    nbformat.write(nb, str(path))
    return path


if __name__ == "__main__":
    for name, build in NOTEBOOKS.items():
        print(write(name, build()))
