"""PATCH /v1/parties/{id} over the API, on SQLite and PostgreSQL: a change of a person's
organisation or roles is a ``party_change`` record written with it, cannot escape the separation of
powers of a live project, leaves records already filed as they were, and is served at once by this
process's token cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notary.lifecycle import Role
from tests.integration.api.lifecycle_world import (
    World,
    accepted,
    contracting,
    make_world,
    refusal,
    registered,
    to_implementation,
    to_settlement,
)

C, T, S = Role.CONTRACTOR, Role.TOWNSHIP_ADMINISTRATOR, Role.SUPERVISOR
OTHER_BUILDER = "org-other-builder"


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[World]:
    # A token is trusted for a minute without a database read: a change must not wait for it.
    for w in make_world(tmp_path, database_url=db_url, auth_cache_s=60):
        body = {
            "id": OTHER_BUILDER,
            "name": "Other",
            "kind": "contractor",
            "region": {"county": "X"},
        }
        r = w.api.client.post("/v1/organisations", headers=w.api.auth("admin"), json=body)
        assert r.status_code == 201, r.text
        yield w


def patch(world: World, party: str, body: Any, who: str = "admin") -> Any:
    return world.api.client.patch(f"/v1/parties/{party}", headers=world.api.auth(who), json=body)


def me(world: World, person: str) -> dict[str, Any]:
    r = world.api.client.get("/v1/parties/me", headers=world.api.auth(person))
    assert r.status_code == 200, r.text
    return dict(r.json())


def log_size(world: World) -> int:
    return world.ctx.notary.log.size


# --- attacks: a change that would let one person act for two powers ---------------------------


def test_the_contractor_holding_execution_cannot_move_to_the_approving_township(
    world: World,
) -> None:
    contracting(to_implementation(registered(world)))
    contractor, size = world.person(C), log_size(world)
    body = refusal(patch(world, contractor, {"organisation": world.org(T)}), "powers.move_conflict")
    assert body["allowed"] == [world.org(C)] and "四权分离" in body["message_zh"]
    assert me(world, contractor)["organisation"] == world.org(C)  # nothing changed
    assert log_size(world) == size  # and no record of a change that did not happen
    # They still act for the contractor, and the township's approval stays out of their reach.
    world.ok("progress_report", C)


def test_the_named_contractor_cannot_step_aside_to_a_shell_company_first(world: World) -> None:
    """The two-step escape: move the named holder of execution to an organisation holding nothing
    in the project, then have that organisation assigned supervision. The first step is refused."""
    contracting(to_implementation(registered(world)))
    contractor, size = world.person(C), log_size(world)
    body = refusal(patch(world, contractor, {"organisation": OTHER_BUILDER}), "powers.holder_moves")
    assert body["allowed"] == [world.org(C)] and "四权分离" in body["message_zh"]
    assert me(world, contractor)["organisation"] == world.org(C)
    assert log_size(world) == size


def test_the_named_supervisor_cannot_be_given_the_contractor_role(world: World) -> None:
    registered(world)
    supervisor = world.person(S)
    r = patch(world, supervisor, {"lifecycle_roles": ["supervisor", "contractor"]})
    body = refusal(r, "powers.role_conflict")
    assert "supervisor" in body["allowed"] and "contractor" not in body["allowed"]
    assert me(world, supervisor)["lifecycle_roles"] == ["supervisor"]


def test_a_township_official_acting_for_approval_cannot_join_a_power_holder(world: World) -> None:
    """Not named as the holder, but their organisation holds approval and their role acts for it:
    they cannot move to the organisation holding supervision."""
    admin = world.api.auth("admin")
    clerk = {
        "id": "p-township-clerk",
        "name": "Clerk",
        "kind": "person",
        "roles": ["submitter"],
        "organisation": world.org(T),
        "lifecycle_roles": ["township_administrator"],
    }
    assert world.api.client.post("/v1/parties", headers=admin, json=clerk).status_code == 201
    registered(world)
    refusal(
        patch(world, "p-township-clerk", {"organisation": world.org(S)}), "powers.move_conflict"
    )


# --- a change that is allowed, and what it leaves behind ---------------------------------------


def test_a_change_is_a_record_naming_the_person_old_and_new_values_and_the_admin(
    world: World,
) -> None:
    registered(world)  # execution is not assigned: the contractor acts for no power yet
    contractor = world.person(C)
    before = world.api.submit(contractor, meta={"data": {"n": 1}})
    assert before.status_code == 201, before.text

    r = patch(world, contractor, {"organisation": OTHER_BUILDER})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["party"]["organisation"] == OTHER_BUILDER
    assert answer["party"]["lifecycle_roles"] == ["contractor"]
    stored = world.api.client.get(f"/v1/records/{answer['record_id']}").json()
    record = stored["record"]
    assert stored["leaf_index"] == answer["receipt"]["leaf_index"]
    assert record["kind"] == "party_change" and record["submitter"] == "admin"
    assert record["project"] is None and record["content"] is None
    assert record["data"] == {
        "party": contractor,
        "before": {
            "organisation": world.org(C),
            "lifecycle_roles": ["contractor"],
            "roles": ["submitter"],
        },
        "after": {
            "organisation": OTHER_BUILDER,
            "lifecycle_roles": ["contractor"],
            "roles": ["submitter"],
        },
    }
    # Records filed before keep the organisation they were filed with; new ones name the new one.
    old = world.api.client.get(f"/v1/records/{before.json()['id']}").json()["record"]
    assert old["org"] == world.org(C)
    after = world.api.submit(contractor, meta={"data": {"n": 2}})
    assert world.api.client.get(f"/v1/records/{after.json()['id']}").json()["record"]["org"] == (
        OTHER_BUILDER
    )
    assert me(world, contractor)["organisation"] == OTHER_BUILDER


def test_the_lifecycle_judges_the_person_as_changed_at_once(world: World) -> None:
    """The person's token was checked (and cached) before the change; their next record is judged
    with their new organisation, not the cached one."""
    to_implementation(registered(world))
    world.ok("tender_notice", Role.VILLAGE_COMMITTEE_HEAD)
    world.ok("bid", C)  # cached: the contractor as of now
    assert patch(world, world.person(C), {"organisation": OTHER_BUILDER}).status_code == 200
    # Still claiming the old organisation: refused, the server knows where they act now.
    refusal(world.file("bid", C), "actor.mismatch")
    moved = world.meta("bid", C)
    moved["data"]["actor"]["organisation"] = OTHER_BUILDER
    r = world.api.client.post(
        "/v1/records", headers=world.api.auth(world.person(C)), data={"meta": json.dumps(moved)}
    )
    assert r.status_code == 201, r.text


def test_roles_taken_away_stop_working_at_once_despite_the_token_cache(world: World) -> None:
    assert world.api.submit("township").status_code == 201  # the token is now cached
    r = patch(world, "township", {"roles": ["auditor"]})
    assert r.status_code == 200 and r.json()["party"]["roles"] == ["auditor"]
    assert world.api.submit("township").status_code == 403


def test_once_archived_a_project_binds_nobody(world: World) -> None:
    accepted(to_settlement(to_implementation(registered(world))))
    world.ok("payment_request", C, {"amount_fen": 30_000_000})
    world.ok("payment_approval", Role.FINANCE_REVIEWER)
    world.ok("payment", Role.FINANCE_REVIEWER, {"amount_fen": 30_000_000})
    world.ok("audit_opinion", Role.AUDITOR)
    world.ok("settlement", T, {"final_amount_fen": 30_000_000})
    r = patch(world, world.person(C), {"organisation": world.org(T)})
    assert r.status_code == 200, r.text


def test_a_change_that_changes_nothing_files_nothing(world: World) -> None:
    size = log_size(world)
    r = patch(world, world.person(C), {"organisation": world.org(C)})
    assert r.status_code == 200 and r.json()["record_id"] is None and r.json()["receipt"] is None
    assert log_size(world) == size


# --- clear refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "body", "who", "status", "says"),
    [
        ("p-nobody", {"roles": ["auditor"]}, "admin", 404, "no party p-nobody"),
        ("p-contractor", {"organisation": "org-nowhere"}, "admin", 404, "no organisation"),
        ("p-contractor", {"roles": ["superuser"]}, "admin", 422, "roles"),
        ("p-contractor", {"lifecycle_roles": ["mayor"]}, "admin", 422, "lifecycle_roles"),
        ("p-contractor", {}, "admin", 422, "at least one"),
        ("p-contractor", {"roles": None}, "admin", 422, "not null"),
        ("p-contractor", {"name": "x"}, "admin", 422, "name"),
        ("p-contractor", {"organisation": None}, "admin", 422, "lifecycle roles are a person's"),
        ("township", {"lifecycle_roles": ["contractor"]}, "admin", 422, "a person's"),
        ("p-contractor", {"roles": ["admin"]}, "p-contractor", 403, "lacks the role"),
        ("p-contractor", {"roles": ["admin"]}, "auditor", 403, "lacks the role"),
    ],
)
def test_a_bad_change_is_a_clear_4xx(
    world: World, party: str, body: Any, who: str, status: int, says: str
) -> None:
    size = log_size(world)
    r = patch(world, party, body, who)
    assert r.status_code == status, r.text
    assert says in r.json()["detail"], r.json()
    assert log_size(world) == size


def test_taking_a_person_out_of_their_organisation_takes_their_roles_too(world: World) -> None:
    registered(world)
    r = patch(world, world.person(C), {"organisation": None, "lifecycle_roles": []})
    assert r.status_code == 200, r.text
    assert r.json()["party"]["organisation"] is None
    refusal(world.file("progress_report", C), "actor.not_registered")


def test_nobody_but_the_server_files_a_party_change(world: World) -> None:
    meta = {"kind": "party_change", "data": {"party": "township", "before": {}, "after": {}}}
    r = world.api.submit("admin", meta=meta, file=None)
    assert r.status_code == 422 and "PATCH /v1/parties" in r.json()["detail"]
