"""The notary service: the pure core wired to the log store and the notary key."""

from __future__ import annotations

import json
import mimetypes
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.settings import Settings
from api.storage.keystore import load_notary_key
from api.storage.log import AppendedEntry, LogStore
from notary.bundle import Anchor, KeyProof, ProofBundle, make_bundle
from notary.digests import digest_stream
from notary.errors import NotaryError, NotFoundError
from notary.records import Content, Record
from notary.signing import Checkpoint, NotaryKey, Receipt


def utc_now() -> str:
    """RFC 3339 UTC with microseconds, e.g. ``2026-11-23T00:01:03.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_record_id() -> str:
    """A UUIDv7-style id (48-bit milliseconds, then randomness), as 32 hex digits.

    Time-ordered ids keep the record-id index append-mostly, which keeps inserts cheap.
    """
    millis = time.time_ns() // 1_000_000
    return f"{millis:012x}{secrets.token_hex(10)}"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A record in the log, and the signed receipt promising it will be anchored."""

    record_id: str
    entry: AppendedEntry
    receipt: Receipt


class Notary:
    """Accepts records, signs receipts and checkpoints, and builds proof bundles."""

    def __init__(
        self,
        *,
        settings: Settings,
        log: LogStore,
        key: NotaryKey,
        clock: Callable[[], str] = utc_now,
        new_id: Callable[[], str] = new_record_id,
    ) -> None:
        self.settings = settings
        self.log = log
        self.key = key
        self.clock = clock
        self._new_id = new_id

    @classmethod
    def open(cls, settings: Settings) -> Notary:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log = LogStore.open(settings.sqlalchemy_url, sqlite_synchronous=settings.sqlite_synchronous)
        return cls(settings=settings, log=log, key=load_notary_key(settings))

    def close(self) -> None:
        self.log.close()

    def submit_many(self, drafts: Sequence[dict[str, Any]]) -> list[Accepted]:
        """Validate drafts (record fields without ``received_at``), append them, sign receipts."""
        now = self.clock()
        items = [(self._new_id(), Record.model_validate({**d, "received_at": now})) for d in drafts]
        return [self._receipted(a) for a in self.log.append_many(items)]

    def submit(self, draft: dict[str, Any]) -> Accepted:
        return self.submit_many([draft])[0]

    def accept(self, record: Record) -> Accepted:
        """Append one validated record (group commit with concurrent callers); sign its receipt."""
        return self._receipted(self.log.append(self._new_id(), record))

    def accept_each(self, records: Sequence[Record]) -> list[Accepted | NotaryError]:
        """Append validated records in one transaction and sign their receipts; a record that
        fails (a stale ``prev``) fails alone, its error in its place."""
        items = [(self._new_id(), r, None if r.project else r.canonical()) for r in records]
        return [
            a if isinstance(a, NotaryError) else self._receipted(a)
            for a in self.log.append_each(items)
        ]

    def _receipted(self, appended: AppendedEntry) -> Accepted:
        receipt = self.key.sign_receipt(
            appended.index, appended.leaf_hash, appended.record.received_at
        )
        return Accepted(appended.record_id, appended, receipt)

    def stamp_file(self, path: Path, *, submitter: str, **fields: Any) -> Accepted:
        """Hash a file in one streaming pass and append a record for it."""
        with path.open("rb") as f:
            digest = digest_stream(f, sm3=self.settings.sm3)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        content = Content(
            sha256=digest.sha256,
            sm3=digest.sm3,
            size=digest.size,
            media_type=media_type,
            name=path.name[:255],
        )
        draft = {"kind": "document", **fields, "submitter": submitter, "content": content}
        return self.submit(draft)

    def publish_checkpoint(self) -> Checkpoint:
        return self.log.publish_checkpoint(self.key, self.clock())

    def bundle(
        self,
        record_id: str,
        *,
        checkpoint: Checkpoint | None = None,
        anchor: Anchor | None = None,
        key_leaves: Sequence[int] = (),
    ) -> ProofBundle:
        """A proof bundle for a record against ``checkpoint`` (default: the latest one), with
        inclusion proofs of the key registrations at ``key_leaves`` that precede it."""
        stored = self.log.get(record_id)
        cp = checkpoint or self.log.checkpoint()
        if cp.tree_size <= stored.index:
            raise NotFoundError(
                f"record {record_id} (leaf {stored.index}) is not yet covered by a checkpoint"
            )
        return make_bundle(
            entry=stored.entry,
            leaf_index=stored.index,
            checkpoint=cp,
            inclusion_proof=self.log.inclusion_proof(stored.index, cp.tree_size),
            anchor=anchor,
            log_public_key=self.key.public_key,
            key_proofs=[
                KeyProof(
                    record=json.loads(self.log.get_by_index(leaf).entry),
                    leaf_index=leaf,
                    inclusion_proof=[p.hex() for p in self.log.inclusion_proof(leaf, cp.tree_size)],
                )
                for leaf in key_leaves
                if leaf < stored.index
            ],
        )
