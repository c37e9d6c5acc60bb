"""Field devices: pairing codes (``POST /v1/pairing-codes``), pairing (``POST /v1/devices``), and
what a person may capture (``GET /v1/capture/projects``). See docs/field-capture.md."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.context import AppContext
from api.http import client_key
from api.routes.deps import Ctx, CurrentParty, known
from api.routes.schemas import ERRORS
from api.service.devices import issue_code, pair_device
from api.service.lifecycle import next_kinds, people_of
from api.storage.devices import PairingRefused, organisation_projects
from api.storage.parties import Principal, RateLimitedError
from notary.lifecycle import STEP_ZH, ProjectState, Step
from notary.sigalgs import Alg
from notary.signing import Receipt

router = APIRouter(tags=["devices"])

#: Projects listed for capture at most (a person works on a few at a time).
MAX_CAPTURE_PROJECTS = 50


class PairingCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")


class PairingCodeOut(BaseModel):
    party: str
    #: Eleven digits, shown once; ``display`` groups them 3-4-4 like a mobile number.
    code: str
    display: str
    expires_at: str


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=40)
    alg: Alg = Field(description="ed25519, or p256 where the browser has no Ed25519")
    public_key: str = Field(max_length=128)
    label: str = Field(default="", max_length=100)


class DeviceOut(BaseModel):
    party: str
    key_id: str
    alg: str
    #: The key_registration record of the device key, and its receipt.
    record_id: str
    receipt: Receipt


class CaptureProject(BaseModel):
    code: str
    name: str
    step: str
    step_zh: str
    may_submit: list[str]


class CaptureMe(BaseModel):
    id: str
    name: str
    organisation: str | None
    lifecycle_roles: list[str]


class CaptureProjects(BaseModel):
    me: CaptureMe
    projects: list[CaptureProject]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.post("/v1/pairing-codes", status_code=201, response_model=PairingCodeOut, responses=ERRORS)
def create_pairing_code(ctx: Ctx, who: CurrentParty, body: PairingCodeIn) -> PairingCodeOut:
    """(administrator; a township or county administrator for people of their county) A one-time
    code that pairs one device for a person. Shown once; it expires after
    ``SUNLIGHT_PAIRING_CODE_TTL_S`` and closes after 5 wrong tries."""
    issued = issue_code(ctx, who, known(body.party, "party"))
    c = issued.code
    return PairingCodeOut(
        party=issued.party_id,
        code=c,
        display=f"{c[:3]} {c[3:7]} {c[7:]}",
        expires_at=_iso(issued.expires_at),
    )


@router.post("/v1/devices", status_code=201, response_model=DeviceOut, responses=ERRORS)
async def create_device(ctx: Ctx, request: Request, body: DeviceIn) -> DeviceOut:
    """Pair a device: its public key is registered for the code's person (a key_registration
    record), and the code is used up. No bearer token: the code is the credential. Wrong codes
    count against the caller's address as bad tokens do."""
    client = client_key(request.scope)
    if ctx.auth_limiter.blocked(client):
        raise RateLimitedError("too many wrong pairing codes from this address; wait a minute")
    try:
        paired = await pair_device(
            ctx,
            code=body.code,
            alg=body.alg,
            public_key_b64=body.public_key,
            label=body.label,
        )
    except PairingRefused:
        ctx.auth_limiter.allow(client)
        raise
    return DeviceOut(
        party=paired.party_id,
        key_id=paired.key_id,
        alg=body.alg,
        record_id=paired.accepted.record_id,
        receipt=paired.accepted.receipt,
    )


@router.get("/v1/capture/projects", response_model=CaptureProjects, responses=ERRORS)
async def capture_projects(ctx: Ctx, who: CurrentParty) -> CaptureProjects:
    """The caller and the projects their organisation owns or holds a power of, with the kinds
    they may file in each now: what the capture page keeps for offline use."""
    return await run_in_threadpool(_capture_projects, ctx, who)


def _capture_projects(ctx: AppContext, who: Principal) -> CaptureProjects:
    party = ctx.parties.parties({who.party_id}).get(who.party_id)
    if party is None:  # the bootstrap administrator is no registered party
        return CaptureProjects(
            me=CaptureMe(id=who.party_id, name=who.party_id, organisation=None, lifecycle_roles=[]),
            projects=[],
        )
    me = CaptureMe(
        id=party.id,
        name=party.name,
        organisation=party.organisation,
        lifecycle_roles=list(party.lifecycle_roles),
    )
    actor = people_of(ctx.parties, {who.party_id}).get(who.party_id)
    if actor is None:
        return CaptureProjects(me=me, projects=[])
    found = []
    engine = ctx.notary.log.engine
    for code in organisation_projects(engine, actor.organisation, MAX_CAPTURE_PROJECTS):
        project = ctx.projects.project(code)
        state = ProjectState.model_validate_json(project.row.state)
        found.append(
            CaptureProject(
                code=code,
                name=project.row.name,
                step=project.row.step,
                step_zh=STEP_ZH[Step(project.row.step)],
                may_submit=list(next_kinds(state, actor)),
            )
        )
    return CaptureProjects(me=me, projects=found)
