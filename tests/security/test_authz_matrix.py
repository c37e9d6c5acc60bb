"""The authorisation matrix: every route of the app times every kind of caller, with the exact status
each cell must answer. A route added to the app without a row here fails
``test_every_route_has_a_row``; a cell that answers otherwise fails its own test.

Callers:

- ``none``       no Authorization header
- ``malformed``  a header that is not ``Bearer <token>``
- ``wrong``      a well-formed bearer token nobody was issued
- ``revoked``    a token that was issued to the submitter "township", then revoked
- ``admin``      the bootstrap administrator (``SUNLIGHT_ADMIN_TOKEN``)
- ``submitter``  "township", the submitter who owns the private record under test
- ``auditor``    a party with the auditor role only
- ``other``      "contractor", another submitter: must not read township's private record

Every answer must be below 500; every 4xx is JSON ``{"error", "detail"}``.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from api.render.certificate import CertificateError, find_cjk_font
from tests.integration.api.conftest import Api, make_api
from tests.support.lifecycle import CODE as LIFECYCLE_CODE
from tests.support.lifecycle import REGISTRATION as LIFECYCLE_REGISTRATION
from tests.support.lifecycle import holder

CALLERS = ("none", "malformed", "wrong", "revoked", "admin", "submitter", "auditor", "other")
AUTHENTICATED = ("admin", "submitter", "auditor", "other")
BAD_CREDENTIALS = ("malformed", "wrong", "revoked")

_fresh = itertools.count()
KEK = base64.b64encode(bytes(range(32))).decode()
PRIVATE_FILE = b"township's private file"


@dataclass
class World:
    """The app under test and the objects the matrix's requests refer to."""

    api: Api
    private_id: str  # township's private record (anchored, with a file)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def fresh_token_id(self) -> str:
        """A token of the auditor party that a DELETE may revoke."""
        r = self.api.client.post("/v1/parties/auditor/tokens", headers=self.api.auth("admin"))
        assert r.status_code == 201, r.text
        return str(r.json()["token_id"])

    def fresh_subscription(self) -> str:
        """A webhook subscription that a DELETE may remove."""
        r = self.api.client.post(
            "/v1/webhooks", headers=self.api.auth("admin"), json=_subscription_body()
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def fresh_key_path(self) -> str:
        """A signing key of township's that a DELETE may revoke."""
        body = _key_body()
        r = self.api.client.post(
            "/v1/parties/township/keys", headers=self.api.auth("admin"), json=body
        )
        assert r.status_code == 201, r.text
        return f"/v1/parties/township/keys/{body['key_id']}"

    def fresh_upload(self) -> str:
        """A resumable upload of township's (4 bytes long, none received)."""
        headers = {**self.api.auth("township"), **TUS, "Upload-Length": "4"}
        r = self.api.client.post("/v1/uploads", headers=headers)
        assert r.status_code == 201, r.text
        return str(r.headers["location"])


@dataclass(frozen=True)
class Call:
    """How to make a route's request: path (may depend on the world), JSON body or form."""

    path: Callable[[World], str]
    json: Callable[[], Any] | None = None
    form: Callable[[], dict[str, Any]] | None = None
    headers: Callable[[], dict[str, str]] | None = None
    content: bytes | None = None


def _key_body() -> dict[str, str]:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"key_id": f"k{next(_fresh)}", "public_key": base64.b64encode(raw).decode()}


def _subscription_body() -> dict[str, Any]:
    return {"subscriber_kind": "person", "subscriber": "township", "url": "https://ops.example/h"}


def _party_body() -> dict[str, Any]:
    return {
        "id": f"p{next(_fresh)}",
        "name": "Village office",
        "kind": "organisation",
        "roles": ["submitter"],
    }


MATRIX_ORG = "org-matrix-village"


def _organisation_body() -> dict[str, Any]:
    return {
        "id": f"org{next(_fresh)}",
        "name": "Works office",
        "kind": "contractor",
        "region": {"county": "西泉县"},
    }


def _register_project(api: Api) -> None:
    """A registered project, filed by a village committee head of :data:`MATRIX_ORG`."""
    region = {"county": "西泉县", "township": "清河镇", "village": "李庄村"}
    admin = api.auth("admin")
    org = {"id": MATRIX_ORG, "name": "Village", "kind": "village_committee", "region": region}
    assert api.client.post("/v1/organisations", headers=admin, json=org).status_code == 201
    head = {
        "id": "p-matrix-head",
        "name": "Head",
        "kind": "person",
        "roles": ["submitter"],
        "organisation": MATRIX_ORG,
        "lifecycle_roles": ["village_committee_head"],
    }
    assert api.client.post("/v1/parties", headers=admin, json=head).status_code == 201
    token = api.client.post("/v1/parties/p-matrix-head/tokens", headers=admin).json()["token"]
    r = api.client.post(
        "/v1/projects", headers={"Authorization": f"Bearer {token}"}, json=LIFECYCLE_REGISTRATION
    )
    assert r.status_code == 201, r.text


def _device_body() -> dict[str, str]:
    return {"alg": "ed25519", "public_key": _key_body()["public_key"]}


def _record_form() -> dict[str, Any]:
    return {
        "data": {"meta": json.dumps({"kind": "document", "data": {"n": next(_fresh)}})},
        "files": {"file": ("note.txt", f"note {next(_fresh)}".encode(), "text/plain")},
    }


def _cert_ok() -> int:
    try:
        find_cjk_font()
    except CertificateError:
        return 503  # the documented answer when the CJK font is not installed
    return 200


def everyone(status: int) -> dict[str, int]:
    """A route that reads no token: the same answer whoever calls."""
    return dict.fromkeys(CALLERS, status)


def protected(ok: dict[str, int], *, default: int = 403) -> dict[str, int]:
    """A route that needs a token: 401 without a valid one; ``default`` for roles not in ``ok``."""
    cells = dict.fromkeys(("none", *BAD_CREDENTIALS), 401)
    cells.update({who: ok.get(who, default) for who in AUTHENTICATED})
    return cells


def optional_token(status: int) -> dict[str, int]:
    """A route anyone may call that reads a token when one is sent (to show more to those who may
    see it): ``status`` for everyone, 401 for a token that is not valid."""
    return {**everyone(status), **dict.fromkeys(BAD_CREDENTIALS, 401)}


def private_record(ok: int) -> dict[str, int]:
    """A route reading township's private record: an optional token, 404 (not 403) for those who
    may not read it, so its existence is not disclosed; 401 for a token that is not valid."""
    cells = dict.fromkeys(BAD_CREDENTIALS, 401)
    cells.update({"none": 404, "other": 404, "admin": ok, "submitter": ok, "auditor": ok})
    return cells


RECORD = "/v1/records/{record_id}"
UPLOAD = "/v1/uploads/{upload_id}"
TUS = {"Tus-Resumable": "1.0.0"}
_TUS_PATCH = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
#: An upload is its creator's alone: to anyone else, an administrator too, it does not exist.
_UPLOAD_OWNER_ONLY = protected({"submitter": 0, "admin": 404, "other": 404})
_rid: Callable[[World], str] = lambda w: w.private_id  # noqa: E731

#: (method, route template) → (how to call it, expected status per caller).
MATRIX: dict[tuple[str, str], tuple[Call, dict[str, int]]] = {
    # --- records -------------------------------------------------------------------------------
    ("POST", "/v1/records"): (
        Call(lambda w: "/v1/records", form=_record_form),
        protected({"admin": 201, "submitter": 201, "other": 201}),
    ),
    ("GET", RECORD): (Call(lambda w: f"/v1/records/{_rid(w)}"), private_record(200)),
    ("GET", RECORD + "/proof"): (
        Call(lambda w: f"/v1/records/{_rid(w)}/proof"),
        private_record(200),
    ),
    ("GET", RECORD + "/file"): (Call(lambda w: f"/v1/records/{_rid(w)}/file"), private_record(200)),
    ("GET", RECORD + "/certificate.pdf"): (
        Call(lambda w: f"/v1/records/{_rid(w)}/certificate.pdf"),
        private_record(_cert_ok()),
    ),
    # --- resumable uploads (tus) ----------------------------------------------------------------
    ("OPTIONS", "/v1/uploads"): (Call(lambda w: "/v1/uploads"), everyone(204)),
    ("POST", "/v1/uploads"): (
        Call(lambda w: "/v1/uploads", headers=lambda: {**TUS, "Upload-Length": "4"}),
        protected({"admin": 201, "submitter": 201, "other": 201}),
    ),
    ("HEAD", UPLOAD): (
        Call(lambda w: w.fresh_upload(), headers=lambda: TUS),
        {**_UPLOAD_OWNER_ONLY, "submitter": 200},
    ),
    ("PATCH", UPLOAD): (
        Call(lambda w: w.fresh_upload(), headers=lambda: _TUS_PATCH, content=b"data"),
        {**_UPLOAD_OWNER_ONLY, "submitter": 204},
    ),
    ("DELETE", UPLOAD): (
        Call(lambda w: w.fresh_upload(), headers=lambda: TUS),
        {**_UPLOAD_OWNER_ONLY, "submitter": 204},
    ),
    # --- anchoring and checkpoints --------------------------------------------------------------
    ("POST", "/v1/anchor"): (Call(lambda w: "/v1/anchor"), protected({"admin": 200})),
    ("GET", "/v1/checkpoints/latest"): (Call(lambda w: "/v1/checkpoints/latest"), everyone(200)),
    ("GET", "/v1/checkpoints/consistency"): (
        Call(lambda w: "/v1/checkpoints/consistency?from=1&to=2"),
        everyone(200),
    ),
    ("POST", "/v1/chain/rpc"): (
        Call(
            lambda w: "/v1/chain/rpc",
            json=lambda: {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        ),
        everyone(200),
    ),
    # --- verification ---------------------------------------------------------------------------
    ("POST", "/v1/verify"): (
        Call(lambda w: "/v1/verify", json=lambda: {"sha256": _sha(PRIVATE_FILE)}),
        optional_token(200),
    ),
    # --- parties --------------------------------------------------------------------------------
    ("POST", "/v1/parties"): (
        Call(lambda w: "/v1/parties", json=_party_body),
        protected({"admin": 201}),
    ),
    ("PATCH", "/v1/parties/{party_id}"): (
        # The auditor's roles as they are: the change is checked, and changes nothing.
        Call(lambda w: "/v1/parties/auditor", json=lambda: {"roles": ["auditor"]}),
        protected({"admin": 200}),
    ),
    ("GET", "/v1/parties/me"): (
        Call(lambda w: "/v1/parties/me"),
        protected(dict.fromkeys(AUTHENTICATED, 200)),
    ),
    ("POST", "/v1/parties/{party_id}/tokens"): (
        Call(lambda w: "/v1/parties/township/tokens"),
        protected({"admin": 201}),
    ),
    ("DELETE", "/v1/tokens/{token_id}"): (
        Call(lambda w: f"/v1/tokens/{w.fresh_token_id()}"),
        protected({"admin": 204}),
    ),
    ("POST", "/v1/parties/{party_id}/keys"): (
        # township may register its own keys; contractor ("other") and the auditor may not.
        Call(lambda w: "/v1/parties/township/keys", json=_key_body),
        protected({"admin": 201, "submitter": 201}),
    ),
    ("DELETE", "/v1/parties/{party_id}/keys/{key_id}"): (
        # township may revoke its own keys; contractor ("other") and the auditor may not.
        Call(lambda w: w.fresh_key_path()),
        protected({"admin": 200, "submitter": 200}),
    ),
    ("GET", "/v1/trust"): (Call(lambda w: "/v1/trust"), everyone(200)),
    # --- organisations and projects (lifecycle) ------------------------------------------------
    ("POST", "/v1/organisations"): (
        Call(lambda w: "/v1/organisations", json=_organisation_body),
        protected({"admin": 201}),  # or a county administrator of the county (none here)
    ),
    ("GET", "/v1/organisations/{org_id}"): (
        Call(lambda w: f"/v1/organisations/{MATRIX_ORG}"),
        everyone(200),
    ),
    # Parties outside the lifecycle (no organisation, no lifecycle role) are refused by the gate.
    ("POST", "/v1/projects"): (
        Call(lambda w: "/v1/projects", json=lambda: {**LIFECYCLE_REGISTRATION, "code": "M-2"}),
        protected({"admin": 422, "submitter": 422, "other": 422}),
    ),
    ("POST", "/v1/projects/{code}/powers"): (
        Call(lambda w: f"/v1/projects/{LIFECYCLE_CODE}/powers", json=lambda: holder("approval")),
        protected({"admin": 422, "submitter": 422, "other": 422}),
    ),
    ("GET", "/v1/projects"): (Call(lambda w: "/v1/projects"), everyone(200)),
    ("GET", "/v1/projects/{code}"): (
        Call(lambda w: f"/v1/projects/{LIFECYCLE_CODE}"),
        optional_token(200),
    ),
    ("GET", "/v1/projects/{code}/timeline"): (
        Call(lambda w: f"/v1/projects/{LIFECYCLE_CODE}/timeline"),
        optional_token(200),
    ),
    ("GET", "/v1/projects/{code}/proof"): (
        # As of the latest anchor; for readers who may not see a private record, by leaf hash.
        Call(lambda w: f"/v1/projects/{LIFECYCLE_CODE}/proof"),
        optional_token(200),
    ),
    # --- reminders, webhooks, the data interface ------------------------------------------------
    ("GET", "/v1/reminders"): (
        Call(lambda w: "/v1/reminders"),
        protected(dict.fromkeys(AUTHENTICATED, 200)),
    ),
    ("POST", "/v1/webhooks"): (
        Call(lambda w: "/v1/webhooks", json=_subscription_body),
        protected({"admin": 201}),
    ),
    ("GET", "/v1/webhooks"): (Call(lambda w: "/v1/webhooks"), protected({"admin": 200})),
    ("DELETE", "/v1/webhooks/{sub_id}"): (
        Call(lambda w: f"/v1/webhooks/{w.fresh_subscription()}"),
        protected({"admin": 204}),
    ),
    # Anyone may export; a private record only to those who may read it (tested on its own).
    ("GET", "/v1/export/{what}"): (Call(lambda w: "/v1/export/records"), optional_token(200)),
    # --- operations, pages, documentation -------------------------------------------------------
    ("GET", "/healthz"): (Call(lambda w: "/healthz"), everyone(200)),
    ("GET", "/metrics"): (Call(lambda w: "/metrics"), everyone(200)),
    ("GET", "/verify"): (Call(lambda w: "/verify"), everyone(200)),
    # --- oversight: aggregates and notarized alerts (a private alert only to its readers) -------
    ("GET", "/dashboard"): (Call(lambda w: "/dashboard"), everyone(200)),
    ("GET", "/v1/oversight/indicators"): (
        Call(lambda w: "/v1/oversight/indicators?county=X"),
        everyone(200),
    ),
    ("GET", "/v1/oversight/ranking"): (
        Call(lambda w: "/v1/oversight/ranking?county=X"),
        everyone(200),
    ),
    ("GET", "/v1/oversight/forecasts"): (
        Call(lambda w: "/v1/oversight/forecasts?county=X"),
        everyone(200),
    ),
    ("GET", "/v1/alerts"): (Call(lambda w: "/v1/alerts"), optional_token(200)),
    # --- field devices (docs/field-capture.md) --------------------------------------------------
    ("GET", "/capture"): (Call(lambda w: "/capture"), everyone(200)),
    ("GET", "/capture.webmanifest"): (Call(lambda w: "/capture.webmanifest"), everyone(200)),
    ("GET", "/capture-sw.js"): (Call(lambda w: "/capture-sw.js"), everyone(200)),
    ("POST", "/v1/pairing-codes"): (
        Call(lambda w: "/v1/pairing-codes", json=lambda: {"party": "p-matrix-head"}),
        protected({"admin": 201}),
    ),
    # The code is the credential: a well-formed code nobody issued is refused whoever calls.
    ("POST", "/v1/devices"): (
        Call(lambda w: "/v1/devices", json=lambda: {**_device_body(), "code": "00000000000"}),
        everyone(401),
    ),
    ("GET", "/v1/capture/projects"): (
        Call(lambda w: "/v1/capture/projects"),
        protected(dict.fromkeys(AUTHENTICATED, 200)),
    ),
    ("GET", "/projects/{code}"): (Call(lambda w: f"/projects/{LIFECYCLE_CODE}"), everyone(200)),
    ("GET", "/static/{name}"): (Call(lambda w: "/static/verify.js"), everyone(200)),
    ("GET", "/openapi.json"): (Call(lambda w: "/openapi.json"), everyone(200)),
    ("GET", "/docs"): (Call(lambda w: "/docs"), everyone(200)),
    ("GET", "/docs/assets/{name}"): (
        Call(lambda w: "/docs/assets/swagger-ui.css"),
        everyone(200),
    ),
}

#: FastAPI's own routes also answer HEAD, with the same status (the app's GET routes do not:
#: HEAD on them is a JSON 405).
HEAD_TOO = frozenset({"/openapi.json"})

CELLS = [
    pytest.param(method, template, caller, id=f"{method} {template} as {caller}")
    for (get_method, template) in MATRIX
    for method in ((get_method, "HEAD") if template in HEAD_TOO else (get_method,))
    for caller in CALLERS
]


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves, walking included routers."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any, prefix: str = "") -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # FastAPI's lazily included router
                context = getattr(route, "include_context", None)
                walk(inner.routes, prefix + str(getattr(context, "prefix", "") or ""))
                continue
            sub = getattr(route, "routes", None)
            if sub is not None and not hasattr(route, "methods"):  # a Mount
                walk(sub, prefix + str(getattr(route, "path", "")))
                continue
            for method in getattr(route, "methods", None) or ():
                found.add((method, prefix + route.path))

    walk(app.routes)
    assert found, "found no routes: has FastAPI's router layout changed?"
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("authz")
    # Many bad tokens and anonymous calls come from one address here: the rate limits are tested
    # on their own (tests/security/test_limits_and_headers.py).
    for api in make_api(path, auth_failures_per_minute=100_000, public_burst=100_000, blob_kek=KEK):
        private = api.submit("township", meta={"public": False}, file=PRIVATE_FILE)
        assert private.status_code == 201, private.text
        api.submit("township", meta={"public": True}, file=b"a public notice")
        api.anchor()
        _register_project(api)
        revoked = api.client.post("/v1/parties/township/tokens", headers=api.auth("admin")).json()
        r = api.client.delete(f"/v1/tokens/{revoked['token_id']}", headers=api.auth("admin"))
        assert r.status_code == 204
        headers = {
            "none": {},
            "malformed": {"Authorization": f"Basic {api.tokens['township']}"},
            "wrong": {"Authorization": "Bearer sl_0123456789abcdef_" + "A" * 43},
            "revoked": {"Authorization": f"Bearer {revoked['token']}"},
            "admin": api.auth("admin"),
            "submitter": api.auth("township"),
            "auditor": api.auth("auditor"),
            "other": api.auth("contractor"),
        }
        yield World(api, private.json()["id"], headers)


def test_every_route_has_a_row(world: World) -> None:
    served = app_routes(world.api.client.app)  # type: ignore[arg-type]
    tested = set(MATRIX) | {("HEAD", t) for t in HEAD_TOO}
    assert served - tested == set(), "routes without a row in the authorisation matrix"
    assert tested - served == set(), "rows for routes the app no longer serves"
    assert len(CELLS) == len(tested) * len(CALLERS)


def check_error_body(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    lifecycle = {"rule", "message", "message_zh", "allowed"}  # a lifecycle refusal says more
    assert set(body) - (lifecycle if body.get("error") == "lifecycle_refused" else set()) == {
        "error",
        "detail",
    }, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(("method", "template", "caller"), CELLS)
def test_cell(world: World, method: str, template: str, caller: str) -> None:
    call, expected = MATRIX.get((method, template)) or MATRIX[("GET", template)]
    kwargs: dict[str, Any] = {"headers": {**world.headers[caller], **(call.headers or dict)()}}
    if call.content is not None:
        kwargs["content"] = call.content
    if call.json is not None:
        kwargs["json"] = call.json()
    if call.form is not None:
        kwargs.update(call.form())
    response = world.api.client.request(method, call.path(world), **kwargs)
    want = expected[caller]
    assert response.status_code == want, (
        f"{method} {template} as {caller}: {response.status_code} {response.text[:300]}"
    )
    assert response.status_code < 500 or (want == 503 and "certificate" in template)
    if response.status_code >= 400 and method != "HEAD":
        body = check_error_body(response)
        if response.status_code == 401:
            assert response.headers["www-authenticate"] == "Bearer"
            assert body["error"] == "unauthorized"
        if response.status_code == 403:
            assert body["error"] == "forbidden"
        if response.status_code == 404:
            assert "private" not in response.text  # same answer as an unknown id


@pytest.mark.parametrize("caller", [c for c in CALLERS if MATRIX[("GET", RECORD)][1][c] == 404])
def test_a_private_record_answers_like_an_unknown_one(world: World, caller: str) -> None:
    """Those who may not read a private record cannot tell it from an id that does not exist."""
    headers = world.headers[caller]
    unknown = "f" * len(world.private_id)
    for suffix in ("", "/proof", "/file", "/certificate.pdf"):
        hidden = world.api.client.get(f"/v1/records/{world.private_id}{suffix}", headers=headers)
        absent = world.api.client.get(f"/v1/records/{unknown}{suffix}", headers=headers)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["error"] == absent.json()["error"]
        assert hidden.json()["detail"].replace(world.private_id, unknown) == absent.json()["detail"]


def test_a_public_record_is_readable_by_anyone(world: World) -> None:
    found = world.api.client.post("/v1/verify", json={"sha256": _sha(b"a public notice")}).json()
    record_id = found["records"][0]["id"]
    for caller in ("none", *AUTHENTICATED):
        r = world.api.client.get(f"/v1/records/{record_id}/file", headers=world.headers[caller])
        assert r.status_code == 200 and r.content == b"a public notice"


def test_the_private_file_is_served_only_to_those_who_may_read_it(world: World) -> None:
    for caller in CALLERS:
        r = world.api.client.get(
            f"/v1/records/{world.private_id}/file", headers=world.headers[caller]
        )
        assert (r.content == PRIVATE_FILE) == (r.status_code == 200)


@pytest.mark.parametrize("caller", [c for c in CALLERS if c not in BAD_CREDENTIALS])
def test_a_hash_lookup_shows_a_private_record_only_to_those_who_may_read_it(
    world: World, caller: str
) -> None:
    r = world.api.client.post(
        "/v1/verify", json={"sha256": _sha(PRIVATE_FILE)}, headers=world.headers[caller]
    )
    [match] = r.json()["records"]
    assert r.json()["verified"] is True and match["status"] == "anchored"
    may_read = MATRIX[("GET", RECORD)][1][caller] == 200
    assert (match["id"] == world.private_id) == may_read
    assert (match["record"] is not None) == (match["bundle"] is not None) == may_read
    assert (world.private_id in r.text) == may_read


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
