"""The intervention report: the dose of each agency, its sentences and the rendered HTML."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from report_checks import assert_stakeholder_html

from analysis.intervention import (
    InterventionReport,
    activity_label,
    intervention_results,
    longest_idle_run,
    median_comparison_key,
)


def _html(displayables) -> str:
    if not isinstance(displayables, list):
        displayables = [displayables]
    return "".join(d.data for d in displayables)


def _weeks(counts: list[int]) -> pd.DataFrame:
    starts = pd.date_range("2025-03-03", periods=len(counts), freq="7D")  # Mondays
    return pd.DataFrame({"week_start": starts, "activities": counts})


# --- pure helpers ---------------------------------------------------------------------------


def test_when_weeks_are_idle_then_the_longest_run_is_named_with_its_first_and_last_day():
    gap = longest_idle_run(_weeks([1, 0, 0, 2, 0, 0, 0, 1, 0]))
    assert gap["weeks"] == 3
    assert gap["start"] == pd.Timestamp("2025-03-31")  # the fifth Monday
    assert gap["end"] == pd.Timestamp("2025-04-20")  # the Sunday two weeks later


def test_when_every_week_is_active_then_there_is_no_idle_run():
    gap = longest_idle_run(_weeks([1, 3, 1]))
    assert gap["weeks"] == 0 and pd.isna(gap["start"])
    assert longest_idle_run(_weeks([]))["weeks"] == 0


def test_when_idle_runs_tie_then_the_first_is_named():
    gap = longest_idle_run(_weeks([0, 0, 1, 0, 0]))
    assert (gap["weeks"], gap["start"]) == (2, pd.Timestamp("2025-03-03"))


def test_when_values_round_to_the_median_then_the_sentence_says_at_the_median():
    assert median_comparison_key(25.4, 24.6) == "median_at"  # both print as 25
    assert median_comparison_key(26.0, 24.6) == "median_above"
    assert median_comparison_key(23.0, 24.6) == "median_below"


def test_when_an_activity_type_is_known_then_it_is_translated_and_others_kept_as_written():
    assert activity_label("Staff workshop ", "ar") == "ورشة عمل للموظفين"
    assert activity_label("staff workshop", "en", in_sentence=True) == "staff workshop"
    assert activity_label("Mystery shopping", "ar") == "Mystery shopping"


# --- numbers --------------------------------------------------------------------------------


def test_when_coverage_is_computed_then_it_is_staff_trained_over_frontline_staff(small_data):
    rows = intervention_results(small_data).set_index("agency_id")
    log = pd.read_csv(small_data.study_dir / "interventions.csv", dtype={"agency_id": str})
    agencies = pd.read_csv(small_data.study_dir / "agencies.csv", dtype={"agency_id": str})
    trained = log.groupby("agency_id")["staff_trained"].sum()
    for _, agency in agencies.iterrows():
        by_hand = trained.get(agency["agency_id"], 0) / agency["frontline_staff"] * 100
        row = rows.loc[agency["agency_id"]]
        assert (row["phase"], row["metric"]) == ("intervention", "coverage")
        assert row["estimate"] == pytest.approx(by_hand, rel=1e-12)
        assert row["n"] == agency["frontline_staff"]
        assert np.isnan(row["ci_low"]) and np.isnan(row["p_value"])


def test_when_the_demo_log_is_read_then_coverage_equals_the_planted_coverage(demo_data):
    truth = json.loads((demo_data.study_dir / "truth.json").read_text(encoding="utf-8"))
    rows = intervention_results(demo_data).set_index("agency_id")["estimate"]
    planted = pd.Series(
        {
            a: v["coverage_percent"]
            for a, v in truth["agencies"].items()
            if v["group"] == "programme"
        }
    )
    assert len(planted) == 24
    np.testing.assert_allclose(rows[planted.index], planted, atol=1e-5)


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_programme_agency_is_described_then_findings_carry_its_numbers(small_data, lang):
    report = InterventionReport(small_data, "AG01", lang)
    findings = report.findings()
    assert 3 <= len(findings) <= 5
    dose = report.dose
    # 6 of 52 staff -> 11.5%, shown as a whole percent in the sentence.
    assert f"{int(dose['staff_trained'])}" in findings[0]
    assert f"{int(dose['frontline_staff'])}" in findings[0]
    assert f"{int(np.floor(dose['coverage_pct'] + 0.5))}%" in findings[0]
    assert all(_html(section) for section in (report.when_active(), report.reach()))


def test_when_the_agency_is_a_comparison_agency_then_the_report_is_short_and_says_why(
    small_data,
):
    report = InterventionReport(small_data, "AG04", "en")
    assert report.is_comparison and report.short
    assert len(report.findings()) == 1
    assert "comparison agency" in report.findings()[0]
    assert report.when_active() == [] and report.reach() == [] and report.what_done() == []


def test_when_the_study_has_no_activity_log_then_the_report_says_so(small_data):
    no_log = replace(small_data, interventions=small_data.interventions.iloc[0:0])
    report = InterventionReport(no_log, "AG01", "en")
    assert report.short
    assert "no activity log" in report.findings()[0]


def test_when_an_unknown_agency_or_language_is_asked_then_the_error_says_which(small_data):
    with pytest.raises(ValueError, match="fr"):
        InterventionReport(small_data, "AG01", "fr")
    with pytest.raises(Exception, match="AG99"):
        InterventionReport(small_data, "AG99", "en")


# --- end to end: the runner's HTML ----------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_an_intervention_report_is_opened_then_it_is_self_contained_and_accessible(
    built_reports, lang
):
    status, reports = built_reports
    assert status == 0
    html = (reports / "AG01" / f"intervention.{lang}.html").read_text(encoding="utf-8")
    images = assert_stakeholder_html(html, lang)
    assert len(images) >= 2
    assert "<caption>" in html and "<th" in html


def test_when_the_coverage_sentence_is_read_then_it_equals_the_results_table(built_reports):
    _, reports = built_reports
    results = pd.read_csv(reports / "results.csv", encoding="utf-8-sig", dtype={"agency_id": str})
    row = results[(results["agency_id"] == "AG01") & (results["metric"] == "coverage")].iloc[0]
    html = (reports / "AG01" / "intervention.en.html").read_text(encoding="utf-8")
    found = re.search(r"(\d+) of (\d+) front-line staff were trained \((\d+)%\)", html)
    assert found, "coverage sentence missing"
    trained, frontline, shown = (int(x) for x in found.groups())
    assert frontline == row["n"]
    assert trained / frontline * 100 == pytest.approx(row["estimate"], rel=1e-9)
    assert shown == int(np.floor(row["estimate"] + 0.5))


def test_when_a_comparison_agency_report_is_built_then_it_has_no_charts(built_reports):
    _, reports = built_reports
    html = (reports / "AG04" / "intervention.en.html").read_text(encoding="utf-8")
    assert "comparison agency" in html
    assert "<img" not in html
    assert (reports / "AG04" / "intervention.ar.html").exists()
