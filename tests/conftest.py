"""Shared fixtures: small simulated studies built once per test session.

Tests marked ``slow`` (long statistical checks: coverage over hundreds of simulated agencies,
bootstraps) are left out unless a ``-m`` expression selects them: ``make test`` stays fast,
``make test-slow`` (``pytest -m slow``) runs them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import config


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the slow tests out when no ``-m`` expression was given."""
    if config.getoption("markexpr"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("markexpr"):
        return None
    return "slow tests left out (run them with: make test-slow)"


@pytest.fixture(scope="session")
def small_study(tmp_path_factory) -> Path:
    """A 4-agency simulated study (3 programme, 1 comparison), about 60 answers a wave."""
    from analysis.simulate import simulate_study

    root = tmp_path_factory.mktemp("small-study")
    study_dir = root / "raw"
    simulate_study(study_dir, agencies=4, seed=11, responses=60)
    return study_dir


@pytest.fixture(scope="session")
def small_data(small_study):
    from analysis.dataset import load_study_data

    return load_study_data(small_study)


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory) -> Path:
    """A copy of the committed demo study (so its processed/ tables go to a temp folder)."""
    root = tmp_path_factory.mktemp("demo-study")
    shutil.copytree(config.DEFAULT_STUDY_DIR, root / "raw")
    return root / "raw"


@pytest.fixture(scope="session")
def demo_data(demo_study):
    from analysis.dataset import load_study_data

    return load_study_data(demo_study)


@pytest.fixture(scope="session")
def built_reports(small_study, tmp_path_factory):
    """Per-agency reports of the small study built by the real runner, in both languages.

    AG01 is the planted decliner, AG02 has a follow-up too small to report (fewer than 10
    answers) and AG04 is the comparison agency: between them every branch of the
    baseline, intervention and impact reports that a reader can meet.
    """
    from analysis.build import build

    reports = tmp_path_factory.mktemp("reports")
    status = build(
        small_study,
        reports,
        jobs=2,
        phases=["baseline", "intervention", "impact"],
        agencies=["AG01", "AG02", "AG04"],
    )
    return status, reports


@pytest.fixture(scope="session")
def built_baseline(built_reports):
    return built_reports
