"""Report strings and number formatting (REPORTS.md wording rules)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import catalogs
from analysis.i18n import (
    LANGUAGES,
    LRI,
    LRM,
    MISSING,
    NBSP,
    PDI,
    bidi_isolate,
    count_phrase,
    effect_size_key,
    fmt_date,
    fmt_interval,
    fmt_num,
    fmt_p,
    fmt_suppressed,
    placeholders,
    t,
    verdict_key,
)


def _texts(lang: str) -> dict[str, str]:
    return catalogs.load(lang).texts


def test_when_any_string_is_listed_then_both_languages_have_it_with_the_same_placeholders():
    assert set(LANGUAGES) >= {"ar", "en"}
    english = _texts("en")
    for lang in LANGUAGES:
        texts = _texts(lang)
        assert set(texts) == set(english), lang
        for key, text in texts.items():
            assert text.strip() or key.startswith("sep_"), (lang, key)
            assert placeholders(text) == placeholders(english[key]), (lang, key)


def test_when_arabic_strings_are_punctuated_then_arabic_marks_are_used():
    # REPORTS.md: Arabic punctuation (، ؛ ؟), never the Latin comma, semicolon or question mark.
    for key, text in _texts("ar").items():
        assert not set(text) & {",", ";", "?"}, key
    for key, forms in catalogs.load("ar").plurals.items():
        assert not set("".join(forms)) & {",", ";", "?"}, key


def test_when_a_question_heading_is_asked_then_each_language_ends_with_its_question_mark():
    questions = [k for k in _texts("en") if k.startswith("q_")]
    assert len(questions) >= 8
    for key in questions:
        assert t(key, "en").endswith("?"), key
        assert t(key, "ar").endswith("؟"), key


def test_when_a_string_is_looked_up_then_placeholders_are_filled():
    assert t("suppressed", "en", min_n=10) == "n < 10"
    assert t("suppressed", "ar", min_n=10) == "ن < 10"
    assert t("below_target", "en", target=70) == "clearly below the target of 70"


def test_when_a_key_language_or_placeholder_is_wrong_then_it_fails_loudly():
    with pytest.raises(KeyError, match="no_such_key"):
        t("no_such_key", "en")
    with pytest.raises(ValueError, match="fr"):
        t("key_findings", "fr")
    with pytest.raises(KeyError):
        t("suppressed", "en")  # missing min_n


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (64.0, 0, "64"),
        (2.5, 0, "3"),  # half away from zero (Python's round gives 2)
        (3.5, 0, "4"),
        (-2.5, 0, "-3"),
        (2.675, 2, "2.68"),  # the decimal a reader sees, not the binary 2.67499...
        (64.25, 1, "64.3"),
        (-0.04, 1, "0.0"),  # no "-0.0"
        (7, 2, "7.00"),
        (np.int64(120), 0, "120"),
        (np.float64(71.449), 1, "71.4"),
    ],
)
def test_when_a_number_is_formatted_then_it_is_rounded_half_away_from_zero(x, decimals, expected):
    assert fmt_num(x, decimals) == expected


def test_when_a_number_is_missing_then_a_dash_is_shown():
    for missing in (None, math.nan, np.nan, pd.NA):
        assert fmt_num(missing, 1) == MISSING


def test_when_grouping_is_asked_then_thousands_are_separated():
    assert fmt_num(6123, 0, grouping=True) == "6,123"


def test_when_a_negative_number_is_formatted_in_arabic_then_it_is_an_isolated_ltr_run():
    assert fmt_num(-3.14, 1, "ar") == LRI + "-3.1" + PDI
    assert fmt_num(3.14, 1, "ar") == "3.1"
    assert fmt_num(-3.14, 1, "en") == "-3.1"


def test_when_a_change_is_formatted_then_positive_values_get_a_plus_isolated_in_arabic():
    assert fmt_num(3.14, 1, "en", signed=True) == "+3.1"
    assert fmt_num(3.14, 1, "ar", signed=True) == LRI + "+3.1" + PDI
    assert fmt_num(-3.14, 1, "ar", signed=True) == LRI + "-3.1" + PDI
    assert fmt_num(0.04, 1, "en", signed=True) == "0.0"  # rounds to zero: no sign


@pytest.mark.parametrize(
    ("lo", "hi", "decimals", "lang", "expected"),
    [
        (60.2, 67.8, 0, "en", f"{LRI}[60,{NBSP}68]{PDI}"),
        (60.2, 67.8, 0, "ar", f"{LRI}[60،{NBSP}68]{PDI}"),  # REPORTS.md example
        (0.123, 0.456, 2, "en", f"{LRI}[0.12,{NBSP}0.46]{PDI}"),
        (-5.2, 2.1, 1, "ar", f"{LRI}[-5.2،{NBSP}2.1]{PDI}"),  # lower bound first, isolated
        (-8.4, -0.5, 1, "ar", f"{LRI}[-8.4،{NBSP}-0.5]{PDI}"),
        (None, 3, 0, "en", f"{LRI}[{MISSING},{NBSP}3]{PDI}"),
    ],
)
def test_when_an_interval_is_formatted_then_it_is_bracketed_in_the_languages_style(
    lo, hi, decimals, lang, expected
):
    assert fmt_interval(lo, hi, decimals, lang) == expected


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.03, "p = 0.03"),
        (0.0312, "p = 0.03"),
        (0.5, "p = 0.50"),
        (1.0, "p = 1.00"),
        (0.0049, "p = 0.005"),
        (0.001, "p = 0.001"),
        (0.00099, "p < 0.001"),
        (1e-12, "p < 0.001"),
        (0.0, "p < 0.001"),
        (0.049, "p = 0.049"),  # two decimals would read "0.05"
        (0.046, "p = 0.046"),
        (0.0449, "p = 0.04"),
        (0.051, "p = 0.05"),
    ],
)
def test_when_a_p_value_is_formatted_then_apa_style_is_used(p, expected):
    assert fmt_p(p) == expected.replace(" ", NBSP)  # no line break inside


def test_when_a_p_value_is_formatted_in_arabic_then_it_is_one_isolated_left_to_right_run():
    assert fmt_p(0.0001, "ar") == f"{LRI}p{NBSP}<{NBSP}0.001{PDI}"


def test_when_a_p_value_is_out_of_range_then_it_is_refused():
    with pytest.raises(ValueError):
        fmt_p(1.2)


def test_when_an_estimate_is_suppressed_then_n_below_threshold_is_shown():
    assert fmt_suppressed("en") == "n < 10"
    assert fmt_suppressed("ar") == "ن < 10"
    assert fmt_suppressed("en", 5) == "n < 5"


@pytest.mark.parametrize(
    ("g", "key"),
    [
        (0.0, "effect_negligible"),
        (0.19, "effect_negligible"),
        (-0.2, "effect_small"),
        (0.49, "effect_small"),
        (0.5, "effect_moderate"),
        (-0.79, "effect_moderate"),
        (0.8, "effect_large"),
        (2.0, "effect_large"),
    ],
)
def test_when_an_effect_size_is_worded_then_cohens_thresholds_apply(g, key):
    assert effect_size_key(g) == key


@pytest.mark.parametrize(
    ("lo", "hi", "key"),
    [
        (0.5, 4.0, "verdict_improved"),
        (-0.1, 4.0, "verdict_no_clear_change"),
        (0.0, 4.0, "verdict_no_clear_change"),
        (-4.0, -0.5, "verdict_declined"),
    ],
)
def test_when_a_change_is_worded_then_only_an_interval_excluding_zero_counts(lo, hi, key):
    assert verdict_key(lo, hi) == key
    assert t(key, "en") in {"improved", "no clear change", "declined"}


def test_when_a_date_goes_into_arabic_text_then_it_is_isolated_left_to_right():
    assert fmt_date("2025-01-05", "en") == "2025-01-05"
    assert fmt_date(pd.Timestamp("2025-01-05 13:00"), "ar") == "\u20662025-01-05\u2069"
    assert fmt_date(pd.NaT, "ar") == MISSING
    assert bidi_isolate("A01", "en") == "A01"


# Counts x nouns: Arabic CLDR categories (Babel) zero/one/two/few/many/other.
_AR_NOUNS = {
    # noun: (singular, one as words, dual, plural 3-10, accusative singular 11-99)
    "point": ("نقطة", "نقطة واحدة", "نقطتان", "نقاط", "نقطةً"),
    "agency": ("جهة", "جهة واحدة", "جهتان", "جهات", "جهةً"),
    "answer": ("إجابة", "إجابة واحدة", "إجابتان", "إجابات", "إجابةً"),
    "interview": ("مقابلة", "مقابلة واحدة", "مقابلتان", "مقابلات", "مقابلةً"),
    "activity": ("نشاط", "نشاط واحد", "نشاطان", "أنشطة", "نشاطًا"),
    "week": ("أسبوع", "أسبوع واحد", "أسبوعان", "أسابيع", "أسبوعًا"),
    "rank": ("مرتبة", "مرتبة واحدة", "مرتبتان", "مراتب", "مرتبةً"),
    "hour": ("ساعة", "ساعة واحدة", "ساعتان", "ساعات", "ساعةً"),
}
_COUNTS = (0, 1, 2, 3, 10, 11, 99, 100, 101, 102)


def _arabic_expected(n: int, forms: tuple[str, ...]) -> str:
    singular, one, two, plural, accusative = forms
    if n == 1:
        return one
    if n == 2:
        return two
    if 3 <= n % 100 <= 10:
        return f"{n} {plural}"
    if 11 <= n % 100 <= 99:
        return f"{n} {accusative}"
    return f"{n} {singular}"  # 0, 100, 101, 102


@pytest.mark.parametrize("noun", sorted(_AR_NOUNS))
@pytest.mark.parametrize("n", _COUNTS)
def test_when_a_count_is_worded_in_arabic_then_the_noun_agrees_with_the_number(n, noun):
    assert count_phrase(n, noun, "ar") == _arabic_expected(n, _AR_NOUNS[noun])


def test_the_arabic_table_spot_checks_of_reports_md():
    assert count_phrase(4, "point", "ar") == "4 نقاط"
    assert count_phrase(2, "point", "ar") == "نقطتان"
    assert count_phrase(12, "agency", "ar") == "12 جهةً"
    assert count_phrase(1, "agency", "ar") == "جهة واحدة"
    assert count_phrase(103, "point", "ar") == "103 نقاط"  # CLDR: n % 100 in 3..10
    assert count_phrase(111, "agency", "ar") == "111 جهةً"


@pytest.mark.parametrize("n", _COUNTS)
def test_when_a_count_is_worded_in_english_then_one_is_singular(n):
    assert count_phrase(n, "point", "en") == f"{n} {'point' if n == 1 else 'points'}"


def test_when_a_change_is_worded_then_its_sign_stays_and_one_is_singular():
    assert count_phrase(1, "point", "en", signed=True) == "+1 point"
    assert count_phrase(-1, "point", "en", signed=True) == "-1 point"
    assert count_phrase(1.5, "point", "en", decimals=1) == "1.5 points"
    assert count_phrase(4, "point", "ar", signed=True) == f"{LRI}+4{PDI} نقاط"
    assert count_phrase(1, "point", "ar", signed=True) == f"{LRI}+1{PDI} نقطة"
    assert count_phrase(-12, "point", "ar", signed=True) == f"{LRI}-12{PDI} نقطةً"


def test_when_a_signed_change_goes_into_arabic_prose_then_the_sign_is_inside_one_ltr_isolate():
    """Regression: «بتغير قدره \u200e+4 نقاط» was drawn «4+ نقاط» in Chromium (RTL prose)."""
    change = count_phrase(4, "point", "ar", signed=True)
    sentence = t(
        "impact_headline_flat",
        "ar",
        before="65",
        after="69",
        change=change,
        interval=fmt_interval(-1, 9, 0, "ar"),
        p="p = 0.13",
        adjusted="",
    )
    assert f"{LRI}+4{PDI} نقاط" in sentence
    for text in (fmt_num(4, 0, "ar", signed=True), fmt_num(-0.5, 1, "ar"), change):
        assert LRM not in text
        run = text[text.index(LRI) + 1 : text.index(PDI)]
        assert run[0] in "+-" and run[1:].replace(".", "").isdigit()


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (120, "ar", "120 إجابةً"),
        (2, "ar", "إجابتان"),
        (1, "ar", "إجابة واحدة"),
        (7, "ar", "7 إجابات"),
        (1, "en", "1 answer"),
        (120, "en", "120 answers"),
        ("1,200", "en", "1,200 answers"),
        ("1,203", "ar", "1,203 إجابات"),  # CLDR: n % 100 = 3 -> few
        (math.nan, "en", f"{MISSING} answers"),
    ],
)
def test_when_a_message_counts_with_a_noun_spec_then_the_noun_agrees(value, lang, expected):
    from analysis.i18n import _CountFormatter

    assert _CountFormatter(lang).format("({n:answer})", n=value) == f"({expected})"


def test_when_a_formatted_signed_change_is_counted_then_its_digits_and_sign_stay():
    from analysis.i18n import count_field

    assert count_field(fmt_num(4, lang="ar", signed=True), "point", "ar") == f"{LRI}+4{PDI} نقاط"
    assert count_field(fmt_num(-1, lang="ar", signed=True), "point", "ar") == f"{LRI}-1{PDI} نقطة"
    assert count_field(fmt_num(1, lang="en", signed=True), "point", "en") == "+1 point"
    assert count_field("2.5", "point", "en") == "2.5 points"
    assert count_field("1.0", "point", "en") == "1.0 points"  # CLDR: visible decimals -> other
    with pytest.raises(ValueError, match="not a count"):
        count_field("many", "point", "en")


def test_when_a_message_counts_with_an_unknown_noun_then_the_catalog_check_names_it(tmp_path):
    import shutil

    from analysis import catalogs

    locale_dir = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale_dir)
    path = catalogs.catalog_path("ar", locale_dir)
    text = path.read_text(encoding="utf-8")
    text = text.replace('msgstr "صفحة {page} من {pages}"', 'msgstr "صفحة {page:pagez} من {pages}"')
    path.write_text(text, encoding="utf-8")
    try:
        assert catalogs.problems(locale_dir) == [
            "locale/ar/LC_MESSAGES/reports.po: print_page: no counted noun 'pagez' "
            "(noun.pagez) in the catalog"
        ]
    finally:
        catalogs.load.cache_clear()


def test_when_a_language_writes_decimal_commas_then_intervals_and_p_values_use_them_too():
    """From the new-user test: French showed +13,8 beside [1.1, 26.4] and p = 0.03."""
    from analysis.i18n import _local_marks

    assert _local_marks("26.4", "fr") == "26,4"
    assert _local_marks("-1,234.5", "fr") == "-1\u202f234,5"
    assert _local_marks("26.4", "ar") == "26.4"
    assert fmt_interval(1.14, 26.4, 1, "ar") == f"{LRI}[1.1،{NBSP}26.4]{PDI}"


@pytest.mark.parametrize(
    ("lo", "hi", "decimals", "shown"),
    [
        (0.02, 9.5, 1, "[0.02, 9.5]"),  # AG01 impact, Staff: "improved" beside "[0.0, 9.5]"
        (-0.3, 4.2, 0, "[-0.3, 4]"),
        (0.004, 1.0, 1, "[0.004, 1.0]"),
        (0.0, 2.0, 1, "[0.0, 2.0]"),  # a bound that is zero stays zero
        (1.4, 3.0, 0, "[1, 3]"),
    ],
)
def test_when_a_bound_would_round_to_zero_then_it_keeps_the_digits_that_show_its_side(
    lo, hi, decimals, shown
):
    from analysis.i18n import fmt_interval

    text = fmt_interval(lo, hi, decimals, "en").replace("\u00a0", " ").strip("\u2066\u2069")
    assert text == shown


def test_when_a_count_reaches_a_thousand_then_text_and_tables_group_its_digits_alike():
    """One thousands-separator rule (issue 16: «12,103» beside «6699» in one report)."""
    import pandas as pd

    from analysis.i18n import t
    from analysis.report import table_html

    sentence = t("regional_scope_line", "ar", programme=24, comparison=6, answers=12103)
    assert "12,103 مقابلات" in sentence  # 103: CLDR "few", the plural
    assert "1,310" in t("reading_comments", "en", shown=12, total=1310)
    table = table_html(pd.DataFrame({"Wave": ["Baseline"], "n": [6699]}), "en", "Interviews")
    assert ">6,699<" in table.data


def test_when_a_range_is_worded_then_no_line_break_can_fall_inside_it():
    """A phone showed «(هامش الخطأ: 8–» / «24)»: an en dash allows a break after it (UAX #14
    class BA) unless word joiners hold both sides."""
    from analysis.i18n import fmt_range

    text = fmt_range(8, 24, 0, "ar")
    assert text == "\u20668\u2060\u2013\u206024\u2069"
    assert " " not in text and "\u00a0" not in text
