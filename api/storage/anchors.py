"""The ``anchors`` table (migration ``0002_anchors``) and :class:`AnchorStore`, the anchorer's
:class:`~anchors.ports.AnchorLedger` on SQLAlchemy.

One :class:`~anchors.ports.AnchorRow` per ``anchor()`` transaction the anchorer signed. The row,
with the signed raw transaction, its hash and nonce, is written *before* the transaction is sent,
so a process killed at any point finds its transaction again on restart and never anchors the same
checkpoint twice. The statuses are described in :mod:`anchors.ports`.

Database failures are raised as :class:`~notary.errors.LogError` (or ``StorageFullError``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from anchors.ports import AnchorRow, AnchorStatus
from api.storage import db
from api.storage.errors import db_errors

__all__ = ["AnchorRow", "AnchorStatus", "AnchorStore", "anchors_table"]

anchors_table = Table(
    "anchors",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("from_size", BigInteger, nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract", String(42), nullable=False),
    Column("tx_hash", String(66), nullable=False, unique=True),
    Column("nonce", BigInteger, nullable=False),
    Column("raw_tx", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("block_number", BigInteger, nullable=True),
    Column("block_hash", String(66), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("confirmed_at", String(40), nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_anchors_status_tree_size", "status", "tree_size"),
)


def _row(r: Any) -> AnchorRow:
    return AnchorRow(
        id=int(r.id),
        tree_size=int(r.tree_size),
        root_hash=bytes(r.root_hash),
        from_size=int(r.from_size),
        chain_id=int(r.chain_id),
        contract=str(r.contract),
        tx_hash=str(r.tx_hash),
        nonce=int(r.nonce),
        raw_tx=bytes(r.raw_tx),
        status=str(r.status),
        block_number=None if r.block_number is None else int(r.block_number),
        block_hash=r.block_hash,
        created_at=str(r.created_at),
        confirmed_at=r.confirmed_at,
        detail=r.detail,
    )


class AnchorStore:
    """The anchors of one database (the schema comes from :meth:`api.storage.log.LogStore.open`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @db_errors
    def record_signed(
        self,
        *,
        tree_size: int,
        root_hash: bytes,
        from_size: int,
        chain_id: int,
        contract: str,
        tx_hash: str,
        nonce: int,
        raw_tx: bytes,
        created_at: str,
    ) -> AnchorRow:
        """Persist a signed transaction as ``pending`` (call before sending it)."""
        with db.write(self.engine) as conn:
            result = conn.execute(
                insert(anchors_table).values(
                    tree_size=tree_size,
                    root_hash=root_hash,
                    from_size=from_size,
                    chain_id=chain_id,
                    contract=contract,
                    tx_hash=tx_hash,
                    nonce=nonce,
                    raw_tx=raw_tx,
                    status="pending",
                    created_at=created_at,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            row = conn.execute(select(anchors_table).where(anchors_table.c.id == key[0])).one()
        return _row(row)

    def mark_confirmed(
        self, anchor_id: int, *, block_number: int, block_hash: str, at: str
    ) -> None:
        self._update(
            anchor_id,
            status="confirmed",
            block_number=block_number,
            block_hash=block_hash,
            confirmed_at=at,
        )

    def mark(self, anchor_id: int, status: AnchorStatus, detail: str | None = None) -> None:
        self._update(anchor_id, status=status, detail=detail)

    def note_block(
        self, anchor_id: int, *, block_number: int | None, block_hash: str | None
    ) -> None:
        """Remember the block a pending transaction was last seen in (cleared after a reorg)."""
        self._update(anchor_id, block_number=block_number, block_hash=block_hash)

    @db_errors
    def _update(self, anchor_id: int, **values: Any) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(anchors_table).where(anchors_table.c.id == anchor_id).values(**values)
            )

    @db_errors
    def _query(self, query: Any) -> list[AnchorRow]:
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def get(self, anchor_id: int) -> AnchorRow | None:
        found = self._query(select(anchors_table).where(anchors_table.c.id == anchor_id))
        return found[0] if found else None

    def pending(self) -> list[AnchorRow]:
        """Pending anchors, oldest nonce first."""
        c = anchors_table.c
        return self._query(
            select(anchors_table).where(c.status == "pending").order_by(c.nonce, c.id)
        )

    def latest_confirmed(self, contract: str | None = None) -> AnchorRow | None:
        c = anchors_table.c
        query = select(anchors_table).where(c.status == "confirmed")
        if contract:
            query = query.where(c.contract == contract)
        found = self._query(query.order_by(c.tree_size.desc()).limit(1))
        return found[0] if found else None

    def covering(self, leaf_index: int, contract: str | None = None) -> AnchorRow | None:
        """The smallest confirmed anchored tree that contains leaf ``leaf_index``."""
        c = anchors_table.c
        query = select(anchors_table).where(c.status == "confirmed", c.tree_size > leaf_index)
        if contract:
            query = query.where(c.contract == contract)
        found = self._query(query.order_by(c.tree_size).limit(1))
        return found[0] if found else None

    def all(self) -> list[AnchorRow]:
        return self._query(select(anchors_table).order_by(anchors_table.c.id))
