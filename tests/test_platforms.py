"""Survey-platform presets: header rows, aliases, timestamps, metadata flags (analysis.platforms)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.platforms import (
    PLATFORMS,
    build_header,
    derive_fields,
    infer_date_order,
    parse_timestamp,
    personal_columns,
)

QUALTRICS_NAMES = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "agency",
    "Q1",
]
QUALTRICS_TEXT = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "أي جهة زرت؟",
    "كان الموظفون مهذبين",
]
QUALTRICS_IDS = [
    '{"ImportId":"startDate","timeZone":"Asia/Riyadh"}',
    '{"ImportId":"endDate","timeZone":"Asia/Riyadh"}',
    '{"ImportId":"status"}',
    '{"ImportId":"ipAddress"}',
    '{"ImportId":"progress"}',
    '{"ImportId":"duration"}',
    '{"ImportId":"finished"}',
    '{"ImportId":"recordedDate","timeZone":"Asia/Riyadh"}',
    '{"ImportId":"_recordId"}',
    '{"ImportId":"QID1"}',
    '{"ImportId":"QID2"}',
]


def _rows(*rows):
    return [(number, list(cells)) for number, cells in enumerate(rows, start=1)]


def test_when_qualtrics_has_three_header_rows_then_question_text_is_an_alias():
    header = build_header(
        PLATFORMS["qualtrics"], _rows(QUALTRICS_NAMES, QUALTRICS_TEXT, QUALTRICS_IDS), "q.csv"
    )
    assert header.rows == 3 and not header.problems
    assert header.names == QUALTRICS_NAMES
    assert header.aliases["كان الموظفون مهذبين"] == "Q1"
    assert header.aliases["response id"] == "ResponseId"


def test_when_qualtrics_has_one_header_row_then_data_start_on_row_2():
    data = ["2025-01-05 09:00:00"] + [""] * (len(QUALTRICS_NAMES) - 1)
    header = build_header(PLATFORMS["qualtrics"], _rows(QUALTRICS_NAMES, data, data), "q.csv")
    assert header.rows == 1 and header.aliases == {} and not header.problems


def test_when_qualtrics_third_row_is_not_all_import_ids_then_problem_names_row_and_column():
    broken = [*QUALTRICS_IDS[:-1], "5"]
    header = build_header(
        PLATFORMS["qualtrics"], _rows(QUALTRICS_NAMES, QUALTRICS_TEXT, broken), "q.csv"
    )
    assert [(p.row, p.column, p.value) for p in header.problems] == [(3, "Q1", "5")]
    assert "third header row does not match" in header.problems[0].expected


def test_when_qualtrics_import_id_row_comes_second_then_problem_on_row_2():
    header = build_header(
        PLATFORMS["qualtrics"], _rows(QUALTRICS_NAMES, QUALTRICS_IDS, QUALTRICS_TEXT), "q.csv"
    )
    assert [p.row for p in header.problems] == [2]


def test_when_surveymonkey_matrix_spans_columns_then_heading_is_carried_over():
    headings = ["Respondent ID", "Start Date", "End Date", "Which agency?", "Rate:", "", "Notes"]
    subs = ["", "", "", "Response", "Courtesy", "Speed", "Open-Ended Response"]
    header = build_header(PLATFORMS["surveymonkey"], _rows(headings, subs), "s.csv")
    assert header.rows == 2 and not header.problems
    assert header.names == [
        "Respondent ID",
        "Start Date",
        "End Date",
        "Which agency?",
        "Rate: - Courtesy",
        "Rate: - Speed",
        "Notes",
    ]
    assert header.aliases == {"courtesy": "Rate: - Courtesy", "speed": "Rate: - Speed"}


def test_when_surveymonkey_second_row_holds_answers_then_problem_names_it():
    headings = ["Respondent ID", "Collector ID", "Which agency?"]
    answers = ["114587321", "4011", "AG01"]
    header = build_header(PLATFORMS["surveymonkey"], _rows(headings, answers), "s.csv")
    assert [(p.row, p.column, p.value) for p in header.problems] == [
        (2, "Respondent ID", "114587321")
    ]


def test_when_kobo_names_a_group_path_then_last_part_is_an_alias_unless_ambiguous():
    names = ["start", "end", "grp_a/q1", "grp_b/q1", "grp_a/q2", "_uuid"]
    header = build_header(PLATFORMS["kobo"], _rows(names), "k.csv")
    assert header.aliases == {"q2": "grp_a/q2"}  # q1 is in two groups: no alias


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2025-01-05 09:30:00", "iso", dt.datetime(2025, 1, 5, 9, 30)),
        ("2025-01-05T09:30:00.000+03:00", "iso", dt.datetime(2025, 1, 5, 9, 30)),
        ("01/05/2025 09:30:12 PM", "mdy", dt.datetime(2025, 1, 5, 21, 30, 12)),
        ("01/05/2025 12:05:00 AM", "mdy", dt.datetime(2025, 1, 5, 0, 5)),
        ("05/01/2025 09:30:12", "dmy", dt.datetime(2025, 1, 5, 9, 30, 12)),
        ("٠٥/٠١/٢٠٢٥", "dmy", dt.datetime(2025, 1, 5)),
        ("1/5/25 9:30", "mdy", dt.datetime(2025, 1, 5, 9, 30)),
        ("13/13/2025", "dmy", None),
        ("yesterday", "iso", None),
    ],
)
def test_when_platform_timestamp_is_parsed_then_local_time_in_its_order(text, order, expected):
    assert parse_timestamp(text, order) == expected


def test_when_slash_dates_have_a_part_over_12_then_order_is_inferred():
    assert infer_date_order(["05/01/2025", "13/01/2025 10:00"]) == "dmy"
    assert infer_date_order(["01/13/2025"]) == "mdy"
    assert infer_date_order(["01/02/2025"]) is None
    assert infer_date_order(["13/01/2025", "01/13/2025"]) == "conflict"


def test_when_export_has_personal_columns_then_they_are_named():
    headers = ["Respondent ID", "IP Address", "Email Address", "Custom Data 1", "Q1"]
    assert personal_columns(PLATFORMS["surveymonkey"], headers) == [
        "IP Address",
        "Email Address",
        "Custom Data 1",
    ]


def _qualtrics_frame(rows):
    columns = ["StartDate", "EndDate", "Status", "Progress", "Finished", "ResponseId"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame.index = pd.RangeIndex(4, 4 + len(frame), name="source_row")
    return frame


def test_when_qualtrics_metadata_marks_responses_then_flags_follow_status_then_finished():
    frame = _qualtrics_frame(
        [
            ["2025-01-05 09:00:00", "2025-01-05 09:05:00", "IP Address", "100", "1", "R_1"],
            ["2025-01-05 09:00:00", "2025-01-05 09:05:00", "Survey Preview", "100", "1", "R_2"],
            ["2025-01-05 09:00:00", "2025-01-05 09:05:00", "2", "100", "True", "R_3"],
            ["2025-01-05 09:00:00", "2025-01-05 09:05:00", "Spam", "40", "False", "R_4"],
            ["2025-01-05 09:00:00", "2025-01-05 09:01:00", "0", "40", "False", "R_5"],
            ["2025-01-05 09:00:00", "2025-01-05 09:01:00", "Imported", "100", "1", "R_6"],
        ]
    )
    derived = derive_fields(PLATFORMS["qualtrics"], frame, "q.csv", {})
    assert not derived.problems
    assert derived.frame["__platform_flag"].tolist() == [
        "",
        "preview",
        "test",
        "spam",
        "incomplete",
        "",
    ]
    assert derived.defaults["respondent"] == "ResponseId"
    assert derived.frame["__date"].tolist()[0] == "2025-01-05 09:00:00"
    # No duration column in this export: end minus start.
    assert derived.frame["__duration_s"].tolist()[:1] == ["300"]


def test_when_qualtrics_misses_finished_or_has_an_unknown_status_then_problems_name_them():
    frame = _qualtrics_frame(
        [["2025-01-05 09:00:00", "2025-01-05 09:05:00", "Bogus", "100", "1", "R_1"]]
    ).drop(columns="Finished")
    problems = derive_fields(PLATFORMS["qualtrics"], frame, "q.csv", {}).problems
    assert [(p.row, p.column) for p in problems] == [(1, "Finished"), (4, "Status")]


def test_when_google_form_has_no_id_then_respondents_are_numbered_by_row():
    frame = pd.DataFrame(
        {"Timestamp": ["13/01/2025 10:00:00", "05/01/2025 09:00:00"]},
        index=pd.Index([2, 3], name="source_row"),
    )
    derived = derive_fields(PLATFORMS["google_forms"], frame, "g.csv", {})
    assert derived.frame["__respondent"].tolist() == ["row 2", "row 3"]
    assert derived.frame["__date"].tolist() == ["2025-01-13 10:00:00", "2025-01-05 09:00:00"]


def test_when_study_names_a_field_then_the_platform_does_not_override_it():
    frame = _qualtrics_frame(
        [["2025-01-05 09:00:00", "2025-01-05 09:05:00", "0", "100", "1", "R_1"]]
    )
    derived = derive_fields(
        PLATFORMS["qualtrics"], frame, "q.csv", {"respondent": "my_id", "date": "day"}
    )
    assert "respondent" not in derived.defaults and "date" not in derived.defaults
