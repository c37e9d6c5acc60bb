"""Schemathesis against the OpenAPI spec: whatever it sends, the API never answers 5xx."""

import json
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.settings import Settings
from tests.integration.api.conftest import ADMIN_TOKEN

_DATA = Path(tempfile.mkdtemp(prefix="sunlight-schemathesis-"))
_app = create_app(
    Settings(
        data_dir=_DATA,
        admin_token=ADMIN_TOKEN,
        public_rate_per_s=1e6,
        public_burst=1e6,
        auth_failures_per_minute=1e6,
    ),
    run_anchorer=False,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_server_fail(case):
    for headers in ({}, {"Authorization": f"Bearer {ADMIN_TOKEN}"}):
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )
        ctype = response.headers.get("content-type") or [""]
        has_body = case.method.upper() != "HEAD"  # a HEAD answer has headers only (tus uses HEAD)
        if has_body and response.status_code >= 400 and ctype[0].startswith("application/json"):
            body = json.loads(response.text)
            assert {"error", "detail"} <= set(body), body
