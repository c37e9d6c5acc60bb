"""The verification page under test: a real Sunlight app on loopback, and Chromium pages on it.

:func:`serve` runs ``create_app`` under uvicorn on 127.0.0.1 with a fresh data directory and the
embedded chain; records are created through ``POST /v1/records`` and anchored with
``POST /v1/anchor``, as the field client and the anchorer would. The page helpers read the page as a
person sees it, through the DOM the page builds (never by evaluating script: the page's CSP forbids
the eval that ``wait_for_function`` needs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

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
#: Every state the result area ends in (``#result[data-verdict]``).
VERDICTS = ("ok", "warn", "bad", "notfound", "pending", "error")


@dataclass
class Server:
    base: str
    data_dir: Path
    anchored_id: str
    pending_id: str
    contract: Path
    #: The proof bundle of the anchored record, as GET /v1/records/{id}/proof returns it.
    bundle: dict[str, Any]
    #: GET /v1/trust.
    trust: dict[str, Any]


#: The signing key of the party "township", which signs the contract (a fixed test key).
TOWNSHIP_SEED = b"\x42" * 32


def _township_signature(meta: dict[str, Any], body: bytes) -> dict[str, str]:
    """The signature of "township" (key "t1") over a record of ``body`` filed with ``meta``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from notary.records import Content, Record, signing_payload

    draft = Record(
        **meta,
        submitter="admin",
        content=Content(sha256=hashlib.sha256(body).hexdigest(), size=len(body)),
        received_at="2026-01-01T00:00:00Z",
    )
    key = Ed25519PrivateKey.from_private_bytes(TOWNSHIP_SEED)
    sig = base64.b64encode(key.sign(signing_payload(draft, "township"))).decode()
    return {"party": "township", "alg": "ed25519", "key_id": "t1", "sig": sig}


@contextmanager
def serve(root: Path) -> Iterator[Server]:
    """A Sunlight app in ``root`` with one anchored record (a contract the party "township" signed
    with a key registered in the log) and one pending record."""
    import uvicorn
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from api.app import create_app
    from api.settings import Settings

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

            r = http.post(
                "/v1/parties",
                json={
                    "id": "township",
                    "name": "清石镇",
                    "kind": "organisation",
                    "roles": ["submitter"],
                },
            )
            assert r.status_code == 201, r.text
            township = Ed25519PrivateKey.from_private_bytes(TOWNSHIP_SEED).public_key()
            public = base64.b64encode(township.public_bytes(Encoding.Raw, PublicFormat.Raw))
            r = http.post(
                "/v1/parties/township/keys", json={"key_id": "t1", "public_key": public.decode()}
            )
            assert r.status_code == 201, r.text
            meta: dict[str, Any] = {
                "project": "XQ-2026-0042",
                "stage": "implementation",
                "kind": "contract",
                "data": {"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8}},
            }
            signature = _township_signature(meta, contract.read_bytes())
            anchored_id = stamp(
                contract.name, contract.read_bytes(), **meta, signatures=[signature]
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
            trust = http.get("/v1/trust")
            assert trust.status_code == 200, trust.text
            yield Server(
                base, data_dir, anchored_id, pending_id, contract, proof.json(), trust.json()
            )
    finally:
        uv.should_exit = True
        thread.join(timeout=30)


def new_page(
    browser: Any,
    *,
    locale: str = "zh-CN",
    phone: bool = False,
    screen: tuple[int, int] = (390, 844),
) -> Any:
    """A page in a fresh browser context (its own localStorage); ``page.errors`` collects script
    errors and console errors (e.g. a CSP violation or a missing asset). A ``phone`` has a touch
    ``screen`` of that many CSS pixels."""
    options: dict[str, Any] = {"locale": locale}
    if phone:
        options.update(
            viewport={"width": screen[0], "height": screen[1]},
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
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    return page


def verdict_of(page: Any) -> str:
    """The state the result area ends in (one of :data:`VERDICTS`), once it ends in one."""
    done = ",".join(f"[data-verdict={v}]" for v in VERDICTS)
    page.locator(f"#result:is({done})").wait_for(timeout=60_000)
    verdict: str = page.locator("#result").get_attribute("data-verdict")
    return verdict


def check_of(page: Any, who: str, name: str) -> str | None:
    """``"true"``, ``"false"`` or ``"null"``: how check ``name`` came out in the list of ``who``
    (``"server"`` or ``"browser"``)."""
    row = page.locator(f'[data-checks="{who}"] [data-check="{name}"]').first
    passed: str | None = row.get_attribute("data-passed")
    return passed


def drop_file(page: Any, name: str, body: bytes, mime: str = "text/plain") -> None:
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


def paste_bundle(page: Any, text: str) -> None:
    """Open "check a proof file", paste ``text`` and submit it."""
    if page.locator("#bundle-details").get_attribute("open") is None:
        page.click("#bundle-details summary")
    page.fill("#bundle-text", text)
    page.click("#bundle-form button[type=submit]")
