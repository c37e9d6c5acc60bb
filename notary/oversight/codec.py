"""A project snapshot as JSON, and the MAC that lets a server trust one it stored.

The server keeps each project's :class:`ProjectSnapshot` in its database so that a restart loads
the snapshots instead of folding the whole log again (api/storage/snapshots.py). This module is
the pure half of that: :func:`encode_snapshot` / :func:`decode_snapshot` between a snapshot and a
JSON-able value (plain data only, never code: a database row is never executed), and
:func:`snapshot_mac`, the HMAC-SHA256 that binds a stored body to its project, the head leaf index
it was folded through and a fingerprint of everything the fold depended on.

The encoding is positional (lists, not objects) to keep 100,000 snapshots small and quick to
read; :data:`SNAPSHOT_FORMAT` names it and is part of every MAC, so a new encoding is a new
format and the old rows simply stop verifying. :func:`decode_snapshot` is meant for bodies whose
MAC verified (this server wrote them): it refuses a malformed body with :class:`SnapshotError`
but does not re-check each value's type.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from notary.evidence.photos import Flag
from notary.lifecycle import Project, Step
from notary.oversight.snapshot import (
    Event,
    FlaggedPhoto,
    Money,
    NoticeCycle,
    Party,
    Progress,
    ProjectSnapshot,
    RecordRef,
    SnapshotError,
    Visit,
)

__all__ = ["SNAPSHOT_FORMAT", "decode_snapshot", "encode_snapshot", "snapshot_mac"]

#: The encoding's name, bound into every MAC.
SNAPSHOT_FORMAT = "sunlight-snapshot/1"

_MAC_DOMAIN = b"sunlight-snapshot-mac/1\x00"


def snapshot_mac(key: bytes, *, project: str, head: int, fingerprint: bytes, body: bytes) -> bytes:
    """HMAC-SHA256 under ``key`` of the stored ``body`` of ``project``'s snapshot folded through
    leaf ``head``, with ``fingerprint`` (of the rules and code the fold used). Each field is
    length-prefixed, so no two different tuples give the same MAC input."""
    fields = b"".join(
        len(part).to_bytes(4, "big") + part
        for part in (SNAPSHOT_FORMAT.encode(), project.encode(), fingerprint)
    )
    message = _MAC_DOMAIN + fields + head.to_bytes(8, "big", signed=True) + body
    return hmac.digest(key, message, "sha256")


# --- encoding -----------------------------------------------------------------------------------


def encode_snapshot(snapshot: ProjectSnapshot) -> dict[str, Any]:
    """``snapshot`` as a JSON-able dictionary (:func:`decode_snapshot` gives it back equal)."""
    return {
        "project": snapshot.project.model_dump(mode="json"),
        "ceiling_fen": snapshot.ceiling_fen,
        "registered": _event(snapshot.registered),
        "records": snapshot.records,
        "step": snapshot.step.value,
        "visits": [
            [v.step.value, v.entered.isoformat(), None if v.left is None else v.left.isoformat()]
            for v in snapshot.visits
        ],
        "notices": [
            [_maybe(n.approval), _maybe(n.published), _maybe(n.closed)] for n in snapshot.notices
        ],
        "objections": [_event(e) for e in snapshot.objections],
        "objections_upheld": [_event(e) for e in snapshot.objections_upheld],
        "parties": [[p.organisation, p.amount_fen, _event(p.event)] for p in snapshot.parties],
        "change_orders": [_money(m) for m in snapshot.change_orders],
        "completion": _maybe(snapshot.completion),
        "acceptances": [_event(e) for e in snapshot.acceptances],
        "payments": [_money(m) for m in snapshot.payments],
        "settlement": _maybe(snapshot.settlement),
        "photos": [
            [_event(p.event), [f.model_dump(mode="json") for f in p.flags]] for p in snapshot.photos
        ],
        "progress": [[p.percent, _event(p.event)] for p in snapshot.progress],
    }


def _event(event: Event) -> list[Any]:
    ref = event.ref
    return [ref.leaf_index, ref.record_id, ref.project, ref.kind, event.at.isoformat()]


def _maybe(event: Event | None) -> list[Any] | None:
    return None if event is None else _event(event)


def _money(money: Money) -> list[Any]:
    return [money.amount_fen, _event(money.event)]


# --- decoding -----------------------------------------------------------------------------------


def decode_snapshot(value: Any) -> ProjectSnapshot:
    """The snapshot :func:`encode_snapshot` made ``value`` of. Raises :class:`SnapshotError` if
    ``value`` is not such an encoding."""
    try:
        return _decoded(value)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ValidationError) as e:
        raise SnapshotError(f"not an encoded snapshot: {type(e).__name__}: {e}") from None


#: Step by value: a dictionary look-up is several times quicker than calling the enum.
_STEPS = {step.value: step for step in Step}


def _decoded(d: dict[str, Any]) -> ProjectSnapshot:
    return ProjectSnapshot(
        project=Project.model_validate(d["project"]),
        ceiling_fen=int(d["ceiling_fen"]),
        registered=_at(d["registered"]),
        records=int(d["records"]),
        step=_STEPS[d["step"]],
        visits=tuple(
            [
                Visit(_STEPS[s], datetime.fromisoformat(entered), _time(left))
                for s, entered, left in d["visits"]
            ]
        ),
        notices=tuple([NoticeCycle(_opt(a), _opt(p), _opt(c)) for a, p, c in d["notices"]]),
        objections=tuple(map(_at, d["objections"])),
        objections_upheld=tuple(map(_at, d["objections_upheld"])),
        parties=tuple([Party(o, a, _at(e)) for o, a, e in d["parties"]]),
        change_orders=tuple([Money(a, _at(e)) for a, e in d["change_orders"]]),
        completion=_opt(d["completion"]),
        acceptances=tuple(map(_at, d["acceptances"])),
        payments=tuple([Money(a, _at(e)) for a, e in d["payments"]]),
        settlement=_opt(d["settlement"]),
        photos=tuple(
            [
                FlaggedPhoto(_at(e), tuple([Flag.model_validate(f) for f in flags]))
                for e, flags in d["photos"]
            ]
        ),
        progress=tuple([Progress(p, _at(e)) for p, e in d["progress"]]),
    )


def _at(value: list[Any]) -> Event:
    leaf_index, record_id, project, kind, at = value
    return Event(RecordRef(leaf_index, record_id, project, kind), datetime.fromisoformat(at))


def _opt(value: list[Any] | None) -> Event | None:
    return None if value is None else _at(value)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
