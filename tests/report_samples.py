"""Small report notebooks for the rendering tests (test_report.py, test_browser.py).

Each sample looks like a real report (header, key findings, a chart, a table with a
suppressed cell, comments holding personal data and HTML, methods note, provenance) and
also carries what must never reach a stakeholder: papermill parameter cells with random
ids and timestamps, a warning on stderr, a bare object repr.
"""

from __future__ import annotations

import atexit
import copy
import functools
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

#: Comments with personal data and markup; the tests look for these strings.
PHONE = "0551234567"
PHONE_966 = "+966 55 123 4567"
NATIONAL_ID = "1012345678"
EMAIL = "someone@example.com"
SCRIPT = "<script>alert('x')</script>"
ARABIC_INDIC_PHONE = "٠٥٥١٢٣٤٥٦٧"
STDERR_TEXT = "this warning must not reach the report"

SETUP = """\
import sys
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from analysis.i18n import fmt_date, fmt_interval, t
from analysis import report

matplotlib.rcParams.update({"font.family": "DejaVu Sans", "figure.dpi": 100})
warnings.warn(STDERR_TEXT)
print(STDERR_TEXT, file=sys.stderr)
"""

BODY = """\
display(report.header_html(
    "وزارة الخدمات — التشخيص القبلي" if lang == "ar" else "Ministry of Services — Baseline",
    lang,
    meta_lines=[
        t("programme_title", lang),
        f"{t('wave_baseline', lang)} {fmt_date('2025-01-05', lang)} – {fmt_date('2025-02-10', lang)}",
    ],
    language_hrefs={other: f"baseline.{other}.html" for other in ("ar", "en") if other != lang},
    portal_href="../index.html",
))
display(report.findings_html([
    (f"الرضا العام 64 من 100 {fmt_interval(60.2, 67.8, 0, lang)}، أقل من المستهدف 70."
     if lang == "ar" else
     f"Overall satisfaction is 64 of 100 {fmt_interval(60.2, 67.8, 0, lang)}, below the target of 70."),
    (f"تغير المؤشر {fmt_interval(-5.2, 2.1, 0, lang)} نقطة." if lang == "ar"
     else f"The index changed by {fmt_interval(-5.2, 2.1, 0, lang)} points."),
], lang))
display(Markdown("## " + t("q_fall_short", lang)))
labels = (["الاستقبال والترحيب", "وقت الانتظار", "وضوح المعلومات", "حل المشكلة"]
          if lang == "ar" else ["Reception", "Waiting time", "Clear information", "Problem solved"])
values = [72.4, 51.0, 63.5, 58.25]
fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(labels, values, color="#0072B2")
ax.axvline(70, color="#D55E00", linestyle="--")
ax.set_xlim(0, 100)
ax.set_title(t("col_index", lang))
display(report.figure_html(
    fig,
    alt=("مخطط أعمدة لمؤشر كل بند؛ وقت الانتظار الأدنى عند 51 من 100." if lang == "ar"
         else "Bar chart of the index of each item; waiting time is lowest at 51 of 100."),
    caption=t("col_index", lang),
))
table = pd.DataFrame({
    t("col_item", lang): labels,
    t("col_index", lang): values,
    t("col_ci95", lang): [fmt_interval(v - 4, v + 4, 1, lang) for v in values],
    t("col_n", lang): pd.array([120, 8, 97, 64], dtype="Int64"),
})
mask = pd.Series([False, True, False, False])
display(report.table_html(
    table, lang, t("col_index", lang) + " <b>&",
    number_formats={t("col_ci95", lang): str}, suppressed_mask=mask,
))
ax
"""

COMMENTS = """\
display(Markdown("## " + t("q_what_say", lang)))
display(report.comments_html([
    f"اتصلوا بي على {PHONE} أو {ARABIC_INDIC_PHONE} من فضلكم",
    f"My number is {PHONE_966}, ID {NATIONAL_ID}, mail {EMAIL}",
    f"Great service {SCRIPT}",
    None,
    "   ",
], lang))
"""

FOOTER = """\
display(Markdown("## " + t("methods_note", lang)))
display(Markdown(t("methods_suppression", lang, min_n=10, low_n=30)))
prov = report.provenance(STUDY_DIR, {"agency_id": "A01", "lang": lang}, [STUDY_DIR / "study.yml"])
display(report.provenance_html(prov, lang))
"""


@functools.cache
def _study_dir() -> Path:
    """A minimal study folder (provenance reads its title and hashes study.yml)."""
    root = Path(tempfile.mkdtemp(prefix="report-samples-"))
    study = root / "study"
    study.mkdir()
    (study / "study.yml").write_text(
        'title: {en: "Demo satisfaction study", ar: "دراسة رضا تجريبية"}\n', encoding="utf-8"
    )
    return study


def sample_notebook(lang: str) -> nbformat.NotebookNode:
    """The unexecuted sample notebook, with papermill-style parameter cells."""
    constants = "\n".join(
        f"{name} = {value!r}"
        for name, value in [
            ("PHONE", PHONE),
            ("PHONE_966", PHONE_966),
            ("NATIONAL_ID", NATIONAL_ID),
            ("EMAIL", EMAIL),
            ("SCRIPT", SCRIPT),
            ("ARABIC_INDIC_PHONE", ARABIC_INDIC_PHONE),
            ("STDERR_TEXT", STDERR_TEXT),
        ]
    )
    parameters = new_code_cell('lang = "en"', metadata={"tags": ["parameters"]})
    injected = new_code_cell(
        f"# Parameters\nlang = {lang!r}\n",
        metadata={"tags": ["injected-parameters"]},
    )
    return new_notebook(
        cells=[
            parameters,
            injected,
            new_code_cell(
                constants
                + "\nfrom pathlib import Path\n"
                + f"STUDY_DIR = Path({str(_study_dir())!r})"
            ),
            new_code_cell(SETUP),
            new_markdown_cell("<!-- a markdown cell: rendered, never shown as source -->"),
            new_code_cell(BODY),
            new_code_cell(COMMENTS),
            new_code_cell(FOOTER),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


@functools.cache
def _kernel_manager():
    """One kernel for all samples of the test session (start-up is the slow part)."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    atexit.register(lambda: km.has_kernel and km.shutdown_kernel(now=True))
    return km


@functools.cache
def _executed(lang: str) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = sample_notebook(lang)
    NotebookClient(nb, km=_kernel_manager(), timeout=120).execute()
    return nb


def executed_sample(lang: str) -> nbformat.NotebookNode:
    """The executed sample notebook for ``lang`` (executed once per session; a copy)."""
    return copy.deepcopy(_executed(lang))


def with_papermill_noise(nb: nbformat.NotebookNode, run: int) -> nbformat.NotebookNode:
    """A copy with what papermill adds to an executed notebook, different for each ``run``.

    Random cell ids, per-cell timestamps and durations, notebook-level run metadata.
    """
    nb = copy.deepcopy(nb)
    stamp = f"2025-03-0{run}T10:00:0{run}.123456"
    for i, cell in enumerate(nb.cells):
        cell.id = f"run{run}-{i:04d}-{run * 7919 % 10007:05d}"
        cell.metadata["papermill"] = {
            "duration": 0.1 * run,
            "end_time": stamp,
            "exception": False,
            "start_time": stamp,
            "status": "completed",
        }
        cell.metadata["execution"] = {"iopub.execute_input": stamp, "shell.execute_reply": stamp}
    nb.metadata["papermill"] = {
        "start_time": stamp,
        "end_time": stamp,
        "duration": 1.5 * run,
        "input_path": f"/tmp/run{run}/in.ipynb",
        "output_path": f"/tmp/run{run}/out.ipynb",
        "parameters": {"lang": "ar"},
        "environment_variables": {},
        "version": "2.7.0",
    }
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb
