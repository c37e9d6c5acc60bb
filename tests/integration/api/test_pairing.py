"""Pairing a field device and the requests it signs (docs/field-capture.md), over the real API:
attacks first — guessed, reused, expired and mistyped codes, forged, replayed, re-targeted and
revoked device requests — then the device filing a project's records without a bearer token."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.storage.devices import MAX_ATTEMPTS, DeviceStore, PairingRefused, luhn_digit
from notary.lifecycle import Role
from notary.sigalgs import Alg, PartyKey
from tests.integration.api.lifecycle_world import (
    World,
    contracting,
    make_world,
    refusal,
    registered,
    to_implementation,
)
from tests.support.clock import FakeClock
from tests.support.device import Device, new_key
from tests.support.lifecycle import CODE

CONTRACTOR = "p-contractor"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, auth_failures_per_minute=1000)


def issue(world: World, party: str = CONTRACTOR, by: Role = Role.TOWNSHIP_ADMINISTRATOR) -> Any:
    auth = world.api.auth(world.person(by))
    return world.api.client.post("/v1/pairing-codes", headers=auth, json={"party": party})


def pair(world: World, code: str, device: Device | None = None) -> Any:
    device = device or Device()
    return world.api.client.post("/v1/devices", json=device.pairing(code))


def paired(world: World, alg: Alg = "ed25519") -> Device:
    r = issue(world)
    assert r.status_code == 201, r.text
    device = Device(new_key(alg))
    answer = pair(world, r.json()["code"], device)
    assert answer.status_code == 201, answer.text
    return device.paired(answer.json())


def other_secret(code: str) -> str:
    """A well-formed code of the same slot with another secret (a guess that counts)."""
    secret = f"{(int(code[4:10]) + 1) % 1_000_000:06d}"
    body = code[:4] + secret
    return body + luhn_digit(body)


def in_implementation(world: World) -> World:
    return contracting(to_implementation(registered(world)))


def progress(percent: int = 40) -> dict[str, Any]:
    acting = {"organisation": "org-jianshe-construction", "role": "contractor"}
    return {
        "project": CODE,
        "stage": "implementation",
        "kind": "progress_report",
        "data": {"actor": acting, "percent": percent, "note": "北段路基完成"},
    }


# --- pairing codes -------------------------------------------------------------------------------


def test_a_code_pairs_one_device_and_only_once(world: World) -> None:
    code = issue(world).json()["code"]
    first = pair(world, code)
    assert first.status_code == 201, first.text
    again = pair(world, code)
    assert again.status_code == 401 and "used or expired" in again.json()["detail"]
    # The device key is a key of the person, registered in the log by the code's issuer.
    entry = world.api.client.get(f"/v1/records/{first.json()['record_id']}").json()["record"]
    assert entry["kind"] == "key_registration" and entry["submitter"] == "p-township-admin"
    assert entry["data"]["party"] == CONTRACTOR
    assert entry["data"]["key_id"] == first.json()["key_id"]


def test_wrong_secrets_close_the_code(world: World) -> None:
    code = issue(world).json()["code"]
    for _ in range(MAX_ATTEMPTS):
        guess = pair(world, other_secret(code))
        assert guess.status_code == 401
    assert pair(world, code).status_code == 401, "a code guessed at 5 times must be closed"


def test_a_typo_is_caught_by_the_check_digit_and_costs_no_try(world: World) -> None:
    code = issue(world).json()["code"]
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    for _ in range(MAX_ATTEMPTS + 2):
        r = pair(world, typo)
        assert r.status_code == 422 and "typo" in r.json()["detail"]
    assert pair(world, f"{code[:3]} {code[3:7]} {code[7:]}").status_code == 201


def test_an_expired_code_is_refused(world: World) -> None:
    clock = FakeClock(start=time.time())
    store = DeviceStore(world.ctx.notary.log.engine, clock=clock)
    issued = store.issue(CONTRACTOR, "admin", ttl_s=60)
    clock.advance(61)
    with pytest.raises(PairingRefused):
        store.redeem(issued.code)


def test_wrong_codes_are_limited_per_address(tmp_path: Path) -> None:
    for world in make_world(tmp_path, auth_failures_per_minute=3):
        code = issue(world).json()["code"]
        statuses = [pair(world, other_secret(code)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]


def test_a_malformed_key_spends_no_code(world: World) -> None:
    code = issue(world).json()["code"]
    bad = {"code": code, "alg": "ed25519", "public_key": "AAAA", "label": ""}
    assert world.api.client.post("/v1/devices", json=bad).status_code == 422
    assert pair(world, code).status_code == 201


def test_who_may_issue_codes(world: World) -> None:
    assert issue(world, by=Role.CONTRACTOR).status_code == 403
    assert issue(world, party="p-township-admin", by=Role.COUNTY_ADMINISTRATOR).status_code == 201
    organisation = issue(world, party="org-jianshe-construction")
    assert organisation.status_code == 404  # an organisation is not a party
    admin = world.api.client.post(
        "/v1/pairing-codes", headers=world.api.auth("admin"), json={"party": "township"}
    )
    assert admin.status_code == 422, "the fixture's township party is an organisation"


def test_a_township_administrator_pairs_only_within_their_county(world: World) -> None:
    admin = world.api.auth("admin")
    far = {"id": "org-far", "name": "far", "kind": "contractor", "region": {"county": "东山县"}}
    assert world.api.client.post("/v1/organisations", headers=admin, json=far).status_code == 201
    person = {
        "id": "p-far",
        "name": "far",
        "kind": "person",
        "roles": ["submitter"],
        "organisation": "org-far",
        "lifecycle_roles": ["contractor"],
    }
    assert world.api.client.post("/v1/parties", headers=admin, json=person).status_code == 201
    assert issue(world, party="p-far").status_code == 403


# --- device requests: forgeries first ------------------------------------------------------------


def test_a_request_signed_by_another_key_is_refused(world: World) -> None:
    device = paired(world)
    impostor = Device(party=device.party, key_id=device.key_id)
    r = world.api.client.get("/v1/parties/me", headers=impostor.headers("GET", "/v1/parties/me"))
    assert r.status_code == 401 and "does not verify" in r.json()["detail"]


def test_a_signed_request_replayed_elsewhere_is_refused(world: World) -> None:
    device = paired(world)
    headers = device.headers("GET", "/v1/parties/me")
    assert world.api.client.get("/v1/parties/me", headers=headers).status_code == 200
    assert world.api.client.get("/v1/capture/projects", headers=headers).status_code == 401


def test_a_stale_request_is_refused(world: World) -> None:
    device = paired(world)
    stale = device.headers("GET", "/v1/parties/me", at=int(time.time()) - 3600)
    r = world.api.client.get("/v1/parties/me", headers=stale)
    assert r.status_code == 401 and "date and time" in r.json()["detail"]


def test_the_idempotency_key_is_bound_to_the_signature(world: World) -> None:
    device = paired(world)
    in_implementation(world)
    headers = device.headers("POST", "/v1/records", "key-one")
    headers["Idempotency-Key"] = "key-two"
    meta = {**progress(), "signatures": [device.signature(progress(), None)]}
    r = world.api.client.post("/v1/records", headers=headers, data={"meta": json.dumps(meta)})
    assert r.status_code == 401


def test_a_device_post_needs_an_idempotency_key(world: World) -> None:
    device = paired(world)
    meta = {**progress(), "signatures": [device.signature(progress(), None)]}
    headers = device.headers("POST", "/v1/records")
    r = world.api.client.post("/v1/records", headers=headers, data={"meta": json.dumps(meta)})
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["detail"]


def test_a_device_record_must_carry_the_device_signature(world: World) -> None:
    device = paired(world)
    in_implementation(world)
    headers = device.headers("POST", "/v1/records", "k")
    r = world.api.client.post("/v1/records", headers=headers, data={"meta": json.dumps(progress())})
    assert r.status_code == 422 and "must carry its signature" in r.json()["detail"]


def test_a_device_may_not_act_as_its_person_elsewhere(world: World) -> None:
    device = paired(world)
    body = {"key_id": "extra", "public_key": Device().public_key}
    target = f"/v1/parties/{CONTRACTOR}/keys"
    headers = device.headers("POST", target, "k")
    r = world.api.client.post(target, headers=headers, json=body)
    assert r.status_code == 403 and "paired device" in r.json()["detail"]


def test_a_key_registered_otherwise_is_not_a_device(world: World) -> None:
    # k1 is the contractor's signing key, registered with POST /v1/parties/.../keys.
    key = PartyKey("ed25519", world.keys[CONTRACTOR])
    device = Device(key=key, party=CONTRACTOR, key_id="k1")
    r = world.api.client.get("/v1/parties/me", headers=device.headers("GET", "/v1/parties/me"))
    assert r.status_code == 401 and "not paired" in r.json()["detail"]


def test_a_revoked_device_is_refused_with_a_plain_reason(world: World) -> None:
    device = paired(world)
    in_implementation(world)
    assert device.post_record(world.api.client, progress(30), None).status_code == 201
    revoke = f"/v1/parties/{CONTRACTOR}/keys/{device.key_id}"
    assert world.api.client.delete(revoke, headers=world.api.auth("admin")).status_code == 200
    r = device.post_record(world.api.client, progress(50), None)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"] and "new pairing code" in r.json()["detail"]


# --- what a device does --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ed25519", "p256"])
def test_a_device_files_signed_records_without_a_token(world: World, alg: Alg) -> None:
    device = paired(world, alg)
    in_implementation(world)
    target = "/v1/capture/projects"
    listed = world.api.client.get(target, headers=device.headers("GET", target)).json()
    assert listed["me"]["id"] == CONTRACTOR and listed["me"]["lifecycle_roles"] == ["contractor"]
    (project,) = listed["projects"]
    assert project["code"] == CODE and project["step"] == "implementation"
    assert {"site_photo", "progress_report"} <= set(project["may_submit"])
    acting = {"organisation": "org-jianshe-construction", "role": "contractor"}
    gps = {"lat": 30.2701, "lon": 120.1502, "accuracy_m": 6}
    meta = {
        "project": CODE,
        "stage": "implementation",
        "kind": "site_photo",
        "data": {"actor": acting, "gps": gps, "taken_at": "2026-03-20T09:30:00+08:00"},
        "client_time": "2026-03-20T09:30:00+08:00",
    }
    r = device.post_record(world.api.client, meta, b"\xff\xd8 a site photo")
    assert r.status_code == 201, r.text
    record = world.api.client.get(f"/v1/records/{r.json()['id']}").json()["record"]
    assert record["submitter"] == CONTRACTOR and record["data"]["gps"] == gps
    assert [s["key_id"] for s in record["signatures"]] == [device.key_id]


def test_a_record_queued_before_the_project_moved_on_is_refused_with_the_rule(
    world: World,
) -> None:
    device = paired(world)
    in_implementation(world).ok("completion", Role.CONTRACTOR)  # now in settlement
    r = device.post_record(world.api.client, progress(90), None)
    body = refusal(r, "step.kind_not_allowed")
    assert body["message_zh"]


def test_a_request_sent_twice_files_one_record(world: World) -> None:
    device = paired(world)
    in_implementation(world)
    first = device.post_record(world.api.client, progress(45), None, key="captured-once")
    again = device.post_record(world.api.client, progress(45), None, key="captured-once")
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert again.json()["id"] == first.json()["id"]


def test_a_photo_changed_after_signing_is_refused(world: World) -> None:
    device = paired(world)
    in_implementation(world)
    meta = {**progress(), "kind": "site_photo", "data": progress()["data"]}
    signed = {**meta, "signatures": [device.signature(meta, b"the photo taken")]}
    r = world.api.client.post(
        "/v1/records",
        headers=device.headers("POST", "/v1/records", "k-photo"),
        data={"meta": json.dumps(signed)},
        files={"file": ("photo.jpg", b"another photo", "image/jpeg")},
    )
    assert r.status_code == 422 and "does not verify" in r.json()["detail"]
