"""Site photos on the record path: what is read of a photo on its way in, the flags raised once
its record is in the log, the index rebuilt from the log and the files, and what readers see.

A ``site_photo`` record with a file is read before it is appended (:func:`read_upload`, on a
worker thread: the EXIF position and capture time, the perceptual hash), then flagged and indexed
right after the append, on the committer's thread and so in log order (:meth:`SitePhotos.file`).
A photo is held against its project's registered site and planned dates, and against the photos
filed *earlier in the log* under other projects: its flags follow from the log and the files
alone, and :meth:`SitePhotos.reindex` (``sunlight photos reindex``) gives a photo that a stopped
process appended but never indexed the very flags it would have had.

The record keeps what the client stated (``data.location``, ``data.taken_at``); the EXIF facts are
not written into it, since anyone can read them again from the notarized file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

from pydantic import BaseModel, ConfigDict

from api.service.evidence import ImageFacts, assess_photo, photo_policy, read_image
from api.storage.entries import StoredEntry
from api.storage.log import LogStore
from api.storage.photos import SITE_PHOTO, IndexedPhoto, PhotoIndex
from api.storage.projects import ProjectStore
from notary.blobs import BlobStore
from notary.errors import NotFoundError, RecordError
from notary.evidence.photos import (
    Flag,
    Observation,
    PhotoEvidence,
    PhotoPolicy,
    ProjectFrame,
    client_observation,
)
from notary.lifecycle import ProjectState
from notary.records import Record

if TYPE_CHECKING:
    from api.context import AppContext

__all__ = ["ShownEvidence", "SitePhotos", "is_site_photo", "read_upload", "shown_evidence"]

#: Leaves of site photos read from the index per query when reindexing.
_REINDEX_BATCH = 500


def is_site_photo(record: Record) -> bool:
    """Whether ``record`` is a site photo with a file: one whose evidence is read and indexed."""
    return record.kind == SITE_PHOTO and record.content is not None


def read_upload(stream: BinaryIO) -> ImageFacts:
    """The facts of an uploaded file that the blob store has just read to its end."""
    stream.seek(0)
    return read_image(stream)


def _client(record: Record) -> Observation:
    try:
        return client_observation(record.data)
    except RecordError:  # a record filed before statements were checked on the way in
        return Observation()


class SitePhotos:
    """Flags and indexes site photos in one database (:class:`~api.storage.photos.PhotoIndex`),
    against the projects registered there."""

    def __init__(self, index: PhotoIndex, projects: ProjectStore, policy: PhotoPolicy) -> None:
        self.index = index
        self._projects = projects
        self._policy = policy

    @classmethod
    def of(cls, ctx: AppContext) -> SitePhotos:
        return cls(PhotoIndex(ctx.notary.log.engine), ctx.projects, photo_policy(ctx.settings))

    def frame(self, code: str | None) -> ProjectFrame:
        """Where and when ``code``'s works are planned, as its registration says (nothing for a
        standalone record or a project not under the lifecycle)."""
        if code is None:
            return ProjectFrame()
        try:
            state = self._projects.project(code).row.state
        except NotFoundError:
            return ProjectFrame(code=code)
        project = ProjectState.model_validate_json(state).project
        if project is None:
            return ProjectFrame(code=code)
        return ProjectFrame(
            code=code, site=project.site, start=project.planned_start, end=project.planned_end
        )

    def file(self, record_id: str, leaf: int, record: Record, facts: ImageFacts) -> IndexedPhoto:
        """Flag the site photo appended at ``leaf`` and index it (a leaf indexed already stays as
        it is). Call in log order: a photo is compared with those before it."""
        assert record.content is not None, "a site photo with a file"
        evidence = PhotoEvidence(
            sha256=record.content.sha256,
            phash=facts.phash,
            exif=facts.exif,
            client=_client(record),
        )
        frame = self.frame(record.project)
        flags = assess_photo(self.index, evidence, frame, self._policy, before=leaf)
        photo = IndexedPhoto(leaf, record_id, record.project, evidence, flags)
        self.index.add([photo])
        return photo

    def reindex(self, log: LogStore, blobs: BlobStore) -> int:
        """Index every site photo of the log the index lacks, in log order, each read again from
        its notarized file; return how many. A file that cannot be read stops the run with its
        error (run it again once the store is back: what was indexed stays)."""
        after, added = -1, 0
        while leaves := self.index.unindexed(after, _REINDEX_BATCH):
            for leaf in leaves:
                stored = log.get_by_index(leaf)
                record = stored.record
                assert record.content is not None and record.content.cid is not None
                with blobs.open(record.content.cid) as reader:
                    facts = read_image(reader)
                self.file(stored.record_id, leaf, record, facts)
                added += 1
            after = leaves[-1]
        return added


class ShownEvidence(BaseModel):
    """A site photo's evidence as a reader sees it: what its EXIF says (read by the server from
    the notarized file), its perceptual hash (16 hex digits), and the flags raised when it was
    filed. A flag's matching photo that the reader may not read is shown as its project and leaf
    only (``withheld``)."""

    model_config = ConfigDict(frozen=True)

    exif: Observation
    phash: str | None
    flags: tuple[Flag, ...]


def shown_evidence(
    log: LogStore,
    photos: Iterable[IndexedPhoto],
    may_read: Callable[[StoredEntry], bool],
) -> dict[int, ShownEvidence]:
    """The evidence of ``photos`` (records the reader may read) as the reader is shown it, by
    leaf; ``may_read`` says whether the reader may read another record."""
    seen: dict[int, bool] = {}

    def visible(leaf: int) -> bool:
        if leaf not in seen:
            seen[leaf] = may_read(log.get_by_index(leaf))
        return seen[leaf]

    def match(m: dict[str, Any]) -> dict[str, Any]:
        if visible(int(m["leaf_index"])):
            return m
        return {"project": m["project"], "leaf_index": m["leaf_index"], "withheld": True}

    def flag(f: Flag) -> Flag:
        matches = f.evidence.get("matches")
        if not isinstance(matches, list):
            return f
        return f.model_copy(
            update={"evidence": {**f.evidence, "matches": list(map(match, matches))}}
        )

    return {
        p.leaf_index: ShownEvidence(
            exif=p.evidence.exif,
            phash=None if p.evidence.phash is None else f"{p.evidence.phash:016x}",
            flags=tuple(map(flag, p.flags)),
        )
        for p in photos
    }
