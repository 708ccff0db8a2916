"""Hijri (Umm al-Qura) dates: conversion, detection in surveys and study.yml, bad dates, display."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from study_builder import BASELINE, make_study, with_cell

from analysis import calendars
from analysis.i18n import fmt_date_long
from analysis.study import parse_study_text
from analysis.validate import load_interventions, load_study, parse_date


@pytest.mark.parametrize(
    ("hijri", "gregorian"),
    [
        ((1446, 1, 1), dt.date(2024, 7, 7)),  # 1 Muharram 1446
        ((1446, 9, 1), dt.date(2025, 3, 1)),  # 1 Ramadan 1446
        ((1446, 7, 5), dt.date(2025, 1, 5)),
        ((1445, 10, 1), dt.date(2024, 4, 10)),  # Eid al-Fitr 1445
    ],
)
def test_when_umm_al_qura_dates_are_converted_then_they_are_the_known_days(hijri, gregorian):
    assert calendars.to_gregorian(*hijri) == gregorian
    assert calendars.to_hijri(gregorian) == hijri


@pytest.mark.parametrize(
    "raw",
    [
        "1446-09-01",
        "1446/9/1",
        "01/09/1446",
        "1.9.1446",
        "١٤٤٦-٠٩-٠١",
        "٠١/٠٩/١٤٤٦",
        "1446-09-01 هـ",
        "01/09/1446هـ",
        "1446-09-01 ه",
        "1446-09-01 AH",
    ],
)
def test_when_a_survey_date_is_hijri_then_it_is_read_as_its_gregorian_day(raw):
    assert parse_date(raw) == (pd.Timestamp(2025, 3, 1), None)


def test_when_a_hijri_date_has_a_time_then_the_time_is_kept():
    assert parse_date("1446-09-01 10:30") == (pd.Timestamp(2025, 3, 1, 10, 30), None)


@pytest.mark.parametrize("raw", ["2025-03-01", "01/03/2025", "1999-12-31"])
def test_when_the_year_is_gregorian_then_the_date_is_gregorian(raw):
    value, problem = parse_date(raw)
    assert problem is None and value.year in (2025, 1999)


@pytest.mark.parametrize(
    "raw",
    ["1446-13-01", "30/12/1446", "1446-00-10", "1320-01-01", "1446-13-05 هـ", "yesterday هـ"],
)
def test_when_a_hijri_date_does_not_exist_then_it_is_one_problem(raw):
    value, problem = parse_date(raw)
    assert pd.isna(value)
    assert problem.startswith("a Hijri (Umm al-Qura) date as YYYY-MM-DD or DD/MM/YYYY")
    assert "1343-1500" in problem and "\n" not in problem


def test_when_a_calendar_is_declared_then_it_decides():
    assert parse_date("2025-03-01", calendar="gregorian") == (pd.Timestamp(2025, 3, 1), None)
    value, problem = parse_date("1446-09-01", calendar="gregorian")
    assert pd.isna(value) and problem.startswith("a date as")
    value, problem = parse_date("2025-03-01", calendar="hijri")  # no Hijri year 2025
    assert pd.isna(value) and problem.startswith("a Hijri")
    assert parse_date("1446-09-01", calendar="hijri") == (pd.Timestamp(2025, 3, 1), None)


def _study_yml(fieldwork: str, calendar: str = "") -> str:
    return f"""
title: {{en: T, ar: ت}}
languages: [ar, en]
scale: {{min: 1, max: 5}}
waves:
  baseline: {{label: {{en: B, ar: ب}}, files: [b.csv], fieldwork: {fieldwork}{calendar}}}
  followup: {{label: {{en: F, ar: ف}}, files: [f.csv]}}
columns: {{agency: agency_id, respondent: id}}
items:
  Q1: {{column: q1, text: {{en: Q, ar: س}}}}
  SAT: {{column: sat, text: {{en: S, ar: ر}}}}
dimensions:
  D: {{label: {{en: D, ar: د}}, stage: before, items: [Q1]}}
outcome: SAT
"""


def test_when_fieldwork_in_study_yml_is_hijri_then_it_becomes_gregorian():
    study, problems = parse_study_text(_study_yml("[1446-07-05, 1446-08-11]"))
    assert problems == []
    assert study.waves["baseline"].fieldwork == (dt.date(2025, 1, 5), dt.date(2025, 2, 10))


def test_when_a_wave_declares_the_hijri_calendar_then_its_fieldwork_is_hijri():
    study, problems = parse_study_text(
        _study_yml("['1446-07-05', '1446-08-11']", ", calendar: hijri")
    )
    assert problems == [] and study.waves["baseline"].fieldwork[0] == dt.date(2025, 1, 5)
    gregorian, problems = parse_study_text(
        _study_yml("[2025-01-05, 2025-02-10]", ", calendar: gregorian")
    )
    assert problems == [] and gregorian.waves["baseline"].fieldwork[0] == dt.date(2025, 1, 5)


def test_when_fieldwork_mixes_a_hijri_and_a_gregorian_year_then_it_is_a_problem():
    """From the new-user test: [1446-07-01, 2025-01-29] was a 579-year window, silently."""
    _, problems = parse_study_text(_study_yml("[1446-07-01, 2025-01-29]"))
    assert len(problems) == 1
    assert "waves.baseline" in problems[0].line()
    assert "fieldwork: both dates in one calendar" in problems[0].line()


def test_when_the_calendar_is_not_known_then_study_yml_names_the_allowed_values():
    _, problems = parse_study_text(_study_yml("[2025-01-05, 2025-02-10]", ", calendar: julian"))
    assert len(problems) == 1
    assert "waves.baseline.calendar" in problems[0].line()
    assert "gregorian" in problems[0].line() and "hijri" in problems[0].line()


def test_when_a_hijri_fieldwork_day_does_not_exist_then_it_is_a_problem():
    _, problems = parse_study_text(_study_yml("['1446-12-30', '1447-01-10']", ", calendar: hijri"))
    assert len(problems) == 1 and "Hijri (Umm al-Qura) dates that exist" in problems[0].line()


def test_when_survey_rows_are_dated_hijri_then_the_tidy_dates_are_gregorian(tmp_path):
    rows = with_cell(BASELINE, 0, date="1446-07-06 هـ")
    rows = with_cell(rows, 1, date="٠٧/٠٧/١٤٤٦")
    ingested = load_study(make_study(tmp_path, baseline=rows))
    assert ingested.ok, [p.line() for p in ingested.problems]
    dates = ingested.responses["date"].tolist()[:3]
    assert dates == [
        pd.Timestamp("2025-01-06"),
        pd.Timestamp("2025-01-07"),
        pd.Timestamp("2025-01-08"),
    ]


def test_when_a_survey_hijri_date_does_not_exist_then_validate_lists_one_line(tmp_path):
    rows = with_cell(BASELINE, 2, date="1446-13-01")
    ingested = load_study(make_study(tmp_path, baseline=rows))
    lines = [p.line() for p in ingested.problems]
    assert len(lines) == 1
    assert lines[0].startswith('surveys/baseline.csv:4:date: "1446-13-01": expected a Hijri')


def test_when_a_wave_declares_gregorian_then_a_hijri_looking_year_is_a_problem(tmp_path):
    rows = with_cell(BASELINE, 0, date="1446-07-06")
    study = {"waves": {"baseline": {"calendar": "gregorian"}}}
    ingested = load_study(make_study(tmp_path, baseline=rows, study=study))
    assert [p.line() for p in ingested.problems] == [
        'surveys/baseline.csv:2:date: "1446-07-06": expected a date as YYYY-MM-DD or DD/MM/YYYY '
        "(or an Excel date), or blank"
    ]


def test_when_the_activity_log_is_dated_hijri_then_it_is_read_and_bad_days_are_named(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "agency_id,date,activity,staff_trained,hours\n"
        "A1,1446-09-01,workshop,5,3\n"
        "A1,15/07/1446 هـ,coaching,2,1\n"
        "A1,1446-13-01,coaching,2,1\n",
        encoding="utf-8",
    )
    frame, problems, _ = load_interventions(tmp_path, ["A1"])
    assert frame["date"].tolist()[:2] == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-01-15")]
    assert [p.line() for p in problems] == [
        'interventions.csv:4:date: "1446-13-01": expected a Hijri (Umm al-Qura) date as '
        "YYYY-MM-DD or DD/MM/YYYY, month 1-12 and a day the month has, years 1343-1500"
    ]


def test_when_a_fieldwork_day_is_shown_then_arabic_adds_the_hijri_date():
    assert fmt_date_long(dt.date(2025, 1, 5), "ar") == "5 يناير 2025م (5 رجب 1446هـ)"
    assert fmt_date_long(pd.Timestamp("2025-03-01"), "ar") == "1 مارس 2025م (1 رمضان 1446هـ)"
    assert fmt_date_long(dt.date(2025, 1, 5), "en") == "5 January 2025"
    assert fmt_date_long(None, "en") == fmt_date_long(pd.NaT, "ar")
