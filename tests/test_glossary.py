"""The catalogs use the glossary's terms (docs/glossary.md) and Arabic counted nouns agree.

The rejected renderings are read from the glossary's "Rejected renderings" table, so an
editor adds a row there and the test enforces it; the counted-noun table checks every
``noun.*`` entry of the Arabic catalog against Babel's CLDR plural categories.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale

from analysis import catalogs, i18n

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"


def _table(heading: str) -> list[list[str]]:
    """Rows (cells) of the Markdown table under ``## heading`` in the glossary."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]


def _messages(lang: str) -> dict[str, str]:
    """Every message of ``lang``, plural forms included (``noun.point[3]``)."""
    messages = catalogs.load(lang)
    found = dict(messages.texts)
    for key, forms in messages.plurals.items():
        found.update({f"{key}[{i}]": form for i, form in enumerate(forms)})
    return found


REJECTED = _table("Rejected renderings")


def test_the_glossary_has_terms_and_rejected_renderings():
    terms = _table("Terms")
    assert len(terms) >= 40 and all(len(row) == 3 and all(row) for row in terms)
    assert len({row[1] for row in terms}) == len(terms), "one row per concept"
    assert REJECTED and all(row[0] in catalogs.available_languages() for row in REJECTED)


@pytest.mark.parametrize("lang", catalogs.available_languages())
def test_no_catalog_message_uses_a_rejected_rendering(lang):
    rejected = [(row[1], row[2]) for row in REJECTED if row[0] == lang]
    found = [
        f"{key}: «{bad}» (use «{good}»)"
        for key, text in _messages(lang).items()
        for bad, good in rejected
        if bad in text
    ]
    assert not found, "\n".join(found)


#: Arabic nouns a number may precede: a count must reach them through {x:noun}.
_NOUN_WORDS = (
    "نقطة|نقاط|جهة|جهات|إجابة|إجابات|مقابلة|مقابلات|نشاط|أنشطة|أسبوع|أسابيع|مرتبة|مراتب|"
    "ساعة|ساعات|موظف|موظفين|تعليق|تعليقات|مستفيد|مستفيدين"
)


def test_arabic_counts_agree_through_a_noun_spec_not_a_fixed_noun():
    bare = re.compile(r"\{\w+\}\s*(" + _NOUN_WORDS + r")\b")
    found = [
        f"{key}: {text}" for key, text in catalogs.load("ar").texts.items() if bare.search(text)
    ]
    assert not found, "\n".join(found)


#: Counts that cover every CLDR category of Arabic and the hundreds that reset them.
COUNTS = (0, 1, 2, 3, 7, 10, 11, 29, 99, 100, 101, 102, 103, 111, 310, 1000, 1002)
NOUNS = sorted(k[5:] for k in catalogs.load("ar").plurals if k.startswith("noun."))
CATEGORIES = ("zero", "one", "two", "few", "many", "other")


@pytest.mark.parametrize("noun", NOUNS)
def test_arabic_counted_nouns_follow_the_cldr_plural_rules(noun):
    forms = catalogs.load("ar").plurals[f"noun.{noun}"]
    assert len(forms) == len(CATEGORIES)
    rule = Locale.parse("ar").plural_form
    for n in COUNTS:
        category = rule(n)
        shown = i18n.count_phrase(n, noun, "ar")
        assert shown == forms[CATEGORIES.index(category)].format(n=n), (noun, n)
        if category in ("one", "two"):  # one and two as words
            assert not re.search(r"\d", shown), (noun, n, shown)
        else:
            assert str(n) in shown, (noun, n, shown)
        if category == "many":  # 11-99: accusative singular (tanween, or a fatha in a construct)
            assert "ً" in shown or "َ" in shown, (noun, n, shown)
    # 3-10 take the plural, unlike 100 and 11-99.
    assert forms[3].replace("{n}", "") not in (forms[5].replace("{n}", ""),), noun
    # a signed change keeps its digits
    assert re.search(r"\d", i18n.count_phrase(2, noun, "ar", signed=True))


@pytest.mark.parametrize("noun", NOUNS)
def test_english_counted_nouns_are_singular_for_one(noun):
    one, many = i18n.count_phrase(1, noun, "en"), i18n.count_phrase(120, noun, "en")
    assert one.startswith("1 ") and many.startswith("120 ") and one != many.replace("120", "1")
