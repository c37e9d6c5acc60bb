"""The field capture page under test and bench: a real Sunlight server (``sunlight serve``) with the
demo's cast and village project up to its contract, so the contractor may file progress reports
and site photos; a phone in Chromium (geolocation granted at the site) paired with a pairing code
the township administrator issued."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from api.run.demo import site_photo
from api.run.demo_project import (
    CAST,
    DEMO_RULES,
    SITE,
    _register_and_approve,
    _register_cast,
    _Walk,
)
from api.run.process import running_server

ADMIN = "capture-admin-" + "0123456789abcdef" * 2
#: The person whose phone is paired: the contractor.
PERSON = CAST["contractor"][0]
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000


@dataclass
class Site:
    base: str
    admin: httpx.Client
    walk: _Walk
    photos: list[Path]


def _contracted(walk: _Walk) -> None:
    """The demo project up to its contract: the contractor may now file progress and photos."""
    stage, amount = "implementation", {"amount_fen": 36_500_000}
    organisation = {"organisation": CAST["contractor"][2]}
    walk.ok(stage, "tender_notice", "village_committee_head")
    walk.ok(stage, "bid", "contractor", amount)
    walk.ok(stage, "award", "village_committee_head", {**organisation, **amount})
    walk.accepted("the execution power", walk.assign("execution", "contractor"))
    walk.ok(stage, "contract", "contractor", amount)


@contextmanager
def capture_site(root: Path) -> Iterator[Site]:
    """The server in ``root``, the project contracted, and three site photos (JPEG with EXIF)."""
    rules = root / "rules.json"
    rules.write_text(json.dumps(DEMO_RULES))
    env = {"SUNLIGHT_LIFECYCLE_RULES": str(rules), "SUNLIGHT_ANCHOR_INTERVAL_S": "3600"}
    bearer = {"Authorization": f"Bearer {ADMIN}"}
    with (
        running_server(root / "data", ADMIN, root / "server.log", env) as (_, base),
        httpx.Client(base_url=base, timeout=120) as http,
        httpx.Client(base_url=base, timeout=120, headers=bearer) as admin,
    ):
        walk = _Walk(Console(file=io.StringIO()), http)
        _register_cast(walk, bearer)
        _register_and_approve(walk)
        _contracted(walk)
        photos = []
        for n in range(3):
            photo = root / f"north-culvert-{n + 1}.jpg"
            site_photo(photo, SITE[0], SITE[1], f"2026-05-1{n}T09:30:00", (90 + 30 * n, 120, 80))
            photos.append(photo)
        yield Site(base, admin, walk, photos)


def issue_code(site: Site) -> str:
    """A pairing code for :data:`PERSON`, issued by the township administrator, as shown."""
    r = site.walk.http.post(
        "/v1/pairing-codes",
        headers=site.walk.auth("township_administrator"),
        json={"party": PERSON},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["display"])


def phone(browser: Any) -> tuple[Any, Any]:
    """A phone's browser context at the site, and a page in it (``page.errors``: script errors)."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"latitude": SITE[0], "longitude": SITE[1], "accuracy": 8},
        permissions=["geolocation"],
        accept_downloads=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return context, page


def pair(site: Site, page: Any) -> dict[str, Any]:
    """Pair the phone through the page; the answer of ``POST /v1/devices``."""
    page.goto(f"{site.base}/capture")
    page.locator("#pair-code").fill(issue_code(site))
    with page.expect_response("**/v1/devices") as answer:
        page.locator("#pair-submit").click()
    page.locator("#project option").first.wait_for(state="attached", timeout=WAIT_MS)
    paired: dict[str, Any] = answer.value.json()
    return paired
