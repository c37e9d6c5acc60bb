"""How a project of the synthetic county turns out: late or not, how much its contract grows.

The signal is synthetic and says so: the risks are drawn from a made-up model in which some
contractors of each township are slow or prone to change orders, buildings and water works run late
and over more often, and bigger projects a little more. A forecast trained on the county can only
learn this model back; it shows the forecast code works, not that real projects behave so.

Each project draws from its own generator (seeded by its code), so the draws of the project's
writer — and the ground truth of the oversight rules — do not move. The bounds keep the rules'
ground truth: a late project completes at most 28 days after its planned end (serious delay needs
more than 30 without completion), its works start at most 8 days late (its site photos stay within
the photo date tolerance), and a change order never takes the contract over the budget.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.synthetic_project import Plan

__all__ = ["Outcome", "outcome"]

WAN = 1_000_000  # fen in 10 000 CNY
#: Contractors (their index in the township's pool) who run late, and who grow their contracts.
SLOW, GROWING = (5, 6), (6, 7)
LATE_RISK = {"road": 0.1, "water": 0.25, "building": 0.35, "farmland": 0.05, "other": 0.1}
GROWTH_RISK = {"road": 0.1, "water": 0.2, "building": 0.35, "farmland": 0.05, "other": 0.1}


@dataclass(frozen=True)
class Outcome:
    #: Days the works start late, and days the completion comes after the planned finish.
    slip_days: float = 0.0
    late_days: float = 0.0
    #: Growth of the contract by an early and a late change order, as a share of the contract.
    growth: tuple[float, float] = (0.0, 0.0)


def outcome(plan: Plan) -> Outcome:
    """The project's outcome, drawn from its own generator."""
    rng = random.Random(f"outcome/{plan.code}")
    k = int(plan.contractor.rsplit("-", 1)[-1]) if plan.contractor else -1
    big = 0.1 if plan.budget_fen > 25 * WAN else 0.0
    late_p = LATE_RISK[plan.category] + big + (0.5 if k in SLOW else 0.0)
    growth_p = GROWTH_RISK[plan.category] + big + (0.35 if k in GROWING else 0.0)
    late = rng.random() < late_p
    grows = rng.random() < growth_p
    return Outcome(
        slip_days=rng.uniform(2, 8) if late else rng.uniform(0, 2),
        late_days=rng.uniform(17, 25) if late else 0.0,
        growth=(rng.uniform(0.01, 0.05), rng.uniform(0.02, 0.06)) if grows else (0.0, 0.0),
    )
