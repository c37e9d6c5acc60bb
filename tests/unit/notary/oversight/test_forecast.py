"""Forecasts: outcomes as known at a time, features without leakage from the future, the logistic
model (trained, as data, explained) and the measures (Mann-Whitney AUC, Brier)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from notary.oversight import LoggedRecord, snapshot_of
from notary.oversight.forecast import (
    Example,
    ForecastError,
    ForecastModel,
    History,
    auc,
    brier,
    delay_outcome,
    example,
    example_time,
    examples,
    features,
    forecast,
    overrun_outcome,
    train,
)
from tests.support.oversight import AT, Log, day

PLANNED = (date(2026, 4, 1), date(2026, 6, 30))  # day 30 to day 120 after T0
TZ = UTC  # the tests' log is in UTC: a day ends at midnight UTC


def works(
    log: Log,
    code: str,
    *,
    contractor: str = "org-b",
    completed: float | None = None,
    changes: tuple[tuple[float, int], ...] = (),
    progress: tuple[tuple[float, int], ...] = ((60, 30),),
    settled: float | None = None,
) -> None:
    """A project contracted on day 20 for 1 000 000 fen, its progress, changes (day, fen),
    completion and settlement days."""
    log.register(code, planned=PLANNED)
    log.add(code, "contract", day(20), {"amount_fen": 1_000_000}, org=contractor)
    for when, percent in progress:
        log.add(code, "progress_report", day(when), {"percent": percent})
    for when, delta in changes:
        log.add(code, "change_order", day(when), {"amount_delta_fen": delta})
    if completed is not None:
        log.add(code, "completion", day(completed))
    if settled is not None:
        log.add(code, "settlement", day(settled))


def county() -> Log:
    """XQ-1 (org-b) is running on day 70; org-b's XQ-2 was late (known from day 128) and its XQ-3
    on time (day 125); XQ-4 (org-c) finished on time on day 60 and was settled on day 65."""
    log = Log()
    works(log, "XQ-1", changes=((50, 30_000), (90, 40_000)), progress=((60, 5), (95, 60)))
    works(log, "XQ-2", completed=140)
    works(log, "XQ-3", completed=125)
    works(log, "XQ-4", contractor="org-c", completed=60, settled=65)
    return log


def before(log: Log, at: datetime) -> list[list[LoggedRecord]]:
    """Each project's records received before ``at``: all that was known then."""
    return [
        [r for r in records if datetime.fromisoformat(r.record.received_at) < at]
        for records in log.projects.values()
    ]


def test_an_outcome_is_known_only_from_when_it_happened():
    s = {x.code: x for x in county().snapshots()}
    # planned end 30 June + 7 days of grace: late from midnight after 7 July, in the given offset
    late_from = datetime(2026, 7, 8, tzinfo=TZ)
    assert delay_outcome(s["XQ-2"], late_from - timedelta(seconds=1)) is None
    assert delay_outcome(s["XQ-2"], late_from) is True
    assert delay_outcome(s["XQ-4"], day(60)) is None
    assert delay_outcome(s["XQ-4"], day(60.1)) is False  # completed on day 60, before the grace
    assert overrun_outcome(s["XQ-1"], day(90)) is None  # 3% grown: not over the 5% limit yet
    assert overrun_outcome(s["XQ-1"], day(90.1)) is True  # 7%
    assert overrun_outcome(s["XQ-4"], day(65.1)) is False  # settled without change orders


def test_features_at_a_time_are_the_same_from_the_records_known_then():
    log, at = county(), day(70)
    full = log.snapshots()
    known = [snapshot_of(records) for records in before(log, at)]
    from_all = features(full[0], at, History(full, TZ))
    from_then = features(known[0], at, History(known, TZ))
    assert from_all == from_then
    # what came after day 70 did not leak in: the 7% growth, the 60% report, XQ-2's delay (only
    # XQ-4's punctual completion was known: the county's rate was 0, org-b had no record yet)
    assert from_all["change_orders"] == pytest.approx(0.03)
    elapsed = (at - datetime(2026, 4, 1, tzinfo=TZ)) / timedelta(days=90)
    assert from_all["behind_schedule"] == pytest.approx(elapsed - 0.05)
    assert from_all["contractor_late"] == 0.0
    assert from_all["contractor_overrun"] == 0.0


def test_the_contractor_record_counts_only_outcomes_known_then_and_not_the_project_itself():
    full = county().snapshots()
    history = History(full, TZ)
    # on day 150, but XQ-1: XQ-2 late, XQ-3 on time (org-b), XQ-4 on time (org-c): county 1/3,
    # smoothed with the weight of two projects
    assert history.rate("delay", day(150), "org-b", "XQ-1") == pytest.approx((1 + 2 / 3) / 4)
    assert history.rate("delay", day(150), "org-c", "XQ-1") == pytest.approx((0 + 2 / 3) / 3)
    # counting XQ-1 too (late since day 128): county 1/2, org-b 2 of 3
    assert history.rate("delay", day(150), "org-b", "XQ-9") == pytest.approx((2 + 1) / 5)


def test_a_forecast_is_only_for_a_running_project():
    full = county().snapshots()
    history = History(full, TZ)
    with pytest.raises(ForecastError, match="not running"):
        features(full[3], day(61), history)  # completed on day 60
    with pytest.raises(ForecastError, match="not running"):
        features(full[0], day(10), history)  # contract signed on day 20


def test_training_examples_are_the_projects_running_at_their_example_time_in_code_order():
    snaps = county().snapshots()
    assert example_time(snaps[0], TZ) == datetime(2026, 5, 7, 12, tzinfo=UTC)  # 40% of 90 days
    found = examples(snaps, History(snaps, TZ), AT)
    assert list(found) == ["XQ-1", "XQ-2", "XQ-3"]  # XQ-4 was completed before its example time
    assert [e.delay for e in found.values()] == [True, True, False]
    assert found["XQ-1"].features == features(
        snaps[0], example_time(snaps[0], TZ), History(snaps, TZ)
    )
    shuffled = snaps[::-1]
    assert list(examples(shuffled, History(shuffled, TZ), AT)) == list(found)
    early = examples(snaps, History(snaps, TZ), datetime(2026, 5, 7, 12, tzinfo=UTC))
    assert early == {}  # no example time is before then
    with pytest.raises(ForecastError, match="offset"):
        examples(snaps, History(snaps, TZ), AT.replace(tzinfo=None))


def separable() -> list[Example]:
    """Examples whose delay follows behind_schedule, and overrun the change orders."""
    rows = []
    for i in range(40):
        behind, grown = (i % 10) / 10, (i % 7) / 50
        x = {"budget": 1.0, "behind_schedule": behind, "change_orders": grown}
        rows.append(Example(f"XQ-{i}", x, behind > 0.45, grown > 0.05))
    return rows


def test_training_learns_the_signal_and_the_model_is_data():
    rows = separable()
    names = ("budget", "behind_schedule", "change_orders")
    delay = train(rows, "delay", names=names)
    overrun = train(rows, "overrun", names=names)
    assert delay.weights[1] > 1 and abs(delay.weights[2]) < delay.weights[1] / 3
    assert overrun.weights[2] > 1
    risks = [delay.risk(e.features) for e in rows]
    assert auc(risks, [bool(e.delay) for e in rows]) == 1.0
    model = ForecastModel(delay=delay, overrun=overrun)
    again = ForecastModel.model_validate_json(model.model_dump_json())
    assert again.delay.risk(rows[3].features) == delay.risk(rows[3].features)


def test_training_needs_both_outcomes():
    rows = [Example("XQ-1", {"budget": 1.0}, True, None)] * 3
    with pytest.raises(ForecastError, match="both kinds"):
        train(rows, "delay", names=("budget",))


def test_a_forecast_names_the_factors_that_raised_its_risk_in_both_languages():
    full, rows, at = county().snapshots(), separable(), day(90)
    names = ("budget", "behind_schedule", "change_orders")
    model = ForecastModel(
        delay=train(rows, "delay", names=names), overrun=train(rows, "overrun", names=names)
    )
    history = History(full, TZ)
    f = forecast(full[0], at, history, model)  # 60 of 90 days gone, 5% done
    assert f.project == "XQ-1" and f.at == at
    assert example(full[0], at, history, AT).delay is True  # not completed by 2026's end
    assert 0 < f.delay_risk < 1 and 0 < f.overrun_risk < 1
    assert f.delay_factors[0].feature == "behind_schedule"
    assert f.delay_factors[0].contribution > 0
    assert f.delay_factors[0].words.zh == "施工进度落后于计划工期"
    assert [x.contribution for x in f.delay_factors] == sorted(
        (x.contribution for x in f.delay_factors), reverse=True
    )
    assert "never a verdict" in f.note.en and "绝不是结论" in f.note.zh


def test_auc_is_the_mann_whitney_statistic():
    assert auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0
    assert auc([0.5] * 4, [False, True, False, True]) == 0.5
    # pairs (pos, neg): (0.4 vs 0.1) win, (0.4 vs 0.6) lose, (0.6 vs 0.1) win, (0.6 vs 0.6) tie
    assert auc([0.4, 0.6, 0.1, 0.6], [True, True, False, False]) == pytest.approx(2.5 / 4)
    with pytest.raises(ForecastError):
        auc([0.3, 0.4], [True, True])


def test_brier_is_the_mean_squared_gap():
    assert brier([1.0, 0.0], [True, False]) == 0.0
    assert brier([0.5, 0.5], [True, False]) == 0.25
    assert brier([0.2, 0.9], [True, False]) == pytest.approx((0.64 + 0.81) / 2)
    with pytest.raises(ForecastError):
        brier([], [])
