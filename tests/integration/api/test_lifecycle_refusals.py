"""Every rule the server enforces, refused over HTTP: 422 ``lifecycle_refused`` naming the rule,
why in English and Chinese, and what is allowed instead — and nothing appended."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings, SettingsError
from notary.lifecycle import Role
from tests.integration.api.lifecycle_world import (
    World,
    accepted,
    make_world,
    refusal,
    registered,
    to_implementation,
    to_settlement,
)
from tests.support.lifecycle import CODE, DATA, QUORUM, holder


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path)


def _size(world: World) -> int:
    return world.ctx.notary.log.size


def test_a_budget_over_the_ceiling_is_refused_at_registration(world: World) -> None:
    before = _size(world)
    body = refusal(world.register(budget_fen=40_000_001), "budget.over_ceiling")
    assert body["allowed"] == ["40000000"] and "small_project_ceiling_fen" in body["message"]
    assert _size(world) == before
    assert world.api.client.get(f"/v1/projects/{CODE}").status_code == 404
    assert world.register(budget_fen=40_000_000).status_code == 201


def test_a_record_of_another_step_is_refused(world: World) -> None:
    registered(world)
    body = refusal(world.file("award", Role.VILLAGE_COMMITTEE_HEAD), "step.kind_not_allowed")
    assert body["allowed"] == ["application"]
    wrong_stage = world.file("application", Role.VILLAGE_COMMITTEE_HEAD, stage="review")
    refusal(wrong_stage, "step.wrong_stage")


def test_a_role_that_may_not_file_the_kind_is_refused(world: World) -> None:
    registered(world)
    world.ok("application", Role.VILLAGE_COMMITTEE_HEAD)
    world.ok("review_opinion", Role.TOWNSHIP_ADMINISTRATOR)
    body = refusal(
        world.file("approval", Role.CONTRACTOR, data={"opinion": "ok"}), "role.not_permitted"
    )
    assert body["allowed"] == ["township_administrator"]


def test_acting_for_an_organisation_one_does_not_belong_to_is_refused(world: World) -> None:
    registered(world)
    meta = world.meta("application", Role.VILLAGE_COMMITTEE_HEAD)
    meta["data"]["actor"]["organisation"] = world.org(Role.TOWNSHIP_ADMINISTRATOR)
    r = world.file("application", Role.VILLAGE_COMMITTEE_HEAD, data=meta["data"])
    refusal(r, "actor.mismatch")


def test_one_party_holding_two_of_the_four_powers_is_refused(world: World) -> None:
    registered(world)
    township = world.org(Role.TOWNSHIP_ADMINISTRATOR)
    body = refusal(world.assign("execution", organisation=township), "powers.conflict")
    assert body["allowed"] == ["approval"]
    refusal(world.assign("approval"), "powers.already_assigned")
    refusal(world.assign("execution", by=Role.CONTRACTOR), "role.not_permitted")


def test_an_acceptance_certificate_without_its_quorum_is_refused(world: World) -> None:
    to_settlement(to_implementation(registered(world)))
    world.ok("acceptance_request", Role.CONTRACTOR)
    three = QUORUM[:-1]
    # Names all four, but the township's signature is missing.
    body = refusal(
        world.file("acceptance_certificate", Role.VILLAGE_COMMITTEE_HEAD, signers=three),
        "quorum.unverified_signer",
    )
    assert world.person(Role.TOWNSHIP_ADMINISTRATOR) in body["message"]
    # Names only the three who signed: the township's seat is empty.
    signers = {
        "signers": [
            s
            for s in DATA["acceptance_certificate"]["signers"]
            if s["role"] != "township_administrator"
        ]
    }
    body = refusal(
        world.file("acceptance_certificate", Role.VILLAGE_COMMITTEE_HEAD, signers, signers=three),
        "quorum.missing",
    )
    assert body["allowed"] == ["township"]


def test_a_payment_before_acceptance_is_refused(world: World) -> None:
    to_settlement(to_implementation(registered(world)))
    refusal(
        world.file("payment_request", Role.CONTRACTOR, {"amount_fen": 1_000}),
        "payment.before_acceptance",
    )
    accepted(world)
    world.ok("payment_request", Role.CONTRACTOR, {"amount_fen": 1_000})


def test_a_notice_closed_before_its_period_is_refused(world: World) -> None:
    registered(world)
    world.ok("application", Role.VILLAGE_COMMITTEE_HEAD)
    world.ok("review_opinion", Role.TOWNSHIP_ADMINISTRATOR)
    world.ok("approval", Role.TOWNSHIP_ADMINISTRATOR)
    world.ok("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    world.clock.advance(4.99)
    body = refusal(world.file("notice_closed", Role.TOWNSHIP_ADMINISTRATOR), "notice.too_short")
    assert "notice_min_days" in body["message"] and "公示期" in body["message_zh"]
    world.clock.advance(0.02)
    world.ok("notice_closed", Role.TOWNSHIP_ADMINISTRATOR)


def test_people_outside_the_lifecycle_cannot_file_into_a_project(world: World) -> None:
    registered(world)
    r = world.api.submit("township", world.meta("application", Role.VILLAGE_COMMITTEE_HEAD), None)
    refusal(r, "actor.not_registered")
    # Nor can a registration or a power assignment be private: the project's public face.
    private = world.file("application", Role.VILLAGE_COMMITTEE_HEAD, public=False)
    assert private.status_code == 201  # other records may be private
    r = world.file("power_assignment", Role.COUNTY_ADMINISTRATOR, holder("execution"), public=False)
    refusal(r, "record.must_be_public")


def test_a_code_with_records_outside_the_lifecycle_cannot_be_registered(world: World) -> None:
    meta = {"project": CODE, "stage": "implementation", "kind": "site_photo"}
    assert world.api.submit("township", meta).status_code == 201  # an ungoverned project
    body = refusal(world.register(), "project.code_in_use")
    assert "1 records" in body["message"]


def test_the_ceiling_configured_for_a_village_is_enforced(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[ceiling_overrides_fen]\n"清河镇/李庄村" = 20000000\n', encoding="utf-8")
    for world in make_world(tmp_path, lifecycle_rules=rules):
        body = refusal(world.register(), "budget.over_ceiling")  # 350 000 CNY > 200 000 CNY
        assert body["allowed"] == ["20000000"]
        assert "ceiling_overrides_fen['清河镇/李庄村']" in body["message"]


def test_a_server_with_a_bad_rules_file_does_not_start(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"notice_min_days": "five"}', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"SUNLIGHT_LIFECYCLE_RULES: .*: notice_min_days"):
        create_app(Settings(data_dir=tmp_path, lifecycle_rules=rules), run_anchorer=False)
