"""Field devices: one-time pairing codes, and the device keys paired with them (0009_devices).

A pairing code is eleven digits, read out like a mobile number: four digits of *slot*, six secret
digits and a Luhn check digit. The slot finds the code among the open ones (no two open codes share
one); the secret is compared with its stored SHA-256; a wrong secret counts against that code, and
:data:`MAX_ATTEMPTS` wrong ones close it. A code is open until it is used, closed or expired.
The check digit lets the page and the server catch a mistyped code without spending an attempt.

A device is a key of a person's party (``party_keys``, registered in the log like any other) that
was paired through a code: only such keys may authenticate requests (api/service/devices.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Integer, LargeBinary, String, Table, insert, select
from sqlalchemy import update as sql_update

from api.storage import db
from api.storage.errors import db_errors
from api.storage.parties import AuthError, ConflictError
from api.storage.projects import project_powers, projects
from notary.errors import RecordError
from notary.keys import RegisteredKey
from notary.sigalgs import ALGS

__all__ = [
    "CODE_DIGITS",
    "MAX_ATTEMPTS",
    "DeviceStore",
    "IssuedCode",
    "PairingRefused",
    "Redeemed",
    "check_code",
    "luhn_digit",
    "organisation_projects",
]

pairing_codes = Table(
    "pairing_codes",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slot", String(4), nullable=False, index=True),
    Column("secret_hash", LargeBinary(32), nullable=False),
    Column("party_id", String(128), nullable=False),
    Column("issued_by", String(128), nullable=False),
    Column("expires_at", Float, nullable=False),  # Unix seconds
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("closed_at", Float, nullable=True),  # used, or closed after MAX_ATTEMPTS
)

devices = Table(
    "devices",
    db.metadata,
    Column("party_id", String(128), primary_key=True),
    Column("key_id", String(128), primary_key=True),
    Column("label", String(100), nullable=False),
    Column("paired_at", Float, nullable=False),
    Column("pairing_code", Integer, nullable=False),
)

CODE_DIGITS = 11
#: Wrong secrets a code takes before it closes.
MAX_ATTEMPTS = 5
#: Open codes at most at once (of 10,000 slots): a guess then finds an open slot at most 1 time in 5.
MAX_OPEN = 2000


class PairingRefused(AuthError):
    """A pairing code that is not open, or whose secret is wrong (HTTP 401)."""


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits``: any one mistyped digit, and most swaps, change it."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def check_code(code: str) -> str:
    """The code without spaces or dashes, if it is 11 digits with a right check digit; else a
    :class:`RecordError` that says to check the number."""
    digits = "".join(ch for ch in code[:40] if ch not in " -")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise RecordError("a pairing code is 11 digits: check the number", field="code")
    if luhn_digit(digits[:-1]) != digits[-1]:
        raise RecordError("this pairing code has a typo: check the number", field="code")
    return digits


def _secret_hash(slot: str, secret: str) -> bytes:
    return hashlib.sha256(f"sunlight-pairing/1:{slot}:{secret}".encode()).digest()


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str  # 11 digits, shown once
    party_id: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Redeemed:
    code_id: int
    party_id: str
    issued_by: str


class DeviceStore:
    """Pairing codes and paired devices. ``clock``: Unix seconds (a test passes its own)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    @db_errors
    def issue(self, party_id: str, issued_by: str, ttl_s: float) -> IssuedCode:
        now = self.clock()
        c = pairing_codes.c
        with db.write(self.engine) as conn:
            open_slots = set(
                conn.execute(
                    select(c.slot).where(c.closed_at.is_(None), c.expires_at > now)
                ).scalars()
            )
            if len(open_slots) >= MAX_OPEN:
                raise ConflictError("too many open pairing codes: wait for some to expire")
            slot = f"{secrets.randbelow(10_000):04d}"
            while slot in open_slots:
                slot = f"{secrets.randbelow(10_000):04d}"
            secret = f"{secrets.randbelow(1_000_000):06d}"
            conn.execute(
                insert(pairing_codes).values(
                    slot=slot,
                    secret_hash=_secret_hash(slot, secret),
                    party_id=party_id,
                    issued_by=issued_by,
                    expires_at=now + ttl_s,
                    attempts=0,
                )
            )
        body = slot + secret
        return IssuedCode(body + luhn_digit(body), party_id, now + ttl_s)

    @db_errors
    def redeem(self, code: str) -> Redeemed:
        """Use an open code (once); a wrong secret counts against the code of its slot."""
        digits = check_code(code)
        slot, want = digits[:4], _secret_hash(digits[:4], digits[4:10])
        now = self.clock()
        c = pairing_codes.c
        with db.write(self.engine) as conn:
            rows = conn.execute(
                select(c.id, c.secret_hash, c.party_id, c.issued_by, c.attempts).where(
                    c.slot == slot, c.closed_at.is_(None), c.expires_at > now
                )
            ).all()
            for row in rows:
                if hmac.compare_digest(bytes(row.secret_hash), want):
                    conn.execute(
                        sql_update(pairing_codes).where(c.id == row.id).values(closed_at=now)
                    )
                    return Redeemed(row.id, row.party_id, row.issued_by)
            for row in rows:
                tries = row.attempts + 1
                closed = now if tries >= MAX_ATTEMPTS else None
                conn.execute(
                    sql_update(pairing_codes)
                    .where(c.id == row.id)
                    .values(attempts=tries, closed_at=closed)
                )
        raise PairingRefused(
            "this pairing code is wrong, used or expired: ask your township administrator for "
            "a new one"
        )

    @db_errors
    def add(self, party_id: str, key_id: str, label: str, code_id: int) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                insert(devices).values(
                    party_id=party_id,
                    key_id=key_id,
                    label=label,
                    paired_at=self.clock(),
                    pairing_code=code_id,
                )
            )

    @db_errors
    def key(self, party_id: str, key_id: str) -> tuple[RegisteredKey, bool] | None:
        """A paired device's key and whether it was revoked; None for any key not paired."""
        d, k = devices.c, db.party_keys.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(k.alg, k.public_key, k.revoked_at)
                .join(devices, (d.party_id == k.party_id) & (d.key_id == k.key_id))
                .where(k.party_id == party_id, k.key_id == key_id)
            ).first()
        if row is None or row.alg not in ALGS:
            return None
        key = RegisteredKey(party_id, key_id, bytes(row.public_key), row.alg)
        return key, row.revoked_at is not None


@db_errors
def organisation_projects(engine: Engine, organisation: str, limit: int) -> list[str]:
    """The codes of the projects ``organisation`` owns or holds a power of, in code order."""
    held = select(project_powers.c.project).where(project_powers.c.organisation == organisation)
    owned = select(projects.c.code).where(projects.c.owner == organisation)
    with engine.connect() as conn:
        codes = set(conn.execute(held).scalars()) | set(conn.execute(owned).scalars())
    return sorted(codes)[:limit]
