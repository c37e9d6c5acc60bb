# ruff: noqa: RUF001, RUF002 - the page's Chinese words use fullwidth punctuation
"""The public project timeline page (/projects/<code>) in Debian's Chromium on a 360×640 phone.

The project is the demo's village road project (api/run/demo_project.py), walked through the real
API of ``sunlight serve`` from registration to archived and anchored on the embedded chain. The
page judges the project's completeness proof in the browser against the pinned log key; a proof
altered on its way (Playwright intercepts the route) must show as not verified, and the content of
the project's private record never reaches the page.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from api.run.demo_project import CODE, DEMO_RULES, PRIVATE_NOTE, ProjectOutcome, walk_project
from api.run.process import running_server
from tests.support.verify_page import check_of, new_page, verdict_of

ADMIN = "e2e-timeline-admin-" + "0123456789abcdef" * 2
PHONE = (360, 640)
STEPS_ZH = ["申报", "评审", "公示", "实施", "结算", "已归档"]
STEPS_EN = ["Application", "Review", "Public notice", "Construction", "Settlement", "Archived"]


@dataclass
class Settled:
    base: str
    outcome: ProjectOutcome


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settled]:
    root = tmp_path_factory.mktemp("timeline-page")
    rules = root / "rules.json"
    rules.write_text(json.dumps(DEMO_RULES))
    env = {"SUNLIGHT_LIFECYCLE_RULES": str(rules)}
    with running_server(root / "data", ADMIN, root / "server.log", env) as (_, base):
        outcome = walk_project(Console(file=io.StringIO()), base, ADMIN, root / "out")
        assert outcome.complete, outcome
        yield Settled(base, outcome)


def _open(browser: Any, settled: Settled, *, locale: str = "zh-CN") -> Any:
    page = new_page(browser, locale=locale, phone=True, screen=PHONE)
    page.goto(f"{settled.base}/projects/{CODE}")
    done = ",".join(f"[data-state={s}]" for s in ("ok", "bad", "unauth", "pending"))
    page.locator(f"#whole:is({done})").wait_for(timeout=60_000)
    return page


def test_page_is_served_under_the_csp(settled: Settled) -> None:
    r = httpx.get(f"{settled.base}/projects/{CODE}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<script>" not in r.text and " style=" not in r.text
    for asset in ["timeline.js", "timeline.css", "timeline-words.js", "projectproof.js", "page.js"]:
        assert httpx.get(f"{settled.base}/static/{asset}").status_code == 200, asset


def test_settled_project_on_a_phone(settled: Settled, browser: Any, shots: Path) -> None:
    page = _open(browser, settled)
    whole = page.locator("#whole")
    assert whole.get_attribute("data-state") == "ok"
    assert whole.get_attribute("data-level") == "verified_by_log"
    assert "记录完整，没有被改动" in whole.inner_text()
    assert "1 条不公开" in whole.inner_text()  # the private record counted, not shown

    project = page.locator("#project").inner_text()
    assert "李庄村村道硬化工程" in project and CODE in project and "380,000.00 元" in project
    steps = page.locator("li.step")
    assert steps.count() == 6
    names = [steps.nth(i).locator(".step-name").inner_text() for i in range(6)]
    assert names == STEPS_ZH
    for i in range(6):
        assert steps.nth(i).is_visible() and steps.nth(i).get_attribute("data-state") == "done"
    for i in range(5):  # every step before archived has its records
        assert steps.nth(i).locator("li.record").count() > 0, STEPS_ZH[i]
    assert "项目已全部完成并归档" in steps.nth(5).inner_text()

    records = page.locator("li.record")
    assert records.count() == settled.outcome.records - 1  # all but the private one
    statuses = {records.nth(i).get_attribute("data-status") for i in range(records.count())}
    assert statuses == {"verified"}
    certificate = page.locator('li.record[data-kind="acceptance_certificate"]').inner_text()
    assert "验收证书" in certificate and "已核验" in certificate
    for person in ("wang-builder", "zhang-supervisor", "li-village", "zhao-township"):
        assert person in certificate
    assert (
        "华信工程监理公司" in page.locator('li.record[data-kind="site_photo"]').nth(1).inner_text()
    )

    html = page.content()
    assert PRIVATE_NOTE not in html and "supervision_report" not in html
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the page scrolls sideways on a phone: {width}px"
    for target in [page.locator("#lang-en"), page.locator("a.record-link").first]:
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, box
    page.screenshot(path=str(shots / "timeline-phone-zh.png"), full_page=True)

    page.click("#lang-en")
    names = [steps.nth(i).locator(".step-name").inner_text() for i in range(6)]
    assert names == STEPS_EN
    assert "Complete and unchanged" in page.locator("#whole").inner_text()
    assert "CNY 380,000.00" in page.locator("#project").inner_text()
    page.screenshot(path=str(shots / "timeline-phone-en.png"), full_page=True)
    assert page.errors == []


def test_a_records_link_checks_its_signatures(settled: Settled, browser: Any) -> None:
    page = _open(browser, settled)
    page.locator('li.record[data-kind="acceptance_certificate"] a.record-link').click()
    assert verdict_of(page) == "ok"
    for person in ("wang-builder", "zhang-supervisor", "li-village", "zhao-township"):
        assert check_of(page, "browser", f"signature:{person}/{person}-1") == "true", person
    assert page.errors == []


def test_altered_proof_shows_not_verified(settled: Settled, browser: Any) -> None:
    page = new_page(browser, phone=True, screen=PHONE)

    def alter(route: Any) -> None:
        proof = route.fetch().json()
        n, item = next(
            (n, r)
            for n, r in enumerate(proof["records"])
            if '"kind":"payment"' in r.get("entry", "")
        )
        entry = json.loads(item["entry"])
        entry["data"]["amount_fen"] = 46_500_000  # a payment 100,000 元 larger
        proof["records"][n]["entry"] = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        route.fulfill(json=proof)

    page.route(f"**/v1/projects/{CODE}/proof", alter)
    page.goto(f"{settled.base}/projects/{CODE}")
    page.locator("#whole[data-state=bad]").wait_for(timeout=60_000)
    assert "核验未通过" in page.locator("#whole-verdict").inner_text()
    failed = page.locator('#whole [data-check="inclusion"]')
    assert failed.get_attribute("data-passed") == "false"
    records = page.locator("li.record")
    statuses = {records.nth(i).get_attribute("data-status") for i in range(records.count())}
    assert statuses == {"failed"}
    assert "465,000.00" not in page.locator("#steps").inner_text()  # nothing shown from it
    assert page.errors == []


def test_unknown_project_says_so_plainly(settled: Settled, browser: Any) -> None:
    page = new_page(browser, phone=True, screen=PHONE)
    page.goto(f"{settled.base}/projects/XQ-2026-9999")
    status = page.locator("#status[data-state=error]")
    status.wait_for(timeout=60_000)
    assert "没有找到这个项目（编号 XQ-2026-9999）" in status.inner_text()
