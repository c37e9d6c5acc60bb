"""A party's certificate is accepted only when it chains to a configured CA, is valid at the
registration time, allows signing and certifies the very key registered."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding

from notary.certs import check_certificate, read_certificates
from notary.errors import KeyCertificateError
from notary.sigalgs import PartyKey, key_of
from tests.support.party_ca import DAY, KEY_AGREEMENT_ONLY, Authority, intermediate, pem, root

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
ROOT = root("County CA", NOW)
SUB = intermediate(ROOT, "County CA - signing", NOW)
assert ROOT.cert is not None and SUB.cert is not None


def _p256() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key_of(key.public_key())[1]


def _check(chain: bytes, public_key: bytes, *, alg: str = "p256", at: dt.datetime = NOW) -> str:
    assert ROOT.cert is not None
    certified = check_certificate(
        read_certificates(chain), roots=[ROOT.cert], at=at, alg=alg, public_key=public_key
    )
    return certified.subject


def test_a_certificate_through_an_intermediate_is_accepted_and_kept_whole() -> None:
    key, raw = _p256()
    leaf = SUB.issue("Contractor Ltd", key.public_key(), now=NOW)
    assert SUB.cert is not None and ROOT.cert is not None
    certified = check_certificate(
        read_certificates(pem(leaf, SUB.cert)), roots=[ROOT.cert], at=NOW, alg="p256",
        public_key=raw,
    )  # fmt: skip
    assert certified.subject == "CN=Contractor Ltd"
    assert certified.issuer == "CN=County CA - signing"
    assert certified.chain == (leaf.public_bytes(Encoding.DER), SUB.cert.public_bytes(Encoding.DER))
    assert certified.sha256 == hashlib.sha256(leaf.public_bytes(Encoding.DER)).hexdigest()


def test_an_ed25519_key_certified_by_the_root_itself_is_accepted() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    leaf = ROOT.issue("Township official", key.public_key(), now=NOW)
    assert _check(leaf.public_bytes(Encoding.DER), key_of(key.public_key())[1], alg="ed25519")


def test_an_expired_certificate_is_refused() -> None:
    key, raw = _p256()
    leaf = SUB.issue("X", key.public_key(), now=NOW, not_before=NOW - 400 * DAY,
                     not_after=NOW - DAY)  # fmt: skip
    assert SUB.cert is not None
    with pytest.raises(KeyCertificateError, match="expired"):
        _check(pem(leaf, SUB.cert), raw)


def test_a_certificate_not_yet_valid_is_refused() -> None:
    key, raw = _p256()
    leaf = SUB.issue("X", key.public_key(), now=NOW, not_before=NOW + DAY)
    assert SUB.cert is not None
    with pytest.raises(KeyCertificateError, match="not valid before"):
        _check(pem(leaf, SUB.cert), raw)


def test_a_certificate_checked_after_its_intermediate_expired_is_refused() -> None:
    key, raw = _p256()
    short = Authority("Short-lived CA")
    short.cert = ROOT.issue(short.name, short.key.public_key(), now=NOW, ca=True,
                            not_after=NOW + 10 * DAY)  # fmt: skip
    leaf = short.issue("X", key.public_key(), now=NOW)
    with pytest.raises(KeyCertificateError, match="does not chain"):
        _check(pem(leaf, short.cert), raw, at=NOW + 20 * DAY)


def test_a_certificate_from_an_unknown_ca_is_refused() -> None:
    key, raw = _p256()
    stranger = root("Somebody else's CA", NOW)
    leaf = stranger.issue("Contractor Ltd", key.public_key(), now=NOW)
    assert stranger.cert is not None
    with pytest.raises(KeyCertificateError, match="does not chain"):
        _check(pem(leaf, stranger.cert), raw)


def test_a_certificate_without_its_intermediate_is_refused() -> None:
    key, raw = _p256()
    with pytest.raises(KeyCertificateError, match="does not chain"):
        _check(pem(SUB.issue("X", key.public_key(), now=NOW)), raw)


@pytest.mark.parametrize("usage", [KEY_AGREEMENT_ONLY, None], ids=["key-agreement", "none"])
def test_a_certificate_not_for_signing_is_refused(usage: object) -> None:
    key, raw = _p256()
    leaf = SUB.issue("X", key.public_key(), now=NOW, usage=usage)  # type: ignore[arg-type]
    assert SUB.cert is not None
    with pytest.raises(KeyCertificateError, match="key usage"):
        _check(pem(leaf, SUB.cert), raw)


def test_a_certificate_of_another_key_is_refused() -> None:
    key, _ = _p256()
    _, other = _p256()
    leaf = SUB.issue("X", key.public_key(), now=NOW)
    assert SUB.cert is not None
    with pytest.raises(KeyCertificateError, match="another key"):
        _check(pem(leaf, SUB.cert), other)
    with pytest.raises(KeyCertificateError, match="another key"):  # same point, other algorithm
        _check(pem(leaf, SUB.cert), key_of(key.public_key())[1], alg="sm2")


def test_an_sm2_key_has_no_certificate_here() -> None:
    sm2_key = PartyKey.from_secret("sm2", secrets.token_bytes(48))
    p256, _ = _p256()
    leaf = SUB.issue("X", p256.public_key(), now=NOW)
    assert SUB.cert is not None
    with pytest.raises(KeyCertificateError, match="another key"):
        _check(pem(leaf, SUB.cert), sm2_key.public_key, alg="sm2")


def test_no_configured_ca_checks_nothing() -> None:
    key, raw = _p256()
    leaf = ROOT.issue("X", key.public_key(), now=NOW)
    with pytest.raises(KeyCertificateError, match="no CA configured"):
        check_certificate([leaf], roots=[], at=NOW, alg="p256", public_key=raw)


@pytest.mark.parametrize("data", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAA==\n"])
def test_what_is_not_a_certificate_is_refused(data: bytes) -> None:
    with pytest.raises(KeyCertificateError):
        read_certificates(data)


def test_too_many_certificates_are_refused() -> None:
    assert ROOT.cert is not None
    with pytest.raises(KeyCertificateError, match="1 to 4"):
        read_certificates(pem(*[ROOT.cert] * 5))
