# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""The state machine: :func:`decide` judges one proposed record, :func:`replay` folds a log.

``decide`` checks, in this order, and refuses at the first rule broken: the kind is a lifecycle
kind; the project is registered (or is being registered) and is the one the record is filed
under; the project's step accepts the kind and the record's ``stage`` is that step's; the actor
holds a role that may submit it; the data is what the kind needs and ``data.actor`` is the actor;
the actor's organisation is on the side of the project the role must act for (the owner, or the
holder of the power the table names); the kinds it requires were recorded earlier in the step, and
a once-per-step kind was not; then the kind's own rules (:mod:`notary.lifecycle.effects`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from notary.errors import RecordError
from notary.lifecycle.effects import EFFECTS, NOTHING, Context, invalid_data
from notary.lifecycle.kinds import KINDS, STEP_ZH, ActingFor, KindData, KindSpec, Step
from notary.lifecycle.parties import ROLE_ZH, Actor, Role, side_zh
from notary.lifecycle.refusal import LifecycleRefusal
from notary.lifecycle.rules import DEFAULT_RULES, LifecycleRules
from notary.lifecycle.state import ProjectState, Proposal, Transition
from notary.records import Record

__all__ = ["accepted_kinds", "decide", "replay"]

REGISTRATION = "project_registration"


def accepted_kinds(step: Step, roles: Iterable[Role]) -> tuple[str, ...]:
    """The kinds a holder of ``roles`` may submit in ``step``, in the order of the process."""
    held = set(roles)
    return tuple(k for k, s in KINDS.items() if step in s.steps and held & set(s.roles))


def _open_to(state: ProjectState, roles: Iterable[Role]) -> tuple[str, ...]:
    """What a holder of ``roles`` may submit to this project now, as far as step and role go."""
    kinds = accepted_kinds(state.step, roles)
    registered = state.project is not None
    return tuple(k for k in kinds if (k == REGISTRATION) != registered)


def decide(
    state: ProjectState,
    proposal: Proposal,
    actor: Actor,
    at: datetime,
    rules: LifecycleRules = DEFAULT_RULES,
) -> Transition:
    """Judge ``proposal`` by ``actor`` at the server's time ``at`` (the record's ``received_at``,
    timezone-aware) under ``rules``: the new state, or a :class:`LifecycleRefusal`."""
    if at.tzinfo is None:
        raise RecordError("the time of a decision must carry a UTC offset", field="received_at")
    spec = _spec_of(state, proposal, actor)
    _check_step(state, proposal, spec, actor)
    data = _check_actor(state, proposal, spec, actor)
    _check_order(state, spec, actor)
    effect = EFFECTS.get(spec.kind)  # most kinds only record themselves
    change = NOTHING if effect is None else effect(state, data, Context(proposal, actor, at, rules))
    kinds = state.in_step
    new = state.updated(
        {
            **change.updates,
            "records": state.records + 1,
            "last_at": at,
            "in_step": kinds if spec.kind in kinds else tuple(sorted((*kinds, spec.kind))),
        }
    )
    move = change.move or spec.moves_to
    if move is not None:
        new = new.entered(move)
    return Transition(new, state.step, change.events)


def replay(records: Iterable[Record], rules: LifecycleRules = DEFAULT_RULES) -> ProjectState:
    """The state of a project from its records, in log order, each judged as :func:`decide`
    judged it on the way in (the acting person is the submitter, their organisation and role
    ``data.actor``; the verified signers those ``data.signers`` names who signed). A record the
    rules refuse raises its refusal, naming the record's position in ``records``."""
    state = ProjectState()
    for i, record in enumerate(records):
        try:
            at = datetime.fromisoformat(record.received_at)
            state = decide(state, Proposal.of_logged(record), _actor_of(record), at, rules).state
        except LifecycleRefusal as e:
            raise LifecycleRefusal(
                e.rule,
                f"record {i} ({record.kind}): {e.message}",
                f"第 {i} 条记录（{record.kind}）：{e.message_zh}",
                e.allowed,
            ) from e
    return state


def _actor_of(record: Record) -> Actor:
    try:
        acting = ActingFor.model_validate(record.data.get("actor"))
    except ValidationError as e:
        raise invalid_data(record.kind, e, tuple(ActingFor.model_fields)) from e
    return Actor(
        person=record.submitter, organisation=acting.organisation, roles=frozenset({acting.role})
    )


def _spec_of(state: ProjectState, proposal: Proposal, actor: Actor) -> KindSpec:
    spec = KINDS.get(proposal.kind)
    if spec is None:
        raise LifecycleRefusal(
            "kind.unknown",
            f"{proposal.kind!r} is not a record kind of the project lifecycle",
            f"{proposal.kind} 不是项目流程中的记录类型",
            _open_to(state, actor.roles),
        )
    if state.project is None and spec.kind != REGISTRATION:
        raise LifecycleRefusal(
            "project.not_registered",
            f"project {proposal.project} is not registered: register it first",
            f"项目 {proposal.project} 尚未登记，请先登记",
            (REGISTRATION,),
        )
    if state.project is not None and spec.kind == REGISTRATION:
        raise LifecycleRefusal(
            "project.already_registered",
            f"project {state.project.code} is already registered",
            f"项目 {state.project.code} 已经登记",
            _open_to(state, actor.roles),
        )
    if state.project is not None and proposal.project != state.project.code:
        raise LifecycleRefusal(
            "project.mismatch",
            f"the record is filed under {proposal.project}, not {state.project.code}",
            f"记录所属项目 {proposal.project} 与 {state.project.code} 不一致",
            (state.project.code,),
        )
    return spec


def _check_step(state: ProjectState, proposal: Proposal, spec: KindSpec, actor: Actor) -> None:
    step = state.step
    if step not in spec.steps:
        raise LifecycleRefusal(
            "step.kind_not_allowed",
            f"the {step.value} step does not accept {spec.kind}; it is accepted in: "
            f"{', '.join(s.value for s in Step if s in spec.steps)}",
            f"{STEP_ZH[step]}阶段不接受{spec.zh}（{spec.kind}）",
            _open_to(state, actor.roles),
        )
    if proposal.stage != step.stage:
        raise LifecycleRefusal(
            "step.wrong_stage",
            f"the project is in the {step.value} step: file the record under stage {step.stage}, "
            f"not {proposal.stage}",
            f"项目处于{STEP_ZH[step]}阶段，记录的 stage 应为 {step.stage}",
            (step.stage,),
        )


def _check_actor(
    state: ProjectState, proposal: Proposal, spec: KindSpec, actor: Actor
) -> KindData | None:
    permitted = spec.permitted
    if actor.roles.isdisjoint(spec.roles):
        raise LifecycleRefusal(
            "role.not_permitted",
            f"{spec.kind} may be submitted only by: {', '.join(permitted)}",
            f"{spec.zh}只能由{'、'.join(ROLE_ZH[r] for r in permitted)}提交",
            permitted,
        )
    acting, data = _kind_data(spec, proposal.data)
    role = acting.role  # the role they say they act in
    if (
        acting.organisation != actor.organisation
        or role not in actor.roles
        or role not in spec.roles
    ):
        mine = tuple(r for r in permitted if r in actor.roles)
        raise LifecycleRefusal(
            "actor.mismatch",
            f"data.actor must name the submitter's organisation {actor.organisation} and a role "
            f"they hold that may submit {spec.kind}",
            f"data.actor 须为提交人所在单位 {actor.organisation} 及其可提交{spec.zh}的角色",
            mine,
        )
    side = spec.roles[role]
    holder = None if side is None else state.side_organisation(side)
    if side is not None and actor.organisation != holder:
        raise LifecycleRefusal(
            "owner.required" if side == "owner" else "powers.not_held",
            f"a {acting.role.value} submits {spec.kind} for the organisation holding "
            f"{side} in this project ({holder or 'nobody yet: record a power_assignment'}), "
            f"not {actor.organisation}",
            f"{spec.zh}须由{side_zh(side)}提交（{holder or '尚未分配'}），{actor.organisation} 不是",
            (holder,) if holder else ("power_assignment",),
        )
    return data


#: The kinds whose data is ``data.actor`` alone (other fields are kept as given): for these a valid
#: ``data.actor`` is all the kind's model would check, and their effects do not read the model.
_ACTOR_ONLY = frozenset(k for k, s in KINDS.items() if s.data is KindData)


def _kind_data(spec: KindSpec, data: Mapping[str, Any]) -> tuple[ActingFor, KindData | None]:
    """``data.actor``, and ``data`` as the kind's model (None for a kind of :data:`_ACTOR_ONLY`,
    whose actor is checked on its own: most records, a site photo, a report)."""
    if spec.kind in _ACTOR_ONLY:
        acting = _actor_alone(data.get("actor"))
        if acting is not None:
            return acting, None
    try:
        validated = spec.data.model_validate(data)
    except ValidationError as e:  # the model names what is wrong, where
        raise invalid_data(spec.kind, e, tuple(spec.data.model_fields)) from e
    return validated.actor, validated


def _actor_alone(value: object) -> ActingFor | None:
    """``value`` as a valid ``data.actor`` — an object of exactly its two fields, strings — or
    None (then the kind's model judges it)."""
    if type(value) is dict and len(value) == 2:
        organisation, role = value.get("organisation"), value.get("role")
        if type(organisation) is str and type(role) is str:
            try:
                return _acting_for(organisation, role)
            except ValidationError:
                return None
    return None


@lru_cache(maxsize=4096)
def _acting_for(organisation: str, role: str) -> ActingFor:
    """The ``data.actor`` of these values, validated (a server's records name few actors)."""
    return ActingFor.model_validate({"organisation": organisation, "role": role})


def _check_order(state: ProjectState, spec: KindSpec, actor: Actor) -> None:
    if spec.once and spec.kind in state.in_step:
        raise LifecycleRefusal(
            "order.already_recorded",
            f"{spec.kind} is recorded once in the {state.step.value} step and already was",
            f"{spec.zh}在{STEP_ZH[state.step]}阶段只能记录一次，已经记录",
            tuple(k for k in _open_to(state, actor.roles) if k != spec.kind),
        )
    if not spec.requires:
        return
    missing = tuple(k for k in spec.requires if k not in state.in_step)
    if missing:
        raise LifecycleRefusal(
            "order.missing_prerequisite",
            f"{spec.kind} needs {', '.join(missing)} first in the {state.step.value} step",
            f"{spec.zh}之前须先在{STEP_ZH[state.step]}阶段记录 {'、'.join(missing)}",
            missing,
        )
