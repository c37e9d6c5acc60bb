"""``sunlight demo``'s village project (api/run/demo_project.py) on a real ``sunlight serve``: it
ends archived, its three wrong actions refused by the rule that forbids each, and its proof
complete under the pinned log key and on the chain; the public sees its private record as a
leaf hash only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
from rich.console import Console

from api.run.demo_project import CODE, DEMO_RULES, PRIVATE_NOTE, walk_project
from api.run.process import running_server

ADMIN = "demo-project-admin-" + "0123456789abcdef" * 2


def test_demo_project_ends_archived_and_complete(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(DEMO_RULES))
    env = {"SUNLIGHT_LIFECYCLE_RULES": str(rules)}
    printed = io.StringIO()
    with running_server(tmp_path / "data", ADMIN, tmp_path / "server.log", env) as (_, base):
        outcome = walk_project(Console(file=printed, width=200), base, ADMIN, tmp_path / "out")
        project = httpx.get(f"{base}/v1/projects/{CODE}").json()
        public = httpx.get(f"{base}/v1/projects/{CODE}/proof").json()
        page = httpx.get(outcome.url)
    assert outcome.complete, outcome
    assert outcome.step == project["step"] == "archived"
    assert outcome.refusals == ["step.kind_not_allowed", "role.not_permitted", "powers.conflict"]
    assert outcome.levels == {"pinned log key": "verified_by_log", "chain": "anchored"}
    assert len(public["records"]) == outcome.records == 27
    withheld = [r for r in public["records"] if "entry" not in r]
    assert len(withheld) == 1 and PRIVATE_NOTE not in json.dumps(public, ensure_ascii=False)
    assert {p["power"] for p in project["powers"]} == {
        "approval",
        "execution",
        "supervision",
        "evaluation",
    }
    assert page.status_code == 200 and "timeline.js" in page.text
    text = printed.getvalue()
    assert text.count("✗ refused") == 3 and "complete —" in text and outcome.url in text
