"""The snapshot: one pass over a project's records, every fact linked to its record."""

import pytest

from notary.lifecycle import LifecycleRules, Step
from notary.oversight import SnapshotError, snapshot_of
from notary.oversight.snapshot import LoggedRecord
from notary.records import Record
from tests.support.lifecycle import happy_path
from tests.support.oversight import Log, day


def logged(records: list[Record]) -> list[LoggedRecord]:
    return [LoggedRecord(i, f"rec-{i}", r) for i, r in enumerate(records)]


def test_a_lifecycle_project_folds_to_its_facts():
    story, _ = happy_path()
    s = snapshot_of(logged(story.records))
    state = story.state
    assert s.step is Step.ARCHIVED and s.records == len(story.records)
    assert s.contract_total_fen() == state.contract_total_fen
    assert s.paid_fen() == state.paid_fen
    assert s.awarded_to is not None and s.awarded_to.organisation == state.awarded_to
    assert [p.event.ref.kind for p in s.parties] == ["award", "power_assignment", "contract"]
    assert len(s.objections) == 1 and s.objections_upheld == ()
    assert [v.step for v in s.visits] == [
        Step.APPLICATION,
        Step.REVIEW,
        Step.NOTICE,
        Step.IMPLEMENTATION,
        Step.SETTLEMENT,
        Step.ARCHIVED,
    ]
    assert all(v.left is not None for v in s.visits[:-1]) and s.visits[-1].left is None
    (cycle,) = s.notices
    assert cycle.approval and cycle.published and cycle.closed
    assert cycle.published.ref.kind == "notice_published"
    assert story.records[cycle.published.ref.leaf_index].kind == "notice_published"


def test_the_ceiling_comes_from_the_lifecycle_rules():
    story, _ = happy_path()
    rules = LifecycleRules(ceiling_overrides_fen={"清河镇": 12_345})
    assert snapshot_of(logged(story.records)).ceiling_fen == 40_000_000
    assert snapshot_of(logged(story.records), rules).ceiling_fen == 12_345


def test_money_as_it_stood_at_a_time():
    log = Log()
    log.register("XQ-1")
    log.add("XQ-1", "contract", day(10), {"amount_fen": 100})
    log.add("XQ-1", "change_order", day(20), {"amount_delta_fen": 7})
    log.add("XQ-1", "payment", day(30), {"amount_fen": 50})
    log.add("XQ-1", "payment", day(31), {"amount_fen": True})  # not an amount: not read as one
    s = log.snapshot("XQ-1")
    assert (s.contract_total_fen(day(15)), s.contract_total_fen()) == (100, 107)
    assert (s.paid_fen(day(30)), s.paid_fen()) == (0, 50)


def test_an_upheld_objection_sends_the_project_back_and_opens_a_new_notice():
    log = Log()
    log.register("XQ-1")
    for kind, at in (
        ("application", 1),
        ("approval", 3),
        ("notice_published", 4),
        ("objection", 5),
    ):
        log.add("XQ-1", kind, day(at))
    log.add("XQ-1", "objection_ruling", day(6), {"upheld": True})
    log.add("XQ-1", "approval", day(8))
    s = log.snapshot("XQ-1")
    assert s.step is Step.NOTICE and len(s.objections_upheld) == 1
    assert [(c.approval is not None, c.published is not None) for c in s.notices] == [
        (True, True),
        (True, False),
    ]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda rs: rs[1:], "kind"),
        (lambda rs: [rs[0], rs[2], rs[1]], "leaf_index"),
        (
            lambda rs: [
                rs[0],
                LoggedRecord(9, "x", rs[1].record.model_copy(update={"project": "XQ-9"})),
            ],
            "project",
        ),
        (
            lambda rs: [
                LoggedRecord(0, "x", rs[0].record.model_copy(update={"data": {"code": "XQ-1"}}))
            ],
            "data.name",
        ),
    ],
)
def test_records_that_make_no_snapshot_are_refused_naming_why(mutate, field):
    log = Log()
    log.register("XQ-1")
    log.add("XQ-1", "application", day(1))
    log.add("XQ-1", "approval", day(2))
    with pytest.raises(SnapshotError) as e:
        snapshot_of(mutate(log.projects["XQ-1"]))
    assert e.value.field == field
    with pytest.raises(SnapshotError):
        snapshot_of([])
