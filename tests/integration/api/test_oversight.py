"""Oversight on the real database (SQLite and PostgreSQL): a small synthetic county appended
through the log's append path, the rules run, each alert notarized once and verifiable offline, the
indicators equal to the core's on the same records — and an alert filed by anyone but the oversight
service neither suppresses a finding nor is taken for one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from api.run.demo_county import County, append_county, small_county
from api.service.notary import Notary
from api.service.oversight import OVERSIGHT_PARTY, Oversight, config_from_settings
from api.settings import Settings, SettingsError
from notary.bundle import verify_bundle
from notary.lifecycle import LifecycleRules
from notary.oversight import (
    LoggedRecord,
    Period,
    ProjectSnapshot,
    RegionScope,
    evaluate,
    indicators,
    parse_alert_record,
    snapshot_of,
)
from notary.records import Record
from notary.trust import TrustRoot

LAX = LifecycleRules(notice_min_days=1)
COUNTY = "西泉县"
EXPECTED = {
    "bidder_change",
    "over_budget",
    "serious_delay",
    "payment_without_acceptance",
    "acceptance_before_completion",
}


@pytest.fixture(scope="module")
def county() -> County:
    return small_county()


@dataclass
class Loaded:
    notary: Notary
    settings: Settings
    county: County

    @property
    def at(self) -> datetime:
        return self.county[2]


@pytest.fixture
def loaded(db_url: str, tmp_path: Path, county: County) -> Iterator[Loaded]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    notary = Notary.open(settings)
    append_county(notary, county, LAX)
    yield Loaded(notary, settings, county)
    notary.close()


def _core_alerts(county: County) -> list[dict[str, object]]:
    """The alerts the core raises on the same records (leaf indexes as appended)."""
    snapshots = _core_snapshots(county)
    return [a.record_data() for a in evaluate(snapshots, county[2])]


def _core_snapshots(county: County) -> list[ProjectSnapshot]:
    by_project: dict[str, list[LoggedRecord]] = {}
    for index, record in enumerate(county[0]):
        by_project.setdefault(str(record.project), []).append(LoggedRecord(index, "", record))
    return [snapshot_of(records) for records in by_project.values()]


def test_an_alert_filed_by_another_party_suppresses_nothing(loaded: Loaded) -> None:
    # The attacker learns what a finding will be and files it first, under its own name.
    oversight = Oversight.open(loaded.notary, loaded.settings)
    genuine = evaluate(list(oversight.snapshots().values()), loaded.at)
    forged = [
        Record(
            project=None,
            stage=None,
            kind="alert",
            data=a.record_data(),
            submitter="contractor",
            received_at="2026-12-31T00:00:00Z",
        )
        for a in genuine
    ]
    loaded.notary.submit(forged)
    result = oversight.run(loaded.at)
    assert len(result.notarized) == len(genuine)
    notarized = oversight.notarized()
    assert {n.record_id for n in notarized.values()} == {a.record_id for a in result.notarized}
    for accepted in result.notarized:
        assert accepted.entry.record.submitter == OVERSIGHT_PARTY


def test_alerts_are_notarized_once_and_verify_offline(loaded: Loaded) -> None:
    first = Oversight.open(loaded.notary, loaded.settings).run(loaded.at)
    rules = {a.entry.record.data["rule"] for a in first.notarized}
    assert rules >= EXPECTED
    assert first.projects == 40
    # the same rules again, in this process and in a fresh one reading the log: nothing new
    assert Oversight.open(loaded.notary, loaded.settings).run(loaded.at).notarized == ()
    size = loaded.notary.log.size
    assert Oversight.open(loaded.notary, loaded.settings).run(loaded.at).notarized == ()
    assert loaded.notary.log.size == size
    # an alert record verifies against the pinned key, and its id is its own
    loaded.notary.publish_checkpoint()
    stored = loaded.notary.log.get(first.notarized[0].record_id)
    report = verify_bundle(
        loaded.notary.bundle(stored), trust=TrustRoot.pin(loaded.notary.key.public_key)
    )
    assert report.verified, report.reason
    alert = parse_alert_record(stored.record.data)
    assert {e.kind for e in alert.evidence} <= {r.kind for r in loaded.county[0]}
    # the evidence it names is the log's: each leaf holds the record it says
    for ref in alert.evidence:
        held = loaded.notary.log.get_by_index(ref.leaf_index)
        assert (held.record_id, held.record.kind) == (ref.record_id, ref.kind)


def test_the_servers_alerts_are_the_cores(loaded: Loaded) -> None:
    result = Oversight.open(loaded.notary, loaded.settings).run(loaded.at)
    served = sorted(
        (a.entry.record.data["rule"], a.entry.record.data["subject"]) for a in result.notarized
    )
    core = sorted((a["rule"], a["subject"]) for a in _core_alerts(loaded.county))
    assert served == core


def test_indicators_match_the_core(loaded: Loaded) -> None:
    served = list(Oversight.open(loaded.notary, loaded.settings).snapshots().values())
    core = _core_snapshots(loaded.county)
    period = Period(start=datetime.fromisoformat("2026-01-01T00:00:00+08:00"), end=loaded.at)
    for scope in (RegionScope(county=COUNTY), RegionScope(county=COUNTY, township="东山镇")):
        mine = indicators(served, scope, period)
        assert mine == indicators(core, scope, period)
        assert mine.registered > 0


def test_a_run_is_incremental(loaded: Loaded) -> None:
    oversight = Oversight.open(loaded.notary, loaded.settings)
    before = oversight.snapshots()
    again = oversight.snapshots()
    assert all(again[code] is before[code] for code in before)  # nothing appended: all cached


def test_an_append_refolds_only_its_project(loaded: Loaded) -> None:
    oversight = Oversight.open(loaded.notary, loaded.settings)
    before = oversight.snapshots()
    code = sorted(before)[0]
    late = Record(
        project=code,
        kind="progress_report",
        data={"percent": 95},
        submitter="contractor",
        received_at="2026-12-31T00:00:00Z",
    )
    loaded.notary.log.append([(f"{1:032x}", late)])
    after = oversight.snapshots()
    assert after[code] != before[code]
    assert after[code] == Oversight.open(loaded.notary, loaded.settings).snapshots()[code]
    assert all(after[c] is before[c] for c in before if c != code)


def test_a_county_reads_its_own_projects(loaded: Loaded) -> None:
    oversight = Oversight.open(loaded.notary, loaded.settings)
    assert len(oversight.snapshots_in(COUNTY)) == 40
    # a project registered in another county, after the first call: indexed under its county
    registration = next(r for r in loaded.county[0] if r.kind == "project_registration")
    region = registration.data["region"] | {"county": "东岭县"}
    elsewhere = registration.model_copy(
        update={"project": "DL-1", "data": registration.data | {"code": "DL-1", "region": region}}
    )
    loaded.notary.log.append([(f"{2:032x}", elsewhere)])
    everything = oversight.snapshots()
    for county in (COUNTY, "东岭县"):
        mine = oversight.snapshots_in(county)
        assert mine == {c: s for c, s in everything.items() if s.region.county == county}
    assert list(oversight.snapshots_in("东岭县")) == ["DL-1"]
    assert oversight.snapshots_in("东山镇") == {}  # a township is no county


def test_a_countys_alerts_by_township_are_each_townships(loaded: Loaded) -> None:
    oversight = Oversight.open(loaded.notary, loaded.settings)
    oversight.run(loaded.at)
    townships = {s.region.township for s in oversight.snapshots_in(COUNTY).values()}
    grouped = oversight.alerts_by_township(COUNTY)
    assert grouped  # the county has alerts, and they fall in its townships
    assert set(grouped) <= townships
    for township in townships:
        scope = RegionScope(county=COUNTY, township=township)
        assert grouped.get(township, []) == oversight.alerts_in(scope, None)


def test_a_bad_rules_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"serious_delay": {"margin_days": -3}}')
    with pytest.raises(
        SettingsError, match=r"SUNLIGHT_OVERSIGHT_RULES: .*serious_delay\.margin_days"
    ):
        config_from_settings(Settings(data_dir=tmp_path, oversight_rules=path))
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="SUNLIGHT_OVERSIGHT_RULES"):
        config_from_settings(Settings(data_dir=tmp_path, oversight_rules=path))
