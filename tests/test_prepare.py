"""Tests of the quality rules and the exclusion ledger (DESIGN.md section 8: nothing lost).

Frames are built by hand in the tidy layout of docs/architecture.md; every expected reason
and count below was worked out by hand from the rule definitions, not taken from the code.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from study_builder import BASELINE, FOLLOWUP, make_study, with_cell

from analysis import config
from analysis.prepare import (
    EXCLUDED_LEAD_COLUMNS,
    LedgerImbalanceError,
    PreparedStudy,
    apply_quality_rules,
    ledger,
    prepare_study,
    resolve_quality,
    run_prepare,
    split_flagged,
    write_prepared,
)
from analysis.simulate import simulate_study

ITEMS = [f"Q{i}" for i in range(1, 9)]  # eight items: the default straight-lining threshold
VARIED = [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0]  # a plainly valid, non-identical answer set
NO_FIELDWORK: dict[str, tuple[date, date] | None] = {"baseline": None, "followup": None}
ALL_ON = dict(config.DEFAULT_QUALITY)


def tidy(rows: list[dict]) -> pd.DataFrame:
    """A tidy responses frame; each row dict overrides the defaults of a valid respondent."""
    records = []
    for number, row in enumerate(rows):
        answers = row.pop("answers", VARIED)
        record = {
            "agency_id": "A",
            "wave": "baseline",
            "respondent": f"r{number}",
            "source_file": "baseline.csv",
            "source_row": number + 2,
            "date": pd.NaT,
            "duration_s": 300.0,
            "comment": None,
            **dict(zip(ITEMS, answers, strict=True)),
            "recommend": 8.0,
            "gender": "female",
        }
        record.update(row)
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
    frame["source_row"] = frame["source_row"].astype("int64")
    for column in ITEMS + ["duration_s", "recommend"]:
        frame[column] = frame[column].astype("float64")
    return frame


def reasons(
    frame: pd.DataFrame,
    quality: dict | None = None,
    fieldwork: dict | None = None,
    files: list[str] | None = None,
) -> list:
    flagged = apply_quality_rules(
        frame, ITEMS, ALL_ON if quality is None else quality, fieldwork or NO_FIELDWORK, files
    )
    return [None if pd.isna(r) else r for r in flagged["reason"]]


# --- duplicate ---------------------------------------------------------------------------


def test_when_respondent_repeats_in_a_wave_then_rows_after_the_first_are_duplicates() -> None:
    # Listed out of row order on purpose: "first" means lowest source row, not first listed.
    frame = tidy(
        [
            {"respondent": "7", "source_row": 9},
            {"respondent": "7", "source_row": 3},
            {"respondent": "8", "source_row": 4},
            {"respondent": "7", "source_row": 5},
        ]
    )
    assert reasons(frame) == ["duplicate", None, None, "duplicate"]


def test_when_same_id_in_two_agencies_of_one_wave_then_the_later_row_is_a_duplicate() -> None:
    frame = tidy(
        [
            {"agency_id": "A", "respondent": "7", "source_row": 2},
            {"agency_id": "B", "respondent": "7", "source_row": 3},
        ]
    )
    assert reasons(frame) == [None, "duplicate"]


def test_when_same_id_in_different_waves_then_no_row_is_a_duplicate() -> None:
    frame = tidy(
        [
            {"wave": "baseline", "respondent": "7", "source_file": "b.csv", "source_row": 2},
            {"wave": "followup", "respondent": "7", "source_file": "f.csv", "source_row": 2},
        ]
    )
    assert reasons(frame) == [None, None]


def test_when_files_are_ordered_then_first_row_is_taken_in_file_order_not_by_name() -> None:
    # study.yml lists z.csv before a.csv: the row of z.csv is the original one.
    frame = tidy(
        [
            {"respondent": "7", "source_file": "a.csv", "source_row": 2},
            {"respondent": "7", "source_file": "z.csv", "source_row": 50},
        ]
    )
    assert reasons(frame, files=["z.csv", "a.csv"]) == ["duplicate", None]
    # Without an explicit order, files count in the order they first appear.
    assert reasons(frame) == [None, "duplicate"]


def test_when_ids_differ_only_by_surrounding_blanks_then_they_are_duplicates() -> None:
    frame = tidy([{"respondent": "7"}, {"respondent": " 7 "}])
    assert reasons(frame) == [None, "duplicate"]


def test_when_respondent_id_is_missing_then_the_row_is_never_a_duplicate() -> None:
    frame = tidy([{"respondent": None}, {"respondent": None}, {"respondent": ""}])
    assert reasons(frame) == [None, None, None]


# --- empty -------------------------------------------------------------------------------


def test_when_no_item_is_answered_then_the_row_is_empty() -> None:
    one_answer = [np.nan] * 7 + [3.0]
    frame = tidy([{"answers": [np.nan] * 8}, {"answers": one_answer}])
    assert reasons(frame) == ["empty", None]


# --- speeder -----------------------------------------------------------------------------


def test_when_duration_under_share_of_agency_wave_median_then_speeder_and_at_threshold_kept() -> (
    None
):
    # Agency A durations 90, 150, 300, 300, 400: median 300, threshold 0.5 x 300 = 150.
    # 90 < 150 is a speeder; 150 is exactly at the threshold and kept.
    # Agency B durations 20, 40, 60: its own median 40, threshold 20, so 20 is kept. Pooled
    # over the wave the median would be 120 and 20 and 40 would both be speeders.
    # The row without a duration is never a speeder.
    durations_a = [90.0, 150.0, 300.0, 300.0, 400.0]
    durations_b = [20.0, 40.0, 60.0]
    frame = tidy(
        [{"agency_id": "A", "duration_s": d} for d in durations_a]
        + [{"agency_id": "B", "duration_s": d} for d in durations_b]
        + [{"agency_id": "B", "duration_s": np.nan}]
    )
    quality = {**ALL_ON, "speeders": 0.5}
    assert reasons(frame, quality) == ["speeder"] + [None] * 8


def test_when_duplicates_and_empty_rows_are_slow_then_they_do_not_raise_the_median() -> None:
    # Eligible durations 40, 60, 100: median 60, threshold 30, nobody is a speeder.
    # Counting the three empty 1000 s rows the median would be 550 and all three would be.
    rows = [{"duration_s": d} for d in (40.0, 60.0, 100.0)]
    rows += [{"duration_s": 1000.0, "answers": [np.nan] * 8} for _ in range(3)]
    assert reasons(tidy(rows), {**ALL_ON, "speeders": 0.5}) == [None] * 3 + ["empty"] * 3


def test_when_row_is_duplicate_and_speeder_then_it_counts_once_as_duplicate() -> None:
    frame = tidy(
        [
            {"respondent": "7", "duration_s": 300.0},
            {"respondent": "8", "duration_s": 300.0},
            {"respondent": "7", "duration_s": 5.0},
        ]
    )
    flagged = apply_quality_rules(frame, ITEMS, ALL_ON, NO_FIELDWORK)
    assert flagged["reason"].tolist()[2] == "duplicate"
    row = ledger(flagged, ["A"]).iloc[0]
    assert (row["received"], row["analysed"], row["duplicate"], row["speeder"]) == (3, 2, 1, 0)


# --- straightliner -----------------------------------------------------------------------


def test_when_eight_answered_items_are_identical_then_straightliner_by_default() -> None:
    frame = tidy(
        [
            {"answers": [4.0] * 8},  # 8 answered, all 4: straight-liner
            {"answers": [4.0] * 7 + [np.nan]},  # only 7 answered: kept
            {"answers": [4.0] * 7 + [5.0]},  # one differs: kept
        ]
    )
    assert reasons(frame) == ["straightliner", None, None]


def test_when_straightliners_threshold_is_three_then_three_identical_answers_suffice() -> None:
    frame = tidy(
        [
            {"answers": [2.0] * 3 + [np.nan] * 5},
            {"answers": [2.0] * 2 + [np.nan] * 6},
        ]
    )
    assert reasons(frame, {**ALL_ON, "straightliners": 3}) == ["straightliner", None]


# --- outside fieldwork -------------------------------------------------------------------


def test_when_date_is_outside_the_fieldwork_window_then_row_is_excluded_bounds_inclusive() -> None:
    window = {"baseline": (date(2025, 1, 5), date(2025, 2, 10)), "followup": None}
    frame = tidy(
        [
            {"date": "2025-01-04"},  # a day early
            {"date": "2025-01-05"},  # first day
            {"date": "2025-02-10 15:30"},  # afternoon of the last day
            {"date": "2025-02-11"},  # a day late
            {"date": None},  # no date: passes
            {"wave": "followup", "date": "2020-01-01"},  # follow-up has no window
        ]
    )
    expected = ["outside_fieldwork", None, None, "outside_fieldwork", None, None]
    assert reasons(frame, fieldwork=window) == expected


# --- switches ----------------------------------------------------------------------------


def _one_row_per_rule() -> tuple[pd.DataFrame, dict]:
    """Rows 1-5 each fail exactly one rule, in EXCLUSION_REASONS order; row 0 is clean."""
    frame = tidy(
        [
            {"respondent": "1", "date": "2025-01-10"},
            {"respondent": "1", "date": "2025-01-10"},
            {"respondent": "2", "answers": [np.nan] * 8},
            {"respondent": "3", "duration_s": 10.0},
            {"respondent": "4", "answers": [5.0] * 8},
            {"respondent": "5", "date": "2025-03-01"},
        ]
    )
    return frame, {"baseline": (date(2025, 1, 5), date(2025, 2, 10)), "followup": None}


def test_when_all_rules_are_on_then_each_planted_row_gets_its_reason() -> None:
    frame, window = _one_row_per_rule()
    assert reasons(frame, fieldwork=window) == [None, *config.RESPONDENT_REASONS]


@pytest.mark.parametrize(
    ("switch", "reason"),
    [
        ("duplicates", "duplicate"),
        ("empty", "empty"),
        ("speeders", "speeder"),
        ("straightliners", "straightliner"),
        ("fieldwork", "outside_fieldwork"),
    ],
)
def test_when_a_rule_is_switched_off_with_false_then_its_row_is_kept(
    switch: str, reason: str
) -> None:
    frame, window = _one_row_per_rule()
    got = reasons(frame, {**ALL_ON, switch: False}, window)
    expected = [None, *config.RESPONDENT_REASONS]
    expected[expected.index(reason)] = None
    assert got == expected


def test_when_quality_block_is_partial_or_true_then_defaults_fill_in() -> None:
    assert resolve_quality({"speeders": True, "straightliners": False}) == {
        "preview": True,
        "test": True,
        "spam": True,
        "incomplete": True,
        "duplicates": True,
        "empty": True,
        "fieldwork": True,
        "speeders": 0.33,
        "straightliners": None,
    }
    assert resolve_quality(None)["straightliners"] == 8


# --- ledger ------------------------------------------------------------------------------


def test_when_ledger_is_built_then_counts_balance_and_agencies_without_rows_appear() -> None:
    frame, window = _one_row_per_rule()
    extra = tidy(
        [
            {"agency_id": "B", "wave": "followup", "respondent": "1", "source_row": 2},
            {"agency_id": "B", "wave": "followup", "respondent": "1", "source_row": 3},
        ]
    ).assign(source_file="followup.csv")
    flagged = apply_quality_rules(pd.concat([frame, extra]), ITEMS, ALL_ON, window)
    table = ledger(flagged, ["A", "B", "C"])

    assert list(table.columns) == [
        "agency_id",
        "wave",
        "received",
        "analysed",
        *config.EXCLUSION_REASONS,
    ]
    expected = pd.DataFrame(
        [
            # received, analysed; preview, test, spam, incomplete; the five respondent rules
            ["A", "baseline", 6, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1],
            ["A", "followup", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ["B", "baseline", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ["B", "followup", 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0],
            ["C", "baseline", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ["C", "followup", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ],
        columns=table.columns,
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert (table.iloc[:, 2:].dtypes == "int64").all()


def test_when_a_row_has_an_agency_outside_the_list_then_ledger_raises() -> None:
    flagged = apply_quality_rules(tidy([{"agency_id": "X"}]), ITEMS, ALL_ON, NO_FIELDWORK)
    with pytest.raises(LedgerImbalanceError, match="X"):
        ledger(flagged, ["A"])


def test_when_a_row_has_an_unknown_reason_then_ledger_raises() -> None:
    flagged = apply_quality_rules(tidy([{}]), ITEMS, ALL_ON, NO_FIELDWORK)
    flagged["reason"] = pd.Series(["lost"], dtype="string")
    with pytest.raises(LedgerImbalanceError, match="lost"):
        ledger(flagged, ["A"])


# --- split -------------------------------------------------------------------------------


def test_when_split_then_rows_are_ordered_by_wave_file_row_and_excluded_leads_with_ids() -> None:
    frame = tidy(
        [
            {"wave": "followup", "source_file": "f.csv", "source_row": 2, "respondent": "a"},
            {"source_file": "b2.csv", "source_row": 2, "respondent": "b"},
            {"source_file": "b1.csv", "source_row": 9, "respondent": "c"},
            {"source_file": "b1.csv", "source_row": 3, "respondent": "d"},
            {"source_file": "b1.csv", "source_row": 4, "respondent": "d"},
        ]
    )
    flagged = apply_quality_rules(frame, ITEMS, ALL_ON, NO_FIELDWORK)
    analysed, excluded = split_flagged(flagged, files=["b1.csv", "b2.csv", "f.csv"])

    assert analysed["respondent"].tolist() == ["d", "c", "b", "a"]
    assert "reason" not in analysed.columns
    assert list(analysed.columns) == list(frame.columns)
    assert list(excluded.columns[:6]) == list(EXCLUDED_LEAD_COLUMNS)
    assert set(excluded.columns) == set(frame.columns) | {"reason"}
    assert excluded[["source_file", "source_row", "reason"]].values.tolist() == [
        ["b1.csv", 4, "duplicate"]
    ]


# --- property: nothing lost --------------------------------------------------------------


def random_tidy(seed: int, n: int = 300) -> pd.DataFrame:
    """Messy random rows: repeated ids, blanks, straight-lines, slow and fast, odd dates."""
    rng = np.random.default_rng(seed)
    waves = rng.choice(list(config.WAVES), n)
    answers = rng.integers(1, 6, size=(n, len(ITEMS))).astype("float64")
    answers[rng.random((n, len(ITEMS))) < 0.2] = np.nan
    answers[rng.random(n) < 0.08] = np.nan  # empty rows
    flat = rng.random(n) < 0.1
    answers[flat] = rng.integers(1, 6, size=(int(flat.sum()), 1))  # straight-liners
    duration = rng.lognormal(5.5, 0.7, n)
    duration[rng.random(n) < 0.1] = np.nan
    day = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    files = np.where(waves == "baseline", "base.csv", rng.choice(["f1.csv", "f2.csv"], n))
    frame = pd.DataFrame(
        {
            "agency_id": rng.choice(["A", "B", "C", "D"], n),
            "wave": waves,
            "respondent": rng.integers(0, n // 2, n).astype(str),  # many repeats
            "source_file": files,
            "source_row": np.arange(2, n + 2, dtype="int64"),
            "date": day.where(rng.random(n) > 0.1),
            "duration_s": duration,
            "comment": None,
            **{code: answers[:, i] for i, code in enumerate(ITEMS)},
            "recommend": np.nan,
            "gender": rng.choice(["male", "female"], n),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any input order


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_when_random_rows_are_prepared_then_nothing_is_lost_or_counted_twice(seed: int) -> None:
    frame = random_tidy(seed)
    window = {"baseline": (date(2025, 1, 5), date(2025, 2, 10)), "followup": None}
    quality = {**ALL_ON, "straightliners": 4}
    flagged = apply_quality_rules(frame, ITEMS, quality, window)
    table = ledger(flagged, ["A", "B", "C", "D", "E"])
    analysed, excluded = split_flagged(flagged)

    # Balance per agency and wave, against counts taken straight from the input.
    input_counts = frame.groupby(["agency_id", "wave"]).size()
    for row in table.itertuples(index=False):
        assert row.received == input_counts.get((row.agency_id, row.wave), 0)
        excluded_here = sum(getattr(row, r) for r in config.EXCLUSION_REASONS)
        assert row.received == row.analysed + excluded_here
    assert (table.loc[table["agency_id"] == "E", "received"] == 0).all()

    # Every input row once across analysed + excluded, identified by file and row.
    key = ["source_file", "source_row"]
    out_keys = pd.concat([analysed[key], excluded[key]])
    assert not out_keys.duplicated().any()
    assert set(map(tuple, out_keys.values)) == set(map(tuple, frame[key].values))
    assert len(excluded) == int(table[list(config.EXCLUSION_REASONS)].to_numpy().sum())

    # What is kept obeys the rules as stated in DESIGN.md, checked independently.
    items = analysed[ITEMS]
    assert not analysed.duplicated(["wave", "respondent"]).any()
    assert items.notna().any(axis=1).all()
    answered = items.notna().sum(axis=1)
    assert not ((answered >= 4) & (items.max(axis=1) == items.min(axis=1))).any()
    base_dates = analysed.loc[analysed["wave"] == "baseline", "date"].dropna()
    assert base_dates.between("2025-01-05", "2025-02-10").all()


# --- writing -----------------------------------------------------------------------------


def _prepared_example() -> PreparedStudy:
    frame = tidy(
        [
            {"respondent": "1", "comment": "خدمة ممتازة"},
            {"respondent": "1", "comment": "مكرر"},
            {"wave": "followup", "source_file": "followup.csv", "date": "2025-06-01"},
        ]
    )
    flagged = apply_quality_rules(frame, ITEMS, ALL_ON, NO_FIELDWORK)
    analysed, excluded = split_flagged(flagged)
    agencies = pd.DataFrame(
        {
            "agency_id": ["A"],
            "name_en": ["Agency A"],
            "name_ar": ["الجهة أ"],
            "group": ["programme"],
        }
    )
    return PreparedStudy(None, agencies, analysed, excluded, ledger(flagged, ["A"]))


def test_when_written_twice_then_files_are_byte_identical_and_no_temp_files_remain(
    tmp_path: Path,
) -> None:
    prepared = _prepared_example()
    first = {n: p.read_bytes() for n, p in write_prepared(prepared, tmp_path / "one").items()}
    second = {n: p.read_bytes() for n, p in write_prepared(prepared, tmp_path / "two").items()}
    assert first == second
    # Readable by others as a normal file would be (the umask decides), not mkstemp's 0600.
    assert all(p.stat().st_mode & 0o044 for p in (tmp_path / "one").iterdir())
    write_prepared(prepared, tmp_path / "one")  # overwrite in place
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "agencies.parquet",
        "excluded.csv",
        "interventions.parquet",
        "ledger.csv",
        "responses.parquet",
    ]


def test_when_written_then_csvs_have_a_bom_and_arabic_survives(tmp_path: Path) -> None:
    paths = write_prepared(_prepared_example(), tmp_path)
    raw = paths["excluded"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    # Whole-number floats are written as 300 and 1, not 300.0 and 1.0, for Excel readers.
    assert "baseline.csv,3,A,baseline,1,duplicate,,300,مكرر,1,2,3,4,5,4,3,2,8,female" in (
        raw.decode("utf-8-sig")
    )
    assert paths["ledger"].read_bytes().startswith(b"\xef\xbb\xbfagency_id,wave,received")
    excluded = pd.read_csv(paths["excluded"], encoding="utf-8-sig")
    assert excluded[["respondent", "reason", "comment"]].values.tolist() == [
        [1, "duplicate", "مكرر"]
    ]
    analysed = pd.read_parquet(paths["responses"])
    assert analysed["date"].dt.strftime("%Y-%m-%d").fillna("").tolist() == ["", "2025-06-01"]
    assert pd.read_parquet(paths["agencies"])["name_ar"].tolist() == ["الجهة أ"]


# --- integration: run_prepare on a study folder -----------------------------------------


def _planted_study(tmp_path: Path) -> Path:
    """The default test study with one row planted for each rule (straightliners: 4).

    baseline A01 row 4 (b3) reuses id b1: duplicate. Baseline A02 row 6 (b5) is dated
    2025-03-01, after the 2025-02-10 end of fieldwork. Follow-up A01 row 3 (f2) took 50 s
    against durations 310, 50, 330 (median 310, threshold 0.33 x 310 = 102.3): speeder.
    Follow-up A02 row 5 (f4) answers 4 on all five items: straight-liner. Follow-up A02 row 6
    (f5) answers N/A (9) everywhere: empty.
    """
    baseline = with_cell(BASELINE, 2, response_id="b1")
    baseline = with_cell(baseline, 4, date="2025-03-01")
    followup = with_cell(FOLLOWUP, 1, duration_s=50)
    followup = with_cell(followup, 3, q2=4)
    followup = with_cell(followup, 4, q1=9, q2=9, q3=9, q4=9, sat=9)
    return make_study(
        tmp_path, study={"quality": {"straightliners": 4}}, baseline=baseline, followup=followup
    )


def test_when_study_is_prepared_then_processed_files_account_for_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study_dir = _planted_study(tmp_path)
    assert run_prepare(study_dir) == 0
    out = capsys.readouterr().out
    assert "received  12 rows" in out
    assert "excluded  5 rows (duplicate 1, empty 1, speeder 1, straightliner 1, " in out
    assert "analysed  7 rows" in out

    processed = tmp_path / "processed"
    written = pd.read_csv(processed / "ledger.csv", encoding="utf-8-sig")
    assert written.values.tolist() == [
        # every reason has its column, the platform's four (zero in plain files) first
        ["A01", "baseline", 3, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0],
        ["A01", "followup", 3, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0],
        ["A02", "baseline", 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ["A02", "followup", 3, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0],
    ]
    excluded = pd.read_csv(processed / "excluded.csv", encoding="utf-8-sig")
    assert excluded.iloc[:, :6].values.tolist() == [
        ["surveys/baseline.csv", 4, "A01", "baseline", "b1", "duplicate"],
        ["surveys/baseline.csv", 6, "A02", "baseline", "b5", "outside_fieldwork"],
        ["surveys/followup.csv", 3, "A01", "followup", "f2", "speeder"],
        ["surveys/followup.csv", 5, "A02", "followup", "f4", "straightliner"],
        ["surveys/followup.csv", 6, "A02", "followup", "f5", "empty"],
    ]
    analysed = pd.read_parquet(processed / "responses.parquet")
    assert analysed["respondent"].tolist() == ["b1", "b2", "b4", "b6", "f1", "f3", "f6"]
    assert "reason" not in analysed.columns
    agencies = pd.read_parquet(processed / "agencies.parquet")
    assert agencies["agency_id"].tolist() == ["A01", "A02"]
    # The test study has no interventions.csv: an empty table with the standard columns.
    interventions = pd.read_parquet(processed / "interventions.parquet")
    assert len(interventions) == 0
    assert list(interventions.columns[:2]) == ["agency_id", "date"]


def test_when_prepare_runs_twice_then_every_output_is_byte_identical(tmp_path: Path) -> None:
    study_dir = _planted_study(tmp_path)
    processed = tmp_path / "processed"
    assert run_prepare(study_dir) == 0
    first = {p.name: p.read_bytes() for p in processed.iterdir()}
    assert run_prepare(study_dir) == 0
    second = {p.name: p.read_bytes() for p in processed.iterdir()}
    assert sorted(first) == [
        "agencies.parquet",
        "excluded.csv",
        "inputs.json",
        "interventions.parquet",
        "ledger.csv",
        "responses.parquet",
    ]
    assert first == second


def test_when_prepare_runs_then_the_inputs_stamp_holds_each_raw_file_hash(tmp_path: Path) -> None:
    study_dir = _planted_study(tmp_path)
    assert run_prepare(study_dir) == 0
    stamp = json.loads((tmp_path / "processed" / "inputs.json").read_text(encoding="utf-8"))
    expected = hashlib.sha256((study_dir / "study.yml").read_bytes()).hexdigest()
    assert stamp["study.yml"] == expected
    assert "agencies.csv" in stamp


def test_when_study_has_input_problems_then_run_prepare_lists_them_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study_dir = make_study(tmp_path, baseline=with_cell(BASELINE, 0, agency_id="Z9"))
    assert run_prepare(study_dir) == 2
    err = capsys.readouterr().err
    assert "surveys/baseline.csv:2:agency_id" in err
    assert "Z9" in err
    assert not (tmp_path / "processed").exists()


def test_when_simulated_study_is_prepared_then_ledger_matches_the_planted_faults(
    tmp_path: Path,
) -> None:
    # The simulator records the faults it planted per agency and wave in truth.json: an
    # oracle written independently of the rules here.
    simulate_study(tmp_path / "raw", agencies=4, seed=11, responses=60)
    truth = json.loads((tmp_path / "raw" / "truth.json").read_text(encoding="utf-8"))
    prepared = prepare_study(tmp_path / "raw")
    raw_activities = pd.read_csv(tmp_path / "raw" / "interventions.csv", encoding="utf-8-sig")
    assert len(prepared.interventions) == len(raw_activities) > 0
    table = prepared.ledger.set_index(["agency_id", "wave"])
    for agency_id, agency in truth["agencies"].items():
        for wave in config.WAVES:
            row = table.loc[(agency_id, wave)]
            planted = agency["faults"][wave]
            assert {r: row[r] for r in config.RESPONDENT_REASONS} == planted, (agency_id, wave)
            assert row["received"] == agency["n_received"][wave]
            assert row["analysed"] == agency["n_analysed"][wave]
