"""Public blobs replicated to other organisations' IPFS nodes, so that every public file survives
the loss of this organisation's storage.

:class:`ReplicatedBlobStore` wraps this organisation's store (the *primary*: Kubo or local) and
a list of *replicas*, Kubo nodes run by others (``SUNLIGHT_IPFS_REPLICAS``):

- Writes go to the primary only: a replica that is down never fails an upload. Each public blob
  is queued for replication by a small file ``<queue>/<xx>/<yy>/<cid>.json``, made durable with
  the blob (the same deferred flush), so an acknowledged record's file is never forgotten.
- A replicator (a background thread in the server, woken after each flush; and
  ``sunlight blobs check --repair``) pushes each queued blob to every replica that lacks it: the
  stored bytes, checked against their CID as they are read, go to the replica's ``add`` with the
  import parameters of :mod:`notary.cid`, and the CID the replica computes must be the same. A
  blob leaves the queue once every replica holds it; a replica that is down is retried later.
- Private (encrypted) blobs are never sent; an erased blob is removed from every replica (the
  erasure is queued too).
- Reads fall back to a replica when the primary is down or lost the blob; what a replica returns
  is hashed as it streams and the reader fails before end of file unless it has the CID asked for.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal

from api.storage.blobs.durability import Unsynced, write_failed
from api.storage.blobs.kubo_rpc import KuboRpc
from api.storage.blobs.sidecar import Sidecars
from api.storage.blobs.streams import READ_SIZE, reader, verify_cid
from notary.blobs import BlobInfo, BlobStore, Tombstone
from notary.cid import parse_cid
from notary.errors import (
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailable,
    NotaryError,
)

__all__ = ["Kind", "NodeState", "ReplicatedBlobStore"]

log = logging.getLogger("sunlight.blobs")

#: What a blob is, for replication: public blobs go to every replica, the others to none.
Kind = Literal["public", "private", "erased", "unknown"]
NodeState = Literal["present", "missing", "unreachable"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ReplicatedBlobStore:
    """The primary store, with its public blobs replicated to ``replicas``; ``queue_dir`` holds
    the blobs waiting for replication. A :class:`notary.blobs.BlobStore`."""

    def __init__(self, primary: BlobStore, replicas: Sequence[KuboRpc], *, queue_dir: Path) -> None:
        self.primary = primary
        self.replicas = tuple(replicas)
        self.primary_name = str(getattr(primary, "name", "the local store"))
        self._queue = Sidecars(queue_dir, Unsynced(queue_dir))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"ReplicatedBlobStore({self.primary!r}, {[r.name for r in self.replicas]!r})"

    @property
    def can_decrypt(self) -> bool:
        return self.primary.can_decrypt

    @property
    def local(self) -> bool:
        return self.primary.local

    # writes: the primary, then the queue

    def _enqueue(self, cid: str, *, durable: bool = True) -> None:
        self._queue.write(cid, {"cid": cid, "queued_at": _now()}, durable=durable)
        if durable:
            self._wake.set()

    def put(self, stream: BinaryIO, *, private: bool = False, sync: bool = True) -> BlobInfo:
        info = self.primary.put(stream, private=private, sync=sync)
        if not private and not info.encrypted:
            self._enqueue(info.cid, durable=sync)
        return info

    def import_stored(self, stream: BinaryIO, info: BlobInfo) -> BlobInfo:
        stored = self.primary.import_stored(stream, info)
        if not stored.encrypted:
            self._enqueue(stored.cid)
        return stored

    def sync(self) -> None:
        """The primary's blobs and the queue entries put with ``sync=False`` made durable; then the
        replicator is woken."""
        self.primary.sync()
        try:
            self._queue.unsynced.sync()
        except OSError as exc:
            raise write_failed(exc, f"cannot make {self._queue.root} durable") from exc
        self._wake.set()

    def erase(self, cid: str, *, reason: str) -> Tombstone:
        """The primary's erasure, and every replica's copy removed: now, or by the replicator
        once the replica is back (the erasure is queued before anything is removed)."""
        parse_cid(cid)
        self._enqueue(cid)
        stone = self.primary.erase(cid, reason=reason)
        if self.reconcile(cid):
            self._queue.remove(cid)
        return stone

    def import_tombstone(self, stone: Tombstone) -> None:
        self._enqueue(stone.cid)
        self.primary.import_tombstone(stone)

    # reads: the primary, else a replica, CID checked

    def open_stored(self, cid: str) -> BinaryIO:
        try:
            return self.primary.open_stored(cid)
        except BlobErasedError:
            raise
        except (BlobStoreUnavailable, BlobNotFoundError) as exc:
            return self._from_replica(cid, exc)

    def open(self, cid: str) -> BinaryIO:
        try:
            return self.primary.open(cid)
        except BlobErasedError:
            raise
        except (BlobStoreUnavailable, BlobNotFoundError) as exc:
            if self.primary.stat(cid).encrypted:  # a private blob is on no replica
                raise
            return self._from_replica(cid, exc)

    def _from_replica(self, cid: str, failure: BlobStoreError) -> BinaryIO:
        """The bytes of ``cid`` from the first replica that holds them, hashed as they stream;
        ``failure`` (the primary's) is raised when none does."""
        stone = self.primary.tombstone(cid)
        if stone is not None:  # never served again, even by a replica not yet cleaned
            raise BlobErasedError(cid, stone.reason, stone.erased_at)
        for replica in self.replicas:
            try:
                if replica.pinned(cid):
                    chunks, close = replica.cat(cid)
                    where = f"the replica at {replica.name}"
                    return reader(verify_cid(chunks, cid, where), close)
            except BlobStoreError as exc:
                log.warning("replica %s: %s", replica.name, exc)
        raise failure

    def stat(self, cid: str) -> BlobInfo:
        return self.primary.stat(cid)

    def has(self, cid: str) -> bool:
        return self.primary.has(cid)

    def tombstone(self, cid: str) -> Tombstone | None:
        return self.primary.tombstone(cid)

    def iter_cids(self) -> Iterator[str]:
        return self.primary.iter_cids()

    def iter_tombstones(self) -> Iterator[Tombstone]:
        return self.primary.iter_tombstones()

    # replication

    def kind(self, cid: str) -> Kind:
        """Whether ``cid`` belongs on the replicas (public) or on none of them."""
        if self.primary.tombstone(cid) is not None:
            return "erased"
        try:
            info = self.primary.stat(cid)
        except BlobErasedError:
            return "erased"
        except BlobNotFoundError:
            return "unknown"
        return "private" if info.encrypted else "public"

    def pending(self) -> list[str]:
        """The CIDs waiting for replication (or for removal from the replicas)."""
        return [str(doc["cid"]) for doc in self._queue.iter_docs()]

    def replicate_pending(self) -> int:
        """One pass over the queue; returns how many blobs are still waiting. A replica that
        cannot be reached is not asked again in the same pass."""
        down: set[str] = set()
        waiting = 0
        for cid in self.pending():
            try:
                settled = self.reconcile(cid, down=down)
            except BlobStoreError as exc:  # the primary cannot say what the blob is: later
                log.warning("replicating %s: %s", cid, exc)
                settled = False
            if settled:
                self._queue.remove(cid)
            else:
                waiting += 1
        return waiting

    def reconcile(self, cid: str, *, down: set[str] | None = None) -> bool:
        """Every replica made to hold ``cid`` if it is public, and not to hold it otherwise.
        True when every replica is as it should be; replicas that could not be reached are added
        to ``down``, and their errors logged, never raised."""
        down = set() if down is None else down
        kind = self.kind(cid)
        settled = True
        for replica in self.replicas:
            if replica.name in down:
                settled = False
                continue
            try:
                present = replica.pinned(cid)
            except BlobStoreError as exc:
                log.warning("replica %s is unreachable: %s", replica.name, exc)
                down.add(replica.name)
                settled = False
                continue
            try:
                if kind == "public" and not present:
                    self._push(replica, cid)
                elif kind == "erased" or (kind == "private" and present):
                    replica.remove(cid)
            except BlobStoreError as exc:
                log.warning("replicating %s to %s: %s", cid, replica.name, exc)
                settled = False
        return settled

    def _push(self, replica: KuboRpc, cid: str) -> None:
        with self.open_stored(cid) as stream:  # checked against the CID as it is read
            got = replica.add(iter(lambda: stream.read(READ_SIZE), b""))
        if got != cid:
            with contextlib.suppress(BlobStoreError):
                replica.unpin(got)
            raise BlobIntegrityError(
                f"the replica at {replica.name} stored {cid} as {got}: it does not import with "
                "Sunlight's parameters (docs/blobs.md, CIDs)"
            )
        if self.primary.tombstone(cid) is not None:  # erased while it was being copied
            replica.remove(cid)

    def restore_primary(self, cid: str) -> bool:
        """Copy a public blob the primary lost back from a replica (CID checked); False when the
        primary has it, cannot be reached, or no replica holds it."""
        try:
            if self.kind(cid) != "public" or self.primary.has(cid):
                return False
            info = self.primary.stat(cid)
            with self._from_replica(cid, BlobNotFoundError(f"no replica holds {cid}")) as stream:
                self.primary.import_stored(stream, info)
        except BlobStoreError as exc:
            log.warning("restoring %s to the primary: %s", cid, exc)
            return False
        return True

    def node_states(self, cid: str) -> list[tuple[str, NodeState]]:
        """Where ``cid`` is: the primary first, then each replica."""
        states: list[tuple[str, NodeState]] = []
        for name, has in [(self.primary_name, self.primary.has)] + [
            (r.name, r.pinned) for r in self.replicas
        ]:
            try:
                states.append((name, "present" if has(cid) else "missing"))
            except BlobStoreUnavailable:
                states.append((name, "unreachable"))
        return states

    # the background replicator

    def start_replicating(self, interval_s: float) -> None:
        """Run :meth:`replicate_pending` in a thread: at once, after every :meth:`sync`, and
        every ``interval_s`` seconds (retrying replicas that were down), until :meth:`close`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._replicate_forever, args=(interval_s,), name="replicator", daemon=True
        )
        self._thread.start()

    def _replicate_forever(self, interval_s: float) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.replicate_pending()
            except (NotaryError, OSError) as exc:  # the primary or the queue failed: retry later
                log.warning("replication pass failed: %s", exc)
            self._wake.wait(interval_s)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        for replica in self.replicas:
            replica.close()
        self._queue.unsynced.close()
        self.primary.close()
