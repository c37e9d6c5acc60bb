"""Through the API: a P-256 key registered with a certificate of the configured CA (kept in the
log), an SM2 key without one, records signed with them offline, and their bundles verified with
every party signature counted; certificates expired or from an unknown CA are refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from notary.bundle import parse_bundle, verified_signers, verify_bundle
from notary.records import signature_payload
from notary.sigalgs import PartyKey, key_of
from notary.signing import parse_public_key
from notary.trust import TrustRoot
from notary.verdict import Level
from tests.integration.api.conftest import Api, make_api
from tests.support.party_ca import DAY, intermediate, pem, root

NOW = dt.datetime.now(dt.UTC)
ROOT = root("County CA", NOW)
SUB = intermediate(ROOT, "County CA - signing", NOW)
META = {"project": "XQ-2026-0042", "stage": "settlement", "kind": "acceptance_certificate"}
FILE = b"acceptance certificate, signed by the contractor and the township"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    assert ROOT.cert is not None
    ca_file = tmp_path / "party-ca.pem"
    ca_file.write_bytes(pem(ROOT.cert))
    yield from make_api(tmp_path, party_ca_file=ca_file)


def _register(api: Api, party: str, key: PartyKey, certificate: bytes | None = None) -> dict:  # type: ignore[type-arg]
    body = {"key_id": f"{party}-{key.alg}", "alg": key.alg,
            "public_key": base64.b64encode(key.public_key).decode()}  # fmt: skip
    if certificate is not None:
        body["certificate"] = certificate.decode()
    r = api.client.post(f"/v1/parties/{party}/keys", headers=api.auth(party), json=body)
    return {"status": r.status_code, **r.json()}


def _sign(key: PartyKey, party: str) -> dict[str, str]:
    payload = signature_payload(
        **{k: META[k] for k in ("project", "stage", "kind")},
        content_sha256=hashlib.sha256(FILE).hexdigest(),
        data={},
        party=party,
    )
    sig = base64.b64encode(key.sign(payload)).decode()
    return {"party": party, "alg": key.alg, "key_id": f"{party}-{key.alg}", "sig": sig}


def test_certified_p256_and_sm2_signatures_verify_at_submit_and_in_the_bundle(api: Api) -> None:
    contractor = PartyKey.from_secret("p256", secrets.token_bytes(48))
    leaf = SUB.issue("Contractor Ltd", ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), contractor.public_key), now=NOW)  # fmt: skip
    assert SUB.cert is not None
    registered = _register(api, "contractor", contractor, pem(leaf, SUB.cert))
    assert registered["status"] == 201, registered
    assert registered["certificate_subject"] == "CN=Contractor Ltd"
    record = api.client.get(f"/v1/records/{registered['record_id']}").json()["record"]
    kept = [base64.b64decode(c) for c in record["data"]["certificates"]]
    assert kept == [leaf.public_bytes(Encoding.DER), SUB.cert.public_bytes(Encoding.DER)]

    township = PartyKey.from_secret("sm2", secrets.token_bytes(48))
    assert _register(api, "township", township)["status"] == 201

    signatures = [_sign(contractor, "contractor"), _sign(township, "township")]
    forged = [signatures[0] | {"sig": signatures[1]["sig"]}]
    refused = api.submit("township", {**META, "signatures": forged}, FILE, "acceptance.pdf")
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_signature"

    r = api.submit("township", {**META, "signatures": signatures}, FILE, "acceptance.pdf")
    assert r.status_code == 201, r.text
    api.anchor()
    bundle = parse_bundle(json.dumps(api.client.get(f"/v1/records/{r.json()['id']}/proof").json()))
    trust = TrustRoot.pin(
        parse_public_key(api.client.get("/v1/trust").json()["logs"][0]["public_key"])
    )
    report = verify_bundle(bundle, trust=trust)
    checks = {c.name: c.passed for c in report.checks}
    assert report.level is Level.LOG_VERIFIED, report.checks
    assert checks["signature:contractor/contractor-p256"] is True
    assert checks["signature:township/township-sm2"] is True
    assert verified_signers(report) == (
        ("contractor", "contractor-p256"),
        ("township", "township-sm2"),
    )


@pytest.mark.parametrize("case", ["expired", "unknown-ca", "another-key"])
def test_refused_certificates_register_nothing(api: Api, case: str) -> None:
    key = PartyKey.from_secret("p256", secrets.token_bytes(48))
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.public_key)
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    stranger = root("County CA", NOW)  # the right name, not the configured key
    assert SUB.cert is not None and stranger.cert is not None
    chain = {
        "expired": pem(SUB.issue("X", point, now=NOW, not_before=NOW - 90 * DAY,
                                 not_after=NOW - DAY), SUB.cert),
        "unknown-ca": pem(stranger.issue("X", point, now=NOW), stranger.cert),
        "another-key": pem(SUB.issue("X", other, now=NOW), SUB.cert),
    }[case]  # fmt: skip
    size = api.client.get("/healthz").json()["log_size"]
    refused = _register(api, "contractor", key, chain)
    assert refused["status"] == 422 and refused["error"] == "certificate_refused", refused
    assert api.client.get("/healthz").json()["log_size"] == size
    assert key_of(point)[1] == key.public_key
