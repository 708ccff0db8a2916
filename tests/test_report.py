"""HTML rendering of reports: figures, tables, masking, provenance, export (DESIGN.md section 6)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_samples import (  # noqa: E402
    ARABIC_INDIC_PHONE,
    EMAIL,
    NATIONAL_ID,
    PHONE,
    PHONE_966,
    SCRIPT,
    STDERR_TEXT,
    executed_sample,
    with_papermill_noise,
)

from analysis import report  # noqa: E402
from analysis.report import (  # noqa: E402
    NBCONVERT_PLACEHOLDER_ALT,
    ReportExportError,
    check_self_contained,
    clean_notebook,
    code_version,
    comments_html,
    export_html,
    figure_html,
    mask_pii,
    provenance,
    provenance_html,
    table_html,
    write_text_atomic,
)


class _Elements(HTMLParser):
    """Start tags with their attributes, and the text inside each open tag name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in {"img", "br", "meta", "hr", "input", "link"}:
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data):
        for tag in set(self._open):
            self.text.setdefault(tag, []).append(data)

    def attrs_of(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]


def parse(html_text: str) -> _Elements:
    parser = _Elements()
    parser.feed(html_text)
    return parser


def _bar_figure():
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.barh(["a", "b"], [3, 5], color="#0072B2")
    return fig


# --- figures ------------------------------------------------------------------------------


def test_when_a_figure_is_embedded_then_img_has_escaped_alt_caption_and_inline_png():
    fig = _bar_figure()
    out = figure_html(fig, alt='Index "A" < 70 & falling', caption="<b>Figure 1</b>").data
    assert out.startswith('<figure class="report-figure"><img src="data:image/png;base64,')
    assert 'alt="Index &quot;A&quot; &lt; 70 &amp; falling"' in out
    assert "<figcaption>&lt;b&gt;Figure 1&lt;/b&gt;</figcaption>" in out
    assert not plt.fignum_exists(fig.number)  # closed: no second copy from the inline backend


def test_when_the_same_figure_is_drawn_twice_then_the_png_bytes_are_identical():
    first = figure_html(_bar_figure(), alt="x").data
    second = figure_html(_bar_figure(), alt="x").data
    assert first == second
    png = base64.b64decode(re.search(r"base64,([^\"]+)", first).group(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png  # matplotlib writes its version there by default
    width, height = re.search(r'width="(\d+)" height="(\d+)"', first).groups()
    assert (int(width), int(height)) == report._png_size(png)


def _savefig_tight(fig, dpi: int) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return np.asarray(Image.open(buffer).convert("RGBA"), dtype=int)


@pytest.mark.parametrize("spill", [False, True], ids=["inside", "text-beyond-the-edge"])
def test_when_a_figure_is_drawn_once_and_cropped_then_it_matches_savefig_tight(spill):
    fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    ax.barh(["رضا عام", "b"], [3, 5], color="#0072B2")
    ax.set_title("Satisfaction index")
    if spill:  # savefig's tight box grows beyond the canvas for this: white margin
        ax.annotate("note", xy=(1.02, 0.5), xycoords="axes fraction", fontsize=14)
    expected = _savefig_tight(fig, dpi=90)
    png = Image.open(io.BytesIO(report.figure_png(fig, dpi=90)))
    assert png.mode == "RGB"  # opaque on white: no alpha channel to store
    ours = np.asarray(png.convert("RGBA"), dtype=int)
    plt.close(fig)
    assert ours.shape == expected.shape
    # Same picture: only anti-aliased edges may differ, by the crop's sub-pixel shift (at
    # most half a pixel; a whole pixel off gives a mean difference near 4 on this figure).
    assert np.abs(ours - expected).mean() < 2.5
    assert (np.abs(ours - expected).max(axis=2) > 64).mean() < 0.02


def test_when_alt_text_is_missing_then_figure_html_refuses():
    fig = _bar_figure()
    with pytest.raises(ValueError, match="alt"):
        figure_html(fig, alt="  ")
    assert not plt.fignum_exists(fig.number)


# --- tables -------------------------------------------------------------------------------


@pytest.fixture
def levels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Item": ["Reception", "<b>Waiting</b>", "Information"],
            "Index": [64.25, 51.0, None],
            "n": pd.array([120, 8, 40], dtype="Int64"),
            "Note": ["ok", "a & b", pd.NA],
        }
    )


def test_when_a_table_is_rendered_then_it_has_caption_headers_and_escaped_cells(levels):
    out = table_html(levels, "en", "Levels <by item>").data
    doc = parse(out)
    assert "".join(doc.text["caption"]) == "Levels <by item>"
    cols = [a for a in doc.attrs_of("th") if a.get("scope") == "col"]
    rows = [a for a in doc.attrs_of("th") if a.get("scope") == "row"]
    assert len(cols) == 4 and len(rows) == 3
    assert "<b>Waiting</b>" not in out and "&lt;b&gt;Waiting&lt;/b&gt;" in out
    assert "a &amp; b" in out
    # Default formats: one decimal for measures, whole numbers for counts, a dash for missing.
    assert '<td class="num">64.3</td>' in out
    assert '<td class="num">120</td>' in out
    assert '<td class="num">—</td>' in out
    assert '<th scope="col" class="num">Index</th>' in out
    assert "<td>ok</td>" in out  # text is not styled as a number


def test_when_cells_are_suppressed_then_they_show_n_below_threshold_in_the_language(levels):
    by_row = pd.Series([False, True, False])
    out = table_html(levels, "ar", "مستويات", suppressed_mask=by_row).data
    # Both number cells of the second row, and not its text cells.
    assert out.count('<td class="num suppressed">ن &lt; 10</td>') == 2
    assert "51.0" not in out
    by_cell = pd.DataFrame(False, index=levels.index, columns=levels.columns)
    by_cell.iloc[0, 2] = True
    out = table_html(levels, "en", "Levels", suppressed_mask=by_cell, min_report_n=30).data
    assert out.count("n &lt; 30") == 1 and "120" not in out and "64.3" in out


def test_when_number_formats_are_given_then_they_override_the_defaults(levels):
    out = table_html(
        levels, "en", "Levels", number_formats={"Index": 2, "Note": lambda v: f"[{v}]"}
    ).data
    assert '<td class="num">64.25</td>' in out
    assert '<td class="num">[ok]</td>' in out


def test_when_a_table_is_rendered_twice_then_the_html_is_identical(levels):
    assert table_html(levels, "en", "x").data == table_html(levels.copy(), "en", "x").data


# --- personal data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me 0551234567 please", "call me [phone number] please"),
        ("call me 055 123 4567", "call me [phone number]"),
        ("call me 055-123-4567.", "call me [phone number]."),
        ("+966 55 123 4567", "[phone number]"),
        ("+966551234567", "[phone number]"),
        ("00966-55-123-4567", "[phone number]"),
        ("966551234567", "[phone number]"),
        ("رقمي ٠٥٥١٢٣٤٥٦٧ شكرا", "رقمي [phone number] شكرا"),  # Arabic-Indic digits
        ("رقمي ۰۵۵۱۲۳۴۵۶۷", "رقمي [phone number]"),  # Persian (Eastern Arabic-Indic) digits
        ("جوالي\u200e0551234567", "جوالي\u200e[phone number]"),
        ("ID 1012345678", "ID [ID number]"),
        ("iqama 2412345678", "iqama [ID number]"),
        ("landline 011 456 7890", "landline [phone number]"),
        ("account 1234567", "account [number]"),
        ("mail me at a.b-c@example.com.sa!", "mail me at [e-mail]!"),
        ("waited 45 minutes, room 12, 2 hours", "waited 45 minutes, room 12, 2 hours"),
        ("visited on 2025-01-05 and 05.01.2025", "visited on 2025-01-05 and 05.01.2025"),
        ("ticket 123456", "ticket 123456"),  # six digits: kept
    ],
)
def test_when_text_holds_personal_data_then_it_is_masked(text, expected):
    assert mask_pii(text) == expected


def test_when_masking_in_arabic_then_labels_are_arabic():
    assert mask_pii("0551234567 a@b.co", "ar") == "[رقم هاتف] [بريد إلكتروني]"


def test_when_comments_are_shown_then_they_are_masked_then_escaped():
    out = comments_html([f"{SCRIPT} {PHONE}", None, "  ", "شكرا <3"], "en").data
    assert SCRIPT not in out and PHONE not in out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; [phone number]" in out
    assert "شكرا &lt;3" in out
    assert out.count("<li") == 2


def test_when_a_comment_holds_bidi_controls_then_they_are_removed_from_the_page():
    # A right-to-left override would display the rest of the comment (a masked number
    # included) backwards; the direction marks U+200E / U+200F are harmless and stay.
    out = comments_html(
        ["\u202eتم الحل 055\u2009123\u20094567\u202c", "ok\u2067x\u2069\u200e"], "ar"
    ).data
    assert not any(c in out for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert '<li dir="auto">تم الحل [رقم هاتف]</li>' in out
    assert '<li dir="auto">okx\u200e</li>' in out


def test_when_report_masks_then_it_uses_the_privacy_module():
    from analysis import privacy

    assert mask_pii is privacy.mask_pii


def test_when_there_are_no_comments_then_a_sentence_says_so():
    assert "لم تُكتب أي تعليقات." in comments_html([None, ""], "ar").data


# --- provenance ---------------------------------------------------------------------------


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "study.yml").write_text("title: {en: 'Study <one>', ar: 'دراسة'}\n", encoding="utf-8")
    (folder / "abc.csv").write_bytes(b"abc")
    return folder


def test_when_provenance_is_taken_then_files_are_hashed_and_paths_relative(study):
    prov = provenance(study, {"lang": "en", "study_dir": str(study), "n": 3}, [study / "abc.csv"])
    # SHA-256("abc"), FIPS 180-2 appendix B.1.
    assert prov["files"] == {
        "raw/abc.csv": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    }
    assert prov["study_title"] == {"ar": "دراسة", "en": "Study <one>"}
    assert prov["parameters"] == {"lang": "en", "n": 3, "study_dir": "raw"}
    assert list(prov["parameters"]) == sorted(prov["parameters"])
    assert set(prov["packages"]) == set(report.KEY_PACKAGES)
    assert prov["packages"]["pandas"] == pd.__version__
    assert str(study.parent) not in repr(prov)


def test_when_provenance_is_rendered_then_it_is_escaped_and_has_no_time(study):
    prov = provenance(study, {"lang": "en"}, [study / "abc.csv"])
    out = provenance_html(prov, "en").data
    assert "Study &lt;one&gt;" in out and "Study <one>" not in out
    assert "ba7816bf8f01cfea" in out and "pandas" in out
    assert not re.search(r"\d{2}:\d{2}", out)  # no clock time
    assert out == provenance_html(provenance(study, {"lang": "en"}, [study / "abc.csv"]), "en").data


def _git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(repo), *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def test_when_the_code_is_committed_or_changed_then_code_version_says_so(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    assert code_version(repo) == "unknown"  # not a repository
    _git(repo, "init", "-q")
    assert code_version(repo) == "unknown"  # no commit yet
    (repo / "a.py").write_text("x = 1\n")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-q", "-m", "one")
    short = _git(repo, "rev-parse", "--short", "HEAD")
    assert re.fullmatch(r"[0-9a-f]{7,}", short)
    assert code_version(repo) == short
    (repo / "untracked.html").write_text("report")
    assert code_version(repo) == short  # untracked outputs do not count
    (repo / "a.py").write_text("x = 2\n")
    assert code_version(repo) == short + "-dirty"


# --- self-containment check ---------------------------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example/require.js"></script>',
        '<script src="local.js"></script>',
        '<link rel="stylesheet" href="https://fonts.example/css">',
        '<link rel="stylesheet" href="//fonts.example/css">',
        "<style>body { background: url('https://x.example/a.png') }</style>",
        '<img src="http://x.example/a.png" alt="a">',
        '<div class="jp-InputPrompt">In&nbsp;[3]:</div>',
        "<pre>In [ ]: x</pre>",
        "<pre>Traceback (most recent call last):\n  File</pre>",
        '<img src="data:image/png;base64,AAAA">',
        f'<img src="data:image/png;base64,AAAA" alt="{NBCONVERT_PLACEHOLDER_ALT}">',
        '<img src="data:image/png;base64,AAAA" alt=" ">',
    ],
)
def test_when_a_page_references_the_network_or_shows_notebook_chrome_then_it_is_reported(snippet):
    page = f"<html><body>{snippet}</body></html>"
    assert len(check_self_contained(page)) == 1


def test_when_a_page_is_self_contained_then_no_problem_is_reported():
    page = (
        '<html><head><style>a { color: red }</style></head><body><a href="../index.html">x</a>'
        '<a href="https://example.org/programme">site</a>'
        '<img src="data:image/png;base64,AAAA" alt="chart"><p>Index [60, 68]</p></body></html>'
    )
    assert check_self_contained(page) == []


# --- export ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("exported")
    out = {}
    for lang in ("ar", "en"):
        path = export_html(executed_sample(lang), folder / f"baseline.{lang}.html", lang)
        out[lang] = path.read_text(encoding="utf-8")
    return out


def test_when_arabic_is_exported_then_the_page_is_right_to_left(exported):
    assert '<html lang="ar" dir="rtl">' in exported["ar"]
    assert '<html lang="en" dir="ltr">' in exported["en"]
    assert 'dir="rtl"' not in exported["en"].split("<body", 1)[0]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_report_is_exported_then_it_is_self_contained_without_code(exported, lang):
    page = exported[lang]
    assert check_self_contained(page) == []
    assert not re.search(r"https?:|//cdn|require\.js|mathjax|mermaid", page, re.I)
    for code in ("display(", "import ", "figure_html", "STUDY_DIR", "lang = "):
        assert code not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert STDERR_TEXT not in page and "UserWarning" not in page
    assert "<Axes" not in page and "&lt;Axes" not in page  # bare repr of the last expression
    assert len(page.encode("utf-8")) < 1_500_000


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_report_is_exported_then_every_image_has_alt_text(exported, lang):
    imgs = parse(exported[lang]).attrs_of("img")
    assert imgs
    for attrs in imgs:
        assert (attrs.get("alt") or "").strip()
        assert attrs["alt"] != NBCONVERT_PLACEHOLDER_ALT
        assert attrs["src"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_when_a_report_is_exported_then_comments_are_masked_and_escaped(exported, lang):
    page = exported[lang]
    for secret in (PHONE, PHONE_966, NATIONAL_ID, EMAIL, ARABIC_INDIC_PHONE, SCRIPT, "<b>&"):
        assert secret not in page
    assert "&lt;script&gt;" in page
    phone = "[رقم هاتف]" if lang == "ar" else "[phone number]"
    assert page.count(phone) == 3


def test_when_a_report_is_exported_then_tables_have_captions_and_column_headers(exported):
    doc = parse(exported["ar"])
    assert any("ن < 10" in text for text in doc.text["td"])
    assert doc.attrs_of("caption")
    assert any(a.get("scope") == "col" for a in doc.attrs_of("th"))


def test_when_the_same_content_is_exported_twice_then_the_bytes_are_identical(tmp_path):
    nb = executed_sample("ar")
    first = export_html(with_papermill_noise(nb, 1), tmp_path / "one.html", "ar")
    second = export_html(with_papermill_noise(nb, 2), tmp_path / "two.html", "ar")
    assert first.read_bytes() == second.read_bytes()
    assert b"run1-" not in first.read_bytes() and b"2025-03-01T" not in first.read_bytes()
    # From a file too, as the runner may pass the executed notebook's path.
    saved = tmp_path / "executed.ipynb"
    nbformat.write(with_papermill_noise(nb, 3), saved)
    third = export_html(saved, tmp_path / "three.html", "ar")
    assert third.read_bytes() == first.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "executed.ipynb",
        "one.html",
        "three.html",
        "two.html",
    ]


def test_when_a_cell_failed_then_the_report_is_refused():
    nb = executed_sample("en")
    nb.cells[-1].outputs.append(
        nbformat.v4.new_output("error", ename="ValueError", evalue="boom", traceback=["x"])
    )
    with pytest.raises(ReportExportError, match="ValueError: boom"):
        clean_notebook(nb, "en")


def test_when_a_write_fails_then_the_old_report_stays_and_no_temp_file_is_left(
    tmp_path, monkeypatch
):
    target = tmp_path / "A01" / "baseline.en.html"
    write_text_atomic(target, "old")
    assert oct(target.stat().st_mode & 0o777) == "0o644"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["baseline.en.html"]


def test_when_the_exporter_is_asked_twice_then_it_is_created_once():
    assert report.html_exporter() is report.html_exporter()


def test_when_a_file_is_hashed_then_sha256_matches_hashlib(tmp_path):
    data = os.urandom(3 << 20)  # more than one read block
    (tmp_path / "big.bin").write_bytes(data)
    assert report.sha256_file(tmp_path / "big.bin") == hashlib.sha256(data).hexdigest()
