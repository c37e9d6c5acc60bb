"""A database that is gone reaches the callers of every store as a NotaryError subclass (the
log store's LogError), never as a SQLAlchemy or driver exception."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError

from api.storage.anchors import AnchorStore
from api.storage.parties import PartyStore
from notary.errors import LogError, NotaryError


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite-cannot-open", "postgres-nobody-listening"])
def gone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite-cannot-open":  # a directory where the database file should be
        (tmp_path / "sunlight.db").mkdir()
        url = f"sqlite:///{tmp_path / 'sunlight.db'}"
    else:
        url = f"postgresql+psycopg://sunlight@127.0.0.1:{_dead_port()}/sunlight?connect_timeout=5"
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _raises_log_error(call: object) -> None:
    assert callable(call)
    with pytest.raises(LogError, match="the database is unavailable") as e:
        call()
    assert isinstance(e.value, NotaryError)
    assert isinstance(e.value.__cause__, SQLAlchemyError)


def test_party_store(gone: Engine) -> None:
    parties = PartyStore(gone)
    _raises_log_error(lambda: parties.party("township-01"))
    _raises_log_error(lambda: parties.create_party("township-01", "青石镇", "organisation", ()))
    _raises_log_error(lambda: parties.authenticate("sl_0123456789abcdef_secret"))
    _raises_log_error(lambda: parties.signing_key("township-01", "k1"))


def test_anchor_store(gone: Engine) -> None:
    anchors = AnchorStore(gone)
    _raises_log_error(anchors.pending)
    _raises_log_error(anchors.latest_confirmed)
    _raises_log_error(lambda: anchors.mark(1, "failed", "test"))
    _raises_log_error(
        lambda: anchors.record_signed(
            tree_size=1,
            root_hash=bytes(32),
            from_size=0,
            chain_id=1,
            contract="0x" + "11" * 20,
            tx_hash="0x" + "22" * 32,
            nonce=0,
            raw_tx=b"\x01",
            created_at="2026-11-23T00:00:00Z",
        )
    )
