"""Field evidence: an index of site photos (digest, perceptual hash, flags) for duplicate checks.

Revision ID: 0006_photos
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_photos"
down_revision = "0005_heads"
branch_labels = None
depends_on = None

_BANDS = ("band0", "band1", "band2", "band3")


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.String(40), nullable=False),
        sa.Column("project", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("phash", sa.BigInteger, nullable=True),
        *(sa.Column(band, sa.Integer, nullable=True) for band in _BANDS),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
    )
    op.create_index("ix_photos_sha256", "photos", ["sha256"])
    for band in _BANDS:
        op.create_index(f"ix_photos_{band}", "photos", [band])


def downgrade() -> None:
    op.drop_table("photos")
