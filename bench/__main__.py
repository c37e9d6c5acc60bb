"""``make bench``: every benchmark, or those named: ``python -m bench merkle log hash``."""

from __future__ import annotations

import importlib
import sys

from bench._util import OUT

SUITES = [
    "merkle",
    "log",
    "hash",
    "blobs",
    "chain",
    "consortium",
    "http",
    "completeness",
    "photos",
    "lifecycle",
    "uploads",
    "capture",
    "interface",
    "oversight",
]


def main() -> None:
    wanted = sys.argv[1:] or SUITES
    OUT.mkdir(parents=True, exist_ok=True)  # every suite writes there; a fresh clone has none
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.bench_{name}")
        except ModuleNotFoundError as e:
            print(f"\n== {name}: not available ({e})")
            continue
        module.main()


if __name__ == "__main__":
    main()
