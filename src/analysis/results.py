"""``reports/results.csv``: one row per estimate, long format (DESIGN.md section 5, contract).

The last column, ``p_adj_method``, names the family that adjusted ``p_adj`` (``holm``,
``bh`` or empty; docs/architecture.md, "Multiplicity families"). A ``results.csv`` written
before that column existed reads with it empty, so a partial rebuild merges into it.

Each phase contributes its rows through one function computed from the prepared study,
the same functions the notebooks display, so the HTML and the table cannot disagree. A
build of some phases replaces those phases' rows and keeps the others.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or
carriage return first: an agency id or an item code from a study file) are written with a
leading ``'`` (:mod:`analysis.privacy`); numbers never are. :func:`read_results` removes
exactly that quote again, so the merge of phases compares, sorts and rewrites the values
that were computed, and a rewrite never quotes twice. A table without such cells is written
byte for byte as it was before the rule existed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.dataset import StudyData
from analysis.measures import RESULT_COLUMNS
from analysis.privacy import neutralise_frame, unneutralise_frame
from analysis.report import write_text_atomic

RESULTS_FILE = "results.csv"
PHASE_ORDER = ("baseline", "intervention", "impact", "regional")
#: Significant digits kept in the CSV: far beyond any reported precision, and stable.
DIGITS = 10


def _baseline(data: StudyData) -> pd.DataFrame:
    from analysis.baseline import baseline_results

    return baseline_results(data)


def _intervention(data: StudyData) -> pd.DataFrame:
    from analysis.intervention import intervention_results

    return intervention_results(data)


def _impact(data: StudyData) -> pd.DataFrame:
    from analysis.impact import impact_results

    return impact_results(data)


def _regional(data: StudyData) -> pd.DataFrame:
    from analysis.regional import regional_results

    return regional_results(data)


PHASE_RESULTS: dict[str, Callable[[StudyData], pd.DataFrame]] = {
    "baseline": _baseline,
    "intervention": _intervention,
    "impact": _impact,
    "regional": _regional,
}


def phase_results(data: StudyData, phases: list[str]) -> dict[str, pd.DataFrame]:
    """Rows of each phase that has a results function."""
    return {p: PHASE_RESULTS[p](data) for p in phases if p in PHASE_RESULTS}


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=list(RESULT_COLUMNS)).copy()
    for column in ("agency_id", "phase", "wave", "scope", "code", "metric", "p_adj_method"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    for column in ("estimate", "ci_low", "ci_high", "p_value", "p_adj"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").astype("Int64")
    return frame


def sort_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Stable order: phase, agency (ALL last), wave, scope, code, metric."""
    order = {p: i for i, p in enumerate(PHASE_ORDER)}
    key = frame.assign(
        _phase=frame["phase"].map(order).fillna(len(order)),
        _all=(frame["agency_id"] == "ALL").astype(int),
    )
    key = key.sort_values(
        ["_phase", "_all", "agency_id", "wave", "scope", "code", "metric"], kind="stable"
    )
    return key.drop(columns=["_phase", "_all"]).reset_index(drop=True)


def read_results(path: Path) -> pd.DataFrame:
    """The rows of a ``results.csv`` written by :func:`to_csv_text`, as they were computed.

    Missing file: no rows. Formula-safe quotes added on writing are removed
    (:func:`analysis.privacy.unneutralise_frame`).
    """
    if not Path(path).exists():
        return _normalise(pd.DataFrame(columns=list(RESULT_COLUMNS)))
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return _normalise(unneutralise_frame(frame).replace("", np.nan))


def to_csv_text(frame: pd.DataFrame) -> str:
    """CSV text with a UTF-8 BOM (so Excel opens Arabic), '\\n' line ends, fixed float format.

    Formula-like text cells get a leading ``'`` (OWASP CSV injection); numeric columns are
    written as they are.
    """
    text = neutralise_frame(frame).to_csv(
        index=False, lineterminator="\n", float_format=f"%.{DIGITS}g"
    )
    return "\ufeff" + text


def merge_results(existing: pd.DataFrame, new: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Replace the rows of the phases in ``new``; keep every other phase's rows."""
    kept = existing.loc[~existing["phase"].isin(list(new))]
    frames = [kept] + [_normalise(f) for f in new.values() if len(f)]
    merged = pd.concat([f for f in frames if len(f)], ignore_index=True) if frames else kept
    return sort_results(_normalise(merged))


def write_results(reports_dir: Path, new: Mapping[str, pd.DataFrame]) -> Path:
    """Merge the new phases' rows into ``reports/results.csv`` and write it atomically."""
    path = Path(reports_dir) / RESULTS_FILE
    merged = merge_results(read_results(path), new)
    write_text_atomic(path, to_csv_text(merged))
    return path
