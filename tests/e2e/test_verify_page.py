"""The public verification page in Debian's Chromium, driven by Playwright, against the real app.

The app (``create_app``) runs under uvicorn on 127.0.0.1 with a fresh data directory and the
embedded chain; records are created through ``POST /v1/records`` and anchored with
``POST /v1/anchor``, as the field client and the anchorer would. Under ``CI=true`` a missing
Chromium fails these tests instead of skipping them (``scripts/setup/55-chromium.sh`` installs it).
Screenshots are written to ``$SUNLIGHT_SCREENSHOTS`` (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require
from tests.support.net import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_TOKEN = "e2e-admin-token-" + "0123456789abcdef" * 2
CONTRACT_TEXT = "施工合同 / Construction contract\n项目: 村道硬化 1.2 km\n合同金额: 486,000.00 元\n"


@dataclass
class Server:
    base: str
    data_dir: Path
    anchored_id: str
    pending_id: str
    contract: Path
    bundle: dict[str, Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    root = tmp_path_factory.mktemp("verify-page")
    data_dir = root / "data"
    os.environ["SUNLIGHT_DATA_DIR"] = str(data_dir)
    try:
        settings = Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN)
        app = create_app(settings, run_anchorer=False)
    finally:
        os.environ.pop("SUNLIGHT_DATA_DIR", None)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    contract = root / "contract.txt"
    contract.write_text(CONTRACT_TEXT, encoding="utf-8")
    try:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=120
        ) as http:

            def stamp(name: str, body: bytes, **meta: Any) -> str:
                r = http.post(
                    "/v1/records",
                    data={"meta": json.dumps(meta)},
                    files={"file": (name, body, "text/plain")},
                )
                assert r.status_code == 201, r.text
                record_id: str = r.json()["id"]
                return record_id

            anchored_id = stamp(
                contract.name,
                contract.read_bytes(),
                project="XQ-2026-0042",
                stage="implementation",
                kind="contract",
                data={"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8}},
            )
            r = http.post("/v1/anchor")
            assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
            pending_id = stamp(
                "acceptance.txt",
                "验收合格 accepted".encode(),
                project="XQ-2026-0042",
                stage="settlement",
                kind="acceptance_certificate",
            )
            proof = http.get(f"/v1/records/{anchored_id}/proof")
            assert proof.status_code == 200, proof.text
            yield Server(base, data_dir, anchored_id, pending_id, contract, proof.json())
    finally:
        uv.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(CHROMIUM.exists(), "Debian's Chromium at /usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package")
        raise
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SUNLIGHT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser: Any, *, locale: str = "zh-CN", phone: bool = False) -> Any:
    options: dict[str, Any] = {"locale": locale}
    if phone:
        options.update(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
    else:
        options.update(viewport={"width": 1280, "height": 900})
    context = browser.new_context(**options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" else None
    )  # e.g. a CSP violation or a missing asset
    page.errors = errors
    return page


def _verdict(page: Any) -> str:
    # A selector, not a predicate: the page's CSP forbids the eval that wait_for_function needs.
    done = ",".join(f"[data-verdict={v}]" for v in ("ok", "bad", "notfound", "pending", "error"))
    page.locator(f"#result:is({done})").wait_for(timeout=60_000)
    verdict: str = page.locator("#result").get_attribute("data-verdict")
    return verdict


def _check(page: Any, who: str, name: str) -> str | None:
    row = page.locator(f'[data-checks="{who}"] [data-check="{name}"]').first
    passed: str | None = row.get_attribute("data-passed")
    return passed


def _drop_file(page: Any, name: str, body: bytes, mime: str = "text/plain") -> None:
    """Drop a file on the drop zone as a person dragging it from their desktop would."""
    transfer = page.evaluate_handle(
        """([name, bytes, mime]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            return dt;
        }""",
        [name, list(body), mime],
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#drop", event, {"dataTransfer": transfer})


def test_page_and_assets_are_served_under_the_csp(server: Server) -> None:
    page = httpx.get(f"{server.base}/verify")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    for asset in ["verify.js", "verify.css", "jcs.js", "merkle.js", "sha256.js", "i18n.js"]:
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
    assert page.locator(".verdict-title").inner_text() == "核验通过"
    for name in ["found", "leaf_hash", "inclusion", "checkpoint_signature", "anchor"]:
        assert _check(page, "server", name) == "true", name
    for name in ["leaf_hash", "inclusion", "file", "checkpoint_signature"]:
        assert _check(page, "browser", name) == "true", name
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
    tools = {name: shutil.which(name) for name in ("pdftoppm", "zbarimg")}
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
