"""The canonical encoding's fast path is byte for byte the ``rfc8785`` reference, or not taken."""

import enum
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.errors import RecordError
from notary.jcs import _REFERENCE, _plain, canonical_json
from notary.records import Record

#: Where JCS and orjson could part: escapes, code points JSON writers treat specially,
#: both sides of the surrogate range, the private-use and astral planes (key order).
ADVERSARIAL = [
    *(chr(i) for i in range(0x20)),
    '"',
    "\\",
    "/",
    "\x7f",
    "\x80",
    "\u2028",
    "\u2029",
    "\ud7ff",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\ue000",
    "\uf8ff",
    "\ufeff",
    "\uff01",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
    "é",
    "中",
]
FLOAT_EDGES = [
    0.0,
    -0.0,
    1e-4,
    math.nextafter(1e-4, 0),
    1e-5,
    1e-6,
    1e-7,
    5e-324,
    300.0,
    -300.0,
    9999999999999998.0,
    0.1,
    -0.5,
    2.0**52 - 0.5,
    2.0**52,
    1e16,
    1e21,
    1e300,
    math.inf,
    -math.inf,
    math.nan,
]
INT_EDGES = [2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 2**64]


class Level(enum.IntEnum):
    LOW = 1


class Colour(enum.StrEnum):
    RED = "red"


class Key(str):
    """Text of a subclass: orjson takes no such key, the reference writes it as its text."""


#: (``st.text`` would generate a lone surrogate hardly ever: a list of characters joined does.)
text = st.lists(st.one_of(st.sampled_from(ADVERSARIAL), st.characters()), max_size=8).map("".join)
#: Short keys from the planes whose order UTF-16 and code points disagree on, so they meet.
keys = st.one_of(
    text,
    st.text(
        alphabet=st.sampled_from(["a", "\ue000", "\uffff", "\U00010000", "\U0001f600"]), max_size=2
    ),
)
#: What the fast path may admit, generated up to and across the edges of what it admits.
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(INT_EDGES),
        st.floats(),
        st.sampled_from(FLOAT_EDGES),
        text,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
#: And what it never admits: tuples, enums, bytes, keys that are not text.
other_values = st.recursive(
    st.one_of(json_values, st.sampled_from([Level.LOW, Colour.RED, b"bytes"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(text, st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)


def _reference(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return None


def _ours(value: Any) -> bytes | None:
    try:
        return canonical_json(value)
    except RecordError:
        return None


@settings(max_examples=1500, deadline=None)
@given(json_values)
def test_every_json_value_encodes_as_the_reference_does_or_fails_as_it_does(value: Any) -> None:
    assert _ours(value) == _reference(value)


@settings(max_examples=300, deadline=None)
@given(other_values)
def test_other_python_values_encode_or_fail_as_the_reference_does(value: Any) -> None:
    assert _ours(value) == _reference(value)


def test_astral_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is D83D DE00 in UTF-16, before FF01; by code point it comes after U+FF01.
    assert canonical_json({"\uff01": 2, "\U0001f600": 1}) == '{"\U0001f600":1,"\uff01":2}'.encode()


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (1.0, b"1"),
        (-0.0, b"0"),
        (1e-7, b"1e-7"),
        (0.00001, b"0.00001"),
        (1e21, b"1e+21"),
        (2.0**52, b"4503599627370496"),
        (Level.LOW, b"1"),
        ({Key("b"): 1, "a": 2}, b'{"a":2,"b":1}'),
        ({"a": "\U0001f600", "\uff01": 1}, '{"a":"\U0001f600","\uff01":1}'.encode()),
        ("\x7f\u2028\x1f\n", '"\x7f\u2028\\u001f\\n"'.encode()),
    ],
)
def test_values_orjson_writes_otherwise_or_refuses_are_written_as_jcs_does(
    value: Any, encoded: bytes
) -> None:
    assert canonical_json(value) == encoded


@pytest.mark.parametrize(
    "value", [{"a": "\ud800"}, {"\udfff": 1}, 2**53, math.nan, {1: "x"}, b"x", [math.inf]]
)
def test_values_json_cannot_carry_exactly_are_refused(value: Any) -> None:
    with pytest.raises(RecordError):
        canonical_json(value)


def test_a_record_as_the_log_holds_it_takes_the_fast_path() -> None:
    record = Record(
        project="XQ-2026-0042",
        stage="implementation",
        kind="site_photo",
        data={"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8.0}, "note": "进度\uff0c报告"},
        submitter="township-01",
        received_at="2026-11-23T00:01:03Z",
        public=False,
    )
    assert _plain(record.to_json(), 0) is not _REFERENCE
    assert record.canonical() == rfc8785.dumps(record.to_json())
