"""Project paths and defaults, in one place.

Every other module asks here for where things live and which defaults apply, so a
researcher changes a path or a threshold once.
"""

from __future__ import annotations

from pathlib import Path

#: Repository root (``src/analysis/config.py`` -> two levels up from ``src``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEFAULT_STUDY_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"
LOCK_FILE = PROJECT_ROOT / "requirements.lock"

#: Wave names used everywhere downstream of ingest (the first wave in study.yml is the baseline).
WAVES = ("baseline", "followup")

#: Defaults of the optional ``thresholds`` and ``quality`` blocks of study.yml (DESIGN.md section 3).
DEFAULT_THRESHOLDS = {"min_report_n": 10, "target_index": 70}
LOW_PRECISION_N = 30
DEFAULT_QUALITY = {
    "preview": True,
    "test": True,
    "spam": True,
    "incomplete": True,
    "duplicates": True,
    "empty": True,
    "speeders": 0.33,
    "straightliners": 8,
    "fieldwork": True,
}

#: Size limit per input file, in megabytes (MiB): a larger file is refused unread, with one
#: problem naming its size. The environment variable ``ANALYSIS_MAX_FILE_MB`` overrides it.
#: 256 MiB holds about 1.6 million answers of a 20-question survey as CSV; reading takes
#: about 8 times the file's size in memory (benchmarks/bench_validate.py), so the default
#: keeps a study within 2 GB of memory per file.
MAX_FILE_MB = 256

#: Exclusion reasons, in the order the quality rules are applied (DESIGN.md section 8).
#: The first four come from a survey platform's own metadata (``analysis.platforms``):
#: preview and test responses, responses it flagged as spam, unfinished responses.
PLATFORM_REASONS = ("preview", "test", "spam", "incomplete")
#: The rules on the answers themselves, which every study has.
RESPONDENT_REASONS = ("duplicate", "empty", "speeder", "straightliner", "outside_fieldwork")
EXCLUSION_REASONS = (*PLATFORM_REASONS, *RESPONDENT_REASONS)

#: Random seed of the committed demo study.
DEMO_SEED = 20250105


#: Environment variable naming the study folder for notebooks run without ``study_dir``.
STUDY_DIR_ENV = "ANALYSIS_STUDY_DIR"


def resolve_study_dir(study_dir: str | Path | None = None) -> Path:
    """The study folder a notebook or command means, whatever the working directory.

    ``None`` or ``""`` means the environment variable ``ANALYSIS_STUDY_DIR``, else the demo
    study (``data/raw``). A relative path is taken from the working directory when it exists
    there, else from the project root: ``data/raw`` works from the root, from
    ``notebooks/`` (JupyterLab, ``papermill --cwd notebooks``) and from anywhere else.
    """
    import os

    if study_dir is None or str(study_dir).strip() == "":
        study_dir = os.environ.get(STUDY_DIR_ENV) or DEFAULT_STUDY_DIR
    path = Path(study_dir).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (PROJECT_ROOT / path).resolve()


def processed_dir(study_dir: Path) -> Path:
    """Derived tables of a study live in the sibling folder ``processed/`` (data/raw -> data/processed)."""
    return Path(study_dir).resolve().parent / "processed"
