"""A certificate's QR code and "verify at" address come from configuration, never from a Host header
the client chose: a certificate fetched with ``Host: evil.example`` must not send whoever scans it
to evil.example (where a look-alike page would say "verified" to anything)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import api.render.certificate
from api.settings import Settings
from tests.integration.api.conftest import Api, make_api

EVIL_HOSTS = [
    "evil.example",
    "evil.example:8000",
    "localhost.evil.example",
    "127.0.0.1.evil.example",
    "[::1].evil.example",
    "localhost:80@evil.example",
    "localhost:8000/evil.example",
]


@pytest.fixture
def verify_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The verification URLs certificates were rendered with (rendering itself needs a CJK font and
    is tested in tests/unit/api/test_certificate.py)."""
    urls: list[str] = []

    def render(**kwargs: Any) -> bytes:
        url: str = kwargs["verify_url"]
        urls.append(url)
        return b"%PDF-1.4 " + url.encode()

    monkeypatch.setattr(api.render.certificate, "render_certificate", render)
    return urls


def _world(tmp_path: Path, **settings: Any) -> Iterator[tuple[Api, str]]:
    for made in make_api(tmp_path, **settings):
        r = made.submit("township", meta={"project": "XQ-1"})
        assert r.status_code == 201, r.text
        yield made, r.json()["id"]


@pytest.mark.parametrize("host", EVIL_HOSTS)
def test_a_host_not_allowed_is_refused_and_names_the_setting(
    tmp_path: Path, verify_urls: list[str], host: str
) -> None:
    for world, rid in _world(tmp_path):
        r = world.client.get(f"/v1/records/{rid}/certificate.pdf", headers={"Host": host})
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["error"] == "host_not_allowed"
        assert "SUNLIGHT_PUBLIC_BASE_URL" in body["detail"]
        assert verify_urls == []  # nothing rendered


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("localhost:8000", "http://localhost:8000"),
        ("127.0.0.1", "http://127.0.0.1"),
        ("[::1]:8443", "http://[::1]:8443"),
        ("LocalHost", "http://LocalHost"),  # host names are case-insensitive
    ],
)
def test_an_allowed_host_is_where_the_certificate_points(
    tmp_path: Path, verify_urls: list[str], host: str, base: str
) -> None:
    for world, rid in _world(tmp_path):
        r = world.client.get(f"/v1/records/{rid}/certificate.pdf", headers={"Host": host})
        assert r.status_code == 200, r.text
        assert verify_urls == [f"{base}/verify?id={rid}"]


def test_the_configured_public_base_url_wins_over_any_host(
    tmp_path: Path, verify_urls: list[str]
) -> None:
    public = "https://sunlight.example.org/"
    for world, rid in _world(tmp_path, public_base_url=public):
        for host in ("evil.example", "localhost"):
            r = world.client.get(f"/v1/records/{rid}/certificate.pdf", headers={"Host": host})
            assert r.status_code == 200, r.text
            assert b"evil.example" not in r.content
        assert verify_urls == [f"https://sunlight.example.org/verify?id={rid}"] * 2


def test_allowed_hosts_can_be_configured(tmp_path: Path, verify_urls: list[str]) -> None:
    for world, rid in _world(tmp_path, allowed_hosts="localhost, Sunlight.Example.org"):
        ok = world.client.get(
            f"/v1/records/{rid}/certificate.pdf", headers={"Host": "sunlight.example.org"}
        )
        assert ok.status_code == 200, ok.text
        refused = world.client.get(
            f"/v1/records/{rid}/certificate.pdf", headers={"Host": "127.0.0.1"}
        )
        assert refused.status_code == 400
        assert verify_urls == [f"http://sunlight.example.org/verify?id={rid}"]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("127.0.0.1", True),
        ("", False),
        (" localhost", False),
        ("localhost:", False),
        ("localhost:123456", False),
        *((h, False) for h in EVIL_HOSTS),
    ],
)
def test_a_host_header_must_be_exactly_an_allowed_name_and_port(host: str, allowed: bool) -> None:
    assert Settings().allows_host(host) is allowed
