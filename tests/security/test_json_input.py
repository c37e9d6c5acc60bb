"""Hostile JSON on every route that takes a body, and in every text field of every form.

Two documents: 100 000 nested ``[`` (json.loads recursed once per level, in C, and a dependency had
raised the recursion limit to 100 000: the C stack overflowed and the whole server died), and
``{"a":1,"a":2}`` (of duplicate keys one reader keeps the first, another the last: two records in
one). Each is refused with a clear 4xx and the server answers afterwards.

The routes come from the app itself, so a route added later is covered without a change here. The
last test sends the segfault to a real ``sunlight serve`` process and checks the process lives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import Api, make_api
from tests.security.test_authz_matrix import app_routes
from tests.support.server import SunlightServer

DEEP = "[" * 100_000
#: Hostile documents and what the refusal must say.
HOSTILE = {
    "100000-nested-brackets": (DEEP, "nested deeper than 64 levels"),
    "50000-nested-objects": ('{"a":' * 50_000, "nested deeper than 64 levels"),
    "duplicate-key": ('{"a":1,"a":2}', "duplicate key 'a'"),
}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    path = tmp_path_factory.mktemp("json-input")
    yield from make_api(path, auth_failures_per_minute=100_000, public_burst=100_000)


def body_routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, path) that may carry a body, path parameters filled in."""
    routes = sorted(
        (m, re.sub(r"\{[^}]+\}", "township", path))
        for m, path in app_routes(api.client.app)  # type: ignore[arg-type]
        if m in BODY_METHODS
    )
    assert ("POST", "/v1/verify") in routes and ("POST", "/v1/parties") in routes, routes
    return routes


def form_fields(api: Api) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, text fields, file fields) of every route whose body is a form."""
    spec: dict[str, Any] = api.client.app.openapi()  # type: ignore[attr-defined]
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            form = content.get("multipart/form-data") or content.get(
                "application/x-www-form-urlencoded"
            )
            if form is None or "$ref" not in form["schema"]:
                continue
            schema = spec["components"]["schemas"][form["schema"]["$ref"].split("/")[-1]]
            text: list[str] = []
            files: list[str] = []
            for name, prop in schema["properties"].items():
                is_file = "contentMediaType" in json.dumps(prop) or '"binary"' in json.dumps(prop)
                (files if is_file else text).append(name)
            found.append((method.upper(), re.sub(r"\{[^}]+\}", "township", path), text, files))
    assert any(path == "/v1/records" for _, path, _, _ in found), found
    return found


def assert_alive(api: Api) -> None:
    health = api.client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text


def assert_clear_error(response: httpx.Response, where: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail"} and body["detail"], (where, body)
    return body


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/problem+json; charset=utf-8", None]
)
def test_every_route_refuses_hostile_json_before_it_runs(
    api: Api, hostile: str, content_type: str | None
) -> None:
    """A body FastAPI or a route would read as JSON: 400 invalid_json, whatever the route."""
    text, says = HOSTILE[hostile]
    headers = {**api.auth("admin"), **({"Content-Type": content_type} if content_type else {})}
    for method, path in body_routes(api):
        response = api.client.request(method, path, content=text.encode(), headers=headers)
        body = assert_clear_error(response, f"{method} {path}")
        assert response.status_code == 400 and body["error"] == "invalid_json", (path, body)
        assert says in body["detail"], (path, body)
        assert_alive(api)


@pytest.mark.parametrize(
    "content_types",
    [["application/json", "text/plain"], ["text/plain", "application/json"], [""]],
    ids=["json-then-text", "text-then-json", "empty"],
)
def test_no_content_type_trick_lets_a_json_body_past(api: Api, content_types: list[str]) -> None:
    """FastAPI reads the first of several Content-Type headers, other code the last; an empty one is
    no content type, which older FastAPI reads as JSON."""
    headers = [*api.auth("admin").items(), *(("Content-Type", t) for t in content_types)]
    response = api.client.post("/v1/parties", content=DEEP.encode(), headers=headers)
    body = assert_clear_error(response, "POST /v1/parties")
    assert response.status_code == 400 and body["error"] == "invalid_json", body
    assert_alive(api)


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream"])
def test_a_body_of_another_type_is_refused_too(api: Api, hostile: str, content_type: str) -> None:
    """Routes that read their body whatever its type (/v1/verify, /v1/chain/rpc) read it strictly;
    a pydantic body refuses it as not JSON; a route that reads no body ignores it."""
    text, says = HOSTILE[hostile]
    headers = {**api.auth("admin"), "Content-Type": content_type}
    for method, path in body_routes(api):
        response = api.client.request(method, path, content=text.encode(), headers=headers)
        assert response.status_code < 500, (path, response.text)
        if response.status_code >= 400:
            assert_clear_error(response, f"{method} {path}")
        assert_alive(api)
    for path in ("/v1/verify", "/v1/chain/rpc"):
        response = api.client.post(path, content=text.encode(), headers=headers)
        body = assert_clear_error(response, path)
        assert response.status_code == 400 and body["error"] == "invalid_json", (path, body)
        assert says in body["detail"], (path, body)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_text_field_of_every_form_refuses_hostile_json(api: Api, hostile: str) -> None:
    """The ``meta`` field of POST /v1/records is JSON: read strictly, not by pydantic (which keeps
    the last of duplicate keys). Every other text field must refuse the text clearly too."""
    text, says = HOSTILE[hostile]
    for method, path, fields, files in form_fields(api):
        for field in fields:
            response = api.client.request(
                method,
                path,
                headers=api.auth("township"),
                data={field: text},
                files={f: ("a.txt", b"a file", "text/plain") for f in files},
            )
            body = assert_clear_error(response, f"{method} {path} field {field}")
            if field == "meta":
                assert response.status_code == 400 and body["error"] == "invalid_json", body
                assert says in body["detail"], body
            assert_alive(api)


def test_two_amounts_in_one_record_are_refused(api: Api) -> None:
    meta = '{"kind":"document","data":{"amount":1,"amount":1000}}'
    before = api.client.get("/healthz").json()["log_size"]
    response = api.client.post(
        "/v1/records",
        headers=api.auth("township"),
        data={"meta": meta},
        files={"file": ("invoice.pdf", b"an invoice", "application/pdf")},
    )
    body = assert_clear_error(response, "POST /v1/records")
    assert body == {"error": "invalid_json", "detail": "duplicate key 'amount' in meta"}
    assert api.client.get("/healthz").json()["log_size"] == before


def test_a_multipart_upload_still_streams_past_the_check(api: Api) -> None:
    big = b"x" * (3 * 1024 * 1024)  # over max_json_bytes: multipart bodies are not buffered
    response = api.submit("township", meta={"data": {"amount": 1}}, file=big)
    assert response.status_code == 201, response.text


def test_a_json_body_is_bounded_by_max_json_bytes_where_uploads_may_be_large(
    tmp_path: Path,
) -> None:
    for small in make_api(tmp_path, max_json_bytes=1000):
        response = small.client.post("/v1/verify", json={"sha256": "0" * 64, "pad": "x" * 2000})
        assert response.status_code == 413 and response.json()["error"] == "too_large"


@pytest.mark.slow
def test_a_real_server_survives_100000_nested_brackets(tmp_path: Path) -> None:
    """The segfault, end to end: no token, straight to /v1/verify, with and without a JSON type."""
    server = SunlightServer(tmp_path / "data").start()
    try:
        for headers in ({"Content-Type": "application/json"}, {}, {"Content-Type": "text/plain"}):
            try:
                response = httpx.post(
                    f"{server.url}/v1/verify", content=DEEP.encode(), headers=headers, timeout=60
                )
            except httpx.HTTPError as e:
                assert server.proc is not None
                pytest.fail(
                    f"the server died ({e!r}; exit status {server.proc.poll()}): "
                    f"{server.log_tail(500)}"
                )
            assert response.status_code == 400, response.text
            assert response.json() == {
                "error": "invalid_json",
                "detail": "request body is nested deeper than 64 levels",
            }
            assert server.proc is not None and server.proc.poll() is None
            assert server.health()["status"] == "ok"
    finally:
        server.stop()
