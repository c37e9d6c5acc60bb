"""A paired field device as the tests play it: an Ed25519 (or P-256) key, the requests it signs
(``Authorization: SunlightDevice ...``) and the records it signs, as the capture page does."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from api.service.devices import request_payload
from notary.records import signature_payload
from notary.sigalgs import Alg, PartyKey


def new_key(alg: Alg = "ed25519") -> PartyKey:
    return PartyKey.from_secret(alg, os.urandom(48))


@dataclass
class Device:
    key: PartyKey = field(default_factory=new_key)
    party: str = ""
    key_id: str = ""

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.key.public_key).decode()

    def pairing(self, code: str) -> dict[str, str]:
        """The body of ``POST /v1/devices``."""
        return {"code": code, "alg": self.key.alg, "public_key": self.public_key, "label": "test"}

    def paired(self, answer: dict[str, Any]) -> Device:
        self.party, self.key_id = answer["party"], answer["key_id"]
        return self

    def headers(
        self, method: str, target: str, idempotency_key: str | None = None, *, at: int | None = None
    ) -> dict[str, str]:
        """A signed request's headers (``Idempotency-Key`` included when given)."""
        when = int(time.time()) if at is None else at
        payload = request_payload(
            party=self.party,
            key_id=self.key_id,
            method=method,
            target=target,
            idempotency_key=idempotency_key,
            at=when,
        )
        sig = base64.b64encode(self.key.sign(payload)).decode()
        headers = {"Authorization": f"SunlightDevice {self.party} {self.key_id} {when} {sig}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def signature(self, meta: dict[str, Any], body: bytes | None) -> dict[str, str]:
        """The device's signature on the record ``meta`` describes (with the file ``body``)."""
        payload = signature_payload(
            project=meta.get("project"),
            stage=meta.get("stage"),
            kind=meta.get("kind", "document"),
            content_sha256=None if body is None else hashlib.sha256(body).hexdigest(),
            data=meta.get("data", {}),
            party=self.party,
        )
        sig = base64.b64encode(self.key.sign(payload)).decode()
        return {"party": self.party, "alg": self.key.alg, "key_id": self.key_id, "sig": sig}

    def post_record(
        self, client: Any, meta: dict[str, Any], body: bytes | None, *, key: str | None = None
    ) -> Any:
        """``POST /v1/records`` as the device: signed record, signed request."""
        signed = {**meta, "signatures": [self.signature(meta, body)]}
        files = {"file": ("photo.jpg", body, "image/jpeg")} if body is not None else None
        return client.post(
            "/v1/records",
            headers=self.headers("POST", "/v1/records", key or uuid.uuid4().hex),
            data={"meta": json.dumps(signed)},
            files=files,
        )
