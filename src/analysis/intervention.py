"""The intervention report of one agency: what was done, when, for how many staff.

``notebooks/02_intervention.ipynb`` is a thin sequence of calls to
:class:`InterventionReport`; :func:`intervention_results` gives the same coverage numbers
as rows of ``reports/results.csv``, so the report and the results table cannot disagree.

Every number comes from :mod:`analysis.interventions` (the dose of each agency from the
activity log ``interventions.csv``): coverage = staff trained / front-line staff * 100,
activities and hours, the activity mix, and the ISO weeks between the two survey waves
with and without activity. The log is a complete, self-reported count rather than a
sample, so the report gives no confidence intervals for it.

A comparison agency receives no programme activity by design; its report is short: the
header, one sentence that says so, and the provenance footer.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from typing import Any

import pandas as pd
from IPython.display import HTML

from analysis import i18n, interventions, plots, views
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.report import figure_html, findings_html, table_html

PHASE = "intervention"

#: A gap of one idle week is ordinary; the findings name the longest gap from this length.
MIN_GAP_WEEKS = 2

# --------------------------------------------------------------------------------------------
# Numbers shared by the report and the results table
# --------------------------------------------------------------------------------------------


def fieldwork_windows(data: StudyData) -> tuple[Any, Any]:
    """The (start, end) fieldwork windows of the baseline and follow-up waves (None if absent)."""
    waves = data.study.waves_by_name
    return tuple(waves[w].fieldwork if w in waves else None for w in ("baseline", "followup"))


def intervention_coverage(data: StudyData) -> pd.DataFrame:
    """The dose of every agency (:func:`analysis.interventions.coverage_table`)."""
    baseline_window, followup_window = fieldwork_windows(data)
    return interventions.coverage_table(
        data.interventions, data.agencies, baseline_window, followup_window
    )


def intervention_results(data: StudyData) -> pd.DataFrame:
    """The ``coverage`` rows of ``reports/results.csv`` (DESIGN.md section 5), phase ``intervention``.

    One row per agency whose front-line staff is known: ``estimate`` = staff trained /
    front-line staff * 100, ``n`` = front-line staff, no interval (a count, not a sample).
    """
    return interventions.results_rows(intervention_coverage(data))


def longest_idle_run(timeline: pd.DataFrame) -> dict[str, Any]:
    """The longest run of consecutive weeks without activity in a weekly timeline.

    Parameters
    ----------
    timeline : DataFrame
        :func:`analysis.interventions.weekly_timeline`: one row per ISO week in order, with
        ``week_start`` (Monday) and ``activities``.

    Returns
    -------
    dict
        ``weeks`` (0 when every week had activity or the timeline is empty), ``start`` (the
        Monday of the first idle week) and ``end`` (the Sunday of the last idle week); NaT
        when ``weeks`` is 0. Of runs of equal length, the first.
    """
    best = {"weeks": 0, "start": pd.NaT, "end": pd.NaT}
    run_start, run = None, 0
    for week_start, count in zip(timeline["week_start"], timeline["activities"], strict=True):
        if count == 0:
            run_start = week_start if run == 0 else run_start
            run += 1
            if run > best["weeks"]:
                best = {"weeks": run, "start": run_start, "end": week_start + pd.Timedelta(days=6)}
        else:
            run = 0
    return best


def activity_label(text: object, lang: str, in_sentence: bool = False) -> str:
    """An activity type of the log in the report's language.

    The log is free text; the usual types (``staff workshop``, ``field visit``, ...) have a
    translation (key ``activity_type_<words>``), any other text is shown as written.
    ``in_sentence`` lower-cases the first letter of a translated English label, for prose
    ("most of the time went to staff workshop"); text as written is never changed.
    """
    raw = str(text).strip()
    key = "activity_type_" + re.sub(r"[^0-9a-z]+", "_", raw.lower()).strip("_")
    if not i18n.has(key):
        return raw
    label = t(key, lang)
    return label[:1].lower() + label[1:] if in_sentence and not i18n.is_rtl(lang) else label


def median_comparison_key(value: float, median: float, decimals: int = 0) -> str:
    """``median_above`` / ``median_below`` / ``median_at``, compared as the reader sees them.

    Both numbers are rounded to ``decimals`` first, so a sentence never says "above the
    median of 25%" about a value it prints as 25%.
    """
    shown_value = float(i18n.fmt_num(value, decimals))
    shown_median = float(i18n.fmt_num(median, decimals))
    if shown_value > shown_median:
        return "median_above"
    if shown_value < shown_median:
        return "median_below"
    return "median_at"


def _missing(x: object) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return x is None


def _whole_or_one(x: float, lang: str) -> str:
    """Hours and medians: whole numbers as such, others with one decimal (5.5 hours)."""
    if _missing(x):
        return i18n.MISSING
    return i18n.fmt_num(x, 0 if float(x).is_integer() else 1, lang)


def _prose_hours(x: float, lang: str) -> str:
    """Hours in a sentence: whole from 10 hours up (57 hours), else as logged (5.5 hours)."""
    if _missing(x):
        return i18n.MISSING
    return i18n.fmt_num(x, 0, lang) if float(x) >= 10 else _whole_or_one(x, lang)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


class InterventionReport:
    """Everything the intervention notebook shows for one agency in one language.

    A comparison agency (or a study without an activity log) gets the short report: the
    header, one finding and the footer; every section method then returns an empty list.
    """

    def __init__(self, data: StudyData, agency_id: str, lang: str) -> None:
        if lang not in i18n.LANGUAGES:
            raise ValueError(f"unknown report language {lang!r} (expected ar or en)")
        data.agency(agency_id)  # a clear error for an unknown id
        self.data = data
        self.agency_id = agency_id
        self.lang = lang

    # --- numbers -----------------------------------------------------------------------

    @cached_property
    def coverage(self) -> pd.DataFrame:
        """The dose of every agency (one row each)."""
        return intervention_coverage(self.data)

    @cached_property
    def dose(self) -> pd.Series:
        """This agency's row of :attr:`coverage`."""
        return self.coverage.loc[self.coverage["agency_id"] == self.agency_id].iloc[0]

    @cached_property
    def programme(self) -> pd.DataFrame:
        """The programme agencies' rows of :attr:`coverage`."""
        return self.coverage.loc[(self.coverage["group"] == "programme").fillna(False)]

    @property
    def is_comparison(self) -> bool:
        return str(self.data.agency(self.agency_id)["group"]) == "comparison"

    @property
    def has_log(self) -> bool:
        """Whether the study has any logged activity at all."""
        return not self.data.interventions.empty

    @property
    def short(self) -> bool:
        """The short report: a comparison agency, or no activity log in the study."""
        return self.is_comparison or not self.has_log

    @property
    def span_known(self) -> bool:
        return not (_missing(self.dose["span_start"]) or _missing(self.dose["span_end"]))

    @property
    def between_waves(self) -> bool:
        """Whether the span is set by the two fieldwork windows (not by the agency's log)."""
        return all(w is not None for w in fieldwork_windows(self.data))

    @cached_property
    def log(self) -> pd.DataFrame:
        """This agency's rows of the activity log, by date."""
        if not self.has_log:
            return interventions.empty_interventions()
        log = self.data.interventions
        own = log.loc[(log["agency_id"].astype("string") == self.agency_id).fillna(False)]
        return own.sort_values(["date", "activity"], kind="stable").reset_index(drop=True)

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """This agency's ISO weeks over the span, zeros for weeks without activity."""
        return interventions.weekly_timeline(
            self.data.interventions, self.agency_id, self.dose["span_start"], self.dose["span_end"]
        )

    @cached_property
    def mix(self) -> pd.DataFrame:
        return interventions.activity_mix(self.data.interventions, self.agency_id)

    @cached_property
    def longest_gap(self) -> dict[str, Any]:
        gap = longest_idle_run(self.timeline)
        if gap["weeks"]:  # the first and last idle weeks may stick out of the span
            gap["start"] = max(gap["start"], self.dose["span_start"])
            gap["end"] = min(gap["end"], self.dose["span_end"])
        return gap

    @property
    def active_weeks_in_span(self) -> int | None:
        if not self.span_known:
            return None
        return int(self.dose["span_weeks"]) - int(self.dose["weeks_without_activity"])

    @property
    def outside_span(self) -> int:
        """Logged activities dated outside the span between the surveys."""
        if not self.span_known or self.log.empty:
            return 0
        inside = self.log["date"].between(self.dose["span_start"], self.dose["span_end"])
        return int((~inside).sum())

    # --- text helpers ------------------------------------------------------------------

    def _fmt(self, x: float, decimals: int = 0) -> str:
        return i18n.fmt_num(x, decimals, self.lang)

    def _agency_label(self, agency_id: str) -> str:
        return self.data.agency_name(agency_id, self.lang)

    # --- header and findings -----------------------------------------------------------

    def header(self) -> HTML:
        lines = []
        if self.span_known and not self.is_comparison:
            lines.append(
                t(
                    "intervention_period_line",
                    self.lang,
                    start=i18n.fmt_date_long(self.dose["span_start"], self.lang),
                    end=i18n.fmt_date_long(self.dose["span_end"], self.lang),
                    weeks=int(self.dose["span_weeks"]),
                )
            )
        else:
            lines += [
                views.fieldwork_line(self.data, w, self.lang)
                for w in ("baseline", "followup")
                if w in self.data.study.waves_by_name
            ]
        return views.report_header(self.data, PHASE, self.lang, self.agency_id, lines)

    def findings(self) -> list[str]:
        """One to five sentences, each with a number (a log has no intervals to give)."""
        lang, dose = self.lang, self.dose
        if self.is_comparison:
            if int(dose["activities"]) == 0:
                return [t("finding_comparison", lang)]
            return [
                t(
                    "finding_comparison_logged",
                    lang,
                    activities=int(dose["activities"]),
                    trained=int(dose["staff_trained"]),
                )
            ]
        if not self.has_log:
            return [t("finding_no_log", lang)]
        sentences = []
        if int(dose["activities"]) == 0:
            sentences.append(t("finding_no_activity", lang))
        sentences.append(self.coverage_sentence())
        if int(dose["activities"]) > 0 and self.span_known:
            key = "finding_activity_between" if self.between_waves else "finding_activity_own_span"
            sentences.append(
                t(
                    key,
                    lang,
                    activities=int(dose["activities"]),
                    hours=_prose_hours(dose["hours"], lang),
                    span=int(dose["span_weeks"]),
                    idle=int(dose["weeks_without_activity"]),
                )
            )
        rank = self.rank_sentence()
        if rank:
            sentences.append(rank)
        mix = self.mix_sentence()
        if mix:
            sentences.append(mix)
        gap = self.gap_sentence()
        if gap:
            sentences.append(gap)
        return sentences[:5]

    def gap_sentence(self) -> str | None:
        """The longest run of weeks without activity, named by where it falls."""
        gap = self.longest_gap
        if int(self.dose["activities"]) == 0 or gap["weeks"] < MIN_GAP_WEEKS:
            return None
        key = "finding_longest_gap"
        if self.between_waves and gap["end"] == self.dose["span_end"]:
            key = "finding_gap_before_followup"
        elif self.between_waves and gap["start"] == self.dose["span_start"]:
            key = "finding_gap_after_baseline"
        return t(
            key,
            self.lang,
            weeks=gap["weeks"],
            start=i18n.fmt_date_long(gap["start"], self.lang),
            end=i18n.fmt_date_long(gap["end"], self.lang),
        )

    def coverage_sentence(self) -> str:
        """Staff trained of front-line staff, in percent, against the programme median."""
        lang, dose = self.lang, self.dose
        trained = int(dose["staff_trained"])
        if _missing(dose["coverage_pct"]):
            return t("finding_coverage_unknown", lang, trained=trained)
        values = {
            "trained": trained,
            "frontline": int(dose["frontline_staff"]),
            "coverage": self._fmt(dose["coverage_pct"]),
        }
        if bool(dose["over_100"]):
            return t("finding_coverage_over_100", lang, **values)
        others = int(dose["programme_ranked"]) - 1
        median = dose["programme_median_coverage_pct"]
        if others < 1 or _missing(median):
            return t("finding_coverage_alone", lang, **values)
        key = median_comparison_key(dose["coverage_pct"], median)
        comparison = t(key, lang, median=self._fmt(median))
        # "None of the 82 ... were trained", not "0 of 82" (issue 16: counts of zero).
        key = "finding_coverage_none" if trained == 0 else "finding_coverage"
        return t(key, lang, comparison=comparison, **values)

    def rank_sentence(self) -> str | None:
        """Coverage rank among the programme agencies, and hours against their median."""
        lang, dose = self.lang, self.dose
        if len(self.programme) < 2:
            return None
        hours = {
            "hours": _prose_hours(dose["hours"], lang),
            "median_hours": _prose_hours(dose["programme_median_hours"], lang),
        }
        # No hours logged reads "no hours", not "its 0 hours" (issue 16: counts of zero).
        none = "" if _missing(dose["hours"]) or float(dose["hours"]) > 0 else "_none"
        if _missing(dose["coverage_rank"]) or int(dose["programme_ranked"]) < 2:
            return t(f"finding_dose_hours{none}", lang, **hours)
        return t(
            "finding_dose_rank_no_hours" if none else "finding_dose_rank",
            lang,
            rank=int(dose["coverage_rank"]),
            total=int(dose["programme_ranked"]),
            **hours,
        )

    def mix_sentence(self) -> str | None:
        """The activity type that took most of the hours."""
        mix = self.mix
        if mix.empty or _missing(mix["hours_share_pct"].iloc[0]):
            return None
        top = mix.iloc[0]
        return t(
            "finding_mix",
            self.lang,
            activity=activity_label(top["activity"], self.lang, in_sentence=True),
            share=self._fmt(top["hours_share_pct"]),
        )

    def key_findings(self) -> HTML:
        return findings_html(self.findings(), self.lang)

    # --- sections ----------------------------------------------------------------------

    def when_active(self) -> list[HTML]:
        """The activity timeline between the waves, and the agency's activity log."""
        if self.short:
            return []
        lang, data = self.lang, self.data
        parts: list[HTML] = [views.section("q_when_active", lang)]
        if self.log.empty:
            parts.append(views.paragraph(t("reading_no_activity", lang)))
            return parts
        chart = pd.DataFrame(
            {
                "date": self.log["date"].to_numpy(),
                "activity": [activity_label(a, lang) for a in self.log["activity"]],
                "staff_trained": pd.to_numeric(self.log["staff_trained"]).astype("float64"),
            }
        )
        windows = {
            data.text(data.study.waves_by_name[w].label, lang): window
            for w, window in zip(("baseline", "followup"), fieldwork_windows(data), strict=True)
            if window is not None
        }
        fig = plots.activity_timeline(
            chart,
            lang,
            wave_windows=windows,
            labels={
                "title": t("chart_timeline_title", lang),
                "staff_trained": t("col_staff_trained", lang),
                "staff_unknown": t("not_recorded", lang),
            },
        )
        active = self.active_weeks_in_span
        span = int(self.dose["span_weeks"]) if self.span_known else 0
        parts.append(
            figure_html(
                fig,
                alt=t(
                    "alt_timeline",
                    lang,
                    activities=len(self.log),
                    active=active if active is not None else i18n.MISSING,
                    span=span,
                ),
            )
        )
        if active is not None:
            parts.append(views.paragraph(t("reading_timeline", lang, active=active, span=span)))
        if self.outside_span:
            parts.append(
                views.paragraph(t("reading_outside_span", lang, outside=self.outside_span))
            )
        table = pd.DataFrame(
            {
                t("col_date", lang): [i18n.fmt_date(d, "en") for d in self.log["date"]],
                t("col_activity", lang): [activity_label(a, lang) for a in self.log["activity"]],
                t("col_staff_trained", lang): self.log["staff_trained"].astype("Int64").to_numpy(),
                t("col_hours", lang): self.log["hours"].astype("float64").to_numpy(),
            }
        )
        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_activity_log", lang),
                number_formats={
                    t("col_date", lang): str,
                    t("col_hours", lang): lambda x: _whole_or_one(x, lang),
                },
            )
        )
        return parts

    def reach(self) -> list[HTML]:
        """Coverage of front-line staff against the other programme agencies, and the dose table."""
        if self.short:
            return []
        lang = self.lang
        parts: list[HTML] = [views.section("q_reach", lang)]
        league = self.programme.dropna(subset=["coverage_pct"])
        if len(league) >= 2:
            frame = pd.DataFrame(
                {
                    "agency_id": league["agency_id"].astype(str).to_numpy(),
                    "label": [self._agency_label(a) for a in league["agency_id"]],
                    "estimate": league["coverage_pct"].to_numpy(),
                    # A log is a count, not a sample: no interval, only the dot.
                    "ci_low": league["coverage_pct"].to_numpy(),
                    "ci_high": league["coverage_pct"].to_numpy(),
                }
            )
            top = float(frame["estimate"].max())
            fig = plots.league(
                frame,
                lang,
                # The programme median drawn where the baseline league draws its target.
                target=float(self.dose["programme_median_coverage_pct"]),
                highlight=self.agency_id,
                group_colours=False,
                labels={
                    "title": t("chart_coverage_title", lang),
                    "index": t("axis_coverage", lang),
                    "target": t("col_programme_median", lang),
                },
                xlim=(0.0, max(100.0, math.ceil(top / 10) * 10)),
            )
            parts.append(figure_html(fig, alt=self._alt_league(len(frame))))
        sentences = [self.coverage_sentence()]
        rank = self.rank_sentence()
        if rank:
            sentences.append(rank)
        parts.append(views.paragraph(" ".join(sentences)))
        parts.append(self._dose_table())
        return parts

    def _dose_table(self) -> HTML:
        lang, dose, programme = self.lang, self.dose, self.programme
        active = self.active_weeks_in_span
        programme_active = (
            programme["span_weeks"].astype("float64")
            - programme["weeks_without_activity"].astype("float64")
        ).median()
        rows = [
            ("row_activities", dose["activities"], programme["activities"].median(), None),
            ("row_hours", dose["hours"], dose["programme_median_hours"], None),
            ("col_staff_trained", dose["staff_trained"], programme["staff_trained"].median(), None),
            ("col_frontline", dose["frontline_staff"], None, None),
            ("col_coverage", dose["coverage_pct"], dose["programme_median_coverage_pct"], 1),
        ]
        if active is not None:
            rows += [
                ("row_weeks_active", active, programme_active, None),
                (
                    "row_weeks_idle",
                    dose["weeks_without_activity"],
                    programme["weeks_without_activity"].astype("float64").median(),
                    None,
                ),
            ]

        def show(x: object, decimals: int | None) -> str:
            if _missing(x):
                return i18n.MISSING
            return self._fmt(x, decimals) if decimals is not None else _whole_or_one(x, lang)

        table = pd.DataFrame(
            {
                t("col_measure", lang): [t(key, lang) for key, *_ in rows],
                t("col_this_agency", lang): [show(v, d) for _, v, _, d in rows],
                t("col_programme_median", lang): [show(m, d) for _, _, m, d in rows],
            }
        )
        return table_html(
            table,
            lang,
            caption=t("caption_dose", lang),
            number_formats={
                t("col_this_agency", lang): str,
                t("col_programme_median", lang): str,
            },
        )

    def what_done(self) -> list[HTML]:
        """The activity mix: activities, hours and staff trained per type of activity."""
        if self.short:
            return []
        lang = self.lang
        parts: list[HTML] = [views.section("q_what_done", lang)]
        if self.mix.empty:
            parts.append(views.paragraph(t("reading_no_activity", lang)))
            return parts
        sentence = self.mix_sentence()
        if sentence:
            parts.append(views.paragraph(sentence))
        mix = self.mix
        table = pd.DataFrame(
            {
                t("col_activity", lang): [activity_label(a, lang) for a in mix["activity"]],
                t("col_activities", lang): mix["activities"].to_numpy(),
                t("col_hours", lang): mix["hours"].to_numpy(),
                t("col_hours_share", lang): mix["hours_share_pct"].to_numpy(),
                t("col_staff_trained", lang): mix["staff_trained"].to_numpy(),
            }
        )
        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_activity_mix", lang),
                number_formats={
                    t("col_hours", lang): lambda x: _whole_or_one(x, lang),
                    t("col_hours_share", lang): 1,
                },
            )
        )
        return parts

    def methods(self) -> list[HTML]:
        """What coverage means, the span between the waves, and that the log is self-reported."""
        if self.short:
            return []
        keys = ["methods_coverage", "methods_span", "methods_median", "methods_self_reported"]
        return [views.section("methods_note", self.lang)] + [
            views.paragraph(t(key, self.lang)) for key in keys
        ]

    def footer(self, params: dict) -> HTML:
        return views.footer(self.data, self.lang, params)

    # --- chart text ----------------------------------------------------------------------

    def _alt_league(self, total: int) -> str:
        dose = self.dose
        if _missing(dose["coverage_rank"]):
            return t("alt_coverage_league_unranked", self.lang, total=total)
        return t(
            "alt_coverage_league",
            self.lang,
            total=total,
            coverage=self._fmt(dose["coverage_pct"]),
            rank=int(dose["coverage_rank"]),
        )


__all__ = [
    "InterventionReport",
    "activity_label",
    "fieldwork_windows",
    "intervention_coverage",
    "intervention_results",
    "longest_idle_run",
    "median_comparison_key",
]
