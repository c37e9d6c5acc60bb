"""The request and answer bodies of the HTTP API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.service.photos import ShownEvidence
from notary.lifecycle import Role
from notary.sigalgs import Alg
from notary.signing import Checkpoint, Receipt

if TYPE_CHECKING:
    from anchors.anchorer import AnchorResult

# --- schemas --------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    error: str
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


class RecordAccepted(BaseModel):
    id: str
    leaf_index: int
    leaf_hash: str
    receipt: Receipt


class RecordOut(BaseModel):
    id: str
    leaf_index: int
    leaf_hash: str
    public: bool
    status: Literal["anchored", "pending"]
    record: dict[str, Any]
    #: A site photo's: its EXIF facts and the flags raised when it was filed (None otherwise, or
    #: while it is being indexed).
    evidence: ShownEvidence | None = None


class Pending(BaseModel):
    status: Literal["pending"]
    leaf_index: int
    detail: str


class CheckOut(BaseModel):
    check: str
    passed: bool | None
    detail: str


class MatchOut(BaseModel):
    """A record that notarizes the file. Of a private record, a caller who may not read it learns
    only the leaf, whether it is anchored and the verdict: ``id``, ``record`` and ``bundle`` are
    null and ``public`` is false."""

    id: str | None
    leaf_index: int
    leaf_hash: str
    public: bool
    status: Literal["anchored", "pending"]
    #: This match's verdict level once anchored (see VerifyOut.level); null while pending.
    level: str | None = None
    record: dict[str, Any] | None
    bundle: dict[str, Any] | None


class VerifyOut(BaseModel):
    verified: bool = Field(description="True only for an authenticated verdict (level below)")
    level: Literal["anchored", "verified_by_log", "not_authenticated", "not_verified"] = Field(
        description="anchored: in this log and anchored on its chain; verified_by_log: signed by "
        "this log's key, not (yet) anchored; not_verified: a check failed (see reason)"
    )
    reason: str
    trust: dict[str, Any] | None = Field(description="The trust root that authenticated it")
    checks: list[CheckOut]
    records: list[MatchOut]


class AnchorOut(BaseModel):
    """What ``POST /v1/anchor`` did: an :class:`~anchors.anchorer.AnchorResult`, or
    ``up_to_date`` (nothing new to anchor) with the latest anchored size."""

    status: str
    tree_size: int
    checkpoint: Checkpoint | None
    chain_id: int | None = None
    contract: str | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    block_hash: str | None = None

    @classmethod
    def of(cls, result: AnchorResult) -> AnchorOut:
        return cls(
            status=result.status,
            tree_size=result.tree_size,
            checkpoint=result.checkpoint,
            chain_id=result.chain_id,
            contract=result.contract,
            tx_hash=result.tx_hash,
            block_number=result.block_number,
            block_hash=result.block_hash,
        )

    @classmethod
    def up_to_date(cls, tree_size: int) -> AnchorOut:
        return cls(status="up_to_date", tree_size=tree_size, checkpoint=None)


class CheckpointOut(BaseModel):
    checkpoint: Checkpoint
    anchor: dict[str, Any] | None


class ConsistencyOut(BaseModel):
    from_size: int = Field(alias="from")
    to_size: int = Field(alias="to")
    root_from: str
    root_to: str
    proof: list[str]

    model_config = ConfigDict(populate_by_name=True)


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
    #: A display name: any text but control characters (PostgreSQL refuses NUL in text).
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    kind: Literal["organisation", "person"]
    roles: list[Literal["admin", "submitter", "auditor"]] = Field(min_length=1, max_length=3)
    #: A person's organisation (POST /v1/organisations) and their lifecycle roles there.
    organisation: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
    lifecycle_roles: list[Role] = Field(default_factory=list, max_length=len(Role))

    @model_validator(mode="after")
    def _lifecycle_roles_of_a_person(self) -> PartyIn:
        if self.lifecycle_roles and (self.organisation is None or self.kind != "person"):
            raise ValueError("lifecycle roles are a person's, in an organisation")
        return self


class PartyPatch(BaseModel):
    """What an administrator changes of a party: only the fields sent (``organisation: null``
    takes a person out of their organisation; their lifecycle roles must then go too)."""

    model_config = ConfigDict(extra="forbid")

    organisation: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
    lifecycle_roles: list[Role] | None = Field(default=None, max_length=len(Role))
    roles: list[Literal["admin", "submitter", "auditor"]] | None = Field(
        default=None, min_length=1, max_length=3
    )

    @model_validator(mode="after")
    def _names_a_change(self) -> PartyPatch:
        if not self.model_fields_set:
            raise ValueError("name at least one of organisation, lifecycle_roles, roles")
        for name in ("lifecycle_roles", "roles"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} is a list, not null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PartyOut(BaseModel):
    id: str
    name: str
    kind: str
    roles: list[str]
    created_at: str
    organisation: str | None = None
    lifecycle_roles: list[str] = Field(default_factory=list)


class PartyChangeOut(BaseModel):
    party: PartyOut
    #: The party_change record in the log and its signed receipt (null: nothing changed).
    record_id: str | None
    receipt: Receipt | None


class TokenOut(BaseModel):
    token_id: str
    party_id: str
    token: str = Field(description="Shown once: only its hash is stored.")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
    alg: Alg = Field(default="ed25519", description="ed25519, p256 or sm2")
    public_key: str = Field(
        max_length=128,
        description="Base64: Ed25519 raw 32 bytes; P-256 or SM2 the point 04 || x || y (65 bytes)",
    )
    certificate: str | None = Field(
        default=None,
        max_length=64 * 1024,
        description="PEM: the party's X.509 certificate for this key, then its intermediates; "
        "must chain to the server's CA (SUNLIGHT_PARTY_CA_FILE) and is kept in the log",
    )


class KeyOut(BaseModel):
    party: str
    key_id: str
    #: The key_registration (or key_revocation) record in the log, and its signed receipt.
    record_id: str
    receipt: Receipt
    #: The certificate checked and kept with a registration: its subject and SHA-256 (of DER).
    certificate_subject: str | None = None
    certificate_sha256: str | None = None


class Health(BaseModel):
    status: Literal["ok"]
    log_size: int
    log_id: str
