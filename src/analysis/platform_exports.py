"""The simulator's ``--format``: a synthetic study's waves written as a survey platform exports them.

:func:`export_wave` takes one wave as the plain simulator writes it (a header row of raw
column names, then one record per respondent) and lays it out as Qualtrics, SurveyMonkey,
KoboToolbox, Google Forms or Microsoft Forms would (:mod:`analysis.platforms` reads them
back): their header rows, metadata columns, personal-data columns (fictitious), timestamp
formats, and value style (codes or choice text). Qualtrics exports also get the rows a
real survey has and an analysis must not count: previews by the survey team, test
responses, responses flagged as spam and unfinished ones, each returned as a planted count
so that tests can check the ledger.

Every respondent of the plain wave appears once with the same answers, so a study written
in any format analyses to the same numbers as the plain study (tests assert it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.platforms import PLATFORMS

#: Arabic label of the N/A code for exports that write choice text.
NA_LABEL = {"en": "Not applicable", "ar": "لا ينطبق"}
#: The question-text header of the plain columns that are not items, per language.
QUESTION_TEXT = {
    "response_id": {"ar": "رقم الاستبانة", "en": "Questionnaire number"},
    "agency_id": {"ar": "الجهة", "en": "Agency"},
    "nps": {
        "ar": "ما مدى احتمال أن توصي بهذه الجهة لغيرك؟",
        "en": "How likely are you to recommend this agency?",
    },
    "ملاحظات": {"ar": "ملاحظات", "en": "Comments"},
}
#: The matrix heading SurveyMonkey writes above the rated items.
MATRIX_HEADING = "إلى أي مدى توافق على العبارات التالية؟"
KOBO_GROUPS = {"item": "grp_rating", "other": "grp_visit"}


@dataclass(frozen=True)
class Question:
    """A plain column as a platform shows it: its raw name and question text."""

    column: str
    text: str
    kind: str  # "id", "agency", "date", "duration", "segment", "item", "recommend", "comment"
    code: str = ""  # the item code or segment key


@dataclass
class Exported:
    """One wave as a platform writes it.

    Attributes
    ----------
    rows : list of list
        Every row of the file, header rows first.
    planted : dict
        Extra rows by exclusion reason (``preview``, ``test``, ``spam``, ``incomplete``).
    columns : dict
        What study.yml must say for this export: tidy field -> raw column (or question
        text); ``None`` for a field the preset derives from metadata.
    items, segments : dict
        Item code / segment key -> the raw column study.yml names.
    """

    rows: list[list[Any]]
    planted: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str | None] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)


def _stamp(day: Any, rng: np.random.Generator) -> dt.datetime:
    """An interview start on ``day`` (a date or day/month/year text) between 08:00 and 15:00."""
    if isinstance(day, str):
        day = dt.datetime.strptime(day, "%d/%m/%Y").date()
    seconds = int(rng.integers(8 * 3600, 15 * 3600))
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


def _fmt(moment: dt.datetime | None, fmt: str) -> str:
    return moment.strftime(fmt) if moment is not None else ""


def _label(code: Any, labels: dict[int, dict[str, str]], lang: str) -> Any:
    if code is None:
        return None
    return labels.get(int(code), NA_LABEL)[lang]


def export_wave(
    platform_key: str,
    records: Sequence[Sequence[Any]],
    questions: dict[str, Question],
    scale_labels: dict[int, dict[str, str]],
    rng: np.random.Generator,
) -> Exported:
    """Lay one plain wave out as ``platform_key`` exports it.

    Parameters
    ----------
    platform_key : str
        A key of :data:`analysis.platforms.PLATFORMS`.
    records : sequence of sequence
        The plain wave: a header of raw column names, then one record per respondent.
    questions : dict
        Raw column -> :class:`Question`.
    scale_labels : dict
        Scale code -> ``{"en": ..., "ar": ...}``, for exports that write choice text.
    rng : numpy.random.Generator
        The simulator's stream (times of day, planted rows).

    Returns
    -------
    Exported
        ``items`` and ``segments`` name only those whose raw column differs from the plain
        one (exports headed by question text).
    """
    if platform_key not in PLATFORMS:
        raise ValueError(f"unknown platform {platform_key!r}")
    header, body = list(records[0]), [list(r) for r in records[1:]]
    plain = [dict(zip(header, record, strict=True)) for record in body]
    kind = {q.column: q.kind for q in questions.values()}
    by_kind = {q.kind: q.column for q in questions.values() if q.kind not in ("item", "segment")}
    starts = [_stamp(r[by_kind["date"]], rng) for r in plain]
    durations = [r[by_kind["duration"]] for r in plain]
    # No duration in the plain wave: no end time either, so no duration is derived from them.
    ends = [
        s + dt.timedelta(seconds=int(d)) if d is not None else None
        for s, d in zip(starts, durations, strict=True)
    ]
    answer_columns = [c for c in header if kind[c] not in ("id", "date", "duration")]
    writer = {
        "qualtrics": _qualtrics,
        "surveymonkey": _surveymonkey,
        "kobo": _kobo,
        "google_forms": _google_forms,
        "microsoft_forms": _microsoft_forms,
    }[platform_key]
    exported = writer(
        plain, answer_columns, questions, scale_labels, starts, ends, durations, by_kind, rng
    )
    return exported


def _text_answers(
    record: dict[str, Any],
    columns: Sequence[str],
    questions: dict[str, Question],
    labels: dict[int, dict[str, str]],
    lang: str,
) -> list[Any]:
    """Answers as choice text (items); other answers as they are."""
    return [
        _label(record[c], labels, lang) if questions[c].kind == "item" else record[c]
        for c in columns
    ]


def _qualtrics(plain, columns, questions, labels, starts, ends, durations, by_kind, rng):
    meta = [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "LocationLatitude",
        "LocationLongitude",
        "UserLanguage",
    ]
    meta_text = [
        "Start Date",
        "End Date",
        "Response Type",
        "IP Address",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "Recorded Date",
        "Response ID",
        "Recipient Last Name",
        "Recipient First Name",
        "Recipient Email",
        "Location Latitude",
        "Location Longitude",
        "User Language",
    ]
    names = meta + list(columns)
    texts = meta_text + [questions[c].text for c in columns]
    ids = [json.dumps({"ImportId": m}) for m in meta] + [
        json.dumps({"ImportId": f"QID{i + 1}"}) for i in range(len(columns))
    ]
    fmt = "%Y-%m-%d %H:%M:%S"

    def row(record, start, end, duration, status, progress, finished, rid):
        ip = f"10.{int(rng.integers(0, 255))}.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}"
        return [
            start.strftime(fmt),
            _fmt(end, fmt),
            status,
            ip,
            progress,
            duration,
            finished,
            _fmt(end, fmt),
            rid,
            "",
            "",
            "",
            "26.4207",
            "50.0888",
            "AR",
        ] + [record[c] for c in columns]

    rows = [names, texts, ids]
    for record, start, end, duration in zip(plain, starts, ends, durations, strict=True):
        rows.append(
            row(record, start, end, duration, "IP Address", 100, "True", record["response_id"])
        )
    planted = {"preview": 2, "test": 1, "spam": 1, "incomplete": max(2, len(plain) // 60)}
    extra = []
    for reason, count in planted.items():
        for number in range(count):
            source = plain[int(rng.integers(0, len(plain)))]
            record = dict(source)
            start = _stamp(starts[0].date(), rng)
            status, progress, finished = {
                "preview": ("Survey Preview", 100, "True"),
                "test": ("Survey Test", 100, "True"),
                "spam": ("Spam", 100, "True"),
                "incomplete": ("IP Address", int(rng.integers(10, 90)), "False"),
            }[reason]
            if reason == "incomplete":  # the later questions were never reached
                answered = int(rng.integers(1, len(columns)))
                record.update({c: None for c in columns[answered:]})
            end = start + dt.timedelta(seconds=int(rng.integers(60, 900)))
            rid = f"R_{reason}{number + 1:03d}_{source['response_id']}"
            extra.append(row(record, start, end, 420, status, progress, finished, rid))
    # Planted rows sit among the real ones, as a platform's file orders by time.
    for record in extra:
        rows.insert(3 + int(rng.integers(0, len(rows) - 2)), record)
    return Exported(
        rows,
        planted,
        columns={"respondent": None, "date": None, "duration_s": None},
    )


def _surveymonkey(plain, columns, questions, labels, starts, ends, durations, by_kind, rng):
    meta = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
    ]
    headings, subs = list(meta), [""] * len(meta)
    first_item = True
    for column in columns:
        question = questions[column]
        if question.kind == "item":
            headings.append(MATRIX_HEADING if first_item else "")
            subs.append(question.text)
            first_item = False
        else:
            headings.append(question.text)
            subs.append("Open-Ended Response" if question.kind == "comment" else "Response")
    fmt = "%m/%d/%Y %I:%M:%S %p"
    rows = [headings, subs]
    for record, start, end in zip(plain, starts, ends, strict=True):
        rows.append(
            [record["response_id"], "412345678", start.strftime(fmt), _fmt(end, fmt)]
            + [f"10.1.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}", "", "", "", ""]
            + _text_answers(record, columns, questions, labels, "ar")
        )
    return _headed_by_question_text(rows, columns, questions, by_kind, respondent=None)


def _kobo(plain, columns, questions, labels, starts, ends, durations, by_kind, rng):
    def path(column: str) -> str:
        group = KOBO_GROUPS["item" if questions[column].kind == "item" else "other"]
        return f"{group}/{column}"

    names = ["start", "end", "today", "deviceid"] + [path(c) for c in columns]
    names += ["_id", "_uuid", "_submission_time", "_validation_status", "_index"]
    rows = [names]
    for index, (record, start, end) in enumerate(zip(plain, starts, ends, strict=True), start=1):
        rows.append(
            [
                start.isoformat(timespec="milliseconds") + "+03:00",
                end.isoformat(timespec="milliseconds") + "+03:00" if end else "",
                start.date().isoformat(),
                f"ee.kobotoolbox.org:{int(rng.integers(10**9, 10**10))}",
            ]
            + [record[c] for c in columns]
            + [
                100000 + index,
                record["response_id"],
                (start + dt.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%S"),
                "",
                index,
            ]
        )
    return Exported(rows, {}, columns={"respondent": None, "date": None, "duration_s": None})


def _google_forms(plain, columns, questions, labels, starts, ends, durations, by_kind, rng):
    id_column = by_kind["id"]
    asked = [id_column, *columns]
    rows = [["Timestamp", "Email Address"] + [questions[c].text for c in asked]]
    for record, start in zip(plain, starts, strict=True):
        rows.append(
            [start.strftime("%d/%m/%Y %H:%M:%S"), ""]
            + _text_answers(record, asked, questions, labels, "ar")
        )
    return _headed_by_question_text(rows, asked, questions, by_kind, respondent=id_column)


def _microsoft_forms(plain, columns, questions, labels, starts, ends, durations, by_kind, rng):
    id_column = by_kind["id"]
    asked = [id_column, *columns]
    rows = [["ID", "Start time", "Completion time", "Email", "Name"]]
    rows[0] += [questions[c].text for c in asked]
    for number, (record, start, end) in enumerate(zip(plain, starts, ends, strict=True), 1):
        rows.append(
            [number, start, end, "anonymous", ""]
            + _text_answers(record, asked, questions, labels, "en")
        )
    return _headed_by_question_text(rows, asked, questions, by_kind, respondent=id_column)


def _headed_by_question_text(
    rows: list[list[Any]],
    asked: Sequence[str],
    questions: dict[str, Question],
    by_kind: dict[str, str],
    respondent: str | None,
) -> Exported:
    """An export whose columns are headed by question text: study.yml names them so.

    ``respondent`` is the plain column asked as a question (the questionnaire number), or
    None where the platform's own id serves.
    """
    return Exported(
        rows,
        {},
        columns={
            "respondent": questions[respondent].text if respondent else None,
            "agency": questions[by_kind["agency"]].text,
            "comment": questions[by_kind["comment"]].text,
            "date": None,
            "duration_s": None,
        },
        items=_by_text(asked, questions, "item"),
        segments=_by_text(asked, questions, "segment"),
    )


def _by_text(columns: Sequence[str], questions: dict[str, Question], kind: str) -> dict[str, str]:
    """Item code (or segment key) -> its question text, for exports headed by question text."""
    return {questions[c].code: questions[c].text for c in columns if questions[c].kind == kind}
