"""Heads statements: per anchored checkpoint, the signed statement of every project's head.

Revision ID: 0005_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_heads"
down_revision = "0004_key_registrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heads_statements",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("statement", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("cid", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("heads_statements")
