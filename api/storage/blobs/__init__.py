"""Blob stores: a local content-addressed directory and an IPFS node (Kubo RPC API).

Both implement :class:`notary.blobs.BlobStore` and address blobs by the CIDv1 of the stored bytes
as Kubo computes it (:mod:`notary.cid`), so blobs move between them without changing address.
Formats (layout on disk, sidecars, encryption) are described in ``docs/blobs.md``.

Every upload is one streaming pass (:mod:`.ingest`): SHA-256 (and SM3 when enabled) of the content,
encryption for private blobs (:mod:`.sealed`, under the key of :mod:`.kek`), and the CID of the
stored bytes are computed on the same chunks as they are written (:mod:`.local`) or sent
(:mod:`.kubo`); memory does not depend on the blob's size. Both stores share :mod:`.base`, their
metadata files (:mod:`.sidecar`) and the fsync/syncfs of :mod:`.durability`; both speak to Kubo
through :mod:`.kubo_rpc`. :mod:`.replication` copies public blobs to other organisations' Kubo
nodes and reads from them when the primary store fails. Operations over a whole store (check,
replication check, erase, migrate) are in :mod:`.ops`.

Imports inside the package point one way, each module importing only those before it:
``kek``, ``durability``, ``streams``; ``sealed`` (kek); ``sidecar`` (durability); ``ingest``;
``base``; ``kubo_rpc``; ``local`` and ``kubo``; ``replication``; this module; ``ops`` (local,
replication).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from api.settings import Settings
from api.storage.blobs.kek import kek_id, parse_kek
from api.storage.blobs.kubo import KuboBlobStore
from api.storage.blobs.kubo_rpc import KuboRpc
from api.storage.blobs.local import LocalBlobStore
from api.storage.blobs.replication import ReplicatedBlobStore
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
    "ReplicatedBlobStore",
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
    replicas: Sequence[str] = (),
) -> BlobStore:
    """The store a deployment uses: IPFS when ``ipfs_api`` is set (sidecars in
    ``data_dir/blob-meta``), else the local store in ``data_dir/blobs``; with ``replicas`` (Kubo
    RPC URLs of other organisations' nodes) its public blobs are replicated there, queued in
    ``data_dir/blob-replication``."""
    store: BlobStore
    if ipfs_api:
        store = KuboBlobStore(
            ipfs_api, meta_dir=data_dir / "blob-meta", kek=kek, max_bytes=max_bytes, sm3=sm3
        )
    else:
        store = LocalBlobStore(data_dir / "blobs", kek=kek, max_bytes=max_bytes, sm3=sm3)
    if not replicas:
        return store
    nodes = [KuboRpc(url, setting="SUNLIGHT_IPFS_REPLICAS") for url in replicas]
    return ReplicatedBlobStore(store, nodes, queue_dir=data_dir / "blob-replication")


def blob_store_from_settings(settings: Settings) -> BlobStore:
    """:func:`open_blob_store` with every knob from the settings (``SUNLIGHT_IPFS_API``,
    ``SUNLIGHT_IPFS_REPLICAS``, ``SUNLIGHT_BLOB_KEK``, ``SUNLIGHT_MAX_UPLOAD_BYTES``,
    ``SUNLIGHT_SM3``)."""
    secret = settings.blob_kek.get_secret_value()
    return open_blob_store(
        data_dir=settings.data_dir,
        ipfs_api=settings.ipfs_api,
        kek=parse_kek(secret) if secret else None,
        max_bytes=settings.max_upload_bytes,
        sm3=settings.sm3,
        replicas=settings.replica_urls,
    )
