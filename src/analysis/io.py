"""Read raw study files (CSV, XLSX, SPSS ``.sav``) into frames of text with row numbers.

Nothing here knows the codebook: a reader returns what the file says, as stripped text, with
the row number a spreadsheet would show (header = row 1, first data row = 2), so that every
later problem can point at a cell the user can find. A file that cannot be read becomes a
:class:`Problem`, never an exception (DESIGN.md sections 7 and 8).

Encodings of CSV files (DESIGN.md section 3): UTF-8, UTF-8 with BOM, or Windows-1256 (the
Arabic code page Excel uses on Arabic Windows). The bytes are decoded as strict UTF-8 first;
only when that fails is Windows-1256 tried, and that fallback is reported as a warning.
Windows-1256 assigns a character to every byte, so it never fails by itself: a Latin-1 file
decoded with it shows Arabic marks glued to Latin letters ("Se\u064cora"), which is detected
and reported as an encoding problem rather than passed on as garbage.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: File types a responses file may have (DESIGN.md section 3).
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
SPSS_SUFFIXES = (".sav", ".zsav")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + SPSS_SUFFIXES

#: Delimiters a CSV file may use: comma, semicolon (Excel in comma-decimal locales), tab.
DELIMITERS = (",", ";", "\t")

#: Invisible characters that Arabic exports leave around cell text (LRM, RLM, ZWSP, BOM).
_INVISIBLE = "\u200e\u200f\u200b\ufeff"

#: A Latin letter glued to an Arabic-block character: what Latin-1 bytes read as cp1256 look like.
_MIXED_SCRIPT_WORD = re.compile(r"[A-Za-z][\u0600-\u06ff]|[\u0600-\u06ff][A-Za-z]")

#: Longest value shown in a problem line; longer values are cut with an ellipsis.
_MAX_SHOWN = 60


@dataclass(frozen=True)
class Problem:
    """One input error, printed as one line ``file:row:column: "value": expected ...``.

    Parameters
    ----------
    file : str
        Path relative to the study folder (``study.yml``, ``surveys/baseline.csv``).
    row : int or None
        Spreadsheet row (header = 1, first data row = 2), or the line of ``study.yml``;
        ``None`` when the whole file is at fault.
    column : str or None
        Raw column name, or the key path in ``study.yml`` (``waves.baseline.files``).
    value : object or None
        The offending value as read; ``None`` when no single value is at fault.
    expected : str
        What was expected instead, in words a study manager understands.
    """

    file: str
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str = ""

    def line(self) -> str:
        """The printable one-line form."""
        where = [self.file]
        if self.row is not None:
            where.append(str(self.row))
        if self.column is not None:
            where.append(str(self.column))
        parts = [":".join(where)]
        if self.value is not None:
            parts.append(show_value(self.value))
        parts.append(f"expected {self.expected}" if self.expected else "problem")
        return ": ".join(parts)

    def __str__(self) -> str:
        return self.line()


def show_value(value: Any) -> str:
    """A value quoted on one line (JSON escapes keep newlines out), cut to a readable length."""
    text = str(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "\u2026"
    return json.dumps(text, ensure_ascii=False)


@dataclass
class RawTable:
    """A file as read: text cells, spreadsheet row numbers, and what went wrong.

    ``frame`` has one column per header (stripped, first occurrence kept), string cells with
    ``""`` for blank, and an integer index named ``source_row`` (header = row 1). It is empty
    (no columns) when the file could not be read; ``problems`` then says why.
    """

    source_file: str
    frame: pd.DataFrame
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: SPSS value labels: raw column -> code as text (``"5"``) -> label text; empty elsewhere.
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Strip surrounding whitespace and the invisible direction marks Arabic exports add."""
    return text.strip().strip(_INVISIBLE).strip()


def cell_text(value: Any) -> str:
    """Any cell value as the text a user would type: ``""`` for blank, ``4`` for ``4.0``.

    Dates become ISO text (``2025-01-05``, or ``2025-01-05 09:30:00`` with a time of day),
    so that a date read from Excel or SPSS is parsed the same way as one typed in a CSV.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return ""
        stamp = pd.Timestamp(value)
        if stamp == stamp.normalize():
            return stamp.date().isoformat()
        return stamp.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) or hasattr(value, "dtype"):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return str(int(number))
        return repr(number)
    return clean_text(str(value))


#: Arabic-Indic (U+0660-0669) and Persian (U+06F0-06F9) digits, and the Arabic decimal
#: separator, mapped to their Western forms so that "٤" and "۴" read as 4.
_DIGITS = str.maketrans(
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9\u066b",
    "01234567890123456789.",
)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
#: Longest text read as a number: 30 characters hold any real count, code or duration.
_MAX_NUMBER_CHARS = 30


def western_digits(text: str) -> str:
    """Replace Arabic-Indic and Persian digits (and the Arabic decimal separator) by 0-9 and '.'."""
    return text.translate(_DIGITS)


def parse_number(text: str) -> float | None:
    """A plain decimal number typed in any digits (``4``, ``4.0``, ``٤``, ``۴``), else ``None``.

    Thousands separators, exponents and words are not numbers here: a scale code or a count
    is typed as digits, and anything else is better reported than guessed.
    """
    text = western_digits(clean_text(text))
    # 400 digits are not a count anyone typed; float() would make them infinity.
    if len(text) > _MAX_NUMBER_CHARS or not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def match_key(value: Any) -> str:
    """The form in which codebook text is compared: case-, space- and digit-insensitive.

    ``" Strongly  Agree "`` and ``"strongly agree"`` match; ``"٢"``, ``2`` and ``"2.0"`` all
    become ``"2"``.
    """
    text = western_digits(cell_text(value))
    number = parse_number(text)
    if number is not None and math.isfinite(number):
        return cell_text(number)
    return " ".join(text.casefold().split())


def column_letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position (0 -> A, 26 -> AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --------------------------------------------------------------------------------------------
# Grid of cells -> RawTable (shared by the three readers)
# --------------------------------------------------------------------------------------------


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index([], dtype="int64", name="source_row"))


def table_from_grid(
    source_file: str, rows: list[tuple[int, list[str]]], table: RawTable | None = None
) -> RawTable:
    """Build a :class:`RawTable` from ``(spreadsheet_row, cells)`` pairs, the first being the header.

    Blank rows are skipped (with a warning: they are not respondents); a column without a
    header is dropped (with a warning if it holds data); a header used twice is a problem and
    only its first column is kept, so that the rest of the file can still be checked.
    """
    table = table or RawTable(source_file=source_file, frame=_empty_frame())
    rows = [(number, [cell_text(c) for c in cells]) for number, cells in rows]
    non_blank = [(number, cells) for number, cells in rows if any(cells)]
    if not non_blank:
        table.problems.append(
            Problem(source_file, None, None, None, "a header row and data rows: the file is empty")
        )
        return table
    header_row, header = non_blank[0]
    data = non_blank[1:]
    last_row = data[-1][0] if data else header_row
    # Blank rows between data rows are reported; trailing ones (Excel formatting) are not.
    skipped_blank = sum(
        1 for number, cells in rows if header_row < number < last_row and not any(cells)
    )
    if skipped_blank:
        table.warnings.append(f"{source_file}: {skipped_blank} blank row(s) skipped")
    if header_row != 1:
        table.warnings.append(f"{source_file}: the header is on row {header_row}, not row 1")

    keep: dict[str, int] = {}
    for position, name in enumerate(header):
        if not name:
            if any(position < len(cells) and cells[position] for _, cells in data):
                table.warnings.append(
                    f"{source_file}: column {column_letter(position)} has data but no header: ignored"
                )
            continue
        if name in keep:
            first = column_letter(keep[name])
            table.problems.append(
                Problem(
                    source_file,
                    header_row,
                    name,
                    None,
                    f"each column header once: it is in columns {first} and "
                    f"{column_letter(position)}",
                )
            )
            continue
        keep[name] = position

    width = len(header)
    for number, cells in data:
        extra = [c for c in cells[width:] if c]
        if extra:
            table.problems.append(
                Problem(
                    source_file,
                    number,
                    None,
                    ", ".join(extra),
                    f"at most {width} values, as many as header columns (this row has "
                    f"{len(cells)}): a stray delimiter or an unquoted comma?",
                )
            )
    if not data:
        table.problems.append(
            Problem(
                source_file,
                header_row + 1,
                None,
                None,
                "data rows under the header: the file has a header only",
            )
        )

    columns = {
        name: [cells[pos] if pos < len(cells) else "" for _, cells in data]
        for name, pos in keep.items()
    }
    index = pd.Index([number for number, _ in data], dtype="int64", name="source_row")
    table.frame = pd.DataFrame(columns, index=index, dtype=object)
    return table


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def decode_bytes(data: bytes, source_file: str) -> tuple[str | None, str | None, list[Problem]]:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1256.

    Returns
    -------
    text, encoding, problems
        ``text`` is ``None`` when the bytes are not text in a supported encoding.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig", []
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            return None, None, [Problem(source_file, line, None, None, "UTF-8 text after the BOM")]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            return None, None, [Problem(source_file, None, None, None, "valid UTF-16 text")]
    if b"\x00" in data:
        return (
            None,
            None,
            [
                Problem(
                    source_file,
                    None,
                    None,
                    None,
                    "a text (CSV) file: this one is binary (an Excel or SPSS file renamed?)",
                )
            ],
        )
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1256")
    garbled = _MIXED_SCRIPT_WORD.search(text)
    if garbled:
        line = text.count("\n", 0, garbled.start()) + 1
        start = max(text.rfind(" ", 0, garbled.start()), text.rfind(",", 0, garbled.start())) + 1
        word = re.split(r"[\s,;\t]", text[start:], maxsplit=1)[0]
        return (
            None,
            None,
            [
                Problem(
                    source_file,
                    line,
                    None,
                    word,
                    "UTF-8 or Arabic Windows-1256 text: this looks like another encoding "
                    "(Latin-1?); save the file as 'CSV UTF-8'",
                )
            ],
        )
    return text, "cp1256", []


def sniff_delimiter(text: str) -> str:
    """The delimiter (``,``, ``;`` or tab) that splits the header line into the most fields."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def read_csv_bytes(data: bytes, source_file: str) -> RawTable:
    """Parse CSV bytes (any supported encoding, line ending and delimiter) into a :class:`RawTable`."""
    table = RawTable(source_file=source_file, frame=_empty_frame())
    if not data.strip():
        table.problems.append(
            Problem(source_file, None, None, None, "a header row and data rows: the file is empty")
        )
        return table
    text, encoding, problems = decode_bytes(data, source_file)
    table.encoding = encoding
    if text is None:
        table.problems.extend(problems)
        return table
    if encoding == "cp1256":
        table.warnings.append(
            f"{source_file}: not UTF-8; read as Arabic Windows-1256 (check that Arabic text "
            "looks right, or save the file as 'CSV UTF-8')"
        )
    # Universal newlines: CRLF (Windows), LF and lone CR (old Mac) all end a record.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = sniff_delimiter(text)
    try:
        records = list(enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1))
    except csv.Error as error:
        table.problems.append(
            Problem(source_file, None, None, None, f"a well-formed CSV file ({error})")
        )
        return table
    return table_from_grid(source_file, records, table)


def read_csv(path: Path, source_file: str | None = None) -> RawTable:
    """Read a CSV file (see :func:`read_csv_bytes`)."""
    source_file = source_file or path.name
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return _unreadable(source_file, error)
    return read_csv_bytes(data, source_file)


# --------------------------------------------------------------------------------------------
# XLSX and SPSS
# --------------------------------------------------------------------------------------------


def _unreadable(source_file: str, error: BaseException | str) -> RawTable:
    table = RawTable(source_file=source_file, frame=_empty_frame())
    reason = str(error).strip() or type(error).__name__
    table.problems.append(
        Problem(source_file, None, None, None, f"a readable file ({reason[:200]})")
    )
    return table


def read_xlsx(path: Path, source_file: str | None = None, sheet: str | None = None) -> RawTable:
    """Read the first sheet (or ``sheet``) of an Excel workbook; cached formula values are used.

    Dates stored as Excel dates arrive as ISO text; whole numbers as ``4`` rather than ``4.0``.
    """
    from openpyxl import load_workbook

    source_file = source_file or path.name
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError, XML errors... for bad files
        return _unreadable(source_file, f"not a valid .xlsx workbook: {error}")
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            table = RawTable(source_file=source_file, frame=_empty_frame())
            table.problems.append(
                Problem(
                    source_file,
                    None,
                    None,
                    sheet,
                    f"a sheet of this workbook: {', '.join(workbook.sheetnames)}",
                )
            )
            return table
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = [
            (number, list(values))
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
        ]
    except Exception as error:
        return _unreadable(source_file, f"not a valid .xlsx workbook: {error}")
    finally:
        workbook.close()
    return table_from_grid(source_file, rows)


def read_sav(path: Path, source_file: str | None = None) -> RawTable:
    """Read an SPSS ``.sav`` file by its codes, keeping its value labels and missing codes aside.

    Numeric cells arrive as the codes the file stores (``5``, not its label "Strongly
    agree"), so that two codes sharing one label can never merge, and a labelled N/A code
    (``9 = "Not applicable"``) stays the code that study.yml declares. The value labels are
    kept in :attr:`RawTable.value_labels` (column -> code text -> label) for the codebook
    checks and for segment or wave columns whose study.yml mapping lists label text.

    SPSS *user-missing* definitions (discrete codes or ranges, e.g. 9 and 99 as "Don't know"
    and "Refused") are honoured: such a cell arrives blank, and a warning per column says
    how many answers, with which codes, were read as missing.

    References
    ----------
    pyreadstat ``read_sav(user_missing=True)``; IBM SPSS Statistics, "MISSING VALUES".
    """
    import pyreadstat

    source_file = source_file or path.name
    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except Exception as error:  # pyreadstat raises its own ReadstatError for corrupt files
        return _unreadable(source_file, f"not a valid SPSS .sav file: {error}")
    warnings = []
    for column, ranges in (meta.missing_ranges or {}).items():
        if column not in frame.columns:
            continue
        values = frame[column]
        is_missing = pd.Series(False, index=frame.index)
        for bounds in ranges:
            low, high = bounds["lo"], bounds["hi"]
            if isinstance(low, str):
                is_missing |= values.astype(str).str.strip() == low.strip()
            else:
                is_missing |= pd.to_numeric(values, errors="coerce").between(low, high)
        if is_missing.any():
            codes = ", ".join(
                cell_text(code) for code in sorted(values[is_missing].unique(), key=str)
            )
            labels = (meta.variable_value_labels or {}).get(column, {})
            named = [
                f'{cell_text(c)} "{labels[c]}"' for c in values[is_missing].unique() if c in labels
            ]
            shown = f" ({', '.join(named)})" if named else ""
            warnings.append(
                f"{source_file}: column {column}: {int(is_missing.sum())} answer(s) with SPSS "
                f"user-missing code(s) {codes}{shown} read as missing"
            )
            frame[column] = values.astype(object).where(~is_missing, None)
    header = [str(c) for c in frame.columns]
    rows = [(1, header)]
    rows += [
        (number, list(values))
        for number, values in enumerate(frame.itertuples(index=False, name=None), start=2)
    ]
    table = table_from_grid(source_file, rows)
    table.warnings += warnings
    table.value_labels = {
        str(column): {cell_text(code): cell_text(label) for code, label in labels.items()}
        for column, labels in (meta.variable_value_labels or {}).items()
    }
    return table


def file_kind_problem(path: Path, source_file: str) -> Problem | None:
    """Why ``path`` is not a regular file that exists (a folder, a device, a pipe), or ``None``.

    Devices and pipes are refused before a byte is read: ``/dev/zero`` would never end.
    """
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return Problem(source_file, None, None, None, "an existing file: it is missing")
    except (OSError, RuntimeError) as error:  # permissions, a link loop
        reason = getattr(error, "strerror", None) or str(error)
        return Problem(source_file, None, None, None, f"a readable file ({reason})")
    if stat.S_ISDIR(mode):
        return Problem(source_file, None, None, None, "a file, found a folder")
    if not stat.S_ISREG(mode):
        return Problem(
            source_file, None, None, None, "a regular file (this is a device, pipe or socket)"
        )
    return None


def study_path_problem(root: Path, path: Path, source_file: str) -> Problem | None:
    """Why ``path`` may not be read as a file of the study folder ``root``, or ``None``.

    A study file must be a regular file inside the study folder once every link is
    followed: a link to ``/etc/passwd`` or a surveys folder linked from elsewhere is refused
    before a byte is read, so that no error line can quote a file outside the study.
    """
    try:
        inside = Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError) as error:  # a link loop
        return Problem(source_file, None, None, None, f"a readable file ({error})")
    if not inside:
        return Problem(
            source_file,
            None,
            None,
            None,
            "a file inside the study folder (this path is a link that leads outside it; "
            "copy the file into the study folder instead)",
        )
    return file_kind_problem(path, source_file)


def read_table(
    path: Path,
    source_file: str | None = None,
    sheet: str | None = None,
    root: Path | None = None,
) -> RawTable:
    """Read any supported responses file into a :class:`RawTable` (problems, never exceptions).

    Parameters
    ----------
    path : Path
        The file.
    source_file : str, optional
        How problems name the file (the path relative to the study folder); default its name.
    sheet : str, optional
        Worksheet of an ``.xlsx`` file; default the first.
    root : Path, optional
        The study folder: the file must be a regular file inside it (see
        :func:`study_path_problem`). Without it only "a regular file" is checked.
    """
    path = Path(path)
    source_file = source_file or path.name
    if root is not None:
        problem = study_path_problem(root, path, source_file)
    else:
        problem = file_kind_problem(path, source_file)
    if problem is not None:
        table = RawTable(source_file=source_file, frame=_empty_frame())
        table.problems.append(problem)
        return table
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv(path, source_file)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path, source_file, sheet)
    if suffix in SPSS_SUFFIXES:
        return read_sav(path, source_file)
    table = RawTable(source_file=source_file, frame=_empty_frame())
    hint = " (save old .xls workbooks as .xlsx)" if suffix == ".xls" else ""
    table.problems.append(
        Problem(
            source_file,
            None,
            None,
            None,
            f"a .csv, .xlsx or .sav file, not '{suffix or 'no extension'}'{hint}",
        )
    )
    return table
