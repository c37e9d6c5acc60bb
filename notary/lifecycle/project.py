"""A registered project: what the ``project_registration`` record's data declares."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from notary.evidence.geo import Site
from notary.records import Identifier, ProjectCode

__all__ = ["Project", "Region"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
Place = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^/]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Region(BaseModel):
    """Where a project is: county, township (乡镇) and village (村)."""

    model_config = _FROZEN

    county: Place
    township: Place
    village: Place


class Project(BaseModel):
    """A registered project. ``budget_fen`` is in integer fen; ``owner`` is the organisation that
    registered it (the village committee); ``details`` carries the fields its category requires."""

    model_config = _FROZEN

    code: ProjectCode
    name: Text
    region: Region
    category: Annotated[str, Field(min_length=1, max_length=64)]
    budget_fen: StrictInt = Field(gt=0, le=2**53 - 1)
    funding_source: Text
    site: Site
    planned_start: date
    planned_end: date
    details: dict[str, Any] = Field(default_factory=dict, max_length=64)
    owner: Identifier

    @model_validator(mode="after")
    def _dates_in_order(self) -> Project:
        if self.planned_end < self.planned_start:
            raise ValueError("planned_end is before planned_start")
        return self
