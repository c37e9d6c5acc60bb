"""The P-256 and SM2 signature vectors (tests/vectors/signatures/record-signature-{p256,sm2}):
the payload each record makes, and whether its signature verifies — by our code and,
independently, by ``cryptography``'s ECDSA (P-256, plus the low-S rule) or the ``openssl``
command (SM2 with SM3 and the default identity)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from notary.errors import SignatureError
from notary.records import parse_record, signing_payload, verify_record_signature
from notary.sigalgs import P256_N
from tests.conftest import require

VECTORS = Path(__file__).parents[2] / "vectors" / "signatures"
_SM2_SPKI_HEAD = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def _load(alg: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((VECTORS / f"record-signature-{alg}").glob("*.json"))
    assert len(files) >= 5, "run python -m tests.vectors.generate_verdicts"
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def _p256_plain(public_key: bytes, sig: bytes, payload: bytes) -> bool:
    r, s = int.from_bytes(sig[:32]), int.from_bytes(sig[32:])
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
    try:
        key.verify(encode_dss_signature(r, s), payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return s <= P256_N // 2


def _sm2_plain(public_key: bytes, sig: bytes, payload: bytes, tmp: Path) -> bool:
    openssl = shutil.which("openssl")
    require(openssl is not None, "the openssl command")
    assert openssl is not None
    spki = _SM2_SPKI_HEAD + public_key
    body = base64.encodebytes(spki).decode()
    (tmp / "pub.pem").write_text(f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n")
    der = encode_dss_signature(int.from_bytes(sig[:32]), int.from_bytes(sig[32:]))
    (tmp / "sig").write_bytes(der)
    (tmp / "msg").write_bytes(payload)
    result = subprocess.run(
        [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp / "pub.pem"), "-rawin",
         "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", str(tmp / "msg"),
         "-sigfile", str(tmp / "sig")],
        capture_output=True, check=False,
    )  # fmt: skip
    return result.returncode == 0


@pytest.mark.parametrize("alg", ["p256", "sm2"])
def test_record_signature_vectors(alg: str, tmp_path: Path) -> None:
    for name, v in _load(alg):
        record = parse_record(v["record"])
        sig = record.signatures[0]
        assert signing_payload(record, sig.party).decode() == v["payload"], name
        key = base64.b64decode(v["public_key"])
        raw, payload = sig.signature_bytes(), v["payload"].encode()
        if alg == "p256":
            plain = _p256_plain(key, raw, payload)
        else:
            plain = _sm2_plain(key, raw, payload, tmp_path)
        if v["want"] == "ok":
            verify_record_signature(record, sig, key, v["alg"])
            assert plain, name
        else:
            with pytest.raises(SignatureError):
                verify_record_signature(record, sig, key, v["alg"])
            if sig.alg == alg:  # a relabelled signature is refused for its label alone
                assert not plain, name
