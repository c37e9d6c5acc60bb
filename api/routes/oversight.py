"""Oversight for anyone: a region's indicators, the notarized alerts with links to their evidence,
the townships ranked on both (the red and black lists), and the forecasts of delay and overrun of
its running projects (a warning, never a verdict).

Indicators and the ranking are aggregates of the projects' records (:mod:`notary.oversight`). An
alert is listed with the link to its own record (``/verify?id=``, verified in the browser against
the pinned key) and its evidence records; an evidence record the caller may not read is named by
its leaf index and kind only (what the public alert record itself says), never linked.

A forecast is computed from every record of the log, private ones included, so it shows only what
is public (the project's code, name and region) and the risks rounded to a percent with the names
of the factors that raised them — never a factor's value, an amount or a contractor.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict

from api.context import AppContext
from api.routes.deps import Ctx, MaybePrincipal, may_read
from api.routes.schemas import ERRORS
from api.service.forecasts import MIN_KNOWN, ProjectForecast, RegionForecasts
from api.service.oversight import (
    OVERSIGHT_PARTY,
    NotarizedAlert,
    county_zone,
    entry_readers,
    now_in,
)
from api.storage.parties import Principal
from notary.errors import InvalidRequestError
from notary.lifecycle import Region
from notary.oversight import Indicators, Period, ProjectSnapshot, RegionScope, indicators
from notary.oversight.alert import AlertSource, Severity, Subject, Words
from notary.oversight.forecast import HAPPENED, NOTE, Factor, Target

router = APIRouter(tags=["oversight"])

_PLACE = Query(min_length=1, max_length=64)
_RULE = Query(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.]*$")
#: How much each severity weighs in a township's score on the ranking.
_WEIGHT: dict[str, int] = {"notice": 1, "warning": 2, "serious": 3}
#: Townships at each end of the ranking: the red list (best) and the black list (worst).
_LISTED = 3


class EvidenceLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    leaf_index: int
    kind: str
    project: str | None
    #: The record's id and page: only when the caller may read the record.
    record_id: str | None
    verify_url: str | None


class AlertRecordLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    leaf_index: int
    verify_url: str


class AlertOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    severity: Severity
    title: Words
    explanation: Words
    subject: Subject
    figures: dict[str, Any]
    thresholds: dict[str, Any]
    evaluated_at: datetime
    evidence_count: int
    record: AlertRecordLink
    evidence: list[EvidenceLink]
    #: The timeline pages of the projects the alert is about.
    project_urls: dict[str, str]
    #: The imported file's row an alert was found in (a payment that does not match its request).
    source: AlertSource | None = None


class AlertList(BaseModel):
    alerts: list[AlertOut]
    total: int


class TownshipRank(BaseModel):
    township: str
    rank: int
    list: Literal["red", "black"] | None
    #: Alerts weighted by severity (notice 1, warning 2, serious 3): lower ranks better.
    score: int
    alerts: int
    indicators: Indicators


class Ranking(BaseModel):
    county: str
    period: Period
    townships: list[TownshipRank]


class ForecastFactor(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str
    words: Words


class Risk(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: The outcome has already happened (late past the days of grace, the contract grown past the
    #: limit), in words: a fact, not a forecast; then ``risk`` is null and no factor is given.
    happened: Words | None
    #: The chance, rounded to a percent.
    risk: float | None
    #: The factors that raised it most, the strongest first.
    factors: list[ForecastFactor]


class ForecastOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    region: Region
    delay: Risk
    overrun: Risk
    project_url: str


class ForecastTraining(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: When the models were trained, on the outcomes known then.
    trained_at: datetime
    #: Projects whose outcome of each target was known (training examples).
    known: dict[Target, int]
    #: Known outcomes of each target needed before anything is forecast.
    minimum: int


class ForecastList(BaseModel):
    at: datetime
    #: False when there are too few known outcomes to train on: ``reason`` says so.
    available: bool
    reason: Words | None
    #: A forecast is a warning for closer attention, never a verdict.
    note: Words
    training: ForecastTraining
    forecasts: list[ForecastOut]
    total: int


def _period(ctx: AppContext, start: date | None, end: date | None) -> Period:
    """The days ``start`` to ``end`` inclusive, in the county's offset (default: from 2000 to
    today)."""
    zone = county_zone(ctx.settings)
    first = start or date(2000, 1, 1)
    last = end or datetime.now(zone).date()
    if last < first:
        raise InvalidRequestError("to: the period ends before it starts")
    return Period(
        start=datetime.combine(first, time(), zone),
        end=datetime.combine(last + timedelta(days=1), time(), zone),
    )


def _scope(county: str, township: str | None, village: str | None) -> RegionScope:
    if village is not None and township is None:
        raise InvalidRequestError("village: a village is named within its township")
    return RegionScope(county=county, township=township, village=village)


From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


@router.get("/v1/oversight/indicators", response_model=Indicators, responses=ERRORS)
async def get_indicators(
    ctx: Ctx,
    *,
    county: Annotated[str, _PLACE],
    township: Annotated[str | None, _PLACE] = None,
    village: Annotated[str | None, _PLACE] = None,
    start: From = None,
    end: To = None,
) -> Indicators:
    """The indicators of the projects of a region registered in a period, as at its end."""
    scope, period = _scope(county, township, village), _period(ctx, start, end)
    snapshots = await run_in_threadpool(lambda: ctx.oversight().snapshots_in(county).values())
    return indicators(snapshots, scope, period)


@router.get("/v1/oversight/ranking", response_model=Ranking, responses=ERRORS)
async def get_ranking(
    ctx: Ctx, *, county: Annotated[str, _PLACE], start: From = None, end: To = None
) -> Ranking:
    """The county's townships ranked on their notarized alerts (weighted by severity), then on
    the period's completion rate: the first are the red list, the last the black list."""
    period = _period(ctx, start, end)
    return await run_in_threadpool(_ranking, ctx, county, period)


def _ranking(ctx: AppContext, county: str, period: Period) -> Ranking:
    oversight = ctx.oversight()
    townships: dict[str, list[ProjectSnapshot]] = {}
    for s in oversight.snapshots_in(county).values():
        townships.setdefault(s.region.township, []).append(s)
    alerts = oversight.alerts_by_township(county)
    rows = []
    for name, snapshots in sorted(townships.items()):
        scope = RegionScope(county=county, township=name)
        found = alerts.get(name, [])
        rows.append(
            (
                sum(_WEIGHT[n.alert.severity] for n in found),
                len(found),
                name,
                indicators(snapshots, scope, period),
            )
        )
    rows.sort(key=lambda r: (r[0], -(r[3].completion_rate or 0.0), r[2]))
    listed = min(_LISTED, len(rows) // 2)
    return Ranking(
        county=county,
        period=period,
        townships=[
            TownshipRank(
                township=name,
                rank=i + 1,
                list="red" if i < listed else "black" if i >= len(rows) - listed else None,
                score=score,
                alerts=count,
                indicators=figures,
            )
            for i, (score, count, name, figures) in enumerate(rows)
        ],
    )


@router.get("/v1/alerts", response_model=AlertList, responses=ERRORS)
async def list_alerts(
    ctx: Ctx,
    who: MaybePrincipal,
    *,
    county: Annotated[str | None, _PLACE] = None,
    township: Annotated[str | None, _PLACE] = None,
    village: Annotated[str | None, _PLACE] = None,
    rule: Annotated[str | None, _RULE] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertList:
    """The notarized alerts about a region (newest first), each with its record and evidence."""
    if county is None and township is not None:
        raise InvalidRequestError("township: a township is named within its county")
    scope = _scope(county, township, village) if county is not None else None
    return await run_in_threadpool(_alerts, ctx, who, scope, rule, limit)


def _alerts(
    ctx: AppContext, who: Principal | None, scope: RegionScope | None, rule: str | None, limit: int
) -> AlertList:
    shown = [
        n
        for n in ctx.oversight().alerts_in(scope, rule)
        if may_read(who, n.public, OVERSIGHT_PARTY)
    ]
    page = shown[:limit]
    readers = entry_readers(ctx.notary, [r.leaf_index for n in page for r in n.alert.evidence])
    return AlertList(alerts=[_alert_out(n, who, readers) for n in page], total=len(shown))


def _alert_out(
    n: NotarizedAlert, who: Principal | None, readers: dict[int, tuple[bool, str]]
) -> AlertOut:
    alert = n.alert

    def link(leaf: int, record_id: str) -> tuple[str | None, str | None]:
        public, submitter = readers.get(leaf, (False, ""))
        if not may_read(who, public, submitter):
            return None, None
        return record_id, f"/verify?id={record_id}"

    evidence = []
    for ref in alert.evidence:
        record_id, url = link(ref.leaf_index, ref.record_id)
        evidence.append(
            EvidenceLink(
                leaf_index=ref.leaf_index,
                kind=ref.kind,
                project=ref.project,
                record_id=record_id,
                verify_url=url,
            )
        )
    return AlertOut(
        id=alert.id,
        rule=alert.rule,
        severity=alert.severity,
        title=alert.title,
        explanation=alert.explanation,
        subject=alert.subject,
        figures=alert.figures,
        thresholds=alert.thresholds,
        evaluated_at=alert.evaluated_at,
        evidence_count=alert.evidence_count,
        record=AlertRecordLink(
            id=n.record_id, leaf_index=n.leaf_index, verify_url=f"/verify?id={n.record_id}"
        ),
        evidence=evidence,
        project_urls={code: f"/projects/{code}" for code in alert.subject.projects},
        source=alert.source,
    )


@router.get("/v1/oversight/forecasts", response_model=ForecastList, responses=ERRORS)
async def get_forecasts(
    ctx: Ctx,
    *,
    county: Annotated[str, _PLACE],
    township: Annotated[str | None, _PLACE] = None,
    village: Annotated[str | None, _PLACE] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ForecastList:
    """The running projects of a region with the highest risk of delay or overrun now, each with
    the factors that raised it: a warning for closer attention, never a verdict. Trained on this
    deployment's projects whose outcome is known; nothing is forecast while they are too few."""
    scope, at = _scope(county, township, village), now_in(ctx.settings)
    found = await run_in_threadpool(lambda: ctx.forecasts().region(scope, at))
    return _forecast_list(found, at, limit)


def _forecast_list(found: RegionForecasts, at: datetime, limit: int) -> ForecastList:
    training = found.training
    return ForecastList(
        at=at,
        available=training.model is not None,
        reason=training.reason(),
        note=NOTE,
        training=ForecastTraining(
            trained_at=training.at, known=dict(training.known), minimum=MIN_KNOWN
        ),
        forecasts=[_forecast_out(p) for p in found.projects[:limit]],
        total=len(found.projects),
    )


def _risk(
    target: Target, happened: frozenset[Target], risk: float, factors: tuple[Factor, ...]
) -> Risk:
    if target in happened:
        return Risk(happened=HAPPENED[target], risk=None, factors=[])
    return Risk(
        happened=None,
        risk=round(risk, 2),
        factors=[ForecastFactor(feature=f.feature, words=f.words) for f in factors],
    )


def _forecast_out(p: ProjectForecast) -> ForecastOut:
    project, f = p.snapshot.project, p.forecast
    return ForecastOut(
        code=project.code,
        name=project.name,
        region=project.region,
        delay=_risk("delay", p.happened, f.delay_risk, f.delay_factors),
        overrun=_risk("overrun", p.happened, f.overrun_risk, f.overrun_factors),
        project_url=f"/projects/{project.code}",
    )
