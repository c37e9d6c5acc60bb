"""Parties (organisations and people), their roles, bearer tokens and signing keys.

Tokens are ``sl_<id>_<secret>``: 32 random bytes, shown once at creation; only their SHA-256 is
stored, so a database leak reveals no usable token. ``SUNLIGHT_ADMIN_TOKEN`` authenticates the
bootstrap administrator without being stored at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from api.clock import utc_now
from api.storage import db
from api.storage.errors import db_errors
from notary.errors import NotaryError, NotFoundError, RecordError
from notary.keys import RegisteredKey
from notary.sigalgs import ALGS, parse_public_key

Role = Literal["admin", "submitter", "auditor"]
ROLES: tuple[Role, ...] = ("admin", "submitter", "auditor")
BOOTSTRAP_ADMIN = "admin"


class AuthError(NotaryError):
    """No valid credentials (HTTP 401)."""

    code = "unauthorized"


class ForbiddenError(NotaryError):
    """Valid credentials without the right (HTTP 403)."""

    code = "forbidden"


class RateLimitedError(NotaryError):
    """Too many requests, or too many bad tokens, from one address (HTTP 429)."""

    code = "rate_limited"


class ConflictError(NotaryError):
    """The object exists already (HTTP 409)."""

    code = "conflict"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a party and its roles; ``device``, the key id of the paired device that
    signed the request, when a device did (api/service/devices.py)."""

    party_id: str
    roles: frozenset[str]
    device: str | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    name: str
    kind: str
    roles: tuple[str, ...]
    created_at: str
    #: A person's organisation and their lifecycle roles there (notary.lifecycle.Role values).
    organisation: str | None = None
    lifecycle_roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: str
    party_id: str
    token: str  # shown once


_MAX_CHECKED = 10_000


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class PartyStore:
    """Parties, tokens and keys in one database; a database failure is raised as
    :class:`~notary.errors.LogError` (or ``StorageFullError``), never a SQLAlchemy error.

    ``cache_s``: how long a checked token is trusted without a database read. Revoking a
    token clears this store's cache at once; other processes' caches expire within ``cache_s``.
    ``clock``: seconds on a monotonic clock (a test advances a fake one instead of sleeping).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        admin_token: str = "",
        cache_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._admin_token_hash = _hash(admin_token) if admin_token else None
        self._cache_s = cache_s
        self._clock = clock
        self._checked: dict[bytes, tuple[float, Principal]] = {}
        self._known_parties: dict[str, tuple[float, Party]] = {}

    @db_errors
    def create_party(
        self,
        party_id: str,
        name: str,
        kind: str,
        roles: tuple[str, ...],
        *,
        organisation: str | None = None,
        lifecycle_roles: tuple[str, ...] = (),
    ) -> Party:
        party = Party(
            party_id,
            name,
            kind,
            tuple(sorted(set(roles))),
            utc_now(),
            organisation,
            tuple(sorted(set(lifecycle_roles))),
        )
        try:
            with db.write(self.engine) as conn:
                conn.execute(
                    insert(db.parties).values(
                        id=party.id,
                        name=name,
                        kind=kind,
                        roles=" ".join(party.roles),
                        created_at=party.created_at,
                        organisation=organisation,
                        lifecycle_roles=" ".join(party.lifecycle_roles),
                    )
                )
        except IntegrityError as e:
            raise ConflictError(f"party {party_id} exists already") from e
        return party

    @db_errors
    def party(self, party_id: str) -> Party:
        found = self.parties({party_id})
        if party_id not in found:
            raise NotFoundError(f"no party {party_id}")
        return found[party_id]

    def parties(self, party_ids: set[str]) -> dict[str, Party]:
        """The parties among ``party_ids`` that exist (one query for those not read within
        ``cache_s``, as for tokens: a change by another process shows within that time)."""
        now = self._clock()
        found, missing = {}, set()
        for party_id in party_ids:
            hit = self._known_parties.get(party_id)
            if hit is not None and now < hit[0]:
                found[party_id] = hit[1]
            else:
                missing.add(party_id)
        if missing:
            read = self._read_parties(missing)
            if self._cache_s > 0:
                if len(self._known_parties) >= _MAX_CHECKED:
                    self._known_parties.clear()
                self._known_parties.update((i, (now + self._cache_s, p)) for i, p in read.items())
            found.update(read)
        return found

    @db_errors
    def people(self) -> dict[str, Party]:
        """Every party registered with an organisation (the lifecycle's people), by id."""
        return self._read_parties(None)

    @db_errors
    def _read_parties(self, party_ids: set[str] | None) -> dict[str, Party]:
        p = db.parties.c
        query = select(db.parties)
        query = query.where(
            p.organisation.is_not(None) if party_ids is None else p.id.in_(party_ids)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            r.id: Party(
                r.id,
                r.name,
                r.kind,
                tuple(r.roles.split()),
                r.created_at,
                r.organisation,
                tuple(r.lifecycle_roles.split()),
            )
            for r in rows
        }

    @db_errors
    def issue_token(self, party_id: str) -> IssuedToken:
        self.party(party_id)
        token_id = secrets.token_hex(8)
        token = f"sl_{token_id}_{secrets.token_urlsafe(32)}"
        with db.write(self.engine) as conn:
            conn.execute(
                insert(db.tokens).values(
                    id=token_id, party_id=party_id, token_hash=_hash(token), created_at=utc_now()
                )
            )
        return IssuedToken(token_id, party_id, token)

    @db_errors
    def revoke_token(self, token_id: str) -> None:
        with db.write(self.engine) as conn:
            done = conn.execute(
                update(db.tokens)
                .where(db.tokens.c.id == token_id, db.tokens.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        self._checked.clear()
        if done.rowcount == 0:
            raise NotFoundError(f"no active token {token_id}")

    def forget(self, party_id: str) -> None:
        """Drop what this store remembers of a party (after its roles or organisation changed):
        its next request is checked against the database. Other processes' caches expire within
        ``cache_s``."""
        self._known_parties.pop(party_id, None)
        checked = list(self._checked.items())  # one step under the GIL: other threads add
        for digest in [d for d, (_, who) in checked if who.party_id == party_id]:
            self._checked.pop(digest, None)

    def recently_checked(self, token: str) -> Principal | None:
        """The principal of a token checked within ``cache_s`` (or the bootstrap administrator's
        token), without touching the database; None when it must be checked."""
        return self._known(_hash(token))

    def _known(self, digest: bytes) -> Principal | None:
        if self._admin_token_hash is not None and hmac.compare_digest(
            digest, self._admin_token_hash
        ):
            return Principal(BOOTSTRAP_ADMIN, frozenset({"admin"}))
        checked = self._checked.get(digest)
        if checked is not None and self._clock() < checked[0]:
            return checked[1]
        return None

    @db_errors
    def authenticate(self, token: str) -> Principal:
        """The principal of a bearer token; :class:`AuthError` for anything else."""
        digest = _hash(token)
        who = self._known(digest)
        if who is not None:
            return who
        t, p = db.tokens.c, db.parties.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(p.id, p.roles, t.revoked_at)
                .join(db.parties, p.id == t.party_id)
                .where(t.token_hash == digest)
            ).first()
        if row is None:
            raise AuthError("the bearer token is not valid")
        if row.revoked_at is not None:
            raise AuthError("the bearer token was revoked")
        who = Principal(row.id, frozenset(row.roles.split()))
        if self._cache_s > 0:
            if len(self._checked) >= _MAX_CHECKED:
                self._checked.clear()
            self._checked[digest] = (self._clock() + self._cache_s, who)
        return who

    @db_errors
    def new_key(self, party_id: str, key_id: str, alg: str, public_key_b64: str) -> bytes:
        """Check a key can be registered (the party exists, the id is free, the key is a base64
        public key of ``alg``, notary/sigalgs.py); its raw bytes."""
        self.party(party_id)
        try:
            raw = base64.b64decode(public_key_b64, validate=True)
        except ValueError as e:
            raise RecordError("must be base64", field="public_key") from e
        parse_public_key(alg, raw)
        if self._key_row(party_id, key_id) is not None:
            raise ConflictError(f"party {party_id} has a key {key_id} already")
        return raw

    @db_errors
    def add_key(self, key: RegisteredKey, *, leaf: int) -> None:
        """Record a key whose ``key_registration`` record is at ``leaf`` in the log (its
        certificates stay in that record)."""
        try:
            with db.write(self.engine) as conn:
                conn.execute(
                    insert(db.party_keys).values(
                        party_id=key.party,
                        key_id=key.key_id,
                        alg=key.alg,
                        public_key=key.public_key,
                        created_at=utc_now(),
                        registration_leaf=leaf,
                    )
                )
        except IntegrityError as e:
            raise ConflictError(f"party {key.party} has a key {key.key_id} already") from e

    @db_errors
    def active_key(self, party_id: str, key_id: str) -> None:
        """Raise unless the party has this key and it is not revoked."""
        row = self._key_row(party_id, key_id)
        if row is None or row.revoked_at is not None:
            raise NotFoundError(f"party {party_id} has no active key {key_id}")

    @db_errors
    def revoke_key(self, party_id: str, key_id: str) -> None:
        k = db.party_keys.c
        with db.write(self.engine) as conn:
            conn.execute(
                update(db.party_keys)
                .where(k.party_id == party_id, k.key_id == key_id, k.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )

    @db_errors
    def registration_leaves(self, keys: Iterable[tuple[str, str]]) -> list[int]:
        """The leaf indices of the registration records of ``(party, key_id)`` pairs, for those
        registered since key transparency (older keys have none)."""
        leaves = []
        for party_id, key_id in set(keys):
            row = self._key_row(party_id, key_id)
            if row is not None and row.registration_leaf is not None:
                leaves.append(int(row.registration_leaf))
        return sorted(leaves)

    @db_errors
    def _key_row(self, party_id: str, key_id: str) -> Any:
        k = db.party_keys.c
        with self.engine.connect() as conn:
            return conn.execute(
                select(k.revoked_at, k.registration_leaf).where(
                    k.party_id == party_id, k.key_id == key_id
                )
            ).first()

    @db_errors
    def signing_key(self, party_id: str, key_id: str) -> RegisteredKey | None:
        """The party's active (unrevoked) key ``key_id``; None if it has none."""
        k = db.party_keys.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(k.alg, k.public_key).where(
                    k.party_id == party_id, k.key_id == key_id, k.revoked_at.is_(None)
                )
            ).first()
        if row is None or row.alg not in ALGS:
            return None
        return RegisteredKey(party_id, key_id, bytes(row.public_key), row.alg)
