"""Reweighting a wave to another wave's respondent mix (raking / post-stratification).

If the follow-up sample has, say, more women than the baseline and women rate higher, part
of the raw change is a change of mix, not of service. Raking the follow-up to the baseline
margins of the segment variables removes that part. Neither statsmodels, scipy nor pingouin
ships raking, so :func:`rake` is the classical iterative proportional fitting algorithm
(Deming & Stephan, 1940), a dozen lines.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "effective_n",
    "rake",
    "raked_mean_influence",
    "weighted_index_change",
    "weighted_mean_se",
]

#: Category given to a missing segment value so that respondents without it keep a weight.
MISSING_CATEGORY = "(missing)"


def rake(
    sample: pd.DataFrame,
    margins: Mapping[str, pd.Series],
    max_iter: int = 100,
    tol: float = 1e-8,
) -> pd.Series:
    """Raking weights by iterative proportional fitting (Deming & Stephan, 1940).

    Starting from weights 1, the weights are scaled in turn so that each variable's weighted
    category shares equal its target shares,

    .. math:: w_i \\leftarrow w_i \\cdot \\frac{T_{v,c}}{\\sum_{j: x_{jv}=c} w_j / \\sum_j w_j}
              \\quad (c = x_{iv})

    cycling over the variables until every weighted margin is within ``tol`` of its target.
    With one variable this is post-stratification: :math:`w_i = T_c / p_c` (sample share
    :math:`p_c`).

    Parameters
    ----------
    sample : DataFrame
        One row per respondent with a column per raking variable (no missing values: recode
        them to a category first).
    margins : mapping of str to Series
        Variable -> target shares indexed by category (normalised to sum 1). A sample category
        absent from the target gets target 0 (weight 0).
    max_iter : int
        Maximum number of full cycles over the variables.
    tol : float
        Largest allowed absolute difference between a weighted share and its target.

    Returns
    -------
    Series
        Weights indexed like ``sample``, scaled to mean 1 (they sum to ``len(sample)``).

    Raises
    ------
    ValueError
        A variable has missing values, or a target category with a positive share is absent
        from the sample (no weights can reach it).

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled
    frequency table when the expected marginal totals are known. *Annals of Mathematical
    Statistics*, 11(4), 427-444.
    """
    if len(sample) == 0:
        raise ValueError("cannot rake an empty sample")
    targets: dict[str, pd.Series] = {}
    for variable, target in margins.items():
        column = sample[variable]
        if column.isna().any():
            raise ValueError(f"raking variable {variable!r} has missing values")
        target = pd.Series(target, dtype=float)
        target = target / target.sum()
        unreachable = [c for c in target.index[target > 0] if c not in set(column.unique())]
        if unreachable:
            raise ValueError(
                f"target categories of {variable!r} absent from the sample: {unreachable}"
            )
        targets[variable] = target

    # The cycle runs on integer category codes with numpy (bincount): the same arithmetic
    # as a pandas groupby per step, at a fraction of its cost over up to max_iter cycles.
    codes, shares_target = [], []
    for variable, target in targets.items():
        code, categories = pd.factorize(sample[variable])
        codes.append(code)
        shares_target.append(target.reindex(categories).fillna(0.0).to_numpy(dtype=float))
    weights = np.ones(len(sample))

    def shares(code: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(code, weights=weights, minlength=size) / weights.sum()

    for _ in range(max_iter):
        for code, target in zip(codes, shares_target, strict=True):
            current = shares(code, target.size)
            factor = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
            weights = weights * factor[code]
        gap = max(
            float(np.abs(shares(code, t.size) - t).max())
            for code, t in zip(codes, shares_target, strict=True)
        )
        if gap < tol:
            break
    else:
        warnings.warn(
            f"raking did not converge in {max_iter} iterations (largest gap {gap:.2e})",
            RuntimeWarning,
            stacklevel=2,
        )
    weights = pd.Series(weights, index=sample.index)
    return weights * len(weights) / weights.sum()


def effective_n(weights: Any) -> float:
    """Kish (1965) effective sample size :math:`(\\sum w)^2 / \\sum w^2`.

    Equals n for equal weights and falls as the weights become more unequal.
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2))


def weighted_mean_se(values: Any, weights: Any) -> tuple[float, float]:
    """Weighted mean and its linearisation (with-replacement) standard error.

    .. math::

        \\bar x_w = \\frac{\\sum w_i x_i}{\\sum w_i}, \\qquad
        SE^2 = \\frac{n}{n-1} \\frac{\\sum w_i^2 (x_i - \\bar x_w)^2}{(\\sum w_i)^2}

    the ratio-estimator variance that R's ``survey::svymean`` reports for a one-stage design
    with these weights (Lumley, 2010, section 2.2; Cochran, 1977, section 6.3). The weights
    are treated as fixed. With equal weights it reduces to :math:`s / \\sqrt n`.
    """
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = len(x)
    mean = float(np.sum(w * x) / np.sum(w))
    if n < 2:
        return mean, math.nan
    variance = n / (n - 1) * np.sum(w**2 * (x - mean) ** 2) / np.sum(w) ** 2
    return mean, float(np.sqrt(variance))


def raked_mean_influence(
    followup_values: np.ndarray,
    followup_groups: pd.DataFrame,
    weights: np.ndarray,
    baseline_groups: pd.DataFrame,
    margins: Mapping[str, pd.Series],
) -> tuple[np.ndarray, np.ndarray]:
    """Linearised residuals of a mean raked to margins estimated from another sample.

    The raked follow-up mean equals :math:`\\bar y_w = T'B`, with :math:`T` the target shares
    (the baseline respondents' shares of each category) and :math:`B` the weighted
    least-squares coefficients of :math:`y` on the category indicators of every raking
    variable (an exact identity at convergence: the indicators of one variable sum to 1, so
    the weighted residuals :math:`e_i = y_i - x_i'B` sum to 0). Its first-order (Taylor)
    expansion has two independent parts:

    - follow-up respondents: the calibration residuals :math:`e_i` (Deville & Särndal, 1992),
      so the with-replacement variance is :math:`\\frac{n}{n-1}\\sum w_i^2 e_i^2 / (\\sum w_i)^2`;
    - baseline respondents, through the estimated targets :math:`T_{v,c}` (share of category
      c of variable v among the :math:`p_v` share of baseline respondents whose category
      is a target): :math:`z_j = \\sum_v 1[c_{jv} \\in T_v]\\,(B_{v,c_{jv}} - T_v'B_v)/p_v`.

    Parameters
    ----------
    followup_values : ndarray
        The follow-up respondents' values (e.g. 0-100 index).
    followup_groups, baseline_groups : DataFrame
        The raking variables of each wave's respondents (missing already recoded).
    weights : ndarray
        The raking weights of the follow-up respondents (:func:`rake`).
    margins : mapping of str to Series
        The targets: each variable's baseline shares over the categories both waves have.

    Returns
    -------
    (ndarray, ndarray)
        ``e`` per follow-up respondent and ``z`` per baseline respondent (mean 0).

    References
    ----------
    Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling.
    *JASA*, 87(418), 376-382.
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, chapter 7.
    """
    y = np.asarray(followup_values, dtype=float)
    w = np.asarray(weights, dtype=float)
    columns, blocks = [], []
    for variable, target in margins.items():
        categories = list(target.index)
        values = followup_groups[variable].to_numpy()
        blocks.append(np.column_stack([values == c for c in categories]).astype(float))
        columns.append((variable, categories))
    x = np.column_stack(blocks)
    root = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(x * root[:, None], y * root, rcond=None)
    residuals = y - x @ coef
    z = np.zeros(len(baseline_groups))
    start = 0
    for variable, categories in columns:
        b = coef[start : start + len(categories)]
        start += len(categories)
        target = margins[variable].to_numpy(dtype=float)
        position = {category: i for i, category in enumerate(categories)}
        codes = baseline_groups[variable].map(position).fillna(-1).to_numpy(dtype=int)
        present = codes >= 0
        share_present = present.mean()
        z[present] += (b[codes[present]] - float(target @ b)) / share_present
    return residuals, z


def weighted_index_change(
    baseline: pd.DataFrame,
    followup: pd.DataFrame,
    value: str,
    by: Sequence[str],
    scale_min: float,
    scale_max: float,
    min_report_n: int = 10,
    alpha: float = 0.05,
) -> dict[str, float | int | bool]:
    """Index change after raking the follow-up respondents to the baseline mix.

    Both waves are restricted to respondents who answered ``value``; the baseline shares of
    each variable in ``by`` (missing values as the category ``"(missing)"``) are the raking
    targets for the follow-up (:func:`rake`). The change is the weighted follow-up index
    minus the (unweighted) baseline index,
    :math:`\\Delta = \\bar y_{1,w} - \\bar y_0`.

    Its standard error accounts for the weights, by linearisation
    (:func:`raked_mean_influence`): the follow-up term uses the calibration residuals
    :math:`e_i` of the raking variables, and the baseline term the baseline answers *and*
    the targets the baseline sample supplied,

    .. math::

        v_1 = \\frac{n_2}{n_2 - 1} \\frac{\\sum w_i^2 e_i^2}{(\\sum w_i)^2}, \\qquad
        v_0 = \\frac{1}{n_1 (n_1 - 1)} \\sum_j \\big(z_j - (y_j - \\bar y_0)\\big)^2,
        \\qquad SE = \\sqrt{v_0 + v_1}

    and the interval is :math:`\\Delta \\pm t_{\\nu, 1-\\alpha/2} SE` with the
    Welch-Satterthwaite degrees of freedom from the effective follow-up size
    :math:`n_{2,eff}` (Kish): :math:`\\nu = (v_0 + v_1)^2 / (v_0^2 / (n_1 - 1) + v_1^2 /
    (n_{2,eff} - 1))`. Without raking variables (equal weights) this is exactly Welch's
    interval of the unweighted change.

    Returns
    -------
    dict
        ``estimate, ci_low, ci_high, se, df, mean_before, mean_after,
        mean_after_unweighted, n1, n2, effective_n2, suppressed, dropped_categories`` (NaN
        estimates when either wave has fewer than ``min_report_n`` answers).

    References
    ----------
    Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling.
    *JASA*, 87(418), 376-382.
    Kish, L. (1965). *Survey Sampling*. Wiley.
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. *Biometrics Bulletin*, 2(6), 110-114.
    """
    if scale_max <= scale_min:
        raise ValueError("scale_max must exceed scale_min")
    columns = [value, *by]
    before = baseline[columns][baseline[value].notna()].copy()
    after = followup[columns][followup[value].notna()].copy()
    for frame in (before, after):
        for variable in by:
            frame[variable] = frame[variable].astype(object).where(frame[variable].notna())
            frame[variable] = frame[variable].fillna(MISSING_CATEGORY).astype(str)
    n1, n2 = len(before), len(after)
    result: dict[str, float | int | bool] = dict.fromkeys(
        [
            "estimate",
            "ci_low",
            "ci_high",
            "se",
            "df",
            "mean_before",
            "mean_after",
            "mean_after_unweighted",
            "effective_n2",
        ],
        math.nan,
    )
    result.update(n1=n1, n2=n2, suppressed=min(n1, n2) < max(min_report_n, 2))
    result["dropped_categories"] = []
    if result["suppressed"]:
        return result

    def index(frame: pd.DataFrame) -> np.ndarray:
        return (frame[value].to_numpy(dtype=float) - scale_min) / (scale_max - scale_min) * 100

    # A baseline category that no follow-up respondent has (say, the one baseline respondent
    # who left age blank) cannot be reached by any weights: it leaves the targets, which are
    # renormalised over the categories both waves have, and the result names it.
    margins, dropped = {}, []
    for variable in by:
        shares = before[variable].value_counts(normalize=True)
        present = shares.index.isin(after[variable].unique())
        dropped += [f"{variable}={category}" for category in shares.index[~present]]
        margins[variable] = shares[present] / shares[present].sum()
    result["dropped_categories"] = sorted(dropped)
    weights = rake(after[list(by)], margins) if by else pd.Series(1.0, index=after.index)
    w = weights.to_numpy()
    x0, x1 = index(before), index(after)
    mean0 = float(x0.mean())
    mean1 = float(np.sum(w * x1) / np.sum(w))
    if by:
        residuals, z = raked_mean_influence(x1, after[list(by)], w, before[list(by)], margins)
    else:
        residuals, z = x1 - mean1, np.zeros(n1)
    v1 = n2 / (n2 - 1) * float(np.sum(w**2 * residuals**2)) / float(np.sum(w)) ** 2
    v0 = float(np.var(z - (x0 - mean0), ddof=1)) / n1
    se = math.sqrt(v0 + v1)
    n_eff = effective_n(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (v0 + v1) ** 2 / (v0**2 / (n1 - 1) + v1**2 / max(n_eff - 1, 1e-12))
    crit = float(stats.t.isf(alpha / 2, df)) if math.isfinite(df) else math.nan
    estimate = mean1 - mean0
    result.update(
        estimate=estimate,
        ci_low=estimate - crit * se,
        ci_high=estimate + crit * se,
        se=se,
        df=float(df),
        mean_before=mean0,
        mean_after=mean1,
        mean_after_unweighted=float(x1.mean()),
        effective_n2=n_eff,
    )
    return result
