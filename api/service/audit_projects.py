"""The audit of the projects under the lifecycle: their stored rows are a cache of the log, so each
is rebuilt by replaying the project's records (:func:`notary.lifecycle.replay`) and compared, field
by field, with what is stored — a state edited behind the server's back is named."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import fields

from api.storage.entries import Head
from api.storage.heads import HeadsStore
from api.storage.log import LogStore
from api.storage.projects import ProjectRow, ProjectStore, StoredProject, project_row
from notary.errors import NotaryError
from notary.lifecycle import LifecycleRules, replay

__all__ = ["audit_projects"]


def audit_projects(
    log: LogStore,
    registered: Mapping[str, int],
    heads: Mapping[str, Head],
    rules: LifecycleRules,
    found: Callable[[str, str], None],
) -> int:
    """Check every stored project row against its replayed records; return how many projects
    were checked. ``registered``: the projects whose first record is a registration, with its
    leaf (from the audit's pass over the entries); ``heads``: the heads the entries give;
    ``found(where, problem)`` records a finding."""
    stored = {p.code: p for p in ProjectStore(log.engine).iter_projects()}
    entries = HeadsStore(log.engine)
    size = log.size
    for code in sorted(stored.keys() | registered.keys()):
        where = f"project {code}"
        row = stored.get(code)
        if code not in registered:
            found(where, "stored as under the lifecycle, but its first record is no registration")
            continue
        if row is None:
            found(where, f"registered at leaf {registered[code]}, but no state is stored")
            continue
        try:
            state = replay((r.record for r in entries.project_entries(code, size)), rules)
        except NotaryError as e:
            found(where, f"its records do not replay under the rules: {e}")
            continue
        for problem in _differences(row, project_row(state), heads[code][0]):
            found(where, problem)
    return len(stored)


def _differences(stored: StoredProject, replayed: ProjectRow, head: int) -> list[str]:
    problems = []
    if stored.leaf_index != head:
        problems.append(f"state stored as of leaf {stored.leaf_index}, the last record is {head}")
    for f in fields(ProjectRow):
        have, want = getattr(stored.row, f.name), getattr(replayed, f.name)
        if f.name in {"stored_state", "value"} or have == want:
            continue
        problems.append(f"column {f.name} is {have!r}, the records give {want!r}")
    have_state, want_state = json.loads(stored.row.state), json.loads(replayed.state)
    for key in sorted(have_state.keys() | want_state.keys()):
        if have_state.get(key) != want_state.get(key):
            problems.append(
                f"state.{key} is {have_state.get(key)!r}, the records give {want_state.get(key)!r}"
            )
    return problems
