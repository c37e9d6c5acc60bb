"""Reading site photos: their EXIF position and capture time, and a perceptual hash.

:func:`read_image` never raises on what an image contains: an upload is any bytes a client chose,
so a file that is not an image, is too large, claims too many pixels (a decompression bomb) or
carries malformed EXIF gives :class:`ImageFacts` with what could be read and ``problem`` saying
what could not. Only JPEG (and its multi-picture variant, MPO), PNG and WebP are opened.

The perceptual hash is the 64-bit DCT hash (pHash): the picture, turned upright by its EXIF
orientation, is reduced to 32x32 grey levels; the bits say which of the 8x8 lowest frequencies of
its two-dimensional DCT lie above their median. Resizing and JPEG re-encoding move few bits
(tests/unit/api/test_evidence.py measures it); unrelated pictures differ in about half.
"""

from __future__ import annotations

import io
import math
import statistics
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, BinaryIO

from PIL import ExifTags, Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, ValidationError

from api.settings import Settings
from api.storage.photos import PhotoIndex
from notary.evidence.geo import GeoPoint
from notary.evidence.photos import (
    Flag,
    Observation,
    PhotoEvidence,
    PhotoPolicy,
    ProjectFrame,
    photo_flags,
)

__all__ = [
    "FORMATS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "ImageFacts",
    "assess_photo",
    "perceptual_hash",
    "photo_policy",
    "read_image",
]

#: Images larger than this are not read (their record is still accepted, with no EXIF facts).
MAX_IMAGE_BYTES = 64 * 1024 * 1024
#: PNG and WebP images claiming more pixels than this are not decoded: a few kilobytes of
#: compressed data can claim gigapixels. A JPEG is decoded at 1/8 scale for its hash, so it may
#: claim up to Pillow's own limit (twice ``Image.MAX_IMAGE_PIXELS``, about 179 million).
MAX_IMAGE_PIXELS = 40_000_000
#: The formats opened; a multi-picture JPEG opens as format "MPO" (its first picture is read).
FORMATS = ("JPEG", "PNG", "WEBP")
_JPEG = ("JPEG", "MPO")

_HASH_SIDE = 32
_HASH_FREQS = 8
#: EXIF orientation (tag 0x0112) → the transposition that turns the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageFacts(BaseModel):
    """What the server read from an uploaded image."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The format Pillow recognised (JPEG, MPO, PNG or WEBP), or None if it is not one of them.
    format: str | None = None
    width: int | None = None
    height: int | None = None
    #: Position (with GPSHPositioningError as accuracy) and DateTimeOriginal from the EXIF.
    exif: Observation = Observation()
    #: Metres above sea level (negative below), from GPSAltitude and GPSAltitudeRef.
    altitude_m: float | None = None
    phash: int | None = None
    #: Why some of the above could not be read; None if nothing went wrong.
    problem: str | None = None


def read_image(source: bytes | BinaryIO) -> ImageFacts:
    """The EXIF facts and perceptual hash of an image. Never raises for what the bytes contain."""
    data = source if isinstance(source, bytes) else source.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        return ImageFacts(problem=f"larger than {MAX_IMAGE_BYTES} bytes: not read")
    Image.init()  # registers every format plugin (WebP's is not loaded by default)
    # Pillow may warn (corrupt EXIF, more pixels than its MAX_IMAGE_PIXELS): warnings are left to
    # the process's filters, since catch_warnings() is not thread-safe and this runs in threads.
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            return _read_open(image)
    except UnidentifiedImageError:
        return ImageFacts(problem="not an image in a format read here (JPEG, PNG, WebP)")
    except Image.DecompressionBombError:
        return ImageFacts(problem="claims too many pixels (a decompression bomb?): not read")
    except Exception as e:  # hostile bytes can make a decoder raise anything
        return ImageFacts(problem=f"unreadable image: {type(e).__name__}")


def _read_open(image: Image.Image) -> ImageFacts:
    width, height = image.size
    facts: dict[str, Any] = {"format": image.format, "width": width, "height": height}
    if image.format not in _JPEG and width * height > MAX_IMAGE_PIXELS:
        # Not even the EXIF: Pillow decodes a PNG whole to find an eXIf chunk after its pixels.
        return ImageFacts(**facts, problem=f"more than {MAX_IMAGE_PIXELS} pixels: not decoded")
    exif = _exif(image)
    if exif is not None:
        gps = _ifd(exif, ExifTags.IFD.GPSInfo)
        facts["exif"] = Observation(
            location=_gps_point(gps),
            accuracy_m=_gps_accuracy(gps),
            taken_at=_taken_at(_ifd(exif, ExifTags.IFD.Exif)),
        )
        facts["altitude_m"] = _gps_altitude(gps)
    orientation = exif.get(ExifTags.Base.Orientation) if exif is not None else None
    facts["phash"] = perceptual_hash(image, orientation=orientation)
    return ImageFacts(**facts)


def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        return image.getexif()
    except Exception:  # a malformed EXIF block is no EXIF
        return None


def _ifd(exif: Image.Exif, ifd: ExifTags.IFD) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(ifd))
    except Exception:  # a malformed sub-directory is an empty one
        return {}


def _number(value: Any) -> float | None:
    """A finite float from an EXIF rational or integer, else None (0/0 rationals are NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return str(value).strip("\x00 ").upper() if isinstance(value, str) else ""


def _degrees(dms: Any, ref: Any, positive: str, negative: str) -> float | None:
    """Degrees from EXIF (degrees, minutes, seconds) rationals and an N/S or E/W reference."""
    if not isinstance(dms, tuple) or len(dms) != 3:
        return None
    d, m, s = (_number(part) for part in dms)
    if d is None or m is None or s is None or d < 0 or not (0 <= m < 60 and 0 <= s < 60):
        return None
    sign = {positive: 1.0, negative: -1.0}.get(_text(ref))
    return None if sign is None else sign * (d + m / 60 + s / 3600)


def _gps_point(gps: dict[int, Any]) -> GeoPoint | None:
    """The EXIF position; None without one, when the receiver said it had no fix (status V), or
    at exactly 0°, 0° (what some devices write when they have none)."""
    if _text(gps.get(ExifTags.GPS.GPSStatus)) == "V":
        return None
    lat = _degrees(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S"
    )
    lon = _degrees(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W"
    )
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None
    try:
        return GeoPoint(lat=lat, lon=lon)
    except ValidationError:
        return None


def _gps_accuracy(gps: dict[int, Any]) -> float | None:
    accuracy = _number(gps.get(ExifTags.GPS.GPSHPositioningError))
    return accuracy if accuracy is not None and 0 <= accuracy <= 100_000 else None


def _gps_altitude(gps: dict[int, Any]) -> float | None:
    altitude = _number(gps.get(ExifTags.GPS.GPSAltitude))
    if altitude is None or abs(altitude) > 100_000:
        return None
    ref = gps.get(ExifTags.GPS.GPSAltitudeRef)
    below = ref in (1, b"\x01")
    return -altitude if below else altitude


def _taken_at(exif_ifd: dict[int, Any]) -> datetime | None:
    """DateTimeOriginal, with OffsetTimeOriginal when present (else a bare wall clock)."""
    text = exif_ifd.get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(text, str):
        return None
    try:
        taken = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # a bare wall clock
    except ValueError:
        return None
    offset = exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)
    return taken.replace(tzinfo=_offset(offset)) if isinstance(offset, str) else taken


def _offset(text: str) -> timezone | None:
    """``+08:00`` → UTC+8; None for anything else."""
    text = text.strip("\x00 ")
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    hours, minutes = text[1:3], text[4:6]
    if not (hours.isdigit() and minutes.isdigit()) or int(hours) > 14 or int(minutes) >= 60:
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if text[0] == "-" else delta)


@cache
def _cosines() -> tuple[tuple[float, ...], ...]:
    """cos(π (2n + 1) k / 2N) for the kept frequencies k and the N samples n."""
    n = _HASH_SIDE
    return tuple(
        tuple(math.cos(math.pi * (2 * i + 1) * k / (2 * n)) for i in range(n))
        for k in range(_HASH_FREQS)
    )


def _low_dct(rows: list[list[float]]) -> list[list[float]]:
    """The _HASH_FREQS x _HASH_FREQS lowest coefficients of the 2-D DCT-II (unscaled)."""
    cos = _cosines()
    by_row = [[sum(c * v for c, v in zip(ck, row, strict=True)) for ck in cos] for row in rows]
    return [
        [sum(c * by_row[i][u] for i, c in enumerate(ck)) for u in range(_HASH_FREQS)] for ck in cos
    ]


def perceptual_hash(image: Image.Image, *, orientation: int | None = None) -> int:
    """The 64-bit DCT perceptual hash of an opened image (bit 63 is the DC coefficient)."""
    if image.format in _JPEG:
        image.draft("L", (_HASH_SIDE * 4, _HASH_SIDE * 4))  # decode at a fraction of the size
    small = image.convert("L").resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.BOX)
    if orientation in _UPRIGHT:
        small = small.transpose(_UPRIGHT[orientation])
    pixels = small.tobytes()  # one byte per pixel in mode L
    rows = [
        [float(p) for p in pixels[r * _HASH_SIDE : (r + 1) * _HASH_SIDE]] for r in range(_HASH_SIDE)
    ]
    coefficients = [c for row in _low_dct(rows) for c in row]
    median = statistics.median(coefficients)
    bits = 0
    for c in coefficients:
        bits = (bits << 1) | (c > median)
    return bits


def photo_policy(settings: Settings) -> PhotoPolicy:
    """The flag rules' thresholds from the deployment's settings."""
    return PhotoPolicy(
        date_tolerance_days=settings.photo_date_tolerance_days,
        near_duplicate_distance=settings.photo_phash_max_distance,
    )


def assess_photo(
    index: PhotoIndex,
    evidence: PhotoEvidence,
    frame: ProjectFrame,
    policy: PhotoPolicy,
    *,
    before: int | None = None,
) -> tuple[Flag, ...]:
    """The flags of a photo filed in ``frame``'s project: the rules of
    :func:`notary.evidence.photos.photo_flags` over the copies the index finds in other projects
    (``before``: only those earlier in the log than that leaf)."""
    matches = index.matches(
        evidence.sha256,
        evidence.phash,
        exclude_project=frame.code,
        max_distance=policy.near_duplicate_distance,
        before=before,
    )
    return photo_flags(evidence, frame, matches, policy)
