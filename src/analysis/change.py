"""Wave-to-wave change of an agency: follow-up versus baseline (DESIGN.md section 4, "Change").

The two waves are independent samples of beneficiaries (different people), so every
comparison is a two-independent-sample one. All estimates are on the 0-100 index scale
``(x - min) / (max - min) * 100`` of each answer, so an index difference reads in points.

Sign convention everywhere: follow-up minus baseline, so a positive number is an improvement.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis.measures import (
    RESULT_COLUMNS,
    is_plain_numeric,
    respondent_dimension_scores,
    to_index,
)
from analysis.meta import hedges_g_variance

__all__ = [
    "HOLM_METRIC",
    "Verdict",
    "adjust_across_agencies",
    "adjust_within_agency",
    "adjusted_interval",
    "change_table",
    "effect_size_word",
    "index_change",
    "shown_change",
    "top2box_change",
    "verdict",
]

_Z_95 = stats.norm.isf(0.025)

#: Metric of the row that keeps the outcome's within-agency Holm value (results.csv), so that
#: the headline's cross-agency adjustment of the ``index_diff`` row does not overwrite it.
HOLM_METRIC = "index_diff_holm"


def _answers(values: Any) -> np.ndarray:
    """Answered values as a float array (N/A is NaN upstream and is dropped here)."""
    if isinstance(values, pd.Series) and is_plain_numeric(values.dtype):
        array = values.to_numpy(dtype=float, na_value=np.nan)  # no conversion needed
    else:
        array = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    return array[np.isfinite(array)]


def index_change(
    before: Any,
    after: Any,
    scale_min: float,
    scale_max: float,
    min_report_n: int = 10,
) -> dict[str, float | int | bool]:
    """Change of the 0-100 index between two independent waves.

    Each answer is first put on the index scale :math:`(x - min) / (max - min) \\cdot 100`.

    - ``estimate``: :math:`\\bar y_{after} - \\bar y_{before}` with the Welch (1947) t-test
      (``t``, ``df`` Welch-Satterthwaite, two-sided ``p_value``) and 95% CI
      (``ci_low``, ``ci_high``), from ``scipy.stats.ttest_ind(equal_var=False)``.
    - ``hedges_g``: signed Hedges' g, positive when ``after`` > ``before``, from
      ``pingouin.compute_effsize(after, before, eftype="hedges")`` (pooled SD, correction
      :math:`J = 1 - 3 / (4 (n_1 + n_2) - 9)`). Its 95% CI (``g_ci_low``, ``g_ci_high``) is
      :math:`g \\pm z_{0.975} \\sqrt{v_g}` with the variance ``g_variance`` of DESIGN.md
      section 4 (:func:`analysis.meta.hedges_g_variance`), i.e. the same normal interval the
      forest plot and the meta-analysis use. (``pingouin.compute_esci`` would use t(n-2) and
      omit J²; the two differ in the third decimal for n > 30.)
    - ``mwu_u``, ``mwu_p``: Mann-Whitney U of ``after`` versus ``before`` (U counts the pairs
      where the follow-up answer is higher, ties 1/2) and its two-sided p-value from the
      normal approximation with tie and continuity correction
      (``scipy.stats.mannwhitneyu(method="asymptotic")``).
    - ``n1``, ``n2``: answers in ``before`` and ``after``; ``suppressed`` is True (and every
      estimate NaN) when either is below ``min_report_n``.

    Parameters
    ----------
    before, after : array-like
        Answers on the rating scale (NaN = not answered / N/A, dropped).
    scale_min, scale_max : float
        The scale's lowest and highest codes.
    min_report_n : int
        Smallest number of answers per wave that is reported.

    Returns
    -------
    dict
        Keys ``estimate, ci_low, ci_high, t, df, p_value, hedges_g, g_ci_low, g_ci_high,
        g_variance, mwu_u, mwu_p, mean_before, mean_after, n1, n2, suppressed``.

    References
    ----------
    Welch, B. L. (1947). The generalization of 'Student's' problem when several different
    population variances are involved. *Biometrika*, 34(1-2), 28-35.
    Hedges, L. V., & Olkin, I. (1985). *Statistical Methods for Meta-Analysis*. Academic Press.
    """
    x0 = to_index(_answers(before), scale_min, scale_max)
    x1 = to_index(_answers(after), scale_min, scale_max)
    n1, n2 = len(x0), len(x1)
    result: dict[str, float | int | bool] = dict.fromkeys(
        [
            "estimate",
            "ci_low",
            "ci_high",
            "t",
            "df",
            "p_value",
            "hedges_g",
            "g_ci_low",
            "g_ci_high",
            "g_variance",
            "mwu_u",
            "mwu_p",
            "mean_before",
            "mean_after",
        ],
        math.nan,
    )
    result.update(n1=n1, n2=n2, suppressed=min(n1, n2) < min_report_n)
    if result["suppressed"] or min(n1, n2) < 2:
        result["suppressed"] = True
        return result

    result["mean_before"] = float(x0.mean())
    result["mean_after"] = float(x1.mean())
    result["estimate"] = result["mean_after"] - result["mean_before"]
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # Both waves constant (e.g. everyone answered 5): t and g are undefined, not an error.
        warnings.simplefilter("ignore", RuntimeWarning)
        welch = stats.ttest_ind(x1, x0, equal_var=False)
        ci = welch.confidence_interval(confidence_level=0.95)
        pooled_var = ((n1 - 1) * x0.var(ddof=1) + (n2 - 1) * x1.var(ddof=1)) / (n1 + n2 - 2)
        g = float(pg.compute_effsize(x1, x0, eftype="hedges")) if pooled_var > 0 else math.nan
        mwu = stats.mannwhitneyu(
            x1, x0, alternative="two-sided", method="asymptotic", use_continuity=True
        )
    result.update(
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        t=float(welch.statistic),
        df=float(welch.df),
        p_value=float(welch.pvalue),
        mwu_u=float(mwu.statistic),
        mwu_p=float(mwu.pvalue),
    )
    if math.isfinite(g):
        variance = hedges_g_variance(g, n1, n2)
        result.update(
            hedges_g=g,
            g_variance=variance,
            g_ci_low=g - _Z_95 * math.sqrt(variance),
            g_ci_high=g + _Z_95 * math.sqrt(variance),
        )
    return result


def top2box_change(
    before: Any,
    after: Any,
    scale_max: float,
    min_report_n: int = 10,
) -> dict[str, float | int | bool]:
    """Change of the top-2-box share, in percentage points, with Newcombe's hybrid score CI.

    The top-2-box share is the percentage of answered responses at the two highest scale
    points (``>= scale_max - 1``). The interval for the difference of two independent
    proportions ``p_after - p_before`` is Newcombe's (1998) method 10 (hybrid Wilson score,
    no continuity correction), from ``statsmodels.stats.proportion.confint_proportions_2indep
    (method="newcomb", compare="diff")``.

    Returns
    -------
    dict
        ``estimate, ci_low, ci_high`` (percentage points), ``share_before, share_after``
        (percent), ``n1, n2`` and ``suppressed`` (all estimates NaN when either n is below
        ``min_report_n``).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine*, 17(8), 873-890.
    """
    x0, x1 = _answers(before), _answers(after)
    n1, n2 = len(x0), len(x1)
    result: dict[str, float | int | bool] = dict.fromkeys(
        ["estimate", "ci_low", "ci_high", "share_before", "share_after"], math.nan
    )
    result.update(n1=n1, n2=n2, suppressed=min(n1, n2) < min_report_n or min(n1, n2) == 0)
    if result["suppressed"]:
        return result
    top0 = int(np.sum(x0 >= scale_max - 1))
    top1 = int(np.sum(x1 >= scale_max - 1))
    low, high = confint_proportions_2indep(top1, n2, top0, n1, method="newcomb", compare="diff")
    result.update(
        share_before=100.0 * top0 / n1,
        share_after=100.0 * top1 / n2,
        estimate=100.0 * (top1 / n2 - top0 / n1),
        ci_low=100.0 * float(low),
        ci_high=100.0 * float(high),
    )
    return result


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down: :math:`\\min(1, \\max_{j \\le i} (m - j + 1) p_{(j)})`."""
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg step-up: :math:`\\min_{j \\ge i} \\min(1, m p_{(j)} / j)`."""
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


_METHODS = {"holm": _holm, "fdr_bh": _bh}


def _adjust(pvalues: Any, method: str) -> Any:
    """Adjust the non-missing p-values; NaN stays NaN and is left out (like R's p.adjust).

    The two formulas are a few lines of numpy rather than statsmodels' ``multipletests``,
    whose Holm branch calls ``gc.collect()`` on every call (about 0.05 s): over every
    agency, dimension and item of a build that is most of the impact statistics' time. The
    tests assert both against R's ``p.adjust`` and against ``multipletests``.
    """
    series = pd.Series(pvalues, dtype=float) if not isinstance(pvalues, pd.Series) else pvalues
    values = series.to_numpy(dtype=float)
    adjusted = np.full_like(values, np.nan)
    present = np.isfinite(values)
    if present.any():
        adjusted[present] = _METHODS[method](values[present])
    if isinstance(pvalues, pd.Series):
        return pd.Series(adjusted, index=pvalues.index, name=pvalues.name)
    return adjusted


def adjust_within_agency(pvalues: Any) -> Any:
    """Holm (1979) step-down adjustment of one agency's family of p-values.

    Same as R's ``p.adjust(p, "holm")`` (``statsmodels ... multipletests(method="holm")``);
    NaN entries (suppressed comparisons) are left out of the family and stay NaN. A Series
    keeps its index; other input returns an ndarray.
    """
    return _adjust(pvalues, "holm")


def adjust_across_agencies(pvalues: Any) -> Any:
    """Benjamini-Hochberg (1995) adjustment of the headline comparison across agencies.

    Same as R's ``p.adjust(p, "BH")`` (``multipletests(method="fdr_bh")``): controls the
    false discovery rate over the agencies' satisfaction-index changes. NaN entries
    (suppressed agencies) are left out and stay NaN. A Series keeps its index.
    """
    return _adjust(pvalues, "fdr_bh")


def _rows(
    agency_id: str,
    scope: str,
    code: str,
    before: pd.Series,
    after: pd.Series,
    scale_min: float,
    scale_max: float,
    min_report_n: int,
    with_top2box: bool,
) -> list[dict[str, Any]]:
    base = {"agency_id": agency_id, "phase": "impact", "wave": "", "scope": scope, "code": code}
    change = index_change(before, after, scale_min, scale_max, min_report_n)
    n = int(change["n1"]) + int(change["n2"])
    rows = [
        {
            **base,
            "metric": "index_diff",
            "estimate": change["estimate"],
            "ci_low": change["ci_low"],
            "ci_high": change["ci_high"],
            "n": n,
            "p_value": change["p_value"],
        },
        {
            **base,
            "metric": "hedges_g",
            "estimate": change["hedges_g"],
            "ci_low": change["g_ci_low"],
            "ci_high": change["g_ci_high"],
            "n": n,
            "p_value": math.nan,
        },
        {
            **base,
            "metric": "mwu",
            "estimate": change["mwu_u"],
            "ci_low": math.nan,
            "ci_high": math.nan,
            "n": n,
            "p_value": change["mwu_p"],
        },
    ]
    if with_top2box:
        top2 = top2box_change(before, after, scale_max, min_report_n)
        rows.append(
            {
                **base,
                "metric": "top2box_diff",
                "estimate": top2["estimate"],
                "ci_low": top2["ci_low"],
                "ci_high": top2["ci_high"],
                "n": int(top2["n1"]) + int(top2["n2"]),
                "p_value": math.nan,
            }
        )
    return rows


def change_table(
    responses: pd.DataFrame,
    items: Sequence[str],
    dimensions: Mapping[str, Sequence[str]],
    outcome: str,
    scale_min: float,
    scale_max: float,
    min_report_n: int = 10,
) -> pd.DataFrame:
    """Impact rows of the results table (DESIGN.md section 5) for every agency.

    For each agency (sorted by ``agency_id``) and each of: the outcome item
    (``scope="outcome"``), every dimension (``scope="dimension"``, on the respondent
    dimension score) and every other item (``scope="item"``; the outcome item is not repeated
    as an item), rows with ``phase="impact"``, ``wave=""`` and ``metric``:

    - ``index_diff``: follow-up minus baseline index, Welch 95% CI, Welch p in ``p_value``;
    - ``hedges_g``: signed g with its 95% CI (see :func:`index_change`), no p-value;
    - ``mwu``: ``estimate`` is the Mann-Whitney U statistic of the follow-up answers (pairs
      where follow-up > baseline, ties 1/2), no CI, its asymptotic p in ``p_value``;
    - ``top2box_diff`` (outcome and items only; a dimension score has no scale points):
      percentage-point change with the Newcombe CI.

    ``n`` is the number of answers of both waves (n1 + n2). A comparison with fewer than
    ``min_report_n`` answers in either wave keeps its row with NaN estimate and the true n.

    ``p_adj`` is filled on ``index_diff`` rows only: Holm within the agency over the family
    of its non-suppressed ``index_diff`` p-values (outcome + dimensions + items), and
    ``p_adj_method`` is ``"holm"`` wherever ``p_adj`` is filled (empty elsewhere). The
    outcome's Holm value is repeated on a row of its own, metric :data:`HOLM_METRIC`
    (``index_diff_holm``: the outcome's ``index_diff`` estimate, interval, n and p with its
    Holm ``p_adj``), because the headline comparison's ``p_adj`` is replaced by the
    Benjamini-Hochberg value across the programme agencies
    (:func:`adjust_across_agencies`, :mod:`analysis.impact`).

    Parameters
    ----------
    responses : DataFrame
        The tidy responses table (docs/architecture.md): ``agency_id``, ``wave``
        (``baseline``/``followup``) and one float column per item code.
    items : sequence of str
        Item codes of the study (the outcome may be among them).
    dimensions : mapping of str to sequence of str
        Dimension code -> its item codes.
    outcome : str
        The overall-satisfaction item code.
    scale_min, scale_max : float
        The rating scale.
    min_report_n : int
        Suppression threshold.

    Returns
    -------
    DataFrame
        Columns :data:`analysis.measures.RESULT_COLUMNS`.
    """
    comparisons: list[tuple[str, str, Sequence[str]]] = [("outcome", outcome, [outcome])]
    comparisons += [("dimension", code, members) for code, members in dimensions.items()]
    comparisons += [("item", code, [code]) for code in items if code != outcome]

    rows: list[dict[str, Any]] = []
    for agency_id in sorted(responses["agency_id"].dropna().astype(str).unique()):
        agency = responses[responses["agency_id"].astype(str) == agency_id]
        waves = agency["wave"].astype(str)
        baseline, followup = agency[waves == "baseline"], agency[waves == "followup"]
        agency_rows: list[dict[str, Any]] = []
        for scope, code, members in comparisons:
            if scope == "dimension":
                # The contract's respondent dimension score (measures, DESIGN.md section 4).
                before = respondent_dimension_scores(baseline, {code: members})[code]
                after = respondent_dimension_scores(followup, {code: members})[code]
            else:
                before, after = baseline[code], followup[code]
            agency_rows += _rows(
                agency_id,
                scope,
                code,
                before,
                after,
                scale_min,
                scale_max,
                min_report_n,
                with_top2box=scope != "dimension",
            )
        family = [row for row in agency_rows if row["metric"] == "index_diff"]
        adjusted = adjust_within_agency([row["p_value"] for row in family])
        for row, p_adj in zip(family, adjusted, strict=True):
            row["p_adj"] = p_adj
            row["p_adj_method"] = "holm" if math.isfinite(p_adj) else ""
        outcome_row = next(row for row in family if row["scope"] == "outcome")
        agency_rows.insert(
            agency_rows.index(outcome_row) + 1, {**outcome_row, "metric": HOLM_METRIC}
        )
        rows += agency_rows

    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    table["p_adj_method"] = table["p_adj_method"].fillna("").astype(object)
    table = table.astype(
        {
            "estimate": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "n": "int64",
            "p_value": "float64",
            "p_adj": "float64",
        }
    )
    return table


class Verdict(NamedTuple):
    """Plain-language reading of a change: ``direction`` and ``magnitude`` words."""

    direction: str  # "improved" | "no clear change" | "declined" | "suppressed"
    magnitude: str  # "negligible" | "small" | "moderate" | "large" | "" (g unknown)


def effect_size_word(g: float) -> str:
    """Cohen's (1988) words for |g|: < 0.2 negligible, < 0.5 small, < 0.8 moderate, else large;
    ``""`` when g is missing."""
    if g is None or not math.isfinite(g):
        return ""
    size = abs(g)
    if size < 0.2:
        return "negligible"
    if size < 0.5:
        return "small"
    if size < 0.8:
        return "moderate"
    return "large"


def verdict(
    ci_low: float,
    ci_high: float,
    g: float,
    p_adj: float | None = None,
    alpha: float = 0.05,
) -> Verdict:
    """Words for a change, following REPORTS.md's wording rules.

    ``"improved"`` when the 95% CI lies above 0, ``"declined"`` when it lies below 0,
    otherwise ``"no clear change"``. When ``p_adj`` (an adjusted p-value, e.g. Holm within the
    agency) is given, the change must also survive it (``p_adj < alpha``), so the word states
    the evidence after the correction. ``"suppressed"`` when the interval is missing (n below
    the reporting threshold). The magnitude word is :func:`effect_size_word` of g.
    """
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return Verdict("suppressed", effect_size_word(g))
    survives = p_adj is None or (math.isfinite(p_adj) and p_adj < alpha)
    if ci_low > 0 and survives:
        direction = "improved"
    elif ci_high < 0 and survives:
        direction = "declined"
    else:
        direction = "no clear change"
    return Verdict(direction, effect_size_word(g))


def _welch_df(estimate: float, half: float, p_value: float, alpha: float) -> float:
    """Degrees of freedom that reproduce a t interval's half-width and its p-value together.

    The results rows keep the Welch estimate, 95% interval and p but not df; df is the root
    of ``2 * sf(|estimate| * t_{1-alpha/2}(df) / half, df) = p`` (the normal limit when the
    root is beyond 10^7 or absent).
    """
    ratio = abs(estimate) / half

    def gap(log_df: float) -> float:
        df = math.exp(log_df)
        return 2 * stats.t.sf(ratio * stats.t.isf(alpha / 2, df), df) - p_value

    lo, hi = math.log(0.5), math.log(1e7)
    try:
        if gap(lo) * gap(hi) < 0:
            return math.exp(brentq(gap, lo, hi, xtol=1e-6))
    except (ValueError, ZeroDivisionError):  # pragma: no cover - degenerate input
        pass
    return math.inf


def adjusted_interval(
    estimate: float,
    ci_low: float,
    ci_high: float,
    p_value: float,
    p_adj: float | None,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """The interval that agrees with an adjusted test: the one a report shows beside its verdict.

    The rule of every report, the portal league and the regional league (methods note): *a
    change is called improved or declined only when the interval shown beside it excludes 0;
    where the verdict reads a multiplicity-adjusted p-value (Holm within the agency, BH across
    the programme agencies), the interval shown is adjusted the same way.* The adjusted
    interval is the Welch interval at the confidence level the adjusted test spends on this
    comparison, ``1 - alpha * p / p_adj`` (Holm's step-down level ``alpha / (m - i + 1)``;
    for BH, Benjamini & Yekutieli's (2005) false-coverage-rate level ``R * alpha / m`` for a
    selected comparison). Its standard error is taken from the p-value,
    ``se = |estimate| / t_{1 - p/2}(df)``, so that, for any df, the interval excludes 0
    exactly when ``p_adj < alpha``; df is recovered from the shown interval and p
    (:func:`_welch_df`), which makes the interval equal the unadjusted one when
    ``p_adj == p``. Without ``p_adj`` (or when it equals ``p``) the 95% interval itself.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6(2), 65-70.
    Benjamini, Y., & Yekutieli, D. (2005). False discovery rate-adjusted multiple confidence
    intervals for selected parameters. *JASA*, 100(469), 71-81.
    """
    values = (estimate, ci_low, ci_high, p_value)
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return ci_low, ci_high
    if p_adj is None or not math.isfinite(float(p_adj)) or p_adj <= p_value:
        return ci_low, ci_high
    half = (ci_high - ci_low) / 2
    centre = (ci_high + ci_low) / 2
    if half <= 0:
        return ci_low, ci_high
    df = _welch_df(centre, half, p_value, alpha)
    level_alpha = alpha * p_value / p_adj
    if 1e-12 < p_value < 1 - 1e-9 and centre != 0:
        se = abs(centre) / stats.t.isf(p_value / 2, df)
    else:
        se = half / stats.t.isf(alpha / 2, df)
    wide = stats.t.isf(level_alpha / 2, df) * se
    return centre - wide, centre + wide


def shown_change(
    estimate: float,
    ci_low: float,
    ci_high: float,
    p_value: float,
    p_adj: float | None,
    g: float = math.nan,
    alpha: float = 0.05,
) -> tuple[float, float, Verdict]:
    """The interval to show beside a change and its verdict, read from that same interval.

    ``(low, high, verdict)``: :func:`adjusted_interval` and :func:`verdict` of it (no
    second test), so the word can never disagree with the interval a reader sees.
    """
    low, high = adjusted_interval(estimate, ci_low, ci_high, p_value, p_adj, alpha)
    return low, high, verdict(low, high, g)
