"""A project's state as its records make it, a proposed record, and the outcome of deciding one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from notary.lifecycle.kinds import Certificate, Step
from notary.lifecycle.parties import Actor, Power, PowerHolder, Side
from notary.lifecycle.project import Project
from notary.records import ProjectCode, Record

__all__ = ["ProjectState", "Proposal", "Transition"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def _trusted(cls: type[_M], values: dict[str, Any], given: set[str]) -> _M:
    """A ``cls`` holding ``values`` (every field), which are already what it would validate them
    to: what pydantic's ``model_construct`` and ``model_copy`` make, minus their generality (both
    cost more than judging a site photo). ``given`` are the fields set explicitly."""
    m = cls.__new__(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", given)
    _set(m, "__pydantic_extra__", None)  # both models forbid extra fields
    _set(m, "__pydantic_private__", None)  # and have no private attributes
    return m


#: The fields a proposal made from a record sets (shared: a frozen model's set is never changed).
_PROPOSED = {"project", "stage", "kind", "data", "signers"}


class Proposal(BaseModel):
    """A record proposed for a project: what :func:`~notary.lifecycle.decide` judges.

    ``signers`` are the parties whose signatures on the record *verified*, as the server knows
    them (person, organisation, roles); the core does no cryptography.
    """

    model_config = _FROZEN

    project: ProjectCode | None
    stage: str | None
    kind: str
    data: dict[str, Any] = Field(default_factory=dict)
    signers: tuple[Actor, ...] = ()

    @classmethod
    def of_record(cls, record: Record, signers: tuple[Actor, ...] = ()) -> Proposal:
        """The proposal a (draft) record makes: the record's fields are validated already, each at
        least as strictly as a proposal's (and ``signers`` are actors), so none is again."""
        values = {
            "project": record.project,
            "stage": record.stage,
            "kind": record.kind,
            "data": record.data,
            "signers": signers,
        }
        return _trusted(cls, values, _PROPOSED)

    @classmethod
    def of_logged(cls, record: Record) -> Proposal:
        """The proposal of a record already in the log: its signers are those its certificate
        names (``data.signers``) who also signed it — the server verified them on the way in."""
        signed = {s.party for s in record.signatures}
        try:
            named = Certificate.model_validate(record.data).signers
        except ValidationError:
            named = ()
        return cls.of_record(
            record,
            tuple(
                Actor(person=s.person, organisation=s.organisation, roles=frozenset({s.role}))
                for s in named
                if s.person in signed
            ),
        )


ObjectionStatus = Literal["pending", "dismissed"]


class ProjectState(BaseModel):
    """Everything the rules need to know of a project, derived from its records alone.

    ``in_step`` holds the kinds recorded since the project last entered its step (a project sent
    back starts the step afresh), each once, in the order of their names: a set, so that neither
    the state nor a decision grows with a project's many site photos. ``objections`` are this
    notice's, by number. Money is in fen: ``contract_fen`` as signed, ``changes_fen`` the sum of change orders, ``requested_fen`` and
    ``approved_fen`` the payment waiting for approval or for payment, ``paid_fen`` all paid.
    """

    model_config = _FROZEN

    project: Project | None = None
    step: Step = Step.APPLICATION
    records: int = 0
    last_at: datetime | None = None
    powers: tuple[PowerHolder, ...] = ()
    in_step: tuple[str, ...] = ()
    notice_published_at: datetime | None = None
    objections: tuple[ObjectionStatus, ...] = ()
    awarded_to: str | None = None
    contract_fen: int | None = None
    changes_fen: int = 0
    accepted: bool = False
    requested_fen: int | None = None
    approved_fen: int | None = None
    paid_fen: int = 0
    final_amount_fen: int | None = None

    @field_validator("in_step")
    @classmethod
    def _as_set(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        # A state stored before in_step became a set listed each record's kind, in order.
        return tuple(sorted(set(kinds)))

    def holder(self, power: Power) -> PowerHolder | None:
        """Who holds ``power`` in this project, if anyone yet."""
        for h in self.powers:
            if h.power == power:
                return h
        return None

    def side_organisation(self, side: Side) -> str | None:
        """The organisation on ``side``: the owner, or the holder of a power."""
        if side == "owner":
            return self.project.owner if self.project else None
        holder = self.holder(side)
        return holder.organisation if holder else None

    @property
    def contract_total_fen(self) -> int:
        """The contract amount with every change order applied (0 before a contract)."""
        return (self.contract_fen or 0) + self.changes_fen

    def updated(self, changes: dict[str, Any]) -> ProjectState:
        """This state with the fields ``changes`` names set to values of their types, as
        ``model_copy(update=changes)`` makes it (unvalidated: for the rules, which make each
        value from checked ones)."""
        given = self.__pydantic_fields_set__
        if not changes.keys() <= given:
            given = given | changes.keys()  # else shared: a frozen model's set is never changed
        return _trusted(ProjectState, {**self.__dict__, **changes}, given)

    def entered(self, step: Step) -> ProjectState:
        """This state moved to ``step``, whose records start afresh."""
        return self.updated(
            {"step": step, "in_step": (), "notice_published_at": None, "objections": ()}
        )


@dataclass(frozen=True, slots=True)
class Transition:
    """An accepted proposal: the new state, the step before and after, and what happened
    (``events``, e.g. ``("registered",)``, ``("objection_upheld", "sent_back")``). Made only by
    :func:`~notary.lifecycle.decide` from values it checked: a plain dataclass, not validated
    again (one is made for every record the lifecycle judges)."""

    state: ProjectState
    previous: Step
    events: tuple[str, ...] = ()

    @property
    def moved(self) -> bool:
        return self.state.step != self.previous
