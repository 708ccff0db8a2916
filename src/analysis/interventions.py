"""The intervention dose of each agency: coverage, hours, activity mix and timeline.

The intervention report of an agency (DESIGN.md section 6) answers "how much of the
programme did this agency receive, and when?". Its numbers come from the activity log
``interventions.csv`` (DESIGN.md section 3: ``agency_id, date, activity, staff_trained,
hours``) and ``agencies.csv`` (``group``, ``frontline_staff``). In the terms of process
evaluation (Steckler & Linnan, 2002; Saunders, Evans & Joshi, 2005) they are the *dose
delivered* (activities, hours), the *reach* (front-line staff trained) and the *timing*
(weeks between the two survey waves with and without activity). The log is read and
checked by :func:`analysis.validate.load_interventions` (``validate``/``prepare``); the
functions here take its frame (or ``interventions.parquet``) and compute:

- coverage (percent) = staff trained / front-line staff * 100 (:func:`coverage_table`);
- activity mix: activities, hours and staff trained per activity type (:func:`activity_mix`);
- weekly timeline: one row per ISO 8601 week, zeros for weeks without activity
  (:func:`weekly_timeline`);
- the ``coverage`` rows of ``reports/results.csv`` (DESIGN.md section 5, :func:`results_rows`).

Weeks are ISO 8601 weeks (Monday to Sunday, numbered within the ISO year, so that
2024-12-30 is in week 1 of 2025). A week is identified by the date of its Monday, which keeps
week arithmetic right across a year boundary.

Comparison agencies log no activity: every function accepts an agency with no rows and
returns zeros (counts), NaT (dates) or an empty table (mix), never an error.

References
----------
Steckler, A., & Linnan, L. (Eds.). (2002). *Process evaluation for public health
interventions and research*. Jossey-Bass.

Saunders, R. P., Evans, M. H., & Joshi, P. (2005). Developing a process-evaluation plan for
assessing health promotion program implementation: a how-to guide. *Health Promotion
Practice*, 6(2), 134-147.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.measures import RESULT_COLUMNS
from analysis.validate import INTERVENTION_COLUMNS, empty_interventions

__all__ = [
    "COVERAGE_CODE",
    "INTERVENTION_COLUMNS",
    "activity_mix",
    "between_waves_span",
    "coverage_table",
    "empty_interventions",
    "iso_week_start",
    "results_rows",
    "weekly_timeline",
]

#: ``code`` of the coverage rows in the results table: the log column the numerator sums.
COVERAGE_CODE = "staff_trained"

_ONE_DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Weeks and the span between the waves
# --------------------------------------------------------------------------------------------


def iso_week_start(dates: pd.Series) -> pd.Series:
    """The Monday of each date's ISO 8601 week (NaT stays NaT).

    ``2025-01-01`` (a Wednesday) -> ``2024-12-30``, the Monday of ISO week 2025-W01.
    """
    days = pd.to_datetime(dates).dt.normalize()
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def _monday(day: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(day).normalize()
    return stamp - pd.Timedelta(days=stamp.weekday())


def _weeks(start: Any, end: Any) -> pd.DatetimeIndex:
    """Mondays of the ISO weeks that overlap ``[start, end]`` (empty when either is missing)."""
    if pd.isna(start) or pd.isna(end) or pd.Timestamp(start) > pd.Timestamp(end):
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    return pd.date_range(_monday(start), _monday(end), freq="7D").as_unit("ns")


def _timestamp(value: Any) -> pd.Timestamp:
    return pd.NaT if value is None or pd.isna(value) else pd.Timestamp(value).normalize()


def between_waves_span(
    baseline_fieldwork: Sequence[Any] | None,
    followup_fieldwork: Sequence[Any] | None,
    first_activity: Any = None,
    last_activity: Any = None,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days between the two waves' fieldwork, the period the intervention belongs to.

    Parameters
    ----------
    baseline_fieldwork, followup_fieldwork : (start, end) or None
        The fieldwork windows of study.yml (``waves.<key>.fieldwork``), dates or ISO text.
    first_activity, last_activity : date-like, optional
        Dates of the agency's first and last logged activity, used for a missing window.

    Returns
    -------
    start, end : Timestamp
        ``start`` is the day after baseline fieldwork ends, ``end`` the day before follow-up
        fieldwork starts, so that the last week of a fieldwork ending on a Sunday is not
        counted as an intervention week. A missing window is replaced by the first (for the
        start) or last (for the end) activity; NaT when neither is known.
    """
    if baseline_fieldwork:
        start = _timestamp(baseline_fieldwork[1]) + _ONE_DAY
    else:
        start = _timestamp(first_activity)
    if followup_fieldwork:
        end = _timestamp(followup_fieldwork[0]) - _ONE_DAY
    else:
        end = _timestamp(last_activity)
    return start, end


# --------------------------------------------------------------------------------------------
# Per-agency tables
# --------------------------------------------------------------------------------------------


def _log(interventions: pd.DataFrame) -> pd.DataFrame:
    """The log with its dtypes made certain (a frame read back from parquet or built by hand)."""
    if interventions is None or interventions.empty:
        return empty_interventions()
    log = interventions.copy()
    log["agency_id"] = log["agency_id"].astype("string")
    log["date"] = pd.to_datetime(log["date"]).astype("datetime64[ns]")
    log["activity"] = log["activity"].astype("string")
    log["staff_trained"] = pd.to_numeric(log["staff_trained"]).astype("Float64")
    log["hours"] = pd.to_numeric(log["hours"]).astype("float64")
    return log


def _agency_rows(log: pd.DataFrame, agency_id: str) -> pd.DataFrame:
    return log[(log["agency_id"] == str(agency_id)).fillna(False)]


def coverage_table(
    interventions: pd.DataFrame,
    agencies: pd.DataFrame,
    baseline_fieldwork: Sequence[Any] | None = None,
    followup_fieldwork: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Dose of the intervention per agency, and how it compares with the other programme agencies.

    Parameters
    ----------
    interventions : DataFrame
        The activity log (``agency_id, date, activity, staff_trained, hours``); may be empty.
        Rows of agencies not in ``agencies`` are ignored (validation reports them).
    agencies : DataFrame
        ``agencies.csv``: ``agency_id``, ``group`` (``programme`` or ``comparison``) and,
        optionally, ``frontline_staff``.
    baseline_fieldwork, followup_fieldwork : (start, end) or None
        Fieldwork windows of the two waves; see :func:`between_waves_span`.

    Returns
    -------
    DataFrame
        One row per agency of ``agencies``, in its order, with columns

        - ``agency_id``, ``group``;
        - ``activities`` (rows logged), ``staff_trained`` (sum), ``hours`` (sum); blank
          cells count as nothing, so an agency without activity has 0, 0, 0.0;
        - ``frontline_staff`` (Int64, NA when unknown);
        - ``coverage_pct`` = ``staff_trained / frontline_staff * 100``, NaN when
          ``frontline_staff`` is unknown or 0. It is not capped: a log that counts the same
          person at two workshops can exceed 100, and ``over_100`` flags it;
        - ``first_activity``, ``last_activity`` (NaT without activity);
        - ``active_weeks``: ISO weeks with at least one activity (anywhere in the log);
        - ``span_start``, ``span_end``: the period between the waves
          (:func:`between_waves_span`; without fieldwork windows, the agency's first and last
          activity);
        - ``span_weeks``: ISO weeks overlapping the span; ``weeks_without_activity``: those of
          them with no activity (both NA when the span is unknown);
        - ``coverage_rank``: 1 = highest coverage among programme agencies with a coverage
          (ties share the lower rank), NA for comparison agencies; ``programme_ranked``: how
          many programme agencies were ranked;
        - ``programme_median_coverage_pct``, ``programme_median_hours``: the medians over
          programme agencies (the same on every row), for "the programme median is ...".

    Notes
    -----
    Coverage is the *reach* of the training in process-evaluation terms (Saunders, Evans &
    Joshi, 2005): the share of the intended audience (front-line staff) that was trained.
    """
    log = _log(interventions)
    log = log.assign(week=iso_week_start(log["date"]))
    frontline_known = "frontline_staff" in agencies.columns
    group_known = "group" in agencies.columns
    records = []
    for position in range(len(agencies)):
        agency = agencies.iloc[position]
        agency_id = str(agency["agency_id"])
        own = _agency_rows(log, agency_id)
        frontline = agency["frontline_staff"] if frontline_known else pd.NA
        frontline = pd.NA if pd.isna(frontline) else int(frontline)
        staff_trained = int(own["staff_trained"].sum())
        coverage = (
            staff_trained / frontline * 100
            if frontline is not pd.NA and frontline > 0
            else math.nan
        )
        first, last = own["date"].min(), own["date"].max()
        start, end = between_waves_span(baseline_fieldwork, followup_fieldwork, first, last)
        span = _weeks(start, end)
        known_span = not (pd.isna(start) or pd.isna(end))
        records.append(
            {
                "agency_id": agency_id,
                "group": agency["group"] if group_known else pd.NA,
                "activities": len(own),
                "staff_trained": staff_trained,
                "hours": float(own["hours"].sum()),
                "frontline_staff": frontline,
                "coverage_pct": coverage,
                "over_100": coverage > 100,
                "first_activity": first,
                "last_activity": last,
                "active_weeks": int(own["week"].nunique()),
                "span_start": start,
                "span_end": end,
                "span_weeks": len(span) if known_span else pd.NA,
                "weeks_without_activity": (
                    int((~span.isin(own["week"].dropna())).sum()) if known_span else pd.NA
                ),
            }
        )
    table = pd.DataFrame.from_records(
        records,
        columns=[
            "agency_id",
            "group",
            "activities",
            "staff_trained",
            "hours",
            "frontline_staff",
            "coverage_pct",
            "over_100",
            "first_activity",
            "last_activity",
            "active_weeks",
            "span_start",
            "span_end",
            "span_weeks",
            "weeks_without_activity",
        ],
    )
    table = table.astype(
        {
            "agency_id": "string",
            "group": "string",
            "activities": "int64",
            "staff_trained": "int64",
            "hours": "float64",
            "frontline_staff": "Int64",
            "coverage_pct": "float64",
            "over_100": "bool",
            "active_weeks": "int64",
            "span_weeks": "Int64",
            "weeks_without_activity": "Int64",
        }
    )
    for column in ("first_activity", "last_activity", "span_start", "span_end"):
        table[column] = pd.to_datetime(table[column]).astype("datetime64[ns]")

    programme = (table["group"] == "programme").fillna(False)
    ranked = programme & table["coverage_pct"].notna()
    rank = table.loc[ranked, "coverage_pct"].rank(ascending=False, method="min")
    table["coverage_rank"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table.loc[ranked, "coverage_rank"] = rank.astype("int64")
    table["programme_ranked"] = int(ranked.sum())
    table["programme_median_coverage_pct"] = float(table.loc[ranked, "coverage_pct"].median())
    table["programme_median_hours"] = float(table.loc[programme, "hours"].median())
    return table


def activity_mix(interventions: pd.DataFrame, agency_id: str) -> pd.DataFrame:
    """What kind of activity the agency's dose was made of.

    Parameters
    ----------
    interventions : DataFrame
        The activity log.
    agency_id : str
        The agency.

    Returns
    -------
    DataFrame
        One row per activity type, most hours first (then most activities, then by name):
        ``activity``, ``activities`` (count), ``hours`` (sum), ``staff_trained`` (sum) and
        ``hours_share_pct`` = hours of the type / all hours of the agency * 100 (NaN when the
        agency logged no hours). Empty, with these columns, for an agency without activity.
    """
    own = _agency_rows(_log(interventions), agency_id)
    mix = (
        own.groupby("activity", dropna=False, sort=False)
        .agg(
            activities=("activity", "size"),
            hours=("hours", "sum"),
            staff_trained=("staff_trained", "sum"),
        )
        .reset_index()
    )
    mix = mix.astype(
        {
            "activity": "string",
            "activities": "int64",
            "hours": "float64",
            "staff_trained": "int64",
        }
    )
    total_hours = mix["hours"].sum()
    mix["hours_share_pct"] = mix["hours"] / total_hours * 100 if total_hours > 0 else math.nan
    mix = mix.sort_values(
        ["hours", "activities", "activity"], ascending=[False, False, True], kind="stable"
    )
    return mix.reset_index(drop=True)


def weekly_timeline(
    interventions: pd.DataFrame, agency_id: str, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """The agency's activity week by week, for the timeline chart.

    Parameters
    ----------
    interventions : DataFrame
        The activity log.
    agency_id : str
        The agency.
    start, end : date-like, optional
        First and last day to show (e.g. :func:`between_waves_span`); every ISO week that
        overlaps ``[start, end]`` gets a row. Default: the agency's first and last activity.

    Returns
    -------
    DataFrame
        One row per ISO week in order: ``week_start`` (its Monday), ``iso_year``,
        ``iso_week``, ``week`` (``2025-W01``), and the week's ``activities``, ``hours`` and
        ``staff_trained`` (0 for a week without activity). Activities outside the weeks
        shown are left out. Empty, with these columns, when no span can be set.
    """
    own = _agency_rows(_log(interventions), agency_id)
    own = own.assign(week_start=iso_week_start(own["date"]))
    start = own["date"].min() if start is None or pd.isna(start) else start
    end = own["date"].max() if end is None or pd.isna(end) else end
    weeks = _weeks(start, end)
    per_week = own.groupby("week_start").agg(
        activities=("activity", "size"),
        hours=("hours", "sum"),
        staff_trained=("staff_trained", "sum"),
    )
    timeline = per_week.reindex(weeks, fill_value=0).rename_axis("week_start").reset_index()
    calendar = timeline["week_start"].dt.isocalendar()
    timeline.insert(1, "iso_year", calendar["year"].astype("int64"))
    timeline.insert(2, "iso_week", calendar["week"].astype("int64"))
    timeline.insert(
        3,
        "week",
        pd.array(
            [
                f"{y}-W{w:02d}"
                for y, w in zip(timeline["iso_year"], timeline["iso_week"], strict=True)
            ],
            dtype="string",
        ),
    )
    return timeline.astype(
        {"activities": "int64", "hours": "float64", "staff_trained": "int64"}
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Results table
# --------------------------------------------------------------------------------------------


def results_rows(coverage: pd.DataFrame) -> pd.DataFrame:
    """The ``coverage`` rows of ``reports/results.csv`` (DESIGN.md section 5).

    Parameters
    ----------
    coverage : DataFrame
        The output of :func:`coverage_table`.

    Returns
    -------
    DataFrame
        Columns :data:`analysis.measures.RESULT_COLUMNS`; one row per agency whose
        ``frontline_staff`` is known: ``phase`` = ``intervention``, ``wave`` = ``""``,
        ``scope`` = ``overall``, ``code`` = :data:`COVERAGE_CODE` (``staff_trained``, the log
        column the numerator sums), ``metric`` = ``coverage``, ``estimate`` = coverage in
        percent, ``n`` = front-line staff (the denominator), and NaN intervals and p-values
        (coverage is a count of the whole staff, not a sample estimate).

    Notes
    -----
    An agency without logged activity (a comparison agency, or a programme agency that
    logged nothing) has coverage 0 when its front-line staff is known, not an empty row:
    nobody was trained there, which is a true dose of zero, and the dose-response and
    difference-in-differences analyses need the comparison agencies' zero dose. An agency
    with ``frontline_staff`` = 0 keeps its row with an empty estimate (coverage undefined).
    """
    known = coverage[coverage["frontline_staff"].notna()]
    rows = pd.DataFrame(
        {
            "agency_id": known["agency_id"].astype("string").to_numpy(),
            "phase": "intervention",
            "wave": "",
            "scope": "overall",
            "code": COVERAGE_CODE,
            "metric": "coverage",
            "estimate": known["coverage_pct"].astype("float64").to_numpy(),
            "ci_low": math.nan,
            "ci_high": math.nan,
            "n": known["frontline_staff"].astype("int64").to_numpy(),
            "p_value": math.nan,
            "p_adj": math.nan,
            "p_adj_method": "",
        },
        columns=list(RESULT_COLUMNS),
    )
    text_columns = ["agency_id", "phase", "wave", "scope", "code", "metric", "p_adj_method"]
    rows[text_columns] = rows[text_columns].astype("string")
    return rows.astype(
        {
            "estimate": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "n": "int64",
            "p_value": "float64",
            "p_adj": "float64",
        }
    ).reset_index(drop=True)
