"""The flag rules for site photos: each flag raised when it should be, and only then."""

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from notary.errors import RecordError
from notary.evidence.geo import CircleSite, GeoPoint
from notary.evidence.photos import (
    MAX_LISTED_MATCHES,
    Observation,
    PhotoEvidence,
    PhotoMatch,
    PhotoPolicy,
    ProjectFrame,
    client_observation,
    hamming,
    photo_flags,
)

SHA = "a" * 64
OTHER_SHA = "b" * 64
CST = timezone(timedelta(hours=8))
SITE = CircleSite(center=GeoPoint(lat=30.27, lon=120.15), radius_m=200.0)
FRAME = ProjectFrame(code="XQ-2026-0042", site=SITE, start=date(2026, 3, 1), end=date(2026, 10, 31))
ON_SITE = GeoPoint(lat=30.2705, lon=120.1505)  # about 70 m from the centre
#: 0.01° north of the centre: 1112 m from it, 912 m outside the site.
NORTH = GeoPoint(lat=30.28, lon=120.15)
WHEN = datetime(2026, 6, 1, 9, 30, tzinfo=CST)


def seen(location=ON_SITE, accuracy_m=None, taken_at=WHEN) -> Observation:
    return Observation(location=location, accuracy_m=accuracy_m, taken_at=taken_at)


def photo(exif=None, client=None, phash=0x0123_4567_89AB_CDEF) -> PhotoEvidence:
    return PhotoEvidence(
        sha256=SHA, phash=phash, exif=exif or Observation(), client=client or Observation()
    )


def ids(flags) -> list[str]:
    return [f.id for f in flags]


def test_a_photo_on_site_in_time_and_unique_raises_no_flag():
    assert photo_flags(photo(exif=seen(), client=seen()), FRAME) == ()


def test_every_flag_has_both_messages_and_json_evidence():
    far_off = seen(location=GeoPoint(lat=31.0, lon=121.0), taken_at=datetime(2025, 1, 1))
    matches = [
        PhotoMatch(project="XQ-1", leaf_index=7, record_id="r7", sha256=SHA, distance=0),
        PhotoMatch(project="XQ-2", leaf_index=9, record_id="r9", sha256=OTHER_SHA, distance=3),
    ]
    flags = photo_flags(photo(exif=far_off, client=seen()), FRAME, matches)
    assert ids(flags) == [
        "photo.outside_site",
        "photo.outside_dates",
        "photo.exif_client_mismatch",
        "photo.exif_client_mismatch",
        "photo.duplicate",
        "photo.near_duplicate",
    ]
    for flag in flags:
        assert flag.message_en.isascii() and flag.message_en.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in flag.message_zh)
        json.dumps(flag.evidence)


# --- where ------------------------------------------------------------------------------------


def test_a_photo_with_no_position_from_either_source_is_flagged():
    flags = photo_flags(photo(exif=seen(location=None), client=seen(location=None)), FRAME)
    assert ids(flags) == ["photo.no_location"]
    # One source is enough.
    assert photo_flags(photo(exif=seen(location=None), client=seen()), FRAME) == ()


def test_a_photo_outside_the_site_is_flagged_with_its_distance_and_source():
    [flag] = photo_flags(photo(exif=seen(location=NORTH, accuracy_m=12.0)), FRAME)
    assert flag.id == "photo.outside_site"
    assert flag.evidence["source"] == "exif"
    assert flag.evidence["distance_m"] == pytest.approx(912, abs=1)
    assert flag.evidence["tolerance_m"] == 12.0
    assert "912 m" in flag.message_en and "912 米" in flag.message_zh


def test_the_reported_accuracy_is_the_tolerance():
    assert photo_flags(photo(exif=seen(location=NORTH, accuracy_m=913.0)), FRAME) == ()
    assert ids(photo_flags(photo(exif=seen(location=NORTH, accuracy_m=911.0)), FRAME)) == [
        "photo.outside_site"
    ]


def test_each_source_outside_the_site_is_flagged_on_its_own():
    both = photo_flags(photo(exif=seen(location=NORTH), client=seen(location=NORTH)), FRAME)
    assert [(f.id, f.evidence.get("source")) for f in both] == [
        ("photo.outside_site", "exif"),
        ("photo.outside_site", "client"),
    ]
    client_only = photo_flags(photo(client=seen(location=NORTH)), FRAME)
    assert [f.evidence["source"] for f in client_only] == ["client"]


def test_a_project_without_a_site_flags_no_position():
    frame = FRAME.model_copy(update={"site": None})
    assert photo_flags(photo(exif=seen(location=NORTH)), frame) == ()


# --- when -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "taken_on, days_outside",
    [
        (date(2026, 3, 1), 0),
        (date(2026, 2, 22), 0),  # 7 days early: within the tolerance
        (date(2026, 2, 21), 1),
        (date(2026, 11, 7), 0),
        (date(2026, 11, 8), 1),
        (date(2027, 1, 1), 55),
    ],
)
def test_a_photo_taken_outside_the_planned_dates_and_tolerance_is_flagged(taken_on, days_outside):
    taken_at = datetime(taken_on.year, taken_on.month, taken_on.day, 12, 0)  # a bare wall clock
    flags = photo_flags(photo(exif=seen(taken_at=taken_at)), FRAME, policy=PhotoPolicy())
    if not days_outside:
        assert flags == ()
        return
    [flag] = flags
    assert flag.id == "photo.outside_dates"
    assert flag.evidence["days_outside"] == days_outside
    assert flag.evidence["tolerance_days"] == 7
    assert flag.evidence["source"] == "exif"


def test_the_date_is_the_wall_clock_date_where_the_photo_was_taken():
    # 00:30 on 22 February in UTC+8 is still 21 February in UTC: the local date counts.
    taken_at = datetime(2026, 2, 22, 0, 30, tzinfo=CST)
    assert photo_flags(photo(exif=seen(taken_at=taken_at)), FRAME) == ()


def test_the_tolerance_in_days_comes_from_the_policy():
    taken_at = datetime(2026, 11, 2, 8, 0)
    policy = PhotoPolicy(date_tolerance_days=0)
    assert ids(photo_flags(photo(exif=seen(taken_at=taken_at)), FRAME, policy=policy)) == [
        "photo.outside_dates"
    ]


def test_open_ended_dates_bound_one_side_only():
    frame = FRAME.model_copy(update={"end": None})
    assert photo_flags(photo(exif=seen(taken_at=datetime(2040, 1, 1))), frame) == ()
    assert ids(photo_flags(photo(exif=seen(taken_at=datetime(2020, 1, 1))), frame)) == [
        "photo.outside_dates"
    ]


def test_a_photo_with_no_capture_time_is_flagged():
    assert ids(photo_flags(photo(exif=seen(taken_at=None)), FRAME)) == ["photo.no_time"]


def test_a_project_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="end before"):
        ProjectFrame(start=date(2026, 5, 1), end=date(2026, 4, 30))


# --- EXIF against the client ------------------------------------------------------------------


def test_positions_further_apart_than_the_threshold_and_accuracies_are_flagged():
    near = GeoPoint(lat=30.2705, lon=120.1515)  # 96 m east of ON_SITE
    assert photo_flags(photo(exif=seen(), client=seen(location=near)), FRAME) == ()
    [flag] = photo_flags(
        photo(exif=seen(), client=seen(location=near)),
        FRAME,
        policy=PhotoPolicy(location_mismatch_m=50.0),
    )
    assert flag.id == "photo.exif_client_mismatch"
    assert flag.evidence["field"] == "location"
    assert flag.evidence["distance_m"] == pytest.approx(96, abs=1)
    # The two reported accuracies widen what counts as agreeing.
    assert (
        photo_flags(
            photo(exif=seen(accuracy_m=30.0), client=seen(location=near, accuracy_m=20.0)),
            FRAME,
            policy=PhotoPolicy(location_mismatch_m=50.0),
        )
        == ()
    )


def test_capture_times_are_compared_as_instants_when_both_have_an_offset():
    utc = WHEN.astimezone(UTC)  # the same instant written in UTC
    assert photo_flags(photo(exif=seen(), client=seen(taken_at=utc)), FRAME) == ()
    later = WHEN + timedelta(hours=2)
    [flag] = photo_flags(photo(exif=seen(), client=seen(taken_at=later)), FRAME)
    assert flag.evidence == {"field": "taken_at", "difference_s": 7200}
    assert "2.0 hours" in flag.message_en


def test_a_bare_exif_wall_clock_is_compared_with_the_clients_wall_clock():
    bare = WHEN.replace(tzinfo=None)  # what the camera wrote: 09:30, no offset
    assert photo_flags(photo(exif=seen(taken_at=bare), client=seen()), FRAME) == ()
    shifted = bare + timedelta(hours=8)  # a camera set to the wrong zone
    [flag] = photo_flags(photo(exif=seen(taken_at=shifted), client=seen()), FRAME)
    assert flag.evidence["difference_s"] == 8 * 3600


# --- copies -----------------------------------------------------------------------------------


def match(i: int, sha=SHA, distance=0, project="XQ-OTHER") -> PhotoMatch:
    return PhotoMatch(
        project=project, leaf_index=i, record_id=f"rec{i}", sha256=sha, distance=distance
    )


def test_the_same_file_in_another_project_is_a_duplicate():
    [flag] = photo_flags(photo(exif=seen()), FRAME, [match(12)])
    assert flag.id == "photo.duplicate"
    assert flag.evidence["count"] == 1
    assert flag.evidence["matches"] == [
        {
            "project": "XQ-OTHER",
            "leaf_index": 12,
            "record_id": "rec12",
            "sha256": SHA,
            "distance": 0,
        }
    ]
    assert "XQ-OTHER" in flag.message_en and "XQ-OTHER" in flag.message_zh


def test_a_near_perceptual_hash_is_a_near_duplicate_up_to_the_threshold():
    policy = PhotoPolicy(near_duplicate_distance=6)
    matches = [match(1, OTHER_SHA, 6), match(2, OTHER_SHA, 7), match(3, OTHER_SHA, None)]
    [flag] = photo_flags(photo(exif=seen()), FRAME, matches, policy)
    assert flag.id == "photo.near_duplicate"
    assert [m["leaf_index"] for m in flag.evidence["matches"]] == [1]


def test_many_matches_are_counted_and_the_nearest_listed():
    matches = [match(i, OTHER_SHA, distance=10 - i % 10, project=f"P{i}") for i in range(50)]
    [flag] = photo_flags(photo(exif=seen()), FRAME, matches)
    assert flag.evidence["count"] == 50
    listed = flag.evidence["matches"]
    assert len(listed) == MAX_LISTED_MATCHES
    assert [m["distance"] for m in listed] == sorted(m["distance"] for m in listed)
    assert listed[0]["distance"] == 1
    assert "50 other projects" in flag.message_en


def test_hamming_distance():
    assert hamming(0, 0) == 0
    assert hamming(0, 2**64 - 1) == 64
    assert hamming(0b1011, 0b0110) == 3


# --- what the client states -------------------------------------------------------------------


def test_the_client_states_position_accuracy_and_time_in_the_records_data():
    stated = client_observation(
        {
            "location": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8},
            "taken_at": "2026-06-01T09:30:00+08:00",
            "note": "north culvert",  # other keys are not read
        }
    )
    assert stated == Observation(
        location=GeoPoint(lat=30.27, lon=120.15), accuracy_m=8.0, taken_at=WHEN
    )
    assert client_observation({}) == Observation()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"location": {"lat": 91, "lon": 0}}, "data.location.lat"),
        ({"location": {"lat": "30", "lon": 0}}, "data.location.lat"),
        ({"location": {"lat": 30, "lon": 0, "accuracy_m": -1}}, "data.location.accuracy_m"),
        ({"location": {"lat": 30, "lon": 0, "alt": 5}}, "data.location.alt"),
        ({"location": [30, 120]}, "data.location"),
        ({"taken_at": "2026-06-01T09:30:00"}, "data.taken_at"),  # no offset
        ({"taken_at": 1780000000}, "data.taken_at"),
        ({"taken_at": "yesterday"}, "data.taken_at"),
    ],
)
def test_a_malformed_client_statement_is_refused_naming_the_field(data, field):
    with pytest.raises(RecordError) as e:
        client_observation(data)
    assert e.value.field == field
