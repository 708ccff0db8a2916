"""Survey-platform exports as they are downloaded: Qualtrics, SurveyMonkey, KoboToolbox,
Google Forms and Microsoft Forms (study.yml ``waves.<wave>.format``).

A preset knows three things about its platform's exports, and nothing about the codebook:

1. **Header rows.** Qualtrics CSV/TSV/XLSX exports carry three header rows (the export
   name such as ``Q1``, the question text, and ``{"ImportId": "QID1"}``), or one when
   exported that way; SurveyMonkey two (the question text, spread over the columns of a
   matrix question, then the sub-question or "Response"); KoboToolbox, Google Forms and
   Microsoft Forms one, where Kobo names a question by its group path (``group_x/q1``).
   :func:`build_header` turns those rows into one column name per position and a table of
   *aliases*, so that study.yml may name a column by its export name, by its question text,
   or by the last part of a group path, whichever the user knows.
2. **Metadata columns.** Which column holds the response id, the start and end timestamps
   and the duration (:class:`Platform`). :func:`derive_fields` writes the standard fields a
   study.yml does not name into extra columns (``__respondent``, ``__date``,
   ``__duration_s``), with timestamps in the platform's own format (SurveyMonkey's
   ``01/05/2025 09:30:12 AM`` is month first) turned into ISO text, and a duration from
   end minus start where the platform has no duration column.
3. **What the platform says about a response.** Qualtrics marks preview, test and spam
   responses in ``Status`` and unfinished ones in ``Finished`` / ``Progress``. These
   become the ``__platform_flag`` column (``preview``, ``test``, ``spam``, ``incomplete``
   or blank), which the quality rules turn into exclusions with their own reasons in the
   ledger (``quality.preview`` ... ``quality.incomplete``), never a silent filter.

Personal columns (e-mail, names, IP address, device ids) are listed per platform; they are
never read into the tidy tables, and ``validate`` names the ones it left out.

References
----------
Qualtrics, "Understanding Your Dataset" (three header rows; StartDate, EndDate, Status,
IPAddress, Progress, Duration (in seconds), Finished, RecordedDate, ResponseId; Status codes
0 IP Address, 1 Survey Preview, 2 Survey Test, 4 Imported, 8 Spam, 9 Survey Preview Spam,
12 Imported Spam, 16 Offline, 17 Offline Survey Preview). SurveyMonkey, "Exporting
Responses" (expanded export: two header rows; Respondent ID, Collector ID, Start Date, End
Date, IP Address, Email Address, First Name, Last Name, Custom Data 1). KoboToolbox, "Data
export" (CSV separated by ``;`` by default; XML values or labels; ``start``, ``end``,
``_uuid``, ``_submission_time``, ``_index``; group separator ``/``). Google Forms
responses sheet (``Timestamp`` and the full question text as headers). Microsoft Forms
"Open in Excel" (``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.io import Problem, cell_text, match_key, parse_number, western_digits

#: The value of ``waves.<wave>.format`` for a file that is already one header row of plain values.
PLAIN = "plain"

#: Exclusion reasons a platform's metadata can give, in the order they are applied.
FLAGS = ("preview", "test", "spam", "incomplete")

#: Extra columns :func:`derive_fields` adds to a raw table, by tidy field.
DERIVED = {
    "respondent": "__respondent",
    "date": "__date",
    "duration_s": "__duration_s",
    "platform_flag": "__platform_flag",
}


@dataclass(frozen=True)
class Platform:
    """What a preset knows about one platform's exports.

    Attributes
    ----------
    key, title : str
        The ``format`` value and the platform's name in messages.
    header_rows : int
        The most header rows its exports have (1-3).
    respondent, start, end, duration : tuple of str
        Candidate metadata column names, the first found is used.
    date_order : str
        How its timestamps are written: ``"iso"``, ``"mdy"`` (month first), or ``"auto"``
        (day or month first, told apart by values over 12; day first when no value tells).
    personal : tuple of str
        Columns holding personal data; ``personal_prefixes`` match by beginning.
    required : tuple of str
        Metadata columns the export must have (one problem naming each missing one).
    separator : str or None
        The CSV separator its exports use by default (KoboToolbox: ``;``).
    """

    key: str
    title: str
    header_rows: int = 1
    respondent: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    duration: tuple[str, ...] = ()
    date_order: str = "iso"
    personal: tuple[str, ...] = ()
    personal_prefixes: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    separator: str | None = None


PLATFORMS: dict[str, Platform] = {
    "qualtrics": Platform(
        "qualtrics",
        "Qualtrics",
        header_rows=3,
        respondent=("ResponseId", "ResponseID", "Response ID"),
        start=("StartDate", "Start Date"),
        end=("EndDate", "End Date"),
        duration=("Duration (in seconds)",),
        date_order="iso",
        personal=(
            "IPAddress",
            "IP Address",
            "RecipientLastName",
            "RecipientFirstName",
            "RecipientEmail",
            "LocationLatitude",
            "LocationLongitude",
            "ExternalReference",
            "ExternalDataReference",
            "Name",  # legacy exports: the recipient's name and e-mail
            "EmailAddress",
        ),
        required=("ResponseId", "Finished"),
    ),
    "surveymonkey": Platform(
        "surveymonkey",
        "SurveyMonkey",
        header_rows=2,
        respondent=("Respondent ID",),
        start=("Start Date",),
        end=("End Date",),
        date_order="mdy",
        personal=("IP Address", "Email Address", "First Name", "Last Name"),
        personal_prefixes=("Custom Data",),
        required=("Respondent ID",),
    ),
    "kobo": Platform(
        "kobo",
        "KoboToolbox",
        respondent=("_uuid", "_id", "_index"),
        start=("start", "_submission_time"),
        end=("end",),
        date_order="iso",
        personal=(
            "deviceid",
            "phonenumber",
            "simserial",
            "subscriberid",
            "username",
            "_submitted_by",
            "_geolocation",
        ),
        required=("_uuid",),
        separator=";",
    ),
    "google_forms": Platform(
        "google_forms",
        "Google Forms",
        start=("Timestamp", "الطابع الزمني"),
        date_order="auto",
        personal=("Email Address", "Email address", "عنوان البريد الإلكتروني"),
        required=("Timestamp",),
    ),
    "microsoft_forms": Platform(
        "microsoft_forms",
        "Microsoft Forms",
        respondent=("ID",),
        start=("Start time",),
        end=("Completion time",),
        date_order="auto",
        personal=("Email", "Name"),
        required=("ID", "Start time", "Completion time"),
    ),
}

#: Every value ``waves.<wave>.format`` may take.
FORMATS = (PLAIN, *PLATFORMS)

# --------------------------------------------------------------------------------------------
# Header rows
# --------------------------------------------------------------------------------------------

_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:')
#: SurveyMonkey's second-row text under a question that has a single column.
_SURVEYMONKEY_SINGLE = {"response", "open-ended response", "other (please specify)"}


@dataclass
class Header:
    """Column names built from a file's header rows.

    Attributes
    ----------
    names : list of str
        One name per column position ("" where a column has none).
    rows : int
        How many rows the header took (1-3); data start on the next row.
    aliases : dict
        Other names a column answers to (question text, sub-question, last group-path part)
        -> its name. An alias that would fit two columns is left out.
    problems : list of Problem
    """

    names: list[str]
    rows: int = 1
    aliases: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _add_alias(aliases: dict[str, str | None], alias: str, name: str) -> None:
    """Record ``alias`` for ``name``; an alias claimed by two names becomes ambiguous (None)."""
    if not alias or alias == name:
        return
    key = match_key(alias)
    if key in aliases and aliases[key] != name:
        aliases[key] = None
    else:
        aliases[key] = name


def _final(aliases: dict[str, str | None]) -> dict[str, str]:
    return {alias: name for alias, name in aliases.items() if name is not None}


def _cells(rows: Sequence[tuple[int, Sequence[str]]], index: int) -> tuple[int, list[str]] | None:
    return (rows[index][0], [cell_text(c) for c in rows[index][1]]) if index < len(rows) else None


def build_header(
    platform: Platform, rows: Sequence[tuple[int, Sequence[str]]], source_file: str
) -> Header:
    """Column names from the first non-blank rows of an export (``(row number, cells)`` pairs).

    Parameters
    ----------
    platform : Platform
    rows : sequence of (int, sequence of str)
        At least the first ``platform.header_rows`` non-blank rows of the file, with their
        spreadsheet row numbers.
    source_file : str
        For problem lines.
    """
    first = _cells(rows, 0)
    if first is None:
        return Header([], 1, {}, [Problem(source_file, None, None, None, "a header row")])
    if platform.key == "qualtrics":
        return _qualtrics_header(rows, source_file)
    if platform.key == "surveymonkey":
        return _surveymonkey_header(rows, source_file)
    names = first[1]
    aliases: dict[str, str | None] = {}
    if platform.key == "kobo":
        for name in names:
            if "/" in name:
                _add_alias(aliases, name.rsplit("/", 1)[1], name)
    return Header(names, 1, _final(aliases))


def _qualtrics_header(rows: Sequence[tuple[int, Sequence[str]]], source_file: str) -> Header:
    """Qualtrics: export names, then question text and ImportId rows (both optional together)."""
    _, names = _cells(rows, 0)
    second, third = _cells(rows, 1), _cells(rows, 2)

    def import_ids(cells: list[str]) -> list[bool]:
        return [bool(_IMPORT_ID.match(c)) for c in cells]

    problems: list[Problem] = []
    if second is not None and sum(import_ids(second[1])) * 2 > len([c for c in second[1] if c]):
        problems.append(
            Problem(
                source_file,
                second[0],
                None,
                None,
                "Qualtrics' header rows in order (export names, question text, then the "
                '{"ImportId": ...} row): row 2 is the ImportId row, so the question-text '
                "row is missing or the rows were moved",
            )
        )
        return Header(names, 2, {}, problems)
    three = third is not None and any(import_ids(third[1]))
    if three:
        for position, (name, flag) in enumerate(zip(names, import_ids(third[1]), strict=False)):
            if name and not flag:
                value = third[1][position] if position < len(third[1]) else ""
                problems.append(
                    Problem(
                        source_file,
                        third[0],
                        name,
                        value,
                        'a Qualtrics ImportId cell ({"ImportId": ...}) like the rest of row 3: '
                        "the third header row does not match the first",
                    )
                )
                break
        texts = second[1]
    elif second is not None and _second_is_question_text(names, second[1]):
        texts = second[1]  # exported with the question text but without the ImportId row
    else:
        return Header(names, 1, {})
    aliases: dict[str, str | None] = {}
    for name, text in zip(names, texts, strict=False):
        if name:
            _add_alias(aliases, text, name)
    return Header(names, 3 if three else 2, _final(aliases), problems)


def _second_is_question_text(names: list[str], second: list[str]) -> bool:
    """Whether row 2 of a Qualtrics file is its question-text row (e.g. "Response ID")."""
    for name, text in zip(names, second, strict=False):
        if name in ("ResponseId", "ResponseID"):
            return match_key(text) == match_key("Response ID")
    return False


def _surveymonkey_header(rows: Sequence[tuple[int, Sequence[str]]], source_file: str) -> Header:
    """SurveyMonkey: question text (carried over a matrix question's columns), then sub-labels."""
    header_row, headings = _cells(rows, 0)
    second = _cells(rows, 1)
    if second is None:
        return Header(
            headings,
            1,
            {},
            [
                Problem(
                    source_file,
                    header_row + 1,
                    None,
                    None,
                    "SurveyMonkey's second header row (sub-questions or 'Response'): the "
                    "file has one header row only",
                )
            ],
        )
    row2, subs = second
    width = max(len(headings), len(subs))
    headings = headings + [""] * (width - len(headings))
    subs = subs + [""] * (width - len(subs))
    problems = []
    for position, heading in enumerate(headings):
        if heading in ("Respondent ID", "Collector ID") and subs[position]:
            problems.append(
                Problem(
                    source_file,
                    row2,
                    heading,
                    subs[position],
                    "a blank cell in SurveyMonkey's second header row: this row holds answers, "
                    "so the export's second header row is missing (export 'All responses' "
                    "with expanded columns)",
                )
            )
            break
    names: list[str] = []
    aliases: dict[str, str | None] = {}
    current = ""
    counts: dict[str, int] = {}
    for heading, sub in zip(headings, subs, strict=True):
        current = heading or (current if sub else "")
        if not current:
            names.append("")
            continue
        single = not sub or sub.casefold() in _SURVEYMONKEY_SINGLE
        name = current if single and heading else f"{current} - {sub}"
        names.append(name)
        counts[current] = counts.get(current, 0) + 1
        if not single:
            _add_alias(aliases, sub, name)
    # A question spread over one column answers to its heading alone too.
    for name, heading in zip(names, headings, strict=True):
        if heading and counts.get(heading) == 1:
            _add_alias(aliases, heading, name)
    return Header(names, 2, _final(aliases), problems)


# --------------------------------------------------------------------------------------------
# Metadata -> standard fields and flags
# --------------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp][Mm])?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?"
)


def parse_timestamp(text: str, order: str) -> dt.datetime | None:
    """A platform timestamp (``2025-01-05 09:30:00``, ``01/05/2025 09:30:12 AM``,
    ``2025-01-05T09:30:00.000+03:00``) as a naive local datetime, or ``None``.

    ``order`` is ``"iso"`` (year first; also accepts day/month/year), ``"mdy"`` or ``"dmy"``
    for slash dates. A time-zone offset is dropped: the platform wrote local time.
    """
    match = _TIMESTAMP.fullmatch(western_digits(cell_text(text)).strip())
    if not match:
        return None
    a, b, c = int(match["a"]), int(match["b"]), int(match["c"])
    if len(match["a"]) == 4:
        year, month, day = a, b, c
    elif order == "mdy":
        month, day, year = a, b, c
    else:
        day, month, year = a, b, c
    if year < 100:
        year += 2000
    hour = int(match["H"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    try:
        return dt.datetime(year, month, day, hour, int(match["M"] or 0), int(match["S"] or 0))
    except ValueError:
        return None


def infer_date_order(values: Sequence[str]) -> str | None:
    """``"dmy"`` or ``"mdy"`` for slash dates, from a first or second part over 12; else None.

    Returns ``"conflict"`` when some values can only be day-first and others only month-first.
    """
    day_first = month_first = False
    for text in values:
        match = _TIMESTAMP.fullmatch(western_digits(cell_text(text)).strip())
        if not match or len(match["a"]) == 4:
            continue
        a, b = int(match["a"]), int(match["b"])
        day_first |= a > 12 >= b
        month_first |= b > 12 >= a
    if day_first and month_first:
        return "conflict"
    return "dmy" if day_first else "mdy" if month_first else None


def find(headers: Sequence[str], candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` among ``headers`` (compared case- and space-insensitively)."""
    by_key = {match_key(h): h for h in headers}
    for candidate in candidates:
        if match_key(candidate) in by_key:
            return by_key[match_key(candidate)]
    return None


def personal_columns(platform: Platform, headers: Sequence[str]) -> list[str]:
    """The headers of personal-data columns of this platform's export, in file order."""
    names = {match_key(n) for n in platform.personal}
    prefixes = [match_key(p) for p in platform.personal_prefixes]
    return [
        h
        for h in headers
        if match_key(h) in names or any(match_key(h).startswith(p) for p in prefixes)
    ]


#: Qualtrics ``Status``: numeric codes and their text, to the exclusion they mean (None: kept).
QUALTRICS_STATUS: dict[str, str | None] = {
    "0": None,
    "ip address": None,
    "1": "preview",
    "survey preview": "preview",
    "17": "preview",
    "offline survey preview": "preview",
    "2": "test",
    "survey test": "test",
    "4": None,
    "imported": None,
    "8": "spam",
    "spam": "spam",
    "9": "spam",
    "survey preview spam": "spam",
    "12": "spam",
    "imported spam": "spam",
    "16": None,
    "offline": None,
    "32": None,
    "ex": None,
    "36": None,
}
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


@dataclass
class Derived:
    """What :func:`derive_fields` found: the frame with extra columns, problems, defaults."""

    frame: pd.DataFrame
    #: Tidy field -> raw column to read it from when study.yml does not name one.
    defaults: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


#: How a timestamp looks in each order, for problem lines.
_EXAMPLE_STAMP = {
    "iso": "2025-01-05 09:30:00",
    "mdy": "01/05/2025 09:30:00 AM",
    "dmy": "05/01/2025 09:30:00",
}


_ORDER_WORDS = {"dmy": "day/month/year", "mdy": "month/day/year"}


def _order_by_fieldwork(
    values: Sequence[str], fieldwork: tuple[dt.date, dt.date] | None
) -> tuple[str, str]:
    """The order (``dmy`` or ``mdy``) that puts more timestamps inside the fieldwork window.

    For exports whose timestamps cannot tell the two apart by themselves (every day of the
    fieldwork on the 1st to 12th of a month): the wave's fieldwork says which reading is the
    survey's. Day first when there is no window or it does not decide.
    """
    if fieldwork is None:
        return "dmy", "(day first, the Saudi custom; give the wave a fieldwork window to check)"
    inside = {}
    for order in ("dmy", "mdy"):
        days = [parse_timestamp(v, order) for v in values if v]
        inside[order] = sum(1 for d in days if d and fieldwork[0] <= d.date() <= fieldwork[1])
    if inside["mdy"] > inside["dmy"]:
        return "mdy", "(the reading that falls inside the wave's fieldwork window)"
    if inside["dmy"] > inside["mdy"]:
        return "dmy", "(the reading that falls inside the wave's fieldwork window)"
    return "dmy", "(day first; the fieldwork window does not decide)"


def derive_fields(
    platform: Platform,
    frame: pd.DataFrame,
    source_file: str,
    named: dict[str, str | None],
    fieldwork: tuple[dt.date, dt.date] | None = None,
) -> Derived:
    """Standard fields from a platform's metadata columns, as extra text columns of ``frame``.

    Parameters
    ----------
    platform : Platform
    frame : DataFrame
        The export's cells as text (one column per header), indexed by spreadsheet row.
    source_file : str
    named : dict
        Tidy field -> the raw column study.yml names for it, or None. A field study.yml
        names is read from that column as in a plain file; the others come from metadata.
    fieldwork : (date, date), optional
        The wave's fieldwork window: decides day/month order where the values cannot.

    Returns
    -------
    Derived
        ``frame`` plus ``__respondent`` (Google Forms: ``row <n>``, the export has no id),
        ``__date`` (start timestamp as ISO text), ``__duration_s`` (the platform's duration,
        or end minus start, in seconds), ``__platform_flag``; ``defaults`` maps each tidy
        field to the column to read.
    """
    frame = frame.copy()
    headers = [str(c) for c in frame.columns]
    problems: list[Problem] = []
    warnings: list[str] = []
    defaults: dict[str, str] = {}
    for name in platform.required:
        if find(headers, [name]) is None:
            problems.append(
                Problem(
                    source_file,
                    1,
                    name,
                    None,
                    f"a column '{name}' ({platform.title} exports it; export the file with its "
                    "metadata columns)",
                )
            )

    if not named.get("respondent"):
        column = find(headers, platform.respondent)
        if column is not None:
            defaults["respondent"] = column
        elif not platform.respondent:
            frame[DERIVED["respondent"]] = [f"row {row}" for row in frame.index]
            defaults["respondent"] = DERIVED["respondent"]

    start = find(headers, platform.start)
    end = find(headers, platform.end)
    order = platform.date_order
    if order == "auto":
        seen = [v for c in (start, end) if c for v in frame[c].tolist()]
        inferred = infer_date_order(seen)
        if inferred == "conflict":
            problems.append(
                Problem(
                    source_file,
                    None,
                    start,
                    None,
                    "timestamps written one way: some are day/month/year and others month/day/year",
                )
            )
        if inferred in ("dmy", "mdy"):
            order = inferred
        else:
            order, reason = _order_by_fieldwork(seen, fieldwork)
            if inferred is None and any(seen):
                warnings.append(
                    f"{source_file}: no timestamp of {start} tells day/month from month/day "
                    f"(every part is 12 or less): read as {_ORDER_WORDS[order]} {reason}"
                )

    def stamps(column: str) -> list[dt.datetime | None]:
        out = []
        for row, text in zip(frame.index, frame[column].tolist(), strict=True):
            value = parse_timestamp(text, order) if text else None
            if text and value is None:
                problems.append(
                    Problem(
                        source_file,
                        int(row),
                        column,
                        text,
                        f"a {platform.title} timestamp (e.g. {_EXAMPLE_STAMP[order]})",
                    )
                )
            out.append(value)
        return out

    starts = stamps(start) if start else None
    ends = stamps(end) if end else None
    if not named.get("date") and starts is not None:
        frame[DERIVED["date"]] = [s.isoformat(sep=" ") if s else "" for s in starts]
        defaults["date"] = DERIVED["date"]
    if not named.get("duration_s"):
        duration = find(headers, platform.duration)
        if duration is not None:
            defaults["duration_s"] = duration
        elif starts is not None and ends is not None:
            frame[DERIVED["duration_s"]] = [
                str(int((e - s).total_seconds())) if s and e and e >= s else ""
                for s, e in zip(starts, ends, strict=True)
            ]
            defaults["duration_s"] = DERIVED["duration_s"]
            for row, s_, e_ in zip(frame.index, starts, ends, strict=True):
                if s_ and e_ and e_ < s_:
                    problems.append(
                        Problem(
                            source_file,
                            int(row),
                            end,
                            frame.at[row, end],
                            f"an end time on or after the start time ({start}: "
                            f"{frame.at[row, start]})",
                        )
                    )

    flags, flag_problems = _flags(platform, frame, headers, source_file)
    problems += flag_problems
    frame[DERIVED["platform_flag"]] = flags
    defaults["platform_flag"] = DERIVED["platform_flag"]
    return Derived(frame, defaults, problems, warnings)


def _flags(
    platform: Platform, frame: pd.DataFrame, headers: Sequence[str], source_file: str
) -> tuple[list[str], list[Problem]]:
    """Per row: the first of :data:`FLAGS` the platform's metadata gives, or ""."""
    flags = [""] * len(frame)
    problems: list[Problem] = []
    if platform.key != "qualtrics":
        return flags, problems
    status = find(headers, ["Status"])
    finished = find(headers, ["Finished"])
    progress = find(headers, ["Progress"])
    for position, row in enumerate(frame.index):
        flag = ""
        if status is not None:
            text = frame.at[row, status]
            key = match_key(text)
            if key and key not in QUALTRICS_STATUS:
                problems.append(
                    Problem(
                        source_file,
                        int(row),
                        status,
                        text,
                        "a Qualtrics Status (IP Address, Survey Preview, Survey Test, Imported, "
                        "Spam, Offline, or their codes 0-17)",
                    )
                )
            flag = QUALTRICS_STATUS.get(key) or ""
        if not flag and finished is not None:
            key = match_key(frame.at[row, finished])
            if key in _FALSE:
                flag = "incomplete"
            elif key not in _TRUE:
                problems.append(
                    Problem(
                        source_file,
                        int(row),
                        finished,
                        frame.at[row, finished],
                        "Finished as 1 or 0 (True or False)",
                    )
                )
        if progress is not None:
            text = western_digits(cell_text(frame.at[row, progress]))
            value = parse_number(text) if text else None
            if text and (value is None or not 0 <= value <= 100):
                problems.append(
                    Problem(source_file, int(row), progress, text, "a Progress of 0-100")
                )
            elif not flag and value is not None and value < 100:
                flag = "incomplete"
        flags[position] = flag
    return flags, problems


# --------------------------------------------------------------------------------------------
# A raw table read from an export -> the table validate maps
# --------------------------------------------------------------------------------------------


def header_spec(platform: Platform) -> Any:
    """The reader's :class:`analysis.io.HeaderSpec` for a platform whose header spans rows.

    Only SurveyMonkey's header must be built while reading (its first row leaves the
    sub-columns of a matrix question unnamed, and the reader drops unnamed columns);
    Qualtrics' first row names every column, so its other header rows are taken off the
    table afterwards (:func:`adapt_table`).
    """
    from analysis.io import HeaderSpec

    if platform.key != "surveymonkey":
        return None

    def combine(rows: list[tuple[int, list[str]]], table: Any) -> list[str]:
        header = build_header(platform, rows, table.source_file)
        table.problems.extend(header.problems)
        table.aliases.update(header.aliases)
        return header.names

    return HeaderSpec(2, combine)


#: Metadata columns of each platform that study.yml need not map (kept out of "not used").
_METADATA = {
    "qualtrics": (
        "StartDate",
        "EndDate",
        "Status",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "DistributionChannel",
        "UserLanguage",
    ),
    "surveymonkey": ("Respondent ID", "Collector ID", "Start Date", "End Date"),
    "kobo": (
        "start",
        "end",
        "today",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_index",
        "_status",
        "_notes",
        "_tags",
        "__version__",
        "meta/instanceID",
    ),
    "google_forms": ("Timestamp", "الطابع الزمني"),
    "microsoft_forms": ("ID", "Start time", "Completion time", "Last modified time"),
}


def _is_legacy_qualtrics(frame: pd.DataFrame, headers: Sequence[str]) -> bool:
    """A Qualtrics legacy export: ``V1``, ``V2`` ... on row 1, ``ResponseID`` under one on row 2."""
    first = frame.iloc[0]
    return "V1" in headers and any(
        re.fullmatch(r"V\d+", h) and match_key(first[h]) == match_key("ResponseID") for h in headers
    )


@dataclass
class Adapted:
    """A platform export's table made ready for mapping.

    Attributes
    ----------
    table : RawTable
        Header rows beyond the first taken off (Qualtrics), aliases recorded, the derived
        columns of :func:`derive_fields` added.
    defaults : dict
        Tidy field -> raw column, for the fields study.yml leaves to the platform.
    personal : list of str
        Personal-data columns of the export, never read.
    quiet : set of str
        Metadata and personal columns, left out of the "columns not used" warning.
    """

    table: Any
    defaults: dict[str, str]
    personal: list[str]
    quiet: set[str]


def adapt_table(
    platform: Platform,
    table: Any,
    named: dict[str, str | None],
    fieldwork: tuple[dt.date, dt.date] | None = None,
) -> Adapted:
    """Turn a raw table read from ``platform``'s export into one :mod:`analysis.validate` maps.

    Parameters
    ----------
    platform : Platform
    table : RawTable
        As read (with :func:`header_spec` for SurveyMonkey).
    named : dict
        Tidy field -> the raw column study.yml names for it (None where it names none).
    """
    import dataclasses

    frame = table.frame
    headers = [str(c) for c in frame.columns]
    problems = list(table.problems)
    aliases = dict(table.aliases)
    if platform.key == "qualtrics" and len(frame) and _is_legacy_qualtrics(frame, headers):
        # The legacy exporter names its metadata V1, V2... on row 1 and gives the real names
        # (ResponseID, StartDate...) on row 2, above the question text of the questions.
        second = {h: str(frame.iloc[0][h]) for h in headers}
        renamed = {h: second[h] for h in headers if re.fullmatch(r"V\d+", h) and second[h]}
        for h in headers:
            if h not in renamed:
                _add_alias(aliases, second[h], h)
        aliases = {k: renamed.get(v, v) for k, v in aliases.items() if v is not None}
        frame = frame.iloc[1:].rename(columns=renamed)
        headers = [str(c) for c in frame.columns]
    elif platform.key == "qualtrics" and len(frame):
        head = [(1, headers)] + [
            (int(row), [str(frame.at[row, c]) for c in headers]) for row in frame.index[:2]
        ]
        header = build_header(platform, head, table.source_file)
        problems += header.problems
        aliases.update(header.aliases)
        frame = frame.iloc[header.rows - 1 :]
    elif platform.key in ("kobo", "google_forms", "microsoft_forms"):
        aliases.update(build_header(platform, [(1, headers)], table.source_file).aliases)
    glued = [h for h in headers if "_uuid" in h and h != "_uuid"]
    wrong_separator = platform.key == "kobo" and (
        (len(headers) == 1 and any(d in headers[0] for d in ";,\t"))
        or (find(headers, ["_uuid"]) is None and bool(glued))
    )
    if wrong_separator:
        # Every other problem of the file (extra values on each row) follows from this one.
        problems = [
            Problem(
                table.source_file,
                1,
                None,
                (glued or headers)[0][:60],
                "a KoboToolbox CSV whose separator splits its header into columns: this header "
                "keeps several column names in one ('_uuid' inside another name), so the file "
                "was read with the wrong separator (export it again with ';' or ',')",
            )
        ]
    derived = derive_fields(platform, frame, table.source_file, named, fieldwork)
    if not wrong_separator:
        problems += derived.problems
    personal = personal_columns(platform, headers)
    metadata = {h for h in headers if find([h], _METADATA.get(platform.key, ())) is not None}
    adapted = dataclasses.replace(
        table,
        frame=derived.frame,
        problems=problems,
        warnings=list(table.warnings) + derived.warnings,
        aliases=aliases,
    )
    quiet = set(personal) | metadata | set(DERIVED.values())
    return Adapted(adapted, derived.defaults, personal, quiet)
