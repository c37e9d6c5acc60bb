"""photo_out_of_place: the flags raised when a photo was filed, outside the site or the dates."""

from datetime import UTC, date, datetime

import pytest

from notary.evidence.geo import GeoPoint, parse_site
from notary.evidence.photos import Flag, Observation, PhotoEvidence, ProjectFrame, photo_flags
from notary.oversight import RULES, RecordRef
from notary.oversight.rules.photo_out_of_place import PlaceThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["photo_out_of_place"]
SITE = parse_site({"shape": "circle", "center": {"lat": 30.27, "lon": 120.15}, "radius_m": 300.0})
FRAME = ProjectFrame(code="XQ-1", site=SITE, start=date(2026, 4, 1), end=date(2026, 6, 30))


def flagged(north_m: float, taken: datetime) -> tuple[Flag, ...]:
    """The flags the photo rules raise for a photo this far north of the site's centre."""
    seen = Observation(
        location=GeoPoint(lat=30.27 + north_m / 111_195, lon=120.15), accuracy_m=5.0, taken_at=taken
    )
    return photo_flags(PhotoEvidence(sha256="a" * 64, client=seen), FRAME)


def project(*photos: tuple[Flag, ...]) -> tuple[Log, list[RecordRef]]:
    log = Log()
    log.register("XQ-1")
    refs = [log.add("XQ-1", "site_photo", day(40 + i), flags=f) for i, f in enumerate(photos)]
    return log, refs


IN_TIME = datetime(2026, 5, 1, 9, tzinfo=UTC)


def test_a_photo_far_outside_the_site_raises_an_alert_on_that_photo():
    log, refs = project(flagged(100, IN_TIME), flagged(3000, IN_TIME))
    (alert,) = RULE.evaluate(log.snapshots(), PlaceThresholds(), AT)
    assert list(alert.evidence) == refs[1:]
    assert alert.figures["distance_m"] == pytest.approx(2700, abs=10)
    assert "outside the project site" in alert.explanation.en


def test_a_photo_just_outside_the_site_is_let_pass_up_to_the_margin():
    photo = flagged(340, IN_TIME)  # 40 m beyond the edge, flagged by the photo rules
    assert [f.id for f in photo] == ["photo.outside_site"]
    log, _ = project(photo)
    assert RULE.evaluate(log.snapshots(), PlaceThresholds(), AT) == ()
    assert len(RULE.evaluate(log.snapshots(), PlaceThresholds(min_distance_m=39), AT)) == 1


def test_a_photo_outside_the_dates_raises_an_alert():
    log, refs = project(flagged(0, datetime(2026, 2, 1, tzinfo=UTC)))
    (alert,) = RULE.evaluate(log.snapshots(), PlaceThresholds(), AT)
    assert list(alert.evidence) == refs and alert.figures == {"days_outside": 52}
    assert RULE.evaluate(log.snapshots(), PlaceThresholds(min_days_outside=52), AT) == ()
