"""Command line: ``python -m analysis {validate,prepare,build,simulate}`` (DESIGN.md section 7).

Imports are deferred to the chosen command so that ``--help`` and quick commands stay fast.
Input problems are user errors: one line each and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import config


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
    p.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    p.add_argument("--agency", nargs="+", default=None, metavar="ID", help="only these agencies")
    p.add_argument(
        "--phase",
        nargs="+",
        default=None,
        metavar="P",
        help="only these phases (baseline intervention impact regional)",
    )
    p.add_argument("--lang", nargs="+", default=None, metavar="L", help="only these languages")
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

    p = sub.add_parser("simulate", help="write a synthetic study with planted, recorded effects")
    p.add_argument("--out", type=Path, required=True, help="folder to write the study into")
    p.add_argument("--agencies", type=int, default=30, help="number of agencies (default 30)")
    p.add_argument("--seed", type=int, default=config.DEMO_SEED, help="random seed")
    p.add_argument(
        "--responses",
        type=int,
        default=None,
        help="typical responses per agency and wave (default: realistic 40-600)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
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
            )
        if args.command == "simulate":
            from analysis.simulate import simulate_study

            if args.agencies < 2:
                print("error: --agencies must be at least 2", file=sys.stderr)
                return 2
            simulate_study(
                args.out, agencies=args.agencies, seed=args.seed, responses=args.responses
            )
            print(f"wrote a synthetic study with {args.agencies} agencies to {args.out}")
            return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2
