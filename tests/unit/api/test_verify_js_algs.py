"""The page's verdict on P-256 and SM2 party signatures (api/static/sigalgs.js, run in Node): a
P-256 signature passes or fails as ``verify_bundle`` says (WebCrypto, low-S only), an SM2 one is
"not checked in this browser" — never passed — and a registration the server would refuse (a
P-256 point registered as SM2) registers nothing on the page either."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from notary.bundle import make_bundle, parse_bundle, verify_bundle
from notary.keys import registration_data
from notary.merkle import MerkleTree
from notary.records import Content, Record, RecordSignature, signing_payload
from notary.sigalgs import P256_N, PartyKey
from notary.signing import NotaryKey
from notary.trust import TrustRoot
from tests.unit.api.test_verify_js import run_js

LOG = NotaryKey.from_seed(b"\x07" * 32)
AT = "2026-11-23T00:00:00Z"
BODY = b"acceptance certificate"
TRUST = {
    "format": "sunlight-trust/1",
    "logs": [{"public_key": base64.b64encode(LOG.public_key).decode()}],
}


def _bundle(
    key: PartyKey, *, registered_alg: str | None = None, sig: bytes | None = None
) -> dict[str, Any]:
    registration = Record(
        kind="key_registration",
        submitter="admin",
        data=registration_data("acme", "k1", key.public_key, alg=registered_alg or key.alg),  # type: ignore[arg-type]
        received_at=AT,
    )
    draft = Record(
        project="XQ-1", kind="acceptance_certificate", submitter="acme", received_at=AT,
        content=Content(sha256=hashlib.sha256(BODY).hexdigest(), size=len(BODY)),
    )  # fmt: skip
    raw = sig if sig is not None else key.sign(signing_payload(draft, "acme"))
    signature = RecordSignature(
        party="acme", alg=key.alg, key_id="k1", sig=base64.b64encode(raw).decode()
    )
    entries = [
        registration.canonical(),
        draft.model_copy(update={"signatures": (signature,)}).canonical(),
    ]
    tree = MerkleTree()
    for e in entries:
        tree.append(e)
    cp = LOG.sign_checkpoint(2, tree.root(), "2026-11-23T00:10:00Z")
    b = make_bundle(
        entry=entries[1], leaf_index=1, checkpoint=cp, inclusion_proof=tree.inclusion_proof(1, 2)
    ).to_json()
    proof = [p.hex() for p in tree.inclusion_proof(0, 2)]
    b["key_proofs"] = [
        {"record": json.loads(entries[0]), "leaf_index": 0, "inclusion_proof": proof}
    ]
    return b


def _cases() -> list[tuple[str, dict[str, Any], bool | None]]:
    p256, sm2 = (PartyKey.from_secret(a, secrets.token_bytes(48)) for a in ("p256", "sm2"))
    good = _bundle(p256)
    sig = base64.b64decode(good["record"]["signatures"][0]["sig"])
    high = sig[:32] + (P256_N - int.from_bytes(sig[32:])).to_bytes(32)
    flipped = sig[:-1] + bytes([sig[-1] ^ 1])
    return [
        ("p256", good, True),
        ("p256-high-s", _bundle(p256, sig=high), False),
        ("p256-bit-flipped", _bundle(p256, sig=flipped), False),
        ("sm2", _bundle(sm2), None),
    ]


def test_the_page_judges_p256_and_sm2_signatures_as_the_library() -> None:
    cases = _cases()
    got = run_js({"judge": [{"bundle_text": json.dumps(b), "trust": TRUST} for _, b, _ in cases]})[
        "judge"
    ]
    for (name, bundle, want), page in zip(cases, got, strict=True):
        report = verify_bundle(
            parse_bundle(json.dumps(bundle)), trust=TrustRoot.pin(LOG.public_key)
        )
        ours = {c.name: c.passed for c in report.checks}["signature:acme/k1"]
        theirs = {c[0]: c[1] for c in page["checks"]}["signature:acme/k1"]
        assert ours is (True if want is None else want), name  # the library checks SM2 too
        assert theirs is want, (name, page)
        if name == "sm2":
            assert {c[0]: c[2] for c in page["checks"]}[
                "signature:acme/k1"
            ] == "browser.sm2_unchecked"


def test_a_p256_point_registered_as_sm2_registers_nothing_on_the_page() -> None:
    p256 = PartyKey.from_secret("p256", secrets.token_bytes(48))
    bundle = _bundle(p256, registered_alg="sm2")
    [page] = run_js({"judge": [{"bundle_text": json.dumps(bundle), "trust": TRUST}]})["judge"]
    report = verify_bundle(parse_bundle(json.dumps(bundle)), trust=TrustRoot.pin(LOG.public_key))
    assert report.failed()[0].name == "key_proof@0"
    assert page["failed"] == ["key_proof@0"]
