"""The project's report page from the standard tools: ``jupyter nbconvert --to satisfaction_report``.

Registered through the ``nbconvert.exporters`` entry point (pyproject.toml), so that a
researcher who executed a notebook with papermill or JupyterLab gets exactly the page that
``python -m analysis build`` writes: no code, no prompts, right to left in Arabic, the same
template and the same bytes::

    papermill notebooks/01_baseline.ipynb out.ipynb -p agency_id AG01 -p lang ar
    jupyter nbconvert --to satisfaction_report out.ipynb          # -> out.html

The report language is the notebook's ``lang`` parameter (papermill records it in the
notebook's metadata; a notebook run in JupyterLab has it in its parameters cell), or
``--SatisfactionReportExporter.lang=ar``. The page's links to the other language and to
the portal are relative, as in ``reports/``: they work once the page sits there.
"""

from __future__ import annotations

import ast
import contextlib
from typing import Any

from nbconvert.exporters import Exporter
from traitlets import Unicode

from analysis import i18n


def notebook_parameters(nb: Any) -> dict[str, Any]:
    """The parameters a notebook ran with: papermill's record, else its parameter cells.

    Cells tagged ``parameters`` and then ``injected-parameters`` are read in order, so
    injected values win as they do when the notebook runs; only literal assignments count.
    """
    recorded = nb.metadata.get("papermill", {}).get("parameters")
    if recorded:
        return dict(recorded)
    values: dict[str, Any] = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type != "code" or tag not in cell.get("metadata", {}).get("tags", []):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        with contextlib.suppress(ValueError):  # not a literal: skip it
                            values[target.id] = ast.literal_eval(node.value)
    return values


class SatisfactionReportExporter(Exporter):
    """An executed report notebook as the project's self-contained stakeholder page."""

    export_from_notebook = "Satisfaction study report"
    output_mimetype = "text/html"
    lang = Unicode(
        "", help="Report language (ar or en); default the notebook's lang parameter."
    ).tag(config=True)

    def _file_extension_default(self) -> str:
        return ".html"

    def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
        from analysis.report import render_html

        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        if not any(cell.get("outputs") for cell in nb_copy.cells if cell.cell_type == "code"):
            raise ValueError(
                "this notebook has no outputs: execute it first (papermill, or Run All in "
                "JupyterLab), then convert the executed copy"
            )
        lang = self.lang or str(notebook_parameters(nb_copy).get("lang", ""))
        if lang not in i18n.LANGUAGES:
            raise ValueError(
                f"report language {lang!r} unknown: give --SatisfactionReportExporter.lang=ar "
                f"(one of {', '.join(i18n.LANGUAGES)})"
            )
        return render_html(nb_copy, lang), resources
