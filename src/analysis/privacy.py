"""Personal data in free text, and formula-safe CSV cells (DESIGN.md sections 5, 6 and 8).

Two concerns of every text a respondent or a study file supplies and the project writes out:

**Masking** (:func:`mask_pii`). Comments are shown in the reports, and written to
``processed/excluded.csv``, only after phone numbers, national ids, iqama numbers, e-mail
addresses and other long numbers are replaced by a label (``[phone number]``). People
disguise such data, or their keyboards and apps do it for them, so matching runs on a
*normalised copy* of the text (:func:`normalise_for_matching`): NFKC (full-width digits,
thin and no-break spaces, the full-width ``＠``), every format character removed (category
``Cf``: zero-width spaces and joiners, word joiners, byte-order marks, direction marks and
bidi embeddings, overrides and isolates) and every decimal digit of any script (Arabic-Indic,
Persian, ...) turned into ASCII. Each character of that copy remembers where it came from,
so a match replaces exactly the characters of the original that spelt the number: the rest
of the sentence is left as written, invisible characters included.

Numbers are read as *digit groups* joined by short separators (spaces, ``- . / \\ _ , ،``,
brackets, dashes; at most three characters between two groups). Within such a run, the
longest sub-runs that spell a phone number or an id are masked (so ``0551234567 /
0561234567`` gives two labels); what is left is masked as ``[number]`` when it still holds 7
digits or more, unless it reads as an ordinary number. The rules, in order:

1. ``+`` followed by 8-15 digits, or ``00`` and a country code (10-17 digits): a phone.
2. Saudi numbers: mobile ``05XXXXXXXX`` / ``5XXXXXXXX``, landline ``01[1-7]XXXXXXX``, the
   same after ``966`` (with or without the trunk ``0``), toll-free ``800XXXXXXX`` and
   unified ``9200XXXXX``: a phone. Ten digits starting with 1 (national id) or 2 (iqama):
   an id.
3. Anything else of 7 digits or more: ``[number]`` (accounts, cards, foreign numbers
   written without ``+``), except:

   - dates (``2025-01-05``, ``15/01/2025``, ``1446/07/15``; never joined to a neighbour),
   - years side by side (``2024-2025``, ``1445 1446``),
   - amounts with thousands separators (``1,250,000``, ``1.250.000``, ``1 250 000``) and
     round numbers (``1500000``: 4 trailing zeros or more),
   - lists of one- or two-digit numbers (``5, 4, 5, 3, 4, 5, 4, 5``; ``10:30-12:00``).

A run of one- and two-digit groups (``0 5 5 1 2 3 4 5 6 7``, ``05 51 23 45 67``) counts as
a phone only when it starts with ``05``, ``00``, ``+`` or ``966`` (or ``01`` in pairs:
``01 14 56 78 90``, while ``0 1 2 3 ... 10`` is a scale), never as an id or a
``[number]``, and one- and two-digit numbers are never joined across a comma followed by a
space: both are how people list scores ("rated 5 4 5 5 4 3 5 4").

E-mails: ``local@domain.tld`` as usual, and the disguised spellings ``[at]`` ``(at)``
``{at}`` ``<at>`` ``[dot]`` ``(dot)``, ``@`` or ``.`` with spaces around, and the words
`` at `` / `` dot ``. Because "I was at home. Then ..." has the same shape as
``ali at home.then``, the spellings without brackets (words, spaced ``@``/``.``) count only
when the address ends in a common top-level domain (:data:`COMMON_TLDS`).

The ``phonenumbers`` library was tried first: its matcher finds most Saudi and
international formats, but not ``_`` or ``،`` as separators, and at the leniency that finds
a national id it also takes "5 1 2 3 4 5 6 7 8" for a phone. It would need the same
normalisation, id and e-mail rules around it, so the rules here are hand-written and tested
on a corpus (``tests/test_privacy.py``).

**CSV cells** (:func:`neutralise_cell`, :func:`neutralise_frame`). A spreadsheet runs a
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(CSV injection, the OWASP rule). Such text cells are written with a leading ``'`` (shown by
Excel as the text itself). A text cell that is a plain number (``-3``, ``-0.5``, ``+966``,
``1e-5``) is left alone: a spreadsheet reads it as that number, which runs nothing, and
numeric columns are never touched. A text that already starts with quotes followed by one
of those characters (``'=1+1``) gets one more quote, so that :func:`unneutralise_cell`
inverts :func:`neutralise_cell` exactly: a table read back from its own CSV is the table
that was written.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata

import pandas as pd

from analysis.i18n import t

# --- normalisation for matching ---------------------------------------------------------------

#: Bidi embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069): they reorder the
#: text after them, so a comment could display other than it reads.
BIDI_CONTROLS = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def strip_bidi_controls(text: str) -> str:
    """Remove bidi embedding, override and isolate characters (U+202A-E, U+2066-9).

    The direction *marks* (U+200E, U+200F, U+061C) stay: they only attach neutral characters
    such as a minus sign to a side and cannot reorder what follows them.
    """
    return text.translate(_BIDI_TABLE)


def _normalise_char(char: str) -> str:
    """One character for matching: '' for a format character, else NFKC with ASCII digits."""
    if unicodedata.category(char) == "Cf":
        return ""
    out = unicodedata.normalize("NFKC", char)
    if out.isascii():
        return out
    return "".join(
        str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in out
    )


#: Characters already normalised: a comment's text repeats few distinct characters, and a
#: dictionary look-up is several times cheaper than the Unicode database.
_NORMALISED: dict[str, str] = {}


def normalise_for_matching(text: str) -> tuple[str, list[int]]:
    """The text as the masking rules read it, and where each of its characters came from.

    NFKC per character (full-width digits and ``＠``, thin and no-break spaces become ASCII),
    format characters (Unicode category ``Cf``, which holds U+200B-U+200F, U+2060, U+FEFF and
    the bidi controls U+202A-U+202E, U+2066-U+2069) removed, and decimal digits of every
    script turned into ASCII ``0-9``.

    Returns
    -------
    norm : str
        The normalised text.
    origin : list of int
        ``origin[i]`` is the index in ``text`` of the character that gave ``norm[i]``.
    """
    if text.isascii():
        # NFKC leaves ASCII as it is and ASCII has no format characters: nothing to do.
        return text, list(range(len(text)))
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        out = _NORMALISED.get(char)
        if out is None:
            out = _NORMALISED[char] = _normalise_char(char)
        if out:
            parts.append(out)
            origin.extend([index] * len(out))
    return "".join(parts), origin


# --- e-mail addresses -------------------------------------------------------------------------

#: Top-level domains that make a disguised address without brackets ("ali at example dot
#: com") believable; a bracketed ``[at]`` or a plain ``@`` needs none of them.
COMMON_TLDS = frozenset(
    {"com", "net", "org", "edu", "gov", "info", "biz", "io", "co", "me", "app", "dev"}
    | {"online", "site", "sa", "ae", "eg", "jo", "kw", "qa", "bh", "om", "ye", "iq", "sy"}
    | {"lb", "ps", "sd", "ly", "tn", "dz", "ma", "pk", "in", "uk", "us", "ca", "au", "de"}
    | {"fr", "tr"}
)

_OPEN = r"[\[({<]"
_CLOSE = r"[\])}>]"
_AT = (
    rf"(?P<at>\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*"  # [at] (at) {at} <at> [@]
    r"|\s*@\s*"  # @, spaced or not
    r"|\s+at\s+)"  # the word
)
_DOT = rf"(?:\s*{_OPEN}\s*(?:dot|\.)\s*{_CLOSE}\s*|\s+dot\s+|\s*\.\s*)"
_ATOM = r"[\w%+\-]+"
_LABEL = r"[\w\-]+"
_EMAIL = re.compile(
    rf"(?<![\w.%+\-])(?P<local>{_ATOM}(?:{_DOT}{_ATOM})*){_AT}"
    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?P<tld>{_LABEL}))(?![\w\-])",
    re.IGNORECASE,
)
_PLAIN_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def _is_email(match: re.Match[str]) -> bool:
    """Whether a match of :data:`_EMAIL` is an address rather than a sentence like one."""
    if _PLAIN_EMAIL.fullmatch(match.group(0)):
        return True
    tld = match.group("tld").lower()
    if not re.fullmatch(r"[^\W\d_]{2,}", tld):
        return False
    at = match.group("at")
    strong_at = re.search(_OPEN, at) is not None or at == "@"
    loose_dot = re.search(
        r"\s+dot\s+|\s\.|\.\s", match.group("local") + match.group("domain"), re.IGNORECASE
    )
    if strong_at and not loose_dot:
        return True
    # The word 'at', a spaced '@', a spelt-out or spaced dot: only with a known domain.
    return tld in COMMON_TLDS


# --- numbers ----------------------------------------------------------------------------------

#: What may stand between two digit groups of one number.
_SEP = r"[ \t\-./\\_,\u060c()\[\]\u2010-\u2015\u2212\u00b7]"
_RUN = re.compile(rf"(?<!\d)\d+(?:{_SEP}{{1,3}}\d+)*")
_GROUP = re.compile(r"\d+")
#: A comma followed by a space between groups: a list ("5, 4, 5"), not one number.
_LIST_GAP = re.compile(r"[,\u060c]\s")
_YEAR = re.compile(r"(?:13|14|19|20)\d\d")
_DATE = re.compile(
    r"(?<!\d)(?:(?P<y1>\d{4})(?P<s1>[-./])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})(?P<s2>[-./])(?P<m2>\d{1,2})(?P=s2)(?P<y2>\d{4}))(?!\d)"
)
_PHONE_SA = re.compile(
    r"(?:966|00966)0?(?:5\d{8}|1[1-7]\d{7})"  # +966 / 00966 / 966, trunk 0 optional
    r"|0?5\d{8}"  # mobile
    r"|01[1-7]\d{7}"  # landline with its area code
    r"|800\d{7}|9200\d{5}"  # toll-free and unified numbers
)
_NATIONAL_ID = re.compile(r"[12]\d{9}")
#: A Saudi mobile written without its trunk 0.
_MOBILE_NO_ZERO = re.compile(r"5\d{8}")


def _counts_up(digits: str) -> bool:
    """Whether the digits only count up ("1 2 3 4 5 6 7 8 9 0", "2 3 ... 9 10"): a scale.

    Either every digit is one more than the last (mod 10), or the digits are whole numbers
    counted one by one and written side by side (2, 3, ..., 10 gives "2345678910").
    """
    steps = [(int(b) - int(a)) % 10 for a, b in itertools.pairwise(digits)]
    if all(step == 1 for step in steps):
        return True
    for start in range(10):
        counted, number = "", start
        while len(counted) < len(digits):
            counted += str(number)
            number += 1
        if counted == digits:
            return True
    return False


#: Digits that can start a phone number written one or two digits at a time: a mobile or an
#: international number ("0 1 2 3 4 5 6 7 8 9" is a rating scale, not a landline).
_SPACED_PHONE_START = ("05", "00", "966")
#: No phone or id is longer: bounds the search for sub-runs.
_MAX_DIGITS = 17
#: How many digits a phone or id can have (_strong_kind): Saudi numbers and ids 9-10, with
#: 966 / 00966 12-15; after + 8-15; after 00 10-17. Other lengths are not tried.
_SIZES = frozenset({9, 10, 12, 13, 14, 15})
_SIZES_PLUS = frozenset(range(8, 16))
_SIZES_00 = _SIZES | frozenset(range(10, 18))
#: A placeholder that is neither a digit nor a separator: dates and e-mails become it, so
#: that no number is joined across them.
_BARRIER = "\ue000"


def _is_date(match: re.Match[str]) -> bool:
    year, month, day = (
        (match["y1"], match["m1"], match["d1"])
        if match["y1"]
        else (match["y2"], match["m2"], match["d2"])
    )
    if not _YEAR.fullmatch(year):
        return False
    # Day-month or month-day: either order, as long as both could be one.
    return 1 <= int(month) <= 31 and 1 <= int(day) <= 31 and min(int(month), int(day)) <= 12


def _strong_kind(
    digits: str, plus: bool, tiny: bool, listed: bool, pairs: bool = False
) -> str | None:
    """Mask key when digit groups spell a phone number or an id, else None.

    ``tiny``: several groups, none longer than two digits; ``pairs``: several groups of two
    digits each; ``listed``: a list separator (comma and space) stands between two groups.
    """
    spaced_phone = digits.startswith(_SPACED_PHONE_START) or (pairs and digits[:2] == "01")
    # Written a digit or two at a time, an id or a mobile without its 0 ("2 1 2 3 4 5 6 7
    # 8 9", "5 0 1 2 3 4 5 6 7") is still one, unless the digits only count up (a scale).
    spaced_id = (
        tiny
        and not listed
        and (_NATIONAL_ID.fullmatch(digits) or _MOBILE_NO_ZERO.fullmatch(digits))
        and not _counts_up(digits)
        and len(set(digits)) >= 4  # "5 5 5 5 ..." is a row of ratings, not a number
    )
    if spaced_id:
        return "mask_national_id" if _NATIONAL_ID.fullmatch(digits) else "mask_phone"
    if tiny and (listed or not (plus or spaced_phone)):
        # One or two digits at a time: a phone only if it starts like one, else a list of
        # scores ("0 1 2 3 4 5 6 7 8 9 10" holds ten digits starting with 2, but no id, and
        # "0 1 2 ..." is a scale, while the landline "01 14 56 78 90" comes in pairs).
        return None
    if plus and 8 <= len(digits) <= 15:
        return "mask_phone"
    if digits.startswith("00") and digits[2:3] != "0" and 10 <= len(digits) <= 17:
        return "mask_phone"
    if _PHONE_SA.fullmatch(digits):
        return "mask_phone"
    if _NATIONAL_ID.fullmatch(digits):
        return "mask_national_id"
    return None


def _is_ordinary(groups: list[str], gaps: list[str]) -> bool:
    """Whether digit groups without a phone or id in them read as an ordinary number."""
    if sum(len(g) for g in groups) < 7:
        return True
    if all(len(g) <= 2 for g in groups):
        return True  # a list of small numbers, times
    if all(len(g) == 4 and _YEAR.fullmatch(g) for g in groups):
        return True  # years side by side
    if len(groups) == 1 and groups[0][0] != "0" and groups[0].endswith("0000"):
        return True  # a round count or amount: 1500000
    thousands = (
        len(groups) > 1
        and len(set(gaps)) == 1
        and gaps[0] in {",", ".", " ", "\u00a0"}
        and 1 <= len(groups[0]) <= 3
        and not groups[0].startswith("0")
        and all(len(g) == 3 for g in groups[1:])
    )
    return thousands


def _strong_groups(groups: list[str], gaps: list[str], plus: bool) -> list[tuple[int, int, str]]:
    """(first, last, mask key) of the groups that spell phones and ids, leftmost-longest.

    From each group, the longest run of following groups that spells a phone or an id is
    taken (at most :data:`_MAX_DIGITS` digits, so the work is linear in the groups); then
    the search goes on after it.
    """
    count = len(groups)
    lengths = [len(g) for g in groups]
    digits_before = list(itertools.accumulate(lengths, initial=0))
    # Prefix counts make "no group longer than 2 digits" and "a list separator between"
    # constant-time questions for any run of groups.
    big_before = list(itertools.accumulate((n > 2 for n in lengths), initial=0))
    singles_before = list(itertools.accumulate((n == 1 for n in lengths), initial=0))
    list_gaps = [_LIST_GAP.search(gap) is not None for gap in gaps]
    lists_before = list(itertools.accumulate(list_gaps, initial=0))
    covered: list[tuple[int, int, str]] = []
    i = 0
    while i < count:
        plus_here = plus and i == 0
        # The furthest group within _MAX_DIGITS digits of group i.
        last = bisect.bisect_right(digits_before, digits_before[i] + _MAX_DIGITS) - 2
        found = None
        head = "".join(groups[i : i + 3])[:3]
        # Every phone or id has 8 digits or more and starts with +, 0 (not 000), 1, 2, 5, 8
        # or 9; a window of small groups only can hold a phone that starts like one (see
        # _strong_kind). All cheap to rule out before trying each length.
        possible = (
            digits_before[last + 1] - digits_before[i] >= 8
            and (plus_here or (head[0] not in "3467" and head != "000"))
            and (
                big_before[last + 1] > big_before[i]
                or plus_here
                or head.startswith((*_SPACED_PHONE_START, "01"))
                or head[0] in "125"  # an id or a mobile without its 0, spaced out
            )
        )
        if possible:
            window = "".join(groups[i : last + 1])
            sizes = _SIZES_PLUS if plus_here else _SIZES_00 if window[:2] == "00" else _SIZES
            for j in range(last, i - 1, -1):
                size = digits_before[j + 1] - digits_before[i]
                if size < 8:
                    break
                if size not in sizes:
                    continue
                tiny = j > i and big_before[j + 1] == big_before[i]
                pairs = tiny and singles_before[j + 1] == singles_before[i]
                listed = lists_before[j] > lists_before[i]
                kind = _strong_kind(window[:size], plus_here, tiny, listed, pairs)
                if kind is not None:
                    found = (j, kind)
                    break
        if found is None:
            i += 1
            continue
        covered.append((i, *found))
        i = found[0] + 1
    return covered


def _number_spans(norm: str) -> list[tuple[int, int, str]]:
    """(start, end, mask key) in ``norm`` of every number to mask."""
    spans: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(norm):
        matches = list(_GROUP.finditer(run.group(0)))
        base = run.start()
        starts = [base + m.start() for m in matches]
        ends = [base + m.end() for m in matches]
        groups = [m.group(0) for m in matches]
        gaps = [norm[ends[k] : starts[k + 1]] for k in range(len(groups) - 1)]
        plus = bool(re.search(r"\+\s?\(?\s?$", norm[max(0, base - 4) : base]))
        covered = _strong_groups(groups, gaps, plus)
        # What no phone or id covers: long numbers, split where a list goes on.
        taken = [False] * len(groups)
        for first, last, _ in covered:
            for k in range(first, last + 1):
                taken[k] = True
        leftover: list[tuple[int, int, str]] = []
        k = 0
        while k < len(groups):
            if taken[k]:
                k += 1
                continue
            first = k
            while k + 1 < len(groups) and not taken[k + 1] and not _LIST_GAP.search(gaps[k]):
                k += 1
            if not _is_ordinary(groups[first : k + 1], gaps[first:k]):
                leftover.append((first, k, "mask_number"))
            k += 1
        for first, last, kind in sorted(covered + leftover):
            start, end = starts[first], ends[last]
            if first == 0 and plus:
                start = norm.rindex("+", 0, start)
            start, end = _balance_brackets(norm, start, end)
            spans.append((start, end, kind))
    return spans


def _balance_brackets(norm: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span over the bracket it opens or closes: ``(055) 123`` is one number."""
    inner = norm[start:end]
    opens = sum(inner.count(c) for c in "([")
    closes = sum(inner.count(c) for c in ")]")
    if closes > opens:
        before = norm[:start].rstrip(" ")
        if before[-1:] in ("(", "["):
            start = len(before) - 1
    elif opens > closes and norm[end : end + 1] in (")", "]"):
        end += 1
    return start, end


# --- masking ----------------------------------------------------------------------------------

_MAYBE_PII = re.compile(r"\d|@|\bat\b|\(at\)|\[at\]", re.IGNORECASE)


def mask_pii(text: str, lang: str = "en") -> str:
    """Replace personal data in free text with a label such as ``[phone number]``.

    Masked (module docstring for the rules): e-mail addresses, plain and disguised; phone
    numbers (Saudi and international); national ids and iqama numbers; any other number of
    7 digits or more, unless it is a date, years, an amount or a list of small numbers.
    Matching ignores invisible characters, full-width forms and the script of the digits;
    the rest of the text is returned exactly as written.

    Parameters
    ----------
    text : str
    lang : {"ar", "en"}
        Language of the labels (i18n ``mask_phone``, ``mask_national_id``, ``mask_number``,
        ``mask_email``).

    Returns
    -------
    str
    """
    norm, origin = normalise_for_matching(text)
    if not _MAYBE_PII.search(norm):
        return text
    spans: list[tuple[int, int, str]] = []
    chars = list(norm)
    position = 0
    while (match := _EMAIL.search(norm, position)) is not None:
        if not _is_email(match):
            # A sentence shaped like an address ("met at hospital.Then"): an address may
            # still start inside it, so look again from the next character.
            position = match.start() + 1
            continue
        spans.append((match.start(), match.end(), "mask_email"))
        chars[match.start() : match.end()] = _BARRIER * (match.end() - match.start())
        position = match.end()
    for match in _DATE.finditer(norm):
        if _is_date(match):
            chars[match.start() : match.end()] = _BARRIER * (match.end() - match.start())
    spans += _number_spans("".join(chars))
    if not spans:
        return text
    out: list[str] = []
    position = 0
    for start, end, key in sorted(spans):
        first, last = origin[start], origin[end - 1] + 1
        out.append(text[position:first])
        out.append(t(key, lang))
        position = last
    out.append(text[position:])
    return "".join(out)


def clean_comment(text: str, lang: str = "en") -> str:
    """A comment as it may be shown or shared: personal data masked, bidi controls removed."""
    return strip_bidi_controls(mask_pii(text, lang))


# --- CSV cells --------------------------------------------------------------------------------

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def needs_neutralising(value: object) -> bool:
    """Whether a cell is text that starts (after any quotes) like a formula.

    Plain numbers written as text (``-3``, ``+966``) are harmless and do not count.
    """
    if not isinstance(value, str):
        return False
    return value.lstrip("'")[:1] in FORMULA_PREFIXES and not (
        value[:1] != "'" and _PLAIN_NUMBER.fullmatch(value)
    )


def neutralise_cell(value: object) -> object:
    """``'`` + the cell when :func:`needs_neutralising`; anything else as it is."""
    return "'" + value if needs_neutralising(value) else value  # type: ignore[operator]


def unneutralise_cell(value: object) -> object:
    """The inverse of :func:`neutralise_cell`: what was written, read back as it was."""
    if isinstance(value, str) and value[:1] == "'" and needs_neutralising(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that can hold text: object, string and categorical of text."""
    columns = []
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            dtype = dtype.categories.dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            columns.append(column)
    return columns


def _map_text(frame: pd.DataFrame, cell, test) -> pd.DataFrame:
    changed = {}
    for column in _text_columns(frame):
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            if any(test(c) for c in categories):
                changed[column] = values.cat.rename_categories([cell(c) for c in categories])
            continue
        present = values.dropna()
        hits = [test(v) for v in present]
        if any(hits):
            mapped = values.copy()
            mapped.loc[present.index[hits]] = [
                cell(v) for v, h in zip(present, hits, strict=True) if h
            ]
            changed[column] = mapped
    return frame.assign(**changed) if changed else frame


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every formula-like text cell prefixed by ``'`` (OWASP CSV injection).

    Numeric, boolean and date columns are never touched, nor non-text values in an object
    column; the input is not modified, and is returned itself when no cell needs it (so a
    CSV without such cells is written byte for byte as before).
    """
    return _map_text(frame, neutralise_cell, needs_neutralising)


def unneutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`neutralise_frame`, for a frame read back from its CSV."""
    return _map_text(
        frame, unneutralise_cell, lambda v: isinstance(v, str) and unneutralise_cell(v) != v
    )
