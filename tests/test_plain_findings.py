"""The first screen in plain words (issue 16).

Key findings say direction, size in points and whether a change could be chance; the
technical values (p, g, I², bracketed intervals, test names) stay in the tables and the
methods note. Counts read "none" rather than "0 agencies", and the regional counts add up.
"""

from __future__ import annotations

import json
import re

import pytest

from analysis.baseline import BaselineReport
from analysis.impact import ImpactReport
from analysis.intervention import InterventionReport
from analysis.regional import RegionalReport

#: What a non-statistician should not meet on the first screen.
TECHNICAL = re.compile(r"\bp\s*[=<]|\bg\s*=|Hedges|I²|Welch|ويلش|\[[^\]]*\d[^\]]*\]")
#: A zero counted as if it were a number of things ("0 agencies", "0 جهة").
ZERO_COUNT = re.compile(r"(?<![\d.,٫])0\s+(agenc|part|point|week|جه|جانب|جوانب|نقط|أسبوع)")


def _agencies(demo_data) -> list[str]:
    truth = json.loads((demo_data.study_dir / "truth.json").read_text(encoding="utf-8"))
    comparison = demo_data.agencies.loc[demo_data.agencies["group"] == "comparison", "agency_id"]
    return ["AG01", "AG05", truth["declining_agency"], str(comparison.iloc[0])]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_key_findings_are_written_then_they_carry_no_technical_values(demo_data, lang):
    texts = [(f"regional.{lang}", RegionalReport(demo_data, lang).findings())]
    for agency in _agencies(demo_data):
        for kind in (BaselineReport, InterventionReport, ImpactReport):
            texts.append((f"{agency} {kind.__name__}", kind(demo_data, agency, lang).findings()))
    for where, findings in texts:
        for sentence in findings:
            assert not TECHNICAL.search(sentence), (where, sentence)
            assert not ZERO_COUNT.search(sentence), (where, sentence)


def test_when_an_interval_includes_no_change_then_the_finding_gives_the_range_in_words(demo_data):
    report = ImpactReport(demo_data, "AG01", "en")
    low, high, verdict = report.headline["shown"]
    assert verdict.direction == "no clear change" and low < 0 < high  # AG01 in the demo
    first = report.findings()[0]
    assert "within the margin of error" in first
    assert f"a fall of {round(-low)} point" in first and f"a rise of {round(high)} points" in first
    arabic = ImpactReport(demo_data, "AG01", "ar").findings()[0]
    assert "ضمن هامش الخطأ" in arabic and "بين انخفاض" in arabic
    # The technical sentence, with the corrected interval and p, leads the change section.
    assert "p\u00a0=\u00a0" in report.headline_sentence()


def test_when_the_regional_first_screen_counts_agencies_then_the_counts_add_up(demo_data):
    report = RegionalReport(demo_data, "en")
    counts = report.counts_sentence()
    groups = demo_data.agencies["group"]
    total, programme = len(groups), int((groups == "programme").sum())
    compared = len(report.reported)
    left_out = report.suppressed_ids
    assert left_out, "the demo study plants one agency with too few follow-up answers"
    assert counts.startswith(
        f"Of the {total} agencies in the study ({programme} in the programme, "
        f"{total - programme} for comparison), the results rest on {compared}, "
    )
    assert compared + len(left_out) == total
    assert demo_data.agency_name(left_out[0], "en") in counts
    # The pooled finding counts the programme agencies compared, as the sentence says.
    assert f"in the {report.numbers.pooled.k} agencies of the programme" in report.findings()[1]


def test_when_no_agency_declines_then_the_league_says_none(demo_data, monkeypatch):
    report = RegionalReport(demo_data, "ar")
    league = report.league.copy()
    league.loc[league["direction"] == "declined", "direction"] = "no clear change"
    league["clearly_below_target"] = False
    monkeypatch.setattr(type(report), "league", property(lambda self: league))
    sentence = report.league_sentence()
    assert "ولم تتراجع أي جهة" in sentence and "ولا تقل أي جهة" in sentence
    english = RegionalReport(demo_data, "en")
    monkeypatch.setattr(type(english), "league", property(lambda self: league))
    sentence = english.league_sentence()
    assert "and none declined; " in sentence and "at follow-up none is clearly below" in sentence
    # Programme and comparison agencies are counted apart (the editor's review, issue 16).
    programme = int((league.loc[~league["suppressed"], "group"] == "programme").sum())
    assert sentence.startswith(f"12 of the {programme} agencies of the programme improved")


def test_when_the_target_is_judged_then_every_report_uses_the_same_interval_rule(demo_data):
    """The editor found "within the margin of error of the target" in AG05's findings and
    "at or above the target" in its next steps and the portal: one rule now, the follow-up
    interval against the target (analysis.views.threshold_status)."""
    from analysis import views
    from analysis.i18n import t

    report = RegionalReport(demo_data, "en")
    words = {"met": "flag_above", "margin": "flag_margin", "below": "flag_clearly_below"}
    for _, row in report.league.loc[report.league["rank"].notna()].iterrows():
        status = views.threshold_status(
            row["followup_low"], row["followup_high"], demo_data.target_index
        )
        assert report._target_flag(row) == t(words[status], "en"), row["agency_id"]
    impact = ImpactReport(demo_data, "AG05", "en")
    a = impact.headline["after"]
    assert views.threshold_status(a["ci_low"], a["ci_high"], demo_data.target_index) == "margin"
    assert "within the margin of error of the target of 70" in impact.findings()[1]
    assert any(
        "within the margin of error of the target" in s for s in impact.next_step_sentences()
    )


def test_when_a_follow_up_is_small_and_comparison_agencies_few_then_findings_say_so_plainly(
    demo_data,
):
    """From the hostile test (issue 16): 12 follow-up answers and 2 comparison agencies gave
    "from 219 points in their favour to 160" and "at least as many answers (12)"."""
    import dataclasses

    from analysis import config

    r = demo_data.responses
    comparison = demo_data.agencies.loc[demo_data.agencies["group"] == "comparison", "agency_id"]
    keep_comparison = set(comparison.iloc[:2])
    follow_up = (r["agency_id"] == "AG01") & (r["wave"] == "followup")
    few = follow_up & (r.groupby(["agency_id", "wave"]).cumcount() < 12)
    keep = (~r["agency_id"].isin(set(comparison) - keep_comparison)) & (~follow_up | few)
    agencies = demo_data.agencies.loc[
        ~demo_data.agencies["agency_id"].isin(set(comparison) - keep_comparison)
    ]
    data = dataclasses.replace(
        demo_data, responses=r.loc[keep].reset_index(drop=True), agencies=agencies
    )
    report = ImpactReport(data, "AG01", "en")
    assert report.headline["n_after"] == 12 and len(report.comparison_ids) == 2
    findings = " ".join(report.findings())
    assert "Low precision: " in findings
    if report.did.ci_high - report.did.ci_low > 100:
        assert "cannot be estimated usefully" in findings
    assert not re.search(r"\b\d{3} points", findings)  # no range wider than the scale
    last = report.next_step_sentences()[-1]
    assert f"at least {config.LOW_PRECISION_N} answers (this follow-up had 12)" in last
