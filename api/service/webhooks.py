"""Webhooks on the server: secrets, enqueueing reminders, and the sender that empties the outbox.

Secrets are never stored: a subscription's secret is ``HMAC-SHA256(webhook key, "sunlight-webhook/1:"
+ id)`` in hex, derived again for every attempt and shown to the administrator once, when the
subscription is made. The webhook key comes from ``SUNLIGHT_WEBHOOK_KEY`` or DATA_DIR/webhook_key
(created with mode 0600 on first use).

:class:`WebhookSender` sends due deliveries (:mod:`api.storage.webhooks`), signing each attempt
(:func:`notary.webhooks.sign`); a failed attempt (no answer, or not 2xx) waits
:func:`notary.webhooks.backoff_s` and is retried until ``give_up_s`` after the delivery was
enqueued. Time and jitter are injected, so tests move a fake clock instead of sleeping.

Unless ``SUNLIGHT_WEBHOOK_ALLOW_PRIVATE`` is set, a webhook reaches public addresses only
(:func:`notary.webhooks.refused_address`): a URL naming another address literally is refused when
it is subscribed (:func:`check_webhook_url`), and a delivery resolves the URL's host once, checks
every address it resolves to and connects to a checked one (:func:`delivery_addresses`), so a
name that resolves elsewhere the next time (DNS rebinding) cannot move it. Redirects are not
followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from api.service.reminders import standing_reminders
from api.settings import Settings
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from api.storage.webhooks import Delivery, Subscription, WebhookStore
from notary.errors import InvalidRequestError, KeyMaterialError, NotaryError
from notary.lifecycle import LifecycleRules
from notary.reminders import Reminder
from notary.webhooks import (
    SIGNATURE_HEADER,
    IPAddress,
    WebhookAddressError,
    backoff_s,
    refused_address,
    sign,
)

__all__ = [
    "Post",
    "WebhookPolicy",
    "WebhookSender",
    "check_webhook_url",
    "delivery_addresses",
    "enqueue_reminders",
    "http_poster",
    "load_webhook_key",
    "reminder_scan",
    "run_webhooks",
    "secret_for",
]

log = logging.getLogger("sunlight.webhooks")

KEY_FILE = "webhook_key"

#: ``post(url, body, headers) -> HTTP status``; raises :class:`OSError`, ``httpx.HTTPError`` or
#: :class:`WebhookAddressError` (a host that is not public) when no answer came.
Post = Callable[[str, bytes, dict[str, str]], int]


def load_webhook_key(settings: Settings) -> bytes:
    """The webhook key: ``SUNLIGHT_WEBHOOK_KEY`` (64 hex digits) or DATA_DIR/webhook_key."""
    given = settings.webhook_key.get_secret_value()
    path = settings.data_dir / KEY_FILE
    if not given:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first: use theirs
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(os.urandom(32).hex())
        if path.stat().st_mode & 0o077:
            raise KeyMaterialError(f"{path} is readable by others; run `chmod 600 {path}`")
        given = path.read_text().strip()
    try:
        key = bytes.fromhex(given)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise KeyMaterialError("the webhook key must be 64 hex digits (SUNLIGHT_WEBHOOK_KEY)")
    return key


def secret_for(key: bytes, subscription_id: str) -> str:
    """The signing secret of a subscription (receivers use its UTF-8 bytes as the HMAC key)."""
    message = b"sunlight-webhook/1:" + subscription_id.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookPolicy:
    base_s: float = 5.0
    cap_s: float = 900.0
    give_up_s: float = 48 * 3600.0
    timeout_s: float = 10.0
    #: How long a claimed delivery stays with its sender before another may take it.
    lease_s: float = 60.0
    batch: int = 100
    #: Deliver to loopback, private and other non-public addresses too (an intranet, tests).
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookPolicy:
        return cls(
            base_s=settings.webhook_backoff_base_s,
            cap_s=settings.webhook_backoff_cap_s,
            give_up_s=settings.webhook_give_up_h * 3600,
            allow_private=settings.webhook_allow_private,
        )


def _literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally (``127.0.0.1``, ``::1``, and the old IPv4 forms
    resolvers accept too: ``2130706433``, ``0x7f.1``, ``127.1``), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):  # not an address; ValueError: a NUL in it
        return None


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Refuse (:class:`WebhookAddressError`) a webhook URL whose host is literally an address a
    webhook may not reach. A name is judged at each delivery, by what it resolves to then."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        raise InvalidRequestError("url: not a valid URL") from None
    ip = _literal_address(host)
    why = None if ip is None or allow_private else refused_address(ip)
    if why is not None:
        raise WebhookAddressError(
            f"url: {host} is not a public address ({why}); webhooks are delivered to public "
            "addresses only (SUNLIGHT_WEBHOOK_ALLOW_PRIVATE=true allows others, on an intranet)"
        )


def delivery_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for ``host``: what it resolves to now, each checked unless
    ``allow_private`` (any one not public raises :class:`WebhookAddressError`). Raises
    :class:`OSError` when the name does not resolve."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
    for ip in addresses:
        why = None if allow_private else refused_address(ip)
        if why is not None:
            raise WebhookAddressError(f"{host} resolves to {ip}, not a public address ({why})")
    return addresses


class _Pinned(httpx.HTTPTransport):
    """Sends each request to the :func:`delivery_addresses` of its host, in turn until one
    connects: the connection goes to a checked address, while the Host header and TLS (SNI, the
    certificate's name) keep the name. No connection is kept for another request: it would be
    pooled under the address, and reused for another name resolving there without that name's
    certificate being checked."""

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__(limits=httpx.Limits(max_keepalive_connections=0))
        self._allow_private = allow_private

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        *others, last = delivery_addresses(url.host, port, allow_private=self._allow_private)
        request.extensions = {**request.extensions, "sni_hostname": url.host}
        for ip in others:
            request.url = url.copy_with(host=str(ip))
            try:
                return super().handle_request(request)
            except httpx.ConnectError:
                continue  # the next address (IPv6 first, then IPv4, say)
        request.url = url.copy_with(host=str(last))
        return super().handle_request(request)


def http_poster(timeout_s: float = 10.0, *, allow_private: bool = False) -> Post:
    """A :data:`Post` that never follows a redirect (a redirect is not a delivery) and connects
    directly (no proxy from the environment) to the checked addresses of the URL's host, a new
    connection each time (:class:`_Pinned`)."""
    client = httpx.Client(
        timeout=timeout_s,
        follow_redirects=False,
        transport=_Pinned(allow_private=allow_private),
    )

    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        return client.post(url, content=body, headers=headers).status_code

    return post


class WebhookSender:
    """Sends the outbox's due deliveries."""

    def __init__(
        self,
        store: WebhookStore,
        key: bytes,
        *,
        policy: WebhookPolicy | None = None,
        post: Post | None = None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self._key = key
        self.policy = policy or WebhookPolicy()
        self._post = post or http_poster(
            self.policy.timeout_s, allow_private=self.policy.allow_private
        )
        self.clock = clock
        self._jitter = jitter

    def deliver_due(self) -> int:
        """Attempt every delivery due now (in batches); how many were delivered."""
        delivered = 0
        while True:
            now_ms = int(self.clock() * 1000)
            due = self.store.claim_due(
                now_ms, limit=self.policy.batch, lease_ms=int(self.policy.lease_s * 1000)
            )
            delivered += sum(self._attempt(d) for d in due)
            if len(due) < self.policy.batch:
                return delivered

    def _attempt(self, delivery: Delivery) -> bool:
        now = self.clock()
        now_ms = int(now * 1000)
        attempts = delivery.attempts + 1
        url = self.store.url_of(delivery.subscription)
        if url is None:  # unsubscribed meanwhile
            self.store.settle(
                delivery.delivery_id, status="gave_up", attempts=attempts, now_ms=now_ms
            )
            return False
        secret = secret_for(self._key, delivery.subscription).encode()
        headers = {
            "Content-Type": "application/json",
            "Sunlight-Delivery": delivery.delivery_id,
            "Sunlight-Event": delivery.event,
            SIGNATURE_HEADER: sign(secret, int(now), delivery.body),
        }
        try:
            status = self._post(url, delivery.body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except (OSError, httpx.HTTPError, WebhookAddressError) as e:
            error = f"{type(e).__name__}: {e}"[:200]
        if error is None:
            self.store.settle(
                delivery.delivery_id, status="delivered", attempts=attempts, now_ms=now_ms
            )
            return True
        if now_ms - delivery.created_ms >= self.policy.give_up_s * 1000:
            log.warning("webhook delivery %s given up: %s", delivery.delivery_id, error)
            self.store.settle(
                delivery.delivery_id,
                status="gave_up",
                attempts=attempts,
                now_ms=now_ms,
                error=error,
            )
            return False
        wait = backoff_s(
            attempts, base_s=self.policy.base_s, cap_s=self.policy.cap_s, jitter=self._jitter()
        )
        self.store.settle(
            delivery.delivery_id,
            status="pending",
            attempts=attempts,
            now_ms=now_ms,
            next_ms=now_ms + int(wait * 1000),
            error=error,
        )
        return False


def _matches(sub: Subscription, reminder: Reminder) -> bool:
    if sub.subscriber_kind == "person":
        return sub.subscriber == reminder.person
    return sub.subscriber == reminder.organisation


def enqueue_reminders(store: WebhookStore, found: Iterable[Reminder], now: float) -> int:
    """Enqueue one ``reminder`` delivery per reminder and matching subscription (idempotent: a
    reminder already enqueued for a subscription is skipped). How many were new."""
    subs = store.subscriptions()
    rows = []
    sent_at = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
    for reminder in found:
        for sub in subs:
            if not _matches(sub, reminder):
                continue
            delivery_id = hashlib.sha256(f"{sub.id}|{reminder.id}".encode()).hexdigest()[:32]
            body = {
                "delivery": delivery_id,
                "event": "reminder",
                "created_at": sent_at,
                "subscription": sub.id,
                "reminder": reminder.model_dump(mode="json"),
            }
            encoded = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
            rows.append((delivery_id, sub.id, reminder.id, "reminder", encoded))
    return store.enqueue(rows, int(now * 1000))


def run_webhooks(
    sender: WebhookSender,
    scan: Callable[[datetime], list[Reminder]],
    stop: threading.Event,
    *,
    interval_s: float,
    scan_interval_s: float,
) -> None:
    """The loop ``sunlight serve`` runs: reminders scanned every ``scan_interval_s``, due
    deliveries sent every ``interval_s``; a failure is logged and the loop goes on."""
    last_scan = float("-inf")
    while not stop.is_set():
        try:
            now = sender.clock()
            if now - last_scan >= scan_interval_s:
                enqueue_reminders(sender.store, scan(datetime.fromtimestamp(now, UTC)), now)
                last_scan = now
            sender.deliver_due()
        except NotaryError as e:
            log.warning("webhooks: %s", e.diagnostics())
        stop.wait(interval_s)


def reminder_scan(
    projects: ProjectStore, parties: PartyStore, rules: LifecycleRules
) -> Callable[[datetime], list[Reminder]]:
    """The scan :func:`run_webhooks` runs: every standing reminder."""
    return lambda at: standing_reminders(projects, parties, rules, at)
