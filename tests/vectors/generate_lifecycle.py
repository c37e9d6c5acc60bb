"""Writes the lifecycle vectors in ``lifecycle/`` (run: ``python -m tests.vectors.generate_lifecycle``).

- ``lifecycle/happy-path.json``: a project's records from registration to archived, each with the
  step it leaves the project in and the events it raises.
- ``lifecycle/matrix.json``: every record kind x every actor (each role, as the project's own party
  and as an outsider of another organisation) x every step, with the expected outcome: ``"ok"`` or
  the rule refusing it. The reference state of each step is a prefix of the happy path's records.
- ``lifecycle/refusals/<rule>.json``: a history, a proposal, and the rule and ``allowed`` it must
  be refused with.

The matrix's expectations come from :data:`SPEC` below, written by hand from the issue and not
from ``notary.lifecycle.KINDS``; the histories are built with the code (they are only set-up).
Regenerating writes identical bytes; ``tests/unit/notary/lifecycle/test_vectors.py`` compares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from notary.lifecycle import Actor, LifecycleRefusal, Role, Step, load_rules
from notary.records import Record
from tests.support.lifecycle import (
    DATA,
    REGISTRATION,
    T0,
    Story,
    actor,
    at_text,
    contracted,
    happy_path,
    holder,
    registered,
    to_implementation,
    to_notice,
    to_settlement,
)
from tests.vectors.generate_verdicts import HERE, render

# kind, the steps accepting it (A R N I S X: application … settlement, archived), and the roles
# that may submit it, each ">side" when it must act for the owner or a power's holder.
SPEC = """
project_registration   A       village_committee_head
power_assignment       ARNIS   county_administrator township_administrator
application            A       village_committee_head>owner
review_opinion         R       county_administrator township_administrator finance_reviewer
approval               R       township_administrator>approval
rejection              R       township_administrator>approval
notice_published       N       township_administrator>approval
objection              N       county_administrator township_administrator village_committee_head contractor supervisor finance_reviewer auditor
objection_ruling       N       county_administrator
notice_closed          N       township_administrator>approval
tender_notice          I       village_committee_head>owner
bid                    I       contractor
award                  I       village_committee_head>owner
contract               I       contractor>execution
progress_report        I       contractor>execution
site_photo             I       contractor>execution supervisor>supervision
supervision_report     I       supervisor>supervision
change_order           I       contractor>execution
completion             I       contractor>execution
acceptance_request     S       contractor>execution
acceptance_certificate S       village_committee_head>owner
payment_request        S       contractor>execution
payment_approval       S       finance_reviewer
payment                S       finance_reviewer
audit_opinion          ARNISX  auditor>evaluation
settlement             S       township_administrator>approval
"""
LETTERS = dict(zip("ARNISX", Step, strict=True))

#: Cells where the project's own party, in a permitted role, is refused by the reference state.
STATEFUL = {
    ("implementation", "power_assignment"): "powers.already_assigned",
    ("settlement", "power_assignment"): "powers.already_assigned",
    ("notice", "notice_published"): "order.already_recorded",
    ("notice", "notice_closed"): "notice.objection_pending",
    ("implementation", "award"): "order.already_recorded",
    ("implementation", "contract"): "order.already_recorded",
    ("settlement", "acceptance_certificate"): "order.already_recorded",
    ("settlement", "payment_approval"): "payment.no_request",
    ("settlement", "payment"): "payment.not_approved",
}


def _spec() -> dict[str, tuple[set[str], dict[str, str | None]]]:
    out: dict[str, tuple[set[str], dict[str, str | None]]] = {}
    for line in SPEC.strip().splitlines():
        kind, letters, *roles = line.split()
        sides = {r.partition(">")[0]: r.partition(">")[2] or None for r in roles}
        out[kind] = ({LETTERS[c].value for c in letters}, sides)
    return out


def expected(step: str, kind: str, role: str, outsider: bool) -> str:
    """The outcome the issue's rules give, checked in the documented order."""
    steps, sides = _spec()[kind]
    registering = kind == "project_registration"
    if step == "unregistered" and not registering:
        return "project.not_registered"
    if step != "unregistered" and registering:
        return "project.already_registered"
    if step != "unregistered" and step not in steps:
        return "step.kind_not_allowed"
    if role not in sides:
        return "role.not_permitted"
    side = sides[role]
    if outsider and side is not None:
        return "owner.required" if side == "owner" else "powers.not_held"
    return STATEFUL.get((step, kind), "ok")


def _actor_json(a: Actor) -> dict[str, Any]:
    return {"person": a.person, "organisation": a.organisation, "roles": sorted(a.roles)}


def _records_json(records: list[Record]) -> list[dict[str, Any]]:
    return [r.to_json() for r in records]


def happy_path_vector() -> dict[str, Any]:
    story, _ = happy_path()
    want = [{"step": t.state.step.value, "events": list(t.events)} for t in story.transitions]
    return {
        "description": "A project from registration to archived: replaying the first n records "
        "leaves it in want[n-1].step; deciding record n-1 raised want[n-1].events. Every record carries data.actor (the submitter's "
        "organisation and role); the certificate names its signers in data.signers.",
        "rules": None,
        "records": _records_json(story.records),
        "want": want,
    }


def _actors() -> dict[str, Actor]:
    return {
        f"{r.value}{'/outsider' if out else ''}": actor(r, outsider=out)
        for r in Role
        for out in (False, True)
    }


def matrix_vector() -> dict[str, Any]:
    story, cut = happy_path()
    actors = _actors()
    steps = {}
    for step, n in cut.items():
        last = story.records[n - 1].received_at if n else at_text(T0)
        steps[step] = {"prefix": n, "after": last}
    quorum = DATA["acceptance_certificate"]["signers"]
    proposals = {
        kind: {
            "data": DATA.get(kind, {}),
            "signers": [s["role"] for s in quorum] if kind == "acceptance_certificate" else [],
        }
        for kind in _spec()
    }
    want = {
        kind: {
            step: {
                name: expected(step, kind, min(a.roles).value, name.endswith("/outsider"))
                for name, a in actors.items()
            }
            for step in cut
        }
        for kind in _spec()
    }
    return {
        "description": "Every kind x actor x step. For a cell, replay records[:steps[step].prefix] "
        "and decide, one day after steps[step].after, the proposal of proposals[kind] by "
        "actors[name]: project XQ-2026-0042, stage = the step's (application when unregistered, "
        "settlement when archived), data = proposals[kind].data plus data.actor = {organisation, "
        "role} of the actor, verified signers = the actors named in proposals[kind].signers. "
        'want[kind][step][name] is "ok" or the refusal\'s rule.',
        "actors": {name: _actor_json(a) for name, a in actors.items()},
        "records": _records_json(story.records),
        "steps": steps,
        "proposals": proposals,
        "want": want,
    }


def _refusal(
    description: str,
    story: Story,
    kind: str,
    who: Actor,
    data: dict[str, Any] | None = None,
    *,
    signers: tuple[Actor, ...] = (),
    rules: dict[str, Any] | None = None,
    days: float = 1,
) -> dict[str, Any]:
    story.at += timedelta(days=days)
    record = story.record(kind, who, data, signed_by=signers)
    try:
        story.propose(record, who, signers)
    except LifecycleRefusal as e:
        want = {"rule": e.rule, "allowed": list(e.allowed), "message_zh": e.message_zh}
    else:
        raise AssertionError(f"{description}: not refused")
    return {
        "description": description,
        "rules": rules,
        "records": _records_json(story.records),
        "proposal": {"record": record.to_json(), "signers": [_actor_json(s) for s in signers]},
        "actor": _actor_json(who),
        "at": record.received_at,
        "want": want,
    }


def _implementing() -> Story:
    return contracted(to_implementation(to_notice(registered())))


def _settling() -> Story:
    return to_settlement(_implementing())


def refusal_vectors() -> dict[str, dict[str, Any]]:
    notice = to_notice(registered())
    notice.add("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    ceiling = {"ceiling_overrides_fen": {"清河镇/李庄村": 30_000_000}}
    two = (actor(Role.CONTRACTOR), actor(Role.VILLAGE_COMMITTEE_HEAD))
    accepting = _settling()
    accepting.add("acceptance_request", Role.CONTRACTOR)
    cases: dict[str, Callable[[], dict[str, Any]]] = {
        "step.kind_not_allowed": lambda: _refusal(
            "a contract filed during the public notice",
            to_notice(registered()),
            "contract",
            actor(Role.CONTRACTOR),
        ),
        "role.not_permitted": lambda: _refusal(
            "a contractor publishes the tender notice",
            to_implementation(to_notice(registered())),
            "tender_notice",
            actor(Role.CONTRACTOR),
        ),
        "powers.conflict": lambda: _refusal(
            "execution assigned to the township that holds approval",
            registered(),
            "power_assignment",
            actor(Role.COUNTY_ADMINISTRATOR),
            {**holder("execution"), "organisation": "org-qinghe-township"},
        ),
        "powers.not_held": lambda: _refusal(
            "a site photo by a supervisor who does not supervise this project",
            _implementing(),
            "site_photo",
            actor(Role.SUPERVISOR, outsider=True),
        ),
        "quorum.missing": lambda: _refusal(
            "an acceptance certificate signed by the contractor and the village only",
            accepting,
            "acceptance_certificate",
            actor(Role.VILLAGE_COMMITTEE_HEAD),
            {"signers": [DATA["acceptance_certificate"]["signers"][i] for i in (0, 2)]},
            signers=two,
        ),
        "budget.over_ceiling": lambda: _refusal(
            "a 350 000 CNY project where the village's ceiling is 300 000 CNY",
            Story(load_rules(ceiling)),
            "project_registration",
            actor(Role.VILLAGE_COMMITTEE_HEAD),
            REGISTRATION,
            rules=ceiling,
            days=0,
        ),
        "notice.too_short": lambda: _refusal(
            "the notice closed four days after it was published",
            notice,
            "notice_closed",
            actor(Role.TOWNSHIP_ADMINISTRATOR),
            days=4,
        ),
        "payment.before_acceptance": lambda: _refusal(
            "a payment requested after completion, before acceptance",
            _settling(),
            "payment_request",
            actor(Role.CONTRACTOR),
        ),
    }
    return {f"lifecycle/refusals/{name}.json": make() for name, make in cases.items()}


def vectors() -> dict[str, str]:
    """Every lifecycle vector file: path under tests/vectors → its text."""
    docs = {
        "lifecycle/happy-path.json": happy_path_vector(),
        "lifecycle/matrix.json": matrix_vector(),
        **refusal_vectors(),
    }
    return {path: render(doc) for path, doc in docs.items()}


def main() -> None:
    for path, text in vectors().items():
        target = HERE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
