"""The signature vectors in tests/vectors/signatures: the payload each object signs, byte for byte,
and whether its signature verifies — checked by our code and, independently, by plain Ed25519 over
the payload text the vector gives (what an implementation in another language does)."""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from notary.errors import SignatureError
from notary.keys import registered_key
from notary.merkle import leaf_hash
from notary.records import canonical_json, parse_record, signing_payload, verify_record_signature
from notary.signing import Checkpoint, Receipt, verify_checkpoint, verify_receipt

VECTORS = Path(__file__).parents[2] / "vectors" / "signatures"


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((VECTORS / kind).glob("*.json"))
    assert files, f"no {kind} vectors: run python -m tests.vectors.generate_verdicts"
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def _ed25519_ok(public_key_b64: str, signature_b64: str, payload: str) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), payload.encode())
    except InvalidSignature:
        return False
    return True


def _ids(x: object) -> str:
    return x if isinstance(x, str) else ""


@pytest.mark.parametrize(("name", "v"), _load("receipt"), ids=_ids)
def test_receipt_vector(name, v):
    receipt = Receipt.model_validate(v["receipt"])
    assert receipt.payload().decode() == v["payload"]
    assert len(receipt.signature) == 88
    key = base64.b64decode(v["public_key"])
    assert hashlib.sha256(key).hexdigest() == receipt.log_id
    plain = _ed25519_ok(v["public_key"], receipt.signature, v["payload"])
    if v["want"] == "ok":
        verify_receipt(receipt, key)
        assert plain
    else:
        with pytest.raises(SignatureError):
            verify_receipt(receipt, key)
        assert not plain
    if "signed_payload" in v:  # what was signed instead: the signature is good, for another domain
        assert _ed25519_ok(v["public_key"], receipt.signature, v["signed_payload"])


@pytest.mark.parametrize(("name", "v"), _load("checkpoint"), ids=_ids)
def test_checkpoint_vector(name, v):
    cp = Checkpoint.model_validate(v["checkpoint"])
    assert cp.payload().decode() == v["payload"]
    key = base64.b64decode(v["public_key"])
    assert hashlib.sha256(key).hexdigest() == cp.log_id
    plain = _ed25519_ok(v["public_key"], cp.signature, v["payload"])
    if v["want"] == "ok":
        verify_checkpoint(cp, key)
        assert plain
    else:
        with pytest.raises(SignatureError):
            verify_checkpoint(cp, key)
        assert not plain
    if "signed_payload" in v:
        assert _ed25519_ok(v["public_key"], cp.signature, v["signed_payload"])


@pytest.mark.parametrize(("name", "v"), _load("record-signature"), ids=_ids)
def test_record_signature_vector(name, v):
    record = parse_record(v["record"])
    sig = record.signatures[0]
    assert signing_payload(record, sig.party).decode() == v["payload"]
    data_sha256 = hashlib.sha256(canonical_json(v["record"]["data"])).hexdigest()
    assert json.loads(v["payload"])["data_sha256"] == data_sha256
    key = base64.b64decode(v["public_key"])
    plain = _ed25519_ok(v["public_key"], sig.sig, v["payload"])
    if v["want"] == "ok":
        verify_record_signature(record, sig, key)
        assert plain
    else:
        with pytest.raises(SignatureError):
            verify_record_signature(record, sig, key)
        assert not plain


@pytest.mark.parametrize(("name", "v"), _load("key-registration"), ids=_ids)
def test_key_registration_vector(name, v):
    entry = canonical_json(v["record"])
    assert entry.decode() == v["entry"]
    assert parse_record(v["record"]).canonical() == entry
    assert leaf_hash(entry).hex() == v["leaf_hash"]
    key = registered_key(parse_record(v["record"]))
    assert key is not None
    assert {
        "party": key.party,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_key).decode(),
    } == v["registers"]
