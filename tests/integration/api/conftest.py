"""An API client on a fresh data directory, with an administrator and parties of each role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

ADMIN_TOKEN = "admin-" + "x" * 40


@dataclass
class Api:
    client: TestClient
    settings: Settings
    tokens: dict[str, str]
    keys: dict[str, Ed25519PrivateKey]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def submit(
        self,
        who: str = "township",
        meta: dict[str, Any] | None = None,
        file: bytes | None = b"site photo bytes",
        name: str = "photo.jpg",
    ) -> Any:
        files = {"file": (name, file, "image/jpeg")} if file is not None else None
        return self.client.post(
            "/v1/records",
            headers=self.auth(who),
            data={"meta": json.dumps(meta or {})},
            files=files,
        )

    def anchor(self) -> Any:
        response = self.client.post("/v1/anchor", headers=self.auth("admin"))
        assert response.status_code == 200, response.text
        return response.json()


def make_api(tmp_path: Path, **overrides: Any) -> Iterator[Api]:
    settings = Settings(
        data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN, anchor_interval_s=3600, **overrides
    )
    app = create_app(settings, run_anchorer=False)
    # localhost: a host the default SUNLIGHT_ALLOWED_HOSTS lists (certificates point back to it).
    with TestClient(app, base_url="http://localhost") as client:
        api = Api(client, settings, {"admin": ADMIN_TOKEN}, {})
        admin = api.auth("admin")
        for party, roles in (
            ("township", ["submitter"]),
            ("contractor", ["submitter"]),
            ("auditor", ["auditor"]),
        ):
            r = client.post(
                "/v1/parties",
                headers=admin,
                json={"id": party, "name": party.title(), "kind": "organisation", "roles": roles},
            )
            assert r.status_code == 201, r.text
            api.tokens[party] = client.post(f"/v1/parties/{party}/tokens", headers=admin).json()[
                "token"
            ]
        yield api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path)
