"""Private records on a public server, on SQLite and PostgreSQL.

A hash lookup (``POST /v1/verify`` with a SHA-256 or the file) tells a caller who may not read a
private record only that a record of this log notarizes the file, its leaf index and hash, whether
it is anchored and the server's verdict. And privacy is decided by the entry, which is in the log,
not by the ``public`` column: flipping that column in the database publishes nothing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.service.audit import audit_log
from tests.integration.api.conftest import Api, make_api

KEK = base64.b64encode(bytes(range(32))).decode()
BID = b"sealed bid of Hangzhou Jade Road Works: 7318421 CNY"
LATE_BID = b"a second sealed bid, filed after the anchor"
META: dict[str, Any] = {
    "project": "XQ-SEALED-BID-9",
    "stage": "review",
    "kind": "sealed_bid",
    "data": {"bidder": "Hangzhou Jade Road Works", "price": 7318421},
    "public": False,
}
NAME = "sealed-bid-jade.pdf"
READERS = ("township", "auditor", "admin")  # its submitter, and the roles that read everything
OUTSIDERS = (None, "contractor")  # anonymous, and another submitter


@dataclass
class World:
    api: Api
    db_url: str
    bid: dict[str, Any]  # township's private record, anchored
    late: dict[str, Any]  # another private record, not yet anchored
    secrets: tuple[str, ...]  # every private value the bid's record holds

    def sql(self, statement: str, **params: Any) -> None:
        with self.api.client.app.state.ctx.notary.log.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text(statement), params)

    def headers(self, who: str | None) -> dict[str, str]:
        return self.api.auth(who) if who else {}


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    for api in make_api(tmp_path, blob_kek=KEK, database_url=db_url):
        bid = api.submit("township", meta=META, file=BID, name=NAME)
        assert bid.status_code == 201, bid.text
        api.anchor()
        late = api.submit("township", meta={"public": False}, file=LATE_BID, name="late.pdf")
        assert late.status_code == 201, late.text
        record = api.client.get(f"/v1/records/{bid.json()['id']}", headers=api.auth("township"))
        content = record.json()["record"]["content"]
        secrets = (
            bid.json()["id"],
            late.json()["id"],
            META["project"],
            "sealed_bid",
            "Hangzhou Jade Road Works",
            "7318421",
            NAME,
            "late.pdf",
            "township",
            content["cid"],
        )
        yield World(api, db_url, bid.json(), late.json(), secrets)


def _lookups(world: World, file: bytes, who: str | None) -> Iterator[Any]:
    """The same question asked twice: by SHA-256, and by uploading the file."""
    headers = world.headers(who)
    sha = hashlib.sha256(file).hexdigest()
    yield world.api.client.post("/v1/verify", json={"sha256": sha}, headers=headers)
    yield world.api.client.post(
        "/v1/verify", files={"file": ("upload.bin", file, "application/pdf")}, headers=headers
    )


def _assert_hidden(world: World, response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    for secret in world.secrets:
        assert secret.encode() not in response.content, f"{secret!r} leaked: {response.text}"
    body: dict[str, Any] = response.json()
    [match] = body["records"]
    assert match["id"] is None and match["record"] is None and match["bundle"] is None
    assert match["public"] is False
    return body


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_hash_lookup_tells_an_outsider_only_that_the_file_was_notarized(
    world: World, who: str | None
) -> None:
    for response in _lookups(world, BID, who):
        body = _assert_hidden(world, response)
        [match] = body["records"]
        assert match["leaf_index"] == world.bid["leaf_index"]
        assert match["leaf_hash"] == world.bid["leaf_hash"]
        assert match["status"] == "anchored"
        assert body["verified"] is True
    for response in _lookups(world, LATE_BID, who):
        assert _assert_hidden(world, response)["records"][0]["status"] == "pending"


@pytest.mark.parametrize("who", READERS)
def test_those_who_may_read_a_private_record_get_it_in_full(world: World, who: str) -> None:
    for response in _lookups(world, BID, who):
        body = response.json()
        assert body["verified"] is True
        [match] = body["records"]
        assert match["id"] == world.bid["id"] and match["public"] is False
        assert match["record"]["data"] == META["data"] and match["record"]["public"] is False
        assert match["record"]["content"]["name"] == NAME
        assert match["bundle"]["record"] == match["record"]


def test_a_public_match_is_shown_in_full_to_anyone(world: World) -> None:
    notice = world.api.submit("township", meta={"data": {"notice": 1}}, file=b"public notice")
    world.api.anchor()
    for response in _lookups(world, b"public notice", None):
        [match] = response.json()["records"]
        assert match["id"] == notice.json()["id"] and match["public"] is True
        assert match["record"]["data"] == {"notice": 1} and match["bundle"] is not None


def test_a_private_record_flipped_public_in_the_database_stays_private(world: World) -> None:
    rid = world.bid["id"]
    world.sql("UPDATE entries SET public = :p WHERE record_id = :r", p=True, r=rid)
    for suffix in ("", "/proof", "/file", "/certificate.pdf"):
        for who in OUTSIDERS:
            r = world.api.client.get(f"/v1/records/{rid}{suffix}", headers=world.headers(who))
            assert r.status_code == 404, (suffix, who, r.text)
            assert BID not in r.content
    for who in OUTSIDERS:
        for response in _lookups(world, BID, who):
            _assert_hidden(world, response)
    mine = world.api.client.get(f"/v1/records/{rid}/file", headers=world.api.auth("township"))
    assert mine.content == BID
    report = audit_log(world.api.client.app.state.ctx.notary.log)  # type: ignore[attr-defined]
    assert [str(f) for f in report.findings] == [
        f"entry {world.bid['leaf_index']} (record {rid}): column public is True, "
        "the entry gives False"
    ]


def test_a_content_column_pointed_at_another_file_vouches_for_nothing(world: World) -> None:
    unrelated = b"a file nobody notarized"
    sha = hashlib.sha256(unrelated).hexdigest()
    world.sql(
        "UPDATE entries SET content_sha256 = :h WHERE record_id = :r", h=sha, r=world.bid["id"]
    )
    for who in (*OUTSIDERS, *READERS):
        for response in _lookups(world, unrelated, who):
            body = response.json()
            assert body["verified"] is False and body["records"] == [], body
            assert {c["check"]: c["passed"] for c in body["checks"]}["found"] is False
