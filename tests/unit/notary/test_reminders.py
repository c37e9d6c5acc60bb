"""Reminders from project states: who is awaited, for what record, by when."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from notary.lifecycle import DEFAULT_RULES, Actor, Role
from notary.reminders import Reminder, reminders
from tests.support.lifecycle import (
    CAST,
    CODE,
    REGISTRATION,
    Story,
    accepted,
    actor,
    contracted,
    registered,
    to_implementation,
    to_notice,
    to_settlement,
)

PEOPLE = [actor(r) for r in Role]
PLANNED_END = date.fromisoformat(REGISTRATION["planned_end"])


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def of(story: Story, when: datetime, people: list[Actor] = PEOPLE) -> list[Reminder]:
    return reminders([story.state], people, when, DEFAULT_RULES)


def kinds(found: list[Reminder]) -> set[tuple[str, str, str]]:
    return {(r.kind, r.person, r.waits_on) for r in found}


def person(role: Role) -> str:
    return CAST[role][0]


def test_a_contract_is_overdue_only_after_its_planned_end_and_until_completion():
    story = contracted(to_implementation(to_notice(registered())))
    assert of(story, at(PLANNED_END)) == []
    found = of(story, at(PLANNED_END + timedelta(days=1)))
    assert kinds(found) == {
        ("contract_overdue", person(Role.CONTRACTOR), "completion"),
        ("contract_overdue", person(Role.VILLAGE_COMMITTEE_HEAD), "completion"),
    }
    assert all(r.overdue and r.due == PLANNED_END and r.project == CODE for r in found)
    assert "2026-06-30" in found[0].text_en and "竣工" in found[0].text_zh
    to_settlement(story)
    assert "contract_overdue" not in {r.kind for r in of(story, at(PLANNED_END, 23))}


def test_acceptance_documents_and_signatures_are_awaited_until_the_certificate():
    story = to_settlement(contracted(to_implementation(to_notice(registered()))))
    when = at(PLANNED_END)
    assert kinds(of(story, when)) == {
        ("acceptance_missing", person(Role.CONTRACTOR), "acceptance_request")
    }
    story.add("acceptance_request", Role.CONTRACTOR)
    found = of(story, when)
    seats = {person(r) for r in (Role.CONTRACTOR, Role.SUPERVISOR)} | {
        person(Role.VILLAGE_COMMITTEE_HEAD),
        person(Role.TOWNSHIP_ADMINISTRATOR),
    }
    assert {r.person for r in found if r.kind == "signature_awaited"} == seats
    assert (
        "acceptance_missing",
        person(Role.VILLAGE_COMMITTEE_HEAD),
        "acceptance_certificate",
    ) in (kinds(found))
    assert not any(r.overdue for r in found)  # due 30 days after the planned end
    story.add("acceptance_certificate", Role.VILLAGE_COMMITTEE_HEAD)
    assert of(story, when) == []


def test_a_notice_ending_shows_two_days_before_and_not_while_an_objection_is_pending():
    story = to_notice(registered())
    story.add("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    published = story.at
    due = (published + timedelta(days=DEFAULT_RULES.notice_min_days)).date()
    assert of(story, at(due - timedelta(days=3))) == []
    [reminder] = of(story, at(due - timedelta(days=2)))
    assert (reminder.kind, reminder.person, reminder.due) == (
        "notice_ending",
        person(Role.TOWNSHIP_ADMINISTRATOR),
        due,
    )
    story.add("objection", Role.CONTRACTOR, who=actor(Role.CONTRACTOR, outsider=True))
    assert of(story, at(due)) == []


def test_payments_await_the_finance_reviewers():
    story = accepted(to_settlement(contracted(to_implementation(to_notice(registered())))))
    story.add("payment_request", Role.CONTRACTOR)
    [waiting] = of(story, story.at)
    assert (waiting.kind, waiting.waits_on, waiting.person) == (
        "payment_awaited",
        "payment_approval",
        person(Role.FINANCE_REVIEWER),
    )
    story.add("payment_approval", Role.FINANCE_REVIEWER)
    assert [r.waits_on for r in of(story, story.at)] == ["payment"]


def test_ids_are_stable_and_differ_per_person_and_reminder():
    story = contracted(to_implementation(to_notice(registered())))
    late = at(PLANNED_END + timedelta(days=3))
    first, again = of(story, late), of(story, late + timedelta(days=5))
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == len(first) == 2


def test_people_of_another_organisation_are_not_reminded():
    story = contracted(to_implementation(to_notice(registered())))
    outsiders = [actor(r, outsider=True) for r in Role]
    assert of(story, at(PLANNED_END + timedelta(days=9)), outsiders) == []
