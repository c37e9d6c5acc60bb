"""What the notary needs from a blob store, and the plain data it exchanges with one.

Implementations (adapters) live in :mod:`api.storage.blobs`: a local content-addressed directory and an IPFS
node reached through Kubo's RPC API. Both address a blob by the CIDv1 of its stored bytes
(:func:`notary.cid.cid_of`), so a blob keeps its address when it moves between them.

A *private* blob is stored encrypted (AES-256-GCM in segments, see ``docs/blobs.md``): its CID is
the CID of the ciphertext, while :attr:`BlobInfo.sha256` is always the digest of the content as
submitted (what records commit to).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

__all__ = ["BlobInfo", "BlobStore", "EncryptionInfo", "Tombstone"]


@dataclass(frozen=True, slots=True)
class EncryptionInfo:
    """How a private blob's data key is kept: wrapped (RFC 3394) under a key-encryption key."""

    #: Name of the stored format, ``"AES-256-GCM-SEG1"``.
    alg: str
    #: Identifies the key-encryption key without revealing it (hex, 16 chars).
    kek_id: str
    #: The per-blob 256-bit data key, AES-key-wrapped (40 bytes).
    wrapped_key: bytes


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A stored blob. Requires ``size >= 0`` and ``content_size >= 0``."""

    #: CIDv1 of the stored bytes (the ciphertext for a private blob).
    cid: str
    #: Number of stored bytes.
    size: int
    #: SHA-256 (hex) of the content as submitted, before any encryption.
    sha256: str
    #: SM3 (hex) of the content as submitted, when the store computes it.
    sm3: str | None
    #: Number of content bytes as submitted.
    content_size: int
    #: Present for a private blob.
    encryption: EncryptionInfo | None = None
    version: int = 1

    @property
    def encrypted(self) -> bool:
        return self.encryption is not None


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left of an erased blob: reads report the reason; records and proofs stay valid."""

    cid: str
    reason: str
    #: RFC 3339 UTC time of the erasure, set by the adapter.
    erased_at: str
    #: SHA-256 of the erased content, kept so a record can still be matched to its tombstone.
    sha256: str | None = None
    version: int = 1


@runtime_checkable
class BlobStore(Protocol):
    """A content-addressed blob store.

    Every method raises only :class:`~notary.errors.BlobStoreError` subclasses on purpose;
    ``BlobStoreUnavailable`` when the backing service cannot be reached.
    """

    @property
    def can_decrypt(self) -> bool:
        """True when a key-encryption key is configured (private blobs can be read and written)."""
        ...

    @property
    def local(self) -> bool:
        """True when the bytes go to this machine's file system: a small ``put`` with
        ``sync=False`` then waits on neither a network nor a disk flush."""
        ...

    def put(self, stream: BinaryIO, *, private: bool = False, sync: bool = True) -> BlobInfo:
        """Store everything ``stream`` yields in one streaming pass and return its digests and CID.

        ``private`` encrypts with a fresh data key wrapped by the store's key-encryption key.
        Raises ``BlobTooLargeError`` past the size limit, leaving nothing stored. With
        ``sync=False`` the blob need not be durable yet: :meth:`sync` makes it so, together with
        every other blob put before that call (one flush for many uploads).
        """
        ...

    def sync(self) -> None:
        """Make every blob put with ``sync=False`` before this call durable."""
        ...

    def close(self) -> None:
        """Release the store's connections and descriptors."""
        ...

    def import_stored(self, stream: BinaryIO, info: BlobInfo) -> BlobInfo:
        """Store bytes exactly as another store holds them (ciphertext stays ciphertext), with their
        metadata. Raises ``BlobIntegrityError`` unless the bytes hash to ``info.cid``."""
        ...

    def open(self, cid: str) -> BinaryIO:
        """The content as submitted (decrypted for a private blob), streamed. The reader raises
        ``BlobIntegrityError``/``BlobDecryptionError`` before end of file if the bytes are bad."""
        ...

    def open_stored(self, cid: str) -> BinaryIO:
        """The stored bytes (ciphertext for a private blob), streamed, checked against the CID."""
        ...

    def stat(self, cid: str) -> BlobInfo:
        """The blob's metadata. Raises ``BlobNotFoundError`` or ``BlobErasedError``."""
        ...

    def has(self, cid: str) -> bool:
        """True when the blob's bytes are stored (erased blobs are not)."""
        ...

    def erase(self, cid: str, *, reason: str) -> Tombstone:
        """Delete the bytes (and the data key of a private blob); leave a tombstone."""
        ...

    def tombstone(self, cid: str) -> Tombstone | None:
        """The tombstone of an erased blob, or None."""
        ...

    def iter_cids(self) -> Iterator[str]:
        """CIDs of every blob stored (not erased)."""
        ...

    def import_tombstone(self, stone: Tombstone) -> None:
        """Record another store's tombstone (migration); bytes of that CID here are removed."""
        ...

    def iter_tombstones(self) -> Iterator[Tombstone]:
        """Every tombstone."""
        ...
