"""Reports in a real browser: headless Chromium screenshot, axe-core accessibility, RTL layout.

Needs Debian's ``chromium`` (``apt-get install -y chromium fonts-noto-core``) and the pinned
axe-core (``npm ci --prefix tests/browser``); skipped with the reason when either is missing.
Chromium is driven through its own command line (``--screenshot``, ``--dump-dom``): no
driver package, one short-lived process per check. Scripts run in a copy of the report
that has axe-core and a probe inlined; they write their results into the DOM, which
``--dump-dom`` returns once the page's timers have run (``--virtual-time-budget``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_samples import executed_sample

from analysis.report import export_html

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
AXE_JS = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"

if CHROMIUM is None:
    pytest.skip(
        "Debian's chromium is not installed (apt-get install -y chromium fonts-noto-core)",
        allow_module_level=True,
    )
if not AXE_JS.exists():
    pytest.skip(
        f"axe-core is not installed ({AXE_JS} missing; run `npm ci --prefix tests/browser`)",
        allow_module_level=True,
    )

WINDOW = (1000, 1800)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
]

#: How every probe starts: axe-core's violations into ``out`` (or the error it raised).
AXE_PROBE_START = r"""
(async () => {
  const out = {};
  try {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    out.violations = results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))
    }));
  } catch (e) {
    out.error = String(e);
  }
"""

#: Runs in the page after axe-core: accessibility violations, and where the browser put
#: things (direction, heading edge, visual order of the interval bounds in the key findings).
PROBE_JS = (
    AXE_PROBE_START
    + r"""
  const root = document.documentElement;
  out.direction = getComputedStyle(root).direction;
  out.lang = root.lang;
  // Gaps between the title's text and the edges of its (full-width) block.
  const h1 = document.querySelector("h1");
  const box = h1.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(h1);
  const text = range.getBoundingClientRect();
  out.h1 = {left: text.left - box.left, right: box.right - text.right};
  // Screen x of the first occurrence of "60" and "68" in the first key finding.
  const li = document.querySelector(".key-findings li").firstChild;
  const xOf = (s) => {
    const i = li.textContent.indexOf(s);
    const r = document.createRange();
    r.setStart(li, i); r.setEnd(li, i + s.length);
    return r.getBoundingClientRect().left;
  };
  out.interval = {x60: xOf("60"), x68: xOf("68")};
  out.imagesLoaded = [...document.images].every(img => img.complete && img.naturalWidth > 0);
  const pre = document.createElement("pre");
  pre.id = "probe-results";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""
)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    """One headless Chromium run with a fresh profile; stderr (dbus noise) is ignored."""
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module", params=["ar", "en"])
def rendered(request, tmp_path_factory) -> tuple[str, Path]:
    lang = request.param
    folder = tmp_path_factory.mktemp(f"browser-{lang}")
    page = export_html(executed_sample(lang), folder / f"baseline.{lang}.html", lang)
    return lang, page


def test_when_a_report_opens_in_chromium_then_the_screenshot_shows_the_page(rendered, tmp_path):
    from PIL import Image

    lang, page = rendered
    shot = tmp_path / f"baseline.{lang}.png"
    run = _chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    assert shot.exists(), run.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == WINDOW
    gray = image.convert("L")
    dark = sum(gray.histogram()[:200]) / (image.width * image.height)
    assert dark > 0.01, f"page looks blank ({dark:.2%} dark pixels): {shot}"
    # The chart's bars (#0072B2) are drawn: the inline PNG was decoded.
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    assert any(abs(r - 0x00) < 8 and abs(g - 0x72) < 8 and abs(b - 0xB2) < 8 for r, g, b in colours)


def _probe(page: Path, tmp_path: Path) -> dict:
    probe_page = tmp_path / page.name
    script = AXE_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    injected = f"<script>{script}</script><script>{PROBE_JS}</script></body>"
    probe_page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", injected, 1), encoding="utf-8"
    )
    run = _chromium(
        "--virtual-time-budget=20000", "--dump-dom", probe_page.as_uri(), profile=tmp_path / "p"
    )
    found = re.search(r'<pre id="probe-results">(.*?)</pre>', run.stdout, re.S)
    assert found, f"probe produced no result; stderr: {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def probed(rendered, tmp_path_factory) -> tuple[str, dict]:
    lang, page = rendered
    return lang, _probe(page, tmp_path_factory.mktemp(f"probe-{lang}"))


def test_when_axe_checks_a_report_then_nothing_serious_or_critical_is_found(probed):
    lang, result = probed
    assert "error" not in result, result.get("error")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)


def test_when_a_report_is_laid_out_then_direction_follows_the_language(probed):
    lang, result = probed
    assert result["lang"] == lang
    assert result["imagesLoaded"]
    h1 = result["h1"]
    x60, x68 = result["interval"]["x60"], result["interval"]["x68"]
    if lang == "ar":
        assert result["direction"] == "rtl"
        assert h1["right"] < 2 < h1["left"]  # the title starts at the right edge
        assert x60 < x68  # issue 13: an isolated left-to-right run, lower bound first
    else:
        assert result["direction"] == "ltr"
        assert h1["left"] < 2 < h1["right"]
        assert x60 < x68


# --- the real baseline report --------------------------------------------------------------

#: Runs in the page after axe-core on a built report: violations and layout facts.
REAL_PROBE_JS = (
    AXE_PROBE_START
    + r"""
  out.direction = getComputedStyle(document.documentElement).direction;
  out.images = document.images.length;
  out.imagesLoaded = [...document.images].every(img => img.complete && img.naturalWidth > 0);
  out.findings = document.querySelectorAll(".key-findings li").length;
  // Every signed number of the page's text ("+16", "-0.22"): is its sign drawn on the left
  // of its digits, as numbers read in Arabic too?
  out.signs = 0;
  out.misplacedSigns = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    for (const m of node.data.matchAll(/(^|[^0-9.])([+\-\u2212])([0-9]+(\.[0-9]+)?)/g)) {
      const at = m.index + m[1].length;
      const sign = document.createRange();
      sign.setStart(node, at); sign.setEnd(node, at + 1);
      const digits = document.createRange();
      digits.setStart(node, at + 1); digits.setEnd(node, at + 1 + m[3].length);
      const a = sign.getBoundingClientRect(), b = digits.getBoundingClientRect();
      if (a.width === 0 || b.width === 0) continue;  // not rendered
      out.signs += 1;
      if (a.left > b.left) out.misplacedSigns.push(node.data.slice(Math.max(0, at - 20), at + 12));
    }
  }
  const pre = document.createElement("pre");
  pre.id = "probe-results";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""
)


def probe_built_report(page: Path, tmp_path: Path) -> dict:
    """Run axe-core and the layout probe in a copy of ``page``; no serious violation allowed.

    Returns the probe's findings (direction, images, key findings, signed numbers drawn
    the wrong way round) for the caller's own checks.
    """
    probe_page = tmp_path / page.name
    script = AXE_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    injected = f"<script>{script}</script><script>{REAL_PROBE_JS}</script></body>"
    probe_page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", injected, 1), encoding="utf-8"
    )
    run = _chromium(
        "--virtual-time-budget=30000", "--dump-dom", probe_page.as_uri(), profile=tmp_path / "p"
    )
    found = re.search(r'<pre id="probe-results">(.*?)</pre>', run.stdout, re.S)
    assert found, f"probe produced no result; stderr: {run.stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    assert "error" not in result, result.get("error")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)
    return result


#: Charts each built report of AG01 (small study) has at least.
MIN_IMAGES = {"baseline": 5, "intervention": 2, "impact": 3}


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("phase", ["baseline", "intervention", "impact"])
def test_when_a_built_report_opens_then_it_renders_and_passes_axe(
    built_reports, phase, lang, tmp_path
):
    from PIL import Image

    _, reports = built_reports
    page = reports / "AG01" / f"{phase}.{lang}.html"
    shot = tmp_path / f"AG01.{phase}.{lang}.png"
    run = _chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    assert shot.exists(), run.stderr[-2000:]
    gray = Image.open(shot).convert("L")
    assert sum(gray.histogram()[:200]) / (gray.width * gray.height) > 0.01

    result = probe_built_report(page, tmp_path)
    assert result["direction"] == ("rtl" if lang == "ar" else "ltr")
    assert result["misplacedSigns"] == [], "sign drawn right of its number in right-to-left text"
    if phase == "impact":
        assert result["signs"] >= 5  # the changes of the key findings were all looked at
    assert result["images"] >= MIN_IMAGES[phase] and result["imagesLoaded"]
    assert 3 <= result["findings"] <= 5


#: Every interval of a built report (an isolated run "\u2066[lo, hi]\u2069", issue 13): where
#: the browser drew its two bounds, and whether they stayed on one line.
INTERVAL_PROBE_JS = r"""
(() => {
  const out = {intervals: 0, reversed: [], broken: []};
  const pattern = /\u2066\[([^\],\u060c]+)[,\u060c]\u00a0([^\]]+)\]\u2069/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    for (const m of node.data.matchAll(pattern)) {
      const lowAt = m.index + 2, highAt = m.index + m[0].length - 2 - m[2].length;
      const low = document.createRange(), high = document.createRange();
      low.setStart(node, lowAt); low.setEnd(node, lowAt + m[1].length);
      high.setStart(node, highAt); high.setEnd(node, highAt + m[2].length);
      const a = low.getBoundingClientRect(), b = high.getBoundingClientRect();
      if (a.width === 0 || b.width === 0) continue;  // not rendered
      out.intervals += 1;
      if (a.left >= b.left) out.reversed.push(m[0]);
      if (Math.abs(a.top - b.top) > 2) out.broken.push(m[0]);
    }
  }
  const pre = document.createElement("pre");
  pre.id = "probe-results";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("phase", ["baseline", "impact"])
def test_when_a_built_report_shows_intervals_then_each_reads_lower_bound_first_on_one_line(
    built_reports, phase, lang, tmp_path
):
    _, reports = built_reports
    page = reports / "AG01" / f"{phase}.{lang}.html"
    probe_page = tmp_path / page.name
    injected = f"<script>{INTERVAL_PROBE_JS}</script></body>"
    probe_page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", injected, 1), encoding="utf-8"
    )
    run = _chromium(
        "--virtual-time-budget=10000", "--dump-dom", probe_page.as_uri(), profile=tmp_path / "p"
    )
    found = re.search(r'<pre id="probe-results">(.*?)</pre>', run.stdout, re.S)
    assert found, f"probe produced no result; stderr: {run.stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    assert result["intervals"] >= 10, result
    assert result["reversed"] == [], "upper bound drawn before the lower bound"
    assert result["broken"] == [], "interval broken across lines"


#: On a phone-sized viewport: which image each report figure shows, and at what scale.
PHONE_PROBE_JS = r"""
(() => {
  const out = {figures: []};
  for (const img of document.querySelectorAll("figure.report-figure img")) {
    const source = img.parentElement.tagName === "PICTURE"
      ? img.parentElement.querySelector("source") : null;
    out.figures.push({
      narrow: source !== null && img.currentSrc === source.srcset,
      hasVariant: source !== null,
      scale: img.getBoundingClientRect().width / img.naturalWidth,
    });
  }
  out.viewport = window.innerWidth;
  out.pageWidth = document.documentElement.scrollWidth;
  parent.postMessage(JSON.stringify(out), "*");
})();
"""

#: The phone: headless Chromium will not make a window narrower than 500 px, so the report
#: opens in a 390 px wide frame (its own viewport for media queries) of a wider page.
PHONE_FRAME_HTML = """<!doctype html><html><body>
<iframe src="{src}" width="390" height="844" style="border:0"></iframe>
<script>
window.addEventListener("message", (event) => {{
  const pre = document.createElement("pre");
  pre.id = "probe-results";
  pre.textContent = event.data;
  document.body.appendChild(pre);
}});
</script></body></html>
"""

#: The smallest text a chart draws (points) and the reports' chart resolution (dpi).
SMALLEST_CHART_TEXT_PT, CHART_DPI = 7.5, 110


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("phase", ["baseline", "intervention", "impact"])
def test_when_a_report_opens_on_a_phone_then_chart_text_stays_at_least_9_px(
    built_reports, phase, lang, tmp_path
):
    """Issue 13: charts keep >= 9 px text at 390 px width (the phone variant of each)."""
    _, reports = built_reports
    page = reports / "AG01" / f"{phase}.{lang}.html"
    probe_page = tmp_path / page.name
    injected = f"<script>{PHONE_PROBE_JS}</script></body>"
    probe_page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", injected, 1), encoding="utf-8"
    )
    frame = tmp_path / "phone.html"
    frame.write_text(PHONE_FRAME_HTML.format(src=probe_page.name), encoding="utf-8")
    run = _chromium(
        "--virtual-time-budget=10000", "--dump-dom", frame.as_uri(), profile=tmp_path / "p"
    )
    found = re.search(r'<pre id="probe-results">(.*?)</pre>', run.stdout, re.S)
    assert found, f"probe produced no result; stderr: {run.stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    figures = result["figures"]
    assert len(figures) >= MIN_IMAGES[phase]
    assert all(f["hasVariant"] and f["narrow"] for f in figures), figures
    smallest_px = min(f["scale"] for f in figures) * SMALLEST_CHART_TEXT_PT * CHART_DPI / 72
    assert smallest_px >= 9, figures
    assert result["viewport"] == 390
    assert result["pageWidth"] <= 390  # nothing wider than the phone but scrolling tables
