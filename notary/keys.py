"""Key transparency: a signing party's key registration and revocation are records of the log.

A party's signature on a record counts only when checked against a key whose registration is
itself provable from the same log — the registration record is in the tree the verifier's trust
root authenticated, and precedes the signed record. The records (``kind`` values below; ``project``
and ``stage`` null, no file):

- ``key_registration``: ``data = {"party": <id>, "key_id": <id>, "alg": "ed25519" | "p256" |
  "sm2", "public_key": <base64 key>}`` (encodings in :mod:`notary.sigalgs`), and, for a key
  certified by a CA, ``"certificates": [<base64 DER>, ...]``: the party's certificate first, then
  the intermediates it was checked with (:mod:`notary.certs`), kept in the log as evidence
- ``key_revocation``: ``data = {"party": <id>, "key_id": <id>, "reason": <text>}``

A revocation takes effect for records after it in the log. An offline verifier holding a bundle
can prove the registration but not the absence of an earlier revocation; the server refuses
signatures by revoked keys when it accepts a record, and ``sunlight audit`` checks the whole log
for a signature by a key revoked before it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from notary.errors import NotaryError
from notary.records import Record
from notary.sigalgs import ALGS, Alg, parse_public_key

__all__ = [
    "KEY_REGISTRATION",
    "KEY_REVOCATION",
    "RegisteredKey",
    "registered_key",
    "registration_data",
    "revocation_data",
    "revoked_key",
]

KEY_REGISTRATION = "key_registration"
KEY_REVOCATION = "key_revocation"
#: A registration carries at most this many certificates (the party's and its intermediates).
MAX_CERTIFICATES = 4


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    party: str
    key_id: str
    public_key: bytes
    alg: Alg = "ed25519"
    #: DER certificates kept as evidence: the party's first, then intermediates. The server
    #: checked them against its CA when it registered the key; they change no verdict.
    certificates: tuple[bytes, ...] = ()


def registration_data(
    party: str,
    key_id: str,
    public_key: bytes,
    *,
    alg: Alg = "ed25519",
    certificates: Sequence[bytes] = (),
) -> dict[str, Any]:
    """The ``data`` of a ``key_registration`` record (an Ed25519 key without certificate has the
    same fields as before other algorithms existed)."""
    data: dict[str, Any] = {
        "party": party,
        "key_id": key_id,
        "alg": alg,
        "public_key": base64.b64encode(public_key).decode(),
    }
    if certificates:
        data["certificates"] = [base64.b64encode(c).decode() for c in certificates]
    return data


def revocation_data(party: str, key_id: str, reason: str) -> dict[str, Any]:
    return {"party": party, "key_id": key_id, "reason": reason}


def registered_key(record: Record) -> RegisteredKey | None:
    """The key a ``key_registration`` record registers; None for any other record or a malformed
    one (which registers nothing)."""
    data = record.data
    alg = data.get("alg")
    if record.kind != KEY_REGISTRATION or alg not in ALGS:
        return None
    party, key_id = data.get("party"), data.get("key_id")
    if not isinstance(party, str) or not isinstance(key_id, str):
        return None
    certificates = data.get("certificates", [])
    if not isinstance(certificates, list) or len(certificates) > MAX_CERTIFICATES:
        return None
    try:
        public_key = parse_public_key(alg, _base64(data.get("public_key")))
        return RegisteredKey(
            party, key_id, public_key, alg, tuple(_base64(c) for c in certificates)
        )
    except NotaryError:
        return None


def _base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise NotaryError("not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise NotaryError("not base64 text") from e


def revoked_key(record: Record) -> tuple[str, str] | None:
    """``(party, key_id)`` a ``key_revocation`` record revokes; None for any other record."""
    data = record.data
    party, key_id = data.get("party"), data.get("key_id")
    if record.kind != KEY_REVOCATION or not isinstance(party, str) or not isinstance(key_id, str):
        return None
    return party, key_id
