"""Every route: the happy path, missing and wrong tokens, and bad input answered 4xx in JSON."""

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from notary.records import Record, signing_payload
from tests.integration.api.conftest import make_api

PHOTO = b"\xff\xd8 north culvert, 2026-11-23"


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail"} and body["detail"]
    if code:
        assert body["error"] == code, body
    return body


def test_a_record_goes_from_submission_to_a_verified_anchored_proof(api):
    r = api.submit(
        meta={
            "project": "XQ-2026-0042",
            "stage": "implementation",
            "kind": "site_photo",
            "data": {"gps": {"lat": 30.27, "lon": 120.15}},
        },
        file=PHOTO,
    )
    assert r.status_code == 201, r.text
    accepted = r.json()
    assert accepted["receipt"]["leaf_index"] == accepted["leaf_index"] == 0
    assert r.headers["x-request-id"]

    pending = api.client.get(f"/v1/records/{accepted['id']}/proof")
    assert pending.status_code == 202 and pending.json()["status"] == "pending"

    anchored = api.anchor()
    assert anchored["status"] == "confirmed" and anchored["tree_size"] == 1

    record = api.client.get(f"/v1/records/{accepted['id']}").json()
    assert record["status"] == "anchored" and record["record"]["submitter"] == "township"
    assert record["record"]["content"]["sha256"] == hashlib.sha256(PHOTO).hexdigest()

    bundle = api.client.get(f"/v1/records/{accepted['id']}/proof").json()
    assert (
        bundle["format"] == "sunlight-proof/1"
        and bundle["anchor"]["tx_hash"] == anchored["tx_hash"]
    )
    report = api.client.post("/v1/verify", json=bundle).json()
    assert report["verified"] is True
    assert {c["check"]: c["passed"] for c in report["checks"]}["anchor"] is True

    by_hash = api.client.post(
        "/v1/verify", json={"sha256": hashlib.sha256(PHOTO).hexdigest()}
    ).json()
    assert by_hash["verified"] and by_hash["records"][0]["id"] == accepted["id"]
    by_file = api.client.post("/v1/verify", files={"file": ("x.jpg", PHOTO)}).json()
    assert (
        by_file["verified"] and {c["check"]: c["passed"] for c in by_file["checks"]}["file"] is True
    )
    assert api.client.get(f"/v1/records/{accepted['id']}/file").content == PHOTO


def test_project_records_chain_and_checkpoints_are_consistent(api):
    ids = [
        api.submit(meta={"project": "XQ-1", "stage": "application"}, file=bytes([i])).json()
        for i in range(3)
    ]
    api.anchor()
    api.submit(meta={"project": "XQ-1", "stage": "review"}, file=b"later")
    api.anchor()
    records = [api.client.get(f"/v1/records/{a['id']}").json()["record"] for a in ids]
    assert records[1]["prev"] == ids[0]["leaf_hash"] and records[2]["prev"] == ids[1]["leaf_hash"]
    latest = api.client.get("/v1/checkpoints/latest").json()
    assert latest["checkpoint"]["tree_size"] == 4 and latest["anchor"]["block_number"] >= 1
    proof = api.client.get("/v1/checkpoints/consistency", params={"from": 3, "to": 4}).json()
    from notary.merkle import verify_consistency

    verify_consistency(
        3,
        4,
        bytes.fromhex(proof["root_from"]),
        bytes.fromhex(proof["root_to"]),
        [bytes.fromhex(p) for p in proof["proof"]],
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/records"),
        ("post", "/v1/anchor"),
        ("post", "/v1/parties"),
        ("post", "/v1/parties/township/tokens"),
        ("delete", "/v1/tokens/abc"),
        ("get", "/v1/parties/me"),
        ("post", "/v1/parties/township/keys"),
    ],
)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_protected_routes_need_a_valid_token(api, method, path, auth):
    headers = {"Authorization": auth} if auth else {}
    response = getattr(api.client, method)(path, headers=headers)
    _error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        ("township", "post", "/v1/anchor", None),
        (
            "township",
            "post",
            "/v1/parties",
            {"id": "x", "name": "x", "kind": "person", "roles": ["admin"]},
        ),
        ("auditor", "post", "/v1/parties/township/tokens", None),
        ("auditor", "delete", "/v1/tokens/abc", None),
        (
            "contractor",
            "post",
            "/v1/parties/township/keys",
            {"key_id": "k", "public_key": "A" * 43 + "="},
        ),
    ],
)
def test_roles_without_the_right_are_refused(api, who, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    _error(getattr(api.client, method)(path, headers=api.auth(who), **kwargs), 403, "forbidden")


def test_an_auditor_cannot_submit(api):
    _error(api.submit(who="auditor"), 403, "forbidden")


def test_a_revoked_token_stops_working(api):
    issued = api.client.post("/v1/parties/contractor/tokens", headers=api.auth("admin")).json()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert api.client.get("/v1/parties/me", headers=headers).json()["id"] == "contractor"
    assert (
        api.client.delete(f"/v1/tokens/{issued['token_id']}", headers=api.auth("admin")).status_code
        == 204
    )
    _error(api.client.get("/v1/parties/me", headers=headers), 401)
    _error(api.client.delete(f"/v1/tokens/{issued['token_id']}", headers=api.auth("admin")), 404)


def test_token_guessing_is_rate_limited(api):
    for _ in range(10):
        _error(api.client.get("/v1/parties/me", headers={"Authorization": "Bearer guess"}), 401)
    locked = api.client.get("/v1/parties/me", headers=api.auth("township"))
    _error(locked, 429, "rate_limited")


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ("[]", "meta"),
        (json.dumps({"unknown": 1}), "meta.unknown"),
        (json.dumps({"stage": "demolition"}), "stage"),
        (json.dumps({"kind": 5}), "meta.kind"),
        (json.dumps({"project": "x" * 65}), "project"),
        (json.dumps({"data": {"x": "y" * 70000}}), "data"),
        (json.dumps({"client_time": "yesterday"}), "client_time"),
        (json.dumps({"prev": "zz"}), "prev"),
        (json.dumps({"stage": "notice", "public": False}), "meta.public"),
        (
            json.dumps(
                {
                    "signatures": [
                        {"party": "township", "alg": "ed25519", "key_id": "k", "sig": "!!"}
                    ]
                }
            ),
            "sig",
        ),
    ],
)
def test_bad_metadata_is_refused_with_the_field_named(api, meta, field):
    r = api.client.post(
        "/v1/records",
        headers=api.auth("township"),
        data={"meta": meta},
        files={"file": ("a.txt", b"a")},
    )
    body = _error(r, 422, "invalid_record")
    assert field in body["detail"]
    assert api.client.get("/healthz").json()["log_size"] == 0  # nothing appended


@pytest.mark.parametrize(
    ("meta", "detail"),
    [
        ("{not json", "meta is not JSON: Expecting property name"),
        # Two readers of one record must not see two amounts: duplicate keys are refused.
        ('{"kind":"document","data":{"amount":1,"amount":1000}}', "duplicate key 'amount' in meta"),
        ('{"data": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}", "nested deeper than 64"),
        ('{"data": {"amount": 1e999}}', "too large for a double"),
        ('{"data": {"x": "\\ud800"}}', "lone surrogate"),
    ],
)
def test_metadata_that_is_not_strict_json_is_refused(api, meta, detail):
    r = api.client.post(
        "/v1/records",
        headers=api.auth("township"),
        data={"meta": meta},
        files={"file": ("a.txt", b"a")},
    )
    assert detail in _error(r, 400, "invalid_json")["detail"]
    assert api.client.get("/healthz").json()["log_size"] == 0  # nothing appended


def test_missing_meta_is_a_clear_error(api):
    _error(api.client.post("/v1/records", headers=api.auth("township")), 422, "invalid_request")


def test_signatures_are_checked_against_registered_keys(api):
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    r = api.client.post(
        "/v1/parties/contractor/keys",
        headers=api.auth("contractor"),
        json={"key_id": "c-1", "public_key": public},
    )
    assert r.status_code == 201
    _error(
        api.client.post(
            "/v1/parties/contractor/keys",
            headers=api.auth("contractor"),
            json={"key_id": "c-1", "public_key": public},
        ),
        409,
        "conflict",
    )
    meta = {
        "project": "XQ-9",
        "stage": "settlement",
        "kind": "acceptance_certificate",
        "data": {"ok": True},
    }
    draft = Record(
        submitter="township",
        content=None,
        received_at="2026-01-01T00:00:00Z",
        project="XQ-9",
        stage="settlement",
        kind="acceptance_certificate",
        data={"ok": True},
    )
    content_sha = hashlib.sha256(b"certificate").hexdigest()
    draft = draft.model_copy(update={"content": {"sha256": content_sha}})

    class _C:  # signing_payload reads only content.sha256
        sha256 = content_sha

    payload = signing_payload(draft.model_copy(update={"content": _C()}), "contractor")
    good = base64.b64encode(key.sign(payload)).decode()
    sig = {"party": "contractor", "alg": "ed25519", "key_id": "c-1", "sig": good}
    ok = api.submit(meta={**meta, "signatures": [sig]}, file=b"certificate")
    assert ok.status_code == 201, ok.text

    forged = {**sig, "sig": base64.b64encode(key.sign(b"something else")).decode()}
    _error(
        api.submit(meta={**meta, "signatures": [forged]}, file=b"certificate"),
        422,
        "invalid_signature",
    )
    unknown = {**sig, "key_id": "c-2"}
    _error(
        api.submit(meta={**meta, "signatures": [unknown]}, file=b"certificate"),
        422,
        "invalid_record",
    )
    _error(
        api.client.post(
            "/v1/parties/contractor/keys",
            headers=api.auth("contractor"),
            json={"key_id": "c-3", "public_key": "AAAA"},
        ),
        422,
        "invalid_record",
    )


def test_private_records_are_hidden_but_verifiable_by_hash(tmp_path):
    for api in make_api(tmp_path, blob_kek=base64.b64encode(bytes(range(32))).decode()):
        secret = b"contract with personal data"
        accepted = api.submit(meta={"kind": "contract", "public": False}, file=secret).json()
        rid = accepted["id"]
        for who in (None, "contractor"):
            headers = api.auth(who) if who else {}
            for path in (
                f"/v1/records/{rid}",
                f"/v1/records/{rid}/file",
                f"/v1/records/{rid}/proof",
            ):
                _error(api.client.get(path, headers=headers), 404, "not_found")
        for who in ("township", "auditor", "admin"):
            assert (
                api.client.get(f"/v1/records/{rid}/file", headers=api.auth(who)).content == secret
            )
        stored = list((api.settings.data_dir / "blobs").rglob("b*"))
        assert stored and all(secret not in p.read_bytes() for p in stored if p.is_file())
        api.anchor()
        found = api.client.post(
            "/v1/verify", json={"sha256": hashlib.sha256(secret).hexdigest()}
        ).json()
        assert found["verified"] is True


def test_oversized_uploads_get_413_and_leave_nothing(tmp_path):
    for api in make_api(tmp_path, max_upload_bytes=1000):
        r = api.submit(file=b"x" * 5000)
        _error(r, 413)
        assert api.client.get("/healthz").json()["log_size"] == 0


def test_unknown_records_and_routes_are_404_json(api):
    _error(api.client.get("/v1/records/nope"), 404, "not_found")
    _error(api.client.get("/v1/records/" + "a" * 200), 404, "not_found")
    _error(api.client.get("/v1/records/nope/proof"), 404)
    _error(api.client.get("/v1/records/nope/certificate.pdf"), 404)
    _error(api.client.get("/v2/anything"), 404)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 422),
        (b'{"sha256": "xyz"}', 422),
        (b'{"sha256": 5}', 422),
        (b'{"format": "sunlight-proof/1", "record": {}}', 422),
        (b'{"format": "sunlight-proof/9"}', 422),
        (b"{" * 5000, 400),
    ],
)
def test_verify_refuses_bad_input_clearly(api, body, status):
    _error(
        api.client.post("/v1/verify", content=body, headers={"content-type": "application/json"}),
        status,
    )


def test_verify_reports_a_tampered_bundle_by_check(api):
    rid = api.submit(file=PHOTO).json()["id"]
    api.anchor()
    bundle = api.client.get(f"/v1/records/{rid}/proof").json()
    bundle["record"]["data"] = {"changed": True}
    report = api.client.post("/v1/verify", json=bundle).json()
    assert report["verified"] is False
    assert {c["check"] for c in report["checks"] if c["passed"] is False} == {
        "leaf_hash",
        "inclusion",
    }
    unknown = api.client.post("/v1/verify", json={"sha256": "0" * 64}).json()
    assert unknown["verified"] is False and unknown["checks"][0]["check"] == "found"


def test_consistency_bounds_are_checked(api):
    api.submit()
    _error(api.client.get("/v1/checkpoints/consistency", params={"from": 2, "to": 1}), 422)
    _error(api.client.get("/v1/checkpoints/consistency", params={"from": 0, "to": 5}), 422)
    _error(
        api.client.get("/v1/checkpoints/consistency", params={"from": "a", "to": 1}),
        422,
        "invalid_request",
    )


def test_latest_checkpoint_before_any_is_404(api):
    _error(api.client.get("/v1/checkpoints/latest"), 404, "not_found")


def test_party_administration(api):
    admin = api.auth("admin")
    _error(
        api.client.post(
            "/v1/parties",
            headers=admin,
            json={"id": "township", "name": "T", "kind": "organisation", "roles": ["submitter"]},
        ),
        409,
        "conflict",
    )
    _error(
        api.client.post(
            "/v1/parties",
            headers=admin,
            json={"id": "../x", "name": "T", "kind": "organisation", "roles": ["submitter"]},
        ),
        422,
    )
    _error(
        api.client.post(
            "/v1/parties",
            headers=admin,
            json={"id": "p", "name": "T", "kind": "robot", "roles": ["submitter"]},
        ),
        422,
    )
    _error(
        api.client.post(
            "/v1/parties",
            headers=admin,
            json={"id": "p", "name": "T", "kind": "person", "roles": ["king"]},
        ),
        422,
    )
    _error(api.client.post("/v1/parties/nobody/tokens", headers=admin), 404)
    me = api.client.get("/v1/parties/me", headers=api.auth("auditor")).json()
    assert me["roles"] == ["auditor"]


def test_pages_and_operations_carry_security_headers(api):
    for path in ("/healthz", "/verify", "/metrics", "/openapi.json"):
        r = api.client.get(path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert (
            r.headers["x-content-type-options"] == "nosniff"
            and r.headers["x-frame-options"] == "DENY"
        )
    assert "sunlight_http_requests_total" in api.client.get("/metrics").text


def test_public_routes_are_rate_limited(tmp_path):
    for api in make_api(tmp_path, public_rate_per_s=1, public_burst=5):
        statuses = [
            api.client.post("/v1/verify", json={"sha256": "0" * 64}).status_code for _ in range(8)
        ]
        assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
        limited = api.client.post("/v1/verify", json={"sha256": "0" * 64})
        _error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1


_QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
_DATA = re.compile(r"^0x([0-9a-f]{2})*$")


def test_the_embedded_chain_answers_json_rpc_in_a_nodes_encoding(api):
    assert api.submit().status_code == 201
    anchored = api.anchor()

    def rpc(method: str, *params: object) -> Any:
        r = api.client.post(
            "/v1/chain/rpc", json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["jsonrpc"] == "2.0" and body["id"] == 7 and "error" not in body, body
        return body["result"]

    assert _QUANTITY.match(rpc("eth_chainId"))
    assert int(rpc("eth_blockNumber"), 16) >= anchored["block_number"]
    receipt = rpc("eth_getTransactionReceipt", anchored["tx_hash"])
    assert int(receipt["blockNumber"], 16) == anchored["block_number"]
    assert receipt["status"] == "0x1" and receipt["blockHash"] == anchored["block_hash"]
    for field in ("gasUsed", "cumulativeGasUsed", "transactionIndex"):
        assert _QUANTITY.match(receipt[field]), (field, receipt[field])
    block = rpc("eth_getBlockByNumber", hex(anchored["block_number"]), False)
    for field in ("number", "timestamp", "gasLimit", "gasUsed", "size"):
        assert _QUANTITY.match(block[field]), (field, block[field])
    assert len(block["logsBloom"]) == 2 + 512 and _DATA.match(block["logsBloom"])
    logs = rpc(
        "eth_getLogs",
        {"fromBlock": "0x0", "toBlock": "latest", "address": anchored["contract"]},
    )
    assert logs and all(_QUANTITY.match(log["blockNumber"]) for log in logs)
    assert all(_DATA.match(log["data"]) for log in logs)


def test_a_consistency_range_outside_the_log_is_an_invalid_request(api):
    api.submit()
    r = api.client.get("/v1/checkpoints/consistency?from=0&to=5")
    assert r.status_code == 422 and r.json()["error"] == "invalid_request", r.text
    assert api.client.get("/v1/checkpoints/consistency?from=0&to=1").status_code == 200


def test_chain_rpc_refuses_a_method_that_is_not_a_string(api):
    for method in (["eth_chainId"], {"a": 1}, 5, None):
        r = api.client.post("/v1/chain/rpc", json={"jsonrpc": "2.0", "id": 1, "method": method})
        assert r.status_code == 403, (method, r.text)
