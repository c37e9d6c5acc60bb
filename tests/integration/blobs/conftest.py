"""Real Kubo nodes for the blob-store tests: one offline daemon for the session, and for the
replication tests a pair (this organisation's node and another's) started and stopped by each test.

Without the binary the tests skip locally and fail under CI (CI=true): scripts/setup/20-kubo.sh
builds it (``make setup-services``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.storage.blobs import KuboBlobStore, LocalBlobStore
from tests.support.kubo import KuboDaemon, kubo_binary, running_kubo
from tests.support.net import free_port

KEK = bytes(range(32))


def require_kubo(available: bool) -> None:
    if available:
        return
    what = "the Kubo (ipfs) binary, built by scripts/setup/20-kubo.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI but is missing")
    pytest.skip(f"{what} is missing (run `make setup-services`)")


@pytest.fixture(scope="session")
def kubo() -> Iterator[KuboDaemon]:
    with running_kubo() as daemon:
        require_kubo(daemon is not None)
        assert daemon is not None
        yield daemon


@pytest.fixture
def kubo_binary_path() -> Path:
    binary = kubo_binary()
    require_kubo(binary is not None)
    assert binary is not None
    return binary


@pytest.fixture
def kubo_store(kubo: KuboDaemon, tmp_path: Path) -> Iterator[KuboBlobStore]:
    with KuboBlobStore(kubo.api_url, meta_dir=tmp_path / "blob-meta", kek=KEK) as store:
        yield store


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", kek=KEK)


@pytest.fixture
def kubo_pair(kubo_binary_path: Path, tmp_path: Path) -> Iterator[tuple[KuboDaemon, KuboDaemon]]:
    """The primary node and a replica (another organisation's), both running; each keeps its API
    port across a stop and a start. Both are stopped and removed whatever the test did."""
    nodes: list[KuboDaemon] = []
    try:
        for name in ("primary", "replica"):
            node = KuboDaemon(kubo_binary_path, repo=tmp_path / f"ipfs-{name}")
            nodes.append(node)
            node.pin_api_port(free_port())
            node.start()
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            node.cleanup()
