# ruff: noqa: RUF001, RUF002 - the page's Chinese words use fullwidth punctuation
"""The oversight dashboard (/dashboard) in Debian's Chromium on a 360×640 phone: a small synthetic
county appended to a running ``sunlight serve``, the rules run and their alerts notarized and
anchored; the page is filtered to one township and an alert followed to its record on /verify,
which verifies it against the pinned log key. The running projects' forecasts are listed apart from
the alerts, as warnings with their factors in words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.run.demo import anchor_all
from api.run.demo_county import append_county, small_county
from api.run.process import running_server
from api.service.notary import Notary
from api.service.oversight import Oversight
from api.settings import Settings
from notary.lifecycle import LifecycleRules
from notary.oversight.forecast import FEATURES
from tests.support.verify_page import new_page, verdict_of

ADMIN = "e2e-dashboard-admin-" + "0123456789abcdef" * 2
COUNTY, TOWNSHIP, QUIET = "西泉县", "清河镇", "东山镇"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("dashboard")
    with running_server(root / "data", ADMIN, root / "server.log") as (_, url):
        county = small_county()
        settings = Settings(data_dir=root / "data")
        notary = Notary.open(settings)
        try:
            append_county(notary, county, LifecycleRules(notice_min_days=1))
            result = Oversight.open(notary, settings).run(county[2])
            assert len(result.notarized) >= 5
            size = notary.log.size
        finally:
            notary.close()
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN}"})
        anchor_all(admin, size)
        yield url


def _filtered(browser: Any, base: str, township: str, locale: str = "zh-CN") -> Any:
    page = new_page(browser, locale=locale, phone=True, screen=(360, 640))
    page.goto(f"{base}/dashboard?county={COUNTY}")
    page.locator("body[data-loaded=all]").wait_for(timeout=60_000)
    page.select_option("#township", township)
    page.click("#apply")
    page.locator(f'body[data-loaded="{township}"]').wait_for(timeout=60_000)
    return page


def test_filter_to_a_township_and_follow_an_alert_to_its_verified_record(
    base: str, browser: Any, shots: Path
) -> None:
    page = _filtered(browser, base, TOWNSHIP)
    alerts = page.locator("li.alert")
    assert alerts.count() >= 5
    charted = page.locator("#chart svg rect.bar-rate:not(.legend)")
    assert charted.count() == 2  # both townships
    assert "红榜" in page.locator("#ranking").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
    first = alerts.first
    assert first.locator("a.alert-project").first.get_attribute("href").startswith("/projects/")
    first.locator("a.alert-record").click()
    page.wait_for_url("**/verify?id=*")
    assert verdict_of(page) == "ok"
    assert page.errors == []


def test_forecasts_are_warnings_with_their_factors_set_apart_from_alerts(
    base: str, browser: Any
) -> None:
    page = _filtered(browser, base, TOWNSHIP)
    forecasts = page.locator("#forecasts li.forecast")
    assert forecasts.count() >= 1  # the stalled project: contract signed, never completed
    first = forecasts.first
    words = first.inner_text()
    assert "预测，非结论" in words and "超支风险" in words
    assert "已逾期" in words  # it is already late: a fact, shown as such, not as a risk
    assert any(f.words.zh in words for f in FEATURES.values())  # a factor in plain words
    assert first.locator("a").get_attribute("href").startswith("/projects/XQ-")
    assert "预测只是提示需要多加关注的预警" in page.locator("#forecast-note").inner_text()
    assert "已有结果的项目" in page.locator("#forecast-training").inner_text()
    # a warning, not a finding: no alert's class, and not drawn like one
    assert page.locator("#alerts li.forecast, #forecasts li.alert").count() == 0
    style = first.evaluate(
        "e => [getComputedStyle(e).borderLeftStyle, getComputedStyle(e).borderLeftColor]"
    )
    alert_color = page.locator("li.alert").first.evaluate(
        "e => getComputedStyle(e).borderLeftColor"
    )
    assert style[0] == "dashed" and style[1] != alert_color
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#lang-en")
    section = page.locator(".forecast-card").inner_text()
    assert "Forecast warnings" in section and "forecast, not a verdict" in section
    assert "Risk of overrun" in section and "Already late" in section
    assert page.errors == []


def test_a_quiet_township_has_no_alerts_and_english_is_there(base: str, browser: Any) -> None:
    page = _filtered(browser, base, QUIET)
    assert page.locator("li.alert").count() == 0
    assert "没有预警" in page.locator("#alerts").inner_text()
    assert page.locator("li.forecast").count() == 0
    assert "目前没有在建项目" in page.locator("#forecasts").inner_text()
    page.click("#lang-en")
    assert "No alerts." in page.locator("#alerts").inner_text()
    assert "Completed" in page.locator("#tiles").inner_text()
    assert page.errors == []
