"""Database schema and engine: SQLite (WAL) by default, PostgreSQL in production.

The schema is created and upgraded by the Alembic migrations in ``api/migrations``; the table objects
here are what the code queries. Tables:

- ``log_state``: one row (id 1): the log's size and its *frontier* (the hashes of the perfect
  subtrees of the whole log, left to right, concatenated). Every append locks this row, which
  serialises appenders across threads and processes and hands out gap-free indices.
- ``entries``: one row per leaf: index, record id, leaf hash, the canonical entry, search columns.
- ``nodes``: the hash of every complete subtree ``(level, idx)`` above the leaves, keyed by
  ``node_key(level, idx) = level << 56 | idx`` (level-0 hashes are ``entries.leaf_hash``). A proof
  needs ``O(log n)`` of them, fetched in at most two indexed queries.
- ``project_heads``: the leaf hash of each project's latest record (the next record's ``prev``).
- ``checkpoints``: signed checkpoints, one per published tree size.
- ``photos``: site photos' digests, perceptual hashes and flags, to find copies across projects.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    true,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError

metadata = MetaData()

log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("record_id", String(40), nullable=False, unique=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
    Column("project", String(64), nullable=True),
    Column("kind", String(48), nullable=False),
    Column("content_sha256", String(64), nullable=True),
    Column("content_cid", String(128), nullable=True),
    Column("received_at", String(40), nullable=False),
    #: Who may fetch the file and see the record beyond a hash match (0003_parties).
    Column("public", Boolean, nullable=False, server_default=true()),
    Column("submitter", String(128), nullable=True),
    Index("ix_entries_project_idx", "project", "idx"),
    Index("ix_entries_content_sha256", "content_sha256"),
)

nodes = Table(
    "nodes",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

#: Leaf indices stay below 2**56 (72 quadrillion), levels below 64: the key fits a signed BIGINT.
NODE_INDEX_BITS = 56


def node_key(level: int, idx: int) -> int:
    return (level << NODE_INDEX_BITS) | idx


project_heads = Table(
    "project_heads",
    metadata,
    Column("project", String(64), primary_key=True),
    Column("leaf_index", BigInteger, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("count", BigInteger, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("log_id", String(64), nullable=False),
    Column("signature", String(100), nullable=False),
)


parties = Table(
    "parties",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("roles", String(200), nullable=False),  # space-separated
    Column("created_at", String(40), nullable=False),
    #: A person's organisation and lifecycle roles there, space-separated (0007_lifecycle).
    Column("organisation", String(128), nullable=True),
    Column("lifecycle_roles", String(300), nullable=False, server_default=""),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("party_id", String(128), ForeignKey("parties.id"), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),  # SHA-256 of the token
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)

party_keys = Table(
    "party_keys",
    metadata,
    Column("party_id", String(128), ForeignKey("parties.id"), primary_key=True),
    Column("key_id", String(128), primary_key=True),
    Column("alg", String(20), nullable=False),
    Column("public_key", LargeBinary(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
    #: The leaf index of the key's ``key_registration`` record (notary/keys.py); null for keys
    #: registered before key transparency.
    Column("registration_leaf", BigInteger, nullable=True),
)

#: Site photos (0006_photos): the perceptual hash as a signed 64-bit integer and split into four
#: 16-bit bands, each indexed, so near copies are found by multi-index hashing (api/storage/photos.py).
PHASH_BANDS = 4
photos = Table(
    "photos",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("record_id", String(40), nullable=False),
    Column("project", String(64), nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("phash", BigInteger, nullable=True),
    *(Column(f"band{i}", Integer, nullable=True) for i in range(PHASH_BANDS)),
    Column("evidence", Text, nullable=False),  # PhotoEvidence, JSON
    Column("flags", Text, nullable=False),  # the flags raised when it was filed, JSON
    Index("ix_photos_sha256", "sha256"),
    *(Index(f"ix_photos_band{i}", f"band{i}") for i in range(PHASH_BANDS)),
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets WAL, the chosen ``synchronous`` level, a busy timeout and
    ``BEGIN IMMEDIATE`` transactions so concurrent writers queue instead of failing."""
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={'FULL' if sqlite_synchronous == 'FULL' else 'NORMAL'}")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take SQLite's write lock up front (a deferred transaction that read first
        # could not upgrade once another writer committed); readers never wait for writers.
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


_IMMEDIATE = "sunlight_write"


@contextmanager
def driver_cursor(conn: Connection, statement: str, params: Any = None) -> Iterator[Any]:
    """A cursor of ``conn``'s own driver connection, in its transaction, for what SQLAlchemy's
    per-row handling makes slow (``COPY``, a long IN list); the driver's errors are raised as
    SQLAlchemy raises them (an ``IntegrityError`` stays one), naming ``statement``."""
    driver = conn.connection.driver_connection
    assert driver is not None, "a connection in a transaction has its driver's"
    dbapi = conn.dialect.loaded_dbapi
    cursor = driver.cursor()
    try:
        yield cursor
    except dbapi.Error as e:
        raise DBAPIError.instance(statement, params, e, dbapi.Error, dialect=conn.dialect) from e
    finally:
        cursor.close()


#: At most this many values in one of SQLite's IN lists (well below its limit on parameters).
_IN_LIST = 500


def rows_in(conn: Connection, query: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows ``query`` — a constant ``SELECT ... WHERE <column>`` — selects for the column's
    ``values``, through the driver's cursor in ``conn``'s transaction: SQLAlchemy's compiling and
    row handling of an IN list of thousands (an import's) cost more than the answer. PostgreSQL is
    given the values as one array; SQLite, in IN lists of at most :data:`_IN_LIST`."""
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        lists = [(f"{query} = ANY(%s)", (list(values),))]
    else:
        chunks = (values[at : at + _IN_LIST] for at in range(0, len(values), _IN_LIST))
        lists = [(f"{query} IN ({', '.join('?' * len(c))})", (*c,)) for c in chunks]
    found: list[tuple[Any, ...]] = []
    with driver_cursor(conn, query) as cursor:
        for text, params in lists:
            cursor.execute(text, params)
            found.extend(cursor.fetchall())
    return found


def insert_rows(
    conn: Connection, table: str, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """``rows`` inserted into ``table`` (:func:`row_writer`)."""
    if rows:
        with row_writer(conn, table, columns) as write:
            for row in rows:
                write(row)


@contextmanager
def row_writer(
    conn: Connection, table: str, columns: tuple[str, ...]
) -> Iterator[Callable[[tuple[Any, ...]], None]]:
    """A function inserting a row into ``table``, driver-level (SQLAlchemy's per-row parameter
    handling costs more than SQLite's insert): on PostgreSQL each row goes into one binary
    ``COPY`` stream, at half the cost of a pipelined ``executemany``, which the server takes in
    while the caller makes the next rows (binary: bytes go as they are, not written out in hex,
    and the column types are the table's); elsewhere the rows are kept and inserted by
    ``executemany`` at the end. An error in the ``with`` block inserts none of them. No other
    statement may run on ``conn`` inside the block. The table and column names are constants of
    the caller: no value is ever formatted into the SQL."""
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        statement = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
        with driver_cursor(conn, statement) as cursor, cursor.copy(statement) as copy:
            copy.set_types(_binary_types(conn.dialect, table, columns))
            yield copy.write_row
        return
    rows: list[tuple[Any, ...]] = []
    yield rows.append
    if rows:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


@cache
def _binary_types(dialect: Dialect, table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The PostgreSQL types a binary ``COPY`` sends ``table``'s ``columns`` as: their own, without
    a length (``VARCHAR(40)`` is sent as ``varchar``). Compiled once for each of the few column
    lists the callers have (about 20 µs a time, and every append opens a COPY)."""
    table_columns = metadata.tables[table].c
    return tuple(
        str(table_columns[c].type.compile(dialect=dialect)).split("(")[0].lower() for c in columns
    )


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, an ordinary one elsewhere.

    Use it for every transaction that writes; plain ``engine.connect()`` reads run deferred and
    never queue behind writers (WAL readers see the last committed state).
    """
    with _sqlite_writer_lock(engine), engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})  # sets the option on this connection
        with conn.begin():
            yield conn


@contextmanager
def _sqlite_writer_lock(engine: Engine) -> Iterator[None]:
    """Queue SQLite writers of every process on an ``flock`` beside the database.

    SQLite's own busy handler polls with growing sleeps, so a writer that finds the write lock
    taken can sleep long after it was freed (hundreds of milliseconds under load); a blocking
    ``flock`` hands over as soon as the holder is done.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
