"""Read raw study files (CSV, XLSX, SPSS ``.sav``) into frames of text with row numbers.

Nothing here knows the codebook: a reader returns what the file says, as stripped text, with
the row number a spreadsheet would show (header = row 1, first data row = 2), so that every
later problem can point at a cell the user can find. A file that cannot be read becomes a
:class:`Problem`, never an exception (DESIGN.md sections 7 and 8).

Encodings of CSV files (DESIGN.md section 3): UTF-8, UTF-8 with BOM, or Windows-1256 (the
Arabic code page Excel uses on Arabic Windows); UTF-16 and UTF-32 too, with a byte-order
mark or without one (recognised by the NUL bytes that the ASCII delimiters, digits and line
ends of any CSV file leave in fixed positions). The bytes are decoded as strict UTF-8 first.
Only when that fails is the file examined record by record:

- a file that is mostly UTF-8 with a few undecodable rows (a line pasted from another
  program) names those rows, ``file:row:column``, a handful of them and then "and N more",
  and is not read further: every cell of it would be suspect;
- a file in which (nearly) no row of non-ASCII text is UTF-8 is read as Windows-1256, and
  that fallback is reported as a warning. Windows-1256 assigns a character to every byte, so
  it never fails by itself: a Latin-1 file decoded with it shows Arabic marks glued to Latin
  letters ("Se\u064cora"), which is detected and reported as an encoding problem rather than
  passed on as garbage;
- a NUL byte (which no CSV export writes) is named by row; a file that is binary (an
  Excel workbook, an SPSS file or random bytes named ``.csv``) is named as what it probably is.

Header names are normalised to Unicode NFC (with a warning naming those that changed), and
two headers that differ only in case or spacing are a problem naming both.

Large files are read in bounded memory: cells are kept as Arrow strings (:data:`TEXT_DTYPE`),
rows are converted chunk by chunk, and CSV records are split by Arrow's parser wherever it
gives exactly the records Python's csv module gives (else by the csv module).

Environment
-----------
ANALYSIS_MAX_FILE_MB
    The size limit per input file, in megabytes (MiB; fractions allowed). Default
    :data:`analysis.config.MAX_FILE_MB` (256 MiB). A larger file is one problem
    naming its size and the limit, and is not read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import io
import itertools
import json
import math
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import config

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
    """A value quoted on one line (JSON escapes keep newlines out), cut to a readable length.

    Characters that a terminal or a text viewer would act on rather than show (controls,
    format and bidi characters, line and paragraph separators) are written as ``\\uXXXX``:
    a cell holding U+202E must not reverse the rest of the line that names it.
    """
    text = str(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "\u2026"
    return escape_invisible(json.dumps(text, ensure_ascii=False))


def escape_invisible(text: str) -> str:
    """``text`` with control, format, bidi and separator characters as ``\\uXXXX`` escapes.

    Applied to every line the commands print (:func:`analysis.validate.printable`), so that
    no input can move the cursor, clear the screen, reorder or split a message.
    """
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in _UNPRINTABLE else c for c in text
    )


#: Unicode categories written as escapes: controls, format characters (bidi marks, zero
#: widths), line and paragraph separators, unassigned and surrogate code points.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Cs"})


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
    #: SPSS user-missing codes found in the data, by raw column (as text: ``"9"``).
    user_missing: dict[str, list[str]] = field(default_factory=dict)
    #: Other names of columns (a platform export's question text): match_key(alias) -> header.
    aliases: dict[str, str] = field(default_factory=dict)

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
    become ``"2"``; decomposed and composed forms of the same text (Unicode NFC) match.
    """
    # NFC first: a label typed with decomposed Arabic marks is the same text as its composed form.
    text = unicodedata.normalize("NFC", western_digits(cell_text(value)))
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
# Grid of cells -> RawTable (shared by the three readers), chunk by chunk
# --------------------------------------------------------------------------------------------

#: The dtype of every cell column of a :class:`RawTable`: pandas' string dtype stored in
#: Arrow (``str``), so that a million rows of text take about their size in bytes rather than
#: a Python object per cell.
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)

#: Every character ``str.strip()`` removes (``str.isspace``), for stripping Arrow arrays
#: exactly as :func:`clean_text` strips one string.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

#: Rows converted at a time: bounds the Python objects alive while a large file is read.
_CHUNK_ROWS = 65_536


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index([], dtype="int64", name="source_row"))


def _text_array(values: Sequence[str]) -> pa.Array:
    """Python strings as an Arrow string array (a lone surrogate becomes ``?``)."""
    try:
        return pa.array(values, type=pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        return pa.array(
            [v.encode("utf-8", "replace").decode("utf-8") for v in values], type=pa.string()
        )


def _clean_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`clean_text` of every cell of an Arrow string array, in C++."""
    # Most cells need no stripping: one trim of every strippable character finds out
    # (it strips more layers than clean_text does, so it only decides, never cleans).
    trimmed = pc.utf8_trim(values, characters=_WHITESPACE + _INVISIBLE)
    if pc.all(pc.equal(pc.binary_length(trimmed), pc.binary_length(values))).as_py() is not False:
        return values
    values = pc.utf8_trim(values, characters=_WHITESPACE)
    values = pc.utf8_trim(values, characters=_INVISIBLE)
    return pc.utf8_trim(values, characters=_WHITESPACE)


def _grid_columns(rows: Sequence[Sequence[Any]], text_only: bool) -> list[pa.Array]:
    """Rows of cells -> one cleaned Arrow string array per position (short rows padded "")."""
    columns = []
    for values in itertools.zip_longest(*rows, fillvalue=""):
        if text_only or all(type(v) is str for v in values):
            columns.append(_clean_array(_text_array(values)))
        else:
            columns.append(_text_array([cell_text(v) for v in values]))
    return columns


@dataclass(frozen=True)
class HeaderSpec:
    """How a file's header is built when it spans more than one row (survey-platform exports).

    ``rows`` non-blank rows are read as the header; ``combine`` turns them, as
    ``(spreadsheet row, cells)`` pairs, into one name per column position and may record
    problems and aliases on the table (see :func:`analysis.platforms.build_header`).
    """

    rows: int
    combine: Callable[[list[tuple[int, list[str]]], RawTable], list[str]]


class _Grid:
    """Rows of cells -> :class:`RawTable`, fed in chunks so that memory stays bounded.

    Implements the rules of :func:`table_from_grid` incrementally: the first non-blank row
    is the header; blank rows are skipped (counted when they lie between data rows); cells
    beyond the header's width are extra values; columns are kept as Arrow string chunks.
    """

    def __init__(self, table: RawTable, header_spec: HeaderSpec | None = None):
        self.table = table
        self.file = table.source_file
        self.header_spec = header_spec
        self.header_rows: list[tuple[int, list[str]]] = []  # of a header spanning rows
        self.header: list[str] | None = None
        self.header_row = 0
        self.width = 0
        self.keep: dict[str, int] = {}
        self.unnamed: list[int] = []
        self.unnamed_with_data: set[int] = set()
        self.normalised: list[int] = []
        self.chunks: dict[int, list[pa.Array]] = {}
        self.numbers: list[np.ndarray] = []
        self.blank_rows = 0  # blank rows after the header
        self.trailing_blank = 0  # of which after the last data row so far
        self.last_multiline = False  # a cell of the last row seen spans lines

    def add_rows(self, numbers: np.ndarray, rows: Sequence[Sequence[Any]], text_only: bool) -> None:
        """Add ``rows`` (lists of cells; text only when ``text_only``) on spreadsheet rows ``numbers``."""
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        self.add_columns(numbers, _grid_columns(rows, text_only), lengths)

    def add_columns(
        self,
        numbers: np.ndarray,
        columns: Sequence[pa.Array | pa.ChunkedArray],
        lengths: np.ndarray | None,
    ) -> None:
        """Add rows given as cleaned columns; ``lengths`` are the cells per row (None: all)."""
        n_rows, width = len(numbers), len(columns)
        if n_rows:
            self.last_multiline = any("\n" in (c[n_rows - 1].as_py() or "") for c in columns)
        filled = [
            pc.greater(pc.binary_length(c), 0).to_numpy(zero_copy_only=False) for c in columns
        ]
        non_blank = np.logical_or.reduce(filled) if filled else np.zeros(n_rows, dtype=bool)
        start = 0
        if self.header is None:
            hits = np.flatnonzero(non_blank)
            if not len(hits):
                return  # blank rows above the header are not reported
            wanted = self.header_spec.rows if self.header_spec else 1
            taken = hits[: wanted - len(self.header_rows)]
            for at in taken:
                cells = width if lengths is None else int(lengths[at])
                row = [columns[p][at].as_py() or "" for p in range(cells)]
                self.header_rows.append((int(numbers[at]), row))
            start = int(taken[-1]) + 1
            if len(self.header_rows) < wanted and start >= n_rows:
                return  # the header goes on in the next chunk
            last_row, first = self.header_rows[-1][0], self.header_rows[0][1]
            names = (
                self.header_spec.combine(self.header_rows, self.table)
                if self.header_spec
                else first
            )
            self._set_header(last_row if self.header_spec else self.header_rows[0][0], names)
        if start >= n_rows:
            return
        if start:
            numbers, non_blank = numbers[start:], non_blank[start:]
            filled = [f[start:] for f in filled]
            columns = [c.slice(start) for c in columns]
            lengths = None if lengths is None else lengths[start:]
        hits = np.flatnonzero(non_blank)
        self.blank_rows += len(non_blank) - len(hits)
        if len(hits):
            self.trailing_blank = len(non_blank) - 1 - int(hits[-1])
        else:
            self.trailing_blank += len(non_blank)
        for position in self.unnamed:
            if position < width and filled[position].any():
                self.unnamed_with_data.add(position)
        if width > self.width:
            self._extra_values(numbers, columns, filled, lengths)
        every = len(hits) == len(non_blank)  # no blank row: the columns as they are
        mask = None if every else pa.array(non_blank, type=pa.bool_())
        for position in self.keep.values():
            if position < width:
                kept = columns[position] if every else pc.filter(columns[position], mask)
            else:
                kept = _text_array([""] * len(hits))
            # pandas keeps its strings as large_string: cast chunk by chunk, not all at the end.
            self.chunks[position].append(kept.cast(pa.large_string()))
        self.numbers.append(np.asarray(numbers, dtype=np.int64)[non_blank])

    def _set_header(self, row: int, header: list[str]) -> None:
        names = [unicodedata.normalize("NFC", name) for name in header]
        self.normalised = [p for p, (a, b) in enumerate(zip(header, names, strict=True)) if a != b]
        self.header, self.header_row, self.width = names, row, len(names)
        twins: dict[str, int] = {}
        for position, name in enumerate(names):
            if not name:
                self.unnamed.append(position)
                continue
            if name in self.keep:
                first = column_letter(self.keep[name])
                self.table.problems.append(
                    Problem(
                        self.file,
                        row,
                        name,
                        None,
                        f"each column header once: it is in columns {first} and "
                        f"{column_letter(position)}",
                    )
                )
                continue
            # study.yml names columns without regard to case or spaces, so Q01 next to q01
            # would make one of them silently unused.
            key = match_key(name)
            if key in twins:
                twin = twins[key]
                self.table.problems.append(
                    Problem(
                        self.file,
                        row,
                        name,
                        None,
                        "each column header once, ignoring case and spaces: "
                        f"'{names[twin]}' in column {column_letter(twin)} and '{name}' in "
                        f"column {column_letter(position)}",
                    )
                )
            else:
                twins[key] = position
            self.keep[name] = position
            self.chunks[position] = []

    def _extra_values(
        self,
        numbers: np.ndarray,
        columns: Sequence[pa.Array | pa.ChunkedArray],
        filled: list[np.ndarray],
        lengths: np.ndarray | None,
    ) -> None:
        extra = np.logical_or.reduce(filled[self.width :])
        for at in np.flatnonzero(extra):
            values = [
                columns[p][at].as_py() for p in range(self.width, len(columns)) if filled[p][at]
            ]
            cells = len(columns) if lengths is None else int(lengths[at])
            self.table.problems.append(
                Problem(
                    self.file,
                    int(numbers[at]),
                    None,
                    ", ".join(values),
                    f"at most {self.width} values, as many as header columns (this row has "
                    f"{cells}): a stray delimiter or an unquoted comma?",
                )
            )

    def finish(self) -> RawTable:
        """The table, with the problems and warnings of the rows seen."""
        table = self.table
        if self.header is None:
            table.problems.append(
                Problem(
                    self.file, None, None, None, "a header row and data rows: the file is empty"
                )
            )
            return table
        skipped_blank = self.blank_rows - self.trailing_blank
        # Blank rows between data rows are reported; trailing ones (Excel formatting) are not.
        if skipped_blank:
            table.warnings.append(f"{self.file}: {skipped_blank} blank row(s) skipped")
        first_row = self.header_rows[0][0] if self.header_rows else self.header_row
        if first_row != 1:
            table.warnings.append(f"{self.file}: the header is on row {first_row}, not row 1")
        if self.normalised:
            shown = ", ".join(
                f"'{self.header[p]}' (column {column_letter(p)})" for p in self.normalised
            )
            table.warnings.append(
                f"{self.file}: header(s) {shown} were in decomposed Unicode: read as Unicode "
                "NFC (composed characters), the form in which study.yml names are typed"
            )
        for position in sorted(self.unnamed_with_data):
            table.warnings.append(
                f"{self.file}: column {column_letter(position)} has data but no header: ignored"
            )
        numbers = np.concatenate(self.numbers) if self.numbers else np.array([], dtype=np.int64)
        if not len(numbers):
            table.problems.append(
                Problem(
                    self.file,
                    self.header_row + 1,
                    None,
                    None,
                    "data rows under the header: the file has a header only",
                )
            )
        index = pd.Index(numbers, dtype="int64", name="source_row")
        columns = {
            name: pd.array(_chunked(self.chunks[position]), dtype=TEXT_DTYPE)
            for name, position in self.keep.items()
        }
        table.frame = pd.DataFrame(columns, index=index)
        return table


def _chunked(parts: Sequence[pa.Array | pa.ChunkedArray]) -> pa.ChunkedArray:
    """Large-string arrays and chunked arrays as one chunked array, without copying a string."""
    chunks: list[pa.Array] = []
    for part in parts:
        chunks.extend(part.chunks if isinstance(part, pa.ChunkedArray) else [part])
    return pa.chunked_array(chunks, type=pa.large_string())


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def table_from_grid(
    source_file: str,
    rows: Iterable[tuple[int, Sequence[Any]]],
    table: RawTable | None = None,
    header: HeaderSpec | None = None,
) -> RawTable:
    """Build a :class:`RawTable` from ``(spreadsheet_row, cells)`` pairs, the first being the header.

    Blank rows are skipped (with a warning: they are not respondents); a column without a
    header is dropped (with a warning if it holds data); a header used twice is a problem and
    only its first column is kept, so that the rest of the file can still be checked; two
    headers that differ only in case or spacing (``Q01`` and ``q01``) are a problem naming
    both, since study.yml names columns without regard to either. Header names are
    normalised to Unicode NFC (with a warning naming those that changed).

    ``rows`` may be any iterable (a reader's generator): it is consumed in chunks of
    ``_CHUNK_ROWS`` rows, so that a large file never exists as one list of Python cells.
    Cells are the text :func:`cell_text` gives; the frame's columns are :data:`TEXT_DTYPE`.
    """
    table = table or RawTable(source_file=source_file, frame=_empty_frame())
    grid = _Grid(table, header)
    for batch in _batches(rows, _CHUNK_ROWS):
        numbers = np.fromiter((number for number, _ in batch), dtype=np.int64, count=len(batch))
        grid.add_rows(numbers, [cells for _, cells in batch], text_only=False)
    return grid.finish()


def text_or_na(cells: pd.Series) -> pd.api.extensions.ExtensionArray:
    """Cells as a ``string`` array with blank cells NA, for a whole column at once.

    The same as ``pd.array([c if c else pd.NA for c in cells], dtype="string")``, without a
    Python object per cell when the cells are Arrow strings (a million respondent ids).
    """
    dtype = cells.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return pd.array([c if c else pd.NA for c in cells], dtype="string")
    values = pa.array(cells.array)  # the Arrow data itself, not a copy
    blank = pc.equal(pc.binary_length(values), 0)
    return pd.array(pc.if_else(blank, pa.scalar(None, values.type), values), dtype="string")


# --------------------------------------------------------------------------------------------
# Size limit
# --------------------------------------------------------------------------------------------

#: Environment variable that overrides :data:`analysis.config.MAX_FILE_MB` (MiB per file).
MAX_FILE_ENV = "ANALYSIS_MAX_FILE_MB"


def max_file_bytes() -> int:
    """The size limit per input file, in bytes.

    ``$ANALYSIS_MAX_FILE_MB`` megabytes (MiB, fractions allowed) when set and not blank,
    else :data:`analysis.config.MAX_FILE_MB`.

    Raises
    ------
    ValueError
        When the variable is set to anything but a positive finite number.
    """
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    if not raw:
        return int(config.MAX_FILE_MB * 2**20)
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes > 0):
        raise ValueError(raw)
    return int(megabytes * 2**20)


def _size_text(size: float) -> str:
    """``1.5 GiB``, ``300.0 MiB``, ``12.0 KiB`` or ``512 bytes``."""
    if size < 1024:
        return f"{size:.0f} bytes"
    power = min(int(math.log(size, 1024)), 4)
    return f"{size / 1024**power:.1f} {('KiB', 'MiB', 'GiB', 'TiB')[power - 1]}"


def size_problem(path: Path, source_file: str, size: int | None = None) -> Problem | None:
    """Why ``path`` is too large to be read (its size and the limit, in one line), or ``None``.

    Decided from the file's size alone, before a byte of it is read. ``size`` overrides the
    size on disk (an XLSX workbook's unpacked sheets).
    """
    try:
        limit = max_file_bytes()
    except ValueError as error:
        return Problem(
            MAX_FILE_ENV,
            None,
            None,
            str(error),
            "a positive number of megabytes: the size limit per input file (unset it for "
            f"the default of {config.MAX_FILE_MB})",
        )
    if size is None:
        try:
            size = Path(path).stat().st_size
        except OSError:
            return None  # the reader says why it cannot read the file
    if size <= limit:
        return None
    return Problem(
        source_file,
        None,
        None,
        None,
        f"a file of at most {_size_text(limit)}, the limit per input file (this one is "
        f"{_size_text(size)}): set {MAX_FILE_ENV}={math.ceil(size / 2**20)} or more to read it",
    )


# --------------------------------------------------------------------------------------------
# CSV: encodings
# --------------------------------------------------------------------------------------------

#: Bytes read at a time when a text file is checked or diagnosed.
_BLOCK_BYTES = 1 << 20
#: Bytes at the start of a file that decide its encoding and delimiter.
_SAMPLE_BYTES = 1 << 16
#: Rows named one by one for an encoding problem before "and N more".
_MAX_LISTED_ROWS = 5
#: Rows numbered in the "and N more" line.
_MAX_COUNTED_ROWS = 10

#: Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
)

#: Signatures of the binary files most often renamed to .csv, and what to say about them.
_BINARY_KINDS = (
    (
        b"PK\x03\x04",
        ": an Excel workbook (.xlsx) or another ZIP file; give a workbook its .xlsx name",
    ),
    (b"$FL2", ": an SPSS data file (.sav); give it its .sav name"),
    (b"$FL3", ": a compressed SPSS data file (.zsav); give it its .zsav name"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        ": an old Excel workbook (.xls) or another Office file; save it as .xlsx",
    ),
    (b"%PDF", ": a PDF document"),
    (b"\x1f\x8b", ": a gzip archive; unpack it first"),
)

#: Bytes that text never holds (C0 controls other than tab, newlines, form feed and ^Z; DEL).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1A), *range(0x1B, 0x20), 0x7F])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)

#: Undecodable bytes are read as lone surrogates U+DC00-U+DCFF (for UTF-8 exactly as
#: ``surrogateescape`` does), which no decoded text can hold: that marks the bad cells.
_MARK_ERRORS = "analysis-mark"
_MARKED = re.compile("[\udc00-\udcff]")


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(_MARK_ERRORS, _mark_undecodable)


@dataclass(frozen=True)
class _Encoding:
    """How a text file is read: Python codec, name for messages, whether cp1256 may follow."""

    codec: str
    name: str
    may_be_cp1256: bool = False


def _nul_share(data: bytes, offset: int, step: int) -> float:
    slots = data[offset::step]
    return slots.count(0) / len(slots) if slots else 0.0


def sniff_encoding(head: bytes) -> _Encoding | str:
    """The encoding of a text file from its first bytes, or what binary file it probably is.

    A byte-order mark decides; without one, UTF-16 and UTF-32 show as NUL bytes in fixed
    positions (the high bytes of the ASCII delimiters, digits and line ends every CSV file
    has); anything else is read as UTF-8, or Windows-1256 if it is not UTF-8. A file with
    many control bytes, or the signature of a workbook or SPSS file, is binary: the string
    returned completes "this one is binary".
    """
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return _Encoding(codec, f"{name} (with a byte-order mark)")
    for signature, kind in _BINARY_KINDS:
        if head.startswith(signature):
            return kind
    if b"\x00" in head:
        aligned = head[: len(head) // 4 * 4]
        if len(aligned) >= 4:
            share = [_nul_share(aligned, k, 4) for k in range(4)]
            if share[2] > 0.95 and share[3] > 0.95:
                return _Encoding("utf-32-le", "UTF-32 (little-endian, without a byte-order mark)")
            if share[0] > 0.95 and share[1] > 0.95:
                return _Encoding("utf-32-be", "UTF-32 (big-endian, without a byte-order mark)")
        pairs = head[: len(head) // 2 * 2]
        even, odd = _nul_share(pairs, 0, 2), _nul_share(pairs, 1, 2)
        # A NUL low byte is rare (U+0000, U+0600...), but one weighs much in a tiny file.
        if odd >= 0.2 and even <= max(0.02, odd / 8):
            return _Encoding("utf-16-le", "UTF-16 (little-endian, without a byte-order mark)")
        if even >= 0.2 and odd <= max(0.02, even / 8):
            return _Encoding("utf-16-be", "UTF-16 (big-endian, without a byte-order mark)")
    controls = len(head.translate(None, _NOT_CONTROL))  # what is left: the control bytes
    if controls > 4 and controls * 100 > len(head):
        return (
            " (neither text nor a known file type: an Excel or SPSS file renamed, or a "
            "damaged file?)"
        )
    return _Encoding("utf-8", "UTF-8", may_be_cp1256=True)


def _decodes(handle: BinaryIO, codec: str) -> tuple[bool, bool]:
    """Whether the whole file decodes with ``codec``, and whether it holds a NUL character."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(codec)()
    nul = False
    try:
        while block := handle.read(_BLOCK_BYTES):
            nul = "\x00" in decoder.decode(block) or nul
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, nul
    return True, nul


@dataclass
class _Rows:
    """Rows of one kind found by :func:`_diagnose`: the first few in full, then a count."""

    listed: list[tuple[int, int, str]] = field(default_factory=list)  # row, position, cell
    more: list[int] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, record: list[str], pattern: re.Pattern[str]) -> None:
        self.count += 1
        if len(self.listed) < _MAX_LISTED_ROWS:
            position = next(p for p, cell in enumerate(record) if pattern.search(cell))
            self.listed.append((row, position, record[position]))
        elif len(self.more) < _MAX_COUNTED_ROWS:
            self.more.append(row)


@dataclass
class _Diagnosis:
    undecodable: _Rows = field(default_factory=_Rows)
    nul: _Rows = field(default_factory=_Rows)
    clean_non_ascii: int = 0  # rows with non-ASCII text that decoded
    header: list[str] = field(default_factory=list)


_NUL = re.compile("\x00")


def _text_stream(handle: BinaryIO, codec: str, errors: str = "strict") -> io.TextIOWrapper:
    """The file from its start as text, lines ended by CRLF, LF or a lone CR alike."""
    handle.seek(0)
    return io.TextIOWrapper(handle, encoding=codec, errors=errors, newline=None)  # type: ignore[arg-type]


def _diagnose(handle: BinaryIO, codec: str, delimiter: str) -> _Diagnosis:
    """The rows (records, as a spreadsheet numbers them) holding undecodable bytes or NULs."""
    diagnosis = _Diagnosis()
    text = _text_stream(handle, codec, _MARK_ERRORS)
    try:
        for row, record in enumerate(csv.reader(text, delimiter=delimiter), start=1):
            if not diagnosis.header and any(clean_text(c) for c in record):
                diagnosis.header = [clean_text(c) for c in record]
            joined = "".join(record)
            if "\x00" in joined:
                diagnosis.nul.add(row, record, _NUL)
            if joined.isascii():
                continue
            if _MARKED.search(joined):
                diagnosis.undecodable.add(row, record, _MARKED)
            else:
                diagnosis.clean_non_ascii += 1
    except csv.Error:
        pass  # what was found so far is named; the parse reports the malformed CSV
    finally:
        text.detach()
    return diagnosis


def _shown(cell: str) -> str:
    """A cell as a problem line shows it: undecodable bytes as U+FFFD, NUL as it is."""
    return clean_text(_MARKED.sub("\ufffd", cell))


def _row_problems(source_file: str, rows: _Rows, header: list[str], expected: str) -> list[Problem]:
    problems = []
    for row, position, cell in rows.listed:
        name = header[position] if position < len(header) else ""
        column = name if name and not _MARKED.search(name) else column_letter(position)
        problems.append(Problem(source_file, row, column, _shown(cell), expected))
    more = rows.count - len(rows.listed)
    if more:
        numbers = ", ".join(map(str, rows.more)) + (", ..." if more > len(rows.more) else "")
        what = expected.split(":")[0]
        problems.append(
            Problem(
                source_file,
                None,
                None,
                None,
                f"{what}: and {more} more row(s) like these (rows {numbers})",
            )
        )
    return problems


def _latin1_problem(handle: BinaryIO, source_file: str) -> Problem | None:
    """A Latin-1 file read as Windows-1256 shows Arabic marks glued to Latin letters."""
    text = _text_stream(handle, "cp1256")
    try:
        for row, line in enumerate(text, start=1):
            garbled = _MIXED_SCRIPT_WORD.search(line)
            if garbled:
                at = garbled.start()
                start = max(line.rfind(" ", 0, at), line.rfind(",", 0, at)) + 1
                word = re.split(r"[\s,;\t]", line[start:], maxsplit=1)[0]
                return Problem(
                    source_file,
                    row,
                    None,
                    word,
                    "UTF-8 or Arabic Windows-1256 text: this looks like another encoding "
                    "(Latin-1?); save the file as 'CSV UTF-8'",
                )
    finally:
        text.detach()
    return None


def _head_text(head: bytes, codec: str) -> str:
    """The first bytes decoded (an incomplete last character dropped), newlines as ``\\n``."""
    text = codecs.getincrementaldecoder(codec)(_MARK_ERRORS).decode(head)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _encoding_of(
    handle: BinaryIO, head: bytes, source_file: str
) -> tuple[_Encoding | None, list[Problem], list[str]]:
    """How to read a text file, or the problems that stop it being read.

    The whole file is decoded once (in blocks) to check it. Only if that fails is it
    diagnosed record by record: a file that is mostly UTF-8 with a few undecodable rows
    names those rows; one where (nearly) no row with non-ASCII text is UTF-8 is read as
    Windows-1256 with a warning, unless it looks like Latin-1; NUL characters are named
    by row in any encoding.
    """
    kind = sniff_encoding(head)
    if isinstance(kind, str):
        return (
            None,
            [
                Problem(
                    source_file, None, None, None, f"a text (CSV) file: this one is binary{kind}"
                )
            ],
            [],
        )
    ok, nul = _decodes(handle, kind.codec)
    if ok and not nul:
        return kind, [], []
    delimiter = sniff_delimiter(_head_text(head, kind.codec))
    diagnosis = _diagnose(handle, kind.codec, delimiter)
    problems = _row_problems(
        source_file,
        diagnosis.nul,
        diagnosis.header,
        "text without NUL bytes: this row has a NUL byte, which no CSV export writes "
        "(a damaged file?)",
    )
    bad = diagnosis.undecodable.count
    # In a Windows-1256 file hardly a row of Arabic text happens to be valid UTF-8; in a
    # UTF-8 file with a few pasted lines, most are.
    cp1256 = kind.may_be_cp1256 and bad and diagnosis.clean_non_ascii * 10 < bad
    if bad and not cp1256:
        short, _, detail = kind.name.partition(" (")
        if kind.codec.startswith("utf-8"):
            detail = (", though the file starts with its byte-order mark" if detail else "") + (
                " (a line pasted from a Windows-1256 or Latin-1 file?); correct these rows, "
                "or save the file again as 'CSV UTF-8'"
            )
        else:
            detail = f" ({detail}" if detail else ""
        problems = (
            _row_problems(
                source_file,
                diagnosis.undecodable,
                diagnosis.header,
                f"{short} text: this row has bytes that are not valid {short}{detail}",
            )
            + problems
        )
    if problems:
        return None, problems, []
    if not cp1256:  # decoding failed on something the diagnosis could not place
        return None, [Problem(source_file, None, None, None, f"valid {kind.name} text")], []
    latin1 = _latin1_problem(handle, source_file)
    if latin1 is not None:
        return None, [latin1], []
    warning = (
        f"{source_file}: not UTF-8; read as Arabic Windows-1256 (check that Arabic text "
        "looks right, or save the file as 'CSV UTF-8')"
    )
    return _Encoding("cp1256", "Windows-1256"), [], [warning]


def decode_bytes(data: bytes, source_file: str) -> tuple[str | None, str | None, list[Problem]]:
    """Decode a whole text file held in memory (see :func:`read_csv_bytes` for the rules).

    Returns
    -------
    text, encoding, problems
        ``text`` is ``None`` when the bytes are not text in a supported encoding; else it is
        the text with CRLF and lone CR turned into ``\\n``.
    """
    handle = io.BytesIO(data)
    encoding, problems, _ = _encoding_of(handle, data[:_SAMPLE_BYTES], source_file)
    if encoding is None:
        return None, None, problems
    text = _text_stream(handle, encoding.codec)
    try:
        return text.read(), encoding.codec, []
    finally:
        text.detach()


def sniff_delimiter(text: str) -> str:
    """The delimiter (``,``, ``;`` or tab) that splits the header line into the most fields."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


# --------------------------------------------------------------------------------------------
# CSV: records
# --------------------------------------------------------------------------------------------

#: Read CSV with Arrow's parser where it gives exactly what Python's csv module would.
_USE_ARROW = True
#: Longest cell the csv module reads (its default, 131,072 characters, refuses a long comment;
#: the size limit per file bounds what a cell can hold anyway).
_MAX_CELL_CHARS = 2**31 - 1


@contextlib.contextmanager
def _long_cells() -> Iterator[None]:
    """Let the csv module read cells of up to :data:`_MAX_CELL_CHARS` (its limit is global)."""
    previous = csv.field_size_limit(_MAX_CELL_CHARS)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


#: Arrow's block size (a record longer than a block makes Arrow give up: Python reads it).
_ARROW_BLOCK_BYTES = 1 << 22


class _ArrowGaveUp(Exception):
    """Arrow cannot read this file as the csv module would: the csv module reads it."""


def _arrow_records(handle: BinaryIO, codec: str, delimiter: str, width: int, grid: _Grid) -> None:
    """Every record as ``width`` columns, by Arrow's CSV parser, into ``grid`` batch by batch.

    Arrow splits records as Python's csv module does with universal newlines (checked by the
    tests on a corpus and on random text), keeps an empty line as a row (so row numbers hold)
    and fails on a row of another width. Where it fails (ragged rows, a record longer than a
    block) it raises :class:`_ArrowGaveUp` and the caller reads the file with the csv module
    instead, so either way the table is the same. Batches of ``_ARROW_BLOCK_BYTES`` are
    parsed ahead on Arrow's threads and cleaned one at a time, so the raw text of the file is
    never in memory at once.
    """
    import pyarrow.csv as pa_csv

    names = [f"c{i}" for i in range(width)]
    handle.seek(0)
    number = 1
    try:
        reader = pa_csv.open_csv(
            handle,
            read_options=pa_csv.ReadOptions(
                column_names=names,
                # Arrow reads UTF-8 natively and skips its byte-order mark itself.
                encoding="utf8" if codec in ("utf-8", "utf-8-sig") else codec,
                block_size=_ARROW_BLOCK_BYTES,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        with reader:
            for batch in reader:
                if batch.num_columns != width:
                    raise _ArrowGaveUp
                columns = []
                for column in batch.columns:
                    if pc.any(pc.match_substring(column, "\r")).as_py():
                        # Python reads with universal newlines: CRLF and lone CR inside
                        # quotes become LF.
                        column = pc.replace_substring(column, "\r\n", "\n")
                        column = pc.replace_substring(column, "\r", "\n")
                    columns.append(_clean_array(column))
                grid.add_columns(np.arange(number, number + batch.num_rows), columns, None)
                number += batch.num_rows
    except (pa.ArrowException, UnicodeError, ValueError) as error:
        raise _ArrowGaveUp from error


def _python_records(handle: BinaryIO, codec: str, delimiter: str, grid: _Grid) -> None:
    """Every record by Python's csv module, into ``grid`` chunk by chunk."""
    text = _text_stream(handle, codec)
    try:
        reader = csv.reader(text, delimiter=delimiter)
        number = 1
        for rows in _batches(reader, _CHUNK_ROWS):
            grid.add_rows(np.arange(number, number + len(rows)), rows, text_only=True)
            number += len(rows)
    finally:
        text.detach()


def _unclosed_quote(
    handle: BinaryIO, codec: str, delimiter: str, header: list[str]
) -> Problem | None:
    """The quote that opens a cell of the last record and is never closed, as a problem.

    The csv module then reads every line after it into that one cell without a word (it
    complains only in strict mode, which also refuses harmless quirks such as ``"x"y``): the
    last record is parsed again, strictly, from the line where it starts.
    """
    text = _text_stream(handle, codec)
    try:
        reader = csv.reader(text, delimiter=delimiter)
        row, start, end, last = 0, 0, 0, []
        for record in reader:
            row, start, end, last = row + 1, end, reader.line_num, record
    finally:
        text.detach()
    if not last:
        return None
    text = _text_stream(handle, codec)
    try:
        list(csv.reader(itertools.islice(text, start, None), delimiter=delimiter, strict=True))
    except csv.Error as error:
        if "unexpected end of data" not in str(error):
            return None
    else:
        return None
    finally:
        text.detach()
    position = len(last) - 1
    name = header[position] if position < len(header) else ""
    return Problem(
        "",
        row,
        name or column_letter(position),
        clean_text(last[-1]).split("\n", 1)[0],
        f"a closing quote: the quote that opens this cell is never closed, so the "
        f"{end - start - 1} line(s) after it were read into this one cell",
    )


def _first_width(text: str, delimiter: str) -> int:
    """Cells in the first non-empty record of ``text`` (0 if it holds none)."""
    for record in csv.reader(io.StringIO(text), delimiter=delimiter):
        if record:
            return len(record)
    return 0


def _read_csv_stream(
    handle: BinaryIO, source_file: str, header: HeaderSpec | None = None
) -> RawTable:
    table = RawTable(source_file=source_file, frame=_empty_frame())
    head = handle.read(_SAMPLE_BYTES)
    if not head.strip() and len(head) < _SAMPLE_BYTES:
        table.problems.append(
            Problem(source_file, None, None, None, "a header row and data rows: the file is empty")
        )
        return table
    encoding, problems, warnings = _encoding_of(handle, head, source_file)
    if encoding is None:
        table.problems.extend(problems)
        return table
    table.encoding = encoding.codec
    table.warnings.extend(warnings)
    head_text = _head_text(head, encoding.codec)
    delimiter = sniff_delimiter(head_text)
    grid = _Grid(table, header)
    listed = len(table.problems)
    try:
        with _long_cells():
            width = _first_width(head_text, delimiter) if _USE_ARROW else 0
            try:
                if not width:
                    raise _ArrowGaveUp
                _arrow_records(handle, encoding.codec, delimiter, width, grid)
            except _ArrowGaveUp:
                del table.problems[listed:]  # those of the rows Arrow did read
                grid = _Grid(table, header)
                _python_records(handle, encoding.codec, delimiter, grid)
            unclosed = (
                _unclosed_quote(handle, encoding.codec, delimiter, grid.header or [])
                if grid.last_multiline
                else None
            )
    except csv.Error as error:
        table.problems = [
            Problem(source_file, None, None, None, f"a well-formed CSV file ({error})")
        ]
        return table
    if unclosed is not None:
        # The rest of the file is inside one cell: no row after it can be checked.
        table.problems = [dataclasses.replace(unclosed, file=source_file)]
        return table
    return grid.finish()


def read_csv_bytes(data: bytes, source_file: str) -> RawTable:
    """Parse CSV bytes (any supported encoding, line ending and delimiter) into a :class:`RawTable`.

    See :func:`read_csv`; this is the same reader on bytes held in memory.
    """
    return _read_csv_stream(io.BytesIO(data), source_file)


def read_csv(
    path: Path, source_file: str | None = None, header: HeaderSpec | None = None
) -> RawTable:
    """Read a CSV file in bounded memory.

    Encodings (see the module docstring), delimiter (``,``, ``;`` or tab, from the header
    line) and line endings (CRLF, LF, lone CR) are detected. Records are split as Python's
    csv module does (a quoted cell may span lines; a row number counts records), by Arrow's
    parser where that gives the same records and by the csv module otherwise; cells are
    stripped. A file over the size limit (:func:`max_file_bytes`) is refused unread.
    """
    path = Path(path)
    source_file = source_file or path.name
    too_large = size_problem(path, source_file)
    if too_large is not None:
        table = RawTable(source_file=source_file, frame=_empty_frame())
        table.problems.append(too_large)
        return table
    try:
        with path.open("rb") as handle:
            return _read_csv_stream(handle, source_file, header)
    except OSError as error:
        return _unreadable(source_file, error)
    finally:
        # Arrow's allocator keeps the memory of the raw columns for reuse; give it back.
        pa.default_memory_pool().release_unused()


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


def _unpacked_size(path: Path) -> int | None:
    """Bytes a workbook unpacks to (``None`` if it is no ZIP file).

    Every member counts: the text of the cells may sit in ``xl/sharedStrings.xml`` rather
    than in the sheets, and a ZIP file of a few kilobytes can unpack to gigabytes.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return None  # load_workbook says what is wrong with it


#: A sheet's ``<dimension>`` element comes before its ``<sheetData>`` when it has one.
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b")


def _open_workbook(path: Path) -> Any:
    """``openpyxl.load_workbook(path, read_only=True, data_only=True)``, without one wasted scan.

    To size a read-only sheet openpyxl looks for its ``<dimension>`` element, and when the
    sheet has none (workbooks written by many tools, the demo study's among them) it parses
    the whole sheet to find that out, before the rows are parsed again. Here a sheet whose
    first bytes show ``<sheetData>`` with no ``<dimension>`` before it skips that scan: it
    would find nothing (openpyxl stops looking at the end of ``<sheetData>``), so the
    workbook read is the same, a third faster.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            with self._get_source() as source:
                head = source.read(_SAMPLE_BYTES)
            data = _SHEET_DATA.search(head)
            if data is None or _DIMENSION.search(head, 0, data.start()):
                super()._get_size()

    class Reader(ExcelReader):
        def read_worksheets(self) -> None:  # the read-only branch of openpyxl's own
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                worksheet = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    reader = Reader(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _guarded(rows: Iterable[Any], failure: list[BaseException]) -> Iterator[Any]:
    """``rows``, stopping (and keeping the error) where the workbook turns out to be corrupt."""
    try:
        yield from rows
    except Exception as error:  # openpyxl raises zipfile, KeyError, XML errors... for bad files
        failure.append(error)


def read_xlsx(
    path: Path,
    source_file: str | None = None,
    sheet: str | None = None,
    header: HeaderSpec | None = None,
) -> RawTable:
    """Read the first sheet (or ``sheet``) of an Excel workbook; cached formula values are used.

    Dates stored as Excel dates arrive as ISO text; whole numbers as ``4`` rather than ``4.0``.
    Rows are streamed from the workbook into the table, so memory holds the cells' text only;
    a workbook larger than the size limit (:func:`max_file_bytes`), on disk or unpacked, is
    refused unread.
    """
    path = Path(path)
    source_file = source_file or path.name
    too_large = size_problem(path, source_file)
    if too_large is None:
        unpacked = _unpacked_size(path)
        if unpacked is not None:
            too_large = size_problem(path, source_file, unpacked)
            if too_large is not None:
                too_large = dataclasses.replace(
                    too_large,
                    expected=too_large.expected.replace("(this one is", "(this one unpacks to"),
                )
    if too_large is not None:
        table = RawTable(source_file=source_file, frame=_empty_frame())
        table.problems.append(too_large)
        return table
    try:
        workbook = _open_workbook(path)
    except Exception as error:  # openpyxl raises zipfile, KeyError, XML errors... for bad files
        return _unreadable(source_file, f"not a valid .xlsx workbook: {error}")
    failure: list[BaseException] = []
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
        try:
            worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        except Exception as error:
            return _unreadable(source_file, f"not a valid .xlsx workbook: {error}")
        rows = enumerate(_guarded(worksheet.iter_rows(values_only=True), failure), start=1)
        table = table_from_grid(source_file, rows, header=header)
    finally:
        workbook.close()
    if failure:
        return _unreadable(source_file, f"not a valid .xlsx workbook: {failure[0]}")
    return table


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
    too_large = size_problem(path, source_file)
    if too_large is not None:
        table = RawTable(source_file=source_file, frame=_empty_frame())
        table.problems.append(too_large)
        return table
    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except Exception as error:  # pyreadstat raises its own ReadstatError for corrupt files
        return _unreadable(source_file, f"not a valid SPSS .sav file: {error}")
    warnings = []
    missing_codes: dict[str, list[str]] = {}
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
            missing_codes[str(column)] = [
                cell_text(code) for code in sorted(values[is_missing].unique(), key=str)
            ]
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
    table.user_missing = missing_codes
    return table


def file_kind_problem(path: Path, source_file: str) -> Problem | None:
    """Why ``path`` is not a regular file that exists (a folder, a device, a pipe), or ``None``.

    Devices and pipes are refused before a byte is read: ``/dev/zero`` would never end.
    """
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return Problem(source_file, None, None, None, "an existing file: it is missing")
    except (OSError, RuntimeError, ValueError) as error:  # permissions, a link loop, a NUL
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
    if "\x00" in str(path):
        return Problem(source_file, None, None, None, "a file name without a NUL character")
    try:
        inside = Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError, ValueError) as error:  # a link loop
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
    header: HeaderSpec | None = None,
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
    header : HeaderSpec, optional
        A header over several rows (CSV and XLSX; an SPSS file names its variables).
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
        return read_csv(path, source_file, header)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path, source_file, sheet, header)
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
