"""Oversight's stored snapshots on the real database (SQLite and PostgreSQL): a restart loads them
instead of folding the log, and a row edited, copied or left behind in the database is never
believed — the rules still see what the log says.

The attacker here can write the database but does not hold the notary key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from api.run.demo_county import County, append_county, small_county
from api.service.notary import Notary
from api.service.oversight import Oversight
from api.service.snapshot_cache import Folded, StoredSnapshots
from api.settings import Settings
from api.storage.heads import HeadsStore
from api.storage.snapshots import CachedSnapshot, SnapshotCache, oversight_snapshots
from notary.lifecycle import LifecycleRules
from notary.oversight import ProjectSnapshot, evaluate
from notary.oversight.codec import decode_snapshot, encode_snapshot
from notary.records import Record
from notary.signing import NotaryKey

LAX = LifecycleRules(notice_min_days=1)


@pytest.fixture(scope="module")
def county() -> County:
    return small_county()


@dataclass
class World:
    notary: Notary
    settings: Settings
    at: datetime

    @property
    def engine(self) -> Engine:
        return self.notary.log.engine

    def restart(self) -> Oversight:
        """A new server's oversight over the same database (nothing in memory)."""
        return Oversight.open(self.notary, self.settings)

    def rows(self) -> dict[str, CachedSnapshot]:
        with self.engine.connect() as conn:
            found = conn.execute(select(oversight_snapshots)).all()
        return {p: CachedSnapshot(p, h, bytes(m), bytes(b)) for p, h, m, b in found}

    def set_row(self, project: str, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(oversight_snapshots)
                .where(oversight_snapshots.c.project == project)
                .values(**values)
            )

    def append_late(self, code: str, kind: str, data: dict[str, object]) -> None:
        """Append a record of ``kind`` to project ``code``, after everything else."""
        late = Record(
            project=code,
            kind=kind,
            data=data,
            submitter="contractor",
            received_at="2026-12-31T00:00:00Z",
        )
        self.notary.log.append([(f"{self.notary.log.size:032x}", late)])

    def stored(self) -> StoredSnapshots:
        """The stored snapshots as the server's oversight reads them (its key, its rules)."""
        assert self.notary.rules is not None
        return StoredSnapshots(self.engine, self.notary.key, self.notary.rules)


@pytest.fixture
def world(db_url: str, tmp_path: Path, county: County) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    notary = Notary.open(settings)
    append_county(notary, county, LAX)
    yield World(notary, settings, county[2])
    notary.close()


def _alerts(snapshots: dict[str, ProjectSnapshot], at: datetime) -> list[tuple[str, str]]:
    return sorted((a.rule, a.id) for a in evaluate(list(snapshots.values()), at))


def _paid_without_acceptance(world: World, truth: dict[str, ProjectSnapshot]) -> str:
    alert = next(
        a
        for a in evaluate(list(truth.values()), world.at)
        if a.rule == "payment_without_acceptance"
    )
    return alert.subject.projects[0]


def test_a_restart_loads_every_snapshot_stored_by_the_first_build(world: World) -> None:
    truth = world.restart().snapshots()
    rows = world.rows()
    heads = HeadsStore(world.engine).heads_at(world.notary.log.size)
    assert {code: row.head for code, row in rows.items()} == {c: heads[c][0] for c in truth}
    loaded = world.stored().load(0)
    assert loaded.refold == [] and loaded.rejected == 0
    assert loaded.found == truth
    assert world.restart().snapshots() == truth


def test_an_edited_body_hiding_a_payment_is_refolded_and_the_alert_still_raised(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    truth = world.restart().snapshots()
    code = _paid_without_acceptance(world, truth)
    forged = encode_snapshot(truth[code])
    assert forged["payments"]
    forged["payments"] = []  # the payment made before acceptance, gone
    body = json.dumps(forged, ensure_ascii=False, separators=(",", ":")).encode()
    assert decode_snapshot(json.loads(body)).payments == ()
    world.set_row(code, body=body)  # the MAC stays the old one: the key is not in the database
    with caplog.at_level(logging.WARNING, logger="sunlight.api"):
        seen = world.restart().snapshots()
    assert seen == truth
    assert _alerts(seen, world.at) == _alerts(truth, world.at)
    assert any("1 stored snapshot(s) failed" in r.getMessage() for r in caplog.records)
    # the row was written again from the log: the next restart uses it
    assert json.loads(world.rows()[code].body)["payments"]
    assert world.stored().load(0).refold == []


def test_a_body_maced_under_another_key_is_not_believed(world: World) -> None:
    truth = world.restart().snapshots()
    code = _paid_without_acceptance(world, truth)
    forged = {**encode_snapshot(truth[code]), "payments": []}
    assert world.notary.rules is not None
    other = StoredSnapshots(world.engine, NotaryKey.from_seed(b"\x07" * 32), world.notary.rules)
    other.save([Folded(code, world.rows()[code].head, decode_snapshot(forged))])
    assert json.loads(world.rows()[code].body)["payments"] == []
    assert world.restart().snapshots() == truth


def test_a_row_copied_to_another_project_is_not_believed(world: World) -> None:
    truth = world.restart().snapshots()
    victim = _paid_without_acceptance(world, truth)
    clean = next(c for c, s in truth.items() if not s.payments and c != victim)
    rows = world.rows()
    # the clean project's row, MAC and all, put in the victim's place at the victim's head
    world.set_row(victim, body=rows[clean].body, mac=rows[clean].mac)
    assert world.rows()[victim].head == rows[victim].head
    assert world.restart().snapshots() == truth
    assert world.stored().load(0).rejected == 0  # rewritten from the log


def test_a_row_moved_to_the_current_head_after_an_append_is_not_believed(world: World) -> None:
    truth = world.restart().snapshots()
    code = sorted(truth)[0]
    before = world.rows()[code]
    world.append_late(code, "payment", {"amount_fen": 1_000_000})
    # the stale row is of the old head: not used, the payment is seen
    after = world.restart().snapshots()
    assert len(after[code].payments) == len(truth[code].payments) + 1
    # the stale row put back, its head set to the new one: the MAC binds the head
    world.set_row(code, body=before.body, mac=before.mac, head=world.notary.log.size - 1)
    assert world.restart().snapshots()[code] == after[code]


def test_rows_folded_under_other_lifecycle_rules_are_not_used(world: World) -> None:
    world.restart().snapshots()
    ceiling = 123_456_00
    strict = LifecycleRules(notice_min_days=1, small_project_ceiling_fen=ceiling)
    loaded = StoredSnapshots(world.engine, world.notary.key, strict).load(0)
    assert loaded.found == {} and loaded.rejected == len(world.rows())
    snapshots = Oversight(world.notary, strict).snapshots()
    assert {s.ceiling_fen for s in snapshots.values()} == {ceiling}


def test_a_worker_uses_the_row_another_worker_folded(world: World) -> None:
    first, second = world.restart(), world.restart()
    truth = first.snapshots()
    assert second.snapshots() == truth
    code = sorted(truth)[1]
    world.append_late(code, "progress_report", {"percent": 95})
    refreshed = first.snapshots()[code]
    assert world.rows()[code].head == world.notary.log.size - 1
    loaded = world.stored().load(world.notary.log.size - 1)
    assert loaded.found == {code: refreshed} and loaded.refold == []
    assert second.snapshots()[code] == refreshed


def test_an_older_fold_never_overwrites_a_newer_row(world: World) -> None:
    world.restart().snapshots()
    code, row = sorted(world.rows().items())[0]
    SnapshotCache(world.engine).save([CachedSnapshot(code, row.head - 1, b"\x00" * 32, b"null")])
    assert world.rows()[code] == row


def test_a_cache_that_cannot_be_written_does_not_fail_the_page(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with world.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON oversight_snapshots "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON oversight_snapshots "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
    with caplog.at_level(logging.WARNING, logger="sunlight.api"):
        snapshots = world.restart().snapshots()
    assert len(snapshots) == 40
    assert world.rows() == {}
    assert any("not stored" in r.getMessage() for r in caplog.records)
