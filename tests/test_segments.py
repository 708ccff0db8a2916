"""Segment gaps against R's t.test, pingouin's Welch ANOVA example and R's p.adjust."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.segments import GAP_COLUMNS, holm, segment_gaps, segment_table

# R's `sleep` data (Cushny & Peebles, 1905): extra hours of sleep in two groups of 10.
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# pingouin's dataset "anova": pain threshold by hair colour (McClave & Dietrich).
PAIN = pd.DataFrame(
    {
        "hair": ["light_blond"] * 5 + ["dark_blond"] * 5 + ["light_brunette"] * 4
        + ["dark_brunette"] * 5,
        "pain": [62, 60, 71, 55, 48, 63, 57, 52, 41, 43, 42, 50, 41, 37, 32, 39, 51, 30, 35],
    }
)  # fmt: skip


def _sleep() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": pd.array(["g1"] * 10 + ["g2"] * 10, dtype="string"),
            "extra": SLEEP_GROUP_1 + SLEEP_GROUP_2,
        }
    )


def test_when_two_groups_are_compared_then_gap_and_p_match_r_welch_t_test():
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95% CI of mean(g1) - mean(g2): -3.3654832 0.2054832.
    # With scale 0..100 the index equals the raw value, so R's numbers apply unchanged.
    gaps = segment_gaps(_sleep(), "group", "extra", 0, 100)
    table = gaps.set_index("group")

    assert list(gaps.columns) == list(GAP_COLUMNS)
    assert table.loc["g1", "estimate"] == pytest.approx(0.75)
    assert table.loc["g2", "estimate"] == pytest.approx(2.33)
    assert table.loc["g1", "gap"] == pytest.approx(-1.58)
    assert table.loc["g1", "gap_ci_low"] == pytest.approx(-3.3654832, abs=1e-7)
    assert table.loc["g1", "gap_ci_high"] == pytest.approx(0.2054832, abs=1e-7)
    assert table.loc["g2", "gap"] == pytest.approx(1.58)
    assert (table["test"] == "welch_t").all()
    assert table.loc["g1", "statistic"] == pytest.approx(-1.8608, abs=1e-4)
    assert table["p_value"].tolist() == pytest.approx([0.07939, 0.07939], abs=1e-5)


def test_when_four_groups_are_compared_then_p_matches_the_welch_anova_example():
    # pingouin.welch_anova docstring (tested against R): F = 5.890115, p = 0.018813.
    table = segment_gaps(PAIN, "hair", "pain", 0, 100, min_report_n=4)
    assert (table["test"] == "welch_anova").all()
    assert table["statistic"].iloc[0] == pytest.approx(5.890115, abs=1e-6)
    assert table["p_value"].iloc[0] == pytest.approx(0.018813, abs=1e-6)
    light_blond = table.set_index("group").loc["light_blond"]
    # 59.2 against the mean of the other 14 answers (sum 613 / 14).
    assert light_blond["gap"] == pytest.approx(59.2 - 613 / 14)


def test_when_a_group_has_nine_answers_then_it_is_suppressed_and_left_out_of_the_test():
    frame = pd.DataFrame(
        {
            "gender": pd.array(["female"] * 12 + ["male"] * 12 + ["other"] * 9, dtype="string"),
            "SAT": [5, 4, 4, 5, 3, 4, 5, 5, 4, 4, 3, 5] + [3, 2, 4, 3, 3, 2, 4, 3, 2, 3, 4, 1]
            + [1] * 9,
        }
    )  # fmt: skip
    table = segment_gaps(frame, "gender", "SAT", 1, 5, min_report_n=10).set_index("group")
    other = table.loc["other"]
    assert other["suppressed"] and math.isnan(other["estimate"]) and other["n"] == 9
    assert math.isnan(other["gap"])
    # Only female and male are tested, so it is a two-group Welch t-test.
    assert (table["test"] == "welch_t").all()
    # The gap of female is against male only: mean answers 51 / 12 and 34 / 12 on 1..5.
    assert table.loc["female", "gap"] == pytest.approx((51 / 12 - 34 / 12) / 4 * 100)


def test_when_only_one_group_is_reported_then_no_test_is_run():
    frame = pd.DataFrame(
        {"gender": pd.array(["female"] * 12 + ["male"] * 3, dtype="string"), "SAT": [4.0] * 15}
    )
    table = segment_gaps(frame, "gender", "SAT", 1, 5)
    assert table["test"].isna().all() and table["p_value"].isna().all()
    assert table["gap"].isna().all()


def test_when_unknown_segment_values_and_missing_answers_exist_then_they_are_dropped():
    frame = _sleep()
    frame.loc[0, "group"] = pd.NA
    frame.loc[15, "extra"] = np.nan
    table = segment_gaps(frame, "group", "extra", 0, 100, min_report_n=5)
    assert table["n"].tolist() == [9, 9]


def test_when_p_values_are_holm_adjusted_then_they_match_r_p_adjust():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") -> 0.05 0.08 0.09 0.09 0.09
    assert holm([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    # R: p.adjust(c(0.04, 0.01, 0.03), "holm") -> 0.06 0.03 0.06; NA stays NA.
    adjusted = holm([0.04, np.nan, 0.01, 0.03])
    assert adjusted[[0, 2, 3]] == pytest.approx([0.06, 0.03, 0.06])
    assert math.isnan(adjusted[1])


def _agency_with_two_segments(agency: str) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 40
    gender = np.repeat(["female", "male"], n // 2)
    age = np.tile(["young", "old"], n // 2)
    sat = np.clip(np.round(3 + (gender == "female") * 1.0 + rng.normal(0, 1, n)), 1, 5)
    return pd.DataFrame(
        {
            "agency_id": pd.array([agency] * n, dtype="string"),
            "wave": pd.array(["baseline"] * n, dtype="string"),
            "gender": pd.array(gender, dtype="string"),
            "age": pd.array(age, dtype="string"),
            "SAT": sat,
        }
    )


def test_when_several_segments_are_tested_then_p_adj_is_holm_within_the_agency():
    responses = pd.concat(
        [_agency_with_two_segments("A1"), _agency_with_two_segments("A2")], ignore_index=True
    )
    table = segment_table(responses, ["gender", "age"], "SAT", 1, 5)
    assert list(table.columns) == ["agency_id", "wave", *GAP_COLUMNS, "p_adj"]
    for _, rows in table.groupby("agency_id"):
        p = rows.groupby("segment")["p_value"].first()
        p_adj = rows.groupby("segment")["p_adj"].first()
        # Holm with m = 2 by hand: the smaller p doubles, the larger is max(2 * p_min, p_max).
        low, high = sorted([p["gender"], p["age"]])
        expected = {p.idxmin(): min(1.0, 2 * low), p.idxmax(): min(1.0, max(2 * low, high))}
        assert p_adj.to_dict() == pytest.approx(expected)
