"""The wall clock, in the one format Sunlight writes times in."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """RFC 3339 UTC with microseconds, e.g. ``2026-11-23T00:01:03.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
