# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Who acts: roles, the four separated powers, actors and the holders of a project's powers."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from notary.lifecycle.refusal import LifecycleRefusal
from notary.records import Identifier

__all__ = [
    "ROLE_ZH",
    "Actor",
    "Power",
    "PowerHolder",
    "Role",
    "Side",
    "check_powers",
    "side_zh",
]

FROZEN = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    """The multi-level roles a person may hold (granted by the server, one organisation each)."""

    COUNTY_ADMINISTRATOR = "county_administrator"
    TOWNSHIP_ADMINISTRATOR = "township_administrator"
    VILLAGE_COMMITTEE_HEAD = "village_committee_head"
    CONTRACTOR = "contractor"
    SUPERVISOR = "supervisor"
    FINANCE_REVIEWER = "finance_reviewer"
    AUDITOR = "auditor"


ROLE_ZH = {
    Role.COUNTY_ADMINISTRATOR: "县级管理员",
    Role.TOWNSHIP_ADMINISTRATOR: "乡镇管理员",
    Role.VILLAGE_COMMITTEE_HEAD: "村委会负责人",
    Role.CONTRACTOR: "施工单位",
    Role.SUPERVISOR: "第三方监理",
    Role.FINANCE_REVIEWER: "财政审核员",
    Role.AUDITOR: "审计人员",
}


class Power(StrEnum):
    """The four separated powers, each held in a project by one organisation and one person."""

    APPROVAL = "approval"
    EXECUTION = "execution"
    SUPERVISION = "supervision"
    EVALUATION = "evaluation"


POWER_ZH = {
    Power.APPROVAL: "审批权",
    Power.EXECUTION: "执行权",
    Power.SUPERVISION: "监督权",
    Power.EVALUATION: "评价权",
}

#: The organisation an actor must act for: the holder of a power in the project, or its owner
#: (the village committee that registered it).
Side = Power | Literal["owner"]


def side_zh(side: Side) -> str:
    return "项目业主（村委会）" if side == "owner" else f"持有{POWER_ZH[side]}的单位"


class Actor(BaseModel):
    """A person acting for one organisation, with the roles the server granted them there."""

    model_config = FROZEN

    person: Identifier
    organisation: Identifier
    roles: frozenset[Role] = Field(min_length=1)


class PowerHolder(BaseModel):
    """One of a project's powers, held by an organisation and a responsible person of it."""

    model_config = FROZEN

    power: Power
    organisation: Identifier
    person: Identifier


def check_powers(holders: Iterable[PowerHolder]) -> None:
    """Refuse (rule ``powers.conflict``) if any person or organisation holds two powers of the
    project; ``allowed`` is then the one power it holds already."""
    seen: dict[str, Power] = {}
    for h in holders:
        for who, key in (("organisation", h.organisation), ("person", h.person)):
            held = seen.get(f"{who}:{key}")
            if held is not None:
                raise LifecycleRefusal(
                    "powers.conflict",
                    f"{who} {key} already holds {held.value} in this project and may not also "
                    f"hold {h.power.value}: the four powers are held by different parties",
                    f"{key} 已在本项目持有{POWER_ZH[held]}，不得再持有{POWER_ZH[h.power]}：四权分离",
                    (held.value,),
                )
            seen[f"{who}:{key}"] = h.power
