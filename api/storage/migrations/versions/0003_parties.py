"""Parties, their bearer tokens (hashes only) and signing keys; record visibility.

Revision ID: 0003_parties
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_parties"
down_revision = "0002_anchors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("party_id", sa.String(128), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "party_keys",
        sa.Column("party_id", sa.String(128), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("key_id", sa.String(128), primary_key=True),
        sa.Column("alg", sa.String(20), nullable=False),
        sa.Column("public_key", sa.LargeBinary(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("submitter", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("submitter")
        batch.drop_column("public")
    for table in ("party_keys", "tokens", "parties"):
        op.drop_table(table)
