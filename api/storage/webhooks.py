"""Webhook subscriptions and the durable outbox of deliveries (migration ``0008_webhooks``).

A delivery is a row of ``webhook_outbox``: written once per (subscription, event) — a second
enqueue of the same event is a no-op — then ``pending`` until a POST answered 2xx
(``delivered``) or it grew older than the give-up age (``gave_up``). A sender claims a due row by
moving its ``next_attempt_ms`` forward (a lease) in a conditional update, so senders in several
processes never send the same attempt twice at once; a sender killed mid-attempt leaves the row
due again when its lease ends (at-least-once).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from api.clock import utc_now
from api.storage import db
from api.storage.errors import db_errors
from notary.errors import NotFoundError

__all__ = ["Delivery", "SubscriberKind", "Subscription", "WebhookStore"]

SubscriberKind = Literal["organisation", "person"]

subscriptions = Table(
    "webhook_subscriptions",
    db.metadata,
    Column("id", String(40), primary_key=True),
    Column("subscriber_kind", String(20), nullable=False),
    Column("subscriber", String(128), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("created_at", String(40), nullable=False),
    Index("ix_webhook_subscriptions_subscriber", "subscriber"),
)

outbox = Table(
    "webhook_outbox",
    db.metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("subscription", String(40), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event", String(40), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("status", String(10), nullable=False),  # pending | delivered | gave_up
    Column("attempts", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False),
    Column("done_ms", BigInteger, nullable=True),
    Column("last_error", String(200), nullable=True),
    UniqueConstraint("subscription", "event_id", name="uq_webhook_outbox_event"),
    Index("ix_webhook_outbox_due", "status", "next_attempt_ms"),
)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    subscriber_kind: SubscriberKind
    subscriber: str
    url: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    subscription: str
    event: str
    body: bytes
    attempts: int
    created_ms: int


class WebhookStore:
    """Subscriptions and the outbox, in the log's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert

    @db_errors
    def subscribe(self, kind: SubscriberKind, subscriber: str, url: str) -> Subscription:
        sub = Subscription(f"wh_{secrets.token_hex(12)}", kind, subscriber, url, utc_now())
        with db.write(self.engine) as conn:
            conn.execute(
                insert(subscriptions).values(
                    id=sub.id,
                    subscriber_kind=kind,
                    subscriber=subscriber,
                    url=url,
                    created_at=sub.created_at,
                )
            )
        return sub

    @db_errors
    def subscriptions(self) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscriptions).order_by(subscriptions.c.created_at)).all()
        return [
            Subscription(r.id, r.subscriber_kind, r.subscriber, r.url, r.created_at) for r in rows
        ]

    @db_errors
    def unsubscribe(self, sub_id: str) -> None:
        """Remove a subscription and its deliveries not yet made."""
        with db.write(self.engine) as conn:
            done = conn.execute(delete(subscriptions).where(subscriptions.c.id == sub_id))
            if done.rowcount == 0:
                raise NotFoundError(f"no webhook subscription {sub_id}")
            o = outbox.c
            conn.execute(delete(outbox).where(o.subscription == sub_id, o.status == "pending"))

    @db_errors
    def url_of(self, sub_id: str) -> str | None:
        with self.engine.connect() as conn:
            url = conn.execute(
                select(subscriptions.c.url).where(subscriptions.c.id == sub_id)
            ).scalar()
        return None if url is None else str(url)

    @db_errors
    def enqueue(self, rows: Sequence[tuple[str, str, str, str, bytes]], now_ms: int) -> int:
        """Write deliveries ``(delivery_id, subscription, event_id, event, body)``, due at once;
        an event a subscription has already is skipped. How many were new."""
        if not rows:
            return 0
        values = [
            {
                "delivery_id": d,
                "subscription": s,
                "event_id": e,
                "event": kind,
                "body": body,
                "status": "pending",
                "attempts": 0,
                "created_ms": now_ms,
                "next_attempt_ms": now_ms,
            }
            for d, s, e, kind, body in rows
        ]
        statement = self._insert(outbox).on_conflict_do_nothing().returning(outbox.c.delivery_id)
        with db.write(self.engine) as conn:
            return len(conn.execute(statement, values).all())

    @db_errors
    def claim_due(self, now_ms: int, *, limit: int, lease_ms: int) -> list[Delivery]:
        """Up to ``limit`` pending deliveries due at ``now_ms``, each leased to this caller for
        ``lease_ms`` (a row another sender leased first is skipped)."""
        o = outbox.c
        with self.engine.connect() as conn:
            due = conn.execute(
                select(outbox)
                .where(o.status == "pending", o.next_attempt_ms <= now_ms)
                .order_by(o.next_attempt_ms)
                .limit(limit)
            ).all()
        claimed = []
        for r in due:
            with db.write(self.engine) as conn:
                won = conn.execute(
                    update(outbox)
                    .where(
                        o.delivery_id == r.delivery_id,
                        o.status == "pending",
                        o.next_attempt_ms == r.next_attempt_ms,
                    )
                    .values(next_attempt_ms=now_ms + lease_ms)
                ).rowcount
            if won == 1:
                claimed.append(
                    Delivery(
                        r.delivery_id,
                        r.subscription,
                        r.event,
                        bytes(r.body),
                        int(r.attempts),
                        int(r.created_ms),
                    )
                )
        return claimed

    @db_errors
    def settle(
        self,
        delivery_id: str,
        *,
        status: Literal["pending", "delivered", "gave_up"],
        attempts: int,
        now_ms: int,
        next_ms: int | None = None,
        error: str | None = None,
    ) -> None:
        """Record an attempt's outcome: delivered, given up, or pending again from ``next_ms``."""
        o = outbox.c
        values: dict[str, object] = {"status": status, "attempts": attempts, "last_error": error}
        if status == "pending":
            values["next_attempt_ms"] = next_ms if next_ms is not None else now_ms
        else:
            values["done_ms"] = now_ms
        with db.write(self.engine) as conn:
            conn.execute(update(outbox).where(o.delivery_id == delivery_id).values(**values))

    @db_errors
    def counts(self) -> dict[str, int]:
        """Deliveries by status."""
        o = outbox.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(o.status, func.count()).group_by(o.status)).all()
        return {str(s): int(n) for s, n in rows}
