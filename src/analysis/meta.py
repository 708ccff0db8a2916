"""Programme-level synthesis: random-effects meta-analysis, difference-in-differences and
dose-response (DESIGN.md section 4, "Programme effect").

The per-agency changes come from :mod:`analysis.change`; this module only combines them.
Every function takes plain arrays or a tidy DataFrame and returns a frozen dataclass, so a
notebook can show the numbers and a test can check them.
"""

from __future__ import annotations

import itertools
import math
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
    "MAX_RELABELLINGS",
    "AgencyDidResult",
    "AgencyLevelDidResult",
    "DidResult",
    "DoseResponseResult",
    "RandomEffectsResult",
    "agency_did",
    "agency_level_did",
    "randomisation_p",
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
# Difference-in-differences of agency-level changes (the contract's programme comparison)
# --------------------------------------------------------------------------------------

#: Largest number of distinct relabellings the randomisation test enumerates (C(29, 6) =
#: 475,020 for the demo study's 23 + 6 agencies takes about half a second).
MAX_RELABELLINGS = 1_000_000


@dataclass(frozen=True)
class AgencyLevelDidResult:
    """Programme agencies' mean change minus comparison agencies' mean change, agencies equal.

    ``ci_low``/``ci_high``/``p_value`` are Welch's (t with ``df`` Welch-Satterthwaite degrees
    of freedom) on the agency-level changes; ``p_randomisation`` is the exact randomisation
    p-value over the ``relabellings`` distinct assignments of the group labels (NaN when
    there are more than :data:`MAX_RELABELLINGS`, ``enumerated`` False).
    """

    estimate: float
    se: float
    df: float
    t: float
    ci_low: float
    ci_high: float
    p_value: float
    p_randomisation: float
    relabellings: int
    enumerated: bool
    programme_mean: float
    comparison_mean: float
    programme_sd: float
    comparison_sd: float
    k_programme: int
    k_comparison: int


def _welch_t_from_sums(
    sum_a: np.ndarray,
    squares_a: np.ndarray,
    n_a: int,
    sum_b: np.ndarray,
    squares_b: np.ndarray,
    n_b: int,
) -> np.ndarray:
    """Welch's t of group a minus group b from each group's sum and sum of squares."""
    mean_a, mean_b = sum_a / n_a, sum_b / n_b
    var_a = np.maximum(squares_a - n_a * mean_a**2, 0.0) / (n_a - 1)
    var_b = np.maximum(squares_b - n_b * mean_b**2, 0.0) / (n_b - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (mean_a - mean_b) / np.sqrt(var_a / n_a + var_b / n_b)


def randomisation_p(
    programme: Sequence[float] | np.ndarray,
    comparison: Sequence[float] | np.ndarray,
    *,
    max_relabellings: int = MAX_RELABELLINGS,
) -> tuple[float, int]:
    """Exact two-sided randomisation p-value of the studentised difference of two groups.

    Every one of the :math:`\\binom{k_p + k_c}{k_c}` ways of choosing which agencies carry
    the comparison label is enumerated, and

    .. math:: p = \\frac{\\#\\{\\text{relabellings } r : |t_r| \\ge |t_{obs}|\\}}
              {\\binom{k_p + k_c}{k_c}}

    with :math:`t` Welch's statistic, the observed labelling counted among them (Fisher,
    1935; Edgington & Onghena, 2007). Under the sharp null that the programme changed no
    agency the test is exact whatever the number of agencies; studentising keeps it valid,
    asymptotically, for the weaker null of equal mean changes with unequal variances (Janssen,
    1997; Chung & Romano, 2013). ``scipy.stats.permutation_test`` computes the same p-value
    (a test asserts it) but enumerates the partitions about fifty times more slowly.

    Parameters
    ----------
    programme, comparison : array-like
        The agency-level changes of each group (at least two each; NaN dropped).
    max_relabellings : int
        Above this many relabellings nothing is enumerated and the p-value is NaN.

    Returns
    -------
    (float, int)
        The p-value (NaN when not enumerated) and the number of distinct relabellings.

    References
    ----------
    Chung, E., & Romano, J. P. (2013). Exact and asymptotically robust permutation tests.
    *Annals of Statistics*, 41(2), 484-507.
    Edgington, E. S., & Onghena, P. (2007). *Randomization Tests* (4th ed.). Chapman & Hall.
    Janssen, A. (1997). Studentized permutation tests for non-i.i.d. hypotheses and the
    generalized Behrens-Fisher problem. *Statistics & Probability Letters*, 36(1), 9-21.
    """
    a = np.asarray(programme, dtype=float)
    b = np.asarray(comparison, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        raise ValueError("randomisation_p needs at least two agencies in each group")
    values = np.concatenate([a, b])
    n, n_b = values.size, b.size
    count = math.comb(n, n_b)
    if count > max_relabellings:
        return math.nan, count
    # Choose the members of the smaller group; the other group is the rest.
    small = min(a.size, b.size)
    subsets = np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(n), small)),
        dtype=np.int16,
        count=count * small,
    ).reshape(count, small)
    total, total_squares = values.sum(), np.sum(values**2)
    sum_small = values[subsets].sum(axis=1)
    squares_small = (values**2)[subsets].sum(axis=1)
    t_all = np.abs(
        _welch_t_from_sums(
            sum_small,
            squares_small,
            small,
            total - sum_small,
            total_squares - squares_small,
            n - small,
        )
    )
    observed_subset = np.arange(a.size, n) if small == b.size else np.arange(a.size)
    sum_obs = values[observed_subset].sum(keepdims=True)
    squares_obs = (values[observed_subset] ** 2).sum(keepdims=True)
    t_obs = float(
        np.abs(
            _welch_t_from_sums(
                sum_obs,
                squares_obs,
                small,
                total - sum_obs,
                total_squares - squares_obs,
                n - small,
            )
        )[0]
    )
    if not math.isfinite(t_obs):
        return math.nan, count
    hits = np.count_nonzero(t_all >= t_obs * (1 - 1e-12))
    return float(hits / count), count


def agency_level_did(
    programme_changes: Sequence[float] | np.ndarray | pd.Series,
    comparison_changes: Sequence[float] | np.ndarray | pd.Series,
    *,
    alpha: float = 0.05,
    max_relabellings: int = MAX_RELABELLINGS,
) -> AgencyLevelDidResult:
    """Difference-in-differences of agency-level changes, as DESIGN.md section 4 defines it.

    .. math::

        \\widehat{DiD} = \\bar\\Delta_P - \\bar\\Delta_C, \\qquad
        SE = \\sqrt{s_P^2 / k_P + s_C^2 / k_C}, \\qquad
        \\nu = \\frac{(s_P^2/k_P + s_C^2/k_C)^2}
        {\\frac{(s_P^2/k_P)^2}{k_P - 1} + \\frac{(s_C^2/k_C)^2}{k_C - 1}}

    where :math:`\\Delta` are the agencies' follow-up minus baseline outcome indices, each
    agency weighted equally, :math:`\\bar\\Delta`, :math:`s^2` and :math:`k` the mean,
    variance and number of agencies of each group. The interval is
    :math:`\\widehat{DiD} \\pm t_{\\nu, 1-\\alpha/2} SE` and the p-value Welch's (1947), from
    ``scipy.stats.ttest_ind(equal_var=False)``: the agency is the unit of inference, so the
    interval stays honest with few comparison agencies (its df fall towards
    :math:`k_C - 1`) and covers the programme's average effect over agencies like these
    (the variance of the changes holds both their sampling error and the real differences
    between agencies). The exact randomisation p-value over the group labels is
    :func:`randomisation_p`.

    Parameters
    ----------
    programme_changes, comparison_changes : array-like
        One change per agency (suppressed agencies are NaN or absent; NaN is dropped). At
        least two agencies in each group.
    alpha : float
        1 - confidence level.
    max_relabellings : int
        Largest number of relabellings the randomisation test enumerates.

    Returns
    -------
    AgencyLevelDidResult

    References
    ----------
    Welch, B. L. (1947). The generalization of 'Student's' problem when several different
    population variances are involved. *Biometrika*, 34(1-2), 28-35.
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. *Biometrics Bulletin*, 2(6), 110-114.
    """
    a = np.asarray(programme_changes, dtype=float)
    b = np.asarray(comparison_changes, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        raise ValueError(
            f"agency_level_did needs two agencies in each group, got {a.size} programme and "
            f"{b.size} comparison"
        )
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all changes equal: t undefined
        welch = stats.ttest_ind(a, b, equal_var=False)
        ci = welch.confidence_interval(confidence_level=1 - alpha)
    p_randomisation, count = randomisation_p(a, b, max_relabellings=max_relabellings)
    estimate = float(a.mean() - b.mean())
    se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
    return AgencyLevelDidResult(
        estimate=estimate,
        se=se,
        df=float(welch.df),
        t=float(welch.statistic),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        p_value=float(welch.pvalue),
        p_randomisation=p_randomisation,
        relabellings=int(count),
        enumerated=count <= max_relabellings,
        programme_mean=float(a.mean()),
        comparison_mean=float(b.mean()),
        programme_sd=float(a.std(ddof=1)),
        comparison_sd=float(b.std(ddof=1)),
        k_programme=int(a.size),
        k_comparison=int(b.size),
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
    agency_effects: bool = False


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
    agency_effects: bool = False,
) -> DidResult:
    """Difference-in-differences of a respondent-level index, clustered by agency.

    Fits by OLS on respondent-level data

    .. math:: y_{i} = \\beta_0 + \\beta_1 F_i + \\beta_2 P_i + \\beta_3 F_i P_i + u_i

    (F: follow-up wave, P: programme agency) so that :math:`\\hat\\beta_3` = (programme
    follow-up mean - programme baseline mean) - (comparison follow-up mean - comparison
    baseline mean), with respondents pooled within each cell: a difference of
    respondent-weighted cell means, which moves when agencies' sample sizes differ between
    the waves. With ``agency_effects=True`` the model is instead

    .. math:: y_{i} = \\alpha_{a(i)} + \\beta_1 F_i + \\beta_3 F_i P_i + u_i

    with one intercept per agency (fixed effects), so that each agency is compared with
    itself and :math:`\\hat\\beta_3` is a precision-weighted mean of the agencies' changes.
    Neither is the contract's estimate (the unweighted mean of the agency changes,
    :func:`agency_level_did`); the regional report shows the fixed-effects fit as a
    sensitivity check.

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
    agency_effects : bool
        Fit one intercept per agency (fixed effects) instead of a programme-group intercept.

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

    interaction = is_followup * is_programme
    if agency_effects:
        dummies = np.eye(n_clusters)[cluster_codes]
        x = np.column_stack([dummies, is_followup, interaction])
    else:
        x = np.column_stack([np.ones_like(y), is_followup, is_programme, interaction])
    n, n_coef = x.shape
    tested = n_coef - 1  # beta_3, the interaction, is the last column

    # CR1 reference from statsmodels.
    ols = OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": cluster_codes}, use_t=True)
    estimate = float(ols.params[tested])
    se_cr1 = float(ols.bse[tested])
    ci_cr1 = ols.conf_int(alpha=alpha)[tested]

    # Closed-form wild cluster restricted bootstrap of the CR1 t-statistic of beta_3.
    xtx_inv = np.linalg.inv(x.T @ x)
    a = (xtx_inv @ x.T)[tested]  # beta_3 = a @ y
    small_sample = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_coef)
    a_times_x = _cluster_sums(a[:, None] * x, cluster_codes, n_clusters)  # A_g = sum a_i x_i'
    x_restricted = x[:, :tested]

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
    u1 = residual_on_restricted(x[:, tested])
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
        p_value_cr1=float(ols.pvalues[tested]),
        n=int(n),
        n_clusters=int(n_clusters),
        n_programme_clusters=int(programme_clusters),
        n_comparison_clusters=int(comparison_clusters),
        reps=int(v.shape[1]),
        weights=weights,
        seed=seed,
        agency_effects=agency_effects,
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
