"""photo_reused: a photo flagged as the same file, or a near copy, of another project's photo."""

from notary.evidence.photos import (
    PhotoEvidence,
    PhotoMatch,
    ProjectFrame,
    hamming,
    photo_flags,
)
from notary.oversight import RULES, RecordRef
from notary.oversight.rules.photo_reused import ReuseThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["photo_reused"]
PHASH = 0xF0F0_F0F0_F0F0_F0F0
ORIGINAL = PhotoEvidence(sha256="a" * 64, phash=PHASH)


def county(copy: PhotoEvidence) -> tuple[Log, RecordRef, RecordRef]:
    """Project XQ-1 files the original; XQ-2 later files ``copy``, flagged against it."""
    log = Log()
    log.register("XQ-1")
    log.register("XQ-2")
    first = log.add("XQ-1", "site_photo", day(40))
    earlier = PhotoMatch(
        project="XQ-1",
        leaf_index=first.leaf_index,
        record_id=first.record_id,
        sha256=ORIGINAL.sha256,
        distance=hamming(copy.phash or 0, PHASH),
    )
    flags = photo_flags(copy, ProjectFrame(code="XQ-2"), [earlier])
    second = log.add("XQ-2", "site_photo", day(50), flags=flags)
    return log, first, second


def test_the_same_file_in_another_project_raises_an_alert_on_both_photos():
    log, first, second = county(ORIGINAL)
    (alert,) = RULE.evaluate(log.snapshots(), ReuseThresholds(max_distance=0), AT)
    assert alert.subject.projects == ("XQ-1", "XQ-2")
    assert list(alert.evidence) == [first, second]
    assert alert.figures == {"copies": 1, "closest_distance_bits": 0}


def test_a_resized_copy_counts_up_to_the_distance():
    resized = PhotoEvidence(sha256="b" * 64, phash=PHASH ^ 0b1111)  # 4 bits apart
    log, first, second = county(resized)
    (alert,) = RULE.evaluate(log.snapshots(), ReuseThresholds(max_distance=4), AT)
    assert list(alert.evidence) == [first, second]
    assert RULE.evaluate(log.snapshots(), ReuseThresholds(max_distance=3), AT) == ()


def test_a_different_picture_raises_nothing():
    other = PhotoEvidence(sha256="c" * 64, phash=PHASH ^ 0xFFFF)  # 16 bits apart
    log, _, _ = county(other)
    assert RULE.evaluate(log.snapshots(), ReuseThresholds(max_distance=64), AT) == ()
