"""The verification page's own checks (api/static/*.js), run with Node against the Python reference.

- the RFC 9162 inclusion check passes every happy path of ``tests/vectors/inclusion`` and fails
  every mutation;
- RFC 8785 canonical JSON equals the ``rfc8785`` package's on records and on random JSON values
  (floats from random bit patterns, astral-plane keys, control characters, lone surrogates);
- record leaf hashes equal ``notary.merkle.leaf_hash(canonical_json(record))``;
- the incremental SHA-256 equals hashlib's whatever the chunking;
- the strict JSON parser (json.js) accepts and refuses what ``notary.jsonin.loads`` does, refuses
  duplicate keys at any depth, counts depth as the server does and never overflows the stack;
- record.js checks records as ``parse_record`` does, timestamps as Python's ``fromisoformat``;
- the browser's verdict (verdict.js) equals ``verify_bundle``'s on every shared verdict vector that
  needs no chain (tests/vectors/verdicts) and on bundles made here with the library; a key the
  bundle carries never makes a check pass.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import struct
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from notary.merkle import leaf_hash
from notary.records import Content, Record, canonical_json
from tests.support.node import run_node

ROOT = Path(__file__).resolve().parents[3]
RUNNER = Path(__file__).with_name("verify_js_runner.mjs")
VECTORS = ROOT / "tests" / "vectors" / "inclusion"


def run_js(cases: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = run_node(str(RUNNER), stdin=json.dumps(cases))
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


# --- strict JSON (api/static/json.js) against notary.jsonin -----------------------------------------


def _nested(depth: int, open_: str = "[", close: str = "]", inner: str = "") -> str:
    return open_ * depth + inner + close * depth


#: Documents where a lax reader and a strict one part ways, each read by json.js and by
#: ``notary.jsonin.loads``: both must accept it (and read the same value) or both refuse it.
TRICKY_JSON = [
    # brackets and quotes inside strings do not nest, and escaped quotes do not end strings
    '{"a": "\\"[[[[{{{{"}',
    '["\\\\", "]]]]"]',
    '["\\\\\\"[[[[", "]]"]',
    '{"{{{{": "[[[["}',
    '["' + "[" * 200 + '"]',
    # duplicate keys, at the top and deep down, also when spelled differently
    '{"amount": 1, "amount": 1000}',
    '{"a": [{"b": 1, "b": 1}]}',
    '{"a": 1, "\\u0061": 2}',
    '{"é": 1, "\\u00e9": 2}',
    '{"k\\"ey": 1, "k\\"ey": 2}',
    '{"a": {"a": {"a": 1}}, "b": {"a": 1}}',
    '{"__proto__": 1}',
    '{"__proto__": {"x": 1}, "constructor": 2, "toString": 3}',
    '{"__proto__": 1, "__proto__": 2}',
    # unicode escapes and surrogates
    '"\\ud83d\\ude00"',
    '"\\uD83D\\uDE00"',
    '"\\ud83d"',
    '"\\udc00"',
    '"\\ud83d\\u0041"',
    '"x\\ud83d\\ud83d\\ude00"',
    '["\\u00e9", "é", "中文", "😀"]',
    '"\\u0000\\u001f\\/\\b\\f\\n\\r\\t"',
    '"\\u004"',
    '"\\U0041"',
    '"\\x41"',
    '"\\a"',
    '"a\tb"',
    '"a\nb"',
    '"\x7f\u2028\u2029"',
    '"unterminated',
    '"\\',
    # numbers
    "0",
    "-0",
    "-0.0",
    "0.1",
    "1E+2",
    "1e-400",
    "1.7976931348623157e308",
    "1e400",
    "-1e400",
    "1.7976931348623159e308",
    "123456789012345678901234567890",
    "1" * 64,
    "1" * 65,
    "0." + "1" * 62,
    "0." + "1" * 63,
    "01",
    "1.",
    ".5",
    "1e",
    "+1",
    "-",
    "--1",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "[1e400]",
    # literals, whitespace and structure
    "true",
    "tru",
    "nul",
    "null x",
    "[]",
    "{}",
    ' \t\n\r[1, {"a": [true, false, null]}] \r\n',
    "\ufeff[]",
    "[]\u00a0",
    "",
    "   ",
    "[1,]",
    '{"a": 1,}',
    "{,}",
    "[,1]",
    "[1 2]",
    '{"a" 1}',
    '{"a": 1 "b": 2}',
    "{1: 2}",
    "{'a': 1}",
    "[",
    "]",
    "{} x",
    "1 2",
    # depth, counted as the server counts it
    _nested(64),
    _nested(65),
    _nested(64, '{"a": ', "}", "1"),
    _nested(65, '{"a": ', "}", "1"),
    _nested(63, "[", "]", '{"a": 1}'),
    _nested(64, "[", "]", '{"a": 1}'),
    "[" * 65,
    "[" * 64 + "1",
]


def _same_number_kinds(value: Any) -> Any:
    """A value as JavaScript holds it: every number a double."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [_same_number_kinds(v) for v in value]
    return {k: _same_number_kinds(v) for k, v in value.items()}


def _jsonin(text: str, max_depth: int = 64) -> tuple[bool, Any]:
    from notary.errors import InvalidJSONError
    from notary.jsonin import loads

    try:
        return True, loads(text, max_depth=max_depth)
    except InvalidJSONError:
        return False, None


def test_strict_json_accepts_and_refuses_what_the_server_does() -> None:
    got = run_js({"json": [{"text": t} for t in TRICKY_JSON]})["json"]
    wrong = []
    for text, result in zip(TRICKY_JSON, got, strict=True):
        assert "crash" not in result, (text[:60], result)
        accepted, value = _jsonin(text)
        if accepted != ("ok" in result):
            wrong.append(
                f"{text[:60]!r}: server {'accepts' if accepted else 'refuses'}, page {result}"
            )
        elif accepted and _same_number_kinds(value) != _same_number_kinds(result["ok"]):
            wrong.append(f"{text[:60]!r}: server reads {value!r}, page {result['ok']!r}")
    assert not wrong, "\n".join(wrong)


def test_strict_json_refuses_duplicate_keys_at_any_depth() -> None:
    cases = [
        '{"amount": 1, "amount": 1000}',
        '{"record": {"data": {"amount": 1, "amount": 1000}}}',
        '[[[{"a": {"b": [{"c": 1, "d": 2, "c": 3}]}}]]]',
        '{"a": 1, "\\u0061": 2}',
    ]
    got = run_js({"json": [{"text": t} for t in cases]})["json"]
    assert [g["error"] for g in got] == ["duplicate"] * len(cases)
    assert [g["message"] for g in got][:3] == [
        'document: duplicate key "amount"',
        'document: duplicate key "amount"',
        'document: duplicate key "c"',
    ]
    (ok,) = run_js({"json": [{"text": '{"a": {"b": 1}, "b": {"a": 1}}'}]})["json"]
    assert ok == {"ok": {"a": {"b": 1}, "b": {"a": 1}}}  # the same key in different objects is fine


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
def test_strict_json_depth_is_counted_like_the_server(text: str, depth: int) -> None:
    cases = [{"text": text, "max_depth": depth}]
    if depth:
        cases.append({"text": text, "max_depth": depth - 1})
    got = run_js({"json": cases})["json"]
    assert got[0] == {"ok": json.loads(text)}
    assert _jsonin(text, depth)[0]
    if depth:
        assert got[1]["error"] == "depth" and not _jsonin(text, depth - 1)[0]
        assert got[1]["message"] == f"document: nested deeper than {depth - 1} levels"


def test_strict_json_default_limit_is_64_levels() -> None:
    got = run_js({"json": [{"text": _nested(64)}, {"text": _nested(65)}]})["json"]
    assert "ok" in got[0]
    assert got[1] == {"error": "depth", "message": "document: nested deeper than 64 levels"}


def test_deep_nesting_is_refused_without_a_stack_overflow() -> None:
    deep = [
        "[" * 100_000,
        _nested(100_000),
        '{"a": ' * 100_000 + "1" + "}" * 100_000,
        "[" * 100_000 + "1" + "]" * 100_000,
    ]
    unlimited = [{"text": t, "max_depth": 10**9, "value": False} for t in deep]
    got = run_js({"json": [{"text": t} for t in deep] + unlimited})
    for result in got["json"]:
        # With no depth limit at all the parser is still a loop: a syntax error or a value, never
        # a RangeError (the runner reports a thrown non-JsonError as "crash").
        assert "crash" not in result, result
    assert [r["error"] for r in got["json"][:4]] == ["depth"] * 4
    assert "ok" in got["json"][5] and got["json"][4]["error"] == "syntax"


# --- records, timestamps and bundles (api/static/record.js) ---------------------------------------

_RECORD: dict[str, Any] = {
    "v": 1,
    "project": "XQ-2026-0042",
    "stage": "implementation",
    "kind": "site_photo",
    "content": {
        "sha256": "ab" * 32,
        "sm3": None,
        "size": 48213,
        "media_type": "image/jpeg",
        "cid": None,
        "name": "北侧涵洞.jpg",
    },
    "data": {"gps": {"lat": 30.27, "lon": 120.15}, "readings": [1, 2.5]},
    "submitter": "qingshi-town",
    "signatures": [
        {"party": "township", "alg": "ed25519", "key_id": "t1", "sig": "A" * 86 + "=="},
    ],
    "prev": None,
    "client_time": "2026-11-23T08:01:02+08:00",
    "received_at": "2026-11-23T00:01:03.123456Z",
}

_MISSING = object()

#: (path, value) changes to a valid record; _MISSING removes the field.
_RECORD_CHANGES: list[tuple[tuple[Any, ...], Any]] = [
    ((), None),
    (("v",), True),
    (("v",), 2),
    (("v",), "1"),
    (("v",), _MISSING),
    (("project",), None),
    (("project",), "-bad"),
    (("project",), "x" * 65),
    (("stage",), "demolition"),
    (("stage",), _MISSING),
    (("kind",), None),
    (("kind",), "Contract"),
    (("kind",), _MISSING),
    (("content",), None),
    (("content", "sha256"), "AB" * 32),
    (("content", "sha256"), _MISSING),
    (("content", "sm3"), "cd" * 32),
    (("content", "sm3"), "cd"),
    (("content", "size"), -1),
    (("content", "size"), 2**53),
    (("content", "size"), "5"),
    (("content", "size"), True),
    (("content", "media_type"), None),
    (("content", "media_type"), "Image/JPEG"),
    (("content", "media_type"), _MISSING),
    (("content", "cid"), "bafy" + "a" * 50),
    (("content", "cid"), "Qm123"),
    (("content", "name"), ""),
    (("content", "name"), "中" * 255),
    (("content", "name"), "中" * 256),
    (("content", "name"), "😀" * 255),
    (("content", "extra"), 1),
    (("data",), None),
    (("data",), []),
    (("data",), _MISSING),
    (("data", "n"), 2**53 - 1),
    (("data", "n"), 2**53),
    (("data", "n"), -(2**53) + 1),
    (("data", "n"), 1e300),
    (("data", "deep"), json.loads("[" * 16 + "]" * 16)),
    (("data", "deep"), json.loads("[" * 17 + "]" * 17)),
    (("data", "deep"), json.loads('{"a": ' * 16 + "1" + "}" * 16)),
    (("data", "big"), "x" * (64 * 1024 - 20)),
    (("data", "big"), "x" * (64 * 1024)),
    (("submitter",), None),
    (("submitter",), "a b"),
    (("submitter",), "user@example.org"),
    (("submitter",), _MISSING),
    (("signatures",), None),
    (("signatures",), []),
    (("signatures",), [_RECORD["signatures"][0]] * 32),
    (("signatures",), [_RECORD["signatures"][0]] * 33),
    (("signatures", 0, "alg"), "rsa"),
    (("signatures", 0, "sig"), "A" * 86),
    (("signatures", 0, "sig"), "A" * 84 + "=="),
    (("signatures", 0, "sig"), "A" * 86 + "=!"),
    (("signatures", 0, "party"), ".x"),
    (("signatures", 0, "extra"), 1),
    (("prev",), "ef" * 32),
    (("prev",), "ef" * 31),
    (("client_time",), None),
    (("client_time",), "2026-11-23T08:01:02"),
    (("client_time",), "2026-11-23T08:01:02+0800"),
    (("client_time",), "20261123T080102+08"),
    (("client_time",), "2026-W47-1T08:01Z"),
    (("client_time",), "2026-11-23 08:01:02+08:00"),
    (("client_time",), "2026-11-23T08:01:02+08:00" + "0" * 20),
    (("received_at",), "2026-11-23T00:01:03+00:00"),
    (("received_at",), "2026-11-23T00:01:03.Z"),
    (("received_at",), "2026-02-29T00:01:03Z"),
    (("received_at",), "2026-11-23"),
    (("received_at",), 1),
    (("received_at",), _MISSING),
    (("public",), False),
    (("public",), True),
    (("public",), None),
    (("public",), 0),
    (("unknown",), 1),
]


def _changed(path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    record: Any = json.loads(json.dumps(_RECORD))
    *parents, last = path
    node = record
    for p in parents:
        node = node[p]
    if value is _MISSING:
        del node[last]
    else:
        node[last] = value
    return record


def test_record_checks_agree_with_parse_record() -> None:
    from notary.errors import RecordError
    from notary.records import parse_record

    records = [_RECORD] + [_changed(p, v) for p, v in _RECORD_CHANGES]
    got = run_js({"record": records})["record"]
    wrong = []
    for record, problem in zip(records, got, strict=True):
        try:
            parse_record(record)
            server = None
        except RecordError as e:
            server = str(e)
        if (server is None) != (problem is None):
            wrong.append(f"{json.dumps(record)[:200]}: server {server}, page {problem}")
    assert not wrong, "\n".join(wrong)
    assert got[0] is None


def test_timestamps_are_read_as_python_reads_them() -> None:
    """record.js ports CPython 3.11's datetime.fromisoformat (received_at, client_time): the same
    strings parse, with an offset or without, including ISO week dates and the basic format."""
    from datetime import datetime

    seeds = [
        "2026-11-23T00:00:00Z",
        "2026-11-23T00:00:00.123456Z",
        "2026-11-23T08:01:02+08:00",
        "20261123T080102+0800",
        "2026-W47-1T00:00Z",
        "2026W471T00Z",
        "2024-02-29T23:59:59.999999-00:30",
        "2026-11-23T00:00:00,5+23:59:59.9",
        "2026-11-23中00:00Z",
        "2026-11-23T00:00:00Z\x00",
    ]
    rng = random.Random(3339)
    cases = list(seeds)
    for _ in range(4000):
        chars = list(rng.choice(seeds))
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(chars) + 1)
            op = rng.randrange(3)
            if op == 0 and chars:
                chars.pop(min(i, len(chars) - 1))
            elif op == 1:
                chars.insert(i, rng.choice("0123456789-:T.,Z+W "))
            elif chars:
                chars[min(i, len(chars) - 1)] = rng.choice("0123456789-:T.,Z+W ")
        cases.append("".join(chars))
    got = run_js({"isodate": cases})["isodate"]
    wrong = []
    for text, result in zip(cases, got, strict=True):
        try:
            want: dict[str, bool] | None = {
                "aware": datetime.fromisoformat(text).tzinfo is not None
            }
        except ValueError:
            want = None
        if want != result:
            wrong.append(f"{text!r}: python {want}, page {result}")
    assert not wrong, "\n".join(wrong[:20])
    assert sum(r is not None for r in got) > 300  # the mutations do not all fail


# --- the browser's verdict (api/static/verdict.js) ------------------------------------------------

VERDICTS = ROOT / "tests" / "vectors" / "verdicts"


def _judge_cases(vectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "bundle_text": json.dumps(v["bundle"]),
            "trust": v["trust"],
            "file": {"sha256": v["file_sha256"], "size": v.get("file_size")}
            if v["file_sha256"] is not None
            else None,
        }
        for v in vectors
    ]


def _first_failed(result: dict[str, Any]) -> str | None:
    return result["failed"][0] if result["failed"] else None


def test_verdict_vectors_without_a_chain() -> None:
    """Every shared verdict vector that needs no chain gets the same level, first failure and
    check outcomes in the browser as in notary.bundle.verify_bundle."""
    files = sorted(VERDICTS.glob("*.json"))
    assert len(files) >= 10, "tests/vectors/verdicts: python -m tests.vectors.generate_verdicts"
    vectors = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    offline = [(f, v) for f, v in zip(files, vectors, strict=True) if v["chain"] is None]
    assert len(offline) >= 10
    got = run_js({"judge": _judge_cases([v for _, v in offline])})["judge"]
    wrong = []
    for (f, v), result in zip(offline, got, strict=True):
        want = v["want"]
        have = {
            "level": result["level"],
            "failed": _first_failed(result),
            "checks": [[name, passed] for name, passed, _ in result["checks"]],
        }
        if have != {k: want[k] for k in ("level", "failed", "checks")}:
            wrong.append(f"{f.name}: want {want}, page {have}")
    assert not wrong, "\n".join(wrong)
    assert {v["want"]["level"] for _, v in offline} == {
        "verified_by_log",
        "not_authenticated",
        "not_verified",
    }


def test_verdict_vectors_with_a_chain_agree_but_for_the_chain() -> None:
    """The page does not read the chain: on the chain vectors it agrees on every other check, says
    nothing about anchor_tx, and is never more confident than the server."""
    vectors = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(VERDICTS.glob("*.json"))]
    online = [v for v in vectors if v["chain"] is not None]
    got = run_js({"judge": _judge_cases(online)})["judge"]
    rank = ["anchored", "verified_by_log", "not_authenticated", "not_verified"]
    for v, result in zip(online, got, strict=True):
        want = dict(map(tuple, v["want"]["checks"]))
        have = {name: passed for name, passed, _ in result["checks"]}
        assert "anchor_tx" not in have, v["description"]
        assert {k: p for k, p in have.items() if k != "anchor"} == {
            k: p for k, p in want.items() if k not in ("anchor", "anchor_tx")
        }, v["description"]
        assert have["anchor"] in (None, want["anchor"]), v["description"]
        assert rank.index(result["level"]) >= rank.index(v["want"]["level"]) or (
            v["want"]["level"] == "not_verified" and v["want"]["failed"] in ("anchor", "anchor_tx")
        ), v["description"]


def _library_bundles() -> list[
    tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]
]:
    """(name, bundle, trust, file) made with the Python library: a small log with a party's key
    registration and a record that party signed, and forgeries of it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from notary.bundle import make_bundle
    from notary.keys import registration_data
    from notary.merkle import MerkleTree
    from notary.records import RecordSignature, signing_payload
    from notary.signing import Checkpoint, NotaryKey

    key, forger = NotaryKey.from_seed(b"\x07" * 32), NotaryKey.from_seed(b"\x66" * 32)
    seeds = {key.log_id: b"\x07" * 32, forger.log_id: b"\x66" * 32}
    party = Ed25519PrivateKey.from_private_bytes(b"\x09" * 32)
    party_key = party.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    at = "2026-11-23T00:00:00Z"
    body = b"contract body"
    registration = Record(
        kind="key_registration",
        submitter="admin",
        data=registration_data("acme", "k1", party_key),
        received_at=at,
    )
    draft = Record(
        project="XQ-1",
        stage="review",
        kind="contract",
        submitter="acme",
        content=Content(sha256=hashlib.sha256(body).hexdigest(), size=len(body)),
        data={"amount": 1},
        received_at=at,
    )
    sig = base64.b64encode(party.sign(signing_payload(draft, "acme"))).decode()
    signed = draft.model_copy(
        update={"signatures": (RecordSignature(party="acme", alg="ed25519", key_id="k1", sig=sig),)}
    )
    entries = [Record(submitter="s", data={"i": i}, received_at=at).canonical() for i in range(3)]
    entries += [registration.canonical(), signed.canonical()]

    def bundle_of(
        signer: NotaryKey, leaves: list[bytes], log_id: str | None = None
    ) -> dict[str, Any]:
        tree = MerkleTree()
        for e in leaves:
            tree.append(e)
        cp = signer.sign_checkpoint(len(leaves), tree.root(), "2026-11-23T00:10:00Z")
        if log_id is not None:  # claim another log's id, signed by the signer's key
            fields = {"log_id": log_id, "tree_size": cp.tree_size, "root_hash": cp.root_hash}
            fields["timestamp"] = cp.timestamp
            payload = Checkpoint(**fields, signature=cp.signature).payload()
            signature = Ed25519PrivateKey.from_private_bytes(seeds[signer.log_id]).sign(payload)
            cp = Checkpoint(**fields, signature=base64.b64encode(signature).decode())
        i = len(leaves) - 1
        b = make_bundle(
            entry=leaves[i],
            leaf_index=i,
            checkpoint=cp,
            inclusion_proof=tree.inclusion_proof(i, cp.tree_size),
            log_public_key=signer.public_key,
        ).to_json()
        if len(leaves) > 3:
            proof = [p.hex() for p in tree.inclusion_proof(3, cp.tree_size)]
            b["key_proofs"] = [
                {"record": json.loads(leaves[3]), "leaf_index": 3, "inclusion_proof": proof}
            ]
        return b

    def trust_of(k: NotaryKey, chain: bool = False) -> dict[str, Any]:
        log: dict[str, Any] = {"public_key": base64.b64encode(k.public_key).decode()}
        if chain:
            log["chain"] = {"chain_id": 1337, "contract": "0x" + "11" * 20}
        return {"format": "sunlight-trust/1", "logs": [log]}

    def changed(b: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
        """``b`` with the field at ``path`` (dotted; list indices as numbers) set to ``value``."""
        out: dict[str, Any] = json.loads(json.dumps(b))
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = out
        for p in parents:
            node = node[p]
        node[last] = value
        return out

    tx = {"tx_hash": "0x" + "33" * 32, "block_number": 5, "block_hash": "0x" + "44" * 32}
    genuine = bundle_of(key, entries)
    forged = bundle_of(forger, [signed.model_copy(update={"data": {"amount": 1000}}).canonical()])
    file = {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    ours, theirs = trust_of(key, chain=True), trust_of(forger)
    proof = genuine["key_proofs"][0]
    return [
        ("genuine", genuine, ours, file),
        ("genuine-no-trust", genuine, None, None),
        ("genuine-other-file", genuine, ours, {"sha256": "00" * 32, "size": 1}),
        ("genuine-file-size", genuine, ours, {**file, "size": 1}),
        ("no-key-proof", changed(genuine, "key_proofs", None), ours, None),
        ("amount-changed", changed(genuine, "record.data.amount", 1000), ours, None),
        (
            "party-sig-zero",
            changed(genuine, "record.signatures.0.sig", "A" * 86 + "=="),
            ours,
            None,
        ),
        ("key-proof-after", changed(genuine, "key_proofs.0.leaf_index", 5), ours, None),
        (
            "key-proof-not-in-tree",
            changed(genuine, "key_proofs.0.inclusion_proof", proof["inclusion_proof"][::-1]),
            ours,
            None,
        ),
        ("key-proof-of-a-document", changed(genuine, "key_proofs.0.record.kind", "x"), ours, None),
        (
            "anchored-elsewhere",
            changed(genuine, "anchor", {"chain_id": 1, "contract": "0x" + "22" * 20, **tx}),
            ours,
            None,
        ),
        (
            "anchored-on-our-chain",
            changed(genuine, "anchor", {"chain_id": 1337, "contract": "0x" + "11" * 20, **tx}),
            ours,
            None,
        ),
        (
            "checkpoint-time-changed",
            changed(genuine, "checkpoint.timestamp", "2026-11-23T00:10:01Z"),
            ours,
            None,
        ),
        ("record-invalid", changed(genuine, "record.stage", "demolition"), ours, None),
        ("forged-own-key", forged, ours, None),
        ("forged-own-key-no-trust", forged, None, None),
        ("forged-own-key-its-own-trust", forged, theirs, None),
        ("forged-claims-our-log-id", bundle_of(forger, entries, key.log_id), ours, None),
        (
            "forged-carries-our-key",
            changed(forged, "log_public_key", ours["logs"][0]["public_key"]),
            None,
            None,
        ),
        ("bad-carried-key", changed(forged, "log_public_key", "AAAA"), None, None),
    ]


def test_judge_agrees_with_verify_bundle_on_library_bundles() -> None:
    from notary.bundle import parse_bundle, verify_bundle
    from notary.digests import ContentDigest
    from notary.trust import parse_trust_root

    cases = _library_bundles()
    got = run_js(
        {"judge": [{"bundle_text": json.dumps(b), "trust": t, "file": f} for _, b, t, f in cases]}
    )["judge"]
    wrong = []
    for (name, bundle, trust, file), result in zip(cases, got, strict=True):
        report = verify_bundle(
            parse_bundle(bundle),
            trust=parse_trust_root(trust) if trust else None,
            file_digest=ContentDigest(sha256=file["sha256"], sm3=None, size=file["size"])
            if file
            else None,
        )
        want = (report.level.value, [[c.name, c.passed] for c in report.checks])
        have = (result["level"], [[n, p] for n, p, _ in result["checks"]])
        if want != have:
            wrong.append(f"{name}: server {want}\n  page {have}")
    assert not wrong, "\n".join(wrong)
    levels = {name: r["level"] for (name, *_), r in zip(cases, got, strict=True)}
    assert levels["genuine"] == "verified_by_log"
    assert levels["no-key-proof"] == "verified_by_log"


def test_a_key_the_bundle_carries_never_passes_a_check() -> None:
    """The reported forgery: a record never notarized, a one-leaf tree, a checkpoint signed by a
    fresh key the bundle carries in log_public_key. Without a pinned key it is at best not
    authenticated; against the pinned log it is not from this log."""
    cases = {name: (b, t) for name, b, t, _ in _library_bundles()}
    names = ["forged-own-key-no-trust", "forged-own-key", "forged-claims-our-log-id"]
    got = run_js(
        {"judge": [{"bundle_text": json.dumps(cases[n][0]), "trust": cases[n][1]} for n in names]}
    )
    unpinned, foreign, claimed = got["judge"]
    assert unpinned["level"] == "not_authenticated"
    assert ["checkpoint_signature", None, "why.sig_self"] in unpinned["checks"]
    assert foreign["level"] == "not_verified" and foreign["failed"] == ["log"]
    assert ["log", False, "why.log_foreign"] in foreign["checks"]
    assert claimed["level"] == "not_verified"
    assert ["checkpoint_signature", False, "browser.sig_bad"] in claimed["checks"]
