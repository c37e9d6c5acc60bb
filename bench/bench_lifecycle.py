"""The record path with the lifecycle's checks against the same path without, in the same run.

Twenty projects are brought to implementation with their contract signed; then 4 000 site photos
by their contractors are filed in groups of 100 (what the committer hands the notary when 100
requests arrive together). Each request looks its submitter up, as the server's do whether or not
the rules are enforced (:func:`api.service.lifecycle.attribute`: the record names the submitter's
organisation, one query per request); with the checks, the gate judges each record inside the
append's transaction and stores the project's new state; without, the same records are appended
to an identical log that enforces nothing, the two logs taking turns group by group so that a
machine that slows down for a moment slows both alike. The best of five rounds each, on
SQLite with ``synchronous`` FULL (as served) and NORMAL (which leaves the CPU cost of the checks
exposed). This is the innermost path, where the checks weigh most. Each round starts as a served
process does (``api.run.serving.Server``): a full collection, then what start-up built frozen out
of the collector's sight, so that neither side's collections walk the setup again.

Then the whole path: site photos posted one by one to ``POST /v1/records`` of an in-process app
(auth, multipart, blob store, group commit of one, receipt), with its rules and with them set
aside, rounds interleaved.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
import time
from pathlib import Path

from api.service.lifecycle import REGISTRATION, attribute
from api.service.notary import Notary
from api.settings import Settings
from api.storage.parties import PartyStore
from bench._util import figure, header
from notary.lifecycle import Actor, Role
from notary.records import Record
from tests.integration.api.lifecycle_world import contracting, make_world
from tests.integration.api.lifecycle_world import registered as world_registered
from tests.integration.api.lifecycle_world import to_implementation as to_world_implementation
from tests.support.lifecycle import CAST, Story, actor, at_text, contracted, registered
from tests.support.lifecycle import to_implementation as implementing
from tests.support.lifecycle import to_notice as noticing

PROJECTS = 20
PHOTOS = 4000
GROUP = 100
ROUNDS = 5
PEOPLE: dict[str, Actor] = {a.person: a for a in (actor(r) for r in Role)}


def _story() -> Story:
    return contracted(implementing(noticing(registered())))


def _as_project(record: Record, code: str) -> Record:
    data = {**record.data, "code": code} if record.kind == REGISTRATION else record.data
    return record.model_copy(update={"project": code, "data": data})


def _photo(code: str, n: int, story: Story) -> Record:
    contractor = actor(Role.CONTRACTOR)
    return Record(
        project=code,
        stage="implementation",
        kind="site_photo",
        data={
            "actor": {"organisation": contractor.organisation, "role": "contractor"},
            "n": n,
        },
        submitter=contractor.person,
        received_at=at_text(story.at),
    )


def _notary(path: Path, synchronous: str, *, checks: bool) -> Notary:
    """A log with the cast registered and the projects under way (the checks on or off)."""
    settings = Settings(data_dir=path, sqlite_synchronous=synchronous)
    notary = Notary.open(settings)
    parties = PartyStore(notary.log.engine)
    for role, (person, org) in CAST.items():
        parties.create_party(
            person, person, "person", ("submitter",), organisation=org, lifecycle_roles=(role,)
        )
    story = _story()
    setup = [_as_project(r, f"B-{p}") for p in range(PROJECTS) for r in story.records]
    notary.submit(setup, people=PEOPLE)
    if not checks:
        notary.rules = None
    return notary


def _file_group(notary: Notary, parties: PartyStore, group: list[Record]) -> float:
    """The time to file one group as the server does: each request looks its submitter up, then
    the notary appends the group in one transaction."""
    start = time.perf_counter()
    records, people = [], {}
    for submitted in group:
        record, found = attribute(parties, submitted)  # the request's look-up of its submitter
        people.update(found)
        records.append(record)
    outcomes = notary.submit(records, isolate_failures=True, people=people)
    elapsed = time.perf_counter() - start
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    return elapsed


def _file(notaries: dict[bool, Notary], records: list[Record]) -> dict[bool, float]:
    """The time each notary takes to file ``records``, group by group, the two taking turns at
    each group (each going first every other group): a machine that slows down for a moment
    slows both alike."""
    # As the server's: a person read within SUNLIGHT_AUTH_CACHE_S is not read again.
    parties = {
        checks: PartyStore(n.log.engine, cache_s=n.settings.auth_cache_s)
        for checks, n in notaries.items()
    }
    # As served (api.run.serving.Server): what start-up built is frozen out of the collector's
    # sight, so neither side's collections walk the setup again.
    gc.collect()
    gc.freeze()
    try:
        taken = dict.fromkeys(notaries, 0.0)
        for n, at in enumerate(range(0, len(records), GROUP)):
            group = records[at : at + GROUP]
            for checks in (False, True) if n % 2 == 0 else (True, False):
                taken[checks] += _file_group(notaries[checks], parties[checks], group)
        return taken
    finally:
        gc.unfreeze()


def _rates(synchronous: str) -> tuple[float, float]:
    """Records per second without and with the checks, the best round of each."""
    story = _story()
    photos = [_photo(f"B-{i % PROJECTS}", i, story) for i in range(PHOTOS)]
    best = {False: float("inf"), True: float("inf")}
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            notaries = {}
            try:
                for checks in (False, True):
                    path = Path(tmp) / ("with" if checks else "without")
                    path.mkdir()
                    notaries[checks] = _notary(path, synchronous, checks=checks)
                for checks, taken in _file(notaries, photos).items():
                    best[checks] = min(best[checks], taken)
            finally:
                for notary in notaries.values():
                    notary.close()
    return PHOTOS / best[False], PHOTOS / best[True]


def _http_rates(requests: int = 300) -> tuple[float, float]:
    """Site photos (1 KiB files) posted one after another to ``POST /v1/records`` of an
    in-process app, with the checks and then without (the same app, its rules set aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        for world in make_world(Path(tmp)):
            contracting(to_world_implementation(world_registered(world)))
            meta = world.meta("site_photo", Role.CONTRACTOR, {})
            headers = world.api.auth(world.person(Role.CONTRACTOR))
            best = {False: float("inf"), True: float("inf")}
            rules = world.ctx.notary.rules
            for _ in range(ROUNDS):
                for checks in (False, True):
                    world.ctx.notary.rules = rules if checks else None
                    start = time.perf_counter()
                    for i in range(requests):
                        r = world.api.client.post(
                            "/v1/records",
                            headers=headers,
                            data={"meta": json.dumps({**meta, "data": {**meta["data"], "n": i}})},
                            files={"file": ("photo.jpg", os.urandom(1024), "image/jpeg")},
                        )
                        assert r.status_code == 201, r.text
                    best[checks] = min(best[checks], time.perf_counter() - start)
    return requests / best[False], requests / best[True]


def _ratio(name: str, without: float, with_checks: float) -> None:
    figure(f"records/s without checks ({name})", f"{without:,.0f}")
    figure(f"records/s with checks ({name})", f"{with_checks:,.0f}")
    ratio = with_checks / without
    below = "" if ratio >= 0.8 else "  BELOW TARGET"
    figure(f"ratio with/without ({name})", f"{ratio:.2f}x", "target >= 0.80x" + below)


def main() -> None:
    header(f"lifecycle: {PHOTOS} site photos in {PROJECTS} projects, groups of {GROUP}")
    for synchronous in ("FULL", "NORMAL"):
        _ratio(f"notary, {synchronous}", *_rates(synchronous))
    header("lifecycle: POST /v1/records one at a time, in-process app (SQLite, FULL)")
    _ratio("HTTP", *_http_rates())


if __name__ == "__main__":
    main()
