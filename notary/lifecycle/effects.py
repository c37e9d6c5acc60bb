# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""What each kind does to a project once the gate (step, role, side, order) has let it through,
and the rules particular to it: budget, notice period, objections, quorum, payments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from notary.lifecycle.kinds import (
    Amount,
    Award,
    Certificate,
    ChangeOrder,
    KindData,
    PowerAssignment,
    Ruling,
    Settlement,
    Step,
)
from notary.lifecycle.parties import Actor, Power, PowerHolder, check_powers
from notary.lifecycle.project import Project
from notary.lifecycle.refusal import LifecycleRefusal
from notary.lifecycle.rules import LifecycleRules
from notary.lifecycle.state import ProjectState, Proposal
from notary.records import first_problem

__all__ = ["EFFECTS", "NOTHING", "Change", "Context", "invalid_data"]


@dataclass(frozen=True)
class Context:
    """What an effect may read besides the state and the proposal's validated data."""

    proposal: Proposal
    actor: Actor
    at: datetime
    rules: LifecycleRules


@dataclass(frozen=True)
class Change:
    """An effect's outcome: fields of the state to update, events, and a step to move to."""

    updates: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    move: Step | None = None


#: The effect of most kinds: being recorded (and, per the table, moving the project on).
NOTHING = Change()


def cny(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def invalid_data(kind: str, error: ValidationError, fields: tuple[str, ...]) -> LifecycleRefusal:
    where, msg = first_problem(error, "data")
    return LifecycleRefusal(
        "data.invalid",
        f"{kind}: data.{where}: {msg}",
        f"{kind} 的数据字段 data.{where} 不正确：{msg}",
        fields,
    )


def _over_budget(state: ProjectState, what: str, amount: int) -> None:
    assert state.project is not None
    budget = state.project.budget_fen
    if amount > budget:
        raise LifecycleRefusal(
            "budget.over_budget",
            f"{what} of {cny(amount)} CNY exceeds the project's budget of {cny(budget)} CNY",
            f"{what} 金额 {cny(amount)} 元超过项目预算 {cny(budget)} 元",
            (str(budget),),
        )


def _register(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    given = {k: v for k, v in ctx.proposal.data.items() if k != "actor"}
    if "owner" in given:
        raise LifecycleRefusal(
            "data.invalid",
            "project_registration: data.owner: the owner is the registering organisation; omit it",
            "项目登记：data.owner 不应填写，项目业主即登记单位",
            tuple(f for f in Project.model_fields if f != "owner"),
        )
    try:
        project = Project.model_validate({**given, "owner": ctx.actor.organisation})
    except ValidationError as e:
        raise invalid_data("project_registration", e, tuple(Project.model_fields)) from e
    if project.code != ctx.proposal.project:
        raise LifecycleRefusal(
            "project.mismatch",
            f"the registration declares project {project.code} but is filed under "
            f"{ctx.proposal.project}",
            f"登记的项目编号 {project.code} 与记录所属项目 {ctx.proposal.project} 不一致",
            (str(ctx.proposal.project),),
        )
    _check_registration(project, ctx.rules)
    return Change({"project": project}, ("registered",))


def _check_registration(project: Project, rules: LifecycleRules) -> None:
    required = rules.required_fields.get(project.category)
    if required is None:
        raise LifecycleRefusal(
            "registration.unknown_category",
            f"category {project.category!r} is not one of the configured categories",
            f"项目类别 {project.category} 不在配置的类别之中",
            tuple(rules.required_fields),
        )
    missing = tuple(f for f in required if f not in project.details)
    if missing:
        raise LifecycleRefusal(
            "registration.missing_field",
            f"a {project.category} project must give details.{', details.'.join(missing)} "
            f"(rule required_fields[{project.category!r}])",
            f"{project.category} 类项目须填写 details.{'、details.'.join(missing)}",
            missing,
        )
    ceiling, setting = rules.ceiling_for(project.region)
    if project.budget_fen > ceiling:
        raise LifecycleRefusal(
            "budget.over_ceiling",
            f"the budget of {cny(project.budget_fen)} CNY exceeds the small-project ceiling of "
            f"{cny(ceiling)} CNY for {project.region.township}/{project.region.village} "
            f"(rule {setting}); register it as a regular project instead",
            f"预算 {cny(project.budget_fen)} 元超过 {project.region.township}"
            f"{project.region.village} 小额工程限额 {cny(ceiling)} 元（规则 {setting}），"
            "请按一般工程项目办理",
            (str(ceiling),),
        )


def _assign(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, PowerAssignment)
    held = state.holder(data.power)
    if held is not None:
        raise LifecycleRefusal(
            "powers.already_assigned",
            f"{data.power.value} is already held by {held.organisation} ({held.person}) in this "
            "project; a power once assigned stays with its holder",
            f"本项目的{data.power.value}已由 {held.organisation}（{held.person}）持有，不可改派",
            tuple(p.value for p in Power if state.holder(p) is None),
        )
    holder = PowerHolder(power=data.power, organisation=data.organisation, person=data.person)
    check_powers((*state.powers, holder))
    return Change({"powers": (*state.powers, holder)}, ("power_assigned",))


def _publish(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    return Change({"notice_published_at": ctx.at}, ("notice_published",))


def _object(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    return Change({"objections": (*state.objections, "pending")}, ("objection_raised",))


def _rule_on(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Ruling)
    pending = tuple(str(i) for i, s in enumerate(state.objections) if s == "pending")
    if str(data.objection) not in pending:
        raise LifecycleRefusal(
            "notice.no_such_objection",
            f"objection {data.objection} of this notice is not pending",
            f"本次公示没有待处理的第 {data.objection} 号异议",
            pending,
        )
    if data.upheld:
        return Change(events=("objection_upheld", "sent_back"), move=Step.REVIEW)
    statuses = list(state.objections)
    statuses[data.objection] = "dismissed"
    return Change({"objections": tuple(statuses)}, ("objection_dismissed",))


def _close_notice(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    if "pending" in state.objections:
        raise LifecycleRefusal(
            "notice.objection_pending",
            "the notice cannot close while an objection is pending",
            "尚有异议未处理，公示不能结束",
            ("objection_ruling",),
        )
    assert state.notice_published_at is not None  # notice_closed requires notice_published
    days = ctx.rules.notice_min_days
    earliest = state.notice_published_at + timedelta(days=days)
    if ctx.at < earliest:
        when = earliest.isoformat().replace("+00:00", "Z")
        raise LifecycleRefusal(
            "notice.too_short",
            f"the public notice must stay up at least {days} days (rule notice_min_days): "
            f"it may close from {when}",
            f"公示期不少于 {days} 天（规则 notice_min_days），最早可于 {when} 结束",
            (when,),
        )
    return Change(events=("notice_closed",))


def _award(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Award)
    _over_budget(state, "award", data.amount_fen)
    return Change({"awarded_to": data.organisation}, ("awarded",))


def _contract(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Amount)
    if ctx.actor.organisation != state.awarded_to:
        raise LifecycleRefusal(
            "contract.not_awardee",
            f"the contract must be signed by the awarded bidder {state.awarded_to}",
            f"合同须由中标单位 {state.awarded_to} 签订",
            (str(state.awarded_to),),
        )
    _over_budget(state, "contract", data.amount_fen)
    return Change({"contract_fen": data.amount_fen}, ("contract_signed",))


def _change(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, ChangeOrder)
    total = state.contract_total_fen + data.amount_delta_fen
    if total < 0:
        raise LifecycleRefusal(
            "data.invalid",
            "change_order: data.amount_delta_fen would make the contract amount negative",
            "设计变更：data.amount_delta_fen 使合同金额为负",
            (str(-state.contract_total_fen),),
        )
    _over_budget(state, "contract with change orders", total)
    return Change({"changes_fen": state.changes_fen + data.amount_delta_fen}, ("changed",))


def _certify(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Certificate)
    verified = ctx.proposal.signers
    for s in data.signers:
        if not any(
            a.person == s.person and a.organisation == s.organisation and s.role in a.roles
            for a in verified
        ):
            raise LifecycleRefusal(
                "quorum.unverified_signer",
                f"the certificate names {s.person} ({s.organisation}, {s.role.value}) as a signer "
                "but carries no verified signature of theirs",
                f"验收证书列出的签署人 {s.person} 没有经验证的签名",
                tuple(a.person for a in verified),
            )
    missing = tuple(
        seat.name
        for seat in ctx.rules.acceptance_quorum
        if not any(
            s.role == seat.role and s.organisation == state.side_organisation(seat.side)
            for s in data.signers
        )
    )
    if missing:
        raise LifecycleRefusal(
            "quorum.missing",
            f"the acceptance certificate lacks the signatures of: {', '.join(missing)} "
            "(rule acceptance_quorum)",
            f"验收证书缺少以下各方签字：{'、'.join(missing)}（规则 acceptance_quorum）",
            missing,
        )
    return Change({"accepted": True}, ("accepted",))


def _request_payment(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Amount)
    if not state.accepted:
        raise LifecycleRefusal(
            "payment.before_acceptance",
            "payment may be requested only after an acceptance certificate with its quorum",
            "须先取得各方签字的验收证书，方可申请付款",
            tuple(
                k
                for k in ("acceptance_request", "acceptance_certificate")
                if k not in state.in_step
            ),
        )
    _no_payment_pending(state)
    remaining = state.contract_total_fen - state.paid_fen
    if data.amount_fen > remaining:
        raise LifecycleRefusal(
            "payment.over_contract",
            f"{cny(data.amount_fen)} CNY exceeds the {cny(remaining)} CNY left of the contract",
            f"申请金额 {cny(data.amount_fen)} 元超过合同未付金额 {cny(remaining)} 元",
            (str(remaining),),
        )
    return Change({"requested_fen": data.amount_fen}, ("payment_requested",))


def _no_payment_pending(state: ProjectState) -> None:
    if state.requested_fen is not None or state.approved_fen is not None:
        waiting = "payment_approval" if state.requested_fen is not None else "payment"
        raise LifecycleRefusal(
            "payment.pending",
            f"a payment is still waiting for its {waiting}",
            "尚有付款未办结（待审核或待支付）",
            (waiting,),
        )


def _approve_payment(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    if state.requested_fen is None:
        raise LifecycleRefusal(
            "payment.no_request",
            "there is no payment request to approve",
            "没有待审核的付款申请",
            ("payment_request",),
        )
    return Change(
        {"requested_fen": None, "approved_fen": state.requested_fen}, ("payment_approved",)
    )


def _pay(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Amount)
    if state.approved_fen is None or data.amount_fen != state.approved_fen:
        approved = () if state.approved_fen is None else (str(state.approved_fen),)
        raise LifecycleRefusal(
            "payment.not_approved",
            "a payment must be the amount the finance reviewer approved"
            + ("" if approved else "; none is approved"),
            "支付金额须与财政审核通过的金额一致" + ("" if approved else "（尚无审核通过的付款）"),
            approved,
        )
    return Change({"approved_fen": None, "paid_fen": state.paid_fen + data.amount_fen}, ("paid",))


def _settle(state: ProjectState, data: KindData | None, ctx: Context) -> Change:
    assert isinstance(data, Settlement)
    _no_payment_pending(state)
    _over_budget(state, "final settlement", data.final_amount_fen)
    return Change({"final_amount_fen": data.final_amount_fen}, ("settled", "archived"))


#: What a record of a kind does to its project's state: given the state, the record's data as its
#: kind's model (None for a kind whose model is :class:`KindData` itself: only the actor, checked
#: on its own; such an effect reads the proposal's data, if anything) and the decision's context.
Effect = Callable[[ProjectState, KindData | None, Context], Change]

#: The kinds that do more than record themselves (and, per the table, move the project on).
EFFECTS: Mapping[str, Effect] = {
    "project_registration": _register,
    "power_assignment": _assign,
    "notice_published": _publish,
    "objection": _object,
    "objection_ruling": _rule_on,
    "notice_closed": _close_notice,
    "award": _award,
    "contract": _contract,
    "change_order": _change,
    "acceptance_certificate": _certify,
    "payment_request": _request_payment,
    "payment_approval": _approve_payment,
    "payment": _pay,
    "settlement": _settle,
}
