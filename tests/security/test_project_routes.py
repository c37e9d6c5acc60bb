"""The project routes under attack: a private record of a project must not leak through its view,
its timeline or the list, and hostile registration bodies (huge numbers, deep nesting, duplicate
keys) are refused with a clear 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from notary.lifecycle import Role
from tests.integration.api.lifecycle_world import World, make_world, registered
from tests.support.lifecycle import CODE, REGISTRATION

SECRET = "内部意见 SECRET-OPINION-7f3a"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("project-routes")
    for w in make_world(path, public_burst=100_000):
        registered(w)
        w.ok("application", Role.VILLAGE_COMMITTEE_HEAD)
        yield w


def _project_routes(world: World, headers: dict[str, str]) -> str:
    client = world.api.client
    answers = [
        client.get(path, headers=headers)
        for path in ("/v1/projects", f"/v1/projects/{CODE}", f"/v1/projects/{CODE}/timeline")
    ]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return "\n".join(a.text for a in answers)


def test_a_private_record_does_not_leak_through_the_project_routes(world: World) -> None:
    private = world.ok(
        "review_opinion", Role.TOWNSHIP_ADMINISTRATOR, {"opinion": SECRET}, public=False
    )
    township = world.api.auth(world.person(Role.TOWNSHIP_ADMINISTRATOR))
    # Those who may read it: its submitter, an auditor, an administrator.
    for headers in (township, world.api.auth("auditor"), world.api.auth("admin")):
        assert private["id"] in _project_routes(world, headers)
    # Anyone else — no token, another party of the same project — sees neither it nor its data.
    for headers in ({}, world.api.auth(world.person(Role.CONTRACTOR)), world.api.auth("township")):
        text = _project_routes(world, headers)
        assert private["id"] not in text and SECRET not in text and "review_opinion" not in text
    # The step a private record moved the project to is public; what it says is not.
    assert world.api.client.get(f"/v1/projects/{CODE}").json()["step"] == "review"


@pytest.mark.parametrize(
    ("budget", "status", "error"),
    [
        ("1" + "0" * 80, 400, "invalid_json"),  # a number longer than JSON readers agree on
        (str(2**60), 422, "invalid_record"),  # beyond what every JSON reader holds exactly
        ("1e308", 422, "invalid_record"),
        ("1.5", 422, "lifecycle_refused"),  # not an integer amount of fen
        ("-5", 422, "lifecycle_refused"),
    ],
)
def test_a_registration_with_a_hostile_budget_is_refused(
    world: World, budget: str, status: int, error: str
) -> None:
    head = world.api.auth(world.person(Role.VILLAGE_COMMITTEE_HEAD))
    body = REGISTRATION | {"code": "XQ-hostile", "budget_fen": 0}
    raw = json_text(body).replace('"budget_fen": 0', f'"budget_fen": {budget}')
    r = world.api.client.post(
        "/v1/projects", headers={**head, "Content-Type": "application/json"}, content=raw
    )
    assert r.status_code == status and r.json()["error"] == error, r.text
    assert world.api.client.get("/v1/projects/XQ-hostile").status_code == 404


def test_a_registration_with_hostile_details_is_refused(world: World) -> None:
    head = {
        **world.api.auth(world.person(Role.VILLAGE_COMMITTEE_HEAD)),
        "Content-Type": "application/json",
    }
    deep = json_text(REGISTRATION).replace(
        '"details": {', '"details": {"x": ' + "[" * 100 + "1" + "]" * 100 + ", "
    )
    r = world.api.client.post("/v1/projects", headers=head, content=deep)
    assert r.status_code == 400 and r.json()["error"] == "invalid_json", r.text
    twice = json_text(REGISTRATION)[:-1] + ', "budget_fen": 1}'
    r = world.api.client.post("/v1/projects", headers=head, content=twice)
    assert r.status_code == 400 and "duplicate key" in r.json()["detail"], r.text


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
