"""Build small study folders (DESIGN.md section 3) for tests.

``make_study(tmp_path)`` writes a valid two-wave study: two agencies (one programme, one
comparison), three respondents per agency and wave, five items on a 1-5 scale with N/A 9,
two dimensions, a 0-10 recommend question and a gender segment. Keyword overrides change
one thing at a time, so that a test states only what it is about::

    make_study(tmp_path, study={"outcome": "NOPE"})             # deep-merged into study.yml
    make_study(tmp_path, study={"recommend": DELETE})            # remove a key
    make_study(tmp_path, baseline=rows)                          # replace the baseline rows
    make_study(tmp_path, files={"agencies.csv": b"..."})         # write any file verbatim
    make_study(tmp_path, remove=["surveys/followup.csv"])        # delete a file

The default data are small enough to check by hand: see ``BASELINE`` and ``FOLLOWUP``.
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

import yaml

#: Marker for ``study=`` overrides: remove this key from study.yml.
DELETE = object()

SCALE_LABELS = {
    1: {"en": "Strongly disagree", "ar": "لا أوافق بشدة"},
    2: {"en": "Disagree", "ar": "لا أوافق"},
    3: {"en": "Neutral", "ar": "محايد"},
    4: {"en": "Agree", "ar": "أوافق"},
    5: {"en": "Strongly agree", "ar": "أوافق بشدة"},
    9: {"en": "Not applicable", "ar": "لا ينطبق"},
}


def default_study() -> dict[str, Any]:
    """The study.yml of the default study, as a dict."""
    return {
        "title": {"en": "Test study", "ar": "دراسة اختبار"},
        "languages": ["ar", "en"],
        "scale": {"min": 1, "max": 5, "not_applicable": [9], "labels": copy.deepcopy(SCALE_LABELS)},
        "waves": {
            "baseline": {
                "label": {"en": "Baseline", "ar": "القياس القبلي"},
                "files": ["surveys/baseline.csv"],
                "fieldwork": ["2025-01-05", "2025-02-10"],
            },
            "followup": {
                "label": {"en": "Follow-up", "ar": "القياس البعدي"},
                "files": ["surveys/followup.csv"],
            },
        },
        "columns": {
            "respondent": "response_id",
            "agency": "agency_id",
            "date": "date",
            "duration_s": "duration_s",
            "comment": "comment",
        },
        "items": {
            "REQ": {
                "column": "q1",
                "text": {"en": "Requirements were clear", "ar": "المتطلبات واضحة"},
            },
            "INFO": {
                "column": "q2",
                "text": {"en": "Information was easy", "ar": "المعلومات سهلة"},
            },
            "COURT": {
                "column": "q3",
                "text": {"en": "Staff were courteous", "ar": "الموظفون لبقون"},
            },
            "SPEED": {"column": "q4", "text": {"en": "Service was quick", "ar": "الخدمة سريعة"}},
            "SAT": {"column": "sat", "text": {"en": "Overall satisfied", "ar": "راضٍ عموماً"}},
        },
        "dimensions": {
            "BEFORE": {
                "label": {"en": "Before the visit", "ar": "قبل الزيارة"},
                "stage": "before",
                "items": ["REQ", "INFO"],
            },
            "DURING": {
                "label": {"en": "During the visit", "ar": "أثناء الزيارة"},
                "stage": "during",
                "items": ["COURT", "SPEED"],
            },
        },
        "outcome": "SAT",
        "recommend": {"column": "nps"},
        "segments": {
            "gender": {
                "column": "gender",
                "values": {"male": [1, "ذكر", "Male"], "female": [2, "أنثى", "Female"]},
            }
        },
    }


AGENCIES = [
    {
        "agency_id": "A01",
        "name_en": "Civil Registry",
        "name_ar": "الأحوال المدنية",
        "group": "programme",
        "frontline_staff": "20",
        "monthly_beneficiaries": "1500",
    },
    {
        "agency_id": "A02",
        "name_en": "Passports",
        "name_ar": "الجوازات",
        "group": "comparison",
        "frontline_staff": "",
        "monthly_beneficiaries": "900",
    },
]

RESPONSE_COLUMNS = [
    "response_id",
    "agency_id",
    "date",
    "duration_s",
    "comment",
    "q1",
    "q2",
    "q3",
    "q4",
    "sat",
    "nps",
    "gender",
]


def _row(rid, agency, date, duration, comment, q1, q2, q3, q4, sat, nps, gender) -> dict[str, str]:
    values = [rid, agency, date, duration, comment, q1, q2, q3, q4, sat, nps, gender]
    return dict(zip(RESPONSE_COLUMNS, (str(v) for v in values), strict=True))


#: Baseline rows: spreadsheet rows 2-7 of surveys/baseline.csv.
BASELINE = [
    _row("b1", "A01", "2025-01-06", 300, "good", 4, 3, 5, 2, 4, 8, 1),
    _row("b2", "A01", "07/01/2025", 420, "", 2, 9, 3, 3, 3, 6, 2),
    _row("b3", "A01", "2025-01-08", 250, "slow", 1, 2, "", 1, 2, 3, "Female"),
    _row("b4", "A02", "2025-01-09", 380, "", 5, 5, 4, 4, 5, 10, "ذكر"),
    _row("b5", "A02", "2025-01-10", 510, "ok", 3, 4, 4, 3, 4, 7, ""),
    _row("b6", "A02", "2025-01-11", 290, "", 4, 4, 4, 5, 4, 9, 2),
]

#: Follow-up rows: spreadsheet rows 2-7 of surveys/followup.csv.
FOLLOWUP = [
    _row("f1", "A01", "2025-06-01", 310, "", 5, 4, 5, 4, 5, 9, 1),
    _row("f2", "A01", "2025-06-02", 400, "better", 4, 4, 4, 4, 4, 8, 2),
    _row("f3", "A01", "2025-06-03", 330, "", 3, 4, 5, 3, 4, 7, 1),
    _row("f4", "A02", "2025-06-04", 360, "", 4, 3, 4, 4, 4, 8, 2),
    _row("f5", "A02", "2025-06-05", 290, "", 3, 3, 3, 3, 3, 5, 1),
    _row("f6", "A02", "2025-06-06", 450, "", 4, 4, 5, 4, 4, 9, 2),
]


def csv_text(
    rows: list[dict[str, Any]], columns: list[str] | None = None, delimiter: str = ","
) -> str:
    """Rows as CSV text with ``\\n`` line endings (``columns`` default: keys of the first row)."""
    columns = columns if columns is not None else list(rows[0]) if rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def _merge(base: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    for key, value in updates.items():
        if value is DELETE:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def study_yaml(study: dict[str, Any]) -> str:
    """study.yml text of a study dict (Arabic kept readable)."""
    return yaml.safe_dump(study, allow_unicode=True, sort_keys=False)


def make_study(
    tmp_path: Path,
    *,
    study: dict[str, Any] | None = None,
    agencies: list[dict[str, Any]] | None = None,
    baseline: list[dict[str, Any]] | None = None,
    followup: list[dict[str, Any]] | None = None,
    files: dict[str, str | bytes] | None = None,
    remove: tuple[str, ...] | list[str] = (),
    name: str = "study",
) -> Path:
    """Write a study folder under ``tmp_path / name`` and return its path.

    Parameters
    ----------
    study : dict, optional
        Deep-merged into :func:`default_study` (``DELETE`` removes a key; a dict value
        replaces nothing but the keys it names, any other value replaces).
    agencies, baseline, followup : list of dict, optional
        Replace the default rows of ``agencies.csv`` and the two CSV wave files.
    files : dict, optional
        Relative path -> text (written UTF-8) or bytes (verbatim), written last, so it can
        overwrite any file above (including ``study.yml``).
    remove : sequence of str
        Relative paths deleted at the end.
    """
    root = Path(tmp_path) / name
    (root / "surveys").mkdir(parents=True, exist_ok=True)
    config = _merge(default_study(), study or {})
    (root / "study.yml").write_text(study_yaml(config), encoding="utf-8")
    agency_rows = AGENCIES if agencies is None else agencies
    (root / "agencies.csv").write_text(
        csv_text(agency_rows, list(AGENCIES[0]) if not agency_rows else None), encoding="utf-8"
    )
    for file, rows in (("surveys/baseline.csv", baseline), ("surveys/followup.csv", followup)):
        default = BASELINE if file.endswith("baseline.csv") else FOLLOWUP
        rows = default if rows is None else rows
        (root / file).write_text(
            csv_text(rows, None if rows else RESPONSE_COLUMNS), encoding="utf-8"
        )
    for relative, content in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for relative in remove:
        (root / relative).unlink()
    return root


def with_cell(rows: list[dict[str, Any]], index: int, **cells: Any) -> list[dict[str, Any]]:
    """A copy of ``rows`` with cells of row ``index`` (0-based: spreadsheet row index + 2) changed."""
    rows = [dict(r) for r in rows]
    rows[index].update({k: str(v) for k, v in cells.items()})
    return rows


def write_sav_responses(path: Path, labelled: bool) -> None:
    """Three respondents as an SPSS file in the default study's raw columns (no date fields).

    With ``labelled``, q1, sat and gender carry value labels (English for q1 and gender,
    Arabic for sat) that match the default study's scale labels and segment values; q2-q4
    and nps never have labels. Rows (2-4): q1 1, 4, 9 (N/A); sat 5, 4, 1; gender 1, 2, 2.
    """
    import numpy as np
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(
        {
            "response_id": ["s1", "s2", "s3"],
            "agency_id": ["A01", "A01", "A02"],
            "q1": [1.0, 4.0, 9.0],
            "q2": [5.0, 2.0, 3.0],
            "q3": [4.0, 4.0, 4.0],
            "q4": [3.0, np.nan, 2.0],
            "sat": [5.0, 4.0, 1.0],
            "nps": [9.0, 10.0, 0.0],
            "gender": [1.0, 2.0, 2.0],
        }
    )
    labels = {
        "q1": {1.0: "Strongly disagree", 5.0: "Strongly agree", 9.0: "Not applicable"},
        "sat": {1.0: "لا أوافق بشدة", 5.0: "أوافق بشدة"},
        "gender": {1.0: "Male", 2.0: "Female"},
    }
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels if labelled else None)


def sav_study(tmp_path: Path, labelled: bool = True, name: str = "study") -> Path:
    """The default study with its baseline as ``surveys/baseline.sav`` (see write_sav_responses)."""
    root = make_study(
        tmp_path,
        name=name,
        study={
            "columns": {"date": DELETE, "duration_s": DELETE, "comment": DELETE},
            "waves": {"baseline": {"files": ["surveys/baseline.sav"]}},
        },
        remove=["surveys/baseline.csv"],
    )
    write_sav_responses(root / "surveys" / "baseline.sav", labelled)
    return root


def sav_frame(**columns: list[Any]) -> Any:
    """The three respondents of :func:`write_sav_responses` as a frame; ``columns`` replace
    (or add) whole columns, e.g. ``sav_frame(q2=[5.0, 99.0, 3.0])``."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {
            "response_id": ["s1", "s2", "s3"],
            "agency_id": ["A01", "A01", "A02"],
            "q1": [1.0, 4.0, 9.0],
            "q2": [5.0, 2.0, 3.0],
            "q3": [4.0, 4.0, 4.0],
            "q4": [3.0, np.nan, 2.0],
            "sat": [5.0, 4.0, 1.0],
            "nps": [9.0, 10.0, 0.0],
            "gender": [1.0, 2.0, 2.0],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def spss_study(
    tmp_path: Path,
    frame: Any = None,
    *,
    labels: dict[str, dict[Any, str]] | None = None,
    missing_ranges: dict[str, list[Any]] | None = None,
    study: dict[str, Any] | None = None,
    followup: list[dict[str, Any]] | None = None,
    name: str = "study",
) -> Path:
    """The default study with its baseline as ``surveys/baseline.sav`` written from ``frame``.

    Like :func:`sav_study`, but the caller chooses the cells (default :func:`sav_frame`),
    the SPSS value labels and user-missing definitions (``pyreadstat.write_sav``'s
    ``variable_value_labels`` and ``missing_ranges``), further study.yml overrides and the
    follow-up rows (CSV, as in :func:`make_study`).
    """
    import pyreadstat

    overrides: dict[str, Any] = {
        "columns": {"date": DELETE, "duration_s": DELETE, "comment": DELETE},
        "waves": {"baseline": {"files": ["surveys/baseline.sav"]}},
    }
    root = make_study(
        tmp_path,
        name=name,
        study=_merge(overrides, study or {}),
        followup=followup,
        remove=["surveys/baseline.csv"],
    )
    pyreadstat.write_sav(
        sav_frame() if frame is None else frame,
        str(root / "surveys" / "baseline.sav"),
        variable_value_labels=labels,
        missing_ranges=missing_ranges,
    )
    return root


def xlsx_bytes(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    """Rows as the bytes of a one-sheet ``.xlsx`` workbook (cells written as given, text here)."""
    from openpyxl import Workbook

    columns = columns if columns is not None else list(rows[0])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
