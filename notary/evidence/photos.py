# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""The flag rules for site photos: facts in, flags out, nothing refused.

A photo's evidence is what two sources say about it, each an :class:`Observation` (a position with
its accuracy, a capture time): the image's own EXIF, read by the server, and what the client stated
in the record. :func:`photo_flags` holds them against the project's site and planned dates and
against the photos found in *other* projects with the same SHA-256 or a near perceptual hash, and
returns :class:`Flag` s: each with a stable ``id``, a message in English and in Chinese, and the
evidence behind it. A flag is for a reviewer to look at; it never makes a photo invalid.

Times: a capture time without an offset (EXIF often has none) is the camera's wall clock. Dates are
compared by that wall-clock date; two times are compared as instants when both have an offset, by
wall clock otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from notary.errors import RecordError
from notary.evidence.geo import GeoPoint, Site, distance_m, distance_outside_m
from notary.records import Hex64, ProjectCode, first_problem

__all__ = [
    "MAX_LISTED_MATCHES",
    "PHASH_BITS",
    "Flag",
    "FlagId",
    "Observation",
    "PhotoEvidence",
    "PhotoMatch",
    "PhotoPolicy",
    "ProjectFrame",
    "StatedLocation",
    "client_observation",
    "hamming",
    "photo_flags",
]

PHASH_BITS = 64
#: A flag lists at most this many matching photos (and says how many there were).
MAX_LISTED_MATCHES = 20
#: A reported GPS accuracy beyond this (metres) is not a position worth checking.
MAX_ACCURACY_M = 100_000.0

FlagId = Literal[
    "photo.no_location",
    "photo.outside_site",
    "photo.no_time",
    "photo.outside_dates",
    "photo.exif_client_mismatch",
    "photo.duplicate",
    "photo.near_duplicate",
]
Source = Literal["exif", "client"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Observation(BaseModel):
    """What one source (the EXIF, or the client) says about where and when a photo was taken."""

    model_config = _FROZEN

    location: GeoPoint | None = None
    #: The radius (metres) the device reports its position good to; used as tolerance.
    accuracy_m: float | None = Field(
        default=None, strict=True, allow_inf_nan=False, ge=0.0, le=MAX_ACCURACY_M
    )
    #: With an offset when the source gave one; without, the camera's wall clock.
    taken_at: datetime | None = None


class PhotoEvidence(BaseModel):
    """The facts about one photo: its digest, its perceptual hash (None if it could not be
    decoded), and what its EXIF and its client say."""

    model_config = _FROZEN

    sha256: Hex64
    phash: int | None = Field(default=None, strict=True, ge=0, lt=2**PHASH_BITS)
    exif: Observation = Observation()
    client: Observation = Observation()


class ProjectFrame(BaseModel):
    """Where and when a project's works are planned: its site, its first and last day."""

    model_config = _FROZEN

    code: ProjectCode | None = None
    site: Site | None = None
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> ProjectFrame:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("a project cannot end before it starts")
        return self


class PhotoMatch(BaseModel):
    """A photo in another project found to be the same (SHA-256) or near (perceptual hash)."""

    model_config = _FROZEN

    project: ProjectCode | None
    leaf_index: int = Field(strict=True, ge=0)
    record_id: str = Field(max_length=40)
    sha256: Hex64
    #: Hamming distance between the perceptual hashes; None when either photo has none.
    distance: int | None = Field(default=None, strict=True, ge=0, le=PHASH_BITS)


class PhotoPolicy(BaseModel):
    """The thresholds of the rules (the service builds it from its settings)."""

    model_config = _FROZEN

    #: Days a photo may be taken before the planned start or after the planned end.
    date_tolerance_days: int = Field(default=7, ge=0, le=3650)
    #: Perceptual hashes at most this many bits apart are the same picture.
    near_duplicate_distance: int = Field(default=10, ge=0, le=PHASH_BITS // 4)
    #: EXIF and client positions further apart than this plus both accuracies disagree.
    location_mismatch_m: float = Field(default=100.0, ge=0.0, allow_inf_nan=False)
    #: EXIF and client capture times further apart than this disagree.
    time_mismatch_s: int = Field(default=3600, ge=0)


class Flag(BaseModel):
    """Something a reviewer should look at, with the evidence that raised it (JSON values)."""

    model_config = _FROZEN

    id: FlagId
    message_en: str
    message_zh: str
    evidence: dict[str, Any]


def hamming(a: int, b: int) -> int:
    """The number of bits in which two perceptual hashes differ."""
    return (a ^ b).bit_count()


def _text_only(value: Any) -> Any:
    """Times come as RFC 3339 text: not as numbers (which pydantic would read as Unix times)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("must be an RFC 3339 timestamp with an offset, as text")
    return value


class StatedLocation(GeoPoint):
    """A position as a client states it in ``data.location``: ``{lat, lon, accuracy_m?}``."""

    accuracy_m: float | None = Field(
        default=None, strict=True, allow_inf_nan=False, ge=0.0, le=MAX_ACCURACY_M
    )


class _ClientStatement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    location: StatedLocation | None = None
    taken_at: Annotated[AwareDatetime, BeforeValidator(_text_only)] | None = None


def client_observation(data: Mapping[str, Any]) -> Observation:
    """What a client stated in a site photo record's ``data``: ``location`` (``{lat, lon,
    accuracy_m?}``) and ``taken_at`` (RFC 3339 with an offset), each optional. Other keys are not
    read. Raises RecordError naming the field (``data.location.lat``) if either is malformed."""
    try:
        stated = _ClientStatement.model_validate(dict(data))
    except ValidationError as e:
        where, msg = first_problem(e, "")
        raise RecordError(msg, field=f"data.{where}") from e
    where_taken = stated.location
    return Observation(
        location=GeoPoint(lat=where_taken.lat, lon=where_taken.lon) if where_taken else None,
        accuracy_m=where_taken.accuracy_m if where_taken else None,
        taken_at=stated.taken_at,
    )


def photo_flags(
    evidence: PhotoEvidence,
    project: ProjectFrame,
    matches: Iterable[PhotoMatch] = (),
    policy: PhotoPolicy | None = None,
) -> tuple[Flag, ...]:
    """Every flag the rules raise for a photo, in a fixed order (location, time, agreement,
    copies). ``matches`` are photos from other projects (the index excludes the photo's own)."""
    policy = policy or PhotoPolicy()
    sources: tuple[tuple[Source, Observation], ...] = (
        ("exif", evidence.exif),
        ("client", evidence.client),
    )
    return (
        *_location_flags(sources, project),
        *_time_flags(sources, project, policy),
        *_mismatch_flags(evidence.exif, evidence.client, policy),
        *_copy_flags(evidence, tuple(matches), policy),
    )


def _location_flags(
    sources: tuple[tuple[Source, Observation], ...], project: ProjectFrame
) -> list[Flag]:
    located = [(name, obs, obs.location) for name, obs in sources if obs.location is not None]
    if not located:
        return [
            Flag(
                id="photo.no_location",
                message_en="The photo carries no position: neither its EXIF nor the client gave one.",
                message_zh="照片没有位置信息：EXIF 和客户端均未提供。",
                evidence={},
            )
        ]
    if project.site is None:
        return []
    flags = []
    for name, obs, point in located:
        outside = distance_outside_m(project.site, point)
        tolerance = obs.accuracy_m or 0.0
        if outside > tolerance:
            flags.append(
                Flag(
                    id="photo.outside_site",
                    message_en=f"Taken {outside:.0f} m outside the project site "
                    f"(position from {_SOURCE_EN[name]}, accuracy {tolerance:.0f} m).",
                    message_zh=f"拍摄位置在项目工地范围外 {outside:.0f} 米"
                    f"（位置来自{_SOURCE_ZH[name]}，精度 {tolerance:.0f} 米）。",
                    evidence={
                        "source": name,
                        "lat": point.lat,
                        "lon": point.lon,
                        "distance_m": round(outside, 1),
                        "tolerance_m": tolerance,
                    },
                )
            )
    return flags


def _time_flags(
    sources: tuple[tuple[Source, Observation], ...], project: ProjectFrame, policy: PhotoPolicy
) -> list[Flag]:
    timed = [(name, obs.taken_at) for name, obs in sources if obs.taken_at is not None]
    if not timed:
        return [
            Flag(
                id="photo.no_time",
                message_en="The photo carries no capture time: neither its EXIF nor the client gave one.",
                message_zh="照片没有拍摄时间：EXIF 和客户端均未提供。",
                evidence={},
            )
        ]
    slack = timedelta(days=policy.date_tolerance_days)
    earliest = project.start - slack if project.start else None
    latest = project.end + slack if project.end else None
    flags = []
    for name, taken_at in timed:
        day = taken_at.date()
        days_out = (earliest - day).days if earliest and day < earliest else 0
        days_out = (day - latest).days if latest and day > latest else days_out
        if days_out:
            flags.append(
                Flag(
                    id="photo.outside_dates",
                    message_en=f"Taken on {day}, {days_out} day(s) outside the project's planned "
                    f"dates (time from {_SOURCE_EN[name]}).",
                    message_zh=f"拍摄日期 {day} 超出项目计划工期 {days_out} 天"
                    f"（时间来自{_SOURCE_ZH[name]}）。",
                    evidence={
                        "source": name,
                        "taken_at": taken_at.isoformat(),
                        "start": project.start.isoformat() if project.start else None,
                        "end": project.end.isoformat() if project.end else None,
                        "tolerance_days": policy.date_tolerance_days,
                        "days_outside": days_out,
                    },
                )
            )
    return flags


def _mismatch_flags(exif: Observation, client: Observation, policy: PhotoPolicy) -> list[Flag]:
    flags = []
    if exif.location is not None and client.location is not None:
        apart = distance_m(exif.location, client.location)
        allowed = policy.location_mismatch_m + (exif.accuracy_m or 0) + (client.accuracy_m or 0)
        if apart > allowed:
            flags.append(
                Flag(
                    id="photo.exif_client_mismatch",
                    message_en=f"The position in the photo's EXIF is {apart:.0f} m from the one "
                    "the client stated.",
                    message_zh=f"照片 EXIF 中的位置与客户端提交的位置相距 {apart:.0f} 米。",
                    evidence={"field": "location", "distance_m": round(apart, 1)},
                )
            )
    if exif.taken_at is not None and client.taken_at is not None:
        apart_s = abs(_seconds_between(exif.taken_at, client.taken_at))
        if apart_s > policy.time_mismatch_s:
            flags.append(
                Flag(
                    id="photo.exif_client_mismatch",
                    message_en=f"The capture time in the photo's EXIF is {_duration_en(apart_s)} "
                    "from the one the client stated.",
                    message_zh=f"照片 EXIF 中的拍摄时间与客户端提交的时间相差 {_duration_zh(apart_s)}。",
                    evidence={"field": "taken_at", "difference_s": round(apart_s)},
                )
            )
    return flags


def _copy_flags(
    evidence: PhotoEvidence, matches: tuple[PhotoMatch, ...], policy: PhotoPolicy
) -> list[Flag]:
    same = [m for m in matches if m.sha256 == evidence.sha256]
    near = [
        m
        for m in matches
        if m.sha256 != evidence.sha256
        and m.distance is not None
        and m.distance <= policy.near_duplicate_distance
    ]
    flags = []
    if same:
        flags.append(
            Flag(
                id="photo.duplicate",
                message_en=f"The same file (SHA-256) was filed in {_projects_en(same)}.",
                message_zh=f"同一文件（SHA-256 相同）已提交至{_projects_zh(same)}。",
                evidence=_listed(same),
            )
        )
    if near:
        flags.append(
            Flag(
                id="photo.near_duplicate",
                message_en=f"A resized or re-encoded copy of this picture was filed in "
                f"{_projects_en(near)}.",
                message_zh=f"此照片经缩放或重新压缩的副本已提交至{_projects_zh(near)}。",
                evidence=_listed(sorted(near, key=lambda m: (m.distance, m.leaf_index))),
            )
        )
    return flags


def _listed(matches: list[PhotoMatch]) -> dict[str, Any]:
    shown = matches[:MAX_LISTED_MATCHES]
    return {
        "count": len(matches),
        "matches": [m.model_dump(mode="json") for m in shown],
    }


def _project_names(matches: list[PhotoMatch]) -> list[str]:
    return sorted({m.project or "-" for m in matches})


def _projects_en(matches: list[PhotoMatch]) -> str:
    names = _project_names(matches)
    return ("project " if len(names) == 1 else f"{len(names)} other projects: ") + ", ".join(
        names[:5]
    )


def _projects_zh(matches: list[PhotoMatch]) -> str:
    names = _project_names(matches)
    return f"其他 {len(names)} 个项目：" + "、".join(names[:5])


def _seconds_between(a: datetime, b: datetime) -> float:
    if (a.tzinfo is None) != (b.tzinfo is None):  # one is a bare wall clock: compare wall clocks
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return (a - b).total_seconds()


def _duration_en(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def _duration_zh(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} 小时" if hours < 48 else f"{hours / 24:.0f} 天"


_SOURCE_EN: dict[Source, str] = {"exif": "the photo's EXIF", "client": "the client"}
_SOURCE_ZH: dict[Source, str] = {"exif": "照片 EXIF", "client": "客户端"}
