"""SM2 digital signatures (GB/T 32918.2-2016, GM/T 0003.2-2012) with SM3, in pure Python.

``e = SM3(ZA || M)`` where ``ZA = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` binds the
signature to the signer's identity ``ID`` (default ``1234567812345678``, GM/T 0009) and public
key. A signature is ``r || s``, two 32-byte big-endian integers. A public key is the uncompressed
point ``04 || x || y`` (65 bytes).

Why our own: no maintained Python library was sound (see docs/formats.md, "Signature
algorithms"); ``cryptography`` has SM3 but not SM2. Verification checks everything GB/T 32918.2
section 7 asks: ``r`` and ``s`` in ``[1, n-1]``, ``t = r + s mod n`` not 0, the public key a point
of the curve other than infinity. Signing takes its nonce from RFC 6979 (HMAC-SHA256 over the
private key and ``e``), so it needs no randomness and never repeats a nonce; Python integers are
not constant time, so signing is for a signer's own machine (``sunlight sign``), not for a
service whose timing an attacker can measure.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from notary.errors import SignatureError

__all__ = ["DEFAULT_ID", "SM2P256", "Curve", "decode_point", "public_key", "sign", "verify", "za"]

#: The default user identity of GM/T 0009-2012, used whenever no other is agreed.
DEFAULT_ID = b"1234567812345678"


@dataclass(frozen=True, slots=True)
class Curve:
    """A short Weierstrass curve ``y^2 = x^3 + ax + b`` over GF(p) with a base point of order n."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8


#: The recommended curve of GB/T 32918.5-2017 (OID 1.2.156.10197.1.301).
SM2P256 = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)

_Jacobian = tuple[int, int, int]  # (X, Y, Z) for (X/Z^2, Y/Z^3); Z = 0 is the point at infinity
_INFINITY: _Jacobian = (1, 1, 0)


def _double(c: Curve, pt: _Jacobian) -> _Jacobian:
    x, y, z = pt
    if z == 0 or y == 0:
        return _INFINITY
    p = c.p
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    m = (3 * x * x + c.a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    return x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p


def _add(c: Curve, p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    p = c.p
    (x1, y1, z1), (x2, y2, z2) = p1, p2
    z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
    s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
    if u1 == u2:
        return _double(c, p1) if s1 == s2 else _INFINITY
    h, r = (u2 - u1) % p, (s2 - s1) % p
    hh = h * h % p
    hhh, v = h * hh % p, u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - s1 * hhh) % p, z1 * z2 * h % p


def _mul(c: Curve, k: int, pt: _Jacobian) -> _Jacobian:
    """``k * pt`` by a Montgomery ladder over every bit of n: one addition and one doubling per
    bit, whatever the bits are."""
    r0, r1 = _INFINITY, pt
    for i in reversed(range(c.n.bit_length())):
        if (k >> i) & 1:
            r0, r1 = _add(c, r0, r1), _double(c, r1)
        else:
            r0, r1 = _double(c, r0), _add(c, r0, r1)
    return r0


def _affine(c: Curve, pt: _Jacobian) -> tuple[int, int] | None:
    x, y, z = pt
    if z == 0:
        return None
    zi = pow(z, -1, c.p)
    zi2 = zi * zi % c.p
    return x * zi2 % c.p, y * zi2 * zi % c.p


def decode_point(raw: bytes, curve: Curve = SM2P256) -> tuple[int, int]:
    """``(x, y)`` of an uncompressed point ``04 || x || y``; ValueError unless it is a point of
    the curve (never the point at infinity, which has no such encoding)."""
    size = curve.size
    if len(raw) != 1 + 2 * size or raw[0] != 4:
        raise ValueError(f"an SM2 public key is 04 || x || y, {1 + 2 * size} bytes")
    x, y = int.from_bytes(raw[1 : 1 + size]), int.from_bytes(raw[1 + size :])
    if x >= curve.p or y >= curve.p or (y * y - x**3 - curve.a * x - curve.b) % curve.p:
        raise ValueError("not a point of the SM2 curve")
    return x, y


def public_key(d: int, curve: Curve = SM2P256) -> bytes:
    """The uncompressed public point ``d * G`` of the private key ``d`` (1 <= d <= n - 2)."""
    if not 1 <= d <= curve.n - 2:
        raise ValueError("an SM2 private key is an integer from 1 to n - 2")
    point = _affine(curve, _mul(curve, d, (curve.gx, curve.gy, 1)))
    assert point is not None  # d < n
    return b"\x04" + point[0].to_bytes(curve.size) + point[1].to_bytes(curve.size)


def za(public: bytes, uid: bytes = DEFAULT_ID, curve: Curve = SM2P256) -> bytes:
    """``ZA = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` (GB/T 32918.2 section 5.5)."""
    if len(uid) * 8 >= 1 << 16:
        raise ValueError("the SM2 user identity is shorter than 8192 bytes")
    decode_point(public, curve)
    parts = (curve.a, curve.b, curve.gx, curve.gy)
    fields = b"".join(v.to_bytes(curve.size) for v in parts)
    return _sm3((len(uid) * 8).to_bytes(2) + uid + fields + public[1:])


def _digest(public: bytes, message: bytes, uid: bytes, curve: Curve) -> int:
    return int.from_bytes(_sm3(za(public, uid, curve) + message))


def sign(
    d: int,
    message: bytes,
    *,
    k: int | None = None,
    uid: bytes = DEFAULT_ID,
    curve: Curve = SM2P256,
) -> bytes:
    """``r || s`` over ``message`` (GB/T 32918.2 section 6.1). ``k`` fixes the nonce (for the
    standard's examples only); by default it comes from RFC 6979."""
    n, size = curve.n, curve.size
    e = _digest(public_key(d, curve), message, uid, curve)
    inverse = pow(1 + d, -1, n)
    for nonce in [k] if k is not None else _rfc6979(curve, d, e):
        if not 1 <= nonce < n:
            raise ValueError("an SM2 nonce is an integer from 1 to n - 1")
        point = _affine(curve, _mul(curve, nonce, (curve.gx, curve.gy, 1)))
        assert point is not None  # 0 < nonce < n
        r = (e + point[0]) % n
        s = inverse * (nonce - r * d) % n
        if r != 0 and r + nonce != n and s != 0:
            return r.to_bytes(size) + s.to_bytes(size)
    raise ValueError("this nonce gives no signature: choose another k")


def verify(
    public: bytes,
    message: bytes,
    signature: bytes,
    *,
    uid: bytes = DEFAULT_ID,
    curve: Curve = SM2P256,
) -> None:
    """Return None when ``signature`` (``r || s``) is ``public``'s over ``message`` (GB/T 32918.2
    section 7.1); raise :class:`SignatureError` for anything else, whatever the bytes."""
    n, size = curve.n, curve.size
    try:
        x, y = decode_point(public, curve)
    except ValueError as err:
        raise SignatureError(f"SM2 public key: {err}") from err
    if len(signature) != 2 * size:
        raise SignatureError(f"an SM2 signature is r || s, {2 * size} bytes")
    r, s = int.from_bytes(signature[:size]), int.from_bytes(signature[size:])
    if not (1 <= r < n and 1 <= s < n) or (r + s) % n == 0:
        raise SignatureError("SM2 signature out of range")
    e = _digest(public, message, uid, curve)
    sum_ = _add(curve, _mul(curve, s, (curve.gx, curve.gy, 1)), _mul(curve, (r + s) % n, (x, y, 1)))
    point = _affine(curve, sum_)
    if point is None or (e + point[0]) % n != r:
        raise SignatureError("SM2 signature does not verify")


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def _rfc6979(curve: Curve, d: int, e: int) -> Iterator[int]:
    """Nonces in [1, n-1] from HMAC_DRBG(SHA-256) seeded with the private key and the digest, as
    RFC 6979 section 3.2 derives them for ECDSA."""
    n = curve.n
    qlen, rlen = n.bit_length(), (n.bit_length() + 7) // 8
    seed = d.to_bytes(rlen) + (e % n).to_bytes(rlen)
    v, key = b"\x01" * 32, b"\x00" * 32
    key = _hmac(key, v + b"\x00" + seed)
    v = _hmac(key, v)
    key = _hmac(key, v + b"\x01" + seed)
    v = _hmac(key, v)
    while True:
        t = b""
        while len(t) < rlen:
            v = _hmac(key, v)
            t += v
        candidate = int.from_bytes(t) >> max(0, len(t) * 8 - qlen)
        if 1 <= candidate < n:
            yield candidate
        key = _hmac(key, v + b"\x00")
        v = _hmac(key, v)
