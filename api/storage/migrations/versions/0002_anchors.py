"""Chain anchors: one row per anchor() transaction the anchorer signed.

Revision ID: 0002_anchors
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_anchors"
down_revision = "0001_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anchors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("from_size", sa.BigInteger, nullable=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("nonce", sa.BigInteger, nullable=False),
        sa.Column("raw_tx", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("confirmed_at", sa.String(40), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_anchors_status_tree_size", "anchors", ["status", "tree_size"])


def downgrade() -> None:
    op.drop_index("ix_anchors_status_tree_size", table_name="anchors")
    op.drop_table("anchors")
