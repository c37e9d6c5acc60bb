"""Blob stores: a local content-addressed directory and an IPFS node (Kubo RPC API).

Both implement :class:`notary.blobs.BlobStore` and address blobs by the CIDv1 of the stored bytes
as Kubo computes it (:mod:`notary.cid`), so blobs move between them without changing address.
Formats (layout on disk, sidecars, encryption) are described in ``docs/blobs.md``.

Every upload is one streaming pass (:mod:`.ingest`): SHA-256 (and SM3 when enabled) of the content,
encryption for private blobs (:mod:`.sealed`, under the key of :mod:`.kek`), and the CID of the
stored bytes are computed on the same chunks as they are written (:mod:`.local`) or sent
(:mod:`.kubo`); memory does not depend on the blob's size. Both stores share :mod:`.base`, their
metadata files (:mod:`.sidecar`) and the fsync/syncfs of :mod:`.durability`. Operations over a
whole store (check, erase, migrate) are in :mod:`.ops`.

Imports inside the package point one way, each module importing only those before it:
``kek``, ``durability``, ``streams``; ``sealed`` (kek); ``sidecar`` (durability); ``ingest``;
``base``; ``local`` and ``kubo``; this module; ``ops`` (local).
"""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings
from api.storage.blobs.kek import kek_id, parse_kek
from api.storage.blobs.kubo import KuboBlobStore
from api.storage.blobs.local import LocalBlobStore
from api.storage.blobs.sealed import (
    ENCRYPTION_ALG,
    SEGMENT_SIZE,
    SegmentDecryptor,
    SegmentEncryptor,
)
from notary.blobs import BlobStore

__all__ = [
    "ENCRYPTION_ALG",
    "SEGMENT_SIZE",
    "KuboBlobStore",
    "LocalBlobStore",
    "SegmentDecryptor",
    "SegmentEncryptor",
    "blob_store_from_settings",
    "kek_id",
    "open_blob_store",
    "parse_kek",
]


def open_blob_store(
    *,
    data_dir: Path,
    ipfs_api: str = "",
    kek: bytes | None = None,
    max_bytes: int | None = None,
    sm3: bool = False,
) -> BlobStore:
    """The store a deployment uses: IPFS when ``ipfs_api`` is set (sidecars in
    ``data_dir/blob-meta``), else the local store in ``data_dir/blobs``."""
    if ipfs_api:
        return KuboBlobStore(
            ipfs_api, meta_dir=data_dir / "blob-meta", kek=kek, max_bytes=max_bytes, sm3=sm3
        )
    return LocalBlobStore(data_dir / "blobs", kek=kek, max_bytes=max_bytes, sm3=sm3)


def blob_store_from_settings(settings: Settings) -> BlobStore:
    """:func:`open_blob_store` with every knob from the settings (``SUNLIGHT_IPFS_API``,
    ``SUNLIGHT_BLOB_KEK``, ``SUNLIGHT_MAX_UPLOAD_BYTES``, ``SUNLIGHT_SM3``)."""
    secret = settings.blob_kek.get_secret_value()
    return open_blob_store(
        data_dir=settings.data_dir,
        ipfs_api=settings.ipfs_api,
        kek=parse_kek(secret) if secret else None,
        max_bytes=settings.max_upload_bytes,
        sm3=settings.sm3,
    )
