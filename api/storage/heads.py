"""Project heads as of any tree size, the project's records below it, and the stored heads
statements (table ``heads_statements``, migration ``0005_heads``).

``project_heads`` holds each project's head *now*. The head as of an older tree size ``N`` is the
same for every project whose head is below ``N`` (nothing of it was appended since); only projects
appended to since ``N`` are looked up in ``entries`` (index ``(project, idx)``). Entries below a
published size never change, so the answer does not depend on when it is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    LargeBinary,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from api.storage import db
from api.storage.entries import Head, StoredEntry, stored
from api.storage.errors import db_errors, db_errors_iter
from notary.headsmap import HeadsStatement, SignedHeads

__all__ = ["HeadsStore", "heads_statements"]

heads_statements = Table(
    "heads_statements",
    db.metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    #: The statement's canonical bytes: what the log key signed and the anchor's manifest CID names.
    Column("statement", LargeBinary, nullable=False),
    Column("signature", String(100), nullable=False),
    Column("cid", String(128), nullable=False),
)

#: Values bound in one ``IN (…)`` list, well below every database's limit.
_CHUNK = 5000

Heads = dict[str, Head]


class HeadsStore:
    """Heads and heads statements of one database (its schema comes from ``LogStore.open``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @db_errors
    def heads_at(self, tree_size: int) -> Heads:
        """``project → (head leaf index, head leaf hash, record count)`` over the log's first
        ``tree_size`` entries. Requires ``tree_size`` at most the log's size."""
        h, e = db.project_heads.c, db.entries.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(h.project, h.leaf_index, h.leaf_hash, h.count)).all()
            heads = {p: (int(i), bytes(leaf), int(n)) for p, i, leaf, n in rows if i < tree_size}
            moved = [p for p, i, _, _ in rows if i >= tree_size]
            for start in range(0, len(moved), _CHUNK):
                found = conn.execute(
                    select(e.project, func.max(e.idx), func.count())
                    .where(e.project.in_(moved[start : start + _CHUNK]), e.idx < tree_size)
                    .group_by(e.project)
                ).all()
                leaves = dict(
                    conn.execute(
                        select(e.idx, e.leaf_hash).where(e.idx.in_([int(i) for _, i, _ in found]))
                    ).all()
                )
                heads.update({p: (int(i), bytes(leaves[i]), int(n)) for p, i, n in found})
        return heads

    @db_errors
    def project_entries(self, project: str, tree_size: int) -> list[StoredEntry]:
        """The project's entries among the log's first ``tree_size``, in index order."""
        e = db.entries.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(e.idx, e.record_id, e.leaf_hash, e.entry, e.public)
                .where(e.project == project, e.idx < tree_size)
                .order_by(e.idx)
            ).all()
        return [
            StoredEntry(int(i), rid, bytes(leaf), bytes(entry), bool(public))
            for i, rid, leaf, entry, public in rows
        ]

    @db_errors_iter
    def entries_of(
        self, projects: Sequence[str], tree_size: int
    ) -> Iterator[dict[str, list[StoredEntry]]]:
        """``projects`` (those with entries), each with its entries among the log's first
        ``tree_size`` in index order, read in bulk: one query, and one dictionary, per
        :data:`_CHUNK` projects."""
        e = db.entries.c
        for start in range(0, len(projects), _CHUNK):
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(e.project, e.idx, e.record_id, e.leaf_hash, e.entry, e.public)
                    .where(e.project.in_(projects[start : start + _CHUNK]), e.idx < tree_size)
                    .order_by(e.project, e.idx)
                ).all()
            yield {
                str(project): [stored(row) for row in group]
                for project, group in groupby(rows, key=lambda row: row.project)
            }

    @db_errors
    def get(self, tree_size: int) -> SignedHeads | None:
        """The heads statement stored for ``tree_size``, if any."""
        s = heads_statements.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.statement, s.signature).where(s.tree_size == tree_size)
            ).first()
        if row is None:
            return None
        statement = HeadsStatement.model_validate_json(bytes(row.statement))
        return SignedHeads(statement=statement, signature=row.signature)

    @db_errors
    def save(self, signed: SignedHeads) -> SignedHeads:
        """Store ``signed`` unless a statement of its size is stored; return the stored one (a
        size has one statement: the first stays)."""
        statement = signed.statement
        try:
            with db.write(self.engine) as conn:
                conn.execute(
                    insert(heads_statements).values(
                        tree_size=statement.tree_size,
                        statement=statement.payload(),
                        signature=signed.signature,
                        cid=statement.cid(),
                    )
                )
        except IntegrityError:
            stored = self.get(statement.tree_size)
            assert stored is not None
            return stored
        return signed
