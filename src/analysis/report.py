"""HTML rendering of the reports: figures, tables, comments, provenance, export.

The parameterised notebooks display the HTML built here (figures with alt text, accessible
tables, masked comments, the provenance footer); the runner then calls :func:`export_html`,
which renders the executed notebook with the project's nbconvert template
(``templates/report``) into one self-contained file: inline CSS and images, no script, no
code, no prompts, ``<html lang dir>`` from the report language. The same executed content
always gives the same bytes (DESIGN.md sections 6 and 9), so a rebuild with nothing changed
is byte-identical.

Every string that comes from a user (codebook labels, agency names, comments, table
cells) is HTML-escaped here; the notebooks never build HTML from raw strings by hand.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import html
import importlib.metadata
import io
import json
import os
import re
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from IPython.display import HTML

from analysis import config, privacy
from analysis.i18n import LANGUAGES, MISSING, fmt_num, fmt_suppressed, is_rtl, t

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from nbconvert import HTMLExporter
    from nbformat import NotebookNode

#: Folder of the nbconvert templates; ``report`` extends ``lab/index.html.j2``.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report"

#: Packages whose versions go into the provenance footer.
KEY_PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pingouin",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
)

#: Cells with these tags are not rendered (papermill's parameter cells and explicit removal).
REMOVED_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell", "remove_cell"})


def _esc(value: object) -> str:
    """HTML-escape any value as text (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


# --- page blocks ------------------------------------------------------------------------


def header_html(
    title: str,
    lang: str,
    meta_lines: Iterable[str] = (),
    language_hrefs: Mapping[str, str] | None = None,
    portal_href: str | None = None,
    document_title: str | None = None,
) -> HTML:
    """The report header: links to the other languages and the portal, title, meta lines.

    Parameters
    ----------
    title : str
        Page heading (``<h1>``), e.g. the agency name and phase.
    lang : {"ar", "en"}
    meta_lines : iterable of str
        Lines under the title (programme, phase, wave dates).
    language_hrefs : mapping of str to str, optional
        The same report in the study's other languages: language code -> relative link
        (``{"en": "baseline.en.html"}``). Each link is labelled in its own language, with
        ``lang``/``hreflang`` set for screen readers.
    portal_href : str, optional
        Relative link to the portal (``../index.html``).
    document_title : str, optional
        The page's ``<title>`` (tabs, e-mail previews, screen readers, the PDF's title and
        its page margins). Default: ``title`` and the first meta line (the study title),
        e.g. "Agency: Baseline diagnosis — Beneficiary satisfaction 2025". Carried on the
        header (``data-document-title``), where :func:`render_html` finds it.
    """
    meta_lines = list(meta_lines)
    if document_title is None:
        first = meta_lines[0] if meta_lines else ""
        document_title = title + (t("title_separator", lang) + first if first else "")
    links = [
        f'<a href="{_esc(href)}" lang="{_esc(other)}" hreflang="{_esc(other)}">'
        f"{_esc(t('language_name', other))}</a>"
        for other, href in (language_hrefs or {}).items()
        if other != lang
    ]
    if portal_href:
        links.append(f'<a href="{_esc(portal_href)}">{_esc(t("portal_link", lang))}</a>')
    parts = [
        f'<header class="report-header" data-document-title="{_esc(document_title)}" '
        f'data-running-title="{_esc(title)}">'
    ]
    if links:
        label = _esc(t("portal_link", lang))
        parts.append(f'<nav class="report-nav" aria-label="{label}">{"".join(links)}</nav>')
    parts.append(f"<h1>{_esc(title)}</h1>")
    parts += [f'<p class="report-meta">{_esc(line)}</p>' for line in meta_lines]
    parts.append("</header>")
    return HTML("".join(parts))


def findings_html(sentences: Iterable[str], lang: str) -> HTML:
    """The "Key findings" box: a heading and one list item per sentence (escaped)."""
    items = "".join(f"<li>{_esc(s)}</li>" for s in sentences)
    heading = _esc(t("key_findings", lang))
    return HTML(
        f'<section class="key-findings" aria-labelledby="key-findings">'
        f'<h2 id="key-findings">{heading}</h2><ul>{items}</ul></section>'
    )


# --- figures ----------------------------------------------------------------------------


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from a PNG's IHDR chunk."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """PNG bytes of a figure trimmed to its artists, identical for identical figures.

    The result is what ``savefig(bbox_inches="tight", facecolor="white")`` gives, drawn
    once instead of twice: matplotlib's tight box draws the whole figure (text layout,
    constrained layout) to measure it, then draws it again to render it. Here the figure
    is rendered once on an Agg canvas, measured on that renderer (its text extents are
    cached by then) and cropped to the tight box padded by ``savefig.pad_inches``; a
    margin beyond the canvas is white, as savefig's face colour makes it. About a fifth
    less time per chart; the pixels differ only in anti-aliasing, by the sub-pixel shift of
    the crop. The PNG carries no timestamp and no software version, so a matplotlib upgrade
    alone does not change every report.
    """
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    pad = mpl.rcParams["savefig.pad_inches"]
    if not isinstance(pad, int | float):  # "layout": let savefig work it out
        buffer = io.BytesIO()
        fig.savefig(
            buffer,
            format="png",
            dpi=dpi,
            bbox_inches="tight",
            facecolor="white",
            metadata={"Software": None},
        )
        return buffer.getvalue()
    old_dpi, old_face = fig.dpi, fig.get_facecolor()
    try:
        fig.set_dpi(dpi)
        fig.set_facecolor("white")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        box = fig.get_tightbbox(canvas.get_renderer()).padded(pad)  # inches
        rgba = np.asarray(canvas.buffer_rgba())
    finally:
        fig.set_dpi(old_dpi)
        fig.set_facecolor(old_face)
    # As savefig sizes the tight canvas: whole pixels, rounded down; rows run top down.
    width, height = int(box.width * dpi), int(box.height * dpi)
    left = int(round(box.x0 * dpi))
    top = rgba.shape[0] - (int(round(box.y0 * dpi)) + height)
    out = np.full((height, width, 4), 255, dtype=np.uint8)
    rows = slice(max(top, 0), min(top + height, rgba.shape[0]))
    cols = slice(max(left, 0), min(left + width, rgba.shape[1]))
    out[rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = rgba[rows, cols]
    if (out[..., 3] == 255).all():  # opaque, as on a white face: RGB is the same picture
        out = np.ascontiguousarray(out[..., :3])  # 10% smaller, 20% faster to encode
    buffer = io.BytesIO()
    Image.fromarray(out).save(buffer, format="png", dpi=(dpi, dpi))
    return buffer.getvalue()


#: Viewports up to this width (CSS px) get the phone variant of each chart.
PHONE_MAX_WIDTH_PX = 600


def figure_html(fig: Figure, alt: str, caption: str | None = None, dpi: int = 110) -> HTML:
    """A figure as ``<figure><img alt><figcaption></figure>`` with the PNG inline, and close it.

    Figures shown by ``plt.show()`` carry no alt text, so report notebooks display this
    instead. The figure is closed (the inline backend would otherwise show it a second
    time, without alt text). A figure from :mod:`analysis.plots` also carries its phone
    variant (``fig.narrow_variant``), embedded as a ``<picture>`` source for viewports up
    to :data:`PHONE_MAX_WIDTH_PX` wide.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        Text alternative: what the chart shows and its main message (required, not empty).
    caption : str, optional
        Visible caption under the chart.
    dpi : int
        Resolution; 110 keeps a report of a dozen charts under about 1.5 MB.

    Returns
    -------
    IPython.display.HTML
    """
    import matplotlib.pyplot as plt

    if not alt or not alt.strip():
        plt.close(fig)
        raise ValueError("a report figure needs alt text")
    png = figure_png(fig, dpi=dpi)
    narrow_variant = getattr(fig, "narrow_variant", None)
    plt.close(fig)
    width, height = _png_size(png)
    data = base64.b64encode(png).decode("ascii")
    img = (
        f'<img src="data:image/png;base64,{data}" alt="{_esc(alt.strip())}" '
        f'width="{width}" height="{height}">'
    )
    parts = ['<figure class="report-figure">']
    if narrow_variant is None:
        parts.append(img)
    else:
        # On a phone the browser takes the chart drawn 3.7 in wide (plots.NARROW): the wide
        # one, shrunk to 360 px, would show its text at about 5 px. Print and laptops keep
        # the wide chart (the query is on the viewport, and an A4 page is wider).
        small = narrow_variant()
        small_png = figure_png(small, dpi=dpi)
        plt.close(small)
        small_width, small_height = _png_size(small_png)
        small_data = base64.b64encode(small_png).decode("ascii")
        parts.append(
            f'<picture><source media="(max-width: {PHONE_MAX_WIDTH_PX}px)" '
            f'srcset="data:image/png;base64,{small_data}" '
            f'width="{small_width}" height="{small_height}">{img}</picture>'
        )
    if caption:
        parts.append(f"<figcaption>{_esc(caption)}</figcaption>")
    parts.append("</figure>")
    return HTML("".join(parts))


# --- tables -----------------------------------------------------------------------------

NumberFormat = int | Callable[[Any], str]


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _default_format(series: pd.Series) -> NumberFormat | None:
    """Whole numbers for integer columns, one decimal for other numbers (REPORTS.md), else text."""
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return 0
    if pd.api.types.is_numeric_dtype(series):
        return 1
    return None


def _format_cell(value: object, spec: NumberFormat | None, lang: str) -> str:
    if _is_missing(value):
        return MISSING
    if spec is None:
        return str(value)
    if callable(spec):
        return str(spec(value))
    # One thousands-separator rule for every report (issue 16): 6,338 in a table as in
    # the text. Years and codes are text columns, not numbers.
    return fmt_num(value, spec, lang, grouping=True)  # type: ignore[arg-type]


def table_html(
    df: pd.DataFrame,
    lang: str,
    caption: str,
    number_formats: Mapping[str, NumberFormat] | None = None,
    suppressed_mask: pd.DataFrame | pd.Series | None = None,
    min_report_n: int = config.DEFAULT_THRESHOLDS["min_report_n"],
    row_header: bool = True,
) -> HTML:
    """An accessible, deterministic HTML table.

    ``<caption>``, header cells ``<th scope="col">``, the first column as row headers
    ``<th scope="row">`` (``row_header``), every cell HTML-escaped. Number cells carry the
    class ``num``: right-aligned in both directions, because Western digits run left to
    right and right alignment lines up their units (and, in Arabic, sits under the
    right-aligned header). Hand-built rather than a pandas Styler: no random ids, no inline
    styles, the same bytes every time.

    Parameters
    ----------
    df : DataFrame
        Rows and columns as they should appear, headers already in the report language
        (the index is not shown).
    lang : {"ar", "en"}
    caption : str
        What the table shows.
    number_formats : mapping, optional
        Column -> decimals (int) or a function value -> text. Unlisted numeric columns get
        0 decimals (integer dtype) or 1 (other numbers); listed columns are styled as numbers.
    suppressed_mask : DataFrame or Series of bool, optional
        True where an estimate must be suppressed: a DataFrame aligned on ``df`` marks
        cells, a Series aligned on the rows marks every number cell of a row. Suppressed
        cells show ``n < 10`` / ``ن < 10``.
    min_report_n : int
        The threshold shown in suppressed cells.
    row_header : bool
        Render the first column as row headers.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}")
    number_formats = dict(number_formats or {})
    specs = {col: number_formats.get(col, _default_format(df[col])) for col in df.columns}
    is_number = {col: col in number_formats or specs[col] is not None for col in df.columns}
    suppressed_text = _esc(fmt_suppressed(lang, min_report_n))

    def suppressed(row_pos: int, col_pos: int) -> bool:
        if suppressed_mask is None:
            return False
        if isinstance(suppressed_mask, pd.Series):
            return bool(suppressed_mask.iloc[row_pos]) and is_number[df.columns[col_pos]]
        return bool(suppressed_mask.iloc[row_pos, col_pos])

    out = [
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_esc(caption)}">',
        '<table class="report-table">',
        f"<caption>{_esc(caption)}</caption>",
        "<thead><tr>",
    ]
    for col in df.columns:
        cls = ' class="num"' if is_number[col] else ""
        out.append(f'<th scope="col"{cls}>{_esc(col)}</th>')
    out.append("</tr></thead>")
    out.append("<tbody>")
    for row_pos, row in enumerate(df.itertuples(index=False, name=None)):
        out.append("<tr>")
        for col_pos, (col, value) in enumerate(zip(df.columns, row, strict=True)):
            if suppressed(row_pos, col_pos):
                text, classes = suppressed_text, ["num", "suppressed"]
            else:
                text = _esc(_format_cell(value, specs[col], lang))
                classes = ["num"] if is_number[col] else []
                if is_number[col] and is_rtl(lang) and text:
                    # "+15.6 [11.0، 20.2]" in an Arabic table: without its own left-to-right
                    # run the sign and the interval trade places.
                    text = f'<bdi dir="ltr">{text}</bdi>'
            cls = f' class="{" ".join(classes)}"' if classes else ""
            if row_header and col_pos == 0:
                out.append(f'<th scope="row"{cls}>{text}</th>')
            else:
                out.append(f"<td{cls}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return HTML("".join(out))


# --- personal data in comments ------------------------------------------------------------

# The rules live in analysis.privacy (shared with processed/excluded.csv); the name stays
# here because the report modules and notebooks import it from this module.
mask_pii = privacy.mask_pii


def comments_html(comments: Iterable[object], lang: str) -> HTML:
    """Free-text comments as a list: personal data masked, bidi controls removed, escaped.

    Empty and missing comments are skipped; each item has ``dir="auto"`` so an Arabic
    comment in an English report (or the reverse) runs in its own direction. Bidi
    embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are removed, since
    an override in a comment would display the rest of it reversed
    (:func:`analysis.privacy.clean_comment`).
    """
    items = []
    for comment in comments:
        if _is_missing(comment) or not str(comment).strip():
            continue
        masked = privacy.clean_comment(str(comment), lang).strip()
        if not masked:
            continue
        items.append(f'<li dir="auto">{_esc(masked)}</li>')
    if not items:
        return HTML(f'<p class="no-comments">{_esc(t("no_comments", lang))}</p>')
    return HTML('<ul class="comments">' + "".join(items) + "</ul>")


# --- provenance -------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version(repo: Path = config.PROJECT_ROOT) -> str:
    """Short git commit of ``repo``, plus ``-dirty`` when tracked files differ from it.

    ``"unknown"`` outside a git checkout, before the first commit, or without git.
    Untracked files (reports, processed data) do not make the tree dirty.
    ``--no-optional-locks`` keeps ``git status`` from rewriting the index, so a build
    running beside a researcher's git session changes nothing in the repository.
    """
    git = ["git", "--no-optional-locks", "-C", str(repo)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=20
        )
        if head.returncode != 0:
            return "unknown"
        status = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    version = head.stdout.strip()
    if status.returncode != 0 or status.stdout.strip():
        version += "-dirty"
    return version


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str]:
    """Installed version of each package, ``"not installed"`` when absent."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _display_path(path: Path, study_dir: Path) -> str:
    """A path as the footer shows it: relative to the study's parent folder or the project.

    Never absolute, so the footer (and the report's bytes) do not depend on where the
    project is checked out, and no home folder leaks into a report.
    """
    path = Path(path).resolve()
    for base in (Path(study_dir).resolve().parent, config.PROJECT_ROOT):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.name


def _display_param(value: object, study_dir: Path) -> object:
    if isinstance(value, Path) or (isinstance(value, str) and os.path.isabs(value)):
        return _display_path(Path(value), study_dir)
    if isinstance(value, list | tuple):
        return [_display_param(v, study_dir) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def provenance(study_dir: Path, params: Mapping[str, object], files: Iterable[Path]) -> dict:
    """What a report was built from: study title, data file hashes, parameters, code, packages.

    Parameters
    ----------
    study_dir : Path
        The study folder (its ``study.yml`` gives the title).
    params : mapping
        The notebook's parameters. Absolute paths are shown relative to the study's parent
        folder or the project (or by file name), never in full.
    files : iterable of Path
        Data files the report read; each is hashed (SHA-256).

    Returns
    -------
    dict
        ``study_title`` ({lang: title}), ``files`` ({path: sha256}, sorted by path),
        ``parameters`` (sorted by name), ``code_version``, ``packages`` ({name: version}).
        No wall-clock time: a rebuild from the same inputs gives the same dict.
    """
    study_dir = Path(study_dir)
    meta = yaml.safe_load((study_dir / "study.yml").read_text(encoding="utf-8")) or {}
    title = meta.get("title") or {}
    if isinstance(title, str):
        title = dict.fromkeys(LANGUAGES, title)
    hashes = {_display_path(Path(f), study_dir): sha256_file(Path(f)) for f in files}
    return {
        "study_title": {lang: str(title.get(lang, "")) for lang in LANGUAGES},
        "files": dict(sorted(hashes.items())),
        "parameters": {k: _display_param(params[k], study_dir) for k in sorted(params)},
        "code_version": code_version(),
        "packages": package_versions(),
    }


def _key_value_table(rows: Iterable[tuple[str, str]], head: tuple[str, str], cls: str) -> str:
    out = [f'<table class="{cls}"><thead><tr>']
    out += [f'<th scope="col">{_esc(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for key, value in rows:
        out.append(
            f'<tr><th scope="row"><bdi>{_esc(key)}</bdi></th>'
            f'<td><code dir="ltr">{_esc(value)}</code></td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def provenance_html(prov: Mapping[str, Any], lang: str) -> HTML:
    """The provenance footer of a report (``<footer class="provenance">``), all text escaped."""
    title = prov["study_title"].get(lang) or prov["study_title"].get("en") or ""
    unknown = t("prov_unknown", lang)
    version = prov.get("code_version") or "unknown"
    version_text = unknown if version == "unknown" else version
    params = [
        (k, json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)
        for k, v in prov["parameters"].items()
    ]
    parts = [
        '<footer class="provenance">',
        f"<h2>{_esc(t('about_report', lang))}</h2>",
        "<dl>",
        f"<dt>{_esc(t('prov_study', lang))}</dt><dd>{_esc(title)}</dd>",
        f"<dt>{_esc(t('prov_code_version', lang))}</dt>"
        f'<dd><code dir="ltr">{_esc(version_text)}</code></dd>',
        "</dl>",
        f"<h3>{_esc(t('prov_data_files', lang))}</h3>",
        _key_value_table(
            prov["files"].items(), (t("prov_file", lang), t("prov_hash", lang)), "prov-files"
        ),
        f"<h3>{_esc(t('prov_parameters', lang))}</h3>",
        _key_value_table(
            params, (t("prov_parameter", lang), t("prov_value", lang)), "prov-parameters"
        ),
        f"<h3>{_esc(t('prov_packages', lang))}</h3>",
        _key_value_table(
            prov["packages"].items(),
            (t("prov_package", lang), t("prov_version", lang)),
            "prov-packages",
        ),
        f"<p>{_esc(t('prov_reproducible', lang))}</p>",
        "</footer>",
    ]
    return HTML("".join(parts))


# --- export -----------------------------------------------------------------------------


class ReportExportError(ValueError):
    """An executed notebook that must not become a stakeholder report (it holds an error)."""


#: A bare object repr such as ``<Figure size 640x480 with 1 Axes>`` or ``<Axes: >``: the
#: by-product of a cell ending in a plotting call, meaningless to a reader (and a memory
#: address in it would change every run).
_OBJECT_REPR = re.compile(r"<[^<>\n]*>")
_JS_MIMETYPES = ("application/javascript", "application/vnd.jupyter.widget-view+json")


def _keep_output(output: Mapping[str, Any]) -> bool:
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("name") == "stdout"
    if kind in ("display_data", "execute_result"):
        data = output.get("data", {})
        if any(m in data for m in _JS_MIMETYPES):
            return False
        if set(data) == {"text/plain"}:
            return not _OBJECT_REPR.fullmatch(str(data["text/plain"]).strip())
        return bool(data)
    return False


def clean_notebook(nb: NotebookNode, lang: str, title: str | None = None) -> NotebookNode:
    """A copy of an executed notebook with only what a stakeholder should see.

    Drops papermill's parameter cells and cells tagged ``remove-cell``; stderr streams
    (warnings, logging) and script outputs; bare object reprs; code cells left without
    output. Replaces cell ids (papermill's are random) by their position and removes cell
    and notebook metadata (papermill's timestamps and durations), keeping cell tags (they
    become CSS classes, e.g. ``celltag_page-break``). Sets ``metadata.report.lang`` (and
    ``title``) for the template.

    Raises
    ------
    ReportExportError
        When a cell holds an error output: a report must not show a traceback, nor
        silently miss the part that failed.
    """
    from nbformat import from_dict

    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}")
    nb = copy.deepcopy(nb)
    report_meta = dict(nb.metadata.get("report", {}))
    report_meta["lang"] = lang
    if title is not None:
        report_meta["title"] = title
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if REMOVED_CELL_TAGS.intersection(tags):
            continue
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    name = output.get("ename", "Error")
                    raise ReportExportError(
                        f"cell {index} raised {name}: {output.get('evalue', '')}"
                    )
            cell.outputs = [o for o in cell.outputs if _keep_output(o)]
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = None
            if not cell.outputs:
                continue
            cell.execution_count = None
        cell.metadata = from_dict({"tags": tags} if tags else {})
        cells.append(cell)
    for position, cell in enumerate(cells):
        cell.id = f"cell-{position}"
    nb.cells = cells
    kept = {k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata}
    nb.metadata = from_dict({**kept, "report": report_meta})
    return nb


@functools.cache
def html_exporter() -> HTMLExporter:
    """The nbconvert exporter with the report template, created once per process.

    Set-up costs about 1.5 s and an export 0.03 s (DESIGN.md section 9), so the runner
    reuses it. Not safe to share between threads; processes each get their own.
    """
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    # No code is shown, so the pygments stylesheet the lab template adds is dead weight.
    c.CSSHTMLHeaderPreprocessor.enabled = False
    return _report_exporter_class()(config=c)


def _report_exporter_class() -> type:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTMLExporter without its last pass over the page.

        ``HTMLExporter.from_notebook_node`` (nbconvert 7) renders the template, then parses
        the page with BeautifulSoup to give images without alt text a placeholder and to
        make ``.jp-Notebook`` cells focusable, and prints it again: 70% of an export. A
        report has neither: every figure has alt text (:func:`figure_html` requires it,
        the tests check each page) and the report template has no ``.jp-Notebook``. This
        does the same set-up and renders the template, without that pass.
        """

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


#: nbconvert adds a pilcrow link to every markdown heading; a report has no use for it.
_ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="[^"]*">[^<]*</a>')


#: Where :func:`header_html` puts the page title.
_DOCUMENT_TITLE = re.compile(
    r'<header class="report-header" data-document-title="([^"]*)" data-running-title="([^"]*)"'
)


def document_title(nb: NotebookNode, running: bool = False) -> str | None:
    """The title the report's header names (:func:`header_html`), or ``None``; with
    ``running``, the shorter one printed atop every page but the first (the heading)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            match = _DOCUMENT_TITLE.search(text)
            if match:
                return html.unescape(match.group(2 if running else 1))
    return None


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that is also safe inside ``<style>``.

    Everything but letters, digits, spaces and a few marks becomes a CSS hex escape, so no
    quote, backslash, ``<`` or line break of a user's title can end the string or the style.
    """
    safe = []
    for char in text:
        if char.isalnum() or char in " -_:.,،()":
            safe.append(char)
        else:
            safe.append(f"\\{ord(char):06x}")
    return '"' + "".join(safe) + '"'


def page_counter_css(lang: str) -> str:
    """The page margin's ``content``: "Page 3 of 12" / «صفحة 3 من 12»."""
    pattern = t("print_page", lang, page="\0page\0", pages="\0pages\0")
    parts = []
    for piece in pattern.split("\0"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def render_html(executed_nb: NotebookNode, lang: str, title: str | None = None) -> str:
    """The report HTML of an executed notebook (see :func:`clean_notebook`).

    The ``<title>`` is ``title``, else the one the report's header names (agency, phase and
    study title in the report's language, :func:`header_html`), else the notebook's
    ``metadata.report.title``; the same title heads every printed page but the first.
    """
    title = title or document_title(executed_nb)
    nb = clean_notebook(executed_nb, lang, title)
    name = nb.metadata["report"].get("title") or "report"
    nb.metadata["report"]["print_title_css"] = css_string(
        document_title(executed_nb, running=True) or name
    )
    nb.metadata["report"]["print_page_css"] = page_counter_css(lang)
    body, _ = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": name}})
    return _ANCHOR_LINK.sub("", body)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a UTF-8 text file through a temporary file in the same folder and a rename.

    An interrupted write leaves the previous file (or none), never half a file; the
    temporary file is removed on failure. Mode 644: reports are read by others.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_html(
    executed_nb: NotebookNode | Path | str, out_path: Path, lang: str, title: str | None = None
) -> Path:
    """Render an executed notebook to a self-contained report file, atomically.

    Parameters
    ----------
    executed_nb : NotebookNode or path
        The notebook papermill (or nbclient) executed.
    out_path : Path
        Where the report goes, e.g. ``reports/A01/baseline.ar.html``.
    lang : {"ar", "en"}
        Report language: sets ``<html lang dir>``.
    title : str, optional
        The page ``<title>``; default the notebook's ``metadata.report.title`` or ``report``.

    Returns
    -------
    Path
        ``out_path``.
    """
    if not hasattr(executed_nb, "cells"):
        import nbformat

        executed_nb = nbformat.read(str(executed_nb), as_version=4)
    text = render_html(executed_nb, lang, title)  # type: ignore[arg-type]
    write_text_atomic(Path(out_path), text)
    return Path(out_path)


_SELF_CONTAINED_RULES = (
    (re.compile(r"<script\b[^>]*\bsrc\s*=", re.I), "external script (<script src=...>)"),
    (
        re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//", re.I),
        "stylesheet or link loaded from the network (<link href=http...>)",
    ),
    (re.compile(r"url\(\s*[\"']?\s*(?:https?:)?//", re.I), "CSS url() pointing to the network"),
    (
        re.compile(
            r"<(?:img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//",
            re.I,
        ),
        "image or media loaded from the network",
    ),
    (re.compile(r"@import\b", re.I), "CSS @import"),
    (re.compile(r"\b(?:In|Out)(?:\s|&nbsp;)*\[(?:\s|&nbsp;|\d)*\]:"), "notebook prompt (In [ ]:)"),
    (re.compile(r"Traceback \(most recent call last\)"), "Python traceback"),
    (re.compile(r"application/vnd\.jupyter\.stderr"), "error or stderr output"),
    (re.compile(r'class="[^"]*\bjp-InputArea-editor\b'), "code cell input"),
)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_ALT_ATTR = re.compile(r"\balt\s*=\s*(\"[^\"]*\S[^\"]*\"|'[^']*\S[^']*')", re.I)
#: What nbconvert's HTMLExporter writes into an ``<img>`` that has no alt text (plt.show()).
NBCONVERT_PLACEHOLDER_ALT = "No description has been provided for this image"


def check_self_contained(html_text: str) -> list[str]:
    """Problems that stop a report from being a self-contained stakeholder page.

    Network references (``<script src>`` of any kind, ``<link href>``, ``url()``,
    ``@import``, media ``src`` to http(s) or ``//``), notebook prompts, tracebacks and
    stderr, code input, and images without alt text. An empty list means none found.
    Links (``<a href>``) to other pages are allowed: they do not load anything.
    """
    problems = []
    for pattern, what in _SELF_CONTAINED_RULES:
        match = pattern.search(html_text)
        if match:
            start = max(match.start() - 20, 0)
            problems.append(f"{what}: ...{html_text[start : match.end() + 40]!r}...")
    for img in _IMG_TAG.findall(html_text):
        if not _ALT_ATTR.search(img) or NBCONVERT_PLACEHOLDER_ALT in img:
            problems.append(f"image without alt text: {img[:80]!r}...")
    return problems
