# ruff: noqa: RUF001 - Chinese texts use fullwidth punctuation on purpose
"""Reminders: what each person is awaited to record, computed from project states alone.

Pure: the projects' :class:`~notary.lifecycle.ProjectState` s, the people (lifecycle
:class:`~notary.lifecycle.Actor` s), the rules and the time ``at`` go in; the reminders come out,
each addressed to one person. The same inputs give the same reminders with the same ids, so a
periodic scan may enqueue each reminder once (``id`` is stable while the reminder stands).

Kinds (``Reminder.kind``), each naming the record kind it waits on (``waits_on``):

- ``contract_overdue`` — a project with a signed contract still in implementation after its
  planned end (the registration's ``planned_end``): the execution holder and the owner's village
  committee heads, waiting on ``completion``.
- ``acceptance_missing`` — a completed project (settlement) without its acceptance certificate:
  the execution holder while the ``acceptance_request`` is missing, then the owner's village
  committee heads for the ``acceptance_certificate``; due ``acceptance_days`` after the planned end.
- ``signature_awaited`` — an acceptance requested but not certified: every person who can take a
  seat of the rules' ``acceptance_quorum`` (the role, on the seat's side), same due date.
- ``notice_ending`` — a public notice whose minimum period ends within ``notice_warn_days`` (or has
  ended) with no objection pending: the approval holder, waiting on ``notice_closed``.
- ``payment_awaited`` — a payment requested (``payment_approval``) or approved (``payment``) and not
  yet done: every finance reviewer, due ``payment_days`` after the project's last record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from notary.lifecycle import Actor, LifecycleRules, ProjectState, Role, Step
from notary.lifecycle.parties import Power

__all__ = ["REMINDER_KINDS", "Reminder", "ReminderKind", "ReminderPolicy", "reminders"]

ReminderKind = Literal[
    "contract_overdue",
    "acceptance_missing",
    "signature_awaited",
    "notice_ending",
    "payment_awaited",
]
REMINDER_KINDS: tuple[ReminderKind, ...] = (
    "contract_overdue",
    "acceptance_missing",
    "signature_awaited",
    "notice_ending",
    "payment_awaited",
)

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ReminderPolicy(BaseModel):
    """How long after its trigger each reminder falls due, and how early a notice's end shows."""

    model_config = _FROZEN

    acceptance_days: int = Field(default=30, ge=0, le=3650)
    notice_warn_days: int = Field(default=2, ge=0, le=365)
    payment_days: int = Field(default=15, ge=0, le=3650)


class Reminder(BaseModel):
    """One thing one person is awaited to do in one project."""

    model_config = _FROZEN

    #: Stable while the reminder stands: SHA-256 of kind, project, person, waits_on and due, hex,
    #: first 32 digits.
    id: str
    kind: ReminderKind
    project: str
    person: str
    organisation: str
    #: The record kind the reminder waits on (filing it ends the reminder).
    waits_on: str
    due: date
    overdue: bool
    text_en: str
    text_zh: str


_TEXT: dict[ReminderKind, tuple[str, str]] = {
    "contract_overdue": (
        "{project}: the contract's planned end {due} has passed without completion; "
        "file the completion record",
        "{project}：合同约定的完工日期 {due} 已过，尚未竣工，请提交竣工记录",
    ),
    "acceptance_missing": (
        "{project}: the acceptance documents are missing ({waits_on}), due {due}",
        "{project}：验收材料（{waits_on}）尚未提交，期限 {due}",
    ),
    "signature_awaited": (
        "{project}: your signature on the acceptance certificate is awaited, due {due}",
        "{project}：验收证书等待您的签字，期限 {due}",
    ),
    "notice_ending": (
        "{project}: the public notice period ends {due}; close the notice when it has",
        "{project}：公示期于 {due} 届满，届满后请结束公示",
    ),
    "payment_awaited": (
        "{project}: a payment awaits {waits_on}, due {due}",
        "{project}：有一笔付款等待办理（{waits_on}），期限 {due}",
    ),
}


def reminders(
    states: Iterable[ProjectState],
    people: Iterable[Actor],
    at: datetime,
    rules: LifecycleRules,
    policy: ReminderPolicy | None = None,
) -> list[Reminder]:
    """Every reminder standing at ``at`` for the registered projects of ``states``, addressed to
    the persons among ``people``; sorted by due date, project, kind and person."""
    policy = policy or ReminderPolicy()
    by_org_role: dict[tuple[str, Role], list[Actor]] = {}
    for a in people:
        for role in a.roles:
            by_org_role.setdefault((a.organisation, role), []).append(a)
    finance = [a for (_, role), held in by_org_role.items() if role == Role.FINANCE_REVIEWER
               for a in held]  # fmt: skip
    today = at.date()
    found: list[Reminder] = []
    for state in states:
        if state.project is None:
            continue
        for kind, waits_on, due, actors in _standing(state, rules, policy, by_org_role, finance):
            if not _shows(kind, due, today, policy):
                continue
            found.extend(
                _make(kind, state.project.code, waits_on, due, today=today, actor=a) for a in actors
            )
    unique = {r.id: r for r in found}
    return sorted(unique.values(), key=lambda r: (r.due, r.project, r.kind, r.person))


def _shows(kind: ReminderKind, due: date, today: date, policy: ReminderPolicy) -> bool:
    """Whether a standing reminder shows yet: an overdue contract only once past its end, a
    notice's end from ``notice_warn_days`` before it; the others as soon as they stand."""
    if kind == "contract_overdue":
        return today > due
    if kind == "notice_ending":
        return today >= due - timedelta(days=policy.notice_warn_days)
    return True


_Standing = tuple[ReminderKind, str, date, list[Actor]]


def _standing(
    state: ProjectState,
    rules: LifecycleRules,
    policy: ReminderPolicy,
    people: dict[tuple[str, Role], list[Actor]],
    finance: list[Actor],
) -> Iterator[_Standing]:
    assert state.project is not None
    planned_end = state.project.planned_end

    def on(side: Power | Literal["owner"], role: Role) -> list[Actor]:
        org = state.side_organisation(side)
        return people.get((org, role), []) if org else []

    contractor = on(Power.EXECUTION, Role.CONTRACTOR)
    heads = on("owner", Role.VILLAGE_COMMITTEE_HEAD)
    if state.step == Step.IMPLEMENTATION and "contract" in state.in_step:
        yield "contract_overdue", "completion", planned_end, contractor + heads
    if state.step == Step.SETTLEMENT and not state.accepted:
        due = planned_end + timedelta(days=policy.acceptance_days)
        if "acceptance_request" not in state.in_step:
            yield "acceptance_missing", "acceptance_request", due, contractor
        else:
            yield "acceptance_missing", "acceptance_certificate", due, heads
            seats = [a for seat in rules.acceptance_quorum for a in on(seat.side, seat.role)]
            yield "signature_awaited", "acceptance_certificate", due, seats
    published = state.notice_published_at
    if state.step == Step.NOTICE and published is not None and "pending" not in state.objections:
        due = (published + timedelta(days=rules.notice_min_days)).date()
        approvers = on(Power.APPROVAL, Role.TOWNSHIP_ADMINISTRATOR)
        yield "notice_ending", "notice_closed", due, approvers
    pending = state.requested_fen is not None or state.approved_fen is not None
    if state.step == Step.SETTLEMENT and state.last_at is not None and pending:
        waits = "payment_approval" if state.requested_fen is not None else "payment"
        due = state.last_at.date() + timedelta(days=policy.payment_days)
        yield "payment_awaited", waits, due, finance


def _make(
    kind: ReminderKind, project: str, waits_on: str, due: date, *, today: date, actor: Actor
) -> Reminder:
    key = f"{kind}|{project}|{actor.person}|{waits_on}|{due.isoformat()}"
    en, zh = _TEXT[kind]
    fields = {"project": project, "due": due.isoformat(), "waits_on": waits_on}
    return Reminder(
        id=hashlib.sha256(key.encode()).hexdigest()[:32],
        kind=kind,
        project=project,
        person=actor.person,
        organisation=actor.organisation,
        waits_on=waits_on,
        due=due,
        overdue=today > due,
        text_en=en.format(**fields),
        text_zh=zh.format(**fields),
    )
