# ruff: noqa: RUF001 - Chinese words use fullwidth punctuation on purpose
"""Forecasts of delay and overrun for running projects: a warning, never a verdict.

A running project (contract signed, no completion yet) is described at a time ``at`` by a few
features read only from what was recorded before ``at`` — its own records and the outcomes of other
projects that were known by then (:class:`History`). Two small logistic regressions (one for delay,
one for overrun), trained by plain gradient descent on projects whose outcome is known, turn the
features into risks; each risk comes with the features that pushed it most, in plain words.

The outcomes (:func:`delay_outcome`, :func:`overrun_outcome`) say when each became known, so a
feature never uses an outcome from after ``at``: a forecast at ``at`` is the same from the full
records as from the records before ``at`` only.

Definitions: a project is *late* if it is not completed within :data:`GRACE_DAYS` days after its
planned end; it *overran* if its change orders grew the contract by more than
:data:`GROWTH_LIMIT` of the signed amount. Pure: no I/O, no clock, stdlib only.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from notary.errors import NotaryError
from notary.oversight.alert import Words
from notary.oversight.snapshot import ProjectSnapshot

__all__ = [
    "EXAMPLE_SHARE",
    "FEATURES",
    "GRACE_DAYS",
    "GROWTH_LIMIT",
    "HAPPENED",
    "NOTE",
    "Example",
    "Factor",
    "Forecast",
    "ForecastError",
    "ForecastModel",
    "History",
    "LogisticModel",
    "Target",
    "auc",
    "brier",
    "delay_outcome",
    "example",
    "example_time",
    "examples",
    "features",
    "forecast",
    "overrun_outcome",
    "running",
    "train",
]

GRACE_DAYS = 7
GROWTH_LIMIT = 0.05
#: A training example is a project as it stood at this share of its planned duration.
EXAMPLE_SHARE = 0.4
_FROZEN = ConfigDict(frozen=True, extra="forbid")
Target = Literal["delay", "overrun"]
#: Pseudo-projects of the county's rate added to a contractor's own record (smoothing).
_PRIOR_WEIGHT = 2.0
NOTE = Words(
    en="A forecast is a warning for closer attention, never a verdict: it rests on patterns of "
    "past projects, not on anything this project has done wrong.",
    zh="预测只是提示需要多加关注的预警，绝不是结论：它依据以往项目的规律，并不表示本项目有任何过错。",
)


#: An outcome that has already happened to a running project, in words: a fact, not a risk.
HAPPENED: Mapping[Target, Words] = {
    "delay": Words(
        en=f"Already late: not completed {GRACE_DAYS} days after the planned end. A fact, not a "
        "forecast (see the alerts).",
        zh=f"已逾期：超过计划完工日期 {GRACE_DAYS} 天仍未完工。这是事实，不是预测（见预警）。",
    ),
    "overrun": Words(
        en=f"Already over: change orders have grown the contract by more than {GROWTH_LIMIT:.0%}. "
        "A fact, not a forecast.",
        zh=f"已超支：设计变更已使合同金额增加超过 {GROWTH_LIMIT:.0%}。这是事实，不是预测。",
    ),
}


class ForecastError(NotaryError):
    """A forecast cannot be made: the project is not running at the time asked, or a model does not
    match the features."""

    code = "invalid_forecast"


# --- outcomes and what was known when -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Known:
    """When an outcome became known: True for any time after ``true_after``, else False for any
    time after ``false_after``, else not known (None: never, in these records)."""

    true_after: datetime | None
    false_after: datetime | None

    def at(self, at: datetime) -> bool | None:
        if self.true_after is not None and self.true_after < at:
            return True
        return False if self.false_after is not None and self.false_after < at else None


def _delay(s: ProjectSnapshot, tz: tzinfo | None) -> _Known:
    """Late from the midnight (in ``tz``) after the last day of grace, unless completed before."""
    end = s.project.planned_end + timedelta(days=GRACE_DAYS + 1)
    deadline = datetime.combine(end, clock(), tzinfo=tz)
    completed = s.completion.at if s.completion is not None else None
    if completed is not None and completed < deadline:
        return _Known(None, completed)
    return _Known(deadline - timedelta(microseconds=1), None)


def _growth(s: ProjectSnapshot, before: datetime) -> float:
    contract = s.contract
    if contract is None or not contract.amount_fen:
        return 0.0
    changes = sum(c.amount_fen for c in s.change_orders if c.event.at < before)
    return changes / contract.amount_fen


def _overrun(s: ProjectSnapshot, tz: tzinfo | None) -> _Known:
    """Overrun from the change order that first took the growth past the limit; within the limit
    from the settlement."""
    contract, total, crossing = s.contract, 0, None
    signed = (contract.amount_fen or 0) if contract is not None else 0
    for change in s.change_orders if signed else ():
        total += change.amount_fen
        if total > GROWTH_LIMIT * signed:
            crossing = change.event.at
            break
    return _Known(crossing, s.settlement.at if s.settlement is not None else None)


def delay_outcome(s: ProjectSnapshot, at: datetime) -> bool | None:
    """Whether the project was late, as known at ``at`` (a day ends at midnight in ``at``'s
    offset): None while it is not known yet."""
    return _delay(s, at.tzinfo).at(at)


def overrun_outcome(s: ProjectSnapshot, at: datetime) -> bool | None:
    """Whether the contract grew past the limit, as known at ``at``: True from the change order
    that took it over, False from the settlement, None in between."""
    return _overrun(s, at.tzinfo).at(at)


_OUTCOMES: Mapping[Target, Callable[[ProjectSnapshot, tzinfo | None], _Known]] = {
    "delay": _delay,
    "overrun": _overrun,
}


class History:
    """The county's projects, for the outcomes of others known at a time (a contractor's record).
    ``tz`` is the county's offset, which fixes what a day is."""

    def __init__(self, snapshots: Iterable[ProjectSnapshot], tz: tzinfo) -> None:
        self._known = {
            target: [(s.code, _contractor(s), known(s, tz)) for s in snapshots]
            for target, known in _OUTCOMES.items()
        }

    def rate(self, target: Target, at: datetime, contractor: str | None, skip: str) -> float:
        """The contractor's share of late (or overrun) projects among those whose outcome was known
        at ``at``, smoothed toward the county's share then; ``skip`` is the project asked about."""
        known = [
            (c, o)
            for code, c, k in self._known[target]
            if code != skip and (o := k.at(at)) is not None
        ]
        county = sum(o for _, o in known) / len(known) if known else 0.0
        own = [o for c, o in known if c is not None and c == contractor]
        return (sum(own) + _PRIOR_WEIGHT * county) / (len(own) + _PRIOR_WEIGHT)


def _contractor(s: ProjectSnapshot) -> str | None:
    contract = s.contract
    return contract.organisation if contract is not None else None


# --- features -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Feature:
    words: Words
    value: Callable[[ProjectSnapshot, datetime, History], float]


def _category(name: str, zh: str) -> _Feature:
    return _Feature(
        Words(en=f"a {name} project", zh=f"{zh}类项目"),
        lambda s, at, h: float(s.project.category == name),
    )


def _behind(s: ProjectSnapshot, at: datetime) -> float:
    """Share of the planned duration elapsed at ``at`` less the share of the works reported done."""
    start = datetime.combine(s.project.planned_start, clock(), tzinfo=at.tzinfo)
    planned = max((s.project.planned_end - s.project.planned_start).days, 1)
    elapsed = min(max((at - start) / timedelta(days=planned), 0.0), 1.5)
    done = max((p.percent for p in s.progress if p.event.at < at), default=0)
    return elapsed - done / 100


FEATURES: Mapping[str, _Feature] = {
    "budget": _Feature(
        Words(en="the size of the budget", zh="预算规模较大"),
        lambda s, at, h: math.log(max(s.project.budget_fen, 1) / 1_000_000),
    ),
    "building": _category("building", "房屋建筑"),
    "water": _category("water", "水利"),
    "farmland": _category("farmland", "农田"),
    "contractor_late": _Feature(
        Words(en="the contractor's past late completions", zh="承包商以往项目逾期完工较多"),
        lambda s, at, h: h.rate("delay", at, _contractor(s), s.code),
    ),
    "contractor_overrun": _Feature(
        Words(en="the contractor's past contract growth", zh="承包商以往项目合同增项较多"),
        lambda s, at, h: h.rate("overrun", at, _contractor(s), s.code),
    ),
    "behind_schedule": _Feature(
        Words(en="works behind the planned pace", zh="施工进度落后于计划工期"),
        lambda s, at, h: _behind(s, at),
    ),
    "change_orders": _Feature(
        Words(en="change orders so far", zh="已有设计变更增加合同金额"),
        lambda s, at, h: _growth(s, at),
    ),
}


def running(s: ProjectSnapshot, at: datetime) -> bool:
    """Whether the project is running at ``at``: its contract signed before, no completion yet."""
    contract = s.contract
    signed = contract is not None and contract.event.at < at
    return signed and (s.completion is None or s.completion.at >= at)


def features(s: ProjectSnapshot, at: datetime, history: History) -> dict[str, float]:
    """The project's features at ``at`` (aware), from records before ``at`` only. Raises
    :class:`ForecastError` unless the project is running then (contract signed, not completed)."""
    if not running(s, at):
        raise ForecastError(f"project {s.code} is not running at {at.isoformat()}")
    return {name: f.value(s, at, history) for name, f in FEATURES.items()}


@dataclass(frozen=True)
class Example:
    """A project's features at a time, with its outcomes as known later (None: not known)."""

    project: str
    features: Mapping[str, float]
    delay: bool | None
    overrun: bool | None


def example(s: ProjectSnapshot, at: datetime, history: History, known: datetime) -> Example:
    """The project's features at ``at`` and its outcomes as known at ``known`` (after ``at``)."""
    return Example(
        s.code, features(s, at, history), delay_outcome(s, known), overrun_outcome(s, known)
    )


def example_time(s: ProjectSnapshot, tz: tzinfo) -> datetime:
    """Noon (in ``tz``) at :data:`EXAMPLE_SHARE` of the project's planned duration from its planned
    start: when the project is taken as a training example."""
    start = datetime.combine(s.project.planned_start, clock(12), tz)
    planned = (s.project.planned_end - s.project.planned_start).days
    return start + timedelta(days=EXAMPLE_SHARE * planned)


def examples(
    snapshots: Iterable[ProjectSnapshot], history: History, known: datetime
) -> dict[str, Example]:
    """Every project running at its :func:`example_time` (in ``known``'s offset) before ``known``,
    with its outcomes as known at ``known``, by code in order (so a model trained on them does not
    depend on the order the snapshots come in): what a model is trained on."""
    tz = known.tzinfo
    if tz is None:
        raise ForecastError("the time outcomes are known at must carry its offset")
    found = {}
    for s in sorted(snapshots, key=lambda s: s.code):
        at = example_time(s, tz)
        if at < known and running(s, at):
            found[s.code] = example(s, at, history, known)
    return found


# --- the model ----------------------------------------------------------------------------------


class Factor(BaseModel):
    """One feature's push on a risk: its value, its contribution to the log-odds against a project
    at the training average (positive raises the risk) and what it is in words."""

    model_config = _FROZEN

    feature: str
    value: float
    contribution: float
    words: Words


class LogisticModel(BaseModel):
    """A logistic regression as data: features are standardised with ``means`` and ``scales``;
    it reads the features it names from a mapping that may hold more."""

    model_config = _FROZEN

    target: Target
    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float

    def _z(self, x: Mapping[str, float]) -> list[float]:
        missing = sorted(set(self.features) - set(x))
        if missing:
            raise ForecastError(f"the {self.target} model needs features {', '.join(missing)}")
        return [
            (x[f] - m) / s for f, m, s in zip(self.features, self.means, self.scales, strict=True)
        ]

    def contributions(self, x: Mapping[str, float]) -> dict[str, float]:
        return {f: w * z for f, w, z in zip(self.features, self.weights, self._z(x), strict=True)}

    def risk(self, x: Mapping[str, float]) -> float:
        return _sigmoid(self.intercept + sum(self.contributions(x).values()))


class ForecastModel(BaseModel):
    model_config = _FROZEN

    delay: LogisticModel
    overrun: LogisticModel


class Forecast(BaseModel):
    """A project's risks at a time, each with its strongest factors: a warning, never a verdict."""

    model_config = _FROZEN

    project: str
    at: datetime
    delay_risk: float = Field(ge=0, le=1)
    overrun_risk: float = Field(ge=0, le=1)
    delay_factors: tuple[Factor, ...]
    overrun_factors: tuple[Factor, ...]
    note: Words = NOTE


def _sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def train(
    examples: Sequence[Example],
    target: Target,
    *,
    names: Sequence[str] = tuple(FEATURES),
    steps: int = 500,
    rate: float = 0.5,
    l2: float = 0.01,
) -> LogisticModel:
    """A logistic regression of ``target`` on the features ``names``, by full-batch gradient descent
    on the examples whose outcome is known (log-loss plus ``l2`` times the squared weights)."""
    rows = [(e.features, y) for e in examples if (y := getattr(e, target)) is not None]
    if not rows or len({y for _, y in rows}) < 2:
        raise ForecastError(f"training a {target} model needs known outcomes of both kinds")
    n = len(rows)
    means = [sum(x[f] for x, _ in rows) / n for f in names]
    scales = [
        math.sqrt(sum((x[f] - m) ** 2 for x, _ in rows) / n) or 1.0
        for f, m in zip(names, means, strict=True)
    ]
    columns = [
        [(x[f] - m) / sd for x, _ in rows] for f, m, sd in zip(names, means, scales, strict=True)
    ]
    ys = [float(y) for _, y in rows]
    w, b = [0.0] * len(names), 0.0
    for _ in range(steps):
        t = [b] * n
        for wi, column in zip(w, columns, strict=True):
            t = [ti + wi * ci for ti, ci in zip(t, column, strict=True)]
        errors = [_sigmoid(ti) - y for ti, y in zip(t, ys, strict=True)]
        b -= rate * sum(errors) / n
        w = [
            wi - rate * (sum(map(operator.mul, errors, column)) / n + l2 * wi)
            for wi, column in zip(w, columns, strict=True)
        ]
    return LogisticModel(
        target=target,
        features=tuple(names),
        means=tuple(means),
        scales=tuple(scales),
        weights=tuple(w),
        intercept=b,
    )


def _factors(model: LogisticModel, x: Mapping[str, float], top: int) -> tuple[Factor, ...]:
    pushes = sorted(model.contributions(x).items(), key=lambda kv: -kv[1])
    return tuple(
        Factor(feature=f, value=x[f], contribution=c, words=FEATURES[f].words)
        for f, c in pushes[:top]
        if c > 0
    )


def forecast(
    s: ProjectSnapshot, at: datetime, history: History, model: ForecastModel, top: int = 3
) -> Forecast:
    """The project's risks of delay and overrun at ``at``, with the (up to ``top``) features that
    raised each most. Raises :class:`ForecastError` unless the project is running at ``at``."""
    x = features(s, at, history)
    return Forecast(
        project=s.code,
        at=at,
        delay_risk=model.delay.risk(x),
        overrun_risk=model.overrun.risk(x),
        delay_factors=_factors(model.delay, x, top),
        overrun_factors=_factors(model.overrun, x, top),
    )


# --- measures -----------------------------------------------------------------------------------


def auc(scores: Iterable[float], labels: Iterable[bool]) -> float:
    """The area under the ROC curve by the Mann-Whitney U statistic (ties count a half): the chance
    that a random positive scores above a random negative."""
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: p[0])
    rank_sum, positives, i = 0.0, 0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid = (i + j + 1) / 2  # the average of ranks i+1 .. j
        tied_positives = sum(label for _, label in pairs[i:j])
        rank_sum += mid * tied_positives
        positives += tied_positives
        i = j
    negatives = len(pairs) - positives
    if not positives or not negatives:
        raise ForecastError("the AUC needs positives and negatives")
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(risks: Iterable[float], labels: Iterable[bool]) -> float:
    """The mean squared gap between the risks and what happened (0 is perfect)."""
    gaps = [(r - float(y)) ** 2 for r, y in zip(risks, labels, strict=True)]
    if not gaps:
        raise ForecastError("the Brier score needs outcomes")
    return sum(gaps) / len(gaps)
