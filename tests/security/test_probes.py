"""Hostile input on every path parameter, query parameter and JSON field: SQL injection, path
traversal, NUL bytes, very long strings, odd Unicode. Every answer is below 500, every error is
JSON ``{"error", "detail"}``, and nothing leaks: no file contents, no SQL or driver error text, no
traceback. Run on SQLite and on PostgreSQL (which, unlike SQLite, refuses NUL in text).

The static route gets its own treatment: whatever name is asked for, it serves a file of
``api/static`` or nothing, and it is also driven through raw ASGI scopes so that no HTTP client's
URL normalisation hides a traversal.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.routes.pages import STATIC_DIR
from tests.integration.api.conftest import Api, make_api

KEK = base64.b64encode(bytes(range(32))).decode()

PROBES = [
    "' OR 1=1--",
    "1' OR '1'='1",
    '"; DROP TABLE entries; --',
    "1 UNION SELECT token_hash FROM tokens--",
    "%' OR record_id LIKE '%",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "file:///etc/passwd",
    "a\x00b",
    "\x00",
    "%00",
    "A" * 5000,
    "日本語の記録",
    "שלום\u202eevil",
    "😀👍🏽",
    "\ufeff\u200b",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
]
#: Only in JSON bodies: not encodable in a URL, but JSON can carry it (``"\\ud800"``).
JSON_ONLY = ["\ud800", "x" * 300_000]

#: Text that must never appear in an answer: file contents, SQL and driver errors, tracebacks.
LEAKS = [
    "root:x:0:0",
    "[fonts]",
    "Traceback",
    "sqlalchemy",
    "sqlite3",
    "psycopg",
    "OperationalError",
    "ProgrammingError",
    "IntegrityError",
    "DataError",
    "[SQL:",
    "syntax error",
    "NUL (0x00)",
    'File "/',
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    overrides: dict[str, Any] = {
        "auth_failures_per_minute": 100_000,
        "public_burst": 100_000,
        "blob_kek": KEK,
    }
    if request.param == "postgres":
        server = request.getfixturevalue("postgres")
        overrides["database_url"] = server.create_database(f"probes_{id(request)}")
    for made in make_api(tmp_path_factory.mktemp(f"probes-{request.param}"), **overrides):
        r = made.submit("township", meta={"project": "XQ-1"}, file=b"probe target")
        assert r.status_code == 201, r.text
        yield made


def assert_safe(response: Any, probe: str = "") -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    text = response.text
    for leak in LEAKS:
        if leak not in probe:
            assert leak not in text, f"{leak!r} leaked: {text[:500]}"
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body = response.json()
        assert set(body) == {"error", "detail"} and body["error"] and body["detail"], body


def filename(probe: str) -> str:
    """The probe as a multipart file name, where a client can put it (UTF-8, not too long)."""
    return probe[:300].encode("utf-8", "replace").decode()


def url_part(probe: str) -> str:
    return quote(probe, safe="")


PATH_ROUTES = [
    ("GET", "/v1/records/{}", None),
    ("GET", "/v1/records/{}/proof", None),
    ("GET", "/v1/records/{}/file", None),
    ("GET", "/v1/records/{}/certificate.pdf", None),
    ("POST", "/v1/parties/{}/tokens", "admin"),
    ("PATCH", "/v1/parties/{}", "admin"),
    ("DELETE", "/v1/tokens/{}", "admin"),
    ("POST", "/v1/parties/{}/keys", "admin"),
    ("GET", "/static/{}", None),
]


@pytest.mark.parametrize("probe", PROBES, ids=range(len(PROBES)))
@pytest.mark.parametrize(("method", "template", "who"), PATH_ROUTES)
def test_path_parameters(api: Api, method: str, template: str, who: str | None, probe: str) -> None:
    headers = api.auth(who) if who else {}
    body: dict[str, Any] | None = None
    if template.endswith("/keys"):
        body = {"key_id": "k1", "public_key": "A" * 43 + "="}
    elif method == "PATCH":
        body = {"roles": ["auditor"]}
    response = api.client.request(
        method, template.format(url_part(probe)), headers=headers, json=body
    )
    assert_safe(response, probe)
    assert response.status_code in (404, 405, 422), response.text


@pytest.mark.parametrize("probe", PROBES, ids=range(len(PROBES)))
def test_query_parameters(api: Api, probe: str) -> None:
    for query in (f"from={url_part(probe)}&to=1", f"from=0&to={url_part(probe)}"):
        response = api.client.get(f"/v1/checkpoints/consistency?{query}")
        assert_safe(response, probe)
        assert response.status_code == 422
    # An unknown parameter is ignored, whatever it holds.
    assert_safe(api.client.get(f"/healthz?x={url_part(probe)}"), probe)
    assert_safe(api.client.get(f"/verify?id={url_part(probe)}"), probe)


META_FIELDS = ["project", "stage", "kind", "client_time", "prev", "media_type", "name"]


@pytest.mark.parametrize("probe", PROBES + JSON_ONLY, ids=range(len(PROBES + JSON_ONLY)))
def test_record_metadata_fields(api: Api, probe: str) -> None:
    for field in [*META_FIELDS, "data"]:
        meta: dict[str, Any] = {field: {probe: probe} if field == "data" else probe}
        response = api.client.post(
            "/v1/records",
            headers=api.auth("township"),
            data={"meta": json.dumps(meta)},
            files={"file": (filename(probe), b"probe file", "text/plain")},
        )
        assert_safe(response, probe)
        if response.status_code == 201:
            # Accepted as data: stored and returned literally, never interpreted.
            stored = api.client.get(
                f"/v1/records/{response.json()['id']}", headers=api.auth("township")
            ).json()["record"]
            if field == "data":
                assert stored["data"] == {probe: probe}
            elif field == "name":
                assert stored["content"]["name"] == probe
        else:  # 400: meta that is not strict JSON (a lone surrogate)
            assert response.status_code in (400, 413, 422), response.text


@pytest.mark.parametrize("probe", PROBES + JSON_ONLY, ids=range(len(PROBES + JSON_ONLY)))
def test_json_bodies(api: Api, probe: str) -> None:
    admin = api.auth("admin")
    bodies: list[tuple[str, str, Any, dict[str, str]]] = [
        ("POST", "/v1/verify", {"sha256": probe}, {}),
        ("POST", "/v1/verify", {"format": probe}, {}),
        ("POST", "/v1/verify", {"format": "sunlight-proof/1", "record": {probe: probe}}, {}),
        ("POST", "/v1/chain/rpc", {"method": probe, "params": []}, {}),
        ("POST", "/v1/chain/rpc", {"method": "eth_getCode", "params": [probe, "latest"]}, {}),
        ("POST", "/v1/chain/rpc", {"method": "eth_call", "params": [{"to": probe}, "latest"]}, {}),
        (
            "POST",
            "/v1/parties",
            {"id": probe, "name": "x", "kind": "person", "roles": ["auditor"]},
            admin,
        ),
        ("POST", "/v1/parties", {"id": "x", "name": "x", "kind": probe, "roles": [probe]}, admin),
        ("PATCH", "/v1/parties/township", {"organisation": probe}, admin),
        ("PATCH", "/v1/parties/township", {"lifecycle_roles": [probe], "roles": [probe]}, admin),
        (
            "POST",
            "/v1/parties/township/keys",
            {"key_id": probe, "public_key": "A" * 43 + "="},
            admin,
        ),
        ("POST", "/v1/parties/township/keys", {"key_id": "k", "public_key": probe}, admin),
    ]
    for method, path, body, headers in bodies:
        response = api.client.request(
            method,
            path,
            content=json.dumps(body),  # ASCII with \u escapes: carries even a lone surrogate
            headers={**headers, "Content-Type": "application/json"},
        )
        assert_safe(response, probe)
        if path == "/v1/chain/rpc" and response.status_code == 200:
            # JSON-RPC answers a bad parameter with an error object, as a node does.
            assert "error" in response.json() and "result" not in response.json()
            continue
        assert response.status_code in (400, 403, 413, 422), (path, body, response.text[:300])


def test_a_party_name_is_stored_literally(api: Api) -> None:
    for n, probe in enumerate(PROBES):
        party = f"literal-{n}"
        r = api.client.post(
            "/v1/parties",
            headers=api.auth("admin"),
            json={"id": party, "name": probe[:200], "kind": "person", "roles": ["auditor"]},
        )
        assert_safe(r, probe)
        if "\x00" in probe:  # no control characters in a display name
            assert r.status_code == 422
            continue
        assert r.status_code == 201, r.text
        token = api.client.post(f"/v1/parties/{party}/tokens", headers=api.auth("admin")).json()
        me = api.client.get("/v1/parties/me", headers={"Authorization": f"Bearer {token['token']}"})
        assert me.json()["name"] == probe[:200]


@pytest.mark.parametrize("probe", PROBES, ids=range(len(PROBES)))
def test_authorization_headers(api: Api, probe: str) -> None:
    for header in (f"Bearer {probe}", probe, f"Bearer sl_{probe}_x"):
        if "\x00" in header:
            continue  # not a valid header value in any client
        raw = header.encode()  # a client sends UTF-8 bytes; the server reads them as Latin-1
        response = api.client.get("/v1/parties/me", headers={b"Authorization": raw})
        assert_safe(response, probe)
        assert response.status_code == 401


# --- the static route -----------------------------------------------------------------------------

STATIC_FILES = {p.name: p.read_bytes() for p in STATIC_DIR.iterdir() if p.is_file()}
#: Files outside api/static whose bytes must never come back.
OUTSIDE = [
    Path("/etc/passwd"),
    Path("/etc/hostname"),
    STATIC_DIR.parent / "app.py",
    STATIC_DIR.parent / "settings.py",
    STATIC_DIR / "package.json",  # inside, but not an asset type: not served either
]

TRAVERSALS = [
    "../app.py",
    "..%2fapp.py",
    "%2e%2e%2fapp.py",
    "%2e%2e/app.py",
    "..%5capp.py",
    "....//app.py",
    "..;/app.py",
    "%252e%252e%252fapp.py",
    "/etc/passwd",
    "//etc/passwd",
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "verify.js%00.png",
    "verify.js\x00.png",
    "verify.js/../../app.py",
    ".",
    "..",
    "%2e",
    "package.json",
    "verify.html",
    "VERIFY.JS",
    "verify.js.",
    "verify.js%20",
    "verify.js::$DATA",
    "~/.bashrc",
]


def raw_asgi_get(app: Any, raw_path: bytes) -> tuple[int, bytes]:
    """One GET through the ASGI app with ``raw_path`` exactly as given: no client normalises it.
    ``path`` is what a server would put there: the percent-decoded path."""
    from urllib.parse import unquote_to_bytes

    path = unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.2", 1234),
        "server": ("testserver", 80),
    }
    status = 0
    body = b""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return status, body


def assert_static_safe(status: int, body: bytes) -> None:
    assert status < 500, body[:300]
    for outside in OUTSIDE:
        if outside.is_file() and outside.stat().st_size > 8:
            assert outside.read_bytes() not in body, f"served {outside}"
    if status == 200:
        assert body in STATIC_FILES.values()
    elif status == 307:  # "/static/" redirected to "/static": nothing served
        assert body == b""
    else:
        assert status in (404, 405), (status, body[:300])


# No client sends a NUL in a URL: those names go only through the raw ASGI test.
@pytest.mark.parametrize("name", [t for t in TRAVERSALS if "\x00" not in t])
def test_static_traversal_through_the_client(api: Api, name: str) -> None:
    response = api.client.get(f"/static/{name}")
    assert_safe(response, name)
    assert_static_safe(response.status_code, response.content)
    if response.status_code == 200:  # only a real asset
        assert response.content == STATIC_FILES[response.url.path.rsplit("/", 1)[-1]]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_static_traversal_through_raw_asgi(api: Api, name: str) -> None:
    raw = ("/static/" + name).encode("utf-8", "surrogateescape")
    status, body = raw_asgi_get(api.client.app, raw)
    assert_static_safe(status, body)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(st.characters(codec="utf-8"), max_size=80))
def test_static_serves_only_its_own_files(api: Api, name: str) -> None:
    status, body = raw_asgi_get(api.client.app, ("/static/" + quote(name, safe="/")).encode())
    assert_static_safe(status, body)
    if status == 200:
        assert STATIC_FILES.get(name) == body


def test_every_asset_is_served_and_nothing_else_from_its_folder(api: Api) -> None:
    served = {name for name in STATIC_FILES if api.client.get(f"/static/{name}").status_code == 200}
    assert served == {n for n in STATIC_FILES if n.rsplit(".", 1)[-1] in {"js", "css", "svg"}}
