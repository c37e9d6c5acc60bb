"""Trust roots: what a verifier chooses to believe before it looks at any evidence.

A proof bundle is authenticated only against a trust root the *verifier* chose — never against a
key, contract or chain that the bundle names (those are hints an attacker writes as easily as we
do). A trust root holds:

- **logs** the verifier pins: each a notary's Ed25519 public key (its ``log_id`` is the key's
  SHA-256), optionally with the chain where that log anchors its checkpoints;
- **chains** the verifier names without a log key: a chain id and an EvidenceAnchor contract.

The trust file (``sunlight-trust/1``, read by ``sunlight verify --trust FILE``) is this model as JSON::

    {"format": "sunlight-trust/1",
     "logs": [{"name": "Example county", "public_key": "<base64 raw Ed25519>",
               "log_id": "<hex, optional: checked against the key>",
               "chain": {"chain_id": 1337, "contract": "0x…", "rpc_url": "http://…",
                         "confirmations": 1}}],
     "chains": [{"chain_id": 1337, "contract": "0x…", "rpc_url": "http://…"}]}

``rpc_url`` is the node the verifier trusts to read that chain; the core never uses it (it does no
I/O), the CLI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from notary.errors import MalformedProofError, TrustRootError
from notary.records import first_problem
from notary.signing import log_id_of, parse_public_key

__all__ = ["TRUST_FORMAT", "TrustRoot", "TrustedChain", "TrustedLog", "parse_trust_root"]

TRUST_FORMAT = "sunlight-trust/1"

Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TrustedChain(BaseModel):
    """A chain the verifier names: its id and the EvidenceAnchor contract on it."""

    model_config = _FROZEN

    chain_id: StrictInt = Field(ge=0)
    contract: Address
    #: The JSON-RPC endpoint the verifier trusts for this chain (used by adapters, not the core).
    rpc_url: str | None = Field(default=None, max_length=2000)
    #: Blocks on top of (and including) the anchoring block before an anchor counts.
    confirmations: StrictInt = Field(default=1, ge=1, le=10_000)

    @field_validator("contract")
    @classmethod
    def _lowercase(cls, v: str) -> str:
        return v.lower()

    def names(self, chain_id: int, contract: str) -> bool:
        return self.chain_id == chain_id and self.contract == contract.lower()

    def describe(self) -> str:
        return f"chain {self.chain_id}, contract {self.contract}"


class TrustedLog(BaseModel):
    """A log the verifier pins by its notary's public key."""

    model_config = _FROZEN

    public_key: bytes = Field(min_length=32, max_length=32)
    name: str = Field(default="", max_length=200)
    chain: TrustedChain | None = None

    @property
    def log_id(self) -> str:
        return log_id_of(self.public_key)


class TrustRoot(BaseModel):
    """Everything a verifier trusts. The empty root trusts nothing: every verdict is then at best
    *not authenticated*."""

    model_config = _FROZEN

    logs: tuple[TrustedLog, ...] = Field(default=(), max_length=1000)
    chains: tuple[TrustedChain, ...] = Field(default=(), max_length=1000)

    @classmethod
    def pin(
        cls, public_key: bytes, *, chain: TrustedChain | None = None, name: str = ""
    ) -> TrustRoot:
        """A root that trusts one log (and, when given, the chain it anchors on)."""
        return cls(logs=(TrustedLog(public_key=public_key, chain=chain, name=name),))

    @property
    def empty(self) -> bool:
        return not self.logs and not self.chains

    def log(self, log_id: str) -> TrustedLog | None:
        return next((log for log in self.logs if log.log_id == log_id), None)

    def log_ids(self) -> list[str]:
        return [log.log_id for log in self.logs]

    def chains_for(self, log_id: str) -> tuple[TrustedChain, ...]:
        """The chains that may authenticate a checkpoint of ``log_id``: the pinned log's own chain
        when it names one, else every chain named on its own."""
        log = self.log(log_id)
        if log is not None and log.chain is not None:
            return (log.chain,)
        return self.chains

    def merged(self, other: TrustRoot) -> TrustRoot:
        return TrustRoot(logs=(*self.logs, *other.logs), chains=(*self.chains, *other.chains))


class _LogEntry(BaseModel):
    model_config = _FROZEN

    name: str = Field(default="", max_length=200)
    public_key: str = Field(max_length=64)
    log_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    chain: TrustedChain | None = None

    @model_validator(mode="after")
    def _key_matches_log_id(self) -> _LogEntry:
        try:
            raw = parse_public_key(self.public_key)
        except MalformedProofError as e:
            raise ValueError("public_key must be a base64 raw 32-byte Ed25519 key") from e
        if self.log_id is not None and log_id_of(raw) != self.log_id:
            raise ValueError(f"log_id {self.log_id} is not the SHA-256 of public_key")
        return self


class _TrustFile(BaseModel):
    model_config = _FROZEN

    format: Literal["sunlight-trust/1"]
    logs: list[_LogEntry] = Field(default_factory=list, max_length=1000)
    chains: list[TrustedChain] = Field(default_factory=list, max_length=1000)


def parse_trust_root(doc: Mapping[str, Any]) -> TrustRoot:
    """A trust root from a parsed ``sunlight-trust/1`` document; :class:`TrustRootError` says what
    is wrong."""
    try:
        parsed = _TrustFile.model_validate(dict(doc))
    except ValidationError as e:
        where, msg = first_problem(e, "trust")
        raise TrustRootError(f"{where}: {msg}") from e
    logs = tuple(
        TrustedLog(public_key=parse_public_key(e.public_key), name=e.name, chain=e.chain)
        for e in parsed.logs
    )
    return TrustRoot(logs=logs, chains=tuple(parsed.chains))
