"""The impact report of one agency: did its beneficiaries become more satisfied, by how much,
how sure are we, and where?

``notebooks/03_impact.ipynb`` is a thin sequence of calls to :class:`ImpactReport`;
:func:`impact_results` gives the same numbers as rows of ``reports/results.csv``.

Multiplicity (DESIGN.md section 4), two named families, each row saying which in
``p_adj_method``:

- ``holm``: within an agency, the index changes of the outcome, the dimensions and the items
  are Holm-adjusted as one family. The outcome's Holm value has a row of its own,
  ``index_diff_holm`` (:data:`analysis.change.HOLM_METRIC`), in every agency.
- ``bh``: the headline comparison (the satisfaction index) of the **programme** agencies is
  adjusted with Benjamini-Hochberg across the programme agencies only, and that is the
  ``p_adj`` of their outcome ``index_diff`` rows. Comparison agencies are the control, not
  tested for a programme effect: they are outside this family, and the ``p_adj`` of their
  outcome ``index_diff`` row (the one their own report's verdict reads) is their Holm value.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import pandas as pd
from IPython.display import HTML
from scipy import stats

from analysis import change, config, drivers, i18n, measures, meta, plots, views, weighting
from analysis.baseline import (
    comments_to_show,
    likert_distribution,
    segment_label,
    segment_value_label,
)
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.report import _esc, comments_html, figure_html, findings_html, table_html

PHASE = "impact"
SIGNIFICANCE = 0.05


def _missing(x: object) -> bool:
    return x is None or pd.isna(x)


# --- numbers for every agency (results.csv) ----------------------------------------------------


def _changes(data: StudyData, responses: pd.DataFrame, outcome_only: bool) -> pd.DataFrame:
    return change.change_table(
        responses,
        [data.outcome] if outcome_only else data.items,
        {} if outcome_only else data.dimensions,
        data.outcome,
        data.scale_min,
        data.scale_max,
        data.min_report_n,
    )


def _is_headline(rows: pd.DataFrame) -> pd.Series:
    return (rows["scope"] == "outcome") & (rows["metric"] == "index_diff")


def programme_ids(data: StudyData) -> list[str]:
    """The programme agencies: the family of the headline Benjamini-Hochberg adjustment."""
    agencies = data.agencies
    return agencies.loc[agencies["group"] == "programme", "agency_id"].astype(str).tolist()


def _adjust_headline_bh(data: StudyData, rows: pd.DataFrame) -> None:
    """Replace the programme agencies' headline ``p_adj`` by BH across them, in place."""
    family = _is_headline(rows) & rows["agency_id"].astype(str).isin(programme_ids(data))
    adjusted = change.adjust_across_agencies(rows.loc[family, "p_value"].astype(float))
    rows.loc[family, "p_adj"] = adjusted
    rows.loc[family, "p_adj_method"] = np.where(np.isfinite(adjusted.to_numpy()), "bh", "")


def outcome_change_rows(data: StudyData) -> pd.DataFrame:
    """The outcome's change rows of every agency, the programme agencies' headline p adjusted
    across the programme agencies (BH).

    Only the outcome comparison of each agency: what the cross-agency parts of a report need
    (the Benjamini-Hochberg family, the comparison agencies' changes), at a tenth of the cost
    of every dimension and item of every agency. Without the other comparisons there is no
    within-agency Holm value, so these rows have no ``index_diff_holm`` row and the
    comparison agencies' headline ``p_adj`` is empty (their Holm value is in
    :func:`agency_change_rows` and :func:`change_rows`, and in :func:`headline_change_rows`).
    """
    rows = _changes(data, data.responses, outcome_only=True)
    rows = rows.loc[rows["metric"] != change.HOLM_METRIC].reset_index(drop=True)
    _adjust_headline_bh(data, rows)
    outside = _is_headline(rows) & ~rows["agency_id"].astype(str).isin(programme_ids(data))
    rows.loc[outside, "p_adj"] = np.nan
    rows.loc[outside, "p_adj_method"] = ""
    return rows


def agency_change_rows(data: StudyData, agency_id: str, outcome_rows: pd.DataFrame) -> pd.DataFrame:
    """Every change row of one agency: Holm within it, the headline's p_adj from ``outcome_rows``.

    Equal to the agency's rows of :func:`change_rows` (a test asserts it): Holm runs within one
    agency, and a programme agency's headline Benjamini-Hochberg value comes from
    :func:`outcome_change_rows`; a comparison agency keeps its Holm value on the headline.
    """
    responses = data.responses.loc[data.responses["agency_id"] == agency_id]
    rows = _changes(data, responses, outcome_only=False)
    if agency_id in programme_ids(data):
        across = outcome_rows.loc[
            _is_headline(outcome_rows) & (outcome_rows["agency_id"] == agency_id)
        ]
        if len(across):
            headline = _is_headline(rows)
            rows.loc[headline, "p_adj"] = float(across["p_adj"].iloc[0])
            rows.loc[headline, "p_adj_method"] = across["p_adj_method"].iloc[0]
    return rows


def change_rows(data: StudyData) -> pd.DataFrame:
    """Change rows of every agency, the programme agencies' headline adjusted across them (BH).

    Every ``index_diff`` row carries Holm within its agency (``p_adj_method`` ``holm``), the
    outcome's also on its ``index_diff_holm`` row; the programme agencies' outcome
    ``index_diff`` rows then carry Benjamini-Hochberg across the programme agencies (``bh``).
    """
    rows = _changes(data, data.responses, outcome_only=False)
    _adjust_headline_bh(data, rows)
    return rows


def headline_change_rows(data: StudyData) -> pd.DataFrame:
    """:func:`outcome_change_rows` with each comparison agency's headline ``p_adj`` its Holm value.

    What the regional league reads: a programme agency's verdict uses the BH value across the
    programme agencies, a comparison agency's the within-agency Holm value its own impact
    report uses (computed here for the comparison agencies only).
    """
    rows = outcome_change_rows(data).copy()
    programme = set(programme_ids(data))
    for agency_id in rows.loc[_is_headline(rows), "agency_id"].astype(str):
        if agency_id in programme:
            continue
        own = agency_change_rows(data, agency_id, rows)
        holm = own.loc[_is_headline(own)].iloc[0]
        at = _is_headline(rows) & (rows["agency_id"] == agency_id)
        rows.loc[at, "p_adj"] = holm["p_adj"]
        rows.loc[at, "p_adj_method"] = holm["p_adj_method"]
    return rows


def followup_levels(data: StudyData) -> pd.DataFrame:
    """Follow-up levels of every agency (phase ``impact``, wave ``followup``)."""
    return data.levels(data.wave_responses("followup"), PHASE)


def nps_change_rows(data: StudyData, agency_ids: list[str] | None = None) -> pd.DataFrame:
    """``nps_diff`` rows (phase impact, wave empty): follow-up minus baseline NPS per agency.

    :func:`analysis.measures.nps_diff` (two independent samples, Wald interval and p); no
    row when the study has no recommend answers. ``p_adj`` empty (no family).
    """
    column = measures.NPS_CODE
    responses = data.responses
    rows: list[dict] = []
    if column not in responses.columns or responses[column].notna().sum() == 0:
        return pd.DataFrame(columns=list(measures.RESULT_COLUMNS))
    ids = agency_ids or sorted(responses["agency_id"].dropna().astype(str).unique())
    for agency_id in ids:
        agency = responses.loc[responses["agency_id"].astype(str) == agency_id]
        waves = agency["wave"].astype(str)
        before = agency.loc[waves == "baseline", column]
        after = agency.loc[waves == "followup", column]
        if after.notna().sum() == 0:
            continue
        d = measures.nps_diff(before, after, data.min_report_n)
        rows.append(
            {
                "agency_id": agency_id,
                "phase": PHASE,
                "wave": "",
                "scope": "overall",
                "code": column,
                "metric": "nps_diff",
                "estimate": d.estimate,
                "ci_low": d.ci_low,
                "ci_high": d.ci_high,
                "n": d.n,
                "p_value": d.p_value,
                "p_adj": math.nan,
                "p_adj_method": "",
            }
        )
    return pd.DataFrame(rows, columns=list(measures.RESULT_COLUMNS))


def impact_results(data: StudyData) -> pd.DataFrame:
    """The impact rows of ``reports/results.csv``: follow-up levels, changes and NPS changes."""
    parts = [followup_levels(data), change_rows(data), nps_change_rows(data)]
    return pd.concat([part for part in parts if len(part)], ignore_index=True)


def mix_table(baseline: pd.DataFrame, followup: pd.DataFrame, segments: list[str]) -> pd.DataFrame:
    """Share of each segment group in both waves, with a chi-square test per segment.

    Columns ``segment, group, baseline_pct, followup_pct, diff_pp, n_baseline, n_followup,
    p_value`` (the p-value of Pearson's chi-square test of homogeneity of the segment's
    distribution across the two waves, repeated on every row of the segment; unknown
    answers are left out).
    """
    rows = []
    for segment in segments:
        before = baseline[segment].dropna().astype(str)
        after = followup[segment].dropna().astype(str)
        groups = sorted(set(before) | set(after))
        counts = np.array(
            [[int((before == g).sum()) for g in groups], [int((after == g).sum()) for g in groups]]
        )
        p_value = math.nan
        usable = counts[:, counts.sum(axis=0) > 0]
        if usable.shape[1] >= 2 and (usable.sum(axis=1) > 0).all():
            p_value = float(stats.chi2_contingency(usable, correction=False).pvalue)
        for j, group in enumerate(groups):
            n0, n1 = counts[0].sum(), counts[1].sum()
            share0 = counts[0, j] / n0 * 100 if n0 else math.nan
            share1 = counts[1, j] / n1 * 100 if n1 else math.nan
            rows.append(
                {
                    "segment": segment,
                    "group": group,
                    "baseline_pct": share0,
                    "followup_pct": share1,
                    "diff_pp": share1 - share0,
                    "n_baseline": int(n0),
                    "n_followup": int(n1),
                    "p_value": p_value,
                }
            )
    return pd.DataFrame(rows)


class ImpactReport:
    """Everything the impact notebook shows for one agency in one language."""

    def __init__(self, data: StudyData, agency_id: str, lang: str) -> None:
        if lang not in i18n.LANGUAGES:
            raise ValueError(f"unknown report language {lang!r} (expected ar or en)")
        data.agency(agency_id)
        self.data = data
        self.agency_id = agency_id
        self.lang = lang

    # --- numbers -----------------------------------------------------------------------

    @cached_property
    def all_changes(self) -> pd.DataFrame:
        """The outcome's change rows of every agency (BH across agencies on the headline)."""
        return outcome_change_rows(self.data)

    @cached_property
    def changes(self) -> pd.DataFrame:
        """Every change row of this agency, as in ``results.csv``."""
        return agency_change_rows(self.data, self.agency_id, self.all_changes)

    @cached_property
    def levels(self) -> pd.DataFrame:
        """Baseline and follow-up levels of this agency."""
        frame = self.data.responses.loc[self.data.responses["agency_id"] == self.agency_id]
        return self.data.levels(frame, PHASE)

    def before(self) -> pd.DataFrame:
        return self.data.wave_responses("baseline", self.agency_id)

    def after(self) -> pd.DataFrame:
        return self.data.wave_responses("followup", self.agency_id)

    def _change(self, code: str, metric: str = "index_diff") -> pd.Series | None:
        rows = self.changes.loc[(self.changes["code"] == code) & (self.changes["metric"] == metric)]
        return rows.iloc[0] if len(rows) else None

    def _shown(self, code: str) -> tuple[float, float, change.Verdict] | None:
        """The interval shown beside ``code``'s change and its verdict (one rule, methods note).

        :func:`analysis.change.shown_change`: adjusted like the p-value the verdict reads
        (Holm within the agency, BH across the programme agencies for a programme agency's
        headline), and the verdict read from that interval. None when suppressed.
        """
        d, g = self._change(code), self._change(code, "hedges_g")
        if d is None or _missing(d["estimate"]):
            return None
        p_adj = None if _missing(d["p_adj"]) else float(d["p_adj"])
        g_value = math.nan if g is None else float(g["estimate"])
        return change.shown_change(
            float(d["estimate"]), d["ci_low"], d["ci_high"], d["p_value"], p_adj, g_value
        )

    def _level(self, code: str, wave: str, metric: str = "index") -> pd.Series | None:
        rows = self.levels.loc[
            (self.levels["code"] == code)
            & (self.levels["wave"] == wave)
            & (self.levels["metric"] == metric)
        ]
        return rows.iloc[0] if len(rows) else None

    @cached_property
    def headline(self) -> dict:
        """The satisfaction index before and after, its change, g, and the verdict."""
        outcome = self.data.outcome
        diff = self._change(outcome)
        g = self._change(outcome, "hedges_g")
        before, after = self._level(outcome, "baseline"), self._level(outcome, "followup")
        suppressed = diff is None or _missing(diff["estimate"])
        shown = None if suppressed else self._shown(outcome)
        verdict = None if shown is None else shown[2]
        return {
            "shown": shown,
            "diff": diff,
            "g": g,
            "before": before,
            "after": after,
            "suppressed": suppressed,
            "verdict": verdict,
            "n_before": int(self.before()[outcome].notna().sum()),
            "n_after": int(self.after()[outcome].notna().sum()),
        }

    @cached_property
    def is_programme(self) -> bool:
        return str(self.data.agency(self.agency_id)["group"]) == "programme"

    @cached_property
    def comparison_ids(self) -> list[str]:
        agencies = self.data.agencies
        return agencies.loc[agencies["group"] == "comparison", "agency_id"].tolist()

    @cached_property
    def did(self) -> meta.AgencyDidResult | None:
        """This agency's change minus the comparison agencies' (programme agencies only)."""
        if not self.is_programme or len(self.comparison_ids) < 2 or self.headline["suppressed"]:
            return None
        outcome = self.data.outcome
        rows = self.all_changes.loc[
            (self.all_changes["code"] == outcome)
            & (self.all_changes["metric"] == "index_diff")
            & (self.all_changes["agency_id"].isin(self.comparison_ids))
        ]
        diff = self.headline["diff"]
        # Welch SE recovered from the 95% CI (the t interval is symmetric).
        n1, n2 = self.headline["n_before"], self.headline["n_after"]
        se = self._welch_se(outcome, n1, n2)
        return meta.agency_did(float(diff["estimate"]), se, rows["estimate"].astype(float))

    def _welch_se(self, code: str, n1: int, n2: int) -> float:
        a = measures.to_index(
            self.before()[code].dropna(), self.data.scale_min, self.data.scale_max
        )
        b = measures.to_index(self.after()[code].dropna(), self.data.scale_min, self.data.scale_max)
        return float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)))

    @cached_property
    def segment_keys(self) -> list[str]:
        return [k for k in self.data.study.segments if k in self.data.responses.columns]

    @cached_property
    def mix(self) -> pd.DataFrame:
        if not self.segment_keys:
            return pd.DataFrame()
        return mix_table(self.before(), self.after(), self.segment_keys)

    @cached_property
    def reweighted(self) -> dict | None:
        """The change after raking the follow-up to the baseline respondent mix."""
        if not self.segment_keys or self.headline["suppressed"]:
            return None
        return weighting.weighted_index_change(
            self.before(),
            self.after(),
            self.data.outcome,
            self.segment_keys,
            self.data.scale_min,
            self.data.scale_max,
            self.data.min_report_n,
        )

    # --- text helpers ------------------------------------------------------------------

    def _label(self, code: str) -> str:
        if code == self.data.outcome:
            return t("group_overall", self.lang)
        if code in self.data.study.dimensions:
            return self.data.dimension_label(code, self.lang)
        return self.data.item_label(code, self.lang)

    def _fmt(self, x: float, decimals: int = 0, signed: bool = False) -> str:
        return i18n.fmt_num(x, decimals, self.lang, signed=signed)

    def _verdict_words(self, verdict: change.Verdict | None) -> str:
        if verdict is None:
            return i18n.fmt_suppressed(self.lang, self.data.min_report_n)
        key = {
            "improved": "verdict_improved",
            "no clear change": "verdict_no_clear_change",
            "declined": "verdict_declined",
        }[verdict.direction]
        return t(key, self.lang)

    # --- sections ----------------------------------------------------------------------

    def header(self) -> HTML:
        lines = [views.fieldwork_line(self.data, w, self.lang) for w in ("baseline", "followup")]
        return views.report_header(self.data, PHASE, self.lang, self.agency_id, lines)

    def findings(self) -> list[str]:
        """The first screen in plain words: direction, size in points, whether it could be
        chance, uncertain comparisons as ranges in words (issue 16). Every technical value
        (p, g, bracketed intervals) is in the tables and the methods note."""
        lang, h = self.lang, self.headline
        if h["suppressed"]:
            return [self._too_few_sentence()]
        sentences = [self._plain_headline()]
        if min(h["n_before"], h["n_after"]) < config.LOW_PRECISION_N:
            sentences.append(
                t(
                    "impact_low_precision",
                    lang,
                    n_before=h["n_before"],
                    n_after=h["n_after"],
                    low_n=config.LOW_PRECISION_N,
                )
            )
        sentences.append(self._target_sentence(plain=True))
        sentences.append(self._where_sentence(plain=True))
        if self.did is not None and not _missing(self.did.estimate):
            sentences.append(self._plain_did_sentence())
        elif self.is_programme:
            # 0 comparison agencies: none to compare with; 1: too few for a comparison (2+);
            # 2 or more whose changes could not be estimated: say so, not "without".
            count = len(self.comparison_ids)
            key = {0: "impact_no_comparison", 1: "impact_one_comparison"}.get(
                count, "impact_comparison_unavailable"
            )
            sentences.append(t(key, lang))
        mix_sentence = self._mix_sentence(plain=True)
        if mix_sentence:
            sentences.append(mix_sentence)
        return sentences[:5]

    def _too_few_sentence(self) -> str:
        h = self.headline
        return t(
            "impact_too_few",
            self.lang,
            n_before=h["n_before"],
            n_after=h["n_after"],
            min_n=self.data.min_report_n,
        )

    def headline_sentence(self) -> str:
        """The headline change with its corrected interval and p (the change section's lead)."""
        lang, h = self.lang, self.headline
        if h["suppressed"]:
            return self._too_few_sentence()
        d, b, a = h["diff"], h["before"], h["after"]
        key = {
            "improved": "impact_headline_up",
            "declined": "impact_headline_down",
            "no clear change": "impact_headline_flat",
        }[h["verdict"].direction]
        return t(
            key,
            lang,
            before=views.index_phrase(b["estimate"], b["ci_low"], b["ci_high"], lang),
            after=views.index_phrase(a["estimate"], a["ci_low"], a["ci_high"], lang),
            # A change under half a point keeps a decimal: "+0.4 points", not "0 points".
            change=i18n.count_phrase(
                d["estimate"], "point", lang, decimals=int(abs(d["estimate"]) < 0.5), signed=True
            ),
            interval=i18n.fmt_interval(h["shown"][0], h["shown"][1], 0, lang),
            p=i18n.fmt_p(d["p_adj"], lang),
            adjusted=t(
                "adjusted_across_programme"
                if d["p_adj_method"] == "bh"
                else "adjusted_within_agency",
                lang,
            ),
        )

    def effect_size_sentence(self) -> str:
        g = self.headline["g"]
        return t(
            "impact_effect_size",
            self.lang,
            g=self._fmt(g["estimate"], 2, signed=True),
            interval=i18n.fmt_interval(g["ci_low"], g["ci_high"], 2, self.lang),
            size=t(i18n.effect_size_key(g["estimate"]), self.lang),
        )

    def _level_decimals(self) -> int:
        """Whole points for the two levels, unless they would not add up to the change shown
        ("rose by 16, from 55 to 70"): then one decimal (54.8 to 70.3), in every sentence."""
        h = self.headline
        values = (h["before"]["estimate"], h["after"]["estimate"], h["diff"]["estimate"])
        whole = [float(i18n.fmt_num(x, 0)) for x in values]
        return 0 if whole[1] - whole[0] == whole[2] else 1

    def _plain_headline(self) -> str:
        """'Satisfaction rose from 65 to 69 of 100, but the rise is within the margin of
        error: ...' — the verdict's words, from the same corrected interval as the table."""
        lang, h = self.lang, self.headline
        low, high, verdict = h["shown"]
        estimate = h["diff"]["estimate"]
        b, a = float(h["before"]["estimate"]), float(h["after"]["estimate"])
        decimals = self._level_decimals()
        before, after = self._fmt(b, decimals), self._fmt(a, decimals)
        mag = i18n.fmt_magnitude
        if verdict.direction in ("improved", "declined"):
            # A fall's range in words runs from its smaller size to its larger one.
            small, large = sorted((abs(low), abs(high)))
            return t(
                "plain_impact_up" if verdict.direction == "improved" else "plain_impact_down",
                lang,
                change=mag(estimate, lang),
                before=before,
                after=after,
                low=mag(small, lang),
                high=mag(large, lang),
            )
        shown = round(estimate)
        key = (
            "plain_impact_flat_rise"
            if shown > 0
            else "plain_impact_flat_fall"
            if shown < 0
            else "plain_impact_flat_same"
        )
        return t(
            key,
            lang,
            before=before,
            after=after,
            fall=mag(min(low, 0.0), lang),
            rise=mag(max(high, 0.0), lang),
        )

    def _plain_did_sentence(self) -> str:
        """Comparison agencies' change in words, and this agency's difference as a range."""
        lang, did = self.lang, self.did
        mag = i18n.fmt_magnitude
        # An interval wider than the 0-100 scale itself (2 comparison agencies: t with one
        # degree of freedom) says nothing a reader can use: say so, not "from 219 points".
        if did.ci_high - did.ci_low > 100:
            clause = t("plain_did_uninformative", lang)
        elif did.ci_low > 0 or did.ci_high < 0:
            small, large = sorted((abs(did.ci_low), abs(did.ci_high)))
            clause = t(
                "plain_did_more" if did.ci_low > 0 else "plain_did_less",
                lang,
                did=mag(did.estimate, lang),
                low=mag(small, lang),
                high=mag(large, lang),
            )
        else:
            clause = t(
                "plain_did_unclear",
                lang,
                fall=mag(min(did.ci_low, 0.0), lang),
                rise=mag(max(did.ci_high, 0.0), lang),
            )
        shown = round(did.comparison_mean)
        key = (
            "plain_comparison_rose"
            if shown > 0
            else "plain_comparison_fell"
            if shown < 0
            else "plain_comparison_same"
        )
        return t(key, lang, comparison=mag(did.comparison_mean, lang), k=did.k, did=clause)

    def _target_sentence(self, plain: bool = False) -> str:
        """Whether the follow-up index meets the target, and each minimum standard
        (``plain``: the index without its bracketed interval, for the key findings)."""
        lang, a = self.lang, self.headline["after"]
        index = (
            t("of_100", lang, value=self._fmt(a["estimate"], self._level_decimals()))
            if plain
            else views.index_phrase(a["estimate"], a["ci_low"], a["ci_high"], lang)
        )
        text = t(
            "impact_target_followup",
            lang,
            index=index,
            target=views.target_phrase(
                a["estimate"], a["ci_low"], a["ci_high"], self.data.target_index, lang
            ),
        )
        standards = views.standards_sentence(self.data, self.levels, "followup", lang, plain=plain)
        return f"{text} {standards}" if standards else text

    def _dimension_changes(self) -> pd.DataFrame:
        rows = self.changes.loc[
            (self.changes["scope"] == "dimension") & (self.changes["metric"] == "index_diff")
        ]
        return rows.dropna(subset=["estimate"]).set_index("code")

    def _where_sentence(self, plain: bool = False) -> str:
        """The largest change and how many parts of the service changed beyond the margin
        of error (``plain``: in words, without the bracketed interval)."""
        dims = self._dimension_changes()
        if dims.empty:
            return t("impact_where_none", self.lang)
        # "The largest change" is the largest rise where satisfaction rose, the largest fall
        # where it fell, and the largest either way where it did not clearly change.
        verdict = self.headline["verdict"]
        direction = None if verdict is None else verdict.direction
        if direction == "declined":
            best = dims["estimate"].idxmin()
        elif direction == "improved":
            best = dims["estimate"].idxmax()
        else:
            best = dims["estimate"].abs().idxmax()
        shown = {code: self._shown(code) for code in dims.index}
        clear_up = dims.loc[[shown[c] is not None and shown[c][0] > 0 for c in dims.index]]
        clear_down = dims.loc[[shown[c] is not None and shown[c][1] < 0 for c in dims.index]]
        dimension = self.data.dimension_label(best, self.lang)
        change = dims.loc[best, "estimate"]
        names = t("list_separator", self.lang).join(
            self.data.dimension_label(c, self.lang) for c in clear_down.index
        )
        if plain:
            clear_key = (
                "plain_where_clear_none"
                if not len(clear_up)
                else "plain_where_clear_all"
                if len(clear_up) == len(dims)
                else "plain_where_clear"
            )
            clear = t(
                clear_key,
                self.lang,
                clear=len(clear_up),
                total=len(dims),
            )
            key = "plain_where_fall" if round(change) < 0 else "plain_where_rise"
            text = t(
                key,
                self.lang,
                dimension=dimension,
                change=i18n.fmt_magnitude(change, self.lang),
                clear=clear,
            )
            if len(clear_down):
                text += " " + t("plain_where_declines", self.lang, dimensions=names)
            return text
        text = t(
            "impact_where_best" if len(clear_up) else "impact_where_best_none",
            self.lang,
            dimension=dimension,
            change=i18n.count_phrase(change, "point", self.lang, signed=True),
            interval=i18n.fmt_interval(shown[best][0], shown[best][1], 0, self.lang),
            clear=len(clear_up),
            total=len(dims),
        )
        if len(clear_down):
            text += " " + t("impact_where_declines", self.lang, dimensions=names)
        return text

    def _mix_sentence(self, plain: bool = False) -> str | None:
        """Whether the respondent mix changed, and the change reweighted to the baseline mix
        (``plain``: without interval and effective sample size, for the key findings)."""
        mix, rw = self.mix, self.reweighted
        if mix.empty or rw is None or _missing(rw.get("estimate")):
            return None
        shifted = mix.drop_duplicates("segment")
        shifted = shifted.loc[shifted["p_value"] < SIGNIFICANCE]
        if shifted.empty and plain:
            return t("plain_mix_same", self.lang)
        if shifted.empty:
            return t(
                "impact_mix_same",
                self.lang,
                change=self._fmt(rw["estimate"], signed=True),
                interval=i18n.fmt_interval(rw["ci_low"], rw["ci_high"], 0, self.lang),
            )
        names = t("list_separator", self.lang).join(
            segment_label(self.data, s, self.lang) for s in shifted["segment"]
        )
        if plain:
            return t("plain_mix_changed", self.lang, segments=names)
        return t(
            "impact_mix_changed",
            self.lang,
            segments=names,
            change=self._fmt(rw["estimate"], signed=True),
            interval=i18n.fmt_interval(rw["ci_low"], rw["ci_high"], 0, self.lang),
            n_eff=self._fmt(rw["effective_n2"]),
            n=int(rw["n2"]),
        )

    def key_findings(self) -> HTML:
        return findings_html(self.findings(), self.lang)

    def did_change(self) -> list[HTML]:
        """Dumbbell of the satisfaction index and the dimensions, and the change table."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_change", lang)]
        codes = [self.data.outcome, *self.data.dimensions]
        rows = []
        for code in codes:
            b, a, d = (
                self._level(code, "baseline"),
                self._level(code, "followup"),
                self._change(code),
            )
            rows.append(
                {
                    "label": self._label(code),
                    "before": b["estimate"],
                    "before_lo": b["ci_low"],
                    "before_hi": b["ci_high"],
                    "after": a["estimate"],
                    "after_lo": a["ci_low"],
                    "after_hi": a["ci_high"],
                    "significant": bool(
                        d is not None
                        and self._shown(code) is not None
                        and self._shown(code)[2].direction in ("improved", "declined")
                    ),
                    "suppressed": d is None or _missing(d["estimate"]),
                }
            )
        frame = pd.DataFrame(rows)
        if self.headline["suppressed"]:
            parts.append(views.paragraph(self._too_few_sentence()))
            parts.append(self._change_table(codes, "caption_change_dimensions"))
            parts.append(self._detail_table(codes, "caption_detail_dimensions"))
            return parts
        fig = plots.dumbbell(
            frame,
            lang,
            sort=False,
            labels={
                "title": t("chart_dumbbell_title", lang),
                "before": t("wave_baseline", lang),
                "after": t("wave_followup", lang),
                "index": t("axis_index", lang),
                "suppressed": i18n.fmt_suppressed(lang, self.data.min_report_n),
            },
        )
        alt = t(
            "alt_dumbbell",
            lang,
            values=t("list_separator_strong", lang).join(
                f"{r['label']} {self._fmt(r['before'])} → {self._fmt(r['after'])}"
                for r in rows
                if not r["suppressed"]
            )
            or i18n.fmt_suppressed(lang, self.data.min_report_n),
        )
        parts.append(figure_html(fig, alt=alt))
        if not self.headline["suppressed"]:
            technical = (self.headline_sentence(), self.effect_size_sentence())
            parts.append(views.paragraph(" ".join(technical)))
            parts.append(views.paragraph(self._where_sentence()))
        parts.append(self._change_table(codes, "caption_change_dimensions"))
        parts.append(self._detail_table(codes, "caption_detail_dimensions"))
        parts += self.nps_change()
        return parts

    @cached_property
    def nps_row(self) -> pd.Series | None:
        """This agency's ``nps_diff`` row (:func:`nps_change_rows`), None without NPS answers."""
        rows = nps_change_rows(self.data, [self.agency_id])
        return rows.iloc[0] if len(rows) else None

    def nps_change(self) -> list[HTML]:
        """NPS in both waves and its change (one sentence and a small table)."""
        lang, d = self.lang, self.nps_row
        b = self._level(measures.NPS_CODE, "baseline", "nps")
        a = self._level(measures.NPS_CODE, "followup", "nps")
        if d is None or b is None or a is None:
            return []
        if _missing(d["estimate"]):
            return [views.paragraph(t("nps_change_suppressed", lang))]
        sentence = t(
            "nps_change_sentence",
            lang,
            before=self._fmt(b["estimate"]),
            after=self._fmt(a["estimate"]),
            change=self._fmt(d["estimate"], signed=True),
            interval=i18n.fmt_interval(d["ci_low"], d["ci_high"], 0, lang),
            p=i18n.fmt_p(d["p_value"], lang),
        )

        def cell(row: pd.Series, signed: bool = False) -> str:
            return (
                self._fmt(row["estimate"], 1, signed=signed)
                + " "
                + i18n.fmt_interval(row["ci_low"], row["ci_high"], 1, lang)
            )

        table = pd.DataFrame(
            [
                {
                    t("col_item", lang): t("nps_label", lang),
                    t("col_baseline", lang): cell(b),
                    t("col_followup", lang): cell(a),
                    t("col_change_ci", lang): cell(d, signed=True),
                    "p": i18n.fmt_p(d["p_value"], lang),
                }
            ]
        )
        return [
            views.paragraph(sentence),
            table_html(
                table,
                lang,
                caption=t("caption_nps_change", lang),
                number_formats={c: str for c in table.columns[1:]},
                min_report_n=self.data.min_report_n,
            ),
        ]

    def comments(self) -> list[HTML]:
        """Comments of both waves, side by side: masked and escaped (report.comments_html)."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_what_say", lang)]
        columns = []
        for wave, frame in (("baseline", self.before()), ("followup", self.after())):
            written = frame["comment"].dropna() if "comment" in frame.columns else pd.Series()
            written = written[written.astype(str).str.strip() != ""]
            shown = comments_to_show(written, lang=lang)
            heading = t("comments_wave_heading", lang, wave=t(f"wave_{wave}", lang))
            note = t("reading_comments", lang, shown=len(shown), total=len(written))
            columns.append(
                f'<div class="comments-wave"><h3>{_esc(heading)}</h3>'
                f'<p class="reading">{_esc(note)}</p>{comments_html(shown, lang).data}</div>'
            )
        parts.append(HTML('<div class="comments-waves">' + "".join(columns) + "</div>"))
        return parts

    def _change_table(self, codes: list[str], caption_key: str) -> HTML:
        lang = self.lang
        records = []
        for code in codes:
            d = self._change(code)
            b, a = self._level(code, "baseline"), self._level(code, "followup")
            suppressed = d is None or _missing(d["estimate"])
            shown = None if suppressed else self._shown(code)
            verdict = None if shown is None else shown[2]
            records.append(
                {
                    t("col_item", lang): self._label(code),
                    t("col_baseline", lang): b["estimate"],
                    t("col_followup", lang): a["estimate"],
                    t("col_change_adj_ci", lang): np.nan
                    if suppressed
                    else self._fmt(d["estimate"], 1, signed=True)
                    + " "
                    + i18n.fmt_interval(shown[0], shown[1], 1, lang),
                    t("col_p_adj", lang): "" if suppressed else i18n.fmt_p(d["p_adj"], lang),
                    t("col_verdict", lang): "" if suppressed else self._verdict_words(verdict),
                }
            )
        table = pd.DataFrame(records)
        # Cell by cell: a baseline level stays visible when only the follow-up is too small.
        mask = pd.DataFrame(False, index=table.index, columns=table.columns)
        change_gone = table[t("col_change_adj_ci", lang)].isna()
        for key in ("col_change_adj_ci", "col_p_adj", "col_followup"):
            mask[t(key, lang)] = change_gone
        mask[t("col_followup", lang)] |= table[t("col_followup", lang)].isna()
        mask[t("col_baseline", lang)] = table[t("col_baseline", lang)].isna()
        return table_html(
            table,
            lang,
            caption=t(caption_key, lang),
            number_formats={
                t("col_baseline", lang): 1,
                t("col_followup", lang): 1,
                t("col_change_adj_ci", lang): str,
            },
            suppressed_mask=mask,
            min_report_n=self.data.min_report_n,
        )

    def _interval_text(self, row: pd.Series | None, decimals: int) -> float | str:
        """``+0.52 [0.36, 0.67]``; NaN (shown as suppressed) when there is no estimate."""
        if row is None or _missing(row["estimate"]):
            return np.nan
        return (
            self._fmt(row["estimate"], decimals, signed=True)
            + " "
            + i18n.fmt_interval(row["ci_low"], row["ci_high"], decimals, self.lang)
        )

    def _detail_table(self, codes: list[str], caption_key: str) -> HTML:
        """Signed Hedges' g with its CI, Mann-Whitney p and top-2-box change (Newcombe CI).

        The second view of the same comparisons as :meth:`_change_table`, kept apart so that
        neither table is wider than the page. A dimension score has no top-2-box: a dash.
        """
        lang = self.lang
        records, gone = [], []
        for code in codes:
            g = self._change(code, "hedges_g")
            mwu = self._change(code, "mwu")
            top2 = self._change(code, "top2box_diff")
            suppressed = g is None or _missing(g["estimate"])
            gone.append(suppressed)
            records.append(
                {
                    t("col_item", lang): self._label(code),
                    t("col_g_ci", lang): self._interval_text(g, 2),
                    t("col_mwu_p", lang): np.nan
                    if suppressed or mwu is None
                    else i18n.fmt_p(mwu["p_value"]),
                    t("col_top2box_diff", lang): (
                        self._interval_text(top2, 1) if top2 is not None else i18n.MISSING
                    ),
                }
            )
        table = pd.DataFrame(records)
        mask = pd.DataFrame(False, index=table.index, columns=table.columns)
        for key in ("col_g_ci", "col_mwu_p", "col_top2box_diff"):
            mask[t(key, lang)] = gone
        return table_html(
            table,
            lang,
            caption=t(caption_key, lang),
            number_formats={
                t("col_g_ci", lang): str,
                t("col_mwu_p", lang): str,
                t("col_top2box_diff", lang): str,
            },
            suppressed_mask=mask,
            min_report_n=self.data.min_report_n,
        )

    @cached_property
    def driver_importance(self) -> pd.Series:
        """Baseline LMG share (%) of each dimension in overall satisfaction, by code.

        The key drivers of the baseline report (:mod:`analysis.drivers`), so that both
        reports rank the parts of the service alike.
        """
        from analysis.baseline import BaselineReport

        shares = BaselineReport(self.data, self.agency_id, self.lang).importance
        return shares.set_index("predictor")["share_pct"]

    def driver_changes(self) -> list[HTML]:
        """The change of each driver (dimension) with its interval, most important first."""
        lang = self.lang
        if self.headline["suppressed"]:
            return []
        records = []
        for code in self.data.dimensions:
            d = self._change(code)
            share = self.driver_importance.get(code, np.nan)
            label = self.data.dimension_label(code, self.lang)
            if not _missing(share):
                label += f" ({i18n.fmt_num(share, 0, lang)}%)"
            records.append(
                {
                    "segment": t("driver_rows_heading", lang),
                    "group": label,
                    "estimate": np.nan if d is None else d["estimate"],
                    "ci_low": np.nan if d is None else d["ci_low"],
                    "ci_high": np.nan if d is None else d["ci_high"],
                    "share": share,
                }
            )
        frame = pd.DataFrame(records).sort_values("share", ascending=False, kind="stable")
        fig = plots.segment_gaps(
            frame.drop(columns="share"),
            lang,
            overall=0.0,
            labels={
                "title": t("chart_driver_change_title", lang),
                "index": t("axis_change", lang),
                "overall": t("label_no_change", lang),
                "suppressed": i18n.fmt_suppressed(lang, self.data.min_report_n),
            },
        )
        alt = t(
            "alt_driver_change",
            lang,
            values=t("list_separator_strong", lang).join(
                f"{r['group']}: {self._fmt(r['estimate'], signed=True)}"
                for _, r in frame.iterrows()
                if not _missing(r["estimate"])
            ),
        )
        return [figure_html(fig, alt=alt), views.paragraph(t("driver_change_note", lang))]

    def where_change(self) -> list[HTML]:
        """The change of each driver, Likert bars before and after, and the item tables."""
        lang, data = self.lang, self.data
        parts: list[HTML] = [views.section("q_change_where", lang)]
        parts += self.driver_changes()
        items = [i for dim in data.study.dimensions.values() for i in dim.items]
        codes = list(range(data.scale_min, data.scale_max + 1))

        def dist(frame: pd.DataFrame) -> pd.DataFrame:
            out = likert_distribution(frame, items, data.scale_min, data.scale_max)
            out["label"] = [self.data.item_label(c, self.lang) for c in out["code"]]
            out["suppressed"] = out["n"] < data.min_report_n
            return out[["label", "suppressed", *codes]]

        scale_labels = {c: data.text(lbl, lang) for c, lbl in data.study.scale.labels.items()}
        fig = plots.likert_before_after(
            dist(self.before()),
            dist(self.after()),
            lang,
            scale_labels=scale_labels,
            labels={
                "title": t("chart_likert_change_title", lang),
                "before": t("wave_baseline", lang),
                "after": t("wave_followup", lang),
                "percent": t("axis_percent", lang),
                "suppressed": i18n.fmt_suppressed(lang, data.min_report_n),
            },
        )
        parts.append(figure_html(fig, alt=t("alt_likert_change", lang)))
        parts.append(self._change_table(items, "caption_change_items"))
        parts.append(self._detail_table(items, "caption_detail_items"))
        return parts

    def composition(self) -> list[HTML]:
        """Did the respondent mix change, and the change after reweighting."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_mix", lang)]
        mix = self.mix
        if mix.empty:
            parts.append(views.paragraph(t("finding_no_segments", lang)))
            return parts
        sentence = self._mix_sentence()
        if sentence:
            parts.append(views.paragraph(sentence))
        table = pd.DataFrame(
            {
                t("col_segment", lang): [segment_label(self.data, s, lang) for s in mix["segment"]],
                t("col_group", lang): [
                    segment_value_label(self.data, s, g, lang)
                    for s, g in zip(mix["segment"], mix["group"], strict=True)
                ],
                t("col_share_baseline", lang): mix["baseline_pct"].to_numpy(),
                t("col_share_followup", lang): mix["followup_pct"].to_numpy(),
                t("col_diff_pp", lang): [i18n.fmt_difference(v, 1) for v in mix["diff_pp"]],
                # One chi-square test per segment: its p on the segment's first row only.
                t("col_p", lang): [
                    ""
                    if i and seg == prev
                    else (i18n.fmt_p(p) if not _missing(p) else i18n.MISSING)
                    for i, (seg, prev, p) in enumerate(
                        zip(
                            mix["segment"],
                            [None, *mix["segment"].iloc[:-1]],
                            mix["p_value"],
                            strict=True,
                        )
                    )
                ],
            }
        )
        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_mix", lang),
                number_formats={
                    t("col_share_baseline", lang): 1,
                    t("col_share_followup", lang): 1,
                    t("col_diff_pp", lang): str,
                },
            )
        )
        dropped = (self.reweighted or {}).get("dropped_categories") or []
        if dropped:
            parts.append(
                views.paragraph(t("impact_mix_dropped", lang, groups=self._groups(dropped)))
            )
        return parts

    def _groups(self, dropped: list[str]) -> str:
        """``"age_band=(missing)"`` -> "Age band: not stated", in the report's language."""
        names = []
        for entry in dropped:
            segment, _, value = entry.partition("=")
            shown = (
                t("segment_not_stated", self.lang)
                if value == weighting.MISSING_CATEGORY
                else segment_value_label(self.data, segment, value, self.lang)
            )
            names.append(f"{segment_label(self.data, segment, self.lang)}: {shown}")
        return t("list_separator", self.lang).join(names)

    def against_comparison(self) -> list[HTML]:
        """This agency's change against the comparison agencies' changes."""
        lang = self.lang
        if not self.comparison_ids:
            return [
                views.section("q_against_comparison", lang),
                views.paragraph(t("methods_causal", lang)),
            ]
        parts: list[HTML] = [views.section("q_against_comparison", lang)]
        rows = self.all_changes.loc[
            (self.all_changes["code"] == self.data.outcome)
            & (self.all_changes["metric"] == "index_diff")
        ].merge(self.data.agencies[["agency_id", "group"]], on="agency_id")
        rows = rows.assign(
            label=[self.data.agency_name(a, lang) for a in rows["agency_id"]],
            suppressed=rows["estimate"].isna(),
        )
        fig = plots.league(
            rows[["agency_id", "label", "estimate", "ci_low", "ci_high", "group", "suppressed"]],
            lang,
            target=None,
            highlight=self.agency_id,
            labels={
                "title": t("chart_change_league_title", lang),
                "index": t("axis_change", lang),
                "programme": t("group_programme", lang),
                "comparison": t("group_comparison", lang),
                "suppressed": i18n.fmt_suppressed(lang, self.data.min_report_n),
            },
        )
        parts.append(figure_html(fig, alt=t("alt_change_league", lang)))
        if self.did is not None and not _missing(self.did.estimate):
            parts.append(
                views.paragraph(
                    t(
                        "reading_did",
                        lang,
                        did=self._fmt(self.did.estimate, 1, signed=True),
                        interval=i18n.fmt_interval(self.did.ci_low, self.did.ci_high, 1, lang),
                        k=self.did.k,
                    )
                )
            )
        elif not self.is_programme:
            parts.append(views.paragraph(t("reading_is_comparison", lang)))
        return parts

    # --- what should be done next ----------------------------------------------------

    @cached_property
    def last_dimension(self) -> str | None:
        """The study's listen-apologise-solve-thank dimension: code ``LAST`` or a label with "LAST".

        None when the study has none (the next steps then coach the weakest items of the
        weakest driver instead, and say so).
        """
        for code, dim in self.data.study.dimensions.items():
            labels = " ".join(self.data.text(dim.label, lang) for lang in i18n.LANGUAGES)
            if code.upper() == "LAST" or "LAST" in labels.split() or "(LAST)" in labels:
                return code
        return None

    @cached_property
    def weakest_drivers(self) -> pd.DataFrame:
        """Key drivers to work on first: importance (baseline LMG) x follow-up performance.

        :func:`analysis.drivers.importance_performance` on the baseline shares of the driver
        table and the follow-up dimension indices; the ``concentrate_here`` quadrant
        (:func:`analysis.drivers.priorities`, most important first, at most two). When no
        dimension is both more important and less well rated than average, the lowest-rated
        dimension at follow-up. Columns ``dimension``, ``importance``, ``performance``.
        """
        shares = self.driver_importance.dropna()
        performance = []
        for code in self.data.dimensions:
            level = self._level(code, "followup")
            if level is not None and not _missing(level["estimate"]):
                performance.append({"code": code, "estimate": float(level["estimate"])})
        if shares.empty or not performance:
            return pd.DataFrame(columns=["dimension", "importance", "performance"])
        importance = pd.DataFrame({"predictor": shares.index, "share_pct": shares.to_numpy()})
        matrix = drivers.importance_performance(importance, pd.DataFrame(performance))
        chosen = drivers.priorities(matrix, top=2)
        if chosen.empty:
            known = matrix.dropna(subset=["importance", "performance"])
            chosen = known.sort_values("performance", kind="stable").head(1)
        return chosen[["dimension", "importance", "performance"]].reset_index(drop=True)

    def _item_rows(self, codes: list[str]) -> pd.DataFrame:
        """Follow-up index and change of ``codes`` (suppressed items left out), lowest first."""
        rows = []
        for code in codes:
            level, d = self._level(code, "followup"), self._change(code)
            if level is None or _missing(level["estimate"]):
                continue
            change_value = np.nan if d is None or _missing(d["estimate"]) else d["estimate"]
            rows.append({"code": code, "after": float(level["estimate"]), "change": change_value})
        frame = pd.DataFrame(rows, columns=["code", "after", "change"])
        return frame.sort_values("after", kind="stable").reset_index(drop=True)

    def _change_words(self, value: float, code: str) -> str:
        """'+4 points since the baseline' only where the change is beyond the margin of
        error (its shown interval excludes zero); otherwise it says there is no clear change,
        so that a recommendation never presents noise as a gain (issue 16)."""
        if _missing(value):
            return i18n.MISSING
        shown = self._shown(code)
        if shown is None or shown[2].direction == "no clear change":
            return t("next_change_unclear", self.lang)
        return t("next_change_clear", self.lang, change=self._fmt(value, signed=True))

    def _item_text(self, code: str) -> str:
        """A question quoted in a sentence, without its own full stop («…» not «….»)."""
        return self.data.item_label(code, self.lang).rstrip(".").rstrip("،").rstrip()

    def next_step_sentences(self) -> list[str]:
        """3-5 plain actions from the results: weakest drivers, LAST behaviours, target, re-measure.

        1. each weakest key driver (:attr:`weakest_drivers`) with its weight in overall
           satisfaction, its follow-up index and its change;
        2. the weakest LAST behaviour (item of :attr:`last_dimension`) to coach, and the
           strongest to keep; a study without a LAST dimension coaches the weakest item of
           the first weak driver and says that the study has no LAST items;
        3. the distance to the target (or that it is met);
        4. measuring again with the same questionnaire.
        """
        lang, data = self.lang, self.data
        if self.headline["suppressed"]:
            # Nothing to act on yet: the one step is a follow-up large enough to report.
            n_after = self.headline["n_after"]
            return [t("next_remeasure_more", lang, low_n=config.LOW_PRECISION_N, n=n_after)]
        out: list[str] = []
        for i, (_, row) in enumerate(self.weakest_drivers.iterrows()):
            code = row["dimension"]
            d = self._change(code)
            out.append(
                t(
                    "next_driver" if i == 0 else "next_driver_then",
                    lang,
                    dimension=data.dimension_label(code, lang),
                    share=i18n.fmt_num(row["importance"], 0, lang),
                    after=i18n.fmt_num(row["performance"], 0, lang),
                    change=self._change_words(np.nan if d is None else d["estimate"], code),
                )
            )
        last = self.last_dimension
        if last is not None:
            items = self._item_rows(data.dimensions[last])
            if len(items):
                weak = items.iloc[0]
                out.append(
                    t(
                        "next_last_coach",
                        lang,
                        item=self._item_text(weak["code"]),
                        after=i18n.fmt_num(weak["after"], 0, lang),
                        change=self._change_words(weak["change"], weak["code"]),
                    )
                )
            strong = items.iloc[-1] if len(items) > 1 else None
            shown = None if strong is None else self._shown(strong["code"])
            if shown is not None and shown[2].direction == "declined":
                strong = None  # "keep up" an item that clearly fell would be wrong advice
            if strong is not None:
                out.append(
                    t(
                        "next_last_keep",
                        lang,
                        item=self._item_text(strong["code"]),
                        after=i18n.fmt_num(strong["after"], 0, lang),
                    )
                )
        elif len(self.weakest_drivers):
            code = self.weakest_drivers.iloc[0]["dimension"]
            items = self._item_rows(data.dimensions[code])
            if len(items):
                weak = items.iloc[0]
                out.append(
                    t(
                        "next_no_last",
                        lang,
                        item=self._item_text(weak["code"]),
                        after=i18n.fmt_num(weak["after"], 0, lang),
                    )
                )
        a = self.headline["after"]
        if a is not None and not _missing(a["estimate"]):
            gap = data.target_index - float(a["estimate"])
            # The target by the interval, the rule of every report (views.threshold_status).
            status = views.threshold_status(a["ci_low"], a["ci_high"], data.target_index)
            key = {
                "met": "next_target_met",
                "margin": "next_target_margin",
                "below": "next_target_gap",
            }.get(status)
            if key is not None:
                out.append(
                    t(
                        key,
                        lang,
                        after=i18n.fmt_num(a["estimate"], self._level_decimals(), lang),
                        target=i18n.fmt_num(data.target_index, 0, lang),
                        gap=i18n.count_phrase(gap, "point", lang),
                    )
                )
        n_after = self.headline["n_after"]
        if n_after < config.LOW_PRECISION_N:
            out.append(t("next_remeasure_more", lang, low_n=config.LOW_PRECISION_N, n=n_after))
        else:
            out.append(t("next_remeasure", lang, n=n_after))
        return out[:5] if len(out) > 5 else out

    def next_steps(self) -> list[HTML]:
        """The "What should be done next?" section (before the methods note)."""
        sentences = self.next_step_sentences()
        items = "".join(f"<li>{_esc(s)}</li>" for s in sentences)
        return [
            views.section("q_next_steps", self.lang),
            HTML(f'<ul class="next-steps">{items}</ul>'),
        ]

    def methods(self) -> list[HTML]:
        """Comments of both waves, the next steps and the methods note.

        The notebook's methods cell shows all three, so "What should be done next?" closes
        the report's reading, right before the methods note.
        """
        return self.comments() + self.next_steps() + self._methods_note()

    def _methods_note(self) -> list[HTML]:
        keys = [
            "methods_index",
            "methods_change",
            "methods_impact_adjust" if self.is_programme else "methods_impact_adjust_comparison",
            "methods_interval_change",
            "methods_mix",
            "methods_did",
        ]
        if not self.comparison_ids:
            keys.append("methods_causal")
        return views.methods_note(self.data, self.lang, self.agency_id, keys)

    def footer(self, params: dict) -> HTML:
        return views.footer(self.data, self.lang, params)
