"""``LogStore.append(within=...)``: writes made in the append's transaction commit with its records
or not at all, on SQLite and PostgreSQL (what keeps a party's change and its ``party_change``
record from ever diverging)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, insert, select

from api.storage.log import LogStore
from api.storage.projects import organisations
from notary.errors import LogError, NotaryError
from notary.records import Record

NOW = "2026-11-23T00:01:03Z"


def rec(i: int) -> Record:
    return Record(submitter="tester", data={"i": i}, received_at=NOW)


def add_org(org_id: str, *, then_fail: bool = False) -> Callable[[Connection], None]:
    def within(conn: Connection) -> None:
        conn.execute(
            insert(organisations).values(
                id=org_id, name=org_id, kind="contractor", region="X", created_at=NOW
            )
        )
        if then_fail:
            raise NotaryError("refused after writing")

    return within


def orgs(log: LogStore) -> set[str]:
    with log.engine.connect() as conn:
        return set(conn.execute(select(organisations.c.id)).scalars())


def test_a_write_within_commits_with_the_records(log: LogStore) -> None:
    [appended] = log.append([("a", rec(0))], within=add_org("org-a"))
    assert appended.index == 0 and log.size == 1
    assert orgs(log) == {"org-a"}


def test_a_refusal_within_appends_nothing_and_undoes_its_own_writes(log: LogStore) -> None:
    with pytest.raises(NotaryError, match="refused after writing"):
        log.append([("a", rec(0))], within=add_org("org-a", then_fail=True))
    assert log.size == 0 and orgs(log) == set()


def test_records_that_fail_undo_the_write_within(log: LogStore) -> None:
    log.append([("a", rec(0))])
    with pytest.raises(LogError):  # the record id is taken: the append fails after within ran
        log.append([("a", rec(1))], within=add_org("org-b"))
    assert log.size == 1 and orgs(log) == set()
