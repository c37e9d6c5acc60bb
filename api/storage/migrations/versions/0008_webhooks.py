"""Webhooks: subscriptions (no secrets: each is derived from the webhook key, docs/data-interface.md)
and the durable outbox of deliveries, one row per (subscription, event), retried until delivered
or given up.

Revision ID: 0008_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_webhooks"
down_revision = "0007_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("subscriber_kind", sa.String(20), nullable=False),
        sa.Column("subscriber", sa.String(128), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_webhook_subscriptions_subscriber", "webhook_subscriptions", ["subscriber"])
    op.create_table(
        "webhook_outbox",
        sa.Column("delivery_id", sa.String(64), primary_key=True),
        sa.Column("subscription", sa.String(40), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger, nullable=False),
        sa.Column("done_ms", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.UniqueConstraint("subscription", "event_id", name="uq_webhook_outbox_event"),
    )
    op.create_index("ix_webhook_outbox_due", "webhook_outbox", ["status", "next_attempt_ms"])


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("webhook_subscriptions")
