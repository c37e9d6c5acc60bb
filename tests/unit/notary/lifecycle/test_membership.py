"""A change of a person's organisation or roles may not escape the separation of powers
(notary.lifecycle.membership): the attacks first, then what stays allowed."""

from __future__ import annotations

import pytest

from notary.lifecycle import LifecycleRefusal, Power, PowerHolder, Role, Standing
from notary.lifecycle import check_standing_change as check
from notary.lifecycle.membership import ROLE_POWERS, acted_powers, party_change_data
from tests.support.lifecycle import CAST

CODE = "XQ-2026-0042"
R = Role


def _holder(power: Power, role: Role) -> PowerHolder:
    person, org = CAST[role]
    return PowerHolder(power=power, organisation=org, person=person)


#: The four powers of one live project, each held by its natural holder in the cast.
HOLDERS = (
    _holder(Power.APPROVAL, R.TOWNSHIP_ADMINISTRATOR),
    _holder(Power.EXECUTION, R.CONTRACTOR),
    _holder(Power.SUPERVISION, R.SUPERVISOR),
    _holder(Power.EVALUATION, R.AUDITOR),
)
LIVE = {CODE: HOLDERS}


def standing(role: Role, *roles: Role, org: str | None = None) -> Standing:
    return Standing(
        organisation=org or CAST[role][1],
        lifecycle_roles=frozenset({role, *roles}),
        roles=frozenset({"submitter"}),
    )


def refused(rule: str, person: str, before: Standing, after: Standing) -> LifecycleRefusal:
    with pytest.raises(LifecycleRefusal) as caught:
        check(person, before, after, LIVE)
    assert caught.value.rule == rule
    assert CODE in caught.value.message and CODE in caught.value.message_zh
    assert "四权分离" in caught.value.message_zh
    return caught.value


# --- attacks ---------------------------------------------------------------------------------


def test_the_contractor_holding_execution_cannot_move_to_the_approving_township() -> None:
    person = CAST[R.CONTRACTOR][0]
    before = standing(R.CONTRACTOR)
    after = before.model_copy(update={"organisation": CAST[R.TOWNSHIP_ADMINISTRATOR][1]})
    e = refused("powers.move_conflict", person, before, after)
    assert e.allowed == (CAST[R.CONTRACTOR][1],)  # where they may stay
    assert "execution" in e.message and "approval" in e.message


def test_a_township_official_not_named_but_acting_for_approval_cannot_join_the_contractor() -> None:
    person = "p-township-clerk"  # acts for approval through their organisation and role
    before = standing(R.TOWNSHIP_ADMINISTRATOR)
    after = standing(R.CONTRACTOR, org=CAST[R.CONTRACTOR][1])
    refused("powers.move_conflict", person, before, after)


def test_the_named_supervisor_cannot_move_to_the_evaluating_audit_bureau() -> None:
    person = CAST[R.SUPERVISOR][0]
    before = standing(R.SUPERVISOR)
    after = before.model_copy(update={"organisation": CAST[R.AUDITOR][1]})
    refused("powers.move_conflict", person, before, after)


def test_the_named_holder_of_execution_cannot_be_given_the_supervisor_role() -> None:
    person = CAST[R.CONTRACTOR][0]
    before = standing(R.CONTRACTOR)
    e = refused("powers.role_conflict", person, before, standing(R.CONTRACTOR, R.SUPERVISOR))
    assert "supervisor" in e.message and "第三方监理" in e.message_zh
    assert "contractor" in e.allowed and "finance_reviewer" in e.allowed
    assert "supervisor" not in e.allowed and "township_administrator" not in e.allowed


def test_a_named_holder_outside_any_organisation_still_cannot_take_another_power() -> None:
    person = CAST[R.AUDITOR][0]
    before = Standing()  # named in the project, since taken out of their organisation
    after = standing(R.TOWNSHIP_ADMINISTRATOR)
    refused("powers.move_conflict", person, before, after)


# --- what stays allowed ----------------------------------------------------------------------


def test_a_named_holder_cannot_step_aside_to_an_empty_organisation_first() -> None:
    """The two-step escape: move the named holder of execution to an organisation that holds
    nothing in the project (no conflict yet), then assign that organisation supervision there.
    The assignment check sees holders only, so the first step is refused."""
    person = CAST[R.CONTRACTOR][0]
    before = standing(R.CONTRACTOR)
    after = before.model_copy(update={"organisation": "org-shell-company"})
    e = refused("powers.holder_moves", person, before, after)
    assert e.allowed == (CAST[R.CONTRACTOR][1],)  # where they must stay until archived


def test_a_member_not_named_may_move_to_an_organisation_holding_no_power_there() -> None:
    person = "p-contractor-foreman"  # acts for execution through the contractor, not named
    before = standing(R.CONTRACTOR)
    assert acted_powers(person, before, HOLDERS) == {Power.EXECUTION}
    check(person, before, before.model_copy(update={"organisation": "org-other-builder"}), LIVE)


def test_a_role_acting_for_no_power_or_the_same_power_is_allowed() -> None:
    person = CAST[R.CONTRACTOR][0]
    before = standing(R.CONTRACTOR)
    check(person, before, standing(R.CONTRACTOR, R.FINANCE_REVIEWER), LIVE)
    check(person, before, standing(R.CONTRACTOR, R.VILLAGE_COMMITTEE_HEAD), LIVE)


def test_someone_acting_for_no_power_may_move_anywhere() -> None:
    # A finance reviewer of the township: their organisation holds approval, their role not.
    person = "p-township-finance"
    before = standing(R.FINANCE_REVIEWER, org=CAST[R.TOWNSHIP_ADMINISTRATOR][1])
    after = standing(R.CONTRACTOR, org=CAST[R.CONTRACTOR][1])
    assert acted_powers(person, before, HOLDERS) == set()
    check(person, before, after, LIVE)


def test_projects_not_given_are_not_judged() -> None:
    """The caller gives the projects that are not archived: an archived one constrains nothing."""
    person = CAST[R.CONTRACTOR][0]
    before = standing(R.CONTRACTOR)
    after = before.model_copy(update={"organisation": CAST[R.TOWNSHIP_ADMINISTRATOR][1]})
    check(person, before, after, {})


def test_roles_held_before_are_not_judged_again_only_what_the_change_adds() -> None:
    person = CAST[R.CONTRACTOR][0]
    before = standing(R.CONTRACTOR, R.SUPERVISOR)  # granted before the project assigned powers
    check(person, before, before.model_copy(update={"roles": frozenset({"auditor"})}), LIVE)


# --- the record and the table ----------------------------------------------------------------


def test_roles_act_for_the_powers_the_table_of_kinds_gives_them() -> None:
    assert ROLE_POWERS[R.TOWNSHIP_ADMINISTRATOR] == {Power.APPROVAL}
    assert ROLE_POWERS[R.CONTRACTOR] == {Power.EXECUTION}
    assert ROLE_POWERS[R.SUPERVISOR] == {Power.SUPERVISION}
    assert ROLE_POWERS[R.AUDITOR] == {Power.EVALUATION}
    for role in (R.COUNTY_ADMINISTRATOR, R.VILLAGE_COMMITTEE_HEAD, R.FINANCE_REVIEWER):
        assert ROLE_POWERS[role] == frozenset()


def test_the_record_names_the_person_and_both_standings_with_sorted_lists() -> None:
    before = standing(R.CONTRACTOR)
    after = Standing(
        organisation="org-b",
        lifecycle_roles=frozenset({R.SUPERVISOR, R.CONTRACTOR}),
        roles=frozenset({"submitter", "auditor"}),
    )
    assert party_change_data("p-x", before, after) == {
        "party": "p-x",
        "before": {
            "organisation": CAST[R.CONTRACTOR][1],
            "lifecycle_roles": ["contractor"],
            "roles": ["submitter"],
        },
        "after": {
            "organisation": "org-b",
            "lifecycle_roles": ["contractor", "supervisor"],
            "roles": ["auditor", "submitter"],
        },
    }
