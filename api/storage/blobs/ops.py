"""Blob store operations: migrate local blobs into IPFS, check every blob and where its copies are,
erase one.

These take stores and plain iterables, not the database: the CLI (:mod:`api.cli.blobs`) feeds them
the ``(cid, sha256)`` pairs the log's entries commit to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from api.storage.blobs.local import LocalBlobStore
from api.storage.blobs.replication import Kind, NodeState, ReplicatedBlobStore
from notary.blobs import BlobStore, Tombstone
from notary.errors import (
    BlobDecryptionError,
    BlobErasedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreError,
    BlobStoreUnavailable,
    InvalidCidError,
    KeyMaterialError,
)

__all__ = [
    "BlobProblem",
    "CheckReport",
    "FileReplication",
    "MigrationReport",
    "ReplicationReport",
    "check_blobs",
    "check_replication",
    "erase_blob",
    "migrate_blobs",
]

Progress = Callable[[str], None]


@dataclass
class MigrationReport:
    copied: list[str] = field(default_factory=list)
    tombstones: list[str] = field(default_factory=list)
    removed_local: list[str] = field(default_factory=list)
    bytes_copied: int = 0


def migrate_blobs(
    source: LocalBlobStore,
    target: BlobStore,
    *,
    remove_local: bool = False,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy every blob of ``source`` into ``target`` byte for byte (private blobs stay encrypted,
    their wrapped keys travel in the metadata) and carry the tombstones over.

    Every copy is checked twice: the bytes read from ``source`` must hash to their CID, and the CID
    ``target`` computes (for IPFS: the CID the node returns) must be the same. A blob already in
    ``target`` is copied again, which checks it and costs the node nothing. With ``remove_local``
    each local blob is deleted once its copy is verified. Stops at the first failure (nothing is
    removed for the failing blob); running it again resumes.
    """
    report = MigrationReport()
    for stone in source.iter_tombstones():
        target.import_tombstone(stone)
        report.tombstones.append(stone.cid)
    for cid in list(source.iter_cids()):
        info = source.stat(cid)
        with source.open_stored(cid) as stream:
            copied = target.import_stored(stream, info)
        if copied.cid != cid:  # import_stored checks this too; never remove on doubt
            raise BlobIntegrityError(f"migrating {cid}: the target stored it as {copied.cid}")
        report.copied.append(cid)
        report.bytes_copied += info.size
        if remove_local:
            source.discard(cid)
            report.removed_local.append(cid)
        if progress is not None:
            progress(cid)
    return report


ProblemKind = Literal["missing", "corrupt", "mismatch", "undecryptable", "invalid_cid", "error"]


@dataclass(frozen=True, slots=True)
class BlobProblem:
    cid: str
    kind: ProblemKind
    detail: str


@dataclass
class CheckReport:
    checked: int = 0
    ok: int = 0
    #: Erased on purpose: not a problem, listed for the record.
    erased: list[str] = field(default_factory=list)
    #: Private blobs whose plaintext could not be checked (no key-encryption key configured).
    ciphertext_only: list[str] = field(default_factory=list)
    problems: list[BlobProblem] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def check_blobs(
    store: BlobStore,
    expected: Iterable[tuple[str, str | None]] | None = None,
    *,
    progress: Progress | None = None,
) -> CheckReport:
    """Re-read every blob and re-verify it: the stored bytes against the CID (bit rot, tampering)
    and the content against the SHA-256 it is expected to have.

    ``expected`` gives ``(cid, sha256 hex or None)`` pairs, e.g. from the log's entries; ``None``
    there (or no ``expected`` at all: every blob of the store) means the digest recorded in the
    store's metadata. Private blobs are decrypted when the store has the key-encryption key,
    otherwise only their ciphertext is checked. A blob the store cannot reach at all raises
    ``BlobStoreUnavailable`` instead of being reported blob by blob.
    """
    wanted: dict[str, set[str]] = {}
    pairs = expected if expected is not None else ((cid, None) for cid in store.iter_cids())
    for cid, sha in pairs:
        shas = wanted.setdefault(cid, set())
        if sha is not None:
            shas.add(sha.lower())
    report = CheckReport()
    for cid, shas in wanted.items():
        report.checked += 1
        problem = _check_one(store, cid, shas, report)
        if problem is not None:
            report.problems.append(problem)
        elif cid not in report.erased:
            report.ok += 1
        if progress is not None:
            progress(cid)
    return report


def _check_one(
    store: BlobStore, cid: str, shas: set[str], report: CheckReport
) -> BlobProblem | None:
    try:
        if store.tombstone(cid) is not None:
            report.erased.append(cid)
            return None
        info = store.stat(cid)
        shas = shas or {info.sha256}
        if info.sha256 not in shas:
            return BlobProblem(
                cid, "mismatch", f"the store records sha256 {info.sha256}, expected {sorted(shas)}"
            )
        if info.encrypted and not store.can_decrypt:
            _drain(store.open_stored(cid))
            report.ciphertext_only.append(cid)
            return None
        reader = store.open(cid) if info.encrypted else store.open_stored(cid)
        got = _drain(reader)
        if got not in shas:
            return BlobProblem(
                cid, "mismatch", f"content has sha256 {got}, expected {sorted(shas)}"
            )
        return None
    except BlobErasedError:
        report.erased.append(cid)
        return None
    except BlobNotFoundError as exc:
        return BlobProblem(cid, "missing", str(exc))
    except BlobIntegrityError as exc:
        return BlobProblem(cid, "corrupt", str(exc))
    except (BlobDecryptionError, KeyMaterialError) as exc:
        return BlobProblem(cid, "undecryptable", str(exc))
    except InvalidCidError as exc:
        return BlobProblem(cid, "invalid_cid", str(exc))
    except BlobStoreUnavailable:
        raise
    except BlobStoreError as exc:
        return BlobProblem(cid, "error", str(exc))


def _drain(reader: BinaryIO) -> str:
    """Read a store's reader to the end (so its checks run); return the SHA-256 of what it gave."""
    sha = hashlib.sha256()
    with reader:
        while chunk := reader.read(1024 * 1024):
            sha.update(chunk)
    return sha.hexdigest()


def erase_blob(store: BlobStore, cid: str, *, reason: str) -> Tombstone:
    """Personal-data takedown: delete the blob's bytes (and a private blob's data key) and leave a
    tombstone; reads then fail with ``BlobErasedError`` giving the reason. Records and proofs
    commit to the content's digest, not to the bytes, so they stay valid."""
    return store.erase(cid, reason=reason)


@dataclass(frozen=True, slots=True)
class FileReplication:
    """Where one blob is: ``nodes`` are the primary, then each replica, with what each said."""

    cid: str
    kind: Kind
    nodes: tuple[tuple[str, NodeState], ...]

    @property
    def copies(self) -> int:
        return sum(state == "present" for _, state in self.nodes)

    @property
    def under_replicated(self) -> bool:
        """A public blob (or one the primary knows nothing of) not on every node."""
        return self.kind in ("public", "unknown") and self.copies < len(self.nodes)

    @property
    def leaked(self) -> bool:
        """A private or erased blob that a replica holds."""
        return self.kind in ("private", "erased") and any(s == "present" for _, s in self.nodes[1:])

    @property
    def lost(self) -> bool:
        """Every node answered, and none holds the blob."""
        return self.kind != "erased" and all(state == "missing" for _, state in self.nodes)


@dataclass
class ReplicationReport:
    files: list[FileReplication] = field(default_factory=list)
    #: Blobs copied to the nodes that lacked them (or removed from replicas) by ``repair``.
    repaired: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        """How many files are public, on every node, under-replicated, private, leaked, lost."""
        files = self.files
        return {
            "public": sum(f.kind == "public" for f in files),
            "replicated": sum(f.kind == "public" and f.copies == len(f.nodes) for f in files),
            "under_replicated": sum(f.under_replicated for f in files),
            "private": sum(f.kind == "private" for f in files),
            "leaked": sum(f.leaked for f in files),
            "lost": sum(f.lost for f in files),
        }

    @property
    def healthy(self) -> bool:
        return not any(f.under_replicated or f.leaked or f.lost for f in self.files)


def check_replication(
    store: ReplicatedBlobStore,
    cids: Iterable[str],
    *,
    repair: bool = False,
    progress: Callable[[FileReplication], None] | None = None,
) -> ReplicationReport:
    """Ask the primary and every replica which of ``cids`` they hold. With ``repair``: each public
    blob missing somewhere is copied there from a node that has it (CID checked), each private or
    erased blob found on a replica removed, and then the queue worked through."""
    report = ReplicationReport()
    for cid in dict.fromkeys(cids):
        try:
            kind = store.kind(cid)
        except BlobStoreError:  # no metadata here, and the primary cannot be asked
            kind = "unknown"
        found = FileReplication(cid, kind, tuple(store.node_states(cid)))
        if repair and (found.under_replicated or found.leaked):
            store.restore_primary(cid)
            store.reconcile(cid)
            found = FileReplication(cid, kind, tuple(store.node_states(cid)))
            if not (found.under_replicated or found.leaked):
                report.repaired.append(cid)
        report.files.append(found)
        if progress is not None:
            progress(found)
    if repair:
        store.replicate_pending()
    return report
