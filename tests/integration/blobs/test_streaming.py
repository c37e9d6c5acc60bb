"""A 1 GiB upload streams through hashing into either store without being held in memory.

Each upload runs in a subprocess (tests/support/blob_upload.py) that reports its own peak RSS.
About 10 s in all on the reference machine, so it stays in the default run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support import blob_upload
from tests.support.kubo import KuboDaemon

GIB = 1024**3
MAX_RSS = 128 * 1024**2
ROOT = Path(__file__).resolve().parents[3]


def upload(*args: str) -> dict[str, float]:
    done = subprocess.run(
        blob_upload.command(*args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, float] = json.loads(done.stdout)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_one_gib_into_the_local_store(tmp_path: Path, private: bool) -> None:
    flags = ["--private"] if private else []
    result = upload("--store", "local", "--root", str(tmp_path), "--size", str(GIB), *flags)
    assert result["size"] == GIB
    assert result["maxrss_bytes"] < MAX_RSS, result
    assert result["vmhwm_bytes"] < MAX_RSS, result


@pytest.mark.slow
def test_one_gib_into_kubo(kubo: KuboDaemon, tmp_path: Path) -> None:
    result = upload(
        "--store", "kubo", "--api", kubo.api_url, "--root", str(tmp_path), "--size", str(GIB)
    )
    assert result["size"] == GIB
    assert result["maxrss_bytes"] < MAX_RSS, result
    assert result["vmhwm_bytes"] < MAX_RSS, result
    # give the disk space back to the rest of the session
    response = httpx.post(
        f"{kubo.api_url}/api/v0/pin/rm", params={"arg": str(result["cid"])}, timeout=60
    )
    assert response.status_code == 200
    assert httpx.post(f"{kubo.api_url}/api/v0/repo/gc", timeout=300).status_code == 200
