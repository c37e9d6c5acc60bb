"""``sunlight serve`` as a child process on a free loopback port, for the demo, the benchmarks and
the tests: started, waited for, and stopped with whatever started it — on failure too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

#: How long ``sunlight serve`` may take to answer /healthz (migrations, a cold import cache).
START_TIMEOUT_S = 90.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (another process may take it before it is bound)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    data_dir: Path,
    admin_token: str,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
) -> tuple[subprocess.Popen[bytes], str]:
    """``sunlight serve`` on a free loopback port; returns the process and its base URL once it
    answers /healthz. Anchoring is left to explicit ``POST /v1/anchor`` calls.

    The caller stops it with :func:`stop_server` (or uses :func:`running_server`). If it does not
    come up — it exits, does not answer within :data:`START_TIMEOUT_S`, or the wait is
    interrupted — it is stopped here and ``SystemExit`` names its log.
    """
    port = free_port()
    env = {
        **os.environ,
        "SUNLIGHT_DATA_DIR": str(data_dir),
        "SUNLIGHT_ADMIN_TOKEN": admin_token,
        "SUNLIGHT_ANCHOR_INTERVAL_S": "3600",
        **(extra_env or {}),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:  # the child keeps its own descriptor
        server = subprocess.Popen(  # noqa: S603 - our own executable and arguments
            [
                str(Path(sys.executable).parent / "sunlight"),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(server, base, log_path)
    except BaseException:
        stop_server(server)
        raise
    return server, base


def _wait_healthy(server: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"sunlight serve exited; see {log_path}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(
        f"sunlight serve did not answer within {START_TIMEOUT_S:.0f} s; see {log_path}"
    )


def stop_server(server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (a graceful shutdown); SIGKILL if it has not exited within ``timeout`` seconds.
    Its workers, if any, stop with it (they also stop when it is killed)."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextmanager
def running_server(
    data_dir: Path,
    admin_token: str,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """:func:`start_server`, stopped when the block ends however it ends."""
    server, base = start_server(data_dir, admin_token, log_path, extra_env, workers)
    try:
        yield server, base
    finally:
        stop_server(server)
