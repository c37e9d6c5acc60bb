"""Key transparency: each signing key row points at its ``key_registration`` record in the log.

Revision ID: 0004_key_registrations
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_key_registrations"
down_revision = "0003_parties"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("party_keys") as batch:
        batch.add_column(sa.Column("registration_leaf", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("party_keys") as batch:
        batch.drop_column("registration_leaf")
