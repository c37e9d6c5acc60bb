"""Settings from the environment (prefix ``SUNLIGHT_``), validated once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from notary.errors import NotaryError

#: A Host header: a DNS name or IPv4 address, or an IPv6 address in brackets; then maybe a port.
_HOST = re.compile(r"(?P<name>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


class SettingsError(NotaryError):
    """A setting is invalid or insecure. The message names the variable (``SUNLIGHT_...``) and the
    rule it breaks, never the value given (it may be a secret)."""

    code = "settings_error"

    def diagnostics(self) -> str:
        return f"{self} (every variable: README.md, Configuration)"

    @classmethod
    def from_validation(cls, error: ValidationError) -> SettingsError:
        """One line per refused setting, from pydantic's errors without their input values."""
        problems = []
        for e in error.errors(include_input=False, include_url=False):
            message = e["msg"].removeprefix("Value error, ")
            if message.startswith("Input should be"):
                message = "must be" + message.removeprefix("Input should be")
            field = ".".join(str(part) for part in e["loc"])
            problems.append(f"SUNLIGHT_{field.upper()}: {message}" if field else message)
        return cls("invalid settings: " + "; ".join(problems))


class HostNotAllowedError(NotaryError):
    """A request names a host (``Host`` header) that ``SUNLIGHT_ALLOWED_HOSTS`` does not list, and
    something it answers would point there."""

    code = "host_not_allowed"


class Settings(BaseSettings):
    """Every knob of a Sunlight deployment. Empty values mean the embedded default."""

    # hide_input_in_errors: a refused setting must not print the secrets given beside it.
    model_config = SettingsConfigDict(
        env_prefix="SUNLIGHT_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("./sunlight-data")
    #: SQLAlchemy URL; empty means SQLite at DATA_DIR/sunlight.db (WAL mode).
    database_url: str = ""
    #: SQLite ``synchronous`` pragma: FULL fsyncs every commit (survives power loss), NORMAL only
    #: survives a killed process.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    #: Ed25519 notary signing key, PEM (PKCS#8) text; empty means DATA_DIR/notary_key.pem,
    #: generated on first run with mode 0600.
    notary_key: SecretStr = SecretStr("")
    #: Also compute SM3 (GB/T 32905) content digests.
    sm3: bool = False
    #: PEM file of the CA root certificates a party's signing-key certificate must chain to
    #: (CA 认证); empty: keys are registered without certificates only.
    party_ca_file: Path | None = None

    chain_rpc_url: str = ""
    #: Other organisations' nodes of the same chain (comma-separated), tried in turn when the node
    #: in use cannot be reached (docs/deployment.md).
    chain_failover_urls: str = ""
    contract_address: str = ""
    anchor_private_key: SecretStr = SecretStr("")
    anchor_interval_s: float = Field(default=30.0, gt=0)
    anchor_max_batch: int = Field(default=1000, gt=0)
    anchor_confirmations: int = Field(default=1, ge=0)
    #: Run the anchorer inside ``sunlight serve`` (every worker tries; a lock elects one).
    serve_anchorer: bool = True
    #: How long an anchored root read from the chain is reused (roots never change once anchored;
    #: the bound only limits how long a reorg below the confirmation depth could go unnoticed).
    chain_cache_s: float = Field(default=60.0, ge=0)

    ipfs_api: str = ""
    #: Kubo RPC URLs (comma-separated) of other organisations' IPFS nodes, each to hold a copy of
    #: every public file (docs/blobs.md, Replication); ``http://user:password@host:5001`` for a node
    #: that asks for credentials.
    ipfs_replicas: str = ""
    #: Seconds between retries of files not yet on every replica (a replica that was down).
    replicate_interval_s: float = Field(default=10.0, gt=0)
    #: Bodies other than uploads (JSON, bundles) may not exceed this.
    max_json_bytes: int = Field(default=1024 * 1024, gt=0)
    #: Unauthenticated requests to public routes, per client address.
    public_rate_per_s: float = Field(default=20.0, gt=0)
    public_burst: float = Field(default=100.0, gt=0)
    #: Failed bearer tokens tolerated per client address per minute (stops token guessing).
    auth_failures_per_minute: float = Field(default=10.0, gt=0)
    #: Seconds a worker trusts a bearer token it has checked (0: check every request). A token
    #: revoked through another worker process stops working there within this time.
    auth_cache_s: float = Field(default=1.0, ge=0, le=60)
    #: Seconds a device pairing code stays usable (docs/field-capture.md).
    pairing_code_ttl_s: float = Field(default=900.0, ge=60, le=7 * 86400)
    #: Seconds a device-signed request's time may differ from the server's (replay window).
    device_clock_skew_s: int = Field(default=300, ge=30, le=3600)
    #: Base URL printed on certificates (QR code); empty: the URL the request came in on, if its
    #: host is one of ALLOWED_HOSTS.
    public_base_url: str = ""
    #: Host names (comma-separated, no port) a request may name in its Host header to have
    #: certificates point back to it while PUBLIC_BASE_URL is empty. The client chooses that header.
    allowed_hosts: str = "localhost,127.0.0.1,[::1]"
    admin_token: SecretStr = SecretStr("")
    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0)
    #: Hours an Idempotency-Key of POST /v1/records is kept at least (then swept, hourly).
    idempotency_ttl_h: float = Field(default=72.0, gt=0)
    #: Hours a resumable (tus) upload may take before it is deleted, finished or not.
    upload_expiry_h: float = Field(default=24.0, gt=0)
    blob_kek: SecretStr = SecretStr("")  # private blobs' key-encryption key (docs/blobs.md)
    #: Site photos taken this many days before a project's planned start or after its planned
    #: end are flagged (notary/evidence/photos.py).
    photo_date_tolerance_days: int = Field(default=7, ge=0, le=3650)
    #: Photos whose perceptual hashes differ in at most this many of 64 bits are the same picture.
    photo_phash_max_distance: int = Field(default=10, ge=0, le=16)
    #: The project lifecycle's rules (budget ceilings, required fields, notice period, quorum): a
    #: JSON file, or TOML if it ends in .toml (notary.lifecycle.LifecycleRules); unset: the defaults.
    lifecycle_rules: Path | None = None
    #: The oversight rules' thresholds and the rules disabled: a JSON file, or TOML if it ends in
    #: .toml (notary.oversight.load_config); unset: the defaults.
    oversight_rules: Path | None = None
    #: The county's offset from UTC in hours: what a day is to the oversight rules and indicators.
    oversight_utc_offset_h: int = Field(default=8, ge=-12, le=14)
    #: Seconds between the oversight runs of ``sunlight serve`` (rules run, new alerts notarized);
    #: 0: none (run ``sunlight oversight run``).
    oversight_interval_s: float = Field(default=0.0, ge=0)
    #: The key every webhook subscription's signing secret is derived from (HMAC-SHA256 of the
    #: subscription id), 64 hex digits; empty: DATA_DIR/webhook_key, generated with mode 0600.
    #: No secret is stored in the database (docs/data-interface.md, Webhooks).
    webhook_key: SecretStr = SecretStr("")
    #: Seconds between the webhook sender's rounds (due deliveries sent, reminders scanned).
    webhook_interval_s: float = Field(default=5.0, gt=0)
    #: Seconds between scans for new reminders to deliver.
    reminder_scan_interval_s: float = Field(default=300.0, gt=0)
    #: Hours a delivery is retried (exponential backoff with jitter) before it is given up.
    webhook_give_up_h: float = Field(default=48.0, ge=24)
    #: Backoff of a failed delivery: first wait, and the longest (seconds).
    webhook_backoff_base_s: float = Field(default=5.0, gt=0)
    webhook_backoff_cap_s: float = Field(default=900.0, gt=0)
    #: Allow webhook URLs whose host is (or resolves to) a loopback, private, link-local or other
    #: non-public address: a county intranet's receiver, or tests. Off: such a subscription is
    #: refused and such a delivery is not made (server-side request forgery).
    webhook_allow_private: bool = False

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sunlight.db').resolve()}"

    @property
    def failover_urls(self) -> list[str]:
        """``CHAIN_FAILOVER_URLS`` as a list, empty entries dropped."""
        return [u.strip() for u in self.chain_failover_urls.split(",") if u.strip()]

    @property
    def replica_urls(self) -> list[str]:
        """``IPFS_REPLICAS`` as a list, empty entries dropped."""
        return [u.strip() for u in self.ipfs_replicas.split(",") if u.strip()]

    @field_validator("ipfs_replicas")
    @classmethod
    def _replicas_are_other_nodes(cls, value: str, info: ValidationInfo) -> str:
        urls = [u.strip().rstrip("/") for u in value.split(",") if u.strip()]
        if any(not re.fullmatch(r"https?://[^\s/]+", u) for u in urls):
            raise ValueError("each entry must be a Kubo RPC URL like http://host:5001")
        if len(set(urls)) != len(urls) or info.data.get("ipfs_api", "").rstrip("/") in urls:
            raise ValueError("a replica must be another node than SUNLIGHT_IPFS_API and each other")
        return value

    def allows_host(self, host: str) -> bool:
        """Whether a Host header is exactly an allowed name, with a port or not (``localhost:8000``,
        ``[::1]:8000``): nothing else, since the URL the request came in on is built from it."""
        match = _HOST.fullmatch(host.lower())
        allowed = {h.strip().lower() for h in self.allowed_hosts.split(",")}
        return match is not None and match["name"] in allowed

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if not self.chain_rpc_url:
            problems.append("SUNLIGHT_CHAIN_RPC_URL is empty (the embedded chain proves nothing)")
        if len(self.admin_token.get_secret_value()) < 32:
            problems.append("SUNLIGHT_ADMIN_TOKEN must be at least 32 characters")
        if not self.blob_kek.get_secret_value():
            # Else the first private upload fails at run time, or private files cannot be read.
            problems.append("SUNLIGHT_BLOB_KEK is empty (private files need it; docs/blobs.md)")
        if problems:  # not a ValueError: pydantic lets it through as it is
            raise SettingsError("insecure settings for production: " + "; ".join(problems))
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _one_error_root(cls, data: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        """Every refused setting is a :class:`SettingsError` (a :class:`NotaryError`), not a
        pydantic ``ValidationError``: the CLI reports it in one line and exits 2."""
        try:
            return handler(data)
        except ValidationError as e:
            raise SettingsError.from_validation(e) from None
