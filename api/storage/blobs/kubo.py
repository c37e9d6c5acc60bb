"""The IPFS blob store: blobs pinned on a Kubo node through its RPC API (``/api/v0``, spoken by
:mod:`.kubo_rpc`); their sidecars stay on this machine."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import httpx

from api.storage.blobs.base import Options, StoreBase
from api.storage.blobs.durability import Unsynced
from api.storage.blobs.kubo_rpc import ADD_PARAMS, KuboRpc
from api.storage.blobs.sidecar import Sidecars, write_tombstone
from api.storage.blobs.streams import Chunk
from notary.blobs import BlobInfo, Tombstone
from notary.cid import parse_cid
from notary.errors import (
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreError,
)

__all__ = ["KuboBlobStore"]


class KuboBlobStore(StoreBase):
    """Blobs in an IPFS node through Kubo's RPC API (``/api/v0``), pinned.

    ``meta_dir`` holds the JSON sidecars (digests, wrapped keys of private blobs, tombstones); the
    node holds the bytes. Uploads stream a multipart body (chunked transfer encoding) built on the
    fly from the one pass over the input; the CID the node returns must equal the one computed here.
    """

    #: Import parameters of ``/api/v0/add``: exactly those :mod:`notary.cid` computes with.
    add_params: ClassVar[Mapping[str, str]] = ADD_PARAMS

    def __init__(
        self,
        api_url: str,
        *,
        meta_dir: Path,
        kek: bytes | None = None,
        max_bytes: int | None = None,
        sm3: bool = False,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._node = KuboRpc(api_url, timeout=timeout, transport=transport)
        self.api_url = self._node.api_url
        self._opts = Options(kek=kek, max_bytes=max_bytes, sm3=sm3)
        self._sidecars = Sidecars(Path(meta_dir), Unsynced(Path(meta_dir)))

    def __repr__(self) -> str:
        return f"KuboBlobStore({self._node.name!r})"

    @property
    def name(self) -> str:
        """The node's URL without credentials."""
        return self._node.name

    def close(self) -> None:
        self._node.close()
        self._sidecars.unsynced.close()

    local = False

    def __enter__(self) -> KuboBlobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _store(
        self, chunks: Iterable[Chunk], finish: Callable[[], BlobInfo], *, sync: bool = True
    ) -> BlobInfo:
        node_cid = self._node.add(chunks, self.add_params)
        info = finish()
        if node_cid != info.cid:
            with contextlib.suppress(BlobStoreError):
                self._node.unpin(node_cid)
            raise BlobIntegrityError(
                f"the IPFS node stored the upload as {node_cid} but Sunlight computed {info.cid}: "
                "the node does not import with --cid-version=1 --raw-leaves --chunker=size-262144 "
                "--max-file-links=174; nothing was recorded"
            )
        stone = self._sidecars.tombstone(info.cid)
        if stone is not None:
            with contextlib.suppress(BlobStoreError):
                self._node.unpin(info.cid)
            raise BlobErasedError(info.cid, stone.reason, stone.erased_at)
        self._sidecars.put_info(info, durable=sync)
        return info

    # reads

    def _chunks(self, cid: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        if not self.has(cid):
            stone = self._sidecars.tombstone(cid)
            if stone is not None:
                raise BlobErasedError(cid, stone.reason, stone.erased_at)
            raise BlobNotFoundError(f"no blob {cid} is pinned on the IPFS node at {self.name}")
        return self._node.cat(cid)

    def _where(self, cid: str) -> str:
        return "the IPFS node"

    def stat(self, cid: str) -> BlobInfo:
        parse_cid(cid)
        stone = self._sidecars.tombstone(cid)
        if stone is not None:
            raise BlobErasedError(cid, stone.reason, stone.erased_at)
        info = self._sidecars.info(cid)
        if info is not None:
            return info
        # Pinned by someone else, or metadata lost: a public blob, hash it once.
        return self._adopt_public(cid)

    def has(self, cid: str) -> bool:
        parse_cid(cid)
        return self._node.pinned(cid)

    def erase(self, cid: str, *, reason: str) -> Tombstone:
        """Tombstone first (reads say "erased" at once, a private blob's key is gone), then unpin
        and remove every block of the blob from the node (blocks shared with another pinned blob
        stay). Raises :class:`BlobStoreUnavailable` if the node is down after the tombstone is
        written: run the erasure again to finish it."""
        parse_cid(cid)
        stone = write_tombstone(
            self._sidecars,
            cid,
            reason,
            stored=self._node.pinned,
            where=f"on the IPFS node at {self.name}",
        )
        self._remove_bytes(cid)
        return stone

    def _remove_bytes(self, cid: str) -> None:
        self._node.remove(cid)

    def iter_cids(self) -> Iterator[str]:
        """The blobs this store recorded (its sidecars), not everything pinned on the node."""
        for doc in self._sidecars.iter_docs():
            if doc.get("erased") is None:
                yield str(doc["cid"])
