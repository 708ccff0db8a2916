"""The regional forum report: its numbers against references and the planted truth, its
results rows, and the rendered HTML of both languages (end to end and in a browser)."""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from report_checks import assert_stakeholder_html
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from analysis import change, i18n, impact, regional
from analysis.measures import RESULT_COLUMNS
from analysis.regional import RegionalReport
from analysis.report import check_self_contained


def _truth(data) -> dict:
    return json.loads((data.study_dir / "truth.json").read_text(encoding="utf-8"))


# --- recovery of the planted effects on the demo study -------------------------------------


def test_when_the_demo_study_is_pooled_then_the_planted_programme_effect_is_in_the_ci(demo_data):
    truth = _truth(demo_data)["programme_effect"]
    pooled = regional.regional_numbers(demo_data).pooled
    assert pooled.k == len(truth["reportable_agencies"]) == 23
    assert pooled.ci_low <= truth["mean_g_reportable"] <= pooled.ci_high
    assert pooled.ci_low > 0  # the planted effect (g about 0.25) is detectable with 23 agencies


def test_when_the_demo_study_is_compared_then_the_did_interval_covers_the_planted_did(demo_data):
    truth = _truth(demo_data)["did_outcome_index"]["reportable"]
    summary = regional.regional_numbers(demo_data).did
    did = summary.result
    assert did.k_programme == 23 and did.k_comparison == 6
    assert did.ci_low <= truth <= did.ci_high
    assert did.ci_low > 0  # the planted ~6-point effect is detected with 6 comparison agencies
    # Every one of the C(29, 6) relabellings was enumerated for the randomisation test.
    assert did.enumerated and did.relabellings == 475020 and did.p_randomisation < 0.05
    # The sensitivity fit is the respondent-level model with agency fixed effects.
    assert summary.sensitivity.agency_effects and summary.sensitivity.n == summary.answers


def test_when_the_did_is_estimated_then_it_is_the_unweighted_mean_of_agency_changes(demo_data):
    # DESIGN.md section 4: programme agencies' mean change minus comparison agencies' mean
    # change, agencies weighted equally, suppressed agencies left out; Welch on the changes.
    numbers = regional.regional_numbers(demo_data)
    kept = numbers.league.loc[~numbers.league["suppressed"]]
    programme = kept.loc[kept["group"] == "programme", "change"]
    comparison = kept.loc[kept["group"] == "comparison", "change"]
    did = numbers.did.result
    assert did.estimate == pytest.approx(programme.mean() - comparison.mean(), rel=1e-12)
    welch = stats.ttest_ind(programme, comparison, equal_var=False)
    ci = welch.confidence_interval()
    assert (did.ci_low, did.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert did.p_value == pytest.approx(welch.pvalue, rel=1e-12)
    rows = regional.regional_results(demo_data).set_index(["agency_id", "metric"])
    row = rows.loc[("ALL", "did")]
    assert row["estimate"] == pytest.approx(did.estimate, rel=1e-12)
    assert row["n"] == 29 and row["p_value"] == pytest.approx(did.p_value)
    assert rows.loc[("ALL", "did_randomisation"), "p_value"] == did.p_randomisation
    assert pd.isna(rows.loc[("ALL", "did_randomisation"), "ci_low"])
    fe = numbers.did.sensitivity
    assert rows.loc[("ALL", "did_fe"), "estimate"] == pytest.approx(fe.estimate)
    assert rows.loc[("ALL", "did_fe"), "n"] == fe.n


def test_when_change_is_regressed_on_coverage_then_the_slope_has_the_planted_sign(demo_data):
    truth = _truth(demo_data)["dose_response"]
    dose = regional.regional_numbers(demo_data).dose.result
    assert truth["slope_reportable"] > 0
    assert dose.slope > 0 and dose.ci_low > 0
    assert dose.ci_low <= truth["slope_reportable"] <= dose.ci_high


def test_when_an_agency_has_a_tiny_followup_then_it_is_suppressed_not_ranked(demo_data):
    tiny = _truth(demo_data)["tiny_followup_agency"]
    numbers = regional.regional_numbers(demo_data)
    row = numbers.league.set_index("agency_id").loc[tiny]
    assert row["suppressed"] and pd.isna(row["rank"]) and row["n_followup"] < 10
    assert tiny not in numbers.pooled.weights.index
    results = regional.regional_results(demo_data)
    rank = results.loc[(results["agency_id"] == tiny) & (results["metric"] == "rank")].iloc[0]
    assert pd.isna(rank["estimate"]) and rank["n"] == row["n_followup"]
    findings = " ".join(RegionalReport(demo_data, "en").findings())
    assert demo_data.agency_name(tiny, "en") in findings


# --- the computations against references ---------------------------------------------------


def test_when_g_variance_is_taken_then_it_is_the_design_formula_by_hand(small_data):
    league = regional.regional_numbers(small_data).league.set_index("agency_id")
    agency = league.index[0]
    index = (small_data.responses[small_data.outcome] - 1) / 4 * 100
    mine = small_data.responses["agency_id"] == agency
    before = index[mine & (small_data.responses["wave"] == "baseline")].dropna()
    after = index[mine & (small_data.responses["wave"] == "followup")].dropna()
    n1, n2 = len(before), len(after)
    pooled_sd = math.sqrt(((n1 - 1) * before.var() + (n2 - 1) * after.var()) / (n1 + n2 - 2))
    d = (after.mean() - before.mean()) / pooled_sd
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    assert league.loc[agency, "g"] == pytest.approx(j * d, rel=1e-9)
    variance = j**2 * ((n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2)))
    assert league.loc[agency, "g_var"] == pytest.approx(variance, rel=1e-9)


def test_when_agencies_are_pooled_then_the_result_equals_statsmodels_combine_effects(demo_data):
    numbers = regional.regional_numbers(demo_data)
    pooled_rows = numbers.league.loc[
        (numbers.league["group"] == "programme") & ~numbers.league["suppressed"]
    ]
    reference = combine_effects(
        pooled_rows["g"].to_numpy(), pooled_rows["g_var"].to_numpy(), method_re="dl"
    )
    assert reference.tau2 > 0  # so the DL result is statsmodels' random-effects one
    results = regional.regional_results(demo_data).set_index(["agency_id", "metric"])
    assert results.loc[("ALL", "pooled_g"), "estimate"] == pytest.approx(reference.mean_effect_re)
    assert results.loc[("ALL", "tau2"), "estimate"] == pytest.approx(reference.tau2)
    assert results.loc[("ALL", "i2"), "estimate"] == pytest.approx(reference.i2 * 100)
    ci = reference.conf_int(use_t=False)[1]  # row 1 = random effects
    assert results.loc[("ALL", "pooled_g"), "ci_low"] == pytest.approx(ci[0])


def test_when_changes_are_compared_across_agencies_then_p_adj_is_bh_over_programme_only(
    demo_data,
):
    league = regional.regional_numbers(demo_data).league
    reported = league.loc[~league["suppressed"]]
    programme = reported.loc[reported["group"] == "programme"]
    expected = multipletests(programme["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(programme["p_adj"], expected, rtol=1e-12)
    assert set(programme["p_adj_method"]) == {"bh"}
    # A comparison agency is the control: its reading uses its own within-agency Holm value,
    # the one its impact report uses, not a place in the programme agencies' BH family.
    comparison = reported.loc[reported["group"] == "comparison"].set_index("agency_id")
    assert set(comparison["p_adj_method"]) == {"holm"}
    outcome_rows = impact.outcome_change_rows(demo_data)
    for agency_id, row in comparison.iterrows():
        own = impact.agency_change_rows(demo_data, agency_id, outcome_rows)
        holm = own.loc[own["metric"] == change.HOLM_METRIC].iloc[0]
        assert row["p_adj"] == pytest.approx(holm["p_adj"], rel=1e-12)
        assert (
            row["direction"]
            == change.verdict(
                row["change_low"], row["change_high"], row["g"], holm["p_adj"]
            ).direction
        )


def test_when_the_did_is_read_then_the_words_never_disagree_with_its_interval():
    from analysis.meta import AgencyLevelDidResult

    def result(low: float, high: float, p_randomisation: float, enumerated: bool = True):
        return AgencyLevelDidResult(
            (low + high) / 2, 1.0, 10.0, 2.0, low, high, 0.04, p_randomisation,
            100, enumerated, 5.0, 1.0, 3.0, 3.0, 20, 6,
        )  # fmt: skip

    assert regional.did_reading(result(1.0, 9.0, 0.01)) == "up"
    assert regional.did_reading(result(-9.0, -1.0, 0.01)) == "down"
    assert regional.did_reading(result(-1.0, 9.0, 0.01)) == "unclear"
    assert regional.did_reading(result(1.0, 9.0, 0.20)) == "not_confirmed"
    assert regional.did_reading(result(1.0, 9.0, float("nan"), enumerated=False)) == "up"
    for low, high in [(1.0, 9.0), (-9.0, -1.0), (-1.0, 9.0), (-9.0, 1.0)]:
        for p in (0.01, 0.2):
            reading = regional.did_reading(result(low, high, p))
            excludes_zero = low > 0 or high < 0
            assert (reading in ("up", "down", "not_confirmed")) == excludes_zero
            assert reading != "up" or low > 0
            assert reading != "down" or high < 0


def test_when_ranks_are_simulated_then_intervals_hold_the_rank_and_repeat(small_data):
    league = regional.regional_numbers(small_data).league
    ranked = league.loc[league["rank"].notna()]
    assert ranked["rank"].tolist() == sorted(ranked["rank"].tolist())
    assert ranked["followup"].is_monotonic_decreasing
    assert ((ranked["rank_low"] <= ranked["rank"]) & (ranked["rank"] <= ranked["rank_high"])).all()
    again = regional.build_league(
        small_data,
        regional.regional_numbers(small_data).changes,
        regional.intervention_coverage(small_data),
    )
    pd.testing.assert_frame_equal(league, again)


def test_when_dimension_changes_are_tabled_then_they_equal_welch_estimates(small_data):
    dims = regional.regional_numbers(small_data).dimensions
    agency, code = dims.stack().dropna().index[-1]
    members = small_data.dimensions[code]
    rows = small_data.responses.loc[small_data.responses["agency_id"] == agency]
    from analysis.measures import respondent_dimension_scores

    scores = respondent_dimension_scores(rows, {code: members})[code]
    expected = change.index_change(
        scores[rows["wave"] == "baseline"],
        scores[rows["wave"] == "followup"],
        small_data.scale_min,
        small_data.scale_max,
    )["estimate"]
    assert dims.loc[agency, code] == pytest.approx(expected, abs=1e-9)


def test_when_fewer_than_two_comparison_agencies_then_no_did_and_the_report_says_so(small_data):
    assert (small_data.agencies["group"] == "comparison").sum() == 1
    numbers = regional.regional_numbers(small_data)
    assert numbers.did is None
    results = regional.regional_results(small_data).set_index(["agency_id", "metric"])
    for metric in ("did", "did_randomisation", "did_fe"):
        assert pd.isna(results.loc[("ALL", metric), "estimate"])
        assert pd.isna(results.loc[("ALL", metric), "ci_low"])
    assert any("cannot be attributed" in s for s in RegionalReport(small_data, "en").findings())


def test_when_no_agency_improves_then_no_best_practice_is_singled_out(small_data):
    league = regional.regional_numbers(small_data).league.assign(direction="no clear change")
    assert regional.best_improvers(league).empty


def test_when_results_rows_are_written_then_all_rows_follow_the_contract(small_data):
    rows = regional.regional_results(small_data)
    overall = rows.loc[rows["agency_id"] == "ALL"]
    assert {"pooled_g", "i2", "tau2", "did", "did_randomisation", "did_fe"} <= set(
        overall["metric"]
    )
    assert list(rows.columns) == list(RESULT_COLUMNS)
    assert rows["p_adj"].isna().all() and (rows["p_adj_method"] == "").all()
    assert (rows["phase"] == "regional").all()
    assert (overall["code"] == small_data.outcome).all()
    assert set(rows.loc[rows["agency_id"] != "ALL", "agency_id"]) == set(
        small_data.agencies["agency_id"]
    )


def test_when_the_study_changes_then_the_numbers_are_recomputed(small_data):
    first = regional.regional_numbers(small_data)
    assert regional.regional_numbers(small_data) is first  # cached for the same study
    other = replace(small_data)
    assert regional.regional_numbers(other) is not first


# --- end to end: the runner builds both languages -----------------------------------------------


@pytest.fixture(scope="module")
def built_regional(small_study, tmp_path_factory):
    from analysis.build import build

    reports = tmp_path_factory.mktemp("regional-reports")
    status = build(small_study, reports, jobs=2, phases=["regional"])
    return status, reports


def test_when_the_regional_report_is_built_then_both_languages_and_the_rows_exist(
    built_regional,
):
    status, reports = built_regional
    assert status == 0
    for lang in ("ar", "en"):
        assert (reports / f"regional.{lang}.html").exists()
    results = pd.read_csv(reports / "results.csv", encoding="utf-8-sig", dtype={"agency_id": str})
    overall = results.loc[results["agency_id"] == "ALL"]
    assert {"pooled_g", "i2", "tau2", "did"} <= set(overall["metric"])
    assert set(results["phase"]) == {"regional"}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_regional_report_is_opened_then_it_is_self_contained_and_accessible(
    built_regional, lang
):
    _, reports = built_regional
    page = (reports / f"regional.{lang}.html").read_text(encoding="utf-8")
    images = assert_stakeholder_html(page, lang)
    assert len(images) >= 4
    assert "<caption>" in page and '<th scope="col"' in page


def test_when_the_pooled_effect_is_read_then_it_equals_the_results_table(built_regional):
    _, reports = built_regional
    results = pd.read_csv(reports / "results.csv", encoding="utf-8-sig", dtype={"agency_id": str})
    row = results.loc[(results["agency_id"] == "ALL") & (results["metric"] == "pooled_g")].iloc[0]
    page = html.unescape((reports / "regional.en.html").read_text(encoding="utf-8"))
    found = re.search(
        r"pooled effect is g = \u2066?\+?(-?[\d.]+)\u2069? \u2066?\[(-?[\d.]+),\s(-?[\d.]+)\]",
        page,
    )
    assert found, "pooled-effect sentence missing"
    shown = [float(x) for x in found.groups()]
    expected = [row["estimate"], row["ci_low"], row["ci_high"]]
    assert shown == [math.floor(x * 100 + 0.5) / 100 for x in expected]


def test_when_the_portal_is_written_then_it_links_the_regional_reports_and_shows_the_league(
    built_regional, small_data
):
    _, reports = built_regional
    portal = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="regional.en.html"' in portal and 'href="regional.ar.html"' in portal
    assert "League table" in portal and 'class="league"' in portal
    for name in small_data.agencies["name_ar"]:
        assert html.escape(name) in portal
    assert check_self_contained(portal) == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_built_regional_report_opens_then_it_renders_and_passes_axe(
    built_regional, lang, tmp_path
):
    # Imported here: test_browser skips itself (at import) when Chromium or axe-core is missing.
    from test_browser import probe_built_report

    _, reports = built_regional
    result = probe_built_report(reports / f"regional.{lang}.html", tmp_path)
    assert result["misplacedSigns"] == [], "sign drawn right of its number in right-to-left text"
    assert result["direction"] == ("rtl" if lang == "ar" else "ltr")
    assert result["images"] >= 4 and result["imagesLoaded"]
    assert 3 <= result["findings"] <= 5


def test_when_the_demo_did_is_written_then_it_names_welch_the_randomisation_and_what_it_covers(
    demo_data,
):
    report = RegionalReport(demo_data, "en")
    did = regional.regional_numbers(demo_data).did.result
    sentence = report.did_sentence()
    assert "23 programme agencies" in sentence and "6 comparison agencies" in sentence
    assert f"(Welch, {i18n.fmt_p(did.p_value)})" in sentence
    assert "475,020 ways of labelling" in sentence
    # Welch and the randomisation test exclude zero but the respondent-level check does not
    # (+6.6 [-1.2, 12.2] in the demo): the sentence says so instead of a plain "improved more".
    sensitivity = regional.regional_numbers(demo_data).did.sensitivity
    assert sensitivity.ci_low < 0 < sensitivity.ci_high
    assert sentence.endswith("read the difference with caution.")
    assert "improved more than the comparison agencies" not in sentence
    methods = html.unescape(" ".join(part.data for part in report.methods()))
    assert "average effect over agencies like these" in methods
    assert "rank interval covers that agency's true rank" in methods
    assert "comparison agencies are the control" in methods
    table = " ".join(part.data for part in report.did_section())
    assert "agency fixed effects" in table and "randomisation test" in table


def test_when_the_study_sets_minimum_standards_then_the_portal_lists_agencies_below_them(
    small_data, tmp_path
):
    from dataclasses import replace

    from analysis.portal import portal_html
    from analysis.regional import below_standard

    dimension = next(iter(small_data.study.dimensions))
    thresholds = small_data.study.thresholds.model_copy(update={"standards": {dimension: 99}})
    study = small_data.study.model_copy(update={"thresholds": thresholds})
    data = replace(small_data, study=study)
    below = below_standard(data)
    assert not below.empty  # 99 of 100 is out of every agency's reach
    page = portal_html(data, tmp_path)
    assert page.count('class="below-standard"') == len(study.languages)
    for agency_id in below["agency_id"].unique():
        assert html.escape(data.agency_name(agency_id, "en")) in page
