"""The regional forum report: which agencies improved, how much the programme moved
satisfaction overall, and what the best improvers did.

``notebooks/04_regional.ipynb`` is a thin sequence of calls to :class:`RegionalReport`;
:func:`regional_results` gives the programme-level numbers (``agency_id = ALL``: ``pooled_g``,
``i2``, ``tau2``, ``did``, ``did_randomisation``, ``did_fe``, ``dose_slope``) and each
agency's follow-up ``rank`` as rows of
``reports/results.csv``, and :func:`league_table` the league the portal shows. All of them
read one :class:`RegionalNumbers`, computed once per loaded study, so the report, the
results table and the portal cannot disagree.

The numbers (DESIGN.md section 4):

- per agency, the satisfaction index at baseline and follow-up (t intervals), its change
  (Welch), Benjamini-Hochberg adjusted across the programme agencies (a comparison agency's
  reading uses its within-agency Holm value instead: it is the control, not tested for a
  programme effect), signed Hedges' g with the contract's variance
  (:func:`analysis.impact.headline_change_rows`);
- the rank at follow-up with a 95% rank interval from a seeded parametric bootstrap
  (:func:`analysis.measures.agency_rank`; each interval is for one agency on its own, not
  joint), and the flag against the minimum target;
- the programme effect: DerSimonian-Laird random-effects pooling of the programme agencies'
  g (:func:`analysis.meta.random_effects`);
- the difference-in-differences as the contract defines it: the unweighted mean of the
  programme agencies' outcome-index changes minus that of the comparison agencies, with
  Welch's interval on the agency-level changes and an exact randomisation p-value over the
  group labels (:func:`analysis.meta.agency_level_did`); as a sensitivity check, the
  respondent-level model with agency fixed effects and the wild cluster restricted bootstrap
  by agency (:func:`analysis.meta.difference_in_differences`);
- the dose-response: random-effects meta-regression of each programme agency's index change
  on its training coverage (:func:`analysis.meta.dose_response`).

Agencies with a wave under ``min_report_n`` answers are shown as suppressed, not ranked, and
left out of the pooled effect, the difference-in-differences and the dose-response.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from IPython.display import HTML
from statsmodels.regression.linear_model import WLS
from statsmodels.tools.tools import add_constant

from analysis import change, i18n, interventions, measures, meta, plots, views
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.impact import headline_change_rows
from analysis.intervention import activity_label, intervention_coverage
from analysis.report import figure_html, findings_html, table_html

PHASE = "regional"
SIGNIFICANCE = 0.05
#: Draws and seed of the parametric bootstrap of the ranks (deterministic rebuilds).
RANK_DRAWS = 4000
RANK_SEED = 20250105
#: Wild cluster bootstrap of the difference-in-differences.
DID_REPS = 9999
DID_SEED = 20250105
#: How many of the clearest improvers the best-practice section profiles.
TOP_IMPROVERS = 3
#: The dose-response slope is reported per this many percentage points of coverage.
COVERAGE_STEP = 10.0


def _missing(x: object) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return x is None


# --- numbers ----------------------------------------------------------------------------------


def wave_moments(data: StudyData) -> pd.DataFrame:
    """Answers, mean and variance of the outcome index per agency and wave.

    One row per agency of ``agencies.csv`` (in its order): ``agency_id``, ``n_baseline``,
    ``n_followup`` (answers to the outcome item), ``var_baseline``, ``var_followup`` (sample
    variances of the 0-100 index, ddof 1). The Welch standard error of a change is
    :math:`\\sqrt{s_b^2/n_b + s_f^2/n_f}`.
    """
    outcome = data.outcome
    frame = data.responses[["agency_id", "wave", outcome]].dropna(subset=[outcome])
    index = measures.to_index(frame[outcome].astype(float), data.scale_min, data.scale_max)
    frame = frame.assign(index=np.asarray(index, dtype=float))
    stats = frame.groupby(["agency_id", "wave"], observed=True)["index"].agg(["size", "var"])
    ids = data.agencies["agency_id"].astype(str)
    out = pd.DataFrame({"agency_id": ids.to_numpy()})
    for wave in ("baseline", "followup"):
        sub = stats.xs(wave, level="wave") if wave in stats.index.get_level_values("wave") else None
        sizes = sub["size"] if sub is not None else pd.Series(dtype=float)
        variances = sub["var"] if sub is not None else pd.Series(dtype=float)
        out[f"n_{wave}"] = ids.map(sizes).fillna(0).astype(int).to_numpy()
        out[f"var_{wave}"] = ids.map(variances).astype(float).to_numpy()
    return out


def dimension_changes(data: StudyData) -> pd.DataFrame:
    """Follow-up minus baseline index of every dimension, one row per agency.

    The respondent dimension scores (DESIGN.md section 4) are computed once for the whole
    study; each cell is the difference of the two waves' mean index, which is the
    ``estimate`` of :func:`analysis.change.index_change` on the same scores (the
    ``index_diff`` rows of the impact results), without the tests the heatmap does not show.
    A cell with fewer than ``min_report_n`` scores in either wave is NaN (suppressed).

    Returns
    -------
    DataFrame
        Index ``agency_id`` (every agency of ``agencies.csv``), one column per dimension code.
    """
    dims = list(data.dimensions)
    scores = measures.respondent_dimension_scores(data.responses, data.dimensions)
    index = measures.to_index(scores[dims].astype(float), data.scale_min, data.scale_max)
    frame = pd.DataFrame(np.asarray(index, dtype=float), columns=dims, index=scores.index)
    frame["agency_id"] = data.responses["agency_id"].astype(str).to_numpy()
    frame["wave"] = data.responses["wave"].astype(str).to_numpy()
    grouped = frame.groupby(["agency_id", "wave"])[dims]
    means, counts = grouped.mean(), grouped.count()
    ids = data.agencies["agency_id"].astype(str)
    out = pd.DataFrame(index=pd.Index(ids, name="agency_id"), columns=dims, dtype=float)
    for agency_id in ids:
        if (agency_id, "baseline") not in means.index or (agency_id, "followup") not in means.index:
            continue
        before, after = means.loc[(agency_id, "baseline")], means.loc[(agency_id, "followup")]
        enough = (counts.loc[(agency_id, "baseline")] >= data.min_report_n) & (
            counts.loc[(agency_id, "followup")] >= data.min_report_n
        )
        out.loc[agency_id] = (after - before).where(enough)
    return out


def _outcome_rows(changes: pd.DataFrame, outcome: str, metric: str) -> pd.DataFrame:
    rows = changes.loc[(changes["code"] == outcome) & (changes["metric"] == metric)]
    return rows.set_index("agency_id")


def build_league(
    data: StudyData,
    changes: pd.DataFrame,
    coverage: pd.DataFrame,
    draws: int = RANK_DRAWS,
    seed: int = RANK_SEED,
) -> pd.DataFrame:
    """One row per agency: levels, change, g, rank at follow-up and the target flag.

    Parameters
    ----------
    data : StudyData
    changes : DataFrame
        :func:`analysis.impact.headline_change_rows` (the outcome's ``index_diff`` rows carry
        the Benjamini-Hochberg ``p_adj`` across the programme agencies, and each comparison
        agency's within-agency Holm value; the same rows as :func:`analysis.impact.change_rows`
        for the outcome).
    coverage : DataFrame
        :func:`analysis.intervention.intervention_coverage`.

    Returns
    -------
    DataFrame
        Best follow-up index first, unranked (suppressed) agencies last. Columns
        ``agency_id, group, n_baseline, n_followup, baseline, baseline_low, baseline_high,
        followup, followup_low, followup_high, change, change_low, change_high, change_se,
        p_value, p_adj, p_adj_method, g, g_low, g_high, g_var, direction, suppressed, rank,
        rank_low, rank_high, below_target, clearly_below_target, coverage_pct, activities,
        hours, active_weeks, shown_low, shown_high``. ``direction`` is
        ``improved``/``declined``/``no clear change``, read from ``shown_low, shown_high``:
        the change's interval adjusted like its ``p_adj`` (BH for a programme agency, Holm for
        a comparison agency, as ``p_adj_method`` says; :func:`analysis.change.shown_change`),
        so that the interval shown beside the verdict never contradicts it; or ``suppressed``. ``g_var`` is the
        contract's variance of g (:func:`analysis.meta.hedges_g_variance`).
    """
    outcome = data.outcome
    levels = data.levels(data.responses, PHASE, outcome_only=True, recommend=None)
    ranked = measures.agency_rank(
        levels, outcome, target=data.target_index, wave="followup", draws=draws, seed=seed
    ).set_index("agency_id")
    index_rows = levels.loc[(levels["code"] == outcome) & (levels["metric"] == "index")]
    diff = _outcome_rows(changes, outcome, "index_diff")
    g = _outcome_rows(changes, outcome, "hedges_g")
    moments = wave_moments(data).set_index("agency_id")
    dose = coverage.set_index(coverage["agency_id"].astype(str))

    records = []
    for _, agency in data.agencies.iterrows():
        agency_id = str(agency["agency_id"])
        row: dict[str, object] = {"agency_id": agency_id, "group": str(agency["group"])}
        n_b, n_f = (
            int(moments.loc[agency_id, "n_baseline"]),
            int(moments.loc[agency_id, "n_followup"]),
        )
        row["n_baseline"], row["n_followup"] = n_b, n_f
        for wave in ("baseline", "followup"):
            level = index_rows.loc[
                (index_rows["agency_id"] == agency_id) & (index_rows["wave"] == wave)
            ]
            values = level.iloc[0] if len(level) else pd.Series(dtype=float)
            row[wave] = values.get("estimate", math.nan)
            row[f"{wave}_low"] = values.get("ci_low", math.nan)
            row[f"{wave}_high"] = values.get("ci_high", math.nan)
        d = diff.loc[agency_id] if agency_id in diff.index else None
        e = g.loc[agency_id] if agency_id in g.index else None
        suppressed = d is None or _missing(d["estimate"])
        row["change"] = math.nan if suppressed else float(d["estimate"])
        row["change_low"] = math.nan if suppressed else float(d["ci_low"])
        row["change_high"] = math.nan if suppressed else float(d["ci_high"])
        row["change_se"] = (
            math.nan
            if suppressed
            else math.sqrt(
                moments.loc[agency_id, "var_baseline"] / n_b
                + moments.loc[agency_id, "var_followup"] / n_f
            )
        )
        row["p_value"] = math.nan if suppressed else float(d["p_value"])
        row["p_adj"] = math.nan if suppressed else float(d["p_adj"])
        row["p_adj_method"] = "" if suppressed else str(d["p_adj_method"])
        row["g"] = math.nan if suppressed else float(e["estimate"])
        row["g_low"] = math.nan if suppressed else float(e["ci_low"])
        row["g_high"] = math.nan if suppressed else float(e["ci_high"])
        row["g_var"] = math.nan if suppressed else meta.hedges_g_variance(row["g"], n_b, n_f)
        # The interval shown beside the verdict, adjusted like the p it reads, and the
        # verdict read from it (one rule: analysis.change.shown_change).
        shown = (
            None
            if suppressed
            else change.shown_change(
                row["change"],
                row["change_low"],
                row["change_high"],
                row["p_value"],
                None if _missing(row["p_adj"]) else row["p_adj"],
                row["g"],
            )
        )
        row["shown_low"] = math.nan if shown is None else float(shown[0])
        row["shown_high"] = math.nan if shown is None else float(shown[1])
        row["direction"] = "suppressed" if shown is None else shown[2].direction
        row["suppressed"] = suppressed
        rank = ranked.loc[agency_id] if agency_id in ranked.index else None
        for column in ("rank", "rank_low", "rank_high"):
            value = rank[column] if rank is not None else pd.NA
            row[column] = pd.NA if _missing(value) else int(value)
        for column in ("below_target", "clearly_below_target"):
            value = rank[column] if rank is not None else pd.NA
            row[column] = pd.NA if _missing(value) else bool(value)
        if agency_id in dose.index:
            row["coverage_pct"] = float(dose.loc[agency_id, "coverage_pct"])
            row["activities"] = int(dose.loc[agency_id, "activities"])
            row["hours"] = float(dose.loc[agency_id, "hours"])
            row["active_weeks"] = int(dose.loc[agency_id, "active_weeks"])
        records.append(row)
    league = pd.DataFrame.from_records(records)
    for column in ("rank", "rank_low", "rank_high"):
        league[column] = league[column].astype("Int64")
    for column in ("below_target", "clearly_below_target"):
        league[column] = league[column].astype("boolean")
    for column in ("coverage_pct", "hours"):
        if column not in league:
            league[column] = math.nan
    for column in ("activities", "active_weeks"):
        league[column] = (
            league[column].astype("Int64") if column in league else pd.array([pd.NA] * len(league))
        )
    league = league.sort_values(
        ["rank", "followup", "agency_id"], ascending=[True, False, True], na_position="last"
    )
    return league.reset_index(drop=True)


def programme_effect(league: pd.DataFrame) -> meta.RandomEffectsResult | None:
    """DerSimonian-Laird pooling of the programme agencies' g (suppressed ones left out)."""
    pooled = league.loc[(league["group"] == "programme") & ~league["suppressed"]]
    if pooled.empty:
        return None
    return meta.random_effects(pooled["g"], pooled["g_var"], labels=pooled["agency_id"].tolist())


def did_respondents(data: StudyData, league: pd.DataFrame) -> pd.DataFrame:
    """Respondent-level outcome index of the agencies whose change is not suppressed."""
    kept = league.loc[~league["suppressed"], ["agency_id", "group"]]
    outcome = data.outcome
    frame = data.responses[["agency_id", "wave", outcome]].dropna(subset=[outcome])
    frame = frame.assign(agency_id=frame["agency_id"].astype(str), wave=frame["wave"].astype(str))
    frame = frame.merge(kept, on="agency_id", how="inner")
    index = measures.to_index(frame[outcome].astype(float), data.scale_min, data.scale_max)
    return frame.assign(index=np.asarray(index, dtype=float))[
        ["agency_id", "wave", "group", "index"]
    ]


@dataclass(frozen=True)
class DidSummary:
    """The contract's difference-in-differences and its respondent-level sensitivity check.

    ``result`` is the agency-level estimate (:func:`analysis.meta.agency_level_did`);
    ``sensitivity`` the respondent-level model with agency fixed effects and the wild
    cluster bootstrap (:func:`analysis.meta.difference_in_differences`), ``answers`` the
    respondents it rests on.
    """

    result: meta.AgencyLevelDidResult
    sensitivity: meta.DidResult
    answers: int

    @property
    def programme_change(self) -> float:
        """Mean change of the programme agencies (agencies weighted equally)."""
        return self.result.programme_mean

    @property
    def comparison_change(self) -> float:
        """Mean change of the comparison agencies (agencies weighted equally)."""
        return self.result.comparison_mean


def programme_did(
    data: StudyData, league: pd.DataFrame, reps: int = DID_REPS, seed: int = DID_SEED
) -> DidSummary | None:
    """Difference-in-differences of the outcome index, programme against comparison agencies.

    The contract's estimate (DESIGN.md section 4): the unweighted mean of the programme
    agencies' outcome-index changes minus that of the comparison agencies, agencies whose
    change is suppressed left out, with Welch's interval and p on the agency-level changes
    and the exact randomisation p over the group labels. The respondent-level fit with
    agency fixed effects (wild cluster restricted bootstrap, ``reps`` draws, ``seed``) is the
    sensitivity check.

    None with fewer than two comparison or two programme agencies whose change is reported:
    then no comparison is possible (the report says so instead of printing an interval).
    """
    kept = league.loc[~league["suppressed"]]
    programme = kept.loc[kept["group"] == "programme", "change"]
    comparison = kept.loc[kept["group"] == "comparison", "change"]
    if len(comparison) < 2 or len(programme) < 2:
        return None
    result = meta.agency_level_did(programme.to_numpy(float), comparison.to_numpy(float))
    respondents = did_respondents(data, league)
    sensitivity = meta.difference_in_differences(
        respondents, "index", reps=reps, seed=seed, agency_effects=True
    )
    return DidSummary(result, sensitivity, len(respondents))


def did_reading(result: meta.AgencyLevelDidResult, alpha: float = SIGNIFICANCE) -> str:
    """What the difference-in-differences allows one to say, never against its interval.

    ``"up"`` when the 95% interval lies above 0 and ``"down"`` when it lies below 0, each only
    when the randomisation test (where enumerated) agrees (p < ``alpha``);
    ``"not_confirmed"`` when the interval excludes 0 but the randomisation test does not;
    ``"unclear"`` when the interval includes 0.
    """
    if not (result.ci_low > 0 or result.ci_high < 0):
        return "unclear"
    if result.enumerated and not result.p_randomisation < alpha:
        return "not_confirmed"
    return "up" if result.ci_low > 0 else "down"


@dataclass(frozen=True)
class DoseSummary:
    """The dose-response fit and the line to draw (per percentage point of coverage)."""

    result: meta.DoseResponseResult
    line: pd.DataFrame  # coverage, estimate, ci_low, ci_high


def dose_points(league: pd.DataFrame) -> pd.DataFrame:
    """Programme agencies with a reported change and a known coverage."""
    rows = league.loc[(league["group"] == "programme") & ~league["suppressed"]]
    return rows.loc[rows["coverage_pct"].notna() & rows["change_se"].notna()]


def programme_dose(league: pd.DataFrame) -> DoseSummary | None:
    """Meta-regression of the index change on training coverage, and its fitted line.

    The line's 95% band is the normal interval of the mixed-effects WLS prediction with the
    residual heterogeneity tau² of :func:`analysis.meta.dose_response` (the same fit).
    """
    points = dose_points(league)
    if len(points) < 3 or np.ptp(points["coverage_pct"].to_numpy(dtype=float)) == 0:
        return None
    y = points["change"].to_numpy(dtype=float)
    x = points["coverage_pct"].to_numpy(dtype=float)
    v = points["change_se"].to_numpy(dtype=float) ** 2
    result = meta.dose_response(y, x, v)
    fit = WLS(y, add_constant(x), weights=1.0 / (v + result.tau2)).fit(
        cov_type="fixed scale", cov_kwds={"scale": 1.0}
    )
    grid = np.linspace(x.min(), x.max(), 50)
    prediction = fit.get_prediction(add_constant(grid, has_constant="add"))
    band = prediction.conf_int(alpha=0.05)
    line = pd.DataFrame(
        {
            "coverage": grid,
            "estimate": prediction.predicted_mean,
            "ci_low": band[:, 0],
            "ci_high": band[:, 1],
        }
    )
    return DoseSummary(result, line)


def best_improvers(league: pd.DataFrame, top: int = TOP_IMPROVERS) -> pd.DataFrame:
    """Programme agencies that improved clearly (BH), largest change first, at most ``top``."""
    clear = league.loc[(league["group"] == "programme") & (league["direction"] == "improved")]
    return clear.sort_values(["change", "agency_id"], ascending=[False, True]).head(top)


def _direction_key(prefix: str, ci_low: float, ci_high: float) -> str:
    """``<prefix>_up``, ``_down`` or ``_flat``: the message for an interval above, below or
    around zero."""
    if ci_low > 0:
        return f"{prefix}_up"
    if ci_high < 0:
        return f"{prefix}_down"
    return f"{prefix}_flat"


@dataclass(frozen=True)
class RegionalNumbers:
    """Everything the regional report, its results rows and the portal show."""

    changes: pd.DataFrame  # the outcome's change rows (impact.outcome_change_rows)
    dimensions: pd.DataFrame  # dimension_changes
    coverage: pd.DataFrame
    league: pd.DataFrame
    pooled: meta.RandomEffectsResult | None
    did: DidSummary | None
    dose: DoseSummary | None


_CACHE: list[tuple[StudyData, RegionalNumbers]] = []
_CACHE_SIZE = 4


def regional_numbers(data: StudyData) -> RegionalNumbers:
    """The regional numbers of a loaded study, computed once per :class:`StudyData` object.

    The build asks for them three times (the notebook, ``results.csv`` and the portal), and
    the tests behind the change rows are the slow part.
    """
    for cached_data, numbers in _CACHE:
        if cached_data is data:
            return numbers
    changes = headline_change_rows(data)
    coverage = intervention_coverage(data)
    league = build_league(data, changes, coverage)
    numbers = RegionalNumbers(
        changes=changes,
        dimensions=dimension_changes(data),
        coverage=coverage,
        league=league,
        pooled=programme_effect(league),
        did=programme_did(data, league),
        dose=programme_dose(league),
    )
    # A few studies at most: no growing memory in a long-lived kernel.
    _CACHE[:] = [(data, numbers), *_CACHE[: _CACHE_SIZE - 1]]
    return numbers


def league_table(data: StudyData) -> pd.DataFrame:
    """The league table (one row per agency, best follow-up index first) with both names.

    :func:`build_league` plus ``name_en`` and ``name_ar``; what the portal shows.
    """
    league = regional_numbers(data).league
    names = data.agencies.set_index(data.agencies["agency_id"].astype(str))[["name_en", "name_ar"]]
    return league.join(names, on="agency_id")


def regional_results(data: StudyData) -> pd.DataFrame:
    """The regional rows of ``reports/results.csv`` (DESIGN.md section 5).

    ``agency_id = ALL``, scope ``outcome``, code the outcome item: ``pooled_g`` (95% CI, z p,
    ``n`` = programme agencies pooled), ``i2`` (percent; Q's p in ``p_value``), ``tau2``,
    ``did`` (the contract's agency-level difference-in-differences: Welch interval and p on
    the agency changes, ``n`` = agencies), ``did_randomisation`` (the same estimate, no
    interval, the exact randomisation p over the group labels in ``p_value``, empty when the
    relabellings are too many to enumerate; ``n`` = agencies), ``did_fe`` (sensitivity:
    respondent-level model with agency fixed effects, wild cluster bootstrap interval and p,
    ``n`` = respondents) and ``dose_slope`` (index points per percentage point of coverage, z
    CI and p, ``n`` = agencies). An estimate that cannot be made is a row with an empty
    estimate. Per agency, ``rank`` at follow-up (wave ``followup``) with its 95% rank
    interval; suppressed agencies have an empty rank and their follow-up answers as ``n``.
    No regional row is adjusted for multiplicity: ``p_adj`` and ``p_adj_method`` are empty.
    """
    numbers = regional_numbers(data)
    outcome = data.outcome
    base = {
        "phase": PHASE,
        "scope": "outcome",
        "code": outcome,
        "p_adj": math.nan,
        "p_adj_method": "",
    }
    rows = []

    def add(metric: str, estimate=math.nan, low=math.nan, high=math.nan, n=0, p=math.nan):
        rows.append(
            {
                **base,
                "agency_id": "ALL",
                "wave": "",
                "metric": metric,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "n": n,
                "p_value": p,
            }
        )

    pooled = numbers.pooled
    if pooled is not None:
        add("pooled_g", pooled.estimate, pooled.ci_low, pooled.ci_high, pooled.k, pooled.p_value)
        add("i2", pooled.i2, n=pooled.k, p=pooled.q_p)
        add("tau2", pooled.tau2, n=pooled.k)
    else:
        for metric in ("pooled_g", "i2", "tau2"):
            add(metric)
    kept_agencies = int((~numbers.league["suppressed"]).sum())
    if numbers.did is not None:
        did, fe = numbers.did.result, numbers.did.sensitivity
        agencies = did.k_programme + did.k_comparison
        add("did", did.estimate, did.ci_low, did.ci_high, agencies, did.p_value)
        add("did_randomisation", did.estimate, n=agencies, p=did.p_randomisation)
        add("did_fe", fe.estimate, fe.ci_low, fe.ci_high, numbers.did.answers, fe.p_value)
    else:
        add("did", n=kept_agencies)
        add("did_randomisation", n=kept_agencies)
        add("did_fe", n=len(did_respondents(data, numbers.league)))
    if numbers.dose is not None:
        dose = numbers.dose.result
        add("dose_slope", dose.slope, dose.ci_low, dose.ci_high, dose.k, dose.p_value)
    else:
        add("dose_slope", n=len(dose_points(numbers.league)))
    for _, agency in numbers.league.iterrows():
        rows.append(
            {
                **base,
                "agency_id": agency["agency_id"],
                "wave": "followup",
                "metric": "rank",
                "estimate": float(agency["rank"]) if not _missing(agency["rank"]) else math.nan,
                "ci_low": float(agency["rank_low"])
                if not _missing(agency["rank_low"])
                else math.nan,
                "ci_high": (
                    float(agency["rank_high"]) if not _missing(agency["rank_high"]) else math.nan
                ),
                "n": int(agency["n_followup"]),
                "p_value": math.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(measures.RESULT_COLUMNS))


# --- the report -------------------------------------------------------------------------------


def below_standard(data: StudyData, wave: str = "followup") -> pd.DataFrame:
    """Agencies below a minimum standard of study.yml ``thresholds.standards`` at ``wave``.

    One row per agency and dimension whose whole 95% interval lies under the standard
    (:func:`analysis.views.standards_table`, status ``below``), sorted by agency and
    dimension: ``agency_id, code, estimate, ci_low, ci_high, standard, status``. Empty when
    the study sets no standard. What the regional report and the portal list.
    """
    if not data.study.thresholds.standards:
        return views.standards_table(data, pd.DataFrame(), wave)
    levels = data.levels(data.wave_responses(wave), PHASE)
    table = views.standards_table(data, levels, wave)
    table = table.loc[table["status"] == "below"]
    return table.sort_values(["agency_id", "code"]).reset_index(drop=True)


class RegionalReport:
    """Everything the regional notebook shows, in one language."""

    def __init__(self, data: StudyData, lang: str) -> None:
        if lang not in i18n.LANGUAGES:
            raise ValueError(f"unknown report language {lang!r} (expected ar or en)")
        self.data = data
        self.lang = lang

    # --- numbers -----------------------------------------------------------------------

    @cached_property
    def numbers(self) -> RegionalNumbers:
        return regional_numbers(self.data)

    @property
    def league(self) -> pd.DataFrame:
        return self.numbers.league

    @property
    def reported(self) -> pd.DataFrame:
        return self.league.loc[~self.league["suppressed"]]

    @property
    def suppressed_ids(self) -> list[str]:
        return self.league.loc[self.league["suppressed"], "agency_id"].tolist()

    @cached_property
    def improvers(self) -> pd.DataFrame:
        return best_improvers(self.league)

    # --- text helpers ------------------------------------------------------------------

    def _fmt(self, x: float, decimals: int = 0, signed: bool = False) -> str:
        return i18n.fmt_num(x, decimals, self.lang, signed=signed)

    def _interval(self, low: float, high: float, decimals: int = 0) -> str:
        return i18n.fmt_interval(low, high, decimals, self.lang)

    def _name(self, agency_id: str) -> str:
        return self.data.agency_name(agency_id, self.lang)

    def _names(self, ids: list[str]) -> str:
        # Agency names contain commas and dashes: a semicolon keeps a list of them readable.
        return t("sep_agencies", self.lang).join(self._name(a) for a in ids)

    def _group_name(self, agency_id: str, group: str) -> str:
        """The agency's name, marked when it is a comparison agency."""
        name = self._name(agency_id)
        return t("name_comparison", self.lang, name=name) if group == "comparison" else name

    def _suppressed_text(self) -> str:
        return i18n.fmt_suppressed(self.lang, self.data.min_report_n)

    # --- header and findings -----------------------------------------------------------

    def header(self) -> HTML:
        groups = self.data.agencies["group"].astype(str)
        lines = [
            views.fieldwork_line(self.data, w, self.lang)
            for w in ("baseline", "followup")
            if w in self.data.study.waves_by_name
        ]
        lines.append(
            t(
                "regional_scope_line"
                if (groups == "comparison").any()
                else "regional_scope_line_no_comparison",
                self.lang,
                programme=int((groups == "programme").sum()),
                comparison=int((groups == "comparison").sum()),
                answers=i18n.fmt_num(len(self.data.responses), 0, self.lang, grouping=True),
            )
        )
        return views.report_header(self.data, PHASE, self.lang, None, lines)

    def pooled_sentence(self) -> str:
        pooled = self.numbers.pooled
        if pooled is None:
            return t("regional_pooled_none", self.lang)
        key = _direction_key("regional_pooled", pooled.ci_low, pooled.ci_high)
        text = t(
            key,
            self.lang,
            k=pooled.k,
            g=self._fmt(pooled.estimate, 2, signed=True),
            interval=self._interval(pooled.ci_low, pooled.ci_high, 2),
            size=t(i18n.effect_size_key(pooled.estimate), self.lang),
        )
        if not _missing(pooled.pi_low):
            text += " " + t(
                "regional_prediction",
                self.lang,
                i2=self._fmt(pooled.i2),
                pi_low=self._fmt(pooled.pi_low, 2, signed=True),
                pi_high=self._fmt(pooled.pi_high, 2, signed=True),
            )
        return text

    def did_sentence(self) -> str:
        summary = self.numbers.did
        if summary is None:
            return t("regional_no_did", self.lang)
        did = summary.result
        # One decimal: with whole points, 6.5 - 0.1 would read "+7 and 0: +6".
        sentences = [
            t(
                "regional_did",
                self.lang,
                programme=self._fmt(summary.programme_change, 1, signed=True),
                comparison=self._fmt(summary.comparison_change, 1, signed=True),
                k_programme=did.k_programme,
                k_comparison=did.k_comparison,
                did=self._fmt(did.estimate, 1, signed=True),
                interval=self._interval(did.ci_low, did.ci_high, 1),
                p=i18n.fmt_p(did.p_value),
            )
        ]
        if did.enumerated:
            sentences.append(
                t(
                    "regional_did_randomisation",
                    self.lang,
                    relabellings=i18n.fmt_num(did.relabellings, 0, self.lang, grouping=True),
                    p=i18n.fmt_p(did.p_randomisation),
                )
            )
        reading = did_reading(did)
        check = summary.sensitivity
        unsure = not _missing(check.ci_low) and check.ci_low <= 0 <= check.ci_high
        if reading in ("up", "down") and unsure:
            sentences.append(t("plain_regional_did_caution", self.lang))
        elif reading == "up":
            sentences.append(t("regional_did_clear", self.lang))
        elif reading == "down":
            sentences.append(t("regional_did_clear_down", self.lang))
        else:
            key = (
                "regional_did_not_confirmed"
                if reading == "not_confirmed"
                else "regional_did_unclear"
            )
            sentences.append(t(key, self.lang, k_comparison=did.k_comparison))
        return " ".join(sentences)

    def league_sentence(self) -> str:
        """How many programme agencies improved and declined beyond the margin of error, how
        many comparison agencies changed, and how many agencies are clearly below the target;
        a zero reads "none" (``لم تتراجع أي جهة``), not "0"."""
        lang, reported = self.lang, self.reported
        ranked = self.league.loc[self.league["rank"].notna()]
        programme = reported.loc[reported["group"] == "programme"]
        comparison = reported.loc[reported["group"] == "comparison"]
        improved = int((programme["direction"] == "improved").sum())
        declined = int((programme["direction"] == "declined").sum())
        changed = int(comparison["direction"].isin(["improved", "declined"]).sum())
        below = int(ranked["clearly_below_target"].fillna(False).sum())
        target = self._fmt(self.data.target_index)
        return t(
            "regional_league" if len(comparison) else "regional_league_no_comparison",
            lang,
            improved=t(
                "league_improved" if improved else "league_improved_none",
                lang,
                improved=improved,
                total=len(programme),
            ),
            declined=t(
                "league_declined" if declined else "league_declined_none", lang, declined=declined
            ),
            comparison=t(
                "league_comparison" if changed else "league_comparison_none",
                lang,
                changed=changed,
                total=len(comparison),
            ),
            below=t(
                {0: "league_below_none", 1: "league_below_one"}.get(below, "league_below"),
                lang,
                below=below,
                target=target,
            ),
        )

    def dose_sentence(self) -> str:
        summary = self.numbers.dose
        if summary is None:
            return t("regional_dose_none", self.lang)
        dose = summary.result
        key = _direction_key("regional_dose", dose.ci_low, dose.ci_high)
        return t(
            key,
            self.lang,
            slope=self._fmt(dose.slope * COVERAGE_STEP, 1, signed=True),
            interval=self._interval(dose.ci_low * COVERAGE_STEP, dose.ci_high * COVERAGE_STEP, 1),
            k=dose.k,
        )

    def suppressed_sentence(self) -> str | None:
        if not self.suppressed_ids:
            return None
        return t(
            "regional_suppressed",
            self.lang,
            count=len(self.suppressed_ids),
            min_n=self.data.min_report_n,
            names=self._names(self.suppressed_ids),
        )

    def findings(self) -> list[str]:
        """The first screen in plain words (issue 16): who is compared, the programme effect,
        the difference from the comparison agencies, the league and dose-response. The
        technical values (g, I², Welch and randomisation p) are in the sections below."""
        sentences = [
            self.counts_sentence(),
            self._plain_pooled(),
            self._plain_did(),
            self.league_sentence(),
            self._plain_dose(),
        ]
        return sentences[:5]

    def counts_sentence(self) -> str:
        """The study's agencies, those compared and those left out, in one sentence, so that
        the header's, the findings' and the league's counts add up."""
        groups = self.data.agencies.set_index("agency_id")["group"].astype(str)
        reported = self.reported["agency_id"].astype(str)
        programme = int((groups == "programme").sum())
        comparison = int((groups == "comparison").sum())
        if not comparison:
            return t(
                "plain_regional_counts_no_comparison",
                self.lang,
                total=len(groups),
                ranked=len(reported),
            ) + (" " + self.suppressed_sentence() if self.suppressed_ids else "")
        if not self.suppressed_ids:
            return t(
                "plain_regional_counts_all",
                self.lang,
                total=len(groups),
                programme=programme,
                comparison=comparison,
            )
        return t(
            "plain_regional_counts",
            self.lang,
            total=len(groups),
            programme=programme,
            comparison=comparison,
            ranked=len(reported),
            ranked_programme=int((groups.reindex(reported) == "programme").sum()),
            left=len(self.suppressed_ids),
            min_n=self.data.min_report_n,
            names=self._names(self.suppressed_ids),
        )

    def _plain_pooled(self) -> str:
        pooled = self.numbers.pooled
        if pooled is None:
            return t("regional_pooled_none", self.lang)
        key = _direction_key("plain_regional_pooled", pooled.ci_low, pooled.ci_high)
        text = t(
            key, self.lang, k=pooled.k, size=t(i18n.effect_size_key(pooled.estimate), self.lang)
        )
        # A 95% prediction interval that includes no effect: some agencies may not gain at all.
        if not _missing(pooled.pi_low) and pooled.pi_low < 0 < pooled.pi_high:
            text += " " + t("plain_regional_varies", self.lang)
        return text

    def _plain_did(self) -> str:
        summary = self.numbers.did
        if summary is None:
            return t("regional_no_did", self.lang)
        did, lang = summary.result, self.lang
        common = {
            "programme": self._fmt(summary.programme_change, 1, signed=True),
            "comparison": self._fmt(summary.comparison_change, 1, signed=True),
        }
        # The respondent-level sensitivity check including zero tempers a clear difference.
        check = summary.sensitivity
        caution = " " + t(
            "plain_regional_did_caution"
            if not _missing(check.ci_low) and check.ci_low <= 0 <= check.ci_high
            else "plain_regional_did_sure",
            lang,
        )
        if did.ci_low > 0 or did.ci_high < 0:
            # One decimal, like the two changes it is the difference of (+7.9 - +2.0 = 5.9).
            low, high = sorted((abs(did.ci_low), abs(did.ci_high)))
            return (
                t(
                    "plain_regional_did_more" if did.ci_low > 0 else "plain_regional_did_less",
                    lang,
                    did=self._fmt(abs(did.estimate), 1),
                    low=self._fmt(low, 1),
                    high=self._fmt(high, 1),
                    **common,
                )
                + caution
            )
        return t(
            "plain_regional_did_unclear",
            lang,
            fall=self._fmt(abs(min(did.ci_low, 0.0)), 1),
            rise=self._fmt(max(did.ci_high, 0.0), 1),
            **common,
        )

    def _plain_dose(self) -> str:
        summary = self.numbers.dose
        if summary is None:
            return t("regional_dose_none", self.lang)
        dose = summary.result
        key = _direction_key("plain_regional_dose", dose.ci_low, dose.ci_high)
        slope = i18n.fmt_magnitude(dose.slope * COVERAGE_STEP, self.lang)
        return t(key, self.lang, slope=slope, k=dose.k)

    def key_findings(self) -> HTML:
        return findings_html(self.findings(), self.lang)

    # --- sections ----------------------------------------------------------------------

    def _chart_label(self, agency_id: str) -> str:
        return self._name(agency_id)

    def league_section(self) -> list[HTML]:
        """League chart at follow-up with the target, and the league table."""
        lang, data, league = self.lang, self.data, self.league
        parts: list[HTML] = [views.section("q_league", lang)]
        frame = pd.DataFrame(
            {
                "agency_id": league["agency_id"],
                "label": [self._chart_label(a) for a in league["agency_id"]],
                "estimate": league["followup"].where(league["rank"].notna()),
                "ci_low": league["followup_low"],
                "ci_high": league["followup_high"],
                "group": league["group"],
                "suppressed": league["rank"].isna(),
            }
        )
        fig = plots.league(
            frame,
            lang,
            target=data.target_index,
            labels={
                "title": t("chart_regional_league_title", lang),
                "index": t("axis_index", lang),
                "target": t("target", lang),
                "programme": t("group_programme", lang),
                "comparison": t("group_comparison", lang),
                "suppressed": self._suppressed_text(),
            },
        )
        ranked = league.loc[league["rank"].notna()]
        top = ranked.iloc[0] if len(ranked) else None
        alt = t(
            "alt_regional_league",
            lang,
            ranked=len(ranked),
            target=self._fmt(data.target_index),
            top=self._name(top["agency_id"]) if top is not None else i18n.MISSING,
            top_value=self._fmt(top["followup"]) if top is not None else i18n.MISSING,
            below=int(ranked["clearly_below_target"].fillna(False).sum()),
        )
        parts.append(figure_html(fig, alt=alt))
        parts.append(views.paragraph(self.league_sentence()))
        widths = (ranked["rank_high"] - ranked["rank_low"] + 1).astype(float)
        if len(ranked) >= 3:
            parts.append(
                views.paragraph(
                    t("reading_rank_uncertainty", lang, width=self._fmt(widths.median()))
                )
            )
        suppressed = self.suppressed_sentence()
        if suppressed:
            parts.append(views.paragraph(suppressed))
        below = self.below_standard_sentence()
        if below:
            parts.append(views.paragraph(below))
        parts.append(self.league_table_html())
        return parts

    def below_standard_sentence(self) -> str | None:
        """The agencies whose follow-up dimension index lies wholly under its minimum standard."""
        if not self.data.study.thresholds.standards:
            return None
        table = below_standard(self.data)
        if table.empty:
            return t("regional_none_below_standard", self.lang)
        items = [
            f"{self._name(r['agency_id'])}: {self.data.dimension_label(r['code'], self.lang)} "
            f"{self._fmt(r['estimate'])} {self._interval(r['ci_low'], r['ci_high'], 0)}"
            f" / {self._fmt(r['standard'])}"
            for _, r in table.iterrows()
        ]
        return t(
            "regional_below_standard", self.lang, items=t("list_separator", self.lang).join(items)
        )

    def _target_flag(self, row: pd.Series) -> str:
        """The follow-up index against the target by its interval, the one rule of every
        report (:func:`analysis.views.threshold_status`); a dash where it is suppressed."""
        if _missing(row["clearly_below_target"]):
            return i18n.MISSING
        return views.target_flag(
            row["followup_low"], row["followup_high"], self.data.target_index, self.lang
        )

    def _verdict_words(self, direction: str) -> str:
        return {
            "improved": t("verdict_improved", self.lang),
            "declined": t("verdict_declined", self.lang),
            "no clear change": t("verdict_no_clear_change", self.lang),
            "suppressed": "",
        }[direction]

    def _family(self, method: str) -> str:
        """The short name of the family that adjusted a p-value (BH or Holm)."""
        return t({"bh": "family_bh", "holm": "family_holm"}[method], self.lang) if method else ""

    def league_table_html(self) -> HTML:
        lang, league = self.lang, self.league
        col = {
            key: t(key, lang)
            for key in (
                "col_agency",
                "col_baseline",
                "col_followup",
                "col_change_adj_ci",
                "col_reading_bh",
                "col_rank_interval",
            )
        }
        target_col = t("col_target_flag", lang, target=self._fmt(self.data.target_index))
        table = pd.DataFrame(
            {
                col["col_agency"]: [
                    self._group_name(a, g)
                    for a, g in zip(league["agency_id"], league["group"], strict=True)
                ],
                col["col_baseline"]: league["baseline"].to_numpy(dtype=float),
                col["col_followup"]: league["followup"].to_numpy(dtype=float),
                col["col_change_adj_ci"]: [
                    np.nan
                    if r["suppressed"]
                    else self._fmt(r["change"], 1, signed=True)
                    + " "
                    + self._interval(r["shown_low"], r["shown_high"], 1)
                    for _, r in league.iterrows()
                ],
                col["col_reading_bh"]: [
                    np.nan
                    if r["suppressed"]
                    else t(
                        "reading_with_p_family",
                        lang,
                        verdict=self._verdict_words(r["direction"]),
                        # Isolated: "p = 0.002" is a left-to-right run inside Arabic.
                        p=i18n.fmt_p(r["p_adj"], lang),
                        family=self._family(r["p_adj_method"]),
                    )
                    for _, r in league.iterrows()
                ],
                col["col_rank_interval"]: [
                    np.nan
                    if _missing(r["rank"])
                    else f"{int(r['rank'])} "
                    + i18n.fmt_interval(r["rank_low"], r["rank_high"], 0, lang)
                    for _, r in league.iterrows()
                ],
                target_col: [self._target_flag(r) for _, r in league.iterrows()],
            }
        )
        mask = pd.DataFrame(False, index=table.index, columns=table.columns)
        mask[col["col_baseline"]] = table[col["col_baseline"]].isna()
        mask[col["col_followup"]] = table[col["col_followup"]].isna()
        for key in ("col_change_adj_ci", "col_reading_bh", "col_rank_interval"):
            mask[col[key]] = league["suppressed"].to_numpy() | table[col[key]].isna().to_numpy()
        mask[col["col_rank_interval"]] = league["rank"].isna().to_numpy()
        return table_html(
            table,
            lang,
            caption=t("caption_regional_league", lang, min_n=self.data.min_report_n),
            number_formats={
                col["col_baseline"]: 1,
                col["col_followup"]: 1,
                col["col_change_adj_ci"]: str,
                col["col_rank_interval"]: str,
            },
            suppressed_mask=mask,
            min_report_n=self.data.min_report_n,
        )

    def programme_effect_section(self) -> list[HTML]:
        """Forest plot of the programme agencies' g with the pooled estimate and the table."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_programme_effect", lang)]
        pooled = self.numbers.pooled
        if pooled is None:
            parts.append(views.paragraph(t("regional_pooled_none", lang)))
            return parts
        studies = self.league.loc[
            (self.league["group"] == "programme") & ~self.league["suppressed"]
        ].sort_values(["g", "agency_id"], ascending=[False, True])
        frame = pd.DataFrame(
            {
                "label": [self._name(a) for a in studies["agency_id"]],
                "g": studies["g"].to_numpy(),
                "ci_low": studies["g_low"].to_numpy(),
                "ci_high": studies["g_high"].to_numpy(),
                "weight": pooled.weights.reindex(studies["agency_id"]).to_numpy(),
            }
        )
        fig = plots.forest(
            frame,
            pooled,
            lang,
            labels={
                "title": t("chart_forest_title", lang),
                "g": t("axis_g", lang),
                "pooled": t("label_pooled", lang),
                "prediction": t("label_prediction", lang),
                "weight": t("label_weight", lang),
            },
        )
        alt = t(
            "alt_forest",
            lang,
            k=pooled.k,
            g=self._fmt(pooled.estimate, 2, signed=True),
            interval=self._interval(pooled.ci_low, pooled.ci_high, 2),
            pi=self._interval(pooled.pi_low, pooled.pi_high, 2),
        )
        parts.append(figure_html(fig, alt=alt))
        parts.append(views.paragraph(self.pooled_sentence()))
        parts.append(views.paragraph(t("reading_pooled", lang)))
        rows = [
            (
                "row_pooled_g",
                self._fmt(pooled.estimate, 2, signed=True)
                + " "
                + self._interval(pooled.ci_low, pooled.ci_high, 2),
            ),
            ("row_prediction", self._interval(pooled.pi_low, pooled.pi_high, 2)),
            ("row_tau2", self._fmt(pooled.tau2, 3)),
            ("row_i2", self._fmt(pooled.i2, 1)),
            (
                "row_q",
                t(
                    "row_q_value",
                    self.lang,
                    q=self._fmt(pooled.q, 1),
                    df=pooled.q_df,
                    p=i18n.fmt_p(pooled.q_p, self.lang),
                )
                if not _missing(pooled.q)
                else i18n.MISSING,
            ),
            ("row_k", str(pooled.k)),
        ]
        parts.append(self._measure_table(rows, "caption_pooled"))
        return parts

    def _measure_table(
        self, rows: list[tuple[str | tuple[str, dict], str]], caption_key: str
    ) -> HTML:
        """A two-column table of measures and their formatted values.

        Each measure is a string key, or a ``(key, placeholders)`` pair.
        """
        lang = self.lang

        def label(key: str | tuple[str, dict]) -> str:
            return t(key[0], lang, **key[1]) if isinstance(key, tuple) else t(key, lang)

        table = pd.DataFrame(
            {
                t("col_measure", lang): [label(key) for key, _ in rows],
                t("col_value", lang): [value for _, value in rows],
            }
        )
        return table_html(
            table, lang, caption=t(caption_key, lang), number_formats={t("col_value", lang): str}
        )

    def did_section(self) -> list[HTML]:
        """Every agency's change by group, and the difference-in-differences."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_did", lang)]
        league = self.league
        frame = pd.DataFrame(
            {
                "agency_id": league["agency_id"],
                "label": [self._chart_label(a) for a in league["agency_id"]],
                "estimate": league["change"],
                "ci_low": league["change_low"],
                "ci_high": league["change_high"],
                "group": league["group"],
                "suppressed": league["suppressed"],
            }
        )
        fig = plots.league(
            frame,
            lang,
            target=None,
            labels={
                "title": t("chart_change_league_title", lang),
                "index": t("axis_change", lang),
                "programme": t("group_programme", lang),
                "comparison": t("group_comparison", lang),
                "suppressed": self._suppressed_text(),
            },
        )
        parts.append(figure_html(fig, alt=t("alt_did_league", lang)))
        parts.append(views.paragraph(self.did_sentence()))
        summary = self.numbers.did
        if summary is None:
            return parts
        did, fe = summary.result, summary.sensitivity
        parts.append(views.paragraph(t("reading_did_caveat", lang, k_comparison=did.k_comparison)))
        relabellings = i18n.fmt_num(did.relabellings, 0, lang, grouping=True)
        rows = [
            ("row_programme_change", self._fmt(summary.programme_change, 1, signed=True)),
            ("row_comparison_change", self._fmt(summary.comparison_change, 1, signed=True)),
            (
                "row_did",
                self._fmt(did.estimate, 1, signed=True)
                + " "
                + self._interval(did.ci_low, did.ci_high, 1),
            ),
            ("row_did_df", self._fmt(did.df, 1)),
            ("row_did_p", i18n.fmt_p(did.p_value)),
            (
                ("row_did_randomisation", {"relabellings": relabellings}),
                i18n.fmt_p(did.p_randomisation)
                if did.enumerated
                else t("row_did_randomisation_none", lang),
            ),
            (
                "row_did_fe",
                self._fmt(fe.estimate, 1, signed=True)
                + " "
                + self._interval(fe.ci_low, fe.ci_high, 1)
                + t("list_separator", lang)
                + i18n.fmt_p(fe.p_value),
            ),
            (
                "row_agencies",
                f"{did.k_programme + did.k_comparison} ({did.k_programme} + {did.k_comparison})",
            ),
            ("row_answers", str(summary.answers)),
        ]
        parts.append(self._measure_table(rows, "caption_did"))
        return parts

    def dose_section(self) -> list[HTML]:
        """Change against training coverage with the meta-regression line."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_dose", lang)]
        summary = self.numbers.dose
        if summary is None:
            parts.append(views.paragraph(t("regional_dose_none", lang)))
            return parts
        points = dose_points(self.league)
        frame = pd.DataFrame(
            {
                "agency_id": points["agency_id"],
                "label": [self._name(a) for a in points["agency_id"]],
                "coverage": points["coverage_pct"],
                "change": points["change"],
            }
        )
        fig = plots.dose_response(
            frame,
            summary.line,
            lang,
            label_points=False,
            labels={
                "title": t("chart_dose_title", lang),
                "coverage": t("axis_coverage", lang),
                "change": t("axis_change", lang),
                "fit": t("label_fit", lang),
            },
        )
        dose = summary.result
        alt = t(
            "alt_dose",
            lang,
            k=dose.k,
            slope=self._fmt(dose.slope * COVERAGE_STEP, 1, signed=True),
            interval=self._interval(dose.ci_low * COVERAGE_STEP, dose.ci_high * COVERAGE_STEP, 1),
        )
        parts.append(figure_html(fig, alt=alt))
        parts.append(views.paragraph(self.dose_sentence()))
        return parts

    def heatmap_matrix(self) -> pd.DataFrame:
        """Dimension change (index points) per agency: programme agencies first, each group
        by its satisfaction-index change (largest first); NaN where suppressed."""
        wide = self.numbers.dimensions
        dims = list(self.data.dimensions)
        order = self.league.assign(
            _group=(self.league["group"] != "programme").astype(int)
        ).sort_values(["_group", "change", "agency_id"], ascending=[True, False, True])
        labels = [
            self._group_name(a, g) for a, g in zip(order["agency_id"], order["group"], strict=True)
        ]
        matrix = wide.reindex(index=order["agency_id"], columns=dims)
        matrix.index = labels
        matrix.columns = [self.data.dimension_label(c, self.lang) for c in dims]
        return matrix.astype(float)

    def heatmap_section(self) -> list[HTML]:
        lang = self.lang
        parts: list[HTML] = [views.section("q_heatmap", lang)]
        matrix = self.heatmap_matrix()
        fig = plots.change_heatmap(
            matrix,
            lang,
            labels={
                "title": t("chart_heatmap_title", lang),
                "change": t("axis_change", lang),
                "suppressed": self._suppressed_text(),
            },
        )
        stacked = matrix.stack().dropna()
        best = (
            t(
                "heatmap_best",
                lang,
                agency=stacked.idxmax()[0],
                dimension=stacked.idxmax()[1],
                change=self._fmt(stacked.max(), signed=True),
            )
            if len(stacked)
            else i18n.MISSING
        )
        alt = t(
            "alt_heatmap",
            lang,
            agencies=matrix.shape[0],
            dimensions=matrix.shape[1],
            best=best,
        )
        parts.append(figure_html(fig, alt=alt))
        parts.append(views.paragraph(t("reading_heatmap", lang, min_n=self.data.min_report_n)))
        return parts

    def _main_activity(self, agency_id: str) -> str:
        mix = interventions.activity_mix(self.data.interventions, agency_id)
        if mix.empty or _missing(mix["hours_share_pct"].iloc[0]):
            return i18n.MISSING
        top = mix.iloc[0]
        return t(
            "main_activity",
            self.lang,
            activity=activity_label(top["activity"], self.lang),
            share=self._fmt(top["hours_share_pct"]),
        )

    def best_practices(self) -> list[HTML]:
        """The clearest improvers and their activity profile, with the programme median."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_best", lang)]
        top = self.improvers
        if top.empty:
            parts.append(views.paragraph(t("reading_best_none", lang)))
            return parts
        programme = self.league.loc[self.league["group"] == "programme"]
        median_coverage = float(programme["coverage_pct"].median())
        above = int((top["coverage_pct"] > median_coverage).sum())
        sentences = [t("reading_best", lang, names=self._names(top["agency_id"].tolist()))]
        if not _missing(median_coverage):
            median = self._fmt(median_coverage)
            if above == len(top):
                sentences.append(t("reading_best_all_above", lang, median=median))
            else:
                sentences.append(
                    t("reading_best_some_above", lang, above=above, k=len(top), median=median)
                )
        sentences.append(t("reading_best_caveat", lang))
        parts.append(views.paragraph(" ".join(sentences)))
        records = []
        for _, row in top.iterrows():
            records.append(
                {
                    t("col_agency", lang): self._name(row["agency_id"]),
                    t("col_change_ci", lang): self._fmt(row["change"], 1, signed=True)
                    + " "
                    + self._interval(row["change_low"], row["change_high"], 1),
                    t("col_coverage", lang): row["coverage_pct"],
                    t("col_hours", lang): row["hours"],
                    t("col_main_activity", lang): self._main_activity(row["agency_id"]),
                }
            )
        records.append(
            {
                t("col_agency", lang): t("row_programme_median", lang),
                t("col_change_ci", lang): self._fmt(
                    programme.loc[~programme["suppressed"], "change"].median(), 1, signed=True
                ),
                t("col_coverage", lang): median_coverage,
                t("col_hours", lang): programme["hours"].median(),
                t("col_main_activity", lang): "",
            }
        )
        table = pd.DataFrame(records)
        for key in ("col_coverage", "col_hours"):
            table[t(key, lang)] = pd.to_numeric(table[t(key, lang)]).astype(float)

        def whole_or_half(x: float) -> str:
            return self._fmt(x, 0 if float(x).is_integer() else 1)

        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_best", lang),
                number_formats={
                    t("col_change_ci", lang): str,
                    t("col_coverage", lang): 0,
                    t("col_hours", lang): whole_or_half,
                },
            )
        )
        return parts

    def methods(self) -> list[HTML]:
        lang, data = self.lang, self.data
        parts = views.methods_note(
            data,
            lang,
            None,
            [
                "methods_index",
                "methods_change",
                "methods_impact_adjust",
                "methods_interval_change",
                "methods_meta",
            ],
        )
        extra = [
            # Formulas are left-to-right runs: isolated so Arabic text does not reorder them.
            t(
                "methods_regional_variance",
                lang,
                formula=i18n.bidi_isolate("J²((n1 + n2)/(n1·n2) + d²/(2(n1 + n2)))", lang),
                j=i18n.bidi_isolate("J = 1 − 3/(4(n1 + n2) − 9)", lang),
                df=i18n.bidi_isolate("k − 2", lang),
            ),
            t("methods_regional_did", lang, reps=i18n.fmt_num(DID_REPS, 0, lang, grouping=True)),
            t("methods_interval_did", lang),
            t("methods_regional_dose", lang),
            t(
                "methods_regional_rank",
                lang,
                draws=i18n.fmt_num(RANK_DRAWS, 0, lang, grouping=True),
            ),
            t("methods_interval_rank", lang),
            t("methods_regional_left_out", lang, min_n=data.min_report_n),
        ]
        return parts + [views.paragraph(text) for text in extra]

    def footer(self, params: dict) -> HTML:
        return views.footer(self.data, self.lang, params)


__all__ = [
    "DidSummary",
    "DoseSummary",
    "RegionalNumbers",
    "RegionalReport",
    "best_improvers",
    "build_league",
    "league_table",
    "programme_did",
    "programme_dose",
    "programme_effect",
    "regional_numbers",
    "regional_results",
    "wave_moments",
]
