"""The forecasts over the synthetic county: on held-out townships they beat the naive baselines, and
a forecast made at a time reads nothing recorded after it. The county's signal is synthetic."""

import time
from datetime import datetime

import pytest

from notary.oversight import LoggedRecord, ProjectSnapshot, snapshot_of
from notary.oversight.forecast import Example, History, example_time, features
from scripts.forecast_eval import TRAIN, county_examples, measure, table
from scripts.synthetic_county import County, generate, snapshots
from scripts.synthetic_project import CST


@pytest.fixture(scope="module")
def county() -> County:
    return generate()


@pytest.fixture(scope="module")
def snaps(county: County) -> list[ProjectSnapshot]:
    return snapshots(county)


@pytest.fixture(scope="module")
def found(county: County, snaps: list[ProjectSnapshot]) -> dict[str, Example]:
    return county_examples(county, snaps)


def test_the_model_beats_the_baselines_on_held_out_townships(snaps, found):
    started = time.process_time()
    measures = measure(found, snaps)
    print(f"\n{table(measures)}\ntrained and measured in {time.process_time() - started:.2f} s CPU")
    for m in measures:
        assert m.held_out >= 100 and 15 <= m.positives <= m.held_out - 15, m
        assert m.auc["model"] >= m.auc["budget only"] + 0.05, m
        assert m.auc["model"] >= 0.6, m
        assert m.brier["model"] < m.brier["base rate"], m
        assert m.brier["model"] < m.brier["budget only"], m


def test_training_and_held_out_projects_do_not_overlap(snaps, found):
    township = {s.code: s.region.township for s in snaps}
    learn = {c for c in found if township[c] in TRAIN}
    held_out = {c for c in found if township[c] not in TRAIN}
    assert learn and held_out and not learn & held_out
    assert len({township[c] for c in held_out}) == 5


def test_a_forecast_reads_nothing_recorded_after_its_time(county, snaps):
    history, checked = History(snaps, CST), 0
    for s in [s for s in snaps if s.region.township not in TRAIN][::40]:
        at = example_time(s, CST)
        if at >= county.at or s.contract is None or s.contract.event.at >= at:
            continue
        known: dict[str | None, list[LoggedRecord]] = {}
        for logged in county.log:
            if datetime.fromisoformat(logged.record.received_at) >= at:
                break  # the log is in the order received
            known.setdefault(logged.record.project, []).append(logged)
        then = [snapshot_of(records) for records in known.values()]
        own = next(t for t in then if t.code == s.code)
        assert features(s, at, history) == features(own, at, History(then, CST)), s.code
        checked += 1
    assert checked >= 3
