"""The ``study.yml`` schema, the :class:`Study` object, and ``agencies.csv`` (DESIGN.md section 3).

``study.yml`` is checked in two passes. Pydantic checks the shape (required keys, types, no
unknown keys: ``extra="forbid"`` everywhere, so a misspelt optional key is an error rather
than a silently ignored setting). :func:`cross_check` then checks what one key says about
another (the outcome is an item, a dimension names only existing items, ...). Both passes
report :class:`~analysis.io.Problem` lines with the line number of the offending key, found
on the YAML node tree (``yaml.compose`` marks), and the key path in place of the column.

YAML 1.1 reads ``yes``, ``no``, ``on`` and ``off`` as booleans, which would turn a segment
value ``no`` or an item code ``ON`` into ``False``/``True``; the loader here only knows
``true`` and ``false`` (as YAML 1.2 does).
"""

from __future__ import annotations

import datetime as dt
import difflib
import posixpath
import re
import typing
import unicodedata
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from analysis import calendars, config, i18n
from analysis.io import (
    Problem,
    cell_text,
    match_key,
    parse_number,
    read_table,
    study_path_problem,
    western_digits,
)

STUDY_FILE = "study.yml"
AGENCIES_FILE = "agencies.csv"
INTERVENTIONS_FILE = "interventions.csv"

#: Report languages a study may ask for (DESIGN.md section 3): one per message catalog.
LANGUAGES = i18n.LANGUAGES
STAGES = ("before", "during", "after")
GROUPS = ("programme", "comparison")

#: Columns of the tidy responses table that are not item codes or segment keys
#: (docs/architecture.md), plus ``reason`` of ``excluded.csv``: codes must not clash with them.
STANDARD_COLUMNS = (
    "agency_id",
    "wave",
    "respondent",
    "source_file",
    "source_row",
    "date",
    "duration_s",
    "comment",
    "recommend",
    "platform_flag",
    "reason",
)

AGENCY_REQUIRED_COLUMNS = ("agency_id", "name_en", "name_ar", "group")
AGENCY_INT_COLUMNS = ("frontline_staff", "monthly_beneficiaries")

#: Item, dimension and segment codes become column names and HTML ids: keep them plain.
_CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Pydantic says "Input should be a valid integer"; a problem line says "expected a valid integer".
_SHOULD = re.compile(r"^(?:Input|Value|List|Dictionary|String|Tuple) should (?:be|have) ")


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------


def _scalar_text(value: Any) -> str:
    """A raw column name or raw value given in YAML as text or a number, as text."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise ValueError("text or a number")
    if isinstance(value, str | int | float | dt.date):
        return cell_text(value)
    raise ValueError("text or a number")


def _as_list(value: Any) -> Any:
    """Let a single value stand for a one-element list (``files: a.csv``)."""
    return value if isinstance(value, list) else [value]


def _non_blank(value: str) -> str:
    if not value:
        raise ValueError("non-blank text")
    return value


RawText = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_non_blank)]
RawValues = Annotated[list[RawText], BeforeValidator(_as_list)]
LabelText = Annotated[
    str, Field(strict=True), AfterValidator(str.strip), AfterValidator(_non_blank)
]
Lang = Literal[LANGUAGES]  # type: ignore[valid-type] - the catalogs' languages
LangText = dict[Lang, LabelText]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scale(_Strict):
    """Rating scale: codes ``min..max``, N/A codes outside it, optional label text per code."""

    min: Annotated[StrictInt, Field(ge=-1000, le=1000)]
    max: Annotated[StrictInt, Field(ge=-1000, le=1000)]
    not_applicable: list[Annotated[StrictInt, Field(ge=-999_999, le=999_999)]] = []
    labels: dict[int, LangText] = {}

    @property
    def codes(self) -> list[int]:
        """The valid answer codes, ``min`` to ``max``."""
        return list(range(self.min, self.max + 1))


class Wave(_Strict):
    """One survey wave: its files, optional fieldwork window, and wave-column value(s)."""

    label: LangText
    files: Annotated[list[RawText], BeforeValidator(_as_list), Field(min_length=1)]
    sheet: RawText | None = None
    fieldwork: tuple[dt.date, dt.date] | None = None
    value: RawText | None = None
    values: RawValues | None = None
    #: How the files of this wave were exported: ``plain`` or a survey platform's preset.
    format: Literal[
        "plain", "qualtrics", "surveymonkey", "kobo", "google_forms", "microsoft_forms"
    ] = "plain"
    #: The calendar of the wave's dates (fieldwork and interview dates); unset: a year of
    #: 1300-1500 (or a هـ suffix) is Hijri (Umm al-Qura), any other Gregorian.
    calendar: Literal["gregorian", "hijri"] | None = None

    @model_validator(mode="after")
    def _fieldwork_in_gregorian(self) -> Wave:
        """A Hijri fieldwork window (declared, or both years 1300-1500) becomes Gregorian."""
        if self.fieldwork is None or self.calendar == "gregorian":
            return self
        hijri = [calendars.is_hijri_year(day.year) for day in self.fieldwork]
        if self.calendar is None and any(hijri) and not all(hijri):
            # One Hijri and one Gregorian year: a window of centuries that no date fails.
            raise ValueError(
                "fieldwork: both dates in one calendar (two Hijri years 1300-1500, or two "
                "Gregorian years; or set calendar)"
            )
        if self.calendar is None and not all(hijri):
            return self
        try:
            self.fieldwork = tuple(  # type: ignore[assignment]
                calendars.to_gregorian(day.year, day.month, day.day) for day in self.fieldwork
            )
        except ValueError:
            low, high = calendars.UMM_AL_QURA_YEARS
            raise ValueError(
                f"fieldwork: two Hijri (Umm al-Qura) dates that exist, years {low}-{high}"
            ) from None
        return self

    @field_validator("fieldwork", mode="before")
    @classmethod
    def _two_iso_dates(cls, value: Any) -> Any:
        if value is None:
            return None
        expected = "two dates [start, end] written as YYYY-MM-DD"
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(expected)
        for day in value:
            if isinstance(day, dt.datetime) or not isinstance(day, dt.date | str):
                raise ValueError(expected)
            if isinstance(day, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()):
                raise ValueError(expected)
        return value

    @property
    def wave_values(self) -> list[str]:
        """Raw values of ``columns.wave`` that mean this wave."""
        return ([self.value] if self.value is not None else []) + list(self.values or [])


class Columns(_Strict):
    """Raw column name of each standard field."""

    respondent: RawText | None = None  # required unless every wave's platform gives an id
    agency: RawText
    date: RawText | None = None
    duration_s: RawText | None = None
    comment: RawText | None = None
    wave: RawText | None = None


class Item(_Strict):
    column: RawText
    text: LangText


class Dimension(_Strict):
    label: LangText
    stage: Literal["before", "during", "after"] | None = None
    items: Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)]


class Recommend(_Strict):
    column: RawText


class Segment(_Strict):
    column: RawText
    values: Annotated[dict[str, RawValues], Field(min_length=1)]
    label: LangText | None = None


class Thresholds(_Strict):
    min_report_n: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = config.DEFAULT_THRESHOLDS[
        "min_report_n"
    ]
    target_index: Annotated[float, Field(ge=0, le=100)] = config.DEFAULT_THRESHOLDS["target_index"]
    #: Optional minimum standard (0-100 index) per dimension code, e.g. ``{STAFF: 60}``
    #: (issue 13); the keys are checked against ``dimensions`` by the cross-checks.
    standards: dict[str, Annotated[float, Field(ge=0, le=100)]] = Field(default_factory=dict)


class Quality(_Strict):
    """Quality rules; ``false`` switches a rule off, ``true`` keeps its default threshold."""

    preview: StrictBool = config.DEFAULT_QUALITY["preview"]
    test: StrictBool = config.DEFAULT_QUALITY["test"]
    spam: StrictBool = config.DEFAULT_QUALITY["spam"]
    incomplete: StrictBool = config.DEFAULT_QUALITY["incomplete"]
    duplicates: StrictBool = config.DEFAULT_QUALITY["duplicates"]
    empty: StrictBool = config.DEFAULT_QUALITY["empty"]
    speeders: float | bool = config.DEFAULT_QUALITY["speeders"]
    straightliners: int | bool = config.DEFAULT_QUALITY["straightliners"]
    fieldwork: StrictBool = config.DEFAULT_QUALITY["fieldwork"]

    @field_validator("speeders", mode="before")
    @classmethod
    def _share_or_false(cls, value: Any) -> float | bool:
        if value is False:
            return False
        if value is True:
            return float(config.DEFAULT_QUALITY["speeders"])
        if isinstance(value, int | float) and 0 < value < 1:
            return float(value)
        raise ValueError("false, or a share of the median duration between 0 and 1 (e.g. 0.33)")

    @field_validator("straightliners", mode="before")
    @classmethod
    def _count_or_false(cls, value: Any) -> int | bool:
        if value is False:
            return False
        if value is True:
            return int(config.DEFAULT_QUALITY["straightliners"])
        if isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= 10_000:
            return value
        raise ValueError("false, or a whole number of answered items of at least 2 (e.g. 8)")


class Study(_Strict):
    """A validated ``study.yml``. The first wave is ``baseline``, the second ``followup``."""

    title: LangText
    languages: Annotated[list[Lang], Field(min_length=1)]
    scale: Scale
    waves: dict[str, Wave]
    columns: Columns
    items: Annotated[dict[str, Item], Field(min_length=1)]
    dimensions: dict[str, Dimension]
    outcome: str
    recommend: Recommend | None = None
    segments: dict[str, Segment] = {}
    thresholds: Thresholds = Thresholds()
    quality: Quality = Quality()

    @property
    def wave_keys(self) -> dict[str, str]:
        """Standard wave name (``baseline``, ``followup``) -> its key in study.yml."""
        return dict(zip(config.WAVES, self.waves, strict=False))

    @property
    def waves_by_name(self) -> dict[str, Wave]:
        """Standard wave name (``baseline``, ``followup``) -> :class:`Wave`."""
        return dict(zip(config.WAVES, self.waves.values(), strict=False))

    @property
    def item_codes(self) -> list[str]:
        return list(self.items)

    @property
    def dimension_of(self) -> dict[str, str]:
        """Item code -> the code of the dimension it belongs to (items without one are absent)."""
        return {item: code for code, dim in self.dimensions.items() for item in dim.items}

    def label(self, text: dict[str, str], lang: str) -> str:
        """A bilingual label in ``lang`` (falling back to the study's first language)."""
        return text.get(lang) or text.get(self.languages[0]) or next(iter(text.values()), "")


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false (YAML 1.2), never yes/no/on/off."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

KeyPath = tuple[Any, ...]


def _line_of(node: yaml.Node | None, path: KeyPath) -> int | None:
    """Line (1-based) of the deepest key of ``path`` found in the YAML node tree."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _path_text(path: KeyPath, data: Any = None) -> str:
    """``waves.baseline.files[0]``: list positions in brackets, mapping keys after dots.

    With ``data`` (the loaded YAML), an integer is a position only where ``data`` has a list,
    so that the integer keys of ``scale.labels`` print as ``scale.labels.5``.
    """
    text = ""
    for part in path:
        is_position = isinstance(data, list) if data is not None else isinstance(part, int)
        text += f"[{part}]" if is_position and text else f".{part}" if text else str(part)
        if isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            data = None
    return text


def _duplicate_keys(
    node: yaml.Node | None, path: KeyPath = ()
) -> Iterator[tuple[KeyPath, int, int]]:
    """``(path, line, first_line)`` of every mapping key that appears twice (PyYAML keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            line = key.start_mark.line + 1
            if name is not None and name in seen:
                yield (*path, name), line, seen[name]
            elif name is not None:
                seen[name] = line
            yield from _duplicate_keys(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for position, value in enumerate(node.value):
            yield from _duplicate_keys(value, (*path, position))


def _model_keys(path: KeyPath) -> list[str]:
    """Keys allowed by the model at ``path`` (for "did you mean" in unknown-key problems)."""
    annotation: Any = Study
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the model, dict or list inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _existing_prefix(data: Any, loc: KeyPath) -> KeyPath:
    """The longest prefix of a pydantic error location that exists in the loaded YAML data.

    Pydantic appends union member tags (``str``, ``literal['ar']``) to locations; those are
    not keys of the file and are dropped.
    """
    prefix: list[Any] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, dict) and str(part) in {str(k) for k in data}:
            data = next(v for k, v in data.items() if str(k) == str(part))
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            break
        prefix.append(part)
    return tuple(prefix)


def _problems_from_validation(
    error: ValidationError, data: Any, root: yaml.Node | None, file: str
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in error.errors():
        loc = tuple(err["loc"])
        prefix = _existing_prefix(data, loc)
        kind = err["type"]
        if kind == "missing":
            path = (*prefix, loc[len(prefix)]) if len(prefix) < len(loc) else prefix
            line = _line_of(root, prefix)
            value = None
            expected = f"the required key '{path[-1]}' (it is missing)"
        elif kind == "extra_forbidden":
            path, line, value = prefix, _line_of(root, prefix), None
            allowed = _model_keys(prefix[:-1])
            guess = difflib.get_close_matches(str(prefix[-1]), allowed, n=1)
            expected = f"a known key, not '{prefix[-1]}'"
            if guess:
                expected += f" (did you mean '{guess[0]}'?)"
            if allowed:
                expected += f"; allowed here: {', '.join(allowed)}"
        else:
            path, line = prefix, _line_of(root, prefix)
            given = err.get("input")
            value = given if isinstance(given, str | int | float | dt.date) else None
            message = str(err["msg"]).removeprefix("Value error, ")
            message = _SHOULD.sub("", message)
            expected = message[:1].lower() + message[1:]
        key = _path_text(path, data)
        if key in seen:  # one problem per key: union members repeat the same complaint
            continue
        seen.add(key)
        problems.append(Problem(file, line, key or None, value, expected))
    return problems


# --------------------------------------------------------------------------------------------
# Cross-checks between keys
# --------------------------------------------------------------------------------------------


def _label_paths(study: Study) -> Iterator[tuple[KeyPath, dict[str, str]]]:
    yield ("title",), study.title
    for key, wave in study.waves.items():
        yield ("waves", key, "label"), wave.label
    for code, label in study.scale.labels.items():
        yield ("scale", "labels", str(code)), label
    for code, item in study.items.items():
        yield ("items", code, "text"), item.text
    for code, dim in study.dimensions.items():
        yield ("dimensions", code, "label"), dim.label
    for key, segment in study.segments.items():
        if segment.label is not None:
            yield ("segments", key, "label"), segment.label


def normal_path(relative: str) -> str:
    """A study.yml path in one spelling: forward slashes, no ``.`` parts or doubled slashes."""
    return posixpath.normpath(relative.replace("\\", "/"))


def is_inside_path(relative: str) -> bool:
    """Whether a study.yml path is relative and stays inside the study folder (no ``..``).

    A path holding a control character (a NUL) is never one a file system can open.
    """
    if any(unicodedata.category(c) == "Cc" for c in relative):
        return False
    path = PurePosixPath(relative.replace("\\", "/"))
    return (
        not path.is_absolute() and ".." not in path.parts and not re.match(r"^[A-Za-z]:", relative)
    )


def cross_check(study: Study) -> list[tuple[KeyPath, Any, str]]:
    """Checks that relate keys of a shape-valid study; ``(key path, value, expected)`` each.

    Returns
    -------
    list of tuple
        Empty when the study is consistent.
    """
    found: list[tuple[KeyPath, Any, str]] = []

    def add(path: KeyPath, value: Any, expected: str) -> None:
        found.append((path, value, expected))

    # Languages and bilingual labels.
    if len(set(study.languages)) != len(study.languages):
        add(("languages",), None, "each language once")
    for path, text in _label_paths(study):
        for lang in study.languages:
            if lang not in text:
                add(path, None, f"a '{lang}' text (every label needs each study language)")
        for lang, label in text.items():
            control = display_text_problem(label)
            if control:
                add((*path, lang), label, control)

    # Scale.
    scale = study.scale
    if scale.min >= scale.max:
        add(("scale", "max"), scale.max, f"a code greater than scale.min ({scale.min})")
    for position, code in enumerate(scale.not_applicable):
        if scale.min <= code <= scale.max:
            add(
                ("scale", "not_applicable", position),
                code,
                f"an N/A code outside the scale {scale.min}-{scale.max}",
            )
    label_owner: dict[str, int] = {}
    for code, text in scale.labels.items():
        if not (scale.min <= code <= scale.max or code in scale.not_applicable):
            add(
                ("scale", "labels", str(code)),
                code,
                f"a label for a scale code {scale.min}-{scale.max} or a declared N/A code",
            )
        for label in text.values():
            owner = label_owner.setdefault(match_key(label), code)
            if owner != code:
                add(("scale", "labels", str(code)), label, f"a label distinct from code {owner}'s")

    # Waves and files.
    if study.columns.respondent is None:
        for key, wave in study.waves.items():
            if wave.format in ("plain", "google_forms"):
                add(
                    ("columns", "respondent"),
                    None,
                    f"the raw column of the respondent id (wave '{key}' is a {wave.format} "
                    "export, which has none of its own)"
                    if wave.format != "plain"
                    else f"the raw column of the respondent id (wave '{key}' is a plain file)",
                )
                break
    wave_column = study.columns.wave
    if len(study.waves) != 2:
        add(
            ("waves",),
            None,
            f"exactly two waves, the baseline first and then the follow-up (found "
            f"{len(study.waves)})",
        )
    wave_of_value: dict[str, str] = {}
    listed: dict[tuple[str, str | None], str] = {}
    for key, wave in study.waves.items():
        if wave.fieldwork and wave.fieldwork[0] > wave.fieldwork[1]:
            add(("waves", key, "fieldwork"), None, "a start date on or before the end date")
        for position, file in enumerate(wave.files):
            if any(unicodedata.category(c) == "Cc" for c in file):
                add(
                    ("waves", key, "files", position),
                    file,
                    "a file name without control characters (NUL, tab, line break)",
                )
            elif not is_inside_path(file):
                add(
                    ("waves", key, "files", position),
                    file,
                    "a path relative to the study folder, inside it",
                )
            # surveys/./a.csv and surveys//a.csv are surveys/a.csv: compare the normal form.
            normal = normal_path(file)
            other = listed.get((normal, wave.sheet))
            if other is not None and wave_column is None:
                add(
                    ("waves", key, "files", position),
                    file,
                    f"a file of this wave only (it is also listed on wave '{other}'): set "
                    "columns.wave to split one file into waves",
                )
            listed.setdefault((normal, wave.sheet), key)
        if wave_column is None and wave.wave_values:
            add(
                ("waves", key, "value" if wave.value is not None else "values"),
                None,
                "no wave value unless columns.wave names the raw column that holds it",
            )
        if wave_column is not None:
            if not wave.wave_values:
                add(
                    ("waves", key),
                    None,
                    f"a 'value' (or 'values') of column '{wave_column}' that marks this wave",
                )
            for raw in wave.wave_values:
                other = wave_of_value.setdefault(match_key(raw), key)
                if other != key:
                    add(("waves", key), raw, f"a wave value not also used by wave '{other}'")

    # Items and raw columns.
    standard = {
        getattr(study.columns, name): f"columns.{name}"
        for name in Columns.model_fields
        if getattr(study.columns, name) is not None
    }
    if study.recommend is not None:
        standard.setdefault(study.recommend.column, "recommend.column")
    column_owner: dict[str, str] = {}
    for code, item in study.items.items():
        if not _CODE.fullmatch(code):
            add(("items", code), code, "a code of letters, digits and _ (e.g. SAT, Q1_SPEED)")
        owner = column_owner.setdefault(item.column, code)
        if owner != code:
            add(
                ("items", code, "column"),
                item.column,
                f"a raw column of this item only (item {owner} reads it too)",
            )
        if item.column in standard:
            add(
                ("items", code, "column"),
                item.column,
                f"a raw column of its own ({standard[item.column]} reads it too)",
            )

    # Dimensions and the outcome.
    dimension_of: dict[str, str] = {}
    for code, dim in study.dimensions.items():
        if not _CODE.fullmatch(code):
            add(("dimensions", code), code, "a code of letters, digits and _ (e.g. INFO)")
        for position, item in enumerate(dim.items):
            path = ("dimensions", code, "items", position)
            if item not in study.items:
                add(path, item, f"an item code of study.yml items ({', '.join(study.items)})")
            elif item in dimension_of:
                add(
                    path,
                    item,
                    f"each item in at most one dimension (it is also in {dimension_of[item]})",
                )
            else:
                dimension_of[item] = code
    if study.outcome not in study.items:
        add(("outcome",), study.outcome, f"an item code ({', '.join(study.items)})")
    for code in study.thresholds.standards:
        if code not in study.dimensions:
            add(
                ("thresholds", "standards", code),
                code,
                f"a dimension code of study.yml dimensions ({', '.join(study.dimensions)})",
            )

    # Segments.
    for key, segment in study.segments.items():
        if not _CODE.fullmatch(key):
            add(("segments", key), key, "a key of letters, digits and _ (e.g. gender)")
        value_owner: dict[str, str] = {}
        for code, raws in segment.values.items():
            if not raws:
                add(("segments", key, "values", code), None, "at least one raw value")
            for raw in raws:
                owner = value_owner.setdefault(match_key(raw), code)
                if owner != code:
                    add(
                        ("segments", key, "values", code),
                        raw,
                        f"a raw value of one segment code only (also under '{owner}')",
                    )

    found += column_clashes(study)
    return found


def column_clashes(study: Study) -> list[tuple[KeyPath, Any, str]]:
    """Item codes and segment keys that would clash with a tidy column, or with each other.

    Compared case-insensitively: ``DATE`` and ``date`` would be confusing columns in Excel
    even where pandas could keep them apart.
    """
    found: list[tuple[KeyPath, Any, str]] = []
    taken = {name.casefold(): f"the standard column '{name}'" for name in STANDARD_COLUMNS}
    for code in study.items:
        clash = taken.get(code.casefold())
        if clash:
            found.append((("items", code), code, f"an item code that differs from {clash}"))
        taken.setdefault(code.casefold(), f"item {code}")
    for key in study.segments:
        clash = taken.get(key.casefold())
        if clash:
            found.append((("segments", key), key, f"a segment key that differs from {clash}"))
    return found


def can_map_responses(study: Study) -> bool:
    """Whether responses can be mapped with this study: two waves and no clashing columns."""
    return len(study.waves) == 2 and not column_clashes(study)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


#: Limits on study.yml: a real one is a few kilobytes, six levels deep, with no aliases.
MAX_STUDY_YML_BYTES = 1_000_000
MAX_STUDY_YML_DEPTH = 32
_MAX_DIGITS = 30


def _structure_problem(text: str, file: str) -> Problem | None:
    """A study.yml that is too big, too deep or uses aliases, checked on the event stream.

    The event stream is read without building anything, so neither an alias bomb (a few
    lines of ``&a [*b, *b, ...]`` that expand to billions of nodes) nor thousands of nested
    brackets (a recursion error in the composer) can hang or crash the check. Aliases are
    refused outright: a codebook is clearer written out, and refusing them removes the
    expansion problem rather than capping it. YAML syntax errors are left to the parser,
    which names their line.
    """
    if len(text.encode("utf-8")) > MAX_STUDY_YML_BYTES:
        return Problem(
            file, None, None, None, f"a study.yml under {MAX_STUDY_YML_BYTES // 1000} kB"
        )
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return Problem(
                    file,
                    line,
                    None,
                    None,
                    "no YAML anchors or aliases (&name, *name): write each value out",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_STUDY_YML_DEPTH:
                    return Problem(
                        file,
                        line,
                        None,
                        None,
                        f"at most {MAX_STUDY_YML_DEPTH} levels of nesting",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif (
                isinstance(event, yaml.ScalarEvent)
                and event.style is None
                and len(event.value) > _MAX_DIGITS
                and re.fullmatch(r"[+-]?[\d_]+(\.\d*)?", event.value)
            ):
                return Problem(
                    file,
                    line,
                    None,
                    event.value,
                    f"a number of at most {_MAX_DIGITS} digits (quote it if it is text)",
                )
    except yaml.YAMLError:
        return None
    return None


_YAML_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def _value_problem(text: str, file: str, error: ValueError) -> Problem:
    """The scalar YAML could not turn into a value (an impossible date), with its line."""
    for event in yaml.parse(text, Loader=_Loader):
        if (
            isinstance(event, yaml.ScalarEvent)
            and event.style is None
            and _YAML_DATE.fullmatch(event.value)
        ):
            try:
                dt.date.fromisoformat("-".join(part.zfill(2) for part in event.value.split("-")))
            except ValueError:
                return Problem(
                    file,
                    event.start_mark.line + 1,
                    None,
                    event.value,
                    "a real date written as YYYY-MM-DD",
                )
    return Problem(file, None, None, None, f"values YAML can read ({error})"[:160])


#: Blocks whose entries stand alone: a broken item, dimension or segment can be left out and
#: the rest of the study still read, so that its data problems are listed in the same run.
_ENTRY_BLOCKS = ("items", "dimensions", "segments")


def _without_broken_entries(
    data: dict[str, Any], error: ValidationError
) -> tuple[Study | None, set[str]]:
    """The study read without what failed validation, where what is left can still be used.

    An unknown or broken optional block (``thresholds``, ``quality``, ``segments``...) is
    dropped whole; a broken entry of ``items``, ``dimensions`` or ``segments`` is dropped on
    its own. ``None`` when a required block other than those entries is broken: the study
    cannot be read then. The problems are already listed; this only lets the data be checked
    too, so that a user fixes everything in one round. Also returned: the item codes left
    out, whose mentions elsewhere (a dimension, the outcome) are not problems of their own.
    """
    required = {name for name, f in Study.model_fields.items() if f.is_required()}
    trimmed = dict(data)
    dropped: dict[str, set[Any]] = {}
    for err in error.errors():
        loc = err["loc"]
        if not loc:
            return None, set()
        block = loc[0]
        if block in _ENTRY_BLOCKS and len(loc) >= 2 and isinstance(trimmed.get(block), dict):
            dropped.setdefault(block, set()).add(loc[1])
        elif block in required:
            return None, set()
        else:
            trimmed.pop(block, None)
    for block, keys in dropped.items():
        trimmed[block] = {k: v for k, v in trimmed[block].items() if k not in keys}
    try:
        return Study.model_validate(trimmed), {str(k) for k in dropped.get("items", ())}
    except ValidationError:
        return None, set()


def parse_study_text(text: str, file: str = STUDY_FILE) -> tuple[Study | None, list[Problem]]:
    """Parse and check the text of a ``study.yml``.

    Returns
    -------
    study, problems
        ``study`` is ``None`` when the file cannot be used to read responses (syntax or
        shape errors, code clashes, not two waves); it is returned together with its
        problems when they are about consistency only, so that the responses can still be
        checked and every problem listed at once.
    """
    limit = _structure_problem(text, file)
    if limit is not None:
        return None, [limit]
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except ValueError as error:  # a date like 2025-13-45, or a number Python cannot convert
        return None, [_value_problem(text, file, error)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        context = str(error.context or "")
        started = error.context_mark
        if context and started is not None and mark is not None and started.line != mark.line:
            context += f" (started on line {started.line + 1})"
        what = ": ".join(part for part in (context, str(error.problem or "")) if part)
        column = f", column {mark.column + 1}" if mark else ""
        return None, [Problem(file, line, None, None, f"valid YAML ({what}{column})")]
    except yaml.YAMLError as error:
        return None, [Problem(file, None, None, None, f"valid YAML ({error})")]
    finally:
        loader.dispose()

    problems = [
        Problem(file, line, _path_text(path), None, f"each key once (first on line {first})")
        for path, line, first in _duplicate_keys(root)
    ]
    if not isinstance(data, dict):
        expected = "a mapping of keys (title, languages, scale, waves, columns, items, ...)"
        return None, [*problems, Problem(file, 1, None, None, expected)]
    dropped: set[str] = set()
    try:
        study = Study.model_validate(data)
    except ValidationError as error:
        problems += _problems_from_validation(error, data, root, file)
        # Errors confined to optional blocks or unknown top-level keys should not hide the
        # rest: check the study without them, so every problem is listed at once.
        study, dropped = _without_broken_entries(data, error)
        if study is None:
            return None, problems
    checks = cross_check(study)
    if dropped:  # an item left out for its own problem: its mentions elsewhere follow from it
        checks = [
            c for c in checks if not (c[0][0] in ("dimensions", "outcome") and c[1] in dropped)
        ]
    problems += [
        Problem(file, _line_of(root, path), _path_text(path), value, expected)
        for path, value, expected in checks
    ]
    if not can_map_responses(study):
        return None, problems
    return study, problems


def load_study_yml(study_dir: Path) -> tuple[Study | None, list[Problem]]:
    """Read ``study.yml`` of a study folder (UTF-8, BOM allowed). See :func:`parse_study_text`."""
    path = Path(study_dir) / STUDY_FILE
    if not path.exists() and not path.is_symlink():
        return None, [Problem(STUDY_FILE, None, None, None, f"a {STUDY_FILE} file in {study_dir}")]
    problem = study_path_problem(study_dir, path, STUDY_FILE)
    if problem is None and path.stat().st_size > MAX_STUDY_YML_BYTES:
        problem = Problem(
            STUDY_FILE, None, None, None, f"a study.yml under {MAX_STUDY_YML_BYTES // 1000} kB"
        )
    if problem is not None:
        return None, [problem]
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(STUDY_FILE, None, None, None, f"a readable file ({error})")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        expected = "UTF-8 text (save study.yml as UTF-8; it looks like another encoding)"
        return None, [Problem(STUDY_FILE, line, None, None, expected)]
    return parse_study_text(text)


#: Longest agency id: ids become folder names and table cells.
MAX_AGENCY_ID_LENGTH = 64
AGENCY_ID_RULE = (
    "an id of letters (Latin or Arabic), digits, '_', '-' and '.', starting with a letter or "
    f"digit, without '..', at most {MAX_AGENCY_ID_LENGTH} characters"
)

#: Characters that reorder or hide text when displayed: bidi embeddings, overrides and
#: isolates (U+202A-U+202E, U+2066-U+2069). A name holding one could reverse a heading.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _is_id_letter(char: str) -> bool:
    """A letter or digit of the Latin (ASCII) or Arabic script blocks."""
    if char.isascii():
        return char.isalnum()
    arabic = "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"
    return arabic and unicodedata.category(char)[0] in "LN"


def agency_id_problem(agency_id: str) -> str | None:
    """What is wrong with an agency id, or ``None`` (the rule is :data:`AGENCY_ID_RULE`).

    Agency ids become report folder names (``reports/<id>/``), link targets and spreadsheet
    cells, so the rule is built to be safe in each: no ``/``, ``\\`` or ``..`` (no path can
    leave the reports folder), no leading ``=``, ``+``, ``-`` or ``@`` (no spreadsheet
    formula), no control, format or bidi characters (nothing hidden or reordered).
    """
    if not agency_id:
        return None
    ok = (
        len(agency_id) <= MAX_AGENCY_ID_LENGTH
        and _is_id_letter(agency_id[0])
        and ".." not in agency_id
        and all(_is_id_letter(c) or c in "_-." for c in agency_id)
    )
    return None if ok else AGENCY_ID_RULE


def display_text_problem(text: str) -> str | None:
    """Why a name or label cannot be shown as it is (control or bidi characters), or ``None``."""
    if _BIDI_CONTROLS.search(text):
        return "text without bidi control characters (U+202A-U+202E, U+2066-U+2069)"
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        return "text without control characters (NUL, escape and the like)"
    return None


def _parse_count(text: str) -> int | None:
    """A non-negative whole number, allowing thousands separators (``1,200``) and ``12.0``."""
    text = western_digits(text).replace(",", "").replace("\u066c", "").replace(" ", "")
    number = parse_number(text)
    if number is None or number < 0 or not number.is_integer():
        return None
    return int(number)


def load_agencies(
    study_dir: Path, languages: typing.Sequence[str] = LANGUAGES
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Read ``agencies.csv``: one row per agency, ids as text.

    Parameters
    ----------
    study_dir : Path
        The study folder.
    languages : sequence of str
        Report languages; the name in each must not be blank.

    Returns
    -------
    agencies, problems, warnings
        ``agencies`` has ``agency_id``, ``name_en``, ``name_ar``, ``group`` (string),
        ``frontline_staff`` and ``monthly_beneficiaries`` (Int64, NA when absent), and any
        further columns of the file as strings. Rows with problems are kept.
    """
    table = read_table(Path(study_dir) / AGENCIES_FILE, AGENCIES_FILE, root=study_dir)
    problems, warnings = list(table.problems), list(table.warnings)
    raw = table.frame
    by_folded = {str(c).casefold(): c for c in raw.columns}
    if not table.ok and raw.columns.empty:
        return empty_agencies(), problems, warnings
    # A report language beyond the two of the contract needs its names too (name_fr).
    name_columns = tuple(dict.fromkeys(["name_en", "name_ar", *(f"name_{x}" for x in languages)]))
    required = tuple(dict.fromkeys([*AGENCY_REQUIRED_COLUMNS, *name_columns]))
    for name in required:
        if name not in by_folded:
            problems.append(
                Problem(
                    AGENCIES_FILE,
                    1,
                    name,
                    None,
                    f"a column '{name}' (required: {', '.join(required)})",
                )
            )
    out = pd.DataFrame(index=raw.index)
    for name in (*required, *AGENCY_INT_COLUMNS):
        out[name] = raw[by_folded[name]] if name in by_folded else ""
    seen: dict[str, tuple[int, str]] = {}
    ids, groups, counts = [], [], {name: [] for name in AGENCY_INT_COLUMNS}
    for row in raw.index:
        agency_id = western_digits(str(out.at[row, "agency_id"]))
        ids.append(agency_id or None)
        if "agency_id" in by_folded:
            folded = agency_id.casefold()
            id_problem = agency_id_problem(agency_id)
            if not agency_id:
                problems.append(Problem(AGENCIES_FILE, row, "agency_id", "", "an agency id"))
            elif id_problem:
                problems.append(Problem(AGENCIES_FILE, row, "agency_id", agency_id, id_problem))
            elif folded in seen:
                first_row, first_id = seen[folded]
                same = "" if first_id == agency_id else f" as '{first_id}', ids ignore case"
                problems.append(
                    Problem(
                        AGENCIES_FILE,
                        row,
                        "agency_id",
                        agency_id,
                        f"each agency_id once (also on row {first_row}{same})",
                    )
                )
            else:
                seen[folded] = (row, agency_id)
        group = str(out.at[row, "group"])
        groups.append(group.casefold() if group.casefold() in GROUPS else None)
        if "group" in by_folded and group.casefold() not in GROUPS:
            problems.append(Problem(AGENCIES_FILE, row, "group", group, "programme or comparison"))
        for lang in languages:
            name = f"name_{lang}"
            if name in by_folded and not str(out.at[row, name]):
                problems.append(
                    Problem(AGENCIES_FILE, row, name, "", f"the agency's name in '{lang}'")
                )
        for name in name_columns:
            control = display_text_problem(str(out.at[row, name]))
            if name in by_folded and control:
                problems.append(Problem(AGENCIES_FILE, row, name, str(out.at[row, name]), control))
        for name in AGENCY_INT_COLUMNS:
            text = str(out.at[row, name])
            count = _parse_count(text) if text else None
            if text and count is None:
                problems.append(
                    Problem(AGENCIES_FILE, row, name, text, "a whole number of 0 or more, or blank")
                )
            counts[name].append(count)
    agencies = pd.DataFrame(
        {
            "agency_id": pd.array(ids, dtype="string"),
            "name_en": _text_array(out["name_en"]),
            "name_ar": _text_array(out["name_ar"]),
            "group": pd.array(groups, dtype="string"),
            **{name: pd.array(counts[name], dtype="Int64") for name in AGENCY_INT_COLUMNS},
        }
    )
    for name in name_columns[2:]:
        agencies[name] = _text_array(out[name])
    known = set(required) | set(AGENCY_INT_COLUMNS)
    for column in raw.columns:
        if str(column).casefold() not in known:
            agencies[column] = _text_array(raw[column])
    return agencies, problems, warnings


def _text_array(values: pd.Series) -> pd.api.extensions.ExtensionArray:
    """Raw text cells as a ``string`` array, blank as NA."""
    return pd.array([str(v) if str(v) else None for v in values], dtype="string")


def empty_agencies() -> pd.DataFrame:
    """An agencies table with no rows, in the columns and dtypes of :func:`load_agencies`."""
    return pd.DataFrame(
        {
            **{name: pd.array([], dtype="string") for name in AGENCY_REQUIRED_COLUMNS},
            **{name: pd.array([], dtype="Int64") for name in AGENCY_INT_COLUMNS},
        }
    )
