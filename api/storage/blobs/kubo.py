"""The IPFS blob store: blobs pinned on a Kubo node through its RPC API (``/api/v0``), over httpx;
their sidecars stay on this machine."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import ClassVar

import httpx

from api.storage.blobs.base import Options, StoreBase
from api.storage.blobs.durability import Unsynced
from api.storage.blobs.sidecar import Sidecars, write_tombstone
from api.storage.blobs.streams import READ_SIZE, Chunk
from notary.blobs import BlobInfo, Tombstone
from notary.cid import CHUNK_SIZE, MAX_LINKS, parse_cid
from notary.errors import (
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailable,
)

__all__ = ["KuboBlobStore"]


class KuboBlobStore(StoreBase):
    """Blobs in an IPFS node through Kubo's RPC API (``/api/v0``), pinned.

    ``meta_dir`` holds the JSON sidecars (digests, wrapped keys of private blobs, tombstones); the
    node holds the bytes. Uploads stream a multipart body (chunked transfer encoding) built on the
    fly from the one pass over the input; the CID the node returns must equal the one computed here.
    """

    #: Import parameters of ``/api/v0/add``: exactly those :mod:`notary.cid` computes with.
    add_params: ClassVar[dict[str, str]] = {
        "cid-version": "1",
        "raw-leaves": "true",
        "chunker": f"size-{CHUNK_SIZE}",
        "max-file-links": str(MAX_LINKS),
        "hash": "sha2-256",
        "pin": "true",
        "progress": "false",
        "quieter": "true",
    }

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
        self.api_url = api_url.rstrip("/")
        self._opts = Options(kek=kek, max_bytes=max_bytes, sm3=sm3)
        self._sidecars = Sidecars(Path(meta_dir), Unsynced(Path(meta_dir)))
        self._client = httpx.Client(
            base_url=f"{self.api_url}/api/v0/",
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"KuboBlobStore({self.api_url!r})"

    def close(self) -> None:
        self._client.close()
        self._sidecars.unsynced.close()

    local = False

    def __enter__(self) -> KuboBlobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # RPC plumbing

    def _unavailable(self, exc: Exception) -> BlobStoreUnavailable:
        return BlobStoreUnavailable(
            f"the IPFS node at {self.api_url} is unavailable ({type(exc).__name__}: {exc}); "
            "start it or check SUNLIGHT_IPFS_API"
        )

    def _error(self, response: httpx.Response, what: str) -> BlobStoreError:
        try:
            message = str(response.json().get("Message", ""))
        except (ValueError, AttributeError):
            message = response.text[:500]
        if response.status_code in (502, 503, 504):
            return BlobStoreUnavailable(
                f"the IPFS node at {self.api_url} answered "
                f"{response.status_code} to {what}: {message}"
            )
        return BlobStoreError(f"the IPFS node refused {what} ({response.status_code}): {message}")

    def _rpc(self, command: str, params: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        try:
            pairs = tuple(params.items()) if isinstance(params, dict) else tuple(params)
            response = self._client.post(command, params=pairs)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        return response

    def _pinned(self, cid: str) -> bool:
        response = self._rpc("pin/ls", {"arg": cid, "type": "recursive"})
        if response.status_code == 200:
            return cid in response.json().get("Keys", {})
        if "not pinned" in response.text:
            return False
        raise self._error(response, "pin/ls")

    def _unpin(self, cid: str) -> None:
        response = self._rpc("pin/rm", {"arg": cid})
        if response.status_code != 200 and "not pinned" not in response.text:
            raise self._error(response, "pin/rm")

    # uploads

    def _add(self, chunks: Iterable[Chunk]) -> str:
        boundary = secrets.token_hex(16)
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="blob"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            for chunk in chunks:
                yield bytes(chunk)
            yield tail

        params = self.add_params
        try:
            response = self._client.post(
                "add",
                params=params,
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if response.status_code != 200:
            raise self._error(response, "add")
        lines = [line for line in response.text.splitlines() if line.strip()]
        try:
            result = json.loads(lines[-1])
            return str(result["Hash"])
        except (IndexError, KeyError, ValueError) as exc:
            raise BlobStoreError(
                f"unexpected answer from the IPFS node to add: {lines[-3:]}"
            ) from exc

    def _store(
        self, chunks: Iterable[Chunk], finish: Callable[[], BlobInfo], *, sync: bool = True
    ) -> BlobInfo:
        node_cid = self._add(chunks)
        info = finish()
        if node_cid != info.cid:
            with contextlib.suppress(BlobStoreError):
                self._unpin(node_cid)
            raise BlobIntegrityError(
                f"the IPFS node stored the upload as {node_cid} but Sunlight computed {info.cid}: "
                "the node does not import with --cid-version=1 --raw-leaves --chunker=size-262144 "
                "--max-file-links=174; nothing was recorded"
            )
        stone = self._sidecars.tombstone(info.cid)
        if stone is not None:
            with contextlib.suppress(BlobStoreError):
                self._unpin(info.cid)
            raise BlobErasedError(info.cid, stone.reason, stone.erased_at)
        self._sidecars.put_info(info, durable=sync)
        return info

    # reads

    def _chunks(self, cid: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        if not self.has(cid):
            stone = self._sidecars.tombstone(cid)
            if stone is not None:
                raise BlobErasedError(cid, stone.reason, stone.erased_at)
            raise BlobNotFoundError(f"no blob {cid} is pinned on the IPFS node at {self.api_url}")
        request = self._client.build_request("POST", "cat", params={"arg": cid})
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if response.status_code != 200:
            response.read()
            response.close()
            raise self._error(response, "cat")

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(READ_SIZE)
            except httpx.TransportError as exc:
                raise self._unavailable(exc) from exc
            finally:
                response.close()

        return chunks(), response.close

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
        return self._pinned(cid)

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
            stored=self._pinned,
            where=f"on the IPFS node at {self.api_url}",
        )
        self._remove_bytes(cid)
        return stone

    def _remove_bytes(self, cid: str) -> None:
        self._unpin(cid)
        response = self._rpc(
            "refs", {"arg": cid, "recursive": "true", "unique": "true", "offline": "true"}
        )
        blocks = [cid]
        if response.status_code == 200:
            for line in response.text.splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    ref = json.loads(line)["Ref"]
                    if ref:
                        blocks.append(str(ref))
        params = [("arg", b) for b in blocks] + [("quiet", "true")]
        response = self._rpc("block/rm", params)
        if response.status_code != 200 and "not found" not in response.text:
            raise self._error(response, "block/rm")

    def iter_cids(self) -> Iterator[str]:
        """The blobs this store recorded (its sidecars), not everything pinned on the node."""
        for doc in self._sidecars.iter_docs():
            if doc.get("erased") is None:
                yield str(doc["cid"])
