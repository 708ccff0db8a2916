"""Quality rules, the exclusion ledger and the ``processed/`` tables (DESIGN.md section 8).

Every raw row that ``validate`` mapped to the tidy columns ends up in exactly one of two
places: ``processed/responses.parquet`` (analysed) or ``processed/excluded.csv`` (with one
reason). ``processed/ledger.csv`` counts both per agency and wave, and the counts are checked
in code: ``received = analysed + excluded`` must hold or the run stops with an internal error.

The core is pure (:func:`apply_quality_rules`, :func:`split_flagged`, :func:`ledger`,
:func:`order_rows`): plain DataFrames in, DataFrames out. :func:`prepare_study` and
:func:`run_prepare` are the thin glue to ``analysis.validate.load_study`` and the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import config
from analysis.privacy import clean_comment, neutralise_frame

if TYPE_CHECKING:
    from analysis.study import Study

#: Version of the processed tables' layout, kept in the inputs stamp: bump it whenever what
#: prepare writes changes (3: platform_flag column and reasons, masked excluded.csv comments,
#: formula-safe CSV cells), so that an old processed/ folder is prepared again.
PROCESSED_FORMAT = 3
PROCESSED_FORMAT_KEY = "__processed_format__"

#: The identifying columns that lead every row of ``excluded.csv``.
EXCLUDED_LEAD_COLUMNS = ("source_file", "source_row", "agency_id", "wave", "respondent", "reason")

#: Files written into ``config.processed_dir(study_dir)``.
RESPONSES_FILE = "responses.parquet"
EXCLUDED_FILE = "excluded.csv"
LEDGER_FILE = "ledger.csv"
AGENCIES_FILE = "agencies.parquet"
#: sha256 of each raw input the processed tables were built from; written last.
INPUTS_STAMP = "inputs.json"
INTERVENTIONS_FILE = "interventions.parquet"

FieldworkWindow = tuple[date, date] | None


class LedgerImbalanceError(RuntimeError):
    """Raised when rows would be lost or counted twice: a bug in this module, never user input."""


class StudyInputError(Exception):
    """The study folder has input problems; ``problems`` holds them, one printable line each."""

    def __init__(self, problems: Sequence[Any]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the study inputs")


# --------------------------------------------------------------------------------------------
# Pure core
# --------------------------------------------------------------------------------------------


def resolve_quality(quality: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge a study's ``quality`` block with ``config.DEFAULT_QUALITY``.

    ``False`` (or ``None``) switches a rule off; ``True`` on a rule with a threshold
    (``speeders``, ``straightliners``) means "on, with the default threshold".

    Returns
    -------
    dict
        ``duplicates``, ``empty``, ``fieldwork``: bool; ``speeders``: float or ``None`` (off);
        ``straightliners``: int or ``None`` (off).
    """
    merged = {**config.DEFAULT_QUALITY, **dict(quality or {})}
    resolved: dict[str, Any] = {}
    for rule in (*config.PLATFORM_REASONS, "duplicates", "empty", "fieldwork"):
        resolved[rule] = bool(merged[rule])
    for rule, cast in (("speeders", float), ("straightliners", int)):
        value = merged[rule]
        if value is None or value is False:
            resolved[rule] = None
        elif value is True:
            resolved[rule] = cast(config.DEFAULT_QUALITY[rule])
        else:
            resolved[rule] = cast(value)
    return resolved


def file_order(responses: pd.DataFrame) -> list[str]:
    """Source files in the order they first appear (``load_study`` reads them in study.yml order)."""
    return list(pd.unique(responses["source_file"].astype(object)))


def order_rows(frame: pd.DataFrame, files: Sequence[str] | None = None) -> pd.DataFrame:
    """Sort rows by wave (``config.WAVES`` order), source file (``files`` order), source row.

    The order is total (a raw row is identified by its file and row), so the output does not
    depend on the input order: this is what makes reruns byte-identical. The index is reset.
    """
    files = list(files) if files is not None else file_order(frame)
    unknown = set(frame["source_file"].astype(object)) - set(files)
    files = files + sorted(unknown)
    wave_rank = pd.Categorical(frame["wave"].astype(object), categories=list(config.WAVES)).codes
    file_rank = pd.Categorical(frame["source_file"].astype(object), categories=files).codes
    # Waves outside config.WAVES get code -1; put them last rather than first.
    wave_rank = np.where(wave_rank < 0, len(config.WAVES), wave_rank)
    order = np.lexsort((frame["source_row"].to_numpy(dtype="int64"), file_rank, wave_rank))
    return frame.iloc[order].reset_index(drop=True)


def _duplicate_mask(responses: pd.DataFrame, files: Sequence[str]) -> pd.Series:
    """Rows whose respondent id already appeared earlier in the same wave, in any agency.

    "Earlier" is file order, then row number. Rows without an id are never duplicates: there
    is nothing to compare. Ids are compared as text with surrounding blanks removed, so that
    ``"1017 "`` typed in one file matches ``"1017"`` in another.
    """
    ordered = order_rows(responses.assign(_pos=np.arange(len(responses))), files)
    respondent = ordered["respondent"].astype("string").str.strip()
    has_id = respondent.notna() & (respondent != "")
    repeated = ordered.assign(_id=respondent).duplicated(subset=["wave", "_id"], keep="first")
    flagged_pos = ordered.loc[has_id & repeated, "_pos"].to_numpy()
    mask = np.zeros(len(responses), dtype=bool)
    mask[flagged_pos] = True
    return pd.Series(mask, index=responses.index)


def _empty_mask(items: pd.DataFrame) -> pd.Series:
    """Rows with no rated item answered (every item NaN: N/A or blank)."""
    return items.isna().all(axis=1)


def _speeder_mask(responses: pd.DataFrame, share: float, already_excluded: pd.Series) -> pd.Series:
    """Rows faster than ``share`` x the median duration of their agency and wave.

    The median is taken over the rows of that agency and wave that have a duration and are not
    excluded by an earlier rule (duplicates and empty rows would otherwise pull it around).
    The comparison is strict, so a duration exactly at the threshold is kept; rows without a
    duration are never speeders.
    """
    if "duration_s" not in responses.columns:
        return pd.Series(False, index=responses.index)
    duration = pd.to_numeric(responses["duration_s"], errors="coerce").astype("float64")
    groups = [responses["agency_id"].astype(object), responses["wave"].astype(object)]
    eligible = duration.where(~already_excluded & duration.notna())
    median = eligible.groupby(groups, dropna=False).transform("median")
    # NaN durations and groups without any eligible duration compare False: not speeders.
    return (duration < share * median).fillna(False).astype(bool)


def _straightliner_mask(items: pd.DataFrame, min_answered: int) -> pd.Series:
    """Rows with at least ``min_answered`` items answered, all with the same answer."""
    answered = items.notna().sum(axis=1)
    identical = items.max(axis=1, skipna=True) == items.min(axis=1, skipna=True)
    return (answered >= min_answered) & identical.fillna(False).astype(bool)


def _outside_fieldwork_mask(
    responses: pd.DataFrame, fieldwork: Mapping[str, FieldworkWindow]
) -> pd.Series:
    """Rows dated before the start or after the end (both inclusive) of their wave's window.

    Waves without a window and rows without a date pass. Dates are compared by calendar day,
    so an interview at 15:00 on the last fieldwork day is inside.
    """
    mask = pd.Series(False, index=responses.index)
    if "date" not in responses.columns:
        return mask
    day = pd.to_datetime(responses["date"], errors="coerce").dt.normalize()
    wave = responses["wave"].astype(object)
    for wave_name, window in fieldwork.items():
        if window is None:
            continue
        start, end = (pd.Timestamp(bound).normalize() for bound in window)
        in_wave = (wave == wave_name).to_numpy()
        outside = ((day < start) | (day > end)).fillna(False).to_numpy(dtype=bool)
        mask |= in_wave & outside
    return mask


def apply_quality_rules(
    responses: pd.DataFrame,
    item_codes: Sequence[str],
    quality: Mapping[str, Any] | None,
    fieldwork: Mapping[str, FieldworkWindow],
    files: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Flag each raw row with the first quality rule it fails (DESIGN.md sections 3 and 8).

    Rules, in the order of ``config.EXCLUSION_REASONS``; the first that matches gives the
    row's only reason, so each excluded row is counted once:

    0. ``preview``, ``test``, ``spam``, ``incomplete``: the survey platform's own metadata
       says so (column ``platform_flag``, set from a platform export's Status, Finished and
       Progress columns by :mod:`analysis.platforms`).
    1. ``duplicate``: the respondent id was already seen in this wave (in any agency); the
       first row in file order, then row order, is kept.
    2. ``empty``: no item answered.
    3. ``speeder``: ``duration_s < speeders x median``, the median of the agency and wave over
       rows with a duration not excluded by rules 1-2.
    4. ``straightliner``: at least ``straightliners`` items answered, all identical.
    5. ``outside_fieldwork``: the date is outside the wave's ``[start, end]`` window.

    Parameters
    ----------
    responses : DataFrame
        Tidy rows (docs/architecture.md): ``agency_id``, ``wave``, ``respondent``,
        ``source_file``, ``source_row``, optional ``date`` and ``duration_s``, the items.
    item_codes : sequence of str
        The item columns (every rated item, the outcome included).
    quality : mapping
        The study's ``quality`` block; missing keys take ``config.DEFAULT_QUALITY``, ``False``
        switches a rule off.
    fieldwork : mapping
        Wave name (``baseline``/``followup``) to ``(start, end)`` dates, or ``None``.
    files : sequence of str, optional
        Source files in study.yml order, used for "first row" of duplicates. Defaults to the
        order in which files first appear in ``responses``.

    Returns
    -------
    DataFrame
        The same rows, same index and order, plus a string column ``reason`` (NA when kept).
    """
    item_codes = list(item_codes)
    if not item_codes:
        raise ValueError("item_codes is empty: a study has at least one rated item")
    rules = resolve_quality(quality)
    files = list(files) if files is not None else file_order(responses)
    items = responses[item_codes].apply(pd.to_numeric, errors="coerce").astype("float64")

    reason = pd.Series(pd.NA, index=responses.index, dtype="string")

    def assign(rule: str, mask: pd.Series) -> None:
        # First match wins: only rows without a reason yet take this one.
        reason.loc[mask.to_numpy(dtype=bool) & reason.isna().to_numpy()] = rule

    if "platform_flag" in responses.columns:  # what the survey platform says of a response
        flag = responses["platform_flag"].astype("string")
        for rule in config.PLATFORM_REASONS:
            if rules[rule]:
                assign(rule, (flag == rule).fillna(False))
    if rules["duplicates"]:
        assign("duplicate", _duplicate_mask(responses, files))
    if rules["empty"]:
        assign("empty", _empty_mask(items))
    if rules["speeders"] is not None:
        assign("speeder", _speeder_mask(responses, rules["speeders"], reason.notna()))
    if rules["straightliners"] is not None:
        assign("straightliner", _straightliner_mask(items, rules["straightliners"]))
    if rules["fieldwork"]:
        assign("outside_fieldwork", _outside_fieldwork_mask(responses, fieldwork))

    return responses.assign(reason=reason)


def split_flagged(
    flagged: pd.DataFrame, files: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split flagged rows into (analysed, excluded), both in :func:`order_rows` order.

    ``analysed`` has the tidy columns only (no ``reason``); ``excluded`` leads with
    ``EXCLUDED_LEAD_COLUMNS`` and then the other tidy columns in their original order.
    """
    ordered = order_rows(flagged, files)
    kept = ordered["reason"].isna()
    analysed = ordered.loc[kept].drop(columns="reason").reset_index(drop=True)
    lead = list(EXCLUDED_LEAD_COLUMNS)
    rest = [c for c in ordered.columns if c not in lead]
    excluded = ordered.loc[~kept, lead + rest].reset_index(drop=True)
    return analysed, excluded


def ledger(flagged: pd.DataFrame, agencies: Sequence[str]) -> pd.DataFrame:
    """Count received, analysed and excluded rows per agency and wave (DESIGN.md section 8).

    One row per agency of ``agencies`` (in that order) and wave of ``config.WAVES``, zero rows
    included, with columns ``agency_id, wave, received, analysed`` and one count column per
    reason of ``config.EXCLUSION_REASONS``. The balance ``received = analysed + sum(reasons)``
    and the grand total ``sum(received) = len(flagged)`` are checked.

    Raises
    ------
    LedgerImbalanceError
        If a row has an agency, wave or reason the ledger has no place for, or a balance
        fails: rows would silently go missing, which is a bug upstream or here.
    """
    reasons = list(config.EXCLUSION_REASONS)
    agencies = [str(a) for a in agencies]
    agency = flagged["agency_id"].astype(object).astype(str)
    wave = flagged["wave"].astype(object).astype(str)
    reason = flagged["reason"].astype(object).where(flagged["reason"].notna(), "analysed")

    stray = {
        "agency_id": sorted(set(agency) - set(agencies)),
        "wave": sorted(set(wave) - set(config.WAVES)),
        "reason": sorted(set(reason) - {"analysed", *reasons}),
    }
    stray = {column: values for column, values in stray.items() if values}
    if stray:
        raise LedgerImbalanceError(f"rows the ledger cannot place: {stray}")

    index = pd.MultiIndex.from_product([agencies, list(config.WAVES)], names=["agency_id", "wave"])
    counts = (
        pd.crosstab([agency.rename("agency_id"), wave.rename("wave")], reason)
        .reindex(index=index, columns=["analysed", *reasons], fill_value=0)
        .astype("int64")
    )
    counts.columns.name = None
    # Received is counted on its own (not as the sum of the other columns) so the check can fail.
    received = pd.Series(1, index=flagged.index).groupby([agency, wave]).sum()
    received = received.reindex(index, fill_value=0).astype("int64")
    table = counts.reset_index()
    table.insert(2, "received", received.to_numpy())
    table["agency_id"] = table["agency_id"].astype(str)
    table["wave"] = table["wave"].astype(str)

    unbalanced = table["received"] != table["analysed"] + table[reasons].sum(axis=1)
    if unbalanced.any() or int(table["received"].sum()) != len(flagged):
        raise LedgerImbalanceError(
            "received != analysed + excluded for "
            f"{table.loc[unbalanced, ['agency_id', 'wave']].to_dict('records')} "
            f"(total received {int(table['received'].sum())}, rows {len(flagged)})"
        )
    return table


# --------------------------------------------------------------------------------------------
# Glue: load_study -> rules -> processed/
# --------------------------------------------------------------------------------------------


@dataclass
class PreparedStudy:
    """Everything ``prepare`` derives from a study folder, before it is written to disk."""

    study: Study | None
    agencies: pd.DataFrame
    analysed: pd.DataFrame
    excluded: pd.DataFrame
    ledger: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    interventions: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: sha256 of each raw input, taken before reading, so a file changed mid-run is caught next time.
    inputs: dict[str, str] = field(default_factory=dict)


def study_rule_settings(
    study: Study,
) -> tuple[list[str], dict[str, Any], dict[str, FieldworkWindow]]:
    """Item codes, quality block and fieldwork windows (keyed baseline/followup) of a study.

    The first wave of study.yml is ``baseline`` and the second ``followup``, whatever their
    keys (``Study.waves_by_name``).
    """
    fieldwork = {name: wave.fieldwork for name, wave in study.waves_by_name.items()}
    return list(study.item_codes), study.quality.model_dump(), fieldwork


def raw_input_files(study_dir: Path, study: Study) -> list[Path]:
    """Every raw file a study is built from, in a stable order (missing optional files skipped)."""
    from analysis.study import is_inside_path

    study_dir = Path(study_dir)
    files = [study_dir / "study.yml", study_dir / "agencies.csv"]
    for wave in study.waves.values():
        # A path that leaves the folder is a study.yml problem; it is never opened.
        files += [study_dir / f for f in wave.files if is_inside_path(f)]
    files.append(study_dir / "interventions.csv")
    unique = list(dict.fromkeys(files))
    return [f for f in unique if f.exists()]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_fingerprint(study_dir: Path, study: Study) -> dict[str, str]:
    """sha256 of each raw input, keyed by its path relative to the study folder.

    Raises
    ------
    StudyInputError
        If an input is not a regular file inside the study folder (a link to ``/dev/zero``
        would otherwise be hashed forever, a link to ``/etc/passwd`` hashed and trusted).
    """
    from analysis.io import study_path_problem

    study_dir = Path(study_dir)
    files = raw_input_files(study_dir, study)
    problems = [
        problem
        for f in files
        if (problem := study_path_problem(study_dir, f, str(f.relative_to(study_dir))))
    ]
    if problems:
        raise StudyInputError(problems)
    stamp = {str(f.relative_to(study_dir)): file_sha256(f) for f in files}
    # A processed/ folder written by another version of this code is rebuilt, not trusted.
    stamp[PROCESSED_FORMAT_KEY] = PROCESSED_FORMAT
    return stamp


def prepare_study(study_dir: Path) -> PreparedStudy:
    """Load and check a study folder, then apply the quality rules and build the ledger.

    Raises
    ------
    StudyInputError
        If ``load_study`` found input problems (the caller lists them and exits 2).
    LedgerImbalanceError
        If rows would be lost (a bug, not an input problem).
    """
    from analysis.validate import load_study

    ingested = load_study(Path(study_dir))
    if ingested.problems or ingested.study is None:
        raise StudyInputError(ingested.problems)
    # Hashed once the files are known to be regular files inside the study folder.
    inputs = inputs_fingerprint(Path(study_dir), ingested.study)
    item_codes, quality, fieldwork = study_rule_settings(ingested.study)
    responses = ingested.responses
    files = file_order(responses)  # load_study reads the files in study.yml order
    flagged = apply_quality_rules(responses, item_codes, quality, fieldwork, files)
    agency_ids = ingested.agencies["agency_id"].astype(object).astype(str).tolist()
    table = ledger(flagged, agency_ids)
    analysed, excluded = split_flagged(flagged, files)
    return PreparedStudy(
        study=ingested.study,
        agencies=ingested.agencies,
        analysed=analysed,
        excluded=excluded,
        ledger=table,
        warnings=list(ingested.warnings),
        interventions=ingested.interventions,
        inputs=inputs,
    )


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename it over ``path``.

    ``os.replace`` is atomic on one file system: a reader sees the old file or the new one,
    never half of either, even if the run is interrupted.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file owner-only; give it the usual umask-based mode instead.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _integral_floats_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns holding only whole numbers as nullable ints, so a CSV shows 4, not 4.0."""
    converted = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values) and np.all(np.mod(values.dropna(), 1) == 0):
            converted[column] = values.astype("Int64")
    return frame.assign(**converted) if converted else frame


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV that Excel opens safely: BOM, whole numbers as ints, no formulas.

    Text cells that start like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return:
    ids, respondent ids and comments come from the study files) get a leading ``'``
    (:func:`analysis.privacy.neutralise_frame`); numeric and date columns are written as
    they are.
    """
    frame = neutralise_frame(_integral_floats_as_int(frame))
    # utf-8-sig: the BOM makes Excel open Arabic text correctly.
    _write_atomic(
        path,
        lambda tmp: frame.to_csv(
            tmp, index=False, encoding="utf-8-sig", lineterminator="\n", date_format="%Y-%m-%d"
        ),
    )


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    _write_atomic(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))


def excluded_for_csv(excluded: pd.DataFrame) -> pd.DataFrame:
    """The excluded rows as ``excluded.csv`` holds them: comments masked, bidi controls gone.

    ``excluded.csv`` is a file people open and pass on to check the quality rules, so its
    comments carry no phone number, id or e-mail (:func:`analysis.privacy.clean_comment`,
    English labels such as ``[phone number]``). ``responses.parquet`` keeps the raw
    comment, as docs/architecture.md says: the reports mask it when they render it, in the
    report's language. The input frame is not changed.
    """
    if "comment" not in excluded.columns:
        return excluded
    comment = excluded["comment"]
    present = comment.notna().to_numpy()
    if not present.any():
        return excluded
    masked = comment.copy()
    masked.loc[present] = [clean_comment(str(text)) for text in comment.loc[present]]
    return excluded.assign(comment=masked)


def write_prepared(prepared: PreparedStudy, out_dir: Path) -> dict[str, Path]:
    """Write the ``processed/`` files atomically; return their paths by name.

    The CSVs are formula-safe (:func:`_write_csv`) and ``excluded.csv`` has its comments
    masked (:func:`excluded_for_csv`); ``responses.parquet`` keeps the raw comments.
    """
    out_dir = Path(out_dir)
    paths = {
        "responses": out_dir / RESPONSES_FILE,
        "excluded": out_dir / EXCLUDED_FILE,
        "ledger": out_dir / LEDGER_FILE,
        "agencies": out_dir / AGENCIES_FILE,
        "interventions": out_dir / INTERVENTIONS_FILE,
    }
    # An interrupted rewrite must not look complete: the old stamp goes before any table changes.
    (out_dir / INPUTS_STAMP).unlink(missing_ok=True)
    _write_parquet(prepared.analysed, paths["responses"])
    _write_csv(excluded_for_csv(prepared.excluded), paths["excluded"])
    _write_csv(prepared.ledger, paths["ledger"])
    _write_parquet(prepared.agencies.reset_index(drop=True), paths["agencies"])
    _write_parquet(prepared.interventions.reset_index(drop=True), paths["interventions"])
    if prepared.inputs:
        # Written last: a stamp only exists for a complete set of processed tables.
        stamp = json.dumps(prepared.inputs, indent=1, sort_keys=True) + "\n"
        _write_atomic(out_dir / INPUTS_STAMP, lambda tmp: tmp.write_text(stamp, encoding="utf-8"))
    return paths


def summary_lines(table: pd.DataFrame) -> list[str]:
    """Totals of a ledger as short lines: received, excluded by reason, analysed."""
    # A platform's reasons are listed only where they occur (plain files never have them).
    reasons = [
        r
        for r in config.EXCLUSION_REASONS
        if r not in config.PLATFORM_REASONS or int(table[r].sum()) > 0
    ]
    received = int(table["received"].sum())
    analysed = int(table["analysed"].sum())
    by_reason = ", ".join(f"{r} {int(table[r].sum())}" for r in reasons)
    return [
        f"received  {received} rows",
        f"excluded  {received - analysed} rows ({by_reason})",
        f"analysed  {analysed} rows",
    ]


def run_prepare(study_dir: Path) -> int:
    """``python -m analysis prepare``: 0 when written, 2 with every input problem listed.

    Problems and warnings go to stderr as ``validate`` prints them; nothing is written when
    there are problems. A ledger imbalance is a bug: one line on stderr and exit status 1.
    """
    from analysis.validate import format_problems

    try:
        prepared = prepare_study(Path(study_dir))
    except StudyInputError as error:
        for line in format_problems(error.problems):
            print(line, file=sys.stderr)
        print(
            f"{len(error.problems)} problem(s): nothing written; run validate for details",
            file=sys.stderr,
        )
        return 2
    except LedgerImbalanceError as error:
        print(f"internal error, nothing written (please report this): {error}", file=sys.stderr)
        return 1
    from analysis.validate import warning_lines

    for line in warning_lines(prepared.warnings):
        print(line, file=sys.stderr)
    out_dir = config.processed_dir(Path(study_dir))
    paths = write_prepared(prepared, out_dir)
    for line in summary_lines(prepared.ledger):
        print(line)
    print(f"wrote {', '.join(p.name for p in paths.values())} to {out_dir}")
    return 0
