# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""One photo in several projects: a site photo flagged, when filed, as the same file as a photo of
another project (SHA-256) or a resized or re-encoded copy of one (perceptual hash)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from notary.evidence.photos import PHASH_BITS, PhotoMatch
from notary.oversight.alert import Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds, listed
from notary.oversight.snapshot import FlaggedPhoto, ProjectSnapshot, RecordRef

__all__ = ["PhotoReused", "ReuseThresholds"]

_COPY_FLAGS = ("photo.duplicate", "photo.near_duplicate")


class ReuseThresholds(Thresholds):
    #: Near copies at most this many bits apart (perceptual hash) count; identical files always.
    max_distance: int = Field(default=10, ge=0, le=PHASH_BITS)


class PhotoReused(ProjectRule[ReuseThresholds]):
    id = "photo_reused"
    title = Words(en="One photo filed in several projects", zh="同一照片用于多个项目")
    explanation = Words(
        en="A site photo is the same picture (or a resized copy of it) as a photo filed in "
        "another project.",
        zh="现场照片与其他项目已提交的照片相同（或为其缩放副本）。",
    )
    severity: Severity = "serious"
    thresholds = ReuseThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: ReuseThresholds, at: datetime
    ) -> Iterator[Finding]:
        for photo in s.photos:
            matches = _copies(photo, thresholds)
            if not matches:
                continue
            others = sorted({m.project or "-" for m in matches})
            near = [m.distance for m in matches if m.distance is not None]
            leaf = photo.event.ref.leaf_index
            yield Finding(
                en=f"Site photo {leaf} of project {s.code} is the picture of {len(matches)} "
                f"photo(s) filed in {listed(others)}.",
                zh=f"项目 {s.code} 的现场照片（第 {leaf} 条记录）与{listed(others, '、')}"
                f"已提交的 {len(matches)} 张照片为同一画面。",
                figures={"copies": len(matches), "closest_distance_bits": min(near, default=0)},
                evidence=[
                    photo.event.ref,
                    *(
                        RecordRef(m.leaf_index, m.record_id, m.project, "site_photo")
                        for m in matches
                    ),
                ],
                also=[m.project for m in matches],
            )


def _copies(photo: FlaggedPhoto, thresholds: ReuseThresholds) -> list[PhotoMatch]:
    """The other projects' photos this one copies, within the thresholds."""
    found = []
    for flag in photo.flags:
        if flag.id not in _COPY_FLAGS:
            continue
        for shown in flag.evidence.get("matches", ()):
            match = PhotoMatch.model_validate(shown)
            exact = flag.id == "photo.duplicate"
            if exact or (match.distance is not None and match.distance <= thresholds.max_distance):
                found.append(match)
    return found
