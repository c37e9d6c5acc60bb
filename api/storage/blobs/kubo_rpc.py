"""One Kubo node's RPC API (``/api/v0``) over httpx: the calls the IPFS blob store makes on its own
node and replication makes on other organisations' nodes (:mod:`.replication`)."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping

import httpx

from api.storage.blobs.streams import READ_SIZE, Chunk
from notary.cid import CHUNK_SIZE, MAX_LINKS
from notary.errors import BlobStoreError, BlobStoreUnavailable

__all__ = ["ADD_PARAMS", "KuboRpc"]

#: Import parameters of ``/api/v0/add``: exactly those :mod:`notary.cid` computes with.
ADD_PARAMS: Mapping[str, str] = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK_SIZE}",
    "max-file-links": str(MAX_LINKS),
    "hash": "sha2-256",
    "pin": "true",
    "progress": "false",
    "quieter": "true",
}


class KuboRpc:
    """A client of one node. ``api_url`` may carry credentials (``http://user:pass@host:5001``,
    for a node whose ``API.Authorizations`` asks for them); :attr:`name`, used in every message,
    never shows them. ``setting`` names the variable to check when the node cannot be reached."""

    def __init__(
        self,
        api_url: str,
        *,
        setting: str = "SUNLIGHT_IPFS_API",
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        url = httpx.URL(self.api_url)
        #: The URL without credentials.
        self.name = str(url.copy_with(username=None, password=None) if url.userinfo else url)
        self._setting = setting
        self._client = httpx.Client(
            base_url=f"{self.api_url}/api/v0/",
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"KuboRpc({self.name!r})"

    def close(self) -> None:
        self._client.close()

    def unavailable(self, exc: Exception) -> BlobStoreUnavailable:
        return BlobStoreUnavailable(
            f"the IPFS node at {self.name} is unavailable ({type(exc).__name__}: {exc}); "
            f"start it or check {self._setting}"
        )

    def error(self, response: httpx.Response, what: str) -> BlobStoreError:
        try:
            message = str(response.json().get("Message", ""))
        except (ValueError, AttributeError):
            message = response.text[:500]
        if response.status_code in (401, 403):
            return BlobStoreUnavailable(
                f"the IPFS node at {self.name} refused our credentials ({response.status_code}) "
                f"to {what}: check {self._setting}"
            )
        if response.status_code in (502, 503, 504):
            return BlobStoreUnavailable(
                f"the IPFS node at {self.name} answered {response.status_code} to {what}: {message}"
            )
        return BlobStoreError(
            f"the IPFS node at {self.name} refused {what} ({response.status_code}): {message}"
        )

    def rpc(
        self, command: str, params: Mapping[str, str] | list[tuple[str, str]]
    ) -> httpx.Response:
        try:
            pairs = tuple(params.items()) if isinstance(params, Mapping) else tuple(params)
            return self._client.post(command, params=pairs)
        except httpx.TransportError as exc:
            raise self.unavailable(exc) from exc

    def pinned(self, cid: str) -> bool:
        """Whether ``cid`` is pinned recursively (the whole blob is kept) on this node."""
        response = self.rpc("pin/ls", {"arg": cid, "type": "recursive"})
        if response.status_code == 200:
            return cid in response.json().get("Keys", {})
        if "not pinned" in response.text:
            return False
        raise self.error(response, "pin/ls")

    def unpin(self, cid: str) -> None:
        response = self.rpc("pin/rm", {"arg": cid})
        if response.status_code != 200 and "not pinned" not in response.text:
            raise self.error(response, "pin/rm")

    def add(self, chunks: Iterable[Chunk], params: Mapping[str, str] = ADD_PARAMS) -> str:
        """Stream ``chunks`` to ``add`` as one multipart file (chunked transfer encoding); return
        the CID the node computed."""
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

        try:
            response = self._client.post(
                "add",
                params=dict(params),
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        except httpx.TransportError as exc:
            raise self.unavailable(exc) from exc
        if response.status_code != 200:
            raise self.error(response, "add")
        lines = [line for line in response.text.splitlines() if line.strip()]
        try:
            return str(json.loads(lines[-1])["Hash"])
        except (IndexError, KeyError, ValueError) as exc:
            raise BlobStoreError(
                f"unexpected answer from the IPFS node at {self.name} to add: {lines[-3:]}"
            ) from exc

    def cat(self, cid: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        """The bytes of ``cid`` as this node holds them (unchecked: the caller hashes them), and
        how to release them. ``offline``: a node never fetches them from the network for us."""
        request = self._client.build_request("POST", "cat", params={"arg": cid, "offline": "true"})
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self.unavailable(exc) from exc
        if response.status_code != 200:
            response.read()
            response.close()
            raise self.error(response, "cat")

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(READ_SIZE)
            except httpx.TransportError as exc:
                raise self.unavailable(exc) from exc
            finally:
                response.close()

        return chunks(), response.close

    def remove(self, cid: str) -> None:
        """Unpin ``cid`` and delete every block of it from the node (blocks another pinned blob
        shares stay)."""
        self.unpin(cid)
        response = self.rpc(
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
        response = self.rpc("block/rm", params)
        if response.status_code != 200 and "not found" not in response.text:
            raise self.error(response, "block/rm")
