"""The stored snapshot's JSON encoding and its MAC: every snapshot comes back equal, a malformed
body is a SnapshotError (never a KeyError or a TypeError), and the MAC binds each of its inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from notary.oversight import ProjectSnapshot, SnapshotError
from notary.oversight.codec import decode_snapshot, encode_snapshot, snapshot_mac
from scripts.synthetic_county import generate, snapshots
from tests.support.oversight import Log, day


@pytest.fixture(scope="module")
def county_snapshots() -> list[ProjectSnapshot]:
    return snapshots(generate())


def _through_json(snapshot: ProjectSnapshot) -> ProjectSnapshot:
    text = json.dumps(encode_snapshot(snapshot), ensure_ascii=False, separators=(",", ":"))
    return decode_snapshot(json.loads(text.encode()))


def test_every_snapshot_of_the_synthetic_county_comes_back_equal(
    county_snapshots: list[ProjectSnapshot],
) -> None:
    assert len(county_snapshots) == 500
    for snapshot in county_snapshots:
        assert _through_json(snapshot) == snapshot
    # the county exercises what a snapshot holds: flagged photos, parties, money, open visits
    assert any(s.photos and s.photos[0].flags for s in county_snapshots)
    assert any(s.settlement is not None for s in county_snapshots)
    assert any(s.completion is None for s in county_snapshots)
    assert any(p.amount_fen is None for s in county_snapshots for p in s.parties)


def test_an_upheld_objection_and_a_second_notice_round_come_back_equal() -> None:
    log = Log()
    log.register("XQ-1")
    for kind, at in (("application", 1), ("approval", 3), ("notice_published", 4)):
        log.add("XQ-1", kind, day(at))
    log.add("XQ-1", "objection", day(5))
    log.add("XQ-1", "objection_ruling", day(6), {"upheld": True})
    log.add("XQ-1", "approval", day(8))
    snapshot = log.snapshot("XQ-1")
    assert snapshot.objections_upheld and len(snapshot.notices) == 2
    assert snapshot.notices[1].published is None
    assert _through_json(snapshot) == snapshot


def _encoded() -> dict[str, Any]:
    log = Log()
    log.register("XQ-1")
    log.add("XQ-1", "payment", day(3), {"amount_fen": 500})
    return encode_snapshot(log.snapshot("XQ-1"))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: [d], id="not-an-object"),
        pytest.param(lambda d: None, id="null"),
        pytest.param(lambda d: {k: v for k, v in d.items() if k != "payments"}, id="key-missing"),
        pytest.param(lambda d: d | {"step": "paused"}, id="unknown-step"),
        pytest.param(lambda d: d | {"payments": [[500]]}, id="payment-without-event"),
        pytest.param(lambda d: d | {"registered": d["registered"][:-1]}, id="event-short"),
        pytest.param(
            lambda d: d | {"registered": [*d["registered"][:-1], "yesterday"]}, id="bad-time"
        ),
        pytest.param(lambda d: d | {"project": d["project"] | {"budget_fen": -1}}, id="bad-budget"),
        pytest.param(lambda d: d | {"photos": [[d["registered"], [{"id": 1}]]]}, id="bad-flag"),
        pytest.param(lambda d: d | {"visits": 3}, id="visits-not-a-list"),
    ],
)
def test_a_malformed_body_is_a_snapshot_error(mutate: Any) -> None:
    with pytest.raises(SnapshotError, match="not an encoded snapshot"):
        decode_snapshot(mutate(_encoded()))


MAC_INPUTS: dict[str, Any] = {
    "project": "XQ-1",
    "head": 41,
    "fingerprint": b"\x01" * 32,
    "body": b'{"records":3}',
}


@pytest.mark.parametrize(
    "changed",
    [
        {"project": "XQ-2"},
        {"head": 42},
        {"fingerprint": b"\x02" + b"\x01" * 31},
        {"body": b'{"records":2}'},
        # the fields are length-prefixed: a byte moved from the code into the fingerprint
        {"project": "XQ-", "fingerprint": b"1" + b"\x01" * 32},
    ],
)
def test_the_mac_binds_project_head_fingerprint_and_body(changed: dict[str, Any]) -> None:
    key = b"k" * 32
    mac = snapshot_mac(key, **MAC_INPUTS)
    assert snapshot_mac(key, **MAC_INPUTS) == mac and len(mac) == 32
    assert snapshot_mac(key, **(MAC_INPUTS | changed)) != mac
    assert snapshot_mac(b"K" * 32, **MAC_INPUTS) != mac
