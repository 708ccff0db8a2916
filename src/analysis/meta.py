"""Programme-level synthesis: random-effects meta-analysis, difference-in-differences and
dose-response (DESIGN.md section 4, "Programme effect").

The per-agency changes come from :mod:`analysis.change`; this module only combines them.
Every function takes plain arrays or a tidy DataFrame and returns a frozen dataclass, so a
notebook can show the numbers and a test can check them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS, WLS
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.tools.tools import add_constant

__all__ = [
    "DidResult",
    "DoseResponseResult",
    "RandomEffectsResult",
    "difference_in_differences",
    "dose_response",
    "hedges_correction",
    "hedges_g_variance",
    "random_effects",
]


# --------------------------------------------------------------------------------------
# Effect-size variance
# --------------------------------------------------------------------------------------


def hedges_correction(n1: float | np.ndarray, n2: float | np.ndarray) -> float | np.ndarray:
    """Small-sample correction factor of Hedges' g.

    .. math:: J = 1 - \\frac{3}{4 (n_1 + n_2) - 9}

    This is the factor pingouin's ``convert_effsize(..., "hedges")`` applies, so that
    ``g = J d`` (Hedges & Olkin, 1985, eq. 5.10's usual approximation).
    """
    n = np.asarray(n1, dtype=float) + np.asarray(n2, dtype=float)
    return 1.0 - 3.0 / (4.0 * n - 9.0)


def hedges_g_variance(
    g_or_d: float | np.ndarray,
    n1: float | np.ndarray,
    n2: float | np.ndarray,
    *,
    effect: str = "g",
) -> float | np.ndarray:
    """Sampling variance of Hedges' g, exactly as DESIGN.md section 4.

    .. math::

        v_g = J^2 \\left( \\frac{n_1 + n_2}{n_1 n_2} + \\frac{d^2}{2 (n_1 + n_2)} \\right),
        \\qquad J = 1 - \\frac{3}{4 (n_1 + n_2) - 9}

    where ``d`` is the uncorrected Cohen's d (Borenstein et al., 2009, eqs. 4.20-4.24).

    Parameters
    ----------
    g_or_d : float or array
        The effect size. With ``effect="g"`` (default) it is Hedges' g and ``d = g / J``
        recovers the uncorrected d; with ``effect="d"`` it is Cohen's d itself.
    n1, n2 : int or array
        Sizes of the two samples (baseline and follow-up answers).
    effect : {"g", "d"}
        Which effect size ``g_or_d`` is.

    Returns
    -------
    float or ndarray
        The variance of g (a float for scalar input).

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    *Introduction to Meta-Analysis*. Wiley, chapter 4.
    """
    if effect not in ("g", "d"):
        raise ValueError(f"effect must be 'g' or 'd', not {effect!r}")
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    j = hedges_correction(n1, n2)
    d = np.asarray(g_or_d, dtype=float) / j if effect == "g" else np.asarray(g_or_d, dtype=float)
    variance = j**2 * ((n1 + n2) / (n1 * n2) + d**2 / (2.0 * (n1 + n2)))
    return float(variance) if np.ndim(variance) == 0 else variance


# --------------------------------------------------------------------------------------
# Random-effects meta-analysis
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomEffectsResult:
    """DerSimonian-Laird random-effects pooled estimate.

    ``i2`` is in percent; ``weights`` are the random-effects weights in percent (sum 100),
    indexed by the study labels; ``pi_low``/``pi_high`` the 95% prediction interval (NaN
    with fewer than 3 studies).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float
    k: int
    weights: pd.Series = field(repr=False)


def random_effects(
    effects: Sequence[float] | np.ndarray | pd.Series,
    variances: Sequence[float] | np.ndarray | pd.Series,
    labels: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
) -> RandomEffectsResult:
    """Random-effects meta-analysis with the DerSimonian-Laird estimator of tau².

    The pooled estimate and its SE come from ``statsmodels.stats.meta_analysis.combine_effects``
    (``method_re="dl"``, normal-based CI as metafor's default ``test="z"``):

    .. math::

        Q = \\sum w_i (y_i - \\bar y_{FE})^2, \\quad w_i = 1/v_i, \\qquad
        \\tau^2 = \\max\\left(0, \\frac{Q - (k-1)}{\\sum w_i - \\sum w_i^2 / \\sum w_i}\\right)

        \\hat\\mu = \\frac{\\sum w_i^* y_i}{\\sum w_i^*}, \\quad w_i^* = \\frac{1}{v_i + \\tau^2},
        \\quad SE = (\\textstyle\\sum w_i^*)^{-1/2}

    :math:`I^2 = \\max(0, (Q - (k-1)) / Q) \\cdot 100` (Higgins & Thompson, 2002) and the
    prediction interval is :math:`\\hat\\mu \\pm t_{k-2,\\,1-\\alpha/2}\\sqrt{\\tau^2 + SE^2}`
    (Higgins, Thompson & Spiegelhalter, 2009).

    statsmodels does not truncate a negative DL tau² at zero; when Q < k - 1 this function uses
    tau² = 0, i.e. the fixed-effect (inverse-variance) result, as metafor does.

    Parameters
    ----------
    effects, variances : array-like
        One effect (e.g. Hedges' g) and its sampling variance per study (agency). Pairs with a
        missing value are dropped.
    labels : sequence of str, optional
        Study labels for ``weights``; default 0..k-1.
    alpha : float
        1 - confidence level of the CI and of the prediction interval.

    Returns
    -------
    RandomEffectsResult

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials*, 7(3), 177-188.
    Higgins, J. P. T., Thompson, S. G., & Spiegelhalter, D. J. (2009). A re-evaluation of
    random-effects meta-analysis. *JRSS A*, 172(1), 137-159.
    """
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.shape != v.shape:
        raise ValueError("effects and variances must have the same length")
    names = list(labels) if labels is not None else list(range(len(y)))
    if len(names) != len(y):
        raise ValueError("labels must have the same length as effects")
    keep = np.isfinite(y) & np.isfinite(v)
    y, v = y[keep], v[keep]
    names = [name for name, kept in zip(names, keep, strict=True) if kept]
    k = len(y)
    if k == 0:
        raise ValueError("random_effects needs at least one study with an effect and a variance")
    if np.any(v <= 0):
        raise ValueError("variances must be positive")
    crit = stats.norm.isf(alpha / 2)

    if k == 1:
        # Nothing to pool: report the single study, heterogeneity undefined.
        se = float(np.sqrt(v[0]))
        estimate = float(y[0])
        tau2 = i2 = q = q_p = np.nan
        rel_weights = np.ones(1)
    else:
        res = combine_effects(y, v, method_re="dl", row_names=names, alpha=alpha)
        q = float(res.q)
        if res.tau2 > 0:
            tau2 = float(res.tau2)
            estimate = float(res.mean_effect_re)
            se = float(res.sd_eff_w_re)
            rel_weights = np.asarray(res.weights_rel_re, dtype=float)
        else:
            tau2 = 0.0
            estimate = float(res.mean_effect_fe)
            se = float(res.sd_eff_w_fe)
            rel_weights = np.asarray(res.weights_rel_fe, dtype=float)
        i2 = max(0.0, (q - (k - 1)) / q) * 100.0 if q > 0 else 0.0
        q_p = float(stats.chi2.sf(q, k - 1))

    if k >= 3:
        half_width = stats.t.isf(alpha / 2, k - 2) * np.sqrt(tau2 + se**2)
        pi_low, pi_high = estimate - half_width, estimate + half_width
    else:
        pi_low = pi_high = np.nan
    z = estimate / se
    return RandomEffectsResult(
        estimate=estimate,
        se=se,
        ci_low=estimate - crit * se,
        ci_high=estimate + crit * se,
        z=float(z),
        p_value=float(2 * stats.norm.sf(abs(z))),
        tau2=tau2,
        i2=i2,
        q=q,
        q_df=k - 1,
        q_p=q_p,
        pi_low=float(pi_low),
        pi_high=float(pi_high),
        k=k,
        weights=pd.Series(rel_weights * 100.0, index=names, name="weight_pct"),
    )


# --------------------------------------------------------------------------------------
# Difference-in-differences with a wild cluster bootstrap
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences of the outcome index (programme change - comparison change).

    ``ci_low``/``ci_high``/``p_value`` come from the wild cluster restricted bootstrap
    (WCR, test inversion for the interval); the ``*_cr1`` fields from the CR1 cluster-robust
    standard error with t(G - 1) reference distribution, for comparison.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    se_cr1: float
    ci_low_cr1: float
    ci_high_cr1: float
    p_value_cr1: float
    n: int
    n_clusters: int
    n_programme_clusters: int
    n_comparison_clusters: int
    reps: int
    weights: str
    seed: int


def _bootstrap_weights(
    n_clusters: int, reps: int, kind: str, rng: np.random.Generator
) -> np.ndarray:
    """Cluster weights, shape (n_clusters, reps).

    Rademacher: +-1 with probability 1/2; when 2**G <= reps every sign vector is enumerated
    (the exact bootstrap distribution). Webb (2014) six-point: +-sqrt(1/2), +-1, +-sqrt(3/2)
    with probability 1/6 each, recommended with fewer than about 12 clusters.
    """
    if kind == "rademacher":
        if 2**n_clusters <= reps:
            codes = np.arange(2**n_clusters)
            bits = (codes[None, :] >> np.arange(n_clusters)[:, None]) & 1
            return np.where(bits == 1, 1.0, -1.0)
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, reps))
    if kind == "webb":
        points = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
        return rng.choice(points, size=(n_clusters, reps))
    raise ValueError(f"weights must be 'webb' or 'rademacher', not {kind!r}")


def _cluster_sums(values: np.ndarray, cluster_codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``values`` (n,) or (n, m) within clusters -> (G,) or (G, m)."""
    out_shape = (n_clusters,) + values.shape[1:]
    out = np.zeros(out_shape)
    np.add.at(out, cluster_codes, values)
    return out


def difference_in_differences(
    respondents: pd.DataFrame,
    value: str = "index",
    *,
    agency: str = "agency_id",
    wave: str = "wave",
    group: str = "group",
    programme: str = "programme",
    followup: str = "followup",
    reps: int = 9999,
    weights: str = "webb",
    seed: int = 20250105,
    alpha: float = 0.05,
) -> DidResult:
    """Difference-in-differences of a respondent-level index, clustered by agency.

    Fits by OLS on respondent-level data

    .. math:: y_{i} = \\beta_0 + \\beta_1 F_i + \\beta_2 P_i + \\beta_3 F_i P_i + u_i

    (F: follow-up wave, P: programme agency) so that :math:`\\hat\\beta_3` = (programme
    follow-up mean - programme baseline mean) - (comparison follow-up mean - comparison
    baseline mean), with respondents pooled within each cell.

    Inference respects clustering by agency and stays valid with few clusters: the wild
    cluster bootstrap with the null imposed (WCR; Cameron, Gelbach & Miller, 2008; MacKinnon &
    Webb, 2018) of the CR1 t-statistic, with Webb (default) or Rademacher cluster weights and
    a fixed seed. The p-value is the symmetric bootstrap p of H0: beta_3 = 0; the interval
    inverts that test (the set of beta_3 values not rejected at ``alpha``), as Stata's
    ``boottest`` does (Roodman, MacKinnon, Nielsen & Webb, 2019). The bootstrap is computed
    in closed form per cluster (no refitting), so 9999 replications take milliseconds.
    The CR1 cluster-robust SE from statsmodels (``cov_type="cluster"``, t with G - 1 df) is
    reported alongside for comparison.

    Parameters
    ----------
    respondents : DataFrame
        One row per analysed respondent, with columns ``value`` (e.g. the outcome index
        0-100; rows with NaN are dropped), ``agency``, ``wave`` and ``group``.
    value, agency, wave, group : str
        Column names.
    programme, followup : str
        The values of ``group`` and ``wave`` that mark programme agencies and the follow-up.
    reps : int
        Bootstrap replications (ignored for Rademacher weights with 2**G <= reps, where the
        full enumeration is used).
    weights : {"webb", "rademacher"}
        Wild bootstrap weight distribution.
    seed : int
        Seed of the weight draws (a rebuild gives the same interval).
    alpha : float
        1 - confidence level.

    Returns
    -------
    DidResult

    References
    ----------
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.
    Webb, M. D. (2014). Reworking wild bootstrap based inference for clustered errors.
    Queen's Economics Department Working Paper 1315.
    Roodman, D., MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2019). Fast and wild:
    Bootstrap inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.
    """
    data = respondents[[value, agency, wave, group]].dropna()
    y = data[value].to_numpy(dtype=float)
    is_followup = (data[wave].astype(str) == followup).to_numpy(dtype=float)
    is_programme = (data[group].astype(str) == programme).to_numpy(dtype=float)
    cluster_codes, cluster_names = pd.factorize(data[agency].astype(str), sort=True)
    n_clusters = len(cluster_names)
    programme_clusters = data.loc[is_programme == 1, agency].nunique()
    comparison_clusters = data.loc[is_programme == 0, agency].nunique()
    if programme_clusters == 0 or comparison_clusters == 0:
        raise ValueError("difference_in_differences needs programme and comparison agencies")
    cells = pd.crosstab(is_programme, is_followup)
    if cells.shape != (2, 2) or (cells.to_numpy() == 0).any():
        raise ValueError("every group needs answers in both waves")

    x = np.column_stack([np.ones_like(y), is_followup, is_programme, is_followup * is_programme])
    n, n_coef = x.shape

    # CR1 reference from statsmodels.
    ols = OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": cluster_codes}, use_t=True)
    estimate = float(ols.params[3])
    se_cr1 = float(ols.bse[3])
    ci_cr1 = ols.conf_int(alpha=alpha)[3]

    # Closed-form wild cluster restricted bootstrap of the CR1 t-statistic of beta_3.
    xtx_inv = np.linalg.inv(x.T @ x)
    a = (xtx_inv @ x.T)[3]  # beta_3 = a @ y
    small_sample = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_coef)
    a_times_x = _cluster_sums(a[:, None] * x, cluster_codes, n_clusters)  # A_g = sum a_i x_i'
    x_restricted = x[:, :3]

    def residual_on_restricted(target: np.ndarray) -> np.ndarray:
        coef, *_ = np.linalg.lstsq(x_restricted, target, rcond=None)
        return target - x_restricted @ coef

    def restricted_parts(residual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # s_g = sum_{i in g} a_i u_i ; C_gh = A_g (X'X)^-1 X_h' u_h
        s = _cluster_sums(a * residual, cluster_codes, n_clusters)
        b = _cluster_sums(x * residual[:, None], cluster_codes, n_clusters) @ xtx_inv
        return s, a_times_x @ b.T

    # Restricted residuals are linear in the hypothesised beta_3: u(b0) = u0 - b0 * u1.
    u0 = residual_on_restricted(y)
    u1 = residual_on_restricted(x[:, 3])
    s0, c0 = restricted_parts(u0)
    s1, c1 = restricted_parts(u1)

    rng = np.random.default_rng(seed)
    v = _bootstrap_weights(n_clusters, reps, weights, rng)
    s0v, s1v = s0[:, None] * v, s1[:, None] * v
    c0v, c1v = c0 @ v, c1 @ v

    def bootstrap_p(beta0: float) -> float:
        numerator = (s0v - beta0 * s1v).sum(axis=0)
        scores = (s0v - beta0 * s1v) - (c0v - beta0 * c1v)
        se_star = np.sqrt(small_sample * (scores**2).sum(axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = numerator / se_star
        t_obs = (estimate - beta0) / se_cr1
        return float(np.mean(np.abs(t_star) >= abs(t_obs) - 1e-12))

    def bound(direction: float) -> float:
        # Walk out until the test rejects, then bisect on the (step) p-value function.
        inner, step = estimate, se_cr1
        outer = estimate + direction * step
        while bootstrap_p(outer) > alpha:
            inner, step = outer, step * 2
            outer = estimate + direction * step
            if step > 1e6 * max(se_cr1, 1e-12):
                return direction * np.inf
        for _ in range(60):
            middle = (inner + outer) / 2
            if bootstrap_p(middle) > alpha:
                inner = middle
            else:
                outer = middle
            if abs(outer - inner) < 1e-6 * max(se_cr1, 1e-12):
                break
        return (inner + outer) / 2

    if se_cr1 > 0:
        p_value = bootstrap_p(0.0)
        ci_low, ci_high = bound(-1.0), bound(1.0)
    else:
        warnings.warn("zero cluster-robust SE: no bootstrap interval", RuntimeWarning, stacklevel=2)
        p_value, ci_low, ci_high = np.nan, np.nan, np.nan

    return DidResult(
        estimate=estimate,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        p_value=p_value,
        se_cr1=se_cr1,
        ci_low_cr1=float(ci_cr1[0]),
        ci_high_cr1=float(ci_cr1[1]),
        p_value_cr1=float(ols.pvalues[3]),
        n=int(n),
        n_clusters=int(n_clusters),
        n_programme_clusters=int(programme_clusters),
        n_comparison_clusters=int(comparison_clusters),
        reps=int(v.shape[1]),
        weights=weights,
        seed=seed,
    )


# --------------------------------------------------------------------------------------
# Dose-response meta-regression
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseResponseResult:
    """Mixed-effects meta-regression of agency change on training coverage (z-based CI)."""

    slope: float
    slope_se: float
    ci_low: float
    ci_high: float
    p_value: float
    intercept: float
    intercept_se: float
    tau2: float
    k: int


def dose_response(
    changes: Sequence[float] | np.ndarray | pd.Series,
    coverage: Sequence[float] | np.ndarray | pd.Series,
    variances: Sequence[float] | np.ndarray | pd.Series,
    *,
    alpha: float = 0.05,
) -> DoseResponseResult:
    """Meta-regression of each agency's change (or g) on its training coverage.

    Mixed-effects meta-regression :math:`y_i = b_0 + b_1 x_i + u_i + e_i`,
    :math:`u_i \\sim N(0, \\tau^2)`, :math:`e_i \\sim N(0, v_i)`, fitted as metafor's
    ``rma(yi, vi, mods = ~ x, method = "DL")``: the residual heterogeneity is the
    DerSimonian-Laird-type moment estimator

    .. math::

        \\tau^2 = \\max\\left(0, \\frac{Q_E - (k - p)}
        {\\operatorname{tr}(W) - \\operatorname{tr}((X'WX)^{-1} X'W^2X)}\\right),
        \\qquad W = \\operatorname{diag}(1/v_i)

    with :math:`Q_E` the residual Q of the fixed-effect weighted fit (Raudenbush, 2009); then
    statsmodels WLS with weights :math:`1/(v_i + \\tau^2)` and the scale fixed at 1 (the
    variances are known), so tests and the CI use the normal distribution.

    Parameters
    ----------
    changes : array-like
        Per-agency change (index points or Hedges' g).
    coverage : array-like
        Per-agency training coverage (e.g. percent of front-line staff trained).
    variances : array-like
        Sampling variance of each change. Agencies with any missing value are dropped.

    Returns
    -------
    DoseResponseResult
        ``slope`` is the change per unit of coverage.

    References
    ----------
    Raudenbush, S. W. (2009). Analyzing effect sizes: Random-effects models. In H. Cooper,
    L. V. Hedges & J. C. Valentine (Eds.), *The Handbook of Research Synthesis and
    Meta-Analysis* (2nd ed., pp. 295-315). Russell Sage Foundation.
    """
    y = np.asarray(changes, dtype=float)
    cov = np.asarray(coverage, dtype=float)
    v = np.asarray(variances, dtype=float)
    keep = np.isfinite(y) & np.isfinite(cov) & np.isfinite(v)
    y, cov, v = y[keep], cov[keep], v[keep]
    k = len(y)
    x = add_constant(cov, has_constant="add")
    if k <= x.shape[1]:
        raise ValueError(f"dose_response needs at least 3 agencies with a change, got {k}")
    if np.ptp(cov) == 0:
        raise ValueError("coverage does not vary across agencies")

    w = 1.0 / v
    fixed = WLS(y, x, weights=w).fit()
    q_e = float(np.sum(w * fixed.resid**2))
    xtwx_inv = np.linalg.inv(x.T @ (w[:, None] * x))
    trace_term = np.trace(xtwx_inv @ (x.T @ ((w**2)[:, None] * x)))
    tau2 = max(0.0, (q_e - (k - x.shape[1])) / (w.sum() - trace_term))

    mixed = WLS(y, x, weights=1.0 / (v + tau2)).fit(cov_type="fixed scale", cov_kwds={"scale": 1.0})
    ci = mixed.conf_int(alpha=alpha)
    return DoseResponseResult(
        slope=float(mixed.params[1]),
        slope_se=float(mixed.bse[1]),
        ci_low=float(ci[1, 0]),
        ci_high=float(ci[1, 1]),
        p_value=float(mixed.pvalues[1]),
        intercept=float(mixed.params[0]),
        intercept_se=float(mixed.bse[0]),
        tau2=float(tau2),
        k=int(k),
    )


@dataclass(frozen=True)
class AgencyDidResult:
    """One agency's change against the comparison agencies' changes."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    comparison_mean: float
    comparison_sd: float
    k: int


def agency_did(
    change: float, change_se: float, comparison_changes: Any, confidence: float = 0.95
) -> AgencyDidResult:
    r"""Difference-in-differences of one agency against the comparison agencies.

    .. math::

        \widehat{DiD}_a = \Delta_a - \bar\Delta_c, \qquad
        SE^2 = SE_a^2 + s_c^2\,(1 + 1/k)

    where :math:`\bar\Delta_c` and :math:`s_c` are the mean and standard deviation of the
    :math:`k` comparison agencies' index changes. The counterfactual change of agency *a*
    is treated as a new draw from the comparison agencies' distribution, so the variance is
    that of a prediction (Higgins, Thompson & Spiegelhalter, 2009): it respects clustering
    by agency (the agency, not the respondent, is the unit that varies) and stays honest
    with few clusters by using the t distribution with :math:`k-1` degrees of freedom.
    :math:`s_c` already contains the comparison agencies' sampling error, so the interval
    errs on the wide side. Needs :math:`k \ge 2`; otherwise every field is NaN.

    Parameters
    ----------
    change, change_se : float
        The agency's follow-up minus baseline index and its standard error.
    comparison_changes : array_like
        The comparison agencies' index changes (suppressed ones left out).
    confidence : float

    References
    ----------
    Higgins, J. P. T., Thompson, S. G., & Spiegelhalter, D. J. (2009). A re-evaluation of
    random-effects meta-analysis. JRSS A, 172(1), 137-159.
    """
    comparison = np.asarray(comparison_changes, dtype=float)
    comparison = comparison[np.isfinite(comparison)]
    k = int(comparison.size)
    if k < 2 or not np.isfinite(change) or not np.isfinite(change_se):
        nan = float("nan")
        return AgencyDidResult(nan, nan, nan, nan, max(k - 1, 0), nan, nan, k)
    mean_c = float(comparison.mean())
    sd_c = float(comparison.std(ddof=1))
    se = float(np.sqrt(change_se**2 + sd_c**2 * (1 + 1 / k)))
    estimate = float(change - mean_c)
    t_crit = float(stats.t.ppf(0.5 + confidence / 2, df=k - 1))
    return AgencyDidResult(
        estimate, se, estimate - t_crit * se, estimate + t_crit * se, k - 1, mean_c, sd_c, k
    )
