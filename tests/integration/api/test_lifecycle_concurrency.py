"""Two conflicting lifecycle records at once: the check is serialised with the append, so exactly
one is accepted — over HTTP (one group commit, or two) and from two writers' own transactions on
each database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from api.service.lifecycle import people_of
from notary.errors import NotaryError
from notary.lifecycle import LifecycleRefusal, Role
from notary.records import Record
from tests.integration.api.lifecycle_world import (
    World,
    make_world,
    refusal,
    registered,
    to_implementation,
)
from tests.support.lifecycle import CODE

T = TypeVar("T")


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[World]:
    yield from make_world(tmp_path, database_url=db_url)


def _bidding(world: World) -> World:
    to_implementation(registered(world))
    world.ok("tender_notice", Role.VILLAGE_COMMITTEE_HEAD)
    world.ok("bid", Role.CONTRACTOR)
    return world


def _at_once(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` on threads released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_awards_over_http_at_once_exactly_one_is_accepted(world: World) -> None:
    _bidding(world)
    answers: list[Any] = _at_once(
        *[lambda: world.file("award", Role.VILLAGE_COMMITTEE_HEAD) for _ in range(2)]
    )
    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    refusal(next(a for a in answers if a.status_code == 422), "order.already_recorded")
    timeline = world.api.client.get(f"/v1/projects/{CODE}/timeline").json()
    kinds = [r["kind"] for run in timeline["steps"] for r in run["records"]]
    assert kinds.count("award") == 1


def test_two_writers_in_their_own_transactions_accept_exactly_one_award(world: World) -> None:
    _bidding(world)
    notary = world.ctx.notary
    head = world.person(Role.VILLAGE_COMMITTEE_HEAD)
    people = people_of(world.ctx.parties, {head})

    def award() -> Any:
        meta = world.meta("award", Role.VILLAGE_COMMITTEE_HEAD)
        record = Record.model_validate({**meta, "submitter": head, "received_at": notary.clock()})
        try:
            return notary.submit([record], people=people)[0]
        except NotaryError as e:
            return e

    outcomes = _at_once(award, award)
    refused = [o for o in outcomes if isinstance(o, LifecycleRefusal)]
    assert len(refused) == 1 and refused[0].rule == "order.already_recorded", outcomes
    assert world.ctx.projects.project(CODE).leaf_index == notary.log.size - 1
