"""The key-encryption key (``SUNLIGHT_BLOB_KEK``) that wraps the data key of every private blob."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib

from notary.errors import KeyMaterialError

__all__ = ["kek_id", "parse_kek"]


def parse_kek(secret: str) -> bytes:
    """The 256-bit key-encryption key from its text form: 64 hex digits or base64 of 32 bytes."""
    text = secret.strip()
    key: bytes | None = None
    if len(text) == 64:
        with contextlib.suppress(ValueError):
            key = bytes.fromhex(text)
    if key is None:
        with contextlib.suppress(binascii.Error, ValueError):
            key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
    if key is None or len(key) != 32:
        raise KeyMaterialError(
            "SUNLIGHT_BLOB_KEK must be 32 random bytes as 64 hex digits or base64 "
            "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def kek_id(kek: bytes) -> str:
    """A public identifier of a key-encryption key (lets a reader say "wrong key" plainly)."""
    return hashlib.sha256(b"sunlight blob kek id\x00" + kek).hexdigest()[:16]
