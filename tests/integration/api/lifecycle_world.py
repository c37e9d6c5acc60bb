"""A county's project world over the real API: organisations and people registered through the
routes, each person with a token and a signing key, and the server's clock in the test's hands.

The cast, the registration and each kind's data are those of the lifecycle's own tests
(:mod:`tests.support.lifecycle`), filed over HTTP instead of through ``decide``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from api.context import AppContext
from notary.lifecycle import DEFAULT_RULES, Role
from notary.records import Record, signing_payload
from tests.integration.api.conftest import Api, make_api
from tests.support.lifecycle import CAST, CODE, DATA, QUORUM, REGISTRATION, T0, at_text, holder

COUNTY, TOWNSHIP, VILLAGE = "西泉县", "清河镇", "李庄村"
#: Where each organisation of the cast acts.
ORG_REGION = {
    Role.COUNTY_ADMINISTRATOR: {"county": COUNTY},
    Role.TOWNSHIP_ADMINISTRATOR: {"county": COUNTY, "township": TOWNSHIP},
    Role.VILLAGE_COMMITTEE_HEAD: {"county": COUNTY, "township": TOWNSHIP, "village": VILLAGE},
    Role.CONTRACTOR: {"county": COUNTY},
    Role.SUPERVISOR: {"county": COUNTY},
    Role.FINANCE_REVIEWER: {"county": COUNTY},
    Role.AUDITOR: {"county": COUNTY},
}


class ServerClock:
    """The notary's clock (``Notary.clock``), moved by the test: the server's time of a record."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> str:
        self.now += timedelta(seconds=1)
        return at_text(self.now)

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@dataclass
class World:
    api: Api
    clock: ServerClock
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @property
    def ctx(self) -> AppContext:
        return cast(AppContext, cast(FastAPI, self.api.client.app).state.ctx)

    def person(self, role: Role) -> str:
        return CAST[role][0]

    def org(self, role: Role) -> str:
        return CAST[role][1]

    def meta(self, kind: str, role: Role, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``meta`` of a lifecycle record by ``role``'s person, in the project's step (``data``
        may name another ``actor``)."""
        step = self.api.client.get(f"/v1/projects/{CODE}").json()["step"]
        acting = {"organisation": self.org(role), "role": role.value}
        body = DATA.get(kind, {}) if data is None else data
        stage = "settlement" if step == "archived" else step
        return {"project": CODE, "stage": stage, "kind": kind, "data": {"actor": acting, **body}}

    def signatures(self, meta: dict[str, Any], signers: tuple[Role, ...]) -> list[dict[str, str]]:
        """Signatures of ``signers``' persons on the data-only record ``meta`` describes."""
        draft = Record.model_validate({**meta, "submitter": "x", "received_at": at_text(T0)})
        return [
            {
                "party": self.person(r),
                "alg": "ed25519",
                "key_id": "k1",
                "sig": base64.b64encode(
                    self.keys[self.person(r)].sign(signing_payload(draft, self.person(r)))
                ).decode(),
            }
            for r in signers
        ]

    def file(
        self,
        kind: str,
        role: Role,
        data: dict[str, Any] | None = None,
        *,
        signers: tuple[Role, ...] = (),
        **meta: Any,
    ) -> Any:
        """POST /v1/records: ``kind`` by ``role``'s person (``meta`` overrides fields)."""
        body = {**self.meta(kind, role, data), **meta}
        if signers:
            body["signatures"] = self.signatures(body, signers)
        return self.api.client.post(
            "/v1/records",
            headers=self.api.auth(self.person(role)),
            data={"meta": json.dumps(body)},
        )

    def ok(self, kind: str, role: Role, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        r = self.file(kind, role, data, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def register(self, **changes: Any) -> Any:
        return self.api.client.post(
            "/v1/projects",
            headers=self.api.auth(self.person(Role.VILLAGE_COMMITTEE_HEAD)),
            json={**REGISTRATION, **changes},
        )

    def assign(
        self, power: str, by: Role = Role.COUNTY_ADMINISTRATOR, *, organisation: str | None = None
    ) -> Any:
        """Assign ``power`` to its holder in the cast (or to ``organisation``) as ``by``."""
        body = holder(power) | ({} if organisation is None else {"organisation": organisation})
        return self.api.client.post(
            f"/v1/projects/{CODE}/powers", headers=self.api.auth(self.person(by)), json=body
        )


def make_world(tmp_path: Path, **settings: Any) -> Iterator[World]:
    for api in make_api(tmp_path, **settings):
        clock = ServerClock()
        world = World(api, clock)
        world.ctx.notary.clock = clock
        admin = api.auth("admin")
        for role, (person, org) in CAST.items():
            body = {"id": org, "name": org, "kind": "government", "region": ORG_REGION[role]}
            r = api.client.post("/v1/organisations", headers=admin, json=body)
            assert r.status_code == 201, r.text
            r = api.client.post(
                "/v1/parties",
                headers=admin,
                json={
                    "id": person,
                    "name": person,
                    "kind": "person",
                    "roles": ["submitter"],
                    "organisation": org,
                    "lifecycle_roles": [role.value],
                },
            )
            assert r.status_code == 201, r.text
            api.tokens[person] = api.client.post(
                f"/v1/parties/{person}/tokens", headers=admin
            ).json()["token"]
            key = world.keys[person] = Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            r = api.client.post(
                f"/v1/parties/{person}/keys",
                headers=admin,
                json={"key_id": "k1", "public_key": base64.b64encode(raw).decode()},
            )
            assert r.status_code == 201, r.text
        yield world


def registered(world: World) -> World:
    """The project registered, with approval, supervision and evaluation assigned."""
    assert world.register().status_code == 201
    for power in ("approval", "supervision", "evaluation"):
        r = world.assign(power)
        assert r.status_code == 201, r.text
    return world


def to_implementation(world: World) -> World:
    world.ok("application", Role.VILLAGE_COMMITTEE_HEAD)
    world.ok("review_opinion", Role.TOWNSHIP_ADMINISTRATOR)
    world.ok("approval", Role.TOWNSHIP_ADMINISTRATOR)
    world.ok("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    world.clock.advance(DEFAULT_RULES.notice_min_days)
    world.ok("notice_closed", Role.TOWNSHIP_ADMINISTRATOR)
    return world


def contracting(world: World) -> World:
    """Tendered, awarded, the execution power assigned, the contract signed."""
    world.ok("tender_notice", Role.VILLAGE_COMMITTEE_HEAD)
    world.ok("bid", Role.CONTRACTOR)
    world.ok("award", Role.VILLAGE_COMMITTEE_HEAD)
    assert world.assign("execution").status_code == 201
    world.ok("contract", Role.CONTRACTOR)
    return world


def to_settlement(world: World) -> World:
    contracting(world).ok("completion", Role.CONTRACTOR)
    return world


def accepted(world: World) -> World:
    world.ok("acceptance_request", Role.CONTRACTOR)
    world.ok("acceptance_certificate", Role.VILLAGE_COMMITTEE_HEAD, signers=QUORUM)
    return world


def refusal(response: Any, rule: str) -> dict[str, Any]:
    """The body of a lifecycle refusal of ``rule``, checked to be one."""
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == "lifecycle_refused" and body["rule"] == rule, body
    assert body["message"] and body["message_zh"] and isinstance(body["allowed"], list)
    return body
