"""notary.cid against CIDs a real Kubo node returned (tests/vectors/cid.json) and against a naive
reference builder that mirrors Kubo's balanced importer."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.cid import (
    CHUNK_SIZE,
    CODEC_DAG_PB,
    CODEC_RAW,
    CidHasher,
    cid_of,
    encode_cid,
    parse_cid,
    raw_leaf_cid,
)
from notary.errors import InvalidCidError
from tests.support.reference_cid import pattern, reference_cid

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "cid.json").read_text())


#: Files of tens of MiB take seconds each: those vectors run with the slow tests.
BIG = 8 * CHUNK_SIZE


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param(v, id=v["name"], marks=[pytest.mark.slow] if v["size"] > BIG else [])
        for v in VECTORS["vectors"]
    ],
)
def test_vectors_from_kubo(vector: dict[str, object]) -> None:
    size = vector["size"]
    assert isinstance(size, int)
    data = pattern(size, int(str(vector.get("seed", 0))))
    assert hashlib.sha256(data).hexdigest() == vector["sha256"]
    chunk = int(str(vector.get("chunk_size", CHUNK_SIZE)))
    hasher = CidHasher(chunk_size=chunk)
    hasher.update(data)
    assert hasher.digest() == vector["cid"]
    if chunk == CHUNK_SIZE:
        assert cid_of(data) == vector["cid"]
        assert cid_of(io.BytesIO(data)) == vector["cid"]


def test_empty_file_is_the_empty_raw_leaf() -> None:
    assert cid_of(b"") == raw_leaf_cid(b"")
    assert cid_of(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@pytest.mark.parametrize("size", [1, CHUNK_SIZE - 1, CHUNK_SIZE])
def test_one_chunk_is_a_raw_leaf(size: int) -> None:
    data = pattern(size)
    assert cid_of(data) == raw_leaf_cid(data)
    assert parse_cid(cid_of(data)).codec == CODEC_RAW


@pytest.mark.parametrize(
    "size",
    [
        CHUNK_SIZE + 1,
        2 * CHUNK_SIZE,
        pytest.param(174 * CHUNK_SIZE, marks=pytest.mark.slow),
        pytest.param(174 * CHUNK_SIZE + 1, marks=pytest.mark.slow),
    ],
)
def test_matches_reference_builder(size: int) -> None:
    data = pattern(size, seed=size)
    assert cid_of(data) == reference_cid(data)
    assert parse_cid(cid_of(data)).codec == CODEC_DAG_PB


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=3000),
    chunk=st.integers(min_value=1, max_value=16),
    max_links=st.integers(min_value=2, max_value=6),
    pieces=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=8),
)
def test_deep_trees_match_reference(
    size: int, chunk: int, max_links: int, pieces: list[int]
) -> None:
    """Small chunks and fan-outs build trees of depth 4-8: the streaming stack must agree with the
    recursive builder at every shape, whatever pieces the data arrives in."""
    data = pattern(size, seed=chunk)
    hasher = CidHasher(chunk_size=chunk, max_links=max_links)
    pos, i = 0, 0
    while pos < size:
        step = pieces[i % len(pieces)]
        hasher.update(data[pos : pos + step])
        pos += step
        i += 1
    assert hasher.digest() == reference_cid(data, chunk=chunk, max_links=max_links)
    assert hasher.digest() == hasher.digest()


@pytest.mark.slow
def test_full_levels_at_exact_powers() -> None:
    """174**2 leaves fill a depth-2 tree exactly; one more leaf needs depth 3 (chunk 1 byte)."""
    for size in (174, 175, 174 * 174, 174 * 174 + 1, 174 * 174 + 174):
        data = pattern(size)
        hasher = CidHasher(chunk_size=1)
        hasher.update(data)
        assert hasher.digest() == reference_cid(data, chunk=1), size


def test_update_after_digest_is_refused() -> None:
    hasher = CidHasher()
    hasher.update(b"abc")
    hasher.digest()
    with pytest.raises(RuntimeError):
        hasher.update(b"d")


def test_stream_without_readinto() -> None:
    class Reader:
        def __init__(self, data: bytes) -> None:
            self._io = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            return self._io.read(min(n, 1000))

    data = pattern(3 * CHUNK_SIZE + 7)
    assert cid_of(Reader(data)) == cid_of(data)  # type: ignore[arg-type]


def test_size_counts_bytes() -> None:
    hasher = CidHasher()
    hasher.update(b"x" * 10)
    hasher.update(memoryview(b"y" * 5))
    assert hasher.size == 15


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "b",
        "Qmabc",  # CIDv0 / base58
        "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",  # base58btc multibase
        "BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU",  # upper case
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",  # truncated
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykua",  # trailing garbage
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk/",  # path character
        "b../../etc/passwd",
        "bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",  # dag-cbor codec
    ],
)
def test_parse_cid_rejects(bad: str) -> None:
    with pytest.raises(InvalidCidError):
        parse_cid(bad)


def test_parse_cid_round_trip() -> None:
    cid = cid_of(pattern(CHUNK_SIZE + 1))
    parsed = parse_cid(cid)
    assert encode_cid(parsed.codec, parsed.digest) == cid
