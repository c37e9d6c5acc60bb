"""Site geometry: where a project's works are, and whether a position lies there.

A site is a circle (a centre and a radius) or a polygon (3 to 1000 vertices, edges taken as short
great-circle segments, inside by the even-odd rule, the boundary counting as inside). Positions are
WGS 84 latitude and longitude in degrees; distances are metres on a sphere of the Earth's mean radius
(haversine: within 0.5 % of the ellipsoid, far better than phone GPS).

Sites are bounded so that every computation stays accurate and cheap: a circle's radius and a
polygon's span are at most :data:`MAX_SITE_SPAN_M`, and no site vertex or centre may lie closer to a
pole than :data:`MAX_SITE_LAT`. A polygon is tested in an azimuthal equidistant projection centred
on the position asked about, so distances from that position are exact and no longitude wraps
(a site across the antimeridian works too).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from notary.errors import InvalidRequestError, RecordError
from notary.records import first_problem

__all__ = [
    "EARTH_RADIUS_M",
    "MAX_POLYGON_POINTS",
    "MAX_SITE_LAT",
    "MAX_SITE_SPAN_M",
    "CircleSite",
    "GeoPoint",
    "PolygonSite",
    "Site",
    "contains",
    "distance_m",
    "distance_outside_m",
    "parse_site",
]

#: The IUGG mean radius of the Earth.
EARTH_RADIUS_M = 6_371_008.8
#: A site's radius (circle) or the distance from its first vertex to any other (polygon).
MAX_SITE_SPAN_M = 200_000.0
#: Sites are refused nearer the poles than this latitude, where longitudes stop meaning much.
MAX_SITE_LAT = 85.0
MAX_POLYGON_POINTS = 1000
#: A polygon enclosing less than this (square metres) is degenerate: its points are in a line.
_MIN_POLYGON_AREA_M2 = 1.0

_FROZEN = ConfigDict(frozen=True, extra="forbid")
#: A position this close to a polygon's boundary is on it: the projection's rounding error is
#: far below (micrometres), any position's error far above.
_ROUNDING_M = 0.001
#: Projected vertices, (east, north) in metres.
_Ring = list[tuple[float, float]]
_Lat = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-90.0, le=90.0)]
_Lon = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-180.0, le=180.0)]


class GeoPoint(BaseModel):
    """A WGS 84 position in degrees: ``lat`` in [-90, 90], ``lon`` in [-180, 180], both finite."""

    model_config = _FROZEN

    lat: _Lat
    lon: _Lon


def _check_site_lat(point: GeoPoint) -> None:
    if abs(point.lat) > MAX_SITE_LAT:
        raise ValueError(f"a site must lie within {MAX_SITE_LAT}° of the equator (poles refused)")


class CircleSite(BaseModel):
    """A site given as a centre and a radius in metres (0 < radius_m <= MAX_SITE_SPAN_M)."""

    model_config = _FROZEN

    shape: Literal["circle"] = "circle"
    center: GeoPoint
    radius_m: float = Field(strict=True, allow_inf_nan=False, gt=0.0, le=MAX_SITE_SPAN_M)

    @model_validator(mode="after")
    def _not_polar(self) -> CircleSite:
        _check_site_lat(self.center)
        return self


class PolygonSite(BaseModel):
    """A site given as a polygon's vertices, in order; a closing vertex equal to the first is dropped.

    Requires 3 to 1000 distinct-enough vertices enclosing some area, all within MAX_SITE_SPAN_M of
    the first and within MAX_SITE_LAT of the equator. A self-crossing polygon is read by the
    even-odd rule.
    """

    model_config = _FROZEN

    shape: Literal["polygon"] = "polygon"
    points: tuple[GeoPoint, ...] = Field(min_length=3, max_length=MAX_POLYGON_POINTS + 1)

    @field_validator("points")
    @classmethod
    def _drop_closing_vertex(cls, points: tuple[GeoPoint, ...]) -> tuple[GeoPoint, ...]:
        return points[:-1] if points[-1] == points[0] else points

    @model_validator(mode="after")
    def _well_formed(self) -> PolygonSite:
        points = self.points
        if not 3 <= len(points) <= MAX_POLYGON_POINTS:
            raise ValueError(f"a polygon has 3 to {MAX_POLYGON_POINTS} distinct vertices")
        for p in points:
            _check_site_lat(p)
            if distance_m(points[0], p) > MAX_SITE_SPAN_M:
                raise ValueError(f"a polygon site may span at most {MAX_SITE_SPAN_M:.0f} m")
        if _area_m2(_project(points[0], points)) < _MIN_POLYGON_AREA_M2:
            raise ValueError("a polygon's vertices must enclose an area (not all in one line)")
        return self


#: A site: ``{"shape": "circle", ...}`` or ``{"shape": "polygon", ...}``.
Site = Annotated[CircleSite | PolygonSite, Field(discriminator="shape")]
_SITE_ADAPTER: TypeAdapter[CircleSite | PolygonSite] = TypeAdapter(Site)


def parse_site(value: Any) -> CircleSite | PolygonSite:
    """Validate a site from JSON-like data. Raises RecordError (field ``site``) if it is not one."""
    try:
        return _SITE_ADAPTER.validate_python(value)
    except ValidationError as e:
        where, msg = first_problem(e, "")
        raise RecordError(msg, field=f"site.{where}" if where else "site") from e


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """The great-circle distance between two positions, in metres (haversine)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _project(origin: GeoPoint, points: tuple[GeoPoint, ...]) -> _Ring:
    """Azimuthal equidistant projection about ``origin``: (east, north) metres, distances exact."""
    lat0 = math.radians(origin.lat)
    out = []
    for p in points:
        lat = math.radians(p.lat)
        dlon = math.radians(p.lon - origin.lon)
        bearing = math.atan2(
            math.sin(dlon) * math.cos(lat),
            math.cos(lat0) * math.sin(lat) - math.sin(lat0) * math.cos(lat) * math.cos(dlon),
        )
        d = distance_m(origin, p)
        out.append((d * math.sin(bearing), d * math.cos(bearing)))
    return out


def _edges(ring: _Ring) -> zip[tuple[tuple[float, float], tuple[float, float]]]:
    """The ring's edges as (start, end) pairs, the last closing back to the first vertex."""
    return zip(ring, ring[1:] + ring[:1], strict=True)


def _area_m2(ring: _Ring) -> float:
    """The shoelace area of a projected ring."""
    twice = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in _edges(ring))
    return abs(twice) / 2


def _origin_in_ring(ring: _Ring) -> bool:
    """Even-odd test of the origin: count edges crossing the ray along the positive x axis."""
    inside = False
    for (x1, y1), (x2, y2) in _edges(ring):
        if (y1 > 0) != (y2 > 0) and x1 + (0 - y1) * (x2 - x1) / (y2 - y1) > 0:
            inside = not inside
    return inside


def _origin_to_segment(x1: float, y1: float, x2: float, y2: float) -> float:
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length2))
    return math.hypot(x1 + t * dx, y1 + t * dy)


def distance_outside_m(site: CircleSite | PolygonSite, point: GeoPoint) -> float:
    """How far ``point`` lies outside ``site``, in metres: 0 inside or on the boundary (to 1 mm)."""
    if isinstance(site, CircleSite):
        return max(0.0, distance_m(site.center, point) - site.radius_m)
    ring = _project(point, site.points)
    if _origin_in_ring(ring):
        return 0.0
    outside = min(_origin_to_segment(x1, y1, x2, y2) for (x1, y1), (x2, y2) in _edges(ring))
    return 0.0 if outside < _ROUNDING_M else outside


def contains(site: CircleSite | PolygonSite, point: GeoPoint, tolerance_m: float = 0.0) -> bool:
    """Whether ``point`` lies in ``site`` or within ``tolerance_m`` metres of it.

    ``tolerance_m`` (finite, >= 0) is typically the GPS accuracy the device reported.
    """
    if not (math.isfinite(tolerance_m) and tolerance_m >= 0):
        raise InvalidRequestError(f"tolerance_m must be finite and >= 0, got {tolerance_m!r}")
    return distance_outside_m(site, point) <= tolerance_m
