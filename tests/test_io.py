"""Readers of raw files: encodings, delimiters, line endings, XLSX, SPSS, and their problems."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

import analysis.io as analysis_io
from analysis import config
from analysis.io import (
    Problem,
    cell_text,
    clean_text,
    column_letter,
    match_key,
    max_file_bytes,
    parse_number,
    read_csv_bytes,
    read_table,
    sniff_delimiter,
    text_or_na,
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


# --------------------------------------------------------------------------------------------
# Encodings (issue 11): mixed UTF-8, UTF-16/32 without a BOM, NUL bytes, binaries by kind
# --------------------------------------------------------------------------------------------

SURVEY = "id,agency,comment\n" + "".join(f"r{i},A01,تعليق {i}\n" for i in range(1, 200))


def _lines_encoded(text: str, cp1256_rows: set[int]) -> bytes:
    """``text`` as UTF-8, except the given spreadsheet rows (1 = header) in Windows-1256."""
    lines = text.splitlines(keepends=True)
    return b"".join(
        line.encode("cp1256" if number in cp1256_rows else "utf-8")
        for number, line in enumerate(lines, start=1)
    )


def test_when_utf8_file_has_one_cp1256_line_then_that_row_is_named_and_nothing_else():
    table = read_csv_bytes(_lines_encoded(SURVEY, {57}), "b.csv")
    assert [(p.row, p.column) for p in table.problems] == [(57, "comment")]
    line = table.problems[0].line()
    assert line.startswith("b.csv:57:comment: ") and "expected UTF-8 text" in line
    assert table.frame.columns.empty  # no cell is checked: every value would be suspect


def test_when_utf8_file_has_many_bad_lines_then_a_handful_are_listed_and_the_rest_counted():
    bad = {10, 20, 30, 40, 50, 60, 70, 80}
    table = read_csv_bytes(_lines_encoded(SURVEY, bad), "b.csv")
    assert [p.row for p in table.problems[:-1]] == [10, 20, 30, 40, 50]
    last = table.problems[-1]
    assert last.row is None and "and 3 more" in last.line() and "60, 70, 80" in last.line()


def test_when_a_quoted_cell_spans_lines_then_a_bad_line_is_named_by_its_record_row():
    text = 'id,comment\n1,"two\nlines"\n2,ok\n3,bad\n'
    data = text.replace("bad", "\u0633\u064a\u0621").encode("utf-8")
    data = data.replace("\u0633\u064a\u0621".encode(), "\u0633\u064a\u0621".encode("cp1256"))
    data = data.replace(b"ok", "\u062c\u064a\u062f".encode())  # some valid UTF-8 Arabic too
    assert [p.row for p in read_csv_bytes(data, "b.csv").problems] == [4]


def test_when_whole_file_is_cp1256_then_it_is_still_read_with_its_warning():
    table = read_csv_bytes(SURVEY.encode("cp1256"), "b.csv")
    assert table.ok and table.encoding == "cp1256" and len(table.frame) == 199
    assert _values(table.frame)[56][2] == "تعليق 57"
    assert any("Windows-1256" in w for w in table.warnings)


@pytest.mark.parametrize(
    "codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
@pytest.mark.parametrize("bom", [True, False])
def test_when_csv_is_utf16_or_utf32_with_or_without_bom_then_it_is_read(codec, bom):
    text = SURVEY.replace(",", "\t")
    if codec in ("utf-16", "utf-32"):  # these codecs write a BOM; without: little-endian
        data = text.encode(codec) if bom else text.encode(codec + "-le")
    else:
        data = ("\ufeff" if bom else "").encode(codec) + text.encode(codec)
    table = read_csv_bytes(data, "b.csv")
    assert table.ok, table.problems
    assert list(table.frame.columns) == ["id", "agency", "comment"]
    assert len(table.frame) == 199 and _values(table.frame)[0] == ["r1", "A01", "تعليق 1"]


def test_when_utf16_file_is_cut_in_the_middle_of_a_character_then_the_row_is_named():
    data = SURVEY.encode("utf-16")[:-1]  # an odd number of bytes
    problems = read_csv_bytes(data, "b.csv").problems
    assert [p.row for p in problems] == [200]
    assert "UTF-16" in problems[0].expected


def test_when_a_row_has_a_nul_byte_then_that_row_is_named():
    data = SURVEY.encode("utf-8").replace("تعليق 56\n".encode(), "تعليق\x0056\n".encode())
    problems = read_csv_bytes(data, "b.csv").problems
    assert [(p.row, p.column) for p in problems] == [(57, "comment")]
    assert "NUL byte" in problems[0].expected and "binary" not in problems[0].expected


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, ".xlsx"),
        (b"$FL2@(#) IBM SPSS STATISTICS" + bytes(range(256)) * 4, ".sav"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4, ".xls"),
        (bytes(range(256)) * 8, "binary"),
    ],
)
def test_when_csv_is_really_a_binary_file_then_problem_says_what_it_probably_is(data, kind):
    problems = read_csv_bytes(data, "b.csv").problems
    assert len(problems) == 1 and problems[0].row is None
    assert "binary" in problems[0].expected and kind in problems[0].expected


# --------------------------------------------------------------------------------------------
# Headers (issue 11): Unicode NFC, names that differ only in case or spacing
# --------------------------------------------------------------------------------------------


def test_when_headers_are_decomposed_unicode_then_they_are_nfc_with_a_warning():
    nfc = "رأي_1"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    table = read_csv_bytes(f"id,{nfd}\n1,4\n".encode(), "b.csv")
    assert table.ok and list(table.frame.columns) == ["id", nfc]
    assert len(table.warnings) == 1 and "NFC" in table.warnings[0]
    assert "column B" in table.warnings[0]


def test_when_a_composed_and_a_decomposed_header_are_the_same_name_then_it_is_a_duplicate():
    nfc = "رأي_1"
    table = read_csv_bytes(f"{nfc},{unicodedata.normalize('NFD', nfc)}\n1,4\n".encode(), "b.csv")
    assert [p.expected for p in table.problems] == [
        "each column header once: it is in columns A and B"
    ]


def test_when_headers_differ_only_in_case_or_spacing_then_problem_names_both():
    table = read_csv_bytes(b"id,Q01,q01 ,Q 01\n1,4,5,3\n", "b.csv")
    lines = [p.line() for p in table.problems]
    assert len(lines) == 1, lines
    assert lines[0].startswith("b.csv:1:q01: expected each column header once")
    assert "'Q01' in column B" in lines[0] and "'q01' in column C" in lines[0]
    assert "Q 01" not in lines[0]  # inner spaces make another name


def test_when_headers_differ_only_by_repeated_inner_spaces_then_they_are_twins():
    table = read_csv_bytes(b"id,age band,age  band\n1,a,b\n", "b.csv")
    assert [p.column for p in table.problems] == ["age  band"]


# --------------------------------------------------------------------------------------------
# Size limit (issue 11)
# --------------------------------------------------------------------------------------------


def test_when_file_is_larger_than_the_limit_then_one_problem_names_size_and_limit(
    tmp_path, monkeypatch
):
    path = tmp_path / "big.csv"
    path.write_bytes(b"id,q1\n" + b"1,4\n" * 300_000)  # 1.2 MB
    monkeypatch.setenv("ANALYSIS_MAX_FILE_MB", "1")
    opened = []
    monkeypatch.setattr(Path, "open", lambda *a, **k: opened.append(a) or 1 / 0)
    monkeypatch.setattr(Path, "read_bytes", lambda *a, **k: opened.append(a) or 1 / 0)
    problems = read_table(path, "surveys/big.csv").problems
    assert not opened  # refused before a byte is read
    assert [p.line() for p in problems] == [
        "surveys/big.csv: expected a file of at most 1.0 MiB, the limit per input file (this "
        "one is 1.1 MiB): set ANALYSIS_MAX_FILE_MB=2 or more to read it"
    ]


def test_when_file_is_within_the_limit_then_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "small.csv"
    path.write_bytes(b"id,q1\n1,4\n")
    monkeypatch.setenv("ANALYSIS_MAX_FILE_MB", "0.5")
    assert read_table(path).ok


@pytest.mark.parametrize("value", ["lots", "-1", "0", "nan", "inf"])
def test_when_the_size_limit_variable_is_not_a_positive_number_then_problem_names_it(
    tmp_path, monkeypatch, value
):
    path = tmp_path / "small.csv"
    path.write_bytes(b"id,q1\n1,4\n")
    monkeypatch.setenv("ANALYSIS_MAX_FILE_MB", value)
    problems = read_table(path, "surveys/small.csv").problems
    assert len(problems) == 1 and "ANALYSIS_MAX_FILE_MB" in problems[0].line()


def test_when_the_size_limit_variable_is_unset_then_the_default_of_config_applies(monkeypatch):
    monkeypatch.delenv("ANALYSIS_MAX_FILE_MB", raising=False)
    assert max_file_bytes() == config.MAX_FILE_MB * 1024 * 1024 == 256 * 1024**2


# --------------------------------------------------------------------------------------------
# Large files (issue 11): the fast Arrow reader, chunks and the Python reader agree exactly
# --------------------------------------------------------------------------------------------

#: CSV texts with the quirks a reader must get right, and whether Arrow's parser can read
#: them (ragged rows are left to the csv module).
TRICKY_CSVS = [
    (ARABIC_CSV, True),
    ('id,comment\n1,"two\r\nlines"\n2,"a ""quoted"" word"\n', True),
    ("id,q1\n\n1,4\n,\n\n2,5\n\n\n", True),
    ("\n\n id , q1 \n 7 , Agree  \n", True),
    ("id,q1,\n1,4,\n2,5,x\n", True),
    ("id,q1\n1,4\n2,4,oops\n3\n", False),
    ('id,note\n1," padded "\n2,"\u200f\u0645\u0631\u062d\u0628\u0627 "\n3,\xa0x\u3000\n', True),
    ("id;score;note\r1;4,5;a,b\r2;3;\r", True),
    ('id,c\n1,a"b\n2,"x"y\n3, "z"\n', True),
    ("id,c\n" + "".join(f'{i},"line {i}\nmore"\n' for i in range(40)), True),
    ('id,c\n1,unclosed "quote\n2,x\n', True),
    ('id,c\n1,"unclosed quote\n2,x\n', True),
]


def _reading(monkeypatch, data: bytes, *, arrow: bool, chunk_rows: int = 65536):
    monkeypatch.setattr(analysis_io, "_USE_ARROW", arrow)
    monkeypatch.setattr(analysis_io, "_CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(analysis_io, "_ARROW_BLOCK_BYTES", 64)
    table = read_csv_bytes(data, "a.csv")
    return (
        list(table.frame.columns),
        list(table.frame.index),
        _values(table.frame),
        [p.line() for p in table.problems],
        table.warnings,
    )


@pytest.mark.parametrize(("text", "arrow_reads_it"), TRICKY_CSVS)
def test_when_read_by_arrow_or_python_in_any_chunks_then_the_table_is_the_same(
    monkeypatch, text, arrow_reads_it
):
    data = text.encode("utf-8")
    python = _reading(monkeypatch, data, arrow=False)
    if arrow_reads_it:  # and does not hand the file to the csv module after all
        monkeypatch.setattr(analysis_io, "_python_records", None)
    assert _reading(monkeypatch, data, arrow=True) == python
    monkeypatch.undo()
    for chunk_rows in (1, 2, 3):
        assert _reading(monkeypatch, data, arrow=False, chunk_rows=chunk_rows) == python


def test_when_blank_rows_straddle_chunks_then_the_same_blank_rows_are_counted(monkeypatch):
    data = b"\n\nid\n1\n\n\n2\n\n3\n\n\n"
    for chunk_rows in (1, 2, 4, 100):
        columns, index, _, _, warnings = _reading(
            monkeypatch, data, arrow=False, chunk_rows=chunk_rows
        )
        assert (columns, index) == (["id"], [4, 7, 9])
        assert warnings == [
            "a.csv: 3 blank row(s) skipped",
            "a.csv: the header is on row 3, not row 1",
        ]


def test_when_cells_have_any_unicode_space_then_arrow_strips_them_as_python_does():
    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert set(spaces) == set(analysis_io._WHITESPACE)
    # The information separators U+001C-U+001F are spaces to Python, but so rare in text
    # that many of them make a file look binary: one cell holds them.
    separators = "\x1c\x1d\x1e\x1f"
    cells = [
        f"{a}{b}x{b}y{a}{b}"
        for a in spaces
        if a not in separators
        for b in "\u200e\u200f\u200b\ufeff "
    ]
    cells += ["\u200f \u200f", "\u200fx\u200f", " \ufeff \ufeff x", f"{separators}x{separators}"]
    data = ("c\n" + "\n".join(f'"{c}"' for c in cells) + "\n").encode("utf-8")
    table = read_csv_bytes(data, "a.csv")
    expected = [clean_text(c.replace("\r", "\n")) for c in cells]
    assert table.frame["c"].tolist() == [e for e in expected if e]  # blank cells: blank rows


def test_when_reading_a_file_then_the_cells_are_strings_without_missing_values():
    table = read_csv_bytes(b"id,q1\n1,\n", "a.csv")
    assert table.frame["q1"].tolist() == [""]
    assert isinstance(table.frame["q1"].dtype, pd.StringDtype)


def test_when_a_quote_is_never_closed_then_the_row_where_it_opens_is_named():
    data = b'id,comment\n1,ok\n2,"slow\n3,fine\n4,more\n'
    problems = read_csv_bytes(data, "a.csv").problems
    assert [p.line() for p in problems] == [
        'a.csv:3:comment: "slow": expected a closing quote: the quote that opens this cell is '
        "never closed, so the 2 line(s) after it were read into this one cell"
    ]


def test_when_the_last_cell_spans_lines_and_is_closed_then_it_is_read():
    table = read_csv_bytes(b'id,comment\n1,"two\nlines"\n', "a.csv")
    assert table.ok and _values(table.frame) == [["1", "two\nlines"]]


@pytest.mark.parametrize("arrow", [True, False])
def test_when_a_cell_is_longer_than_the_csv_modules_default_limit_then_it_is_read(
    monkeypatch, arrow
):
    monkeypatch.setattr(analysis_io, "_USE_ARROW", arrow)
    long = "very long " * 20_000
    table = read_csv_bytes(f'id,comment\n1,"{long}"\n2,x\n'.encode(), "a.csv")
    assert table.ok and _values(table.frame) == [["1", long.strip()], ["2", "x"]]


def test_when_a_workbook_unpacks_to_more_than_the_limit_then_it_is_refused_unread(
    tmp_path, monkeypatch
):
    workbook = openpyxl.Workbook()
    for row in range(400):
        workbook.active.append([f"row {row}", "x" * 200])
    workbook.save(tmp_path / "w.xlsx")
    assert (tmp_path / "w.xlsx").stat().st_size < 64 * 1024
    monkeypatch.setenv("ANALYSIS_MAX_FILE_MB", "0.0625")
    problems = read_table(tmp_path / "w.xlsx", "surveys/w.xlsx").problems
    assert len(problems) == 1
    assert (
        problems[0]
        .line()
        .startswith(
            "surveys/w.xlsx: expected a file of at most 64.0 KiB, the limit per input file "
            "(this one unpacks to "
        )
    )


def test_when_a_workbook_has_many_rows_then_they_are_streamed_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(analysis_io, "_CHUNK_ROWS", 7)
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "q1"])
    for row in range(50):
        workbook.active.append([f"r{row}", row % 5 + 1] if row != 20 else [None, None])
    workbook.save(tmp_path / "w.xlsx")
    table = read_table(tmp_path / "w.xlsx")
    assert table.ok and len(table.frame) == 49 and 22 not in table.frame.index
    assert table.frame.loc[51].tolist() == ["r49", "5"]
    assert table.warnings == ["w.xlsx: 1 blank row(s) skipped"]


@pytest.mark.parametrize("dtype", [analysis_io.TEXT_DTYPE, object])
def test_when_cells_become_text_or_na_then_blank_is_na_as_cell_by_cell(dtype):
    cells = pd.Series(["a", "", " b", ""], dtype=dtype)
    expected = pd.array([c if c else pd.NA for c in cells], dtype="string")
    assert pd.Series(text_or_na(cells)).equals(pd.Series(expected))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_when_a_tiny_utf16_file_without_bom_has_a_broken_character_then_the_row_is_named(codec):
    data = "id\tq\n1\t\ud800x\n".encode(codec, "surrogatepass")  # a lone surrogate
    problems = read_csv_bytes(data, "a.csv").problems
    endian = "little" if codec.endswith("le") else "big"
    assert [(p.row, p.column) for p in problems] == [(2, "q")]
    assert f"not valid UTF-16 ({endian}-endian, without a byte-order mark)" in problems[0].expected


def _without_dimension(path: Path) -> None:
    """Rewrite a workbook without the <dimension> element of its sheets (as many tools do)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members.items():
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            archive.writestr(info, data)


@pytest.mark.parametrize("dimension", [True, False])
def test_when_a_sheet_has_or_lacks_its_dimension_then_it_reads_as_openpyxl_reads_it(
    tmp_path, dimension
):
    _workbook(tmp_path / "w.xlsx")
    if not dimension:
        _without_dimension(tmp_path / "w.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "w.xlsx", read_only=True, data_only=True)
    rows = list(enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1))
    workbook.close()
    expected = analysis_io.table_from_grid("w.xlsx", rows)
    table = read_table(tmp_path / "w.xlsx")
    assert table.frame.equals(expected.frame)
    assert (table.problems, table.warnings) == (expected.problems, expected.warnings)
