"""The committed contract artifact is what the sources compile to, and the Hardhat suite passes.

Both need node_modules (`npm ci`, done by scripts/setup/30-node.sh); without it they skip locally
and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from anchors.contract import decode_revert, revert_error
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[3]
HAVE_NODE = (ROOT / "node_modules" / "solc").is_dir() and shutil.which("node") is not None


@pytest.mark.slow
def test_committed_artifact_is_up_to_date() -> None:
    require(HAVE_NODE, "node and node_modules (npm ci)")
    done = subprocess.run(
        [sys.executable, "scripts/compile_contracts.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + done.stdout


@pytest.mark.slow
def test_hardhat_suite_passes() -> None:
    require(HAVE_NODE and (ROOT / "node_modules" / "hardhat").is_dir(), "Hardhat (npm ci)")
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "CI": "true"}
    done = subprocess.run(
        ["npx", "--no-install", "hardhat", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-5000:]
    assert " passing" in out and " failing" not in out, out[-5000:]


def test_custom_errors_decode_into_clear_messages() -> None:
    selector = keccak(text="EvidenceAnchorSizeNotIncreasing(uint64,uint64)")[:4]
    selector_args = selector + bytes.fromhex(f"{100:064x}" + f"{150:064x}")
    assert decode_revert(selector_args) == ("EvidenceAnchorSizeNotIncreasing", (100, 150))
    err = revert_error(selector_args, context="anchoring tree size 150")
    assert err.error == "EvidenceAnchorSizeNotIncreasing"
    assert "already anchored" in str(err)
    assert decode_revert(b"\x00\x01") is None
    assert decode_revert(selector + b"\x01") is None  # garbled arguments
    assert "without a known error" in str(revert_error(b"\xde\xad\xbe\xef", context="x"))
