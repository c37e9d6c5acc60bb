"""One project of the synthetic county (:mod:`scripts.synthetic_county`): its parties, its plan and
the records its parties file, registration to settlement, each judged by
:func:`notary.lifecycle.decide` as the server would — but the injected irregularities the gate
refuses, which are written as they would arrive from outside and marked.

A :class:`Plan` says what the project is (township, village, category, registration time, budget,
contractor) and which irregularity or near miss it carries (``quirk``); :class:`Writer` writes it.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from datetime import time as clock
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notary.lifecycle import (
    DEFAULT_RULES,
    Actor,
    LifecycleRules,
    Project,
    ProjectState,
    Proposal,
    Role,
    Step,
    decide,
)
from notary.records import Content, Record, RecordSignature, signing_payload
from scripts.synthetic_outcomes import outcome

__all__ = [
    "AT",
    "CST",
    "LAX_RULES",
    "START",
    "TOWNSHIPS",
    "Photo",
    "Plan",
    "Writer",
    "pool",
]

CST = timezone(timedelta(hours=8))
#: The county's oversight runs at local midnight at the year's end.
AT = datetime(2027, 1, 1, tzinfo=CST)
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
#: The rules a short public notice passed under (the county's default is 5 days).
LAX_RULES = LifecycleRules(notice_min_days=1)
TOWNSHIPS = (
    "清河镇", "东山镇", "南湖镇", "西岭乡", "北塘镇", "白石乡", "青溪镇", "柳林乡",
    "黄桥镇", "石门乡", "金沙镇", "桃源乡", "龙口镇", "新安镇", "河西乡",
)  # fmt: skip
CONTRACTORS = 8
DETAILS = {
    "road": {"length_m": 800, "width_m": 4.5},
    "water": {"capacity_m3": 300},
    "building": {"floor_area_m2": 220},
    "farmland": {"area_mu": 120},
    "other": {},
}


@dataclass
class Plan:
    code: str
    township: int
    village: int
    category: str
    reg: datetime
    budget_fen: int
    contractor: str = ""
    quirk: str = ""
    source: str = ""  # the project a copied photo comes from


# --- the cast -----------------------------------------------------------------------------------

Person = tuple[str, str, Role]


def township_admin(t: int) -> Person:
    return (f"p-twn{t}", f"org-twn{t}", Role.TOWNSHIP_ADMINISTRATOR)


def village_head(t: int, v: int) -> Person:
    return (f"p-vil{t}-{v}", f"org-vil{t}-{v}", Role.VILLAGE_COMMITTEE_HEAD)


def builder(org: str) -> Person:
    return (org.replace("org-", "p-"), org, Role.CONTRACTOR)


def pool(t: int) -> list[str]:
    return [f"org-bld{t}-{k}" for k in range(CONTRACTORS)]


COUNTY: Person = ("p-county", "org-county", Role.COUNTY_ADMINISTRATOR)
FINANCE: Person = ("p-finance", "org-finance", Role.FINANCE_REVIEWER)
AUDITOR: Person = ("p-audit", "org-audit", Role.AUDITOR)
SUPERVISORS: tuple[Person, ...] = tuple(
    (f"p-sup{k}", f"org-sup{k}", Role.SUPERVISOR) for k in range(5)
)


@cache
def _key(person: str) -> Ed25519PrivateKey:
    """A person's signing key, from a fixed seed (the same on every run)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(person.encode()).digest())


def _sign(record: Record, persons: Sequence[str]) -> Record:
    sigs = []
    for p in persons:
        sig = base64.b64encode(_key(p).sign(signing_payload(record, p))).decode()
        sigs.append(RecordSignature(party=p, alg="ed25519", key_id=f"{p}-k1", sig=sig))
    return record.model_copy(update={"signatures": tuple(sigs)})


def _actor(who: Person) -> Actor:
    person, org, role = who
    return Actor(person=person, organisation=org, roles=frozenset({role}))


def _z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _site_of(t: int, v: int) -> tuple[float, float]:
    return (29.8 + 0.06 * (t // 5) + 0.011 * v, 119.9 + 0.07 * (t % 5) + 0.007 * v)


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / 111_195, lon + east_m / (111_195 * 0.866))


@dataclass(frozen=True)
class Photo:
    sha256: str
    phash: int


def photo_of(code: str, n: int) -> Photo:
    digest = hashlib.sha256(f"{code}/photo/{n}".encode()).digest()
    return Photo(digest.hex(), int.from_bytes(digest[:8], "big"))


# --- one project's records ----------------------------------------------------------------------


@dataclass
class Writer:
    """Writes one project's records as its parties file them, each decided against the state the
    gate built so far (``outside`` ones are not: the gate never saw them)."""

    plan: Plan
    rng: random.Random
    state: ProjectState = field(default_factory=ProjectState)
    items: list[tuple[Record, bool, Photo | None]] = field(default_factory=list)
    at: datetime = START

    def __post_init__(self) -> None:
        self.at = self.plan.reg
        self.rules = LAX_RULES if self.plan.quirk == "short_notice" else DEFAULT_RULES
        self.supervisor = SUPERVISORS[self.rng.randrange(len(SUPERVISORS))]

    def add(
        self,
        kind: str,
        who: Person,
        data: dict[str, object] | None = None,
        *,
        days: float = 0.0,
        outside: bool = False,
        signers: Sequence[Person] = (),
        photo: Photo | None = None,
    ) -> None:
        self.at += timedelta(days=days, minutes=1)
        person, org, role = who
        record = Record(
            project=self.plan.code,
            stage=self.state.step.stage,
            kind=kind,
            data={"actor": {"organisation": org, "role": role.value}, **(data or {})},
            submitter=person,
            received_at=_z(self.at),
            content=None
            if photo is None
            else Content(sha256=photo.sha256, size=2_000_000, media_type="image/jpeg"),
        )
        if signers:
            record = _sign(record, [s[0] for s in signers])
        if not outside:
            proposal = Proposal.of_record(record, tuple(_actor(s) for s in signers))
            self.state = decide(self.state, proposal, _actor(who), self.at, self.rules).state
        self.items.append((record, outside, photo))

    @property
    def project(self) -> Project:
        assert self.state.project is not None
        return self.state.project

    def register(self) -> None:
        p, (lat, lon) = self.plan, _site_of(self.plan.township, self.plan.village)
        start = (p.reg + timedelta(days=55)).astimezone(CST).date()
        end = start + timedelta(days=self.rng.randint(45, 120))
        if p.quirk in ("stall_20", "stall_30"):
            end = AT.date() - timedelta(days=int(p.quirk[-2:]))
        registration = {
            "code": p.code,
            "name": f"{TOWNSHIPS[p.township]}{p.village + 1}村{p.category}工程 {p.code}",
            "region": {
                "county": "西泉县",
                "township": TOWNSHIPS[p.township],
                "village": f"{p.village + 1}村",
            },
            "category": p.category,
            "budget_fen": p.budget_fen,
            "funding_source": "县财政专项资金 2026",
            "site": {"shape": "circle", "center": {"lat": lat, "lon": lon}, "radius_m": 400.0},
            "planned_start": start.isoformat(),
            "planned_end": end.isoformat(),
            "details": DETAILS[p.category],
        }
        self.add("project_registration", village_head(p.township, p.village), registration)
        holders = (
            ("approval", township_admin(p.township)),
            ("supervision", self.supervisor),
            ("evaluation", AUDITOR),
        )
        for power, (person, org, _) in holders:  # execution: to the awardee, after the award
            self.add(
                "power_assignment", COUNTY, {"power": power, "organisation": org, "person": person}
            )

    def review_and_notice(self) -> None:
        p, r, twn = self.plan, self.rng, township_admin(self.plan.township)
        self.add("application", village_head(p.township, p.village), days=r.uniform(0.5, 2))
        self.add("review_opinion", FINANCE, {"opinion": "预算合理"}, days=r.uniform(1, 4))
        self.add("approval", twn, {"opinion": "同意"}, days=r.uniform(0.5, 2))
        delay = {"late_notice_12": 12.0, "late_notice_20": 20.0, "notice_7": 7.0}.get(p.quirk)
        if p.quirk == "missing_notice":
            self.add("notice_closed", twn, days=6, outside=True)
            self.state = self.state.entered(Step.IMPLEMENTATION)
            return
        self.at += timedelta(days=r.uniform(0.1, 3) if delay is None else delay - 1 / 1440)
        self.add("notice_published", twn)
        published = self.at
        if not p.quirk and r.random() < 0.1:
            self.add(
                "objection", village_head(p.township, p.village), {"reason": "占地补偿"}, days=1
            )
            self.add(
                "objection_ruling",
                COUNTY,
                {"objection": 0, "upheld": False, "reason": "已核实"},
                days=1,
            )
        self.at = published + timedelta(days=2 if p.quirk == "short_notice" else r.uniform(5.1, 8))
        self.add("notice_closed", twn)

    def tender(self) -> None:
        p, r = self.plan, self.rng
        head = village_head(p.township, p.village)
        self.add("tender_notice", head, days=r.uniform(1, 3))
        bid = p.budget_fen * r.uniform(0.85, 0.97) // 100 * 100
        others = r.sample([c for c in pool(p.township) if c != p.contractor], 2)
        for org, amount in (
            (p.contractor, bid),
            *((o, bid * r.uniform(1.02, 1.1) // 1) for o in others),
        ):
            self.add("bid", builder(org), {"amount_fen": int(amount)}, days=r.uniform(0.2, 2))
        self.add(
            "award",
            head,
            {"organisation": p.contractor, "amount_fen": int(bid)},
            days=r.uniform(1, 3),
        )
        person, org, _ = builder(p.contractor)
        self.add(
            "power_assignment",
            COUNTY,
            {"power": "execution", "organisation": org, "person": person},
        )
        self.add(
            "contract", builder(p.contractor), {"amount_fen": int(bid)}, days=r.uniform(0.5, 3)
        )
        if p.quirk == "second_award":
            other = f"org-bld{(p.township + 1) % len(TOWNSHIPS)}-0"
            self.add(
                "award", head, {"organisation": other, "amount_fen": int(bid)}, days=5, outside=True
            )
            self.add("contract", builder(other), {"amount_fen": int(bid)}, days=1, outside=True)

    def works(self) -> bool:
        """Progress, site photos, supervision and a change order; False when the works stall."""
        p, r, proj = self.plan, self.rng, self.project
        start = max(
            self.at + timedelta(days=1), datetime.combine(proj.planned_start, clock(9), CST)
        )
        finish = datetime.combine(proj.planned_end, clock(17), CST) + timedelta(
            days=r.uniform(-10, 3)
        )
        contractor, quorum, fate = builder(p.contractor), self.quorum(), outcome(p)
        for n, share in enumerate((0.3, 0.6, 0.9)):
            at = start + (finish - start) * share + timedelta(days=fate.slip_days)
            self.at = max(self.at, at)
            self.add("progress_report", contractor, {"percent": int(share * 100)})
            self.photo(n, contractor if n != 1 else self.supervisor)
            if p.quirk in ("stall", "stall_20", "stall_30"):
                return False
            if n != 1:
                self.growth(fate.growth[n // 2])
            if n == 1:
                self.add("supervision_report", self.supervisor)
                self.change_order()
            if n == 1 and p.quirk == "advance_payment":
                advance = self.state.contract_total_fen // 4
                self.add("payment", FINANCE, {"amount_fen": advance}, days=1, outside=True)
            if n == 2 and p.quirk == "early_certificate":
                self.add(
                    "acceptance_certificate",
                    village_head(p.township, p.village),
                    self.certificate(),
                    days=1,
                    outside=True,
                    signers=quorum,
                )
        self.at = max(self.at, finish + timedelta(days=fate.late_days))
        return True

    def growth(self, share: float) -> None:
        """A change order growing the contract by ``share`` of it (up to the budget), if any."""
        total = self.state.contract_total_fen
        delta = min(int(total * share), self.project.budget_fen - total)
        if delta > 0:
            self.add(
                "change_order",
                builder(self.plan.contractor),
                {"reason": "工程量增加", "amount_delta_fen": delta},
                days=1,
            )

    def change_order(self) -> None:
        budget, total = self.project.budget_fen, self.state.contract_total_fen
        if self.plan.quirk == "budget_edge":
            delta = budget - total  # the contract with its change comes to the budget exactly
        elif self.rng.random() < 0.3:
            delta = min(int(total * self.rng.uniform(-0.03, 0.06)), budget - total)
        else:
            return
        self.add(
            "change_order",
            builder(self.plan.contractor),
            {"reason": "设计变更", "amount_delta_fen": delta},
            days=1,
        )

    def quorum(self) -> tuple[Person, ...]:
        p = self.plan
        return (
            builder(p.contractor),
            self.supervisor,
            village_head(p.township, p.village),
            township_admin(p.township),
        )

    def certificate(self) -> dict[str, object]:
        return {
            "signers": [
                {"person": s[0], "organisation": s[1], "role": s[2].value} for s in self.quorum()
            ]
        }

    def photo(self, n: int, who: Person) -> None:
        p, r = self.plan, self.rng
        lat, lon = _site_of(p.township, p.village)  # the site's centre
        quirk = p.quirk if n == 1 else ""
        out = {"photo_far": 3000.0, "photo_edge": 430.0}.get(quirk, r.uniform(0, 150))
        lat, lon = _offset(lat, lon, out, 0.0)
        taken = self.at.astimezone(CST) - timedelta(hours=r.uniform(0.5, 6))
        if quirk == "photo_old":
            taken = datetime.combine(self.project.planned_start, clock(10), CST) - timedelta(
                days=40
            )
        shot = photo_of(p.code, n)
        if quirk in ("photo_copy", "photo_resized", "photo_similar"):
            source = photo_of(p.source, 0)
            bits = {"photo_copy": 0, "photo_resized": 3, "photo_similar": 14}[quirk]
            flipped = source.phash ^ sum(1 << b for b in r.sample(range(64), bits))
            shot = source if bits == 0 else Photo(shot.sha256, flipped)
        location = {
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "accuracy_m": 5.0 if quirk else round(r.uniform(3, 12), 1),
        }
        self.add(
            "site_photo", who, {"location": location, "taken_at": taken.isoformat()}, photo=shot
        )

    def settle(self) -> None:
        p, r = self.plan, self.rng
        contractor, head = builder(p.contractor), village_head(p.township, p.village)
        self.add("completion", contractor)
        self.add("acceptance_request", contractor, days=r.uniform(1, 3))
        self.add(
            "acceptance_certificate",
            head,
            self.certificate(),
            days=r.uniform(1, 5),
            signers=self.quorum(),
        )
        self.add("audit_opinion", AUDITOR, {"opinion": "账实相符"}, days=r.uniform(1, 3))
        total = self.state.contract_total_fen
        due = total - sum(
            int(rec.data["amount_fen"])
            for rec, outside, _ in self.items
            if outside and rec.kind == "payment"
        )
        parts = (due,) if r.random() < 0.7 else (due * 6 // 10, due - due * 6 // 10)
        for amount in parts:
            self.add("payment_request", contractor, {"amount_fen": amount}, days=r.uniform(1, 3))
            self.add("payment_approval", FINANCE, days=r.uniform(1, 3))
            self.add("payment", FINANCE, {"amount_fen": amount}, days=r.uniform(0.5, 2))
        if p.quirk == "extra_payment":
            extra = p.budget_fen // 5
            self.add("payment", FINANCE, {"amount_fen": extra}, days=3, outside=True)
        self.add(
            "settlement",
            township_admin(p.township),
            {"final_amount_fen": total},
            days=r.uniform(2, 6),
        )

    def write(self) -> Writer:
        self.register()
        self.review_and_notice()
        self.tender()
        if self.works():
            self.settle()
        return self
