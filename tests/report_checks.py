"""What every built report must be, whatever its phase: checks shared by the report tests."""

from __future__ import annotations

import re

from analysis.report import check_self_contained


def assert_stakeholder_html(html: str, lang: str) -> list[str]:
    """Assert a built report is self-contained, code-free, in its direction, with alt text.

    No external script or stylesheet, no code cell, prompt, traceback or import line,
    ``<html lang dir>`` of the language, alt text of 10 characters or more on every image.
    Returns the ``<img>`` tags, for the caller's own count of charts.
    """
    assert check_self_contained(html) == []
    assert not re.search(r"<(script|link)\b[^>]*(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert not re.search(r'class="[^"]*jp-(InputArea|InputPrompt|OutputPrompt)\b', html)
    assert "In&nbsp;[" not in html and "Traceback" not in html and "import " not in html
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in html
    images = re.findall(r"<img\b[^>]*>", html)
    assert all(re.search(r'alt="[^"]{10,}"', img) for img in images)
    return images
