"""The rules over the synthetic county: every injected irregularity found, few false alarms; the
county's records are what the gate lets through, but the ones marked as coming from outside."""

import time

import pytest

from notary.lifecycle import DEFAULT_RULES, LifecycleRefusal, replay
from notary.oversight import (
    RULES,
    Period,
    RegionScope,
    evaluate,
    indicators,
    load_config,
    parse_alert_record,
)
from notary.records import Record
from scripts.synthetic_county import (
    LAX_RULES,
    SHARE_EDGE,
    County,
    generate,
    score,
    snapshots,
    table,
)
from scripts.synthetic_project import START, TOWNSHIPS


@pytest.fixture(scope="module")
def county() -> County:
    return generate()


@pytest.fixture(scope="module")
def snaps(county):
    return snapshots(county)


def test_the_rules_find_every_injected_irregularity_with_few_false_alarms(county, snaps):
    started = time.process_time()
    alerts = evaluate(snaps, county.at)
    took = time.process_time() - started
    scores = score(alerts, county.truth, list(RULES))
    print(f"\n{table(scores)}\nrules over {len(snaps)} projects: {took * 1000:.0f} ms CPU")
    for s in scores:
        assert s.injected >= 2, f"{s.rule}: too few irregularities injected to measure"
        assert s.recall == 1.0, f"{s.rule} missed an injected irregularity"
        assert s.precision >= 0.9, f"{s.rule} raised false alarms"


def test_the_county_is_of_the_size_asked(county):
    assert len(county.projects) == 500
    assert {s.region.township for s in snapshots(county)} == set(TOWNSHIPS)
    assert len(county.log) > 10_000
    assert [r.leaf_index for r in county.log] == list(range(len(county.log)))


def test_the_records_pass_the_gate_but_those_marked_as_from_outside(county):
    gate = {i.gate for i in county.truth if i.gate is not None}
    refused: dict[str, str] = {}
    for code, records in county.projects.items():
        plain = [r.record for r in records]
        marked = [i for i, r in enumerate(records) if r.leaf_index in county.outside]
        if code in county.lax:  # passed under laxer rules only
            replay(plain, LAX_RULES)
            with pytest.raises(LifecycleRefusal) as e:
                replay(plain, DEFAULT_RULES)
            refused[code] = e.value.rule
        elif marked:
            first = marked[0]
            replay(plain[:first])
            with pytest.raises(LifecycleRefusal) as e:
                replay(plain[: first + 1])
            refused[code] = e.value.rule
        else:
            replay(plain)
    for injected in county.truth:
        (code,) = injected.projects if injected.gate else (None,)
        if code is not None:
            assert refused.pop(code) == injected.gate, injected
    assert refused == {}  # nothing refused that is not an injection the gate would refuse
    assert gate == {
        "order.already_recorded",
        "payment.not_approved",
        "step.kind_not_allowed",
        "notice.too_short",
        "order.missing_prerequisite",
    }


def test_rerunning_the_rules_raises_the_same_alerts_and_they_are_valid_records(county, snaps):
    first = evaluate(snaps, county.at)
    looser = load_config(
        {"serious_delay": {"margin_days": 35}, "over_budget": {"tolerance_percent": 1}}
    )
    again = evaluate(snapshots(county), county.at, looser)
    assert [a.id for a in again] == [a.id for a in first]
    for alert in first:
        record = Record(
            kind="alert",
            data=alert.record_data(),
            submitter="oversight",
            received_at="2027-01-01T00:00:00Z",
        )
        assert parse_alert_record(record.data) == alert
        for ref in alert.evidence:
            logged = county.log[ref.leaf_index]
            assert (logged.record_id, logged.record.kind, logged.record.project) == (
                ref.record_id,
                ref.kind,
                ref.project,
            )


def test_indicators_of_the_county_add_up_over_its_townships(snaps):
    year = Period(start=START.replace(month=1, day=1), end=START.replace(year=2027, month=1, day=1))
    whole = indicators(snaps, RegionScope(county="西泉县"), year)
    parts = [indicators(snaps, RegionScope(county="西泉县", township=t), year) for t in TOWNSHIPS]
    assert whole.registered == sum(p.registered for p in parts) == 500
    assert whole.paid_fen == sum(p.paid_fen for p in parts) > 0
    assert 0.9 < (whole.start_rate or 0) <= 1 and 0.5 < (whole.completion_rate or 0) < 1
    assert whole.objections > 0
    started = time.process_time()
    for _ in range(10):
        indicators(snaps, RegionScope(county="西泉县"), year)
    print(
        f"\nindicators over {len(snaps)} projects: {(time.process_time() - started) * 100:.1f} ms CPU"
    )


def test_the_near_misses_sit_at_the_thresholds(county, snaps):
    by_code = {s.code: s for s in snaps}
    seen = {}
    for code, decoy in county.decoys.items():
        s = by_code[code]
        if decoy.startswith("stall"):
            seen[decoy] = (county.at.date() - s.project.planned_end).days
        elif decoy == "notice_7":
            (cycle,) = s.notices
            assert cycle.published and cycle.approval
            seen[decoy] = round((cycle.published.at - cycle.approval.at).total_seconds() / 86400, 3)
        elif decoy == "budget_edge":
            seen[decoy] = s.contract_total_fen() - s.project.budget_fen
        elif decoy == "photo_edge":
            (photo,) = s.photos
            seen[decoy] = [(f.id, round(f.evidence["distance_m"])) for f in photo.flags]
        else:
            seen[decoy] = len(s.photos)  # photo_similar: 14 bits from another: no flag at all
    assert seen == {
        "stall_20": 20,
        "stall_30": 30,
        "notice_7": 7.0,
        "budget_edge": 0,
        "photo_edge": [("photo.outside_site", 30)],
        "photo_similar": 0,
    }
    edge = TOWNSHIPS[SHARE_EDGE]
    won = [s.awarded_to.organisation for s in snaps if s.region.township == edge and s.awarded_to]
    assert max(won.count(o) for o in set(won)) * 10 == len(won) * 3  # exactly 30%
