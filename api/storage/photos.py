"""The index of site photos: which project filed which photo, to find copies across projects.

Each filed photo is a row keyed by its record's leaf index, holding its SHA-256, its 64-bit
perceptual hash, its evidence and the flags raised when it was filed. Near copies are found by
multi-index hashing: the hash is cut into four 16-bit bands, each indexed; two hashes at most ``t``
bits apart agree within ``t // 4`` bits on at least one band (pigeonhole), so a lookup asks for
every band value that close to the photo's own (137 values per band for ``t = 10``), then keeps the
candidates truly within ``t``. The cost grows with the candidates, not with the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import TypeVar

from sqlalchemy import Engine, Row, exists, insert, or_, select

from api.storage import db
from api.storage.errors import db_errors
from notary.errors import InvalidRequestError
from notary.evidence.photos import PHASH_BITS, Flag, PhotoEvidence, PhotoMatch, hamming

__all__ = ["MAX_LOOKUP_DISTANCE", "MAX_MATCHES", "SITE_PHOTO", "IndexedPhoto", "PhotoIndex"]

#: The record kind whose files are indexed.
SITE_PHOTO = "site_photo"

_T = TypeVar("_T")

_BAND_BITS = PHASH_BITS // db.PHASH_BANDS
_BAND_MASK = (1 << _BAND_BITS) - 1
#: Lookups farther than this would ask for too many band values (2517 per band at 16).
MAX_LOOKUP_DISTANCE = 16
#: A lookup returns at most this many photos, the closest first.
MAX_MATCHES = 1000
#: Rows inserted per statement (PostgreSQL and SQLite bound the parameters of one statement).
_INSERT_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IndexedPhoto:
    """A filed photo: its record (leaf index, id, project), its evidence and the flags raised."""

    leaf_index: int
    record_id: str
    project: str | None
    evidence: PhotoEvidence
    flags: tuple[Flag, ...] = ()


def _signed(phash: int) -> int:
    """The 64-bit hash as a signed BIGINT (two's complement)."""
    return phash - (1 << PHASH_BITS) if phash >> (PHASH_BITS - 1) else phash


def _bands(phash: int) -> list[int]:
    return [(phash >> (_BAND_BITS * i)) & _BAND_MASK for i in range(db.PHASH_BANDS)]


@cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every band-wide mask with at most ``radius`` bits set."""
    return tuple(
        sum(1 << b for b in bits)
        for r in range(radius + 1)
        for bits in combinations(range(_BAND_BITS), r)
    )


class PhotoIndex:
    """Filed photos in the service's database (the ``photos`` table). A database failure is
    raised as :class:`~notary.errors.LogError` (or ``StorageFullError``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @db_errors
    def add(self, photos: Sequence[IndexedPhoto]) -> int:
        """Index photos; one whose leaf is indexed already is left as it is (so rebuilding the
        index from the log may repeat itself). Returns how many were added."""
        with db.write(self.engine) as conn:
            leaves = [p.leaf_index for p in photos]
            known = {
                leaf
                for chunk in _chunks(leaves)
                for leaf in conn.scalars(
                    select(db.photos.c.leaf_index).where(db.photos.c.leaf_index.in_(chunk))
                )
            }
            fresh = {p.leaf_index: p for p in photos if p.leaf_index not in known}
            rows = [_row(p) for p in fresh.values()]
            for chunk in _chunks(rows):
                conn.execute(insert(db.photos), chunk)
        return len(rows)

    @db_errors
    def get(self, leaf_index: int) -> IndexedPhoto | None:
        """The photo filed at ``leaf_index``, with its evidence and flags; None if none was."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(db.photos).where(db.photos.c.leaf_index == leaf_index)
            ).first()
        return None if row is None else _photo(row)

    @db_errors
    def get_many(self, leaves: Sequence[int]) -> dict[int, IndexedPhoto]:
        """The photos filed at ``leaves`` (those that are photos), by leaf index."""
        found: dict[int, IndexedPhoto] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(leaves)):
                rows = conn.execute(select(db.photos).where(db.photos.c.leaf_index.in_(chunk)))
                found.update((p.leaf_index, p) for p in map(_photo, rows))
        return found

    @db_errors
    def unindexed(self, after: int, limit: int) -> list[int]:
        """The leaves after ``after`` of site photos with a file that the index lacks (their
        process stopped between the append and the indexing), in log order, at most ``limit``."""
        e, t = db.entries.c, db.photos.c
        query = (
            select(e.idx)
            .where(
                e.idx > after,
                e.kind == SITE_PHOTO,
                e.content_cid.is_not(None),
                ~exists().where(t.leaf_index == e.idx),
            )
            .order_by(e.idx)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [int(i) for i in conn.scalars(query)]

    @db_errors
    def matches(
        self,
        sha256: str,
        phash: int | None,
        *,
        exclude_project: str | None,
        max_distance: int,
        before: int | None = None,
    ) -> tuple[PhotoMatch, ...]:
        """Photos filed under another project than ``exclude_project`` (None: under a project)
        that are the same file (``sha256``) or whose perceptual hash is at most ``max_distance``
        bits from ``phash``: the same files first, then the nearest; at most MAX_MATCHES.
        ``before``: only photos at a lower leaf (filed earlier in the log)."""
        if not 0 <= max_distance <= MAX_LOOKUP_DISTANCE:
            raise InvalidRequestError(f"max_distance must be 0..{MAX_LOOKUP_DISTANCE}")
        t = db.photos.c
        wanted = [t.sha256 == sha256]
        if phash is not None:
            flips = _flips(max_distance // db.PHASH_BANDS)
            wanted += [
                t[f"band{i}"].in_(sorted(band ^ f for f in flips))
                for i, band in enumerate(_bands(phash))
            ]
        query = select(t.leaf_index, t.record_id, t.project, t.sha256, t.phash).where(
            or_(*wanted), t.project.is_distinct_from(exclude_project)
        )
        if before is not None:
            query = query.where(t.leaf_index < before)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        found = []
        for leaf, record_id, project, their_sha, their_phash in rows:
            distance = (
                None
                if phash is None or their_phash is None
                else hamming(phash, their_phash & ((1 << PHASH_BITS) - 1))
            )
            if their_sha == sha256 or (distance is not None and distance <= max_distance):
                found.append(
                    PhotoMatch(
                        project=project,
                        leaf_index=leaf,
                        record_id=record_id,
                        sha256=their_sha,
                        distance=distance,
                    )
                )
        found.sort(key=lambda m: (m.sha256 != sha256, m.distance or 0, m.leaf_index))
        return tuple(found[:MAX_MATCHES])


def _chunks(items: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(items), _INSERT_CHUNK):
        yield items[start : start + _INSERT_CHUNK]


def _row(photo: IndexedPhoto) -> dict[str, object]:
    phash = photo.evidence.phash
    bands = _bands(phash) if phash is not None else [None] * db.PHASH_BANDS
    return {
        "leaf_index": photo.leaf_index,
        "record_id": photo.record_id,
        "project": photo.project,
        "sha256": photo.evidence.sha256,
        "phash": None if phash is None else _signed(phash),
        **{f"band{i}": band for i, band in enumerate(bands)},
        "evidence": photo.evidence.model_dump_json(),
        "flags": json.dumps([f.model_dump(mode="json") for f in photo.flags], ensure_ascii=False),
    }


def _photo(row: Row[tuple[object, ...]]) -> IndexedPhoto:
    m = row._mapping
    return IndexedPhoto(
        leaf_index=int(m["leaf_index"]),
        record_id=str(m["record_id"]),
        project=None if m["project"] is None else str(m["project"]),
        evidence=PhotoEvidence.model_validate_json(str(m["evidence"])),
        flags=tuple(Flag.model_validate(f) for f in json.loads(str(m["flags"]))),
    )
