"""The photo index on SQLite and on a real PostgreSQL server: copies found across projects."""

import random
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.storage import db
from api.storage.migrate import upgrade
from api.storage.photos import MAX_LOOKUP_DISTANCE, IndexedPhoto, PhotoIndex
from notary.errors import InvalidRequestError
from notary.evidence.geo import GeoPoint
from notary.evidence.photos import Flag, Observation, PhotoEvidence, hamming

ALL_ONES = 2**64 - 1


@pytest.fixture
def index(db_url: str):
    engine = db.make_engine(db_url)
    upgrade(engine)
    yield PhotoIndex(engine)
    engine.dispose()


def sha(i: int) -> str:
    return f"{i:064x}"


def photo(leaf: int, project: str | None, phash: int | None, digest: str | None = None, **kw):
    evidence = PhotoEvidence(sha256=digest or sha(leaf), phash=phash, **kw)
    return IndexedPhoto(leaf, f"rec{leaf}", project, evidence, kw.pop("flags", ()))


def flip(phash: int, *bits: int) -> int:
    for b in bits:
        phash ^= 1 << b
    return phash


def found(index: PhotoIndex, digest: str, phash: int | None, exclude="XQ-1", t=10):
    return {
        (m.leaf_index, m.distance)
        for m in index.matches(digest, phash, exclude_project=exclude, max_distance=t)
    }


def test_a_photo_is_stored_with_its_evidence_and_flags(index: PhotoIndex):
    evidence = PhotoEvidence(
        sha256=sha(1),
        phash=ALL_ONES,  # the top bit set: stored as a negative BIGINT, read back unchanged
        exif=Observation(location=GeoPoint(lat=30.27, lon=120.15), accuracy_m=5.0),
        client=Observation(taken_at=datetime.fromisoformat("2026-06-01T09:30:00+08:00")),
    )
    flag = Flag(id="photo.no_time", message_en="No time.", message_zh="没有拍摄时间。", evidence={})
    assert index.add([IndexedPhoto(4, "rec4", "XQ-1", evidence, (flag,))]) == 1
    assert index.get(4) == IndexedPhoto(4, "rec4", "XQ-1", evidence, (flag,))
    assert index.get(5) is None
    [m] = index.matches(sha(9), ALL_ONES, exclude_project="XQ-2", max_distance=0)
    assert (m.leaf_index, m.distance, m.project, m.record_id) == (4, 0, "XQ-1", "rec4")


def test_adding_a_leaf_again_changes_nothing(index: PhotoIndex):
    assert index.add([photo(1, "XQ-1", 5), photo(2, "XQ-1", 6)]) == 2
    assert index.add([photo(2, "XQ-9", 7), photo(3, "XQ-1", 8)]) == 1
    stored = index.get(2)
    assert stored is not None and stored.project == "XQ-1" and stored.evidence.phash == 6


def test_the_same_file_is_found_in_other_projects_only(index: PhotoIndex):
    digest = sha(77)
    index.add(
        [
            photo(1, "XQ-1", None, digest),  # the same project: not a duplicate across projects
            photo(2, "XQ-2", None, digest),
            photo(3, None, None, digest),  # a standalone notarization
            photo(4, "XQ-3", None),  # another file
        ]
    )
    assert found(index, digest, None) == {(2, None), (3, None)}
    # A photo filed under no project is compared with photos filed under one.
    assert found(index, digest, None, exclude=None) == {(1, None), (2, None)}


def test_near_hashes_are_found_up_to_the_distance_across_the_bands(index: PhotoIndex):
    base = random.Random(1).getrandbits(64)
    # 10 bits apart, spread so that no band is exact: 3 + 3 + 2 + 2 bits in the four bands.
    spread = flip(base, 0, 1, 2, 16, 17, 18, 32, 33, 48, 49)
    index.add(
        [
            photo(1, "XQ-2", spread),
            photo(2, "XQ-2", flip(base, 5)),
            photo(3, "XQ-3", flip(spread, 60)),  # 11 bits: too far
            photo(4, "XQ-1", base),  # the same project
            photo(5, "XQ-4", None),
        ]
    )
    assert found(index, sha(100), base) == {(1, 10), (2, 1)}
    assert found(index, sha(100), base, t=9) == {(2, 1)}
    assert found(index, sha(100), base, t=0) == set()
    ordered = index.matches(sha(100), base, exclude_project="XQ-1", max_distance=11)
    assert [m.leaf_index for m in ordered] == [2, 1, 3]  # nearest first


def test_same_files_come_before_near_ones(index: PhotoIndex):
    index.add([photo(1, "XQ-2", 0b11), photo(2, "XQ-3", ALL_ONES, sha(50))])
    ordered = index.matches(sha(50), 0, exclude_project="XQ-1", max_distance=2)
    assert [(m.leaf_index, m.distance) for m in ordered] == [(2, 64), (1, 2)]


def test_a_distance_beyond_the_lookup_bound_is_refused(index: PhotoIndex):
    for t in (-1, MAX_LOOKUP_DISTANCE + 1):
        with pytest.raises(InvalidRequestError):
            index.matches(sha(1), 0, exclude_project=None, max_distance=t)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32), t=st.integers(0, 16))
def test_lookups_agree_with_a_scan_of_every_photo(index: PhotoIndex, seed: int, t: int):
    """The reference: compare the query hash with every stored hash, one by one."""
    rnd = random.Random(seed)
    query = rnd.getrandbits(64)
    start = rnd.randrange(10**9)
    # Hashes near the query (a few bits flipped anywhere) and far from it.
    hashes = [flip(query, *rnd.sample(range(64), rnd.randrange(0, 20))) for _ in range(40)]
    hashes += [rnd.getrandbits(64) for _ in range(20)]
    photos = [photo(start + i, rnd.choice(["XQ-1", "XQ-2", None]), h) for i, h in enumerate(hashes)]
    index.add(photos)
    expected = {
        (p.leaf_index, hamming(query, h))
        for p, h in zip(photos, hashes, strict=True)
        if p.project != "XQ-1" and hamming(query, h) <= t
    }
    # Earlier examples' photos stay in the table: compare this example's.
    got = found(index, sha(0), query, t=t)
    assert {hit for hit in got if start <= hit[0] < start + len(photos)} == expected
