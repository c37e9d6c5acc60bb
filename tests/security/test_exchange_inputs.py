"""Hostile input to the data interface: export parameters, webhook subscriptions, reminders, and
import files. Every answer is a clean 4xx (never a 500), every bad file a clean refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.service.imports import import_projects
from notary.exchange import (
    MAX_ROWS,
    PAYMENT_COLUMNS,
    PROJECT_COLUMNS,
    ImportRefused,
    read_payments,
    read_projects,
    registration_problem,
)
from tests.integration.api.conftest import Api, make_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from make_api(tmp_path_factory.mktemp("exchange"), public_burst=100_000)


@pytest.mark.parametrize(
    "query",
    [
        "/v1/export/everything",
        "/v1/export/records?format=xml",
        "/v1/export/records?after=-1",
        "/v1/export/records?after=1e3",
        "/v1/export/records?after=" + "9" * 30,
        "/v1/export/records?after=%00",
        "/v1/export/records?after=1%20OR%201=1",
        "/v1/export/alerts?after=%EF%BC%91",  # a fullwidth digit
        "/v1/export/projects?after=%00",
        "/v1/export/projects?after=" + "x" * 65,
        "/v1/export/bundles?format=csv&after=abc",
    ],
)
def test_bad_export_parameters_are_refused(api: Api, query: str) -> None:
    r = api.client.get(query)
    assert r.status_code == 422, (query, r.status_code, r.text)
    assert r.json()["error"] in {"invalid_request"}


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://host/",
        "http://user:password@host/",
        "http://host/a b",
        "http://host/\r\nX-Injected: 1",
        "http://\u0000",  # schemathesis found this one a 500
        "http://host\u0001/",
        "http://host/\u007f",
        "http:///nohost",
        "https://host/" + "a" * 2000,
        "",
    ],
)
def test_webhook_urls_other_than_http_are_refused(api: Api, url: str) -> None:
    body = {"subscriber_kind": "person", "subscriber": "township", "url": url}
    r = api.client.post("/v1/webhooks", headers=api.auth("admin"), json=body)
    assert r.status_code == 422, (url, r.text)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://[::ffff:127.0.0.1]/", "loopback (IPv4 127.0.0.1 inside"),
        ("http://[::1]:8080/", "loopback"),
        ("http://10.0.0.7/", "private"),
        ("http://172.16.3.4/", "private"),
        ("https://192.168.1.1/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0:9000/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one number, as resolvers read it
        ("http://0x7f.1/", "loopback"),
        ("http://127.1/", "loopback"),
    ],
)
def test_webhook_urls_naming_internal_addresses_are_refused(api: Api, url: str, why: str) -> None:
    body = {"subscriber_kind": "person", "subscriber": "township", "url": url}
    r = api.client.post("/v1/webhooks", headers=api.auth("admin"), json=body)
    assert r.status_code == 422, (url, r.text)
    assert r.json()["error"] == "webhook_address_refused"
    assert f"not a public address ({why}" in r.json()["detail"]
    assert "SUNLIGHT_WEBHOOK_ALLOW_PRIVATE" in r.json()["detail"]
    listed = api.client.get("/v1/webhooks", headers=api.auth("admin")).json()
    assert url not in {s["url"] for s in listed}


def test_an_intranet_may_allow_private_webhook_urls(tmp_path: Path) -> None:
    body = {"subscriber_kind": "person", "subscriber": "township", "url": "http://10.0.0.7/h"}
    for intranet in make_api(tmp_path, webhook_allow_private=True):
        r = intranet.client.post("/v1/webhooks", headers=intranet.auth("admin"), json=body)
        assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "body",
    [
        {"subscriber_kind": "admin", "subscriber": "township", "url": "https://h/"},
        {"subscriber_kind": "person", "subscriber": "../../etc", "url": "https://h/"},
        {"subscriber_kind": "person", "subscriber": "township", "url": "https://h/", "secret": "x"},
        {"subscriber_kind": "person", "subscriber": "x" * 300, "url": "https://h/"},
        {"subscriber_kind": "organisation", "subscriber": "org-none", "url": "https://h/"},
    ],
)
def test_bad_subscriptions_are_refused(api: Api, body: dict[str, object]) -> None:
    r = api.client.post("/v1/webhooks", headers=api.auth("admin"), json=body)
    assert r.status_code in (404, 422), r.text


@pytest.mark.parametrize("person", ["x" * 200, "%00", "township%00"])
def test_odd_reminder_queries_are_clean_4xx(api: Api, person: str) -> None:
    r = api.client.get(f"/v1/reminders?person={person}", headers=api.auth("admin"))
    assert 400 <= r.status_code < 500


def test_removing_an_unknown_subscription_is_404(api: Api) -> None:
    for sub in ("wh_nothing", "x" * 300):
        r = api.client.delete(f"/v1/webhooks/{sub}", headers=api.auth("admin"))
        assert r.status_code == 404


def errors_of(text: str, read=read_projects) -> list[str]:
    """A file's errors as read and, of registrations, as judged (the import's gate refuses a
    registration that is not a valid Project, named as :func:`registration_problem` names it)."""
    try:
        found, errors = read(text.splitlines())
    except ImportRefused as e:
        found, errors = [], e.errors
    if read is read_projects:
        errors += [p for p in map(registration_problem, found) if p is not None]
    return [str(e) for e in sorted(errors, key=lambda e: e.row)]


PROJECTS = ",".join(PROJECT_COLUMNS)
ROW = (
    "XQ-9,name,c,t,v,road,100,fund,30.2,120.1,300,2026-04-01,2026-06-30,"
    '"{""length_m"": 1, ""width_m"": 1}",p-head'
)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (ROW.replace(",name,", ",na\x00me,"), "name"),
        (ROW.replace(",30.2,", ",nan,"), "site_lat"),
        (ROW.replace(",30.2,", ",inf,"), "site_lat"),
        (ROW.replace(",30.2,", ",95,"), "site_lat"),
        (ROW.replace(",100,", ",\uff19\uff19,"), "budget_fen"),  # fullwidth digits
        (ROW.replace(",100,", ",99999999999999999999,"), "budget_fen"),
        (ROW.replace(",c,t,v,", ",c,t/..,v,"), "township"),
        (ROW.replace(",2026-04-01,", ",2026-02-30,"), "planned_start"),
        (ROW.replace('"{""length_m"": 1, ""width_m"": 1}"', '"[[[[[[[[[["'), "details"),
        (ROW.replace("XQ-9,", "=cmd|' /c calc'!A0,"), "code"),
    ],
)
def test_hostile_cells_are_named_by_row_and_column(row: str, column: str) -> None:
    [error] = errors_of(f"{PROJECTS}\n{ROW.replace('XQ-9', 'XQ-8')}\n{row}")
    assert error.startswith(f"row 3, column {column}:"), error


def test_malformed_files_are_refused_whole() -> None:
    assert errors_of(f'{PROJECTS}\n"unterminated,{ROW}')[0].startswith("row 2, column -: not CSV")
    assert errors_of("") == ["row 1, column code: required column missing"] + [
        f"row 1, column {c}: required column missing" for c in PROJECT_COLUMNS[1:] if c != "details"
    ]
    huge = f"{PROJECTS}\n" + ROW.replace(",name,", "," + "n" * 200_000 + ",")
    assert "not CSV" in errors_of(huge)[0]


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("notary.exchange.MAX_ROWS", 3)
    rows = "\n".join(ROW.replace("XQ-9", f"XQ-{i}") for i in range(5))
    assert errors_of(f"{PROJECTS}\n{rows}") == ["row 5, column -: more than 3 rows"]
    assert MAX_ROWS >= 100_000


def test_hostile_payment_cells() -> None:
    header = ",".join(PAYMENT_COLUMNS)
    errors = errors_of(
        f"{header}\nXQ-1,r1,0,2026-07-02,p-f,\nXQ-1,{'r' * 200},5,2026-07-02,p-f,\n"
        "XQ-1,r1,5,2026-07-02T10:00:00,p-f,\nXQ-1,r1,5,2026-07-02,p-f," + "v" * 300,
        read_payments,
    )
    assert [e.split(":")[0] for e in errors] == [
        "row 2, column amount_fen",
        "row 3, column reference",
        "row 4, column paid_at",
        "row 5, column voucher",
    ]


def test_a_file_that_is_not_utf8_is_refused(api: Api) -> None:
    ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
    size = ctx.notary.log.size
    with pytest.raises(ImportRefused, match="not UTF-8"):
        import_projects(ctx.notary, ctx.parties, b"code\xff\xfe", progress=lambda n: None)
    assert ctx.notary.log.size == size
