"""``sunlight serve --workers 2``: connections opened in a burst spread over both workers, a worker
that dies is replaced, and the workers stop when their supervisor is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.anchors import nodes
from tests.support.net import free_port
from tests.support.server import SUNLIGHT, clean_env

pytestmark = pytest.mark.skipif(not nodes.anvil_available(), reason="anvil is installed by make")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    chain = nodes.anvil(tmp_path).start()
    port = free_port()
    env = clean_env(data_dir=tmp_path / "data", chain_rpc_url=chain.url)
    argv = [SUNLIGHT, "serve", "--no-anchor", "--workers", "2", "--port", str(port)]
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: len(_workers(proc.pid)) == 2 and _both_serve(proc.pid, port), "two workers")
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        chain.stop()


def test_a_burst_of_connections_spreads_over_the_workers(served) -> None:
    proc, port = served
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    try:
        for c in conns:  # every connection is served ...
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: sunlight\r\n\r\n")
        for c in conns:
            assert c.recv(65536).startswith(b"HTTP/1.1 200")
        held = {pid: _connections(pid, port) for pid in _workers(proc.pid)}
        assert sum(held.values()) == 16
        assert min(held.values()) >= 6, held  # ... and neither worker takes them all
    finally:
        for c in conns:
            c.close()


def test_a_dead_worker_is_replaced_and_the_workers_go_with_their_supervisor(served) -> None:
    proc, port = served
    first, second = _workers(proc.pid)
    os.kill(first, signal.SIGKILL)
    _wait(lambda: len(_workers(proc.pid)) == 2 and first not in _workers(proc.pid), "a new worker")
    replacement = next(iter(set(_workers(proc.pid)) - {second}))
    assert all(_answers(port) for _ in range(20))

    proc.kill()  # SIGKILL: the supervisor cannot tell anyone
    proc.wait(timeout=10)
    _wait(lambda: not _alive(second) and not _alive(replacement), "the workers to exit")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _both_serve(supervisor: int, port: int) -> bool:
    """True once each worker has taken a connection (a worker still starting takes none)."""
    seen: set[int] = set()
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: sunlight\r\n\r\n")
            if not c.recv(65536).startswith(b"HTTP/1.1 200"):
                return False
            seen.update(pid for pid in _workers(supervisor) if _connections(pid, port))
        if len(seen) == 2:
            return True
    return False


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _workers(supervisor: int) -> list[int]:
    """The supervisor's worker processes (multiprocessing's resource tracker is not one)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == supervisor and b"spawn_main" in cmdline and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return sorted(pids)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _connections(pid: int, port: int) -> int:
    """Established TCP connections on ``port`` whose sockets ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local_port = int(cols[1].split(":")[1], 16)
        if local_port == port and cols[3] == "01" and cols[9] in inodes:  # 01: ESTABLISHED
            count += 1
    return count
