"""Command line: ``python -m analysis {validate,prepare,build,simulate}`` (DESIGN.md section 7).

Imports are deferred to the chosen command so that ``--help`` and quick commands stay fast.
Input problems are user errors: one line each and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from analysis import config


def _int_in(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high`` (a clear usage error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {value}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Beneficiary-satisfaction study: validate, prepare, build reports, simulate.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data_help = (
        f"study folder (default: {config.DEFAULT_STUDY_DIR.relative_to(config.PROJECT_ROOT)})"
    )
    p = sub.add_parser("validate", help="check a study folder; exit 0, or 2 listing every problem")
    p.add_argument("--data", type=Path, default=config.DEFAULT_STUDY_DIR, help=data_help)

    p = sub.add_parser("prepare", help="apply the quality rules and write processed/ tables")
    p.add_argument("--data", type=Path, default=config.DEFAULT_STUDY_DIR, help=data_help)

    p = sub.add_parser("build", help="run the report notebooks and write HTML, results.csv, portal")
    p.add_argument("--data", type=Path, default=config.DEFAULT_STUDY_DIR, help=data_help)
    p.add_argument("--reports", type=Path, default=config.DEFAULT_REPORTS_DIR, help="output folder")
    p.add_argument(
        "--jobs", type=_int_in(1, 256), default=None, help="parallel workers (default: cores)"
    )
    # action="extend": "--phase baseline --phase impact" means both, as "--phase baseline impact".
    p.add_argument(
        "--agency",
        nargs="+",
        action="extend",
        default=None,
        metavar="ID",
        help="only these agencies",
    )
    p.add_argument(
        "--phase",
        nargs="+",
        action="extend",
        default=None,
        metavar="P",
        help="only these phases (baseline intervention impact regional)",
    )
    p.add_argument(
        "--lang", nargs="+", action="extend", default=None, metavar="L", help="only these languages"
    )
    p.add_argument(
        "--force", action="store_true", help="rebuild every report, even those up to date"
    )
    p.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel for every notebook (reference mode; slower, same output)",
    )
    p.add_argument(
        "--keep-executed",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep every executed notebook in DIR (default: only failed ones, in _failed/)",
    )

    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print every report to PDF beside its HTML (needs Chromium; incremental)",
    )

    p = sub.add_parser("simulate", help="write a synthetic study with planted, recorded effects")
    p.add_argument("--out", type=Path, required=True, help="folder to write the study into")
    p.add_argument(
        "--agencies", type=_int_in(2, 5000), default=30, help="number of agencies (default 30)"
    )
    p.add_argument(
        "--seed", type=_int_in(0, 2**32 - 1), default=config.DEMO_SEED, help="random seed"
    )
    p.add_argument(
        "--responses",
        type=_int_in(1, 100_000),
        default=None,
        help="typical responses per agency and wave (default: realistic 40-600)",
    )
    p.add_argument(
        "--format",
        choices=("plain", "qualtrics", "surveymonkey", "kobo", "google_forms", "microsoft_forms"),
        default="plain",
        help="write the waves as this survey platform exports them (default: plain CSV/XLSX)",
    )
    return parser


#: Where the details of an unexpected error go, in the command's output folder.
ERROR_LOG = "analysis-error.log"


def _log_folder(args: argparse.Namespace) -> Path:
    """The folder a command writes to: the log of its failure belongs next to its outputs."""
    if args.command == "build":
        return Path(args.reports)
    if args.command == "simulate":
        return Path(args.out)
    return config.processed_dir(Path(args.data))


def write_error_log(folder: Path, error: BaseException) -> Path | None:
    """Write the traceback of ``error`` to ``folder/ERROR_LOG`` (or the temp folder); its path.

    ``None`` when neither place is writable: the one-line message then says so.
    """
    import tempfile
    import traceback

    details = "".join(traceback.format_exception(error))
    for place in (folder, Path(tempfile.gettempdir())):
        path = place / ERROR_LOG
        tmp = None
        try:
            place.mkdir(parents=True, exist_ok=True)
            # Through a temporary file: a full disk must not leave a 0-byte log behind.
            fd, tmp = tempfile.mkstemp(dir=place, prefix=f".{ERROR_LOG}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(details)
            os.replace(tmp, path)
            return path
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            continue
    return None


class Terminated(Exception):
    """SIGTERM arrived (``kill``, a scheduler's time limit): stop with one line, exit 143."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def one_line(error: BaseException) -> str:
    """An exception as one readable line: the file and reason of an OSError, else type and text."""
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror}"
    if isinstance(error, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(error, MemoryError):
        return "out of memory (the input is larger than this machine can hold)"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "build":  # build installs its own handlers (it stops its workers)
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(f"{args.command} interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{args.command} terminated", file=sys.stderr)
        return 143
    except Exception as error:  # every command: one line, details in a log, never a traceback
        log = write_error_log(_log_folder(args), error)
        where = f"details in {log}" if log else "no log could be written"
        from analysis.io import escape_invisible

        print(escape_invisible(f"error: {one_line(error)} ({where})"), file=sys.stderr)
        # Bad input is always reported as problems (exit 2) before this point: what reaches
        # here is the machine (a full disk, a folder that cannot be written) or a bug.
        return 1


def _run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen command; errors propagate to :func:`main`."""
    if args.command == "validate":
        from analysis.validate import run_validate

        return run_validate(args.data)
    if args.command == "prepare":
        from analysis.prepare import run_prepare

        return run_prepare(args.data)
    if args.command == "build":
        from analysis.build import build

        return build(
            args.data,
            args.reports,
            jobs=args.jobs,
            agencies=args.agency,
            phases=args.phase,
            langs=args.lang,
            fresh_kernels=args.fresh_kernels,
            force=args.force,
            keep_executed=args.keep_executed,
            pdf=args.pdf,
        )
    if args.command == "simulate":
        from analysis.simulate import simulate_study

        simulate_study(
            args.out,
            agencies=args.agencies,
            seed=args.seed,
            responses=args.responses,
            format=args.format,
        )
        print(f"wrote a synthetic study with {args.agencies} agencies to {args.out}")
        return 0
    return 2
