"""Tests of analysis.meta against metafor outputs, Borenstein et al. (2009) and brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from analysis.meta import (
    difference_in_differences,
    dose_response,
    hedges_correction,
    hedges_g_variance,
    random_effects,
)

# --------------------------------------------------------------------------------------
# Hedges' g variance
# --------------------------------------------------------------------------------------


def test_when_borenstein_example_then_j_and_variance_match_the_book() -> None:
    # Borenstein et al. (2009), Introduction to Meta-Analysis, section 4.3: n = 50 + 50,
    # d = 0.5970, V_d = 0.0418, J = 0.9923, g = 0.5924, V_g = 0.0411.
    assert hedges_correction(50, 50) == pytest.approx(0.9923, abs=1e-4)
    assert hedges_g_variance(0.5970, 50, 50, effect="d") == pytest.approx(0.0411, abs=1e-4)
    assert hedges_g_variance(0.5924, 50, 50) == pytest.approx(0.0411, abs=1e-4)


def test_when_variance_of_g_then_it_uses_the_uncorrected_d() -> None:
    # g = 0.5, n = 20 + 20: J = 1 - 3/151, d = g / J, v = J^2 (40/400 + d^2 / 80).
    j = 1 - 3 / 151
    d = 0.5 / j
    assert hedges_g_variance(0.5, 20, 20) == pytest.approx(j**2 * (0.1 + d**2 / 80), rel=1e-12)
    vector = hedges_g_variance(np.array([0.5, -0.5]), np.array([20, 20]), np.array([20, 20]))
    np.testing.assert_allclose(vector, [j**2 * (0.1 + d**2 / 80)] * 2, rtol=1e-12)


# --------------------------------------------------------------------------------------
# Random effects: metafor's BCG vaccine example
# --------------------------------------------------------------------------------------

# dat.bcg: tpos, tneg, cpos, cneg for the 13 trials.
BCG = np.array(
    [
        [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
        [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619],
        [505, 87886, 499, 87892], [29, 7470, 45, 7232], [17, 1699, 65, 1600],
        [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825],
    ],
    dtype=float,
)  # fmt: skip


def _bcg_log_rr() -> tuple[np.ndarray, np.ndarray]:
    """escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)."""
    tpos, tneg, cpos, cneg = BCG.T
    yi = np.log((tpos / (tpos + tneg)) / (cpos / (cpos + cneg)))
    vi = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return yi, vi


def test_when_bcg_trials_pooled_then_dl_matches_metafor() -> None:
    # metafor: rma(yi, vi, data = dat, method = "DL"): estimate -0.7141, se 0.1787,
    # ci -1.0644 to -0.3638, tau^2 0.3088, I^2 92.12%, Q(df = 12) = 152.2330, p < .0001.
    yi, vi = _bcg_log_rr()
    result = random_effects(yi, vi)
    assert result.estimate == pytest.approx(-0.7141, abs=5e-5)
    assert result.se == pytest.approx(0.1787, abs=5e-5)
    assert result.ci_low == pytest.approx(-1.0644, abs=5e-5)
    assert result.ci_high == pytest.approx(-0.3638, abs=1e-4)
    assert result.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert result.i2 == pytest.approx(92.12, abs=5e-3)
    assert result.q == pytest.approx(152.2330, abs=5e-5)
    assert (result.q_df, result.k) == (12, 13)
    assert result.q_p < 1e-4


def test_when_bcg_trials_pooled_then_equal_to_statsmodels_combine_effects() -> None:
    yi, vi = _bcg_log_rr()
    reference = combine_effects(yi, vi, method_re="dl")
    result = random_effects(yi, vi)
    assert result.estimate == pytest.approx(reference.mean_effect_re, rel=1e-12)
    assert result.se == pytest.approx(reference.sd_eff_w_re, rel=1e-12)
    assert result.tau2 == pytest.approx(reference.tau2, rel=1e-12)
    assert result.q == pytest.approx(reference.q, rel=1e-12)


def test_when_bcg_trials_pooled_then_prediction_interval_and_weights_match_hand_formulas() -> None:
    yi, vi = _bcg_log_rr()
    result = random_effects(yi, vi, labels=[f"T{i}" for i in range(13)])
    # Higgins et al. (2009): mu +- t_{k-2} sqrt(tau^2 + se^2), k - 2 = 11.
    half = stats.t.ppf(0.975, 11) * math.sqrt(result.tau2 + result.se**2)
    assert result.pi_low == pytest.approx(result.estimate - half, rel=1e-12)
    assert result.pi_high == pytest.approx(result.estimate + half, rel=1e-12)
    assert result.pi_low == pytest.approx(-0.7141 - 2.201 * math.sqrt(0.3088 + 0.1787**2), abs=2e-3)
    # I^2 = (Q - df) / Q from metafor's Q.
    assert result.i2 == pytest.approx((152.2330 - 12) / 152.2330 * 100, abs=1e-4)
    raw = 1 / (vi + result.tau2)
    np.testing.assert_allclose(result.weights.to_numpy(), 100 * raw / raw.sum(), rtol=1e-12)
    assert list(result.weights.index) == [f"T{i}" for i in range(13)]


def test_when_metafor_small_sample_then_dl_matches_reference_json() -> None:
    # PyMARE tests/data/metafor_reference.json (metafor 4.6.0), design unequal_k5,
    # rma.uni(y, v, method = "DL"): tau2 0.28382585271252081, beta -0.25834451420148669,
    # se 0.31823753095856316, QE 20.315605412654854, QEp 0.00043261444283937314,
    # I2 80.310702444002246.
    y = [-0.073207, -0.415375, 5.226533, -0.785429, -2.088512]
    v = [0.02, 0.050569, 2.721731, 0.041877, 5.0]
    result = random_effects(y, v)
    assert result.tau2 == pytest.approx(0.28382585271252081, rel=1e-9)
    assert result.estimate == pytest.approx(-0.25834451420148669, rel=1e-9)
    assert result.se == pytest.approx(0.31823753095856316, rel=1e-9)
    assert result.q == pytest.approx(20.315605412654854, rel=1e-9)
    assert result.q_p == pytest.approx(0.00043261444283937314, rel=1e-7)
    assert result.i2 == pytest.approx(80.310702444002246, rel=1e-9)


def test_when_effects_homogeneous_then_tau2_is_zero_and_result_is_inverse_variance_mean() -> None:
    # Q = 0.0125 < df = 3, so DL's (Q - df) / c is negative: truncated to 0 as in metafor.
    result = random_effects([0.10, 0.12, 0.09, 0.11], [0.04] * 4)
    assert result.tau2 == 0.0
    assert result.i2 == 0.0
    assert result.estimate == pytest.approx(0.105)
    assert result.se == pytest.approx(0.1)  # sqrt(1 / (4 / 0.04))
    np.testing.assert_allclose(result.weights.to_numpy(), [25.0] * 4)


def test_when_fewer_than_three_studies_then_no_prediction_interval() -> None:
    two = random_effects([0.2, 0.4], [0.01, 0.02])
    assert math.isnan(two.pi_low) and math.isnan(two.pi_high)
    one = random_effects([0.2, np.nan], [0.01, 0.02])
    assert one.k == 1 and one.estimate == 0.2 and math.isnan(one.tau2)
    with pytest.raises(ValueError, match="at least one"):
        random_effects([], [])


# --------------------------------------------------------------------------------------
# Dose-response meta-regression
# --------------------------------------------------------------------------------------


def test_when_meta_regression_then_matches_metafor_reference_json() -> None:
    # PyMARE tests/data/metafor_reference.json (metafor 4.6.0), design unequal_k5, model one,
    # rma.uni(y, v, mods = ~ mod1, method = "DL", test = "z").
    y = [-0.073207, -0.415375, 5.226533, -0.785429, -2.088512]
    v = [0.02, 0.050569, 2.721731, 0.041877, 5.0]
    mod1 = [-0.030471, 0.55718, -1.21246, -0.13535, -0.088064]
    result = dose_response(y, mod1, v)
    assert result.tau2 == pytest.approx(0.44482420458951955, rel=1e-9)
    assert result.intercept == pytest.approx(-0.090448214875049893, rel=1e-9)
    assert result.slope == pytest.approx(-1.923038837106835, rel=1e-9)
    assert result.slope_se == pytest.approx(0.94903884952366124, rel=1e-9)
    assert result.p_value == pytest.approx(0.042733898429604678, rel=1e-8)
    assert result.ci_low == pytest.approx(-3.7831208021025384, rel=1e-9)
    assert result.ci_high == pytest.approx(-0.062956872111131323, rel=1e-9)


def test_when_meta_regression_on_pymare_fixture_then_matches_metafor_dl() -> None:
    # PyMARE test_dersimonian_laird_estimator ("ground truth values are from metafor"):
    # beta (-0.1070, 0.7664), tau^2 8.3627.
    y = [-1, 0.5, 0.5, 0.5, 1, 1, 2, 10]
    v = [1, 1, 2.4, 0.5, 1, 1, 1.2, 1.5]
    x = [1, 1, 2, 2, 4, 4, 2.8, 2.8]
    result = dose_response(y, x, v)
    assert result.intercept == pytest.approx(-0.1070, abs=1e-4)
    assert result.slope == pytest.approx(0.7664, abs=1e-4)
    assert result.tau2 == pytest.approx(8.3627, abs=1e-4)


def test_when_residual_heterogeneity_negative_then_tau2_truncated_to_zero() -> None:
    # metafor_reference.json, design moderate_k20, model one, method DL: tau2 0,
    # beta (0.71424045557617288, 0.65515464754474295), se of slope 0.16917980716735645.
    y = [
        0.91344,
        -0.013711,
        0.71129,
        -0.349063,
        0.524942,
        1.390945,
        1.394405,
        1.712806,
        2.448195,
        0.797816,
        -0.455644,
        0.34701,
        1.10191,
        1.118779,
        0.13778,
        2.617864,
        0.139465,
        0.330425,
        -0.784248,
        -0.138601,
    ]
    v = [
        0.1,
        2.93755,
        2.146649,
        1.990442,
        0.478369,
        0.147635,
        0.271023,
        2.012027,
        1.435666,
        1.058463,
        1.071934,
        0.310011,
        0.949126,
        0.39391,
        0.856478,
        0.39576,
        0.108517,
        0.353627,
        0.626412,
        3.0,
    ]
    mod1 = [
        0.204375,
        1.178207,
        -1.083161,
        -1.043947,
        0.202713,
        0.429181,
        1.965549,
        -0.112448,
        1.354667,
        0.297972,
        -2.350888,
        -0.109193,
        -0.558496,
        -0.026241,
        -0.559033,
        1.290723,
        -0.717358,
        0.521517,
        -0.735639,
        -0.815849,
    ]
    result = dose_response(y, mod1, v)  # fmt: skip
    assert result.tau2 == 0.0
    assert result.intercept == pytest.approx(0.71424045557617288, rel=1e-6)
    assert result.slope == pytest.approx(0.65515464754474295, rel=1e-6)
    assert result.slope_se == pytest.approx(0.16917980716735645, rel=1e-6)


# --------------------------------------------------------------------------------------
# Difference-in-differences
# --------------------------------------------------------------------------------------


def _did_data(
    seed: int, did: float, n_agencies: int = 12, per_cell: int | None = 25
) -> pd.DataFrame:
    """Agencies with their own level, agency-by-wave shocks (so clustering matters), a common
    follow-up trend of +3 and the programme effect ``did`` on programme agencies only."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_agencies):
        programme = a < n_agencies // 2
        level = 60 + rng.normal(0, 5)
        for wave in ("baseline", "followup"):
            mean = level + rng.normal(0, 3)
            if wave == "followup":
                mean += 3 + (did if programme else 0)
            n = per_cell if per_cell is not None else int(rng.integers(15, 40))
            for value in mean + rng.normal(0, 15, size=n):
                rows.append(
                    {
                        "agency_id": f"A{a:02d}",
                        "wave": wave,
                        "group": "programme" if programme else "comparison",
                        "index": value,
                    }
                )
    return pd.DataFrame(rows)


def test_when_design_balanced_then_did_equals_difference_of_mean_agency_changes() -> None:
    data = _did_data(seed=3, did=5.0)
    means = data.groupby(["group", "agency_id", "wave"])["index"].mean().unstack("wave")
    agency_change = (means["followup"] - means["baseline"]).groupby(level="group").mean()
    result = difference_in_differences(data, reps=99)
    assert result.estimate == pytest.approx(
        agency_change["programme"] - agency_change["comparison"], rel=1e-10
    )
    assert (result.n_clusters, result.n_programme_clusters, result.n) == (12, 6, 600)


def test_when_rademacher_enumerated_then_p_value_equals_brute_force_wild_bootstrap() -> None:
    # Six agencies: 2^6 = 64 sign vectors, enumerated exactly. Brute force: impose beta_3 = 0,
    # rebuild y* = fitted + v_g * residual for every sign vector, refit OLS with statsmodels'
    # CR1 clustered SE and count |t*| >= |t|.
    data = _did_data(seed=11, did=4.0, n_agencies=6, per_cell=None)
    followup = (data["wave"] == "followup").to_numpy(float)
    programme = (data["group"] == "programme").to_numpy(float)
    x = np.column_stack([np.ones(len(data)), followup, programme, followup * programme])
    y = data["index"].to_numpy()
    groups = pd.factorize(data["agency_id"], sort=True)[0]

    def cluster_t(outcome: np.ndarray) -> float:
        fit = sm.OLS(outcome, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
        return fit.params[3] / fit.bse[3]

    restricted = sm.OLS(y, x[:, :3]).fit()
    t_obs = cluster_t(y)
    t_star = [
        cluster_t(restricted.fittedvalues + np.asarray(signs)[groups] * restricted.resid)
        for signs in itertools.product([-1.0, 1.0], repeat=6)
    ]
    expected_p = np.mean(np.abs(t_star) >= abs(t_obs) - 1e-9)

    result = difference_in_differences(data, weights="rademacher", reps=999)
    assert result.reps == 64
    assert result.p_value == pytest.approx(expected_p)
    assert result.se_cr1 == pytest.approx(abs(result.estimate / t_obs), rel=1e-10)


def test_when_simulated_with_known_did_then_bootstrap_interval_covers_it() -> None:
    true_did = 6.0
    results = [
        difference_in_differences(_did_data(seed, true_did, per_cell=None), reps=399)
        for seed in range(20)
    ]
    covered = sum(r.ci_low <= true_did <= r.ci_high for r in results)
    assert covered >= 17  # nominal 95%: 19 expected of 20
    for r in results:
        assert r.ci_low < r.estimate < r.ci_high
        assert r.ci_low_cr1 < r.estimate < r.ci_high_cr1


def test_when_effect_large_then_bootstrap_p_small_and_interval_excludes_zero() -> None:
    result = difference_in_differences(_did_data(seed=5, did=40.0), reps=999)
    assert result.p_value < 0.01
    assert result.ci_low > 0


def test_when_same_seed_then_same_interval() -> None:
    data = _did_data(seed=2, did=3.0)
    first = difference_in_differences(data, reps=499, seed=1)
    again = difference_in_differences(data, reps=499, seed=1)
    assert (first.ci_low, first.ci_high, first.p_value) == (
        again.ci_low,
        again.ci_high,
        again.p_value,
    )


def test_when_no_comparison_agencies_then_did_refuses() -> None:
    data = _did_data(seed=1, did=3.0)
    with pytest.raises(ValueError, match="comparison"):
        difference_in_differences(data[data["group"] == "programme"])


# --- one agency's difference-in-differences -----------------------------------------------


def test_when_one_agency_is_compared_then_did_uses_the_prediction_variance():
    from analysis.meta import agency_did

    comparison = [1.0, 3.0, -1.0, 5.0]  # mean 2, sample sd sqrt(20/3)
    result = agency_did(8.0, 2.0, comparison)
    sd = np.sqrt(20 / 3)
    se = np.sqrt(2.0**2 + sd**2 * (1 + 1 / 4))
    t3 = 3.182446305284263  # t(0.975, df=3), statistical tables
    assert result.estimate == pytest.approx(6.0)
    assert result.se == pytest.approx(se)
    assert result.ci_low == pytest.approx(6.0 - t3 * se)
    assert result.ci_high == pytest.approx(6.0 + t3 * se)
    assert result.df == 3 and result.k == 4


def test_when_fewer_than_two_comparison_agencies_then_the_did_is_not_estimated():
    from analysis.meta import agency_did

    result = agency_did(8.0, 2.0, [1.0, np.nan])
    assert np.isnan(result.estimate) and result.k == 1


# --- the contract's difference-in-differences: agency-level changes ------------------------

# R's `sleep` data: t.test(SLEEP_1, SLEEP_2) (Welch) prints t = -1.8608, df = 17.776,
# p-value = 0.07939, 95 percent confidence interval -3.3654832 0.2054832.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_when_agency_changes_are_compared_then_did_is_welch_as_r_t_test_prints() -> None:
    from analysis.meta import agency_level_did

    result = agency_level_did(SLEEP_1, SLEEP_2)
    assert result.estimate == pytest.approx(0.75 - 2.33, abs=1e-12)
    assert result.t == pytest.approx(-1.8608, abs=5e-5)
    assert result.df == pytest.approx(17.776, abs=5e-4)
    assert result.p_value == pytest.approx(0.07939, abs=5e-6)
    assert result.ci_low == pytest.approx(-3.3654832, abs=5e-8)
    assert result.ci_high == pytest.approx(0.2054832, abs=5e-8)
    assert (result.k_programme, result.k_comparison) == (10, 10)


def test_when_group_sizes_differ_then_df_is_welch_satterthwaite_by_hand_and_as_scipy() -> None:
    from analysis.meta import agency_level_did

    rng = np.random.default_rng(4)
    programme, comparison = rng.normal(7, 6, 23), rng.normal(1, 3, 6)
    result = agency_level_did(programme, np.append(comparison, np.nan))  # NaN = suppressed
    v_p, v_c = programme.var(ddof=1) / 23, comparison.var(ddof=1) / 6
    df = (v_p + v_c) ** 2 / (v_p**2 / 22 + v_c**2 / 5)
    assert result.df == pytest.approx(df, rel=1e-12)
    assert result.se == pytest.approx(math.sqrt(v_p + v_c), rel=1e-12)
    half = stats.t.ppf(0.975, df) * math.sqrt(v_p + v_c)
    estimate = programme.mean() - comparison.mean()
    assert result.estimate == pytest.approx(estimate, rel=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx((estimate - half, estimate + half))
    reference = stats.ttest_ind(programme, comparison, equal_var=False)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.k_comparison == 6 and result.relabellings == math.comb(29, 6)


def test_when_relabellings_are_enumerated_then_randomisation_p_equals_brute_force() -> None:
    from analysis.meta import agency_level_did, randomisation_p

    rng = np.random.default_rng(8)
    programme, comparison = rng.normal(4, 5, 7), rng.normal(0, 3, 4)
    values = np.concatenate([programme, comparison])

    def welch_t(a: np.ndarray, b: np.ndarray) -> float:
        return abs(stats.ttest_ind(a, b, equal_var=False).statistic)

    observed = welch_t(programme, comparison)
    count = hits = 0
    for chosen in itertools.combinations(range(11), 4):  # which 4 carry "comparison"
        mask = np.zeros(11, dtype=bool)
        mask[list(chosen)] = True
        count += 1
        hits += welch_t(values[~mask], values[mask]) >= observed - 1e-9
    p, relabellings = randomisation_p(programme, comparison)
    assert relabellings == count == math.comb(11, 4) == 330
    assert p == pytest.approx(hits / count, rel=1e-12)
    # scipy's exact permutation test with the same statistic gives the same p-value.
    reference = stats.permutation_test(
        (programme, comparison),
        lambda a, b: welch_t(a, b),
        permutation_type="independent",
        n_resamples=np.inf,
        alternative="greater",
    )
    assert p == pytest.approx(reference.pvalue, rel=1e-12)
    assert agency_level_did(programme, comparison).p_randomisation == p


def test_when_the_comparison_group_is_the_larger_then_the_enumeration_is_the_same() -> None:
    from analysis.meta import randomisation_p

    rng = np.random.default_rng(9)
    a, b = rng.normal(3, 2, 3), rng.normal(0, 2, 6)
    # |Welch t| is symmetric in the groups: swapping the labels leaves the p-value.
    assert randomisation_p(a, b)[0] == pytest.approx(randomisation_p(b, a)[0], rel=1e-12)


def test_when_relabellings_are_too_many_then_no_randomisation_p_is_given() -> None:
    from analysis.meta import agency_level_did

    rng = np.random.default_rng(2)
    result = agency_level_did(rng.normal(size=23), rng.normal(size=6), max_relabellings=1000)
    assert not result.enumerated and math.isnan(result.p_randomisation)
    assert result.relabellings == 475020 and math.isfinite(result.p_value)


def test_when_two_comparison_agencies_then_the_randomisation_p_is_at_least_one_in_15() -> None:
    from analysis.meta import agency_level_did

    # 4 + 2 agencies give C(6, 2) = 15 relabellings. The two comparison agencies lie far below
    # the programme ones, so no other labelling reaches the observed |t|: p = 1/15, the
    # smallest this design can give, however large the difference.
    result = agency_level_did([10.0, 11.0, 12.0, 13.0], [0.0, 1.0])
    assert result.relabellings == 15
    assert result.p_randomisation == pytest.approx(1 / 15)
    assert result.ci_low > 0  # Welch's interval, df about 2.7, still excludes zero here


def test_when_fewer_than_two_agencies_in_a_group_then_agency_level_did_refuses() -> None:
    from analysis.meta import agency_level_did

    with pytest.raises(ValueError, match="two agencies in each group"):
        agency_level_did([1.0, 2.0, 3.0], [0.5, np.nan])


def test_when_agency_fixed_effects_then_did_matches_statsmodels_with_agency_dummies() -> None:
    data = _did_data(seed=7, did=5.0, per_cell=None)
    result = difference_in_differences(data, reps=99, agency_effects=True)
    followup = (data["wave"] == "followup").astype(float)
    programme = (data["group"] == "programme").astype(float)
    dummies = pd.get_dummies(data["agency_id"]).astype(float)
    x = np.column_stack([dummies.to_numpy(), followup, followup * programme])
    groups = pd.factorize(data["agency_id"], sort=True)[0]
    fit = sm.OLS(data["index"].to_numpy(), x).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert result.agency_effects
    assert result.estimate == pytest.approx(fit.params[-1], rel=1e-10)
    assert result.se_cr1 == pytest.approx(fit.bse[-1], rel=1e-10)
    assert result.ci_low < result.estimate < result.ci_high


def test_when_cells_are_balanced_then_fixed_effects_did_is_the_agency_level_did() -> None:
    from analysis.meta import agency_level_did

    data = _did_data(seed=3, did=5.0)  # 25 answers in every agency and wave
    means = data.groupby(["group", "agency_id", "wave"])["index"].mean().unstack("wave")
    change = means["followup"] - means["baseline"]
    agency = agency_level_did(change.loc["programme"], change.loc["comparison"])
    fixed = difference_in_differences(data, reps=99, agency_effects=True)
    assert fixed.estimate == pytest.approx(agency.estimate, rel=1e-10)


def test_when_rademacher_enumerated_with_agency_effects_then_p_equals_brute_force() -> None:
    data = _did_data(seed=11, did=4.0, n_agencies=6, per_cell=None)
    followup = (data["wave"] == "followup").to_numpy(float)
    programme = (data["group"] == "programme").to_numpy(float)
    groups = pd.factorize(data["agency_id"], sort=True)[0]
    x = np.column_stack([np.eye(6)[groups], followup, followup * programme])
    y = data["index"].to_numpy()

    def cluster_t(outcome: np.ndarray) -> float:
        fit = sm.OLS(outcome, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
        return fit.params[-1] / fit.bse[-1]

    restricted = sm.OLS(y, x[:, :-1]).fit()
    t_obs = cluster_t(y)
    t_star = [
        cluster_t(restricted.fittedvalues + np.asarray(signs)[groups] * restricted.resid)
        for signs in itertools.product([-1.0, 1.0], repeat=6)
    ]
    expected_p = np.mean(np.abs(t_star) >= abs(t_obs) - 1e-9)
    result = difference_in_differences(data, weights="rademacher", reps=999, agency_effects=True)
    assert result.reps == 64
    assert result.p_value == pytest.approx(expected_p)
