"""study.yml schema and cross-checks, line numbers of problems, and agencies.csv."""

from __future__ import annotations

import datetime as dt

import pytest
from study_builder import AGENCIES, DELETE, csv_text, make_study

from analysis import config
from analysis.io import Problem
from analysis.study import (
    STANDARD_COLUMNS,
    load_agencies,
    load_study_yml,
    parse_study_text,
)

#: A minimal valid study.yml; the tests below know its line numbers (1-based).
MINIMAL = """\
title: {en: T, ar: ت}
languages: [ar, en]
scale: {min: 1, max: 5, not_applicable: [9]}
waves:
  pre: {label: {en: Before, ar: قبل}, files: [b.csv]}
  post: {label: {en: After, ar: بعد}, files: [f.csv], fieldwork: [2025-06-01, 2025-06-30]}
columns: {respondent: id, agency: agency}
items:
  SAT: {column: sat, text: {en: Satisfied, ar: راض}}
  Q1: {column: q1, text: {en: Q one, ar: س١}}
dimensions:
  D1: {label: {en: D, ar: د}, items: [Q1]}
outcome: SAT
"""


def _lines(text: str) -> list[str]:
    study, problems = parse_study_text(text)
    return [p.line() for p in problems]


def _replace(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


# --------------------------------------------------------------------------------------------
# A valid study
# --------------------------------------------------------------------------------------------


def test_when_study_is_minimal_then_it_loads_with_the_defaults_of_config():
    study, problems = parse_study_text(MINIMAL)
    assert problems == []
    assert study.thresholds.model_dump() == {**config.DEFAULT_THRESHOLDS, "standards": {}}
    assert study.quality.model_dump() == config.DEFAULT_QUALITY
    assert study.recommend is None and study.segments == {}


def test_when_waves_have_any_keys_then_the_first_is_baseline_and_the_second_followup():
    study, _ = parse_study_text(MINIMAL)
    assert study.wave_keys == {"baseline": "pre", "followup": "post"}
    assert study.waves_by_name["followup"].fieldwork == (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    assert study.waves_by_name["baseline"].fieldwork is None


def test_when_study_loaded_then_items_dimensions_and_labels_are_reachable():
    study, _ = parse_study_text(MINIMAL)
    assert study.item_codes == ["SAT", "Q1"]
    assert study.dimension_of == {"Q1": "D1"}
    assert study.scale.codes == [1, 2, 3, 4, 5]
    assert study.label(study.items["SAT"].text, "ar") == "راض"


def test_when_the_default_builder_study_is_loaded_then_it_has_no_problems(tmp_path):
    study, problems = load_study_yml(make_study(tmp_path))
    assert problems == []
    assert study.segments["gender"].values["male"] == ["1", "ذكر", "Male"]


def test_when_yaml_says_no_or_on_then_they_stay_text_not_booleans():
    text = MINIMAL + "segments:\n  smoker: {column: s, values: {no: [no, off], yes: [yes, on]}}\n"
    study, problems = parse_study_text(text)
    assert problems == []
    assert study.segments["smoker"].values == {"no": ["no", "off"], "yes": ["yes", "on"]}


def test_when_quality_rule_is_false_then_it_is_off_and_true_keeps_the_default():
    study, problems = parse_study_text(
        MINIMAL + "quality: {speeders: false, straightliners: true}\n"
    )
    assert problems == []
    assert study.quality.speeders is False
    assert study.quality.straightliners == config.DEFAULT_QUALITY["straightliners"]


def test_when_study_yml_has_a_bom_then_it_loads(tmp_path):
    (tmp_path / "study.yml").write_bytes(MINIMAL.encode("utf-8-sig"))
    study, problems = load_study_yml(tmp_path)
    assert problems == [] and study.title["ar"] == "ت"


def test_when_one_file_holds_both_waves_then_wave_values_are_declared_per_wave():
    text = _replace(
        "columns: {respondent: id, agency: agency}",
        "columns: {respondent: id, agency: agency, wave: round}",
    )
    text = text.replace("files: [b.csv]}", "files: [all.csv], value: 1}")
    text = text.replace("files: [f.csv],", "files: [all.csv], values: [2, two],")
    study, problems = parse_study_text(text)
    assert problems == []
    assert study.waves["pre"].wave_values == ["1"]
    assert study.waves["post"].wave_values == ["2", "two"]


# --------------------------------------------------------------------------------------------
# Shape problems (pydantic) with line numbers
# --------------------------------------------------------------------------------------------


def test_when_a_key_is_unknown_then_problem_has_its_line_and_a_suggestion():
    lines = _lines(MINIMAL + "qualty: {speeders: 0.3}\n")
    assert len(lines) == 1
    assert lines[0].startswith("study.yml:14:qualty: expected a known key, not 'qualty'")
    assert "(did you mean 'quality'?)" in lines[0]


def test_when_a_nested_key_is_unknown_then_its_path_is_given():
    lines = _lines(_replace("items: [Q1]}", "items: [Q1], colour: red}"))
    assert lines[0].startswith("study.yml:12:dimensions.D1.colour: expected a known key")


def test_when_a_required_key_is_missing_then_problem_names_it():
    assert _lines(_replace("outcome: SAT\n", "")) == [
        "study.yml:1:outcome: expected the required key 'outcome' (it is missing)"
    ]


def test_when_a_nested_required_key_is_missing_then_problem_is_on_its_parent_line():
    lines = _lines(
        _replace("{column: q1, text: {en: Q one, ar: س١}}", "{text: {en: Q one, ar: س١}}")
    )
    assert lines == [
        "study.yml:10:items.Q1.column: expected the required key 'column' (it is missing)"
    ]


def test_when_a_value_has_the_wrong_type_then_problem_shows_the_value():
    lines = _lines(_replace("min: 1,", "min: one,"))
    assert lines == ['study.yml:3:scale.min: "one": expected a valid integer']


def test_when_a_language_is_unknown_then_problem():
    lines = _lines(_replace("languages: [ar, en]", "languages: [ar, fr]"))
    assert len(lines) == 1 and lines[0].startswith('study.yml:2:languages[1]: "fr": expected ')


def test_when_a_quality_value_is_out_of_range_then_the_rest_is_still_checked():
    lines = _lines(_replace("outcome: SAT", "outcome: NOPE\nquality: {speeders: 2}"))
    assert lines == [
        'study.yml:14:quality.speeders: "2": expected false, or a share of the median duration '
        "between 0 and 1 (e.g. 0.33)",
        'study.yml:13:outcome: "NOPE": expected an item code (SAT, Q1)',
    ]


def test_when_straightliners_is_below_2_then_problem():
    assert _lines(MINIMAL + "quality: {straightliners: 1}\n")[0].startswith(
        'study.yml:14:quality.straightliners: "1": expected false, or a whole number'
    )


def test_when_yaml_syntax_is_broken_then_problem_has_the_line():
    lines = _lines(_replace("outcome: SAT", "outcome: [SAT"))
    assert len(lines) == 1 and lines[0].startswith("study.yml:")
    assert "expected valid YAML" in lines[0]


def test_when_yaml_is_a_list_then_problem_asks_for_a_mapping():
    assert _lines("- a\n- b\n") == [
        "study.yml:1: expected a mapping of keys (title, languages, scale, waves, columns, items, ...)"
    ]


def test_when_a_key_is_repeated_then_problem_gives_both_lines():
    text = _replace("outcome: SAT", "outcome: SAT\noutcome: Q1")
    assert _lines(text) == ["study.yml:14:outcome: expected each key once (first on line 13)"]


def test_when_study_yml_is_not_utf8_then_problem_has_the_line(tmp_path):
    (tmp_path / "study.yml").write_bytes(
        MINIMAL.encode("utf-8").replace("ت".encode(), "ت".encode("cp1256"))
    )
    study, problems = load_study_yml(tmp_path)
    assert study is None
    assert [p.line() for p in problems] == [
        "study.yml:1: expected UTF-8 text (save study.yml as UTF-8; it looks like another encoding)"
    ]


def test_when_study_yml_is_missing_then_one_problem(tmp_path):
    study, problems = load_study_yml(tmp_path)
    assert study is None and [p.file for p in problems] == ["study.yml"]


# --------------------------------------------------------------------------------------------
# Cross-checks
# --------------------------------------------------------------------------------------------


def test_when_outcome_is_not_an_item_then_problem():
    assert _lines(_replace("outcome: SAT", "outcome: OVERALL")) == [
        'study.yml:13:outcome: "OVERALL": expected an item code (SAT, Q1)'
    ]


def test_when_a_dimension_names_a_missing_item_then_problem_on_that_entry():
    assert _lines(_replace("items: [Q1]}", "items: [Q1, Q9]}")) == [
        'study.yml:12:dimensions.D1.items[1]: "Q9": expected an item code of study.yml items (SAT, Q1)'
    ]


def test_when_an_item_is_in_two_dimensions_then_problem_names_the_first():
    text = _replace("outcome: SAT", "  D2: {label: {en: E, ar: ه}, items: [Q1]}\noutcome: SAT")
    assert _lines(text) == [
        'study.yml:13:dimensions.D2.items[0]: "Q1": expected each item in at most one dimension '
        "(it is also in D1)"
    ]


def test_when_two_items_read_the_same_raw_column_then_problem():
    lines = _lines(_replace("{column: q1,", "{column: sat,"))
    assert lines == [
        'study.yml:10:items.Q1.column: "sat": expected a raw column of this item only (item SAT reads it too)'
    ]


def test_when_an_item_reads_the_respondent_column_then_problem():
    lines = _lines(_replace("{column: q1,", "{column: id,"))
    assert lines[0].startswith(
        'study.yml:10:items.Q1.column: "id": expected a raw column of its own'
    )


@pytest.mark.parametrize("code", ["date", "DATE", "Wave", "recommend"])
def test_when_an_item_code_clashes_with_a_standard_column_then_problem(code):
    study, problems = parse_study_text(_replace("  Q1: {", f"  {code}: {{"))
    assert study is None  # the responses cannot be mapped with a clashing column
    assert any(p.column == f"items.{code}" and "standard column" in p.expected for p in problems)


def test_when_a_segment_key_clashes_with_an_item_then_problem():
    text = MINIMAL + "segments:\n  Q1: {column: g, values: {a: [1]}}\n"
    assert any("segment key that differs from item Q1" in line for line in _lines(text))


def test_when_standard_columns_listed_then_they_match_the_architecture_table():
    assert set(STANDARD_COLUMNS) >= {"agency_id", "wave", "respondent", "source_file", "source_row"}


def test_when_there_are_three_waves_then_problem_on_the_waves_key():
    text = _replace("columns:", "  extra: {label: {en: X, ar: خ}, files: [x.csv]}\ncolumns:")
    study, problems = parse_study_text(text)
    assert study is None
    assert [p.line() for p in problems] == [
        "study.yml:4:waves: expected exactly two waves, the baseline first and then the "
        "follow-up (found 3)"
    ]


def test_when_a_label_lacks_a_study_language_then_problem_on_that_label():
    assert _lines(_replace("{en: Q one, ar: س١}", "{en: Q one}")) == [
        "study.yml:10:items.Q1.text: expected a 'ar' text (every label needs each study language)"
    ]


def test_when_an_na_code_is_inside_the_scale_then_problem():
    assert _lines(_replace("not_applicable: [9]", "not_applicable: [3]")) == [
        'study.yml:3:scale.not_applicable[0]: "3": expected an N/A code outside the scale 1-5'
    ]


def test_when_scale_min_is_not_below_max_then_problem():
    assert _lines(_replace("min: 1, max: 5", "min: 5, max: 5"))[0].startswith(
        'study.yml:3:scale.max: "5": expected a code greater than scale.min (5)'
    )


def test_when_the_same_file_is_on_both_waves_without_a_wave_column_then_problem():
    lines = _lines(_replace("files: [f.csv]", "files: [b.csv]"))
    assert lines[0].startswith(
        'study.yml:6:waves.post.files[0]: "b.csv": expected a file of this wave only'
    )


def test_when_a_wave_column_is_declared_then_each_wave_needs_a_value():
    text = _replace("agency: agency}", "agency: agency, wave: round}")
    assert _lines(text) == [
        "study.yml:5:waves.pre: expected a 'value' (or 'values') of column 'round' that marks this wave",
        "study.yml:6:waves.post: expected a 'value' (or 'values') of column 'round' that marks this wave",
    ]


def test_when_a_file_path_leaves_the_study_folder_then_problem():
    assert _lines(_replace("[b.csv]", "[../b.csv]"))[0].startswith(
        'study.yml:5:waves.pre.files[0]: "../b.csv": expected a path relative to the study folder'
    )


def test_when_fieldwork_ends_before_it_starts_then_problem():
    assert _lines(_replace("[2025-06-01, 2025-06-30]", "[2025-06-30, 2025-06-01]")) == [
        "study.yml:6:waves.post.fieldwork: expected a start date on or before the end date"
    ]


@pytest.mark.parametrize(
    ("window", "shown"),
    [("[01/06/2025, 2025-06-30]", ""), ("[2025-06-01]", ""), ("2025-06-01", ' "2025-06-01":')],
)
def test_when_fieldwork_is_not_two_iso_dates_then_problem(window, shown):
    assert _lines(_replace("[2025-06-01, 2025-06-30]", window)) == [
        f"study.yml:6:waves.post.fieldwork:{shown} expected two dates [start, end] written as "
        "YYYY-MM-DD"
    ]


def test_when_builder_overrides_delete_a_key_then_study_yml_lacks_it(tmp_path):
    study, problems = load_study_yml(make_study(tmp_path, study={"recommend": DELETE}))
    assert problems == [] and study.recommend is None


# --------------------------------------------------------------------------------------------
# agencies.csv
# --------------------------------------------------------------------------------------------


def _agencies(tmp_path, text: str | bytes):
    root = make_study(tmp_path, files={"agencies.csv": text})
    return load_agencies(root)


def test_when_agencies_are_valid_then_ids_are_text_and_counts_are_integers(tmp_path):
    agencies, problems, warnings = load_agencies(make_study(tmp_path))
    assert problems == [] and warnings == []
    assert agencies["agency_id"].tolist() == ["A01", "A02"]
    assert str(agencies["agency_id"].dtype) == "string"
    assert str(agencies["frontline_staff"].dtype) == "Int64"
    assert agencies["frontline_staff"].tolist()[0] == 20
    assert agencies["frontline_staff"].isna().tolist() == [False, True]
    assert agencies["group"].tolist() == ["programme", "comparison"]


def test_when_ids_look_numeric_then_they_stay_text_with_leading_zeros(tmp_path):
    text = "agency_id,name_en,name_ar,group\n007,A,أ,programme\n٠٠٨,B,ب,Comparison\n"
    agencies, problems, _ = _agencies(tmp_path, text)
    assert problems == []
    assert agencies["agency_id"].tolist() == ["007", "008"]
    assert agencies["group"].tolist() == ["programme", "comparison"]
    assert agencies["frontline_staff"].isna().all()


def test_when_an_agency_id_is_repeated_then_problem_on_the_second_row(tmp_path):
    rows = AGENCIES + [dict(AGENCIES[0], name_en="Again")]
    _, problems, _ = _agencies(tmp_path, csv_text(rows))
    assert [p.line() for p in problems] == [
        'agencies.csv:4:agency_id: "A01": expected each agency_id once (also on row 2)'
    ]


def test_when_group_is_not_programme_or_comparison_then_problem(tmp_path):
    rows = [dict(AGENCIES[0], group="pilot"), AGENCIES[1]]
    _, problems, _ = _agencies(tmp_path, csv_text(rows))
    assert [p.line() for p in problems] == [
        'agencies.csv:2:group: "pilot": expected programme or comparison'
    ]


@pytest.mark.parametrize("value", ["12.5", "-3", "many"])
def test_when_frontline_staff_is_not_a_whole_number_then_problem(tmp_path, value):
    rows = [dict(AGENCIES[0], frontline_staff=value), AGENCIES[1]]
    _, problems, _ = _agencies(tmp_path, csv_text(rows))
    assert [p.line() for p in problems] == [
        f'agencies.csv:2:frontline_staff: "{value}": expected a whole number of 0 or more, or blank'
    ]


def test_when_counts_have_thousands_separators_or_arabic_digits_then_they_are_read(tmp_path):
    rows = [
        dict(AGENCIES[0], monthly_beneficiaries="1,200"),
        dict(AGENCIES[1], frontline_staff="١٢"),
    ]
    agencies, problems, _ = _agencies(tmp_path, csv_text(rows))
    assert problems == []
    assert agencies["monthly_beneficiaries"].tolist()[0] == 1200
    assert agencies["frontline_staff"].tolist()[1] == 12


def test_when_a_required_column_is_missing_then_problem_on_row_1(tmp_path):
    rows = [{k: v for k, v in a.items() if k != "group"} for a in AGENCIES]
    _, problems, _ = _agencies(tmp_path, csv_text(rows))
    assert [p.line() for p in problems] == [
        "agencies.csv:1:group: expected a column 'group' (required: agency_id, name_en, name_ar, group)"
    ]


def test_when_a_name_in_a_report_language_is_blank_then_problem(tmp_path):
    rows = [dict(AGENCIES[0], name_ar=""), AGENCIES[1]]
    _, problems, _ = _agencies(tmp_path, csv_text(rows))
    assert [p.line() for p in problems] == [
        "agencies.csv:2:name_ar: \"\": expected the agency's name in 'ar'"
    ]


def test_when_agencies_csv_is_missing_then_one_problem_and_an_empty_typed_frame(tmp_path):
    agencies, problems, _ = load_agencies(make_study(tmp_path, remove=["agencies.csv"]))
    assert [p.line() for p in problems] == [
        "agencies.csv: expected an existing file: it is missing"
    ]
    assert agencies.empty and str(agencies["frontline_staff"].dtype) == "Int64"


def test_when_problem_objects_compare_then_fields_matter():
    assert Problem("a", 1, "c", "v", "x") == Problem("a", 1, "c", "v", "x")


def test_when_thresholds_give_minimum_standards_then_they_load_per_dimension():
    study, problems = parse_study_text(
        MINIMAL + "thresholds: {target_index: 70, standards: {D1: 60}}\n"
    )
    assert problems == []
    assert study.thresholds.standards == {"D1": 60.0}


def test_when_a_standard_names_no_dimension_then_problem_lists_the_dimensions():
    lines = _lines(MINIMAL + "thresholds: {standards: {STAFF: 60}}\n")
    assert len(lines) == 1
    assert '"STAFF": expected a dimension code of study.yml dimensions (D1)' in lines[0]


def test_when_a_standard_is_out_of_range_then_problem():
    lines = _lines(MINIMAL + "thresholds: {standards: {D1: 160}}\n")
    assert len(lines) == 1 and "thresholds.standards.D1" in lines[0]
