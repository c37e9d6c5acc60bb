"""Reading site photos: EXIF position and time, hostile images, and the perceptual hash."""

import io
import random
import struct
import time
from datetime import datetime, timedelta, timezone
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from api.service.evidence import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, ImageFacts, read_image
from notary.evidence.geo import GeoPoint
from notary.evidence.photos import PhotoPolicy, hamming
from tests.support.photos import GARBAGE_EXIF, encode, exif_with, png_claiming, scene

GPS = ExifTags.GPS
THRESHOLD = PhotoPolicy().near_duplicate_distance


HANGZHOU = {
    GPS.GPSLatitudeRef: "N",
    GPS.GPSLatitude: (30.0, 16.0, 12.0),
    GPS.GPSLongitudeRef: "E",
    GPS.GPSLongitude: (120.0, 9.0, 3.6),
}
TAKEN = {
    ExifTags.Base.DateTimeOriginal: "2026:11:23 08:01:02",
    ExifTags.Base.OffsetTimeOriginal: "+08:00",
}


def photo_with(gps=None, exif_ifd=None, **base) -> bytes:
    return encode(scene(1, (160, 120)), exif=exif_with(gps, exif_ifd, **base))


# --- EXIF ------------------------------------------------------------------------------------


def test_position_accuracy_altitude_and_time_are_read_from_exif():
    gps = {
        **HANGZHOU,
        GPS.GPSAltitudeRef: b"\x00",
        GPS.GPSAltitude: IFDRational(125, 10),
        GPS.GPSHPositioningError: IFDRational(8, 1),
    }
    facts = read_image(photo_with(gps, TAKEN))
    assert facts.problem is None
    assert (facts.format, facts.width, facts.height) == ("JPEG", 160, 120)
    assert facts.exif.location == GeoPoint(lat=30 + 16 / 60 + 12 / 3600, lon=120 + 9 / 60 + 0.001)
    assert facts.exif.accuracy_m == 8.0
    assert facts.altitude_m == 12.5
    assert facts.exif.taken_at == datetime(
        2026, 11, 23, 8, 1, 2, tzinfo=timezone(timedelta(hours=8))
    )
    assert facts.phash is not None


def test_south_west_and_below_sea_level_are_negative():
    gps = {
        **HANGZHOU,
        GPS.GPSLatitudeRef: "S",
        GPS.GPSLongitudeRef: b"W\x00",
        GPS.GPSAltitudeRef: b"\x01",
        GPS.GPSAltitude: 3.0,
    }
    facts = read_image(photo_with(gps))
    assert facts.exif.location is not None
    assert facts.exif.location.lat < -30 and facts.exif.location.lon < -120
    assert facts.altitude_m == -3.0


def test_a_time_without_an_offset_is_a_bare_wall_clock():
    facts = read_image(photo_with(exif_ifd={ExifTags.Base.DateTimeOriginal: "2026:11:23 08:01:02"}))
    assert facts.exif.taken_at == datetime(2026, 11, 23, 8, 1, 2)


def test_png_and_webp_exif_is_read_too():
    exif = exif_with(HANGZHOU, TAKEN).tobytes()
    for fmt in ("PNG", "WEBP"):
        facts = read_image(encode(scene(2, (64, 48)), fmt, exif=exif))
        assert facts.format == fmt
        assert facts.exif.location is not None and facts.exif.taken_at is not None


def test_a_stream_reads_as_its_bytes():
    data = photo_with(HANGZHOU, TAKEN)
    assert read_image(io.BytesIO(data)) == read_image(data)


def test_an_image_without_exif_has_no_position_or_time():
    facts = read_image(encode(scene(3, (64, 48))))
    assert facts.problem is None and facts.exif.location is None and facts.exif.taken_at is None


@pytest.mark.parametrize(
    "gps",
    [
        {**HANGZHOU, GPS.GPSLatitude: (IFDRational(30, 0), 16.0, 12.0)},  # 30/0
        {**HANGZHOU, GPS.GPSLatitude: (30.0, 16.0)},  # two parts
        {**HANGZHOU, GPS.GPSLatitude: 30.27},  # one number, not three
        {**HANGZHOU, GPS.GPSLatitude: (95.0, 0.0, 0.0)},  # beyond the pole
        {**HANGZHOU, GPS.GPSLongitude: (181.0, 0.0, 0.0)},
        {**HANGZHOU, GPS.GPSLatitude: (30.0, 75.0, 0.0)},  # 75 minutes
        {**HANGZHOU, GPS.GPSLatitudeRef: "X"},
        {k: v for k, v in HANGZHOU.items() if k != GPS.GPSLongitudeRef},  # E or W?
        {**HANGZHOU, GPS.GPSStatus: "V"},  # the receiver says: no fix
        {
            **HANGZHOU,
            GPS.GPSLatitude: (0.0, 0.0, 0.0),
            GPS.GPSLongitude: (0.0, 0.0, 0.0),
        },  # 0°, 0°: a device with no fix
    ],
    ids=[
        "zero-denominator",
        "two-parts",
        "one-number",
        "lat-95",
        "lon-181",
        "minutes-75",
        "bad-ref",
        "no-ref",
        "status-void",
        "null-island",
    ],
)
def test_a_malformed_or_void_exif_position_is_no_position(gps):
    facts = read_image(photo_with(gps, TAKEN))
    assert facts.exif.location is None
    assert facts.exif.taken_at is not None  # the rest is still read
    assert facts.phash is not None


@pytest.mark.parametrize(
    "taken, expected",
    [
        (
            {ExifTags.Base.DateTimeOriginal: "    :  :     :  :  "},
            None,
        ),  # blank, as the spec allows
        ({ExifTags.Base.DateTimeOriginal: "2026:13:40 25:61:00"}, None),
        ({ExifTags.Base.DateTimeOriginal: "2026-11-23T08:01:02"}, None),
        (
            {
                ExifTags.Base.DateTimeOriginal: "2026:11:23 08:01:02",
                ExifTags.Base.OffsetTimeOriginal: "+25:00",
            },
            datetime(2026, 11, 23, 8, 1, 2),
        ),
        (
            {
                ExifTags.Base.DateTimeOriginal: "2026:11:23 08:01:02",
                ExifTags.Base.OffsetTimeOriginal: "-03:30",
            },
            datetime(2026, 11, 23, 8, 1, 2, tzinfo=timezone(-timedelta(hours=3, minutes=30))),
        ),
    ],
)
def test_a_malformed_capture_time_or_offset_is_dropped(taken, expected):
    assert read_image(photo_with(HANGZHOU, taken)).exif.taken_at == expected


def test_an_out_of_range_accuracy_or_altitude_is_dropped():
    for accuracy, altitude in (
        (IFDRational(200_000, 1), 1e9),
        (IFDRational(5, 0), IFDRational(3, 0)),
    ):
        gps = {**HANGZHOU, GPS.GPSHPositioningError: accuracy, GPS.GPSAltitude: altitude}
        facts = read_image(photo_with(gps))
        assert facts.exif.location is not None
        assert facts.exif.accuracy_m is None and facts.altitude_m is None


# --- hostile images --------------------------------------------------------------------------


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims width x height pixels."""
    data = bytearray(encode(Image.new("L", (16, 16))))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"", "not an image"),
        (b"not an image at all", "not an image"),
        (bytes(random.Random(0).randbytes(5000)), "not an image"),
        (encode(Image.new("RGB", (8, 8)), "TIFF"), "not an image"),  # not a format we open
        (encode(Image.new("RGB", (8, 8)), "GIF"), "not an image"),
        (png_claiming(60_000, 60_000), "too many pixels"),  # 3.6 gigapixels
        (_jpeg_claiming(60_000, 60_000), "too many pixels"),
        (png_claiming(7000, 7000), f"more than {MAX_IMAGE_PIXELS} pixels"),  # 49 megapixels
        (b"\xff" * (MAX_IMAGE_BYTES + 1), "larger than"),
    ],
    ids=["empty", "text", "noise", "tiff", "gif", "png-bomb", "jpeg-bomb", "png-49mp", "too-big"],
)
def test_hostile_or_unsupported_bytes_give_a_problem_not_an_exception(data, problem):
    start = time.perf_counter()
    facts = read_image(data)
    assert problem in (facts.problem or "")
    assert facts.phash is None and facts.exif.location is None
    assert time.perf_counter() - start < 2.0  # nothing was decoded


def test_a_truncated_jpeg_gives_a_problem_not_an_exception():
    data = photo_with(HANGZHOU, TAKEN)
    for cut in (20, len(data) // 3, len(data) - 10):
        facts = read_image(data[:cut])
        assert isinstance(facts, ImageFacts)
        assert facts.problem is not None or facts.phash is not None


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of the corrupt EXIF
def test_a_garbage_exif_block_is_no_exif():
    facts = read_image(encode(scene(4, (64, 48)), exif=GARBAGE_EXIF))
    assert facts.exif.location is None and facts.phash is not None


_FUZZ_SEED = encode(
    scene(5, (64, 48)),
    exif=exif_with(
        {**HANGZHOU, GPS.GPSAltitude: 3.0, GPS.GPSHPositioningError: 4.0},
        TAKEN,
        Orientation=6,
    ),
)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of the corrupt EXIF it skips
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    edits=st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 255)), min_size=1, max_size=12)
)
def test_corrupting_the_exif_and_headers_of_a_jpeg_never_raises(edits):
    data = bytearray(_FUZZ_SEED)
    for offset, value in edits:
        data[offset % len(data)] = value
    facts = read_image(bytes(data))
    assert isinstance(facts, ImageFacts)


# --- the perceptual hash ---------------------------------------------------------------------

SCENES = 24


def test_a_resized_and_recompressed_copy_matches_and_different_pictures_do_not():
    originals, worst_copy = [], 0
    for seed in range(SCENES):
        img = scene(seed)
        original = read_image(encode(img, quality=92)).phash
        half = img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS)
        copy = read_image(encode(half, quality=60)).phash
        assert original is not None and copy is not None
        worst_copy = max(worst_copy, hamming(original, copy))
        originals.append(original)
    pairs = [hamming(a, b) for a, b in combinations(originals, 2)]
    assert len(pairs) >= 50
    # Measured: copies differ in at most 4 bits, different pictures in at least 16 of 64.
    assert worst_copy <= THRESHOLD // 2, worst_copy
    assert min(pairs) > THRESHOLD, sorted(pairs)[:5]


def test_other_copies_match_too():
    img = scene(7)
    original = read_image(encode(img)).phash
    assert original is not None
    copies = {
        "png": encode(img, "PNG"),
        "webp": encode(img, "WEBP", quality=50),
        "grey": encode(img.convert("L")),
        "quarter-size": encode(img.resize((200, 150)), quality=40),
        "enlarged": encode(img.resize((1200, 900)), quality=85),
    }
    for name, data in copies.items():
        phash = read_image(data).phash
        assert phash is not None
        assert hamming(original, phash) <= THRESHOLD, name


def test_a_picture_stored_sideways_with_its_orientation_tag_matches_the_upright_one():
    upright = scene(8)
    original = read_image(encode(upright)).phash
    # A camera held sideways stores the pixels rotated and says so (6: rotate 90° clockwise).
    sideways = encode(upright.transpose(Image.Transpose.ROTATE_90), exif=exif_with(Orientation=6))
    untagged = encode(upright.transpose(Image.Transpose.ROTATE_90))
    assert original is not None
    assert hamming(original, read_image(sideways).phash or 0) <= THRESHOLD // 2
    assert hamming(original, read_image(untagged).phash or 0) > THRESHOLD


def test_reading_a_twelve_megapixel_photo_takes_well_under_a_second():
    data = encode(scene(9).resize((4000, 3000)), quality=90)
    start = time.perf_counter()
    facts = read_image(data)
    elapsed = time.perf_counter() - start
    assert facts.phash is not None
    assert elapsed < 1.0, elapsed
