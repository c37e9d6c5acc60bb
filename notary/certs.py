"""X.509 certificates of signing parties (CA 认证): the checks made when a key is registered.

A party may register its key with the certificate a CA issued for it (and the intermediates up to
a root). :func:`check_certificate` accepts it only if, at the registration time the caller passes
in (the core reads no clock):

- the chain verifies, each certificate signed by its issuer, up to one of the configured roots
  (``cryptography``'s RFC 5280 path builder: CA certificates must be CAs with keyCertSign and
  within their path length, every certificate within its validity period);
- the party's certificate is valid then (an expired or not yet valid one is named as such);
- its key usage allows signing: digitalSignature or nonRepudiation (contentCommitment);
- its public key IS the key being registered (same algorithm, same bytes).

Supported keys in certificates: Ed25519 and P-256 (certificates signed with RSA, ECDSA or
Ed25519). SM2 certificates (curve 1.2.156.10197.1.301, signed with SM2-with-SM3) cannot be read
by ``cryptography``: an SM2 key is registered without a certificate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from notary.errors import KeyCertificateError, RecordError
from notary.keys import MAX_CERTIFICATES
from notary.sigalgs import key_of

__all__ = [
    "MAX_CERTIFICATE_BYTES",
    "CertifiedKey",
    "check_certificate",
    "read_certificates",
]

#: A certificate larger than this is refused (real ones are 1-2 KiB).
MAX_CERTIFICATE_BYTES = 16 * 1024
_PEM_END = b"-----END CERTIFICATE-----"


@dataclass(frozen=True, slots=True)
class CertifiedKey:
    """What a checked certificate says about the key, for the registration's evidence."""

    subject: str
    issuer: str
    serial: str
    sha256: str
    not_after: str
    #: DER of the party's certificate, then of the intermediates, as they go into the log.
    chain: tuple[bytes, ...]


def read_certificates(data: bytes, *, limit: int = MAX_CERTIFICATES) -> list[x509.Certificate]:
    """Certificates from PEM text (one or more) or one DER certificate; the first is the
    party's. :class:`KeyCertificateError` when it is not that, or holds more than ``limit``."""
    if len(data) > limit * MAX_CERTIFICATE_BYTES:
        raise KeyCertificateError(f"at most {limit} certificates of {MAX_CERTIFICATE_BYTES} bytes")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as e:
        raise KeyCertificateError(f"not a PEM or DER X.509 certificate: {e}") from e
    if not 1 <= len(certs) <= limit:
        raise KeyCertificateError(f"give 1 to {limit} certificates, the party's first")
    return certs


def check_certificate(
    chain: Sequence[x509.Certificate],
    *,
    roots: Sequence[x509.Certificate],
    at: datetime,
    alg: str,
    public_key: bytes,
) -> CertifiedKey:
    """Check that ``chain[0]`` certifies ``public_key`` of ``alg`` for signing at ``at`` and
    chains (through ``chain[1:]``) to one of ``roots``; :class:`KeyCertificateError` saying why
    not."""
    if not roots:
        raise KeyCertificateError(
            "this server has no CA configured (SUNLIGHT_PARTY_CA_FILE): it cannot check certificates"
        )
    leaf, intermediates = chain[0], list(chain[1:])
    _check_key(leaf, alg, public_key)
    if at < leaf.not_valid_before_utc:
        raise KeyCertificateError(
            f"the certificate is not valid before {leaf.not_valid_before_utc}"
        )
    if at > leaf.not_valid_after_utc:
        raise KeyCertificateError(f"the certificate expired at {leaf.not_valid_after_utc}")
    _signing_usage(None, leaf, _key_usage(leaf))
    builder = PolicyBuilder().store(Store(list(roots))).time(at)
    ee_policy = ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, Criticality.AGNOSTIC, _signing_usage
    )
    verifier = builder.extension_policies(
        ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
    ).build_client_verifier()
    try:
        verified = verifier.verify(leaf, intermediates)
    except VerificationError as e:
        raise KeyCertificateError(f"the certificate does not chain to a configured CA: {e}") from e
    der = leaf.public_bytes(serialization.Encoding.DER)
    return CertifiedKey(
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        serial=f"{leaf.serial_number:x}",
        sha256=hashlib.sha256(der).hexdigest(),
        not_after=leaf.not_valid_after_utc.isoformat(),
        chain=tuple(c.public_bytes(serialization.Encoding.DER) for c in verified.chain[:-1]),
    )


def _check_key(leaf: x509.Certificate, alg: str, public_key: bytes) -> None:
    try:
        cert_alg, cert_key = key_of(leaf.public_key())
    except (UnsupportedAlgorithm, ValueError, RecordError) as e:
        raise KeyCertificateError(
            "the certificate's key is not Ed25519 or P-256 (SM2 certificates are not supported: "
            "register an SM2 key without one)"
        ) from e
    if (cert_alg, cert_key) != (alg, public_key):
        raise KeyCertificateError("the certificate certifies another key than the one registered")


def _key_usage(leaf: x509.Certificate) -> x509.KeyUsage:
    try:
        return leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as e:
        raise KeyCertificateError("the certificate has no key usage: it is not for signing") from e


def _signing_usage(_: Policy | None, __: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not (usage.digital_signature or usage.content_commitment):
        raise KeyCertificateError(
            "the certificate's key usage allows neither digitalSignature nor nonRepudiation"
        )
