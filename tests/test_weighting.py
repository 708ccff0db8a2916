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
    z = stats.norm.ppf(0.975)
    assert result["ci_high"] - result["ci_low"] == pytest.approx(2 * z * result["se"])


def test_when_no_weighting_variables_then_change_is_the_raw_difference_with_normal_ci() -> None:
    baseline, followup = _wave(40, 40), _wave(64, 16)
    result = weighted_index_change(baseline, followup, "SAT", [], 1, 5)
    x0 = (baseline["SAT"].to_numpy() - 1) / 4 * 100
    x1 = (followup["SAT"].to_numpy() - 1) / 4 * 100
    se = math.sqrt(stats.sem(x0) ** 2 + stats.sem(x1) ** 2)
    assert result["estimate"] == pytest.approx(x1.mean() - x0.mean())
    assert result["se"] == pytest.approx(se, rel=1e-12)
    assert result["effective_n2"] == pytest.approx(80)


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
