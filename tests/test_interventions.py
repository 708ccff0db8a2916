"""Intervention dose per agency: coverage, weeks, mix, timeline, results rows.

Reading and checking ``interventions.csv`` is tested in test_validate.py (load_interventions).

Every expected value is computed by hand from the small frames below (see the comments).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.interventions import (
    activity_mix,
    between_waves_span,
    coverage_table,
    iso_week_start,
    results_rows,
    weekly_timeline,
)
from analysis.measures import RESULT_COLUMNS

# Fieldwork windows: the span between the waves is 2024-12-16 (Mon, the day after baseline
# ends) to 2025-01-19 (Sun, the day before follow-up starts): ISO weeks 2024-W51, 2024-W52,
# 2025-W01 (Mon 2024-12-30), 2025-W02 and 2025-W03, i.e. 5 weeks across the year boundary.
BASELINE = ("2024-12-01", "2024-12-15")
FOLLOWUP = ("2025-01-20", "2025-02-10")


def _agencies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agency_id": pd.array(["A1", "A2", "A3", "C1"], dtype="string"),
            "name_en": ["One", "Two", "Three", "Comparison"],
            "name_ar": ["واحد", "اثنان", "ثلاثة", "مقارنة"],
            "group": pd.array(["programme", "programme", "programme", "comparison"], "string"),
            "frontline_staff": pd.array([20, 10, None, 30], dtype="Int64"),
        }
    )


def _log() -> pd.DataFrame:
    rows = [
        # A1: 5 + 3 + blank = 8 trained of 20 -> 40 %; 3 + 1.5 + 2 = 6.5 hours;
        # weeks 2024-W52 (Mon 12-23) and 2025-W01 (Mon 12-30): 2 active weeks.
        ("A1", "2024-12-23", "workshop", 5, 3.0),
        ("A1", "2025-01-02", "coaching", 3, 1.5),
        ("A1", "2025-01-03", "coaching", None, 2.0),
        # A2: 12 trained of 10 -> 120 % (the log counted someone twice), week 2025-W03.
        ("A2", "2025-01-15", "workshop", 12, 4.0),
        # A3: front-line staff unknown -> no coverage.
        ("A3", "2025-01-07", "workshop", 6, 2.0),
        # C1 (comparison) logged nothing.
    ]
    frame = pd.DataFrame(rows, columns=["agency_id", "date", "activity", "staff_trained", "hours"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["staff_trained"] = frame["staff_trained"].astype("Int64")
    return frame


def _row(table: pd.DataFrame, agency_id: str) -> pd.Series:
    return table.set_index("agency_id").loc[agency_id]


# --------------------------------------------------------------------------------------------
# coverage_table
# --------------------------------------------------------------------------------------------


def test_when_staff_trained_and_frontline_known_then_coverage_is_their_ratio_in_percent():
    table = coverage_table(_log(), _agencies(), BASELINE, FOLLOWUP)
    a1 = _row(table, "A1")
    assert a1["activities"] == 3
    assert a1["staff_trained"] == 8
    assert a1["hours"] == pytest.approx(6.5)
    assert a1["coverage_pct"] == pytest.approx(40.0)
    assert not a1["over_100"]
    assert a1["first_activity"] == pd.Timestamp("2024-12-23")
    assert a1["last_activity"] == pd.Timestamp("2025-01-03")
    assert a1["active_weeks"] == 2


def test_when_log_counts_more_staff_than_frontline_then_coverage_exceeds_100_and_is_flagged():
    a2 = _row(coverage_table(_log(), _agencies(), BASELINE, FOLLOWUP), "A2")
    assert a2["coverage_pct"] == pytest.approx(120.0)
    assert a2["over_100"]


def test_when_frontline_staff_missing_or_zero_then_coverage_is_nan_and_not_ranked():
    agencies = _agencies()
    agencies.loc[1, "frontline_staff"] = 0
    table = coverage_table(_log(), agencies, BASELINE, FOLLOWUP)
    for agency_id in ("A2", "A3"):
        row = _row(table, agency_id)
        assert math.isnan(row["coverage_pct"])
        assert not row["over_100"]
        assert pd.isna(row["coverage_rank"])
    assert pd.isna(_row(table, "A3")["frontline_staff"])
    assert _row(table, "A3")["staff_trained"] == 6


def test_when_windows_given_then_weeks_without_activity_span_the_year_boundary():
    table = coverage_table(_log(), _agencies(), BASELINE, FOLLOWUP)
    # 5 weeks between the waves; A1 active in 2 of them, A2 in 1, A3 in 1 (2025-W02).
    assert table["span_weeks"].tolist() == [5, 5, 5, 5]
    assert table["weeks_without_activity"].tolist() == [3, 4, 4, 5]
    assert _row(table, "A1")["span_start"] == pd.Timestamp("2024-12-16")
    assert _row(table, "A1")["span_end"] == pd.Timestamp("2025-01-19")


def test_when_windows_missing_then_weeks_without_activity_run_from_first_to_last_activity():
    # Fri 2024-12-20 (2024-W51) and Wed 2025-01-08 (2025-W02): weeks W51, W52, 2025-W01, W02,
    # 4 weeks of which 2 without activity (19 days apart, so not 19 // 7 + 1 = 3 weeks).
    log = pd.DataFrame(
        {
            "agency_id": ["A1", "A1"],
            "date": pd.to_datetime(["2024-12-20", "2025-01-08"]),
            "activity": ["workshop", "coaching"],
            "staff_trained": [2, 1],
            "hours": [2.0, 1.0],
        }
    )
    table = coverage_table(log, _agencies())
    a1 = _row(table, "A1")
    assert (a1["span_weeks"], a1["weeks_without_activity"]) == (4, 2)
    # Without windows and without activity, there is no span to count weeks in.
    c1 = _row(table, "C1")
    assert pd.isna(c1["span_weeks"]) and pd.isna(c1["weeks_without_activity"])


def test_when_agency_has_no_activity_then_counts_are_zero_and_coverage_is_zero():
    c1 = _row(coverage_table(_log(), _agencies(), BASELINE, FOLLOWUP), "C1")
    assert (c1["activities"], c1["staff_trained"], c1["hours"], c1["active_weeks"]) == (0, 0, 0, 0)
    assert c1["coverage_pct"] == 0.0
    assert pd.isna(c1["first_activity"]) and pd.isna(c1["last_activity"])
    assert pd.isna(c1["coverage_rank"])  # comparison agencies are not ranked


def test_when_log_is_empty_then_every_agency_gets_a_row_of_zeros():
    empty = _log().iloc[0:0]
    table = coverage_table(empty, _agencies(), BASELINE, FOLLOWUP)
    assert table["agency_id"].tolist() == ["A1", "A2", "A3", "C1"]
    assert table["activities"].tolist() == [0, 0, 0, 0]
    assert table["coverage_pct"].tolist()[:2] == [0.0, 0.0]
    assert table["weeks_without_activity"].tolist() == [5, 5, 5, 5]


def test_when_programme_agencies_have_coverage_then_rank_1_is_highest_and_median_is_shown():
    table = coverage_table(_log(), _agencies(), BASELINE, FOLLOWUP)
    # Ranked: A2 (120 %) then A1 (40 %); A3 has no coverage, C1 is a comparison agency.
    assert _row(table, "A2")["coverage_rank"] == 1
    assert _row(table, "A1")["coverage_rank"] == 2
    assert table["programme_ranked"].unique().tolist() == [2]
    # Median of 40 and 120; hours median over programme agencies of 6.5, 4 and 2.
    assert table["programme_median_coverage_pct"].unique().tolist() == [80.0]
    assert table["programme_median_hours"].unique().tolist() == [4.0]


# --------------------------------------------------------------------------------------------
# Weeks, mix and timeline
# --------------------------------------------------------------------------------------------


def test_when_date_is_new_year_then_iso_week_starts_on_the_monday_of_the_previous_year():
    dates = pd.Series(pd.to_datetime(["2025-01-01", "2024-12-29", "2025-01-05", None]))
    expected = pd.to_datetime(["2024-12-30", "2024-12-23", "2024-12-30", None])
    assert iso_week_start(dates).tolist() == expected.tolist()


def test_when_windows_given_then_span_is_the_days_strictly_between_fieldwork():
    start, end = between_waves_span(BASELINE, FOLLOWUP)
    assert (start, end) == (pd.Timestamp("2024-12-16"), pd.Timestamp("2025-01-19"))
    start, end = between_waves_span(None, FOLLOWUP, "2024-12-20", "2025-01-30")
    assert (start, end) == (pd.Timestamp("2024-12-20"), pd.Timestamp("2025-01-19"))


def test_when_agency_has_two_activity_types_then_mix_sums_them_and_shares_the_hours():
    mix = activity_mix(_log(), "A1")
    # coaching: 2 activities, 1.5 + 2 = 3.5 h, 3 trained; workshop: 1, 3 h, 5 trained.
    assert mix["activity"].tolist() == ["coaching", "workshop"]
    assert mix["activities"].tolist() == [2, 1]
    assert mix["hours"].tolist() == [3.5, 3.0]
    assert mix["staff_trained"].tolist() == [3, 5]
    assert mix["hours_share_pct"].tolist() == pytest.approx([3.5 / 6.5 * 100, 3 / 6.5 * 100])


def test_when_agency_has_no_activity_then_mix_is_empty_with_its_columns():
    mix = activity_mix(_log(), "C1")
    assert mix.empty
    assert list(mix.columns) == [
        "activity",
        "activities",
        "hours",
        "staff_trained",
        "hours_share_pct",
    ]


def test_when_timeline_crosses_new_year_then_it_has_one_row_per_iso_week_with_zeros():
    timeline = weekly_timeline(_log(), "A1", *between_waves_span(BASELINE, FOLLOWUP))
    assert timeline["week"].tolist() == [
        "2024-W51",
        "2024-W52",
        "2025-W01",
        "2025-W02",
        "2025-W03",
    ]
    assert timeline["week_start"].tolist() == list(
        pd.to_datetime(["2024-12-16", "2024-12-23", "2024-12-30", "2025-01-06", "2025-01-13"])
    )
    assert timeline["activities"].tolist() == [0, 1, 2, 0, 0]
    assert timeline["hours"].tolist() == [0.0, 3.0, 3.5, 0.0, 0.0]
    assert timeline["staff_trained"].tolist() == [0, 5, 3, 0, 0]


def test_when_comparison_agency_has_a_span_then_timeline_is_all_zeros():
    timeline = weekly_timeline(_log(), "C1", "2025-01-01", "2025-01-14")
    assert timeline["week"].tolist() == ["2025-W01", "2025-W02", "2025-W03"]
    assert timeline["activities"].tolist() == [0, 0, 0]


# --------------------------------------------------------------------------------------------
# results_rows
# --------------------------------------------------------------------------------------------


def test_when_coverage_table_given_then_results_rows_follow_the_contract():
    rows = results_rows(coverage_table(_log(), _agencies(), BASELINE, FOLLOWUP))
    assert list(rows.columns) == list(RESULT_COLUMNS)
    # A3 (front-line staff unknown) has no row; C1 (no activity) has coverage 0.
    assert rows["agency_id"].tolist() == ["A1", "A2", "C1"]
    assert rows["estimate"].tolist() == pytest.approx([40.0, 120.0, 0.0])
    assert rows["n"].tolist() == [20, 10, 30]
    assert set(rows["phase"]) == {"intervention"}
    assert set(rows["wave"]) == {""}
    assert set(rows["scope"]) == {"overall"}
    assert set(rows["code"]) == {"staff_trained"}
    assert set(rows["metric"]) == {"coverage"}
    assert rows[["ci_low", "ci_high", "p_value", "p_adj"]].isna().all().all()


def test_when_frontline_staff_is_zero_then_results_row_has_empty_estimate_and_n_zero():
    agencies = _agencies()
    agencies.loc[0, "frontline_staff"] = 0
    rows = results_rows(coverage_table(_log(), agencies))
    a1 = _row(rows, "A1")
    assert math.isnan(a1["estimate"]) and a1["n"] == 0
