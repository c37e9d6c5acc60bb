"""Oversight as a pure core: project snapshots, regional indicators and risk rules whose alerts are
themselves notarizable. No I/O, no clock: records, flags and the time ``at`` are passed in.

The flow (the server side — routes, database, dashboard, webhooks — builds on this API)::

    records of a project (log order)  ──snapshot_of──▶  ProjectSnapshot
    snapshots ──indicators(region, period)──▶ Indicators          (the live dashboard)
    snapshots ──evaluate(at, config)──▶ Alert, …  ──record_data()──▶ a record of kind "alert"

Public API:

- ``LoggedRecord(leaf_index, record_id, record, flags=())`` — a logged record, with the site-photo
  flags the photo index kept for it; ``snapshot_of(records, rules=DEFAULT_RULES) ->
  ProjectSnapshot`` (raises :class:`SnapshotError`); ``RecordRef`` — how every fact and alert links
  to its record (``leaf_index``, ``record_id``, ``project``, ``kind``).
- ``indicators(snapshots, RegionScope(county, township?, village?), Period(start, end)) ->
  Indicators`` — projects registered, start and completion rates, budget execution (budget,
  contract with change orders, paid), days per step, objections; one pass.
- ``RULES`` (rule id → :class:`Rule`): ``bidder_change``, ``over_budget``, ``serious_delay``,
  ``project_splitting``, ``contractor_share``, ``payment_without_acceptance``,
  ``acceptance_before_completion``, ``notice_irregular``, ``photo_out_of_place``,
  ``photo_reused``; each module of :mod:`notary.oversight.rules` says which irregularities the
  lifecycle's gate already refuses (those rules are defence in depth: payments imported from the
  finance system and records accepted under laxer rules do not pass the gate the same way).
- ``OversightConfig``, ``load_config(document)`` (raises :class:`OversightConfigError` naming the
  field), ``DEFAULT_CONFIG``; ``evaluate(snapshots, at, config=DEFAULT_CONFIG) -> tuple[Alert, ...]``.
- :mod:`notary.oversight.forecast` — risks of delay and overrun for running projects, with the
  factors that raised them (a warning, never a verdict; see docs/forecasts.md).
- ``Alert`` (rule, severity, title, subject, explanation in English and Chinese with the figures,
  figures, evidence, thresholds, ``evaluated_at``), its stable ``id`` and ``record_data()``;
  ``parse_alert_record(data)`` (raises :class:`AlertIdMismatchError` for an altered alert).

For the server (not built here):

1. Keep a snapshot per project, rebuilt from the project's records when one is appended (the fold is
   linear; a project has tens of records) — or rebuild all for a run.
2. Run :func:`evaluate` on a schedule with ``at`` = now in the county's offset (which fixes what a
   day is), the thresholds from the deployment's configuration document (:func:`load_config`).
3. For each alert whose ``id`` has no ``alert`` record yet, append a record ``{"project": null,
   "stage": null, "kind": "alert", "data": alert.record_data()}`` submitted by the oversight
   service's party: once notarized it cannot be quietly deleted, and anyone can recompute its id
   (:func:`parse_alert_record`) and follow its evidence to the records and their proofs. The same
   finding on the same records keeps its id under any thresholds, so reruns add nothing; a finding
   that grows (another payment before acceptance, another award in a contractor's share) is a new
   alert, because it rests on new evidence. Each rule builds its evidence so records appended later
   do not change it where they do not change the finding.
4. The dashboard calls :func:`indicators` for a region and a period; the figures are as at the
   period's end, so a past period's figures do not move.
"""

from notary.oversight.alert import (
    ALERT_FORMAT,
    ALERT_KIND,
    Alert,
    AlertIdMismatchError,
    Severity,
    Subject,
    Words,
    parse_alert_record,
)
from notary.oversight.config import (
    DEFAULT_CONFIG,
    OversightConfig,
    OversightConfigError,
    evaluate,
    load_config,
)
from notary.oversight.indicators import Indicators, Period, RegionScope, StepTime, indicators
from notary.oversight.rule import Rule, Thresholds
from notary.oversight.rules import RULES
from notary.oversight.snapshot import (
    LoggedRecord,
    ProjectSnapshot,
    RecordRef,
    SnapshotError,
    snapshot_of,
)

__all__ = [
    "ALERT_FORMAT",
    "ALERT_KIND",
    "DEFAULT_CONFIG",
    "RULES",
    "Alert",
    "AlertIdMismatchError",
    "Indicators",
    "LoggedRecord",
    "OversightConfig",
    "OversightConfigError",
    "Period",
    "ProjectSnapshot",
    "RecordRef",
    "RegionScope",
    "Rule",
    "Severity",
    "SnapshotError",
    "StepTime",
    "Subject",
    "Thresholds",
    "Words",
    "evaluate",
    "indicators",
    "load_config",
    "parse_alert_record",
    "snapshot_of",
]
