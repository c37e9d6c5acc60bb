"""``sunlight serve`` as a child process (api/run/process.py, used by the demo, the benchmarks and
the tests): it stops with the block that started it, and one that never comes up is not left
behind."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.run.process import running_server, start_server

ADMIN = "admin-" + "p" * 40


def test_the_server_stops_with_the_block_that_started_it_even_on_failure(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="the caller failed"),
        running_server(tmp_path / "data", ADMIN, tmp_path / "out" / "server.log") as (proc, base),
    ):
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        raise RuntimeError("the caller failed")
    assert proc.poll() is not None, "sunlight serve outlived the block that started it"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/healthz", timeout=2)


def test_a_server_that_does_not_come_up_is_reaped_and_its_log_named(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server.log"  # its folder does not exist yet
    with pytest.raises(SystemExit, match=f"sunlight serve exited; see {log}"):
        start_server(tmp_path / "data", ADMIN, log, extra_env={"SUNLIGHT_MAX_UPLOAD_BYTES": "-1"})
    assert "SUNLIGHT_MAX_UPLOAD_BYTES: must be greater than 0" in log.read_text()
    assert "Traceback" not in log.read_text()
