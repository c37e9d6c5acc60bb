"""Key transparency: a signing party's key registration and revocation are records of the log.

A party's signature on a record counts only when checked against a key whose registration is
itself provable from the same log — the registration record is in the tree the verifier's trust
root authenticated, and precedes the signed record. The records (``kind`` values below; ``project``
and ``stage`` null, no file):

- ``key_registration``: ``data = {"party": <id>, "key_id": <id>, "alg": "ed25519",
  "public_key": <base64 raw 32 bytes>}``
- ``key_revocation``: ``data = {"party": <id>, "key_id": <id>, "reason": <text>}``

A revocation takes effect for records after it in the log. An offline verifier holding a bundle
can prove the registration but not the absence of an earlier revocation; the server refuses
signatures by revoked keys when it accepts a record, and ``sunlight audit`` checks the whole log
for a signature by a key revoked before it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from notary.errors import MalformedProofError
from notary.records import Record
from notary.signing import parse_public_key

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


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    party: str
    key_id: str
    public_key: bytes


def registration_data(party: str, key_id: str, public_key: bytes) -> dict[str, Any]:
    return {
        "party": party,
        "key_id": key_id,
        "alg": "ed25519",
        "public_key": base64.b64encode(public_key).decode(),
    }


def revocation_data(party: str, key_id: str, reason: str) -> dict[str, Any]:
    return {"party": party, "key_id": key_id, "reason": reason}


def registered_key(record: Record) -> RegisteredKey | None:
    """The key a ``key_registration`` record registers; None for any other record or a malformed
    one (which registers nothing)."""
    data = record.data
    if record.kind != KEY_REGISTRATION or data.get("alg") != "ed25519":
        return None
    party, key_id = data.get("party"), data.get("key_id")
    if not isinstance(party, str) or not isinstance(key_id, str):
        return None
    try:
        return RegisteredKey(party, key_id, parse_public_key(data.get("public_key")))
    except MalformedProofError:
        return None


def revoked_key(record: Record) -> tuple[str, str] | None:
    """``(party, key_id)`` a ``key_revocation`` record revokes; None for any other record."""
    data = record.data
    party, key_id = data.get("party"), data.get("key_id")
    if record.kind != KEY_REVOCATION or not isinstance(party, str) or not isinstance(key_id, str):
        return None
    return party, key_id
