"""Shared fixtures. Real components only: a PostgreSQL server is started for the session."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.storage.log import LogStore
from tests.integration.anchors import nodes
from tests.support.postgres import PostgresServer, running_postgres

IN_CI = os.environ.get("CI") == "true"


def require(available: bool, what: str) -> None:
    """Skip locally when a real component is missing; under CI that is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI but is not available")
    pytest.skip(f"{what} is not available (run `make setup-services`)")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        require(server is not None, "PostgreSQL")
        assert server is not None
        yield server


_db_counter = itertools.count()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    return postgres.create_database(f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'log.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def log(db_url: str) -> Iterator[LogStore]:
    store = LogStore.open(db_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nodes.Node]:
    """One anvil for the session (each test deploys its own contract on it)."""
    require(nodes.anvil_available(), f"anvil ({nodes.ANVIL}; run `npm ci`)")
    with nodes.running(nodes.anvil(tmp_path_factory.mktemp("anvil"))) as node:
        yield node
