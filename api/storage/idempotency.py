"""Idempotency keys of ``POST /v1/records`` (migration ``0010_idempotency``).

A key belongs to the party that sent it: the row ``(party, key)`` holds the fingerprint of the
request and the id of the record it made. :class:`~api.storage.log.LogStore` writes the row in the
transaction that appends that record (through :class:`KeyClaims`), so a record never exists
without its key nor a key without its record, and of two requests with one key only the first to
take the log lock appends: the other finds the row, under the same lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    select,
    tuple_,
)

from api.storage import db
from api.storage.errors import db_errors
from api.storage.parties import ConflictError
from notary.errors import NotaryError

__all__ = [
    "IdempotencyClaim",
    "IdempotencyStore",
    "KeyClaims",
    "KeyReplay",
    "KeyReusedError",
    "StoredKey",
]

idempotency_keys = Table(
    "idempotency_keys",
    db.metadata,
    Column("party", String(128), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", LargeBinary(32), nullable=False),
    Column("record_id", String(40), nullable=False),
    #: The record's ``received_at`` (RFC 3339 UTC, fixed width: compares as text).
    Column("created_at", String(40), nullable=False),
)


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A request's key, scoped to its party, and the fingerprint of what it asked."""

    party: str
    key: str
    fingerprint: bytes


@dataclass(frozen=True, slots=True)
class StoredKey:
    fingerprint: bytes
    record_id: str


class KeyReusedError(ConflictError):
    """The key was used before, by this party, for another request (HTTP 409)."""

    code = "idempotency_key_reused"


class KeyReplay(NotaryError):
    """The key was used before for this same request: the answer is the record it made."""

    code = "idempotency_replay"

    def __init__(self, record_id: str) -> None:
        super().__init__(f"already answered with record {record_id}")
        self.record_id = record_id


def judge(claim: IdempotencyClaim, stored: StoredKey) -> KeyReplay | KeyReusedError:
    """What a request with a key already stored gets: the original answer, or a conflict."""
    if stored.fingerprint == claim.fingerprint:
        return KeyReplay(stored.record_id)
    return KeyReusedError(
        f"Idempotency-Key {claim.key!r} was used for another request (record "
        f"{stored.record_id}); use a new key for a new request"
    )


class KeyClaims:
    """The keys of one append, checked and written inside its transaction."""

    def __init__(self, conn: Connection, claims: Iterable[IdempotencyClaim]) -> None:
        self._conn = conn
        pairs = {(c.party, c.key) for c in claims}
        k = idempotency_keys.c
        rows = (
            conn.execute(
                select(k.party, k.key, k.fingerprint, k.record_id).where(
                    tuple_(k.party, k.key).in_(pairs)
                )
            ).all()
            if pairs
            else []
        )
        self._known = {(p, key): StoredKey(bytes(f), r) for p, key, f, r in rows}
        self._new: list[dict[str, object]] = []

    def claim(self, claim: IdempotencyClaim, record_id: str, created_at: str) -> None:
        """Take ``claim`` for ``record_id``; raise :func:`judge`'s answer when it is taken."""
        stored = self._known.get((claim.party, claim.key))
        if stored is not None:
            raise judge(claim, stored)
        self._known[(claim.party, claim.key)] = StoredKey(claim.fingerprint, record_id)
        self._new.append(
            {
                "party": claim.party,
                "key": claim.key,
                "fingerprint": claim.fingerprint,
                "record_id": record_id,
                "created_at": created_at,
            }
        )

    def save(self) -> None:
        if self._new:
            self._conn.execute(insert(idempotency_keys), self._new)


class IdempotencyStore:
    """Reads and expires the keys (they are written only by the log's append)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @db_errors
    def find(self, party: str, key: str) -> StoredKey | None:
        k = idempotency_keys.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(k.fingerprint, k.record_id).where(k.party == party, k.key == key)
            ).first()
        return None if row is None else StoredKey(bytes(row.fingerprint), row.record_id)

    @db_errors
    def expire(self, before: str) -> int:
        """Forget the keys stored before ``before`` (RFC 3339 UTC); return how many."""
        with db.write(self.engine) as conn:
            result = conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < before)
            )
        return int(result.rowcount or 0)
