"""Rate limits on token guessing, and the security headers (a strict Content-Security-Policy among
them) on every answer of every route: pages, API, errors, and the middleware's own 413 and 429."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http import CAPTURE_SECURITY_HEADERS, CSP, SECURITY_HEADERS
from tests.integration.api.conftest import Api, make_api
from tests.security.test_authz_matrix import CALLERS, MATRIX, World
from tests.support.clock import FakeClock

KEK = base64.b64encode(bytes(range(32))).decode()
EXPECTED = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
#: The field capture page alone may use the camera and the position (docs/field-capture.md).
CAPTURE_EXPECTED = {name.decode(): value.decode() for name, value in CAPTURE_SECURITY_HEADERS}


def test_only_the_capture_page_may_use_the_camera_and_the_position() -> None:
    assert EXPECTED["permissions-policy"] == "camera=(), microphone=(), geolocation=()"
    assert CAPTURE_EXPECTED == {
        **EXPECTED,
        "permissions-policy": "camera=(self), microphone=(), geolocation=(self)",
    }


def assert_secure_headers(response: Any) -> None:
    capture = response.request.url.path == "/capture"
    for name, value in (CAPTURE_EXPECTED if capture else EXPECTED).items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers)
    assert response.headers.get("x-request-id")


def test_the_csp_is_strict() -> None:
    directives = dict(
        (d.split()[0], d.split()[1:]) for d in (part.strip() for part in CSP.split(";")) if d
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for sources in directives.values():
        for source in sources:
            assert source not in ("*", "'unsafe-inline'", "'unsafe-eval'", "http:", "https:")


# --- every route, every caller ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests.security import test_authz_matrix

    yield from test_authz_matrix.world.__wrapped__(tmp_path_factory)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("method", "template"), list(MATRIX))
def test_every_route_answers_with_the_security_headers(
    world: World, method: str, template: str
) -> None:
    call, _ = MATRIX[(method, template)]
    for caller in CALLERS:
        kwargs: dict[str, Any] = {"headers": world.headers[caller]}
        if call.json is not None:
            kwargs["json"] = call.json()
        if call.form is not None:
            kwargs.update(call.form())
        assert_secure_headers(world.api.client.request(method, call.path(world), **kwargs))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no/such/route"),
        ("PUT", "/v1/records"),  # 405
        ("HEAD", "/v1/checkpoints/latest"),  # 405
        ("GET", "/v1/checkpoints/consistency?from=x&to=1"),  # 422
        ("POST", "/v1/verify"),  # empty body: 422
        ("GET", "/static/../app.py"),
    ],
)
def test_errors_carry_the_security_headers(world: World, method: str, path: str) -> None:
    response = world.api.client.request(method, path)
    assert response.status_code >= 400
    assert_secure_headers(response)


def test_a_route_cannot_weaken_the_headers(world: World) -> None:
    """The static assets set X-Content-Type-Options themselves; the middleware's value wins and
    appears once."""
    response = world.api.client.get("/static/verify.js")
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("content-security-policy") == [CSP]


# --- the middleware's own answers: 413 and 429 --------------------------------------------------------


@pytest.fixture
def small(tmp_path: Any) -> Iterator[Api]:
    yield from make_api(tmp_path, max_json_bytes=1000, public_burst=3, public_rate_per_s=0.01)


def test_too_large_answers_carry_the_security_headers(small: Api) -> None:
    response = small.client.post(
        "/v1/parties", headers=small.auth("admin"), content=b"x" * 5000, timeout=5
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert_secure_headers(response)


def test_rate_limited_answers_carry_the_security_headers(small: Api) -> None:
    statuses = [small.client.get("/v1/checkpoints/latest") for _ in range(5)]
    limited = statuses[-1]
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert_secure_headers(limited)


# --- token guessing -------------------------------------------------------------------------------


@pytest.fixture
def guarded(tmp_path: Any) -> Iterator[Api]:
    yield from make_api(tmp_path, auth_failures_per_minute=10, blob_kek=KEK)


def _guess(client: TestClient, n: int, path: str = "/v1/parties/me", **headers: str) -> list[int]:
    return [
        client.get(path, headers={"Authorization": f"Bearer sl_guess{i}_x", **headers}).status_code
        for i in range(n)
    ]


def test_ten_bad_tokens_lock_the_address_out_on_every_route(guarded: Api) -> None:
    assert _guess(guarded.client, 10) == [401] * 10
    # Locked: even a valid token, on any route that reads tokens, is refused without a look.
    for path in ("/v1/parties/me", "/v1/records/unknown"):
        r = guarded.client.get(path, headers=guarded.auth("township"))
        assert r.status_code == 429 and r.json()["error"] == "rate_limited", path
        assert_secure_headers(r)
    r = guarded.client.post("/v1/anchor", headers=guarded.auth("admin"))
    assert r.status_code == 429


def test_guesses_on_different_routes_add_up(guarded: Api) -> None:
    spread = [
        *_guess(guarded.client, 4, "/v1/parties/me"),
        *_guess(guarded.client, 3, "/v1/records/unknown"),
        *_guess(guarded.client, 3, "/v1/records/unknown/proof"),
    ]
    assert spread == [401] * 10
    assert _guess(guarded.client, 1, "/v1/records/unknown/file") == [429]


def test_a_revoked_token_counts_as_a_guess(guarded: Api) -> None:
    issued = guarded.client.post("/v1/parties/auditor/tokens", headers=guarded.auth("admin")).json()
    guarded.client.delete(f"/v1/tokens/{issued['token_id']}", headers=guarded.auth("admin"))
    revoked = {"Authorization": f"Bearer {issued['token']}"}
    statuses = [
        guarded.client.get("/v1/parties/me", headers=revoked).status_code for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_a_forwarded_for_header_does_not_reset_the_count(guarded: Api) -> None:
    statuses = [
        guarded.client.get(
            "/v1/parties/me",
            headers={"Authorization": "Bearer sl_x_y", "X-Forwarded-For": f"10.0.0.{i}"},
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


def test_the_lock_is_per_address(guarded: Api) -> None:
    assert _guess(guarded.client, 11)[-1] == 429
    app = guarded.client.app
    other = TestClient(app, client=("192.0.2.7", 40000))  # no lifespan: the app is running
    r = other.get("/v1/parties/me", headers=guarded.auth("township"))
    assert r.status_code == 200, r.text


def test_the_lock_lifts_as_time_passes(guarded: Api) -> None:
    clock = FakeClock()
    cast(FastAPI, guarded.client.app).state.ctx.auth_limiter.clock = clock
    assert _guess(guarded.client, 11)[-1] == 429
    clock.advance(6.5)  # 10 per minute: one more guess allowed every 6 s
    assert guarded.client.get("/v1/parties/me", headers=guarded.auth("auditor")).status_code == 200
    assert _guess(guarded.client, 2) == [401, 429]
    clock.advance(61)
    assert _guess(guarded.client, 11) == [401] * 10 + [429]


def test_the_documentation_page_loads_only_same_origin_scripts(world: World) -> None:
    """/docs serves Swagger UI from local files with no inline script, so the strict CSP lets it
    run (FastAPI's default page loads it from a CDN with an inline script and stays blank)."""
    import re

    assert world.api.client.get("/redoc").status_code == 404
    for path in ("/docs",):
        html = world.api.client.get(path).text
        sources = re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", html)
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
        assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
        assert not inline, f"{path} has inline scripts"
