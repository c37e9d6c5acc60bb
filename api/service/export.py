"""The data interface's export: projects, records, alerts and proof bundles as JSON Lines or CSV,
streamed in batches and resumable by position (docs/data-interface.md).

A position is a record's leaf index (records, alerts, bundles) or a project's code (projects);
an export ``after`` a position starts just past it, so a client that lost its connection asks
again after the position of the last complete line it has. Records are written from their stored
entry bytes without being parsed (the entry is the log's own canonical JSON), which is what makes
the export fast; a record that is private, by its entry or its row, is parsed and shown only to
those who may read it. A CSV text cell that a spreadsheet would run as a formula is escaped
(:func:`notary.exchange.escape_cell`); numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine

from api.storage import db
from api.storage.entries import StoredEntry
from api.storage.errors import db_errors_iter
from api.storage.projects import ProjectStore
from notary.bundle import ProofBundle
from notary.errors import InvalidRequestError, LogError
from notary.exchange import FORMULA_START, escape_cell
from notary.lifecycle import ProjectState
from notary.oversight.alert import ALERT_KIND

__all__ = ["ALERT_KIND", "EXPORTS", "Export", "Format", "export_lines", "parse_after"]

Format = Literal["jsonl", "csv"]
Export = Literal["projects", "records", "alerts", "bundles"]
EXPORTS: tuple[Export, ...] = ("projects", "records", "alerts", "bundles")
BATCH = 5000

RECORD_COLUMNS = (
    "position",
    "id",
    "leaf_hash",
    "project",
    "kind",
    "submitter",
    "received_at",
    "content_sha256",
    "content_cid",
    "record",
)
PROJECT_COLUMNS = (
    "position",
    "code",
    "name",
    "county",
    "township",
    "village",
    "owner",
    "step",
    "category",
    "budget_fen",
    "funding_source",
    "planned_start",
    "planned_end",
    "leaf_index",
)
BUNDLE_COLUMNS = ("position", "id", "bundle")

_e = db.entries.c
_ROW = (
    _e.idx,
    _e.record_id,
    _e.leaf_hash,
    _e.entry,
    _e.public,
    _e.project,
    _e.kind,
    _e.submitter,
    _e.received_at,
    _e.content_sha256,
    _e.content_cid,
)
_PRIVATE_MARK = b'"public":false'
#: A cell that :func:`escape_cell` may change (it begins with a quote or a formula character),
#: searched for in ``"," + line``: a plain search, ten times faster than one anchored at ``^|,``.
_FORMULA_CELL = re.compile(",(?:'|" + FORMULA_START + ")")


@dataclass(frozen=True)
class Source:
    """What an export reads: the log's database, the project rows, and how to build a bundle."""

    engine: Engine
    projects: ProjectStore
    bundle: Callable[[StoredEntry], ProofBundle | None]
    #: Who reads (None: anyone), and whether they may read every private record (administrators
    #: and auditors); others read only their own.
    reader: str | None = None
    reads_private: bool = False


def parse_after(what: Export, after: str | None) -> int | str:
    """The position to start after: a leaf index (``-1``: from the start) or a project code."""
    if what == "projects":
        if after is not None and not after.isprintable():
            raise InvalidRequestError("after: a project code for this export")
        return after or ""
    if after is None or after == "":
        return -1
    if not after.isascii() or not after.isdigit() or len(after) > 18:
        raise InvalidRequestError("after: a leaf index (a whole number) for this export")
    return int(after)


def export_lines(source: Source, what: Export, fmt: Format, after: int | str) -> Iterator[bytes]:
    """The export, line by line (CSV: a header line first)."""
    if what == "projects":
        yield from _projects(source, fmt, str(after))
        return
    assert isinstance(after, int)
    if what == "bundles":
        yield from _bundles(source, fmt, after)
        return
    kind = ALERT_KIND if what == "alerts" else None
    if fmt == "csv":
        yield _csv_line(RECORD_COLUMNS)
    for batch in _entry_batches(source.engine, after, kind):
        visible = [r for r in batch if _visible(r, source)]
        yield (_records_jsonl if fmt == "jsonl" else _records_csv)(visible)


@db_errors_iter
def _entry_batches(engine: Engine, after: int, kind: str | None) -> Iterator[Sequence[Any]]:
    """The entries after ``after`` (of ``kind`` only, when given), in batches of plain tuples
    straight from the driver (SQLAlchemy's rows would cost more than the rest of the export)."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    where = f"idx > {mark}" + (f" AND kind = {mark}" if kind is not None else "")
    columns = ", ".join(c.name for c in _ROW)
    sql = f"SELECT {columns} FROM entries WHERE {where} ORDER BY idx LIMIT {BATCH}"  # noqa: S608
    while True:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, (after,) if kind is None else (after, kind))
            rows = cursor.fetchall()
            cursor.close()
            connection.commit()
        except engine.dialect.loaded_dbapi.Error as e:  # the driver's own, past SQLAlchemy
            raise LogError(f"the database is unavailable or failed: {e}") from e
        finally:
            connection.close()
        if not rows:
            return
        yield rows
        after = int(rows[-1][0])


def _visible(row: Any, source: Source) -> bool:
    """Public only when the row and the entry both say so (the row's column alone could have been
    flipped); a private record to those who read every one, or to its submitter as its entry
    names them (a row's submitter column that was changed can hide a record, not show it)."""
    if source.reads_private:
        return True
    entry = bytes(row[3])
    if row[4] and _PRIVATE_MARK not in entry:
        return True
    if not row[4] and (source.reader is None or row[7] != source.reader):
        return False
    document = json.loads(entry)
    if row[4] and document.get("public", True) is not False:
        return True  # the mark was inside the data, not the record's own field
    return source.reader is not None and document.get("submitter") == source.reader


def _records_jsonl(rows: Sequence[Any]) -> bytes:
    return b"".join(
        b'{"position":%d,"id":%s,"leaf_hash":"%s","record":%s}\n'
        % (r[0], json.dumps(r[1]).encode(), bytes(r[2]).hex().encode(), bytes(r[3]))
        for r in rows
    )


def _records_csv(rows: Sequence[Any]) -> bytes:
    """CSV rows, composed directly: the derived columns are identifiers, digests and times (a
    value that would need quoting or escaping, from a row changed behind the log's back, goes
    through :func:`_csv_line` instead), and the entry is always quoted, its quotes doubled."""
    out = []
    for r in rows:
        columns = (str(r[0]), r[1], bytes(r[2]).hex(), *(v or "" for v in r[5:11]))
        line = ",".join(columns)
        plain = '"' not in line and "\n" not in line and "\r" not in line
        if line.count(",") == 8 and plain and not _FORMULA_CELL.search("," + line):
            entry = bytes(r[3]).replace(b'"', b'""')
            out.append(line.encode() + b',"' + entry + b'"\n')
        else:
            out.append(_csv_line((*columns, bytes(r[3]).decode())))
    return b"".join(out)


def _csv_line(values: Sequence[Any]) -> bytes:
    """One CSV line; text cells escaped (:func:`escape_cell`), numbers as they are."""
    buffer = io.StringIO()
    cells = [escape_cell(v) if isinstance(v, str) else v for v in values]
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


def _projects(source: Source, fmt: Format, after: str) -> Iterator[bytes]:
    if fmt == "csv":
        yield _csv_line(PROJECT_COLUMNS)
    while True:
        found = source.projects.list_projects({}, limit=500, after=after)
        for stored in found:
            state = ProjectState.model_validate_json(stored.row.state)
            project = state.project
            assert project is not None  # a stored project is registered
            if fmt == "jsonl":
                line = {
                    "position": stored.code,
                    "code": stored.code,
                    "registration": project.model_dump(mode="json"),
                    "step": state.step.value,
                    "powers": [h.model_dump(mode="json") for h in state.powers],
                    "leaf_index": stored.leaf_index,
                }
                yield json.dumps(line, ensure_ascii=False).encode() + b"\n"
                continue
            region = project.region
            yield _csv_line(
                (
                    stored.code,
                    stored.code,
                    project.name,
                    region.county,
                    region.township,
                    region.village,
                    project.owner,
                    state.step.value,
                    project.category,
                    project.budget_fen,
                    project.funding_source,
                    project.planned_start,
                    project.planned_end,
                    stored.leaf_index,
                )
            )
        if len(found) < 500:
            return
        after = found[-1].code


def _bundles(source: Source, fmt: Format, after: int) -> Iterator[bytes]:
    """Bundles of the records an anchor covers, in order, stopping at the first not yet covered
    (resume after the last position once the next anchor is confirmed)."""
    if fmt == "csv":
        yield _csv_line(BUNDLE_COLUMNS)
    for batch in _entry_batches(source.engine, after, None):
        for row in batch:
            if not _visible(row, source):
                continue
            stored = StoredEntry(int(row[0]), row[1], bytes(row[2]), bytes(row[3]), bool(row[4]))
            bundle = source.bundle(stored)
            if bundle is None:
                return
            text = json.dumps(bundle.to_json(), ensure_ascii=False, separators=(",", ":"))
            if fmt == "csv":
                yield _csv_line((stored.index, stored.record_id, text))
            else:
                yield b'{"position":%d,"id":%s,"bundle":%s}\n' % (
                    stored.index,
                    json.dumps(stored.record_id).encode(),
                    text.encode(),
                )
