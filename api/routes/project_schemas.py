"""The request and answer bodies of the organisation and project routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.routes.schemas import ERRORS, RecordAccepted
from api.service.photos import ShownEvidence
from notary.lifecycle import Power
from notary.records import Identifier

#: A place name in a region, as :class:`notary.lifecycle.Region` reads it.
Place = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^/\x00-\x1f\x7f]+$")]
#: A display name: any text but control characters (PostgreSQL refuses NUL in text).
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class LifecycleRefusalBody(BaseModel):
    """A record the project lifecycle refuses (422): the rule it breaks, why in English and
    Chinese, and what would be allowed instead (kinds, roles, steps, organisations or a limit)."""

    error: Literal["lifecycle_refused"]
    detail: str
    rule: str
    message: str
    message_zh: str
    allowed: list[str]


#: The error answers of routes that append lifecycle records.
LIFECYCLE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: {
        "model": LifecycleRefusalBody,
        "description": "lifecycle_refused, or invalid_record / invalid_request (error, detail)",
    },
}


class OrgRegion(BaseModel):
    """Where an organisation acts: a county, a township in it, or a village in that."""

    model_config = ConfigDict(extra="forbid")

    county: Place
    township: Place | None = None
    village: Place | None = None

    @model_validator(mode="after")
    def _village_in_township(self) -> OrgRegion:
        if self.village is not None and self.township is None:
            raise ValueError("a village is named within its township")
        return self

    def path(self) -> str:
        return "/".join(p for p in (self.county, self.township, self.village) if p is not None)


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: Name
    kind: str = Field(pattern=r"^[a-z][a-z_]{0,39}$", description="e.g. township_government")
    region: OrgRegion


class OrganisationOut(BaseModel):
    id: str
    name: str
    kind: str
    region: str = Field(description="county, county/township or county/township/village")
    created_at: str


class PowerIn(BaseModel):
    """A power of a project given to an organisation and a responsible person of it."""

    model_config = ConfigDict(extra="forbid")

    power: Power
    organisation: Identifier
    person: Identifier


class PowerOut(BaseModel):
    power: str
    organisation: str
    person: str


class ProjectSummary(BaseModel):
    code: str
    name: str
    region: dict[str, str]
    owner: str
    step: str
    step_zh: str


class ProjectList(BaseModel):
    projects: list[ProjectSummary]
    #: Pass as ``after`` for the next page; null on the last page.
    next: str | None


class ProjectOut(ProjectSummary):
    registration: dict[str, Any] = Field(description="The project as its registration declares it")
    powers: list[PowerOut]
    #: The leaf of the last record the step includes.
    leaf_index: int
    may_submit: list[str] = Field(
        description="The kinds the caller may file now, as far as step and roles go"
    )
    state: dict[str, Any] | None = Field(
        description="The whole derived state (amounts, objections…): administrators and auditors"
    )


class TimelineRecord(BaseModel):
    id: str
    leaf_index: int
    kind: str
    submitter: str
    org: str | None
    received_at: str
    #: A site photo's EXIF facts and flags (as ``GET /v1/records/{id}`` shows them).
    evidence: ShownEvidence | None = None


class TimelineStep(BaseModel):
    stage: str | None
    records: list[TimelineRecord]


class Timeline(BaseModel):
    code: str
    step: str
    #: Runs of records filed under one stage, in log order (a project sent back to review has a
    #: second review run). Private records appear only to those who may read them.
    steps: list[TimelineStep]


class ProjectRecordAccepted(RecordAccepted):
    project: str
