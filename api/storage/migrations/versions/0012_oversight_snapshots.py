"""Oversight's snapshot cache: per project, its snapshot as JSON, the head leaf index it was folded
through and an HMAC-SHA256 under a key derived from the notary key (api/storage/snapshots.py), so
a restarted server loads the snapshots instead of folding the whole log again.

Revision ID: 0012_oversight_snapshots
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_oversight_snapshots"
down_revision = "0011_powers_by_person"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oversight_snapshots",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("head", sa.BigInteger, nullable=False),
        sa.Column("mac", sa.LargeBinary(32), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oversight_snapshots")
