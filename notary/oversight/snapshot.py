"""A project's snapshot: the few facts every indicator and rule reads, from its records in one pass.

:func:`snapshot_of` folds a project's logged records (log order) into a :class:`ProjectSnapshot`.
Unlike :func:`~notary.lifecycle.replay` it judges nothing: a record the gate would refuse (a
payment imported from the finance system, a record accepted under laxer rules) is read like any
other, because the rules exist to see exactly those. Only the registration must be valid: without
it there is no project to oversee. Every fact keeps the :class:`RecordRef` of the record it came
from, so an alert links to its evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from notary.errors import RecordError
from notary.evidence.photos import Flag
from notary.lifecycle import DEFAULT_RULES, KINDS, LifecycleRules, Project, Region, Step
from notary.records import Record, first_problem

__all__ = [
    "Event",
    "FlaggedPhoto",
    "LoggedRecord",
    "Money",
    "NoticeCycle",
    "Party",
    "Progress",
    "ProjectSnapshot",
    "RecordRef",
    "SnapshotError",
    "Visit",
    "snapshot_of",
]


class SnapshotError(RecordError):
    """A project's records cannot make a snapshot (no valid registration, records out of order or
    of another project); ``field`` names what is wrong."""

    code = "invalid_snapshot"


@dataclass(frozen=True, slots=True, order=True)
class RecordRef:
    """A record in the log: its leaf index, the server's record id, its project (None for a
    standalone record) and kind."""

    leaf_index: int
    record_id: str
    project: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class LoggedRecord:
    """A record as the log holds it, with the photo flags raised when it was filed (site photos;
    :func:`notary.evidence.photos.photo_flags`, kept by the server's photo index)."""

    leaf_index: int
    record_id: str
    record: Record
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """Something recorded: the record and the server's time of it (``received_at``)."""

    ref: RecordRef
    at: datetime


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation put on the execution side: by an award, a contract (its signer) or the
    execution power's assignment (``event.ref.kind`` says which); the amount where there is one."""

    organisation: str
    amount_fen: int | None
    event: Event


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in fen recorded by ``event``: a change order's delta, a payment."""

    amount_fen: int
    event: Event


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress report: the percent of the works done, as the contractor reported it."""

    percent: int
    event: Event


@dataclass(frozen=True, slots=True)
class NoticeCycle:
    """One round of the public notice: the approval that opened it (None if the records skip
    it), its publication and its close."""

    approval: Event | None = None
    published: Event | None = None
    closed: Event | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    """A stay in a step: entered at ``entered``, left at ``left`` (None: still there)."""

    step: Step
    entered: datetime
    left: datetime | None = None


@dataclass(frozen=True, slots=True)
class FlaggedPhoto:
    """A site photo that was flagged when filed, with its flags."""

    event: Event
    flags: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class ProjectSnapshot:
    """What the indicators and rules read of one project. Tuples are in log order."""

    project: Project
    #: The small-project ceiling of the project's region under the lifecycle rules, in fen.
    ceiling_fen: int
    registered: Event
    records: int
    step: Step
    visits: tuple[Visit, ...]
    notices: tuple[NoticeCycle, ...]
    objections: tuple[Event, ...]
    #: The rulings that upheld an objection (each sent the project back to review).
    objections_upheld: tuple[Event, ...]
    parties: tuple[Party, ...]
    change_orders: tuple[Money, ...]
    completion: Event | None
    acceptances: tuple[Event, ...]
    payments: tuple[Money, ...]
    settlement: Event | None
    photos: tuple[FlaggedPhoto, ...]
    progress: tuple[Progress, ...] = ()

    @property
    def code(self) -> str:
        return self.project.code

    @property
    def region(self) -> Region:
        return self.project.region

    def of_kind(self, kind: str) -> tuple[Party, ...]:
        """The parties recorded by records of ``kind`` (award, contract, power_assignment)."""
        return tuple(p for p in self.parties if p.event.ref.kind == kind)

    @property
    def contract(self) -> Party | None:
        """The first contract (a project has one under the gate)."""
        return next(iter(self.of_kind("contract")), None)

    @property
    def awarded_to(self) -> Party | None:
        """The last award: who won the project in the end."""
        awards = self.of_kind("award")
        return awards[-1] if awards else None

    def contract_total_fen(self, before: datetime | None = None) -> int:
        """The last contract's amount with the change orders recorded before ``before``."""
        signed = [p for p in self.of_kind("contract") if before is None or p.event.at < before]
        base = (signed[-1].amount_fen or 0) if signed else 0
        return base + sum(_amounts(self.change_orders, before))

    def paid_fen(self, before: datetime | None = None) -> int:
        return sum(_amounts(self.payments, before))


def _amounts(items: Iterable[Money], before: datetime | None) -> Iterable[int]:
    return (m.amount_fen for m in items if before is None or m.event.at < before)


@dataclass
class _Fold:
    """The snapshot under construction: one method per kind that says something to oversight."""

    rules: LifecycleRules
    project: Project
    registered: Event
    records: int = 0
    visits: list[Visit] = field(default_factory=list)
    notices: list[NoticeCycle] = field(default_factory=list)
    objections: list[Event] = field(default_factory=list)
    upheld: list[Event] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    changes: list[Money] = field(default_factory=list)
    completion: Event | None = None
    acceptances: list[Event] = field(default_factory=list)
    payments: list[Money] = field(default_factory=list)
    settlement: Event | None = None
    photos: list[FlaggedPhoto] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)

    def move(self, step: Step, at: datetime) -> None:
        last = self.visits[-1]
        self.visits[-1] = Visit(last.step, last.entered, at)
        self.visits.append(Visit(step, at))

    def notice(self, stage: str, event: Event) -> None:
        """Record a notice's ``stage`` (approval, published, closed): on the current round,
        unless that round has reached the stage already, which starts a new round."""
        later = _NOTICE_STAGES[_NOTICE_STAGES.index(stage) :]
        last = self.notices[-1] if self.notices else None
        if last is None or any(getattr(last, s) is not None for s in later):
            self.notices.append(NoticeCycle())
        self.notices[-1] = replace(self.notices[-1], **{stage: event})

    def read(self, logged: LoggedRecord) -> None:
        """Take in one record; most kinds (bids, reports, opinions) say nothing to oversight and
        cost no more than a look-up."""
        record = logged.record
        kind = record.kind
        handler = _HANDLERS.get(kind)
        move = _MOVES.get(kind)
        if kind == "objection_ruling" and record.data.get("upheld") is True:
            move = Step.REVIEW
        if handler is None and move is None and not logged.flags:
            return
        event = _event(logged, self.project.code)
        if handler is not None:
            handler(self, record.data, event)
        if logged.flags:
            self.photos.append(FlaggedPhoto(event, logged.flags))
        if move is not None:
            self.move(move, event.at)


_NOTICE_STAGES = ("approval", "published", "closed")


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _organisation(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if key == "actor":
        value = value.get("organisation") if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else None


def _party(key: str, amount: bool) -> Callable[[_Fold, Mapping[str, Any], Event], None]:
    def add(fold: _Fold, data: Mapping[str, Any], event: Event) -> None:
        organisation = _organisation(data, key)
        if organisation is not None:
            fold.parties.append(
                Party(organisation, _int(data, "amount_fen") if amount else None, event)
            )

    return add


def _assignment(fold: _Fold, data: Mapping[str, Any], event: Event) -> None:
    if data.get("power") == "execution":
        _party("organisation", amount=False)(fold, data, event)


def _money(to: str, key: str) -> Callable[[_Fold, Mapping[str, Any], Event], None]:
    def add(fold: _Fold, data: Mapping[str, Any], event: Event) -> None:
        amount = _int(data, key)
        if amount is not None:
            getattr(fold, to).append(Money(amount, event))

    return add


def _first(name: str) -> Callable[[_Fold, Mapping[str, Any], Event], None]:
    def keep(fold: _Fold, data: Mapping[str, Any], event: Event) -> None:
        if getattr(fold, name) is None:
            setattr(fold, name, event)

    return keep


def _progress(fold: _Fold, data: Mapping[str, Any], event: Event) -> None:
    percent = _int(data, "percent")
    if percent is not None:
        fold.progress.append(Progress(percent, event))


def _ruling(fold: _Fold, data: Mapping[str, Any], event: Event) -> None:
    if data.get("upheld") is True:
        fold.upheld.append(event)


#: The step each kind moves a project to (an upheld objection ruling, too: back to review).
_MOVES: Mapping[str, Step] = {k: s.moves_to for k, s in KINDS.items() if s.moves_to is not None}

_HANDLERS: Mapping[str, Callable[[_Fold, Mapping[str, Any], Event], None]] = {
    "approval": lambda f, d, e: f.notice("approval", e),
    "notice_published": lambda f, d, e: f.notice("published", e),
    "notice_closed": lambda f, d, e: f.notice("closed", e),
    "objection": lambda f, d, e: f.objections.append(e),
    "objection_ruling": _ruling,
    "award": _party("organisation", amount=True),
    "contract": _party("actor", amount=True),
    "power_assignment": _assignment,
    "change_order": _money("changes", "amount_delta_fen"),
    "completion": _first("completion"),
    "acceptance_certificate": lambda f, d, e: f.acceptances.append(e),
    "payment": _money("payments", "amount_fen"),
    "progress_report": _progress,
    "settlement": _first("settlement"),
}


def _event(logged: LoggedRecord, code: str) -> Event:
    record = logged.record
    ref = RecordRef(logged.leaf_index, logged.record_id, code, record.kind)
    return Event(ref, datetime.fromisoformat(record.received_at))


def _registration(logged: LoggedRecord) -> Project:
    record = logged.record
    if record.kind != "project_registration":
        raise SnapshotError(
            f"a project's first record must be its registration, not {record.kind}",
            field="kind",
        )
    given = {k: v for k, v in record.data.items() if k != "actor"}
    try:
        return Project.model_validate({**given, "owner": _organisation(record.data, "actor")})
    except ValidationError as e:
        where, msg = first_problem(e, "data")
        raise SnapshotError(f"project {record.project}: {msg}", field=f"data.{where}") from e


def snapshot_of(
    records: Iterable[LoggedRecord], rules: LifecycleRules = DEFAULT_RULES
) -> ProjectSnapshot:
    """The snapshot of one project from its records in log order (registration first).

    ``rules`` gives the small-project ceiling of the project's region. Raises
    :class:`SnapshotError` if the first record is not a valid registration, or a later one is of
    another project or not after its predecessor in the log.
    """
    it = iter(records)
    first = next(it, None)
    if first is None:
        raise SnapshotError("a project has at least its registration record")
    project = _registration(first)
    registered = _event(first, project.code)
    fold = _Fold(rules, project, registered, records=1)
    fold.visits.append(Visit(Step.APPLICATION, registered.at))
    last_index = first.leaf_index
    for logged in it:
        if logged.record.project != project.code:
            raise SnapshotError(
                f"record {logged.leaf_index} is of project {logged.record.project}, "
                f"not {project.code}",
                field="project",
            )
        if logged.leaf_index <= last_index:
            raise SnapshotError(
                f"record {logged.leaf_index} comes after {last_index}: give records in log order",
                field="leaf_index",
            )
        last_index = logged.leaf_index
        fold.records += 1
        fold.read(logged)
    return _frozen(fold)


def _frozen(fold: _Fold) -> ProjectSnapshot:
    return ProjectSnapshot(
        project=fold.project,
        ceiling_fen=fold.rules.ceiling_for(fold.project.region)[0],
        registered=fold.registered,
        records=fold.records,
        step=fold.visits[-1].step,
        visits=tuple(fold.visits),
        notices=tuple(fold.notices),
        objections=tuple(fold.objections),
        objections_upheld=tuple(fold.upheld),
        parties=tuple(fold.parties),
        change_orders=tuple(fold.changes),
        completion=fold.completion,
        acceptances=tuple(fold.acceptances),
        payments=tuple(fold.payments),
        settlement=fold.settlement,
        photos=tuple(fold.photos),
        progress=tuple(fold.progress),
    )
