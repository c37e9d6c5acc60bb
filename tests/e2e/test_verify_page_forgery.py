"""Forged and foreign proof bundles pasted into the verification page, in Chromium.

The page pins this server's trust root (GET /v1/trust) and judges every bundle against it in the
browser; it shows success only when the server says verified and the browser agrees. Each test
pastes a bundle a person could be handed and reads the verdict as they would: the result's
``data-verdict`` / ``data-level`` attributes and its words. Screenshots (phone viewport) of the
forged and the genuine case are written as ``page-forged.png`` and ``page-genuine.png`` to
``$SUNLIGHT_SCREENSHOTS`` (default: the test's tmp dir).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notary.bundle import make_bundle
from notary.merkle import MerkleTree
from notary.records import Content, Record
from notary.signing import Checkpoint, NotaryKey
from tests.support.verify_page import (
    Server,
    check_of,
    new_page,
    paste_bundle,
    verdict_of,
)

#: What the page must never say of a bundle it did not verify.
SUCCESS_WORDS = ("核验通过", "已上链存证", "Verified", "anchored on the chain")


FORGER_SEED = hashlib.sha256(b"forger").digest()


def _forged(log_id: str | None = None) -> tuple[dict[str, Any], NotaryKey]:
    """The reported forgery: a record never notarized, in a one-leaf tree, its checkpoint signed by
    a fresh key the forger puts in ``log_public_key`` (and, given ``log_id``, claiming that log)."""
    forger = NotaryKey.from_seed(FORGER_SEED)
    body = "施工合同 金额 4,860,000.00 元".encode()
    entry = Record(
        project="XQ-2026-0042",
        stage="settlement",
        kind="contract",
        content=Content(sha256=hashlib.sha256(body).hexdigest(), size=len(body), name="合同.pdf"),
        submitter="township",
        received_at="2026-11-23T00:01:03Z",
    ).canonical()
    tree = MerkleTree()
    tree.append(entry)
    cp = forger.sign_checkpoint(1, tree.root(), "2026-11-23T00:10:00Z")
    if log_id is not None:
        claim = {"log_id": log_id, "tree_size": 1, "root_hash": cp.root_hash}
        cp = _signed_by_forger({**claim, "timestamp": cp.timestamp})
    bundle = make_bundle(
        entry=entry,
        leaf_index=0,
        checkpoint=cp,
        inclusion_proof=[],
        log_public_key=forger.public_key,
    )
    return bundle.to_json(), forger


def _signed_by_forger(fields: dict[str, Any]) -> Checkpoint:
    """A checkpoint with ``fields`` (whatever log id they claim), signed by the forger's key."""
    payload = Checkpoint(**fields, signature="A" * 86 + "==").payload()
    signature = Ed25519PrivateKey.from_private_bytes(FORGER_SEED).sign(payload)
    return Checkpoint(**fields, signature=base64.b64encode(signature).decode())


def _our_log(server: Server) -> str:
    log_id: str = server.trust["logs"][0]["log_id"]
    return log_id


def _assert_no_success(page: Any) -> None:
    words = page.locator("#verdict").inner_text()
    assert not any(w in words for w in SUCCESS_WORDS), words


def test_forged_bundle_carrying_its_own_key_is_refused(
    server: Server, browser: Any, shots: Path
) -> None:
    bundle, forger = _forged()
    page = new_page(browser, phone=True)
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(bundle))
    assert verdict_of(page) == "bad"
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-level") == "not_verified"
    assert verdict.get_attribute("data-failed") == "log"
    assert page.locator(".verdict-title").inner_text() == "核验未通过"
    words = verdict.inner_text()
    assert "这份证明不是本平台的" in words
    assert forger.log_id in words and _our_log(server) in words  # both logs, named in full
    _assert_no_success(page)
    assert check_of(page, "server", "log") == "false"
    assert check_of(page, "browser", "log") == "false"
    # The forger's key signs its own checkpoint, and still that proves nothing.
    assert check_of(page, "browser", "checkpoint_signature") == "null"
    assert check_of(page, "browser", "leaf_hash") == "true"
    assert check_of(page, "browser", "inclusion") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "page-forged.png"), full_page=True)
    assert page.errors == []


def test_forged_bundle_claiming_our_log_id_fails_the_signature(
    server: Server, browser: Any
) -> None:
    bundle, _ = _forged(log_id=_our_log(server))
    page = new_page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(bundle))
    assert verdict_of(page) == "bad"
    assert page.locator("#verdict").get_attribute("data-failed") == "checkpoint_signature"
    assert check_of(page, "browser", "log") == "true"
    assert check_of(page, "browser", "checkpoint_signature") == "false"
    assert "Failed check: The log snapshot is signed by this platform." in (
        page.locator("#verdict").inner_text()
    )
    _assert_no_success(page)


def test_a_server_saying_yes_cannot_make_a_forgery_pass(server: Server, browser: Any) -> None:
    """An answer of "anchored" for the forgery (a compromised or outdated server) is overruled by
    the browser's own checks against the pinned key: a mismatch, shown as a failure."""
    bundle, _ = _forged()
    lie = {
        "verified": True,
        "level": "anchored",
        "reason": "in the log and anchored on the trusted chain",
        "trust": {"log_id": _our_log(server), "log_name": "this log"},
        "checks": [
            {"check": name, "passed": True, "detail": "ok"}
            for name in ("record", "leaf_hash", "inclusion", "log", "checkpoint_signature")
        ],
        "records": [],
    }
    page = new_page(browser)
    page.route(
        "**/v1/verify",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(lie)
        ),
    )
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(bundle))
    assert verdict_of(page) == "bad"
    words = page.locator("#verdict").inner_text()
    assert "服务器说通过" in words and "您浏览器自己的检查没有通过" in words
    assert check_of(page, "browser", "log") == "false"
    _assert_no_success(page)


def test_bundle_of_another_sunlight_is_not_from_this_log(
    server: Server, other_server: Server, browser: Any
) -> None:
    theirs = other_server.trust["logs"][0]["log_id"]
    assert theirs != _our_log(server)
    page = new_page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(other_server.bundle))
    assert verdict_of(page) == "bad"
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-failed") == "log"
    words = verdict.inner_text()
    assert "Not from this log" in words
    assert theirs in words and _our_log(server) in words
    assert check_of(page, "server", "log") == "false"
    assert check_of(page, "browser", "log") == "false"
    _assert_no_success(page)
    # On its own page the same bundle is genuine.
    page.goto(f"{other_server.base}/verify")
    paste_bundle(page, json.dumps(other_server.bundle))
    assert verdict_of(page) == "ok"
    assert page.locator("#verdict").get_attribute("data-level") == "anchored"


def test_tampered_anchor_transaction_is_not_verified(server: Server, browser: Any) -> None:
    tampered = json.loads(json.dumps(server.bundle))
    tx = tampered["anchor"]["tx_hash"]
    tampered["anchor"]["tx_hash"] = tx[:-1] + ("0" if tx[-1] != "0" else "1")
    page = new_page(browser)
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(tampered))
    assert verdict_of(page) == "bad"
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-level") == "not_verified"
    assert verdict.get_attribute("data-failed") == "anchor_tx"
    assert "没有通过的检查" in verdict.inner_text()
    assert "上链交易真实" in verdict.inner_text()  # the failing check, in plain words
    assert check_of(page, "server", "anchor_tx") == "false"
    # The browser cannot see this (it does not read the chain); the server's word decides.
    for name in ("leaf_hash", "inclusion", "log", "checkpoint_signature"):
        assert check_of(page, "browser", name) == "true", name
    assert check_of(page, "browser", "anchor") == "null"
    _assert_no_success(page)


def test_genuine_anchored_bundle_is_anchored(server: Server, browser: Any, shots: Path) -> None:
    page = new_page(browser, phone=True)
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(server.bundle))
    assert verdict_of(page) == "ok"
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-level") == "anchored"
    assert page.locator(".verdict-title").inner_text() == "核验通过"
    assert "已上链存证" in verdict.inner_text() and "内容没有被改动" in verdict.inner_text()
    for name in ("record", "leaf_hash", "inclusion", "log", "checkpoint_signature"):
        assert check_of(page, "browser", name) == "true", name
    assert check_of(page, "server", "anchor_tx") == "true"
    # The party signature is proved by the key registration the bundle carries: checked.
    row = page.locator('[data-signature="signature:township/t1"]')
    assert row.get_attribute("data-passed") == "true"
    assert "已核对" in row.inner_text()
    assert check_of(page, "browser", "signature:township/t1") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "page-genuine.png"), full_page=True)
    assert page.errors == []


def test_a_signature_without_its_key_registration_is_not_counted(
    server: Server, browser: Any
) -> None:
    bundle = json.loads(json.dumps(server.bundle))
    assert bundle.pop("key_proofs"), "the fixture's contract is signed by a registered key"
    page = new_page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(bundle))
    assert verdict_of(page) == "ok"  # the record itself is genuine
    row = page.locator('[data-signature="signature:township/t1"]')
    assert row.get_attribute("data-passed") == "null"
    words = row.inner_text()
    assert "Not checked" in words and "does not show that this key was registered" in words
    assert check_of(page, "server", "signature:township/t1") == "null"


def test_duplicate_key_in_a_genuine_bundle_is_refused(server: Server, browser: Any) -> None:
    text = json.dumps(server.bundle)
    size = server.bundle["record"]["content"]["size"]
    assert text.count(f'"size": {size}') == 1
    text = text.replace(f'"size": {size}', f'"size": {size}, "size": {size + 1}')
    page = new_page(browser)
    page.goto(f"{server.base}/verify")
    # A genuine verdict first: the refusal must replace it, not sit beside it.
    paste_bundle(page, json.dumps(server.bundle))
    assert verdict_of(page) == "ok"
    paste_bundle(page, text)
    assert verdict_of(page) == "error"
    error = page.locator("#bundle-error")
    assert error.is_visible()
    assert "“size”出现了两次" in error.inner_text()
    assert "出现了两次" in page.locator("#result").inner_text()
    _assert_no_success(page)
    assert page.errors == []


def test_trust_root_is_kept_for_offline_use(server: Server, browser: Any) -> None:
    """Once fetched, the trust root is saved; with the server unreachable the page says the key
    came from this device, checks the bundle in the browser alone, and does not call it a success."""
    page = new_page(browser, locale="en-US")
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(server.bundle))
    assert verdict_of(page) == "ok"
    assert page.locator("#trust-note").get_attribute("data-trust-source") == "network"
    page.route("**/v1/**", lambda route: route.abort())
    page.reload()
    paste_bundle(page, json.dumps(server.bundle))
    assert verdict_of(page) == "warn"
    assert page.locator("#verdict").get_attribute("data-level") == "verified_by_log"
    assert page.locator(".verdict-title").inner_text() == "Checked in your browser only"
    note = page.locator("#trust-note")
    assert note.get_attribute("data-trust-source") == "cache"
    assert "saved on this device" in note.inner_text() and _our_log(server) in note.inner_text()
    for name in ("leaf_hash", "inclusion", "log", "checkpoint_signature"):
        assert check_of(page, "browser", name) == "true", name
    # Offline, a forgery still fails against the saved key.
    paste_bundle(page, json.dumps(_forged()[0]))
    assert verdict_of(page) == "bad"
    assert page.locator("#verdict").get_attribute("data-failed") == "log"


def test_without_the_trust_root_the_page_does_not_vouch(server: Server, browser: Any) -> None:
    """With no copy of this server's key (never fetched, not saved) the browser cannot check the
    checkpoint's signature: whatever the server says, the page does not call the bundle verified."""
    page = new_page(browser)
    page.route("**/v1/trust", lambda route: route.abort())
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(server.bundle))
    assert verdict_of(page) == "warn"
    assert page.locator(".verdict-title").inner_text() == "无法确认来源"
    assert "服务器说通过" in page.locator("#verdict").inner_text()
    assert page.locator("#trust-note").get_attribute("data-trust-source") == "none"
    assert check_of(page, "browser", "log") == "null"
    assert check_of(page, "browser", "checkpoint_signature") == "null"
    _assert_no_success(page)


def test_verified_by_log_reads_as_waiting_for_the_chain(server: Server, browser: Any) -> None:
    """The server's verified_by_log (signed by this log, the chain not yet confirming it), with the
    browser agreeing: a success that says it still waits for the chain."""

    def not_yet_anchored(route: Any) -> None:
        answer = route.fetch().json()
        answer["level"] = "verified_by_log"
        answer["checks"] = [c for c in answer["checks"] if c["check"] != "anchor_tx"]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    page = new_page(browser, locale="en-US")
    page.route("**/v1/verify", not_yet_anchored)
    page.goto(f"{server.base}/verify")
    paste_bundle(page, json.dumps(server.bundle))
    assert verdict_of(page) == "ok"
    assert page.locator("#verdict").get_attribute("data-level") == "verified_by_log"
    assert page.locator(".verdict-title").inner_text() == "Verified (not yet on the chain)"
    assert "still waiting to be written to the blockchain" in page.locator("#verdict").inner_text()
