"""Signed webhooks: the signature header, its check, and the retry schedule. Pure: the time and
the randomness are passed in.

A delivery's body is signed with the subscription's secret over ``f"{t}.{body}"``, where ``t`` is
the unix time of the attempt in whole seconds, and sent as the header::

    Sunlight-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, b"1767225600." + body)>

A receiver recomputes the HMAC over the raw body it received, compares in constant time, and
refuses a ``t`` further than its tolerance from its own clock (a replayed old delivery). Each
delivery also carries ``Sunlight-Delivery: <id>``, the same on every retry, to deduplicate.

Where a delivery may go: :func:`refused_address` says why an IP address is not a public one
(loopback, private, link-local, ...), so the server neither registers nor posts to it unless the
deployment allows private receivers (server-side request forgery).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable

from notary.errors import InvalidRequestError, VerificationError

__all__ = [
    "SIGNATURE_HEADER",
    "IPAddress",
    "WebhookAddressError",
    "WebhookSignatureError",
    "backoff_s",
    "refused_address",
    "sign",
    "verify",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SIGNATURE_HEADER = "Sunlight-Signature"
#: At most this many signatures in one header (a receiver accepts any that verifies, so a secret
#: can be rotated); a longer header is refused before any HMAC is computed.
_MAX_SIGNATURES = 4
_PART = re.compile(r"(t|v1)=([0-9a-f]{1,64})")


class WebhookSignatureError(VerificationError):
    """A webhook delivery's signature header is missing, malformed, stale or does not verify."""

    code = "invalid_webhook_signature"


def _mac(secret: bytes, t: int, body: bytes) -> str:
    return hmac.new(secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, t: int, body: bytes) -> str:
    """The ``Sunlight-Signature`` value for ``body`` sent at unix time ``t``."""
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(secret: bytes, header: str, body: bytes, *, now: int, tolerance_s: int = 300) -> int:
    """Check a ``Sunlight-Signature`` header against the raw ``body``; return its ``t``.

    Raises :class:`WebhookSignatureError` when the header is malformed, ``t`` is more than
    ``tolerance_s`` seconds from ``now``, or no ``v1`` signature matches."""
    if len(header) > 80 * _MAX_SIGNATURES:
        raise WebhookSignatureError("the signature header is too long")
    t: int | None = None
    sigs: list[str] = []
    for part in header.split(","):
        match = _PART.fullmatch(part.strip())
        if match is None:
            raise WebhookSignatureError("the signature header is malformed")
        if match[1] == "t":
            if t is not None or len(match[2]) > 12 or not match[2].isdigit():
                raise WebhookSignatureError("the signature header's t is malformed")
            t = int(match[2])
        elif len(match[2]) == 64:
            sigs.append(match[2])
    if t is None or not sigs:
        raise WebhookSignatureError("the signature header needs t and a v1 signature")
    if abs(now - t) > tolerance_s:
        raise WebhookSignatureError(f"the signature's time is more than {tolerance_s} s off")
    expected = _mac(secret, t, body)
    if not any(hmac.compare_digest(expected, s) for s in sigs):
        raise WebhookSignatureError("no signature matches the body")
    return t


def backoff_s(attempt: int, *, base_s: float, cap_s: float, jitter: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first): exponential from
    ``base_s``, at most ``cap_s``, scaled by ``jitter`` in [0, 1) to between half and all of it
    ("equal jitter": retries of many deliveries spread out, none waits less than half)."""
    if attempt < 1 or not 0 <= jitter < 1:
        raise ValueError("attempt counts from 1 and jitter is in [0, 1)")
    delay = min(cap_s, base_s * float(2 ** min(attempt - 1, 62)))
    return delay / 2 + delay / 2 * jitter


class WebhookAddressError(InvalidRequestError):
    """A webhook URL's host is, or resolves to, an address that is not a public one."""

    code = "webhook_address_refused"


#: Each kind of address a webhook may not reach, in the order they are named.
_REFUSED: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("unspecified", lambda ip: ip.is_unspecified),
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("private", lambda ip: ip.is_private),
    ("reserved", lambda ip: ip.is_reserved),
    ("shared or special-purpose", lambda ip: not ip.is_global),
)


def refused_address(ip: IPAddress) -> str | None:
    """Why a webhook may not be delivered to ``ip`` (None: it may). An IPv6 address that carries
    an IPv4 one (``::ffff:127.0.0.1``, 6to4 ``2002:7f00:1::``) is judged by the IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            why = refused_address(inner)
            return None if why is None else f"{why} (IPv4 {inner} inside {ip})"
    return next((why for why, test in _REFUSED if test(ip)), None)
