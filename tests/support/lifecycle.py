"""A project's story for the lifecycle tests and vectors: a cast of parties, valid data for every
kind, and :class:`Story`, which builds a project's log record by record through ``decide``.

Records are real: signed by deterministic Ed25519 keys (from fixed seeds) over the record's
signing payload, received at fixed times, so vectors built from them are identical on every run.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notary.lifecycle import (
    DEFAULT_RULES,
    Actor,
    LifecycleRules,
    ProjectState,
    Proposal,
    Role,
    Transition,
    decide,
)
from notary.records import Record, RecordSignature, signing_payload

CODE = "XQ-2026-0042"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

#: Each role's person and organisation: the project's own parties.
CAST = {
    Role.COUNTY_ADMINISTRATOR: ("p-county-admin", "org-county-government"),
    Role.TOWNSHIP_ADMINISTRATOR: ("p-township-admin", "org-qinghe-township"),
    Role.VILLAGE_COMMITTEE_HEAD: ("p-village-head", "org-lizhuang-village"),
    Role.CONTRACTOR: ("p-contractor", "org-jianshe-construction"),
    Role.SUPERVISOR: ("p-supervisor", "org-huaxin-supervision"),
    Role.FINANCE_REVIEWER: ("p-finance", "org-county-finance-bureau"),
    Role.AUDITOR: ("p-auditor", "org-county-audit-bureau"),
}


def actor(role: Role, *, outsider: bool = False) -> Actor:
    """The project's person in ``role``, or (``outsider``) one of another organisation that holds
    nothing in this project."""
    person, org = CAST[role]
    if outsider:
        person, org = f"{person}-other", f"{org}-other"
    return Actor(person=person, organisation=org, roles=frozenset({role}))


def holder(power: str) -> dict[str, str]:
    """The power_assignment data giving ``power`` to its natural holder in the cast."""
    role = {
        "approval": Role.TOWNSHIP_ADMINISTRATOR,
        "execution": Role.CONTRACTOR,
        "supervision": Role.SUPERVISOR,
        "evaluation": Role.AUDITOR,
    }[power]
    person, org = CAST[role]
    return {"power": power, "organisation": org, "person": person}


REGISTRATION: dict[str, Any] = {
    "code": CODE,
    "name": "李庄村北涵洞及道路硬化 North culvert and road surfacing",
    "region": {"county": "西泉县", "township": "清河镇", "village": "李庄村"},
    "category": "road",
    "budget_fen": 35_000_000,
    "funding_source": "county special fund 2026",
    "site": {"shape": "circle", "center": {"lat": 30.27, "lon": 120.15}, "radius_m": 300.0},
    "planned_start": "2026-04-01",
    "planned_end": "2026-06-30",
    "details": {"length_m": 820, "width_m": 4.5},
}

QUORUM = (
    Role.CONTRACTOR,
    Role.SUPERVISOR,
    Role.VILLAGE_COMMITTEE_HEAD,
    Role.TOWNSHIP_ADMINISTRATOR,
)

#: Valid data for every kind (besides ``actor``), as the project's own parties would give it.
DATA: dict[str, dict[str, Any]] = {
    "project_registration": REGISTRATION,
    "power_assignment": holder("execution"),
    "review_opinion": {"opinion": "技术方案可行 the design is sound"},
    "approval": {"opinion": "同意立项 approved"},
    "rejection": {"reason": "预算依据不足 budget basis missing"},
    "objection": {"reason": "路线占用耕地 the route takes farmland"},
    "objection_ruling": {"objection": 0, "upheld": False, "reason": "路线已避让 route avoids it"},
    "bid": {"amount_fen": 30_000_000},
    "award": {"organisation": CAST[Role.CONTRACTOR][1], "amount_fen": 30_000_000},
    "contract": {"amount_fen": 30_000_000},
    "progress_report": {"percent": 60},
    "change_order": {"reason": "涵洞加长 longer culvert", "amount_delta_fen": 1_500_000},
    "acceptance_certificate": {
        "signers": [
            {"person": CAST[r][0], "organisation": CAST[r][1], "role": r.value} for r in QUORUM
        ]
    },
    "payment_request": {"amount_fen": 31_500_000},
    "payment": {"amount_fen": 31_500_000},
    "audit_opinion": {"opinion": "账实相符 accounts agree"},
    "settlement": {"final_amount_fen": 31_500_000},
}


def _seed(person: str) -> bytes:
    return hashlib.sha256(f"sunlight lifecycle vectors: {person}".encode()).digest()


def sign(record: Record, persons: tuple[str, ...]) -> Record:
    """``record`` signed by each of ``persons`` (party id = person id, key ``<person>-k1``)."""
    sigs = tuple(
        RecordSignature(
            party=p,
            alg="ed25519",
            key_id=f"{p}-k1",
            sig=base64.b64encode(
                Ed25519PrivateKey.from_private_bytes(_seed(p)).sign(signing_payload(record, p))
            ).decode(),
        )
        for p in persons
    )
    return record.model_copy(update={"signatures": sigs})


def at_text(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


class Story:
    """A project's log built through ``decide``: :meth:`add` appends an accepted record."""

    def __init__(self, rules: LifecycleRules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.state = ProjectState()
        self.records: list[Record] = []
        self.transitions: list[Transition] = []
        self.at = T0

    def record(
        self,
        kind: str,
        who: Actor,
        data: dict[str, Any] | None = None,
        *,
        stage: str | None = None,
        signed_by: tuple[Actor, ...] = (),
    ) -> Record:
        """The record ``who`` would submit now (``data`` defaults to :data:`DATA`)."""
        role = min(who.roles)
        body = {"actor": {"organisation": who.organisation, "role": role.value}}
        record = Record(
            project=CODE,
            stage=stage or self.state.step.stage,
            kind=kind,
            data={**body, **(DATA.get(kind, {}) if data is None else data)},
            submitter=who.person,
            received_at=at_text(self.at),
        )
        return sign(record, tuple(a.person for a in signed_by))

    def propose(self, record: Record, who: Actor, signers: tuple[Actor, ...] = ()) -> Transition:
        """Decide ``record`` against the story so far, without adding it."""
        return decide(self.state, Proposal.of_record(record, signers), who, self.at, self.rules)

    def add(
        self,
        kind: str,
        role: Role,
        data: dict[str, Any] | None = None,
        *,
        days: float = 0,
        who: Actor | None = None,
    ) -> Transition:
        """Advance the clock (a minute, plus ``days``), then decide and append a record of
        ``kind`` by the project's ``role`` (or ``who``); a certificate is signed by the quorum."""
        self.at += timedelta(days=days, minutes=1)
        who = who or actor(role)
        signers = tuple(actor(r) for r in QUORUM) if kind == "acceptance_certificate" else ()
        record = self.record(kind, who, data, signed_by=signers)
        transition = self.propose(record, who, signers)
        self.state = transition.state
        self.records.append(record)
        self.transitions.append(transition)
        return transition


def registered(rules: LifecycleRules = DEFAULT_RULES) -> Story:
    """A story with the project registered and approval, supervision and evaluation assigned."""
    story = Story(rules)
    story.add("project_registration", Role.VILLAGE_COMMITTEE_HEAD)
    for power in ("approval", "supervision", "evaluation"):
        story.add("power_assignment", Role.COUNTY_ADMINISTRATOR, holder(power))
    return story


def to_notice(story: Story) -> Story:
    story.add("application", Role.VILLAGE_COMMITTEE_HEAD)
    story.add("review_opinion", Role.TOWNSHIP_ADMINISTRATOR)
    story.add("approval", Role.TOWNSHIP_ADMINISTRATOR)
    return story


def to_implementation(story: Story) -> Story:
    story.add("notice_published", Role.TOWNSHIP_ADMINISTRATOR)
    story.add("notice_closed", Role.TOWNSHIP_ADMINISTRATOR, days=DEFAULT_RULES.notice_min_days)
    return story


def contracted(story: Story) -> Story:
    story.add("tender_notice", Role.VILLAGE_COMMITTEE_HEAD)
    story.add("bid", Role.CONTRACTOR)
    story.add("award", Role.VILLAGE_COMMITTEE_HEAD)
    story.add("power_assignment", Role.COUNTY_ADMINISTRATOR, holder("execution"))
    story.add("contract", Role.CONTRACTOR)
    return story


def to_settlement(story: Story) -> Story:
    story.add("change_order", Role.CONTRACTOR)
    story.add("completion", Role.CONTRACTOR)
    return story


def accepted(story: Story) -> Story:
    story.add("acceptance_request", Role.CONTRACTOR)
    story.add("acceptance_certificate", Role.VILLAGE_COMMITTEE_HEAD)
    return story


_V, _T, _C, _K = (
    Role.VILLAGE_COMMITTEE_HEAD,
    Role.TOWNSHIP_ADMINISTRATOR,
    Role.CONTRACTOR,
    Role.COUNTY_ADMINISTRATOR,
)
#: The happy path after registration and the first three powers, as (kind, role, data, days
#: before it); ``None`` marks where a step's reference state for the matrix ends.
HAPPY_PATH: tuple[tuple[str, Role, dict[str, Any] | None, float] | None, ...] = (
    None,  # application
    ("application", _V, None, 0),
    ("review_opinion", Role.FINANCE_REVIEWER, None, 2),
    None,  # review
    ("approval", _T, None, 1),
    ("notice_published", _T, None, 0),
    ("objection", Role.SUPERVISOR, None, 1),
    None,  # notice
    ("objection_ruling", _K, None, 1),
    ("notice_closed", _T, None, 4),
    ("tender_notice", _V, None, 3),
    ("bid", _C, None, 3),
    ("award", _V, None, 1),
    ("power_assignment", _K, holder("execution"), 0),
    ("contract", _C, None, 2),
    None,  # implementation
    ("progress_report", _C, None, 7),
    ("site_photo", Role.SUPERVISOR, None, 7),
    ("supervision_report", Role.SUPERVISOR, None, 1),
    ("change_order", _C, None, 3),
    ("completion", _C, None, 7),
    ("acceptance_request", _C, None, 1),
    ("acceptance_certificate", _V, None, 3),
    ("audit_opinion", Role.AUDITOR, None, 2),
    None,  # settlement
    ("payment_request", _C, None, 1),
    ("payment_approval", Role.FINANCE_REVIEWER, None, 2),
    ("payment", Role.FINANCE_REVIEWER, None, 1),
    ("settlement", _T, None, 5),
    None,  # archived
)


def happy_path() -> tuple[Story, dict[str, int]]:
    """A project from registration to archived, and for each step the number of records after
    which the project is in it, as the matrix's reference state (``unregistered``: none)."""
    story, cut = registered(), {"unregistered": 0}
    steps = iter(("application", "review", "notice", "implementation", "settlement", "archived"))
    for entry in HAPPY_PATH:
        if entry is None:
            cut[next(steps)] = len(story.records)
        else:
            kind, role, data, days = entry
            story.add(kind, role, data, days=days)
    return story, cut
