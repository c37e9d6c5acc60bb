# ruff: noqa: RUF001 - Chinese messages use fullwidth punctuation on purpose
"""A person's standing (their organisation, lifecycle roles and server roles), the record a change
of it becomes, and the rule that a change may not escape the separation of powers.

A change is the server's ``party_change`` record (``project`` and ``stage`` null, no file, filed
by the administrator who made it): ``data = {"party": <id>, "before": <standing>, "after":
<standing>}``, each standing ``{"organisation": <org id> | null, "lifecycle_roles": [<role>, …],
"roles": [<server role>, …]}`` with sorted lists. Records filed before it keep the ``org`` they
were filed with.

The rule (:func:`check_standing_change`): in a project that is not archived, a person **acts for**
a power when they are the power's named holder, or when their organisation holds it and one of
their lifecycle roles acts for it (:data:`ROLE_POWERS`, read off the table of kinds). A change may
not move such a person to an organisation that holds another power of that project (rule
``powers.move_conflict``), nor give them a role that acts for another power (rule
``powers.role_conflict``); a power's named holder may not change organisation at all (rule
``powers.holder_moves``: their new organisation could be given another power of the project
afterwards, and the assignment check sees only the holders, not who moved where).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from notary.lifecycle.kinds import KINDS
from notary.lifecycle.parties import POWER_ZH, ROLE_ZH, Power, PowerHolder, Role
from notary.lifecycle.refusal import LifecycleRefusal
from notary.records import Identifier

__all__ = [
    "PARTY_CHANGE",
    "ROLE_POWERS",
    "Standing",
    "acted_powers",
    "check_standing_change",
    "party_change_data",
]

#: The kind of the record of a change of a person's standing; filed only by the server.
PARTY_CHANGE = "party_change"

#: The powers each lifecycle role acts for (the sides the table of kinds gives it).
ROLE_POWERS: Mapping[Role, frozenset[Power]] = {
    role: frozenset(
        side
        for spec in KINDS.values()
        for r, side in spec.roles.items()
        if r == role and isinstance(side, Power)
    )
    for role in Role
}


class Standing(BaseModel):
    """Who a party is on the server: the organisation a person acts for, their lifecycle roles
    there, and their roles on the server (``admin``, ``submitter``, ``auditor``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: Identifier | None = None
    lifecycle_roles: frozenset[Role] = frozenset()
    roles: frozenset[str] = Field(default=frozenset(), max_length=8)

    def as_data(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "lifecycle_roles": sorted(r.value for r in self.lifecycle_roles),
            "roles": sorted(self.roles),
        }


def party_change_data(party: str, before: Standing, after: Standing) -> dict[str, Any]:
    """The ``data`` of the ``party_change`` record of ``party``'s standing changing."""
    return {"party": party, "before": before.as_data(), "after": after.as_data()}


def acted_powers(person: str, standing: Standing, holders: Iterable[PowerHolder]) -> set[Power]:
    """The powers ``person`` acts for in a project whose powers ``holders`` hold: those they hold
    by name, and those their organisation holds that one of their roles acts for."""
    mine = {p for r in standing.lifecycle_roles for p in ROLE_POWERS[r]}
    return {
        h.power
        for h in holders
        if h.person == person or (h.organisation == standing.organisation and h.power in mine)
    }


def check_standing_change(
    person: str,
    before: Standing,
    after: Standing,
    projects: Mapping[str, Sequence[PowerHolder]],
) -> None:
    """Refuse the change of ``person``'s standing from ``before`` to ``after`` if it lets them act
    for a second power of a project; ``projects``: the power holders of each project that is not
    archived (others may be given; a project where they act for nothing is skipped)."""
    added = after.lifecycle_roles - before.lifecycle_roles
    moved = after.organisation != before.organisation
    for code in sorted(projects):
        holders = projects[code]
        acted = acted_powers(person, before, holders)
        if not acted:
            continue
        names = "/".join(sorted(p.value for p in acted))
        names_zh = "、".join(POWER_ZH[p] for p in sorted(acted))
        other = next((h for h in holders if h.organisation == after.organisation), None)
        if moved and other is not None and other.power not in acted:
            raise LifecycleRefusal(
                "powers.move_conflict",
                f"{person} acts for {names} in project {code}, which is not archived, and "
                f"{other.organisation} holds {other.power.value} there: the four powers are held "
                "by different parties. Move them once the project is archived, or to an "
                "organisation that holds no other power in it",
                f"{person} 在未归档的项目 {code} 中代行{names_zh}，{other.organisation} 在该项目持有"
                f"{POWER_ZH[other.power]}：四权分离。请在项目归档后调动，或调往在该项目不持有其他权力的单位",
                tuple(sorted({h.organisation for h in holders if h.power in acted})),
            )
        named = next((h for h in holders if h.person == person), None)
        if moved and named is not None:
            raise LifecycleRefusal(
                "powers.holder_moves",
                f"{person} is named as the holder of {named.power.value} for "
                f"{named.organisation} in project {code}, which is not archived: they act for "
                "that organisation there until it is archived, so they may not leave it (their "
                "new organisation could later be given another power of the project). Move them "
                "once the project is archived",
                f"{person} 是未归档项目 {code} 中 {named.organisation} 的{POWER_ZH[named.power]}"
                "指定持有人，项目归档前不得调离该单位：四权分离（新单位日后可能在该项目获得其他权力）。"
                "请在项目归档后调动",
                (named.organisation,) if named.organisation == before.organisation else (),
            )
        for role in sorted(added):
            extra = ROLE_POWERS[role] - acted
            if extra:
                power = min(extra)
                raise LifecycleRefusal(
                    "powers.role_conflict",
                    f"{person} acts for {names} in project {code}, which is not archived, and the "
                    f"role {role.value} acts for {power.value}: the four powers are held by "
                    "different parties. Give the role once the project is archived",
                    f"{person} 在未归档的项目 {code} 中代行{names_zh}，{ROLE_ZH[role]}角色代行"
                    f"{POWER_ZH[power]}：四权分离。请在项目归档后再授予该角色",
                    tuple(r.value for r in Role if ROLE_POWERS[r] <= acted),
                )
