"""Write environment.yml from requirements.lock so conda users install exactly the same pins.

Run by `make lock`; tests/test_environment.py asserts that the two files agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")


def lock_pins(lock_text: str) -> dict[str, str]:
    """Exact pins ``name -> version`` from a pip-style lock file."""
    pins = {}
    for line in lock_text.splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def environment_yml(pins: dict[str, str]) -> str:
    lines = [
        "# Generated from requirements.lock by scripts/write_environment_yml.py (make lock): do not edit.",
        "# conda env create -f environment.yml && conda activate satisfaction-notebooks",
        "name: satisfaction-notebooks",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in sorted(pins.items())]
    lines.append("      - -e .")
    return "\n".join(lines) + "\n"


def main() -> int:
    pins = lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    (ROOT / "environment.yml").write_text(environment_yml(pins), encoding="utf-8")
    print(f"environment.yml: {len(pins)} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
