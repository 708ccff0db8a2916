"""PDF of a report: headless Chromium prints the report's own HTML (``build --pdf``).

Why Chromium and not WeasyPrint (measured on the small simulated study, issue 13): both
shape Arabic correctly (HarfBuzz in each); Chromium is the engine the browser tests and
most readers use, so the PDF is the page they see (CSS grid, ``:has()``, the same line
breaks), it writes a tagged PDF with ``/Lang`` and ``/Title`` from the page, and it
supports the ``@page`` margin boxes that put the title and page numbers in the margin. It
needs no new Python package (Debian's ``chromium`` is on the machines already for the
browser tests) and printed a report in about 3.5 s against WeasyPrint's 6.5 s. Its only
non-determinism is the creation and modification dates, which are blanked here (same
length, so the cross-reference table stays valid): two prints give the same bytes.

The renderer is pinned by what the machine has installed; its version is part of each
PDF's key in the build manifest, so an upgrade reprints every PDF.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

#: Environment variable naming the Chromium binary (default: ``chromium`` on the PATH).
CHROMIUM_ENV = "ANALYSIS_CHROMIUM"
INSTALL_HINT = "apt-get install -y chromium fonts-noto-core"
#: Seconds one report may take to print before it counts as failed.
TIMEOUT_S = 180

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--force-device-scale-factor=1",
    # The page's own @page margin boxes give the title and page numbers, not Chromium's.
    "--no-pdf-header-footer",
)

# Skia writes /CreationDate (D:20250101120000+00'00') and /ModDate alike.
_DATES = re.compile(rb"/(?:CreationDate|ModDate)\s*\(D:[^)]*\)")


class PdfError(RuntimeError):
    """A report could not be printed: the message is one line."""


def find_chromium() -> str | None:
    """The Chromium binary to print with, or ``None`` when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_renderer_message() -> str:
    return (
        f"--pdf needs headless Chromium, which is not installed ({INSTALL_HINT}, or set "
        f"{CHROMIUM_ENV}=/path/to/chromium); build without --pdf for the HTML reports only"
    )


def renderer_version(chromium: str) -> str:
    """``Chromium 156.0.8078.114 ...``: part of every PDF's key."""
    try:
        done = subprocess.run(
            [chromium, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PdfError(f"{chromium} --version failed: {exc}") from None
    return done.stdout.strip() or chromium


def strip_dates(pdf: bytes) -> bytes:
    """Blank the creation and modification dates (same length: offsets stay valid)."""
    return _DATES.sub(lambda m: b" " * len(m.group(0)), pdf)


def print_pdf(html_path: Path, chromium: str) -> bytes:
    """The PDF bytes of one HTML file, printed on A4 by headless Chromium.

    Raises
    ------
    PdfError
        When Chromium fails, times out or writes no PDF.
    """
    html_path = Path(html_path).resolve()
    with tempfile.TemporaryDirectory(prefix="analysis-pdf-") as scratch:
        out = Path(scratch) / "out.pdf"
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--print-to-pdf={out}",
            html_path.as_uri(),
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"{html_path.name}: Chromium did not print in {TIMEOUT_S} s") from None
        except OSError as exc:
            raise PdfError(f"{html_path.name}: could not start {chromium} ({exc})") from None
        if not out.is_file() or out.stat().st_size == 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            why = lines[-1] if lines else f"exit status {done.returncode}"
            raise PdfError(f"{html_path.name}: Chromium wrote no PDF ({why})")
        return strip_dates(out.read_bytes())


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pdf_path(html: str) -> str:
    """``AG01/baseline.ar.html`` -> ``AG01/baseline.ar.pdf``."""
    return html.removesuffix(".html") + ".pdf"


def update_pdfs(
    reports_dir: Path,
    htmls: list[str],
    manifest: dict,
    chromium: str,
    workers: int = 1,
    force: bool = False,
    on_done: Any = None,
) -> tuple[int, int, list[str]]:
    """Print the PDF beside each report of ``htmls`` that is missing or stale.

    A PDF is stale when its HTML's bytes or the renderer's version changed since it was
    printed, when it is missing or was modified since, or with ``force``;
    ``manifest["pdf"]`` records each one's key and file stamp. Chromium processes run
    ``workers`` at a time. Returns (printed, up to date, one-line errors).
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from analysis.build import WriteError, write_bytes_atomic

    reports_dir = Path(reports_dir)
    records = manifest.setdefault("pdf", {})
    version = renderer_version(chromium)
    todo: dict[str, str] = {}
    up_to_date = 0
    for html in htmls:
        source = reports_dir / html
        if not source.is_file():
            continue
        key = f"{version}\n{_digest(source)}"
        target = reports_dir / pdf_path(html)
        entry = records.get(html) or {}
        if (
            not force
            and entry.get("key") == key
            and target.is_file()
            and {"size": target.stat().st_size, "mtime_ns": target.stat().st_mtime_ns}
            == {k: entry.get(k) for k in ("size", "mtime_ns")}
        ):
            up_to_date += 1
        else:
            todo[html] = key
    errors: list[str] = []
    printed = 0
    if not todo:
        return printed, up_to_date, errors

    def one(html: str) -> str:
        payload = print_pdf(reports_dir / html, chromium)
        try:
            write_bytes_atomic(reports_dir / pdf_path(html), payload)
        except WriteError as exc:
            raise PdfError(str(exc)) from None
        return html

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pdf")
    try:
        futures = {pool.submit(one, html): html for html in todo}
        for future in as_completed(futures):
            html = futures[future]
            try:
                future.result()
            except PdfError as exc:
                records.pop(html, None)
                errors.append(f"PDF not written: {exc}")
                continue
            stat = (reports_dir / pdf_path(html)).stat()
            records[html] = {"key": todo[html], "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
            printed += 1
            if on_done is not None:
                on_done(html)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return printed, up_to_date, errors
