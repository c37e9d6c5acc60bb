"""Organisations and projects under the lifecycle: register, assign powers, list, show, timeline.

Lifecycle records other than these go through ``POST /v1/records``; the gate judges them all the
same way (:mod:`api.service.lifecycle`). What these routes show anyone comes from public records
(a registration and power assignments are always public, the step from any record); the whole
derived state, amounts included, only to administrators and auditors, and the timeline lists a
private record only to those who may read it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool

from api.context import AppContext
from api.routes.deps import (
    Ctx,
    CurrentParty,
    MaybePrincipal,
    known,
    may_read,
    photo_evidence,
    require_role,
)
from api.routes.project_schemas import (
    LIFECYCLE_ERRORS,
    OrganisationIn,
    OrganisationOut,
    PowerIn,
    PowerOut,
    ProjectList,
    ProjectOut,
    ProjectRecordAccepted,
    ProjectSummary,
    Timeline,
    TimelineRecord,
    TimelineStep,
)
from api.routes.schemas import ERRORS
from api.service.lifecycle import REGISTRATION, file_lifecycle_record, next_kinds, people_of
from api.service.notary import Accepted
from api.storage.heads import HeadsStore
from api.storage.parties import ForbiddenError, Principal
from api.storage.projects import Organisation, StoredProject
from notary.lifecycle import STEP_ZH, ProjectState, Role, Step

router = APIRouter(tags=["projects"])

_PLACE = Query(min_length=1, max_length=64)


def _org_out(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id, name=org.name, kind=org.kind, region=org.region, created_at=org.created_at
    )


@router.post("/v1/organisations", status_code=201, response_model=OrganisationOut, responses=ERRORS)
def create_organisation(ctx: Ctx, who: CurrentParty, body: OrganisationIn) -> OrganisationOut:
    """(administrator, or a county administrator within their county) Register an organisation."""
    if not who.has("admin"):
        actor = people_of(ctx.parties, {who.party_id}).get(who.party_id)
        if actor is None or Role.COUNTY_ADMINISTRATOR not in actor.roles:
            raise ForbiddenError(
                f"party {who.party_id} is neither admin nor a county administrator"
            )
        county = ctx.projects.organisation(actor.organisation).region.split("/")[0]
        if body.region.county != county:
            raise ForbiddenError(
                f"a county administrator of {county} registers organisations there"
            )
    org = ctx.projects.create_organisation(body.id, body.name, body.kind, body.region.path())
    return _org_out(org)


@router.get("/v1/organisations/{org_id}", response_model=OrganisationOut, responses=ERRORS)
def get_organisation(ctx: Ctx, org_id: str) -> OrganisationOut:
    return _org_out(ctx.projects.organisation(known(org_id, "organisation")))


def _accepted(code: str, accepted: Accepted) -> ProjectRecordAccepted:
    return ProjectRecordAccepted(
        project=code,
        id=accepted.record_id,
        leaf_index=accepted.entry.index,
        leaf_hash=accepted.entry.leaf_hash.hex(),
        receipt=accepted.receipt,
    )


@router.post(
    "/v1/projects",
    status_code=201,
    response_model=ProjectRecordAccepted,
    responses=LIFECYCLE_ERRORS,
)
async def register_project(
    ctx: Ctx,
    who: CurrentParty,
    body: Annotated[
        dict[str, Any],
        Body(
            description="The project as notary.lifecycle.Project reads it: code, name, region "
            "{county, township, village}, category, budget_fen, funding_source, site, "
            "planned_start, planned_end, details (the owner is the caller's organisation)"
        ),
    ],
) -> ProjectRecordAccepted:
    """(a village committee head) Register a project: a public ``project_registration`` record.
    Refused (422 ``lifecycle_refused``) over the region's ceiling, without the category's
    required details, or when the code is taken."""
    require_role(who, "submitter", "admin")
    code = known(str(body.get("code", "")), "project")
    accepted = await file_lifecycle_record(ctx, who.party_id, code, REGISTRATION, body)
    return _accepted(code, accepted)


@router.post(
    "/v1/projects/{code}/powers",
    status_code=201,
    response_model=ProjectRecordAccepted,
    responses=LIFECYCLE_ERRORS,
)
async def assign_power(
    ctx: Ctx, who: CurrentParty, code: str, body: PowerIn
) -> ProjectRecordAccepted:
    """(a county or township administrator) Give one of the project's four powers to an
    organisation and its responsible person: a public ``power_assignment`` record. Refused when
    the power is held already or the holder holds another power of the project."""
    require_role(who, "submitter", "admin")
    code = known(code, "project")
    fields = body.model_dump(mode="json")
    accepted = await file_lifecycle_record(ctx, who.party_id, code, "power_assignment", fields)
    return _accepted(code, accepted)


def _summary(project: StoredProject) -> ProjectSummary:
    row = project.row
    return ProjectSummary(
        code=project.code,
        name=row.name,
        region={"county": row.county, "township": row.township, "village": row.village},
        owner=row.owner,
        step=row.step,
        step_zh=STEP_ZH[Step(row.step)],
    )


@router.get("/v1/projects", response_model=ProjectList, responses=ERRORS)
def list_projects(
    ctx: Ctx,
    *,
    county: Annotated[str | None, _PLACE] = None,
    township: Annotated[str | None, _PLACE] = None,
    village: Annotated[str | None, _PLACE] = None,
    step: Step | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> ProjectList:
    """Registered projects in code order, filtered by region and step; page with ``after``."""
    given = {"county": county, "township": township, "village": village, "step": step}
    filters = {k: str(v) for k, v in given.items() if v is not None}
    found = ctx.projects.list_projects(filters, limit=limit, after=after)
    return ProjectList(
        projects=[_summary(p) for p in found],
        next=found[-1].code if len(found) == limit else None,
    )


def _rights(who: Principal | None) -> bool:
    return who is not None and who.has("admin", "auditor")


@router.get("/v1/projects/{code}", response_model=ProjectOut, responses=ERRORS)
def get_project(ctx: Ctx, who: MaybePrincipal, code: str) -> ProjectOut:
    """A project: its registration, step, power holders, and what the caller may file next."""
    project = ctx.projects.project(known(code, "project"))
    state = ProjectState.model_validate_json(project.row.state)
    actor = people_of(ctx.parties, {who.party_id}).get(who.party_id) if who else None
    assert state.project is not None  # a stored project is registered
    return ProjectOut(
        **_summary(project).model_dump(),
        registration=state.project.model_dump(mode="json"),
        powers=[PowerOut(power=p, organisation=o, person=n) for p, o, n in project.row.powers],
        leaf_index=project.leaf_index,
        may_submit=list(next_kinds(state, actor)),
        state=state.model_dump(mode="json") if _rights(who) else None,
    )


@router.get("/v1/projects/{code}/timeline", response_model=Timeline, responses=ERRORS)
async def timeline(ctx: Ctx, who: MaybePrincipal, code: str) -> Timeline:
    """The project's records in log order, in runs by stage; private ones only to those who may
    read them (the submitter, auditors, administrators)."""
    return await run_in_threadpool(_timeline, ctx, who, known(code, "project"))


def _timeline(ctx: AppContext, who: Principal | None, code: str) -> Timeline:
    project = ctx.projects.project(code)
    entries = HeadsStore(ctx.notary.log.engine).project_entries(code, ctx.notary.log.size)
    shown = [s for s in entries if may_read(who, s.public, s.record.submitter)]
    evidence = photo_evidence(ctx, who, shown)
    steps: list[TimelineStep] = []
    for stored in shown:
        record = stored.record
        if not steps or steps[-1].stage != record.stage:
            steps.append(TimelineStep(stage=record.stage, records=[]))
        steps[-1].records.append(
            TimelineRecord(
                id=stored.record_id,
                leaf_index=stored.index,
                kind=record.kind,
                submitter=record.submitter,
                org=record.org,
                received_at=record.received_at,
                evidence=evidence.get(stored.index),
            )
        )
    return Timeline(code=code, step=project.row.step, steps=steps)
