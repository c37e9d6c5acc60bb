"""Registering a party, and changing a person's organisation, lifecycle roles or server roles.

A change is a ``party_change`` record of the log (:mod:`notary.lifecycle.membership`), filed by
the administrator who made it. The party's row is read, checked against the separation of powers
(:func:`notary.lifecycle.check_standing_change`, with the power holders of the projects they act
in) and written inside the transaction that appends the record, under the log lock: the change
and its record commit together or not at all, and no lifecycle record slips in between the check
and the change. The HTTP route (``PATCH /v1/parties/{id}``) and ``sunlight party update`` share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import Connection

from api.service.lifecycle import attribute
from api.storage.memberships import (
    current_standing,
    live_powers,
    read_standing,
    write_standing,
)
from api.storage.parties import ConflictError, Party, PartyStore
from api.storage.projects import ProjectStore
from notary.errors import RecordError
from notary.lifecycle import PARTY_CHANGE, Standing, check_standing_change
from notary.lifecycle.membership import party_change_data
from notary.records import Record, first_problem

if TYPE_CHECKING:
    from api.service.notary import Accepted, Notary

__all__ = ["PartyChanged", "change_party", "register_party"]


def register_party(
    parties: PartyStore,
    projects: ProjectStore,
    party_id: str,
    *,
    name: str,
    kind: str,
    roles: Iterable[str],
    organisation: str | None = None,
    lifecycle_roles: Iterable[str] = (),
) -> Party:
    """Register a party; a person's organisation must be registered already."""
    _check(kind, {"organisation": organisation, "lifecycle_roles": set(lifecycle_roles)})
    if organisation is not None:
        projects.organisation(organisation)  # NotFoundError: it must be registered
    return parties.create_party(
        party_id,
        name,
        kind,
        tuple(roles),
        organisation=organisation,
        lifecycle_roles=tuple(lifecycle_roles),
    )


@dataclass(frozen=True, slots=True)
class PartyChanged:
    """The party as it now is, and the record of the change (None: nothing changed)."""

    party: Party
    accepted: Accepted | None


def change_party(
    notary: Notary,
    parties: PartyStore,
    projects: ProjectStore,
    party_id: str,
    changes: dict[str, Any],
    *,
    by: str,
) -> PartyChanged:
    """Change the fields of ``party_id``'s standing that ``changes`` names (``organisation``, None
    to clear it; ``lifecycle_roles``; ``roles``), as administrator ``by``. Refused with a
    :class:`~notary.lifecycle.LifecycleRefusal` when it breaks the separation of powers, a
    :class:`ConflictError` when the party changed meanwhile (read it again and retry)."""
    kind, before = current_standing(notary.log.engine, party_id)
    after = _check(kind, {**before.model_dump(), **changes})
    if after.organisation not in (None, before.organisation):
        projects.organisation(after.organisation)  # NotFoundError: it must be registered
    if after == before:
        return PartyChanged(parties.party(party_id), None)
    record = Record(
        kind=PARTY_CHANGE,
        data=party_change_data(party_id, before, after),
        submitter=by,
        received_at=notary.clock(),
    )
    record, _ = attribute(parties, record)  # the administrator's organisation, if any

    def within(conn: Connection) -> None:  # under the log lock, in the record's transaction
        if read_standing(conn, party_id)[1] != before:
            raise ConflictError(f"party {party_id} changed meanwhile: read it again and retry")
        check_standing_change(
            party_id, before, after, live_powers(conn, party_id, before.organisation)
        )
        write_standing(conn, party_id, after)

    try:
        [accepted] = notary.submit([record], within=within)
    finally:
        parties.forget(party_id)  # this process serves the new roles from now on
    return PartyChanged(parties.party(party_id), accepted)


def _check(kind: str, fields: dict[str, Any]) -> Standing:
    """The standing ``fields`` give, valid for a party of ``kind``."""
    try:
        standing = Standing.model_validate(fields)
    except ValidationError as e:
        where, msg = first_problem(e, "body")
        raise RecordError(msg, field=where) from e
    if standing.lifecycle_roles and (standing.organisation is None or kind != "person"):
        raise RecordError(
            "lifecycle roles are a person's, in an organisation", field="lifecycle_roles"
        )
    return standing
