"""Reading printed reports back with poppler (``pdfinfo``, ``pdfimages``, ``pdftotext``).

What a reader of a printed report must never meet: a figure cut across two pages, a page
that holds only a heading, a heading left at the foot of a page with its content on the
next. Figures are the PDF's images: one drawn on two pages is a cut figure. Headings are
the report's ``<h1>``-``<h4>`` texts, found in each page's text.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

POPPLER = all(shutil.which(tool) for tool in ("pdfinfo", "pdfimages", "pdftotext"))

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u00a0]")
_HEADING = re.compile(r"<h([1-4])\b[^>]*>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def normal(text: str) -> str:
    return " ".join(_BIDI.sub(" ", text).split())


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", out.stdout, re.M).group(1))


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(
        ["pdfinfo", "-enc", "UTF-8", str(pdf)], capture_output=True, text=True, check=True
    )
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    )


def images_by_page(pdf: Path) -> dict[str, set[int]]:
    """Each image object (``"obj gen"``) and the pages it is drawn on (soft masks left out)."""
    out = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    )
    pages: dict[str, set[int]] = defaultdict(set)
    for line in out.stdout.splitlines()[2:]:
        cols = line.split()
        if len(cols) > 11 and cols[2] == "image":
            pages[f"{cols[10]} {cols[11]}"].add(int(cols[0]))
    return dict(pages)


def split_figures(pdf: Path) -> list[tuple[str, list[int]]]:
    """Images drawn on more than one page: figures cut by a page break."""
    return [(obj, sorted(p)) for obj, p in images_by_page(pdf).items() if len(p) > 1]


#: The report's page margins (index.html.j2's @page): text there is the running title and
#: the page number, not the page's content.
MARGIN_PT = 17 / 25.4 * 72
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_LINE = re.compile(
    r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', re.S
)
_WORD = re.compile(r"<word[^>]*>(.*?)</word>", re.S)


def page_lines(pdf: Path) -> list[tuple[float, list[tuple[float, float, str]]]]:
    """Each page's height and its text lines inside the margins: (top, bottom, text)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    pages = []
    for _width, height, body in _PAGE.findall(out.stdout):
        height = float(height)
        lines = []
        for top, bottom, words in _LINE.findall(body):
            top, bottom = float(top), float(bottom)
            if top < MARGIN_PT or bottom > height - MARGIN_PT:
                continue
            text = normal(html.unescape(" ".join(_WORD.findall(words))))
            if text:
                lines.append((top, bottom, text))
        pages.append((height, sorted(lines)))
    return pages


def headings(html_text: str) -> list[str]:
    return [normal(html.unescape(_TAG.sub("", m.group(2)))) for m in _HEADING.finditer(html_text)]


def heading_problems(pdf: Path, html_text: str) -> list[str]:
    """Pages that hold only a heading, and headings left at the foot of a page (the last
    text of the page, in its bottom fifth, with the report going on overleaf)."""
    heads = headings(html_text)

    def is_heading(line: str) -> bool:
        return any(line in head for head in heads)

    with_images: set[int] = set()
    for pages in images_by_page(pdf).values():
        with_images |= pages
    problems = []
    pages = page_lines(pdf)
    for number, (height, lines) in enumerate(pages, start=1):
        if not lines:
            continue
        if number not in with_images and all(is_heading(text) for _, _, text in lines):
            problems.append(f"page {number} holds only a heading: {[t for _, _, t in lines]}")
            continue
        _, bottom, last = lines[-1]
        # A single word ("change") may be the wrapped end of a table cell ("no clear /
        # change") as well as of a heading: it counts as a heading with the line before it.
        if len(last.split()) == 1 and len(lines) > 1:
            last = f"{lines[-2][2]} {last}"
        foot = height - MARGIN_PT - 0.2 * (height - 2 * MARGIN_PT)
        if number < len(pages) and is_heading(last) and bottom > foot:
            problems.append(f"page {number} ends with the heading {last!r}")
    return problems
