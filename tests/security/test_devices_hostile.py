"""Hostile input to the field device routes and to device-signed requests: every answer is a 4xx
with a JSON error naming the problem, never a 500, and nothing hostile pairs or authenticates."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api.conftest import Api, make_api
from tests.support.device import Device


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from make_api(tmp_path_factory.mktemp("devices"), auth_failures_per_minute=100_000)


def _error(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["error"] and body["detail"], body
    return body


GOOD_KEY = Device().public_key

DEVICE_BODIES = {
    "code-not-text": {"code": 12345678901, "alg": "ed25519", "public_key": GOOD_KEY},
    "code-list": {"code": ["1"], "alg": "ed25519", "public_key": GOOD_KEY},
    "code-too-long": {"code": "1" * 41, "alg": "ed25519", "public_key": GOOD_KEY},
    "code-arabic-indic-digits": {"code": "١٢٣٤٥٦٧٨٩٠١", "alg": "ed25519", "public_key": GOOD_KEY},
    "code-fullwidth-digits": {
        "code": "".join(chr(0xFF10 + int(d)) for d in "12345678901"),
        "alg": "ed25519",
        "public_key": GOOD_KEY,
    },
    "code-letters": {"code": "abcdefghijk", "alg": "ed25519", "public_key": GOOD_KEY},
    "alg-rsa": {"code": "00000000000", "alg": "rsa", "public_key": GOOD_KEY},
    "key-not-base64": {"code": "00000000000", "alg": "ed25519", "public_key": "!!!!"},
    "key-too-long": {"code": "00000000000", "alg": "ed25519", "public_key": "A" * 200},
    "p256-not-on-curve": {
        "code": "00000000000",
        "alg": "p256",
        "public_key": base64.b64encode(b"\x04" + b"\x01" * 64).decode(),
    },
    "label-too-long": {
        "code": "00000000000",
        "alg": "ed25519",
        "public_key": GOOD_KEY,
        "label": "x" * 101,
    },
    "unknown-field": {"code": "00000000000", "alg": "ed25519", "public_key": GOOD_KEY, "x": 1},
}


@pytest.mark.parametrize("name", sorted(DEVICE_BODIES))
def test_hostile_pairing_bodies_are_refused(api: Api, name: str) -> None:
    response = api.client.post("/v1/devices", json=DEVICE_BODIES[name])
    _error(response, 401, 422)


def test_duplicate_keys_in_a_pairing_body_are_refused(api: Api) -> None:
    body = '{"code": "00000000000", "code": "12345678903", "alg": "ed25519", "public_key": "x"}'
    headers = {"Content-Type": "application/json"}
    _error(api.client.post("/v1/devices", content=body, headers=headers), 400)


@pytest.mark.parametrize("party", ["", "x" * 200, "../admin", "a b", "admin\n"])
def test_hostile_pairing_code_parties_are_refused(api: Api, party: str) -> None:
    response = api.client.post(
        "/v1/pairing-codes", headers=api.auth("admin"), json={"party": party}
    )
    _error(response, 404, 422)


NOW = int(time.time())
HEADERS = {
    "bare-scheme": "SunlightDevice",
    "three-parts": "SunlightDevice township k1 1",
    "five-parts": f"SunlightDevice township k1 {NOW} sig extra",
    "time-not-digits": "SunlightDevice township k1 -1 c2ln",
    "time-huge": "SunlightDevice township k1 99999999999999999999 c2ln",
    "time-far-future": f"SunlightDevice township k1 {NOW + 10**9} c2ln",
    "signature-not-base64": f"SunlightDevice township k1 {NOW} !!!!",
    "signature-huge": f"SunlightDevice township k1 {NOW} {'A' * 400}",
    "unknown-party": f"SunlightDevice nobody k1 {NOW} {'A' * 86}==",
    "unicode-party": f"SunlightDevice 青石镇 k1 {NOW} {'A' * 86}==",
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_hostile_device_headers_are_refused(api: Api, name: str) -> None:
    headers = {"Authorization": HEADERS[name].encode("utf-8")}
    body = _error(api.client.get("/v1/parties/me", headers=headers), 401)
    assert body["error"] == "unauthorized"


def test_device_failures_count_against_the_address(tmp_path: Path) -> None:
    for limited in make_api(tmp_path, auth_failures_per_minute=3):
        headers = {"Authorization": HEADERS["unknown-party"]}
        statuses = [
            limited.client.get("/v1/parties/me", headers=headers).status_code for _ in range(5)
        ]
        assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429
