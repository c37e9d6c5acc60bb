"""A worker trusts a token it checked for ``auth_cache_s``; revocation in the same process is
immediate, and in another process takes effect within ``auth_cache_s``."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.storage import db
from api.storage.migrate import upgrade
from api.storage.parties import AuthError, PartyStore
from tests.support.clock import FakeClock


@pytest.fixture
def engine(tmp_path: Path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sunlight.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_revocation_here_is_immediate_and_elsewhere_within_the_cache_time(engine) -> None:
    clock = FakeClock()
    this = PartyStore(engine, cache_s=0.5, clock=clock)
    other = PartyStore(engine, cache_s=0.5, clock=clock)  # another worker on the same database
    this.create_party("township", "Township", "organisation", ("submitter",))
    issued = this.issue_token("township")
    assert this.authenticate(issued.token).party_id == "township"
    assert other.authenticate(issued.token).party_id == "township"
    assert other.recently_checked(issued.token) is not None

    this.revoke_token(issued.id)
    with pytest.raises(AuthError, match="revoked"):
        this.authenticate(issued.token)
    assert other.authenticate(issued.token).party_id == "township"  # still trusted, for now
    clock.advance(0.25)
    assert other.recently_checked(issued.token) is not None
    clock.advance(0.25)  # exactly cache_s after the check
    assert other.recently_checked(issued.token) is None
    with pytest.raises(AuthError, match="revoked"):
        other.authenticate(issued.token)


def test_without_a_cache_every_check_reads_the_database(engine) -> None:
    this = PartyStore(engine)
    other = PartyStore(engine)
    this.create_party("township", "Township", "organisation", ("submitter",))
    issued = this.issue_token("township")
    assert other.authenticate(issued.token).party_id == "township"
    assert other.recently_checked(issued.token) is None
    this.revoke_token(issued.id)
    with pytest.raises(AuthError, match="revoked"):
        other.authenticate(issued.token)


def test_a_bad_token_is_never_cached(engine) -> None:
    store = PartyStore(engine, cache_s=60)
    for _ in range(2):
        with pytest.raises(AuthError, match="not valid"):
            store.authenticate("sl_nope_" + "x" * 40)
    assert store.recently_checked("sl_nope_" + "x" * 40) is None
