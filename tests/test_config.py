"""Where a study folder is looked for (analysis.config.resolve_study_dir)."""

from __future__ import annotations

import pytest

from analysis import config
from analysis.dataset import StudyDataError, load_study_data


def test_when_study_dir_is_empty_then_the_environment_or_the_demo_study(monkeypatch):
    monkeypatch.delenv(config.STUDY_DIR_ENV, raising=False)
    assert config.resolve_study_dir("") == config.DEFAULT_STUDY_DIR.resolve()
    assert config.resolve_study_dir(None) == config.DEFAULT_STUDY_DIR.resolve()
    monkeypatch.setenv(config.STUDY_DIR_ENV, "/somewhere/study")
    assert str(config.resolve_study_dir("")) == "/somewhere/study"


def test_when_relative_then_from_the_working_directory_else_the_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # like notebooks/: data/raw is not below it
    assert config.resolve_study_dir("data/raw") == (config.PROJECT_ROOT / "data/raw").resolve()
    (tmp_path / "mine").mkdir()
    assert config.resolve_study_dir("mine") == (tmp_path / "mine").resolve()


def test_when_the_study_folder_does_not_exist_then_the_error_says_so(tmp_path):
    with pytest.raises(StudyDataError, match="no study folder here"):
        load_study_data(tmp_path / "missing")


def test_when_a_notebook_runs_with_its_default_study_dir_then_the_environment_variable_applies(
    monkeypatch, tmp_path
):
    """From the new-user test: ANALYSIS_STUDY_DIR was ignored by a stock papermill run,
    because the notebooks' default was the literal "data/raw"."""
    import nbformat

    from analysis.nbexport import notebook_parameters

    monkeypatch.setenv(config.STUDY_DIR_ENV, str(tmp_path))
    for path in sorted((config.PROJECT_ROOT / "notebooks").glob("0*.ipynb")):
        default = notebook_parameters(nbformat.read(path, as_version=4))["study_dir"]
        assert config.resolve_study_dir(default) == tmp_path.resolve(), path.name
    monkeypatch.delenv(config.STUDY_DIR_ENV)
    assert config.resolve_study_dir("") == config.DEFAULT_STUDY_DIR.resolve()
