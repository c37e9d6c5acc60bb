"""A project from registration to archived, the fold that rebuilds it, and the ways back."""

from notary.lifecycle import Power, ProjectState, Role, Step, replay
from tests.support.lifecycle import (
    CODE,
    accepted,
    contracted,
    happy_path,
    registered,
    to_implementation,
    to_notice,
    to_settlement,
)


def test_a_project_goes_from_registration_to_archived():
    story, cut = happy_path()
    kinds = [r.kind for r in story.records]
    moves = [
        (k, t.previous.value, t.state.step.value)
        for k, t in zip(kinds, story.transitions, strict=True)
        if t.moved
    ]
    assert moves == [
        ("application", "application", "review"),
        ("approval", "review", "notice"),
        ("notice_closed", "notice", "implementation"),
        ("completion", "implementation", "settlement"),
        ("settlement", "settlement", "archived"),
    ]
    for step, n in cut.items():
        want = "application" if step == "unregistered" else step
        assert replay(story.records[:n]).step.value == want
    state = story.state
    assert state.step is Step.ARCHIVED
    assert state.project is not None and state.project.code == CODE
    assert state.project.owner == "org-lizhuang-village"
    assert {h.power for h in state.powers} == set(Power)
    money = (state.contract_fen, state.changes_fen, state.paid_fen, state.final_amount_fen)
    assert money == (30_000_000, 1_500_000, 31_500_000, 31_500_000)
    assert state.accepted and state.records == len(story.records) == 28
    assert [(k, t.events) for k, t in zip(kinds, story.transitions, strict=True) if t.events] == [
        ("project_registration", ("registered",)),
        *[("power_assignment", ("power_assigned",))] * 3,
        ("notice_published", ("notice_published",)),
        ("objection", ("objection_raised",)),
        ("objection_ruling", ("objection_dismissed",)),
        ("notice_closed", ("notice_closed",)),
        ("award", ("awarded",)),
        ("power_assignment", ("power_assigned",)),
        ("contract", ("contract_signed",)),
        ("change_order", ("changed",)),
        ("acceptance_certificate", ("accepted",)),
        ("payment_request", ("payment_requested",)),
        ("payment_approval", ("payment_approved",)),
        ("payment", ("paid",)),
        ("settlement", ("settled", "archived")),
    ]


def test_an_archived_project_takes_only_audit_opinions():
    story, _ = happy_path()
    t = story.add("audit_opinion", Role.AUDITOR, days=30)
    assert t.state.step is Step.ARCHIVED and not t.moved


def test_replaying_the_log_gives_the_state_decide_built():
    story = accepted(to_settlement(contracted(to_implementation(to_notice(registered())))))
    assert replay(story.records) == story.state
    for n in range(len(story.records)):
        partial = replay(story.records[:n])
        assert partial.records == n
    assert replay([]) == ProjectState()


def test_an_upheld_objection_sends_the_project_back_to_review():
    story = to_notice(registered())
    story.add("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    story.add("objection", Role.VILLAGE_COMMITTEE_HEAD)
    t = story.add(
        "objection_ruling",
        Role.COUNTY_ADMINISTRATOR,
        {"objection": 0, "upheld": True, "reason": "占用耕地属实 farmland is taken"},
    )
    assert t.moved and t.state.step is Step.REVIEW
    assert t.events == ("objection_upheld", "sent_back")
    # the review starts afresh: a new opinion before a new approval, then a new notice
    assert t.state.in_step == () and t.state.objections == ()
    story.add("review_opinion", Role.COUNTY_ADMINISTRATOR)
    story.add("approval", Role.TOWNSHIP_ADMINISTRATOR)
    assert story.state.step is Step.NOTICE and story.state.notice_published_at is None
    assert replay(story.records) == story.state


def test_a_rejection_sends_the_project_back_to_application():
    story = registered()
    story.add("application", Role.VILLAGE_COMMITTEE_HEAD)
    t = story.add("rejection", Role.TOWNSHIP_ADMINISTRATOR)
    assert (t.previous, t.state.step) == (Step.REVIEW, Step.APPLICATION)
    story.add("application", Role.VILLAGE_COMMITTEE_HEAD)
    assert story.state.step is Step.REVIEW


def test_payments_cycle_request_approval_payment_up_to_the_contract():
    story = accepted(to_settlement(contracted(to_implementation(to_notice(registered())))))
    for amount in (20_000_000, 11_500_000):
        requested = story.add("payment_request", Role.CONTRACTOR, {"amount_fen": amount}).state
        assert (requested.requested_fen, requested.approved_fen) == (amount, None)
        approved = story.add("payment_approval", Role.FINANCE_REVIEWER).state
        assert (approved.requested_fen, approved.approved_fen) == (None, amount)
        story.add("payment", Role.FINANCE_REVIEWER, {"amount_fen": amount})
    assert story.state.paid_fen == story.state.contract_total_fen == 31_500_000


def test_many_site_photos_do_not_grow_the_state():
    story = contracted(to_implementation(to_notice(registered())))
    story.add("site_photo", Role.CONTRACTOR)
    size = len(story.state.model_dump_json())
    for _ in range(50):
        story.add("site_photo", Role.SUPERVISOR)
    assert story.state.records == len(story.records)
    kinds = ("award", "bid", "contract", "power_assignment", "site_photo", "tender_notice")
    assert story.state.in_step == kinds
    # Only the record count (15 to 65) and the time change: the encoding keeps its length.
    assert len(story.state.model_dump_json()) == size


def test_a_state_listing_kinds_once_per_record_reads_as_the_set():
    story = contracted(to_implementation(to_notice(registered())))
    stored = story.state.model_dump(mode="json") | {
        "in_step": ["tender_notice", "bid", "contract", "site_photo", "site_photo"]
    }
    read = ProjectState.model_validate(stored)
    assert read.in_step == ("bid", "contract", "site_photo", "tender_notice")
    assert ProjectState.model_validate_json(read.model_dump_json()) == read
