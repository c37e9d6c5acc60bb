"""A synthetic county for the oversight rules: 15 townships, 500 projects through the lifecycle as
log records, with irregularities of every rule's kind injected and a ground truth of them.

Deterministic (seeded). Every record a project's parties file passes :func:`notary.lifecycle.decide`
as the server would judge it (replay accepts it), except the injected irregularities the gate
refuses: those are generated as they would arrive from outside — a payment imported from the
finance system, an award or certificate recorded elsewhere — and marked (``County.outside``), or,
for the short public notice, accepted under laxer lifecycle rules (:data:`LAX_RULES`; the project is
in ``County.lax``). Site photos carry the flags :func:`notary.evidence.photos.photo_flags` raises
against the photos filed before them in other projects, as the server's photo index does.

The background is clean by construction — the generator does not draw, by chance, a pattern a rule
is meant to find (that would be a true finding, not a false alarm) — and near misses (decoys) sit
at or just inside every threshold to catch rules that fire too eagerly.

    python -m scripts.synthetic_county [--seed N]   # the precision/recall table and timings
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from notary.evidence.photos import (
    Flag,
    PhotoEvidence,
    PhotoMatch,
    ProjectFrame,
    client_observation,
    hamming,
    photo_flags,
)
from notary.oversight import RULES, Alert, LoggedRecord, ProjectSnapshot, evaluate, snapshot_of
from notary.records import Record
from scripts.synthetic_project import AT, LAX_RULES, START, TOWNSHIPS, Photo, Plan, Writer, pool

__all__ = [
    "AT",
    "DECOYS",
    "LAX_RULES",
    "SHARE_EDGE",
    "County",
    "Injected",
    "Score",
    "generate",
    "score",
    "snapshots",
    "table",
]

VILLAGES = 7
CATEGORIES = (("road", 40), ("water", 25), ("building", 10), ("farmland", 15), ("other", 10))
WAN = 1_000_000  # fen in 10 000 CNY
#: Townships whose contractor shares are planned: two injected, one exactly at the limit.
SHARE, SHARE_EDGE, SPLIT = (3, 11), 0, (5, 8, 13)
#: Near misses, each at or just inside a threshold.
DECOYS = ("stall_20", "stall_30", "notice_7", "budget_edge", "photo_edge", "photo_similar")
#: Single-project irregularities (rule, quirk, how the gate treats it) and decoys (rule None).
QUIRKS: tuple[tuple[str | None, str, str | None], ...] = (
    *[("bidder_change", "second_award", "order.already_recorded")] * 3,
    *[("over_budget", "extra_payment", "payment.not_approved")] * 3,
    *[("serious_delay", "stall", None)] * 4,
    *[("payment_without_acceptance", "advance_payment", "step.kind_not_allowed")] * 3,
    *[("acceptance_before_completion", "early_certificate", "step.kind_not_allowed")] * 3,
    ("notice_irregular", "late_notice_12", None),
    ("notice_irregular", "late_notice_20", None),
    ("notice_irregular", "short_notice", "notice.too_short"),
    ("notice_irregular", "missing_notice", "order.missing_prerequisite"),
    *[("photo_out_of_place", "photo_far", None)] * 2,
    *[("photo_out_of_place", "photo_old", None)] * 2,
    *[("photo_reused", "photo_copy", None)] * 2,
    *[("photo_reused", "photo_resized", None)] * 2,
    *[(None, decoy, None) for decoy in DECOYS],
    (None, "photo_edge", None),
)


@dataclass(frozen=True)
class Injected:
    """One injected irregularity: the rule that should find it, the projects (or the
    organisation and township) it concerns, and the gate's refusal rule if the gate refuses it."""

    rule: str
    projects: frozenset[str] = frozenset()
    organisation: str | None = None
    township: str | None = None
    gate: str | None = None
    what: str = ""


@dataclass(frozen=True)
class County:
    log: tuple[LoggedRecord, ...]
    projects: dict[str, tuple[LoggedRecord, ...]]
    #: Leaf indexes of the records that came from outside: the gate never judged them.
    outside: frozenset[int]
    #: Projects whose records passed the gate under LAX_RULES, not the default rules.
    lax: frozenset[str]
    truth: tuple[Injected, ...]
    #: The near misses: project → its decoy (a quirk that no rule should flag).
    decoys: dict[str, str]
    at: datetime = AT


# --- the county ---------------------------------------------------------------------------------


def _plans(rng: random.Random) -> list[Plan]:
    plans: list[Plan] = []
    for t in range(len(TOWNSHIPS)):
        for _ in range(30 if t == SHARE_EDGE else 34 if t < 9 else 33):
            category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
            plans.append(
                Plan(
                    code=f"XQ-2026-{len(plans) + 1:04d}",
                    township=t,
                    village=rng.randrange(VILLAGES),
                    category=category,
                    reg=START + timedelta(days=rng.uniform(0, 285)),
                    budget_fen=rng.randrange(5 * WAN, 38 * WAN, 10_000),
                )
            )
    return plans


def _quirks(plans: list[Plan], rng: random.Random) -> list[Injected]:
    """Give single-project irregularities and decoys to projects outside the planned townships."""
    free = [p for p in plans if p.township not in (*SHARE, SHARE_EDGE, *SPLIT)]
    rng.shuffle(free)
    taken: set[str] = set()

    def pick(after: float, before: float) -> Plan:
        """A project not yet picked, registered between these days after START."""
        low, high = START + timedelta(days=after), START + timedelta(days=before)
        chosen = next(p for p in free if p.code not in taken and low <= p.reg <= high)
        taken.add(chosen.code)
        return chosen

    truth = []
    for rule, quirk, gate in QUIRKS:
        copy = quirk in ("photo_copy", "photo_resized", "photo_similar")
        latest = 120 if quirk == "stall" else 240 if quirk.startswith("stall") else 150
        plan = pick(100 if copy else 0, latest)
        plan.quirk = quirk
        if copy:  # from a project whose photos were filed well before
            plan.source = pick(0, (plan.reg - START).days - 60).code
        if rule is not None:
            truth.append(Injected(rule, frozenset({plan.code}), gate=gate, what=quirk))
    return truth


def _plan_group(
    slots: Sequence[Plan],
    key: tuple[int, str, str],
    base: datetime,
    budgets: Sequence[int],
    days: Sequence[int],
) -> frozenset[str]:
    """Give ``slots`` one (village, category, contractor), budgets in 万 and registration days."""
    for s, wan, day in zip(slots, budgets, days, strict=True):
        s.village, s.category, s.contractor = key
        s.reg, s.budget_fen = base + timedelta(days=day), wan * WAN
    return frozenset(s.code for s in slots)


def _splits(plans: list[Plan], rng: random.Random) -> list[Injected]:
    """Three split projects per SPLIT township; near misses beside them: a pair under the ceiling
    in the window, a pair over it 120 days apart."""
    truth = []
    for i, t in enumerate(SPLIT):
        slots = rng.sample([p for p in plans if p.township == t], 5)
        base = START + timedelta(days=rng.uniform(20, 140))
        key = (rng.randrange(VILLAGES), "road", pool(t)[0])
        codes = _plan_group(slots[:3], key, base, (17, 16, 18), (0, 8, 17))
        truth.append(Injected("project_splitting", codes, what="three projects, 51万 in 17 days"))
        decoy = ((15, 20), (0, 30)) if i % 2 == 0 else ((30, 25), (0, 120))
        _plan_group(slots[3:], (rng.randrange(VILLAGES), "water", pool(t)[1]), base, *decoy)
    return truth


def _contractors(plans: list[Plan], rng: random.Random) -> list[Injected]:
    """The SHARE townships' first contractor wins 14 projects, the SHARE_EDGE one's exactly 30%;
    every other project goes to the least-used contractor of its township who has no project of
    the same village and category within 120 days (so no split pattern arises by chance)."""
    near: dict[tuple[int, int, str, str], list[datetime]] = {}

    def clashes(p: Plan, c: str) -> bool:
        return any(
            abs(p.reg - d) <= timedelta(days=120)
            for d in near.get((p.township, p.village, p.category, c), ())
        )

    def give(p: Plan, c: str) -> None:
        p.contractor = c
        near.setdefault((p.township, p.village, p.category, c), []).append(p.reg)

    for p in plans:
        if p.contractor:
            give(p, p.contractor)
    truth, wins = [], Counter[str]()
    for t, target in ((SHARE[0], 14), (SHARE[1], 14), (SHARE_EDGE, 9)):
        dominant, placed = pool(t)[0], 0
        for p in rng.sample(
            [p for p in plans if p.township == t], k=sum(p.township == t for p in plans)
        ):
            if placed < target and not p.quirk and not clashes(p, dominant):
                give(p, dominant)
                placed += 1
        if t in SHARE:
            truth.append(
                Injected(
                    "contractor_share",
                    organisation=dominant,
                    township=TOWNSHIPS[t],
                    what=f"{placed} awards",
                )
            )
    for p in sorted(plans, key=lambda p: p.reg):
        if not p.contractor:
            fixed = pool(p.township)[0] if p.township in (*SHARE, SHARE_EDGE) else None
            ranked = sorted(
                (c for c in pool(p.township) if c != fixed), key=lambda c: (wins[c], rng.random())
            )
            give(p, next((c for c in ranked if not clashes(p, c)), ranked[0]))
        wins[p.contractor] += 1
    return truth


#: Photos this many bits apart or nearer are looked up, as the server's photo index does.
NEAR = 16


def _flags(
    record: Record, shot: Photo, frame: ProjectFrame, index: _PhotoIndex
) -> tuple[Flag, ...]:
    """The flags the server raises for a photo filed now: against its project's site and dates,
    and the photos of other projects filed before it (the same SHA-256, or a near hash)."""
    x = shot.phash
    near = [i for i, h in enumerate(index.phashes) if (h ^ x).bit_count() <= NEAR]
    near += [i for i in index.by_sha.get(shot.sha256, ()) if i not in near]
    matches = [
        index.photos[i].model_copy(update={"distance": hamming(x, index.phashes[i])})
        for i in near
        if index.photos[i].project != record.project
    ]
    evidence = PhotoEvidence(
        sha256=shot.sha256, phash=shot.phash, client=client_observation(record.data)
    )
    return photo_flags(evidence, frame, matches)


@dataclass
class _PhotoIndex:
    """The photos filed so far: perceptual hashes in a flat list (a scan is quick at this size)."""

    phashes: list[int] = field(default_factory=list)
    photos: list[PhotoMatch] = field(default_factory=list)
    by_sha: dict[str, list[int]] = field(default_factory=dict)

    def add(self, shot: Photo, match: PhotoMatch) -> None:
        self.by_sha.setdefault(shot.sha256, []).append(len(self.photos))
        self.phashes.append(shot.phash)
        self.photos.append(match)


def _log(writers: Sequence[Writer]) -> tuple[list[LoggedRecord], set[int]]:
    """Every record before AT in one log, in the order received; the leaves that came from outside."""
    entries = [
        (datetime.fromisoformat(rec.received_at), w, seq, rec, outside, shot)
        for w in writers
        for seq, (rec, outside, shot) in enumerate(w.items)
        if datetime.fromisoformat(rec.received_at) < AT
    ]
    entries.sort(key=lambda e: (e[0], e[1].plan.code, e[2]))
    log: list[LoggedRecord] = []
    outsiders: set[int] = set()
    index = _PhotoIndex()
    for leaf, (_, w, _, rec, outside, shot) in enumerate(entries):
        record_id = hashlib.sha256(f"synthetic record {leaf}".encode()).hexdigest()[:32]
        flags: tuple[Flag, ...] = ()
        if shot is not None:
            proj = w.project
            frame = ProjectFrame(
                code=proj.code, site=proj.site, start=proj.planned_start, end=proj.planned_end
            )
            flags = _flags(rec, shot, frame, index)
            match = PhotoMatch(
                project=proj.code, leaf_index=leaf, record_id=record_id, sha256=shot.sha256
            )
            index.add(shot, match)
        log.append(LoggedRecord(leaf, record_id, rec, flags))
        if outside:
            outsiders.add(leaf)
    return log, outsiders


def generate(seed: int = 2026) -> County:
    """The county: ~500 projects of 15 townships, their log, and the ground truth."""
    rng = random.Random(seed)
    plans = _plans(rng)
    truth = [*_quirks(plans, rng), *_splits(plans, rng), *_contractors(plans, rng)]
    writers = [Writer(p, random.Random(f"{seed}/{p.code}")).write() for p in plans]
    log, outside = _log(writers)
    projects: dict[str, list[LoggedRecord]] = {}
    for logged in log:
        projects.setdefault(str(logged.record.project), []).append(logged)
    return County(
        log=tuple(log),
        projects={code: tuple(records) for code, records in projects.items()},
        outside=frozenset(outside),
        lax=frozenset(p.code for p in plans if p.quirk == "short_notice"),
        truth=tuple(truth),
        decoys={p.code: p.quirk for p in plans if p.quirk in DECOYS},
    )


def snapshots(county: County) -> list[ProjectSnapshot]:
    return [snapshot_of(records) for records in county.projects.values()]


# --- scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """How one rule did: injected irregularities, alerts raised, injections found, true alerts."""

    rule: str
    injected: int
    alerts: int
    found: int
    true_alerts: int

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.injected if self.injected else 1.0


def _finds(alert: Alert, injected: Injected) -> bool:
    if alert.rule != injected.rule:
        return False
    if injected.organisation is not None:
        s = alert.subject
        return (s.organisation, s.township) == (injected.organisation, injected.township)
    return bool(injected.projects & set(alert.subject.projects))


def score(alerts: Sequence[Alert], truth: Sequence[Injected], rules: Sequence[str]) -> list[Score]:
    """Precision and recall of each rule's alerts against the ground truth."""
    return [
        Score(
            rule=rule,
            injected=sum(i.rule == rule for i in truth),
            alerts=sum(a.rule == rule for a in alerts),
            found=sum(any(_finds(a, i) for a in alerts) for i in truth if i.rule == rule),
            true_alerts=sum(any(_finds(a, i) for i in truth) for a in alerts if a.rule == rule),
        )
        for rule in rules
    ]


def table(scores: Sequence[Score]) -> str:
    lines = [
        f"{'rule':30} {'injected':>8} {'alerts':>6} {'found':>5} {'precision':>9} {'recall':>6}"
    ]
    lines += [
        f"{s.rule:30} {s.injected:8} {s.alerts:6} {s.found:5} {s.precision:9.2f} {s.recall:6.2f}"
        for s in scores
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    t0 = time.process_time()
    county = generate(args.seed)
    t1 = time.process_time()
    snaps = snapshots(county)
    t2 = time.process_time()
    alerts = evaluate(snaps, county.at)
    t3 = time.process_time()
    print(table(score(alerts, county.truth, list(RULES))))
    n, records = len(snaps), len(county.log)
    print(
        f"\n{n} projects, {records} records ({len(county.outside)} from outside), "
        f"{len(alerts)} alerts. CPU time: generated in {t1 - t0:.2f} s; snapshots "
        f"{1000 * (t2 - t1):.0f} ms ({1e6 * (t2 - t1) / records:.1f} µs/record); rules "
        f"{1000 * (t3 - t2):.0f} ms ({1e6 * (t3 - t2) / n:.0f} µs/project)"
    )


if __name__ == "__main__":
    main()
