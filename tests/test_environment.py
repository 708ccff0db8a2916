"""The lock file and environment.yml must install the same exact pins."""

from __future__ import annotations

import importlib.metadata
import sys

import yaml

from analysis import config

sys.path.insert(0, str(config.PROJECT_ROOT / "scripts"))
from write_environment_yml import lock_pins  # noqa: E402


def _environment_pins() -> dict[str, str]:
    env = yaml.safe_load((config.PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_block = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    pins = {}
    for requirement in pip_block:
        if "==" in requirement:
            name, version = requirement.split("==")
            pins[name.lower()] = version
    return pins


def _lock() -> dict[str, str]:
    return lock_pins(config.LOCK_FILE.read_text(encoding="utf-8"))


def test_when_environment_yml_is_read_then_it_pins_exactly_the_lock():
    assert _environment_pins() == _lock()


def test_when_lock_is_read_then_every_line_is_an_exact_pin_of_the_key_packages():
    pins = _lock()
    for name in ("pandas", "pingouin", "statsmodels", "matplotlib", "papermill", "nbconvert"):
        assert name in pins, f"{name} is not pinned in requirements.lock"
    assert pins["pingouin"] == "0.7.0"


def test_when_the_venv_is_built_then_installed_versions_match_the_lock():
    pins = _lock()
    for name in ("pandas", "numpy", "scipy", "pingouin", "statsmodels", "matplotlib", "seaborn"):
        assert importlib.metadata.version(name) == pins[name], name
