"""The notary's Ed25519 key, and the receipts and checkpoints it signs.

Both are signed over RFC 8785 canonical JSON with a ``type`` field that separates the two domains:

- receipt:    ``JCS({"type": "sunlight-receipt/1", "log_id", "leaf_index", "leaf_hash", "received_at"})``
- checkpoint: ``JCS({"type": "sunlight-checkpoint/1", "log_id", "tree_size", "root_hash", "timestamp"})``

``log_id`` is the hex SHA-256 of the notary's raw 32-byte public key, so a verifier who holds the key
(or pins the log id) can check both without trusting the server that handed them out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from notary.errors import KeyMaterialError, MalformedProofError, SignatureError
from notary.merkle import MAX_TREE_SIZE
from notary.records import canonical_json

__all__ = [
    "Checkpoint",
    "NotaryKey",
    "Receipt",
    "log_id_of",
    "verify_checkpoint",
    "verify_receipt",
    "verify_statement",
]

#: The types of what the log key signs besides statements: a statement may not take them.
_RESERVED_TYPES = ("sunlight-receipt/1", "sunlight-checkpoint/1")

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Base64Sig = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{86}==$")]
UtcTime = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$"
    ),
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def log_id_of(public_key: bytes) -> str:
    """The log id of a notary key: hex SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()


class Receipt(BaseModel):
    """The promise, returned at once on acceptance, that a record is in the log and will be anchored."""

    model_config = _FROZEN

    leaf_index: StrictInt = Field(ge=0, le=MAX_TREE_SIZE - 1)
    leaf_hash: Hex64
    received_at: UtcTime
    log_id: Hex64
    signature: Base64Sig

    def payload(self) -> bytes:
        return _receipt_payload(self.log_id, self.leaf_index, self.leaf_hash, self.received_at)


class Checkpoint(BaseModel):
    """A signed statement of the log's size and root at a moment."""

    model_config = _FROZEN

    log_id: Hex64
    tree_size: StrictInt = Field(ge=0, le=MAX_TREE_SIZE)
    root_hash: Hex64
    timestamp: UtcTime
    signature: Base64Sig

    def payload(self) -> bytes:
        return _checkpoint_payload(self.log_id, self.tree_size, self.root_hash, self.timestamp)


def _receipt_payload(log_id: str, leaf_index: int, leaf_hash: str, received_at: str) -> bytes:
    return canonical_json(
        {
            "type": "sunlight-receipt/1",
            "log_id": log_id,
            "leaf_index": leaf_index,
            "leaf_hash": leaf_hash,
            "received_at": received_at,
        }
    )


def _checkpoint_payload(log_id: str, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    return canonical_json(
        {
            "type": "sunlight-checkpoint/1",
            "log_id": log_id,
            "tree_size": tree_size,
            "root_hash": root_hash,
            "timestamp": timestamp,
        }
    )


class NotaryKey:
    """The notary's signing key. Build with :meth:`from_seed` or :meth:`from_pem`."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key: bytes = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.log_id: str = log_id_of(self.public_key)

    @classmethod
    def from_seed(cls, seed: bytes) -> NotaryKey:
        """From 32 bytes of secret randomness (the caller provides it: the core has no RNG)."""
        if len(seed) != 32:
            raise KeyMaterialError("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_pem(cls, pem: bytes) -> NotaryKey:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as e:
            raise KeyMaterialError(f"the notary key is not a readable PEM private key: {e}") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMaterialError("the notary key must be an Ed25519 key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def derive_secret(self, label: str) -> bytes:
        """A 32-byte secret for ``label`` (HKDF-SHA256 of the private key, ``label`` as its info):
        what the server MACs its own stored data with. Each label gives an unrelated secret, and
        none reveals the key."""
        seed = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(
            seed
        )

    def _sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload)).decode()

    def sign_receipt(self, leaf_index: int, leaf_hash: bytes, received_at: str) -> Receipt:
        payload = _receipt_payload(self.log_id, leaf_index, leaf_hash.hex(), received_at)
        return Receipt(
            leaf_index=leaf_index,
            leaf_hash=leaf_hash.hex(),
            received_at=received_at,
            log_id=self.log_id,
            signature=self._sign(payload),
        )

    def sign_checkpoint(self, tree_size: int, root_hash: bytes, timestamp: str) -> Checkpoint:
        payload = _checkpoint_payload(self.log_id, tree_size, root_hash.hex(), timestamp)
        return Checkpoint(
            log_id=self.log_id,
            tree_size=tree_size,
            root_hash=root_hash.hex(),
            timestamp=timestamp,
            signature=self._sign(payload),
        )

    def sign_statement(self, statement: Mapping[str, Any]) -> str:
        """Sign a typed statement of this log (e.g. ``sunlight-heads/1``): the base64 signature over
        ``JCS(statement)``. Its ``type`` keeps it apart from receipts and checkpoints."""
        if statement.get("type") in _RESERVED_TYPES or statement.get("log_id") != self.log_id:
            raise KeyMaterialError("a statement needs its own type and this log's log_id")
        return self._sign(canonical_json(dict(statement)))

    def __repr__(self) -> str:  # never print key material
        return f"NotaryKey(log_id={self.log_id[:16]}...)"


def _verify(kind: str, payload: bytes, signature: str, log_id: str, public_key: bytes) -> None:
    if log_id_of(public_key) != log_id:
        raise SignatureError(f"{kind} is from log {log_id}, not from the key given")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(base64.b64decode(signature), payload)
    except (InvalidSignature, ValueError, binascii.Error) as e:
        raise SignatureError(f"{kind} signature does not verify") from e


def verify_receipt(receipt: Receipt, public_key: bytes) -> None:
    """Raise :class:`SignatureError` unless ``receipt`` was signed by ``public_key``."""
    _verify("receipt", receipt.payload(), receipt.signature, receipt.log_id, public_key)


def verify_statement(statement: Mapping[str, Any], signature: str, public_key: bytes) -> None:
    """Raise :class:`SignatureError` unless ``public_key`` signed ``statement`` (see
    :meth:`NotaryKey.sign_statement`)."""
    kind = str(statement.get("type", "statement"))
    if kind in _RESERVED_TYPES:
        raise SignatureError(f"a {kind} is not a statement")
    payload = canonical_json(dict(statement))
    _verify(kind, payload, signature, str(statement.get("log_id")), public_key)


def verify_checkpoint(checkpoint: Checkpoint, public_key: bytes) -> None:
    """Raise :class:`SignatureError` unless ``checkpoint`` was signed by ``public_key``."""
    _verify("checkpoint", checkpoint.payload(), checkpoint.signature, checkpoint.log_id, public_key)


def parse_public_key(value: Any) -> bytes:
    """A raw Ed25519 public key from its base64 text, as carried in proof bundles."""
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise MalformedProofError("log_public_key must be a base64 32-byte Ed25519 key")
    return raw
