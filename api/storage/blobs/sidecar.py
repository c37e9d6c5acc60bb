"""Sidecars: one small JSON file ``<shard>/<cid>.json`` per blob, holding its metadata (digests,
sizes, a private blob's wrapped key) or, once erased, its tombstone. Both stores keep them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from api.storage.blobs.durability import Unsynced, write_atomic, write_failed
from notary.blobs import BlobInfo, EncryptionInfo, Tombstone
from notary.errors import (
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailable,
)

__all__ = ["Sidecars", "shard", "write_tombstone"]

#: A sidecar is a few hundred bytes; refuse to parse anything absurd.
_MAX_SIDECAR_BYTES: Final = 64 * 1024
_MAX_REASON_CHARS: Final = 2000


def shard(root: Path, cid: str) -> Path:
    """``root/<cid[-5:-3]>/<cid[-3:-1]>``: the last characters of a CID are the digest's (the first
    ones are the same ``bafk``/``bafy`` prefix for every blob); like Kubo's flatfs next-to-last."""
    return root / cid[-5:-3] / cid[-3:-1]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _info_to_json(info: BlobInfo) -> dict[str, Any]:
    enc = info.encryption
    return {
        "version": info.version,
        "cid": info.cid,
        "size": info.size,
        "sha256": info.sha256,
        "sm3": info.sm3,
        "content_size": info.content_size,
        "encryption": None
        if enc is None
        else {
            "alg": enc.alg,
            "kek_id": enc.kek_id,
            "wrapped_key": base64.b64encode(enc.wrapped_key).decode("ascii"),
        },
    }


def _info_from_json(doc: dict[str, Any]) -> BlobInfo:
    enc = doc.get("encryption")
    return BlobInfo(
        cid=str(doc["cid"]),
        size=int(doc["size"]),
        sha256=str(doc["sha256"]),
        sm3=None if doc.get("sm3") is None else str(doc["sm3"]),
        content_size=int(doc["content_size"]),
        encryption=None
        if enc is None
        else EncryptionInfo(
            alg=str(enc["alg"]),
            kek_id=str(enc["kek_id"]),
            wrapped_key=base64.b64decode(str(enc["wrapped_key"]), validate=True),
        ),
        version=int(doc.get("version", 1)),
    )


class Sidecars:
    """Small JSON files ``<shard>/<cid>.json``: blob metadata, or a tombstone once erased."""

    def __init__(self, root: Path, unsynced: Unsynced) -> None:
        self.root = root
        self.unsynced = unsynced

    def path(self, cid: str) -> Path:
        return shard(self.root, cid) / f"{cid}.json"

    def read(self, cid: str) -> dict[str, Any] | None:
        path = self.path(cid)
        try:
            with path.open("rb") as f:
                raw = f.read(_MAX_SIDECAR_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read blob metadata {path}: {exc}") from exc
        try:
            if len(raw) > _MAX_SIDECAR_BYTES:
                raise ValueError("too large")
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("cid") != cid:
                raise ValueError("wrong content")
        except ValueError as exc:
            raise BlobIntegrityError(f"blob metadata {path} is damaged ({exc}); run check") from exc
        return doc

    def write(
        self, cid: str, doc: dict[str, Any], *, durable: bool = True, sync_dir: bool = True
    ) -> None:
        path = self.path(cid)
        try:
            if not durable:
                self.unsynced.watch()
            write_atomic(
                path,
                json.dumps(doc, sort_keys=True, indent=1).encode(),
                durable=durable,
                sync_dir=sync_dir,
            )
        except OSError as exc:
            raise write_failed(exc, f"cannot write blob metadata under {self.root}") from exc
        if not durable:
            self.unsynced.add(path, path.parent)

    def info(self, cid: str) -> BlobInfo | None:
        doc = self.read(cid)
        if doc is None or doc.get("erased") is not None:
            return None
        try:
            return _info_from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise BlobIntegrityError(f"blob metadata for {cid} is damaged ({exc})") from exc

    def tombstone(self, cid: str) -> Tombstone | None:
        doc = self.read(cid)
        erased = None if doc is None else doc.get("erased")
        if not isinstance(erased, dict):
            return None
        return Tombstone(
            cid=cid,
            reason=str(erased.get("reason", "")),
            erased_at=str(erased.get("at", "")),
            sha256=None if doc is None or doc.get("sha256") is None else str(doc["sha256"]),
        )

    def put_info(self, info: BlobInfo, *, durable: bool = True, sync_dir: bool = True) -> None:
        self.write(info.cid, _info_to_json(info), durable=durable, sync_dir=sync_dir)

    def put_tombstone(self, stone: Tombstone) -> None:
        self.write(
            stone.cid,
            {
                "version": stone.version,
                "cid": stone.cid,
                "sha256": stone.sha256,
                "erased": {"reason": stone.reason, "at": stone.erased_at},
            },
        )

    def remove(self, cid: str) -> None:
        """Delete the file of ``cid`` (not durably: a file that comes back is read again)."""
        try:
            self.path(cid).unlink(missing_ok=True)
        except OSError as exc:
            raise write_failed(exc, f"cannot remove {self.path(cid)}") from exc

    def iter_docs(self) -> Iterator[dict[str, Any]]:
        if not self.root.exists():
            return
        for path in sorted(self.root.glob("*/*/*.json")):
            doc = self.read(path.name[: -len(".json")])
            if doc is not None:
                yield doc


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > _MAX_REASON_CHARS:
        raise BlobStoreError(f"an erasure needs a reason of 1 to {_MAX_REASON_CHARS} characters")
    return reason


def write_tombstone(
    sidecars: Sidecars, cid: str, reason: str, *, stored: Callable[[str], bool], where: str
) -> Tombstone:
    """The blob's tombstone, written now unless it exists: it replaces the metadata, and with it
    a private blob's wrapped key, before any byte is removed."""
    reason = _check_reason(reason)
    stone = sidecars.tombstone(cid)
    if stone is None:
        info = sidecars.info(cid)
        if info is None and not stored(cid):
            raise BlobNotFoundError(f"no blob {cid} {where}")
        sha = info.sha256 if info is not None else None
        stone = Tombstone(cid=cid, reason=reason, erased_at=_now(), sha256=sha)
        sidecars.put_tombstone(stone)
    return stone
