"""Attacks on party signatures across algorithms and on certified keys: a CA forged under the real
CA's name, a key registered under another algorithm, a malleated P-256 signature, a signature
relabelled with another algorithm. Each is refused by the core every verifier uses."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from notary.certs import check_certificate, read_certificates
from notary.errors import KeyCertificateError, RecordError, SignatureError
from notary.keys import KEY_REGISTRATION, registered_key, registration_data
from notary.records import Record, RecordSignature, signing_payload, verify_record_signature
from notary.sigalgs import P256_N, PartyKey, key_of, verify_signature
from tests.support.party_ca import Authority, pem, root

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
RECORD = Record(
    kind="acceptance_certificate", submitter="township", received_at="2026-11-23T00:00:00Z"
)


def test_a_ca_forged_under_the_real_ca_name_is_refused() -> None:
    real = root("County CA", NOW)
    forger = root("County CA", NOW)  # same name, same extensions, the forger's own key
    key = ec.generate_private_key(ec.SECP256R1())
    forged = forger.issue("Contractor Ltd", key.public_key(), now=NOW)
    assert real.cert is not None and forger.cert is not None
    with pytest.raises(KeyCertificateError, match="does not chain"):
        check_certificate(
            read_certificates(pem(forged, forger.cert)), roots=[real.cert], at=NOW,
            alg="p256", public_key=key_of(key.public_key())[1],
        )  # fmt: skip


def test_a_leaf_posing_as_an_intermediate_cannot_issue() -> None:
    real = root("County CA", NOW)
    party_key = ec.generate_private_key(ec.SECP256R1())
    party = Authority("Contractor Ltd", key=party_key)
    party.cert = real.issue("Contractor Ltd", party_key.public_key(), now=NOW)  # not a CA
    victim = ec.generate_private_key(ec.SECP256R1())
    issued = party.issue("Township official", victim.public_key(), now=NOW)
    assert real.cert is not None
    with pytest.raises(KeyCertificateError, match="does not chain"):
        check_certificate(
            read_certificates(pem(issued, party.cert)), roots=[real.cert], at=NOW,
            alg="p256", public_key=key_of(victim.public_key())[1],
        )  # fmt: skip


def test_a_p256_key_registered_as_sm2_registers_nothing() -> None:
    p256 = PartyKey.from_secret("p256", secrets.token_bytes(48))
    data = registration_data("contractor", "k1", p256.public_key, alg="sm2")
    record = Record(
        kind=KEY_REGISTRATION, data=data, submitter="admin", received_at="2026-11-23T00:00:00Z"
    )
    assert registered_key(record) is None
    assert registered_key(record.model_copy(update={"data": data | {"alg": "p256"}})) is not None


def test_a_malleated_high_s_p256_signature_is_refused() -> None:
    key = PartyKey.from_secret("p256", secrets.token_bytes(48))
    payload = signing_payload(RECORD, "contractor")
    sig = key.sign(payload)
    mirrored = sig[:32] + (P256_N - int.from_bytes(sig[32:])).to_bytes(32)
    verify_signature("p256", key.public_key, sig, payload)
    with pytest.raises(SignatureError):
        verify_signature("p256", key.public_key, mirrored, payload)


@pytest.mark.parametrize(
    ("signed", "key_alg"), [("p256", "sm2"), ("sm2", "p256"), ("ed25519", "p256")]
)
def test_signed_with_one_algorithm_verified_as_another(signed: str, key_alg: str) -> None:
    signer = PartyKey.from_secret(signed, secrets.token_bytes(48))
    sig = RecordSignature(
        party="contractor", alg=signer.alg, key_id="k1",
        sig=base64.b64encode(signer.sign(signing_payload(RECORD, "contractor"))).decode(),
    )  # fmt: skip
    with pytest.raises(SignatureError, match=f"says {signed}, but the key is {key_alg}"):
        verify_record_signature(RECORD, sig, signer.public_key, key_alg)  # type: ignore[arg-type]
    relabelled = sig.model_copy(update={"alg": key_alg})
    with pytest.raises((SignatureError, RecordError)):
        verify_record_signature(RECORD, relabelled, signer.public_key, key_alg)  # type: ignore[arg-type]
