"""The forecasts of delay and overrun, evaluated on held-out projects of the synthetic county.

Each project is forecast once, while running: at 40% of its planned duration from the planned
start (:func:`notary.oversight.forecast.example_time`), from what was recorded before then. The
models are trained on the projects of the first ten townships and measured on those of the last
five, whose outcomes are known at the county's time (:data:`scripts.synthetic_project.AT`).
Against two naive baselines: the training base rate (the same risk for everyone) and a model of
the budget alone. The county's signal is synthetic
(:mod:`scripts.synthetic_outcomes`): the figures show the code works, not how real projects behave.

    python -m scripts.forecast_eval [--seed N]   # the table
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from notary.oversight import ProjectSnapshot
from notary.oversight.forecast import (
    Example,
    History,
    LogisticModel,
    Target,
    auc,
    brier,
    examples,
    train,
)
from scripts.synthetic_county import County, generate, snapshots
from scripts.synthetic_project import CST, TOWNSHIPS

__all__ = ["Measure", "county_examples", "measure", "table"]

TRAIN = frozenset(TOWNSHIPS[:10])


def county_examples(county: County, snaps: Sequence[ProjectSnapshot]) -> dict[str, Example]:
    """Every project running at its example time (before the county's time), by code."""
    return examples(snaps, History(snaps, CST), county.at)


@dataclass(frozen=True)
class Measure:
    """One target on the held-out projects: the model against the baselines."""

    target: Target
    train: int
    held_out: int
    positives: int
    auc: dict[str, float]
    brier: dict[str, float]


def measure(by_code: dict[str, Example], snaps: Sequence[ProjectSnapshot]) -> list[Measure]:
    township = {s.code: s.region.township for s in snaps}
    learn = [e for c, e in by_code.items() if township[c] in TRAIN]
    test = [e for c, e in by_code.items() if township[c] not in TRAIN]
    found = []
    for target in ("delay", "overrun"):
        rows = [e for e in test if getattr(e, target) is not None]
        labels = [bool(getattr(e, target)) for e in rows]
        known = [bool(getattr(e, target)) for e in learn if getattr(e, target) is not None]
        base = sum(known) / len(known)
        models: dict[str, LogisticModel] = {
            "model": train(learn, target),
            "budget only": train(learn, target, names=("budget",)),
        }
        risks = {name: [m.risk(e.features) for e in rows] for name, m in models.items()}
        risks["base rate"] = [base] * len(rows)
        found.append(
            Measure(
                target=target,
                train=len(known),
                held_out=len(rows),
                positives=sum(labels),
                auc={name: auc(r, labels) for name, r in risks.items()},
                brier={name: brier(r, labels) for name, r in risks.items()},
            )
        )
    return found


def table(measures: Sequence[Measure]) -> str:
    names = list(measures[0].auc)
    head = f"{'target':8} {'train':>5} {'held-out':>8} {'late/over':>9}"
    lines = [
        head
        + "".join(f" {'AUC ' + n:>16}" for n in names)
        + "".join(f" {'Brier ' + n:>18}" for n in names)
    ]
    for m in measures:
        row = f"{m.target:8} {m.train:5} {m.held_out:8} {m.positives:9}"
        row += "".join(f" {m.auc[n]:16.3f}" for n in names)
        lines.append(row + "".join(f" {m.brier[n]:18.3f}" for n in names))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    county = generate(args.seed)
    snaps = snapshots(county)
    print(table(measure(county_examples(county, snaps), snaps)))


if __name__ == "__main__":
    main()
