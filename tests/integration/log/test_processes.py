"""Several writer processes, a writer killed with SIGKILL, and `sunlight audit` on the result."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from api.storage.log import LogStore

ROOT = Path(__file__).parents[3]
SUNLIGHT = Path(sys.executable).parent / "sunlight"


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "SUNLIGHT_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def _writer(data_dir: Path, url: str, count: int, prefix: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.writer", str(data_dir), str(count), prefix],
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _audit(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUNLIGHT), "audit", "--data-dir", str(data_dir)],
        env=_env(url),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.postgres
def test_eight_processes_append_2000_each_without_gap_or_duplicate(postgres_url, tmp_path):
    LogStore.open(postgres_url).close()  # schema first, so the writers race only on appends
    writers = [_writer(tmp_path, postgres_url, 2000, f"w{i}") for i in range(8)]
    receipts = []
    for w in writers:
        stdout, stderr = w.communicate(timeout=900)
        assert w.returncode == 0, stderr
        receipts += [json.loads(line) for line in stdout.splitlines()]
    assert sorted(r["leaf_index"] for r in receipts) == list(range(16000))
    store = LogStore.open(postgres_url)
    assert [e.index for e in store.iter_entries()] == list(range(16000))
    store.close()
    result = _audit(tmp_path, postgres_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit passed: 16000 entries" in result.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_writer_loses_no_acknowledged_record(backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'log.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    LogStore.open(url).close()
    writer = _writer(tmp_path, url, 100000, "victim")
    acknowledged: list[dict[str, Any]] = []
    assert writer.stdout is not None
    deadline = time.monotonic() + 60
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        acknowledged.append(json.loads(writer.stdout.readline()))
    os.kill(writer.pid, signal.SIGKILL)
    rest, _ = writer.communicate(timeout=30)
    # Lines already written to the pipe before the kill are acknowledged too.
    acknowledged += [json.loads(line) for line in rest.splitlines() if line.endswith("}")]
    assert writer.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 300

    store = LogStore.open(url)
    for receipt in acknowledged:
        stored = store.get(receipt["id"])
        assert stored.index == receipt["leaf_index"]
        assert stored.leaf_hash.hex() == receipt["leaf_hash"]
    assert store.size >= len(acknowledged)
    store.close()
    result = _audit(tmp_path, url)
    assert result.returncode == 0, result.stdout + result.stderr
