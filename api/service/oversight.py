"""Oversight on the server: project snapshots kept from the log, the rules run with the
deployment's thresholds, and each new alert notarized once as an ``alert`` record.

Everything here is derived from the log, so it is rebuilt by reading the log again (nothing to
audit beside it):

- the snapshots are kept as of a log size, and indexed by county (a region's page reads its
  county's only): a call takes the projects whose head (``project_heads``) is at or beyond that
  size, loads those whose stored snapshot is of that head and verifies
  (api/service/snapshot_cache.py: what makes a restart cheap), and folds the others again from
  their entries, read back in bulk (one query per few thousand projects), storing them;
- the alerts already notarized are read from the log's ``alert`` records filed by
  :data:`OVERSIGHT_PARTY` (an ``alert`` record another party files is not ours: it neither
  suppresses a finding nor is listed as one), scanning only the leaves added since the last scan.

A run appends the new alerts in one transaction, each with the idempotency claim ``alert:<id>``,
so two runs at once (the CLI beside ``sunlight serve``) still notarize an alert once.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from api.service.heap import no_cycle_collection
from api.service.lifecycle import rules_from_settings, settings_document
from api.service.notary import Accepted, Notary
from api.service.snapshot_cache import Folded, StoredSnapshots
from api.settings import Settings, SettingsError
from api.storage import db
from api.storage.entries import StoredEntry
from api.storage.errors import db_errors
from api.storage.heads import HeadsStore
from api.storage.idempotency import IdempotencyClaim
from api.storage.photos import IndexedPhoto, PhotoIndex
from notary.errors import NotaryError, RecordError, VerificationError
from notary.lifecycle import LifecycleRules, Region
from notary.oversight import (
    ALERT_FORMAT,
    ALERT_KIND,
    DEFAULT_CONFIG,
    Alert,
    LoggedRecord,
    OversightConfig,
    OversightConfigError,
    ProjectSnapshot,
    RegionScope,
    SnapshotError,
    evaluate,
    load_config,
    parse_alert_record,
    snapshot_of,
)
from notary.records import Record, parse_record

__all__ = [
    "OVERSIGHT_PARTY",
    "NotarizedAlert",
    "Oversight",
    "RunResult",
    "alert_record",
    "config_from_settings",
    "county_zone",
    "entry_readers",
    "now_in",
    "start_oversight",
]

#: The party that files the rules' alerts (the server itself; its receipts are signed by the log).
OVERSIGHT_PARTY = "sunlight-oversight"


def alert_record(alert: Alert, received_at: str, *, public: bool = True) -> Record:
    """The ``alert`` record that notarizes ``alert``, filed by :data:`OVERSIGHT_PARTY` (what
    :meth:`Oversight.notarized` lists)."""
    fields = {
        "project": None,
        "stage": None,
        "kind": ALERT_KIND,
        "data": alert.record_data(),
        "submitter": OVERSIGHT_PARTY,
        "received_at": received_at,
    }
    return Record.model_validate(fields if public else {**fields, "public": False})


log = logging.getLogger("sunlight.api")

#: A first refresh that builds this many snapshots freezes them (:func:`gc.freeze`).
_FREEZE_AT = 10_000


def config_from_settings(settings: Settings) -> OversightConfig:
    """The thresholds of ``SUNLIGHT_OVERSIGHT_RULES`` (JSON or TOML), or the defaults when it is
    unset. A file that cannot be read or holds a bad threshold is a :class:`SettingsError` naming
    the variable and the field."""
    path = settings.oversight_rules
    if path is None:
        return DEFAULT_CONFIG
    document = settings_document(path, "SUNLIGHT_OVERSIGHT_RULES")
    try:
        return load_config(document)
    except OversightConfigError as e:
        raise SettingsError(f"SUNLIGHT_OVERSIGHT_RULES: {path}: {e}") from None


def county_zone(settings: Settings) -> timezone:
    """The county's fixed UTC offset: what a day is to the rules and the indicators."""
    return timezone(timedelta(hours=settings.oversight_utc_offset_h))


@dataclass(frozen=True, slots=True)
class NotarizedAlert:
    """An alert as the log holds it: the alert, and its record's id, leaf index and visibility."""

    alert: Alert
    record_id: str
    leaf_index: int
    public: bool


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: the projects overseen, the alerts the rules raised, and those notarized now."""

    projects: int
    raised: int
    notarized: tuple[Accepted, ...]


class Oversight:
    """The snapshots and the notarized alerts of one log, kept incrementally. Thread-safe."""

    def __init__(self, notary: Notary, rules: LifecycleRules) -> None:
        self._notary = notary
        self._rules = rules
        self._heads = HeadsStore(notary.log.engine)
        self._photos = PhotoIndex(notary.log.engine)
        self._stored = StoredSnapshots(notary.log.engine, notary.key, rules)
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        #: The snapshots as of the log's first ``_seen`` entries, and the same by county.
        self._snapshots: dict[str, ProjectSnapshot] = {}
        self._counties: dict[str, dict[str, ProjectSnapshot]] = {}
        self._seen = 0
        self._alerts: dict[str, NotarizedAlert] = {}
        self._scanned = 0

    @classmethod
    def open(cls, notary: Notary, settings: Settings) -> Oversight:
        return cls(notary, notary.rules or rules_from_settings(settings))

    # --- snapshots ------------------------------------------------------------------------------

    def snapshots(self) -> dict[str, ProjectSnapshot]:
        """Every registered project's snapshot, code → snapshot, rebuilt for the projects appended
        to since the last call (a code with records but no valid registration has none)."""
        with self._lock:
            self._refresh()
            return dict(self._snapshots)

    def snapshots_in(self, county: str) -> dict[str, ProjectSnapshot]:
        """:meth:`snapshots` of the projects of ``county`` only (what a region's page reads)."""
        with self._lock:
            self._refresh()
            return dict(self._counties.get(county, {}))

    def _refresh(self) -> None:
        """Bring the snapshots up to the log's size: of the projects whose head moved since the
        last refresh, those with a valid stored snapshot are loaded, the others read back in bulk,
        folded again and stored. Requires ``self._lock``."""
        size = self._notary.log.size
        if size == self._seen:
            return
        first = self._seen == 0
        with no_cycle_collection():
            self._refresh_to(size)
            if first and len(self._snapshots) >= _FREEZE_AT:
                # What a server builds at start, out of the collector's sight: else the next
                # collections walk every new snapshot again, generation by generation (seconds
                # at 100,000 projects). A frozen object is still freed when its last reference
                # goes (a snapshot replaced later); only a cycle among them would never be. A
                # small log (every test's) is not worth it: garbage pending now would stay.
                gc.freeze()
        self._seen = size

    def _refresh_to(self, size: int) -> None:
        """:meth:`_refresh`'s work: the moved projects loaded, or folded through ``size``."""
        loaded = self._stored.load(self._seen)
        for code, snapshot in loaded.found.items():
            self._put(code, snapshot)
        for projects in self._heads.entries_of(loaded.refold, size):
            photo_leaves = [
                e.index for es in projects.values() for e in es if e.record.kind == "site_photo"
            ]
            photos = self._photos.get_many(photo_leaves)
            folded = []
            for code, entries in projects.items():
                snapshot = self._snapshot(entries, photos)
                self._put(code, snapshot)
                if not any(_awaits_flags(e, photos) for e in entries):
                    folded.append(Folded(code, entries[-1].index, snapshot))
            self._stored.save(folded)

    def _put(self, code: str, snapshot: ProjectSnapshot | None) -> None:
        old = self._snapshots.pop(code, None)
        if old is not None:
            self._counties[old.region.county].pop(code, None)
        if snapshot is not None:
            self._snapshots[code] = snapshot
            self._counties.setdefault(snapshot.region.county, {})[code] = snapshot

    def _snapshot(
        self, entries: list[StoredEntry], photos: Mapping[int, IndexedPhoto]
    ) -> ProjectSnapshot | None:
        records = [
            LoggedRecord(
                e.index, e.record_id, e.record, photos[e.index].flags if e.index in photos else ()
            )
            for e in entries
        ]
        try:
            return snapshot_of(records, self._rules)
        except SnapshotError:
            return None  # a code outside the lifecycle: nothing to oversee

    # --- notarized alerts -----------------------------------------------------------------------

    def notarized(self) -> dict[str, NotarizedAlert]:
        """The alerts in the log filed by :data:`OVERSIGHT_PARTY`, id → alert, in log order."""
        size = self._notary.log.size
        with self._lock:
            rows = _alert_rows(self._notary, self._scanned, size) if size > self._scanned else []
            for index, record_id, entry, public in rows:
                found = _our_alert(index, record_id, entry, public)
                if found is not None:
                    self._alerts.setdefault(found.alert.id, found)
            self._scanned = max(self._scanned, size)
            return dict(self._alerts)

    # --- a run ----------------------------------------------------------------------------------

    def run(self, at: datetime, config: OversightConfig = DEFAULT_CONFIG) -> RunResult:
        """Run every enabled rule at ``at`` and notarize the alerts not yet in the log."""
        with self._run_lock:
            snapshots = list(self.snapshots().values())
            raised = evaluate(snapshots, at, config)
            known = self.notarized()
            new = list({a.id: a for a in raised if a.id not in known}.values())
            received = self._notary.clock()
            records = [alert_record(a, received) for a in new]
            claims = [
                IdempotencyClaim(OVERSIGHT_PARTY, f"alert:{a.id}", bytes.fromhex(a.id)) for a in new
            ]
            outcomes = self._notary.submit(records, isolate_failures=True, claims=claims)
            accepted = tuple(o for o in outcomes if isinstance(o, Accepted))
            self.notarized()
            return RunResult(len(snapshots), len(raised), accepted)

    def alerts_in(self, scope: RegionScope | None, rule: str | None) -> list[NotarizedAlert]:
        """The notarized alerts about ``scope`` (all when None) of ``rule`` (any when None),
        newest first."""
        county = {} if scope is None else self.snapshots_in(scope.county)
        regions = {code: s.region for code, s in county.items()}
        found = [
            n
            for n in self.notarized().values()
            if (rule is None or n.alert.rule == rule)
            and (scope is None or _concerns(n.alert, scope, regions))
        ]
        return sorted(found, key=lambda n: n.leaf_index, reverse=True)

    def alerts_by_township(self, county: str) -> dict[str, list[NotarizedAlert]]:
        """:meth:`alerts_in` each township of ``county``, in one pass over the alerts: township →
        its alerts, newest first (an alert about projects of several townships is in each)."""
        regions = {code: s.region for code, s in self.snapshots_in(county).items()}
        found: dict[str, list[NotarizedAlert]] = {}
        for n in self.alerts_in(RegionScope(county=county), None):
            subject = n.alert.subject
            if subject.county is not None:
                townships = {subject.township}
            else:
                townships = {regions[c].township for c in subject.projects if c in regions}
            for township in townships:
                if township is not None:
                    found.setdefault(township, []).append(n)
        return found


def _awaits_flags(entry: StoredEntry, photos: Mapping[int, IndexedPhoto]) -> bool:
    """Whether ``entry`` is a site photo with a file the photo index has not flagged yet (it is
    just after its append, or by ``sunlight photos reindex``): its snapshot may not be stored."""
    record = entry.record
    return (
        record.kind == "site_photo"
        and record.content is not None
        and record.content.cid is not None
        and entry.index not in photos
    )


def _concerns(alert: Alert, scope: RegionScope, regions: Mapping[str, Region]) -> bool:
    subject = alert.subject
    if subject.county is not None:
        return subject.county == scope.county and scope.township in (None, subject.township)
    return any(
        (region := regions.get(code)) is not None and scope.contains(region)
        for code in subject.projects
    )


@db_errors
def _alert_rows(notary: Notary, start: int, end: int) -> Iterable[tuple[int, str, bytes, bool]]:
    e = db.entries.c
    with notary.log.engine.connect() as conn:
        rows = conn.execute(
            select(e.idx, e.record_id, e.entry, e.public)
            .where(e.kind == ALERT_KIND, e.project.is_(None), e.idx >= start, e.idx < end)
            .order_by(e.idx)
        ).all()
    return [(int(i), str(r), bytes(entry), bool(p)) for i, r, entry, p in rows]


def _our_alert(index: int, record_id: str, entry: bytes, public: bool) -> NotarizedAlert | None:
    record = parse_record(entry)
    if record.submitter != OVERSIGHT_PARTY or record.data.get("format") != ALERT_FORMAT:
        return None
    try:
        alert = parse_alert_record(record.data)
    except (RecordError, VerificationError) as e:
        log.warning("alert record %s is not a valid alert: %s", record_id, e)
        return None
    return NotarizedAlert(alert, record_id, index, public and record.public)


def now_in(settings: Settings) -> datetime:
    """Now, in the county's offset."""
    return datetime.now(UTC).astimezone(county_zone(settings))


def start_oversight(
    oversight: Callable[[], Oversight], settings: Settings, stop: threading.Event
) -> threading.Thread | None:
    """Run the rules every ``SUNLIGHT_OVERSIGHT_INTERVAL_S`` seconds until ``stop`` is set (none
    when it is 0). A bad rules file is refused here, when the server starts."""
    if settings.oversight_interval_s <= 0:
        return None
    config = config_from_settings(settings)

    def loop() -> None:
        while not stop.wait(settings.oversight_interval_s):
            try:
                result = oversight().run(now_in(settings), config)
            except NotaryError:
                log.exception("the oversight run failed")
                continue
            if result.notarized:
                log.info("oversight: %d new alert(s) notarized", len(result.notarized))

    thread = threading.Thread(target=loop, name="oversight", daemon=True)
    thread.start()
    return thread


@db_errors
def entry_readers(notary: Notary, leaves: Iterable[int]) -> dict[int, tuple[bool, str]]:
    """Who may read each of these records: leaf → (public, submitter). The submitter is read from
    the entry of a private record only (anyone may read a public one)."""
    wanted = sorted(set(leaves))
    e = db.entries.c
    found: dict[int, tuple[bool, str]] = {}
    with notary.log.engine.connect() as conn:
        for start in range(0, len(wanted), 1000):
            rows = conn.execute(
                select(e.idx, e.public, e.entry).where(e.idx.in_(wanted[start : start + 1000]))
            ).all()
            for idx, public_column, entry in rows:
                stored = StoredEntry(int(idx), "", b"", bytes(entry), bool(public_column))
                public = stored.public
                found[int(idx)] = (public, "" if public else stored.record.submitter)
    return found
