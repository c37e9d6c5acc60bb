"""Reminders on the server: :func:`notary.reminders.reminders` over the stored project states and
the registered people (``GET /v1/reminders``, and the webhook sender's scan)."""

from __future__ import annotations

from datetime import datetime

from api.service.lifecycle import actor_of
from api.storage.parties import PartyStore
from api.storage.projects import ProjectStore
from notary.lifecycle import LifecycleRules, ProjectState, Step
from notary.reminders import Reminder, ReminderPolicy, reminders

__all__ = ["standing_reminders"]

#: Steps in which no reminder can stand (nothing is awaited before the notice, or once archived).
_QUIET = frozenset({Step.APPLICATION.value, Step.REVIEW.value, Step.ARCHIVED.value})


def standing_reminders(
    projects: ProjectStore,
    parties: PartyStore,
    rules: LifecycleRules,
    at: datetime,
    *,
    person: str | None = None,
    policy: ReminderPolicy | None = None,
) -> list[Reminder]:
    """Every reminder standing at ``at`` (only ``person``'s, when given)."""
    people = [a for p in parties.people().values() if (a := actor_of(p)) is not None]
    states = (
        ProjectState.model_validate_json(p.row.state)
        for p in projects.iter_projects()
        if p.row.step not in _QUIET
    )
    found = reminders(states, people, at, rules, policy)
    return found if person is None else [r for r in found if r.person == person]
