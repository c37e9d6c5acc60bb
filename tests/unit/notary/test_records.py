"""Record validation, canonical encoding, content digests and party signatures."""

import base64
import hashlib
import io
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.digests import digest_stream
from notary.errors import RecordError, SignatureError
from notary.jcs import canonical_json
from notary.records import (
    MAX_DATA_BYTES,
    MAX_DATA_DEPTH,
    Record,
    RecordSignature,
    _check_json_value,
    _plain_json_bound,
    parse_record,
    signing_payload,
    verify_record_signature,
)
from tests.unit.notary.test_jcs import json_values, other_values

BASE = {"submitter": "township-01", "received_at": "2026-11-23T00:01:03Z"}
PHOTO: dict[str, Any] = {
    **BASE,
    "project": "XQ-2026-0042",
    "stage": "implementation",
    "kind": "site_photo",
    "content": {
        "sha256": "ab" * 32,
        "size": 48213,
        "media_type": "image/jpeg",
        "name": "north-culvert.jpg",
    },
    "data": {"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8}},
    "client_time": "2026-11-23T08:01:02+08:00",
}


def test_a_full_record_round_trips_through_its_canonical_form():
    record = parse_record(PHOTO)
    entry = record.canonical()
    assert parse_record(entry) == record
    assert entry == json.dumps(json.loads(entry), sort_keys=True, separators=(",", ":")).encode()
    assert b'"v":1' in entry and b'"prev":null' in entry


SIGNATURE = {
    "party": "p-1",
    "alg": "sm2",
    "key_id": "k-1",
    "sig": base64.b64encode(bytes(64)).decode(),
}


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans(), st.booleans(), st.booleans())
def test_a_record_encodes_exactly_its_json_object(value, private, signed, org):
    fields = {**PHOTO, "data": {"v": value}}
    fields.update({"public": False} if private else {})
    fields.update({"signatures": [SIGNATURE, {**SIGNATURE, "party": "p-2"}]} if signed else {})
    fields.update({"org": "org-village"} if org else {})
    try:
        record = parse_record(fields)
    except RecordError:
        return  # data a record may not hold
    absent = ({"public"} if not private else set()) | ({"org"} if not org else set())
    copied = record.to_json()
    assert copied == record.model_dump(mode="json", exclude=absent)  # pydantic's JSON form
    copied["data"]["v"] = "changed"  # a copy: the record keeps its data
    assert record.to_json() == record.model_dump(mode="json", exclude=absent)
    assert record.canonical() == canonical_json(record.to_json())


def test_canonical_encoding_is_rfc8785():
    record = parse_record({**BASE, "data": {"b": 1.0, "a": "é", "c": 1e-7, "d": [True, None]}})
    assert b'"data":{"a":"\xc3\xa9","b":1,"c":1e-7,"d":[true,null]}' in record.canonical()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"extra": 1}, "extra"),
        ({"v": 2}, "v"),
        ({"project": "../etc"}, "project"),
        ({"stage": "building"}, "stage"),
        ({"kind": "Site Photo"}, "kind"),
        ({"content": {"sha256": "AB" * 32, "size": 1}}, "content.sha256"),
        ({"content": {"sha256": "ab" * 32, "size": -1}}, "content.size"),
        ({"content": {"sha256": "ab" * 32, "size": "12"}}, "content.size"),
        ({"content": {"sha256": "ab" * 32, "size": 1, "cid": "Qm123"}}, "content.cid"),
        ({"content": {"sha256": "ab" * 32, "size": 1, "color": "red"}}, "content.color"),
        ({"received_at": "2026-11-23 00:01:03"}, "received_at"),
        ({"received_at": "2026-11-23T08:01:03+08:00"}, "received_at"),
        ({"client_time": "yesterday"}, "client_time"),
        ({"prev": "zz" * 32}, "prev"),
        ({"submitter": ""}, "submitter"),
        (
            {"signatures": [{"party": "a", "alg": "rsa", "key_id": "k", "sig": "AA=="}]},
            "signatures.0.alg",
        ),
        (
            {"signatures": [{"party": "a", "alg": "ed25519", "key_id": "k", "sig": "not base64!"}]},
            "signatures.0.sig",
        ),
        (
            {"signatures": [{"party": "a", "alg": "ed25519", "key_id": "k", "sig": "AAAA"}]},
            "signatures.0.sig",
        ),
    ],
)
def test_invalid_fields_are_named(change, field):
    with pytest.raises(RecordError) as e:
        parse_record({**PHOTO, **change})
    assert e.value.field == field


@pytest.mark.parametrize(
    "data",
    [
        {"x": float("nan")},
        {"x": 2**60},
        {"x": 9007199254740992.0},
        {"x": "a" * (MAX_DATA_BYTES + 1)},
        {"x": object()},
    ],
)
def test_data_must_be_bounded_exact_json(data):
    with pytest.raises(RecordError, match="data"):
        parse_record({**BASE, "data": data})


def test_data_nesting_is_bounded():
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(40):
        cursor["d"] = {}
        cursor = cursor["d"]
    with pytest.raises(RecordError, match="nested deeper"):
        parse_record({**BASE, "data": deep})


@pytest.mark.parametrize("text", [b"", b"[]", b"{", b"\xff\xfe", b"1" * 300_000])
def test_garbage_entries_are_record_errors(text):
    with pytest.raises(RecordError):
        parse_record(text)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
        max_leaves=12,
    )
)
def test_any_json_either_parses_or_is_a_record_error(value):
    try:
        record = parse_record({**BASE, "data": {"v": value}})
    except RecordError:
        return
    assert parse_record(record.canonical()) == record


def test_digests_stream_sha256_and_sm3():
    payload = b"abc" * 1_000_000
    d = digest_stream(io.BytesIO(payload), sm3=True)
    assert d.sha256 == hashlib.sha256(payload).hexdigest() and d.size == len(payload)
    assert digest_stream(io.BytesIO(b"abc"), sm3=True).sm3 == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905 example
    )
    assert digest_stream(io.BytesIO(b"abc")).sm3 is None


def _sign(record: Record, party: str, key: Ed25519PrivateKey) -> RecordSignature:
    sig = base64.b64encode(key.sign(signing_payload(record, party))).decode()
    return RecordSignature(party=party, alg="ed25519", key_id=f"{party}-1", sig=sig)


def test_party_signatures_bind_content_and_context():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    record = parse_record(PHOTO)
    signature = _sign(record, "supervisor-7", key)
    verify_record_signature(record, signature, public)
    changes: list[dict[str, Any]] = [
        {"kind": "contract"},
        {"project": "XQ-2026-0043"},
        {"data": {"gps": {}}},
        {"content": {**PHOTO["content"], "sha256": "cd" * 32}},
    ]
    for change in changes:
        with pytest.raises(SignatureError):
            verify_record_signature(parse_record({**PHOTO, **change}), signature, public)
    with pytest.raises(SignatureError):  # the same signature claimed by another party
        verify_record_signature(
            record, signature.model_copy(update={"party": "contractor-3"}), public
        )
    with pytest.raises(SignatureError):
        verify_record_signature(record, signature, b"\x01" * 32)
    with pytest.raises(SignatureError):
        verify_record_signature(record, signature, b"short")


def test_a_public_record_encodes_exactly_as_before_the_public_field_existed():
    """``public`` is written only for private records: public entries keep their bytes and leaf."""
    from notary.merkle import leaf_hash

    entry = parse_record(PHOTO).canonical()
    assert b"public" not in entry
    assert leaf_hash(entry).hex() == (
        "7241c89e4e8180f764df20ec696d6d00719fac9b489a8fae263f2805000b0b29"
    )


def test_a_private_record_says_so_in_its_entry():
    record = parse_record({**PHOTO, "public": False})
    entry = record.canonical()
    assert b',"public":false,' in entry
    assert record.public is False and parse_record(entry) == record
    assert parse_record(entry).canonical() == entry
    assert parse_record(PHOTO).public is True


@pytest.mark.parametrize("value", [True, None, 0, "false", "no"])
def test_public_is_only_ever_written_as_false(value):
    """Any other spelling would be a second encoding of the same record (another leaf hash)."""
    with pytest.raises(RecordError) as e:
        parse_record({**PHOTO, "public": value})
    assert e.value.field == "public"


def test_data_over_the_limit_only_in_its_canonical_numbers_is_refused():
    # 1e-06 is five characters in JSON, eight in JCS (0.000001): the canonical encoding, not
    # the JSON text, is what is bounded.
    floats = (MAX_DATA_BYTES - 10) // 9 + 2
    data = {"v": [1e-06] * floats}
    assert len(json.dumps(data, separators=(",", ":"))) < MAX_DATA_BYTES
    assert len(canonical_json(data)) > MAX_DATA_BYTES
    with pytest.raises(RecordError, match="data"):
        parse_record({**BASE, "data": data})
    parse_record({**BASE, "data": {"v": [1e-06] * (floats - 2)}})  # within it: accepted


def _nested(levels: int) -> dict[str, Any]:
    """Data with ``levels`` objects inside it, the innermost holding a number."""
    data: dict[str, Any] = {"n": 1}
    for _ in range(levels):
        data = {"d": data}
    return data


@pytest.mark.parametrize("levels", [MAX_DATA_DEPTH - 1, MAX_DATA_DEPTH])
def test_nesting_at_the_bound_is_judged_alike_by_the_quick_check_and_the_walk(levels):
    data = _nested(levels)
    accepted = levels < MAX_DATA_DEPTH
    assert (_plain_json_bound(data) is not None) is accepted
    if accepted:
        parse_record({**BASE, "data": data})
    else:
        with pytest.raises(RecordError, match="nested deeper"):
            parse_record({**BASE, "data": data})


@pytest.mark.parametrize(
    "value",
    [
        ("a", "tuple"),
        {1: "int key"},
        "\ud800",
        {"\udfff": 1},
        2**53,
        -(2**53),
        float("inf"),
        float(2**53),
        b"bytes",
    ],
)
def test_what_the_walk_refuses_the_quick_check_never_passes(value):
    data = {"v": [value]}
    assert _plain_json_bound(data) is None
    with pytest.raises(RecordError, match="data"):
        parse_record({**BASE, "data": data})


@settings(max_examples=500, deadline=None)
@given(other_values)
def test_the_quick_check_passes_only_what_the_walk_accepts(value):
    data = {"v": value}
    if _plain_json_bound(data) is not None:
        _check_json_value(data, "data")  # would raise: the quick check let through a bad value


@settings(max_examples=1500, deadline=None)
@given(json_values)
def test_the_quick_check_bounds_the_canonical_encoding(value):
    # The check's bound is all that stands between data and its canonical encoding's limit.
    data = {"v": value}
    bound = _plain_json_bound(data)
    if bound is not None:
        assert len(canonical_json(data)) <= bound


@pytest.mark.parametrize(
    "value",
    [
        "\x1f" * 100,  # every character escaped: six bytes each
        "-0.0000012345678901234567",
        -1.2345678901234567e-100,
        -0.0000012345678901234567,
        -(2**53 - 1),
        -float(2**53 - 1),
        "\U0001f600" * 10,
        {"\x00" * 7: [False, None, 0.1]},
    ],
)
def test_the_bound_holds_at_the_widest_encodings(value):
    data = {"\x01": value}
    bound = _plain_json_bound(data)
    assert bound is not None and len(canonical_json(data)) <= bound
