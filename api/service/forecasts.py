# ruff: noqa: RUF001 - Chinese words use fullwidth punctuation on purpose
"""Forecasts of delay and overrun for a region's running projects, from the deployment's own log:
a warning for closer attention, never a verdict (docs/forecasts.md).

The two logistic models of :mod:`notary.oversight.forecast` are trained on this log's projects
whose outcome is known, each taken as it stood at 40% of its planned duration
(:func:`~notary.oversight.forecast.examples`) — never on another county's patterns. With fewer than
:data:`MIN_KNOWN` known outcomes of a target, or without both kinds among them (late and on time,
overrun and within), nothing is forecast and the answer says how many are known. An outcome that
has already happened to a running project (past the days of grace, the contract grown past the
limit) is a fact for the alerts, not a risk: it is marked, and a project whose both have is left
out.

Training reads every project, so it is done at most once per log size and county day (outcomes
become known with new records or at a midnight): a page load reads the models from memory, and
only the running projects' features are computed at the time asked.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from api.service.notary import Notary
from api.service.oversight import Oversight
from notary.oversight import ProjectSnapshot, RegionScope
from notary.oversight.alert import Words
from notary.oversight.forecast import (
    Forecast,
    ForecastError,
    ForecastModel,
    History,
    Target,
    delay_outcome,
    examples,
    forecast,
    overrun_outcome,
    running,
    train,
)

__all__ = ["MIN_KNOWN", "Forecasts", "ProjectForecast", "RegionForecasts", "Training", "trained"]

#: Known outcomes of each target needed before anything is forecast (both kinds among them): fewer
#: make a model that repeats a handful of projects, not a pattern.
MIN_KNOWN = 30
_TARGETS: tuple[Target, ...] = ("delay", "overrun")


@dataclass(frozen=True, slots=True)
class Training:
    """What the models were trained on: as at ``at``, the projects whose outcome of each target
    was known and how many of them were late (overran); ``model`` is None when they are too few."""

    at: datetime
    known: Mapping[Target, int]
    positive: Mapping[Target, int]
    model: ForecastModel | None

    def reason(self) -> Words | None:
        """Why nothing is forecast, in words (None when the models were trained)."""
        if self.model is not None:
            return None
        delay, overrun = self.known["delay"], self.known["overrun"]
        return Words(
            en=f"Too few finished projects to forecast from: the outcome is known for {delay} "
            f"(delay) and {overrun} (overrun); at least {MIN_KNOWN} of each are needed, some late "
            "and some on time, some over and some within the contract.",
            zh=f"已有结果的项目太少，暂不预测：已知是否延误的 {delay} 个、是否超支的 {overrun} 个；"
            f"每项至少需要 {MIN_KNOWN} 个，且两种结果都要有。",
        )


def trained(snapshots: Sequence[ProjectSnapshot], history: History, at: datetime) -> Training:
    """The delay and overrun models trained on the projects whose outcome is known at ``at``
    (aware), or none when fewer than :data:`MIN_KNOWN` of either are, or all alike."""
    found = list(examples(snapshots, history, at).values())
    outcomes = {t: [o for e in found if (o := getattr(e, t)) is not None] for t in _TARGETS}
    known = {t: len(o) for t, o in outcomes.items()}
    positive = {t: sum(o) for t, o in outcomes.items()}
    if any(known[t] < MIN_KNOWN or positive[t] in (0, known[t]) for t in _TARGETS):
        return Training(at, known, positive, None)
    model = ForecastModel(delay=train(found, "delay"), overrun=train(found, "overrun"))
    return Training(at, known, positive, model)


@dataclass(frozen=True, slots=True)
class ProjectForecast:
    """A running project's forecast; ``happened``: the outcomes already known to have happened at
    the forecast's time (late, or grown past the limit), which are facts, not risks."""

    snapshot: ProjectSnapshot
    forecast: Forecast
    happened: frozenset[Target]

    @property
    def risk(self) -> float:
        """The highest risk of an outcome that has not happened yet."""
        f = self.forecast
        risks = {"delay": f.delay_risk, "overrun": f.overrun_risk}
        return max(r for t, r in risks.items() if t not in self.happened)


def _project(
    s: ProjectSnapshot, at: datetime, history: History, model: ForecastModel
) -> ProjectForecast:
    known = {"delay": delay_outcome(s, at), "overrun": overrun_outcome(s, at)}
    happened = frozenset(t for t in _TARGETS if known[t])
    return ProjectForecast(s, forecast(s, at, history, model), happened)


@dataclass(frozen=True, slots=True)
class RegionForecasts:
    """A region's running projects with their forecasts, the highest risk first."""

    training: Training
    projects: list[ProjectForecast]


@dataclass(frozen=True, slots=True)
class _Trained:
    key: tuple[int, date]
    training: Training
    snapshots: list[ProjectSnapshot]
    history: History


class Forecasts:
    """The forecasts of one log, its models kept per log size and county day. Thread-safe."""

    def __init__(self, notary: Notary, oversight: Oversight) -> None:
        self._notary = notary
        self._oversight = oversight
        self._lock = threading.Lock()
        self._trained: _Trained | None = None

    def _current(self, at: datetime) -> _Trained:
        if at.tzinfo is None:
            raise ForecastError("a forecast's time must carry its offset")
        with self._lock:  # one training at a time: a second page load waits for the first's
            key = (self._notary.log.size, at.date())
            if self._trained is None or self._trained.key != key:
                snapshots = list(self._oversight.snapshots().values())
                history = History(snapshots, at.tzinfo)
                training = trained(snapshots, history, at)
                self._trained = _Trained(key, training, snapshots, history)
            return self._trained

    def region(self, scope: RegionScope, at: datetime) -> RegionForecasts:
        """The running projects of ``scope`` forecast at ``at`` (in the county's offset), the
        highest risk (of an outcome not happened yet) first; none when the models could not be
        trained."""
        current = self._current(at)
        model = current.training.model
        found = (
            []
            if model is None
            else [
                _project(s, at, current.history, model)
                for s in current.snapshots
                if scope.contains(s.region) and running(s, at)
            ]
        )
        found = [p for p in found if len(p.happened) < len(_TARGETS)]
        found.sort(key=lambda p: (-p.risk, p.snapshot.code))
        return RegionForecasts(current.training, found)
