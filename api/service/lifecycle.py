# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""The project lifecycle on the server: the gate the log runs on every project record, the actors
it judges, the rules file, and what a project's routes show.

A project is under the lifecycle from its ``project_registration`` record on: from then every
record filed under its code goes through :func:`notary.lifecycle.decide` inside the append's
transaction (:class:`LifecycleGate`), judged with the submitter as the server knows them (their
organisation and lifecycle roles) and at the server's time (the record's ``received_at``). A
project code that has records but no registration stays outside the lifecycle, as projects did
before it; such a code cannot be registered afterwards.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from api.settings import Settings, SettingsError
from api.storage.parties import Party, PartyStore
from api.storage.projects import ProjectRow, project_row
from notary import jsonin
from notary.errors import InvalidJSONError, NotFoundError, RecordError
from notary.lifecycle import (
    KINDS,
    Actor,
    LifecycleRefusal,
    LifecycleRules,
    ProjectState,
    Proposal,
    Role,
    RulesError,
    Step,
    accepted_kinds,
    decide,
    load_rules,
)
from notary.records import Record, first_problem

if TYPE_CHECKING:
    from api.context import AppContext
    from api.service.notary import Accepted

__all__ = [
    "PUBLIC_KINDS",
    "REGISTRATION",
    "LifecycleGate",
    "acting_role",
    "actor_of",
    "attribute",
    "file_lifecycle_record",
    "next_kinds",
    "people_of",
    "rules_from_settings",
    "settings_document",
]

REGISTRATION = "project_registration"
#: Projects whose last state a notary keeps parsed (see :class:`LifecycleGate`).
_MAX_KNOWN = 10_000
#: The kinds the project routes show to anyone (registration, power holders): always public.
PUBLIC_KINDS = frozenset({REGISTRATION, "power_assignment"})


@lru_cache(maxsize=4096)
def actor_of(party: Party) -> Actor | None:
    """The lifecycle actor a party is: a person with an organisation and lifecycle roles (the
    same actor for the same party, as each request looks its submitter up)."""
    if party.organisation is None or not party.lifecycle_roles:
        return None
    return Actor(
        person=party.id,
        organisation=party.organisation,
        roles=frozenset(Role(r) for r in party.lifecycle_roles),
    )


def people_of(parties: PartyStore, ids: set[str]) -> dict[str, Actor]:
    """The lifecycle actors among the parties ``ids`` (one query)."""
    return _actors(parties.parties(ids))


def _actors(parties: dict[str, Party]) -> dict[str, Actor]:
    return {p.id: a for p in parties.values() if (a := actor_of(p)) is not None}


def attribute(parties: PartyStore, record: Record) -> tuple[Record, dict[str, Actor]]:
    """``record`` naming its submitter's organisation (``org``, when they have one), and the
    lifecycle actors among its submitter and signers, for the gate (one query)."""
    found = parties.parties({record.submitter, *(s.party for s in record.signatures)})
    people = _actors(found)
    submitter = found.get(record.submitter)
    if submitter is not None and submitter.organisation is not None:
        # An organisation id was checked when it was registered; the record needs no revalidation.
        record = record.model_copy(update={"org": submitter.organisation})
    return record, people


#: The state of a project before its registration (frozen, so one serves every import row).
_UNREGISTERED = ProjectState()


class LifecycleGate:
    """A :class:`~api.storage.projects.ProjectGate` for one group of records, knowing the actors
    among their submitters and signers (looked up when each request came in, outside the lock)."""

    def __init__(
        self,
        rules: LifecycleRules,
        people: Mapping[str, Actor],
        known: dict[str, ProjectRow] | None = None,
    ) -> None:
        self._rules = rules
        self._people = people
        #: The last row returned per project, shared by the gates of one notary: when the stored
        #: state is still exactly that row's JSON, its state is reused instead of parsed.
        self._known = {} if known is None else known

    def __call__(
        self, record: Record, state: str | ProjectRow | None, count: int
    ) -> ProjectRow | None:
        if state is None:
            if record.kind != REGISTRATION:
                return None  # a project outside the lifecycle
            if count:
                raise LifecycleRefusal(
                    "project.code_in_use",
                    f"project code {record.project} already has {count} records outside the "
                    "lifecycle: register the project under a new code",
                    f"项目编号 {record.project} 已有 {count} 条流程外的记录，请用新的编号登记",
                )
            current, previous = _UNREGISTERED, None
        else:
            current, previous = self._previous(str(record.project), state)
        if record.kind in PUBLIC_KINDS and not record.public:
            raise LifecycleRefusal(
                "record.must_be_public",
                f"a {record.kind} is public: it makes the project's public face (omit public)",
                f"{record.kind} 记录必须公开",
            )
        actor = self._people.get(record.submitter)
        if actor is None:
            raise not_registered(record.submitter)
        people = self._people
        signers = (
            tuple(people[s.party] for s in record.signatures if s.party in people)
            if record.signatures
            else ()  # most records: a site photo, a report
        )
        at = datetime.fromisoformat(record.received_at)
        proposal = Proposal.of_record(record, signers)
        row = project_row(decide(current, proposal, actor, at, self._rules).state, previous)
        if len(self._known) >= _MAX_KNOWN:
            self._known.clear()
        self._known[str(record.project)] = row
        return row

    def _previous(
        self, code: str, state: str | ProjectRow
    ) -> tuple[ProjectState, ProjectRow | None]:
        """The project's state before the record, and its row when this notary made it."""
        if isinstance(state, ProjectRow) and state.value is not None:
            return state.value, state  # this gate's own, for the project's previous record
        text = state if isinstance(state, str) else state.state
        last = self._known.get(code)
        if last is not None and last.value is not None and last.state == text:
            return last.value, last
        return ProjectState.model_validate_json(text), None


def not_registered(person: str) -> LifecycleRefusal:
    return LifecycleRefusal(
        "actor.not_registered",
        f"{person} is not registered with an organisation and lifecycle roles: an "
        "administrator registers people (POST /v1/parties)",
        f"{person} 未登记所属单位和流程角色，请管理员登记",
    )


def acting_role(actor: Actor, kind: str) -> Role:
    """The role ``actor`` files ``kind`` in: the first the kind accepts that they hold (any of
    theirs when none is: the gate then says which roles may)."""
    spec = KINDS.get(kind)
    accepting = [r for r in spec.roles if r in actor.roles] if spec else []
    return accepting[0] if accepting else min(actor.roles)


async def file_lifecycle_record(
    ctx: AppContext, person: str, code: str, kind: str, fields: Mapping[str, Any]
) -> Accepted:
    """File a lifecycle record of ``kind`` for ``person`` in project ``code``, acting for their
    organisation, under the stage of the project's step (public: the routes that call this file
    the project's public face — its registration, its powers)."""
    people = people_of(ctx.parties, {person})
    actor = people.get(person)
    if actor is None:
        raise not_registered(person)
    try:
        stage = ProjectState.model_validate_json(ctx.projects.project(code).row.state).step.stage
    except NotFoundError:
        stage = Step.APPLICATION.stage
    acting = {"organisation": actor.organisation, "role": acting_role(actor, kind).value}
    try:
        record = Record.model_validate(
            {
                "project": code,
                "stage": stage,
                "kind": kind,
                "data": {**fields, "actor": acting},
                "submitter": person,
                "received_at": ctx.notary.clock(),
                "org": actor.organisation,
            }
        )
    except ValidationError as e:
        where, msg = first_problem(e, "body")
        raise RecordError(msg, field=where) from e
    return await ctx.committer.submit(record, blob=False, people=people)


def next_kinds(state: ProjectState, actor: Actor | None) -> tuple[str, ...]:
    """The kinds ``actor`` may file in the project now, as far as its step and their roles go
    (order, sides and amounts are judged when a record comes in)."""
    if actor is None:
        return ()
    return tuple(k for k in accepted_kinds(state.step, actor.roles) if k != REGISTRATION)


def settings_document(path: Path, variable: str) -> Any:
    """The document of a rules file a setting names: JSON, or TOML if it ends in .toml. A file
    that cannot be read is a :class:`SettingsError` naming ``variable``."""
    toml = path.suffix == ".toml"
    try:
        text = Path(path).read_text(encoding="utf-8")
        return tomllib.loads(text) if toml else jsonin.loads(text, what="rules")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, InvalidJSONError) as e:
        raise SettingsError(
            f"{variable}: {path} cannot be read as {'TOML' if toml else 'JSON'}: {e}"
        ) from None


def rules_from_settings(settings: Settings) -> LifecycleRules:
    """The rules of ``SUNLIGHT_LIFECYCLE_RULES`` (a JSON or TOML file), or the defaults when it
    is empty. A file that cannot be read or holds bad rules is a :class:`SettingsError` naming
    the field."""
    path = settings.lifecycle_rules
    if path is None:
        return LifecycleRules()
    document = settings_document(path, "SUNLIGHT_LIFECYCLE_RULES")
    try:
        return load_rules(document)
    except RulesError as e:
        raise SettingsError(f"SUNLIGHT_LIFECYCLE_RULES: {path}: {e}") from None
