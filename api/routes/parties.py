"""Parties, their bearer tokens and their signing keys (key transparency)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.routes.deps import (
    Ctx,
    CurrentParty,
    known,
    require_role,
)
from api.routes.project_schemas import LIFECYCLE_ERRORS
from api.routes.schemas import (
    ERRORS,
    KeyIn,
    KeyOut,
    PartyChangeOut,
    PartyIn,
    PartyOut,
    PartyPatch,
    TokenOut,
)
from api.service.keys import register_key
from api.service.parties import change_party, register_party
from api.storage.parties import Party
from notary.keys import KEY_REVOCATION, revocation_data
from notary.records import (
    Record,
)

router = APIRouter()

# --- parties ---------------------------------------------------------------------------------------


@router.post(
    "/v1/parties", status_code=201, response_model=PartyOut, responses=ERRORS, tags=["parties"]
)
def create_party(ctx: Ctx, who: CurrentParty, body: PartyIn) -> PartyOut:
    """(administrator) Register an organisation or a person with roles."""
    require_role(who, "admin")
    party = register_party(
        ctx.parties,
        ctx.projects,
        body.id,
        name=body.name,
        kind=body.kind,
        roles=body.roles,
        organisation=body.organisation,
        lifecycle_roles=[r.value for r in body.lifecycle_roles],
    )
    return _party_out(party)


@router.patch(
    "/v1/parties/{party_id}",
    response_model=PartyChangeOut,
    responses=LIFECYCLE_ERRORS,
    tags=["parties"],
)
def update_party(ctx: Ctx, who: CurrentParty, party_id: str, body: PartyPatch) -> PartyChangeOut:
    """(administrator) Change a person's organisation, lifecycle roles or roles: a
    ``party_change`` record of the log, naming the old and new values, written with the change.
    Refused (422 ``powers.move_conflict`` / ``powers.role_conflict``) when the person acts for a
    power in a project that is not archived and the change would let them act for another."""
    require_role(who, "admin")
    changed = change_party(
        ctx.notary,
        ctx.parties,
        ctx.projects,
        known(party_id, "party"),
        body.changes(),
        by=who.party_id,
    )
    accepted = changed.accepted
    return PartyChangeOut(
        party=_party_out(changed.party),
        record_id=accepted.record_id if accepted else None,
        receipt=accepted.receipt if accepted else None,
    )


@router.get("/v1/parties/me", response_model=PartyOut, responses=ERRORS, tags=["parties"])
def me(ctx: Ctx, who: CurrentParty) -> PartyOut:
    if who.party_id == "admin" and who.roles == frozenset({"admin"}):
        return PartyOut(
            id="admin",
            name="bootstrap administrator",
            kind="person",
            roles=["admin"],
            created_at="",
        )
    return _party_out(ctx.parties.party(who.party_id))


def _party_out(party: Party) -> PartyOut:
    return PartyOut(
        id=party.id,
        name=party.name,
        kind=party.kind,
        roles=list(party.roles),
        created_at=party.created_at,
        organisation=party.organisation,
        lifecycle_roles=list(party.lifecycle_roles),
    )


@router.post(
    "/v1/parties/{party_id}/tokens",
    status_code=201,
    response_model=TokenOut,
    responses=ERRORS,
    tags=["parties"],
)
def issue_token(ctx: Ctx, who: CurrentParty, party_id: str) -> TokenOut:
    """(administrator) A new bearer token for a party. Shown once."""
    require_role(who, "admin")
    issued = ctx.parties.issue_token(known(party_id, "party"))
    return TokenOut(token_id=issued.id, party_id=issued.party_id, token=issued.token)


@router.delete("/v1/tokens/{token_id}", status_code=204, responses=ERRORS, tags=["parties"])
def revoke_token(ctx: Ctx, who: CurrentParty, token_id: str) -> Response:
    """(administrator) Revoke a token at once."""
    require_role(who, "admin")
    ctx.parties.revoke_token(known(token_id, "token"))
    return Response(status_code=204)


@router.post(
    "/v1/parties/{party_id}/keys",
    status_code=201,
    response_model=KeyOut,
    responses=ERRORS,
    tags=["parties"],
)
async def add_key(ctx: Ctx, who: CurrentParty, party_id: str, body: KeyIn) -> KeyOut:
    """Register a signing key (the party itself, or an administrator), Ed25519, P-256 or SM2,
    optionally with the X.509 certificate a configured CA issued for it. The registration is a
    ``key_registration`` record of the log (holding the certificate), so signatures by the key are
    checkable offline."""
    if who.party_id != party_id:
        require_role(who, "admin")
    accepted, certified = await register_key(
        ctx,
        party=known(party_id, "party"),
        key_id=body.key_id,
        alg=body.alg,
        public_key_b64=body.public_key,
        certificate_pem=body.certificate,
        submitter=who.party_id,
    )
    return KeyOut(
        party=party_id,
        key_id=body.key_id,
        record_id=accepted.record_id,
        receipt=accepted.receipt,
        certificate_subject=certified.subject if certified else None,
        certificate_sha256=certified.sha256 if certified else None,
    )


@router.delete(
    "/v1/parties/{party_id}/keys/{key_id}",
    response_model=KeyOut,
    responses=ERRORS,
    tags=["parties"],
)
async def revoke_key(ctx: Ctx, who: CurrentParty, party_id: str, key_id: str) -> KeyOut:
    """Revoke a signing key (the party itself, or an administrator): a ``key_revocation`` record
    of the log; signatures by the key are refused from then on."""
    if who.party_id != party_id:
        require_role(who, "admin")
    party_id, key_id = known(party_id, "party"), known(key_id, "key")
    await run_in_threadpool(ctx.parties.active_key, party_id, key_id)
    record = Record(
        kind=KEY_REVOCATION,
        data=revocation_data(party_id, key_id, f"revoked by {who.party_id}"),
        submitter=who.party_id,
        received_at=ctx.notary.clock(),
    )
    accepted = await ctx.committer.submit(record, blob=False)
    await run_in_threadpool(ctx.parties.revoke_key, party_id, key_id)
    return KeyOut(
        party=party_id, key_id=key_id, record_id=accepted.record_id, receipt=accepted.receipt
    )
