"""The webhook signature: forgeries first (a changed body, another secret, an old time, a
mangled header), then the genuine one, then the retry schedule, then where a webhook may go."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

import pytest

from notary.webhooks import WebhookSignatureError, backoff_s, refused_address, sign, verify

SECRET = b"3f" * 32
BODY = b'{"delivery":"d1","event":"reminder","reminder":{"project":"XQ-1"}}'
T = 1_767_225_600


def test_a_tampered_body_fails():
    header = sign(SECRET, T, BODY)
    for forged in (BODY.replace(b"XQ-1", b"XQ-2"), BODY + b" ", BODY[:-1], b""):
        with pytest.raises(WebhookSignatureError, match="no signature matches"):
            verify(SECRET, header, forged, now=T)


def test_another_secret_fails():
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify(b"another secret", sign(SECRET, T, BODY), BODY, now=T)


def test_a_moved_timestamp_fails():
    """The time is signed: a replay cannot refresh it."""
    mac = sign(SECRET, T, BODY).split(",v1=")[1]
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify(SECRET, f"t={T + 600},v1={mac}", BODY, now=T + 600)


def test_an_old_delivery_replayed_fails():
    header = sign(SECRET, T, BODY)
    with pytest.raises(WebhookSignatureError, match="300 s off"):
        verify(SECRET, header, BODY, now=T + 301)
    with pytest.raises(WebhookSignatureError, match="off"):
        verify(SECRET, header, BODY, now=T - 301)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1=" + "0" * 64,
        f"t={T}",
        f"t={T},v1=",
        f"t={T},v1=" + "0" * 63,
        f"t={T},v1=" + "G" * 64,
        f"t={T},t={T},v1=" + "0" * 64,
        f"t=-{T},v1=" + "0" * 64,
        f"t={T}.5,v1=" + "0" * 64,
        "t=" + "9" * 40 + ",v1=" + "0" * 64,
        f"t={T},v1=" + "0" * 64 + ",x=1",
        (f"t={T}," + "v1=" + "0" * 64 + ",") * 50,
        "\x00" * 10,
    ],
)
def test_malformed_headers_fail_as_signature_errors(header: str):
    with pytest.raises(WebhookSignatureError):
        verify(SECRET, header, BODY, now=T)


def test_the_genuine_signature_is_hmac_sha256_over_t_dot_body():
    header = sign(SECRET, T, BODY)
    expected = hmac.new(SECRET, f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={expected}"
    assert verify(SECRET, header, BODY, now=T + 299) == T
    # A receiver accepts any of several signatures (a secret being rotated).
    assert verify(SECRET, f"t={T},v1={'0' * 64},v1={expected}", BODY, now=T) == T


def test_backoff_doubles_up_to_the_cap_with_equal_jitter():
    waits = [backoff_s(n, base_s=5, cap_s=900, jitter=0.0) for n in range(1, 12)]
    assert waits[:4] == [2.5, 5.0, 10.0, 20.0]
    assert max(waits) == 450.0
    assert backoff_s(3, base_s=5, cap_s=900, jitter=0.999) < 20
    assert backoff_s(10_000, base_s=5, cap_s=900, jitter=0.5) == 675.0
    for bad in ((0, 0.5), (1, 1.0), (1, -0.1)):
        with pytest.raises(ValueError, match="attempt"):
            backoff_s(bad[0], base_s=5, cap_s=900, jitter=bad[1])


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("100.64.0.1", "shared or special-purpose"),  # carrier-grade NAT
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1 inside"),
        ("::ffff:169.254.169.254", "link-local (IPv4"),
        ("::ffff:10.0.0.1", "private (IPv4"),
        ("2002:7f00:1::", "loopback (IPv4 127.0.0.1 inside"),  # 6to4
        ("::127.0.0.1", "reserved"),  # IPv4-compatible
        ("64:ff9b::7f00:1", "reserved"),  # NAT64
    ],
)
def test_internal_addresses_are_refused_with_the_reason(address: str, why: str) -> None:
    found = refused_address(ipaddress.ip_address(address))
    assert found is not None and found.startswith(why)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) is None
