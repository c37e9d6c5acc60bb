"""Each refusal: the rule it names, its messages, and what it says is allowed instead."""

import re
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from notary.errors import NotaryError, RecordError
from notary.lifecycle import (
    Actor,
    LifecycleRefusal,
    LifecycleRules,
    Proposal,
    Role,
    Step,
    decide,
    replay,
)
from notary.lifecycle.kinds import KindData
from notary.records import first_problem
from tests.support.lifecycle import (
    CAST,
    DATA,
    REGISTRATION,
    Story,
    accepted,
    actor,
    contracted,
    holder,
    registered,
    to_implementation,
    to_notice,
    to_settlement,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


def refused(story: Story, kind: str, who: Actor, data=None, **kw) -> LifecycleRefusal:
    """The refusal of ``kind`` by ``who`` now; the story is left as it was."""
    signers = kw.pop("signers", ())
    record = story.record(kind, who, data, **kw)
    before = story.state
    with pytest.raises(LifecycleRefusal) as e:
        story.propose(record, who, signers)
    assert story.state == before
    refusal = e.value
    assert isinstance(refusal, NotaryError) and refusal.code == "lifecycle_refused"
    assert refusal.message and HAN.search(refusal.message_zh), refusal.message_zh
    assert str(refusal).startswith(refusal.rule + ": ")
    return refusal


def implementing() -> Story:
    return contracted(to_implementation(to_notice(registered())))


# -- the refusals the issue lists -------------------------------------------------------------


def test_wrong_step_names_the_kinds_this_step_accepts_for_the_role():
    story = to_notice(registered())  # in the public notice
    e = refused(story, "contract", actor(Role.CONTRACTOR))
    assert e.rule == "step.kind_not_allowed"
    assert "implementation" in e.message and "公示" in e.message_zh
    assert e.allowed == ("objection",)
    e = refused(story, "approval", actor(Role.TOWNSHIP_ADMINISTRATOR))
    assert e.allowed == ("power_assignment", "notice_published", "objection", "notice_closed")


def test_wrong_role_names_the_roles_that_may_submit_the_kind():
    story = registered()
    story.add("application", Role.VILLAGE_COMMITTEE_HEAD)
    story.add("review_opinion", Role.TOWNSHIP_ADMINISTRATOR)
    e = refused(story, "approval", actor(Role.COUNTY_ADMINISTRATOR))
    assert e.rule == "role.not_permitted"
    assert e.allowed == ("township_administrator",)
    assert "乡镇管理员" in e.message_zh


@pytest.mark.parametrize("who", ["organisation", "person"])
def test_four_power_conflict_refuses_a_second_power_for_one_party(who):
    story = registered()  # approval is the township's
    township_person, township = CAST[Role.TOWNSHIP_ADMINISTRATOR]
    data = holder("execution")
    data[who] = township if who == "organisation" else township_person
    e = refused(story, "power_assignment", actor(Role.COUNTY_ADMINISTRATOR), data)
    assert e.rule == "powers.conflict"
    assert e.allowed == ("approval",)
    assert "四权分离" in e.message_zh


def test_missing_quorum_signature_names_the_missing_seats():
    story = to_settlement(implementing())
    story.add("acceptance_request", Role.CONTRACTOR)
    signers = (actor(Role.CONTRACTOR), actor(Role.VILLAGE_COMMITTEE_HEAD))
    data = {"signers": [DATA["acceptance_certificate"]["signers"][i] for i in (0, 2)]}
    e = refused(
        story,
        "acceptance_certificate",
        actor(Role.VILLAGE_COMMITTEE_HEAD),
        data,
        signed_by=signers,
        signers=signers,
    )
    assert e.rule == "quorum.missing"
    assert e.allowed == ("supervisor", "township")


def test_a_quorum_seat_is_filled_only_by_the_party_on_its_side():
    story = to_settlement(implementing())
    story.add("acceptance_request", Role.CONTRACTOR)
    signers = [*DATA["acceptance_certificate"]["signers"]]
    other = actor(Role.SUPERVISOR, outsider=True)  # a supervisor, but not this project's
    signers[1] = {"person": other.person, "organisation": other.organisation, "role": "supervisor"}
    verified = tuple(
        Actor(person=s["person"], organisation=s["organisation"], roles=frozenset({s["role"]}))
        for s in signers
    )
    e = refused(
        story,
        "acceptance_certificate",
        actor(Role.VILLAGE_COMMITTEE_HEAD),
        {"signers": signers},
        signers=verified,
    )
    assert (e.rule, e.allowed) == ("quorum.missing", ("supervisor",))


def test_a_named_signer_without_a_verified_signature_is_refused():
    story = to_settlement(implementing())
    story.add("acceptance_request", Role.CONTRACTOR)
    quorum = tuple(
        actor(r) for r in (Role.CONTRACTOR, Role.SUPERVISOR, Role.VILLAGE_COMMITTEE_HEAD)
    )
    e = refused(story, "acceptance_certificate", actor(Role.VILLAGE_COMMITTEE_HEAD), signers=quorum)
    assert e.rule == "quorum.unverified_signer"
    assert "p-township-admin" in e.message
    assert e.allowed == tuple(a.person for a in quorum)


def test_budget_over_the_ceiling_names_the_rule_and_the_ceiling():
    rules = LifecycleRules(ceiling_overrides_fen={"清河镇": 30_000_000})
    e = refused(Story(rules), "project_registration", actor(Role.VILLAGE_COMMITTEE_HEAD))
    assert e.rule == "budget.over_ceiling"
    assert "ceiling_overrides_fen['清河镇']" in e.message and "300,000.00" in e.message
    assert e.allowed == ("30000000",)
    assert "限额" in e.message_zh
    over = {**REGISTRATION, "budget_fen": 40_000_001}
    e = refused(Story(), "project_registration", actor(Role.VILLAGE_COMMITTEE_HEAD), over)
    assert (e.rule, e.allowed) == ("budget.over_ceiling", ("40000000",))
    assert "small_project_ceiling_fen" in e.message
    # at the ceiling is allowed
    Story().add(
        "project_registration", Role.VILLAGE_COMMITTEE_HEAD, {**over, "budget_fen": 40_000_000}
    )


def test_notice_too_short_names_the_earliest_closing_time():
    story = to_notice(registered())
    story.add("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    published = story.state.notice_published_at
    assert published is not None
    story.at = published + timedelta(days=5, seconds=-1)
    e = refused(story, "notice_closed", actor(Role.TOWNSHIP_ADMINISTRATOR))
    assert e.rule == "notice.too_short"
    assert e.allowed == ("2026-03-07T01:08:00Z",)
    assert datetime.fromisoformat(e.allowed[0]) == published + timedelta(days=5)
    story.at += timedelta(seconds=1)
    record = story.record("notice_closed", actor(Role.TOWNSHIP_ADMINISTRATOR))
    assert (
        story.propose(record, actor(Role.TOWNSHIP_ADMINISTRATOR)).state.step is Step.IMPLEMENTATION
    )


def test_payment_before_acceptance_is_refused():
    story = to_settlement(implementing())
    e = refused(story, "payment_request", actor(Role.CONTRACTOR))
    assert e.rule == "payment.before_acceptance"
    assert e.allowed == ("acceptance_request", "acceptance_certificate")
    story.add("acceptance_request", Role.CONTRACTOR)
    e = refused(story, "payment_request", actor(Role.CONTRACTOR))
    assert (e.rule, e.allowed) == ("payment.before_acceptance", ("acceptance_certificate",))


# -- the other rules --------------------------------------------------------------------------


def test_a_kind_needs_the_power_held_by_the_actors_organisation():
    story = implementing()
    e = refused(story, "progress_report", actor(Role.CONTRACTOR, outsider=True))
    assert e.rule == "powers.not_held"
    assert e.allowed == (CAST[Role.CONTRACTOR][1],)
    fresh = registered()  # execution not assigned yet
    fresh.state = fresh.state.model_copy(
        update={"step": Step.IMPLEMENTATION, "in_step": ("contract",)}
    )
    e = refused(fresh, "completion", actor(Role.CONTRACTOR))
    assert (e.rule, e.allowed) == ("powers.not_held", ("power_assignment",))


def test_owner_kinds_need_the_projects_own_village_committee():
    e = refused(registered(), "application", actor(Role.VILLAGE_COMMITTEE_HEAD, outsider=True))
    assert (e.rule, e.allowed) == ("owner.required", (CAST[Role.VILLAGE_COMMITTEE_HEAD][1],))


def test_a_power_once_assigned_stays():
    e = refused(
        registered(), "power_assignment", actor(Role.TOWNSHIP_ADMINISTRATOR), holder("approval")
    )
    assert (e.rule, e.allowed) == ("powers.already_assigned", ("execution",))


def test_data_actor_must_be_the_submitter():
    story = registered()
    head = actor(Role.VILLAGE_COMMITTEE_HEAD)
    record = story.record("application", head)
    forged = record.model_copy(
        update={
            "data": {
                "actor": {"organisation": "org-someone-else", "role": "village_committee_head"}
            }
        }
    )
    with pytest.raises(LifecycleRefusal) as e:
        story.propose(forged, head)
    assert (e.value.rule, e.value.allowed) == ("actor.mismatch", ("village_committee_head",))


def test_invalid_data_names_the_field():
    story = implementing()
    e = refused(story, "progress_report", actor(Role.CONTRACTOR), {"percent": 101})
    assert e.rule == "data.invalid" and "data.percent" in e.message
    assert e.allowed == ("actor", "percent")
    e = registering(budget_fen="35万")
    assert e.rule == "data.invalid" and "data.budget_fen" in e.message
    e = registering(owner="x")
    assert e.rule == "data.invalid" and "owner" in e.message


def registering(**changes: object) -> LifecycleRefusal:
    """The refusal of a registration with ``changes`` to the valid data."""
    return refused(
        Story(),
        "project_registration",
        actor(Role.VILLAGE_COMMITTEE_HEAD),
        {**REGISTRATION, **changes},
    )


def test_registration_rules_categories_and_required_fields():
    e = registering(category="bridge")
    assert e.rule == "registration.unknown_category" and "road" in e.allowed
    e = registering(details={"length_m": 1})
    assert (e.rule, e.allowed) == ("registration.missing_field", ("width_m",))
    e = registering(code="XQ-2026-0043")
    assert e.rule == "project.mismatch"
    e = registering(planned_end="2026-03-01")
    assert e.rule == "data.invalid" and "planned_end" in e.message


def test_unregistered_registered_and_unknown():
    e = refused(Story(), "application", actor(Role.VILLAGE_COMMITTEE_HEAD))
    assert (e.rule, e.allowed) == ("project.not_registered", ("project_registration",))
    e = refused(registered(), "project_registration", actor(Role.VILLAGE_COMMITTEE_HEAD))
    assert (e.rule, e.allowed) == ("project.already_registered", ("application",))
    e = refused(registered(), "document", actor(Role.COUNTY_ADMINISTRATOR))
    assert (e.rule, e.allowed) == ("kind.unknown", ("power_assignment",))


def test_the_record_stage_must_be_the_projects_step():
    e = refused(registered(), "application", actor(Role.VILLAGE_COMMITTEE_HEAD), stage="review")
    assert (e.rule, e.allowed) == ("step.wrong_stage", ("application",))


def test_a_record_filed_under_another_project_is_refused():
    story = registered()
    head = actor(Role.VILLAGE_COMMITTEE_HEAD)
    record = story.record("application", head).model_copy(update={"project": "XQ-2026-0099"})
    with pytest.raises(LifecycleRefusal) as e:
        story.propose(record, head)
    assert (e.value.rule, e.value.allowed) == ("project.mismatch", ("XQ-2026-0042",))


def test_order_prerequisites_and_once_per_step():
    story = to_implementation(to_notice(registered()))
    e = refused(story, "award", actor(Role.VILLAGE_COMMITTEE_HEAD))
    assert (e.rule, e.allowed) == ("order.missing_prerequisite", ("bid",))
    story = implementing()
    e = refused(story, "award", actor(Role.VILLAGE_COMMITTEE_HEAD))
    assert (e.rule, e.allowed) == ("order.already_recorded", ("tender_notice",))


def test_objections_block_the_close_and_are_ruled_on_by_number():
    story = to_notice(registered())
    story.add("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    story.add("objection", Role.CONTRACTOR, days=1)
    story.at += timedelta(days=9)
    e = refused(story, "notice_closed", actor(Role.TOWNSHIP_ADMINISTRATOR))
    assert (e.rule, e.allowed) == ("notice.objection_pending", ("objection_ruling",))
    bad = {"objection": 3, "upheld": False, "reason": "n/a"}
    e = refused(story, "objection_ruling", actor(Role.COUNTY_ADMINISTRATOR), bad)
    assert (e.rule, e.allowed) == ("notice.no_such_objection", ("0",))


def test_money_rules():
    story = implementing()
    e = refused(
        story,
        "change_order",
        actor(Role.CONTRACTOR),
        {"reason": "x", "amount_delta_fen": 5_000_001},
    )
    assert (e.rule, e.allowed) == ("budget.over_budget", ("35000000",))
    e = refused(
        story,
        "change_order",
        actor(Role.CONTRACTOR),
        {"reason": "x", "amount_delta_fen": -30_000_001},
    )
    assert (e.rule, e.allowed) == ("data.invalid", ("-30000000",))
    story = accepted(to_settlement(implementing()))
    e = refused(story, "payment_request", actor(Role.CONTRACTOR), {"amount_fen": 31_500_001})
    assert (e.rule, e.allowed) == ("payment.over_contract", ("31500000",))
    e = refused(story, "payment_approval", actor(Role.FINANCE_REVIEWER))
    assert (e.rule, e.allowed) == ("payment.no_request", ("payment_request",))
    e = refused(story, "payment", actor(Role.FINANCE_REVIEWER))
    assert (e.rule, e.allowed) == ("payment.not_approved", ())
    story.add("payment_request", Role.CONTRACTOR, {"amount_fen": 1_000})
    e = refused(story, "payment_request", actor(Role.CONTRACTOR), {"amount_fen": 1_000})
    assert (e.rule, e.allowed) == ("payment.pending", ("payment_approval",))
    story.add("payment_approval", Role.FINANCE_REVIEWER)
    e = refused(story, "payment", actor(Role.FINANCE_REVIEWER), {"amount_fen": 999})
    assert (e.rule, e.allowed) == ("payment.not_approved", ("1000",))
    story.add("audit_opinion", Role.AUDITOR)
    e = refused(story, "settlement", actor(Role.TOWNSHIP_ADMINISTRATOR))
    assert (e.rule, e.allowed) == ("payment.pending", ("payment",))


def test_the_contract_is_signed_by_the_awardee():
    story = to_implementation(to_notice(registered()))
    story.add("tender_notice", Role.VILLAGE_COMMITTEE_HEAD)
    story.add("bid", Role.CONTRACTOR)
    winner = actor(Role.CONTRACTOR, outsider=True)
    story.add(
        "award", Role.VILLAGE_COMMITTEE_HEAD, {"organisation": winner.organisation, "amount_fen": 1}
    )
    story.add("power_assignment", Role.COUNTY_ADMINISTRATOR, holder("execution"))
    e = refused(story, "contract", actor(Role.CONTRACTOR))
    assert (e.rule, e.allowed) == ("contract.not_awardee", (winner.organisation,))


def test_a_decision_needs_a_time_with_an_offset():
    story = registered()
    head = actor(Role.VILLAGE_COMMITTEE_HEAD)
    proposal = Proposal.of_record(story.record("application", head))
    with pytest.raises(RecordError):
        decide(story.state, proposal, head, datetime(2026, 3, 2, 1, 0))


def test_replay_refuses_a_log_the_rules_refuse_and_names_the_record():
    story = registered()
    records = [*story.records]
    records.insert(
        1, story.record("application", actor(Role.VILLAGE_COMMITTEE_HEAD, outsider=True))
    )
    with pytest.raises(LifecycleRefusal) as e:
        replay(records)
    assert e.value.rule == "owner.required" and e.value.message.startswith("record 1 (application)")
    no_actor = story.records[0].model_copy(update={"data": {**REGISTRATION}})
    with pytest.raises(LifecycleRefusal) as e:
        replay([no_actor])
    assert e.value.rule == "data.invalid"


def test_replay_counts_only_the_signers_who_signed_the_logged_certificate():
    story = accepted(to_settlement(implementing()))
    certificate = story.records[-1]
    assert certificate.kind == "acceptance_certificate" and len(certificate.signatures) == 4
    stripped = certificate.model_copy(update={"signatures": certificate.signatures[:3]})
    with pytest.raises(LifecycleRefusal) as e:
        replay([*story.records[:-1], stripped])
    assert e.value.rule == "quorum.unverified_signer" and "p-township-admin" in e.value.message


# -- data.actor checked on its own (a kind whose data is data.actor alone) ---------------------

CONTRACTOR_ACTING = {"organisation": CAST[Role.CONTRACTOR][1], "role": "contractor"}
FORGED_ACTORS = {
    "actor-missing": None,
    "actor-not-an-object": "contractor",
    "actor-a-list": [CONTRACTOR_ACTING],
    "extra-field": {**CONTRACTOR_ACTING, "person": "p-contractor"},
    "organisation-missing": {"role": "contractor", "x": "y"},
    "organisation-not-an-id": {**CONTRACTOR_ACTING, "organisation": "org jianshe/../x"},
    "organisation-a-number": {**CONTRACTOR_ACTING, "organisation": 7},
    "organisation-a-list": {**CONTRACTOR_ACTING, "organisation": ["org-jianshe-construction"]},
    "role-unknown": {**CONTRACTOR_ACTING, "role": "contractor_admin"},
    "role-upper-case": {**CONTRACTOR_ACTING, "role": "CONTRACTOR"},
    "role-a-number": {**CONTRACTOR_ACTING, "role": 3},
    "role-null": {**CONTRACTOR_ACTING, "role": None},
}


@pytest.mark.parametrize("name", FORGED_ACTORS)
def test_a_malformed_data_actor_of_a_site_photo_is_refused_as_its_model_refuses_it(name):
    story = implementing()
    contractor = actor(Role.CONTRACTOR)
    story.propose(story.record("site_photo", contractor), contractor)  # a valid actor, seen first
    record = story.record("site_photo", contractor)
    data = {k: v for k, v in record.data.items() if k != "actor"}
    if FORGED_ACTORS[name] is not None:
        data["actor"] = FORGED_ACTORS[name]
    with pytest.raises(LifecycleRefusal) as e:
        story.propose(record.model_copy(update={"data": data}), contractor)
    with pytest.raises(ValidationError) as model:  # what the kind's model says of the same data
        KindData.model_validate(data)
    where, _ = first_problem(model.value, "data")
    assert (e.value.rule, e.value.allowed) == ("data.invalid", ("actor",))
    assert e.value.message.startswith(f"site_photo: data.{where}: ")


def test_an_actor_seen_valid_does_not_vouch_for_another_organisation_or_role():
    story = implementing()
    contractor, supervisor = actor(Role.CONTRACTOR), actor(Role.SUPERVISOR)
    story.propose(story.record("site_photo", contractor), contractor)
    story.propose(story.record("site_photo", supervisor), supervisor)
    for acting in (
        {"organisation": supervisor.organisation, "role": "contractor"},
        {"organisation": contractor.organisation, "role": "supervisor"},
    ):
        record = story.record("site_photo", contractor)
        forged = record.model_copy(update={"data": {**record.data, "actor": acting}})
        with pytest.raises(LifecycleRefusal) as e:
            story.propose(forged, contractor)
        assert e.value.rule == "actor.mismatch"
