"""The field capture page on a phone (Chromium, geolocation granted), as issue 12 asks: pair a
device, go offline, capture three photos and a progress note, reload offline (the service worker
serves the page), go online with the first upload's connection cut after the server took it, and
find all four records logged exactly once with valid device signatures, GPS and checked receipts;
anchor, and the proofs are verified on the phone, shown offline and exported to a file the server's
verifier accepts; a device revoked on the server is refused, its record kept with the reason.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.run.demo import anchor_all
from api.run.demo_project import CODE, SITE
from notary.records import parse_record, verify_record_signature
from notary.sigalgs import Alg
from tests.support.capture import PERSON, WAIT_MS, Site, capture_site, pair, phone


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with capture_site(tmp_path_factory.mktemp("capture-page")) as running:
        yield running


def _items(page: Any, status: str, count: int) -> Any:
    rows = page.locator(f"#queue li[data-status={status}]")
    rows.nth(count - 1).wait_for(timeout=WAIT_MS)
    assert rows.count() == count, f"{rows.count()} items {status}, want {count}"
    return rows


def _pair(site: Site, page: Any) -> tuple[str, bytes, Alg]:
    """Pair the phone; the device key's id, public key and algorithm, as the log registered it."""
    paired = pair(site, page)
    page.locator("#gps").filter(has_text="位置已取得").wait_for(timeout=WAIT_MS)
    registration = site.admin.get(f"/v1/records/{paired['record_id']}").json()["record"]
    data = registration["data"]
    assert data["party"] == PERSON and data["key_id"] == paired["key_id"]
    assert data["alg"] in ("ed25519", "p256")
    return paired["key_id"], base64.b64decode(data["public_key"]), data["alg"]


def _capture_offline(site: Site, page: Any) -> None:
    page.locator("#kind").select_option("site_photo")
    page.locator("#photos").set_input_files([str(p) for p in site.photos])
    page.locator("#note").fill("北段涵洞基础浇筑")
    page.locator("#save").click()
    page.locator("#kind").select_option("progress_report")
    page.locator("#percent").fill("60")
    page.locator("#note").fill("北段路基完成 涵洞在浇筑")
    page.locator("#save").click()
    _items(page, "waiting", 4)


def _logged(site: Site) -> list[dict[str, Any]]:
    """The person's progress reports and site photos in the project (``GET /v1/records/{id}``)."""
    answer = site.admin.get(f"/v1/projects/{CODE}/timeline")
    assert answer.status_code == 200, answer.text
    records = [r for step in answer.json()["steps"] for r in step["records"]]
    kinds = ("site_photo", "progress_report")
    mine = [r for r in records if r["submitter"] == PERSON and r["kind"] in kinds]
    return [site.admin.get(f"/v1/records/{r['id']}").json() for r in mine]


def _cut_first_upload(context: Any) -> list[int]:
    """Cut the connection of the first upload after the server has taken it (its answer lost)."""
    cut: list[int] = []

    def handle(route: Any) -> None:
        if route.request.method == "POST" and not cut:
            response = route.fetch()
            cut.append(response.status)
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/v1/records", handle)
    return cut


def test_offline_capture_is_notarized_once_with_receipts_and_proofs(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    context, page = phone(browser)
    key_id, public_key, alg = _pair(site, page)
    # The service worker has cached the page: it opens with no network at all.
    page.reload()
    page.locator("#capture:not([hidden])").wait_for(timeout=WAIT_MS)
    context.set_offline(True)
    page.locator("#net[data-online=false]").wait_for(timeout=WAIT_MS)
    _capture_offline(site, page)
    page.reload()  # offline: served by the service worker, the queue read back from IndexedDB
    _items(page, "waiting", 4)
    assert _logged(site) == [], "nothing may reach the server while offline"

    cut = _cut_first_upload(context)
    context.set_offline(False)
    rows = _items(page, "notarized", 4)
    assert cut == [201], "the first upload reached the server and its answer was lost"
    for n in range(4):
        rows.nth(n).locator("[data-receipt=ok]").wait_for(timeout=WAIT_MS)

    logged = _logged(site)
    assert sorted(r["record"]["kind"] for r in logged) == ["progress_report"] + ["site_photo"] * 3
    for answer in logged:
        record = parse_record(answer["record"])
        (sig,) = record.signatures
        assert sig.key_id == key_id
        verify_record_signature(record, sig, public_key, alg)
        gps = record.data["gps"]
        assert abs(gps["lat"] - SITE[0]) < 1e-6 and gps["accuracy_m"] == 8
        assert record.data["taken_at"] and record.client_time
    assert len({r["record"]["content"]["sha256"] for r in logged if r["record"]["content"]}) == 3

    anchor_all(site.admin, max(r["leaf_index"] for r in logged) + 1)
    page.locator("#send-now").click()
    page.locator("#queue [data-level=verified_by_log]").nth(3).wait_for(timeout=WAIT_MS)

    context.set_offline(True)  # the receipt and its proof are evidence on the phone, offline
    first = page.locator("#queue li").first
    first.locator("summary").click()
    first.locator(".recheck[data-level=verified_by_log]").wait_for(timeout=WAIT_MS)
    with page.expect_download() as download:
        first.locator(".export").click()
    exported = tmp_path / "proof.json"
    download.value.save_as(exported)
    context.set_offline(False)
    verdict = httpx.post(
        f"{site.base}/v1/verify", json=json.loads(exported.read_text()), timeout=60
    )
    assert verdict.status_code == 200 and verdict.json()["verified"] is True, verdict.text
    assert page.errors == []

    # A device revoked on the server: its next record is refused, kept with a plain reason.
    revoked = site.admin.delete(f"/v1/parties/{PERSON}/keys/{key_id}")
    assert revoked.status_code == 200, revoked.text
    page.locator("#kind").select_option("progress_report")
    page.locator("#percent").fill("70")
    page.locator("#save").click()
    refused = _items(page, "refused", 1)
    assert "重新配对" in refused.first.inner_text()
    assert len(_logged(site)) == 4
    context.close()
