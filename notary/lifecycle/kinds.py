"""The five steps and the one table of record kinds: where each is accepted, who may submit it
(and for which side of the project), what data it needs and which records it moves on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from notary.lifecycle.parties import Power, Role, Side
from notary.records import Identifier

__all__ = [
    "KINDS",
    "STEP_ZH",
    "ActingFor",
    "KindData",
    "KindSpec",
    "Signer",
    "Step",
]

Fen = Annotated[StrictInt, Field(ge=0, le=2**53 - 1)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Step(StrEnum):
    """A project's step: the five of the process, then archived (归档)."""

    APPLICATION = "application"
    REVIEW = "review"
    NOTICE = "notice"
    IMPLEMENTATION = "implementation"
    SETTLEMENT = "settlement"
    ARCHIVED = "archived"

    @property
    def stage(self) -> str:
        """The ``stage`` a record filed in this step carries (an archived project's: settlement)."""
        return _STAGES[self]


#: Each step's stage, looked up (an enum's ``.value`` is a Python-level descriptor: this is read
#: for every record the lifecycle judges).
_STAGES = {s: Step.SETTLEMENT.value if s is Step.ARCHIVED else s.value for s in Step}

STEP_ZH = {
    Step.APPLICATION: "申报",
    Step.REVIEW: "评审",
    Step.NOTICE: "公示",
    Step.IMPLEMENTATION: "实施",
    Step.SETTLEMENT: "结算",
    Step.ARCHIVED: "归档",
}


class ActingFor(BaseModel):
    """``data.actor`` of every lifecycle record: the organisation the submitter acts for and the
    role they act in (the person is the record's ``submitter``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: Identifier
    role: Role


class KindData(BaseModel):
    """The data every lifecycle record needs; each kind's class adds its own fields. Other fields
    are kept (a record may say more than the lifecycle reads)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    actor: ActingFor


class Opinion(KindData):
    opinion: Text


class Reason(KindData):
    reason: Text


class PowerAssignment(KindData):
    power: Power
    organisation: Identifier
    person: Identifier


class Amount(KindData):
    amount_fen: Fen


class Award(Amount):
    organisation: Identifier


class Progress(KindData):
    percent: StrictInt = Field(ge=0, le=100)


class ChangeOrder(Reason):
    amount_delta_fen: StrictInt = Field(ge=-(2**53 - 1), le=2**53 - 1)


class Ruling(Reason):
    objection: StrictInt = Field(ge=0, description="the objection's number in this notice, from 0")
    upheld: StrictBool


class Signer(BaseModel):
    """A signer of an acceptance certificate, as the certificate names them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person: Identifier
    organisation: Identifier
    role: Role


class Certificate(KindData):
    signers: tuple[Signer, ...] = Field(min_length=1, max_length=32)


class Settlement(KindData):
    final_amount_fen: Fen


@dataclass(frozen=True)
class KindSpec:
    """One record kind. ``roles`` maps each role that may submit it to the side of the project the
    submitter's organisation must be on (None: any organisation); ``requires`` are kinds that must
    have been recorded earlier in the same step; ``once`` kinds are recorded once per step."""

    kind: str
    zh: str
    steps: frozenset[Step]
    roles: Mapping[Role, Side | None]
    data: type[KindData] = KindData
    requires: tuple[str, ...] = ()
    once: bool = False
    moves_to: Step | None = None

    @cached_property
    def permitted(self) -> tuple[Role, ...]:
        """The roles that may submit the kind, in the order of :class:`Role`."""
        return tuple(r for r in Role if r in self.roles)


_S = Step
_R = Role
_P = Power
_BEFORE_ARCHIVE = frozenset(Step) - {Step.ARCHIVED}


def _in(*steps: Step) -> frozenset[Step]:
    return frozenset(steps)


_KIND_LIST = (
    KindSpec(
        "project_registration",
        "项目登记",
        _in(_S.APPLICATION),
        roles={_R.VILLAGE_COMMITTEE_HEAD: None},
    ),
    KindSpec(
        "power_assignment",
        "四权分配",
        _BEFORE_ARCHIVE,
        roles={_R.COUNTY_ADMINISTRATOR: None, _R.TOWNSHIP_ADMINISTRATOR: None},
        data=PowerAssignment,
    ),
    KindSpec(
        "application",
        "项目申报",
        _in(_S.APPLICATION),
        roles={_R.VILLAGE_COMMITTEE_HEAD: "owner"},
        moves_to=_S.REVIEW,
    ),
    KindSpec(
        "review_opinion",
        "评审意见",
        _in(_S.REVIEW),
        roles={
            _R.COUNTY_ADMINISTRATOR: None,
            _R.TOWNSHIP_ADMINISTRATOR: None,
            _R.FINANCE_REVIEWER: None,
        },
        data=Opinion,
    ),
    KindSpec(
        "approval",
        "审批意见",
        _in(_S.REVIEW),
        roles={_R.TOWNSHIP_ADMINISTRATOR: _P.APPROVAL},
        data=Opinion,
        requires=("review_opinion",),
        moves_to=_S.NOTICE,
    ),
    KindSpec(
        "rejection",
        "退回申报",
        _in(_S.REVIEW),
        roles={_R.TOWNSHIP_ADMINISTRATOR: _P.APPROVAL},
        data=Reason,
        moves_to=_S.APPLICATION,
    ),
    KindSpec(
        "notice_published",
        "发布公示",
        _in(_S.NOTICE),
        roles={_R.TOWNSHIP_ADMINISTRATOR: _P.APPROVAL},
        once=True,
    ),
    KindSpec(
        "objection",
        "公示异议",
        _in(_S.NOTICE),
        roles=dict.fromkeys(Role),
        data=Reason,
        requires=("notice_published",),
    ),
    KindSpec(
        "objection_ruling",
        "异议处理",
        _in(_S.NOTICE),
        roles={_R.COUNTY_ADMINISTRATOR: None},
        data=Ruling,
        requires=("objection",),
    ),
    KindSpec(
        "notice_closed",
        "公示期满",
        _in(_S.NOTICE),
        roles={_R.TOWNSHIP_ADMINISTRATOR: _P.APPROVAL},
        requires=("notice_published",),
        moves_to=_S.IMPLEMENTATION,
    ),
    KindSpec(
        "tender_notice",
        "招标公告",
        _in(_S.IMPLEMENTATION),
        roles={_R.VILLAGE_COMMITTEE_HEAD: "owner"},
    ),
    KindSpec(
        "bid",
        "投标",
        _in(_S.IMPLEMENTATION),
        roles={_R.CONTRACTOR: None},
        data=Amount,
        requires=("tender_notice",),
    ),
    KindSpec(
        "award",
        "中标通知",
        _in(_S.IMPLEMENTATION),
        roles={_R.VILLAGE_COMMITTEE_HEAD: "owner"},
        data=Award,
        requires=("bid",),
        once=True,
    ),
    KindSpec(
        "contract",
        "施工合同",
        _in(_S.IMPLEMENTATION),
        roles={_R.CONTRACTOR: _P.EXECUTION},
        data=Amount,
        requires=("award",),
        once=True,
    ),
    KindSpec(
        "progress_report",
        "进度报告",
        _in(_S.IMPLEMENTATION),
        roles={_R.CONTRACTOR: _P.EXECUTION},
        data=Progress,
        requires=("contract",),
    ),
    KindSpec(
        "site_photo",
        "现场照片",
        _in(_S.IMPLEMENTATION),
        roles={_R.CONTRACTOR: _P.EXECUTION, _R.SUPERVISOR: _P.SUPERVISION},
        requires=("contract",),
    ),
    KindSpec(
        "supervision_report",
        "监理报告",
        _in(_S.IMPLEMENTATION),
        roles={_R.SUPERVISOR: _P.SUPERVISION},
        requires=("contract",),
    ),
    KindSpec(
        "change_order",
        "设计变更",
        _in(_S.IMPLEMENTATION),
        roles={_R.CONTRACTOR: _P.EXECUTION},
        data=ChangeOrder,
        requires=("contract",),
    ),
    KindSpec(
        "completion",
        "竣工",
        _in(_S.IMPLEMENTATION),
        roles={_R.CONTRACTOR: _P.EXECUTION},
        requires=("contract",),
        moves_to=_S.SETTLEMENT,
    ),
    KindSpec(
        "acceptance_request",
        "验收申请",
        _in(_S.SETTLEMENT),
        roles={_R.CONTRACTOR: _P.EXECUTION},
    ),
    KindSpec(
        "acceptance_certificate",
        "验收证书",
        _in(_S.SETTLEMENT),
        roles={_R.VILLAGE_COMMITTEE_HEAD: "owner"},
        data=Certificate,
        requires=("acceptance_request",),
        once=True,
    ),
    KindSpec(
        "payment_request",
        "付款申请",
        _in(_S.SETTLEMENT),
        roles={_R.CONTRACTOR: _P.EXECUTION},
        data=Amount,
    ),
    KindSpec("payment_approval", "付款审核", _in(_S.SETTLEMENT), roles={_R.FINANCE_REVIEWER: None}),
    KindSpec(
        "payment",
        "支付",
        _in(_S.SETTLEMENT),
        roles={_R.FINANCE_REVIEWER: None},
        data=Amount,
    ),
    KindSpec(
        "audit_opinion",
        "审计意见",
        frozenset(Step),
        roles={_R.AUDITOR: _P.EVALUATION},
        data=Opinion,
    ),
    KindSpec(
        "settlement",
        "竣工结算",
        _in(_S.SETTLEMENT),
        roles={_R.TOWNSHIP_ADMINISTRATOR: _P.APPROVAL},
        data=Settlement,
        requires=("acceptance_certificate", "audit_opinion"),
        moves_to=_S.ARCHIVED,
    ),
)

#: Every lifecycle record kind, by name, in the order of the process.
KINDS: Mapping[str, KindSpec] = {s.kind: s for s in _KIND_LIST}
