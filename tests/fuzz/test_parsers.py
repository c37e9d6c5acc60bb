"""Hypothesis properties on every parser of outside input. Each one either returns a valid object
or raises its documented error — never another exception type, whatever it is given:

- records: ``parse_record`` → :class:`RecordError`; what parses re-encodes and parses back equal;
- bundles: ``parse_bundle`` → :class:`MalformedProofError`; ``verify_bundle`` reports, never raises;
- receipts and checkpoints: ``model_validate`` → ``ValidationError``; ``verify_receipt`` /
  ``verify_checkpoint`` → :class:`VerificationError` only, for any key bytes;
- CIDs: ``parse_cid`` → :class:`InvalidCidError`; what parses re-encodes to the same text;
- the certificate renderer on odd but valid records (long, RTL, emoji, CJK text, huge numbers).

``FUZZ_EXAMPLES`` (environment) scales the example budgets, e.g. ``FUZZ_EXAMPLES=20`` for a long run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from notary.bundle import make_bundle, parse_bundle, verify_bundle
from notary.chainview import AnchorTx
from notary.cid import CODEC_DAG_PB, CODEC_RAW, encode_cid, parse_cid
from notary.digests import ContentDigest
from notary.errors import InvalidCidError, MalformedProofError, RecordError, VerificationError
from notary.merkle import MerkleTree
from notary.records import Content, Record, parse_record
from notary.signing import Checkpoint, NotaryKey, Receipt, verify_checkpoint, verify_receipt
from notary.trust import TrustedChain, TrustRoot
from tests.fuzz.json_paths import deleted, paths, replaced

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))
KEY = NotaryKey.from_seed(b"\x11" * 32)


def budget(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- strategies -----------------------------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "\ud800",
            "\u202e\u05e9\u05dc\u05d5\u05dd",
            "😀" * 10,
            "村道硬化工程",
            "A" * 300,
            "' OR 1=1--",
            "../../etc/passwd",
            "0" * 64,
            "2026-11-23T00:00:00Z",
        ]
    ),
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(ODD_TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


def _valid_record(i: int = 0) -> dict[str, Any]:
    body = f"file {i}".encode()
    return Record(
        project="XQ-2026-0042",
        stage="implementation",
        kind="site_photo",
        content=Content(
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            media_type="image/jpeg",
            name="north-culvert.jpg",
        ),
        data={"gps": {"lat": 30.27, "lon": 120.15}, "i": i},
        submitter="township",
        received_at="2026-11-23T00:01:03Z",
    ).to_json()


RECORD_FIELDS = list(_valid_record())


def _tree(n: int = 5) -> tuple[MerkleTree, list[bytes], Checkpoint]:
    tree, entries = MerkleTree(), []
    for i in range(n):
        entry = parse_record(_valid_record(i)).canonical()
        entries.append(entry)
        tree.append(entry)
    return tree, entries, KEY.sign_checkpoint(n, tree.root(), "2026-11-23T00:10:00Z")


TREE, ENTRIES, CHECKPOINT = _tree()
FUZZ_CHAIN = TrustedChain(chain_id=1337, contract="0x" + "ab" * 20)
TRUST = TrustRoot.pin(KEY.public_key, chain=FUZZ_CHAIN)


class FuzzedChain:
    """A chain view whose every answer the fuzzer draws: absent, garbage, or plausible."""

    chain_id = 1337
    contract_address = "0x" + "ab" * 20

    def __init__(self, draw: Any) -> None:
        self.draw = draw

    def root_at(self, tree_size: int) -> bytes | None:
        root: bytes | None = self.draw(st.one_of(st.none(), st.binary(min_size=0, max_size=40)))
        return root

    def anchor_tx(self, tx_hash: str) -> AnchorTx | None:
        events = st.lists(st.tuples(st.integers(0, 10), st.binary(max_size=33)), max_size=2)
        tx: AnchorTx | None = self.draw(
            st.one_of(
                st.none(),
                st.builds(
                    AnchorTx,
                    st.just(tx_hash),
                    st.integers(0, 1),
                    st.integers(0, 9),
                    st.sampled_from(["0x" + "ef" * 32, "0x00"]),
                    events.map(tuple),
                ),
            )
        )
        return tx

    def block_hash(self, number: int) -> str | None:
        block: str | None = self.draw(st.sampled_from([None, "0x" + "ef" * 32]))
        return block

    def block_number(self) -> int:
        return int(self.draw(st.integers(0, 20)))


GOOD_BUNDLE = make_bundle(
    entry=ENTRIES[3],
    leaf_index=3,
    checkpoint=CHECKPOINT,
    inclusion_proof=TREE.inclusion_proof(3, 5),
    log_public_key=KEY.public_key,
).to_json() | {
    "anchor": {
        "chain_id": 1337,
        "contract": "0x" + "ab" * 20,
        "tx_hash": "0x" + "cd" * 32,
        "block_number": 7,
        "block_hash": "0x" + "ef" * 32,
    }
}


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` with a few values replaced by odd JSON, deleted, or given a stray field."""
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            doc = replaced(doc, path, draw(JSON))
        elif action == "delete":
            doc = deleted(doc, path)
        else:
            target = json.loads(json.dumps(doc))  # a copy: never touch the shared originals
            node = target
            for step in path:
                node = node[step]
            if isinstance(node, dict):
                node[draw(ODD_TEXT)] = draw(JSON)
                doc = target
    return doc


def _as_input(draw: Callable[[st.SearchStrategy[Any]], Any], doc: Any) -> Any:
    """The document as an object, as JSON text, or as UTF-8 bytes (possibly cut short)."""
    form = draw(st.sampled_from(["object", "text", "bytes", "cut"]))
    if form == "object":
        return doc
    text = json.dumps(doc)
    if form == "text":
        return text
    raw = text.encode()
    return raw if form == "bytes" else raw[: draw(st.integers(0, len(raw)))]


# --- records --------------------------------------------------------------------------------------


@budget(600)
@given(st.data())
def test_records_parse_or_raise_record_error(data: st.DataObject) -> None:
    doc = data.draw(st.one_of(mutated(_valid_record()), JSON, st.binary(max_size=200)))
    value = doc if isinstance(doc, bytes) else _as_input(data.draw, doc)
    try:
        record = parse_record(value)
    except RecordError:
        return
    # What parses is a record whose canonical entry parses back to the same record.
    try:
        entry = record.canonical()
    except RecordError:
        return  # e.g. over the entry size limit
    assert parse_record(entry) == record
    assert parse_record(entry).canonical() == entry


# --- bundles --------------------------------------------------------------------------------------


@budget(600)
@given(st.data())
def test_bundles_parse_or_raise_malformed_proof_and_verify_never_raises(
    data: st.DataObject,
) -> None:
    doc = data.draw(st.one_of(mutated(GOOD_BUNDLE), mutated(GOOD_BUNDLE), JSON))
    value = _as_input(data.draw, doc)
    try:
        bundle = parse_bundle(value)
    except MalformedProofError:
        return
    digest = ContentDigest(
        sha256=data.draw(st.sampled_from(["0" * 64, hashlib.sha256(b"file 3").hexdigest()])),
        sm3=None,
        size=data.draw(st.integers(0, 2**40)),
    )

    report = verify_bundle(
        bundle,
        file_digest=data.draw(st.one_of(st.none(), st.just(digest))),
        trust=data.draw(
            st.sampled_from([None, TRUST, TrustRoot.pin(b"\x01" * 32, chain=FUZZ_CHAIN)])
        ),
        chain=data.draw(st.one_of(st.none(), st.just(FuzzedChain(data.draw)))),
    )
    assert isinstance(report.verified, bool)
    if report.verified:  # only an unchanged record, leaf and proof can verify
        assert bundle.leaf_hash == GOOD_BUNDLE["leaf_hash"]


@budget(200)
@given(st.binary(max_size=2000))
def test_bundle_bytes_parse_or_raise_malformed_proof(raw: bytes) -> None:
    try:
        bundle = parse_bundle(raw)
    except MalformedProofError:
        return
    verify_bundle(bundle)


# --- receipts and checkpoints ------------------------------------------------------------------


RECEIPT = KEY.sign_receipt(3, bytes.fromhex(GOOD_BUNDLE["leaf_hash"]), "2026-11-23T00:01:03Z")


@budget(500)
@given(st.data())
def test_receipts_and_checkpoints_validate_then_verify_or_raise_verification_errors(
    data: st.DataObject,
) -> None:
    cases: list[tuple[type[Receipt | Checkpoint], Callable[..., None], dict[str, Any]]] = [
        (Receipt, verify_receipt, RECEIPT.model_dump()),
        (Checkpoint, verify_checkpoint, CHECKPOINT.model_dump()),
    ]
    model, verify, good = data.draw(st.sampled_from(cases))
    doc = data.draw(st.one_of(mutated(good), JSON))
    try:
        parsed = model.model_validate(doc)
    except ValidationError:
        return
    keys = st.one_of(
        st.just(KEY.public_key),
        st.binary(max_size=40),
        st.binary(min_size=32, max_size=32),
    )
    key = data.draw(keys)
    if data.draw(st.booleans()):
        # Let the key reach the signature check: claim the log id of whatever key is given.
        parsed = parsed.model_copy(update={"log_id": hashlib.sha256(key).hexdigest()})
    try:
        verify(parsed, key)
    except VerificationError:
        return
    assert key == KEY.public_key and parsed.payload() == good_payload(model, good)


def good_payload(model: Any, good: dict[str, Any]) -> bytes:
    return bytes(model.model_validate(good).payload())


@budget(200)
@given(sig=st.binary(min_size=64, max_size=64), key=st.binary(min_size=32, max_size=32))
def test_any_signature_under_any_32_byte_key_is_a_verification_error(
    sig: bytes, key: bytes
) -> None:
    """Keys that are not points on the curve, and any signature bytes at all."""
    forged = RECEIPT.model_copy(
        update={
            "log_id": hashlib.sha256(key).hexdigest(),
            "signature": base64.b64encode(sig).decode(),
        }
    )
    with pytest.raises(VerificationError):
        verify_receipt(forged, key)


# --- CIDs -----------------------------------------------------------------------------------------

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
GOOD_CID = encode_cid(CODEC_RAW, hashlib.sha256(b"x").digest())


@budget(800)
@given(
    st.one_of(
        st.text(max_size=120),
        st.text(alphabet=BASE32, max_size=110).map(lambda s: "b" + s),
        st.builds(
            lambda i, c: GOOD_CID[:i] + c + GOOD_CID[i + 1 :],
            st.integers(0, len(GOOD_CID) - 1),
            st.characters(),
        ),
        st.binary(max_size=60).map(
            lambda raw: "b" + base64.b32encode(raw).decode().lower().rstrip("=")
        ),
    )
)
def test_cids_parse_or_raise_invalid_cid(text: str) -> None:
    try:
        parsed = parse_cid(text)
    except InvalidCidError:
        return
    assert encode_cid(parsed.codec, parsed.digest) == text
    assert parsed.codec in (CODEC_RAW, CODEC_DAG_PB) and len(parsed.digest) == 32


@budget(50)
@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.integers())))
def test_cid_parser_refuses_what_is_not_text(value: Any) -> None:
    with pytest.raises(InvalidCidError):
        parse_cid(value)


# --- the certificate ------------------------------------------------------------------------------

ODD_NAMES = st.one_of(
    st.text(min_size=1, max_size=255),
    st.sampled_from(
        [
            "村道硬化工程验收证书\uff08最终版\uff09" * 12,
            "שלום-עולם-\u202eevil.pdf",
            "😀👍🏽🇨🇳" * 30,
            "<b>bold</b> & <font size=99>",
            "a" * 255,
            "مرحبا بالعالم.jpg",
            "\u200b\ufeff",
        ]
    ),
)


@st.composite
def odd_records(draw: st.DrawFn) -> Record:
    data = draw(
        st.dictionaries(
            st.text(max_size=30),
            st.one_of(
                st.integers(-(2**53) + 1, 2**53 - 1),
                st.floats(-(2**53) + 1, 2**53 - 1, allow_nan=False),
                st.text(max_size=500),
                st.just({"lat": draw(st.floats(-1e9, 1e9)), "lon": "x"}),
            ),
            max_size=5,
        )
    )
    if draw(st.booleans()):
        data["gps"] = {
            "lat": draw(st.floats(-(2**53) + 1, 2**53 - 1, allow_nan=False)),
            "lon": draw(st.one_of(st.floats(-180, 180), st.text(max_size=5), st.none())),
            "accuracy_m": draw(st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.none())),
        }
    body = b"x"
    return Record(
        project=draw(st.sampled_from([None, "XQ-2026-0042", "A" * 64])),
        stage=draw(st.sampled_from([None, "notice", "settlement"])),
        kind=draw(st.sampled_from(["site_photo", "k" + "x" * 47, "unknown_kind"])),
        content=draw(
            st.one_of(
                st.none(),
                st.builds(
                    lambda name, size: Content(
                        sha256=hashlib.sha256(body).hexdigest(), size=size, name=name
                    ),
                    ODD_NAMES,
                    st.integers(0, 2**53 - 1),
                ),
            )
        ),
        data=data,
        submitter=draw(st.sampled_from(["township", "p" * 128])),
        client_time=draw(
            st.sampled_from([None, "2026-11-23T08:01:02+08:00", "0001-01-01T00:00:00+14:00"])
        ),
        received_at=draw(st.sampled_from(["2026-11-23T00:01:03Z", "9999-12-31T23:59:59.999999Z"])),
    )


@budget(40)
@given(record=odd_records(), anchored=st.booleans())
def test_the_certificate_renders_any_valid_record(record: Record, anchored: bool) -> None:
    from api.render.certificate import CertificateError, render_certificate
    from notary.chainview import Anchor

    try:
        pdf = render_certificate(
            record_id="r" * 32,
            record=record,
            leaf_index=2**53 - 1,
            leaf_hash="ab" * 32,
            checkpoint=CHECKPOINT if anchored else None,
            anchor=Anchor.model_validate(GOOD_BUNDLE["anchor"]) if anchored else None,
            verify_url="https://sunlight.example/verify?id=" + "r" * 32,
        )
    except CertificateError:
        pytest.skip("no CJK font installed")
    assert pdf.startswith(b"%PDF-")
