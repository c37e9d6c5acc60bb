"""The lifecycle's configuration as data: budget ceilings, required fields, notice period, quorum.

:class:`LifecycleRules` defaults to the issue's values; :func:`load_rules` reads a JSON or TOML
document already parsed into a dict (pure: the caller reads the file) and names the bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from notary.lifecycle.parties import Power, Role, Side
from notary.lifecycle.project import Region
from notary.lifecycle.refusal import RulesError
from notary.records import first_problem

__all__ = ["DEFAULT_QUORUM", "DEFAULT_RULES", "LifecycleRules", "QuorumSeat", "load_rules"]

#: Amounts are integer fen (0.01 CNY), exact in every JSON implementation.
Fen = Annotated[StrictInt, Field(ge=0, le=2**53 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=64)]
#: A ceiling's region: ``"<township>"`` or ``"<township>/<village>"`` within the county.
RegionKey = Annotated[str, Field(min_length=1, max_length=129, pattern=r"^[^/]+(/[^/]+)?$")]


class QuorumSeat(BaseModel):
    """A signature the acceptance certificate needs: a person holding ``role`` and acting for the
    organisation on ``side`` of the project (a power's holder, or the owner)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    role: Role
    side: Side


DEFAULT_QUORUM = (
    QuorumSeat(name="contractor", role=Role.CONTRACTOR, side=Power.EXECUTION),
    QuorumSeat(name="supervisor", role=Role.SUPERVISOR, side=Power.SUPERVISION),
    QuorumSeat(name="village_committee", role=Role.VILLAGE_COMMITTEE_HEAD, side="owner"),
    QuorumSeat(name="township", role=Role.TOWNSHIP_ADMINISTRATOR, side=Power.APPROVAL),
)


class LifecycleRules(BaseModel):
    """The configurable rules, version 1.

    - ``small_project_ceiling_fen``: the county's ceiling of a small project's budget (default
      400 000 CNY); ``ceiling_overrides_fen`` lowers or raises it for a township
      (``"清河镇"``) or a village (``"清河镇/李庄村"``), the most specific key winning.
    - ``required_fields``: the project categories, each with the ``details`` fields its
      registration must give.
    - ``notice_min_days``: the public notice stays up at least this many whole days.
    - ``acceptance_quorum``: the signatures an acceptance certificate needs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    small_project_ceiling_fen: Fen = 40_000_000
    ceiling_overrides_fen: dict[RegionKey, Fen] = Field(default_factory=dict, max_length=10_000)
    required_fields: dict[Name, tuple[Name, ...]] = Field(
        default_factory=lambda: {
            "road": ("length_m", "width_m"),
            "water": ("capacity_m3",),
            "building": ("floor_area_m2",),
            "farmland": ("area_mu",),
            "other": (),
        },
        min_length=1,
        max_length=1000,
    )
    notice_min_days: StrictInt = Field(default=5, ge=0, le=365)
    acceptance_quorum: tuple[QuorumSeat, ...] = Field(
        default=DEFAULT_QUORUM, min_length=1, max_length=16
    )

    @model_validator(mode="after")
    def _seat_names_unique(self) -> LifecycleRules:
        names = [s.name for s in self.acceptance_quorum]
        if len(set(names)) != len(names):
            raise ValueError("acceptance_quorum: seat names must be unique")
        return self

    def ceiling_for(self, region: Region) -> tuple[int, str]:
        """The small-project ceiling of ``region`` in fen, and the setting it comes from."""
        for key in (f"{region.township}/{region.village}", region.township):
            if key in self.ceiling_overrides_fen:
                return self.ceiling_overrides_fen[key], f"ceiling_overrides_fen[{key!r}]"
        return self.small_project_ceiling_fen, "small_project_ceiling_fen"


DEFAULT_RULES = LifecycleRules()


def load_rules(document: Mapping[str, Any]) -> LifecycleRules:
    """Rules from a parsed JSON/TOML document; absent settings keep their defaults.

    Raises :class:`~notary.lifecycle.refusal.RulesError` naming the first bad field.
    """
    if not isinstance(document, Mapping):
        raise RulesError("a rules document must be an object")
    try:
        return LifecycleRules.model_validate(dict(document))
    except ValidationError as e:
        where, msg = first_problem(e, "rules")
        raise RulesError(msg, field=where) from e
