"""The data interface's bulk imports: project registrations, and the finance system's payments
(docs/data-interface.md).

All or nothing: every row is checked first — its columns (:mod:`notary.exchange`), its people,
and its record judged by the lifecycle gate (:class:`~api.service.lifecycle.LifecycleGate`,
folded row by row over the project's current state) — and only when no row is refused are the
records appended, in one :meth:`~api.service.notary.Notary.file` and so one transaction of the
log. Each record is judged once: under the log's lock the gate's verdict from the check stands
when the project is still in the state it was judged from (the same inputs give the same
verdict), and the record is judged afresh when it is not (a record filed meanwhile), a refusal
then failing the whole append, after which the import can be run again (:class:`_Verdicts`). A
crash mid-append leaves nothing. The answer names the leaves filled; no receipts are signed.

A payment is matched to the payment request its ``reference`` names (the request record's id):
same project, same amount, and a payment the lifecycle accepts (the request approved). A match is
filed as the lifecycle's ``payment`` record; a mismatch as a private ``alert`` record of the
oversight's format (``sunlight-alert/1``, rule ``payment.import_mismatch``,
:func:`notary.exchange.payment_alert`), filed by :data:`~api.service.oversight.OVERSIGHT_PARTY`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from api.service.heap import no_cycle_collection
from api.service.lifecycle import REGISTRATION, LifecycleGate, people_of
from api.service.notary import Notary
from api.service.oversight import Oversight, alert_record
from api.storage import db
from api.storage.errors import db_errors
from api.storage.log import KnownHeads
from api.storage.parties import PartyStore
from api.storage.projects import ProjectGate, ProjectRow, ProjectStore
from notary.errors import NotFoundError, RecordError
from notary.exchange import (
    ImportRefused,
    PaymentLine,
    RowError,
    mismatch_of,
    payment_alert,
    read_payments,
    read_projects,
    registration_error,
)
from notary.lifecycle import Actor, LifecycleRefusal, LifecycleRules, Role, Step
from notary.oversight.snapshot import LoggedRecord
from notary.records import Record, first_problem, parse_record

__all__ = ["ImportResult", "import_payments", "import_projects"]

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportResult:
    rows: int
    #: Records appended: registrations, or payments and alerts.
    records: int
    alerts: int
    first_leaf: int | None
    last_leaf: int | None


def _person(
    people: Mapping[str, Actor], row: int, column: str, person: str, role: Role
) -> Actor | RowError:
    actor = people.get(person)
    if actor is None or role not in actor.roles:
        return RowError(row, column, f"{person} is not a registered person with the {role} role")
    return actor


def _acting(actor: Actor, role: Role) -> dict[str, str]:
    return {"organisation": actor.organisation, "role": role.value}


#: What the gate is given of a project: its stored state's JSON, or a row (None: not governed).
_State = str | ProjectRow | None


class _Verdicts:
    """The lifecycle gate of one import, judging each record once.

    :meth:`judge` is the import's check, before the append: the gate's verdict on a record, kept
    with the project's state and record count it was given. Called by the append under the log
    lock (a :class:`~api.storage.projects.ProjectGate`), the kept verdict stands for the same
    record when the project's state is still the one it was judged from — the stored state's
    JSON unchanged, or the row kept for the import's previous record of the project — and the
    gate judges afresh otherwise. The record the append passes differs from the judged one only
    by ``prev``, which the gate does not read.
    """

    def __init__(self, notary: Notary, people: Mapping[str, Actor]) -> None:
        self._gate = LifecycleGate(notary.rules or LifecycleRules(), people)
        #: Only when the notary enforces the lifecycle does the append judge (see Notary.gate).
        self.enforced = notary.rules is not None
        #: By the identity of the judged record's ``data`` (each record has its own).
        self._kept: dict[int, tuple[Record, _State, int, ProjectRow | None]] = {}

    def judge(self, record: Record, state: _State, count: int) -> ProjectRow | None:
        """The gate's verdict on ``record``: the project's row with it applied, or the refusal."""
        row = self._gate(record, state, count)
        self._kept[id(record.data)] = (record, state, count, row)
        return row

    def __call__(self, record: Record, state: _State, count: int) -> ProjectRow | None:
        kept = self._kept.get(id(record.data))
        if kept is not None:
            judged, before, before_count, row = kept
            if judged.data is record.data and _unchanged(before, before_count, state, count):
                return row
        return self._gate(record, state, count)


def _unchanged(before: _State, before_count: int, now: _State, count: int) -> bool:
    """Whether the gate is given the same project as it was: the stored state (a stored row's
    JSON) equal, or the very row it returned for the project's previous record; a project
    outside the lifecycle with as many records."""
    if isinstance(before, ProjectRow) and before.stored_state is not None:
        before = before.stored_state
    if before is None:
        return now is None and count == before_count
    return before is now or (isinstance(now, str) and before == now)


@no_cycle_collection()
def import_projects(
    notary: Notary, parties: PartyStore, content: bytes, *, progress: Progress
) -> ImportResult:
    """Register every project of a registrations file (``content``, UTF-8), or none
    (:class:`ImportRefused`)."""
    found, errors = read_projects(_decoded(content))
    people = people_of(parties, {line.submitter for line in found})
    known = notary.log.known_heads({line.registration["code"] for line in found})
    in_use = known.heads
    verdicts = _Verdicts(notary, people)
    at = notary.clock()
    records: list[Record] = []
    for line in found:
        progress(1)
        code = line.registration["code"]
        actor = _person(people, line.row, "submitter", line.submitter, Role.VILLAGE_COMMITTEE_HEAD)
        if isinstance(actor, RowError):
            errors.append(actor)
            continue
        if code in in_use:
            errors.append(RowError(line.row, "code", f"project code {code} is in use already"))
            continue
        data = {**line.registration, "actor": _acting(actor, Role.VILLAGE_COMMITTEE_HEAD)}
        try:  # the registration is judged here: its columns were only read
            record = _record(code, "application", REGISTRATION, data, by=actor, at=at)
            verdicts.judge(record, None, 0)
        except (RecordError, LifecycleRefusal) as e:
            errors.append(registration_error(line, e))
            continue
        records.append(record)
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.row))
    return _append(notary, records, verdicts, rows=len(found), alerts=0, known=known)


def _record(
    project: str | None, stage: str | None, kind: str, data: dict[str, Any], *, by: Actor, at: str
) -> Record:
    try:
        return Record.model_validate(
            {
                "project": project,
                "stage": stage,
                "kind": kind,
                "data": data,
                "submitter": by.person,
                "org": by.organisation,
                "received_at": at,
            }
        )
    except ValidationError as e:  # a record larger than a record may be, say
        raise RecordError(f"the {kind} record of {project}: {first_problem(e, 'record')[1]}") from e


def _append(
    notary: Notary,
    records: Sequence[Record],
    verdicts: _Verdicts,
    *,
    rows: int,
    alerts: int,
    known: KnownHeads | None = None,
) -> ImportResult:
    gate: ProjectGate | None = verdicts if verdicts.enforced else None
    appended = notary.file(records, gate=gate, known=known) if records else []
    leaves = [a.index for a in appended]
    return ImportResult(
        rows=rows,
        records=len(appended),
        alerts=alerts,
        first_leaf=min(leaves, default=None),
        last_leaf=max(leaves, default=None),
    )


@db_errors
def _requests(notary: Notary, references: set[str]) -> dict[str, LoggedRecord]:
    """The records whose ids are among ``references`` (read in chunks)."""
    e = db.entries.c
    found: dict[str, LoggedRecord] = {}
    ids = sorted(r for r in references if len(r) <= 40)
    with notary.log.engine.connect() as conn:
        for at in range(0, len(ids), 1000):
            query = select(e.idx, e.record_id, e.entry).where(e.record_id.in_(ids[at : at + 1000]))
            for idx, record_id, entry in conn.execute(query):
                found[record_id] = LoggedRecord(int(idx), record_id, parse_record(bytes(entry)))
    return found


def _states(projects: ProjectStore, codes: set[str]) -> dict[str, ProjectRow]:
    """The stored rows of the registered projects among ``codes``."""
    states = {}
    for code in codes:
        try:
            states[code] = projects.project(code).row
        except NotFoundError:
            continue
    return states


@no_cycle_collection()
def import_payments(
    notary: Notary,
    parties: PartyStore,
    projects: ProjectStore,
    content: bytes,
    *,
    progress: Progress,
) -> ImportResult:
    """File every payment of a finance system's payments file, matched or as an alert, or
    nothing (:class:`ImportRefused`). ``content`` is the file (UTF-8)."""
    file_sha256 = hashlib.sha256(content).hexdigest()
    found, errors = read_payments(_decoded(content))
    people = people_of(parties, {line.reviewer for line in found})
    requests = _requests(notary, {line.reference for line in found})
    states = _states(projects, {line.project for line in found})
    verdicts = _Verdicts(notary, people)
    at = notary.clock()
    # A file imported again raises its mismatches again, under the same ids: filed once.
    notarized = Oversight(notary, notary.rules or LifecycleRules()).notarized()
    records: list[Record] = []
    alerts = 0
    for line in found:
        progress(1)
        actor = _person(people, line.row, "reviewer", line.reviewer, Role.FINANCE_REVIEWER)
        if isinstance(actor, RowError):
            errors.append(actor)
            continue
        request = requests.get(line.reference)
        mismatch = mismatch_of(line, None if request is None else request.record)
        data = _payment_data(line, actor, file_sha256)
        if mismatch is None:
            judged = _judge_payment(line, states, data, verdicts, by=actor, at=at)
            if isinstance(judged, Record):
                records.append(judged)
                continue
            mismatch = judged
        alert = payment_alert(
            line, mismatch, request=request, file_sha256=file_sha256, at=datetime.fromisoformat(at)
        )
        if alert.id not in notarized:
            records.append(alert_record(alert, at, public=False))
            alerts += 1
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.row))
    return _append(notary, records, verdicts, rows=len(found), alerts=alerts)


def _decoded(content: bytes) -> list[str]:
    try:
        return content.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as e:
        raise ImportRefused([RowError(1, "-", f"not UTF-8 (byte {e.start})")]) from None


def _payment_data(line: PaymentLine, actor: Actor, file_sha256: str) -> dict[str, Any]:
    return {
        "actor": _acting(actor, Role.FINANCE_REVIEWER),
        "amount_fen": line.amount_fen,
        "reference": line.reference,
        "paid_at": line.paid_at,
        **({"voucher": line.voucher} if line.voucher else {}),
        "source": {"file_sha256": file_sha256, "row": line.row},
    }


def _judge_payment(
    line: PaymentLine,
    states: dict[str, ProjectRow],
    data: dict[str, Any],
    verdicts: _Verdicts,
    *,
    by: Actor,
    at: str,
) -> Record | dict[str, Any]:
    """The payment's record, judged against the project as the rows before it leave it (its
    row in ``states`` then moved on), or the refusal as a ``not_payable`` mismatch."""
    state = states.get(line.project)
    if state is None:
        return {"reason": "not_payable", "detail": "the project is not registered"}
    record = _record(line.project, Step(state.step).stage, "payment", data, by=by, at=at)
    try:
        row = verdicts.judge(record, state, 1)  # a governed project's count is not read
    except LifecycleRefusal as e:
        return {"reason": "not_payable", "rule": e.rule, "detail": e.message}
    assert row is not None, "a registered project's record has its row"
    states[line.project] = row
    return record
