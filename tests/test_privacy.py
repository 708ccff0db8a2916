"""Personal data masking and spreadsheet-formula safety (DESIGN.md sections 5, 6 and 8).

The corpus below is written by hand: each personal-data variant is one way people really
write (or disguise) a phone number, an id or an e-mail in a survey comment, and each
expected output was written down before the code ran, so the tests say what a reader of
the report sees, not what the implementation happens to do.
"""

from __future__ import annotations

import csv
import time

import numpy as np
import pandas as pd
import pytest

from analysis.privacy import (
    BIDI_CONTROLS,
    mask_pii,
    needs_neutralising,
    neutralise_cell,
    neutralise_frame,
    normalise_for_matching,
    strip_bidi_controls,
    unneutralise_cell,
    unneutralise_frame,
)

PHONE = "[phone number]"
ID = "[ID number]"
NUMBER = "[number]"
EMAIL = "[e-mail]"

# --- the corpus: every variant masked ---------------------------------------------------------

#: (comment, the comment as the report shows it).
PERSONAL_DATA = [
    # Saudi mobile numbers, separators of every kind
    ("call me 0551234567 please", f"call me {PHONE} please"),
    ("call me 055 123 4567 please", f"call me {PHONE} please"),
    ("055-123-4567.", f"{PHONE}."),
    ("my number is 055.123.4567", f"my number is {PHONE}"),
    ("055/123/4567", PHONE),
    ("055_123_4567", PHONE),
    ("رقمي 055،123،4567 شكرا", f"رقمي {PHONE} شكرا"),
    ("رقمي 055، 123، 4567", f"رقمي {PHONE}"),
    ("call (055) 123-4567 today", f"call {PHONE} today"),
    ("055 . 123 . 4567", PHONE),
    ("055–123–4567", PHONE),  # en dashes
    ("055,123,4567", PHONE),
    ("0 5 5 1 2 3 4 5 6 7", PHONE),  # one digit at a time
    ("05 51 23 45 67", PHONE),  # two at a time
    ("office 01 14 56 78 90", f"office {PHONE}"),  # a landline in pairs
    ("551234567 is my mobile", f"{PHONE} is my mobile"),  # without the leading 0
    # invisible and look-alike characters
    ("055\u2009123\u20094567", PHONE),  # thin spaces
    ("055\u00a0123\u00a04567", PHONE),  # no-break spaces
    ("055\u202f123\u202f4567", PHONE),  # narrow no-break spaces
    ("055\u2060123\u20604567", PHONE),  # word joiners
    ("05\u200b512\u200b34567", PHONE),  # zero-width spaces
    ("05\ufeff51234567", PHONE),  # a byte-order mark inside
    # inside a left-to-right embedding / isolate: the controls outside the number stay
    # (the comment list removes them for display)
    ("\u202a0551234567\u202c", f"\u202a{PHONE}\u202c"),
    ("جوالي \u20660551234567\u2069", f"جوالي \u2066{PHONE}\u2069"),
    ("０５５１２３４５６７", PHONE),  # full-width digits
    ("رقمي ٠٥٥١٢٣٤٥٦٧ شكرا", f"رقمي {PHONE} شكرا"),  # Arabic-Indic digits
    ("رقمي ۰۵۵۱۲۳۴۵۶۷", f"رقمي {PHONE}"),  # Persian digits
    ("٠٥٥ ١٢٣ ٤٥٦٧", PHONE),
    ("جوالي\u200e0551234567", f"جوالي\u200e{PHONE}"),  # the direction mark stays, outside
    # international forms
    ("+966 55 123 4567", PHONE),
    ("+966551234567", PHONE),
    ("00966551234567", PHONE),
    ("00966-55-123-4567", PHONE),
    ("966551234567", PHONE),
    ("+966 (0) 55 123 4567", PHONE),
    ("call (+966) 55 123 4567", f"call {PHONE}"),
    ("+٩٦٦٥٥١٢٣٤٥٦٧", PHONE),
    ("+44 20 7946 0958", PHONE),
    ("+1 (212) 555-0199", PHONE),
    ("0044 20 7946 0958", PHONE),
    # landlines and service numbers
    ("landline 011 456 7890", f"landline {PHONE}"),
    ("هاتف المكتب 013-857-1234", f"هاتف المكتب {PHONE}"),
    ("(011) 4567890", PHONE),
    ("+966 11 456 7890", PHONE),
    ("800 123 4567", PHONE),
    ("9200 12345", PHONE),
    # two numbers in a row keep their own labels
    ("0551234567 / 0561234567", f"{PHONE} / {PHONE}"),
    ("AG01 0551234567", f"AG01 {PHONE}"),
    # national ids (1...) and iqama numbers (2...)
    ("ID 1012345678", f"ID {ID}"),
    ("iqama 2412345678", f"iqama {ID}"),
    ("هويتي ١٠١٢٣٤٥٦٧٨", f"هويتي {ID}"),
    ("1012 345 678", ID),
    ("رقم الإقامة: 2\u200b412345678", f"رقم الإقامة: {ID}"),
    # other long numbers (accounts, cards)
    ("account 1234567890123", f"account {NUMBER}"),
    ("card 4111 1111 1111 1111", f"card {NUMBER}"),
    # e-mails, plain and disguised
    ("mail me at a.b-c@example.com.sa!", f"mail me at {EMAIL}!"),
    ("ali [at] example.com", EMAIL),
    ("ali(at)example.com", EMAIL),
    ("ali at example dot com", EMAIL),
    ("ali [at] example [dot] com", EMAIL),
    ("ali @ example . com", EMAIL),
    ("ali {at} example {dot} com", EMAIL),
    ("ALI AT EXAMPLE DOT COM", EMAIL),
    ("ali.hassan (at) gmail (dot) com thanks", f"{EMAIL} thanks"),
    ("ali＠example．com", EMAIL),  # full-width @ and dot
    ("ali\u200b@example.com", EMAIL),
    ("mailto:ali@example.com", f"mailto:{EMAIL}"),
    ("راسلوني على ali at example.com", f"راسلوني على {EMAIL}"),
    ("بريدي علي@مثال.السعودية", f"بريدي {EMAIL}"),
    # several kinds in one Arabic sentence
    (
        "جوالي: ٠٥٥-١٢٣-٤٥٦٧ والإيميل ali@example.com وهويتي 1012345678",
        f"جوالي: {PHONE} والإيميل {EMAIL} وهويتي {ID}",
    ),
]

#: Sentences with ordinary numbers: shown exactly as written.
ORDINARY = [
    "waited 45 minutes, room 12, 2 hours",
    "visited on 2025-01-05 and 05.01.2025",
    "ticket 123456",
    "زرت الفرع عام 2025 وفي 1446 هـ",
    "I gave it 4/5 and my friend 5/5",
    "دفعت 150 ريال",
    "الرسوم 1,250,000 ريال",
    "the fee was 1.250.000 SAR",
    "التقييم ٤/٥ والانتظار ٣٠ دقيقة",
    "appointment at 10:30 on 15/01/2025",
    "85% of staff, 3.5 out of 5",
    "from 2024-2025 and 1445-1446",
    "الموعد ١٤٤٦/٠٧/١٥",
    "scores 5, 4, 5, 3, 4, 5, 4, 5",
    "rated 5 4 5 5 4 3 5 4",
    "I was at the office. Then I left at 3 pm.",
    "We met at hospital.Then we left",
    "email was not answered @ all",
    "الساعة 8:30-12:00 يوميا",
    "@support please help",
    "queue number 45, window 3, floor 2",
    "fieldwork 2025/01/05-2025/02/10",
    "version 1.2.3 of the app",
    "call 937 or 911",
    "waited from 9 to 12 (3 hours)",
    "١٠٪ فقط من الموظفين، ٣ نوافذ من ٨",
    "on a scale 0 1 2 3 4 5 6 7 8 9 10 I give 9",
    "عدد المستفيدين 1500000 مستفيد سنويا",
    "rooms 101, 102, 103 and 104",
]


@pytest.mark.parametrize(("text", "expected"), PERSONAL_DATA)
def test_when_a_comment_holds_personal_data_then_it_is_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", ORDINARY)
def test_when_a_comment_holds_ordinary_numbers_then_it_is_unchanged(text):
    assert mask_pii(text) == text


def test_when_the_corpus_is_counted_then_it_has_at_least_40_variants_and_15_ordinary():
    assert len(PERSONAL_DATA) >= 40
    assert len(ORDINARY) >= 15


def test_when_masking_in_arabic_then_the_labels_are_arabic():
    assert mask_pii("0551234567 a@b.co 1012345678", "ar") == "[رقم هاتف] [بريد إلكتروني] [رقم هوية]"


def test_when_masked_then_no_digit_of_the_secret_is_left():
    # Belt and braces over the exact expectations: no variant leaves 4 digits in a row.
    for text, _ in PERSONAL_DATA:
        masked = normalise_for_matching(mask_pii(text))[0]
        assert not any(masked[i : i + 4].isdigit() for i in range(len(masked))), text


def test_when_text_is_normalised_then_each_character_maps_back_to_its_original():
    norm, origin = normalise_for_matching("a\u200b٠５\u2009b")
    assert norm == "a05 b"
    # The zero-width space (index 1) is dropped; every other character keeps its index.
    assert origin == [0, 2, 3, 4, 5]


def test_when_a_comment_is_very_long_then_masking_still_finishes_quickly():
    # A 5000-digit number and thousands of single digits: bounded work, one label.
    assert mask_pii("x " + "7" * 5000) == f"x {NUMBER}"
    spaced = " ".join("5" * 3000)
    assert mask_pii(spaced) == spaced  # a list of single digits, not an identifier


@pytest.mark.parametrize("unit", ["1 ", "0 ", "05 ", "(1) ", "١ ", "a.", "a at ", "x [at] y "])
def test_when_a_200_kb_comment_is_hostile_then_masking_stays_linear(unit):
    # Quadratic work would take minutes here; linear takes about a second on a busy core.
    text = unit * (200_000 // len(unit))
    started = time.perf_counter()
    mask_pii(text)
    assert time.perf_counter() - started < 20


# --- bidi controls ----------------------------------------------------------------------------


def test_when_bidi_controls_are_stripped_then_only_the_overrides_and_isolates_go():
    text = "a\u202eb\u202dc\u202ad\u202be\u202cf\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl"
    assert strip_bidi_controls(text) == "abcdefghij\u200ek\u200fl"
    assert set(BIDI_CONTROLS) == {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


# --- CSV neutralisation (OWASP CSV injection) -------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("'=1+1", "''=1+1"),  # already quoted by hand: one more, so reading gives it back
        # harmless: left as they are
        ("-3", "-3"),
        ("-0.5", "-0.5"),
        ("+966", "+966"),
        ("1e-5", "1e-5"),
        ("A01", "A01"),
        ("", ""),
        ("a=b", "a=b"),
        ("'quoted'", "'quoted'"),
        ("مرحبا", "مرحبا"),
    ],
)
def test_when_a_cell_starts_like_a_formula_then_it_is_prefixed_and_reads_back(cell, written):
    assert neutralise_cell(cell) == written
    assert unneutralise_cell(written) == cell
    assert needs_neutralising(cell) == (written != cell)


def test_when_a_cell_is_not_text_then_it_is_untouched():
    for value in (-3, -0.5, np.float64(-1.5), None, np.nan, pd.NA, pd.Timestamp("2025-01-05")):
        assert neutralise_cell(value) is value


def test_when_a_frame_is_neutralised_then_only_text_cells_change_and_it_reads_back():
    frame = pd.DataFrame(
        {
            "id": pd.Series(["=1+1", "A01", None], dtype="string"),
            "obj": ["+cmd", -4, "ok"],
            "n": [-1, 2, 3],
            "x": [-0.5, np.nan, 1.0],
            "cat": pd.Categorical(["@x", "y", "@x"]),
        }
    )
    out = neutralise_frame(frame)
    assert out["id"].tolist() == ["'=1+1", "A01", pd.NA]
    assert out["obj"].tolist() == ["'+cmd", -4, "ok"]
    assert out["cat"].tolist() == ["'@x", "y", "'@x"]
    assert out["n"].dtype == frame["n"].dtype and out["n"].tolist() == [-1, 2, 3]
    assert out["x"].equals(frame["x"])
    assert frame["id"].iloc[0] == "=1+1"  # the input frame is not modified
    pd.testing.assert_frame_equal(unneutralise_frame(out), frame)


def test_when_no_cell_needs_it_then_the_same_frame_comes_back():
    frame = pd.DataFrame({"a": ["x", "y"], "n": [1, 2]})
    assert neutralise_frame(frame) is frame


# --- generated variants -----------------------------------------------------------------------

_SCRIPTS = {
    "ascii": "0123456789",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "full-width": "０１２３４５６７８９",
}
_SEPARATORS = [
    "",
    " ",
    "-",
    ".",
    "/",
    "_",
    "،",
    ",",
    " - ",
    "\u2009",
    "\u00a0",
    "\u2060",
    "\u200b",
    "\u2013",
    "\u200f ",
]
_NUMBERS = [
    ("", "0551234567", (3, 3, 4)),
    ("", "0567654321", (3, 3, 4)),
    ("+", "966551234567", (3, 2, 3, 4)),
    ("", "00966551234567", (5, 2, 3, 4)),
    ("", "0114567890", (3, 3, 4)),
    ("", "1012345678", (4, 3, 3)),
    ("", "2412345678", (1, 3, 3, 3)),
]


def test_when_numbers_are_generated_in_every_script_and_separator_then_none_leaks():
    # 7 numbers x 4 scripts x 15 separators (420 variants), each inside an Arabic and an
    # English sentence: no digit of the number may reach the page.
    leaked = []
    for plus, digits, grouping in _NUMBERS:
        for name, script in _SCRIPTS.items():
            local = digits.translate(str.maketrans("0123456789", script))
            groups, position = [], 0
            for size in grouping:
                groups.append(local[position : position + size])
                position += size
            for separator in _SEPARATORS:
                number = plus + separator.join(groups)
                for sentence in (f"رقمي {number} شكرا", f"call {number} please"):
                    masked = normalise_for_matching(mask_pii(sentence))[0]
                    if any(c.isdigit() for c in masked):
                        leaked.append((name, repr(separator), sentence, masked))
    assert leaked == []


# --- every CSV the project writes: reports/results.csv ----------------------------------------


def _results_rows(agency_id: str = "AG01", code: str = "SAT") -> pd.DataFrame:
    from analysis.measures import RESULT_COLUMNS

    rows = [
        (
            agency_id,
            "baseline",
            "baseline",
            "outcome",
            code,
            "index",
            61.25,
            58.5,
            64.0,
            120,
            None,
            None,
            "",
        ),
        (
            agency_id,
            "baseline",
            "baseline",
            "item",
            "+cmd|' /C calc'!A0",
            "top2box",
            -0.5,
            -1.25,
            0.25,
            9,
            0.04,
            0.08,
            "holm",
        ),
        ("ALL", "baseline", "", "overall", "-", "n", np.nan, np.nan, np.nan, 3, None, None, ""),
    ]
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def test_when_results_hold_formula_like_text_then_the_csv_neutralises_it_and_keeps_numbers():
    from analysis.results import to_csv_text

    text = to_csv_text(_results_rows('=HYPERLINK("http://x","y")', "=1+1"))
    assert text.startswith("\ufeffagency_id,phase,")
    lines = text.splitlines()
    assert lines[1].startswith(
        '"\'=HYPERLINK(""http://x"",""y"")",baseline,baseline,outcome,\'=1+1,'
    )
    assert ",'+cmd|' /C calc'!A0,top2box,-0.5,-1.25,0.25,9,0.04,0.08,holm" in lines[2]
    assert lines[3] == "ALL,baseline,,overall,'-,n,,,,3,,,"


def test_when_no_cell_needs_neutralising_then_results_csv_is_byte_identical_to_before():
    from analysis.results import DIGITS, to_csv_text

    frame = _results_rows().assign(code=["SAT", "REQ", "respondents"])
    before = "\ufeff" + frame.to_csv(index=False, lineterminator="\n", float_format=f"%.{DIGITS}g")
    assert to_csv_text(frame) == before


def test_when_results_csv_is_read_back_then_it_is_what_was_written(tmp_path):
    from analysis.results import _normalise as normalise
    from analysis.results import read_results, sort_results, write_results

    rows = _results_rows('=HYPERLINK("http://x","y")', "=1+1")
    path = write_results(tmp_path, {"baseline": rows})
    first = path.read_bytes()
    back = read_results(path)
    pd.testing.assert_frame_equal(back, sort_results(normalise(rows)))
    # Another phase merged in: the baseline rows are kept as they were, not quoted twice.
    impact = _results_rows("=1+1").assign(phase="impact")
    write_results(tmp_path, {"impact": impact})
    merged = read_results(path)
    assert (
        merged.loc[merged["phase"] == "baseline", "agency_id"].tolist()[0] == rows["agency_id"][0]
    )
    assert "''" not in path.read_text(encoding="utf-8-sig")
    # Rewriting the same phases changes nothing: a rebuild stays byte-identical.
    merged_bytes = path.read_bytes()
    write_results(tmp_path, {"impact": impact, "baseline": rows})
    assert path.read_bytes() == merged_bytes
    write_results(tmp_path, {"impact": impact.iloc[:0]})
    assert path.read_bytes() == first


# --- every CSV the project writes: processed/excluded.csv and ledger.csv ----------------------


def _hostile_prepared():
    """Two agencies' rows, one analysed and three excluded, with hostile text everywhere."""
    from analysis.prepare import PreparedStudy, apply_quality_rules, ledger, split_flagged

    items = ["Q1", "Q2"]
    rows = [
        ("=1+1", "r0", 2, 300.0, "call 0551234567 or ali [at] example.com", 4.0, 5.0),
        ("=1+1", "r0", 3, 300.0, "+cmd|' /C calc'!A0 and 055\u2009123\u20094567", 4.0, 5.0),
        ("=1+1", '=HYPERLINK("http://x","y")', 4, -5.0, "\u202eرقمي ٠٥٥١٢٣٤٥٦٧", None, None),
        ("A02", "-3", 5, 250.0, "@SUM(1+1)", None, None),
    ]
    frame = pd.DataFrame(
        rows, columns=["agency_id", "respondent", "source_row", "duration_s", "comment", *items]
    ).assign(wave="baseline", source_file="baseline.csv", date=pd.NaT)
    for column in ("agency_id", "respondent", "comment", "wave", "source_file"):
        frame[column] = frame[column].astype("string")
    quality = {"speeders": False, "straightliners": False, "fieldwork": False}
    flagged = apply_quality_rules(frame, items, quality, {"baseline": None, "followup": None})
    analysed, excluded = split_flagged(flagged)
    agencies = pd.DataFrame({"agency_id": ["=1+1", "A02"]})
    return PreparedStudy(None, agencies, analysed, excluded, ledger(flagged, ["=1+1", "A02"]))


def test_when_processed_csvs_hold_formula_like_text_then_it_is_neutralised(tmp_path):
    from analysis.prepare import write_prepared

    prepared = _hostile_prepared()
    assert prepared.excluded["reason"].tolist() == ["duplicate", "empty", "empty"]
    paths = write_prepared(prepared, tmp_path)
    excluded = pd.read_csv(paths["excluded"], encoding="utf-8-sig", dtype=str)
    assert excluded["agency_id"].tolist() == ["'=1+1", "'=1+1", "A02"]
    assert excluded["respondent"].tolist() == ["r0", '\'=HYPERLINK("http://x","y")', "-3"]
    assert excluded["comment"].tolist()[0].startswith("'+cmd|' /C calc'!A0")
    assert excluded["comment"].tolist()[2] == "'@SUM(1+1)"
    # Numbers are numbers: a negative duration is written as one, not quoted.
    assert excluded["duration_s"].tolist() == ["300", "-5", "250"]
    ledger = pd.read_csv(paths["ledger"], encoding="utf-8-sig", dtype=str)
    assert ledger["agency_id"].unique().tolist() == ["'=1+1", "A02"]
    assert unneutralise_frame(ledger)["agency_id"].unique().tolist() == ["=1+1", "A02"]
    # As a spreadsheet parses the files: no cell starts like a formula any more.
    for path in (paths["excluded"], paths["ledger"]):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert cell[:1] == "'" or not needs_neutralising(cell), (path.name, cell)


def test_when_excluded_rows_hold_personal_data_then_excluded_csv_masks_it(tmp_path):
    from analysis.prepare import write_prepared

    paths = write_prepared(_hostile_prepared(), tmp_path)
    text = paths["excluded"].read_text(encoding="utf-8-sig")
    comments = pd.read_csv(paths["excluded"], encoding="utf-8-sig", dtype=str)["comment"]
    assert comments.tolist()[:2] == [
        "'+cmd|' /C calc'!A0 and [phone number]",
        "رقمي [phone number]",  # the right-to-left override is gone too
    ]
    assert "0551234567" not in text and "٥٥١٢٣٤٥٦٧" not in text and "\u202e" not in text
    # responses.parquet keeps the raw text: the reports mask it when they render it.
    analysed = pd.read_parquet(paths["responses"])
    assert analysed["comment"].tolist() == ["call 0551234567 or ali [at] example.com"]


def test_when_prepared_tables_are_written_twice_with_hostile_text_then_bytes_are_identical(
    tmp_path,
):
    from analysis.prepare import write_prepared

    prepared = _hostile_prepared()
    first = {n: p.read_bytes() for n, p in write_prepared(prepared, tmp_path / "a").items()}
    second = {n: p.read_bytes() for n, p in write_prepared(prepared, tmp_path / "b").items()}
    assert first == second
    # The in-memory tables are not changed by writing them.
    assert prepared.excluded["respondent"].tolist()[1] == '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("iqama 2 1 2 3 4 5 6 7 8 9", "iqama [ID number]"),
        ("n.id 1 0 2 3 4 5 6 7 8 9", "n.id [ID number]"),
        ("ID 10 23 45 67 89", "ID [ID number]"),
        ("whatsapp: 5 0 1 2 3 4 5 6 7", "whatsapp: [phone number]"),
        ("scores 1 2 3 4 5 6 7 8 9 10", "scores 1 2 3 4 5 6 7 8 9 10"),
        ("0 1 2 3 4 5 6 7 8 9 10", "0 1 2 3 4 5 6 7 8 9 10"),
        ("1 2 3 4 5 6 7 8 9 0", "1 2 3 4 5 6 7 8 9 0"),
    ],
)
def test_when_an_id_or_mobile_is_written_a_digit_at_a_time_then_it_is_masked_a_scale_is_not(
    text, masked
):
    assert mask_pii(text) == masked
