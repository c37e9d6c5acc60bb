# ruff: noqa: RUF001 - Chinese output uses fullwidth punctuation on purpose
"""One village road project under the lifecycle, for ``sunlight demo``: registration to archived.

Over the real API of a running server: organisations and people with their roles are registered,
the village committee registers a road project, the county assigns the four powers, and the
project walks application → review → public notice → implementation (tender, bids, award,
contract, progress, site photos with GPS, a private supervision report, completion) → settlement
(acceptance request, the certificate signed by the quorum, payment request, approval, payment,
audit, settlement) → archived. Three actions are refused on the way — a wrong step, a wrong role
and a four-power conflict — and their refusals printed as the server words them. The log is
anchored, the project's completeness proof fetched as anyone would and verified with the pinned
log key (the library, in this process), then against the chain (``sunlight verify-project --trust``,
as an auditor would), and the public timeline page's address printed.

The server must run with :data:`DEMO_RULES` (``SUNLIGHT_LIFECYCLE_RULES``): the public notice's
minimum period is 0 days there, so the demo need not wait the default 5 days or move a clock;
``received_at`` is always the server's own time, which a demo cannot and should not fake.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rich.console import Console

from api.run.demo import anchor_all, cli, gps_of, level_of, sign_fields, site_photo, trust_file
from notary.completeness import parse_project_proof, verify_project_proof
from notary.trust import TrustRoot

__all__ = ["CODE", "DEMO_RULES", "ProjectOutcome", "walk_project"]

CODE = "XQ-2026-0107"
#: The lifecycle rules of the demo's server: the defaults, with a public notice of 0 days.
DEMO_RULES: dict[str, Any] = {"notice_min_days": 0}
COUNTY, TOWNSHIP, VILLAGE = "西泉县", "清河镇", "李庄村"
SITE = (30.27412, 120.15531)
#: A private record's words: the page and the public proof must never show them.
PRIVATE_NOTE = "内部意见：北段路基压实度偏低，已要求返工"

#: role → (person, person's name, organisation, organisation's name, where it acts)
CAST: dict[str, tuple[str, str, str, str, dict[str, str]]] = {
    "county_administrator": (
        "liu-county",
        "刘建国",
        "org-xiquan-county",
        "西泉县人民政府",
        {"county": COUNTY},
    ),
    "township_administrator": (
        "zhao-township",
        "赵海",
        "org-qinghe-township",
        "清河镇人民政府",
        {"county": COUNTY, "township": TOWNSHIP},
    ),
    "village_committee_head": (
        "li-village",
        "李秀英",
        "org-lizhuang-village",
        "李庄村村民委员会",
        {"county": COUNTY, "township": TOWNSHIP, "village": VILLAGE},
    ),
    "contractor": (
        "wang-builder",
        "王强",
        "org-qinghe-builders",
        "清河路桥建设有限公司",
        {"county": COUNTY},
    ),
    "supervisor": (
        "zhang-supervisor",
        "张工",
        "org-huaxin-supervision",
        "华信工程监理公司",
        {"county": COUNTY},
    ),
    "finance_reviewer": (
        "chen-finance",
        "陈敏",
        "org-xiquan-finance",
        "西泉县财政局",
        {"county": COUNTY},
    ),
    "auditor": ("sun-auditor", "孙立", "org-xiquan-audit", "西泉县审计局", {"county": COUNTY}),
}
QUORUM = ("contractor", "supervisor", "village_committee_head", "township_administrator")
REGISTRATION: dict[str, Any] = {
    "code": CODE,
    "name": "李庄村村道硬化工程",
    "region": {"county": COUNTY, "township": TOWNSHIP, "village": VILLAGE},
    "category": "road",
    "budget_fen": 38_000_000,
    "funding_source": "县财政专项资金 2026",
    "site": {"shape": "circle", "center": {"lat": SITE[0], "lon": SITE[1]}, "radius_m": 800.0},
    "planned_start": "2026-04-01",
    "planned_end": "2026-06-30",
    "details": {"length_m": 1200, "width_m": 4.5},
}


@dataclass
class ProjectOutcome:
    """What the walk ended with: the project's step, the refusals' rules, the number of records,
    each verifier's level for the completeness proof, and the timeline page's address."""

    step: str = ""
    refusals: list[str] = field(default_factory=list)
    records: int = 0
    levels: dict[str, str] = field(default_factory=dict)
    url: str = ""

    @property
    def complete(self) -> bool:
        want = {"pinned log key": "verified_by_log", "chain": "anchored"}
        return self.step == "archived" and self.levels == want and len(self.refusals) == 3


@dataclass
class _Walk:
    console: Console
    http: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    outcome: ProjectOutcome = field(default_factory=ProjectOutcome)
    #: The log's size after the last record accepted.
    size: int = 0

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[CAST[role][0]]}"}

    def meta(self, stage: str, kind: str, role: str, data: dict[str, Any]) -> dict[str, Any]:
        acting = {"organisation": CAST[role][2], "role": role}
        return {"project": CODE, "stage": stage, "kind": kind, "data": {"actor": acting, **data}}

    def file(
        self,
        stage: str,
        kind: str,
        role: str,
        data: dict[str, Any] | None = None,
        *,
        signers: tuple[str, ...] = (),
        upload: Path | None = None,
        public: bool = True,
    ) -> httpx.Response:
        meta = self.meta(stage, kind, role, data or {})
        if signers:
            view = {**meta, "submitter": CAST[role][0]}
            meta["signatures"] = [
                sign_fields(view, CAST[r][0], self.keys[CAST[r][0]]) for r in signers
            ]
        if not public:
            meta["public"] = False
        files = {"file": (upload.name, upload.read_bytes())} if upload else None
        body = {"meta": json.dumps(meta, ensure_ascii=False)}
        return self.http.post("/v1/records", headers=self.auth(role), data=body, files=files)

    def accepted(self, what: str, r: httpx.Response) -> None:
        if r.status_code != 201:
            raise SystemExit(f"{what} was refused: {r.text}")
        self.outcome.records += 1
        self.size = max(self.size, int(r.json()["leaf_index"]) + 1)

    def ok(
        self, stage: str, kind: str, role: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        self.accepted(f"{kind} by {role}", self.file(stage, kind, role, data, **kw))

    def refused(self, what: str, response: httpx.Response) -> None:
        body = response.json() if response.status_code == 422 else {}
        rule = str(body.get("rule", f"HTTP {response.status_code}"))
        self.outcome.refusals.append(rule)
        self.console.print(
            f"  [red]✗ refused[/] {what}: [bold]{rule}[/] — {body.get('message_zh', response.text)}",
            highlight=False,
        )

    def assign(self, power: str, role: str) -> httpx.Response:
        person, _, org, _, _ = CAST[role]
        return self.http.post(
            f"/v1/projects/{CODE}/powers",
            headers=self.auth("county_administrator"),
            json={"power": power, "organisation": org, "person": person},
        )


def _register_cast(walk: _Walk, admin: dict[str, str]) -> None:
    for role, (person, name, org, org_name, region) in CAST.items():
        body = {"id": org, "name": org_name, "kind": "government", "region": region}
        walk.http.post("/v1/organisations", headers=admin, json=body).raise_for_status()
        walk.http.post(
            "/v1/parties",
            headers=admin,
            json={
                "id": person,
                "name": name,
                "kind": "person",
                "roles": ["submitter"],
                "organisation": org,
                "lifecycle_roles": [role],
            },
        ).raise_for_status()
        token = walk.http.post(f"/v1/parties/{person}/tokens", headers=admin)
        walk.tokens[person] = token.raise_for_status().json()["token"]
        key = walk.keys[person] = Ed25519PrivateKey.generate()
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        walk.http.post(
            f"/v1/parties/{person}/keys",
            headers=admin,
            json={"key_id": f"{person}-1", "public_key": base64.b64encode(raw).decode()},
        ).raise_for_status()
    walk.console.print(
        f"registered {len(CAST)} organisations and their people, one role each, with signing keys",
        highlight=False,
    )


def _register_and_approve(walk: _Walk) -> None:
    head = walk.auth("village_committee_head")
    walk.accepted(
        "the registration", walk.http.post("/v1/projects", headers=head, json=REGISTRATION)
    )
    for power, role in (
        ("approval", "township_administrator"),
        ("supervision", "supervisor"),
        ("evaluation", "auditor"),
    ):
        walk.accepted(f"the {power} power", walk.assign(power, role))
    walk.console.print(
        f"申报 registered {CODE} {REGISTRATION['name']}, budget 380,000.00 元; approval, "
        "supervision and evaluation powers assigned",
        highlight=False,
    )
    walk.refused(
        "the village committee posts a tender notice while the project is still applying",
        walk.file("application", "tender_notice", "village_committee_head"),
    )
    walk.ok("application", "application", "village_committee_head")
    walk.ok("review", "review_opinion", "finance_reviewer", {"opinion": "预算合理，方案可行"})
    walk.refused(
        "the village committee approves its own project",
        walk.file("review", "approval", "village_committee_head", {"opinion": "同意"}),
    )
    walk.ok("review", "approval", "township_administrator", {"opinion": "同意立项"})
    walk.ok("notice", "notice_published", "township_administrator")
    walk.ok("notice", "notice_closed", "township_administrator")
    walk.console.print(
        "评审 reviewed and approved; 公示 notice published and closed", highlight=False
    )


def _implement(walk: _Walk, folder: Path) -> None:
    stage = "implementation"
    walk.ok(stage, "tender_notice", "village_committee_head")
    walk.ok(stage, "bid", "contractor", {"amount_fen": 36_500_000})
    award = {"organisation": CAST["contractor"][2], "amount_fen": 36_500_000}
    walk.ok(stage, "award", "village_committee_head", award)
    walk.refused(
        "the execution power given to the supervisor, who holds supervision",
        walk.assign("execution", "supervisor"),
    )
    walk.accepted("the execution power", walk.assign("execution", "contractor"))
    walk.ok(stage, "contract", "contractor", {"amount_fen": 36_500_000})
    walk.ok(stage, "progress_report", "contractor", {"percent": 50})
    folder.mkdir(parents=True, exist_ok=True)
    for n, (role, colour) in enumerate(
        (("contractor", (96, 140, 64)), ("supervisor", (120, 120, 110)))
    ):
        photo = folder / f"road-{n + 1}.jpg"
        taken = f"2026-05-1{n + 1}T09:3{n}:00"
        site_photo(photo, SITE[0] + 0.0004 * n, SITE[1] + 0.0005 * n, taken, colour)
        data = {"gps": {**gps_of(photo), "accuracy_m": 8}, "taken_at": f"{taken}+08:00"}
        walk.ok(stage, "site_photo", role, data, upload=photo)
    walk.ok(stage, "supervision_report", "supervisor", {"note": PRIVATE_NOTE}, public=False)
    walk.ok(stage, "progress_report", "contractor", {"percent": 100})
    walk.ok(stage, "completion", "contractor")
    walk.console.print(
        "实施 tender, bid, award, contract, progress, 2 site photos with GPS, a private "
        "supervision report, completion",
        highlight=False,
    )


def _settle(walk: _Walk) -> None:
    stage = "settlement"
    walk.ok(stage, "acceptance_request", "contractor")
    seats = [{"person": CAST[r][0], "organisation": CAST[r][2], "role": r} for r in QUORUM]
    walk.ok(
        stage,
        "acceptance_certificate",
        "village_committee_head",
        {"signers": seats},
        signers=QUORUM,
    )
    walk.ok(stage, "payment_request", "contractor", {"amount_fen": 36_500_000})
    walk.ok(stage, "payment_approval", "finance_reviewer")
    walk.ok(stage, "payment", "finance_reviewer", {"amount_fen": 36_500_000})
    walk.ok(stage, "audit_opinion", "auditor", {"opinion": "账实相符"})
    walk.ok(stage, "settlement", "township_administrator", {"final_amount_fen": 36_500_000})
    walk.outcome.step = walk.http.get(f"/v1/projects/{CODE}").json()["step"]
    walk.console.print(
        "结算 acceptance certificate signed by contractor, supervisor, village committee and "
        f"township; payment 365,000.00 元; audit; settlement → [bold]{walk.outcome.step}[/]",
        highlight=False,
    )


def _verify_completeness(walk: _Walk, base: str, out_dir: Path) -> None:
    proof = httpx.get(f"{base}/v1/projects/{CODE}/proof", timeout=60)
    proof.raise_for_status()
    path = out_dir / f"{CODE}-completeness.json"
    path.write_text(json.dumps(proof.json(), indent=2, ensure_ascii=False))
    trust, log_key = trust_file(base, out_dir)
    pinned = TrustRoot.pin(base64.b64decode(log_key))
    report = verify_project_proof(parse_project_proof(path.read_bytes()), trust=pinned)
    walk.outcome.levels = {
        "pinned log key": report.level.value,
        "chain": level_of(cli("verify-project", str(path), "--trust", str(trust), "--json")),
    }
    shown = sum("entry" in r for r in proof.json()["records"])
    mark = "[green]complete[/]" if walk.outcome.complete else "[red]NOT complete[/]"
    walk.console.print(
        f"completeness of {CODE}: {mark} — {walk.outcome.records} records ({shown} public), "
        + ", ".join(f"{k}: {v}" for k, v in walk.outcome.levels.items()),
        highlight=False,
    )


def walk_project(console: Console, base: str, admin_token: str, out_dir: Path) -> ProjectOutcome:
    """Walk the demo project from registration to archived on the server at ``base`` (run with
    :data:`DEMO_RULES`), anchor, and verify its completeness; files go to ``out_dir``."""
    console.rule(f"a village project, registration to archived — {CODE}")
    admin = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=base, timeout=120) as http:
        walk = _Walk(console, http)
        _register_cast(walk, admin)
        _register_and_approve(walk)
        _implement(walk, out_dir / "project-files")
        _settle(walk)
        http.headers.update(admin)
        anchor_all(http, walk.size)
        _verify_completeness(walk, base, out_dir)
    walk.outcome.url = f"{base}/projects/{CODE}"
    console.print(f"project timeline page: {walk.outcome.url}", highlight=False)
    return walk.outcome
