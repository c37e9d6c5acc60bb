"""The public verification page in Debian's Chromium, driven by Playwright, against the real app.

The app runs on loopback with the embedded chain (fixtures in conftest.py, helpers in
tests/support/verify_page.py); records are created and anchored through the API, as the field
client and the anchorer would. The forgery cases are in test_verify_page_forgery.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import require
from tests.support.verify_page import Server
from tests.support.verify_page import check_of as _check
from tests.support.verify_page import drop_file as _drop_file
from tests.support.verify_page import new_page as _page
from tests.support.verify_page import verdict_of as _verdict


def test_page_and_assets_are_served_under_the_csp(server: Server) -> None:
    page = httpx.get(f"{server.base}/verify")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assets = ["verify.js", "verify.css", "jcs.js", "merkle.js", "sha256.js", "i18n.js"]
    for asset in [*assets, "json.js", "record.js", "verdict.js"]:
        r = httpx.get(f"{server.base}/static/{asset}")
        assert r.status_code == 200, asset
        assert r.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{server.base}/static/..%2Fpages.py").status_code == 404
    assert httpx.get(f"{server.base}/static/package.json").status_code == 404


def test_dropped_file_is_verified(server: Server, browser: Any, shots: Path) -> None:
    page = _page(browser)
    page.goto(f"{server.base}/verify")
    _drop_file(page, server.contract.name, server.contract.read_bytes())
    assert _verdict(page) == "ok"
    assert page.locator("#verdict").get_attribute("data-level") == "anchored"
    assert page.locator(".verdict-title").inner_text() == "核验通过"
    assert "已登记并上链存证" in page.locator("#verdict").inner_text()
    for name in ["found", "leaf_hash", "inclusion", "log", "checkpoint_signature", "anchor"]:
        assert _check(page, "server", name) == "true", name
    assert _check(page, "server", "anchor_tx") == "true"
    for name in ["record", "leaf_hash", "inclusion", "file", "log", "checkpoint_signature"]:
        assert _check(page, "browser", name) == "true", name
    assert _check(page, "browser", "anchor") == "null"  # the page does not read the chain
    assert page.locator("#trust-note").get_attribute("data-trust-source") == "network"
    assert server.trust["logs"][0]["log_id"] in page.locator("#trust-note").inner_text()
    text = page.locator("#result").inner_text()
    assert "XQ-2026-0042" in text and "contract.txt" in text and "30.27, 120.15" in text
    assert server.bundle["anchor"]["tx_hash"] in text
    page.screenshot(path=str(shots / "verify-desktop-zh.png"), full_page=True)
    assert page.errors == []


def test_picked_file_in_english(server: Server, browser: Any, shots: Path) -> None:
    page = _page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    assert page.locator("h1").inner_text() == "Check a piece of evidence"
    page.set_input_files("#file-input", str(server.contract))
    assert _verdict(page) == "ok"
    assert page.locator(".verdict-title").inner_text() == "Verified"
    page.click("#lang-zh")  # the toggle re-renders the result in the other language
    assert page.locator(".verdict-title").inner_text() == "核验通过"
    assert page.errors == []


def test_changed_file_is_not_found(server: Server, browser: Any) -> None:
    page = _page(browser)
    page.goto(f"{server.base}/verify")
    changed = server.contract.read_bytes().replace(b"486,000", b"886,000")
    _drop_file(page, server.contract.name, changed)
    assert _verdict(page) == "notfound"
    assert _check(page, "server", "found") == "false"
    assert "没有找到" in page.locator(".verdict-title").inner_text()


def test_pasted_hash_is_validated_then_looked_up(server: Server, browser: Any) -> None:
    page = _page(browser, locale="en-GB")
    page.goto(f"{server.base}/verify")
    page.click("#hash-details summary")
    page.fill("#hash-input", "abc123")
    page.click("#hash-form button[type=submit]")
    assert "64 characters; you entered 6" in page.locator("#hash-error").inner_text()
    page.fill("#hash-input", "z" * 64)
    page.click("#hash-form button[type=submit]")
    assert "may only contain digits" in page.locator("#hash-error").inner_text()
    sha = server.bundle["record"]["content"]["sha256"]
    page.fill("#hash-input", sha.upper())
    page.click("#hash-form button[type=submit]")
    assert _verdict(page) == "ok"
    assert _check(page, "browser", "sha256") == "true"


def test_tampered_bundle_names_the_failing_check(server: Server, browser: Any) -> None:
    page = _page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    tampered = json.loads(json.dumps(server.bundle))
    tampered["record"]["content"]["size"] += 1  # claim the file was a byte longer
    page.click("#bundle-details summary")
    page.fill("#bundle-text", json.dumps(tampered))
    page.click("#bundle-form button[type=submit]")
    assert _verdict(page) == "bad"
    assert _check(page, "server", "leaf_hash") == "false"
    assert _check(page, "browser", "leaf_hash") == "false"
    assert _check(page, "browser", "inclusion") == "false"
    assert page.locator(".verdict-title").inner_text() == "Not verified"


def test_uploaded_bundle_with_a_forged_proof(server: Server, browser: Any, tmp_path: Path) -> None:
    forged = json.loads(json.dumps(server.bundle))
    forged["checkpoint"]["root_hash"] = "00" * 32  # a root the proof does not lead to
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(forged))
    page = _page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    page.click("#bundle-details summary")
    page.set_input_files("#bundle-file", str(path))
    assert _verdict(page) == "bad"
    assert _check(page, "server", "inclusion") == "false"
    assert _check(page, "browser", "inclusion") == "false"
    assert _check(page, "browser", "leaf_hash") == "true"


def test_qr_link_of_an_anchored_record_verifies(server: Server, browser: Any) -> None:
    page = _page(browser)
    page.goto(f"{server.base}/verify?id={server.anchored_id}")
    assert _verdict(page) == "ok"
    assert _check(page, "browser", "inclusion") == "true"
    assert server.anchored_id in page.locator("#result").inner_text()
    assert page.errors == []


def test_qr_link_of_a_pending_record_says_pending(server: Server, browser: Any) -> None:
    page = _page(browser, locale="en-US")
    page.goto(f"{server.base}/verify?id={server.pending_id}")
    assert _verdict(page) == "pending"
    assert "Pending" in page.locator("#result").inner_text()


def test_unknown_id_is_a_clear_error(server: Server, browser: Any) -> None:
    page = _page(browser, locale="en-US")
    page.goto(f"{server.base}/verify?id=0000000000000000000000000000dead")
    assert _verdict(page) == "error"
    assert "No record with number" in page.locator("#result").inner_text()


def test_phone_viewport(server: Server, browser: Any, shots: Path) -> None:
    page = _page(browser, phone=True)
    page.goto(f"{server.base}/verify")
    page.screenshot(path=str(shots / "verify-phone-home.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    box = page.locator(".drop-main").bounding_box()
    assert box["height"] >= 44, "the main button is too small to tap"
    page.goto(f"{server.base}/verify?id={server.anchored_id}")
    assert _verdict(page) == "ok"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "verify-phone-result.png"), full_page=True)
    assert page.errors == []


def test_certificate_qr_code_leads_to_a_verified_page(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    """The full loop: the certificate's QR code, scanned, opens the page, which verifies."""
    tools = {name: shutil.which(name) or "" for name in ("pdftoppm", "zbarimg")}
    require(all(tools.values()), "poppler-utils and zbar-tools (scripts/setup/50-fonts.sh)")
    r = httpx.get(f"{server.base}/v1/records/{server.anchored_id}/certificate.pdf", timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(r.content)
    subprocess.run(
        [tools["pdftoppm"], "-r", "150", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    (png,) = tmp_path.glob("p*.png")
    scanned = subprocess.run(
        [tools["zbarimg"], "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    assert scanned == f"{server.base}/verify?id={server.anchored_id}"
    page = _page(browser)
    page.goto(scanned)
    assert _verdict(page) == "ok"
