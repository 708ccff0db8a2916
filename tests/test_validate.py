"""Mapping raw responses to the tidy columns, the pandera checks, warnings and the command."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from study_builder import (
    BASELINE,
    FOLLOWUP,
    RESPONSE_COLUMNS,
    csv_text,
    make_study,
    sav_study,
    with_cell,
)

from analysis.io import Problem
from analysis.study import parse_study_text
from analysis.validate import (
    format_problems,
    load_interventions,
    load_study,
    parse_date,
    parse_duration,
    parse_recommend,
    parse_scale_value,
    responses_schema,
    run_validate,
    schema_problems,
)

STUDY, _ = parse_study_text(
    """\
title: {en: T, ar: ت}
languages: [ar, en]
scale:
  min: 1
  max: 5
  not_applicable: [9, 99]
  labels:
    1: {en: Strongly disagree, ar: لا أوافق بشدة}
    4: {en: Agree, ar: أوافق}
    9: {en: Not applicable, ar: لا ينطبق}
waves:
  pre: {label: {en: Before, ar: قبل}, files: [b.csv]}
  post: {label: {en: After, ar: بعد}, files: [f.csv]}
columns: {respondent: id, agency: agency}
items:
  SAT: {column: sat, text: {en: Satisfied, ar: راض}}
dimensions: {}
outcome: SAT
"""
)


def _problem_lines(ingested) -> list[str]:
    return [p.line() for p in ingested.problems]


# --------------------------------------------------------------------------------------------
# Single values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("4", 4.0),
        ("4.0", 4.0),
        ("٤", 4.0),  # Arabic-Indic four
        ("۴", 4.0),  # Persian four
        ("Agree", 4.0),
        (" agree  ", 4.0),
        ("AGREE", 4.0),
        ("أوافق", 4.0),
        ("strongly   DISAGREE", 1.0),
        ("لا أوافق بشدة", 1.0),
        ("6", 6.0),  # a number passes parsing; the schema reports the range
        ("7.5", 7.5),
    ],
)
def test_when_item_answer_is_a_number_or_label_then_it_maps_to_its_code(raw, code):
    assert parse_scale_value(raw, STUDY) == (code, None)


@pytest.mark.parametrize("raw", ["", "9", "99", "٩", "9.0", "Not applicable", "لا ينطبق"])
def test_when_item_answer_is_blank_or_declared_na_then_it_is_nan(raw):
    value, problem = parse_scale_value(raw, STUDY)
    assert math.isnan(value) and problem is None


@pytest.mark.parametrize("raw", ["Very good", "Agree strongly", "4 stars", "N/A"])
def test_when_item_answer_is_unknown_text_then_problem_lists_what_is_allowed(raw):
    value, problem = parse_scale_value(raw, STUDY)
    assert math.isnan(value)
    assert problem == (
        'a scale code 1-5, an N/A code (9, 99), a label of scale.labels (e.g. "Strongly disagree"), '
        "or blank"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-05", dt.datetime(2025, 1, 5)),
        ("2025-01-05 09:30", dt.datetime(2025, 1, 5, 9, 30)),
        ("2025-01-05T09:30:15", dt.datetime(2025, 1, 5, 9, 30, 15)),
        ("2025/1/5", dt.datetime(2025, 1, 5)),
        ("07/01/2025", dt.datetime(2025, 1, 7)),  # day first
        ("7.1.2025", dt.datetime(2025, 1, 7)),
        ("٠٧/٠١/٢٠٢٥", dt.datetime(2025, 1, 7)),
        ("45658", dt.datetime(2025, 1, 1)),  # Excel serial of 1 January 2025
        ("45658.5", dt.datetime(2025, 1, 1, 12)),
    ],
)
def test_when_date_is_iso_day_first_or_excel_then_it_parses(raw, expected):
    assert parse_date(raw) == (pd.Timestamp(expected), None)


@pytest.mark.parametrize(
    "raw", ["31/02/2025", "2025-13-01", "yesterday", "2025", "01/05/25", "01/01/9999", "0025-01-05"]
)
def test_when_date_is_not_a_date_then_problem(raw):
    value, problem = parse_date(raw)
    assert pd.isna(value) and problem.startswith("a date as YYYY-MM-DD or DD/MM/YYYY")


def test_when_date_is_blank_then_nat_without_problem():
    value, problem = parse_date("")
    assert pd.isna(value) and problem is None


@pytest.mark.parametrize(
    ("raw", "seconds"), [("300", 300.0), ("5:30", 330.0), ("1:02:03", 3723.0), ("٣٠٠", 300.0)]
)
def test_when_duration_is_seconds_or_a_clock_then_it_is_seconds(raw, seconds):
    assert parse_duration(raw) == (seconds, None)


def test_when_duration_is_text_then_problem():
    assert parse_duration("fast")[1].startswith("a duration in seconds")


def test_when_recommend_is_a_number_then_it_passes_and_text_is_a_problem():
    assert parse_recommend("١٠") == (10.0, None)
    assert parse_recommend("ten")[1] == "a whole number 0-10, or blank"


# --------------------------------------------------------------------------------------------
# The schema on its own
# --------------------------------------------------------------------------------------------


def _tidy(sat: list[float], agency: list[str | None]) -> pd.DataFrame:
    n = len(sat)
    return pd.DataFrame(
        {
            "agency_id": pd.array(agency, dtype="string"),
            "wave": pd.array(["baseline"] * n, dtype="string"),
            "respondent": pd.array([f"r{i}" for i in range(n)], dtype="string"),
            "source_file": pd.array(["b.csv"] * n, dtype="string"),
            "source_row": np.arange(2, n + 2, dtype="int64"),
            "date": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
            "duration_s": np.full(n, np.nan),
            "comment": pd.array([None] * n, dtype="string"),
            "SAT": np.asarray(sat, dtype="float64"),
            "recommend": np.full(n, np.nan),
        }
    )


def test_when_schema_finds_out_of_range_codes_and_unknown_agencies_then_problems_point_at_rows():
    frame = _tidy([4.0, 6.0, np.nan, 0.0], ["A", "A", "Z", None])
    cells = pd.DataFrame(
        {"SAT": ["4", "6", "", "0"], "agency_id": ["A", "A", "Z", ""]}, dtype=object
    )
    problems = schema_problems(
        frame, cells, {"SAT": "sat", "agency_id": "agency"}, responses_schema(STUDY, ["A"])
    )
    lines = sorted(p.line() for p in problems)
    expected_scale = STUDY and (
        'a scale code 1-5, an N/A code (9, 99), a label of scale.labels (e.g. "Strongly disagree"), '
        "or blank"
    )
    assert lines == sorted(
        [
            f'b.csv:3:sat: "6": expected {expected_scale}',
            f'b.csv:5:sat: "0": expected {expected_scale}',
            'b.csv:4:agency: "Z": expected an agency_id listed in agencies.csv',
            'b.csv:5:agency: "": expected an agency id (it is blank)',
        ]
    )


def test_when_frame_is_valid_then_schema_gives_no_problems():
    frame = _tidy([1.0, 5.0, np.nan], ["A", "A", "A"])
    assert (
        schema_problems(frame, pd.DataFrame(index=frame.index), {}, responses_schema(STUDY, ["A"]))
        == []
    )


# --------------------------------------------------------------------------------------------
# A whole study folder
# --------------------------------------------------------------------------------------------


def test_when_study_is_valid_then_every_row_is_mapped_as_the_builder_says(tmp_path):
    ingested = load_study(make_study(tmp_path))
    assert ingested.ok and ingested.warnings == []
    frame = ingested.responses
    assert len(frame) == 12
    first = frame.iloc[0]
    assert (first["agency_id"], first["wave"], first["respondent"]) == ("A01", "baseline", "b1")
    assert (first["source_file"], first["source_row"]) == ("surveys/baseline.csv", 2)
    assert first["date"] == pd.Timestamp("2025-01-06")
    # Row b2: N/A 9 on q2 -> NaN; "07/01/2025" is 7 January; blank comment -> NA; gender 2.
    b2 = frame.iloc[1]
    assert math.isnan(b2["INFO"]) and b2["date"] == pd.Timestamp("2025-01-07")
    assert pd.isna(b2["comment"]) and b2["gender"] == "female"
    assert frame["gender"].iloc[:6].tolist()[:4] == ["male", "female", "female", "male"]
    assert pd.isna(frame["gender"].iloc[4])  # blank segment -> NA
    assert frame["SAT"].tolist() == [4, 3, 2, 5, 4, 4, 5, 4, 4, 4, 3, 4]
    assert frame["recommend"].iloc[:6].tolist() == [8, 6, 3, 10, 7, 9]
    assert frame["wave"].tolist() == ["baseline"] * 6 + ["followup"] * 6


def test_when_study_is_valid_then_dtypes_are_those_of_the_architecture_table(tmp_path):
    frame = load_study(make_study(tmp_path)).responses
    dtypes = {c: str(t) for c, t in frame.dtypes.items()}
    assert dtypes == {
        "agency_id": "string",
        "wave": "string",
        "respondent": "string",
        "source_file": "string",
        "source_row": "int64",
        "date": "datetime64[ns]",
        "duration_s": "float64",
        "comment": "string",
        "REQ": "float64",
        "INFO": "float64",
        "COURT": "float64",
        "SPEED": "float64",
        "SAT": "float64",
        "recommend": "float64",
        "gender": "string",
        "platform_flag": "string",
    }


def test_when_optional_fields_are_not_declared_then_their_columns_are_empty(tmp_path):
    from study_builder import DELETE

    root = make_study(
        tmp_path,
        study={
            "columns": {"date": DELETE, "duration_s": DELETE, "comment": DELETE},
            "recommend": DELETE,
        },
    )
    ingested = load_study(root)
    assert ingested.ok
    frame = ingested.responses
    assert frame["date"].isna().all() and frame["duration_s"].isna().all()
    assert frame["comment"].isna().all() and frame["recommend"].isna().all()
    assert any(
        "columns not used by study.yml: date, duration_s, comment, nps" in w
        for w in ingested.warnings
    )


def test_when_one_file_has_a_wave_column_then_rows_are_split_by_its_value(tmp_path):
    rows = [dict(r, round="1") for r in BASELINE] + [dict(r, round="الثاني") for r in FOLLOWUP]
    root = make_study(
        tmp_path,
        study={
            "columns": {"wave": "round"},
            "waves": {
                "baseline": {"files": ["surveys/all.csv"], "value": 1},
                "followup": {"files": ["surveys/all.csv"], "values": [2, "الثاني"]},
            },
        },
        files={"surveys/all.csv": csv_text(rows)},
    )
    ingested = load_study(root)
    assert _problem_lines(ingested) == []
    frame = ingested.responses
    assert len(frame) == 12  # the file is listed on both waves but read once
    assert frame["wave"].tolist() == ["baseline"] * 6 + ["followup"] * 6
    assert frame["source_row"].tolist() == list(range(2, 14))


def test_when_wave_value_is_unknown_then_problem_names_the_values(tmp_path):
    rows = [dict(r, round="1") for r in BASELINE]
    rows[2]["round"] = "3"
    root = make_study(
        tmp_path,
        study={
            "columns": {"wave": "round"},
            "waves": {
                "baseline": {"files": ["surveys/all.csv"], "value": 1},
                "followup": {"files": ["surveys/all.csv"], "value": 2},
            },
        },
        files={"surveys/all.csv": csv_text(rows)},
    )
    assert _problem_lines(load_study(root)) == [
        'surveys/all.csv:4:round: "3": expected a wave value of study.yml: "1" (baseline), "2" (followup)'
    ]


def test_when_responses_are_xlsx_then_numbers_and_dates_map_like_csv(tmp_path):
    root = make_study(tmp_path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(RESPONSE_COLUMNS)
    for row in BASELINE:
        cells = [row[c] for c in RESPONSE_COLUMNS]
        cells[2] = dt.datetime.fromisoformat(row["date"]) if "-" in row["date"] else row["date"]
        cells[5:11] = [float(v) if v else None for v in cells[5:11]]  # q1..sat, nps as numbers
        sheet.append(cells)
    workbook.save(root / "surveys" / "baseline.xlsx")
    (root / "surveys" / "baseline.csv").unlink()
    text = (root / "study.yml").read_text(encoding="utf-8").replace("baseline.csv", "baseline.xlsx")
    (root / "study.yml").write_text(text, encoding="utf-8")
    ingested = load_study(root)
    assert ingested.ok, _problem_lines(ingested)
    base = ingested.responses[ingested.responses["wave"] == "baseline"]
    assert base["SAT"].tolist() == [4, 3, 2, 5, 4, 4]
    assert base["date"].tolist()[:2] == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-07")]
    assert base["source_file"].iloc[0] == "surveys/baseline.xlsx"


@pytest.mark.parametrize("labelled", [True, False])
def test_when_responses_are_spss_then_labels_and_bare_codes_both_map(tmp_path, labelled):
    ingested = load_study(sav_study(tmp_path, labelled))
    assert ingested.ok, _problem_lines(ingested)
    base = ingested.responses[ingested.responses["wave"] == "baseline"]
    assert base["REQ"].tolist()[:2] == [1.0, 4.0] and math.isnan(base["REQ"].iloc[2])
    assert base["SAT"].tolist() == [5.0, 4.0, 1.0]
    assert base["recommend"].tolist() == [9.0, 10.0, 0.0]
    assert base["gender"].tolist() == ["male", "female", "female"]
    assert base["source_row"].tolist() == [2, 3, 4]


def test_when_agency_id_lost_its_leading_zeros_then_it_still_matches(tmp_path):
    agencies = "agency_id,name_en,name_ar,group\n007,A,أ,programme\n008,B,ب,comparison\n"
    base = [dict(r, agency_id="7" if r["agency_id"] == "A01" else "008") for r in BASELINE]
    foll = [dict(r, agency_id="007" if r["agency_id"] == "A01" else "٠٠٨") for r in FOLLOWUP]
    ingested = load_study(
        make_study(tmp_path, baseline=base, followup=foll, files={"agencies.csv": agencies})
    )
    assert ingested.ok, _problem_lines(ingested)
    assert (
        ingested.responses["agency_id"].tolist()
        == ["007"] * 3 + ["008"] * 3 + ["007"] * 3 + ["008"] * 3
    )


def test_when_a_column_is_missing_then_one_problem_on_row_1_and_none_per_row(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "response_id"} for r in BASELINE]
    ingested = load_study(make_study(tmp_path, baseline=rows))
    assert _problem_lines(ingested) == [
        "surveys/baseline.csv:1:response_id: expected a column 'response_id' (columns.respondent in study.yml)"
    ]


def test_when_headers_differ_in_case_or_spaces_then_they_still_match(tmp_path):
    rows = [{("Q1 " if k == "q1" else k): v for k, v in r.items()} for r in BASELINE]
    ingested = load_study(make_study(tmp_path, baseline=rows))
    assert ingested.ok and ingested.responses["REQ"].iloc[0] == 4.0


def test_when_many_rows_have_the_same_error_then_values_and_rows_are_all_listed(tmp_path):
    base = with_cell(BASELINE, 0, q1=6, nps=11, gender="other")
    base = with_cell(base, 3, q1="Very good", agency_id="A09", date="2025-02-30")
    lines = _problem_lines(load_study(make_study(tmp_path, baseline=base)))
    assert sorted(lines) == sorted(
        [
            'surveys/baseline.csv:5:q1: "Very good": expected a scale code 1-5, an N/A code (9), '
            'a label of scale.labels (e.g. "Strongly disagree"), or blank',
            'surveys/baseline.csv:2:q1: "6": expected a scale code 1-5, an N/A code (9), '
            'a label of scale.labels (e.g. "Strongly disagree"), or blank',
            'surveys/baseline.csv:2:nps: "11": expected a whole number 0-10, or blank',
            'surveys/baseline.csv:2:gender: "other": expected a value listed under segments for '
            'column \'gender\' ("1", "ذكر", "Male", "2", "أنثى", "Female"), or blank',
            'surveys/baseline.csv:5:agency_id: "A09": expected an agency_id listed in agencies.csv',
            'surveys/baseline.csv:5:date: "2025-02-30": expected a date as YYYY-MM-DD or DD/MM/YYYY '
            "(or an Excel date), or blank",
        ]
    )


def test_when_inputs_are_suspicious_but_valid_then_warnings_not_problems(tmp_path):
    base = [dict(r, extra="x") for r in BASELINE]
    foll = [
        dict(r, agency_id="A01", q1="9", q2="", q3="", q4="", sat="", comment="ممتاز")
        for r in FOLLOWUP
    ]
    agencies = "agency_id,name_en,name_ar,group\nA01,A,أ,programme\nA02,B,ب,comparison\nA03,C,ج,programme\n"
    ingested = load_study(
        make_study(
            tmp_path,
            baseline=base,
            files={
                "agencies.csv": agencies,
                "surveys/followup.csv": csv_text(foll).encode("cp1256"),
            },
        )
    )
    assert ingested.ok
    assert ingested.warnings == [
        "surveys/baseline.csv: columns not used by study.yml: extra",
        "surveys/followup.csv: not UTF-8; read as Arabic Windows-1256 (check that Arabic text "
        "looks right, or save the file as 'CSV UTF-8')",
        "wave 'baseline': no responses from 1 agency(ies) of agencies.csv: A03",
        "wave 'followup': no responses from 2 agency(ies) of agencies.csv: A02, A03",
        "wave 'followup': every item is N/A or blank in all 6 rows",
    ]


def test_when_interventions_are_given_then_they_are_read_and_checked(tmp_path):
    text = (
        "agency_id,date,activity,staff_trained,hours\n"
        "A01,2025-03-01,LAST training,12,3.5\n"
        "A02,03/04/2025,Procedure review,,\n"
        "A09,someday,Training,two,-1\n"
    )
    ingested = load_study(make_study(tmp_path, files={"interventions.csv": text}))
    assert _problem_lines(ingested) == [
        'interventions.csv:4:agency_id: "A09": expected an agency_id listed in agencies.csv',
        'interventions.csv:4:date: "someday": expected a date as YYYY-MM-DD or DD/MM/YYYY (or an Excel date)',
        'interventions.csv:4:staff_trained: "two": expected a whole number of 0 or more, or blank',
        'interventions.csv:4:hours: "-1": expected a number of hours of 0 or more, or blank',
    ]
    frame = ingested.interventions
    assert frame["date"].tolist()[:2] == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-04-03")]
    assert frame["staff_trained"].tolist()[0] == 12 and frame["staff_trained"].isna().tolist()[1]
    assert frame["hours"].tolist()[0] == 3.5


def _write_interventions(tmp_path, text: str):
    (tmp_path / "interventions.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_when_log_has_bad_cells_then_each_is_one_line_with_its_spreadsheet_row(tmp_path):
    study_dir = _write_interventions(
        tmp_path,
        (
            "agency_id,date,activity,staff_trained,hours\n"
            "A1,2025-01-05,workshop,5,3\n"  # row 2: fine
            "X9,2025-01-06,workshop,2,1\n"  # row 3: unknown agency
            "A1,31/02/2025,coaching,1,1\n"  # row 4: no 31 February
            "A1,06/01/2025,coaching,-2,1.5\n"  # row 5: day/month/year is fine; staff < 0
            "A1,2025-01-07,,2.5,-1\n"  # row 6: no activity, half a person, negative hours
        ),
    )
    frame, problems, warnings = load_interventions(study_dir, ["A1", "A2"])
    assert [problem.line() for problem in problems] == [
        'interventions.csv:3:agency_id: "X9": expected an agency_id listed in agencies.csv',
        'interventions.csv:4:date: "31/02/2025": expected a date as YYYY-MM-DD or DD/MM/YYYY '
        "(or an Excel date)",
        'interventions.csv:5:staff_trained: "-2": expected a whole number of 0 or more, or blank',
        'interventions.csv:6:activity: "": expected the name of the activity',
        'interventions.csv:6:staff_trained: "2.5": expected a whole number of 0 or more, or blank',
        'interventions.csv:6:hours: "-1": expected a number of hours of 0 or more, or blank',
    ]
    assert warnings == []
    assert len(frame) == 5
    assert frame.loc[3, "date"] == pd.Timestamp("2025-01-06")  # 06/01/2025 is 6 January


def test_when_log_is_clean_then_values_are_typed_and_blanks_are_missing(tmp_path):
    study_dir = _write_interventions(
        tmp_path,
        "Agency_ID,Date,Activity,Staff_Trained,Hours\n"
        "7,05/01/2025,ورشة عمل,,2.5\n"  # Excel dropped the zeros of 007
        "007,2025-01-09,coaching,٣,\n",  # Arabic-Indic 3
    )
    frame, problems, _ = load_interventions(study_dir, ["007", "A2"])
    assert problems == []
    assert frame["agency_id"].tolist() == ["007", "007"]
    assert frame["date"].tolist() == [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-01-09")]
    assert frame["activity"].tolist() == ["ورشة عمل", "coaching"]
    assert frame["staff_trained"].tolist() == [pd.NA, 3]
    assert frame["hours"].iloc[0] == 2.5 and math.isnan(frame["hours"].iloc[1])


def test_when_two_listed_ids_share_a_number_then_the_bare_number_matches_neither(tmp_path):
    # "7" could be 007 or 0007: a guess would credit the wrong agency, so it is a problem.
    study_dir = _write_interventions(tmp_path, "agency_id,date,activity\n7,2025-01-05,workshop\n")
    _, problems, _ = load_interventions(study_dir, ["007", "0007"])
    assert [problem.line() for problem in problems] == [
        'interventions.csv:2:agency_id: "7": expected an agency_id listed in agencies.csv'
    ]


def test_when_log_file_is_missing_then_frame_is_empty_and_there_is_no_problem(tmp_path):
    frame, problems, warnings = load_interventions(tmp_path, ["A1"])
    assert (problems, warnings) == ([], [])
    assert frame.empty
    assert list(frame.columns) == ["agency_id", "date", "activity", "staff_trained", "hours"]


def test_when_required_column_is_missing_then_problem_names_it_on_row_1(tmp_path):
    study_dir = _write_interventions(tmp_path, "agency_id,date,staff_trained\nA1,2025-01-05,3\n")
    _, problems, _ = load_interventions(study_dir, ["A1"])
    assert [problem.line() for problem in problems] == [
        "interventions.csv:1:activity: expected a column 'activity' (agency_id, date, activity)"
    ]


def test_when_the_study_folder_is_missing_then_one_problem(tmp_path):
    ingested = load_study(tmp_path / "nope")
    assert _problem_lines(ingested) == [f"{tmp_path / 'nope'}: expected an existing study folder"]
    assert ingested.study is None and ingested.responses.empty


# --------------------------------------------------------------------------------------------
# Printing and the command
# --------------------------------------------------------------------------------------------


def test_when_more_than_20_problems_share_a_column_then_the_rest_are_counted():
    problems = [Problem("b.csv", row, "q1", "6", "a code") for row in range(2, 27)]
    problems.append(Problem("b.csv", 3, "q2", "0", "a code"))
    lines = format_problems(problems)
    assert len(lines) == 22
    assert lines[19] == 'b.csv:21:q1: "6": expected a code'
    assert lines[20] == "b.csv:q1: ... and 5 more like this"
    assert lines[21] == 'b.csv:3:q2: "0": expected a code'


def test_when_study_is_valid_then_run_validate_returns_0_and_says_ok(tmp_path, capsys):
    assert run_validate(make_study(tmp_path)) == 0
    out, err = capsys.readouterr()
    assert out == "ok: Test study: 12 responses from 2 agencies in 2 waves\n"
    assert err == ""


def test_when_study_has_problems_then_run_validate_returns_2_and_lists_them(tmp_path, capsys):
    base = with_cell(BASELINE, 0, q1=6)
    root = make_study(tmp_path, baseline=base, study={"outcome": "NOPE"})
    outcome_line = (
        (root / "study.yml").read_text(encoding="utf-8").splitlines().index("outcome: NOPE")
    )
    assert run_validate(root) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f'study.yml:{outcome_line + 1}:outcome: "NOPE": expected an item code (REQ, INFO, COURT, SPEED, SAT)',
        'surveys/baseline.csv:2:q1: "6": expected a scale code 1-5, an N/A code (9), a label of '
        'scale.labels (e.g. "Strongly disagree"), or blank',
        "2 problem(s) in 2 file(s): fix them and run validate again",
    ]


def test_when_one_item_of_study_yml_is_broken_then_data_problems_are_listed_in_the_same_run(
    tmp_path,
):
    from study_builder import BASELINE, with_cell

    root = make_study(
        tmp_path,
        study={"items": {"REQ": {"column": ["q1", "q2"]}}},  # a list where a name belongs
        baseline=with_cell(BASELINE, 0, q2="7"),
    )
    lines = [p.line() for p in load_study(root).problems]
    assert any(line.endswith("items.REQ.column: expected text or a number") for line in lines)
    assert 'surveys/baseline.csv:2:q2: "7": expected a scale code 1-5' in "\n".join(lines)
    # REQ's mention in its dimension follows from its own problem: not a second one.
    assert not any("dimensions" in line for line in lines), lines


def test_when_respondent_ids_are_e_mails_or_phones_then_each_is_a_problem_long_numbers_are_not(
    tmp_path,
):
    from study_builder import BASELINE, with_cell

    rows = with_cell(
        with_cell(BASELINE, 0, response_id="u3@gmail.com"), 1, response_id="0501234567"
    )
    rows = with_cell(rows, 2, response_id="114587321234")  # a SurveyMonkey-like id: kept
    lines = [p.line() for p in load_study(make_study(tmp_path, baseline=rows)).problems]
    assert [line.split(": expected")[0] for line in lines] == [
        'surveys/baseline.csv:2:response_id: "u3@gmail.com"',
        'surveys/baseline.csv:3:response_id: "0501234567"',
    ]
    assert "not an e-mail address, phone number or national id" in lines[0]


def test_when_an_spss_user_missing_code_is_a_scale_answer_then_it_is_a_problem(tmp_path):
    from study_builder import sav_frame, spss_study

    root = spss_study(tmp_path, sav_frame(q2=[5.0, 3.0, 99.0]), missing_ranges={"q2": [3.0, 99.0]})
    lines = [p.line() for p in load_study(root).problems]
    assert lines == [
        'surveys/baseline.sav:1:q2: "3": expected SPSS user-missing codes outside the scale '
        "1-5 of item INFO: these are answers (remove them from the variable's missing values "
        "in SPSS)"
    ]


def test_when_a_csv_is_separated_by_pipes_then_one_line_says_so(tmp_path):
    root = make_study(tmp_path)
    path = root / "surveys" / "baseline.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", "|"), encoding="utf-8")
    lines = [p.line() for p in load_study(root).problems]
    assert len(lines) == 1 and "so the file is separated by '|'" in lines[0], lines


def test_when_answers_are_words_and_scale_labels_are_missing_then_the_line_points_to_them(
    tmp_path,
):
    """Issue 14: an answer given as label text names scale.labels as the fix."""
    from study_builder import DELETE

    base = with_cell(BASELINE, 0, q1="Agree")
    study = {"scale": {"labels": DELETE}}
    lines = _problem_lines(load_study(make_study(tmp_path, study=study, baseline=base)))
    assert lines == [
        'surveys/baseline.csv:2:q1: "Agree": expected a scale code 1-5, an N/A code (9), '
        "or blank; to read answers written as words, list each code's words under "
        "scale.labels in study.yml (docs/study.md)"
    ]


def test_when_scale_labels_exist_then_an_unknown_word_gets_no_extra_hint(tmp_path):
    base = with_cell(BASELINE, 0, q1="Very good")
    lines = _problem_lines(load_study(make_study(tmp_path, baseline=base)))
    assert lines == [
        'surveys/baseline.csv:2:q1: "Very good": expected a scale code 1-5, an N/A code (9), '
        'a label of scale.labels (e.g. "Strongly disagree"), or blank'
    ]
