"""The verification page's own checks (api/static/*.js), run with Node against the Python reference.

- the RFC 9162 inclusion check passes every happy path of ``tests/vectors/inclusion`` and fails
  every mutation;
- RFC 8785 canonical JSON equals the ``rfc8785`` package's on records and on random JSON values
  (floats from random bit patterns, astral-plane keys, control characters, lone surrogates);
- record leaf hashes equal ``notary.merkle.leaf_hash(canonical_json(record))``;
- the incremental SHA-256 equals hashlib's whatever the chunking.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from notary.merkle import leaf_hash
from notary.records import Content, Record, canonical_json
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[3]
RUNNER = Path(__file__).with_name("verify_js_runner.mjs")
VECTORS = ROOT / "tests" / "vectors" / "inclusion"


def run_js(cases: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    require(node is not None, "Node.js")
    assert node is not None
    result = subprocess.run(
        [node, str(RUNNER)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_inclusion_vectors_happy_paths_verify_and_mutations_fail() -> None:
    files = sorted(VECTORS.glob("*/*.json"))
    assert len(files) > 50
    vectors = [json.loads(f.read_text()) for f in files]
    got = run_js({"inclusion": vectors})["inclusion"]
    wrong = [
        f"{f.parent.name}/{f.name}: want {v['want']}, got {g}"
        for f, v, g in zip(files, vectors, got, strict=True)
        if v["want"] != g
    ]
    assert not wrong, wrong
    assert sum(v["want"] == "ok" for v in vectors) == len(list(VECTORS.iterdir()))


def _random_float(rng: random.Random) -> float:
    while True:
        (x,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(x):
            return float(x)


_ALPHABET = [
    "a",
    "Z",
    "0",
    " ",
    '"',
    "\\",
    "/",
    "\n",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "é",
    "中",
    "文",
    "\u2028",
    "\ue000",
    "\uffff",
    "😀",
    "𠀋",
]


def _random_string(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(0, 8)))


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-(2**53) + 1, 2**53)
    if kind in (2, 3):
        return _random_float(rng) if kind == 2 else rng.uniform(-1e6, 1e6)
    if kind in (4, 5):
        return _random_string(rng)
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    return {_random_string(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))}


SPECIAL_NUMBERS = [
    0.0,
    -0.0,
    1.0,
    -1.5,
    0.1 + 0.2,
    1e21,
    1e20,
    1e-6,
    1e-7,
    5e-324,
    1.7976931348623157e308,
    2.0**53 - 1,
    123456789.125,
    333333333.3333333,
    9007199254740991,
    -9007199254740991,
]


def test_jcs_matches_the_rfc8785_package() -> None:
    rng = random.Random(8785)
    values: list[Any] = [
        SPECIAL_NUMBERS,
        {"\ue000": 1, "😀": 2, "a": 3, "A": 4, "é": 5, "": 6, "\x00": 7},
        {"b": [1, {"z": None, "a": "x"}], "a": {"d": True, "c": False}},
        "\u2028\u2029\x08\x0c</script>",
    ]
    values += [_random_value(rng) for _ in range(400)]
    texts = [json.dumps(v) for v in values]
    got = run_js({"jcs": [json.loads(t) for t in texts]})["jcs"]
    for text, result in zip(texts, got, strict=True):
        want = rfc8785.dumps(json.loads(text)).decode()
        assert result == {"ok": want}, text


def test_jcs_refuses_lone_surrogates_as_the_log_does() -> None:
    value = {"name": "\ud800x"}
    with pytest.raises(rfc8785.CanonicalizationError):
        rfc8785.dumps(value)
    (result,) = run_js({"jcs": [value]})["jcs"]
    assert "surrogate" in result["error"]


def test_record_leaf_hashes_match_the_log() -> None:
    records = [
        Record(submitter="demo", received_at="2026-11-23T00:01:03.123456Z"),
        Record(
            project="XQ-2026-0042",
            stage="implementation",
            kind="site_photo",
            content=Content(
                sha256="ab" * 32,
                sm3="cd" * 32,
                size=48213,
                media_type="image/jpeg",
                cid="bafkreibuik7v2kcjmqwj5vxdrumipn6fwdpvurpmv7dhbu5m3qpw2plk6i",
                name="北侧涵洞 north culvert.jpg",
            ),
            data={
                "gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8},
                "taken_at": "2026-11-23T08:01:02+08:00",
                "note": "雨后 😀 \u2028 x",
                "readings": [1e-7, 0.1, 1e15, -0.0, 2**53 - 1, 4.5e-300],
            },
            submitter="qingshi-town",
            prev="ef" * 32,
            client_time="2026-11-23T08:01:02+08:00",
            received_at="2026-11-23T00:01:03Z",
        ),
    ]
    entries = [r.to_json() for r in records]
    got = run_js({"leaf": [json.loads(json.dumps(e)) for e in entries]})["leaf"]
    assert got == [leaf_hash(canonical_json(e)).hex() for e in entries]


def test_incremental_sha256_matches_hashlib() -> None:
    rng = random.Random(256)
    cases = []
    for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 100_000]:
        data = rng.randbytes(length)
        chunks = [rng.randrange(0, 130) for _ in range(rng.randrange(0, 12))]
        cases.append(({"hex": data.hex(), "chunks": chunks}, hashlib.sha256(data).hexdigest()))
    got = run_js({"sha256": [c for c, _ in cases]})["sha256"]
    assert got == [want for _, want in cases]
