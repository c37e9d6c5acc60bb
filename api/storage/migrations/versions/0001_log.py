"""The evidence log: state, entries, subtree hashes, project heads, checkpoints.

Revision ID: 0001_log
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.LargeBinary, nullable=False),
    )
    op.execute(
        sa.text("INSERT INTO log_state (id, size, frontier) VALUES (1, 0, :f)").bindparams(f=b"")
    )
    op.create_table(
        "entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.String(40), nullable=False, unique=True),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("entry", sa.LargeBinary, nullable=False),
        sa.Column("project", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=True),
        sa.Column("content_cid", sa.String(128), nullable=True),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_entries_project_idx", "entries", ["project", "idx"])
    op.create_index("ix_entries_content_sha256", "entries", ["content_sha256"])
    op.create_table(
        "nodes",
        sa.Column("key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "project_heads",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("leaf_index", sa.BigInteger, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("log_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    for table in ("checkpoints", "project_heads", "nodes", "entries", "log_state"):
        op.drop_table(table)
