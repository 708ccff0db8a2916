"""The impact report: recovery of planted changes, its sentences and the rendered HTML."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from report_checks import assert_stakeholder_html
from statsmodels.stats.multitest import multipletests

from analysis.change import HOLM_METRIC, adjusted_interval
from analysis.impact import (
    ImpactReport,
    agency_change_rows,
    change_rows,
    impact_results,
    outcome_change_rows,
)

SEEDS = (101, 102, 103)


def _html(displayables) -> str:
    if not isinstance(displayables, list):
        displayables = [displayables]
    return "".join(d.data for d in displayables)


@pytest.fixture(scope="module")
def seeded_studies(tmp_path_factory) -> list[tuple[dict, pd.DataFrame]]:
    """Three simulated 30-agency studies: (truth, every change row) of each."""
    from analysis.dataset import load_study_data
    from analysis.simulate import simulate_study

    studies = []
    for seed in SEEDS:
        study_dir = tmp_path_factory.mktemp(f"seed-{seed}") / "raw"
        simulate_study(study_dir, agencies=30, seed=seed, responses=150)
        truth = json.loads((study_dir / "truth.json").read_text(encoding="utf-8"))
        studies.append((truth, change_rows(load_study_data(study_dir))))
    return studies


# --- recovery of the simulator's planted changes ----------------------------------------------


def _coverage(studies, scopes: tuple[str, ...]) -> tuple[int, int]:
    covered = total = 0
    for truth, rows in studies:
        diffs = rows[rows["metric"] == "index_diff"].set_index(["agency_id", "code"])
        for agency_id, planted in truth["agencies"].items():
            targets = {}
            if "outcome" in scopes:
                targets[truth_outcome_code(rows)] = planted["change"]["outcome"]
            for scope in ("dimensions", "items"):
                if scope in scopes:
                    targets |= planted["change"][scope]
            for code, true_change in targets.items():
                row = diffs.loc[(agency_id, code)]
                if np.isnan(row["estimate"]):
                    continue  # suppressed: fewer than 10 answers
                total += 1
                covered += bool(row["ci_low"] <= true_change <= row["ci_high"])
    return covered, total


def truth_outcome_code(rows: pd.DataFrame) -> str:
    return rows.loc[rows["scope"] == "outcome", "code"].iloc[0]


def test_when_planted_changes_are_estimated_then_95pct_cis_cover_them_90_to_99pct(
    seeded_studies,
):
    covered, total = _coverage(seeded_studies, ("outcome",))
    assert total >= 80  # 3 seeds x 29 reportable agencies
    assert 0.90 <= covered / total <= 0.99, f"{covered}/{total}"
    covered, total = _coverage(seeded_studies, ("dimensions", "items"))
    assert total >= 1500
    assert 0.90 <= covered / total <= 0.99, f"{covered}/{total}"


def test_when_the_true_change_is_large_then_the_sign_of_g_is_right(seeded_studies):
    checked = 0
    for truth, rows in seeded_studies:
        g = rows[(rows["scope"] == "outcome") & (rows["metric"] == "hedges_g")]
        g = g.set_index("agency_id")["estimate"]
        for agency_id, planted in truth["agencies"].items():
            true_g = planted["hedges_g_outcome"]
            if abs(true_g) >= 0.3 and np.isfinite(g[agency_id]):
                checked += 1
                assert np.sign(g[agency_id]) == np.sign(true_g), (agency_id, true_g)
    assert checked >= 15  # 20 agency-seeds with |true g| >= 0.3 in these three studies


def test_when_an_agency_declines_then_its_verdict_says_declined(demo_data):
    truth = json.loads((demo_data.study_dir / "truth.json").read_text(encoding="utf-8"))
    report = ImpactReport(demo_data, truth["declining_agency"], "en")
    assert report.headline["verdict"].direction == "declined"
    assert report.findings()[0].startswith("Overall satisfaction fell by")
    assert "beyond the margin of error" in report.findings()[0]
    # Its largest change is its largest fall, not its smallest one.
    rows = report.changes[report.changes["metric"] == "index_diff"].set_index("code")
    worst = min(demo_data.dimensions, key=lambda code: rows.loc[code, "estimate"])
    assert report._where_sentence().startswith(
        f"The largest change was in {demo_data.dimension_label(worst, 'en')}: "
        f"{int(np.floor(rows.loc[worst, 'estimate'] + 0.5))} points"
    )


# --- numbers of one agency --------------------------------------------------------------------


def test_when_one_agencys_changes_are_computed_then_they_equal_its_rows_of_the_full_table(
    small_data,
):
    everything = change_rows(small_data)
    outcome_rows = outcome_change_rows(small_data)
    for agency_id in small_data.agencies["agency_id"]:
        expected = everything[everything["agency_id"] == agency_id].reset_index(drop=True)
        got = agency_change_rows(small_data, agency_id, outcome_rows).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)


def test_when_headline_p_is_adjusted_then_it_is_bh_across_the_programme_agencies_only(
    small_data,
):
    from statsmodels.stats.multitest import multipletests

    programme = small_data.agencies.loc[small_data.agencies["group"] == "programme", "agency_id"]
    rows = outcome_change_rows(small_data)
    headline = rows[rows["metric"] == "index_diff"].dropna(subset=["p_value"])
    family = headline[headline["agency_id"].isin(programme)]
    assert 0 < len(family) < len(headline)  # the comparison agency AG04 is left out
    expected = multipletests(family["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(family["p_adj"], expected, rtol=1e-12)
    assert set(family["p_adj_method"]) == {"bh"}
    outside = headline[~headline["agency_id"].isin(programme)]
    assert outside["p_adj"].isna().all() and (outside["p_adj_method"] == "").all()


def test_when_results_rows_are_written_then_p_adj_method_names_the_family_of_every_p_adj(
    small_data,
):
    rows = change_rows(small_data)
    assert list(rows.columns)[-1] == "p_adj_method"
    has_p_adj = rows["p_adj"].notna()
    assert set(rows.loc[has_p_adj, "p_adj_method"]) == {"holm", "bh"}
    assert (rows.loc[~has_p_adj, "p_adj_method"] == "").all()
    headline = (rows["scope"] == "outcome") & (rows["metric"] == "index_diff") & has_p_adj
    programme = rows["agency_id"].isin(
        small_data.agencies.loc[small_data.agencies["group"] == "programme", "agency_id"]
    )
    assert set(rows.loc[headline & programme, "p_adj_method"]) == {"bh"}
    assert set(rows.loc[headline & ~programme, "p_adj_method"]) == {"holm"}
    assert set(rows.loc[has_p_adj & ~headline, "p_adj_method"]) == {"holm"}
    # The outcome's within-agency Holm value is published on its own row, not overwritten:
    # it is the Holm adjustment of the agency's whole family of index changes.
    for agency_id, agency in rows.loc[rows["metric"] == "index_diff"].groupby("agency_id"):
        family = agency.dropna(subset=["p_value"])
        if family.empty:
            continue
        expected = multipletests(family["p_value"], method="holm")[1]
        outcome = (family["scope"] == "outcome").to_numpy()
        holm = rows.loc[(rows["agency_id"] == agency_id) & (rows["metric"] == HOLM_METRIC)]
        assert holm["p_adj"].item() == pytest.approx(expected[outcome].item(), rel=1e-12)
        assert holm["p_adj_method"].item() == "holm"


def test_when_a_comparison_agency_is_reported_then_its_verdict_reads_its_holm_value(small_data):
    report = ImpactReport(small_data, "AG04", "en")  # the comparison agency
    diff = report.headline["diff"]
    holm = report.changes.loc[report.changes["metric"] == HOLM_METRIC].iloc[0]
    assert diff["p_adj_method"] == "holm" and diff["p_adj"] == holm["p_adj"]
    # The change section's lead names the adjustment; the key findings say it in words.
    assert report.headline_sentence().endswith(", adjusted within the agency).")
    programme = ImpactReport(small_data, "AG01", "en")
    assert programme.headline_sentence().endswith(", adjusted across the programme agencies).")
    change_section = " ".join(part.data for part in programme.did_change() if hasattr(part, "data"))
    assert programme.headline_sentence().replace("&", "&amp;")[:40] in change_section
    methods = " ".join(part.data for part in report.methods())
    assert "This is a comparison agency" in methods and "(Holm)" in methods
    programme = " ".join(part.data for part in ImpactReport(small_data, "AG01", "en").methods())
    assert "the comparison agencies are the control" in programme
    assert "95 of 100 repeated surveys" in programme


def test_when_the_demo_agency_is_set_against_comparison_agencies_then_did_is_the_difference(
    demo_data,
):
    report = ImpactReport(demo_data, "AG05", "en")
    rows = outcome_change_rows(demo_data)
    diffs = rows[rows["metric"] == "index_diff"].set_index("agency_id")["estimate"]
    comparison = diffs[report.comparison_ids]
    assert report.did.k == len(report.comparison_ids) == 6
    assert report.did.comparison_mean == pytest.approx(comparison.mean(), rel=1e-12)
    assert report.did.estimate == pytest.approx(diffs["AG05"] - comparison.mean(), rel=1e-12)
    assert report.did.ci_low < report.did.estimate < report.did.ci_high


def test_when_the_follow_up_is_tiny_then_the_report_says_so_and_shows_no_estimate(small_data):
    report = ImpactReport(small_data, "AG02", "en")  # planted: fewer than 10 follow-up answers
    assert report.headline["suppressed"]
    assert report.headline["n_after"] < 10
    findings = report.findings()
    assert len(findings) == 1
    assert "cannot be reported" in findings[0] and f"{report.headline['n_after']} " in findings[0]
    rows = impact_results(small_data)
    tiny = rows[(rows["agency_id"] == "AG02") & (rows["metric"] == "index_diff")]
    assert tiny["estimate"].isna().all() and (tiny["n"] > 0).all()


def test_when_there_are_no_comparison_agencies_then_no_causal_claim_is_made(small_data):
    programme = small_data.agencies[small_data.agencies["group"] == "programme"]
    no_comparison = replace(
        small_data,
        agencies=programme,
        responses=small_data.responses[small_data.responses["agency_id"].isin(programme.agency_id)],
    )
    report = ImpactReport(no_comparison, "AG03", "en")
    assert report.did is None
    text = " ".join(report.findings())
    assert "cannot be attributed to it alone" in text
    assert not re.search(r"\b(because of|thanks to|caused|due to the programme)\b", text)


def test_when_an_unknown_language_is_asked_then_the_error_says_which(small_data):
    with pytest.raises(ValueError, match="fr"):
        ImpactReport(small_data, "AG01", "fr")


# --- end to end: the runner's HTML ------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("agency", ["AG01", "AG02", "AG04"])
def test_when_an_impact_report_is_opened_then_it_is_self_contained_and_accessible(
    built_reports, agency, lang
):
    status, reports = built_reports
    assert status == 0
    html = (reports / agency / f"impact.{lang}.html").read_text(encoding="utf-8")
    images = assert_stakeholder_html(html, lang)
    assert len(images) >= (0 if agency == "AG02" else 3)


def test_when_the_impact_headline_is_read_then_it_equals_the_results_table(built_reports):
    _, reports = built_reports
    results = pd.read_csv(reports / "results.csv", encoding="utf-8-sig", dtype={"agency_id": str})
    row = results[
        (results["agency_id"] == "AG01")
        & (results["scope"] == "outcome")
        & (results["metric"] == "index_diff")
    ].iloc[0]
    html = (reports / "AG01" / "impact.en.html").read_text(encoding="utf-8")
    found = re.search(
        r"a change of ([+−-]?\d+) points? \u2066\[([−-]?\d+),\u00a0([−-]?\d+)\]\u2069", html
    )
    assert found, "headline sentence missing"
    shown = [int(x.replace("−", "-")) for x in found.groups()]
    # The interval shown is adjusted like the p the verdict reads (issue 13, one rule).
    low, high = adjusted_interval(
        row["estimate"], row["ci_low"], row["ci_high"], row["p_value"], row["p_adj"]
    )
    expected = [row["estimate"], low, high]
    assert shown == [int(np.floor(x + 0.5)) for x in expected]


def test_when_the_follow_up_is_tiny_then_the_built_report_explains_instead_of_estimating(
    built_reports,
):
    _, reports = built_reports
    html = (reports / "AG02" / "impact.en.html").read_text(encoding="utf-8")
    assert "The change cannot be reported for this agency" in html
    assert "a change of" not in html


def test_when_the_portal_is_written_then_it_links_the_intervention_and_impact_reports(
    built_reports,
):
    _, reports = built_reports
    portal = (reports / "index.html").read_text(encoding="utf-8")
    for phase in ("intervention", "impact"):
        for lang in ("ar", "en"):
            assert f'href="AG01/{phase}.{lang}.html"' in portal


def test_when_driver_changes_are_drawn_then_most_important_driver_comes_first(small_data):
    report = ImpactReport(small_data, "AG01", "en")
    parts = report.driver_changes()
    alt = re.search(r'alt="([^"]*)"', parts[0].data).group(1)
    shown = re.findall(r"([A-Z][^:;]*?) \((\d+)%\): ([+−-]?\d+)", alt.split(": ", 1)[1])
    shares = [int(share) for _, share, _ in shown]
    assert len(shown) == len(small_data.dimensions)
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(100, abs=len(shares))  # LMG shares, rounded
    rows = report.changes[report.changes["metric"] == "index_diff"].set_index("code")
    by_label = {
        small_data.dimension_label(c, "en"): rows.loc[c, "estimate"] for c in small_data.dimensions
    }
    for label, _, change in shown:
        expected = int(np.floor(by_label[label.strip()] + 0.5))
        assert int(change.replace("−", "-")) == expected
    assert ImpactReport(small_data, "AG02", "en").driver_changes() == []  # tiny follow-up


def test_when_the_study_has_one_comparison_agency_then_findings_do_not_say_there_is_none(
    small_data,
):
    # The small study has 3 programme agencies and 1 comparison agency (tests/conftest.py).
    from analysis.i18n import t
    from analysis.impact import ImpactReport

    for lang in ("en", "ar"):
        report = ImpactReport(small_data, "AG01", lang)
        assert len(report.comparison_ids) == 1 and report.is_programme
        findings = report.findings()
        assert t("impact_one_comparison", lang) in findings
        assert t("impact_no_comparison", lang) not in findings


def test_when_comparison_agencies_exist_but_their_change_is_unknown_then_findings_say_so(
    demo_data,
):
    """Issue 14: six comparison agencies with 5 follow-up answers each give no comparison
    change; the findings must not say there are no comparison agencies."""
    import dataclasses

    from analysis.i18n import t

    comparison = demo_data.agencies.loc[demo_data.agencies["group"] == "comparison", "agency_id"]
    r = demo_data.responses
    few = r.groupby(["agency_id", "wave"]).cumcount() < 5
    keep = ~(r["agency_id"].isin(comparison) & (r["wave"] == "followup")) | few
    data = dataclasses.replace(demo_data, responses=r.loc[keep].reset_index(drop=True))
    for lang in ("en", "ar"):
        report = ImpactReport(data, "AG01", lang)
        assert len(report.comparison_ids) >= 2 and not report.headline["suppressed"]
        findings = report.findings()
        assert t("impact_comparison_unavailable", lang) in findings
        assert t("impact_no_comparison", lang) not in findings
        assert t("impact_one_comparison", lang) not in findings


def test_when_next_steps_are_written_then_they_name_the_weakest_key_driver(demo_data):
    report = ImpactReport(demo_data, "AG01", "en")
    share = report.driver_importance.dropna()
    after = {
        code: float(report._level(code, "followup")["estimate"]) for code in demo_data.dimensions
    }
    # By hand: more important than the mean share, less well rated than the mean, most important.
    weak = [
        c
        for c in share.index
        if share[c] >= share.mean() and after[c] < sum(after.values()) / len(after)
    ]
    weakest = max(weak, key=lambda c: share[c])
    sentences = report.next_step_sentences()
    assert 3 <= len(sentences) <= 5
    assert demo_data.dimension_label(weakest, "en") in sentences[0]
    assert f"{after[weakest]:.0f} of 100" in sentences[0]
    assert report.last_dimension == "LAST"
    last_items = report._item_rows(demo_data.dimensions["LAST"])
    # Quoted without its own full stop; its change in words unless beyond the margin.
    quoted = demo_data.item_label(last_items.iloc[0]["code"], "en").rstrip(".")
    assert f"“{quoted}”" in sentences[1]
    assert "since the baseline" in sentences[1]
    arabic = ImpactReport(demo_data, "AG01", "ar").next_step_sentences()
    assert demo_data.dimension_label(weakest, "ar") in arabic[0]
    html = _html(report.methods())
    assert html.index("What should be done next?") < html.index("Methods note")


def test_when_a_study_has_no_last_items_then_next_steps_say_so_and_coach_the_weakest_driver(
    demo_data,
):
    report = ImpactReport(demo_data, "AG01", "en")
    report.__dict__["last_dimension"] = None  # as for a study without a LAST dimension
    sentences = report.next_step_sentences()
    assert any("has no listen-apologise-solve-thank items" in s for s in sentences)
    assert 3 <= len(sentences) <= 5


def test_when_the_impact_report_shows_nps_then_both_waves_and_the_results_row_agree(demo_data):
    from analysis import measures
    from analysis.impact import impact_results, nps_change_rows

    report = ImpactReport(demo_data, "AG01", "en")
    row = report.nps_row
    responses = demo_data.responses
    agency = responses[responses["agency_id"] == "AG01"]
    by_hand = measures.nps_diff(
        agency.loc[agency["wave"] == "baseline", "recommend"],
        agency.loc[agency["wave"] == "followup", "recommend"],
        demo_data.min_report_n,
    )
    assert row["metric"] == "nps_diff" and row["phase"] == "impact" and row["wave"] == ""
    assert row["estimate"] == pytest.approx(by_hand.estimate)
    html = _html(report.did_change())
    assert "Net Promoter Score" in html
    b = report._level("recommend", "baseline", "nps")["estimate"]
    a = report._level("recommend", "followup", "nps")["estimate"]
    assert row["estimate"] == pytest.approx(a - b)
    assert f"was {b:.0f} at the baseline and {a:.0f} at follow-up" in html
    rows = impact_results(demo_data)
    assert (rows["metric"] == "nps_diff").sum() == len(nps_change_rows(demo_data)) > 0


def test_when_the_impact_report_shows_comments_then_follow_up_ones_are_masked_beside_baseline(
    demo_data,
):
    report = ImpactReport(demo_data, "AG01", "en")
    html = _html(report.comments())
    assert "Baseline comments" in html and "Follow-up comments" in html
    assert html.count('<ul class="comments">') + html.count('class="no-comments"') == 2
    assert "@" not in html  # e-mail addresses masked


def test_when_mix_differences_are_shown_then_they_carry_plus_or_a_true_minus():
    from analysis.i18n import fmt_difference as signed_minus

    assert signed_minus(3.24) == "+3.2"
    assert signed_minus(-3.24) == "\u22123.2"
    assert signed_minus(0.01) == "0.0"


def test_when_the_methods_name_the_reweighting_groups_then_they_are_the_studys_own(small_data):
    """From the new-user test: the raking sentence listed gender, age, nationality, channel
    and visit whatever the study recorded."""
    import dataclasses

    from analysis import views

    keys = [k for k in small_data.study.segments if k in small_data.responses.columns]
    assert len(keys) >= 2
    one = dataclasses.replace(small_data, responses=small_data.responses.drop(columns=keys[1:]))
    for lang in ("en", "ar"):
        label = small_data.text(small_data.study.segments[keys[0]].label, lang)
        phrase = views.segments_phrase(one, lang)
        assert phrase.lower() == label.lower()
        note = " ".join(p.data for p in ImpactReport(one, "AG01", lang)._methods_note())
        assert phrase in note
        others = [small_data.text(small_data.study.segments[k].label, lang) for k in keys[1:]]
        assert not any(f"{o.lower()}" in note.lower() for o in others if len(o) > 3)
