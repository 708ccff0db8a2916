"""Tests of analysis.weighting: raking margins, post-stratification, Kish n, weighted change."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.weighting import effective_n, rake, weighted_index_change, weighted_mean_se


def _skewed_sample() -> pd.DataFrame:
    """Cell counts (gender x age): f/young 10, f/mid 25, f/old 5, m/young 30, m/mid 20, m/old 10."""
    counts = {
        ("female", "young"): 10,
        ("female", "mid"): 25,
        ("female", "old"): 5,
        ("male", "young"): 30,
        ("male", "mid"): 20,
        ("male", "old"): 10,
    }
    rows = [{"gender": g, "age": a} for (g, a), n in counts.items() for _ in range(n)]
    return pd.DataFrame(rows, index=pd.RangeIndex(100, 200))


MARGINS = {
    "gender": pd.Series({"female": 0.5, "male": 0.5}),
    "age": pd.Series({"young": 0.3, "mid": 0.4, "old": 0.3}),
}


def test_when_raked_then_weighted_margins_equal_the_targets() -> None:
    sample = _skewed_sample()
    weights = rake(sample, MARGINS)
    assert weights.index.equals(sample.index)
    assert weights.mean() == pytest.approx(1.0)
    for variable, target in MARGINS.items():
        shares = weights.groupby(sample[variable]).sum() / weights.sum()
        np.testing.assert_allclose(shares[target.index].to_numpy(), target.to_numpy(), atol=1e-8)


def test_when_raked_then_cell_odds_ratios_of_the_sample_are_kept() -> None:
    # IPF scales rows and columns only, so it keeps the sample's cross-product ratios
    # (Deming & Stephan, 1940; Bishop, Fienberg & Holland, 1975, ch. 3).
    sample = _skewed_sample()
    weights = rake(sample, MARGINS)
    cells = weights.groupby([sample["gender"], sample["age"]]).sum()

    def odds_ratio(table: pd.Series) -> float:
        return (table["female", "young"] * table["male", "old"]) / (
            table["female", "old"] * table["male", "young"]
        )

    counts = sample.groupby(["gender", "age"]).size().astype(float)
    assert odds_ratio(cells) == pytest.approx(odds_ratio(counts), rel=1e-9)  # 10*10/(5*30)


def test_when_one_variable_then_raking_is_post_stratification() -> None:
    # 30 women and 70 men raked to 50/50: w = 0.5/0.3 for women, 0.5/0.7 for men
    # (these already average 1: 30 * 5/3 + 70 * 5/7 = 100).
    sample = pd.DataFrame({"gender": ["female"] * 30 + ["male"] * 70})
    weights = rake(sample, {"gender": pd.Series({"female": 50, "male": 50})})
    expected = np.where(sample["gender"] == "female", 0.5 / 0.3, 0.5 / 0.7)
    np.testing.assert_allclose(weights.to_numpy(), expected, rtol=1e-12)


def test_when_target_category_absent_from_sample_then_rake_refuses() -> None:
    sample = pd.DataFrame({"gender": ["female"] * 10})
    with pytest.raises(ValueError, match="absent"):
        rake(sample, {"gender": pd.Series({"female": 0.5, "male": 0.5})})


def test_when_raking_variable_has_missing_values_then_rake_refuses() -> None:
    sample = pd.DataFrame({"gender": ["female", None, "male"]})
    with pytest.raises(ValueError, match="missing"):
        rake(sample, {"gender": pd.Series({"female": 0.5, "male": 0.5})})


def test_when_weights_equal_then_kish_n_is_n() -> None:
    assert effective_n(np.full(37, 2.5)) == pytest.approx(37)
    # (1 + 1 + 1 + 3)^2 / (1 + 1 + 1 + 9) = 36 / 12
    assert effective_n([1, 1, 1, 3]) == pytest.approx(3.0)


def test_when_weights_equal_then_weighted_se_is_the_standard_error_of_the_mean() -> None:
    values = np.array([50.0, 75.0, 100.0, 25.0, 75.0, 75.0, 0.0, 100.0])
    mean, se = weighted_mean_se(values, np.ones(len(values)))
    assert mean == pytest.approx(values.mean())
    assert se == pytest.approx(stats.sem(values), rel=1e-12)


def _wave(n_female: int, n_male: int) -> pd.DataFrame:
    """Women answer 4 or 5 (index 75/100, mean 87.5), men 2 or 3 (25/50, mean 37.5)."""
    female = [4.0, 5.0] * (n_female // 2)
    male = [2.0, 3.0] * (n_male // 2)
    return pd.DataFrame({"SAT": female + male, "gender": ["female"] * n_female + ["male"] * n_male})


def test_when_only_the_mix_changes_then_the_weighted_change_is_zero() -> None:
    # Baseline 50/50 -> index 62.5; follow-up 80/20 -> raw 77.5, reweighted 62.5.
    baseline, followup = _wave(40, 40), _wave(64, 16)
    result = weighted_index_change(baseline, followup, "SAT", ["gender"], 1, 5)
    assert result["mean_after_unweighted"] == pytest.approx(77.5)
    assert result["mean_before"] == pytest.approx(62.5)
    assert result["mean_after"] == pytest.approx(62.5)
    assert result["estimate"] == pytest.approx(0.0, abs=1e-9)
    assert result["effective_n2"] < 80
    assert result["ci_low"] < 0 < result["ci_high"]
    # t with the Welch-Satterthwaite df of the effective sizes, not z.
    assert 1 < result["df"] < 80 + result["effective_n2"] - 2
    t_crit = stats.t.ppf(0.975, result["df"])
    assert result["ci_high"] - result["ci_low"] == pytest.approx(2 * t_crit * result["se"])


def test_when_no_weighting_variables_then_change_and_interval_are_welchs() -> None:
    baseline, followup = _wave(40, 40), _wave(64, 16)
    result = weighted_index_change(baseline, followup, "SAT", [], 1, 5)
    x0 = (baseline["SAT"].to_numpy() - 1) / 4 * 100
    x1 = (followup["SAT"].to_numpy() - 1) / 4 * 100
    se = math.sqrt(stats.sem(x0) ** 2 + stats.sem(x1) ** 2)
    assert result["estimate"] == pytest.approx(x1.mean() - x0.mean())
    assert result["se"] == pytest.approx(se, rel=1e-12)
    assert result["effective_n2"] == pytest.approx(80)
    welch = stats.ttest_ind(x1, x0, equal_var=False)
    ci = welch.confidence_interval()
    assert result["df"] == pytest.approx(welch.df, rel=1e-12)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)


def _mixed_waves(seed: int, n0: int = 300, n1: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two waves whose gender x channel mix differs, answers depending on both."""
    rng = np.random.default_rng(seed)

    def wave(n: int, p_female: float, p_online: float, shift: float) -> pd.DataFrame:
        gender = np.where(rng.random(n) < p_female, "female", "male")
        channel = np.where(rng.random(n) < p_online, "online", "in_person")
        centre = 3.0 + 0.6 * (gender == "female") - 0.8 * (channel == "online") + shift
        answers = np.clip(np.round(centre + rng.normal(0, 1.0, n)), 1, 5)
        return pd.DataFrame({"SAT": answers, "gender": gender, "channel": channel})

    return wave(n0, 0.5, 0.2, 0.0), wave(n1, 0.7, 0.5, 0.3)


def test_when_one_variable_then_the_raked_se_is_the_post_stratification_formula_by_hand() -> None:
    # One raking variable is post-stratification: w_i = T_h n / n_h, e_i = y_i - ybar_h, so
    # v1 = n/(n-1) sum_h T_h^2 SS_h / n_h^2; the baseline term is the variance of
    # (ybar1_h(j) - ybar_w) - (y_j - ybar0) over baseline respondents j, divided by n1
    # (Holt & Smith, 1979; the targets T_h are the baseline shares).
    baseline, followup = _mixed_waves(5)
    result = weighted_index_change(baseline, followup, "SAT", ["gender"], 1, 5)
    y0 = (baseline["SAT"] - 1) / 4 * 100
    y1 = (followup["SAT"] - 1) / 4 * 100
    target = baseline["gender"].value_counts(normalize=True)
    stratum_mean = y1.groupby(followup["gender"]).mean()
    ss = ((y1 - followup["gender"].map(stratum_mean)) ** 2).groupby(followup["gender"]).sum()
    n_h = followup["gender"].value_counts()
    n2 = len(followup)
    v1 = n2 / (n2 - 1) * float((target**2 * ss / n_h**2).sum())
    weighted = float((target * stratum_mean).sum())
    z = (baseline["gender"].map(stratum_mean) - weighted) - (y0 - y0.mean())
    v0 = float(z.var(ddof=1)) / len(baseline)
    assert result["mean_after"] == pytest.approx(weighted, rel=1e-12)
    assert result["se"] == pytest.approx(math.sqrt(v0 + v1), rel=1e-9)


@pytest.mark.slow
def test_when_raked_on_two_variables_then_the_se_agrees_with_a_bootstrap_over_respondents():
    # The linearised SE against the bootstrap that re-draws both waves' respondents and
    # re-rakes each time (so the weights and the baseline targets vary as they would).
    # 1000 draws: the bootstrap SE itself is within about 2% (1 / sqrt(2 B)).
    baseline, followup = _mixed_waves(6)
    result = weighted_index_change(baseline, followup, "SAT", ["gender", "channel"], 1, 5)
    rng = np.random.default_rng(7)
    estimates = []
    for _ in range(1000):
        b = baseline.iloc[rng.integers(0, len(baseline), len(baseline))]
        f = followup.iloc[rng.integers(0, len(followup), len(followup))]
        estimates.append(
            weighted_index_change(b, f, "SAT", ["gender", "channel"], 1, 5)["estimate"]
        )
    bootstrap_se = float(np.std(estimates, ddof=1))
    assert result["se"] == pytest.approx(bootstrap_se, rel=0.06)
    print(f"raked change SE: linearised {result['se']:.4f}, bootstrap {bootstrap_se:.4f}")
    # Treating the weights as fixed (the former SE) misses the targets' sampling error.
    x0 = (baseline["SAT"] - 1) / 4 * 100
    naive = math.sqrt(
        stats.sem(x0) ** 2
        + weighted_mean_se(
            (followup["SAT"] - 1) / 4 * 100,
            rake(followup[["gender", "channel"]], _baseline_margins(baseline)),
        )[1]
        ** 2
    )
    assert abs(result["se"] - bootstrap_se) < abs(naive - bootstrap_se)


def _baseline_margins(baseline: pd.DataFrame) -> dict[str, pd.Series]:
    return {v: baseline[v].value_counts(normalize=True) for v in ("gender", "channel")}


def test_when_segment_missing_then_it_is_a_category_of_its_own() -> None:
    baseline, followup = _wave(40, 40), _wave(64, 16)
    baseline.loc[[0, 1], "gender"] = None
    followup.loc[[0, 1, 2, 3], "gender"] = None
    result = weighted_index_change(baseline, followup, "SAT", ["gender"], 1, 5)
    assert (result["n1"], result["n2"]) == (80, 80)
    assert math.isfinite(result["estimate"])


def test_when_a_wave_is_small_then_the_weighted_change_is_suppressed() -> None:
    result = weighted_index_change(_wave(40, 40), _wave(4, 4), "SAT", ["gender"], 1, 5)
    assert result["suppressed"] and math.isnan(result["estimate"]) and result["n2"] == 8


def test_when_a_baseline_category_is_absent_at_follow_up_then_it_leaves_the_targets() -> None:
    # Two baseline men have no gender; no follow-up respondent lacks it. The other 78
    # baseline respondents are 40 women and 38 men: the renormalised targets, so the
    # weighted follow-up index is 40/78 * 87.5 + 38/78 * 37.5 = 63.14...
    baseline, followup = _wave(40, 40), _wave(64, 16)
    baseline.loc[[78, 79], "gender"] = None
    result = weighted_index_change(baseline, followup, "SAT", ["gender"], 1, 5)
    assert result["dropped_categories"] == ["gender=(missing)"]
    assert result["mean_after"] == pytest.approx(40 / 78 * 87.5 + 38 / 78 * 37.5, rel=1e-12)
    assert (
        weighted_index_change(_wave(40, 40), followup, "SAT", ["gender"], 1, 5)[
            "dropped_categories"
        ]
        == []
    )
