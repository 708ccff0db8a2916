"""Tests of analysis.change against published R outputs, Newcombe (1998) and hand computations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from analysis.change import (
    HOLM_METRIC,
    adjust_across_agencies,
    adjust_within_agency,
    change_table,
    effect_size_word,
    index_change,
    top2box_change,
    verdict,
)

# R's `sleep` data (Cushny & Peebles): extra sleep under drug 1 and drug 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
Z95 = 1.959963984540054


def test_when_sleep_data_compared_then_welch_matches_r_t_test() -> None:
    # On a 0..100 scale the index is the value itself. R: t.test(extra ~ group, data = sleep)
    # t = -1.8608, df = 17.776, p-value = 0.07939, 95% CI -3.3654832 0.2054832,
    # means 0.75 (group 1) and 2.33 (group 2). after = group 1, before = group 2.
    result = index_change(SLEEP_2, SLEEP_1, scale_min=0, scale_max=100, min_report_n=10)
    assert result["estimate"] == pytest.approx(0.75 - 2.33)
    assert result["t"] == pytest.approx(-1.8608, abs=1e-4)
    assert result["df"] == pytest.approx(17.776, abs=1e-3)
    assert result["p_value"] == pytest.approx(0.07939, abs=1e-5)
    assert result["ci_low"] == pytest.approx(-3.3654832, abs=1e-7)
    assert result["ci_high"] == pytest.approx(0.2054832, abs=1e-7)
    assert (result["n1"], result["n2"], result["suppressed"]) == (10, 10, False)


def test_when_sleep_data_compared_then_mann_whitney_matches_r_wilcox_test() -> None:
    # R: wilcox.test(extra ~ group, data = sleep, exact = FALSE): W = 25.5, p-value = 0.06933
    # (normal approximation with continuity and tie correction). W is U of group 1 (= after).
    result = index_change(SLEEP_2, SLEEP_1, scale_min=0, scale_max=100)
    assert result["mwu_u"] == pytest.approx(25.5)
    assert result["mwu_p"] == pytest.approx(0.06933, abs=1e-5)


def test_when_sleep_data_compared_then_hedges_g_matches_hand_computation() -> None:
    after, before = np.array(SLEEP_1), np.array(SLEEP_2)
    n1, n2 = len(before), len(after)
    pooled_sd = math.sqrt(((n1 - 1) * before.var(ddof=1) + (n2 - 1) * after.var(ddof=1)) / 18)
    d = (after.mean() - before.mean()) / pooled_sd
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = j * d
    variance = j**2 * ((n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2)))

    result = index_change(before, after, scale_min=0, scale_max=100)

    assert g == pytest.approx(-0.797, abs=1e-3)  # worse after: negative
    assert result["hedges_g"] == pytest.approx(g, rel=1e-12)
    assert result["g_variance"] == pytest.approx(variance, rel=1e-12)
    assert result["g_ci_low"] == pytest.approx(g - Z95 * math.sqrt(variance), rel=1e-12)
    assert result["g_ci_high"] == pytest.approx(g + Z95 * math.sqrt(variance), rel=1e-12)


def test_when_waves_swapped_then_signs_flip_and_p_values_stay() -> None:
    declined = index_change(SLEEP_2, SLEEP_1, scale_min=0, scale_max=100)
    improved = index_change(SLEEP_1, SLEEP_2, scale_min=0, scale_max=100)
    assert improved["estimate"] == pytest.approx(-declined["estimate"])
    assert improved["estimate"] > 0 and improved["hedges_g"] > 0
    assert improved["hedges_g"] == pytest.approx(-declined["hedges_g"])
    assert improved["ci_low"] == pytest.approx(-declined["ci_high"])
    assert improved["g_ci_low"] == pytest.approx(-declined["g_ci_high"])
    assert improved["p_value"] == pytest.approx(declined["p_value"])
    assert improved["mwu_p"] == pytest.approx(declined["mwu_p"])
    assert improved["mwu_u"] == pytest.approx(10 * 10 - declined["mwu_u"])


def test_when_scale_is_one_to_five_then_change_is_in_index_points() -> None:
    # Means 3.0 and 3.5 on 1..5 are indices 50 and 62.5.
    before = [1, 2, 3, 4, 5] * 4
    after = [2, 3, 4, 4, 4.5] * 4
    result = index_change(before, after, scale_min=1, scale_max=5)
    assert result["mean_before"] == pytest.approx(50.0)
    assert result["mean_after"] == pytest.approx(62.5)
    assert result["estimate"] == pytest.approx(12.5)


def test_when_answers_missing_then_they_are_not_counted() -> None:
    before = [3.0, np.nan, 4.0] * 5
    after = [5.0, 4.0, np.nan] * 5
    result = index_change(before, after, scale_min=1, scale_max=5)
    assert (result["n1"], result["n2"]) == (10, 10)


def test_when_a_wave_has_fewer_than_min_report_n_then_everything_but_n_is_suppressed() -> None:
    result = index_change([4] * 9 + [5], [5, 4, 3, 5, 5, 4, 4, 5, 5], 1, 5, min_report_n=10)
    assert result["suppressed"] is True
    assert (result["n1"], result["n2"]) == (10, 9)
    for key in ("estimate", "ci_low", "ci_high", "p_value", "hedges_g", "mwu_p", "mwu_u"):
        assert math.isnan(result[key]), key


def test_when_both_waves_constant_then_g_and_p_are_missing_without_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = index_change([5] * 12, [5] * 12, scale_min=1, scale_max=5)
    assert not caught
    assert result["estimate"] == 0.0
    assert math.isnan(result["hedges_g"]) and math.isnan(result["p_value"])


def _top2box_sample(top: int, n: int) -> list[int]:
    return [5] * (top // 2) + [4] * (top - top // 2) + [3] * (n - top)


def test_when_newcombe_example_then_interval_matches_table_ii() -> None:
    # Newcombe (1998), Stat Med 17:873, Table II example (e): 56/70 - 48/80 = 0.2000,
    # method 10 (score, no continuity correction) 0.0524 to 0.3339.
    result = top2box_change(_top2box_sample(48, 80), _top2box_sample(56, 70), scale_max=5)
    assert result["estimate"] == pytest.approx(20.0)
    assert result["ci_low"] == pytest.approx(5.24, abs=0.005)
    assert result["ci_high"] == pytest.approx(33.39, abs=0.005)
    assert result["share_after"] == pytest.approx(80.0)
    assert result["share_before"] == pytest.approx(60.0)


def test_when_newcombe_has_zero_counts_then_bounds_are_the_wilson_limits() -> None:
    # 0/20 - 0/30: Newcombe's L = -(Wilson upper of 0/30), U = Wilson upper of 0/20;
    # Wilson upper of 0/n is z^2 / (n + z^2).
    result = top2box_change([3] * 30, [3] * 20, scale_max=5)
    assert result["estimate"] == 0.0
    assert result["ci_low"] == pytest.approx(-100 * Z95**2 / (30 + Z95**2))
    assert result["ci_high"] == pytest.approx(100 * Z95**2 / (20 + Z95**2))


def test_when_top2box_wave_small_then_suppressed() -> None:
    result = top2box_change([5] * 9, [5] * 40, scale_max=5, min_report_n=10)
    assert result["suppressed"] and math.isnan(result["estimate"]) and result["n1"] == 9


# Hand-computed R p.adjust(p, "holm") and p.adjust(p, "BH") for
# p = c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205):
P_RAW = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]
P_HOLM = [0.008, 0.056, 0.234, 0.234, 0.234, 0.234, 0.234, 0.234]
P_BH = [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.074 * 8 / 7, 0.205]


def test_when_p_values_adjusted_then_holm_and_bh_match_r_p_adjust() -> None:
    np.testing.assert_allclose(adjust_within_agency(P_RAW), P_HOLM, rtol=1e-12)
    np.testing.assert_allclose(adjust_across_agencies(P_RAW), P_BH, rtol=1e-12)


def test_when_p_values_unsorted_with_nan_then_order_kept_and_nan_left_out() -> None:
    # R: p.adjust(c(0.205, NA, 0.001, 0.06, 0.039, 0.008, 0.074, 0.041, 0.042), "BH") keeps
    # the NA and uses n = 8.
    order = [7, 0, 5, 2, 1, 6, 3, 4]
    raw = pd.Series([P_RAW[i] for i in order], index=[f"A{i}" for i in range(8)])
    raw = pd.concat([raw.iloc[:1], pd.Series([np.nan], index=["SUPPRESSED"]), raw.iloc[1:]])
    bh = adjust_across_agencies(raw)
    assert list(bh.index) == list(raw.index)
    assert math.isnan(bh["SUPPRESSED"])
    np.testing.assert_allclose(bh.drop("SUPPRESSED").to_numpy(), [P_BH[i] for i in order])


def _responses() -> pd.DataFrame:
    """Two agencies: A1 with 12 + 12 respondents, A2 with only 5 at follow-up."""
    rng = np.random.default_rng(7)
    rows = []
    for agency, n_base, n_follow in (("A1", 12, 12), ("A2", 15, 5)):
        for wave, n, shift in (("baseline", n_base, 0), ("followup", n_follow, 1)):
            for i in range(n):
                answers = np.clip(rng.integers(1, 5, size=4) + shift, 1, 5).astype(float)
                rows.append(
                    {
                        "agency_id": agency,
                        "wave": wave,
                        "respondent": f"{agency}-{wave}-{i}",
                        "Q1": answers[0],
                        "Q2": answers[1],
                        "Q3": answers[2],
                        "SAT": answers[3],
                    }
                )
    frame = pd.DataFrame(rows)
    # A1 baseline respondent 0 answered only Q1 of (Q1, Q2, Q3): below half, no score.
    frame.loc[0, ["Q2", "Q3"]] = np.nan
    # A1 baseline respondent 1 answered Q1 and Q2 of three: kept (2 of 3 >= half).
    frame.loc[1, "Q3"] = np.nan
    return frame


def test_when_change_table_built_then_rows_follow_the_results_contract() -> None:
    table = change_table(
        _responses(),
        items=["Q1", "Q2", "Q3", "SAT"],
        dimensions={"D1": ["Q1", "Q2", "Q3"]},
        outcome="SAT",
        scale_min=1,
        scale_max=5,
        min_report_n=10,
    )
    assert list(table.columns) == [
        "agency_id", "phase", "wave", "scope", "code", "metric",
        "estimate", "ci_low", "ci_high", "n", "p_value", "p_adj", "p_adj_method",
    ]  # fmt: skip
    assert set(table["phase"]) == {"impact"} and set(table["wave"]) == {""}
    a1 = table[table["agency_id"] == "A1"]
    # outcome (4 metrics and its Holm row) + dimension (3, no top-2-box) + 3 items (4 each);
    # SAT not repeated.
    assert len(a1) == 5 + 3 + 12
    assert set(a1.loc[a1["scope"] == "item", "code"]) == {"Q1", "Q2", "Q3"}
    assert a1.loc[a1["scope"] == "outcome", "code"].unique().tolist() == ["SAT"]
    assert set(a1.loc[a1["scope"] == "dimension", "metric"]) == {"index_diff", "hedges_g", "mwu"}
    # Dimension: 11 of 12 baseline respondents have a score, all 12 at follow-up.
    assert a1.loc[(a1["scope"] == "dimension") & (a1["metric"] == "index_diff"), "n"].item() == 23
    assert a1.loc[(a1["code"] == "Q3") & (a1["metric"] == "index_diff"), "n"].item() == 22
    assert table["n"].dtype == np.int64


def test_when_change_table_built_then_p_adj_is_holm_over_the_agencys_index_diffs() -> None:
    table = change_table(
        _responses(),
        items=["Q1", "Q2", "Q3", "SAT"],
        dimensions={"D1": ["Q1", "Q2", "Q3"]},
        outcome="SAT",
        scale_min=1,
        scale_max=5,
    )
    a1 = table[(table["agency_id"] == "A1") & (table["metric"] == "index_diff")]
    p = a1["p_value"].to_numpy()
    # Holm by hand: sorted p times (m - rank + 1), running maximum, capped at 1.
    order = np.argsort(p)
    stepped = np.minimum(1, np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p)))))
    expected = np.empty_like(p)
    expected[order] = stepped
    np.testing.assert_allclose(a1["p_adj"].to_numpy(), expected)
    assert set(a1["p_adj_method"]) == {"holm"}
    others = ~table["metric"].isin(["index_diff", HOLM_METRIC])
    assert table.loc[others, "p_adj"].isna().all()
    assert (table.loc[others, "p_adj_method"] == "").all()


def test_when_change_table_built_then_the_outcomes_holm_value_has_a_row_of_its_own() -> None:
    table = change_table(
        _responses(),
        items=["Q1", "Q2", "Q3", "SAT"],
        dimensions={"D1": ["Q1", "Q2", "Q3"]},
        outcome="SAT",
        scale_min=1,
        scale_max=5,
    )
    a1 = table[(table["agency_id"] == "A1") & (table["scope"] == "outcome")].set_index("metric")
    headline, holm = a1.loc["index_diff"], a1.loc[HOLM_METRIC]
    columns = ["code", "estimate", "ci_low", "ci_high", "n", "p_value", "p_adj", "p_adj_method"]
    assert holm[columns].tolist() == headline[columns].tolist()
    # Suppressed agency: the Holm row is there, empty, with its n and no method.
    a2 = table[(table["agency_id"] == "A2") & (table["metric"] == HOLM_METRIC)].iloc[0]
    assert np.isnan(a2["p_adj"]) and a2["p_adj_method"] == "" and a2["n"] == 20


def test_when_agency_wave_small_then_rows_kept_with_nan_estimate_and_true_n() -> None:
    table = change_table(
        _responses(),
        items=["Q1", "SAT"],
        dimensions={},
        outcome="SAT",
        scale_min=1,
        scale_max=5,
        min_report_n=10,
    )
    a2 = table[table["agency_id"] == "A2"]
    assert len(a2) == 9  # outcome: 4 metrics and its Holm row; Q1: 4 metrics
    assert a2["estimate"].isna().all() and a2["p_adj"].isna().all()
    assert (a2["p_adj_method"] == "").all()
    assert set(a2["n"]) == {20}


@pytest.mark.parametrize(
    ("g", "word"),
    [(0.0, "negligible"), (-0.19, "negligible"), (0.2, "small"), (-0.49, "small"),
     (0.5, "moderate"), (0.79, "moderate"), (0.8, "large"), (-1.3, "large"), (math.nan, "")],
)  # fmt: skip
def test_when_g_given_then_effect_size_word_follows_cohen_thresholds(g: float, word: str) -> None:
    assert effect_size_word(g) == word


def test_when_interval_excludes_zero_then_verdict_names_the_direction() -> None:
    assert verdict(2.0, 9.0, 0.55) == ("improved", "moderate")
    assert verdict(-9.0, -2.0, -0.25) == ("declined", "small")
    assert verdict(-1.0, 9.0, 0.4) == ("no clear change", "small")
    assert verdict(math.nan, math.nan, math.nan) == ("suppressed", "")


def test_when_adjusted_p_not_significant_then_verdict_is_no_clear_change() -> None:
    assert verdict(0.5, 9.0, 0.3, p_adj=0.12).direction == "no clear change"
    assert verdict(0.5, 9.0, 0.3, p_adj=0.01).direction == "improved"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_when_p_values_are_adjusted_then_numpy_formulas_equal_statsmodels(seed):
    from statsmodels.stats.multitest import multipletests

    from analysis.change import adjust_across_agencies, adjust_within_agency

    p = np.random.default_rng(seed).uniform(0, 0.2, size=17)
    p[3] = p[5]  # a tie
    assert np.allclose(adjust_within_agency(p), multipletests(p, method="holm")[1])
    assert np.allclose(adjust_across_agencies(p), multipletests(p, method="fdr_bh")[1])


def test_when_sleep_data_compared_then_signed_g_equals_pingouin_and_statsmodels() -> None:
    # Two independent implementations of the bias-corrected standardised mean difference:
    # pingouin.compute_effsize(x, y, eftype="hedges") is signed x - y, and statsmodels'
    # effectsize_smd(mean1, sd1, n1, mean2, sd2, n2) is signed 1 - 2. Both say -0.797 here:
    # the "after" group (sleep group 1) is worse, so g is negative.
    from statsmodels.stats.meta_analysis import effectsize_smd

    after, before = np.array(SLEEP_1), np.array(SLEEP_2)
    result = index_change(before, after, scale_min=0, scale_max=100)
    by_pingouin = pg.compute_effsize(after, before, paired=False, eftype="hedges")
    by_statsmodels, _ = effectsize_smd(
        after.mean(), after.std(ddof=1), after.size, before.mean(), before.std(ddof=1), before.size
    )
    assert result["hedges_g"] == pytest.approx(by_pingouin, rel=1e-12)
    assert result["hedges_g"] == pytest.approx(float(by_statsmodels), rel=1e-12)
    swapped = index_change(after, before, scale_min=0, scale_max=100)
    assert swapped["hedges_g"] == pytest.approx(-by_pingouin, rel=1e-12)


def test_when_a_verdict_reads_an_adjusted_p_then_the_shown_interval_agrees_with_it():
    """Issue 13: the interval shown beside a verdict excludes 0 exactly when the word says so."""
    from scipy import stats as st

    from analysis.change import adjusted_interval, shown_change

    rng = np.random.default_rng(13)
    for _ in range(300):
        n0, n1 = rng.integers(10, 300, size=2)
        a = rng.normal(60, 25, n0)
        b = rng.normal(60 + rng.normal(0, 8), 25, n1)
        welch = st.ttest_ind(b, a, equal_var=False)
        ci = welch.confidence_interval()
        estimate, p = float(b.mean() - a.mean()), float(welch.pvalue)
        p_adj = min(1.0, p * rng.choice([1, 1.5, 2, 5, 17]))
        low, high, verdict = shown_change(estimate, ci.low, ci.high, p, p_adj)
        assert low <= estimate <= high
        assert (low > 0 or high < 0) == (p_adj < 0.05), (p, p_adj, low, high)
        assert verdict.direction == (
            "improved" if low > 0 else "declined" if high < 0 else "no clear change"
        )
        if p_adj == p:  # no adjustment: the Welch interval itself
            assert (low, high) == (ci.low, ci.high)
        else:  # wider than the unadjusted interval
            assert low < ci.low and high > ci.high
    # The example: "+10.8 [0.9, 20.8] - no clear change (BH p = 0.07)".
    low, high = adjusted_interval(10.8, 0.9, 20.8, 0.034, 0.07)
    assert low < 0 < high
