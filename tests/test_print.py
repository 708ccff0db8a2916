"""Printed reports (issue 13): ``build --pdf`` with headless Chromium, read back with poppler.

One build of AG01's three reports and the regional report in both languages, with PDFs:
no figure cut across pages, no page holding only a heading, no heading at a page foot,
the document title and language in the PDF; then the incremental behaviour and the
one-line message without a renderer.
"""

from __future__ import annotations

import html
import re

import pytest
from pdf_checks import POPPLER, heading_problems, page_count, pdf_info, split_figures

from analysis.build import build
from analysis.pdf import CHROMIUM_ENV, find_chromium, strip_dates

pytestmark = [
    # Eight reports built and printed (about 2.5 minutes of the two cores): in make test-slow,
    # so that make test stays under 8 minutes.
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdfimages) not installed"),
]

KINDS = ("AG01/baseline", "AG01/intervention", "AG01/impact", "regional")


@pytest.fixture(scope="module")
def printed(small_study, tmp_path_factory):
    reports = tmp_path_factory.mktemp("printed")
    status = build(small_study, reports, jobs=2, agencies=["AG01"], pdf=True)
    return status, reports


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_when_a_report_is_printed_then_no_figure_is_cut_and_no_heading_is_alone(
    printed, kind, lang
):
    status, reports = printed
    assert status == 0
    pdf = reports / f"{kind}.{lang}.pdf"
    text = (reports / f"{kind}.{lang}.html").read_text(encoding="utf-8")
    assert page_count(pdf) >= 2
    assert split_figures(pdf) == []
    assert heading_problems(pdf, text) == []


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_report_is_printed_then_the_pdf_has_its_title_and_language(printed, lang):
    _, reports = printed
    page = (reports / f"AG01/impact.{lang}.html").read_text(encoding="utf-8")
    title = html.unescape(re.search(r"<title>(.*?)</title>", page).group(1))
    info = pdf_info(reports / f"AG01/impact.{lang}.pdf")
    assert info["Title"] == title
    raw = (reports / f"AG01/impact.{lang}.pdf").read_bytes()
    assert f"/Lang ({lang})".encode() in raw
    assert b"/CreationDate" not in raw and b"/ModDate" not in raw


def test_when_reports_are_exported_then_the_title_names_agency_phase_and_study(printed, small_data):
    _, reports = printed
    for lang, phase in (("ar", "baseline"), ("en", "impact")):
        page = (reports / f"AG01/{phase}.{lang}.html").read_text(encoding="utf-8")
        title = html.unescape(re.search(r"<title>(.*?)</title>", page).group(1))
        assert small_data.agency_name("AG01", lang) in title
        assert small_data.text(small_data.study.title, lang) in title
        assert title != "report"
    regional = (reports / "regional.ar.html").read_text(encoding="utf-8")
    assert "<title>الملخص الإقليمي" in regional
    portal = (reports / "index.html").read_text(encoding="utf-8")
    first = small_data.study.languages[0]
    assert f'<html lang="{first}" dir="{"rtl" if first == "ar" else "ltr"}">' in portal
    assert small_data.text(small_data.study.title, first) in re.search(
        r"<title>(.*?)</title>", portal
    ).group(1)
    assert 'href="#en"' in portal and 'id="en"' in portal and 'class="table-wrap"' in portal


def test_when_nothing_changed_then_no_pdf_is_printed_again_and_a_missing_one_is(
    printed, small_study, capsys
):
    _, reports = printed
    capsys.readouterr()
    assert build(small_study, reports, jobs=2, agencies=["AG01"], pdf=True) == 0
    assert "PDF: 0 printed, 8 up to date" in capsys.readouterr().out
    (reports / "AG01/baseline.en.pdf").unlink()
    before = (reports / "AG01/impact.ar.pdf").stat().st_mtime_ns
    assert build(small_study, reports, jobs=2, agencies=["AG01"], pdf=True) == 0
    assert "PDF: 1 printed, 7 up to date" in capsys.readouterr().out
    assert (reports / "AG01/baseline.en.pdf").is_file()
    assert (reports / "AG01/impact.ar.pdf").stat().st_mtime_ns == before


def test_when_chromium_is_missing_then_pdf_is_one_line_and_exit_2(
    small_study, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    assert build(small_study, tmp_path / "reports", pdf=True) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pdf needs headless Chromium" in err[0]
    assert not list((tmp_path / "reports").rglob("*.html"))


def test_when_dates_are_blanked_then_the_length_and_the_rest_stay():
    pdf = b"<</Producer (Skia)\n/CreationDate (D:20261204023600+00'00')\n/ModDate (D:1)>>"
    out = strip_dates(pdf)
    assert len(out) == len(pdf) and b"D:" not in out and b"/Producer (Skia)" in out
