"""Database failures as domain errors, for every store: callers handle a
:class:`~notary.errors.NotaryError` (``LogError``, or ``StorageFullError`` when the disk is full),
never a driver or SQLAlchemy exception."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from notary.errors import LogError, StorageFullError

__all__ = ["database_error", "db_errors", "db_errors_iter"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


def database_error(e: SQLAlchemyError) -> LogError | StorageFullError:
    """The domain error for a database failure: :class:`StorageFullError` for SQLite's
    SQLITE_FULL ("database or disk is full") or PostgreSQL's disk_full (53100), else
    :class:`LogError`."""
    orig = e.orig if isinstance(e, DBAPIError) else None
    if orig is not None and (
        getattr(orig, "sqlite_errorname", None) == "SQLITE_FULL"
        or getattr(orig, "sqlstate", None) == "53100"
        or "disk is full" in str(orig)
    ):
        return StorageFullError(f"the database's disk is full: {orig}; free space and retry")
    reason = orig if orig is not None else e
    return LogError(f"the database is unavailable or failed: {type(reason).__name__}: {reason}")


def db_errors(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """``fn`` with a database failure (server down or restarting, connection lost, pool exhausted,
    disk full) raised as :func:`database_error` says, the SQLAlchemy error as its cause."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as e:
            raise database_error(e) from e

    return wrapper


def db_errors_iter(fn: Callable[_P, Iterator[_T]]) -> Callable[_P, Iterator[_T]]:
    """:func:`db_errors` for generators (the database is read while the caller iterates)."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Iterator[_T]:
        try:
            yield from fn(*args, **kwargs)
        except SQLAlchemyError as e:
            raise database_error(e) from e

    return wrapper
