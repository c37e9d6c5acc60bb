"""Oversight's snapshot cache (table ``oversight_snapshots``, migration ``0012_oversight_snapshots``):
per project, its snapshot as JSON (notary/oversight/codec.py), the head leaf index it was folded
through, and a MAC. What the rows mean and when one may be used is decided by
:class:`api.service.oversight.Oversight`; this module only reads and writes them.

A row is read together with the project's head (``project_heads``), in one statement, and only
when the two heads are equal: a row folded before the project's latest record is never handed out.
A write replaces a row only with one folded through the same head or a later one, so of two
workers writing at once the older fold never overwrites the newer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Engine, LargeBinary, String, Table, and_, select
from sqlalchemy.dialects import postgresql, sqlite

from api.storage import db
from api.storage.errors import db_errors, db_errors_iter

__all__ = ["CachedSnapshot", "SnapshotCache", "oversight_snapshots"]

oversight_snapshots = Table(
    "oversight_snapshots",
    db.metadata,
    Column("project", String(64), primary_key=True),
    #: The leaf index of the project's last record the snapshot was folded from.
    Column("head", BigInteger, nullable=False),
    #: HMAC-SHA256 of the row (notary.oversight.codec.snapshot_mac).
    Column("mac", LargeBinary(32), nullable=False),
    #: UTF-8 JSON: the encoded snapshot, or ``null`` for a code that makes none.
    Column("body", LargeBinary, nullable=False),
)

#: Rows read at a time, and written per statement.
_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class CachedSnapshot:
    project: str
    head: int
    mac: bytes
    body: bytes


class SnapshotCache:
    """The snapshot rows of one database (its schema comes from ``LogStore.open``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert

    @db_errors_iter
    def moved_since(self, tree_size: int) -> Iterator[tuple[str, CachedSnapshot | None]]:
        """Each project whose head is at or beyond ``tree_size``, with its stored row when the
        row was folded through that head (None when there is none or it is older)."""
        h, s = db.project_heads.c, oversight_snapshots.c
        query = (
            select(h.project, s.head, s.mac, s.body)
            .select_from(
                db.project_heads.outerjoin(
                    oversight_snapshots, and_(s.project == h.project, s.head == h.leaf_index)
                )
            )
            .where(h.leaf_index >= tree_size)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=_CHUNK).execute(query)
            for project, head, mac, body in result:
                row = None if head is None else CachedSnapshot(project, head, mac, bytes(body))
                yield str(project), row

    @db_errors
    def save(self, rows: Sequence[CachedSnapshot]) -> None:
        """Store ``rows``, each replacing its project's row unless that one is of a later head;
        one statement (and transaction) per :data:`_CHUNK` rows."""
        s = oversight_snapshots.c
        statement = self._insert(oversight_snapshots)
        statement = statement.on_conflict_do_update(
            index_elements=[s.project],
            set_={
                "head": statement.excluded.head,
                "mac": statement.excluded.mac,
                "body": statement.excluded.body,
            },
            where=s.head <= statement.excluded.head,
        )
        for start in range(0, len(rows), _CHUNK):
            with db.write(self.engine) as conn:
                conn.execute(
                    statement,
                    [
                        {"project": r.project, "head": r.head, "mac": r.mac, "body": r.body}
                        for r in rows[start : start + _CHUNK]
                    ],
                )
