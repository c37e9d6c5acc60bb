"""The end of ``sunlight demo``: a small synthetic county (2 townships of 20 projects, seeded, with a
few irregularities) appended through the log, the oversight rules run, and the county's
indicators and notarized alerts printed.

The county's records are written by :mod:`scripts.synthetic_project` (a repository script, not
part of the installed package: without a checkout the step is skipped). They are appended with
:meth:`~api.service.notary.Notary.submit` in the order received, under the lifecycle's gate with the
county's actors — but the irregularities that arrive from outside the gate (a payment imported
from the finance system, an award recorded elsewhere), which are appended as they came.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from api.service.lifecycle import LifecycleGate
from api.service.notary import Notary, new_record_id
from api.service.oversight import Oversight, county_zone
from api.settings import Settings
from api.storage.projects import ProjectRow
from notary.lifecycle import Actor, LifecycleRules, Role
from notary.records import Record

__all__ = ["QUIRKS", "County", "append_county", "show_county", "small_county"]

#: The irregularities given to the first projects of the small county, one per project.
QUIRKS = ("second_award", "extra_payment", "stall", "advance_payment", "early_certificate")

#: The rules the quirks are found by.
_EXPECTED = frozenset(
    {
        "bidder_change",
        "over_budget",
        "serious_delay",
        "payment_without_acceptance",
        "acceptance_before_completion",
    }
)

County = tuple[list[Record], frozenset[int], datetime]


def _scripts() -> Any:
    """:mod:`scripts.synthetic_project` from the checkout this package runs from."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "scripts" / "synthetic_project.py").is_file():
        raise ModuleNotFoundError("scripts.synthetic_project: not a checkout of the repository")
    if str(root) not in sys.path:
        sys.path.append(str(root))
    import scripts.synthetic_project as synthetic  # noqa: PLC0415

    return synthetic


def small_county(seed: int = 2026, townships: int = 2, projects: int = 20) -> County:
    """The records of ``projects`` projects in each of ``townships`` in the order received (before the
    county's year end), the positions among them that came from outside the gate, and the year
    end (when the rules run)."""
    synthetic = _scripts()
    rng = random.Random(seed)  # noqa: S311 - a seeded synthetic county
    plans: list[Any] = []
    for t in range(townships):
        for k in range(projects):
            n = len(plans)
            plans.append(
                synthetic.Plan(
                    code=f"XQ-2026-{n + 1:04d}",
                    township=t,
                    village=k % 3,
                    category="road",
                    reg=synthetic.START + timedelta(days=rng.uniform(0, 100)),
                    budget_fen=rng.randrange(5_000_000, 30_000_000, 10_000),
                    contractor=synthetic.pool(t)[k % 8],
                    quirk=QUIRKS[n // 2] if n % 2 == 0 and n // 2 < len(QUIRKS) else "",
                )
            )
    items = [
        (datetime.fromisoformat(rec.received_at), plan.code, i, rec, outside)
        for plan in plans
        for i, (rec, outside, _) in enumerate(
            synthetic.Writer(plan, random.Random(f"{seed}/{plan.code}")).write().items  # noqa: S311
        )
        if datetime.fromisoformat(rec.received_at) < synthetic.AT
    ]
    items.sort(key=lambda item: item[:3])
    records = [item[3] for item in items]
    outside = frozenset(n for n, item in enumerate(items) if item[4])
    return records, outside, synthetic.AT


def _people(records: Sequence[Record]) -> dict[str, Actor]:
    """Every submitter as the actor its records say it is."""
    roles: dict[str, tuple[str, set[Role]]] = {}
    for r in records:
        actor = r.data.get("actor")
        if isinstance(actor, Mapping):
            _, found = roles.setdefault(r.submitter, (str(actor["organisation"]), set()))
            found.add(Role(actor["role"]))
    return {
        p: Actor(person=p, organisation=org, roles=frozenset(rs)) for p, (org, rs) in roles.items()
    }


class _OutsideTheGate:
    """The lifecycle gate, but for the records that came from outside it."""

    def __init__(self, gate: LifecycleGate, outside: set[tuple[str | None, str, str]]) -> None:
        self._gate = gate
        self._outside = outside

    def __call__(self, record: Record, state: str | ProjectRow | None, count: int) -> Any:
        if (record.project, record.kind, record.received_at) in self._outside:
            return None
        return self._gate(record, state, count)


def append_county(notary: Notary, county: County, rules: LifecycleRules) -> int:
    """Append the county's records in one transaction; the log's size after."""
    records, outside, _ = county
    gate = _OutsideTheGate(
        LifecycleGate(rules, _people(records)),
        {(r.project, r.kind, r.received_at) for r in (records[n] for n in outside)},
    )
    items = [(new_record_id(), r) for r in records]
    notary.log.append(items, gate=gate)
    return notary.log.size


def show_county(console: Console, base: str, data_dir: Path) -> bool:
    """Append the small county to the demo's log, run the rules, and print the county's
    indicators, ranking and notarized alerts as the server's routes give them."""
    try:
        county = small_county()
    except ModuleNotFoundError as e:
        console.print(f"[yellow]demo county skipped: {e}[/]")
        return True
    settings = Settings(data_dir=data_dir)
    notary = Notary.open(settings)
    try:
        append_county(notary, county, LifecycleRules(notice_min_days=1))
        result = Oversight.open(notary, settings).run(county[2].astimezone(county_zone(settings)))
    finally:
        notary.close()
    name = str(county[0][0].data["region"]["county"])
    year = {"county": name, "from": "2026-01-01", "to": "2026-12-31"}
    with httpx.Client(base_url=base, timeout=60) as api:
        figures = api.get("/v1/oversight/indicators", params=year).json()
        ranking = api.get("/v1/oversight/ranking", params=year).json()
        alerts = api.get("/v1/alerts", params={"county": name}).json()
    console.rule(f"oversight — {name} 监督指标与预警")
    console.print(
        f"{figures['registered']} projects registered in 2026, started {figures['started']} "
        f"({_pct(figures['start_rate'])}), completed {figures['completed']} "
        f"({_pct(figures['completion_rate'])}); budget {figures['budget_fen'] / 100:,.0f} CNY, "
        f"contracted {_pct(figures['contract_ratio'])}, paid {_pct(figures['paid_ratio'])}",
        highlight=False,
    )
    for row in ranking["townships"]:
        mark = {"red": "红榜", "black": "黑榜"}.get(row["list"] or "", "")
        console.print(
            f"  #{row['rank']} {row['township']} {mark}: {row['alerts']} alert(s), completion "
            f"{_pct(row['indicators']['completion_rate'])}",
            highlight=False,
        )
    for a in alerts["alerts"]:
        console.print(
            f"  ({a['severity']}) {a['title']['zh']} / {a['title']['en']} — "
            f"{', '.join(a['subject']['projects'])}: {base}{a['record']['verify_url']}",
            highlight=False,
        )
    found = {a["rule"] for a in alerts["alerts"]}
    ok = alerts["total"] == len(result.notarized) and found >= _EXPECTED
    console.print(
        f"{result.raised} alert(s) raised, {len(result.notarized)} notarized; dashboard: "
        f"{base}/dashboard",
        highlight=False,
    )
    return ok


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"
