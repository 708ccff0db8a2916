"""The baseline diagnosis: its numbers, its sentences, and the rendered HTML report."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from report_checks import assert_stakeholder_html

from analysis import baseline
from analysis.baseline import BaselineReport, likert_distribution, segment_value_label
from analysis.report import check_self_contained


def _html(displayables) -> str:
    if not isinstance(displayables, list):
        displayables = [displayables]
    return "".join(d.data for d in displayables)


# --- pure helpers ---------------------------------------------------------------------------


def test_when_answers_are_counted_then_shares_leave_out_na_and_sum_to_100():
    responses = pd.DataFrame({"A": [1, 2, 2, 5, np.nan, np.nan], "B": [np.nan] * 6})
    dist = likert_distribution(responses, ["A", "B"], 1, 5).set_index("code")
    assert dist.loc["A", "n"] == 4
    assert dist.loc["A", [1, 2, 3, 4, 5]].tolist() == [25.0, 50.0, 0.0, 0.0, 25.0]
    assert dist.loc["B", "n"] == 0
    assert dist.loc["B", [1, 2, 3, 4, 5]].isna().all()


def test_when_a_segment_value_is_labelled_then_each_language_gets_its_own_script(small_data):
    assert segment_value_label(small_data, "gender", "female", "ar") == "أنثى"
    # The demo codebook gives gender as Arabic text or numbers: English falls back to the code.
    assert segment_value_label(small_data, "gender", "female", "en") == "Female"
    assert segment_value_label(small_data, "channel", "online", "en") == "Online"
    assert segment_value_label(small_data, "channel", "online", "ar") == "إلكتروني"


# --- numbers --------------------------------------------------------------------------------


def test_when_the_headline_is_computed_then_it_is_the_mean_rescaled_answer(small_data):
    agency = small_data.agencies["agency_id"].iloc[0]
    report = BaselineReport(small_data, agency, "en")
    answers = small_data.wave_responses("baseline", agency)[small_data.outcome].dropna()
    by_hand = ((answers - 1) / 4 * 100).mean()
    assert report.outcome["estimate"] == pytest.approx(by_hand, abs=1e-9)
    assert report.outcome["n"] == answers.size


def test_when_the_demo_study_is_diagnosed_then_planted_baseline_levels_fall_in_their_cis(
    demo_data,
):
    truth = json.loads((demo_data.study_dir / "truth.json").read_text(encoding="utf-8"))
    levels = baseline.baseline_levels(demo_data)
    index = levels.loc[levels["metric"] == "index"].set_index(["agency_id", "code"])
    covered, total = 0, 0
    for agency_id, planted in truth["agencies"].items():
        targets = {demo_data.outcome: planted["index"]["baseline"]["outcome"]}
        targets |= planted["index"]["baseline"]["dimensions"]
        for code, true_value in targets.items():
            row = index.loc[(agency_id, code)]
            total += 1
            covered += row["ci_low"] <= true_value <= row["ci_high"]
    # 95% intervals over 30 agencies x 6 estimates: expect about 171 of 180.
    assert total == 180
    assert 0.90 <= covered / total <= 0.99, f"{covered}/{total} intervals cover the truth"


def test_when_an_agency_has_fewer_than_10_answers_then_its_estimates_are_suppressed(small_data):
    agency = small_data.agencies["agency_id"].iloc[0]
    responses = small_data.responses
    keep = (responses["agency_id"] != agency) | (responses["wave"] != "baseline")
    tiny = pd.concat([responses[keep], responses[~keep].head(7)], ignore_index=True)
    data = replace(small_data, responses=tiny)
    report = BaselineReport(data, agency, "en")
    assert report.suppressed
    findings = report.findings()
    assert len(findings) == 1 and "Only 7 interviews" in findings[0]
    html = _html(report.fall_short()) + _html(report.where_stand())
    assert "n &lt; 10" in html
    rows = baseline.baseline_results(data)
    mine = rows[(rows["agency_id"] == agency) & (rows["metric"] == "index")]
    assert mine["estimate"].isna().all() and (mine["n"] <= 7).all()


def test_when_findings_are_written_then_there_are_three_to_five_with_numbers(small_data):
    for agency in small_data.agencies["agency_id"]:
        for lang in ("ar", "en"):
            findings = BaselineReport(small_data, agency, lang).findings()
            assert 3 <= len(findings) <= 5
            assert all(re.search(r"\d", f) for f in findings[:3])
            if lang == "ar":
                assert all(re.search(r"[\u0600-\u06ff]", f) for f in findings)


def test_when_an_unknown_agency_or_language_is_asked_then_the_error_says_which(small_data):
    from analysis.dataset import StudyDataError

    with pytest.raises(StudyDataError, match="ZZ99"):
        BaselineReport(small_data, "ZZ99", "en")
    with pytest.raises(ValueError, match="fr"):
        BaselineReport(small_data, small_data.agencies["agency_id"].iloc[0], "fr")


def test_when_comments_are_shown_then_personal_data_is_masked_and_html_escaped(demo_data):
    comments = demo_data.responses["comment"].dropna()
    risky = comments[comments.str.contains("<script>|05\\d{8}", regex=True)]
    agency = demo_data.responses.loc[risky.index[0], "agency_id"]
    wave_rows = demo_data.responses[
        (demo_data.responses["agency_id"] == agency) & (demo_data.responses["wave"] == "baseline")
    ]
    data = replace(demo_data, responses=wave_rows.loc[wave_rows.index.isin(risky.index)])
    html = _html(BaselineReport(data, agency, "en").what_say())
    assert "<script>" not in html
    assert not re.search(r"05\d{8}", html)


# --- end to end: papermill -> nbconvert -> HTML ------------------------------------------------


def test_when_the_baseline_is_built_then_every_report_and_the_results_exist(built_baseline):
    status, reports = built_baseline
    assert status == 0
    for agency in ("AG01", "AG02"):
        for lang in ("ar", "en"):
            assert (reports / agency / f"baseline.{lang}.html").exists()
    assert (reports / "index.html").exists()
    results = pd.read_csv(reports / "results.csv", encoding="utf-8-sig")
    assert list(results.columns) == [
        "agency_id", "phase", "wave", "scope", "code", "metric",
        "estimate", "ci_low", "ci_high", "n", "p_value", "p_adj", "p_adj_method",
    ]  # fmt: skip
    assert set(results["phase"]) == {"baseline", "intervention", "impact"}
    assert {"index", "top2box", "alpha", "nps", "n"} <= set(results["metric"])
    assert (reports / "results.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_baseline_report_is_opened_then_it_is_self_contained_and_accessible(
    built_baseline, lang
):
    _, reports = built_baseline
    html = (reports / "AG01" / f"baseline.{lang}.html").read_text(encoding="utf-8")
    images = assert_stakeholder_html(html, lang)
    assert len(images) >= 5
    assert "<th" in html and "<caption>" in html
    assert len(html.encode()) < 1_500_000


def test_when_the_headline_is_read_then_it_equals_the_results_table(built_baseline):
    _, reports = built_baseline
    results = pd.read_csv(reports / "results.csv", encoding="utf-8-sig", dtype={"agency_id": str})
    for agency in ("AG01", "AG02"):
        row = results[
            (results["agency_id"] == agency)
            & (results["metric"] == "index")
            & (results["scope"] == "outcome")
        ].iloc[0]
        html = (reports / agency / "baseline.en.html").read_text(encoding="utf-8")
        # In words (issue 16): the interval as a margin of error, one isolated left-to-right
        # run (U+2066 ... U+2069), never broken.
        found = re.search(
            r"Overall satisfaction is (\d+) of 100 \(margin of error \u2066?(\d+)\u2060\u2013\u2060(\d+)\u2069?\)",
            html,
        )
        assert found, "headline sentence missing"
        shown = [int(x) for x in found.groups()]
        expected = [row["estimate"], row["ci_low"], row["ci_high"]]
        assert shown == [int(np.floor(x + 0.5)) for x in expected]


def test_when_the_portal_is_written_then_it_links_every_built_report(built_baseline):
    _, reports = built_baseline
    portal = (reports / "index.html").read_text(encoding="utf-8")
    for agency in ("AG01", "AG02"):
        for lang in ("ar", "en"):
            assert f'href="{agency}/baseline.{lang}.html"' in portal
    assert check_self_contained(portal) == []


def test_when_a_report_links_to_its_twin_and_the_portal_then_each_link_lands_in_its_language(
    built_reports,
):
    """Issue 13: the portal link opens the portal on the report's language section."""
    _, reports = built_reports
    pages = sorted(p for p in reports.rglob("*.html") if p.name != "index.html")
    assert len(pages) >= 12
    for page in pages:
        lang = page.name.split(".")[-2]
        nav = re.search(r'<nav class="report-nav"[^>]*>(.*?)</nav>', page.read_text("utf-8"))
        assert nav, page
        hrefs = re.findall(r'href="([^"]+)"', nav.group(1))
        portal = [h for h in hrefs if h.partition("#")[0].endswith("index.html")]
        twins = [h for h in hrefs if h not in portal]
        assert portal == [f"{'../' if page.parent != reports else ''}index.html#{lang}"], page
        target = (page.parent / portal[0].partition("#")[0]).resolve()
        assert f'id="{lang}"' in target.read_text("utf-8"), page
        assert twins and all((page.parent / twin).is_file() for twin in twins), (page, twins)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_the_segment_table_is_built_then_each_segment_shows_its_p_once_and_signed_gaps(
    built_baseline, lang
):
    """Issue 13: one test per segment, so its p once (not on every group's row, where it
    reads as each gap being significant); the gap is a difference, signed with a true minus."""
    import html as html_lib

    from analysis.i18n import t

    _, reports = built_baseline
    page = (reports / "AG01" / f"baseline.{lang}.html").read_text(encoding="utf-8")
    caption = html_lib.escape(t("caption_segments", lang), quote=False)
    start = page.index(f"<caption>{caption}</caption>")
    table = page[start : page.index("</table>", start)]
    rows = [
        [
            html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", r)
        ]
        for r in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    ]
    header, body = rows[0], rows[1:]
    segment, gap, p = 0, header.index(t("col_gap", lang)), len(header) - 2
    assert "p" in header[p]
    by_segment: dict[str, list[str]] = {}
    for row in body:
        by_segment.setdefault(row[segment], []).append(row[p])
        if row[gap] not in ("", "0.0", "—") and "<" not in row[gap]:
            assert row[gap][0] in "+\u2212", row
    assert len(by_segment) >= 2
    for name, values in by_segment.items():
        shown = [v for v in values if v]
        assert len(shown) == 1, (name, values)


def test_when_a_comment_is_repeated_then_it_is_shown_once_with_its_count():
    from analysis.baseline import comments_to_show

    written = pd.Series(["Fast service", "Too slow", "Fast service ", "Fast service", "Rude"])
    assert comments_to_show(written) == ["Fast service (×3)", "Too slow", "Rude"]
    assert comments_to_show(written, limit=2) == ["Fast service (×3)", "Too slow"]
