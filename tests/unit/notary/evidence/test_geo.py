"""Site geometry: distances, circles, polygons, and the positions and sites refused."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from notary.errors import InvalidRequestError, RecordError
from notary.evidence.geo import (
    EARTH_RADIUS_M,
    CircleSite,
    GeoPoint,
    PolygonSite,
    contains,
    distance_m,
    distance_outside_m,
    parse_site,
)

ONE_DEGREE_M = math.pi * EARTH_RADIUS_M / 180  # 111 195.08 m on the mean sphere


def pt(lat: float, lon: float) -> GeoPoint:
    return GeoPoint(lat=lat, lon=lon)


def destination(start: GeoPoint, bearing_deg: float, meters: float) -> GeoPoint:
    """The point ``meters`` from ``start`` along ``bearing_deg`` (great circle), for building cases."""
    lat1, lon1, b = math.radians(start.lat), math.radians(start.lon), math.radians(bearing_deg)
    d = meters / EARTH_RADIUS_M
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
    )
    return pt(math.degrees(lat2), (math.degrees(lon2) + 540) % 360 - 180)


def square(lat: float, lon: float, side_deg: float = 0.01) -> PolygonSite:
    return PolygonSite(
        points=(
            pt(lat, lon),
            pt(lat, lon + side_deg),
            pt(lat + side_deg, lon + side_deg),
            pt(lat + side_deg, lon),
        )
    )


# --- positions and sites refused --------------------------------------------------------------


@pytest.mark.parametrize(
    "lat, lon",
    [
        (math.nan, 0.0),
        (0.0, math.inf),
        (-math.inf, 0.0),
        (90.0001, 0.0),
        (-90.5, 0.0),
        (0.0, 180.01),
        (0.0, -181.0),
        ("30.2", 120.1),  # text is not a number
        (True, 120.1),  # nor is a boolean
        (None, 120.1),
    ],
)
def test_a_position_out_of_range_or_not_a_number_is_refused(lat, lon):
    with pytest.raises(ValidationError):
        GeoPoint(lat=lat, lon=lon)


def test_the_poles_are_positions_but_not_sites():
    north = pt(90.0, 0.0)  # a photo may claim the pole (and will be far outside any site)
    with pytest.raises(RecordError, match="poles"):
        parse_site({"shape": "circle", "center": {"lat": 89.0, "lon": 0.0}, "radius_m": 10.0})
    with pytest.raises(RecordError, match="poles"):
        parse_site(
            {
                "shape": "polygon",
                "points": [
                    {"lat": 85.5, "lon": 0.0},
                    {"lat": 85.5, "lon": 1.0},
                    {"lat": 84.9, "lon": 0.5},
                ],
            }
        )
    site = CircleSite(center=pt(85.0, 0.0), radius_m=1000.0)
    assert not contains(site, north)
    assert distance_outside_m(site, north) == pytest.approx(5 * ONE_DEGREE_M - 1000.0, rel=1e-9)


@pytest.mark.parametrize(
    "site, problem",
    [
        ({"shape": "circle", "center": {"lat": 30, "lon": 120}, "radius_m": 0.0}, "greater than"),
        ({"shape": "circle", "center": {"lat": 30, "lon": 120}, "radius_m": -5.0}, "greater than"),
        ({"shape": "circle", "center": {"lat": 30, "lon": 120}, "radius_m": math.inf}, "finite"),
        ({"shape": "circle", "center": {"lat": 30, "lon": 120}, "radius_m": 2e5 + 1}, "less than"),
        ({"shape": "circle", "center": {"lat": 30, "lon": 120}}, "required"),
        ({"shape": "square", "center": {"lat": 30, "lon": 120}, "radius_m": 5.0}, "tag"),
        ({"center": {"lat": 30, "lon": 120}, "radius_m": 5.0}, "discriminator"),
        ({"shape": "polygon", "points": [{"lat": 30, "lon": 120}, {"lat": 30.1, "lon": 120}]}, "3"),
        ({"shape": "polygon", "points": []}, "3"),
        ("a site", "dict"),
    ],
)
def test_a_malformed_site_is_refused_naming_what_is_wrong(site, problem):
    with pytest.raises(RecordError, match=problem) as e:
        parse_site(site)
    assert e.value.field is not None and e.value.field.startswith("site")


def test_a_polygon_whose_points_are_in_a_line_is_refused():
    with pytest.raises(RecordError, match="enclose an area"):
        parse_site(
            {
                "shape": "polygon",
                "points": [{"lat": 30.0, "lon": 120.0 + i * 0.001} for i in range(5)],
            }
        )
    with pytest.raises(ValidationError, match="distinct vertices"):  # three points, one repeated
        PolygonSite(points=(pt(30, 120), pt(30, 120.01), pt(30, 120)))


def test_a_polygon_too_large_or_with_too_many_vertices_is_refused():
    with pytest.raises(ValidationError, match="span at most"):
        PolygonSite(points=(pt(30, 120), pt(30, 122.5), pt(31, 121)))
    ring = tuple(destination(pt(30, 120), 360 * i / 1001, 500.0) for i in range(1001))
    with pytest.raises(ValidationError, match="1000"):
        PolygonSite(points=ring)
    assert len(PolygonSite(points=ring[:1000]).points) == 1000


def test_a_closing_vertex_equal_to_the_first_is_dropped():
    closed = PolygonSite(points=(*square(30, 120).points, pt(30, 120)))
    assert closed.points == square(30, 120).points


def test_a_negative_or_non_finite_tolerance_is_refused():
    site = CircleSite(center=pt(30, 120), radius_m=10.0)
    for tolerance in (-1.0, math.nan, math.inf):
        with pytest.raises(InvalidRequestError):
            contains(site, pt(30, 120), tolerance)


# --- distances ----------------------------------------------------------------------------------


def test_known_distances():
    assert distance_m(pt(0, 0), pt(1, 0)) == pytest.approx(ONE_DEGREE_M, rel=1e-12)
    assert distance_m(pt(0, 0), pt(0, 1)) == pytest.approx(ONE_DEGREE_M, rel=1e-12)
    assert distance_m(pt(0, 0), pt(0, 90)) == pytest.approx(math.pi / 2 * EARTH_RADIUS_M)
    assert distance_m(pt(90, 0), pt(-90, 0)) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert distance_m(pt(0, 0), pt(0, 180)) == pytest.approx(math.pi * EARTH_RADIUS_M)
    # Across the antimeridian, the short way round: 0.2° of longitude on the equator.
    assert distance_m(pt(0, 179.9), pt(0, -179.9)) == pytest.approx(0.2 * ONE_DEGREE_M)
    # At 60° a degree of longitude is half as long (cos 60° = 0.5), to 1e-4 (great circle).
    assert distance_m(pt(60, 10), pt(60, 10.001)) == pytest.approx(0.0005 * ONE_DEGREE_M, rel=1e-4)
    # Paris to London, the usual textbook pair: 343.56 km on the sphere.
    paris, london = pt(48.8566, 2.3522), pt(51.5074, -0.1278)
    assert distance_m(paris, london) == pytest.approx(343_560, abs=100)
    assert distance_m(paris, london) == distance_m(london, paris)
    assert distance_m(paris, paris) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    a=st.builds(GeoPoint, lat=st.floats(-90, 90), lon=st.floats(-180, 180)),
    b=st.builds(GeoPoint, lat=st.floats(-90, 90), lon=st.floats(-180, 180)),
)
def test_haversine_agrees_with_the_spherical_law_of_cosines(a, b):
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    cosine = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(
        math.radians(b.lon - a.lon)
    )
    expected = EARTH_RADIUS_M * math.acos(max(-1.0, min(1.0, cosine)))
    # The law of cosines loses precision for short distances: compare to within 1 m there.
    assert distance_m(a, b) == pytest.approx(expected, rel=1e-9, abs=1.0)


# --- circles ------------------------------------------------------------------------------------


def test_a_circle_contains_what_lies_within_its_radius_plus_the_tolerance():
    site = CircleSite(center=pt(30.27, 120.15), radius_m=100.0)
    assert contains(site, destination(site.center, 45, 99.5))
    assert not contains(site, destination(site.center, 45, 100.5))
    assert distance_outside_m(site, destination(site.center, 200, 150.0)) == pytest.approx(50.0)
    assert contains(site, destination(site.center, 200, 150.0), tolerance_m=50.5)
    assert not contains(site, destination(site.center, 200, 150.0), tolerance_m=49.5)


# --- polygons -----------------------------------------------------------------------------------


def test_a_square_contains_its_inside_and_boundary_and_measures_the_distance_outside():
    site = square(30.0, 120.0)
    assert contains(site, pt(30.005, 120.005))
    assert distance_outside_m(site, pt(30.005, 120.005)) == 0.0
    assert contains(site, pt(30.0, 120.0))  # a vertex
    assert contains(site, pt(30.005, 120.0))  # on an edge (a meridian: a great circle)
    # An edge along a parallel is taken as the great circle between its ends, which bulges
    # poleward by about a centimetre over these 963 m: the parallel lies just outside.
    assert distance_outside_m(site, pt(30.0, 120.005)) < 0.02
    east = pt(30.005, 120.02)  # 0.01° east of the east edge at 30.005°N
    expected = distance_m(east, pt(30.005, 120.01))
    assert distance_outside_m(site, east) == pytest.approx(expected, rel=1e-3)
    assert not contains(site, east, tolerance_m=expected - 2)
    assert contains(site, east, tolerance_m=expected + 2)
    corner = pt(29.99, 119.99)  # south-west of the corner: the nearest point is the vertex
    assert distance_outside_m(site, corner) == pytest.approx(
        distance_m(corner, pt(30.0, 120.0)), rel=1e-6
    )


def test_a_concave_polygon_excludes_its_notch():
    # An L: the square 0.02° on a side minus its north-east quarter.
    l_shape = PolygonSite(
        points=(
            pt(30.00, 120.00),
            pt(30.00, 120.02),
            pt(30.01, 120.02),
            pt(30.01, 120.01),
            pt(30.02, 120.01),
            pt(30.02, 120.00),
        )
    )
    assert contains(l_shape, pt(30.005, 120.015))  # the southern arm
    assert contains(l_shape, pt(30.015, 120.005))  # the western arm
    notch = pt(30.015, 120.015)
    assert not contains(l_shape, notch)
    assert distance_outside_m(l_shape, notch) == pytest.approx(
        distance_m(notch, pt(30.015, 120.01)),
        rel=1e-3,  # the nearer edge: west, 481 m
    )
    # A point level with a vertex (the ray passes through it) is still classified right.
    assert contains(l_shape, pt(30.01, 120.005))
    assert not contains(l_shape, pt(30.01, 120.03))


def test_a_site_across_the_antimeridian_works():
    site = PolygonSite(points=(pt(-17, 179.99), pt(-17, -179.99), pt(-16.99, -179.99)))
    assert contains(site, pt(-16.998, -179.999))
    assert not contains(site, pt(-16.998, 179.98))


@settings(max_examples=50, deadline=None)
@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-180, 180),
    radius=st.floats(20, 50_000),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 2).filter(lambda f: abs(f - 1) > 0.02),
)
def test_a_polygon_of_many_vertices_on_a_circle_agrees_with_the_circle(
    lat, lon, radius, bearing, fraction
):
    """A regular 360-gon inscribed in a circle: same verdict away from the rim (within 2 %)."""
    center = pt(lat, lon)
    polygon = PolygonSite(points=tuple(destination(center, i, radius) for i in range(360)))
    circle = CircleSite(center=center, radius_m=radius)
    point = destination(center, bearing, fraction * radius)
    assert contains(polygon, point) == contains(circle, point) == (fraction < 1)
    assert distance_outside_m(polygon, point) == pytest.approx(
        distance_outside_m(circle, point), abs=0.001 * radius + 0.01
    )
