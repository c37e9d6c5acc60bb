"""The persistent evidence log on SQLAlchemy (SQLite in WAL mode, or PostgreSQL).

Appending is one transaction: lock the ``log_state`` row, take the next indices, store the entries,
the subtree hashes they complete and the new frontier, commit. Only then does a caller get a receipt,
so an acknowledged record survives a killed process. Proofs read ``O(log n)`` subtree hashes in one
indexed query and never load the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from api.storage import db
from api.storage.columns import DERIVED_COLUMNS, derived_columns
from api.storage.entries import AppendedEntry, Head, StoredEntry, notarizes, stored
from api.storage.errors import database_error, db_errors, db_errors_iter
from api.storage.idempotency import IdempotencyClaim, KeyClaims
from api.storage.migrate import upgrade
from api.storage.projects import ProjectGate, ProjectRows
from notary import merkle
from notary.errors import LogError, NotaryError, NotFoundError
from notary.records import Record
from notary.signing import Checkpoint

__all__ = ["KnownHeads", "LogStore"]

_HASH = merkle.HASH_SIZE


def _split_frontier(blob: bytes) -> list[bytes]:
    return [blob[i : i + _HASH] for i in range(0, len(blob), _HASH)]


#: What the locked append takes per record: id, record, its encoding if already known.
_Item = tuple[str, Record, bytes | None]


@dataclass(frozen=True, slots=True)
class KnownHeads:
    """The heads of ``projects`` (``heads``; a project without records has none) as they were
    when the log had ``size`` entries: read in that order, the size first
    (:meth:`LogStore.known_heads`). An append under the log lock takes them instead of reading
    them again when the log still has ``size`` entries — nothing was appended since, and only an
    append moves a head — and reads them otherwise."""

    size: int
    projects: frozenset[str]
    heads: Mapping[str, Head]


_SELECT_HEADS = "SELECT project, leaf_index, leaf_hash, count FROM project_heads WHERE project"
_ENTRY = (db.entries.c.idx, db.entries.c.record_id, db.entries.c.leaf_hash, db.entries.c.entry)
#: What a :class:`StoredEntry` is read from.
_ENTRY_COLUMNS = (*_ENTRY, db.entries.c.public)
_LEAVES_BY_INDEX = select(db.entries.c.idx, db.entries.c.leaf_hash).where(
    db.entries.c.idx.in_(bindparam("idx", expanding=True))
)
_NODES_BY_KEY = select(db.nodes.c.key, db.nodes.c.hash).where(
    db.nodes.c.key.in_(bindparam("keys", expanding=True))
)


class LogStore:
    """The log of one database. Thread-safe: every method takes its own connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._entry_columns = ("idx", "record_id", "leaf_hash", "entry", *DERIVED_COLUMNS)

    @classmethod
    @db_errors
    def open(cls, url: str, *, sqlite_synchronous: str = "FULL") -> LogStore:
        """Connect to ``url`` and bring its schema up to date."""
        engine = db.make_engine(url, sqlite_synchronous=sqlite_synchronous)
        upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- appending ------------------------------------------------------------------------------

    @overload
    def append(
        self,
        items: Sequence[tuple[str, Record]],
        *,
        isolate_failures: Literal[False] = False,
        gate: ProjectGate | None = None,
        claims: Mapping[str, IdempotencyClaim] | None = None,
        within: Callable[[Connection], None] | None = None,
        known: KnownHeads | None = None,
    ) -> list[AppendedEntry]: ...

    @overload
    def append(
        self,
        items: Sequence[tuple[str, Record]],
        *,
        isolate_failures: Literal[True],
        gate: ProjectGate | None = None,
        claims: Mapping[str, IdempotencyClaim] | None = None,
        known: KnownHeads | None = None,
    ) -> list[AppendedEntry | NotaryError]: ...

    def append(
        self,
        items: Sequence[tuple[str, Record]],
        *,
        isolate_failures: bool = False,
        gate: ProjectGate | None = None,
        claims: Mapping[str, IdempotencyClaim] | None = None,
        within: Callable[[Connection], None] | None = None,
        known: KnownHeads | None = None,
    ) -> list[AppendedEntry] | list[AppendedEntry | NotaryError]:
        """Append records ``(record_id, record)`` in one transaction, in order; return them as
        stored, once committed (one commit, hence one fsync, for all of them).

        A project record's ``prev`` is set here, under the log lock, to the leaf hash of the
        project's previous record. A record that already carries a ``prev`` must name exactly that
        head (an offline client's optimistic check). When a record fails (a stale ``prev``),
        nothing is appended and its error is raised; with ``isolate_failures`` the others are
        appended all the same (each in its own transaction, after the shared one failed) and the
        error takes the failed record's place in the answer.

        ``gate`` judges each project record inside the transaction, after the records before it
        (:class:`~api.storage.projects.ProjectGate`): a refusal fails the record as a stale
        ``prev`` does, and the project's new state is stored with the record.

        ``claims`` (by record id) are idempotency keys, stored with their records: a key already
        stored fails its record with :class:`~api.storage.idempotency.KeyReplay` (or a conflict).

        ``within`` is run in the same transaction, under the log lock, before the records are
        written: writes that must commit with them or not at all (a party's change and its
        ``party_change`` record); its error refuses them all. Not with ``isolate_failures``.

        ``known`` are the heads of the records' projects as read before (:class:`KnownHeads`),
        taken when the log has not grown since: an import's thousands need then not be read again.

        Thread-safe, and safe across processes: concurrent appends queue on the log lock. Callers
        that append often and concurrently should batch (see :mod:`api.service.committer`).
        """
        # Standalone records do not depend on the log's state: encode them before taking the lock.
        prepared = [(i, r, None if r.project else r.canonical()) for i, r in items]
        outcomes: list[AppendedEntry | NotaryError] = []
        assert within is None or not isolate_failures, "within holds for all records or none"
        try:
            return self._append(prepared, gate, claims or {}, within, known)
        except NotaryError as e:
            if not isolate_failures:
                raise
            if len(prepared) == 1:  # it failed alone already
                outcomes.append(e)
                return outcomes
        for item in prepared:  # one bad record must not fail the others: retry each on its own
            try:
                outcomes.append(self._append([item], gate, claims or {}, None, known)[0])
            except NotaryError as one:
                outcomes.append(one)
        return outcomes

    def _append(
        self,
        items: Sequence[_Item],
        gate: ProjectGate | None,
        claims: Mapping[str, IdempotencyClaim],
        within: Callable[[Connection], None] | None = None,
        known: KnownHeads | None = None,
    ) -> list[AppendedEntry]:
        if not items:
            return []
        try:
            return self._append_locked(items, gate, claims, within, known)
        except SQLAlchemyError as e:  # the database refused it, or e.g. no connection in time
            error = database_error(e)
            if isinstance(e, DBAPIError) and isinstance(error, LogError):  # not a full disk
                error = LogError(f"the database refused the append: {e.orig or e}")
            raise error from e

    def _append_locked(
        self,
        items: Sequence[_Item],
        gate: ProjectGate | None,
        claims: Mapping[str, IdempotencyClaim],
        within: Callable[[Connection], None] | None,
        known: KnownHeads | None,
    ) -> list[AppendedEntry]:
        leaf_hash, frontier_append, node_key = merkle.leaf_hash, merkle.frontier_append, db.node_key
        with db.write(self.engine) as conn:
            size, frontier = self._lock_state(conn)
            if within is not None:
                within(conn)
            projects = {r.project for _, r, _ in items if r.project}
            if known is not None and known.size == size and projects <= known.projects:
                heads = {p: known.heads[p] for p in projects if p in known.heads}
            else:
                heads = self._heads(conn, projects)
            existing = set(heads)
            rows = ProjectRows.load(conn, existing) if gate else None
            keys = KeyClaims(conn, (claims[i] for i, _, _ in items if i in claims))
            node_rows, appended = [], []
            index = size
            # Each entry is sent as soon as it is made: the database stores one while the next
            # is judged and encoded.
            with db.row_writer(conn, "entries", self._entry_columns) as write_entry:
                for record_id, submitted, encoded in items:
                    if record_id in claims:
                        keys.claim(claims[record_id], record_id, submitted.received_at)
                    project, record, entry = submitted.project, submitted, encoded
                    if project:
                        head = heads.get(project)
                        record = _chain(submitted, head)
                        if gate and rows:
                            row = gate(record, rows.state(project), head[2] if head else 0)
                            if row is not None:
                                rows.update(project, row, index)
                        entry = record.canonical()
                    assert entry is not None
                    leaf = leaf_hash(entry)
                    if project:
                        count = heads[project][2] + 1 if project in heads else 1
                        heads[project] = (index, leaf, count)
                    # Level-0 hashes live in entries.leaf_hash; nodes keeps levels >= 1.
                    for (level, idx), h in frontier_append(frontier, index, leaf)[1:]:
                        node_rows.append((node_key(level, idx), h))
                    write_entry((index, record_id, leaf, entry, *derived_columns(record)))
                    appended.append(AppendedEntry(index, record_id, leaf, record))
                    index += 1
            db.insert_rows(conn, "nodes", ("key", "hash"), node_rows)
            self._save_heads(conn, heads, existing)
            if rows:
                rows.save(conn)
            keys.save()
            conn.execute(
                update(db.log_state)
                .where(db.log_state.c.id == 1)
                .values(size=index, frontier=b"".join(frontier))
            )
        return appended

    def _lock_state(self, conn: Connection) -> tuple[int, list[bytes]]:
        query = select(db.log_state.c.size, db.log_state.c.frontier).where(db.log_state.c.id == 1)
        if self._postgres:
            query = query.with_for_update()
        row = conn.execute(query).one()
        return int(row.size), _split_frontier(row.frontier)

    def _heads(self, conn: Connection, projects: set[str]) -> dict[str, Head]:
        """The stored heads of ``projects`` (:func:`db.rows_in`: an import's are thousands)."""
        rows = db.rows_in(conn, _SELECT_HEADS, list(projects))
        return {p: (int(i), bytes(h), int(n)) for p, i, h, n in rows}

    @staticmethod
    def _save_heads(conn: Connection, heads: dict[str, Head], existing: set[str]) -> None:
        h = db.project_heads.c
        updated = [
            {"b_project": p, "b_leaf_index": i, "b_leaf_hash": leaf, "b_count": n}
            for p, (i, leaf, n) in heads.items()
            if p in existing
        ]
        if updated:  # one statement for all of them (an import touches thousands of projects)
            conn.execute(
                update(db.project_heads)
                .where(h.project == bindparam("b_project"))
                .values(
                    leaf_index=bindparam("b_leaf_index"),
                    leaf_hash=bindparam("b_leaf_hash"),
                    count=bindparam("b_count"),
                ),
                updated,
            )
        added = [(p, *head) for p, head in heads.items() if p not in existing]
        db.insert_rows(
            conn, "project_heads", ("project", "leaf_index", "leaf_hash", "count"), added
        )

    # --- reading --------------------------------------------------------------------------------

    @property
    @db_errors
    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(db.log_state.c.size)).scalar_one())

    @db_errors
    def state(self) -> tuple[int, bytes]:
        """The log's current size and root, read together."""
        with self.engine.connect() as conn:
            row = conn.execute(select(db.log_state.c.size, db.log_state.c.frontier)).one()
        return int(row.size), merkle.frontier_root(_split_frontier(row.frontier))

    @db_errors
    def get_nodes(self, ids: Sequence[merkle.NodeId]) -> list[bytes]:
        keys = [db.node_key(level, idx) for level, idx in ids]
        leaves = [idx for level, idx in ids if level == 0]
        with self.engine.connect() as conn:
            found = {k: h for k, h in conn.execute(_NODES_BY_KEY, {"keys": keys})}
            if leaves:  # level-0 keys are the leaf indices themselves
                found.update({i: h for i, h in conn.execute(_LEAVES_BY_INDEX, {"idx": leaves})})
        try:
            return [bytes(found[k]) for k in keys]
        except KeyError as e:
            raise LogError("the log's subtree hashes are incomplete; run `sunlight audit`") from e

    def root(self, size: int) -> bytes:
        return merkle.root_from(self, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return merkle.inclusion_proof_from(self, index, size)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return merkle.consistency_proof_from(self, size1, size2)

    @db_errors
    def _one(self, where: object, what: str) -> StoredEntry:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_ENTRY_COLUMNS).where(where)).first()  # type: ignore[arg-type]
        if row is None:
            raise NotFoundError(f"no record {what}")
        return stored(row)

    def get(self, record_id: str) -> StoredEntry:
        return self._one(db.entries.c.record_id == record_id, f"with id {record_id}")

    def get_by_index(self, index: int) -> StoredEntry:
        return self._one(db.entries.c.idx == index, f"at index {index}")

    @db_errors
    def find_by_content(self, sha256_hex: str, limit: int = 100) -> list[StoredEntry]:
        """The records whose entry notarizes a file with this SHA-256, in index order. The
        ``content_sha256`` column only finds candidates: each one's entry must say so itself."""
        e = db.entries.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_ENTRY_COLUMNS)
                .where(e.content_sha256 == sha256_hex)
                .order_by(e.idx)
                .limit(limit)
            ).all()
        return [s for s in map(stored, rows) if notarizes(s, sha256_hex)]

    def iter_entries(self, batch: int = 5000) -> Iterator[StoredEntry]:
        """Every stored entry in index order, read in batches (constant memory)."""
        return (stored(r) for r in self._rows(_ENTRY_COLUMNS, batch))

    def iter_with_columns(self, batch: int = 5000) -> Iterator[tuple[StoredEntry, tuple[Any, ...]]]:
        """:meth:`iter_entries` with each row's :data:`DERIVED_COLUMNS` as stored (for the audit)."""
        columns = (*_ENTRY, *(db.entries.c[name] for name in DERIVED_COLUMNS))  # with public
        return ((stored(r), tuple(r[len(_ENTRY) :])) for r in self._rows(columns, batch))

    @db_errors_iter
    def _rows(self, columns: Sequence[Any], batch: int) -> Iterator[Any]:
        e = db.entries.c
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(*columns).where(e.idx > after).order_by(e.idx).limit(batch)
                ).all()
            if not rows:
                return
            yield from rows
            after = int(rows[-1].idx)

    @db_errors
    def project_heads(self) -> dict[str, Head]:
        """Every stored project head: ``project → (leaf index, leaf hash, record count)``."""
        h = db.project_heads.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(h.project, h.leaf_index, h.leaf_hash, h.count)).all()
        return {p: (int(i), bytes(leaf), int(n)) for p, i, leaf, n in rows}

    @db_errors
    def known_heads(self, projects: set[str]) -> KnownHeads:
        """The heads of ``projects`` as of now, with the log's size read before them: what an
        append of their records may take instead of reading them again (:class:`KnownHeads`)."""
        with self.engine.connect() as conn:
            size = int(conn.execute(select(db.log_state.c.size)).scalar_one())
            return KnownHeads(size, frozenset(projects), self._heads(conn, projects))

    @db_errors_iter
    def iter_nodes(self, batch: int = 20000) -> Iterator[tuple[int, int, bytes]]:
        """Every stored subtree hash as ``(level, idx, hash)``, in key order."""
        n = db.nodes.c
        after = -1
        mask = (1 << db.NODE_INDEX_BITS) - 1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(n.key, n.hash).where(n.key > after).order_by(n.key).limit(batch)
                ).all()
            if not rows:
                return
            for key, h in rows:
                yield key >> db.NODE_INDEX_BITS, key & mask, bytes(h)
            after = int(rows[-1][0])

    # --- checkpoints ----------------------------------------------------------------------------

    def store_checkpoint(self, checkpoint: Checkpoint) -> Checkpoint:
        """Store a signed checkpoint of this log, unless its size is published already; return
        the checkpoint stored for that size (a size is published once: the first one stays).

        Requires a checkpoint of this log: its size at most the log's, its root the log's root at
        that size (:class:`LogError` otherwise). The signature is the signer's business
        (:meth:`api.service.notary.Notary.publish_checkpoint`).
        """
        size = checkpoint.tree_size
        current, _ = self.state()
        if size > current:
            raise LogError(f"a checkpoint of size {size} is beyond the log's size {current}")
        if bytes.fromhex(checkpoint.root_hash) != self.root(size):
            raise LogError(f"the checkpoint of size {size} does not carry this log's root")
        return self._insert_checkpoint(checkpoint)

    @db_errors
    def _insert_checkpoint(self, checkpoint: Checkpoint) -> Checkpoint:
        c = db.checkpoints.c
        try:
            with db.write(self.engine) as conn:
                row = conn.execute(
                    select(db.checkpoints).where(c.tree_size == checkpoint.tree_size)
                ).first()
                if row is not None:
                    return _checkpoint(row)
                conn.execute(
                    insert(db.checkpoints).values(
                        tree_size=checkpoint.tree_size,
                        root_hash=bytes.fromhex(checkpoint.root_hash),
                        timestamp=checkpoint.timestamp,
                        log_id=checkpoint.log_id,
                        signature=checkpoint.signature,
                    )
                )
        except IntegrityError:  # the same size stored meanwhile by another process
            return self.checkpoint(checkpoint.tree_size)
        return checkpoint

    @db_errors
    def checkpoint(self, tree_size: int | None = None) -> Checkpoint:
        """The checkpoint of ``tree_size``, or the latest one."""
        c = db.checkpoints.c
        query = select(db.checkpoints)
        query = (
            query.order_by(c.tree_size.desc()).limit(1)
            if tree_size is None
            else query.where(c.tree_size == tree_size)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFoundError(
                "no checkpoint published yet"
                if tree_size is None
                else f"no checkpoint at {tree_size}"
            )
        return _checkpoint(row)

    @db_errors_iter
    def iter_checkpoints(self) -> Iterator[Checkpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(db.checkpoints).order_by(db.checkpoints.c.tree_size)).all()
        yield from (_checkpoint(r) for r in rows)

    @db_errors
    def analyze(self) -> None:
        """Refresh planner statistics (useful after bulk loads)."""
        with db.write(self.engine) as conn:
            conn.execute(text("ANALYZE"))


def _chain(record: Record, head: Head | None) -> Record:
    """``record`` with ``prev`` set to its project's head leaf hash (``record`` itself when it
    names it already, or when the project has no records yet)."""
    prev = head[1].hex() if head else None
    if record.prev == prev:
        return record
    if record.prev is not None:
        raise LogError(f"project {record.project}: prev {record.prev} is not the head {prev}")
    return record.model_copy(update={"prev": prev})


def _checkpoint(row: object) -> Checkpoint:
    return Checkpoint(
        log_id=row.log_id,  # type: ignore[attr-defined]
        tree_size=int(row.tree_size),  # type: ignore[attr-defined]
        root_hash=bytes(row.root_hash).hex(),  # type: ignore[attr-defined]
        timestamp=row.timestamp,  # type: ignore[attr-defined]
        signature=row.signature,  # type: ignore[attr-defined]
    )
