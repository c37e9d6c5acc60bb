"""Exactly one anchorer at a time: a PostgreSQL advisory lock, or a file lock beside SQLite.

:class:`AnchorerLock` is the :class:`~anchors.ports.LeaderLock` the service gives the anchorer.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from api.storage.errors import db_errors

__all__ = ["ANCHORER_LOCK_KEY", "AnchorerLock"]

#: Any constant works; it only has to be the same in every Sunlight process sharing a database.
ANCHORER_LOCK_KEY = 0x53554E41  # "SUNA"


class AnchorerLock:
    """Held by the one anchorer of a database until :meth:`release` or the process ends.

    On PostgreSQL a session-level ``pg_try_advisory_lock`` on a connection kept open for the
    purpose (the server frees it if the process dies); on SQLite a ``filelock`` in ``lock_dir``
    (the kernel frees it if the process dies).
    """

    def __init__(self, engine: Engine, lock_dir: Path) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._conn: Connection | None = None
        self._file: FileLock | None = None
        self._lock_path = lock_dir / "anchorer.lock"

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    @db_errors
    def acquire(self) -> bool:
        """Take the lock if free; True when this object holds it (now or already).

        On PostgreSQL the lock lives as long as its session: a server restart or a dropped
        connection ends it, so a held lock is first checked alive, and taken again if it is not
        (another anchorer may have taken it meanwhile: then this one is no longer the leader).
        """
        if self._conn is not None and not self._alive(self._conn):
            self._conn = None
        if self.held:
            return True
        if self._postgres:
            conn = self._engine.connect()
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": ANCHORER_LOCK_KEY}
                ).scalar()
            )
            conn.commit()
            if got:
                self._conn = conn
            else:
                conn.close()
            return got
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self._lock_path), is_singleton=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        self._file = lock
        return True

    @staticmethod
    def _alive(conn: Connection) -> bool:
        try:
            conn.execute(text("SELECT 1"))
            conn.commit()
            return True
        except SQLAlchemyError:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ANCHORER_LOCK_KEY})
                self._conn.commit()
            except SQLAlchemyError:
                pass  # the session is gone, and the lock with it
            finally:
                with contextlib.suppress(SQLAlchemyError):
                    self._conn.close()
                self._conn = None
        if self._file is not None:
            self._file.release()
            self._file = None
