"""Pictures for the site photo tests: scenes with structure, encoded with the EXIF a test asks for,
and hostile files."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

from PIL import ExifTags, Image, ImageDraw

GPS = ExifTags.GPS


def scene(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A picture with structure: a background, 5 to 14 shapes, a little noise."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    w, h = size
    for _ in range(rnd.randrange(5, 15)):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        box = [x0, y0, x0 + rnd.randrange(20, w // 2), y0 + rnd.randrange(20, h // 2)]
        color = tuple(rnd.randrange(256) for _ in range(3))
        shape = rnd.choice(("rectangle", "ellipse", "line"))
        if shape == "line":
            draw.line(box, fill=color, width=rnd.randrange(3, 30))
        else:
            getattr(draw, shape)(box, fill=color)
    return Image.blend(img, Image.effect_noise(size, 20).convert("RGB"), 0.1)


def encode(img: Image.Image, fmt: str = "JPEG", **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def exif_with(
    gps: dict[Any, Any] | None = None, exif_ifd: dict[Any, Any] | None = None, **base: Any
) -> Image.Exif:
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(gps or {})
    exif.get_ifd(ExifTags.IFD.Exif).update(exif_ifd or {})
    for tag, value in base.items():
        exif[getattr(ExifTags.Base, tag)] = value
    return exif


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header claiming width x height pixels, with one tiny compressed row."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


#: An EXIF block of garbage after a valid TIFF header: Pillow reads it as no EXIF (and warns).
GARBAGE_EXIF = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + b"\xff\xfe" * 40
