"""Report figures: shapes drawn, right-to-left layout, palette and reproducibility.

Expected counts and positions are worked out by hand from the small frames below; the
palette checks use published colour-science values (CIE L*a*b* of sRGB red, the
Machado et al. 2009 colour-vision-deficiency matrices).
"""

from __future__ import annotations

import base64
import colorsys
import itertools
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.text import Text

from analysis import plots

ARABIC = range(0x0600, 0x0700)


def _has_arabic(text: str) -> bool:
    return any(ord(ch) in ARABIC for ch in text)


# --------------------------------------------------------------------------- small data

SCALE = {
    "en": {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"},
    "ar": {1: "لا أوافق بشدة", 2: "لا أوافق", 3: "محايد", 4: "أوافق", 5: "أوافق بشدة"},
}
ITEMS = {
    "en": [
        ("Information was easy to find", "Before"),
        ("Staff were courteous", "During"),
        ("The wait was acceptable", "During"),
        ("I was told how to follow up", "After"),
    ],
    "ar": [
        ("كان من السهل العثور على المعلومات", "قبل"),
        ("تعامل الموظفون بلباقة", "أثناء"),
        ("كان وقت الانتظار مقبولا", "أثناء"),
        ("أبلغت بكيفية المتابعة", "بعد"),
    ],
}
LABELS = {
    "en": ["Information", "Courtesy", "Speed", "Outcome"],
    "ar": ["المعلومات", "اللباقة", "السرعة", "النتيجة"],
}


def _dist(lang: str) -> pd.DataFrame:
    rows = [[10, 20, 40, 20, 10], [5, 5, 10, 50, 30], [30, 30, 20, 10, 10], [0, 10, 20, 40, 30]]
    return pd.DataFrame(
        [
            {"label": label, "stage": stage, **dict(zip(range(1, 6), pct, strict=True))}
            for (label, stage), pct in zip(ITEMS[lang], rows, strict=True)
        ]
    )


def _levels(lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": LABELS[lang],
            "estimate": [72.0, 64.0, np.nan, 55.0],
            "ci_low": [68.0, 60.0, np.nan, 50.0],
            "ci_high": [76.0, 68.0, np.nan, 60.0],
            "suppressed": [False, False, True, False],
        }
    )


def _ipa(lang: str) -> pd.DataFrame:
    # Means: importance 25, performance 65 -> "Speed" (40, 55) is "concentrate here".
    return pd.DataFrame(
        {
            "label": LABELS[lang],
            "importance": [30.0, 10.0, 40.0, 20.0],
            "performance": [80.0, 70.0, 55.0, 55.0],
        }
    )


def _gaps(lang: str) -> pd.DataFrame:
    segment, groups = ("Gender", ["Men", "Women"]) if lang == "en" else ("الجنس", ["رجال", "نساء"])
    age, ages = ("Age", ["18-29", "30+"]) if lang == "en" else ("العمر", ["18-29", "30 فأكثر"])
    return pd.DataFrame(
        {
            "segment": [segment, segment, age, age],
            "group": [*groups, *ages],
            "estimate": [70.0, 62.0, 66.0, np.nan],
            "ci_low": [65.0, 57.0, 60.0, np.nan],
            "ci_high": [75.0, 67.0, 72.0, np.nan],
            "n": [120, 95, 60, 7],
            "suppressed": [False, False, False, True],
        }
    )


def _change(lang: str) -> pd.DataFrame:
    # Changes: +10 (significant), -6 (significant), +2 (not significant), suppressed.
    return pd.DataFrame(
        {
            "label": LABELS[lang],
            "before": [60.0, 70.0, 65.0, np.nan],
            "before_lo": [56.0, 66.0, 61.0, np.nan],
            "before_hi": [64.0, 74.0, 69.0, np.nan],
            "after": [70.0, 64.0, 67.0, np.nan],
            "after_lo": [66.0, 60.0, 63.0, np.nan],
            "after_hi": [74.0, 68.0, 71.0, np.nan],
            "significant": [True, True, False, False],
            "suppressed": [False, False, False, True],
        }
    )


AGENCIES = {
    "en": ["Civil Registry", "Traffic Department", "Passports", "Post Office", "Water Authority"],
    "ar": ["الأحوال المدنية", "إدارة المرور", "الجوازات", "مكتب البريد", "هيئة المياه"],
}


def _studies(lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": AGENCIES[lang][:4],
            "g": [0.2, 0.5, -0.1, 0.35],
            "ci_low": [-0.1, 0.2, -0.4, 0.1],
            "ci_high": [0.5, 0.8, 0.2, 0.6],
            "weight": [20.0, 30.0, 25.0, 25.0],
        }
    )


POOLED = {"g": 0.31, "ci_low": 0.2, "ci_high": 0.42, "pi_low": -0.05, "pi_high": 0.67}


def _league(lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agency_id": ["A1", "A2", "A3", "A4", "A5"],
            "label": AGENCIES[lang],
            "estimate": [64.0, 81.0, np.nan, 72.0, 58.0],
            "ci_low": [60.0, 77.0, np.nan, 68.0, 52.0],
            "ci_high": [68.0, 85.0, np.nan, 76.0, 64.0],
            "group": ["programme", "comparison", "programme", "programme", "comparison"],
            "suppressed": [False, False, True, False, False],
        }
    )


def _matrix(lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        [[5.0, -3.0, 0.4], [np.nan, 12.0, -8.0]],
        index=AGENCIES[lang][:2],
        columns=LABELS[lang][:3],
    )


def _activities(lang: str) -> pd.DataFrame:
    kinds = ["Training", "Field visit"] if lang == "en" else ["تدريب", "زيارة ميدانية"]
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-03-01", "2025-03-15", "2025-04-02", "2025-05-20"]),
            "activity": [kinds[0], kinds[1], kinds[0], kinds[1]],
            "staff_trained": [12, np.nan, 30, 5],
        }
    )


WINDOWS = {"Baseline": ("2025-01-05", "2025-02-10"), "Follow-up": ("2025-07-01", "2025-08-01")}


def _points(lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agency_id": ["A1", "A2", "A3", "A4", "A5"],
            "label": AGENCIES[lang],
            "coverage": [20.0, 35.0, 50.0, 65.0, 80.0],
            "change": [1.0, 2.5, 4.0, 7.0, 8.0],
            "group": ["programme", "programme", "comparison", "programme", "programme"],
        }
    )


def _fit() -> pd.DataFrame:
    grid = np.linspace(20, 80, 7)
    return pd.DataFrame(
        {
            "coverage": grid,
            "estimate": 0.12 * grid,
            "ci_low": 0.12 * grid - 2,
            "ci_high": 0.12 * grid + 2,
        }
    )


#: Every chart with a category axis, built from the small frames in either language.
ROW_CHARTS = {
    "likert_diverging": lambda lang: plots.likert_diverging(
        _dist(lang), lang, scale_labels=SCALE[lang]
    ),
    "likert_before_after": lambda lang: plots.likert_before_after(
        _dist(lang), _dist(lang).iloc[::-1], lang, scale_labels=SCALE[lang]
    ),
    "index_with_ci": lambda lang: plots.index_with_ci(_levels(lang), lang, target=70),
    "segment_gaps": lambda lang: plots.segment_gaps(_gaps(lang), lang, overall=66),
    "dumbbell": lambda lang: plots.dumbbell(_change(lang), lang),
    "forest": lambda lang: plots.forest(_studies(lang), POOLED, lang),
    "league": lambda lang: plots.league(_league(lang), lang, target=70, highlight="A4"),
    "change_heatmap": lambda lang: plots.change_heatmap(_matrix(lang), lang),
    "activity_timeline": lambda lang: plots.activity_timeline(_activities(lang), lang, WINDOWS),
}
SCATTERS = {
    "importance_performance": lambda lang: plots.importance_performance(_ipa(lang), lang),
    "dose_response": lambda lang: plots.dose_response(_points(lang), _fit(), lang),
}
ALL_CHARTS = {**ROW_CHARTS, **SCATTERS}


def _ytick_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def _scatter_offsets(ax) -> np.ndarray:
    return np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])


# --------------------------------------------------------------------------- palette

#: Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB.
MACHADO = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def _linear(colour: str) -> np.ndarray:
    c = np.asarray(to_rgb(colour))
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of linear sRGB (IEC 61966-2-1 matrix, CIE 1976 formulas)."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    t = m @ linear_rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _seen(colour: str, deficiency: str | None) -> np.ndarray:
    rgb = _linear(colour)
    if deficiency is not None:
        rgb = np.clip(np.asarray(MACHADO[deficiency]) @ rgb, 0, 1)
    return _lab(rgb)


def _delta_e(a: str, b: str, deficiency: str | None = None) -> float:
    return float(np.linalg.norm(_seen(a, deficiency) - _seen(b, deficiency)))


def test_when_lab_helper_converts_srgb_red_then_it_matches_the_published_value():
    # sRGB #FF0000 is L*a*b* (53.24, 80.09, 67.20) under D65 (Lindbloom's calculator).
    np.testing.assert_allclose(_seen("#FF0000", None), [53.24, 80.09, 67.20], atol=0.05)
    np.testing.assert_allclose(_seen("#FFFFFF", None), [100, 0, 0], atol=0.02)


def test_when_palette_constants_are_read_then_no_pair_is_red_against_green():
    colours = [
        *plots.AGREEMENT_COLOURS,
        plots.PROGRAMME_COLOUR,
        plots.COMPARISON_COLOUR,
        plots.HIGHLIGHT_COLOUR,
        plots.OTHERS_COLOUR,
    ]

    def hue_class(colour: str) -> str | None:
        h, s, v = colorsys.rgb_to_hsv(*to_rgb(colour))
        if s < 0.4 or v < 0.2:
            return None
        degrees = h * 360
        if degrees < 20 or degrees > 340:
            return "red"
        if 90 <= degrees <= 150:
            return "green"
        return None

    classes = {hue_class(c) for c in colours}
    assert not {"red", "green"} <= classes


@pytest.mark.parametrize("deficiency", [None, "protanopia", "deuteranopia", "tritanopia"])
def test_when_agreement_palette_is_seen_with_a_colour_deficiency_then_neighbours_stay_apart(
    deficiency,
):
    colours = plots.AGREEMENT_COLOURS
    for a, b in itertools.pairwise(colours):
        assert _delta_e(a, b, deficiency) >= 15, (a, b, deficiency)
    # Group colours and the highlight stay far apart too.
    assert _delta_e(plots.PROGRAMME_COLOUR, plots.COMPARISON_COLOUR, deficiency) >= 40
    assert _delta_e(plots.HIGHLIGHT_COLOUR, plots.OTHERS_COLOUR, deficiency) >= 40


def test_when_agreement_palette_is_read_then_it_runs_dark_light_dark_around_a_grey_neutral():
    lightness = [_seen(c, None)[0] for c in plots.AGREEMENT_COLOURS]
    assert lightness[0] < lightness[1] < lightness[2] > lightness[3] > lightness[4]
    _, a, b = _seen(plots.AGREEMENT_NEUTRAL, None)
    assert abs(a) < 1 and abs(b) < 1
    # Visible on a white page.
    assert _delta_e(plots.AGREEMENT_NEUTRAL, "#FFFFFF") >= 10


def test_when_a_seven_point_scale_is_coloured_then_the_middle_is_the_neutral_grey():
    colours = plots.agreement_colours(7)
    assert len(colours) == 7
    assert colours[3] == plots.AGREEMENT_NEUTRAL
    assert plots.agreement_colours(5) == plots.AGREEMENT_COLOURS


# --------------------------------------------------------------------------- style


def test_when_use_report_style_runs_after_a_dirty_session_then_rcparams_are_reset():
    original = dict(mpl.rcParams)
    try:
        mpl.rcParams["lines.linewidth"] = 9
        mpl.rcParams["axes.spines.top"] = True
        plots.use_report_style("ar")
        assert mpl.rcParams["lines.linewidth"] == 1.5  # matplotlib's default
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["axes.spines.right"] is False
        assert mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"
        assert mpl.rcParams["svg.hashsalt"] is not None
        assert mpl.rcParams["axes.titlelocation"] == "right"
        plots.use_report_style("en")
        assert mpl.rcParams["axes.titlelocation"] == "left"
    finally:
        mpl.rcParams.update(original)


def test_when_charts_are_built_then_global_rcparams_and_pyplot_are_untouched():
    before = dict(mpl.rcParams)
    figures_before = plt.get_fignums()
    for build in ALL_CHARTS.values():
        assert isinstance(build("ar"), Figure)
    assert dict(mpl.rcParams) == before
    assert plt.get_fignums() == figures_before


def test_when_lang_is_unknown_then_value_error():
    with pytest.raises(ValueError, match="lang"):
        plots.index_with_ci(_levels("en"), "fr")


# --------------------------------------------------------------------------- RTL


@pytest.mark.parametrize("name", sorted(ALL_CHARTS))
def test_when_lang_is_ar_then_arabic_labels_stand_right_of_the_plot(name):
    fig = ALL_CHARTS[name]("ar")
    fig.draw_without_rendering()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    assert ax.yaxis.get_ticks_position() == "right"
    texts = [t for t in ax.get_yticklabels(which="major") if t.get_text()]
    # Drawn labels of a right-hand axis are the ticks' label2.
    drawn = [t.label2 for t in ax.yaxis.get_major_ticks() if t.label2.get_text()]
    axes_right = ax.get_window_extent(renderer).x1
    if name in ROW_CHARTS:
        assert any(_has_arabic(t.get_text()) for t in texts)
        assert all(label.get_window_extent(renderer).x0 >= axes_right - 1 for label in drawn)
    if name in MIRRORED_CATEGORY_AXES:
        assert ax.xaxis_inverted()


#: Charts whose x axis is a category order read from the reading side (the Likert scale,
#: disagree to agree): mirrored in Arabic. Every other x axis is numeric, time included,
#: and the heatmap's colour bar too (issue 13: presenters switching languages).
MIRRORED_CATEGORY_AXES = {"likert_diverging", "likert_before_after"}


@pytest.mark.parametrize("name", ["index_with_ci", "segment_gaps"])
def test_when_lang_is_ar_then_value_labels_stand_beyond_the_upper_bound(name):
    fig = ALL_CHARTS[name]("ar")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [a for a in ax.texts if hasattr(a, "xy") and a.get_text().strip("+-−").isdigit()]
    assert labels, "no value labels drawn"
    for label in labels:
        anchor_x = ax.transData.transform(label.xy)[0]
        # Anchored at the upper bound: the label starts right of it, clear of the whisker.
        assert label.get_window_extent(renderer).x0 >= anchor_x, label.get_text()


@pytest.mark.parametrize("name", sorted(set(ALL_CHARTS) - MIRRORED_CATEGORY_AXES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_chart_has_a_numeric_x_axis_then_it_increases_left_to_right_in_both_languages(
    name, lang
):
    fig = ALL_CHARTS[name](lang)
    fig.draw_without_rendering()
    for ax in fig.axes:
        if not ax.get_visible() or not ax.get_xticks().size:
            continue
        low, high = ax.get_xlim()
        assert low < high, f"{name} ({lang}): x axis runs {low} -> {high}"
        assert not ax.xaxis_inverted()


@pytest.mark.parametrize("name", sorted(ALL_CHARTS))
def test_when_lang_is_en_then_labels_stand_left_and_values_grow_rightwards(name):
    fig = ALL_CHARTS[name]("en")
    ax = fig.axes[0]
    assert ax.yaxis.get_ticks_position() in ("left", "default", "unknown")
    assert not ax.xaxis_inverted()


# --------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("name", ["likert_diverging", "importance_performance", "forest"])
def test_when_a_figure_is_saved_twice_then_png_bytes_are_identical(name):
    first = plots.to_png(ALL_CHARTS[name]("ar"), dpi=80)
    second = plots.to_png(ALL_CHARTS[name]("ar"), dpi=80)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == second
    assert b"Software" not in first and b"matplotlib" not in first


def test_when_saved_with_save_png_then_file_holds_the_same_bytes(tmp_path):
    fig = ALL_CHARTS["league"]("en")
    path = plots.save_png(fig, tmp_path / "league.png", dpi=80)
    assert path.read_bytes() == plots.to_png(fig, dpi=80)


# --------------------------------------------------------------------------- Likert


def test_when_likert_is_drawn_then_each_scale_code_has_one_bar_per_item():
    fig = plots.likert_diverging(_dist("en"), "en", scale_labels=SCALE["en"])
    ax = fig.axes[0]
    assert len(ax.containers) == 5
    assert all(len(container) == 4 for container in ax.containers)
    colours = [to_hex(c.patches[0].get_facecolor()).upper() for c in ax.containers]
    assert colours == list(plots.AGREEMENT_COLOURS)
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == list(SCALE["en"].values())


def test_when_likert_is_drawn_then_bars_are_centred_on_the_neutral_point():
    fig = plots.likert_diverging(_dist("en"), "en")
    first_code = fig.axes[0].containers[0]
    # Item 1: 10 + 20 + 40/2 = 50 left of zero; item 2: 5 + 5 + 10/2 = 15;
    # item 3: 30 + 30 + 10 = 70; item 4: 0 + 10 + 10 = 20.
    starts = [bar.get_x() for bar in first_code]
    np.testing.assert_allclose(starts, [-50, -15, -70, -20])


def test_when_percentages_do_not_add_to_100_then_they_are_rescaled():
    dist = pd.DataFrame({"label": ["a"], 1: [1.0], 2: [1.0], 3: [1.0], 4: [1.0], 5: [0.0]})
    bars = [c.patches[0] for c in plots.likert_diverging(dist, "en").axes[0].containers]
    np.testing.assert_allclose([b.get_width() for b in bars], [25, 25, 25, 25, 0])
    assert bars[0].get_x() == pytest.approx(-62.5)  # 25 + 25 + 25 / 2


def test_when_scale_is_even_then_the_centre_falls_between_the_middle_codes():
    dist = pd.DataFrame({"label": ["a"], "1": [10.0], "2": [20.0], "3": [30.0], "4": [40.0]})
    bars = [c.patches[0] for c in plots.likert_diverging(dist, "en").axes[0].containers]
    assert bars[0].get_x() == pytest.approx(-30)  # codes 1 and 2 lie below 2.5


def test_when_likert_has_stages_then_headings_are_bold_rows_without_bars():
    fig = plots.likert_diverging(_dist("en"), "en", stage_order=["Before", "During", "After"])
    ax = fig.axes[0]
    texts = _ytick_texts(ax)
    assert texts[0] == "Before" and texts[2] == "During" and texts[5] == "After"
    weights = [t.get_fontweight() for t in ax.get_yticklabels()]
    assert weights[0] == "bold" and weights[1] != "bold"
    # Seven rows (three headings, four items) but only four bars per code.
    assert len(texts) == 7 and len(ax.containers[0]) == 4


def test_when_likert_item_is_suppressed_then_it_is_text_not_a_bar():
    dist = _dist("ar").assign(suppressed=[False, False, False, True])
    fig = plots.likert_diverging(dist, "ar", labels={"suppressed": "ن < 10"})
    ax = fig.axes[0]
    assert len(ax.containers[0]) == 3
    assert "ن < 10" in [t.get_text() for t in ax.texts]


def test_when_likert_before_after_is_drawn_then_two_bars_per_item_and_item_headings():
    before, after = _dist("en"), _dist("en").iloc[:3]
    fig = plots.likert_before_after(before, after, "en")
    ax = fig.axes[0]
    # Four items x two waves; the fourth item has no follow-up, so it is suppressed text.
    assert len(ax.containers[0]) == 7
    headings = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert headings == [label for label, _ in ITEMS["en"]]
    assert _ytick_texts(ax)[1:3] == ["Baseline", "Follow-up"]


# --------------------------------------------------------------------------- dot charts


def test_when_index_has_a_suppressed_row_then_it_shows_the_note_instead_of_a_dot():
    fig = plots.index_with_ci(_levels("en"), "en", target=70, highlight="Information")
    ax = fig.axes[0]
    offsets = _scatter_offsets(ax)
    assert len(offsets) == 3
    np.testing.assert_allclose(offsets[:, 0], [72, 64, 55])
    texts = [t.get_text() for t in ax.texts]
    assert "n < 10" in texts
    assert "Target 70" in texts
    target_lines = [line for line in ax.lines if list(line.get_xdata()) == [70, 70]]
    assert len(target_lines) == 1
    first_colour = to_hex(ax.collections[-1].get_facecolors()[0]).upper()
    assert first_colour == plots.HIGHLIGHT_COLOUR


def test_when_segment_gaps_are_drawn_then_groups_sit_under_segment_headings():
    fig = plots.segment_gaps(_gaps("en"), "en", overall=66)
    ax = fig.axes[0]
    assert _ytick_texts(ax) == [
        "Gender",
        "Men (n = 120)",
        "Women (n = 95)",
        "Age",
        "18-29 (n = 60)",
        "30+ (n = 7)",
    ]
    assert len(_scatter_offsets(ax)) == 3
    assert "n < 10" in [t.get_text() for t in ax.texts]


def test_when_dumbbell_is_sorted_then_largest_gain_is_on_top_and_colours_follow_evidence():
    fig = plots.dumbbell(_change("en"), "en")
    ax = fig.axes[0]
    # +10, +2, -6, then the suppressed row.
    assert _ytick_texts(ax) == ["Information", "Speed", "Courtesy", "Outcome"]
    after_dots = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
    colours = [to_hex(c).upper() for c in after_dots.get_facecolors()]
    improved, declined = plots.AGREEMENT_COLOURS[-1], plots.AGREEMENT_COLOURS[0]
    assert colours == [improved, plots.MUTED_INK.upper(), declined]
    texts = [t.get_text() for t in ax.texts]
    assert {"+10", "+2", "\u22126", "n < 10"} <= set(texts)


def test_when_league_is_drawn_then_agencies_are_sorted_and_coloured_by_group():
    fig = plots.league(_league("en"), "en", target=70, highlight="A4")
    ax = fig.axes[0]
    names = AGENCIES["en"]
    # 81 (comparison), 72 (programme, highlighted), 64, 58, then the suppressed one.
    assert _ytick_texts(ax) == [names[1], names[3], names[0], names[4], names[2]]
    dots = _scatter_offsets(ax)
    np.testing.assert_allclose(dots[:, 0], [81, 72, 64, 58])
    colours = [to_hex(c).upper() for c in ax.collections[-1].get_facecolors()]
    assert colours == [
        plots.COMPARISON_COLOUR,
        plots.PROGRAMME_COLOUR,
        plots.PROGRAMME_COLOUR,
        plots.COMPARISON_COLOUR,
    ]
    assert ax.get_yticklabels()[1].get_fontweight() == "bold"
    assert len(fig.legends[0].get_texts()) == 2


def test_when_league_has_no_group_colours_then_highlight_stands_against_grey():
    fig = plots.league(_league("en"), "en", highlight="A4", group_colours=False)
    colours = [to_hex(c).upper() for c in fig.axes[0].collections[-1].get_facecolors()]
    grey = plots.OTHERS_COLOUR
    assert colours == [grey, plots.HIGHLIGHT_COLOUR, grey, grey]
    assert not fig.legends


# --------------------------------------------------------------------------- forest, heatmap


def test_when_forest_is_drawn_then_squares_diamond_and_prediction_interval_are_there():
    fig = plots.forest(_studies("en"), POOLED, "en")
    ax = fig.axes[0]
    squares = _scatter_offsets(ax)
    np.testing.assert_allclose(squares[:, 0], [0.2, 0.5, -0.1, 0.35])
    sizes = [c for c in ax.collections if isinstance(c, PathCollection)][0].get_sizes()
    assert sizes.argmax() == 1  # the heaviest study (weight 30) has the largest square
    diamond = next(p for p in ax.patches if isinstance(p, Polygon))
    xs = sorted(diamond.get_xy()[:4, 0])
    np.testing.assert_allclose(xs, [0.2, 0.31, 0.31, 0.42])
    texts = _ytick_texts(ax)
    assert texts[-2:] == ["Pooled (random effects)", "95% prediction interval"]
    numbers = [t.get_text() for t in fig.axes[0].child_axes[0].get_yticklabels()]
    # Weights 20/100 etc. -> percent; minus signs are typographic.
    assert numbers[0] == "0.20 [\u22120.10, 0.50]   20%"
    assert numbers[-1] == "[\u22120.05, 0.67]"


def test_when_forest_is_arabic_then_intervals_use_the_arabic_comma():
    fig = plots.forest(_studies("ar"), POOLED, "ar")
    numbers = [t.get_text() for t in fig.axes[0].child_axes[0].get_yticklabels()]
    assert numbers[-2] == "0.31 [0.20\u060c 0.42]"


def test_when_forest_gets_a_result_object_without_prediction_interval_then_it_omits_the_row():
    class Result:  # the attribute names of meta.RandomEffectsResult
        estimate, ci_low, ci_high, pi_low, pi_high = 0.3, 0.1, 0.5, float("nan"), float("nan")

    fig = plots.forest(_studies("en"), Result(), "en")
    assert _ytick_texts(fig.axes[0])[-1] == "Pooled (random effects)"


def test_when_heatmap_is_drawn_then_cells_are_centred_at_zero_and_missing_cells_say_so():
    fig = plots.change_heatmap(_matrix("en"), "en")
    ax = fig.axes[0]
    mesh = ax.collections[0]
    assert mesh.get_array().size == 6
    assert mesh.norm.vcenter == 0
    assert mesh.norm.vmin == -15 and mesh.norm.vmax == 15  # 12 rounded up to a multiple of 5
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("n < 10") == 1
    assert {"+5", "\u22123", "0", "+12", "\u22128"} <= set(texts)


def test_when_heatmap_is_arabic_then_first_dimension_stands_rightmost():
    fig = plots.change_heatmap(_matrix("ar"), "ar")
    columns = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert columns == LABELS["ar"][:3][::-1]


# --------------------------------------------------------------------------- scatters


def test_when_ipa_is_drawn_then_every_point_is_labelled_and_act_here_is_highlighted():
    fig = plots.importance_performance(_ipa("en"), "en")
    ax = fig.axes[0]
    points = ax.collections[0]
    assert len(points.get_offsets()) == 4
    colours = [to_hex(c).upper() for c in points.get_facecolors()]
    assert colours[2] == plots.HIGHLIGHT_COLOUR and colours.count(plots.HIGHLIGHT_COLOUR) == 1
    mean_lines = {(tuple(line.get_xdata()), tuple(line.get_ydata())) for line in ax.lines}
    assert ((65.0, 65.0), (0, 1)) in mean_lines and ((0, 1), (25.0, 25.0)) in mean_lines
    labels = [t for t in ax.texts if t.get_text() in LABELS["en"]]
    assert len(labels) == 4
    assert "Concentrate here" in [t.get_text() for t in ax.texts]


def test_when_point_labels_are_crowded_then_they_do_not_overlap():
    crowded = pd.DataFrame(
        {
            "label": [f"Driver number {i}" for i in range(8)],
            "importance": [12.0, 12.5, 13.0, 12.2, 12.8, 30.0, 5.0, 13.4],
            "performance": [60.0, 60.5, 61.0, 60.2, 60.8, 75.0, 80.0, 61.2],
        }
    )
    fig = plots.importance_performance(crowded, "en")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    # Text.get_window_extent: the text alone, without an annotation's leader line.
    boxes = [
        Text.get_window_extent(t, renderer) for t in ax.texts if t.get_text().startswith("Driver")
    ]
    assert len(boxes) == 8
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_when_dose_response_is_drawn_then_points_fit_line_and_band_are_there():
    fig = plots.dose_response(_points("en"), _fit(), "en")
    ax = fig.axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)][0]
    np.testing.assert_allclose(points.get_offsets()[:, 0], [20, 35, 50, 65, 80])
    fit_line = next(line for line in ax.lines if len(line.get_xdata()) == 7)
    np.testing.assert_allclose(fit_line.get_ydata(), 0.12 * np.linspace(20, 80, 7))
    assert any(not isinstance(c, PathCollection) for c in ax.collections)  # the CI band
    colours = [to_hex(c).upper() for c in points.get_facecolors()]
    assert colours[2] == plots.COMPARISON_COLOUR and colours[0] == plots.PROGRAMME_COLOUR


def test_when_dose_response_highlights_an_agency_then_others_are_grey_and_unlabelled():
    fig = plots.dose_response(_points("en"), None, "en", highlight="A3", label_points=False)
    ax = fig.axes[0]
    colours = [to_hex(c).upper() for c in ax.collections[0].get_facecolors()]
    assert colours.count(plots.HIGHLIGHT_COLOUR) == 1 and colours[2] == plots.HIGHLIGHT_COLOUR
    assert [t.get_text() for t in ax.texts] == [AGENCIES["en"][2]]


# --------------------------------------------------------------------------- timeline


def test_when_timeline_is_drawn_then_activities_sit_on_their_rows_and_windows_are_shaded():
    fig = plots.activity_timeline(_activities("en"), "en", wave_windows=WINDOWS)
    ax = fig.axes[0]
    assert _ytick_texts(ax) == ["Training", "Field visit"]
    counted, uncounted = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(counted.get_offsets()) == 3 and len(uncounted.get_offsets()) == 1
    np.testing.assert_allclose(counted.get_offsets()[:, 1], [0, 0, -1])
    # Area grows with staff trained: 30 is the largest count.
    assert counted.get_sizes().argmax() == 1
    shaded = [p for p in ax.patches if p.get_facecolor()[:3] == to_rgb(plots.WINDOW_COLOUR)]
    assert len(shaded) == 2
    assert {"Baseline", "Follow-up"} <= {t.get_text() for t in ax.texts}
    assert fig.legends[0].get_texts()[-1].get_text() == "not recorded"


def test_when_an_arabic_likert_chart_is_drawn_then_row_labels_start_at_one_edge_inside_it():
    dist = pd.DataFrame(
        {
            "label": [
                "كان من السهل الوصول إلى المعلومات التي احتجتها عن الخدمة",
                "عاملني الموظفون بلباقة واحترام",
            ],
            1: [10, 5],
            2: [10, 5],
            3: [20, 10],
            4: [30, 40],
            5: [30, 40],
        }
    )
    fig = plots.likert_diverging(dist, "ar")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = [
        t.label2.get_window_extent(renderer)
        for t in ax.yaxis.get_major_ticks()
        if t.label2.get_text()
    ]
    assert len(boxes) == 2
    # Right-aligned at the reading edge, a short label as far right as a long one...
    assert abs(boxes[0].x1 - boxes[1].x1) < 1.0
    # ...and nothing past the figure's edge (the first letter of a long label was clipped).
    assert max(b.x1 for b in boxes) <= fig.bbox.x1 + 0.5


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("name", sorted(ALL_CHARTS))
def test_when_a_chart_is_drawn_for_a_report_then_it_carries_a_narrower_phone_variant(name, lang):
    """Issue 13: each chart redraws itself 3.7 in wide, with its text sizes unchanged."""
    import matplotlib.pyplot as plt

    fig = ALL_CHARTS[name](lang)
    assert callable(fig.narrow_variant)
    small = fig.narrow_variant()
    again = fig.narrow_variant()
    try:
        assert small.get_size_inches()[0] == pytest.approx(plots.NARROW.width_in)
        assert not hasattr(small, "narrow_variant")  # drawn narrow: no variant of its own
        wide_sizes = {t.get_fontsize() for t in fig.findobj(mpl.text.Text) if t.get_text()}
        small_sizes = {t.get_fontsize() for t in small.findobj(mpl.text.Text) if t.get_text()}
        assert min(small_sizes) >= min(wide_sizes)
        assert plots.to_png(small) == plots.to_png(again)  # reproducible, like the wide one
    finally:
        for f in (fig, small, again):
            plt.close(f)


def test_when_a_report_embeds_a_chart_then_phones_get_the_narrow_png_and_print_the_wide():
    from analysis.report import PHONE_MAX_WIDTH_PX, _png_size, figure_html

    page = figure_html(ALL_CHARTS["league"]("ar"), alt="league").data
    source = re.search(
        r'<source media="\(max-width: (\d+)px\)" srcset="data:image/png;base64,([^"]+)"', page
    )
    img = re.search(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert source and img and int(source.group(1)) == PHONE_MAX_WIDTH_PX < 700  # A4 is wider
    narrow = _png_size(base64.b64decode(source.group(2)))
    wide = _png_size(base64.b64decode(img.group(1)))
    assert narrow[0] <= 430 < 800 <= wide[0]
    plain = figure_html(mpl.figure.Figure(), alt="empty").data  # not from analysis.plots
    assert "<picture>" not in plain and "<img" in plain
