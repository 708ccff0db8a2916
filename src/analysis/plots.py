"""Report figures: Arabic-capable, colour-blind-safe, byte-for-byte reproducible.

Every function takes a tidy DataFrame whose columns are listed in its docstring, the
report language ``lang`` (``"ar"`` or ``"en"``) and text that the caller has already
translated, and returns a :class:`matplotlib.figure.Figure`. Nothing here calls
``plt.show`` or touches pyplot's figure registry, so a reused notebook kernel keeps no
figures alive and a figure is never displayed twice.

Text
    Matplotlib 3.11 lays out Arabic itself (its wheel bundles libraqm), so Arabic
    labels are passed as they are: reshaping them (arabic-reshaper, python-bidi) would
    now render them reversed. Mathtext is switched off (``text.parse_math``) because
    codebook labels are user text and may hold dollar signs.

Labels
    Chart text (item labels, agency names, scale labels) comes in the data. Axis titles,
    legend entries and notes come from ``labels``: a mapping whose keys each function
    lists; keys left out fall back to :func:`default_labels` of the report language (catalog messages ``plot.*``), so
    a notebook gets a readable chart without passing anything, and the report module
    overrides whatever its own strings say (for instance ``"suppressed"`` when a study
    sets ``min_report_n`` to something other than 10).

Direction
    For ``lang="ar"`` a chart is mirrored as a whole, as Arabic spreadsheets mirror
    theirs: category labels stand on the right, the value axis grows from right to left
    (so bars start next to their labels), titles are right-aligned and legends list
    their entries from the right. English charts read left to right.

Colours
    One diverging ColorBrewer BrBG palette (brown = disagree / decline, blue-green =
    agree / improvement) for every agreement scale and every change scale, never
    red/green; Okabe-Ito blue and orange for programme and comparison agencies; one
    vermillion highlight for "this agency" against grey. See the module constants.

Reproducibility
    Figures are built inside :func:`matplotlib.rc_context` with :func:`report_rc`, so
    they look the same whatever the kernel ran before; :func:`to_png` writes PNG without
    the ``Software`` tag, which makes two saves of the same figure byte-identical.

References
----------
Brewer, C. A. (2002). ColorBrewer (colorbrewer2.org), diverging scheme BrBG.
Okabe, M. & Ito, K. (2008). Color Universal Design: how to make figures and
presentations that are friendly to colorblind people (jfly.uni-koeln.de/color).
Heiberger, R. M. & Robbins, N. B. (2014). Design of diverging stacked bar charts for
Likert scales and other applications. Journal of Statistical Software, 57(5).
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of
Marketing, 41(1), 77-79.
Machado, G. M., Oliveira, M. M. & Fernandes, L. A. F. (2009). A physiologically-based
model for simulation of color vision deficiency. IEEE TVCG, 15(6), 1291-1298.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from analysis import catalogs, config, i18n

__all__ = [
    "AGREEMENT_COLOURS",
    "AGREEMENT_NEUTRAL",
    "COMPARISON_COLOUR",
    "default_labels",
    "DIVERGING_CMAP",
    "FIGURE_WIDTH_IN",
    "Layout",
    "NARROW",
    "WIDE",
    "layout",
    "HIGHLIGHT_COLOUR",
    "INK",
    "OTHERS_COLOUR",
    "PROGRAMME_COLOUR",
    "activity_timeline",
    "agreement_colours",
    "change_heatmap",
    "dose_response",
    "dumbbell",
    "forest",
    "importance_performance",
    "index_with_ci",
    "league",
    "likert_before_after",
    "likert_diverging",
    "report_rc",
    "save_png",
    "segment_gaps",
    "to_png",
    "use_report_style",
]

# --------------------------------------------------------------------------- palette

#: Agreement scale, disagree -> agree: the outer two classes at each end of ColorBrewer's
#: 7-class BrBG (#8C510A, #D8B365 | #5AB4AC, #01665E) around a light grey neutral. Chosen
#: over the 5-class scheme because its light blue-green (#80CDC1) comes within CIE76
#: delta E 6 of any light neutral for a protanope (Machado et al., 2009); here every
#: neighbouring pair stays at least 18 apart for protan, deutan and tritan viewers, and
#: the grey neutral still shows against a white page.
AGREEMENT_COLOURS: tuple[str, ...] = ("#8C510A", "#D8B365", "#DEDEDE", "#5AB4AC", "#01665E")
AGREEMENT_NEUTRAL = AGREEMENT_COLOURS[2]
#: Continuous version of the same palette for change maps (brown = decline, teal = gain).
DIVERGING_CMAP = LinearSegmentedColormap.from_list(
    "report_brbg", ["#8C510A", "#D8B365", "#F5F5F5", "#5AB4AC", "#01665E"]
)
#: Okabe-Ito blue and orange: programme and comparison agencies in every chart.
PROGRAMME_COLOUR = "#0072B2"
COMPARISON_COLOUR = "#E69F00"
#: Okabe-Ito vermillion for "this agency" (or "act here") against grey others.
HIGHLIGHT_COLOUR = "#D55E00"
OTHERS_COLOUR = "#A3A3A3"
#: Text, dots and reference lines.
INK = "#333333"
MUTED_INK = "#6B6B6B"
GRID_COLOUR = "#E3E3E3"
#: Pale band behind a highlighted row and the fieldwork windows of the timeline.
BAND_COLOUR = "#F3E4D9"
WINDOW_COLOUR = "#E4EEF6"

#: Width of a report column in inches; heights grow with the number of rows.
FIGURE_WIDTH_IN = 7.5
_ROW_IN = 0.3  # height of one single-line row
_LINE_IN = 0.16  # extra height per extra line of a wrapped label
_WRAP = 34  # characters per line of a category label
_POINT_LABEL_SIZE = 8.5

_SVG_HASH_SALT = "analysis-report"


@dataclass(frozen=True)
class Layout:
    """How wide a chart is drawn, and what follows from the width.

    Text keeps its size in points whatever the width; a narrower figure wraps its labels
    shorter, asks for fewer ticks and stacks its legend, so that drawn for a phone it
    still reads.
    """

    width_in: float = FIGURE_WIDTH_IN
    wrap_scale: float = 1.0
    max_ticks: int = 8
    legend_columns: int | None = None


#: The report column on a laptop, on A4 and in a notebook.
WIDE = Layout()
#: A phone (390 CSS px wide, 350 px of content): 3.7 in at the reports' 110 dpi is about
#: 410 px (420 with the crop's padding), shown at about 0.83 of that, so the smallest
#: chart text (7.5 pt, 11.5 px) stays above 9 CSS px (tests/test_browser.py measures it). Reports carry this variant for narrow screens
#: (:func:`analysis.report.figure_html`).
NARROW = Layout(width_in=3.7, wrap_scale=0.55, max_ticks=4, legend_columns=2)

_LAYOUT: ContextVar[Layout] = ContextVar("chart_layout", default=WIDE)


@contextmanager
def layout(value: Layout) -> Iterator[Layout]:
    """Draw the charts made inside the block with ``value`` (e.g. :data:`NARROW`)."""
    token = _LAYOUT.set(value)
    try:
        yield value
    finally:
        _LAYOUT.reset(token)


def _with_narrow_variant(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """A chart function whose figures can redraw themselves for a phone.

    The figure gets ``narrow_variant``: a function of no arguments that draws the same
    chart from the same arguments with :data:`NARROW` (only figures drawn wide get it).
    """

    @functools.wraps(func)
    def draw(*args: Any, **kwargs: Any) -> Figure:
        fig = func(*args, **kwargs)
        if _LAYOUT.get() is WIDE:

            def narrow_variant() -> Figure:
                with layout(NARROW):
                    small = func(*args, **kwargs)
                    # Axis titles are one line in every chart; a phone needs them wrapped,
                    # to the width of the plot (beside the row labels), not of the figure.
                    for ax in small.axes:
                        ax.set_xlabel(_wrap(ax.get_xlabel(), _AXIS_TITLE_WRAP))
                        ax.set_ylabel(_wrap(ax.get_ylabel(), _AXIS_TITLE_WRAP))
                    return small

            fig.narrow_variant = narrow_variant
        return fig

    return draw


@functools.cache
def default_labels(lang: str) -> dict[str, str]:
    """Fallback axis titles, legend entries and notes of ``lang``: the catalog messages
    ``plot.<name>``; the report module passes its own ``labels``."""
    texts = catalogs.load(lang).texts
    labels = {key[5:]: text for key, text in texts.items() if key.startswith("plot.")}
    labels["suppressed"] = labels["suppressed"].format(
        min_n=config.DEFAULT_THRESHOLDS["min_report_n"]
    )
    return labels


def agreement_colours(n_codes: int) -> tuple[str, ...]:
    """Colours of an agreement scale with ``n_codes`` points, disagree -> agree.

    Five points use :data:`AGREEMENT_COLOURS`; other lengths sample the same BrBG ramp,
    with the grey neutral in the middle of an odd-length scale.
    """
    if n_codes < 2:
        raise ValueError(f"an agreement scale needs at least 2 points, got {n_codes}")
    if n_codes == 5:
        return AGREEMENT_COLOURS
    ramp = mpl.colormaps["BrBG"]
    colours = [mpl.colors.to_hex(ramp(x)).upper() for x in np.linspace(0.08, 0.92, n_codes)]
    if n_codes % 2 == 1:
        colours[n_codes // 2] = AGREEMENT_NEUTRAL
    return tuple(colours)


# --------------------------------------------------------------------------- style


def report_rc(lang: str) -> dict[str, Any]:
    """The project's rcParams for a report in ``lang`` (applied on top of the defaults).

    DejaVu Sans ships with matplotlib and has Arabic glyphs; sizes are chosen to stay
    readable when a 7.5-inch figure is shown at 100% on a laptop or printed on A4.
    """
    rtl = _is_rtl(lang)
    return {
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.titlelocation": "right" if rtl else "left",
        "figure.titlesize": 11.5,
        "figure.titleweight": "bold",
        "axes.labelsize": 10,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "legend.fontsize": 9,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": MUTED_INK,
        "axes.labelcolor": INK,
        "axes.linewidth": 0.8,
        "xtick.color": MUTED_INK,
        "ytick.color": MUTED_INK,
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "text.color": INK,
        "grid.color": GRID_COLOUR,
        "grid.linewidth": 0.8,
        "axes.prop_cycle": cycler(
            color=[PROGRAMME_COLOUR, COMPARISON_COLOUR, "#009E73", "#CC79A7", "#56B4E9", INK]
        ),
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "figure.dpi": 100,
        "text.parse_math": False,
        "axes.formatter.use_locale": False,
        "svg.hashsalt": _SVG_HASH_SALT,
        "svg.fonttype": "path",
        "pdf.fonttype": 42,
    }


def use_report_style(lang: str) -> None:
    """Reset matplotlib's rcParams to the defaults, then apply :func:`report_rc`.

    Call it first in every notebook: a reused kernel may carry rcParams or a seaborn
    theme from a previous run. It changes rcParams only (no random seed, no backend).
    The functions of this module do not need it: they build their figures inside
    ``rc_context(report_rc(lang))``.
    """
    rc = report_rc(lang)
    mpl.rcdefaults()
    mpl.rcParams.update(rc)


def to_png(fig: Figure, dpi: float = 150) -> bytes:
    """PNG bytes of ``fig`` without the ``Software`` tag, so equal figures give equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path, dpi: float = 150) -> Path:
    """Write :func:`to_png` of ``fig`` to ``path`` (parent folders must exist)."""
    path = Path(path)
    path.write_bytes(to_png(fig, dpi=dpi))
    return path


# --------------------------------------------------------------------------- helpers


def _field(source: Any, *names: str) -> float:
    """The first of ``names`` found as a key or attribute of ``source``, as float (else NaN)."""
    for name in names:
        if isinstance(source, Mapping) or hasattr(source, "keys"):
            if name in source:
                return float(source[name])
        elif hasattr(source, name):
            return float(getattr(source, name))
    return float("nan")


def _is_rtl(lang: str) -> bool:
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"lang must be one of {i18n.LANGUAGES}, got {lang!r}")
    return i18n.is_rtl(lang)


def _labels(lang: str, labels: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(default_labels(lang))
    if labels:
        merged.update({k: v for k, v in labels.items() if v is not None})
    return merged


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(frame.columns)}")


def _floats(values: Any) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def _bools(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


def _wrap(text: Any, width: int = _WRAP) -> str:
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    width = max(10, round(width * _LAYOUT.get().wrap_scale))
    return textwrap.fill(text, width=width, break_long_words=False) or text


def _n_lines(texts: Sequence[str]) -> int:
    return max((t.count("\n") + 1 for t in texts), default=1)


def _rows_height(n_rows: int, n_lines: int, extra_in: float) -> float:
    row = _ROW_IN + _LINE_IN * (n_lines - 1)
    # Many rows (a 100-agency league) get thinner rows so the figure stays printable.
    if n_rows > 40:
        row *= 0.55
    return max(2.2, n_rows * row + extra_in)


def _new_figure(height_in: float, width_in: float | None = None) -> Figure:
    layout_now = _LAYOUT.get()
    if width_in is None:
        width_in = layout_now.width_in
    else:  # a chart asking for its own width gets it scaled like the default
        width_in *= layout_now.width_in / WIDE.width_in
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)  # a renderer for label placement, without pyplot
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
    return fig


#: Characters per line of a chart title drawn narrower than :data:`WIDE` (a wide title
#: fits on one line; a phone's would run off the figure).
_TITLE_WRAP = 64
#: Characters per line of an axis title at the report width (the plot is about 60% of it).
_AXIS_TITLE_WRAP = 44


def _title(fig: Figure, text: str | None, rtl: bool) -> None:
    if text:
        if _LAYOUT.get() is not WIDE:
            text = _wrap(text, _TITLE_WRAP)
        fig.suptitle(text, x=0.99 if rtl else 0.01, ha="right" if rtl else "left")


def _row_axes(ax: Axes, rtl: bool, invert_x: bool = False) -> None:
    """Category rows: labels on the reading side (the right in Arabic).

    A numeric value axis increases left to right in both languages (REPORTS.md: only labels
    and category order mirror), so that a presenter switching languages never shows a mirror
    image; ``invert_x`` only for an axis that is a category order read from the reading
    side (the Likert scale, disagree to agree). Time runs left to right too.
    """
    ax.spines["left"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(axis="y", length=0, pad=6)
    if rtl:
        ax.yaxis.tick_right()
        ax.yaxis.set_label_position("right")
        if invert_x:
            ax.invert_xaxis()
        _flush_right_labels(ax)


def _flush_right_labels(ax: Axes) -> None:
    """Arabic row labels right-aligned at one edge, where an Arabic reader starts a line.

    Labels on the right of the axes are anchored at their left end (next to the bars), so
    short and long labels would start at different places and a long one could run to the
    figure's edge. They are anchored at their right end instead, the pad being the widest
    label, so that every label begins at the same reading edge.
    """
    labels = [t.label2 for t in ax.yaxis.get_major_ticks() if t.label2.get_text()]
    if not labels:
        return
    renderer = ax.figure.canvas.get_renderer()
    widest = max(label.get_window_extent(renderer).width for label in labels)
    ax.tick_params(axis="y", pad=6 + widest * 72 / ax.figure.dpi)
    for label in labels:
        label.set_horizontalalignment("right")


def _scatter_axes(ax: Axes, rtl: bool) -> None:
    """Two numeric axes: Arabic puts the y axis on the right; x increases left to right."""
    if rtl:
        ax.spines["left"].set_visible(False)
        ax.spines["right"].set_visible(True)
        ax.yaxis.tick_right()
        ax.yaxis.set_label_position("right")


def _set_row_ticks(ax: Axes, y: np.ndarray, texts: Sequence[str], bold: Sequence[bool]) -> None:
    ax.set_yticks(y, list(texts))
    for tick, is_bold in zip(ax.yaxis.get_major_ticks(), bold, strict=True):
        for label in (tick.label1, tick.label2):
            # Wrapped lines flush right: next to the axis in English (labels on the
            # left), at the reading edge in Arabic (labels on the right).
            label.set_multialignment("right")
            if is_bold:
                label.set_fontweight("bold")
                label.set_fontsize(mpl.rcParams["ytick.labelsize"] + 0.5)


#: A white outline that keeps small text readable where it crosses lines or bands.
_HALO = [path_effects.withStroke(linewidth=2.6, foreground="white")]


def _legend(fig: Figure, handles: list, texts: list[str], rtl: bool, ncol: int | None = None):
    if not handles:
        return None
    if rtl:  # the first entry stands on the right, where an Arabic reader starts
        handles, texts = handles[::-1], texts[::-1]
    return fig.legend(
        handles,
        texts,
        loc="outside lower center",
        ncol=min(ncol or len(handles), _LAYOUT.get().legend_columns or len(handles)),
        markerfirst=not rtl,
        handlelength=1.4,
        handletextpad=0.5,
        # Wide gaps between entries so each marker clearly belongs to its own text.
        columnspacing=2.4,
    )


def _nice_limits(
    values: np.ndarray, step: float = 10, floor: float | None = 0, ceil: float | None = 100
) -> tuple[float, float]:
    """Padded limits snapped to ``step``, clipped to [floor, ceil] when the data allow."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (floor if floor is not None else 0.0, ceil if ceil is not None else 1.0)
    lo = math.floor((finite.min() - step * 0.25) / step) * step
    hi = math.ceil((finite.max() + step * 0.25) / step) * step
    if floor is not None and finite.min() >= floor:
        lo = max(lo, floor)
    if ceil is not None and finite.max() <= ceil:
        hi = min(hi, ceil)
    if hi <= lo:
        hi = lo + step
    return float(lo), float(hi)


def _italic(rtl: bool) -> str:
    """Italic for English only: DejaVu Sans Oblique has no Arabic glyphs."""
    return "normal" if rtl else "italic"


def _fmt(value: float, digits: int = 0, signed: bool = False) -> str:
    value = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    if value == 0:
        return f"{0:.{digits}f}"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.replace("-", "\u2212")  # a true minus sign, as the axes use


def _fmt_interval(lo: float, hi: float, lang: str, digits: int = 0) -> str:
    separator = catalogs.load(lang).texts["sep_interval"] + " "
    return f"[{_fmt(lo, digits)}{separator}{_fmt(hi, digits)}]"


def _contrast_text(colour: str) -> str:
    r, g, b = (c if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.3 else INK


def _target_line(ax: Axes, target: float | None, text: str, rtl: bool) -> None:
    if target is None or not np.isfinite(target):
        return
    ax.axvline(target, color=INK, linestyle=(0, (4, 3)), linewidth=1.1, zorder=1)
    ax.annotate(
        f"{text} {_fmt(target, 0) if float(target).is_integer() else _fmt(target, 1)}",
        xy=(target, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=8.5,
        color=INK,
    )


def _suppressed_text(ax: Axes, x: float, y: float, text: str, rtl: bool) -> None:
    ax.annotate(
        text,
        xy=(x, y),
        xytext=(4, 0),  # inside the axis from its low end, which is on the left in Arabic too
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=8.5,
        fontstyle=_italic(rtl),
        color=MUTED_INK,
    )


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _place_point_labels(
    ax: Axes,
    x: np.ndarray,
    y: np.ndarray,
    texts: Sequence[str],
    rtl: bool,
    colours: Sequence[str] | None = None,
    obstacles: Sequence[Any] = (),
) -> list:
    """Annotate points so that labels avoid each other, the points and the axes edge.

    Greedy: each label tries eight directions at growing distances and takes the first
    spot that overlaps nothing already placed (else the least overlap); labels moved
    away from their point get a thin leader line. ``obstacles`` are artists (e.g. the
    quadrant names) that labels must also avoid. Call it after everything else is on
    the figure, because it measures text on the settled layout.
    """
    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    px_per_pt = fig.dpi / 72
    centres = ax.transData.transform(np.column_stack([x, y]))
    box = ax.get_window_extent(renderer)
    radius = 4.5 * px_per_pt
    occupied = [
        Bbox.from_bounds(cx - radius, cy - radius, 2 * radius, 2 * radius) for cx, cy in centres
    ]
    occupied += [artist.get_window_extent(renderer) for artist in obstacles]
    side = -1 if rtl else 1
    directions = [
        (side, 0),
        (-side, 0),
        (0, 1),
        (0, -1),
        (side, 1),
        (-side, 1),
        (side, -1),
        (-side, -1),
    ]
    distances = (5, 10, 16, 24, 34, 46, 60)
    # Wrapped Arabic labels keep their lines flush right, as Arabic paragraphs do.
    multialignment = "right" if rtl else None
    annotations = []
    for i, text in enumerate(texts):
        best: tuple[float, tuple[float, float], str, str, Bbox] | None = None
        for distance in distances:
            for dx, dy in directions:
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
                offset = (dx * distance, dy * distance * 0.8)
                probe = ax.annotate(
                    text,
                    (x[i], y[i]),
                    xytext=offset,
                    textcoords="offset points",
                    ha=ha,
                    va=va,
                    fontsize=_POINT_LABEL_SIZE,
                    multialignment=multialignment,
                )
                extent = probe.get_window_extent(renderer).padded(3 * px_per_pt)
                probe.remove()
                cost = sum(_overlap(extent, other) for other in occupied)
                outside = extent.width * extent.height - _overlap(extent, box)
                cost += 4 * outside
                if best is None or cost < best[0]:
                    best = (cost, offset, ha, va, extent)
                if cost == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        _, offset, ha, va, extent = best
        far = math.hypot(*offset) > distances[1]
        annotation = ax.annotate(
            text,
            (x[i], y[i]),
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=_POINT_LABEL_SIZE,
            multialignment=multialignment,
            color=colours[i] if colours is not None else INK,
            path_effects=_HALO,
            arrowprops=(
                {
                    "arrowstyle": "-",
                    "color": OTHERS_COLOUR,
                    "linewidth": 0.6,
                    "shrinkA": 0,
                    "shrinkB": 4,
                }
                if far
                else None
            ),
        )
        annotation.set_in_layout(False)
        occupied.append(extent)
        annotations.append(annotation)
    return annotations


# --------------------------------------------------------------------------- Likert


@dataclass(frozen=True)
class _Row:
    """One row of a row chart: a group heading, or a bar with its values."""

    text: str
    heading: bool = False
    values: np.ndarray | None = None
    suppressed: bool = False


def _scale_codes(frame: pd.DataFrame) -> list[tuple[Any, int]]:
    """(column name, scale code) of the percentage columns, in scale order."""
    codes = []
    for column in frame.columns:
        try:
            code = int(str(column))
        except ValueError:
            continue
        if str(code) == str(column).strip():
            codes.append((column, code))
    if len(codes) < 2:
        raise ValueError(
            "the distribution needs one percentage column per scale code (named 1, 2, ...); "
            f"got columns {list(frame.columns)}"
        )
    return sorted(codes, key=lambda item: item[1])


def _grouped_rows(
    frame: pd.DataFrame, group_column: str, group_order: Sequence[str] | None
) -> list[tuple[str | None, pd.DataFrame]]:
    """Split rows into groups (in ``group_order``, else order of first appearance)."""
    if group_column not in frame.columns or frame[group_column].isna().all():
        return [(None, frame)]
    keys = frame[group_column].astype("object").where(frame[group_column].notna(), None)
    present = list(dict.fromkeys(k for k in keys if k is not None))
    order = [g for g in (group_order or []) if g in present] + [
        g for g in present if g not in (group_order or [])
    ]
    groups = [(str(g), frame[keys == g]) for g in order]
    if keys.isna().any():
        groups.append((None, frame[keys.isna()]))
    return groups


def _likert_percentages(frame: pd.DataFrame, columns: Sequence[Any]) -> np.ndarray:
    values = np.column_stack([_floats(frame[c]) for c in columns])
    totals = np.nansum(values, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Rounded percentages may not add to exactly 100: rescale so bars line up.
        return np.where(totals > 0, np.nan_to_num(values) / totals * 100, np.nan)


def _draw_likert(
    fig: Figure,
    ax: Axes,
    rows: list[_Row],
    codes: list[int],
    neutral: float,
    scale_labels: Mapping[Any, str] | None,
    lab: dict[str, str],
    rtl: bool,
    bar_height: float = 0.72,
) -> None:
    colours = agreement_colours(len(codes))
    codes_arr = np.asarray(codes, dtype=float)
    y_all = -np.arange(len(rows), dtype=float)
    bar_idx = [i for i, r in enumerate(rows) if not r.heading and not r.suppressed]
    values = np.vstack([rows[i].values for i in bar_idx]) if bar_idx else np.empty((0, len(codes)))
    values = np.nan_to_num(values)
    # Centre on the neutral point: everything below it, plus half of it, goes left.
    below = values[:, codes_arr < neutral].sum(axis=1)
    middle = values[:, codes_arr == neutral].sum(axis=1)
    starts = -(below + middle / 2)
    y_bars = y_all[bar_idx]
    left = starts.copy()
    for k, colour in enumerate(colours):
        widths = values[:, k]
        ax.barh(
            y_bars,
            widths,
            left=left,
            height=bar_height,
            color=colour,
            edgecolor="white",
            linewidth=0.6,
            zorder=2,
        )
        text_colour = _contrast_text(colour)
        for yi, lo, w in zip(y_bars, left, widths, strict=True):
            # A number in a thinner segment would not fit (7% of the report width's axis;
            # proportionally more on a phone's narrower one).
            if w >= 7 * FIGURE_WIDTH_IN / _LAYOUT.get().width_in:
                ax.text(
                    lo + w / 2,
                    yi,
                    f"{w:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color=text_colour,
                    zorder=3,
                )
        left = left + widths
    extent = max(float(np.max(-starts, initial=0)), float(np.max(left, initial=0)), 50.0)
    limit = min(100.0, math.ceil(extent / 10) * 10)
    ax.set_xlim(-limit, limit)
    ax.axvline(0, color=MUTED_INK, linewidth=0.8, zorder=1)
    nbins = _LAYOUT.get().max_ticks
    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], symmetric=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):.0f}%"))
    ax.xaxis.grid(True, zorder=0)
    ax.set_axisbelow(True)
    for i, row in enumerate(rows):
        if row.suppressed:
            ax.text(
                0,
                y_all[i],
                lab["suppressed"],
                ha="center",
                va="center",
                fontsize=8.5,
                fontstyle=_italic(rtl),
                color=MUTED_INK,
            )
    for i, row in enumerate(rows):
        if row.heading and i > 0:
            ax.axhline(y_all[i] + 0.5, color=GRID_COLOUR, linewidth=0.8, zorder=0)
    ax.set_ylim(y_all[-1] - 0.6, 0.6)
    _set_row_ticks(ax, y_all, [r.text for r in rows], [r.heading for r in rows])
    _row_axes(ax, rtl, invert_x=True)
    ax.set_xlabel(lab["percent"])
    scale_labels = scale_labels or {}
    texts = [str(scale_labels.get(c, scale_labels.get(str(c), c))) for c in codes]
    handles = [Patch(facecolor=c, edgecolor="white") for c in colours]
    _legend(fig, handles, texts, rtl)


@_with_narrow_variant
def likert_diverging(
    dist: pd.DataFrame,
    lang: str,
    *,
    scale_labels: Mapping[Any, str] | None = None,
    neutral: float | None = None,
    stage_order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Diverging stacked bars of Likert items, centred on the neutral point.

    Each bar shows the percentage of answered (non-N/A) responses at each scale code;
    the bar is shifted so that the codes below ``neutral`` plus half of the neutral code
    lie left of zero (Heiberger & Robbins, 2014). Items are grouped under bold journey
    stage headings, in ``stage_order`` (else order of first appearance); within a stage
    rows keep the order of ``dist``.

    Parameters
    ----------
    dist : DataFrame
        One row per item. ``label``: item text (already translated); ``stage``
        (optional): stage heading text (before / during / after); one column per scale
        code named ``1``, ``2``, ... (int or str) holding percentages (rescaled to sum
        to 100); ``suppressed`` (optional bool): draw the suppression note, no bar.
    lang : {"ar", "en"}
    scale_labels : mapping code -> text, optional
        Legend text of each scale code (e.g. the codebook's labels).
    neutral : float, optional
        The neutral code; default the middle of the scale ((min + max) / 2), which for an
        even scale splits between the two middle codes.
    stage_order : sequence of str, optional
    labels : mapping, optional
        Keys ``title``, ``percent`` (x axis), ``suppressed``.
    """
    rtl = _is_rtl(lang)
    _require(dist, ["label"], "likert_diverging")
    columns_codes = _scale_codes(dist)
    codes = [code for _, code in columns_codes]
    neutral = (codes[0] + codes[-1]) / 2 if neutral is None else neutral
    lab = _labels(lang, labels)
    rows: list[_Row] = []
    for heading, group in _grouped_rows(dist, "stage", stage_order):
        if heading is not None:
            rows.append(_Row(heading, heading=True))
        pct = _likert_percentages(group, [c for c, _ in columns_codes])
        suppressed = _bools(group, "suppressed") | np.isnan(pct).all(axis=1)
        for label, values, is_suppressed in zip(group["label"], pct, suppressed, strict=True):
            rows.append(_Row(_wrap(label), values=values, suppressed=bool(is_suppressed)))
    with mpl.rc_context(report_rc(lang)):
        n_lines = _n_lines([r.text for r in rows])
        extra = 1.3 + (0.35 if lab.get("title") else 0)
        fig = _new_figure(_rows_height(len(rows), n_lines, extra))
        ax = fig.add_subplot()
        _draw_likert(fig, ax, rows, codes, neutral, scale_labels, lab, rtl)
        _title(fig, lab.get("title"), rtl)
    return fig


@_with_narrow_variant
def likert_before_after(
    dist_before: pd.DataFrame,
    dist_after: pd.DataFrame,
    lang: str,
    *,
    scale_labels: Mapping[Any, str] | None = None,
    neutral: float | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Diverging stacked bars of each item at baseline and follow-up, one pair per item.

    Each item is a bold heading with two bars under it, labelled with the wave names
    ``labels["before"]`` and ``labels["after"]``; the bars are built as in
    :func:`likert_diverging`.

    Parameters
    ----------
    dist_before, dist_after : DataFrame
        As for :func:`likert_diverging` (``label``, one percentage column per scale
        code, optional ``suppressed``); items are matched on ``label`` and drawn in the
        order of ``dist_before`` (items only in ``dist_after`` follow).
    lang : {"ar", "en"}
    scale_labels, neutral
        As for :func:`likert_diverging`.
    labels : mapping, optional
        Keys ``title``, ``before``, ``after``, ``percent``, ``suppressed``.
    """
    rtl = _is_rtl(lang)
    _require(dist_before, ["label"], "likert_before_after (dist_before)")
    _require(dist_after, ["label"], "likert_before_after (dist_after)")
    columns_codes = _scale_codes(dist_before)
    codes = [code for _, code in columns_codes]
    if [code for _, code in _scale_codes(dist_after)] != codes:
        raise ValueError("likert_before_after: both waves need the same scale codes")
    neutral = (codes[0] + codes[-1]) / 2 if neutral is None else neutral
    lab = _labels(lang, labels)

    def by_label(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, bool]]:
        pct = _likert_percentages(frame, [c for c, _ in _scale_codes(frame)])
        suppressed = _bools(frame, "suppressed") | np.isnan(pct).all(axis=1)
        return {
            str(label): (values, bool(s))
            for label, values, s in zip(frame["label"], pct, suppressed, strict=True)
        }

    before, after = by_label(dist_before), by_label(dist_after)
    items = list(dict.fromkeys([*before, *after]))
    rows: list[_Row] = []
    headings: dict[int, str] = {}
    empty = (np.full(len(codes), np.nan), True)
    for item in items:
        # The item text is written across the heading row later (see below), so the
        # label column only has to fit the short wave names.
        headings[len(rows)] = _wrap(item, 70)
        rows.append(_Row("", heading=True))
        for wave_text, source in ((lab["before"], before), (lab["after"], after)):
            values, suppressed = source.get(item, empty)
            rows.append(_Row(wave_text, values=values, suppressed=suppressed))
    with mpl.rc_context(report_rc(lang)):
        extra = 1.3 + (0.35 if lab.get("title") else 0)
        n_lines = _n_lines(list(headings.values()))
        # Arabic headings stand taller (marks above and below the letters): more room.
        height = _rows_height(len(rows), n_lines, extra) * (1.05 if rtl else 0.92)
        if _LAYOUT.get() is not WIDE:
            # Headings wrapped for a phone run to two lines or more: rows are evenly
            # spaced, so every extra heading line adds three rows' worth of room.
            height += 3 * _LINE_IN * sum(h.count("\n") for h in headings.values())
        fig = _new_figure(height)
        ax = fig.add_subplot()
        _draw_likert(fig, ax, rows, codes, neutral, scale_labels, lab, rtl, bar_height=0.8)
        for tick, row in zip(ax.yaxis.get_major_ticks(), rows, strict=True):
            if not row.heading:
                for label in (tick.label1, tick.label2):
                    label.set_fontsize(8.5)
                    label.set_color(MUTED_INK)
        _title(fig, lab.get("title"), rtl)
        _headings_across(ax, headings, rtl)
    return fig


def _headings_across(ax: Axes, headings: Mapping[int, str], rtl: bool) -> None:
    """Write row headings from the outer edge of the label column into the plot.

    Used where headings are much longer than the row labels under them: as tick labels
    they would widen the label column and squeeze the bars.
    """
    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    labels = [t.label2 if rtl else t.label1 for t in ax.yaxis.get_major_ticks()]
    boxes = [lab.get_window_extent(renderer) for lab in labels if lab.get_text()]
    if boxes:
        edge = max(b.x1 for b in boxes) if rtl else min(b.x0 for b in boxes)
    else:
        edge = ax.get_window_extent(renderer).x1 if rtl else ax.get_window_extent(renderer).x0
    x_axes = ax.transAxes.inverted().transform((edge, 0))[0]
    transform = mpl.transforms.blended_transform_factory(ax.transAxes, ax.transData)
    for row, text in headings.items():
        heading = ax.text(
            x_axes,
            -row,
            text,
            transform=transform,
            ha="right" if rtl else "left",
            va="center",
            fontweight="bold",
            fontsize=10,
            clip_on=False,
            path_effects=_HALO,
            zorder=5,
        )
        heading.set_in_layout(False)


# --------------------------------------------------------------------------- dot charts


def _interval_rows(
    ax: Axes,
    y: np.ndarray,
    estimate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    colours: Sequence[str],
    sizes: Sequence[float] | float = 42,
    edge: Sequence[str] | None = None,
):
    ax.hlines(y, low, high, colors=list(colours), linewidth=1.8, zorder=2, alpha=0.9)
    return ax.scatter(
        estimate,
        y,
        s=sizes,
        c=list(colours),
        zorder=3,
        edgecolors=list(edge) if edge is not None else "white",
        linewidths=0.8,
    )


def _value_labels(
    ax: Axes, y: np.ndarray, anchor: np.ndarray, values: np.ndarray, rtl: bool, digits: int = 0
) -> None:
    for yi, xi, v in zip(y, anchor, values, strict=True):
        if np.isfinite(xi) and np.isfinite(v):
            ax.annotate(
                _fmt(v, digits),
                (xi, yi),
                # Beyond the upper bound in both languages: the value axis runs left to
                # right in Arabic too, so the label's side does not mirror.
                xytext=(5, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=8,
                color=MUTED_INK,
                path_effects=_HALO,
                zorder=4,
            )


@_with_narrow_variant
def index_with_ci(
    levels: pd.DataFrame,
    lang: str,
    target: float | None = None,
    highlight: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Dot-and-interval chart of a 0-100 index per dimension or item, with a target line.

    Parameters
    ----------
    levels : DataFrame
        One row per dimension/item, top to bottom. ``label``; ``estimate``, ``ci_low``,
        ``ci_high`` (index 0-100); ``suppressed`` (bool, optional): drawn as the
        suppression note instead of a dot; ``group`` (optional) heading text to group
        rows under.
    lang : {"ar", "en"}
    target : float, optional
        The service target (``thresholds.target_index``), drawn as a dashed line.
    highlight : str, optional
        A ``label`` drawn in the highlight colour (e.g. the overall satisfaction item).
    labels : mapping, optional
        Keys ``title``, ``index`` (x axis), ``target``, ``suppressed``.
    """
    rtl = _is_rtl(lang)
    _require(levels, ["label", "estimate", "ci_low", "ci_high"], "index_with_ci")
    lab = _labels(lang, labels)
    rows, frame = _rows_with_headings(levels, "group")
    with mpl.rc_context(report_rc(lang)):
        fig = _dot_rows_figure(
            lang, rows, frame, lab, rtl, lab["index"], target=target, highlight=highlight
        )
    return fig


def _rows_with_headings(frame: pd.DataFrame, group_column: str) -> tuple[list[_Row], pd.DataFrame]:
    """Rows (headings included) and the data rows in drawing order, aligned with them."""
    rows: list[_Row] = []
    parts = []
    for heading, group in _grouped_rows(frame, group_column, None):
        if heading is not None:
            rows.append(_Row(heading, heading=True))
            parts.append(pd.DataFrame({"__heading__": [True]}))
        rows.extend(_Row(_wrap(t)) for t in group["label"])
        parts.append(group.assign(__heading__=False))
    ordered = pd.concat(parts, ignore_index=True)
    ordered["__heading__"] = ordered["__heading__"].astype(bool)
    return rows, ordered


def _dot_rows_figure(
    lang: str,
    rows: list[_Row],
    frame: pd.DataFrame,
    lab: dict[str, str],
    rtl: bool,
    xlabel: str,
    target: float | None = None,
    highlight: str | None = None,
    reference: float | None = None,
    reference_text: str | None = None,
) -> Figure:
    n_lines = _n_lines([r.text for r in rows])
    extra = 1.0 + (0.35 if lab.get("title") else 0) + (0.2 if target is not None else 0)
    fig = _new_figure(_rows_height(len(rows), n_lines, extra))
    ax = fig.add_subplot()
    y = -np.arange(len(rows), dtype=float)
    is_heading = frame["__heading__"].to_numpy()
    suppressed = _bools(frame, "suppressed") & ~is_heading
    estimate = _floats(frame.get("estimate"))
    low, high = _floats(frame.get("ci_low")), _floats(frame.get("ci_high"))
    suppressed |= ~is_heading & ~np.isfinite(estimate)
    drawn = ~is_heading & ~suppressed
    texts = frame.get("label", pd.Series([None] * len(frame))).astype("object")
    colours = [
        HIGHLIGHT_COLOUR if highlight is not None and t == highlight else INK for t in texts[drawn]
    ]
    _interval_rows(ax, y[drawn], estimate[drawn], low[drawn], high[drawn], colours)
    values = np.concatenate([low[drawn], high[drawn], [target] if target is not None else []])
    xlim = _nice_limits(np.asarray(values, dtype=float), step=10)
    ax.set_xlim(*xlim)
    _value_labels(ax, y[drawn], np.fmax(high[drawn], estimate[drawn]), estimate[drawn], rtl)
    for yi in y[suppressed]:
        _suppressed_text(ax, xlim[0], yi, lab["suppressed"], rtl)
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color=OTHERS_COLOUR, linewidth=1.0, zorder=1)
        ax.annotate(
            reference_text or "",
            xy=(reference, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8.5,
            color=MUTED_INK,
        )
    _target_line(ax, target, lab["target"], rtl)
    for i, row in enumerate(rows):
        if row.heading and i > 0:
            ax.axhline(y[i] + 0.5, color=GRID_COLOUR, linewidth=0.8, zorder=0)
    ax.set_ylim(y[-1] - 0.6, 0.6)
    bold = [r.heading or (highlight is not None and r.text == _wrap(highlight)) for r in rows]
    _set_row_ticks(ax, y, [r.text for r in rows], bold)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    _row_axes(ax, rtl)
    _title(fig, lab.get("title"), rtl)
    return fig


@_with_narrow_variant
def segment_gaps(
    gaps: pd.DataFrame,
    lang: str,
    overall: float | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Index of each group of each segment with its interval (grouped dot plot).

    Parameters
    ----------
    gaps : DataFrame
        One row per segment group. ``segment``: segment heading text (e.g. "Gender");
        ``group``: group text (e.g. "Women"); ``estimate``, ``ci_low``, ``ci_high``
        (index 0-100); ``suppressed`` (bool, optional); ``n`` (optional): appended to
        the group label as "(n = 123)".
    lang : {"ar", "en"}
    overall : float, optional
        The agency's overall index, drawn as a grey reference line.
    labels : mapping, optional
        Keys ``title``, ``index``, ``overall``, ``n``, ``suppressed``.
    """
    rtl = _is_rtl(lang)
    _require(gaps, ["segment", "group", "estimate", "ci_low", "ci_high"], "segment_gaps")
    lab = _labels(lang, labels)
    frame = gaps.copy()
    group_text = frame["group"].astype("object").map(str)
    if "n" in frame.columns:
        n = _floats(frame["n"])
        group_text = [
            f"{g} ({lab['n']} = {int(k)})" if np.isfinite(k) else g
            for g, k in zip(group_text, n, strict=True)
        ]
    frame["label"] = list(group_text)
    rows, ordered = _rows_with_headings(frame, "segment")
    with mpl.rc_context(report_rc(lang)):
        fig = _dot_rows_figure(
            lang,
            rows,
            ordered,
            lab,
            rtl,
            lab["index"],
            reference=overall,
            reference_text=lab["overall"],
        )
    return fig


@_with_narrow_variant
def league(
    table: pd.DataFrame,
    lang: str,
    target: float | None = None,
    highlight: str | None = None,
    group_colours: bool = True,
    *,
    labels: Mapping[str, str] | None = None,
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Agencies sorted by value (best on top), dots with intervals, target line.

    Parameters
    ----------
    table : DataFrame
        One row per agency. ``label`` (agency name); ``estimate``, ``ci_low``,
        ``ci_high``; ``group`` (optional): ``"programme"`` or ``"comparison"``;
        ``agency_id`` (optional); ``suppressed`` (bool, optional): listed last with the
        suppression note.
    lang : {"ar", "en"}
    target : float, optional
        Dashed target line.
    highlight : str, optional
        ``agency_id`` (or ``label`` when there is no ``agency_id`` column) of "this
        agency": pale band, bold name, larger dot with a dark edge (vermillion when
        ``group_colours`` is off).
    group_colours : bool
        Colour dots by programme / comparison group (else grey).
    labels : mapping, optional
        Keys ``title``, ``index`` (x axis), ``target``, ``programme``, ``comparison``,
        ``suppressed``.
    xlim : (float, float), optional
        Axis limits; default snapped to tens around the data and the target.
    """
    rtl = _is_rtl(lang)
    _require(table, ["label", "estimate", "ci_low", "ci_high"], "league")
    lab = _labels(lang, labels)
    frame = table.copy()
    frame["__suppressed__"] = _bools(frame, "suppressed") | ~np.isfinite(_floats(frame["estimate"]))
    frame["__estimate__"] = _floats(frame["estimate"])
    frame = frame.sort_values(
        ["__suppressed__", "__estimate__"], ascending=[True, False], kind="mergesort"
    ).reset_index(drop=True)
    key_column = "agency_id" if "agency_id" in frame.columns else "label"
    is_highlight = (
        frame[key_column].astype("object").map(str).eq(str(highlight)).to_numpy()
        if highlight is not None
        else np.zeros(len(frame), dtype=bool)
    )
    groups = (
        frame["group"].astype("object").map(lambda g: str(g).lower() if pd.notna(g) else "")
        if "group" in frame.columns
        else pd.Series([""] * len(frame))
    ).to_numpy()
    use_groups = group_colours and "group" in frame.columns
    n = len(frame)
    many = n > 40
    with mpl.rc_context(report_rc(lang)):
        wrap_width = 40
        texts = [_wrap(t, wrap_width) for t in frame["label"]]
        extra = 1.2 + (0.35 if lab.get("title") else 0) + (0.3 if use_groups else 0)
        fig = _new_figure(_rows_height(n, _n_lines(texts), extra))
        ax = fig.add_subplot()
        y = -np.arange(n, dtype=float)
        suppressed = frame["__suppressed__"].to_numpy()
        drawn = ~suppressed
        estimate = frame["__estimate__"].to_numpy()
        low, high = _floats(frame["ci_low"]), _floats(frame["ci_high"])
        if use_groups:
            colours = [COMPARISON_COLOUR if g == "comparison" else PROGRAMME_COLOUR for g in groups]
        else:
            colours = [HIGHLIGHT_COLOUR if h else OTHERS_COLOUR for h in is_highlight]
        colours = np.asarray(colours, dtype=object)
        base = 18 if many else 40
        sizes = np.where(is_highlight, base * 2.0, base)
        edges = np.where(is_highlight, INK, "white")
        for yi in y[is_highlight]:
            ax.axhspan(yi - 0.5, yi + 0.5, color=BAND_COLOUR, zorder=0, linewidth=0)
        _interval_rows(
            ax,
            y[drawn],
            estimate[drawn],
            low[drawn],
            high[drawn],
            colours[drawn],
            sizes[drawn],
            edges[drawn],
        )
        values = np.concatenate([low[drawn], high[drawn], [target] if target is not None else []])
        limits = xlim or _nice_limits(np.asarray(values, dtype=float), step=10, floor=None)
        ax.set_xlim(*limits)
        if limits[0] < 0 < limits[1]:
            ax.axvline(0, color=MUTED_INK, linewidth=0.8, zorder=1)
        if not many:
            _value_labels(ax, y[drawn], np.fmax(high[drawn], estimate[drawn]), estimate[drawn], rtl)
        for yi in y[suppressed]:
            _suppressed_text(ax, limits[0], yi, lab["suppressed"], rtl)
        _target_line(ax, target, lab["target"], rtl)
        ax.set_ylim(y[-1] - 0.6, 0.6)
        _set_row_ticks(ax, y, texts, list(is_highlight))
        if many:  # 7 pt; a phone shows the narrow variant at 0.8 scale, so 7.5 there
            ax.tick_params(axis="y", labelsize=7 if _LAYOUT.get() is WIDE else 7.5)
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        ax.set_xlabel(lab["index"])
        _row_axes(ax, rtl)
        if use_groups:
            present = [g for g in ("programme", "comparison") if g in set(groups)]
            handles = [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="-",
                    linewidth=1.8,
                    markersize=6,
                    color=PROGRAMME_COLOUR if g == "programme" else COMPARISON_COLOUR,
                )
                for g in present
            ]
            _legend(fig, handles, [lab[g] for g in present], rtl)
        _title(fig, lab.get("title"), rtl)
    return fig


# --------------------------------------------------------------------------- change


@_with_narrow_variant
def dumbbell(
    change: pd.DataFrame,
    lang: str,
    *,
    sort: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Before -> after per dimension: two dots with their intervals joined by an arrow.

    The baseline dot is hollow grey; the follow-up dot is blue-green for a gain and
    brown for a loss (the agreement palette's ends), or grey when ``significant`` is
    given and false ("no clear change"). The change is printed beyond the follow-up dot.

    Parameters
    ----------
    change : DataFrame
        One row per dimension. ``label``; ``before``, ``before_lo``, ``before_hi``,
        ``after``, ``after_lo``, ``after_hi`` (index 0-100); ``significant`` (bool,
        optional): whether the interval of the change excludes 0 after correction;
        ``suppressed`` (bool, optional).
    lang : {"ar", "en"}
    sort : bool
        Largest gain on top (suppressed rows last); else keep the order of ``change``.
    labels : mapping, optional
        Keys ``title``, ``index``, ``before``, ``after``, ``improved``, ``declined``,
        ``no_change``, ``suppressed``.
    """
    rtl = _is_rtl(lang)
    needed = ["label", "before", "before_lo", "before_hi", "after", "after_lo", "after_hi"]
    _require(change, needed, "dumbbell")
    lab = _labels(lang, labels)
    frame = change.copy()
    frame["__diff__"] = _floats(frame["after"]) - _floats(frame["before"])
    frame["__suppressed__"] = _bools(frame, "suppressed") | ~np.isfinite(frame["__diff__"])
    if sort:
        frame = frame.sort_values(
            ["__suppressed__", "__diff__"], ascending=[True, False], kind="mergesort"
        ).reset_index(drop=True)
    n = len(frame)
    has_significance = "significant" in frame.columns
    significant = _bools(frame, "significant") if has_significance else np.ones(n, dtype=bool)
    with mpl.rc_context(report_rc(lang)):
        texts = [_wrap(t) for t in frame["label"]]
        extra = 1.3 + (0.35 if lab.get("title") else 0)
        fig = _new_figure(_rows_height(n, _n_lines(texts), extra) * 1.1)
        ax = fig.add_subplot()
        y = -np.arange(n, dtype=float)
        before, after = _floats(frame["before"]), _floats(frame["after"])
        b_lo, b_hi = _floats(frame["before_lo"]), _floats(frame["before_hi"])
        a_lo, a_hi = _floats(frame["after_lo"]), _floats(frame["after_hi"])
        diff = frame["__diff__"].to_numpy()
        suppressed = frame["__suppressed__"].to_numpy()
        kinds = np.where(
            ~significant,
            "no_change",
            np.where(diff > 0, "improved", np.where(diff < 0, "declined", "no_change")),
        )
        kind_colour = {
            "improved": AGREEMENT_COLOURS[-1],
            "declined": AGREEMENT_COLOURS[0],
            "no_change": MUTED_INK,
        }
        offset = 0.14  # baseline interval just above, follow-up just below the row centre
        for i in np.flatnonzero(~suppressed):
            colour = kind_colour[kinds[i]]
            ax.hlines(y[i] + offset, b_lo[i], b_hi[i], color=OTHERS_COLOUR, linewidth=1.6, zorder=2)
            ax.hlines(
                y[i] - offset, a_lo[i], a_hi[i], color=colour, linewidth=1.6, zorder=2, alpha=0.7
            )
            if abs(diff[i]) >= 1.0:
                ax.annotate(
                    "",
                    xy=(after[i], y[i]),
                    xytext=(before[i], y[i]),
                    arrowprops={
                        "arrowstyle": "-|>,head_length=0.5,head_width=0.25",
                        "color": colour,
                        "linewidth": 1.4,
                        "shrinkA": 5,
                        "shrinkB": 5,
                    },
                    zorder=3,
                )
        shown = ~suppressed
        ax.scatter(
            before[shown],
            y[shown],
            s=46,
            facecolors="white",
            edgecolors=OTHERS_COLOUR,
            linewidths=1.6,
            zorder=4,
        )
        ax.scatter(
            after[shown],
            y[shown],
            s=52,
            c=[kind_colour[k] for k in kinds[shown]],
            edgecolors="white",
            linewidths=0.8,
            zorder=5,
        )
        values = np.concatenate([b_lo[shown], b_hi[shown], a_lo[shown], a_hi[shown]])
        limits = _nice_limits(values, step=10)
        ax.set_xlim(*limits)
        # The change is written past whichever end lies further along the axis: to its
        # right in both languages, since the axis increases left to right in both.
        for i in np.flatnonzero(shown):
            far = max(after[i], before[i], a_hi[i], b_hi[i])
            ax.annotate(
                _fmt(diff[i], 0, signed=True),
                (far, y[i]),
                xytext=(6, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=8.5,
                color=kind_colour[kinds[i]],
                fontweight="bold",
                path_effects=_HALO,
                zorder=6,
            )
        for yi in y[suppressed]:
            _suppressed_text(ax, limits[0], yi, lab["suppressed"], rtl)
        ax.set_ylim(y[-1] - 0.6, 0.6)
        _set_row_ticks(ax, y, texts, [False] * n)
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        ax.set_xlabel(lab["index"])
        _row_axes(ax, rtl)
        present = [k for k in ("improved", "declined", "no_change") if k in set(kinds[shown])]
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=OTHERS_COLOUR,
                markeredgewidth=1.6,
            )
        ]
        texts_legend = [lab["before"]]
        for k in present:
            handles.append(
                Line2D([], [], marker="o", linestyle="", markersize=7, color=kind_colour[k])
            )
            texts_legend.append(f"{lab['after']}: {lab[k]}")
        _legend(fig, handles, texts_legend, rtl)
        _title(fig, lab.get("title"), rtl)
    return fig


@_with_narrow_variant
def change_heatmap(
    matrix: pd.DataFrame,
    lang: str,
    *,
    limit: float | None = None,
    annotate: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Agency x dimension change in index points, diverging colours centred at 0.

    Parameters
    ----------
    matrix : DataFrame
        Index: agency names (rows, top to bottom); columns: dimension labels; values:
        follow-up minus baseline index. NaN marks a suppressed cell (grey, with the suppression note).
    lang : {"ar", "en"}
        In Arabic the first column stands on the right and agency names on the right.
    limit : float, optional
        Colour scale runs from -limit to +limit; default the largest absolute change
        rounded up to 5.
    annotate : bool
        Write each change in its cell.
    labels : mapping, optional
        Keys ``title``, ``change`` (colour bar), ``suppressed``.
    """
    rtl = _is_rtl(lang)
    lab = _labels(lang, labels)
    values = matrix.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    if n_rows == 0 or n_cols == 0:
        raise ValueError("change_heatmap: the matrix is empty")
    finite = values[np.isfinite(values)]
    if limit is None:
        largest = float(np.abs(finite).max()) if finite.size else 5.0
        limit = max(5.0, math.ceil(largest / 5) * 5)
    # Narrow columns: short lines, and a smaller font below (long dimension names collide).
    # On a phone the columns are too narrow even for short lines: names stand upright.
    upright = _LAYOUT.get() is not WIDE
    columns = [_wrap(c, 40 if upright else 12) for c in matrix.columns]
    rows = [_wrap(r, 40) for r in matrix.index]
    if rtl:  # the first dimension on the right, where reading starts
        values, columns = values[:, ::-1], columns[::-1]
    with mpl.rc_context(report_rc(lang)):
        if upright:
            longest = max((len(line) for c in columns for line in c.split("\n")), default=1)
            head = 0.07 * longest + 0.4
        else:
            head = 0.25 * _n_lines(columns) + 0.5
        height = max(2.6, n_rows * 0.32 * _n_lines(rows) ** 0.5 + head + 1.0)
        fig = _new_figure(height)
        ax = fig.add_subplot()
        masked = np.ma.masked_invalid(values)
        mesh = ax.pcolormesh(
            np.arange(n_cols + 1),
            np.arange(n_rows + 1),
            masked,
            cmap=DIVERGING_CMAP,
            norm=TwoSlopeNorm(vcenter=0, vmin=-limit, vmax=limit),
            edgecolors="white",
            linewidth=1.2,
        )
        for r, c in zip(*np.nonzero(~np.isfinite(values)), strict=True):
            ax.add_patch(
                mpl.patches.Rectangle(
                    (c, r), 1, 1, facecolor="#F2F2F2", edgecolor="white", linewidth=1.2
                )
            )
            ax.text(
                c + 0.5,
                r + 0.5,
                # On a phone a cell is narrower than "n < 10": it takes two lines there.
                lab["suppressed"].replace(" ", "\n", 1) if upright else lab["suppressed"],
                ha="center",
                va="center",
                fontsize=7.5,
                color=MUTED_INK,
            )
        if annotate:
            for r in range(n_rows):
                for c in range(n_cols):
                    v = values[r, c]
                    if np.isfinite(v):
                        strong = abs(v) > 0.55 * limit
                        ax.text(
                            c + 0.5,
                            r + 0.5,
                            _fmt(v, 0, signed=True),
                            ha="center",
                            va="center",
                            fontsize=8,
                            color="white" if strong else INK,
                        )
        ax.set_xlim(0, n_cols)
        ax.set_ylim(n_rows, 0)
        ax.set_xticks(np.arange(n_cols) + 0.5, columns, fontsize=8.5, rotation=90 if upright else 0)
        ax.set_yticks(np.arange(n_rows) + 0.5, rows)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if rtl:
            ax.yaxis.tick_right()
        colourbar = fig.colorbar(
            mesh,
            ax=ax,
            orientation="horizontal",
            location="bottom",
            fraction=0.05,
            shrink=0.6,
            aspect=30,
            pad=0.02,
        )
        colourbar.set_label(lab["change"])
        colourbar.outline.set_visible(False)
        colourbar.ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: _fmt(v, 0, signed=v != 0))
        )
        # The colour bar is a numeric scale: low to high, left to right, in Arabic too.
        _title(fig, lab.get("title"), rtl)
    return fig


# --------------------------------------------------------------------------- meta-analysis


@_with_narrow_variant
def forest(
    studies: pd.DataFrame,
    pooled: Mapping[str, float],
    lang: str,
    *,
    labels: Mapping[str, str] | None = None,
    digits: int = 2,
) -> Figure:
    """Forest plot: each agency's Hedges' g with its CI, the pooled diamond and the PI.

    Squares have an area proportional to the random-effects weight; the pooled estimate
    is a diamond spanning its confidence interval, and the 95% prediction interval (the
    range in which a new agency's effect is expected; Riley, Higgins & Deeks, 2011, BMJ
    342:d549) is its own row under it. The numbers ``g [low, high]`` and the weight in
    percent are listed on the side opposite the names.

    Parameters
    ----------
    studies : DataFrame
        One row per agency, top to bottom. ``label``; ``g``, ``ci_low``, ``ci_high``;
        ``weight`` (optional; any positive scale, shown as percent of the total).
    pooled : mapping or object
        ``g`` (or ``estimate``), ``ci_low``, ``ci_high``; ``pi_low``, ``pi_high``
        optional (NaN or absent when there are too few agencies for a prediction
        interval). A dict, a pandas Series or ``meta.RandomEffectsResult`` all work.
    lang : {"ar", "en"}
    labels : mapping, optional
        Keys ``title``, ``g`` (x axis), ``pooled``, ``prediction``, ``weight``.
    digits : int
        Decimals of the numbers column.
    """
    rtl = _is_rtl(lang)
    _require(studies, ["label", "g", "ci_low", "ci_high"], "forest")
    pooled_g = _field(pooled, "g", "estimate")
    plo, phi = _field(pooled, "ci_low"), _field(pooled, "ci_high")
    if not all(np.isfinite([pooled_g, plo, phi])):
        raise ValueError("forest: pooled needs a finite g (or estimate), ci_low and ci_high")
    lab = _labels(lang, labels)
    g, low, high = (_floats(studies[c]) for c in ("g", "ci_low", "ci_high"))
    weight = _floats(studies["weight"]) if "weight" in studies.columns else np.ones(len(g))
    share = weight / np.nansum(weight) * 100
    pg = pooled_g
    pi_low, pi_high = _field(pooled, "pi_low"), _field(pooled, "pi_high")
    has_pi = np.isfinite(pi_low) and np.isfinite(pi_high)
    k = len(g)
    texts = [_wrap(t) for t in studies["label"]]
    # Rows: agencies, a gap, the pooled estimate, then the prediction interval.
    y_studies = -np.arange(k, dtype=float)
    y_pooled = -(k + 0.6)
    y_pi = y_pooled - 1.0
    numbers = [
        f"{_fmt(gi, digits)} {_fmt_interval(lo, hi, lang, digits)}   {wi:.0f}%"
        if np.isfinite(gi)
        else ""
        for gi, lo, hi, wi in zip(g, low, high, share, strict=True)
    ]
    with mpl.rc_context(report_rc(lang)):
        n_rows = k + 2 + (1 if has_pi else 0)
        extra = 1.0 + (0.35 if lab.get("title") else 0)
        fig = _new_figure(_rows_height(n_rows, _n_lines(texts), extra))
        ax = fig.add_subplot()
        finite_w = np.where(np.isfinite(share), share, 0)
        sizes = 18 + 160 * finite_w / max(finite_w.max(), 1e-9)
        ax.hlines(y_studies, low, high, color=INK, linewidth=1.2, zorder=2)
        ax.scatter(
            g,
            y_studies,
            s=sizes,
            marker="s",
            color=PROGRAMME_COLOUR,
            zorder=3,
            edgecolors="white",
            linewidths=0.5,
        )
        diamond = Polygon(
            [(plo, y_pooled), (pg, y_pooled + 0.32), (phi, y_pooled), (pg, y_pooled - 0.32)],
            closed=True,
            facecolor=INK,
            edgecolor=INK,
            zorder=3,
        )
        ax.add_patch(diamond)
        ax.axvline(0, color=MUTED_INK, linewidth=0.9, zorder=1)
        ax.axvline(pg, color=INK, linewidth=0.8, linestyle=(0, (3, 3)), zorder=1, alpha=0.6)
        row_y = [*y_studies, y_pooled]
        row_text = [*texts, lab["pooled"]]
        row_numbers = [*numbers, f"{_fmt(pg, digits)} {_fmt_interval(plo, phi, lang, digits)}"]
        values = [low, high, [plo, phi]]
        if has_pi:
            ax.hlines(y_pi, pi_low, pi_high, color=INK, linewidth=2.2, zorder=2)
            ax.vlines([pi_low, pi_high], y_pi - 0.15, y_pi + 0.15, color=INK, linewidth=1.4)
            row_y.append(y_pi)
            row_text.append(lab["prediction"])
            row_numbers.append(_fmt_interval(pi_low, pi_high, lang, digits))
            values.append([pi_low, pi_high])
        span = np.concatenate([np.asarray(v, dtype=float) for v in values] + [np.array([0.0])])
        span = span[np.isfinite(span)]
        pad = 0.08 * (span.max() - span.min() or 1)
        ax.set_xlim(span.min() - pad, span.max() + pad)
        ax.set_ylim(min(row_y) - 0.7, 0.7)
        ax.axhline((y_studies[-1] + y_pooled) / 2 if k else 0, color=GRID_COLOUR, linewidth=0.8)
        bold = [False] * k + [True] + ([False] if has_pi else [])
        _set_row_ticks(ax, np.asarray(row_y), row_text, bold)
        # The numbers column is a second y axis on the other side of the names; a phone
        # has no room for it beside the names (the numbers are in the table and alt text).
        if _LAYOUT.get() is WIDE:
            numbers_axis = ax.secondary_yaxis("left" if rtl else "right")
            numbers_axis.set_yticks(row_y, row_numbers)
            numbers_axis.tick_params(length=0, labelsize=8.5, pad=6)
            numbers_axis.spines[:].set_visible(False)
            for label in numbers_axis.get_yticklabels():
                label.set_color(MUTED_INK)
        ax.set_xlabel(lab["g"])
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        _row_axes(ax, rtl)
        _title(fig, lab.get("title"), rtl)
    return fig


# --------------------------------------------------------------------------- scatters


@_with_narrow_variant
def importance_performance(
    ipa: pd.DataFrame,
    lang: str,
    *,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Importance-performance matrix (Martilla & James, 1977).

    Performance (index 0-100) runs along x, importance (share of explained variance,
    %) up y; dashed lines at the means of each split the plane into four quadrants,
    named in their corners. Points in "concentrate here" (important, below-average
    performance) are drawn in the highlight colour.

    Parameters
    ----------
    ipa : DataFrame
        One row per driver. ``label``; ``importance`` (%, e.g. the Shapley share of R²);
        ``performance`` (index 0-100).
    lang : {"ar", "en"}
    labels : mapping, optional
        Keys ``title``, ``importance``, ``performance``, ``q_concentrate``, ``q_keep``,
        ``q_low``, ``q_overkill``.
    """
    rtl = _is_rtl(lang)
    _require(ipa, ["label", "importance", "performance"], "importance_performance")
    lab = _labels(lang, labels)
    importance, performance = _floats(ipa["importance"]), _floats(ipa["performance"])
    ok = np.isfinite(importance) & np.isfinite(performance)
    importance, performance = importance[ok], performance[ok]
    texts = [_wrap(t, 24) for t in ipa["label"][ok]]
    mean_i, mean_p = float(np.mean(importance)), float(np.mean(performance))
    concentrate = (importance >= mean_i) & (performance < mean_p)
    colours = np.where(concentrate, HIGHLIGHT_COLOUR, INK)
    with mpl.rc_context(report_rc(lang)):
        extra = 0.35 if lab.get("title") else 0
        fig = _new_figure(5.6 + extra)
        ax = fig.add_subplot()
        ax.scatter(
            performance,
            importance,
            s=40,
            c=list(colours),
            zorder=3,
            edgecolors="white",
            linewidths=0.8,
        )
        ax.axvline(mean_p, color=MUTED_INK, linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
        ax.axhline(mean_i, color=MUTED_INK, linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
        x_span = max(performance.max() - performance.min(), 10)
        y_span = max(importance.max(), 1)
        ax.set_xlim(performance.min() - 0.22 * x_span, performance.max() + 0.22 * x_span)
        ax.set_ylim(0, importance.max() + 0.22 * y_span)
        ax.set_xlabel(lab["performance"])
        ax.set_ylabel(lab["importance"])
        _scatter_axes(ax, rtl)
        # Quadrant names sit in the outer corners; "low performance" is the left half in
        # English and the right half in Arabic, where the x axis runs the other way.
        low_side, high_side = (0.985, 0.015) if rtl else (0.015, 0.985)
        corners = [
            (lab["q_concentrate"], low_side, 0.985, HIGHLIGHT_COLOUR),
            (lab["q_keep"], high_side, 0.985, MUTED_INK),
            (lab["q_low"], low_side, 0.015, MUTED_INK),
            (lab["q_overkill"], high_side, 0.015, MUTED_INK),
        ]
        names = [
            ax.text(
                x,
                yy,
                text,
                transform=ax.transAxes,
                ha="left" if x < 0.5 else "right",
                va="top" if yy > 0.5 else "bottom",
                fontsize=9,
                fontstyle=_italic(rtl),
                color=colour,
                alpha=0.9,
            )
            for text, x, yy, colour in corners
        ]
        _title(fig, lab.get("title"), rtl)
        _place_point_labels(ax, performance, importance, texts, rtl, list(colours), names)
    return fig


@_with_narrow_variant
def dose_response(
    points: pd.DataFrame,
    fit: pd.DataFrame | None,
    lang: str,
    *,
    highlight: str | None = None,
    label_points: bool | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Change in the satisfaction index against training coverage, with the fitted line.

    Parameters
    ----------
    points : DataFrame
        One row per agency. ``label``; ``coverage`` (% of front-line staff trained);
        ``change`` (index points); ``group`` (optional, ``programme``/``comparison``);
        ``agency_id`` (optional, matched by ``highlight``).
    fit : DataFrame or None
        The fitted line on a grid: ``coverage``, ``estimate``; ``ci_low``, ``ci_high``
        (optional) draw the confidence band.
    lang : {"ar", "en"}
    highlight : str, optional
        ``agency_id`` (or ``label``) of "this agency", drawn in the highlight colour and
        always labelled.
    label_points : bool, optional
        Name every point; default when there are at most 30.
    labels : mapping, optional
        Keys ``title``, ``coverage`` (x axis), ``change`` (y axis), ``fit``,
        ``programme``, ``comparison``.
    """
    rtl = _is_rtl(lang)
    _require(points, ["label", "coverage", "change"], "dose_response")
    lab = _labels(lang, labels)
    x, y = _floats(points["coverage"]), _floats(points["change"])
    ok = np.isfinite(x) & np.isfinite(y)
    frame = points[ok].reset_index(drop=True)
    x, y = x[ok], y[ok]
    key_column = "agency_id" if "agency_id" in frame.columns else "label"
    is_highlight = (
        frame[key_column].astype("object").map(str).eq(str(highlight)).to_numpy()
        if highlight is not None
        else np.zeros(len(frame), dtype=bool)
    )
    has_groups = "group" in frame.columns
    groups = (
        frame["group"].astype("object").map(lambda g: str(g).lower() if pd.notna(g) else "")
        if has_groups
        else pd.Series(["programme"] * len(frame))
    ).to_numpy()
    colours = np.where(groups == "comparison", COMPARISON_COLOUR, PROGRAMME_COLOUR)
    if highlight is not None:
        colours = np.where(is_highlight, HIGHLIGHT_COLOUR, OTHERS_COLOUR)
    with mpl.rc_context(report_rc(lang)):
        extra = 0.35 if lab.get("title") else 0
        fig = _new_figure(4.8 + extra)
        ax = fig.add_subplot()
        handles, legend_texts = [], []
        if fit is not None and len(fit):
            _require(fit, ["coverage", "estimate"], "dose_response (fit)")
            fx = _floats(fit["coverage"])
            order = np.argsort(fx)
            fx, fe = fx[order], _floats(fit["estimate"])[order]
            if {"ci_low", "ci_high"} <= set(fit.columns):
                flo, fhi = _floats(fit["ci_low"])[order], _floats(fit["ci_high"])[order]
                ax.fill_between(
                    fx, flo, fhi, color=PROGRAMME_COLOUR, alpha=0.15, linewidth=0, zorder=1
                )
            ax.plot(fx, fe, color=PROGRAMME_COLOUR, linewidth=1.8, zorder=2)
            handles.append(Line2D([], [], color=PROGRAMME_COLOUR, linewidth=1.8))
            legend_texts.append(lab["fit"])
        ax.scatter(
            x,
            y,
            s=np.where(is_highlight, 70, 38),
            c=list(colours),
            zorder=3,
            edgecolors=np.where(is_highlight, INK, "white"),
            linewidths=0.8,
        )
        ax.axhline(0, color=MUTED_INK, linewidth=0.8, zorder=1)
        if has_groups and highlight is None:
            for g in ("programme", "comparison"):
                if g in set(groups):
                    handles.append(
                        Line2D(
                            [],
                            [],
                            marker="o",
                            linestyle="",
                            markersize=6,
                            color=PROGRAMME_COLOUR if g == "programme" else COMPARISON_COLOUR,
                        )
                    )
                    legend_texts.append(lab[g])
        x_span = max(np.ptp(x) if x.size else 0, 10)
        y_all = np.concatenate([y, [0.0]])
        y_span = max(np.ptp(y_all), 2)
        ax.set_xlim(
            max(0, x.min() - 0.12 * x_span) if x.size else 0,
            x.max() + 0.12 * x_span if x.size else 100,
        )
        ax.set_ylim(y_all.min() - 0.15 * y_span, y_all.max() + 0.15 * y_span)
        ax.set_xlabel(lab["coverage"])
        ax.set_ylabel(lab["change"])
        ax.grid(True)
        ax.set_axisbelow(True)
        _scatter_axes(ax, rtl)
        _legend(fig, handles, legend_texts, rtl)
        _title(fig, lab.get("title"), rtl)
        name_all = label_points if label_points is not None else len(frame) <= 30
        chosen = np.ones(len(frame), dtype=bool) if name_all else is_highlight
        if chosen.any():
            _place_point_labels(
                ax, x[chosen], y[chosen], [_wrap(t, 22) for t in frame["label"][chosen]], rtl
            )
    return fig


# --------------------------------------------------------------------------- timeline


@_with_narrow_variant
def activity_timeline(
    activities: pd.DataFrame,
    lang: str,
    wave_windows: Mapping[str, tuple[Any, Any]] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Intervention activities over time, one row per activity type.

    Marker area grows with the number of staff trained (activities without a count get
    a small hollow marker); the fieldwork windows of the two survey waves are shaded and
    named. Dates are written as numbers (YYYY-MM), which read the same in both
    languages.

    Parameters
    ----------
    activities : DataFrame
        One row per logged activity. ``date`` (datetime-like); ``activity``: type text
        (already translated), rows in order of first appearance; ``staff_trained``
        (optional, number).
    lang : {"ar", "en"}
    wave_windows : mapping wave label -> (start, end), optional
        Shaded fieldwork windows, e.g. ``{"Baseline": ("2025-01-05", "2025-02-10")}``.
    labels : mapping, optional
        Keys ``title``, ``staff_trained`` (size legend title), ``staff_unknown`` (legend
        entry of activities without a count).
    """
    rtl = _is_rtl(lang)
    _require(activities, ["date", "activity"], "activity_timeline")
    lab = _labels(lang, labels)
    frame = activities.copy()
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    frame = frame[frame["date"].notna()].reset_index(drop=True)
    types = list(dict.fromkeys(frame["activity"].astype("object").map(str)))
    position = {t: -i for i, t in enumerate(types)}
    staff = (
        _floats(frame["staff_trained"])
        if "staff_trained" in frame.columns
        else np.full(len(frame), np.nan)
    )
    largest = np.nanmax(staff) if np.isfinite(staff).any() else 1.0
    largest = max(largest, 1.0)

    def area(count: np.ndarray) -> np.ndarray:
        return 24 + 320 * np.asarray(count, dtype=float) / largest

    with mpl.rc_context(report_rc(lang)):
        texts = [_wrap(t, 26) for t in types]
        extra = 1.7 + (0.35 if lab.get("title") else 0)
        fig = _new_figure(_rows_height(max(len(types), 2), _n_lines(texts), extra) * 1.15)
        ax = fig.add_subplot()
        dates = mdates.date2num(frame["date"].to_numpy())
        y = np.array([position[str(t)] for t in frame["activity"]], dtype=float)
        counted = np.isfinite(staff)
        ax.scatter(
            dates[counted],
            y[counted],
            s=area(staff[counted]),
            color=PROGRAMME_COLOUR,
            alpha=0.55,
            edgecolors=PROGRAMME_COLOUR,
            linewidths=0.8,
            zorder=3,
        )
        ax.scatter(
            dates[~counted],
            y[~counted],
            s=22,
            facecolors="white",
            edgecolors=PROGRAMME_COLOUR,
            linewidths=1.0,
            zorder=3,
        )
        all_dates = list(dates)
        for name, (start, end) in (wave_windows or {}).items():
            start_n = mdates.date2num(pd.Timestamp(start)) if start is not None else None
            end_n = mdates.date2num(pd.Timestamp(end)) if end is not None else None
            if start_n is None or end_n is None:
                continue
            ax.axvspan(start_n, end_n, color=WINDOW_COLOUR, zorder=0, linewidth=0)
            ax.annotate(
                str(name),
                xy=((start_n + end_n) / 2, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=MUTED_INK,
            )
            all_dates += [start_n, end_n]
        if all_dates:
            lo, hi = min(all_dates), max(all_dates)
            pad = max((hi - lo) * 0.04, 7)
            ax.set_xlim(lo - pad, hi + pad)
        # At most six dates fit under a report-width axis; numeric dates read the same in
        # both languages.
        locator = mdates.AutoDateLocator(minticks=3, maxticks=min(6, _LAYOUT.get().max_ticks - 1))
        formatter = mdates.AutoDateFormatter(locator, defaultfmt="%Y-%m-%d")
        formatter.scaled = {
            mdates.DAYS_PER_YEAR: "%Y",
            mdates.DAYS_PER_MONTH: "%Y-%m",
            1.0: "%Y-%m-%d",
            1 / mdates.HOURS_PER_DAY: "%Y-%m-%d",
        }
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
        ax.set_ylim(-(len(types) - 1) - 0.7, 0.7)
        _set_row_ticks(
            ax, np.asarray([position[t] for t in types], dtype=float), texts, [False] * len(types)
        )
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        # Time runs left to right in both languages, like every other numeric axis.
        _row_axes(ax, rtl)
        handles, legend_texts = [], []
        if counted.any():
            steps = _size_steps(largest)
            handles = [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=PROGRAMME_COLOUR,
                    alpha=0.55,
                    markersize=math.sqrt(float(area(np.array([s]))[0])),
                )
                for s in steps
            ]
            legend_texts = [f"{s:g}" for s in steps]
        if (~counted).any():
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=math.sqrt(22),
                    markerfacecolor="white",
                    markeredgecolor=PROGRAMME_COLOUR,
                )
            )
            legend_texts.append(lab["staff_unknown"])
        legend = _legend(fig, handles, legend_texts, rtl)
        if legend is not None:
            legend.set_title(lab["staff_trained"], prop={"size": 9})
        _title(fig, lab.get("title"), rtl)
    return fig


def _size_steps(largest: float) -> list[float]:
    """Three round reference counts for the size legend (e.g. 5, 10, 20)."""
    top = float(np.round(largest, -int(math.floor(math.log10(largest))) if largest >= 10 else 0))
    top = max(top, 1.0)
    steps = sorted({max(1.0, round(top / 4)), max(1.0, round(top / 2)), top})
    return steps
