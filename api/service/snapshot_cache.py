"""Oversight's snapshots kept in the database, so a restarted server (or ``sunlight oversight run``)
loads them instead of folding the whole log again (100,000 projects: seconds instead of minutes).

A stored row (api/storage/snapshots.py) is a cache of what the log says, never a source: it is
used only when it provably is what folding the log would give now, and otherwise the project is
folded from the log and its row written again.

- **Fresh.** A row is used only when the head leaf index it was folded through equals the
  project's head in ``project_heads`` (read in the same statement). A project appended to since,
  by this process or another worker, is folded again.
- **Ours.** A row is used only when its HMAC-SHA256 verifies, under a key derived (HKDF, label
  :data:`KEY_LABEL`) from the notary's signing key, which is not in the database. The MAC binds
  the project code, the head, a :func:`fold_fingerprint` and the body: a body edited in the
  database (a payment removed to hide an alert), a row copied to another project or moved to
  another head, or one folded under other lifecycle rules or by other fold code, fails it and
  the project is folded from the log (failures are logged once per load, with their count).
- **Plain data.** A body is JSON decoded by :func:`notary.oversight.codec.decode_snapshot`, only
  after its MAC verified; nothing from the database is ever executed.
- **Complete.** A snapshot is stored only when every site photo it read had been indexed: a photo
  is flagged just after its append, and a snapshot folded in between must not outlive the process.
- **Best effort.** The rows of the projects folded in a refresh are written in bulk (one statement
  per 2,000 rows); a write that fails is logged and the page is served all the same.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sqlalchemy import Engine

import notary.evidence.photos
import notary.lifecycle.kinds
import notary.lifecycle.project
import notary.lifecycle.rules
import notary.oversight.codec
import notary.oversight.snapshot
from api.storage.snapshots import CachedSnapshot, SnapshotCache
from notary.errors import NotaryError
from notary.jcs import canonical_json
from notary.lifecycle import LifecycleRules
from notary.oversight import ProjectSnapshot, SnapshotError
from notary.oversight.codec import SNAPSHOT_FORMAT, decode_snapshot, encode_snapshot, snapshot_mac
from notary.signing import NotaryKey

__all__ = ["KEY_LABEL", "Folded", "Loaded", "StoredSnapshots", "fold_fingerprint"]

log = logging.getLogger("sunlight.api")

#: The HKDF label of the key the stored snapshots are MACed with.
KEY_LABEL = "sunlight/oversight-snapshots/1"

#: The code a snapshot is folded and encoded by: a change to any of them refolds every project.
_FOLD_CODE: tuple[ModuleType, ...] = (
    notary.oversight.snapshot,
    notary.oversight.codec,
    notary.lifecycle.kinds,
    notary.lifecycle.project,
    notary.lifecycle.rules,
    notary.evidence.photos,
)


def fold_fingerprint(rules: LifecycleRules) -> bytes:
    """SHA-256 of what a snapshot depends on besides its project's records: the stored format,
    the lifecycle ``rules`` (the ceiling), and the source of the code that folds and encodes."""
    digest = hashlib.sha256(SNAPSHOT_FORMAT.encode() + b"\x00")
    digest.update(canonical_json(rules.model_dump(mode="json")))
    digest.update(_fold_code_digest())
    return digest.digest()


@functools.cache
def _fold_code_digest() -> bytes:
    digest = hashlib.sha256()
    for module in _FOLD_CODE:
        assert module.__file__ is not None
        digest.update(hashlib.sha256(Path(module.__file__).read_bytes()).digest())
    return digest.digest()


@dataclass(frozen=True, slots=True)
class Folded:
    """A project folded from the log through leaf ``head``; ``snapshot`` None for a code that
    makes none (no valid registration)."""

    project: str
    head: int
    snapshot: ProjectSnapshot | None


@dataclass(frozen=True, slots=True)
class Loaded:
    """The projects moved since a size: those whose stored row could be used (code → snapshot,
    None for a code that makes none), and those to fold from the log."""

    found: dict[str, ProjectSnapshot | None]
    refold: list[str]
    #: Rows that failed their MAC or did not decode.
    rejected: int


class StoredSnapshots:
    """The verified snapshot rows of one log, under its notary key and lifecycle rules."""

    def __init__(self, engine: Engine, key: NotaryKey, rules: LifecycleRules) -> None:
        self._cache = SnapshotCache(engine)
        self._key = key.derive_secret(KEY_LABEL)
        self._fingerprint = fold_fingerprint(rules)

    def load(self, since: int) -> Loaded:
        """The projects whose head is at or beyond ``since``: each with its stored snapshot when
        a row of its current head verifies, or to be folded again."""
        found: dict[str, ProjectSnapshot | None] = {}
        refold: list[str] = []
        rejected = 0
        for code, row in self._cache.moved_since(since):
            if row is None:
                refold.append(code)
                continue
            try:
                found[code] = self._verified(row)
            except SnapshotError:
                rejected += 1
                refold.append(code)
        if rejected:
            log.warning(
                "oversight: %d stored snapshot(s) failed their MAC or did not decode; "
                "folded again from the log",
                rejected,
            )
        return Loaded(found, refold, rejected)

    def _verified(self, row: CachedSnapshot) -> ProjectSnapshot | None:
        if not hmac.compare_digest(row.mac, self._mac(row.project, row.head, row.body)):
            raise SnapshotError(f"the stored snapshot of {row.project} fails its MAC")
        try:
            value = json.loads(row.body)
        except ValueError as e:
            raise SnapshotError(f"the stored snapshot of {row.project}: {e}") from None
        if value is None:
            return None
        snapshot = decode_snapshot(value)
        if snapshot.code != row.project:
            raise SnapshotError(f"the stored snapshot of {row.project} is of {snapshot.code}")
        return snapshot

    def save(self, folded: Sequence[Folded]) -> None:
        """Store the rows of ``folded``; a failure is logged, never raised."""
        rows = []
        for f in folded:
            value = None if f.snapshot is None else encode_snapshot(f.snapshot)
            body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
            rows.append(CachedSnapshot(f.project, f.head, self._mac(f.project, f.head, body), body))
        try:
            self._cache.save(rows)
        except NotaryError as e:
            log.warning("oversight: the snapshots of %d project(s) not stored: %s", len(rows), e)

    def _mac(self, project: str, head: int, body: bytes) -> bytes:
        return snapshot_mac(
            self._key, project=project, head=head, fingerprint=self._fingerprint, body=body
        )
