"""Party signature vectors for P-256 and SM2 (``signatures/record-signature-<alg>/<case>.json``),
written by ``python -m tests.vectors.generate_verdicts`` beside the Ed25519 ones.

Keys come from fixed seeds and both algorithms sign deterministically here (RFC 6979 nonces), so
regenerating writes identical bytes. Each file: ``alg``, ``public_key`` (base64 of ``04 || x ||
y``), ``record`` (whose ``signatures[0]`` is checked), ``payload`` (the exact text signed),
``want`` (``ok`` or ``error``) and a ``description``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from notary.records import Record, RecordSignature, parse_record, signing_payload
from notary.sigalgs import P256_N, PartyKey

__all__ = ["algorithm_vectors"]

PAYMENT = Record.model_validate(
    {
        "project": "XQ-2026-0042",
        "stage": "settlement",
        "kind": "payment_request",
        "content": {"sha256": hashlib.sha256(b"payment request 3 of 5").hexdigest(), "size": 22},
        "data": {"amount_cny": 120000, "contract": "HT-2026-017"},
        "submitter": "township",
        "received_at": "2026-11-23T00:07:03.007777Z",
    }
)


def _key(alg: str, label: str) -> PartyKey:
    seed = hashlib.sha512(f"sunlight test vectors: {label}".encode()).digest()[:48]
    return PartyKey.from_secret(alg, seed)


def _with_sig(record: dict[str, Any], alg: str, sig: bytes) -> dict[str, Any]:
    signature = RecordSignature(
        party="contractor", alg=alg, key_id="c1", sig=base64.b64encode(sig).decode()
    )
    return record | {"signatures": [signature.model_dump()]}


def _cases(alg: str) -> dict[str, tuple[str, dict[str, Any]]]:
    key, other = _key(alg, f"contractor {alg} c1"), _key(alg, f"forger {alg}")
    payload = signing_payload(PAYMENT, "contractor")
    good = key.sign(payload)
    record = _with_sig(PAYMENT.to_json(), alg, good)
    cases = {
        "happy-path": (f"A payment request signed by contractor with its {alg} key c1.", record),
        "data-amount-changed": (
            "data.amount_cny changed after signing.",
            record | {"data": record["data"] | {"amount_cny": 990000}},
        ),
        "replayed-onto-another-project": (
            "The signature moved to the same record filed under another project.",
            record | {"project": "XQ-2026-0041"},
        ),
        "signed-by-another-key": (
            "The payload signed by another key but presented as contractor/c1.",
            _with_sig(PAYMENT.to_json(), alg, other.sign(payload)),
        ),
        "relabelled-as-other-algorithm": (
            "The genuine signature bytes, its alg field changed: never reinterpreted.",
            record | {"signatures": [record["signatures"][0] | {"alg": _other(alg)}]},
        ),
    }
    if alg == "p256":
        high = good[:32] + (P256_N - int.from_bytes(good[32:])).to_bytes(32)
        cases["high-s"] = (
            "The same signature with s replaced by n - s: valid ECDSA, but only low-S is "
            "accepted, so that each signature has one encoding.",
            _with_sig(PAYMENT.to_json(), alg, high),
        )
    return cases


def _other(alg: str) -> str:
    return "sm2" if alg == "p256" else "p256"


def algorithm_vectors() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for alg in ("p256", "sm2"):
        public_key = base64.b64encode(_key(alg, f"contractor {alg} c1").public_key).decode()
        for name, (description, record) in _cases(alg).items():
            out[f"signatures/record-signature-{alg}/{name}.json"] = {
                "description": description,
                "alg": alg,
                "public_key": public_key,
                "record": record,
                "payload": signing_payload(parse_record(record), "contractor").decode(),
                "want": "ok" if name == "happy-path" else "error",
            }
    return out
