"""A corpus of malformed (and awkward but legitimate) study folders through ``validate``.

Each case builds a study folder, runs it through :func:`run_validate` in-process, and checks
the exit status (2 for input errors, 0 for inputs that are legitimately handled), that no
traceback is printed, and that the expected one-line message (file, row, column, value)
appears. A handful of cases also go through ``python -m analysis validate --data DIR`` as a
subprocess, the way users and the Makefile call it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from study_builder import (
    AGENCIES,
    BASELINE,
    DELETE,
    FOLLOWUP,
    RESPONSE_COLUMNS,
    csv_text,
    make_study,
    sav_study,
    with_cell,
)

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
    expected: tuple[str, ...] = ()
    #: Number of problems in the summary, where one broken thing must give one problem only.
    count: int | None = None


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


def test_when_corpus_is_listed_then_it_has_at_least_30_malformed_inputs():
    assert len([c for c in CASES if c.status == 2]) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


def _check_output(case: Case, status: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    assert status == case.status, err
    for expected in case.expected:
        assert any(expected in line for line in (out + err).splitlines()), (expected, err)
    if case.status == 2:
        assert err.splitlines()[-1].endswith("fix them and run validate again")
        if case.count is not None:
            assert err.splitlines()[-1].startswith(f"{case.count} problem(s)"), err
    else:
        assert out.startswith("ok: ")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_when_input_is_malformed_then_validate_lists_it_or_handles_it(case, tmp_path, capsys):
    root = case.build(tmp_path)
    status = run_validate(root)
    out, err = capsys.readouterr()
    _check_output(case, status, out, err)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in SUBPROCESS_CASES], ids=lambda c: c.name
)
def test_when_run_from_the_command_line_then_same_status_and_no_traceback(case, tmp_path):
    root = case.build(tmp_path)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(root)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env=env,
    )
    _check_output(case, result.returncode, result.stdout, result.stderr)


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
