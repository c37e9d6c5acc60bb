"""The strict JSON reader: depth measured before parsing, duplicate keys, numbers, Unicode."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.errors import InvalidJSONError, RecordError
from notary.jsonin import MAX_DEPTH, loads


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- depth ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"["', 0),
        ("[]", 1),
        ('{"a": 1}', 1),
        ("[[]]", 2),
        ('{"a": [1]}', 2),
        ('[{"a": [], "b": {}}, [[]]]', 3),
    ],
)
def test_the_depth_is_the_most_arrays_and_objects_open_at_once(text: str, depth: int) -> None:
    assert loads(text, max_depth=depth) == json.loads(text)
    if depth:
        with pytest.raises(InvalidJSONError, match=f"nested deeper than {depth - 1} levels"):
            loads(text, max_depth=depth - 1)


def test_the_default_limit_is_64_levels() -> None:
    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(InvalidJSONError, match="document is nested deeper than 64 levels"):
        loads(nested(MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "text",
    [
        '["[[[[{{{{"]',  # brackets inside a string do not count
        '["\\"[[[["]',  # an escaped quote does not end the string
        '["\\\\", "x"]',  # an escaped backslash does not escape the closing quote
        '["\\\\\\"[[[[", "]]"]',  # \\ then \" : still inside the string
        '{"{{{{": "[[[["}',  # nor in keys
    ],
)
def test_brackets_inside_strings_do_not_count(text: str) -> None:
    assert loads(text, max_depth=1) == json.loads(text)


def test_a_quote_after_an_escaped_backslash_ends_the_string() -> None:
    # "\\" is a whole string: the brackets after it are outside strings and count.
    with pytest.raises(InvalidJSONError, match="nested deeper than 2 levels"):
        loads('["\\\\", [[1]]]', max_depth=2)


def test_100000_nested_brackets_are_refused_before_parsing() -> None:
    """The segfault: json.loads recurses once per level, in C, and a dependency (py_ecc) raises the
    recursion limit to 100 000, past what the C stack holds. Refused even at that limit."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    try:
        for text in ("[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 100_000):
            with pytest.raises(InvalidJSONError, match="nested deeper than 64 levels"):
                loads(text.encode())
    finally:
        sys.setrecursionlimit(limit)


def test_an_unterminated_string_ends_the_scan() -> None:
    with pytest.raises(InvalidJSONError, match="not JSON: Unterminated string"):
        loads('["' + "[" * 100_000)
    with pytest.raises(InvalidJSONError, match="not JSON"):
        loads('"' + '\\"' * 100_000)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


TRICKY = st.text(alphabet='[]{}"\\\nax\u00e9', max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=30,
)


@given(JSON_VALUES, st.booleans())
def test_the_depth_of_any_document_is_measured_exactly(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    depth = depth_of(value)
    assert loads(text, max_depth=depth) == value
    assert loads(text.encode(), max_depth=depth) == value
    if depth:
        with pytest.raises(InvalidJSONError, match="nested deeper"):
            loads(text, max_depth=depth - 1)


# --- duplicate keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"x": {"amount": 1, "amount": 1000}}',
        '[1, [{"ok": 1}, {"amount": 1, "b": 2, "amount": 1}]]',
        '{"amount": 1, "\\u0061mount": 2}',  # the same key, one escaped
    ],
)
def test_duplicate_keys_are_refused_at_any_depth(text: str) -> None:
    with pytest.raises(InvalidJSONError, match=r"duplicate key '(a|amount)' in meta"):
        loads(text, what="meta")


def test_keys_that_differ_are_kept() -> None:
    assert loads('{"a": 1, "A": 2, "a ": 3}') == {"a": 1, "A": 2, "a ": 3}


def test_a_long_duplicate_key_is_shortened_in_the_message() -> None:
    key = "k" * 10_000
    with pytest.raises(InvalidJSONError) as caught:
        loads(json.dumps({key: 1}).replace("}", f', "{key}": 2}}'))
    assert len(str(caught.value)) < 100


# --- numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_numbers(name: str) -> None:
    with pytest.raises(InvalidJSONError, match=f"{name} in document is not a JSON number"):
        loads(f"[{name}]")


@pytest.mark.parametrize(
    "number", ["1" * 65, "-" + "1" * 64, "1" * 5000, "1." + "0" * 63, "1e" + "0" * 63]
)
def test_numbers_longer_than_64_characters_are_refused(number: str) -> None:
    with pytest.raises(InvalidJSONError, match="longer than 64 characters"):
        loads(f'{{"amount": {number}}}')


@pytest.mark.parametrize("number", ["1e999", "-1e400", "1" * 40 + "e300"])
def test_numbers_too_large_for_a_double_are_refused(number: str) -> None:
    with pytest.raises(InvalidJSONError, match="too large for a double"):
        loads(f"[{number}]")


def test_numbers_within_the_limits_are_read() -> None:
    big = "9" * 64
    assert loads(f"[{big}, -1.5e300, 0.1, -0, 1E2]") == [int(big), -1.5e300, 0.1, 0, 100.0]


# --- text ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '["\\ud800"]',
        '{"\\udfff": 1}',
        '["ok", {"a": ["x\\ud83d"]}]',  # a high surrogate with no low one after it
        '["\\ude00\\ud83d"]',  # a pair in the wrong order
    ],
)
def test_lone_surrogates_are_refused(text: str) -> None:
    with pytest.raises(InvalidJSONError, match="lone surrogate"):
        loads(text.encode())
    with pytest.raises(InvalidJSONError, match="lone surrogate"):
        loads(text)


def test_a_raw_lone_surrogate_in_text_is_refused() -> None:
    with pytest.raises(InvalidJSONError, match="lone surrogate"):
        loads('["\ud800"]')


def test_a_surrogate_pair_is_one_character() -> None:
    assert loads('["\\ud83d\\ude00"]') == ["\U0001f600"]


def test_bytes_must_be_utf8() -> None:
    with pytest.raises(InvalidJSONError, match="not UTF-8: invalid start byte at byte 2"):
        loads(b'["\xff"]')
    with pytest.raises(InvalidJSONError, match="not UTF-8"):
        loads('["x"]'.encode("utf-16"))


def test_a_byte_order_mark_is_skipped() -> None:
    assert loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "{", "[1,]", "{'a': 1}", "[1] x", "nul"])
def test_what_is_not_json_says_so(text: str) -> None:
    with pytest.raises(InvalidJSONError, match=r"^bundle is not JSON: "):
        loads(text, what="bundle")


def test_every_refusal_is_an_invalid_json_record_error() -> None:
    with pytest.raises(RecordError) as caught:
        loads("[NaN]")
    assert caught.value.code == "invalid_json"
    assert isinstance(caught.value, ValueError)  # callers catching ValueError still do
