"""``reports/index.html``: the portal that links every report in both languages.

One page, one section per language: the study's first language shown and on ``<html lang
dir>`` (``<html lang="ar" dir="rtl">``), a link to each other language that shows its section
instead (CSS ``:target``, no script, ``index.html#en``); self-contained, relative links only, and without timestamps
so a rebuild is identical. On a phone the page reflows and a wide table scrolls inside its
own box, never the page.
Reports that failed are listed with where their executed notebook was kept. When the
study has a follow-up wave, the regional league table (:func:`analysis.regional.league_table`,
the numbers of the regional report) is shown; the portal computes it from ``data`` itself.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from analysis import i18n, views
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.report import write_text_atomic

PORTAL_FILE = "index.html"
AGENCY_PHASES = ("baseline", "intervention", "impact")

_CSS = """
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{font-family:"Segoe UI",Tahoma,"Noto Naskh Arabic","Noto Sans Arabic","DejaVu Sans",sans-serif;
max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;color:#0b4a7d}
p.sub{color:#444;margin-top:0}table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:start;font-weight:bold;padding:.4rem 0}
.table-wrap caption{max-width:calc(100vw - 2rem);position:sticky;inset-inline-start:0}
th,td{border-bottom:1px solid #ccd;padding:.35rem .5rem;text-align:start;vertical-align:top}
thead th{border-bottom:2px solid #333}td.links a{margin-inline-end:.6rem}
.ar{font-family:"Noto Naskh Arabic","Segoe UI",Tahoma,"DejaVu Sans",sans-serif}
.missing{color:#666}.failed{color:#8a1c00}code{font-size:.85rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.table-wrap{overflow-x:auto;max-width:100%;margin:.5rem 0 1rem}
.table-wrap:focus-visible{outline:2px solid #0b4a7d}
nav.lang{margin:.5rem 0}nav.lang a{font-weight:bold}
section.portal-lang~section.portal-lang:not(:target){display:none}
body:has(section.portal-lang:target) section.portal-lang:not(:target){display:none}
@media (max-width:600px){body{margin:1rem auto;padding:0 .6rem}table{font-size:.85rem}
th,td{padding:.3rem .35rem}h1{font-size:1.3rem}}
@media print{@page{size:A4;margin:15mm}a{color:inherit}.table-wrap{overflow:visible}
thead{display:table-header-group}tr{break-inside:avoid}}
"""


def _wrap(table_html: str, label: str) -> str:
    """A table in a box that scrolls sideways on a narrow screen (the page does not)."""
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_e(label)}">'
        f"{table_html}</div>"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _links(reports_dir: Path, stem: str, langs: Iterable[str]) -> str:
    cells = []
    for lang in langs:
        target = f"{stem}.{lang}.html"
        name = t("language_name", lang)
        if (reports_dir / target).exists():
            cells.append(f'<a href="{_e(target)}" hreflang="{lang}" lang="{lang}">{_e(name)}</a>')
    return " ".join(cells) or '<span class="missing">—</span>'


def built_phases(reports_dir: Path, agency_ids: Iterable[str]) -> list[str]:
    """Agency phases with at least one report on disk, in programme order."""
    ids = list(agency_ids)
    return [
        phase
        for phase in AGENCY_PHASES
        if any(any((reports_dir / a).glob(f"{phase}.*.html")) for a in ids)
    ]


def _num(x: object, decimals: int = 1, signed: bool = False, lang: str = "en") -> str:
    text = i18n.fmt_num(x, decimals, "en")
    if signed and text != i18n.MISSING and float(text) > 0:
        text = "+" + text
    elif i18n.is_rtl(lang) and text.startswith("-"):
        text = i18n.LRM + text
    return text


def league_section(data: StudyData, lang: str = "en") -> list[str]:
    """The regional league table in ``lang`` (empty without a follow-up wave). Numbers as in
    the regional report: follow-up rank with its 95% interval, change with the interval
    adjusted like its p and its reading: Benjamini-Hochberg across the programme agencies,
    Holm within the agency for a comparison agency (the control, outside that family)."""
    from analysis.regional import league_table

    if not (data.responses["wave"] == "followup").any():
        return []
    league = league_table(data)
    suppressed = i18n.fmt_suppressed(lang, data.min_report_n)
    target = i18n.fmt_num(data.target_index, 0)
    caption = t("portal_league_caption", lang, n=data.min_report_n)
    head = "".join(
        f'<th scope="col"{" class=num" if num else ""}>{_e(text)}</th>'
        for text, num in (
            (t("portal_rank", lang), True),
            (t("portal_agency", lang), False),
            (t("portal_group", lang), False),
            (t("portal_baseline", lang), True),
            (t("portal_followup", lang), True),
            (t("portal_change", lang), True),
            (t("portal_reading", lang), False),
            (t("portal_target", lang, target=target), False),
        )
    )
    rows = []
    for _, row in league.iterrows():
        ranked = not i18n._is_missing(row["rank"])
        rank = (
            i18n.fmt_num(row["rank"], 0)
            + " "
            + i18n.fmt_interval(row["rank_low"], row["rank_high"], 0, lang)
            if ranked
            else suppressed
        )
        if row["suppressed"]:
            change_text, reading = suppressed, i18n.MISSING
        else:
            change_text = (
                f"{_num(row['change'], signed=True, lang=lang)} "
                f"{i18n.fmt_interval(row['shown_low'], row['shown_high'], 1, lang)}"
            )
            family = (
                t(f"family_{row['p_adj_method']}", lang)
                if row["p_adj_method"] in ("bh", "holm")
                else ""
            )
            sep = t("list_separator", lang)
            p_text = i18n.fmt_p(row["p_adj"], lang) + (sep + family if family else "")
            reading = f"{t(_VERDICT_KEYS[row['direction']], lang)} ({p_text})"
        # The follow-up interval against the target: the one rule of every report.
        flag = (
            views.target_flag(row["followup_low"], row["followup_high"], data.target_index, lang)
            if ranked
            else i18n.MISSING
        )
        followup = _num(row["followup"]) if ranked else suppressed
        rows.append(
            "<tr>"
            f'<td class="num">{_e(rank)}</td>'
            f'<th scope="row">{_e(row[f"name_{lang}"])} <code>{_e(row["agency_id"])}</code></th>'
            f"<td>{_e(t('group_' + str(row['group']), lang))}</td>"
            f'<td class="num">{_e(_num(row["baseline"]))}</td>'
            f'<td class="num">{_e(followup)}</td>'
            f'<td class="num">{_e(change_text)}</td>'
            f"<td>{_e(reading)}</td><td>{_e(flag)}</td></tr>"
        )
    table = (
        f'<table class="league"><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    out = [f"<h2>{_e(t('portal_league', lang))}</h2>", _wrap(table, t("portal_league", lang))]
    # The forum's list of agencies under a minimum standard (thresholds.standards), if set.
    from analysis.regional import RegionalReport

    below = RegionalReport(data, lang).below_standard_sentence()
    if below:
        out.append(f'<p class="below-standard">{_e(below)}</p>')
    return out


_VERDICT_KEYS = {
    "improved": "verdict_improved",
    "declined": "verdict_declined",
    "no clear change": "verdict_no_clear_change",
}


def _section(
    data: StudyData,
    reports_dir: Path,
    failures: list[dict],
    extra_sections: list[str],
    lang: str,
) -> list[str]:
    """The portal in one language: a ``<section lang dir id>`` of the page."""
    langs = list(data.study.languages)
    study_title = data.text(data.study.title, lang)
    direction = i18n.DIRECTION[lang]
    switch = " ".join(
        f'<a href="#{other}" lang="{other}" hreflang="{other}">{_e(t("language_name", other))}</a>'
        for other in langs
        if other != lang
    )
    out = [
        f'<section class="portal-lang" id="{lang}" lang="{lang}" dir="{direction}">',
        f"<h1>{_e(study_title)}</h1>",
        f'<nav class="lang" aria-label="{_e(t("language_name", lang))}">'
        f'<p class="sub">{_e(t("portal_intro", lang))} {switch}</p></nav>',
    ]
    if any((reports_dir / f"regional.{code}.html").exists() for code in langs):
        out.append(f"<h2>{_e(t('portal_regional', lang))}</h2>")
        out.append(f'<p class="links">{_links(reports_dir, "regional", _ordered(langs, lang))}</p>')
    try:
        out.extend(league_section(data, lang))
    except Exception as exc:  # noqa: BLE001 - the portal must still list every report
        out.append(f'<p class="failed">{_e(t("portal_league_error", lang, error=exc))}</p>')
    out.extend(extra_sections)
    out.append(f"<h2>{_e(t('portal_agencies', lang))}</h2>")
    rows = []
    phases = built_phases(reports_dir, data.agencies["agency_id"].astype(str))
    head = (
        f'<th scope="col">{_e(t("portal_agency", lang))}</th>'
        f'<th scope="col">{_e(t("portal_group", lang))}</th>'
        + "".join(f'<th scope="col">{_e(t(f"phase_{phase}", lang))}</th>' for phase in phases)
    )
    for _, agency in data.agencies.iterrows():
        agency_id = str(agency["agency_id"])
        cells = [
            f'<th scope="row">{_e(agency[f"name_{lang}"])} <code>{_e(agency_id)}</code></th>',
            f"<td>{_e(t('group_' + str(agency['group']), lang))}</td>",
        ]
        for phase in phases:
            links = _links(reports_dir, f"{agency_id}/{phase}", _ordered(langs, lang))
            cells.append(f'<td class="links">{links}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = t("portal_agencies_caption", lang)
    out.append(
        _wrap(
            f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>",
            caption,
        )
    )
    if failures:
        out.append(f'<h2 class="failed">{_e(t("portal_failed", lang))}</h2><ul>')
        for failure in failures:
            kept = t("portal_failed_kept", lang)
            out.append(
                f'<li><code dir="ltr">{_e(failure["report"])}</code>: '
                f'<span dir="ltr">{_e(failure["error"])}</span>'
                + (
                    f' ({_e(kept)}: <code dir="ltr">{_e(failure["executed"])}</code>)'
                    if failure.get("executed")
                    else ""
                )
                + "</li>"
            )
        out.append("</ul>")
    out.append("</section>")
    return out


def portal_html(
    data: StudyData,
    reports_dir: Path,
    failures: Iterable[dict] = (),
    extra_sections: Iterable[str] = (),
) -> str:
    """The portal page as text: one section per language of the study, the first language
    shown (and the page's ``lang``/``dir``); the link to another language shows its section
    instead (``:target``, no script)."""
    reports_dir = Path(reports_dir)
    langs = list(data.study.languages)
    first = langs[0]
    title = t("portal_title", first, study=data.text(data.study.title, first))
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{first}" dir="{i18n.DIRECTION[first]}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    failures, extra_sections = list(failures), list(extra_sections)
    for lang in langs:
        out.extend(_section(data, reports_dir, failures, extra_sections, lang))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _ordered(langs: list[str], first: str) -> list[str]:
    """The page's language first, then the others."""
    return [first, *(code for code in langs if code != first)]


def write_portal(
    data: StudyData,
    reports_dir: Path,
    failures: Iterable[dict] = (),
    extra_sections: Iterable[str] = (),
) -> Path:
    path = Path(reports_dir) / PORTAL_FILE
    write_text_atomic(path, portal_html(data, reports_dir, failures, extra_sections))
    return path
