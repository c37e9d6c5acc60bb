"""Organisations, and the projects under the lifecycle (migration ``0007_lifecycle``).

A governed project's row keeps the :class:`~notary.lifecycle.ProjectState` its records give, as
JSON, and the columns queries filter on (region, step), with its power holders in
``project_powers``. All of it is a cache of the log: :class:`~api.storage.log.LogStore` writes it
in the transaction that appends the record (through a :class:`ProjectGate`), and ``sunlight
audit`` rebuilds it by replaying the project's records (:func:`project_row`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from api.clock import utc_now
from api.storage import db
from api.storage.errors import db_errors, db_errors_iter
from api.storage.parties import ConflictError
from notary.errors import NotFoundError
from notary.lifecycle import PowerHolder, Project, ProjectState
from notary.records import Record

__all__ = [
    "Organisation",
    "ProjectGate",
    "ProjectRow",
    "ProjectRows",
    "ProjectStore",
    "StoredProject",
    "project_row",
]

organisations = Table(
    "organisations",
    db.metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    #: ``county``, ``county/township`` or ``county/township/village``.
    Column("region", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
)

projects = Table(
    "projects",
    db.metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("county", String(64), nullable=False),
    Column("township", String(64), nullable=False),
    Column("village", String(64), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("step", String(20), nullable=False),
    #: The leaf of the last record the state includes.
    Column("leaf_index", BigInteger, nullable=False),
    Column("state", Text, nullable=False),  # ProjectState, JSON
    Index("ix_projects_region", "county", "township", "village"),
    Index("ix_projects_step", "step"),
)

project_powers = Table(
    "project_powers",
    db.metadata,
    Column("project", String(64), primary_key=True),
    Column("power", String(20), primary_key=True),
    Column("organisation", String(128), nullable=False),
    Column("person", String(128), nullable=False),
    Index("ix_project_powers_organisation", "organisation"),
    Index("ix_project_powers_person", "person"),
)


Powers = tuple[tuple[str, str, str], ...]
#: name, county, township, village, owner, step: the columns queries filter on.
Columns = tuple[str, str, str, str, str, str]


@dataclass(slots=True)
class ProjectRow:
    """What the database keeps of a governed project: its state as JSON and what is derived from
    it for queries (the audit compares each with what the replayed records give).

    A row read from the database has its JSON (``stored_state``); a row just derived holds the
    state itself (``value``), encoded only when it is written: a project's next record in the same
    append starts from ``value`` without a round trip through JSON.

    Not changed once made, but not frozen: the gate makes one for every record it judges, and a
    frozen dataclass's ``__init__`` (``object.__setattr__`` per field) would cost as much as the
    rest of the row's making."""

    name: str
    county: str
    township: str
    village: str
    owner: str
    step: str
    #: ``(power, organisation, person)`` of each power held, in the order of the power's name.
    powers: Powers
    stored_state: str | None = None
    value: ProjectState | None = field(default=None, compare=False, repr=False)
    #: ``value`` encoded, once (a memo).
    _encoded: str | None = field(default=None, compare=False, repr=False)
    #: The project's registration and its JSON, lent from row to row while the registration is
    #: the same object: half of a state's encoding, and changed by hardly any record. None on a
    #: project's first row, which encodes its state whole (an imported registration has no other
    #: row); the rows after it make the memo and lend it on.
    _project_json: tuple[Project | None, str] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def state(self) -> str:
        """The state as JSON: ``model_dump_json()``, its first field, the registration, encoded
        once for all the rows that share it (from a project's second row on)."""
        if self.stored_state is not None:
            return self.stored_state
        if self._encoded is None:
            value = self.value
            assert value is not None and value.project is not None, "a registered project's row"
            memo = self._project_json
            if memo is None:
                self._encoded = value.model_dump_json()
                return self._encoded
            if memo[0] is not value.project:
                memo = self._project_json = (value.project, value.project.model_dump_json())
            rest = value.model_dump_json(exclude=_REGISTRATION)
            self._encoded = f'{{"project":{memo[1]},{rest[1:]}'
        return self._encoded

    def columns(self) -> Columns:
        """The ``projects`` columns queries filter on (:data:`Columns`)."""
        return (self.name, self.county, self.township, self.village, self.owner, self.step)


#: What :attr:`ProjectRow.state` encodes apart (the first of :class:`ProjectState`'s fields).
_REGISTRATION = {"project"}
#: The memo a project's second row is lent by its first, which had none: one to make.
_TO_MAKE: tuple[Project | None, str] = (None, "")


def project_row(state: ProjectState, previous: ProjectRow | None = None) -> ProjectRow:
    """The row of a registered project's state. ``previous``, the row of the state it follows,
    lends its power holders when the record left them as they were (most records do), and its
    other columns when it left the project and its step as they were too."""
    project = state.project
    assert project is not None, "only a registered project has a row"
    before = previous.value if previous is not None else None
    if previous is not None and before is not None and before.powers is state.powers:
        powers = previous.powers
        if before.project is project and before.step is state.step:  # a site photo, a report...
            p = previous
            return ProjectRow(
                p.name,
                p.county,
                p.township,
                p.village,
                p.owner,
                p.step,
                powers,
                value=state,
                _project_json=p._project_json or _TO_MAKE,
            )
    else:
        powers = _listed(state.powers)
    return ProjectRow(
        name=project.name,
        county=project.region.county,
        township=project.region.township,
        village=project.region.village,
        owner=project.owner,
        step=state.step.value,
        powers=powers,
        value=state,
        _project_json=None if previous is None else previous._project_json or _TO_MAKE,
    )


def _listed(holders: tuple[PowerHolder, ...]) -> Powers:
    """A state's power holders as a row lists them: in the order of the power's name."""
    return tuple(sorted((h.power.value, h.organisation, h.person) for h in holders))


class ProjectGate(Protocol):
    """The lifecycle's check of one project record, made by :meth:`LogStore.append` under the log
    lock, so checks and appends are serialised. ``state`` is the project's stored state JSON, or
    the row this gate returned for its previous record in the same append (None while the project
    is not under the lifecycle); ``count`` how many records it has. Return the row of the state
    with the record applied (None: the project stays outside the lifecycle), or raise a
    :class:`~notary.errors.NotaryError` to refuse the record."""

    def __call__(
        self, record: Record, state: str | ProjectRow | None, count: int
    ) -> ProjectRow | None: ...


class ProjectRows:
    """The rows of the projects one append touches: read once under the log lock, updated record
    by record through the gate, written back in the same transaction."""

    def __init__(self, states: dict[str, str], columns: dict[str, Columns]) -> None:
        self._stored = states
        self._states: dict[str, str | ProjectRow] = dict(states)
        self._columns = columns
        self._changed: dict[str, tuple[ProjectRow, int]] = {}

    @classmethod
    def load(cls, conn: Connection, codes: set[str]) -> ProjectRows:
        # db.rows_in: on every append under the log lock, and thousands for an import.
        states: dict[str, str] = {}
        columns: dict[str, Columns] = {}
        for code, state, name, county, township, village, owner, step in db.rows_in(
            conn, _SELECT_ROWS, list(codes)
        ):
            states[code] = state
            columns[code] = (name, county, township, village, owner, step)
        return cls(states, columns)

    def state(self, code: str) -> str | ProjectRow | None:
        """The project's state as of the records so far: stored JSON, or the gate's last row
        (None: not under the lifecycle)."""
        return self._states.get(code)

    def update(self, code: str, row: ProjectRow, leaf: int) -> None:
        """The project's row once the record at ``leaf`` is applied."""
        self._states[code] = row
        self._changed[code] = (row, leaf)

    def save(self, conn: Connection) -> None:
        """Write the changed rows (and power holders, where they changed). Most records change
        the state alone: a row's other columns are written only when they changed (each is in
        an index)."""
        states: list[tuple[object, ...]] = []
        rows: list[tuple[object, ...]] = []
        added: list[tuple[str, ProjectRow, int]] = []
        for code, (row, leaf) in self._changed.items():
            stored, columns = self._columns.get(code), row.columns()
            if stored is None:
                added.append((code, row, leaf))
            elif stored == columns:
                states.append((row.state, leaf, code))
            else:
                rows.append((row.state, leaf, *columns, code))
        for sql, values in ((_UPDATE_STATE, states), (_UPDATE_ROW, rows)):
            if values:
                conn.exec_driver_sql(_sql(conn, sql), values)
        if added:  # an import's: thousands, each state encoded as the database stores the last
            with db.row_writer(conn, "projects", _ROW_COLUMNS) as write:
                for code, row, leaf in added:
                    write((row.state, leaf, *row.columns(), code))
        moved = {}
        for code, (row, _) in self._changed.items():
            before = self._stored.get(code)
            if row.powers != (() if before is None else _HELD.powers(before)):
                moved[code] = row.powers
            _HELD.remember(row.state, row.powers)
        if moved:
            w = project_powers.c
            conn.execute(delete(project_powers).where(w.project.in_(moved)))
            conn.execute(
                insert(project_powers),
                [
                    {"project": code, "power": power, "organisation": org, "person": person}
                    for code, held in moved.items()
                    for power, org, person in held
                ],
            )


# Constant text with bound parameters, ``?`` standing for the driver's mark: no value is ever
# formatted into the SQL.
_UPDATE_STATE = "UPDATE projects SET state = ?, leaf_index = ? WHERE code = ?"
_UPDATE_ROW = (
    "UPDATE projects SET state = ?, leaf_index = ?, name = ?, county = ?, township = ?,"
    " village = ?, owner = ?, step = ? WHERE code = ?"
)
#: The columns of :data:`Columns`; a new row's, in the order of :meth:`ProjectRows.save`'s values.
_FILTERED = ("name", "county", "township", "village", "owner", "step")
_ROW_COLUMNS = ("state", "leaf_index", *_FILTERED, "code")
_SELECT_ROWS = (
    "SELECT code, state, name, county, township, village, owner, step FROM projects WHERE code"
)


class _PowersByState:
    """The power holders a stored state names, by the state's JSON, as a row lists them — what
    ``project_powers`` holds beside that state (both are written together). Remembered for the
    states written, so that an append learns whether its records moved the project's powers
    without reading them back; a state not seen is parsed."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held: dict[str, Powers] = {}

    def remember(self, state: str, powers: Powers) -> None:
        if len(self._held) >= self._limit:
            self._held.clear()
        self._held[state] = powers

    def powers(self, state: str) -> Powers:
        held = self._held.get(state)
        if held is None:
            held = _listed(ProjectState.model_validate_json(state).powers)
        return held


#: For the projects of one process's appends (a state's JSON is ~1 KiB).
_HELD = _PowersByState(limit=10_000)


def _sql(conn: Connection, text: str) -> str:
    """``text`` in the driver's paramstyle."""
    return text if conn.dialect.paramstyle == "qmark" else text.replace("?", "%s")


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    kind: str
    region: str
    created_at: str


@dataclass(frozen=True, slots=True)
class StoredProject:
    code: str
    leaf_index: int
    row: ProjectRow


class ProjectStore:
    """Organisations and the stored rows of governed projects, in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @db_errors
    def create_organisation(self, org_id: str, name: str, kind: str, region: str) -> Organisation:
        org = Organisation(org_id, name, kind, region, utc_now())
        try:
            with db.write(self.engine) as conn:
                conn.execute(
                    insert(organisations).values(
                        id=org_id, name=name, kind=kind, region=region, created_at=org.created_at
                    )
                )
        except IntegrityError as e:
            raise ConflictError(f"organisation {org_id} exists already") from e
        return org

    @db_errors
    def organisation(self, org_id: str) -> Organisation:
        with self.engine.connect() as conn:
            row = conn.execute(select(organisations).where(organisations.c.id == org_id)).first()
        if row is None:
            raise NotFoundError(f"no organisation {org_id}")
        return Organisation(row.id, row.name, row.kind, row.region, row.created_at)

    @db_errors
    def project(self, code: str) -> StoredProject:
        p = projects.c
        with self.engine.connect() as conn:
            row = conn.execute(select(projects).where(p.code == code)).first()
            w = project_powers.c
            held = tuple(
                (str(power), str(org), str(person))
                for power, org, person in conn.execute(
                    select(w.power, w.organisation, w.person)
                    .where(w.project == code)
                    .order_by(w.power)
                )
            )
        if row is None:
            raise NotFoundError(f"no registered project {code}")
        return _stored_project(row, held)

    @db_errors
    def list_projects(
        self, filters: dict[str, str], *, limit: int, after: str | None
    ) -> list[StoredProject]:
        """Projects in code order whose columns (``county``, ``township``, ``village``, ``step``)
        have the values ``filters`` gives, at most ``limit`` of them after the code ``after``."""
        p = projects.c
        query = select(projects).order_by(p.code).limit(limit)
        for name, value in filters.items():
            query = query.where(p[name] == value)
        if after is not None:
            query = query.where(p.code > after)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_stored_project(r, ()) for r in rows]

    def iter_projects(self) -> Iterator[StoredProject]:
        """Every stored project with its power holders (for the audit)."""
        return self._all()

    @db_errors_iter
    def _all(self) -> Iterator[StoredProject]:
        w = project_powers.c
        with self.engine.connect() as conn:
            held: dict[str, list[tuple[str, str, str]]] = {}
            for code, power, org, person in conn.execute(
                select(w.project, w.power, w.organisation, w.person).order_by(w.project, w.power)
            ):
                held.setdefault(code, []).append((power, org, person))
            rows = conn.execute(select(projects).order_by(projects.c.code)).all()
        for r in rows:
            yield _stored_project(r, tuple(held.get(r.code, ())))


def _stored_project(row: object, powers: tuple[tuple[str, str, str], ...]) -> StoredProject:
    r = row  # a projects row
    return StoredProject(
        code=r.code,  # type: ignore[attr-defined]
        leaf_index=int(r.leaf_index),  # type: ignore[attr-defined]
        row=ProjectRow(
            stored_state=r.state,  # type: ignore[attr-defined]
            name=r.name,  # type: ignore[attr-defined]
            county=r.county,  # type: ignore[attr-defined]
            township=r.township,  # type: ignore[attr-defined]
            village=r.village,  # type: ignore[attr-defined]
            owner=r.owner,  # type: ignore[attr-defined]
            step=r.step,  # type: ignore[attr-defined]
            powers=powers,
        ),
    )
