"""Key transparency: a signing key's registration and revocation are records of the log, and a
bundle carries the proof of the registration, so a party signature is checkable offline."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from notary.bundle import parse_bundle, verify_bundle
from notary.records import Record, signing_payload
from notary.signing import parse_public_key
from notary.trust import TrustRoot
from notary.verdict import Level
from tests.integration.api.conftest import Api

META = {"project": "XQ-2026-0042", "stage": "settlement", "kind": "acceptance_certificate"}
FILE = b"acceptance certificate"


def _register(api: Api, party: str, key_id: str) -> tuple[Ed25519PrivateKey, dict[str, Any]]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = api.client.post(
        f"/v1/parties/{party}/keys",
        headers=api.auth(party),
        json={"key_id": key_id, "public_key": base64.b64encode(raw).decode()},
    )
    assert r.status_code == 201, r.text
    return key, r.json()


def _signature(key: Ed25519PrivateKey, party: str, key_id: str, submitter: str) -> dict[str, str]:
    draft = Record.model_validate(
        {
            **META,
            "submitter": submitter,
            "content": {"sha256": hashlib.sha256(FILE).hexdigest(), "size": len(FILE)},
            "received_at": "2026-01-01T00:00:00Z",
        }
    )
    sig = key.sign(signing_payload(draft, party))
    return {
        "party": party,
        "alg": "ed25519",
        "key_id": key_id,
        "sig": base64.b64encode(sig).decode(),
    }


def _trust(api: Api) -> TrustRoot:
    doc = api.client.get("/v1/trust").json()
    return TrustRoot.pin(parse_public_key(doc["logs"][0]["public_key"]))


def test_a_key_registration_is_a_log_record_and_signatures_check_offline(api: Api) -> None:
    key, registered = _register(api, "contractor", "c-1")
    reg = api.client.get(f"/v1/records/{registered['record_id']}").json()["record"]
    assert reg["kind"] == "key_registration" and reg["data"]["party"] == "contractor"
    sig = _signature(key, "contractor", "c-1", "township")
    r = api.submit("township", {**META, "signatures": [sig]}, FILE, "acceptance.pdf")
    assert r.status_code == 201, r.text
    api.anchor()
    bundle = api.client.get(f"/v1/records/{r.json()['id']}/proof").json()
    assert [p["leaf_index"] for p in bundle["key_proofs"]] == [registered["receipt"]["leaf_index"]]

    report = verify_bundle(parse_bundle(json.dumps(bundle)), trust=_trust(api))
    checks = {c.name: c.passed for c in report.checks}
    assert report.level is Level.LOG_VERIFIED and checks["signature:contractor/c-1"] is True

    # The same bundle with the key proof removed: the signature is not checked, never counted.
    bare = verify_bundle(parse_bundle(json.dumps(bundle | {"key_proofs": []})), trust=_trust(api))
    assert {c.name: c.passed for c in bare.checks}["signature:contractor/c-1"] is None

    # A key proof that registers another key for the same id: the signature fails.
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    forged_reg = json.loads(json.dumps(bundle))
    forged_reg["key_proofs"][0]["record"]["data"]["public_key"] = base64.b64encode(other).decode()
    forged = verify_bundle(parse_bundle(json.dumps(forged_reg)), trust=_trust(api))
    assert forged.level is Level.NOT_VERIFIED


def test_a_revoked_key_is_a_log_record_and_signs_nothing_after(api: Api) -> None:
    key, _ = _register(api, "contractor", "c-2")
    r = api.client.delete("/v1/parties/contractor/keys/c-2", headers=api.auth("contractor"))
    assert r.status_code == 200, r.text
    revocation = api.client.get(f"/v1/records/{r.json()['record_id']}").json()["record"]
    assert revocation["kind"] == "key_revocation" and revocation["data"]["key_id"] == "c-2"
    sig = _signature(key, "contractor", "c-2", "township")
    refused = api.submit("township", {**META, "signatures": [sig]}, FILE)
    assert refused.status_code == 422 and "no active key" in refused.text
    again = api.client.delete("/v1/parties/contractor/keys/c-2", headers=api.auth("contractor"))
    assert again.status_code == 404


def test_only_the_party_or_an_administrator_registers_its_keys(api: Api) -> None:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    body = {"key_id": "x-1", "public_key": base64.b64encode(raw).decode()}
    r = api.client.post("/v1/parties/contractor/keys", headers=api.auth("township"), json=body)
    assert r.status_code == 403
    _register(api, "contractor", "x-1")
    dup = api.client.post("/v1/parties/contractor/keys", headers=api.auth("contractor"), json=body)
    assert dup.status_code == 409


def test_key_records_cannot_be_submitted_as_ordinary_records(api: Api) -> None:
    """Else any submitter could log a 'registration' of a key of its own for another party."""
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    data = {"party": "contractor", "key_id": "evil", "alg": "ed25519"}
    for kind in ("key_registration", "key_revocation"):
        meta = {"kind": kind, "data": data | {"public_key": base64.b64encode(raw).decode()}}
        r = api.submit("township", meta, None)
        assert r.status_code == 422 and "meta.kind" in r.text, r.text


def test_alerts_cannot_be_submitted_as_ordinary_records(api: Api) -> None:
    """Else any submitter could file a 'finding' that the alert export lists beside the server's."""
    r = api.submit("township", {"kind": "alert", "data": {"rule": "over_budget"}}, None)
    assert r.status_code == 422 and "meta.kind" in r.text, r.text


def test_audit_names_a_record_signed_with_a_key_revoked_before_it(api: Api) -> None:
    """The server refuses such a record; one written behind its back is found by the audit."""
    from api.service.audit import audit_log
    from notary.records import RecordSignature

    key, _ = _register(api, "contractor", "c-9")
    api.client.delete("/v1/parties/contractor/keys/c-9", headers=api.auth("contractor"))
    notary = api.client.app.state.ctx.notary  # type: ignore[attr-defined]
    assert audit_log(notary.log, public_key=notary.key.public_key).ok
    sig = RecordSignature.model_validate(_signature(key, "contractor", "c-9", "township"))
    draft = {**META, "submitter": "township", "signatures": [sig], "received_at": notary.clock()}
    notary.submit([Record.model_validate(draft)])
    findings = [str(f) for f in audit_log(notary.log, public_key=notary.key.public_key).findings]
    assert any("key c-9, revoked at leaf" in f for f in findings), findings
