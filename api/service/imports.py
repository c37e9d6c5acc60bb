"""The data interface's bulk imports: project registrations, and the finance system's payments
(docs/data-interface.md).

All or nothing: every row is checked first — its columns (:mod:`notary.exchange`), its people,
and what the lifecycle would say (:func:`notary.lifecycle.decide`, folded row by row over the
project's current state) — and only when no row is refused are the records appended, in one
:meth:`~api.service.notary.Notary.submit` and so one transaction of the log, which the lifecycle
gate judges again under the log's lock (a record filed meanwhile that changes the verdict fails
the whole append, and the import can be run again). A crash mid-append leaves nothing.

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

from sqlalchemy import select

from api.service.lifecycle import REGISTRATION, people_of
from api.service.notary import Notary
from api.service.oversight import Oversight, alert_record
from api.storage import db
from api.storage.errors import db_errors
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from notary.errors import NotFoundError, RecordError
from notary.exchange import (
    ImportRefused,
    PaymentLine,
    RowError,
    mismatch_of,
    payment_alert,
    read_payments,
    read_projects,
    refusal_error,
)
from notary.lifecycle import (
    Actor,
    LifecycleRefusal,
    LifecycleRules,
    ProjectState,
    Proposal,
    Role,
    decide,
)
from notary.oversight.snapshot import LoggedRecord
from notary.records import Record, parse_record

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


def import_projects(
    notary: Notary, parties: PartyStore, content: bytes, *, progress: Progress
) -> ImportResult:
    """Register every project of a registrations file (``content``, UTF-8), or none
    (:class:`ImportRefused`)."""
    found, errors = read_projects(_decoded(content))
    rules = notary.rules or LifecycleRules()
    people = people_of(parties, {line.submitter for line in found})
    in_use = notary.log.project_heads()
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
        proposal = Proposal(project=code, stage="application", kind=REGISTRATION, data=data)
        try:
            decide(ProjectState(), proposal, actor, datetime.fromisoformat(at), rules)
        except LifecycleRefusal as e:
            errors.append(refusal_error(line.row, e))
            continue
        records.append(_record(code, "application", REGISTRATION, data, by=actor, at=at))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.row))
    return _append(notary, records, people, rows=len(found), alerts=0)


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
    except ValueError as e:  # a record larger than a record may be, say
        raise RecordError(f"{kind} of {project}: {e}") from e


def _append(
    notary: Notary,
    records: Sequence[Record],
    people: Mapping[str, Actor],
    *,
    rows: int,
    alerts: int,
) -> ImportResult:
    accepted = notary.submit(records, people=people) if records else []
    leaves = [a.entry.index for a in accepted]
    return ImportResult(
        rows=rows,
        records=len(accepted),
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


def _states(projects: ProjectStore, codes: set[str]) -> dict[str, ProjectState]:
    states = {}
    for code in codes:
        try:
            states[code] = ProjectState.model_validate_json(projects.project(code).row.state)
        except NotFoundError:
            continue
    return states


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
    rules = notary.rules or LifecycleRules()
    people = people_of(parties, {line.reviewer for line in found})
    requests = _requests(notary, {line.reference for line in found})
    states = _states(projects, {line.project for line in found})
    at = notary.clock()
    # A file imported again raises its mismatches again, under the same ids: filed once.
    notarized = Oversight(notary, rules).notarized()
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
        state = states.get(line.project)
        if mismatch is None:
            mismatch, state = _decide_payment(line, state, data, actor=actor, at=at, rules=rules)
        if mismatch is None and state is not None:
            states[line.project] = state
            records.append(
                _record(line.project, state.step.stage, "payment", data, by=actor, at=at)
            )
        else:
            alert = payment_alert(
                line,
                mismatch or {"reason": "not_payable"},
                request=request,
                file_sha256=file_sha256,
                at=datetime.fromisoformat(at),
            )
            if alert.id not in notarized:
                records.append(alert_record(alert, at, public=False))
                alerts += 1
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.row))
    return _append(notary, records, people, rows=len(found), alerts=alerts)


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


def _decide_payment(
    line: PaymentLine,
    state: ProjectState | None,
    data: dict[str, Any],
    *,
    actor: Actor,
    at: str,
    rules: LifecycleRules,
) -> tuple[dict[str, Any] | None, ProjectState | None]:
    """The payment judged against the project as the rows before it leave it: no mismatch and
    the new state, or the refusal as a ``not_payable`` mismatch."""
    if state is None:
        return {"reason": "not_payable", "detail": "the project is not registered"}, None
    stage = state.step.stage
    proposal = Proposal(project=line.project, stage=stage, kind="payment", data=data)
    try:
        moved = decide(state, proposal, actor, datetime.fromisoformat(at), rules)
    except LifecycleRefusal as e:
        return {"reason": "not_payable", "rule": e.rule, "detail": e.message}, None
    return None, moved.state
