"""``sunlight party``: register parties, change a person's organisation and roles, issue and
revoke bearer tokens — on the database directly, as the HTTP routes do."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer

from api.cli.common import DataDir, settings_for
from api.service.notary import Notary
from api.service.parties import change_party, register_party
from api.storage.parties import BOOTSTRAP_ADMIN, ROLES, ForbiddenError, Party, PartyStore
from api.storage.projects import ProjectStore
from notary.errors import RecordError
from notary.lifecycle import Role

party_app = typer.Typer(no_args_is_help=True, help="Parties, their roles and bearer tokens.")

Roles = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option("--role", help="admin, submitter or auditor (repeatable)."),
]
LifecycleRoles = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--lifecycle-role",
        help=f"A person's role in their organisation (repeatable): {', '.join(Role)}.",
    ),
]
Organisation = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="A person's organisation (registered with POST /v1/organisations)."),
]


@contextmanager
def _stores(data_dir: DataDir) -> Iterator[tuple[Notary, PartyStore, ProjectStore]]:
    notary = Notary.open(settings_for(data_dir))
    try:
        yield notary, PartyStore(notary.log.engine), ProjectStore(notary.log.engine)
    finally:
        notary.close()


def _checked(values: list[str] | None, known: tuple[str, ...], what: str) -> list[str] | None:
    bad = sorted(set(values or ()) - set(known))
    if bad:
        raise RecordError(f"unknown {what}(s) {bad}: one of {', '.join(known)}", field=what)
    return values


def _party_json(party: Party) -> dict[str, Any]:
    return {
        "id": party.id,
        "kind": party.kind,
        "roles": list(party.roles),
        "organisation": party.organisation,
        "lifecycle_roles": list(party.lifecycle_roles),
    }


@party_app.command("create")
def party_create(
    party_id: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[list[str], typer.Option(help="admin, submitter or auditor (repeatable).")],
    kind: Annotated[str, typer.Option(help="organisation or person.")] = "organisation",
    organisation: Organisation = None,
    lifecycle_role: LifecycleRoles = None,
    data_dir: DataDir = None,
) -> None:
    """Register a party with roles (a person with their organisation and lifecycle roles)."""
    roles = _checked(role, ROLES, "role") or []
    if kind not in ("organisation", "person"):
        raise RecordError(f"unknown kind {kind!r}: organisation or person", field="kind")
    lifecycle_roles = _checked(lifecycle_role, tuple(Role), "lifecycle-role") or []
    with _stores(data_dir) as (_, parties, projects):
        party = register_party(
            parties,
            projects,
            party_id,
            name=name,
            kind=kind,
            roles=roles,
            organisation=organisation,
            lifecycle_roles=lifecycle_roles,
        )
        print(json.dumps(_party_json(party)))


@party_app.command("update")
def party_update(
    party_id: str,
    by: Annotated[str, typer.Option(help="The administrator making the change (a party id).")],
    organisation: Organisation = None,
    no_organisation: Annotated[
        bool, typer.Option(help="Take the person out of their organisation.")
    ] = False,
    lifecycle_role: LifecycleRoles = None,
    no_lifecycle_roles: Annotated[bool, typer.Option(help="Remove every lifecycle role.")] = False,
    role: Roles = None,
    data_dir: DataDir = None,
) -> None:
    """Change a person's organisation, lifecycle roles or roles: a party_change record of the log,
    refused when it breaks the separation of powers. Prints the party and the record's receipt."""
    lifecycle_roles = _checked(lifecycle_role, tuple(Role), "lifecycle-role")
    changes: dict[str, Any] = {}
    for name, value, clear, empty in (
        ("organisation", organisation, no_organisation, None),
        ("lifecycle_roles", lifecycle_roles, no_lifecycle_roles, []),
        ("roles", _checked(role, ROLES, "role"), False, None),
    ):
        if value is not None and clear:
            raise RecordError(f"give {name} or clear it, not both", field=name)
        if value is not None or clear:
            changes[name] = empty if clear else value
    if not changes:
        raise RecordError("name a change: --organisation, --lifecycle-role or --role (or a --no-)")
    with _stores(data_dir) as (notary, parties, projects):
        _require_admin(parties.party, by)
        changed = change_party(notary, parties, projects, party_id, changes, by=by)
        accepted = changed.accepted
        line = {
            "party": _party_json(changed.party),
            "record_id": accepted.record_id if accepted else None,
            "receipt": accepted.receipt.model_dump() if accepted else None,
        }
        print(json.dumps(line))


def _require_admin(party: Callable[[str], Party], by: str) -> None:
    """``by`` must be the bootstrap administrator or a party with the admin role: the record of a
    change names who made it."""
    if by != BOOTSTRAP_ADMIN and "admin" not in party(by).roles:
        raise ForbiddenError(f"party {by} lacks the role: admin")


@party_app.command("token")
def party_token(party_id: str, data_dir: DataDir = None) -> None:
    """Issue a bearer token for a party (printed once; only its hash is stored)."""
    with _stores(data_dir) as (_, parties, _projects):
        issued = parties.issue_token(party_id)
        print(json.dumps({"token_id": issued.id, "party_id": party_id, "token": issued.token}))


@party_app.command("revoke")
def party_revoke(token_id: str, data_dir: DataDir = None) -> None:
    """Revoke a bearer token at once."""
    with _stores(data_dir) as (_, parties, _projects):
        parties.revoke_token(token_id)
