"""A small certificate authority for tests: a root, an intermediate, and party certificates with
whatever validity, key usage or key a test needs (all made with ``cryptography``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

DAY = dt.timedelta(days=1)
#: Key usage of a signing party: digitalSignature and nonRepudiation (contentCommitment).
SIGNING = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
#: Key usage of a TLS key-exchange certificate: no signing.
KEY_AGREEMENT_ONLY = x509.KeyUsage(False, False, False, False, True, False, False, False, False)
_CA_USAGE = x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Authority:
    """A CA: its name, key and certificate."""

    name: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    cert: x509.Certificate | None = None

    def issue(
        self,
        subject: str,
        public_key: CertificatePublicKeyTypes,
        *,
        now: dt.datetime,
        ca: bool = False,
        usage: x509.KeyUsage | None = SIGNING,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> x509.Certificate:
        issuer_public = self.key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name(self.name))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - 30 * DAY)
            .not_valid_after(not_after or now + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
            )
        )
        if ca:
            builder = builder.add_extension(_CA_USAGE, critical=True)
        elif usage is not None:
            builder = builder.add_extension(usage, critical=True)
        return builder.sign(self.key, hashes.SHA256())


def root(name: str, now: dt.datetime) -> Authority:
    ca = Authority(name)
    ca.cert = ca.issue(name, ca.key.public_key(), now=now, ca=True, not_before=now - 3650 * DAY,
                       not_after=now + 3650 * DAY)  # fmt: skip
    return ca


def intermediate(parent: Authority, name: str, now: dt.datetime) -> Authority:
    ca = Authority(name)
    ca.cert = parent.issue(name, ca.key.public_key(), now=now, ca=True)
    return ca


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)
