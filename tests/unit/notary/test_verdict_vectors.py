"""The verdict vectors in tests/vectors/verdicts, and the verdict logic they do not reach.

Each vector is judged by :func:`notary.bundle.verify_bundle` against the trust root it names
(``parse_trust_root``) and, for the chain cases, a recorded chain state replayed through
:class:`tests.support.recorded_chain.RecordedChain`; the level, the first failed check and every
check's outcome must be the vector's.
"""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from notary.bundle import ProofBundle, parse_bundle, verify_bundle
from notary.digests import ContentDigest
from notary.errors import ChainUnavailableError, TrustRootError
from notary.trust import TrustRoot, parse_trust_root
from notary.verdict import Level, VerificationReport
from tests.support.recorded_chain import RecordedChain
from tests.vectors import generate_verdicts as gen

VECTORS = Path(__file__).parents[2] / "vectors"


def _committed() -> dict[str, str]:
    return {
        str(f.relative_to(VECTORS)): f.read_text(encoding="utf-8")
        for d in gen.DIRS
        for f in sorted((VECTORS / d).rglob("*.json"))
    }


def test_the_committed_vectors_are_what_the_generator_writes():
    want, have = gen.vectors(), _committed()
    assert sorted(have) == sorted(want), "run python -m tests.vectors.generate_verdicts"
    for path, text in want.items():
        assert have[path] == text, f"{path} differs: run python -m tests.vectors.generate_verdicts"


def _verdicts() -> list[tuple[str, dict[str, Any]]]:
    files = sorted((VECTORS / "verdicts").glob("*.json"))
    assert files, "no verdict vectors: run python -m tests.vectors.generate_verdicts"
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def _judge(v: dict[str, Any]) -> VerificationReport:
    trust = parse_trust_root(v["trust"]) if v["trust"] is not None else None
    digest = None
    if v["file_sha256"] is not None:
        digest = ContentDigest(sha256=v["file_sha256"], sm3=None, size=v["file_size"])
    chain = RecordedChain.from_json(v["chain"]) if v["chain"] is not None else None
    return verify_bundle(parse_bundle(v["bundle"]), trust=trust, file_digest=digest, chain=chain)


@pytest.mark.parametrize(("name", "v"), _verdicts(), ids=lambda x: x if isinstance(x, str) else "")
def test_verdict_vector(name, v):
    report = _judge(v)
    failed = report.failed()
    assert report.level.value == v["want"]["level"], report.reason
    assert (failed[0].name if failed else None) == v["want"]["failed"]
    assert [[c.name, c.passed] for c in report.checks] == v["want"]["checks"]
    assert report.verified is (v["want"]["level"] in ("anchored", "verified_by_log"))


def test_the_vectors_cover_every_level_and_the_named_attacks():
    vectors = dict(_verdicts())
    assert {v["want"]["level"] for v in vectors.values()} == {level.value for level in Level}
    assert {
        "genuine-pinned-key",
        "forged-from-nothing-no-trust-root",
        "forged-from-nothing-genuine-key-pinned",
        "anchored-in-forgers-contract",
        "anchor-tx-in-reorganised-block",
    } <= set(vectors)
    # Without a trust root a forgery and the genuine bundle get the same verdict: that is the point.
    assert (
        vectors["forged-from-nothing-no-trust-root"]["want"]
        == vectors["genuine-no-trust-root"]["want"]
    )


# --- the verdict logic where vectors do not reach ----------------------------------------------


def _genuine(**trust_args: Any) -> tuple[ProofBundle, TrustRoot]:
    bundle = parse_bundle(gen.GENUINE.bundle(1, anchor=gen.ANCHOR))
    trust = parse_trust_root(gen.trust_doc(**trust_args))
    return bundle, trust


def _checks(report: VerificationReport) -> dict[str, bool | None]:
    return {c.name: c.passed for c in report.checks}


def test_a_chain_view_of_another_chain_id_is_not_used():
    bundle, trust = _genuine(chain=True)
    view = replace(RecordedChain.from_json(gen.genuine_chain()), chain_id=5)
    report = verify_bundle(bundle, trust=trust, chain=view)
    assert report.level is Level.LOG_VERIFIED
    assert _checks(report)["anchor"] is None and "anchor_tx" not in _checks(report)


@pytest.mark.parametrize("method", ["root_at", "anchor_tx", "block_hash", "block_number"])
def test_a_chain_read_error_is_not_checked_never_anchored(method):
    class Failing(RecordedChain):
        pass

    def fail(self, *args):
        raise ChainUnavailableError("the node does not answer")

    setattr(Failing, method, fail)
    view = Failing(**vars(RecordedChain.from_json(gen.genuine_chain())))
    bundle, trust = _genuine(chain=True)
    report = verify_bundle(bundle, trust=trust, chain=view)
    assert report.level is Level.LOG_VERIFIED and report.failed() == []
    assert _checks(report)["anchor"] is None and "anchor_tx" not in _checks(report)
    assert "could not read" in report.reason
    chain_only = parse_trust_root(gen.trust_doc(log=False, chain=True))
    assert verify_bundle(bundle, trust=chain_only, chain=view).level is Level.NOT_AUTHENTICATED


def test_a_trusted_chain_does_not_vouch_for_a_log_the_verifier_did_not_pin():
    # The verifier pins another log and names our chain on its own: our bundle is not from the
    # pinned log, and the chain does not make it so.
    doc = gen.trust_doc(log=False, chain=True)
    other = parse_trust_root(doc).merged(
        parse_trust_root(
            {
                "format": "sunlight-trust/1",
                "logs": [{"public_key": gen._b64(gen.SECOND_LOG.public_key)}],
            }
        )
    )
    bundle, _ = _genuine()
    report = verify_bundle(bundle, trust=other, chain=RecordedChain.from_json(gen.genuine_chain()))
    assert report.level is Level.NOT_VERIFIED
    assert [c.name for c in report.failed()] == ["log"]


def test_a_pinned_logs_own_chain_overrides_the_chains_named_on_their_own():
    doc = gen.trust_doc(chain=True)
    doc["logs"][0]["chain"]["contract"] = gen.FORGER_CONTRACT  # this log anchors elsewhere
    doc["chains"] = [{"chain_id": gen.CHAIN_ID, "contract": gen.CONTRACT}]
    bundle, _ = _genuine()
    report = verify_bundle(
        bundle, trust=parse_trust_root(doc), chain=RecordedChain.from_json(gen.genuine_chain())
    )
    assert [c.name for c in report.failed()] == ["anchor"]
    assert "not the trusted" in report.reason


def test_a_trusted_chain_alone_waits_for_confirmations():
    bundle, trust = _genuine(log=False, chain=True)
    young = RecordedChain.from_json(gen.genuine_chain(head=12))
    report = verify_bundle(bundle, trust=trust, chain=young)
    assert report.level is Level.NOT_AUTHENTICATED and not report.verified
    assert _checks(report)["anchor_tx"] is None


def test_a_bundle_whose_own_key_refuses_its_checkpoint_fails_even_without_trust():
    bundle = gen.GENUINE.bundle(1)
    bundle["checkpoint"]["signature"] = gen.FORGER.sign(gen.GENUINE.checkpoint().payload())
    report = verify_bundle(parse_bundle(bundle))
    assert report.level is Level.NOT_VERIFIED
    assert [c.name for c in report.failed()] == ["checkpoint_signature"]


def test_a_key_proof_must_be_a_registration_in_the_same_tree():
    bundle = gen.GENUINE.bundle(2, key_leaves=[1])  # leaf 1 is a photo, not a key registration
    report = verify_bundle(parse_bundle(bundle), trust=_genuine()[1])
    assert [c.name for c in report.failed()] == ["key_proof@1"]
    assert "not a key registration" in report.reason

    bundle = gen.GENUINE.bundle(2, key_leaves=[0])
    bundle["key_proofs"][0]["inclusion_proof"][0] = "00" * 32
    report = verify_bundle(parse_bundle(bundle), trust=_genuine()[1])
    assert [c.name for c in report.failed()] == ["key_proof@0"]
    assert "not in the tree" in report.reason


def test_signatures_are_not_checked_without_a_record():
    bundle = gen.GENUINE.bundle(2, key_leaves=[0])
    bundle["record"]["stage"] = "demolition"
    report = verify_bundle(parse_bundle(bundle), trust=_genuine()[1])
    assert [c.name for c in report.failed()][:1] == ["record"]
    assert not any(c.name.startswith(("signature:", "key_proof@")) for c in report.checks)


def test_the_recorded_chain_round_trips_and_answers_like_a_node():
    doc = gen.genuine_chain()
    chain = RecordedChain.from_json(doc)
    assert chain.to_json() == doc
    assert chain.block_hash(chain.head + 1) is None and chain.block_hash(-1) is None
    assert chain.root_at(4) is None
    young = RecordedChain.from_json(gen.genuine_chain(head=10))
    assert young.anchor_tx(gen.TX) is None  # mined after the head: not known yet
    assert chain.anchor_tx(gen.TX.upper().replace("0X", "0x")) == chain.anchor_tx(gen.TX)
    zero = RecordedChain.from_json(doc | {"roots": {"7": "00" * 32}})
    assert zero.root_at(7) is None


def test_a_trust_file_whose_log_id_is_not_its_key_is_refused():
    doc = gen.trust_doc()
    doc["logs"][0]["log_id"] = gen.SECOND_LOG.notary.log_id
    with pytest.raises(TrustRootError, match="log_id"):
        parse_trust_root(doc)
