"""Idempotency keys of ``POST /v1/records``: one row per (party, key), written in the transaction
that appends the record it answers (api/storage/idempotency.py).

Revision ID: 0010_idempotency
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_idempotency"
down_revision = "0009_devices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("party", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.LargeBinary(32), nullable=False),
        sa.Column("record_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_table("idempotency_keys")
