"""Bring a database to the newest schema (every Alembic head), safely from several processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from api.storage import db

# Any constant works: it only has to be the same in every Sunlight process sharing a database.
_MIGRATION_LOCK = 0x53554E4C  # "SUNL"


def upgrade(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with db.write(engine) as conn:
        if conn.dialect.name == "postgresql":
            # Concurrent starters queue here; SQLite's BEGIN IMMEDIATE already serialises them.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
