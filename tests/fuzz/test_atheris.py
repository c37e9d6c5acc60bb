"""Runs the atheris (libFuzzer) fuzzer of the proof-bundle parser for a bounded time under pytest.

``SUNLIGHT_ATHERIS_SECONDS`` sets the time (default 20). A crash fails the test and prints the
input libFuzzer saved.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import require

SCRIPT = Path(__file__).with_name("atheris_bundle.py")


def _have_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_bundle_parser_survives_coverage_guided_fuzzing(tmp_path: Path) -> None:
    require(_have_atheris(), "atheris (pip install -e '.[dev]')")
    seconds = int(os.environ.get("SUNLIGHT_ATHERIS_SECONDS", "20"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in (SCRIPT.parent / "corpus" / "bundle").glob("*.json"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            f"-max_total_time={seconds}",
            "-print_final_stats=1",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    runs = re.search(r"stat::number_of_executed_units:\s+(\d+)", log)
    assert runs and int(runs.group(1)) > 1000, log[-3000:]
    print(f"atheris: {runs.group(1)} executions in {seconds} s")
