"""The algorithms a signing party may register: Ed25519, ECDSA P-256 with SHA-256, SM2 with SM3.

Every signature is 64 bytes on the wire: Ed25519's own encoding (RFC 8032), and ``r || s`` (two
32-byte big-endian integers, as WebCrypto and IEEE P1363 write them) for P-256 and SM2. A P-256
signature must be *low-S* (``s <= n/2``): ``(r, s)`` and ``(r, n - s)`` both verify, so one is
refused to give each signature exactly one encoding; a signer normalises by replacing ``s`` with
``n - s``, as :class:`PartyKey` does. Public keys: Ed25519 raw 32 bytes; P-256 and SM2 the
uncompressed point ``04 || x || y``, 65 bytes. Signing here needs no randomness: Ed25519 is
deterministic, P-256 uses RFC 6979 nonces, SM2 too (:mod:`notary.sm2`); the caller brings the
entropy of a new key (:meth:`PartyKey.from_secret`).
"""

from __future__ import annotations

import base64
from typing import Literal, get_args

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from notary import sm2
from notary.errors import KeyMaterialError, RecordError, SignatureError

__all__ = [
    "ALGS",
    "SIGNATURE_BYTES",
    "Alg",
    "PartyKey",
    "key_of",
    "parse_public_key",
    "verify_signature",
]

Alg = Literal["ed25519", "p256", "sm2"]
ALGS: tuple[Alg, ...] = get_args(Alg)
SIGNATURE_BYTES = 64
#: The order of the P-256 base point.
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ECDSA = ec.ECDSA(hashes.SHA256())
_DETERMINISTIC_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_UNCOMPRESSED = (serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

# PKCS#8 of an SM2 private key as OpenSSL writes it: id-ecPublicKey with the SM2 curve's OID, an
# ECPrivateKey (RFC 5915) holding the scalar and the public point. ``cryptography`` reads no SM2.
_SM2_PKCS8_HEAD = bytes.fromhex(
    "308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420"
)
_SM2_PKCS8_MID = bytes.fromhex("a144034200")


def parse_public_key(alg: str, raw: bytes) -> bytes:
    """``raw`` if it is a valid public key of ``alg``; :class:`RecordError` naming the problem."""
    try:
        if alg == "ed25519":
            if len(raw) != 32:
                raise ValueError("an ed25519 public key is 32 bytes")
            Ed25519PublicKey.from_public_bytes(raw)
        elif alg == "p256":
            if len(raw) != 65 or raw[0] != 4:
                raise ValueError("a p256 public key is the uncompressed point 04 || x || y")
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        elif alg == "sm2":
            sm2.decode_point(raw)
        else:
            raise ValueError(f"unknown algorithm {alg!r}: one of {', '.join(ALGS)}")
    except ValueError as e:
        raise RecordError(str(e), field="public_key") from e
    return raw


def key_of(public_key: PublicKeyTypes) -> tuple[Alg, bytes]:
    """The algorithm and encoded public key of a key read from a certificate."""
    if isinstance(public_key, Ed25519PublicKey):
        return "ed25519", public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1":
        return "p256", public_key.public_bytes(*_UNCOMPRESSED)
    raise RecordError("the key is not Ed25519 or P-256", field="certificate")


def verify_signature(alg: str, public_key: bytes, signature: bytes, message: bytes) -> None:
    """Return None when ``signature`` is valid for ``message`` under ``public_key`` of ``alg``;
    raise :class:`SignatureError` for anything else, whatever the bytes."""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError(f"a signature is {SIGNATURE_BYTES} bytes")
    try:
        if alg == "ed25519":
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        elif alg == "p256":
            r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
            if not (1 <= r < P256_N and 1 <= s <= P256_N // 2):
                raise SignatureError("a p256 signature has 0 < r < n and 0 < s <= n/2 (low-S)")
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
            key.verify(encode_dss_signature(r, s), message, _ECDSA)
        elif alg == "sm2":
            sm2.verify(public_key, message, signature)
        else:
            raise SignatureError(f"unknown algorithm {alg!r}")
    except (InvalidSignature, ValueError) as e:
        raise SignatureError(f"{alg} signature does not verify") from e


class PartyKey:
    """A signing party's private key, on the party's own machine (``sunlight keygen`` / ``sign``)."""

    def __init__(self, alg: Alg, key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey | int):
        self.alg = alg
        self._key = key

    @classmethod
    def from_secret(cls, alg: str, secret: bytes) -> PartyKey:
        """A new key from at least 48 bytes of fresh randomness the caller drew (Ed25519 takes 32
        of them as its seed; P-256 and SM2 reduce all 384 bits, FIPS 186-5 A.2.1)."""
        if len(secret) < 48:
            raise KeyMaterialError("a new key needs at least 48 bytes of randomness")
        if alg == "ed25519":
            return cls("ed25519", Ed25519PrivateKey.from_private_bytes(secret[:32]))
        if alg == "p256":
            d = int.from_bytes(secret) % (P256_N - 1) + 1
            return cls("p256", ec.derive_private_key(d, ec.SECP256R1()))
        if alg == "sm2":
            return cls("sm2", int.from_bytes(secret) % (sm2.SM2P256.n - 2) + 1)
        raise KeyMaterialError(f"unknown algorithm {alg!r}: one of {', '.join(ALGS)}")

    @classmethod
    def from_pem(cls, pem: bytes) -> PartyKey:
        """Read a PKCS#8 PEM private key of any of the three algorithms (as :meth:`to_pem`
        writes, or OpenSSL's ``genpkey``)."""
        sm2_key = _sm2_from_pem(pem)
        if sm2_key is not None:
            return cls("sm2", sm2_key)
        try:
            der = serialization.load_pem_private_key(pem, None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as e:
            raise KeyMaterialError(f"not an unencrypted PKCS#8 PEM private key: {e}") from e
        if isinstance(der, Ed25519PrivateKey):
            return cls("ed25519", der)
        if isinstance(der, ec.EllipticCurvePrivateKey) and der.curve.name == "secp256r1":
            return cls("p256", der)
        raise KeyMaterialError("the key is not Ed25519, P-256 or SM2")

    def to_pem(self) -> bytes:
        if isinstance(self._key, int):
            d = self._key.to_bytes(32)
            der = _SM2_PKCS8_HEAD + d + _SM2_PKCS8_MID + sm2.public_key(self._key)
            body = base64.encodebytes(der).decode().replace("\n", "")
            lines = [body[i : i + 64] for i in range(0, len(body), 64)]
            return ("-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n"
                    "-----END PRIVATE KEY-----\n").encode()  # fmt: skip
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_key(self) -> bytes:
        if isinstance(self._key, int):
            return sm2.public_key(self._key)
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        return self._key.public_key().public_bytes(*_UNCOMPRESSED)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte signature of ``message`` (low-S for P-256)."""
        if isinstance(self._key, int):
            return sm2.sign(self._key, message)
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.sign(message)
        r, s = decode_dss_signature(self._key.sign(message, _DETERMINISTIC_ECDSA))
        return r.to_bytes(32) + min(s, P256_N - s).to_bytes(32)

    def __repr__(self) -> str:  # never print key material
        return f"PartyKey(alg={self.alg!r})"


def _sm2_from_pem(pem: bytes) -> int | None:
    """The scalar of an SM2 PKCS#8 PEM key in OpenSSL's layout, checked against its public point;
    None for anything else."""
    text = pem.decode("ascii", "replace").strip().splitlines()
    if len(text) < 3 or text[0] != "-----BEGIN PRIVATE KEY-----":
        return None
    try:
        der = base64.b64decode("".join(text[1:-1]), validate=True)
    except ValueError:
        return None
    head, mid = len(_SM2_PKCS8_HEAD), len(_SM2_PKCS8_HEAD) + 32
    if len(der) != mid + len(_SM2_PKCS8_MID) + 65 or not der.startswith(_SM2_PKCS8_HEAD):
        return None
    d = int.from_bytes(der[head:mid])
    try:
        public = sm2.public_key(d)
    except ValueError:
        return None
    return d if der[mid:] == _SM2_PKCS8_MID + public else None
