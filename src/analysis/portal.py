"""``reports/index.html``: the portal that links every report in both languages.

Bilingual on one page (English first, Arabic names beside, each in its own direction),
self-contained, relative links only, and without timestamps so a rebuild is identical.
Reports that failed are listed with where their executed notebook was kept. When the
study has a follow-up wave, the regional league table (:func:`analysis.regional.league_table`,
the numbers of the regional report) is shown; the portal computes it from ``data`` itself.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from analysis import i18n
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.report import write_text_atomic

PORTAL_FILE = "index.html"
AGENCY_PHASES = ("baseline", "intervention", "impact")

_CSS = """
body{font-family:"Segoe UI",Tahoma,"Noto Naskh Arabic","Noto Sans Arabic","DejaVu Sans",sans-serif;
max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;color:#0b4a7d}
p.sub{color:#444;margin-top:0}table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:start;font-weight:bold;padding:.4rem 0}
th,td{border-bottom:1px solid #ccd;padding:.35rem .5rem;text-align:start;vertical-align:top}
thead th{border-bottom:2px solid #333}td.links a{margin-inline-end:.6rem}
.ar{font-family:"Noto Naskh Arabic","Segoe UI",Tahoma,"DejaVu Sans",sans-serif}
.missing{color:#666}.failed{color:#8a1c00}code{font-size:.85rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
@media print{@page{size:A4;margin:15mm}a{color:inherit}}
"""


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


def _num(x: object, decimals: int = 1, signed: bool = False) -> str:
    text = i18n.fmt_num(x, decimals, "en")
    if signed and text != i18n.MISSING and float(text) > 0:
        text = "+" + text
    return text


def league_section(data: StudyData) -> list[str]:
    """The regional league table, English with the Arabic names beside (empty without a
    follow-up wave). Numbers as in the regional report: follow-up rank with its 95% interval,
    change with its 95% CI and its reading: Benjamini-Hochberg across the programme agencies,
    Holm within the agency for a comparison agency (the control, outside that family)."""
    from analysis.regional import league_table

    if not (data.responses["wave"] == "followup").any():
        return []
    league = league_table(data)
    suppressed = i18n.fmt_suppressed("en", data.min_report_n)
    target = i18n.fmt_num(data.target_index, 0)
    out = [
        "<h2>League table <span lang='ar' dir='rtl' class='ar'>جدول الترتيب</span></h2>",
        '<table class="league"><caption>Satisfaction index at baseline and follow-up, change '
        "and rank at follow-up, best first (rank interval: 95%; agencies with fewer than "
        f"{data.min_report_n} answers in a wave are not ranked; p adjusted with "
        "Benjamini-Hochberg across the programme agencies, BH, or for a comparison agency "
        "with Holm within it)</caption><thead><tr>",
        '<th scope="col" class="num">Rank [95%]</th><th scope="col">Agency</th>'
        '<th scope="col" lang="ar">الجهة</th><th scope="col">Group</th>'
        '<th scope="col" class="num">Baseline</th><th scope="col" class="num">Follow-up</th>'
        '<th scope="col" class="num">Change [interval adjusted like p]</th>'
        '<th scope="col">Reading (adjusted p)</th>'
        f'<th scope="col">Target {_e(target)}</th>',
        "</tr></thead><tbody>",
    ]
    for _, row in league.iterrows():
        ranked = not i18n._is_missing(row["rank"])
        rank = (
            f"{int(row['rank'])} [{int(row['rank_low'])}, {int(row['rank_high'])}]"
            if ranked
            else suppressed
        )
        if row["suppressed"]:
            change_text, reading = suppressed, ""
        else:
            change_text = (
                f"{_num(row['change'], signed=True)} "
                f"{i18n.fmt_interval(row['shown_low'], row['shown_high'], 1)}"
            )
            family = {"bh": ", BH", "holm": ", Holm"}.get(row["p_adj_method"], "")
            reading = (
                f"{t(_VERDICT_KEYS[row['direction']], 'en')} ({i18n.fmt_p(row['p_adj'])}{family})"
            )
        if not ranked:
            flag = ""
        elif bool(row["clearly_below_target"]):
            flag = "clearly below"
        elif bool(row["below_target"]):
            flag = "below (within the margin)"
        else:
            flag = "at or above"
        followup = _num(row["followup"]) if ranked else suppressed
        out.append(
            "<tr>"
            f'<td class="num">{_e(rank)}</td>'
            f'<th scope="row">{_e(row["name_en"])} <code>{_e(row["agency_id"])}</code></th>'
            f'<td lang="ar" dir="rtl" class="ar">{_e(row["name_ar"])}</td>'
            f"<td>{_e(t('group_' + str(row['group']), 'en'))}</td>"
            f'<td class="num">{_e(_num(row["baseline"]))}</td>'
            f'<td class="num">{_e(followup)}</td>'
            f'<td class="num">{_e(change_text)}</td>'
            f"<td>{_e(reading)}</td><td>{_e(flag)}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


_VERDICT_KEYS = {
    "improved": "verdict_improved",
    "declined": "verdict_declined",
    "no clear change": "verdict_no_clear_change",
}


def portal_html(
    data: StudyData,
    reports_dir: Path,
    failures: Iterable[dict] = (),
    extra_sections: Iterable[str] = (),
) -> str:
    """The portal page as text."""
    reports_dir = Path(reports_dir)
    langs = list(data.study.languages)
    title_en = data.text(data.study.title, "en")
    title_ar = data.study.title.get("ar", "")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en" dir="ltr">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title_en)}: reports</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title_en)}</h1>",
    ]
    if title_ar:
        out.append(f'<p class="sub ar" lang="ar" dir="rtl">{_e(title_ar)}</p>')
    out.append(
        '<p class="sub">Every report in English and Arabic. '
        '<span lang="ar" dir="rtl" class="ar">جميع التقارير بالعربية والإنجليزية.</span></p>'
    )
    if (reports_dir / "regional.en.html").exists() or (reports_dir / "regional.ar.html").exists():
        out.append(
            "<h2>Regional summary <span lang='ar' dir='rtl' class='ar'>الملخص الإقليمي</span></h2>"
        )
        out.append(f'<p class="links">{_links(reports_dir, "regional", langs)}</p>')
    try:
        out.extend(league_section(data))
    except Exception as exc:  # noqa: BLE001 - the portal must still list every report
        out.append(f'<p class="failed">The league table could not be computed: {_e(exc)}</p>')
    out.extend(extra_sections)
    out.append("<h2>Agencies <span lang='ar' dir='rtl' class='ar'>الجهات</span></h2>")
    out.append("<table><caption>Reports by agency and phase</caption><thead><tr>")
    out.append(
        '<th scope="col">Agency</th><th scope="col" lang="ar">الجهة</th><th scope="col">Group</th>'
    )
    phases = built_phases(reports_dir, data.agencies["agency_id"].astype(str))
    for phase in phases:
        out.append(f'<th scope="col">{_e(t(f"phase_{phase}", "en"))}</th>')
    out.append("</tr></thead><tbody>")
    for _, agency in data.agencies.iterrows():
        agency_id = str(agency["agency_id"])
        out.append("<tr>")
        out.append(f'<th scope="row">{_e(agency["name_en"])} <code>{_e(agency_id)}</code></th>')
        out.append(f'<td lang="ar" dir="rtl" class="ar">{_e(agency["name_ar"])}</td>')
        out.append(f"<td>{_e(t('group_' + str(agency['group']), 'en'))}</td>")
        for phase in phases:
            links = _links(reports_dir, f"{agency_id}/{phase}", langs)
            out.append(f'<td class="links">{links}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    failures = list(failures)
    if failures:
        out.append('<h2 class="failed">Reports that failed to build</h2><ul>')
        for failure in failures:
            out.append(
                f"<li><code>{_e(failure['report'])}</code>: {_e(failure['error'])}"
                + (
                    f" (executed notebook: <code>{_e(failure['executed'])}</code>)"
                    if failure.get("executed")
                    else ""
                )
                + "</li>"
            )
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_portal(
    data: StudyData,
    reports_dir: Path,
    failures: Iterable[dict] = (),
    extra_sections: Iterable[str] = (),
) -> Path:
    path = Path(reports_dir) / PORTAL_FILE
    write_text_atomic(path, portal_html(data, reports_dir, failures, extra_sections))
    return path
