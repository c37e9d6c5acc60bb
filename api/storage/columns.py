"""The columns of ``entries`` derived from each entry: indices for queries, checked by the audit."""

from __future__ import annotations

from typing import Any

from notary.records import Record

__all__ = ["DERIVED_COLUMNS", "derived_columns"]

#: The columns of ``entries`` derived from the entry: indices for queries, checked by the audit.
DERIVED_COLUMNS = (
    "project",
    "kind",
    "content_sha256",
    "content_cid",
    "received_at",
    "public",
    "submitter",
)


def derived_columns(record: Record) -> tuple[Any, ...]:
    """The values of :data:`DERIVED_COLUMNS` for ``record``, in that order."""
    content = record.content
    return (
        record.project,
        record.kind,
        content.sha256 if content else None,
        content.cid if content else None,
        record.received_at,
        record.public,
        record.submitter,
    )
