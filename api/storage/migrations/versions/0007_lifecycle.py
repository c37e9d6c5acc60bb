"""Project lifecycle: organisations, people's organisation and lifecycle roles, projects with the
state their records give (a cache of the log, rebuilt by replay and checked by ``sunlight audit``),
and each project's power holders.

Revision ID: 0007_lifecycle
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_lifecycle"
down_revision = "0006_photos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("organisation", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("lifecycle_roles", sa.String(300), nullable=False, server_default="")
        )
    op.create_table(
        "projects",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("township", sa.String(64), nullable=False),
        sa.Column("village", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("leaf_index", sa.BigInteger, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("ix_projects_region", "projects", ["county", "township", "village"])
    op.create_index("ix_projects_step", "projects", ["step"])
    op.create_table(
        "project_powers",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("power", sa.String(20), primary_key=True),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
    )
    op.create_index("ix_project_powers_organisation", "project_powers", ["organisation"])


def downgrade() -> None:
    op.drop_table("project_powers")
    op.drop_table("projects")
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("lifecycle_roles")
        batch.drop_column("organisation")
    op.drop_table("organisations")
