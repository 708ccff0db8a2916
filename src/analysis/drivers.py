"""Key drivers of satisfaction: relative importance and the importance-performance matrix.

Which parts of the service journey matter most for overall satisfaction? The dimension
scores are correlated (a courteous office also tends to explain procedures well), so
regression coefficients or single correlations mislead. :func:`relative_importance` splits
the model's :math:`R^2` with pingouin's LMG / Shapley decomposition, which is
order-independent, non-negative and sums to :math:`R^2`. :func:`importance_performance` crosses that
importance with the dimension index to name what to fix first (:func:`priorities`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pingouin

from analysis import config

#: Quadrants of the importance-performance matrix (Martilla & James, 1977), as stable codes;
#: the report translates them.
QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")
QUADRANT_LABELS_EN = {
    "concentrate_here": "Concentrate here",
    "keep_up": "Keep up the good work",
    "low_priority": "Low priority",
    "possible_overkill": "Possible overkill",
}

DEFAULT_MIN_REPORT_N = config.DEFAULT_THRESHOLDS["min_report_n"]


def relative_importance(
    responses: pd.DataFrame,
    predictors: Sequence[str],
    outcome: str,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
) -> pd.DataFrame:
    """LMG (Shapley) relative importance of the predictors of an OLS regression.

    The decomposition is pingouin's (``pingouin.linear_regression(..., relimp=True)``, its
    ``relimp`` and ``relimp_perc`` columns); this function adds what the reports need around
    it: complete cases, suppression under ``min_report_n``, a constant outcome, and one row per
    predictor in the given order.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent with the predictor columns (e.g. respondent dimension scores)
        and the outcome column; rows with any of them missing are dropped (complete cases).
    predictors : list of str
        Predictor columns (exact enumeration of the :math:`2^p` subsets: keep :math:`p` to a
        dozen or fewer).
    outcome : str
        Outcome column (the overall-satisfaction item).
    min_report_n : int
        Fewer complete cases than this (or than ``len(predictors) + 2``) give NaN shares.

    Returns
    -------
    pandas.DataFrame
        One row per predictor in the given order: ``predictor``, ``r2_share`` (sums to the
        model :math:`R^2`), ``share_pct`` (sums to 100) and ``n`` (complete cases).

    Notes
    -----
    The LMG share of predictor :math:`j` (Lindeman, Merenda & Gold, 1980; Grömping, 2006,
    J. Stat. Software 17(1)) is the Shapley value of the :math:`R^2` game,

    .. math::

        \\mathrm{LMG}_j = \\sum_{S \\subseteq P \\setminus \\{j\\}}
        \\frac{|S|!\\,(p - |S| - 1)!}{p!} \\left[R^2(S \\cup \\{j\\}) - R^2(S)\\right],

    the average over all orderings of the predictors of the :math:`R^2` gained by adding
    :math:`j`. It equals R relaimpo's ``calc.relimp(type = "lmg")``. A constant predictor
    gets no share (pingouin leaves it out of the correlation matrix).
    """
    predictors = list(predictors)
    complete = responses[[*predictors, outcome]].apply(pd.to_numeric, errors="coerce")
    complete = complete.astype(float).dropna()
    n = len(complete)
    p = len(predictors)
    table = pd.DataFrame({"predictor": predictors, "r2_share": np.nan, "share_pct": np.nan})
    table["n"] = n
    if p == 0 or n < max(min_report_n, p + 2):
        return table
    y = complete[outcome].to_numpy()
    if np.ptp(y) == 0:
        return table  # a constant outcome has no variance to explain
    x = complete[predictors]
    if (np.ptp(x.to_numpy(), axis=0) == 0).all():
        table["r2_share"] = 0.0  # nothing varies: nothing is explained, no percentages
        return table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank-deficient designs: pingouin warns, pinv copes
        fit = pingouin.linear_regression(x, y, relimp=True)
    shares = fit.set_index("names")["relimp"].reindex(predictors).fillna(0.0)
    table["r2_share"] = shares.to_numpy(dtype=float)
    total = table["r2_share"].sum()
    table["share_pct"] = table["r2_share"] / total * 100 if total > 0 else np.nan
    return table


def importance_performance(importance: pd.DataFrame, performance: pd.DataFrame) -> pd.DataFrame:
    """Importance-performance matrix of the dimensions (Martilla & James, 1977).

    Parameters
    ----------
    importance : pandas.DataFrame
        Output of :func:`relative_importance`: columns ``predictor`` and ``share_pct``.
    performance : pandas.DataFrame
        Columns ``code`` and ``estimate``: e.g. the dimension ``index`` rows of
        :func:`analysis.measures.level_table` for one agency and wave.

    Returns
    -------
    pandas.DataFrame
        One row per dimension: ``dimension``, ``importance`` (percent of :math:`R^2`),
        ``performance`` (index), ``importance_mean``, ``performance_mean`` (the cross-hairs,
        means over the dimensions that have both values), ``importance_high``,
        ``performance_high`` (at or above the mean) and ``quadrant``, one of
        :data:`QUADRANTS`: high importance and low performance -> ``concentrate_here``; high
        and high -> ``keep_up``; low and low -> ``low_priority``; low importance and high
        performance -> ``possible_overkill``. Dimensions missing either value (suppressed)
        have NA flags and quadrant.
    """
    matrix = (
        importance[["predictor", "share_pct"]]
        .rename(columns={"predictor": "dimension", "share_pct": "importance"})
        .merge(
            performance[["code", "estimate"]].rename(
                columns={"code": "dimension", "estimate": "performance"}
            ),
            on="dimension",
            how="left",
        )
    )
    matrix["importance"] = matrix["importance"].astype(float)
    matrix["performance"] = matrix["performance"].astype(float)
    known = matrix["importance"].notna() & matrix["performance"].notna()
    matrix["importance_mean"] = matrix.loc[known, "importance"].mean()
    matrix["performance_mean"] = matrix.loc[known, "performance"].mean()
    high_importance = (matrix["importance"] >= matrix["importance_mean"]).astype("boolean")
    high_performance = (matrix["performance"] >= matrix["performance_mean"]).astype("boolean")
    matrix["importance_high"] = high_importance.where(known, pd.NA)
    matrix["performance_high"] = high_performance.where(known, pd.NA)
    quadrant = np.select(
        [
            high_importance & ~high_performance,
            high_importance & high_performance,
            ~high_importance & ~high_performance,
        ],
        ["concentrate_here", "keep_up", "low_priority"],
        default="possible_overkill",
    )
    matrix["quadrant"] = pd.Series(quadrant, index=matrix.index, dtype="string").where(known, pd.NA)
    return matrix


def priorities(matrix: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The agency's top priorities: ``concentrate_here`` dimensions, most important first.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Output of :func:`importance_performance`.
    top : int
        At most this many rows.

    Returns
    -------
    pandas.DataFrame
        The matrix rows in the ``concentrate_here`` quadrant, sorted by importance
        (descending) then performance (ascending), with a ``priority`` column 1..k. Empty when
        no dimension is both more important and less well rated than average: the report then
        says so instead of inventing a priority.
    """
    chosen = matrix[matrix["quadrant"] == "concentrate_here"]
    chosen = chosen.sort_values(["importance", "performance"], ascending=[False, True]).head(top)
    chosen = chosen.reset_index(drop=True)
    chosen.insert(0, "priority", np.arange(1, len(chosen) + 1))
    return chosen
