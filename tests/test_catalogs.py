"""The gettext message catalogs (``src/analysis/locale``) and a third language without code."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis import catalogs, i18n

ROOT = Path(__file__).resolve().parents[1]


def _copy_locale(tmp_path: Path) -> Path:
    locale_dir = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale_dir)
    return locale_dir


def _french_catalog(locale_dir: Path) -> Path:
    """A French catalog made the documented way: the template, initialised with Babel."""
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "init",
            "-D",
            catalogs.DOMAIN,
            "-i",
            str(locale_dir / f"{catalogs.DOMAIN}.pot"),
            "-d",
            str(locale_dir),
            "-l",
            "fr",
        ]
    )
    from babel.messages.pofile import write_po

    path = catalogs.catalog_path("fr", locale_dir)
    catalog = catalogs._read(path)
    for message in catalog:  # a translator's pass, mechanised: French = the English
        if message.context:
            message.string = message.id
            if message.context == "key_findings":
                message.string = "Principaux résultats"
    with open(path, "wb") as handle:
        write_po(handle, catalog)
    return path


def test_when_the_shipped_catalogs_are_checked_then_no_message_is_missing_fuzzy_or_mismatched():
    assert catalogs.problems() == []
    assert set(catalogs.available_languages()) == {"ar", "en"}
    assert len(catalogs.load("ar").texts) > 400
    assert set(catalogs.load("ar").plurals) == set(catalogs.load("en").plurals)


def test_when_the_template_is_compared_with_english_then_it_holds_the_same_messages(tmp_path):
    # The committed reports.pot is what `make catalogs` writes from the English catalog.
    locale_dir = _copy_locale(tmp_path)
    catalogs.write_template(locale_dir)
    assert catalogs._read(locale_dir / "reports.pot") is not None
    written = [(m.context, m.id) for m in catalogs._read(locale_dir / "reports.pot") if m.context]
    committed = [(m.context, m.id) for m in catalogs._read(catalogs.TEMPLATE) if m.context]
    assert written == committed, "reports.pot is stale: run make catalogs"


def test_when_a_translation_is_removed_fuzzy_or_loses_a_placeholder_then_the_check_names_it(
    tmp_path,
):
    locale_dir = _copy_locale(tmp_path)
    path = catalogs.catalog_path("ar", locale_dir)
    text = path.read_text(encoding="utf-8")
    text = text.replace('msgstr "صفحة {page} من {pages}"', 'msgstr "صفحة {page}"')
    text = text.replace('msgctxt "portal_link"', '#, fuzzy\nmsgctxt "portal_link"')
    text = re.sub(r'msgctxt "key_findings"\nmsgid "Key findings"\nmsgstr ".*"\n', "", text)
    path.write_text(text, encoding="utf-8")
    catalogs.load.cache_clear()
    try:
        found = catalogs.problems(locale_dir)
    finally:
        catalogs.load.cache_clear()
    assert any("print_page: placeholders ['page'] differ" in line for line in found), found
    assert any("portal_link: fuzzy or untranslated" in line for line in found), found
    assert any("key_findings: missing" in line for line in found), found
    assert len(found) == 3, found


def test_when_the_english_wording_changes_then_update_marks_the_translation_fuzzy(tmp_path):
    locale_dir = _copy_locale(tmp_path)
    english = catalogs.catalog_path("en", locale_dir)
    text = english.read_text(encoding="utf-8")
    old = 'msgid "Key findings"\nmsgstr "Key findings"'
    assert old in text
    english.write_text(text.replace(old, 'msgid "Key findings"\nmsgstr "Main findings"'), "utf-8")
    catalogs.update(locale_dir)
    try:
        assert catalogs.load("en", locale_dir).texts["key_findings"] == "Main findings"
        assert "key_findings" in catalogs.load("ar", locale_dir).incomplete
        assert catalogs.problems(locale_dir) == [
            "locale/ar/LC_MESSAGES/reports.po: key_findings: fuzzy or untranslated"
        ]
    finally:
        catalogs.load.cache_clear()


def test_when_a_catalog_says_its_plural_rule_then_counted_nouns_follow_it(tmp_path):
    arabic = catalogs.load("ar")
    assert [arabic.plural("noun.agency", n) for n in (0, 1, 2, 5, 11, 100)] == [
        "{n} جهة",
        "جهة واحدة",
        "جهتان",
        "{n} جهات",
        "{n} جهةً",
        "{n} جهة",
    ]
    locale_dir = _copy_locale(tmp_path)
    _french_catalog(locale_dir)
    try:
        french = catalogs.load("fr", locale_dir)
        # French CLDR: 0 and 1 singular (plural=(n > 1)), English: only 1.
        assert [french.plural("noun.point", n) for n in (0, 1, 2)] == [
            "{n} point",
            "{n} point",
            "{n} points",
        ]
        assert french.texts["key_findings"] == "Principaux résultats"
        assert catalogs.problems(locale_dir) == []
    finally:
        catalogs.load.cache_clear()


def test_when_languages_are_listed_then_they_come_from_the_catalogs_with_cldr_directions():
    assert catalogs.available_languages() == i18n.LANGUAGES
    assert i18n.DIRECTION == {"ar": "rtl", "en": "ltr"}
    assert catalogs.direction("fa") == "rtl"
    assert catalogs.direction("fr") == "ltr"


def test_when_the_catalog_command_checks_then_it_prints_a_summary_and_exits_zero(capsys):
    assert catalogs.main(["check"]) == 0
    assert "0 problem(s) in the catalogs of ar, en" in capsys.readouterr().out
    assert catalogs.main(["bogus"]) == 2


def _third_language_study(study_dir: Path) -> None:
    """Give a simulated study a French edition: texts, agency names and languages."""
    path = study_dir / "study.yml"
    study = yaml.safe_load(path.read_text(encoding="utf-8"))

    def add_french(node):
        if isinstance(node, dict):
            if {"en", "ar"} <= set(node) and all(isinstance(v, str) for v in node.values()):
                node["fr"] = f"{node['en']} (fr)"
            for value in node.values():
                add_french(value)
        elif isinstance(node, list):
            for value in node:
                add_french(value)

    add_french(study)
    study["languages"] = ["fr", "en"]
    path.write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False), "utf-8")
    agencies = study_dir / "agencies.csv"
    with open(agencies, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["name_fr"] = f"Agence {row['agency_id']}"
    with open(agencies, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
def test_when_a_french_catalog_is_added_then_a_study_builds_french_reports_without_code(
    tmp_path,
):
    """Issue 14: "a third language would be a new catalog, no code"."""
    from analysis.simulate import simulate_study

    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    _french_catalog(project / "src" / "analysis" / "locale")
    study_dir = tmp_path / "raw"
    simulate_study(study_dir, agencies=3, seed=5, responses=40)
    _third_language_study(study_dir)
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    env.pop("ANALYSIS_STUDY_DIR", None)
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--data", str(study_dir)]
        + ["--reports", str(tmp_path / "reports"), "--phase", "baseline", "--agency", "AG01"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    page = (tmp_path / "reports" / "AG01" / "baseline.fr.html").read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr"' in page
    assert "Principaux résultats" in page
    assert "Agence AG01" in page
    assert 'href="baseline.en.html"' in page
    assert not (tmp_path / "reports" / "AG01" / "baseline.ar.html").exists()
