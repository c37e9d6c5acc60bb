"""Oversight for anyone: a region's indicators, the notarized alerts with links to their evidence,
and the townships ranked on both (the red and black lists).

Indicators and the ranking are aggregates of the projects' records (:mod:`notary.oversight`). An
alert is listed with the link to its own record (``/verify?id=``, verified in the browser against
the pinned key) and its evidence records; an evidence record the caller may not read is named by
its leaf index and kind only (what the public alert record itself says), never linked.
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
from api.service.oversight import OVERSIGHT_PARTY, NotarizedAlert, county_zone, entry_readers
from api.storage.parties import Principal
from notary.errors import InvalidRequestError
from notary.oversight import Indicators, Period, RegionScope, indicators
from notary.oversight.alert import Severity, Subject, Words

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
    snapshots = await run_in_threadpool(lambda: ctx.oversight().snapshots().values())
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
    snapshots = list(oversight.snapshots().values())
    names = sorted({s.region.township for s in snapshots if s.region.county == county})
    rows = []
    for name in names:
        scope = RegionScope(county=county, township=name)
        found = oversight.alerts_in(scope, None)
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
    )
