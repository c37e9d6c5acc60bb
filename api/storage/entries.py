"""The log's entries as the storage layer hands them out: appended, and read back."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from notary.errors import RecordError
from notary.records import Record, parse_record

__all__ = ["AppendedEntry", "Head", "StoredEntry", "notarizes", "stored"]

#: A project's head: the leaf index and hash of its last record, and how many records it has.
Head = tuple[int, bytes, int]


@dataclass(frozen=True, slots=True)
class AppendedEntry:
    index: int
    record_id: str
    leaf_hash: bytes
    record: Record


@dataclass(frozen=True)
class StoredEntry:
    index: int
    record_id: str
    leaf_hash: bytes
    entry: bytes
    #: The row's ``public`` column: an index that anyone with the database could flip.
    public_column: bool = True

    @cached_property
    def record(self) -> Record:
        return parse_record(self.entry)

    @property
    def public(self) -> bool:
        """Whether anyone may read the record: only when its entry, which is in the log, says so
        (and its row agrees: a record stored private before entries said so stays private)."""
        return self.record.public and self.public_column


def stored(row: Any) -> StoredEntry:
    """The entry of an ``entries`` row (``idx, record_id, leaf_hash, entry, public``)."""
    return StoredEntry(
        int(row.idx), row.record_id, bytes(row.leaf_hash), bytes(row.entry), bool(row.public)
    )


def notarizes(stored: StoredEntry, sha256_hex: str) -> bool:
    """Whether the stored record notarizes the file with this SHA-256."""
    try:
        content = stored.record.content
    except RecordError:  # not a valid record (`sunlight audit` names it): it notarizes nothing
        return False
    return content is not None and content.sha256 == sha256_hex
