"""Field devices: one-time pairing codes, and the device keys paired with them
(api/storage/devices.py, docs/field-capture.md).

Revision ID: 0009_devices
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_devices"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pairing_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slot", sa.String(4), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("party_id", sa.String(128), nullable=False),
        sa.Column("issued_by", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("closed_at", sa.Float, nullable=True),
    )
    op.create_index("ix_pairing_codes_slot", "pairing_codes", ["slot"])
    op.create_table(
        "devices",
        sa.Column("party_id", sa.String(128), primary_key=True),
        sa.Column("key_id", sa.String(128), primary_key=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("paired_at", sa.Float, nullable=False),
        sa.Column("pairing_code", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("devices")
    op.drop_index("ix_pairing_codes_slot", "pairing_codes")
    op.drop_table("pairing_codes")
