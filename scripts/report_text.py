"""Extract the visible text of built HTML reports into plain text files, one per report.

An editor reads a report whole, without the charts' code or the page's styles: headings,
paragraphs, table rows (cells separated by `` | ``), list items, and the charts'
alternative texts (``[chart: ...]``). Used by ``make text``::

    python scripts/report_text.py --reports reports --out reports/text --lang ar

writes ``reports/text/<path of the report>.txt`` for every ``*.<lang>.html`` under
``--reports`` (every language when ``--lang`` is not given). Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

#: Elements whose content is never shown as text.
HIDDEN = {"script", "style", "noscript", "template", "head", "svg", "math"}
#: Elements that start a new line of text.
BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "main", "nav", "aside",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "tr", "table", "caption",
    "figure", "figcaption", "blockquote", "pre", "br", "hr", "details", "summary", "ul", "ol",
}  # fmt: skip
HEADINGS = {"h1": "# ", "h2": "## ", "h3": "### ", "h4": "#### "}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.hidden = 0
        self.in_cell = False

    def _flush(self) -> None:
        text = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(self.line)).strip(" |")
        if text:
            self.lines.append(text)
        self.line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
            return
        if self.hidden:
            return
        if tag in BLOCKS:
            self._flush()
        if tag in HEADINGS:
            self.line.append(HEADINGS[tag])
        elif tag == "li":
            self.line.append("- ")
        elif tag in ("td", "th"):
            if self.in_cell:
                self.line.append(" | ")
            self.in_cell = True
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._flush()
                self.lines.append(f"[chart: {alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden:
            return
        if tag == "tr":
            self.in_cell = False
        if tag in BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.line.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self.lines) + "\n"


def visible_text(html: str) -> str:
    """The text a reader sees in ``html``, one block per line."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--out", type=Path, default=None, help="default: REPORTS/text")
    parser.add_argument("--lang", default=None, help="only reports <name>.<lang>.html")
    args = parser.parse_args(argv)
    out = args.out or args.reports / "text"
    pattern = f"*.{args.lang}.html" if args.lang else "*.html"
    paths = sorted(p for p in args.reports.rglob(pattern) if out not in p.parents)
    if not paths:
        print(f"no reports matching {pattern} under {args.reports}", file=sys.stderr)
        return 1
    for path in paths:
        target = out / path.relative_to(args.reports).with_suffix(".txt")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(visible_text(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
