"""Hostile query parameters of the oversight routes: each is refused with a JSON error naming the
problem (422) or finds nothing — never a 500, never a value reflected as markup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.api.conftest import Api, make_api

HOSTILE = [
    "/v1/oversight/indicators",  # the county is required
    "/v1/oversight/indicators?county=" + "x" * 65,
    "/v1/oversight/indicators?county=X&from=2026-13-01",
    "/v1/oversight/indicators?county=X&from=2026-02-01&to=2026-01-01",
    "/v1/oversight/indicators?county=X&village=V",  # a village outside a township
    "/v1/oversight/indicators?county=X&to=99999-01-01",
    "/v1/oversight/ranking?county=",
    "/v1/oversight/ranking?county=X&from=yesterday",
    "/v1/oversight/forecasts",  # the county is required
    "/v1/oversight/forecasts?county=" + "x" * 65,
    "/v1/oversight/forecasts?county=X&village=V",
    "/v1/oversight/forecasts?county=X&limit=0",
    "/v1/oversight/forecasts?county=X&limit=201",
    "/v1/oversight/forecasts?county=X&township=",
    "/v1/alerts?township=T",  # a township outside a county
    "/v1/alerts?rule=<script>",
    "/v1/alerts?rule=" + "a" * 65,
    "/v1/alerts?limit=0",
    "/v1/alerts?limit=100000",
    "/v1/alerts?limit=1e3",
]

FINDS_NOTHING = [
    "/v1/oversight/indicators?county=%00",
    "/v1/oversight/indicators?county=%27%3B%20DROP%20TABLE%20entries%3B--",
    "/v1/oversight/ranking?county=%E2%80%AE",
    "/v1/oversight/forecasts?county=%00&township=%3Cscript%3E",
    "/v1/alerts?county=%00&township=%00",
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from make_api(tmp_path_factory.mktemp("oversight-params"))


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_params_are_refused(api: Api, url: str) -> None:
    r = api.client.get(url)
    assert r.status_code == 422, (url, r.status_code, r.text)
    body = r.json()
    assert set(body) >= {"error", "detail"}
    assert "<script>" not in r.text


@pytest.mark.parametrize("url", FINDS_NOTHING)
def test_odd_places_find_nothing(api: Api, url: str) -> None:
    r = api.client.get(url)
    assert r.status_code == 200, (url, r.text)
    body = r.json()
    assert body.get("registered", 0) == 0
    assert body.get("townships", []) == [] and body.get("alerts", []) == []
    assert body.get("forecasts", []) == []
