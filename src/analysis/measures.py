"""Scores and levels of the baseline diagnosis (DESIGN.md section 4, a contract).

Every function here is pure: it takes the tidy responses table of ``docs/architecture.md``
(or one column of it) and plain parameters, and returns numbers or a DataFrame. The
definitions are the ones the reports promise their readers:

- respondent dimension score: mean of the answered items of the dimension, kept only when
  at least half of them are answered (:func:`respondent_dimension_scores`);
- index (0-100): mean of ``(x - min) / (max - min) * 100`` with a t interval
  (:func:`index_estimate`);
- top-2-box: percent of answers at the two highest scale points, Wilson interval
  (:func:`top2box`);
- NPS: percent 9-10 minus percent 0-6 (:func:`nps`);
- reliability: Cronbach's alpha on complete cases with Feldt's interval
  (:func:`cronbach_alpha`);
- small numbers: fewer than ``min_report_n`` answers suppress the estimate (the true ``n``
  is kept), fewer than :data:`analysis.config.LOW_PRECISION_N` flag it as low-precision.

:func:`level_table` assembles them into rows of the results table (DESIGN.md section 5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pingouin as pg
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import proportion_confint

from analysis import config

#: Columns of ``reports/results.csv``, in the contract's order (DESIGN.md section 5).
RESULT_COLUMNS = (
    "agency_id",
    "phase",
    "wave",
    "scope",
    "code",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "p_value",
    "p_adj",
    "p_adj_method",
)
#: ``p_adj_method`` values: which family adjusted ``p_adj`` (empty when nothing did).
P_ADJ_METHODS = ("holm", "bh", "")
#: ``agency_id`` of programme-level rows.
ALL_AGENCIES = "ALL"
#: ``code`` of the ``overall`` rows: NPS rests on the recommend question, ``n`` on respondents.
NPS_CODE = "recommend"
RESPONDENTS_CODE = "respondents"
#: Conventional floor for acceptable internal consistency (Nunnally, 1978).
ALPHA_THRESHOLD = 0.7

DEFAULT_MIN_REPORT_N = config.DEFAULT_THRESHOLDS["min_report_n"]


@dataclass(frozen=True)
class Estimate:
    """One reported estimate with its 95% interval and the small-number flags.

    ``estimate``, ``ci_low``, ``ci_high`` and ``se`` are NaN when ``suppressed``
    (``n < min_report_n``); ``n`` is always the true number of answers.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    n: int
    suppressed: bool
    low_precision: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Reliability(NamedTuple):
    """Cronbach's alpha of one dimension, its interval, the complete cases and the < 0.7 flag."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    low_reliability: bool


def is_plain_numeric(dtype: Any) -> bool:
    """Numbers that convert to float as they are (not booleans, text or objects)."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _as_float_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as floats, anything not a number as NaN (``to_numeric(errors="coerce")``)."""
    if all(is_plain_numeric(dtype) for dtype in frame.dtypes):
        return frame.astype(float)  # the usual case, without a conversion per column
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def _answered(values: ArrayLike) -> np.ndarray:
    """Non-missing answers as a float array (pandas NA, None and NaN all count as missing)."""
    if isinstance(values, pd.Series) and is_plain_numeric(values.dtype):
        array = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        series = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce")
        array = series.to_numpy(dtype=float, na_value=np.nan)
    return array[~np.isnan(array)]


def _small_number_flags(n: int, min_report_n: int) -> tuple[bool, bool]:
    return n < min_report_n or n == 0, n < config.LOW_PRECISION_N


def _suppressed(n: int, low_precision: bool) -> Estimate:
    nan = float("nan")
    return Estimate(nan, nan, nan, nan, n, True, low_precision)


# --------------------------------------------------------------------------------------------
# Scores and single estimates
# --------------------------------------------------------------------------------------------


def respondent_dimension_scores(
    responses: pd.DataFrame, dimensions: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """Each respondent's score on each dimension.

    Parameters
    ----------
    responses : pandas.DataFrame
        Tidy responses, one column per item code (NaN for N/A or blank).
    dimensions : mapping of str to list of str
        Dimension code -> the item codes it groups.

    Returns
    -------
    pandas.DataFrame
        Same index as ``responses``, one float column per dimension code.

    Notes
    -----
    The score of respondent :math:`r` on a dimension with items :math:`I` is the mean of the
    answered items, kept only when :math:`|answered| \\geq |I| / 2`, NaN otherwise
    (DESIGN.md section 4). Requiring half the items stops a single answer from standing in
    for a whole dimension while tolerating the N/A answers a real questionnaire collects.
    """
    scores = {}
    for code, items in dimensions.items():
        block = _as_float_frame(responses[list(items)])
        answered = block.notna().sum(axis=1)
        enough = answered >= len(items) / 2
        scores[code] = block.mean(axis=1, skipna=True).where(enough & (answered > 0))
    return pd.DataFrame(scores, index=responses.index, columns=list(dimensions), dtype=float)


def to_index(x: ArrayLike | float, scale_min: float, scale_max: float) -> Any:
    """Map scale values to the 0-100 index: ``(x - min) / (max - min) * 100``.

    Works element-wise on scalars, arrays and pandas objects and keeps their type.
    """
    if scale_max <= scale_min:
        raise ValueError(f"scale_max ({scale_max}) must be greater than scale_min ({scale_min})")
    return (x - scale_min) / (scale_max - scale_min) * 100


def index_estimate(
    values: ArrayLike,
    scale_min: float,
    scale_max: float,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    confidence: float = 0.95,
) -> Estimate:
    """Index (0-100) of an item or of respondent dimension scores, with a t interval.

    Parameters
    ----------
    values : array-like
        Answers on the scale (or dimension scores); missing values are dropped.
    scale_min, scale_max : float
        End points of the answer scale.
    min_report_n : int
        Fewer answers than this suppress the estimate.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    Estimate
        ``estimate`` is the mean index :math:`\\bar y`, ``se`` :math:`s / \\sqrt n`, the
        interval :math:`\\bar y \\pm t_{1-\\alpha/2,\\, n-1} \\cdot s / \\sqrt n` (Student, 1908).
        With one answer the interval is undefined (NaN).
    """
    index = to_index(_answered(values), scale_min, scale_max)
    n = int(index.size)
    suppressed, low_precision = _small_number_flags(n, min_report_n)
    if suppressed:
        return _suppressed(n, low_precision)
    mean = float(index.mean())
    if n < 2:
        nan = float("nan")
        return Estimate(mean, nan, nan, nan, n, False, low_precision)
    se = float(index.std(ddof=1)) / math.sqrt(n)
    half_width = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * se
    return Estimate(mean, mean - half_width, mean + half_width, se, n, False, low_precision)


def top2box(
    values: ArrayLike,
    scale_max: float,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    confidence: float = 0.95,
) -> Estimate:
    """Percent of answers at the two highest scale points, with a Wilson interval.

    Returns
    -------
    Estimate
        ``estimate`` :math:`100\\,k/n` with :math:`k` the answers :math:`\\geq` ``scale_max - 1``
        and :math:`n` the answered (non-N/A) responses; the interval is Wilson's score interval
        (Wilson, 1927; recommended by Newcombe, 1998, Statistics in Medicine 17:857-872),
        from ``statsmodels.stats.proportion.proportion_confint(method="wilson")``; ``se`` is
        the binomial :math:`100\\sqrt{p(1-p)/n}`.
    """
    answers = _answered(values)
    n = int(answers.size)
    suppressed, low_precision = _small_number_flags(n, min_report_n)
    if suppressed:
        return _suppressed(n, low_precision)
    k = int((answers >= scale_max - 1).sum())
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    p = k / n
    return Estimate(
        100 * p, 100 * low, 100 * high, 100 * math.sqrt(p * (1 - p) / n), n, False, low_precision
    )


def nps(
    recommend: ArrayLike,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    confidence: float = 0.95,
) -> Estimate:
    """Net Promoter Score of 0-10 likelihood-to-recommend answers, with a Wald interval.

    Returns
    -------
    Estimate
        ``estimate`` :math:`100(p - d)`, with :math:`p` the share answering 9-10 and
        :math:`d` the share answering 0-6 (Reichheld, 2003), on -100..100.

    Notes
    -----
    Promoters and detractors are two cells of one multinomial sample, so
    :math:`Var(\\hat p - \\hat d) = [p(1-p) + d(1-d) + 2pd] / n = [p + d - (p - d)^2] / n`
    (the covariance of two multinomial cells is :math:`-pd/n`; Rocks, 2016, "Interval
    estimation for the 'Net Promoter Score'", The American Statistician 70(4):365-372).
    The interval is :math:`100(\\hat p - \\hat d) \\pm z_{1-\\alpha/2}\\, se`, clipped to
    [-100, 100]. It collapses to a point when every answer is in one category, the known
    weakness of Wald intervals; the suppression rule keeps such tiny samples out of reports.
    """
    answers = _answered(recommend)
    n = int(answers.size)
    suppressed, low_precision = _small_number_flags(n, min_report_n)
    if suppressed:
        return _suppressed(n, low_precision)
    p = float((answers >= 9).mean())
    d = float((answers <= 6).mean())
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    estimate = 100 * (p - d)
    return Estimate(
        estimate,
        max(estimate - z * se, -100.0),
        min(estimate + z * se, 100.0),
        se,
        n,
        False,
        low_precision,
    )


class NpsChange(NamedTuple):
    """Change of the NPS between two independent waves: follow-up minus baseline."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_value: float
    n: int  # answers of both waves
    suppressed: bool


def nps_diff(
    before: ArrayLike,
    after: ArrayLike,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    confidence: float = 0.95,
) -> NpsChange:
    """NPS change (after minus before) of two independent samples, with a Wald interval and p.

    Notes
    -----
    Within a wave, :math:`Var(\\widehat{NPS}) = 10^4 [p + d - (p - d)^2] / n`, with :math:`p`
    the share of promoters (9-10) and :math:`d` of detractors (0-6), as in :func:`nps`
    (Rocks, 2016, "Interval estimation for the 'Net Promoter Score'", The American
    Statistician 70(4):365-372). The two waves are independent samples, so the variance of
    the difference is the sum of the two variances:
    :math:`se^2 = 10^4 \\{[p_1 + d_1 - (p_1 - d_1)^2]/n_1 + [p_2 + d_2 - (p_2 - d_2)^2]/n_2\\}`.
    The interval is :math:`\\Delta \\pm z_{1-\\alpha/2}\\, se` (clipped to [-200, 200]) and
    ``p_value`` the two-sided normal test of no change. Suppressed (NaN) when either wave
    has fewer than ``min_report_n`` answers; ``n`` is the true number of both waves.
    """
    a, b = _answered(before), _answered(after)
    n1, n2 = int(a.size), int(b.size)
    nan = float("nan")
    if _small_number_flags(n1, min_report_n)[0] or _small_number_flags(n2, min_report_n)[0]:
        return NpsChange(nan, nan, nan, nan, nan, n1 + n2, True)
    p1, d1 = float((a >= 9).mean()), float((a <= 6).mean())
    p2, d2 = float((b >= 9).mean()), float((b <= 6).mean())
    var = max(p1 + d1 - (p1 - d1) ** 2, 0.0) / n1 + max(p2 + d2 - (p2 - d2) ** 2, 0.0) / n2
    se = 100 * math.sqrt(var)
    estimate = 100 * ((p2 - d2) - (p1 - d1))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p_value = float(2 * stats.norm.sf(abs(estimate) / se)) if se > 0 else nan
    return NpsChange(
        estimate,
        max(estimate - z * se, -200.0),
        min(estimate + z * se, 200.0),
        se,
        p_value,
        n1 + n2,
        False,
    )


def cronbach_alpha(
    items_frame: pd.DataFrame,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    confidence: float = 0.95,
) -> Reliability:
    """Cronbach's alpha of a dimension's items on complete cases, with Feldt's interval.

    .. math::

        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma^2_i}{\\sigma^2_X}\\right),
        \\qquad
        \\left[\\,1 - (1 - \\alpha)\\, F_{1-\\gamma/2}(n - 1, (n - 1)(k - 1)),\\;
        1 - (1 - \\alpha)\\, F_{\\gamma/2}(n - 1, (n - 1)(k - 1))\\,\\right]

    with :math:`F_q` the q-quantile of the F distribution and :math:`\\gamma = 1 -`
    ``confidence`` (Feldt, Woodruff & Salih, 1987).

    Parameters
    ----------
    items_frame : pandas.DataFrame
        One column per item of the dimension; rows with any missing item are dropped.
    min_report_n : int
        Fewer complete cases suppress the estimate.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    Reliability
        ``(alpha, ci_low, ci_high, n, low_reliability)``. Alpha comes from
        ``pingouin.cronbach_alpha(nan_policy="listwise")``; the interval is computed here,
        from the formula above with ``scipy.stats.f``, because pingouin rounds its interval to
        3 decimals (up to 5e-4 off, in a table that keeps 10 significant digits) and, in
        0.7, takes the degrees of freedom from the row count before its own listwise
        deletion (which is why incomplete rows are dropped here first). ``low_reliability``
        is ``alpha < 0.7``. Alpha is NaN (and not flagged) with fewer than two items, fewer
        than ``min_report_n`` (or 3) complete cases, or a constant total score.

    References
    ----------
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11(1), 93-103.
    """
    complete = _as_float_frame(items_frame).dropna()
    n, k = complete.shape
    nan = float("nan")
    if k < 2 or n < max(min_report_n, 3) or complete.sum(axis=1).var(ddof=1) == 0:
        return Reliability(nan, nan, nan, int(n), False)
    alpha, _ = pg.cronbach_alpha(data=complete, nan_policy="listwise", ci=confidence)
    alpha = float(alpha)
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * float(stats.f.isf(tail, df1, df2))
    high = 1 - (1 - alpha) * float(stats.f.ppf(tail, df1, df2))
    return Reliability(alpha, low, high, int(n), alpha < ALPHA_THRESHOLD)


# --------------------------------------------------------------------------------------------
# The level table (rows of the results contract)
# --------------------------------------------------------------------------------------------


def _row(scope: str, code: str, metric: str, estimate: Estimate | Reliability) -> dict[str, Any]:
    if isinstance(estimate, Reliability):
        value, low, high = estimate.alpha, estimate.ci_low, estimate.ci_high
    else:
        value, low, high = estimate.estimate, estimate.ci_low, estimate.ci_high
    return {
        "scope": scope,
        "code": code,
        "metric": metric,
        "estimate": value,
        "ci_low": low,
        "ci_high": high,
        "n": int(estimate.n),
    }


def _level_rows(
    group: pd.DataFrame,
    dimension_scores: pd.DataFrame,
    item_codes: Sequence[str],
    dimensions: Mapping[str, Sequence[str]],
    outcome: str,
    scale_min: float,
    scale_max: float,
    min_report_n: int,
    recommend: str | None,
) -> list[dict[str, Any]]:
    rows = []
    for code in item_codes:
        scope = "outcome" if code == outcome else "item"
        values = group[code]
        rows.append(
            _row(scope, code, "index", index_estimate(values, scale_min, scale_max, min_report_n))
        )
        rows.append(_row(scope, code, "top2box", top2box(values, scale_max, min_report_n)))
    for code, items in dimensions.items():
        scores = dimension_scores.loc[group.index, code]
        estimate = index_estimate(scores, scale_min, scale_max, min_report_n)
        rows.append(_row("dimension", code, "index", estimate))
        if len(items) >= 2:
            rows.append(
                _row("dimension", code, "alpha", cronbach_alpha(group[list(items)], min_report_n))
            )
    if recommend is not None:
        rows.append(_row("overall", NPS_CODE, "nps", nps(group[recommend], min_report_n)))
    n = len(group)
    rows.append(
        {
            "scope": "overall",
            "code": RESPONDENTS_CODE,
            "metric": "n",
            "estimate": float(n),
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": n,
        }
    )
    return rows


def level_table(
    responses: pd.DataFrame,
    items: Sequence[str],
    dimensions: Mapping[str, Sequence[str]],
    outcome: str,
    scale_min: float,
    scale_max: float,
    min_report_n: int = DEFAULT_MIN_REPORT_N,
    by: Sequence[str] = ("agency_id", "wave"),
    phase: str = "baseline",
    recommend: str | None = "recommend",
) -> pd.DataFrame:
    """Levels per agency and wave as rows of the results table (DESIGN.md section 5).

    Parameters
    ----------
    responses : pandas.DataFrame
        Tidy responses (``docs/architecture.md``).
    items : list of str
        Rated item codes (the outcome may be among them; it is reported once, as ``outcome``).
    dimensions : mapping of str to list of str
        Dimension code -> item codes.
    outcome : str
        The overall-satisfaction item: its index is the headline satisfaction index.
    scale_min, scale_max : float
        End points of the answer scale.
    min_report_n : int
        Estimates on fewer answers are suppressed (``estimate`` NaN, true ``n``).
    by : sequence of str
        Grouping columns. Without ``agency_id`` the rows are programme-level
        (``agency_id = "ALL"``); without ``wave`` the ``wave`` column is NA.
    phase : str
        Value of the ``phase`` column (``baseline`` for the diagnosis, ``impact`` when the
        follow-up levels are reported beside the change).
    recommend : str or None
        Column of the 0-10 recommend question; no NPS row when None, absent or never answered.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RESULT_COLUMNS` (preceded by any ``by`` column outside them). Per
        group: ``index`` and ``top2box`` of the outcome (scope ``outcome``) and of every other
        item (scope ``item``); ``index`` of the respondent dimension scores and ``alpha`` of
        every dimension with two items or more (scope ``dimension``); ``nps`` (code
        :data:`NPS_CODE`) and ``n`` (analysed respondents, code :data:`RESPONDENTS_CODE`)
        with scope ``overall``. ``p_value``, ``p_adj`` and ``p_adj_method`` are empty for
        levels.
    """
    by = list(by)
    item_codes = [outcome, *[code for code in items if code != outcome]]
    has_recommend = (
        recommend is not None
        and recommend in responses.columns
        and responses[recommend].notna().any()
    )
    # A fresh RangeIndex lets each group find its rows of the dimension scores by label.
    responses = responses.reset_index(drop=True)
    dimension_scores = respondent_dimension_scores(responses, dimensions)
    records = []
    if len(responses):
        grouped = responses.groupby(by, sort=True, dropna=False) if by else [((), responses)]
        for keys, group in grouped:
            key_values = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
            for row in _level_rows(
                group,
                dimension_scores,
                item_codes,
                dimensions,
                outcome,
                scale_min,
                scale_max,
                min_report_n,
                recommend if has_recommend else None,
            ):
                records.append({**key_values, **row})
    extra = [column for column in by if column not in RESULT_COLUMNS]
    table = pd.DataFrame.from_records(records, columns=[*by, *RESULT_COLUMNS[3:10]])
    if "agency_id" not in by:
        table["agency_id"] = ALL_AGENCIES
    if "wave" not in by:
        table["wave"] = pd.NA
    table["phase"] = phase
    table["p_value"] = np.nan
    table["p_adj"] = np.nan
    table["p_adj_method"] = ""
    table = table[[*extra, *RESULT_COLUMNS]]
    text_columns = ["agency_id", "phase", "wave", "scope", "code", "metric", "p_adj_method"]
    table[text_columns] = table[text_columns].astype("string")
    float_columns = ["estimate", "ci_low", "ci_high", "p_value", "p_adj"]
    table[float_columns] = table[float_columns].astype(float)
    return table.astype({"n": "int64"}).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Sample precision and ranking
# --------------------------------------------------------------------------------------------


def margin_of_error(
    p: float = 0.5, n: int = 0, population: int | None = None, confidence: float = 0.95
) -> float:
    """Half-width of the normal-approximation interval for a proportion, as a proportion.

    Notes
    -----
    :math:`MOE = z_{1-\\alpha/2} \\sqrt{p(1-p)/n} \\cdot \\sqrt{(N-n)/(N-1)}` (Cochran, 1977,
    Sampling Techniques, 3rd ed., eq. 3.6 and section 4.4). The finite-population correction
    applies when ``population`` (e.g. ``monthly_beneficiaries``) is given and larger than
    ``n``; a population not larger than the sample (fieldwork longer than the period the
    population counts) gets no correction, which errs on the wide side. ``p = 0.5`` gives
    the widest margin. NaN when ``n < 1``.
    """
    if n < 1:
        return float("nan")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    margin = z * math.sqrt(p * (1 - p) / n)
    if population is not None and population > n:
        margin *= math.sqrt((population - n) / (population - 1))
    return margin


def minimum_detectable_change(
    n1: int, n2: int, sd: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest index difference a two-sided Welch/Student t-test detects between two waves.

    Parameters
    ----------
    n1, n2 : int
        Respondents at baseline and at follow-up (pass ``n2 = n1`` for a follow-up of the
        same size).
    sd : float
        Standard deviation of the respondent index (0-100 points), e.g. from the baseline.

    Returns
    -------
    float
        :math:`d_{min} \\cdot sd`, where :math:`d_{min}` is the standardised effect solved by
        ``statsmodels.stats.power.TTestIndPower().solve_power`` (noncentral t; Cohen, 1988,
        Table 2.4.1: 64 per group detect d = 0.5 at 80% power). NaN when a wave has fewer
        than two respondents.
    """
    if n1 < 2 or n2 < 2:
        return float("nan")
    effect = TTestIndPower().solve_power(
        effect_size=None,
        nobs1=n1,
        alpha=alpha,
        power=power,
        ratio=n2 / n1,
        alternative="two-sided",
    )
    return float(np.squeeze(effect)) * sd


def agency_rank(
    levels: pd.DataFrame,
    code: str,
    target: float = config.DEFAULT_THRESHOLDS["target_index"],
    wave: str = "baseline",
    metric: str = "index",
    draws: int = 4000,
    seed: int = 20250105,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """League table of the agencies on one index, with rank intervals and the target.

    Parameters
    ----------
    levels : pandas.DataFrame
        Rows of :func:`level_table` (several agencies); ``ALL`` rows are ignored.
    code : str
        The item or dimension code, e.g. the outcome code for the satisfaction index.
    target : float
        ``target_index`` of study.yml.
    wave, metric : str
        Which rows to rank.
    draws, seed : int
        Size and seed of the parametric bootstrap of the ranks.

    Returns
    -------
    pandas.DataFrame
        ``agency_id, estimate, ci_low, ci_high, n, rank, rank_low, rank_high, below_target,
        clearly_below_target``, best first. ``rank`` 1 is the highest estimate (ties share the
        best rank). ``rank_low``..``rank_high`` is a 95% interval of the rank: each agency's
        estimate is redrawn ``draws`` times from a normal with the standard error implied by
        its t interval, the agencies are re-ranked in each draw, and the 2.5% and 97.5%
        quantiles of each agency's ranks are taken (a parametric bootstrap in the spirit of
        Goldstein & Spiegelhalter, 1996, JRSS A 159:385-443). ``below_target`` compares the
        estimate with the target, ``clearly_below_target`` the upper interval bound.
        Suppressed agencies come last with NA rank and flags.
    """
    selected = levels[
        (levels["code"] == code)
        & (levels["metric"] == metric)
        & (levels["wave"] == wave)
        & (levels["agency_id"] != ALL_AGENCIES)
    ]
    table = selected[["agency_id", "estimate", "ci_low", "ci_high", "n"]].reset_index(drop=True)
    ranked = table["estimate"].notna().to_numpy()
    table["rank"] = table["estimate"].rank(ascending=False, method="min").astype("Int64")
    rank_low = pd.Series(pd.NA, index=table.index, dtype="Int64")
    rank_high = pd.Series(pd.NA, index=table.index, dtype="Int64")
    if ranked.any():
        est = table.loc[ranked, "estimate"].to_numpy(dtype=float)
        n = table.loc[ranked, "n"].to_numpy(dtype=float)
        half_width = (table.loc[ranked, "ci_high"] - table.loc[ranked, "ci_low"]).to_numpy() / 2
        t_crit = stats.t.ppf(0.5 + confidence / 2, df=np.maximum(n - 1, 1))
        se = np.nan_to_num(half_width / t_crit, nan=0.0)
        rng = np.random.default_rng(seed)
        simulated = rng.normal(est, se, size=(draws, est.size))
        ranks = stats.rankdata(-simulated, axis=1, method="min")
        tail = (1 - confidence) / 2
        rank_low[ranked] = np.quantile(ranks, tail, axis=0, method="inverted_cdf").astype(int)
        rank_high[ranked] = np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf").astype(int)
    table["rank_low"] = rank_low
    table["rank_high"] = rank_high
    table["below_target"] = (table["estimate"] < target).astype("boolean").where(ranked, pd.NA)
    table["clearly_below_target"] = (
        (table["ci_high"] < target).astype("boolean").where(ranked, pd.NA)
    )
    return table.sort_values(["rank", "agency_id"], na_position="last").reset_index(drop=True)
