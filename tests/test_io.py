"""Readers of raw files: encodings, delimiters, line endings, XLSX, SPSS, and their problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from analysis.io import (
    Problem,
    cell_text,
    column_letter,
    match_key,
    parse_number,
    read_csv_bytes,
    read_table,
    sniff_delimiter,
    western_digits,
)

ARABIC_CSV = "id,agency,answer\n1,A01,أوافق بشدة\n2,A02,محايد\n"


def _values(frame: pd.DataFrame) -> list[list[str]]:
    return frame.astype(object).values.tolist()


# --------------------------------------------------------------------------------------------
# Problem lines and small text helpers
# --------------------------------------------------------------------------------------------


def test_when_problem_has_all_parts_then_line_is_file_row_column_value_expected():
    problem = Problem("surveys/b.csv", 14, "q3", "6", "a scale code 1-5")
    assert problem.line() == 'surveys/b.csv:14:q3: "6": expected a scale code 1-5'
    assert str(problem) == problem.line()


def test_when_problem_is_about_a_whole_file_then_row_and_column_are_left_out():
    assert (
        Problem("a.csv", expected="an existing file").line() == "a.csv: expected an existing file"
    )


def test_when_value_has_a_newline_then_the_line_stays_one_line():
    assert "\n" not in Problem("a.csv", 2, "c", "x\ny", "text").line()


@pytest.mark.parametrize(
    ("position", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")]
)
def test_when_position_given_then_column_letter_is_the_spreadsheet_one(position, letter):
    assert column_letter(position) == letter


def test_when_arabic_indic_or_persian_digits_then_western_digits():
    assert western_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert western_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert western_digits("٣٫٥") == "3.5"


@pytest.mark.parametrize(
    ("text", "number"),
    [("4", 4.0), ("4.0", 4.0), (" 4 ", 4.0), ("٤", 4.0), ("۴", 4.0), ("-2", -2.0), ("7.5", 7.5)],
)
def test_when_text_is_a_plain_number_then_parse_number_reads_it(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["", "four", "4a", "1,200", "1e3", "4 5"])
def test_when_text_is_not_a_plain_number_then_parse_number_is_none(text):
    assert parse_number(text) is None


def test_when_texts_differ_in_case_space_or_digits_then_match_key_is_equal():
    assert match_key(" Strongly  Agree ") == match_key("strongly agree")
    assert match_key("٢") == match_key(2) == match_key("2.0") == "2"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (4.0, "4"),
        (4, "4"),
        (np.float64(7.5), "7.5"),
        (float("nan"), ""),
        (dt.datetime(2025, 1, 5), "2025-01-05"),
        (dt.datetime(2025, 1, 5, 9, 30), "2025-01-05 09:30:00"),
        (dt.date(2025, 1, 5), "2025-01-05"),
        ("  x \u200f", "x"),
    ],
)
def test_when_cell_value_given_then_cell_text_is_what_a_user_typed(value, text):
    assert cell_text(value) == text


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def test_when_csv_is_utf8_then_rows_are_numbered_from_2_and_text_is_kept():
    table = read_csv_bytes(ARABIC_CSV.encode("utf-8"), "a.csv")
    assert table.ok and table.encoding == "utf-8"
    assert list(table.frame.columns) == ["id", "agency", "answer"]
    assert list(table.frame.index) == [2, 3]
    assert _values(table.frame) == [["1", "A01", "أوافق بشدة"], ["2", "A02", "محايد"]]


def test_when_csv_has_a_bom_then_the_first_header_is_clean():
    table = read_csv_bytes(ARABIC_CSV.encode("utf-8-sig"), "a.csv")
    assert table.ok and table.encoding == "utf-8-sig"
    assert list(table.frame.columns)[0] == "id"


def test_when_csv_is_windows_1256_then_arabic_is_decoded_with_a_warning():
    table = read_csv_bytes(ARABIC_CSV.encode("cp1256"), "a.csv")
    assert table.ok and table.encoding == "cp1256"
    assert _values(table.frame)[0][2] == "أوافق بشدة"
    assert any("Windows-1256" in w for w in table.warnings)


def test_when_csv_is_latin1_then_it_is_an_encoding_problem_with_row_and_word():
    data = "id,comment\n1,fine\n2,Señora Müller\n".encode("latin-1")
    table = read_csv_bytes(data, "a.csv")
    assert len(table.problems) == 1
    problem = table.problems[0]
    assert (problem.file, problem.row) == ("a.csv", 3)
    assert problem.value.startswith("Se")  # "Se" + the Arabic mark that 0xF1 is in cp1256
    assert "UTF-8" in problem.expected


def test_when_csv_is_utf16_with_bom_then_it_is_read():
    table = read_csv_bytes("id\tq\n1\t4\n".encode("utf-16"), "a.csv")
    assert table.ok and _values(table.frame) == [["1", "4"]]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_when_line_endings_differ_then_rows_are_the_same(newline):
    data = ARABIC_CSV.replace("\n", newline).encode("utf-8")
    table = read_csv_bytes(data, "a.csv")
    assert table.ok and list(table.frame.index) == [2, 3]
    assert _values(table.frame)[1] == ["2", "A02", "محايد"]


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_when_delimiter_is_comma_semicolon_or_tab_then_it_is_sniffed(delimiter, name):
    text = ARABIC_CSV.replace(",", delimiter)
    assert sniff_delimiter(text) == delimiter, name
    table = read_csv_bytes(text.encode("utf-8"), "a.csv")
    assert list(table.frame.columns) == ["id", "agency", "answer"]


def test_when_semicolon_file_has_decimal_commas_then_semicolon_still_wins():
    assert sniff_delimiter("id;score;note\n1;4,5;a,b\n") == ";"


def test_when_headers_and_values_have_spaces_then_they_are_stripped():
    table = read_csv_bytes(b" id , q1 \n 7 , Agree  \n", "a.csv")
    assert list(table.frame.columns) == ["id", "q1"]
    assert _values(table.frame) == [["7", "Agree"]]


def test_when_a_quoted_value_spans_lines_then_row_numbers_count_records():
    table = read_csv_bytes(b'id,comment\n1,"two\nlines"\n2,ok\n', "a.csv")
    assert list(table.frame.index) == [2, 3]
    assert _values(table.frame)[0] == ["1", "two\nlines"]


def test_when_a_header_is_duplicated_then_problem_names_both_columns_and_first_is_kept():
    table = read_csv_bytes(b"id,q1,q1\n1,4,5\n", "a.csv")
    assert table.problems == [
        Problem("a.csv", 1, "q1", None, "each column header once: it is in columns B and C")
    ]
    assert _values(table.frame) == [["1", "4"]]


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_when_csv_is_empty_then_problem_says_empty(data):
    table = read_csv_bytes(data, "a.csv")
    assert len(table.problems) == 1 and "empty" in table.problems[0].expected
    assert table.frame.columns.empty


def test_when_csv_has_a_header_only_then_problem_on_row_2():
    table = read_csv_bytes(b"id,q1\n", "a.csv")
    assert [(p.row, "header only" in p.expected) for p in table.problems] == [(2, True)]


def test_when_a_row_has_more_values_than_headers_then_problem_on_that_row():
    table = read_csv_bytes(b"id,q1\n1,4\n2,4,oops\n", "a.csv")
    assert [(p.row, p.value) for p in table.problems] == [(3, "oops")]


def test_when_a_row_is_short_then_missing_cells_are_blank():
    table = read_csv_bytes(b"id,q1,q2\n1,4\n", "a.csv")
    assert table.ok and _values(table.frame) == [["1", "4", ""]]


def test_when_blank_rows_sit_between_data_then_they_are_skipped_with_a_warning():
    table = read_csv_bytes(b"id\n1\n\n,\n2\n\n\n", "a.csv")
    assert list(table.frame.index) == [2, 5]
    assert table.warnings == ["a.csv: 2 blank row(s) skipped"]


def test_when_csv_is_binary_then_problem_not_exception():
    table = read_csv_bytes(b"PK\x03\x04\x00\x00binary", "a.csv")
    assert len(table.problems) == 1 and "binary" in table.problems[0].expected


# --------------------------------------------------------------------------------------------
# read_table: dispatch, XLSX, SPSS
# --------------------------------------------------------------------------------------------


def test_when_file_is_missing_then_problem_says_missing(tmp_path):
    table = read_table(tmp_path / "nope.csv", "surveys/nope.csv")
    assert [p.line() for p in table.problems] == [
        "surveys/nope.csv: expected an existing file: it is missing"
    ]


def test_when_extension_is_unsupported_then_problem_names_the_formats(tmp_path):
    (tmp_path / "a.xls").write_bytes(b"old")
    table = read_table(tmp_path / "a.xls")
    assert ".xlsx" in table.problems[0].expected


def _workbook(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Baseline"
    sheet.append(["id", " q1 ", "date", "note"])
    sheet.append(["a", 4, dt.datetime(2025, 1, 5), " hi "])
    sheet.append(["b", 4.0, dt.datetime(2025, 1, 5, 9, 30), None])
    sheet.append([None, None, None, None])
    sheet.append(["c", 7.5, 45662, "x"])
    other = workbook.create_sheet("Followup")
    other.append(["id"])
    other.append(["z"])
    workbook.save(path)


def test_when_xlsx_then_first_sheet_is_read_with_dates_as_iso_text(tmp_path):
    _workbook(tmp_path / "w.xlsx")
    table = read_table(tmp_path / "w.xlsx")
    assert table.ok
    assert list(table.frame.columns) == ["id", "q1", "date", "note"]
    assert list(table.frame.index) == [2, 3, 5]
    assert _values(table.frame) == [
        ["a", "4", "2025-01-05", "hi"],
        ["b", "4", "2025-01-05 09:30:00", ""],
        ["c", "7.5", "45662", "x"],
    ]


def test_when_sheet_is_named_then_that_sheet_is_read(tmp_path):
    _workbook(tmp_path / "w.xlsx")
    assert _values(read_table(tmp_path / "w.xlsx", sheet="Followup").frame) == [["z"]]


def test_when_sheet_does_not_exist_then_problem_lists_the_sheets(tmp_path):
    _workbook(tmp_path / "w.xlsx")
    problems = read_table(tmp_path / "w.xlsx", sheet="Nope").problems
    assert problems[0].expected == "a sheet of this workbook: Baseline, Followup"


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really a zip", bytes(range(256)) * 8])
def test_when_xlsx_is_corrupt_then_problem_not_exception(tmp_path, data):
    (tmp_path / "w.xlsx").write_bytes(data)
    problems = read_table(tmp_path / "w.xlsx", "surveys/w.xlsx").problems
    assert len(problems) == 1 and problems[0].file == "surveys/w.xlsx"
    assert ".xlsx" in problems[0].expected


def test_when_sav_has_value_labels_then_codes_arrive_and_labels_are_kept_aside(tmp_path):
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "q1": [1.0, 4.0, np.nan], "agency": [1.0, 2.0, 3.0]}
    )
    pyreadstat.write_sav(
        frame,
        str(tmp_path / "s.sav"),
        variable_value_labels={"q1": {1.0: "Strongly disagree", 5.0: "Strongly agree"}},
    )
    table = read_table(tmp_path / "s.sav")
    assert table.ok
    assert _values(table.frame) == [["a", "1", "1"], ["b", "4", "2"], ["c", "", "3"]]
    assert table.value_labels == {"q1": {"1": "Strongly disagree", "5": "Strongly agree"}}


def test_when_sav_declares_user_missing_codes_then_they_arrive_blank_with_a_warning(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "q1": [1.0, 9.0, 99.0, 5.0]})
    pyreadstat.write_sav(
        frame,
        str(tmp_path / "s.sav"),
        variable_value_labels={"q1": {9.0: "Don't know", 99.0: "Refused"}},
        missing_ranges={"q1": [9.0, {"lo": 90.0, "hi": 99.0}]},
    )
    table = read_table(tmp_path / "s.sav")
    assert table.ok
    assert _values(table.frame) == [["a", "1"], ["b", ""], ["c", ""], ["d", "5"]]
    assert table.warnings == [
        's.sav: column q1: 2 answer(s) with SPSS user-missing code(s) 9, 99 (9 "Don\'t know", '
        '99 "Refused") read as missing'
    ]


def test_when_sav_is_corrupt_then_problem_not_exception(tmp_path):
    (tmp_path / "s.sav").write_bytes(b"$FL2 garbage" * 10)
    problems = read_table(tmp_path / "s.sav").problems
    assert len(problems) == 1 and "SPSS" in problems[0].expected
