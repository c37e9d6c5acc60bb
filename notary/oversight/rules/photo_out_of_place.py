# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""Photos out of place or time: a site photo flagged, when filed, as taken outside the project's
site or outside its planned dates (the flags of :mod:`notary.evidence.photos`; this rule reads them
and recomputes no geometry)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from notary.oversight.alert import Figure, Severity, Words
from notary.oversight.rule import Finding, ProjectRule, Thresholds
from notary.oversight.snapshot import ProjectSnapshot

__all__ = ["PhotoOutOfPlace", "PlaceThresholds"]


class PlaceThresholds(Thresholds):
    #: A photo at most this far outside the site (beyond its GPS accuracy) is let pass.
    min_distance_m: float = Field(default=50.0, ge=0.0, le=1e7, allow_inf_nan=False)
    #: A photo at most this many days outside the dates (beyond the photo policy's tolerance)
    #: is let pass.
    min_days_outside: int = Field(default=0, ge=0, le=3650)


class PhotoOutOfPlace(ProjectRule[PlaceThresholds]):
    id = "photo_out_of_place"
    title = Words(en="Site photo outside the site or the dates", zh="现场照片不在工地或工期内")
    explanation = Words(
        en="A site photo's position lies outside the project's site, or its capture date "
        "outside the project's planned dates.",
        zh="现场照片的拍摄位置在项目工地范围之外，或拍摄日期在计划工期之外。",
    )
    severity: Severity = "warning"
    thresholds = PlaceThresholds

    def check(
        self, s: ProjectSnapshot, thresholds: PlaceThresholds, at: datetime
    ) -> Iterator[Finding]:
        limits = {
            "photo.outside_site": ("distance_m", thresholds.min_distance_m),
            "photo.outside_dates": ("days_outside", thresholds.min_days_outside),
        }
        for photo in s.photos:
            over = [
                (flag, limits[flag.id][0])
                for flag in photo.flags
                if flag.id in limits
                and flag.evidence.get(limits[flag.id][0], 0) > limits[flag.id][1]
            ]
            if not over:
                continue
            figures: dict[str, Figure] = {}
            for flag, figure in over:  # the worst of the EXIF's and the client's
                figures[figure] = max(flag.evidence[figure], figures.get(figure) or 0)
            leaf = photo.event.ref.leaf_index
            yield Finding(
                en=f"Site photo {leaf} of project {s.code}: "
                + " ".join(dict.fromkeys(f.message_en for f, _ in over)),
                zh=f"项目 {s.code} 的现场照片（第 {leaf} 条记录）："
                + "".join(dict.fromkeys(f.message_zh for f, _ in over)),
                figures=figures,
                evidence=[photo.event.ref],
            )
