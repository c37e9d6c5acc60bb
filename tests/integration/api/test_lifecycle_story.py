"""A whole project over the API, registration to archive: every step's records accepted in order,
the project's view and timeline as each kind of reader sees them, and the audit of its state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from api.service.audit import audit_log
from api.storage import db
from api.storage.projects import ProjectStore, projects
from notary.lifecycle import Role
from tests.integration.api.lifecycle_world import (
    World,
    accepted,
    contracting,
    make_world,
    registered,
    to_implementation,
    to_settlement,
)
from tests.support.lifecycle import CODE


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[World]:
    yield from make_world(tmp_path, database_url=db_url)


def _step(world: World) -> str:
    return str(world.api.client.get(f"/v1/projects/{CODE}").json()["step"])


def test_a_project_goes_from_registration_to_archive(world: World) -> None:
    registered(world)
    assert _step(world) == "application"
    to_implementation(world)
    assert _step(world) == "implementation"
    to_settlement(world)
    assert _step(world) == "settlement"
    accepted(world)
    world.ok("payment_request", Role.CONTRACTOR, {"amount_fen": 30_000_000})
    world.ok("payment_approval", Role.FINANCE_REVIEWER)
    world.ok("payment", Role.FINANCE_REVIEWER, {"amount_fen": 30_000_000})
    world.ok("audit_opinion", Role.AUDITOR)
    world.ok("settlement", Role.TOWNSHIP_ADMINISTRATOR, {"final_amount_fen": 30_000_000})
    assert _step(world) == "archived"

    # Every record names the person and the organisation responsible.
    timeline = world.api.client.get(f"/v1/projects/{CODE}/timeline").json()
    records = [r for run in timeline["steps"] for r in run["records"]]
    assert [run["stage"] for run in timeline["steps"]] == [
        "application",
        "review",
        "notice",
        "implementation",
        "settlement",
    ]
    assert len(records) == 22 and all(r["org"] for r in records)
    stored = world.api.client.get(f"/v1/records/{records[0]['id']}").json()["record"]
    assert stored["org"] == world.org(Role.VILLAGE_COMMITTEE_HEAD)

    listed = world.api.client.get("/v1/projects", params={"township": "清河镇", "step": "archived"})
    assert [p["code"] for p in listed.json()["projects"]] == [CODE]
    assert world.api.client.get("/v1/projects", params={"step": "review"}).json()["projects"] == []

    report = audit_log(world.ctx.notary.log, rules=world.ctx.notary.rules)
    assert report.ok and report.projects == 1, [str(f) for f in report.findings]


def test_a_project_shows_its_powers_and_what_the_caller_may_file(world: World) -> None:
    registered(world)
    client = world.api.client
    view = client.get(
        f"/v1/projects/{CODE}", headers=world.api.auth(world.person(Role.VILLAGE_COMMITTEE_HEAD))
    ).json()
    assert view["step"] == "application" and view["registration"]["budget_fen"] == 35_000_000
    assert view["registration"]["owner"] == world.org(Role.VILLAGE_COMMITTEE_HEAD)
    assert {p["power"] for p in view["powers"]} == {"approval", "supervision", "evaluation"}
    assert view["may_submit"] == ["application"]
    assert view["state"] is None  # amounts and objections: administrators and auditors only
    anonymous = client.get(f"/v1/projects/{CODE}").json()
    assert anonymous["may_submit"] == [] and anonymous["state"] is None
    audited = client.get(f"/v1/projects/{CODE}", headers=world.api.auth("auditor")).json()
    assert audited["state"]["step"] == "application"
    assert client.get("/v1/projects/XQ-unknown").status_code == 404


def test_a_state_edited_in_the_database_is_named_by_the_audit(world: World) -> None:
    registered(world)
    to_implementation(world)
    log = world.ctx.notary.log
    assert audit_log(log, rules=world.ctx.notary.rules).ok
    with db.write(log.engine) as conn:  # someone moves the project on behind the log's back
        conn.execute(update(projects).where(projects.c.code == CODE).values(step="settlement"))
    findings = [str(f) for f in audit_log(log, rules=world.ctx.notary.rules).findings]
    assert findings == [
        f"project {CODE}: column step is 'settlement', the records give 'implementation'"
    ]


def test_a_record_rewrites_the_columns_only_when_the_stored_ones_differ(world: World) -> None:
    # Most records change the stored state alone (their row's other columns are left unwritten):
    # the state must still be the records', and a column edited behind the log's back is
    # rewritten by the project's next record.
    contracting(to_implementation(registered(world)))
    log, rules = world.ctx.notary.log, world.ctx.notary.rules
    world.ok("site_photo", Role.CONTRACTOR)
    assert audit_log(log, rules=rules).ok
    with db.write(log.engine) as conn:
        conn.execute(update(projects).where(projects.c.code == CODE).values(village="elsewhere"))
    assert not audit_log(log, rules=rules).ok
    world.ok("site_photo", Role.CONTRACTOR)
    assert audit_log(log, rules=rules).ok  # state, leaf index and columns as the records give


def test_powers_are_stored_as_the_state_gives_them_from_a_state_written_elsewhere(
    world: World,
) -> None:
    # An append learns whether its records moved a project's powers from the stored state: one
    # this process did not write (here: the same state, encoded by another writer) is read as
    # what it says.
    to_implementation(registered(world))
    log, rules = world.ctx.notary.log, world.ctx.notary.rules
    store = ProjectStore(log.engine)
    before = store.project(CODE).row.powers
    _reencode(store)
    world.ok("tender_notice", Role.VILLAGE_COMMITTEE_HEAD)  # powers unchanged
    assert store.project(CODE).row.powers == before
    _reencode(store)
    assert world.assign("execution").status_code == 201  # powers moved
    held = store.project(CODE).row.powers
    assert [p for p, _, _ in held] == ["approval", "evaluation", "execution", "supervision"]
    assert audit_log(log, rules=rules).ok


def _reencode(store: ProjectStore) -> None:
    """The project's stored state, the same but encoded as another writer would."""
    state = json.dumps(json.loads(store.project(CODE).row.state), ensure_ascii=False, indent=1)
    with db.write(store.engine) as conn:
        conn.execute(update(projects).where(projects.c.code == CODE).values(state=state))
