"""Reminders delivered as signed webhooks from the durable outbox, to a real HTTP receiver, on
SQLite and on PostgreSQL. The receiver checks every delivery with the verification recipe of
docs/data-interface.md; time moves on a fake clock (an hour of downtime without sleeping). The
receiver is on loopback, so the senders allow private addresses, except where the refusal is
tested."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from api.service.webhooks import (
    WebhookPolicy,
    WebhookSender,
    enqueue_reminders,
    http_poster,
    secret_for,
)
from api.storage.log import LogStore
from api.storage.webhooks import WebhookStore
from notary.lifecycle import DEFAULT_RULES, Role
from notary.reminders import Reminder, reminders
from tests.support.lifecycle import (
    CAST,
    T0,
    actor,
    contracted,
    registered,
    to_implementation,
    to_notice,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-interface.md"
KEY = bytes(range(32))


def recipe() -> Callable[..., bool]:
    """The verification recipe, exactly as the documentation gives it."""
    block = re.search(r"```python\n# sunlight-webhook-recipe\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None, "the recipe is missing from docs/data-interface.md"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    return namespace["verified"]  # type: ignore[no-any-return]


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class Receiver:
    """A real HTTP server on loopback that checks each delivery with the documented recipe at the
    fake clock's time; ``down()`` closes its port, ``up()`` listens on the same port again."""

    secret: str
    clock: Clock
    verified: Callable[..., bool] = field(default_factory=recipe)
    got: list[tuple[str, bytes]] = field(default_factory=list)
    refused: int = 0
    fail_next: int = 0  # answer 500 after storing (the at-least-once case)
    port: int = 0
    server: ThreadingHTTPServer | None = None

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get("Sunlight-Signature", "")
                if not receiver.verified(receiver.secret, header, body, receiver.clock()):
                    receiver.refused += 1
                    self.send_error(401)
                    return
                receiver.got.append((self.headers["Sunlight-Delivery"], body))
                status = 500 if receiver.fail_next > 0 else 204
                receiver.fail_next -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


def standing() -> list[Reminder]:
    """Two reminders of an overdue contract (the contractor's and the village head's)."""
    story = contracted(to_implementation(to_notice(registered())))
    return reminders(
        [story.state], [actor(r) for r in Role], T0 + timedelta(days=200), DEFAULT_RULES
    )


@pytest.fixture
def store(db_url: str) -> Iterator[WebhookStore]:
    log = LogStore.open(db_url)
    yield WebhookStore(log.engine)
    log.close()


@pytest.fixture
def receiver(store: WebhookStore) -> Iterator[tuple[Receiver, str]]:
    clock = Clock(T0.timestamp() + 200 * 86400)
    rx = Receiver("", clock)
    rx.up()
    sub = store.subscribe("organisation", CAST[Role.CONTRACTOR][1], rx.url)
    rx.secret = secret_for(KEY, sub.id)
    yield rx, sub.id
    if rx.server is not None:
        rx.down()


def sender(store: WebhookStore, clock: Clock, **policy: Any) -> WebhookSender:
    return WebhookSender(
        store,
        KEY,
        policy=WebhookPolicy(**{"allow_private": True, **policy}),
        clock=clock,
        jitter=lambda: 0.5,
    )


def run_for(s: WebhookSender, clock: Clock, seconds: float, step: float = 30) -> None:
    end = clock.now + seconds
    while clock.now < end:
        s.deliver_due()
        clock.now += step


def test_a_receiver_down_for_an_hour_loses_nothing(
    store: WebhookStore, receiver: tuple[Receiver, str]
) -> None:
    rx, sub_id = receiver
    found = [r for r in standing() if r.organisation == CAST[Role.CONTRACTOR][1]]
    assert len(found) == 1  # the contractor's; the village head's goes to no subscription
    assert enqueue_reminders(store, standing(), rx.clock()) == 1
    assert enqueue_reminders(store, standing(), rx.clock() + 60) == 0  # idempotent per reminder
    rx.down()
    s = sender(store, rx.clock)
    run_for(s, rx.clock, 3600)
    assert rx.got == [] and store.counts() == {"pending": 1}
    rx.up()
    run_for(s, rx.clock, 1800)
    assert store.counts() == {"delivered": 1}
    [(delivery_id, body)] = rx.got
    payload = json.loads(body)
    assert payload["delivery"] == delivery_id and payload["event"] == "reminder"
    assert payload["reminder"]["id"] == found[0].id and payload["subscription"] == sub_id
    assert rx.refused == 0


def test_retries_back_off_exponentially_with_a_cap(
    store: WebhookStore, receiver: tuple[Receiver, str]
) -> None:
    rx, _ = receiver
    enqueue_reminders(store, standing(), rx.clock())
    rx.down()
    s = sender(store, rx.clock, base_s=10, cap_s=600)
    run_for(s, rx.clock, 3600, step=5)
    with store.engine.connect() as conn:
        attempts = conn.exec_driver_sql("SELECT attempts FROM webhook_outbox").scalar_one()
    # 5 s, 10 s, 20 s, ... capped at 300 s (half of 600 with jitter 0.5: 0.75 of it, 450 s):
    # about 13 attempts in an hour, not 3600.
    assert 8 <= attempts <= 16


def test_a_delivery_stored_but_not_acknowledged_comes_again_with_the_same_id(
    store: WebhookStore, receiver: tuple[Receiver, str]
) -> None:
    rx, _ = receiver
    enqueue_reminders(store, standing(), rx.clock())
    rx.fail_next = 2
    run_for(sender(store, rx.clock), rx.clock, 600)
    ids = [d for d, _ in rx.got]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert store.counts() == {"delivered": 1}


def test_a_tampered_body_fails_the_recipe_and_the_genuine_one_passes(
    store: WebhookStore, receiver: tuple[Receiver, str]
) -> None:
    rx, _ = receiver
    enqueue_reminders(store, standing(), rx.clock())
    captured: list[tuple[bytes, dict[str, str]]] = []
    http_post = http_poster(allow_private=True)

    def capture(url: str, body: bytes, headers: dict[str, str]) -> int:
        captured.append((body, headers))
        return http_post(url, body, headers)

    s = WebhookSender(store, KEY, post=capture, clock=rx.clock, jitter=lambda: 0.5)
    s.deliver_due()
    [(body, headers)] = captured
    header, now = headers["Sunlight-Signature"], rx.clock()
    assert rx.verified(rx.secret, header, body, now)
    assert not rx.verified(
        rx.secret, header, body.replace(b"contract_overdue", b"notice_ending"), now
    )
    assert not rx.verified(secret_for(KEY, "wh_other"), header, body, now)
    assert not rx.verified(rx.secret, header, body, now + 301)  # replayed later
    assert rx.refused == 0 and len(rx.got) == 1


def test_a_delivery_is_given_up_after_the_give_up_age(
    store: WebhookStore, receiver: tuple[Receiver, str]
) -> None:
    rx, _ = receiver
    enqueue_reminders(store, standing(), rx.clock())
    rx.down()
    run_for(sender(store, rx.clock, give_up_s=24 * 3600), rx.clock, 25 * 3600, step=600)
    assert store.counts() == {"gave_up": 1}


def test_a_name_resolving_to_loopback_is_not_delivered_to_unless_allowed(
    store: WebhookStore, receiver: tuple[Receiver, str]
) -> None:
    rx, sub_id = receiver
    store.unsubscribe(sub_id)
    sub = store.subscribe(
        "organisation", CAST[Role.CONTRACTOR][1], rx.url.replace("127.0.0.1", "localhost")
    )
    rx.secret = secret_for(KEY, sub.id)
    enqueue_reminders(store, standing(), rx.clock())
    run_for(sender(store, rx.clock, allow_private=False), rx.clock, 600)
    assert rx.got == [] and store.counts() == {"pending": 1}
    with store.engine.connect() as conn:
        error = conn.exec_driver_sql("SELECT last_error FROM webhook_outbox").scalar_one()
    assert "WebhookAddressError" in error and "not a public address (loopback)" in error
    run_for(sender(store, rx.clock), rx.clock, 900)  # SUNLIGHT_WEBHOOK_ALLOW_PRIVATE: an intranet
    assert len(rx.got) == 1 and store.counts() == {"delivered": 1} and rx.refused == 0
