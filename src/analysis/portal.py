"""``reports/index.html``: the portal that links every report in both languages.

Bilingual on one page (English first, Arabic names beside, each in its own direction),
self-contained, relative links only, and without timestamps so a rebuild is identical.
Reports that failed are listed with where their executed notebook was kept.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

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
