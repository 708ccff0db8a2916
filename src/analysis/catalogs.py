"""Message catalogs of the reports: one gettext ``.po`` file per language, read with Babel.

Every word a report shows lives in ``locale/<lang>/LC_MESSAGES/reports.po`` beside this
module. A message is found by its context (``msgctxt``), a stable key such as
``key_findings`` or ``noun.point``; its ``msgid`` is the English wording, so a translator's
tool (Poedit, Weblate, Lokalize) shows the English beside the translation. Counted nouns
are plural entries whose forms follow the catalog's own ``Plural-Forms`` header: English
has two (``{n} point`` / ``{n} points``), Arabic six (zero, one, two, few, many, other;
"one" and "two" written as words, without ``{n}``).

Workflow (``make catalogs``)
    Edit the English wording in ``en/…/reports.po`` (its ``msgstr``) and the other
    languages in theirs. ``python -m analysis.catalogs update`` then rewrites the template
    ``locale/reports.pot`` from the English catalog and merges it into every other
    language with Babel (a message whose English changed is marked fuzzy there, a new
    one is added empty); ``python -m analysis.catalogs check`` lists what a language still
    lacks. The test suite runs the same check, so a report never shows a missing,
    fuzzy or mistranslated-placeholder message.

A third language is a new catalog and no code: ``pybabel init -D reports -i
src/analysis/locale/reports.pot -d src/analysis/locale -l fr``, translate, and list the
language in study.yml's ``languages``. Its text direction comes from Babel's CLDR data
(:func:`direction`).

References
----------
GNU gettext manual, "The Format of PO Files" and "Plural forms",
https://www.gnu.org/software/gettext/manual/
Babel, "Messages and Catalogs", https://babel.pocoo.org/en/latest/messages.html
"""

from __future__ import annotations

import gettext
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: Folder of the catalogs (``<lang>/LC_MESSAGES/<DOMAIN>.po``) and the template.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "reports"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
#: The language whose wording is the ``msgid`` of every message (the template's source).
SOURCE_LANGUAGE = "en"


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Where the catalog of ``lang`` lives."""
    return Path(locale_dir) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages(locale_dir: Path = LOCALE_DIR) -> tuple[str, ...]:
    """Languages with a catalog, sorted by code."""
    return tuple(
        sorted(
            p.name for p in Path(locale_dir).iterdir() if catalog_path(p.name, locale_dir).is_file()
        )
    )


@dataclass(frozen=True)
class Messages:
    """The messages of one language: plain texts and plural forms, by key (``msgctxt``)."""

    lang: str
    texts: dict[str, str]
    plurals: dict[str, tuple[str, ...]]
    plural_index: Callable[[int], int]
    #: Keys whose entry is fuzzy or untranslated (shown as the English, and a check fails).
    incomplete: tuple[str, ...] = ()

    def plural(self, key: str, n: int) -> str:
        """The form of plural message ``key`` for the whole count ``n``, chosen by the
        catalog's ``Plural-Forms`` expression."""
        forms = self.plurals[key]
        return forms[min(self.plural_index(int(n)), len(forms) - 1)]


def _read(path: Path):
    from babel.messages.pofile import read_po  # noqa: PLC0415 - only when a catalog is read

    with open(path, "rb") as handle:
        return read_po(handle)


@cache
def load(lang: str, locale_dir: Path = LOCALE_DIR) -> Messages:
    """Read the catalog of ``lang`` (cached for the life of the process).

    Raises
    ------
    KeyError
        No catalog for ``lang``.
    ValueError
        Two entries with one key, or a plural entry in a catalog without ``Plural-Forms``.
    """
    path = catalog_path(lang, locale_dir)
    if not path.is_file():
        raise KeyError(f"no message catalog for language {lang!r} (looked for {path})")
    catalog = _read(path)
    texts: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    incomplete = []
    for message in catalog:
        if not message.id or message.context is None:
            continue  # the header
        key = message.context
        if key in texts or key in plurals:
            raise ValueError(f"{path}: two messages with the key {key!r}")
        if message.pluralizable:
            forms = tuple(message.string) if isinstance(message.string, tuple | list) else ()
            if message.fuzzy or not all(forms):
                incomplete.append(key)
                forms = tuple(message.id)
            plurals[key] = forms
        else:
            text = message.string
            if message.fuzzy or not text:
                incomplete.append(key)
                text = message.id
            texts[key] = text
    return Messages(
        lang=lang,
        texts=texts,
        plurals=plurals,
        plural_index=gettext.c2py(_plural_expression(catalog.plural_forms)),
        incomplete=tuple(incomplete),
    )


def _plural_expression(plural_forms: str) -> str:
    """The C expression of a ``Plural-Forms`` header (``nplurals=2; plural=(n != 1);``)."""
    for part in plural_forms.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip() == "plural":
            return value.strip()
    return "0"


def direction(lang: str) -> str:
    """``"rtl"`` or ``"ltr"``: the script direction of ``lang`` (Babel's CLDR data)."""
    from babel import Locale  # noqa: PLC0415

    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def counted_nouns(text: str) -> set[str]:
    """Nouns a message counts with: the ``answer`` of ``{n:answer}``."""
    return {
        spec
        for _, name, spec, _ in string.Formatter().parse(text)
        if name and spec and spec.isidentifier()
    }


def problems(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """What the catalogs lack, one line each (empty when every language is complete).

    Every language has every key of the source language and no other, none fuzzy or
    empty, each with the placeholders of its English (a plural form may leave out
    ``{n}`` when it writes the number as a word), and every noun a message counts with
    (``{n:answer}``) has its plural entry in that catalog.
    """
    found = []
    source = load(SOURCE_LANGUAGE, locale_dir)
    for lang in available_languages(locale_dir):
        messages = load(lang, locale_dir)
        where = catalog_path(lang, locale_dir).relative_to(Path(locale_dir).parent)
        found += [f"{where}: {key}: fuzzy or untranslated" for key in messages.incomplete]
        for key in sorted(set(source.texts) - set(messages.texts)):
            found.append(f"{where}: {key}: missing")
        for key in sorted(set(source.plurals) - set(messages.plurals)):
            found.append(f"{where}: {key}: missing (plural)")
        for key in sorted(
            (set(messages.texts) | set(messages.plurals)) - set(source.texts) - set(source.plurals)
        ):
            found.append(f"{where}: {key}: not in the {SOURCE_LANGUAGE} catalog")
        for key, text in messages.texts.items():
            for noun in sorted(counted_nouns(text) - {k[5:] for k in messages.plurals}):
                found.append(
                    f"{where}: {key}: no counted noun {noun!r} (noun.{noun}) in the catalog"
                )
            if key in source.texts and placeholders(text) != placeholders(source.texts[key]):
                found.append(
                    f"{where}: {key}: placeholders {sorted(placeholders(text))} differ from "
                    f"{sorted(placeholders(source.texts[key]))}"
                )
        for key, forms in messages.plurals.items():
            if key not in source.plurals:
                continue
            expected = set().union(*map(placeholders, source.plurals[key])) - {"n"}
            for form in forms:
                if placeholders(form) - {"n"} != expected:
                    found.append(f"{where}: {key}: form {form!r} lacks or adds placeholders")
    return found


def write_template(locale_dir: Path = LOCALE_DIR) -> Path:
    """Rewrite ``reports.pot`` from the source-language catalog: ``msgid`` = its wording."""
    from babel.messages.catalog import Catalog  # noqa: PLC0415
    from babel.messages.pofile import write_po  # noqa: PLC0415

    source = _read(catalog_path(SOURCE_LANGUAGE, locale_dir))
    template = Catalog(
        project=source.project,
        version=source.version,
        msgid_bugs_address=source.msgid_bugs_address,
        copyright_holder="the project's authors",
        creation_date=source.creation_date,  # fixed: an update that changes nothing, writes nothing
        header_comment=(
            "# Template of the report messages, written from the English catalog by\n"
            "# `make catalogs`; start a language with pybabel init (docs/translating.md)."
        ),
        fuzzy=False,
    )
    for message in source:
        if not message.id or message.context is None:
            continue
        template.add(
            _source_wording(message),
            context=message.context,
            auto_comments=message.auto_comments,
            flags=set(message.flags) - {"fuzzy"},
        )
    path = Path(locale_dir) / f"{DOMAIN}.pot"
    with open(path, "wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=False)
    return path


def _source_wording(message) -> str | tuple[str, ...]:
    """A message's translation if it has one, else its ``msgid``."""
    complete = all(message.string) if message.pluralizable else bool(message.string)
    return message.string if complete else message.id


def _english_as_source(catalog):
    """The English catalog with every ``msgid`` set to its (edited) ``msgstr``."""
    from babel.messages.catalog import Catalog  # noqa: PLC0415

    fresh = Catalog(locale=catalog.locale, domain=DOMAIN, fuzzy=False)
    fresh.header_comment = catalog.header_comment
    fresh.mime_headers = catalog.mime_headers
    for message in catalog:
        if not message.id or message.context is None:
            continue
        wording = _source_wording(message)
        fresh.add(
            wording,
            wording,
            context=message.context,
            auto_comments=message.auto_comments,
            flags=set(message.flags) - {"fuzzy"},
        )
    return fresh


def update(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Template from English, then every catalog's ``msgid`` brought in line with it.

    The English catalog gets ``msgid`` = its own ``msgstr``; the others are merged with
    Babel's :meth:`~babel.messages.catalog.Catalog.update`, which keeps translations,
    marks a message whose English changed as fuzzy and adds new messages empty.
    """
    from babel.messages.pofile import write_po  # noqa: PLC0415

    template_path = write_template(locale_dir)
    template = _read(template_path)
    written = [template_path]
    for lang in available_languages(locale_dir):
        path = catalog_path(lang, locale_dir)
        catalog = _read(path)
        if lang == SOURCE_LANGUAGE:
            catalog = _english_as_source(catalog)
        else:
            catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
        with open(path, "wb") as handle:
            write_po(handle, catalog, width=100, sort_output=False, ignore_obsolete=True)
        written.append(path)
    load.cache_clear()
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.catalogs update|check``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["update"]:
        for path in update():
            print(f"wrote {path.relative_to(LOCALE_DIR.parent.parent.parent)}")
        args = ["check"]
    if args[:1] == ["check"]:
        found = problems()
        for line in found:
            print(line)
        languages = ", ".join(available_languages())
        print(f"{len(found)} problem(s) in the catalogs of {languages}")
        return 1 if found else 0
    print("usage: python -m analysis.catalogs update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
