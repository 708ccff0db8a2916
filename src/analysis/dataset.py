"""The prepared study as the notebooks and the results table see it.

:func:`load_study_data` reads ``study.yml`` and the ``processed/`` tables that
``python -m analysis prepare`` wrote, running prepare first when they are missing or
older than the raw inputs, so a researcher can open any notebook on a fresh checkout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config
from analysis.prepare import INPUTS_STAMP, inputs_fingerprint
from analysis.study import Study, load_study_yml


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, dtypes and values (row order matters, index not)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def agency_rows(frame: pd.DataFrame, agency_id: str, own: bool = True) -> pd.DataFrame:
    """The rows of one agency (``own``) or of every other agency; none without ``agency_id``."""
    if "agency_id" not in frame.columns:
        return frame.iloc[0:0] if own else frame
    mask = frame["agency_id"].astype(str) == agency_id
    return frame.loc[mask if own else ~mask]


class StudyDataError(Exception):
    """The study folder has input problems; run ``python -m analysis validate`` for the list."""


def _load_yml(study_dir: Path) -> Study:
    if not Path(study_dir).is_dir():
        raise StudyDataError(
            f"{study_dir}: no study folder here (give study_dir as a path from the project "
            f"root or an absolute path, or set {config.STUDY_DIR_ENV})"
        )
    study, problems = load_study_yml(study_dir)
    if study is None or problems:
        shown = "; ".join(p.line() for p in problems[:3])
        raise StudyDataError(
            f"{study_dir}: study.yml has problems ({shown}); run "
            f"`python -m analysis validate --data {study_dir}`"
        )
    return study


def ensure_prepared(study_dir: Path) -> Path:
    """Run prepare when ``processed/`` is missing or was built from other raw inputs.

    Returns the processed folder. Raises :class:`StudyDataError` when the inputs have problems.
    """
    from analysis.prepare import StudyInputError, prepare_study, write_prepared

    study_dir = Path(study_dir)
    study = _load_yml(study_dir)
    out = config.processed_dir(study_dir)
    stamp = out / INPUTS_STAMP
    try:
        fingerprint = inputs_fingerprint(study_dir, study)
        if stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == fingerprint:
            return out
        prepared = prepare_study(study_dir)
    except StudyInputError as exc:
        raise StudyDataError(
            f"{study_dir}: the inputs have problems; run `python -m analysis validate --data {study_dir}`"
        ) from exc
    write_prepared(prepared, out)
    return out


@dataclass
class StudyData:
    """A prepared study: the codebook and the analysed, excluded and ledger tables."""

    study_dir: Path
    study: Study
    agencies: pd.DataFrame
    responses: pd.DataFrame
    ledger: pd.DataFrame
    excluded: pd.DataFrame
    interventions: pd.DataFrame = field(default_factory=pd.DataFrame)

    # Shorthands the measures take as plain parameters.
    @property
    def items(self) -> list[str]:
        return list(self.study.items)

    @property
    def dimensions(self) -> dict[str, list[str]]:
        return {code: list(d.items) for code, d in self.study.dimensions.items()}

    @property
    def outcome(self) -> str:
        return self.study.outcome

    @property
    def scale_min(self) -> int:
        return self.study.scale.min

    @property
    def scale_max(self) -> int:
        return self.study.scale.max

    @property
    def min_report_n(self) -> int:
        return self.study.thresholds.min_report_n

    @property
    def target_index(self) -> float:
        return float(self.study.thresholds.target_index)

    @cached_property
    def programme_ids(self) -> list[str]:
        return self.agencies.loc[self.agencies["group"] == "programme", "agency_id"].tolist()

    def agency(self, agency_id: str) -> pd.Series:
        """The agencies.csv row of one agency; a clear error for an unknown id."""
        rows = self.agencies.loc[self.agencies["agency_id"] == agency_id]
        if rows.empty:
            known = ", ".join(self.agencies["agency_id"].head(8))
            raise StudyDataError(f"unknown agency id {agency_id!r} (known: {known}, ...)")
        return rows.iloc[0]

    def agency_digest(self, agency_id: str) -> str:
        """SHA-256 of one agency's own prepared data.

        Its ``agencies.csv`` row, analysed and excluded answers, ledger rows and activity
        log: what an agency's report footer prints, and what the build compares to decide
        that a change elsewhere in the study leaves this agency's data as it was.
        """
        tables = (self.agencies, self.responses, self.excluded, self.ledger, self.interventions)
        digest = hashlib.sha256()
        for table in tables:
            digest.update(frame_digest(agency_rows(table, agency_id)).encode())
        return digest.hexdigest()

    def agency_name(self, agency_id: str, lang: str) -> str:
        return str(self.agency(agency_id)[f"name_{lang}"])

    def wave_responses(self, wave: str, agency_id: str | None = None) -> pd.DataFrame:
        frame = self.responses.loc[self.responses["wave"] == wave]
        if agency_id is not None:
            frame = frame.loc[frame["agency_id"] == agency_id]
        return frame

    def text(self, labels: dict[str, str], lang: str) -> str:
        """A label of the codebook in the report's language."""
        return labels.get(lang) or next(iter(labels.values()))

    def dimension_label(self, code: str, lang: str) -> str:
        """A dimension's label of study.yml in the report's language."""
        return self.text(self.study.dimensions[code].label, lang)

    def item_label(self, code: str, lang: str) -> str:
        """An item's question text of study.yml in the report's language."""
        return self.text(self.study.items[code].text, lang)

    def levels(
        self, responses: pd.DataFrame, phase: str, outcome_only: bool = False, **options: Any
    ) -> pd.DataFrame:
        """:func:`analysis.measures.level_table` of ``responses`` with this study's codebook.

        Every item and dimension, or with ``outcome_only`` just the overall-satisfaction
        item; ``options`` go to ``level_table`` (e.g. ``recommend=None``).
        """
        from analysis import measures  # the statistics libraries: only when computing

        return measures.level_table(
            responses,
            [self.outcome] if outcome_only else self.items,
            {} if outcome_only else self.dimensions,
            self.outcome,
            self.scale_min,
            self.scale_max,
            self.min_report_n,
            phase=phase,
            **options,
        )


def load_study_data(study_dir: Path | str | None = None) -> StudyData:
    """Load a prepared study, preparing it first if needed.

    ``study_dir`` is resolved by :func:`analysis.config.resolve_study_dir`: absolute, or
    relative to the working directory or the project root; empty means the demo study.
    """
    study_dir = config.resolve_study_dir(study_dir)
    out = ensure_prepared(study_dir)
    study = _load_yml(study_dir)
    from analysis.prepare import AGENCIES_FILE, EXCLUDED_FILE, LEDGER_FILE, RESPONSES_FILE
    from analysis.privacy import unneutralise_frame

    interventions_path = out / "interventions.parquet"
    return StudyData(
        study_dir=study_dir,
        study=study,
        agencies=pd.read_parquet(out / AGENCIES_FILE),
        responses=pd.read_parquet(out / RESPONSES_FILE),
        # The CSVs carry a leading quote on formula-like text cells (for Excel): read back
        # what was computed.
        ledger=unneutralise_frame(
            pd.read_csv(out / LEDGER_FILE, encoding="utf-8-sig", dtype={"agency_id": str})
        ),
        excluded=unneutralise_frame(
            pd.read_csv(out / EXCLUDED_FILE, encoding="utf-8-sig", dtype=str)
        ),
        interventions=(
            pd.read_parquet(interventions_path) if interventions_path.exists() else pd.DataFrame()
        ),
    )
