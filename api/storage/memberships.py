"""A party's standing (organisation, lifecycle roles, server roles) read and written inside the
log's append transaction, and the power holders of the projects a person may act for in — so that
a change, its check and its ``party_change`` record commit together, serialised with every
lifecycle record (:meth:`~api.storage.log.LogStore.append`, ``within``)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, or_, select, update

from api.storage import db
from api.storage.errors import db_errors
from api.storage.projects import project_powers, projects
from notary.errors import NotFoundError
from notary.lifecycle import PowerHolder, Role, Standing
from notary.lifecycle.kinds import Step

__all__ = ["current_standing", "live_powers", "read_standing", "write_standing"]


@db_errors
def current_standing(engine: Engine, party_id: str) -> tuple[str, Standing]:
    """:func:`read_standing` as last committed (a database failure raised as a NotaryError)."""
    with engine.connect() as conn:
        return read_standing(conn, party_id)


def read_standing(conn: Connection, party_id: str) -> tuple[str, Standing]:
    """The party's kind and standing, as this transaction sees them."""
    p = db.parties.c
    row = conn.execute(
        select(p.kind, p.organisation, p.lifecycle_roles, p.roles).where(p.id == party_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no party {party_id}")
    return row.kind, Standing(
        organisation=row.organisation,
        lifecycle_roles=frozenset(Role(r) for r in row.lifecycle_roles.split()),
        roles=frozenset(row.roles.split()),
    )


def write_standing(conn: Connection, party_id: str, standing: Standing) -> None:
    data = standing.as_data()
    conn.execute(
        update(db.parties)
        .where(db.parties.c.id == party_id)
        .values(
            organisation=data["organisation"],
            lifecycle_roles=" ".join(data["lifecycle_roles"]),
            roles=" ".join(data["roles"]),
        )
    )


def live_powers(
    conn: Connection, person: str, organisation: str | None
) -> dict[str, list[PowerHolder]]:
    """Every power holder of each project that is not archived and where ``person`` holds a power
    by name or ``organisation`` holds one (one query)."""
    w, p = project_powers.c, projects.c
    mine = select(w.project).where(
        or_(w.person == person, *([w.organisation == organisation] if organisation else []))
    )
    query = (
        select(w.project, w.power, w.organisation, w.person)
        .join(projects, p.code == w.project)
        .where(p.step != Step.ARCHIVED.value, w.project.in_(mine))
        .order_by(w.project, w.power)
    )
    found: dict[str, list[PowerHolder]] = {}
    for code, power, org, holder in conn.execute(query):
        found.setdefault(code, []).append(PowerHolder(power=power, organisation=org, person=holder))
    return found
