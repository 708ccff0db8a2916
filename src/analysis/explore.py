"""The researcher's view of a report: its tidy tables as DataFrames and a quick figure.

A notebook run interactively (``mode = "explore"``, its default) ends with an "Explore"
section that displays :func:`tables` and :func:`figure` of its report object: real
``DataFrame`` outputs to sort, filter and re-plot, and a matplotlib figure, instead of the
report's HTML blocks only. The build runs the notebooks with ``mode = "report"``, which
skips the section, so the stakeholder page is unchanged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

MODES = ("explore", "report")

#: The report attributes shown as tables, per report class (all tidy DataFrames).
TABLES = {
    "BaselineReport": ("levels", "importance", "ipa", "segment_gaps", "responses"),
    "InterventionReport": ("log", "timeline", "mix", "coverage"),
    "ImpactReport": ("changes", "levels", "mix"),
    "RegionalReport": ("league", "changes", "dimensions", "coverage"),
}

#: (table, metric or None, x column, y column) of the quick figure, per report class.
FIGURES = {
    "BaselineReport": ("levels", "index", "code", "estimate"),
    "InterventionReport": ("timeline", None, "week", "activities"),
    "ImpactReport": ("changes", "index_diff", "code", "estimate"),
    "RegionalReport": ("league", None, "agency_id", "followup"),
}


def tables(report: Any) -> dict[str, pd.DataFrame]:
    """The report's tidy tables by name (a regional report's from its ``numbers``)."""
    kind = type(report).__name__
    source = report.numbers if kind == "RegionalReport" else report
    found = {}
    for name in TABLES.get(kind, ()):
        value = getattr(source, name, None)
        if isinstance(value, pd.DataFrame):
            found[name] = value
    return found


def figure(report: Any):
    """A bar chart of the report's headline table (matplotlib ``Figure``), or None if empty."""
    import matplotlib.pyplot as plt

    kind = type(report).__name__
    if kind not in FIGURES:
        return None
    name, metric, x, y = FIGURES[kind]
    table = tables(report).get(name)
    if table is None or x not in table or y not in table:
        return None
    if metric is not None and "metric" in table:
        table = table[table["metric"] == metric]
    table = table.dropna(subset=[y])
    if table.empty:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(table[x].astype(str), table[y].astype(float))
    ax.set_xlabel(x)
    ax.set_ylabel(f"{metric or y}")
    ax.set_title(f"{name}: {metric or y}")
    ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    return fig


def show(report: Any, mode: str = "explore") -> None:
    """Display every table and the figure (in ``explore`` mode; nothing in ``report``)."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}, not {mode!r}")
    if mode != "explore":
        return
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    for name, table in tables(report).items():
        display(Markdown(f"### `{name}` ({len(table)} rows)"))
        display(table)
    fig = figure(report)
    if fig is not None:
        display(fig)
        plt.close(fig)
