"""The projects where a person holds a power by name, found by index: a change of a person's
standing (``PATCH /v1/parties/{id}``) reads them under the log lock
(api/storage/memberships.py ``live_powers``).

Revision ID: 0011_powers_by_person
"""

from alembic import op

revision = "0011_powers_by_person"
down_revision = "0010_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_project_powers_person", "project_powers", ["person"])


def downgrade() -> None:
    op.drop_index("ix_project_powers_person", "project_powers")
