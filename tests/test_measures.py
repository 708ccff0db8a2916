"""Scores and levels against published values and hand computations (DESIGN.md section 4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.measures import (
    RESULT_COLUMNS,
    agency_rank,
    cronbach_alpha,
    index_estimate,
    level_table,
    margin_of_error,
    minimum_detectable_change,
    nps,
    respondent_dimension_scores,
    to_index,
    top2box,
)

NAN = np.nan


# --------------------------------------------------------------------------------------------
# Respondent dimension scores and the index scale
# --------------------------------------------------------------------------------------------


def test_when_at_least_half_the_items_are_answered_then_the_score_is_their_mean():
    responses = pd.DataFrame(
        {
            "A": [4.0, 4.0, NAN, NAN],
            "B": [2.0, NAN, NAN, NAN],
            "C": [3.0, 5.0, 1.0, NAN],
            "D": [NAN, NAN, NAN, 5.0],
        }
    )
    scores = respondent_dimension_scores(
        responses, {"ABCD": ["A", "B", "C", "D"], "AB": ["A", "B"]}
    )
    # 4 items: 3 answered -> mean, 2 answered (exactly half) -> kept, 1 answered -> NaN.
    assert scores["ABCD"].tolist()[:2] == [3.0, 4.5]
    assert scores["ABCD"].isna().tolist() == [False, False, True, True]
    # 2 items: 1 answered is half -> kept; none answered -> NaN.
    assert scores["AB"].tolist()[:2] == [3.0, 4.0]
    assert scores["AB"].isna().tolist()[2:] == [True, True]
    assert list(scores.columns) == ["ABCD", "AB"]


def test_when_fewer_than_half_of_three_items_are_answered_then_the_score_is_missing():
    responses = pd.DataFrame({"A": [5.0, 5.0], "B": [NAN, 3.0], "C": [NAN, NAN]})
    scores = respondent_dimension_scores(responses, {"D": ["A", "B", "C"]})
    assert math.isnan(scores.loc[0, "D"])
    assert scores.loc[1, "D"] == 4.0


def test_when_scale_points_are_mapped_then_the_ends_are_0_and_100():
    assert to_index(1, 1, 5) == 0
    assert to_index(5, 1, 5) == 100
    assert to_index(4, 1, 5) == 75
    assert to_index(np.array([0.0, 5.0, 10.0]), 0, 10).tolist() == [0.0, 50.0, 100.0]


# --------------------------------------------------------------------------------------------
# Index, top-2-box, NPS
# --------------------------------------------------------------------------------------------


def test_when_an_index_is_estimated_then_its_interval_is_the_t_interval():
    answers = [1, 2, 2, 3, 3, 3, 4, 4, 5, 5, NAN]
    index = (np.array(answers[:-1]) - 1) / 4 * 100
    se = index.std(ddof=1) / math.sqrt(10)
    low, high = stats.t.interval(0.95, df=9, loc=index.mean(), scale=se)

    result = index_estimate(answers, 1, 5)

    assert result.estimate == pytest.approx(55.0)  # (0+25+25+50+50+50+75+75+100+100)/10
    assert result.n == 10
    assert result.se == pytest.approx(se)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    # Hand check of the critical value: t(0.975, 9) = 2.262 (any t table).
    assert (result.ci_high - result.estimate) / result.se == pytest.approx(2.262, abs=5e-4)


def test_when_nine_answers_then_the_index_is_suppressed_and_ten_are_reported():
    nine = index_estimate([5, 4, 4, 3, 5, 5, 4, 3, 2], 1, 5, min_report_n=10)
    ten = index_estimate([5, 4, 4, 3, 5, 5, 4, 3, 2, 1], 1, 5, min_report_n=10)
    assert nine.suppressed and math.isnan(nine.estimate) and math.isnan(nine.ci_low)
    assert nine.n == 9
    assert not ten.suppressed and ten.estimate == pytest.approx(65.0)
    assert ten.n == 10


def test_when_fewer_than_30_answers_then_the_estimate_is_flagged_low_precision():
    assert index_estimate([3] * 29, 1, 5).low_precision
    assert not index_estimate([3] * 30, 1, 5).low_precision


def test_when_81_of_263_are_top_box_then_the_wilson_interval_matches_newcombe():
    # Newcombe (1998), Stat Med 17:857-872, Table I example: 81/263 -> Wilson 0.2553-0.3662.
    answers = [5] * 40 + [4] * 41 + [3] * 100 + [2] * 50 + [1] * 32 + [NAN] * 7
    result = top2box(answers, scale_max=5)
    assert result.n == 263
    assert result.estimate == pytest.approx(100 * 81 / 263)
    assert result.ci_low == pytest.approx(25.53, abs=0.005)
    assert result.ci_high == pytest.approx(36.62, abs=0.005)


def test_when_top2box_has_nine_answers_then_it_is_suppressed():
    result = top2box([5] * 9, scale_max=5, min_report_n=10)
    assert result.suppressed and math.isnan(result.estimate) and result.n == 9


def test_when_nps_is_computed_then_it_matches_the_multinomial_variance_by_hand():
    # 5 promoters, 2 passives, 3 detractors: NPS = 50 - 30 = 20;
    # Var = (p + d - (p - d)^2) / n = (0.5 + 0.3 - 0.04) / 10 = 0.076.
    answers = [10, 9, 9, 10, 9, 8, 7, 6, 0, 3, NAN]
    result = nps(answers)
    half_width = 1.959964 * 100 * math.sqrt(0.076)
    assert result.n == 10
    assert result.estimate == pytest.approx(20.0)
    assert result.se == pytest.approx(100 * math.sqrt(0.076))
    assert result.ci_low == pytest.approx(20 - half_width, abs=1e-4)
    assert result.ci_high == pytest.approx(20 + half_width, abs=1e-4)


def test_when_every_answer_is_a_promoter_then_nps_is_100_with_the_interval_inside_the_range():
    result = nps([10] * 12)
    assert result.estimate == 100.0
    assert result.ci_high <= 100.0


# --------------------------------------------------------------------------------------------
# Reliability
# --------------------------------------------------------------------------------------------

# pingouin's dataset "cronbach_wide_missing" (12 respondents, 11 binary items).
CRONBACH_WIDE_MISSING = pd.DataFrame(
    {
        "Q1": [1, 1, NAN, 1, 1, 0, 1, 1, 0, 1, 1, 1],
        "Q2": [1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0],
        "Q3": [1, 1, 1, 1, 1, NAN, 1, 1, 0, 0, 1, 0],
        "Q4": [1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1],
        "Q5": [1, 1, NAN, 1, 1, 1, 0, 1, 1, 0, 0, 0],
        "Q6": [1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0],
        "Q7": [1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0],
        "Q8": [1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0],
        "Q9": [1, 0, 1, 1, 1, 0, 0, 0, 0, NAN, 0, 0],
        "Q10": [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
        "Q11": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    },
    dtype=float,
)


# pingouin's dataset "cronbach_alpha" in wide form (15 respondents, 10 Likert items, complete).
CRONBACH_LIKERT = pd.DataFrame(
    {
        "Q1": [3, 5, 7, 2, 6, 1, 4, 2, 6, 5, 4, 4, 5, 6, 4],
        "Q2": [2, 4, 3, 4, 5, 2, 3, 4, 5, 4, 3, 2, 5, 5, 3],
        "Q3": [4, 6, 5, 3, 6, 3, 5, 4, 5, 6, 5, 3, 6, 5, 5],
        "Q4": [1, 3, 5, 3, 5, 4, 3, 3, 5, 4, 2, 2, 2, 4, 5],
        "Q5": [4, 5, 6, 2, 4, 2, 5, 7, 1, 3, 5, 5, 3, 2, 3],
        "Q6": [5, 1, 4, 2, 4, 5, 2, 2, 6, 5, 3, 3, 3, 2, 1],
        "Q7": [1, 2, 3, 2, 4, 2, 1, 2, 5, 3, 2, 4, 2, 1, 3],
        "Q8": [4, 5, 3, 6, 6, 3, 2, 4, 2, 1, 3, 2, 4, 4, 2],
        "Q9": [3, 5, 6, 6, 7, 5, 4, 6, 3, 7, 4, 3, 4, 6, 3],
        "Q10": [2, 5, 5, 3, 5, 2, 3, 5, 2, 2, 1, 4, 5, 5, 4],
    },
    dtype=float,
)


def test_when_alpha_is_computed_then_it_matches_the_published_likert_example():
    # pingouin.cronbach_alpha docstring (tested against R psych): 0.5917188485995826,
    # 95% CI [0.195, 0.84].
    result = cronbach_alpha(CRONBACH_LIKERT)
    assert result.alpha == pytest.approx(0.5917188485995826)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.195, 0.84), abs=1e-3)
    assert result.n == 15
    assert result.low_reliability


def test_when_items_have_missing_answers_then_alpha_and_its_interval_use_complete_cases():
    # Alpha: pingouin docstring, "In R: psych:alpha(data, use='complete.obs')" -> 0.80169...
    # Interval: Feldt et al. (1987) on the n = 9 complete cases, k = 11, by hand:
    # 1 - (1 - alpha) * F(0.975 / 0.025; n - 1, (n - 1)(k - 1)). (pingouin 0.7's own listwise
    # interval [0.581, 0.933] still counts the 12 rows before deletion.)
    alpha = 0.8016949152542373
    low = 1 - (1 - alpha) * stats.f.isf(0.025, 8, 80)
    high = 1 - (1 - alpha) * stats.f.isf(0.975, 8, 80)

    result = cronbach_alpha(CRONBACH_WIDE_MISSING, min_report_n=5)

    assert result.alpha == pytest.approx(alpha)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-12)
    assert result.n == 9  # three respondents have a missing item
    assert not result.low_reliability


def test_when_the_alpha_interval_is_published_then_every_digit_is_feldts_unrounded():
    # Feldt, Woodruff & Salih (1987): [1 - (1 - a) F_0.975(n-1, (n-1)(k-1)),
    # 1 - (1 - a) F_0.025(n-1, (n-1)(k-1))], here n = 15, k = 10, computed independently with
    # the F quantiles from the cumulative side (ppf) rather than the survival side (isf).
    alpha = 0.5917188485995826
    low = 1 - (1 - alpha) * stats.f.ppf(0.975, 14, 126)
    high = 1 - (1 - alpha) * stats.f.ppf(0.025, 14, 126)
    result = cronbach_alpha(CRONBACH_LIKERT)
    assert result.ci_low == pytest.approx(low, rel=1e-12)
    assert result.ci_high == pytest.approx(high, rel=1e-12)
    # pingouin's interval is the same one rounded to 3 decimals: [0.195, 0.84].
    assert round(result.ci_low, 3) == 0.195 and round(result.ci_high, 3) == 0.84
    assert result.ci_low != 0.195 and result.ci_high != 0.84
    # A 90% interval lies inside the 95% one.
    narrower = cronbach_alpha(CRONBACH_LIKERT, confidence=0.90)
    assert result.ci_low < narrower.ci_low < narrower.ci_high < result.ci_high


def test_when_items_do_not_hang_together_then_alpha_is_flagged_below_0_7():
    # Two items, var 5/3 each, total score [4, 3, 7, 6] with var 10/3:
    # alpha = 2 * (1 - (10/3) / (10/3)) = 0.
    items = pd.DataFrame({"A": [1.0, 2, 3, 4], "B": [3.0, 1, 4, 2]})
    result = cronbach_alpha(items, min_report_n=4)
    assert result.alpha == pytest.approx(0.0, abs=1e-12)
    assert result.low_reliability


def test_when_complete_cases_are_under_min_report_n_then_alpha_is_suppressed():
    result = cronbach_alpha(CRONBACH_WIDE_MISSING, min_report_n=10)
    assert math.isnan(result.alpha) and result.n == 9 and not result.low_reliability


# --------------------------------------------------------------------------------------------
# Level table
# --------------------------------------------------------------------------------------------


def _two_agencies() -> pd.DataFrame:
    """Agency A1 with 10 respondents, A2 with 9 (suppressed), one wave."""
    a1 = pd.DataFrame(
        {
            "SAT": [5, 5, 4, 4, 3, 3, 2, 5, 4, 1],
            "Q1": [5, 4, 4, 4, 3, NAN, 2, 5, 4, 1],
            "Q2": [4, 5, 5, 3, 3, 2, 2, NAN, 5, 2],
            "recommend": [10, 9, 8, 7, 6, 5, 10, 9, 9, 0],
        }
    )
    a2 = pd.DataFrame(
        {
            "SAT": [5] * 9,
            "Q1": [4] * 9,
            "Q2": [3] * 9,
            "recommend": [10] * 9,
        }
    )
    frame = pd.concat([a1, a2], ignore_index=True).astype(float)
    frame.insert(0, "agency_id", pd.array(["A1"] * 10 + ["A2"] * 9, dtype="string"))
    frame.insert(1, "wave", pd.array(["baseline"] * 19, dtype="string"))
    return frame


def _level(table: pd.DataFrame, agency: str, code: str, metric: str) -> pd.Series:
    selected = table[
        (table["agency_id"] == agency) & (table["code"] == code) & (table["metric"] == metric)
    ]
    assert len(selected) == 1
    return selected.iloc[0]


def test_when_levels_are_tabled_then_the_columns_are_the_results_contract():
    table = level_table(_two_agencies(), ["SAT", "Q1", "Q2"], {"D": ["Q1", "Q2"]}, "SAT", 1, 5)
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert set(table["phase"]) == {"baseline"}
    assert table["p_value"].isna().all() and table["p_adj"].isna().all()
    rows = table[table["agency_id"] == "A1"]
    assert sorted(zip(rows["scope"], rows["code"], rows["metric"], strict=True)) == sorted(
        [
            ("outcome", "SAT", "index"),
            ("outcome", "SAT", "top2box"),
            ("item", "Q1", "index"),
            ("item", "Q1", "top2box"),
            ("item", "Q2", "index"),
            ("item", "Q2", "top2box"),
            ("dimension", "D", "index"),
            ("dimension", "D", "alpha"),
            ("overall", "recommend", "nps"),
            ("overall", "respondents", "n"),
        ]
    )


def test_when_levels_are_tabled_then_values_match_the_hand_computation():
    table = level_table(_two_agencies(), ["SAT", "Q1", "Q2"], {"D": ["Q1", "Q2"]}, "SAT", 1, 5)
    # SAT of A1: mean answer 3.6 -> (3.6 - 1) / 4 * 100 = 65; top-2-box 6 of 10.
    assert _level(table, "A1", "SAT", "index")["estimate"] == pytest.approx(65.0)
    assert _level(table, "A1", "SAT", "top2box")["estimate"] == pytest.approx(60.0)
    # Q1 has one N/A: n = 9 < 10, suppressed with its true n.
    q1 = _level(table, "A1", "Q1", "index")
    assert math.isnan(q1["estimate"]) and q1["n"] == 9
    # Dimension D: respondent scores 4.5, 4.5, 4.5, 3.5, 3, 2, 2, 5, 4.5, 1.5 (mean 3.5)
    # -> index (3.5 - 1) / 4 * 100 = 62.5, on 10 respondents.
    dimension = _level(table, "A1", "D", "index")
    assert dimension["estimate"] == pytest.approx(62.5) and dimension["n"] == 10
    # NPS of A1: 5 promoters, 3 detractors (6, 5, 0) of 10 -> 20.
    assert _level(table, "A1", "recommend", "nps")["estimate"] == pytest.approx(20.0)
    respondents = _level(table, "A1", "respondents", "n")
    assert respondents["estimate"] == 10 and respondents["n"] == 10


def test_when_an_agency_has_nine_respondents_then_its_estimates_are_suppressed_with_true_n():
    table = level_table(_two_agencies(), ["SAT", "Q1", "Q2"], {"D": ["Q1", "Q2"]}, "SAT", 1, 5)
    a2 = table[(table["agency_id"] == "A2") & (table["metric"] != "n")]
    assert a2["estimate"].isna().all() and a2["ci_low"].isna().all()
    assert (a2["n"] == 9).all()
    assert _level(table, "A2", "respondents", "n")["estimate"] == 9


def test_when_levels_are_not_grouped_by_agency_then_rows_are_programme_level():
    table = level_table(
        _two_agencies(), ["SAT", "Q1", "Q2"], {"D": ["Q1", "Q2"]}, "SAT", 1, 5, by=("wave",)
    )
    assert set(table["agency_id"]) == {"ALL"}
    assert _level(table, "ALL", "respondents", "n")["n"] == 19


def test_when_no_recommend_answers_exist_then_no_nps_row_is_written():
    responses = _two_agencies().assign(recommend=NAN)
    table = level_table(responses, ["SAT", "Q1", "Q2"], {"D": ["Q1", "Q2"]}, "SAT", 1, 5)
    assert "nps" not in set(table["metric"])


# --------------------------------------------------------------------------------------------
# Sample precision
# --------------------------------------------------------------------------------------------


def test_when_no_population_is_given_then_the_margin_is_z_times_the_binomial_se():
    # 1.959964 * sqrt(0.25 / 100) = 0.0979982
    assert margin_of_error(0.5, 100) == pytest.approx(0.0979982, abs=1e-6)


def test_when_the_population_is_finite_then_the_margin_shrinks_by_the_fpc():
    # 0.0979982 * sqrt((1000 - 100) / 999) = 0.0979982 * 0.9491580 = 0.0930158
    assert margin_of_error(0.5, 100, population=1000) == pytest.approx(0.0930158, abs=1e-6)


def test_when_the_population_is_not_larger_than_the_sample_then_no_correction_is_applied():
    assert margin_of_error(0.3, 200, population=150) == pytest.approx(margin_of_error(0.3, 200))


def test_when_64_per_group_then_the_detectable_effect_is_half_a_standard_deviation():
    # Cohen (1988), Table 2.4.1: n = 64 per group detects d = 0.50 at alpha .05, power .80.
    # The normal approximation (1.95996 + 0.84162) * sqrt(2 / 64) = 0.4953 is a lower bound.
    detectable = minimum_detectable_change(64, 64, sd=1.0)
    assert 0.4953 < detectable < 0.5
    assert detectable == pytest.approx(0.5, abs=0.002)
    assert minimum_detectable_change(64, 64, sd=20.0) == pytest.approx(20 * detectable)


def test_when_a_wave_has_one_respondent_then_no_change_is_detectable():
    assert math.isnan(minimum_detectable_change(1, 50, sd=20.0))


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


def _levels(rows: list[tuple[str, float, float, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "agency_id": agency,
                "wave": "baseline",
                "scope": "outcome",
                "code": "SAT",
                "metric": "index",
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "n": n,
            }
            for agency, estimate, low, high, n in rows
        ]
    )


def test_when_intervals_are_far_apart_then_ranks_are_certain_and_targets_flagged():
    levels = _levels(
        [
            ("A", 50.0, 48.0, 52.0, 200),
            ("B", 90.0, 88.0, 92.0, 200),
            ("C", 72.0, 69.0, 75.0, 200),
            ("D", NAN, NAN, NAN, 8),
        ]
    )
    league = agency_rank(levels, "SAT", target=70)
    assert league["agency_id"].tolist() == ["B", "C", "A", "D"]
    assert league["rank"].tolist()[:3] == [1, 2, 3]
    assert league["rank_low"].tolist()[:3] == [1, 2, 3]
    assert league["rank_high"].tolist()[:3] == [1, 2, 3]
    assert league["below_target"].tolist()[:3] == [False, False, True]
    assert league["clearly_below_target"].tolist()[:3] == [False, False, True]
    assert pd.isna(league.loc[3, "rank"]) and pd.isna(league.loc[3, "below_target"])


def test_when_two_intervals_overlap_then_their_rank_intervals_cover_both_ranks():
    levels = _levels([("A", 70.0, 60.0, 80.0, 50), ("B", 71.0, 61.0, 81.0, 50)])
    league = agency_rank(levels, "SAT", target=70)
    assert league["rank_low"].tolist() == [1, 1]
    assert league["rank_high"].tolist() == [2, 2]


def test_when_two_waves_nps_are_compared_then_the_change_and_its_interval_match_a_hand_computation():
    from analysis.measures import nps_diff

    # Baseline: 4 promoters, 3 passives, 3 detractors (n=10) -> NPS 10;
    # follow-up: 12 promoters, 4 passives, 4 detractors (n=20) -> NPS 40.
    before = [10] * 2 + [9] * 2 + [8, 7, 7] + [6, 3, 0]
    after = [10] * 6 + [9] * 6 + [7] * 4 + [5] * 2 + [0] * 2
    result = nps_diff(before, after, min_report_n=10)
    # var = (0.4 + 0.3 - 0.1^2) / 10 + (0.6 + 0.2 - 0.4^2) / 20 = 0.069 + 0.032 = 0.101
    se = 100 * math.sqrt(0.101)
    assert result.estimate == pytest.approx(30.0)
    assert result.se == pytest.approx(se)
    assert result.ci_low == pytest.approx(30.0 - 1.959963984540054 * se)
    assert result.ci_high == pytest.approx(30.0 + 1.959963984540054 * se)
    assert result.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(30.0 / se / math.sqrt(2)))))
    assert result.n == 30
    small = nps_diff(before[:9], after, min_report_n=10)
    assert small.suppressed and math.isnan(small.estimate) and small.n == 29
