"""Check a study folder and map its raw responses to the tidy columns (DESIGN.md sections 3, 8).

:func:`load_study` reads ``study.yml``, ``agencies.csv``, every responses file and the
optional ``interventions.csv``, and returns every received row mapped to the tidy columns of
docs/architecture.md, with every input problem found (never only the first). The mapping is
done in two steps, so that each problem is reported once and where it belongs:

1. *Parsing* turns raw text into values: ``"٤"``, ``"4.0"`` and ``"Agree"`` into 4.0, a
   declared N/A code or a blank into NaN, ``05/01/2025`` into a date. Text that is not a
   number, label, date or known segment value is a problem here.
2. *Checking* the parsed frame with a pandera schema: codes inside the scale, 0-10 for
   ``recommend``, agency ids present in ``agencies.csv``, required fields not blank, dtypes.
   Its failure cases are turned back into problems naming the file, row, raw column and
   raw value (``source_file`` and ``source_row`` stay on the frame for that).

Problems are input errors (exit 2); suspicious but valid input gives warnings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import calendars, config
from analysis.io import (
    Problem,
    RawTable,
    escape_invisible,
    match_key,
    parse_number,
    read_table,
    western_digits,
)
from analysis.study import (
    INTERVENTIONS_FILE,
    LANGUAGES,
    Study,
    empty_agencies,
    is_inside_path,
    load_agencies,
    load_study_yml,
    normal_path,
)

__all__ = [
    "INTERVENTION_COLUMNS",
    "Ingested",
    "Problem",
    "coverage_warnings",
    "empty_interventions",
    "empty_responses",
    "field_specs",
    "format_problems",
    "load_interventions",
    "load_study",
    "map_table",
    "parse_date",
    "parse_duration",
    "parse_recommend",
    "parse_scale_value",
    "read_responses",
    "responses_schema",
    "run_validate",
    "schema_problems",
]

#: Problems printed per file and column before "... and N more like this".
MAX_PRINTED_PER_COLUMN = 20

#: Excel stores dates as days since 1899-12-30; serials in this range are read as dates.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_SERIALS = (20_000, 80_000)  # 1954 to 2119

#: Plausible interview years; a typo such as 2205 or 0025 is a problem, not a date.
_YEARS = (1900, 2200)
_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?Z?"
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME)
_DMY_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME)
_CLOCK = re.compile(r"(?:(\d{1,6}):)?(\d{1,2}):(\d{2})")  # at most 999999 hours

DATE_EXPECTED = "a date as YYYY-MM-DD or DD/MM/YYYY (or an Excel date), or blank"
HIJRI_DATE_EXPECTED = (
    "a Hijri (Umm al-Qura) date as YYYY-MM-DD or DD/MM/YYYY, month 1-12 and a day the month "
    f"has, years {calendars.UMM_AL_QURA_YEARS[0]}-{calendars.UMM_AL_QURA_YEARS[1]}, or blank"
)
DURATION_EXPECTED = "a duration in seconds (or h:mm:ss) of 0 or more, or blank"
RECOMMEND_EXPECTED = "a whole number 0-10, or blank"

#: Tidy columns that every responses frame has, in order, before the item columns.
LEAD_COLUMNS = (
    "agency_id",
    "wave",
    "respondent",
    "source_file",
    "source_row",
    "date",
    "duration_s",
    "comment",
)


@dataclass
class Ingested:
    """Everything read from a study folder, before the quality rules.

    Attributes
    ----------
    study : Study or None
        ``None`` when ``study.yml`` is missing or unusable.
    agencies : DataFrame
        ``agencies.csv`` (see :func:`analysis.study.load_agencies`).
    responses : DataFrame
        All received rows, one per raw row, in the tidy columns of docs/architecture.md.
        Trustworthy only when ``problems`` is empty.
    problems : list of Problem
        Input errors; the study must not be analysed while there are any.
    warnings : list of str
        Suspicious but valid input.
    interventions : DataFrame
        ``interventions.csv`` (``agency_id, date, activity, staff_trained, hours``); empty
        when the study has none.
    """

    study: Study | None
    agencies: pd.DataFrame
    responses: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interventions: pd.DataFrame = field(default_factory=lambda: empty_interventions())
    #: Personal-data columns of platform exports left unread, by file.
    personal: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------
# Parsing single values (pure; each returns the value and the problem text, None if fine)
# --------------------------------------------------------------------------------------------


def scale_expected(study: Study) -> str:
    """What an item answer may be, in words."""
    scale = study.scale
    parts = [f"a scale code {scale.min}-{scale.max}"]
    if scale.not_applicable:
        parts.append(f"an N/A code ({', '.join(map(str, scale.not_applicable))})")
    if scale.labels:
        example = next(iter(scale.labels.values()))
        sample = example.get("en") or next(iter(example.values()))
        parts.append(f'a label of scale.labels (e.g. "{sample}")')
    return ", ".join(parts) + ", or blank"


def label_text_hint(study: Study) -> str:
    """For an answer written as words: where the words of the scale are declared.

    Exports that write the choice text ("Agree", «أوافق») instead of its code are read
    through ``scale.labels``; without them every such answer is a problem, and the line
    says how to fix all of them at once (docs/study.md).
    """
    if study.scale.labels:
        return ""
    return (
        "; to read answers written as words, list each code's words under scale.labels "
        "in study.yml (docs/study.md)"
    )


def scale_label_codes(study: Study) -> dict[str, int]:
    """Every label text of ``scale.labels`` (any language, compared by :func:`match_key`) -> code."""
    return {
        match_key(text): code
        for code, texts in study.scale.labels.items()
        for text in texts.values()
    }


def parse_scale_value(
    raw: str, study: Study, labels: dict[str, int] | None = None
) -> tuple[float, str | None]:
    """One item answer as a float code; NaN for blank and declared N/A codes.

    Numbers in any digits pass as numbers (the range is checked later, by the schema, so a
    ``6`` on a 1-5 scale is reported with the other range errors); label text maps to its
    code; anything else is a problem.
    """
    labels = scale_label_codes(study) if labels is None else labels
    if not raw:
        return math.nan, None
    number = parse_number(raw)
    if number is None:
        code = labels.get(match_key(raw))
        if code is None:
            return math.nan, scale_expected(study) + label_text_hint(study)
        number = float(code)
    if number in study.scale.not_applicable:
        return math.nan, None
    return number, None


def parse_recommend(raw: str) -> tuple[float, str | None]:
    """A 0-10 likelihood to recommend as a float (range checked by the schema)."""
    if not raw:
        return math.nan, None
    number = parse_number(raw)
    if number is None:
        return math.nan, RECOMMEND_EXPECTED
    return number, None


def parse_date(raw: str, calendar: str | None = None) -> tuple[pd.Timestamp | Any, str | None]:
    """An interview date: ISO (``2025-01-05``, with optional time), ``05/01/2025`` (day first),
    or an Excel serial day number; ``NaT`` when blank.

    Hijri (Umm al-Qura) dates are converted to Gregorian: ``1446-07-15``, ``15/07/1446``, in
    any digits, with or without the ``هـ`` suffix. Without a declared ``calendar`` a year of
    :data:`analysis.calendars.HIJRI_YEARS` (or the suffix) means Hijri; ``calendar="hijri"``
    reads every date as Hijri, ``"gregorian"`` none. A Hijri date that does not exist
    (month 13, day 30 of a 29-day month) or outside the Umm al-Qura tables is a problem.
    """
    text = western_digits(raw).strip()
    if not text:
        return pd.NaT, None
    text, suffixed = calendars.strip_hijri_suffix(text)
    number = None if suffixed else parse_number(text)
    if number is not None:
        low, high = _EXCEL_SERIALS
        if low <= number <= high and calendar != "hijri":
            return (_EXCEL_EPOCH + pd.to_timedelta(number, unit="D")).round("s"), None
        return pd.NaT, DATE_EXPECTED
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_DMY_DATE, (2, 1, 0))):
        match = pattern.fullmatch(text)
        if match:
            parts = match.groups()
            year, month, day = (int(parts[i]) for i in order)
            hour, minute, second = (int(p) if p else 0 for p in parts[3:6])
            hijri = calendar == "hijri" or (
                calendar != "gregorian" and (suffixed or calendars.is_hijri_year(year))
            )
            if hijri:
                try:
                    day_ = calendars.to_gregorian(year, month, day)
                    when = dt.datetime(day_.year, day_.month, day_.day, hour, minute, second)
                except ValueError:
                    return pd.NaT, HIJRI_DATE_EXPECTED
                return pd.Timestamp(when), None
            if not _YEARS[0] <= year <= _YEARS[1]:
                return pd.NaT, DATE_EXPECTED
            try:
                return pd.Timestamp(dt.datetime(year, month, day, hour, minute, second)), None
            except ValueError:
                return pd.NaT, DATE_EXPECTED
    return pd.NaT, HIJRI_DATE_EXPECTED if suffixed or calendar == "hijri" else DATE_EXPECTED


def parse_duration(raw: str) -> tuple[float, str | None]:
    """Interview duration in seconds: a number, or a clock ``h:mm:ss`` / ``m:ss``; NaN when blank."""
    text = western_digits(raw).strip()
    if not text:
        return math.nan, None
    number = parse_number(text)
    if number is not None:
        return number, None
    clock = _CLOCK.fullmatch(text)
    if clock:
        hours, minutes, seconds = (int(p) if p else 0 for p in clock.groups())
        return float(hours * 3600 + minutes * 60 + seconds), None
    return math.nan, DURATION_EXPECTED


# --------------------------------------------------------------------------------------------
# Mapping one raw table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One tidy column read from one raw column.

    ``parse`` turns a raw cell into ``(value, problem text or None)``; ``where`` says which
    key of study.yml names the raw column (for missing-column problems).
    """

    tidy: str
    raw: str
    where: str
    parse: Callable[[str], tuple[Any, str | None]]


def _text(raw: str) -> tuple[Any, str | None]:
    return (raw if raw else pd.NA), None


def _agency_parser(agency_ids: Sequence[str]) -> Callable[[str], tuple[Any, str | None]]:
    """Agency ids as text; an id typed without its leading zeros (Excel drops them) still matches."""
    known = set(agency_ids)
    by_folded = {agency_id.casefold(): agency_id for agency_id in agency_ids}
    by_number: dict[str, list[str]] = {}
    for agency_id in agency_ids:
        if agency_id.isdigit():
            by_number.setdefault(agency_id.lstrip("0") or "0", []).append(agency_id)

    def parse(raw: str) -> tuple[Any, str | None]:
        text = western_digits(raw)
        if not text:
            return pd.NA, None
        if text not in known and text.isdigit():
            candidates = by_number.get(text.lstrip("0") or "0", [])
            if len(candidates) == 1:
                return candidates[0], None
        if text not in known and text.casefold() in by_folded:
            # Not merged silently: 'h01' and 'H01' would otherwise be two agencies.
            listed = by_folded[text.casefold()]
            return pd.NA, f"an agency_id listed in agencies.csv, written as there ('{listed}')"
        return text, None

    return parse


def _segment_parser(values: dict[str, list[str]], column: str) -> Callable[[str], Any]:
    lookup = {match_key(raw): code for code, raws in values.items() for raw in raws}
    shown = ", ".join(f'"{raw}"' for raws in values.values() for raw in raws[:3])

    def parse(raw: str) -> tuple[Any, str | None]:
        if not raw:
            return pd.NA, None
        code = lookup.get(match_key(raw))
        if code is None:
            return pd.NA, f"a value listed under segments for column '{column}' ({shown}), or blank"
        return code, None

    return parse


def _wave_parser(study: Study, waves_of_source: Sequence[str]) -> Callable[[str], Any]:
    """Raw value of ``columns.wave`` -> standard wave name, if that wave lists this file."""
    lookup: dict[str, str] = {}
    for name, wave in study.waves_by_name.items():
        for raw in wave.wave_values:
            lookup[match_key(raw)] = name
    shown = ", ".join(
        f'"{raw}" ({name})' for name, w in study.waves_by_name.items() for raw in w.wave_values
    )

    def parse(raw: str) -> tuple[Any, str | None]:
        name = lookup.get(match_key(raw)) if raw else None
        if name is None:
            return pd.NA, f"a wave value of study.yml: {shown}"
        if name not in waves_of_source:
            return pd.NA, f"a wave that lists this file (wave '{study.wave_keys[name]}' does not)"
        return name, None

    return parse


def field_specs(
    study: Study,
    agency_ids: Sequence[str],
    waves_of_source: Sequence[str] = (),
    defaults: Mapping[str, str] | None = None,
) -> list[FieldSpec]:
    """The raw columns a responses file must have, with how each is parsed.

    ``defaults`` (a survey platform's export, :func:`analysis.platforms.adapt_table`) gives
    the raw column of a standard field that study.yml does not name: the response id, the
    start time, the duration, and the platform's own flag of the response.
    """
    columns = study.columns
    defaults = dict(defaults or {})
    platform = "the platform's metadata (waves.<wave>.format)"
    respondent = columns.respondent or defaults.get("respondent")
    specs = [
        FieldSpec(
            "respondent",
            respondent,
            "columns.respondent" if columns.respondent else platform,
            _text,
        ),
        FieldSpec("agency_id", columns.agency, "columns.agency", _agency_parser(agency_ids)),
    ]
    if columns.wave is not None:
        specs.append(
            FieldSpec("wave", columns.wave, "columns.wave", _wave_parser(study, waves_of_source))
        )
    if columns.date is not None or "date" in defaults:
        where = "columns.date" if columns.date is not None else platform
        declared = {study.waves_by_name[w].calendar for w in waves_of_source} - {None}
        calendar = declared.pop() if len(declared) == 1 else None
        parse = partial(parse_date, calendar=calendar) if calendar else parse_date
        specs.append(FieldSpec("date", columns.date or defaults["date"], where, parse))
    if columns.duration_s is not None or "duration_s" in defaults:
        where = "columns.duration_s" if columns.duration_s is not None else platform
        raw = columns.duration_s or defaults["duration_s"]
        specs.append(FieldSpec("duration_s", raw, where, parse_duration))
    if "platform_flag" in defaults:
        specs.append(FieldSpec("platform_flag", defaults["platform_flag"], platform, _text))
    if columns.comment is not None:
        specs.append(FieldSpec("comment", columns.comment, "columns.comment", _text))
    labels = scale_label_codes(study)
    for code, item in study.items.items():
        specs.append(
            FieldSpec(
                code,
                item.column,
                f"items.{code}.column",
                lambda raw, labels=labels: parse_scale_value(raw, study, labels),
            )
        )
    if study.recommend is not None:
        specs.append(
            FieldSpec("recommend", study.recommend.column, "recommend.column", parse_recommend)
        )
    for key, segment in study.segments.items():
        specs.append(
            FieldSpec(
                key,
                segment.column,
                f"segments.{key}.column",
                _segment_parser(segment.values, segment.column),
            )
        )
    return specs


def _find_column(
    columns: Sequence[str], wanted: str | None, aliases: Mapping[str, str] | None = None
) -> str | None:
    """The header matching ``wanted`` exactly, else the single one matching it case/space-insensitively.

    ``aliases`` (a platform export's question text, SurveyMonkey sub-questions, the last
    part of a Kobo group path) are tried last.
    """
    if wanted is None:
        return None
    if wanted in columns:
        return wanted
    alias = (aliases or {}).get(match_key(wanted))
    if alias in columns and not any(match_key(c) == match_key(wanted) for c in columns):
        return alias
    near = [c for c in columns if match_key(c) == match_key(wanted)]
    return near[0] if len(near) == 1 else None


def empty_responses(study: Study | None) -> pd.DataFrame:
    """A responses frame with no rows and the tidy columns and dtypes."""
    columns: dict[str, Any] = {
        "agency_id": pd.array([], dtype="string"),
        "wave": pd.array([], dtype="string"),
        "respondent": pd.array([], dtype="string"),
        "source_file": pd.array([], dtype="string"),
        "source_row": np.array([], dtype="int64"),
        "date": np.array([], dtype="datetime64[ns]"),
        "duration_s": np.array([], dtype="float64"),
        "comment": pd.array([], dtype="string"),
    }
    if study is not None:
        columns.update({code: np.array([], dtype="float64") for code in study.items})
    columns["recommend"] = np.array([], dtype="float64")
    if study is not None:
        columns.update({key: pd.array([], dtype="string") for key in study.segments})
    # What a survey platform says of the response (preview, test, spam, incomplete), NA in
    # plain files: the quality rules turn it into an exclusion.
    columns["platform_flag"] = pd.array([], dtype="string")
    return pd.DataFrame(columns)


def _typed(tidy: str, values: Sequence[Any], study: Study, codes: np.ndarray | None = None) -> Any:
    """The values of one tidy column in its dtype.

    With ``codes``, ``values`` are the distinct values and the column is ``values[codes]``:
    each distinct value is converted once, however many rows hold it.
    """
    if tidy == "date":
        typed = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]").to_numpy()
    elif tidy in study.items or tidy in ("duration_s", "recommend"):
        typed = np.asarray(values, dtype="float64")
    else:
        typed = pd.array(values, dtype="string")
    if codes is None:
        return typed
    return typed.take(codes)


def map_table(
    table: RawTable,
    study: Study,
    agency_ids: Sequence[str],
    waves_of_source: Sequence[str],
    defaults: Mapping[str, str] | None = None,
    quiet: set[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem], list[str]]:
    """Map one raw table to tidy columns.

    Parameters
    ----------
    table : RawTable
        As read by :func:`analysis.io.read_table`.
    study : Study
    agency_ids : sequence of str
        Ids of ``agencies.csv`` (for ids typed without leading zeros).
    waves_of_source : sequence of str
        Standard names of the waves that list this file: the wave of every row when there
        is one and no ``columns.wave``.
    defaults : mapping, optional
        Raw columns of standard fields study.yml leaves to a platform (:func:`field_specs`).
    quiet : set of str, optional
        Columns not to list as "not used" (a platform's metadata and personal columns).

    Returns
    -------
    mapped, raw_cells, problems, warnings
        ``mapped`` in tidy columns (``source_file``, ``source_row`` included);
        ``raw_cells`` the raw text behind each tidy column, same index, for messages.
    """
    from analysis.io import TEXT_DTYPE, text_or_na

    raw = table.frame
    problems: list[Problem] = []
    warnings: list[str] = []
    specs = field_specs(study, agency_ids, waves_of_source, defaults)
    headers = [str(c) for c in raw.columns]
    found: dict[str, str] = {}
    glued = _glued_header(headers, [spec.raw for spec in specs if spec.raw])
    if glued is not None:  # every "missing column" would follow from this one problem
        problems.append(Problem(table.source_file, 1, None, glued[0], glued[1]))
        specs = []
    for spec in specs:
        header = _find_column(headers, spec.raw, table.aliases)
        if header is None and spec.raw is None:
            continue  # the platform's own missing metadata column is already a problem
        if header is None:
            problems.append(
                Problem(
                    table.source_file,
                    1,
                    spec.raw,
                    None,
                    f"a column '{spec.raw}' ({spec.where} in study.yml)",
                )
            )
        else:
            found[spec.tidy] = header
    unused = [h for h in headers if h not in set(found.values()) and h not in (quiet or ())]
    if unused:
        shown = ", ".join(unused[:10]) + (
            f" and {len(unused) - 10} more" if len(unused) > 10 else ""
        )
        warnings.append(f"{table.source_file}: columns not used by study.yml: {shown}")

    n_rows = len(raw)
    rows = np.asarray(raw.index, dtype="int64")
    every_row = np.zeros(n_rows, dtype=np.intp)
    # A raw column is factorised once and each distinct cell parsed once, so that a million
    # rows cost a few thousand parses; the typed column is built from the distinct values.
    mapped: dict[str, Any] = {}
    raw_cells: dict[str, Any] = {}
    for spec in specs:
        header = found.get(spec.tidy)
        if header is None:
            mapped[spec.tidy] = _typed(spec.tidy, [spec.parse("")[0]], study, every_row)
            # NA marks "no such column": its problem is already listed once, on row 1.
            raw_cells[spec.tidy] = pd.array([None], dtype=TEXT_DTYPE).take(every_row)
            continue
        column = raw[header]
        raw_cells[spec.tidy] = column.array
        if spec.parse is _text:  # text as it is, blank as NA, never a problem: no parse
            mapped[spec.tidy] = text_or_na(column)
            continue
        codes, distinct = pd.factorize(column, use_na_sentinel=False)
        distinct = distinct.tolist()
        parsed = [spec.parse(value) for value in distinct]
        bad = [code for code, (_, expected) in enumerate(parsed) if expected is not None]
        if bad:
            for at in np.flatnonzero(np.isin(codes, bad)):
                code = codes[at]
                problems.append(
                    Problem(
                        table.source_file, int(rows[at]), header, distinct[code], parsed[code][1]
                    )
                )
        mapped[spec.tidy] = _typed(spec.tidy, [value for value, _ in parsed], study, codes)

    if study.columns.wave is None:
        wave = waves_of_source[0] if waves_of_source else pd.NA
        mapped["wave"] = _typed("wave", [wave], study, every_row)
    mapped["source_file"] = _typed("source_file", [table.source_file], study, every_row)
    mapped["source_row"] = rows
    template = empty_responses(study)
    out: dict[str, Any] = {}
    for column, dtype in template.dtypes.items():
        if column in mapped:
            out[column] = mapped[column]
        else:  # an optional field study.yml does not declare: absent for every row
            out[column] = _absent(dtype, n_rows)
    result = pd.DataFrame(out, columns=template.columns)
    cells_frame = pd.DataFrame(raw_cells, index=result.index)
    return result, cells_frame, problems, warnings


def _glued_header(headers: Sequence[str], wanted: Sequence[str]) -> tuple[str, str] | None:
    """A header read as one column holding the names study.yml asks for: the wrong separator.

    The readers split on ``,``, ``;`` or tab; a file separated by ``|`` (or saved with
    another separator) arrives as one column named ``response_id|agency_id|...``.
    """
    if len(headers) != 1 or not wanted:
        return None
    inside = [w for w in wanted if w in headers[0] and w != headers[0]]
    if len(inside) < 2:
        return None
    separator = next((c for c in headers[0] if not c.isalnum() and c not in " _-"), "?")
    return (
        headers[0],
        f"columns separated by ',', ';' or a tab: this header is one column holding "
        f"{len(inside)} names study.yml asks for, so the file is separated by '{separator}' "
        "(save it again as CSV)",
    )


def _absent(dtype: Any, n_rows: int) -> Any:
    if isinstance(dtype, pd.StringDtype):
        return pd.array([pd.NA], dtype="string").take(np.zeros(n_rows, dtype=np.intp))
    return np.full(n_rows, np.nan if dtype.kind == "f" else np.datetime64("NaT"), dtype=dtype)


# --------------------------------------------------------------------------------------------
# Schema check of the mapped frame (pandera)
# --------------------------------------------------------------------------------------------


def responses_schema(study: Study, agency_ids: Sequence[str] | None) -> Any:
    """The pandera schema of the tidy responses table of ``study``.

    Each check's ``error`` text is what the user is told was expected, so that a failure
    case becomes a problem line as it stands. With ``agency_ids=None`` (``agencies.csv``
    unreadable, already reported) agency ids are only required, not looked up.
    """
    import pandera.pandas as pa

    codes = [float(code) for code in study.scale.codes]
    item_expected = scale_expected(study)
    columns = {
        "agency_id": pa.Column(
            "string",
            [pa.Check.isin(list(agency_ids), error="an agency_id listed in agencies.csv")]
            if agency_ids is not None
            else [],
            nullable=False,
        ),
        "wave": pa.Column("string", pa.Check.isin(list(config.WAVES)), nullable=False),
        "respondent": pa.Column("string", nullable=False),
        "source_file": pa.Column("string", nullable=False),
        "source_row": pa.Column("int64", pa.Check.ge(2)),
        "date": pa.Column("datetime64[ns]", nullable=True),
        "duration_s": pa.Column("float64", pa.Check.ge(0, error=DURATION_EXPECTED), nullable=True),
        "comment": pa.Column("string", nullable=True),
    }
    for code in study.items:
        columns[code] = pa.Column(
            "float64", pa.Check.isin(codes, error=item_expected), nullable=True
        )
    columns["recommend"] = pa.Column(
        "float64",
        pa.Check.isin([float(v) for v in range(11)], error=RECOMMEND_EXPECTED),
        nullable=True,
    )
    for key, segment in study.segments.items():
        columns[key] = pa.Column(
            "string",
            pa.Check.isin(list(segment.values), error=f"a code of segments.{key}"),
            nullable=True,
        )
    # Optional in the frame: tidy tables written before platform exports existed lack it.
    columns["platform_flag"] = pa.Column(
        "string", pa.Check.isin(list(config.PLATFORM_REASONS)), nullable=True, required=False
    )
    return pa.DataFrameSchema(columns, strict=True)


#: What a blank in a required field means, for not_nullable failures.
_REQUIRED_TEXT = {
    "agency_id": "an agency id (it is blank)",
    "respondent": "a respondent id (it is blank)",
    "wave": "a wave",
    "source_file": "a source file",
}


def schema_problems(
    frame: pd.DataFrame, raw_cells: pd.DataFrame, raw_columns: dict[str, str], schema: Any
) -> list[Problem]:
    """Run ``schema`` lazily and turn each failure case into a :class:`Problem`.

    Parameters
    ----------
    frame : DataFrame
        Mapped responses with ``source_file`` and ``source_row``.
    raw_cells : DataFrame
        Raw text behind each tidy column, same index as ``frame``.
    raw_columns : dict
        Tidy column -> raw column name (for the problem line).
    """
    import pandera.errors as pa_errors

    try:
        # inplace: the schema coerces nothing, and a copy of a million rows costs memory.
        schema.validate(frame, lazy=True, inplace=True)
    except pa_errors.SchemaErrors as error:
        cases = error.failure_cases
    except pa_errors.SchemaError as error:  # raised eagerly for some frame-level failures
        return [Problem("responses", None, None, None, f"tidy responses table ({error})")]
    else:
        return []
    problems = []
    for case in cases.itertuples(index=False):
        column = case.column
        index = case.index
        check = str(case.check)
        if index is None or pd.isna(index) or column not in frame.columns:
            # Frame-level failures (dtype, missing column) mean a bug here, not bad input.
            problems.append(Problem("responses", None, column, case.failure_case, check))
            continue
        index = int(index)
        file = str(frame.at[index, "source_file"])
        row = int(frame.at[index, "source_row"])
        if column in raw_cells.columns:
            raw_value = raw_cells.at[index, column]
            if not isinstance(raw_value, str):  # the column is missing from this file,
                continue  # reported on row 1
        else:
            raw_value = case.failure_case
            if raw_value is None:
                continue
        expected = _REQUIRED_TEXT.get(column, "a value") if check == "not_nullable" else check
        problems.append(Problem(file, row, raw_columns.get(column, column), raw_value, expected))
    return problems


# --------------------------------------------------------------------------------------------
# The study folder
# --------------------------------------------------------------------------------------------


def _sources(study: Study) -> list[tuple[str, str | None, list[str]]]:
    """``(file, sheet, waves listing it)`` for every responses table, in study.yml order."""
    sources: dict[tuple[str, str | None], list[str]] = {}
    for name, wave in study.waves_by_name.items():
        for file in wave.files:
            sources.setdefault((normal_path(file), wave.sheet), []).append(name)
    return [(file, sheet, names) for (file, sheet), names in sources.items()]


def _raw_header(table: RawTable, wanted: str) -> str | None:
    return _find_column([str(c) for c in table.frame.columns], wanted)


def spss_label_problems(table: RawTable, study: Study) -> list[Problem]:
    """Value labels and missing codes of an SPSS file that contradict the codebook.

    The file is read by its codes, so labels change no answer; they are checked instead:

    - two codes of one item sharing a label (4 and 5 both "Agree") mean the file's
      coding is not the questionnaire's, and which of the two codes is meant cannot be told;
    - a code whose label is the ``scale.labels`` text of another code (1 labelled
      "Strongly agree" where study.yml gives that text to 5) means a reversed or shifted
      coding, which would invert every answer of the item.

    Problems are on row 1 (the variable's definition), naming the item's raw column.
    """
    problems = []
    scale_codes = scale_label_codes(study)
    for code, item in study.items.items():
        header = _raw_header(table, item.column)
        answers = [
            value
            for value in table.user_missing.get(header or "", [])
            if parse_number(value) in study.scale.codes
        ]
        if answers:  # "missing" that is a real answer on the scale would vanish unseen
            problems.append(
                Problem(
                    table.source_file,
                    1,
                    header,
                    ", ".join(answers),
                    f"SPSS user-missing codes outside the scale {study.scale.min}-"
                    f"{study.scale.max} of item {code}: these are answers (remove them from "
                    "the variable's missing values in SPSS)",
                )
            )
        labels = table.value_labels.get(header or "", {})
        by_label: dict[str, list[str]] = {}
        for value, label in labels.items():
            by_label.setdefault(match_key(label), []).append(value)
        for label_key, values in by_label.items():
            if len(values) > 1:
                label = labels[values[0]]
                problems.append(
                    Problem(
                        table.source_file,
                        1,
                        header,
                        label,
                        f"one SPSS value label per code of item {code} (codes "
                        f"{' and '.join(values)} share this label)",
                    )
                )
                continue
            meant = scale_codes.get(label_key)
            number = parse_number(values[0])
            if meant is not None and number is not None and number != meant:
                problems.append(
                    Problem(
                        table.source_file,
                        1,
                        header,
                        labels[values[0]],
                        f"the coding of study.yml for item {code}: the file labels code "
                        f"{values[0]} with the text scale.labels gives code {meant} "
                        "(reversed or shifted coding?)",
                    )
                )
    return problems


def with_labels_for_text_mappings(table: RawTable, study: Study) -> RawTable:
    """Segment and wave cells of an SPSS file given as their label where only labels map.

    study.yml may list a segment's raw values as text (``female: ["Female", "أنثى"]``)
    while the file stores codes with value labels. A code that study.yml does not list
    but whose label it does is replaced by that label in those columns only; a code
    listed as it is stays a code. Item answers are never replaced: they are codes.
    """
    targets: dict[str, set[str]] = {}
    for segment in study.segments.values():
        targets[segment.column] = {
            match_key(raw) for raws in segment.values.values() for raw in raws
        }
    if study.columns.wave is not None:
        targets[study.columns.wave] = {
            match_key(raw) for wave in study.waves.values() for raw in wave.wave_values
        }
    frame = None
    for column, known in targets.items():
        header = _raw_header(table, column)
        labels = table.value_labels.get(header or "", {})
        swap = {
            value: label
            for value, label in labels.items()
            if match_key(value) not in known and match_key(label) in known
        }
        if swap:
            frame = table.frame.copy() if frame is None else frame
            frame[header] = frame[header].map(lambda cell, swap=swap: swap.get(cell, cell))
    if frame is None:
        return table
    return dataclasses.replace(table, frame=frame)


def _named_fields(study: Study) -> dict[str, str | None]:
    """Standard fields study.yml names a raw column for (None where it leaves it out)."""
    columns = study.columns
    return {
        "respondent": columns.respondent,
        "date": columns.date,
        "duration_s": columns.duration_s,
    }


def _personal_mapped(table: RawTable, study: Study, personal: Sequence[str]) -> list[Problem]:
    """A study.yml field that reads a personal-data column of a platform export: a problem."""
    if not personal:
        return []
    headers = [str(c) for c in table.frame.columns]
    wanted = {
        "columns.respondent": study.columns.respondent,
        "columns.agency": study.columns.agency,
        "columns.date": study.columns.date,
        "columns.duration_s": study.columns.duration_s,
        "columns.comment": study.columns.comment,
        **{f"items.{code}.column": item.column for code, item in study.items.items()},
        **{f"segments.{key}.column": seg.column for key, seg in study.segments.items()},
    }
    if study.recommend is not None:
        wanted["recommend.column"] = study.recommend.column
    problems = []
    for where, raw in wanted.items():
        header = _find_column(headers, raw, table.aliases)
        if header is not None and header in personal:
            problems.append(
                Problem(
                    table.source_file,
                    1,
                    header,
                    None,
                    f"a column without personal data for {where} (this one holds e-mails, "
                    "names or addresses, which this tool never reads)",
                )
            )
    return problems


def _source_name(file: str, sheet: str | None) -> str:
    return f"{file}#{sheet}" if sheet is not None else file


def read_responses(
    study_dir: Path,
    study: Study,
    agency_ids: Sequence[str] | None,
    personal: dict[str, list[str]] | None = None,
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Read, map and check every responses file of a study.

    ``agency_ids=None`` skips the look-up of agency ids (``agencies.csv`` is unusable).
    A wave exported by a survey platform (``waves.<wave>.format``) is read through its
    preset (:mod:`analysis.platforms`); its personal-data columns are never read, and are
    listed by file in ``personal`` when given.

    Returns
    -------
    responses, problems, warnings
        All rows of all files (one per raw row), in the tidy columns.
    """
    from analysis.platforms import PLATFORMS, adapt_table, header_spec

    problems: list[Problem] = []
    warnings: list[str] = []
    frames, cells, raw_columns = [], [], {}
    for file, sheet, names in _sources(study):
        if not is_inside_path(file):
            continue  # study.yml's problem says so; the file is never opened
        name = _source_name(file, sheet)
        platform = PLATFORMS.get(study.waves_by_name[names[0]].format)
        table = read_table(
            Path(study_dir) / file,
            name,
            sheet,
            root=study_dir,
            header=header_spec(platform) if platform else None,
        )
        defaults: dict[str, str] = {}
        quiet: set[str] = set()
        if platform is not None and not table.frame.columns.empty:
            fieldwork = study.waves_by_name[names[0]].fieldwork
            adapted = adapt_table(platform, table, _named_fields(study), fieldwork)
            table, defaults, quiet = adapted.table, adapted.defaults, adapted.quiet
            if adapted.personal and personal is not None:
                personal[name] = adapted.personal
            table.problems += _personal_mapped(table, study, adapted.personal)
        problems += table.problems
        warnings += table.warnings
        if table.frame.columns.empty:
            continue
        if table.value_labels or table.user_missing:
            problems += spss_label_problems(table, study)
            table = with_labels_for_text_mappings(table, study)
        mapped, raw_cells, table_problems, table_warnings = map_table(
            table, study, agency_ids or [], names, defaults, quiet
        )
        if "respondent" not in defaults:  # a platform's own response ids are never personal
            table_problems += personal_id_problems(mapped, study.columns.respondent or "")
        problems += table_problems
        warnings += table_warnings
        frames.append(mapped)
        cells.append(raw_cells)
    for spec in field_specs(study, agency_ids or []):
        raw_columns[spec.tidy] = spec.raw
    if not frames:
        return empty_responses(study), problems, warnings
    responses = pd.concat(frames, ignore_index=True)
    raw_cells = pd.concat(cells, ignore_index=True)
    # A cell that could not be parsed is NA in the frame; its schema failure (a blank in a
    # required field) would report it a second time.
    parsed_badly = {(p.file, p.row, p.column) for p in problems}
    problems += [
        p
        for p in schema_problems(
            responses, raw_cells, raw_columns, responses_schema(study, agency_ids)
        )
        if (p.file, p.row, p.column) not in parsed_badly
    ]
    return responses, problems, warnings


#: What a respondent id holding personal data may look like: an @, or nine digits or more
#: (a phone or national id, perhaps with separators). Confirmed by analysis.privacy.
_MAYBE_PERSONAL = r"@|\(at\)|\[at\]|(?:\d[\s\-./]?){9,}"


def personal_id_problems(responses: pd.DataFrame, column: str) -> list[Problem]:
    """Respondent ids that are e-mail addresses, phone numbers or national ids: problems.

    An id is copied into every processed table and into ``excluded.csv`` (it is how a row
    is traced back), so it must not be personal data: a form that uses "your e-mail" or a
    mobile number as its id must be given another id (the platform's response id, a
    questionnaire number). Checked with the reports' own masking rules
    (:func:`analysis.privacy.mask_pii`), on the few ids that could hold such data.
    """
    from analysis.i18n import t
    from analysis.privacy import mask_pii

    personal = [t(key, "en") for key in ("mask_phone", "mask_national_id", "mask_email")]
    ids = responses["respondent"].astype("string")
    candidates = ids.str.contains(_MAYBE_PERSONAL, regex=True, na=False)
    problems = []
    for index in np.flatnonzero(candidates.to_numpy()):
        value = str(ids.iat[index])
        # "[number]" is a long number, not personal data: a platform id may be 12 digits.
        if any(token in mask_pii(value, "en") for token in personal):
            problems.append(
                Problem(
                    str(responses["source_file"].iat[index]),
                    int(responses["source_row"].iat[index]),
                    column,
                    value,
                    "a respondent id that is not an e-mail address, phone number or national id "
                    "(ids are copied into processed/ and excluded.csv: use the platform's "
                    "response id or a questionnaire number)",
                )
            )
    return problems


def coverage_warnings(
    responses: pd.DataFrame, study: Study, agency_ids: Sequence[str]
) -> list[str]:
    """Suspicious but valid: agencies without responses in a wave, items never answered."""
    warnings = []
    for name in config.WAVES:
        wave = responses[responses["wave"] == name]
        key = study.wave_keys.get(name, name)
        missing = sorted(set(agency_ids) - set(wave["agency_id"].dropna()))
        if missing and agency_ids:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            warnings.append(
                f"wave '{key}': no responses from {len(missing)} agency(ies) of agencies.csv: {shown}"
            )
        if wave.empty:
            continue
        answered = wave[list(study.items)].notna()
        if not answered.any().any():
            warnings.append(f"wave '{key}': every item is N/A or blank in all {len(wave)} rows")
            continue
        never = [code for code in study.items if not answered[code].any()]
        if never:
            warnings.append(
                f"wave '{key}': items never answered (all N/A or blank): {', '.join(never)}"
            )
    return warnings


#: Columns of the activity log ``interventions.csv`` (DESIGN.md section 3), in order.
INTERVENTION_COLUMNS = ("agency_id", "date", "activity", "staff_trained", "hours")
#: Columns ``interventions.csv`` must have; ``staff_trained`` and ``hours`` may be absent.
INTERVENTION_REQUIRED = ("agency_id", "date", "activity")

AGENCY_EXPECTED = "an agency_id listed in agencies.csv"
ACTIVITY_EXPECTED = "the name of the activity"
STAFF_EXPECTED = "a whole number of 0 or more, or blank"
HOURS_EXPECTED = "a number of hours of 0 or more, or blank"


def empty_interventions() -> pd.DataFrame:
    """An activity log without rows, with the dtypes :func:`load_interventions` returns."""
    return pd.DataFrame(
        {
            "agency_id": pd.array([], dtype="string"),
            "date": np.array([], dtype="datetime64[ns]"),
            "activity": pd.array([], dtype="string"),
            "staff_trained": pd.array([], dtype="Int64"),
            "hours": np.array([], dtype="float64"),
        }
    )


#: How the readers end the problem of a file without data rows (empty, or a header only).
_NO_ROWS = ("the file is empty", "the file has a header only")


def _missing_intervention_columns(headers: Sequence[str]) -> list[Problem]:
    return [
        Problem(
            INTERVENTIONS_FILE,
            1,
            name,
            None,
            f"a column '{name}' ({', '.join(INTERVENTION_REQUIRED)})",
        )
        for name in INTERVENTION_REQUIRED
        if _find_column(headers, name) is None
    ]


def load_interventions(
    study_dir: Path, agency_ids: Sequence[str] | None
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Read and check the optional activity log ``interventions.csv`` (DESIGN.md section 3).

    Parameters
    ----------
    study_dir : Path
        The study folder; the log is ``<study_dir>/interventions.csv``. A missing file is an
        empty log, not a problem (comparison-only studies have none).
    agency_ids : sequence of str or None
        The ``agency_id`` values of ``agencies.csv``; ``None`` skips the look-up (the file
        is unusable and already reported).

    Returns
    -------
    interventions : DataFrame
        One row per data row, columns :data:`INTERVENTION_COLUMNS`: ``agency_id`` and
        ``activity`` (string), ``date`` (datetime64), ``staff_trained`` (Int64, NA when blank)
        and ``hours`` (float64, NaN when blank). A cell with a problem is left blank (except
        an unknown agency id, kept as typed); the frame is trustworthy only without problems.
    problems : list of Problem
        One per input error, on the row a spreadsheet shows (header = row 1): an agency id
        not in ``agencies.csv`` (or blank), a date that is blank or neither ISO, day/month/year
        nor an Excel serial, a blank ``activity``, a ``staff_trained`` that is not a whole
        number of 0 or more, ``hours`` that are not a number of 0 or more, a missing required
        column (once, on row 1), an unreadable file.
    warnings : list of str
        From reading the file (e.g. an encoding that is not UTF-8).

    Notes
    -----
    Headers are matched as those of the responses files are, without regard to case or
    spaces. Arabic-Indic digits are read as digits in every column, and an all-digit agency id
    typed without its leading zeros (``7`` for ``007``, as Excel saves it) matches when
    exactly one listed id has that number. Blank ``staff_trained`` and ``hours`` are allowed:
    documenting procedures trains nobody, and a field visit may have no logged duration.
    """
    path = Path(study_dir) / INTERVENTIONS_FILE
    if not path.exists() and not path.is_symlink():  # a dangling link is a problem, not absent
        return empty_interventions(), [], []
    table = read_table(path, INTERVENTIONS_FILE, root=study_dir)
    # The log is optional: an empty or header-only file says "no activity yet", which a
    # comparison agency or a study before its intervention legitimately has.
    nothing_logged = [p for p in table.problems if p.expected.endswith(_NO_ROWS)]
    problems = [p for p in table.problems if p not in nothing_logged]
    warnings = list(table.warnings)
    if nothing_logged and not problems:
        warnings.append(f"{INTERVENTIONS_FILE}: no activity is logged (the file has no rows)")
    raw = table.frame
    if raw.columns.empty or (nothing_logged and raw.empty):
        if not raw.columns.empty:
            problems += _missing_intervention_columns([str(c) for c in raw.columns])
        return empty_interventions(), problems, warnings
    headers = [str(c) for c in raw.columns]
    found = {name: _find_column(headers, name) for name in INTERVENTION_COLUMNS}
    problems += _missing_intervention_columns(headers)
    known = set(agency_ids) if agency_ids is not None else None
    parse_agency = _agency_parser(list(agency_ids or []))
    out: dict[str, list[Any]] = {name: [] for name in INTERVENTION_COLUMNS}
    for row in raw.index:
        cell = {
            name: str(raw.at[row, header]) if header is not None else ""
            for name, header in found.items()
        }
        errors: list[tuple[str, str]] = []  # (column, expected) of this row, in column order
        agency_id, agency_error = parse_agency(cell["agency_id"])
        if (
            found["agency_id"]
            and known is not None
            and (pd.isna(agency_id) or agency_id not in known)
        ):
            errors.append(("agency_id", agency_error or AGENCY_EXPECTED))
        date, date_error = parse_date(cell["date"])
        if found["date"] and (date_error or pd.isna(date)):
            errors.append(("date", (date_error or DATE_EXPECTED).removesuffix(", or blank")))
            date = pd.NaT
        activity = cell["activity"] or None
        if found["activity"] and activity is None:
            errors.append(("activity", ACTIVITY_EXPECTED))
        staff = parse_number(cell["staff_trained"]) if cell["staff_trained"] else None
        if cell["staff_trained"] and (staff is None or staff < 0 or not staff.is_integer()):
            errors.append(("staff_trained", STAFF_EXPECTED))
            staff = None
        hours = parse_number(cell["hours"]) if cell["hours"] else None
        if cell["hours"] and (hours is None or hours < 0):
            errors.append(("hours", HOURS_EXPECTED))
            hours = None
        problems += [
            Problem(INTERVENTIONS_FILE, int(row), found[name], cell[name], expected)
            for name, expected in errors
        ]
        out["agency_id"].append(None if pd.isna(agency_id) else agency_id)
        out["date"].append(date)
        out["activity"].append(activity)
        out["staff_trained"].append(None if staff is None else int(staff))
        out["hours"].append(math.nan if hours is None else hours)
    frame = pd.DataFrame(
        {
            "agency_id": pd.array(out["agency_id"], dtype="string"),
            "date": pd.to_datetime(pd.Series(out["date"], dtype=object)).astype("datetime64[ns]"),
            "activity": pd.array(out["activity"], dtype="string"),
            "staff_trained": pd.array(out["staff_trained"], dtype="Int64"),
            "hours": np.asarray(out["hours"], dtype="float64"),
        }
    )
    return frame, problems, warnings


def load_study(study_dir: Path) -> Ingested:
    """Read and check a whole study folder (DESIGN.md section 3); never raises on bad input.

    Returns
    -------
    Ingested
        The study, agencies, all received responses in tidy columns, the interventions, and
        every problem and warning found.
    """
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        what = "an existing study folder" if not study_dir.exists() else "a folder, not a file"
        return Ingested(
            None,
            empty_agencies(),
            empty_responses(None),
            [Problem(str(study_dir), None, None, None, what)],
        )
    study, problems = load_study_yml(study_dir)
    languages = study.languages if study is not None else LANGUAGES
    agencies, agency_problems, warnings = load_agencies(study_dir, languages)
    problems += agency_problems
    agency_ids = [str(a) for a in agencies["agency_id"].dropna()]
    # Without a single agency read, looking ids up would repeat one problem on every row.
    lookup_ids = agency_ids if agency_ids else None
    responses = empty_responses(study)
    personal: dict[str, list[str]] = {}
    if study is not None:
        responses, response_problems, response_warnings = read_responses(
            study_dir, study, lookup_ids, personal
        )
        problems += response_problems
        warnings += response_warnings
        if not responses.empty and not response_problems:
            warnings += coverage_warnings(responses, study, agency_ids)
    interventions, intervention_problems, intervention_warnings = load_interventions(
        study_dir, lookup_ids
    )
    problems += intervention_problems
    warnings += intervention_warnings
    # One setting read for every file (ANALYSIS_MAX_FILE_MB) must not be listed per file.
    problems = list(
        {(p.file, p.row, p.column, repr(p.value), p.expected): p for p in problems}.values()
    )
    return Ingested(study, agencies, responses, problems, warnings, interventions, personal)


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def format_problems(problems: Sequence[Problem], cap: int = MAX_PRINTED_PER_COLUMN) -> list[str]:
    """Problem lines grouped by file and column, at most ``cap`` of each, then a count line."""
    groups: dict[tuple[str, str | None], list[Problem]] = {}
    for problem in problems:
        groups.setdefault((problem.file, problem.column), []).append(problem)
    lines = []
    for (file, column), group in groups.items():
        lines += [problem.line() for problem in group[:cap]]
        if len(group) > cap:
            where = f"{file}:{column}" if column is not None else file
            lines.append(f"{where}: ... and {len(group) - cap} more like this")
    return [escape_invisible(line) for line in lines]


def warning_lines(warnings: Sequence[str]) -> list[str]:
    """Warnings as printed: ``warning: ...``, with invisible characters escaped."""
    return [escape_invisible(f"warning: {warning}") for warning in warnings]


def _summary(ingested: Ingested) -> str:
    n_problems, n_warnings = len(ingested.problems), len(ingested.warnings)
    warn = f", {n_warnings} warning(s)" if n_warnings else ""
    if n_problems:
        files = len({p.file for p in ingested.problems})
        return f"{n_problems} problem(s) in {files} file(s){warn}: fix them and run validate again"
    study = ingested.study
    title = study.label(study.title, "en") if study is not None else ""
    responses = ingested.responses
    return (
        f"ok: {title}: {len(responses)} responses from {responses['agency_id'].nunique()} "
        f"agencies in {responses['wave'].nunique()} waves{warn}"
    )


def run_validate(study_dir: Path) -> int:
    """``python -m analysis validate``: print every problem (one line each) and return 0 or 2.

    Problems and warnings go to stderr; the summary to stdout when all is well, else stderr.
    """
    try:
        ingested = load_study(Path(study_dir))
    except Exception as error:  # a bug, but a stakeholder must never see a traceback
        print(
            f"{study_dir}: expected a study this tool can read; it failed with "
            f"{type(error).__name__}: {error} (please report this)",
            file=sys.stderr,
        )
        return 2
    for line in format_problems(ingested.problems):
        print(line, file=sys.stderr)
    for line in warning_lines(ingested.warnings):
        print(line, file=sys.stderr)
    summary = escape_invisible(_summary(ingested))
    print(summary, file=sys.stderr if ingested.problems else sys.stdout)
    for file, columns in ingested.personal.items():
        print(
            escape_invisible(f"personal data not read: {file}: {', '.join(columns)}"),
            file=sys.stderr if ingested.problems else sys.stdout,
        )
    return 2 if ingested.problems else 0
