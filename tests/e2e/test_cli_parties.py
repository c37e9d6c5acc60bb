"""``sunlight party`` and ``sunlight stamp`` as an operator runs them, beside a server that holds a
registered project: the CLI looks people up as the HTTP routes do, and every refusal is one line
on stderr, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notary.lifecycle import Role
from tests.e2e.test_cli import run
from tests.integration.api.lifecycle_world import World, make_world, registered
from tests.support.lifecycle import CODE


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    for w in make_world(tmp_path):
        yield registered(w)


def cli(world: World, *args: str, ok: bool = True) -> Any:
    result = run(*args, data_dir=world.api.settings.data_dir, check=ok)
    if ok:
        return json.loads(result.stdout.splitlines()[-1])
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr  # no traceback
    return lines[0]


def stored(world: World, record_id: str) -> dict[str, Any]:
    r = world.api.client.get(f"/v1/records/{record_id}", headers=world.api.auth("admin"))
    assert r.status_code == 200, r.text
    return dict(r.json()["record"])


def test_stamp_files_for_the_submitters_organisation_or_prints_the_refusal(
    world: World, tmp_path: Path
) -> None:
    application = tmp_path / "application.pdf"
    application.write_bytes(b"%PDF village application")
    lifecycle = ("--project", CODE, "--stage", "application", "--kind", "application")
    # A submitter the server does not know as a person of an organisation: the gate's refusal.
    says = cli(world, "stamp", str(application), "--submitter", "p-nobody", *lifecycle, ok=False)
    assert "actor.not_registered" in says
    # The village head: their organisation written into the record, acting as its head.
    head, village = (
        world.person(Role.VILLAGE_COMMITTEE_HEAD),
        world.org(Role.VILLAGE_COMMITTEE_HEAD),
    )
    receipt = cli(world, "stamp", str(application), "--submitter", head, *lifecycle)
    record = stored(world, receipt["id"])
    assert record["org"] == village and record["submitter"] == head
    assert record["data"]["actor"] == {"organisation": village, "role": "village_committee_head"}
    assert world.api.client.get(f"/v1/projects/{CODE}").json()["step"] == "review"
    # Nobody files the server's own kinds from the command line either.
    says = cli(world, "stamp", str(application), "--kind", "party_change", ok=False)
    assert "party changes are filed only by" in says


def test_party_create_takes_an_organisation_and_lifecycle_roles(world: World) -> None:
    org = world.org(Role.CONTRACTOR)
    made = cli(
        world,
        *("party", "create", "p-foreman", "--name", "Foreman", "--role", "submitter"),
        *("--kind", "person", "--organisation", org),
        *("--lifecycle-role", "contractor", "--lifecycle-role", "supervisor"),
    )
    assert made["organisation"] == org
    assert made["lifecycle_roles"] == ["contractor", "supervisor"]
    base = ("party", "create", "p-x", "--name", "X", "--role", "submitter", "--kind", "person")
    says = cli(world, *base, "--organisation", org, "--lifecycle-role", "mayor", ok=False)
    assert "unknown lifecycle-role" in says
    assert "no organisation org-nowhere" in cli(
        world, *base, "--organisation", "org-nowhere", ok=False
    )
    assert "a person's, in an organisation" in cli(
        world, *base, "--lifecycle-role", "contractor", ok=False
    )


def test_party_update_files_the_change_or_names_the_rule_it_breaks(world: World) -> None:
    supervisor = world.person(Role.SUPERVISOR)
    move = ("party", "update", supervisor, "--organisation", world.org(Role.TOWNSHIP_ADMINISTRATOR))
    assert "powers.move_conflict" in cli(world, *move, "--by", "admin", ok=False)
    contractor = world.person(Role.CONTRACTOR)
    owner = world.org(Role.FINANCE_REVIEWER)  # holds no power in the project
    update = ("party", "update", contractor, "--organisation", owner)
    assert "lacks the role: admin" in cli(world, *update, "--by", supervisor, ok=False)
    changed = cli(world, *update, "--by", "admin")
    assert changed["party"]["organisation"] == owner
    record = stored(world, changed["record_id"])
    assert record["kind"] == "party_change" and record["submitter"] == "admin"
    assert record["data"]["before"]["organisation"] == world.org(Role.CONTRACTOR)
    assert record["data"]["after"]["organisation"] == owner
    assert "name a change" in cli(world, "party", "update", contractor, "--by", "admin", ok=False)
