"""User-facing strings of the reports in every language, and number formatting.

Every word a stakeholder reads comes from the gettext catalogs of :mod:`analysis.catalogs`
(``locale/<lang>/LC_MESSAGES/reports.po``) through :func:`t` and :func:`count_phrase`,
so a wording change is made in one file, by a translator's tool if need be, and a test
checks that every language has every message with the same ``{placeholders}``. Numbers
are formatted by the helpers below, which follow the wording rules of REPORTS.md:
intervals in brackets rounded like the estimate, ``p = 0.03`` / ``p < 0.001``,
suppressed estimates as ``n < 10`` / ``ن < 10``, Western digits with the locale's
separators (Babel).

Arabic strings use Arabic punctuation (``،`` ``؛`` ``؟``). Right-to-left languages (from
Babel's CLDR data, not a list here) get their signed numbers, intervals, p-values and
dates as isolated left-to-right runs.
"""

from __future__ import annotations

import functools
import math
import numbers
import string
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from analysis import catalogs
from analysis.catalogs import placeholders  # noqa: F401 - part of this module's interface

#: Report languages: one per message catalog (``ar``, ``en``; a new catalog adds one).
LANGUAGES = catalogs.available_languages()

#: Text direction of each report language (``<html dir=...>``), from CLDR.
DIRECTION = {lang: catalogs.direction(lang) for lang in LANGUAGES}


def is_rtl(lang: str) -> bool:
    """Whether ``lang`` is written right to left."""
    return DIRECTION.get(lang) == "rtl"


#: Shown for a missing value (language-neutral).
MISSING = "—"

#: Left-to-right mark: put before a minus sign in right-to-left text, otherwise the Unicode
#: bidirectional algorithm displays "-3" as "3-" (the minus, a weak character, takes the
#: paragraph's direction); after the mark the number is laid out left to right.
LRM = "\u200e"


def t(key: str, lang: str, **fmt: object) -> str:
    """The message ``key`` in language ``lang``, with ``{placeholders}`` filled from ``fmt``.

    Parameters
    ----------
    key : str
        The message's context (``msgctxt``) in the catalogs.
    lang : {"ar", "en"}
        Report language.
    **fmt
        Values for the string's placeholders (``str.format``).

    Raises
    ------
    KeyError
        Unknown key or missing placeholder value (a typo should fail the build, not show
        a blank in a report).
    ValueError
        Unknown language.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
    messages = catalogs.load(lang)
    try:
        text = messages.texts[key]
    except KeyError:
        raise KeyError(f"no report string {key!r}") from None
    if ":" not in text:
        return text.format(**fmt)
    return _CountFormatter(lang).vformat(text, (), fmt)


class _CountFormatter(string.Formatter):
    """``str.format`` where a noun as format spec words the count: ``{n:answer}``.

    A message may write ``({n:answer})`` instead of ``({n} answers)``: the value, an int
    or float or a number already formatted by :func:`fmt_num` (``"+4"``, ``"1,200"``,
    ``"2.5"``), is shown with the noun agreeing with it through :func:`count_phrase`, so
    the translator of each language chooses where counts agree and the catalog's plural
    forms do the rest (``120 إجابةً``, ``إجابتان``, ``1 answer``).
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec and format_spec.isidentifier():
            return count_field(value, format_spec, self.lang)
        # One thousands-separator rule (issue 16): a whole number from 1,000 is grouped in
        # sentences as in tables (no message passes a year as a number).
        whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if not format_spec and whole and abs(value) >= 1000:
            return fmt_num(value, 0, self.lang, grouping=True)
        return super().format_field(value, format_spec)


def count_field(value: object, noun: str, lang: str) -> str:
    """``value`` (a number, or a number as :func:`fmt_num` shows it) with ``noun`` agreeing."""
    if isinstance(value, str):
        shown = value.strip(LRM + LRI + PDI)
        if shown in ("", MISSING):
            return count_phrase(math.nan, noun, lang)
        decimal_mark = number_symbols(lang)[0]
        signed = shown[:1] in "+-\u2212"
        digits = "".join(c for c in shown if c.isdigit() or c == decimal_mark)
        if not digits:
            raise ValueError(f"{value!r} is not a count (for the noun {noun!r})")
        decimals = len(digits.partition(decimal_mark)[2])
        number = float(digits.replace(decimal_mark, "."))
        if shown[:1] in "-\u2212":
            number = -number
        grouping = number_symbols(lang)[1] in shown
        return count_phrase(number, noun, lang, decimals, signed=signed, grouping=grouping)
    if _is_missing(value):
        return count_phrase(math.nan, noun, lang)
    return count_phrase(float(value), noun, lang, grouping=True)


def has(key: str) -> bool:
    """Whether the catalogs have a message ``key`` (every language has the same keys)."""
    return key in catalogs.load(catalogs.SOURCE_LANGUAGE).texts


def _is_missing(x: object) -> bool:
    """None, NaN, NaT or pd.NA (scalars only)."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_num(
    x: float | None,
    decimals: int = 0,
    lang: str = "en",
    grouping: bool = False,
    signed: bool = False,
) -> str:
    """Format a number for a report: fixed decimals, half away from zero, Western digits.

    Rounding works on the shortest decimal representation of ``x`` (what a reader sees in
    a spreadsheet), half away from zero: ``2.5 -> 3``, ``2.675 -> 2.68`` (Python's
    ``format`` gives ``2`` and ``2.67``). A result that rounds to zero loses its sign.
    Decimal and thousands marks are the language's (Babel, :func:`number_symbols`).
    Missing values (None, NaN, pd.NA) give :data:`MISSING`.

    Parameters
    ----------
    x : float or None
    decimals : int
        Digits after the decimal point.
    lang : {"ar", "en"}
        In Arabic a signed number is one isolated left-to-right run (``LRI ... PDI``,
        U+2066 ... U+2069), so that it reads "-3" and "+3", not "3-" and "3+", inside
        right-to-left prose. A left-to-right mark before the sign is not enough: Chromium
        drew «بتغير قدره \u200e+4 نقاط» as «4+ نقاط».
    grouping : bool
        Thousands separator (``6,000``).
    signed : bool
        A change: ``+`` before a positive value (zero stays unsigned).
    """
    if _is_missing(x):
        return MISSING
    if isinstance(x, float) and math.isinf(x):
        return ("-" if x < 0 else "") + "∞"
    quantum = Decimal(1).scaleb(-decimals)
    exact = Decimal(int(x)) if isinstance(x, int | np.integer) else Decimal(repr(float(x)))
    value = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    text = f"{value:,.{decimals}f}" if grouping else f"{value:.{decimals}f}"
    decimal_mark, group_mark = number_symbols(lang)
    if (decimal_mark, group_mark) != (".", ","):
        text = text.translate({ord("."): decimal_mark, ord(","): group_mark})
    if signed and value > 0:
        text = "+" + text
    if is_rtl(lang) and text[:1] in "+-":
        text = f"{LRI}{text}{PDI}"
    return text


@functools.cache
def number_symbols(lang: str) -> tuple[str, str]:
    """Decimal and group separators of ``lang`` in Western digits (Babel's CLDR data):
    ``(".", ",")`` for English and Arabic, ``(",", "\u202f")`` for French."""
    from babel.numbers import get_decimal_symbol, get_group_symbol  # noqa: PLC0415

    return (
        get_decimal_symbol(lang, numbering_system="latn"),
        get_group_symbol(lang, numbering_system="latn"),
    )


#: Left-to-right isolate and pop directional isolate (Unicode bidi, UAX #9): the text between
#: them is laid out on its own, left to right, whatever surrounds it.
LRI, PDI = "\u2066", "\u2069"

#: No-break space: keeps an interval or "p < 0.001" on one line.
NBSP = "\u00a0"
#: Word joiner: no line break on either side (UAX #14 class WJ).
WJ = "\u2060"


def fmt_interval(lo: float | None, hi: float | None, decimals: int = 0, lang: str = "en") -> str:
    """A confidence interval in brackets, rounded like its estimate: ``[60, 68]`` / ``[60، 68]``.

    Lower bound first in both languages, as one isolated left-to-right run (``LRI ... PDI``),
    whatever the signs of the bounds: in Arabic text the bidirectional algorithm would
    otherwise reorder the two numbers of a negative interval. The Arabic form uses the
    Arabic comma (REPORTS.md wording rules), and the space after the comma is a no-break
    space so that the interval never breaks across lines.
    """
    sep = t("sep_interval", lang)
    low, high = (_local_marks(fmt_num(x, _bound_decimals(x, decimals)), lang) for x in (lo, hi))
    return f"{LRI}[{low}{sep}{NBSP}{high}]{PDI}"


def fmt_difference(value: float | None, decimals: int = 1) -> str:
    """A difference in a table column, with its sign: ``+3.2``, ``\u22123.2`` (a true minus,
    U+2212, as the charts' axes draw it), ``0.0``; a table cell is laid out left to right."""
    if _is_missing(value):
        return MISSING
    return fmt_num(value, decimals, "en", signed=True).replace("-", "\u2212")


def _bound_decimals(x: float | None, decimals: int) -> int:
    """Decimals for an interval bound: ``decimals``, or up to two more when the bound would
    otherwise show as 0 without being 0. A verdict reads the bound's side of zero, so a
    bound of 0.02 shown as "0.0" beside "improved" would seem to contradict it (issue 13)."""
    if _is_missing(x) or x == 0:
        return decimals
    for extra in range(3):
        if abs(float(x)) >= 0.5 * 10 ** -(decimals + extra):
            return decimals + extra
    return decimals + 2


def fmt_range(lo: float | None, hi: float | None, decimals: int = 0, lang: str = "en") -> str:
    """An interval as words would give it, ``62–68``: lower bound first, an en dash, no
    brackets; one isolated left-to-right run that never breaks (see :func:`fmt_interval`).
    For plain-language sentences ("margin of error 62–68"), the brackets being for tables.
    An en dash is a line-break opportunity (UAX #14, class BA): word joiners (U+2060) on
    both sides keep "8–24" on one line, as a phone showed "8–" / "24)"."""
    low, high = (_local_marks(fmt_num(x, _bound_decimals(x, decimals)), lang) for x in (lo, hi))
    return f"{LRI}{low}{WJ}\u2013{WJ}{high}{PDI}"


def fmt_magnitude(x: float, lang: str = "en") -> str:
    """The size of a change without its sign, in whole points, for a sentence that says the
    direction in words ("rose by 4 points"): ``4``; a size that whole points would show as
    ``0`` keeps one decimal (``0.3``) so that "between 0 and 9" never hides a real bound."""
    size = abs(float(x))
    decimals = 0 if size == 0 or round(size) >= 1 else 1
    return fmt_num(size, decimals, lang)


def _local_marks(text: str, lang: str) -> str:
    """A number formatted in English marks (``1,234.5``) with ``lang``'s (``1 234,5``)."""
    decimal_mark, group_mark = number_symbols(lang)
    if (decimal_mark, group_mark) == (".", ","):
        return text
    return text.translate({ord("."): decimal_mark, ord(","): group_mark})


def bidi_isolate(text: str, lang: str) -> str:
    """Wrap left-to-right text (a date, a code, a file name) for use inside Arabic prose.

    In Arabic text the digits after an Arabic letter become "Arabic numbers" for the
    bidirectional algorithm, and a dash between them no longer joins them: "2025-01-05"
    displays as "05-01-2025". A left-to-right isolate (U+2066 ... U+2069) lays the text
    out on its own, left to right. English text is returned unchanged.
    """
    return f"\u2066{text}\u2069" if is_rtl(lang) else text


def fmt_date(value: object, lang: str = "en") -> str:
    """A date as ISO ``2025-01-05``, isolated left to right in Arabic (see :func:`bidi_isolate`)."""
    if _is_missing(value):
        return MISSING
    return bidi_isolate(pd.Timestamp(value).strftime("%Y-%m-%d"), lang)


def fmt_date_long(value: object, lang: str = "en") -> str:
    """A day in words: ``5 January 2025``; in Arabic with its Umm al-Qura Hijri date,
    ``5 يناير 2025م (5 رجب 1446هـ)`` (Gregorian month names from Babel's CLDR data)."""
    if _is_missing(value):
        return MISSING
    from babel.dates import format_date

    from analysis import calendars

    day = pd.Timestamp(value).date()
    if lang != "ar":  # the Hijri date is for Arabic readers (issue 14), not every RTL language
        return format_date(day, "d MMMM y", locale=lang)
    gregorian = format_date(day, "d MMMM y", locale="ar")
    year, month, hday = calendars.to_hijri(day)
    return f"{gregorian}م ({hday} {calendars.hijri_month_name(month, 'ar')} {year}هـ)"


def fmt_p(p: float | None, lang: str = "en") -> str:
    """A p-value as ``p = 0.03``, ``p = 0.004`` or ``p < 0.001`` (APA style, leading zero kept).

    Two decimals from 0.01 up, three below; three also when two would round a p-value
    under 0.05 up to ``0.05`` (``0.049`` stays ``p = 0.049``), so the text never seems to
    cross the usual threshold. The same in both languages (``p`` is a symbol); the spaces
    are no-break spaces (never a line break inside), and in Arabic the whole is isolated
    left to right, so that ``<`` is not mirrored and ``p`` stays first.
    """
    if _is_missing(p):
        text = f"p = {MISSING}"
    else:
        p = float(p)  # type: ignore[arg-type]
        if not 0 <= p <= 1:
            raise ValueError(f"p-value out of [0, 1]: {p}")
        if p < 0.001:
            text = "p < 0.001"
        else:
            decimals = 3 if p < 0.01 else 2
            number = fmt_num(p, decimals)
            if decimals == 2 and p < 0.05 and number == "0.05":
                number = fmt_num(p, 3)
            text = f"p = {_local_marks(number, lang)}"
    text = text.replace(" ", NBSP)
    return f"{LRI}{text}{PDI}" if is_rtl(lang) else text


def count_phrase(
    n: float,
    noun: str,
    lang: str,
    decimals: int = 0,
    signed: bool = False,
    grouping: bool = False,
) -> str:
    """A number with its counted noun agreeing with it: ``4 نقاط``, ``نقطتان``, ``1 point``.

    The form is the catalog's plural entry ``noun.<noun>`` chosen by the language's
    ``Plural-Forms`` rule (gettext; the CLDR rules) on the number as shown, rounded to
    ``decimals``; a number shown with decimals takes the last form (CLDR "other").
    Arabic: 1 and 2 as words (``نقطة واحدة``, ``نقطتان``), 3-10 the plural (``4 نقاط``),
    11-99 the accusative singular (``12 جهةً``), 0 and 100, 101, 102 ... the singular
    (``100 نقطة``). A signed change (``signed=True``) keeps its digits and sign: a form
    that writes the number as a word is replaced by the last form (``+1 نقطة``, ``−2
    نقطة``: a measured change, not a count). English: ``1 point``, ``+1 point``,
    ``2 points``, ``1.5 points``. A missing ``n`` gives :data:`MISSING` and the last form.
    """
    messages = catalogs.load(lang)
    key = f"noun.{noun}"
    if key not in messages.plurals:
        raise KeyError(f"no counted noun {noun!r} in the catalogs")
    forms = messages.plurals[key]
    if _is_missing(n):
        return forms[-1].format(n=MISSING)
    shown = fmt_num(n, decimals, lang, grouping=grouping, signed=signed)
    decimal_mark = number_symbols(lang)[0]
    value = Decimal(
        "".join("." if c == decimal_mark else c for c in shown if c.isdigit() or c == decimal_mark)
    )
    # Shown with decimals ("1.0", "2.5"), a number takes the last form (CLDR: v != 0).
    form = messages.plural(key, int(value)) if decimals == 0 else forms[-1]
    if signed and "{n}" not in form:
        form = forms[-1]
    return form.format(n=shown)


def fmt_suppressed(lang: str, min_report_n: int = 10) -> str:
    """What a suppressed estimate shows: ``n < 10`` / ``ن < 10``."""
    return t("suppressed", lang, min_n=min_report_n)


def effect_size_key(g: float) -> str:
    """Key of the word for an effect size |g| (Cohen's conventions, REPORTS.md).

    Under 0.2 negligible, from 0.2 small, from 0.5 moderate, from 0.8 large.
    """
    size = abs(g)
    if size < 0.2:
        return "effect_negligible"
    if size < 0.5:
        return "effect_small"
    if size < 0.8:
        return "effect_moderate"
    return "effect_large"


def verdict_key(ci_low: float, ci_high: float) -> str:
    """Key of the change verdict from a (corrected) interval of follow-up minus baseline.

    "improved" only when the interval lies above 0, "declined" only when it lies below,
    otherwise "no clear change" (REPORTS.md wording rules).
    """
    if ci_low > 0:
        return "verdict_improved"
    if ci_high < 0:
        return "verdict_declined"
    return "verdict_no_clear_change"
