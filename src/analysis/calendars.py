"""Hijri (Umm al-Qura) dates: detection, conversion to Gregorian and back.

Saudi fieldwork is dated in the Hijri calendar as often as in the Gregorian. The conversion
is hijridate's (the maintained successor of hijri-converter), which follows the official
Umm al-Qura calendar for 1343-1500 AH (1924-2077). A year of 1300-1500 written where an
interview date is expected can only be Hijri, so that range tells the calendar when the
study does not declare it (``waves.<wave>.calendar``).
"""

from __future__ import annotations

import datetime as dt
import re

from hijridate import Gregorian, Hijri

CALENDARS = ("gregorian", "hijri")
#: Years read as Hijri when no calendar is declared (no interview is dated 1300-1500 AD).
HIJRI_YEARS = (1300, 1500)
#: Years the Umm al-Qura tables cover.
UMM_AL_QURA_YEARS = (1343, 1500)
#: The suffix of a Hijri year (هـ, also written ه or AH), taken off before parsing.
HIJRI_SUFFIX = re.compile(r"\s*(?:هـ|ه|AH|A\.H\.)\s*$", re.IGNORECASE)


def is_hijri_year(year: int) -> bool:
    """Whether a year written in a date can only be a Hijri year."""
    return HIJRI_YEARS[0] <= year <= HIJRI_YEARS[1]


def strip_hijri_suffix(text: str) -> tuple[str, bool]:
    """The text without a trailing ``هـ`` / ``AH``, and whether it had one."""
    stripped = HIJRI_SUFFIX.sub("", text)
    return stripped, stripped != text


def to_gregorian(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of an Umm al-Qura date; ``ValueError`` if it does not exist.

    >>> to_gregorian(1446, 1, 1)
    datetime.date(2024, 7, 7)
    """
    try:
        return Hijri(year, month, day).to_gregorian()
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def to_hijri(value: dt.date) -> tuple[int, int, int]:
    """``(year, month, day)`` of a Gregorian date in the Umm al-Qura calendar."""
    hijri = Gregorian(value.year, value.month, value.day).to_hijri()
    return hijri.year, hijri.month, hijri.day


def hijri_month_name(month: int, lang: str) -> str:
    """The name of a Hijri month (``رجب``, ``Rajab``)."""
    return Hijri(1446, month, 1).month_name("ar" if lang == "ar" else "en")
