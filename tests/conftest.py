"""Shared fixtures, and the markers that split the suite into tiers.

Real components only: a PostgreSQL server is started for the session. The markers are applied here
by where a test lives and what it uses, so ``pytest -m`` selects them without every file saying so:

- ``browser``: the verification page in Chromium (``tests/e2e/test_verify_page*.py``);
- ``postgres``: needs the PostgreSQL server (the ``postgres``/``postgres_url`` fixtures, or the
  ``postgres`` instance of a test parametrized over databases; ``tests/faults/test_postgres*``);
- ``chain``: needs a real Ethereum node (``tests/integration/anchors``, the contract's security
  tests, the tests that start anvil, the consortium chain of ``tests/integration/consortium``);
- ``slow``: long runs (``tests/faults``, ``tests/fuzz``, ``tests/e2e``, and tests marked ``slow``
  where they are defined);
- ``fast``: the rest of ``tests/unit``, ``tests/vectors`` and ``tests/security`` — the tier
  ``make test-fast`` runs in under a minute; ``make test`` then runs ``-m "not fast"``, so every
  test runs exactly once.
"""

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
TESTS = Path(__file__).resolve().parent

#: Where each marker applies, as paths relative to tests/ (a folder ends with "/"; a file name may
#: be a prefix: "e2e/test_verify_page" covers test_verify_page_forgery.py too).
BY_PATH = {
    "browser": ("e2e/test_verify_page",),
    "postgres": ("faults/test_postgres",),
    "chain": (
        "integration/anchors/",
        "security/test_forgery.py",
        "security/test_contract_admin.py",
        "faults/test_chain_down.py",
        "integration/api/test_serving.py",  # several workers need a real node
        "integration/consortium/",  # three clique validators and a public node (geth 1.13.15)
    ),
    "slow": ("faults/", "fuzz/", "e2e/", "integration/consortium/"),
}
#: Fixtures that start a real component.
BY_FIXTURE = {
    "postgres": ("postgres", "postgres_url"),
    "chain": ("anvil_node", "geth_node", "anvil_chain"),
}
FAST_PATHS = ("unit/", "vectors/", "security/")
HEAVY = ("browser", "postgres", "chain", "slow")


def _markers_of(item: pytest.Item) -> set[str]:
    path = item.path.resolve()
    where = path.relative_to(TESTS).as_posix() if path.is_relative_to(TESTS) else ""
    fixtures = set(getattr(item, "fixturenames", ()))
    found = {name for name, paths in BY_PATH.items() if where.startswith(paths)}
    found |= {name for name, uses in BY_FIXTURE.items() if fixtures & set(uses)}
    callspec = getattr(item, "callspec", None)  # the [postgres] instance of a test over databases
    if callspec is not None and any(
        v == "postgres" for v in callspec.params.values() if isinstance(v, str)
    ):
        found.add("postgres")
    found |= {m.name for m in item.iter_markers() if m.name in HEAVY}
    if where.startswith(FAST_PATHS) and not found & set(HEAVY):
        found.add("fast")
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for name in sorted(_markers_of(item)):
            item.add_marker(name)


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
