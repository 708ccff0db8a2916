"""Who is less satisfied? Index per respondent segment, gaps, tests and Holm adjustment.

For one agency and wave, :func:`segment_gaps` gives the index of each group of a segment
(e.g. ``gender``: ``female``, ``male``) with its interval, the gap of each group to the rest
and one test of "no difference between the groups". :func:`segment_table` runs it for every
segment of every agency and wave and adjusts the p-values with Holm's method across the
segments tested for the same agency and wave, so that looking at several segments does not
multiply false alarms. Groups under ``min_report_n`` are suppressed and left out of the tests:
a reader could otherwise back out a small group's answers from the gap to the rest.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pingouin as pg
from numpy.typing import ArrayLike
from scipy import stats

from analysis import config
from analysis.measures import index_estimate, to_index

DEFAULT_MIN_REPORT_N = config.DEFAULT_THRESHOLDS["min_report_n"]

#: Columns of :func:`segment_gaps`.
GAP_COLUMNS = (
    "segment",
    "group",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "suppressed",
    "low_precision",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "test",
    "statistic",
    "p_value",
)


def holm(p_values: ArrayLike) -> np.ndarray:
    """Holm-adjusted p-values (Holm, 1979), NaN entries left out and kept as NaN.

    :math:`p^{adj}_{(i)} = \\min(1, \\max_{j \\leq i} (m - j + 1)\\, p_{(j)})` over the
    :math:`m` non-missing p-values sorted ascending; equals R's ``p.adjust(p, "holm")``.
    One implementation serves the project: :func:`analysis.change.adjust_within_agency`.
    """
    from analysis.change import adjust_within_agency

    return np.asarray(adjust_within_agency(np.asarray(p_values, dtype=float)), dtype=float)


def _welch(x: np.ndarray, y: np.ndarray, confidence: float) -> tuple[float, float, float, float]:
    """Welch's t statistic, two-sided p and the interval of ``mean(x) - mean(y)``."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # Two constant groups give 0/0; the NaN result is the honest answer.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(x, y, equal_var=False)
        interval = result.confidence_interval(confidence_level=confidence)
    return float(result.statistic), float(result.pvalue), float(interval.low), float(interval.high)


def _omnibus(groups: dict[str, np.ndarray]) -> tuple[str | None, float, float]:
    """One test of equal group means: Welch t (2 groups) or Welch ANOVA (3+).

    Welch's ANOVA weights each group by :math:`n_i / s_i^2`, so a group whose answers are all
    the same (a common sight on 5-point scales) would get infinite weight; Kruskal-Wallis
    takes over then.
    """
    if len(groups) < 2:
        return None, np.nan, np.nan
    if len(groups) == 2:
        first, second = groups.values()
        statistic, p_value, _, _ = _welch(first, second, 0.95)
        return "welch_t", statistic, p_value
    if all(values.var(ddof=1) > 0 for values in groups.values()):
        long = pd.DataFrame(
            {
                "group": np.repeat(list(groups), [values.size for values in groups.values()]),
                "value": np.concatenate(list(groups.values())),
            }
        )
        table = pg.welch_anova(data=long, dv="value", between="group")
        return "welch_anova", float(table["F"].iloc[0]), float(table["p_unc"].iloc[0])
    try:
        statistic, p_value = stats.kruskal(*groups.values())
    except ValueError:  # every answer identical: nothing to test
        return "kruskal", np.nan, np.nan
    return "kruskal", float(statistic), float(p_value)


def segment_gaps(
    responses: pd.DataFrame,
    segment: str,
    value_col: str,
    scale_min: float,
    scale_max: float,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Index per group of one segment, gap to the rest and a test of no difference.

    Parameters
    ----------
    responses : pandas.DataFrame
        Tidy responses of one agency and wave (or any subset to compare within).
    segment : str
        Segment column (group codes; NA = unknown, left out).
    value_col : str
        Item code or respondent dimension score column, on the answer scale.
    scale_min, scale_max : float
        End points of the answer scale (the index is ``(x - min) / (max - min) * 100``).
    min_report_n : int
        Groups with fewer answers are suppressed and left out of gaps and tests.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by group code), columns :data:`GAP_COLUMNS`:
        the group's index with its t interval (:func:`analysis.measures.index_estimate`);
        ``gap`` = group index minus the index of the other reported groups pooled, with
        Welch's interval (Welch, 1947; for two groups this is simply the difference between
        them); and, repeated on every row, one test over the reported groups: ``welch_t``
        (Welch's t-test, two groups), ``welch_anova`` (Welch, 1951, three or more) or
        ``kruskal`` (Kruskal-Wallis, when a group's answers are constant), its ``statistic``
        and unadjusted two-sided ``p_value``. Test columns are NA when fewer than two groups
        are reported.
    """
    data = pd.DataFrame(
        {
            "group": responses[segment],
            "index": to_index(
                pd.to_numeric(responses[value_col], errors="coerce").astype(float),
                scale_min,
                scale_max,
            ),
        }
    ).dropna()
    rows = []
    reported: dict[str, np.ndarray] = {}
    for group, values in data.groupby("group", sort=True)["index"]:
        estimate = index_estimate(values, 0, 100, min_report_n, confidence)
        rows.append({"segment": segment, "group": str(group), **estimate.as_dict()})
        if not estimate.suppressed:
            reported[str(group)] = values.to_numpy()
    test, statistic, p_value = _omnibus(reported)
    for row in rows:
        row.update(gap=np.nan, gap_ci_low=np.nan, gap_ci_high=np.nan)
        if row["group"] in reported and len(reported) >= 2:
            rest = np.concatenate([v for g, v in reported.items() if g != row["group"]])
            _, _, low, high = _welch(reported[row["group"]], rest, confidence)
            row.update(gap=row["estimate"] - rest.mean(), gap_ci_low=low, gap_ci_high=high)
        row.update(test=test, statistic=statistic, p_value=p_value)
    table = pd.DataFrame.from_records(rows, columns=[*GAP_COLUMNS, "se"])[list(GAP_COLUMNS)]
    table = table.astype(
        {
            "segment": "string",
            "group": "string",
            "test": "string",
            "n": "int64",
            "suppressed": bool,
            "low_precision": bool,
        }
    )
    float_columns = [
        "estimate",
        "ci_low",
        "ci_high",
        "gap",
        "gap_ci_low",
        "gap_ci_high",
        "statistic",
        "p_value",
    ]
    table[float_columns] = table[float_columns].astype(float)
    return table


def segment_table(
    responses: pd.DataFrame,
    segments: Sequence[str],
    value_col: str,
    scale_min: float,
    scale_max: float,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    by: Sequence[str] = ("agency_id", "wave"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`segment_gaps` for every segment and group of ``by``, with Holm-adjusted p.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then :data:`GAP_COLUMNS`, then ``p_adj``: each segment's
        ``p_value`` adjusted with :func:`holm` across the segments tested within the same
        ``by`` group (one p-value per segment; untested segments do not count).
    """
    by = list(by)
    parts = []
    grouped = responses.groupby(by, sort=True, dropna=False) if by else [((), responses)]
    for keys, group in grouped:
        key_values = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        gaps = [
            segment_gaps(group, segment, value_col, scale_min, scale_max, min_report_n, confidence)
            for segment in segments
        ]
        gaps = [part for part in gaps if len(part)]
        if not gaps:
            continue
        block = pd.concat(gaps, ignore_index=True)
        per_segment = block.groupby("segment", sort=False)["p_value"].first()
        adjusted = pd.Series(holm(per_segment.to_numpy()), index=per_segment.index)
        block["p_adj"] = block["segment"].map(adjusted).astype(float)
        for column, value in reversed(key_values.items()):
            block.insert(0, column, value)
        parts.append(block)
    if not parts:
        return pd.DataFrame(columns=[*by, *GAP_COLUMNS, "p_adj"])
    return pd.concat(parts, ignore_index=True)
