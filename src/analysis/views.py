"""Building blocks every report shares: header, section headings, ledger, methods, footer.

Each function returns something a notebook cell can ``display``; the numbers come from
the measures modules and every word from :mod:`analysis.i18n`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from analysis import config, i18n
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.prepare import raw_input_files
from analysis.report import (
    _esc,
    header_html,
    provenance,
    provenance_html,
    table_html,
)

#: The other language's report sits beside this one; the portal one level up (agency
#: reports) or beside it (regional reports).


def section(key: str, lang: str, level: int = 2, **fmt: object) -> HTML:
    """A section heading: one question (REPORTS.md), in the report's language."""
    return HTML(f"<h{level}>{_esc(t(key, lang, **fmt))}</h{level}>")


def paragraph(text: str, css_class: str = "reading") -> HTML:
    return HTML(f'<p class="{css_class}">{_esc(text)}</p>')


def report_header(
    data: StudyData,
    phase: str,
    lang: str,
    agency_id: str | None,
    meta_lines: Iterable[str] = (),
) -> HTML:
    """Programme and agency title, phase, meta lines, links to the other language and portal."""
    study_title = data.text(data.study.title, lang)
    phase_name = t(f"phase_{phase}", lang)
    # The portal opens on this report's language (its sections are <section id="ar">...).
    if agency_id:
        title = f"{data.agency_name(agency_id, lang)}: {phase_name}"
        portal = f"../index.html#{lang}"
    else:
        title = phase_name
        portal = f"index.html#{lang}"
    lines = [study_title, *meta_lines]
    if agency_id:
        group = str(data.agency(agency_id)["group"])
        lines.insert(1, t(f"group_{group}", lang))
    return header_html(
        title,
        lang,
        meta_lines=lines,
        language_hrefs={other: f"{phase}.{other}.html" for other in data.study.languages},
        portal_href=portal,
    )


def fieldwork_line(data: StudyData, wave: str, lang: str) -> str:
    """E.g. "Baseline fieldwork: 5 January 2025 to 10 February 2025" (in Arabic with the
    Hijri dates too, :func:`analysis.i18n.fmt_date_long`)."""
    study_wave = data.study.waves_by_name[wave]
    label = data.text(study_wave.label, lang)
    if study_wave.fieldwork is None:
        return label
    start, end = study_wave.fieldwork
    return t(
        "fieldwork_line",
        lang,
        wave=label,
        start=i18n.fmt_date_long(start, lang),
        end=i18n.fmt_date_long(end, lang),
    )


def ledger_table(
    data: StudyData, lang: str, agency_id: str | None, waves: Iterable[str] = config.WAVES
) -> HTML:
    """The quality flow: received, excluded by reason and analysed interviews, one column a wave."""
    ledger = data.ledger
    if agency_id:
        ledger = ledger.loc[ledger["agency_id"] == agency_id]
    # A platform's reasons (preview, test, spam, incomplete) are rows only in a study that
    # has any: a plain-file study's table stays as it was, without four rows of zeros.
    reasons = [
        r
        for r in config.EXCLUSION_REASONS
        if r not in config.PLATFORM_REASONS or data.ledger[r].sum() > 0
    ]
    counts = ["received", *reasons, "analysed"]
    by_wave = ledger.groupby("wave", sort=False)[counts].sum()
    table = pd.DataFrame(
        {
            t("col_count", lang): [t("col_received", lang)]
            + [t(f"reason_{r}", lang) for r in reasons]
            + [t("col_analysed", lang)]
        }
    )
    for wave in waves:
        column = by_wave.loc[wave, counts] if wave in by_wave.index else pd.Series(0, index=counts)
        table[t(f"wave_{wave}", lang)] = column.astype(int).to_numpy()
    return table_html(table, lang, caption=t("caption_ledger", lang))


def ledger_sentence(data: StudyData, lang: str, agency_id: str | None, wave: str) -> str:
    ledger = data.ledger.loc[data.ledger["wave"] == wave]
    if agency_id:
        ledger = ledger.loc[ledger["agency_id"] == agency_id]
    received = int(ledger["received"].sum())
    analysed = int(ledger["analysed"].sum())
    return t(
        "methods_sample",
        lang,
        wave=t(f"wave_{wave}", lang),
        analysed=analysed,
        received=received,
        excluded=received - analysed,
    )


def segments_phrase(data: StudyData, lang: str) -> str:
    """The study's respondent groups in words ("gender, age"), for sentences naming them."""
    names = []
    for key, segment in data.study.segments.items():
        if key not in data.responses.columns:
            continue
        label = data.text(segment.label, lang) if segment.label else key.replace("_", " ")
        if not i18n.is_rtl(lang) and label[1:2].islower():
            label = label[:1].lower() + label[1:]  # inside a sentence: "by gender, age"
        names.append(label)
    # "gender, age band and visit" / «الجنس والفئة العمرية ونوع الزيارة»: the language's
    # own list pattern (CLDR, through Babel), not a comma between every name.
    from babel.lists import format_list

    return format_list(names, locale=lang) if names else ""


def methods_note(
    data: StudyData,
    lang: str,
    agency_id: str | None,
    keys: Iterable[str],
    waves: Iterable[str] = config.WAVES,
) -> list[HTML]:
    """The methods section: sample and exclusions, definitions, suppression rule."""
    waves = list(waves)
    parts = [section("methods_note", lang)]
    parts += [paragraph(ledger_sentence(data, lang, agency_id, w)) for w in waves]
    parts.append(ledger_table(data, lang, agency_id, waves))
    for key in keys:
        parts.append(paragraph(t(key, lang, segments=segments_phrase(data, lang))))
    parts.append(
        paragraph(
            t(
                "methods_suppression",
                lang,
                min_n=data.min_report_n,
                low_n=config.LOW_PRECISION_N,
            )
        )
    )
    return parts


def footer(data: StudyData, lang: str, params: dict) -> HTML:
    """Provenance: study title, data hashes, parameters, code version, package versions.

    A report of one agency (``params["agency_id"]``) hashes ``study.yml`` and that agency's
    own prepared data (:meth:`StudyData.agency_digest`), so that a correction to another
    agency's answers leaves its footer, and its bytes, as they were; the regional report
    hashes every raw input file.
    """
    agency_id = str(params.get("agency_id") or "")
    if agency_id:
        prov = provenance(Path(data.study_dir), params, [Path(data.study_dir) / "study.yml"])
        prov["files"][f"processed/ ({agency_id})"] = data.agency_digest(agency_id)
        prov["files"] = dict(sorted(prov["files"].items()))
    else:
        prov = provenance(Path(data.study_dir), params, raw_input_files(data.study_dir, data.study))
    return provenance_html(prov, lang)


def target_phrase(value: float, ci_low: float, ci_high: float, target: float, lang: str) -> str:
    """'above/below/at the target of 70': above or below only when the interval excludes it,
    by :func:`threshold_status`, the rule the league tables and next steps use too."""
    status = threshold_status(ci_low, ci_high, target)
    key = {"met": "above_target", "below": "below_target"}.get(status, "around_target")
    return t(key, lang, target=i18n.fmt_num(target, 0, lang))


def index_phrase(estimate: float, ci_low: float, ci_high: float, lang: str) -> str:
    """'64 of 100 [60, 68]'."""
    return (
        t("of_100", lang, value=i18n.fmt_num(estimate, 0, lang))
        + " "
        + i18n.fmt_interval(ci_low, ci_high, 0, lang)
    )


def plain_index_phrase(estimate: float, ci_low: float, ci_high: float, lang: str) -> str:
    """'64 of 100 (margin of error 60–68)': :func:`index_phrase` for a key finding, where
    the reader is not assumed to read bracketed intervals (issue 16)."""
    return t(
        "index_margin",
        lang,
        value=i18n.fmt_num(estimate, 0, lang),
        range=i18n.fmt_range(ci_low, ci_high, 0, lang),
    )


def target_flag(ci_low: float, ci_high: float, target: float, lang: str) -> str:
    """A league table's cell for the follow-up index against the target, by
    :func:`threshold_status`: clearly above / within the margin of error / clearly below,
    a dash when the interval is unknown (the regional report and the portal)."""
    status = threshold_status(ci_low, ci_high, target)
    if not status:
        return i18n.MISSING
    key = {"met": "flag_above", "margin": "flag_margin"}.get(status, "flag_clearly_below")
    return t(key, lang)


def threshold_status(ci_low: float, ci_high: float, threshold: float) -> str:
    """``met`` (interval above the threshold), ``below`` (interval below it) or ``margin``
    (the interval contains it: within the margin of error); ``""`` when unknown."""
    if i18n._is_missing(ci_low) or i18n._is_missing(ci_high):
        return ""
    if ci_low >= threshold:
        return "met"
    if ci_high < threshold:
        return "below"
    return "margin"


def standards_table(data: StudyData, levels: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Each agency's dimension index at ``wave`` against study.yml ``thresholds.standards``.

    ``levels`` is a level table (:meth:`analysis.dataset.StudyData.levels`). Columns
    ``agency_id, code, estimate, ci_low, ci_high, standard, status`` (status of
    :func:`threshold_status`); empty when the study sets no standard.
    """
    columns = ["agency_id", "code", "estimate", "ci_low", "ci_high", "standard", "status"]
    standards = data.study.thresholds.standards
    if not standards or levels.empty:
        return pd.DataFrame(columns=columns)
    rows = levels.loc[
        (levels["scope"] == "dimension")
        & (levels["metric"] == "index")
        & (levels["wave"] == wave)
        & (levels["code"].isin(list(standards)))
    ].copy()
    rows["standard"] = rows["code"].map(standards).astype(float)
    rows["status"] = [
        threshold_status(lo, hi, s)
        for lo, hi, s in zip(rows["ci_low"], rows["ci_high"], rows["standard"], strict=True)
    ]
    rows = rows.loc[rows["status"] != ""]
    return rows[columns].reset_index(drop=True)


def standards_sentence(
    data: StudyData, levels: pd.DataFrame, wave: str, lang: str, plain: bool = False
) -> str | None:
    """'Minimum standards: Staff 62 [58, 66], meets 60; ...' for one agency, or None
    (``plain``: without the bracketed intervals, for the key findings)."""
    table = standards_table(data, levels, wave)
    if table.empty:
        return None
    suffix = "_plain" if plain else ""
    parts = [
        t(
            f"standard_{r['status']}{suffix}",
            lang,
            dimension=data.dimension_label(r["code"], lang),
            value=i18n.fmt_num(r["estimate"], 0, lang),
            interval=i18n.fmt_interval(r["ci_low"], r["ci_high"], 0, lang),
            standard=i18n.fmt_num(r["standard"], 0, lang),
        )
        for _, r in table.iterrows()
    ]
    return t("standards_lead", lang, items=t("list_separator_strong", lang).join(parts))
