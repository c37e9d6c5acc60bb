"""Forecasts served from the real database (SQLite and PostgreSQL): trained on the small synthetic
county appended through the log, they are the core's on the same records; nothing is forecast
while too few outcomes are known; the models are trained once per log size and county day.
The county's signal is synthetic: these tests check the serving, not the forecasts' worth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from api.run.demo_county import QUIRKS, County, append_county, small_county
from api.service.forecasts import MIN_KNOWN, Forecasts, trained
from api.service.notary import Notary
from api.service.oversight import Oversight
from api.settings import Settings
from notary.lifecycle import LifecycleRules
from notary.oversight import LoggedRecord, ProjectSnapshot, RegionScope, snapshot_of
from notary.oversight.forecast import (
    ForecastModel,
    History,
    delay_outcome,
    examples,
    forecast,
    running,
    train,
)
from notary.records import Record
from scripts.synthetic_project import CST
from tests.integration.api.conftest import Api, make_api

LAX = LifecycleRules(notice_min_days=1)
COUNTY = RegionScope(county="西泉县")
#: The small county's project given the "stall" quirk: a contract signed, never completed.
STALLED = f"XQ-2026-{QUIRKS.index('stall') * 2 + 1:04d}"


@pytest.fixture(scope="module")
def county() -> County:
    return small_county()


@pytest.fixture(scope="module")
def core(county: County) -> list[ProjectSnapshot]:
    """The county's snapshots made by the core from the records (leaf indexes as appended)."""
    by_project: dict[str, list[LoggedRecord]] = {}
    for index, record in enumerate(county[0]):
        by_project.setdefault(str(record.project), []).append(LoggedRecord(index, "", record))
    return [snapshot_of(records) for records in by_project.values()]


@dataclass
class Loaded:
    notary: Notary
    forecasts: Forecasts
    at: datetime


def _load(url: str, tmp_path: Path, county: County) -> Iterator[Loaded]:
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    notary = Notary.open(settings)
    append_county(notary, county, LAX)
    yield Loaded(notary, Forecasts(notary, Oversight.open(notary, settings)), county[2])
    notary.close()


@pytest.fixture
def loaded(db_url: str, tmp_path: Path, county: County) -> Iterator[Loaded]:
    yield from _load(db_url, tmp_path, county)


@pytest.fixture
def on_sqlite(sqlite_url: str, tmp_path: Path, county: County) -> Iterator[Loaded]:
    yield from _load(sqlite_url, tmp_path, county)


def test_the_served_forecasts_are_the_cores(loaded: Loaded, core: list[ProjectSnapshot]) -> None:
    served = loaded.forecasts.region(COUNTY, loaded.at)
    history = History(core, CST)
    found = list(examples(core, history, loaded.at).values())
    model = ForecastModel(delay=train(found, "delay"), overrun=train(found, "overrun"))
    expected = {
        s.code: forecast(s, loaded.at, history, model) for s in core if running(s, loaded.at)
    }
    assert served.training.model == model
    assert served.training.known["delay"] >= MIN_KNOWN and served.training.positive["delay"] > 0
    assert {p.snapshot.code: p.forecast for p in served.projects} == expected
    # the stalled project is running, and already late: that is a fact, only its overrun a risk
    stalled = next(p for p in served.projects if p.snapshot.code == STALLED)
    assert stalled.happened == {"delay"} and stalled.risk == stalled.forecast.overrun_risk
    risks = [p.risk for p in served.projects]
    assert risks == sorted(risks, reverse=True)
    assert served.training.reason() is None


def test_a_region_gets_only_its_running_projects(on_sqlite: Loaded) -> None:
    whole = on_sqlite.forecasts.region(COUNTY, on_sqlite.at)
    townships = {p.snapshot.region.township for p in whole.projects}
    for township in townships:
        part = on_sqlite.forecasts.region(
            RegionScope(county=COUNTY.county, township=township), on_sqlite.at
        )
        assert part.projects == [
            p for p in whole.projects if p.snapshot.region.township == township
        ]
    elsewhere = on_sqlite.forecasts.region(RegionScope(county="东泉县"), on_sqlite.at)
    assert elsewhere.projects == [] and elsewhere.training is whole.training


def test_too_few_known_outcomes_forecast_nothing(on_sqlite: Loaded) -> None:
    # Mid-year most projects are still running: their outcomes are not known yet.
    early = datetime.fromisoformat("2026-04-15T12:00:00+08:00")
    found = on_sqlite.forecasts.region(COUNTY, early)
    assert found.training.model is None and found.projects == []
    assert found.training.known["delay"] < MIN_KNOWN
    reason = found.training.reason()
    assert reason is not None and f"{found.training.known['delay']} (delay)" in reason.en
    assert str(MIN_KNOWN) in reason.zh


def test_outcomes_all_alike_train_nothing(county: County, core: list[ProjectSnapshot]) -> None:
    # Enough projects, but every one finished on time: a model would learn nothing of delay.
    on_time = [s for s in core if delay_outcome(s, county[2]) is False]
    assert len(on_time) >= MIN_KNOWN
    history = History(on_time, CST)
    training = trained(on_time, history, county[2])
    assert training.model is None
    assert training.positive["delay"] == 0 and training.known["delay"] >= MIN_KNOWN


def test_the_models_are_trained_once_per_log_size_and_day(on_sqlite: Loaded) -> None:
    forecasts, at = on_sqlite.forecasts, on_sqlite.at
    first = forecasts.region(COUNTY, at).training
    assert forecasts.region(COUNTY, at + timedelta(hours=5)).training is first
    on_sqlite.notary.submit(
        [
            Record(
                project=None,
                stage=None,
                kind="document",
                data={},
                submitter="p-any",
                received_at="2027-01-01T01:00:00Z",
            )
        ]
    )
    again = forecasts.region(COUNTY, at).training
    assert again is not first and again.model == first.model  # retrained: nothing changed
    assert forecasts.region(COUNTY, at + timedelta(days=1)).training is not again


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, county: County) -> Iterator[Api]:
    for api in make_api(tmp_path_factory.mktemp("forecasts")):
        append_county(api.client.app.state.ctx.notary, county, LAX)  # type: ignore[attr-defined]
        yield api


def test_the_route_is_public_and_shows_nothing_private(served: Api, county: County) -> None:
    r = served.client.get("/v1/oversight/forecasts", params={"county": COUNTY.county})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["available"] is True and body["reason"] is None
    assert body["training"]["known"]["delay"] >= MIN_KNOWN
    assert body["note"]["zh"].startswith("预测只是提示") and "never a verdict" in body["note"]["en"]
    assert body["total"] == len(body["forecasts"]) >= 1
    for f in body["forecasts"]:
        assert set(f) == {"code", "name", "region", "delay", "overrun", "project_url"}
        for risk in (f["delay"], f["overrun"]):
            assert set(risk) == {"happened", "risk", "factors"}
            if risk["happened"] is not None:  # a fact, not a forecast
                assert risk["risk"] is None and risk["factors"] == []
                continue
            assert risk["risk"] == round(risk["risk"], 2)
            for factor in risk["factors"]:
                assert set(factor) == {"feature", "words"}  # no value, no contribution
    # the contractors and the amounts the forecasts read are in no answer
    contracts = [rec.data for rec in county[0] if rec.kind == "contract"]
    assert contracts
    for data in contracts:
        assert data["actor"]["organisation"] not in r.text
        assert str(data["amount_fen"]) not in r.text


def test_the_route_filters_to_a_township(served: Api) -> None:
    whole = served.client.get("/v1/oversight/forecasts", params={"county": COUNTY.county}).json()
    township = whole["forecasts"][0]["region"]["township"]
    part = served.client.get(
        "/v1/oversight/forecasts", params={"county": COUNTY.county, "township": township}
    ).json()
    assert part["forecasts"] == [
        f for f in whole["forecasts"] if f["region"]["township"] == township
    ]
