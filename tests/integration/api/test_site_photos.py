"""Site photos through the real API: EXIF read on the server, the client's statement kept in the
record, flags against the project's registered site and dates and against copies in other
projects, hostile files accepted without harm, private evidence kept private, and the index
rebuilt from the log and the files by ``sunlight photos reindex``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from api.cli import app as cli
from api.storage import db
from notary.lifecycle import Role
from tests.integration.api.lifecycle_world import World, contracting, make_world, registered
from tests.integration.api.lifecycle_world import to_implementation as implementing
from tests.support.lifecycle import CODE
from tests.support.photos import GARBAGE_EXIF, GPS, encode, exif_with, png_claiming, scene

#: The registered site (tests/support/lifecycle.py): a 300 m circle about 30.27 N, 120.15 E;
#: planned from 2026-04-01 to 2026-06-30.
ON_SITE = {GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (30.0, 16.0, 12.0)} | {
    GPS.GPSLongitudeRef: "E",
    GPS.GPSLongitude: (120.0, 9.0, 0.0),
}
#: 30.295 N: 2780 m north of the centre, 2480 m outside the circle.
OFF_SITE = ON_SITE | {GPS.GPSLatitude: (30.0, 17.0, 42.0)}
IN_TIME = {
    ExifTags.Base.DateTimeOriginal: "2026:05:10 09:30:00",
    ExifTags.Base.OffsetTimeOriginal: "+08:00",
}
#: 2025-12-01: 114 days before the planned start less the 7 days' tolerance.
OUT_OF_TIME = IN_TIME | {ExifTags.Base.DateTimeOriginal: "2025:12:01 10:00:00"}
#: What the client states, agreeing with ON_SITE and IN_TIME.
STATED = {
    "location": {"lat": 30.2701, "lon": 120.1502, "accuracy_m": 8.0},
    "taken_at": "2026-05-10T09:30:05+08:00",
}
OTHER = "XQ-2025-0007"  # a project outside the lifecycle, filed by the township
#: Private files are encrypted at rest under this key.
KEK = base64.b64encode(bytes(range(32))).decode()


def photo(
    seed: int, gps: dict[Any, Any] | None = None, taken: dict[Any, Any] | None = None
) -> bytes:
    return encode(scene(seed, (320, 240)), quality=90, exif=exif_with(gps, taken))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for w in make_world(tmp_path_factory.mktemp("photos"), blob_kek=KEK):
        yield contracting(implementing(registered(w)))


def file_photo(world: World, image: bytes, data: dict[str, Any] | None = None, **meta: Any) -> str:
    """A site photo filed by the contractor in the project; its record id."""
    body = {**world.meta("site_photo", Role.CONTRACTOR, data or {}), **meta}
    r = world.api.client.post(
        "/v1/records",
        headers=world.api.auth(world.person(Role.CONTRACTOR)),
        data={"meta": json.dumps(body)},
        files={"file": ("photo.jpg", image, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def file_elsewhere(world: World, image: bytes, **meta: Any) -> str:
    """A site photo filed by the township under another project."""
    r = world.api.submit("township", {"project": OTHER, "kind": "site_photo", **meta}, image)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def shown(world: World, record_id: str, who: str | None = None) -> dict[str, Any]:
    headers = world.api.auth(who) if who else {}
    r = world.api.client.get(f"/v1/records/{record_id}", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def flags(world: World, record_id: str, who: str | None = None) -> dict[str, dict[str, Any]]:
    evidence = shown(world, record_id, who)["evidence"]
    assert evidence is not None
    return {f["id"]: f for f in evidence["flags"]}


def timeline_entry(world: World, record_id: str, who: str | None = None) -> dict[str, Any] | None:
    headers = world.api.auth(who) if who else {}
    r = world.api.client.get(f"/v1/projects/{CODE}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    entries = [e for step in r.json()["steps"] for e in step["records"]]
    return next((e for e in entries if e["id"] == record_id), None)


def test_a_photo_on_site_and_in_time_has_no_flags_and_the_record_keeps_both_sources(world):
    record_id = file_photo(world, photo(101, ON_SITE, IN_TIME), STATED)
    body = shown(world, record_id)
    evidence = body["evidence"]
    assert evidence["flags"] == []
    assert evidence["exif"]["location"] == {"lat": 30.27, "lon": 120.15}
    assert evidence["exif"]["taken_at"] == "2026-05-10T09:30:00+08:00"
    assert len(evidence["phash"]) == 16
    # The client's statement is in the notarized record; the EXIF is in the notarized file.
    assert body["record"]["data"]["location"] == STATED["location"]
    assert body["record"]["data"]["taken_at"] == STATED["taken_at"]
    assert timeline_entry(world, record_id)["evidence"] == evidence  # type: ignore[index]


def test_a_photo_off_site_is_accepted_and_flagged_with_its_distance(world):
    record_id = file_photo(world, photo(102, OFF_SITE, IN_TIME))
    found = flags(world, record_id)
    assert set(found) == {"photo.outside_site"}
    evidence = found["photo.outside_site"]["evidence"]
    assert evidence["source"] == "exif"
    assert 2470 < evidence["distance_m"] < 2490
    assert "2480 米" in found["photo.outside_site"]["message_zh"]
    entry = timeline_entry(world, record_id)
    assert entry is not None and entry["evidence"]["flags"][0]["id"] == "photo.outside_site"


def test_a_client_stating_an_off_site_position_is_flagged_as_the_client(world):
    stated = {"location": {"lat": 30.295, "lon": 120.15}}
    found = flags(world, file_photo(world, photo(103, taken=IN_TIME), stated))
    assert set(found) == {"photo.outside_site"}
    assert found["photo.outside_site"]["evidence"]["source"] == "client"


def test_an_exif_date_outside_the_planned_dates_is_flagged(world):
    found = flags(world, file_photo(world, photo(104, ON_SITE, OUT_OF_TIME)))
    assert set(found) == {"photo.outside_dates"}
    evidence = found["photo.outside_dates"]["evidence"]
    assert evidence["source"] == "exif" and evidence["days_outside"] == 114
    assert (evidence["start"], evidence["end"]) == ("2026-04-01", "2026-06-30")


def test_the_same_file_in_two_projects_is_flagged_as_a_duplicate(world):
    image = photo(105, ON_SITE, IN_TIME)
    first = file_elsewhere(world, image)
    again = file_photo(world, image)
    found = flags(world, again)
    assert set(found) == {"photo.duplicate"}
    [match] = found["photo.duplicate"]["evidence"]["matches"]
    assert (match["project"], match["record_id"]) == (OTHER, first)
    assert "photo.duplicate" not in flags(world, first)  # the first filed is not the copy
    # Filed once more in the project: a copy of the other project's, not of its own project's.
    third = flags(world, file_photo(world, image))["photo.duplicate"]["evidence"]
    assert [m["record_id"] for m in third["matches"]] == [first]


def test_a_resized_and_re_encoded_copy_is_flagged_as_a_near_duplicate(world):
    picture = scene(106, (640, 480))
    original = encode(picture, quality=92, exif=exif_with(ON_SITE, IN_TIME))
    small = picture.resize((320, 240), Image.Resampling.LANCZOS)
    copy = encode(small, quality=60, exif=exif_with(ON_SITE, IN_TIME))
    first = file_elsewhere(world, original)
    found = flags(world, file_photo(world, copy))
    assert set(found) == {"photo.near_duplicate"}
    [match] = found["photo.near_duplicate"]["evidence"]["matches"]
    assert match["record_id"] == first and match["distance"] <= 10


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of the corrupt EXIF
@pytest.mark.parametrize(
    "image",
    [png_claiming(60_000, 60_000), encode(scene(107, (64, 48)), exif=GARBAGE_EXIF)],
    ids=["decompression-bomb", "garbage-exif"],
)
def test_a_hostile_image_is_accepted_without_harm_and_flagged_as_having_no_position(world, image):
    record_id = file_photo(world, image)
    evidence = shown(world, record_id)["evidence"]
    assert {"photo.no_location", "photo.no_time"} <= {f["id"] for f in evidence["flags"]}
    assert evidence["exif"]["location"] is None


def test_a_malformed_client_statement_is_refused_before_anything_is_stored(world):
    body = world.meta("site_photo", Role.CONTRACTOR, {"location": {"lat": 95, "lon": 0}})
    r = world.api.client.post(
        "/v1/records",
        headers=world.api.auth(world.person(Role.CONTRACTOR)),
        data={"meta": json.dumps(body)},
        files={"file": ("photo.jpg", photo(108), "image/jpeg")},
    )
    assert r.status_code == 422, r.text
    assert "data.location.lat" in r.text


def test_a_private_photos_evidence_is_shown_only_to_those_who_may_read_it(world):
    image = photo(109, OFF_SITE, IN_TIME)
    private = file_photo(world, image, public=False)
    contractor, supervisor = world.person(Role.CONTRACTOR), world.person(Role.SUPERVISOR)
    assert "photo.outside_site" in flags(world, private, contractor)
    for who in (None, supervisor):
        headers = world.api.auth(who) if who else {}
        assert world.api.client.get(f"/v1/records/{private}", headers=headers).status_code == 404
        assert timeline_entry(world, private, who) is None
    entry = timeline_entry(world, private, contractor)
    assert entry is not None and entry["evidence"]["flags"]
    # A public copy elsewhere is flagged; the private original it matches is not disclosed.
    copy = file_elsewhere(world, image)
    [match] = flags(world, copy)["photo.duplicate"]["evidence"]["matches"]
    assert match == {
        "project": CODE,
        "leaf_index": shown(world, private, contractor)["leaf_index"],
    } | {"withheld": True}
    [match] = flags(world, copy, "auditor")["photo.duplicate"]["evidence"]["matches"]
    assert match["record_id"] == private


# --- the index is a cache of the log and the files -----------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path, db_url: str) -> Iterator[World]:
    for w in make_world(tmp_path, database_url=db_url, blob_kek=KEK):
        yield contracting(implementing(registered(w)))


def test_photos_left_unindexed_by_a_stopped_server_are_reindexed_with_the_same_flags(
    fresh: World, monkeypatch: pytest.MonkeyPatch
):
    image = photo(110, OFF_SITE, OUT_OF_TIME)
    ids = [
        file_elsewhere(fresh, image),
        file_photo(fresh, image, STATED),
        file_photo(fresh, png_claiming(60_000, 60_000), public=False),
    ]
    before = [shown(fresh, i, "auditor")["evidence"] for i in ids]
    assert {"photo.duplicate", "photo.outside_dates"} <= {f["id"] for f in before[1]["flags"]}
    engine = fresh.ctx.notary.log.engine
    with engine.begin() as conn:  # as if the server had stopped after each append
        conn.execute(delete(db.photos))
    assert all(shown(fresh, i, "auditor")["evidence"] is None for i in ids)

    settings = fresh.api.settings
    monkeypatch.setenv("SUNLIGHT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SUNLIGHT_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("SUNLIGHT_BLOB_KEK", KEK)
    result = CliRunner().invoke(cli, ["photos", "reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 3 site photo(s)" in result.output
    assert [shown(fresh, i, "auditor")["evidence"] for i in ids] == before
    again = CliRunner().invoke(cli, ["photos", "reindex"])
    assert "indexed 0 site photo(s)" in again.output
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(db.photos)) == 3
