"""The notary service: the pure core wired to the log store and the notary key."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, overload

from sqlalchemy import Connection

from api.clock import utc_now
from api.service.lifecycle import LifecycleGate, rules_from_settings
from api.settings import Settings
from api.storage.entries import AppendedEntry, StoredEntry
from api.storage.idempotency import IdempotencyClaim
from api.storage.keystore import load_notary_key
from api.storage.log import KnownHeads, LogStore
from api.storage.projects import ProjectGate, ProjectRow
from notary.bundle import KeyProof, ProofBundle, make_bundle
from notary.chainview import Anchor
from notary.errors import NotaryError, NotFoundError
from notary.lifecycle import Actor, LifecycleRules
from notary.records import Record
from notary.signing import Checkpoint, NotaryKey, Receipt


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
        rules: LifecycleRules | None = None,
    ) -> None:
        self.settings = settings
        self.log = log
        self.key = key
        self.clock = clock
        self._new_id = new_id
        #: The lifecycle's rules, enforced on every project record; None: not enforced.
        self.rules = rules
        self._project_rows: dict[str, ProjectRow] = {}  # the gates' parsed states

    @classmethod
    def open(cls, settings: Settings) -> Notary:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log = LogStore.open(settings.sqlalchemy_url, sqlite_synchronous=settings.sqlite_synchronous)
        return cls(
            settings=settings,
            log=log,
            key=load_notary_key(settings),
            rules=rules_from_settings(settings),
        )

    def close(self) -> None:
        self.log.close()

    @overload
    def submit(
        self,
        records: Sequence[Record],
        *,
        isolate_failures: Literal[False] = False,
        people: Mapping[str, Actor] | None = None,
        claims: Sequence[IdempotencyClaim | None] = (),
        within: Callable[[Connection], None] | None = None,
    ) -> list[Accepted]: ...

    @overload
    def submit(
        self,
        records: Sequence[Record],
        *,
        isolate_failures: Literal[True],
        people: Mapping[str, Actor] | None = None,
        claims: Sequence[IdempotencyClaim | None] = (),
    ) -> list[Accepted | NotaryError]: ...

    def submit(
        self,
        records: Sequence[Record],
        *,
        isolate_failures: bool = False,
        people: Mapping[str, Actor] | None = None,
        claims: Sequence[IdempotencyClaim | None] = (),
        within: Callable[[Connection], None] | None = None,
    ) -> list[Accepted] | list[Accepted | NotaryError]:
        """Append validated records in one transaction and sign their receipts.

        When a record fails (a stale ``prev``, or the lifecycle refuses it) nothing is appended
        and its error is raised; with ``isolate_failures`` it fails alone, its error in its place
        (:meth:`LogStore.append`). ``people`` are the lifecycle actors among the records'
        submitters and signers (:func:`~api.service.lifecycle.people_of`). ``claims``: each
        record's idempotency key, if any, stored with it; ``within``: writes committed with the
        records or not at all (both :meth:`LogStore.append`). Concurrent
        requests share one call through :class:`~api.service.committer.Committer`.
        """
        items = [(self._new_id(), r) for r in records]
        keys = {i: c for (i, _), c in zip(items, claims, strict=False) if c is not None}
        gate = self.gate(people or {})
        if not isolate_failures:
            appended = self.log.append(items, gate=gate, claims=keys, within=within)
            return [self.receipted(a) for a in appended]
        return [
            a if isinstance(a, NotaryError) else self.receipted(a)
            for a in self.log.append(items, isolate_failures=True, gate=gate, claims=keys)
        ]

    def gate(self, people: Mapping[str, Actor]) -> LifecycleGate | None:
        """The lifecycle gate for records by ``people`` (None: the lifecycle is not enforced)."""
        if self.rules is None:
            return None
        return LifecycleGate(self.rules, people, self._project_rows)

    def file(
        self,
        records: Sequence[Record],
        *,
        gate: ProjectGate | None,
        known: KnownHeads | None = None,
    ) -> list[AppendedEntry]:
        """Append ``records`` in one transaction, as :meth:`submit` does, judged by ``gate`` (the
        lifecycle's, or one that stands in for it), and sign no receipts: for a bulk import,
        whose answer names the leaves it filled, not receipts (docs/data-interface.md). ``known``:
        their projects' heads as the import read them (:class:`~api.storage.log.KnownHeads`)."""
        return self.log.append([(self._new_id(), r) for r in records], gate=gate, known=known)

    def receipted(self, appended: AppendedEntry) -> Accepted:
        """``appended`` with its receipt (Ed25519 signs deterministically: the same receipt each
        time, which is what a retry with an idempotency key is answered with)."""
        receipt = self.key.sign_receipt(
            appended.index, appended.leaf_hash, appended.record.received_at
        )
        return Accepted(appended.record_id, appended, receipt)

    def publish_checkpoint(self) -> Checkpoint:
        """Sign the log's current size and root and store the checkpoint; return the one stored
        for that size (published once: the first stays). The anchorer's
        :class:`~anchors.ports.CheckpointPublisher`."""
        size, root = self.log.state()
        return self.log.store_checkpoint(self.key.sign_checkpoint(size, root, self.clock()))

    def bundle(
        self,
        stored: StoredEntry,
        *,
        checkpoint: Checkpoint | None = None,
        anchor: Anchor | None = None,
        key_leaves: Sequence[int] = (),
    ) -> ProofBundle:
        """A proof bundle for a stored record against ``checkpoint`` (default: the latest one),
        with inclusion proofs of the key registrations at ``key_leaves`` that precede it."""
        cp = checkpoint or self.log.checkpoint()
        if cp.tree_size <= stored.index:
            raise NotFoundError(
                f"record {stored.record_id} (leaf {stored.index}) is not yet covered by a checkpoint"
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
