"""Indicators of a region and a period, on a tiny hand-made county."""

import pytest
from pydantic import ValidationError

from notary.lifecycle import Step
from notary.oversight import Period, RegionScope, indicators
from tests.support.oversight import Log, day

MILLION = 1_000_000


def county() -> Log:
    log = Log()
    log.register("A", at=day(0), budget_fen=12 * MILLION)
    for kind, at in (
        ("application", 1),
        ("approval", 3),
        ("notice_published", 4),
        ("objection", 5),
    ):
        log.add("A", kind, day(at))
    log.add("A", "notice_closed", day(10))
    log.add("A", "contract", day(15), {"amount_fen": 10 * MILLION})
    log.add("A", "change_order", day(20), {"amount_delta_fen": MILLION})
    log.add("A", "completion", day(40))
    log.add("A", "payment", day(50), {"amount_fen": 11 * MILLION})  # after the period
    log.register("B", at=day(2), village="王村", budget_fen=6 * MILLION)
    log.add("B", "contract", day(20), {"amount_fen": 5 * MILLION})
    log.register("C", at=day(5), budget_fen=2 * MILLION)
    log.register("D", at=day(6), township="东山镇")
    log.register("E", at=day(45))  # registered as the period ends: not in it
    return log


PERIOD = Period(start=day(0), end=day(45))
TOWNSHIP = RegionScope(county="西泉县", township="清河镇")


def test_a_township_in_a_period():
    got = indicators(county().snapshots(), TOWNSHIP, PERIOD)
    assert (got.registered, got.started, got.completed) == (3, 2, 1)
    assert (got.start_rate, got.completion_rate) == (0.6667, 0.3333)
    assert (got.budget_fen, got.contract_fen, got.paid_fen) == (20 * MILLION, 16 * MILLION, 0)
    assert (got.contract_ratio, got.paid_ratio) == (0.8, 0.0)
    assert (got.objections, got.objections_upheld, got.projects_with_objections) == (1, 0, 1)
    days = {t.step: (t.stays, t.mean_days, t.max_days) for t in got.step_days}
    assert days == {
        Step.APPLICATION: (1, 1.0, 1.0),
        Step.REVIEW: (1, 2.0, 2.0),
        Step.NOTICE: (1, 7.0, 7.0),
        Step.IMPLEMENTATION: (1, 30.0, 30.0),
        Step.SETTLEMENT: (0, 0.0, 0.0),
    }


def test_figures_are_as_at_the_period_end():
    later = Period(start=day(0), end=day(60))
    got = indicators(county().snapshots(), TOWNSHIP, later)
    assert got.registered == 4 and got.paid_fen == 11 * MILLION


def test_a_village_and_a_county():
    snapshots = county().snapshots()
    village = RegionScope(county="西泉县", township="清河镇", village="李庄村")
    assert indicators(snapshots, village, PERIOD).registered == 2
    assert indicators(snapshots, RegionScope(county="西泉县"), PERIOD).registered == 4
    nothing = indicators(snapshots, RegionScope(county="东泉县"), PERIOD)
    assert nothing.registered == 0 and nothing.start_rate is None and nothing.paid_ratio is None


def test_scopes_and_periods_must_make_sense():
    with pytest.raises(ValidationError):
        RegionScope(county="西泉县", village="李庄村")
    with pytest.raises(ValidationError):
        Period(start=day(1), end=day(1))
